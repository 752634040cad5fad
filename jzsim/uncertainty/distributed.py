"""Monte Carlo on a Dask cluster: ``backend="dask"``, bit-identical to the in-process run.

:func:`run_distributed` cuts the draws into chunks of whole 4096-draw blocks (the same blocks as the
in-process run) and submits one task per chunk to a ``dask.distributed`` cluster: a
``LocalCluster`` it starts and stops itself, or the ``Client`` given in :class:`DaskExecution`.
Each worker runs the numpy or compiled kernel (``kernel_backend``) on its chunk and returns the
chunk's summary state: every block's (count, mean, M2), the chunk's min, max and histogram, and its
target counts. The caller folds these into one :class:`~jzsim.uncertainty.summaries.Accumulator`
in chunk order, with the same arithmetic the in-process run uses block after block, so means,
standard deviations, quantiles and target probabilities have the same bits whatever the number of
workers, the chunk size and the order in which chunks finish. Histogram edges come from the
first 4096 draws, computed by one small task before the chunks start (as the in-process run takes
them from its first chunk).

How the kernels reach the workers. Each task carries the model's declaration (about 100 kB
pickled; not scattered, so that workers never fetch it from each other), never compiled code
(:meth:`jzsim.engine.Model.__getstate__` leaves it out). Each worker process builds the run's plan
(:func:`~jzsim.uncertainty.montecarlo.plan_run`) once and keeps it in a module-level dict of that
worker process, keyed by the run's hash (:data:`_WORKER_PLANS`); later chunks of the run reuse it
and its buffers. The compiled kernel's source is generated from the model and imported from
``JZSIM_CACHE_DIR`` with numba's on-disk cache (``cache=True``): workers on the machine that
compiled it (a ``LocalCluster``) load it without compiling; a worker on another machine compiles it
once, at its first chunk, and stores it in its own cache directory. Each compiled worker runs on
``threads_per_worker`` numba threads.

With a ``store`` (a ``.zarr`` path), workers write each chunk's per-draw data (trajectories with
``keep``, outcomes and sampled parameters), then its summary state, then its completion marker
(:class:`jzsim.uncertainty.store.RunStore`); a restarted run with the same options computes only
chunks without a marker. A worker lost mid-run has its chunks recomputed by another (the scheduler does
this; a half-written chunk has no marker and is simply written again).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from jzsim.uncertainty.montecarlo import (
    BACKENDS,
    Execution,
    RunPlan,
    _Chunks,
    _Keeper,
    _Progress,
    _SampledParameters,
    _TargetCounts,
    _version,
    assemble,
    plan_run,
)
from jzsim.uncertainty.sampling import BLOCK
from jzsim.uncertainty.summaries import QUANTILES, Accumulator

__all__ = ["DaskExecution", "run_distributed", "shared_cluster"]


@dataclass(frozen=True)
class DaskExecution(Execution):
    """How a ``backend="dask"`` run is executed (results never depend on it).

    Attributes
    ----------
    chunk_size : int, optional
        Draws per task, rounded up to a multiple of 4096 (default: the kernel backend's
        in-process chunk, 65536 with numba, 32768 with numpy). Each task's memory grows with it;
        more tasks than workers keep every worker busy.
    threads : int, optional
        numpy kernel: threads per chunk on a worker (default: 1 per worker thread).
    client : distributed.Client or str, optional
        The cluster: a ``Client``, or a scheduler address (``"tcp://host:8786"``). Default: a
        ``LocalCluster`` of ``n_workers`` processes, started for the run and closed after it.
    n_workers : int, optional
        Workers of the default ``LocalCluster`` (default: the usable CPUs).
    threads_per_worker : int, default 1
        Threads of each default ``LocalCluster`` worker; also the numba threads of a compiled chunk.
    processes : bool, default True
        Default ``LocalCluster``: workers in processes (False: threads of this process, for tests).
    kernel_backend : {"numba", "numpy"}, optional
        The kernel each worker runs (default: numba if installed, else numpy). The run equals the
        in-process run of that backend bit for bit.
    store : str or Path, optional
        A ``.zarr`` directory where the run is checkpointed chunk by chunk and that a restart with
        the same options resumes (:mod:`jzsim.uncertainty.store`); per-draw data asked for (``keep=True``,
        ``outcomes=True``) is streamed there by the workers instead of returned.
    """

    client: Any = None
    n_workers: int | None = None
    threads_per_worker: int = 1
    processes: bool = True
    kernel_backend: str | None = None
    store: str | Path | None = None

    def __post_init__(self):
        super().__post_init__()
        kb = self.kernel_backend
        if kb is not None and kb not in BACKENDS:
            raise ValueError(f"kernel_backend is {kb!r}; allowed: {', '.join(BACKENDS)}")
        for name in ("n_workers", "threads_per_worker"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1):
                raise ValueError(f"{name} is {v!r}; allowed: an integer >= 1")
        if self.store is not None and not str(self.store).rstrip("/").endswith(".zarr"):
            raise ValueError(f"store is {str(self.store)!r}; allowed: a path ending in .zarr")


def default_kernel_backend() -> str:
    try:
        import numba  # noqa: F401

        return "numba"
    except ImportError:  # pragma: no cover - numba is in the test extra
        return "numpy"


# --------------------------------------------------------------------------- the spec of a run
@dataclass
class RunSpec:
    """What a worker needs to rebuild the run's plan, and where to write (pickled once per run)."""

    model: Any  # jzsim.engine.Model (its declaration; compiled on the worker)
    draws: int
    kwargs: dict  # plan_run's keyword arguments (backend is the kernel backend)
    key: str  # hash of everything above: the worker-level cache key
    chunk: int
    outcomes: bool
    keep: bool
    store: str | None
    numba_threads: int
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Packed:
    """A :class:`RunSpec` pickled once by the caller: each task carries these bytes (copied, not
    pickled again: about 170 kB for the plan model), and a worker unpickles them only at the run's
    first task on it (:meth:`unpack`). Pickling the model for every task cost about 4 ms in the
    caller and 6 ms on the worker per chunk."""

    key: str
    blob: bytes

    @classmethod
    def of(cls, spec: RunSpec) -> Packed:
        import cloudpickle

        return cls(f"{spec.key}|{spec.store}", cloudpickle.dumps(spec))  # (the key leaves the store out)

    def unpack(self) -> RunSpec:
        with _WORKER_LOCK:
            spec = _WORKER_SPECS.get(self.key)
        if spec is None:
            import pickle

            spec = pickle.loads(self.blob)
            with _WORKER_LOCK:
                while len(_WORKER_SPECS) >= 2:
                    _WORKER_SPECS.pop(next(iter(_WORKER_SPECS)))
                _WORKER_SPECS[self.key] = spec
        return spec


