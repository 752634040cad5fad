"""Sectors: the unit a model is assembled from."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from jzsim.engine.model import Model


class Sector:
    """One part of a model that declares its own stocks, flows and auxiliaries.

    Subclasses set ``name`` and ``inputs`` (the names they read from other sectors; reading an
    unlisted name is refused when the model is built) and implement :meth:`declare`. The class
    docstring lists the sector's equations with units and sources.
    """

    name: ClassVar[str] = ""
    inputs: ClassVar[tuple[str, ...]] = ()

    def declare(self, m: Model) -> None:  # pragma: no cover - abstract
        """Declare the sector's stocks, flows and auxiliaries into the model ``m``."""
        raise NotImplementedError

    @classmethod
    def equations(cls) -> str:
        """The sector's documented equations (its docstring)."""
        return inspect.cleandoc(cls.__doc__ or "")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sector {self.name!r}>"
