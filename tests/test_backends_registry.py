"""Back ends are found in the engine's registry, the numpy path never loads numba, and the compiled
code's caches stay out of the source tree."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import jzsim
from jzsim.engine import Model, backend_names, register_backend
from jzsim.engine.backend import get_backend

ROOT = Path(jzsim.__file__).parent


def _decay() -> Model:
    m = Model("decay_probe", stop=3.0)
    k = m.param("k", 0.5, units="1/year")
    x = m.stock("x", initial=100.0, units="t")
    m.flow("outflow", k * x, units="t/year", out_of="x")
    return m


def test_the_three_backends_are_registered():
    assert {"numpy", "numba", "scalar"} <= set(backend_names())


def test_an_unknown_backend_is_named_with_the_registered_ones():
    with pytest.raises(ValueError, match=r"backend is 'nmba'; allowed: .*'numba'.*did you mean 'numba'"):
        _decay().run(backend="nmba")


def test_a_registered_backend_is_used_by_name():
    """A back end registered from outside the engine runs through ``integrate`` like the built-in ones."""

    class Halves:
        selects_outputs = True

        def integrate(self, cm, P, rs, out, select, *, batch_size, threads):
            get_backend("numpy").integrate(cm, P, rs, out, select, batch_size=batch_size, threads=threads)
            out *= 0.5

    register_backend("halves_probe", Halves)
    m = _decay()
    a, b = m.run(backend="numpy"), m.run(backend="halves_probe")
    np.testing.assert_array_equal(b["x"].values, 0.5 * a["x"].values)


def test_the_numpy_path_never_imports_numba():
    """``jzsim.simulate`` and ``Model.run(backend="numpy")`` run in a fresh process without numba
    ever being imported (so nothing is compiled)."""
    script = textwrap.dedent("""
        import sys
        import jzsim
        from jzsim.engine import Model
        jzsim.simulate()
        m = Model("decay", stop=3.0)
        k = m.param("k", 0.5, units="1/year")
        x = m.stock("x", initial=100.0, units="t")
        m.flow("outflow", k * x, units="t/year", out_of="x")
        m.run({"k": [0.1, 0.2]}, backend="numpy")
        print(sorted(n for n in sys.modules if n == "numba" or n.startswith(("numba.", "llvmlite"))))
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow  # a plan-model Monte Carlo in a fresh process (about 10 s)
def test_a_numpy_monte_carlo_never_imports_numba():
    """``jzsim.monte_carlo(backend="numpy")`` on the plan model (sampling, kernel, summaries, target
    checks, per-draw outcomes) runs without numba ever being imported, even where it is installed:
    the numpy back end compiles nothing."""
    script = textwrap.dedent("""
        import sys
        import jzsim
        ds = jzsim.monte_carlo(draws=5000, seed=1, backend="numpy", progress=False, outcomes=True)
        assert ds.attrs["draws"] == 5000 and ds["p_met"].notnull().any()
        jzsim.monte_carlo(draws=300, seed=1, sampler="sobol", backend="numpy", progress=False)
        print(sorted(n for n in sys.modules if n == "numba" or n.startswith(("numba.", "llvmlite"))))
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_compile_is_announced_once(tmp_path, monkeypatch, caplog):
    """Loading a kernel whose machine code is not cached logs one message naming the cache dir
    (numba compiles on the first call, so nothing is compiled here)."""
    pytest.importorskip("numba", reason="numba is in the test extra")
    from jzsim.backends.numba_runtime import load_module

    monkeypatch.setenv("JZSIM_CACHE_DIR", str(tmp_path))
    cm = _decay().build()
    with caplog.at_level(logging.WARNING, logger="jzsim"):
        load_module(cm)
        load_module(cm)
    msgs = [r.getMessage() for r in caplog.records if r.name.startswith("jzsim")]
    assert len(msgs) == 1, msgs
    assert "compiling the kernel of model 'decay_probe' with numba" in msgs[0] and str(tmp_path) in msgs[0]


def test_numba_caches_of_the_package_stay_out_of_the_source_tree():
    pytest.importorskip("numba", reason="numba is in the test extra")
    from jzsim.backends import lanestats, sampling_kernel

    for f in (lanestats.chunk_stats, lanestats.fold_block, sampling_kernel.ppf_kernel):
        path = Path(f._cache._cache_path).resolve()
        assert not path.is_relative_to(ROOT.resolve()), path
        if not os.environ.get("NUMBA_CACHE_DIR"):  # else numba's own setting wins, as documented
            assert path.parent.name == "numba", path  # <cache_dir>/numba, cache_dir as when first imported
