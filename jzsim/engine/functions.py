"""Functions available inside equations.

All are elementwise over draws and symbolic: they build :class:`~jzsim.engine.expr.Expr` nodes
that every back end (numpy, numba, scalar reference, XMILE) understands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jzsim.engine.expr import Const, Dt, Expr, Lookup, Op, Time, as_expr

__all__ = [
    "minimum",
    "maximum",
    "clip",
    "where",
    "exp",
    "log",
    "sqrt",
    "abs_",
    "step",
    "ramp",
    "pulse",
    "lookup",
    "const",
    "time",
    "dt",
    "sin",
    "cos",
    "tan",
    "arctan",
    "arcsin",
    "arccos",
    "floor",
    "integer",
    "modulo",
    "power",
    "eq",
    "ne",
]


def minimum(a, b) -> Expr:
    """Elementwise minimum of ``a`` and ``b`` (compatible units)."""
    return Op("min", (as_expr(a), as_expr(b)))


def maximum(a, b) -> Expr:
    """Elementwise maximum of ``a`` and ``b`` (compatible units)."""
    return Op("max", (as_expr(a), as_expr(b)))


def clip(x, lo, hi) -> Expr:
    """``x`` limited to ``[lo, hi]``: ``minimum(maximum(x, lo), hi)``."""
    return minimum(maximum(x, lo), hi)


def where(cond, a, b) -> Expr:
    """``a`` where the condition holds, else ``b`` (``a`` and ``b`` of compatible units)."""
    return Op("where", (as_expr(cond), as_expr(a), as_expr(b)))


def exp(x) -> Expr:
    """Exponential of a dimensionless ``x``."""
    return Op("exp", (as_expr(x),))


def log(x) -> Expr:
    """Natural logarithm of a dimensionless ``x``."""
    return Op("log", (as_expr(x),))


def sqrt(x) -> Expr:
    """Square root (units are halved in power)."""
    return Op("sqrt", (as_expr(x),))


def abs_(x) -> Expr:
    """Absolute value."""
    return Op("abs", (as_expr(x),))


def step(height, t0) -> Expr:
    """``height`` from time ``t0`` on, 0 before (Vensim/XMILE ``STEP``)."""
    return Op("step", (as_expr(height), as_expr(t0)))


def ramp(slope, t0, t1) -> Expr:
    """0 before ``t0``, rising by ``slope`` per time unit until ``t1``, then flat (``RAMP``)."""
    return Op("ramp", (as_expr(slope), as_expr(t0), as_expr(t1)))


def pulse(height, t0, width) -> Expr:
    """``height`` for ``t0 <= t < t0 + width``, 0 otherwise (``PULSE``)."""
    return Op("pulse", (as_expr(height), as_expr(t0), as_expr(width)))


def lookup(
    x, xs: Sequence[float], ys: Sequence[float], *, units: str | None = None, x_units: str | None = None
) -> Expr:
    """Piecewise-linear table lookup (graphical function).

    Parameters
    ----------
    x : Expr or float
        Where to read the table; converted to ``x_units``.
    xs, ys : sequence of float
        Table points; ``xs`` strictly increasing, at least two points, all finite.
    units : str, optional
        Units of ``ys`` (default dimensionless).
    x_units : str, optional
        Units of ``xs`` (default dimensionless). Use ``"year"`` with ``x=time()`` for a time series.
    """
    xs_a = np.asarray(xs, dtype=float)
    ys_a = np.asarray(ys, dtype=float)
    if xs_a.ndim != 1 or xs_a.shape != ys_a.shape or xs_a.size < 2:
        raise ValueError(f"lookup needs xs and ys of the same length >= 2; got {xs_a.shape} and {ys_a.shape}")
    if not (np.all(np.isfinite(xs_a)) and np.all(np.isfinite(ys_a))):
        raise ValueError("lookup xs and ys must be finite numbers (no NaN or inf)")
    if np.any(np.diff(xs_a) <= 0):
        raise ValueError(f"lookup xs must be strictly increasing; got {xs_a.tolist()}")
    return Lookup(as_expr(x), tuple(xs_a.tolist()), tuple(ys_a.tolist()), x_units, units)


def const(value: float, units: str | None = None) -> Expr:
    """A dimensioned constant, e.g. ``const(5, "yiyuan/year")``."""
    c = as_expr(value)
    return Const(c.value, units)


def time() -> Expr:
    """Simulation time."""
    return Time()


def dt() -> Expr:
    """The integration step, in the model's time units (``DT`` of XMILE, ``TIME STEP`` of Vensim).

    It is folded in as a number when the model is built, so a model whose equations use it runs
    with the ``dt`` it was declared with (a run that asks for another ``dt`` is refused).
    """
    return Dt()


def sin(x) -> Expr:
    """Sine of a dimensionless ``x`` in radians (``SIN``)."""
    return Op("sin", (as_expr(x),))


def cos(x) -> Expr:
    """Cosine of a dimensionless ``x`` in radians (``COS``)."""
    return Op("cos", (as_expr(x),))


def tan(x) -> Expr:
    """Tangent of a dimensionless ``x`` in radians (``TAN``)."""
    return Op("tan", (as_expr(x),))


def arctan(x) -> Expr:
    """Arc tangent of a dimensionless ``x``, in radians (``ARCTAN``)."""
    return Op("arctan", (as_expr(x),))


def arcsin(x) -> Expr:
    """Arc sine of a dimensionless ``x`` in [-1, 1], in radians (``ARCSIN``)."""
    return Op("arcsin", (as_expr(x),))


def arccos(x) -> Expr:
    """Arc cosine of a dimensionless ``x`` in [-1, 1], in radians (``ARCCOS``)."""
    return Op("arccos", (as_expr(x),))


def floor(x) -> Expr:
    """Largest whole number ``<= x``, in the units of ``x`` (XMILE ``INT``: ``floor(-2.5) == -3``)."""
    return Op("floor", (as_expr(x),))


def integer(x) -> Expr:
    """``x`` with its fraction dropped, towards zero (Vensim ``INTEGER``: ``integer(-2.5) == -2``)."""
    return Op("integer", (as_expr(x),))


def modulo(a, b) -> Expr:
    """Remainder of ``a / b`` with the sign of ``b``: ``a - b * floor(a / b)`` (XMILE ``MOD``, numpy
    ``mod``); ``a`` and ``b`` of compatible units, result in ``a``'s. Vensim's ``MODULO`` keeps the
    sign of ``a`` (C's ``fmod``): write ``a - b * integer(a / b)`` for it."""
    return Op("mod", (as_expr(a), as_expr(b)))


def power(a, b) -> Expr:
    """``a ** b`` (Vensim ``POWER``); see ``**`` for the units rule."""
    return Op("pow", (as_expr(a), as_expr(b)))


def eq(a, b) -> Expr:
    """The condition ``a == b`` (compatible units; ``==`` itself is not overloaded on equations)."""
    return Op("eq", (as_expr(a), as_expr(b)))


def ne(a, b) -> Expr:
    """The condition ``a != b`` (compatible units)."""
    return Op("ne", (as_expr(a), as_expr(b)))
