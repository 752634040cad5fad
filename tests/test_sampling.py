"""Samplers and distributions: draw-indexed streams, stratification, ranges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from jzsim.params import Parameter
from jzsim.uncertainty.distributions import ppf
from jzsim.uncertainty.sampling import BLOCK, permute, uniforms


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5000), key=st.integers(0, 2**32 - 1))
def test_permute_is_a_bijection(n, key):
    p = permute(np.arange(n), n, key)
    assert np.array_equal(np.sort(p), np.arange(n))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**63), a=st.integers(0, 3 * BLOCK), length=st.integers(1, 2 * BLOCK))
def test_random_draw_depends_only_on_seed_index_and_name(seed, a, length):
    full = uniforms("random", seed, ["x", "y"], 0, a + length)
    part = uniforms("random", seed, ["x", "y"], a, a + length)
    assert np.array_equal(full[a:], part)
    # adding a parameter does not change the others' draws
    more = uniforms("random", seed, ["y", "z", "x"], a, a + length)
    assert np.array_equal(more[:, 2], part[:, 0]) and np.array_equal(more[:, 0], part[:, 1])


def test_uniform_marginals_and_open_interval():
    for sampler in ("random", "lhs", "sobol"):
        u = uniforms(sampler, 42, ["a", "b", "c"], 0, 8192, n_total=8192)
        assert np.all((u > 0) & (u < 1))
        for j in range(3):
            assert stats.kstest(u[:, j], "uniform").pvalue > 1e-3, sampler


def test_latin_hypercube_is_stratified_in_every_dimension():
    n = 1000
    u = np.vstack([uniforms("lhs", 9, ["a", "b"], s, min(n, s + 300), n_total=n) for s in range(0, n, 300)])
    for j in range(2):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n).astype(int)), np.arange(n))


def test_sobol_chunks_equal_one_pass():
    one = uniforms("sobol", 3, ["a", "b", "c"], 0, 1024)
    parts = np.vstack([uniforms("sobol", 3, ["a", "b", "c"], s, min(1024, s + 100)) for s in range(0, 1024, 100)])
    assert np.array_equal(one, parts)


@pytest.mark.parametrize("dist", ["uniform", "triangular", "truncnormal", "lognormal"])
def test_distributions_stay_in_range_and_centre_on_the_value(dist):
    p = Parameter("x", "1", 2.0, 1.0, 3.0, dist, "assumption: test")
    u = uniforms("random", 1, ["x"], 0, 50_000)[:, 0]
    x = ppf(p, u)
    assert x.min() >= 1.0 and x.max() <= 3.0
    assert abs(np.median(x) - 2.0) < 0.05  # value is the centre of each symmetric (in log for lognormal) shape
    if dist == "lognormal":
        q = Parameter("y", "1", 2.0, 0.5, 8.0, dist, "assumption: test")
        assert abs(np.median(ppf(q, u)) - 2.0) < 0.05  # median = value, symmetric in log


def test_fixed_and_empirical():
    u = np.linspace(0.001, 0.999, 7)
    assert np.all(ppf(Parameter("x", "1", 4.0), u) == 4.0)
    e = Parameter("e", "1", 2.0, distribution="empirical", sample=(1.0, 2.0, 3.0), source="calibrated: test")
    assert set(ppf(e, u)) <= {1.0, 2.0, 3.0}


@pytest.mark.parametrize(
    "kw, msg",
    [
        (dict(value=float("nan")), "value is nan"),
        (dict(low=5.0), "low 5.0 is above high 0.6"),
        (dict(value=0.9), "value 0.9 is outside its range"),
        (dict(distribution="normal"), "distribution is 'normal'"),
        (dict(units="yuan/yaer"), "units.*yaer"),
        (dict(source="someone said so"), "must start with"),
        (dict(distribution="lognormal", low=0.0), "needs low > 0"),
    ],
)
def test_parameter_validation_names_field_value_and_allowed(kw, msg):
    args = dict(
        name="alpha", units="1", value=0.4, low=0.2, high=0.6, distribution="uniform", source="assumption: test"
    )
    args.update(kw)
    with pytest.raises(ValueError, match=msg) as info:
        Parameter(**args)
    assert "alpha" in str(info.value)


def test_closed_form_inverse_cdfs_match_scipy():
    """The fast closed forms against scipy.stats' reference inverse CDFs."""
    u = np.linspace(0.0005, 0.9995, 2001)
    tri = Parameter("x", "1", 2.0, 1.0, 4.0, "triangular", "assumption: test")
    np.testing.assert_allclose(ppf(tri, u), stats.triang.ppf(u, 1 / 3, loc=1, scale=3), rtol=1e-12)
    tn = Parameter("x", "1", 2.0, 1.0, 4.0, "truncnormal", "assumption: test")
    np.testing.assert_allclose(ppf(tn, u), stats.truncnorm.ppf(u, -1 / 0.75, 2 / 0.75, loc=2, scale=0.75), rtol=1e-12)
    ln = Parameter("x", "1", 2.0, 0.5, 8.0, "lognormal", "assumption: test")
    sg, mu = np.log(16) / 4, np.log(2)
    ref = np.exp(mu + sg * stats.truncnorm.ppf(u, (np.log(0.5) - mu) / sg, (np.log(8) - mu) / sg))
    np.testing.assert_allclose(ppf(ln, u), ref, rtol=1e-12)


