"""Units: one pint registry with the units a regional plan needs.

Units are checked once, when a model is built (:meth:`jzsim.engine.Model.build`); the kernels
only ever see plain floats with the conversion factors already folded in.
"""

from __future__ import annotations

import functools
import re
import warnings

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
million_m3 = 1e6 * m ** 3
"""

#: temperatures on an offset scale, read as degrees of that scale (pint's ``delta_`` units)
_OFFSET = re.compile(
    r"(?<![\w])(°F|°C|degF|degC|degree_Fahrenheit|degree_Celsius|degreeF|degreeC|fahrenheit|celsius)(?![\w])"
)
_MEGA_CUBED = re.compile(r"(?<![\w])Mm(\s*(\*\*|\^)\s*3|3)(?![\w])")


@functools.cache
def _registry() -> pint.UnitRegistry:
    reg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _DEFINITIONS.strip().splitlines():
        reg.define(line)
    return reg


ureg = _registry()


def parse_units(text: str | None) -> pint.Unit:
    """Parse a unit string (``"yiyuan/year"``, ``"1"``, ``"percent"``) into a pint unit.

    Temperatures on an offset scale (``degF``, ``degC``, ``degree_Celsius`` ...) are read as
    degrees of that scale (pint's ``delta_degF``, ``delta_degC``): a stock of tea at 180 degF
    and its rate of change in degF/minute then fit together, and the numbers are the user's
    own. Converting such a temperature to another scale is refused (:func:`conversion_factor`),
    since a factor alone would lose the offset.

    Warns (``UserWarning``) for ``Mm**3``: ``Mm`` is the megametre, so ``Mm**3`` is 1e18 m3, not a
    million cubic metres (write ``million_m3``).

    Raises
    ------
    UnitError
        If the string is not a unit pint knows (with jzsim's own definitions).
    """
    if text is not None and _MEGA_CUBED.search(str(text)):
        warnings.warn(
            f"units {text!r}: Mm is the megametre (1e6 m), so Mm**3 is 1e18 m3; for millions of cubic "
            "metres write 'million_m3' (or yi_m3 for 1e8 m3, wan_m3 for 1e4 m3)",
            UserWarning,
            stacklevel=2,
        )
    return _parse_units(text)


@functools.lru_cache(maxsize=4096)
def _parse_units(text: str | None) -> pint.Unit:
    if text is None or str(text).strip() in ("", "1", "dimensionless"):
        return ureg.dimensionless
    try:
        q = ureg.parse_expression(_OFFSET.sub(lambda m: "delta_" + _OFFSET_NAMES.get(m[1], m[1]), str(text)))
    except Exception as exc:  # pint raises several error types
        raise UnitError(f"unknown units {text!r}: {exc}") from None
    if isinstance(q, (int, float)):
        if q != 1:
            raise UnitError(f"units {text!r} are a bare number; write a unit such as '1' or 'percent'")
        return ureg.dimensionless
    if q.magnitude != 1:
        raise UnitError(f"units {text!r} carry a factor {q.magnitude}; declare a named unit instead")
    return q.units


_OFFSET_NAMES = {
    "°F": "degF",
    "°C": "degC",
    "degreeF": "degF",
    "degreeC": "degC",
    "fahrenheit": "degF",
    "celsius": "degC",
}


def _temperature(u: pint.Unit) -> dict[str, float]:
    return {k: p for k, p in u._units.items() if "[temperature]" in str(ureg.Quantity(1.0, k).dimensionality)}


def conversion_factor(src: pint.Unit, dst: pint.Unit) -> float:
    """Factor f so that a value in ``src`` times f is the value in ``dst``.

    Raises
    ------
    UnitError
        If the two units have different dimensions, or are temperatures on different scales one
        of which has an offset (degF, degC: the offset cannot be a factor).
    """
    if src == dst:
        return 1.0
    ts, td = _temperature(src), _temperature(dst)
    if ts != td and any(k.startswith("delta_degree") for k in (*ts, *td)):
        raise UnitError(
            f"{format_units(src)} cannot be converted to {format_units(dst)}: temperatures in degF or "
            "degC are degrees of a scale with an offset, which a factor cannot convert; declare every "
            "temperature of the model in the same scale (all 'degF', or all 'degC', or 'kelvin')"
        )
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
