"""The compiled kernel is cached on disk: a second process loads it instead of compiling again."""

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
    from jzsim.engine import Model
    from jzsim.backends.numba_kernel import load_kernel
    m = Model("cache_probe", stop=5.0)
    k = m.param("k", 0.5, units="1/year")
    x = m.stock("x", initial=100.0, units="t")
    m.flow("outflow", k * x, units="t/year", out_of="x")
    ds = m.build().run({"k": [0.1, 0.2]}, backend="numba")
    kern = load_kernel(m.build())
    print(json.dumps({"hits": sum(kern.stats.cache_hits.values()),
                      "misses": sum(kern.stats.cache_misses.values()),
                      "x_end": float(ds["x"].values[1, -1])}))
""")


def test_second_process_hits_the_cache(tmp_path):
    env = dict(os.environ, JZSIM_CACHE_DIR=str(tmp_path))
    runs = [json.loads(subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                                      capture_output=True, text=True).stdout.strip().splitlines()[-1])
            for _ in range(2)]
    assert runs[0]["misses"] >= 1 and runs[0]["hits"] == 0
    assert runs[1]["hits"] >= 1 and runs[1]["misses"] == 0
    assert runs[0]["x_end"] == runs[1]["x_end"]
    assert any(p.suffix == ".py" for p in tmp_path.iterdir())
