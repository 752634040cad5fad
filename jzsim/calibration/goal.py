"""Goal-seeking under uncertainty: the smallest lever setting that meets a target with a chosen
probability, e.g. P(health cluster >= 100 亿元 in 2025) >= 0.8.

Every iteration is ONE :func:`jzsim.sweep` (a grid of settings crossed with the same parameter
draws in one vectorized run: common random numbers, so P(target) is a smooth function of the
lever and paired differences are precise). One lever: a grid over its range brackets the first
setting whose P(target) reaches the probability, and each further iteration puts a grid inside
that bracket; the answer interpolates linearly inside the last bracket. Its Monte Carlo error is
``se(P) / slope``, with ``se(P) = sqrt(p (1 - p) / draws)`` at the crossing and the slope of P
over the bracket (delta method). Several levers with cost weights: the grid is their cross
product, the answer the cheapest feasible setting (``sum weight * setting``), refined on a finer
grid around it. A target no setting reaches is reported as such with the best probability seen.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["goal_seek", "GoalResult"]


@dataclass
class GoalResult:
    """What :func:`goal_seek` found.

    Attributes
    ----------
    target : str
    probability : float
        The probability asked for.
    reached : bool
        Whether some setting in the range meets the target with that probability.
    setting : dict
        Lever -> the smallest (or cheapest) setting found (None where not reached).
    setting_se : dict
        Lever -> Monte Carlo standard error of the setting (one lever; NaN for several).
    p_at_setting : float
        P(target) at the grid point returned (several levers) or the probability asked (one lever).
    best_probability : float
        The highest P(target) over every setting evaluated.
    curve : xarray.Dataset
        ``p_met`` and ``p_met_se`` over every setting evaluated (dim ``setting``, each lever a
        coordinate), sorted.
    kernel_calls, draws : int
    """

    target: str
    probability: float
    reached: bool
    setting: dict
    setting_se: dict
    p_at_setting: float
    best_probability: float
    curve: xr.Dataset
    draws: int
    kernel_calls: int = 0
    costs: dict = field(default_factory=dict)

    def __str__(self) -> str:
        levers = ", ".join(self.setting)
        if not self.reached:
            return (
                f"{self.target}: P >= {self.probability:g} is not reached by any setting of {levers} in its range; "
                f"the best probability reached is {self.best_probability:.3f}"
            )
        parts = [
            f"{k} = {v:.6g}"
            + (f" (MC se {self.setting_se[k]:.2g})" if np.isfinite(self.setting_se.get(k, np.nan)) else "")
            for k, v in self.setting.items()
        ]
        return (
            f"{self.target}: P >= {self.probability:g} needs {', '.join(parts)}; "
            f"P there {self.p_at_setting:.3f}; {self.draws} draws x {self.curve.sizes['setting']} settings "
            f"in {self.kernel_calls} sweep calls"
        )


def goal_seek(
    target: str,
    lever: str | Sequence[str] | Mapping[str, float],
    probability: float = 0.8,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    draws: int = 2000,
    seed: int = 0,
    grid: int = 9,
    iterations: int = 3,
    calibration: Any = None,
    model=None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Any] | None = None,
    targets: pd.DataFrame | None = None,
    backend: str = "numpy",
    progress: bool | None = False,
    **settings: Any,
) -> GoalResult:
    """The smallest setting of ``lever`` (or the cheapest of several) with P(``target`` met) >= ``probability``.

    Parameters
    ----------
    target : str
        A target id of the registry (``jzsim targets``), e.g. ``"health_cluster_output_2025"``.
    lever : str, sequence or mapping
        A parameter name; several names (equal cost weights); or name -> cost weight per unit.
    probability : float, default 0.8
    bounds : mapping, optional
        Lever -> (low, high) searched (default: the parameter's declared range).
    draws : int, default 2000
        Parameter draws, the same for every setting (common random numbers).
    seed : int, default 0
    grid : int, default 9
        Settings per lever and iteration (several levers: per lever, crossed).
    iterations : int, default 3
        Sweep calls (each one vectorized run of grid x draws).
    calibration : CalibrationResults, optional
        Draw the fitted parameters from it (as :func:`jzsim.monte_carlo` does).
    model, params, uncertainty, targets, backend, progress, **settings
        As in :func:`jzsim.sweep`.

    Returns
    -------
    GoalResult
    """
    from jzsim.analysis.targets import load_targets
    from jzsim.experiments import sweep
    from jzsim.uncertainty.montecarlo import declared_parameters

    if not 0 < probability < 1:
        raise ValueError(f"probability is {probability!r}; allowed: a number strictly between 0 and 1")
    if grid < 3 or iterations < 1:
        raise ValueError(f"grid is {grid} and iterations {iterations}; allowed: grid >= 3, iterations >= 1")
    costs = _costs(lever)
    table = targets if targets is not None else load_targets()
    ids = list(table["id"]) if "id" in table else list(table.index)
    if target not in ids:
        close = difflib.get_close_matches(str(target), [str(i) for i in ids], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown target {target!r}{hint}")
    from jzsim.plan import plan_model

    model = plan_model() if model is None else model
    declared = {p.name: p for p in declared_parameters(model.build())}
    ranges = {}
    for name in costs:
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown lever {name!r}{hint}")
        lo, hi = (bounds or {}).get(name, (declared[name].low, declared[name].high))
        if lo is None or hi is None or not lo < hi:
            raise ValueError(f"lever {name!r} has range ({lo}, {hi}); allowed: low < high (pass bounds=)")
        ranges[name] = (float(lo), float(hi))
    unc = dict(uncertainty or {})
    if calibration is not None:
        drawn = calibration.uncertainty(start=settings.get("start", model.settings["start"]))
        unc = {**{k: v for k, v in drawn.items() if k not in costs and k not in (params or {})}, **unc}
    seen: list[pd.DataFrame] = []

    def run(frame: pd.DataFrame) -> pd.DataFrame:
        sw = sweep(
            frame,
            draws=draws,
            seed=seed,
            model=model,
            params=params,
            uncertainty=unc,
            targets=table,
            backend=backend,
            progress=progress,
            **settings,
        )
        p = sw["p_met"].sel(target=target)
        if not np.isfinite(p.values).all():
            raise ValueError(
                f"target {target!r} is not modelled by this model ({str(sw['status'].sel(target=target).values)})"
            )
        out = frame.copy()
        out["p_met"], out["p_met_se"] = p.values, sw["p_met_se"].sel(target=target).values
        seen.append(out)
        return out

    names = list(costs)
    if len(names) == 1:
        res = _one_lever(run, names[0], ranges[names[0]], probability, grid, iterations, draws)
    else:
        res = _several(run, costs, ranges, probability, grid, iterations)
    allp = pd.concat(seen).drop_duplicates(subset=names).sort_values(names).reset_index(drop=True)
    curve = xr.Dataset(
        {
            "p_met": ("setting", allp["p_met"].to_numpy(), {"units": "1", "description": f"P({target} met)"}),
            "p_met_se": ("setting", allp["p_met_se"].to_numpy(), {"units": "1", "description": "MC standard error"}),
        },
        coords={"setting": np.arange(len(allp)), **{n: ("setting", allp[n].to_numpy()) for n in names}},
        attrs={"target": target, "probability": probability, "draws": draws, "seed": seed},
    )
    if calibration is not None:
        curve.attrs["calibration_hash"] = calibration.hash
    reached, setting, se, p_at = res
    return GoalResult(
        target=target,
        probability=float(probability),
        reached=reached,
        setting=setting,
        setting_se=se,
        p_at_setting=p_at,
        best_probability=float(allp["p_met"].max()),
        curve=curve,
        draws=int(draws),
        kernel_calls=len(seen),
        costs=costs,
    )


def _costs(lever) -> dict[str, float]:
    if isinstance(lever, str):
        return {lever: 1.0}
    if isinstance(lever, Mapping):
        out = {str(k): float(v) for k, v in lever.items()}
        bad = {k: v for k, v in out.items() if not np.isfinite(v) or v < 0}
        if bad:
            raise ValueError(f"cost weights {bad}; allowed: finite numbers >= 0")
        return out
    names = [str(x) for x in lever]
    if not names:
        raise ValueError("lever is empty; allowed: a parameter name, several, or name -> cost weight")
    return {n: 1.0 for n in names}


def _one_lever(run, name, rng, prob, grid, iterations, draws):
    lo, hi = rng
    first_slope = np.nan
    for it in range(iterations):
        res = run(pd.DataFrame({name: np.linspace(lo, hi, grid)}))
        v, p = res[name].to_numpy(), res["p_met"].to_numpy()
        ok = np.flatnonzero(p >= prob)
        if not ok.size:
            if it == 0:
                return False, {name: None}, {name: np.nan}, float(p.max())
            break  # (noise: the refined grid fell short; keep the last bracket)
        i = int(ok[0])
        if i == 0:
            if it == 0:  # the lowest setting already meets it
                return True, {name: float(v[0])}, {name: 0.0}, float(p[0])
            lo, hi = v[0], v[0]
            p0 = p1 = p[0]
            break
        lo, hi, p0, p1 = v[i - 1], v[i], p[i - 1], p[i]
        if it == 0:
            first_slope = (p1 - p0) / (hi - lo)
    if hi == lo:
        return True, {name: float(lo)}, {name: 0.0}, float(prob)
    slope = (p1 - p0) / (hi - lo)
    x = lo + (prob - p0) / slope if slope > 0 else hi
    x = float(np.clip(x, lo, hi))
    s = slope if slope > 0 else first_slope
    se = float(np.sqrt(prob * (1 - prob) / draws) / s) if s and s > 0 else np.nan
    return True, {name: x}, {name: se}, float(prob)


def _several(run, costs, ranges, prob, grid, iterations):
    names = list(costs)
    box = dict(ranges)
    best = None
    for _ in range(iterations):
        axes = [np.linspace(*box[n], grid) for n in names]
        frame = pd.DataFrame(list(itertools.product(*axes)), columns=names)
        res = run(frame)
        res["cost"] = sum(costs[n] * res[n] for n in names)
        feas = res[res["p_met"] >= prob]
        if feas.empty:
            break
        row = feas.sort_values(["cost", "p_met"], ascending=[True, False]).iloc[0]
        best = row
        box = {}
        for n, ax in zip(names, axes):
            step = ax[1] - ax[0]
            box[n] = (max(ranges[n][0], row[n] - step), min(ranges[n][1], row[n] + step))
    if best is None:
        return False, {n: None for n in names}, {n: np.nan for n in names}, np.nan
    return True, {n: float(best[n]) for n in names}, {n: np.nan for n in names}, float(best["p_met"])
