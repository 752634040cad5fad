"""Precompiled target checks (the Monte Carlo fast path) against the xarray path.

:class:`jzsim.analysis.targets.TargetChecks` must give exactly the counts of summing
:func:`jzsim.analysis.targets.target_met` over draws, and the statuses of the xarray path, on the
plan model and on hand-built results that hit every kind, comparison, unit conversion, selector,
NaN and boundary case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from jzsim import Execution, monte_carlo
from jzsim.analysis.targets import TargetChecks, evaluate_targets, load_targets, target_met, validate_targets
from jzsim.engine import Model
from jzsim.engine.results import growth_rows, to_dataset
from jzsim.params import Parameter
from jzsim.uncertainty.summaries import Accumulator

YEARS = np.arange(2020.0, 2031.0)


def xarray_counts(ds: xr.Dataset, targets: pd.DataFrame) -> np.ndarray:
    """Draws meeting each target by the xarray path (``target_met`` on a Dataset): the reference."""
    targets = validate_targets(targets)
    summed = target_met(ds, targets).sum("draw")
    ids = list(targets["id"]) if "id" in targets else list(targets.index)
    return np.array([int(summed.sel(target=t)) if t in summed["target"].values else 0 for t in ids], dtype=np.int64)


def kept_out(ds: xr.Dataset) -> tuple[list[str], np.ndarray]:
    """The per-chunk ``out`` array of a run with ``keep=True`` (rows in the run's order)."""
    names = [v[: -len("_draws")] for v in ds.data_vars if v.endswith("_draws")]
    return names, np.stack([ds[f"{n}_draws"].values for n in names])


def test_plan_model_counts_and_statuses_equal_the_xarray_path():
    from jzsim.engine.results import to_dataset
    from jzsim.params import load_parameters
    from jzsim.plan import plan_model

    targets = load_targets()
    ds = monte_carlo(draws=300, seed=11, keep=True, progress=False)
    names, out = kept_out(ds)
    cm = plan_model(parameters=load_parameters()).build()
    rs = cm.settings_for({})
    full = to_dataset(cm, rs, out, None, names=names, draw_index=np.arange(out.shape[1]))
    expected = xarray_counts(full, targets)
    np.testing.assert_array_equal(ds["n_met"].values, expected)
    assert expected.sum() > 0 and (expected < 300).any()  # the comparison is not vacuous
    status = dict(zip(evaluate_targets(full, targets)["target"], evaluate_targets(full, targets)["status"]))
    for tid, st in zip(ds["target"].values, ds["status"].values):
        if st == "threshold unknown":
            assert status[tid] == "threshold unknown"
        elif st == "not modelled":
            assert status[tid] in ("not modelled", "outside horizon")
        else:
            assert status[tid] in ("met", "missed")


def target_row(**fields) -> dict:
    row = dict(
        id="t",
        area="test",
        description="test target",
        indicator="x",
        selector="",
        kind="level",
        comparison=">=",
        threshold="1",
        units="1",
        year="2025",
        base_year="",
        reference="",
        tolerance="",
        source="plan ch.1 L1",
        note="",
    )
    row.update({k: str(v) for k, v in fields.items()})
    return row


def hand_built(n: int, rng: np.random.Generator) -> tuple[xr.Dataset, dict, np.ndarray, dict]:
    """Results with a percent variable, plain variables, a cluster group and a growth rate not among
    the rows: values near the thresholds, exact boundary values, NaNs, zeros and negatives."""
    names = ["x_pct", "y", "z", "c_health", "c_materials", "base"]
    units = {
        "x_pct": "percent",
        "y": "1",
        "z": "1",
        "c_health": "yiyuan/year",
        "c_materials": "yiyuan/year",
        "base": "yiyuan/year",
    }
    nt = len(YEARS)
    out = np.empty((len(names), n, nt))
    out[0] = rng.uniform(55, 65, (n, nt))
    out[0, : n // 10, :] = 60.0  # exact boundary
    out[1] = rng.uniform(-0.1, 1.2, (n, nt))
    out[1, n // 10 : n // 5, :] = np.nan
    out[2] = rng.uniform(0.5, 1.5, (n, nt))
    out[2, : n // 20] = out[1, : n // 20]  # equal to the reference
    out[3] = rng.uniform(80, 120, (n, nt))
    out[4] = 100.0 * 1.05 ** (YEARS - 2020) * rng.uniform(0.9, 1.1, (n, 1))
    out[4, :5, 0] = 0.0  # base <= 0: growth NaN
    out[5] = 50.0 * (1 + rng.uniform(0.0, 0.1, (n, 1))) ** (YEARS - 2020)
    out[5, 5:10, 0] = -1.0
    coords = {"draw": np.arange(n), "time": YEARS, "cluster": ["health", "materials"]}
    data = {nm: xr.Variable(("draw", "time"), out[i], {"units": units[nm]}) for i, nm in enumerate(names)}
    data["c"] = xr.Variable(("draw", "time", "cluster"), np.stack([out[3], out[4]], axis=-1), {"units": "yiyuan/year"})
    data["base_growth"] = xr.Variable(("draw", "time"), growth_rows(out[5], 1.0), {"units": "1/year"})
    ds = xr.Dataset(data, coords=coords)
    rows: dict = {nm: i for i, nm in enumerate(names)}
    rows["c"] = {"health": 3, "materials": 4}
    return ds, rows, out, {"base_growth": 5}


HAND_TARGETS = [
    target_row(id="pct_approx", indicator="x_pct", comparison="approx", threshold=0.6, tolerance=0.02),
    target_row(id="pct_ge", indicator="x_pct", comparison=">=", threshold=0.6),
    target_row(id="pct_gt", indicator="x_pct", comparison=">", threshold=0.6),
    target_row(id="pct_lt", indicator="x_pct", comparison="<", threshold=0.6, year=2030),
    target_row(id="y_le", indicator="y", comparison="<=", threshold=0.5),
    target_row(id="z_at_most_y", indicator="z", kind="at_most_indicator", comparison="<=", threshold="", reference="y"),
    target_row(id="health", indicator="c", selector="cluster=health", threshold=100, units="yiyuan/year"),
    target_row(id="health_wan", indicator="c", selector="cluster=health", threshold=1e6, units="wanyuan/year"),
    target_row(
        id="materials_cagr",
        indicator="c",
        selector="cluster=materials",
        kind="cagr",
        threshold=0.05,
        units="1/year",
        base_year=2020,
    ),
    target_row(id="member", indicator="c_health", threshold=100, units="yiyuan/year", comparison="<"),
    target_row(id="fallback", indicator="c_materials", threshold=100, units="yiyuan/year", year=2020),
    target_row(
        id="in_step",
        indicator="c",
        selector="cluster=materials",
        kind="cagr_vs_indicator",
        comparison="approx",
        threshold="",
        tolerance=0.01,
        units="1/year",
        base_year=2020,
        reference="base",
    ),
    target_row(id="growth_level", indicator="base_growth", threshold=0.05, units="1/year", year=2021),
    target_row(id="growth_cagr", indicator="base", kind="cagr", threshold=0.05, units="1/year", base_year=2020),
    target_row(id="unknown", indicator="y", threshold=""),
    target_row(id="not_modelled", indicator="", threshold=1),
    target_row(id="absent", indicator="w", threshold=1),
    target_row(id="outside", indicator="y", year=2040),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hand_built_counts_equal_the_xarray_path(seed):
    ds, rows, out, growth = hand_built(400, np.random.default_rng(seed))
    table = pd.DataFrame(HAND_TARGETS)
    checks = TargetChecks(ds.isel(draw=slice(0, 1)), table, rows, growth, 1.0)
    expected = xarray_counts(ds, table)
    np.testing.assert_array_equal(checks.counts(out), expected)
    assert 0 < expected.sum() and len(set(expected.tolist())) > 5
    # the columns copied out by the summaries' pass (as monte_carlo does) give the same counts
    cells = np.array(checks.cells, dtype=np.int64)
    assert len(cells) >= 3
    copies = np.full((len(cells), out.shape[1]), np.nan)
    acc = Accumulator(out.shape[0], out.shape[2], n_bins=20)
    acc.set_edges(np.nan_to_num(out))
    acc.add_blocks(np.nan_to_num(out), 64, cells, copies)
    np.testing.assert_array_equal(checks.counts(np.nan_to_num(out), copies), checks.counts(np.nan_to_num(out)))
    assert checks.counts(out, np.full_like(copies, np.nan)).sum() < expected.sum()  # the copies are read
    with pytest.raises(ValueError, match="copies has shape"):
        checks.counts(out, copies[:-1])
    # without out (the compiled kernel's own summaries write no trajectories): only when no check
    # reads a whole row, as a growth rate computed from a row does
    assert checks.reads_rows
    with pytest.raises(ValueError, match="out is None; allowed only with copies"):
        checks.counts(None, copies)
    levels = table[table["id"] != "growth_level"]
    lv = TargetChecks(ds.isel(draw=slice(0, 1)), levels, rows, growth, 1.0)
    assert not lv.reads_rows
    lv_copies = np.stack([np.nan_to_num(out)[r, :, t] for r, t in lv.cells])
    np.testing.assert_array_equal(lv.counts(None, lv_copies), lv.counts(np.nan_to_num(out)))
    with pytest.raises(ValueError, match="out is None"):
        lv.counts(None)
    ev = evaluate_targets(ds, table)
    judged = {"met", "missed"}
    assert [s in judged for s in checks.status] == [s in judged for s in ev["status"]]
    assert [s for s in checks.status if s not in judged] == [s for s in ev["status"] if s not in judged]


def test_errors_of_the_xarray_path_are_raised_when_compiling():
    ds, rows, _, growth = hand_built(10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"'t'.*cluster='pharma'"):
        TargetChecks(ds, pd.DataFrame([target_row(indicator="c", selector="cluster=pharma")]), rows, growth)
    with pytest.raises(ValueError, match=r"'t'.*selector"):
        TargetChecks(ds, pd.DataFrame([target_row(indicator="c", units="yiyuan/year")]), rows, growth)


def small_model() -> Model:
    """Two growing outputs, grouped, with a growth rate."""
    m = Model("small", start=2020.0, stop=2030.0, dt=0.25)
    m.add_parameter(Parameter("r", "1/year", 0.06, 0.03, 0.09, "uniform", "assumption: test range"))
    m.add_parameter(Parameter("s", "1/year", 0.05, 0.0, 0.1, "triangular", "assumption: test range"))
    p = m.params
    a = m.stock("out_a", initial=90.0, units="yiyuan")
    b = m.stock("out_b", initial=90.0, units="yiyuan")
    m.flow("grow_a", p.r * a, units="yiyuan/year", into="out_a")
    m.flow("grow_b", p.s * b, units="yiyuan/year", into="out_b")
    m.group("out", "kind", {"a": "out_a", "b": "out_b"})
    m.growth_rate("out_a_growth", of="out_a")
    return m


def test_monte_carlo_counts_on_a_small_model_equal_the_xarray_path():
    table = validate_targets(
        pd.DataFrame(
            [
                target_row(id="a_level", indicator="out_a", threshold=1.2e6, units="wanyuan", year=2025),
                target_row(
                    id="b_level", indicator="out", selector="kind=b", threshold=1.3e6, units="wanyuan", year=2030
                ),
                target_row(id="a_cagr", indicator="out_a", kind="cagr", threshold=0.06, units="1/year", base_year=2020),
                target_row(id="a_growth", indicator="out_a_growth", threshold=0.06, units="1/year", year=2024),
                target_row(
                    id="b_vs_a",
                    indicator="out_b",
                    kind="cagr_vs_indicator",
                    comparison="approx",
                    threshold="",
                    tolerance=0.01,
                    units="1/year",
                    base_year=2020,
                    reference="out_a",
                ),
                target_row(id="unknown", indicator="out_a", threshold="", units="yiyuan"),
            ]
        )
    )
    for outputs in (["out_a", "out_b", "out_a_growth"], ["out_a", "out_b"]):  # growth rate kept, or not
        ds = monte_carlo(
            model=small_model(),
            draws=700,
            seed=3,
            targets=table,
            outputs=outputs,
            keep=True,
            outcomes=True,
            progress=False,
            execution=Execution(chunk_size=4096),
        )
        names, out = kept_out(ds)
        cm = small_model().build()
        full = to_dataset(cm, cm.settings_for({}), out, None, names=names)
        expected = xarray_counts(full, table)
        np.testing.assert_array_equal(ds["n_met"].values, expected)
        per_draw = target_met(full, table)  # the xarray evaluation, per draw and judged target
        for tid in per_draw["target"].values:
            np.testing.assert_array_equal(ds["target_met"].sel(target=tid).values, per_draw.sel(target=tid).values)
        assert expected[:5].min() > 0 and expected[:5].max() < 700
        assert ds["status"].values[-1] == "threshold unknown"
