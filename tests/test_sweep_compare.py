"""Lever sweeps and scenario comparison (#20 items 6 and 7): settings are more columns of one kernel
call over the same draws; the results equal separate Monte Carlo runs draw for draw, and
differences are paired."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jzsim
from jzsim.analysis.targets import validate_targets
from jzsim.engine import Model
from jzsim.experiments import comparison_table
from jzsim.params import Parameter


def growth_model() -> Model:
    """dy/dt = (g + lever) y, y(0) = 1, with g uncertain (see the analytic check below)."""
    m = Model("growth", start=0.0, stop=10.0, dt=0.5, save_every=1.0)
    m.add_parameter(Parameter("g", "1/year", 0.05, 0.0, 0.1, "uniform", "assumption: test"))
    m.add_parameter(Parameter("lever", "1/year", 0.0, -0.05, 0.05, "uniform", "assumption: test"))
    m.add_parameter(Parameter("noise", "1", 1.0, 0.5, 1.5, "triangular", "assumption: test"))
    y = m.stock("y", initial=1.0, units="t")
    m.flow("dy", (m.params.g + m.params.lever) * y, units="t/year", into="y")
    m.aux("y_noisy", y * m.params.noise, units="t")
    return m


def targets() -> pd.DataFrame:
    row = dict(
        area="test",
        description="y doubles",
        selector="",
        kind="level",
        comparison=">=",
        units="t",
        year="10",
        base_year="",
        reference="",
        tolerance="",
        source="plan ch.0 L0",
        note="synthetic",
    )
    return validate_targets(
        pd.DataFrame(
            [
                {**row, "id": "doubles", "indicator": "y", "threshold": "2"},
                {**row, "id": "noisy", "indicator": "y_noisy", "threshold": "2"},
            ]
        )
    )


KW = dict(model=growth_model(), targets=targets(), progress=False)


def test_a_sweep_equals_separate_runs_draw_for_draw(monkeypatch):
    from jzsim.engine.compiled import CompiledModel

    calls = []
    real = CompiledModel.integrate

    def counted(self, P, *a, **k):
        calls.append(len(P[0]))
        return real(self, P, *a, **k)

    monkeypatch.setattr(CompiledModel, "integrate", counted)
    values = [-0.03, 0.0, 0.02, 0.04]
    sw = jzsim.sweep("lever", values, draws=3000, seed=4, **KW)
    assert calls == [4 * 3000] and sw.attrs["kernel_calls"] == 1  # one call for every setting
    np.testing.assert_array_equal(sw["lever"].values, values)
    monkeypatch.setattr(CompiledModel, "integrate", real)
    runs = [jzsim.monte_carlo(draws=3000, seed=4, params={"lever": v}, outcomes=True, **KW) for v in values]
    for s, ds in enumerate(runs):
        np.testing.assert_array_equal(sw["n_met"].isel(setting=s).values, ds["n_met"].values)
        np.testing.assert_array_equal(sw["p_met_se"].isel(setting=s).values, ds["p_met_se"].values)
        diff = ds["target_met"].values.astype(int) - runs[0]["target_met"].values.astype(int)
        np.testing.assert_allclose(sw["p_met_diff"].isel(setting=s).values, diff.mean(axis=0), rtol=0, atol=1e-15)
        np.testing.assert_allclose(
            sw["p_met_diff_se"].isel(setting=s).values, diff.std(axis=0, ddof=1) / np.sqrt(3000), rtol=1e-12
        )
    # analytic: Euler with dt 0.5 gives y(10) = (1 + 0.5 r)^20, r = g + lever, g ~ U(0, 0.1):
    # y(10) >= 2 iff r >= r* = 2 (2^(1/20) - 1), so P = (0.1 - r* + lever) / 0.1
    r_star = 2 * (2 ** (1 / 20) - 1)
    exact = np.clip((0.1 - r_star + np.array(values)) / 0.1, 0, 1)
    p = sw["p_met"].sel(target="doubles").values
    assert np.all(np.abs(p - exact) <= 4 * np.maximum(sw["p_met_se"].sel(target="doubles").values, 1e-3))


def test_sweep_grids_tables_and_chunking():
    grid = jzsim.sweep({"lever": [0.0, 0.02], "noise": [0.8, 1.2]}, draws=2500, seed=1, **KW)
    assert grid.sizes["setting"] == 4
    assert list(zip(grid["lever"].values, grid["noise"].values)) == [(0.0, 0.8), (0.0, 1.2), (0.02, 0.8), (0.02, 1.2)]
    table = pd.DataFrame({"lever": [0.0, 0.0, 0.02, 0.02], "noise": [0.8, 1.2, 0.8, 1.2]})
    small = jzsim.sweep(table, draws=2500, seed=1, execution=jzsim.Execution(chunk_size=1), **KW)
    assert small.attrs["kernel_calls"] == 3  # 4096 columns per call: 1024 draws x 4 settings
    for name in ("n_met", "p_met_diff", "p_met_diff_se", "target_value_mean"):
        np.testing.assert_allclose(small[name].values, grid[name].values, rtol=1e-12, atol=0, err_msg=name)


def test_sweep_bad_input_is_one_clear_error():
    with pytest.raises(KeyError, match="did you mean lever"):
        jzsim.sweep("levr", [0.1], draws=10, **KW)
    with pytest.raises(ValueError, match="lever 'lever': setting 1 is nan"):
        jzsim.sweep("lever", [0.1, float("nan")], draws=10, **KW)
    with pytest.raises(ValueError, match="lever 'lever' is also fixed in params"):
        jzsim.sweep("lever", [0.1], draws=10, params={"lever": 0.0, "g": 0.05}, **KW)
    with pytest.raises(ValueError, match="needs values"):
        jzsim.sweep("lever", draws=10, **KW)
    with pytest.raises(ValueError, match="sweep needs targets"):
        jzsim.sweep("lever", [0.1], draws=10, model=growth_model(), progress=False)


def test_compare_pairs_the_draws_of_every_scenario():
    scen = {"base": {"lever": 0.0}, "boost": {"lever": 0.03}, "fixed_g": {"g": 0.08}}
    c = jzsim.compare(scen, draws=2000, seed=5, outcomes=True, **KW)
    assert list(c["scenario"].values) == ["base", "boost", "fixed_g"]
    met = c["target_met"].values.astype(int)
    for s in range(3):
        solo = jzsim.monte_carlo(draws=2000, seed=5, params=list(scen.values())[s], outcomes=True, **KW)
        np.testing.assert_array_equal(c["n_met"].isel(scenario=s).values, solo["n_met"].values)
        np.testing.assert_array_equal(met[s], solo["target_met"].values)
    d = met[1] - met[0]
    np.testing.assert_allclose(c["p_met_diff"].sel(scenario="boost").values, d.mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(c["p_met_diff_se"].sel(scenario="boost").values, d.std(axis=0, ddof=1) / np.sqrt(2000))
    assert np.all(c["p_met_diff"].sel(scenario="base").values == 0)
    # paired: the lever only helps, so no draw that met the target under base misses it under boost
    assert d.min() >= 0
    unpaired = np.sqrt(2 * c["p_met_se"].sel(scenario="boost").values ** 2)
    assert np.all(c["p_met_diff_se"].sel(scenario="boost").values < unpaired)
    table = comparison_table(c)
    assert list(table.columns[:3]) == ["base", "boost", "fixed_g"] and "boost - base se" in table.columns


def test_compare_bad_input():
    with pytest.raises(ValueError, match="scenarios is empty"):
        jzsim.compare({}, draws=10)
    with pytest.raises(TypeError, match="scenario 'x' is 3"):
        jzsim.compare({"x": 3}, draws=10)


def test_scenario_like_objects_build_their_model_and_overrides():
    """compare and monte_carlo take any object with .name, .params, .uncertainty and optionally
    .model() (the interface jzsim.scenarios' Scenario offers)."""
    from types import SimpleNamespace

    from jzsim.uncertainty.distributions import Uniform

    own = SimpleNamespace(name="own", params={"lever": 0.01}, uncertainty={"g": Uniform(0.05, 0.1)}, model=growth_model)
    ds = jzsim.monte_carlo(300, scenario=own, targets=targets(), outcomes=True, progress=False)
    assert ds.attrs["scenario"] == "own" and "lever" not in ds["parameter"].values
    g = ds["parameters"].sel(parameter="g").values
    assert g.min() >= 0.05 and g.max() <= 0.1
    c = jzsim.compare(
        [SimpleNamespace(name="base", params={}, uncertainty={}, model=growth_model), own], draws=300, **KW
    )
    np.testing.assert_array_equal(c["n_met"].sel(scenario="own").values, ds["n_met"].values)


def test_a_sweep_runs_on_top_of_a_scenario():
    """sweep(..., scenario=) uses the scenario's model and overrides: each setting equals
    monte_carlo(scenario=..., params={lever: v}) over the same draws."""
    values = [0.3, 0.4]
    sw = jzsim.sweep("investment_rate", values, draws=300, seed=2, scenario="water-squeeze", progress=False)
    assert sw.attrs["scenario"] == "water-squeeze"
    for s, v in enumerate(values):
        ds = jzsim.monte_carlo(300, seed=2, scenario="water-squeeze", params={"investment_rate": v}, progress=False)
        np.testing.assert_array_equal(sw["n_met"].isel(setting=s).values, ds["n_met"].values)


def test_asking_for_a_few_outputs_still_evaluates_every_target():
    """``outputs=[...]`` used to replace the target indicators, so targets quietly became
    "not modelled"; now the indicators are added and the verdicts equal the default run's."""
    few = jzsim.monte_carlo(draws=800, seed=2, outputs=["gdp_real"], progress=False)
    full = jzsim.monte_carlo(draws=800, seed=2, progress=False)
    assert "gdp_real" in few
    np.testing.assert_array_equal(few["modelled"].values, full["modelled"].values)
    np.testing.assert_array_equal(few["n_met"].values, full["n_met"].values)
    assert bool(few["modelled"].sel(target="groundwater_balance_2022"))
