"""Scalar reference: a plain-Python interpreter of the lowered equations, one draw at a time.

Slow on purpose and independent of the code generators, it is the yardstick the numpy and
compiled kernels are tested against (and a baseline in the benchmarks).
"""

from __future__ import annotations

import math

import numpy as np

from jzsim.engine.expr import Const, Lookup, Ref, Time


def _mod(a: float, b: float) -> float:
    """Remainder with the sign of the divisor (numpy's ``mod``; Python's ``%`` on floats)."""
    return math.nan if b == 0 else a % b


#: the standard library's functions, one draw at a time (Python's own math, not numpy's)
_MATH = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "arctan": math.atan,
    "arcsin": math.asin,
    "arccos": math.acos,
    "floor": lambda x: float(math.floor(x)),
    "integer": lambda x: float(math.trunc(x)),
    "mod": _mod,
}


def evaluate(e, env: dict, t: float) -> float:
    """Value of a lowered expression for one draw; ``env`` maps names to floats."""
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Ref):
        return env[e.name]
    if isinstance(e, Time):
        return t
    if isinstance(e, Lookup):
        x = evaluate(e.x, env, t)
        return float(np.interp(x, e.xs, e.ys))
    a = [evaluate(x, env, t) for x in e.args]
    op = e.op
    if op == "add":
        return a[0] + a[1]
    if op == "sub":
        return a[0] - a[1]
    if op == "mul":
        return a[0] * a[1]
    if op == "div":
        return a[0] / a[1] if a[1] != 0 else math.copysign(math.inf, a[0]) if a[0] else math.nan
    if op == "pow":
        with np.errstate(all="ignore"):
            return float(np.power(a[0], a[1]))  # nan (not complex) for a negative base
    if op == "neg":
        return -a[0]
    if op == "lt":
        return a[0] < a[1]
    if op == "le":
        return a[0] <= a[1]
    if op == "gt":
        return a[0] > a[1]
    if op == "ge":
        return a[0] >= a[1]
    if op == "and":
        return a[0] and a[1]
    if op == "or":
        return a[0] or a[1]
    if op == "not":
        return not a[0]
    if op == "min":
        return min(a[0], a[1])
    if op == "max":
        return max(a[0], a[1])
    if op == "where":
        return a[1] if a[0] else a[2]
    if op == "exp":
        return math.exp(a[0])
    if op == "log":
        return math.log(a[0]) if a[0] > 0 else (-math.inf if a[0] == 0 else math.nan)
    if op == "sqrt":
        return math.sqrt(a[0]) if a[0] >= 0 else math.nan
    if op == "abs":
        return abs(a[0])
    if op == "eq":
        return a[0] == a[1]
    if op == "ne":
        return a[0] != a[1]
    if op in _MATH:
        try:
            return _MATH[op](*a)
        except (ValueError, ZeroDivisionError):  # tan/mod at a pole or of inf: nan, as numpy
            return math.nan
    if op == "step":
        return a[0] if t >= a[1] else 0.0
    if op == "pulse":
        return a[0] if a[1] <= t < a[1] + a[2] else 0.0
    if op == "ramp":
        return a[0] * (min(max(t, a[1]), a[2]) - a[1])
    raise AssertionError(op)  # pragma: no cover


def _rates(cm, env, t):
    for n in cm.rate_names:
        env[n] = evaluate(cm.lowered[n], env, t)
    return [evaluate(cm.derivatives[s.name], env, t) for s in cm.stocks]


def integrate_scalar(cm, P: list[np.ndarray], rs, out: np.ndarray) -> None:
    """Integrate every draw separately with Python floats; same schedule as the kernels."""
    n = out.shape[1]
    names = [s.name for s in cm.stocks]
    for d in range(n):
        base = {p.name: float(arr[d]) for p, arr in zip(cm.params, P)}
        env = dict(base)
        for name in cm.init_order:
            v = cm.variables[name]
            env[name] = evaluate(cm.initial[name] if v.kind == "stock" else cm.lowered[name], env, rs.start)
        S = [env[s] for s in names]
        dt = rs.dt
        for k in range(rs.n_steps + 1):
            t = rs.start + k * dt
            if k % rs.save_stride == 0:
                env = dict(base, **dict(zip(names, S)))
                for v in cm.computed:
                    env[v.name] = evaluate(cm.lowered[v.name], env, t)
                for i, name in enumerate(cm.output_names):
                    out[i, d, k // rs.save_stride] = env[name]
            if k == rs.n_steps:
                break

            def f(tt, state, base=base):
                e = dict(base, **dict(zip(names, state)))
                return _rates(cm, e, tt)

            k1 = f(t, S)
            if rs.method == "rk4":
                th = rs.start + (k + 0.5) * dt
                k2 = f(th, [s + dt / 2.0 * x for s, x in zip(S, k1)])
                k3 = f(th, [s + dt / 2.0 * x for s, x in zip(S, k2)])
                k4 = f(rs.start + (k + 1) * dt, [s + dt * x for s, x in zip(S, k3)])
                S = [s + dt / 6.0 * (a + 2.0 * b + 2.0 * c + e) for s, a, b, c, e in zip(S, k1, k2, k3, k4)]
            else:
                S = [s + dt * x for s, x in zip(S, k1)]
