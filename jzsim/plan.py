"""The Jizhou plan model: sectors assembled on the engine, with the packaged, sourced data.

>>> import jzsim
>>> ds = jzsim.simulate()                       # the plan scenario, 2020-2035, one draw
>>> float(ds["gdp_real"].sel(year=2020)[0])     # plan ch.1 L9
111.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from jzsim.engine import Model, Sector
from jzsim.params import Parameter, load_parameters

__all__ = ["plan_model", "simulate", "backcast", "backcast_parameters", "BASE_YEAR", "HORIZON", "BACKCAST_START"]

BASE_YEAR = 2020.0  # plan ch.1 L9: the 13th Five-Year Plan's final year, the base of the figures
HORIZON = 2035.0  # the plan's outlook year (title; preface)
BACKCAST_START = 2010.0  # plan ch.1 L9 reports 2010 GDP, the start of the history calibration fits


def plan_model(
    *,
    sectors: Mapping[str, Sector] | None = None,
    parameters: Mapping[str, Parameter] | None = None,
    scenario: Any = None,
    start: float = BASE_YEAR,
    stop: float = HORIZON,
    dt: float = 0.25,
    method: str = "euler",
) -> Model:
    """Build the plan model.

    Parameters
    ----------
    sectors : mapping, optional
        Sector name -> :class:`~jzsim.engine.Sector`; default :func:`jzsim.sectors.default_sectors`.
        Replace an entry to build a variant.
    parameters : mapping, optional
        Name -> :class:`~jzsim.params.Parameter`; default :func:`jzsim.params.load_parameters`.
    scenario : str, path or :class:`~jzsim.scenarios.Scenario`, optional
        A built-in scenario name (``jzsim scenarios`` lists them), a ``.toml`` file or a Scenario,
        applied to ``parameters``: its numbers fix parameters, its ``[uncertainty]`` redraws them,
        and each ``[schedules]`` entry replaces a parameter's constant by its schedule, an
        equation of time (``F.step``, ``F.ramp``, ``F.lookup``) that every back end runs.
    start, stop : float, default 2020.0 and 2035.0
        Simulated years.
    dt : float, default 0.25
        Time step in years.
    method : {"euler", "rk4"}, default "euler"
    """
    from jzsim.sectors import default_sectors

    m = Model(
        "jizhou_plan", time_units="year", start=start, stop=stop, dt=dt, save_every=1.0, method=method, time_dim="year"
    )
    params = load_parameters() if parameters is None else parameters
    schedules: dict = {}
    if scenario is not None:
        from jzsim.scenarios import apply_scenario, resolve

        sc = resolve(scenario)
        params, schedules = apply_scenario(sc, params)
        m.scenario = sc
    for p in params.values():
        if p.name in schedules:
            s = schedules[p.name]
            m.scheduled(
                p.name,
                s.expr(p.units, m.time_units),
                p.units,
                description=f"{p.description} (scenario schedule: {s.describe()})",
                source=f"user: scenario {m.scenario.name!r} schedule {s.describe()} (replaces {p.value:g}; {p.source})",
                schedule=s,
            )
        else:
            m.add_parameter(p)
    for s in (default_sectors() if sectors is None else sectors).values():
        m.add_sector(s)
    return m


def simulate(
    params: Mapping[str, Any] | None = None,
    *,
    model: Model | None = None,
    scenario: Any = None,
    draws: int | None = None,
    **settings: Any,
) -> xr.Dataset:
    """Run the plan scenario deterministically (or over given parameter arrays).

    Parameters
    ----------
    params : mapping, optional
        Parameter overrides by name: a number in the parameter's units (see
        :func:`jzsim.parameters`), a 1-d array (one value per draw) or a pint Quantity.
    model : Model, optional
        A model from :func:`plan_model` (default: the plan model with packaged data).
    scenario : str, path or :class:`~jzsim.scenarios.Scenario`, optional
        Run this scenario (see :func:`plan_model`); not together with ``model``.
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

    if scenario is not None and model is not None:
        raise ValueError("give scenario= or model=, not both (build the model with plan_model(scenario=...))")
    m = plan_model(scenario=scenario) if model is None else model
    params = _checked(m, params)
    ds = m.run(params, draws=draws, **settings)
    sc = getattr(m, "scenario", None)
    ds.attrs.update(scenario=sc.name if sc is not None else "plan", jzsim_version=__version__, data_hash=data_hash())
    return ds


