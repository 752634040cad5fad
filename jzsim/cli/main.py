"""``jzsim``: run the plan scenario from the command line.

jzsim run                       # deterministic plan scenario: target table, key figures
jzsim run --draws 100000        # Monte Carlo: probability of meeting each target
jzsim run --scenario trend      # a built-in scenario (jzsim scenarios) or a .toml file
jzsim run -o out.nc             # write the results: .nc netCDF, .zarr zarr, .csv a long table
jzsim scenarios                 # the built-in scenarios
jzsim params                    # every parameter with unit, range, validity domain and source
jzsim targets                   # the target registry
jzsim describe                  # the model's equations, generated from its declaration
jzsim check-data                # inconsistencies inside the sources
jzsim compare plan trend        # scenarios side by side on the same draws, paired differences
jzsim sweep LEVER V1 V2 ...     # P(target met) as a function of a lever, one vectorized run
jzsim --version

Bad input gives one line on stderr and exit code 2 (never a traceback); an unexpected internal
error gives one line and exit code 1 (``JZSIM_DEBUG=1`` shows its traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

KEY = (
    ("gdp_real", "GDP, real (2020 prices)"),
    ("gdp_nominal", "GDP, nominal"),
    ("cluster_output_health", "Health cluster output"),
    ("cluster_output_materials", "New-materials cluster output"),
    ("cluster_output_equipment", "Equipment cluster output"),
    ("urbanisation", "Urbanisation rate"),
    ("income_urban", "Urban disposable income"),
    ("income_rural", "Rural disposable income"),
    ("reclaimed_share", "Reclaimed-water share"),
    ("groundwater_extraction", "Groundwater extraction"),
    ("groundwater_recharge", "Groundwater recharge"),
    ("groundwater_balance_shallow", "Groundwater balance, shallow layer"),
    ("groundwater_balance_deep", "Groundwater balance, deep layer"),
    ("groundwater_level_rise_shallow", "Water level rise, shallow layer"),
    ("groundwater_level_rise_deep", "Water level rise, deep layer"),
    ("water_shortage_total", "Water shortage, all uses"),
    ("water_per_wanyuan_gdp", "Water use per 10,000 yuan GDP"),
)


class UsageError(ValueError):
    """Bad command-line input: reported on one line with exit code 2."""


#: Output formats by suffix.
FORMATS = {".nc": "netCDF", ".zarr": "zarr", ".csv": "a long CSV table (variable, units, coordinates, value)"}
#: Throughput behind the up-front estimate of a Monte Carlo run (benchmarks/README.md, full run of
#: 2026-12-01 21:43 UTC, 2 cores: 10^7 plan draws in 25.6 s compiled, 108.8 s numpy), in draw-steps
#: per second at the plan's 60 steps; peak memory there was 456 / 695 MiB, flat in the draws.
RATES = {"numba": 1e7 * 60 / 25.6, "numpy": 1e7 * 60 / 108.8}
PEAK_MIB = {"numba": 456.0, "numpy": 695.0}
MAX_HOURS = 24.0


def _overrides(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for it in items or ():
        if "=" not in it:
            raise UsageError(f"--set {it!r}: expected NAME=VALUE, e.g. --set tfp_growth=0.02")
        k, v = it.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise UsageError(f"--set {k}: value {v!r} is not a number") from None
    return out


def _check_output(path: str | None) -> Path | None:
    """Refuse an output path before the run: unknown suffix, missing or unwritable directory,
    a format whose library is not installed."""
    if not path:
        return None
    p = Path(path)
    if p.suffix not in FORMATS:
        allowed = ", ".join(f"{k} ({v})" for k, v in FORMATS.items())
        raise UsageError(f"--output {path!r}: unknown format {p.suffix or '(no suffix)'!r}; allowed: {allowed}")
    parent = p.resolve().parent
    if not parent.is_dir():
        raise UsageError(f"--output {path!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--output {path!r}: directory {str(parent)!r} is not writable")
    if p.exists() and p.is_dir() and p.suffix != ".zarr":
        raise UsageError(f"--output {path!r} is a directory")
    needs = {".nc": ("netCDF4", "scipy"), ".zarr": ("zarr",)}.get(p.suffix, ())
    if needs:
        import importlib.util

        if not any(importlib.util.find_spec(m) for m in needs):
            raise UsageError(
                f"--output {path!r}: writing {FORMATS[p.suffix]} needs {' or '.join(needs)}; "
                "install it (pip install 'jzsim[dev]')"
            )
    return p


def _write(ds, path: Path) -> None:
    if path.suffix == ".nc":
        ds.to_netcdf(path)
    elif path.suffix == ".zarr":
        import zarr

        # zarr format 2 where zarr 3 is installed: its format 3 has no specification yet for the
        # string coordinates (target, statistic) and warns on every one of them
        v2 = {"zarr_format": 2} if int(zarr.__version__.split(".")[0]) >= 3 else {}
        ds.to_zarr(path, mode="w", **v2)
    else:
        frames = []
        for name, da in ds.data_vars.items():
            if not da.dims:
                continue
            df = da.to_dataframe(name="value").reset_index()
            df.insert(0, "units", da.attrs.get("units", ""))
            df.insert(0, "variable", name)
            frames.append(df)
        table = pd.concat(frames, ignore_index=True)
        table = table[[c for c in table.columns if c != "value"] + ["value"]]
        table.to_csv(path, index=False)
    print(f"\nwrote {path}")


def _estimate(draws: int, backend: str, model) -> tuple[float, float]:
    """Estimated seconds and MiB of a Monte Carlo run (see :data:`RATES`)."""
    s = model.settings
    steps = (s["stop"] - s["start"]) / s["dt"]
    return draws * steps / RATES[backend], PEAK_MIB[backend]


def _check_size(draws: int, backend: str, model) -> None:
    seconds, mib = _estimate(draws, backend, model)
    if seconds > MAX_HOURS * 3600:
        years = seconds / (3600 * 24 * 365.25)
        when = f"{years:,.3g} years" if years > 1 else f"{seconds / 3600:,.3g} h"
        raise UsageError(
            f"--draws {draws:,}: estimated {when} on this kind of machine ({RATES[backend] / 60:,.0f} draws/s with "
            f"{backend}, about {mib:,.0f} MiB); allowed: a run under {MAX_HOURS:g} h, i.e. "
            f"--draws <= {int(MAX_HOURS * 3600 * RATES[backend] / 60):,}"
        )


def _scenario(a):
    """The scenario to run (``--scenario`` with ``--set`` numbers fixed on top), or None."""
    from jzsim.params import load_parameters, with_overrides
    from jzsim.scenarios import load_scenario

    sets = _overrides(a.set)
    try:
        with_overrides(load_parameters(), sets)
    except (KeyError, ValueError) as exc:
        raise UsageError(f"--set: {_message(exc)}") from None
    if a.scenario is None and not sets:
        return None
    return load_scenario(a.scenario or "plan").with_params(sets, note="user: --set on the command line")


def _key_table(ds, years, stat: float | None = None) -> pd.DataFrame:
    rows = []
    tdim = "year" if "year" in ds.dims else "time"
    for name, label in KEY:
        if name not in ds:
            continue
        da = ds[name]
        da = da.sel(quantile=stat) if stat is not None else da.median("draw")
        units = ds[name].attrs.get("units", "")
        rows.append(
            {
                "indicator": label,
                "units": units,
                **{str(int(y)): float(da.sel({tdim: y})) for y in years if y in da[tdim]},
            }
        )
    return pd.DataFrame(rows).set_index("indicator")


def cmd_run(a) -> int:
    import jzsim

    out = _check_output(a.output)
    sc = _scenario(a)
    name = sc.name if sc is not None else "plan"
    model = jzsim.plan_model(scenario=sc)
    years = (2020, 2025, 2035)
    if a.draws is None:
        ds = jzsim.simulate(model=model)
        table = jzsim.targets(ds)
        cols = [
            c for c in ("target", "year", "model_value", "comparison", "threshold", "units", "status") if c in table
        ]
        print(f"Jizhou plan, scenario {name!r} (deterministic, nominal parameters)\n")
        print(table[cols].to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
        print("\nKey figures\n")
        print(_key_table(ds, years).to_string(float_format=lambda x: f"{x:,.4g}"))
        if out:
            _write(ds, out)
        return 0
    execution = jzsim.Execution(chunk_size=a.chunk_size, threads=a.threads)
    store = None
    if a.backend == "dask":  # a LocalCluster, or the scheduler at --scheduler; a .zarr output: a resumable store
        from jzsim.uncertainty.distributed import DaskExecution, default_kernel_backend

        store = out if out is not None and out.suffix == ".zarr" else None
        execution = DaskExecution(
            chunk_size=a.chunk_size,
            threads=a.threads,
            client=a.scheduler,
            n_workers=a.workers,
            kernel_backend=a.kernel,
            store=store,
        )
    elif a.scheduler or a.workers or a.kernel or a.keep_trajectories:
        raise UsageError("--scheduler, --workers, --kernel and --keep-trajectories go with --backend dask")
    _check_size(a.draws, a.kernel or default_kernel_backend() if a.backend == "dask" else a.backend, model)
    ds = jzsim.monte_carlo(
        draws=a.draws,
        seed=a.seed,
        sampler=a.sampler,
        backend=a.backend,
        progress=not a.no_progress,
        model=model,
        execution=execution,
        keep=bool(a.keep_trajectories),
    )
    ds.attrs["scenario"] = name
    n = ds.attrs["draws"]
    head = f"Jizhou plan, scenario {name!r}: {n:,} draws, seed {a.seed}, {a.sampler} sampler, {a.backend} backend"
    if ds.attrs["interrupted"]:
        head += f" (INTERRUPTED: {n:,} of {ds.attrs['draws_requested']:,} draws)"
    print(head + f", {ds.attrs['draws_per_second']:,.0f} draws/s\n")
    from jzsim.analysis.targets import load_targets

    t = load_targets().set_index("id")
    rows = []
    for tid in ds["target"].values:
        modelled = bool(ds["modelled"].sel(target=tid))
        r = {
            "target": tid,
            "year": int(t.loc[tid, "year"]) if pd.notna(t.loc[tid, "year"]) else "",
            "P(met)": str(ds["status"].sel(target=tid).values),
            "95% interval": "",
            "MC s.e.": "",
        }
        if modelled:
            p = float(ds["p_met"].sel(target=tid))
            r["P(met)"] = f"{p:.3f}"
            r["95% interval"] = (
                f"[{float(ds['p_met_low'].sel(target=tid)):.3f}, {float(ds['p_met_high'].sel(target=tid)):.3f}]"
            )
            r["MC s.e."] = f"{float(ds['p_met_se'].sel(target=tid)):.4f}"
        rows.append(r)
    print(pd.DataFrame(rows).to_string(index=False))
    print("\nMedian path (p50 over draws)\n")
    print(_key_table(ds, years, stat=0.5).to_string(float_format=lambda x: f"{x:,.4g}"))
    if store is not None:
        print(f"\n{'kept finished chunks in' if ds.attrs['interrupted'] else 'wrote'} {store}", end="")
        print(": run the same command again to resume" if ds.attrs["interrupted"] else " (jzsim.open_run)")
    elif out:
        _write(ds, out)
    return 130 if ds.attrs["interrupted"] else 0


def cmd_params(a) -> int:
    import jzsim

    df = jzsim.parameters()
    with pd.option_context("display.max_rows", None, "display.max_colwidth", a.width, "display.width", 250):
        print(df[["sector", "units", "value", "low", "high", "valid", "distribution", "source"]].to_string())
    return 0


def cmd_scenarios(a) -> int:
    from jzsim.scenarios import list_scenarios

    df = list_scenarios()
    with pd.option_context("display.max_colwidth", a.width, "display.width", 250):
        print(df[["base", "description", "plan_lines"]].to_string())
    print("\nRun one with: jzsim run --scenario NAME (or a .toml file; see jzsim.scenarios for the format)")
    return 0


def cmd_targets(a) -> int:
    from jzsim.analysis.targets import load_targets

    df = load_targets()
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 250):
        print(
            df[["id", "indicator", "kind", "comparison", "threshold", "units", "year", "source"]].to_string(index=False)
        )
    return 0


def cmd_describe(a) -> int:
    from jzsim.documentation import describe

    print(describe())
    return 0


def cmd_check_data(a) -> int:
    from jzsim.data.check import check_sources

    with pd.option_context("display.max_colwidth", 120, "display.width", 250):
        print(check_sources().to_string(index=False))
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with errors as one line (exit code 2) instead of usage plus message."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 1")
    return v


def parser() -> argparse.ArgumentParser:
    from jzsim import __version__

    p = _Parser(prog="jzsim", description="Jizhou District plan simulation")
    p.add_argument("--version", action="version", version=f"jzsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="run a scenario and print the target table")
    r.add_argument("--scenario", "-s", default=None, help="built-in scenario name (jzsim scenarios) or .toml file")
    r.add_argument(
        "--draws", type=_positive_int, default=None, help="Monte Carlo draws (default: one deterministic run)"
    )
    r.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    r.add_argument("--sampler", choices=("random", "lhs", "sobol"), default="random")
    r.add_argument("--backend", choices=("numpy", "numba", "dask"), default="numpy")
    r.add_argument("--keep-trajectories", action="store_true", help="--backend dask: keep each draw's trajectories")
    r.add_argument("--workers", type=_positive_int, default=None, help="--backend dask: LocalCluster workers")
    r.add_argument("--scheduler", default=None, help="--backend dask: scheduler address instead of a LocalCluster")
    r.add_argument("--kernel", choices=("numba", "numpy"), default=None, help="--backend dask: workers' kernel")
    r.add_argument("--chunk-size", type=_positive_int, default=None)
    r.add_argument(
        "--threads", type=int, default=None, help="numpy backend: threads per chunk (default: every usable CPU)"
    )
    r.add_argument("--set", action="append", metavar="NAME=VALUE", help="fix a parameter at VALUE in every draw")
    r.add_argument("--quiet", "-q", "--no-progress", dest="no_progress", action="store_true", help="no progress bar")
    r.add_argument(
        "--out",
        "-o",
        "--output",
        dest="output",
        help="write the results: .nc (netCDF), .zarr (zarr; with --backend dask written chunk by chunk, "
        "and the same command resumes it) or .csv (a long table)",
    )
    r.set_defaults(func=cmd_run)
    sc = sub.add_parser("scenarios", help="list the built-in scenarios")
    sc.add_argument("--width", type=int, default=90)
    sc.set_defaults(func=cmd_scenarios)
    pp = sub.add_parser("params", help="list every parameter with its source")
    pp.add_argument("--width", type=int, default=70)
    pp.set_defaults(func=cmd_params)
    sub.add_parser("targets", help="list the plan's targets").set_defaults(func=cmd_targets)
    sub.add_parser("describe", help="print the model's equations").set_defaults(func=cmd_describe)
    sub.add_parser("check-data", help="report inconsistencies inside the sources").set_defaults(func=cmd_check_data)
    from jzsim.cli.analysis import add_parsers as add_analysis_parsers
    from jzsim.cli.calibration import add_parsers as add_calibration_parsers
    from jzsim.cli.experiments import add_parsers as add_experiment_parsers

    add_experiment_parsers(sub)  # compare, sweep
    add_analysis_parsers(sub)  # sensitivity, discover, report
    add_calibration_parsers(sub)  # calibrate, goal
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 1 internal error, 130 interrupted)."""
    from jzsim.engine.model import ModelError

    try:
        a = parser().parse_args(argv)
        return a.func(a)
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return int(exc.code or 0) if isinstance(exc.code, (int, type(None))) else _fail(str(exc.code), 2)
    except KeyboardInterrupt as exc:
        print(f"jzsim: interrupted{': ' + str(exc) if str(exc) else ''}", file=sys.stderr)
        return 130
    except (UsageError, ModelError, KeyError, ValueError, TypeError, FloatingPointError, OSError) as exc:
        if os.environ.get("JZSIM_DEBUG"):
            raise
        return _fail(_message(exc), 2)
    except Exception as exc:  # an unexpected error is still one line, never a traceback
        if os.environ.get("JZSIM_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {_message(exc)} (JZSIM_DEBUG=1 shows the traceback)", 1)


def _message(exc: BaseException) -> str:
    msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(str(msg).split()) or type(exc).__name__


def _fail(msg: str, code: int) -> int:
    print(f"jzsim: error: {msg}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
