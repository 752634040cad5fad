"""Hostile target registries (issue #20): a typo in an indicator is refused, an all-NaN indicator is
not scored "missed", an empty registry gives empty results."""

from __future__ import annotations

import numpy as np
import pytest

import jzsim
from jzsim.analysis.targets import STATUSES, evaluate_targets, load_targets, target_met


@pytest.fixture(scope="module")
def run():
    return jzsim.simulate()


def test_typo_in_indicator_is_refused_with_did_you_mean(run):
    t = load_targets()
    t.loc[t.index[t["indicator"] == "gdp_real"][0], "indicator"] = "gdp_rael"
    with pytest.raises(ValueError, match="indicator 'gdp_rael' is not in the results; did you mean 'gdp_real'"):
        evaluate_targets(run, t)


def test_an_unknown_indicator_far_from_any_name_stays_not_modelled(run):
    t = load_targets().iloc[:1].copy()
    t["indicator"] = "forest_cover"  # a plan target the model does not have
    assert evaluate_targets(run, t)["status"].tolist() == ["not modelled"]


def test_all_nan_indicator_is_no_value_not_missed(run):
    ds = run.copy(deep=True)
    ds["urbanisation"][:] = np.nan
    e = evaluate_targets(ds, load_targets())
    row = e[e["indicator"] == "urbanisation"]
    assert len(row) and (row["status"] == "no value").all() and row["met"].isna().all()
    assert "no value" in STATUSES


def test_empty_registry_gives_empty_results(run):
    empty = load_targets().iloc[:0]
    e = evaluate_targets(run, empty)
    assert len(e) == 0 and {"target", "met", "status"} <= set(e.columns)
    assert target_met(run, empty).sizes["target"] == 0
