"""The plan model's back-cast calibration (#16): 2010-2020 against the packaged observations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jzsim
from jzsim.calibration import PLAN_FREE_PARAMETERS, load_calibration, load_observations, plan_calibration
from jzsim.cli.main import main

DATA = Path(jzsim.__file__).parent / "data"

FEW = ["tfp_growth", "inflation_rate", "pop_base"]


@pytest.fixture(scope="module")
def few():
    return plan_calibration(FEW).fit("ml", starts=16)


def test_default_problem_has_the_plan_parameters_and_observations():
    cal = plan_calibration()
    assert 10 <= len(cal.names) <= 20 and set(cal.names) <= set(PLAN_FREE_PARAMETERS)
    # every packaged economic observation fits the plan model's back-cast (variables, units, years):
    # read as a user's file, any row that did not would raise
    econ = plan_calibration(observations=DATA / "observations.csv")
    assert len(econ.obs.target) == len(econ.observations) >= 30
    # the water rows the back-cast cannot use (other years, variables the model lacks) are listed
    # with the reason, not dropped silently; the rest are used
    water = load_observations(DATA / "observations_water.csv")
    skipped = cal.obs.skipped
    assert len(cal.obs.target) + len(skipped) == len(cal.observations) == len(econ.observations) + len(water)
    assert skipped["reason"].str.contains("not a saved time|not a variable of model").all()
    assert set(skipped["indicator"]) <= set(water["indicator"])
    # the back-cast's start values are fixed (plan ch.1 L9: 2010 GDP 49.4)
    assert cal.fixed["gdp_base"] == 49.4


def test_fit_improves_on_the_prior_nominal_values(few):
    cal = plan_calibration(FEW)
    nominal = np.array([[p.value for p in cal.parameters]])
    assert few.info["loglike"] >= float(cal.loglike(nominal)[0]) - 1e-9
    # a maximum: moving any parameter a little inside its range lowers the likelihood
    x = few.params.to_numpy()
    steps = 0.01 * np.array([p.high - p.low for p in cal.parameters])
    moved = np.vstack(
        [
            np.clip(x + s * e, [p.low for p in cal.parameters], [p.high for p in cal.parameters])
            for e in np.eye(len(x))
            for s in (steps, -steps)
        ]
    )
    assert (cal.loglike(moved) <= few.info["loglike"] + 1e-6).all()
    ci = few.conf_int(0.1)
    assert (ci["lower"] <= few.params + 1e-12).all() and (few.params <= ci["upper"] + 1e-12).all()


def test_out_of_sample_fit_leaves_out_later_years():
    cal = plan_calibration(FEW, stop=2017)
    years = cal.obs.table["year"]
    assert years.max() <= 2017
    # rows the shorter run cannot use are listed with the reason, not dropped silently
    skipped = cal.obs.skipped
    late = skipped[skipped["year"] > 2017]
    assert len(late) >= 4 and late["reason"].str.contains("not a saved time|not a variable of model").all()
    assert len(late) == (cal.observations["year"] > 2017).sum()


def test_projections_draw_from_the_calibration_but_not_its_2010_start_values(few):
    mc = jzsim.monte_carlo(2000, calibration=few, outcomes=True, progress=False)
    assert mc.attrs["calibration_hash"] == few.hash
    assert mc.attrs["calibration_parameters"] == "tfp_growth, inflation_rate"  # pop_base is a 2010 value
    tfp = mc["parameters"].sel(parameter="tfp_growth").values
    assert np.isin(tfp, few.draws[:, 0]).all()


def test_cli_calibrate_prints_summary_and_writes_results(tmp_path, capsys):
    out = tmp_path / "cal.nc"
    rc = main(["calibrate", "--params", "tfp_growth,inflation_rate", "-o", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "tfp_growth" in text and "Fit by series" in text and "U_M" in text
    assert load_calibration(out).params.index.tolist() == ["tfp_growth", "inflation_rate"]


def test_cli_calibrate_unknown_parameter(capsys):
    assert main(["calibrate", "--params", "tfp_grwth"]) == 2
    assert "did you mean tfp_growth" in capsys.readouterr().err


@pytest.mark.parametrize(
    "indicator, kind", [("groundwater_depth_deep", "level"), ("groundwater_level_rise_deep", "value")]
)
def test_a_water_row_reaches_the_likelihood(indicator, kind):
    """Moving the figure of one water row by d changes the log likelihood by exactly
    -((r - d)^2 - r^2) / (2 sd^2), r = prediction - figure on the comparison scale."""
    cal = plan_calibration(["deep_depth_start", "irrigation_quota_grain"])
    tab = cal.obs.table
    i = tab.index[(tab["indicator"] == indicator) & (tab["kind"] == kind) & (tab["year"] == 2020)][0]
    x = np.array([[p.value for p in cal.parameters]])
    r = cal.obs.predict(cal.run(x))[i, 0] - cal.obs.target[i]
    ll0 = float(cal.loglike(x)[0])
    d = 0.05
    target = cal.obs.target.copy()
    target[i] += d
    cal.obs = replace(cal.obs, target=target)
    sd = cal.obs.sd[i]
    assert float(cal.loglike(x)[0]) - ll0 == pytest.approx(-((r - d) ** 2 - r**2) / (2 * sd**2), rel=1e-9)


def test_a_bad_water_row_gets_one_clear_error_naming_the_field():
    water = load_observations(DATA / "observations_water.csv")
    row = water[(water["indicator"] == "groundwater_level_rise_deep") & (water["year"] == 2020)].copy()
    row["unit"] = "m"  # a rise per year given as a depth
    with pytest.raises(ValueError, match=r"unit 'm' does not fit value of 'groundwater_level_rise_deep'"):
        plan_calibration(["deep_depth_start"], observations=row)
    raw = pd.read_csv(DATA / "observations_water.csv")
    raw.loc[0, "kind"] = "change"  # the old schema's kind
    with pytest.raises(ValueError, match=r"row 2 .*kind is 'change'; allowed: level, growth_rate"):
        load_observations(raw)


def test_cli_calibrate_fits_water_parameters(capsys):
    rc = main(["calibrate", "--params", "deep_depth_start,shallow_specific_yield"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "deep_depth_start" in text and "groundwater_depth_deep (level)" in text
