"""Water sector alone: its inputs (water_demand_agriculture, va_industry, pop_urban, pop_rural,
gdp_real) are parameters/auxiliaries of a fresh model, with the economy/agriculture parameters its
start-year industrial value added reads (gdp_base, tertiary_share_base, industry_share_of_secondary,
va_primary_base). Expected values follow from the parameters by the module docstring's equations,
or from public figures in facts.md."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.water import SOURCES, USES, Water

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "water"}
BORROWED = ("gdp_base", "tertiary_share_base", "industry_share_of_secondary", "va_primary_base")
DT = 0.25
INPUTS = {"agri_demand_in": 1.1, "industry_growth": 0.06, "pop_urban": 16.5, "pop_rural": 14.0, "gdp_real": 111.0}


def water_model(save_every=1.0):
    m = Model("water_alone", start=2020.0, stop=2035.0, dt=DT, save_every=save_every)
    for p in (*PARAMS.values(), *(ALL[n] for n in BORROWED)):
        m.add_parameter(p)
    m.param("agri_demand_in", INPUTS["agri_demand_in"], "yi_m3/year")  # about the agriculture sector's 2020 value
    m.aux("water_demand_agriculture", m.ref("agri_demand_in"), "yi_m3/year")
    m.param("industry_growth", INPUTS["industry_growth"], "1/year")
    y0 = (
        (m.params.gdp_base - m.params.va_primary_base)
        * (1 - m.params.tertiary_share_base)
        * m.params.industry_share_of_secondary
    )
    m.aux("va_industry", y0 * F.exp(m.ref("industry_growth") * (m.time - F.const(2020.0, "year"))), "yiyuan/year")
    m.param("pop_urban", INPUTS["pop_urban"], "wan_person")  # population.csv: 30.5 x 0.54
    m.param("pop_rural", INPUTS["pop_rural"], "wan_person")
    m.param("gdp_real", INPUTS["gdp_real"], "yiyuan/year")  # plan ch.1 L9
    m.add_sector(Water())
    return m


MODEL = water_model()
FINE = water_model(save_every=DT)


def v(name):
    return PARAMS[name].value if name in PARAMS else ALL[name].value


def _draws(seed, n=32):
    rng = np.random.default_rng(seed)
    d = {k: rng.uniform(p.low, p.high, n) for k, p in PARAMS.items() if p.distribution != "fixed"}
    d.update(
        agri_demand_in=rng.uniform(0.3, 2.0, n),
        industry_growth=rng.uniform(-0.05, 0.12, n),
        pop_urban=rng.uniform(10, 25, n),
        pop_rural=rng.uniform(5, 20, n),
    )
    return d


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_balance_closes_for_random_valid_parameters(seed):
    ds = FINE.run(_draws(seed))
    demand, supplied, short = ds["water_demand_total"], ds["water_supplied_total"], ds["water_shortage_total"]
    np.testing.assert_allclose(supplied + short, demand, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ds["water_demand"].sum("water_use"), demand, rtol=1e-13)
    np.testing.assert_allclose(ds["water_supply"].sum("water_source"), supplied, rtol=1e-13)
    assert list(ds["water_demand"]["water_use"].values) == list(USES)
    assert list(ds["water_supply"]["water_source"].values) == list(SOURCES)
    eps = 1e-12
    assert (short >= -eps).all() and (ds["water_supply"] >= -eps).all()
    assert (short.isel(time=0) <= eps).all()  # the start-year cap is above the start-year need
    assert (ds["aquifer_storage"] >= 0).all()
    assert (ds["groundwater_extraction"] <= ds["groundwater_cap"] + eps).all()
    for f in ("agri_water_supply_factor", "industry_water_supply_factor", "reclaimed_share"):
        assert ((ds[f] >= -eps) & (ds[f] <= 1 + eps)).all(), f
    # the shortage charged to agriculture and industry is the total whenever they can carry it
    lost = (1 - ds["agri_water_supply_factor"]) * ds["water_demand_agriculture"] + (
        1 - ds["industry_water_supply_factor"]
    ) * ds["water_demand_industry"]
    carry = ds["water_demand_agriculture"] + ds["water_demand_industry"]
    np.testing.assert_allclose(lost, np.minimum(short, carry), rtol=1e-9, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_aquifer_changes_by_recharge_minus_extraction(seed):
    ds = FINE.run(_draws(seed))
    s = ds["aquifer_storage"].values
    net = (ds["groundwater_recharge"] - ds["groundwater_extraction"]).values
    np.testing.assert_allclose(np.diff(s, axis=1), DT * net[:, :-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ds["groundwater_balance"], net, rtol=1e-14)


def test_zero_recharge_aquifer_falls_by_extraction():
    ds = FINE.run({"infiltration_coefficient": 0.0})
    s = ds["aquifer_storage"][0].values
    pumped = DT * np.cumsum(ds["groundwater_extraction"][0].values[:-1])
    assert (ds["groundwater_recharge"] == 0).all()
    np.testing.assert_allclose(s[1:], v("aquifer_initial") - pumped, rtol=1e-12)
    assert np.all(np.diff(s) < 0)


def test_recharge_from_public_precipitation_and_area():
    # public: 510.3 mm/yr over 918 km2 (facts.md): 0.5103 m x 918e6 m2 = 4.685 亿m3 of rain a year
    ds = MODEL.run({"infiltration_coefficient": 0.1})
    assert float(ds["groundwater_recharge"][0, 0]) == pytest.approx(0.5103 * 918e6 * 0.1 / 1e8, rel=1e-12)


def test_without_transferred_water_extraction_plus_shortage_rise_by_what_it_supplied():
    base = MODEL.run()
    none = MODEL.run({"transferred_capacity_base": 0.0, "transferred_capacity_policy": 0.0})
    assert (none["water_supply_transferred"] == 0).all()
    gap = lambda ds: ds["groundwater_extraction"] + ds["water_shortage_total"]  # noqa: E731
    assert (gap(none) > gap(base)).all()
    # surface water is not the margin here (demand exceeds it), so the lost supply moves one for one
    np.testing.assert_allclose(gap(none) - gap(base), base["water_supply_transferred"], rtol=1e-9)
    assert (none["groundwater_extraction"] >= base["groundwater_extraction"]).all()
    assert (none["water_shortage_total"] >= base["water_shortage_total"] - 1e-12).all()


def test_well_closures_create_shortage_that_falls_on_farms_and_industry():
    ds = MODEL.run({"well_closure_share": 0.6, "industry_shortage_weight": 1.0})
    late = ds.sel(time=slice(2025.0, None))
    assert (late["water_shortage_total"] > 0).all()
    cap_2025 = float(ds["groundwater_need_base"][0, 0]) * v("groundwater_cap_headroom") * (1 - 0.6)
    np.testing.assert_allclose(late["groundwater_extraction"], cap_2025, rtol=1e-12)
    # weight 1: the shortage is split in proportion to demand, so both get the same share met
    np.testing.assert_allclose(late["agri_water_supply_factor"], late["industry_water_supply_factor"], rtol=1e-12)
    assert (late["agri_water_supply_factor"] < 1).all()


def test_base_year_demand_from_quotas_and_population():
    first = MODEL.run().isel(time=0)
    y0 = (v("gdp_base") - v("va_primary_base")) * (1 - v("tertiary_share_base")) * v("industry_share_of_secondary")
    # m3/wanyuan x yiyuan (= 1e4 wanyuan) -> m3; /1e8 -> yi_m3
    assert float(first["water_demand_industry"][0]) == pytest.approx(v("industry_water_quota_base") * y0 * 1e4 / 1e8)
    # L/person/day x wan_person (1e4 persons) x 365.25 days (pint's year) -> litres; /1e11 -> yi_m3
    for kind, pop in (("urban", INPUTS["pop_urban"]), ("rural", INPUTS["pop_rural"])):
        got = float(first[f"water_demand_{kind}_domestic"][0])
        assert got == pytest.approx(v(f"{kind}_domestic_lpcd") * pop * 1e4 * 365.25 / 1e11, rel=1e-12)
    assert float(first["water_demand_ecology"][0]) == pytest.approx(v("ecology_demand_base"))
    assert float(first["reclaimed_share"][0]) == pytest.approx(v("reuse_rate_base"))
    per_gdp = float(first["water_supplied_total"][0]) * 1e8 / (INPUTS["gdp_real"] * 1e4)  # m3 / wanyuan
    assert float(first["water_per_wanyuan_gdp"][0]) == pytest.approx(per_gdp, rel=1e-12)


def test_reuse_rate_moves_to_its_target_and_the_plan_floor_is_met_by_2025():
    ds = FINE.run()
    r = ds["reuse_rate"][0].values
    target, base, tau = v("reuse_rate_target"), v("reuse_rate_base"), v("reuse_adjust_time")
    t = ds["time"].values - v("water_policy_start")
    np.testing.assert_allclose(r, target - (target - base) * np.exp(-t / tau), rtol=1e-12)
    # plan ch.23 L230: 再生水利用率达到30%以上 by 2025 (met with the default policy target and time)
    assert float(ds["reclaimed_share"].sel(time=2025.0)[0]) >= 0.30


def test_domestic_supply_switched_to_transferred_water_by_2021():
    ds = MODEL.run()
    # plan ch.21 L212: 到2021年...城乡生活实现全域江水置换
    assert (ds["domestic_transferred_share"].sel(time=slice(2021.0, None)) == 1.0).all()


def test_a_small_aquifer_cannot_be_pumped_below_zero():
    ds = FINE.run({"aquifer_initial": 1.0, "infiltration_coefficient": 0.0, "well_closure_share": 0.0})
    s = ds["aquifer_storage"][0].values
    assert s.min() >= 0 and s[-1] < 0.01  # drained, never negative
    # once storage binds, extraction is what a year's pumping of the storage allows and shortage opens
    late = ds.sel(time=slice(2030.0, None))
    np.testing.assert_allclose(late["groundwater_extraction"], late["aquifer_storage"] / v("aquifer_min_drain_time"))
    assert (late["water_shortage_total"] > 0).all()
