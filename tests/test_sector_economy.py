"""Economy sector alone: its inputs (va_primary, industry_water_supply_factor, employment_nonfarm,
labour_supply, labour_demand_primary) are declared as parameters/auxiliaries in a fresh model."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.economy import Economy

GDP_2020 = 111.0  # plan ch.1 L9: 2020年的111亿元
ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "economy" or k.startswith("cluster_industry_share_")}


def economy_model(*, labour_decline=0.0, stop=2035.0):
    """Economy with stand-in inputs; non-farm employment falls linearly at ``labour_decline``/yr."""
    m = Model("economy_alone", start=2020.0, stop=stop, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("va_primary_in", 16.2, "yiyuan/year")  # 111 x 0.146 (Hengshui 2022 share, facts.md)
    m.aux("va_primary", m.ref("va_primary_in"), "yiyuan/year")  # an aux: group members must vary in time
    m.param("water_from", 2100.0, "year")  # the year a shortage of industrial water starts
    m.param("water_met_after", 1.0, "1")  # share of industrial water demand met from then on
    m.aux(
        "industry_water_supply_factor",
        F.where(m.time >= m.ref("water_from"), m.ref("water_met_after"), F.const(1.0, "1")),
        "1",
    )
    m.param("labour_decline", labour_decline, "1/year")
    m.param("employment_nonfarm_in", 10.9, "wan_person")
    m.aux(
        "employment_nonfarm",
        m.ref("employment_nonfarm_in") * (1 - m.ref("labour_decline") * (m.time - F.const(2020.0, "year"))),
        "wan_person",
    )
    m.param("labour_supply", 15.3, "wan_person")
    m.param("labour_demand_primary", 3.7, "wan_person")
    # clusters held at their start-year share of the secondary trend, exposed to water as other industry
    share = m.params.industry_share_of_secondary * (
        m.params.cluster_industry_share_health
        + m.params.cluster_industry_share_materials
        + m.params.cluster_industry_share_equipment
    )
    m.aux(
        "cluster_va_total", share * m.ref("va_secondary_trend") * m.ref("industry_water_output_factor"), "yiyuan/year"
    )
    m.add_sector(Economy())
    return m


MODEL = economy_model()
SHRINKING = economy_model(labour_decline=0.03)


@pytest.mark.parametrize("va_primary, met", [(16.2, 1.0), (8.0, 1.0), (25.0, 0.9), (16.2, 0.7)])
def test_base_year_gdp_is_the_plan_figure(va_primary, met):
    ds = MODEL.run({"va_primary_in": va_primary, "water_from": 2000.0, "water_met_after": met})
    first = ds.isel(time=0)
    assert float(first["gdp_real"][0]) == pytest.approx(GDP_2020, rel=1e-12)
    assert float(first["gdp_nominal"][0]) == pytest.approx(GDP_2020, rel=1e-12)  # deflator 1 in 2020
    assert float(first["va_primary"][0]) == pytest.approx(va_primary)


def test_sector_group_adds_up_to_gdp():
    ds = MODEL.run()
    np.testing.assert_allclose(ds["va"].sum("sector"), ds["gdp_real"], rtol=1e-12)
    assert list(ds["va"]["sector"].values) == ["primary", "secondary", "tertiary"]
    assert (ds["va_industry"] < ds["va_secondary"]).all()


def test_without_investment_capital_decays_and_output_falls():
    ds = MODEL.run({"investment_rate": 0.0, "attracted_investment": 0.0, "tfp_growth": 0.0})
    k = ds["capital"][0].values
    assert np.all(np.diff(k) < 0)
    # Euler with dt = 0.25: K(2025) = K0 (1 - delta dt)^20, K0 = capital_output_ratio * (111 - 16.2)
    k0 = PARAMS["capital_output_ratio"].value * (GDP_2020 - 16.2)
    assert k[0] == pytest.approx(k0)
    assert k[5] == pytest.approx(k0 * (1 - PARAMS["depreciation_rate"].value * 0.25) ** 20, rel=1e-12)
    assert np.all(np.diff(ds["va_nonfarm"][0].values) < 0)
    assert np.all(np.diff(ds["gdp_real"][0].values) < 0)


def test_industrial_water_shortage_lowers_industry_only():
    """A shortage of 2% of industrial water from 2023 on: in 2023 (the capital and labour paths are
    the same until then) industry loses industry_water_dependence x 2% of its value added and
    construction, services and farming lose nothing."""
    wet = MODEL.run().sel(time=2023.0)
    dry = MODEL.run({"water_from": 2023.0, "water_met_after": 0.98}).sel(time=2023.0)
    for name in ("va_construction", "va_tertiary", "va_primary", "capital", "va_nonfarm"):
        np.testing.assert_array_equal(dry[name], wet[name], err_msg=name)
    loss = PARAMS["industry_water_dependence"].value * 0.02
    for name in ("va_industry", "va_other_industry", "cluster_va_total"):
        assert float(dry[name][0] / wet[name][0]) == pytest.approx(1 - loss, rel=1e-12), name
    gdp_loss = float(wet["gdp_real"][0] - dry["gdp_real"][0])
    assert gdp_loss == pytest.approx(loss * float(wet["va_industry"][0]), rel=1e-12)


def test_all_investment_flows_into_the_one_capital_stock():
    ds = MODEL.run(save_every=0.25)
    k = ds["capital"][0].values
    net = (ds["investment"] - ds["depreciation"])[0].values
    np.testing.assert_allclose(np.diff(k), 0.25 * net[:-1], rtol=1e-12)
    np.testing.assert_array_equal(ds["investment"], ds["fai_total"])


def test_more_investment_more_output():
    low = MODEL.run({"investment_rate": 0.25})["gdp_real"].sel(time=2025.0)
    high = MODEL.run({"investment_rate": 0.45})["gdp_real"].sel(time=2025.0)
    assert float(high[0]) > float(low[0])


def test_scarce_labour_lowers_output_by_the_labour_elasticity():
    # without investment both runs have the same capital path, so the ratio is (L/L0)^(1-alpha) exactly
    off = {"investment_rate": 0.0, "attracted_investment": 0.0}
    full = MODEL.run(off).sel(time=2030.0)
    short = SHRINKING.run(off).sel(time=2030.0)
    alpha = PARAMS["capital_elasticity"].value
    expected = (1 - 0.03 * 10) ** (1 - alpha)
    assert float(short["va_nonfarm"][0] / full["va_nonfarm"][0]) == pytest.approx(expected, rel=1e-12)


def test_investment_mix_moves_toward_policy_values():
    ds = MODEL.run()
    for kind in ("industrial", "hightech"):
        s = ds[f"fai_{kind}_share"][0]
        base = PARAMS[f"fai_{kind}_share_base"].value
        policy = PARAMS[f"fai_{kind}_share_policy"].value  # plan ch.22 L218: 50% / 20%
        gap_closed = PARAMS["fai_policy_adherence"].value
        assert float(s.sel(time=2020.0)) == pytest.approx(base)
        assert float(s.sel(time=2025.0)) == pytest.approx(base + gap_closed * (policy - base))
        assert float(s.sel(time=2035.0)) == pytest.approx(float(s.sel(time=2025.0)))


def test_deflator_compounds_inflation():
    ds = MODEL.run({"inflation_rate": 0.02})
    ratio = float((ds["gdp_nominal"] / ds["gdp_real"]).sel(time=2030.0)[0])
    assert ratio == pytest.approx((1 + 0.02 * 0.25) ** 40, rel=1e-12)  # Euler, 40 steps


def test_tertiary_share_drifts_toward_target():
    tau = MODEL.run()["tertiary_share"][0].values
    target = PARAMS["tertiary_share_target"].value
    assert np.all(np.diff(tau) > 0) and np.all(tau < target)


def _draws(seed, n=64):
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(p.low, p.high, n) for k, p in PARAMS.items() if p.distribution != "fixed"}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), met=st.floats(0.5, 1.0))
def test_no_stock_negative_and_base_exact_for_random_valid_parameters(seed, met):
    ds = SHRINKING.run({**_draws(seed), "water_from": 2000.0, "water_met_after": met})
    for name in ("capital", "tfp", "deflator", "tertiary_share", "va_nonfarm_base"):
        assert (ds[name] > 0).all(), name
    np.testing.assert_allclose(ds["gdp_real"].isel(time=0), GDP_2020, rtol=1e-12)
    assert ((ds["fai_industrial_share"] > 0) & (ds["fai_industrial_share"] < 1)).all()
