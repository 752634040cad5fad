"""Population sector alone: its input (log_income_pull) is a parameter of a fresh model."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.params import load_parameters
from jzsim.sectors.population import Population

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "population"}
DT = 0.25


def population_model():
    m = Model("population_alone", start=2020.0, stop=2035.0, dt=DT)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("log_income_pull", 0.0, "1")  # the start year's urban/rural income gap
    m.add_sector(Population())
    return m


MODEL = population_model()


def v(name):
    return PARAMS[name].value


def test_start_year_from_parameters():
    first = MODEL.run().isel(time=0)
    assert float(first["pop_total"][0]) == pytest.approx(v("pop_base"))
    assert float(first["urbanisation"][0]) == pytest.approx(v("urbanisation_base"))
    assert float(first["working_age_pop"][0]) == pytest.approx(v("pop_base") * v("working_age_share_base"))


def test_urban_plus_rural_is_total_and_only_natural_change_and_migration_move_it():
    ds = MODEL.run(save_every=DT)
    np.testing.assert_allclose(ds["pop_urban"] + ds["pop_rural"], ds["pop_total"], rtol=1e-12)
    # Euler: total(k+1) - total(k) = dt * (births - deaths + net migration)(k); rural-to-urban cancels
    step = ds["pop_total"].diff("time").values
    rate = (ds["births"] - ds["deaths"] + ds["net_migration"]).values[:, :-1]
    np.testing.assert_allclose(step, DT * rate, rtol=1e-9, atol=1e-12)
    assert (ds["rural_to_urban"] > 0).all()


def test_constant_rates_give_the_compound_growth_path():
    ds = MODEL.run({"birth_rate_decline": 0.0})
    r = v("birth_rate_base") - v("death_rate") + v("net_migration_rate")
    assert float(ds["pop_total"].sel(time=2030.0)[0]) == pytest.approx(v("pop_base") * (1 + r * DT) ** 40, rel=1e-12)


def test_urbanisation_moves_only_through_rural_to_urban_migration():
    still = MODEL.run({"rural_urban_migration_rate": 0.0})["urbanisation"][0].values
    np.testing.assert_allclose(still, v("urbanisation_base"), rtol=1e-12)
    moving = MODEL.run()["urbanisation"][0].values
    assert np.all(np.diff(moving) > 0) and moving[-1] < 1


def test_wider_income_gap_pulls_more_people_to_town():
    base = MODEL.run()["urbanisation"].sel(time=2025.0)
    gap = MODEL.run({"log_income_pull": np.log(2.0)})["urbanisation"].sel(time=2025.0)
    assert float(gap[0]) > float(base[0])


def test_working_age_share_falls_linearly():
    ds = MODEL.run().sel(time=2035.0)
    share = float(ds["working_age_pop"][0] / ds["pop_total"][0])
    assert share == pytest.approx(v("working_age_share_base") - 15 * v("working_age_share_decline"), rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), gap=st.floats(0.5, 4.0))
def test_no_stock_negative_for_random_valid_parameters(seed, gap):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(p.low, p.high, 64) for k, p in PARAMS.items() if p.distribution != "fixed"}
    ds = MODEL.run({**draws, "log_income_pull": np.log(gap)})
    for name in ("pop_urban", "pop_rural", "birth_rate", "working_age_share"):
        assert (ds[name] >= 0).all(), name
    assert ((ds["urbanisation"] > 0) & (ds["urbanisation"] < 1)).all()
    np.testing.assert_allclose(ds["pop_urban"] + ds["pop_rural"], ds["pop_total"], rtol=1e-12)
