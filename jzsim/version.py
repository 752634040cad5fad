"""The installed version of jzsim (``0.0.0+unknown`` when run from a source tree without install).

Its own module, below every other, so that a module recording the version in its results does not
import the package facade (:mod:`jzsim`) that imports it.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("jzsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"
