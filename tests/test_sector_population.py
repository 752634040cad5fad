"""Population sector alone: its inputs (log_income_pull, job_gap) are parameters of a fresh model."""

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
    m.param("job_gap", 0.0, "1")  # non-farm jobs match the labour farms do not need
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
    old = 1 - v("young_share_base") - v("working_age_share_base")
    assert float(first["old_age_share"][0]) == pytest.approx(old, rel=1e-12)  # 19.04% (7th census)


def test_urban_plus_rural_is_total_and_only_natural_change_and_migration_move_it():
    ds = MODEL.run(save_every=DT)
    np.testing.assert_allclose(ds["pop_urban"] + ds["pop_rural"], ds["pop_total"], rtol=1e-12)
    # Euler: total(k+1) - total(k) = dt * (births - deaths + net migration)(k); rural-to-urban cancels
    step = ds["pop_total"].diff("time").values
    rate = (ds["births"] - ds["deaths"] + ds["net_migration"]).values[:, :-1]
    np.testing.assert_allclose(step, DT * rate, rtol=1e-9, atol=1e-12)
    assert (ds["rural_to_urban"] > 0).all()


def test_cohorts_age_and_die_at_their_rates():
    """Euler, one step: the 65+ grow by the 64-year-olds turning 65 less their deaths; the under-15
    by births less those turning 15 and their deaths (no migration at a zero job gap)."""
    ds = MODEL.run(save_every=DT).isel(time=[0, 1])
    for x in ("urban", "rural"):
        w, o, y = (ds[f"pop_{x}_{k}"].values[0] for k in ("working", "old", "young"))
        assert o[1] - o[0] == pytest.approx(DT * (v("working_age_exit_rate") * w[0] - v("mortality_old") * o[0]))
        births = v("fertility_base") * w[0]
        step = DT * (births - y[0] / 15 - v("mortality_young") * y[0])
        if x == "urban":
            step += DT * float(ds["rural_urban_migration_rate_now"][0, 0]) * float(ds["pop_rural_young"][0, 0])
        else:
            step -= DT * float(ds["rural_urban_migration_rate_now"][0, 0]) * y[0]
        assert y[1] - y[0] == pytest.approx(step, rel=1e-9)


def test_job_gap_moves_people_across_the_border():
    out = MODEL.run({"job_gap": -0.4}).sel(time=2030.0)
    none = MODEL.run().sel(time=2030.0)
    inward = MODEL.run({"job_gap": 0.2}).sel(time=2030.0)
    assert float(out["pop_total"][0]) < float(none["pop_total"][0]) < float(inward["pop_total"][0])
    np.testing.assert_allclose(
        out["net_migration_rate_now"], v("net_migration_rate") - 0.4 * v("migration_job_response")
    )
    # the old do not migrate: out-migration of the young and working-age raises the 65+ share
    assert float(out["old_age_share"][0]) > float(none["old_age_share"][0])


def test_ageing_raises_the_old_age_share_at_the_census_structure():
    ds = MODEL.run()
    assert float(ds["old_age_share"].sel(time=2035.0)[0]) > float(ds["old_age_share"].sel(time=2020.0)[0])


def test_urbanisation_moves_only_through_rural_to_urban_migration():
    still = MODEL.run({"rural_urban_migration_rate": 0.0})["urbanisation"][0].values
    np.testing.assert_allclose(still, v("urbanisation_base"), rtol=1e-12)
    moving = MODEL.run()["urbanisation"][0].values
    assert np.all(np.diff(moving) > 0) and moving[-1] < 1


def test_wider_income_gap_pulls_more_people_to_town():
    base = MODEL.run()["urbanisation"].sel(time=2025.0)
    gap = MODEL.run({"log_income_pull": np.log(2.0)})["urbanisation"].sel(time=2025.0)
    assert float(gap[0]) > float(base[0])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), gap=st.floats(0.5, 4.0))
def test_no_stock_negative_for_random_valid_parameters(seed, gap):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(p.low, p.high, 64) for k, p in PARAMS.items() if p.distribution != "fixed"}
    ds = MODEL.run({**draws, "log_income_pull": np.log(gap), "job_gap": gap - 2.0})
    for name in ("pop_urban", "pop_rural", "fertility", "working_age_share", "pop_rural_old", "pop_urban_young"):
        assert (ds[name] >= 0).all(), name
    assert ((ds["urbanisation"] > 0) & (ds["urbanisation"] < 1)).all()
    np.testing.assert_allclose(ds["pop_urban"] + ds["pop_rural"], ds["pop_total"], rtol=1e-12)