def splitmix_uniform(seed: int, name: str, i: int) -> float:
    """The "random" sampler's uniform for draw ``i``, written out from the module docstring."""
    import hashlib

    key = int.from_bytes(hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest(), "little")
    mask = 2**64 - 1
    z = (key + (i + 1) * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return ((z >> 11) | 1) * 2.0**-53


@pytest.mark.parametrize("seed, start", [(0, 0), (7, 4095), (2**63, 10**7)])
def test_random_sampler_is_the_documented_splitmix64_stream(seed, start):
    u = uniforms("random", seed, ["alpha", "b"], start, start + 5)
    for j, name in enumerate(["alpha", "b"]):
        assert [splitmix_uniform(seed, name, start + d) for d in range(5)] == u[:, j].tolist()


ALL_KINDS = [
    Parameter("tri", "1", 2.0, 1.0, 4.0, "triangular", "assumption: test"),
    Parameter("tri_low_mode", "1", 1.0, 1.0, 4.0, "triangular", "assumption: test"),
    Parameter("tri_high_mode", "1", 4.0, 1.0, 4.0, "triangular", "assumption: test"),
    Parameter("uni", "1", 0.3, 0.1, 0.5, "uniform", "assumption: test"),
    Parameter("tn", "1", 2.0, 1.0, 4.0, "truncnormal", "assumption: test"),
    Parameter("ln", "1", 2.0, 0.5, 8.0, "lognormal", "assumption: test"),
    Parameter("tri_flat", "1", 2.0, 2.0, 2.0, "triangular", "assumption: test"),
    Parameter("emp", "1", 2.0, distribution="empirical", sample=(1.0, 2.0, 3.0), source="calibrated: test"),
]


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_compiled_and_numpy_sampling_give_identical_numbers(sampler):
    """The numba back end makes the uniforms and applies the inverse CDFs fused in one compiled
    loop; the numpy back end does it in numpy: the same operations in the same order, so the same
    numbers (both back ends sample the same parameter values, bit for bit)."""
    pytest.importorskip("numba")
    from jzsim.params import load_parameters
    from jzsim.uncertainty.sampling import sample_parameters

    params = ALL_KINDS + [p for p in load_parameters().values() if p.uncertain]
    fast = sample_parameters(params, sampler, 5, 1000, 1000 + 3000, n_total=5000, compiled=True)
    slow = sample_parameters(params, sampler, 5, 1000, 1000 + 3000, n_total=5000)
    assert list(fast) == list(slow)
    for name in fast:
        assert fast[name].flags.c_contiguous
        np.testing.assert_array_equal(fast[name], slow[name], err_msg=name)
    # written into given rows of a parameter matrix (as monte_carlo does), compiled or not: the same
    rows = np.random.default_rng(0).permutation(len(params) + 3)[: len(params)]
    for compiled in (False, True):
        Pm = np.full((len(params) + 3, 3000), -7.0)
        into = sample_parameters(params, sampler, 5, 1000, 4000, n_total=5000, out=Pm, rows=rows, compiled=compiled)
        for j, p in enumerate(params):
            assert np.shares_memory(into[p.name], Pm)
            np.testing.assert_array_equal(Pm[rows[j]], slow[p.name], err_msg=p.name)
        assert np.all(np.delete(Pm, rows, axis=0) == -7.0)  # other rows untouched
    with pytest.raises(ValueError, match="allowed: .* distinct rows"):
        sample_parameters(
            params, sampler, 5, 0, 10, n_total=10, out=np.empty((len(params), 10)), rows=[0] * len(params)
        )
    with pytest.raises(ValueError, match="out and rows go together"):
        sample_parameters(params, sampler, 5, 0, 10, n_total=10, out=np.empty((len(params), 10)))
    u = uniforms(sampler, 5, [p.name for p in params], 1000, 4000, n_total=5000)  # sobol: dims in this order
    for j, p in enumerate(ALL_KINDS):  # the one-parameter inverse CDF gives the same numbers too
        np.testing.assert_array_equal(ppf(p, u[:, j]), slow[p.name], err_msg=p.name)
        assert np.all((slow[p.name] >= (p.low or 1.0)) & (slow[p.name] <= (p.high or 3.0)))


def test_sampled_values_depend_only_on_seed_index_and_name():
    from jzsim.uncertainty.sampling import sample_parameters

    whole = sample_parameters(ALL_KINDS, "random", 3, 0, 9000)
    part = sample_parameters(ALL_KINDS[::-1][:5], "random", 3, 4321, 8000)
    for name, x in part.items():
        np.testing.assert_array_equal(x, whole[name][4321:8000])


_NAMES = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=2, max_size=8, unique=True)


