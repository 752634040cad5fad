"""Map uniform numbers on (0, 1) to each parameter's distribution (inverse CDF).

Inverse-CDF sampling keeps draw ``i`` a function of its uniforms only, so every sampler (random,
Latin hypercube, Sobol) feeds every distribution the same way. See :data:`jzsim.params.DISTRIBUTIONS`.

:func:`ppf_rows` maps many parameters at once (one row of uniforms each), with whole-array
operations per distribution; :func:`ppf` is the one-parameter case and gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from jzsim.params import Parameter


def ppf(p: Parameter, u: np.ndarray) -> np.ndarray:
    """Values of parameter ``p`` at uniform quantiles ``u`` (in ``p.units``).

    Parameters
    ----------
    p : Parameter
    u : ndarray
        Numbers in (0, 1), any shape.

    Returns
    -------
    numpy.ndarray
        Same shape as ``u``.
    """
    u = np.asarray(u, dtype=np.float64)
    return ppf_rows([p], u.reshape(1, -1))[0].reshape(u.shape)


def ppf_rows(
    params: Sequence[Parameter],
    u: np.ndarray | None,
    out: np.ndarray | None = None,
    *,
    keys: np.ndarray | None = None,
    start: int = 0,
    n: int | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Values of each parameter at its row of uniform quantiles.

    Parameters
    ----------
    params : sequence of Parameter
        One per row of ``u``.
    u : ndarray or None
        Numbers in (0, 1), shape ``(len(params), n)``; None with ``keys``.
    out : ndarray, optional
        Where to write the values, shape of ``u`` (may be ``u`` itself: it is then overwritten);
        with ``rows``, any number of rows of ``n`` columns.
    keys, start, n : optional
        Instead of ``u``: the ``"random"`` sampler's stream keys (one per parameter, uint64), first
        draw index and number of draws (see :mod:`jzsim.uncertainty.sampling`); the uniforms are
        then generated in the same loop as the inverse CDFs when numba is installed.
    rows : ndarray of int, optional
        The row of ``out`` that receives each parameter (e.g. its row in a kernel's parameter
        matrix); default ``0 .. len(params) - 1``. ``out`` must not be ``u`` then.

    Returns
    -------
    numpy.ndarray
        ``out``: float64, row ``rows[j]`` (default ``j``) in ``params[j].units``. Identical
        numbers with and without numba.
    """
    k = len(params)
    if u is None:
        if keys is None or n is None:
            raise ValueError("ppf_rows needs u, or keys and n")
        shape = (k, int(n))
    else:
        u = np.asarray(u, dtype=np.float64)
        shape = u.shape
    if len(shape) != 2 or shape[0] != k:
        raise ValueError(f"u has shape {shape}; allowed: ({k}, n), one row per parameter")
    if rows is None:
        rows = np.arange(k)
        if out is None:
            out = np.empty(shape)
        elif out.shape != shape:
            raise ValueError(f"out has shape {out.shape}; allowed: {shape}")
    else:
        rows = np.asarray(rows, dtype=np.int64)
        if (
            out is None
            or out.ndim != 2
            or out.shape[1] != shape[1]
            or rows.shape != (k,)
            or (k and not (0 <= rows.min() and rows.max() < out.shape[0]))
            or len(set(rows.tolist())) != k
        ):
            raise ValueError(
                f"rows {rows.tolist()} into out of shape {None if out is None else out.shape}; "
                f"allowed: {k} distinct rows of an out with {shape[1]} columns"
            )
        if u is not None and np.shares_memory(u, out):
            raise ValueError("out must not be u when rows are given")
    kinds, coef = _plan(params)
    fast = _compiled_ppf()
    if fast is not None:
        gen = u is None
        fast(
            np.empty((0, 0)) if gen else u,
            gen,
            np.zeros(k, np.uint64) if keys is None else keys,
            np.uint64(start),
            kinds,
            coef,
            out,
            rows,
        )
        for j in np.flatnonzero(kinds == _OTHER):
            out[rows[j]] = _one(params[j], out[rows[j]])  # the row holds the uniforms
        return out
    if u is None:
        from jzsim.uncertainty.sampling import _hash_rows

        u = _hash_rows(keys, start, int(n))
    for kind, code in (("uniform", _UNIFORM), ("triangular", _TRIANGULAR)):
        js = np.flatnonzero(kinds == code)
        if js.size:
            out[rows[js]] = _uniform(u[js], coef[js]) if kind == "uniform" else _triangular(u[js], coef[js])
    for j in np.flatnonzero(kinds == _OTHER):
        out[rows[j]] = _one(params[j], u[j])
    return out


