"""The compiled (lane-vectorised numba) kernel: same bits wherever a draw falls, compiled-in output
selection, agreement with the numpy kernel and the scalar reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("numba", reason="numba is in the test extra; the compiled kernel is tested with it")

from jzsim.backends.numba_kernel import LANES, generate_source  # noqa: E402
from jzsim.engine.hoist import hoist_constants  # noqa: E402

from _helpers import (  # noqa: E402
    PLAN_SUBSET,
    SETTINGS,
    power_model,
    transc_params,
    transcendental_model,
)

MODELS = {"transc": transcendental_model, "power": power_model}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(MODELS))
@SETTINGS
@given(params=transc_params, method=st.sampled_from(["euler", "rk4"]), offset=st.integers(0, LANES - 1))
def test_a_draw_gets_the_same_bits_alone_in_a_batch_or_in_another_lane(kind, params, method, offset):
    cm = MODELS[kind](method).build()
    batch = cm.run(params, backend="numba")
    single = _single_runs_numba(cm, params)
    shifted = cm.run({k: np.concatenate([np.full(offset, v[0]), v]) for k, v in params.items()}, backend="numba")
    for k in batch.data_vars:
        assert np.array_equal(batch[k].values, single[k], equal_nan=True), k
        assert np.array_equal(batch[k].values, shifted[k].values[offset:], equal_nan=True), k


def _single_runs_numba(cm, params):
    n = len(next(iter(params.values())))
    runs = [cm.run({k: float(v[i]) for k, v in params.items()}, backend="numba") for i in range(n)]
    return {k: np.concatenate([r[k].values for r in runs], axis=0) for k in runs[0].data_vars}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(MODELS))
def test_compiled_kernel_agrees_with_numpy_and_the_scalar_reference(kind):
    cm = MODELS[kind]("euler").build()
    rng = np.random.default_rng(7)
    params = {"a": rng.uniform(0.1, 1.5, 50), "b": rng.uniform(0.5, 5.0, 50), "k": rng.uniform(0.01, 0.5, 50)}
    b = cm.run(params, backend="numba")
    for other in ("numpy", "scalar"):
        a = cm.run(params, backend=other)
        for name in a.data_vars:
            np.testing.assert_allclose(b[name].values, a[name].values, rtol=1e-12, atol=1e-300, err_msg=name)


@pytest.mark.slow
def test_a_compiled_in_output_selection_gives_the_rows_of_the_full_run(plan_cm, plan_draws, plan_numba_full):
    names = list(PLAN_SUBSET)  # not in output order
    some = plan_cm.integrate(plan_draws, plan_cm.settings_for({}), backend="numba", names=names, check=False)
    rows = [plan_cm.output_names.index(n) for n in names]
    assert np.array_equal(some, plan_numba_full[rows], equal_nan=True)


@pytest.mark.slow
def test_a_step_that_also_saves_gives_the_same_bits_as_a_plain_step(plan_cm, plan_draws, plan_numba_full):
    """At a save time one loop computes the outputs and the Euler step; between save times a loop
    computes the step alone. Saving at every step (every step fused) must give the same values at
    the yearly times as saving yearly (mostly plain steps), for every output."""
    rs = plan_cm.settings_for({"save_every": plan_cm.settings_for({}).dt})
    every = plan_cm.integrate(plan_draws, rs, backend="numba", check=False)
    assert np.array_equal(every[:, :, :: round(1.0 / rs.dt)], plan_numba_full, equal_nan=True)


def test_parameter_only_expressions_are_computed_once_per_block(plan_cm):
    cm = plan_cm
    eqs, consts = hoist_constants(cm, cm.emitter("lanes"))
    sources = [src for _, src in consts]
    assert any("(1.0 - p_capital_elasticity)" in src for src in sources)  # the labour exponent
    src = generate_source(cm)
    rates = src[src.index("def _euler(") : src.index("def _save(")]
    assert "(1.0 - p_capital_elasticity)" not in rates
    assert "_vexp(" in rates and "_vlog(" in rates and "_math.exp" not in rates and "_math.log" not in rates


def _lookup_model():
    from jzsim.engine import Model
    from jzsim.engine import functions as F

    m = Model("tables", start=2020.0, stop=2030.0, dt=0.25)
    k = m.param("k", 1.0, units="1")
    x = m.stock("x", initial=1.0, units="t")
    years, rates = [2020.0, 2023.0, 2026.0, 2030.0], [0.01, 0.04, 0.02, 0.05]
    by_time = F.lookup(F.time(), years, rates, units="1/year", x_units="year")
    by_stock = F.lookup(x / F.const(1.0, "t"), [0.0, 2.0], [0.0, 1.0], units="1")
    m.flow("growth", k * by_time * x + by_stock * F.const(0.1, "t/year"), units="t/year", into="x")
    return m


def test_a_lookup_of_the_time_is_evaluated_once_per_call_not_per_lane():
    """A table of the time is the same in every lane: each kernel function looks it up once, before
    its loop over the lanes (a 25-year census table inside the loop made the plan kernel 3.2x
    slower); a table of a per-draw value stays in the loop."""
    src = generate_source(_lookup_model().build())
    euler = src[src.index("def _euler(") : src.index("def _save(")]
    before, loop = euler.split("for l in range(_u(nl)):")
    assert "_tl0 = _lookup0(t)" in before and "_tl0" in loop
    assert "_lookup0(" not in loop and "_lookup1(" in loop


@pytest.mark.slow
def test_a_hoisted_lookup_of_the_time_gives_numpys_values():
    cm = _lookup_model().build()
    params = {"k": np.linspace(0.5, 2.0, 37)}
    for method in ("euler", "rk4"):
        fast = cm.run(params, backend="numba", method=method)
        plain = cm.run(params, backend="numpy", method=method)
        np.testing.assert_allclose(fast["x"].values, plain["x"].values, rtol=1e-13, atol=0)


def _trend_model(dt: float = 1.0 / 32):
    from jzsim.engine import Model
    from jzsim.engine import functions as F

    m = Model("trend", start=2020.0, stop=2060.0, dt=dt)
    g = m.param("g", 0.03, units="1/year")
    base = m.param("base", 2.0, units="t/year")
    m.stock("x", initial=1.0, units="t")
    m.flow("inflow", base * F.exp(g * (F.time() - F.const(2020.0, "year"))), units="t/year", into="x")
    m.aux("falling", F.exp(-2 * g * (F.time() - F.const(2025.0, "year")) / 3), units="1")
    return m


@pytest.mark.slow
def test_exponential_trends_of_the_time_are_stepped_by_multiplication_and_re_anchored():
    """exp(g * (t - t0)) becomes a time factor multiplied by exp(g dt) at every Euler step and
    evaluated directly every ANCHOR steps: 1280 steps stay within a few 1e-15 of numpy's exp (a
    factor never re-anchored would drift by hundreds of ulp), and the same bits whatever the saves."""
    from jzsim.backends.numba_kernel import ANCHOR

    cm = _trend_model().build()
    src = generate_source(cm)
    euler = src[src.index("def _euler(") : src.index("def _save(")]
    assert "NG = 2" in src and "_vexp(" not in euler and "r_0 = _vexp(" in src
    rng = np.random.default_rng(5)
    params = {"g": rng.uniform(-0.05, 0.08, 37), "base": rng.uniform(1, 3, 37)}
    every = cm.run(params, backend="numba", save_every=1.0 / 32)
    numpy = cm.run(params, backend="numpy", save_every=1.0 / 32)
    for name in ("inflow", "falling", "x"):
        np.testing.assert_allclose(every[name].values, numpy[name].values, rtol=2e-14, atol=0)
    yearly = cm.run(params, backend="numba")
    for name in ("inflow", "falling", "x"):
        assert np.array_equal(every[name].values[:, ::32], yearly[name].values), name
    assert cm.settings_for({}).n_steps > 50 * ANCHOR


@pytest.mark.slow
def test_plan_monte_carlo_on_the_compiled_kernel_agrees_with_numpy():
    """The plan's Monte Carlo on the compiled backend (chunks after the first summarised inside the
    kernel) against the numpy backend: trajectories to 1e-12, summaries and target counts alike.
    Its outputs are PLAN_SUBSET in that order, so it runs the kernel the selection test compiled."""
    from jzsim import Execution, monte_carlo
    from jzsim.uncertainty.sampling import BLOCK

    kw = dict(draws=2 * BLOCK + 37, seed=5, outputs=list(PLAN_SUBSET), progress=False)
    kw.update(execution=Execution(chunk_size=BLOCK), keep=True)
    a, b = monte_carlo(backend="numba", **kw), monte_carlo(backend="numpy", **kw)
    for name in PLAN_SUBSET:
        np.testing.assert_allclose(a[f"{name}_draws"], b[f"{name}_draws"], rtol=1e-12, atol=0, err_msg=name)
        scale = float(abs(b[name]).max())  # atol: the spread at the base year is rounding noise, ~1e-15
        np.testing.assert_allclose(a[name], b[name], rtol=1e-9, atol=1e-12 * scale, err_msg=name)
    assert "p_met" in a and a["p_met"].notnull().any()  # the plan's targets on these outputs are counted
    np.testing.assert_array_equal(a["p_met"].values, b["p_met"].values)
