"""Water sector alone: its inputs (water_demand_irrigation, water_demand_livestock, va_industry,
pop_urban, pop_rural, gdp_real) are parameters/auxiliaries of a fresh model, with the
economy/agriculture parameters its start-year industrial value added reads. Expected values follow
from the parameters by the module docstrings' equations, or from public figures cited beside them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.water import LEVERS, LINKS, SOURCES, USES, Water, levers_off, link_matrix

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "water"}
BORROWED = ("gdp_base", "tertiary_share_base", "industry_share_of_secondary", "va_primary_base")
DT = 0.25
INPUTS = {"irrigation_in": 1.1, "livestock_in": 0.03, "industry_growth": 0.06, "pop_urban": 16.5, "pop_rural": 14.0}
LAYERS = ("shallow", "deep")


def water_model(save_every=1.0, stop=2035.0):
    m = Model("water_alone", start=2020.0, stop=stop, dt=DT, save_every=save_every)
    for p in (*PARAMS.values(), *(ALL[n] for n in BORROWED)):
        m.add_parameter(p)
    m.param("irrigation_in", INPUTS["irrigation_in"], "yi_m3/year")  # about the agriculture sector's 2020 value
    m.aux("water_demand_irrigation", m.ref("irrigation_in"), "yi_m3/year")
    m.param("livestock_in", INPUTS["livestock_in"], "yi_m3/year")
    m.aux("water_demand_livestock", m.ref("livestock_in"), "yi_m3/year")
    m.param("industry_growth", INPUTS["industry_growth"], "1/year")
    y0 = (
        (m.params.gdp_base - m.params.va_primary_base)
        * (1 - m.params.tertiary_share_base)
        * m.params.industry_share_of_secondary
    )
    m.aux("va_industry", y0 * F.exp(m.ref("industry_growth") * (m.time - F.const(2020.0, "year"))), "yiyuan/year")
    m.param("pop_urban", INPUTS["pop_urban"], "wan_person")  # population.csv: 30.5 x 0.54
    m.param("pop_rural", INPUTS["pop_rural"], "wan_person")
    m.param("gdp_real", 111.0, "yiyuan/year")  # plan ch.1 L9
    m.add_sector(Water())
    return m


MODEL = water_model()
FINE = water_model(save_every=DT)
SHORT = water_model(stop=2023.0)


def v(name):
    return ALL[name].value


def _draws(seed, n=32):
    """Uniform draws over every uncertain parameter's range, and over wide input ranges."""
    rng = np.random.default_rng(seed)
    d = {k: rng.uniform(p.low, p.high, n) for k, p in PARAMS.items() if p.distribution != "fixed"}
    d.update(
        irrigation_in=rng.uniform(0.0, 2.5, n),
        livestock_in=rng.uniform(0.0, 0.1, n),
        industry_growth=rng.uniform(-0.05, 0.12, n),
        pop_urban=rng.uniform(0, 25, n),
        pop_rural=rng.uniform(0, 20, n),
    )
    return d


def _check_balances(ds, eps=1e-12):
    demand, supplied, short = ds["water_demand_total"], ds["water_supplied_total"], ds["water_shortage_total"]
    np.testing.assert_allclose(supplied + short, demand, rtol=1e-12, atol=eps)
    links = link_matrix(ds)
    # supply by link sums to supply by source and to supply by use
    np.testing.assert_allclose(
        links.sum("water_use"), ds["water_supply"].sel(water_source=links["water_source"]), atol=eps
    )
    np.testing.assert_allclose(links.sum("water_source"), ds["water_delivered"], atol=eps)
    np.testing.assert_allclose(ds["water_delivered"] + ds["water_shortage"], ds["water_demand"], atol=eps)
    np.testing.assert_allclose(ds["water_supply"].sum("water_source"), supplied, rtol=1e-12, atol=eps)
    assert (ds["water_link"] >= 0).all() and (ds["water_shortage"] >= -eps).all()
    for s, cap in (("transferred", "transferred_capacity"), ("surface", "surface_capacity")):
        assert (ds["water_supply"].sel(water_source=s) <= ds[cap] * (1 + 1e-12) + eps).all(), s
    assert (ds["water_supply_reclaimed"] <= ds["reclaimed_capacity"] * (1 + 1e-12) + eps).all()
    for L in LAYERS:
        assert (ds[f"groundwater_pumping_{L}"] <= ds[f"groundwater_capacity_{L}"] * (1 + 1e-12) + eps).all()
        assert (ds[f"groundwater_capacity_{L}"] <= ds[f"groundwater_permit_{L}"] * (1 + 1e-12) + eps).all()
        assert (ds[f"aquifer_storage_{L}"] >= 0).all()
    r = ds["water_supply_ratio"]
    assert ((r >= -eps) & (r <= 1 + 1e-12)).all()


