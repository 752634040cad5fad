"""Data checks: inconsistencies inside the plan's figures, and the provenance of parameters.

:func:`check_sources` recomputes what the plan's own figures imply (``history.csv``, and the
targets in ``targets.csv``) and reports where they disagree, instead of smoothing it over: the
model must pick a reading, and the user must see that a choice was made.

:func:`check_parameters` checks ``jzsim/data/parameters/*.csv``: every row has a source, a value
inside its range, a known distribution and units the engine can parse.

Stated figures are taken as rounded to their last printed digit: "2.1 times" means somewhere in
[2.05, 2.15], "7.8%" in [7.75%, 7.85%]. Two figures are called consistent when such intervals
overlap.
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["HISTORY_KINDS", "load_history", "check_sources", "check_parameters"]

HISTORY_KINDS = (
    "nominal_level",  # a level at current prices
    "level",  # a non-monetary level (counts, days)
    "share",
    "share_at_least",  # a fraction, or a floor on one
    "real_multiple",
    "nominal_multiple",
    "unstated_multiple",  # x(year) / x(base_year)
    "real_cagr",
    "nominal_cagr",
    "unstated_cagr",  # average annual growth base_year -> year [1/year]
    "relative_change",
    "absolute_change",  # x(year)/x(base_year) - 1, x(year) - x(base_year)
    "cumulative_count",
    "nominal_cumulative",  # totals over base_year..year
)
_HISTORY_COLUMNS = ("indicator", "year", "base_year", "value", "units", "kind", "source", "note")
_SOURCE_PREFIXES = ("plan ch", "public:", "assumption:")
_DISTRIBUTIONS = ("fixed", "uniform", "triangular", "truncnormal", "lognormal")
_PARAMETER_COLUMNS = (
    "name",
    "units",
    "value",
    "low",
    "high",
    "valid",
    "whole",
    "above",
    "distribution",
    "source",
    "description",
)

# What the plan *says* about some targets, in words the tables cannot hold. ch.6 L64: "实施高新技术
# 企业及科技型中小企业双倍增计划" - a plan to double both counts - beside targets of 80 and 800.
_STATED_GROWTH = {
    "hightech_enterprises": (2.0, "plan ch.6 L64 calls it a doubling plan (双倍增计划)"),
    "tech_smes": (2.0, "plan ch.6 L64 calls it a doubling plan (双倍增计划)"),
}


# --------------------------------------------------------------------------------------------
# history


def load_history(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read ``history.csv``: the actuals the plan reports.

    Parameters
    ----------
    path
        Default: the ``history.csv`` packaged in ``jzsim.data``.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, year, base_year, value, units, kind, source, note`` and
        ``half_unit``: half a unit of the last printed digit of ``value`` (its rounding
        half-width, in the value's units).

    Raises
    ------
    ValueError
        On a missing column, an unknown ``kind``, a non-numeric value or year, or a source
        that is not ``plan ch.N LNN``.
    """
    if path is None:
        text = resources.files("jzsim.data").joinpath("history.csv").read_text(encoding="utf-8")
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _HISTORY_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"history lacks column(s) {missing}; required: {list(_HISTORY_COLUMNS)}")
    for i, r in raw.iterrows():
        where = f"history row {i + 2} ({r['indicator']!r})"
        if r["kind"] not in HISTORY_KINDS:
            raise ValueError(f"{where}: field 'kind' has value {r['kind']!r}; allowed: {' | '.join(HISTORY_KINDS)}")
        for field in ("value", "year") + (("base_year",) if r["base_year"] else ()):
            try:
                float(r[field])
            except ValueError:
                raise ValueError(f"{where}: field {field!r} has value {r[field]!r}; allowed: a number") from None
        if not r["source"].startswith("plan ch"):
            raise ValueError(f"{where}: field 'source' has value {r['source']!r}; allowed: 'plan ch.N LNN'")
    out = raw.copy()
    out["half_unit"] = [_half_unit(v) for v in raw["value"]]
    out["value"] = raw["value"].astype(float)
    out["year"] = raw["year"].astype(int)
    out["base_year"] = pd.array([int(v) if v else None for v in raw["base_year"]], dtype="Int64")
    return out


