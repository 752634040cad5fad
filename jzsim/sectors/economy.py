"""Economy: capital, non-farm output (Cobb-Douglas), sector split, GDP, prices and investment mix.

Money in 亿元 (``yiyuan``) at 2020 prices; ``t0`` is the first simulated year (2020 in the plan
scenario). Parameters: ``data/parameters/economy.csv`` (each row gives its source).

Base year (exact by construction, plan ch.1 L9: GDP 2020 = 111 亿元)::

    va_nonfarm_base = (gdp_base - va_primary(t0))
                      / (1 - (1 - tau(t0)) * industry_share_of_secondary * (1 - wof(t0)))   [yiyuan/year]

so that gdp_real(t0) == gdp_base whatever agriculture and water report for t0 (wof =
industry_water_output_factor). The stocks va_nonfarm_base, labour_nonfarm_available_base and
employment_nonfarm_base have no flows: they hold start-year values (the engine has no INITIAL).

Equations::

    d(K)/dt       = investment - depreciation_rate * K,  investment = fai_total          [yiyuan]
    K(t0)         = capital_output_ratio * va_nonfarm_base
    d(tfp)/dt     = tfp_growth * tfp,  tfp(t0) = 1       (= exp(tfp_growth * (t - t0)))  [1]
    va_nonfarm_potential = va_nonfarm_base * tfp * (K/K(t0))**alpha
                           * (labour_nonfarm_available / its t0 value)**(1 - alpha)   [yiyuan/year]
    labour_nonfarm_available = max(labour_supply - labour_demand_primary, nonfarm_labour_floor * labour_supply)  [wan_person]
    va_nonfarm    = va_nonfarm_base * tfp * (K/K(t0))**alpha
                    * (employment_nonfarm / employment_nonfarm(t0))**(1 - alpha)      [yiyuan/year]
                  (both Cobb-Douglas terms computed in logs, exp(alpha log(K/K(t0)) + (1 - alpha)
                   log(L/L(t0))): the same value, one exponential instead of two powers)
    wof           = 1 - industry_water_dependence * (1 - industry_water_supply_factor)  [1]
    d(tau)/dt     = (tertiary_share_target - tau) / tertiary_share_adjustment_time    [1/year]
    va_tertiary   = tau * va_nonfarm                                                  [yiyuan/year]
    va_secondary_trend = (1 - tau) * va_nonfarm      (before any water shortage)      [yiyuan/year]
    va_construction = (1 - industry_share_of_secondary) * va_secondary_trend          [yiyuan/year]
    cluster_base_share = sum_c cluster_industry_share_c                                [1]
    va_other_industry = industry_share_of_secondary * va_secondary_trend * (1 - cluster_base_share) * wof
    va_industry   = va_other_industry + cluster_va_total                              [yiyuan/year]
    va_secondary  = va_construction + va_industry                                     [yiyuan/year]
    gdp_real      = va_primary + va_secondary + va_tertiary                           [yiyuan/year]
    d(deflator)/dt = inflation_rate * deflator,  deflator(t0) = 1                     [1]
    gdp_nominal   = gdp_real * deflator                                               [yiyuan/year]
    gdp_growth(y) = gdp_real(y) / gdp_real(y - 1) - 1   (annual real growth, from results) [1/year]
    fai_total     = investment_rate * gdp_real + attracted_investment                 [yiyuan/year]
    fai_policy_progress = clip((t - fai_policy_start) / (fai_policy_year - fai_policy_start), 0, 1)
    fai_industrial_share = base + adherence * (policy - base) * fai_policy_progress    [1]
    fai_hightech_share   = base + adherence * (policy - base) * fai_policy_progress    [1]

One capital account: the clusters' capital is part of K (its start value, capital_output_ratio x
non-farm output, already holds it), so all fixed-asset investment, the clusters' share included,
flows into K. Water: a shortage of industrial water lowers industrial value added (clusters and
other industry, in proportion to ``industry_water_dependence``) and nothing else; construction and
services draw on the urban supply, which is served first.

Structural change: tau (stock ``tertiary_share``) is the tertiary share of non-farm value added; it drifts toward its
target. Cluster value added (sector ``clusters``) is *part of* va_secondary and is never added to
GDP again. Investment shares follow the plan's stated floors (ch.22 L218) with partial adherence.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F


class Economy(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "economy"
    inputs = (
        "va_primary",
        "industry_water_supply_factor",
        "employment_nonfarm",
        "labour_supply",
        "labour_demand_primary",
        "cluster_va_total",
    )

    def declare(self, m: Model) -> None:
        p = m.params
        va_primary = m.ref("va_primary")
        wof = m.aux(
            "industry_water_output_factor",
            1 - p.industry_water_dependence * (1 - m.ref("industry_water_supply_factor")),
            "1",
            description="industrial output relative to full water supply (1: no shortage)",
        )
        iss = p.industry_share_of_secondary
        tau = m.stock(
            "tertiary_share", p.tertiary_share_base, "1", description="tertiary share of non-farm value added"
        )
        m.flow(
            "tertiary_share_drift",
            (p.tertiary_share_target - tau) / p.tertiary_share_adjustment_time,
            "1/year",
            into="tertiary_share",
            description="structural change toward services",
        )
        y0 = m.stock(
            "va_nonfarm_base",
            (p.gdp_base - va_primary) / (1 - (1 - p.tertiary_share_base) * iss * (1 - wof)),
            "yiyuan/year",
            description="start-year non-farm output before water shortage (makes gdp_real(t0) == gdp_base)",
        )
        k0 = p.capital_output_ratio * y0
        K = m.stock("capital", k0, "yiyuan", nonnegative=True, description="non-farm capital stock")
        tfp = m.stock("tfp", 1.0, "1", description="total factor productivity index (1 at start)")
        m.flow("tfp_gain", p.tfp_growth * tfp, "1/year", into="tfp")
        avail = m.aux(
            "labour_nonfarm_available",
            F.maximum(
                m.ref("labour_supply") - m.ref("labour_demand_primary"), p.nonfarm_labour_floor * m.ref("labour_supply")
            ),
            "wan_person",
            description="labour supply not needed on farms (at least 5% of supply)",
        )
        avail0 = m.stock("labour_nonfarm_available_base", avail, "wan_person")
        emp = m.ref("employment_nonfarm")
        emp0 = m.stock("employment_nonfarm_base", emp, "wan_person")
        # Cobb-Douglas in logs: one exponential where two powers would take two logs, two exponentials
        alpha = p.capital_elasticity
        log_capital = alpha * F.log(K / k0)
        m.aux(
            "va_nonfarm_potential",
            y0 * tfp * F.exp(log_capital + (1 - alpha) * F.log(avail / avail0)),
            "yiyuan/year",
            description="non-farm output with available labour used at its start-year rate",
        )
        y = m.aux(
            "va_nonfarm",
            y0 * tfp * F.exp(log_capital + (1 - alpha) * F.log(emp / emp0)),
            "yiyuan/year",
            description="non-farm output capacity (Cobb-Douglas, before water shortage)",
        )
        vt = m.aux("va_tertiary", tau * y, "yiyuan/year", description="tertiary value added")
        trend = m.aux(
            "va_secondary_trend",
            (1 - tau) * y,
            "yiyuan/year",
            description="secondary value added on the Cobb-Douglas trend, before any water shortage",
        )
        vc = m.aux("va_construction", (1 - iss) * trend, "yiyuan/year", description="construction value added")
        s0 = m.aux(
            "cluster_base_share",
            p.cluster_industry_share_health + p.cluster_industry_share_materials + p.cluster_industry_share_equipment,
            "1",
            description="clusters' share of industrial value added in the start year",
        )
        vo = m.aux(
            "va_other_industry",
            iss * trend * (1 - s0) * wof,
            "yiyuan/year",
            description="industrial value added outside the three clusters",
        )
        vi = m.aux(
            "va_industry",
            vo + m.ref("cluster_va_total"),
            "yiyuan/year",
            description="industrial value added: clusters plus other industry (part of va_secondary)",
        )
        vs = m.aux("va_secondary", vc + vi, "yiyuan/year", description="secondary value added: construction + industry")
        gdp = m.aux("gdp_real", va_primary + vs + vt, "yiyuan/year", description="real GDP, 2020 prices")
        m.group(
            "va",
            "sector",
            {"primary": "va_primary", "secondary": "va_secondary", "tertiary": "va_tertiary"},
            description="value added by sector",
        )
        defl = m.stock("deflator", 1.0, "1", description="GDP deflator (1 at start)")
        m.flow("inflation", p.inflation_rate * defl, "1/year", into="deflator")
        m.aux("gdp_nominal", gdp * defl, "yiyuan/year", description="nominal GDP")
        m.growth_rate("gdp_growth", of="gdp_real", description="annual real GDP growth rate")
        fai = m.aux(
            "fai_total",
            p.investment_rate * gdp + p.attracted_investment,
            "yiyuan/year",
            description="fixed-asset investment",
        )
        m.flow(
            "investment",
            fai,
            "yiyuan/year",
            into="capital",
            description="fixed-asset investment, the clusters' included, into the one capital stock",
        )
        m.flow("depreciation", p.depreciation_rate * K, "yiyuan/year", out_of="capital")
        prog = m.aux(
            "fai_policy_progress",
            F.clip((m.time - p.fai_policy_start) / (p.fai_policy_year - p.fai_policy_start), 0, 1),
            "1",
            description="progress of the investment-mix policy (0 before, 1 after)",
        )
        for kind in ("industrial", "hightech"):
            base, pol = getattr(p, f"fai_{kind}_share_base"), getattr(p, f"fai_{kind}_share_policy")
            m.aux(
                f"fai_{kind}_share",
                base + p.fai_policy_adherence * (pol - base) * prog,
                "1",
                description=f"{kind} share of fixed-asset investment",
            )
