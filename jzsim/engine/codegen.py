"""Code generation from lowered equations, in three dialects.

``numpy``: every name is an array over draws (or a scalar broadcast against them); used by the
numpy kernel, which loops in Python over time steps only.
``scalar``: every name is a Python float for one draw; used by the scalar reference and readable as
plain Python.
``lanes``: the scalar dialect for the body of the compiled kernel's loop over the lanes of a block
of draws: ``exp``, ``log`` and ``**`` call the vectorisable functions of
:mod:`jzsim.backends.vmath` (``_vexp``, ``_vlog``, ``_vpow``) and a lookup is an unrolled chain of
selects (``_lookupK``) with the formula of ``numpy.interp``, so that LLVM can vectorise the loop.

All three emit the same operations in the same order, so the kernels agree to rounding.
"""

from __future__ import annotations

from jzsim.engine.expr import Const, Expr, Lookup, Op, Ref, Time, walk

_BIN = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "eq": "==",
    "ne": "!=",
}
#: functions of the standard library, per dialect (the scalar dialects call numpy's functions for
#: floor/trunc/mod: ``math.floor`` returns an integer, and numba's would be an int64)
_NUMPY_FUNCS = {
    "sin": "_np.sin",
    "cos": "_np.cos",
    "tan": "_np.tan",
    "arctan": "_np.arctan",
    "arcsin": "_np.arcsin",
    "arccos": "_np.arccos",
    "floor": "_np.floor",
    "integer": "_np.trunc",
    "mod": "_np.mod",
}
_SCALAR_FUNCS = {
    "sin": "_math.sin",
    "cos": "_math.cos",
    "tan": "_math.tan",
    "arctan": "_math.atan",
    "arcsin": "_math.asin",
    "arccos": "_math.acos",
    "floor": "_np.floor",
    "integer": "_np.trunc",
    "mod": "_np.mod",
}
_LANES_FUNCS = _SCALAR_FUNCS


class Emitter:
    """Turns lowered expressions into source text.

    Parameters
    ----------
    names : dict
        Variable name -> local identifier in the generated code.
    dialect : {"numpy", "scalar", "lanes"}
    """

    def __init__(self, names: dict[str, str], dialect: str):
        self.names = names
        self.dialect = dialect
        self.tables: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
        self.fills: list[float] = []  # numpy: constants passed to minimum/maximum as full arrays
        self.use_fills = False
        self.hoisted: dict[str, str] = {}  # lanes: call -> name of a lookup of the time alone

    def preamble(self, indent: str = "    ") -> str:
        """lanes: the lookups of the time alone (``_tlK = _lookupJ(t)``), the same in every lane:
        evaluated once per call, before the loop over the lanes, which then reads ``_tlK``. The
        same function of the same ``t``: the same bits, without a chain of selects per lane (a
        table of 25 years in the lane loop made the plan kernel 3.2x slower)."""
        return "\n".join(f"{indent}{name} = {call}" for call, name in self.hoisted.items())

    def fill(self, value: float) -> str:
        """Name of a full-width array of ``value`` (numpy dialect with ``use_fills``; ``_F{k}``, made
        once per chunk by the numpy kernel's ``_consts``).

        ``np.maximum(x, 0.0)`` takes numpy's slow broadcasting loop (about 2.5x the cost of
        ``np.maximum(x, y)`` for 4096 draws); an array of zeros gives the same values the fast way.
        """
        if value not in self.fills:
            self.fills.append(value)
        return f"_F{self.fills.index(value)}"

    def table_index(self, e: Lookup) -> int:
        key = (e.xs, e.ys)
        if key not in self.tables:
            self.tables.append(key)
        return self.tables.index(key)

    def emit(self, e: Expr) -> str:
        np_ = self.dialect == "numpy"
        if isinstance(e, Const):
            return repr(float(e.value))
        if isinstance(e, Ref):
            return self.names[e.name]
        if isinstance(e, Time):
            return "t"
        if isinstance(e, Lookup):
            k = self.table_index(e)
            if self.dialect == "lanes":
                call = f"_lookup{k}({self.emit(e.x)})"
                if all(isinstance(n, (Const, Time, Op, Lookup)) for n in walk(e.x)):
                    return self.hoisted.setdefault(call, f"_tl{len(self.hoisted)}")
                return call
            fn = "_np.interp" if np_ else "_interp"
            return f"{fn}({self.emit(e.x)}, _XS{k}, _YS{k})"
        assert isinstance(e, Op)
        a = [self.emit(x) for x in e.args]
        op = e.op
        if self.dialect == "lanes" and op == "pow":
            return f"_vpow({a[0]}, {a[1]})"
        if np_ and op == "pow":  # numbers too take numpy's array loop (jzsim.engine.kernel_numpy._pow)
            return f"_pow({a[0]}, {a[1]})"
        if op in _BIN:
            return f"({a[0]} {_BIN[op]} {a[1]})"
        if op == "neg":
            return f"(-{a[0]})"
        if np_:
            simple = {
                "min": "_np.minimum",
                "max": "_np.maximum",
                "exp": "_np.exp",
                "log": "_np.log",
                "sqrt": "_np.sqrt",
                "abs": "_np.abs",
                "and": "_np.logical_and",
                "or": "_np.logical_or",
                "not": "_np.logical_not",
                "where": "_np.where",
                **_NUMPY_FUNCS,
            }
            if op in ("min", "max") and self.use_fills:
                a = [self.fill(float(x.value)) if isinstance(x, Const) else s for x, s in zip(e.args, a)]
            if op in simple:
                return f"{simple[op]}({', '.join(a)})"
            if op == "step":
                return f"_np.where(t >= {a[1]}, {a[0]}, 0.0)"
            if op == "pulse":
                return f"_np.where(_np.logical_and(t >= {a[1]}, t < ({a[1]} + {a[2]})), {a[0]}, 0.0)"
            if op == "ramp":
                return f"({a[0]} * (_np.minimum(_np.maximum(t, {a[1]}), {a[2]}) - {a[1]}))"
        else:
            simple = {
                "min": "min",
                "max": "max",
                "exp": "_math.exp",
                "log": "_math.log",
                "sqrt": "_math.sqrt",
                "abs": "abs",
                **(_LANES_FUNCS if self.dialect == "lanes" else _SCALAR_FUNCS),
            }
            if self.dialect == "lanes":
                simple.update(exp="_vexp", log="_vlog")
            if op in simple:
                return f"{simple[op]}({', '.join(a)})"
            if op == "and":
                return f"({a[0]} and {a[1]})"
            if op == "or":
                return f"({a[0]} or {a[1]})"
            if op == "not":
                return f"(not {a[0]})"
            if op == "where":
                return f"({a[1]} if {a[0]} else {a[2]})"
            if op == "step":
                return f"({a[0]} if t >= {a[1]} else 0.0)"
            if op == "pulse":
                return f"({a[0]} if (t >= {a[1]} and t < ({a[1]} + {a[2]})) else 0.0)"
            if op == "ramp":
                return f"({a[0]} * (min(max(t, {a[1]}), {a[2]}) - {a[1]}))"
        raise AssertionError(op)  # pragma: no cover

    def table_source(self) -> str:
        if self.dialect == "lanes":
            parts = [
                lookup_select_source(k, xs, ys) if len(xs) <= UNROLL_MAX else lookup_data_source(k, xs, ys)
                for k, (xs, ys) in enumerate(self.tables)
            ]
            if any(len(xs) > UNROLL_MAX for xs, _ in self.tables):
                parts.insert(0, _SEARCH_SOURCE)
            return "\n\n".join(parts)
        lines = []
        for k, (xs, ys) in enumerate(self.tables):
            lines.append(f"_XS{k} = _np.array({list(xs)!r})")
            lines.append(f"_YS{k} = _np.array({list(ys)!r})")
        return "\n".join(lines)


