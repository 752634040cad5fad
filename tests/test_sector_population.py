"""Population sector alone: its inputs (log_income_pull, job_gap, incomes) are parameters of a fresh model."""

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
    m.param("income_urban", 37247.0, "yuan/person/year")  # plan ch.1 L9 (2020)
    m.param("income_rural", 17818.0, "yuan/person/year")  # plan ch.1 L9 (2020)
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
    """Euler, one step: the 65-74 grow by the 64-year-olds turning 65 less the 74-year-olds turning
    75 and their deaths; the under-15 by births less those turning 15 and their deaths. Net
    migration: the start-year rate; zero job gap and outside income at its start-year ratio."""
    ds = MODEL.run(save_every=DT).isel(time=[0, 1])
    exit65, exit75 = float(ds["working_age_exit_rate_now"][0, 0]), float(ds["old_ageing_rate_now"][0, 0])
    net = v("net_migration_rate")
    for x in ("urban", "rural"):
        w, o, y = (ds[f"pop_{x}_{k}"].values[0] for k in ("working", "old", "young"))
        step = exit65 * w[0] - (exit75 + v("mortality_old") - net * v("migration_old_intensity")) * o[0]
        assert o[1] - o[0] == pytest.approx(DT * step)
        births = v("fertility_base") * w[0]
        step = DT * (births - y[0] / 15 - (v("mortality_young") - net * v("migration_young_intensity")) * y[0])
        if x == "urban":
            step += DT * float(ds["rural_urban_migration_rate_now"][0, 0]) * float(ds["pop_rural_young"][0, 0])
        else:
            step -= DT * float(ds["rural_urban_migration_rate_now"][0, 0]) * y[0]
        assert y[1] - y[0] == pytest.approx(step, rel=1e-9)


def test_job_gap_moves_people_across_the_border():
    still = {"migration_outside_income_elasticity": 0.0}  # incomes are fixed inputs here
    out = MODEL.run({"job_gap": -0.4, **still}).sel(time=2030.0)
    none = MODEL.run(still).sel(time=2030.0)
    inward = MODEL.run({"job_gap": 0.2, **still}).sel(time=2030.0)
    assert float(out["pop_total"][0]) < float(none["pop_total"][0]) < float(inward["pop_total"][0])
    np.testing.assert_allclose(
        out["net_migration_rate_now"], v("net_migration_rate") - 0.4 * v("migration_job_response")
    )
    # migration is age-selective: out-migration, mostly of working age, raises the 65+ share
    assert float(out["old_age_share"][0]) > float(none["old_age_share"][0])


def test_exit_from_working_age_follows_the_census_cohorts():
    """The share turning 65 is the census's (data/census_age.csv): in 2021-25 the 2020 census's
    60-64 group (21,362) over five years per resident 15-64 (199,812 at the census, growing by the
    10-14 group entering, 16,666 over five years): 4,272 / about 199,000 = 2.1%/yr; in 2031-35
    the 50-54 group (27,924), about 3.0-3.2%/yr. A uniform age spread would give 1/50 = 2%."""
    from jzsim.sectors.census import working_age_exit_table

    years, rates = working_age_exit_table()
    at = dict(zip(np.floor(years).astype(int), rates))  # the year that starts at each census date + j
    assert at[2021] == pytest.approx(21362 / 5 / (199812 + 0.5 * (16666 - 21362) / 5), rel=1e-12)
    assert 0.030 < at[2033] < 0.032
    ds = MODEL.run()
    np.testing.assert_allclose(ds["working_age_exit_rate_now"].sel(time=2023.0)[0], 0.0216, atol=5e-4)


def test_income_growth_elsewhere_moves_migration():
    """Incomes held at their start-year level while the outside reference grows: the gap widens
    (less the rise of the local average as people move to town), and more people leave than
    without the outside-income response."""
    grow = MODEL.run().sel(time=2030.0)
    deaf = MODEL.run({"migration_outside_income_elasticity": 0.0}).sel(time=2030.0)
    u = float(grow["urbanisation"][0])
    local = u * 37247.0 + (1 - u) * 17818.0
    local0 = v("urbanisation_base") * 37247.0 + (1 - v("urbanisation_base")) * 17818.0
    gap = np.log(local / local0) - v("outside_income_growth") * 10
    assert float(grow["log_outside_gap"][0]) == pytest.approx(gap, rel=1e-9)
    assert float(grow["net_migration_rate_now"][0]) == pytest.approx(
        v("net_migration_rate") + v("migration_outside_income_elasticity") * gap, rel=1e-9
    )
    assert float(grow["pop_total"][0]) < float(deaf["pop_total"][0])


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
    for name in (
        "pop_urban",
        "pop_rural",
        "fertility",
        "working_age_share",
        "pop_rural_old",
        "pop_urban_oldest",
        "pop_urban_young",
    ):
        assert (ds[name] >= 0).all(), name
    assert ((ds["urbanisation"] > 0) & (ds["urbanisation"] < 1)).all()
    np.testing.assert_allclose(ds["pop_urban"] + ds["pop_rural"], ds["pop_total"], rtol=1e-12)


def test_census_table_reads_the_packaged_census_and_rejects_bad_counts():
    from jzsim.sectors.census import load_census_age

    ages = load_census_age()
    assert ages.loc[2010].sum() == 362013 and ages.loc[2020].sum() == 304854  # 6th and 7th census
    bad = "year,age,persons,source\n2010,0-4,-5,public: test\n"
    with pytest.raises(ValueError, match=r"persons=.*-5.*age '0-4'.*whole number >= 0"):
        load_census_age(bad)
    with pytest.raises(ValueError, match="source"):
        load_census_age("year,age,persons,source\n2010,0-4,5,somewhere\n")
