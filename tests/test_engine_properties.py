"""Properties of batched runs: draws are independent, chunking and repetition change nothing,
inputs are left alone, and the scalar reference interpreter agrees with the numpy kernel.

Bitwise equality between a batch and the stacked single-draw runs: for + - * / min max where,
IEEE arithmetic is elementwise and correctly rounded, so it must hold bitwise, and it does. For
exp / log / sqrt (and ``**`` with a literal exponent) it holds too: on the machine these tests were
written on (numpy 2.4.6, AVX-512) numpy's SIMD exp/log/sqrt/pow give every element the same result
whatever the array's length (masked tails; probed up to length 4099). What does *not* hold bitwise
is ``x ** p`` with a *parameter* exponent: numpy's float64 ``power`` loop takes a scalar fast path
when the exponent operand has stride 0 (0.5 -> sqrt, 2.0 -> square) and the SVML ``pow`` otherwise,
which differs from sqrt / x*x by one ulp on ~5% of inputs. The engine hands a single-draw run its
parameters as shape-(1,) arrays of stride 0 (``np.ascontiguousarray(np.broadcast_to(...))`` does not
copy a size-1 view), a batch as stride-8 arrays, so a draw with exponent 0.5 or 2.0 differs by an
ulp between the two. The engine therefore always copies parameter arrays into fresh contiguous
arrays (``CompiledModel.param_arrays``), and batches equal single runs bit for bit.
``math.exp`` vs ``np.exp`` also differ by an ulp on ~5% of inputs, hence 1e-12 against the scalar
reference backend.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jzsim.engine import Model

from _helpers import MODELS, SETTINGS, arithmetic_model, methods


def _outputs(ds) -> dict[str, np.ndarray]:
    return {k: ds[k].values for k in ds.data_vars}


def _single_runs(cm, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = len(next(iter(params.values())))
    runs = [_outputs(cm.run({k: float(v[i]) for k, v in params.items()})) for i in range(n)]
    return {k: np.concatenate([r[k] for r in runs], axis=0) for k in runs[0]}


# ------------------------------------------------------------------- batch == stacked singles
@pytest.mark.parametrize("kind", list(MODELS))
@SETTINGS
@given(data=st.data(), method=methods)
def test_batch_equals_stacked_single_runs_bitwise(kind, data, method):
    """Arithmetic, exp/log/sqrt and parameter exponents alike: parameter arrays are always fresh
    contiguous copies, so a draw gets the same bits alone or inside a batch."""
    build, strategy = MODELS[kind]
    params = data.draw(strategy)
    cm = build(method).build()
    batch = _outputs(cm.run(params))
    single = _single_runs(cm, params)
    for k in batch:
        assert np.array_equal(batch[k], single[k]), k


def test_numpy_transcendentals_do_not_depend_on_array_length():
    """The numpy property the bitwise claims rest on (see the module docstring)."""
    rng = np.random.default_rng(12345)
    x = rng.uniform(0.01, 20.0, 4099)
    y = rng.uniform(-2.0, 2.0, 4099)
    for f in (np.exp, np.log, np.sqrt, np.power):
        args = (x, y) if f is np.power else (x,)
        full = f(*args)
        for L in list(range(1, 40)) + [63, 64, 65, 127, 128, 129, 1000]:
            assert np.array_equal(f(*(a[:L] for a in args)), full[:L]), (f.__name__, L)


def test_numpy_power_with_a_stride0_exponent_takes_another_path():
    """Why param_arrays copies: numpy's power rounds differently for a stride-0 exponent."""
    x = np.random.default_rng(3).uniform(0.5, 5.0, 4000)
    stride0 = np.ascontiguousarray(np.broadcast_to(np.asarray(0.5), (1,)))
    assert stride0.strides == (0,)  # a size-1 broadcast view counts as contiguous: no copy
    via_stride0 = np.array([np.power(x[i : i + 1], stride0)[0] for i in range(x.size)])
    via_array = np.power(x, np.full(x.size, 0.5))
    np.testing.assert_array_equal(via_stride0, np.sqrt(x))
    np.testing.assert_allclose(via_array, np.sqrt(x), rtol=3e-16)
    if np.array_equal(via_array, via_stride0):
        pytest.skip("this numpy build gives x**0.5 == sqrt(x) on both paths")


def test_batch_equals_single_runs_bitwise_with_parameter_exponent_one_half():
    m = Model("half", stop=10.0, dt=0.25, method="rk4")
    e = m.param("e", 0.5, units="1")
    g = m.param("g", 0.2, units="1/year")
    x = m.stock("x", 1.0, units="1")
    m.flow("f", g * (1 + x) ** e, units="1/year", into="x")
    cm = m.build()
    G = np.linspace(0.05, 0.5, 20)
    batch = cm.run({"g": G})["x"].values
    single = np.concatenate([cm.run({"g": G[i]})["x"].values for i in range(20)])
    np.testing.assert_allclose(batch, single, rtol=1e-14)  # the documented tolerance holds
    assert np.array_equal(batch, single)


