"""Vectorized Monte Carlo over the uncertain parameters, with bounded memory.

Draws are processed in chunks (whole blocks of :data:`~jzsim.uncertainty.sampling.BLOCK` draws);
each chunk samples its parameters from ``(seed, draw index)``, runs through the numpy or compiled
kernel, and is folded into running summaries (:mod:`jzsim.uncertainty.summaries`). Per-draw
trajectories are kept only when asked for: in memory, or streamed to a ``.npy`` file on disk.

A worker thread samples and integrates chunk i + 1 while the calling thread checks and summarises
chunk i (two sets of buffers); summaries are folded in chunk order and per-draw values do not depend
on it. Output checks read the chunk's summaries and look at the draws only when a mean is not
finite or a nonnegative stock's minimum is negative.

The compiled backend runs the first :data:`~jzsim.uncertainty.sampling.BLOCK` draws the plain way
(their trajectories set the histogram edges); every later chunk is summarised inside the kernel
as its draws are run (:class:`jzsim.backends.numba_runtime.KernelSummaries`), with the same bits as
summarising the trajectories afterwards, and trajectories are written only when kept. On the
2-core benchmark machine, 10^6 plan draws took 3.5-3.7 s this way against 4.0-4.6 s before (runs
in the same hour). A chunk runs its blocks of 4096 draws in parallel, so chunks of fewer blocks
than cores leave cores idle (chunk_size=4096 is about half as fast as the default).

With the numpy backend each chunk is integrated by ``threads`` threads (default: every usable CPU),
each taking a contiguous part of at least :data:`MIN_THREAD_PART` draws in one piece: numpy
releases the GIL inside its loops, and on arrays that long the loops, not the interpreter,
dominate. On the 2-core benchmark machine this took the numpy ``monte_carlo`` from about 38,000 to
49,000 draws/s (10^6 plan draws). The compiled kernel runs on numba's threads.
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from jzsim.engine.constants import BLOCK, DEFAULT_CHUNK, DEFAULT_CHUNK_NUMBA, KERNEL_BATCH, MIN_THREAD_PART
from jzsim.uncertainty.sampling import SAMPLERS, sample_parameters
from jzsim.uncertainty.summaries import QUANTILES, Accumulator, wilson_interval

__all__ = ["monte_carlo", "HEADLINE"]

#: Outputs summarised by default besides the target indicators (when the model has them).
HEADLINE = (
    "gdp_real",
    "gdp_nominal",
    "gdp_growth",
    "va_primary",
    "va_secondary",
    "va_tertiary",
    "cluster_output_health",
    "cluster_output_materials",
    "cluster_output_equipment",
    "pop_total",
    "urbanisation",
    "employment",
    "income_urban",
    "income_rural",
    "grain_output",
    "water_demand_total",
    "water_shortage_total",
    "groundwater_extraction",
    "groundwater_recharge",
    "aquifer_storage",
    "reclaimed_share",
    "water_per_wanyuan_gdp",
)
BACKENDS = ("numpy", "numba")
KERNEL_CHUNK = KERNEL_BATCH  # TODO(#19, h-mc): use KERNEL_BATCH directly (the kernel's batch, not a chunk)


def _default_outputs(cm, targets) -> list[str]:
    names = set(cm.output_names) | set(cm.derived)
    want: list[str] = []
    if targets is not None:
        for col in ("indicator", "reference"):
            if col in targets:
                want += [str(x) for x in targets[col].dropna() if str(x)]
    want += list(HEADLINE)
    for g in cm.groups.values():  # whole groups, so that target selectors (cluster=...) work
        if any(m in want for m in g.members.values()) or g.name in want:
            want += list(g.members.values())
    out: list[str] = []
    for n in want:
        if n in names and n not in out:
            out.append(n)
    return out


def monte_carlo(
    scenario: str = "plan",
    draws: int = 10_000,
    *,
    seed: int = 0,
    sampler: str = "random",
    backend: str = "numpy",
    chunk_size: int | None = None,
    outputs: Sequence[str] | None = None,
    keep: bool | str | Path = False,
    quantiles: Sequence[float] = QUANTILES,
    progress: bool | None = None,
    params: Mapping[str, Any] | None = None,
    model=None,
    targets=None,
    n_bins: int = 1000,
    threads: int | None = None,
    **settings: Any,
) -> xr.Dataset:
    """Run ``draws`` draws of the uncertain parameters and summarise them.

    Parameters
    ----------
    scenario : str, default "plan"
        The built-in plan scenario (scenario files come with the scenario issue).
    draws : int, default 10000
        Number of draws.
    seed : int, default 0
        Root seed; draw ``i``'s parameters depend only on ``seed`` and ``i`` (and, for ``"lhs"``,
        on ``draws``).
    sampler : {"random", "lhs", "sobol"}, default "random"
    backend : {"numpy", "numba"}, default "numpy"
        ``"numba"`` needs ``pip install 'jzsim[fast]'``.
    chunk_size : int, optional
        Draws per chunk (sampled, integrated and summarised together), rounded up to a multiple of
        4096 (default 32768 with numpy, 65536 with numba: :func:`default_chunk`). Results do not
        depend on it; memory grows with it. The numpy kernel
        advances 4096 draws at a time within a chunk, to stay in cache; the numba kernel runs a
        chunk's blocks of 4096 draws in parallel, so a chunk should have at least as many blocks as
        there are cores.
    outputs : sequence of str, optional
        Variables to summarise (default: the target indicators and the headline outputs).
    keep : bool or path, default False
        Keep per-draw trajectories of ``outputs``: ``True`` in memory, a path to stream them to a
        ``.npy`` file (memory-mapped in the result).
    quantiles : sequence of float, default (0.05, 0.25, 0.5, 0.75, 0.95)
    progress : bool, optional
        Show a progress bar (default: on a terminal, for runs longer than a second).
    params : mapping, optional
        Overrides of nominal values (numbers) or whole :class:`~jzsim.params.Parameter` objects.
    model : jzsim.engine.Model, optional
        Another model; its parameters declared with :meth:`~jzsim.engine.Model.add_parameter`
        carry their distributions.
    targets : pandas.DataFrame, optional
        Target registry (default: the plan's, :func:`jzsim.analysis.targets.load_targets`).
    n_bins : int, default 1000
        Histogram bins per variable and year for quantiles.
    threads : int, optional
        numpy backend: threads integrating each chunk, each a contiguous part of at least 8192
        draws (default: the CPUs this process may use). Results do not depend on it. The numba
        backend uses numba's threads (``NUMBA_NUM_THREADS``).
    **settings
        ``start``, ``stop``, ``dt``, ``method`` of the run.

    Returns
    -------
    xarray.Dataset
        For each output a variable with dims ``(statistic, year)`` (``mean``, ``std``, ``min``,
        ``max`` and the quantiles ``p05`` ...); ``p_met``, ``p_met_se``, ``p_met_low``,
        ``p_met_high``, ``n_met`` over ``target``; with ``keep``, ``<name>_draws`` over
        ``(draw, year)`` and the sampled parameters over ``draw``. ``attrs`` record seed, sampler,
        backend, versions, data hash, draws completed and whether the run was interrupted.
    """
    from jzsim.backends.numba_runtime import KernelSummaries
    from jzsim.data import data_hash
    from jzsim.engine.compiled import check_threads
    from jzsim.engine.results import growth_rows
    from jzsim.params import load_parameters, with_overrides
    from jzsim.version import __version__

    if scenario != "plan":
        raise ValueError(f"scenario is {scenario!r}; allowed: 'plan' (scenario files are not yet supported)")
    if not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws is {draws!r}; allowed: an integer >= 1")
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if backend not in BACKENDS:
        raise ValueError(f"backend is {backend!r}; allowed: {', '.join(BACKENDS)}")
    qs = tuple(float(q) for q in quantiles)
    if not all(0 < q < 1 for q in qs):
        raise ValueError(f"quantiles are {qs}; allowed: numbers strictly between 0 and 1")
    if model is None:
        from jzsim.plan import plan_model

        model = plan_model(parameters=with_overrides(load_parameters(), params))
    elif params:
        raise ValueError("params overrides apply to the plan model; for your own model declare them in it")
    cm = model.build()
    rs = cm.settings_for(settings)
    if targets is None and scenario == "plan" and model.name == "jizhou_plan":
        from jzsim.analysis.targets import load_targets

        targets = load_targets()
    asked = list(outputs) if outputs is not None else _default_outputs(cm, targets)
    derived = {n: cm.derived[n] for n in asked if n in cm.derived}
    kernel_names = [n for n in asked if n not in derived]
    kernel_names += [d.of for d in derived.values() if d.of not in kernel_names]
    cm.selection(kernel_names)  # validates names
    names = kernel_names + list(derived)  # kernel rows first, derived rows computed after them
    rows = {n: i for i, n in enumerate(names)}
    chunk = default_chunk(backend) if chunk_size is None else int(chunk_size)
    if chunk < 1:
        raise ValueError(f"chunk_size is {chunk_size!r}; allowed: an integer >= 1")
    check_threads(threads, allow_none=True)
    chunk = -(-chunk // BLOCK) * BLOCK
    declared = [v.parameter for v in cm.params]
    uncertain = [p for p in declared if p is not None and p.uncertain]
    nominal = {p.name: p.value for p in cm.params}
    nt = len(rs.save_times)
    acc = Accumulator(len(names), nt, n_bins)
    n_targets = 0 if targets is None else len(targets)
    met_counts = np.zeros(n_targets, dtype=np.int64)
    checks = _target_checks(cm, rs, names, targets) if n_targets else None
    # the cells the target checks read, copied out by the summaries' pass over each chunk
    cells = np.array(checks.cells if checks is not None else [], dtype=np.int64).reshape(-1, 2)
    kept = _keeper(keep, len(names), draws, nt, [p.name for p in uncertain])

    from tqdm.auto import tqdm

    bar = tqdm(
        total=draws,
        unit="draw",
        delay=1.0,
        disable=(None if progress is None else not progress),
        desc=f"jzsim {backend}",
    )
    done = 0
    interrupted = False
    nk = len(kernel_names)
    # The compiled kernel summarises its draws as it runs them (KernelSummaries: the same bits as
    # the trajectories summarised afterwards), once the histogram edges are set from a first chunk
    # of BLOCK draws run the plain way; trajectories are then written only when kept.
    fused = backend == "numba"
    write_out = kept is not None or (checks is not None and checks.reads_rows)  # trajectories needed
    first = min(draws, BLOCK) if fused else min(draws, chunk)
    starts = [0] + list(range(first, draws, chunk))
    growth_of = [rows[d.of] for d in derived.values()]
    cells_flat = cells[:, 0] * nt + cells[:, 1]
    # Two sets of buffers, reused by all full chunks (fresh pages cost about 1 s per 10^6 draws):
    # while the main thread checks and summarises chunk i, a worker thread samples and integrates
    # chunk i + 1 in the other set. Per-draw values do not depend on this; summaries are still
    # folded in chunk order.
    bufs: list[dict] = [{}, {}]
    kernel_threads, kernel_chunk = _numpy_kernel_split(chunk, threads) if backend == "numpy" else (1, KERNEL_CHUNK)

    errstate = np.geterr()  # the caller's floating-point error handling, applied in the worker too

    param_row = {p.name: i for i, p in enumerate(cm.params)}
    sampled_rows = [param_row[p.name] for p in uncertain]
    fixed_rows = sorted(set(range(len(cm.params))) - set(sampled_rows))

    def parameters(a: int, b: int, slot: int):
        # parameter-major rows, as the compiled kernel takes them: the sampler writes its rows in
        # place; the nominal rows are filled once per buffer
        Pm = _buffer(bufs[slot], "P", (len(cm.params), chunk), b - a)
        if bufs[slot].get("P_filled") is not Pm:
            for i in fixed_rows:
                Pm[i] = nominal[cm.params[i].name]
            bufs[slot]["P_filled"] = Pm
        sampled = sample_parameters(uncertain, sampler, seed, a, b, draws, out=Pm, rows=sampled_rows)
        return sampled, Pm

    def trajectories(Pm: np.ndarray, slot: int) -> np.ndarray:
        out = _buffer(bufs[slot], "out", (len(names), chunk, nt), Pm.shape[1])
        with np.errstate(**errstate):
            cm.integrate(
                list(Pm),
                rs,
                backend=backend,
                names=kernel_names,
                batch_size=kernel_chunk,
                check=False,
                out=out[:nk],
                threads=kernel_threads,
            )
        for i, d in enumerate(derived.values()):
            growth_rows(out[rows[d.of]], rs.save_every, out=out[nk + i])
            out[nk + i, :, 0] = 0.0  # no growth rate in the first year: reported as NaN below
        return out

    def integrate_chunk(a: int, b: int, slot: int):
        sampled, Pm = parameters(a, b, slot)
        copies = _buffer(bufs[slot], "copies", (len(cells), chunk), b - a)
        if not fused or acc.lo is None:  # (the edges are set before a second chunk is submitted)
            return sampled, trajectories(Pm, slot), copies
        out = _buffer(bufs[slot], "out", (len(names), chunk, nt), b - a) if write_out else None
        summ = bufs[slot].get("summariser")
        if summ is None:
            summ = bufs[slot]["summariser"] = KernelSummaries(
                cm, rs, cm.selection(kernel_names), nk, growth_of, cells_flat, BLOCK, chunk, acc
            )
        with np.errstate(**errstate):
            summ.run(Pm, copies, out)
        return sampled, (summ, Pm, out), copies

    # Summaries that take any value: check the draws themselves only when a mean is not finite or a
    # nonnegative stock's minimum is negative. Otherwise check each chunk before summarising it.
    stats_check = acc.nan_safe
    nonneg = [rows[s.name] for s in cm.stocks if s.nonnegative and s.name in rows]
    pipelined = len(starts) > 1 and _can_overlap(backend)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jzsim-kernel") as pool:
        try:
            nxt = pool.submit(integrate_chunk, 0, first, 0) if pipelined else None
            for c, a in enumerate(starts):
                b = starts[c + 1] if c + 1 < len(starts) else draws
                slot = c % 2 if pipelined else 0
                sampled, res, copies = nxt.result() if pipelined else integrate_chunk(a, b, slot)
                if acc.lo is None:  # bin edges from the first BLOCK draws, before the next chunk starts
                    acc.set_edges(res[:, : min(BLOCK, b - a), :])
                if pipelined and c + 1 < len(starts):
                    nxt = pool.submit(integrate_chunk, b, starts[c + 2] if c + 2 < len(starts) else draws, (c + 1) % 2)
                if isinstance(res, tuple):  # summarised by the kernel
                    summ, Pm, out = res
                    summ.add_to(acc)
                    if acc.suspicious(slice(0, nk), nonneg):  # find the draw: its trajectories, the plain way
                        cm.check_output(trajectories(Pm, slot)[:nk], rs, first_draw=a, names=kernel_names)
                else:
                    out = res
                    if not stats_check:
                        cm.check_output(out[:nk], rs, first_draw=a, names=kernel_names)
                    acc.add_blocks(out, BLOCK, cells, copies)
                    if stats_check and acc.suspicious(slice(0, nk), nonneg):
                        cm.check_output(out[:nk], rs, first_draw=a, names=kernel_names)  # raises, naming the draw
                if checks is not None:
                    met_counts += checks.counts(out, copies)
                if kept is not None:
                    kept.write(a, b, out, sampled)
                done = b
                bar.update(b - a)
        except KeyboardInterrupt:
            interrupted = True
            warnings.warn(
                f"Monte Carlo interrupted: summaries cover the first {done} of {draws} draws",
                RuntimeWarning,
                stacklevel=2,
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a chunk being integrated finishes, unused
            bar.close()
    if done == 0:
        raise KeyboardInterrupt("Monte Carlo interrupted before the first chunk finished")
    elapsed = time.perf_counter() - t0
    ds = _summary_dataset(cm, rs, names, acc, qs, targets, met_counts, done)
    for n in derived:  # growth rates have no value at the first saved time
        ds[n][:, 0] = np.nan
    if kept is not None:
        ds = ds.merge(kept.dataset(cm, rs, names, done))
    ds.attrs.update(
        scenario=scenario,
        model=cm.name,
        seed=int(seed),
        sampler=sampler,
        backend=backend,
        draws_requested=int(draws),
        draws=int(done),
        interrupted=int(interrupted),
        chunk_size=chunk,
        kernel_threads=int(kernel_threads if backend != "numba" else _numba_threads()),
        method=rs.method,
        dt=rs.dt,
        jzsim_version=__version__,
        numpy_version=np.__version__,
        numba_version=_version("numba") if backend == "numba" else "",
        python_version=platform.python_version(),
        data_hash=data_hash(),
        elapsed_seconds=elapsed,
        draws_per_second=done / elapsed if elapsed else np.nan,
        uncertain_parameters=", ".join(p.name for p in uncertain),
        quantile_method=f"histogram of {n_bins} bins per variable and year; edges from the first "
        f"{min(BLOCK, draws)} draws widened by half their range each side",
    )
    return ds


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
    """``(threads, pieces)`` for the numpy kernel on one chunk: with several threads each takes a
    contiguous part of the chunk in one piece, but only if parts have at least
    :data:`MIN_THREAD_PART` draws (smaller arrays make the threads contend for the GIL); otherwise
    one thread in cache-sized pieces of :data:`KERNEL_CHUNK`."""
    n = _usable_cpus() if threads is None else int(threads)
    if n > 1 and chunk // n >= MIN_THREAD_PART:
        return n, -(-chunk // n)
    return 1, KERNEL_CHUNK


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


def _target_checks(cm, rs, names: list[str], targets):
    """The targets compiled once per run against the layout of a chunk's ``out`` array.

    The layout is that of :func:`jzsim.engine.results.to_dataset` on ``out`` (so statuses, errors
    and counts are those of :func:`jzsim.analysis.targets.target_met` on that Dataset); see
    :class:`jzsim.analysis.targets.TargetChecks`.
    """
    from jzsim.analysis.targets import TargetChecks
    from jzsim.engine.results import to_dataset

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
    return TargetChecks(template, targets, rows, growth, rs.save_every)


def _summary_dataset(cm, rs, names, acc: Accumulator, qs, targets, met_counts, n) -> xr.Dataset:
    tdim = cm.time_dim
    labels = ["mean", "std", "min", "max"] + [f"p{round(q * 100):02d}" for q in qs]
    stats = np.concatenate([acc.mean[None], acc.std[None], acc.min[None], acc.max[None], acc.quantiles(qs)])
    data = {}
    for i, name in enumerate(names):
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
    coords = {"statistic": labels, tdim: (tdim, rs.save_times, {"units": cm.time_units})}
    ds = xr.Dataset(data, coords=coords)
    if targets is not None and len(targets):
        ids = list(targets["id"]) if "id" in targets else list(targets.index)
        status = _status(targets, names)
        modelled = status == "modelled"
        p = met_counts / n
        low, high = wilson_interval(met_counts, n)
        nan = np.where(modelled, 1.0, np.nan)
        ds = ds.assign_coords(target=ids)
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


def _status(targets, names) -> np.ndarray:
    """Per target: "modelled", "not modelled" (no indicator among the outputs) or
    "threshold unknown" (the plan names the target but gives no number)."""
    out = []
    for _, row in targets.iterrows():
        ind = row.get("indicator")
        ok = isinstance(ind, str) and ind != "" and (ind in names or _group_member(ind, names))
        ref = row.get("reference")
        if ok and isinstance(ref, str) and ref:
            ok = ref in names
        no_threshold = not (isinstance(ref, str) and ref) and not np.isfinite(float(row.get("threshold", np.nan)))
        out.append("threshold unknown" if ok and no_threshold else "modelled" if ok else "not modelled")
    return np.array(out, dtype=object)


def _group_member(ind, names) -> bool:
    return any(n.startswith(ind + "_") for n in names)


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:  # pragma: no cover
        return ""


class _Keeper:
    """Per-draw trajectories, in memory or in a memory-mapped ``.npy`` file."""

    def __init__(self, path, n_vars, draws, nt, pnames):
        shape = (n_vars, draws, nt)
        if path is None:
            self.arr = np.empty(shape)
        else:
            self.path = Path(path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.arr = np.lib.format.open_memmap(self.path, mode="w+", dtype=np.float64, shape=shape)
        self.params = {n: np.empty(draws) for n in pnames}

    def write(self, a, b, out, sampled):
        self.arr[:, a:b, :] = out
        for k, v in sampled.items():
            self.params[k][a:b] = v

    def dataset(self, cm, rs, names, n) -> xr.Dataset:
        if isinstance(self.arr, np.memmap):
            self.arr.flush()
        tdim = cm.time_dim
        data = {
            f"{nm}_draws": (
                ("draw", tdim),
                self.arr[i, :n, :],
                {k: v for k, v in cm.attrs_of(nm).items() if k in ("units", "description")},
            )
            for i, nm in enumerate(names)
        }
        for k, v in self.params.items():
            data[k] = (("draw",), v[:n], {"units": cm.variables[k].units, "description": "sampled parameter"})
        return xr.Dataset(data, coords={"draw": np.arange(n), tdim: (tdim, rs.save_times)})


def _keeper(keep, n_vars, draws, nt, pnames):
    if keep is False or keep is None:
        return None
    if keep is True:
        need = n_vars * draws * nt * 8
        if need > 4 * 2**30:
            raise MemoryError(
                f"keeping {draws} trajectories of {n_vars} outputs needs {need / 2**30:.1f} GiB; "
                "pass keep='path/to/file.npy' to stream them to disk"
            )
        return _Keeper(None, n_vars, draws, nt, pnames)
    return _Keeper(keep, n_vars, draws, nt, pnames)
