"""Sizes and constants shared by the engine, the back ends and the Monte Carlo driver.

One module, at the bottom of the layers, so that each number has one name and one value and no
package reaches into another's private names for it. Units: draws, unless said otherwise.

Vocabulary (one meaning per word):

* a **lane** is one draw of the compiled kernel's vectorised loops; :data:`LANES` draws advance
  together (a *sub-block*);
* a **block** is :data:`BLOCK` draws: Monte Carlo chunks are whole blocks, and summaries are
  merged block by block;
* a **batch** is what the numpy kernel advances at once in one thread (the ``batch_size`` of
  :meth:`jzsim.engine.compiled.CompiledModel.integrate`);
* a **chunk** is what the Monte Carlo driver samples, integrates, summarises and checks together
  (the ``chunk_size`` of :func:`jzsim.uncertainty.montecarlo.monte_carlo`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "LANES",
    "SUB_BLOCK",
    "BLOCK",
    "DEFAULT_BATCH",
    "KERNEL_BATCH",
    "MIN_THREAD_PART",
    "DEFAULT_CHUNK",
    "DEFAULT_CHUNK_NUMBA",
    "SPLITMIX_GAMMA",
    "SPLITMIX_M1",
    "SPLITMIX_M2",
]

#: Draws advanced together by one vectorised loop of the compiled kernel (two AVX-512 vectors of
#: doubles).
LANES = 16
#: Draws per sub-block folded into a block's summaries at once: the compiled kernel's lanes.
SUB_BLOCK = LANES
#: Draws per block: Monte Carlo chunks are whole blocks, and summaries are merged block by block.
BLOCK = 4096

#: Default ``batch_size`` of :meth:`jzsim.engine.Model.run` and
#: :meth:`jzsim.engine.compiled.CompiledModel.integrate` (numpy kernel).
DEFAULT_BATCH = 16384
#: Draws the numpy kernel advances at once in one thread inside Monte Carlo, sized to stay in cache.
KERNEL_BATCH = 4096
#: Fewest draws per thread when the numpy kernel runs a Monte Carlo chunk on several threads.
MIN_THREAD_PART = 8192

#: Draws per Monte Carlo chunk (numpy backend): sampled, integrated, summarised and checked together.
DEFAULT_CHUNK = 32768
#: Draws per Monte Carlo chunk with the compiled kernel: its per-chunk work on the calling thread
#: is spread over more draws (2 * 10^6 plan draws, 5 interleaved runs: 6.22 s median at 32768,
#: 6.01 s at 65536).
DEFAULT_CHUNK_NUMBA = 65536

#: SplitMix64 (Steele, Lea & Flood 2014): the counter's increment (the golden-ratio "gamma") and
#: the finaliser's two multipliers, as used by the ``"random"`` sampler
#: (:mod:`jzsim.uncertainty.sampling`) and its compiled twin (:mod:`jzsim.backends.sampling_kernel`).
SPLITMIX_GAMMA = np.uint64(0x9E3779B97F4A7C15)
SPLITMIX_M1 = np.uint64(0xBF58476D1CE4E5B9)
SPLITMIX_M2 = np.uint64(0x94D049BB133111EB)
