"""Samplers whose draws are tied to the draw index, never to the chunk.

``uniforms(sampler, seed, names, start, stop)`` returns the uniforms of draws ``start..stop-1`` for
the named parameters. Whatever the chunking, the order of chunks or the number of workers, draw
``i`` gets the same numbers:

* ``"random"``: each parameter has its own SplitMix64 stream (Steele, Lea & Flood 2014), keyed by
  ``key = int.from_bytes(hashlib.blake2b(f"{seed}/{name}".encode("utf-8"), digest_size=8).digest(),
  "little")``.
  Draw ``i`` (from 0) of parameter ``name`` is the stream's output ``i``, computed directly from the
  counter: ``z = key + (i + 1) * 0x9E3779B97F4A7C15`` (mod 2**64), then the SplitMix64 finaliser
  ``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31``,
  and the uniform is ``((z >> 11) | 1) * 2**-53``: an odd multiple of ``2**-53`` (52 random bits),
  so always in the open interval (0, 1). Draw ``i``'s numbers thus depend only on the seed, ``i`` and the
  parameter's name: growing a run keeps its first draws, chunks may come in any size and order,
  and adding a parameter leaves the others' draws unchanged. The numba back end runs the same
  integer arithmetic compiled (fused with the inverse CDFs of
  :func:`jzsim.uncertainty.distributions.ppf_rows`, ``compiled=True``); the numbers are identical
  either way, so both back ends sample the same parameter values, bit for bit.
* ``"sobol"``: a scrambled Sobol sequence whose every dimension belongs to one parameter name.
  The run's ``dimensions`` (for :func:`jzsim.monte_carlo`: every parameter the model declares,
  fixed ones included) are sorted by name, and the ``k``-th name takes Sobol dimension ``k``
  (Joe & Kuo direction numbers, ``scipy.stats.qmc.Sobol`` unscrambled, 30 bits). Each dimension
  is then scrambled on its own, keyed by ``(seed, name)``: a random linear matrix scramble
  (lower-triangular with unit diagonal, Matousek 1998) and a digital shift, and the digits below
  the 30th are filled by that name's random stream (a uniform jitter within the point's
  ``2**-30`` cell). Point ``i`` goes to draw ``i`` (``fast_forward``), so growing a run keeps its
  first draws and chunks may come in any order.

  What this guarantees: with the same ``dimensions``, a parameter's draws depend only on
  ``(seed, name, i)``; fixing a parameter, overriding its distribution or leaving it unsampled
  keeps its dimension reserved, so every other parameter's draws are bit-identical (common random
  numbers), and the joint design stays a scrambled (t, m, s)-net: scrambling each coordinate
  by its own linear scramble and shift preserves the net property (Owen 1995; Matousek 1998).
  Adding or removing a declared parameter moves the dimensions of the names sorted after it:
  their draws change (still a valid scrambled Sobol design), those sorted before it keep theirs.
  Balance properties hold for powers of two.
* ``"lhs"``: Latin hypercube over ``n_total`` draws: for each parameter the strata are a keyed
  pseudo-random permutation of ``range(n_total)`` (a Feistel network, computed per draw in O(1)
  memory), jittered by the random sampler's uniforms. A Latin hypercube depends on ``n_total`` by
  construction: growing a run changes every draw.
"""

from __future__ import annotations

import hashlib
import warnings
import zlib
from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

from jzsim.engine.constants import BLOCK  # noqa: F401  (re-exported: draws per block)
from jzsim.engine.constants import SPLITMIX_GAMMA as _GAMMA
from jzsim.engine.constants import SPLITMIX_M1 as _M1
from jzsim.engine.constants import SPLITMIX_M2 as _M2

SAMPLERS = ("random", "lhs", "sobol")


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _stream_key(seed: int, name: str) -> int:
    """64-bit key of parameter ``name``'s random stream under ``seed`` (see the module docstring)."""
    return int.from_bytes(hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest(), "little")


