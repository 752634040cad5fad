"""Incomes: urban and rural per-capita disposable income, driven by output per resident.

Yuan per person a year at 2020 prices. Parameters: ``data/parameters/incomes.csv``. Equations::

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
            description="urban per-capita disposable income, 2020 prices",
        )
        rural = m.aux(
            "income_rural",
            p.income_rural_base * rural_index**p.income_elasticity_rural,
            "yuan/person/year",
            description="rural per-capita disposable income, 2020 prices",
        )
        m.aux("urban_rural_income_ratio", urban / rural, "1", description="urban over rural income")
        m.aux(
            "log_income_pull",
            p.income_elasticity_urban * F.log(gdp_index) - p.income_elasticity_rural * F.log(rural_index),
            "1",
            description="log of the urban/rural income ratio relative to the start year",
        )
