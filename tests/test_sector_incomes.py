"""Incomes sector alone (inputs gdp_real, va_primary, pop_total, pop_rural as auxiliaries of a
fresh model), and the five sectors economy, clusters, population, employment, incomes together
with stand-ins for agriculture (va_primary) and water (industry_water_supply_factor)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.budget import Budget
from jzsim.sectors.clusters import Clusters
from jzsim.sectors.economy import Economy
from jzsim.sectors.employment import Employment
from jzsim.sectors.incomes import Incomes
from jzsim.sectors.population import Population

ALL = load_parameters()
MINE = ("economy", "budget", "clusters", "population", "employment", "incomes")
PARAMS = {k: p for k, p in ALL.items() if p.sector == "incomes"}
URBAN_2020, RURAL_2020, GDP_2020 = 37247.0, 17818.0, 111.0  # plan ch.1 L9


def incomes_model():
    m = Model("incomes_alone", start=2020.0, stop=2035.0, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    years = m.time - F.const(2020.0, "year")
    m.param("gdp_growth", 0.05, "1/year")
    m.param("pop_growth", 0.0, "1/year")
    m.param("rural_growth", 0.0, "1/year")
    m.aux("gdp_real", GDP_2020 * F.exp(m.ref("gdp_growth") * years) * F.const(1.0, "yiyuan/year"), "yiyuan/year")
    m.aux("pop_total", 30.5 * F.exp(m.ref("pop_growth") * years) * F.const(1.0, "wan_person"), "wan_person")
    m.aux("pop_rural", 14.0 * F.exp(m.ref("rural_growth") * years) * F.const(1.0, "wan_person"), "wan_person")
    m.param("va_primary", 16.2, "yiyuan/year")
    m.add_sector(Incomes())
    return m


MODEL = incomes_model()


def v(name):
    return PARAMS[name].value


def test_start_year_incomes_are_the_plan_figures():
    for over in ({}, {"gdp_growth": 0.1, "rural_growth": -0.05}):
        first = MODEL.run(over).isel(time=0)
        assert float(first["income_urban"][0]) == pytest.approx(URBAN_2020, rel=1e-12)
        assert float(first["income_rural"][0]) == pytest.approx(RURAL_2020, rel=1e-12)


def test_incomes_follow_output_per_resident_with_their_elasticities():
    ds = MODEL.run().sel(time=2030.0)
    index = np.exp(0.05 * 10)  # GDP per resident, population constant
    assert float(ds["income_urban"][0]) == pytest.approx(URBAN_2020 * index ** v("income_elasticity_urban"))
    w = v("rural_farm_income_weight")  # farm output per rural resident constant here
    assert float(ds["income_rural"][0]) == pytest.approx(
        RURAL_2020 * (w + (1 - w) * index) ** v("income_elasticity_rural")
    )


def test_urbanisation_raises_rural_income():
    stay = MODEL.run({"gdp_growth": 0.0})["income_rural"].sel(time=2030.0)
    leave = MODEL.run({"gdp_growth": 0.0, "rural_growth": -0.03})["income_rural"].sel(time=2030.0)
    assert float(leave[0]) > float(stay[0]) == pytest.approx(RURAL_2020)


def core_model(stop=2035.0):
    m = Model("plan_core", start=2020.0, stop=stop, dt=0.25, time_dim="year")
    for p in ALL.values():
        if p.sector in MINE:
            m.add_parameter(p)
    m.param("va_primary_in", 16.2, "yiyuan/year")  # stand-in: 111 x 0.146 (Hengshui 2022 share, facts.md)
    m.aux("va_primary", m.ref("va_primary_in"), "yiyuan/year")
    m.param("industry_water_supply_factor", 1.0, "1")  # stand-in: no water shortage
    for s in (Economy(), Budget(), Clusters(), Population(), Employment(), Incomes()):
        m.add_sector(s)
    return m


CORE = core_model()


def test_five_sectors_together_reproduce_the_base_year():
    first = CORE.run().isel(year=0)
    assert float(first["gdp_real"][0]) == pytest.approx(GDP_2020, rel=1e-12)
    assert float(first["income_urban"][0]) == pytest.approx(URBAN_2020, rel=1e-12)
    assert float(first["income_rural"][0]) == pytest.approx(RURAL_2020, rel=1e-12)
    assert set(CORE.run()["cluster_output"]["cluster"].values) == {"health", "materials", "equipment"}


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), va_primary=st.floats(8.0, 25.0), iof=st.floats(0.7, 1.0))
def test_five_sectors_random_valid_parameters(seed, va_primary, iof):
    rng = np.random.default_rng(seed)
    draws = {
        k: rng.uniform(p.low, p.high, 64) for k, p in ALL.items() if p.sector in MINE and p.distribution != "fixed"
    }
    ds = CORE.run({**draws, "va_primary_in": va_primary, "industry_water_supply_factor": iof})
    np.testing.assert_allclose(ds["gdp_real"].isel(year=0), GDP_2020, rtol=1e-12)
    np.testing.assert_allclose(ds["income_urban"].isel(year=0), URBAN_2020, rtol=1e-12)
    for name, var in ds.data_vars.items():
        if var.attrs.get("kind") == "stock":
            assert (var >= 0).all(), name
    assert (ds["employment"] <= ds["labour_supply"] * (1 + 1e-12)).all()
    assert (ds["cluster_va_total"].isel(year=0) < ds["va_secondary"].isel(year=0)).all()
