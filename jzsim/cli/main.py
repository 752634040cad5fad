"""``jzsim``: run the plan scenario from the command line.

jzsim run                       # deterministic plan scenario: target table, key figures
jzsim run --draws 100000        # Monte Carlo: probability of meeting each target
jzsim params                    # every parameter with unit, range and source
jzsim targets                   # the target registry
jzsim describe                  # the model's equations, generated from its declaration
jzsim check-data                # inconsistencies inside the sources
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    ("water_per_wanyuan_gdp", "Water use per 10,000 yuan GDP"),
)


def _overrides(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for it in items or ():
        if "=" not in it:
            raise SystemExit(f"jzsim: --set {it!r}: expected NAME=VALUE, e.g. --set tfp_growth=0.02")
        k, v = it.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise SystemExit(f"jzsim: --set {k}: value {v!r} is not a number") from None
    return out


def _key_table(ds, years, stat=None) -> pd.DataFrame:
    rows = []
    tdim = "year" if "year" in ds.dims else "time"
    for name, label in KEY:
        if name not in ds:
            continue
        da = ds[name]
        da = da.sel(statistic=stat) if stat else da.median("draw")
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

    params = _overrides(a.set)
    years = (2020, 2025, 2035)
    if a.draws is None:
        from jzsim.params import with_overrides

        model = jzsim.plan_model(parameters=with_overrides(jzsim.load_parameters(), params))
        ds = jzsim.simulate(model=model)
        table = jzsim.targets(ds)
        cols = [
            c for c in ("target", "year", "model_value", "comparison", "threshold", "units", "status") if c in table
        ]
        print("Jizhou plan scenario (deterministic, nominal parameters)\n")
        print(table[cols].to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
        print("\nKey figures\n")
        print(_key_table(ds, years).to_string(float_format=lambda x: f"{x:,.4g}"))
        if a.output:
            ds.to_netcdf(a.output)
            print(f"\nwrote {a.output}")
        return 0
    from jzsim.uncertainty.montecarlo import monte_carlo

    ds = monte_carlo(
        draws=a.draws,
        seed=a.seed,
        sampler=a.sampler,
        backend=a.backend,
        chunk_size=a.chunk_size,
        progress=not a.no_progress,
        params=params,
        threads=a.threads,
    )
    n = ds.attrs["draws"]
    head = f"Jizhou plan scenario: {n:,} draws, seed {a.seed}, {a.sampler} sampler, {a.backend} backend"
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
    print(_key_table(ds, years, stat="p50").to_string(float_format=lambda x: f"{x:,.4g}"))
    if a.output:
        ds.to_netcdf(a.output)
        print(f"\nwrote {a.output}")
    return 130 if ds.attrs["interrupted"] else 0


def cmd_params(a) -> int:
    import jzsim

    df = jzsim.parameters()
    with pd.option_context("display.max_rows", None, "display.max_colwidth", a.width, "display.width", 250):
        print(df[["sector", "units", "value", "low", "high", "valid", "distribution", "source"]].to_string())
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jzsim", description="Jizhou District plan simulation")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the plan scenario and print the target table")
    r.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (default: one deterministic run)")
    r.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    r.add_argument("--sampler", choices=("random", "lhs", "sobol"), default="random")
    r.add_argument("--backend", choices=("numpy", "numba"), default="numpy")
    r.add_argument("--chunk-size", type=int, default=None)
    r.add_argument(
        "--threads", type=int, default=None, help="numpy backend: threads per chunk (default: every usable CPU)"
    )
    r.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter's nominal value")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--output", "-o", help="write the result Dataset to this netCDF file")
    r.set_defaults(func=cmd_run)
    pp = sub.add_parser("params", help="list every parameter with its source")
    pp.add_argument("--width", type=int, default=70)
    pp.set_defaults(func=cmd_params)
    sub.add_parser("targets", help="list the plan's targets").set_defaults(func=cmd_targets)
    sub.add_parser("describe", help="print the model's equations").set_defaults(func=cmd_describe)
    sub.add_parser("check-data", help="report inconsistencies inside the sources").set_defaults(func=cmd_check_data)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    a = parser().parse_args(argv)
    if getattr(a, "draws", None) is not None and a.draws < 1:
        print(f"jzsim: --draws is {a.draws}; allowed: an integer >= 1", file=sys.stderr)
        return 2
    try:
        return a.func(a)
    except (KeyError, ValueError) as exc:
        print(f"jzsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jzsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
