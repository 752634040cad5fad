"""The numpy kernel: a chunk of draws advances through all time steps with array operations.

The generated functions hold the model's equations as straight-line numpy code; the only Python
loop is over time steps (the lake-model shape). Auxiliaries that no flow needs are computed only at
save times, and at a save time one pass computes the rates and the saved outputs. Each array is
deleted after its last use, so numpy reuses memory still in cache (4096 draws: 26k -> 40k draws/s
on the plan model); ``minimum``/``maximum`` take constants as full arrays, the fast path.
"""

from __future__ import annotations

import re

import numpy as np

from jzsim.engine.codegen import interp_scalar


def _unpack(names: list[str], src: str) -> list[str]:
    if not names:
        return []
    return [f"    {', '.join(names)}{',' if len(names) == 1 else ''} = {src}"]


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _straight_line(assigns: list[tuple[str, str]], saved: dict[str, int], ret: str,
                   nm: dict[str, str]) -> list[str]:
    """Assignments in order, each saved output written to ``buf[j, row, :]`` as soon as it is
    computed (stocks and parameters first), and each array deleted after its last use.

    Deleting frees an array while the next ones are allocated, so numpy reuses memory that is still
    in cache instead of growing the working set by one array per equation (the same values, fewer
    cache misses).
    """
    local = {nm[var] for var, _ in assigns}
    used = [set(_IDENT.findall(line.split("=", 1)[1].split("  #", 1)[0])) & local for _, line in assigns]
    last = {nm[var]: i for i, (var, _) in enumerate(assigns)}  # an unused name dies where it is defined
    for i, u in enumerate(used):
        for n in u:
            last[n] = i
    live_at_end = set(_IDENT.findall(ret)) & local
    assigned = {var for var, _ in assigns}
    lines = [f"    buf[j, {r}, :] = {nm[var]}" for var, r in saved.items() if var not in assigned]
    for i, (var, line) in enumerate(assigns):
        lines.append(line)
        if var in saved:
            lines.append(f"    buf[j, {saved[var]}, :] = {nm[var]}")
        dead = sorted(n for n in used[i] | {nm[var]} if last[n] == i and n not in live_at_end)
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    lines.append(ret)
    return lines


def generate_source(cm, dialect: str = "numpy", select=None) -> tuple[str, object]:
    """Source of ``_consts(P, S, n)``, ``_init(t, P)``, ``_rates(t, S, PC)``, ``_save(t, S, PC, buf, j)``
    and ``_step_save(t, S, PC, buf, j)``.

    ``_consts`` computes the parameter-only subexpressions once per chunk from the parameters and
    the initial stocks ``S`` (:func:`jzsim.engine.hoist.hoist_constants`, same operations, same
    bits; constant stocks count as parameters) and the ``n``-wide
    arrays of the constants that ``minimum``/``maximum`` take; ``PC`` is the parameters followed
    by those constants. ``_save`` computes only what the selected outputs need
    and writes output ``i`` of ``cm.output_names`` into ``buf[j, select[i], :]`` (skipped where
    ``select[i] < 0``; default: every output, in order), so each saved row is a contiguous write.
    ``_step_save`` does both at a saved time, computing each shared auxiliary once, and returns the
    rates.
    """
    from jzsim.engine.hoist import hoist_constants

    em = cm.emitter(dialect)
    nm = em.names
    eqs, consts = hoist_constants(cm, em)
    pnames = [nm[p.name] for p in cm.params]
    cnames = [c for c, _ in consts]
    snames = [nm[s.name] for s in cm.stocks]
    var = cm.variables
    select = list(range(len(cm.output_names))) if select is None else [int(i) for i in select]

    def assign_init(name: str) -> str:
        v = var[name]
        e = cm.initial[name] if v.kind == "stock" else cm.lowered[name]
        return f"    {nm[name]} = {em.emit(e)}  # {v.kind} {name} [{v.units}]"

    def assign(name: str) -> str:
        v = var[name]
        return f"    {nm[name]} = {em.emit(eqs[name])}  # {v.kind} {name} [{v.units}]"

    init = ["def _init(t, P):", *_unpack(pnames, "P")]
    init += [assign_init(n) for n in cm.init_order]
    init.append(f"    return ({', '.join(snames)}{',' if len(snames) == 1 else ''})")

    em.use_fills = True  # the step functions get constants of minimum/maximum as arrays in P
    ders = [em.emit(eqs[f"d/{s.name}"]) for s in cm.stocks]
    ret = f"    return ({', '.join(ders)}{',' if len(ders) == 1 else ''})"
    rates = ["def _rates(t, S, P):", "HEAD",
             *_straight_line([(n, assign(n)) for n in cm.rate_names], {}, ret, nm)]

    wanted = {n: r for n, r in zip(cm.output_names, select) if r >= 0}
    needed = cm.closure(list(wanted))
    save = ["def _save(t, S, P, buf, j):", "HEAD",
            *_straight_line([(v.name, assign(v.name)) for v in cm.computed if v.name in needed],
                            wanted, "    return None", nm)]
    # at a saved time, the rates and the saved outputs in one pass (nothing computed twice)
    both = needed | set(cm.rate_names)
    step = ["def _step_save(t, S, P, buf, j):", "HEAD",
            *_straight_line([(v.name, assign(v.name)) for v in cm.computed if v.name in both],
                            wanted, ret, nm)]
    const = ["def _consts(P, S, n):", *_unpack(pnames, "P"), *_unpack(snames, "S")]
    const += [f"    {c} = {src}" for c, src in consts]
    fills = [f"_F{k}" for k in range(len(em.fills))]
    const += [f"    {f} = _np.full(n, {v!r})" for f, v in zip(fills, em.fills)]
    cnames += fills
    const.append(f"    return ({', '.join(cnames)}{',' if len(cnames) == 1 else ''})")
    head = "\n".join([*_unpack(pnames + cnames, "P"), *_unpack(snames, "S")])
    rates, save, step = ([head if x == "HEAD" else x for x in f] for f in (rates, save, step))

    src = "\n".join([em.table_source(), "", *const, "", *init, "", *rates, "", *save, "", *step, ""])
    return src, em


