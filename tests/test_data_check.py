"""Data checks: the plan's own figures disagree, and the check must say so.

Reference numbers are the plan's (ch.1 L9): GDP 49.4 亿元 (2010) -> 111 亿元 (2020), "2.1 times",
"7.8% a year"; urban income "2.6 times", "7%"; rural "3.3 times", "8%". The expected values are
recomputed here from those figures, never copied from the code under test.
"""

from __future__ import annotations

import io
import sys
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from jzsim.data.check import check_parameters, check_sources, load_history


def check_row(df: pd.DataFrame, name: str) -> pd.Series:
    hit = df[df["check"] == name]
    assert len(hit) == 1, (name, df["check"].tolist())
    return hit.iloc[0]


# ---------------------------------------------------------------------------------------------
# history


def test_history_holds_the_plans_baseline():
    h = load_history()
    gdp = h[h["indicator"] == "gdp_nominal"].set_index("year")["value"]
    assert gdp.to_dict() == {2010: 49.4, 2020: 111.0}  # ch.1 L9
    inc = h[h["kind"] == "nominal_level"].set_index("indicator")["value"]
    assert inc["income_urban"] == 37247 and inc["income_rural"] == 17818  # ch.1 L9
    share = h.set_index("indicator").loc["hightech_va_share"]
    assert share["value"] == 0.366 and share["kind"] == "share"  # ch.1 L12
    assert h["source"].str.match(r"plan ch\.\d+ L\d+").all()


def test_history_rounding_half_units():
    h = load_history().set_index(["indicator", "kind"])
    assert h.loc[("gdp_real", "real_multiple"), "half_unit"] == pytest.approx(0.05)  # "2.1"
    assert h.loc[("gdp_real", "real_cagr"), "half_unit"] == pytest.approx(0.0005)  # "7.8%"
    assert h.loc[("gdp_nominal", "nominal_level"), "half_unit"].tolist() == pytest.approx([0.05, 0.5])


def test_history_rejects_unknown_kind(tmp_path):
    text = resources.files("jzsim.data").joinpath("history.csv").read_text(encoding="utf-8")
    h = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    h.loc[0, "kind"] = "guess"
    p = tmp_path / "history.csv"
    h.to_csv(p, index=False)
    with pytest.raises(ValueError, match=r"field 'kind' has value 'guess'.*nominal_level"):
        load_history(p)


# ---------------------------------------------------------------------------------------------
# source checks


def test_gdp_nominal_ratio_disagrees_with_stated_multiple():
    r = check_row(check_sources(), "gdp: nominal levels 2010-2020 vs stated multiple")
    assert r["implied"] == pytest.approx(111 / 49.4)  # 2.247, not "2.1"
    assert r["consistent"] is False or not bool(r["consistent"])
    assert "2.247" in r["note"] and "2.1" in r["values"]


def test_implied_gdp_deflator_about_0_6_percent():
    c = check_sources()
    r = check_row(c, "gdp: deflator implied by nominal levels and real growth rate")
    expected = (111 / 49.4) ** 0.1 / 1.078 - 1  # 1.078 ** 10 = 2.12 against 2.247 nominal
    assert r["implied"] == pytest.approx(expected)
    assert 0.005 < r["implied"] < 0.007
    r2 = check_row(c, "gdp: deflator implied by nominal levels and stated multiple")
    assert r2["implied"] == pytest.approx((111 / 49.4 / 2.1) ** 0.1 - 1)


def test_gdp_real_multiple_and_rate_agree_within_rounding():
    r = check_row(check_sources(), "gdp: stated multiple vs stated annual growth")
    assert r["implied"] == pytest.approx(2.1**0.1 - 1)  # 7.70%; 7.8% lies in 2.05..2.15 -> 7.44..7.96%
    assert bool(r["consistent"])


@pytest.mark.parametrize("who, multiple, rate", [("income_urban", 2.6, 0.07), ("income_rural", 3.3, 0.08)])
def test_income_multiples_disagree_with_rates(who, multiple, rate):
    c = check_sources()
    r = check_row(c, f"{who}: stated multiple vs stated annual growth")
    assert r["implied"] == pytest.approx(multiple**0.1 - 1)  # 10.0% and 12.7% a year
    assert not bool(r["consistent"])
    d = check_row(c, f"{who}: deflator implied by reading the multiple as nominal, the rate as real")
    assert d["implied"] == pytest.approx(multiple**0.1 / (1 + rate) - 1)


def test_checks_are_computed_from_history_not_hard_coded(tmp_path):
    # If 2020 GDP had been 103.7 (= 49.4 * 2.1), levels and multiple would agree.
    h = load_history()
    h.loc[(h["indicator"] == "gdp_nominal") & (h["year"] == 2020), ["value", "half_unit"]] = [103.7, 0.05]
    c = check_sources(history=h)
    assert bool(check_row(c, "gdp: nominal levels 2010-2020 vs stated multiple")["consistent"])
    assert "gdp: deflator implied by nominal levels and stated multiple" not in set(c["check"])
    d = check_row(c, "gdp: deflator implied by nominal levels and real growth rate")
    assert d["implied"] == pytest.approx((103.7 / 49.4) ** 0.1 / 1.078 - 1)


