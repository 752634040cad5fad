"""Calibration (#16): observations checked against the model, estimation on small models with known
answers, interval coverage over synthetic histories, the fit report, files, and calibrated draws
flowing into Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jzsim
from jzsim.calibration import Calibration, load_calibration, load_observations, theil
from jzsim.calibration.observations import DEFAULT_SD
from jzsim.engine import Model
from jzsim.params import Parameter

DT = 0.5


def growth_model() -> Model:
    """y' = g y, y(0) = y0 (Euler, dt 0.5: y(t) = y0 (1 + g dt)^(t / dt)); total = y + 10 other."""
    m = Model("growth", start=0.0, stop=10.0, dt=DT, save_every=1.0)
    m.add_parameter(Parameter("g", "1/year", 0.05, 0.0, 0.1, "uniform", "assumption: test"))
    m.add_parameter(Parameter("y0", "t", 2.0, 1.0, 4.0, "triangular", "assumption: test"))
    m.add_parameter(Parameter("other", "t", 1.0, 0.5, 1.5, "triangular", "assumption: test"))
    y = m.stock("y", initial=m.params.y0, units="t")
    m.flow("dy", m.params.g * y, units="t/year", into="y")
    m.aux("total", y + 10.0 * m.params.other, units="t")  # 'other' does not enter y
    return m


def exact(g: float, y0: float, t: np.ndarray) -> np.ndarray:
    return y0 * (1 + g * DT) ** (np.asarray(t) / DT)


def obs_frame(g=0.05, y0=2.0, years=(0, 2, 4, 6, 8, 10), sd=0.05, noise=None) -> pd.DataFrame:
    """Levels of y (in kg, to exercise the unit conversion), a growth rate and a multiple."""
    years = np.asarray(years, dtype=float)
    lv = exact(g, y0, years) * 1000
    e = np.zeros(len(years) + 2) if noise is None else noise
    rows = [
        dict(indicator="y", year=t, value=v * np.exp(e[i]), unit="kg", kind="level", sd=sd)
        for i, (t, v) in enumerate(zip(years, lv))
    ]
    rate = (1 + g * DT) ** 2 - 1
    rows.append(dict(indicator="y", year=5.0, value=rate + 0.01 * e[-2], unit="1/year", kind="growth_rate", sd=0.01))
    mult = exact(g, y0, 10) / exact(g, y0, 0)
    rows.append(
        dict(indicator="y", year=10.0, base_year=0.0, value=mult * np.exp(e[-1]), unit="1", kind="multiple", sd=sd)
    )
    df = pd.DataFrame(rows)
    df["confidence"] = "official"
    df["source"] = "user: synthetic, from the Euler solution exact()"
    return df


# ---------------------------------------------------------------------------- observations
def test_packaged_observations_are_sourced_and_valid():
    obs = load_observations()
    assert len(obs) >= 30
    assert obs["source"].str.len().gt(0).all()
    assert set(obs["confidence"]) == {"official", "aggregator", "proxy"}
    # the plan's figures (ch.1 L9) and the censuses are in it
    gdp = obs[(obs["indicator"] == "gdp_nominal") & (obs["kind"] == "level")].set_index("year")["value"]
    assert gdp[2010.0] == 49.4 and gdp[2020.0] == 111
    pop = obs[obs["indicator"] == "pop_total"].set_index("year")["value"]
    assert pop[2010.0] == 362013 and pop[2020.0] == 304854
    # aggregator and proxy figures carry wider errors than official ones
    for kind, sds in DEFAULT_SD.items():
        assert sds["official"] < sds["aggregator"] < sds["proxy"], kind
    lv = obs[obs["kind"] == "level"].groupby("confidence")["sd"].min()
    assert lv["official"] < lv["aggregator"] < lv["proxy"]
    # every proxy says how it is scaled or why it is used unscaled
    assert obs.loc[obs["confidence"] == "proxy", "note"].str.contains("proxy").all()


def test_unknown_variable_is_refused_with_did_you_mean():
    df = obs_frame()
    df.loc[0, "indicator"] = "yy"
    with pytest.raises(ValueError, match=r"indicator 'yy' is not a variable.*did you mean y"):
        Calibration(growth_model(), df, ["g"])


