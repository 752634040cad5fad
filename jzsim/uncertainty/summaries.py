"""Summaries accumulated chunk by chunk, so memory stays bounded however many draws.

* mean and standard deviation: per block of :data:`~jzsim.uncertainty.sampling.BLOCK` draws
  (count, mean, M2), merged in block order with Chan et al.'s parallel update, so the result does
  not depend on how blocks were grouped into chunks. With numba, a block's (count, mean, M2) is
  itself merged, in draw order, from sub-blocks of :data:`~jzsim.backends.lanestats.SUB` draws
  (the compiled kernel's lanes; :func:`jzsim.backends.lanestats.fold_block`), which is what lets
  the compiled kernel summarise its draws as it runs them and give the same bits; without numba,
  numpy computes each block's mean and M2 in two passes (the same statistics, other rounding);
* quantiles: integer histograms (``n_bins`` bins per variable and year between edges set from the
  first :data:`~jzsim.uncertainty.sampling.BLOCK` draws, widened by half their range on each side,
  plus an underflow and an overflow bin) and the exact minimum and maximum. Integer counts add
  exactly, so quantiles are independent of chunking too; their resolution is one bin width
  (reported in ``attrs``), within the exact minimum and maximum. A value ``x`` goes to bin
  ``floor((x - lo) * inv_width)`` (``inv_width = 1 / width``), clamped to the underflow and overflow
  bins;
* target counts: the number of draws meeting each target (integers).
"""

