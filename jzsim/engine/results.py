"""Turning kernel output into a labelled, self-describing ``xarray.Dataset``, and handling it.

Calendar years are integers (``ds.sel(year=2025)``) when every saved time is a whole year.
The ``jz`` accessor (registered when :mod:`jzsim` is imported) keeps parameters apart from outputs
and drops the ``draw`` dim of a deterministic run::

    ds = jzsim.simulate()
    ds.jz.outputs        # stocks, flows, auxiliaries, groups: dims (draw, year, ...)
    ds.jz.parameters     # the parameter values of each draw: dims (draw,)
    ds.jz.single()       # one draw: the same without the draw dim (an error for several draws)
"""

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
    coords = {"draw": draw, tdim: (tdim, time_values(tdim, rs.save_times), {"units": cm.time_units})}
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
    ds = stack_groups(cm, xr.Dataset(data, coords=coords))
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


def time_values(tdim: str, times: np.ndarray) -> np.ndarray:
    """Saved times as coordinate values: int64 calendar years when ``tdim`` is ``"year"`` and every
    time is a whole number, else the floats unchanged."""
    t = np.asarray(times, dtype=np.float64)
    if tdim == "year" and len(t) and np.array_equal(t, np.round(t)):
        return t.astype(np.int64)
    return t


def stack_groups(cm, ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with one variable per group of ``cm`` whose members are all in ``ds`` (e.g.
    ``cluster_output`` over ``cluster`` from ``cluster_output_health`` ...), whatever their other dims
    (``(draw, year)`` in a run, ``(statistic, year)`` in Monte Carlo summaries)."""
    new = {}
    for g in cm.groups.values():
        if g.name in ds or not all(m in ds for m in g.members.values()):
            continue
        members = [ds[m] for m in g.members.values()]
        units = {str(m.attrs.get("units", "")) for m in members}
        if len(units) != 1:
            raise ValueError(f"group {g.name!r} stacks variables with different units {sorted(units)}")
        aligned = xr.broadcast(*[m.drop_vars(list(m.coords), errors="ignore") for m in members])
        dims = aligned[0].dims + (g.dim,)
        stacked = np.stack([a.transpose(*aligned[0].dims).values for a in aligned], axis=-1)
        new[g.name] = xr.Variable(
            dims,
            stacked,
            {
                "units": units.pop(),
                "description": g.description,
                "kind": "group",
                "members": ", ".join(g.members.values()),
            },
        )
        ds = ds.assign_coords({g.dim: list(g.members)})
    return ds.assign(new) if new else ds


def expand_groups(cm, names) -> list[str]:
    """``names`` with each group name (e.g. ``water_supply``) replaced by its member variables."""
    out: list[str] = []
    for n in names:
        for m in cm.groups[n].members.values() if n in cm.groups else (n,):
            if m not in out:
                out.append(m)
    return out


@xr.register_dataset_accessor("jz")
class JzAccessor:
    """``ds.jz``: parameters apart from outputs, and one-draw runs without a draw dim (figures:
    :mod:`jzsim.analysis.plots`, plain functions of a Dataset).

    Examples
    --------
    >>> ds = jzsim.simulate()                                  # doctest: +SKIP
    >>> ds.jz.single()["gdp_real"].sel(year=2025)              # doctest: +SKIP
    >>> ds.jz.parameters.to_dataframe()                        # doctest: +SKIP
    """

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    @property
    def parameters(self) -> xr.Dataset:
        """The parameters (attrs ``kind == "param"``), one value per draw."""
        return self._ds[[n for n, v in self._ds.data_vars.items() if v.attrs.get("kind") == "param"]]

    @property
    def outputs(self) -> xr.Dataset:
        """Everything but the parameters: stocks, flows, auxiliaries, growth rates, groups."""
        return self._ds[[n for n, v in self._ds.data_vars.items() if v.attrs.get("kind") != "param"]]

    def single(self) -> xr.Dataset:
        """The run without its ``draw`` dim; an error naming the count when there are several draws."""
        n = self._ds.sizes.get("draw")
        if n is None:
            return self._ds
        if n != 1:
            raise ValueError(f"results have {n} draws; single() needs exactly 1 (select one: ds.isel(draw=i))")
        return self._ds.isel(draw=0, drop=True)
