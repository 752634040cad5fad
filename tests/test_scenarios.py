"""Scenario files, schedules and the built-in scenarios (issue #20 items 4 and 5)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import jzsim
from jzsim.engine import Model
from jzsim.params import SOURCE_PREFIXES, load_parameters
from jzsim.scenarios import (
    Scenario,
    ScenarioError,
    Schedule,
    Uncertainty,
    apply_scenario,
    builtin_names,
    load_scenario,
    resolve,
)

SCHEDULES = {
    "constant": Schedule.constant(0.25),
    "step": Schedule.step(2023.0, 0.1, 0.4),
    "ramp": Schedule.ramp(2021.5, 2026.0, 0.1, 0.4),
    "table": Schedule.table([2020.0, 2024.0, 2030.0], [0.1, 0.5, 0.2]),
}


# --------------------------------------------------------------------------- schedules
def test_schedule_values_by_kind():
    t = np.array([2020.0, 2023.0, 2024.0, 2026.0, 2030.0])
    np.testing.assert_array_equal(SCHEDULES["constant"].at(t), 0.25)
    np.testing.assert_array_equal(SCHEDULES["step"].at(t), [0.1, 0.4, 0.4, 0.4, 0.4])
    np.testing.assert_allclose(SCHEDULES["ramp"].at(t), [0.1, 0.1 + 0.3 * 1.5 / 4.5, 0.1 + 0.3 * 2.5 / 4.5, 0.4, 0.4])
    np.testing.assert_allclose(SCHEDULES["table"].at(t), [0.1, 0.4, 0.5, 0.4, 0.2])


def toy(kind: str) -> Model:
    """A stock filled by a scheduled inflow: the schedule and its integral are both observable."""
    m = Model("toy", start=2020.0, stop=2030.0, dt=0.25)
    s = SCHEDULES[kind]
    lever = m.scheduled("lever", s.expr("1/year"), "1/year", schedule=s)
    x = m.stock("x", initial=1.0, units="t")
    m.flow("inflow", m.params.lever * x, "t/year", into="x")
    assert m.params.lever.name == lever.name == "lever"
    return m


@pytest.mark.parametrize("kind", list(SCHEDULES))
def test_schedule_enters_the_numpy_kernel_as_a_function_of_time(kind):
    ds = toy(kind).run(backend="numpy", save_every=0.25)
    t = ds["time"].values
    np.testing.assert_allclose(ds["lever"].values[0], SCHEDULES[kind].at(t), rtol=0, atol=1e-14)


@pytest.mark.slow  # compiles one numba kernel per kind of schedule
@pytest.mark.parametrize("kind", list(SCHEDULES))
def test_schedule_numba_equals_numpy(kind):
    pytest.importorskip("numba")
    a = toy(kind).run(backend="numpy")
    b = toy(kind).run(backend="numba")
    for v in ("lever", "x"):
        np.testing.assert_allclose(b[v].values, a[v].values, rtol=1e-13)


@pytest.mark.parametrize("kind", list(SCHEDULES))
def test_schedule_xmile_export_runs_in_pysd(kind, tmp_path):
    pytest.importorskip("pysd")
    from jzsim.io.xmile import pysd_runner

    m = toy(kind)
    run = pysd_runner(m, tmp_path / f"toy_{kind}.xmile", return_columns=["lever", "x"])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"pysd\.")
        df = run({})
    ds = m.run(method="euler")
    np.testing.assert_allclose(df["lever"].to_numpy(float), ds["lever"].values[0], rtol=1e-9)
    np.testing.assert_allclose(df["x"].to_numpy(float), ds["x"].values[0], rtol=1e-9)


# --------------------------------------------------------------------------- the Scenario object
def full_scenario() -> Scenario:
    return Scenario(
        "my-case",
        description='quotes " and \\ and 中文',
        base="plan",
        params={"tfp_growth": 0.0, "attracted_investment": 0, "investment_rate": "40 percent"},
        schedules=dict(SCHEDULES, table=SCHEDULES["table"]) and {"reuse_rate_target": SCHEDULES["ramp"]},
        uncertainty={"cluster_market_growth": Uncertainty("uniform", 0.01, 0.05)},
        notes={"tfp_growth": "assumption: stagnation"},
        plan_lines=["ch.23 L230"],
        reasoning="line one\nline two",
    )


def test_scenario_round_trips_through_toml_without_loss(tmp_path):
    s = full_scenario()
    assert Scenario.from_toml(s.to_toml()) == s
    path = s.save(tmp_path / "my.toml")
    assert load_scenario(str(path)) == s
    assert load_scenario(path).params["investment_rate"] == "40 percent"


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenario_round_trips_and_sources_every_number(name):
    s = load_scenario(name)
    assert s.name == name and s.description and s.reasoning and s.plan_lines
    assert Scenario.from_toml(s.to_toml()) == s
    keys = [*s.params, *s.schedules, *s.uncertainty]
    for k in keys:
        assert k in s.notes, f"{name}: {k} has no note"
        note = s.notes[k]
        assert note.startswith(SOURCE_PREFIXES), f"{name}: note for {k} cites no source: {note!r}"
    apply_scenario(s)  # every value valid


def test_builtins_include_the_issue_list():
    assert {"plan", "trend", "water-squeeze", "cluster-push", "shock"} <= set(builtin_names())


def test_plan_scenario_is_the_packaged_data():
    a, b = jzsim.simulate(), jzsim.simulate(scenario="plan")
    for v in ("gdp_real", "groundwater_extraction", "urbanisation"):
        np.testing.assert_array_equal(a[v].values, b[v].values)
    assert b.attrs["scenario"] == "plan"


@pytest.fixture(scope="module")
def runs():
    return {n: jzsim.simulate(scenario=n) for n in ("plan", "trend", "water-squeeze", "cluster-push", "shock")}


def test_scenarios_move_what_they_say(runs):
    def at(n, v, y=2025):
        return float(runs[n][v].sel(year=y)[0])

    # a squeeze extracts less groundwater than the plan, and costs output
    assert at("water-squeeze", "groundwater_extraction") < at("plan", "groundwater_extraction")
    assert at("water-squeeze", "gdp_real") < at("plan", "gdp_real")
    # trend: no well closures, so more groundwater than the plan
    assert at("trend", "groundwater_extraction") > at("plan", "groundwater_extraction")
    # cluster-push: more investment, bigger clusters
    for c in ("health", "materials", "equipment"):
        assert at("cluster-push", f"cluster_output_{c}") > at("plan", f"cluster_output_{c}")
    # shock: lower GDP growth in 2022 than the plan, GDP below the plan afterwards
    assert at("shock", "gdp_growth", 2022) < at("plan", "gdp_growth", 2022) - 0.01
    assert at("shock", "gdp_real", 2030) < at("plan", "gdp_real", 2030)


def test_scheduled_lever_is_reported_over_time(runs):
    ai = runs["cluster-push"]["attracted_investment"].sel(year=[2020, 2023, 2025, 2030]).values[0]
    np.testing.assert_allclose(ai, [10.0, 15.0, 20.0, 20.0])


def test_inheritance_later_keys_win_and_tables_exclude_each_other(tmp_path):
    (tmp_path / "a.toml").write_text(
        'name = "a"\nbase = "cluster-push"\n[params]\nattracted_investment = 5.0\ntfp_growth = 0.01\n', encoding="utf-8"
    )
    (tmp_path / "b.toml").write_text(
        'name = "b"\nbase = "a.toml"\n[schedules.tfp_growth]\nkind = "constant"\nvalue = 0.02\n', encoding="utf-8"
    )
    r = resolve(str(tmp_path / "b.toml"))
    assert r.base is None and r.name == "b"
    assert r.params["attracted_investment"] == 5.0 and "attracted_investment" not in r.schedules
    assert "tfp_growth" not in r.params and r.schedules["tfp_growth"] == Schedule.constant(0.02)
    assert r.params["cluster_investment_share_health"] == 0.3  # from cluster-push, two levels up
    assert "ch.9 L86-90" in r.plan_lines


def test_uncertainty_override_redraws_the_parameter():
    p, _ = apply_scenario(
        Scenario("u", uncertainty={"tfp_growth": {"distribution": "uniform", "low": 0.01, "high": 0.02}})
    )
    t = p["tfp_growth"]
    assert (t.distribution, t.low, t.high, t.value) == ("uniform", 0.01, 0.02, 0.015)

    class Triangular:  # the adapter reads distribution objects by class name and attributes
        low, mode, high = 0.0, 0.01, 0.03

    u = Uncertainty.from_object(Triangular())
    assert u == Uncertainty("triangular", 0.0, 0.03, 0.01)


def test_fixing_a_parameter_in_a_scenario_goes_beyond_the_belief_range():
    p, _ = apply_scenario(Scenario("x", params={"attracted_investment": 30.0}))
    assert p["attracted_investment"].value == 30.0 and p["attracted_investment"].distribution == "fixed"


def test_simulate_refuses_both_model_and_scenario():
    with pytest.raises(ValueError, match="not both"):
        jzsim.simulate(model=jzsim.plan_model(), scenario="plan")


def test_a_year_parameter_cannot_be_scheduled():
    with pytest.raises(ScenarioError, match="calendar year"):
        apply_scenario(Scenario("y", schedules={"well_closure_year": Schedule.constant(2024)}))


def test_schedules_count_in_the_joint_checks():
    s = Scenario("w", schedules={"cluster_investment_share_health": Schedule.ramp(2021, 2025, 0.2, 0.6)})
    with pytest.raises(ScenarioError, match="cluster_investment.*can sum to 1.2"):
        apply_scenario(s)


def test_params_of_a_scenario_load_once():
    assert set(load_parameters()) >= set(load_scenario("trend").params)


def test_with_params_fixes_numbers_on_top_of_a_scenario():
    s = load_scenario("cluster-push").with_params({"attracted_investment": 12.0, "tfp_growth": 0.0})
    assert s.base is None and "attracted_investment" not in s.schedules
    assert s.params["attracted_investment"] == 12.0 and s.params["cluster_investment_share_health"] == 0.3
    assert s.notes["tfp_growth"].startswith("user:")
    p, sched = apply_scenario(s)
    assert p["attracted_investment"].value == 12.0 and "attracted_investment" not in sched


@pytest.mark.slow
def test_plan_under_a_scheduled_scenario_exports_to_xmile_and_pysd_agrees(tmp_path):
    pytest.importorskip("pysd")
    from jzsim.io.xmile import pysd_runner

    m = jzsim.plan_model(scenario="shock")  # three table schedules
    names = ["gdp_real", "tfp_growth", "attracted_investment", "cluster_market_growth"]
    run = pysd_runner(m, tmp_path / "shock.xmile", return_columns=names)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"pysd\.")
        df = run({})
    ds = m.run(method="euler")
    for v in names:
        np.testing.assert_allclose(df[v].to_numpy(float), ds[v].values[0], rtol=1e-9)


@pytest.mark.parametrize("name", ["grain_yield_growth", "industry_quota_decline", "reuse_adjust_time"])
def test_a_parameter_in_a_closed_form_path_of_time_cannot_be_scheduled(name):
    s = Scenario("x", schedules={name: Schedule.step(2023, 0.03, 0.04)})
    with pytest.raises(ScenarioError, match=f"\\[schedules.{name}\\] {name} enters .* closed-form path"):
        jzsim.plan_model(scenario=s)


def test_uncertainty_override_reaches_monte_carlo():
    s = Scenario(
        "u", uncertainty={"tfp_growth": Uncertainty("uniform", 0.02, 0.03)}, params={"attracted_investment": 25.0}
    )
    for kw in (dict(model=jzsim.plan_model(scenario=s)), dict(scenario=s)):
        ds = jzsim.monte_carlo(draws=300, seed=2, outputs=["gdp_real"], outcomes=True, progress=False, **kw)
        tfp = ds["parameters"].sel(parameter="tfp_growth").values
        assert tfp.min() >= 0.02 and tfp.max() <= 0.03 and tfp.std() > 0.002  # redrawn on [0.02, 0.03]
        assert "attracted_investment" not in ds["parameter"].values  # fixed: not drawn
