"""Map uniform numbers on (0, 1) to each parameter's distribution (inverse CDF).

Inverse-CDF sampling keeps draw ``i`` a function of its uniforms only, so every sampler (random,
Latin hypercube, Sobol) feeds every distribution the same way. See :data:`jzsim.params.DISTRIBUTIONS`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from jzsim.params import Parameter


def ppf(p: Parameter, u: np.ndarray) -> np.ndarray:
    """Values of parameter ``p`` at uniform quantiles ``u`` (in ``p.units``).

    Parameters
    ----------
    p : Parameter
    u : ndarray
        Numbers in (0, 1).
    """
    u = np.asarray(u, dtype=np.float64)
    d, lo, hi, v = p.distribution, p.low, p.high, p.value
    if d == "fixed":
        return np.full(u.shape, v)
    if d == "uniform":
        return lo + (hi - lo) * u
    if d == "triangular":
        if hi == lo:
            return np.full(u.shape, v)
        fc = (v - lo) / (hi - lo)  # CDF at the mode
        left = lo + np.sqrt(u * (hi - lo) * (v - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - v))
        return np.where(u < fc, left, right)
    if d == "truncnormal":
        sd = (hi - lo) / 4.0
        if sd == 0:
            return np.full(u.shape, v)
        return np.clip(v + sd * _truncated_std_normal(u, (lo - v) / sd, (hi - v) / sd), lo, hi)
    if d == "lognormal":
        sigma = np.log(hi / lo) / 4.0
        if sigma == 0:
            return np.full(u.shape, v)
        mu = np.log(v)
        z = _truncated_std_normal(u, (np.log(lo) - mu) / sigma, (np.log(hi) - mu) / sigma)
        return np.clip(np.exp(mu + sigma * z), lo, hi)
    if d == "empirical":
        sample = np.sort(np.asarray(p.sample, dtype=np.float64))
        idx = np.minimum((u * sample.size).astype(np.int64), sample.size - 1)
        return sample[idx]
    raise ValueError(f"parameter {p.name!r}: unknown distribution {d!r}")  # validated earlier


def _truncated_std_normal(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Inverse CDF of a standard normal truncated to ``[a, b]`` (|a|, |b| a few units at most,
    as the ranges here are +-2 sd around the nominal value)."""
    pa, pb = special.ndtr(a), special.ndtr(b)
    return special.ndtri(pa + u * (pb - pa))
