"""Overrides under uncertainty (#20 item 1): a number fixes a parameter in every draw; a
distribution in ``uncertainty=`` replaces the declared one; every other parameter's draws stay the
same bits. For the plan model and for a user's own model, in monte_carlo and simulate."""

from __future__ import annotations

import numpy as np
import pytest

import jzsim
from jzsim.engine import Model
from jzsim.params import Parameter
from jzsim.uncertainty.distributions import Empirical, LogNormal, Triangular, TruncNormal, Uniform, with_uncertainty

HEALTH = "cluster_investment_share_health"


def plan_mc(**kw):
    kw.setdefault("draws", 2000)
    return jzsim.monte_carlo(seed=3, outputs=["cluster_output_health", "gdp_real"], outcomes=True, progress=False, **kw)


@pytest.fixture(scope="module")
def base():
    return plan_mc()


def sampled(ds, name):
    return ds["parameters"].sel(parameter=name).values


def test_a_number_fixes_a_uniform_parameter_and_moves_the_health_cluster(base):
    """Issue #20: cluster_investment_share_health = 0.30 under Monte Carlo was still drawn from
    0.1-0.3 (mean 0.2002); fixed by hand, the health cluster's 2025 median moved 37.9 -> 47.9."""
    fixed = plan_mc(params={HEALTH: 0.30})
    assert HEALTH not in fixed["parameter"].values  # not sampled: fixed in every draw
    assert HEALTH in base["parameter"].values
    med = [float(ds["cluster_output_health"].sel(quantile=0.5, year=2025)) for ds in (base, fixed)]
    assert med[1] > med[0] + 5.0, med  # the hand-made run: 37.9 -> 47.9
    for name in fixed["parameter"].values:  # every other parameter: the same draws, bit for bit
        np.testing.assert_array_equal(sampled(fixed, name), sampled(base, name), err_msg=str(name))


def test_an_uncertainty_override_changes_only_that_parameter(base):
    ds = plan_mc(uncertainty={"tfp_growth": Uniform(0.01, 0.02)})
    tfp = sampled(ds, "tfp_growth")
    assert tfp.min() >= 0.01 and tfp.max() <= 0.02 and tfp.std() > 0.002
    assert not np.array_equal(tfp, sampled(base, "tfp_growth"))
    for name in ds["parameter"].values:
        if name != "tfp_growth":
            np.testing.assert_array_equal(sampled(ds, name), sampled(base, name), err_msg=str(name))


def test_a_fixed_parameter_can_take_a_value_outside_its_belief_range():
    ds = plan_mc(draws=300, params={"reuse_adjust_time": 1.5})
    assert "reuse_adjust_time" not in ds["parameter"].values


def logistic_model() -> Model:
    m = Model("logistic", start=0.0, stop=10.0, dt=0.5)
    m.add_parameter(Parameter("r", "1/year", 0.3, 0.1, 0.5, "uniform", "assumption: test range"))
    m.add_parameter(Parameter("K", "person", 1000.0, 800.0, 1200.0, "triangular", "assumption: test range"))
    m.param("P0", 10.0, units="person")  # no distribution: fixed
    P = m.stock("P", initial=m.params.P0, units="person")
    m.flow("growth", m.params.r * P * (1 - P / m.params.K), units="person/year", into="P")
    return m


def test_a_users_model_takes_fixed_overrides_and_distributions():
    kw = dict(model=logistic_model(), draws=500, seed=1, progress=False, outcomes=True)
    base = jzsim.monte_carlo(**kw)
    fixed = jzsim.monte_carlo(params={"r": 0.45, "P0": 20.0}, **kw)
    assert list(fixed["parameter"].values) == ["K"]
    np.testing.assert_array_equal(sampled(fixed, "K"), sampled(base, "K"))
    assert float(fixed["P"].sel(statistic="min", time=0.0)) == 20.0
    drawn = jzsim.monte_carlo(uncertainty={"P0": Triangular(5.0, 10.0, 30.0)}, **kw)
    p0 = sampled(drawn, "P0")
    assert 5.0 <= p0.min() and p0.max() <= 30.0 and p0.std() > 1.0
    for name in ("r", "K"):
        np.testing.assert_array_equal(sampled(drawn, name), sampled(base, name))


