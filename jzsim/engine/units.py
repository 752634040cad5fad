"""Units: one pint registry with the units a regional plan needs.

Units are checked once, when a model is built (:meth:`jzsim.engine.Model.build`); the kernels
only ever see plain floats with the conversion factors already folded in.
"""

from __future__ import annotations

import functools

import pint

__all__ = ["UnitError", "ureg", "parse_units", "conversion_factor", "format_units"]


class UnitError(ValueError):
    """A dimensional inconsistency or an unknown unit, found when a model is built."""


_DEFINITIONS = """
yuan = [currency]
wanyuan = 1e4 * yuan
yiyuan = 1e8 * yuan
person = [population] = persons = people
wan_person = 1e4 * person
head = [livestock]
wan_head = 1e4 * head
mu = 10000 / 15 * m ** 2
wan_mu = 1e4 * mu
yi_m3 = 1e8 * m ** 3
wan_m3 = 1e4 * m ** 3
m3 = m ** 3
wan_t = 1e4 * t
"""


@functools.cache
def _registry() -> pint.UnitRegistry:
    reg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _DEFINITIONS.strip().splitlines():
        reg.define(line)
    return reg


ureg = _registry()


@functools.lru_cache(maxsize=4096)
def parse_units(text: str | None) -> pint.Unit:
    """Parse a unit string (``"yiyuan/year"``, ``"1"``, ``"percent"``) into a pint unit.

    Raises
    ------
    UnitError
        If the string is not a unit pint knows (with jzsim's own definitions).
    """
    if text is None or str(text).strip() in ("", "1", "dimensionless"):
        return ureg.dimensionless
    try:
        q = ureg.parse_expression(str(text))
    except Exception as exc:  # pint raises several error types
        raise UnitError(f"unknown units {text!r}: {exc}") from None
    if isinstance(q, (int, float)):
        if q != 1:
            raise UnitError(f"units {text!r} are a bare number; write a unit such as '1' or 'percent'")
        return ureg.dimensionless
    if q.magnitude != 1:
        raise UnitError(f"units {text!r} carry a factor {q.magnitude}; declare a named unit instead")
    return q.units


def conversion_factor(src: pint.Unit, dst: pint.Unit) -> float:
    """Factor f so that a value in ``src`` times f is the value in ``dst``.

    Raises
    ------
    UnitError
        If the two units have different dimensions.
    """
    if src == dst:
        return 1.0
    try:
        return float(ureg.Quantity(1.0, src).to(dst).magnitude)
    except pint.DimensionalityError:
        raise UnitError(
            f"{format_units(src)} ({_dims(src)}) cannot be converted to {format_units(dst)} ({_dims(dst)})"
        ) from None


def same_dimension(a: pint.Unit, b: pint.Unit) -> bool:
    return ureg.Quantity(1.0, a).dimensionality == ureg.Quantity(1.0, b).dimensionality


def _dims(u: pint.Unit) -> str:
    d = ureg.Quantity(1.0, u).dimensionality
    return str(d) if d else "dimensionless"


def format_units(u: pint.Unit) -> str:
    """Human-readable unit string, ``"1"`` for dimensionless."""
    return "1" if u == ureg.dimensionless else str(u)
