"""The compiled kernel: the whole model fused into numba functions, vectorised over lanes of draws
and parallel over blocks of draws.

This module gathers the public names of the three parts: :mod:`~jzsim.backends.numba_codegen`
(code generation), :mod:`~jzsim.backends.numba_template` (the source template) and
:mod:`~jzsim.backends.numba_runtime` (cache, loading, running). What each trick below gained,
measured, is in the design log of ``benchmarks/README.md``.

Shape of the kernel:

* Draws go in blocks of :data:`LANES`; threads take blocks (``prange``). A block lives in one work
  array, variable-major, and every model function is one loop over the block's lanes with
  straight-line arithmetic, which LLVM vectorises (AVX2/AVX-512). ``exp``, ``log`` and ``**`` are
  the branch-free intrinsics of :mod:`jzsim.backends.vmath`, since numba's libm calls would stop
  the vectoriser.
* Expressions of parameters only (constant stocks included) are computed once per block
  (:func:`jzsim.engine.hoist.hoist_constants`), with exactly the operations they replace;
  constant stocks are never stepped.
* The outputs to save are compiled in (one kernel per selection, each cached). At a save step of
  an Euler run one loop computes the outputs and the step, each auxiliary once. Saved values are
  staged per block (contiguous stores) and written to ``out`` once the block's run is over, each
  draw's times in one contiguous row.
* An exponential of a linear function of the time is stepped by multiplication
  (:func:`~jzsim.backends.numba_codegen.time_factors`): a time step is a long chain of dependent
  operations, so the kernel is bound by latency more than by instruction count.
* Lane indices are unsigned (``_u``): with signed ones numba emits negative-index wraparound code,
  and LLVM stopped vectorising loops of more than about 32-40 stores.
* ``kernel_summaries`` summarises the draws as it runs them, for
  :func:`jzsim.uncertainty.montecarlo.monte_carlo`: each parallel part takes a contiguous range of
  blocks of ``block`` draws, and each sub-block of :data:`LANES` draws, once run, is folded into
  its block's summaries from the staging array (:func:`jzsim.backends.lanestats.fold_tile`, after
  a transpose to draws x cells), so trajectories need not go to memory and be read back. The
  staging array stays cell-major (contiguous stores at every save step). The summarising code of
  a sub-block is its own function (``_fold_sub``), out of the parallel loop, which keeps numba's
  cold compile short.

Each draw follows exactly the same instructions whatever block or lane it falls in (a partial last
block repeats its last draw), so per-draw results do not depend on the number of threads, the
chunking or the order of draws. They agree with the numpy kernel and the scalar reference to
rounding (``vmath`` is within 2 ulp of libm, a reciprocal within an ulp of the division, a time
factor within about 32 ulp of its exponential): 1e-12 relative is tested.
"""

from jzsim.backends.numba_cache import cache_dir
from jzsim.backends.numba_codegen import ANCHOR, generate_source, time_factors
from jzsim.backends.numba_runtime import KernelSummaries, NumbaBackend, integrate_numba, load_kernel, load_module
from jzsim.engine.constants import LANES

__all__ = [
    "LANES",
    "ANCHOR",
    "generate_source",
    "time_factors",
    "cache_dir",
    "load_kernel",
    "load_module",
    "integrate_numba",
    "KernelSummaries",
    "NumbaBackend",
]
