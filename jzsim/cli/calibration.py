"""``jzsim calibrate`` and ``jzsim goal``.

jzsim calibrate                                  # ML fit of the plan's back-cast, summary printed
jzsim calibrate --method mcmc --backend numba -o calibration.nc
jzsim goal --target health_cluster_output_2025 --lever cluster_investment_share_health --probability 0.8
"""

from __future__ import annotations

import argparse


def add_parsers(sub) -> None:
    """Add the ``calibrate`` and ``goal`` subcommands to ``sub`` (argparse subparsers)."""
    c = sub.add_parser("calibrate", help="fit the plan model's back-cast to the observations; print the summary")
    c.add_argument("--method", choices=("ml", "map", "importance", "mcmc"), default="ml")
    c.add_argument("--params", help="comma-separated parameters to fit (default: the plan's calibration set)")
    c.add_argument("--observations", help="CSV of observations (default: the packaged data/observations.csv)")
    c.add_argument("--stop", type=float, default=None, help="last year fitted (default 2020)")
    c.add_argument("--backend", choices=("numpy", "numba"), default="numpy")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--steps", type=int, default=1000, help="mcmc: steps per walker (default 1000)")
    c.add_argument("--walkers", type=int, default=None, help="mcmc: ensemble size (default max(8k, 64))")
    c.add_argument("--out", "-o", "--output", dest="output", help="write the results to this netCDF file")
    c.add_argument("--plot", help="write the fit plot to this image file")
    c.set_defaults(func=cmd_calibrate)
    g = sub.add_parser("goal", help="smallest lever setting meeting a target with a given probability")
    g.add_argument("--target", required=True, help="target id (see `jzsim targets`)")
    g.add_argument(
        "--lever",
        action="append",
        required=True,
        metavar="NAME[=WEIGHT]",
        help="lever (repeat for several, with cost weights)",
    )
    g.add_argument("--probability", type=float, default=0.8)
    g.add_argument("--low", type=float, default=None, help="lowest setting searched (one lever; default: its range)")
    g.add_argument("--high", type=float, default=None, help="highest setting searched (one lever)")
    g.add_argument("--draws", type=int, default=2000)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--grid", type=int, default=9)
    g.add_argument("--iterations", type=int, default=3)
    g.add_argument("--calibration", help="netCDF from `jzsim calibrate -o`: draw the fitted parameters from it")
    g.add_argument("--backend", choices=("numpy", "numba"), default="numpy")
    g.set_defaults(func=cmd_goal)


def cmd_calibrate(a: argparse.Namespace) -> int:
    from jzsim.calibration import plan_calibration

    params = [p.strip() for p in a.params.split(",")] if a.params else None
    cal = plan_calibration(params, a.observations, stop=a.stop, backend=a.backend)
    res = cal.fit(a.method, seed=a.seed, steps=a.steps, walkers=a.walkers)
    print(res.summary())
    if a.output:
        res.to_netcdf(a.output)
        print(f"\nwritten: {a.output}")
    if a.plot:
        res.plot().savefig(a.plot, dpi=100)
        print(f"plot: {a.plot}")
    return 0


def cmd_goal(a: argparse.Namespace) -> int:
    from jzsim.calibration import load_calibration
    from jzsim.calibration.goal import goal_seek

    levers: dict[str, float] = {}
    for item in a.lever:
        name, _, w = item.partition("=")
        try:
            levers[name.strip()] = float(w) if w else 1.0
        except ValueError:
            raise ValueError(f"--lever {item!r}: weight {w!r} is not a number; allowed: NAME or NAME=WEIGHT") from None
    bounds = None
    if a.low is not None or a.high is not None:
        if len(levers) != 1 or a.low is None or a.high is None:
            raise ValueError("--low and --high go together, with a single --lever")
        bounds = {next(iter(levers)): (a.low, a.high)}
    cal = load_calibration(a.calibration) if a.calibration else None
    res = goal_seek(
        a.target,
        levers,
        a.probability,
        bounds=bounds,
        draws=a.draws,
        seed=a.seed,
        grid=a.grid,
        iterations=a.iterations,
        calibration=cal,
        backend=a.backend,
    )
    print(res)
    curve = res.curve.to_dataframe()[list(levers) + ["p_met", "p_met_se"]]
    print("\nP(target) by setting:")
    print(curve.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0
