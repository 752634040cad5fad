"""Refusals: every bad declaration or run request fails early with a message that names the
equation or field, the offending value, and what is allowed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from jzsim.engine import Model, ModelError, UnitError, ureg
from jzsim.engine import functions as F


def growth_model(**kw) -> Model:
    m = Model("growth", stop=4.0, **kw)
    r = m.param("growth_rate", 0.1, units="1/year")
    x = m.stock("capital", 10.0, units="yiyuan")
    m.flow("investment", r * x, units="yiyuan/year", into="capital")
    return m


def message(excinfo) -> str:
    # str(KeyError) adds quotes; the first argument is the message as written
    return str(excinfo.value.args[0])


# ------------------------------------------------------------------------------------ units
def test_adding_cubic_metres_to_yuan_names_both_units():
    m = Model("u")
    water = m.param("water", 2.0, units="m**3")
    price = m.param("price", 3.0, units="yuan")
    m.aux("nonsense", water + price, units="yuan")
    with pytest.raises(UnitError) as e:
        m.build()
    msg = message(e)
    assert "aux 'nonsense'" in msg and "water + price" in msg
    assert "meter ** 3" in msg and "yuan" in msg
    assert "[length] ** 3" in msg and "[currency]" in msg
    assert "cannot add" in msg


def test_flow_not_in_stock_units_per_year_is_refused():
    m = Model("u")
    m.stock("grain", 1.0, units="t")
    m.flow("harvest", F.const(5.0, "m**3/year"), units="m**3/year", into="grain")
    with pytest.raises(UnitError) as e:
        m.build()
    msg = message(e)
    assert "flow 'harvest'" in msg and "stock 'grain'" in msg
    assert "meter ** 3 / year" in msg  # what it is
    assert "needs a rate in metric_ton / year" in msg  # what is allowed


def test_flow_declared_as_a_level_not_a_rate_is_refused():
    m = Model("u")
    m.stock("grain", 1.0, units="t")
    m.flow("harvest", F.const(5.0, "t"), units="t", into="grain")
    with pytest.raises(
        UnitError,
        match=r"flow 'harvest'.*has units metric_ton, but stock 'grain'.*"
        r"needs a rate in metric_ton / year",
    ):
        m.build()


def test_flow_expression_disagreeing_with_its_declared_units_is_refused():
    m = Model("u")
    r = m.param("r", 0.1, units="1/year")
    x = m.stock("x", 1.0, units="t")
    m.flow("f", r * x * x, units="t/year", into="x")
    with pytest.raises(UnitError) as e:
        m.build()
    msg = message(e)
    assert "flow 'f' = r * x * x" in msg and "metric_ton ** 2 / year" in msg
    assert "metric_ton / year is required" in msg


def test_exp_of_a_dimensioned_quantity_is_refused():
    m = Model("u")
    dist = m.param("distance", 2.0, units="km")
    m.aux("decay", F.exp(-dist), units="1")
    with pytest.raises(UnitError) as e:
        m.build()
    msg = message(e)
    assert "aux 'decay'" in msg and "exp" in msg and "distance" in msg
    assert "kilometer" in msg and "but 1 is required" in msg


def test_log_and_parameter_power_need_dimensionless_arguments():
    m = Model("u")
    a = m.param("a", 2.0, units="t")
    e = m.param("e", 0.5)
    m.aux("bad_log", F.log(a), units="1")
    with pytest.raises(UnitError, match=r"aux 'bad_log'.*log a has units metric_ton, but 1 is required"):
        m.build()
    m2 = Model("u")
    a = m2.param("a", 2.0, units="t")
    e = m2.param("e", 0.5)
    m2.aux("bad_pow", a**e, units="1")
    with pytest.raises(UnitError, match=r"aux 'bad_pow'.*base of a power.*metric_ton, but 1 is required"):
        m2.build()


def test_unknown_unit_is_refused_at_declaration():
    m = Model("u")
    with pytest.raises(UnitError, match=r"unknown units 'yaun/year'"):
        m.param("price", 1.0, units="yaun/year")


# ------------------------------------------------------------------------------------ names
def test_undefined_name_suggests_the_close_one():
    m = Model("u")
    m.param("population", 2.0, units="person")
    m.aux("doubled", m.ref("popluation") * 2, units="person")
    with pytest.raises(ModelError) as e:
        m.build()
    msg = message(e)
    assert "aux 'doubled'" in msg and "popluation * 2" in msg
    assert "undefined name 'popluation'" in msg and "did you mean population?" in msg


def test_name_declared_twice_is_refused():
    m = Model("u")
    m.param("rate", 2.0)
    with pytest.raises(ModelError) as e:
        m.aux("rate", 3.0, units="1")
    msg = message(e)
    assert "'rate' is declared twice" in msg and "already a param" in msg
    with pytest.raises(ModelError, match="'x' is declared twice: already a stock"):
        m.stock("x", 1.0, units="t")
        m.stock("x", 2.0, units="t")


def test_invalid_identifier_is_refused():
    with pytest.raises(ModelError, match=r"'water use' is not a valid identifier"):
        Model("u").param("water use", 1.0)


def test_algebraic_loop_lists_the_cycle():
    m = Model("u")
    x = m.stock("x", 1.0, units="1")
    m.aux("a", m.ref("b") + x, units="1")
    m.aux("b", m.ref("c") * 2, units="1")
    m.aux("c", m.ref("a") / 3, units="1")
    with pytest.raises(ModelError) as e:
        m.build()
    msg = message(e)
    assert "algebraic loop" in msg
    cycle = msg.split(": ", 1)[1].split(";")[0].split(" -> ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["a", "b", "c"]
    # the listed order is a real cycle: each name reads the next one
    reads = {"a": "b", "b": "c", "c": "a"}
    assert all(reads[p] == q for p, q in zip(cycle, cycle[1:]))
    assert "break it with a stock" in msg


def test_a_loop_through_a_stock_is_not_algebraic():
    m = Model("u", stop=2.0)
    x = m.stock("x", 1.0, units="t")
    a = m.aux("a", x * 2, units="t")
    m.flow("f", a / F.const(10.0, "year"), units="t/year", into="x")
    assert m.run()["x"].values[0, -1] > 1.0


def test_flow_into_an_undeclared_stock_is_refused():
    m = Model("u")
    m.stock("x", 1.0, units="t")
    m.flow("f", F.const(1.0, "t/year"), units="t/year", into="y")
    with pytest.raises(ModelError, match=r"flow 'f': into='y' is not a declared stock"):
        m.build()


# ------------------------------------------------------------------------- run-time values
def test_misspelt_parameter_override_suggests_the_close_one():
    m = growth_model()
    with pytest.raises(KeyError) as e:
        m.run(params={"growth_rat": 0.2})
    msg = message(e)
    assert "unknown parameter 'growth_rat'" in msg and "did you mean growth_rate?" in msg


def test_overriding_a_stock_as_a_parameter_says_what_it_is():
    with pytest.raises(KeyError) as e:
        growth_model().run(params={"capital": 5.0})
    assert "(it is a stock, not a parameter)" in message(e)


def test_nan_parameter_value_is_refused():
    with pytest.raises(ModelError) as e:
        Model("u").param("k", float("nan"), units="1/year")
    msg = message(e)
    assert "parameter 'k' value is nan" in msg and "allowed: a finite number" in msg
    with pytest.raises(ModelError, match=r"parameter 'k' value is inf; allowed: a finite number"):
        Model("u").param("k", float("inf"), units="1/year")


def test_nan_parameter_override_is_refused():
    m = growth_model()
    with pytest.raises(ValueError) as e:
        m.run(params={"growth_rate": np.array([0.1, np.nan, 0.3])})
    msg = message(e)
    assert "parameter 'growth_rate'" in msg and "nan" in msg and "allowed: finite numbers" in msg


def test_parameter_outside_its_declared_range_is_refused():
    with pytest.raises(ModelError, match=r"parameter 'r': value 0.9 is outside its range \[0.1, 0.5\]"):
        Model("u").param("r", 0.9, units="1/year", low=0.1, high=0.5)


def test_negative_initial_value_of_nonnegative_stock_is_refused():
    m = Model("u")
    with pytest.raises(ModelError) as e:
        m.stock("reservoir", -3.0, units="yi_m3", nonnegative=True)
    msg = message(e)
    assert "stock 'reservoir'" in msg and "-3.0" in msg and "allowed: >= 0" in msg
    assert "reservoir" not in m


def test_negative_computed_initial_value_of_nonnegative_stock_is_refused_at_run():
    m = Model("u", stop=2.0)
    v0 = m.param("v0", -3.0, units="t")
    m.stock("s", v0, units="t", nonnegative=True)
    with pytest.raises(FloatingPointError) as e:
        m.run()
    msg = message(e)
    assert "stock 's' is negative (-3 t) at time 0 in draw 0" in msg and "allowed: >= 0" in msg


def test_overdrained_nonnegative_stock_is_reported_with_time_and_draw():
    m = Model("u", stop=10.0)
    demand = m.param("demand", 30.0, units="t/year")
    m.stock("grain", 100.0, units="t", nonnegative=True)
    m.flow("eaten", demand, units="t/year", out_of="grain")
    with pytest.raises(FloatingPointError) as e:
        m.run(params={"demand": np.array([5.0, 30.0])})
    msg = message(e)
    # 100 - 30 t = -20 at t = 4, in draw 1 (draw 0 eats only 50 over the 10 years)
    assert "stock 'grain' is negative (-20 t) at time 4 in draw 1; allowed: >= 0" in msg


def test_quantity_override_with_wrong_dimension_is_refused():
    m = growth_model()
    with pytest.raises(ValueError) as e:
        m.run(params={"growth_rate": ureg.Quantity(0.1, "m")})
    msg = message(e)
    assert "parameter 'growth_rate'" in msg and "meter" in msg and "1/year" in msg
    assert "cannot be converted" in msg


def test_quantity_override_with_right_dimension_is_converted():
    m = growth_model()
    a = m.run(params={"growth_rate": ureg.Quantity(10.0, "percent/year")})
    b = m.run(params={"growth_rate": 0.1})
    np.testing.assert_allclose(a["capital"].values, b["capital"].values, rtol=1e-15)
    c = m.run(params={"growth_rate": ureg.Quantity(0.1 / 12, "1/month")})
    np.testing.assert_allclose(c["growth_rate"].values, [0.1], rtol=1e-12)


def test_string_and_2d_overrides_are_refused():
    m = growth_model()
    with pytest.raises(ValueError, match=r"parameter 'growth_rate' is the string '0.1'; allowed"):
        m.run(params={"growth_rate": "0.1"})
    with pytest.raises(ValueError, match=r"parameter 'growth_rate': got an array of shape \(2, 2\)"):
        m.run(params={"growth_rate": np.ones((2, 2))})


def test_override_lengths_must_agree():
    m = Model("u", stop=1.0)
    a = m.param("a", 1.0)
    b = m.param("b", 1.0)
    m.aux("c", a + b, units="1")
    with pytest.raises(ValueError, match=r"parameter 'b' has 3 values but the run has 2 draws"):
        m.run(params={"a": np.ones(2), "b": np.ones(3)})
    with pytest.raises(ValueError, match=r"parameter 'a' has 2 values but the run has 5 draws"):
        m.run(params={"a": np.ones(2)}, draws=5)


def test_expression_in_python_if_is_a_type_error():
    m = Model("u")
    P = m.stock("P", 1.0, units="t")
    K = m.param("K", 3.0, units="t")
    with pytest.raises(TypeError) as e:
        if P > K:
            pass
    msg = message(e)
    assert "Python control flow" in msg and "where(cond, a, b)" in msg
    with pytest.raises(TypeError):
        _ = (P > K) and (P < K)
    with pytest.raises(TypeError, match="cannot use str"):
        _ = P + "1"


# ------------------------------------------------------------------------------ time settings
def test_dt_not_dividing_the_period_is_refused():
    m = growth_model()
    with pytest.raises(ValueError) as e:
        m.run(dt=0.3)
    msg = message(e)
    assert "stop - start = 4.0 is not a whole multiple of dt = 0.3" in msg
    m2 = growth_model(dt=0.3)  # declared in the constructor: refused at the first run
    with pytest.raises(ValueError, match=r"stop - start = 4.0 is not a whole multiple of dt = 0.3"):
        m2.run()


def test_bad_run_settings_are_refused():
    m = growth_model()
    with pytest.raises(ValueError, match=r"save_every = 0.3 is not a whole multiple of dt = 0.25"):
        m.run(save_every=0.3)
    with pytest.raises(ValueError, match=r"run setting dt is -0.25; allowed: > 0"):
        m.run(dt=-0.25)
    with pytest.raises(ValueError, match=r"method is 'rk45'; allowed: 'euler', 'rk4'"):
        m.run(method="rk45")
    with pytest.raises(ValueError, match=r"stop 1.0 is before start 2.0"):
        m.run(start=2.0, stop=1.0)
    with pytest.raises(ValueError, match=r"unknown run setting 'sav_every'.*did you mean save_every"):
        m.run(sav_every=1.0)
    with pytest.raises(ValueError, match=r"run setting dt is nan; allowed: a finite number"):
        m.run(dt=float("nan"))


def test_nonfinite_result_names_variable_time_and_draw():
    m = Model("u", stop=4.0)
    d = m.param("d", 2.0, units="t")
    x = m.stock("x", 1.0, units="t")
    m.aux("ratio", x / (d - F.const(2.0, "t")) * 0.0, units="1")  # inf * 0 in draw 1
    with pytest.raises(FloatingPointError, match=r"'ratio' is nan at time 0 in draw 1"):
        with np.errstate(all="ignore"):
            m.run(params={"d": np.array([3.0, 2.0])})


def test_scalar_backend_reports_nan_power_like_numpy():
    m = Model("u", stop=2.0)
    a = m.param("a", -2.0)
    e = m.param("e", 0.5)
    m.aux("root", a**e, units="1")
    for backend in ("numpy", "scalar"):
        with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=r"'root' is nan at time 0"):
            m.build().run(backend=backend)


def test_huge_finite_results_whose_sum_overflows_are_not_reported_as_nonfinite():
    m = Model("u", stop=2.0)
    m.stock("x", 1e308, units="t")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflowing sum is looked past quietly: no RuntimeWarning
        ds = m.run(params=None, draws=3)  # the sum of all values overflows; every value is finite
    assert np.all(ds["x"].values == 1e308)


def test_mark_internal_hides_a_variable_and_refuses_an_unknown_name():
    m = Model("internal_probe", stop=1.0)
    m.param("k", 0.5, units="1/year")
    m.aux("helper", m.params.k * 2.0, units="1/year")
    m.mark_internal("helper")
    assert m.variables["helper"].internal and not m.variables["k"].internal
    with pytest.raises(ModelError, match=r"no variable 'helpr'.*did you mean helper"):
        m.mark_internal("helpr")


def test_a_nan_is_reported_where_it_appears_with_its_inputs_values():
    """The stock that inherits a NaN is not blamed: the auxiliary whose own inputs are finite is,
    with the parameter values of the draw (#20: a NaN names the inputs it depends on)."""
    m = Model("nan_origin", start=0, stop=3, dt=1)
    k = m.param("k", 2.0, units="1")
    s = m.stock("s", initial=1.0, units="t")
    rate = m.param("rate", 1.0, units="1/year")
    x = m.aux("x", F.log(k - 1.0), units="1")
    m.flow("inflow", rate * x * s, units="t/year", into="s")
    with pytest.raises(FloatingPointError) as err, np.errstate(invalid="ignore"):
        m.run({"k": [2.0, 0.5]})
    msg = str(err.value)
    assert msg.startswith("'x' is nan at time 0 in draw 1")
    assert "k=0.5 (parameter)" in msg
