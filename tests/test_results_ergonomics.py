"""Result ergonomics: integer years, parameters apart from outputs, one draw without a draw dim,
groups as Monte Carlo outputs."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import jzsim
from jzsim.engine import Model


@pytest.fixture(scope="module")
def run():
    return jzsim.simulate()


def test_years_are_integers(run):
    assert run["year"].dtype == np.int64
    assert run["year"].values[0] == 2020 and run["year"].values[-1] == 2035
    assert run["gdp_real"].sel(year=2025).item() == run["gdp_real"].isel(year=5).item()


def test_time_dim_other_than_year_stays_float():
    m = Model("decay", start=0.0, stop=2.0, dt=0.5, save_every=0.5)
    x = m.stock("x", initial=1.0, units="t")
    k = m.param("k", 0.1, units="1/year")
    m.flow("out", k * x, units="t/year", out_of="x")
    ds = m.run()
    assert ds["time"].dtype == np.float64
    np.testing.assert_array_equal(ds["time"].values, [0.0, 0.5, 1.0, 1.5, 2.0])


def test_parameters_apart_from_outputs(run):
    params, outs = run.jz.parameters, run.jz.outputs
    assert set(params.data_vars) == {p for p in jzsim.parameters().index}
    assert not set(params.data_vars) & set(outs.data_vars)
    assert set(params.data_vars) | set(outs.data_vars) == set(run.data_vars)
    assert all(v.dims == ("draw",) for v in params.data_vars.values())
    assert "gdp_real" in outs and "cluster_output" in outs


def test_single_drops_the_draw_dim(run):
    one = run.jz.single()
    assert "draw" not in one.dims
    xr.testing.assert_identical(one["gdp_real"], run["gdp_real"].isel(draw=0, drop=True))
    two = jzsim.simulate({"tfp_growth": np.array([0.01, 0.02])})
    with pytest.raises(ValueError, match="results have 2 draws"):
        two.jz.single()


def test_groups_stack_their_members(run):
    for g, dim in (("cluster_output", "cluster"), ("water_supply", "water_source"), ("va", "sector")):
        members = run[g].attrs["members"].split(", ")
        assert run[g].dims == ("draw", "year", dim)
        for label, m in zip(run[dim].values, members):
            np.testing.assert_array_equal(run[g].sel({dim: label}).values, run[m].values)


def test_groups_are_monte_carlo_outputs():
    ds = jzsim.monte_carlo(draws=300, outputs=["cluster_output", "water_supply"], targets=None, progress=False)
    assert ds["cluster_output"].dims == ("statistic", "year", "cluster")
    assert list(ds["cluster"].values) == ["health", "materials", "equipment"]
    assert ds["water_supply"].dims == ("statistic", "year", "water_source")
    np.testing.assert_array_equal(ds["cluster_output"].sel(cluster="health").values, ds["cluster_output_health"].values)
    assert ds["year"].dtype == np.int64
    with pytest.raises(KeyError, match="cluster_outputs"):
        jzsim.monte_carlo(draws=10, outputs=["cluster_outputs"], progress=False)