def generate(cm, select=None):
    """Compile the generated source into ``(consts, init, rates, save, step_save, source)``."""
    src, _ = generate_source(cm, "numpy", select)
    ns: dict = {"_np": np, "_interp": interp_scalar}
    code = compile(src, f"<jzsim numpy kernel of {cm.name}>", "exec")
    exec(code, ns)
    return ns["_consts"], ns["_init"], ns["_rates"], ns["_save"], ns["_step_save"], src


def integrate(cm, P: list[np.ndarray], rs, out: np.ndarray, select=None) -> None:
    """Integrate one chunk of draws, writing saved values into ``out`` (outputs, draws, times).

    ``select[i]`` is the row of ``out`` for output ``i`` of ``cm.output_names`` (-1: not saved);
    default all outputs in order.
    """
    consts, init, rates, save, step_save, _ = cm.numpy_functions(select)
    n = out.shape[1]
    buf = np.empty((out.shape[2], out.shape[0], n))  # (time, output, draw): contiguous row writes
    P = tuple(P)
    start, dt = rs.start, rs.dt
    S = tuple(np.array(np.broadcast_to(s, (n,)), dtype=np.float64) for s in init(start, P))
    P = P + consts(P, S, n)  # parameters, then the parameter-only expressions, computed once
    moving = [s.name not in cm.constant_stocks for s in cm.stocks]  # constant stocks are never stepped
    stride, n_steps = rs.save_stride, rs.n_steps
    half, sixth = dt / 2.0, dt / 6.0
    rk4 = rs.method == "rk4"
    for k in range(n_steps + 1):
        t = start + k * dt
        if k == n_steps:
            save(t, S, P, buf, k // stride)
            break
        k1 = step_save(t, S, P, buf, k // stride) if k % stride == 0 else rates(t, S, P)
        if rk4:
            th = start + (k + 0.5) * dt
            k2 = rates(th, _advance(S, half, k1, moving), P)
            k3 = rates(th, _advance(S, half, k2, moving), P)
            k4 = rates(start + (k + 1) * dt, _advance(S, dt, k3, moving), P)
            S = tuple(s + sixth * (a + 2.0 * b + 2.0 * c + d) if m else s
                      for s, a, b, c, d, m in zip(S, k1, k2, k3, k4, moving))
        else:
            S = _advance(S, dt, k1, moving)
    out[...] = buf.transpose(1, 2, 0)


def _advance(S: tuple, h: float, D: tuple, moving: list[bool]) -> tuple:
    """``S + h * D``, stock by stock; a constant stock (net rate identically 0) is kept as it is,
    which is the same value: ``s + h * 0.0 == s``."""
    return tuple(s + h * d if m else s for s, d, m in zip(S, D, moving))
