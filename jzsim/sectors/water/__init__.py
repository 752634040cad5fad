"""Water: demand by use, allocation by priority and link, a two-layer aquifer, the plan's levers.

All volumes in 亿m3 (``yi_m3``) per year. Parameters: ``data/parameters/water.csv`` (each row
gives its source). The sector is three short modules, each listing its equations:

- :mod:`~jzsim.sectors.water.demand`: demand of six uses (urban and rural domestic, industry,
  livestock, ecology, irrigation), with quotas, tariffs and ecological water;
- :mod:`~jzsim.sectors.water.allocation`: supply by link, use and source (WEAP's priorities and
  preferences), shortage by use;
- :mod:`~jzsim.sectors.water.aquifer`: shallow and deep layers with storage, level, recharge,
  leakage, lateral inflow and level-dependent pumping capacity.

This module adds the policy paths, the source capacities and the indicators::

    progress = clip((t - water_policy_start) / (water_policy_year - water_policy_start), 0, 1)      [1]
    switch   = clip((t - water_policy_start) / (transfer_switch_year - water_policy_start), 0, 1)   [1]
    closure  = clip((t - water_policy_start) / (well_closure_year - water_policy_start), 0, 1)      [1]

Source capacities (yi_m3/year; plan ch.21 L212 for the transfer, ch.23 L230 for the rest)::

    irrigation_transfer_capacity = irrigation_transfer_policy * progress          (source switching)
    transferred_capacity = transferred_capacity_base
                           + (transferred_capacity_policy - base) * switch + irrigation_transfer_capacity
    surface_capacity     = surface_water_available + replenishment_volume   (delivered river water)
    reuse_rate   = reuse_rate_target - (reuse_rate_target - reuse_rate_base)
                   * exp(-(t - water_policy_start) / reuse_adjust_time)       (t >= water_policy_start)
    wastewater_treated = wastewater_treated_fraction * (water_demand_urban_domestic + water_demand_industry)
    reclaimed_capacity = reuse_rate * wastewater_treated
    self_supplied_well_capacity = self_supplied_well_capacity_base * (1 - well_closure_share * closure)
    shallow_groundwater, deep_groundwater: the aquifer's pumping capacities

(wastewater follows *demand*: supply depends on it, so reading supply would be a loop.)

Outputs other sectors read::

    water_supply_ratio_industry, water_supply_ratio_irrigation   (supplied / demand)            [1]
    industry_water_supply_factor = water_supply_ratio_industry         (the name economy reads)  [1]
    agri_water_supply_factor = (supplied irrigation + livestock) / demand                       [1]
    shortage_fallow_area_share  = shortage_fallow_share * (1 - water_supply_ratio_irrigation)     [1]
    shortage_rainfed_area_share = (1 - shortage_fallow_share) * (1 - water_supply_ratio_irrigation)

An irrigation shortage takes irrigated land out of irrigation: a share of it is left fallow, the
rest farmed rain-fed (agriculture turns these shares into grain), rather than cutting every mu's
water in proportion.

Indicators (plan ch.23 L230, ch.21 L212)::

    reclaimed_share  = water_supply_reclaimed / wastewater_treated    (再生水利用率, >= 30% by 2025)   [1]
    water_per_wanyuan_gdp        = water_supplied_total / gdp_real     (use actually supplied)   [m3/wanyuan]
    water_demand_per_wanyuan_gdp = water_demand_total / gdp_real       (unmet demand is no saving)
    domestic_transferred_share = transferred water to domestic uses / domestic demand           [1]
    groundwater balance, level and level rise by layer: see the aquifer module
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F
from jzsim.sectors import toward
from jzsim.sectors.water import aquifer, demand
from jzsim.sectors.water.allocation import LINKS, SOURCES, USES, Link, allocate, link_name

__all__ = ["Water", "USES", "SOURCES", "LINKS", "Link", "LEVERS", "levers_off", "link_matrix"]

TINY = F.const(1e-12, "yi_m3/year")

#: The plan's water levers: parameter -> (its value with the lever off, where the plan names it).
LEVERS: dict[str, tuple[str, str]] = {
    "well_closure_share": ("0", "ch.23 L230 依法有序关停自备井 (with 水源置换)"),
    "pumping_cut_shallow": ("0", "ch.23 L230 极限压控地下水 (压采)"),
    "pumping_cut_deep": ("0", "ch.23 L230 极限压控地下水 (压采)"),
    "irrigation_transfer_policy": ("0", "ch.23 L230 水源置换 (irrigation source switching)"),
    "replenishment_volume_policy": ("0", "ch.23 L230 节引调补蓄管 (补: river and lake replenishment)"),
    "ecology_demand_policy": ("ecology_demand_base", "ch.23 L230 保障河湖生态水量; L232 west lake"),
    "reuse_rate_target": ("reuse_rate_base", "ch.23 L230 再生水利用率达到30%以上"),
    "transferred_capacity_policy": ("transferred_capacity_base", "ch.21 L212 城乡生活实现全域江水置换"),
    "irrigation_price_policy": ("irrigation_price_base", "ch.23 L230 计量收费"),
    "industry_price_policy": ("industry_price_base", "ch.23 L230 严控高耗水行业 (tariffs)"),
}


def levers_off(params: Mapping[str, Any], *, fixed: bool = False) -> dict:
    """Overrides that switch the plan's water levers off (each at its start-year value).

    >>> off = levers_off(jzsim.load_parameters())  # doctest: +SKIP
    >>> jzsim.monte_carlo(draws=20_000, params=off)  # doctest: +SKIP

    Parameters
    ----------
    params : mapping
        Name -> :class:`~jzsim.params.Parameter` (e.g. :func:`jzsim.load_parameters`); a lever whose
        off value names another parameter takes that parameter's nominal value.
    fixed : bool, default False
        False: numbers (for :func:`jzsim.simulate` and :func:`jzsim.monte_carlo`, where a number
        fixes a parameter). True: fixed-distribution :class:`~jzsim.params.Parameter` objects, for
        code that takes whole parameters (e.g. ``plan_model(parameters=...)``).
    """
    from dataclasses import replace

    missing = sorted(set(LEVERS) - set(params))
    if missing:
        raise KeyError(f"levers_off: params lacks the water levers {missing}; pass jzsim.load_parameters()")
    ps = params
    off = {k: float(ps[v].value) if v in ps else float(v) for k, (v, _) in LEVERS.items()}
    if not fixed:
        return off
    return {
        k: replace(
            ps[k], value=x, low=None, high=None, distribution="fixed", source=f"user: water lever off ({LEVERS[k][1]})"
        )
        for k, x in off.items()
    }


def link_matrix(ds: xr.Dataset) -> xr.DataArray:
    """Supply by link as a ``(..., water_use, water_source)`` array (0 where there is no link).

    ``ds`` is a result holding the ``water_link`` group (a plan or water-sector run).
    """
    if "water_link" not in ds:
        raise KeyError(
            "link_matrix needs the 'water_link' group (supply by link) in ds; run the plan or water model "
            "and keep that variable (Monte Carlo summaries keep only their outputs)"
        )
    links = ds["water_link"]
    ids = [str(x) for x in links["water_link_id"].values]
    uses = list(dict.fromkeys(i.split(":")[0] for i in ids))
    sources = [s for s in SOURCES if any(i.endswith(":" + s) for i in ids)]
    other = [d for d in links.dims if d != "water_link_id"]
    out = np.zeros(tuple(links.sizes[d] for d in other) + (len(uses), len(sources)))
    for k, i in enumerate(ids):
        u, s = i.split(":")
        out[..., uses.index(u), sources.index(s)] = links.isel(water_link_id=k).values
    coords = {d: links[d] for d in other if d in links.coords}
    coords.update(water_use=uses, water_source=sources)
    return xr.DataArray(out, dims=(*other, "water_use", "water_source"), coords=coords, attrs=dict(links.attrs))


class Water(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "water"
    inputs = (
        "water_demand_irrigation",
        "water_demand_livestock",
        "va_industry",
        "pop_urban",
        "pop_rural",
        "gdp_real",
        "start_year",
    )

    def declare(self, m: Model) -> None:
        p = m.params

        def path(end_year):
            return F.clip((m.time - p.water_policy_start) / (end_year - p.water_policy_start), 0, 1)

        prog = m.aux("water_policy_progress", path(p.water_policy_year), "1", description="share of 2020-2025 elapsed")
        uses = demand.declare(m, prog)
        total = m.aux(
            "water_demand_total",
            sum(list(uses.values())[1:], uses["urban_domestic"]),
            "yi_m3/year",
            description="total water demand",
        )
        # ---- source capacities
        irr_t = m.aux(
            "irrigation_transfer_capacity",
            p.irrigation_transfer_policy * prog,
            "yi_m3/year",
            description="transferred water switched to irrigation (source switching lever)",
        )
        cap_t = m.aux(
            "transferred_capacity",
            toward(p.transferred_capacity_base, p.transferred_capacity_policy, path(p.transfer_switch_year)) + irr_t,
            "yi_m3/year",
            description="transferred Yangtze water (江水) available",
        )
        cap_s = m.aux(
            "surface_capacity",
            p.surface_water_available + m.ref("replenishment_volume"),
            "yi_m3/year",
            description="local and diverted river water available, with replenishment deliveries",
        )
        elapsed = F.maximum(m.time - p.water_policy_start, 0)
        reuse = m.aux(
            "reuse_rate",
            p.reuse_rate_target - (p.reuse_rate_target - p.reuse_rate_base) * F.exp(-elapsed / p.reuse_adjust_time),
            "1",
            description="reclaimed-water reuse capacity rate (exponential approach to its target)",
        )
        treated = m.aux(
            "wastewater_treated",
            p.wastewater_treated_fraction * (uses["urban_domestic"] + uses["industry"]),
            "yi_m3/year",
            description="treated urban and industrial wastewater",
        )
        cap_r = m.aux("reclaimed_capacity", reuse * treated, "yi_m3/year", description="reclaimed water available")
        m.aux(
            "self_supplied_well_capacity",
            p.self_supplied_well_capacity_base * (1 - p.well_closure_share * path(p.well_closure_year)),
            "yi_m3/year",
            description="industry's self-supplied deep wells still open (closure lever)",
        )
        capacity = {"transferred": cap_t, "surface": cap_s, "reclaimed": cap_r, **aquifer.declare(m)}
        allocate(m, uses, {s: capacity[s] for s in SOURCES})
        # ---- totals and what other sectors read
        supplied = m.aux(
            "water_supplied_total",
            sum((m.ref(f"water_supply_{s}") for s in SOURCES[1:]), m.ref(f"water_supply_{SOURCES[0]}")),
            "yi_m3/year",
            description="water supplied, all sources",
        )
        m.aux(
            "water_shortage_total",
            sum((m.ref(f"water_shortage_{u}") for u in USES[1:]), m.ref(f"water_shortage_{USES[0]}")),
            "yi_m3/year",
            description="unmet water demand, all uses",
        )
        m.aux(
            "water_supply_groundwater",
            m.ref("water_supply_shallow_groundwater") + m.ref("water_supply_deep_groundwater"),
            "yi_m3/year",
            description="groundwater used, both layers",
        )
        m.aux(
            "industry_water_supply_factor",
            m.ref("water_supply_ratio_industry"),
            "1",
            description="share of industrial water demand met (economy's name for water_supply_ratio_industry)",
        )
        farm = uses["irrigation"] + uses["livestock"]
        m.aux(
            "agri_water_supply_factor",
            F.where(
                farm > 0,
                (m.ref("water_supplied_irrigation") + m.ref("water_supplied_livestock")) / F.maximum(farm, TINY),
                1.0,
            ),
            "1",
            description="share of irrigation and livestock water demand met",
        )
        dry = 1 - m.ref("water_supply_ratio_irrigation")
        m.aux(
            "shortage_fallow_area_share",
            p.shortage_fallow_share * dry,
            "1",
            description="share of irrigated grain area left fallow for want of water",
        )
        m.aux(
            "shortage_rainfed_area_share",
            (1 - p.shortage_fallow_share) * dry,
            "1",
            description="share of irrigated grain area farmed rain-fed for want of water",
        )
        # ---- indicators
        m.aux(
            "reclaimed_share",
            m.ref("water_supply_reclaimed") / F.maximum(treated, TINY),
            "1",
            description="reclaimed water used / treated wastewater (再生水利用率)",
        )
        gdp = m.ref("gdp_real")
        m.aux("water_per_wanyuan_gdp", supplied / gdp, "m**3/wanyuan", description="water supplied per 10,000 yuan GDP")
        m.aux(
            "water_demand_per_wanyuan_gdp", total / gdp, "m**3/wanyuan", description="water demand per 10,000 yuan GDP"
        )
        domestic = uses["urban_domestic"] + uses["rural_domestic"]
        m.aux(
            "domestic_transferred_share",
            F.where(
                domestic > 0,
                (m.ref(link_name("urban_domestic", "transferred")) + m.ref(link_name("rural_domestic", "transferred")))
                / F.maximum(domestic, TINY),
                1.0,
            ),
            "1",
            description="share of domestic demand served by transferred water (plan ch.21 L212)",
        )
