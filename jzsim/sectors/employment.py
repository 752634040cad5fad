"""Employment: labour supply from the working-age population, demand from output and productivity.

Persons in 万人 (``wan_person``), money in 亿元 at 2020 prices, productivity in 万元 per worker a
year. Parameters: ``data/parameters/employment.csv``. Equations::

    labour_supply              = working_age_pop * participation_rate                   [wan_person]
    d(productivity_primary)/dt = productivity_primary_growth * productivity_primary   [wanyuan/person/year/year]
    productivity_primary(t0)   = productivity_primary_base                       [wanyuan/person/year]
    labour_demand_primary      = va_primary / productivity_primary                     [wan_person]
    d(nonfarm_job_ratio)/dt    = -labour_saving_rate * nonfarm_job_ratio                  [1/year]
    nonfarm_job_ratio(t0)      = (labour_supply(t0) * (1 - unemployment_base) - labour_demand_primary(t0))
                                 / labour_nonfarm_available(t0)                          [1]
    labour_demand_nonfarm      = labour_nonfarm_available * nonfarm_job_ratio            [wan_person]
    productivity_nonfarm       = va_nonfarm_potential / labour_demand_nonfarm   [wanyuan/person/year]
    employment_nonfarm         = min(labour_demand_nonfarm, labour_supply)             [wan_person]
    employment_primary         = min(labour_demand_primary, labour_supply - employment_nonfarm)
    employment                 = employment_primary + employment_nonfarm
                               ( = min(labour_demand_primary + labour_demand_nonfarm, labour_supply))
    unemployment_rate          = 1 - employment / labour_supply                          [1]

Non-farm jobs are filled first (Lewis: farming keeps the labour the other sectors do not take).
Non-farm labour demand is the labour not needed on farms (``labour_nonfarm_available``, sector
economy) times a job ratio: productivity then grows as fast as potential output per available
worker, except for ``labour_saving_rate``, by which productivity outpaces output (automation) and
jobs are shed. (An independent productivity trend would make faster productivity cut employment
and so output, a spiral with no economic basis.) The start-year ratio is derived so that the
start-year unemployment rate (which here includes rural surplus labour) equals
``unemployment_base``: no district employment figure exists (facts.md). Labour demand does not
depend on actual output, which depends on employment, so there is no algebraic loop.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F


class Employment(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "employment"
    inputs = ("working_age_pop", "va_primary", "va_nonfarm_potential", "labour_nonfarm_available")

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
        potential = m.ref("va_nonfarm_potential")
        avail = m.ref("labour_nonfarm_available")
        ratio = m.stock(
            "nonfarm_job_ratio",
            (supply * (1 - p.unemployment_base) - d1) / avail,
            "1",
            nonnegative=True,
            description="non-farm jobs per worker available to non-farm work",
        )
        m.flow(
            "labour_saving",
            p.labour_saving_rate * ratio,
            "1/year",
            out_of="nonfarm_job_ratio",
            description="jobs shed by productivity growing faster than output",
        )
        d2 = m.aux("labour_demand_nonfarm", avail * ratio, "wan_person", description="non-farm jobs")
        m.aux(
            "productivity_nonfarm",
            potential / d2,
            "wanyuan/person/year",
            description="non-farm value added per worker demanded",
        )
        e2 = m.aux(
            "employment_nonfarm", F.minimum(d2, supply), "wan_person", description="non-farm employment (filled first)"
        )
        e1 = m.aux("employment_primary", F.minimum(d1, supply - e2), "wan_person", description="farm employment")
        emp = m.aux("employment", e1 + e2, "wan_person", description="employed persons")
        m.aux(
            "unemployment_rate",
            1 - emp / supply,
            "1",
            description="share of the labour force without work (incl. rural surplus labour)",
        )
