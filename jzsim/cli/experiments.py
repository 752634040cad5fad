"""``jzsim compare`` and ``jzsim sweep``: scenarios and lever settings over the same draws.

    jzsim compare plan trend water-squeeze cluster-push --draws 100000 --backend numba
    jzsim sweep cluster_investment_share_health 0.1 0.2 0.3 0.4 --draws 10000
    jzsim sweep investment_rate 0.3 0.4 --draws 10000000 --backend dask --out sweep.zarr
    jzsim compare plan trend --draws 10000000 --backend dask --out compare.zarr

Both run every scenario (or lever setting) on the same parameter draws (common random numbers), so
the paired differences printed next to the probabilities have small Monte Carlo errors when the
scenarios are close. See :func:`jzsim.compare` and :func:`jzsim.sweep`.

A ``.zarr`` output of ``sweep`` (any backend) or of ``compare --backend dask`` is a checkpoint
written as the run goes: killed or interrupted, the same command resumes it and computes only what
is missing; a store made for another run is refused, naming what differs.
"""

from __future__ import annotations

import argparse

import pandas as pd

__all__ = ["add_parsers", "cmd_compare", "cmd_sweep"]


def _common(p: argparse.ArgumentParser, draws: int) -> None:
    from jzsim.cli.main import _positive_int

    p.add_argument("--draws", type=_positive_int, default=draws, help=f"parameter draws (default {draws:,})")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--sampler", choices=("random", "lhs", "sobol"), default="random", help="default: random")
    p.add_argument(
        "--backend", choices=("numpy", "numba", "dask"), default="numpy", help="kernel or Dask cluster (default numpy)"
    )
    p.add_argument("--workers", type=_positive_int, default=None, help="--backend dask: LocalCluster workers")
    p.add_argument("--scheduler", default=None, help="--backend dask: scheduler address instead of a LocalCluster")
    p.add_argument("--kernel", choices=("numba", "numpy"), default=None, help="--backend dask: workers' kernel")
    p.add_argument("--chunk-size", type=_positive_int, default=None, help="draws (sweep: columns) per chunk")
    p.add_argument("--quiet", "-q", "--no-progress", dest="no_progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--out",
        "-o",
        "--output",
        dest="output",
        help="write the results: .nc (netCDF), .zarr (zarr; for sweep, and compare with --backend dask, "
        "written as the run goes, and the same command resumes it) or .csv (a long table)",
    )


def _execution(a):
    """The run's execution from the common options: a DaskExecution with ``--backend dask``."""
    import jzsim
    from jzsim.cli.main import UsageError

    if a.backend != "dask":
        if a.scheduler or a.workers or a.kernel:
            raise UsageError("--scheduler, --workers and --kernel go with --backend dask")
        return jzsim.Execution(chunk_size=a.chunk_size)
    from jzsim.uncertainty.distributed import DaskExecution

    return DaskExecution(chunk_size=a.chunk_size, client=a.scheduler, n_workers=a.workers, kernel_backend=a.kernel)


def add_parsers(sub) -> None:
    """Add the ``compare`` and ``sweep`` subcommands to ``sub`` (an argparse subparsers object)."""
    c = sub.add_parser(
        "compare",
        help="target probabilities of several scenarios side by side, with paired differences",
        description="Run scenarios on the same parameter draws; print P(met) per scenario and each "
        "scenario's paired difference from the first, with Monte Carlo standard errors. "
        "Example: jzsim compare plan trend water-squeeze --draws 100000 --backend numba",
    )
    c.add_argument("scenarios", nargs="+", help="built-in scenario names (jzsim scenarios) or .toml files")
    _common(c, 10_000)
    c.set_defaults(func=cmd_compare)
    s = sub.add_parser(
        "sweep",
        help="P(target met) as a function of one lever, one vectorized run",
        description="Cross lever settings with the same parameter draws in one kernel call per chunk; "
        "print P(met) per setting with its standard error. "
        "Example: jzsim sweep cluster_investment_share_health 0.1 0.2 0.3 --draws 10000",
    )
    s.add_argument("lever", help="parameter to set (jzsim params lists them)")
    s.add_argument("values", nargs="+", type=float, help="lever values, in the parameter's units")
    s.add_argument("--scenario", "-s", default="plan", help="base scenario name or .toml file (default plan)")
    s.add_argument("--target", action="append", help="show only these target ids (repeatable)")
    _common(s, 2_000)
    s.set_defaults(func=cmd_sweep)


