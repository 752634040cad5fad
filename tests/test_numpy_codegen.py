"""The numpy kernel's buffered code (a pool of reused buffers, operations in place, repeated
subexpressions computed once) on random equations: it must compute what the scalar reference
computes, whatever the sharing of subexpressions and names."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F

T = F.const(1.0, "t")
PER_YEAR = F.const(1.0, "t/year")


def _combine(op: str, x, y):
    if op == "add":
        return (x + y) * 0.5
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y * 0.25
    if op == "div":
        return x / (F.abs_(y) + 1.0)
    if op == "min":
        return F.minimum(x, y)
    if op == "max":
        return F.maximum(x, y)
    if op == "exp":
        return F.exp(F.minimum(x, 1.0)) - 1.0
    if op == "pow":
        return F.power(F.abs_(x) + 0.5, F.minimum(F.maximum(y, -2.0), 2.0))
    return -x


@st.composite
def equations(draw):
    """Up to 12 dimensionless expressions over two stocks, a constant stock, two parameters and the
    time, each built from earlier ones (so subtrees repeat within and across equations), kept
    between about -4 and 4 so that ``exp`` stays finite."""
    m = Model("random", start=0.0, stop=3.0, dt=0.25, method=draw(st.sampled_from(["euler", "rk4"])))
    a = m.param("a", 0.5, units="1")
    b = m.param("b", 1.5, units="1")
    X = m.stock("X", initial=1.0, units="t")
    Y = m.stock("Y", initial=2.0, units="t")
    B = m.stock("B", initial=(a + 2.0) * T, units="t")  # no flows: a per-draw constant, hoisted
    pool = [X / T, Y / T, a, b, m.time / F.const(1.0, "year") * 0.1, F.const(0.25), B / T]
    for _ in range(draw(st.integers(3, 12))):
        x, y = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        op = draw(st.sampled_from(["add", "sub", "mul", "div", "min", "max", "exp", "pow", "neg"]))
        e = _combine(op, x, y)
        pool.append(F.minimum(F.maximum(e, -4.0), 4.0) if draw(st.booleans()) else e)
    names = []
    for i, e in enumerate(pool[7:]):
        if draw(st.booleans()) or i == 0:
            names.append(f"v{i}")
            m.aux(names[-1], e, units="1")
    if len(names) > 1 and draw(st.booleans()):
        m.aux("alias", m[names[0]], units="1")  # a bare reference: shares the other name's buffer
    fx, fy = draw(st.sampled_from(pool[7:])), draw(st.sampled_from(pool[7:]))
    m.flow("fx", 0.2 * fx * PER_YEAR, units="t/year", into="X")
    m.flow("fy", 0.2 * fy * PER_YEAR, units="t/year", into="Y")
    return m


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=equations())
def test_buffered_numpy_code_computes_what_the_scalar_reference_computes(model):
    cm = model.build()
    params = {"a": np.array([0.5, -1.0, 2.0]), "b": np.array([1.5, 0.1, -3.0])}
    got = cm.run(params, backend="numpy")
    ref = cm.run(params, backend="scalar")
    for name in ref.data_vars:
        np.testing.assert_allclose(got[name].values, ref[name].values, rtol=1e-12, atol=1e-12, err_msg=name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=equations(), fixed=st.sampled_from([("a",), ("b",), ("a", "b")]))
def test_parameters_given_as_numbers_give_the_bits_of_arrays(model, fixed):
    """A parameter passed as a number (as Monte Carlo passes its fixed ones) makes the numpy kernel
    compute what depends only on numbers and the time once per step: the same operations on one
    value, so the same bits as with an array of that value (powers of numbers included)."""
    cm = model.build()
    rs = cm.settings_for({})
    draws = {"a": np.array([0.5, -1.0, 2.0, 0.3]), "b": np.array([1.5, 0.1, -3.0, 0.7])}
    arrays = [draws[v.name] if v.name not in fixed else np.full(4, 0.75) for v in cm.params]
    numbers = [draws[v.name] if v.name not in fixed else 0.75 for v in cm.params]
    with np.errstate(all="ignore"):
        want = cm.integrate(arrays, rs, check=False)
        got = cm.integrate(numbers, rs, check=False)
        scalar = cm.integrate(numbers, rs, backend="scalar", check=False)  # other back ends get arrays
        np.testing.assert_array_equal(
            scalar, cm.integrate(arrays, rs, backend="scalar", check=False)[:, : len(scalar[0])]
        )
    assert got.shape[1] == (1 if len(fixed) == 2 else 4)  # numbers only: one draw
    np.testing.assert_array_equal(got, want[:, : got.shape[1]])