def test_bad_overrides_are_one_clear_error():
    m = logistic_model()
    with pytest.raises(KeyError, match="did you mean r"):
        jzsim.monte_carlo(model=m, draws=10, params={"rr": 0.2}, progress=False)
    with pytest.raises(KeyError, match="uncertainty: unknown parameter 'KK'; did you mean K"):
        jzsim.monte_carlo(model=m, draws=10, uncertainty={"KK": Uniform(1, 2)}, progress=False)
    with pytest.raises(TypeError, match="a number fixes the parameter: pass it in params"):
        jzsim.monte_carlo(model=m, draws=10, uncertainty={"K": 900.0}, progress=False)
    with pytest.raises(ValueError, match="r given in both params"):
        jzsim.monte_carlo(model=m, draws=10, params={"r": 0.2}, uncertainty={"r": Uniform(0.1, 0.2)}, progress=False)
    with pytest.raises(ValueError, match="Uniform: low 0.3 is above high 0.2"):
        Uniform(0.3, 0.2)
    with pytest.raises(ValueError, match="Uniform: high is inf; allowed: a finite number"):
        Uniform(0.1, float("inf"))
    with pytest.raises(ValueError, match="LogNormal: low is 0.0; allowed: > 0"):
        LogNormal(1.0, 0.0, 2.0)
    with pytest.raises(ValueError, match="TruncNormal: mean 3 is above high 2"):
        TruncNormal(3, 1, 2)
    with pytest.raises(ValueError, match="Empirical: sample is empty"):
        Empirical(())
    with pytest.raises(KeyError, match="did you mean tfp_growth"):
        jzsim.simulate({"tfp_growht": 0.02})


def test_an_uncertainty_override_is_checked_against_domains_and_joint_constraints():
    """h-scen's validity domains hold for a redrawn parameter too: a share drawn above 1, or shares
    of one whole whose highs sum above 1, is refused before the run."""
    with pytest.raises(ValueError, match="cluster_investment_share_health.*outside the validity domain"):
        plan_mc(draws=10, uncertainty={HEALTH: Uniform(0.2, 1.5)})
    with pytest.raises(ValueError, match="cluster_investment"):
        plan_mc(draws=10, uncertainty={HEALTH: Uniform(0.2, 0.9)})


def test_distributions_print_and_apply():
    assert repr(Uniform(0.01, 0.02)) == "Uniform(low=0.01, high=0.02)"
    assert repr(Empirical([3.0, 1.0, 2.0])) == "Empirical(<3 values, 1 to 3>)"
    p = Parameter("x", "1", 0.5, 0.0, 1.0, "uniform", "assumption: test")
    q = with_uncertainty({"x": p}, {"x": Uniform(2.0, 4.0)})["x"]
    assert (q.distribution, q.low, q.high, q.value) == ("uniform", 2.0, 4.0, 3.0)
    q = with_uncertainty({"x": p}, {"x": Empirical([0.1, 0.2, 0.9])})["x"]
    assert (q.distribution, q.value, q.sample) == ("empirical", 0.2, (0.1, 0.2, 0.9))


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_common_random_numbers_whatever_the_sampler(sampler):
    """#20 item 3: with Sobol, fixing one parameter used to reshuffle every other parameter's draws."""
    kw = dict(model=logistic_model(), draws=700, seed=9, sampler=sampler, progress=False, outcomes=True)
    base = jzsim.monte_carlo(**kw)
    fixed = jzsim.monte_carlo(params={"r": 0.2}, **kw)
    np.testing.assert_array_equal(sampled(fixed, "K"), sampled(base, "K"))
