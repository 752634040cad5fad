"""XMILE import (issue #18 item 4): the SDXorg conformance fixtures, the round trip of the plan
model through the export, Monte Carlo on an imported model, and clear errors.

The canonical outputs are the SDXorg suite's own files (``tests/data/sdxorg``, MIT licence), made
by Vensim or Stella; ``benchmarks/xmile_conformance.py`` runs the whole suite beside PySD.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from jzsim.io import read_xmile
from jzsim.io.xmile_import import XmileError

DATA = Path(__file__).parent / "data" / "sdxorg"
BENCH = Path(__file__).parents[1] / "benchmarks" / "xmile_conformance.py"

#: the fixtures: every XMILE model of the suite jzsim reproduces (rtol 1e-4), by feature
PASSING = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("*.xmile"))


def _conformance():
    spec = importlib.util.spec_from_file_location("xmile_conformance", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def conformance():
    return _conformance()


def test_the_fixtures_cover_the_features():
    features = {Path(p).parent.name for p in PASSING}
    assert len(PASSING) == 46
    for f in (
        "teacup",
        "SIR",
        "lookups",
        "smooth_and_stock",
        "trig",
        "non_negative_stocks",
        "initial_function",
        "delay_xmile",
    ):
        assert f in features, f


@pytest.mark.parametrize("rel", PASSING)
def test_sdxorg_model_reproduces_its_canonical_output(rel, conformance):
    path = DATA / rel
    got, times = conformance.run_jzsim(path)
    assert conformance.compare(got, times, conformance.canonical(path)) is None


def test_teacup_units_are_kept_as_labels():
    m = read_xmile(DATA / "samples" / "teacup" / "teacup.xmile")
    assert not m.check_units
    ds = m.run()
    assert ds["Teacup_Temperature"].attrs["units"] == m.variables["Teacup_Temperature"].units
    assert m.variables["Teacup_Temperature"].extra["xmile_name"] == "Teacup Temperature"
    assert m.variables["Characteristic_Time"].kind == "param"  # a constant aux: a Monte Carlo can draw it


def test_plan_model_round_trip_gives_the_same_trajectories(tmp_path):
    import jzsim
    from jzsim.io import write_xmile, xmile_names

    m = jzsim.plan_model()
    path = write_xmile(m, tmp_path / "plan.xmile")
    back = read_xmile(path)
    a, b = m.run(), back.run()
    names = xmile_names(m)
    outputs = m.build().output_names
    assert len(outputs) > 100
    for v in outputs:
        want = a[v].values[0]
        got = b[names[v]].sel(time=a[m.time_dim].values).values[0]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=v)
    assert back.variables[names["gdp_real"]].units == m.variables["gdp_real"].units


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=pytest.mark.slow)])
def test_an_imported_model_runs_monte_carlo(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    import jzsim
    from jzsim.params import Parameter

    drawn = Parameter(
        name="tau",
        units="1",
        value=10.0,
        low=5.0,
        high=15.0,
        distribution="uniform",
        source="assumption: a test range around the teacup's 10 minutes",
    )
    m = read_xmile(DATA / "samples" / "teacup" / "teacup.xmile", parameters={"Characteristic Time": drawn})
    assert m.variables["Characteristic_Time"].parameter.distribution == "uniform"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = jzsim.monte_carlo(
            model=m,
            draws=300,
            seed=1,
            backend=backend,
            outputs=["Teacup_Temperature"],
            progress=False,
        )
    final = ds["Teacup_Temperature"].isel(time=-1)
    # room at 70: a longer time constant keeps the tea hotter, so the drawn range spreads it
    assert ds.attrs["backend"] == backend and "Characteristic_Time" in ds.attrs["uncertain_parameters"]
    assert float(final.sel(statistic="p95")) > float(final.sel(statistic="p05")) + 1.0
    assert float(final.sel(statistic="min")) > 70.0


def test_unknown_name_gets_did_you_mean(tmp_path):
    p = tmp_path / "bad.xmile"
    p.write_text(
        '<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"><sim_specs><start>0</start>'
        "<stop>1</stop><dt>1</dt></sim_specs><model><variables>"
        '<aux name="growth rate"><eqn>0.1</eqn></aux><aux name="y"><eqn>growth_rat * 2</eqn></aux>'
        "</variables></model></xmile>"
    )
    with pytest.raises(XmileError, match=r"aux 'y': unknown name 'growth_rat'; did you mean growth_rate"):
        read_xmile(p)


@pytest.mark.parametrize(
    "body, message",
    [
        ('<aux name="a"><eqn>DELAY(TIME, 0.5)</eqn></aux>', "DELAY by 0.5 with dt 1; allowed: a whole number of steps"),
        ('<aux name="a"><eqn>x[1]</eqn></aux>', r"arrays \(subscript x\[...\]\) are not supported"),
        ('<aux name="a"><eqn>FOO(1)</eqn></aux>', "the function FOO is not supported"),
        ('<aux name="a"><eqn>1 +</eqn></aux>', "unexpected 'end'"),
        (
            '<aux name="a"><eqn>1</eqn><gf type="discrete"><xscale min="0" max="1"/><ypts>0,1</ypts></gf></aux>',
            "discrete; allowed: continuous, extrapolate",
        ),
    ],
)
def test_unsupported_constructs_get_one_clear_error(tmp_path, body, message):
    p = tmp_path / "m.xmile"
    p.write_text(
        '<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"><sim_specs><start>0</start>'
        f"<stop>1</stop><dt>1</dt></sim_specs><model><variables>{body}</variables></model></xmile>"
    )
    with pytest.raises(XmileError, match=message):
        read_xmile(p)


def test_malformed_file_is_named(tmp_path):
    p = tmp_path / "broken.xmile"
    p.write_text("<xmile><model>")
    with pytest.raises(XmileError, match="broken.xmile: not well-formed XML"):
        read_xmile(p)
