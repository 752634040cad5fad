"""Validity domains apart from belief ranges (issue #20 item 2): every parameter declares the values
that make physical sense; overrides fix a parameter and are refused, one error each, when invalid."""

from __future__ import annotations

import math

import numpy as np
import pytest

import jzsim
from jzsim.engine import Model
from jzsim.engine.model import ModelError
from jzsim.engine.units import ureg
from jzsim.params import Domain, Parameter, check_joint, load_parameters, with_overrides


@pytest.fixture(scope="module")
def params():
    return load_parameters()


def test_every_plan_parameter_declares_a_domain_holding_its_value_and_range(params):
    for p in params.values():
        assert p.valid != Domain(), f"{p.name} has no validity domain"
        assert p.valid.contains(p.value)
        for b in (p.low, p.high):
            assert b is None or p.valid.contains(b)
    check_joint(params)  # the packaged data satisfies its own joint constraints


def test_shares_are_in_zero_one_and_years_near_the_horizon(params):
    for p in params.values():
        if p.units == "1" and "share" in p.name:
            assert 0 <= p.valid.low and p.valid.high <= 1, p.name
        if p.kind == "year":
            assert p.valid.low >= 2010 and p.valid.high <= 2050, p.name


@pytest.mark.parametrize(
    "text, inside, outside",
    [
        ("[0, 1]", [0.0, 1.0, 0.5], [-1e-9, 1.0000001]),
        ("(0, inf)", [1e-300, 1e300], [0.0, -1.0]),
        ("[-0.2, 0.2)", [-0.2], [0.2]),
    ],
)
def test_domain_parse_and_contains(text, inside, outside):
    d = Domain.parse(text)
    assert str(Domain.parse(str(d))) == str(d)
    assert all(d.contains(x) for x in inside) and not any(d.contains(x) for x in outside)


@pytest.mark.parametrize("text", ["0, 1", "[1, 0]", "[a, 1]", "[0; 1]", ""])
def test_malformed_domain_is_refused(text):
    with pytest.raises(ValueError, match="valid is"):
        Domain.parse(text)


def test_a_number_fixes_the_parameter_even_outside_the_belief_range(params):
    p = with_overrides(params, {"cluster_investment_share_health": 0.30, "attracted_investment": 30.0})
    h = p["cluster_investment_share_health"]
    assert (h.distribution, h.value, h.low, h.high) == ("fixed", 0.30, None, None)
    assert h.source.startswith("user: fixed at 0.3")
    a = p["attracted_investment"]  # belief range [0, 20]: 30 is valid, so it is allowed
    assert (a.distribution, a.value) == ("fixed", 30.0)
    assert params["attracted_investment"].distribution == "triangular"  # the input is not changed


def test_zero_is_applied_not_dropped(params):
    p = with_overrides(params, {"attracted_investment": 0, "tfp_growth": 0.0})
    assert p["attracted_investment"].value == 0.0 and p["attracted_investment"].distribution == "fixed"
    ds = jzsim.simulate(model=jzsim.plan_model(parameters=p))
    base = jzsim.simulate()
    assert float(ds["gdp_real"].sel(year=2030)[0]) < float(base["gdp_real"].sel(year=2030)[0])


