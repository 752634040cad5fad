"""Vectorized Monte Carlo over the uncertain parameters of any model, with bounded memory.

:func:`run_monte_carlo` is the engine-level driver: a model (any :class:`jzsim.engine.Model`), the
outputs to summarise and, optionally, compiled target checks. The plan's defaults (the plan model,
its headline outputs and its target registry) are added one layer up, by :func:`jzsim.monte_carlo`
(:mod:`jzsim.experiments`); this module imports nothing from the plan, its sectors or the analysis.

A run has three steps, one function each:

* :func:`plan_run` checks every option and fixes what the run needs before the first draw
  (:class:`RunPlan`: the outputs' rows, the parameters' rows, chunk boundaries, target checks);
* :func:`execute` samples, integrates and summarises the chunks (:class:`_Chunks` holds the
  buffers), folding them into an :class:`~jzsim.uncertainty.summaries.Accumulator`;
* :func:`assemble` builds the Dataset.

Draws are processed in chunks (whole blocks of :data:`~jzsim.uncertainty.sampling.BLOCK` draws);
each chunk samples its parameters from ``(seed, parameter name, draw index)``, runs through the numpy
or compiled kernel, and is folded into running summaries (:mod:`jzsim.uncertainty.summaries`).
Per-draw trajectories are kept only when asked for: in memory, or streamed to a ``.npy`` file.

A worker thread samples and integrates chunk i + 1 while the calling thread checks and summarises
chunk i (two sets of buffers); summaries are folded in chunk order and per-draw values do not depend
on it. Output checks read the chunk's summaries and look at the draws only when a mean is not
finite or a nonnegative stock's minimum is negative.

The compiled backend runs the first :data:`~jzsim.uncertainty.sampling.BLOCK` draws the plain way
(their trajectories set the histogram edges); every later chunk is summarised inside the kernel
as its draws are run (:class:`jzsim.backends.numba_runtime.KernelSummaries`), with the same bits as
summarising the trajectories afterwards, and trajectories are written only when kept. A chunk runs
its blocks of 4096 draws in parallel, so chunks of fewer blocks than cores leave cores idle.

With the numpy backend each chunk is integrated by ``threads`` threads (default: every usable CPU),
each taking a contiguous part of at least :data:`MIN_THREAD_PART` draws, in cache-sized pieces of
:data:`KERNEL_BATCH` draws: numpy releases the GIL inside its loops, and on arrays that long the
loops, not the interpreter, dominate. The compiled kernel runs on numba's threads. Timings are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import xarray as xr

from jzsim.engine.constants import BLOCK, DEFAULT_CHUNK, DEFAULT_CHUNK_NUMBA, KERNEL_BATCH, MIN_THREAD_PART
from jzsim.engine.results import expand_groups, stack_groups, time_values
from jzsim.uncertainty.sampling import SAMPLERS, sample_parameters
from jzsim.uncertainty.summaries import QUANTILES, Accumulator, wilson_interval

__all__ = ["run_monte_carlo", "Execution", "CompiledTargets", "RunPlan", "plan_run", "execute", "assemble"]

BACKENDS = ("numpy", "numba")


@dataclass(frozen=True)
class Execution:
    """How a Monte Carlo run is executed: never what it computes.

    Results (per-draw values, summaries, target counts) are bit-identical whatever these are, so
    they live apart from the options that do change results (``sampler``, ``quantiles``,
    ``n_bins``, ``backend``: the compiled kernel agrees with numpy to about 1e-12, not bit for bit).

    Attributes
    ----------
    chunk_size : int, optional
        Draws per Monte Carlo chunk (sampled, integrated and summarised together), rounded up to a
        multiple of 4096; default :func:`default_chunk` of the backend (32768 numpy, 65536 numba).
        Memory grows with it. The numba kernel runs a chunk's blocks of 4096 draws in parallel, so a
        chunk should have at least as many blocks as there are cores.
    threads : int, optional
        numpy backend: threads integrating each chunk, each a contiguous part of at least 8192
        draws (default: the CPUs this process may use). The numba backend uses numba's threads
        (``NUMBA_NUM_THREADS``).
    """

    chunk_size: int | None = None
    threads: int | None = None

    def __post_init__(self):
        from jzsim.engine.compiled import check_threads

        c = self.chunk_size
        if c is not None and (isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1):
            raise ValueError(f"chunk_size is {c!r}; allowed: an integer >= 1, or None for the backend's default")
        check_threads(self.threads, allow_none=True)


class TargetChecks(Protocol):
    """Per-draw target checks on a chunk's arrays (:class:`jzsim.analysis.targets.TargetChecks`)."""

    cells: list[tuple[int, int]]
    reads_rows: bool

    def counts(self, out: np.ndarray | None, copies: np.ndarray | None = None) -> np.ndarray: ...

    def outcomes(self, out: np.ndarray | None, copies: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class CompiledTargets:
    """Targets compiled against a run's output rows.

    Attributes
    ----------
    ids : tuple of str
        Target ids, in table order.
    status : tuple of str
        Per target: ``"modelled"``, ``"not modelled"`` or ``"threshold unknown"``.
    checks : TargetChecks
        Counts (and per-draw outcomes) of each chunk.
    """

    ids: tuple[str, ...]
    status: tuple[str, ...]
    checks: TargetChecks


#: ``targets(cm, rs, names)``: compile targets for a run whose chunk arrays hold ``names`` (rows).
TargetsFactory = Callable[[Any, Any, list[str]], CompiledTargets]


@dataclass
class RunPlan:
    """Everything a run fixes before its first draw (made by :func:`plan_run`)."""

    cm: Any  # jzsim.engine.compiled.CompiledModel
    rs: Any  # jzsim.engine.compiled.RunSettings
    draws: int
    seed: int
    sampler: str
    backend: str
    quantiles: tuple[float, ...]
    n_bins: int
    names: list[str]  # rows of a chunk's array: the kernel's outputs, then derived growth rates
    kernel_names: list[str]
    derived: dict[str, Any]
    chunk: int
    starts: list[int]  # first draw of each chunk
    parameters: list[Any]  # every parameter of the model (jzsim.params.Parameter), in kernel order
    targets: CompiledTargets | None
    kernel_threads: int
    kernel_chunk: int
    fused: bool  # the compiled kernel summarises chunks after the first as it runs them
    write_out: bool  # trajectories are needed outside the kernel (kept, or a target reads whole rows)
    keep: bool | str | Path = False
    settings: dict = field(default_factory=dict)

    @property
    def nt(self) -> int:
        return len(self.rs.save_times)

    @property
    def nk(self) -> int:
        return len(self.kernel_names)

    @property
    def rows(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}

    @property
    def uncertain(self) -> list[Any]:
        return [p for p in self.parameters if p.uncertain]

    @property
    def cells(self) -> np.ndarray:
        """``(variable row, time index)`` cells the target checks read, copied out by the summaries."""
        cells = self.targets.checks.cells if self.targets is not None else []
        return np.array(cells, dtype=np.int64).reshape(-1, 2)

    def bounds(self, c: int) -> tuple[int, int]:
        """Draws ``[a, b)`` of chunk ``c``."""
        return self.starts[c], self.starts[c + 1] if c + 1 < len(self.starts) else self.draws


def plan_run(
    model,
    draws: int,
    *,
    seed: int = 0,
    sampler: str = "random",
    backend: str = "numpy",
    execution: Execution | None = None,
    outputs: Sequence[str] | None = None,
    targets: TargetsFactory | None = None,
    quantiles: Sequence[float] = QUANTILES,
    n_bins: int = 1000,
    keep: bool | str | Path = False,
    settings: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Any] | None = None,
) -> RunPlan:
    """Check the options of :func:`run_monte_carlo` and fix what the run needs (same arguments)."""
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or draws < 1:
        raise ValueError(f"draws is {draws!r}; allowed: an integer >= 1")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if backend not in BACKENDS:
        raise ValueError(f"backend is {backend!r}; allowed: {', '.join(BACKENDS)}")
    qs = tuple(float(q) for q in quantiles)
    if not all(0 < q < 1 for q in qs) or len(set(_labels(qs))) != len(qs):
        raise ValueError(f"quantiles are {qs}; allowed: distinct numbers strictly between 0 and 1, at least 0.01 apart")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins is {n_bins!r}; allowed: an integer >= 1 (histogram bins for quantiles)")
    if isinstance(outputs, str):
        raise ValueError(f"outputs is {outputs!r}; allowed: a list of names, e.g. [{outputs!r}]")
    execution = Execution() if execution is None else execution
    if not isinstance(execution, Execution):
        raise TypeError(f"execution is {execution!r}; allowed: a jzsim.uncertainty.montecarlo.Execution")
    cm = model.build() if hasattr(model, "build") else model
    rs = cm.settings_for(dict(settings or {}))
    asked = expand_groups(cm, outputs) if outputs is not None else list(cm.output_names)
    derived = {n: cm.derived[n] for n in asked if n in cm.derived}
    kernel_names = [n for n in asked if n not in derived]
    kernel_names += [d.of for d in derived.values() if d.of not in kernel_names]
    cm.selection(kernel_names)  # validates names
    names = kernel_names + list(derived)  # kernel rows first, derived rows computed after them
    chunk = default_chunk(backend) if execution.chunk_size is None else int(execution.chunk_size)
    chunk = -(-chunk // BLOCK) * BLOCK
    compiled = targets(cm, rs, names) if targets is not None else None
    if compiled is not None and not compiled.ids:
        compiled = None
    fused = backend == "numba"
    first = min(draws, BLOCK) if fused else min(draws, chunk)
    kernel_threads, kernel_chunk = (
        _numpy_kernel_split(chunk, execution.threads) if backend == "numpy" else (1, KERNEL_BATCH)
    )
    return RunPlan(
        cm=cm,
        rs=rs,
        draws=int(draws),
        seed=seed,
        sampler=sampler,
        backend=backend,
        quantiles=qs,
        n_bins=n_bins,
        names=names,
        kernel_names=kernel_names,
        derived=derived,
        chunk=chunk,
        starts=[0] + list(range(first, draws, chunk)),
        parameters=run_parameters(cm, params, uncertainty),
        targets=compiled,
        kernel_threads=kernel_threads,
        kernel_chunk=kernel_chunk,
        fused=fused,
        write_out=keep is not False and keep is not None or (compiled is not None and compiled.checks.reads_rows),
        keep=keep,
        settings=dict(settings or {}),
    )


def run_parameters(cm, params: Mapping[str, Any] | None, uncertainty: Mapping[str, Any] | None) -> list[Any]:
    """``cm``'s parameters for one run, in kernel order: a number in ``params`` fixes that parameter
    in every draw (validated by :func:`jzsim.params.with_overrides`; a
    :class:`~jzsim.params.Parameter` replaces the declaration), and a distribution in
    ``uncertainty`` replaces the declared one (:func:`~jzsim.uncertainty.distributions.with_uncertainty`).
    """
    from jzsim.params import check_joint, with_overrides
    from jzsim.uncertainty.distributions import with_uncertainty

    declared = {p.name: p for p in declared_parameters(cm)}
    both = set(params or {}) & set(uncertainty or {})
    if both:
        raise ValueError(
            f"{', '.join(sorted(both))} given in both params (fixed) and uncertainty (drawn); allowed: one of them"
        )
    out = with_uncertainty(with_overrides(declared, params), uncertainty)  # a number fixes it in every draw
    if uncertainty:
        check_joint(out)  # e.g. shares of one whole whose new highs sum above 1
    return [out[v.name] for v in cm.params]


def declared_parameters(cm) -> list[Any]:
    """The :class:`jzsim.params.Parameter` of each of ``cm``'s parameters, in kernel order (a
    parameter declared with :meth:`jzsim.engine.Model.param` becomes a fixed one)."""
    from jzsim.params import Parameter

    out = []
    for v in cm.params:
        p = v.parameter
        if p is None:
            p = Parameter(v.name, v.units, float(v.value), v.low, v.high, "fixed", description=v.description)
        out.append(p)
    return out


class _Chunks:
    """Sampling and integration of one chunk into reused buffers (two sets, so that a worker thread
    can integrate chunk i + 1 while the caller summarises chunk i)."""

    def __init__(self, plan: RunPlan, acc: Accumulator):
        self.plan, self.acc = plan, acc
        self.bufs: list[dict] = [{}, {}]
        self.errstate = np.geterr()  # the caller's floating-point error handling, applied in the worker too
        uncertain = {p.name for p in plan.uncertain}
        self.sampled_rows = [i for i, p in enumerate(plan.parameters) if p.name in uncertain]
        self.fixed_rows = [i for i, p in enumerate(plan.parameters) if p.name not in uncertain]
        self.growth_of = [plan.rows[d.of] for d in plan.derived.values()]
        cells = plan.cells
        self.cells = cells
        self.cells_flat = cells[:, 0] * plan.nt + cells[:, 1]

    def parameters(self, a: int, b: int, slot: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Parameter-major rows of draws ``a..b-1``, as the compiled kernel takes them: the sampler
        writes its rows in place; the nominal rows are filled once per buffer."""
        p, buf = self.plan, self.bufs[slot]
        Pm = _buffer(buf, "P", (len(p.parameters), p.chunk), b - a)
        if buf.get("P_filled") is not Pm:
            for i in self.fixed_rows:
                Pm[i] = p.parameters[i].value
            buf["P_filled"] = Pm
        compiled = p.backend == "numba"
        rows = self.sampled_rows
        sampled = sample_parameters(
            p.parameters, p.sampler, p.seed, a, b, p.draws, out=Pm, rows=rows, compiled=compiled
        )
        return sampled, Pm

    def trajectories(self, Pm: np.ndarray, slot: int) -> np.ndarray:
        """Every row of the chunk integrated the plain way (derived growth rates included)."""
        from jzsim.engine.results import growth_rows

        p = self.plan
        out = _buffer(self.bufs[slot], "out", (len(p.names), p.chunk, p.nt), Pm.shape[1])
        P = list(Pm)
        if p.backend == "numpy":  # fixed parameters as numbers: computed once per step, not per draw
            for i in self.fixed_rows:
                P[i] = float(p.parameters[i].value)
        with np.errstate(**self.errstate):
            p.cm.integrate(
                P,
                p.rs,
                backend=p.backend,
                names=p.kernel_names,
                batch_size=p.kernel_chunk,
                check=False,
                out=out[: p.nk],
                threads=p.kernel_threads,
            )
        for i, row in enumerate(self.growth_of):
            growth_rows(out[row], p.rs.save_every, out=out[p.nk + i])
            out[p.nk + i, :, 0] = 0.0  # no growth rate in the first year: reported as NaN in the Dataset
        return out

    def integrate(self, a: int, b: int, slot: int):
        """``(sampled, result, copies)`` of draws ``a..b-1``: ``result`` is the trajectories, or,
        when the compiled kernel summarised them itself, ``(summariser, Pm, out or None)``."""
        p, buf = self.plan, self.bufs[slot]
        sampled, Pm = self.parameters(a, b, slot)
        copies = _buffer(buf, "copies", (len(self.cells), p.chunk), b - a)
        if not p.fused or self.acc.lo is None:  # (the edges are set before a second chunk is submitted)
            return sampled, self.trajectories(Pm, slot), copies
        out = _buffer(buf, "out", (len(p.names), p.chunk, p.nt), b - a) if p.write_out else None
        summ = buf.get("summariser")
        if summ is None:
            from jzsim.backends.numba_runtime import KernelSummaries

            select = p.cm.selection(p.kernel_names)
            summ = buf["summariser"] = KernelSummaries(
                p.cm, p.rs, select, p.nk, self.growth_of, self.cells_flat, BLOCK, p.chunk, self.acc
            )
        with np.errstate(**self.errstate):
            summ.run(Pm, copies, out)
        return sampled, (summ, Pm, out), copies

    def summarise(self, a: int, slot: int, res, copies: np.ndarray) -> np.ndarray | None:
        """Check and fold chunk ``res`` (from :meth:`integrate`, first draw ``a``) into the
        accumulator; return its trajectories (None if the kernel summarised them and kept none)."""
        p, acc = self.plan, self.acc
        nonneg = [p.rows[s.name] for s in p.cm.stocks if s.nonnegative and s.name in p.rows]
        check = dict(rs=p.rs, first_draw=a, names=p.kernel_names)
        if isinstance(res, tuple):  # summarised by the kernel
            summ, Pm, out = res
            summ.add_to(acc)
            if acc.suspicious(slice(0, p.nk), nonneg):  # find the draw: its trajectories, the plain way
                p.cm.check_output(self.trajectories(Pm, slot)[: p.nk], **check)
            return out
        # Summaries that take any value: check the draws themselves only when a mean is not finite or
        # a nonnegative stock's minimum is negative. Otherwise check each chunk before summarising it.
        if not acc.nan_safe:
            p.cm.check_output(res[: p.nk], **check)
        acc.add_blocks(res, BLOCK, self.cells, copies)
        if acc.nan_safe and acc.suspicious(slice(0, p.nk), nonneg):
            p.cm.check_output(res[: p.nk], **check)  # raises, naming the draw
        return res


@dataclass
class _Progress:
    """What :func:`execute` reports: draws done, whether interrupted, seconds."""

    done: int = 0
    interrupted: bool = False
    elapsed: float = 0.0


def execute(plan: RunPlan, acc: Accumulator, sinks: Sequence[Any] = (), progress: bool | None = None) -> _Progress:
    """Sample, integrate and summarise every chunk of ``plan`` into ``acc``.

    ``sinks`` receive each finished chunk: ``sink.add(a, b, sampled, out, copies)`` (draws
    ``a..b-1``; ``out`` may be None when the compiled kernel summarised the chunk and no sink or
    target needs trajectories). A ``KeyboardInterrupt`` stops the run after the last finished
    chunk, with a warning; the returned progress says how far it got.
    """
    from tqdm.auto import tqdm

    chunks = _Chunks(plan, acc)
    bar = tqdm(
        total=plan.draws,
        unit="draw",
        delay=1.0,
        disable=(None if progress is None else not progress),
        desc=f"jzsim {plan.backend}",
    )
    state = _Progress()
    n = len(plan.starts)
    pipelined = n > 1 and _can_overlap(plan.backend)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jzsim-kernel") as pool:
        try:
            nxt = pool.submit(chunks.integrate, *plan.bounds(0), 0) if pipelined else None
            for c in range(n):
                a, b = plan.bounds(c)
                slot = c % 2 if pipelined else 0
                sampled, res, copies = nxt.result() if pipelined else chunks.integrate(a, b, slot)
                if acc.lo is None:  # bin edges from the first BLOCK draws, before the next chunk starts
                    acc.set_edges(res[:, : min(BLOCK, b - a), :])
                if pipelined and c + 1 < n:
                    nxt = pool.submit(chunks.integrate, *plan.bounds(c + 1), (c + 1) % 2)
                out = chunks.summarise(a, slot, res, copies)
                for sink in sinks:
                    sink.add(a, b, sampled, out, copies)
                state.done = b
                bar.update(b - a)
        except KeyboardInterrupt:
            state.interrupted = True
            warnings.warn(
                f"Monte Carlo interrupted: summaries cover the first {state.done} of {plan.draws} draws",
                RuntimeWarning,
                stacklevel=3,
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a chunk being integrated finishes, unused
            bar.close()
    if state.done == 0:
        raise KeyboardInterrupt("Monte Carlo interrupted before the first chunk finished")
    state.elapsed = time.perf_counter() - t0
    return state


class _TargetCounts:
    """Sink: draws meeting each target and, with ``draws`` (outcomes asked for), each draw's
    indicator value and verdict per target."""

    def __init__(self, targets: CompiledTargets, draws: int | None = None):
        self.checks = targets.checks
        self.met = np.zeros(len(targets.ids), dtype=np.int64)
        self.per_draw = draws is not None
        if self.per_draw:
            _memory_check(
                f"per-draw outcomes of {len(targets.ids)} targets over {draws} draws",
                9 * len(targets.ids) * draws,
                "ask for fewer draws or targets",
            )
            self.value = np.full((draws, len(targets.ids)), np.nan)
            self.ok = np.zeros((draws, len(targets.ids)), dtype=bool)

    def add(self, a, b, sampled, out, copies):
        if not self.per_draw:
            self.met += self.checks.counts(out, copies)
            return
        value, met = self.checks.outcomes(out, copies)
        self.value[a:b] = value.T
        self.ok[a:b] = met.T
        self.met += met.sum(axis=1)

    def merge_into(self, ds: xr.Dataset, plan: RunPlan, n: int) -> xr.Dataset:
        ds = _target_variables(ds, plan.targets, self.met, n)
        if self.per_draw:
            ds = ds.assign_coords(draw=np.arange(n))
            ds["target_value"] = (
                ("draw", "target"),
                self.value[:n],
                {"description": "each draw's value of the target's indicator, in the target's units"},
            )
            ds["target_met"] = (("draw", "target"), self.ok[:n], {"description": "whether the draw meets the target"})
        return ds


def assemble(
    plan: RunPlan, acc: Accumulator, state: _Progress, sinks: Sequence[Any] = (), attrs: Mapping[str, Any] | None = None
) -> xr.Dataset:
    """The run's Dataset: summaries, target probabilities, whatever the sinks kept, and attrs."""
    n = state.done
    ds = _summary_dataset(plan, acc)
    for name in plan.derived:  # growth rates have no value at the first saved time
        ds[name][:, 0] = np.nan
    ds = stack_groups(plan.cm, ds)  # e.g. cluster_output over (statistic, year, cluster)
    for sink in sinks:
        ds = sink.merge_into(ds, plan, n) if hasattr(sink, "merge_into") else ds
    ds.attrs.update(
        model=plan.cm.name,
        seed=int(plan.seed),
        sampler=plan.sampler,
        backend=plan.backend,
        draws_requested=int(plan.draws),
        draws=int(n),
        interrupted=int(state.interrupted),
        chunk_size=plan.chunk,
        kernel_threads=int(plan.kernel_threads if plan.backend != "numba" else _numba_threads()),
        method=plan.rs.method,
        dt=plan.rs.dt,
        jzsim_version=_version("jzsim") or "0.0.0+unknown",
        numpy_version=np.__version__,
        numba_version=_version("numba") if plan.backend == "numba" else "",
        python_version=platform.python_version(),
        elapsed_seconds=state.elapsed,
        draws_per_second=n / state.elapsed if state.elapsed else np.nan,
        uncertain_parameters=", ".join(p.name for p in plan.uncertain),
        quantile_method=f"histogram of {plan.n_bins} bins per variable and year; edges from the first "
        f"{min(BLOCK, plan.draws)} draws widened by half their range each side",
    )
    ds.attrs.update(dict(attrs or {}))
    return ds


def run_monte_carlo(
    model,
    draws: int = 10_000,
    *,
    seed: int = 0,
    sampler: str = "random",
    outputs: Sequence[str] | None = None,
    targets: TargetsFactory | None = None,
    quantiles: Sequence[float] = QUANTILES,
    n_bins: int = 1000,
    backend: str = "numpy",
    keep: bool | str | Path = False,
    progress: bool | None = None,
    execution: Execution | None = None,
    settings: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    uncertainty: Mapping[str, Any] | None = None,
    outcomes: bool = False,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Run ``draws`` draws of ``model``'s uncertain parameters and summarise them.

    The engine-level driver behind :func:`jzsim.monte_carlo`, which documents the options and adds
    the plan's defaults; here nothing is plan-specific.

    Parameters
    ----------
    model : jzsim.engine.Model or CompiledModel
        Its parameters declared with :meth:`~jzsim.engine.Model.add_parameter` carry their
        distributions; the others are fixed.
    outputs : sequence of str, optional
        Variables to summarise (default: every output of the model).
    targets : callable, optional
        ``targets(cm, rs, names) -> CompiledTargets`` (see :data:`TargetsFactory`).
    settings : mapping, optional
        ``start``, ``stop``, ``dt``, ``method`` of the run.
    params, uncertainty : mapping, optional
        Fixed values and replaced distributions (:func:`run_parameters`).
    attrs : mapping, optional
        Added to the Dataset's attrs (scenario, data hash ...).
    draws, seed, sampler, quantiles, n_bins, backend, keep, progress, execution, outcomes
        As in :func:`jzsim.monte_carlo`.
    """
    if backend == "dask":  # chunks on a Dask cluster, same bits (jzsim.uncertainty.distributed)
        from jzsim.uncertainty.distributed import run_distributed

        return run_distributed(
            model,
            draws,
            execution=execution,
            keep=keep,
            outcomes=outcomes,
            progress=progress,
            attrs=attrs,
            seed=seed,
            sampler=sampler,
            outputs=outputs,
            targets=targets,
            quantiles=quantiles,
            n_bins=n_bins,
            settings=settings,
            params=params,
            uncertainty=uncertainty,
        )
    plan = plan_run(
        model,
        draws,
        seed=seed,
        sampler=sampler,
        backend=backend,
        execution=execution,
        outputs=outputs,
        targets=targets,
        quantiles=quantiles,
        n_bins=n_bins,
        keep=keep,
        settings=settings,
        params=params,
        uncertainty=uncertainty,
    )
    acc = Accumulator(len(plan.names), plan.nt, n_bins, compiled=plan.backend == "numba")
    sinks: list[Any] = []
    if plan.targets is not None:
        sinks.append(_TargetCounts(plan.targets, draws if outcomes else None))
    kept = _keeper(keep, len(plan.names), draws, plan.nt)
    if kept is not None:
        sinks.append(kept)
    if kept is not None or outcomes:
        sinks.append(_SampledParameters(plan.uncertain, draws))
    state = execute(plan, acc, sinks, progress)
    return assemble(plan, acc, state, sinks, attrs)


def default_chunk(backend: str) -> int:
    """Default ``chunk_size`` of :func:`monte_carlo` for ``backend`` (draws)."""
    return DEFAULT_CHUNK_NUMBA if backend == "numba" else DEFAULT_CHUNK


def _buffer(store: dict, key: str, shape: tuple[int, int, ...], n: int) -> np.ndarray:
    """``store[key]`` (made once) for a full chunk, where ``shape[1]`` is the chunk; else a new array
    with ``n`` draws."""
    if n != shape[1]:
        return np.empty((shape[0], n) + shape[2:])
    if key not in store:
        store[key] = np.empty(shape)
    return store[key]


def _numpy_kernel_split(chunk: int, threads: int | None) -> tuple[int, int]:
    """``(threads, pieces)`` for the numpy kernel on one chunk: several threads, each a contiguous
    part of the chunk, if parts have at least :data:`MIN_THREAD_PART` draws, else one; either way
    in cache-sized pieces of :data:`KERNEL_BATCH` draws (with two threads on the plan model, parts
    of 16,384 draws in one piece ran 1.3x slower than in pieces: see the design log of
    ``benchmarks/README.md``)."""
    n = _usable_cpus() if threads is None else int(threads)
    if n > 1 and chunk // n >= MIN_THREAD_PART:
        return n, KERNEL_BATCH
    return 1, KERNEL_BATCH


def _numba_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _can_overlap(backend: str) -> bool:
    """Whether the next chunk may be integrated while this one is summarised.

    numpy releases the GIL inside its loops. The compiled kernel and the compiled summaries are both
    parallel numba functions: running two at once from two threads is safe with numba's ``omp`` and
    ``tbb`` threading layers, but the ``workqueue`` layer aborts the process, so we overlap only when
    a thread-safe layer is available.
    """
    if backend != "numba":
        return True
    import numba

    try:
        numba.np.ufunc.parallel._launch_threads()
        return numba.threading_layer() in ("omp", "tbb")
    except Exception:  # pragma: no cover - numba internals moved: do not overlap
        return False


def _summary_dataset(plan: RunPlan, acc: Accumulator) -> xr.Dataset:
    cm, qs = plan.cm, plan.quantiles
    tdim = cm.time_dim
    labels = ["mean", "std", "min", "max"] + _labels(qs)
    stats = np.concatenate([acc.mean[None], acc.std[None], acc.min[None], acc.max[None], acc.quantiles(qs)])
    data = {}
    for i, name in enumerate(plan.names):
        attrs = cm.attrs_of(name)
        data[name] = (
            ("statistic", tdim),
            stats[:, i, :],
            {
                "units": attrs["units"],
                "description": attrs["description"],
                "quantile_resolution": float(np.max(acc.width[i])),
            },
        )
    # the float quantile of each statistic (min and max are the 0 and 1 quantiles of the draws; mean
    # and std are none: NaN), indexed so that .sel(quantile=0.5) picks the median
    quantile = np.array([np.nan, np.nan, 0.0, 1.0, *qs])
    coords = {
        "statistic": labels,
        "quantile": ("statistic", quantile, {"units": "1", "description": "quantile of the draws (NaN: not one)"}),
        tdim: (tdim, time_values(tdim, plan.rs.save_times), {"units": cm.time_units}),
    }
    return xr.Dataset(data, coords=coords).set_xindex("quantile")


def _labels(qs: Sequence[float]) -> list[str]:
    """``statistic`` labels of quantiles: ``p05``, ``p50`` ... (percent, rounded)."""
    return [f"p{round(q * 100):02d}" for q in qs]


def _target_variables(ds: xr.Dataset, targets: CompiledTargets, met_counts: np.ndarray, n: int) -> xr.Dataset:
    status = np.array(targets.status, dtype=object)
    modelled = status == "modelled"
    p = met_counts / n
    low, high = wilson_interval(met_counts, n)
    nan = np.where(modelled, 1.0, np.nan)
    ds = ds.assign_coords(target=list(targets.ids))
    ds["p_met"] = ("target", p * nan, {"units": "1", "description": "share of draws meeting the target"})
    ds["p_met_se"] = (
        "target",
        np.sqrt(p * (1 - p) / n) * nan,
        {"units": "1", "description": "Monte Carlo standard error of p_met, sqrt(p(1-p)/n)"},
    )
    ds["p_met_low"] = ("target", low * nan, {"units": "1", "description": "Wilson 95% interval, lower"})
    ds["p_met_high"] = ("target", high * nan, {"units": "1", "description": "Wilson 95% interval, upper"})
    ds["n_met"] = ("target", met_counts, {"units": "1", "description": "draws meeting the target"})
    ds["modelled"] = ("target", modelled, {"description": "the model covers the target's indicator"})
    ds["status"] = (
        "target",
        status.astype(str),
        {"description": "modelled, not modelled, or threshold unknown (no number in the plan)"},
    )
    return ds


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:  # pragma: no cover
        return ""


class _Keeper:
    """Sink: per-draw trajectories, in memory or in a memory-mapped ``.npy`` file."""

    def __init__(self, path, n_vars, draws, nt):
        shape = (n_vars, draws, nt)
        if path is None:
            self.arr = np.empty(shape)
        else:
            self.path = Path(path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.arr = np.lib.format.open_memmap(self.path, mode="w+", dtype=np.float64, shape=shape)

    def add(self, a, b, sampled, out, copies):
        self.arr[:, a:b, :] = out

    def merge_into(self, ds: xr.Dataset, plan: RunPlan, n: int) -> xr.Dataset:
        if isinstance(self.arr, np.memmap):
            self.arr.flush()
        cm, tdim = plan.cm, plan.cm.time_dim
        data = {
            f"{nm}_draws": (
                ("draw", tdim),
                self.arr[i, :n, :],
                {k: v for k, v in cm.attrs_of(nm).items() if k in ("units", "description")},
            )
            for i, nm in enumerate(plan.names)
        }
        return ds.merge(
            xr.Dataset(data, coords={"draw": np.arange(n), tdim: (tdim, time_values(tdim, plan.rs.save_times))})
        )


class _SampledParameters:
    """Sink: each draw's values of the uncertain parameters, ``parameters(draw, parameter)``."""

    def __init__(self, uncertain: Sequence[Any], draws: int):
        self.names = [p.name for p in uncertain]
        self.units = [p.units for p in uncertain]
        self.arr = np.empty((draws, len(self.names)))

    def add(self, a, b, sampled, out, copies):
        for j, name in enumerate(self.names):
            self.arr[a:b, j] = sampled[name]

    def merge_into(self, ds: xr.Dataset, plan: RunPlan, n: int) -> xr.Dataset:
        da = xr.DataArray(
            self.arr[:n],
            dims=("draw", "parameter"),
            coords={"draw": np.arange(n), "parameter": self.names, "parameter_units": ("parameter", self.units)},
            attrs={"description": "sampled value of each uncertain parameter, in parameter_units"},
        )
        return ds.assign(parameters=da)


def _memory_check(what: str, need: int, hint: str) -> None:
    if need > 4 * 2**30:
        raise MemoryError(f"{what} needs {need / 2**30:.1f} GiB; {hint}")


def _keeper(keep, n_vars, draws, nt):
    if keep is False or keep is None:
        return None
    if keep is True:
        _memory_check(
            f"keeping {draws} trajectories of {n_vars} outputs",
            n_vars * draws * nt * 8,
            "pass keep='path/to/file.npy' to stream them to disk",
        )
        return _Keeper(None, n_vars, draws, nt)
    return _Keeper(keep, n_vars, draws, nt)
