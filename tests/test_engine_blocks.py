"""Building blocks, time inputs, unit conversion and conservation, each against a hand-computed
or closed-form value written in the test."""

from __future__ import annotations

import re

import numpy as np
import pytest

from jzsim.engine import Model
from jzsim.engine import functions as F

METHODS = ("euler", "rk4")
YEAR = F.const(1.0, "year")


def year(v: float):
    return F.const(v, "year")


# ------------------------------------------------------------------------------- time inputs
def test_step_ramp_pulse_at_whole_years():
    m = Model("inputs", stop=6.0, dt=0.25)
    m.aux("st", F.step(F.const(5.0, "t"), year(3.0)), units="t")
    m.aux("rp", F.ramp(F.const(2.0, "t/year"), year(1.0), year(4.0)), units="t")
    m.aux("pu", F.pulse(F.const(7.0, "t"), year(2.0), year(1.5)), units="t")
    ds = m.run()
    np.testing.assert_array_equal(ds["time"].values, np.arange(7.0))
    np.testing.assert_array_equal(ds["st"].values[0], [0, 0, 0, 5, 5, 5, 5])
    np.testing.assert_array_equal(ds["rp"].values[0], [0, 0, 2, 4, 6, 6, 6])
    np.testing.assert_array_equal(ds["pu"].values[0], [0, 0, 7, 7, 0, 0, 0])  # on for 2 <= t < 3.5


def test_pulse_is_half_open_and_times_convert_units():
    m = Model("inputs", stop=4.0, dt=0.25, save_every=0.25)
    # start and width given in months: 24 months = 2 years, 18 months = 1.5 years
    m.aux("pu", F.pulse(F.const(1.0, "t"), F.const(24.0, "month"), F.const(18.0, "month")), units="t")
    ds = m.run()
    t = ds["time"].values
    np.testing.assert_array_equal(ds["pu"].values[0], np.where((t >= 2.0) & (t < 3.5), 1.0, 0.0))


@pytest.mark.parametrize("method", METHODS)
def test_pulse_into_a_stock_delivers_height_times_width(method):
    m = Model("p", stop=6.0, dt=0.25, method=method)
    acc = m.stock("acc", 0.0, units="t")  # noqa: F841
    m.flow("shipment", F.pulse(F.const(7.0, "t/year"), year(2.0), year(1.5)), units="t/year", into="acc")
    ds = m.run()
    # 7 t/year for 1.5 years = 10.5 t. Euler: left sums, on from the step starting at t = 2.
    # RK4: the step ending at t = 2 already sees the pulse in k4 (weight dt/6: 7 * 0.25 / 6 = 7/24),
    # the step ending at t = 3.5 misses it in k4 by the same amount, so the total is exact again.
    assert ds["acc"].values[0, -1] == pytest.approx(10.5, rel=1e-15)
    early = 0.0 if method == "euler" else 7.0 / 24.0
    np.testing.assert_allclose(ds["acc"].values[0], [0, 0, early, 7.0 + early, 10.5, 10.5, 10.5], rtol=1e-15, atol=0)


@pytest.mark.parametrize("method", METHODS)
def test_ramp_into_a_stock_integrates_to_the_piecewise_quadratic(method):
    # inflow = 2 (t - 1) on [1, 4], 6 after  ->  stock = (t - 1)^2 on [1, 4], 9 + 6 (t - 4) after
    m = Model("r", stop=8.0, dt=0.25, method=method)
    m.stock("acc", 0.0, units="t")
    m.flow("inflow", F.ramp(F.const(2.0, "t/year**2"), year(1.0), year(4.0)), units="t/year", into="acc")
    ds = m.run(save_every=0.25)
    t = ds["time"].values
    exact = np.where(t < 1, 0.0, np.where(t <= 4, (t - 1) ** 2, 9 + 6 * (t - 4)))
    if method == "rk4":  # Simpson's rule is exact on linear pieces with kinks on the grid
        np.testing.assert_allclose(ds["acc"].values[0], exact, rtol=1e-13, atol=1e-13)
    else:  # Euler is the left Riemann sum: short by dt/2 per unit slope, dt * 2 / 2 = 0.25 on the ramp
        np.testing.assert_allclose(ds["acc"].values[0][t >= 4], exact[t >= 4] - 0.75, rtol=1e-13)