#: On each worker process: run key -> its RunSpec, unpickled once (see Packed)
_WORKER_SPECS: dict[str, RunSpec] = {}
#: On each worker process: run key -> (plan, per-thread chunk state). Built at the run's first chunk
#: on that worker, reused by its later chunks; only ever filled inside worker tasks.
_WORKER_PLANS: dict[str, Any] = {}
_WORKER_LOCK = threading.Lock()
#: the compiled kernel is a parallel numba function: two worker threads of one process must not run
#: it at once under numba's ``workqueue`` threading layer (it aborts the process)
_NUMBA_LOCK = threading.Lock()


class _ChunkAccumulator(Accumulator):
    """An accumulator for one chunk that also records each block's (count, mean, M2), in order, as
    the caller's accumulator will fold them (:meth:`_RunAccumulator.fold`)."""

    def reset(self) -> None:
        self.count = 0
        self.mean = np.zeros(self.shape)
        self.m2 = np.zeros(self.shape)
        self.min = np.full(self.shape, np.inf)
        self.max = np.full(self.shape, -np.inf)
        self.hist[...] = 0
        self.blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add_summaries(self, counts, b_mean, b_m2, b_min, b_max, hist) -> None:
        nb = len(counts)
        self.blocks.append((np.array(counts, dtype=np.int64), b_mean[:nb].copy(), b_m2[:nb].copy()))
        super().add_summaries(counts, b_mean, b_m2, b_min, b_max, hist)

    def state(self) -> dict[str, np.ndarray]:
        return {
            "counts": np.concatenate([b[0] for b in self.blocks]),
            "b_mean": np.concatenate([b[1] for b in self.blocks]),
            "b_m2": np.concatenate([b[2] for b in self.blocks]),
            "min": self.min.copy(),
            "max": self.max.copy(),
            # a chunk's counts fit 32 bits (chunks are far below 2**32 draws): half the bytes sent
            "hist": self.hist.astype(np.uint32),
        }


