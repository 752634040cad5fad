"""The compiled kernel's vectorisable exp, log and pow, and its select-chain lookups."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

nb = pytest.importorskip("numba", reason="numba is in the test extra")

from jzsim.backends.vmath import vexp, vlog, vpow  # noqa: E402
from jzsim.engine.codegen import interp_scalar, lookup_select_source  # noqa: E402


@nb.njit(error_model="numpy")
def _exp_loop(x, out):
    for i in range(x.size):  # a loop LLVM vectorises, with a scalar remainder
        out[i] = vexp(x[i])


@nb.njit(error_model="numpy")
def _log_loop(x, out):
    for i in range(x.size):
        out[i] = vlog(x[i])


@nb.njit(error_model="numpy")
def _pow_loop(x, y, out):
    for i in range(x.size):
        out[i] = vpow(x[i], y[i])


@nb.njit(error_model="numpy")
def _exp_one(x):
    return vexp(x)


def _ulps(got, want):
    return np.max(np.abs(got - want) / np.spacing(np.abs(want)))


def test_exp_within_two_ulp_of_numpy_over_its_whole_range():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-708, 709, 200_000), rng.uniform(-1, 1, 200_000)])
    out = np.empty_like(x)
    _exp_loop(x, out)
    assert _ulps(out, np.exp(x)) <= 2


def test_log_within_one_ulp_of_numpy_including_subnormals():
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            np.exp(rng.uniform(-700, 700, 200_000)),
            rng.uniform(0.5, 2, 200_000),
            [5e-324, 1e-310, 2.2250738585072014e-308],
        ]
    )
    out = np.empty_like(x)
    _log_loop(x, out)
    assert _ulps(out, np.log(x)) <= 1


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an extended-precision long double (x86)")
def test_log_polynomial_within_about_one_ulp_of_an_extended_precision_reference():
    """Near 1 the degree-20 polynomial does all the work (no k ln 2 term): its fit, its evaluation
    and the final additions stay within about an ulp of the exact logarithm (numpy's: 0.61)."""
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [1 + rng.uniform(-0.3, 0.42, 400_000), rng.uniform(0.5, 2, 400_000), 1 + rng.uniform(-1e-6, 1e-6, 10_000)]
    )
    out = np.empty_like(x)
    _log_loop(x, out)
    exact = np.log(x.astype(np.longdouble))
    err = np.abs((out.astype(np.longdouble) - exact) / np.spacing(np.abs(exact.astype(np.float64))))
    assert float(err.max()) <= 1.1


def test_pow_relative_error_within_a_few_ulp_for_model_like_exponents():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(1e-3, 1e3, 200_000), rng.uniform(-3, 3, 200_000)
    out = np.empty_like(x)
    _pow_loop(x, y, out)
    assert np.max(np.abs(out - x**y) / x**y) < 4e-15


@pytest.mark.parametrize(
    "fn, loop, args",
    [
        (
            "exp",
            _exp_loop,
            (
                [
                    np.nan,
                    np.inf,
                    -np.inf,
                    710.0,
                    -746.0,
                    0.0,
                    -0.0,
                    709.78,
                    -745.0,
                    -740.0,
                    709.782712893384,
                    709.7827128933841,
                    709.79,
                    1e300,
                    -745.1332191019411,
                    -745.14,
                    -1e300,
                    -720.5,
                    -1022.5 * np.log(2),
                ],
            ),
        ),
        ("log", _log_loop, ([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, 1.0, 5e-324],)),
        (
            "pow",
            _pow_loop,
            (
                [-8.0, -8.0, 0.0, 0.0, 0.0, np.nan, 1.0, 2.0, -2.0, np.inf, -np.inf, 2.0, 0.5],
                [3.0, 1 / 3, 2.0, -1.0, 0.0, 0.0, np.nan, np.inf, 2.0, -1.0, 3.0, 0.5, -np.inf],
            ),
        ),
    ],
)
def test_special_values_follow_numpy(fn, loop, args):
    arrays = [np.array(a) for a in args]
    out = np.empty_like(arrays[0])
    loop(*arrays, out)
    with np.errstate(all="ignore"):
        want = {"exp": np.exp, "log": np.log, "pow": np.power}[fn](*arrays)
    np.testing.assert_allclose(out, want, rtol=2e-15, atol=0)  # nan, inf and 0 exactly


def test_a_lane_gets_the_same_bits_in_a_vector_or_in_the_scalar_remainder():
    x = np.random.default_rng(4).uniform(-20, 20, 37)  # 37: vector body plus a remainder
    out = np.empty_like(x)
    _exp_loop(x, out)
    one = np.array([_exp_one(v) for v in x])
    assert np.array_equal(out, one)
    shifted = np.empty(36)
    _exp_loop(x[1:], shifted)  # every value moves to another lane
    assert np.array_equal(shifted, out[1:])


@settings(max_examples=200, deadline=None)
@given(
    xs=st.lists(st.integers(-100, 100).map(lambda v: v / 4), min_size=2, max_size=6, unique=True),
    ys=st.lists(st.floats(-1e6, 1e6), min_size=6, max_size=6),
    x=st.floats(-150, 150) | st.just(float("nan")),
)
def test_select_chain_lookup_is_interp_bit_for_bit(xs, ys, x):
    xs = sorted(xs)
    ys = ys[: len(xs)]
    ns: dict = {"_nb": type("nb", (), {"njit": staticmethod(lambda *a, **k: lambda f: f)})}
    exec(lookup_select_source(0, xs, ys), ns)
    want = interp_scalar(x, np.array(xs), np.array(ys))
    got = ns["_lookup0"](x)
    assert (np.isnan(want) and np.isnan(got)) or got == want
    if not np.isnan(x):
        assert got == np.interp(x, xs, ys)
