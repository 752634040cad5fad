"""Summary arithmetic on blocks of lanes, shared by the compiled kernel and the compiled summaries.

A block of :data:`SUB` draws (the compiled kernel's lanes) is folded into running summaries of a
set of cells (a cell is one variable at one saved time): the block's mean (its values summed in
draw order), its M2 about that mean, min, max and histogram counts, then the block's (count, mean,
M2) merged into the running ones with Chan et al.'s update. The compiled kernel does this on each
block of draws while the block's saved values are still in cache
(:class:`jzsim.backends.numba_runtime.KernelSummaries`); the compiled
:meth:`jzsim.uncertainty.summaries.Accumulator.add_blocks` does the same operations on values
read back from memory. Both give the same bits.

Needs numba.
"""

from __future__ import annotations

import numba
import numpy as np

from jzsim.backends.numba_cache import cached
from jzsim.engine.constants import SUB_BLOCK as SUB  # draws per folded sub-block: the kernel's lanes


@cached
@numba.njit(nogil=True, error_model="numpy")
def fold_block(blk, m, c, mean, m2, mn, mx, edge, inv, top, nbb, h, bmean, bq, idx):  # pragma: no cover
    """Fold draws ``blk[:m]`` (``blk``: draws x cells) into running summaries of ``c`` draws.

    ``mean``, ``m2``, ``mn``, ``mx`` (per cell) are updated in place; ``h`` is the flat histogram
    of the cells: bin ``b`` (0 underflow, ``nbb - 1`` overflow) of cell ``k`` at ``h[k * nbb + b]``,
    a value going to ``floor((value - edge) * inv) + 1`` clamped to ``[0, top + 1]`` (NaN to the
    overflow bin). ``bmean``, ``bq`` (float) and ``idx`` (uint64) are scratch arrays, one element
    per cell.
    """
    nc = blk.shape[1]
    for k in range(nc):
        bmean[k] = 0.0
        bq[k] = 0.0
    for d in range(m):  # the block's sums, in draw order (vectorised over cells)
        for k in range(nc):
            bmean[k] += blk[d, k]
    for k in range(nc):
        bmean[k] /= m
    for d in range(m):
        for k in range(nc):
            val = blk[d, k]
            dev = val - bmean[k]
            bq[k] += dev * dev
            mn[k] = val if val < mn[k] else mn[k]
            mx[k] = val if val > mx[k] else mx[k]
            b = np.floor((val - edge[k]) * inv[k])
            b = -1.0 if b < -1.0 else b
            b = b if b <= top else top  # NaN too: never an index out of range
            idx[k] = np.uint64(np.int64(b) + 1 + k * nbb)
        for k in range(nc):  # scattered increments apart, so the loop above vectorises
            h[idx[k]] += 1  # unsigned indices: no negative-index wraparound code
    merge_into(m, bmean, bq, c, mean, m2)


@cached
@numba.njit(nogil=True, error_model="numpy")
def merge_into(n, bmean, bm2, c, mean, m2):  # pragma: no cover
    """Chan et al.'s update of running ``(c, mean, m2)`` by a block's ``(n, bmean, bm2)``, in place
    (the arithmetic of :func:`jzsim.uncertainty.summaries.merge_into`)."""
    tot = c + n
    for k in range(mean.shape[0]):
        delta = bmean[k] - mean[k]
        mean[k] = mean[k] + delta * (n / tot)
        m2[k] = m2[k] + bm2[k] + delta * delta * ((c * n) / tot)


@cached
@numba.njit(nogil=True, error_model="numpy")
def fold_tile(
    tile, m, c, d0, mean, m2, mn, mx, edge, inv, top, nbb, h, bmean, bq, idx, cells, copies
):  # pragma: no cover
    """:func:`fold_block` on draws ``d0 .. d0 + m - 1`` held in ``tile`` (draws x cells), then
    ``copies[j, d0 + d] = tile[d, cells[j]]``: the cells asked for, copied while in cache."""
    fold_block(tile, m, c, mean, m2, mn, mx, edge, inv, top, nbb, h, bmean, bq, idx)
    for j in range(cells.shape[0]):
        for d in range(m):
            copies[j, d0 + d] = tile[d, cells[j]]


def block_counts(n: int, block: int) -> np.ndarray:
    """Draws in each of the ``ceil(n / block)`` consecutive blocks of ``n`` draws."""
    return np.minimum(block, n - block * np.arange(-(-n // block)))


@cached
@numba.njit(nogil=True)
def block_scratch(nc):  # pragma: no cover
    """A block's running summaries and :func:`fold_block`'s scratch arrays for ``nc`` cells:
    ``(mean, m2, mn, mx, bmean, bq, idx)``."""
    return (np.empty(nc), np.empty(nc), np.empty(nc), np.empty(nc), np.empty(nc), np.empty(nc), np.empty(nc, np.uint64))


@cached
@numba.njit(nogil=True)
def start_block(mean, m2, mn, mx):  # pragma: no cover
    """Reset a block's running summaries: no draws yet."""
    mean[:] = 0.0
    m2[:] = 0.0
    mn[:] = np.inf
    mx[:] = -np.inf


@cached
@numba.njit(parallel=True, nogil=True, error_model="numpy")
def chunk_stats(x, block, edge, inv, n_bins, b_mean, b_m2, b_min, b_max, hist, cells, copies):  # pragma: no cover
    """Summaries of ``x`` (variables, draws, times) per block of ``block`` draws, parallel over
    blocks: the arithmetic of the compiled kernel's own summaries on values read back from memory.

    Each sub-block of :data:`SUB` draws is copied into a draws x cells tile (cell ``v * n_times +
    t``: the layout the kernel folds) and folded into its block's summaries (:func:`fold_block`);
    block ``b``'s mean, M2, min and max per cell go to ``b_*[b]``. ``hist.shape[0]`` parallel
    parts each run a contiguous range of blocks and add their histogram counts into their own row
    of ``hist``. ``copies[j, d]`` receives draw ``d``'s value in flat cell ``cells[j]``.
    """
    nv, n, nt = x.shape
    nc = nv * nt
    top = float(n_bins)
    nbb = n_bins + 2
    n_b = (n + block - 1) // block
    parts = hist.shape[0]
    for part in numba.prange(parts):
        h = hist[part]
        tile = np.zeros((SUB, nc))
        mean, m2, mn, mx, bmean, bq, idx = block_scratch(nc)
        for bb in range(part * n_b // parts, (part + 1) * n_b // parts):
            start_block(mean, m2, mn, mx)
            a = bb * block
            e = min(n, a + block)
            c = 0
            for d0 in range(a, e, SUB):
                m = min(SUB, e - d0)
                for d in range(m):
                    for v in range(nv):
                        for t in range(nt):
                            tile[d, v * nt + t] = x[v, d0 + d, t]
                fold_tile(tile, m, c, d0, mean, m2, mn, mx, edge, inv, top, nbb, h, bmean, bq, idx, cells, copies)
                c += m
            b_mean[bb] = mean
            b_m2[bb] = m2
            b_min[bb] = mn
            b_max[bb] = mx
