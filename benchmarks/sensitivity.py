"""Benchmark: Sobol indices of a plan target for all uncertain plan parameters.

Usage::

    python benchmarks/sensitivity.py [--n 4096] [--backend numba] [--target gdp_growth_2021_2025]
                                     [--out benchmarks/results/sensitivity.json]

N = 2^12 base samples and k uncertain parameters make N (k + 2) model runs (k = 92: 385,024 runs),
evaluated in one kernel call. The compile of the kernel for this output selection is timed
separately (a first call with N = 8 after clearing nothing: a warm on-disk cache makes it a load).
Target (issue #17): under 30 s with the numba backend on the 2-core benchmark machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4096, help="base samples N (default 4096 = 2^12)")
    ap.add_argument("--backend", choices=("numpy", "numba"), default="numba", help="kernel (default numba)")
    ap.add_argument("--target", default="gdp_growth_2021_2025", help="target id (default gdp_growth_2021_2025)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    ap.add_argument("--out", default=str(HERE / "results" / "sensitivity.json"), help="JSON results file")
    a = ap.parse_args()

    import numpy as np

    from jzsim.analysis import sensitivity as sa

    t0 = time.perf_counter()
    sa.sobol(a.target, n=8, backend=a.backend, n_bootstrap=0)  # compile (or load) this output selection
    first_call = time.perf_counter() - t0

    stages: dict[str, list[float]] = {k: [] for k in ("problem", "design", "evaluate", "estimate", "total")}
    si = None
    for _ in range(a.repeats):
        t = [time.perf_counter()]
        prob = sa.SensitivityProblem.make(a.target, backend=a.backend)
        t.append(time.perf_counter())
        k = len(prob.varied)
        u = sa.saltelli_design(k, a.n, 0)
        t.append(time.perf_counter())
        _, res = prob.evaluate(u)
        t.append(time.perf_counter())
        si = sa._sobol_dataset(prob, res, k, a.n, 0, 200, 0.95)
        t.append(time.perf_counter())
        for key, dt in zip(("problem", "design", "evaluate", "estimate"), np.diff(t)):
            stages[key].append(float(dt))
        stages["total"].append(t[-1] - t[0])
    med = {key: statistics.median(v) for key, v in stages.items()}
    runs = a.n * (k + 2)
    top = sa.ranking(si, a.target).head(5)
    print(f"Sobol indices, target {a.target}: N = {a.n}, k = {k} parameters, {runs:,} model runs, {a.backend}")
    print(f"first call (N=8, compile or cache load): {first_call:.1f} s")
    for key in ("problem", "design", "evaluate", "estimate", "total"):
        print(f"  {key:9s} median {med[key]:7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in stages[key])})")
    print(f"  {runs / med['evaluate']:,.0f} model runs/s in the kernel call (with target evaluation)")
    print(f"target < 30 s: {'met' if med['total'] < 30 else 'MISSED'}\n")
    print(top[["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]].to_string(float_format=lambda x: f"{x:.3f}"))
    import numba

    rec = {
        "target": a.target,
        "n": a.n,
        "k": k,
        "runs": runs,
        "backend": a.backend,
        "first_call_s": first_call,
        "stages_s": stages,
        "median_s": med,
        "met_30s": med["total"] < 30,
        "top5": top[["S1", "ST"]].round(4).reset_index().to_dict(orient="records"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "numba_threads": numba.get_num_threads(),
        },
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(rec, indent=2))
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
