"""Code generation for the compiled kernel: the model's lowered equations as the source of one
numba module, from :data:`jzsim.backends.numba_template.TEMPLATE`.

The equations are those of the numpy kernel, emitted in the ``lanes`` dialect of
:class:`jzsim.engine.codegen.Emitter` (one loop over the lanes of a block per function). Two
rewrites are made on the way, both within a few ulp of the equations as written:

* expressions of parameters only (constant stocks included) are computed once per block
  (:func:`jzsim.engine.hoist.hoist_constants`), a division by one of them becoming a
  multiplication by its reciprocal;
* an exponential of a linear function of the time is stepped by multiplication at the Euler
  steps (:func:`time_factors`).

What each trick gained, measured, is in the design log of ``benchmarks/README.md``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jzsim.backends.numba_template import TEMPLATE
from jzsim.engine.constants import LANES
from jzsim.engine.expr import Const, Expr, Lookup, Op, Ref, Time, refs
from jzsim.engine.hoist import hoist_constants, static_test

__all__ = ["generate_source", "time_factors", "ANCHOR"]


def generate_source(cm, outputs: tuple[int, ...] | None = None, lanes: int = LANES) -> str:
    """Python source of the fused kernel module for compiled model ``cm``.

    Parameters
    ----------
    cm : CompiledModel
    outputs : tuple of int, optional
        Indices into ``cm.output_names`` of the outputs saved, in the order of the rows of the
        kernel's ``out`` array (default: all). The selection is compiled in: at a save step the
        kernel computes only what these outputs need.
    lanes : int, default LANES
        Draws advanced together by one vectorised loop.

    Each thread takes blocks of ``lanes`` draws; every function loops over the lanes of a block
    with straight-line arithmetic (``exp``, ``log`` and ``**`` from :mod:`jzsim.backends.vmath`)
    that LLVM vectorises. Expressions of parameters only are computed once per block
    (:func:`hoist_constants`). A partial last block repeats its last draw in the spare lanes, so
    every draw follows the same instructions wherever it falls.
    """
    em = cm.emitter("lanes")
    nm = em.names
    L = int(lanes)
    ind = "        "
    eqs, consts = hoist_constants(cm, em, reciprocals=True)
    step_eqs, factors = time_factors(cm, em, eqs)  # the Euler steps' equations
    NG = len(factors)
    names = list(cm.output_names)
    outputs = tuple(range(len(names))) if outputs is None else tuple(int(i) for i in outputs)
    saved = [names[i] for i in outputs]
    NP, NC, NS, NO = len(cm.params), len(consts), len(cm.stocks), len(saved)
    o_c = NP
    o_s = o_c + NC
    o_x, o_k = o_s + NS, o_s + 2 * NS
    o_k1 = o_k + NS
    o_o = o_k1 + 3 * NS
    o_g = o_o + max(NO, 1)
    o_r = o_g + NG
    o_end = o_r + NG

    def load(names, first):
        return [f"{ind}{n} = W[_u({(first + i) * L}) + l]" for i, n in enumerate(names)]

    def store(first, values):
        return [f"{ind}W[_u({(first + i) * L}) + l] = {v}" for i, v in enumerate(values)]

    pnames = [nm[p.name] for p in cm.params]
    snames = [nm[s.name] for s in cm.stocks]
    cnames = [c for c, _ in consts]

    def assign(name, eqs=eqs):
        return f"{ind}{nm[name]} = {em.emit(eqs[name])}"

    def computed(need, eqs=eqs):
        return [assign(v.name, eqs) for v in cm.computed if v.name in need]

    def fn(name, args, body):
        return (
            f'@_nb.njit(cache=True, error_model="numpy")\ndef {name}({args}):\n'
            f"    _wide()\n    #PRE#\n    for l in range(_u(nl)):\n" + "\n".join(body)
        )

    ders = [em.emit(eqs[f"d/{s.name}"]) for s in cm.stocks]
    step_ders = [em.emit(step_eqs[f"d/{s.name}"]) for s in cm.stocks]
    gnames, rnames = [f"g_{j}" for j in range(NG)], [f"r_{j}" for j in range(NG)]
    init = load(pnames, 0) + [_assign_init(cm, em, n, ind) for n in _init_needed(cm)]
    init += [f"{ind}{c} = {src}" for c, src in consts]
    init += [f"{ind}{r} = _vexp(({slope}) * dt)" for r, (_, slope) in zip(rnames, factors)]
    init += store(o_c, cnames) + store(o_s, snames) + store(o_r, rnames)
    head = load(pnames, 0) + load(cnames, o_c)
    anchor = head + [f"{ind}{g} = _vexp({arg})" for g, (arg, _) in zip(gnames, factors)] + store(o_g, gnames)
    rates = [assign(n) for n in cm.rate_names]
    step = [
        f"{ind}W[_u({(o_s + i) * L}) + l] = {s} + dt * ({d})"
        for i, (s, d) in enumerate(zip(snames, step_ders))
        if cm.stocks[i].name not in cm.constant_stocks
    ]  # a constant stock keeps its slot's value
    # an Euler step reads the time factors at t and steps them to t + dt
    step_head = head + load(gnames, o_g) + load(rnames, o_r)
    step += store(o_g, [f"{g} * {r}" for g, r in zip(gnames, rnames)])
    deriv = head + load(snames, o_x) + rates + store(o_k, ders)
    euler = step_head + load(snames, o_s) + [assign(n, step_eqs) for n in cm.rate_names] + step
    # at a save time: the outputs alone (last step, RK4), or the outputs and the Euler step in one
    # loop, every auxiliary computed once
    keep = store(o_o, [nm[n] for n in saved])
    save = fn("_save", "t, W, nl", head + load(snames, o_s) + computed(cm.closure(saved)) + keep)
    euler_save = fn(
        "_euler_save",
        "t, dt, W, nl",
        step_head + load(snames, o_s) + computed(cm.closure(saved) | set(cm.rate_names), step_eqs) + keep + step,
    )
    here = Path(__file__).parent  # the generated module imports these two: a change recompiles it
    vm = hashlib.sha256((here / "vmath.py").read_bytes()).hexdigest()[:12]
    ls = hashlib.sha256((here / "lanestats.py").read_bytes()).hexdigest()[:12]
    src = TEMPLATE.format(
        name=cm.name,
        digest="{digest}",
        vmath=vm,
        lanestats=ls,
        lanes=L,
        n_params=NP,
        n_stocks=NS,
        n_outputs=NO,
        o_c=o_c,
        o_s=o_s,
        o_x=o_x,
        o_k=o_k,
        o_k1=o_k1,
        o_o=o_o,
        o_end=o_end,
        outputs=", ".join(saved),
        n_factors=NG,
        o_g=o_g,
        o_r=o_r,
        anchor=ANCHOR,
        anchor_body="\n".join(anchor or [f"{ind}pass"]),
        tables=em.table_source(),
        init="\n".join(init),
        deriv="\n".join(deriv),
        euler="\n".join(euler),
        save=save,
        euler_save=euler_save,
    )
    src = src.replace("    #PRE#", em.preamble() or "    pass")  # once every equation is emitted
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    return src.replace("{digest}", digest)


#: Euler steps between direct evaluations of the time factors (:func:`time_factors`): each step
#: multiplies by a factor within 2 ulp of exact, so a factor stays within about 32 ulp
ANCHOR = 16


def time_factors(cm, em, eqs: dict[str, Expr]) -> tuple[dict[str, Expr], list[tuple[str, str]]]:
    """Exponentials of linear functions of the time, to be stepped by multiplication.

    ``exp(a * (t - b))`` with ``a``, ``b`` per-draw constants (an exponential trend, e.g. grain yields
    growing at a drawn rate) costs an exponential at every time step; from one Euler step to the next
    it is multiplied by ``exp(a * dt)``. The Euler steps of the compiled kernel read such a *time
    factor* from its slot and multiply it by its per-block ratio, and every :data:`ANCHOR` steps
    (from the first) the factor is evaluated directly, so that rounding cannot accumulate: values
    stay within about 32 ulp (7e-15 relative) of the exponential itself. The schedule depends on the
    step number only, so a draw gets the same bits in any block, chunk or save schedule. RK4 stages
    and the saves that run no Euler step evaluate the exponential as written.

    Parameters
    ----------
    cm : CompiledModel
    em : Emitter
        ``lanes`` emitter; the factors' local names (``g_J``) are added to its names.
    eqs : dict
        Equations by name, as from :func:`jzsim.engine.hoist.hoist_constants`.

    Returns
    -------
    step_eqs : dict
        The equations with each such exponential replaced by a reference to its factor.
    factors : list of (str, str)
        Per factor, the source of the exponential's argument and of its slope ``d arg / dt``.
    """
    static = static_test(cm)  # a per-draw constant: parameters, constant stocks, hoisted constants

    def zero(e) -> bool:
        return isinstance(e, Const) and e.value == 0.0

    def slope(e):  # d e / d t as a static expression, or None where e is not linear in the time
        if isinstance(e, Time):
            return Const(1.0)
        if static(e):
            return Const(0.0)
        if not isinstance(e, Op):
            return None
        a = e.args
        if e.op in ("add", "sub"):
            s0, s1 = slope(a[0]), slope(a[1])
            if s0 is None or s1 is None:
                return None
            if zero(s1):
                return s0
            if zero(s0):
                return s1 if e.op == "add" else Op("neg", (s1,))
            return Op(e.op, (s0, s1))
        if e.op == "neg":
            s0 = slope(a[0])
            return None if s0 is None else Op("neg", (s0,))
        if e.op == "mul" and (static(a[0]) or static(a[1])):
            c, x = (a[0], a[1]) if static(a[0]) else (a[1], a[0])
            s0 = slope(x)
            if s0 is None:
                return None
            return c if isinstance(s0, Const) and s0.value == 1.0 else Op("mul", (c, s0))
        if e.op == "div" and static(a[1]):
            s0 = slope(a[0])
            return None if s0 is None else Op("div", (s0, a[1]))
        return None

    found: dict[str, tuple[int, str]] = {}  # source of the argument -> (factor, source of the slope)

    def rewrite(e):
        if isinstance(e, Op) and e.op == "exp":
            s = slope(e.args[0])
            if s is not None and not zero(s):
                key = em.emit(e.args[0])
                if key not in found:
                    found[key] = (len(found), em.emit(s))
                    em.names[f"__g{len(found) - 1}"] = f"g_{len(found) - 1}"
                return Ref(f"__g{found[key][0]}")
        if isinstance(e, Op):
            return Op(e.op, tuple(rewrite(a) for a in e.args))
        if isinstance(e, Lookup):
            return Lookup(rewrite(e.x), e.xs, e.ys, e.x_units, e.units)
        return e

    step_eqs = {n: rewrite(e) for n, e in eqs.items()}
    return step_eqs, [(arg, s) for arg, (_, s) in found.items()]


def _assign_init(cm, em, name, ind):
    v = cm.variables[name]
    e = cm.initial[name] if v.kind == "stock" else cm.lowered[name]
    return f"{ind}{em.names[name]} = {em.emit(e)}"


def _init_needed(cm) -> list[str]:
    """Names the initial values need, in initialisation order."""
    need: set[str] = set()
    stack = [s.name for s in cm.stocks]
    while stack:
        n = stack.pop()
        if n in need:
            continue
        v = cm.variables[n]
        if v.kind == "param":
            continue
        need.add(n)
        stack.extend(refs(cm.initial[n] if v.kind == "stock" else cm.lowered[n]))
    return [n for n in cm.init_order if n in need]
