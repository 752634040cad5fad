"""Unit checking and lowering: turn declared equations into unit-free expressions.

Each equation is walked once, when the model is built. Units are inferred bottom-up; where two
operands have the same dimension but a different scale (m3 and 1e8 m3), the conversion factor is
folded into the expression as a constant; where the dimensions differ, a :class:`UnitError` names
the equation and both units. The kernels only ever see the lowered expressions.
"""

from __future__ import annotations

from collections.abc import Callable

import pint

from jzsim.engine.expr import COMPARISONS, DIMENSIONLESS_FUNCS, LOGICAL, Const, Dt, Expr, Lookup, Op, Ref, Time
from jzsim.engine.printing import to_text
from jzsim.engine.units import UnitError, conversion_factor, format_units, parse_units, same_dimension, ureg

BOOL = "bool"  # marker for the "unit" of a condition


def _scale(e: Expr, f: float) -> Expr:
    return e if f == 1.0 else Op("mul", (e, Const(f)))


class Lowerer:
    """Infers units of expressions over a model's variables and inserts conversions.

    Parameters
    ----------
    units_of : callable
        Name -> pint unit of a declared variable (raises KeyError if undefined).
    time_units : pint.Unit
    dt : float, optional
        The model's integration step, folded in where equations use ``dt`` (required then).
    """

    def __init__(
        self, units_of: Callable[[str], pint.Unit], time_units: pint.Unit, dt: float | None = None, check: bool = True
    ):
        self.check = check  # False: units are labels (Model(check_units=False)), every number is plain
        self.units_of = units_of
        self.time_units = time_units
        self.dt = dt
        self.where = ""

    def lower_to(self, e: Expr, target: pint.Unit, where: str) -> Expr:
        """Lower ``e`` and convert it to ``target`` units."""
        self.where = where
        if _bare(e):  # an equation that is just a plain number is in its variable's units
            return Const(e.value)
        low, u = self.lower(e)
        if u is BOOL:
            raise UnitError(
                f"{where}: the equation {to_text(e)} is a condition, not a quantity; wrap it in where(cond, a, b)"
            )
        return _scale(low, self._factor(u, target, f"{to_text(e)} has units"))

    def _factor(self, src, dst, what: str) -> float:
        try:
            return conversion_factor(src, dst)
        except UnitError as exc:
            raise UnitError(
                f"{self.where}: {what} {format_units(src)} but {format_units(dst)} is required ({_why(src, dst, exc)})"
            ) from None

    def lower(self, e: Expr) -> tuple[Expr, object]:
        if isinstance(e, Const):
            return Const(e.value), parse_units(e.units if self.check else None)
        if isinstance(e, Ref):
            return e, self.units_of(e.name)
        if isinstance(e, Time):
            return e, self.time_units
        if isinstance(e, Dt):
            if self.dt is None:  # pragma: no cover - CompiledModel always passes dt
                raise UnitError(f"{self.where}: dt is used but the model has no dt")
            return Const(float(self.dt)), self.time_units
        if isinstance(e, Lookup):
            x, ux = self.lower(e.x)
            if not self.check:
                return Lookup(x, e.xs, e.ys), ureg.dimensionless
            x = _scale(x, self._factor(ux, parse_units(e.x_units), f"lookup input {to_text(e.x)} has units"))
            return Lookup(x, e.xs, e.ys), parse_units(e.units)
        assert isinstance(e, Op)
        op = e.op
        parts = [self.lower(a) for a in e.args]
        exprs = [p[0] for p in parts]
        units = [p[1] for p in parts]
        if op in LOGICAL:
            for a, u in zip(e.args, units):
                if u is not BOOL:
                    raise UnitError(f"{self.where}: {op} needs conditions, but {to_text(a)} is a quantity")
            return Op(op, tuple(exprs)), BOOL
        if op == "where":
            if units[0] is not BOOL:
                raise UnitError(f"{self.where}: where() needs a condition first, got {to_text(e.args[0])}")
            b = self._same(e.args[1], units[1], e.args[2], units[2], exprs[2], "where")
            return Op("where", (exprs[0], exprs[1], b)), units[2] if self._takes_other(e.args[1], units[2]) else units[
                1
            ]
        for a, u in zip(e.args, units):
            if u is BOOL:
                raise UnitError(f"{self.where}: the condition {to_text(a)} is used as a quantity in {to_text(e)}")
        if op in ("add", "sub", "min", "max", "mod") or op in COMPARISONS:
            b = self._same(e.args[0], units[0], e.args[1], units[1], exprs[1], op)
            u = units[1] if self._takes_other(e.args[0], units[1]) else units[0]
            return Op(op, (exprs[0], b)), (BOOL if op in COMPARISONS else u)
        if op == "mul":
            return Op(op, tuple(exprs)), units[0] * units[1]
        if op == "div":
            return Op(op, tuple(exprs)), units[0] / units[1]
        if op in ("neg", "abs", "floor", "integer"):
            return Op(op, tuple(exprs)), units[0]
        if op == "sqrt":
            return Op(op, tuple(exprs)), units[0] ** 0.5
        if op in DIMENSIONLESS_FUNCS:
            x = self._dimensionless(e.args[0], units[0], exprs[0], op)
            return Op(op, (x,)), ureg.dimensionless
        if op == "pow":
            expo = self._dimensionless(e.args[1], units[1], exprs[1], "an exponent")
            if isinstance(e.args[1], Const) and e.args[1].units is None:
                return Op("pow", (exprs[0], expo)), units[0] ** e.args[1].value
            base = self._dimensionless(
                e.args[0], units[0], exprs[0], "the base of a power with a non-constant exponent"
            )
            return Op("pow", (base, expo)), ureg.dimensionless
        if op == "step":  # step(height, t0)
            t0 = self._convert(e.args[1], units[1], exprs[1], self.time_units, "step time")
            return Op(op, (exprs[0], t0)), units[0]
        if op == "pulse":  # pulse(height, t0, width)
            t0 = self._convert(e.args[1], units[1], exprs[1], self.time_units, "pulse start")
            w = self._convert(e.args[2], units[2], exprs[2], self.time_units, "pulse width")
            return Op(op, (exprs[0], t0, w)), units[0]
        if op == "ramp":  # ramp(slope, t0, t1): slope per time unit
            t0 = self._convert(e.args[1], units[1], exprs[1], self.time_units, "ramp start")
            t1 = self._convert(e.args[2], units[2], exprs[2], self.time_units, "ramp end")
            return Op(op, (exprs[0], t0, t1)), units[0] * self.time_units
        raise AssertionError(op)  # pragma: no cover - OPS and this function must agree

    def _takes_other(self, e, other) -> bool:
        """Whether ``e`` is a plain number that takes the units of the operand beside it: a literal
        0 (any unit: ``maximum(0, stock)``), or any plain number next to a time (``time > 10``,
        ``time - 20``, ``minimum(tau, 5)`` with ``tau`` a time)."""
        if not _bare(e) or other is BOOL:
            return False
        return e.value == 0.0 or (other != ureg.dimensionless and same_dimension(other, self.time_units))

    def _same(self, ea, ua, eb, ub, lowered_b, op):
        if self._takes_other(eb, ua) or self._takes_other(ea, ub):
            return lowered_b  # maximum(0, stock), where(c, x, 0), time > 10: in the other's units
        try:
            f = conversion_factor(ub, ua)
        except UnitError as exc:
            raise UnitError(
                f"{self.where}: cannot {_VERB.get(op, op)} {to_text(ea)} [{format_units(ua)}] and "
                f"{to_text(eb)} [{format_units(ub)}]: {_why(ua, ub, exc)}"
            ) from None
        return _scale(lowered_b, f)

    def _dimensionless(self, e, u, lowered, what):
        return self._convert(e, u, lowered, ureg.dimensionless, what)

    def _convert(self, e, u, lowered, target, what):
        if target == self.time_units and isinstance(e, Const) and e.units is None:
            return lowered  # a plain number as a time (step(10, 3)) is in the model's time units
        try:
            f = conversion_factor(u, target)
        except UnitError:
            raise UnitError(
                f"{self.where}: {what} {to_text(e)} has units {format_units(u)}, but {format_units(target)} is required"
            ) from None
        return _scale(lowered, f)


_VERB = {
    "add": "add",
    "sub": "subtract",
    "min": "take the minimum of",
    "max": "take the maximum of",
    "lt": "compare",
    "le": "compare",
    "gt": "compare",
    "ge": "compare",
    "where": "choose between",
    "eq": "compare",
    "ne": "compare",
    "mod": "take the remainder of",
}


def _bare(e: Expr) -> bool:
    """A plain number written without units."""
    return isinstance(e, Const) and e.units is None


def _why(a, b, exc: UnitError) -> str:
    """The dimensions of two units that do not fit, or the reason when they have the same ones."""
    if same_dimension(a, b):
        return str(exc)  # e.g. temperatures on two offset scales
    return f"{_dims(a)} vs {_dims(b)}"


def _dims(u) -> str:
    d = ureg.Quantity(1.0, u).dimensionality
    return str(d) if d else "dimensionless"