def _stream_keys(seed: int, names: Sequence[str]) -> np.ndarray:
    return np.array([_stream_key(seed, n) for n in names], dtype=np.uint64)


def _hash_rows(keys: np.ndarray, start: int, n: int, out: np.ndarray | None = None, rows=None) -> np.ndarray:
    """Uniforms of draws ``start..start+n-1`` of the SplitMix64 streams ``keys``, shape ``(len(keys), n)``
    (stream ``j`` into ``out[rows[j]]`` when given), in pieces of :data:`_PIECE` draws: each
    operation writes into a reused array that stays in cache."""
    keys = np.asarray(keys, dtype=np.uint64)
    if out is None:
        out = np.empty((len(keys), n))
    rows = range(len(keys)) if rows is None else rows
    piece = min(n, _PIECE)
    z, tmp = np.empty(piece, dtype=np.uint64), np.empty(piece, dtype=np.uint64)
    s30, s27, s31, s11, one = (np.uint64(b) for b in (30, 27, 31, 11, 1))
    for a in range(0, n, piece):
        m = min(piece, n - a)
        zm, tm = z[:m], tmp[:m]
        counter = np.arange(start + a + 1, start + a + m + 1, dtype=np.uint64)
        counter *= _GAMMA  # (i + 1) * gamma, the same for every stream
        for j, key in zip(rows, keys):
            np.add(counter, key, out=zm)
            np.right_shift(zm, s30, out=tm)
            zm ^= tm
            zm *= _M1
            np.right_shift(zm, s27, out=tm)
            zm ^= tm
            zm *= _M2
            np.right_shift(zm, s31, out=tm)
            zm ^= tm
            zm >>= s11
            zm |= one
            np.multiply(zm, 2.0**-53, out=out[j, a : a + m])
    return out


_PIECE = 4096  # draws per piece of _hash_rows


def _random_rows(seed: int, names: Sequence[str], start: int, stop: int) -> np.ndarray:
    """The ``"random"`` uniforms, one row per name: shape ``(len(names), stop - start)``."""
    return _hash_rows(_stream_keys(seed, names), start, stop - start)


SOBOL_BITS = 30  # digits of the Sobol points; below them, each name's random stream (see the module docstring)


