"""Water demand by use, responding to quotas, tariffs and the plan's ecological water.

All volumes in 亿m3 (``yi_m3``) per year; prices in yuan/m3; ``t0`` is the run's first year
(stock ``start_year``: 2020 in the plan scenario, 2010 in the back-cast). ``progress`` is the share of the
2020-2025 water policy path elapsed (see the package docstring). Agriculture (sector
``agriculture``) supplies the irrigation requirement at the start-year tariff (it already carries
fallow, rain-fed farming and water-saving irrigation) and the livestock demand::

    irrigation_water_price = irrigation_price_base + (irrigation_price_policy - base) * progress    [yuan/m3]
    irrigation_price_factor = exp(irrigation_price_elasticity * log(price / irrigation_price_base)) [1]
    water_demand_irrigation_priced = water_demand_irrigation * irrigation_price_factor            [yi_m3/year]
    (livestock: water_demand_livestock from agriculture, no price response)

Industry follows *perceived* (one-year smoothed) industrial value added (va_industry already
carries the industrial shortage, so reading it directly would be an algebraic loop), its quota and
its tariff::

    d(va_industry_perceived)/dt = (va_industry - va_industry_perceived) / industry_demand_lag
    va_industry_perceived(t0) = (gdp_base - va_primary_base) * (1 - tertiary_share_base)
                                * industry_share_of_secondary                                  [yiyuan/year]
    industry_water_quota  = industry_water_quota_base * exp(-industry_quota_decline * (t - t0))   [m3/wanyuan]
    industry_water_price  = industry_price_base + (industry_price_policy - base) * progress       [yuan/m3]
    industry_price_factor = exp(industry_price_elasticity * log(price / industry_price_base))     [1]
    water_demand_industry = industry_water_quota * va_industry_perceived * industry_price_factor  [yi_m3/year]

Households and ecology (plan ch.23 L230 保障河湖生态水量; river and lake replenishment)::

    water_demand_urban_domestic = urban_domestic_lpcd * pop_urban;  rural likewise            [yi_m3/year]
    replenishment_volume  = replenishment_volume_policy * progress                              [yi_m3/year]
    water_demand_lake     = ecology_demand_base + (ecology_demand_policy - base) * progress     [yi_m3/year]
    water_demand_ecology  = water_demand_lake + replenishment_volume                             [yi_m3/year]

With the start-year tariffs the price factors are 1, so the start year's demands are the quotas'.
"""

from __future__ import annotations

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.engine.expr import Expr
from jzsim.sectors import start_year, toward, trend


def declare(m: Model, prog: Expr) -> dict[str, Expr]:
    """Declare the demand variables; return the demand of each use (keys: the use labels)."""
    p = m.params
    t0 = start_year(m)
    irr_price = m.aux(
        "irrigation_water_price",
        toward(p.irrigation_price_base, p.irrigation_price_policy, prog),
        "yuan/m**3",
        description="irrigation water price (plan ch.23 L230 计量收费)",
    )
    irr_factor = m.aux(
        "irrigation_price_factor",
        F.exp(p.irrigation_price_elasticity * F.log(irr_price / p.irrigation_price_base)),
        "1",
        description="irrigation demand relative to the start-year tariff",
    )
    d_irr = m.aux(
        "water_demand_irrigation_priced",
        m.ref("water_demand_irrigation") * irr_factor,
        "yi_m3/year",
        description="irrigation water demand after the tariff's response",
    )
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
    ind_price = m.aux(
        "industry_water_price",
        toward(p.industry_price_base, p.industry_price_policy, prog),
        "yuan/m**3",
        description="industrial water price",
    )
    ind_factor = m.aux(
        "industry_price_factor",
        F.exp(p.industry_price_elasticity * F.log(ind_price / p.industry_price_base)),
        "1",
        description="industrial demand relative to the start-year tariff",
    )
    d_ind = m.aux(
        "water_demand_industry", quota * va_ind * ind_factor, "yi_m3/year", description="industrial water demand"
    )
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
    repl = m.aux(
        "replenishment_volume",
        p.replenishment_volume_policy * prog,
        "yi_m3/year",
        description="water delivered to rivers for groundwater replenishment (lever)",
    )
    lake = m.aux(
        "water_demand_lake",
        toward(p.ecology_demand_base, p.ecology_demand_policy, prog),
        "yi_m3/year",
        description="Hengshui Lake and wetland water demand",
    )
    d_eco = m.aux(
        "water_demand_ecology",
        lake + repl,
        "yi_m3/year",
        description="ecological water (lake, wetland and river replenishment)",
    )
    return {
        "urban_domestic": d_urb,
        "rural_domestic": d_rur,
        "industry": d_ind,
        "livestock": m.ref("water_demand_livestock"),
        "ecology": d_eco,
        "irrigation": d_irr,
    }
