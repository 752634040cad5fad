"""The plan's targets, machine-readable, and their evaluation against model results.

The registry is ``jzsim/data/targets.csv``: one row per quantitative target of the plan, each
citing the plan's chapter and line (``source``). Columns:

``id``
    short snake_case name, unique.
``area``, ``description``
    the plan's topic and the target in English.
``indicator``
    the model variable the target is judged on; empty when the model does not cover it (the
    target is then reported as ``not modelled``, never dropped).
``selector``
    ``dim=label`` (several joined by ``;``) picking one slice of a grouped variable, e.g.
    ``cluster=health`` on ``cluster_output``.
``kind``
    ``level``: the indicator in ``year`` compared with ``threshold``;
    ``cagr``: average annual growth of the indicator from ``base_year`` to ``year``, compared
    with ``threshold`` [1/year];
    ``at_most_indicator``: indicator <= the variable named in ``reference``, both in ``year``
    (e.g. groundwater extraction <= recharge);
    ``cagr_vs_indicator``: average annual growth of the indicator compared with that of
    ``reference`` over ``base_year``-``year`` (e.g. incomes growing in step with GDP).
``comparison``
    ``>=``, ``>``, ``<=``, ``<``, or ``approx`` (within ``tolerance``, in the row's units).
``threshold``, ``units``
    the target value and its units (engine unit strings; ``1`` for shares, ``1/year`` for growth
    rates). An empty threshold is allowed for ``level``/``cagr`` when the plan does not give the
    number (status ``threshold unknown``; supply it in your own copy to evaluate).
``year``, ``base_year``
    calendar years; ``base_year`` only for the growth kinds.
``reference``, ``tolerance``, ``source``, ``note``
    as above; ``source`` is ``plan ch.N LNN``; ``note`` gives the Chinese wording and any reading
    or assumption we made.

Statuses reported by :func:`evaluate_targets`:

- ``met`` / ``missed``: the target could be judged; with several draws, ``met`` means at least
  half the draws meet it (``p_met`` >= 0.5), i.e. the median draw meets it;
- ``threshold unknown``: indicator computed, no threshold to compare it with;
- ``not modelled``: no indicator, or the indicator (or reference) is not in the results (a name
  that is not in the results but close to one that is, a likely typo, is refused with a "did you
  mean" by :func:`evaluate_targets`, :func:`target_indicators` and :func:`target_met`);
- ``no value``: the indicator is in the results but NaN in every draw (not scored ``missed``);
- ``outside horizon``: ``year`` (or ``base_year``) is not among the results' times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from jzsim.data.targets import COMPARISONS, GROWTH_KINDS, KINDS, REFERENCE_KINDS, load_targets, validate_targets

__all__ = [
    "KINDS",
    "COMPARISONS",
    "STATUSES",
    "load_targets",
    "validate_targets",
    "target_indicators",
    "target_met",
    "evaluate_targets",
    "TargetChecks",
]

STATUSES = ("met", "missed", "threshold unknown", "not modelled", "outside horizon", "no value")
_GROWTH_KINDS = GROWTH_KINDS
_REFERENCE_KINDS = REFERENCE_KINDS
# Relative slack on every comparison, so that a path growing exactly 6%/yr meets ">= 6%" despite
# floating-point rounding in (x1/x0)**(1/n) - 1.
_RTOL = 1e-9


# --------------------------------------------------------------------------------------------
# evaluation


@dataclass
class _Assessment:
    """One target judged against one result set (per-draw arrays have dim ``draw``)."""

    row: pd.Series
    status: str
    value: xr.DataArray | None = None  # indicator (or its growth rate), per draw
    reference: xr.DataArray | None = None  # reference variable (or its growth rate), per draw
    met: xr.DataArray | None = None  # bool per draw, when status is met/missed

    @property
    def value_units(self) -> str:
        return "1/year" if self.row["kind"] in _GROWTH_KINDS else self.row["units"]


def _time_dim(ds: xr.Dataset) -> str:
    for d in ("time", "year"):
        if d in ds.dims:
            return d
    raise ValueError(f"results have no 'time' (or 'year') dimension; dims are {dict(ds.sizes)}")


def _at_year(da: xr.DataArray, tdim: str, year: int) -> xr.DataArray | None:
    """``da`` at calendar year ``year``, or None if no saved time equals it."""
    hits = np.flatnonzero(np.isclose(np.asarray(da[tdim].values, dtype=float), float(year), rtol=0, atol=1e-6))
    return None if hits.size == 0 else da.isel({tdim: int(hits[0])}, drop=True)


def _parse_selector(text: str) -> dict[str, str]:
    if not text:
        return {}
    return {k.strip(): v.strip() for k, v in (p.split("=", 1) for p in text.split(";"))}


def _lookup(ds: xr.Dataset, name: str, selector: dict[str, str], tid: str) -> xr.DataArray | None:
    """The variable ``name`` sliced by ``selector``; None if the results do not hold it.

    A grouped variable (``cluster_output`` with dim ``cluster``) is used when present, else its
    member ``cluster_output_health`` (the naming of docs/interfaces.md).
    """
    if name in ds.data_vars:
        da = ds[name]
        for dim, label in selector.items():
            if dim not in da.dims:
                raise ValueError(f"target {tid!r}: selector dim {dim!r} not in {name!r} dims {da.dims}")
            labels = list(da[dim].values)
            match = [lab for lab in labels if str(lab) == label]
            if not match:
                raise ValueError(f"target {tid!r}: selector {dim}={label!r} not among {name!r} labels {labels}")
            da = da.sel({dim: match[0]}, drop=True)
        return da
    member = "_".join([name, *selector.values()])
    if selector and member in ds.data_vars:
        return ds[member]
    return None


def _to_units(da: xr.DataArray, units: str, tid: str) -> xr.DataArray:
    """``da`` converted to ``units`` using its ``attrs['units']`` (unchanged if none or equal)."""
    src = str(da.attrs.get("units", "")).strip()
    if not src or src == units:
        return da
    try:
        from jzsim.engine.units import conversion_factor, parse_units
    except ImportError as exc:  # the engine may not be installed in a data-only context
        raise ValueError(
            f"target {tid!r}: results in {src!r}, target in {units!r}, and the engine's "
            f"unit registry is unavailable to convert ({exc})"
        ) from None
    try:
        f = conversion_factor(parse_units(src), parse_units(units))
    except ValueError as exc:
        raise ValueError(
            f"target {tid!r}: cannot compare results in {src!r} with target units {units!r}: {exc}"
        ) from None
    return da * f


def _per_draw(da: xr.DataArray, tid: str, name: str) -> xr.DataArray:
    if "draw" not in da.dims:
        da = da.expand_dims(draw=[0])
    extra = [d for d in da.dims if d != "draw"]
    if extra:
        raise ValueError(
            f"target {tid!r}: {name!r} still has dims {extra} after selecting the year; "
            "add a 'selector' (e.g. cluster=health)"
        )
    return da.transpose("draw")


def _growth(end: xr.DataArray, start: xr.DataArray, years: int) -> xr.DataArray:
    """Average annual growth rate (x_end / x_start) ** (1/years) - 1 [1/year]; NaN if x_start <= 0."""
    ratio = (end / start.where(start > 0)).where(lambda r: r >= 0)
    return ratio ** (1.0 / years) - 1.0


def _compare(x: xr.DataArray, comparison: str, y, tolerance: float) -> xr.DataArray:
    """x <comparison> y, NaN comparing False.

    ``>=``, ``<=`` and ``approx`` allow a relative slack of 1e-9 for floating-point rounding;
    the strict ``>`` and ``<`` allow none.
    """
    return _within(x, comparison, y, tolerance) & x.notnull()


def _within(x, comparison: str, y, tolerance: float):
    """``x`` (a DataArray or an array) meets ``comparison`` against ``y``, NaN aside."""
    slack = _RTOL * np.maximum(1.0, np.abs(y))
    if comparison == ">=":
        return x >= y - slack
    if comparison == ">":
        return x > y  # strict: no slack in the permissive direction
    if comparison == "<=":
        return x <= y + slack
    if comparison == "<":
        return x < y
    return np.abs(x - y) <= tolerance + slack  # approx


def _typo(ds: xr.Dataset, name: str, field: str, tid: str) -> None:
    """Refuse ``name`` if it is not in ``ds`` but close to a name that is (a likely typo)."""
    import difflib

    known = list(ds.data_vars)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
    if close and not any(k.startswith(name + "_") for k in known):
        raise ValueError(
            f"target {tid!r}: {field} {name!r} is not in the results; did you mean {close[0]!r}? "
            f"(leave {field} empty for a target the model does not cover)"
        )


def _assess_one(ds: xr.Dataset, row: pd.Series, tdim: str, times: set, typos: bool = False) -> _Assessment:
    tid, kind = row["id"], row["kind"]
    sel = _parse_selector(row["selector"])
    if not row["indicator"]:
        return _Assessment(row, "not modelled")
    ind = _lookup(ds, row["indicator"], sel, tid)
    ref = _lookup(ds, row["reference"], {}, tid) if row["reference"] else None
    if typos and ind is None:
        _typo(ds, row["indicator"], "indicator", tid)
    if typos and row["reference"] and ref is None:
        _typo(ds, row["reference"], "reference", tid)
    if ind is None or (row["reference"] and ref is None):
        return _Assessment(row, "not modelled")

    year, base = int(row["year"]), row["base_year"]
    needed = [year] + ([int(base)] if kind in _GROWTH_KINDS else [])
    if any(not np.isclose(list(times), y, rtol=0, atol=1e-6).any() for y in needed):
        return _Assessment(row, "outside horizon")

    def at(da, y, name):
        return _per_draw(_at_year(da, tdim, y), tid, name)

    if kind in _GROWTH_KINDS:
        n = year - int(base)
        value = _growth(at(ind, year, row["indicator"]), at(ind, int(base), row["indicator"]), n)
        reference = (
            None if ref is None else _growth(at(ref, year, row["reference"]), at(ref, int(base), row["reference"]), n)
        )
    else:
        value = at(_to_units(ind, row["units"], tid), year, row["indicator"])
        reference = None if ref is None else at(_to_units(ref, row["units"], tid), year, row["reference"])

    if typos and bool(value.isnull().all()):  # nothing to judge: not a miss
        return _Assessment(row, "no value", value, reference)
    if kind in _REFERENCE_KINDS:
        met = _compare(value, row["comparison"], reference, row["tolerance"]) & reference.notnull()
    elif np.isnan(row["threshold"]):
        return _Assessment(row, "threshold unknown", value, reference)
    else:
        met = _compare(value, row["comparison"], row["threshold"], row["tolerance"])
    status = "met" if float(met.mean()) >= 0.5 else "missed"
    return _Assessment(row, status, value, reference, met)


def _assess(ds: xr.Dataset, targets: pd.DataFrame | None, typos: bool = True) -> list[_Assessment]:
    """Assess every target on ``ds``. ``typos``: refuse indicator names close to a name in ``ds``
    and report all-NaN indicators as ``no value`` (off for a template holding only some outputs
    and no values, as :class:`TargetChecks` gets)."""
    targets = load_targets() if targets is None else validate_targets(targets)
    tdim = _time_dim(ds)
    times = set(np.asarray(ds[tdim].values, dtype=float).tolist())
    return [_assess_one(ds, row, tdim, times, typos) for _, row in targets.iterrows()]


def target_indicators(ds: xr.Dataset, targets: pd.DataFrame | None = None) -> xr.Dataset:
    """Per-draw value of each target's indicator, for the targets the results can measure.

    Parameters
    ----------
    ds
        Model results: variables with dims ``(draw, time)`` (``time`` in calendar years, floats),
        grouped variables with an extra dim (e.g. ``cluster``).
    targets
        A target table (default: :func:`load_targets`).

    Returns
    -------
    xarray.Dataset
        One variable per measurable target, named by the target id, dims ``(draw,)``: the indicator
        in ``year`` (in the target's units) for ``level`` and ``at_most_indicator``, its average
        annual growth [1/year] for ``cagr`` and ``cagr_vs_indicator``. attrs give units, kind,
        year, comparison, threshold and reference. Targets not modelled or outside the horizon are
        absent (see :func:`evaluate_targets` for the full list).
    """
    out = {}
    for a in _assess(ds, targets):
        if a.value is None:
            continue
        r = a.row
        attrs = {
            "units": a.value_units,
            "description": r["description"],
            "kind": r["kind"],
            "year": int(r["year"]),
            "comparison": r["comparison"],
            "source": r["source"],
        }
        if not np.isnan(r["threshold"]):
            attrs["threshold"] = float(r["threshold"])
        if r["reference"]:
            attrs["reference"] = r["reference"]
        out[r["id"]] = a.value.assign_attrs(attrs)
    return xr.Dataset(out)


def _bare(da: xr.DataArray) -> xr.DataArray:
    out = da.copy()
    out.attrs = {}
    return out


def target_met(ds: xr.Dataset, targets: pd.DataFrame | None = None) -> xr.DataArray:
    """Whether each draw meets each target that can be judged.

    Parameters
    ----------
    ds, targets
        As in :func:`target_indicators`.

    Returns
    -------
    xarray.DataArray
        bool, dims ``(draw, target)``; only targets with status ``met`` or ``missed`` appear.
    """
    judged = [a for a in _assess(ds, targets) if a.met is not None]
    if not judged:
        draws = ds["draw"].values if "draw" in ds.coords else np.arange(ds.sizes.get("draw", 1))
        return xr.DataArray(
            np.zeros((len(draws), 0), dtype=bool),
            dims=("draw", "target"),
            coords={"draw": draws, "target": np.array([], dtype=str)},
            name="target_met",
        )
    ids = np.array([str(a.row["id"]) for a in judged])
    met = xr.concat([_bare(a.met) for a in judged], dim=xr.DataArray(ids, dims="target", name="target"))
    return (
        met.transpose("draw", "target")
        .rename("target_met")
        .assign_attrs(description="whether each draw meets each target (see jzsim/data/targets.csv)")
    )


def evaluate_targets(ds: xr.Dataset, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every target with its model value and whether the results meet it.

    Parameters
    ----------
    ds, targets
        As in :func:`target_indicators`.

    Returns
    -------
    pandas.DataFrame
        One row per target, in registry order (targets the model does not cover are kept, with
        status ``not modelled``). Columns: ``target``, ``area``, ``description``, ``indicator``,
        ``kind``, ``year``, ``model_value`` (median over draws, in ``value_units``),
        ``value_units``, ``threshold``, ``reference_value`` (median over draws of the reference,
        or of its growth rate), ``comparison``, ``tolerance``, ``p_met`` (share of draws meeting
        the target; 0 or 1 for a single draw), ``met`` (nullable bool: ``p_met >= 0.5``, the single
        draw's verdict when there is one draw), ``status`` (one of :data:`STATUSES`), ``source``.
    """
    recs = []
    for a in _assess(ds, targets):
        r = a.row
        p_met = np.nan if a.met is None else float(a.met.mean())
        recs.append(
            {
                "target": r["id"],
                "area": r["area"],
                "description": r["description"],
                "indicator": r["indicator"],
                "kind": r["kind"],
                "year": int(r["year"]),
                "model_value": np.nan if a.value is None else float(a.value.median(skipna=True)),
                "value_units": a.value_units,
                "threshold": r["threshold"],
                "reference_value": np.nan if a.reference is None else float(a.reference.median(skipna=True)),
                "comparison": r["comparison"],
                "tolerance": r["tolerance"],
                "p_met": p_met,
                "met": pd.NA if a.met is None else bool(p_met >= 0.5),
                "status": a.status,
                "source": r["source"],
            }
        )
    columns = ["target", "area", "description", "indicator", "kind", "year", "model_value", "value_units"]
    columns += ["threshold", "reference_value", "comparison", "tolerance", "p_met", "met", "status", "source"]
    df = pd.DataFrame.from_records(recs, columns=columns)  # columns kept for an empty registry
    df["met"] = df["met"].astype("boolean")
    return df


# --------------------------------------------------------------------------------------------
# precompiled per-draw checks on plain arrays (the Monte Carlo loop)


@dataclass(frozen=True)
class _Source:
    """Where one per-draw series comes from in a result array ``out[var, draw, time]``."""

    row: int  # row of ``out``: the variable itself, or the one it is the growth rate of
    growth: bool  # True: growth rate of ``row`` between saved times (see ``growth_rows``)
    factor: float | None  # unit conversion factor applied before comparing (None: none)


@dataclass(frozen=True)
class _Check:
    """One judged target compiled to row and time indices."""

    index: int  # position in the target table
    kind: str
    comparison: str
    threshold: float
    tolerance: float
    years: int  # years between base_year and year (growth kinds; 0 otherwise)
    t_end: int  # saved-time index of ``year``
    t_base: int  # saved-time index of ``base_year`` (growth kinds; -1 otherwise)
    ind: _Source
    ref: _Source | None


class TargetChecks:
    """The targets, compiled once against a result layout, checked per draw on plain arrays.

    Gives the same per-target counts of draws meeting each target as summing
    :func:`target_met` over ``draw`` on the corresponding :class:`xarray.Dataset`, without
    building a Dataset per chunk: the same numpy operations are applied to the same numbers, in the
    same order.

    Parameters
    ----------
    template : xarray.Dataset
        Results with the layout of every later array (same variables, groups, units and times;
        any number of draws, e.g. one). Statuses and any error about a target (bad selector,
        incompatible units, ...) come from evaluating the targets on it, exactly as
        :func:`target_met` would.
    targets : pandas.DataFrame, optional
        Target table (default: :func:`load_targets`).
    rows : mapping
        Row of each variable of ``template`` in the arrays passed to :meth:`counts` (name -> int);
        for a grouped variable, a mapping of its labels to the rows of its members.
    growth : mapping of str to int, optional
        Variables of ``template`` absent from ``rows`` that are growth rates of a row, computed as
        :func:`jzsim.engine.results.growth_rows` does (name -> row of the variable they are the
        growth rate of).
    save_every : float, default 1.0
        Time between saved times [time units], for ``growth``.

    Attributes
    ----------
    ids : list of str
        Target ids in table order.
    status : list of str
        Status of each target on ``template``; counts are computed for ``met``/``missed`` ones only.
    """

    def __init__(
        self,
        template: xr.Dataset,
        targets: pd.DataFrame | None,
        rows: Mapping[str, int | Mapping[str, int]],
        growth: Mapping[str, int] | None = None,
        save_every: float = 1.0,
    ):
        growth = dict(growth or {})
        self._save_every = float(save_every)
        table = load_targets() if targets is None else validate_targets(targets)
        tdim = _time_dim(template)
        times = np.asarray(template[tdim].values, dtype=float)
        assessed = _assess(template, table, typos=False)
        self.ids = [str(a.row["id"]) for a in assessed]
        self.status = [a.status for a in assessed]
        self._checks: list[_Check] = []
        for i, a in enumerate(assessed):
            if a.met is None:
                continue
            r = a.row
            kind, grows = r["kind"], r["kind"] in _GROWTH_KINDS
            sel = _parse_selector(r["selector"])
            ind = self._source(template, r["indicator"], sel, rows, growth, None if grows else r["units"], r["id"])
            ref = (
                self._source(template, r["reference"], {}, rows, growth, None if grows else r["units"], r["id"])
                if r["reference"]
                else None
            )
            year = int(r["year"])
            base = int(r["base_year"]) if grows else None
            self._checks.append(
                _Check(
                    index=i,
                    kind=kind,
                    comparison=r["comparison"],
                    threshold=float(r["threshold"]),
                    tolerance=float(r["tolerance"]),
                    years=(year - base) if grows else 0,
                    t_end=_time_index(times, year),
                    t_base=_time_index(times, base) if grows else -1,
                    ind=ind,
                    ref=ref,
                )
            )
        cells: dict[tuple[int, int], None] = {}
        for c in self._checks:
            times = (c.t_end, c.t_base) if c.kind in _GROWTH_KINDS else (c.t_end,)
            for src in (c.ind, c.ref):
                if src is not None and not src.growth:
                    cells.update({(src.row, t): None for t in times})
        self._cells = tuple(cells)

    @staticmethod
    def _source(
        ds: xr.Dataset,
        name: str,
        selector: dict[str, str],
        rows: Mapping,
        growth: Mapping[str, int],
        units: str | None,
        tid: str,
    ) -> _Source:
        """Where ``_lookup(ds, name, selector)`` takes its numbers from (the target was judged on
        ``ds``, so the lookup succeeds and a selector on a grouped variable names one label)."""
        if name in ds.data_vars:
            da, where = ds[name], rows.get(name, growth.get(name))
            if selector:
                (label,) = selector.values()
                where = where[label] if isinstance(where, dict) else None
        else:
            name = "_".join([name, *selector.values()])
            da, where = ds[name], rows.get(name)
        factor = None if units is None or _units_unchanged(da, units) else _factor_of(da, units)
        if isinstance(where, (int, np.integer)) and name in growth and name not in rows:
            return _Source(int(where), True, factor)
        if isinstance(where, (int, np.integer)):
            return _Source(int(where), False, factor)
        raise ValueError(
            f"target {tid!r}: variable {name!r}{' ' + str(selector) if selector else ''} of the template has no row"
        )

    @property
    def cells(self) -> list[tuple[int, int]]:
        """The ``(row, time index)`` cells of ``out`` whose per-draw columns the checks read
        (growth-rate sources aside, which read whole rows), each once, in first-use order."""
        return list(self._cells)

    @property
    def reads_rows(self) -> bool:
        """Whether some check reads whole rows of ``out`` (a growth rate computed from a row), so
        that :meth:`counts` needs ``out`` even with ``copies``."""
        return any(s is not None and s.growth for c in self._checks for s in (c.ind, c.ref))

    def counts(self, out: np.ndarray | None, copies: np.ndarray | None = None) -> np.ndarray:
        """Draws meeting each target in ``out`` (shape ``(n_vars, n_draws, n_times)``).

        Parameters
        ----------
        out : numpy.ndarray or None
            None when ``copies`` are given and no check reads whole rows (:attr:`reads_rows`).
        copies : numpy.ndarray, optional
            ``copies[j] = out[row, :, t]`` for the ``j``-th of :attr:`cells`, already made (e.g. by
            :meth:`jzsim.uncertainty.summaries.Accumulator.add_blocks`); without it the columns
            are copied from ``out``.

        Returns
        -------
        numpy.ndarray
            int64, one count per target in table order (0 for targets not judged).
        """
        res = np.zeros(len(self.ids), dtype=np.int64)
        cache = self._cache(out, copies)
        for c in self._checks:
            met = self._met(c, out, cache)
            res[c.index] = int(np.count_nonzero(met))
        return res

    def _cache(self, out: np.ndarray | None, copies: np.ndarray | None) -> dict:
        """Check :meth:`counts`' arguments; the columns already copied, by (row, time)."""
        if out is None and (copies is None or self.reads_rows):
            raise ValueError(
                "out is None; allowed only with copies, and when no check reads whole rows (reads_rows is False)"
            )
        # growth rows by row; contiguous copies of columns by (row, time)
        n = copies.shape[-1] if out is None else out.shape[1]
        if copies is not None and (copies.ndim != 2 or copies.shape != (len(self._cells), n)):
            raise ValueError(
                f"copies has shape {copies.shape}; allowed: ({len(self._cells)}, {n}), "
                "one row per cell of `cells`, one column per draw of `out`"
            )
        return {} if copies is None else dict(zip(self._cells, copies))

    def _series(self, s: _Source, out: np.ndarray, t: int, cache: dict) -> np.ndarray:
        if s.growth:
            if s.row not in cache:
                from jzsim.engine.results import growth_rows

                cache[s.row] = growth_rows(out[s.row], self._save_every)
            x = cache[s.row][:, t]
        else:
            # out[row, :, t] strides over whole rows of times: copied once, the comparisons on it
            # run on contiguous memory (about 4x faster for a chunk that is not in cache)
            key = (s.row, t)
            if key not in cache:
                cache[key] = np.ascontiguousarray(out[s.row, :, t])
            x = cache[key]
        return x if s.factor is None else x * s.factor

    def outcomes(self, out: np.ndarray | None, copies: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per draw, each target's indicator value and whether it is met (arguments as
        :meth:`counts`).

        Returns
        -------
        tuple of numpy.ndarray
            ``(value, met)``, shape ``(n_targets, n_draws)`` in table order: the indicator's value
            in the target's units (a growth rate for growth targets; NaN for targets not judged)
            and a bool (False for targets not judged). ``met.sum(axis=1)`` equals :meth:`counts`.
        """
        n = copies.shape[-1] if out is None else out.shape[1]
        value = np.full((len(self.ids), n), np.nan)
        met = np.zeros((len(self.ids), n), dtype=bool)
        cache = self._cache(out, copies)
        for c in self._checks:
            value[c.index], met[c.index] = self._value_met(c, out, cache)
        return value, met

    def _met(self, c: _Check, out: np.ndarray, cache: dict) -> np.ndarray:
        return self._value_met(c, out, cache)[1]

    def _value_met(self, c: _Check, out: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray]:
        """Mirror of ``_assess_one``'s arithmetic for one judged target: (indicator value, met)."""
        if c.kind in _GROWTH_KINDS:
            value = _growth_np(
                self._series(c.ind, out, c.t_end, cache), self._series(c.ind, out, c.t_base, cache), c.years
            )
            ref = (
                None
                if c.ref is None
                else _growth_np(
                    self._series(c.ref, out, c.t_end, cache), self._series(c.ref, out, c.t_base, cache), c.years
                )
            )
        else:
            value = self._series(c.ind, out, c.t_end, cache)
            ref = None if c.ref is None else self._series(c.ref, out, c.t_end, cache)
        if c.kind in _REFERENCE_KINDS:
            return value, _compare_np(value, c.comparison, ref, c.tolerance) & ~np.isnan(ref)
        return value, _compare_np(value, c.comparison, c.threshold, c.tolerance)


def _time_index(times: np.ndarray, year: int) -> int:
    return int(np.flatnonzero(np.isclose(times, float(year), rtol=0, atol=1e-6))[0])


def _units_unchanged(da: xr.DataArray, units: str) -> bool:
    src = str(da.attrs.get("units", "")).strip()
    return not src or src == units


def _factor_of(da: xr.DataArray, units: str) -> float:
    """The factor ``_to_units`` multiplies by (the units were checked by ``_to_units`` already)."""
    from jzsim.engine.units import conversion_factor, parse_units

    return conversion_factor(parse_units(str(da.attrs.get("units", "")).strip()), parse_units(units))


def _growth_np(end: np.ndarray, start: np.ndarray, years: int) -> np.ndarray:
    """:func:`_growth` on plain arrays (same operations)."""
    ratio = end / np.where(start > 0, start, np.nan)
    ratio = np.where(ratio >= 0, ratio, np.nan)
    return ratio ** (1.0 / years) - 1.0


def _compare_np(x: np.ndarray, comparison: str, y, tolerance: float) -> np.ndarray:
    """:func:`_compare` on plain arrays (same operations)."""
    return _within(x, comparison, y, tolerance) & ~np.isnan(x)