def test_wrong_unit_is_refused_naming_the_units():
    df = obs_frame()
    df.loc[1, "unit"] = "yiyuan/year"
    with pytest.raises(ValueError, match=r"unit 'yiyuan/year' does not fit level of 'y'.*model units"):
        Calibration(growth_model(), df, ["g"])


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("kind", "levels", r"kind is 'levels'.*did you mean 'level'"),
        ("confidence", "oficial", r"confidence is 'oficial'.*did you mean 'official'"),
        ("value", np.nan, r"value is nan; allowed: a finite number"),
        ("value", -3.0, r"allowed: > 0 for a level"),
        ("sd", -0.1, r"sd is -0.1"),
        ("source", "", r"source is empty"),
    ],
)
def test_bad_observation_rows_get_one_clear_error(column, value, message):
    df = obs_frame()
    df[column] = df[column].astype(object)
    df.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        load_observations(df)


def test_missing_column_and_years_outside_the_run():
    with pytest.raises(ValueError, match=r"missing columns \['confidence'\]"):
        load_observations(obs_frame().drop(columns="confidence"))
    df = obs_frame()
    df.loc[0, "year"] = 11.0
    with pytest.raises(ValueError, match=r"year 11 is not a saved time of the run \(0-10\)"):
        Calibration(growth_model(), df, ["g"])


def test_csv_file_is_read(tmp_path):
    p = tmp_path / "obs.csv"
    obs_frame().to_csv(p, index=False)
    cal = Calibration(growth_model(), p, ["g", "y0"])
    assert len(cal.obs.target) == 8


def test_unknown_parameter_and_parameter_without_range():
    with pytest.raises(KeyError, match="did you mean g"):
        Calibration(growth_model(), obs_frame(), ["gg"])
    m = Model("m", stop=2.0)
    m.param("k", 1.0, "1/year")
    x = m.stock("x", initial=1.0, units="t")
    m.flow("f", m.params.k * x, units="t/year", into="x")
    df = pd.DataFrame(
        dict(
            indicator=["x"],
            year=[1.0],
            value=[2.0],
            unit=["t"],
            kind=["level"],
            confidence=["official"],
            source=["user: t"],
        )
    )
    with pytest.raises(ValueError, match=r"'k' has no range"):
        Calibration(m, df, ["k"])


@pytest.mark.parametrize(
    "row, message",
    [
        (dict(kind="value", value=-0.5, sd=np.nan), r"sd is empty; a value is compared in its own unit"),
        (dict(kind="difference", value=1.0, sd=0.1), r"base_year is empty; a difference needs"),
        (dict(kind="mean", value=1.0, base_year=2.0, year=np.nan), r"a mean needs both year and base_year"),
        (dict(kind="growth_rate", basis="pre-2018-census"), r"basis 'pre-2018-census' is given for a growth_rate"),
        (dict(basis="pre-2018-censu"), r"basis is 'pre-2018-censu'.*did you mean 'pre-2018-census'"),
    ],
)
def test_bad_rows_of_the_signed_kinds_and_bases_get_one_clear_error(row, message):
    df = obs_frame()
    df["basis"] = ""
    for k, v in row.items():
        df[k] = df[k].astype(object) if k in df else ""
        df.loc[0, k] = v
    with pytest.raises(ValueError, match=message):
        load_observations(df)


