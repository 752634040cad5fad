"""A lever sweep as one vectorized call against one Monte Carlo run per setting (#20 item 7).

One lever (``investment_rate``) at 20 values x 10,000 draws of the plan model: ``jzsim.sweep``
(every setting in the same kernel call; once with a chunk that holds all 200,000 columns, once
with the default chunk) against 20 separate ``jzsim.monte_carlo`` calls with the lever fixed
(``params={lever: value}``), the same outputs (the target indicators) and the same seed. Runs are
interleaved, ``--repeats`` times each; prints the median seconds and the ratio, and checks that
both give the same target counts.

Usage::

    PYTHONPATH=$PWD python benchmarks/sweep.py [--backend numpy|numba] [--draws 10000]
        [--settings 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="numpy", choices=["numpy", "numba"])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--settings", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lever", default="investment_rate")
    a = ap.parse_args()

    import jzsim
    from jzsim.experiments import plan_outputs

    model = jzsim.plan_model()
    p = jzsim.load_parameters()[a.lever]
    values = np.linspace(p.low, p.high, a.settings)
    outputs = plan_outputs(model, model.targets, headline=False)
    common = dict(draws=a.draws, seed=1, backend=a.backend, progress=False)
    all_columns = jzsim.Execution(chunk_size=a.settings * a.draws)

    def one_call():
        return jzsim.sweep(a.lever, values, execution=all_columns, **common)

    def default_chunk():
        return jzsim.sweep(a.lever, values, **common)

    def separate():
        return [jzsim.monte_carlo(params={a.lever: v}, outputs=outputs, **common) for v in values]

    jzsim.monte_carlo(draws=4096, backend=a.backend, outputs=outputs, progress=False)  # imports, kernel load
    times: dict[str, list[float]] = {"sweep, one kernel call": [], "sweep, default chunk": [], "20 monte_carlo": []}
    results = {}
    for _ in range(a.repeats):
        for label, f in zip(times, (one_call, default_chunk, separate)):
            t0 = time.perf_counter()
            results[label] = f()
            times[label].append(time.perf_counter() - t0)
    sw, runs = results["sweep, one kernel call"], results["20 monte_carlo"]
    same = all(np.array_equal(sw["n_met"].isel(setting=s).values, r["n_met"].values) for s, r in enumerate(runs))
    base = statistics.median(times["20 monte_carlo"])
    print(
        f"{a.lever} at {a.settings} values x {a.draws:,} draws, plan model, {a.backend} backend, "
        f"median of {a.repeats} (interleaved)"
    )
    for label, ts in times.items():
        med = statistics.median(ts)
        calls = ""
        if label.startswith("sweep"):
            calls = f", {results[label].attrs['kernel_calls']} kernel call(s)"
        print(f"  {label:<24} {med:7.2f} s  ({base / med:4.2f}x faster than 20 monte_carlo{calls})")
    print(f"  same target counts per setting as the separate runs: {same}")


if __name__ == "__main__":
    main()
