"""The compiled kernel, its summarising run, the compiled summaries and the compiled sampler are
cached on disk: a second process loads them instead of compiling again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("numba", reason="numba is in the test extra")

SCRIPT = textwrap.dedent("""
    import json
    from jzsim import monte_carlo
    from jzsim.backends import lanestats, sampling_kernel
    from jzsim.backends.numba_kernel import load_module
    from jzsim.engine import Model
    from jzsim.params import Parameter
    m = Model("cache_probe", stop=5.0)
    m.add_parameter(Parameter("k", "1/year", 0.5, 0.1, 0.9, "uniform", "assumption: test range"))
    x = m.stock("x", initial=100.0, units="t")
    m.flow("outflow", m.params.k * x, units="t/year", out_of="x")
    cm = m.build()
    ds = cm.run({"k": [0.1, 0.2]}, backend="numba")
    # every output, in output order: the kernel cm.run compiled, so one kernel module to compile
    mc = monte_carlo(model=m, draws=9000, outputs=cm.output_names, backend="numba", progress=False)
    compiled = [load_module(cm), lanestats.chunk_stats, sampling_kernel.ppf_kernel]
    used = [f for mod in compiled for f in ((mod._blocks,) if hasattr(mod, "_blocks") else (mod,))]
    print(json.dumps({"hits": sum(sum(f.stats.cache_hits.values()) for f in used),
                      "misses": sum(sum(f.stats.cache_misses.values()) for f in used),
                      "x_end": float(ds["x"].values[1, -1]), "mc_mean": float(mc["x"].values[0, -1])}))
""")


@pytest.mark.slow
def test_second_process_hits_the_cache(tmp_path):
    env = dict(os.environ, JZSIM_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        for _ in range(2)
    ]
    assert runs[0]["misses"] >= 1 and runs[0]["hits"] == 0
    assert runs[1]["hits"] >= 1 and runs[1]["misses"] == 0
    assert runs[0]["x_end"] == runs[1]["x_end"] and runs[0]["mc_mean"] == runs[1]["mc_mean"]
    assert any(p.suffix == ".py" for p in tmp_path.iterdir())
