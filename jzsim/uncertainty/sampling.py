"""Samplers whose draws are tied to the draw index, never to the chunk.

``uniforms(sampler, seed, names, start, stop)`` returns the uniforms of draws ``start..stop-1`` for
the named parameters. Whatever the chunking, the order of chunks or the number of workers, draw
``i`` gets the same numbers:

* ``"random"``: draws are grouped in fixed blocks of :data:`BLOCK` draws; block ``b`` of parameter
  ``name`` is drawn from ``Generator(PCG64(SeedSequence(seed, spawn_key=(b, crc32(name)))))``. The
  parameters of draw ``i`` depend only on the seed, ``i`` and the parameter's name: growing a run
  keeps its first draws, and adding a parameter leaves the others' draws unchanged.
* ``"sobol"``: scrambled Sobol points (``scipy.stats.qmc.Sobol``, scramble seeded by ``seed``),
  point ``i`` for draw ``i`` via ``fast_forward``; growing a run keeps its first draws. Dimensions
  follow the order of ``names``. Balance properties hold for powers of two.
* ``"lhs"``: Latin hypercube over ``n_total`` draws: for each parameter the strata are a keyed
  pseudo-random permutation of ``range(n_total)`` (a Feistel network, computed per draw in O(1)
  memory), jittered by the random sampler's uniforms. A Latin hypercube depends on ``n_total`` by
  construction: growing a run changes every draw.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

SAMPLERS = ("random", "lhs", "sobol")
BLOCK = 4096


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _random_block(seed: int, block: int, name: str) -> np.ndarray:
    ss = np.random.SeedSequence(seed, spawn_key=(block, _key(name)))
    u = np.random.Generator(np.random.PCG64(ss)).random(BLOCK)
    return np.where(u == 0.0, 0.5 / 2**53, u)  # open interval (0, 1)


def _random(seed: int, names: Sequence[str], start: int, stop: int) -> np.ndarray:
    out = np.empty((stop - start, len(names)))
    b0, b1 = start // BLOCK, (stop - 1) // BLOCK
    for j, name in enumerate(names):
        col = np.concatenate([_random_block(seed, b, name) for b in range(b0, b1 + 1)])
        out[:, j] = col[start - b0 * BLOCK: stop - b0 * BLOCK]
    return out


def _sobol(seed: int, names: Sequence[str], start: int, stop: int) -> np.ndarray:
    eng = qmc.Sobol(d=max(1, len(names)), scramble=True, seed=np.random.default_rng(seed))
    if start:
        eng.fast_forward(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning for non powers of two
        u = eng.random(stop - start)[:, : len(names)]
    return np.clip(u, 0.5 / 2**53, 1 - 2**-53)


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


def _lhs(seed: int, names: Sequence[str], start: int, stop: int, n_total: int) -> np.ndarray:
    jitter = _random(seed, names, start, stop)
    idx = np.arange(start, stop)
    out = np.empty_like(jitter)
    for j, name in enumerate(names):
        strata = permute(idx, n_total, (seed * 1_000_003 + _key(name)) & 0xFFFFFFFF)
        out[:, j] = (strata + jitter[:, j]) / n_total
    return out


def uniforms(sampler: str, seed: int, names: Sequence[str], start: int, stop: int,
             n_total: int | None = None) -> np.ndarray:
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
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler is {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed is {seed!r}; allowed: an integer >= 0")
    if not 0 <= start <= stop:
        raise ValueError(f"draw range [{start}, {stop}) is empty or negative")
    if sampler == "random":
        return _random(int(seed), names, start, stop)
    if sampler == "sobol":
        return _sobol(int(seed), names, start, stop)
    if n_total is None or stop > n_total:
        raise ValueError(f"sampler 'lhs' needs n_total >= stop; got n_total={n_total}, stop={stop}")
    return _lhs(int(seed), names, start, stop, int(n_total))


def sample_parameters(params, sampler: str, seed: int, start: int, stop: int,
                      n_total: int | None = None) -> dict[str, np.ndarray]:
    """Values of the uncertain parameters for draws ``start..stop-1``.

    Parameters
    ----------
    params : iterable of jzsim.params.Parameter
        Only those with a distribution other than ``"fixed"`` are sampled.

    Returns
    -------
    dict
        Name -> array of ``stop - start`` values in the parameter's units.
    """
    from jzsim.uncertainty.distributions import ppf

    unc = [p for p in params if p.uncertain]
    u = uniforms(sampler, seed, [p.name for p in unc], start, stop, n_total)
    return {p.name: ppf(p, u[:, j]) for j, p in enumerate(unc)}
