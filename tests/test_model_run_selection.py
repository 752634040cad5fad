"""``Model.run`` for a user's own model: output selection, threads, and draws as a matrix or a
DataFrame (#20 item 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from jzsim.engine import Model


def logistic() -> Model:
    m = Model("logistic_sel", start=0, stop=20, dt=0.25)
    r = m.param("r", 0.3, units="1/year")
    k = m.param("K", 1000.0, units="person")
    p = m.stock("P", initial=10.0, units="person")
    m.flow("growth", r * p * (1 - p / k), units="person/year", into="P")
    m.aux("gap", k - p, units="person")
    return m


def test_selected_outputs_are_the_only_variables_and_equal_the_full_run():
    m = logistic()
    full = m.run({"r": [0.2, 0.3, 0.4]})
    sel = m.run({"r": [0.2, 0.3, 0.4]}, outputs=["gap"])
    assert "gap" in sel and "P" not in sel and "growth" not in sel
    xr.testing.assert_identical(sel["gap"], full["gap"])


def test_threads_change_no_bit():
    m = logistic()
    r = np.linspace(0.1, 0.5, 40_000)
    one = m.run({"r": r}, outputs=["P"], batch_size=4096)
    two = m.run({"r": r}, outputs=["P"], batch_size=4096, threads=2)
    np.testing.assert_array_equal(one["P"].values, two["P"].values)


def test_a_matrix_or_a_dataframe_of_draws_is_the_same_as_a_dict():
    m = logistic()
    r, k = np.array([0.2, 0.35]), np.array([800.0, 1200.0])
    by_dict = m.run({"r": r, "K": k}, outputs=["P"])
    names = [p.name for p in m.build().params]
    matrix = np.column_stack([{"r": r, "K": k}[n] for n in names])
    np.testing.assert_array_equal(m.run(matrix, outputs=["P"])["P"].values, by_dict["P"].values)
    frame = pd.DataFrame({"K": k, "r": r})  # any column order
    np.testing.assert_array_equal(m.run(frame, outputs=["P"])["P"].values, by_dict["P"].values)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"outputs": ["Pp"]}, "Pp"),
        ({"outputs": "P"}, "outputs is 'P'"),
        ({"params": np.ones((3, 5))}, "shape (3, 5)"),
        ({"params": pd.DataFrame({"rr": [0.1]})}, "rr"),
        ({"params": [0.1, 0.2]}, "params is a list"),
    ],
)
def test_bad_selection_or_draws_are_refused_naming_the_field(kwargs, message):
    m = logistic()
    params = kwargs.pop("params", None)
    with pytest.raises((KeyError, ValueError, TypeError), match=None) as err:
        m.run(params, **kwargs)
    assert message in str(err.value)
