"""Summaries accumulated chunk by chunk, so memory stays bounded however many draws.

* mean and standard deviation: per block of :data:`~jzsim.uncertainty.sampling.BLOCK` draws
  (count, mean, M2), merged in block order with Chan et al.'s parallel update, so the result does
  not depend on how blocks were grouped into chunks;
* quantiles: integer histograms (``n_bins`` bins per variable and year between edges set from the
  first :data:`~jzsim.uncertainty.sampling.BLOCK` draws, widened by half their range on each side,
  plus an underflow and an overflow bin) and the exact minimum and maximum. Integer counts add
  exactly, so quantiles are independent of chunking too; their resolution is one bin width
  (reported in ``attrs``), within the exact minimum and maximum;
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
        self.hist = np.zeros((n_vars, n_times, n_bins + 2), dtype=np.int64)

    def set_edges(self, pilot: np.ndarray) -> None:
        """Bin edges from a pilot sample ``(n_vars, n_draws, n_times)`` (the first block of draws)."""
        lo, hi = pilot.min(axis=1), pilot.max(axis=1)
        span = hi - lo
        pad = np.where(span > 0, 0.5 * span, np.maximum(np.abs(lo) * 1e-6, 1e-12))
        self.lo = lo - pad
        self.width = (hi + pad - self.lo) / self.n_bins

    def add_block(self, x: np.ndarray) -> None:
        """Add one block of draws, ``x`` of shape ``(n_vars, n_draws, n_times)``."""
        n = x.shape[1]
        if n == 0:
            return
        fast = _compiled_block_stats()
        if fast is not None:
            bmean, bm2 = np.empty(self.shape), np.empty(self.shape)
            bmin, bmax = np.empty(self.shape), np.empty(self.shape)
            fast(x, self.lo, self.width, self.n_bins, bmean, bm2, bmin, bmax, self.hist)
            self._merge(n, bmean, bm2)
            np.minimum(self.min, bmin, out=self.min)
            np.maximum(self.max, bmax, out=self.max)
            return
        bmean = x.mean(axis=1)
        bm2 = ((x - bmean[:, None, :]) ** 2).sum(axis=1)
        self._merge(n, bmean, bm2)
        np.minimum(self.min, x.min(axis=1), out=self.min)
        np.maximum(self.max, x.max(axis=1), out=self.max)
        self._histogram(x)

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
        idx = np.floor((x - self.lo[:, None, :]) / self.width[:, None, :])
        idx = np.clip(idx, -1, self.n_bins).astype(np.int64) + 1
        offset = (np.arange(nv)[:, None, None] * nt + np.arange(nt)[None, None, :]) * nb
        counts = np.bincount((idx + offset).ravel(), minlength=nv * nt * nb)
        self.hist += counts.reshape(nv, nt, nb)

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


_COMPILED = None


def _compiled_block_stats():
    """A numba kernel computing a block's mean, M2, min, max and histogram counts in one pass per
    variable, parallel over variables (None without numba: the numpy path is used).

    Both paths bin identically (same floating-point expression); the sums differ only in rounding
    order, so a run's summaries are reproducible on a given installation whatever the chunking.
    """
    global _COMPILED
    if _COMPILED is None:
        try:
            import numba
        except ImportError:
            _COMPILED = False
            return None

        @numba.njit(parallel=True, cache=True)
        def block_stats(x, lo, width, n_bins, mean, m2, mn, mx, hist):  # pragma: no cover - compiled
            nv, n, nt = x.shape
            for v in numba.prange(nv):
                for t in range(nt):
                    mean[v, t] = 0.0
                    m2[v, t] = 0.0
                    mn[v, t] = np.inf
                    mx[v, t] = -np.inf
                for d in range(n):
                    for t in range(nt):
                        mean[v, t] += x[v, d, t]
                for t in range(nt):
                    mean[v, t] /= n
                for d in range(n):
                    for t in range(nt):
                        val = x[v, d, t]
                        dev = val - mean[v, t]
                        m2[v, t] += dev * dev
                        if val < mn[v, t]:
                            mn[v, t] = val
                        if val > mx[v, t]:
                            mx[v, t] = val
                        b = np.floor((val - lo[v, t]) / width[v, t])
                        if b < -1.0:
                            b = -1.0
                        elif b > n_bins:
                            b = n_bins
                        hist[v, t, int(b) + 1] += 1

        _COMPILED = block_stats
    return _COMPILED or None
