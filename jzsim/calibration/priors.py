"""Log prior densities from the parameters' declared distributions, and the transforms that let an
optimiser or sampler move freely inside a parameter's range.

A parameter with both bounds is moved as ``z = logit((x - low) / (high - low))``, one with a lower
bound only as ``z = log(x - low)``, one without bounds as ``z = x``. Densities follow
:data:`jzsim.params.DISTRIBUTIONS`; a ``fixed`` parameter freed for calibration gets a uniform
prior on its declared range (it must have one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special, stats

from jzsim.params import Parameter

__all__ = ["Transform", "log_prior"]


class Transform:
    """Maps between natural values ``x`` (columns: parameters) and unbounded ``z``."""

    def __init__(self, params: Sequence[Parameter]):
        self.low = np.array([-np.inf if p.low is None else p.low for p in params], dtype=float)
        self.high = np.array([np.inf if p.high is None else p.high for p in params], dtype=float)
        self.both = np.isfinite(self.low) & np.isfinite(self.high)
        self.lower = np.isfinite(self.low) & ~self.both
        self.width = np.where(self.both, self.high - self.low, 1.0)

    def to_z(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        z = x.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.clip((x - self.low) / self.width, 1e-9, 1 - 1e-9)
            z = np.where(self.both, special.logit(u), z)
            z = np.where(self.lower, np.log(np.maximum(x - self.low, 1e-300)), z)
        return z

    def to_x(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        x = np.where(self.both, self.low + self.width * special.expit(z), z)
        return np.where(self.lower, self.low + np.exp(np.where(self.lower, z, 0.0)), x)

    def log_jacobian(self, z: np.ndarray) -> np.ndarray:
        """``sum log |dx/dz|`` over parameters (last axis)."""
        z = np.asarray(z, dtype=float)
        # log s + log(1 - s) with s = expit(z), written so that it stays finite for large |z|
        j = np.where(self.both, np.log(self.width) - np.logaddexp(0.0, z) - np.logaddexp(0.0, -z), 0.0)
        j = np.where(self.lower, z, j)
        return j.sum(axis=-1)

    def dx_dz(self, z: np.ndarray) -> np.ndarray:
        s = special.expit(z)
        d = np.where(self.both, self.width * s * (1 - s), 1.0)
        return np.where(self.lower, np.exp(np.where(self.lower, z, 0.0)), d)


def log_prior(params: Sequence[Parameter], x: np.ndarray) -> np.ndarray:
    """Sum of the log prior densities of each row of ``x`` (shape ``(n, len(params))``); -inf outside
    a range."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    total = np.zeros(x.shape[0])
    for j, p in enumerate(params):
        total += _logpdf(p, x[:, j])
    return total


def _logpdf(p: Parameter, x: np.ndarray) -> np.ndarray:
    lo, hi, v, d = p.low, p.high, p.value, p.distribution
    with np.errstate(divide="ignore", invalid="ignore"):
        if d in ("fixed", "uniform"):
            if lo is None or hi is None or hi <= lo:
                raise ValueError(
                    f"parameter {p.name!r} has no range to calibrate within (low {lo}, high {hi}); "
                    "allowed: give it low < high, or a distribution (jzsim.uncertainty.distributions)"
                )
            return np.where((x >= lo) & (x <= hi), -np.log(hi - lo), -np.inf)
        if d == "triangular":
            if hi <= lo:
                raise ValueError(f"parameter {p.name!r}: triangular range [{lo}, {hi}] is empty")
            c = (v - lo) / (hi - lo)
            return stats.triang.logpdf(x, c, loc=lo, scale=hi - lo)
        if d == "truncnormal":
            sd = (hi - lo) / 4.0
            return stats.truncnorm.logpdf(x, (lo - v) / sd, (hi - v) / sd, loc=v, scale=sd)
        if d == "lognormal":
            sigma = np.log(hi / lo) / 4.0
            mu = np.log(v)
            a, b = (np.log(lo) - mu) / sigma, (np.log(hi) - mu) / sigma
            lx = np.log(np.where(x > 0, x, np.nan))
            out = stats.truncnorm.logpdf(lx, a, b, loc=mu, scale=sigma) - lx
            return np.where(np.isfinite(out), out, -np.inf)
        if d == "empirical":
            kde = stats.gaussian_kde(np.asarray(p.sample, dtype=float))
            inside = (x >= min(p.sample)) & (x <= max(p.sample))
            return np.where(inside, kde.logpdf(x), -np.inf)
    raise ValueError(f"parameter {p.name!r}: distribution {d!r} has no prior density")