class _RunAccumulator(Accumulator):
    """The caller's accumulator: folds chunk summary states in chunk order (:meth:`fold`)."""

    def fold(self, s: Mapping[str, np.ndarray]) -> None:
        """Fold one chunk's summary state with the arithmetic of the in-process run: its blocks'
        (count, mean, M2) merged in order by :meth:`Accumulator.add_summaries` (both back ends
        summarise through it). Min, max and histogram counts are exact whatever the order."""
        counts, nb = s["counts"], len(s["counts"])
        nc = s["b_mean"].shape[1]
        self.add_summaries(
            counts,
            s["b_mean"],
            s["b_m2"],
            np.broadcast_to(s["min"].reshape(1, nc), (nb, nc)),
            np.broadcast_to(s["max"].reshape(1, nc), (nb, nc)),
            s["hist"].reshape(1, -1),
        )


def _worker_state(spec: RunSpec, edges=None):
    """``(plan, acc, chunks)`` of this worker thread for ``spec``: built once per worker process
    (plan) and thread (buffers), then reused."""
    with _WORKER_LOCK:
        entry = _WORKER_PLANS.get(spec.key)
        if entry is None:
            while len(_WORKER_PLANS) >= 2:  # a long-lived worker serving many runs: keep the last one
                _WORKER_PLANS.pop(next(iter(_WORKER_PLANS)))  # (about 85 MB of buffers each, plan model)
            plan = plan_run(spec.model, spec.draws, **spec.kwargs)
            entry = _WORKER_PLANS[spec.key] = {"plan": plan, "threads": {}}
        plan = entry["plan"]
        mine = entry["threads"].get(threading.get_ident())
        if mine is None:
            acc = _ChunkAccumulator(len(plan.names), plan.nt, plan.n_bins, compiled=plan.backend == "numba")
            mine = entry["threads"][threading.get_ident()] = (acc, _Chunks(plan, acc))
    acc, chunks = mine
    if edges is not None and acc.lo is None:
        acc.lo, acc.width, acc.inv_width = edges
    return plan, acc, chunks


def _set_numba_threads(spec: RunSpec) -> None:
    if spec.kwargs["backend"] == "numba":
        import numba

        numba.set_num_threads(max(1, min(spec.numba_threads, numba.config.NUMBA_NUM_THREADS)))


def _edges_task(packed: Packed):
    """Histogram edges from the trajectories of the first 4096 draws (as the in-process run). Run
    on every worker at the start, it also builds each worker's plan and loads its kernel."""
    spec = packed.unpack()
    plan, acc, chunks = _worker_state(spec)
    _set_numba_threads(spec)
    n0 = min(BLOCK, plan.draws)
    with _NUMBA_LOCK if plan.backend == "numba" else _nolock():
        _, Pm = chunks.parameters(0, n0, 1)
        res = chunks.trajectories(Pm, 1)
    pilot = Accumulator(len(plan.names), plan.nt, plan.n_bins, compiled=plan.backend == "numba")
    pilot.set_edges(res[:, :n0, :])
    if plan.fused and acc.lo is None:  # load the compiled summarising kernel too, not at the first chunk
        acc.lo, acc.width, acc.inv_width = pilot.lo, pilot.width, pilot.inv_width
        try:
            with _NUMBA_LOCK:
                chunks.integrate(0, n0, 0)
        finally:  # the chunks take the caller's edges
            acc.lo = acc.width = acc.inv_width = None
    return pilot.lo, pilot.width, pilot.inv_width