def _half_unit(text: str) -> float:
    """Rounding half-width of a printed number: '2.1' -> 0.05, '111' -> 0.5, '0.078' -> 0.0005."""
    text = text.strip().lstrip("+-")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** (-decimals)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


# --------------------------------------------------------------------------------------------
# source checks


def check_sources(history: pd.DataFrame | None = None, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Inconsistencies and implied quantities inside the plan's own figures.

    For every indicator of ``history`` with a stated multiple ``M`` over ``n`` years:

    - nominal levels at both ends vs ``M``: their ratio is compared with ``M``; if they disagree,
      the deflator that reconciles them (``(ratio / M) ** (1/n) - 1``) is reported;
    - ``M`` vs the stated average annual rate ``r``: ``M ** (1/n) - 1`` is compared with ``r``; if they
      disagree, the deflator implied by reading ``M`` as nominal and ``r`` as real
      (``M ** (1/n) / (1 + r) - 1``), and the base-year level each implies, are reported;
    - nominal levels at both ends vs a real rate: the implied deflator.

    Against ``targets``: targets whose baseline is in ``history`` (a target ``<indicator>_<year>``)
    are compared with what the plan says of them in words (e.g. "doubling"), and the three
    clusters' combined gross-output target is set beside the GDP the growth target implies.

    Parameters
    ----------
    history
        Default :func:`load_history`.
    targets
        Default :func:`jzsim.data.targets.load_targets` (the packaged registry).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``check`` (name), ``values`` (the figures used, with sources),
        ``implied`` (the derived number), ``implied_units``, ``consistent`` (nullable bool: False
        when stated figures disagree beyond rounding, NA for a derived quantity with nothing to
        contradict), ``note``.
    """
    h = load_history() if history is None else history
    if targets is None:
        from jzsim.data.targets import load_targets

        targets = load_targets()
    rows: list[dict] = []
    # gdp_nominal and gdp_real are one quantity ("gdp") seen at two price bases
    stem = h["indicator"].str.replace(r"_(nominal|real)$", "", regex=True)
    for ind, g in h.groupby(stem, sort=False):
        for _, m in g[g["kind"].str.endswith("_multiple")].iterrows():
            y1, y0 = int(m["year"]), int(m["base_year"])
            levels = g[g["kind"] == "nominal_level"].set_index("year")
            rates = g[g["kind"].str.endswith("_cagr") & (g["year"] == y1) & (g["base_year"] == y0)]
            if y0 in levels.index and y1 in levels.index:
                rows += _levels_vs_multiple(ind, m, levels, rates)
            rows += _multiple_vs_rates(ind, m, levels, rates)
    rows += _target_checks(h, targets)
    out = pd.DataFrame.from_records(rows, columns=list(_CHECK_COLUMNS))
    out["consistent"] = out["consistent"].astype("boolean")
    return out


_CHECK_COLUMNS = ("check", "values", "implied", "implied_units", "consistent", "note")


def _row(check: str, values: str, implied: float, units: str, consistent, note: str) -> dict:
    """One row of :func:`check_sources`' table."""
    return dict(zip(_CHECK_COLUMNS, (check, values, float(implied), units, consistent, note), strict=True))


def _multiple_interval(m: pd.Series) -> tuple[float, float]:
    """The range a stated multiple covers, from its rounding."""
    return (m["value"] - m["half_unit"], m["value"] + m["half_unit"])


def _levels_vs_multiple(ind: str, m: pd.Series, levels: pd.DataFrame, rates: pd.DataFrame) -> list[dict]:
    """Nominal levels at both ends of a stated multiple ``m``: their ratio against ``m`` (and the
    deflator that reconciles them when they disagree), and the deflator each real rate implies."""
    y1, y0 = int(m["year"]), int(m["base_year"])
    n = y1 - y0
    m_iv = _multiple_interval(m)
    basis = m["kind"].split("_")[0]
    l0, l1 = levels.loc[y0], levels.loc[y1]
    ratio = l1["value"] / l0["value"]
    r_iv = (
        (l1["value"] - l1["half_unit"]) / (l0["value"] + l0["half_unit"]),
        (l1["value"] + l1["half_unit"]) / (l0["value"] - l0["half_unit"]),
    )
    ok = _overlap(r_iv, m_iv)
    rows = [
        _row(
            f"{ind}: nominal levels {y0}-{y1} vs stated multiple",
            f"{y0} {l0['value']:g}, {y1} {l1['value']:g} {l1['units']} (nominal, {l0['source']}); "
            f"stated {m['value']:g} times ({basis}, {m['source']})",
            ratio,
            "1",
            ok,
            f"the levels give {ratio:.3f} times (range {r_iv[0]:.3f}-{r_iv[1]:.3f} from rounding), "
            f"the text says {m['value']:g} ({m_iv[0]:g}-{m_iv[1]:g})"
            + (
                ""
                if ok
                else ": the multiple is not the ratio of the levels, so it is at constant "
                "prices (or the levels were revised)"
            ),
        )
    ]
    if not ok:
        defl = (ratio / m["value"]) ** (1 / n) - 1
        rows.append(
            _row(
                f"{ind}: deflator implied by nominal levels and stated multiple",
                f"nominal ratio {ratio:.3f}, stated multiple {m['value']:g}, {n} years",
                defl,
                "1/year",
                pd.NA,
                f"({ratio:.3f} / {m['value']:g}) ** (1/{n}) - 1 = {_pct(defl)} a year; the plan "
                "gives no deflator, so the model's must be an assumption",
            )
        )
    for _, r in rates[rates["kind"] == "real_cagr"].iterrows():
        defl = ratio ** (1 / n) / (1 + r["value"]) - 1
        rows.append(
            _row(
                f"{ind}: deflator implied by nominal levels and real growth rate",
                f"nominal ratio {ratio:.3f} = {_pct(ratio ** (1 / n) - 1)}/yr; real growth "
                f"{_pct(r['value'])}/yr ({r['source']})",
                defl,
                "1/year",
                pd.NA,
                f"{ratio:.3f} ** (1/{n}) / {1 + r['value']:g} - 1 = {_pct(defl)} a year "
                f"({1 + r['value']:g} ** {n} = {(1 + r['value']) ** n:.3f})",
            )
        )
    return rows


def _multiple_vs_rates(ind: str, m: pd.Series, levels: pd.DataFrame, rates: pd.DataFrame) -> list[dict]:
    """A stated multiple ``m`` against each stated annual rate over the same years; when they
    disagree, the deflator implied by reading the multiple as nominal and the rate as real."""
    y1, y0 = int(m["year"]), int(m["base_year"])
    n = y1 - y0
    m_iv = _multiple_interval(m)
    basis = m["kind"].split("_")[0]
    rows = []
    for _, r in rates.iterrows():
        g_m = m["value"] ** (1 / n) - 1
        g_iv = (m_iv[0] ** (1 / n) - 1, m_iv[1] ** (1 / n) - 1)
        r_iv = (r["value"] - r["half_unit"], r["value"] + r["half_unit"])
        ok = _overlap(g_iv, r_iv)
        rows.append(
            _row(
                f"{ind}: stated multiple vs stated annual growth",
                f"{m['value']:g} times over {n} years ({basis}); {_pct(r['value'])} a year "
                f"({r['kind'].split('_')[0]}); {m['source']}",
                g_m,
                "1/year",
                ok,
                f"{m['value']:g} times in {n} years is {_pct(g_m)} a year (range {_pct(g_iv[0])}-"
                f"{_pct(g_iv[1])} from rounding) against the stated {_pct(r['value'])}"
                + ("" if ok else ": the two cannot share a price basis and base year"),
            )
        )
        if ok:
            continue
        defl = (1 + g_m) / (1 + r["value"]) - 1
        note = f"if the multiple is nominal and the rate real, prices rose {_pct(defl)} a year"
        if y1 in levels.index:
            lv = levels.loc[y1]
            b_m, b_r = lv["value"] / m["value"], lv["value"] / (1 + r["value"]) ** n
            note += (
                f"; the {y1} level {lv['value']:g} {lv['units']} implies a {y0} level of "
                f"{b_m:,.0f} by the multiple but {b_r:,.0f} (in {y1} prices) by the rate"
            )
        rows.append(
            _row(
                f"{ind}: deflator implied by reading the multiple as nominal, the rate as real",
                f"{m['value']:g} times = {_pct(g_m)}/yr; {_pct(r['value'])}/yr",
                defl,
                "1/year",
                pd.NA,
                note + "; the plan does not say which reading holds",
            )
        )
    return rows


def _target_checks(h: pd.DataFrame, targets: pd.DataFrame) -> list[dict]:
    rows = []
    t = targets.set_index("id")
    for _, b in h[h["kind"] == "level"].iterrows():
        # a target on the same quantity is named <indicator>_<year> and shares its units
        for tid, tr in t[t.index.str.fullmatch(rf"{b['indicator']}_\d{{4}}")].iterrows():
            if (
                tr["kind"] != "level"
                or tr["units"] != b["units"]
                or np.isnan(tr["threshold"])
                or int(tr["year"]) <= b["year"]
            ):
                continue
            n = int(tr["year"]) - int(b["year"])
            mult = tr["threshold"] / b["value"]
            stated = _STATED_GROWTH.get(b["indicator"])
            ok = pd.NA if stated is None else bool(mult >= stated[0])
            rows.append(
                {
                    "check": f"{tid}: target vs {int(b['year'])} baseline",
                    "values": f"{int(b['year'])}: {b['value']:g} ({b['source']}); {int(tr['year'])} target "
                    f"{tr['comparison']} {tr['threshold']:g} ({tr['source']})"
                    + ("" if stated is None else f"; {stated[1]}"),
                    "implied": mult,
                    "implied_units": "1",
                    "consistent": ok,
                    "note": f"the target is {mult:.2f} times the baseline, {_pct(mult ** (1 / n) - 1)} a year"
                    + ("" if stated is None or ok else f", not the {stated[0]:g} times the plan's own words promise"),
                }
            )
    clusters = t[(t["indicator"] == "cluster_output") & (t["kind"] == "level")]
    gdp_t = t[(t["indicator"] == "gdp_real") & (t["kind"] == "cagr")]
    gdp_h = h[(h["indicator"] == "gdp_nominal") & (h["kind"] == "nominal_level")]
    if len(clusters) and len(gdp_t) and len(gdp_h):
        g = gdp_t.iloc[0]
        base = gdp_h[gdp_h["year"] == int(g["base_year"])]
        if len(base):
            n = int(g["year"]) - int(g["base_year"])
            gdp_end = base["value"].iloc[0] * (1 + g["threshold"]) ** n
            total = clusters["threshold"].sum()
            rows.append(
                {
                    "check": "cluster output targets vs GDP implied by the growth target",
                    "values": f"{len(clusters)} clusters x {clusters['threshold'].iloc[0]:g} yiyuan "
                    f"({', '.join(clusters['source'])}); GDP {int(g['base_year'])} "
                    f"{base['value'].iloc[0]:g} yiyuan growing {_pct(g['threshold'])}/yr ({g['source']})",
                    "implied": total / gdp_end,
                    "implied_units": "1",
                    "consistent": pd.NA,
                    "note": f"the clusters' gross output ({total:g}) is {total / gdp_end:.2f} times the "
                    f"{int(g['year'])} GDP at the growth floor ({gdp_end:.1f}, 2020 prices): gross "
                    f"output is not value added, but the clusters' value added fits in GDP only if their "
                    f"value-added ratio is well below {gdp_end / total:.0%}; the plan gives no ratio",
                }
            )
    return rows


# --------------------------------------------------------------------------------------------
# parameter checks


def check_parameters(directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """Provenance, range and units of every parameter in ``parameters/*.csv``.

    Parameters
    ----------
    directory
        Default: ``jzsim/data/parameters`` (via :mod:`importlib.resources`).

    Returns
    -------
    pandas.DataFrame
        One row per finding (empty when every row passes): ``file``, ``name``, ``field``,
        ``value``, ``problem``, ``severity`` (``error``, or ``skipped`` when a check could not
        run, e.g. the unit check without ``jzsim.engine.units``). Rules: the columns of
        docs/engine_api.md present; ``name`` non-empty and unique across files; ``source``
        starting ``plan ch``, ``public:`` or ``assumption:``; ``value``, ``low``, ``high`` numbers
        with ``low <= value <= high`` (bounds may be empty); ``valid`` an interval (see
        :mod:`jzsim.params`) holding ``value``, ``low`` and ``high``; ``distribution`` one of
        fixed, uniform, triangular, truncnormal, lognormal; ``units`` parseable by the engine.
    """
    root = Path(str(resources.files("jzsim.data").joinpath("parameters"))) if directory is None else Path(directory)
    files = sorted(root.glob("*.csv")) if root.is_dir() else []
    findings: list[dict] = []

    def find(file: str, name: str, field: str, value, problem: str, severity: str = "error") -> None:
        findings.append(
            {
                "file": file,
                "name": name,
                "field": field,
                "value": value,
                "problem": problem,
                "severity": severity,
            }
        )

    try:
        from jzsim.engine.units import parse_units
    except ImportError as exc:
        parse_units = None
        if files:
            find(
                "*",
                "*",
                "units",
                "",
                f"unit check skipped: jzsim.engine.units unavailable ({exc})",
                "skipped",
            )

    from jzsim.params import Domain

    seen: dict[str, str] = {}
    for f in files:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        missing = [c for c in _PARAMETER_COLUMNS if c not in df.columns]
        if missing:
            find(f.name, "*", "columns", ", ".join(df.columns), f"missing column(s) {missing}")
            continue
        for _, r in df.iterrows():
            name = r["name"].strip()
            if not name:
                find(f.name, name, "name", name, "empty name")
            elif name in seen:
                find(f.name, name, "name", name, f"also declared in {seen[name]}")
            seen.setdefault(name, f.name)
            src = r["source"].strip()
            if not src.startswith(_SOURCE_PREFIXES):
                find(f.name, name, "source", src, f"must start with one of {list(_SOURCE_PREFIXES)}")
            if r["distribution"].strip() not in _DISTRIBUTIONS:
                find(f.name, name, "distribution", r["distribution"], f"must be one of {list(_DISTRIBUTIONS)}")
            nums = {}
            for field in ("value", "low", "high"):
                text = r[field].strip()
                if not text and field != "value":
                    continue
                try:
                    nums[field] = float(text)
                except ValueError:
                    find(f.name, name, field, text, "not a number")
            v, lo, hi = nums.get("value"), nums.get("low"), nums.get("high")
            if lo is not None and hi is not None and lo > hi:
                find(f.name, name, "low", f"{lo:g} > {hi:g}", "low above high")
            if v is not None and ((lo is not None and v < lo) or (hi is not None and v > hi)):
                find(f.name, name, "value", v, f"outside [{lo}, {hi}]")
            try:
                dom = Domain.parse(r["valid"].strip())
            except ValueError as exc:
                find(f.name, name, "valid", r["valid"], str(exc))
            else:
                for field, x in (("value", v), ("low", lo), ("high", hi)):
                    if x is not None and not dom.contains(x):
                        find(f.name, name, field, x, f"outside the validity domain {dom}")
            if parse_units is not None:
                try:
                    parse_units(r["units"])
                except ValueError as exc:
                    find(f.name, name, "units", r["units"], str(exc))
    return pd.DataFrame.from_records(findings, columns=["file", "name", "field", "value", "problem", "severity"])
