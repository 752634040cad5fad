"""A small TOML writer for scenarios (reading is :mod:`tomllib`'s).

It writes what a :class:`~jzsim.scenarios.Scenario` holds: strings, finite floats, booleans,
lists of those, top-level keys, tables and tables of tables (``[schedules.<name>]``). Strings are
TOML basic strings with JSON's escapes (a subset of TOML's); floats are written with ``repr``, so
they read back bit for bit. A dependency (``tomli-w``) would do the same job for more types; this
is the whole of what scenarios need.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"cannot write {v!r} to TOML; allowed: finite numbers")
        return repr(f)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} to TOML")


def dumps(doc: Mapping[str, Any]) -> str:
    """``doc`` as TOML text: plain keys first, then one ``[table]`` per mapping value, with
    ``[table.sub]`` for mappings inside it (two levels, what a scenario needs)."""
    lines: list[str] = []
    tables = []
    for k, v in doc.items():
        if isinstance(v, Mapping):
            tables.append((k, v))
        elif v is not None:
            lines.append(f"{_key(k)} = {_value(v)}")
    for name, table in tables:
        plain = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        subs = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if plain or not subs:
            lines += ["", f"[{_key(name)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
        for sub, inner in subs.items():
            if any(isinstance(x, Mapping) for x in inner.values()):
                raise TypeError(f"[{name}.{sub}] holds a table; this writer stops at two levels")
            lines += ["", f"[{_key(name)}.{_key(sub)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in inner.items()]
    return "\n".join(lines).lstrip("\n") + "\n"
