"""Summaries accumulated chunk by chunk, so memory stays bounded however many draws.

* mean and standard deviation: per block of :data:`~jzsim.uncertainty.sampling.BLOCK` draws
  (count, mean, M2), merged in block order with Chan et al.'s parallel update, so the result does
  not depend on how blocks were grouped into chunks. A block's (count, mean, M2) is itself merged,
  in draw order, from sub-blocks of :data:`~jzsim.engine.constants.SUB_BLOCK` draws (the compiled
  kernel's lanes): a sub-block's values are summed in draw order from 0.0, divided by their
  number, and their squared deviations from that mean summed the same way. numpy
  (:func:`block_statistics`, the default) and numba (``compiled=True``:
  :func:`jzsim.backends.lanestats.chunk_stats`, and the compiled kernel summarising its own draws)
  perform these same operations in the same order, so they give the same bits: a run's summaries
  do not depend on whether numba is installed;
* quantiles: integer histograms (``n_bins`` bins per variable and year between edges set from the
  first :data:`~jzsim.uncertainty.sampling.BLOCK` draws, widened by half their range on each side,
  plus an underflow and an overflow bin) and the exact minimum and maximum. Integer counts add
  exactly, so quantiles are independent of chunking too; their resolution is one bin width
  (reported in ``attrs``), within the exact minimum and maximum. A value ``x`` goes to bin
  ``floor((x - lo) * inv_width)`` (``inv_width = 1 / width``), clamped to the underflow and overflow
  bins (NaN to the overflow bin; NaN is left out of the minimum and maximum and makes the mean NaN);
* target counts: the number of draws meeting each target (integers).
"""

from __future__ import annotations

import numpy as np

