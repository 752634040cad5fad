"""Symbolic equations.

Equations are trees of :class:`Expr` nodes built with Python operators and the functions in
:mod:`jzsim.engine.functions`. The engine reads their structure to check units, order the
auxiliaries, and generate each back end (numpy kernel, numba kernel, scalar reference, XMILE).
Nodes are immutable; ``==`` is deliberately not overloaded so that nodes stay hashable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Expr", "Const", "Ref", "Time", "Dt", "Op", "Lookup", "as_expr", "walk", "refs"]

#: operator name -> arity. The back ends implement exactly these.
OPS = {
    "add": 2,
    "sub": 2,
    "mul": 2,
    "div": 2,
    "pow": 2,
    "neg": 1,
    "lt": 2,
    "le": 2,
    "gt": 2,
    "ge": 2,
    "and": 2,
    "or": 2,
    "not": 1,
    "min": 2,
    "max": 2,
    "where": 3,
    "exp": 1,
    "log": 1,
    "sqrt": 1,
    "abs": 1,
    "step": 2,
    "ramp": 3,
    "pulse": 3,
    "lookup": 1,
    "eq": 2,
    "ne": 2,
    "sin": 1,
    "cos": 1,
    "tan": 1,
    "arctan": 1,
    "arcsin": 1,
    "arccos": 1,
    "floor": 1,
    "integer": 1,
    "mod": 2,
}
COMPARISONS = {"lt", "le", "gt", "ge", "eq", "ne"}
#: functions of one dimensionless argument giving a dimensionless value (angles in radians)
DIMENSIONLESS_FUNCS = {"exp", "log", "sin", "cos", "tan", "arctan", "arcsin", "arccos"}
LOGICAL = {"and", "or", "not"}


class Expr:
    """Base class of equation nodes; supports ``+ - * / ** -x < <= > >= & | ~``."""

    __slots__ = ()

    def __add__(self, o):
        return Op("add", (self, as_expr(o)))

    def __radd__(self, o):
        return Op("add", (as_expr(o), self))

    def __sub__(self, o):
        return Op("sub", (self, as_expr(o)))

    def __rsub__(self, o):
        return Op("sub", (as_expr(o), self))

    def __mul__(self, o):
        return Op("mul", (self, as_expr(o)))

    def __rmul__(self, o):
        return Op("mul", (as_expr(o), self))

    def __truediv__(self, o):
        return Op("div", (self, as_expr(o)))

    def __rtruediv__(self, o):
        return Op("div", (as_expr(o), self))

    def __pow__(self, o):
        return Op("pow", (self, as_expr(o)))

    def __rpow__(self, o):
        return Op("pow", (as_expr(o), self))

    def __neg__(self):
        return Op("neg", (self,))

    def __pos__(self):
        return self

    def __lt__(self, o):
        return Op("lt", (self, as_expr(o)))

    def __le__(self, o):
        return Op("le", (self, as_expr(o)))

    def __gt__(self, o):
        return Op("gt", (self, as_expr(o)))

    def __ge__(self, o):
        return Op("ge", (self, as_expr(o)))

    def __and__(self, o):
        return Op("and", (self, as_expr(o)))

    def __or__(self, o):
        return Op("or", (self, as_expr(o)))

    def __invert__(self):
        return Op("not", (self,))

    def __bool__(self):
        raise TypeError(
            "an equation was used in Python control flow (if/and/or/while); equations must stay "
            "symbolic: use jzsim.engine.functions.where(cond, a, b), minimum or maximum instead"
        )

    def __repr__(self) -> str:
        from jzsim.engine.printing import to_text

        return to_text(self)


@dataclass(frozen=True, eq=False, repr=False)
class Const(Expr):
    """A number; ``units`` None means dimensionless."""

    value: float
    units: str | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Ref(Expr):
    """A reference to a declared variable (stock, flow, auxiliary or parameter) by name."""

    name: str


@dataclass(frozen=True, eq=False, repr=False)
class Time(Expr):
    """Simulation time, in the model's time units."""


@dataclass(frozen=True, eq=False, repr=False)
class Dt(Expr):
    """The integration step ``dt``, in the model's time units (a constant of a run: it is
    folded in as a number when the model is built)."""


@dataclass(frozen=True, eq=False, repr=False)
class Op(Expr):
    op: str
    args: tuple[Expr, ...]

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"unknown operation {self.op!r}; allowed: {sorted(OPS)}")


@dataclass(frozen=True, eq=False, repr=False)
class Lookup(Expr):
    """Piecewise-linear table ``ys(xs)`` evaluated at ``x``, held flat outside ``xs``."""

    x: Expr
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    x_units: str | None = None
    units: str | None = None


def as_expr(v) -> Expr:
    """Wrap a Python number as a dimensionless :class:`Const`; pass expressions through."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"a boolean {v!r} cannot be used in an equation; use a comparison")
    if isinstance(v, (int, float, np.integer, np.floating)):
        if not np.isfinite(v):
            raise ValueError(f"a constant in an equation is {v!r}; allowed: finite numbers")
        return Const(float(v))
    raise TypeError(f"cannot use {type(v).__name__} {v!r} in an equation; allowed: numbers and expressions")


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Op):
        return e.args
    if isinstance(e, Lookup):
        return (e.x,)
    return ()


def walk(e: Expr):
    """Yield every node of ``e``, depth first, left to right."""
    stack = [e]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def refs(e: Expr) -> list[str]:
    """Names referenced by ``e``, each once, in order of first appearance (deterministic, so that
    evaluation order and generated code do not depend on Python's string hashing)."""
    return list(dict.fromkeys(n.name for n in walk(e) if isinstance(n, Ref)))
