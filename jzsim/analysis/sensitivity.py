"""Global sensitivity of the plan's targets to the uncertain parameters: Sobol indices and Morris screening.

Both methods evaluate the model on a design of uniform quantiles ``u`` in (0, 1)^k, one column per
varied parameter, mapped to parameter values through each parameter's distribution (the same
transform as :func:`jzsim.monte_carlo`); every other parameter stays at its nominal value. The
whole design (all ``N (k + 2)`` Sobol rows, or all ``r (k + 1)`` Morris rows) goes through the
vectorized kernel in ONE call, saving only the outputs the targets need.

Sobol indices (variance-based; Saltelli et al. 2010, *Comput. Phys. Commun.* 181, 259)
    ``A``, ``B``: two ``N x k`` matrices (the two halves of a scrambled Sobol sequence in 2k
    dimensions); ``AB_i``: ``A`` with column ``i`` taken from ``B``. With ``V`` the variance of
    ``f`` over the rows of ``A`` and ``B``, the estimators recommended by Saltelli et al. (2010) are

    S1_i = mean(f(B) (f(AB_i) - f(A))) / V                first order (Saltelli 2010)
    ST_i = mean((f(A) - f(AB_i))^2) / 2 / V               total order (Jansen 1999)

    ``first_order="jansen"`` gives Jansen's first order, (V - mean((f(B) - f(AB_i))^2) / 2) / V,
    instead: a difference of two near-equal numbers, much the noisier for small indices. On the
    plan's GDP growth target (92 parameters), its values at N = 128 were 0.070 (rms) away from the
    same estimator at N = 1024 and summed to -5.3, against 0.021 and 1.17 for Saltelli's; at
    N = 1024 Jansen's S1 still summed to 2.0 (Saltelli's 0.94; a sum of first-order indices
    cannot exceed 1).

    With ``second_order``, blocks ``BA_i`` (``B`` with column ``i`` from ``A``) are added
    (``N (2k + 2)`` runs) and S2_ij = mean(f(BA_i) f(AB_j) - f(A) f(B)) / V - S1_i - S1_j
    (Saltelli 2002, *Comput. Phys. Commun.* 145, 280).

    Intervals: percentile bootstrap over the ``N`` base rows (``n_bootstrap`` resamples, as
    multinomial weights: one matrix product per statistic).

Morris screening (Morris 1991; Campolongo et al. 2007)
    ``r`` one-at-a-time trajectories on a ``levels``-point grid of each quantile axis (SALib's
    sampler, grid points at the centres of ``levels`` equal bins, so never at 0 or 1); per
    parameter the mean absolute elementary effect ``mu_star`` (in output units per unit of
    quantile), the signed mean ``mu`` and the spread ``sigma`` (interactions / nonlinearity).

What is analysed, per target (``measure`` coordinate): ``value``, the target's indicator (e.g. the
2021-2025 GDP growth rate [1/year]) and ``met``, the 0/1 outcome whose mean is P(met); and, per
year, each output variable the targets read (e.g. ``gdp_real``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["sobol", "morris", "saltelli_design", "sobol_indices", "ranking", "SensitivityProblem"]

MEASURES = ("value", "met")


# ------------------------------------------------------------------------------------ designs


def saltelli_design(k: int, n: int, seed: int = 0, *, second_order: bool = False) -> np.ndarray:
    """Uniform quantiles of a Sobol-index design, shape ``(n * (k + 2), k)`` (``(n * (2k + 2), k)``
    with ``second_order``).

    Rows in blocks of ``n``: ``A``, ``B``, then ``AB_1`` ... ``AB_k`` (``A`` with column ``i``
    from ``B``), then with ``second_order`` ``BA_1`` ... ``BA_k`` (``B`` with column ``i`` from ``A``). ``A`` and ``B`` are the first and last ``k`` columns of a scrambled Sobol
    sequence in ``2k`` dimensions (scipy's, seeded by ``seed``).

    Parameters
    ----------
    k : int
        Number of varied parameters (>= 1).
    n : int
        Base samples (a power of 2 keeps the Sobol sequence balanced).
    seed : int, default 0
    second_order : bool, default False
        Add the ``BA_i`` blocks needed for second-order indices.
    """
    from scipy.stats import qmc

    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k is {k!r}; allowed: an integer >= 1")
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n is {n!r}; allowed: an integer >= 2 (base samples)")
    base = qmc.Sobol(d=2 * k, scramble=True, seed=np.random.default_rng(seed)).random(n)
    # strictly inside (0, 1): ppf of unbounded distributions is infinite at the ends
    base = np.clip(base, 0.5 / 2**32, 1 - 0.5 / 2**32)
    A, B = base[:, :k], base[:, k:]
    out = np.empty((n * (2 * k + 2 if second_order else k + 2), k))
    out[:n], out[n : 2 * n] = A, B
    for i in range(k):
        blk = out[(2 + i) * n : (3 + i) * n]
        blk[:] = A
        blk[:, i] = B[:, i]
        if second_order:
            blk = out[(2 + k + i) * n : (3 + k + i) * n]
            blk[:] = B
            blk[:, i] = A[:, i]
    return out


def sobol_indices(
    y: np.ndarray,
    k: int,
    *,
    second_order: bool = False,
    first_order: str = "saltelli",
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Sobol first- and total-order indices from model values on :func:`saltelli_design` rows.

    Parameters
    ----------
    y : ndarray
        Shape ``(n * (k + 2), ...)`` (``(n * (2k + 2), ...)`` with ``second_order``): one value per
        design row (any trailing dims, e.g. years, are analysed separately).
    k : int
        Number of varied parameters.
    first_order : {"saltelli", "jansen"}, default "saltelli"
        Estimator of S1 (see the module docstring); ST is always Jansen's.
    second_order : bool, default False
        Also the second-order indices S2_ij = mean(f(BA_i) f(AB_j) - f(A) f(B)) / V - S1_i - S1_j
        (Saltelli 2002), from the ``BA_i`` blocks of :func:`saltelli_design`.
    n_bootstrap : int, default 200
        Bootstrap resamples of the base rows for the intervals (0: no intervals, NaN).
    confidence : float, default 0.95
        Coverage of the percentile intervals.
    seed : int, default 0
        Seed of the bootstrap resampling.

    Returns
    -------
    dict
        ``S1``, ``ST`` (shape ``(k, ...)``), ``S1_low``, ``S1_high``, ``ST_low``, ``ST_high`` and
        ``variance`` (shape ``(...)``); with ``second_order`` also ``S2``, ``S2_low``, ``S2_high``
        (shape ``(k, k, ...)``, symmetric, NaN on the diagonal). Indices are NaN where the output
        does not vary.
    """
    y = np.asarray(y, dtype=np.float64)
    blocks = 2 * k + 2 if second_order else k + 2
    if y.shape[0] % blocks:
        raise ValueError(
            f"y has {y.shape[0]} rows; allowed: a multiple of {'2k' if second_order else 'k'} + 2 = {blocks} "
            "(saltelli_design)"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence is {confidence!r}; allowed: a number strictly between 0 and 1")
    if first_order not in ("saltelli", "jansen"):
        raise ValueError(f"first_order is {first_order!r}; allowed: 'saltelli', 'jansen'")
    n = y.shape[0] // blocks
    tail = y.shape[1:]
    yr = y.reshape(blocks, n, -1)
    centre = np.nanmean(yr[:2], axis=(0, 1))  # the indices do not change with a shift; rounding does
    yA, yB, yAB = yr[0] - centre, yr[1] - centre, yr[2 : k + 2] - centre
    m = yA.shape[1]
    # per-row terms whose means make every statistic: columns [A, B, A^2 + B^2, first(k), total(k), pairs]
    cols = [
        yA,
        yB,
        yA**2 + yB**2,
        (((yB[None] - yAB) ** 2) if first_order == "jansen" else yB[None] * (yAB - yA[None]))
        .transpose(1, 0, 2)
        .reshape(n, -1),
        ((yA[None] - yAB) ** 2).transpose(1, 0, 2).reshape(n, -1),
    ]
    iu, ju = np.triu_indices(k, 1)
    if second_order:
        yBA = yr[k + 2 :] - centre
        cols.append((yBA[iu] * yAB[ju] - (yA * yB)[None]).transpose(1, 0, 2).reshape(n, -1))
    D = np.concatenate(cols, axis=1)
    del cols

    def stats(means: np.ndarray):
        lead = means.shape[:-1]
        mA, mB, m2 = means[..., :m], means[..., m : 2 * m], means[..., 2 * m : 3 * m]
        first = means[..., 3 * m : 3 * m + k * m].reshape(lead + (k, m))
        total = means[..., 3 * m + k * m : 3 * m + 2 * k * m].reshape(lead + (k, m))
        V = m2 / 2 - ((mA + mB) / 2) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            Vs = np.where(V > 0, V, np.nan)[..., None, :]
            S1 = (Vs - first / 2) / Vs if first_order == "jansen" else first / Vs
            res = {"S1": S1, "ST": total / 2 / Vs, "variance": V}
            if second_order:
                pair = means[..., 3 * m + 2 * k * m :].reshape(lead + (len(iu), m))
                S2 = np.full(lead + (k, k, m), np.nan)
                vals = pair / Vs - S1[..., iu, :] - S1[..., ju, :]
                S2[..., iu, ju, :] = vals
                S2[..., ju, iu, :] = vals
                res["S2"] = S2
        return res

    out = stats(D.mean(axis=0))
    names = ("S1", "ST", "S2") if second_order else ("S1", "ST")
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        W = rng.multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap).astype(np.float64) / n
        boot = stats(W @ D)
        a = (1 - confidence) / 2
        with warnings.catch_warnings():  # outputs that do not vary: all-NaN columns, NaN bounds
            warnings.simplefilter("ignore", RuntimeWarning)
            for name in names:
                out[f"{name}_low"], out[f"{name}_high"] = np.nanquantile(boot[name], [a, 1 - a], axis=0)
    else:
        for name in names:
            out[f"{name}_low"] = np.full_like(out[name], np.nan)
            out[f"{name}_high"] = np.full_like(out[name], np.nan)
    return {key: v.reshape(v.shape[:-1] + tail) if key != "variance" else v.reshape(tail) for key, v in out.items()}


# ------------------------------------------------------------------------------- the model side


@dataclass
class SensitivityProblem:
    """A model, the parameters to vary and what to measure; evaluates designs in one kernel call.

    Build it with :meth:`make`; :meth:`evaluate` maps a design of uniform quantiles to parameter
    values and returns the outcomes.
    """

    cm: Any
    rs: Any
    varied: list  # jzsim.params.Parameter, in design-column order
    registry: pd.DataFrame | None  # the target rows analysed (None: no targets)
    kernel_names: list[str]
    outputs: list[str]  # variables analysed per year
    backend: str

    @classmethod
    def make(
        cls,
        target: str | Sequence[str] | None = None,
        *,
        outputs: Sequence[str] | None = None,
        parameters: Sequence[str] | None = None,
        model=None,
        params: Mapping[str, Any] | None = None,
        scenario: Any = None,
        registry: pd.DataFrame | None = None,
        backend: str = "numpy",
        **settings: Any,
    ) -> SensitivityProblem:
        """See :func:`sobol` for the arguments."""
        import difflib

        from jzsim.params import load_parameters, with_overrides

        if backend not in ("numpy", "numba"):
            raise ValueError(f"backend is {backend!r}; allowed: 'numpy', 'numba'")
        if model is None:
            from jzsim.plan import plan_model

            model = plan_model(parameters=with_overrides(load_parameters(), params), scenario=scenario)
            if registry is None:
                from jzsim.analysis.targets import load_targets

                registry = load_targets()
        elif params or scenario is not None:
            raise ValueError("params and scenario apply to the plan model; for your own model declare them in it")
        cm = model.build()
        rs = cm.settings_for(settings)
        uncertain = [v.parameter for v in cm.params if v.parameter is not None and v.parameter.uncertain]
        if parameters is not None:
            by_name = {p.name: p for p in uncertain}
            bad = [p for p in parameters if p not in by_name]
            if bad:
                close = difflib.get_close_matches(bad[0], list(by_name), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise KeyError(f"parameter {bad[0]!r} is not an uncertain parameter of {cm.name!r}{hint}")
            uncertain = [by_name[p] for p in parameters]
        if not uncertain:
            raise ValueError(f"model {cm.name!r} has no uncertain parameters to vary (declare distributions)")
        rows = _target_rows(cm, registry, target)
        names = set(cm.output_names) | set(cm.derived)
        per_year = list(outputs) if outputs is not None else _indicator_variables(cm, rows)
        for o in per_year:
            if o not in names:
                close = difflib.get_close_matches(o, sorted(names), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise KeyError(f"output {o!r} is not a variable of {cm.name!r}{hint}")
        if rows is None and not per_year:
            raise ValueError("nothing to analyse: give a target or outputs")
        need = list(per_year) + _target_variables(cm, rows)
        kernel = []
        for nm in need:
            base = cm.derived[nm].of if nm in cm.derived else nm
            if base not in kernel:
                kernel.append(base)
        cm.selection(kernel)
        return cls(cm, rs, uncertain, rows, kernel, per_year, backend)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.varied]

    @property
    def target_ids(self) -> list[str]:
        return [] if self.registry is None else list(self.registry["id"])

    def parameter_values(self, u: np.ndarray) -> np.ndarray:
        """Parameter values (rows = draws, columns = :attr:`varied`) at uniform quantiles ``u``."""
        from jzsim.uncertainty.distributions import ppf_rows

        u = np.ascontiguousarray(np.asarray(u, dtype=np.float64).T)
        return ppf_rows(self.varied, u).T

    def evaluate(self, u: np.ndarray) -> tuple[np.ndarray, xr.Dataset]:
        """Run every row of the design ``u`` (shape ``(rows, k)``) in one kernel call.

        Returns
        -------
        (X, outcomes)
            ``X``: parameter values, shape ``(rows, k)``; ``outcomes``: Dataset over ``draw`` with
            each per-year output ``(draw, year)``, and ``value`` / ``met`` over ``(draw, target)``.
        """
        from jzsim.engine.results import to_dataset

        cm, rs = self.cm, self.rs
        X = self.parameter_values(u)
        n = X.shape[0]
        P = np.empty((len(cm.params), n))
        col = {p.name: j for j, p in enumerate(self.varied)}
        for i, p in enumerate(cm.params):
            P[i] = X[:, col[p.name]] if p.name in col else p.value
        threads = 1
        if self.backend == "numpy":  # numpy releases the GIL in its loops: split long runs between the CPUs
            from jzsim.engine.constants import MIN_THREAD_PART

            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            threads = max(1, min(cpus, n // MIN_THREAD_PART))
        out = cm.integrate(list(P), rs, backend=self.backend, names=self.kernel_names, threads=threads)
        del P
        ds = to_dataset(cm, rs, out, None, names=self.kernel_names)
        res = xr.Dataset({o: ds[o] for o in self.outputs})
        if self.registry is not None and len(self.registry):
            from jzsim.analysis.targets import target_indicators, target_met

            vals = target_indicators(ds, self.registry)
            met = target_met(ds, self.registry)
            ids = self.target_ids
            value = np.full((n, len(ids)), np.nan)
            judged = np.full((n, len(ids)), np.nan)
            for j, t in enumerate(ids):
                if t in vals:
                    value[:, j] = vals[t].values
                if t in met["target"].values:
                    judged[:, j] = met.sel(target=t).values
            res["value"] = (("draw", "target"), value, {"description": "target indicator (units per target)"})
            res["met"] = (("draw", "target"), judged, {"units": "1", "description": "1 if the draw meets the target"})
            res = res.assign_coords(target=ids)
        return X, res


def _target_rows(cm, registry, target) -> pd.DataFrame | None:
    """The registry rows to analyse: those named, or (default) every target the model measures."""
    import difflib

    from jzsim.analysis.targets import validate_targets

    if registry is None or (isinstance(target, (list, tuple)) and not target):
        if target:
            raise ValueError(f"target {target!r} given but there is no target registry for model {cm.name!r}")
        return None
    reg = validate_targets(registry)
    ids = list(reg["id"])
    if target is None:
        names = set(cm.output_names) | set(cm.derived) | set(cm.groups)
        keep = [
            r.id
            for r in reg.itertuples()
            if r.indicator in names and (not r.reference or r.reference in names) and _has_verdict(r)
        ]
        return reg[reg["id"].isin(keep)].reset_index(drop=True)
    wanted = [target] if isinstance(target, str) else list(target)
    for t in wanted:
        if t not in ids:
            close = difflib.get_close_matches(t, ids, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown target {t!r}{hint} (see `jzsim targets`)")
    rows = reg.set_index("id").loc[wanted].reset_index()
    names = set(cm.output_names) | set(cm.derived) | set(cm.groups)
    for r in rows.itertuples():
        if not r.indicator or r.indicator not in names:
            raise ValueError(f"target {r.id!r} is not modelled (indicator {r.indicator!r} is not a model output)")
    return rows


def _has_verdict(r) -> bool:
    return bool(r.reference) or bool(np.isfinite(r.threshold))


def _indicator_variables(cm, rows) -> list[str]:
    """The variable behind each target's indicator (a group member when the target selects one)."""
    out: list[str] = []
    if rows is None:
        return out
    for r in rows.itertuples():
        name = r.indicator
        if name in cm.groups and r.selector:
            label = r.selector.split("=", 1)[1].strip()
            name = cm.groups[name].members[label]
        if name not in out:
            out.append(name)
    return out


def _target_variables(cm, rows) -> list[str]:
    out: list[str] = []
    if rows is None:
        return out
    for r in rows.itertuples():
        for name in (r.indicator, r.reference):
            if not name:
                continue
            out += list(cm.groups[name].members.values()) if name in cm.groups else [name]
    return out


# --------------------------------------------------------------------------------- the methods


def sobol(
    target: str | Sequence[str] | None = None,
    *,
    n: int = 1024,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    backend: str = "numpy",
    model=None,
    params: Mapping[str, Any] | None = None,
    scenario: Any = None,
    registry: pd.DataFrame | None = None,
    second_order: bool = False,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    **settings: Any,
) -> xr.Dataset:
    """Sobol first- and total-order indices of the targets (and their indicators per year).

    Parameters
    ----------
    target : str or sequence of str, optional
        Target ids (see ``jzsim targets``); default every target the model can judge. ``[]``: no
        targets, only ``outputs``.
    n : int, default 1024
        Base samples N; the model runs ``N (k + 2)`` times for ``k`` varied parameters
        (``N (2k + 2)`` with ``second_order``), in one kernel call.
    seed : int, default 0
        Seed of the Sobol sequence's scrambling and of the bootstrap.
    outputs : sequence of str, optional
        Variables analysed per year (default: the targets' indicator variables).
    parameters : sequence of str, optional
        Uncertain parameters to vary (default: all; the others stay at their nominal values).
    backend : {"numpy", "numba"}, default "numpy"
    model : jzsim.engine.Model, optional
        Another model (its parameters declared with distributions); default the plan model.
    params : mapping, optional
        Overrides of the plan's nominal values.
    scenario : str, path or jzsim.scenarios.Scenario, optional
        Analyse this scenario of the plan (``jzsim scenarios``): its numbers, uncertainty and
        schedules apply (see :func:`jzsim.plan_model`); default the plan as published.
    registry : pandas.DataFrame, optional
        Target table (default: the plan's for the plan model, none otherwise).
    second_order : bool, default False
        Also the second-order indices ``S2`` of every pair of parameters (memory grows with k^2).
    n_bootstrap : int, default 200
    confidence : float, default 0.95
    **settings
        ``start``, ``stop``, ``dt``, ``method`` of the runs.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``ST`` and their ``_low`` / ``_high`` interval bounds over ``(target, measure,
        parameter)`` (``measure``: ``value`` = the indicator, ``met`` = the 0/1 outcome whose mean
        is P(met)); ``S1_by_year``, ``ST_by_year`` (with bounds) over ``(output, year,
        parameter)``; ``variance`` and ``p_met``; with ``second_order``, ``S2`` (and bounds) over
        ``(..., parameter, parameter_2)``. attrs: method, N, runs, seed.

    Examples
    --------
    >>> si = jzsim.analysis.sensitivity.sobol("gdp_growth_2021_2025", n=256)   # doctest: +SKIP
    >>> ranking(si, "gdp_growth_2021_2025").head()                              # doctest: +SKIP
    """
    prob = SensitivityProblem.make(
        target,
        outputs=outputs,
        parameters=parameters,
        model=model,
        params=params,
        scenario=scenario,
        registry=registry,
        backend=backend,
        **settings,
    )
    k = len(prob.varied)
    u = saltelli_design(k, n, seed, second_order=second_order)
    _, res = prob.evaluate(u)
    return _sobol_dataset(prob, res, k, n, seed, n_bootstrap, confidence, second_order)


def _sobol_dataset(prob, res, k, n, seed, n_bootstrap, confidence, second_order=False) -> xr.Dataset:
    tdim = prob.cm.time_dim
    ds = xr.Dataset(coords={"parameter": prob.names})
    if second_order:
        ds = ds.assign_coords(parameter_2=prob.names)
    stat_names = ("S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high")
    pair_names = ("S2", "S2_low", "S2_high") if second_order else ()
    opts = {"second_order": second_order, "n_bootstrap": n_bootstrap, "confidence": confidence, "seed": seed}
    if prob.outputs:
        Y = np.stack([res[o].values for o in prob.outputs], axis=-1)  # (rows, year, output)
        r = sobol_indices(Y, k, **opts)
        ds = ds.assign_coords({"output": prob.outputs, tdim: res[tdim].values})
        for s in stat_names:
            ds[f"{s}_by_year"] = (("output", tdim, "parameter"), r[s].transpose(2, 1, 0))
        for s in pair_names:
            ds[f"{s}_by_year"] = (("output", tdim, "parameter", "parameter_2"), r[s].transpose(3, 2, 0, 1))
        ds["variance_by_year"] = (("output", tdim), r["variance"].T)
    if "value" in res:
        Y = np.stack([res["value"].values, res["met"].values], axis=-1)  # (rows, target, measure)
        r = sobol_indices(Y, k, **opts)
        ds = ds.assign_coords(target=prob.target_ids, measure=list(MEASURES))
        for s in stat_names:
            ds[s] = (("target", "measure", "parameter"), r[s].transpose(1, 2, 0))
        for s in pair_names:
            ds[s] = (("target", "measure", "parameter", "parameter_2"), r[s].transpose(2, 3, 0, 1))
        ds["variance"] = (("target", "measure"), r["variance"])
        base = res["met"].values[: 2 * n]  # A and B rows: independent draws of the distributions
        ds["p_met"] = ("target", np.nanmean(base, axis=0), {"description": "share of the 2N base draws meeting it"})
    for s in stat_names + pair_names:
        for v in (s, f"{s}_by_year"):
            if v in ds:
                ds[v].attrs.update(units="1", description=_DESCRIPTIONS[s.split("_")[0]] + _BOUND.get(s, ""))
    ds.attrs.update(
        method="sobol (Saltelli design; S1 Saltelli 2010, ST Jansen; percentile bootstrap)",
        model=prob.cm.name,
        base_samples=int(n),
        runs=int(n * (2 * k + 2 if second_order else k + 2)),
        seed=int(seed),
        second_order=int(second_order),
        n_bootstrap=int(n_bootstrap),
        confidence=float(confidence),
        backend=prob.backend,
    )
    return ds


_DESCRIPTIONS = {
    "S2": "second-order Sobol index: share of the variance due to the pair's interaction alone",
    "S1": "first-order Sobol index: share of the variance due to the parameter alone",
    "ST": "total-order Sobol index: share of the variance involving the parameter",
    "mu": "mean elementary effect (output units per unit of quantile)",
    "mu_star": "mean absolute elementary effect (output units per unit of quantile)",
    "sigma": "standard deviation of the elementary effects",
}
_BOUND = {
    "S2_low": " (interval, lower)",
    "S2_high": " (interval, upper)",
    "S1_low": " (interval, lower)",
    "S1_high": " (interval, upper)",
    "ST_low": " (interval, lower)",
    "ST_high": " (interval, upper)",
}


def morris(
    target: str | Sequence[str] | None = None,
    *,
    trajectories: int = 100,
    levels: int = 4,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    backend: str = "numpy",
    model=None,
    params: Mapping[str, Any] | None = None,
    scenario: Any = None,
    registry: pd.DataFrame | None = None,
    confidence: float = 0.95,
    **settings: Any,
) -> xr.Dataset:
    """Morris elementary-effects screening of the targets (and their indicators per year).

    Parameters
    ----------
    trajectories : int, default 100
        One-at-a-time trajectories r; the model runs ``r (k + 1)`` times, in one kernel call.
    levels : int, default 4
        Grid points per quantile axis (even; at the centres of ``levels`` equal bins).
    confidence : float, default 0.95
        Coverage of the bootstrap interval of ``mu_star``.
    target, seed, outputs, parameters, backend, model, params, scenario, registry, settings
        As in :func:`sobol`.

    Returns
    -------
    xarray.Dataset
        ``mu``, ``mu_star``, ``mu_star_conf`` (interval half-width) and ``sigma`` over ``(target,
        measure, parameter)`` and, with ``_by_year``, over ``(output, year, parameter)``.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if not isinstance(trajectories, (int, np.integer)) or trajectories < 2:
        raise ValueError(f"trajectories is {trajectories!r}; allowed: an integer >= 2")
    if not isinstance(levels, (int, np.integer)) or levels < 2 or levels % 2:
        raise ValueError(f"levels is {levels!r}; allowed: an even integer >= 2")
    prob = SensitivityProblem.make(
        target,
        outputs=outputs,
        parameters=parameters,
        model=model,
        params=params,
        scenario=scenario,
        registry=registry,
        backend=backend,
        **settings,
    )
    k = len(prob.varied)
    problem = {"num_vars": k, "names": prob.names, "bounds": [[0.0, 1.0]] * k}
    grid = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    u = (0.5 + grid * (levels - 1)) / levels  # grid 0, 1/(p-1), ..., 1 -> bin centres (1/2p ... 1 - 1/2p)
    _, res = prob.evaluate(u)
    tdim = prob.cm.time_dim

    def analyse(y: np.ndarray) -> dict[str, np.ndarray]:
        if not np.isfinite(y).all() or np.ptp(y) == 0:
            nan = np.full(k, np.nan)
            return {"mu": nan, "mu_star": nan, "sigma": nan, "mu_star_conf": nan}
        r = morris_analyze.analyze(problem, grid, y, conf_level=confidence, num_levels=levels, seed=seed)
        # SALib divides by the step on its grid of [0, 1]; a grid step is (levels - 1)/levels of it in u
        scale = levels / (levels - 1)
        return {s: np.asarray(r[s], dtype=float) * scale for s in ("mu", "mu_star", "sigma", "mu_star_conf")}

    ds = xr.Dataset(coords={"parameter": prob.names})
    stats = ("mu", "mu_star", "sigma", "mu_star_conf")
    if prob.outputs:
        years = res[tdim].values
        arr = {s: np.full((len(prob.outputs), len(years), k), np.nan) for s in stats}
        for i, o in enumerate(prob.outputs):
            for j in range(len(years)):
                r = analyse(res[o].values[:, j])
                for s in stats:
                    arr[s][i, j] = r[s]
        ds = ds.assign_coords({"output": prob.outputs, tdim: years})
        for s in stats:
            ds[f"{s}_by_year"] = (("output", tdim, "parameter"), arr[s])
    if "value" in res:
        ids = prob.target_ids
        arr = {s: np.full((len(ids), 2, k), np.nan) for s in stats}
        for i in range(len(ids)):
            for j, m in enumerate(MEASURES):
                r = analyse(res[m].values[:, i])
                for s in stats:
                    arr[s][i, j] = r[s]
        ds = ds.assign_coords(target=ids, measure=list(MEASURES))
        for s in stats:
            ds[s] = (("target", "measure", "parameter"), arr[s])
    for v in ds.data_vars:
        base = v.replace("_by_year", "")
        ds[v].attrs["description"] = _DESCRIPTIONS.get(base, "half-width of the bootstrap interval of mu_star")
    ds.attrs.update(
        method="morris (elementary effects on uniform quantiles; SALib)",
        model=prob.cm.name,
        trajectories=int(trajectories),
        levels=int(levels),
        runs=int(trajectories * (k + 1)),
        seed=int(seed),
        backend=prob.backend,
    )
    return ds


def ranking(si: xr.Dataset, target: str | None = None, *, measure: str = "value", output: str | None = None, year=None):
    """Parameters ranked by importance, as a table.

    Parameters
    ----------
    si : xarray.Dataset
        From :func:`sobol` (ranked by ``ST``) or :func:`morris` (ranked by ``mu_star``).
    target : str, optional
        Target id (default: the first); or give ``output`` and ``year`` for a per-year ranking.
    measure : {"value", "met"}, default "value"

    Returns
    -------
    pandas.DataFrame
        One row per parameter, most important first, with the indices and their intervals.
    """
    if output is not None:
        tdim = [
            d
            for d in si["S1_by_year" if "S1_by_year" in si else "mu_star_by_year"].dims
            if d not in ("output", "parameter")
        ][0]
        sel = {"output": output} | ({tdim: year} if year is not None else {tdim: si[tdim].values[-1]})
        sub = si[[v for v in si.data_vars if v.endswith("_by_year") and "parameter_2" not in si[v].dims]].sel(sel)
        sub = sub.rename({v: v.replace("_by_year", "") for v in sub.data_vars})
    else:
        if "target" not in si.coords:
            raise ValueError("these indices have no targets; give output= (and year=)")
        ids = [str(t) for t in si["target"].values]
        t = ids[0] if target is None else target
        if t not in ids:
            raise KeyError(f"target {t!r} not among the analysed targets {ids}")
        if measure not in MEASURES:
            raise ValueError(f"measure is {measure!r}; allowed: {', '.join(MEASURES)}")
        sub = si[
            [v for v in si.data_vars if {"target", "parameter"} <= set(si[v].dims) and "parameter_2" not in si[v].dims]
        ].sel(target=t, measure=measure)
    df = sub.to_dataframe().drop(columns=[c for c in sub.coords if c != "parameter"], errors="ignore")
    key = "ST" if "ST" in df else "mu_star"
    return df.sort_values(key, ascending=False, na_position="last")