def test_lookup_interpolates_and_is_flat_outside():
    m = Model("lk", stop=6.0, dt=0.25, save_every=0.5)
    m.aux("tbl", F.lookup(m.time, [1.0, 3.0, 5.0], [10.0, 30.0, 0.0], x_units="year", units="t"), units="t")
    ds = m.run()
    t = ds["time"].values
    want = np.interp(t, [1.0, 3.0, 5.0], [10.0, 30.0, 0.0])
    np.testing.assert_array_equal(ds["tbl"].values[0], want)
    by_hand = {0.0: 10, 0.5: 10, 1.0: 10, 1.5: 15, 2.0: 20, 3.0: 30, 4.0: 15, 4.5: 7.5, 5.0: 0, 6.0: 0}
    for tt, v in by_hand.items():
        assert ds["tbl"].sel(time=tt).values[0] == v, tt


def test_lookup_converts_its_input_to_the_table_units():
    m = Model("lk", stop=1.0)
    d = m.param("distance", 2.0, units="km")
    m.aux("cost", F.lookup(d, [0.0, 1000.0, 3000.0], [0.0, 1.0, 2.0], x_units="m", units="yuan"), units="yuan")
    ds = m.run(params={"distance": np.array([-1.0, 0.5, 2.0, 9.0])})
    np.testing.assert_array_equal(ds["cost"].values[:, 0], [0.0, 0.5, 1.5, 2.0])


