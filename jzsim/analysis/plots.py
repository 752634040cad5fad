"""Figures of model results, each a function returning a :class:`matplotlib.figure.Figure`.

Every function takes any of the three shapes jzsim results come in:

- a Monte Carlo summary (:func:`jzsim.monte_carlo`): variables over ``(statistic, year)`` with
  ``p05 ... p95`` among the statistics;
- per-draw results (:func:`jzsim.simulate` over arrays, or ``keep=True``): quantiles are taken
  over ``draw``;
- a deterministic run (one draw): a single line.

Axes are labelled in English with units; the plan's targets are marked where a figure shows a
target's indicator. Figures are made with the object-oriented API (no pyplot state), so they work
under any backend, including Agg in tests and in ``jzsim report``.

>>> fig = fan_chart(jzsim.monte_carlo(draws=2000), "gdp_real")   # doctest: +SKIP
>>> fig.savefig("gdp.png")                                        # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "FIGURE_OUTPUTS",
    "AQUIFER_OUTPUTS",
    "fan_chart",
    "clusters_chart",
    "water_balance_chart",
    "aquifer_chart",
    "sensitivity_bars",
    "scenario_comparison",
    "prim_trajectory",
    "unit_label",
]

#: Monte Carlo outputs the figures read, besides the defaults: ``jzsim.monte_carlo(outputs=...)``
FIGURE_OUTPUTS = ("gdp_real", "gdp_growth", "cluster_output", "water_supply", "water_demand", "water_demand_total")
#: The three leading clusters' 2025 target (plan ch.9): 100 亿元 a year each.
CLUSTER_TARGET = 100.0
_UNIT_WORDS = {
    "yiyuan/year": "100 million yuan/year",
    "yiyuan": "100 million yuan",
    "yi_m3/year": "100 million m3/year",
    "yi_m3": "100 million m3",
    "yuan/person/year": "yuan per person per year",
    "1/year": "per year",
    "m3/wanyuan": "m3 per 10,000 yuan",
    "m/year": "m per year",
}
_BANDS = (("p05", "p95", 0.18, "5-95% of draws"), ("p25", "p75", 0.35, "25-75% of draws"))


def _plain(text: str) -> str:
    """A description without its Chinese gloss, for figure titles (the default fonts lack CJK glyphs)."""
    text = re.sub(r"\s*\([^)]*[^\x00-\x7f][^)]*\)", "", str(text))
    return re.sub(r"[^\x00-\x7f]+", "", text).strip()


def unit_label(units: str) -> str:
    """Units in words for an axis: ``"yiyuan/year"`` -> ``"100 million yuan/year"``, ``"1"`` -> ``"share"``."""
    units = str(units or "").strip()
    if units in ("", "1"):
        return "share" if units == "1" else ""
    return _UNIT_WORDS.get(units, units)


def _figure(figsize=(7.5, 4.5)):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _tdim(da: xr.DataArray) -> str:
    for d in ("year", "time"):
        if d in da.dims:
            return d
    raise ValueError(f"{da.name!r} has no year (or time) dimension; dims are {da.dims}")


def _pick(ds: xr.Dataset, name: str, select: Mapping[str, str] | None) -> xr.DataArray:
    if name not in ds:
        import difflib

        close = difflib.get_close_matches(name, [str(v) for v in ds.data_vars], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"{name!r} is not in the results{hint}")
    da = ds[name]
    if select:
        da = da.sel(select)
    return da


def _quantiles(da: xr.DataArray) -> dict[str, xr.DataArray]:
    """``{"p05", "p25", "p50", "p75", "p95"}`` (only p50 for one draw) over the time dim."""
    if "statistic" in da.dims:
        stats = [str(s) for s in da["statistic"].values]
        return {s: da.sel(statistic=s, drop=True) for s in ("p05", "p25", "p50", "p75", "p95") if s in stats}
    if "draw" in da.dims and da.sizes["draw"] > 1:
        q = da.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="draw")
        return {s: q.isel(quantile=i, drop=True) for i, s in enumerate(("p05", "p25", "p50", "p75", "p95"))}
    if "draw" in da.dims:
        da = da.isel(draw=0, drop=True)
    return {"p50": da}


def _plot_bands(ax, q: dict[str, xr.DataArray], color, label: str):
    t = q["p50"][_tdim(q["p50"])].values
    for lo, hi, alpha, what in _BANDS:
        if lo in q and hi in q:
            ax.fill_between(t, q[lo].values, q[hi].values, color=color, alpha=alpha, lw=0, label=f"{label}: {what}")
    ax.plot(t, q["p50"].values, color=color, lw=2, label=f"{label}: median" if len(q) > 1 else label)


def _target_rows(name: str, select: Mapping[str, str] | None, registry) -> pd.DataFrame:
    if registry is None:
        from jzsim.analysis.targets import load_targets

        registry = load_targets()
    sel = ";".join(f"{k}={v}" for k, v in (select or {}).items())
    rows = registry[(registry["indicator"] == name) & (registry["selector"].fillna("") == sel)]
    if rows.empty and not select:  # a member variable named like cluster_output_health
        for idx, r in registry.iterrows():
            labels = [p.split("=", 1)[1].strip() for p in str(r["selector"] or "").split(";") if "=" in p]
            if labels and name == "_".join([r["indicator"], *labels]):
                rows = registry.loc[[idx]]
    return rows


def _mark_targets(ax, da: xr.DataArray, q, rows: pd.DataFrame) -> int:
    """Mark each target on the axes: a level as a point at (year, threshold), a growth target as the
    path from the base year's median at the target rate. Returns the number marked."""
    marked = 0
    for _, r in rows.iterrows():
        thr = r["threshold"]
        if not np.isfinite(thr) or r["reference"]:
            continue
        if r["kind"] == "level":
            ax.plot(
                [r["year"]],
                [thr],
                marker="*",
                ms=14,
                color="crimson",
                ls="none",
                zorder=5,
                label=f"plan target {r['comparison']} {thr:g} {r['units']} in {int(r['year'])}",
            )
            marked += 1
        elif r["kind"] == "cagr":
            med = q["p50"]
            tdim = _tdim(med)
            base = int(r["base_year"])
            if base not in [int(round(float(x))) for x in med[tdim].values]:
                continue
            x0 = float(med.sel({tdim: base}))
            years = np.arange(base, int(r["year"]) + 1)
            ax.plot(
                years,
                x0 * (1 + thr) ** (years - base),
                color="crimson",
                ls="--",
                lw=1.5,
                label=f"plan target: {thr:.0%}/yr {base}-{int(r['year'])}",
            )
            marked += 1
    return marked


