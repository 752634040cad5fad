"""Population: residents by urban and rural, natural change, migration, urbanisation, working age.

Persons in 万人 (``wan_person``). Parameters: ``data/parameters/population.csv``. Equations
(``X`` is ``urban`` or ``rural``; all rates in 1/year)::

    pop_urban(t0) = pop_base * urbanisation_base,  pop_rural(t0) = pop_base * (1 - urbanisation_base)
    d(birth_rate)/dt = -birth_rate_decline * birth_rate,  birth_rate(t0) = birth_rate_base   [1/year/year]
    births_X        = birth_rate * pop_X                                                 [wan_person/year]
    deaths_X        = death_rate * pop_X                                                 [wan_person/year]
    net_migration_X = net_migration_rate * pop_X      (into or out of the district)       [wan_person/year]
    income_pull     = exp(log_income_pull)                                                          [1]
    rural_to_urban  = rural_urban_migration_rate * exp(migration_income_elasticity * log_income_pull)
                      * pop_rural        (= rate * income_pull ** elasticity * pop_rural)  [wan_person/year]
    d(pop_urban)/dt = births_urban - deaths_urban + net_migration_urban + rural_to_urban
    d(pop_rural)/dt = births_rural - deaths_rural + net_migration_rural - rural_to_urban
    pop_total       = pop_urban + pop_rural;  urbanisation = pop_urban / pop_total         [wan_person], [1]
    d(working_age_share)/dt = -working_age_share_decline                                 [1/year]
    working_age_pop = working_age_share * pop_total                                      [wan_person]

Rural-to-urban migration (Todaro): a constant share of rural residents moves each year, more when
the urban/rural income gap is wider than in the start year. ``income_pull`` is the urban/rural
income ratio relative to the start year, ``(income_urban / income_rural) / (income_urban_base /
income_rural_base)``; the sector's one input is its log, ``log_income_pull`` from sector
``incomes``, and the flow is computed as ``exp(elasticity * log_income_pull)``: the same value as
``income_pull ** elasticity``, with fewer powers at every time step. The plan's ~60%
urbanisation in 2025 (ch.18 L170) is a target, not an input. Net migration across the district
border and natural change apply at the same rate to urban and rural residents.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F


class Population(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "population"
    inputs = ("log_income_pull",)

    def declare(self, m: Model) -> None:
        p = m.params
        br = m.stock("birth_rate", p.birth_rate_base, "1/year", nonnegative=True, description="crude birth rate")
        m.flow("birth_rate_fall", p.birth_rate_decline * br, "1/year/year", out_of="birth_rate")
        stocks = {"urban": p.urbanisation_base, "rural": 1 - p.urbanisation_base}
        pops = {
            x: m.stock(f"pop_{x}", p.pop_base * share, "wan_person", nonnegative=True, description=f"{x} residents")
            for x, share in stocks.items()
        }
        for x, pop in pops.items():
            m.flow(f"births_{x}", br * pop, "wan_person/year", into=f"pop_{x}")
            m.flow(f"deaths_{x}", p.death_rate * pop, "wan_person/year", out_of=f"pop_{x}")
            m.flow(
                f"net_migration_{x}",
                p.net_migration_rate * pop,
                "wan_person/year",
                into=f"pop_{x}",
                description="migration across the district border (negative: out)",
            )
        log_pull = m.ref("log_income_pull")
        m.aux("income_pull", F.exp(log_pull), "1", description="urban/rural income ratio relative to the start year")
        m.flow(
            "rural_to_urban",
            p.rural_urban_migration_rate * F.exp(p.migration_income_elasticity * log_pull) * pops["rural"],
            "wan_person/year",
            out_of="pop_rural",
            into="pop_urban",
            description="rural-to-urban migration inside the district",
        )
        total = m.aux("pop_total", pops["urban"] + pops["rural"], "wan_person", description="resident population")
        m.aux("urbanisation", pops["urban"] / total, "1", description="urban share of residents")
        for what, rate in (("births", br), ("deaths", p.death_rate), ("net_migration", p.net_migration_rate)):
            m.aux(what, rate * total, "wan_person/year", description=f"{what.replace('_', ' ')}, all residents")
        wa = m.stock(
            "working_age_share",
            p.working_age_share_base,
            "1",
            nonnegative=True,
            description="share of residents aged 15-64",
        )
        m.flow(
            "ageing",
            p.working_age_share_decline,
            "1/year",
            out_of="working_age_share",
            description="fall of the working-age share (ageing)",
        )
        m.aux("working_age_pop", wa * total, "wan_person", description="residents aged 15-64")
