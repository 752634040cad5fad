"""The engine against closed-form solutions, with both integrators.

Every reference value below is an analytic solution written out in this file: the exact solution
of the ODE (to bound the truncation error), and for linear models also the exact solution of the
*discrete* Euler / RK4 recurrence (to check the integrators step by step, to rounding).

Tolerances were set from measurement at dt = 0.25 with a margin of 2-4x (the measured values are
in the comments); a lower bound on the Euler error checks that ``method=`` really switches method.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from jzsim.engine import Model

METHODS = ("euler", "rk4")
DTS = (0.5, 0.25, 0.125, 0.0625)


# --------------------------------------------------------------------------- analytic cases
# Each case: build(dt, method) -> Model, exact(t) -> dict stock -> array, scale -> dict stock ->
# normalising magnitude for the error (relative error, or error relative to the amplitude).


def exponential_model(dt=0.25, method="euler", r=0.1, x0=5.0, stop=20.0):
    """x' = r x, x(0) = x0  ->  x = x0 exp(r t)."""
    m = Model("exponential", start=0.0, stop=stop, dt=dt, method=method)
    rr = m.param("r", r, units="1/year")
    x = m.stock("x", initial=x0, units="t")
    m.flow("growth", rr * x, units="t/year", into="x")
    return m


def exponential_exact(t, r=0.1, x0=5.0):
    return {"x": x0 * np.exp(r * t)}


def logistic_model(dt=0.25, method="euler", r=0.3, K=1000.0, P0=10.0, stop=30.0):
    """P' = r P (1 - P/K)  ->  P = K / (1 + (K/P0 - 1) exp(-r t))."""
    m = Model("logistic", start=0.0, stop=stop, dt=dt, method=method)
    rr = m.param("r", r, units="1/year")
    KK = m.param("K", K, units="person")
    P = m.stock("P", initial=P0, units="person")
    m.flow("growth", rr * P * (1 - P / KK), units="person/year", into="P")
    m.aux("density", P / KK, units="1")
    return m


def logistic_exact(t, r=0.3, K=1000.0, P0=10.0):
    return {"P": K / (1.0 + (K / P0 - 1.0) * np.exp(-r * t))}


def goal_model(dt=0.25, method="euler", goal=80.0, tau=4.0, x0=20.0, stop=20.0):
    """x' = (goal - x) / tau  ->  x = goal + (x0 - goal) exp(-t / tau)."""
    m = Model("goal_seeking", start=0.0, stop=stop, dt=dt, method=method)
    g = m.param("goal", goal, units="t")
    ta = m.param("tau", tau, units="year")
    x = m.stock("x", initial=x0, units="t")
    m.flow("adjustment", (g - x) / ta, units="t/year", into="x")
    return m


def goal_exact(t, goal=80.0, tau=4.0, x0=20.0):
    return {"x": goal + (x0 - goal) * np.exp(-t / tau)}


def oscillator_model(dt=0.25, method="euler", w=0.2, x0=1.0, stop=20.0):
    """x'' = -w^2 x as position x and velocity v  ->  x = x0 cos(w t), v = -x0 w sin(w t)."""
    m = Model("oscillator", start=0.0, stop=stop, dt=dt, method=method)
    ww = m.param("w", w, units="1/year")
    x = m.stock("x", initial=x0, units="m")
    v = m.stock("v", initial=0.0, units="m/year")
    m.flow("velocity", v, units="m/year", into="x")
    m.flow("acceleration", -(ww**2) * x, units="m/year**2", into="v")
    return m


def oscillator_exact(t, w=0.2, x0=1.0):
    return {"x": x0 * np.cos(w * t), "v": -x0 * w * np.sin(w * t)}


CASES = {
    # name: (builder, exact, error normalisation: None -> pointwise relative, else amplitude)
    "exponential": (exponential_model, exponential_exact, None),
    "logistic": (logistic_model, logistic_exact, None),
    "goal": (goal_model, goal_exact, None),
    "oscillator": (oscillator_model, oscillator_exact, {"x": 1.0, "v": 0.2}),
}

# Measured max error at dt = 0.25 (relative; for the oscillator relative to the amplitude):
#   exponential  euler 2.43e-2   rk4 6.38e-9
#   logistic     euler 7.86e-2   rk4 4.70e-7
#   goal         euler 1.35e-2   rk4 5.59e-8
#   oscillator   euler 8.64e-2   rk4 1.73e-7
# (lower bound for euler, upper bound for euler, upper bound for rk4)
TOLERANCES = {
    "exponential": (1e-2, 3e-2, 2e-8),
    "logistic": (4e-2, 1e-1, 1e-6),
    "goal": (5e-3, 2e-2, 2e-7),
    "oscillator": (4e-2, 1.5e-1, 5e-7),
}


