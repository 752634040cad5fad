"""``jzsim sensitivity | discover | report``: the analysis commands.

jzsim sensitivity --target gdp_growth_2021_2025             # Sobol indices, ranked, with intervals
jzsim sensitivity --method morris --draws 50                 # Morris screening of every target
jzsim discover --target health_cluster_output_2025           # failure boxes in plain words
jzsim report --out jizhou.html                               # self-contained HTML report

Hooked into ``jzsim.cli.main`` by :func:`add_parsers`. Exit codes: 0 done, 2 bad input (unknown
name, out-of-range number, unwritable path), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

__all__ = ["add_parsers", "cmd_sensitivity", "cmd_discover", "cmd_report"]


def _positive(kind: str, minimum: int = 1):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind} is {text!r}; allowed: an integer >= {minimum}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"{kind} is {v}; allowed: an integer >= {minimum}")
        return v

    return parse


def _share(name: str):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} is {text!r}; allowed: a number between 0 and 1") from None
        if not 0 < v < 1:
            raise argparse.ArgumentTypeError(f"{name} is {v}; allowed: a number strictly between 0 and 1")
        return v

    return parse


def _common(p: argparse.ArgumentParser, draws_help: str, draws_default: int) -> None:
    p.add_argument("--seed", type=int, default=0, help="root seed: same seed, same numbers (default 0)")
    p.add_argument("--draws", type=_positive("--draws"), default=draws_default, help=draws_help)
    p.add_argument(
        "--backend",
        choices=("numpy", "numba"),
        default="numpy",
        help="kernel: numpy (no compile) or numba (compiled once, about 40 s; faster for large runs)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only the results (no notes on stderr)")
    p.add_argument(
        "--scenario",
        "-s",
        default=None,
        help="built-in scenario name (jzsim scenarios) or .toml file (default: the plan as published)",
    )


def _note(a, text: str) -> None:
    if not a.quiet:
        print(text, file=sys.stderr, flush=True)


def _parameters(text: str | None) -> list[str] | None:
    return None if not text else [t.strip() for t in text.split(",") if t.strip()]


def _fmt(x: float) -> str:
    return "   nan" if x != x else f"{x:6.3f}"


def cmd_sensitivity(a) -> int:
    from jzsim.analysis import sensitivity as sa

    targets = a.target or None
    if a.method == "sobol":
        _note(a, f"jzsim: Sobol indices, N = {a.draws} base samples (N (k + 2) model runs in one kernel call) ...")
        si = sa.sobol(
            targets,
            n=a.draws,
            seed=a.seed,
            parameters=_parameters(a.parameters),
            backend=a.backend,
            scenario=a.scenario,
            n_bootstrap=a.bootstrap,
        )
    else:
        _note(a, f"jzsim: Morris screening, {a.draws} trajectories (r (k + 1) model runs in one kernel call) ...")
        si = sa.morris(
            targets, trajectories=a.draws, seed=a.seed, parameters=_parameters(a.parameters), backend=a.backend
        )
    print(f"{si.attrs['method']}: {si.attrs['runs']:,} model runs, seed {a.seed}\n")
    for t in [str(x) for x in si["target"].values]:
        df = sa.ranking(si, t, measure=a.measure)
        what = "indicator value" if a.measure == "value" else "met or not (P(met))"
        p = f", P(met) = {float(si['p_met'].sel(target=t)):.3f}" if "p_met" in si else ""
        print(f"{t}: {what}{p}")
        if a.method == "sobol":
            print(f"  {'rank':>4}  {'parameter':36s} {'ST':>6} {'95% interval':>17}   {'S1':>6} {'95% interval':>17}")
            for i, (name, r) in enumerate(df.head(a.top).iterrows(), 1):
                print(
                    f"  {i:4d}  {name:36s} {_fmt(r.ST)} [{_fmt(r.ST_low)}, {_fmt(r.ST_high)}]   "
                    f"{_fmt(r.S1)} [{_fmt(r.S1_low)}, {_fmt(r.S1_high)}]"
                )
        else:
            print(f"  {'rank':>4}  {'parameter':36s} {'mu*':>10} {'+/-':>10} {'mu':>10} {'sigma':>10}")
            for i, (name, r) in enumerate(df.head(a.top).iterrows(), 1):
                print(f"  {i:4d}  {name:36s} {r.mu_star:10.4g} {r.mu_star_conf:10.4g} {r.mu:10.4g} {r.sigma:10.4g}")
        print()
    if a.out:
        out = Path(a.out)
        if out.suffix == ".csv":
            si[[v for v in si.data_vars if "target" in si[v].dims]].to_dataframe().to_csv(out)
        else:
            si.to_netcdf(out)
        print(f"wrote {out}")
    return 0


def cmd_discover(a) -> int:
    from jzsim.analysis.discovery import discover

    _note(a, f"jzsim: {a.draws:,} draws of the uncertain parameters, one kernel call, then PRIM ...")
    found = discover(
        a.target,
        draws=a.draws,
        seed=a.seed,
        sampler=a.sampler,
        backend=a.backend,
        parameters=_parameters(a.parameters),
        scenario=a.scenario,
        alpha=a.alpha,
        min_mass=a.min_mass,
        min_coverage=a.min_coverage,
        max_boxes=a.max_boxes,
    )
    if not found:
        print("No target is missed in some draws and met in others: nothing to discover.")
    tables = []
    for tid, res in found.items():
        print(f"{tid}: missed in {res.base_rate:.0%} of {res.n:,} draws")
        if not res.boxes:
            print("  no box concentrates the misses (they are spread over parameter space)")
        for i, line in enumerate(res.describe(), 1):
            print(f"  box {i}: {line}")
        traj = res.trajectory
        picks = traj.iloc[np.unique(np.linspace(0, len(traj) - 1, min(6, len(traj))).astype(int))]
        print(
            "  peeling trajectory (coverage -> density): "
            + ", ".join(f"{c:.0%} -> {d:.0%}" for c, d in zip(picks["coverage"], picks["density"]))
        )
        print()
        tab = res.table()
        tab.insert(0, "target", tid)
        tables.append(tab)
    if a.out:
        import pandas as pd

        out = Path(a.out)
        (pd.concat(tables) if tables else pd.DataFrame()).to_csv(out, index=False)
        print(f"wrote {out}")
    return 0


def cmd_report(a) -> int:
    import jzsim
    from jzsim.analysis.report import report_outputs, write_report

    _note(a, f"jzsim: report from {a.draws:,} draws (Monte Carlo, Sobol N = {a.sensitivity_n}, PRIM) ...")
    if Path(a.out).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"report path {a.out!r} must end in .html")
    params = _assignments(a.set or [], "--set")
    compare = {}
    for item in a.compare or []:
        label, sep, rest = item.partition(":")
        if not sep or not label.strip():
            raise ValueError(f"--compare {item!r}: expected LABEL:NAME=VALUE[,NAME=VALUE...], e.g. 'slow:tfp_growth=0'")
        compare[label.strip()] = _assignments(rest.split(","), f"--compare {label.strip()}")
    outputs = report_outputs(params=params, scenario=a.scenario)

    def run(overrides):
        return jzsim.monte_carlo(
            a.draws,
            scenario=a.scenario or "plan",
            params=overrides or None,
            seed=a.seed,
            sampler=a.sampler,
            backend=a.backend,
            outputs=outputs,
            progress=not a.quiet,
        )

    mc = run(params)
    variants = {label: run({**params, **over}) for label, over in compare.items()}
    path = write_report(a.out, mc, variants=variants, params=params, scenario=a.scenario, sensitivity_n=a.sensitivity_n)
    print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KiB): open it in a browser")
    return 0


def _assignments(items, option: str) -> dict[str, float]:
    """``["tfp_growth=0.02", ...]`` -> ``{"tfp_growth": 0.02}``; one clear error per malformed item."""
    out = {}
    for it in items:
        name, sep, value = it.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{option} {it!r}: expected NAME=VALUE, e.g. tfp_growth=0.02")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{option} {name.strip()}: value {value!r} is not a number") from None
    return out


def _guard(func):
    """Run a command; bad input (a KeyError or ValueError naming the field) exits 2 with one line."""

    def run(a) -> int:
        try:
            return func(a)
        except (KeyError, ValueError, OSError) as exc:
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            print(f"jzsim {a.command}: error: {msg}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("jzsim: interrupted", file=sys.stderr)
            return 130

    return run


def add_parsers(sub) -> None:
    """Add ``sensitivity``, ``discover`` and ``report`` to ``jzsim``'s subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    s = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris sensitivity of the targets to the uncertain parameters",
        description="Global sensitivity of each target's indicator (or of whether it is met) to the uncertain "
        "parameters: Sobol first/total-order indices with bootstrap intervals, or Morris screening.",
        epilog="examples:\n  jzsim sensitivity --target gdp_growth_2021_2025\n"
        "  jzsim sensitivity --target health_cluster_output_2025 --measure met --draws 1024 --out si.nc\n"
        "  jzsim sensitivity --method morris --draws 40 --top 10",
        formatter_class=fmt,
    )
    s.add_argument(
        "--target",
        action="append",
        metavar="ID",
        help="target id (see `jzsim targets`); repeat for several (default: every target the model judges)",
    )
    s.add_argument("--method", choices=("sobol", "morris"), default="sobol", help="sobol (default) or morris")
    _common(s, "Sobol: base samples N, model runs N (k + 2); Morris: trajectories r, runs r (k + 1) (default 512)", 512)
    s.add_argument(
        "--measure",
        choices=("value", "met"),
        default="value",
        help="rank by the indicator's value (default) or by met-or-not, whose mean is P(met)",
    )
    s.add_argument("--parameters", metavar="A,B,...", help="vary only these uncertain parameters (default: all)")
    s.add_argument("--top", type=_positive("--top"), default=15, help="parameters shown per target (default 15)")
    s.add_argument(
        "--bootstrap", type=_positive("--bootstrap", 0), default=200, help="Sobol bootstrap resamples (default 200)"
    )
    s.add_argument("--out", "-o", metavar="FILE", help="write the indices: .nc (netCDF, all of them) or .csv")
    s.set_defaults(func=_guard(cmd_sensitivity))

    d = sub.add_parser(
        "discover",
        help="scenario discovery: parameter boxes where targets fail (PRIM)",
        description="Draw the uncertain parameters, run the plan and find, per target, the boxes of parameter "
        "space where it is missed (PRIM), printed in plain words with coverage and density.",
        epilog="examples:\n  jzsim discover\n  jzsim discover --target health_cluster_output_2025 --draws 20000\n"
        "  jzsim discover --min-coverage 0.3 --max-boxes 3 --out boxes.csv",
        formatter_class=fmt,
    )
    d.add_argument("--target", metavar="ID", help="one target id (default: every target missed in some draws)")
    _common(d, "Monte Carlo draws searched (default 10000)", 10_000)
    d.add_argument("--sampler", choices=("random", "lhs", "sobol"), default="random", help="sampler (default random)")
    d.add_argument("--parameters", metavar="A,B,...", help="search over only these uncertain parameters (default all)")
    d.add_argument("--alpha", type=_share("--alpha"), default=0.05, help="share peeled per step (default 0.05)")
    d.add_argument("--min-mass", type=_share("--min-mass"), default=0.05, help="smallest box, share of draws (0.05)")
    d.add_argument(
        "--min-coverage", type=_share("--min-coverage"), default=0.5, help="least coverage of a chosen box (0.5)"
    )
    d.add_argument("--max-boxes", type=_positive("--max-boxes"), default=2, help="boxes per target (default 2)")
    d.add_argument("--out", "-o", metavar="FILE.csv", help="write the boxes as CSV")
    d.set_defaults(func=_guard(cmd_discover))

    r = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a run",
        description="Run the plan's Monte Carlo, Sobol sensitivity and scenario discovery and write one HTML "
        "file (figures embedded) that opens in a browser with no server.",
        epilog="examples:\n  jzsim report --out jizhou.html\n  jzsim report --draws 20000 --backend numba -o big.html\n"
        "  jzsim report --compare 'no TFP growth:tfp_growth=0' --compare 'more FDI:attracted_investment=20'",
        formatter_class=fmt,
    )
    _common(r, "Monte Carlo draws (default 2000)", 2000)
    r.add_argument("--sampler", choices=("random", "lhs", "sobol"), default="random", help="sampler (default random)")
    r.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="override a parameter's nominal value in the run"
    )
    r.add_argument(
        "--compare",
        action="append",
        metavar="LABEL:NAME=VALUE[,...]",
        help="a variant to compare with the run (same draws), e.g. 'no TFP growth:tfp_growth=0'; repeatable",
    )
    r.add_argument(
        "--sensitivity-n",
        type=_positive("--sensitivity-n", 0),
        default=128,
        help="Sobol base samples for the sensitivity section (default 128; 0: skip)",
    )
    r.add_argument(
        "--out", "-o", metavar="FILE.html", default="jzsim_report.html", help="output file (default jzsim_report.html)"
    )
    r.set_defaults(func=_guard(cmd_report))
