"""Employment sector alone: inputs working_age_pop, va_primary and labour_demand_nonfarm are
declared as auxiliaries of a fresh model (they change over time)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.employment import Employment

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "employment" or k == "capital_elasticity"}
WAP_2020 = 19.98  # 304,854 x 65.54% aged 15-64 (7th census, history_found.md A), in 万


def employment_model():
    m = Model("employment_alone", start=2020.0, stop=2035.0, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    years = m.time - F.const(2020.0, "year")
    m.param("wap_change", -0.004, "1/year")
    m.aux("working_age_pop", F.const(WAP_2020, "wan_person") * (1 + m.ref("wap_change") * years), "wan_person")
    m.param("va_primary", 16.2, "yiyuan/year")  # 111 x 0.146 (Hengshui 2022 share, facts.md)
    m.param("jobs0", 10.7, "wan_person")
    m.param("jobs_growth", 0.02, "1/year")
    m.aux("labour_demand_nonfarm", m.ref("jobs0") * F.exp(m.ref("jobs_growth") * years), "wan_person")
    m.add_sector(Employment())
    return m


MODEL = employment_model()


def v(name):
    return PARAMS[name].value


def test_supply_and_farm_demand_in_the_start_year():
    first = MODEL.run().isel(time=0)
    supply = WAP_2020 * v("participation_rate")
    assert float(first["labour_supply"][0]) == pytest.approx(supply)
    assert float(first["labour_demand_primary"][0]) == pytest.approx(16.2 / v("productivity_primary_base"))
    assert float(first["employment_nonfarm"][0]) == pytest.approx(10.7)
    assert float(first["labour_fill"][0]) == 1.0 and float(first["labour_output_factor"][0]) == 1.0


def test_employment_is_min_of_demand_and_supply():
    for over in ({}, {"wap_change": -0.05}, {"jobs_growth": 0.08}):
        ds = MODEL.run(over)
        demand = ds["labour_demand_primary"] + ds["labour_demand_nonfarm"]
        np.testing.assert_allclose(ds["employment"], np.minimum(demand, ds["labour_supply"]), rtol=1e-12)
        avail = np.maximum(ds["labour_supply"] - ds["labour_demand_primary"], 0.05 * ds["labour_supply"])
        np.testing.assert_allclose(ds["job_gap"], ds["labour_demand_nonfarm"] / avail - 1, rtol=1e-12)


def test_scarce_labour_fills_nonfarm_jobs_first_then_output_falls():
    ds = MODEL.run({"jobs_growth": 0.08}).sel(time=2030.0)
    supply = float(ds["labour_supply"][0])
    assert float(ds["labour_demand_nonfarm"][0]) > supply
    assert float(ds["employment_nonfarm"][0]) == pytest.approx(supply, rel=1e-12)
    assert float(ds["employment_primary"][0]) == pytest.approx(0.0, abs=1e-12)
    fill = supply / float(ds["labour_demand_nonfarm"][0])
    assert float(ds["labour_fill"][0]) == pytest.approx(fill, rel=1e-12)
    assert float(ds["labour_output_factor"][0]) == pytest.approx(fill ** (1 - v("capital_elasticity")), rel=1e-12)


def test_farm_productivity_grows_at_its_rate():
    ds = MODEL.run()
    lp = ds["productivity_primary"][0].values
    g = v("productivity_primary_growth")
    assert lp[5] == pytest.approx(v("productivity_primary_base") * (1 + g * 0.25) ** 20, rel=1e-12)  # Euler


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wap_change=st.floats(-0.04, 0.02), growth=st.floats(-0.02, 0.1))
def test_employment_bounded_for_random_valid_parameters(seed, wap_change, growth):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(p.low, p.high, 64) for k, p in PARAMS.items() if p.distribution != "fixed"}
    ds = MODEL.run({**draws, "wap_change": wap_change, "jobs_growth": growth})
    assert (ds["productivity_primary"] > 0).all()
    assert (ds["employment_primary"] >= 0).all() and (ds["employment_nonfarm"] >= 0).all()
    assert (ds["employment"] <= ds["labour_supply"] * (1 + 1e-12)).all()
    assert ((ds["unemployment_rate"] >= -1e-12) & (ds["unemployment_rate"] < 1)).all()
    assert ((ds["labour_fill"] > 0) & (ds["labour_fill"] <= 1)).all()