def _checked(m: Model, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` validated against the declared parameters' domains (names, types, values, joint
    constraints of the numbers given); values converted to the parameters' units."""
    from jzsim.params import check_joint, check_value, with_overrides

    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValueError(f"params is a {type(params).__name__}; allowed: a mapping of parameter name -> value")
    declared = {n: v.extra.get("parameter") for n, v in m.variables.items() if v.kind == "param"}
    declared = {n: p for n, p in declared.items() if isinstance(p, Parameter)}
    out: dict[str, Any] = {}
    scalars: dict[str, float] = {}
    for k, v in params.items():
        if not isinstance(k, str):
            raise KeyError(f"parameter names are strings; got {k!r} ({type(k).__name__}) with value {v!r}")
        p = declared.get(k)
        if p is None:
            out[k] = v  # the engine names unknown parameters with a "did you mean"
            continue
        if isinstance(v, (list, tuple)):
            v = np.asarray(v)
        elif isinstance(v, (range, set, dict, str)):
            raise ValueError(
                f"parameter {k!r}: value {v!r} is a {type(v).__name__}; allowed: {p.allowed()}, or a "
                "numpy array of those with one value per draw"
            )
        out[k] = check_value(p, v)
        if isinstance(out[k], float):
            scalars[k] = out[k]
    if scalars:
        check_joint(with_overrides(declared, scalars))
    return out


def backcast_parameters() -> dict[str, float]:
    """Start-year values for a run from 2010, taken from the history the plan reports.

    A run that starts in 2010 is in 2010 prices (its deflator is 1 in 2010). The plan gives, for
    2010 (``data/history.csv``, plan ch.1 L9): GDP 49.4 亿元 at current prices, and 2020 incomes
    with their ten-year multiples (2.6 urban, 3.3 rural), from which the 2010 incomes are
    37,247 / 2.6 and 17,818 / 3.3 元. Every other start value (population, urbanisation, sector
    shares, capital-output ratio, water) is not reported for 2010: it keeps its 2020 value, an
    assumption that the calibration issue replaces by fitted values. Returns overrides by name.
    """
    from jzsim.data.check import load_history

    h = load_history()

    def value(indicator, kind, year=2020):
        row = h[(h["indicator"] == indicator) & (h["kind"] == kind) & (h["year"] == year)]
        if len(row) != 1:
            raise ValueError(f"history.csv has {len(row)} rows for {indicator} {kind} {year}; expected 1")
        return float(row["value"].iloc[0])

    return {
        "gdp_base": value("gdp_nominal", "nominal_level", 2010),
        "income_urban_base": value("income_urban", "nominal_level") / value("income_urban", "unstated_multiple"),
        "income_rural_base": value("income_rural", "nominal_level") / value("income_rural", "unstated_multiple"),
    }


def backcast(params: Mapping[str, Any] | None = None, *, stop: float = BASE_YEAR, **settings: Any) -> xr.Dataset:
    """Run the model from 2010 (see :func:`backcast_parameters`) to ``stop`` (default 2020), for
    comparison with the history the plan reports; ``params`` override the back-cast values."""
    ds = simulate({**backcast_parameters(), **dict(params or {})}, start=BACKCAST_START, stop=stop, **settings)
    ds.attrs["scenario"] = "backcast from 2010 (2010 prices)"
    return ds
