"""Agriculture: grain area and yield, fallow and rain-fed farming, irrigation, pigs, primary value added.

Parameters: ``data/parameters/agriculture.csv`` (each row gives its source); ``t0`` is the run's first
year (stock ``start_year``: 2020 in the plan scenario, 2010 in the back-cast). ``progress`` is the share of the 2021-2025 plan period elapsed::

    progress = clip((t - agri_policy_start) / (agri_policy_year - agri_policy_start), 0, 1)     [1]
    X(t)     = X_base + (X_policy - X_base) * progress     for X in fallow_share, rainfed_share   [1]

Land and grain (plan ch.13 L124: sown area about 1,000,000 mu, capacity >= 335,000 t in 2025)::

    grain_area_planned = grain_area_base + (grain_area_target - grain_area_base) * progress     [mu]
    grain_area         = grain_area_planned * (1 - fallow_share) / (1 - fallow_share_base)      [mu]
    fallow_area        = grain_area_planned * fallow_share / (1 - fallow_share_base)            [mu]
    irrigated_grain_area = grain_area * (1 - rainfed_share)                                    [mu]
    yield_irrigated    = grain_yield_base * exp(grain_yield_growth * (t - t0))
                         / (1 - rainfed_share_base * (1 - rainfed_yield_ratio))                 [kg/mu/year]
    water_yield_factor = 1 - shortage_fallow_area_share
                         - shortage_rainfed_area_share * (1 - rainfed_yield_ratio)              [1]
    (irrigated land that water cannot serve is left fallow or farmed rain-fed: shares from water)
    grain_output = yield_irrigated * (irrigated_grain_area * water_yield_factor
                   + (grain_area - irrigated_grain_area) * rainfed_yield_ratio)                  [t/year]

Seasonal fallow (季节性休耕) takes land out of a season: it lowers sown area, output and water use.
Rain-fed dry farming (旱作雨养) keeps the area but drops irrigation and yields ``rainfed_yield_ratio``
of an irrigated mu (plan ch.13 L126, ch.23 L230). Irrigation (plan ch.13 L124 高效节水灌溉)::

    d(water_saving_adoption)/dt = (water_saving_adoption_target - adoption) / water_saving_adoption_time
    quota_factor = (1 - water_saving_quota_cut * adoption)
                   / (1 - water_saving_quota_cut * water_saving_adoption_base)                  [1]
    water_demand_irrigation = quota_factor * (irrigated_grain_area * irrigation_quota_grain
                              + other_crop_area * irrigation_quota_other)                        [yi_m3/year]

Livestock (plan ch.13 L127: 1,000,000 pigs slaughtered a year)::

    pigs_slaughtered = pigs_base + pig_target_adherence * (pigs_target - pigs_base) * progress  [head/year]
    water_demand_livestock  = pigs_slaughtered * water_per_pig + other_livestock_water          [yi_m3/year]
    water_demand_agriculture = water_demand_irrigation + water_demand_livestock                 [yi_m3/year]

Primary value added, bottom up as indices on the start year (so va_primary(t0) == va_primary_base
when water meets the irrigation demand at t0)::

    grain_output_base = grain_area_base * grain_yield_base                                     [t/year]
    livestock_index   = pig_share_of_livestock_va * pigs_slaughtered / pigs_base
                        + (1 - pig_share_of_livestock_va)                                        [1]
    other_farming_index = exp(other_farming_growth * (t - t0)) * water_yield_factor              [1]
    va_primary = va_primary_base * (va_share_grain * grain_output / grain_output_base
                 + va_share_livestock * livestock_index
                 + (1 - va_share_grain - va_share_livestock) * other_farming_index)              [yiyuan/year]
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F
from jzsim.sectors import start_year, toward, trend


class Agriculture(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "agriculture"
    inputs = ("shortage_fallow_area_share", "shortage_rainfed_area_share", "start_year")

    def declare(self, m: Model) -> None:
        p = m.params
        t0 = start_year(m)
        prog = m.aux(
            "agri_policy_progress",
            F.clip((m.time - p.agri_policy_start) / (p.agri_policy_year - p.agri_policy_start), 0, 1),
            "1",
            description="share of the 2021-2025 agricultural policy path elapsed",
        )
        fallow = m.aux(
            "fallow_share",
            toward(p.fallow_share_base, p.fallow_share_policy, prog),
            "1",
            description="seasonally fallowed share of the planned grain area (lever)",
        )
        rainfed = m.aux(
            "rainfed_share",
            toward(p.rainfed_share_base, p.rainfed_share_policy, prog),
            "1",
            description="rain-fed (dry-farmed) share of the grain sown area (lever)",
        )
        planned = m.aux(
            "grain_area_planned",
            toward(p.grain_area_base, p.grain_area_target, prog),
            "mu",
            description="grain area sown if fallow stayed at its start-year share",
        )
        area = m.aux(
            "grain_area", planned * (1 - fallow) / (1 - p.fallow_share_base), "mu", description="grain sown area"
        )
        m.aux(
            "fallow_area",
            planned * fallow / (1 - p.fallow_share_base),
            "mu",
            description="grain area left fallow for a season",
        )
        irrigated = m.aux("irrigated_grain_area", area * (1 - rainfed), "mu", description="irrigated grain sown area")
        y_irr = m.aux(
            "yield_irrigated",
            p.grain_yield_base
            * trend(p.grain_yield_growth, m.time, t0)
            / (1 - p.rainfed_share_base * (1 - p.rainfed_yield_ratio)),
            "kg/mu/year",
            description="grain yield of an irrigated sown mu with full water",
        )
        wyf = m.aux(
            "water_yield_factor",
            1
            - m.ref("shortage_fallow_area_share")
            - m.ref("shortage_rainfed_area_share") * (1 - p.rainfed_yield_ratio),
            "1",
            description="irrigated yield relative to full water supply",
        )
        grain = m.aux(
            "grain_output",
            y_irr * (irrigated * wyf + (area - irrigated) * p.rainfed_yield_ratio),
            "t/year",
            description="grain production",
        )
        adopt = m.stock(
            "water_saving_adoption",
            p.water_saving_adoption_base,
            "1",
            description="share of irrigated area under efficient water-saving irrigation",
        )
        m.flow(
            "water_saving_uptake",
            (p.water_saving_adoption_target - adopt) / p.water_saving_adoption_time,
            "1/year",
            into="water_saving_adoption",
        )
        qf = m.aux(
            "irrigation_quota_factor",
            (1 - p.water_saving_quota_cut * adopt) / (1 - p.water_saving_quota_cut * p.water_saving_adoption_base),
            "1",
            description="irrigation water per mu relative to the start year",
        )
        irr = m.aux(
            "water_demand_irrigation",
            qf * (irrigated * p.irrigation_quota_grain + p.other_crop_area * p.irrigation_quota_other),
            "yi_m3/year",
            description="irrigation water demand (grain and other crops)",
        )
        pigs = m.aux(
            "pigs_slaughtered",
            p.pigs_base + p.pig_target_adherence * (p.pigs_target - p.pigs_base) * prog,
            "head/year",
            description="pigs slaughtered (出栏) per year",
        )
        stock_water = m.aux(
            "water_demand_livestock",
            pigs * p.water_per_pig + p.other_livestock_water,
            "yi_m3/year",
            description="livestock water demand",
        )
        m.aux(
            "water_demand_agriculture",
            irr + stock_water,
            "yi_m3/year",
            description="irrigation + livestock water demand",
        )
        livestock = m.aux(
            "livestock_index",
            p.pig_share_of_livestock_va * pigs / p.pigs_base + (1 - p.pig_share_of_livestock_va),
            "1",
            description="livestock value added relative to the start year",
        )
        other = m.aux(
            "other_farming_index",
            trend(p.other_farming_growth, m.time, t0) * wyf,
            "1",
            description="other farming (vegetables, fruit, herbs, forestry, services) relative to start",
        )
        m.aux(
            "va_primary",
            p.va_primary_base
            * (
                p.va_share_grain * grain / (p.grain_area_base * p.grain_yield_base)
                + p.va_share_livestock * livestock
                + (1 - p.va_share_grain - p.va_share_livestock) * other
            ),
            "yiyuan/year",
            description="primary-sector value added, 2020 prices",
        )
