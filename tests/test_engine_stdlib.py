"""The system-dynamics standard library (issue #18): maths functions, SMOOTH N, DELAY N, TREND,
FORECAST, floored stocks, dt in equations, flows between two stocks.

Reference values are analytic solutions (stated in each test) or numpy's own functions; the
kernels (numpy, numba) and the scalar reference must agree to 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jzsim.engine import Model, ModelError
from jzsim.engine import functions as F


def _erlang_cdf(t: np.ndarray, n: int, tau: float) -> np.ndarray:
    """Response of an order-n smooth (or delay) with time constant tau to a unit step at 0,
    from rest: the Erlang(n, n / tau) distribution function."""
    lam = n / tau
    s = sum(np.exp(-lam * t) * (lam * t) ** k / math.factorial(k) for k in range(n))
    return 1.0 - s


def _library_model() -> Model:
    """One model using every function and block of the standard library."""
    m = Model("stdlib", time_units="month", stop=12.0, dt=0.25, save_every=0.25)
    k = m.param("k", 0.3, "1/month", low=0.1, high=0.5)
    amp = m.param("amp", 2.0, "t", low=1.0, high=3.0)
    x = m.stock("x", 5.0, "t", floor=True)
    y = m.stock("y", 0.0, "t")
    m.flow(
        "transfer",
        k * x + amp * F.sin(m.time / F.const(2, "month")) / F.const(1, "month"),
        "t/month",
        out_of="x",
        into="y",
    )
    m.flow("refill", amp * F.step(1, 6) / F.const(1, "month"), "t/month", into="x")
    m.smooth("sm", y, 3.0, "t", order=4)
    m.delay("dl", m["transfer"], 2.0, "t/month", order=5)
    m.trend("tr", y + amp, 4.0, "t", initial_trend=0.05)
    m.forecast("fc", y + amp, 4.0, 2.0, "t")
    u = m.time / F.const(1, "month")
    m.aux(
        "maths",
        F.cos(u)
        + F.tan(u / 10)
        + F.arctan(u)
        + F.arcsin(u / 20)
        + F.arccos(u / 30)
        + F.floor(u * 1.3)
        + F.integer(-u * 0.7)
        + F.modulo(u, 2.5)
        + F.power(1.5, u / 4)
        + m.dt / F.const(1, "month"),
        "1",
    )
    xs = np.linspace(0.0, 12.0, 201)  # longer than UNROLL_MAX: a table as data in the compiled kernel
    m.aux("table", F.lookup(m.time, xs, np.sin(xs) * xs, x_units="month"), "1")
    m.aux("flag", F.where(F.eq(m.time, 3) | F.ne(F.floor(u), u), 1, 0), "1")
    return m


@pytest.fixture(scope="module")
def library():
    m = _library_model()
    params = {"k": np.array([0.1, 0.3, 0.5]), "amp": np.array([1.0, 2.5, 3.0])}
    return m, params, m.build().run(params)


def test_maths_functions_equal_numpy_at_saved_times(library):
    _, _, ds = library
    u = ds["time"].values
    want = (
        np.cos(u)
        + np.tan(u / 10)
        + np.arctan(u)
        + np.arcsin(u / 20)
        + np.arccos(u / 30)
        + np.floor(u * 1.3)
        + np.trunc(-u * 0.7)
        + np.mod(u, 2.5)
        + 1.5 ** (u / 4)
        + 0.25
    )
    np.testing.assert_allclose(ds["maths"].values[0], want, rtol=1e-13)
    flag = ((u == 3) | (np.floor(u) != u)).astype(float)
    np.testing.assert_array_equal(ds["flag"].values[0], flag)


def test_floor_and_integer_and_modulo_conventions():
    m = Model("conv", stop=1.0, dt=1.0)
    m.aux("f", F.floor(-2.5) + 0 * m.time / F.const(1, "year"), "1")
    m.aux("i", F.integer(-2.5), "1")
    m.aux("r", F.modulo(-7, 3), "1")
    m.aux("r2", F.modulo(7, -3), "1")
    for backend in ("numpy", "scalar"):
        ds = m.build().run(backend=backend)
        assert float(ds["f"][0, 0]) == -3.0  # XMILE INT: floor
        assert float(ds["i"][0, 0]) == -2.0  # Vensim INTEGER: towards zero
        assert float(ds["r"][0, 0]) == 2.0  # sign of the divisor (XMILE MOD, numpy mod)
        assert float(ds["r2"][0, 0]) == -2.0


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_smooth_n_follows_the_erlang_response(order):
    m = Model("sm", stop=10.0, dt=1 / 64, save_every=0.5, method="rk4")
    m.aux("input", F.step(F.const(1, "t"), 0), "t")
    m.smooth("s", m["input"], 2.0, "t", order=order, initial=0.0)
    ds = m.run()
    t = ds["time"].values
    np.testing.assert_allclose(ds["s"].values[0], _erlang_cdf(t, order, 2.0), atol=1e-8)


@pytest.mark.parametrize("order", [1, 3, 4])
def test_delay_n_follows_the_erlang_response_and_conserves(order):
    m = Model("dl", stop=12.0, dt=1 / 64, save_every=0.5, method="rk4")
    m.aux("inflow", F.step(F.const(1, "t/year"), 0), "t/year")
    m.delay("out", m["inflow"], 3.0, "t/year", order=order, initial=0.0)
    m.stock("received", 0.0, "t")
    m.flow("receive", m["out"], "t/year", into="received")
    ds = m.run()
    t = ds["time"].values
    np.testing.assert_allclose(ds["out"].values[0], _erlang_cdf(t, order, 3.0), atol=1e-8)
    # what came out is the integral of the response (trapezoids on a fine grid of the analytic one)
    fine = np.linspace(0.0, 12.0, 240001)
    cdf = _erlang_cdf(fine, order, 3.0)
    received = np.concatenate([[0.0], np.cumsum((cdf[1:] + cdf[:-1]) / 2 * np.diff(fine))])
    np.testing.assert_allclose(ds["received"].values[0], received[::10000], atol=1e-7)


def test_trend_of_exponential_growth_is_its_rate_and_forecast_extrapolates():
    # input = exp(g t) and an average started at input / (1 + g tau) is the exact solution
    # average = input / (1 + g tau), so TREND = g at all times and FORECAST = input (1 + g h)
    g, tau, h = 0.07, 4.0, 2.0
    m = Model("trend", stop=20.0, dt=1 / 32, save_every=1.0, method="rk4")
    m.aux("input", F.const(100, "yuan") * F.exp(F.const(g, "1/year") * m.time), "yuan")
    m.trend("tr", m["input"], tau, "yuan", initial_trend=g)
    m.forecast("fc", m["input"], tau, h, "yuan", initial_trend=g)
    ds = m.run()
    np.testing.assert_allclose(ds["tr"].values[0], g, rtol=1e-9)
    np.testing.assert_allclose(ds["fc"].values[0], ds["input"].values[0] * (1 + g * h), rtol=1e-9)
    assert ds["tr"].attrs["units"] == "1/(year)"


def test_floored_stock_is_max_zero_of_the_euler_step():
    # XMILE non_negative: stock 10 drained at 3 per year with dt 1 -> 10, 7, 4, 1, 0, 0 (Euler:
    # max(0, 1 - 3) at the fourth step); the flow keeps its value
    m = Model("floor", stop=6.0, dt=1.0)
    m.stock("water", 10.0, "m**3", floor=True)
    m.flow("drain", 3.0, "m**3/year", out_of="water")
    for backend in ("numpy", "scalar"):
        ds = m.build().run(backend=backend)
        np.testing.assert_array_equal(ds["water"].values[0], [10, 7, 4, 1, 0, 0, 0])
        np.testing.assert_array_equal(ds["drain"].values[0], 3.0)


def test_floored_stock_with_dt_limited_outflow_conserves_between_two_stocks():
    m = Model("pair", stop=5.0, dt=0.5, save_every=0.5)
    a = m.stock("A", 4.0, "t", floor=True)
    m.stock("B", 0.0, "t")
    m.flow("move", F.minimum(F.const(3, "t/year"), a / m.dt), "t/year", out_of="A", into="B")
    ds = m.run()
    np.testing.assert_allclose(ds["A"].values + ds["B"].values, 4.0, rtol=0, atol=1e-12)
    assert ds["A"].values.min() == 0.0 and ds["B"].values[0, -1] == 4.0


def test_dt_is_folded_in_and_a_run_with_another_dt_is_refused():
    m = Model("dt", stop=2.0, dt=0.5, save_every=0.5)
    m.aux("step_size", m.dt, "year")
    ds = m.run()
    np.testing.assert_array_equal(ds["step_size"].values, 0.5)
    with pytest.raises(ValueError, match=r"uses dt in its equations.*allowed: dt = 0.5"):
        m.run(dt=0.25)


def test_flow_out_of_a_list_gets_one_clear_error():
    m = Model("lists")
    m.stock("A", 1.0, "t")
    m.stock("B", 1.0, "t")
    with pytest.raises(ModelError, match=r"flow 'f': out_of=\['A', 'B'\]; allowed: the name of one stock"):
        m.flow("f", F.const(1, "t/year"), "t/year", out_of=["A", "B"])
    with pytest.raises(ModelError, match="drains and fills the same stock"):
        m.flow("g", F.const(1, "t/year"), "t/year", out_of="A", into="A")


@pytest.mark.parametrize("order", [0, 1.5, True])
def test_bad_order_is_refused(order):
    m = Model("o")
    with pytest.raises(ModelError, match=r"order=.*allowed: a whole number >= 1"):
        m.smooth("s", F.const(1, "t"), 1.0, "t", order=order)


def test_kernels_and_reference_agree(library):
    m, params, ds = library
    ref = m.build().run(params, backend="scalar")
    for v in ds.data_vars:
        np.testing.assert_allclose(ds[v].values, ref[v].values, rtol=1e-12, atol=1e-12, err_msg=v)


@pytest.mark.slow  # compiles a numba kernel
def test_numba_kernel_agrees(library):
    pytest.importorskip("numba")
    m, params, ds = library
    nb = m.build().run(params, backend="numba")
    for v in ds.data_vars:
        np.testing.assert_allclose(ds[v].values, nb[v].values, rtol=1e-12, atol=1e-12, err_msg=v)


def test_xmile_export_of_the_library_runs_the_same_in_pysd(tmp_path):
    pytest.importorskip("pysd")
    from jzsim.io import pysd_runner

    m = _library_model()
    ds = m.run()
    df = pysd_runner(m, tmp_path / "stdlib.xmile")()
    for v in ("x", "y", "sm", "dl", "tr", "fc", "maths", "flag"):
        np.testing.assert_allclose(df[v].values, ds[v].values[0], rtol=1e-9, atol=1e-12, err_msg=v)


# ------------------------------------------------------------------------- units friction
def test_plain_numbers_next_to_a_time_are_times():
    m = Model("clock", time_units="month", stop=30.0, dt=1.0)
    m.aux("late", F.where(m.time > 10, 1, 0), "1")
    m.aux("since", F.maximum(m.time - 20, 0), "month")
    m.aux("first", F.minimum(m.time, 5), "month")
    m.aux("stepped", F.step(2, 10), "1")
    ds = m.run()
    t = ds["time"].values
    np.testing.assert_array_equal(ds["late"].values[0], (t > 10).astype(float))
    np.testing.assert_array_equal(ds["since"].values[0], np.maximum(t - 20, 0))
    np.testing.assert_array_equal(ds["first"].values[0], np.minimum(t, 5))
    np.testing.assert_array_equal(ds["stepped"].values[0], np.where(t >= 10, 2.0, 0.0))


def test_plain_numbers_next_to_other_quantities_stay_dimensionless():
    m = Model("strict")
    m.aux("money", F.const(5, "yuan"), "yuan")
    m.aux("bad", m["money"] + 1, "yuan")
    with pytest.raises(Exception, match=r"cannot add money \[yuan\] and 1 \[1\]"):
        m.build()


def test_a_constant_flow_takes_its_declared_units():
    m = Model("tank", time_units="month", stop=5.0, dt=1.0)
    m.stock("tank", 10.0, "m**3")
    m.flow("out", 1, "m**3/month", out_of="tank")
    m.aux("level", 2.5, "m")
    ds = m.run()
    np.testing.assert_array_equal(ds["tank"].values[0], [10, 9, 8, 7, 6, 5])
    assert float(ds["level"][0, 0]) == 2.5


def test_fahrenheit_stock_with_a_rate_in_degrees_per_minute():
    # the teacup: d(T)/dt = (room - T) / tau, T0 = 180 degF, room 70 degF, tau 10 minutes;
    # exact solution T = room + (T0 - room) exp(-t / tau)
    m = Model("teacup", time_units="minute", stop=30.0, dt=1 / 64, save_every=1.0, method="rk4")
    room = m.param("room", 70.0, "degF")
    tau = m.param("tau", 10.0, "minute")
    T = m.stock("T", 180.0, "degF")
    m.flow("cooling", (T - room) / tau, "degF/minute", out_of="T")
    ds = m.run()
    t = ds["time"].values
    np.testing.assert_allclose(ds["T"].values[0], 70 + 110 * np.exp(-t / 10), rtol=1e-9)


def test_converting_between_offset_temperature_scales_is_refused_with_what_to_write():
    m = Model("mixed", time_units="minute")
    m.param("room", 21.0, "degC")
    m.stock("T", 180.0, "degF")
    m.flow("cooling", (m["T"] - m["room"]) / F.const(10, "minute"), "degF/minute", out_of="T")
    with pytest.raises(Exception, match=r"same scale \(all 'degF', or all 'degC', or 'kelvin'\)"):
        m.build()


def test_cubic_megametres_warn():
    with pytest.warns(UserWarning, match="Mm is the megametre.*million_m3"):
        Model("w").stock("reservoir", 1.0, "Mm**3")
    m = Model("w2")
    m.stock("reservoir", 1.0, "million_m3")
    m.flow("use", F.const(2e5, "m**3/year"), "m**3/year", out_of="reservoir")
    np.testing.assert_allclose(m.run(stop=1.0)["reservoir"].values[0, -1], 0.8)


def test_an_error_inside_a_smooth_names_the_users_call():
    m = Model("named")
    m.aux("price", F.const(3, "yuan"), "yuan")
    m.smooth("expected_price", m["price"], 2.0, "person", order=3)
    with pytest.raises(Exception, match=r"smooth 'expected_price' \(order 3\) of price, in its"):
        m.build()


# ------------------------------------------------------------------------- tables as data
def test_a_long_lookup_table_is_data_not_code():
    from jzsim.backends.numba_kernel import generate_source
    from jzsim.engine.codegen import UNROLL_MAX

    xs = np.linspace(0.0, 100.0, 3201)
    m = Model("long_table", stop=100.0, dt=0.5)
    m.aux("y", F.lookup(m.time, xs, np.sqrt(xs), x_units="year"), "1")
    src = generate_source(m.build())
    assert src.count("\n") < 400  # unrolled, it was a line per point (3,201 points did not compile in 240 s)
    assert "_XS0 = _np.array(" in src and "_interp_data(x, _XS0, _YS0)" in src
    short = Model("short_table", stop=1.0)
    short.aux("y", F.lookup(short.time, xs[:UNROLL_MAX], xs[:UNROLL_MAX], x_units="year"), "1")
    assert "_interp_data" not in generate_source(short.build())  # short tables stay branch-free selects


def test_long_table_lookup_equals_numpy_interp_at_and_between_points(library):
    _, _, ds = library
    xs = np.linspace(0.0, 12.0, 201)
    np.testing.assert_array_equal(ds["table"].values[0], np.interp(ds["time"].values, xs, np.sin(xs) * xs))
