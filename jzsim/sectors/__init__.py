"""The plan model's sectors, one short module each.

Each module holds one :class:`jzsim.engine.Sector` whose docstring lists its equations with units
and sources; its parameters are in ``jzsim/data/parameters/<sector>.csv``.
"""

from __future__ import annotations

from jzsim.engine import Model, Ref, Sector
from jzsim.engine import functions as F
from jzsim.engine.expr import Expr

__all__ = ["default_sectors", "start_year", "toward", "trend"]


def start_year(m: Model) -> Ref:
    """The run's first simulated year, as a stock without flows (declared once, by the first sector
    that asks): every start-year value and every ``t0`` in the sectors is read from it, so the same
    model runs from 2010 or from 2020 (``simulate(start=...)``) without being rebuilt.

    A sector that reads it lists ``"start_year"`` in its ``inputs`` (whichever sector declares it).
    Returns a reference to ``start_year`` [year].
    """
    if "start_year" not in m:
        m.stock("start_year", m.time, "year", description="first simulated year of the run (t0)")
    return m.ref("start_year")


def toward(base: Expr, target: Expr, progress: Expr) -> Expr:
    """A lever moving from its start value to its policy value along a path:
    ``base + (target - base) * progress``, with ``progress`` in [0, 1] (0 at the start of the
    policy, 1 once it is in force). Units those of ``base`` and ``target``.
    """
    return base + (target - base) * progress


def default_sectors() -> dict[str, Sector]:
    """Fresh instances of the plan model's sectors, by name (edit the dict to make a variant)."""
    from jzsim.sectors.agriculture import Agriculture
    from jzsim.sectors.budget import Budget
    from jzsim.sectors.clusters import Clusters
    from jzsim.sectors.economy import Economy
    from jzsim.sectors.employment import Employment
    from jzsim.sectors.incomes import Incomes
    from jzsim.sectors.population import Population
    from jzsim.sectors.water import Water

    return {
        s.name: s
        for s in (Economy(), Clusters(), Population(), Employment(), Incomes(), Agriculture(), Water(), Budget())
    }


def trend(rate: Expr, t: Expr, t0: Expr) -> Expr:
    """``exp(rate * (t - t0))``, an exponential trend from the run's start ``t0`` [1].

    Written ``exp(rate * t) * exp(-rate * t0)``: the first factor is an exponential of a linear
    function of the time with a per-draw slope, which the compiled kernel steps by multiplication
    (its time factors); the second is a per-draw constant, computed once. (The compiled kernel's
    time factors read parameters only, not the ``start_year`` stock.) Relative error about
    ``1e-16 * |rate * t|``, under 1e-14 for the plan's rates and years.
    """
    return F.exp(rate * t) * F.exp(-(rate * t0))
