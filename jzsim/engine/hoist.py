"""Parameter-only subexpressions, split out of the equations so that kernels compute them once per
chunk (numpy) or per block of draws (compiled) instead of at every time step.

"Parameter-only" includes the stocks with no flows (:attr:`CompiledModel.constant_stocks`): they
keep their initial value, so an expression of parameters and such stocks is a per-draw constant
too. The kernels compute the constants after the initial values."""

from __future__ import annotations

from jzsim.engine.expr import Const, Expr, Lookup, Op, Ref, Time

#: operations that read the time implicitly (their arguments are times, not the time itself)
TIME_OPS = frozenset({"step", "ramp", "pulse"})


def static_test(cm):
    """A memoised test of whether an expression of ``cm``'s equations is a per-draw constant: made
    of constants, parameters, constant stocks, auxiliaries and flows of those, and names that are
    not variables of the model (constants already hoisted, ``__cK``); not of the time.

    Returns
    -------
    callable
        ``is_static(e) -> bool``; results are cached by node identity (the trees must outlive it).
    """
    var = cm.variables
    static: dict[int, bool] = {}

    def is_static(e) -> bool:
        k = id(e)
        if k not in static:
            if isinstance(e, Const):
                static[k] = True
            elif isinstance(e, Time):
                static[k] = False
            elif isinstance(e, Ref):
                v = var.get(e.name)
                static[k] = (
                    v is None
                    or v.kind == "param"
                    or e.name in cm.constant_stocks
                    or (v.kind in ("aux", "flow") and is_static(cm.lowered[e.name]))
                )
            elif isinstance(e, Lookup):
                static[k] = is_static(e.x)
            elif e.op in TIME_OPS:
                static[k] = False
            else:
                static[k] = all(is_static(a) for a in e.args)
        return static[k]

    return is_static


def hoist_constants(cm, em, reciprocals: bool = False) -> tuple[dict[str, Expr], list[tuple[str, str]]]:
    """Split out the parts of the equations that depend on parameters only.

    Returns the rewritten equations (auxiliaries, flows and derivatives; each maximal
    parameter-only subexpression replaced by a reference ``__cK``; parameters include the
    constant stocks) and the constants as
    ``(local name, source)`` in evaluation order. The constants are computed once per block, with
    exactly the operations they replace, so results are the same bit for bit; with
    ``reciprocals``, a division by a parameter-only expression becomes a multiplication by its
    reciprocal (within an ulp of the division; a division costs several multiplications).

    Parameters
    ----------
    cm : CompiledModel
    em : Emitter
        Emitter of the target dialect; the constants' local names (``c_K``) are added to its names.
    reciprocals : bool, default False
    """
    var = cm.variables
    is_static = static_test(cm)
    consts: dict[str, str] = {}  # source -> local name

    def rewrite(e):
        if isinstance(e, (Const, Time)):
            return e
        if isinstance(e, Ref):
            if var[e.name].kind in ("aux", "flow") and is_static(e):
                return rewrite_static(cm.lowered[e.name])
            return e
        if is_static(e):
            return rewrite_static(e)
        if isinstance(e, Lookup):
            return Lookup(rewrite(e.x), e.xs, e.ys, e.x_units, e.units)
        if reciprocals and e.op == "div" and is_static(e.args[1]) and not isinstance(e.args[1], Const):
            # x / c -> x * (1 / c): a division is 4-8 times the cost of a multiplication
            return Op("mul", (rewrite(e.args[0]), rewrite_static(Op("div", (Const(1.0), e.args[1])))))
        return Op(e.op, tuple(rewrite(a) for a in e.args))

    def rewrite_static(e):
        src = em.emit(_inline_static(e))
        if src not in consts:
            consts[src] = f"c_{len(consts)}"
            em.names[f"__c{len(consts) - 1}"] = consts[src]
        return Ref(f"__c{list(consts).index(src)}")

    def _inline_static(e):
        # a static expression referring to static auxiliaries: write them out (parameters only)
        if isinstance(e, Ref) and var[e.name].kind in ("aux", "flow"):
            return _inline_static(cm.lowered[e.name])
        if isinstance(e, Op):
            return Op(e.op, tuple(_inline_static(a) for a in e.args))
        if isinstance(e, Lookup):
            return Lookup(_inline_static(e.x), e.xs, e.ys, e.x_units, e.units)
        return e

    eqs = {n: rewrite(cm.lowered[n]) for n in (v.name for v in cm.computed)}
    eqs.update({f"d/{s.name}": rewrite(cm.derivatives[s.name]) for s in cm.stocks})
    return eqs, [(name, src) for src, name in consts.items()]
