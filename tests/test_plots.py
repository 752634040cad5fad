"""Figures: content (lines, bands, target marks, labels with units), not pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import jzsim  # noqa: E402
from jzsim.analysis import plots  # noqa: E402


@pytest.fixture(scope="module")
def mc():
    return jzsim.monte_carlo(
        draws=400,
        seed=2,
        progress=False,
        outputs=["gdp_real", "cluster_output", "water_supply", "water_demand", "water_demand_total"],
    )


@pytest.fixture(scope="module")
def det():
    return jzsim.simulate()


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_fan_chart_of_a_monte_carlo_summary(mc):
    fig = plots.fan_chart(mc, "gdp_real")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(_bands(ax)) == 2  # 5-95 and 25-75
    median = next(ln for ln in ax.lines if ln.get_label().endswith("median"))
    np.testing.assert_allclose(median.get_ydata(), mc["gdp_real"].sel(statistic="p50").values)
    np.testing.assert_array_equal(median.get_xdata(), np.arange(2020, 2036))
    assert "100 million yuan/year" in ax.get_ylabel()
    assert ax.get_xlabel() == "year"
    # the plan's 6%/yr target drawn as a path from the 2020 median
    target = next(ln for ln in ax.lines if "plan target: 6%/yr" in ln.get_label())
    y = target.get_ydata()
    assert target.get_xdata()[0] == 2020 and target.get_xdata()[-1] == 2025
    assert y[-1] == pytest.approx(y[0] * 1.06**5)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("5-95%" in t for t in labels) and any("25-75%" in t for t in labels)


def test_fan_chart_of_per_draw_and_deterministic_runs(det):
    draws = jzsim.simulate({"tfp_growth": np.linspace(0.0, 0.03, 20)})
    ax = plots.fan_chart(draws, "cluster_output", select={"cluster": "health"}).axes[0]
    assert len(_bands(ax)) == 2
    star = next(ln for ln in ax.lines if ln.get_marker() == "*")  # level target: 100 in 2025
    assert list(star.get_xdata()) == [2025] and list(star.get_ydata()) == [100.0]
    ax = plots.fan_chart(det, "gdp_real").axes[0]
    assert _bands(ax) == []  # one draw: a single line
    np.testing.assert_allclose(ax.lines[0].get_ydata(), det["gdp_real"].values[0])


def test_fan_chart_member_name_finds_its_target(det):
    ax = plots.fan_chart(det, "cluster_output_health").axes[0]
    assert any(ln.get_marker() == "*" for ln in ax.lines)


def test_fan_chart_unknown_variable(det):
    with pytest.raises(KeyError, match="did you mean gdp_real"):
        plots.fan_chart(det, "gdp_reel")


def test_clusters_chart(mc, det):
    for ds in (mc, det):
        ax = plots.clusters_chart(ds).axes[0]
        line = next(ln for ln in ax.lines if "plan target 100" in ln.get_label())
        assert set(line.get_ydata()) == {100.0}
        medians = [ln for ln in ax.lines if ln.get_label().split(":")[0] in ("health", "materials", "equipment")]
        assert len(medians) == 3
        assert "cluster output [100 million yuan/year]" == ax.get_ylabel()


def test_water_balance_by_source_and_use(mc):
    ax = plots.water_balance_chart(mc, by="source").axes[0]
    stacks = _bands(ax)
    assert len(stacks) >= len(mc["water_source"])  # one area per source (+ the demand band)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    sources = [str(x) for x in mc["water_source"].values]  # transferred, surface, reclaimed, two aquifer layers
    assert len(sources) >= 4
    for src in sources:
        assert f"{src} (source)" in labels
    demand = next(ln for ln in ax.lines if ln.get_label().startswith("total demand"))
    np.testing.assert_allclose(demand.get_ydata(), mc["water_demand_total"].sel(statistic="p50").values)
    assert "100 million m3/year" in ax.get_ylabel()
    ax = plots.water_balance_chart(mc, by="use").axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(f"{u} (use)" in labels for u in mc["water_use"].values)
    with pytest.raises(ValueError, match="by is 'sector'"):
        plots.water_balance_chart(mc, by="sector")


def test_aquifer_chart_deterministic_and_monte_carlo(det):
    fig = plots.aquifer_chart(det)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    for j, layer in enumerate(("shallow", "deep")):
        top, bottom = fig.axes[j], fig.axes[2 + j]
        assert _bands(top) == [] and _bands(bottom) == []  # one draw: lines only
        lines = {ln.get_label(): ln for ln in top.lines if not ln.get_label().startswith("_")}
        assert set(lines) == {"recharge", "pumping", "balance"}
        for what in ("recharge", "pumping", "balance"):
            np.testing.assert_allclose(lines[what].get_ydata(), det[f"groundwater_{what}_{layer}"].values[0])
        # the balance drawn is recharge minus pumping, as the water sector defines it
        np.testing.assert_allclose(
            lines["balance"].get_ydata(), lines["recharge"].get_ydata() - lines["pumping"].get_ydata(), atol=1e-9
        )
        assert top.get_ylabel() == f"{layer} layer [100 million m3/year]"
        rise = next(ln for ln in bottom.lines if ln.get_label() == "level rise")
        np.testing.assert_allclose(rise.get_ydata(), det[f"groundwater_level_rise_{layer}"].values[0])
        np.testing.assert_array_equal(rise.get_xdata(), np.arange(2020, 2036))
        assert bottom.get_ylabel() == f"{layer} level change [m per year]" and bottom.get_xlabel() == "year"
    mc = jzsim.monte_carlo(draws=200, seed=3, progress=False, outputs=list(plots.AQUIFER_OUTPUTS))
    fig = plots.aquifer_chart(mc)
    for j, layer in enumerate(("shallow", "deep")):
        top, bottom = fig.axes[j], fig.axes[2 + j]
        assert len(_bands(top)) == 3 and len(_bands(bottom)) == 1  # p05-p95 of each line
        med = next(ln for ln in top.lines if ln.get_label() == "pumping (median, 5-95% band)")
        np.testing.assert_allclose(med.get_ydata(), mc[f"groundwater_pumping_{layer}"].sel(statistic="p50").values)
    with pytest.raises(KeyError, match="groundwater_level_rise_deep"):
        plots.aquifer_chart(det.drop_vars("groundwater_level_rise_deep"))


def test_sensitivity_bars():
    from jzsim.analysis.sensitivity import sobol

    si = sobol(
        "gdp_growth_2021_2025",
        parameters=["tfp_growth", "investment_rate"],
        n=64,
        n_bootstrap=20,
    )
    ax = plots.sensitivity_bars(si, "gdp_growth_2021_2025").axes[0]
    assert len(ax.patches) == 4  # ST and S1 for two parameters
    assert [t.get_text() for t in ax.get_yticklabels()] == list(
        si["ST"].sel(target="gdp_growth_2021_2025", measure="value").to_series().sort_values().index
    )
    assert "Sobol index" in ax.get_xlabel()


def test_scenario_comparison(det):
    low = jzsim.simulate({"tfp_growth": 0.0})
    ax = plots.scenario_comparison({"plan": det, "no TFP growth": low}, "gdp_real").axes[0]
    labels = [ln.get_label() for ln in ax.lines]
    assert "plan" in labels and "no TFP growth" in labels
    assert any("plan target" in lab for lab in labels)
    with pytest.raises(ValueError, match="results is empty"):
        plots.scenario_comparison({}, "gdp_real")


def test_prim_trajectory():
    import pandas as pd

    from jzsim.analysis.discovery import prim

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(1000, 2)), columns=["a", "b"])
    r = prim(X, (X.a < 0.3).to_numpy(), max_boxes=1)
    ax = plots.prim_trajectory(r).axes[0]
    assert len(ax.collections[0].get_offsets()) == len(r.trajectory)
    assert "coverage" in ax.get_xlabel() and "density" in ax.get_ylabel()
