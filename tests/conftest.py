"""Fixtures shared across the suite.

The compiled plan kernel is the suite's most expensive object: numba compiles one kernel per output
selection (30-60 s of CPU each). The plan model is built once per session here, so every test that
runs it on the numba backend shares its kernels (``CompiledModel`` keeps one per selection), and
the tests that need the full selection share one run of it. Tests use two plan selections in all:
every output, and ``_helpers.PLAN_SUBSET``.

Helpers that are not fixtures (small engine models, hypothesis strategies) are in ``_helpers.py``.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def plan_cm():
    """The plan model (:func:`jzsim.plan.plan_model`), built once per test session."""
    from jzsim.plan import plan_model

    return plan_model().build()


@pytest.fixture(scope="session")
def plan_draws(plan_cm) -> list[np.ndarray]:
    """37 draws of the plan's parameters, each within 3% of its nominal value (seed 0), one
    read-only array per parameter in ``plan_cm.params`` order. 37 = two blocks of 16 and a partial one."""
    rng = np.random.default_rng(0)
    P = [np.full(37, p.value) * rng.uniform(0.97, 1.03, 37) for p in plan_cm.params]
    for a in P:
        a.setflags(write=False)
    return P


@pytest.fixture(scope="session")
def plan_numba_full(plan_cm, plan_draws) -> np.ndarray:
    """Every output of :func:`plan_draws` at the yearly save times, from the compiled plan kernel
    (outputs, draws, times), read-only: the all-outputs kernel compiled once for the session."""
    pytest.importorskip("numba", reason="numba is in the test extra; the compiled kernel is tested with it")
    out = plan_cm.integrate(plan_draws, plan_cm.settings_for({}), backend="numba", check=False)
    out.setflags(write=False)
    return out
