"""Incomes: urban and rural per-capita disposable income, driven by output per resident, real and
nominal.

Yuan per person a year at start-year prices (real) and at current prices (nominal). Parameters: ``data/parameters/incomes.csv``. Equations::

    gdp_per_capita        = gdp_real / pop_total                                  [yuan/person/year]
    farm_output_per_rural = va_primary / pop_rural                                [yuan/person/year]
    gdp_index  = gdp_per_capita / gdp_per_capita(t0)                                          [1]
    farm_index = farm_output_per_rural / farm_output_per_rural(t0)                            [1]
    rural_income_index = rural_farm_income_weight * farm_index
                         + (1 - rural_farm_income_weight) * gdp_index                         [1]
    income_urban = income_urban_base * gdp_index ** income_elasticity_urban      [yuan/person/year]
    income_rural = income_rural_base * rural_income_index ** income_elasticity_rural  [yuan/person/year]
    urban_rural_income_ratio = income_urban / income_rural                                    [1]
    log_income_pull = income_elasticity_urban * log(gdp_index)
                      - income_elasticity_rural * log(rural_income_index)                     [1]
    d(cpi)/dt = cpi_inflation * cpi,  cpi(t0) = 1                                              [1]
    income_urban_nominal = income_urban * cpi;  income_rural_nominal = income_rural * cpi  [yuan/person/year]

Real and nominal apart: ``income_urban``/``income_rural`` are real (start-year prices, for
welfare and for the plan's growth comparisons, which Chinese statistics state at comparable
prices); the ``_nominal`` pair is at current prices, for comparison with the plan's reported
levels (37,247 and 17,818 元 in 2020 are current-price figures). GDP has its own deflator (sector
economy); consumer prices (``cpi``) deflate incomes.

``log_income_pull`` is the log of the urban/rural income ratio relative to the start year,
``log((income_urban / income_rural) / (income_urban_base / income_rural_base))``, written out from
the two income equations. Sector ``population`` drives migration with it: two logarithms and one
exponential, where the ratio of the two incomes raised to a power would take three powers, and the
migration flow is needed at every time step while the incomes themselves are needed only when
saved.

Start-year values are exact (both indices are 1): 37,247 and 17,818 元 (plan ch.1 L9). Rural
households earn part of their income from farming (output per rural resident rises as people move
to town) and the rest from wages and transfers that follow the whole economy. The ``*(t0)`` values
are flowless stocks holding the start-year value.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F


class Incomes(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "incomes"
    inputs = ("gdp_real", "va_primary", "pop_total", "pop_rural")

    def declare(self, m: Model) -> None:
        p = m.params
        gpc = m.aux(
            "gdp_per_capita",
            m.ref("gdp_real") / m.ref("pop_total"),
            "yuan/person/year",
            description="real GDP per resident",
        )
        farm = m.aux(
            "farm_output_per_rural",
            m.ref("va_primary") / m.ref("pop_rural"),
            "yuan/person/year",
            description="primary value added per rural resident",
        )
        gpc0 = m.stock("gdp_per_capita_base", gpc, "yuan/person/year", description="start-year value")
        farm0 = m.stock("farm_output_per_rural_base", farm, "yuan/person/year", description="start-year value")
        gdp_index = m.aux("gdp_index", gpc / gpc0, "1", description="real GDP per resident relative to the start year")
        w = p.rural_farm_income_weight
        rural_index = m.aux(
            "rural_income_index",
            w * farm / farm0 + (1 - w) * gdp_index,
            "1",
            description="what rural incomes follow: farm output per rural resident and GDP "
            "per resident, each relative to the start year",
        )
        urban = m.aux(
            "income_urban",
            p.income_urban_base * gdp_index**p.income_elasticity_urban,
            "yuan/person/year",
            description="urban per-capita disposable income, real (start-year prices)",
        )
        rural = m.aux(
            "income_rural",
            p.income_rural_base * rural_index**p.income_elasticity_rural,
            "yuan/person/year",
            description="rural per-capita disposable income, real (start-year prices)",
        )
        m.aux("urban_rural_income_ratio", urban / rural, "1", description="urban over rural income")
        cpi = m.stock("cpi", 1.0, "1", description="consumer price index (1 at start)")
        m.flow("consumer_inflation", p.cpi_inflation * cpi, "1/year", into="cpi")
        m.aux("income_urban_nominal", urban * cpi, "yuan/person/year", description="urban income, current prices")
        m.aux("income_rural_nominal", rural * cpi, "yuan/person/year", description="rural income, current prices")
        m.aux(
            "log_income_pull",
            p.income_elasticity_urban * F.log(gdp_index) - p.income_elasticity_rural * F.log(rural_index),
            "1",
            description="log of the urban/rural income ratio relative to the start year",
        )