# ---------------------------------------------------------------------------------- chunking
@SETTINGS
@given(
    which=st.sampled_from(sorted(MODELS)),
    data=st.data(),
    method=methods,
    chunks=st.lists(st.integers(1, 12), min_size=1, max_size=3),
)
def test_batch_size_does_not_change_results(which, data, method, chunks):
    build, strat = MODELS[which]
    params = data.draw(strat)
    cm = build(method).build()
    ref = _outputs(cm.run(params))
    for k in chunks:
        got = _outputs(cm.run(params, batch_size=k))
        for name in ref:
            assert np.array_equal(got[name], ref[name]), (k, name)


def test_bad_batch_size_is_refused():
    cm = arithmetic_model().build()
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match=r"batch_size is .*allowed: an integer >= 1"):
            cm.run(batch_size=bad)


def test_old_names_still_work_with_a_deprecation_warning():
    """``chunk_size`` of ``run`` and ``CompiledModel.simulate`` are the old names of ``batch_size``
    and ``CompiledModel.integrate``: same values, and a warning naming the new name."""
    m = arithmetic_model()
    cm = m.build()
    ref = _outputs(cm.run())
    with pytest.warns(DeprecationWarning, match="use batch_size"):
        old = _outputs(m.run(chunk_size=1))
    for k in ref:
        assert np.array_equal(old[k], ref[k]), k
    n, P = cm.param_arrays(None, 3)
    rs = cm.settings_for({})
    with pytest.warns(DeprecationWarning, match="use CompiledModel.integrate"):
        arr = cm.simulate(P, rs, chunk_size=2)
    assert np.array_equal(arr, cm.integrate(P, rs, batch_size=1))


# ------------------------------------------------------------- repeatability and no mutation
@SETTINGS
@given(which=st.sampled_from(sorted(MODELS)), data=st.data(), method=methods)
def test_runs_are_repeatable_and_leave_model_and_inputs_alone(which, data, method):
    build, strat = MODELS[which]
    params = data.draw(strat)
    m = build(method)
    before_vars = m.variables
    before_settings = copy.deepcopy(m.settings)
    before_params = {k: v.copy() for k, v in params.items()}
    cm = m.build()
    first = _outputs(m.run(params))
    second = _outputs(m.run(params))
    third = _outputs(m.run(params, batch_size=2, method=method))
    for k in first:
        assert np.array_equal(first[k], second[k]), k
        assert np.array_equal(first[k], third[k]), k
    # model declaration, settings and compiled cache untouched
    assert m.variables == before_vars
    assert m.settings == before_settings
    assert m.build() is cm
    # input arrays untouched (values, dtype, shape, writeability)
    for k, v in params.items():
        assert np.array_equal(v, before_params[k]) and v.dtype == np.float64 and v.flags.writeable, k


def test_run_overrides_do_not_stick():
    m = arithmetic_model("euler")
    a = m.run(method="rk4", stop=6.0, dt=0.125)
    b = m.run()
    assert a.attrs["method"] == "rk4" and b.attrs["method"] == "euler"
    assert b.sizes["time"] == 13 and b.attrs["dt"] == 0.25
    assert m.settings["method"] == "euler"


def test_results_do_not_alias_the_callers_parameter_arrays():
    m = arithmetic_model("euler")
    r = np.array([0.1, 0.2, 0.3])
    ds = m.run({"r": r})
    r[0] = 99.0  # the caller reuses its buffer, e.g. for the next batch
    assert ds["r"].values[0] == 0.1


def test_draws_without_arrays_repeat_the_nominal_run():
    cm = arithmetic_model("rk4").build()
    one = cm.run()
    many = cm.run(draws=4)
    for k in one.data_vars:
        assert many[k].shape[0] == 4
        for i in range(4):
            assert np.array_equal(many[k].values[i], one[k].values[0]), k


# --------------------------------------------------------------------- scalar reference backend
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(sorted(MODELS)), data=st.data(), method=methods)
def test_scalar_reference_agrees_with_numpy(which, data, method):
    build, strat = MODELS[which]
    params = data.draw(strat)
    cm = build(method).build()
    fast = _outputs(cm.run(params))
    slow = _outputs(cm.run(params, backend="scalar"))
    for k in fast:
        np.testing.assert_allclose(slow[k], fast[k], rtol=1e-12, atol=1e-12, err_msg=k)