def _sobol(seed: int, names: Sequence[str], start: int, stop: int, dimensions: Sequence[str] | None) -> np.ndarray:
    """The ``"sobol"`` uniforms, one row per name: shape ``(len(names), stop - start)``."""
    dims = sobol_dimensions(names if dimensions is None else dimensions)
    missing = [n for n in names if n not in dims]
    if missing:
        raise ValueError(f"sobol: parameters {missing} are not among the dimensions; allowed: {sorted(dims)}")
    n = stop - start
    out = np.empty((len(names), n))
    if not names:
        return out
    d = max(dims[x] for x in names) + 1
    eng = qmc.Sobol(d=d, scramble=False, bits=SOBOL_BITS)
    if start:
        eng.fast_forward(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning for non powers of two
        points = eng.random(n)  # exact multiples of 2**-30
    x = (points[:, [dims[name] for name in names]].T * 2.0**SOBOL_BITS).astype(np.uint32)
    y = _scramble(x, [_scramble_tables(seed, name) for name in names])
    out = _hash_rows(_stream_keys(seed, [f"sobol/{name}" for name in names]), start, n)  # the jitter
    out *= 2.0**-SOBOL_BITS
    out += y * 2.0**-SOBOL_BITS
    return np.clip(out, 0.5 / 2**53, 1 - 2**-53, out=out)


def sobol_dimensions(names: Sequence[str]) -> dict[str, int]:
    """Sobol dimension of each name: its rank among the distinct ``names`` sorted (see the module
    docstring)."""
    return {n: k for k, n in enumerate(sorted(set(names)))}


def _scramble_tables(seed: int, name: str) -> tuple[np.ndarray, ...]:
    """Byte tables of one dimension's linear matrix scramble and its digital shift, keyed by
    ``(seed, name)``: ``tables[g][b]`` is the scrambled image of byte ``b`` at byte ``g`` of a
    30-bit point (digit 1 = the most significant bit), the last entry the shift."""
    bits = SOBOL_BITS
    rng = np.random.default_rng(_stream_key(seed, f"sobol-scramble/{name}"))
    lower = np.tril(rng.integers(0, 2, size=(bits, bits), dtype=np.uint64), -1) | np.eye(bits, dtype=np.uint64)
    weights = np.uint64(1) << np.arange(bits - 1, -1, -1, dtype=np.uint64)  # digit i -> its bit
    # input bit q (0 = least significant) is digit k = bits - 1 - q (0-based): column k of the matrix
    columns = (lower[:, ::-1] * weights[:, None]).sum(axis=0)  # column of input bit q, q = 0 .. bits-1
    columns = np.concatenate([columns, np.zeros(-bits % 8, dtype=np.uint64)]).reshape(-1, 8)
    set_bits = (np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1 == 1  # byte value -> its bits
    tables = [np.bitwise_xor.reduce(np.where(set_bits, cols[None, :], np.uint64(0)), axis=1) for cols in columns]
    shift = int((rng.integers(0, 2, size=bits, dtype=np.uint64) * weights).sum())
    return (*tables, np.uint64(shift))


def _scramble(x: np.ndarray, tables: Sequence[tuple[np.ndarray, ...]]) -> np.ndarray:
    """Linear matrix scramble and digital shift of 30-bit points ``x`` (uint32, one row per
    dimension, ``tables[j]`` row ``j``'s), byte by byte."""
    k = len(tables)
    shift = np.array([t[-1] for t in tables], dtype=np.uint32)
    y = np.repeat(shift[:, None], x.shape[1], axis=1)
    for g in range(len(tables[0]) - 1):
        t = np.stack([tb[g] for tb in tables]).astype(np.uint32)  # (k, 256)
        idx = (x >> np.uint32(8 * g)) & np.uint32(255)
        idx += (np.arange(k, dtype=np.uint32) * np.uint32(256))[:, None]
        y ^= t.reshape(-1)[idx]
    return y


def _mix(x: np.ndarray, key: int) -> np.ndarray:
    """A 64-bit mixing function (splitmix64 finaliser) keyed by ``key``."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def permute(i: np.ndarray, n: int, key: int, rounds: int = 4) -> np.ndarray:
    """A keyed pseudo-random permutation of ``range(n)`` evaluated at ``i`` (Feistel network with
    cycle walking), without ever materialising the permutation."""
    half = max(1, (int(n - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    x = np.asarray(i, dtype=np.uint64).copy()
    todo = np.ones(x.shape, dtype=bool)
    while todo.any():
        y = x[todo]
        left, right = y >> np.uint64(half), y & mask
        for r in range(rounds):
            left, right = right, left ^ (_mix(right, key * 16 + r) & mask)
        y = (left << np.uint64(half)) | right
        x[todo] = y
        todo[todo] = y >= np.uint64(n)
    return x.astype(np.int64)


def _lhs_rows(seed: int, names: Sequence[str], start: int, stop: int, n_total: int) -> np.ndarray:
    out = _random_rows(seed, names, start, stop)  # the jitter
    idx = np.arange(start, stop)
    for j, name in enumerate(names):
        strata = permute(idx, n_total, (seed * 1_000_003 + _key(name)) & 0xFFFFFFFF)
        out[j] = (strata + out[j]) / n_total
    return out


def _rows_checked(sampler: str, seed: int, start: int, stop: int) -> bool:
    """Raise ``ValueError`` on a bad sampler, seed or draw range; True otherwise."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed is {seed!r}; allowed: an integer >= 0")
    if not 0 <= start <= stop:
        raise ValueError(f"draw range [{start}, {stop}) is empty or negative")
    return True


def _rows(
    sampler: str,
    seed: int,
    names: Sequence[str],
    start: int,
    stop: int,
    n_total: int | None,
    dimensions: Sequence[str] | None = None,
) -> np.ndarray:
    """:func:`uniforms` transposed, shape ``(len(names), stop - start)`` (each row contiguous)."""
    _rows_checked(sampler, seed, start, stop)
    if sampler == "random":
        return _random_rows(int(seed), names, start, stop)
    if sampler == "sobol":
        return _sobol(int(seed), names, start, stop, dimensions)
    if n_total is None or stop > n_total:
        raise ValueError(f"sampler 'lhs' needs n_total >= stop; got n_total={n_total}, stop={stop}")
    return _lhs_rows(int(seed), names, start, stop, int(n_total))


def uniforms(
    sampler: str,
    seed: int,
    names: Sequence[str],
    start: int,
    stop: int,
    n_total: int | None = None,
    *,
    dimensions: Sequence[str] | None = None,
) -> np.ndarray:
    """Uniform numbers in (0, 1) for draws ``start..stop-1``, shape ``(stop - start, len(names))``.

    Parameters
    ----------
    sampler : {"random", "lhs", "sobol"}
    seed : int
        Root seed (>= 0).
    names : sequence of str
        Parameter names (one column each).
    start, stop : int
        Draw index range.
    n_total : int, optional
        Total draws of the run (required by ``"lhs"``).
    dimensions : sequence of str, optional
        ``"sobol"``: the names that share the design (default ``names``); their sorted order gives
        each name its Sobol dimension (see the module docstring).

    Returns
    -------
    numpy.ndarray
        Shape ``(stop - start, len(names))``, column-major (each parameter's column contiguous).
    """
    return _rows(sampler, seed, names, start, stop, n_total, dimensions).T


def sample_parameters(
    params,
    sampler: str,
    seed: int,
    start: int,
    stop: int,
    n_total: int | None = None,
    *,
    out: np.ndarray | None = None,
    rows: Sequence[int] | None = None,
    compiled: bool = False,
) -> dict[str, np.ndarray]:
    """Values of the uncertain parameters for draws ``start..stop-1``.

    Parameters
    ----------
    params : sequence of jzsim.params.Parameter
        Only those with a distribution other than ``"fixed"`` are sampled; with ``"sobol"`` all of
        them, fixed ones included, hold a dimension (pass every declared parameter, so that fixing
        one leaves the others' draws as they are).
    sampler, seed, start, stop, n_total
        As in :func:`uniforms`.
    out, rows : optional
        Write the ``j``-th uncertain parameter's values into ``out[rows[j]]`` (``out`` of
        ``stop - start`` columns, e.g. a kernel's parameter matrix) instead of a new array.
    compiled : bool, default False
        Apply the inverse CDFs (and, for ``"random"``, make the uniforms) in numba's compiled loop
        (:func:`jzsim.uncertainty.distributions.ppf_rows`): identical numbers, in less time.

    Returns
    -------
    dict
        Name -> contiguous array of ``stop - start`` values in the parameter's units (rows of
        ``out`` when given).
    """
    from jzsim.uncertainty.distributions import ppf_rows

    params = list(params)
    unc = [p for p in params if p.uncertain]
    names = [getattr(p, "stream", None) or p.name for p in unc]  # a shared stream: the same uniforms
    if (out is None) != (rows is None):
        raise ValueError("out and rows go together: pass both or neither")
    idx = None if rows is None else np.asarray(rows, dtype=np.int64)
    if sampler == "random" and _rows_checked(sampler, seed, start, stop):
        keys = _stream_keys(int(seed), names)
        x = ppf_rows(unc, None, out, keys=keys, start=start, n=stop - start, rows=idx, compiled=compiled)
    else:
        dims = [getattr(p, "stream", None) or p.name for p in params]
        u = _rows(sampler, seed, names, start, stop, n_total, dims)
        x = ppf_rows(unc, u, out=u if out is None else out, rows=idx, compiled=compiled)
    return {p.name: x[j if idx is None else idx[j]] for j, p in enumerate(unc)}
