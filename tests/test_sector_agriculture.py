"""Agriculture sector alone: its inputs, shortage_fallow_area_share and shortage_rainfed_area_share
(declared by water), are
parameters of a fresh model. Expected values are derived from the parameters by the equations in
the module docstring, or are plan figures (ch.13 L124, L127)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.params import load_parameters
from jzsim.sectors.agriculture import Agriculture

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "agriculture"}
DT = 0.25
PIGS_2025 = 1_000_000.0  # plan ch.13 L127: 年生猪出栏100万头
AREA_2025 = 1_000_000.0  # plan ch.13 L124: 粮食播种面积稳定在100万亩左右


def agriculture_model(save_every=1.0):
    m = Model("agriculture_alone", start=2020.0, stop=2035.0, dt=DT, save_every=save_every)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("shortage_fallow_area_share", 0.0, "1")
    m.param("shortage_rainfed_area_share", 0.0, "1")
    m.add_sector(Agriculture())
    return m


MODEL = agriculture_model()


def v(name):
    return PARAMS[name].value


def at(ds, name, year):
    return float(ds[name].sel(time=year)[0])


def _draws(seed, n=32):
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(p.low, p.high, n) for k, p in PARAMS.items() if p.distribution != "fixed"}


def test_plan_figures_are_the_targets_in_the_data():
    assert v("grain_area_target") == AREA_2025
    assert v("pigs_target") == PIGS_2025


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_base_year_reproduces_base_values_for_random_valid_parameters(seed):
    draws = _draws(seed)
    ds = MODEL.run(draws).isel(time=0)
    np.testing.assert_allclose(ds["va_primary"], draws["va_primary_base"], rtol=1e-12)
    np.testing.assert_allclose(ds["grain_area"], draws["grain_area_base"], rtol=1e-12)
    np.testing.assert_allclose(ds["pigs_slaughtered"], draws["pigs_base"], rtol=1e-12)
    # kg/mu/year x mu -> t/year
    np.testing.assert_allclose(
        ds["grain_output"], draws["grain_area_base"] * draws["grain_yield_base"] / 1000, rtol=1e-12
    )
    np.testing.assert_allclose(ds["irrigation_quota_factor"], 1.0, rtol=1e-12)


def test_base_year_water_demand_from_areas_quotas_and_pigs():
    first = MODEL.run().isel(time=0)
    irrigated = v("grain_area_base") * (1 - v("rainfed_share_base"))
    m3 = (
        irrigated * v("irrigation_quota_grain")
        + v("other_crop_area") * v("irrigation_quota_other")
        + v("pigs_base") * v("water_per_pig")
    )
    expected = m3 / 1e8 + v("other_livestock_water")  # yi_m3 = 1e8 m3
    assert float(first["water_demand_agriculture"][0]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("lever", ["fallow_share_policy", "rainfed_share_policy", "water_saving_adoption_target"])
def test_water_saving_levers_lower_agricultural_water_demand(lever):
    lo, hi = PARAMS[lever].low, PARAMS[lever].high
    low = MODEL.run({lever: lo}).sel(time=slice(2021.0, None))
    high = MODEL.run({lever: hi}).sel(time=slice(2021.0, None))
    assert (high["water_demand_agriculture"] < low["water_demand_agriculture"]).all()
    if lever != "water_saving_adoption_target":  # fallow and dry farming cost grain; efficient irrigation does not
        assert (high["grain_output"] < low["grain_output"]).all()


def test_fallow_takes_area_out_of_grain_and_the_2025_area_follows_the_plan_path():
    ds = MODEL.run()
    f0, f1 = v("fallow_share_base"), v("fallow_share_policy")
    assert at(ds, "grain_area", 2025.0) == pytest.approx(AREA_2025 * (1 - f1) / (1 - f0), rel=1e-12)
    assert at(ds, "grain_area", 2025.0) + at(ds, "fallow_area", 2025.0) == pytest.approx(AREA_2025 / (1 - f0))
    same = MODEL.run({"fallow_share_policy": f0})
    assert at(same, "grain_area", 2025.0) == pytest.approx(AREA_2025, rel=1e-12)


def test_pigs_reach_the_plan_figure_with_full_adherence():
    ds = MODEL.run({"pig_target_adherence": 1.0})
    assert at(ds, "pigs_slaughtered", 2025.0) == pytest.approx(PIGS_2025, rel=1e-12)
    assert at(ds, "pigs_slaughtered", 2030.0) == pytest.approx(PIGS_2025, rel=1e-12)
    part = MODEL.run()
    a = v("pig_target_adherence")
    assert at(part, "pigs_slaughtered", 2025.0) == pytest.approx(v("pigs_base") + a * (PIGS_2025 - v("pigs_base")))


@pytest.mark.parametrize(("fallow", "rainfed"), [(0.0, 1.0), (0.15, 0.35), (0.03, 0.07)])
def test_shortage_moves_irrigated_land_to_fallow_or_rain_fed(fallow, rainfed):
    full = MODEL.run().isel(time=0)
    short = MODEL.run({"shortage_fallow_area_share": fallow, "shortage_rainfed_area_share": rainfed}).isel(time=0)
    r0, ratio = v("rainfed_share_base"), v("rainfed_yield_ratio")
    y_irr = v("grain_yield_base") / (1 - r0 * (1 - ratio))  # kg/mu/year, start year
    # fallowed land yields nothing, rain-fed land (1 - rainfed_yield_ratio) less than irrigated
    loss_t = v("grain_area_base") * (1 - r0) * y_irr * (fallow + rainfed * (1 - ratio)) / 1000
    assert float(full["grain_output"][0] - short["grain_output"][0]) == pytest.approx(loss_t, rel=1e-9)
    assert float(short["va_primary"][0]) < v("va_primary_base")
    # water demand does not depend on how much of it is met
    assert float(short["water_demand_agriculture"][0]) == float(full["water_demand_agriculture"][0])


def test_water_saving_adoption_is_euler_integral_of_its_adjustment():
    ds = agriculture_model(save_every=DT).run()
    a = ds["water_saving_adoption"][0].values
    n = np.arange(a.size)
    target, base, tau = (
        v("water_saving_adoption_target"),
        v("water_saving_adoption_base"),
        v("water_saving_adoption_time"),
    )
    np.testing.assert_allclose(a, target - (target - base) * (1 - DT / tau) ** n, rtol=1e-12)
    assert np.all(np.diff(ds["irrigation_quota_factor"][0].values) < 0)
