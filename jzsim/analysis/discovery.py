"""Scenario discovery: which combinations of uncertain parameters make a target fail.

PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999; as used for scenario discovery
by Bryant & Lempert 2010), finds a box ``lo_j <= x_j <= hi_j`` in parameter space where the cases
of interest (draws that miss a target) are concentrated:

- *peeling*: starting from the box holding every draw, repeatedly cut off the slice of
  ``alpha`` (default 5%) of the draws in the box at the low or high end of one parameter, choosing
  the cut that leaves the highest share of cases of interest; stop when fewer than ``min_mass``
  of the draws remain. Each step is one box of the *peeling trajectory*.
- each box is reported with its *coverage* (share of all cases of interest inside the box),
  *density* (share of the draws in the box that are cases of interest) and *mass* (share of all
  draws inside the box); density rises and coverage falls along the trajectory.
- the chosen box (default: the highest density whose coverage is at least ``min_coverage``) is
  *pruned*: a restriction is dropped while dropping it lowers the density by less than
  ``prune_tolerance`` or than two standard errors of the density, sqrt(d (1 - d) / n), so that
  the box reads in a few conditions that are not noise.
- further boxes are found the same way among the draws outside the earlier boxes (covering), and
  kept only if denser than those draws by more than two standard errors.

The functions take plain arrays or DataFrames (X: one column per parameter; y: bool per draw), so
they work with :func:`jzsim.monte_carlo`'s per-draw outcomes or with any other sample;
:func:`prim_from_results` reads them from a results Dataset, and :func:`discover` draws and runs
the plan itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Box", "PrimResult", "prim", "discover", "prim_from_results", "describe_box"]


@dataclass
class Box:
    """A box in parameter space: ``limits`` maps a parameter to its ``(low, high)`` bounds (either may
    be None: unbounded on that side); only restricted parameters appear."""

    limits: dict[str, tuple[float | None, float | None]]
    coverage: float
    density: float
    mass: float
    n: int  # draws inside the box
    n_cases: int  # cases of interest inside

    def contains(self, X: pd.DataFrame) -> np.ndarray:
        """Bool per row of ``X``: inside the box."""
        inside = np.ones(len(X), dtype=bool)
        for name, (lo, hi) in self.limits.items():
            x = X[name].to_numpy()
            if lo is not None:
                inside &= x >= lo
            if hi is not None:
                inside &= x <= hi
        return inside

    def conditions(self, units: Mapping[str, str] | None = None, digits: int = 3) -> list[str]:
        """The restrictions as text: ``"cluster_market_growth < 0.0152 1/year"``."""
        out = []
        for name, (lo, hi) in self.limits.items():
            u = f" {units[name]}" if units and units.get(name) not in (None, "", "1") else ""
            if lo is not None and hi is not None:
                out.append(f"{_fmt(lo, digits)} <= {name} <= {_fmt(hi, digits)}{u}")
            elif lo is not None:
                out.append(f"{name} >= {_fmt(lo, digits)}{u}")
            else:
                out.append(f"{name} <= {_fmt(hi, digits)}{u}")
        return out


@dataclass
class PrimResult:
    """Outcome of :func:`prim`: the boxes found and the first box's peeling trajectory."""

    boxes: list[Box]
    trajectory: pd.DataFrame  # one row per peeling step: coverage, density, mass, n_restricted
    trajectory_boxes: list[Box] = field(repr=False)
    base_rate: float  # share of all draws that are cases of interest
    n: int
    outcome: str = "the case of interest occurs"
    units: dict[str, str] = field(default_factory=dict)

    def describe(self, digits: int = 3) -> list[str]:
        """Each box in plain words."""
        return [describe_box(b, self.outcome, self.units, digits) for b in self.boxes]

    def table(self) -> pd.DataFrame:
        """One row per box: conditions, coverage, density, mass, draws."""
        return pd.DataFrame(
            [
                {
                    "box": i + 1,
                    "conditions": " and ".join(b.conditions(self.units)),
                    "coverage": b.coverage,
                    "density": b.density,
                    "mass": b.mass,
                    "draws": b.n,
                }
                for i, b in enumerate(self.boxes)
            ]
        )


