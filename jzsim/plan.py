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

from jzsim.data.targets import load_targets
from jzsim.engine import Model, Sector
from jzsim.params import Parameter, load_parameters

__all__ = [
    "plan_model",
    "simulate",
    "backcast",
    "backcast_parameters",
    "start_values",
    "BASE_YEAR",
    "HORIZON",
    "BACKCAST_START",
    "HEADLINE",
]

BASE_YEAR = 2020.0  # plan ch.1 L9: the 13th Five-Year Plan's final year, the base of the figures
HORIZON = 2035.0  # the plan's outlook year (title; preface)
BACKCAST_START = 2010.0  # plan ch.1 L9 reports 2010 GDP, the start of the history calibration fits
#: Outputs a Monte Carlo run of the plan summarises by default, besides the target indicators
#: (:func:`jzsim.monte_carlo`).
HEADLINE = (
    "gdp_real",
    "gdp_nominal",
    "gdp_growth",
    "va_primary",
    "va_secondary",
    "va_tertiary",
    "cluster_output_health",
    "cluster_output_materials",
    "cluster_output_equipment",
    "pop_total",
    "urbanisation",
    "employment",
    "income_urban",
    "income_rural",
    "grain_output",
    "water_demand_total",
    "water_shortage_total",
    "groundwater_extraction",
    "groundwater_recharge",
    "aquifer_storage",
    "reclaimed_share",
    "water_per_wanyuan_gdp",
)


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
    for name in schedules:
        _refuse_closed_form(m, name)
    m.targets = load_targets()
    return m


def _refuse_closed_form(m: Model, name: str) -> None:
    """Refuse a schedule for a parameter that an equation uses in a closed-form path of time.

    Such paths are ``exp(rate * (t - t0))`` or ``exp(-(t - t0) / tau)``: a value that changes over
    time would change the formula of the whole path, not its rate from then on.
    """
    from jzsim.engine.expr import Lookup, Op, Ref, Time
    from jzsim.scenarios import ScenarioError

    def nodes(e):
        yield e
        for a in e.args if isinstance(e, Op) else (e.x,) if isinstance(e, Lookup) else ():
            yield from nodes(a)

    for v in m.variables.values():
        for e in nodes(v.expr) if v.expr is not None else ():
            if isinstance(e, Op) and e.op == "exp":
                inner = list(nodes(e.args[0]))
                if any(isinstance(x, Time) for x in inner) and any(
                    isinstance(x, Ref) and x.name == name for x in inner
                ):
                    raise ScenarioError(
                        f"scenario {m.scenario.name!r}: [schedules.{name}] {name} enters {v.name!r} in a closed-form "
                        f"path of time (exp(... {name} ... t)); a schedule would rewrite the whole path, not its rate "
                        "from then on; allowed: a number in [params] (or an [uncertainty] distribution)"
                    )


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
        ``start``, ``stop``, ``dt``, ``method``, ``save_every``, ``batch_size``, ``backend`` (see
        :meth:`jzsim.engine.Model.run`).

    Returns
    -------
    xarray.Dataset
        Dims ``draw`` and ``year`` (plus ``sector``, ``cluster``, ``water_use``, ``water_source``
        for grouped variables); every variable has ``units`` and ``description`` attrs.
    """
    from jzsim.data import data_hash
    from jzsim.version import __version__

    if scenario is not None and model is not None:
        raise ValueError("give scenario= or model=, not both (build the model with plan_model(scenario=...))")
    m = plan_model(scenario=scenario) if model is None else model
    params = _checked(m, params)
    check_run_size(m, settings, draws if draws is not None else _draws_of(params))
    ds = m.run(params, draws=draws, **settings)
    sc = getattr(m, "scenario", None)
    ds.attrs.update(scenario=sc.name if sc is not None else "plan", jzsim_version=__version__, data_hash=data_hash())
    return ds


def _checked(m: Model, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` validated against the declared parameters' domains, in the parameters' units.

    Names, types, values and the joint constraints of the numbers given are checked.
    """
    from jzsim.params import check_joint, check_value, with_overrides

    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValueError(f"params is a {type(params).__name__}; allowed: a mapping of parameter name -> value")
    declared = {n: v.parameter for n, v in m.variables.items() if v.kind == "param"}
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


#: Run settings the plan model accepts (years; the data's years run 2010-2035, the outlook
#: is extended at most to 2100; a step shorter than a day carries no information for yearly data).
SETTING_LIMITS = {"start": (BACKCAST_START, HORIZON), "stop": (BACKCAST_START, 2100.0), "dt": (1 / 365, 1.0)}
#: Measured on the development machine (2 cores; the plan model, numpy backend, Model.run):
#: about 0.6 ms per time step plus 6.4 us per draw and step. Used only for the size estimate.
_SECONDS_PER_STEP, _SECONDS_PER_DRAW_STEP = 6e-4, 6.4e-6
#: Largest run simulate() starts without being asked to split it: one hour, or 80% of the memory.
MAX_SECONDS = 3600.0


def _draws_of(params: Mapping[str, Any]) -> int:
    return max([int(np.size(v)) for v in params.values() if isinstance(v, np.ndarray)] or [1])


def _memory_bytes() -> float:
    import os

    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return float("inf")


