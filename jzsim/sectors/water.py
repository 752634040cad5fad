"""Water: demand by use, supply by source, shortage, reclaimed water and the aquifer.

All volumes in 亿m3 (``yi_m3``) per year. Parameters: ``data/parameters/water.csv`` (each row
gives its source); ``t0`` is the run's first year
(stock ``start_year``: 2020 in the plan scenario, 2010 in the back-cast). ``progress`` is the share of 2020-2025 elapsed::

    progress = clip((t - water_policy_start) / (water_policy_year - water_policy_start), 0, 1)   [1]

Demand by use::

    water_demand_agriculture  (sector agriculture: irrigation + livestock)
    d(va_industry_perceived)/dt = (va_industry - va_industry_perceived) / industry_demand_lag     [yiyuan/year/year]
    va_industry_perceived(t0) = (gdp_base - va_primary_base) * (1 - tertiary_share_base)
                                * industry_share_of_secondary     (economy's t0 value with no shortage)
    industry_water_quota   = industry_water_quota_base * exp(-industry_quota_decline * (t - t0))   [m3/wanyuan]
    water_demand_industry  = industry_water_quota * va_industry_perceived                        [yi_m3/year]
    water_demand_urban_domestic = urban_domestic_lpcd * pop_urban;  rural likewise               [yi_m3/year]
    water_demand_ecology   = ecology_demand_base + (ecology_demand_policy - ecology_demand_base) * progress
    water_demand_total     = sum of the five uses                                                 [yi_m3/year]

Industrial demand follows *perceived* (one-year smoothed) industrial value added: va_industry
already carries the effect of an industrial shortage, so reading it directly would be an algebraic loop.

Wastewater is computed from urban domestic and industrial *demand* (supply depends on it, so using
supply would be a loop); under an industrial shortage it slightly overstates treated wastewater.

The reuse rate approaches its target exponentially, written in closed form (the solution of
d(reuse_rate)/dt = (target - reuse_rate) / reuse_adjust_time): with a time constant of a few years
an Euler stock would carry an integration error of about 1% at dt = 0.25.

Supply, in order of use (transferred Yangtze water first, for domestic use: plan ch.21 L212)::

    reuse_rate   = reuse_rate_target - (reuse_rate_target - reuse_rate_base)
                   * exp(-(t - water_policy_start) / reuse_adjust_time)     (t >= water_policy_start) [1]
    wastewater_treated = wastewater_treated_fraction * (water_demand_urban_domestic + water_demand_industry)
    reclaimed    = min(reuse_rate * wastewater_treated, water_demand_industry + water_demand_ecology)
    transferred_capacity = transferred_capacity_base + (transferred_capacity_policy - base)
                           * clip((t - water_policy_start) / (transfer_switch_year - water_policy_start), 0, 1)
    transferred  = min(transferred_capacity, water_demand_total - reclaimed)
    surface      = min(surface_water_available, water_demand_total - reclaimed - transferred)
    groundwater_need = max(water_demand_total - reclaimed - transferred - surface, 0)
    groundwater_need_base = groundwater_need(t0)       (a stock without flows: holds the start value)
    groundwater_cap = min(groundwater_cap_headroom * groundwater_need_base * (1 - well_closure_share
                          * clip((t - water_policy_start) / (well_closure_year - water_policy_start), 0, 1)),
                          aquifer_storage / aquifer_min_drain_time)
    groundwater_extraction = min(groundwater_need, groundwater_cap)
    water_supplied_total = reclaimed + transferred + surface + groundwater_extraction
    water_shortage_total = water_demand_total - water_supplied_total      (closes the balance exactly)

Shortage falls on agriculture and industry (domestic and ecological use are served first), split in
proportion to demand with industry's weighted by industry_shortage_weight::

    shortage_ai  = min(water_shortage_total, D_agri + D_ind)
    shortage_agri = min(shortage_ai * D_agri / (D_agri + industry_shortage_weight * D_ind), D_agri)
    water_shortage_industry = shortage_ai - shortage_agri                                        [yi_m3/year]
    agri_water_supply_factor = 1 - shortage_agri / D_agri          (share of farm demand met)      [1]
    industry_water_supply_factor = 1 - water_shortage_industry / D_ind  (share of industry's met)  [1]

The sector reports the shortage of each use and the share of each use's demand that is met; it
does not say what a shortage does to output. The sectors that use the water do: agriculture
through its yields, economy through the water dependence of industrial value added (a shortage
of industrial water touches industry only, not construction or services, which draw on the
urban domestic supply that is served first).

The cap starts above the start year's need (no shortage in 2020 with any valid parameters) and
can never pump more than the exploitable storage holds (so the stock stays >= 0 for dt <= 1 year).

Aquifer (plan ch.23 L230: extraction and recharge in balance by 2022)::

    groundwater_recharge = precipitation * district_area * infiltration_coefficient               [yi_m3/year]
    d(aquifer_storage)/dt = groundwater_recharge - groundwater_extraction                        [yi_m3/year]
    groundwater_balance  = groundwater_recharge - groundwater_extraction                          [yi_m3/year]

Indicators (plan ch.23 L230, ch.21 L212)::

    reclaimed_share  = reclaimed / wastewater_treated        (再生水利用率, >= 30% by 2025)          [1]
    water_per_wanyuan_gdp = water_supplied_total / gdp_real                                      [m3/wanyuan]
    domestic_transferred_share = min(transferred, domestic demand) / domestic demand             [1]
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F
from jzsim.sectors import start_year, trend

TINY = F.const(1e-12, "yi_m3/year")  # keeps shares finite when a demand is zero
USES = ("agriculture", "industry", "urban_domestic", "rural_domestic", "ecology")
SOURCES = ("transferred", "surface", "reclaimed", "groundwater")


class Water(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "water"
    inputs = ("water_demand_agriculture", "va_industry", "pop_urban", "pop_rural", "gdp_real", "start_year")

    def declare(self, m: Model) -> None:
        p = m.params
        t0 = start_year(m)
        prog = m.aux(
            "water_policy_progress",
            F.clip((m.time - p.water_policy_start) / (p.water_policy_year - p.water_policy_start), 0, 1),
            "1",
            description="share of the 2020-2025 water policy path elapsed",
        )
        # ---- demand by use
        d_agri = m.ref("water_demand_agriculture")
        va_ind = m.stock(
            "va_industry_perceived",
            (p.gdp_base - p.va_primary_base) * (1 - p.tertiary_share_base) * p.industry_share_of_secondary,
            "yiyuan/year",
            description="industrial value added as seen by water demand (smoothed one year)",
        )
        m.flow(
            "va_industry_perception",
            (m.ref("va_industry") - va_ind) / p.industry_demand_lag,
            "yiyuan/year/year",
            into="va_industry_perceived",
        )
        quota = m.aux(
            "industry_water_quota",
            p.industry_water_quota_base * trend(-p.industry_quota_decline, m.time, t0),
            "m**3/wanyuan",
            description="industrial water per 10,000 yuan of industrial value added",
        )
        d_ind = m.aux("water_demand_industry", quota * va_ind, "yi_m3/year", description="industrial water demand")
        d_urb = m.aux(
            "water_demand_urban_domestic",
            p.urban_domestic_lpcd * m.ref("pop_urban"),
            "yi_m3/year",
            description="urban household and public water demand",
        )
        d_rur = m.aux(
            "water_demand_rural_domestic",
            p.rural_domestic_lpcd * m.ref("pop_rural"),
            "yi_m3/year",
            description="rural household water demand",
        )
        d_eco = m.aux(
            "water_demand_ecology",
            p.ecology_demand_base + (p.ecology_demand_policy - p.ecology_demand_base) * prog,
            "yi_m3/year",
            description="ecological water (Hengshui Lake and river replenishment)",
        )
        demand = m.aux(
            "water_demand_total", d_agri + d_ind + d_urb + d_rur + d_eco, "yi_m3/year", description="total water demand"
        )
        # ---- supply by source
        elapsed = F.maximum(m.time - p.water_policy_start, 0)
        reuse = m.aux(
            "reuse_rate",
            p.reuse_rate_target - (p.reuse_rate_target - p.reuse_rate_base) * F.exp(-elapsed / p.reuse_adjust_time),
            "1",
            description="reclaimed-water reuse capacity rate (exponential approach to its target)",
        )
        treated = m.aux(
            "wastewater_treated",
            p.wastewater_treated_fraction * (d_urb + d_ind),
            "yi_m3/year",
            description="treated urban and industrial wastewater",
        )
        recl = m.aux(
            "water_supply_reclaimed",
            F.minimum(reuse * treated, d_ind + d_eco),
            "yi_m3/year",
            description="reclaimed water used (industry and ecology)",
        )
        switch = F.clip((m.time - p.water_policy_start) / (p.transfer_switch_year - p.water_policy_start), 0, 1)
        cap_t = m.aux(
            "transferred_capacity",
            p.transferred_capacity_base + (p.transferred_capacity_policy - p.transferred_capacity_base) * switch,
            "yi_m3/year",
            description="transferred Yangtze water (江水) available",
        )
        trans = m.aux(
            "water_supply_transferred",
            F.minimum(cap_t, demand - recl),
            "yi_m3/year",
            description="transferred Yangtze water used",
        )
        surf = m.aux(
            "water_supply_surface",
            F.minimum(p.surface_water_available, demand - recl - trans),
            "yi_m3/year",
            description="local surface and diverted river water used",
        )
        need = m.aux(
            "groundwater_need",
            F.maximum(demand - recl - trans - surf, 0),
            "yi_m3/year",
            description="demand left for groundwater after the other sources",
        )
        need0 = m.stock("groundwater_need_base", need, "yi_m3/year", description="start-year groundwater need")
        closure = F.clip((m.time - p.water_policy_start) / (p.well_closure_year - p.water_policy_start), 0, 1)
        aquifer = m.stock("aquifer_storage", p.aquifer_initial, "yi_m3", description="exploitable groundwater storage")
        cap_g = m.aux(
            "groundwater_cap",
            F.minimum(
                p.groundwater_cap_headroom * need0 * (1 - p.well_closure_share * closure),
                aquifer / p.aquifer_min_drain_time,
            ),
            "yi_m3/year",
            description="groundwater extraction allowed (falls as wells close)",
        )
        extraction = m.flow(
            "groundwater_extraction",
            F.minimum(need, cap_g),
            "yi_m3/year",
            out_of="aquifer_storage",
            description="groundwater pumped",
        )
        recharge = m.flow(
            "groundwater_recharge",
            p.precipitation * p.district_area * p.infiltration_coefficient,
            "yi_m3/year",
            into="aquifer_storage",
            description="natural recharge from precipitation",
        )
        m.aux("water_supply_groundwater", extraction, "yi_m3/year", description="groundwater used")
        supplied = m.aux(
            "water_supplied_total",
            recl + trans + surf + extraction,
            "yi_m3/year",
            description="water supplied, all sources",
        )
        short = m.aux("water_shortage_total", demand - supplied, "yi_m3/year", description="unmet water demand")
        # ---- shortage split to agriculture and industry
        short_ai = F.minimum(short, d_agri + d_ind)
        short_agri = m.aux(
            "water_shortage_agriculture",
            F.minimum(short_ai * d_agri / F.maximum(d_agri + p.industry_shortage_weight * d_ind, TINY), d_agri),
            "yi_m3/year",
            description="shortage borne by agriculture",
        )
        m.aux(
            "agri_water_supply_factor",
            1 - short_agri / F.maximum(d_agri, TINY),
            "1",
            description="share of agricultural water demand met",
        )
        short_ind = m.aux(
            "water_shortage_industry", short_ai - short_agri, "yi_m3/year", description="shortage borne by industry"
        )
        m.aux(
            "industry_water_supply_factor",
            1 - short_ind / F.maximum(d_ind, TINY),
            "1",
            description="share of industrial water demand met",
        )
        # ---- indicators
        m.aux("groundwater_balance", recharge - extraction, "yi_m3/year", description="recharge minus extraction")
        m.aux(
            "reclaimed_share",
            recl / F.maximum(treated, TINY),
            "1",
            description="reclaimed water used / treated wastewater (再生水利用率)",
        )
        m.aux(
            "water_per_wanyuan_gdp",
            supplied / m.ref("gdp_real"),
            "m**3/wanyuan",
            description="water use per 10,000 yuan of real GDP",
        )
        domestic = d_urb + d_rur
        m.aux(
            "domestic_transferred_share",
            F.minimum(trans, domestic) / F.maximum(domestic, TINY),
            "1",
            description="share of domestic demand that transferred water can cover (plan ch.21 L212)",
        )
        m.group("water_demand", "water_use", {u: f"water_demand_{u}" for u in USES}, description="water demand by use")
        m.group(
            "water_supply",
            "water_source",
            {s: f"water_supply_{s}" for s in SOURCES},
            description="water supplied by source",
        )
