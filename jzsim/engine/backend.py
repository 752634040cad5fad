"""The back ends that integrate a compiled model, found by name in a registry they fill.

The engine knows its own back ends (``"numpy"``, the generated numpy kernel, and ``"scalar"``, the
expression-tree interpreter); others register themselves with :func:`register_backend` from a
higher layer (:mod:`jzsim.backends` registers ``"numba"``), so the engine never imports them. A
registration gives a *loader*, called on first use, so that registering a back end costs nothing
(no numba import unless ``backend="numba"`` is asked for).

A back end is any object with the method of :class:`Backend`; what it keeps per model (generated
code, loaded modules) goes into :meth:`jzsim.engine.compiled.CompiledModel.backend_cache`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from jzsim.engine.compiled import CompiledModel, RunSettings

__all__ = ["Backend", "register_backend", "get_backend", "backend_names"]


class Backend(Protocol):
    """What :meth:`jzsim.engine.compiled.CompiledModel.integrate` asks of a back end."""

    #: whether it can save a selection of the outputs (``names``); if not, it saves them all
    selects_outputs: bool

    def integrate(
        self,
        cm: CompiledModel,
        P: list[np.ndarray],
        rs: RunSettings,
        out: np.ndarray,
        select: np.ndarray,
        *,
        batch_size: int,
        threads: int,
    ) -> None:
        """Integrate every draw of ``P`` (one array per parameter, in ``cm.params`` order) and write
        the saved values into ``out`` (outputs, draws, times); ``select[i]`` is the row of
        ``cm.output_names[i]`` in ``out`` (-1: not saved)."""


_LOADERS: dict[str, Callable[[], Backend]] = {}
_LOADED: dict[str, Backend] = {}


def register_backend(name: str, loader: Callable[[], Backend]) -> None:
    """Make ``backend=name`` available: ``loader()`` returns the back end, on first use.

    Registering a name again replaces the earlier registration (e.g. a patched back end in tests).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"backend name is {name!r}; allowed: an identifier such as 'numba'")
    _LOADERS[name] = loader
    _LOADED.pop(name, None)


def backend_names() -> list[str]:
    """Registered back-end names, sorted."""
    return sorted(_LOADERS)


def get_backend(name: str) -> Backend:
    """The back end registered as ``name`` (loaded on first use).

    Raises
    ------
    ValueError
        If no back end of that name is registered (naming those that are).
    """
    if name not in _LOADED:
        if name not in _LOADERS:
            close = difflib.get_close_matches(str(name), backend_names(), n=2)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"backend is {name!r}; allowed: {', '.join(map(repr, backend_names()))}{hint}")
        _LOADED[name] = _LOADERS[name]()
    return _LOADED[name]


class _Numpy:
    """The generated numpy kernel (:mod:`jzsim.engine.kernel_numpy`), in batches, on threads."""

    selects_outputs = True

    def integrate(self, cm, P, rs, out, select, *, batch_size, threads):
        from jzsim.engine.kernel_numpy import integrate

        n = out.shape[1]

        def part(lo: int, hi: int) -> None:
            for a in range(lo, hi, batch_size):
                b = min(hi, a + batch_size)
                integrate(cm, [p if np.ndim(p) == 0 else p[a:b] for p in P], rs, out[:, a:b, :], select)

        cuts = np.linspace(0, n, min(int(threads), max(n, 1)) + 1).astype(int)
        if len(cuts) <= 2:
            part(0, n)
            return
        from concurrent.futures import ThreadPoolExecutor

        errstate = np.geterr()  # the caller's floating-point error handling, in every thread

        def part_in_thread(lo: int, hi: int) -> None:
            with np.errstate(**errstate):
                part(lo, hi)

        with ThreadPoolExecutor(len(cuts) - 2, thread_name_prefix="jzsim-numpy") as pool:
            futures = [pool.submit(part_in_thread, lo, hi) for lo, hi in zip(cuts[:-2], cuts[1:-1])]
            part(cuts[-2], n)
            for f in futures:
                f.result()  # re-raises a part's error


class _Scalar:
    """The expression-tree interpreter (:mod:`jzsim.engine.reference`): one draw at a time."""

    selects_outputs = False

    def integrate(self, cm, P, rs, out, select, *, batch_size, threads):
        from jzsim.engine.reference import integrate_scalar

        integrate_scalar(cm, P, rs, out)


register_backend("numpy", _Numpy)
register_backend("scalar", _Scalar)
