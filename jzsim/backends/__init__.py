"""Back ends generated from one model declaration: the compiled (numba) kernel, registered with the
engine as ``backend="numba"``.

The numpy kernel and the scalar reference live in :mod:`jzsim.engine`; XMILE export in
:mod:`jzsim.io.xmile`. Importing this package registers the compiled back end without importing
numba: numba is imported, and the kernel generated, on the first ``backend="numba"`` run.

Modules: :mod:`~jzsim.backends.numba_codegen` (the kernel's source, from
:mod:`~jzsim.backends.numba_template`), :mod:`~jzsim.backends.numba_runtime` (loading, caching,
running), :mod:`~jzsim.backends.numba_cache` (where compiled code goes),
:mod:`~jzsim.backends.lanestats` (summaries folded inside the kernel), :mod:`~jzsim.backends.vmath`
(vectorisable exp/log/pow), :mod:`~jzsim.backends.sampling_kernel` (the compiled sampler).
"""

from jzsim.engine.backend import register_backend


def _numba_backend():
    try:
        import numba  # noqa: F401
    except ImportError:
        raise ImportError("backend='numba' needs numba: pip install 'jzsim[fast]'") from None
    from jzsim.backends.numba_runtime import NumbaBackend

    return NumbaBackend()


register_backend("numba", _numba_backend)
