"""Readable text of equations (for documentation, errors and ``repr``)."""

from __future__ import annotations

from jzsim.engine.expr import Const, Dt, Expr, Lookup, Op, Ref, Time

_INFIX = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "and": "&",
    "or": "|",
}
_PREC = {
    "or": 1,
    "and": 2,
    "lt": 3,
    "le": 3,
    "gt": 3,
    "ge": 3,
    "add": 4,
    "sub": 4,
    "mul": 5,
    "div": 5,
    "neg": 6,
    "not": 6,
    "pow": 7,
}
_FUNC = {"min": "minimum", "max": "maximum", "abs": "abs_", "mod": "modulo"}


def to_text(e: Expr, parent: int = 0) -> str:
    """Python-like text of ``e``, with the fewest parentheses that keep its meaning."""
    if isinstance(e, Const):
        v = f"{e.value:g}"
        return f"const({v}, {e.units!r})" if e.units else v
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, Time):
        return "time"
    if isinstance(e, Dt):
        return "dt"
    if isinstance(e, Lookup):
        return f"lookup({to_text(e.x)}, {list(e.xs)}, {list(e.ys)})"
    assert isinstance(e, Op)
    if e.op in _INFIX:
        p = _PREC[e.op]
        a = to_text(e.args[0], p if e.op != "pow" else p + 1)
        b = to_text(e.args[1], p + 1 if e.op in ("sub", "div") or e.op in _PREC and p == 3 else p)
        s = f"{a} {_INFIX[e.op]} {b}"
        return f"({s})" if p < parent else s
    if e.op in ("neg", "not"):
        s = ("-" if e.op == "neg" else "~") + to_text(e.args[0], 6)
        return f"({s})" if 6 < parent else s
    name = _FUNC.get(e.op, e.op)
    return f"{name}({', '.join(to_text(a) for a in e.args)})"