def test_signed_kinds_mean_and_basis_compare_as_documented():
    """value: x(t); difference: x(t) - x(b); mean: mean of x over b..t (the whole run when both are
    empty); a level on another basis: x(t) times the basis factor (BASES), its sd widened."""
    from jzsim.calibration.observations import BASES

    rows = pd.DataFrame(
        [
            dict(indicator="y", year=4.0, value=2.0, unit="t", kind="value", sd=0.5),
            dict(indicator="y", year=10.0, base_year=4.0, value=1.0, unit="t", kind="difference", sd=0.5),
            dict(indicator="y", year=6.0, base_year=2.0, value=2.0, unit="t", kind="mean"),
            dict(indicator="y", year=np.nan, value=2.0, unit="t", kind="mean"),
            dict(indicator="y", year=8.0, value=3.0, unit="t", kind="level", basis="pre-2018-census"),
        ]
    )
    rows["confidence"], rows["source"] = "official", "user: synthetic"
    cal = Calibration(growth_model(), rows, ["g", "y0"])
    pred = cal.obs.predict(cal.run(np.array([[0.05, 2.0]])))[:, 0]
    y = exact(0.05, 2.0, np.arange(11.0))
    b = BASES["pre-2018-census"]
    assert pred[0] == pytest.approx(y[4])
    assert pred[1] == pytest.approx(y[10] - y[4])
    assert np.exp(pred[2]) == pytest.approx(y[2:7].mean())
    assert np.exp(pred[3]) == pytest.approx(y.mean())
    assert np.exp(pred[4]) == pytest.approx(y[8] * b.factor)
    assert cal.obs.sd[4] == pytest.approx(np.hypot(DEFAULT_SD["level"]["official"], b.sd))
    assert "pre-2018-census basis" in cal.obs.table.loc[4, "series"]
    # the fit report and plot show each kind on its own scale (the basis level times its factor)
    from jzsim.calibration.report import _series_path

    res = cal.fit("ml", starts=4)
    obs = res.observations
    p = cal.obs.predict(cal.run(res.params.to_numpy()[None, :]))[:, 0]
    assert obs["predicted"].to_numpy() == pytest.approx([p[0], p[1], np.exp(p[2]), np.exp(p[3]), np.exp(p[4])])
    _, path = _series_path(res.fitted, obs.iloc[4], "time", "point")
    x8 = float(res.fitted["y_point"].sel(time=8.0))
    assert path[0, 8] == pytest.approx(x8 * b.factor)
    assert len(res.plot().axes) >= 5
    # leniently resolved, a row the model cannot use is listed in the summary with the reason
    rows.loc[5] = dict(indicator="rain", year=np.nan, value=500.0, unit="t", kind="mean", confidence="proxy")
    rows.loc[5, "source"] = "user: synthetic"
    lenient = Calibration(growth_model(), rows, ["g", "y0"], strict=False).fit("ml", starts=4)
    assert "rain (whole run) mean: indicator 'rain' is not a variable" in lenient.summary()
    with pytest.raises(ValueError, match="indicator 'rain' is not a variable"):
        Calibration(growth_model(), rows, ["g", "y0"])


def test_hessian_measures_the_curvature_over_the_posterior_width_not_at_a_kink():
    """A kink at the optimum (lookup tables are piecewise linear) adds 2 c / h to a central
    difference of step h: with c = 0.01 and h = 1e-3 the curvature of a unit-variance direction
    reads 21 instead of about 1. Measured at one sd, the Hessian is the quadratic's (within 5%)."""
    cal = Calibration(growth_model(), obs_frame(), ["g", "y0"])
    A = np.array([[1.0, 0.3], [0.3, 4.0]])
    c = 0.01

    def objective(Z, prior):
        Z = np.atleast_2d(Z)
        return -0.5 * np.einsum("ni,ij,nj->n", Z, A, Z) - c * np.abs(Z[:, 0])

    cal._objective_z = objective  # an instance attribute: this calibration only
    tiny = cal._hessian(np.zeros(2), False, h=1e-3, rounds=0)
    assert tiny[0, 0] == pytest.approx(1.0 + 2 * c / 1e-3, rel=1e-6)
    H = cal._hessian(np.zeros(2), False)
    assert np.allclose(H, A, rtol=0.05, atol=0.05)


# ---------------------------------------------------------------------------- estimation
def test_predictions_match_the_euler_solution():
    """The comparison scale of each kind, against the closed form (exact())."""
    cal = Calibration(growth_model(), obs_frame(), ["g", "y0"])
    pred = cal.obs.predict(cal.run(np.array([[0.05, 2.0]])))[:, 0]
    assert np.allclose(np.exp(pred[:6]), exact(0.05, 2.0, [0, 2, 4, 6, 8, 10]))
    assert pred[6] == pytest.approx((1 + 0.05 * DT) ** 2 - 1)
    assert np.exp(pred[7]) == pytest.approx((1 + 0.05 * DT) ** 20)


