"""Allocation of water by demand priority and supply preference (WEAP's rule), link by link.

Each use has a priority (its place in :data:`USES`, highest first) and an ordered list of the
sources it may draw on (:data:`LINKS`); a link may carry its own capacity. Uses are served one after
another in priority order; each takes from its sources in order of preference what the source has
left, up to what the use still lacks and the link allows. Every link, every source and every use
is reported. For use u with links (s_1, ..., s_k) in order, and the capacity left of each source::

    left_u,0 = demand_u
    x(u, s_j) = max(min(left_u,j-1, cap_left(s_j), link_cap(u, s_j)), 0)                       [yi_m3/year]
    left_u,j  = left_u,j-1 - x(u, s_j);     cap_left(s_j) -= x(u, s_j)
    water_supplied_u = sum_j x(u, s_j);     water_shortage_u = max(demand_u - water_supplied_u, 0)
    water_supply_s   = sum_u x(u, s)                                     (supply by source)
    water_supply_ratio_u = water_supplied_u / demand_u   (1 when demand_u is 0)              [1]

so supply by link sums to supply by source and to supply by use, and supply + shortage = demand
(up to rounding, about 1e-16 relative). No solver: min/max only, so both kernels and the XMILE
export read it. Uses of the same rank in WEAP would share a short source in proportion; here they
are served in the listed order (the domestic uses, first, share one source that covers both from
2021 in the plan scenario).

Default links (first preference first; ``*`` marks a link with its own capacity)::

    urban_domestic, rural_domestic : transferred, deep_groundwater
    industry   : reclaimed, deep_groundwater* (self-supplied wells), transferred
    livestock  : shallow_groundwater, deep_groundwater
    ecology    : reclaimed, surface
    irrigation : surface, transferred* (irrigation source switching), shallow_groundwater,
                 deep_groundwater

Industry draws on its own wells before transferred water, so closing those wells (plan ch.23 L230
依法有序关停自备井, with 水源置换) moves its demand onto transferred water as far as transferred
capacity is left after domestic use, and to shortage beyond. Reclaimed water reaches only industry
and ecology.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.engine.expr import Expr

__all__ = ["USES", "SOURCES", "LINKS", "Link", "allocate"]

#: Uses in priority order, highest first (WEAP's demand priority 1, 2, ...).
USES = ("urban_domestic", "rural_domestic", "industry", "livestock", "ecology", "irrigation")
#: Sources.
SOURCES = ("transferred", "surface", "reclaimed", "shallow_groundwater", "deep_groundwater")
TINY = F.const(1e-12, "yi_m3/year")  # keeps ratios finite when a demand is zero


@dataclass(frozen=True)
class Link:
    """A use's access to a source; ``capacity`` names a model variable capping the link (yi_m3/year)."""

    source: str
    capacity: str | None = None


#: Each use's sources in order of preference.
LINKS: dict[str, tuple[Link, ...]] = {
    "urban_domestic": (Link("transferred"), Link("deep_groundwater")),
    "rural_domestic": (Link("transferred"), Link("deep_groundwater")),
    "industry": (Link("reclaimed"), Link("deep_groundwater", "self_supplied_well_capacity"), Link("transferred")),
    "livestock": (Link("shallow_groundwater"), Link("deep_groundwater")),
    "ecology": (Link("reclaimed"), Link("surface")),
    "irrigation": (
        Link("surface"),
        Link("transferred", "irrigation_transfer_capacity"),
        Link("shallow_groundwater"),
        Link("deep_groundwater"),
    ),
}


def link_name(use: str, source: str) -> str:
    """Name of the model variable holding the flow on link ``use <- source``."""
    return f"water_link_{use}__{source}"


def allocate(
    m: Model,
    demand: Mapping[str, Expr],
    capacity: Mapping[str, Expr],
    *,
    uses: tuple[str, ...] = USES,
    links: Mapping[str, tuple[Link, ...]] = LINKS,
) -> None:
    """Declare link, use and source variables for ``demand`` (by use) served from ``capacity``.

    Parameters
    ----------
    demand : mapping
        Use label -> demand expression (yi_m3/year), for every use in ``uses``.
    capacity : mapping
        Source label -> capacity expression (yi_m3/year, >= 0).
    uses : tuple of str
        Uses in priority order, highest first.
    links : mapping
        Use label -> its :class:`Link` tuple in order of preference.
    """
    missing = [u for u in uses if u not in demand or u not in links]
    if missing:
        raise ValueError(f"water allocation: uses {missing} lack a demand or links; uses are {list(uses)}")
    unknown = sorted({k.source for u in uses for k in links[u]} - set(capacity))
    if unknown:
        raise ValueError(f"water allocation: links name unknown sources {unknown}; sources are {list(capacity)}")
    drawn: dict[str, list[Expr]] = {s: [] for s in capacity}
    for u in uses:
        left = demand[u]
        taken = []
        for k in links[u]:
            avail = capacity[k.source]
            for x in drawn[k.source]:
                avail = avail - x
            amount = F.minimum(left, avail)
            if k.capacity is not None:
                amount = F.minimum(amount, m.ref(k.capacity))
            x = m.aux(
                link_name(u, k.source),
                F.maximum(amount, 0),
                "yi_m3/year",
                description=f"water supplied to {u.replace('_', ' ')} from {k.source.replace('_', ' ')}",
            )
            drawn[k.source].append(x)
            taken.append(x)
            left = left - x
        supplied = sum(taken[1:], taken[0])
        got = m.aux(f"water_supplied_{u}", supplied, "yi_m3/year", description=f"water supplied to {u}")
        m.aux(f"water_shortage_{u}", F.maximum(demand[u] - got, 0), "yi_m3/year", description=f"unmet {u} demand")
        m.aux(
            f"water_supply_ratio_{u}",
            F.where(demand[u] > 0, got / F.maximum(demand[u], TINY), 1.0),
            "1",
            description=f"share of {u} demand met (1 when there is no demand)",
        )
    for s in capacity:
        total = sum(drawn[s][1:], drawn[s][0]) if drawn[s] else F.const(0.0, "yi_m3/year")
        m.aux(f"water_supply_{s}", total, "yi_m3/year", description=f"water supplied from {s.replace('_', ' ')}")
    m.group("water_demand", "water_use", {u: _demand_name(u) for u in uses}, description="water demand by use")
    m.group("water_delivered", "water_use", {u: f"water_supplied_{u}" for u in uses}, description="supply by use")
    m.group("water_shortage", "water_use", {u: f"water_shortage_{u}" for u in uses}, description="shortage by use")
    m.group(
        "water_supply_ratio",
        "water_use",
        {u: f"water_supply_ratio_{u}" for u in uses},
        description="share of demand met, by use",
    )
    m.group("water_supply", "water_source", {s: f"water_supply_{s}" for s in capacity}, description="supply by source")
    m.group(
        "water_link",
        "water_link_id",
        {f"{u}:{k.source}": link_name(u, k.source) for u in uses for k in links[u]},
        description="water supplied on each link, labelled use:source",
    )


def _demand_name(use: str) -> str:
    return "water_demand_irrigation_priced" if use == "irrigation" else f"water_demand_{use}"