def test_lookup_rejects_bad_tables():
    with pytest.raises(ValueError, match=r"xs must be strictly increasing; got \[0.0, 2.0, 1.0\]"):
        F.lookup(1.0, [0.0, 2.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"same length >= 2"):
        F.lookup(1.0, [0.0], [1.0])
    with pytest.raises(ValueError, match=r"finite"):
        F.lookup(1.0, [0.0, 1.0], [1.0, float("nan")])


# -------------------------------------------------------------------------------- smoothing
def _smooth_model(method, order, t0=0.0, h=10.0, tau=3.0, stop=20.0):
    m = Model("sm", stop=stop, dt=0.25, method=method)
    hh = m.param("h", h, units="t")
    ta = m.param("tau", tau, units="year")
    block = m.smooth1 if order == 1 else m.smooth3
    block("out", F.step(hh, year(t0)), ta, units="t", initial=F.const(0.0, "t"))
    return m


def test_smooth1_rk4_matches_first_order_step_response():
    ds = _smooth_model("rk4", 1).run()
    t = ds["time"].values
    err = np.max(np.abs(ds["out"].values[0] - 10 * (1 - np.exp(-t / 3.0)))) / 10
    assert err < 5e-7  # measured 1.58e-7


@pytest.mark.parametrize("t0", [0.0, 2.0])
def test_smooth1_euler_matches_the_discrete_step_response(t0):
    # x_{n+1} = x_n + dt (h - x_n) / tau  ->  x = h (1 - (1 - dt/tau)^((t - t0)/dt)) from t0 on
    ds = _smooth_model("euler", 1, t0=t0).run(save_every=0.25)
    t = ds["time"].values
    n = np.maximum(t - t0, 0) / 0.25
    want = 10 * (1 - (1 - 0.25 / 3.0) ** n)
    np.testing.assert_allclose(ds["out"].values[0], want, rtol=1e-13, atol=1e-13)


def test_smooth3_matches_third_order_step_response():
    # three stages of tau/3: out = h (1 - e^-u (1 + u + u^2/2)), u = 3 t / tau
    rk4, euler = _smooth_model("rk4", 3).run(), _smooth_model("euler", 3).run()
    t = rk4["time"].values
    u = 3 * t / 3.0
    exact = 10 * (1 - np.exp(-u) * (1 + u + u**2 / 2))
    assert np.max(np.abs(rk4["out"].values[0] - exact)) / 10 < 1.5e-4  # measured 4.65e-5
    assert np.max(np.abs(euler["out"].values[0] - exact)) / 10 < 0.06  # measured 4.10e-2
    # a third-order smooth starts slower than a first-order one with the same tau
    first = _smooth_model("rk4", 1).run()
    assert np.all(rk4["out"].values[0, 1:4] < first["out"].values[0, 1:4])


@pytest.mark.parametrize("order", [1, 3])
def test_smooth_starts_at_its_input_and_stays_there(order):
    m = Model("sm", stop=10.0)
    v = m.param("v", 7.0, units="t")
    (m.smooth1 if order == 1 else m.smooth3)("out", v, year(2.0), units="t")
    ds = m.run()
    np.testing.assert_array_equal(ds["out"].values[0], np.full(11, 7.0))
    assert set(ds.data_vars) == {"out", "v"}  # internal stages and flows are not reported


# ----------------------------------------------------------------------------------- delays
def _delay_model(order, method, input_expr=None, initial=None, stop=30.0):
    m = Model("dl", stop=stop, dt=0.25, method=method)
    tau = m.param("tau", 4.0, units="year")
    inp = F.const(5.0, "t/year") if input_expr is None else input_expr
    (m.delay1 if order == 1 else m.delay3)("out", inp, tau, units="t/year", initial=initial)
    m.stock("sent", 0.0, units="t")
    m.flow("sending", inp, units="t/year", into="sent")
    m.stock("arrived", 0.0, units="t")
    m.flow("arriving", m.ref("out"), units="t/year", into="arrived")
    return m


@pytest.mark.parametrize("order", [1, 3])
def test_delay_of_a_constant_input_is_that_constant(order):
    ds = _delay_model(order, "euler").run()
    np.testing.assert_allclose(ds["out"].values[0], 5.0, rtol=1e-14)


@pytest.mark.parametrize("order", [1, 3])
def test_delay_conserves_material_with_euler(order):
    # in transit (the delay's internal stocks) + arrived == initially in transit + sent, to rounding
    pulse = F.pulse(F.const(10.0, "t/year"), year(1.0), year(2.0))
    m = _delay_model(order, "euler", input_expr=pulse, initial=F.const(0.0, "t/year"))
    cm = m.build()
    rs = cm.settings_for({"save_every": 0.25})
    _, P = cm.param_arrays(None, None)
    out = cm.integrate(P, rs)
    row = {n: i for i, n in enumerate(cm.output_names)}
    transit_rows = [row[v.name] for v in cm.stocks if v.internal]
    assert len(transit_rows) == order
    in_transit = out[transit_rows, 0, :].sum(axis=0)
    sent, arrived = out[row["sent"], 0], out[row["arrived"], 0]
    np.testing.assert_allclose(in_transit + arrived, sent, rtol=1e-13, atol=1e-12)
    assert sent[-1] == pytest.approx(20.0, rel=1e-15)
    assert arrived[-1] == pytest.approx(20.0, rel=1e-2)  # after 7 time constants almost all arrived


@pytest.mark.parametrize("order", [1, 3])
def test_delay_step_response_matches_closed_form(order):
    # empty pipeline, constant input h from t=0: DELAY1 -> h (1 - e^{-t/tau});
    # DELAY3 -> h (1 - e^{-u} (1 + u + u^2/2)), u = 3 t / tau
    ds = _delay_model(order, "rk4", initial=F.const(0.0, "t/year")).run()
    t = ds["time"].values
    u = order * t / 4.0
    shape = 1 - np.exp(-u) * (1 if order == 1 else (1 + u + u**2 / 2))
    np.testing.assert_allclose(ds["out"].values[0], 5.0 * shape, rtol=0, atol=5e-4)


# ------------------------------------------------------------------------- nonnegative stocks
@pytest.mark.parametrize("demand", [7.0, 30.0, 95.0, 1000.0])
@pytest.mark.parametrize("dt", [0.25, 0.5, 1.0])
def test_stock_drained_by_a_limited_outflow_never_goes_negative(demand, dt):
    m = Model("drain", stop=12.0, dt=dt)
    d = m.param("demand", demand, units="t/year")
    x = m.stock("grain", 100.0, units="t", nonnegative=True)
    # never more than is there: minimum(demand, maximum(0, stock) / dt)
    m.flow("eaten", F.minimum(d, F.maximum(F.const(0.0, "t"), x) / year(dt)), units="t/year", out_of="grain")
    m.stock("eaten_total", 0.0, units="t")
    m.flow("eating", m.ref("eaten"), units="t/year", into="eaten_total")
    ds = m.run(save_every=dt)
    g = ds["grain"].values[0]
    assert np.all(g >= 0.0)
    np.testing.assert_allclose(g + ds["eaten_total"].values[0], 100.0, rtol=1e-14)
    t = ds["time"].values
    np.testing.assert_allclose(g, np.maximum(100.0 - demand * t, 0.0), rtol=1e-14, atol=1e-12)
    assert g[-1] == 0.0 if demand * 12.0 >= 100.0 else g[-1] > 0.0


# ------------------------------------------------------------------------------- SIR epidemic
def _sir(method, stop=60.0):
    m = Model("sir", stop=stop, dt=0.25, method=method)
    N = m.param("N", 1000.0, units="person")
    beta = m.param("beta", 0.5, units="1/year")
    gamma = m.param("gamma", 0.2, units="1/year")
    S = m.stock("S", 990.0, units="person", nonnegative=True)
    I = m.stock("I", 10.0, units="person", nonnegative=True)  # noqa: E741
    m.stock("R", 0.0, units="person", nonnegative=True)
    m.flow("infection", beta * S * I / N, units="person/year", out_of="S", into="I")
    m.flow("recovery", gamma * I, units="person/year", out_of="I", into="R")
    return m


@pytest.mark.parametrize("method", METHODS)
def test_sir_population_is_conserved_to_rounding(method):
    ds = _sir(method).run(save_every=0.25, params={"beta": np.array([0.3, 0.5, 0.9])})
    total = ds["S"].values + ds["I"].values + ds["R"].values
    np.testing.assert_allclose(total, 1000.0, rtol=1e-14)  # measured |error| <= 1.2e-12
    assert ds["R"].values[1, -1] > 850  # the epidemic did happen (R0 = 2.5)


def test_sir_rk4_keeps_the_first_integral():
    # dS/dR = -(beta/gamma) S / N  ->  ln(S/S0) + R0 (R - R(0)) / N = 0 along the solution
    ds = _sir("rk4").run(save_every=0.25)
    inv = np.log(ds["S"].values[0] / 990.0) + 2.5 * ds["R"].values[0] / 1000.0
    assert np.max(np.abs(inv)) < 5e-8  # measured 8.2e-9


def test_sir_final_size_solves_the_final_size_equation():
    # with I -> 0: S_inf = S0 exp(-R0 (N - S_inf) / N); solve it by fixed-point iteration
    s_inf = 0.0
    for _ in range(200):
        s_inf = 990.0 * np.exp(-2.5 * (1000.0 - s_inf) / 1000.0)
    assert 990.0 * np.exp(-2.5 * (1000.0 - s_inf) / 1000.0) == pytest.approx(s_inf, rel=1e-15)
    ds = _sir("rk4", stop=120.0).run()
    assert ds["I"].values[0, -1] < 1e-3
    assert ds["S"].values[0, -1] == pytest.approx(s_inf, rel=1e-6)
    assert ds["R"].values[0, -1] == pytest.approx(1000.0 - s_inf, rel=1e-6)


# --------------------------------------------------------------------------- unit conversion
def _water(in_m3: bool, method="rk4"):
    m = Model("water", stop=10.0, method=method)
    k = m.param("k", 0.08, units="1/year")
    w = m.stock("reservoir", 10.0, units="yi_m3")
    if in_m3:
        recharge = m.param("recharge", 3.0e8, units="m**3/year")
        m.flow("inflow", recharge, units="m**3/year", into="reservoir")
        m.flow("outflow", k * w, units="m**3/year", out_of="reservoir")  # expr in yi_m3/year
    else:  # converted by hand: 3e8 m3/year = 3 yi_m3/year
        recharge = m.param("recharge", 3.0, units="yi_m3/year")
        m.flow("inflow", recharge, units="yi_m3/year", into="reservoir")
        m.flow("outflow", k * w, units="yi_m3/year", out_of="reservoir")
    return m


@pytest.mark.parametrize("method", METHODS)
def test_flow_in_cubic_metres_into_a_stock_in_yi_m3_is_converted(method):
    a, b = _water(True, method).run(), _water(False, method).run()
    np.testing.assert_allclose(a["reservoir"].values, b["reservoir"].values, rtol=1e-14)
    # flows are reported in their declared units
    np.testing.assert_allclose(a["outflow"].values, 1e8 * b["outflow"].values, rtol=1e-14)
    np.testing.assert_allclose(a["inflow"].values, 3.0e8, rtol=0)
    # and the level follows W = 37.5 + (10 - 37.5) e^{-0.08 t}
    t = a["time"].values
    np.testing.assert_allclose(
        a["reservoir"].values[0], 37.5 - 27.5 * np.exp(-0.08 * t), rtol=1e-8 if method == "rk4" else 2e-2
    )
    assert a["reservoir"].attrs["units"] == "yi_m3" and a["inflow"].attrs["units"] == "m**3/year"


def test_mixed_currency_scales_are_converted_in_sums():
    m = Model("money", stop=1.0)
    a = m.param("a", 3.0, units="yiyuan")
    b = m.param("b", 5000.0, units="wanyuan")  # 0.5 yiyuan
    m.aux("total", a + b, units="yiyuan")
    m.aux("total_wan", a + b, units="wanyuan")
    m.aux("total_yuan", b + a, units="yuan")
    ds = m.run()
    assert ds["total"].values[0, 0] == pytest.approx(3.5, rel=1e-15)
    assert ds["total_wan"].values[0, 0] == pytest.approx(35000.0, rel=1e-15)
    assert ds["total_yuan"].values[0, 0] == pytest.approx(3.5e8, rel=1e-15)


def test_percent_aux_is_100_times_the_ratio():
    m = Model("pct", stop=3.0)
    part = m.param("part", 3.0, units="wan_mu")
    whole = m.param("whole", 12.0, units="wan_mu")
    m.aux("share", part / whole, units="percent")
    m.aux("ratio", part / whole, units="1")
    parts = np.array([0.0, 1.0, 3.0, 7.5, 12.0])
    ds = m.run(params={"part": parts})
    np.testing.assert_allclose(ds["share"].values, 100 * ds["ratio"].values, rtol=1e-15)
    np.testing.assert_allclose(ds["share"].values[:, 0], 100 * parts / 12.0, rtol=1e-15)
    assert ds["share"].values[2, 0] == pytest.approx(25.0, rel=1e-15)


def test_percent_parameter_is_a_fraction_in_equations():
    def build(units, value):
        m = Model("g", stop=10.0, method="rk4")
        r = m.param("r", value, units=units)
        x = m.stock("x", 100.0, units="t")
        m.flow("g", r * x, units="t/year", into="x")
        return m.run()

    a, b = build("percent/year", 5.0), build("1/year", 0.05)
    np.testing.assert_allclose(a["x"].values, b["x"].values, rtol=1e-14)
    assert a["x"].values[0, -1] == pytest.approx(100 * np.exp(0.5), rel=1e-8)


# ------------------------------------------------------------------------------- constant stocks
def _base_stock_model(method: str) -> Model:
    """A stock with no flows holds a start-year value (the plan model's ``*_base`` stocks); a flow
    divides by it. Closed form: ``P(t) = P0 * exp(g * t)``, since ``B == b0``."""
    m = Model("base_stock", stop=5.0, dt=0.125, method=method)
    g = m.param("g", 0.1, units="1/year")
    b0 = m.param("b0", 4.0, units="t")
    m.stock("B", initial=b0, units="t")  # no inflow, no outflow: constant
    P = m.stock("P", initial=2.0, units="t")
    m.aux("ratio", m["B"] / b0, units="1")
    m.flow("grow", g * P * (m["B"] / b0), units="t/year", into="P")
    return m


@pytest.mark.slow  # compiles a numba kernel
@pytest.mark.parametrize("method", METHODS)
def test_a_stock_without_flows_is_a_constant_and_every_backend_agrees(method):
    cm = _base_stock_model(method).build()
    assert cm.constant_stocks == {"B"}
    params = {"g": np.array([0.05, 0.1, 0.2]), "b0": np.array([1.0, 4.0, 1e6])}
    runs = {b: cm.run(params, backend=b) for b in ("scalar", "numpy", "numba")}
    for b, ds in runs.items():
        # the constant stock keeps its initial value exactly, at every saved time
        np.testing.assert_array_equal(ds["B"].values, np.repeat(params["b0"][:, None], 6, axis=1), err_msg=b)
        np.testing.assert_array_equal(ds["ratio"].values, 1.0, err_msg=b)
        for name in ds.data_vars:
            np.testing.assert_allclose(ds[name].values, runs["scalar"][name].values, rtol=1e-12, err_msg=f"{b} {name}")
    # and the run is still the model's: Euler/RK4 of dP/dt = g P stays close to the closed form
    exact = 2.0 * np.exp(params["g"][:, None] * np.arange(6.0))
    np.testing.assert_allclose(runs["numpy"]["P"].values, exact, rtol=2e-2 if method == "euler" else 1e-8)


def test_expressions_of_constant_stocks_are_hoisted_out_of_the_time_loop():
    pytest.importorskip("numba")
    from jzsim.backends.numba_kernel import generate_source
    from jzsim.engine.kernel_numpy import generate_source as numpy_source

    cm = _base_stock_model("euler").build()
    src = generate_source(cm)
    euler = src[src.index("def _euler(") : src.index("def _save(")]
    used = [line for line in euler.splitlines() if "s_B" in line and not line.strip().startswith("s_B = W[")]
    assert used == []  # B / b0 is computed once per block, and B is never stepped
    init = src[src.index("def _init(") : src.index("def _deriv(")]
    assert "(s_B / p_b0)" in init
    np_src, _ = numpy_source(cm)
    rates = np_src[np_src.index("def _rates(") : np_src.index("def _save(")]
    assert "s_B / p_b0" not in rates
    consts = np_src[np_src.index("def _consts(") : np_src.index("def _init(")]
    assert "(s_B / p_b0)" in consts


# ------------------------------------------------------------------------------- numpy buffer pool
def _aliasing_model() -> Model:
    """Names that share arrays: a flow that is a stock itself (``dX/dt = V``, with V stepped
    before X), an auxiliary that is another auxiliary, and a chain long enough that pool buffers
    are reused. Harmonic oscillator: ``X'' = -w^2 X``."""
    m = Model("aliases", stop=3.0, dt=0.25)
    w = m.param("w", 1.5, units="1/year")
    V = m.stock("V", initial=0.0, units="t/year")  # declared first: stepped before X
    X = m.stock("X", initial=1.0, units="t")
    m.flow("fx", V, units="t/year", into="X")  # the derivative of X is V's own array
    m.flow("fv", -w * w * X, units="t/year/year", into="V")
    a = m.aux("a", X * 2.0 + V * F.const(1.0, "year"), units="t")
    b = m.aux("b", a, units="t")  # a bare reference: b shares a's array
    m.aux("c", (b - a) + X / (X * X / F.const(1.0, "t") + F.const(10.0, "t")) * F.const(1.0, "t"), units="t")
    # a is dead after b and c: its buffer must stay b's while b is used below
    e = m.aux("e", b * 0.0 + F.exp(X / F.const(1.0, "t") * 0.1) * F.const(1.0, "t"), units="t")
    m.aux("d", b + e, units="t")
    return m


def test_numpy_buffer_pool_reads_every_derivative_at_the_old_state():
    cm = _aliasing_model().build()
    params = {"w": np.array([0.5, 1.5, 3.0])}
    ref = cm.run(params, backend="scalar")
    got = cm.run(params, backend="numpy")
    for name in ref.data_vars:
        np.testing.assert_allclose(got[name].values, ref[name].values, rtol=1e-14, atol=1e-300, err_msg=name)
    np.testing.assert_array_equal(got["c"].values, ref["c"].values)


def test_numpy_step_functions_write_into_a_bounded_pool_of_buffers(plan_cm):
    from jzsim.engine.kernel_numpy import generate_source

    cm = plan_cm
    src, _ = generate_source(cm)
    rates = src[src.index("def _rates(") : src.index("def _save(")]
    ops = rates.count("out=_b")
    n_buffers = int(src.split("N_BUFFERS = ")[1].split()[0])
    assert ops > 200  # every arithmetic operation of the rates
    # every flow keeps its buffer until the derivatives are summed; the other values share
    # buffers once they are dead (without reuse they would need one each)
    held = len(re.findall(r"^\s+f_\w+ = _b\d+", rates, re.M))
    assert n_buffers - held < (len(cm.rate_names) - held) / 2


def test_numpy_kernel_computes_a_repeated_subexpression_once():
    from jzsim.engine.kernel_numpy import generate_source

    m = Model("repeats", stop=2.0, dt=0.5)
    g = m.param("g", 0.1, units="1/year")
    X = m.stock("X", initial=1.0, units="t")
    Y = m.stock("Y", initial=3.0, units="t")
    s = X + Y  # occurs in three equations, once inside another repeated one
    m.flow("fx", g * (s * 2.0), units="t/year", into="X")
    m.flow("fy", g * (s * 2.0) - g * s, units="t/year", into="Y")
    m.aux("z", s / F.const(4.0, "t"), units="1")
    cm = m.build()
    src, _ = generate_source(cm)
    rates = src[src.index("def _rates(") : src.index("def _save(")]
    assert rates.count("_np.add(s_X, s_Y") == 1
    assert rates.count(", 2.0, out=") == 1  # (X + Y) * 2.0 once
    params = {"g": np.array([0.1, 0.3])}
    a, b = cm.run(params, backend="numpy"), cm.run(params, backend="scalar")
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
