"""The plan model's back-cast calibration (#16): 2010-2020 against the packaged observations."""

from __future__ import annotations

import numpy as np
import pytest

import jzsim
from jzsim.calibration import PLAN_FREE_PARAMETERS, load_calibration, plan_calibration
from jzsim.cli.main import main

FEW = ["tfp_growth", "inflation_rate", "pop_base"]


@pytest.fixture(scope="module")
def few():
    return plan_calibration(FEW).fit("ml", starts=16)


def test_default_problem_has_the_plan_parameters_and_observations():
    cal = plan_calibration()
    assert 10 <= len(cal.names) <= 20 and set(cal.names) <= set(PLAN_FREE_PARAMETERS)
    # every packaged observation fits the plan model's back-cast (variables, units, years)
    assert len(cal.obs.target) == len(cal.observations) >= 30 and cal.obs.skipped.empty
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
    late = cal.obs.skipped
    assert len(late) >= 4 and (late["year"] > 2017).all() and late["reason"].str.contains("not a saved time").all()


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