# each hostile override: the message must name the parameter, the value and what is allowed
HOSTILE = [
    ({"reuse_rate_target": 35}, ["reuse_rate_target", "looks like a percent: 35 -> 0.35", "[0, 1]"]),
    ({"tfp_growth": True}, ["tfp_growth", "True", "bool"]),
    ({"tfp_growth": 5}, ["tfp_growth", "5 -> 0.05"]),
    ({"transfer_switch_year": 25}, ["transfer_switch_year", "two-digit year", "2025"]),
    ({"transfer_switch_year": 1990}, ["transfer_switch_year", "1990", "[2010, 2050]"]),
    ({"deep_depth_start": -5}, ["deep_depth_start", "-5", "[0, inf)"]),
    ({"depreciation_rate": -0.5}, ["depreciation_rate", "-0.5", "[0, 1]"]),
    ({"investment_rate": -0.5}, ["investment_rate", "-0.5", "[0, 1]"]),
    ({"aquifer_min_drain_time": 0}, ["aquifer_min_drain_time", "0", "[0.25, inf)"]),
    ({"tfp_growth": float("nan")}, ["tfp_growth", "nan", "not finite"]),
    ({"tfp_growth": float("inf")}, ["tfp_growth", "inf", "not finite"]),
    ({"tfp_growth": "0.1"}, ["tfp_growth", "'0.1'", "not a number"]),
    ({"tfp_growth": None}, ["tfp_growth", "None", "not a number"]),
    ({"tfp_growth": np.datetime64("2020")}, ["tfp_growth", "datetime64"]),
    ({"tfp_growth": range(3)}, ["tfp_growth", "range"]),
    ({"tfp_growth": [0.01, 0.02]}, ["tfp_growth", "list"]),
    ({"tfp_growth": ureg.Quantity(5, "m")}, ["tfp_growth", "meter", "1/year"]),
    ({"cluster_investment_share_health": 0.8}, ["cluster_investment", "1.4", "cluster_investment_share_health 0.8"]),
    ({"water_policy_year": 2020}, ["water_policy_year", "water_policy_start"]),
    ({"va_primary_base": 200}, ["gdp_base", "va_primary_base"]),
]


@pytest.mark.parametrize("override, fragments", HOSTILE, ids=[str(o) for o, _ in HOSTILE])
def test_hostile_override_gives_one_clear_error(params, override, fragments):
    with pytest.raises(ValueError) as info:
        with_overrides(params, override)
    msg = str(info.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


def test_unknown_and_non_string_names(params):
    with pytest.raises(KeyError, match="did you mean tfp_growth"):
        with_overrides(params, {"tfp_gowth": 0.01})
    with pytest.raises(KeyError, match="names are strings; got 123"):
        with_overrides(params, {123: 0.02})


def test_quantity_in_compatible_units_is_converted(params):
    p = with_overrides(params, {"tfp_growth": ureg.Quantity(1.5, "percent/year")})
    assert math.isclose(p["tfp_growth"].value, 0.015)


def test_simulate_checks_arrays_elementwise_and_refuses_masked_arrays():
    with pytest.raises(ValueError, match="index 1"):
        jzsim.simulate({"tfp_growth": np.array([0.01, np.nan])})
    with pytest.raises(ValueError, match="masked array"):
        jzsim.simulate({"tfp_growth": np.ma.masked_array([0.01, 0.02], [0, 1])})
    with pytest.raises(ValueError, match="looks like a percent"):
        jzsim.simulate({"reuse_rate_target": np.array([0.3, 35.0])})
    ds = jzsim.simulate({"tfp_growth": np.array([0.0, 0.02])})
    assert ds.sizes["draw"] == 2


def test_a_python_parameter_may_declare_a_domain():
    p = Parameter("x", "1", 0.4, 0.2, 0.6, "uniform", "assumption: test", valid="[0, 1]")
    assert p.kind == "share"
    with pytest.raises(ValueError, match="'x'.*1.5.*\\[0, 1\\]"):
        Parameter("x", "1", 1.5, valid="[0, 1]")
    with pytest.raises(ValueError, match="reserved"):
        Parameter("time", "year", 1.0)


def test_engine_refuses_nan_initial_zero_tau_negative_delay_unknown_member_and_time():
    m = Model("t")
    with pytest.raises(ModelError, match="stock 's': initial value is nan"):
        m.stock("s", float("nan"), "t")
    a = m.param("a", 1.0)
    with pytest.raises(ModelError, match="smooth 'sm': time constant tau is 0.0"):
        m.smooth1("sm", a, 0, "1")
    with pytest.raises(ModelError, match="delay1 'd': time constant tau is -1.0"):
        m.delay1("d", a, -1, "1")
    with pytest.raises(ModelError, match="'time' is reserved"):
        m.param("time", 1.0)
    m.group("g", "k", {"x": "aa"})
    with pytest.raises(ModelError, match="member 'aa' is not a declared variable; did you mean 'a'"):
        m.build()