from jzsim.engine.constants import SUB_BLOCK

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class Accumulator:
    """Running summaries of ``n_vars`` variables over ``n_times`` times.

    Parameters
    ----------
    n_vars, n_times : int
    n_bins : int, default 1000
    compiled : bool, default False
        Summarise with numba's compiled loops (parallel over blocks) instead of numpy: the same
        bits, in less time; the numba back end's choice. numpy's path imports no numba.
    """

    def __init__(self, n_vars: int, n_times: int, n_bins: int = 1000, *, compiled: bool = False):
        self.shape = (n_vars, n_times)
        self.compiled = bool(compiled)
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
        :func:`merge_into`, so the result does not depend on how blocks are grouped into calls.

        Each block is summarised from sub-blocks of :data:`~jzsim.engine.constants.SUB_BLOCK`
        draws (module docstring), by numpy (:func:`block_statistics`) or, with ``compiled``, by one
        numba call parallel over blocks (:func:`jzsim.backends.lanestats.chunk_stats`, the
        arithmetic of the compiled kernel's own summaries); the same bits either way. The blocks
        are then folded in with :meth:`add_summaries`.

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
        nc = self.shape[0] * self.shape[1]
        nb = -(-n // block)
        stats = [np.empty((nb, nc)) for _ in range(4)]
        flat = cells[:, 0] * self.shape[1] + cells[:, 1]
        if self.compiled:
            from jzsim.backends.lanestats import chunk_stats

            parts = self._parts(nc)
            chunk_stats(
                x, int(block), self.lo.reshape(-1), self.inv_width.reshape(-1), self.n_bins, *stats, parts, flat, copies
            )
        else:
            parts = block_statistics(x, int(block), self.lo, self.inv_width, self.n_bins, *stats)
            for j, (v, t) in enumerate(cells):
                copies[j] = x[v, :, t]
        self.add_summaries(_block_counts(n, block), *stats, parts)

    def _parts(self, nc: int) -> np.ndarray:
        """Zeroed histogram counts, one row per numba thread (the compiled path's parallel parts;
        needs numba)."""
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
        are merged in order with the arithmetic of :meth:`add_blocks`.
        """
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

    @property
    def nan_safe(self) -> bool:
        """:meth:`add_blocks` takes NaN and infinite values (both paths): they go to the overflow or
        underflow bin and make the mean non-finite, see :meth:`suspicious`."""
        return True

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


def merge_into(n: int, bmean: np.ndarray, bm2: np.ndarray, c: int, mean: np.ndarray, m2: np.ndarray) -> None:
    """Chan et al.'s update of running ``(c, mean, m2)`` by a block's ``(n, bmean, bm2)``, in place:
    ``mean + delta * (n / tot)`` and ``m2 + bm2 + delta * delta * ((c * n) / tot)``, ``delta = bmean -
    mean``, ``tot = c + n`` (the arithmetic of :func:`jzsim.backends.lanestats.merge_into`)."""
    tot = c + n
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite values: see Accumulator.suspicious
        delta = bmean - mean
        step = delta * (n / tot)
        np.add(mean, step, out=mean)
        np.multiply(delta, delta, out=delta)
        delta *= (c * n) / tot
        np.add(m2, bm2, out=m2)
        np.add(m2, delta, out=m2)


def block_statistics(
    x: np.ndarray,
    block: int,
    lo: np.ndarray,
    inv_width: np.ndarray,
    n_bins: int,
    b_mean: np.ndarray,
    b_m2: np.ndarray,
    b_min: np.ndarray,
    b_max: np.ndarray,
) -> np.ndarray:
    """Per block of ``block`` draws of ``x`` (variables, draws, times): mean, M2, min and max per cell
    (variable-major, ``v * n_times + t``) into row ``b`` of ``b_*``, in numpy; returns the
    histogram counts of all draws, shape ``(1, cells * (n_bins + 2))``.

    The operations of :func:`jzsim.backends.lanestats.chunk_stats`, in the same order (module
    docstring): the same bits. Each block's sub-blocks of :data:`SUB_BLOCK` draws are summed along
    the draw axis from 0.0 (numpy adds a non-contiguous axis element by element, in order), then
    merged in draw order with :func:`merge_into`, all blocks of ``x`` at once.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite values: see Accumulator.suspicious
        return _block_statistics(x, block, lo, inv_width, n_bins, b_mean, b_m2, b_min, b_max)


#: Draws per tile of :func:`block_statistics`: a multiple of SUB_BLOCK; a tile of the plan's cells
#: (about 460 variables x years) fits in L2.
TILE = 256


def _block_statistics(x, block, lo, inv_width, n_bins, b_mean, b_m2, b_min, b_max) -> np.ndarray:
    nv, n, nt = x.shape
    nc = nv * nt
    nb = -(-n // block)
    nbb = n_bins + 2
    hist = np.zeros(nc * nbb, dtype=np.int64)
    offset = np.arange(nc, dtype=np.intp) * nbb + 1
    lo, inv, top = lo.reshape(-1), inv_width.reshape(-1), float(n_bins)
    full = n // block  # whole blocks, merged together below; a last shorter block apart
    groups = [(0, full, block)] if full else []
    if full < nb:
        groups.append((full, nb, n - full * block))
    tile = np.empty((min(TILE, n), nc))  # draws x cells: the compiled kernel's layout, in cache
    dev = np.empty_like(tile)
    low, high = np.empty(nc), np.empty(nc)
    bins = np.empty((min(block, n), nc), dtype=np.intp)  # a block's bin indices, counted at once
    for b0, b1, size in groups:
        k = b1 - b0
        whole = size // SUB_BLOCK * SUB_BLOCK
        subs = [SUB_BLOCK] * (whole // SUB_BLOCK) + ([size - whole] if whole < size else [])
        sub_mean = np.empty((len(subs), k, nc))
        sub_q = np.empty((len(subs), k, nc))
        for i in range(k):
            mn, mx = b_min[b0 + i], b_max[b0 + i]
            mn.fill(np.inf)
            mx.fill(-np.inf)
            for a in range(0, size, TILE):
                m_t = min(TILE, size - a)
                t, d, d0 = tile[:m_t], dev[:m_t], (b0 + i) * block + a
                np.copyto(t.reshape(m_t, nv, nt), x[:, d0 : d0 + m_t, :].transpose(1, 0, 2))
                np.fmin(mn, np.fmin.reduce(t, axis=0, out=low), out=mn)  # NaN left out, as compiled
                np.fmax(mx, np.fmax.reduce(t, axis=0, out=high), out=mx)
                w = m_t // SUB_BLOCK * SUB_BLOCK
                for s0, s1 in ((0, w), (w, m_t)):
                    if s1 == s0:
                        continue
                    m = min(SUB_BLOCK, s1 - s0)
                    xs, ds = t[s0:s1].reshape(-1, m, nc), d[s0:s1].reshape(-1, m, nc)
                    mean = np.add.reduce(xs, axis=1, initial=0.0)  # each sub-block's sum in draw order from 0.0
                    mean /= m
                    np.subtract(xs, mean[:, None, :], out=ds)
                    np.multiply(ds, ds, out=ds)
                    j0 = (a + s0) // SUB_BLOCK
                    sub_mean[j0 : j0 + len(mean), i] = mean
                    sub_q[j0 : j0 + len(mean), i] = np.add.reduce(ds, axis=1, initial=0.0)
                np.subtract(t, lo, out=d)
                d *= inv
                np.floor(d, out=d)
                np.maximum(d, -1.0, out=d)  # NaN stays NaN ...
                np.fmin(d, top, out=d)  # ... and goes to the overflow bin here
                np.add(d, offset, out=bins[a : a + m_t], casting="unsafe")  # exact: small integers
            hist += np.bincount(bins[:size].ravel(), minlength=hist.size)
        mean = np.zeros((k, nc))
        m2 = np.zeros((k, nc))
        c = 0
        for j, m in enumerate(subs):
            merge_into(m, sub_mean[j], sub_q[j], c, mean, m2)
            c += m
        b_mean[b0:b1] = mean
        b_m2[b0:b1] = m2
    return hist[None, :]


def _block_counts(n: int, block: int) -> np.ndarray:
    """Draws in each of the ``ceil(n / block)`` consecutive blocks of ``n`` draws."""
    return np.minimum(block, n - block * np.arange(-(-n // block)))
