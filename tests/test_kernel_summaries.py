"""The compiled kernel summarising its draws as it runs them gives the same bits as running them,
writing the trajectories and summarising those afterwards (Accumulator.add_blocks)."""

from __future__ import annotations

import numpy as np
import pytest

from jzsim.engine import Model
from jzsim.engine.results import growth_rows
from jzsim.params import Parameter
from jzsim.uncertainty.summaries import Accumulator

numba = pytest.importorskip("numba", reason="the kernel's own summaries are compiled code")

from jzsim.backends.numba_kernel import KernelSummaries  # noqa: E402

BLOCK = 64  # draws per summarised block: 4 sub-blocks of 16


def growth_model(save_every: float = 1.0) -> Model:
    m = Model("grow", start=0.0, stop=12.0, dt=0.5, save_every=save_every)
    m.add_parameter(Parameter("r", "1/year", 0.05, 0.0, 0.1, "uniform", "assumption: test range"))
    m.add_parameter(Parameter("x0", "t", 10.0, 5.0, 20.0, "uniform", "assumption: test range"))
    p = m.params
    x = m.stock("x", initial=p.x0, units="t")
    m.flow("gain", p.r * x, units="t/year", into="x")
    m.aux("half", x * 0.5, units="t")
    m.growth_rate("x_growth", of="x")
    return m


def plain(cm, rs, Pm, names, growth):
    """Trajectories the plain way, with growth rows as monte_carlo computes them."""
    nk = len(names)
    out = np.empty((nk + len(growth), Pm.shape[1], len(rs.save_times)))
    cm.integrate(list(Pm), rs, backend="numba", names=names, check=False, out=out[:nk])
    for i, g in enumerate(growth):
        growth_rows(out[g], rs.save_every, out=out[nk + i])
        out[nk + i, :, 0] = 0.0
    return out


@pytest.mark.slow
@pytest.mark.parametrize("save_every", [1.0, 2.0, 0.5])
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_kernel_summaries_are_the_bits_of_the_trajectories_summarised(save_every, method):
    cm = growth_model(save_every).build()
    rs = cm.settings_for({"method": method})
    names = ["x", "half", "gain"]
    n = 5 * BLOCK + 37  # a partial last block, with a partial last sub-block
    rng = np.random.default_rng(1)
    Pm = np.stack([rng.uniform(-0.02, 0.1, n), rng.uniform(5, 20, n)])
    out = plain(cm, rs, Pm, names, [0])
    cells = np.array([[0, 3], [3, 2], [1, len(rs.save_times) - 1]])
    ref = Accumulator(4, len(rs.save_times), n_bins=40)
    ref.set_edges(out[:, :BLOCK])
    ref_copies = np.empty((3, n))
    ref.add_blocks(out, BLOCK, cells, ref_copies)

    acc = Accumulator(4, len(rs.save_times), n_bins=40)
    acc.set_edges(out[:, :BLOCK])
    ks = KernelSummaries(
        cm, rs, cm.selection(names), 3, [0], cells[:, 0] * len(rs.save_times) + cells[:, 1], BLOCK, 2 * n, acc
    )
    copies = np.full((3, n), np.nan)
    written = np.full_like(out, np.nan)
    ks.run(Pm, copies, written)
    ks.add_to(acc)
    for f in ("count", "mean", "m2", "min", "max", "hist"):
        np.testing.assert_array_equal(getattr(acc, f), getattr(ref, f), err_msg=f)
    np.testing.assert_array_equal(copies, ref_copies)
    np.testing.assert_array_equal(written, out)  # trajectories written, when asked for, are the same too
    assert acc.hist.sum() == 4 * len(rs.save_times) * n  # every value binned once

    # a second run into the same buffers starts afresh: its summaries fold onto the first's
    ks.run(Pm[:, :BLOCK], copies[:, :BLOCK])
    ks.add_to(acc)
    ref.add_blocks(out[:, :BLOCK], BLOCK)
    for f in ("count", "mean", "m2", "min", "max", "hist"):
        np.testing.assert_array_equal(getattr(acc, f), getattr(ref, f), err_msg=f)


def test_kernel_summaries_refuse_bad_buffers():
    cm = growth_model().build()
    rs = cm.settings_for({})
    acc = Accumulator(3, len(rs.save_times))
    with pytest.raises(ValueError, match="edges must be set first"):
        KernelSummaries(cm, rs, cm.selection(["x", "half"]), 2, [0], [], BLOCK, 100, acc)
    acc.set_edges(np.ones((3, 4, len(rs.save_times))))
    with pytest.raises(ValueError, match=r"accumulator of shape \(3, 13\); this run summarises \(2, 13\)"):
        KernelSummaries(cm, rs, cm.selection(["x", "half"]), 2, [], [], BLOCK, 100, acc)
    ks = KernelSummaries(cm, rs, cm.selection(["x", "half"]), 2, [0], [5], BLOCK, 100, acc)
    with pytest.raises(ValueError, match="nothing to fold: call run first"):
        ks.add_to(acc)
    Pm = np.ones((2, 10))
    with pytest.raises(ValueError, match=r"copies has shape \(2, 10\); allowed: \(1, 10\)"):
        ks.run(Pm, np.empty((2, 10)))
    with pytest.raises(ValueError, match="200 draws; allowed: at most 128 per call"):
        ks.run(np.ones((2, 200)), np.empty((1, 200)))
    with pytest.raises(ValueError, match=r"out has shape \(2, 10, 13\); allowed: \(3, 10, 13\)"):
        ks.run(Pm, np.empty((1, 10)), np.empty((2, 10, 13)))
    with pytest.raises(ValueError, match="b_mean has shape"):
        acc.add_summaries(
            np.array([4]),
            np.empty((1, 5)),
            np.empty((1, 39)),
            np.empty((1, 39)),
            np.empty((1, 39)),
            np.zeros((1, 39 * 1002), np.int32),
        )