def cmd_compare(a) -> int:
    """Run :func:`jzsim.compare` and print the side-by-side table."""
    import jzsim
    from jzsim.cli.main import _check_output
    from jzsim.experiments import comparison_table

    out = _check_output(a.output)
    store = out if out is not None and out.suffix == ".zarr" and a.backend == "dask" else None
    if out is not None and store is None and (out / "_jzsim" / "manifest.json").exists():
        from jzsim.cli.main import UsageError

        raise UsageError(
            f"--out {str(out)!r} holds a resumable compare store; allowed: --backend dask (to resume it) "
            "or another path (writing an in-process comparison there would replace it)"
        )
    ds = jzsim.compare(
        list(a.scenarios),
        draws=a.draws,
        seed=a.seed,
        sampler=a.sampler,
        backend=a.backend,
        execution=_execution(a),
        progress=not a.no_progress,
        out=store,
    )
    names = [str(s) for s in ds["scenario"].values]
    print(f"{len(names)} scenarios on the same {a.draws:,} draws (seed {a.seed}, {a.sampler}, {a.backend})\n")
    table = comparison_table(ds)
    shown = pd.DataFrame(index=table.index)
    for s in names:
        shown[f"P {s}"] = table[s].map(lambda v: f"{v:.3f}")
    for s in names[1:]:
        d, e = table[f"{s} - {names[0]}"], table[f"{s} - {names[0]} se"]
        shown[f"{s} - {names[0]}"] = [f"{x:+.3f} ({y:.3f})" for x, y in zip(d, e)]
    print(shown.to_string())
    if len(names) > 1:
        print(f"\nDifferences are paired (same draws); standard errors in brackets. Base: {names[0]!r}.")
    _written(ds, out, store)
    return 0


def _written(ds, out, store) -> None:
    from jzsim.cli.main import _write

    if store is not None:
        print(f"\nwrote {store} (jzsim.open_run)")
    elif out:
        _write(ds, out)


def cmd_sweep(a) -> int:
    """Run :func:`jzsim.sweep` and print P(met) per lever setting."""
    import jzsim
    from jzsim.cli.main import _check_output

    out = _check_output(a.output)
    store = out if out is not None and out.suffix == ".zarr" else None
    ds = jzsim.sweep(
        a.lever,
        list(a.values),
        draws=a.draws,
        seed=a.seed,
        sampler=a.sampler,
        scenario=a.scenario,
        backend=a.backend,
        execution=_execution(a),
        progress=not a.no_progress,
        out=store,
    )
    targets = list(ds["target"].values)
    if a.target:
        unknown = [t for t in a.target if t not in targets]
        if unknown:
            raise ValueError(f"--target {unknown[0]!r} is not a target of the registry; allowed: {', '.join(targets)}")
        targets = list(a.target)
    elif "modelled" in ds:
        targets = [t for t in targets if bool(ds["modelled"].sel(target=t))]
    print(f"{a.lever} at {len(a.values)} values x {a.draws:,} draws (seed {a.seed}, one run)\n")
    rows = {}
    for t in targets:
        p = ds["p_met"].sel(target=t).values
        se = ds["p_met_se"].sel(target=t).values
        rows[t] = [f"{x:.3f} ({y:.3f})" for x, y in zip(p, se)]
    cols = [f"{a.lever}={v:g}" for v in a.values]
    print(pd.DataFrame.from_dict(rows, orient="index", columns=cols).to_string())
    print("\nP(met) per setting, Monte Carlo standard error in brackets.")
    _written(ds, out, store)
    return 0
