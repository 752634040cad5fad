"""The numpy kernel: a chunk of draws advances through all time steps with array operations.

The generated functions hold the model's equations as straight-line numpy code; the only Python
loop is over time steps (the lake-model shape). Auxiliaries that no flow needs are computed only at
save times.
"""

from __future__ import annotations

import numpy as np

from jzsim.engine.codegen import interp_scalar


def _unpack(names: list[str], src: str) -> list[str]:
    if not names:
        return []
    return [f"    {', '.join(names)}{',' if len(names) == 1 else ''} = {src}"]


def generate_source(cm, dialect: str = "numpy", select=None) -> tuple[str, object]:
    """Source of ``_consts(P)``, ``_init(t, P)``, ``_rates(t, S, PC)`` and ``_save(t, S, PC, buf, j)``.

    ``_consts`` computes the parameter-only subexpressions once per chunk
    (:func:`jzsim.engine.hoist.hoist_constants`, same operations, same bits); ``PC`` is the
    parameters followed by those constants. ``_save`` computes only what the selected outputs need
    and writes output ``i`` of ``cm.output_names`` into ``buf[j, select[i], :]`` (skipped where
    ``select[i] < 0``; default: every output, in order), so each saved row is a contiguous write.
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

    const = ["def _consts(P):", *_unpack(pnames, "P")]
    const += [f"    {c} = {src}" for c, src in consts]
    const.append(f"    return ({', '.join(cnames)}{',' if len(cnames) == 1 else ''})")

    init = ["def _init(t, P):", *_unpack(pnames, "P")]
    init += [assign_init(n) for n in cm.init_order]
    init.append(f"    return ({', '.join(snames)}{',' if len(snames) == 1 else ''})")

    rates = ["def _rates(t, S, P):", *_unpack(pnames + cnames, "P"), *_unpack(snames, "S")]
    rates += [assign(n) for n in cm.rate_names]
    ders = [em.emit(eqs[f"d/{s.name}"]) for s in cm.stocks]
    rates.append(f"    return ({', '.join(ders)}{',' if len(ders) == 1 else ''})")

    wanted = [(n, r) for n, r in zip(cm.output_names, select) if r >= 0]
    needed = cm.closure([n for n, _ in wanted])
    save = ["def _save(t, S, P, buf, j):", *_unpack(pnames + cnames, "P"), *_unpack(snames, "S")]
    save += [assign(v.name) for v in cm.computed if v.name in needed]
    save += [f"    buf[j, {r}, :] = {nm[n]}" for n, r in wanted]
    save.append("    return None")
    src = "\n".join([em.table_source(), "", *const, "", *init, "", *rates, "", *save, ""])
    return src, em


def generate(cm, select=None):
    """Compile the generated source into ``(consts, init, rates, save, source)``."""
    src, _ = generate_source(cm, "numpy", select)
    ns: dict = {"_np": np, "_interp": interp_scalar}
    code = compile(src, f"<jzsim numpy kernel of {cm.name}>", "exec")
    exec(code, ns)
    return ns["_consts"], ns["_init"], ns["_rates"], ns["_save"], src


def integrate(cm, P: list[np.ndarray], rs, out: np.ndarray, select=None) -> None:
    """Integrate one chunk of draws, writing saved values into ``out`` (outputs, draws, times).

    ``select[i]`` is the row of ``out`` for output ``i`` of ``cm.output_names`` (-1: not saved);
    default all outputs in order.
    """
    consts, init, rates, save, _ = cm.numpy_functions(select)
    n = out.shape[1]
    buf = np.empty((out.shape[2], out.shape[0], n))  # (time, output, draw): contiguous row writes
    P = tuple(P)
    start, dt = rs.start, rs.dt
    S = tuple(np.array(np.broadcast_to(s, (n,)), dtype=np.float64) for s in init(start, P))
    P = P + consts(P)  # parameters, then the parameter-only expressions, computed once
    stride, n_steps = rs.save_stride, rs.n_steps
    half, sixth = dt / 2.0, dt / 6.0
    rk4 = rs.method == "rk4"
    for k in range(n_steps + 1):
        t = start + k * dt
        if k % stride == 0:
            save(t, S, P, buf, k // stride)
        if k == n_steps:
            break
        k1 = rates(t, S, P)
        if rk4:
            th = start + (k + 0.5) * dt
            k2 = rates(th, tuple(s + half * d for s, d in zip(S, k1)), P)
            k3 = rates(th, tuple(s + half * d for s, d in zip(S, k2)), P)
            k4 = rates(start + (k + 1) * dt, tuple(s + dt * d for s, d in zip(S, k3)), P)
            S = tuple(s + sixth * (a + 2.0 * b + 2.0 * c + d) for s, a, b, c, d in zip(S, k1, k2, k3, k4))
        else:
            S = tuple(s + dt * d for s, d in zip(S, k1))
    out[...] = buf.transpose(1, 2, 0)
