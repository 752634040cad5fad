"""Employment sector alone: inputs working_age_pop, va_primary, va_nonfarm_potential are declared
as auxiliaries of a fresh model (working-age population and potential output change over time)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.employment import Employment

PARAMS = {k: p for k, p in load_parameters().items() if p.sector == "employment"}


def employment_model():
    m = Model("employment_alone", start=2020.0, stop=2035.0, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    years = m.time - F.const(2020.0, "year")
    m.param("wap0", 20.1, "wan_person")  # 30.5 x 0.66 (population.csv defaults)
    m.param("wap_change", -0.004, "1/year")
    m.aux("working_age_pop", m.ref("wap0") * (1 + m.ref("wap_change") * years), "wan_person")
    m.param("va_primary", 16.2, "yiyuan/year")  # 111 x 0.146 (Hengshui 2022 share, facts.md)
    m.param("potential0", 94.8, "yiyuan/year")  # 111 - 16.2
    m.param("potential_growth", 0.045, "1/year")
    m.aux("va_nonfarm_potential", m.ref("potential0") * F.exp(m.ref("potential_growth") * years), "yiyuan/year")
    supply = m.ref("labour_supply")  # as in sector economy (nonfarm_labour_floor = 0.05, economy.csv)
    m.param("nonfarm_labour_floor", 0.05, "1")
    m.aux(
        "labour_nonfarm_available",
        F.maximum(supply - m.ref("labour_demand_primary"), m.ref("nonfarm_labour_floor") * supply),
        "wan_person",
    )
    m.add_sector(Employment())
    return m


MODEL = employment_model()


def v(name):
    return PARAMS[name].value


def test_start_year_unemployment_is_the_assumed_rate():
    first = MODEL.run().isel(time=0)
    supply = 20.1 * v("participation_rate")
    assert float(first["labour_supply"][0]) == pytest.approx(supply)
    assert float(first["unemployment_rate"][0]) == pytest.approx(v("unemployment_base"), rel=1e-12)
    assert float(first["labour_demand_primary"][0]) == pytest.approx(16.2 / v("productivity_primary_base"))
    assert float(first["employment"][0]) == pytest.approx(supply * (1 - v("unemployment_base")))


def test_employment_is_min_of_demand_and_supply():
    for over in ({}, {"wap_change": -0.05}, {"potential_growth": 0.0}):
        ds = MODEL.run(over)
        demand = ds["labour_demand_primary"] + ds["labour_demand_nonfarm"]
        np.testing.assert_allclose(ds["employment"], np.minimum(demand, ds["labour_supply"]), rtol=1e-12)


def test_scarce_labour_fills_nonfarm_jobs_first():
    # the working-age population all but vanishes by 2034 (-6.8% of its 2020 level a year), so
    # farming needs more workers than there are: non-farm jobs are filled, farms get the rest
    ds = MODEL.run({"wap_change": -0.068}).sel(time=2034.0)
    assert float(ds["labour_demand_primary"][0]) > float(ds["labour_supply"][0])
    assert float(ds["employment_nonfarm"][0]) == pytest.approx(float(ds["labour_demand_nonfarm"][0]), rel=1e-12)
    assert float(ds["employment_primary"][0]) < float(ds["labour_demand_primary"][0])
    assert float(ds["employment"][0]) == pytest.approx(float(ds["labour_supply"][0]), rel=1e-12)


def test_labour_saving_productivity_sheds_jobs_at_its_rate():
    none = MODEL.run({"labour_saving_rate": 0.0})
    fast = MODEL.run({"labour_saving_rate": 0.02})
    # Euler: the job ratio falls by (1 - rate * dt) each step, 40 steps to 2030
    expected = none["labour_demand_nonfarm"].sel(time=2030.0) * (1 - 0.02 * 0.25) ** 40
    np.testing.assert_allclose(fast["labour_demand_nonfarm"].sel(time=2030.0), expected, rtol=1e-12)
    # without labour saving, non-farm demand is a constant share of the labour available to it
    share = none["labour_demand_nonfarm"] / none["labour_nonfarm_available"]
    np.testing.assert_allclose(share.values, np.broadcast_to(share.values[:, :1], share.shape), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wap_change=st.floats(-0.04, 0.02), growth=st.floats(-0.02, 0.1))
def test_employment_bounded_for_random_valid_parameters(seed, wap_change, growth):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(p.low, p.high, 64) for k, p in PARAMS.items() if p.distribution != "fixed"}
    ds = MODEL.run({**draws, "wap_change": wap_change, "potential_growth": growth})
    assert (ds["productivity_nonfarm"] > 0).all() and (ds["productivity_primary"] > 0).all()
    assert (ds["employment_primary"] >= 0).all() and (ds["employment_nonfarm"] >= 0).all()
    assert (ds["employment"] <= ds["labour_supply"] * (1 + 1e-12)).all()
    assert ((ds["unemployment_rate"] >= -1e-12) & (ds["unemployment_rate"] < 1)).all()
