"""Economy sector alone: its inputs (farm output, water, labour market, clusters, population) are
stand-ins declared as parameters and auxiliaries of a fresh model; then economy + clusters +
employment together, where capital and labour must add up across activities at every step."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.budget import Budget
from jzsim.sectors.clusters import Clusters
from jzsim.sectors.economy import ACTIVITIES, Economy
from jzsim.sectors.employment import Employment

GDP_2020 = 111.0  # plan ch.1 L9: 2020年的111亿元
ALL = load_parameters()
PARAMS = {
    k: p
    for k, p in ALL.items()
    if p.sector in ("economy", "budget")
    or k.startswith(("cluster_industry_share_", "employment_share_"))
    or k in ("unemployment_base", "nonfarm_employment_share_base")
}


def _water(m):
    m.param("water_from", 2100.0, "year")  # the year a shortage of industrial water starts
    m.param("water_met_after", 1.0, "1")  # share of industrial water demand met from then on
    m.aux(
        "industry_water_supply_factor",
        F.where(m.time >= m.ref("water_from"), m.ref("water_met_after"), F.const(1.0, "1")),
        "1",
    )


def economy_model(stop=2035.0):
    """Economy with stand-in inputs: clusters held at zero (their share of industry is in other
    industry's start value only through cluster_industry_share), labour always filled."""
    m = Model("economy_alone", start=2020.0, stop=stop, dt=0.25)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("va_primary_in", 16.2, "yiyuan/year")  # 111 x 0.146 (Hengshui 2022 share, facts.md)
    m.aux("va_primary", m.ref("va_primary_in"), "yiyuan/year")  # an aux: group members must vary in time
    _water(m)
    m.param("labour_supply", 15.1, "wan_person")  # 30.49 x 0.655 x 0.76 (census 2020, employment.csv)
    m.param("labour_fill", 1.0, "1")
    m.param("labour_output_factor", 1.0, "1")
    for name, units in (
        ("cluster_va_total", "yiyuan/year"),
        ("cluster_investment_total", "yiyuan/year"),
        ("cluster_capital_total", "yiyuan"),
        ("cluster_labour_demand_total", "wan_person"),
    ):
        m.param(name, 0.0, units)
    m.param("pop_growth", 0.0, "1/year")
    m.aux(
        "pop_total",
        F.const(30.49, "wan_person") * F.exp(m.ref("pop_growth") * (m.time - F.const(2020.0, "year"))),
        "wan_person",
    )
    m.param("urb_change", 0.0, "1/year")
    m.aux("urbanisation", 0.539 + m.ref("urb_change") * (m.time - F.const(2020.0, "year")), "1")
    m.add_sector(Economy())
    m.add_sector(Budget())
    return m


MODEL = economy_model()


def test_base_year_gdp_is_the_plan_figure_whatever_the_stand_ins():
    for va_primary, met in ((16.2, 1.0), (8.0, 1.0), (25.0, 0.9), (16.2, 0.7)):
        ds = MODEL.run({"va_primary_in": va_primary, "water_from": 2000.0, "water_met_after": met})
        first = ds.isel(time=0)
        # without clusters the start year lacks their value added: what the rest makes is exact
        s = sum(ALL[f"cluster_industry_share_{c}"].value for c in ("health", "materials", "equipment"))
        iss, tau = ALL["industry_share_of_secondary"].value, ALL["tertiary_share_base"].value
        y0 = float(first["va_nonfarm_base"][0])
        lost = ALL["industry_water_dependence"].value * (1 - met)  # 1 - industry_water_output_factor
        assert y0 == pytest.approx((GDP_2020 - va_primary) / (1 - (1 - tau) * iss * lost))
        assert float(first["gdp_real"][0]) == pytest.approx(GDP_2020 - s * (1 - tau) * iss * y0 * (1 - lost))
        assert float(first["gdp_nominal"][0]) == pytest.approx(float(first["gdp_real"][0]), rel=1e-12)


def test_without_investment_every_capital_decays_and_output_falls():
    ds = MODEL.run(
        {"investment_rate": 0.0, "attracted_investment": 0.0, "public_investment_share": 0.0, "tfp_growth": 0.0}
    )
    d = ALL["depreciation_rate"].value
    for a in ("agriculture",) + ACTIVITIES:
        k = ds[f"capital_{a}"][0].values
        assert k[5] == pytest.approx(k[0] * (1 - d * 0.25) ** 20, rel=1e-12), a  # Euler, 20 steps
    assert np.all(np.diff(ds["capital"][0].values) < 0)
    assert np.all(np.diff(ds["va_other_industry"][0].values) < 0)


def test_industrial_water_shortage_lowers_industry_only():
    """A shortage of 2% of industrial water from 2023 on: in 2023 (capital paths are the same until
    then) industry loses industry_water_dependence x 2% of its value added; construction, services,
    farming and capital lose nothing."""
    wet = MODEL.run().sel(time=2023.0)
    dry = MODEL.run({"water_from": 2023.0, "water_met_after": 0.98}).sel(time=2023.0)
    for name in ("va_construction", "va_services", "va_primary", "capital"):
        np.testing.assert_array_equal(dry[name], wet[name], err_msg=name)
    loss = ALL["industry_water_dependence"].value * 0.02
    assert float(dry["va_industry"][0] / wet["va_industry"][0]) == pytest.approx(1 - loss, rel=1e-12)
    gdp_loss = float(wet["gdp_real"][0] - dry["gdp_real"][0])
    assert gdp_loss == pytest.approx(loss * float(wet["va_industry"][0]), rel=1e-12)


def test_investment_is_allocated_by_activity_and_adds_up():
    ds = MODEL.run(save_every=0.25)
    parts = sum(ds[f"investment_{a}"] for a in ("agriculture",) + ACTIVITIES)
    np.testing.assert_allclose(parts, ds["fai_total"], rtol=1e-12)
    np.testing.assert_allclose(ds["investment"], ds["fai_total"], rtol=1e-12)
    k = ds["capital"][0].values
    np.testing.assert_allclose(np.diff(k), 0.25 * (ds["investment"] - ds["depreciation"])[0].values[:-1], rtol=1e-12)


def test_investment_is_financed_by_private_attracted_and_public_sources():
    ds = MODEL.run()
    v = {k: ALL[k].value for k in ("investment_rate", "attracted_investment", "fiscal_revenue_share")}
    share = ALL["public_investment_share"].value  # plan ch.1 L17: livelihood >= 82.5% of spending
    np.testing.assert_allclose(ds["fiscal_revenue"], v["fiscal_revenue_share"] * ds["gdp_real"], rtol=1e-12)
    # sector budget: its share of revenue and transfers, less debt service, plus borrowing
    own = share * ds["budget_resources"] - ds["interest"] - ds["repayment"] + ds["borrowing"]
    np.testing.assert_allclose(ds["public_investment"], own, rtol=1e-12)
    private = v["investment_rate"] * ds["gdp_real"]
    np.testing.assert_allclose(
        ds["fai_total"], private + v["attracted_investment"] + ds["public_investment"], rtol=1e-12
    )
    # a tighter budget (more of it on livelihoods) leaves less investment and less output later
    tight = MODEL.run({"public_investment_share": 0.05})
    assert float(tight["gdp_real"].sel(time=2030.0)[0]) < float(ds["gdp_real"].sel(time=2030.0)[0])


def test_labour_shortage_lowers_output_by_the_labour_elasticity():
    full = MODEL.run().sel(time=2030.0)
    short = MODEL.run({"labour_output_factor": 0.9, "labour_fill": 0.9 ** (1 / 0.55)}).sel(time=2030.0)
    # the factor only scales this step's output: compare the supply sides with the same capital
    ratio = float(short["va_other_industry"][0] / short["va_potential_other_industry"][0])
    assert ratio == pytest.approx(0.9, rel=1e-12)
    assert float(full["va_other_industry"][0]) == pytest.approx(float(full["va_potential_other_industry"][0]))


def test_services_follow_population_incomes_and_urbanisation():
    """Services demand is start services x population ratio x income index**eps_i x
    (urbanisation ratio)**eps_u, each relative to the start year."""
    # one step in, the stocks (capital, smoothed income) are the same: only urbanisation differs
    base = MODEL.run(save_every=0.25).sel(time=2020.25)
    urban = MODEL.run({"urb_change": 0.04}, save_every=0.25).sel(time=2020.25)
    eps_u = ALL["services_urbanisation_elasticity"].value
    ratio = float(urban["services_demand"][0] / base["services_demand"][0])
    assert ratio == pytest.approx((0.549 / 0.539) ** eps_u, rel=1e-12)
    base = MODEL.run().sel(time=2025.0)
    fewer = MODEL.run({"pop_growth": -0.03}).sel(time=2025.0)
    assert float(fewer["services_demand"][0]) < float(base["services_demand"][0])
    assert float(fewer["va_services"][0]) < float(base["va_services"][0])
    first = MODEL.run().sel(time=2020.0)
    assert float(first["va_services"][0]) == pytest.approx(float(first["services_demand"][0]), rel=1e-12)


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


def core_model():
    """Economy + clusters + employment, with stand-ins for farms, water and population."""
    m = Model("economy_core", start=2020.0, stop=2035.0, dt=0.25)
    for p in ALL.values():
        if p.sector in ("economy", "budget", "clusters", "employment"):
            m.add_parameter(p)
    m.param("va_primary_in", 16.2, "yiyuan/year")
    m.aux("va_primary", m.ref("va_primary_in"), "yiyuan/year")
    _water(m)
    m.param("wap_change", 0.0, "1/year")
    years = m.time - F.const(2020.0, "year")
    m.aux(
        "working_age_pop", F.const(19.98, "wan_person") * F.exp(m.ref("wap_change") * years), "wan_person"
    )  # 30.49 x 0.6554
    m.aux("pop_total", F.const(30.49, "wan_person") * F.exp(m.ref("wap_change") * years), "wan_person")
    m.param("urbanisation", 0.539, "1")
    for s in (Economy(), Budget(), Clusters(), Employment()):
        m.add_sector(s)
    return m


CORE = core_model()


def _draws(seed, n=32):
    rng = np.random.default_rng(seed)
    return {
        k: rng.uniform(p.low, p.high, n)
        for k, p in ALL.items()
        if p.sector in ("economy", "budget", "clusters", "employment") and p.distribution != "fixed"
    }


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wap_change=st.floats(-0.08, 0.02))
def test_capital_and_labour_add_up_across_activities_every_step(seed, wap_change):
    ds = CORE.run({**_draws(seed), "wap_change": wap_change}, save_every=0.25)
    clusters = ("health", "materials", "equipment")
    capital = sum(ds[f"capital_{a}"] for a in ("agriculture",) + ACTIVITIES + clusters)
    np.testing.assert_allclose(ds["capital"], capital, rtol=1e-12)
    jobs = sum(ds[f"employment_{a}"] for a in ACTIVITIES) + sum(ds[f"cluster_employment_{c}"] for c in clusters)
    np.testing.assert_allclose(ds["employment_nonfarm"], jobs, rtol=1e-12)
    np.testing.assert_allclose(ds["employment"], ds["employment_primary"] + ds["employment_nonfarm"], rtol=1e-12)
    va = ds["va_primary"] + sum(ds[f"va_{a}"] for a in ACTIVITIES) + ds["cluster_va_total"]
    np.testing.assert_allclose(ds["gdp_real"], va, rtol=1e-12)
    np.testing.assert_allclose(ds["va"].sum("sector"), ds["gdp_real"], rtol=1e-12)
    # every yuan invested lands in one activity's capital (clusters' unplaced share in other industry)
    np.testing.assert_allclose(ds["investment"], ds["fai_total"], rtol=1e-12)
    assert (ds["employment"] <= ds["labour_supply"] * (1 + 1e-12)).all()
    assert ((ds["labour_fill"] > 0) & (ds["labour_fill"] <= 1)).all()
    for name in ("capital", "tfp", "deflator"):
        assert (ds[name] > 0).all(), name


def test_scarce_labour_holds_output_below_potential():
    ds = CORE.run({"wap_change": -0.06}).sel(time=2030.0)
    assert float(ds["labour_fill"][0]) < 1
    ratio = float(ds["va_other_industry"][0] / ds["va_potential_other_industry"][0])
    assert ratio == pytest.approx(float(ds["labour_fill"][0]) ** (1 - ALL["capital_elasticity"].value), rel=1e-12)
    assert float(ds["employment_nonfarm"][0]) == pytest.approx(float(ds["labour_supply"][0]), rel=1e-12)
