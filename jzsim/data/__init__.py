"""Packaged data: parameters (``parameters/<sector>.csv``), targets and history, all sourced.

Every number cites the plan (chapter and line), a public source, or is marked as an assumption
with its reasoning. :func:`data_hash` identifies the exact data behind a run.
"""

from __future__ import annotations

import hashlib
from importlib import resources

__all__ = ["data_hash", "data_files"]


def data_files() -> list:
    """The packaged CSV files, in a stable order."""
    root = resources.files("jzsim.data")
    files = [p for p in root.iterdir() if p.name.endswith(".csv")]
    sub = root.joinpath("parameters")
    if sub.is_dir():
        files += [p for p in sub.iterdir() if p.name.endswith(".csv")]
    return sorted(files, key=lambda p: str(p))


def data_hash() -> str:
    """SHA-256 (first 16 hex digits) over the names and contents of the packaged data files."""
    h = hashlib.sha256()
    for f in data_files():
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]
