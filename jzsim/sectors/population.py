"""Population: residents by urban and rural and by age (0-14, 15-64, 65+), with ageing, births,
deaths, migration between town and country and across the district border.

Persons in 万人 (``wan_person``). Parameters: ``data/parameters/population.csv``. ``X`` is
``urban`` or ``rural``; cohorts ``young`` (0-14), ``working`` (15-64), ``old`` (65+); all rates
in 1/year::

    pop_X_young(t0)   = pop_base * u_X * young_share_base
    pop_X_working(t0) = pop_base * u_X * working_age_share_base
    pop_X_old(t0)     = pop_base * u_X * (1 - young_share_base - working_age_share_base)
                        (u_urban = urbanisation_base, u_rural = 1 - urbanisation_base)
    d(fertility)/dt   = -birth_rate_decline * fertility,  fertility(t0) = fertility_base
    births_X          = fertility * pop_X_working              (births per resident aged 15-64)
    ageing_young_X    = pop_X_young / 15 years                  (14-year-olds turning 15)
    ageing_working_X  = working_age_exit_rate * pop_X_working   (64-year-olds turning 65)
    deaths_X_k        = mortality_k * pop_X_k                   k in young, working, old
    income_pull       = exp(log_income_pull)
    rural_to_urban_k  = rural_urban_migration_rate * exp(migration_income_elasticity * log_income_pull)
                        * pop_rural_k                            k in young, working (the old stay)
    net_migration_rate_now = net_migration_rate + migration_job_response * job_gap
    net_migration_X_k = net_migration_rate_now * pop_X_k         k in young, working
    d(pop_X_young)/dt   = births_X - ageing_young_X - deaths_X_young + net_migration_X_young +- rural_to_urban_young
    d(pop_X_working)/dt = ageing_young_X - ageing_working_X - deaths_X_working + net_migration_X_working
                          +- rural_to_urban_working
    d(pop_X_old)/dt     = ageing_working_X - deaths_X_old
    pop_X = sum over cohorts;  pop_total = pop_urban + pop_rural;  urbanisation = pop_urban / pop_total
    working_age_pop = pop_urban_working + pop_rural_working;  old_age_share = old / pop_total

Migration (Todaro and Harris-Todaro): rural residents move to town at a base rate, more when the
urban/rural income ratio is wider than in the start year (``log_income_pull`` from sector
incomes: the log of that ratio relative to the start year); people of working age and their
children move across the district border at a base rate plus ``migration_job_response`` times
the job gap (sector employment: non-farm jobs over the labour farms do not need, minus 1), so
surplus labour pushes people out and vacancies draw them in. The age structure at the start is the census's,
the same in town and country (no split by age is published for Jizhou). The plan's ~60%
urbanisation in 2025 (ch.18 L170) is a target, not an input.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F

AREAS = ("urban", "rural")
COHORTS = ("young", "working", "old")
FIFTEEN_YEARS = F.const(15.0, "year")


class Population(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "population"
    inputs = ("log_income_pull", "job_gap")

    def declare(self, m: Model) -> None:
        p = m.params
        fert = m.stock(
            "fertility", p.fertility_base, "1/year", nonnegative=True, description="births per resident 15-64"
        )
        m.flow("fertility_fall", p.birth_rate_decline * fert, "1/year/year", out_of="fertility")
        share = {
            "young": p.young_share_base,
            "working": p.working_age_share_base,
            "old": 1 - p.young_share_base - p.working_age_share_base,
        }
        area = {"urban": p.urbanisation_base, "rural": 1 - p.urbanisation_base}
        mort = {"young": p.mortality_young, "working": p.mortality_working, "old": p.mortality_old}
        pops = {
            (x, k): m.stock(
                f"pop_{x}_{k}",
                p.pop_base * area[x] * share[k],
                "wan_person",
                nonnegative=True,
                description=f"{x} residents, {dict(young='0-14', working='15-64', old='65+')[k]}",
            )
            for x in AREAS
            for k in COHORTS
        }
        log_pull = m.ref("log_income_pull")
        m.aux("income_pull", F.exp(log_pull), "1", description="urban/rural income ratio relative to the start year")
        move = m.aux(
            "rural_urban_migration_rate_now",
            p.rural_urban_migration_rate * F.exp(p.migration_income_elasticity * log_pull),
            "1/year",
            description="share of rural residents under 65 moving to town this year",
        )
        net = m.aux(
            "net_migration_rate_now",
            p.net_migration_rate + p.migration_job_response * m.ref("job_gap"),
            "1/year",
            description="net migration across the border per resident under 65 (negative: out)",
        )
        for x in AREAS:
            m.flow(f"births_{x}", fert * pops[x, "working"], "wan_person/year", into=f"pop_{x}_young")
            m.flow(
                f"ageing_young_{x}",
                pops[x, "young"] / FIFTEEN_YEARS,
                "wan_person/year",
                out_of=f"pop_{x}_young",
                into=f"pop_{x}_working",
            )
            m.flow(
                f"ageing_working_{x}",
                p.working_age_exit_rate * pops[x, "working"],
                "wan_person/year",
                out_of=f"pop_{x}_working",
                into=f"pop_{x}_old",
            )
            for k in COHORTS:
                m.flow(f"deaths_{x}_{k}", mort[k] * pops[x, k], "wan_person/year", out_of=f"pop_{x}_{k}")
            for k in ("young", "working"):
                m.flow(
                    f"net_migration_{x}_{k}",
                    net * pops[x, k],
                    "wan_person/year",
                    into=f"pop_{x}_{k}",
                    description="migration across the district border (negative: out)",
                )
        for k in ("young", "working"):
            m.flow(
                f"rural_to_urban_{k}",
                move * pops["rural", k],
                "wan_person/year",
                out_of=f"pop_rural_{k}",
                into=f"pop_urban_{k}",
                description="rural-to-urban migration inside the district",
            )
        m.aux(
            "rural_to_urban",
            move * (pops["rural", "young"] + pops["rural", "working"]),
            "wan_person/year",
            description="rural-to-urban migration inside the district, all ages",
        )
        totals = {}
        for x in AREAS:
            totals[x] = m.aux(
                f"pop_{x}",
                pops[x, "young"] + pops[x, "working"] + pops[x, "old"],
                "wan_person",
                description=f"{x} residents",
            )
        total = m.aux("pop_total", totals["urban"] + totals["rural"], "wan_person", description="resident population")
        m.aux("urbanisation", totals["urban"] / total, "1", description="urban share of residents")
        wap = m.aux(
            "working_age_pop",
            pops["urban", "working"] + pops["rural", "working"],
            "wan_person",
            description="residents aged 15-64",
        )
        m.aux("working_age_share", wap / total, "1", description="share of residents aged 15-64")
        m.aux(
            "old_age_share",
            (pops["urban", "old"] + pops["rural", "old"]) / total,
            "1",
            description="share of residents aged 65 and over",
        )
        m.aux("births", fert * wap, "wan_person/year", description="births, all residents")
        m.aux(
            "deaths",
            sum(
                (mort[k] * (pops["urban", k] + pops["rural", k]) for k in COHORTS[1:]),
                mort["young"] * (pops["urban", "young"] + pops["rural", "young"]),
            ),
            "wan_person/year",
            description="deaths, all residents",
        )
        m.aux(
            "net_migration",
            net
            * (pops["urban", "young"] + pops["urban", "working"] + pops["rural", "young"] + pops["rural", "working"]),
            "wan_person/year",
            description="net migration across the district border, all residents (negative: out)",
        )
        m.aux("crude_birth_rate", fert * wap / total, "1/year", description="births per resident")
