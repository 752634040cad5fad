"""Observations a model is calibrated against: long-form, sourced, checked against the model.

One row per figure (the packaged ``data/observations.csv``, economy and population, and
``data/observations_water.csv``, water; a user's CSV or DataFrame has the same columns):

===========  ===========================================================================
indicator    the model variable observed (``gdp_real``, ``pop_total`` ...)
year         the year of the figure
base_year    for ``multiple`` and ``growth_rate`` over several years: the year compared with
value        the figure, in ``unit``
unit         pint units (``person``, ``yiyuan/year``, ``1/year``, ``1``)
kind         ``level``, ``growth_rate``, ``multiple``, ``share``, ``value``, ``difference`` or ``mean``
denominator  for ``share``: the model variable it is a share of (empty: the indicator is one)
sd           observation error on the comparison scale (empty: :data:`DEFAULT_SD` by confidence;
             required for ``value`` and ``difference``, whose scale is the unit's)
confidence   ``official``, ``aggregator`` or ``proxy``
basis        optional: the accounting basis of a ``level`` when it is not the model's (see
             :data:`BASES`; empty: the model's basis)
source       plan chapter and line, or ``public: <where>``; ``quote`` the text behind it
note         optional: how the figure was read, derived or scaled
===========  ===========================================================================

How the model is compared with each kind (``x`` the model variable, ``t`` the year, ``b`` the base
year, default ``t - 1``):

* ``level``: ``log x(t)`` against ``log value`` (lognormal error, ``sd`` a relative error);
* ``multiple``: ``log(x(t) / x(b))`` against ``log value`` (lognormal);
* ``growth_rate``: ``(x(t) / x(b)) ** (1 / (t - b)) - 1`` against ``value`` (normal, ``sd`` in 1/year);
* ``share``: ``x(t) / denominator(t)`` against ``value`` (normal, ``sd`` absolute);
* ``value``: ``x(t)`` against ``value`` (normal, ``sd`` in the unit): a signed level such as a
  change of water table in m/year;
* ``difference``: ``x(t) - x(b)`` against ``value`` (normal, ``sd`` in the unit; ``base_year`` required);
* ``mean``: the mean of ``x`` over the saved times from ``b`` to ``t`` against ``value`` (lognormal);
  with ``year`` and ``base_year`` both empty, over the whole run (a long-term mean).

A ``level`` on another accounting ``basis`` is compared with the model's value times the basis
factor, its ``sd`` widened by the factor's uncertainty (in quadrature; :data:`BASES`).

:data:`DEFAULT_SD` is an assumption: official figures are rounded and revised by a few per cent,
aggregator copies (Baike, news reposts) are often pre-revision or mis-copied, and proxies (the
Hengshui city series used for the district) carry the whole difference between city and district.
"""

from __future__ import annotations

import difflib
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["KINDS", "CONFIDENCE", "DEFAULT_SD", "BASES", "load_observations", "ResolvedObservations", "resolve"]

KINDS = ("level", "growth_rate", "multiple", "share", "value", "difference", "mean")
LOG_KINDS = ("level", "multiple", "mean")  # compared in logs (value > 0)
SIGNED_KINDS = ("value", "difference")  # compared as they are; sd required
CONFIDENCE = ("official", "aggregator", "proxy")
#: Observation error by kind and confidence when ``sd`` is empty (assumption: see the module docstring).
#: level and multiple: sd of the log (relative error); growth_rate: 1/year; share: absolute.
DEFAULT_SD = {
    "level": {"official": 0.03, "aggregator": 0.10, "proxy": 0.20},
    "multiple": {"official": 0.03, "aggregator": 0.10, "proxy": 0.20},
    "growth_rate": {"official": 0.005, "aggregator": 0.01, "proxy": 0.02},
    "share": {"official": 0.01, "aggregator": 0.03, "proxy": 0.06},
    "mean": {"official": 0.03, "aggregator": 0.10, "proxy": 0.20},
}
REQUIRED = ("indicator", "year", "value", "unit", "kind", "confidence", "source")
OPTIONAL = ("base_year", "denominator", "sd", "basis", "quote", "note")
PACKAGED = ("observations.csv", "observations_water.csv")


