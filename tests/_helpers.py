"""Small engine models and hypothesis strategies shared by several test modules.

Imported as ``from _helpers import ...``: ``tests/`` is on ``sys.path`` through the ``pythonpath``
setting of ``[tool.pytest.ini_options]`` (relative to the rootdir), so the suite runs from any
directory (``cd /tmp && python -m pytest /path/to/jzsim/tests``).
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------ models
@functools.cache
def arithmetic_model(method: str = "euler") -> Model:
    """Logistic growth with a capped, switched-on harvest: only + - * / min max where."""
    m = Model("arith", start=0.0, stop=12.0, dt=0.25, method=method)
    r = m.param("r", 0.3, units="1/year")
    K = m.param("K", 1000.0, units="t")
    h = m.param("h", 20.0, units="t/year")
    t_h = m.param("t_h", 4.0, units="year")
    P = m.stock("P", initial=K / 50, units="t")
    m.flow("growth", r * P * (1 - P / K), units="t/year", into="P")
    zero_t = F.const(0.0, "t")
    harvest = F.where(m.time >= t_h, F.minimum(h, F.maximum(zero_t, P) / F.const(1.0, "year")), F.const(0.0, "t/year"))
    m.flow("harvest", harvest, units="t/year", out_of="P")
    m.aux("crowding", F.maximum(P / K - 0.5, 0) - F.minimum(P / K, 0.1), units="1")
    return m


@functools.cache
def transcendental_model(method: str = "euler") -> Model:
    """A saturating process that uses exp, log, sqrt and ** with literal exponents."""
    m = Model("transc", start=0.0, stop=12.0, dt=0.25, method=method)
    a = m.param("a", 0.5, units="1")
    b = m.param("b", 2.0, units="1")
    k = m.param("k", 0.2, units="1/year")
    x = m.stock("x", initial=(1.0 + a) * F.const(1.0, "t"), units="t")
    rel = x / F.const(1.0, "t")
    m.flow("rise", k * F.const(1.0, "t") * F.exp(-a * rel) * F.log(1 + b * rel) * rel**0.7, units="t/year", into="x")
    m.flow("leak", 0.5 * k * x * F.sqrt(rel / (1 + rel)) * F.exp(-b / 10) ** 1.5, units="t/year", out_of="x")
    m.aux("index", F.log(rel) ** 2 + F.sqrt(b * a) ** 3, units="1")
    return m


@functools.cache
def power_model(method: str = "euler") -> Model:
    """Like :func:`transcendental_model`, with parameter exponents (``x ** a``)."""
    m = Model("power", start=0.0, stop=12.0, dt=0.25, method=method)
    a = m.param("a", 0.5, units="1")
    b = m.param("b", 2.0, units="1")
    k = m.param("k", 0.2, units="1/year")
    x = m.stock("x", initial=(1.0 + a) * F.const(1.0, "t"), units="t")
    rel = x / F.const(1.0, "t")
    m.flow("rise", k * F.const(1.0, "t") * F.exp(-a * rel) * F.log(1 + b * rel) * rel**a, units="t/year", into="x")
    m.flow("leak", 0.5 * k * x * (rel / (1 + rel)) ** a * (b / 10) ** a, units="t/year", out_of="x")
    m.aux("index", F.log(rel) ** 2 + b ** (-a), units="1")
    return m


def _arith_params(draw):
    n = draw(st.integers(1, 9))
    fl = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)  # noqa: E731
    arr = lambda lo, hi: st.lists(fl(lo, hi), min_size=n, max_size=n).map(np.array)  # noqa: E731
    return {
        "r": draw(arr(0.05, 0.8)),
        "K": draw(arr(100.0, 5000.0)),
        "h": draw(arr(0.0, 80.0)),
        "t_h": draw(arr(0.0, 12.0)),
    }


def _transc_params(draw):
    n = draw(st.integers(1, 9))
    fl = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)  # noqa: E731
    arr = lambda lo, hi: st.lists(fl(lo, hi), min_size=n, max_size=n).map(np.array)  # noqa: E731
    return {"a": draw(arr(0.1, 1.5)), "b": draw(arr(0.5, 5.0)), "k": draw(arr(0.01, 0.5))}


arith_params = st.composite(_arith_params)()
transc_params = st.composite(_transc_params)()
methods = st.sampled_from(["euler", "rk4"])

MODELS = {
    "arith": (arithmetic_model, arith_params),
    "transc": (transcendental_model, transc_params),
    "power": (power_model, transc_params),
}


#: A selection of plan outputs, not in output order: the compiled-in selection that tests compare
#: with the full run (one kernel compile per selection: tests share this one).
PLAN_SUBSET = ("urbanisation", "gdp_real", "aquifer_storage")


def disk_full_at(monkeypatch, index: int) -> None:
    """Make :meth:`jzsim.uncertainty.store.RunStore.write_summary` fail with ENOSPC ("No space left
    on device") when it writes chunk (or sweep call) ``index``, as a full disk would."""
    import errno

    from jzsim.uncertainty.store import RunStore

    write = RunStore.write_summary

    def full(self, c, state):
        if c == index:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(self, c, state)

    monkeypatch.setattr(RunStore, "write_summary", full)