def describe_box(box: Box, outcome: str, units: Mapping[str, str] | None = None, digits: int = 3) -> str:
    """A box in plain words: ``"<outcome> in 93% of draws where a < x and b > y (coverage ...)"``."""
    cond = " and ".join(box.conditions(units, digits)) or "anywhere (no restriction)"
    return (
        f"{outcome} in {box.density:.0%} of draws where {cond} "
        f"({box.n:,} draws, {box.mass:.0%} of all; the box holds {box.coverage:.0%} of all such draws)"
    )


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def prim(
    X: pd.DataFrame | np.ndarray,
    y: np.ndarray | Sequence[bool],
    *,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    prune_tolerance: float = 0.01,
    max_boxes: int = 2,
    outcome: str = "the case of interest occurs",
    units: Mapping[str, str] | None = None,
) -> PrimResult:
    """Find boxes of parameter space where ``y`` is concentrated (PRIM).

    Parameters
    ----------
    X : DataFrame or ndarray
        One row per draw, one column per parameter (an array gets columns ``x0, x1, ...``).
    y : array of bool
        Case of interest per draw (e.g. the target is missed).
    alpha : float, default 0.05
        Share of the box's draws cut off at each peeling step.
    min_mass : float, default 0.05
        Peeling stops when fewer than this share of all draws would remain in the box.
    min_coverage : float, default 0.5
        The chosen box is the densest on the trajectory with at least this coverage.
    prune_tolerance : float, default 0.01
        A restriction is dropped if that lowers the box's density by less than this (absolute).
    max_boxes : int, default 2
        Boxes to find (covering); stops early when a box is no denser than the draws left.
    outcome : str
        How to name the case of interest in :meth:`PrimResult.describe`.
    units : mapping, optional
        Parameter name -> units, for the descriptions.

    Returns
    -------
    PrimResult
    """
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X has shape {X.shape}; allowed: 2-d (draws x parameters)")
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    yv = np.asarray(y)
    if yv.dtype != bool:
        if not np.isin(yv, (0, 1)).all():
            raise ValueError("y must be bool (or 0/1) per draw: the case of interest")
        yv = yv.astype(bool)
    if yv.shape != (len(X),):
        raise ValueError(f"y has shape {yv.shape}; X has {len(X)} rows: allowed one value per row")
    if len(X) < 20:
        raise ValueError(f"X has {len(X)} draws; allowed: at least 20")
    for name, a in (("alpha", alpha), ("min_mass", min_mass), ("min_coverage", min_coverage)):
        if not 0 < a < 1:
            raise ValueError(f"{name} is {a!r}; allowed: a number strictly between 0 and 1")
    Xv = X.to_numpy(dtype=float)
    if not np.isfinite(Xv).all():
        bad = X.columns[~np.isfinite(Xv).all(axis=0)][0]
        raise ValueError(f"X column {bad!r} has a non-finite value; allowed: finite numbers")
    n_all, total_cases = len(X), int(yv.sum())
    names = list(X.columns)
    boxes: list[Box] = []
    remaining = np.ones(n_all, dtype=bool)
    first_traj: list[Box] = []
    for _ in range(max_boxes):
        idx = np.flatnonzero(remaining)
        cases_left = int(yv[idx].sum())
        if cases_left == 0 or len(idx) < max(20, min_mass * n_all):
            break
        traj = _peel(Xv[idx], yv[idx], names, alpha, min_mass * n_all, n_all, total_cases)
        if not first_traj:
            first_traj = traj
        ok = [b for b in traj if b.coverage * total_cases / max(cases_left, 1) >= min_coverage] or traj[:1]
        chosen = max(ok, key=lambda b: (round(b.density, 12), -len(b.limits)))
        chosen = _prune(chosen, Xv, yv, idx, names, prune_tolerance, n_all, total_cases)
        rate = cases_left / len(idx)
        if not chosen.limits or chosen.density <= rate + 2 * np.sqrt(rate * (1 - rate) / max(chosen.n, 1)):
            break  # no denser than the draws left, beyond noise
        boxes.append(chosen)
        remaining &= ~chosen.contains(X)
    trajectory = pd.DataFrame(
        [
            {"step": i, "coverage": b.coverage, "density": b.density, "mass": b.mass, "n_restricted": len(b.limits)}
            for i, b in enumerate(first_traj)
        ]
    )
    return PrimResult(
        boxes, trajectory, first_traj, total_cases / n_all, n_all, outcome, dict(units or {}) if units else {}
    )


def _box(lo, hi, Xv_full_min, Xv_full_max, names, inside_y, n_all, total_cases) -> Box:
    limits = {}
    for j, nm in enumerate(names):
        lo_j = lo[j] if lo[j] > Xv_full_min[j] else None
        hi_j = hi[j] if hi[j] < Xv_full_max[j] else None
        if lo_j is not None or hi_j is not None:
            limits[nm] = (None if lo_j is None else float(lo_j), None if hi_j is None else float(hi_j))
    n, c = len(inside_y), int(inside_y.sum())
    return Box(limits, c / total_cases if total_cases else 0.0, c / n if n else 0.0, n / n_all, n, c)


