"""The Jizhou plan model: sectors assembled on the engine, with the packaged, sourced data.

>>> import jzsim
>>> ds = jzsim.simulate()                       # the plan scenario, 2020-2035, one draw
>>> float(ds["gdp_real"].sel(year=2020)[0])     # plan ch.1 L9
111.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from jzsim.engine import Model, Sector
from jzsim.params import Parameter, load_parameters, with_overrides

__all__ = ["plan_model", "simulate", "BASE_YEAR", "HORIZON"]

BASE_YEAR = 2020.0  # plan ch.1 L9: the 13th Five-Year Plan's final year, the base of the figures
HORIZON = 2035.0  # the plan's outlook year (title; preface)


def plan_model(*, sectors: Mapping[str, Sector] | None = None,
               parameters: Mapping[str, Parameter] | None = None,
               start: float = BASE_YEAR, stop: float = HORIZON, dt: float = 0.25,
               method: str = "euler") -> Model:
    """Build the plan model.

    Parameters
    ----------
    sectors : mapping, optional
        Sector name -> :class:`~jzsim.engine.Sector`; default :func:`jzsim.sectors.default_sectors`.
        Replace an entry to build a variant.
    parameters : mapping, optional
        Name -> :class:`~jzsim.params.Parameter`; default :func:`jzsim.params.load_parameters`.
    start, stop : float, default 2020.0 and 2035.0
        Simulated years.
    dt : float, default 0.25
        Time step in years.
    method : {"euler", "rk4"}, default "euler"
    """
    from jzsim.sectors import default_sectors

    m = Model("jizhou_plan", time_units="year", start=start, stop=stop, dt=dt, save_every=1.0,
              method=method, time_dim="year")
    for p in (load_parameters() if parameters is None else parameters).values():
        m.add_parameter(p)
    for s in (default_sectors() if sectors is None else sectors).values():
        m.add_sector(s)
    return m


def simulate(params: Mapping[str, Any] | None = None, *, model: Model | None = None,
             draws: int | None = None, **settings: Any) -> xr.Dataset:
    """Run the plan scenario deterministically (or over given parameter arrays).

    Parameters
    ----------
    params : mapping, optional
        Parameter overrides by name: a number in the parameter's units (see
        :func:`jzsim.parameters`), a 1-d array (one value per draw) or a pint Quantity.
    model : Model, optional
        A model from :func:`plan_model` (default: the plan model with packaged data).
    draws : int, optional
        Number of draws when no array override sets it (default 1).
    **settings
        ``start``, ``stop``, ``dt``, ``method``, ``save_every``, ``chunk_size``, ``backend``.

    Returns
    -------
    xarray.Dataset
        Dims ``draw`` and ``year`` (plus ``sector``, ``cluster``, ``water_use``, ``water_source``
        for grouped variables); every variable has ``units`` and ``description`` attrs.
    """
    from jzsim import __version__
    from jzsim.data import data_hash

    m = plan_model() if model is None else model
    ds = m.run(dict(params or {}), draws=draws, **settings)
    ds.attrs.update(scenario="plan", jzsim_version=__version__, data_hash=data_hash())
    return ds


def override_parameters(overrides: Mapping[str, Any] | None) -> dict[str, Parameter]:
    """The packaged parameters with nominal-value overrides applied (see
    :func:`jzsim.params.with_overrides`)."""
    return with_overrides(load_parameters(), overrides)