def max_error(case: str, dt: float, method: str, **settings) -> float:
    """Max over stocks and saved times of the (relative) error against the exact solution."""
    build, exact, amplitude = CASES[case]
    ds = build(dt=dt, method=method).run(**settings)
    ref = exact(ds["time"].values)
    err = 0.0
    for name, want in ref.items():
        got = ds[name].values[0]
        scale = np.abs(want) if amplitude is None else amplitude[name]
        err = max(err, float(np.max(np.abs(got - want) / scale)))
    return err


def convergence_orders(case: str, method: str) -> np.ndarray:
    """log2 of successive error ratios over dt in DTS (saved every year)."""
    errs = np.array([max_error(case, dt, method) for dt in DTS])
    return np.log2(errs[:-1] / errs[1:])


# --------------------------------------------------------------------------- exact solutions
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("method", METHODS)
def test_matches_closed_form(case, method):
    lo, hi_euler, hi_rk4 = TOLERANCES[case]
    err = max_error(case, 0.25, method)
    if method == "rk4":
        assert err < hi_rk4, f"{case} rk4 error {err:.3e} >= {hi_rk4:.1e}"
    else:
        assert lo < err < hi_euler, f"{case} euler error {err:.3e} outside ({lo:.0e}, {hi_euler:.0e})"


def test_initial_values_are_exact():
    for case, (build, exact, _) in CASES.items():
        for method in METHODS:
            ds = build(method=method).run()
            for name, want in exact(np.array([0.0])).items():
                assert ds[name].values[0, 0] == want[0], (case, method, name)


def test_method_in_constructor_equals_method_in_run():
    a = logistic_model(method="rk4").run()
    b = logistic_model(method="euler").run(method="rk4")
    assert a.attrs["method"] == b.attrs["method"] == "rk4"
    assert np.array_equal(a["P"].values, b["P"].values)
    c = logistic_model(method="rk4").run(method="euler")
    assert c.attrs["method"] == "euler"
    assert not np.array_equal(a["P"].values, c["P"].values)


# -------------------------------------------------- exact solutions of the discrete recurrences
def _rk4_factor(z):
    """Amplification of one RK4 step on y' = lambda y, z = lambda dt."""
    return 1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24


@pytest.mark.parametrize("method", METHODS)
def test_linear_growth_follows_the_discrete_recurrence(method):
    # Euler: x_n = x0 (1 + r dt)^n ; RK4: x_n = x0 R(r dt)^n, n = t / dt.
    r, x0, dt = 0.1, 5.0, 0.25
    ds = exponential_model(dt=dt, method=method, r=r, x0=x0).run()
    n = ds["time"].values / dt
    factor = (1 + r * dt) if method == "euler" else _rk4_factor(r * dt)
    np.testing.assert_allclose(ds["x"].values[0], x0 * factor**n, rtol=1e-13, atol=0)