@dataclass(frozen=True)
class Basis:
    """An accounting basis other than the model's: a figure on it is ``factor`` times the model's
    value, with a relative uncertainty ``sd`` (of the log factor)."""

    factor: float
    sd: float
    source: str


#: Accounting bases a ``level`` may be on, besides the model's own (empty ``basis``).
#:
#: ``pre-2018-census``: county and city GDP published before the Fourth National Economic Census
#: (reference year 2018) was later revised; Hengshui's own series (CSMAR extract, history_found.md
#: section C) falls from 1,523.19 亿元 in 2017 (pre-census) to 1,381.81 in 2018 (revised) while
#: the economy grew: with 2018 real growth of about 6.1-6.6% (Jizhou 6.1%, aggregator; Hebei as
#: the nation, 6.6%) and Hebei CPI 102.45 as the price change, the unrevised 2018 figure would
#: have been about 1,523.19 x 1.09 = 1,660, so pre-census figures stand about 1.20 times the
#: revised basis. Applying the city's factor to the district is an assumption (county revisions
#: varied), hence sd 0.10 on the log factor; the plan's 2020 figures are on the revised basis.
BASES = {
    "pre-2018-census": Basis(
        factor=1.20,
        sd=0.10,
        source="Hengshui GDP 2017 1523.19 (pre-census) vs 2018 1381.81 (revised), CSMAR extract (history_found.md C)",
    ),
}


