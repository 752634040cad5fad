"""Target registry (jzsim/data/targets.csv) and its evaluation against hand-built results.

Reference numbers come from the plan (chapter and line given beside them) or are analytic:
a path x(t) = x0 * 1.06 ** (t - 2020) grows exactly 6% a year.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from jzsim.analysis import evaluate_targets, load_targets, target_indicators, target_met, validate_targets

FIGURES = Path("/work/shared/plan/figures.md")
YEARS = np.arange(2020.0, 2036.0)


def results(n_draws: int = 1, years=YEARS, **variables) -> xr.Dataset:
    """A results Dataset shaped like the engine's: dims (draw, time); each keyword is a
    (path over years | array (draw, time) | array (draw, time, cluster), units) pair."""
    data, coords = {}, {"time": np.asarray(years, dtype=float), "draw": np.arange(n_draws)}
    for name, (values, units) in variables.items():
        a = np.asarray(values, dtype=float)
        if a.ndim == 1:
            a = np.tile(a, (n_draws, 1))
        dims = ("draw", "time", "cluster")[: a.ndim]
        if a.ndim == 3:
            coords["cluster"] = ["health", "materials", "equipment"]
        data[name] = xr.Variable(dims, a, {"units": units})
    return xr.Dataset(data, coords=coords)


def growth_path(x0: float, rate: float, years=YEARS) -> np.ndarray:
    return x0 * (1 + rate) ** (np.asarray(years) - 2020.0)


def one_target(**fields) -> pd.DataFrame:
    """A one-row target table; unspecified fields take harmless defaults."""
    row = {
        "id": "t",
        "area": "test",
        "description": "test target",
        "indicator": "x",
        "selector": "",
        "kind": "level",
        "comparison": ">=",
        "threshold": "1",
        "units": "1",
        "year": "2025",
        "base_year": "",
        "reference": "",
        "tolerance": "",
        "source": "plan ch.1 L1",
        "note": "",
    }
    row.update({k: str(v) for k, v in fields.items()})
    return pd.DataFrame([row])


def row_of(df: pd.DataFrame, target: str) -> pd.Series:
    return df.set_index("target").loc[target]


# ---------------------------------------------------------------------------------------------
# the registry


# Rows per area, counted from figures.md's Targets table with multi-indicator rows split:
# gdp 1 (ch.4 L44); clusters 3 (ch.9 L86/88/90); innovation 2+2 (ch.6 L64, ch.5 L56);
# investment 2+1 (ch.22 L218, L222); foreign trade 2 (ch.28 L280); urbanisation 1 (ch.18 L170);
# villages 3 years (ch.19 L176); agriculture 2+2+4 (ch.13 L124, L127, L131-132, fertiliser and
# pesticide apart); water 1 (2022 balance) + 3 (2025 quota, reclaimed, level rising) + 2 (2021
# Yangtze water: villages, domestic supply); environment 2; energy 1; rural living 4;
# education 4; elderly care 2; buildings 1; income 2 (urban, rural).
EXPECTED_PER_AREA = {
    "gdp": 1,
    "clusters": 3,
    "innovation": 4,
    "investment": 3,
    "foreign_trade": 2,
    "urbanisation": 1,
    "villages": 3,
    "agriculture": 8,
    "water": 6,
    "environment": 2,
    "energy": 1,
    "rural_living": 4,
    "education": 4,
    "elderly_care": 2,
    "buildings": 1,
    "income": 2,
}


def test_registry_rows_per_area():
    t = load_targets()
    assert t.groupby("area").size().to_dict() == EXPECTED_PER_AREA
    assert len(t) == 47


def test_registry_loads_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(load_targets()) == sum(EXPECTED_PER_AREA.values())


def test_registry_spot_values_match_plan():
    t = load_targets().set_index("id")
    assert t.loc["gdp_growth_2021_2025", ["kind", "threshold", "base_year", "year"]].tolist() == [
        "cagr",
        0.06,
        2020,
        2025,
    ]  # ch.4 L44
    assert t.loc["urbanisation_2025", "comparison"] == "approx"  # ch.18 L170: 60%左右
    assert t.loc["urbanisation_2025", "tolerance"] == 0.02
    assert "assumption" in t.loc["urbanisation_2025", "note"]
    assert t.loc["health_cluster_output_2025", "selector"] == "cluster=health"  # ch.9 L86
    assert t.loc["groundwater_balance_2022", ["indicator", "reference", "year"]].tolist() == [
        "groundwater_extraction",
        "groundwater_recharge",
        2022,
    ]  # ch.23 L230
    assert t.loc["green_space_ratio_2025", "threshold"] == 0.378  # ch.18 L170
    assert t.loc["day_care_coverage_2025", "comparison"] == ">"  # ch.36 L355: 大于90%


# figures.md area text -> registry area; first match wins ("health cluster (... elderly care)")
_AREAS = [
    ("cluster", "clusters"),
    ("gdp", "gdp"),
    ("innovation", "innovation"),
    ("investment", "investment"),
    ("foreign trade", "foreign_trade"),
    ("urbanisation", "urbanisation"),
    ("villages", "villages"),
    ("agriculture", "agriculture"),
    ("water", "water"),
    ("environment", "environment"),
    ("energy", "energy"),
    ("rural living", "rural_living"),
    ("education", "education"),
    ("elderly care", "elderly_care"),
    ("buildings", "buildings"),
    ("income", "income"),
]
# registry rows expected for each row of figures.md's Targets table, in order
_ROWS_PER_FIGURE = [1, 1, 1, 1, 2, 2, 2, 1, 2, 1, 3, 2, 2, 4, 1, 3, 2, 2, 1, 4, 4, 2, 1, 2]


def _figures_targets() -> list[dict]:
    text = FIGURES.read_text(encoding="utf-8").split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("area", "") or set(cells[0]) <= {"-"}:
            continue
        area, target, year, where = cells
        y = [int(v) for v in re.findall(r"\d+", year)]
        years = range(y[0], (2000 + y[1] if y[1] < 100 else y[1]) + 1) if len(y) == 2 else range(y[0], y[0] + 1)
        spans = [(int(c), int(a), int(b or a)) for c, a, b in re.findall(r"ch\.(\d+) L(\d+)(?:-(\d+))?", where)]
        rows.append(
            {
                "area": next(v for k, v in _AREAS if k in area.lower()),
                "target": target,
                "years": years,
                "spans": spans,
            }
        )
    return rows


def _stated_numbers(text: str) -> list[float]:
    """Thresholds written in a figures.md target cell: percents as fractions; years and money
    qualifiers ("over 100 million yuan", "per 10,000 yuan") left out."""
    out = []
    for m in re.finditer(r"(\d[\d,]*(?:\.\d+)?)(\s*%)?", text):
        rest = text[m.end() :].lstrip()
        if rest.startswith(("yuan", "million yuan")):
            continue
        v = float(m.group(1).replace(",", ""))
        if m.group(2):
            out.append(v / 100)
        elif not 2020 <= v <= 2035:
            out.append(v)
    return out


@pytest.mark.skipif(not FIGURES.exists(), reason="figures.md (the plan digest) not available")
def test_every_figures_target_is_in_registry():
    figs = _figures_targets()
    assert len(figs) == len(_ROWS_PER_FIGURE)
    t = load_targets()
    src = t["source"].str.extract(r"ch\.(\d+) L(\d+)").astype(int)
    matched = set()
    for fig, expected in zip(figs, _ROWS_PER_FIGURE, strict=True):
        hit = t[
            (t["area"] == fig["area"])
            & t["year"].isin(list(fig["years"]))
            & np.logical_or.reduce([(src[0] == c) & src[1].between(a, b) for c, a, b in fig["spans"]])
        ]
        assert len(hit) == expected, (fig["target"], hit["id"].tolist())
        for v in _stated_numbers(fig["target"]):
            assert np.isclose(hit["threshold"], v).any(), (fig["target"], v, hit["threshold"].tolist())
        matched |= set(hit["id"])
    assert matched == set(t["id"]), set(t["id"]) - matched


# ---------------------------------------------------------------------------------------------
# evaluation


def test_cagr_exact_six_percent_meets_six_percent_floor():
    ds = results(gdp_real=(growth_path(111.0, 0.06), "yiyuan/year"))
    r = row_of(evaluate_targets(ds), "gdp_growth_2021_2025")
    assert r["model_value"] == pytest.approx(0.06, rel=1e-12)
    assert r["status"] == "met" and bool(r["met"]) and r["p_met"] == 1.0


def test_cagr_just_below_floor_is_missed():
    ds = results(gdp_real=(growth_path(111.0, 0.0599), "yiyuan/year"))
    r = row_of(evaluate_targets(ds), "gdp_growth_2021_2025")
    assert r["model_value"] == pytest.approx(0.0599)
    assert r["status"] == "missed" and not bool(r["met"])


def test_cagr_uses_only_base_and_target_years():
    # 2021-2024 wiggle; the 2020 -> 2025 rate is still (148.5/111) ** (1/5) - 1
    path = growth_path(111.0, 0.06)
    path[1:5] *= np.array([0.8, 1.3, 0.9, 1.1])
    ds = results(gdp_real=(path, "yiyuan/year"))
    v = target_indicators(ds)["gdp_growth_2021_2025"]
    np.testing.assert_allclose(v.values, [0.06])


def test_level_on_grouped_cluster_variable():
    out = np.ones((2, len(YEARS), 3)) * np.array([120.0, 90.0, 100.0])  # health, materials, equipment
    out[1, :, 0] = 80.0  # draw 1: health misses
    ev = evaluate_targets(results(2, cluster_output=(out, "yiyuan/year")))
    h, m, e = (row_of(ev, f"{c}_cluster_output_2025") for c in ("health", "materials", "equipment"))
    assert h["p_met"] == 0.5 and h["status"] == "met" and h["model_value"] == 100.0  # median of 120, 80
    assert m["p_met"] == 0.0 and m["status"] == "missed"
    assert e["p_met"] == 1.0  # exactly 100 meets ">= 100"


def test_level_on_cluster_member_variables():
    ds = results(cluster_output_health=(np.full(len(YEARS), 101.0), "yiyuan/year"))
    r = row_of(evaluate_targets(ds), "health_cluster_output_2025")
    assert r["status"] == "met" and r["model_value"] == 101.0


def test_grouped_variable_without_selector_is_refused():
    ds = results(x=(np.ones((1, len(YEARS), 3)), "1"))
    with pytest.raises(ValueError, match=r"'t'.*selector"):
        evaluate_targets(ds, one_target())


def test_unknown_selector_label_is_refused():
    ds = results(x=(np.ones((1, len(YEARS), 3)), "1"))
    with pytest.raises(ValueError, match=r"'t'.*cluster='pharma'"):
        evaluate_targets(ds, one_target(selector="cluster=pharma"))


@pytest.mark.parametrize("value, met", [(0.60, True), (0.619, True), (0.581, True), (0.625, False), (0.57, False)])
def test_approx_urbanisation(value, met):
    # ch.18 L170: about 60%, tolerance 0.02 (our assumption)
    ds = results(urbanisation=(np.full(len(YEARS), value), "1"))
    assert row_of(evaluate_targets(ds), "urbanisation_2025")["status"] == ("met" if met else "missed")


def test_strict_and_inclusive_comparisons_at_the_boundary():
    ds = results(x=(np.full(len(YEARS), 0.9), "1"))
    assert evaluate_targets(ds, one_target(comparison=">", threshold=0.9))["status"].item() == "missed"
    assert evaluate_targets(ds, one_target(comparison=">=", threshold=0.9))["status"].item() == "met"
    assert evaluate_targets(ds, one_target(comparison="<", threshold=0.9))["status"].item() == "missed"
    assert evaluate_targets(ds, one_target(comparison="<=", threshold=0.9))["status"].item() == "met"


def test_units_converted_before_comparing():
    # grain area in wan_mu (1e4 mu): 99 wan_mu = 990,000 mu is within 1,000,000 +/- 50,000 mu
    ds = results(grain_area=(np.full(len(YEARS), 99.0), "wan_mu"), urbanisation=(np.full(len(YEARS), 45.0), "percent"))
    ev = evaluate_targets(ds)
    assert row_of(ev, "grain_area_2025")["model_value"] == pytest.approx(990_000)
    assert row_of(ev, "grain_area_2025")["status"] == "met"
    assert row_of(ev, "urbanisation_2025")["model_value"] == pytest.approx(0.45)


def test_incompatible_units_are_refused():
    ds = results(grain_area=(np.full(len(YEARS), 1e6), "t/year"))
    with pytest.raises(ValueError, match="grain_area_2025"):
        evaluate_targets(ds)


def test_at_most_indicator_per_draw():
    extraction = np.ones((3, len(YEARS))) * np.array([[1.0], [2.0], [3.0]])
    ds = results(
        3,
        groundwater_extraction=(extraction, "yi_m3/year"),
        groundwater_recharge=(np.full(len(YEARS), 2.0), "yi_m3/year"),
    )
    met = target_met(ds)
    np.testing.assert_array_equal(met.sel(target="groundwater_balance_2022").values, [True, True, False])
    r = row_of(evaluate_targets(ds), "groundwater_balance_2022")
    assert r["p_met"] == pytest.approx(2 / 3) and r["reference_value"] == 2.0 and r["status"] == "met"


def test_at_most_indicator_missing_reference_is_not_modelled():
    ds = results(groundwater_extraction=(np.ones(len(YEARS)), "yi_m3/year"))
    assert row_of(evaluate_targets(ds), "groundwater_balance_2022")["status"] == "not modelled"


@pytest.mark.parametrize("income_rate, status", [(0.065, "met"), (0.051, "met"), (0.075, "missed"), (0.045, "missed")])
def test_income_in_step_with_gdp(income_rate, status):
    # ch.4 L47: income growth basically in step with GDP; tolerance 1 pp/yr (our assumption)
    ds = results(
        gdp_real=(growth_path(111.0, 0.06), "yiyuan/year"),
        income_urban=(growth_path(37247.0, income_rate), "yuan/person/year"),
    )
    r = row_of(evaluate_targets(ds), "income_urban_in_step_2025")
    assert r["model_value"] == pytest.approx(income_rate) and r["reference_value"] == pytest.approx(0.06)
    assert r["status"] == status


def test_not_modelled_targets_are_kept():
    t = load_targets()
    ev = evaluate_targets(results(gdp_real=(growth_path(111.0, 0.07), "yiyuan/year")))
    assert ev["target"].tolist() == t["id"].tolist()
    assert (ev["status"] == "not modelled").sum() == len(t) - 1
    nm = ev[ev["status"] == "not modelled"]
    assert nm["met"].isna().all() and nm["p_met"].isna().all()
    assert row_of(ev, "hightech_enterprises_2025")["threshold"] == 80  # ch.6 L64, kept with its threshold


def test_outside_horizon():
    ds = results(
        years=np.arange(2020.0, 2024.0),
        gdp_real=(growth_path(111.0, 0.06, np.arange(2020.0, 2024.0)), "yiyuan/year"),
        groundwater_extraction=(np.ones(4), "yi_m3/year"),
        groundwater_recharge=(np.ones(4), "yi_m3/year"),
        groundwater_level_rise=(np.ones(4), "m/year"),
    )
    ev = evaluate_targets(ds)
    assert row_of(ev, "gdp_growth_2021_2025")["status"] == "outside horizon"
    assert row_of(ev, "groundwater_balance_2022")["status"] == "met"
    assert row_of(ev, "groundwater_level_rising_2025")["status"] == "outside horizon"
    assert "gdp_growth_2021_2025" not in target_indicators(ds)


def test_threshold_unknown_then_supplied():
    ds = results(water_demand_per_wanyuan_gdp=(np.full(len(YEARS), 40.0), "m3/wanyuan"))
    assert row_of(evaluate_targets(ds), "water_per_gdp_2025")["status"] == "threshold unknown"
    t = load_targets()
    t.loc[t["id"] == "water_per_gdp_2025", "threshold"] = 35.0  # a user's quota
    assert row_of(evaluate_targets(ds, t), "water_per_gdp_2025")["status"] == "missed"


def test_shapes_of_indicator_and_met_outputs():
    ds = results(
        4,
        gdp_real=(growth_path(111.0, 0.06), "yiyuan/year"),
        urbanisation=(np.linspace(0.5, 0.65, len(YEARS)), "1"),
    )
    ind = target_indicators(ds)
    assert set(ind.data_vars) == {"gdp_growth_2021_2025", "urbanisation_2025"}
    assert all(ind[v].dims == ("draw",) for v in ind.data_vars)
    assert ind["gdp_growth_2021_2025"].attrs["units"] == "1/year"
    met = target_met(ds)
    assert met.dims == ("draw", "target") and met.dtype == bool and met.shape == (4, 2)


def test_results_without_draw_dim():
    ds = results(gdp_real=(growth_path(111.0, 0.06), "yiyuan/year")).isel(draw=0, drop=True)
    assert row_of(evaluate_targets(ds), "gdp_growth_2021_2025")["status"] == "met"


# ---------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(
    "fields, field, allowed",
    [
        ({"kind": "levle"}, "kind", "at_most_indicator"),
        ({"comparison": "=>"}, "comparison", "approx"),
        ({"year": ""}, "year", "calendar year"),
        ({"year": "2025.5"}, "year", "calendar year"),
        ({"kind": "cagr"}, "base_year", "before year 2025"),
        ({"kind": "cagr", "base_year": "2026"}, "base_year", "before year 2025"),
        ({"base_year": "2020"}, "base_year", "empty for kind level"),
        ({"comparison": "approx"}, "tolerance", "number >= 0"),
        ({"tolerance": "0.1"}, "tolerance", "empty for comparison"),
        ({"threshold": "lots"}, "threshold", "a number"),
        ({"kind": "at_most_indicator", "comparison": "<=", "threshold": ""}, "reference", "model variable"),
        (
            {"kind": "at_most_indicator", "comparison": ">=", "threshold": "", "reference": "y"},
            "comparison",
            "'<='",
        ),
        ({"source": "ch.4"}, "source", "plan ch.N LNN"),
        ({"selector": "cluster:health"}, "selector", "dim=label"),
        ({"id": "Bad Id"}, "id", "snake_case"),
        ({"units": ""}, "units", "non-empty"),
    ],
)
def test_validation_names_row_field_value_and_allowed(fields, field, allowed):
    bad = one_target(**fields)
    with pytest.raises(ValueError) as err:
        validate_targets(bad)
    msg = str(err.value)
    rid = fields.get("id", "t")
    assert repr(rid) in msg and f"field {field!r}" in msg and allowed in msg
    assert repr(str(bad[field].item())) in msg


def test_validation_rejects_duplicate_ids_and_missing_columns(tmp_path):
    with pytest.raises(ValueError, match=r"'t'.*'id'"):
        validate_targets(pd.concat([one_target(), one_target()]))
    with pytest.raises(ValueError, match="tolerance"):
        validate_targets(one_target().drop(columns="tolerance"))
    p = tmp_path / "targets.csv"
    one_target(kind="sometimes").to_csv(p, index=False)
    with pytest.raises(ValueError, match="'sometimes'"):
        load_targets(p)
