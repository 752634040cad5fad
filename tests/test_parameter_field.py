"""A parameter's distribution reaches Monte Carlo through the typed ``Variable.parameter``."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from jzsim.engine import Model, ParameterSpec
from jzsim.params import Parameter
from jzsim.uncertainty.sampling import sample_parameters


def _model_with(p) -> Model:
    m = Model("param_probe", stop=2.0)
    m.add_parameter(p)
    x = m.stock("x", initial=1.0, units="t")
    m.flow("grow", m.params.k * x, units="t/year", into="x")
    return m


def test_add_parameter_keeps_the_parameter_object_as_a_typed_field():
    p = Parameter("k", "1/year", 0.5, 0.1, 0.9, "uniform", "assumption: test range")
    assert isinstance(p, ParameterSpec)
    v = _model_with(p).build().params[0]
    assert v.parameter is p and v.parameter.distribution == "uniform"
    assert "parameter" not in v.extra
    # what monte_carlo samples: the uncertain parameters' declared distributions
    s = sample_parameters([v.parameter], "random", 3, 0, 1000, 1000)
    assert s["k"].min() >= 0.1 and s["k"].max() <= 0.9 and abs(np.mean(s["k"]) - 0.5) < 0.05


def test_a_plain_param_or_an_object_without_a_distribution_has_none():
    m = Model("plain", stop=1.0)
    m.param("k", 0.5, units="1/year")
    assert m.build().params[0].parameter is None
    bare = SimpleNamespace(name="k", value=0.5, units="1/year", low=None, high=None, description="", source="")
    v = _model_with(bare).build().params[0]
    assert v.parameter is None and v.value == 0.5
