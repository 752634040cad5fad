"""Analysis of model results: the plan's targets and their evaluation."""

from jzsim.analysis.targets import (
    evaluate_targets,
    load_targets,
    target_indicators,
    target_met,
    validate_targets,
)

__all__ = ["load_targets", "validate_targets", "target_indicators", "target_met", "evaluate_targets"]
