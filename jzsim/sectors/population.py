"""Population: residents by urban and rural and by age (0-14, 15-64, 65-74, 75+), with ageing,
births, deaths, migration between town and country and across the district border.

Persons in 万人 (``wan_person``). Parameters: ``data/parameters/population.csv``. ``X`` is
``urban`` or ``rural``; cohorts ``young`` (0-14), ``working`` (15-64), ``old`` (65-74),
``oldest`` (75+); all rates in 1/year::

    pop_X_young(t0)   = pop_base * u_X * young_share_base
    pop_X_working(t0) = pop_base * u_X * working_age_share_base
    pop_X_old(t0)     = pop_base * u_X * (1 - young_share_base - working_age_share_base) * (1 - oldest_share_base)
    pop_X_oldest(t0)  = pop_base * u_X * (1 - young_share_base - working_age_share_base) * oldest_share_base
                        (u_urban = urbanisation_base, u_rural = 1 - urbanisation_base)
    d(fertility)/dt   = -birth_rate_decline * fertility,  fertility(t0) = fertility_base
    births_X          = fertility * pop_X_working              (births per resident aged 15-64)
    ageing_young_X    = pop_X_young / 15 years                  (14-year-olds turning 15)
    working_age_exit_rate_now = working_age_exit_scale * census_exit_rate(t)
    ageing_working_X  = working_age_exit_rate_now * pop_X_working   (64-year-olds turning 65)
    old_ageing_rate_now = old_ageing_scale * census_old_ageing_rate(t)
    ageing_old_X      = old_ageing_rate_now * pop_X_old             (74-year-olds turning 75)
    deaths_X_k        = mortality_k * pop_X_k        k in young, working, old, oldest
    income_pull       = exp(log_income_pull)
    rural_to_urban_k  = rural_urban_migration_rate * exp(migration_income_elasticity * log_income_pull)
                        * pop_rural_k                            k in young, working (the old stay)
    d(outside_income)/dt = outside_income_growth * outside_income,  outside_income(t0) = outside_income_base
    local_income      = urbanisation * income_urban + (1 - urbanisation) * income_rural   [yuan/person/year]
    log_outside_gap   = log(local_income / outside_income) - log(local_income(t0) / outside_income_base)  [1]
    net_migration_rate_now = net_migration_rate + migration_job_response * job_gap
                             + migration_outside_income_elasticity * log_outside_gap
    net_migration_X_k = net_migration_rate_now * intensity_k * pop_X_k
                        (intensity: migration_young_intensity, 1, migration_old_intensity for 65+)
    d(pop_X_young)/dt   = births_X - ageing_young_X - deaths_X_young + net_migration_X_young +- rural_to_urban_young
    d(pop_X_working)/dt = ageing_young_X - ageing_working_X - deaths_X_working + net_migration_X_working
                          +- rural_to_urban_working
    d(pop_X_old)/dt     = ageing_working_X - ageing_old_X - deaths_X_old + net_migration_X_old
    d(pop_X_oldest)/dt  = ageing_old_X - deaths_X_oldest + net_migration_X_oldest
    pop_X = sum over cohorts;  pop_total = pop_urban + pop_rural;  urbanisation = pop_urban / pop_total
    working_age_pop = pop_urban_working + pop_rural_working;  old_age_share = (old + oldest) / pop_total

Migration (Todaro and Harris-Todaro): rural residents move to town at a base rate, more when the
urban/rural income ratio is wider than in the start year (``log_income_pull`` from sector
incomes: the log of that ratio relative to the start year). Across the district border people
move at a base rate plus ``migration_job_response`` times the job gap (sector employment:
non-farm jobs over the labour farms do not need, minus 1), so surplus labour pushes people out and
vacancies draw them in, plus ``migration_outside_income_elasticity`` times the change since the
start year of the log ratio of local income per resident (real, sector incomes) to a reference
income outside (Hebei's per-capita disposable income, real, growing at ``outside_income_growth``):
when the district's incomes grow faster than elsewhere fewer leave, when slower more. The start
year's gap is in the base rates (calibrated on the 2010-2020 censuses), so only its change acts.
Migration is age-selective: the rate applies in full to ages 15-64 and at
``migration_young_intensity`` and ``migration_old_intensity`` of it to children and the old
(Jizhou's census cohorts, 2010 to 2020, lost about 2.7% a year net of deaths at working ages,
about 1.6% at 65+, and none as children: population.csv).

Ageing out of working age follows the census cohorts, not a uniform age spread:
``census_exit_rate(t)`` is a table of time (:func:`jzsim.sectors.census.working_age_exit_table`)
built from Jizhou's residents by 5-year age group in the 2010 and 2020 censuses
(``data/census_age.csv``): the people aged 55-64 at a census turn 65 in the next ten years, those
aged 50-54 in the five after, as a share of the 15-64 residents then
(``census_old_ageing_rate(t)``, :func:`jzsim.sectors.census.old_ageing_table`, likewise for 65-74
turning 75: a first-order outflow at a constant rate would move the new 65-year-olds on to 75+
within a few years). The 1946-1960 cohorts that
crossed 65 in 2011-2025 make it rise from 1.6% a year (2011) to 2.5% (2020), about 2.2% in
2021-25 and 3.2% by 2035, where the national 2020 ratio is 1.5%. The old are split at 75 because
their death rates differ threefold (2000 census: 24-42 per 1000 at 65-74, 66-160 at 75-89), so
the 65+ death rate rises as the 65+ age, instead of one rate for all. The age structure at the
start is the census's, the same in town and country (no split by age is published for Jizhou).
The plan's ~60% urbanisation in 2025 (ch.18 L170) is a target, not an input.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F
from jzsim.sectors import start_year, trend
from jzsim.sectors.census import old_ageing_table, working_age_exit_table

AREAS = ("urban", "rural")
COHORTS = ("young", "working", "old", "oldest")
AGES = {"young": "0-14", "working": "15-64", "old": "65-74", "oldest": "75+"}
FIFTEEN_YEARS = F.const(15.0, "year")


class Population(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "population"
    inputs = ("log_income_pull", "job_gap", "income_urban", "income_rural", "start_year")

    def declare(self, m: Model) -> None:
        p = m.params
        t0 = start_year(m)
        fert = m.stock(
            "fertility", p.fertility_base, "1/year", nonnegative=True, description="births per resident 15-64"
        )
        m.flow("fertility_fall", p.birth_rate_decline * fert, "1/year/year", out_of="fertility")
        old = 1 - p.young_share_base - p.working_age_share_base
        share = {
            "young": p.young_share_base,
            "working": p.working_age_share_base,
            "old": old * (1 - p.oldest_share_base),
            "oldest": old * p.oldest_share_base,
        }
        area = {"urban": p.urbanisation_base, "rural": 1 - p.urbanisation_base}
        mort = {k: getattr(p, f"mortality_{k}") for k in COHORTS}
        intensity = {
            "young": p.migration_young_intensity,
            "old": p.migration_old_intensity,
            "oldest": p.migration_old_intensity,
        }
        exit_rate = _census_rate(
            m, "working_age_exit_rate_now", working_age_exit_table(), p.working_age_exit_scale, "aged 15-64 turning 65"
        )
        old_rate = _census_rate(
            m, "old_ageing_rate_now", old_ageing_table(), p.old_ageing_scale, "aged 65-74 turning 75"
        )
        pops = {
            (x, k): m.stock(
                f"pop_{x}_{k}",
                p.pop_base * area[x] * share[k],
                "wan_person",
                nonnegative=True,
                description=f"{x} residents, {AGES[k]}",
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
        u = m.ref("urbanisation")
        local = m.aux(
            "local_income",
            u * m.ref("income_urban") + (1 - u) * m.ref("income_rural"),
            "yuan/person/year",
            description="disposable income per resident, town and country together (real)",
        )
        outside = m.aux(
            "outside_income",
            p.outside_income_base * trend(p.outside_income_growth, m.time, t0),
            "yuan/person/year",
            description="reference income outside the district: Hebei per-capita disposable income (real)",
        )
        local0 = m.stock("local_income_base", local, "yuan/person/year", description="start-year local_income")
        gap = m.aux(
            "log_outside_gap",
            F.log(local / outside) - F.log(local0 / p.outside_income_base),
            "1",
            description="log of local over outside income relative to the start year (positive: catching up)",
        )
        net = m.aux(
            "net_migration_rate_now",
            p.net_migration_rate
            + p.migration_job_response * m.ref("job_gap")
            + p.migration_outside_income_elasticity * gap,
            "1/year",
            description="net migration across the border per resident aged 15-64 (negative: out)",
        )
        moves = {k: net * intensity[k] for k in intensity}
        moves["working"] = net
        for x in AREAS:
            m.flow(f"births_{x}", fert * pops[x, "working"], "wan_person/year", into=f"pop_{x}_young")
            for k, rate, nxt in (
                ("young", 1 / FIFTEEN_YEARS, "working"),
                ("working", exit_rate, "old"),
                ("old", old_rate, "oldest"),
            ):
                m.flow(
                    f"ageing_{k}_{x}",
                    rate * pops[x, k],
                    "wan_person/year",
                    out_of=f"pop_{x}_{k}",
                    into=f"pop_{x}_{nxt}",
                )
            for k in COHORTS:
                m.flow(f"deaths_{x}_{k}", mort[k] * pops[x, k], "wan_person/year", out_of=f"pop_{x}_{k}")
                m.flow(
                    f"net_migration_{x}_{k}",
                    moves[k] * pops[x, k],
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
        both = {k: pops["urban", k] + pops["rural", k] for k in COHORTS}
        totals = {}
        for x in AREAS:
            totals[x] = m.aux(
                f"pop_{x}",
                pops[x, "young"] + pops[x, "working"] + pops[x, "old"] + pops[x, "oldest"],
                "wan_person",
                description=f"{x} residents",
            )
        total = m.aux("pop_total", totals["urban"] + totals["rural"], "wan_person", description="resident population")
        m.aux("urbanisation", totals["urban"] / total, "1", description="urban share of residents")
        wap = m.aux("working_age_pop", both["working"], "wan_person", description="residents aged 15-64")
        m.aux("working_age_share", wap / total, "1", description="share of residents aged 15-64")
        m.aux(
            "old_age_share",
            (both["old"] + both["oldest"]) / total,
            "1",
            description="share of residents aged 65 and over",
        )
        m.aux("births", fert * wap, "wan_person/year", description="births, all residents")
        m.aux(
            "deaths",
            _over_cohorts(mort, both),
            "wan_person/year",
            description="deaths, all residents",
        )
        m.aux(
            "net_migration",
            _over_cohorts(moves, both),
            "wan_person/year",
            description="net migration across the district border, all residents (negative: out)",
        )
        m.aux("crude_birth_rate", fert * wap / total, "1/year", description="births per resident")


def _census_rate(m: Model, name: str, table, scale, who: str):
    """``scale * table(t)``: a yearly share of residents from the census cohorts (1/year)."""
    years, rates = table
    return m.aux(
        name,
        scale * F.lookup(m.time, years, rates, units="1/year", x_units="year"),
        "1/year",
        description=f"share of residents {who} this year (census cohorts)",
    )


def _over_cohorts(rate: dict, pop: dict):
    """``rate[k] * pop[k]`` summed over :data:`COHORTS`, in that order (wan_person/year)."""
    total = rate[COHORTS[0]] * pop[COHORTS[0]]
    for k in COHORTS[1:]:
        total = total + rate[k] * pop[k]
    return total
