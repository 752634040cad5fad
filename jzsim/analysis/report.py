"""A self-contained HTML report of a Monte Carlo run of the plan.

One file, no server, no external links: figures are PNGs embedded as base64 ``data:`` URIs and
the style sheet is inline. Sections (each a ``<section id=...>``):

``scenario``     the scenario, the run's settings and every uncertain parameter's assumption;
``targets``      every plan target with P(met), its 95% interval and its status;
``figures``      fan charts, the clusters against 100 亿元, the water balance by source and by use;
``sensitivity``  Sobol indices of the main targets, ranked, with intervals;
``discovery``    PRIM failure boxes in plain words;
``provenance``   versions, data hash and where every parameter's number comes from.

>>> mc = jzsim.monte_carlo(2000, outputs=report_outputs())   # doctest: +SKIP
>>> write_report("jizhou.html", mc)                           # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["build_report", "write_report", "report_outputs", "SECTIONS", "SENSITIVITY_TARGETS"]

SECTIONS = ("scenario", "targets", "figures", "sensitivity", "discovery", "provenance")
#: Targets whose Sobol indices the report shows (when the model judges them).
SENSITIVITY_TARGETS = (
    "gdp_growth_2021_2025",
    "health_cluster_output_2025",
    "materials_cluster_output_2025",
    "equipment_cluster_output_2025",
)

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f3f3f3}figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.note{color:#555;font-size:.9em}li{margin:.3em 0}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure_html(fig, caption: str, fid: str) -> str:
    return (
        f'<figure id="{fid}"><img alt="{html.escape(caption)}" src="data:image/png;base64,{_png(fig)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _table(df: pd.DataFrame, **kw) -> str:
    return df.to_html(index=False, border=0, escape=True, na_rep="", **kw)


def report_outputs(*, params: Mapping[str, Any] | None = None, scenario: Any = None) -> list[str]:
    """The Monte Carlo outputs a report reads: the targets' indicators and references, the headline
    outputs (:data:`jzsim.plan.HEADLINE`) and the figures' (:data:`jzsim.analysis.plots.FIGURE_OUTPUTS`).

    >>> mc = jzsim.monte_carlo(2000, outputs=report_outputs())      # doctest: +SKIP
    """
    from jzsim.analysis import plots
    from jzsim.analysis.targets import load_targets
    from jzsim.params import load_parameters, with_overrides
    from jzsim.plan import HEADLINE, plan_model

    cm = plan_model(parameters=with_overrides(load_parameters(), params), scenario=scenario).build()
    names = set(cm.output_names) | set(cm.derived) | set(cm.groups)
    registry = load_targets()
    wanted = [str(x) for col in ("indicator", "reference") for x in registry[col].dropna() if str(x) in names]
    return [o for o in dict.fromkeys([*wanted, *HEADLINE, *plots.FIGURE_OUTPUTS]) if o in names]


def build_report(
    mc: xr.Dataset,
    *,
    variants: Mapping[str, xr.Dataset] | None = None,
    params: Mapping[str, Any] | None = None,
    scenario: Any = None,
    sensitivity_n: int = 128,
    sensitivity_targets: Sequence[str] = SENSITIVITY_TARGETS,
    discovery_draws: int | None = None,
    title: str = "Jizhou District 14th Five-Year Plan: simulation report",
) -> str:
    """The HTML report of a Monte Carlo run of the plan (and of variants to compare it with).

    Parameters
    ----------
    mc : xarray.Dataset
        :func:`jzsim.monte_carlo` results with ``outputs=report_outputs(...)``; its seed,
        sampler and backend (attrs) are used for the sensitivity and discovery runs too.
    variants : mapping, optional
        Label -> Monte Carlo results of a variant (same outputs, best the same seed): their P(met)
        join the target table and their medians the comparison figures.
    params, scenario : optional
        The overrides and scenario ``mc`` was run with (the sensitivity and discovery sections
        re-run the model with them; the scenario section lists them).
    sensitivity_n : int, default 128
        Sobol base samples N (N (k + 2) model runs); 0 skips the section's computation.
    sensitivity_targets : sequence of str
        Targets whose indices are shown.
    discovery_draws : int, optional
        Draws searched by PRIM (default: as many as ``mc``).

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> mc = jzsim.monte_carlo(2000, outputs=report_outputs())                # doctest: +SKIP
    >>> slow = jzsim.monte_carlo(2000, params={"tfp_growth": 0}, outputs=report_outputs())  # doctest: +SKIP
    >>> html = build_report(mc, variants={"no TFP growth": slow})             # doctest: +SKIP
    """
    from jzsim.analysis import plots
    from jzsim.analysis.discovery import discover
    from jzsim.analysis.sensitivity import ranking, sobol
    from jzsim.analysis.targets import load_targets
    from jzsim.params import load_parameters, with_overrides
    from jzsim.plan import plan_model

    if not isinstance(mc, xr.Dataset) or "p_met" not in mc:
        raise ValueError("mc must be jzsim.monte_carlo results (with p_met over target)")
    missing = [v for v in ("gdp_real", "cluster_output", "water_supply", "water_demand") if v not in mc]
    if missing:
        raise ValueError(f"mc lacks {', '.join(missing)}: run jzsim.monte_carlo(..., outputs=report_outputs())")
    t0 = time.perf_counter()
    registry = load_targets()
    model = plan_model(parameters=with_overrides(load_parameters(), params), scenario=scenario)
    cm = model.build()
    parameters = {v.name: v.parameter for v in cm.params if v.parameter is not None}
    sc = getattr(model, "scenario", None)
    scenario_name = sc.name if sc is not None else str(mc.attrs.get("scenario", "plan"))
    seed = int(mc.attrs.get("seed", 0))
    sampler = str(mc.attrs.get("sampler", "random"))
    backend = str(mc.attrs.get("backend", "numpy"))
    draws = int(mc.attrs.get("draws", 2000))
    variants = {str(k): v for k, v in (variants or {}).items()}
    parts: dict[str, str] = {}

    # ---- scenario and assumptions
    unc = [p for p in parameters.values() if p.uncertain]
    overrides = "".join(
        f"<li><code>{html.escape(k)}</code> = {html.escape(str(v))}</li>" for k, v in (params or {}).items()
    )
    ptab = pd.DataFrame(
        [
            {
                "parameter": p.name,
                "units": p.units,
                "nominal": p.value,
                "low": p.low,
                "high": p.high,
                "distribution": p.distribution,
                "description": p.description,
            }
            for p in unc
        ]
    )
    parts["scenario"] = (
        "<h2>Scenario and assumptions</h2>"
        f"<p>Scenario <b>{html.escape(scenario_name)}</b>"
        + (f" ({html.escape(sc.description)})" if sc is not None and sc.description else "")
        + ": the plan's nominal parameters"
        + (" with the scenario's numbers, schedules and uncertainty" if sc is not None else "")
        + (f", with these overrides:</p><ul>{overrides}</ul>" if overrides else " (no overrides).</p>")
        + "".join(
            f"<p>Compared with <b>{html.escape(lab)}</b> ({v.attrs.get('draws', '?'):,} draws, seed "
            f"{v.attrs.get('seed', '?')}, scenario {html.escape(str(v.attrs.get('scenario', '')))}).</p>"
            for lab, v in variants.items()
        )
        + f"<p>{mc.attrs['draws']:,} Monte Carlo draws, seed {seed}, {html.escape(sampler)} sampler, "
        f"{html.escape(backend)} backend, {html.escape(mc.attrs['method'])} integration with dt = {mc.attrs['dt']} year, "
        f"{int(mc['year'].values[0])}-{int(mc['year'].values[-1])}.</p>"
        f"<p>{len(unc)} uncertain parameters (every other parameter at its nominal value; sources in "
        f'<a href="#provenance">Provenance</a>):</p>' + _table(ptab, float_format=lambda x: f"{x:.4g}")
    )

    # ---- targets
    rows = []
    reg = registry.set_index("id")
    for tid in mc["target"].values:
        r = reg.loc[tid]
        modelled = bool(mc["modelled"].sel(target=tid))
        p = float(mc["p_met"].sel(target=tid)) if modelled else np.nan
        rows.append(
            {
                "target": tid,
                "description": r["description"],
                "year": int(r["year"]),
                "P(met)": "" if not modelled else f"{p:.3f}",
                "95% interval": ""
                if not modelled
                else f"[{float(mc['p_met_low'].sel(target=tid)):.3f}, {float(mc['p_met_high'].sel(target=tid)):.3f}]",
                **{
                    f"P(met), {lab}": f"{float(v['p_met'].sel(target=tid)):.3f}" if modelled else ""
                    for lab, v in variants.items()
                },
                "status": str(mc["status"].sel(target=tid).values),
                "source": r["source"],
            }
        )
    tt = pd.DataFrame(rows)
    n_mod = int((tt["status"] == "modelled").sum())
    parts["targets"] = (
        "<h2>Targets</h2>"
        f"<p>{len(tt)} quantitative targets of the plan; {n_mod} are modelled and judged in every draw "
        "(P(met): share of draws meeting the target; Wilson 95% interval).</p>" + _table(tt)
    )

    # ---- figures
    figs = [
        (
            plots.fan_chart(mc, "gdp_real"),
            "Real GDP (2020 prices): median, 25-75% and 5-95% of draws; dashed: the plan's 6%/yr target path",
            "fig-gdp",
        ),
        (
            plots.clusters_chart(mc),
            "The three leading clusters against the plan's 100 yiyuan (100亿元) target for 2025",
            "fig-clusters",
        ),
        (
            plots.water_balance_chart(mc, by="source"),
            "Water supply by source (medians) against total demand",
            "fig-water-source",
        ),
        (
            plots.water_balance_chart(mc, by="use"),
            "Water demand by use (medians) against total supply",
            "fig-water-use",
        ),
    ]
    if "urbanisation" in mc:
        figs.append(
            (plots.fan_chart(mc, "urbanisation"), "Urbanisation rate with the plan's 60% target for 2025", "fig-urban")
        )
    if variants:
        runs = {"run": mc, **variants}
        figs.append(
            (plots.scenario_comparison(runs, "gdp_real"), "Real GDP: the run and its variants", "fig-compare-gdp")
        )
        figs.append(
            (
                plots.scenario_comparison(runs, "cluster_output", select={"cluster": "health"}),
                "Health cluster output: the run and its variants (star: the 2025 target)",
                "fig-compare-health",
            )
        )
    parts["figures"] = "<h2>Figures</h2>" + "".join(_figure_html(f, c, i) for f, c, i in figs)

    # ---- sensitivity
    sens_targets = [t for t in sensitivity_targets if t in set(mc["target"].values)]
    sens_targets = [t for t in sens_targets if bool(mc["modelled"].sel(target=t))]
    if sensitivity_n and sens_targets:
        si = sobol(
            sens_targets, n=sensitivity_n, seed=seed, backend=backend, params=params, scenario=scenario, n_bootstrap=100
        )
        blocks = []
        for t in sens_targets:
            df = ranking(si, t).head(8).reset_index()
            df = df[["parameter", "ST", "ST_low", "ST_high", "S1", "S1_low", "S1_high"]]
            blocks.append(f"<h3>{html.escape(t)}</h3>" + _table(df, float_format=lambda x: f"{x:.3f}"))
        blocks.append(
            _figure_html(
                plots.sensitivity_bars(si, sens_targets[0]), f"Sobol indices of {sens_targets[0]}", "fig-sobol"
            )
        )
        parts["sensitivity"] = (
            "<h2>Sensitivity</h2>"
            f"<p>Sobol first-order (S1) and total-order (ST) indices of each target's indicator, N = "
            f"{sensitivity_n} base samples, {si.attrs['runs']:,} model runs (Saltelli 2010 / Jansen estimators, 95% "
            "bootstrap intervals). ST: the share of the indicator's variance that involves the parameter.</p>"
            + "".join(blocks)
        )
    else:
        parts["sensitivity"] = "<h2>Sensitivity</h2><p class='note'>Not computed (sensitivity_n = 0 or no target).</p>"

    # ---- discovery
    found = discover(
        draws=discovery_draws or draws,
        seed=seed,
        sampler=sampler,
        backend=backend,
        params=params,
        scenario=scenario,
        max_boxes=2,
    )
    items = []
    for res in found.values():
        for line in res.describe():
            items.append(f"<li>{html.escape(line)}</li>")
    parts["discovery"] = (
        "<h2>Scenario discovery</h2>"
        "<p>Where in parameter space targets fail (PRIM boxes: density = share of the box's draws that "
        "miss the target; coverage = share of all misses inside the box). Targets met in every draw or "
        "missed in every draw have no box.</p>"
        + (
            f"<ul>{''.join(items)}</ul>"
            if items
            else "<p class='note'>No target is missed in some draws and met in others.</p>"
        )
    )

    # ---- provenance
    src = pd.DataFrame(
        [
            {
                "parameter": p.name,
                "sector": getattr(p, "sector", ""),
                "value": p.value,
                "units": p.units,
                "source": p.source,
            }
            for p in parameters.values()
        ]
    )
    kinds = (
        src["source"].str.extract(r"^(plan ch|public:|assumption:|calibrated:|user:)")[0].fillna("other").value_counts()
    )
    parts["provenance"] = (
        "<h2>Data provenance</h2>"
        f"<p>jzsim {html.escape(str(mc.attrs['jzsim_version']))}, numpy {html.escape(str(mc.attrs['numpy_version']))}, "
        f"Python {html.escape(str(mc.attrs['python_version']))}; data hash <code>{html.escape(str(mc.attrs['data_hash']))}</code>. "
        f"Report made {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {time.perf_counter() - t0:.0f} s.</p>"
        "<p>Sources of the parameters: "
        + ", ".join(f"{html.escape(k.rstrip(':'))}: {v}" for k, v in kinds.items())
        + ". Targets: the plan, chapter and line in the target table above.</p>"
        + _table(src, float_format=lambda x: f"{x:.4g}")
    )

    nav = " | ".join(f'<a href="#{s}">{s.capitalize()}</a>' for s in SECTIONS)
    body = "".join(f'<section id="{s}">{parts[s]}</section>' for s in SECTIONS)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1><nav>{nav}</nav>{body}</body></html>"
    )


def write_report(path: str | Path, mc: xr.Dataset, **kwargs: Any) -> Path:
    """Write :func:`build_report`'s HTML of ``mc`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"report path {str(path)!r} must end in .html")
    text = build_report(mc, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