class _nolock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _chunk_task(packed: Packed, c: int, a: int, b: int, edges) -> dict[str, Any]:
    """Run chunk ``c`` (draws ``a..b-1``) on this worker; write it to the store if there is one."""
    spec = packed.unpack()
    plan, acc, chunks = _worker_state(spec, edges)
    _set_numba_threads(spec)
    acc.reset()
    t0 = time.perf_counter()
    with _NUMBA_LOCK if plan.backend == "numba" else _nolock():
        sampled, res, copies = chunks.integrate(a, b, 0)
        out = chunks.summarise(a, 0, res, copies)
    result: dict[str, Any] = {"c": c, "a": a, "b": b, "summary": acc.state()}
    per_draw: dict[str, np.ndarray] = {}
    if plan.targets is not None:
        tc = _TargetCounts(plan.targets, b - a if spec.outcomes else None)
        tc.add(0, b - a, sampled, out, copies)
        result["summary"]["met"] = tc.met
        if spec.outcomes:
            per_draw["target_value"], per_draw["target_met"] = tc.value, tc.ok
    if spec.outcomes or spec.keep:
        per_draw["parameters"] = np.stack([sampled[p.name] for p in plan.uncertain], axis=1).reshape(b - a, -1)
    if spec.keep:
        for i, nm in enumerate(plan.names):
            per_draw[f"{nm}_draws"] = out[i]
    result["seconds"] = time.perf_counter() - t0
    if spec.store is None:
        result["per_draw"] = {k: np.array(v) for k, v in per_draw.items()}
        return result
    store = _worker_store(spec.store)
    store.write_data(a, b, per_draw)  # 1. the data
    store.write_summary(c, result["summary"])  # 2. the summary state
    info = {"a": a, "b": b, "pid": os.getpid(), "seconds": result["seconds"]}
    store.mark_done(c, info)  # 3. the marker
    store.log(c, info)
    return result


_WORKER_STORES: dict[str, Any] = {}


def _worker_store(path: str):
    from jzsim.uncertainty.store import RunStore

    with _WORKER_LOCK:
        s = _WORKER_STORES.get(path)
        if s is None:
            s = _WORKER_STORES[path] = RunStore(path)
    return s


# --------------------------------------------------------------------------- the caller's side
def _client(ex: DaskExecution):
    """``(client, owned)``: the user's client, or a LocalCluster started here."""
    from distributed import Client, LocalCluster

    if ex.client is not None:
        return (Client(ex.client), True) if isinstance(ex.client, str) else (ex.client, False)
    from jzsim.uncertainty.montecarlo import _usable_cpus

    cluster = LocalCluster(
        n_workers=ex.n_workers or _usable_cpus(),
        threads_per_worker=ex.threads_per_worker,
        processes=ex.processes,
        dashboard_address=":0",
    )
    return Client(cluster), True


def _model_hash(plan: RunPlan) -> str:
    """SHA-256 (16 hex digits) of what the run computes from the model: its generated numpy kernel
    (every equation, lowered), every parameter's declaration after overrides, the outputs and the
    run settings."""
    h = hashlib.sha256()
    h.update(plan.cm.name.encode())
    h.update(plan.cm.numpy_functions(None)[-1].encode())
    for p in plan.parameters:
        h.update(repr(p).encode())
    h.update(repr(plan.names).encode())
    h.update(repr((plan.rs.start, plan.rs.stop, plan.rs.dt, plan.rs.method, list(plan.rs.save_times))).encode())
    return h.hexdigest()[:16]


