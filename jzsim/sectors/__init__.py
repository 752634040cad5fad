"""The plan model's sectors, one short module each.

Each module holds one :class:`jzsim.engine.Sector` whose docstring lists its equations with units
and sources; its parameters are in ``jzsim/data/parameters/<sector>.csv``.
"""

from __future__ import annotations

from jzsim.engine import Sector

__all__ = ["default_sectors"]


def default_sectors() -> dict[str, Sector]:
    """Fresh instances of the plan model's sectors, by name (edit the dict to make a variant)."""
    from jzsim.sectors.agriculture import Agriculture
    from jzsim.sectors.clusters import Clusters
    from jzsim.sectors.economy import Economy
    from jzsim.sectors.employment import Employment
    from jzsim.sectors.incomes import Incomes
    from jzsim.sectors.population import Population
    from jzsim.sectors.water import Water

    return {s.name: s for s in (Economy(), Clusters(), Population(), Employment(), Incomes(), Agriculture(), Water())}