@settings(max_examples=25, deadline=None)
@given(
    names=_NAMES,
    sampler=st.sampled_from(["random", "lhs", "sobol"]),
    seed=st.integers(0, 2**32 - 1),
    start=st.integers(0, 700),
    data=st.data(),
)
def test_fixing_a_parameter_leaves_every_other_draw_bit_identical(names, sampler, seed, start, data):
    """Common random numbers whatever the sampler (#20 item 3): a parameter's draws depend on the
    seed, its name and the draw index (and the draws of the run for LHS), never on which other
    parameters are sampled; with Sobol a fixed parameter keeps its dimension."""
    from jzsim.uncertainty.sampling import sample_parameters

    params = [Parameter(n, "1", 0.5, 0.0, 1.0, "uniform", "assumption: test") for n in names]
    fixed = data.draw(st.sets(st.sampled_from(names), max_size=len(names) - 1))
    edited = [Parameter(p.name, "1", 0.25) if p.name in fixed else p for p in params]
    stop, total = start + 300, start + 300 + data.draw(st.integers(0, 200))
    shuffled = data.draw(st.permutations(edited))  # the order parameters are declared in does not matter
    all_ = sample_parameters(params, sampler, seed, start, stop, total)
    some = sample_parameters(shuffled, sampler, seed, start, stop, total)
    assert set(some) == set(names) - fixed
    for name, x in some.items():
        np.testing.assert_array_equal(x, all_[name], err_msg=name)


@settings(max_examples=15, deadline=None)
@given(names=_NAMES, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_random_and_lhs_draws_ignore_added_and_removed_parameters(names, seed, data):
    """random and LHS streams are keyed by name alone: adding or removing a parameter changes no
    other parameter's draws."""
    kept = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    for sampler in ("random", "lhs"):
        a = uniforms(sampler, seed, names, 10, 400, n_total=500)
        b = uniforms(sampler, seed, kept, 10, 400, n_total=500)
        for j, n in enumerate(kept):
            np.testing.assert_array_equal(b[:, j], a[:, names.index(n)], err_msg=f"{sampler} {n}")


def test_sobol_dimensions_follow_names_and_keep_the_net_property():
    """Each name owns its Sobol dimension (rank among the sorted declared names) and its own
    scramble: the first two dimensions stay a (0, m, 2)-net (every 1/32 x 1/32 cell of 1024
    points holds one point), every dimension is stratified in 1/1024 strata, and adding a name
    sorted after the others leaves their draws unchanged."""
    from jzsim.uncertainty.sampling import sobol_dimensions

    assert sobol_dimensions(["b", "a", "c", "a"]) == {"a": 0, "b": 1, "c": 2}
    u = uniforms("sobol", 4, ["b", "a"], 0, 1024, dimensions=["a", "b", "c"])
    h = np.histogram2d(u[:, 1], u[:, 0], bins=32, range=[[0, 1], [0, 1]])[0]
    assert h.min() == 1 and h.max() == 1
    for j in range(2):
        assert np.array_equal(np.sort(np.floor(u[:, j] * 1024)), np.arange(1024))
    more = uniforms("sobol", 4, ["b", "a"], 0, 1024, dimensions=["a", "b", "c", "zz"])
    np.testing.assert_array_equal(more, u)
    other_seed = uniforms("sobol", 5, ["b", "a"], 0, 1024, dimensions=["a", "b", "c"])
    assert not np.array_equal(other_seed, u)
    with pytest.raises(ValueError, match=r"sobol: parameters \['q'\] are not among the dimensions"):
        uniforms("sobol", 4, ["q"], 0, 10, dimensions=["a"])