_OTHER, _UNIFORM, _TRIANGULAR = 0, 1, 2


def _plan(params: Sequence[Parameter]) -> tuple[np.ndarray, np.ndarray]:
    """Per parameter: a kind code and the constants of its closed-form inverse CDF.

    uniform: ``(high - low, low)``; triangular (``low < high``): ``(fc, A, B, low, high)`` with
    ``fc = (mode - low) / (high - low)`` (the CDF at the mode), ``A = (high - low) (mode - low)``,
    ``B = (high - low) (high - mode)``; other distributions and degenerate ranges: ``_OTHER``.
    """
    kinds = np.full(len(params), _OTHER, dtype=np.int64)
    coef = np.zeros((len(params), 5))
    for j, p in enumerate(params):
        if p.distribution == "uniform":
            kinds[j] = _UNIFORM
            coef[j, :2] = (p.high - p.low, p.low)
        elif p.distribution == "triangular" and p.high != p.low:
            lo, hi, v = float(p.low), float(p.high), float(p.value)
            kinds[j] = _TRIANGULAR
            coef[j] = ((v - lo) / (hi - lo), (hi - lo) * (v - lo), (hi - lo) * (hi - v), lo, hi)
    return kinds, coef


def _uniform(u: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``u (high - low) + low``."""
    x = u * c[:, 0:1]
    x += c[:, 1:2]
    return x


def _triangular(u: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Triangular inverse CDF, ``low < high``: ``low + sqrt(u A)`` for ``u < fc``, else
    ``high - sqrt((1 - u) B)`` (constants of :func:`_plan`)."""
    left = u < c[:, 0:1]
    x = np.where(left, u * c[:, 1:2], (1.0 - u) * c[:, 2:3])
    np.sqrt(x, out=x)
    return np.where(left, c[:, 3:4] + x, c[:, 4:5] - x)


_COMPILED = None


def _compiled_ppf():
    """:func:`jzsim.backends.sampling_kernel.ppf_kernel` (None without numba): it generates the
    ``"random"`` uniforms (when ``gen``) and applies the uniform and triangular inverse CDFs in one
    loop, parallel over parameters, parameter ``j`` into row ``rows[j]`` of ``out``.

    It performs the same integer and floating-point operations, in the same order, as the numpy
    path (:func:`jzsim.uncertainty.sampling._hash_rows`, :func:`_uniform`, :func:`_triangular`),
    so both give identical numbers. Rows of other distributions are left holding their uniforms.
    """
    global _COMPILED
    if _COMPILED is None:
        try:
            from jzsim.backends.sampling_kernel import ppf_kernel
        except ImportError:
            _COMPILED = False
            return None
        _COMPILED = ppf_kernel
    return _COMPILED or None


def _one(p: Parameter, u: np.ndarray) -> np.ndarray:
    """One parameter of a distribution without a whole-array path (or a degenerate range)."""
    d, lo, hi, v = p.distribution, p.low, p.high, p.value
    if d == "fixed":
        return np.full(u.shape, v)
    if d == "triangular":  # high == low (others go through _triangular)
        return np.full(u.shape, v)
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
