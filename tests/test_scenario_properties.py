"""Property tests (hypothesis): malformed scenario files and overrides are refused, one error each,
naming the field (issue #20, Validation).

Malformed-input classes covered here (see also tests/test_params_domain.py and tests/test_cli.py):
unknown top-level keys, unknown table keys, unknown parameter names (with "did you mean"), wrong
types (bool, date, time, list, table, quoted number), NaN and infinities, values outside the
validity domain, percents typed for shares, strings with units of the wrong dimension, schedule
years outside the horizon, unknown schedule kinds and fields, ramps that end before they start,
table schedules out of order, a base that does not exist, a base that refers to itself or back
through another file, malformed TOML. Zeros are applied, never dropped.
"""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jzsim.params import load_parameters, with_overrides
from jzsim.scenarios import Scenario, ScenarioError, apply_scenario, builtin_names, resolve
from jzsim.scenarios.scenario import TOP_KEYS
from jzsim.scenarios.schedule import KINDS

PARAMS = load_parameters()
NAMES = sorted(PARAMS)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def toml_text(body: str, name: str = "case") -> str:
    return f'name = "{name}"\n{body}'


def refused(text: str, *fragments: str, apply: bool = True) -> str:
    """The error message of reading (and applying) ``text``; it must be one line naming every fragment."""
    with pytest.raises(ScenarioError) as info:
        s = Scenario.from_toml(text, origin="case.toml")
        if apply:
            apply_scenario(s)
    msg = str(info.value)
    assert "\n" not in msg, msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


@st.composite
def typo(draw, word: str) -> str:
    """``word`` with one character deleted, replaced, inserted or two swapped."""
    i = draw(st.integers(0, len(word) - 1))
    op = draw(st.sampled_from(["del", "sub", "ins", "swap"]))
    c = draw(st.sampled_from(string.ascii_lowercase))
    if op == "del":
        w = word[:i] + word[i + 1 :]
    elif op == "sub":
        w = word[:i] + c + word[i + 1 :]
    elif op == "ins":
        w = word[:i] + c + word[i:]
    else:
        i = min(i, len(word) - 2)
        w = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return w


# ------------------------------------------------------------------------------ names
@SETTINGS
@given(data=st.data())
def test_unknown_top_level_key_is_refused_with_did_you_mean(data):
    key = data.draw(st.sampled_from(["description", "reasoning", "plan_lines", "schedules", "uncertainty"]))
    bad = data.draw(typo(key))
    assume(bad not in TOP_KEYS and bad.isidentifier())
    msg = refused(toml_text(f'{bad} = "x"\n'), f"unknown key {bad!r}", apply=False)
    assert "did you mean" in msg


@SETTINGS
@given(data=st.data())
def test_unknown_parameter_is_refused_with_did_you_mean(data):
    name = data.draw(st.sampled_from(NAMES))
    bad = data.draw(typo(name))
    assume(bad not in PARAMS and bad.isidentifier())
    table = data.draw(st.sampled_from(["params", "schedules", "uncertainty"]))
    body = {
        "params": f"[params]\n{bad} = 0.1\n",
        "schedules": f'[schedules.{bad}]\nkind = "constant"\nvalue = 0.1\n',
        "uncertainty": f'[uncertainty.{bad}]\ndistribution = "uniform"\nlow = 0.0\nhigh = 0.1\n',
    }[table]
    msg = refused(toml_text(body), f"[{table}] unknown parameter {bad!r}")
    assert "did you mean" in msg
    with pytest.raises(KeyError, match=bad):
        with_overrides(PARAMS, {bad: 0.1})


@SETTINGS
@given(data=st.data())
def test_unknown_schedule_kind_and_field_are_refused(data):
    kind = data.draw(st.sampled_from(list(KINDS)))
    bad_kind = data.draw(typo(kind))
    assume(bad_kind not in KINDS)
    refused(toml_text(f'[schedules.tfp_growth]\nkind = "{bad_kind}"\n'), "[schedules.tfp_growth].kind", apply=False)
    field = data.draw(st.sampled_from(KINDS[kind]))
    bad_field = data.draw(typo(field))
    assume(bad_field not in KINDS[kind] and bad_field != "kind" and bad_field.isidentifier())
    refused(
        toml_text(f'[schedules.tfp_growth]\nkind = "{kind}"\n{bad_field} = 1\n'),
        f"unknown field {bad_field!r}",
        apply=False,
    )


# ------------------------------------------------------------------------------ types and values
WRONG_TYPES = st.sampled_from(["true", "false", "1979-05-27", "07:32:00", "[0.1, 0.2]", "{ a = 1 }", '"0.1"', '""'])


@SETTINGS
@given(name=st.sampled_from(NAMES), value=WRONG_TYPES)
def test_wrong_types_in_params_are_refused_naming_the_parameter(name, value):
    refused(toml_text(f"[params]\n{name} = {value}\n"), name)


@SETTINGS
@given(name=st.sampled_from(NAMES), value=st.sampled_from(["nan", "inf", "-inf", "+nan"]))
def test_nan_and_infinity_are_refused(name, value):
    refused(toml_text(f"[params]\n{name} = {value}\n"), name, "finite")


@SETTINGS
@given(data=st.data())
def test_out_of_domain_values_are_refused_naming_value_and_domain(data):
    p = PARAMS[data.draw(st.sampled_from(NAMES))]
    d = p.valid
    sides = [s for s in ("low", "high") if math.isfinite(getattr(d, s))]
    assume(sides)
    side = data.draw(st.sampled_from(sides))
    edge = getattr(d, side)
    gap = data.draw(st.floats(1e-6, 1e6))
    v = edge - gap if side == "low" else edge + gap
    assume(math.isfinite(v) and not d.contains(v))
    msg = refused(toml_text(f"[params]\n{p.name} = {v!r}\n"), p.name, str(d))
    if p.kind == "share" and 1 < v <= 100 and d.contains(v / 100):
        assert "looks like a percent" in msg
    with pytest.raises(ValueError, match=p.name):
        with_overrides(PARAMS, {p.name: v})