def _template(plan: RunPlan, spec: RunSpec) -> xr.Dataset | None:
    """The store's per-draw variables, lazily (dask zeros), chunked as the run's tasks."""
    import dask.array as da

    n, ch, cm = plan.draws, spec.chunk, plan.cm
    tdim = cm.time_dim
    data: dict[str, Any] = {}
    coords: dict[str, Any] = {"draw": np.arange(n)}
    if spec.keep:
        coords[tdim] = (tdim, plan.rs.save_times, {"units": cm.time_units})
        for nm in plan.names:
            attrs = {k: v for k, v in cm.attrs_of(nm).items() if k in ("units", "description")}
            data[f"{nm}_draws"] = (("draw", tdim), da.zeros((n, plan.nt), chunks=(ch, plan.nt)), attrs)
    if spec.outcomes and plan.targets is not None:
        nt = len(plan.targets.ids)
        coords["target"] = list(plan.targets.ids)
        data["target_value"] = (
            ("draw", "target"),
            da.full((n, nt), np.nan, chunks=(ch, nt)),
            {"description": "each draw's value of the target's indicator, in the target's units"},
        )
        data["target_met"] = (
            ("draw", "target"),
            da.zeros((n, nt), dtype=bool, chunks=(ch, nt)),
            {"description": "whether the draw meets the target"},
        )
    if spec.keep or spec.outcomes:
        un = plan.uncertain
        coords["parameter"] = [p.name for p in un]
        coords["parameter_units"] = ("parameter", [p.units for p in un])
        data["parameters"] = (
            ("draw", "parameter"),
            da.zeros((n, len(un)), chunks=(ch, max(len(un), 1))),
            {"description": "sampled value of each uncertain parameter, in parameter_units"},
        )
    if not data:
        return None
    return xr.Dataset(data, coords=coords)