def fan_chart(
    ds: xr.Dataset,
    name: str,
    *,
    select: Mapping[str, str] | None = None,
    targets: bool | pd.DataFrame = True,
    title: str | None = None,
    color: str = "C0",
    ax=None,
):
    """Fan chart of one variable over the years: median, 25-75% and 5-95% bands of the draws.

    Parameters
    ----------
    ds : xarray.Dataset
        Monte Carlo summary, per-draw results or a deterministic run (see the module docstring).
    name : str
        Variable, e.g. ``"gdp_real"`` or the group ``"cluster_output"`` with ``select``.
    select : mapping, optional
        Labels of a group's dim, e.g. ``{"cluster": "health"}``.
    targets : bool or DataFrame, default True
        Mark the plan's targets on this indicator (True: the plan's registry; a DataFrame: that
        registry; False: none). A level target is a star at (year, threshold); a growth target the
        path at the target rate from the base year's median.
    title : str, optional
        Default: the variable's description.
    color : str, default "C0"
    ax : matplotlib Axes, optional
        Draw into these axes (its figure is returned).

    Returns
    -------
    matplotlib.figure.Figure
    """
    da = _pick(ds, name, select)
    fig, ax = _figure() if ax is None else (ax.figure, ax)
    q = _quantiles(da)
    label = name + (" (" + ", ".join(f"{v}" for v in select.values()) + ")" if select else "")
    _plot_bands(ax, q, color, label)
    if targets is not False:
        rows = _target_rows(name, select, None if targets is True else targets)
        _mark_targets(ax, da, q, rows)
    units = da.attrs.get("units", ds[name].attrs.get("units", ""))
    tdim = _tdim(q["p50"])
    ax.set_xlabel("year" if tdim == "year" else f"time [{ds[tdim].attrs.get('units', '')}]")
    ax.set_ylabel(f"{label} [{unit_label(units)}]")
    desc = _plain(ds[name].attrs.get("description", name))
    ax.set_title(title or desc[:1].upper() + desc[1:])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def clusters_chart(ds: xr.Dataset, *, threshold: float = CLUSTER_TARGET, title: str | None = None):
    """The three leading clusters' output against the plan's 100 亿元 (10 billion yuan) line.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``cluster_output`` over ``cluster`` (or the three ``cluster_output_<name>``).
    threshold : float, default 100
        The target line [yiyuan/year] (plan ch.9: each cluster reaches 100 亿元 a year by 2025).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure()
    if "cluster_output" in ds:
        labels = [str(c) for c in ds["cluster"].values]
        series = {c: ds["cluster_output"].sel(cluster=c) for c in labels}
        units = ds["cluster_output"].attrs.get("units", "")
    else:
        labels = ["health", "materials", "equipment"]
        missing = [f"cluster_output_{c}" for c in labels if f"cluster_output_{c}" not in ds]
        if missing:
            raise KeyError(f"results have no cluster_output (nor {', '.join(missing)})")
        series = {c: ds[f"cluster_output_{c}"] for c in labels}
        units = ds["cluster_output_health"].attrs.get("units", "")
    for i, (c, da) in enumerate(series.items()):
        _plot_bands(ax, _quantiles(da), f"C{i}", c)
    ax.axhline(threshold, color="crimson", ls="--", lw=1.5, label=f"plan target {threshold:g} {units} (2025)")
    ax.axvline(2025, color="grey", ls=":", lw=1)
    ax.set_xlabel("year")
    ax.set_ylabel(f"cluster output [{unit_label(units)}]")
    ax.set_title(title or "Leading industrial clusters against the 100 yiyuan (10 billion yuan) target")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    return fig


def water_balance_chart(ds: xr.Dataset, *, by: str = "source", title: str | None = None):
    """Water supply stacked by source against total demand (``by="source"``), or demand stacked by
    use against total supply (``by="use"``); medians over draws.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``water_supply`` over ``water_source`` and ``water_demand`` over ``water_use``
        (or ``water_demand_total``).
    by : {"source", "use"}, default "source"

    Returns
    -------
    matplotlib.figure.Figure
    """
    if by not in ("source", "use"):
        raise ValueError(f"by is {by!r}; allowed: 'source', 'use'")
    stacked, dim, line = (
        ("water_supply", "water_source", "demand") if by == "source" else ("water_demand", "water_use", "supply")
    )
    if stacked not in ds:
        raise KeyError(f"results have no {stacked!r} (run with it among the outputs)")
    fig, ax = _figure()
    med = {str(k): _quantiles(ds[stacked].sel({dim: k}))["p50"] for k in ds[dim].values}
    t = next(iter(med.values()))[_tdim(next(iter(med.values())))].values
    ax.stackplot(t, *[v.values for v in med.values()], labels=[f"{k} ({by})" for k in med], alpha=0.8)
    if line == "demand":
        total = ds["water_demand_total"] if "water_demand_total" in ds else ds["water_demand"].sum(dim="water_use")
        total_label = "total demand"
    else:
        total = ds["water_supply"].sum(dim="water_source") if "water_supply" in ds else None
        total_label = "total supply"
    if total is not None:
        q = _quantiles(total)
        ax.plot(t, q["p50"].values, color="black", lw=2, label=f"{total_label} (median)")
        if "p05" in q:
            ax.fill_between(
                t,
                q["p05"].values,
                q["p95"].values,
                color="black",
                alpha=0.12,
                lw=0,
                label=f"{total_label}: 5-95% of draws",
            )
    units = ds[stacked].attrs.get("units", "")
    ax.set_xlabel("year")
    ax.set_ylabel(f"water [{unit_label(units)}]")
    ax.set_title(
        title or ("Water supply by source against demand" if by == "source" else "Water demand by use against supply")
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    return fig


#: Outputs :func:`aquifer_chart` reads, per layer: ``jzsim.monte_carlo(outputs=AQUIFER_OUTPUTS)``
AQUIFER_OUTPUTS = tuple(
    f"groundwater_{what}_{layer}"
    for layer in ("shallow", "deep")
    for what in ("recharge", "pumping", "balance", "level_rise")
)


def aquifer_chart(ds: xr.Dataset, *, title: str | None = None):
    """The two aquifer layers side by side: per-layer balance (top) and water-level change (bottom).

    Top row, per layer (shallow, deep): recharge (all inflow other than pumping: rainfall and
    irrigation return, lateral inflow, leakage), pumping, and their difference, the layer's balance
    (storage change), in 100 million m3/year. Bottom row: the water-level rise per year in m/year
    (negative: falling), with a zero line. A Monte Carlo summary (``statistic`` dim) or per-draw
    results are drawn as median with a 5-95% band; a deterministic run as single lines.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with the variables in :data:`AQUIFER_OUTPUTS` (``groundwater_recharge_shallow``,
        ``groundwater_pumping_deep``, ``groundwater_level_rise_deep``, ...).
    title : str, optional
        Figure title; default "Aquifer layers: balance and water-level change".

    Returns
    -------
    matplotlib.figure.Figure
        Four axes: ``[balance shallow, balance deep, level shallow, level deep]``.
    """
    from matplotlib.figure import Figure

    missing = [v for v in AQUIFER_OUTPUTS if v not in ds]
    if missing:
        raise KeyError(
            f"results have no {', '.join(repr(m) for m in missing)} "
            "(run with jzsim.analysis.plots.AQUIFER_OUTPUTS among the outputs)"
        )
    fig = Figure(figsize=(10, 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    flows = (("recharge", "recharge", "C0"), ("pumping", "pumping", "C3"), ("balance", "balance", "black"))
    for j, layer in enumerate(("shallow", "deep")):
        ax = axes[0, j]
        for what, label, color in flows:
            q = _quantiles(ds[f"groundwater_{what}_{layer}"])
            q = {k: v for k, v in q.items() if k in ("p05", "p50", "p95")}
            t = q["p50"][_tdim(q["p50"])].values
            if "p05" in q:
                ax.fill_between(t, q["p05"].values, q["p95"].values, color=color, alpha=0.15, lw=0)
            ax.plot(
                t,
                q["p50"].values,
                color=color,
                lw=2,
                ls="--" if what == "balance" else "-",
                label=label + (" (median, 5-95% band)" if "p05" in q else ""),
            )
        ax.axhline(0.0, color="grey", lw=0.8)
        units = ds[f"groundwater_balance_{layer}"].attrs.get("units", "yi_m3/year")
        ax.set_ylabel(f"{layer} layer [{unit_label(units)}]")
        ax.set_title(f"{layer.capitalize()} aquifer: recharge, pumping and balance")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        ax = axes[1, j]
        da = ds[f"groundwater_level_rise_{layer}"]
        q = {k: v for k, v in _quantiles(da).items() if k in ("p05", "p50", "p95")}
        t = q["p50"][_tdim(q["p50"])].values
        if "p05" in q:
            ax.fill_between(t, q["p05"].values, q["p95"].values, color="C2", alpha=0.2, lw=0)
        ax.plot(
            t,
            q["p50"].values,
            color="C2",
            lw=2,
            label="level rise" + (" (median, 5-95% band)" if "p05" in q else ""),
        )
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xlabel("year")
        ax.set_ylabel(f"{layer} level change [{unit_label(da.attrs.get('units', 'm/year'))}]")
        ax.set_title(f"{layer.capitalize()} aquifer: water-level rise (negative: falling)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(title or "Aquifer layers: balance and water-level change")
    return fig


def sensitivity_bars(
    si: xr.Dataset,
    target: str | None = None,
    *,
    measure: str = "value",
    output: str | None = None,
    year=None,
    top: int = 12,
    title: str | None = None,
):
    """Horizontal bars of the most influential parameters: Sobol ``ST`` and ``S1`` with their
    intervals (from :func:`jzsim.analysis.sensitivity.sobol`), or Morris ``mu_star`` (from
    :func:`~jzsim.analysis.sensitivity.morris`).

    Parameters
    ----------
    si : xarray.Dataset
    target, measure, output, year
        As in :func:`jzsim.analysis.sensitivity.ranking`.
    top : int, default 12
        Parameters shown, most important first.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from jzsim.analysis.sensitivity import ranking

    df = ranking(si, target, measure=measure, output=output, year=year).head(top)[::-1]
    fig, ax = _figure((7.5, 0.35 * len(df) + 1.6))
    y = np.arange(len(df))
    if "ST" in df:
        for col, off, color, lab in (("ST", 0.2, "C0", "total order ST"), ("S1", -0.2, "C1", "first order S1")):
            err = np.vstack([df[col] - df[f"{col}_low"], df[f"{col}_high"] - df[col]]).clip(min=0)
            ax.barh(y + off, df[col], height=0.38, color=color, xerr=err, capsize=2, label=f"{lab} (95% interval)")
        ax.set_xlabel("Sobol index [share of output variance]")
    else:
        ax.barh(
            y,
            df["mu_star"],
            height=0.6,
            color="C2",
            xerr=df["mu_star_conf"],
            capsize=2,
            label="Morris mu* (95% interval)",
        )
        ax.set_xlabel("mean absolute elementary effect [output units per unit of quantile]")
    ax.set_yticks(y, list(df.index), fontsize=8)
    what = output or (target or str(si["target"].values[0])) + ("" if measure == "value" else " (met or not)")
    ax.set_title(title or f"Sensitivity of {what}")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def scenario_comparison(
    results: Mapping[str, xr.Dataset],
    name: str,
    *,
    select: Mapping[str, str] | None = None,
    targets: bool | pd.DataFrame = True,
    title: str | None = None,
):
    """One variable under several scenarios: median and 5-95% band of each.

    Parameters
    ----------
    results : mapping
        Scenario name -> results (any of the shapes in the module docstring).
    name, select, targets
        As in :func:`fan_chart`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("results is empty; allowed: a mapping of scenario name -> results")
    fig, ax = _figure()
    first = None
    for i, (scen, ds) in enumerate(results.items()):
        da = _pick(ds, name, select)
        q = {k: v for k, v in _quantiles(da).items() if k in ("p05", "p50", "p95")}
        t = q["p50"][_tdim(q["p50"])].values
        if "p05" in q:
            ax.fill_between(t, q["p05"].values, q["p95"].values, color=f"C{i}", alpha=0.18, lw=0)
        ax.plot(
            t, q["p50"].values, color=f"C{i}", lw=2, label=f"{scen}" + (" (median, 5-95% band)" if "p05" in q else "")
        )
        first = first or (ds, q)
    if targets is not False:
        ds0, q0 = first
        _mark_targets(ax, ds0[name], q0, _target_rows(name, select, None if targets is True else targets))
    units = first[0][name].attrs.get("units", "")
    ax.set_xlabel("year")
    label = name + (" (" + ", ".join(str(v) for v in select.values()) + ")" if select else "")
    ax.set_ylabel(f"{label} [{unit_label(units)}]")
    desc = _plain(first[0][name].attrs.get("description", name))
    ax.set_title(title or f"{desc[:1].upper() + desc[1:]}: scenarios compared")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def prim_trajectory(result, *, title: str | None = None):
    """PRIM's peeling trajectory: density against coverage, the chosen box marked.

    Parameters
    ----------
    result : jzsim.analysis.discovery.PrimResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure((6, 4.5))
    t = result.trajectory
    sc = ax.scatter(t["coverage"], t["density"], c=t["n_restricted"], cmap="viridis", s=18)
    fig.colorbar(sc, ax=ax, label="parameters restricted [count]")
    for i, b in enumerate(result.boxes):
        ax.plot(
            [b.coverage],
            [b.density],
            marker="o",
            ms=12,
            mfc="none",
            mec="crimson",
            mew=2,
            ls="none",
            label=f"box {i + 1}: {len(b.limits)} conditions",
        )
    ax.axhline(result.base_rate, color="grey", ls=":", label=f"share of all draws ({result.base_rate:.0%})")
    ax.set_xlabel("coverage [share of all cases inside the box]")
    ax.set_ylabel("density [share of the box's draws that are cases]")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(title or "PRIM peeling trajectory")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig
