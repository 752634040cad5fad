"""Clusters sector alone (its inputs from the economy and the labour market declared as
parameters of a fresh model), and coupled to the economy and employment."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.params import load_parameters
from jzsim.sectors.clusters import CLUSTERS, Clusters

ALL = load_parameters()
PARAMS = {
    k: p
    for k, p in ALL.items()
    if p.sector == "clusters"
    or k
    in (
        "industry_share_of_secondary",
        "tertiary_share_base",
        "depreciation_rate",
        "employment_share_industry",
    )
}
VA_NONFARM_BASE = 94.8  # 111 - 16.2 (plan ch.1 L9; agriculture.csv va_primary_base)


def clusters_model(stop=2035.0):
    m = Model("clusters_alone", start=2020.0, stop=stop, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("fai_total", 45.0, "yiyuan/year")
    m.param("fai_industrial_share", 0.45, "1")
    m.param("va_nonfarm_base", VA_NONFARM_BASE, "yiyuan/year")
    for name in (
        "tfp",
        "output_per_capital_trend",
        "jobs_per_capital_trend",
        "labour_output_factor",
        "labour_fill",
        "industry_water_output_factor",
    ):
        m.param(name, 1.0, "1")
    m.param("nonfarm_jobs_base", 7.0, "wan_person")
    m.param("va_secondary", 40.0, "yiyuan/year")
    m.add_sector(Clusters())
    return m


MODEL = clusters_model()
LONG = clusters_model(stop=2120.0)


def v(name):
    return PARAMS[name].value


def industry0():
    return v("industry_share_of_secondary") * (1 - v("tertiary_share_base")) * VA_NONFARM_BASE


def test_start_year_output_and_capital_from_industry_share():
    ds = MODEL.run().isel(time=0)
    for c in CLUSTERS:
        va0 = v(f"cluster_industry_share_{c}") * industry0()
        out0 = va0 / v(f"cluster_va_ratio_{c}")
        assert float(ds[f"cluster_output_{c}"][0]) == pytest.approx(out0, rel=1e-12)
        assert float(ds[f"capital_{c}"][0]) == pytest.approx(v("cluster_capital_intensity") * out0, rel=1e-12)
        assert float(ds[f"cluster_market_potential_{c}"][0]) == pytest.approx(
            v(f"cluster_market_multiple_{c}") * out0, rel=1e-12
        )
        jobs0 = 7.0 * v("employment_share_industry") * v(f"cluster_industry_share_{c}")
        assert float(ds[f"cluster_labour_demand_{c}"][0]) == pytest.approx(jobs0, rel=1e-12)
    assert list(MODEL.run()["cluster_output"]["cluster"].values) == list(CLUSTERS)


def test_clusters_saturate_below_market_potential():
    # a huge investment into a market that does not grow: output stays below the potential and
    # settles where investment placed (I (1 - Y/M)) replaces depreciation, Y = K / intensity:
    # I (1 - K/(kappa M)) = delta K  ->  K* = I / (delta + I/(kappa M))
    fai = 1000.0  # 20 times the economy's default fixed-asset investment
    ds = LONG.run({"fai_total": fai, "cluster_market_growth": 0.0})
    for c in CLUSTERS:
        out = ds[f"cluster_output_{c}"][0].values
        potential = v(f"cluster_market_multiple_{c}") * out[0]
        assert np.all(out < potential)
        inv = fai * 0.45 * v(f"cluster_investment_share_{c}")
        k_eq = inv / (v("depreciation_rate") + inv / (v("cluster_capital_intensity") * potential))
        assert float(ds[f"capital_{c}"][0, -1]) == pytest.approx(k_eq, rel=1e-9)
        assert np.all(np.diff(out) >= 0) and out[1] > out[0]


def test_no_investment_capital_decays_and_output_with_it():
    ds = MODEL.run({"fai_total": 0.0})
    for c in CLUSTERS:
        k = ds[f"capital_{c}"][0].values
        assert k[5] == pytest.approx(k[0] * (1 - v("depreciation_rate") * 0.25) ** 20, rel=1e-12)
        np.testing.assert_allclose(ds[f"cluster_output_{c}"][0] / ds[f"cluster_output_{c}"][0, 0], k / k[0])


def test_water_and_labour_factors_scale_output_not_capital():
    dry = MODEL.run({"industry_water_output_factor": 0.8, "labour_output_factor": 0.9})
    wet = MODEL.run()
    np.testing.assert_allclose(dry["capital_health"].isel(time=0), wet["capital_health"].isel(time=0))
    np.testing.assert_allclose(
        dry["cluster_va_total"].isel(time=0), 0.72 * wet["cluster_va_total"].isel(time=0), rtol=1e-12
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_valid_parameters_keep_capital_positive_and_output_below_potential(seed):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(p.low, p.high, 64) for k, p in PARAMS.items() if p.distribution != "fixed"}
    ds = MODEL.run(draws)
    for c in CLUSTERS:
        assert (ds[f"capital_{c}"] > 0).all()
        assert (ds[f"cluster_output_{c}"] < ds[f"cluster_market_potential_{c}"]).all()
        room = ds[f"cluster_market_room_{c}"]
        assert ((room >= 0) & (room <= 1)).all()
    # the clusters never invest more than their share of industrial investment
    most = 45.0 * 0.45 * sum(draws[f"cluster_investment_share_{c}"] for c in CLUSTERS)
    assert (ds["cluster_investment_total"] <= most[:, None] + 1e-12).all()


def test_time_trends_enter_output_and_jobs():
    ds = MODEL.run({"output_per_capital_trend": 0.9, "jobs_per_capital_trend": 0.8, "tfp": 1.1}).isel(time=0)
    base = MODEL.run().isel(time=0)
    np.testing.assert_allclose(ds["cluster_va_total"], 0.99 * base["cluster_va_total"], rtol=1e-12)
    np.testing.assert_allclose(ds["cluster_labour_demand_total"], 0.8 * base["cluster_labour_demand_total"])
