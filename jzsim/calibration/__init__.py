"""Calibration against history, its fit report, and goal-seeking under uncertainty.

>>> from jzsim.calibration import plan_calibration
>>> res = plan_calibration().fit("ml")         # doctest: +SKIP
>>> print(res.summary())                       # doctest: +SKIP
>>> mc = jzsim.monte_carlo(4096, calibration=res)   # doctest: +SKIP
"""

from jzsim.calibration.estimation import PLAN_FREE_PARAMETERS, Calibration, plan_calibration
from jzsim.calibration.observations import DEFAULT_SD, load_observations
from jzsim.calibration.report import fit_statistics, plot_fit, theil
from jzsim.calibration.results import CalibrationResults, load_calibration

__all__ = [
    "Calibration",
    "CalibrationResults",
    "PLAN_FREE_PARAMETERS",
    "DEFAULT_SD",
    "fit_statistics",
    "load_calibration",
    "load_observations",
    "plan_calibration",
    "plot_fit",
    "theil",
]
