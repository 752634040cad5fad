"""Clusters: the plan's three leading industries (三大百亿产业, plan ch.9 L84-90).

Health (大健康, ch.9 L86), new materials (新材料, ch.9 L88), equipment manufacturing (装备制造,
ch.9 L90). Money in 亿元 at start-year prices. Parameters: ``data/parameters/clusters.csv``. Each
cluster ``c`` in (health, materials, equipment) is an activity with its own capital and labour,
in the same form as the economy's other activities (sector economy), and its capital is part of
the economy's one capital account::

    VA0_c = cluster_industry_share_c * industry_share_of_secondary * (1 - tertiary_share_base)
            * va_nonfarm_base                                                            [yiyuan/year]
    K_c(t0) = cluster_capital_intensity * VA0_c / cluster_va_ratio_c    (capital per gross output) [yiyuan]
    va_potential_c = VA0_c * tfp * K_c / K_c(t0) * output_per_capital_trend                [yiyuan/year]
    cluster_va_c = va_potential_c * labour_output_factor * industry_water_output_factor     [yiyuan/year]
    cluster_output_c = cluster_va_c / cluster_va_ratio_c                    (产业规模)     [yiyuan/year]
    d(cluster_market_potential_c)/dt = cluster_market_growth * cluster_market_potential_c
    cluster_market_potential_c(t0) = cluster_market_multiple_c * VA0_c / cluster_va_ratio_c  [yiyuan/year]
    cluster_market_room_c = clip(1 - cluster_output_c / cluster_market_potential_c, 0, 1)      [1]
    cluster_investment_c = fai_total * fai_industrial_share * cluster_investment_share_c
                           * cluster_market_room_c                                        [yiyuan/year]
    d(K_c)/dt = cluster_investment_c - depreciation_rate * K_c                           [yiyuan/year]
    cluster_labour_demand_c = nonfarm_jobs_base * employment_share_industry * cluster_industry_share_c
                              * K_c / K_c(t0) * jobs_per_capital_trend                     [wan_person]
    cluster_employment_c = cluster_labour_demand_c * labour_fill                          [wan_person]
    cluster_va_total, cluster_investment_total, cluster_capital_total, cluster_labour_demand_total:
        sums over the three clusters

Output (gross, the measure of the 100 亿元 targets) is value added over the value-added ratio.
Industrial investment is directed to the clusters (plan ch.9, ch.22: projects attracted for the
three industries) as far as their markets have room: the room factor makes growth logistic, and
the part of the clusters' share that finds no room is invested in other industry (sector
economy), so no investment is lost or counted twice. The market potential grows with the national
market and starts at a multiple of start-year output. Clusters take workers as their capital
grows (their share of start-year industrial jobs equals their share of industrial value added).
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F

CLUSTERS = ("health", "materials", "equipment")


class Clusters(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "clusters"
    inputs = (
        "fai_total",
        "fai_industrial_share",
        "va_nonfarm_base",
        "tfp",
        "output_per_capital_trend",
        "jobs_per_capital_trend",
        "labour_output_factor",
        "labour_fill",
        "industry_water_output_factor",
        "nonfarm_jobs_base",
        "va_secondary",
    )

    def declare(self, m: Model) -> None:
        p = m.params
        fai_industrial = m.ref("fai_total") * m.ref("fai_industrial_share")
        factor = m.ref("labour_output_factor") * m.ref("industry_water_output_factor")
        industry0 = p.industry_share_of_secondary * (1 - p.tertiary_share_base) * m.ref("va_nonfarm_base")
        vas, invs, caps, demands = [], [], [], []
        for c in CLUSTERS:
            share, va_ratio = getattr(p, f"cluster_industry_share_{c}"), getattr(p, f"cluster_va_ratio_{c}")
            va0 = share * industry0
            k0 = p.cluster_capital_intensity * va0 / va_ratio
            cap = m.stock(f"capital_{c}", k0, "yiyuan", nonnegative=True, description=f"capital in the {c} cluster")
            caps.append(cap)
            ratio = cap / k0
            va = m.aux(
                f"cluster_va_{c}",
                va0 * m.ref("tfp") * ratio * m.ref("output_per_capital_trend") * factor,
                "yiyuan/year",
                description=f"{c} cluster value added",
            )
            vas.append(va)
            out = m.aux(
                f"cluster_output_{c}", va / va_ratio, "yiyuan/year", description=f"{c} cluster gross output (产业规模)"
            )
            pot = m.stock(
                f"cluster_market_potential_{c}",
                getattr(p, f"cluster_market_multiple_{c}") * va0 / va_ratio,
                "yiyuan/year",
                description=f"most output the {c} cluster's markets can take",
            )
            m.flow(
                f"cluster_market_growth_{c}",
                p.cluster_market_growth * pot,
                "yiyuan/year/year",
                into=f"cluster_market_potential_{c}",
            )
            room = m.aux(
                f"cluster_market_room_{c}",
                F.clip(1 - out / pot, 0, 1),
                "1",
                description=f"share of the {c} cluster's investment its market has room for",
            )
            inv = m.flow(
                f"cluster_investment_{c}",
                fai_industrial * getattr(p, f"cluster_investment_share_{c}") * room,
                "yiyuan/year",
                into=f"capital_{c}",
                description=f"fixed-asset investment in the {c} cluster",
            )
            invs.append(inv)
            m.flow(f"depreciation_{c}", p.depreciation_rate * cap, "yiyuan/year", out_of=f"capital_{c}")
            d = m.aux(
                f"cluster_labour_demand_{c}",
                m.ref("nonfarm_jobs_base")
                * p.employment_share_industry
                * share
                * ratio
                * m.ref("jobs_per_capital_trend"),
                "wan_person",
                description=f"jobs offered in the {c} cluster",
            )
            demands.append(d)
            m.aux(f"cluster_employment_{c}", d * m.ref("labour_fill"), "wan_person", description=f"employed in {c}")
        for name, parts, units, what in (
            ("cluster_investment_total", invs, "yiyuan/year", "fixed-asset investment in the three clusters"),
            ("cluster_capital_total", caps, "yiyuan", "capital in the three clusters (part of capital)"),
            ("cluster_labour_demand_total", demands, "wan_person", "jobs offered in the three clusters"),
        ):
            m.aux(name, parts[0] + parts[1] + parts[2], units, description=what)
        total = m.aux(
            "cluster_va_total",
            vas[0] + vas[1] + vas[2],
            "yiyuan/year",
            description="value added of the three clusters (part of va_secondary)",
        )
        m.aux(
            "cluster_share_of_secondary",
            total / m.ref("va_secondary"),
            "1",
            description="cluster value added over secondary value added (must stay below 1)",
        )
        m.group(
            "cluster_output",
            "cluster",
            {c: f"cluster_output_{c}" for c in CLUSTERS},
            description="cluster gross output (产业规模)",
        )