def test_balances_close_over_1e5_random_valid_draws():
    # 10^5 draws in 5 runs of 20,000 (each result ~ 0.2 GB), 2020-2023 yearly
    for seed in range(5):
        _check_balances(SHORT.run(_draws(seed, 20_000)))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_each_layer_changes_by_its_inflows_minus_outflows_every_step(seed):
    ds = FINE.run(_draws(seed))
    _check_balances(ds)
    sh_in = sum(
        ds[n]
        for n in (
            "rain_recharge",
            "irrigation_return_flow",
            "canal_seepage",
            "lake_seepage",
            "replenishment_infiltration",
        )
    )
    np.testing.assert_allclose(sh_in, ds["shallow_recharge"], rtol=1e-12)
    net = {
        "shallow": sh_in + ds["lateral_inflow_shallow"] - ds["groundwater_pumping_shallow"] - ds["leakage_to_deep"],
        "deep": ds["leakage_to_deep"] + ds["lateral_inflow_deep"] - ds["groundwater_pumping_deep"],
    }
    for L in LAYERS:
        s = ds[f"aquifer_storage_{L}"].values
        np.testing.assert_allclose(np.diff(s, axis=1), DT * net[L].values[:, :-1], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ds[f"groundwater_balance_{L}"], net[L], rtol=1e-9, atol=1e-12)
    total = ds["groundwater_recharge"] - ds["groundwater_extraction"]
    np.testing.assert_allclose(total, net["shallow"] + net["deep"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ds["groundwater_balance"], total, rtol=1e-12, atol=1e-15)


def test_no_storage_goes_negative_under_extreme_pumping():
    # a thin shallow layer, a tiny deep storativity, no rain, falling surroundings, huge demand
    extreme = {
        "shallow_depth_start": 49.0,
        "deep_storativity": 1e-4,
        "infiltration_coefficient": 0.0,
        "surroundings_rise_shallow": -5.0,
        "surroundings_rise_deep": -10.0,
        "shallow_level_change_start": -5.0,
        "deep_level_change_start": -20.0,
        "irrigation_in": 5.0,
        "pumping_cut_shallow": 0.0,
        "pumping_cut_deep": 0.0,
    }
    ds = FINE.run(extreme)
    for L in LAYERS:
        assert float(ds[f"aquifer_storage_{L}"].min()) >= 0.0, L
        assert float(ds[f"groundwater_depth_{L}"].max()) <= v(f"{L}_pump_limit_depth") + 1e-9
    assert (ds["water_shortage_irrigation"].sel(time=slice(2025.0, None)) > 0).all()


def test_start_year_levels_and_level_change_match_the_observations():
    first = MODEL.run().isel(time=0)
    for L in LAYERS:
        # public: Hebei monitoring end-Aug 2020 (history_found.md E); depths from history_found.md A, D, E
        assert float(first[f"groundwater_depth_{L}"][0]) == pytest.approx(v(f"{L}_depth_start"), rel=1e-12)
        assert float(first[f"groundwater_level_rise_{L}"][0]) == pytest.approx(v(f"{L}_level_change_start"))
    # storage above the pump limit: coef x area x (limit - depth); 918 km2 = 9.18e8 m2, /1e8 -> yi_m3
    s0 = v("shallow_specific_yield") * 9.18e8 * (v("shallow_pump_limit_depth") - v("shallow_depth_start")) / 1e8
    assert float(first["aquifer_storage_shallow"][0]) == pytest.approx(s0, rel=1e-12)


def test_pumping_capacity_falls_as_the_level_drops():
    # no lateral help and falling levels: capacity follows the drawdown left above the pump limit
    ds = FINE.run({"deep_level_change_start": -3.0, "surroundings_rise_deep": 0.0, "deep_permit_base": 5.0})
    d = ds["groundwater_depth_deep"][0].values
    cap = ds["groundwater_capacity_deep"][0].values
    limit, d0 = v("deep_pump_limit_depth"), v("deep_depth_start")
    np.testing.assert_allclose(cap, v("deep_well_capacity") * (limit - d) / (limit - d0), rtol=1e-9)
    assert d[-1] > d[0] and cap[-1] < cap[0]


def test_reclaimed_water_reaches_only_its_linked_uses():
    ds = MODEL.run({"reuse_rate_target": 0.45, "reuse_rate_base": 0.25})
    links = link_matrix(ds).sel(water_source="reclaimed")
    linked = {u for u, ls in LINKS.items() if any(k.source == "reclaimed" for k in ls)}
    assert linked == {"industry", "ecology"}
    for u in USES:
        if u not in linked:
            assert (links.sel(water_use=u) == 0).all(), u
    assert (links.sel(water_use="industry") > 0).all()
    # industry, the higher priority, takes reclaimed water first; ecology gets what is left
    ind = ds["water_link_industry__reclaimed"]
    np.testing.assert_allclose(ind, np.minimum(ds["reclaimed_capacity"], ds["water_demand_industry"]), rtol=1e-12)


def test_a_shortage_falls_by_priority():
    # one source left (deep groundwater), shared by five uses; its permit covers the two domestic
    # uses and half of industry's well link: the uses are served strictly in priority order
    only_deep = {
        "transferred_capacity_base": 0.0,
        "transferred_capacity_policy": 0.0,
        "irrigation_transfer_policy": 0.0,
        "surface_water_available": 0.0,
        "replenishment_volume_policy": 0.0,
        "reuse_rate_base": 0.0,
        "reuse_rate_target": 0.0,
        "shallow_permit_base": 0.0,
    }
    d = MODEL.run(only_deep).isel(time=0)
    permit = float(d["water_demand_urban_domestic"][0] + d["water_demand_rural_domestic"][0]) + 0.5 * min(
        v("self_supplied_well_capacity_base"), float(d["water_demand_industry"][0])
    )
    ds = MODEL.run({**only_deep, "deep_permit_base": permit}).isel(time=0)
    ratio = ds["water_supply_ratio"][0].to_series()
    assert ratio["urban_domestic"] == 1.0 and ratio["rural_domestic"] == 1.0
    assert 0 < ratio["industry"] < 1
    for u in ("livestock", "ecology", "irrigation"):
        assert ratio[u] == 0.0, u
    np.testing.assert_allclose(float(ds["water_supply_deep_groundwater"][0]), permit, rtol=1e-12)
    # more water reaches the next use in line first: +0.05 goes to industry (up to its well link)
    more = MODEL.run({**only_deep, "deep_permit_base": permit + 0.05}).isel(time=0)
    got = float(more["water_supplied_industry"][0] - ds["water_supplied_industry"][0])
    assert got == pytest.approx(min(0.05, 0.5 * v("self_supplied_well_capacity_base")), rel=1e-9)


def test_closed_wells_are_replaced_by_transferred_water_when_capacity_allows():
    # plan ch.23 L230: 依法有序关停自备井 with 水源置换
    open_ = MODEL.run({"well_closure_share": 0.0}).sel(time=2025.0)
    closed = MODEL.run({"well_closure_share": 1.0}).sel(time=2025.0)
    wells = "water_link_industry__deep_groundwater"
    trans = "water_link_industry__transferred"
    assert float(closed[wells][0]) == 0.0 and float(open_[wells][0]) > 0
    moved = float(open_[wells][0] - closed[wells][0])
    np.testing.assert_allclose(float(closed[trans][0] - open_[trans][0]), moved, rtol=1e-9)
    assert float(closed["water_shortage_industry"][0]) == pytest.approx(0.0, abs=1e-15)
    # with no transferred water left after domestic use the closed wells become industrial shortage
    tight = {"transferred_capacity_policy": 0.12, "irrigation_transfer_policy": 0.0, "well_closure_share": 1.0}
    t = MODEL.run(tight).sel(time=2025.0)
    assert float(t["water_shortage_industry"][0]) > 0
    assert float(t["water_supply_ratio_industry"][0]) < 1.0
    np.testing.assert_allclose(t["industry_water_supply_factor"], t["water_supply_ratio_industry"])


def test_tariffs_cut_irrigation_and_industrial_demand():
    base = MODEL.run(levers_off(ALL)).sel(time=2025.0)
    priced = MODEL.run({**levers_off(ALL), "irrigation_price_policy": 0.4, "industry_price_policy": 8.0}).sel(
        time=2025.0
    )
    # constant-elasticity demand: (0.4 / 0.2) ** e
    ratio = (0.4 / v("irrigation_price_base")) ** v("irrigation_price_elasticity")
    np.testing.assert_allclose(priced["water_demand_irrigation_priced"], INPUTS["irrigation_in"] * ratio, rtol=1e-12)
    np.testing.assert_allclose(base["water_demand_irrigation_priced"], INPUTS["irrigation_in"], rtol=1e-12)
    assert float(priced["water_demand_industry"][0]) < float(base["water_demand_industry"][0])


def test_irrigation_shortage_moves_land_to_fallow_and_rain_fed():
    ds = MODEL.run({"deep_permit_base": 0.3, "shallow_permit_base": 0.38}).sel(time=2025.0)
    dry = 1 - float(ds["water_supply_ratio_irrigation"][0])
    assert dry > 0.1
    phi = v("shortage_fallow_share")
    assert float(ds["shortage_fallow_area_share"][0]) == pytest.approx(phi * dry)
    assert float(ds["shortage_rainfed_area_share"][0]) == pytest.approx((1 - phi) * dry)


def test_domestic_supply_switched_to_transferred_water_by_2021():
    ds = MODEL.run()
    # plan ch.21 L212: 到2021年...城乡生活实现全域江水置换
    assert (ds["domestic_transferred_share"].sel(time=slice(2021.0, None)) == 1.0).all()
    assert float(ds["domestic_transferred_share"].sel(time=2020.0)[0]) < 1.0


def test_levers_off_sets_each_lever_to_its_start_value():
    off = levers_off(ALL)
    assert set(off) == set(LEVERS)
    assert off["reuse_rate_target"] == v("reuse_rate_base")
    assert off["well_closure_share"] == 0.0
    plan = MODEL.run().sel(time=2025.0)
    none = MODEL.run(off).sel(time=2025.0)
    assert float(none["groundwater_extraction"][0]) > float(plan["groundwater_extraction"][0])


def test_water_per_gdp_from_demand_counts_unmet_demand():
    ds = MODEL.run({"deep_permit_base": 0.3}).sel(time=2025.0)
    assert float(ds["water_shortage_total"][0]) > 0
    per_demand = float(ds["water_demand_total"][0]) * 1e8 / (111.0 * 1e4)  # m3 per wanyuan
    assert float(ds["water_demand_per_wanyuan_gdp"][0]) == pytest.approx(per_demand, rel=1e-12)
    assert float(ds["water_per_wanyuan_gdp"][0]) < float(ds["water_demand_per_wanyuan_gdp"][0])


def test_link_matrix_labels_and_groups():
    ds = MODEL.run()
    mat = link_matrix(ds)
    assert list(mat["water_use"].values) == list(USES)
    assert set(mat["water_source"].values) == set(SOURCES)
    assert list(ds["water_demand"]["water_use"].values) == list(USES)
    assert list(ds["groundwater_depth"]["aquifer_layer"].values) == list(LAYERS)


def test_levers_off_as_fixed_parameters_for_monte_carlo():
    # monte_carlo samples an uncertain lever around a number override; fixed Parameters pin it
    fixed = levers_off(ALL, fixed=True)
    assert set(fixed) == set(LEVERS)
    for name, p in fixed.items():
        assert p.distribution == "fixed" and not p.uncertain, name
        assert p.value == levers_off(ALL)[name] and p.source.startswith("user:")


def test_link_matrix_without_links_is_one_clear_error():
    with pytest.raises(KeyError, match="water_link"):
        link_matrix(MODEL.run()[["water_demand_total"]])


def test_levers_off_without_the_parameters_is_one_clear_error():
    with pytest.raises(KeyError, match="well_closure_share"):
        levers_off({})
