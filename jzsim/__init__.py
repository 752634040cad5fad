"""jzsim: a calibrated, uncertainty-aware system-dynamics simulation of a district plan.

The plan is the 14th Five-Year Plan (2021-2025, with the outlook to 2035) of Jizhou District
(Hengshui, Hebei).

Quick tour
----------
>>> import jzsim
>>> ds = jzsim.simulate()                 # plan scenario, labelled xarray.Dataset
>>> table = jzsim.targets(ds)             # every plan target: model value, threshold, met?
>>> params = jzsim.parameters()           # every parameter with unit, range and source
"""

import jzsim.backends  # noqa: F401  (registers backend="numba" with the engine; numba itself loads on first use)
from jzsim.engine import Model, Sector
from jzsim.experiments import Execution, compare, monte_carlo, sweep
from jzsim.params import Parameter, load_parameters, parameters
from jzsim.plan import plan_model, simulate
from jzsim.uncertainty.distributed import DaskExecution
from jzsim.version import __version__


def open_run(path):
    """Open a stored run, sweep or comparison as a Dask-backed Dataset.

    Stores are written by ``monte_carlo`` with ``backend="dask"`` and a ``store``, by
    ``sweep(..., out=path)`` and by ``compare(..., backend="dask", out=path)``;
    ``jzsim run|sweep|compare --backend dask --out x.zarr`` write them; see
    :func:`jzsim.uncertainty.store.open_run`.
    """
    from jzsim.uncertainty.store import open_run as _open_run

    return _open_run(path)


def describe(model=None) -> str:
    """Markdown documentation of the model, generated from its declaration (see :mod:`jzsim.documentation`)."""
    from jzsim.documentation import describe as _describe

    return _describe(model)


def targets(ds, targets=None):
    """Evaluate the plan's targets against a run (see :func:`jzsim.analysis.targets.evaluate_targets`)."""
    from jzsim.analysis.targets import evaluate_targets

    return evaluate_targets(ds, targets)


__all__ = [
    "Model",
    "Sector",
    "Parameter",
    "parameters",
    "load_parameters",
    "plan_model",
    "simulate",
    "targets",
    "monte_carlo",
    "Execution",
    "DaskExecution",
    "open_run",
    "sweep",
    "compare",
    "describe",
    "__version__",
]
