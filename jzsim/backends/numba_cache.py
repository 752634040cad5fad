"""Where the compiled code goes: a user cache directory, never the source tree.

* Generated kernel modules (:mod:`jzsim.backends.numba_runtime`) are written to :func:`cache_dir`:
  ``$JZSIM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/jzsim/kernels`` (``~/.cache/jzsim/kernels``).
  numba caches their machine code beside them (``__pycache__`` of that directory).
* The package's own compiled functions (:mod:`jzsim.backends.lanestats`,
  :mod:`jzsim.backends.sampling_kernel`) are decorated with :func:`cached`, which puts their
  machine code in ``<cache_dir>/numba`` instead of ``jzsim/backends/__pycache__``.

Why not set ``NUMBA_CACHE_DIR``: numba reads it once, when numba is imported, and it then applies
to every library in the process; setting it from jzsim would move other libraries' caches (or do
nothing, if numba was imported first). :func:`cached` instead gives each of jzsim's own dispatchers
a cache whose locator points at jzsim's directory, leaving numba's configuration and other
libraries alone. A ``NUMBA_CACHE_DIR`` the user sets still wins, as numba documents.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "numba_cache_dir", "cached"]


def cache_dir() -> Path:
    """Directory of the generated kernels (created if missing): ``$JZSIM_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/jzsim/kernels``, else ``~/.cache/jzsim/kernels``."""
    env = os.environ.get("JZSIM_CACHE_DIR")
    if env:
        d = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        d = Path(base) / "jzsim" / "kernels"
    d.mkdir(parents=True, exist_ok=True)
    return d


def numba_cache_dir() -> Path:
    """Directory of the machine code of jzsim's own compiled functions: ``<cache_dir>/numba``."""
    return cache_dir() / "numba"


def cached(dispatcher):
    """Cache a numba dispatcher's machine code under :func:`numba_cache_dir` (use in place of
    ``cache=True``, above ``@numba.njit(...)``). Returns the dispatcher.

    This uses numba's cache classes (``numba.core.caching``), which are not a public API: should a
    numba version lack them, the dispatcher gets numba's own ``cache=True`` behaviour instead.
    """
    try:
        cache = _function_cache()
    except (ImportError, AttributeError):  # pragma: no cover - another numba's internals
        dispatcher.enable_caching()
        return dispatcher
    dispatcher._cache = cache(dispatcher.py_func)
    return dispatcher


_CACHE_CLASS = None


def _function_cache():
    """numba's ``FunctionCache`` with jzsim's locator after ``NUMBA_CACHE_DIR``'s (built once)."""
    global _CACHE_CLASS
    if _CACHE_CLASS is None:
        from numba.core import caching

        class Locator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
            def __init__(self, py_func, py_file):
                self._py_file = py_file
                self._lineno = py_func.__code__.co_firstlineno
                self._cache_path = str(numba_cache_dir() / self.get_suitable_cache_subpath(py_file))

            def get_cache_path(self):
                return self._cache_path

        class Impl(caching.CompileResultCacheImpl):
            _locator_classes = [caching.UserProvidedCacheLocator, Locator]

        class Cache(caching.FunctionCache):
            _impl_class = Impl

        _CACHE_CLASS = Cache
    return _CACHE_CLASS
