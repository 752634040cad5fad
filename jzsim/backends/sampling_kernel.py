"""The compiled sampler: the ``"random"`` sampler's uniforms and the closed-form inverse CDFs in
one loop (:func:`jzsim.uncertainty.distributions.ppf_rows` with ``compiled=True``, the numba back
end's choice). Needs numba."""

from __future__ import annotations

import math

import numba
import numpy as np

from jzsim.backends.numba_cache import cached
from jzsim.backends.vmath import prefer_wide_vectors
from jzsim.engine.constants import SPLITMIX_GAMMA as _GAMMA
from jzsim.engine.constants import SPLITMIX_M1 as _M1
from jzsim.engine.constants import SPLITMIX_M2 as _M2

_S30, _S27, _S31, _S11, _ONE = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11), np.uint64(1)
_UNIT = 2.0**-53


@cached
@numba.njit(nogil=True, inline="always")
def _uniform_at(gen, u, j, i, start, key):  # pragma: no cover - compiled
    """Uniform ``i`` of row ``j``: SplitMix64 output ``start + i`` of stream ``key`` (``gen``), else
    ``u[j, i]``."""
    if gen:
        z = (start + np.uint64(i) + _ONE) * _GAMMA
        z += key
        z ^= z >> _S30
        z *= _M1
        z ^= z >> _S27
        z *= _M2
        z ^= z >> _S31
        z >>= _S11
        z |= _ONE
        return float(z) * _UNIT
    return u[j, i]


@cached
@numba.njit(parallel=True, nogil=True)
def ppf_kernel(u, gen, keys, start, kinds, coef, out, rows):  # pragma: no cover - compiled
    """Parameter ``j`` (kind ``kinds[j]``: 1 uniform, 2 triangular, 0 other, left as uniforms; constants
    ``coef[j]``) into ``out[rows[j]]``, parallel over parameters, each row in one vectorised pass."""
    k, n = kinds.shape[0], out.shape[1]
    for j in numba.prange(k):
        prefer_wide_vectors()  # 512-bit vectors (see the design log of benchmarks/README.md)
        kind, key = kinds[j], keys[j]
        c0, c1, c2, c3, c4 = coef[j, 0], coef[j, 1], coef[j, 2], coef[j, 3], coef[j, 4]
        row = out[rows[j]]
        if kind == 1:
            for i in range(n):
                row[i] = _uniform_at(gen, u, j, i, start, key) * c0 + c1
        elif kind == 2:
            for i in range(n):  # both products computed, then selected: no unpredictable branch
                x = _uniform_at(gen, u, j, i, start, key)
                left = x < c0
                r = math.sqrt(x * c1 if left else (1.0 - x) * c2)
                row[i] = c3 + r if left else c4 - r
        else:
            for i in range(n):
                row[i] = _uniform_at(gen, u, j, i, start, key)
