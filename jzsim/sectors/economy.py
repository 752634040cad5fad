"""Economy: production by activity from one capital and one labour account, investment, GDP, prices.

Money in 亿元 (``yiyuan``) at start-year prices; ``t0`` is the run's first year (stock
``start_year``). Parameters: ``data/parameters/economy.csv`` (each row gives its source).

Activities. Agriculture (sector agriculture: land, yields, herd) and the non-farm activities
``j`` in (other_industry, construction, services) here, and the three clusters (sector clusters)
in the same form. Each non-farm activity has its own capital K_j and labour E_j; the economy-wide
``capital`` and ``employment_nonfarm`` are their sums, and GDP is the sum of value added.

Start year (exact by construction, plan ch.1 L9: GDP 2020 = 111 亿元; tau0 = tertiary_share_base,
iss = industry_share_of_secondary, s_c = cluster_industry_share_c, wof = industry_water_output_factor)::

    va_nonfarm_base = (gdp_base - va_primary(t0)) / (1 - (1 - tau0) * iss * (1 - wof(t0)))   [yiyuan/year]
    VA0_services = tau0 * va_nonfarm_base;  VA0_construction = (1 - tau0) * (1 - iss) * va_nonfarm_base
    VA0_other_industry = (1 - tau0) * iss * (1 - sum_c s_c) * va_nonfarm_base                [yiyuan/year]
    K_j(t0) = capital_output_ratio * VA0_j;  K_agriculture(t0) = capital_output_ratio * va_primary(t0)
    nonfarm_jobs_base = labour_supply(t0) * (1 - unemployment_base) * nonfarm_employment_share_base  [wan_person]
    jobs0_j = nonfarm_jobs_base * employment_share_j      (industry's share split by s_c: clusters)

Production (Cobb-Douglas, jobs come with capital; g = capital_per_job_growth)::

    d(tfp)/dt = tfp_growth * tfp,  tfp(t0) = 1                                                   [1]
    jobs_per_capital_trend = exp(-g * (t - t0))                                                  [1]
    output_per_capital_trend = exp(-(1 - alpha) * g * (t - t0))                                  [1]
    labour_demand_j = jobs0_j * K_j / K_j(t0) * jobs_per_capital_trend                  [wan_person]
    va_potential_j = VA0_j * tfp * K_j / K_j(t0) * output_per_capital_trend            [yiyuan/year]
                     (= VA0_j tfp (K_j/K_j0)**alpha (labour_demand_j/jobs0_j)**(1 - alpha))
    va_other_industry = va_potential_other_industry * labour_output_factor * wof
    va_construction   = S_c * exp(theta * log(max(VA0_construction * fai_perceived / fai_total(t0) / S_c, 1e-12))),
                        S_c = va_potential_construction * labour_output_factor
    services_demand = VA0_services * pop_total/pop_total(t0)
                      * exp(eps_i * log(income_index_perceived) + eps_u * log(urbanisation/urbanisation(t0)))
    va_services = S * exp(theta * log(services_demand / S)),  S = va_potential_services * labour_output_factor
                  (= S**(1 - theta) * services_demand**theta; theta = local_demand_weight)     [yiyuan/year]
    employment_j = labour_demand_j * labour_fill                                         [wan_person]

labour_output_factor = labour_fill**(1 - alpha) (sector employment): output falls below potential
when labour is short. Services and construction are sold locally: their value added is a
geometric blend (weight theta = local_demand_weight) of what their capital and labour can supply
and what is demanded. Services demand grows with population, real income per head and
urbanisation; construction demand with fixed-asset investment (what construction builds). Both
demands are smoothed over a year (stocks), which keeps the loops through GDP causal.
wof = 1 - industry_water_dependence * (1 - industry_water_supply_factor): a shortage of
industrial water lowers industry only (construction and services draw on the urban supply).

Investment (fixed-asset investment, FAI, by activity: plan ch.22 L218 levers)::

    public_investment  (sector budget: own revenue, transfers and debt)                [yiyuan/year]
    fai_total = investment_rate * gdp_real + attracted_investment + public_investment   [yiyuan/year]
    fai_policy_progress = clip((t - fai_policy_start) / (fai_policy_year - fai_policy_start), 0, 1)
    fai_industrial_share = base + adherence * (policy - base) * fai_policy_progress              [1]
    fai_hightech_share   = base + adherence * (policy - base) * fai_policy_progress              [1]
    investment_other_industry = fai_total * fai_industrial_share - cluster_investment_total
    investment_agriculture = fai_total * fai_primary_share
    investment_construction = fai_total * fai_construction_share
    investment_services = fai_total * (1 - fai_industrial_share - fai_primary_share - fai_construction_share)
    d(K_a)/dt = investment_a - depreciation_rate * K_a     for a in agriculture, other_industry,
                                                          construction, services (clusters alike)
    capital = K_agriculture + K_other_industry + K_construction + K_services + cluster_capital_total
    investment = sum of investment_a + cluster_investment_total   (= fai_total)

Industrial investment goes to the clusters (as much as their markets have room for, sector
clusters) and the rest to other industry: one capital account, nothing counted twice.

Financing closure (chosen, as in T21's default): investment is savings-driven, from three sources.
Private investment financed in the district (households' and firms' savings, bank credit to local
firms) is a fixed share of GDP (``investment_rate``): a county's own savings do not bind (credit
moves between counties), so a share of output stands for savings and credit together. Investment
attracted from outside (``attracted_investment``, the plan's project-attraction lever, ch.22) comes
on top. Public investment is what the budget (sector budget: own revenue, transfers from higher
government, borrowing) leaves after livelihood spending (plan ch.1 L17: livelihood spending >=
82.5% of general budget spending) and debt service.

Aggregates::

    va_industry = va_other_industry + cluster_va_total;  va_secondary = va_construction + va_industry
    va_tertiary = va_services;  gdp_real = va_primary + va_secondary + va_tertiary      [yiyuan/year]
    d(deflator)/dt = inflation_rate * deflator,  deflator(t0) = 1;  gdp_nominal = gdp_real * deflator
    gdp_growth(y) = gdp_real(y) / gdp_real(y - 1) - 1   (annual real growth, from results) [1/year]
    d(income_index_perceived)/dt = (gdp_real/pop_total / gdp_per_capita(t0) - income_index_perceived) / 1 year
    d(fai_perceived)/dt = (fai_total - fai_perceived) / 1 year,  fai_perceived(t0) = fai_total(t0)
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F
from jzsim.sectors import start_year, trend

ACTIVITIES = ("other_industry", "construction", "services")
YEAR = F.const(1.0, "year")
TINY = F.const(1e-12, "1")  # floor of a demand ratio before its log (no investment: no construction demand)


class Economy(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "economy"
    inputs = (
        "va_primary",
        "industry_water_supply_factor",
        "labour_supply",
        "labour_fill",
        "labour_output_factor",
        "cluster_va_total",
        "cluster_investment_total",
        "cluster_capital_total",
        "cluster_labour_demand_total",
        "pop_total",
        "urbanisation",
        "public_investment",
        "public_investment_base",
        "start_year",
    )

    def declare(self, m: Model) -> None:
        p = m.params
        t0 = start_year(m)
        va_primary = m.ref("va_primary")
        iss, tau0 = p.industry_share_of_secondary, p.tertiary_share_base
        wof = m.aux(
            "industry_water_output_factor",
            1 - p.industry_water_dependence * (1 - m.ref("industry_water_supply_factor")),
            "1",
            description="industrial output relative to full water supply (1: no shortage)",
        )
        y0 = m.stock(
            "va_nonfarm_base",
            (p.gdp_base - va_primary) / (1 - (1 - tau0) * iss * (1 - wof)),
            "yiyuan/year",
            description="start-year non-farm value added before water shortage (makes gdp_real(t0) == gdp_base)",
        )
        s_clusters = p.cluster_industry_share_health + p.cluster_industry_share_materials
        s_clusters = s_clusters + p.cluster_industry_share_equipment
        va0 = {
            "other_industry": (1 - tau0) * iss * (1 - s_clusters) * y0,
            "construction": (1 - tau0) * (1 - iss) * y0,
            "services": tau0 * y0,
        }
        jobs = m.stock(
            "nonfarm_jobs_base",
            m.ref("labour_supply") * (1 - p.unemployment_base) * p.nonfarm_employment_share_base,
            "wan_person",
            description="start-year non-farm jobs: the employed outside farming (census share)",
        )
        jobs0 = {
            "other_industry": jobs * p.employment_share_industry * (1 - s_clusters),
            "construction": jobs * p.employment_share_construction,
            "services": jobs * (1 - p.employment_share_industry - p.employment_share_construction),
        }
        tfp = m.stock("tfp", 1.0, "1", description="total factor productivity index (1 at start)")
        m.flow("tfp_gain", p.tfp_growth * tfp, "1/year", into="tfp")
        jobs_trend = m.aux(
            "jobs_per_capital_trend",
            trend(-p.capital_per_job_growth, m.time, t0),
            "1",
            description="jobs per unit of capital relative to the start year (capital deepening)",
        )
        out_trend = m.aux(
            "output_per_capital_trend",
            trend(-(1 - p.capital_elasticity) * p.capital_per_job_growth, m.time, t0),
            "1",
            description="output per unit of capital from the falling labour it brings, relative to start",
        )
        lof, fill = m.ref("labour_output_factor"), m.ref("labour_fill")
        # ---- investment by activity
        public = m.ref("public_investment")  # sector budget
        fai = m.aux(
            "fai_total",
            p.investment_rate * m.ref("gdp_real") + p.attracted_investment + public,
            "yiyuan/year",
            description="fixed-asset investment: private local, attracted and public",
        )
        prog = m.aux(
            "fai_policy_progress",
            F.clip((m.time - p.fai_policy_start) / (p.fai_policy_year - p.fai_policy_start), 0, 1),
            "1",
            description="progress of the investment-mix policy (0 before, 1 after)",
        )
        shares = {}
        for kind in ("industrial", "hightech"):
            base, pol = getattr(p, f"fai_{kind}_share_base"), getattr(p, f"fai_{kind}_share_policy")
            shares[kind] = m.aux(
                f"fai_{kind}_share",
                base + p.fai_policy_adherence * (pol - base) * prog,
                "1",
                description=f"{kind} share of fixed-asset investment",
            )
        inv = {
            "agriculture": fai * p.fai_primary_share,
            "other_industry": fai * shares["industrial"] - m.ref("cluster_investment_total"),
            "construction": fai * p.fai_construction_share,
            "services": fai * (1 - shares["industrial"] - p.fai_primary_share - p.fai_construction_share),
        }
        caps = {}
        for a, expr in inv.items():
            k0 = p.capital_output_ratio * (va_primary if a == "agriculture" else va0[a])
            caps[a] = m.stock(f"capital_{a}", k0, "yiyuan", nonnegative=True, description=f"capital in {a}")
            m.flow(f"investment_{a}", expr, "yiyuan/year", into=f"capital_{a}", description=f"FAI in {a}")
            m.flow(f"depreciation_{a}", p.depreciation_rate * caps[a], "yiyuan/year", out_of=f"capital_{a}")
        m.aux(
            "capital",
            caps["agriculture"]
            + caps["other_industry"]
            + caps["construction"]
            + caps["services"]
            + m.ref("cluster_capital_total"),
            "yiyuan",
            description="capital stock, all activities (the sum of the activities' capital)",
        )
        m.aux(
            "investment",
            m.ref("investment_agriculture")
            + m.ref("investment_other_industry")
            + m.ref("investment_construction")
            + m.ref("investment_services")
            + m.ref("cluster_investment_total"),
            "yiyuan/year",
            description="fixed-asset investment by activity, summed (equals fai_total)",
        )
        m.aux(
            "depreciation",
            p.depreciation_rate * m.ref("capital"),
            "yiyuan/year",
            description="capital used up, all activities",
        )
        # ---- production and labour by activity
        demand, potential = {}, {}
        for a in ACTIVITIES:
            ratio = caps[a] / (p.capital_output_ratio * va0[a])
            demand[a] = m.aux(
                f"labour_demand_{a}",
                jobs0[a] * ratio * jobs_trend,
                "wan_person",
                description=f"jobs offered in {a} (they come with its capital)",
            )
            potential[a] = m.aux(
                f"va_potential_{a}",
                va0[a] * tfp * ratio * out_trend,
                "yiyuan/year",
                description=f"{a} value added with every job filled",
            )
            m.aux(f"employment_{a}", demand[a] * fill, "wan_person", description=f"employed in {a}")
        m.aux(
            "labour_demand_nonfarm",
            demand["other_industry"]
            + demand["construction"]
            + demand["services"]
            + m.ref("cluster_labour_demand_total"),
            "wan_person",
            description="non-farm jobs offered, all activities",
        )
        vo = m.aux(
            "va_other_industry",
            potential["other_industry"] * lof * wof,
            "yiyuan/year",
            description="industrial value added outside the three clusters",
        )
        # fai_total(t0), as gdp_real(t0) == gdp_base; at least a thousandth of a yuan (no division by zero)
        fai0 = p.investment_rate * p.gdp_base + p.attracted_investment + m.ref("public_investment_base")
        fai0 = F.maximum(fai0, F.const(1e-11, "yiyuan/year"))
        fai_seen = m.stock("fai_perceived", fai0, "yiyuan/year", description="fixed-asset investment, smoothed a year")
        m.flow("fai_perception", (fai - fai_seen) / YEAR, "yiyuan/year/year", into="fai_perceived")
        supply_c = potential["construction"] * lof
        vc = m.aux(
            "va_construction",
            supply_c
            * F.exp(p.local_demand_weight * F.log(F.maximum(va0["construction"] * fai_seen / fai0 / supply_c, TINY))),
            "yiyuan/year",
            description="construction value added: a blend of what capital and labour supply and what is invested",
        )
        pop0 = m.stock("pop_total_base", m.ref("pop_total"), "wan_person", description="start-year residents")
        urb0 = m.stock("urbanisation_base_run", m.ref("urbanisation"), "1", description="start-year urbanisation")
        gpc0 = p.gdp_base / pop0
        perceived = m.stock(
            "income_index_perceived", 1.0, "1", description="real GDP per resident relative to start, smoothed a year"
        )
        m.flow(
            "income_index_perception",
            (m.ref("gdp_real") / m.ref("pop_total") / gpc0 - perceived) / YEAR,
            "1/year",
            into="income_index_perceived",
        )
        sd = m.aux(
            "services_demand",
            va0["services"]
            * m.ref("pop_total")
            / pop0
            * F.exp(
                p.services_income_elasticity * F.log(perceived)
                + p.services_urbanisation_elasticity * F.log(m.ref("urbanisation") / urb0)
            ),
            "yiyuan/year",
            description="services residents demand (population, real income per head, urbanisation)",
        )
        supply = potential["services"] * lof
        vt = m.aux(
            "va_services",
            supply * F.exp(p.local_demand_weight * F.log(sd / supply)),
            "yiyuan/year",
            description="services value added: a blend of what capital and labour supply and what residents demand",
        )
        m.aux("va_tertiary", vt, "yiyuan/year", description="tertiary value added (services)")
        vi = m.aux(
            "va_industry",
            vo + m.ref("cluster_va_total"),
            "yiyuan/year",
            description="industrial value added: clusters plus other industry (part of va_secondary)",
        )
        vs = m.aux("va_secondary", vc + vi, "yiyuan/year", description="secondary value added: construction + industry")
        gdp = m.aux("gdp_real", va_primary + vs + vt, "yiyuan/year", description="real GDP, start-year prices")
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