def run_distributed(
    model,
    draws: int,
    *,
    execution: DaskExecution | Execution | None = None,
    keep: bool | str | Path = False,
    outcomes: bool = False,
    progress: bool | None = None,
    attrs: Mapping[str, Any] | None = None,
    seed: int = 0,
    sampler: str = "random",
    outputs: Sequence[str] | None = None,
    targets=None,
    quantiles: Sequence[float] = QUANTILES,
    n_bins: int = 1000,
    settings: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """:func:`~jzsim.uncertainty.montecarlo.run_monte_carlo` with ``backend="dask"`` (same
    arguments; ``execution`` may be a :class:`DaskExecution`).

    ``keep`` may be ``True`` (trajectories returned in memory, or streamed to ``execution.store``)
    or a ``.zarr`` path (shorthand for ``store=path`` with trajectories). A ``KeyboardInterrupt``
    cancels the chunks not finished and returns the summaries of the chunks finished in order from
    the first, with a warning telling how to resume when there is a store.
    """
    ex = as_dask_execution(execution)
    if isinstance(keep, (str, Path)):
        if not str(keep).rstrip("/").endswith(".zarr"):
            raise ValueError(f"keep is {str(keep)!r}; allowed with backend='dask': True, or a path ending in .zarr")
        if ex.store is not None and Path(ex.store) != Path(keep):
            raise ValueError(f"keep={str(keep)!r} and store={str(ex.store)!r}: allowed: one path")
        ex = replace(ex, store=keep)
        keep = True
    keep = bool(keep)
    kb = ex.kernel_backend or default_kernel_backend()
    threads = ex.threads if ex.threads is not None else ex.threads_per_worker
    kwargs = dict(
        seed=seed,
        sampler=sampler,
        backend=kb,
        execution=Execution(chunk_size=ex.chunk_size, threads=threads),
        outputs=None if outputs is None else list(outputs),
        targets=targets,
        quantiles=tuple(quantiles),
        n_bins=n_bins,
        keep=keep,
        settings=dict(settings or {}),
        params=dict(params or {}),
        uncertainty=dict(uncertainty or {}),
    )
    plan = plan_run(model, draws, **kwargs)
    chunk = plan.chunk
    starts = list(range(0, plan.draws, chunk))
    plan = replace(plan, starts=starts)
    shipped = _declaration(model)
    mhash = _model_hash(plan)
    key = hashlib.sha256(
        f"{mhash}|{seed}|{sampler}|{draws}|{chunk}|{kb}|{keep}|{outcomes}|{threads}".encode()
    ).hexdigest()[:16]
    spec = RunSpec(
        model=shipped,
        draws=int(draws),
        kwargs=kwargs,
        key=key,
        chunk=chunk,
        outcomes=bool(outcomes) and plan.targets is not None,
        keep=keep,
        store=None if ex.store is None else str(Path(ex.store).resolve()),
        numba_threads=ex.threads_per_worker,
    )
    attrs = dict(attrs or {})
    manifest = {
        "seed": int(seed),
        "scenario": str(attrs.get("scenario", "")),
        "sampler": sampler,
        "model": plan.cm.name,
        "model_hash": mhash,
        "data_hash": str(attrs.get("data_hash", "")),
        "jzsim_version": _version("jzsim") or "0.0.0+unknown",
        "draws": int(draws),
        "chunk_size": int(chunk),
        "kernel_backend": kb,
        "outputs": list(plan.names),
        "quantiles": list(plan.quantiles),
        "n_bins": int(n_bins),
        "keep_trajectories": keep,
        "outcomes": spec.outcomes,
    }
    store = None
    done: set[int] = set()
    if spec.store is not None:
        from jzsim.uncertainty.store import RunStore

        store = RunStore(spec.store)
        resumed = store.open(manifest, _template(plan, spec))
        done = store.done() & set(range(len(starts))) if resumed else set()
    acc = _RunAccumulator(len(plan.names), plan.nt, n_bins, compiled=plan.backend == "numba")
    sinks: list[Any] = []
    if plan.targets is not None:
        sinks.append(_TargetCounts(plan.targets, None))
    if store is None:
        if spec.outcomes:
            sinks[0] = _TargetCounts(plan.targets, draws)
        if keep:
            from jzsim.uncertainty.montecarlo import _keeper

            sinks.append(_keeper(True, len(plan.names), draws, plan.nt))
        if keep or spec.outcomes:
            sinks.append(_SampledParameters(plan.uncertain, draws))
    state, merged = _run_chunks(plan, spec, ex, acc, sinks, store, done, progress)
    state.done = starts[merged] if merged < len(starts) else plan.draws
    if state.interrupted and merged == 0:
        raise KeyboardInterrupt("Monte Carlo interrupted before the first chunk finished" + _resume_hint(spec))
    attrs.update(backend="dask", kernel_backend=kb, chunks=len(starts), chunks_resumed=len(done))
    if store is not None:
        attrs["store"] = spec.store
    ds = assemble(replace(plan, backend=kb), acc, state, sinks, attrs)
    ds.attrs["backend"] = "dask"
    if store is None or state.interrupted:
        return ds
    store.write_result(ds)
    from jzsim.uncertainty.store import open_run

    return open_run(spec.store)


def as_dask_execution(execution: Execution | None) -> DaskExecution:
    """``execution`` as a :class:`DaskExecution` (an :class:`Execution` keeps its chunk and threads)."""
    if isinstance(execution, DaskExecution):
        return execution
    return DaskExecution(chunk_size=getattr(execution, "chunk_size", None), threads=getattr(execution, "threads", None))


def _sweep_task(packed: Packed, levers, values, c: int, a: int, b: int) -> dict[str, np.ndarray]:
    """Kernel call ``c`` of a sweep (draws ``a..b-1`` under every setting): its tally increments,
    checkpointed in the sweep's store when there is one."""
    from jzsim.uncertainty.sweep import _increments, _run_block, checkpoint

    spec = packed.unpack()
    plan, _, chunks = _worker_state(spec)
    _set_numba_threads(spec)
    rows = [next(i for i, p in enumerate(plan.parameters) if p.name == name) for name in levers]
    t0 = time.perf_counter()
    with _NUMBA_LOCK if plan.backend == "numba" else _nolock():
        value, met = _run_block(plan, chunks, rows, values, a, b)
    inc = _increments(value, met, len(values))
    if spec.store is not None:
        checkpoint(_worker_store(spec.store), c, a, b, inc, time.perf_counter() - t0)
    return inc


def sweep_tally(
    model, draws, kwargs, plan, levers, values, ex: DaskExecution, progress, store=None, done=frozenset()
) -> dict[str, Any]:
    """:func:`jzsim.uncertainty.sweep._sweep_chunks` on a Dask cluster: one task per kernel call
    (the same calls), increments added in call order, so the tally has the in-process bits. Calls
    in ``done`` are read from ``store``; the others are checkpointed there by the workers."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    from jzsim.uncertainty.sweep import _calls, add_increments, new_tally

    calls = _calls(plan, len(values))
    key = hashlib.sha256(f"{_model_hash(plan)}|sweep|{kwargs}|{levers}|{values.tobytes().hex()}".encode()).hexdigest()
    path = None if store is None else str(store.path)
    spec = RunSpec(
        _declaration(model), int(draws), dict(kwargs), key[:16], plan.chunk, False, False, path, ex.threads_per_worker
    )
    tally = new_tally(len(values), len(plan.targets.ids))
    bar = tqdm(total=plan.draws, unit="draw", delay=1.0, disable=None if progress is None else not progress)
    todo = [c for c in range(len(calls)) if c not in done]
    client, owned = _client(ex) if todo else (None, False)
    futures: dict[Any, int] = {}
    try:
        packed = Packed.of(spec)  # in each task (bytes): no transfers between workers
        futures = {client.submit(_sweep_task, packed, levers, values, c, *calls[c], pure=False): c for c in todo}
        ready, nxt = {}, 0

        def fold_ready():
            nonlocal nxt
            while nxt < len(calls) and (nxt in done or nxt in ready):
                add_increments(tally, store.summary(nxt) if nxt in done else ready.pop(nxt))
                bar.update(calls[nxt][1] - calls[nxt][0])
                nxt += 1

        fold_ready()
        for fut in as_completed(futures) if futures else ():
            ready[futures[fut]] = fut.result()
            fut.release()
            fold_ready()
    finally:
        bar.close()
        if futures:
            try:
                client.cancel(list(futures))
            except Exception:  # pragma: no cover - the cluster is already gone
                pass
        _close(client, owned)
    return tally


@contextlib.contextmanager
def shared_cluster(execution: Execution | None, start: bool = True):
    """``execution`` as a :class:`DaskExecution` whose client serves every run made inside the
    ``with`` block: the user's client, or a ``LocalCluster`` started once here and closed at the
    end (without it each run starts its own). ``start=False``: no cluster is started."""
    ex = as_dask_execution(execution)
    if ex.client is not None or not start:
        yield ex
        return
    client, _ = _client(ex)
    try:
        yield replace(ex, client=client)
    finally:
        _close(client, True)


def _close(client, owned: bool) -> None:
    if owned and client is not None:
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def _declaration(model):
    """The model's declaration (a Model pickles without its compiled form; see Model.__getstate__)."""
    return model if hasattr(model, "build") else model.model


def _resume_hint(spec: RunSpec) -> str:
    if spec.store is None:
        return ""
    return f"; finished chunks are kept in {spec.store}: run the same command again to resume"


def _run_chunks(plan, spec, ex, acc, sinks, store, done, progress):
    """Submit the chunks not done, fold every chunk in order; ``(progress, chunks folded)``."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    from jzsim.uncertainty.store import is_disk_full

    starts = plan.starts
    n = len(starts)
    bounds = [(starts[c], starts[c + 1] if c + 1 < n else plan.draws) for c in range(n)]
    state = _Progress()
    bar = tqdm(
        total=plan.draws, unit="draw", delay=1.0, disable=None if progress is None else not progress, desc="jzsim dask"
    )
    t0 = time.perf_counter()
    client, owned = None, False
    futures = []
    ready: dict[int, dict] = {}
    nxt = 0
    try:
        todo = [c for c in range(n) if c not in done]
        edges = store.edges() if store is not None else None
        if todo:
            client, owned = _client(ex)
            remote = Packed.of(spec)  # in each task (bytes): no transfers between workers
            if edges is None:
                edges = _first_edges(client, remote)
                if store is not None:
                    store.write_edges(edges)
            attempt = uuid.uuid4().hex[:8]  # a new key per call: nothing of an earlier call is reused
            futures = [
                client.submit(
                    _chunk_task, remote, c, *bounds[c], edges, pure=False, key=f"jzsim-chunk-{spec.key}-{c}-{attempt}"
                )
                for c in todo
            ]
        if edges is not None:
            acc.lo, acc.width, acc.inv_width = edges
        for c in sorted(done):
            bar.update(bounds[c][1] - bounds[c][0])

        def fold_ready():
            nonlocal nxt
            while nxt < n:
                if nxt in done:
                    s = store.summary(nxt)
                    _fold(acc, sinks, s, bounds[nxt], None, plan.names)
                elif nxt in ready:
                    r = ready.pop(nxt)
                    _fold(acc, sinks, r["summary"], bounds[nxt], r.get("per_draw"), plan.names)
                else:
                    return
                nxt += 1

        fold_ready()
        for fut in as_completed(futures) if futures else ():  # (as_completed of nothing wants a client)
            try:
                r = fut.result()
            except OSError as exc:
                if is_disk_full(exc):
                    raise OSError(
                        exc.errno,
                        f"disk full while writing to {spec.store} ({exc}); the chunks finished before are "
                        f"intact: free space and run the same command again to resume",
                    ) from exc
                raise
            fut.release()  # the worker forgets the result: its memory does not grow with the chunks done
            ready[r["c"]] = r
            bar.update(r["b"] - r["a"])
            fold_ready()
    except KeyboardInterrupt:
        state.interrupted = True
        warnings.warn(
            f"Monte Carlo interrupted: summaries cover the first {starts[nxt] if nxt < n else plan.draws} of "
            f"{plan.draws} draws" + _resume_hint(spec),
            RuntimeWarning,
            stacklevel=3,
        )
    finally:
        bar.close()
        if futures and client is not None:
            try:
                client.cancel(futures)  # the scheduler forgets them, erred ones included
            except Exception:  # pragma: no cover - the cluster is already gone
                pass
        _close(client, owned)
    state.elapsed = time.perf_counter() - t0
    return state, nxt


def _first_edges(client, packed: Packed):
    """The histogram edges, from the first of one :func:`_edges_task` per worker to finish: the
    others build their worker's plan and load its kernel at the same time, not at its first chunk
    while the other workers compute (about 1-2 s each for the plan model)."""
    from distributed import wait

    workers = list(client.scheduler_info().get("workers", {})) or [None]
    futs = [
        client.submit(_edges_task, packed, pure=False, workers=None if w is None else [w], allow_other_workers=True)
        for w in workers
    ]
    done, _ = wait(futs, return_when="FIRST_COMPLETED")
    edges = next(iter(done)).result()
    return edges


def _fold(acc, sinks, summary, bounds, per_draw, names) -> None:
    """Chunk ``bounds`` into the caller's accumulator and sinks, in chunk order."""
    a, b = bounds
    acc.fold(summary)
    per_draw = per_draw or {}
    for sink in sinks:
        if isinstance(sink, _TargetCounts):
            sink.met += summary["met"]
            if sink.per_draw:
                sink.value[a:b] = per_draw["target_value"]
                sink.ok[a:b] = per_draw["target_met"]
        elif isinstance(sink, _Keeper):
            for i, name in enumerate(names):
                sink.arr[i, a:b, :] = per_draw[f"{name}_draws"]
        elif isinstance(sink, _SampledParameters):
            sink.arr[a:b] = per_draw["parameters"]