def _peel(Xv, yv, names, alpha, min_n, n_all, total_cases) -> list[Box]:
    lo, hi = Xv.min(axis=0).copy(), Xv.max(axis=0).copy()
    full_lo, full_hi = lo.copy(), hi.copy()
    inside = np.ones(len(Xv), dtype=bool)
    traj = [_box(lo, hi, full_lo, full_hi, names, yv, n_all, total_cases)]
    while True:
        Xi, yi = Xv[inside], yv[inside].astype(np.float64)
        # every candidate peel at once: per column, cut below the alpha quantile or above 1 - alpha
        q = np.quantile(Xi, [alpha, 1 - alpha], axis=0)
        best = None
        for side, keep in ((0, Xi > q[0]), (1, Xi < q[1])):
            n_keep = keep.sum(axis=0)
            ties = (n_keep == 0) | (n_keep == len(Xi))  # the quantile is a tied value: cut the ties only
            if ties.any():
                keep[:, ties] = Xi[:, ties] != q[side, ties]
                n_keep = keep.sum(axis=0)
            ok = (n_keep >= min_n) & (n_keep < len(Xi)) & (n_keep > 0)
            if not ok.any():
                continue
            dens = np.where(ok, (yi @ keep) / np.maximum(n_keep, 1), -1.0)
            j = int(np.argmax(dens))
            if best is None or dens[j] > best[0]:
                best = (dens[j], j, side, keep[:, j].copy())
        if best is None:
            break
        _, j, side, keep = best
        rows = np.flatnonzero(inside)
        inside[rows[~keep]] = False
        xs = Xv[inside, j]
        if side == 0:
            lo[j] = xs.min()
        else:
            hi[j] = xs.max()
        traj.append(_box(lo, hi, full_lo, full_hi, names, yv[inside], n_all, total_cases))
    return traj


def _prune(box: Box, Xv, yv, idx, names, tol, n_all, total_cases) -> Box:
    """Drop restrictions (the least useful first) while the density falls by less than ``tol``."""
    X = pd.DataFrame(Xv[idx], columns=names)
    y = yv[idx]

    def measure(limits) -> Box:
        b = Box(limits, 0, 0, 0, 0, 0)
        inside = b.contains(X)
        n, c = int(inside.sum()), int(y[inside].sum())
        return Box(limits, c / total_cases if total_cases else 0.0, c / n if n else 0.0, n / n_all, n, c)

    cur = measure(dict(box.limits))
    while len(cur.limits) > 1:
        trials = [measure({k: v for k, v in cur.limits.items() if k != name}) for name in cur.limits]
        best = max(trials, key=lambda b: b.density)
        # keep a restriction only if it buys more density than tol and than two standard errors of
        # the density (on a few hundred draws, gains of a few points are noise)
        se = np.sqrt(max(cur.density * (1 - cur.density), 0.0) / max(cur.n, 1))
        if cur.density - best.density >= max(tol, 2 * se):
            break
        cur = best
    return cur


def discover(
    target: str | None = None,
    *,
    draws: int = 10_000,
    seed: int = 0,
    sampler: str = "random",
    backend: str = "numpy",
    parameters: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    scenario: Any = None,
    model=None,
    registry: pd.DataFrame | None = None,
    **prim_options: Any,
) -> dict[str, PrimResult]:
    """Draw the uncertain parameters, run the plan once over all draws and find the failure boxes.

    Parameters
    ----------
    target : str, optional
        Target id; default every target the model judges that is missed in some draws and met in
        others.
    draws : int, default 10000
    seed : int, default 0
        Root seed; draw ``i``'s parameters depend only on ``seed`` and ``i``: the same draws as
        :func:`jzsim.monte_carlo` with this seed and sampler.
    sampler : {"random", "lhs", "sobol"}, default "random"
    backend : {"numpy", "numba"}, default "numpy"
    parameters : sequence of str, optional
        Uncertain parameters to vary and search over (default all).
    params, scenario, model, registry
        As in :func:`jzsim.analysis.sensitivity.sobol`.
    **prim_options
        Passed to :func:`prim` (``alpha``, ``min_mass``, ``min_coverage``, ``max_boxes`` ...).

    Returns
    -------
    dict
        Target id -> :class:`PrimResult` whose case of interest is "the target is missed".
    """
    from jzsim.analysis.sensitivity import SensitivityProblem
    from jzsim.uncertainty.sampling import SAMPLERS, uniforms

    if not isinstance(draws, (int, np.integer)) or draws < 20:
        raise ValueError(f"draws is {draws!r}; allowed: an integer >= 20")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    prob = SensitivityProblem.make(
        target,
        outputs=[],
        parameters=parameters,
        model=model,
        params=params,
        scenario=scenario,
        registry=registry,
        backend=backend,
    )
    u = uniforms(sampler, seed, prob.names, 0, draws, draws)
    Xv, res = prob.evaluate(u)
    X = pd.DataFrame(Xv, columns=prob.names)
    units = {p.name: p.units for p in prob.varied}
    out: dict[str, PrimResult] = {}
    reg = prob.registry.set_index("id")
    for t in prob.target_ids:
        met = res["met"].sel(target=t).values
        ok = np.isfinite(met)
        missed = met[ok] == 0
        if target is None and (missed.all() or not missed.any()):
            continue
        out[t] = prim(
            X[ok].reset_index(drop=True), missed, outcome=_missed_phrase(t, reg.loc[t]), units=units, **prim_options
        )
    return out


