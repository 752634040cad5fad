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
    assert len(cal.obs.target) >= 25
    # rows the plan model cannot use are listed with the reason, not dropped silently
    skipped = cal.obs.skipped.set_index("indicator")["reason"]
    assert "income_urban_real" in skipped and "did you mean" in skipped["income_urban_real"]
    # the back-cast's start values are fixed (plan ch.1 L9: 2010 GDP 49.4)
    assert cal.fixed["gdp_base"] == 49.4


def test_fit_improves_on_the_prior_nominal_values(few):
    cal = plan_calibration(FEW)
    nominal = np.array([[p.value for p in cal.parameters]])
    assert few.info["loglike"] > float(cal.loglike(nominal)[0]) + 10
    # nominal GDP 2020 moves toward the plan's 111 (plan ch.1 L9) from the prior's 89
    obs = few.observations.set_index(["indicator", "kind", "year"])
    assert obs.loc[("gdp_nominal", "level", 2020.0), "predicted"] > 95
    ci = few.conf_int(0.1)
    assert (ci["lower"] <= few.params + 1e-12).all() and (few.params <= ci["upper"] + 1e-12).all()


def test_out_of_sample_fit_leaves_out_later_years():
    cal = plan_calibration(FEW, stop=2017)
    years = cal.obs.table["year"]
    assert years.max() <= 2017
    sk = cal.obs.skipped
    late = sk[(sk["year"] > 2017) & ~sk["indicator"].str.endswith("_real")]  # (real incomes: not in the model)
    assert len(late) >= 4 and late["reason"].str.contains("not a saved time").all()


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
