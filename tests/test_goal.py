"""Goal-seeking under uncertainty (#16 item 5) on a model with a closed-form answer, and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jzsim.analysis.targets import validate_targets
from jzsim.calibration.goal import goal_seek
from jzsim.cli.main import main
from jzsim.engine import Model
from jzsim.params import Parameter

DT, K = 0.5, 3.0


def model() -> Model:
    """y' = g y, y(0) = y0 (the lever), g ~ U(0, 0.1). Euler: y(10) = y0 (1 + g/2)^20, so
    P(y(10) >= K) = (0.1 - g*) / 0.1 with g* = 2 ((K / y0)^(1/20) - 1)."""
    m = Model("goal", start=0.0, stop=10.0, dt=DT, save_every=1.0)
    m.add_parameter(Parameter("g", "1/year", 0.05, 0.0, 0.1, "uniform", "assumption: test"))
    m.add_parameter(Parameter("y0", "t", 1.0, 0.5, 3.0, "fixed", "assumption: test"))
    m.add_parameter(Parameter("boost", "1/year", 0.0, 0.0, 0.05, "fixed", "assumption: test"))
    y = m.stock("y", initial=m.params.y0, units="t")
    m.flow("dy", (m.params.g + m.params.boost) * y, units="t/year", into="y")
    return m


def targets() -> pd.DataFrame:
    return validate_targets(
        pd.DataFrame(
            [
                dict(
                    id="y_reaches_k",
                    area="test",
                    description="y(10) >= K",
                    indicator="y",
                    selector="",
                    kind="level",
                    comparison=">=",
                    threshold=str(K),
                    units="t",
                    year="10",
                    base_year="",
                    reference="",
                    tolerance="",
                    source="plan ch.0 L0",
                    note="synthetic",
                )
            ]
        )
    )


def y0_for(p: float) -> float:
    """Closed form: the y0 with P(y(10) >= K) = p."""
    g_star = 0.1 * (1 - p)
    return K / (1 + g_star * DT) ** 20


def test_one_lever_finds_the_closed_form_setting():
    res = goal_seek("y_reaches_k", "y0", 0.8, model=model(), targets=targets(), draws=4000, grid=9, iterations=3)
    assert res.reached
    want = y0_for(0.8)
    assert abs(res.setting["y0"] - want) < 4 * res.setting_se["y0"] + 0.01
    assert 0 < res.setting_se["y0"] < 0.05
    assert res.kernel_calls == 3  # one vectorized sweep per iteration
    # P(target) as a function of the lever: increasing, and the closed form within MC error
    c = res.curve
    assert c.sizes["setting"] >= 9
    p_exact = np.clip((0.1 - 2 * ((K / c["y0"].values) ** (1 / 20) - 1)) / 0.1, 0, 1)
    assert np.all(np.abs(c["p_met"].values - p_exact) <= 4 * np.sqrt(0.25 / 4000) + 1e-9)


def test_unreachable_target_reports_the_best_probability():
    res = goal_seek("y_reaches_k", "y0", 0.99, model=model(), targets=targets(), draws=1000, bounds={"y0": (0.5, 1.5)})
    assert not res.reached and res.setting == {"y0": None}
    assert res.best_probability == pytest.approx(float(res.curve["p_met"].max()))
    assert res.best_probability < 0.99
    assert "not reached" in str(res)


def test_several_levers_with_costs_prefer_the_cheap_one():
    res = goal_seek(
        "y_reaches_k",
        {"y0": 1.0, "boost": 1000.0},  # boost is dear: the answer leans on y0
        0.8,
        model=model(),
        targets=targets(),
        draws=2000,
        grid=5,
        iterations=2,
    )
    assert res.reached and res.p_at_setting >= 0.8
    assert res.setting["boost"] == pytest.approx(0.0)
    assert res.setting["y0"] == pytest.approx(y0_for(0.8), abs=0.35)


def test_bad_target_and_lever_names():
    with pytest.raises(KeyError, match="did you mean y_reaches_k"):
        goal_seek("y_reaches", "y0", model=model(), targets=targets())
    with pytest.raises(KeyError, match="did you mean y0"):
        goal_seek("y_reaches_k", "y00", model=model(), targets=targets())
    with pytest.raises(ValueError, match="probability is 1.5"):
        goal_seek("y_reaches_k", "y0", 1.5, model=model(), targets=targets())


def test_cli_goal_answers_the_health_cluster_question(capsys):
    rc = main(
        [
            "goal",
            "--target",
            "health_cluster_output_2025",
            "--lever",
            "cluster_investment_share_health",
            "--probability",
            "0.8",
            "--draws",
            "300",
            "--iterations",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "health_cluster_output_2025" in out and "P(target) by setting" in out


def test_cli_goal_unknown_target_is_one_clear_error(capsys):
    rc = main(["goal", "--target", "health_cluster", "--lever", "cluster_investment_share_health"])
    assert rc == 2
    assert "did you mean health_cluster_output_2025" in capsys.readouterr().err


def test_goal_under_a_calibration_uses_its_draws():
    """Calibrating g to a history narrows its spread; the goal's P(target) curve then rises more
    steeply (g no longer spans its whole prior) and the run records the calibration."""
    from jzsim.calibration import Calibration

    g_true = 0.06
    years = np.arange(0.0, 11.0, 2.0)
    obs = pd.DataFrame(
        dict(
            indicator="y",
            year=years,
            value=(1 + g_true * DT) ** (years / DT),
            unit="t",
            kind="level",
            sd=0.02,
            confidence="official",
            source="user: synthetic",
        )
    )
    res = Calibration(model(), obs, ["g"], fixed={"y0": 1.0}).fit("ml")
    assert res.params["g"] == pytest.approx(g_true, rel=1e-3)
    kw = dict(model=model(), targets=targets(), draws=2000, grid=9, iterations=1)
    prior = goal_seek("y_reaches_k", "y0", 0.8, **kw)
    post = goal_seek("y_reaches_k", "y0", 0.8, calibration=res, **kw)
    assert post.curve.attrs["calibration_hash"] == res.hash
    steep = lambda r: np.abs(np.diff(r.curve["p_met"].values)).max()  # noqa: E731
    assert steep(post) > steep(prior)