def prim_from_results(ds, target: str, *, registry: pd.DataFrame | None = None, **prim_options: Any) -> PrimResult:
    """PRIM on per-draw results already computed: which parameters make ``target`` fail.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results holding
        - the verdicts: a bool ``target_met`` over ``(draw, target)`` (Monte Carlo per-draw
          outcomes), or else trajectories the target can be judged on (e.g.
          ``jzsim.simulate({name: array, ...})``);
        - the parameters: a ``parameters`` variable over ``(draw, parameter)``, or else every
          variable over ``(draw,)`` alone that varies between draws.
    target : str
        Target id.
    registry : DataFrame, optional
        Target table (default the plan's).
    **prim_options
        Passed to :func:`prim`.

    Returns
    -------
    PrimResult
        Case of interest: the draw misses ``target``.
    """
    import difflib

    from jzsim.analysis.targets import load_targets, target_met

    reg = (load_targets() if registry is None else registry).set_index("id")
    if "target_met" in ds:
        met = ds["target_met"]
    else:
        met = target_met(ds, None if registry is None else registry)
    ids = [str(t) for t in met["target"].values]
    if target not in ids:
        close = difflib.get_close_matches(target, ids, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"target {target!r} is not judged in these results{hint}")
    missed = ~met.sel(target=target).values.astype(bool)
    if "parameters" in ds and set(ds["parameters"].dims) == {"draw", "parameter"}:
        P = ds["parameters"].transpose("draw", "parameter")
        X = pd.DataFrame(P.values, columns=[str(p) for p in P["parameter"].values])
    else:
        cols = {
            n: v.values
            for n, v in ds.data_vars.items()
            if v.dims == ("draw",) and np.issubdtype(v.dtype, np.floating) and np.ptp(v.values) > 0
        }
        if not cols:
            raise ValueError("the results hold no per-draw parameters that vary (no 'parameters' variable either)")
        X = pd.DataFrame(cols)
    units = {}
    for c in X.columns:
        if c in ds and "units" in ds[c].attrs:
            units[c] = str(ds[c].attrs["units"])
    if not units and "parameter_units" in ds:  # monte_carlo's per-draw outcomes
        units = {str(p): str(u) for p, u in zip(ds["parameter"].values, ds["parameter_units"].values)}
    if not units:  # no units in the results: the plan's, where they apply
        from jzsim.params import load_parameters

        declared = load_parameters()
        units = {c: declared[c].units for c in X.columns if c in declared}
    phrase = _missed_phrase(target, reg.loc[target]) if target in reg.index else f"{target} is missed"
    prim_options.setdefault("units", units)
    return prim(X, missed, outcome=phrase, **prim_options)


def _missed_phrase(tid: str, row) -> str:
    """``"health_cluster_output_2025 (cluster_output[cluster=health] >= 100 yiyuan/year in 2025) is missed"``."""
    ind = row["indicator"] + (f"[{row['selector']}]" if row["selector"] else "")
    if row["kind"] in ("cagr", "cagr_vs_indicator"):
        ind = f"average annual growth of {ind} over {int(row['base_year'])}-{int(row['year'])}"
        when = ""
    else:
        when = f" in {int(row['year'])}"
    if row["reference"]:
        other = row["reference"] if row["kind"] == "at_most_indicator" else f"that of {row['reference']}"
    else:
        other = f"{row['threshold']:g}" + ("" if row["units"] in ("1", "") else f" {row['units']}")
    return f"{tid} ({ind} {row['comparison']} {other}{when}) is missed"