def test_doubling_plan_against_its_targets():
    # ch.6 L64: "双倍增计划" (doubling plan) with targets 80 and 800; 2020: 61 and 635 (ch.1 L12)
    c = check_sources()
    for tid, base, target in [("hightech_enterprises_2025", 61, 80), ("tech_smes_2025", 635, 800)]:
        r = check_row(c, f"{tid}: target vs 2020 baseline")
        assert r["implied"] == pytest.approx(target / base)
        assert not bool(r["consistent"])


def test_cluster_targets_set_beside_gdp():
    r = check_row(check_sources(), "cluster output targets vs GDP implied by the growth target")
    assert r["implied"] == pytest.approx(300 / (111 * 1.06**5))  # ch.9 L86-90, ch.4 L44
    assert pd.isna(r["consistent"])


def test_check_sources_columns():
    c = check_sources()
    assert list(c.columns) == ["check", "values", "implied", "implied_units", "consistent", "note"]
    assert c["implied"].notna().all() and (c["note"].str.len() > 0).all()


# ---------------------------------------------------------------------------------------------
# parameter checks

HEADER = "name,units,value,low,high,valid,whole,above,distribution,source,description\n"


def write(tmp_path, name: str, rows: str):
    (tmp_path / name).write_text(HEADER + rows, encoding="utf-8")


def test_clean_parameters_have_no_findings(tmp_path):
    write(
        tmp_path,
        "water.csv",
        'recharge,yi_m3/year,1.2,0.8,1.6,"[0, inf)",,,uniform,assumption: 510 mm/yr rain on 918 km2,recharge\n'
        'growth,1/year,0.06,,,"[-0.2, 0.2]",,,fixed,plan ch.4 L44: 6% floor,GDP growth\n'
        'area,km**2,918,918,918,"(0, inf)",,,fixed,public: Jizhou area row,area\n',
    )
    assert check_parameters(tmp_path).empty


def test_bad_parameters_are_each_reported(tmp_path):
    write(
        tmp_path,
        "a.csv",
        'x,1,5,0,1,"[0, 10]",,,uniform,assumption: guess,out of range\n'
        'y,1,0.5,0,1,"[0, 1]",,,uniform,,no source\n'
        'z,furlongs_per_fortnightly,1,0,2,"[0, 2]",,,uniform,plan ch.1 L1,bad units\n'
        'w,1,1,0,2,"[0, 2]",,,gaussian,plan ch.1 L1,bad distribution\n'
        'v,1,0.5,0,1,"[0.6, 1]",,,uniform,plan ch.1 L1,value outside its domain\n'
        "u,1,0.5,0,1,0 to 1,,,uniform,plan ch.1 L1,malformed domain\n",
    )
    write(tmp_path, "b.csv", 'x,1,0.5,0,1,"[0, 1]",,,fixed,assumption: again,duplicate\n')
    f = check_parameters(tmp_path)
    got = set(zip(f["name"], f["field"], strict=True))
    expected = {("x", "value"), ("y", "source"), ("z", "units"), ("w", "distribution"), ("x", "name")}
    assert expected | {("v", "value"), ("v", "low"), ("u", "valid")} <= got
    assert (f["severity"] == "error").all()


def test_unit_check_skipped_without_engine(tmp_path, monkeypatch):
    write(tmp_path, "a.csv", 'z,furlongs_per_fortnightly,1,0,2,"[0, 2]",,,uniform,plan ch.1 L1,bad units\n')
    monkeypatch.setitem(sys.modules, "jzsim.engine.units", None)  # import now raises ImportError
    f = check_parameters(tmp_path)
    assert f["severity"].tolist() == ["skipped"] and "unit check skipped" in f["problem"].item()


def test_packaged_parameters_pass():
    f = check_parameters()
    errors = f[f["severity"] == "error"]
    assert errors.empty, errors.to_string()
    assert np.all(f.columns == ["file", "name", "field", "value", "problem", "severity"])


def test_every_data_row_names_its_own_source():
    """Each row of every data file cites its source in full (plan chapter and line, ``public:``,
    ``assumption:`` ...), never "same as above", which breaks when rows are sorted or filtered."""
    from importlib import resources

    import pandas as pd

    from jzsim.params import SOURCE_PREFIXES

    root = resources.files("jzsim.data")
    files = [f for f in root.iterdir() if f.name.endswith(".csv")]
    files += [f for f in root.joinpath("parameters").iterdir() if f.name.endswith(".csv")]
    checked = 0
    for f in files:
        df = pd.read_csv(f)
        if "source" not in df:
            continue
        for i, s in df["source"].astype(str).items():
            assert not s.lower().startswith("same"), f"{f.name} row {i}: source {s!r} refers to another row"
            if f.name.startswith(("observations", "start_values")) or f.parent.name == "parameters":
                assert s.startswith(SOURCE_PREFIXES), (
                    f"{f.name} row {i}: source {s!r}; allowed prefixes {SOURCE_PREFIXES}"
                )
            checked += 1
    assert checked > 200
