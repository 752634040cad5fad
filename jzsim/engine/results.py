"""Turning kernel output into a labelled, self-describing ``xarray.Dataset``."""

from __future__ import annotations

import numpy as np
import xarray as xr

from jzsim.engine.printing import to_text


def variable_attrs(v) -> dict:
    """attrs of a result variable: units, description, kind, equation, source, sector."""
    attrs = {"units": v.units, "description": v.description, "kind": v.kind}
    if v.expr is not None:
        attrs["equation"] = to_text(v.expr)
    if v.initial is not None:
        attrs["initial"] = to_text(v.initial)
    if v.source:
        attrs["source"] = v.source
    if v.sector:
        attrs["sector"] = v.sector
    return attrs


def growth_rows(x: np.ndarray, save_every: float, out: np.ndarray | None = None) -> np.ndarray:
    """Growth rate per time unit between saved times along the last axis; NaN at the first.

    ``out`` (same shape as ``x``, not overlapping it) receives the result without a new array.
    """
    g = np.empty(x.shape) if out is None else out
    g[..., 0] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(x[..., 1:], x[..., :-1], out=g[..., 1:])
        if save_every != 1.0:  # x ** 1.0 is x: skip numpy's general power
            np.power(g[..., 1:], 1.0 / save_every, out=g[..., 1:])
        np.subtract(g[..., 1:], 1.0, out=g[..., 1:])
    return g


def to_dataset(
    cm,
    rs,
    out: np.ndarray,
    P: list[np.ndarray] | None,
    *,
    names: list[str] | None = None,
    draw_index=None,
    include_internal: bool = False,
) -> xr.Dataset:
    """Dataset with dims ``(draw, <time_dim>)`` for every stock, flow and aux in ``out`` (rows in
    the order of ``names``, default all outputs), ``(draw,)`` for parameters (when ``P`` is given),
    and one variable per group whose members are all present, with its extra dim."""
    tdim = cm.time_dim
    n = out.shape[1]
    draw = np.arange(n) if draw_index is None else np.asarray(draw_index)
    coords = {"draw": draw, tdim: (tdim, rs.save_times, {"units": cm.time_units})}
    data = {}
    for i, name in enumerate(cm.output_names if names is None else names):
        if name in cm.derived:
            data[name] = xr.Variable(("draw", tdim), out[i], cm.attrs_of(name))
            continue
        v = cm.variables[name]
        if v.internal and not include_internal:
            continue
        data[name] = xr.Variable(("draw", tdim), out[i], variable_attrs(v))
    for d in cm.derived.values():
        if d.name not in data and d.of in data:
            data[d.name] = xr.Variable(
                ("draw", tdim), growth_rows(data[d.of].values, rs.save_every), cm.attrs_of(d.name)
            )
    for p, arr in zip(cm.params, P or []):
        data[p.name] = xr.Variable(("draw",), arr, variable_attrs(p))
    for g in cm.groups.values():
        if not all(m in data for m in g.members.values()):
            continue
        members = [cm.variables[m] for m in g.members.values()]
        units = {m.units for m in members}
        if len(units) != 1:
            raise ValueError(f"group {g.name!r} stacks variables with different units {sorted(units)}")
        dims = ("draw", tdim) if any(tdim in data[m.name].dims for m in members) else ("draw",)
        shape = (n, len(rs.save_times)) if len(dims) == 2 else (n,)
        stacked = np.stack(
            [
                np.broadcast_to(data[m.name].values.reshape(n, -1), shape) if len(dims) == 2 else data[m.name].values
                for m in members
            ],
            axis=-1,
        )
        dims = dims + (g.dim,)
        coords.setdefault(g.dim, list(g.members))
        data[g.name] = xr.Variable(
            dims,
            stacked,
            {
                "units": units.pop(),
                "description": g.description,
                "kind": "group",
                "members": ", ".join(g.members.values()),
            },
        )
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        model=cm.name,
        method=rs.method,
        dt=rs.dt,
        start=rs.start,
        stop=rs.stop,
        save_every=rs.save_every,
        time_units=cm.time_units,
    )
    return ds
