"""Summary arithmetic on blocks of lanes, shared by the compiled kernel and the compiled summaries.

A block of :data:`SUB` draws (the compiled kernel's lanes) is folded into running summaries of a
set of cells (a cell is one variable at one saved time): the block's mean (its values summed in
draw order), its M2 about that mean, min, max and histogram counts, then the block's (count, mean,
M2) merged into the running ones with Chan et al.'s update. The compiled kernel does this on each
block of draws while the block's saved values are still in cache
(:func:`jzsim.backends.numba_kernel.integrate_numba_summaries`); the compiled
:meth:`jzsim.uncertainty.summaries.Accumulator.add_blocks` does the same operations on values
read back from memory. Both give the same bits.

Needs numba.
"""

from __future__ import annotations

import numba
import numpy as np

SUB = 16  # draws per folded block: the compiled kernel's lanes (jzsim.backends.numba_kernel.LANES)


@numba.njit(cache=True, nogil=True, error_model="numpy")
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


@numba.njit(cache=True, nogil=True, error_model="numpy")
def merge_into(n, bmean, bm2, c, mean, m2):  # pragma: no cover
    """Chan et al.'s update of running ``(c, mean, m2)`` by a block's ``(n, bmean, bm2)``, in place
    (the arithmetic of :meth:`jzsim.uncertainty.summaries.Accumulator._merge`)."""
    tot = c + n
    for k in range(mean.shape[0]):
        delta = bmean[k] - mean[k]
        mean[k] = mean[k] + delta * (n / tot)
        m2[k] = m2[k] + bm2[k] + delta * delta * ((c * n) / tot)


@numba.njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def chunk_stats(x, block, count, lo, inv_width, n_bins, mean, m2, mn, mx, hist,
                cell_start, cell_time, cell_row, copies):  # pragma: no cover
    """:meth:`jzsim.uncertainty.summaries.Accumulator.add_blocks` on ``x`` (variables, draws,
    times) in one call, parallel over variables, everything updated in place.

    Per variable and block of ``block`` draws: the block's (mean, M2) from its sub-blocks of
    :data:`SUB` draws folded in order (:func:`fold_block`, which also takes min, max and histogram
    counts), then merged into the running ``(count, mean, m2)`` (:func:`merge_into`); the copies of
    the cells asked for are made on the sub-block while it is in cache. ``cell_start``
    (``n_vars + 1``) indexes ``cell_time`` and ``cell_row`` (the cells grouped by variable: time,
    row of ``copies``).
    """
    nv, n, nt = x.shape
    top = float(n_bins)
    nbb = n_bins + 2  # bins per variable and time, with underflow and overflow
    for v in numba.prange(nv):
        sub_mean = np.empty(nt)
        sub_q = np.empty(nt)
        bmean = np.empty(nt)
        bm2 = np.empty(nt)
        idx = np.empty(nt, np.uint64)
        low, high = mn[v].copy(), mx[v].copy()
        edge, inv = lo[v].copy(), inv_width[v].copy()
        h = hist[v].reshape(-1)  # flat (time, bin): bin b of time t is h[t * nbb + b]
        mv, m2v = mean[v].copy(), m2[v].copy()
        c = count
        for s in range(0, n, block):
            e = min(n, s + block)
            bmean[:] = 0.0
            bm2[:] = 0.0
            cb = 0
            for d0 in range(s, e, SUB):  # sub-blocks of SUB draws, as the compiled kernel's
                m = min(SUB, e - d0)
                fold_block(x[v, d0: d0 + m, :], m, cb, bmean, bm2, low, high, edge, inv, top, nbb, h,
                           sub_mean, sub_q, idx)
                cb += m
                for d in range(d0, d0 + m):
                    for j in range(cell_start[v], cell_start[v + 1]):  # the cells asked for of v
                        copies[cell_row[j], d] = x[v, d, cell_time[j]]
            merge_into(e - s, bmean, bm2, c, mv, m2v)
            c += e - s
        mean[v] = mv
        m2[v] = m2v
        mn[v] = low
        mx[v] = high