def test_ml_recovers_exact_parameters_from_noise_free_data():
    res = Calibration(growth_model(), obs_frame(g=0.037, y0=2.6), ["g", "y0"]).fit("ml")
    assert res.params["g"] == pytest.approx(0.037, rel=1e-4)
    assert res.params["y0"] == pytest.approx(2.6, rel=1e-4)
    ci = res.conf_int(0.1)
    assert (ci["lower"] < res.params).all() and (res.params < ci["upper"]).all()
    assert res.info["kernel_calls"] < 200  # each gradient and the Hessian are one call each
    assert res.observations["std_resid"].abs().max() < 1e-3
    assert res.observations.loc[0, "predicted"] == pytest.approx(2600.0, rel=1e-4)  # back in kg


def test_fitted_parameters_not_in_the_data_stay_at_the_prior_for_map():
    res = Calibration(growth_model(), obs_frame(), ["g", "other"]).fit("map")
    # 'other' does not enter y: the MAP is its prior mode (triangular mode 1.0)
    assert res.params["other"] == pytest.approx(1.0, abs=0.02)
    assert res.params["g"] == pytest.approx(0.05, rel=1e-3)


@pytest.mark.slow
def test_ml_interval_coverage_over_synthetic_histories():
    """Simulation-based check: truth drawn from the prior, noise at the observations' sd; the 90%
    intervals must cover the truth in about 90% of trials (binomial 99% band for 60 trials:
    0.78-0.98)."""
    rng = np.random.default_rng(7)
    model = growth_model()
    hits, trials = 0, 60
    for _ in range(trials):
        g, y0 = rng.uniform(0.02, 0.08), rng.uniform(1.5, 3.0)
        noise = rng.standard_normal(8) * np.r_[[0.05] * 6, 1.0, 0.05]
        res = Calibration(model, obs_frame(g=g, y0=y0, noise=noise), ["g", "y0"]).fit("ml", starts=8)
        ci = res.conf_int(0.1)
        hits += ci.loc["g", "lower"] <= g <= ci.loc["g", "upper"]
    assert 0.78 <= hits / trials <= 0.98


@pytest.mark.slow
def test_importance_posterior_is_calibrated_for_every_parameter():
    """Simulation-based calibration (Talts et al. 2018) of fit("importance"): truths drawn from the
    priors themselves (g uniform on [0, 0.1], so some truths sit at an edge; y0 triangular), noise
    at the observations' sd; with a correct posterior each parameter's 90% interval covers its
    truth in about 90% of trials (binomial 99.9% band for 120 trials: 0.81-0.99) and the truth's
    rank among the posterior draws is uniform (chi-square over 5 bins, p > 0.001)."""
    from scipy import stats

    from jzsim.uncertainty.distributions import ppf_rows

    rng = np.random.default_rng(11)
    model = growth_model()
    cal0 = Calibration(model, obs_frame(), ["g", "y0"])
    trials = 120
    truths = ppf_rows(cal0.parameters, rng.random((2, trials))).T
    hits, ranks = np.zeros((trials, 2), bool), np.zeros((trials, 2), int)
    for i, (g, y0) in enumerate(truths):
        noise = rng.standard_normal(8) * np.r_[[0.05] * 6, 1.0, 0.05]
        res = Calibration(model, obs_frame(g=g, y0=y0, noise=noise), ["g", "y0"]).fit(
            "importance", seed=i, starts=8, sample_size=99, proposals=1000
        )
        ci = res.conf_int(0.1)
        hits[i] = (ci["lower"].values <= truths[i]) & (truths[i] <= ci["upper"].values)
        ranks[i] = (res.draws < truths[i]).sum(axis=0)
    for j, name in enumerate(["g", "y0"]):
        assert 0.81 <= hits[:, j].mean() <= 0.99, (name, hits[:, j].mean())
        counts = np.histogram(ranks[:, j], bins=5, range=(0, 100))[0]
        assert stats.chisquare(counts).pvalue > 0.001, (name, counts)


