"""Distributions of uncertain parameters, and the inverse CDFs that sample them.

Distribution objects (:class:`Uniform`, :class:`Triangular`, :class:`TruncNormal`,
:class:`LogNormal`, :class:`Empirical`) replace a parameter's declared distribution for one run:
``jzsim.monte_carlo(uncertainty={"tfp_growth": Uniform(0.01, 0.02)})``, applied by
:func:`with_uncertainty`. A plain number given for a parameter (``params={"tfp_growth": 0.02}``)
fixes it in every draw instead.

Inverse-CDF sampling keeps draw ``i`` a function of its uniforms only, so every sampler (random,
Latin hypercube, Sobol) feeds every distribution the same way. See :data:`jzsim.params.DISTRIBUTIONS`.
:func:`ppf_rows` maps many parameters at once (one row of uniforms each), with whole-array
operations per distribution; :func:`ppf` is the one-parameter case and gives the same numbers.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import special

from jzsim.params import Parameter

__all__ = [
    "Distribution",
    "Uniform",
    "Triangular",
    "TruncNormal",
    "LogNormal",
    "Empirical",
    "with_uncertainty",
    "ppf",
    "ppf_rows",
]


def _finite(label: str, **values: float) -> None:
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise ValueError(f"{label}: {k} is {v!r}; allowed: a finite number")


def _ordered(label: str, **values: float) -> None:
    """Raise unless the values are finite and in the given order (low <= ... <= high), low < high."""
    _finite(label, **values)
    items = list(values.items())
    for (ka, a), (kb, b) in zip(items, items[1:]):
        if a > b:
            raise ValueError(f"{label}: {ka} {a} is above {kb} {b}; allowed: {' <= '.join(values)}")
    if items[0][1] >= items[-1][1]:
        raise ValueError(f"{label}: {items[0][0]} {items[0][1]} must be below {items[-1][0]} {items[-1][1]}")


class Distribution:
    """A distribution to draw one parameter from (in the parameter's units)."""

    kind: str = ""

    def apply(self, p: Parameter) -> Parameter:
        """``p`` drawn from this distribution instead of its declared one."""
        raise NotImplementedError


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``; the nominal value (deterministic runs) is kept if inside, else
    the midpoint."""

    low: float
    high: float
    kind = "uniform"

    def __post_init__(self):
        _ordered("Uniform", low=self.low, high=self.high)

    def apply(self, p: Parameter) -> Parameter:
        value = p.value if self.low <= p.value <= self.high else 0.5 * (self.low + self.high)
        return _replace(p, "uniform", value, self.low, self.high)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on ``[low, high]`` with its mode at ``mode`` (the nominal value)."""

    low: float
    mode: float
    high: float
    kind = "triangular"

    def __post_init__(self):
        _ordered("Triangular", low=self.low, mode=self.mode, high=self.high)

    def apply(self, p: Parameter) -> Parameter:
        return _replace(p, "triangular", self.mode, self.low, self.high)


@dataclass(frozen=True)
class TruncNormal(Distribution):
    """Normal with mean ``mean`` (the nominal value) and sd ``(high - low) / 4``, truncated to
    ``[low, high]`` (:data:`jzsim.params.DISTRIBUTIONS`)."""

    mean: float
    low: float
    high: float
    kind = "truncnormal"

    def __post_init__(self):
        _ordered("TruncNormal", low=self.low, mean=self.mean, high=self.high)

    def apply(self, p: Parameter) -> Parameter:
        return _replace(p, "truncnormal", self.mean, self.low, self.high)


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal with median ``median`` (the nominal value) and sigma ``ln(high / low) / 4``,
    truncated to ``[low, high]``, ``low > 0``."""

    median: float
    low: float
    high: float
    kind = "lognormal"

    def __post_init__(self):
        _ordered("LogNormal", low=self.low, median=self.median, high=self.high)
        if self.low <= 0:
            raise ValueError(f"LogNormal: low is {self.low}; allowed: > 0")

    def apply(self, p: Parameter) -> Parameter:
        return _replace(p, "lognormal", self.median, self.low, self.high)


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resampled from ``sample`` (e.g. a calibration result); the nominal value is its median.

    ``stream`` (optional) names a random stream shared with other parameters: those drawn from
    the same stream take the same position of their samples in every draw (a joint sample, such as
    a calibration's posterior; see :meth:`jzsim.calibration.CalibrationResults.uncertainty`).
    """

    sample: tuple[float, ...]
    stream: str | None = None
    kind = "empirical"

    def __post_init__(self):
        try:
            values = tuple(float(x) for x in np.asarray(self.sample, dtype=float).ravel())
        except (TypeError, ValueError):
            raise ValueError(f"Empirical: sample is {self.sample!r}; allowed: finite numbers") from None
        if not values or not all(math.isfinite(x) for x in values):
            raise ValueError("Empirical: sample is empty or not finite; allowed: one or more finite numbers")
        object.__setattr__(self, "sample", values)

    def __repr__(self) -> str:
        return f"Empirical(<{len(self.sample)} values, {min(self.sample):g} to {max(self.sample):g}>)"

    def apply(self, p: Parameter) -> Parameter:
        lo, hi = min(self.sample), max(self.sample)
        return replace(
            p,
            distribution="empirical",
            value=float(np.median(self.sample)),
            low=lo,
            high=hi,
            sample=self.sample,
            stream=self.stream,
            source=f"user: distribution replaced ({p.source})",
        )


def _replace(p: Parameter, kind: str, value: float, low: float, high: float) -> Parameter:
    return replace(
        p,
        distribution=kind,
        value=float(value),
        low=float(low),
        high=float(high),
        sample=None,
        stream=None,
        source=f"user: distribution replaced ({p.source})",
    )


def with_uncertainty(
    params: Mapping[str, Parameter], uncertainty: Mapping[str, Distribution] | None
) -> dict[str, Parameter]:
    """A copy of ``params`` where each parameter named in ``uncertainty`` is drawn from the given
    distribution instead of its declared one.

    Parameters
    ----------
    params : mapping
        Name -> :class:`~jzsim.params.Parameter`.
    uncertainty : mapping, optional
        Name -> :class:`Distribution` (``Uniform(0.01, 0.02)`` ...), in the parameter's units.

    Raises
    ------
    KeyError
        An unknown name (with the closest known names).
    TypeError
        A value that is not a :class:`Distribution` (a plain number fixes a parameter: pass it in
        ``params`` instead).
    """
    out = dict(params)
    for name, dist in (uncertainty or {}).items():
        if name not in out:
            close = difflib.get_close_matches(str(name), [str(k) for k in out], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"uncertainty: unknown parameter {name!r}{hint}")
        if not isinstance(dist, Distribution):
            raise TypeError(
                f"uncertainty[{name!r}] is {dist!r}; allowed: a distribution such as Uniform(low, high) "
                f"from jzsim.uncertainty.distributions (a number fixes the parameter: pass it in params)"
            )
        out[name] = dist.apply(out[name])
    return out


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
    compiled: bool = False,
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
        then generated straight into ``out``.
    rows : ndarray of int, optional
        The row of ``out`` that receives each parameter (e.g. its row in a kernel's parameter
        matrix); default ``0 .. len(params) - 1``. ``out`` must not be ``u`` then.
    compiled : bool, default False
        Generate the uniforms and apply the uniform and triangular inverse CDFs in one numba loop,
        parallel over parameters (:func:`jzsim.backends.sampling_kernel.ppf_kernel`; the numba back
        end's choice). The same integer and floating-point operations in the same order as numpy's
        path: identical numbers.

    Returns
    -------
    numpy.ndarray
        ``out``: float64, row ``rows[j]`` (default ``j``) in ``params[j].units``.
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
    if compiled:
        from jzsim.backends.sampling_kernel import ppf_kernel

        gen = u is None
        ppf_kernel(
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

        _hash_rows(keys, start, int(n), out=out, rows=rows)  # the uniforms, transformed in place below
    for j in range(k):
        src = out[rows[j]] if u is None else u[j]
        if kinds[j] == _UNIFORM:
            _uniform_row(src, coef[j], out[rows[j]])
        elif kinds[j] == _TRIANGULAR:
            _triangular_row(src, coef[j], out[rows[j]])
        else:
            out[rows[j]] = _one(params[j], src)
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


def _uniform_row(u: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """``out = u (high - low) + low`` (``out`` may be ``u``)."""
    np.multiply(u, c[0], out=out)
    out += c[1]


def _triangular_row(u: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """Triangular inverse CDF, ``low < high``, into ``out`` (may be ``u``): ``low + sqrt(u A)`` for
    ``u < fc``, else ``high - sqrt((1 - u) B)`` (constants of :func:`_plan`); in pieces of
    :data:`_PIECE` values whose temporaries stay in cache."""
    n = u.shape[0]
    piece = min(n, _PIECE)
    left, a, b = np.empty(piece, dtype=bool), np.empty(piece), np.empty(piece)
    for s in range(0, n, piece):
        m = min(piece, n - s)
        us, lm, am, bm, om = u[s : s + m], left[:m], a[:m], b[:m], out[s : s + m]
        np.less(us, c[0], out=lm)
        np.multiply(us, c[1], out=am)
        np.subtract(1.0, us, out=bm)
        bm *= c[2]
        np.copyto(bm, am, where=lm)
        np.sqrt(bm, out=bm)
        np.add(c[3], bm, out=am)
        np.subtract(c[4], bm, out=om)
        np.copyto(om, am, where=lm)


_PIECE = 4096


def _one(p: Parameter, u: np.ndarray) -> np.ndarray:
    """One parameter of a distribution without a whole-array path (or a degenerate range)."""
    d, lo, hi, v = p.distribution, p.low, p.high, p.value
    if d == "fixed":
        return np.full(u.shape, v)
    if d == "triangular":  # high == low (others go through _triangular_row)
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
    if d == "empirical":  # a shared stream keeps the sample's order (rows of a joint sample)
        sample = np.asarray(p.sample, dtype=np.float64)
        sample = sample if p.stream else np.sort(sample)
        idx = np.minimum((u * sample.size).astype(np.int64), sample.size - 1)
        return sample[idx]
    raise ValueError(f"parameter {p.name!r}: unknown distribution {d!r}")  # validated earlier


def _truncated_std_normal(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Inverse CDF of a standard normal truncated to ``[a, b]`` (|a|, |b| a few units at most,
    as the ranges here are +-2 sd around the nominal value)."""
    pa, pb = special.ndtr(a), special.ndtr(b)
    return special.ndtri(pa + u * (pb - pa))
