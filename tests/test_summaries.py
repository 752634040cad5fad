"""Running summaries: independent of how blocks are grouped into calls, compiled and numpy paths
give the same bits, and both match statistics computed directly from all the draws."""

from __future__ import annotations

import numpy as np
import pytest

from jzsim.uncertainty.summaries import Accumulator

BLOCK = 256


def draws(seed: int = 0) -> np.ndarray:
    """(n_vars, n_draws, n_times): skewed, shifted and constant variables."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 0.7, size=(4, 5 * BLOCK + 37, 6))
    x[1] = 1e6 + 3.0 * x[1]  # large offset, small spread
    x[2] = -x[2]
    x[3, :, 0] = 2.5  # constant
    return x


def accumulate(x: np.ndarray, groups: list[int], compiled: bool = False) -> Accumulator:
    """Add whole blocks of ``BLOCK`` draws, grouped into calls of ``groups[i]`` blocks each."""
    acc = Accumulator(x.shape[0], x.shape[2], n_bins=50, compiled=compiled)
    acc.set_edges(x[:, :BLOCK])
    s = 0
    for g in groups:
        acc.add_blocks(x[:, s : s + g * BLOCK], BLOCK)
        s += g * BLOCK
    acc.add_blocks(x[:, s:], BLOCK)
    return acc


def fields(acc: Accumulator) -> dict[str, np.ndarray]:
    return {
        "count": np.array(acc.count),
        "mean": acc.mean,
        "m2": acc.m2,
        "min": acc.min,
        "max": acc.max,
        "hist": acc.hist,
    }


@pytest.fixture(params=[pytest.param(True, marks=pytest.mark.slow), False], ids=["compiled", "numpy"])
def compiled(request) -> bool:
    """Run the test on the compiled summaries (numba; slow: compiles them) and on the numpy path."""
    if request.param:
        pytest.importorskip("numba")
    return request.param


def test_summaries_do_not_depend_on_grouping_of_blocks(compiled):
    x = draws()
    ref = fields(accumulate(x, [1, 1, 1, 1, 1], compiled))
    for groups in ([5], [2, 3], [3, 1, 1]):
        got = fields(accumulate(x, groups, compiled))
        for k in ref:
            np.testing.assert_array_equal(got[k], ref[k], err_msg=f"{k} {groups}")
    one = Accumulator(x.shape[0], x.shape[2], n_bins=50, compiled=compiled)
    one.set_edges(x[:, :BLOCK])
    for s in range(0, x.shape[1], BLOCK):
        one.add_block(x[:, s : s + BLOCK])
    for k, v in fields(one).items():
        np.testing.assert_array_equal(v, ref[k], err_msg=k)


def test_compiled_and_numpy_summaries_agree_with_direct_statistics():
    pytest.importorskip("numba")
    x = draws(1)
    fast = accumulate(x, [2, 3], compiled=True)
    slow = accumulate(x, [2, 3])
    for acc in (fast, slow):
        assert acc.count == x.shape[1]
        np.testing.assert_allclose(acc.mean, x.mean(axis=1), rtol=1e-13)
        np.testing.assert_allclose(acc.std, x.std(axis=1, ddof=1), rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(acc.min, x.min(axis=1))
        np.testing.assert_array_equal(acc.max, x.max(axis=1))
        assert np.all(acc.hist.sum(axis=-1) == x.shape[1])
        q = acc.quantiles((0.1, 0.5, 0.9))
        exact = np.quantile(x, (0.1, 0.5, 0.9), axis=1)
        assert np.all(np.abs(q - exact) <= acc.width[None] + 1e-9 * np.abs(exact))
    for k, v in fields(fast).items():  # the same operations in the same order: the same bits
        np.testing.assert_array_equal(fields(slow)[k], v, err_msg=k)


@pytest.mark.parametrize("block", [BLOCK, 100, 16, 7])
def test_numpy_and_compiled_summaries_are_bit_identical_with_nan_and_inf(block):
    """Sub-blocks of 16 draws, a last shorter block and sub-block, NaN and infinities: numpy's
    summaries (the numpy back end's) are numba's (the compiled kernel's) bit for bit. NaN goes to
    the overflow bin and is left out of min and max; -inf to the underflow bin."""
    pytest.importorskip("numba")
    x = draws(3)
    x[0, 7, 2], x[0, 9, 3], x[2, 300, 1], x[1, 5, 5] = np.nan, np.inf, -np.inf, np.nan
    got = []
    for compiled in (True, False):
        acc = Accumulator(x.shape[0], x.shape[2], n_bins=50, compiled=compiled)
        acc.set_edges(x[:, 20 : 20 + BLOCK])
        acc.add_blocks(x[:, : 2 * BLOCK + 5], block)
        acc.add_blocks(x[:, 2 * BLOCK + 5 :], block)
        got.append(fields(acc))
    for k, v in got[0].items():
        np.testing.assert_array_equal(got[1][k], v, err_msg=k)
    assert np.isnan(got[1]["mean"][0, 2]) and got[1]["min"][0, 2] == np.nanmin(x[0, :, 2])
    assert got[1]["hist"][0, 2, -1] >= 1 and got[1]["hist"][2, 1, 0] >= 1


def test_block_must_be_positive():
    acc = Accumulator(1, 1)
    acc.set_edges(np.ones((1, 3, 1)))
    with pytest.raises(ValueError, match="block is 0"):
        acc.add_blocks(np.ones((1, 3, 1)), 0)


def test_cells_are_copied_in_the_same_pass(compiled):
    x = draws(2)
    cells = np.array([[2, 5], [0, 1], [2, 0], [3, 0]])
    copies = np.full((4, x.shape[1]), np.nan)
    acc = Accumulator(x.shape[0], x.shape[2], n_bins=50, compiled=compiled)
    acc.set_edges(x[:, :BLOCK])
    acc.add_blocks(x, BLOCK, cells, copies)
    for j, (v, t) in enumerate(cells):
        np.testing.assert_array_equal(copies[j], x[v, :, t])
    plain = accumulate(x, [5], compiled)  # asking for copies changes no summary
    for k, v in fields(plain).items():
        np.testing.assert_array_equal(fields(acc)[k], v, err_msg=k)
    with pytest.raises(ValueError, match="cells"):
        acc.add_blocks(x, BLOCK, np.array([[4, 0]]), np.empty((1, x.shape[1])))
    with pytest.raises(ValueError, match="pass both or neither"):
        acc.add_blocks(x, BLOCK, cells)
    with pytest.raises(ValueError, match="copies of shape"):
        acc.add_blocks(x, BLOCK, cells, np.empty((3, x.shape[1])))
