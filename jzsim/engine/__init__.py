"""The jzsim system-dynamics engine: declare stocks, flows and auxiliaries; run them over draws.

See ``docs/engine_api.md``.
"""

from jzsim.engine import functions
from jzsim.engine import results as _results  # noqa: F401  (registers the ds.jz accessor)
from jzsim.engine.backend import backend_names, register_backend
from jzsim.engine.compiled import CompiledModel, RunSettings
from jzsim.engine.expr import Expr, Ref
from jzsim.engine.model import Model, ModelError, ParameterSpec, Variable
from jzsim.engine.sector import Sector
from jzsim.engine.units import UnitError, ureg

__all__ = [
    "Model",
    "ModelError",
    "UnitError",
    "Sector",
    "Variable",
    "ParameterSpec",
    "register_backend",
    "backend_names",
    "Expr",
    "Ref",
    "CompiledModel",
    "RunSettings",
    "functions",
    "ureg",
]
