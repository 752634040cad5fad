"""Sobol and Morris indices against analytic cases.

References (all derived in this file's docstrings, no fitted numbers):

Ishigami function (Ishigami & Homma 1990), x_i ~ U(-pi, pi), a = 7, b = 0.1:
    f = sin x1 + a sin^2 x2 + b x3^4 sin x1
    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8,
    V13 = b^2 pi^8 (1/18 - 1/50) = 8 b^2 pi^8 / 225; S3 = 0; ST1 = (V1 + V13)/V; ST3 = V13/V.

Linear model with one interaction, declared as a jzsim Model, x_i ~ U(-1, 1) (variance 1/3):
    y = a1 x1 + a2 x2 + b x1 x3
    Var(x1 x3) = E[x1^2] E[x3^2] = 1/9, so V = a1^2/3 + a2^2/3 + b^2/9,
    S1 = a1^2/(3V), S2 = a2^2/(3V), S3 = 0, ST1 = (a1^2/3 + b^2/9)/V, ST2 = S2, ST3 = b^2/(9V);
    second order: S2_13 = b^2/(9V) (the only interaction), S2_12 = S2_23 = 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from jzsim.analysis.sensitivity import morris, ranking, saltelli_design, sobol, sobol_indices
from jzsim.engine import Model
from jzsim.params import Parameter

A1, A2, B = 2.0, 1.0, 3.0


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a=7.0, b=0.1):
    V = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    V1, V2, V13 = 0.5 * (1 + b * np.pi**4 / 5) ** 2, a**2 / 8, 8 * b**2 * np.pi**8 / 225
    return np.array([V1, V2, 0.0]) / V, np.array([V1 + V13, V2, V13]) / V


def linear_model() -> Model:
    m = Model("linear_interaction", start=0.0, stop=1.0, dt=1.0)
    x = [
        m.add_parameter(Parameter(f"x{i}", "1", 0.0, -1.0, 1.0, "uniform", source="assumption: analytic test case"))
        for i in (1, 2, 3)
    ]
    m.aux("y", A1 * x[0] + A2 * x[1] + B * x[0] * x[2], units="1")
    return m


def linear_indices():
    V = A1**2 / 3 + A2**2 / 3 + B**2 / 9
    return np.array([A1**2 / 3, A2**2 / 3, 0.0]) / V, np.array([A1**2 / 3 + B**2 / 9, A2**2 / 3, B**2 / 9]) / V


def test_saltelli_design_blocks():
    k, n = 4, 64
    u = saltelli_design(k, n, seed=3)
    assert u.shape == (n * (k + 2), k)
    assert ((u > 0) & (u < 1)).all()
    A, Bm = u[:n], u[n : 2 * n]
    for i in range(k):
        ab = u[(2 + i) * n : (3 + i) * n]
        np.testing.assert_array_equal(ab[:, i], Bm[:, i])
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(A, i, axis=1))
    np.testing.assert_array_equal(saltelli_design(k, n, seed=3), u)  # seeded
    assert not np.array_equal(saltelli_design(k, n, seed=4), u)


def test_jansen_ishigami_within_intervals():
    k, n = 3, 8192
    u = saltelli_design(k, n, seed=1)
    y = ishigami(-np.pi + 2 * np.pi * u)
    r = sobol_indices(y, k, n_bootstrap=300, seed=2)
    s1, st = ishigami_indices()
    # analytic values within 0.02 and inside (slightly widened) bootstrap intervals
    np.testing.assert_allclose(r["S1"], s1, atol=0.02)
    np.testing.assert_allclose(r["ST"], st, atol=0.02)
    assert (r["S1_low"] - 0.01 <= s1).all() and (s1 <= r["S1_high"] + 0.01).all()
    assert (r["ST_low"] - 0.01 <= st).all() and (st <= r["ST_high"] + 0.01).all()
    assert (r["S1_high"] - r["S1_low"] < 0.1).all()


def test_jansen_trailing_dims_and_constant_output():
    k, n = 2, 256
    u = saltelli_design(k, n)
    y = np.stack([u[:, 0] + 0.1 * u[:, 1], np.full(len(u), 5.0)], axis=1)  # second column constant
    r = sobol_indices(y, k, n_bootstrap=20)
    assert r["S1"].shape == (k, 2)
    assert np.isnan(r["S1"][:, 1]).all() and np.isnan(r["ST"][:, 1]).all()
    assert r["S1"][0, 0] > 0.9 and r["S1"][1, 0] < 0.05


def test_jansen_rejects_bad_rows():
    with pytest.raises(ValueError, match="multiple of k \\+ 2"):
        sobol_indices(np.zeros(11), 3)


def test_sobol_on_declared_linear_model():
    si = sobol(model=linear_model(), outputs=["y"], n=4096, seed=5, n_bootstrap=100)
    s1, st = linear_indices()
    got1 = si["S1_by_year"].sel(output="y").isel(time=-1).values
    gotT = si["ST_by_year"].sel(output="y").isel(time=-1).values
    np.testing.assert_allclose(got1, s1, atol=0.02)
    np.testing.assert_allclose(gotT, st, atol=0.02)
    assert list(si["parameter"].values) == ["x1", "x2", "x3"]
    assert si.attrs["runs"] == 4096 * 5
    df = ranking(si, output="y")
    assert list(df.index) == list(np.array(["x1", "x2", "x3"])[np.argsort(-st)])  # ST 0.875, 0.125, 0.375
    assert {"S1", "ST", "S1_low", "ST_high"} <= set(df.columns)


def test_morris_on_declared_linear_model():
    mo = morris(model=linear_model(), outputs=["y"], trajectories=50, seed=1)
    mu_star = mo["mu_star_by_year"].sel(output="y").isel(time=-1).values
    # y is linear in x2 with slope a2 per unit of x2 = 2 a2 per unit of quantile (x = -1 + 2u)
    assert mu_star[1] == pytest.approx(2 * A2, rel=1e-9)
    assert mo["sigma_by_year"].sel(output="y").isel(time=-1).values[1] == pytest.approx(0, abs=1e-9)
    # x3 acts only through its interaction: nonzero effects that change sign (sigma > 0, |mu| < mu_star)
    mu = mo["mu_by_year"].sel(output="y").isel(time=-1).values
    assert mu_star[2] > 0 and abs(mu[2]) < mu_star[2]


def test_sensitivity_bad_names():
    with pytest.raises(KeyError, match="did you mean x1"):
        sobol(model=linear_model(), outputs=["y"], parameters=["x11"], n=8)
    with pytest.raises(KeyError, match="output 'yy'"):
        sobol(model=linear_model(), outputs=["yy"], n=8)
    with pytest.raises(KeyError, match="did you mean gdp_growth_2021_2025"):
        sobol("gdp_growth_2021_2026", n=8)


def test_sobol_plan_target_value_and_met():
    pars = ["tfp_growth", "investment_rate", "capital_output_ratio"]
    si = sobol("gdp_growth_2021_2025", parameters=pars, n=128, n_bootstrap=50)
    assert si["S1"].dims == ("target", "measure", "parameter")
    assert set(si["measure"].values) == {"value", "met"}
    st = si["ST"].sel(target="gdp_growth_2021_2025", measure="value")
    assert (st > 0).all()  # each of the three moves GDP growth
    assert float(st.sum()) > 0.9  # the three are the only varied inputs: together they explain it
    assert 0 <= float(si["p_met"].sel(target="gdp_growth_2021_2025")) <= 1
    assert "gdp_real" in si["output"].values and 2025 in si["year"].values.astype(int)
    assert si["S1_by_year"].sel(output="gdp_real").isel(year=0).isnull().all()  # 2020: no variance


def test_second_order_ishigami():
    k, n = 3, 8192
    u = saltelli_design(k, n, seed=1, second_order=True)
    assert u.shape == (n * (2 * k + 2), k)
    BA2 = u[(2 + k + 1) * n : (3 + k + 1) * n]
    np.testing.assert_array_equal(BA2[:, 1], u[:n, 1])  # B with column 2 from A
    np.testing.assert_array_equal(BA2[:, [0, 2]], u[n : 2 * n, [0, 2]])
    r = sobol_indices(ishigami(-np.pi + 2 * np.pi * u), k, second_order=True, n_bootstrap=100)
    s1, st = ishigami_indices()
    np.testing.assert_allclose(r["S1"], s1, atol=0.02)  # the extra blocks leave S1, ST unchanged
    V13 = st[2]  # ST3 = S13 (x3 acts only with x1)
    assert r["S2"][0, 2] == pytest.approx(V13, abs=0.03) and r["S2"][2, 0] == r["S2"][0, 2]
    assert abs(r["S2"][0, 1]) < 0.03 and abs(r["S2"][1, 2]) < 0.03
    assert np.isnan(np.diag(r["S2"])).all()
    assert r["S2_low"][0, 2] <= V13 + 0.01 and V13 <= r["S2_high"][0, 2] + 0.01


def test_second_order_on_declared_linear_model():
    si = sobol(model=linear_model(), outputs=["y"], n=4096, seed=5, n_bootstrap=50, second_order=True)
    V = A1**2 / 3 + A2**2 / 3 + B**2 / 9
    S2 = si["S2_by_year"].sel(output="y").isel(time=-1)
    assert float(S2.sel(parameter="x1", parameter_2="x3")) == pytest.approx(B**2 / 9 / V, abs=0.03)
    assert abs(float(S2.sel(parameter="x1", parameter_2="x2"))) < 0.03
    assert si.attrs["runs"] == 4096 * 8
    assert list(ranking(si, output="y").index)[0] == "x1"  # the table ignores the pairs


def test_first_order_estimators_agree_on_ishigami():
    k, n = 3, 8192
    u = saltelli_design(k, n, seed=6)
    y = ishigami(-np.pi + 2 * np.pi * u)
    s1, _ = ishigami_indices()
    for est in ("saltelli", "jansen"):
        np.testing.assert_allclose(sobol_indices(y, k, first_order=est, n_bootstrap=0)["S1"], s1, atol=0.025)
    with pytest.raises(ValueError, match="first_order is 'sobol'"):
        sobol_indices(y, k, first_order="sobol")