def interp_scalar(x, xs, ys):
    """Scalar piecewise-linear interpolation with the formula of ``numpy.interp``."""
    n = xs.shape[0]
    if x <= xs[0]:
        return ys[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    j = 0
    while xs[j + 1] <= x:
        j += 1
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    return slope * (x - xs[j]) + ys[j]


#: tables of at most this many points are unrolled into selects (branch-free, so the lane loop
#: still vectorises); longer ones are data: arrays searched by bisection. Unrolled, a table
#: costs numba's compiler about a line per point: a 3,201-point table did not compile in 240 s
UNROLL_MAX = 64

_SEARCH_SOURCE = """@_nb.njit(cache=True, error_model="numpy")
def _interp_data(x, xs, ys):
    # numpy.interp's formula on the table (xs, ys): bisection for the last xs[j] <= x
    n = xs.shape[0]
    if not x == x:
        return x
    if x <= xs[0]:
        return ys[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    return (ys[lo + 1] - ys[lo]) / (xs[lo + 1] - xs[lo]) * (x - xs[lo]) + ys[lo]"""


def lookup_data_source(k: int, xs, ys) -> str:
    """Source of ``_lookup{k}(x)`` for a long table: the points as module-level arrays (numba
    keeps them as constant data, compiled in no time whatever their number), read by bisection
    (:data:`_SEARCH_SOURCE`) with the formula of ``numpy.interp`` (same bits)."""
    xs, ys = [float(v) for v in xs], [float(v) for v in ys]
    return "\n".join(
        [
            f"_XS{k} = _np.array({xs!r})",
            f"_YS{k} = _np.array({ys!r})",
            "",
            "",
            '@_nb.njit(cache=True, error_model="numpy")',
            f"def _lookup{k}(x):",
            f"    return _interp_data(x, _XS{k}, _YS{k})",
        ]
    )


def lookup_select_source(k: int, xs, ys) -> str:
    """Source of ``_lookup{k}(x)``: table ``k`` as an unrolled chain of selects.

    Same result as :func:`interp_scalar` (and ``numpy.interp``) bit for bit: below the first point
    ``ys[0]``, from the last point on ``ys[-1]``, between points ``slope * (x - xs[j]) + ys[j]``
    on the last segment whose start is ``<= x``; the slopes are the same divisions, done here.
    """
    xs, ys = [float(v) for v in xs], [float(v) for v in ys]
    lines = ['@_nb.njit(cache=True, error_model="numpy")', f"def _lookup{k}(x):", f"    y = {ys[0]!r}"]
    for j in range(len(xs) - 1):
        dx = xs[j + 1] - xs[j]
        slope = (ys[j + 1] - ys[j]) / dx if dx != 0.0 else 0.0  # a later segment always overrides
        lines.append(f"    y = ({slope!r} * (x - {xs[j]!r}) + {ys[j]!r}) if x >= {xs[j]!r} else y")
    lines.append(f"    y = {ys[-1]!r} if x >= {xs[-1]!r} else y")
    lines.append(f"    y = {ys[0]!r} if x <= {xs[0]!r} else y")
    lines.append("    return y if x == x else x  # nan in, nan out, as numpy.interp")
    return "\n".join(lines)