from __future__ import annotations

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class Accumulator:
    """Running summaries of ``n_vars`` variables over ``n_times`` times.

    Parameters
    ----------
    n_vars, n_times : int
    n_bins : int, default 1000
    """

    def __init__(self, n_vars: int, n_times: int, n_bins: int = 1000):
        self.shape = (n_vars, n_times)
        self.n_bins = n_bins
        self.count = 0
        self.mean = np.zeros(self.shape)
        self.m2 = np.zeros(self.shape)
        self.min = np.full(self.shape, np.inf)
        self.max = np.full(self.shape, -np.inf)
        self.lo: np.ndarray | None = None
        self.width: np.ndarray | None = None
        self.inv_width: np.ndarray | None = None
        self.hist = np.zeros((n_vars, n_times, n_bins + 2), dtype=np.int64)
        self._hist_parts: np.ndarray | None = None  # the compiled path's per-thread counts, reused

    def set_edges(self, pilot: np.ndarray) -> None:
        """Bin edges from a pilot sample ``(n_vars, n_draws, n_times)`` (the first block of draws)."""
        lo, hi = pilot.min(axis=1), pilot.max(axis=1)
        span = hi - lo
        pad = np.where(span > 0, 0.5 * span, np.maximum(np.abs(lo) * 1e-6, 1e-12))
        self.lo = lo - pad
        self.width = (hi + pad - self.lo) / self.n_bins
        self.inv_width = 1.0 / self.width

    def add_block(self, x: np.ndarray) -> None:
        """Add one block of draws, ``x`` of shape ``(n_vars, n_draws, n_times)``."""
        self.add_blocks(x, max(x.shape[1], 1))

    def add_blocks(
        self, x: np.ndarray, block: int, cells: np.ndarray | None = None, copies: np.ndarray | None = None
    ) -> None:
        """Add consecutive blocks of ``block`` draws (the last may be shorter), ``x`` of shape
        ``(n_vars, n_draws, n_times)``: each block's (count, mean, M2) is merged in order with
        :meth:`_merge`'s arithmetic, so the result does not depend on how blocks are grouped into
        calls.

        With numba, one compiled call summarises every block, parallel over blocks, each from
        sub-blocks of :data:`~jzsim.backends.lanestats.SUB` draws
        (:func:`jzsim.backends.lanestats.chunk_stats`: the arithmetic of the compiled kernel's own
        summaries, same bits), folded in with :meth:`add_summaries`; without it, numpy does one
        block at a time in two passes. Both bin identically (same floating-point expression); the block
        sums differ only in rounding order.

        ``cells`` (int, shape ``(k, 2)``: variable, time) and ``copies`` (float64, ``(k, n_draws)``)
        ask for ``copies[j] = x[cells[j, 0], :, cells[j, 1]]`` in the same pass over ``x``: a caller
        that needs a few per-draw columns (the target checks) then does not read ``x`` again, one
        cache line per draw and column.
        """
        n = x.shape[1]
        if n == 0:
            return
        if block < 1:
            raise ValueError(f"block is {block!r}; allowed: an integer >= 1")
        if (cells is None) != (copies is None):
            raise ValueError("cells and copies go together: pass both or neither")
        cells = np.zeros((0, 2), dtype=np.int64) if cells is None else np.asarray(cells, dtype=np.int64)
        copies = np.empty((0, n)) if copies is None else copies
        if cells.ndim != 2 or cells.shape[1] != 2 or copies.shape != (len(cells), n):
            raise ValueError(
                f"cells of shape {cells.shape} and copies of shape {copies.shape}; allowed: "
                f"(k, 2) and (k, {n}) for {n} draws"
            )
        if len(cells) and not (
            (0 <= cells[:, 0]).all()
            and (cells[:, 0] < x.shape[0]).all()
            and (0 <= cells[:, 1]).all()
            and (cells[:, 1] < x.shape[2]).all()
        ):
            raise ValueError(f"cells {cells.tolist()}; allowed: (variable, time) within {x.shape[0]} x {x.shape[2]}")
        fast = _compiled_chunk_stats()
        if fast is not None:
            nc = self.shape[0] * self.shape[1]
            nb = -(-n // block)
            parts = self._parts(nc)
            stats = [np.empty((nb, nc)) for _ in range(4)]
            fast(
                x,
                int(block),
                self.lo.reshape(-1),
                self.inv_width.reshape(-1),
                self.n_bins,
                *stats,
                parts,
                cells[:, 0] * self.shape[1] + cells[:, 1],
                copies,
            )
            from jzsim.backends.lanestats import block_counts

            self.add_summaries(block_counts(n, block), *stats, parts)
            return
        for j, (v, t) in enumerate(cells):
            copies[j] = x[v, :, t]
        for s in range(0, n, block):
            xb = x[:, s : s + block, :]
            bmean = xb.mean(axis=1)
            bm2 = ((xb - bmean[:, None, :]) ** 2).sum(axis=1)
            self._merge(xb.shape[1], bmean, bm2)
            np.minimum(self.min, xb.min(axis=1), out=self.min)
            np.maximum(self.max, xb.max(axis=1), out=self.max)
            self._histogram(xb)

    def _parts(self, nc: int) -> np.ndarray:
        """Zeroed histogram counts, one row per numba thread (the compiled path's parallel parts)."""
        import numba

        shape = (numba.get_num_threads(), nc * (self.n_bins + 2))
        if self._hist_parts is None or self._hist_parts.shape != shape:
            self._hist_parts = np.zeros(shape, dtype=np.int32)
        else:
            self._hist_parts.fill(0)
        return self._hist_parts

    def add_summaries(
        self,
        counts: np.ndarray,
        b_mean: np.ndarray,
        b_m2: np.ndarray,
        b_min: np.ndarray,
        b_max: np.ndarray,
        hist: np.ndarray,
    ) -> None:
        """Add consecutive blocks summarised elsewhere (the compiled kernel's
        ``kernel_summaries``): block ``i`` has ``counts[i]`` draws and per cell (variable-major,
        ``n_vars * n_times``) ``b_mean[i]``, ``b_m2[i]``, ``b_min[i]``, ``b_max[i]``; ``hist`` (any
        number of rows of ``n_vars * n_times * (n_bins + 2)`` counts) is added bin by bin. Blocks
        are merged in order with the arithmetic of :meth:`add_blocks` (needs numba).
        """
        from jzsim.backends.lanestats import merge_into

        cells = self.shape[0] * self.shape[1]
        nb = len(counts)
        for name, a in (("b_mean", b_mean), ("b_m2", b_m2), ("b_min", b_min), ("b_max", b_max)):
            if a.shape[0] < nb or a.shape[1:] != (cells,):
                raise ValueError(f"{name} has shape {a.shape}; allowed: ({nb} or more, {cells})")
        if hist.ndim != 2 or hist.shape[1] != cells * (self.n_bins + 2):
            raise ValueError(f"hist has shape {hist.shape}; allowed: (k, {cells * (self.n_bins + 2)})")
        mean, m2 = self.mean.reshape(-1), self.m2.reshape(-1)
        for i in range(nb):
            n = int(counts[i])
            if n < 1:
                raise ValueError(f"block {i} has {n} draws; allowed: >= 1")
            merge_into(n, b_mean[i], b_m2[i], self.count, mean, m2)
            self.count += n
        np.minimum(self.min, b_min[:nb].min(axis=0).reshape(self.shape), out=self.min)
        np.maximum(self.max, b_max[:nb].max(axis=0).reshape(self.shape), out=self.max)
        self.hist += hist.sum(axis=0, dtype=np.int64).reshape(self.hist.shape)

    def _merge(self, n: int, bmean: np.ndarray, bm2: np.ndarray) -> None:
        """Chan et al.'s update: fold a block's (n, mean, M2) into the running totals."""
        tot = self.count + n
        delta = bmean - self.mean
        self.mean = self.mean + delta * (n / tot)
        self.m2 = self.m2 + bm2 + delta**2 * (self.count * n / tot)
        self.count = tot

    def _histogram(self, x: np.ndarray) -> None:
        """numpy path of the histogram (the compiled path bins in the same loop as the moments)."""
        nv, n, nt = x.shape
        nb = self.n_bins + 2
        idx = np.floor((x - self.lo[:, None, :]) * self.inv_width[:, None, :])
        idx = np.clip(idx, -1, self.n_bins).astype(np.int64) + 1
        offset = (np.arange(nv)[:, None, None] * nt + np.arange(nt)[None, None, :]) * nb
        counts = np.bincount((idx + offset).ravel(), minlength=nv * nt * nb)
        self.hist += counts.reshape(nv, nt, nb)

    @property
    def nan_safe(self) -> bool:
        """Whether :meth:`add_blocks` takes NaN and infinite values (the compiled path: they go to
        the overflow bin and make the mean non-finite, see :meth:`suspicious`); numpy's histogram
        path needs finite input."""
        return _compiled_chunk_stats() is not None

    def suspicious(self, rows, nonnegative_rows) -> bool:
        """Whether the summaries so far show a non-finite value in ``rows`` (its mean is not
        finite; also when a sum of finite values overflows) or a negative value in
        ``nonnegative_rows``: then look at the draws themselves
        (:meth:`jzsim.engine.compiled.CompiledModel.check_output`)."""
        return bool(not np.isfinite(self.mean[rows]).all() or (self.min[nonnegative_rows] < 0).any())

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / max(self.count - 1, 1))

    def quantiles(self, qs=QUANTILES) -> np.ndarray:
        """Quantiles ``(len(qs), n_vars, n_times)``, linear within a bin, clamped to the exact
        minimum and maximum."""
        cum = np.cumsum(self.hist, axis=-1)
        out = np.empty((len(qs),) + self.shape)
        # left edge of each bin (underflow starts at the exact min, overflow ends at the exact max)
        k = np.arange(self.n_bins + 2)
        left = self.lo[..., None] + (k - 1)[None, None, :] * self.width[..., None]
        right = left + self.width[..., None]
        left[..., 0] = self.min
        right[..., 0] = np.minimum(self.lo, self.max)
        left[..., -1] = np.maximum(self.lo + self.n_bins * self.width, self.min)
        right[..., -1] = self.max
        for i, q in enumerate(qs):
            target = q * self.count
            j = np.argmax(cum >= target, axis=-1)
            c_before = np.take_along_axis(cum, j[..., None] - (j[..., None] > 0), -1)[..., 0]
            c_before = np.where(j > 0, c_before, 0)
            c_in = np.take_along_axis(self.hist, j[..., None], -1)[..., 0]
            frac = np.where(c_in > 0, (target - c_before) / np.maximum(c_in, 1), 0.5)
            lft = np.take_along_axis(left, j[..., None], -1)[..., 0]
            rgt = np.take_along_axis(right, j[..., None], -1)[..., 0]
            out[i] = np.clip(lft + frac * (rgt - lft), self.min, self.max)
        return out


def wilson_interval(k: np.ndarray, n: int, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (95% by default) for ``k`` successes in ``n`` trials."""
    k = np.asarray(k, dtype=float)
    p = k / n
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return centre - half, centre + half


_COMPILED_CHUNK = None


def _compiled_chunk_stats():
    """:func:`jzsim.backends.lanestats.chunk_stats`, which summarises :meth:`Accumulator.add_blocks`'s
    blocks in one call, parallel over blocks (None without numba)."""
    global _COMPILED_CHUNK
    if _COMPILED_CHUNK is None:
        try:
            from jzsim.backends.lanestats import chunk_stats
        except ImportError:
            _COMPILED_CHUNK = False
            return None
        _COMPILED_CHUNK = chunk_stats
    return _COMPILED_CHUNK or None
