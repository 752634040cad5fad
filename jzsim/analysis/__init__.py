"""Analysis of model results: the plan's targets, sensitivity, scenario discovery, figures, report.

- :mod:`jzsim.analysis.targets`: the target registry and its evaluation;
- :mod:`jzsim.analysis.sensitivity`: Sobol and Morris indices (:func:`sobol`, :func:`morris`);
- :mod:`jzsim.analysis.discovery`: PRIM boxes where targets fail (:func:`prim`, :func:`discover`);
- :mod:`jzsim.analysis.plots`: figures (fan charts, clusters, water balance, ...), matplotlib;
- :mod:`jzsim.analysis.report`: a self-contained HTML report (:func:`write_report`).
"""

from jzsim.analysis.discovery import discover, prim, prim_from_results
from jzsim.analysis.sensitivity import morris, ranking, sobol
from jzsim.analysis.targets import (
    evaluate_targets,
    load_targets,
    target_indicators,
    target_met,
    validate_targets,
)

__all__ = [
    "load_targets",
    "validate_targets",
    "target_indicators",
    "target_met",
    "evaluate_targets",
    "sobol",
    "morris",
    "ranking",
    "prim",
    "discover",
    "prim_from_results",
]