def test_importance_sample_agrees_with_mcmc_and_reports_its_effective_size():
    cal = Calibration(growth_model(), obs_frame(g=0.04, y0=2.2), ["g", "y0"])
    imp = cal.fit("importance", seed=1)
    mc = cal.fit("mcmc", seed=1, walkers=32, steps=400)
    assert imp.info["effective_sample_size"] > 200 and imp.info["importance_note"] == "ok"
    assert np.allclose(imp.params, mc.params, rtol=0.02)
    assert np.allclose(imp.bse, mc.bse, rtol=0.25)
    ci = imp.conf_int(0.1)
    assert np.allclose(ci.values, np.quantile(imp.draws, [0.05, 0.95], axis=0).T)
    assert "effective sample size" in imp.summary()
    with pytest.raises(ValueError, match=r"proposals is 10; allowed: an integer >= 100"):
        cal.fit("importance", proposals=10)
    with pytest.raises(ValueError, match=r"restarts is 0; allowed: an integer >= 1"):
        cal.fit("ml", restarts=0)
    one = cal.fit("ml", restarts=1)  # one optimiser run finds the same optimum on this smooth problem
    assert np.allclose(one.params, cal.fit("ml").params, rtol=1e-4)


def test_mcmc_posterior_agrees_with_the_laplace_approximation():
    cal = Calibration(growth_model(), obs_frame(noise=np.full(8, 0.01)), ["g", "y0"])
    ml = cal.fit("map")
    mc = cal.fit("mcmc", steps=400, walkers=32, seed=1)
    assert mc.info["evaluations"] >= 400 * 32
    assert mc.info["kernel_calls"] <= 2 * 400 + 200  # one call per half-ensemble move (+ the MAP)
    assert abs(mc.params["g"] - ml.params["g"]) < 0.5 * ml.bse["g"]
    assert mc.bse["g"] == pytest.approx(ml.bse["g"], rel=0.3)
    assert 0.15 < mc.info["acceptance"] < 0.8


def test_unknown_method_has_did_you_mean():
    with pytest.raises(ValueError, match="did you mean 'mcmc'"):
        Calibration(growth_model(), obs_frame(), ["g"]).fit("mcm")


# ---------------------------------------------------------------------------- report
def test_theil_decomposition_sums_to_one_and_isolates_bias():
    a = np.array([1.0, 2.0, 4.0, 3.0])
    t = theil(a + 0.5, a)  # a pure offset is all bias
    assert t["U_M"] == pytest.approx(1.0) and t["U_S"] == pytest.approx(0.0) and t["mse"] == pytest.approx(0.25)
    t = theil(2 * a - a.mean(), a)  # same mean, double spread, perfectly correlated: all unequal variation
    assert t["U_S"] == pytest.approx(1.0)
    p = np.array([1.5, 1.0, 4.2, 3.9])
    t = theil(p, a)
    assert t["U_M"] + t["U_S"] + t["U_C"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def fitted():
    noise = np.random.default_rng(3).standard_normal(8) * 0.02
    return Calibration(growth_model(), obs_frame(g=0.04, noise=noise), ["g", "y0"]).fit("ml", sample_size=500)


def test_fit_report_summary_and_plot(fitted):
    rep = fitted.fit_report()
    assert {"rmse", "mape_pct", "r2", "U_M", "U_S", "U_C"} <= set(rep.columns)
    lv = rep.loc["y (level)"]
    assert lv["n"] == 6 and lv["r2"] > 0.9 and lv["mape_pct"] < 5
    assert lv["U_M"] + lv["U_S"] + lv["U_C"] == pytest.approx(1.0)
    text = fitted.summary()
    for word in ("g ", "y0", "5%", "95%", "U_M", "calibration hash"):
        assert word in text
    from matplotlib.figure import Figure

    fig = fitted.plot()
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.get_visible()]) == 3


