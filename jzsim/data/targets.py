"""The plan's target registry (``targets.csv``): loading and validation.

One row per quantitative target of the plan, each citing the plan's chapter and line; the columns
and the statuses of an evaluation are described in :mod:`jzsim.analysis.targets`, which evaluates
the targets against model results and re-exports :func:`load_targets` and
:func:`validate_targets`. Loading lives here, with the data, so that the data checks
(:mod:`jzsim.data.check`) read the registry without importing the analysis layer.
"""

from __future__ import annotations

import io
import os
import re
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["KINDS", "COMPARISONS", "GROWTH_KINDS", "REFERENCE_KINDS", "load_targets", "validate_targets"]

KINDS = ("level", "cagr", "at_most_indicator", "cagr_vs_indicator")
COMPARISONS = (">=", ">", "<=", "<", "approx")

_COLUMNS = (
    "id",
    "area",
    "description",
    "indicator",
    "selector",
    "kind",
    "comparison",
    "threshold",
    "units",
    "year",
    "base_year",
    "reference",
    "tolerance",
    "source",
    "note",
)
GROWTH_KINDS = ("cagr", "cagr_vs_indicator")
REFERENCE_KINDS = ("at_most_indicator", "cagr_vs_indicator")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SELECTOR_RE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*[^=;]+?\s*$")
_SOURCE_RE = re.compile(r"^plan ch\.\d+ L\d+")


def load_targets(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read and validate the target registry.

    Parameters
    ----------
    path
        A CSV with the registry's columns; default the ``targets.csv`` packaged in
        ``jzsim.data`` (found through :mod:`importlib.resources`, so it works from any directory
        after installation).

    Returns
    -------
    pandas.DataFrame
        One row per target, in file order. ``threshold`` and ``tolerance`` are floats (NaN when
        empty), ``year`` and ``base_year`` nullable integers, other columns strings ("" when empty).

    Raises
    ------
    ValueError
        If a row breaks the rules listed in :func:`validate_targets`.
    """
    if path is None:
        text = resources.files("jzsim.data").joinpath("targets.csv").read_text(encoding="utf-8")
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_targets(raw)


def validate_targets(df: pd.DataFrame) -> pd.DataFrame:
    """Check a target table and return a normalised copy.

    Rules: every registry column present; ``id`` unique snake_case; ``kind`` in :data:`KINDS`;
    ``comparison`` in :data:`COMPARISONS` (``<=`` for ``at_most_indicator``); ``year`` an integer;
    ``base_year`` an integer before ``year`` for the growth kinds and empty otherwise;
    ``threshold`` a number for ``level``/``cagr`` (or empty: threshold unknown) and empty for the
    kinds compared with a ``reference``, which they require; ``tolerance`` a number >= 0 exactly
    when ``comparison`` is ``approx``; ``selector`` ``dim=label[;dim=label]``; ``units`` non-empty;
    ``source`` starting ``plan ch.N LNN``.

    Parameters
    ----------
    df
        The table, e.g. a user's edited copy of :func:`load_targets` (numbers or strings).

    Returns
    -------
    pandas.DataFrame
        Normalised copy (see :func:`load_targets`).

    Raises
    ------
    ValueError
        Naming the row id, the field, the offending value and what is allowed.
    """
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"target table lacks column(s) {missing}; required columns: {list(_COLUMNS)}")
    out = df.loc[:, list(_COLUMNS)].copy()
    for c in _COLUMNS:
        out[c] = [_text(v) for v in out[c]]

    def fail(rid: str, field: str, value, allowed: str) -> None:
        raise ValueError(f"target {rid!r}: field {field!r} has value {value!r}; allowed: {allowed}")

    seen: set[str] = set()
    years, base_years, thresholds, tolerances = [], [], [], []
    for i, r in enumerate(out.itertuples(index=False)):
        rid = r.id or f"<row {i + 1}>"
        if not _ID_RE.match(r.id):
            fail(rid, "id", r.id, "a non-empty snake_case name ([a-z][a-z0-9_]*)")
        if r.id in seen:
            fail(rid, "id", r.id, "a name not used by another row")
        seen.add(r.id)
        if r.kind not in KINDS:
            fail(rid, "kind", r.kind, " | ".join(KINDS))
        if r.comparison not in COMPARISONS:
            fail(rid, "comparison", r.comparison, " | ".join(COMPARISONS))
        if r.kind == "at_most_indicator" and r.comparison != "<=":
            fail(rid, "comparison", r.comparison, "'<=' for kind at_most_indicator")
        for field in ("area", "description", "units"):
            if not getattr(r, field):
                fail(rid, field, getattr(r, field), "a non-empty text")
        if not _SOURCE_RE.match(r.source):
            fail(rid, "source", r.source, "'plan ch.N LNN' (chapter and line of the plan)")
        for field in ("indicator", "reference"):
            v = getattr(r, field)
            if v and not _NAME_RE.match(v):
                fail(rid, field, v, "empty or a model variable name")
        if r.selector and not all(_SELECTOR_RE.match(p) for p in r.selector.split(";")):
            fail(rid, "selector", r.selector, "empty or 'dim=label' items joined by ';'")

        year = _integer(r.year)
        if year is None:
            fail(rid, "year", r.year, "a calendar year (integer)")
        base = _integer(r.base_year) if r.base_year else None
        if r.kind in GROWTH_KINDS:
            if base is None or base >= year:
                fail(rid, "base_year", r.base_year, f"an integer year before year {year} for kind {r.kind}")
        elif r.base_year:
            fail(rid, "base_year", r.base_year, f"empty for kind {r.kind}")

        thr = _number(r.threshold)
        if r.threshold and thr is None:
            fail(rid, "threshold", r.threshold, "a number or empty")
        if r.kind in REFERENCE_KINDS:
            if r.threshold:
                fail(
                    rid,
                    "threshold",
                    r.threshold,
                    f"empty for kind {r.kind} (it is compared with 'reference')",
                )
            if not r.reference:
                fail(rid, "reference", r.reference, f"a model variable name for kind {r.kind}")
        elif r.reference:
            fail(rid, "reference", r.reference, f"empty for kind {r.kind}")

        tol = _number(r.tolerance)
        if r.comparison == "approx":
            if tol is None or tol < 0:
                fail(
                    rid,
                    "tolerance",
                    r.tolerance,
                    "a number >= 0 (in the row's units) for comparison 'approx'",
                )
        elif r.tolerance:
            fail(rid, "tolerance", r.tolerance, f"empty for comparison {r.comparison!r}")

        years.append(year)
        base_years.append(base)
        thresholds.append(np.nan if thr is None else thr)
        tolerances.append(np.nan if tol is None else tol)

    out["year"] = pd.array(years, dtype="Int64")
    out["base_year"] = pd.array(base_years, dtype="Int64")
    out["threshold"] = np.asarray(thresholds, dtype=float)
    out["tolerance"] = np.asarray(tolerances, dtype=float)
    return out.reset_index(drop=True)


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    return str(v).strip()


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _integer(text: str) -> int | None:
    x = _number(text)
    return int(x) if x is not None and float(x).is_integer() else None