@pytest.mark.parametrize("method", METHODS)
def test_goal_seeking_follows_the_discrete_recurrence(method):
    # deviation from the goal decays by (1 - dt/tau) per Euler step, R(-dt/tau) per RK4 step
    goal, tau, x0, dt = 80.0, 4.0, 20.0, 0.25
    ds = goal_model(dt=dt, method=method).run()
    n = ds["time"].values / dt
    factor = (1 - dt / tau) if method == "euler" else _rk4_factor(-dt / tau)
    np.testing.assert_allclose(ds["x"].values[0], goal + (x0 - goal) * factor**n, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_oscillator_follows_the_discrete_recurrence(method):
    # y = (x, v), y' = A y; one step multiplies by I + hA (Euler) or sum_{k<=4} (hA)^k / k! (RK4)
    w, dt = 0.2, 0.25
    ds = oscillator_model(dt=dt, method=method, w=w).run()
    hA = dt * np.array([[0.0, 1.0], [-w * w, 0.0]])
    order = 1 if method == "euler" else 4
    M = sum(np.linalg.matrix_power(hA, k) / math.factorial(k) for k in range(order + 1))
    y = np.array([1.0, 0.0])
    want = []
    for k in range(int(round(20.0 / dt)) + 1):
        if k % 4 == 0:
            want.append(y.copy())
        y = M @ y
    want = np.array(want).T
    np.testing.assert_allclose(ds["x"].values[0], want[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(ds["v"].values[0], want[1], rtol=0, atol=1e-13)
    if method == "euler":  # Euler inflates the energy by (1 + w^2 dt^2) per step, exactly
        energy = ds["x"].values[0] ** 2 + (ds["v"].values[0] / w) ** 2
        np.testing.assert_allclose(energy, (1 + (w * dt) ** 2) ** (ds["time"].values / dt), rtol=1e-12)


# ----------------------------------------------------------------------------- convergence
@pytest.mark.parametrize("case", sorted(CASES))
def test_rk4_is_fourth_order(case):
    orders = convergence_orders(case, "rk4")
    assert np.all((orders > 3.7) & (orders < 4.3)), f"{case} rk4 orders {orders}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_euler_is_first_order(case):
    orders = convergence_orders(case, "euler")
    assert np.all((orders > 0.9) & (orders < 1.1)), f"{case} euler orders {orders}"


# ---------------------------------------------------------------- save interval independent of dt
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("method", METHODS)
def test_save_interval_does_not_change_the_integration(case, method):
    build = CASES[case][0]
    yearly = build(dt=0.125, method=method).run(save_every=1.0)
    every_step = build(dt=0.125, method=method).run(save_every=0.125)
    assert every_step.sizes["time"] == 8 * (yearly.sizes["time"] - 1) + 1
    whole = every_step.sel(time=yearly["time"].values)
    assert np.array_equal(whole["time"].values, yearly["time"].values)
    for name in yearly.data_vars:
        assert np.array_equal(whole[name].values, yearly[name].values), name


def test_save_times_are_whole_multiples_of_save_every():
    ds = logistic_model(dt=0.125).run(save_every=2.0)
    assert np.array_equal(ds["time"].values, np.arange(0.0, 31.0, 2.0))
    ds = logistic_model(dt=0.25).run(start=5.0, stop=10.0, save_every=0.5)
    assert np.array_equal(ds["time"].values, np.arange(5.0, 10.01, 0.5))


def test_start_shifts_time_not_the_solution():
    # an autonomous model started at t=5 with the same initial value is the t=0 solution shifted
    a = logistic_model(method="rk4").run(start=0.0, stop=10.0)
    b = logistic_model(method="rk4").run(start=5.0, stop=15.0)
    np.testing.assert_array_equal(b["time"].values, a["time"].values + 5.0)
    np.testing.assert_allclose(b["P"].values, a["P"].values, rtol=1e-15)


# -------------------------------------------------------------------------- user-level check
def test_logistic_in_a_few_lines_gives_a_labelled_dataset():
    m = Model("logistic", start=0.0, stop=50.0, dt=0.25, save_every=1.0, method="rk4")
    r = m.param("r", 0.3, units="1/year", low=0.1, high=0.5, description="growth rate")
    K = m.param("K", 1000.0, units="person")
    P = m.stock("P", initial=10.0, units="person", description="population")
    m.flow("growth", r * P * (1 - P / K), units="person/year", into="P")
    m.aux("density", P / K, units="1")
    ds = m.run(params={"r": np.array([0.2, 0.3, 0.4])})

    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"draw": 3, "time": 51}
    for name in ("P", "growth", "density"):
        assert ds[name].dims == ("draw", "time")
    for name in ("r", "K"):
        assert ds[name].dims == ("draw",)
    want_units = {"P": "person", "growth": "person/year", "density": "1", "r": "1/year", "K": "person"}
    assert set(ds.data_vars) == set(want_units)
    for name, u in want_units.items():
        assert ds[name].attrs["units"] == u, name
    assert ds["time"].attrs["units"] == "year"
    assert ds["P"].attrs["description"] == "population"
    np.testing.assert_array_equal(ds["r"].values, [0.2, 0.3, 0.4])
    np.testing.assert_array_equal(ds["time"].values, np.arange(51.0))
    # each draw follows its own closed form
    t = ds["time"].values
    for i, rv in enumerate([0.2, 0.3, 0.4]):
        np.testing.assert_allclose(ds["P"].values[i], logistic_exact(t, r=rv)["P"], rtol=2e-6)
    # the aux and the flow are consistent with the stock at every saved time
    np.testing.assert_allclose(ds["density"].values, ds["P"].values / 1000.0, rtol=1e-15)
    rr = ds["r"].values[:, None]
    np.testing.assert_allclose(ds["growth"].values, rr * ds["P"].values * (1 - ds["P"].values / 1000.0), rtol=1e-14)
    assert ds.attrs["method"] == "rk4" and ds.attrs["dt"] == 0.25
