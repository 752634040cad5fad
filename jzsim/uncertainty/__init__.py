"""Uncertainty: distributions of parameters and samplers tied to the draw index."""

from jzsim.uncertainty.distributions import ppf
from jzsim.uncertainty.sampling import SAMPLERS, sample_parameters, uniforms

__all__ = ["ppf", "uniforms", "sample_parameters", "SAMPLERS"]