@SETTINGS
@given(data=st.data())
def test_any_valid_value_fixes_the_parameter_even_outside_the_belief_range(data):
    p = PARAMS[data.draw(st.sampled_from([n for n in NAMES if not PARAMS[n].whole and not PARAMS[n].above]))]
    d = p.valid
    lo = d.low if math.isfinite(d.low) else -1e6
    hi = d.high if math.isfinite(d.high) else 1e6
    v = data.draw(st.floats(lo, hi))
    assume(d.contains(v))
    others = [q for q in PARAMS.values() if q.above == p.name]
    assume(all(q.value > v for q in others))
    out = with_overrides(PARAMS, {p.name: v})[p.name]
    assert (out.value, out.distribution) == (v, "fixed")
    s, _ = apply_scenario(Scenario.from_toml(toml_text(f"[params]\n{p.name} = {v!r}\n")))
    assert s[p.name].value == v


@SETTINGS
@given(name=st.sampled_from([n for n in NAMES if PARAMS[n].valid.contains(0.0) and not PARAMS[n].above]))
def test_zero_is_applied_not_dropped(name):
    assume(all(q.value > 0 for q in PARAMS.values() if q.above == name))
    assert with_overrides(PARAMS, {name: 0})[name].value == 0.0
    s, _ = apply_scenario(Scenario.from_toml(toml_text(f"[params]\n{name} = 0\n")))
    assert s[name].value == 0.0 and s[name].distribution == "fixed"


@SETTINGS
@given(
    name=st.sampled_from([n for n in NAMES if PARAMS[n].units not in ("m", "km")]),
    unit=st.sampled_from(["m", "kg", "s", "yuan"]),
)
def test_a_value_with_units_of_another_dimension_is_refused(name, unit):
    from jzsim.engine.units import ureg

    p = PARAMS[name]
    assume(ureg.Quantity(1, unit).dimensionality != ureg.Quantity(1, p.units).dimensionality)
    refused(toml_text(f'[params]\n{name} = "5 {unit}"\n'), name, "not convertible")
    with pytest.raises(ValueError, match=name):
        with_overrides(PARAMS, {name: ureg.Quantity(5, unit)})


# ------------------------------------------------------------------------------ years
YEARS_OUT = st.one_of(st.integers(-(10**6), 2009), st.integers(2051, 10**6))


@SETTINGS
@given(year=YEARS_OUT, kind=st.sampled_from(["step", "ramp", "table"]))
def test_schedule_years_outside_the_horizon_are_refused(year, kind):
    body = {
        "step": f"year = {year}\nbefore = 0.1\nafter = 0.2\n",
        "ramp": f"start = {year}\nend = 2060\nbefore = 0.1\nafter = 0.2\n",
        "table": f"years = [{year}, 2049]\nvalues = [0.1, 0.2]\n",
    }[kind]
    field = {"step": ".year", "ramp": ".start", "table": ".years[0]"}[kind]
    msg = refused(
        toml_text(f'[schedules.reuse_rate_target]\nkind = "{kind}"\n{body}'), field, "[2010, 2050]", apply=False
    )
    if 0 <= year < 100:
        assert "two-digit year" in msg


@SETTINGS
@given(name=st.sampled_from([n for n in NAMES if PARAMS[n].kind == "year"]), year=YEARS_OUT)
def test_year_parameters_outside_the_horizon_are_refused(name, year):
    refused(toml_text(f"[params]\n{name} = {year}\n"), name, "calendar year")


@SETTINGS
@given(a=st.integers(2010, 2050), b=st.integers(2010, 2050))
def test_ramp_must_end_after_it_starts_and_tables_increase(a, b):
    assume(b <= a)
    refused(
        toml_text(f'[schedules.reuse_rate_target]\nkind = "ramp"\nstart = {a}\nend = {b}\nbefore = 0.1\nafter = 0.2\n'),
        "not after start",
        apply=False,
    )
    refused(
        toml_text(f'[schedules.reuse_rate_target]\nkind = "table"\nyears = [{a}, {b}]\nvalues = [0.1, 0.2]\n'),
        "strictly increasing",
        apply=False,
    )


# ------------------------------------------------------------------------------ bases
@SETTINGS
@given(base=st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=12))
def test_a_base_that_does_not_exist_is_refused_naming_it(base):
    assume(base not in builtin_names())
    with pytest.raises(ScenarioError, match=f"base {base!r}"):
        resolve(Scenario("child", base=base))


def test_a_base_that_refers_to_itself_or_back_is_refused(tmp_path):
    (tmp_path / "self.toml").write_text('name = "self"\nbase = "self.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="comes back on itself: self -> self"):
        resolve(str(tmp_path / "self.toml"))
    (tmp_path / "a.toml").write_text('name = "a"\nbase = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('name = "b"\nbase = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="a -> b -> a"):
        resolve(str(tmp_path / "a.toml"))


@SETTINGS
@given(text=st.text(max_size=40))
def test_malformed_toml_is_one_error_naming_the_file(text):
    try:
        Scenario.from_toml(text, origin="x.toml")
    except ScenarioError as exc:
        assert "\n" not in str(exc) or "not valid TOML" in str(exc)
        assert "x.toml" in str(exc) or "scenario" in str(exc)
    # anything else (a crash) fails the test; a text that happens to be a valid scenario is fine
