"""Clusters sector alone (inputs fai_total, fai_industrial_share, industry_water_output_factor,
va_industry, va_secondary declared as parameters), and coupled to the economy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.params import load_parameters
from jzsim.sectors.clusters import CLUSTERS, Clusters
from jzsim.sectors.economy import Economy

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "clusters" or k == "industry_share_of_secondary"}
VA_SECONDARY_TREND = 38.4  # 111 x 0.854 x 0.405, see clusters.csv (cluster_industry_share_health)
VA_INDUSTRY = VA_SECONDARY_TREND * ALL["industry_share_of_secondary"].value


def clusters_model(stop=2035.0):
    m = Model("clusters_alone", start=2020.0, stop=stop, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("fai_total", 45.0, "yiyuan/year")
    m.param("fai_industrial_share", 0.45, "1")
    m.param("industry_water_output_factor", 1.0, "1")
    m.param("va_secondary_trend", VA_SECONDARY_TREND, "yiyuan/year")
    m.param("va_secondary", VA_SECONDARY_TREND, "yiyuan/year")
    m.add_sector(Clusters())
    return m


MODEL = clusters_model()
LONG = clusters_model(stop=2120.0)


def v(name):
    return PARAMS[name].value


def test_start_year_output_from_industry_share():
    ds = MODEL.run().isel(time=0)
    for c in CLUSTERS:
        expected = v(f"cluster_industry_share_{c}") * VA_INDUSTRY / v(f"cluster_va_ratio_{c}")
        assert float(ds[f"cluster_output_{c}"][0]) == pytest.approx(expected, rel=1e-12)
    total_share = sum(v(f"cluster_industry_share_{c}") for c in CLUSTERS)
    assert float(ds["cluster_va_total"][0]) == pytest.approx(total_share * VA_INDUSTRY, rel=1e-12)
    assert list(MODEL.run()["cluster_output"]["cluster"].values) == list(CLUSTERS)


def test_clusters_saturate_below_market_potential():
    # (the Euler step stays stable while build * dt < potential, true for any plausible investment)
    # a huge investment into a market that does not grow: capacity stays below the potential and
    # settles at the analytic equilibrium of  I/kappa (1 - C/M) = delta C,
    # C* = (I/kappa) / (delta + I/(kappa M))
    fai = 1000.0  # 20 times the economy's default fixed-asset investment
    ds = LONG.run({"fai_total": fai, "cluster_market_growth": 0.0})
    for c in CLUSTERS:
        cap = ds[f"cluster_capacity_{c}"][0].values
        potential = v(f"cluster_market_multiple_{c}") * cap[0]
        np.testing.assert_allclose(ds[f"cluster_market_potential_{c}"][0], potential, rtol=1e-12)
        assert np.all(cap < potential)
        build = fai * 0.45 * v(f"cluster_investment_share_{c}") / v("cluster_capital_intensity")
        equilibrium = build / (v("cluster_obsolescence_rate") + build / potential)
        assert cap[-1] == pytest.approx(equilibrium, rel=1e-9)
        assert np.all(np.diff(cap) >= 0) and cap[1] > cap[0]


def test_no_investment_capacity_decays():
    ds = MODEL.run({"fai_total": 0.0})
    for c in CLUSTERS:
        cap = ds[f"cluster_capacity_{c}"][0].values
        assert cap[5] == pytest.approx(cap[0] * (1 - v("cluster_obsolescence_rate") * 0.25) ** 20, rel=1e-12)


def test_water_shortage_scales_output_not_capacity():
    dry = MODEL.run({"industry_water_output_factor": 0.8})
    wet = MODEL.run()
    for c in CLUSTERS:
        np.testing.assert_allclose(dry[f"cluster_output_{c}"], 0.8 * dry[f"cluster_capacity_{c}"], rtol=1e-12)
    # capacity (the capital's measure) is the same; value added falls with the water factor
    np.testing.assert_allclose(dry["cluster_capacity_health"], wet["cluster_capacity_health"])
    np.testing.assert_allclose(dry["cluster_va_total"], 0.8 * wet["cluster_va_total"], rtol=1e-12)


def coupled_model():
    """Economy + clusters with stand-ins for agriculture, water and employment inputs."""
    m = Model("economy_clusters", start=2020.0, stop=2035.0, dt=0.25)
    for p in ALL.values():
        if p.sector in ("economy", "clusters"):
            m.add_parameter(p)
    m.param("va_primary_in", 16.2, "yiyuan/year")  # 111 x 0.146 (Hengshui 2022 share, facts.md)
    m.aux("va_primary", m.ref("va_primary_in"), "yiyuan/year")
    m.param("industry_water_supply_factor", 1.0, "1")
    m.param("employment_nonfarm", 10.9, "wan_person")
    m.param("labour_supply", 15.3, "wan_person")
    m.param("labour_demand_primary", 3.7, "wan_person")
    m.add_sector(Economy())
    m.add_sector(Clusters())
    return m


COUPLED = coupled_model()


def test_cluster_value_added_is_inside_secondary_at_default_parameters():
    ds = COUPLED.run()
    assert (ds["cluster_va_total"] < ds["va_industry"]).all()
    assert (ds["cluster_va_total"] < ds["va_secondary"]).all()
    np.testing.assert_allclose(ds["va"].sum("sector"), ds["gdp_real"], rtol=1e-12)  # not added again


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_valid_parameters_keep_stocks_positive_and_start_consistent(seed):
    rng = np.random.default_rng(seed)
    draws = {
        k: rng.uniform(p.low, p.high, 64)
        for k, p in ALL.items()
        if p.sector in ("economy", "clusters") and p.distribution != "fixed"
    }
    ds = COUPLED.run(draws)
    for c in CLUSTERS:
        cap = ds[f"cluster_capacity_{c}"]
        assert (cap > 0).all()
        assert (cap < ds[f"cluster_market_potential_{c}"]).all()
    first = ds.isel(time=0)
    assert (first["cluster_va_total"] < first["va_industry"]).all()
    # cluster value added is inside secondary value added in every year, whatever the parameters
    assert (ds["cluster_share_of_secondary"] < 1).all()
    np.testing.assert_allclose(first["va_secondary"], first["va_secondary_trend"], rtol=1e-12)
