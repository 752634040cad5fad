"""Uncertainty: distributions of parameters, samplers tied to the draw index, Monte Carlo."""

from jzsim.uncertainty.distributions import (
    Distribution,
    Empirical,
    LogNormal,
    Triangular,
    TruncNormal,
    Uniform,
    ppf,
    with_uncertainty,
)
from jzsim.uncertainty.sampling import SAMPLERS, sample_parameters, uniforms

__all__ = [
    "Distribution",
    "Uniform",
    "Triangular",
    "TruncNormal",
    "LogNormal",
    "Empirical",
    "with_uncertainty",
    "ppf",
    "uniforms",
    "sample_parameters",
    "SAMPLERS",
]