def check_run_size(m: Model, settings: Mapping[str, Any], draws: int) -> None:
    """Refuse run settings that make no sense for the plan model, or a run too large for the machine.

    ``start``/``stop``/``dt`` must be finite numbers within :data:`SETTING_LIMITS` (for the plan
    model); any model's run is estimated (time steps x draws, saved values x 8 bytes) and refused
    above :data:`MAX_SECONDS` or 80% of physical memory, with the estimate in the message.
    """
    import math

    s = {**m.settings, **{k: v for k, v in settings.items() if k in ("start", "stop", "dt", "save_every")}}
    for k in ("start", "stop", "dt", "save_every"):
        v = s[k]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise ValueError(f"run setting {k} is {v!r}; allowed: a finite number")
    if m.name == "jizhou_plan":
        for k, (lo, hi) in SETTING_LIMITS.items():
            if not lo <= float(s[k]) <= hi:
                raise ValueError(f"run setting {k} is {s[k]!r}; allowed for the plan model: {lo:g} to {hi:g} year")
    span = float(s["stop"]) - float(s["start"])
    if span <= 0 or float(s["dt"]) <= 0 or float(s["save_every"]) <= 0:
        return  # the engine names these
    steps = span / float(s["dt"])
    saves = span / float(s["save_every"]) + 1
    seconds = steps * (_SECONDS_PER_STEP + draws * _SECONDS_PER_DRAW_STEP)
    memory = draws * saves * len(m.variables) * 8.0
    if seconds > MAX_SECONDS or memory > 0.8 * _memory_bytes():
        raise ValueError(
            f"run too large: {draws:,} draws x {steps:,.0f} steps (dt {float(s['dt']):g}, {s['start']:g}-{s['stop']:g}) "
            f"is estimated at {seconds / 3600:,.3g} h and {memory / 2**30:,.3g} GiB of results; allowed: under "
            f"{MAX_SECONDS / 3600:g} h and 80% of this machine's {_memory_bytes() / 2**30:,.3g} GiB "
            "(fewer draws, a longer dt, or monte_carlo for summaries)"
        )


def start_values(year: int, *, parameters: Mapping[str, Parameter] | None = None) -> dict[str, float]:
    """Start-year values for a run that starts in ``year``, from ``data/start_values.csv``.

    The plan model's parameters hold the 2020 values (the plan's base year). A run from another
    year takes the values of that year where the file has them (each row with its source: the
    plan, a census, or an assumption to be fitted by calibration) and keeps the 2020 value of every
    other parameter. The model reads every ``t0`` from the run itself (stock ``start_year``), so a
    run from 2010 and a run from 2020 are the same model with different start values.

    Parameters
    ----------
    year : int
        The run's first year; 2020 gives no overrides.
    parameters : mapping, optional
        The parameters the names are checked against (default: the packaged ones).

    Returns
    -------
    dict
        Parameter name -> value in the parameter's units.

    Raises
    ------
    ValueError
        On a row whose name is not a parameter (with "did you mean"), whose units differ from the
        parameter's, whose value is not a finite number, or whose source is not
        ``plan ch``/``public:``/``assumption:``.
    """
    import difflib
    import io
    import math
    from importlib import resources

    import pandas as pd

    params = load_parameters() if parameters is None else parameters
    text = resources.files("jzsim.data").joinpath("start_values.csv").read_text(encoding="utf-8")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    out: dict[str, float] = {}
    for i, r in df.iterrows():
        where = f"start_values.csv row {i + 2} ({r['name']!r}, {r['year']})"
        if r["name"] not in params:
            close = difflib.get_close_matches(r["name"], list(params), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"{where}: field 'name' has value {r['name']!r}; allowed: a parameter name{hint}")
        if r["units"] != params[r["name"]].units:
            raise ValueError(
                f"{where}: field 'units' has value {r['units']!r}; allowed: {params[r['name']].units!r} "
                "(the parameter's units)"
            )
        if not r["source"].startswith(("plan ch", "public:", "assumption:")):
            raise ValueError(
                f"{where}: field 'source' has value {r['source']!r}; allowed: 'plan ch...', 'public: ...', 'assumption: ...'"
            )
        try:
            value, y = float(r["value"]), int(r["year"])
        except ValueError:
            raise ValueError(f"{where}: field 'value' or 'year' is not a number; allowed: a finite number") from None
        if not math.isfinite(value):
            raise ValueError(f"{where}: field 'value' has value {value}; allowed: a finite number")
        if y == int(year):
            out[r["name"]] = value
    return out


def backcast_parameters() -> dict[str, float]:
    """Start-year values for a run from 2010: :func:`start_values` for 2010.

    A run that starts in 2010 is in 2010 prices (its deflator is 1 in 2010). The plan gives GDP
    49.4 亿元 and the 2020 incomes with their ten-year multiples (ch.1 L9); the 2010 census gives
    residents, urbanisation and the age structure; the rest are assumptions, each with its
    reasoning in ``data/start_values.csv``, for the calibration to fit. Returns overrides by name.
    """
    return start_values(int(BACKCAST_START))


def backcast(params: Mapping[str, Any] | None = None, *, stop: float = BASE_YEAR, **settings: Any) -> xr.Dataset:
    """Run the model from 2010 to ``stop`` (default 2020), to compare with the plan's history.

    The back-cast values are those of :func:`backcast_parameters`; ``params`` override them.
    """
    ds = simulate({**backcast_parameters(), **dict(params or {})}, start=BACKCAST_START, stop=stop, **settings)
    ds.attrs["scenario"] = "backcast from 2010 (2010 prices)"
    return ds
