"""PRIM on synthetic data with a known box.

Synthetic case: x0, x1, x2 ~ U(0, 1) independent, 4000 draws (seed 0). Cases of interest: every
draw with x0 < 0.3 and x1 > 0.6 (the true box, mass 0.3 * 0.4 = 12%), plus 2% noise elsewhere.
So the true box's density is 1, its coverage is 0.12 / (0.12 + 0.88 * 0.02) = 87%, and x2 plays
no part: PRIM must restrict x0 from above near 0.3, x1 from below near 0.6, and leave x2 alone.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jzsim.analysis.discovery import describe_box, discover, prim, prim_from_results


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(4000, 3)), columns=["x0", "x1", "x2"])
    box = (X.x0 < 0.3) & (X.x1 > 0.6)
    y = box.to_numpy() | (rng.uniform(size=4000) < 0.02)
    return X, y


def test_prim_finds_the_known_box(synthetic):
    X, y = synthetic
    r = prim(X, y, outcome="the target is missed", max_boxes=1)
    assert len(r.boxes) == 1
    b = r.boxes[0]
    assert set(b.limits) == {"x0", "x1"}  # x2 pruned away
    lo0, hi0 = b.limits["x0"]
    lo1, hi1 = b.limits["x1"]
    assert lo0 is None and hi0 == pytest.approx(0.3, abs=0.03)
    assert hi1 is None and lo1 == pytest.approx(0.6, abs=0.03)
    assert b.density > 0.95
    assert b.coverage > 0.8
    inside = b.contains(X)
    assert b.n == inside.sum() and b.n_cases == y[inside].sum()
    assert b.mass == pytest.approx(inside.mean())


def test_trajectory_trades_coverage_for_density(synthetic):
    X, y = synthetic
    t = prim(X, y).trajectory
    assert t.loc[0, "coverage"] == 1.0 and t.loc[0, "mass"] == 1.0
    assert t.loc[0, "density"] == pytest.approx(y.mean())
    assert (np.diff(t["coverage"]) <= 1e-12).all()  # coverage never rises while peeling
    assert (np.diff(t["mass"]) < 0).all()
    assert t["density"].iloc[-1] > 0.95
    assert t["mass"].iloc[-1] >= 0.05 - 1e-9  # min_mass


def test_description_in_plain_words(synthetic):
    X, y = synthetic
    r = prim(X, y, outcome="the health cluster misses 100亿元", units={"x0": "1/year", "x1": "1"}, max_boxes=1)
    text = r.describe()[0]
    assert re.match(
        r"the health cluster misses 100亿元 in (9\d|100)% of draws where x0 <= 0\.(29|30)\d* 1/year and "
        r"x1 >= 0\.(59|60|61)\d* \(",
        text,
    ), text
    assert "x2" not in text
    assert "of all such draws" in text
    tab = r.table()
    assert list(tab.columns) == ["box", "conditions", "coverage", "density", "mass", "draws"]


def test_second_box_found_by_covering():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(size=(6000, 3)), columns=["a", "b", "c"])
    y = ((X.a < 0.25) | (X.c > 0.8)).to_numpy()  # two separate boxes
    r = prim(X, y, max_boxes=2, min_coverage=0.3)
    assert len(r.boxes) == 2
    found = {next(iter(b.limits)) for b in r.boxes}
    assert found == {"a", "c"}
    assert all(b.density > 0.95 for b in r.boxes)


def test_prim_bad_input(synthetic):
    X, y = synthetic
    with pytest.raises(ValueError, match="y has shape"):
        prim(X, y[:-1])
    with pytest.raises(ValueError, match="alpha is 1.5"):
        prim(X, y, alpha=1.5)
    Xn = X.copy()
    Xn.loc[3, "x1"] = np.nan
    with pytest.raises(ValueError, match="column 'x1'"):
        prim(Xn, y)
    with pytest.raises(ValueError, match="bool"):
        prim(X, np.where(y, 2, 0))


def test_describe_box_without_restriction():
    from jzsim.analysis.discovery import Box

    assert "anywhere" in describe_box(Box({}, 1.0, 0.5, 1.0, 10, 5), "x")


def test_discover_on_the_plan():
    res = discover("health_cluster_output_2025", draws=2000, seed=1, max_boxes=1)
    r = res["health_cluster_output_2025"]
    assert r.outcome.startswith("health_cluster_output_2025 (cluster_output[cluster=health] >= 100 yiyuan/year")
    if r.boxes:  # a box, if found, is denser in misses than the draws overall
        assert r.boxes[0].density > r.base_rate
        assert all(name in r.units for name in r.boxes[0].limits)


def test_prim_from_monte_carlo_outcomes_shape():
    """The per-draw outcome layout of monte_carlo(outcomes=True): target_met(draw, target) and
    parameters(draw, parameter)."""
    import xarray as xr

    rng = np.random.default_rng(3)
    P = rng.uniform(size=(3000, 3))
    met = ~((P[:, 1] > 0.7) & (P[:, 2] < 0.5))
    ds = xr.Dataset(
        {
            "target_met": (("draw", "target"), np.stack([met, np.ones(3000, bool)], axis=1)),
            "parameters": (("draw", "parameter"), P),
        },
        coords={"target": ["health_cluster_output_2025", "gdp_growth_2021_2025"], "parameter": ["a", "b", "c"]},
    )
    r = prim_from_results(ds, "health_cluster_output_2025", max_boxes=1)
    assert set(r.boxes[0].limits) == {"b", "c"}
    assert r.outcome.startswith("health_cluster_output_2025 (cluster_output[cluster=health] >= 100")
    with pytest.raises(KeyError, match="did you mean gdp_growth_2021_2025"):
        prim_from_results(ds, "gdp_growth_2021_2026")


def test_prim_from_simulated_draws():
    rng = np.random.default_rng(4)
    tfp = rng.uniform(0.0, 0.03, 400)
    inv = rng.uniform(0.3, 0.5, 400)
    import jzsim

    ds = jzsim.simulate({"tfp_growth": tfp, "investment_rate": inv})
    r = prim_from_results(ds, "gdp_growth_2021_2025", max_boxes=1)
    assert set(r.units) == {"tfp_growth", "investment_rate"}  # only the parameters that vary
    assert r.boxes and set(r.boxes[0].limits) <= {"tfp_growth", "investment_rate"}
    assert r.boxes[0].density > r.base_rate


def test_discover_draws_are_monte_carlos_draws():
    """discover(seed=s) searches the very draws monte_carlo(seed=s) runs (same sampler streams)."""
    import jzsim
    from jzsim.analysis.sensitivity import SensitivityProblem
    from jzsim.uncertainty.sampling import uniforms

    mc = jzsim.monte_carlo(draws=300, seed=4, keep=True, outputs=["gdp_real"], progress=False)
    prob = SensitivityProblem.make("gdp_growth_2021_2025", outputs=[])
    X = prob.parameter_values(uniforms("random", 4, prob.names, 0, 300, 300))  # what discover does
    np.testing.assert_array_equal(X, mc["parameters"].sel(parameter=prob.names).transpose("draw", "parameter").values)


def test_prim_from_monte_carlo_outcomes():
    import jzsim

    ds = jzsim.monte_carlo(1500, seed=2, outcomes=True, progress=False)
    r = prim_from_results(ds, "gdp_growth_2021_2025", max_boxes=1)
    assert r.n == 1500 and r.base_rate == pytest.approx(1 - ds["target_met"].sel(target="gdp_growth_2021_2025").mean())
    assert r.boxes and r.boxes[0].density > r.base_rate
    assert r.units["tfp_growth"] == "1/year"  # from the outcome layout's parameter_units