def load_observations(source: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Observations as a validated DataFrame (one row per figure, the columns of the module docstring).

    Parameters
    ----------
    source : path, DataFrame or None
        A CSV file or DataFrame with the columns above; None: the packaged observations
        (``data/observations.csv`` and ``data/observations_water.csv``, in that order).

    Raises
    ------
    ValueError
        A missing column, an unknown kind or confidence (with "did you mean"), a non-finite value,
        a level or multiple that is not positive, a negative sd, or a multiple without a base year.
    """
    if source is None:
        frames = []
        for name in PACKAGED:
            text = resources.files("jzsim.data").joinpath(name).read_text(encoding="utf-8")
            frames.append(load_observations(_Packaged(pd.read_csv(io.StringIO(text)), f"data/{name}")))
        return pd.concat(frames, ignore_index=True)
    if isinstance(source, _Packaged):
        df, origin = source.frame, source.origin
    elif isinstance(source, pd.DataFrame):
        df, origin = source.copy(), "observations"
    else:
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"observations file {str(path)!r} does not exist")
        df, origin = pd.read_csv(path), str(path)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"{origin}: missing columns {missing}; required: {list(REQUIRED)}, optional: {list(OPTIONAL)}")
    for c in OPTIONAL:
        if c not in df.columns:
            df[c] = np.nan if c in ("base_year", "sd") else ""
    df = df.reset_index(drop=True)
    for c in ("indicator", "unit", "kind", "confidence", "source", "denominator", "basis", "quote", "note"):
        df[c] = [("" if _empty(v) else str(v).strip()) for v in df[c]]
    for i, row in df.iterrows():
        where = f"{origin} row {i + 2} ({row['indicator']} {row['year']})"
        _check_row(row, where)
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    df["base_year"] = pd.to_numeric(df["base_year"], errors="coerce")
    df["value"] = df["value"].astype(float)
    sd = pd.to_numeric(df["sd"], errors="coerce")
    default = [DEFAULT_SD.get(k, {}).get(c, np.nan) for k, c in zip(df["kind"], df["confidence"])]
    sd = sd.where(sd.notna(), default)
    widen = np.array([BASES[b].sd if b else 0.0 for b in df["basis"]])
    df["sd"] = np.sqrt(sd**2 + widen**2)
    return df[list(REQUIRED[:5]) + ["base_year", "denominator", "sd", "confidence", "basis", "source", "quote", "note"]]


@dataclass(frozen=True)
class _Packaged:
    frame: pd.DataFrame
    origin: str


def _check_row(row, where: str) -> None:
    for field, allowed in (("kind", KINDS), ("confidence", CONFIDENCE)):
        if row[field] not in allowed:
            close = difflib.get_close_matches(row[field], allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{where}: {field} is {row[field]!r}; allowed: {', '.join(allowed)}{hint}")
    base = pd.to_numeric(pd.Series([row["base_year"]]), errors="coerce").iloc[0]
    year = pd.to_numeric(pd.Series([row["year"]]), errors="coerce").iloc[0]
    long_term = row["kind"] == "mean" and not np.isfinite(base) and _empty(row["year"])
    if row["kind"] == "mean" and np.isfinite(base) != np.isfinite(year):
        raise ValueError(f"{where}: a mean needs both year and base_year (the period), or neither (the whole run)")
    for field in ("value",) if long_term else ("year", "value"):
        try:
            v = float(row[field])
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {field} is {row[field]!r}; allowed: a finite number") from None
        if not math.isfinite(v):
            raise ValueError(f"{where}: {field} is {row[field]!r}; allowed: a finite number")
    if not row["indicator"]:
        raise ValueError(f"{where}: indicator is empty; allowed: a model variable name")
    if row["kind"] in LOG_KINDS and float(row["value"]) <= 0:
        raise ValueError(f"{where}: value is {row['value']!r}; allowed: > 0 for a {row['kind']} (compared in logs)")
    if row["kind"] in ("multiple", "difference") and not np.isfinite(base):
        raise ValueError(f"{where}: base_year is empty; a {row['kind']} needs the year it is compared with")
    if np.isfinite(base) and np.isfinite(year) and base >= year:
        raise ValueError(f"{where}: base_year {base:g} is not before year {year:g}")
    sd = pd.to_numeric(pd.Series([row["sd"]]), errors="coerce").iloc[0]
    if np.isfinite(sd) and sd <= 0:
        raise ValueError(f"{where}: sd is {float(sd):g}; allowed: > 0 (or empty for the default by confidence)")
    if row["kind"] in SIGNED_KINDS and not np.isfinite(sd):
        raise ValueError(f"{where}: sd is empty; a {row['kind']} is compared in its own unit, so sd is required (> 0)")
    basis = row["basis"]
    if basis:
        if basis not in BASES:
            close = difflib.get_close_matches(basis, list(BASES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{where}: basis is {basis!r}; allowed: empty (the model's) or {', '.join(BASES)}{hint}")
        if row["kind"] != "level":
            raise ValueError(f"{where}: basis {basis!r} is given for a {row['kind']}; allowed: only for a level")
    if not row["source"]:
        raise ValueError(f"{where}: source is empty; allowed: plan chapter and line, or 'public: <where>'")


def _empty(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


@dataclass(frozen=True)
class ResolvedObservations:
    """Observations matched to a compiled model's output rows and saved times.

    Attributes
    ----------
    table : DataFrame
        The rows used (with ``target``, the figure on the comparison scale).
    skipped : DataFrame
        Rows not used, with a ``reason`` column (only when resolving leniently).
    names : list of str
        Model outputs the comparison reads (rows of the kernel output).
    kind, row, den, t, b, span, target, sd, factor, offset : ndarray
        Per observation: kind code (index in :data:`KINDS`), row of the indicator and of the
        denominator (-1: none) in ``names``, time index of the year and of the base (-1: none), years
        between them, the figure on the comparison scale (in the model's units), its sd, the
        factor from the figure's unit to the model's, and the log of its basis factor (0: the model's).
    """

    table: pd.DataFrame
    skipped: pd.DataFrame
    names: list
    kind: np.ndarray
    row: np.ndarray
    den: np.ndarray
    t: np.ndarray
    b: np.ndarray
    span: np.ndarray
    target: np.ndarray
    sd: np.ndarray
    factor: np.ndarray
    offset: np.ndarray

    def predict(self, out: np.ndarray) -> np.ndarray:
        """Model values on the comparison scale, shape ``(n_obs, n_draws)``, from kernel output
        ``out`` of shape ``(len(names), n_draws, n_times)`` (NaN where undefined)."""
        x = out[self.row, :, self.t]  # (n_obs, n)
        pred = np.full(x.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            base = out[self.row, :, np.maximum(self.b, 0)]
            k = self.kind
            m = k == 0
            pred[m] = np.log(x[m]) + self.offset[m, None]
            m = k == 2
            pred[m] = np.log(x[m] / base[m])
            m = k == 1
            pred[m] = (x[m] / base[m]) ** (1.0 / self.span[m, None]) - 1.0
            m = k == 3
            den = np.where(self.den[m, None] >= 0, out[np.maximum(self.den[m], 0), :, self.t[m]], 1.0)
            pred[m] = x[m] / den
            m = k == 4
            pred[m] = x[m]
            m = k == 5
            pred[m] = x[m] - base[m]
            for i in np.flatnonzero(k == 6):
                pred[i] = np.log(np.mean(out[self.row[i], :, self.b[i] : self.t[i] + 1], axis=-1))
        return pred

    def to_scale(self, pred: np.ndarray) -> np.ndarray:
        """Comparison-scale values back on the figures' own scale and units (levels and multiples
        exp'd, then divided by the unit factor), shape of ``pred`` (observations first)."""
        out = np.array(pred, dtype=float)
        logs = np.isin(self.kind, [KINDS.index(k) for k in LOG_KINDS])
        out[logs] = np.exp(out[logs])
        return out / self.factor.reshape((-1,) + (1,) * (out.ndim - 1))


def resolve(obs: pd.DataFrame, cm, rs, *, strict: bool = True) -> ResolvedObservations:
    """Match observations to model ``cm`` run with settings ``rs``.

    Each row's indicator (and denominator) must be an output of the model, its unit convertible to
    the variable's (pint; a growth rate in ``1/year``, a multiple or share dimensionless), and its
    years among the run's saved times. With ``strict`` (user data) the first row that fails raises
    ``ValueError`` naming the row, the value and what is allowed ("did you mean" for names); without
    it (the packaged data on a model that may lack some variables or years), failing rows are
    returned in ``skipped`` with the reason, and reported by the calibration's summary.
    """
    from jzsim.engine.units import UnitError, conversion_factor, format_units, parse_units

    outputs = list(cm.output_names)
    times = np.asarray(rs.save_times, dtype=float)
    names: list[str] = []
    fields = ("kind", "row", "den", "t", "b", "span", "target", "sd", "factor", "offset")
    rows: dict[str, list] = {k: [] for k in fields}
    used, skipped = [], []

    def index(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    for i, r in obs.iterrows():
        where = f"observation {i} ({r['indicator']} {r['year']:g}, {r['kind']})"
        try:
            for field in ("indicator", "denominator"):
                n = r[field]
                if n and n not in outputs:
                    close = difflib.get_close_matches(n, outputs, n=3)
                    hint = f"; did you mean {', '.join(close)}?" if close else ""
                    raise ValueError(f"{where}: {field} {n!r} is not a variable of model {cm.name!r}{hint}")
            v = cm.variables[r["indicator"]]
            try:
                unit = parse_units(r["unit"])
            except ValueError as exc:
                raise ValueError(f"{where}: unit {r['unit']!r}: {exc}") from None
            kind = r["kind"]
            if kind in ("level", "value", "difference", "mean"):
                want = parse_units(v.units)
            elif kind == "growth_rate":
                want = parse_units(f"1/{cm.time_units}")
            elif kind == "share" and not r["denominator"]:
                want = parse_units(v.units)
            else:
                want = parse_units("1")
            try:
                factor = conversion_factor(unit, want)
            except UnitError as exc:
                raise ValueError(
                    f"{where}: unit {r['unit']!r} does not fit {kind} of {r['indicator']!r} "
                    f"(model units {format_units(parse_units(v.units))}; allowed: units of {format_units(want)}): {exc}"
                ) from None
            if kind == "share" and r["denominator"]:
                d = cm.variables[r["denominator"]]
                try:
                    conversion_factor(parse_units(v.units), parse_units(d.units))
                except UnitError:
                    raise ValueError(
                        f"{where}: {r['indicator']!r} ({v.units}) is not a share of {r['denominator']!r} ({d.units})"
                    ) from None
            if kind == "mean" and not np.isfinite(r["year"]):  # a long-term mean: over the whole run
                t, b = len(times) - 1, 0
            else:
                t = _time_index(times, r["year"], where, "year")
                base = (
                    r["base_year"]
                    if np.isfinite(r["base_year"])
                    else (r["year"] - 1 if kind == "growth_rate" else None)
                )
                b = -1 if base is None else _time_index(times, base, where, "base year")
        except ValueError as exc:
            if strict:
                raise
            skipped.append({**r.to_dict(), "reason": str(exc).split(": ", 1)[-1]})
            continue
        value = r["value"] * factor
        rows["kind"].append(KINDS.index(kind))
        rows["row"].append(index(r["indicator"]))
        rows["den"].append(index(r["denominator"]) if r["denominator"] else -1)
        rows["t"].append(t)
        rows["b"].append(b)
        rows["span"].append(1.0 if b < 0 else float(times[t] - times[b]))
        rows["target"].append(math.log(value) if kind in LOG_KINDS else value)
        rows["sd"].append(float(r["sd"]))
        rows["factor"].append(float(factor))
        basis = r.get("basis", "") or ""
        rows["offset"].append(math.log(BASES[basis].factor) if basis else 0.0)
        used.append(i)
    if not used:
        raise ValueError(
            f"no observation fits model {cm.name!r} run over {times[0]:g}-{times[-1]:g}"
            + (f"; skipped: {skipped[0]['reason']}" if skipped else "")
        )
    arr = {
        k: np.asarray(v, dtype=float if k in ("span", "target", "sd", "factor", "offset") else np.int64)
        for k, v in rows.items()
    }
    table = obs.loc[used].reset_index(drop=True)
    table["target"] = arr["target"]
    table["factor"] = arr["factor"]
    table["series"] = [_series(r, span) for (_, r), span in zip(table.iterrows(), arr["span"])]
    cols = list(obs.columns) + ["reason"]
    return ResolvedObservations(table, pd.DataFrame(skipped, columns=cols), names, **arr)


def _series(r, span: float) -> str:
    """A series label: indicator and kind, with the span of a growth rate over several years and
    the base of a multiple (figures of one series share a comparison)."""
    extra = ""
    if r["kind"] == "growth_rate" and span != 1:
        extra = f", {span:g}-year average"
    elif r["kind"] == "multiple":
        extra = f" of {float(r['base_year']):g}"
    elif r["kind"] in ("difference", "mean") and np.isfinite(r["base_year"]):
        extra = f" since {float(r['base_year']):g}" if r["kind"] == "difference" else f" from {float(r['base_year']):g}"
    elif r["kind"] == "share" and r["denominator"]:
        extra = f" of {r['denominator']}"
    if r.get("basis", ""):
        extra += f", {r['basis']} basis"
    return f"{r['indicator']} ({r['kind']}{extra})"


def _time_index(times: np.ndarray, year: float, where: str, what: str) -> int:
    k = np.flatnonzero(np.isclose(times, year))
    if not k.size:
        raise ValueError(f"{where}: {what} {year:g} is not a saved time of the run ({times[0]:g}-{times[-1]:g})")
    return int(k[0])
