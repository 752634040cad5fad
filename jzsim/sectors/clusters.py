"""Clusters: the plan's three leading industries (三大百亿产业, plan ch.9 L84-90).

Health (大健康, ch.9 L86), new materials (新材料, ch.9 L88), equipment manufacturing (装备制造,
ch.9 L90). Money in 亿元 at 2020 prices. Parameters: ``data/parameters/clusters.csv``. For each
cluster ``c`` in (health, materials, equipment)::

    cluster_investment_c = fai_total * fai_industrial_share * cluster_investment_share_c  [yiyuan/year]
    d(cluster_capacity_c)/dt = cluster_investment_c / cluster_capital_intensity
                                 * max(1 - cluster_capacity_c / cluster_market_potential_c, 0)
                               - cluster_obsolescence_rate * cluster_capacity_c        [yiyuan/year/year]
    d(cluster_market_potential_c)/dt = cluster_market_growth * cluster_market_potential_c
    cluster_market_potential_c(t0) = cluster_market_multiple_c * cluster_capacity_c(t0)  [yiyuan/year]
    cluster_capacity_c(t0) = cluster_industry_share_c * industry_share_of_secondary
                             * va_secondary_trend(t0) / cluster_va_ratio_c            [yiyuan/year]
    cluster_output_c = cluster_capacity_c * industry_water_output_factor  (产业规模)   [yiyuan/year]
    cluster_va_c     = cluster_va_ratio_c * cluster_output_c                          [yiyuan/year]
    cluster_va_total = sum of cluster_va_c                                            [yiyuan/year]
    cluster_investment_total = sum of cluster_investment_c                            [yiyuan/year]
    cluster_share_of_secondary = cluster_va_total / va_secondary                      [1]

Capacity is gross output a year (the measure of the 100 亿元 targets). Project attraction enters
through ``fai_total`` (its ``attracted_investment`` part, sector economy). New capacity pays only
while the market has room: the factor ``1 - capacity/potential`` makes growth logistic, and with
obsolescence capacity settles below the market potential (which grows with the national market
and starts at a multiple of start-year output, so it is above it whatever the parameters).
Cluster value added is *part of* va_secondary (sector economy adds it to the rest of the secondary
sector, so ``cluster_share_of_secondary`` stays below 1 by construction). The start-year capacity
is derived from the clusters' share of industrial value added on the secondary trend, so that at
the start cluster_va_total = (sum of shares) * industry_share_of_secondary * va_secondary_trend
(times the water factor). Cluster capital is part of the economy's one capital stock (sector
economy): cluster investment is a share of fai_total, all of which flows into it.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F

CLUSTERS = ("health", "materials", "equipment")


class Clusters(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "clusters"
    inputs = ("fai_total", "fai_industrial_share", "industry_water_output_factor", "va_secondary_trend", "va_secondary")

    def declare(self, m: Model) -> None:
        p = m.params
        fai_industrial = m.ref("fai_total") * m.ref("fai_industrial_share")
        wof = m.ref("industry_water_output_factor")
        vas, invs = [], []
        for c in CLUSTERS:
            va_ratio = getattr(p, f"cluster_va_ratio_{c}")
            cap0 = (
                getattr(p, f"cluster_industry_share_{c}")
                * p.industry_share_of_secondary
                * m.ref("va_secondary_trend")
                / va_ratio
            )
            cap = m.stock(
                f"cluster_capacity_{c}",
                cap0,
                "yiyuan/year",
                nonnegative=True,
                description=f"{c} cluster output capacity",
            )
            inv = m.aux(
                f"cluster_investment_{c}",
                fai_industrial * getattr(p, f"cluster_investment_share_{c}"),
                "yiyuan/year",
                description=f"fixed-asset investment in the {c} cluster",
            )
            invs.append(inv)
            pot = m.stock(
                f"cluster_market_potential_{c}",
                getattr(p, f"cluster_market_multiple_{c}") * cap0,
                "yiyuan/year",
                description=f"most output the {c} cluster's markets can take",
            )
            m.flow(
                f"cluster_market_growth_{c}",
                p.cluster_market_growth * pot,
                "yiyuan/year/year",
                into=f"cluster_market_potential_{c}",
            )
            room = F.maximum(1 - cap / pot, 0)
            m.flow(
                f"cluster_build_{c}",
                inv / p.cluster_capital_intensity * room,
                "yiyuan/year/year",
                into=f"cluster_capacity_{c}",
                description="new capacity where the market has room",
            )
            m.flow(
                f"cluster_retire_{c}",
                p.cluster_obsolescence_rate * cap,
                "yiyuan/year/year",
                out_of=f"cluster_capacity_{c}",
                description="capacity closed or obsolete",
            )
            out = m.aux(
                f"cluster_output_{c}", cap * wof, "yiyuan/year", description=f"{c} cluster gross output (产业规模)"
            )
            vas.append(m.aux(f"cluster_va_{c}", va_ratio * out, "yiyuan/year", description=f"{c} cluster value added"))
        m.aux(
            "cluster_investment_total",
            sum(invs[1:], invs[0]),
            "yiyuan/year",
            description="fixed-asset investment in the three clusters",
        )
        total = m.aux(
            "cluster_va_total",
            sum(vas[1:], vas[0]),
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