def test_sample_is_seeded_and_inside_the_ranges(fitted):
    a, b = fitted.sample(100, seed=1), fitted.sample(100, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(fitted.sample(100, seed=2))
    assert (a["g"] >= 0).all() and (a["g"] <= 0.1).all()


def test_netcdf_round_trip_keeps_everything(fitted, tmp_path):
    p = tmp_path / "cal.nc"
    fitted.to_netcdf(p)
    back = load_calibration(p)
    assert back.hash == fitted.hash
    pd.testing.assert_series_equal(back.params, fitted.params)
    pd.testing.assert_frame_equal(back.conf_int(0.1), fitted.conf_int(0.1))
    np.testing.assert_array_equal(back.draws, fitted.draws)
    assert back.fit_report().equals(fitted.fit_report())
    with pytest.raises(ValueError, match="not a jzsim calibration"):
        jzsim.simulate(model=growth_model()).to_netcdf(tmp_path / "x.nc")
        load_calibration(tmp_path / "x.nc")


# ---------------------------------------------------------------------------- flows on
def test_monte_carlo_draws_the_calibrated_sample_jointly(fitted):
    from jzsim.experiments import Execution

    kw = dict(model=growth_model(), calibration=fitted, outcomes=True, progress=False, outputs=["y"])
    a = jzsim.monte_carlo(5000, **kw)
    b = jzsim.monte_carlo(5000, execution=Execution(chunk_size=4096), **kw)
    assert a.attrs["calibration_hash"] == fitted.hash
    pa = a["parameters"].to_pandas()[["g", "y0"]].to_numpy()
    np.testing.assert_array_equal(pa, b["parameters"].to_pandas()[["g", "y0"]].to_numpy())  # chunking
    # every draw is a whole row of the calibration's sample (joint, so correlations carry over)
    rows = {tuple(r) for r in fitted.draws}
    assert all(tuple(r) in rows for r in pa[:500])
    assert np.corrcoef(pa.T)[0, 1] == pytest.approx(np.corrcoef(fitted.draws.T)[0, 1], abs=0.05)
    # an uncalibrated parameter is still drawn from its prior
    assert a["parameters"].sel(parameter="other").std() > 0.05


def test_start_values_are_left_out_when_the_run_starts_elsewhere(fitted):
    assert fitted.start_values == []  # g, y0 (no _base suffix)
    assert set(fitted.uncertainty(start=5.0)) == {"g", "y0"}


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_a_shared_stream_draws_whole_rows_of_a_joint_sample(sampler):
    from jzsim.uncertainty.distributions import Empirical
    from jzsim.uncertainty.sampling import sample_parameters

    joint = np.array([[1.0, 10.0], [2.0, 5.0], [3.0, 30.0], [4.0, 0.5]])  # rows, not sorted columns
    a = Empirical(tuple(joint[:, 0]), stream="s").apply(Parameter("a", "1", 0.0))
    b = Empirical(tuple(joint[:, 1]), stream="s").apply(Parameter("b", "1", 0.0))
    c = Parameter("c", "1", 0.5, 0.0, 1.0, "uniform", "assumption: test")
    x = sample_parameters([a, b, c], sampler, 3, 0, 256, 256)
    pairs = set(zip(x["a"], x["b"]))
    assert pairs <= {tuple(r) for r in joint} and len(pairs) == 4
    # without the shared stream the columns are drawn independently (pairs that are no row appear)
    a2, b2 = (Empirical(tuple(joint[:, j])).apply(Parameter(n, "1", 0.0)) for j, n in enumerate("ab"))
    y = sample_parameters([a2, b2, c], sampler, 3, 0, 256, 256)
    assert not set(zip(y["a"], y["b"])) <= {tuple(r) for r in joint}


def test_log_jacobian_of_the_logit_transform_stays_finite_far_out():
    """log|dx/dz| = log(width) + log s + log(1 - s), s = expit(z): the direct formula gives -inf
    (and a warning) once 1 - s rounds to 0 (z about 37), which made far importance proposals
    look impossible under the prior instead of merely improbable."""
    from scipy import special

    from jzsim.calibration.priors import Transform

    tr = Transform([Parameter("a", "1", 0.5, 0.0, 2.0, "uniform", "assumption: test")])
    z = np.array([[-3.0], [0.2], [5.0]])
    s = special.expit(z[:, 0])
    assert tr.log_jacobian(z) == pytest.approx(np.log(2.0) + np.log(s) + np.log1p(-s))
    far = tr.log_jacobian(np.array([[40.0], [-800.0]]))
    assert np.isfinite(far).all() and far == pytest.approx(np.log(2.0) - np.array([40.0, 800.0]), rel=1e-6)
