"""Import/export of jzsim models (XMILE)."""

from jzsim.io.xmile import pysd_name, pysd_names, pysd_runner, read_pysd, to_xmile, write_xmile, xmile_names
from jzsim.io.xmile_import import XmileError, read_xmile

__all__ = [
    "to_xmile",
    "write_xmile",
    "xmile_names",
    "pysd_name",
    "pysd_names",
    "read_pysd",
    "pysd_runner",
    "read_xmile",
    "XmileError",
]
