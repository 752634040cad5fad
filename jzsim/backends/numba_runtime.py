"""The compiled kernel at run time: generated modules written to a cache directory, imported once
per process, and run.

The source of a kernel (:func:`jzsim.backends.numba_codegen.generate_source`) is written to
:func:`jzsim.backends.numba_cache.cache_dir` under a name keyed by its hash and imported from
there, so numba's on-disk cache (``cache=True``) spares a second process the compile. When the
machine code is not cached yet, a message says so once (logger ``jzsim.backends.numba``, level
WARNING: silence it with ``logging.getLogger("jzsim").setLevel(logging.ERROR)``).

:class:`NumbaBackend` is what :mod:`jzsim.backends` registers with the engine as ``"numba"``;
:class:`KernelSummaries` runs the kernel that summarises its draws as it goes, for
:func:`jzsim.uncertainty.montecarlo.monte_carlo`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys

import numpy as np

from jzsim.backends.numba_cache import cache_dir
from jzsim.backends.numba_codegen import generate_source
from jzsim.engine.constants import LANES

__all__ = ["NumbaBackend", "KernelSummaries", "integrate_numba", "load_kernel", "load_module"]

log = logging.getLogger("jzsim.backends.numba")


class NumbaBackend:
    """``backend="numba"``: the fused kernel, parallel over blocks of draws on numba's threads
    (``batch_size`` and ``threads`` do not apply)."""

    selects_outputs = True

    def integrate(self, cm, P, rs, out, select, *, batch_size, threads):
        integrate_numba(cm, P, rs, out, select)


def load_kernel(cm, outputs: tuple[int, ...] | None = None):
    """The compiled kernel of ``cm`` saving ``outputs`` (indices into ``cm.output_names``, in
    row order; default all): generated, cached on disk, imported once per process."""
    return load_module(cm, outputs).kernel


def load_module(cm, outputs: tuple[int, ...] | None = None):
    """The generated module of ``cm`` saving ``outputs`` (see :func:`load_kernel`): its ``kernel``
    and ``kernel_summaries``."""
    outputs = tuple(range(len(cm.output_names))) if outputs is None else tuple(int(i) for i in outputs)
    loaded = cm.backend_cache("numba")
    if outputs in loaded:
        return loaded[outputs]
    try:
        import numba  # noqa: F401
    except ImportError:
        raise ImportError("backend='numba' needs numba: pip install 'jzsim[fast]'") from None
    src = generate_source(cm, outputs)
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    modname = f"jzsim_kernel_{digest}"
    path = cache_dir() / f"{modname}.py"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(src)
        os.replace(tmp, path)  # atomic: concurrent processes never read a half-written file
    mod = sys.modules.get(modname)
    if mod is None:
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        spec.loader.exec_module(mod)
        if not _machine_code_cached(mod):
            log.warning(
                "jzsim: compiling the kernel of model %r with numba (about 30-60 s for the plan model; "
                "once: cached in %s)",
                cm.name,
                path.parent,
            )
    loaded[outputs] = mod
    return mod


def _machine_code_cached(mod) -> bool:
    """Whether numba's on-disk cache has an index for the module's main loop (else the first call
    compiles it). True when that cannot be told."""
    try:
        return os.path.exists(mod._blocks._cache._cache_file._index_path)
    except AttributeError:  # another numba version's internals: say nothing rather than guess
        return True


def _parameter_matrix(P: list[np.ndarray], n: int) -> np.ndarray:
    """``P`` as one parameter-major array (each parameter's draws contiguous); without a copy when
    ``P`` already is the rows of such an array, in order."""
    if not P:
        return np.zeros((0, n))
    base = P[0].base
    if (
        isinstance(base, np.ndarray)
        and base.ndim == 2
        and base.shape == (len(P), n)
        and base.dtype == np.float64
        and base.flags.c_contiguous
        and all(p.base is base and p.ctypes.data == base[i].ctypes.data for i, p in enumerate(P))
    ):
        return base
    return np.stack(P)


def _saved(cm, select: np.ndarray | None, n_rows: int) -> tuple[int, ...]:
    """Indices into ``cm.output_names`` of rows ``0 .. n_rows - 1``, from ``select`` (each output
    name index's row, -1: not saved; default all)."""
    if select is None:
        select = np.arange(len(cm.output_names), dtype=np.int64)
    select = np.asarray(select, dtype=np.int64)
    rows = {int(r): i for i, r in enumerate(select) if r >= 0}
    if sorted(rows) != list(range(n_rows)):
        raise ValueError(f"select must map outputs onto the rows 0..{n_rows - 1} of out, once each")
    return tuple(rows[r] for r in range(n_rows))


def integrate_numba(cm, P: list[np.ndarray], rs, out: np.ndarray, select: np.ndarray | None = None) -> None:
    """Run all draws of ``P`` through the fused kernel into ``out`` (outputs, draws, times).

    ``select`` maps each output name index to its row in ``out`` (-1: not saved); default all.
    """
    kernel = load_kernel(cm, _saved(cm, select, out.shape[0]))
    n = out.shape[1]
    Pm = _parameter_matrix(P, n)
    kernel(Pm, float(rs.start), float(rs.dt), int(rs.n_steps), int(rs.save_stride), rs.method == "rk4", out, LANES)


class KernelSummaries:
    """Runs of the fused kernel that summarise their draws as they go (``kernel_summaries``), into
    buffers reused from call to call.

    Per block of ``block`` draws, the kernel folds the saved values of each sub-block of
    :data:`LANES` draws, while they are still in cache, into the block's mean, M2, min, max and
    histogram counts (:func:`jzsim.backends.lanestats.fold_block`), the same operations as
    :meth:`jzsim.uncertainty.summaries.Accumulator.add_blocks` on the trajectories: the same bits.
    Trajectories are written out only when asked for.

    Parameters
    ----------
    cm : CompiledModel
    rs : RunSettings
    select : numpy.ndarray
        Row of each output in the summaries (-1: not saved), see ``CompiledModel.selection``.
    n_outputs : int
        Outputs the kernel saves (rows ``0 .. n_outputs - 1``).
    growth : sequence of int
        For each further row, the row it is the growth rate of (as
        :func:`jzsim.engine.results.growth_rows`, 0 at the first saved time).
    cells : numpy.ndarray
        Flat cells (row * n_times + time) to copy out per draw.
    block, max_draws : int
        Draws per summarised block, and the most draws of one call.
    acc : Accumulator
        Gives the bins (its edges must be set) and receives the summaries (:meth:`add_to`).
    """

    def __init__(self, cm, rs, select, n_outputs: int, growth, cells, block: int, max_draws: int, acc):
        import numba

        if acc.lo is None:
            raise ValueError("the accumulator's bin edges must be set first (Accumulator.set_edges)")
        if max_draws >= 2**31:
            raise ValueError(f"max_draws is {max_draws}; allowed: < 2**31 (int32 counts)")
        self.module = load_module(cm, _saved(cm, select, n_outputs))
        self.rs = rs
        self.growth = np.asarray(list(growth), dtype=np.int64)
        self.cells = np.asarray(cells, dtype=np.int64).reshape(-1)
        self.block = int(block)
        self.nt = len(rs.save_times)
        self.n_rows = n_outputs + len(self.growth)
        if acc.shape != (self.n_rows, self.nt):
            raise ValueError(f"accumulator of shape {acc.shape}; this run summarises {(self.n_rows, self.nt)}")
        nc = self.n_rows * self.nt
        nb = -(-int(max_draws) // self.block)
        self.edge = np.ascontiguousarray(acc.lo.reshape(-1))
        self.inv = np.ascontiguousarray(acc.inv_width.reshape(-1))
        self.n_bins = acc.n_bins
        self.b_mean, self.b_m2, self.b_min, self.b_max = (np.empty((nb, nc)) for _ in range(4))
        # one row of counts per parallel part (each part owns its row: no two threads add to one)
        self.hist = np.zeros((numba.get_num_threads(), nc * (acc.n_bins + 2)), dtype=np.int32)
        self.n = 0  # draws of the last run

    def run(self, Pm: np.ndarray, copies: np.ndarray, out: np.ndarray | None = None) -> None:
        """Run the draws of the parameter matrix ``Pm`` (parameters x draws), their cells into
        ``copies`` (cells x draws) and, if given, every row of their trajectories into ``out``
        (rows, draws, times)."""
        n = Pm.shape[1]
        if copies.shape != (len(self.cells), n):
            raise ValueError(f"copies has shape {copies.shape}; allowed: {(len(self.cells), n)}")
        if n > self.b_mean.shape[0] * self.block:
            raise ValueError(f"{n} draws; allowed: at most {self.b_mean.shape[0] * self.block} per call")
        write = out is not None
        if write and out.shape != (self.n_rows, n, self.nt):
            raise ValueError(f"out has shape {out.shape}; allowed: {(self.n_rows, n, self.nt)}")
        self.hist.fill(0)
        rs = self.rs
        self.module.kernel_summaries(
            Pm,
            float(rs.start),
            float(rs.dt),
            int(rs.n_steps),
            int(rs.save_stride),
            rs.method == "rk4",
            LANES,
            self.nt,
            self.block,
            self.growth,
            1.0 / rs.save_every,
            self.edge,
            self.inv,
            self.n_bins,
            self.b_mean,
            self.b_m2,
            self.b_min,
            self.b_max,
            self.hist,
            self.cells,
            copies,
            out if write else np.empty((0, 0, 0)),
            write,
        )
        self.n = n

    def add_to(self, acc) -> None:
        """Fold the summaries of the last :meth:`run` into ``acc``."""
        if self.n == 0:
            raise ValueError("nothing to fold: call run first")
        from jzsim.backends.lanestats import block_counts  # needs numba

        acc.add_summaries(block_counts(self.n, self.block), self.b_mean, self.b_m2, self.b_min, self.b_max, self.hist)
