"""Lever sweeps: settings of some parameters crossed with the same parameter draws, vectorized.

:func:`run_sweep` samples each chunk of draws once and lays the lever settings side by side as more
columns of the kernel's parameter matrix (setting-major: columns ``s * n .. (s + 1) * n - 1`` are
setting ``s`` with draws ``a .. a + n - 1``), so every setting sees the same draws (common random
numbers) and a chunk of all settings is one kernel call, not one call per setting. Target verdicts
are counted per setting, with paired differences against the first setting.

With ``store`` (a ``.zarr`` path), each kernel call's tally increments are checkpointed as a chunk
of a :class:`~jzsim.uncertainty.store.RunStore` (summary state, then completion marker), in
process or on Dask workers; a restarted sweep with the same options computes only the calls
without a marker and adds every call's increments in call order, so its result has the bits of an
uninterrupted one. A sweep computes every lever setting in one kernel call, so the checkpoint unit
is the call (all settings of a block of draws), not one store per setting: that would cost one
kernel call per setting.

The engine-level driver; :func:`jzsim.sweep` adds the plan's defaults.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from jzsim.uncertainty.montecarlo import Execution, TargetsFactory, _Chunks, _version, plan_run

__all__ = ["run_sweep"]

#: numpy kernel: most columns a thread advances at once (a kernel call of many settings is split
#: between threads, each in pieces of this many columns, so that a step's arrays stay in cache)
SWEEP_PIECE = 16384


def run_sweep(
    model,
    settings: pd.DataFrame,
    draws: int = 1000,
    *,
    targets: TargetsFactory,
    outputs: Sequence[str] | None = None,
    seed: int = 0,
    sampler: str = "random",
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Any] | None = None,
    backend: str = "numpy",
    execution: Execution | None = None,
    progress: bool | None = None,
    run_settings: Mapping[str, Any] | None = None,
    attrs: Mapping[str, Any] | None = None,
    store: str | Path | None = None,
) -> xr.Dataset:
    """P(target met) for each row of ``settings`` over the same ``draws`` parameter draws.

    Parameters
    ----------
    model : jzsim.engine.Model
    settings : pandas.DataFrame
        One column per lever (a parameter name), one row per setting, values in the parameter's
        units. Each lever is fixed at its setting's value in every draw.
    draws : int, default 1000
        Parameter draws, the same for every setting.
    targets : callable
        ``targets(cm, rs, names) -> CompiledTargets`` (see
        :data:`jzsim.uncertainty.montecarlo.TargetsFactory`).
    outputs : sequence of str, optional
        Rows the targets read (default: every output).
    execution : Execution, optional
        ``chunk_size`` is the number of kernel columns (settings x draws) per kernel call (default:
        the backend's Monte Carlo chunk); results do not depend on it.
    seed, sampler, params, uncertainty, backend, progress
        As in :func:`jzsim.monte_carlo`.
    run_settings : mapping, optional
        ``start``, ``stop``, ``dt``, ``method``.
    store : str or Path, optional
        A ``.zarr`` directory where each kernel call is checkpointed and that a restart with the
        same options resumes (see the module docstring); a store made for another sweep (seed,
        draws, levers, grid, model, scenario, jzsim version ...) is refused, naming what differs.
        The result is then read back from it (Dask-backed).

    Returns
    -------
    xarray.Dataset
        Dims ``setting`` (each lever a coordinate along it) and ``target``: ``p_met``,
        ``p_met_se`` (sqrt(p(1-p)/n)), ``n_met``, ``target_value_mean``, and ``p_met_diff`` /
        ``p_met_diff_se``: the paired difference of P(met) from the first setting and its standard
        error (sd of the per-draw differences of verdicts / sqrt(n)).
    """
    levers, values = _settings_table(settings)
    fixed = {**dict(params or {}), **dict(zip(levers, values[0]))}
    dask_ex = None
    if backend == "dask":  # kernel calls on a Dask cluster, tallied in call order (jzsim.uncertainty.distributed)
        from jzsim.uncertainty.distributed import as_dask_execution, default_kernel_backend

        dask_ex = as_dask_execution(execution)
        backend = dask_ex.kernel_backend or default_kernel_backend()
        execution = Execution(chunk_size=dask_ex.chunk_size, threads=dask_ex.threads or dask_ex.threads_per_worker)
    kwargs = dict(
        seed=seed,
        sampler=sampler,
        backend=backend,
        execution=execution,
        outputs=outputs,
        targets=targets,
        settings=run_settings,
        params=fixed,
        uncertainty=uncertainty,
    )
    plan = plan_run(model, draws, **kwargs)
    if plan.targets is None:
        raise ValueError("sweep needs targets: pass a target table (the plan's by default)")
    _check_levers(plan, levers, values, params)
    t0 = time.perf_counter()
    calls = _calls(plan, len(values))
    attrs = dict(attrs or {})
    ckpt, done = None, set()
    if store is not None:
        ckpt, done = _open_store(store, plan, levers, values, seed, sampler, draws, attrs, len(calls))
        if ckpt.complete():  # finished before: nothing to compute
            from jzsim.uncertainty.store import open_run

            return open_run(ckpt.path)
    try:
        if dask_ex is None:
            tally = _sweep_chunks(plan, levers, values, progress, ckpt, done)
        else:
            from jzsim.uncertainty.distributed import sweep_tally

            tally = sweep_tally(model, draws, kwargs, plan, levers, values, dask_ex, progress, ckpt, done)
    except KeyboardInterrupt:
        if ckpt is None:
            raise
        raise KeyboardInterrupt(
            f"sweep interrupted; finished kernel calls are kept in {ckpt.path}: run the same command again to resume"
        ) from None
    except OSError as exc:
        from jzsim.uncertainty.store import is_disk_full

        if ckpt is None or not is_disk_full(exc):
            raise
        raise OSError(
            exc.errno,
            f"disk full while writing to {ckpt.path} ({exc}); the kernel calls finished before are intact: "
            "free space and run the same command again to resume",
        ) from exc
    elapsed = time.perf_counter() - t0
    ds = _sweep_dataset(plan, levers, values, tally)
    ds.attrs.update(
        model=plan.cm.name,
        seed=int(seed),
        sampler=sampler,
        backend="dask" if dask_ex is not None else backend,
        draws=int(draws),
        settings=len(values),
        kernel_calls=int(tally["calls"]),
        elapsed_seconds=elapsed,
        jzsim_version=_version("jzsim") or "0.0.0+unknown",
        uncertain_parameters=", ".join(p.name for p in plan.uncertain),
    )
    ds.attrs.update(attrs)
    if ckpt is None:
        return ds
    from jzsim.uncertainty.store import open_run

    ds.attrs.update(store=str(ckpt.path), chunks_resumed=len(done))
    ckpt.write_result(ds)
    return open_run(ckpt.path)


def _calls(plan, n_set: int) -> list[tuple[int, int]]:
    """Draws ``(a, b)`` of each kernel call: ``chunk // n_set`` draws under every setting."""
    per_call = max(1, plan.chunk // n_set)
    return [(a, min(plan.draws, a + per_call)) for a in range(0, plan.draws, per_call)]


def _open_store(path, plan, levers, values, seed, sampler, draws, attrs, n_calls):
    """``(store, calls done)``: the sweep's :class:`~jzsim.uncertainty.store.RunStore`, created or
    checked against this sweep's manifest (:class:`~jzsim.uncertainty.store.StoreMismatch` names
    what differs)."""
    from jzsim.uncertainty.distributed import _model_hash
    from jzsim.uncertainty.store import RunStore

    if not str(path).rstrip("/").endswith(".zarr"):
        raise ValueError(f"out is {str(path)!r}; allowed: a path ending in .zarr")
    manifest = {
        "kind": "sweep",
        "seed": int(seed),
        "scenario": str(attrs.get("scenario", "")),
        "sampler": sampler,
        "model": plan.cm.name,
        "model_hash": _model_hash(plan),
        "data_hash": str(attrs.get("data_hash", "")),
        "jzsim_version": _version("jzsim") or "0.0.0+unknown",
        "draws": int(draws),
        "columns_per_call": int(plan.chunk),
        "kernel_backend": plan.backend,
        "levers": list(levers),
        "grid": values.tolist(),
        "targets": list(plan.targets.ids),
    }
    store = RunStore(Path(path).resolve())
    resumed = store.open(manifest, None)
    return store, (store.done() & set(range(n_calls)) if resumed else set())


def checkpoint(store, c: int, a: int, b: int, inc: Mapping[str, np.ndarray], seconds: float) -> None:
    """Call ``c``'s increments, then its marker, then a log line (in process or on a worker)."""
    store.write_summary(c, inc)
    info = {"a": a, "b": b, "pid": os.getpid(), "seconds": seconds}
    store.mark_done(c, info)
    store.log(c, info)


def _settings_table(settings: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    if not isinstance(settings, pd.DataFrame) or settings.shape[0] < 1 or settings.shape[1] < 1:
        raise ValueError(f"settings is {settings!r}; allowed: a DataFrame with one column per lever and >= 1 row")
    levers = [str(c) for c in settings.columns]
    try:
        values = settings.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"settings of {levers}: allowed: numbers in each lever's units") from None
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        i, j = bad[0]
        raise ValueError(f"lever {levers[j]!r}: setting {i} is {values[i, j]}; allowed: a finite number")
    return levers, values


def _check_levers(plan, levers: list[str], values: np.ndarray, params) -> None:
    """Each setting through the same validation as a fixed override (jzsim.params.with_overrides)."""
    from jzsim.params import with_overrides

    declared = {p.name: p for p in plan.parameters}
    for name in levers:
        if name not in declared:  # (plan_run already raised for the first row; kept for clarity)
            close = difflib.get_close_matches(name, list(declared), n=3)
            raise KeyError(f"unknown lever {name!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
        if params and name in params:
            raise ValueError(f"lever {name!r} is also fixed in params; allowed: one of them")
    for row in values[1:]:
        with_overrides(declared, dict(zip(levers, row.tolist())))


def _sweep_chunks(
    plan, levers: list[str], values: np.ndarray, progress: bool | None, store=None, done: set[int] = frozenset()
) -> dict[str, Any]:
    """Per setting and target: verdict counts, sums of indicator values, paired differences (the
    calls in ``done`` read from ``store``, the others computed and, with a store, checkpointed)."""
    from tqdm.auto import tqdm

    n_set, n_tg = len(values), len(plan.targets.ids)
    chunks = _Chunks(plan, None)
    rows = [next(i for i, p in enumerate(plan.parameters) if p.name == name) for name in levers]
    tally = new_tally(n_set, n_tg)
    bar = tqdm(total=plan.draws, unit="draw", delay=1.0, disable=None if progress is None else not progress)
    try:
        for c, (a, b) in enumerate(_calls(plan, n_set)):
            if c in done:
                inc = store.summary(c)
            else:
                t0 = time.perf_counter()
                inc = _increments(*_run_block(plan, chunks, rows, values, a, b), n_set)
                if store is not None:
                    checkpoint(store, c, a, b, inc, time.perf_counter() - t0)
            add_increments(tally, inc)
            bar.update(b - a)
    finally:
        bar.close()
    return tally


def new_tally(n_set: int, n_tg: int) -> dict[str, Any]:
    tally: dict[str, Any] = {k: np.zeros((n_set, n_tg)) for k in TALLY}
    tally["calls"] = 0
    return tally


#: the sums a sweep keeps per setting and target
TALLY = ("met", "value_sum", "value_n", "diff_sum", "diff_sq")


def add_increments(tally: dict[str, Any], inc: Mapping[str, np.ndarray]) -> None:
    """Add one kernel call's increments (calls are added in call order: the float sums' bits)."""
    for k in TALLY:
        tally[k] += inc[k]
    tally["calls"] += 1


def _increments(value: np.ndarray, met: np.ndarray, n_set: int) -> dict[str, np.ndarray]:
    """One kernel call's additions to the tally of :func:`_sweep_chunks` (added in call order)."""
    n_tg = value.shape[0]
    n = value.shape[1] // n_set
    value = value.reshape(n_tg, n_set, n)
    met = met.reshape(n_tg, n_set, n)
    d = met.astype(np.int8) - met[:, :1, :].astype(np.int8)
    return {
        "met": met.sum(axis=2).T,
        "value_sum": np.nansum(value, axis=2).T,
        "value_n": np.isfinite(value).sum(axis=2).T,
        "diff_sum": d.sum(axis=2).T,
        "diff_sq": (d.astype(np.int64) ** 2).sum(axis=2).T,
    }


def _run_block(plan, chunks: _Chunks, rows: list[int], values: np.ndarray, a: int, b: int):
    """Draws ``a..b-1`` under every setting in one kernel call: per-draw ``(value, met)`` of each
    target, shape ``(n_targets, n_settings * (b - a))``, setting-major."""
    from jzsim.engine.results import growth_rows

    n, n_set = b - a, len(values)
    _, Pm = chunks.parameters(a, b, 0)
    P = np.empty((Pm.shape[0], n_set * n))
    P.reshape(Pm.shape[0], n_set, n)[:] = Pm[:, None, :]  # the same draws under every setting
    for j, r in enumerate(rows):
        P[r].reshape(n_set, n)[:] = values[:, j, None]
    out = np.empty((len(plan.names), n_set * n, plan.nt))
    plan.cm.integrate(
        list(P),
        plan.rs,
        backend=plan.backend,
        names=plan.kernel_names,
        batch_size=min(plan.kernel_chunk, SWEEP_PIECE),
        check=False,
        out=out[: plan.nk],
        threads=plan.kernel_threads,
    )
    for i, d in enumerate(plan.derived.values()):
        growth_rows(out[plan.rows[d.of]], plan.rs.save_every, out=out[plan.nk + i])
        out[plan.nk + i, :, 0] = 0.0
    for s in range(n_set):
        try:
            plan.cm.check_output(out[: plan.nk, s * n : (s + 1) * n], plan.rs, first_draw=a, names=plan.kernel_names)
        except FloatingPointError as exc:
            raise FloatingPointError(f"setting {s} ({_describe(plan, rows, values[s])}): {exc}") from None
    return plan.targets.checks.outcomes(out, None)


def _describe(plan, rows: list[int], row: np.ndarray) -> str:
    return ", ".join(f"{plan.parameters[r].name}={v:g}" for r, v in zip(rows, row))


def _sweep_dataset(plan, levers: list[str], values: np.ndarray, tally: dict[str, Any]) -> xr.Dataset:
    n = plan.draws
    status = np.array(plan.targets.status, dtype=object)
    nan = np.where(status == "modelled", 1.0, np.nan)
    p = tally["met"] / n
    diff = tally["diff_sum"] / n
    diff_var = (tally["diff_sq"] - n * diff**2) / max(n - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_value = tally["value_sum"] / tally["value_n"]
    units = {p_.name: p_.units for p_ in plan.parameters}
    coords: dict[str, Any] = {"setting": np.arange(len(values)), "target": list(plan.targets.ids)}
    for j, name in enumerate(levers):
        coords[name] = ("setting", values[:, j], {"units": units[name], "description": "lever setting"})
    one = {"units": "1"}
    ds = xr.Dataset(
        {
            "p_met": (("setting", "target"), p * nan, {**one, "description": "share of draws meeting the target"}),
            "p_met_se": (
                ("setting", "target"),
                np.sqrt(p * (1 - p) / n) * nan,
                {**one, "description": "Monte Carlo standard error of p_met, sqrt(p(1-p)/n)"},
            ),
            "n_met": (("setting", "target"), tally["met"].astype(np.int64), {"description": "draws meeting it"}),
            "p_met_diff": (
                ("setting", "target"),
                diff * nan,
                {**one, "description": "p_met minus the first setting's, over the same draws (paired)"},
            ),
            "p_met_diff_se": (
                ("setting", "target"),
                np.sqrt(np.maximum(diff_var, 0) / n) * nan,
                {**one, "description": "standard error of p_met_diff: sd of per-draw differences / sqrt(n)"},
            ),
            "target_value_mean": (
                ("setting", "target"),
                mean_value,
                {"description": "mean over draws of the target's indicator, in the target's units"},
            ),
            "status": ("target", status.astype(str), {"description": "modelled, not modelled, threshold unknown"}),
        },
        coords=coords,
    )
    return ds
