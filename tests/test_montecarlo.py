"""Monte Carlo: chunk/worker invariance, kernels agree, summaries match kept trajectories, and
target probabilities carry correct standard errors.

Reference values come from analytic solutions written in the tests (logistic growth, a uniform
indicator with a known probability of exceeding a threshold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim import Execution, monte_carlo
from jzsim.analysis.targets import validate_targets
from jzsim.engine import Model
from jzsim.params import Parameter
from jzsim.uncertainty.sampling import BLOCK

numba = pytest.importorskip("numba", reason="numba is in the test extra; the compiled kernel is tested with it")
NUMBA = pytest.param("numba", marks=pytest.mark.slow)  # compiles a kernel


def logistic_model() -> Model:
    m = Model("logistic", start=0.0, stop=20.0, dt=0.25)
    m.add_parameter(Parameter("r", "1/year", 0.3, 0.1, 0.5, "uniform", "assumption: test range"))
    m.add_parameter(Parameter("K", "person", 1000.0, 800.0, 1200.0, "triangular", "assumption: test range"))
    m.add_parameter(Parameter("P0", "person", 10.0, 5.0, 20.0, "lognormal", "assumption: test range"))
    p = m.params
    P = m.stock("P", initial=p.P0, units="person")
    m.flow("growth", p.r * P * (1 - P / p.K), units="person/year", into="P")
    m.aux("share", P / p.K, units="1")
    return m


def run(chunk_size=None, threads=None, **kw):
    """Monte Carlo of the logistic model, every output in output order: on the numba backend the
    kernel of the full selection, the one ``cm.run`` uses too (one compile for this module)."""
    kw.setdefault("progress", False)
    execution = Execution(chunk_size=chunk_size, threads=threads)
    return monte_carlo(model=logistic_model(), outputs=["P", "growth", "share"], execution=execution, **kw)


@settings(max_examples=12, deadline=None)
@given(
    chunk=st.integers(1, 3 * BLOCK), seed=st.integers(0, 2**32 - 1), sampler=st.sampled_from(["random", "lhs", "sobol"])
)
def test_per_draw_results_do_not_depend_on_chunking(chunk, seed, sampler):
    a = run(draws=2 * BLOCK + 123, seed=seed, sampler=sampler, keep=True, chunk_size=BLOCK)
    b = run(draws=2 * BLOCK + 123, seed=seed, sampler=sampler, keep=True, chunk_size=chunk)
    assert np.array_equal(a["P_draws"].values, b["P_draws"].values)
    assert np.array_equal(a["parameters"].values, b["parameters"].values)
    # summaries are merged block by block in block order: identical whatever the chunk size
    assert np.array_equal(a["P"].values, b["P"].values)


def test_growing_a_run_keeps_its_first_draws():
    for sampler in ("random", "sobol"):
        small = run(draws=1000, seed=5, sampler=sampler, keep=True)
        big = run(draws=3000, seed=5, sampler=sampler, keep=True)
        assert np.array_equal(small["P_draws"].values, big["P_draws"].values[:1000])
    # a Latin hypercube depends on the number of draws by construction
    a = run(draws=1000, seed=5, sampler="lhs", keep=True)
    b = run(draws=3000, seed=5, sampler="lhs", keep=True)
    assert not np.array_equal(a["parameters"].values, b["parameters"].values[:1000])


@pytest.mark.slow
def test_numpy_and_numba_kernels_agree_with_the_scalar_reference():
    m = logistic_model()
    cm = m.build()
    rng = np.random.default_rng(0)
    params = {"r": rng.uniform(0.1, 0.5, 200), "K": rng.uniform(800, 1200, 200)}
    a = cm.run(params, backend="numpy")
    b = cm.run(params, backend="numba")
    c = cm.run(params, backend="scalar")
    for name in ("P", "growth", "share"):
        ref = c[name].values
        assert np.allclose(a[name].values, ref, rtol=1e-12, atol=0)
        assert np.allclose(b[name].values, ref, rtol=1e-12, atol=0)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_backends_give_the_same_monte_carlo(sampler):
    """What the back ends promise each other (README, "Back ends"): the sampled parameters are the
    same bits; trajectories and summaries agree to 1e-12 relative (the compiled kernel's exp, log
    and pow are its own)."""
    a = run(draws=5000, seed=3, sampler=sampler, backend="numpy", keep=True)
    b = run(draws=5000, seed=3, sampler=sampler, backend="numba", keep=True)
    np.testing.assert_array_equal(a["parameters"].values, b["parameters"].values)
    np.testing.assert_allclose(a["P_draws"].values, b["P_draws"].values, rtol=1e-12, atol=0)
    for name in ("P", "growth", "share"):
        stats = ["mean", "std", "min", "max"]
        np.testing.assert_allclose(a[name].sel(statistic=stats), b[name].sel(statistic=stats), rtol=1e-10, err_msg=name)


def test_summaries_equal_those_from_kept_trajectories():
    ds = run(draws=20000, seed=11, keep=True)
    traj = ds["P_draws"]
    np.testing.assert_allclose(ds["P"].sel(statistic="mean"), traj.mean("draw"), rtol=1e-12)
    np.testing.assert_allclose(ds["P"].sel(statistic="std"), traj.std("draw", ddof=1), rtol=1e-9)
    np.testing.assert_array_equal(ds["P"].sel(statistic="min"), traj.min("draw"))
    np.testing.assert_array_equal(ds["P"].sel(statistic="max"), traj.max("draw"))
    res = ds["P"].attrs["quantile_resolution"]
    for q in (0.05, 0.5, 0.95):
        exact = traj.quantile(q, dim="draw").values
        approx = ds["P"].sel(statistic=f"p{round(q * 100):02d}").values
        assert np.all(np.abs(approx - exact) <= res), (q, np.abs(approx - exact).max(), res)


def test_summaries_select_by_quantile(tmp_path):
    """Summaries carry a float quantile coordinate: .sel(quantile=q) is the statistic pXX, min and
    max are the 0 and 1 quantiles; the file written keeps it."""
    ds = run(draws=3000, seed=1, quantiles=(0.1, 0.5, 0.9))
    np.testing.assert_array_equal(ds["P"].sel(quantile=0.5).values, ds["P"].sel(statistic="p50").values)
    np.testing.assert_array_equal(ds.sel(quantile=0.1)["share"].values, ds["share"].sel(statistic="p10").values)
    np.testing.assert_array_equal(ds["P"].sel(quantile=0.0).values, ds["P"].sel(statistic="min").values)
    np.testing.assert_array_equal(ds["P"].sel(quantile=1.0).values, ds["P"].sel(statistic="max").values)
    assert np.isnan(ds["quantile"].sel(statistic="mean"))
    ds.to_netcdf(tmp_path / "mc.nc")
    back = xr.open_dataset(tmp_path / "mc.nc").set_xindex("quantile")
    np.testing.assert_array_equal(back["P"].sel(quantile=0.9).values, ds["P"].sel(statistic="p90").values)
    with pytest.raises(ValueError, match="quantiles are .*distinct"):
        run(draws=10, quantiles=(0.5, 0.501))


@pytest.mark.slow
def test_compiled_runs_summarise_in_the_kernel_with_the_bits_of_the_trajectories():
    """The compiled backend summarises chunks after the first inside the kernel: the summaries are
    the same bits whatever the chunk size, whether trajectories are kept or not, and as
    summarising the kept trajectories afterwards."""
    from jzsim.uncertainty.summaries import Accumulator

    kw = dict(draws=3 * BLOCK + 45, seed=2, backend="numba")
    kept = run(keep=True, chunk_size=BLOCK, **kw)
    for other in (run(chunk_size=BLOCK, **kw), run(chunk_size=2 * BLOCK, **kw), run(keep=True, **kw)):
        for name in ("P", "share", "p_met") if "p_met" in kept else ("P", "share"):
            np.testing.assert_array_equal(other[name].values, kept[name].values, err_msg=name)
    x = np.stack([kept["P_draws"].values, kept["share_draws"].values])
    acc = Accumulator(2, x.shape[2])
    acc.set_edges(x[:, :BLOCK])
    acc.add_blocks(x, BLOCK)
    np.testing.assert_array_equal(kept["P"].sel(statistic="mean").values, acc.mean[0])
    np.testing.assert_array_equal(kept["share"].sel(statistic="std").values, acc.std[1])
    np.testing.assert_array_equal(kept["P"].sel(statistic="p50").values, acc.quantiles((0.5,))[0, 0])


def test_trajectories_streamed_to_disk(tmp_path):
    path = tmp_path / "traj.npy"
    disk = run(draws=3000, seed=2, keep=path)
    mem = run(draws=3000, seed=2, keep=True)
    assert path.exists()
    assert np.array_equal(np.load(path)[0], mem["P_draws"].values)
    assert np.array_equal(disk["P_draws"].values, mem["P_draws"].values)


def _uniform_model():
    m = Model("uniform", start=0.0, stop=1.0, dt=1.0)
    m.add_parameter(Parameter("x", "1", 0.5, 0.0, 1.0, "uniform", "assumption: test"))
    m.aux("indicator", m.params.x * 1.0, units="1")
    return m


def _threshold_target(threshold: float) -> pd.DataFrame:
    row = dict(
        id="x_high",
        area="test",
        description="x at least threshold",
        indicator="indicator",
        selector="",
        kind="level",
        comparison=">=",
        threshold=str(threshold),
        units="1",
        year="1",
        base_year="",
        reference="",
        tolerance="",
        source="plan ch.0 L0",
        note="synthetic",
    )
    return validate_targets(pd.DataFrame([row]))


def test_target_probability_and_standard_error_on_a_known_answer():
    """indicator = x ~ U(0, 1): P(x >= 0.7) = 0.3 exactly; over independent seeds the spread of the
    estimate matches the reported standard error sqrt(p(1-p)/n)."""
    n = 2000
    est, ses = [], []
    for seed in range(40):
        ds = monte_carlo(
            model=_uniform_model(),
            draws=n,
            seed=seed,
            targets=_threshold_target(0.7),
            outputs=["indicator"],
            progress=False,
        )
        est.append(float(ds["p_met"].sel(target="x_high")))
        ses.append(float(ds["p_met_se"].sel(target="x_high")))
        lo, hi = float(ds["p_met_low"].sel(target="x_high")), float(ds["p_met_high"].sel(target="x_high"))
        assert lo < est[-1] < hi
    est = np.array(est)
    se_theory = np.sqrt(0.3 * 0.7 / n)
    assert abs(est.mean() - 0.3) < 4 * se_theory / np.sqrt(len(est))
    assert 0.7 * se_theory < est.std(ddof=1) < 1.3 * se_theory
    np.testing.assert_allclose(np.mean(ses), se_theory, rtol=0.05)


def test_bad_inputs_name_the_field():
    with pytest.raises(ValueError, match="sampler is 'sobel'"):
        run(draws=10, sampler="sobel")
    with pytest.raises(ValueError, match="backend is 'gpu'"):
        run(draws=10, backend="gpu")
    with pytest.raises(ValueError, match="draws is 0"):
        run(draws=0)
    with pytest.raises(ValueError, match="n_bins is 0; allowed: an integer >= 1"):
        run(draws=10, n_bins=0)
    with pytest.raises(ValueError, match=r"outputs is 'P'; allowed: a list of names, e.g. \['P'\]"):
        monte_carlo(model=logistic_model(), draws=10, outputs="P", progress=False)
    with pytest.raises(ValueError, match="chunk_size is 0"):
        Execution(chunk_size=0)
    with pytest.raises(KeyError, match="did you mean P"):
        monte_carlo(model=logistic_model(), draws=10, outputs=["PP"], progress=False)
    with pytest.raises(ValueError, match="distribution is 'unifrom'.*did you mean 'uniform'"):
        Parameter("r", "1/year", 0.3, 0.1, 0.5, "unifrom", "assumption: typo")


@pytest.mark.parametrize("backend", ["numpy", NUMBA])
def test_interrupt_keeps_finished_chunks(monkeypatch, backend):
    """Ctrl-C during a run: the summaries of the chunks already finished are returned, marked (with
    numba, chunks after the first are summarised inside the kernel)."""
    import jzsim.uncertainty.montecarlo as mc

    real = mc.sample_parameters
    calls = {"n": 0}

    def interrupt_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    full = run(draws=4 * BLOCK, seed=4, chunk_size=BLOCK, keep=True, backend=backend)
    monkeypatch.setattr(mc, "sample_parameters", interrupt_on_third)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        part = run(draws=4 * BLOCK, seed=4, chunk_size=BLOCK, keep=True, backend=backend)
    assert part.attrs["interrupted"] == 1 and part.attrs["draws"] == 2 * BLOCK
    assert np.array_equal(part["P_draws"].values, full["P_draws"].values[: 2 * BLOCK])
    np.testing.assert_allclose(part["P"].sel(statistic="mean"), full["P_draws"][: 2 * BLOCK].mean("draw"), rtol=1e-12)
    monkeypatch.setattr(mc, "sample_parameters", real)
    finished = run(draws=2 * BLOCK, seed=4, chunk_size=BLOCK, backend=backend)  # those draws alone
    np.testing.assert_array_equal(part["P"].values, finished["P"].values)


@pytest.mark.parametrize("backend", ["numpy", NUMBA])
def test_integrating_the_next_chunk_while_summarising_changes_nothing(monkeypatch, backend):
    """The worker thread that integrates chunk i + 1 while chunk i is summarised gives the same
    trajectories and the same summaries, bit for bit, as doing one chunk after the other."""
    import jzsim.uncertainty.montecarlo as mc

    if not mc._can_overlap(backend):
        pytest.skip("numba's threading layer here is not thread-safe (workqueue): chunks are not overlapped")
    kw = dict(draws=5 * BLOCK + 7, seed=11, chunk_size=BLOCK, keep=True, backend=backend)
    overlapped = run(**kw)
    monkeypatch.setattr(mc, "_can_overlap", lambda backend: False)
    serial = run(**kw)
    for name in overlapped.data_vars:
        np.testing.assert_array_equal(overlapped[name].values, serial[name].values, err_msg=name)


def _rare_failure_model(kind: str) -> Model:
    """A model that fails only in draws with ``x < 2e-4`` (``x`` uniform on 0-1): a log of a
    negative number (``kind="nan"``), or a nonnegative stock drained below zero (``"negative"``).

    The kind is the value of a fixed parameter, not a different equation, so both kinds share one
    compiled kernel."""
    from jzsim.engine import functions as F

    m = Model("rare", start=0.0, stop=4.0, dt=0.25)
    m.add_parameter(Parameter("x", "1", 0.5, 0.0, 1.0, "uniform", "assumption: test range"))
    m.add_parameter(Parameter("by_nan", "1", float(kind == "nan"), source="assumption: test switch, 1 or 0"))
    x, by_nan = m.params.x, m.params.by_nan > 0.5
    tiny = F.const(2e-4, "1")
    s = m.stock("s", initial=1.0, units="t", nonnegative=True)
    m.aux("bad", F.log(F.where(by_nan, x - tiny, F.const(1.0, "1"))), units="1")
    one, zero = F.const(1.0, "t/year"), F.const(0.0, "t/year")
    m.flow("drain", F.where(x < tiny, F.where(by_nan, zero, one), zero), units="t/year", out_of="s")
    m.aux("level", s * 1.0, units="t")
    return m


@pytest.mark.parametrize("backend", ["numpy", NUMBA])
@pytest.mark.parametrize("kind", ["nan", "negative"])
def test_a_bad_draw_in_a_later_chunk_is_reported_by_its_index(backend, kind):
    """Output checks run on the chunk's summaries and look at the draws only when those show a
    problem: the error still names the first bad draw, counted from the start of the run."""
    from jzsim.uncertainty.sampling import sample_parameters

    m = _rare_failure_model(kind)
    draws, par = 12 * BLOCK, m.build().params[0].parameter
    for seed in range(100):  # the first seed whose first bad draw is past the first chunk
        bad = np.flatnonzero(sample_parameters([par], "random", seed, 0, draws, draws)["x"] < 2e-4)
        if bad.size and bad[0] >= BLOCK:
            break
    assert bad.size and bad[0] >= BLOCK
    pattern = (
        rf"'bad' is nan at time 0 in draw {bad[0]}"
        if kind == "nan"
        else rf"stock 's' is negative .* in draw {bad[0]}; allowed: >= 0"
    )
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=pattern):
        monte_carlo(
            model=m,
            draws=draws,
            seed=seed,
            execution=Execution(chunk_size=BLOCK),
            backend=backend,
            progress=False,
            outputs=["bad", "s", "level"],
        )


def test_numpy_threads_change_nothing():
    """With threads, each chunk's draws are integrated in parts by several threads (parts of at
    least MIN_THREAD_PART draws): trajectories and summaries are the same bits as with one."""
    import jzsim.uncertainty.montecarlo as mc

    chunk = 2 * mc.MIN_THREAD_PART + BLOCK  # parts of 10,240 draws for two threads
    kw = dict(draws=2 * chunk + 77, seed=3, chunk_size=chunk, keep=True, backend="numpy")
    one = run(threads=1, **kw)
    two = run(threads=2, **kw)
    assert one.attrs["kernel_threads"] == 1 and two.attrs["kernel_threads"] == 2
    for name in one.data_vars:
        np.testing.assert_array_equal(two[name].values, one[name].values, err_msg=name)
    # parts would be smaller than MIN_THREAD_PART: one thread, in cache-sized pieces
    assert mc._numpy_kernel_split(mc.MIN_THREAD_PART, 2) == (1, mc.KERNEL_BATCH)
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads is .*; allowed: an integer >= 1"):
            run(draws=10, threads=bad)


@pytest.mark.parametrize("backend", ["numpy", NUMBA])
def test_per_draw_outcomes(backend):
    """outcomes=True (#17 item 1): indicator = x, so target_value is the sampled x, target_met is
    x >= 0.7, and they agree with n_met; whatever the chunking and backend."""
    kw = dict(model=_uniform_model(), draws=3 * BLOCK + 5, seed=2, targets=_threshold_target(0.7), progress=False)
    kw.update(outputs=["indicator"], backend=backend, outcomes=True)
    ds = monte_carlo(execution=Execution(chunk_size=BLOCK), **kw)
    x = ds["parameters"].sel(parameter="x")
    assert ds["target_value"].dims == ("draw", "target") and ds["parameters"].dims == ("draw", "parameter")
    np.testing.assert_allclose(ds["target_value"].sel(target="x_high"), x, rtol=1e-15)
    np.testing.assert_array_equal(ds["target_met"].sel(target="x_high"), x >= 0.7)
    assert int(ds["target_met"].sum()) == int(ds["n_met"].sum())
    other = monte_carlo(**kw)  # default chunk
    for name in ("target_value", "target_met", "parameters"):
        np.testing.assert_array_equal(other[name].values, ds[name].values)
    plain = monte_carlo(**{**kw, "outcomes": False})
    assert "target_met" not in plain and "parameters" not in plain
    np.testing.assert_array_equal(plain["n_met"].values, ds["n_met"].values)


def test_a_model_carries_its_own_target_registry():
    """``Model.targets`` is the registry checked when a call gives none: a user's model that sets
    it is checked like the plan, and the plan's registry belongs to the model, not to its name."""
    m = _uniform_model()
    kw = dict(draws=2000, seed=4, outputs=["indicator"], progress=False)
    assert "p_met" not in monte_carlo(model=m, **kw)
    m.targets = _threshold_target(0.7)
    own = monte_carlo(model=m, **kw)
    given = monte_carlo(model=_uniform_model(), targets=_threshold_target(0.7), **kw)
    assert list(own["target"].values) == ["x_high"]
    np.testing.assert_array_equal(own["n_met"].values, given["n_met"].values)
    assert own["n_met"].values[0] > 0

    from jzsim import plan_model

    plan = plan_model()
    plan.name = "my_copy_of_the_plan"
    ds = monte_carlo(model=plan, draws=64, seed=1, progress=False)
    assert "gdp_growth_2021_2025" in set(ds["target"].values)
    assert set(ds["target"].values) == set(plan.targets["id"])
