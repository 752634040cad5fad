"""Employment: labour supply from the working-age population, demand by activity, the gap.

Persons in 万人 (``wan_person``), productivity in 万元 per worker a year. Parameters:
``data/parameters/employment.csv``. Equations::

    labour_supply              = working_age_pop * participation_rate                   [wan_person]
    d(productivity_primary)/dt = productivity_primary_growth * productivity_primary
    productivity_primary(t0)   = productivity_primary_base                       [wanyuan/person/year]
    labour_demand_primary      = va_primary / productivity_primary                       [wan_person]
    labour_demand_nonfarm      (sector economy: the jobs each activity's capital brings, summed)
    employment_nonfarm         = min(labour_demand_nonfarm, labour_supply)                [wan_person]
    labour_fill                = employment_nonfarm / labour_demand_nonfarm                        [1]
    labour_output_factor       = exp((1 - capital_elasticity) * log(labour_fill))  (= fill**(1-alpha)) [1]
    employment_primary         = min(labour_demand_primary, labour_supply - employment_nonfarm)
    employment                 = employment_primary + employment_nonfarm
    unemployment_rate          = 1 - employment / labour_supply                                    [1]
    labour_nonfarm_available   = max(labour_supply - labour_demand_primary, 0.05 * labour_supply)  [wan_person]
    job_gap                    = labour_demand_nonfarm / labour_nonfarm_available - 1              [1]

Non-farm jobs are filled first (Lewis: farming keeps the labour the other activities do not
take). When the activities offer more jobs than there are workers, every activity fills the same
share of its jobs (``labour_fill``) and its output falls below potential by fill**(1 - alpha),
the Cobb-Douglas labour term. ``job_gap`` compares non-farm jobs with the labour farms do not
need (negative: surplus labour, which pushes migrants out, as in 2010 when the census found 80% of
the employed on farms; positive: vacancies, which draw them in) and drives migration in sector
population; the floor of 5% of the labour force only keeps it finite if farms ever needed every
worker. ``unemployment_rate`` counts the surplus farm labour (the employed on farms beyond what farm
output needs) with the open unemployed. The start-year non-farm jobs are the census share of the employed (sector economy).
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F


class Employment(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "employment"
    inputs = ("working_age_pop", "va_primary", "labour_demand_nonfarm")

    def declare(self, m: Model) -> None:
        p = m.params
        supply = m.aux(
            "labour_supply",
            m.ref("working_age_pop") * p.participation_rate,
            "wan_person",
            description="labour force: working-age residents who take part",
        )
        lp1 = m.stock(
            "productivity_primary",
            p.productivity_primary_base,
            "wanyuan/person/year",
            description="primary value added per farm worker",
        )
        m.flow(
            "productivity_primary_gain",
            p.productivity_primary_growth * lp1,
            "wanyuan/person/year/year",
            into="productivity_primary",
        )
        d1 = m.aux(
            "labour_demand_primary",
            m.ref("va_primary") / lp1,
            "wan_person",
            description="farm labour needed for va_primary",
        )
        d2 = m.ref("labour_demand_nonfarm")
        e2 = m.aux(
            "employment_nonfarm", F.minimum(d2, supply), "wan_person", description="non-farm employment (filled first)"
        )
        fill = m.aux("labour_fill", e2 / d2, "1", description="share of non-farm jobs filled")
        m.aux(
            "labour_output_factor",
            F.exp((1 - p.capital_elasticity) * F.log(fill)),
            "1",
            description="non-farm output relative to potential when jobs go unfilled (fill**(1 - alpha))",
        )
        e1 = m.aux("employment_primary", F.minimum(d1, supply - e2), "wan_person", description="farm employment")
        emp = m.aux("employment", e1 + e2, "wan_person", description="employed persons")
        m.aux(
            "unemployment_rate",
            1 - emp / supply,
            "1",
            description="share of the labour force without work (incl. rural surplus labour)",
        )
        avail = m.aux(
            "labour_nonfarm_available",
            F.maximum(supply - d1, 0.05 * supply),
            "wan_person",
            description="labour farms do not need (available to non-farm work)",
        )
        m.aux(
            "job_gap",
            d2 / avail - 1,
            "1",
            description="non-farm jobs over the labour available to them, minus 1 (positive: vacancies)",
        )
