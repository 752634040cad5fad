"""Incomes: urban and rural per-capita disposable income, driven by output per resident.

Yuan per person a year at 2020 prices. Parameters: ``data/parameters/incomes.csv``. Equations::

    gdp_per_capita        = gdp_real / pop_total                                  [yuan/person/year]
    farm_output_per_rural = va_primary / pop_rural                                [yuan/person/year]
    gdp_index  = gdp_per_capita / gdp_per_capita(t0)                                          [1]
    farm_index = farm_output_per_rural / farm_output_per_rural(t0)                            [1]
    income_urban = income_urban_base * gdp_index ** income_elasticity_urban      [yuan/person/year]
    income_rural = income_rural_base
                   * (rural_farm_income_weight * farm_index
                      + (1 - rural_farm_income_weight) * gdp_index) ** income_elasticity_rural
    urban_rural_income_ratio = income_urban / income_rural                                    [1]

Start-year values are exact (both indices are 1): 37,247 and 17,818 元 (plan ch.1 L9). Rural
households earn part of their income from farming (output per rural resident rises as people move
to town) and the rest from wages and transfers that follow the whole economy. The ``*(t0)`` values
are flowless stocks holding the start-year value.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector


class Incomes(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "incomes"
    inputs = ("gdp_real", "va_primary", "pop_total", "pop_rural")

    def declare(self, m: Model) -> None:
        p = m.params
        gpc = m.aux("gdp_per_capita", m.ref("gdp_real") / m.ref("pop_total"), "yuan/person/year",
                    description="real GDP per resident")
        farm = m.aux("farm_output_per_rural", m.ref("va_primary") / m.ref("pop_rural"), "yuan/person/year",
                     description="primary value added per rural resident")
        gpc0 = m.stock("gdp_per_capita_base", gpc, "yuan/person/year", description="start-year value")
        farm0 = m.stock("farm_output_per_rural_base", farm, "yuan/person/year", description="start-year value")
        gdp_index = gpc / gpc0
        w = p.rural_farm_income_weight
        urban = m.aux("income_urban", p.income_urban_base * gdp_index ** p.income_elasticity_urban,
                      "yuan/person/year", description="urban per-capita disposable income, 2020 prices")
        rural = m.aux("income_rural", p.income_rural_base * (w * farm / farm0 + (1 - w) * gdp_index)
                      ** p.income_elasticity_rural, "yuan/person/year",
                      description="rural per-capita disposable income, 2020 prices")
        m.aux("urban_rural_income_ratio", urban / rural, "1", description="urban over rural income")
