"""Monte Carlo experiments on the plan (or on your own model): :func:`monte_carlo`.

This module joins the layers below it: the engine-level Monte Carlo driver
(:func:`jzsim.uncertainty.montecarlo.run_monte_carlo`), the plan model and its headline outputs
(:mod:`jzsim.plan`), and the plan's target registry (:mod:`jzsim.analysis.targets`). The driver
knows nothing of the plan; the plan's defaults are applied here.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from jzsim.uncertainty.distributions import Distribution
from jzsim.uncertainty.montecarlo import CompiledTargets, Execution, run_monte_carlo
from jzsim.uncertainty.summaries import QUANTILES

__all__ = ["monte_carlo", "sweep", "compare", "comparison_table", "Execution"]


def monte_carlo(
    draws: int = 10_000,
    *,
    scenario: Any = "plan",
    model=None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Distribution] | None = None,
    seed: int = 0,
    sampler: str = "random",
    outputs: Sequence[str] | None = None,
    targets: pd.DataFrame | None = None,
    quantiles: Sequence[float] = QUANTILES,
    n_bins: int = 1000,
    backend: str = "numpy",
    outcomes: bool = False,
    keep: bool | str | Path = False,
    progress: bool | None = None,
    execution: Execution | None = None,
    calibration: Any = None,
    **settings: Any,
) -> xr.Dataset:
    """Run ``draws`` draws of the uncertain parameters and summarise them.

    Options come in three groups: what is simulated (``scenario``, ``model``, ``params``,
    ``settings``), the statistics (``seed``, ``sampler``, ``outputs``, ``targets``, ``quantiles``,
    ``n_bins``) and how the run is executed (``backend``, ``keep``, ``progress``, and
    ``execution``, an :class:`Execution` with the chunk size and thread count, which never change
    a result).

    Parameters
    ----------
    draws : int, default 10000
        Number of draws.
    scenario : str, path or scenario, default "plan"
        The plan as written; a built-in scenario name or a ``.toml`` file, or a
        :class:`jzsim.scenarios.Scenario` (applied by ``plan_model(scenario=...)``: its numbers
        fix parameters, its ``[uncertainty]`` redraws them, its schedules vary them over time;
        not together with ``model``); or any object with ``.name``, ``.params`` (fixed
        overrides), ``.uncertainty`` (distributions) and optionally ``.model()``. ``params`` and
        ``uncertainty`` apply on top.
    model : jzsim.engine.Model, optional
        Another model (default: :func:`jzsim.plan_model`). Its parameters declared with
        :meth:`~jzsim.engine.Model.add_parameter` carry their distributions.
    params : mapping, optional
        Parameter name -> a number in the parameter's units, which FIXES it at that value in every
        draw (whatever its declared distribution; validated by :func:`jzsim.params.with_overrides`),
        or a whole :class:`~jzsim.params.Parameter`. Works for the plan model and for ``model``.
    uncertainty : mapping, optional
        Parameter name -> a distribution from :mod:`jzsim.uncertainty.distributions`
        (``{"tfp_growth": Uniform(0.01, 0.02)}``) drawn instead of the declared one. Only that
        parameter's draws change (see ``sampler`` for the common random numbers).
    seed : int, default 0
        Root seed; draw ``i``'s parameters depend only on ``seed``, the parameter's name and ``i``
        (and, for ``"lhs"``, on ``draws``).
    sampler : {"random", "lhs", "sobol"}, default "random"
    outputs : sequence of str, optional
        Variables to summarise (default, for a model with a target registry such as the plan's:
        the target indicators and those of :data:`jzsim.plan.HEADLINE` it has; for another
        model: every output). With a target registry, the
        targets' indicators are added to the ones given, so every target is still evaluated.
    targets : pandas.DataFrame, optional
        Target registry (default: the model's own, :attr:`jzsim.engine.Model.targets`, which
        :func:`jzsim.plan_model` sets to :func:`jzsim.analysis.targets.load_targets`; none for a
        model without).
    quantiles : sequence of float, default (0.05, 0.25, 0.5, 0.75, 0.95)
    n_bins : int, default 1000
        Histogram bins per variable and year for quantiles.
    backend : {"numpy", "numba", "dask"}, default "numpy"
        ``"numba"`` needs ``pip install 'jzsim[fast]'``; it agrees with numpy to about 1e-12.
        ``"dask"`` runs the chunks on a Dask cluster (``pip install 'jzsim[dask]'``), with the bits
        of the in-process run of its kernel; pass a :class:`jzsim.DaskExecution` as ``execution``
        for the client, the kernel and a resumable zarr ``store`` (:mod:`jzsim.uncertainty.distributed`).
    outcomes : bool, default False
        Also return each draw's outcomes: ``target_value(draw, target)`` (the indicator's value in
        the target's units; NaN for a target not judged), ``target_met(draw, target)`` (bool) and
        the sampled ``parameters(draw, parameter)`` (uncertain parameters only, with a
        ``parameter_units`` coordinate). Memory: about 9 bytes per draw and target plus 8 per
        draw and uncertain parameter; nothing per draw is kept without it.
    keep : bool or path, default False
        Keep per-draw trajectories of ``outputs``: ``True`` in memory, a path to stream them to a
        ``.npy`` file (memory-mapped in the result).
    progress : bool, optional
        Show a progress bar (default: on a terminal, for runs longer than a second).
    execution : Execution, optional
        ``Execution(chunk_size=None, threads=None)``: draws per chunk (default 32768 with numpy,
        65536 with numba) and numpy threads per chunk (default: usable CPUs). Results do not depend
        on them; memory grows with ``chunk_size``.
    calibration : jzsim.calibration.CalibrationResults, optional
        Draw the fitted parameters jointly from its posterior (or Laplace) sample instead of their
        priors (:meth:`~jzsim.calibration.CalibrationResults.uncertainty`); ``params`` and
        ``uncertainty`` still win for the names they give. ``attrs`` record its hash.
    **settings
        ``start``, ``stop``, ``dt``, ``method`` of the run.

    Returns
    -------
    xarray.Dataset
        For each output a variable with dims ``(statistic, year)`` (``mean``, ``std``, ``min``,
        ``max`` and the quantiles ``p05`` ...), with a float ``quantile`` coordinate along
        ``statistic`` (indexed: ``.sel(quantile=0.5)`` is the median, ``min`` and ``max`` are the 0
        and 1 quantiles, ``mean`` and ``std`` have NaN; for several at once select by label,
        ``.sel(statistic=["p05", "p95"])``); ``p_met``, ``p_met_se``, ``p_met_low``,
        ``p_met_high``, ``n_met`` over ``target``; with ``outcomes``, ``target_value``,
        ``target_met`` and ``parameters``; with ``keep``, ``<name>_draws`` over ``(draw, year)``
        and ``parameters``. ``attrs`` record seed, sampler,
        backend, versions, data hash, draws completed and whether the run was interrupted.

    Examples
    --------
    >>> import jzsim
    >>> mc = jzsim.monte_carlo(draws=4096, seed=1, progress=False)
    >>> float(mc["p_met"].sel(target="gdp_growth_2021_2025")) <= 1.0
    True
    """
    from jzsim.data import data_hash

    name, model, params, uncertainty, is_plan = _resolve(scenario, model, params, uncertainty)
    table = model.targets if targets is None else targets
    attrs = {"scenario": name, "data_hash": data_hash()}
    if calibration is not None:
        drawn = calibration.uncertainty(start=settings.get("start", model.settings["start"]))
        uncertainty = {**{k: v for k, v in drawn.items() if k not in (params or {})}, **dict(uncertainty or {})}
        attrs.update(calibration_hash=calibration.hash, calibration_parameters=", ".join(drawn))
    if outputs is None and is_plan:
        outputs = plan_outputs(model, table)
    elif outputs is not None and table is not None:
        outputs = with_indicators(model, outputs, table)
    return run_monte_carlo(
        model,
        draws,
        seed=seed,
        sampler=sampler,
        outputs=outputs,
        targets=None if table is None else TargetsOf(table),
        quantiles=quantiles,
        n_bins=n_bins,
        backend=backend,
        keep=keep,
        progress=progress,
        execution=execution,
        settings=settings,
        params=params,
        uncertainty=uncertainty,
        outcomes=outcomes,
        attrs=attrs,
    )


def _resolve(scenario, model, params, uncertainty):
    """``(name, model, params, uncertainty, is_plan)`` of a run: a :class:`jzsim.scenarios.Scenario`
    is applied by :func:`jzsim.plan_model`; a scenario-like object's overrides are added to
    ``params`` and ``uncertainty`` (the caller's on top); the model defaults to the plan's."""
    from jzsim.plan import plan_model

    sc = _load(scenario) if isinstance(scenario, (str, Path)) else scenario
    if _is_scenario(sc):
        if model is not None:
            raise ValueError("give scenario= or model=, not both (build the model with plan_model(scenario=...))")
        model = plan_model(scenario=sc)
    else:
        params = {**dict(getattr(sc, "params", None) or {}), **dict(params or {})}
        uncertainty = {**dict(getattr(sc, "uncertainty", None) or {}), **dict(uncertainty or {})}
        model = model if model is not None else _scenario_model(sc)
    model = plan_model() if model is None else model
    return str(getattr(sc, "name", scenario)), model, params, uncertainty, model.targets is not None


def with_indicators(model, outputs: Sequence[str], targets: pd.DataFrame) -> list[str]:
    """``outputs`` followed by the target indicators (and references) the model has that are not
    among them, so that asking for a few outputs never turns a target into "not modelled"."""
    if isinstance(outputs, str):
        raise TypeError(f"outputs is {outputs!r}; allowed: a list of output names, e.g. [{outputs!r}]")
    asked = list(outputs)
    return asked + [n for n in plan_outputs(model, targets, headline=False) if n not in asked]


def plan_outputs(model, targets: pd.DataFrame | None, headline: bool = True) -> list[str]:
    """The plan's default Monte Carlo outputs: target indicators and references, then (with
    ``headline``) :data:`jzsim.plan.HEADLINE`, with whole groups (so that target selectors such as
    ``cluster=...`` work), keeping those the model has."""
    from jzsim.plan import HEADLINE

    cm = model.build()
    names = set(cm.output_names) | set(cm.derived)
    want: list[str] = []
    if targets is not None:
        for col in ("indicator", "reference"):
            if col in targets:
                want += [str(x) for x in targets[col].dropna() if str(x)]
    want += list(HEADLINE) if headline else []
    for g in cm.groups.values():
        if any(m in want for m in g.members.values()) or g.name in want:
            want += list(g.members.values())
    out: list[str] = []
    for n in want:
        if n in names and n not in out:
            out.append(n)
    return out


class TargetsOf:
    """A target table compiled for each run (:data:`jzsim.uncertainty.montecarlo.TargetsFactory`):
    :class:`jzsim.analysis.targets.TargetChecks` on the run's rows, and each target's status."""

    def __init__(self, table: pd.DataFrame):
        self.table = table

    def __call__(self, cm, rs, names: list[str]) -> CompiledTargets:
        from jzsim.analysis.targets import TargetChecks
        from jzsim.engine.results import to_dataset

        table = self.table
        ids = list(table["id"]) if "id" in table else list(table.index)
        if not len(table):
            return CompiledTargets((), (), None)
        template = to_dataset(cm, rs, np.ones((len(names), 1, len(rs.save_times))), None, names=names)
        present = set(template.data_vars)
        rows: dict[str, Any] = {n: i for i, n in enumerate(names) if n in present}
        for g in cm.groups.values():
            if g.name in present:
                rows[g.name] = {label: rows[m] for label, m in g.members.items()}
        growth = {
            d.name: rows[d.of]
            for d in cm.derived.values()
            if d.name in present and d.name not in rows and isinstance(rows.get(d.of), int)
        }
        checks = TargetChecks(template, table, rows, growth, rs.save_every)
        return CompiledTargets(tuple(str(i) for i in ids), tuple(_status(table, names)), checks)


def _status(targets: pd.DataFrame, names: list[str]) -> list[str]:
    """Per target: "modelled", "not modelled" (no indicator among the outputs) or
    "threshold unknown" (the plan names the target but gives no number)."""
    out = []
    for _, row in targets.iterrows():
        ind = row.get("indicator")
        ok = isinstance(ind, str) and ind != "" and (ind in names or any(n.startswith(ind + "_") for n in names))
        ref = row.get("reference")
        if ok and isinstance(ref, str) and ref:
            ok = ref in names
        no_threshold = not (isinstance(ref, str) and ref) and not np.isfinite(float(row.get("threshold", np.nan)))
        out.append("threshold unknown" if ok and no_threshold else "modelled" if ok else "not modelled")
    return out


def sweep(
    lever: str | Mapping[str, Sequence[float]] | pd.DataFrame,
    values: Sequence[float] | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    sampler: str = "random",
    scenario: Any = "plan",
    model=None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Distribution] | None = None,
    targets: pd.DataFrame | None = None,
    backend: str = "numpy",
    execution: Execution | None = None,
    progress: bool | None = None,
    out: str | Path | None = None,
    **settings: Any,
) -> xr.Dataset:
    """P(target met) as a function of one or more levers, over the same parameter draws.

    The lever settings are crossed with ``draws`` parameter draws as more columns of the kernel's
    parameter matrix: each chunk of draws is sampled once and run under every setting in one
    kernel call (:func:`jzsim.uncertainty.sweep.run_sweep`), so settings differ only by the lever
    (common random numbers) and paired differences have small standard errors.

    Parameters
    ----------
    lever : str, mapping or pandas.DataFrame
        A parameter name (with ``values``); a mapping of parameter names to grids (every
        combination is a setting); or a DataFrame with one column per lever and one row per setting.
    values : sequence of float, optional
        The settings of a single ``lever``, in its units.
    draws : int, default 1000
    seed, sampler, scenario, model, params, uncertainty, targets, backend, execution, progress, **settings
        As in :func:`monte_carlo` (the sweep runs on top of ``scenario``); ``execution.chunk_size`` is the number of kernel columns
        (settings x draws) per call. A lever may not also be in ``params``.
    out : str or Path, optional
        A ``.zarr`` directory where the sweep is checkpointed kernel call by kernel call (with any
        backend; with ``"dask"`` the workers write it) and the result is written at the end. An
        interrupted sweep restarts with the same call and computes only the calls not finished; a
        store made for another sweep (seed, draws, levers, grid, scenario, model, jzsim version
        ...) is refused, naming what differs. The result is returned read back from it
        (Dask-backed); :func:`jzsim.open_run` opens it later.

    Returns
    -------
    xarray.Dataset
        ``p_met``, ``p_met_se``, ``n_met``, ``p_met_diff`` and ``p_met_diff_se`` (paired, against
        the first setting), ``target_value_mean`` over ``(setting, target)``; each lever is a
        coordinate along ``setting``.

    Examples
    --------
    >>> import jzsim
    >>> sw = jzsim.sweep("investment_rate", [0.3, 0.4], draws=200, progress=False)
    >>> sw["p_met"].sel(target="gdp_growth_2021_2025").shape
    (2,)
    """
    from jzsim.data import data_hash
    from jzsim.uncertainty.sweep import run_sweep

    grid = _settings(lever, values)
    name, model, params, uncertainty, is_plan = _resolve(scenario, model, params, uncertainty)
    table = model.targets if targets is None else targets
    if table is None:
        raise ValueError("sweep needs targets: pass targets= (a target table) for your own model")
    return run_sweep(
        model,
        grid,
        draws,
        targets=TargetsOf(table),
        outputs=plan_outputs(model, table, headline=False) if is_plan else None,
        seed=seed,
        sampler=sampler,
        params=params,
        uncertainty=uncertainty,
        backend=backend,
        execution=execution,
        progress=progress,
        run_settings=settings,
        attrs={"scenario": name, "data_hash": data_hash()},
        store=out,
    )


def _settings(lever, values) -> pd.DataFrame:
    if isinstance(lever, pd.DataFrame):
        if values is not None:
            raise ValueError("values is given with a DataFrame of settings; allowed: one or the other")
        return lever
    if isinstance(lever, str):
        if values is None:
            raise ValueError(f"lever {lever!r} needs values, e.g. sweep({lever!r}, [0.1, 0.2, 0.3])")
        return pd.DataFrame({lever: list(np.atleast_1d(np.asarray(values, dtype=float)))})
    if isinstance(lever, Mapping):
        if values is not None:
            raise ValueError("values is given with a mapping of grids; allowed: one or the other")
        names = list(lever)
        grids = [list(np.atleast_1d(np.asarray(lever[n], dtype=float))) for n in names]
        return pd.DataFrame(list(itertools.product(*grids)), columns=names)
    raise TypeError(f"lever is {lever!r}; allowed: a parameter name, a mapping of names to grids, or a DataFrame")


def compare(
    scenarios: Sequence[Any] | Mapping[str, Any],
    draws: int = 10_000,
    seed: int = 0,
    *,
    model=None,
    targets: pd.DataFrame | None = None,
    sampler: str = "random",
    outputs: Sequence[str] | None = None,
    backend: str = "numpy",
    execution: Execution | None = None,
    progress: bool | None = None,
    outcomes: bool = False,
    out: str | Path | None = None,
    **settings: Any,
) -> xr.Dataset:
    """Scenarios side by side over the same parameter draws, with paired differences.

    Every scenario runs :func:`monte_carlo` with the same ``seed``: parameter draws are keyed by
    ``(seed, parameter name, draw)`` whatever else the scenario fixes or redraws, so draw ``i`` is
    the same state of the world in every scenario (common random numbers) and the difference of
    two scenarios' P(met) is estimated from per-draw differences of verdicts.

    Parameters
    ----------
    scenarios : sequence or mapping
        Built-in scenario names or ``.toml`` paths (``jzsim scenarios`` lists them; ``"plan"`` is
        the plan as written), :class:`jzsim.scenarios.Scenario` objects, scenario-like objects
        (``.name``, ``.params`` fixed overrides, ``.uncertainty`` distributions, optionally
        ``.model()``), or a mapping of names to fixed-override dicts. The first is the reference.
    draws : int, default 10000
    seed : int, default 0
    model : jzsim.engine.Model, optional
        The model of scenarios that do not build their own (default: the plan model).
    targets, sampler, outputs, backend, execution, progress, **settings
        As in :func:`monte_carlo`. With ``backend="dask"`` and no ``client`` in ``execution``, one
        ``LocalCluster`` serves every scenario.
    outcomes : bool, default False
        Also keep ``target_met(scenario, draw, target)``.
    out : str or Path, optional
        ``backend="dask"`` only: a ``.zarr`` directory holding one resumable Monte Carlo store per
        scenario (``_jzsim/members/<i>-<name>.zarr``, checkpointed chunk by chunk by the workers,
        see :mod:`jzsim.uncertainty.store`) and, once all are done, the comparison itself. An
        interrupted comparison restarts with the same call and computes only the chunks not
        finished; a store made for another comparison (scenario list, seed, draws, sampler,
        outputs, jzsim version; a scenario's model or overrides, checked by its member store) is
        refused, naming what differs. The result is returned read back from it (Dask-backed);
        :func:`jzsim.open_run` opens it later.

    Returns
    -------
    xarray.Dataset
        Every summary of :func:`monte_carlo` with a leading ``scenario`` dim; ``p_met_diff`` and
        ``p_met_diff_se`` over ``(scenario, target)``: P(met) minus the first scenario's, and its
        standard error, sd of the per-draw differences of verdicts / sqrt(n) (zero for the first).
        :func:`comparison_table` prints it.
    """
    resolved = _scenarios(scenarios)
    root = None
    if out is not None:
        root = _compare_store(out, resolved, draws, seed, sampler, outputs, backend, execution, settings)
    finished = root is not None and root.complete()  # then the members only check their manifests
    runs, mets, resumed = [], [], 0
    with _one_cluster(backend, execution, start=not finished) as execution:
        for i, sc in enumerate(resolved):
            ex = execution
            if root is not None:
                ex = replace(execution, store=str(_member(root, i, sc.name)))
            ds = monte_carlo(
                draws,
                scenario=sc,
                model=None if _is_scenario(sc) else _scenario_model(sc) or model,
                targets=targets,
                seed=seed,
                sampler=sampler,
                outputs=outputs,
                backend=backend,
                execution=ex,
                progress=progress,
                outcomes=True,
                **settings,
            )
            if ds.attrs.get("interrupted"):
                kept = f"; finished chunks are kept in {root.path}: run the same command again to resume"
                raise KeyboardInterrupt(f"compare interrupted in scenario {sc.name!r}" + (kept if root else ""))
            mets.append(ds["target_met"])
            resumed += int(ds.attrs.get("chunks_resumed", 0))
            run = ds.drop_vars(["target_met", "target_value", "parameters", "parameter_units", "parameter", "draw"])
            if root is not None:  # the in-memory run's attrs (not the member's store) and no zarr encodings
                run.attrs = {k: v for k, v in ds.attrs.items() if k not in ("store", "chunks_resumed")}
                for v in run.variables.values():
                    v.encoding = {}
            runs.append(run)
    if finished:
        from jzsim.uncertainty.store import open_run

        return open_run(root.path)
    res = xr.concat(runs, dim=pd.Index([sc.name for sc in resolved], name="scenario"), combine_attrs="drop_conflicts")
    # fixed-width strings, as the target ids: zarr writes an object index as variable-length strings
    res = res.assign_coords(scenario=np.array([sc.name for sc in resolved]))
    n = mets[0].shape[0]
    s1, s2 = _paired_sums(mets)
    modelled = np.where(res["modelled"].isel(scenario=0).values, 1.0, np.nan)
    diff = s1 / n
    var = (s2 - n * diff**2) / max(n - 1, 1)
    res["p_met_diff"] = (
        ("scenario", "target"),
        diff * modelled,
        {"units": "1", "description": "p_met minus the first scenario's, over the same draws (paired)"},
    )
    res["p_met_diff_se"] = (
        ("scenario", "target"),
        np.sqrt(np.maximum(var, 0) / n) * modelled,
        {"units": "1", "description": "standard error of p_met_diff: sd of per-draw differences / sqrt(n)"},
    )
    if outcomes:
        met = xr.concat([m.drop_vars("draw", errors="ignore") for m in mets], dim="scenario").data
        res["target_met"] = (("scenario", "draw", "target"), met, {"description": "per-draw verdicts"})
    res.attrs.update(scenarios=", ".join(sc.name for sc in resolved), draws=int(n), seed=int(seed))
    if root is None:
        return res
    from jzsim.uncertainty.store import open_run

    res.attrs.update(store=str(root.path), chunks_resumed=resumed)
    root.write_result(res)
    return open_run(root.path)


def _paired_sums(mets: Sequence[xr.DataArray], step: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """Per scenario and target: the sum and the sum of squares of the per-draw differences of
    verdicts from the first scenario, counted in integers over blocks of ``step`` draws (exact, so
    the same bits however the verdicts are stored), as float arrays ``(scenario, target)``."""
    n = mets[0].shape[0]
    s1 = np.zeros((len(mets), mets[0].shape[1]), dtype=np.int64)
    s2 = np.zeros_like(s1)
    for a in range(0, n, step):
        ref = np.asarray(mets[0][a : a + step].values, dtype=np.int8)
        for i, m in enumerate(mets[1:], start=1):
            d = np.asarray(m[a : a + step].values, dtype=np.int8) - ref
            s1[i] += d.sum(axis=0, dtype=np.int64)
            s2[i] += np.abs(d).sum(axis=0, dtype=np.int64)  # d is -1, 0 or 1: d**2 == |d|
    return s1.astype(float), s2.astype(float)


def _compare_store(out, resolved, draws, seed, sampler, outputs, backend, execution, settings):
    """The comparison's top-level :class:`~jzsim.uncertainty.store.RunStore`, created or checked."""
    from jzsim.uncertainty.store import RunStore
    from jzsim.version import __version__

    if backend != "dask":
        raise ValueError(
            f"out= with backend={backend!r}: allowed with backend='dask' only (its chunks are checkpointed); "
            "write an in-process comparison with ds.to_zarr(path) or ds.to_netcdf(path)"
        )
    if not str(out).rstrip("/").endswith(".zarr"):
        raise ValueError(f"out is {str(out)!r}; allowed: a path ending in .zarr")
    if getattr(execution, "store", None) is not None:
        raise ValueError("compare takes out=, not execution.store: each scenario gets its own store under out")
    manifest = {
        "kind": "compare",
        "scenarios": [sc.name for sc in resolved],
        "seed": int(seed),
        "draws": int(draws),
        "sampler": sampler,
        "outputs": None if outputs is None else list(outputs),
        "settings": {k: settings[k] for k in sorted(settings)},
        "jzsim_version": __version__,
    }
    root = RunStore(Path(out).resolve())
    root.open(manifest, None)
    return root


def _one_cluster(backend: str, execution, start: bool):
    """``backend="dask"`` without a client: one LocalCluster for every scenario (not one each)."""
    if backend != "dask":
        return contextlib.nullcontext(execution)
    from jzsim.uncertainty.distributed import shared_cluster

    return shared_cluster(execution, start=start)


def _member(root, i: int, name: str) -> Path:
    """Scenario ``i``'s store inside the comparison's."""
    import re

    return root.meta / "members" / f"{i:02d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.zarr"


def comparison_table(ds: xr.Dataset) -> pd.DataFrame:
    """P(met) of each modelled target per scenario, and each scenario's paired difference from the
    first with its standard error, one row per target (from :func:`compare`)."""
    keep = ds["modelled"].isel(scenario=0).values.astype(bool)
    cols: dict[str, Any] = {}
    names = [str(s) for s in ds["scenario"].values]
    for s in names:
        cols[s] = ds["p_met"].sel(scenario=s).values[keep]
    for s in names[1:]:
        cols[f"{s} - {names[0]}"] = ds["p_met_diff"].sel(scenario=s).values[keep]
        cols[f"{s} - {names[0]} se"] = ds["p_met_diff_se"].sel(scenario=s).values[keep]
    return pd.DataFrame(cols, index=pd.Index(ds["target"].values[keep], name="target"))


class _Overrides:
    """A scenario given as a name and a dict of fixed overrides."""

    def __init__(self, name: str, params: Mapping[str, Any]):
        self.name, self.params, self.uncertainty = name, dict(params), {}


def _scenarios(scenarios) -> list[Any]:
    if isinstance(scenarios, Mapping):
        items = []
        for k, v in scenarios.items():
            if not isinstance(v, Mapping) and not hasattr(v, "params"):
                raise TypeError(f"scenario {k!r} is {v!r}; allowed: a dict of overrides or a scenario")
            items.append(v if hasattr(v, "params") else _Overrides(str(k), v))
    else:
        items = [_load(s) if isinstance(s, (str, Path)) else s for s in scenarios]
    if not items:
        raise ValueError("scenarios is empty; allowed: at least one scenario")
    names = [getattr(sc, "name", None) for sc in items]
    if any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise ValueError(f"scenario names are {names}; allowed: distinct strings")
    return items


def _load(name):
    """``"plan"``: the plan as written (the packaged data, no overrides); another name or a path:
    :func:`jzsim.scenarios.load_scenario`."""
    if str(name) == "plan":
        return _Overrides("plan", {})
    from jzsim.scenarios import load_scenario

    return load_scenario(name)


def _is_scenario(sc) -> bool:
    from jzsim.scenarios import Scenario

    return isinstance(sc, Scenario)


def _scenario_model(sc):
    build = getattr(sc, "model", None)
    if callable(build):
        return build()
    if getattr(sc, "schedules", None):
        raise ValueError(
            f"scenario {sc.name!r} has schedules; allowed here: scenarios that build their model (.model())"
        )
    return None
