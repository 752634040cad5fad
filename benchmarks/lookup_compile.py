"""Cold compile time of the numba kernel against the size of a lookup table (issue #18 item 3).

Each size runs in a fresh process with an empty kernel cache, so the figure is numba's whole
compile of a small model (one table, one stock) plus its first run. Tables above
``jzsim.engine.codegen.UNROLL_MAX`` points are data (arrays searched by bisection), shorter ones
are unrolled selects. Usage: ``PYTHONPATH=$PWD python benchmarks/lookup_compile.py [sizes...]``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

CHILD = """
import sys, time
import numpy as np
from jzsim.engine import Model, functions as F
n = int(sys.argv[1])
m = Model("table", stop=100.0, dt=0.25)
xs = np.linspace(0.0, 100.0, n)
m.aux("y", F.lookup(m.time, xs, np.sin(xs / 7) + xs / 50, x_units="year"), "1")
m.stock("acc", 0.0, "year")
m.flow("f", m["y"], "1", into="acc")
cm = m.build()
t0 = time.perf_counter()
ds = cm.run(draws=64, backend="numba")
print(time.perf_counter() - t0)
"""


def main(sizes: list[int]) -> None:
    print(f"{'points':>8} {'cold compile + first run (s)':>30}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as cache:
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(n)],
                capture_output=True,
                text=True,
                env={**__import__("os").environ, "JZSIM_CACHE_DIR": cache},
                check=True,
            )
            print(f"{n:>8} {float(out.stdout.strip()):>30.1f}   (process {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2, 64, 65, 3201, 20001])
