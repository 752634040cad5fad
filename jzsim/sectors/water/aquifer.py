"""Two aquifer layers, shallow and deep, each a stock with a water level.

Storage S_L (亿m3) is the water a layer holds above the depth at which its wells stop yielding
(``<L>_pump_limit_depth``), so the depth to water follows from storage through the specific yield
(shallow) or effective storativity (deep, which carries the release from compacting clays) over the
district area A::

    S_L(t0)   = coef_L * A * (limit_L - depth_L,start)                                          [yi_m3]
    depth_L   = limit_L - S_L / (coef_L * A)                                                    [m]

Flows (all yi_m3/year). Shallow recharge (plan ch.23 L230 节引调补蓄管: 补 = replenishment)::

    rain_recharge            = precipitation * A * infiltration_coefficient
    irrigation_return_flow   = irrigation_return_coefficient * water_supplied_irrigation
    canal_seepage            = canal_seepage_coefficient * water_link_irrigation__surface
    lake_seepage             = lake_seepage_share * water_demand_lake * water_supply_ratio_ecology
    replenishment_infiltration = replenishment_infiltration_share * replenishment_volume
                                 * water_supply_ratio_ecology

Pumping (the allocation's supply from each layer) is limited by a permit, by well yield and by
storage. Well yield is proportional to the drawdown left above the pump limit (Thiem), so pumping
capacity falls as the level drops: a feedback from the level to supply::

    cut       = clip((t - water_policy_start) / (pumping_cut_year - water_policy_start), 0, 1)
    permit_L  = <L>_permit_base * (1 - pumping_cut_L * cut)              (压采, plan ch.23 L230)
    capacity_L = min(permit_L, <L>_well_capacity * S_L / S_L(t0), S_L / (2 * aquifer_min_drain_time))

Between the layers, and across the district boundary (signed, inflow positive)::

    leakage_to_deep = clip(leakance * A * (depth_deep - depth_shallow),
                           -S_deep / (4 tau), S_shallow / (4 tau))                 (tau = aquifer_min_drain_time)
    surroundings depth falls by surroundings_rise_L per year (the rest of the cone recovering)
    lateral_inflow_L = max(lateral_inflow_L,start + conductance_L * ((depth_L - depth_L(t0))
                           - (depth_surround_L - depth_surround_L(t0))), -S_L / (4 tau))

The start-year lateral inflow of each layer (a stock that holds its start value) closes the start
year's balance on the *observed* level change (``<L>_level_change_start``, Hebei's 2020
monitoring): it carries lateral inflow from the surrounding cone and, in the deep layer, the water
squeezed out of compacting clays, neither of which is measured for the district::

    lateral_inflow_shallow,start = level_change_shallow * Sy * A
                                   - (shallow recharge - pumping_shallow - leakage_to_deep)(t0)
    lateral_inflow_deep,start    = level_change_deep * S_deep * A - (leakage_to_deep - pumping_deep)(t0)

Stocks and indicators::

    d(S_shallow)/dt = shallow recharge + lateral_inflow_shallow - pumping_shallow - leakage_to_deep
    d(S_deep)/dt    = leakage_to_deep + lateral_inflow_deep - pumping_deep
    groundwater_recharge_shallow = shallow recharge + lateral_inflow_shallow - leakage_to_deep
    groundwater_recharge_deep    = leakage_to_deep + lateral_inflow_deep
    groundwater_balance_L        = groundwater_recharge_L - pumping_L   (= dS_L/dt)
    groundwater_level_rise_L     = groundwater_balance_L / (coef_L * A)                        [m/year]
    groundwater_recharge, _extraction, _balance, aquifer_storage: sums over the layers

Outflows of a layer are bounded by S/(2 tau) + S/(4 tau) + S/(4 tau) = S/tau, so no storage goes
negative for dt <= tau (1 year), whatever the parameters.
"""

from __future__ import annotations

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.engine.expr import Expr
from jzsim.sectors import start_year

LAYERS = ("shallow", "deep")


def declare(m: Model) -> dict[str, Expr]:
    """Declare both layers; return the pumping capacity of each as a source (keys: source labels)."""
    p = m.params

    def q(name: str) -> Expr:
        return getattr(p, name)

    t0 = start_year(m)
    area = p.district_area
    tau = p.aquifer_min_drain_time
    cut = m.aux(
        "pumping_cut_progress",
        F.clip((m.time - p.water_policy_start) / (p.pumping_cut_year - p.water_policy_start), 0, 1),
        "1",
        description="share of the pumping cuts (压采) in force",
    )
    coef = {"shallow": p.shallow_specific_yield, "deep": p.deep_storativity}
    storage, depth, cap = {}, {}, {}
    for L in LAYERS:
        s0 = coef[L] * area * (q(f"{L}_pump_limit_depth") - q(f"{L}_depth_start"))
        s = m.stock(f"aquifer_storage_{L}", s0, "yi_m3", description=f"{L} aquifer storage above the pump limit")
        storage[L] = s
        depth[L] = m.aux(
            f"groundwater_depth_{L}",
            q(f"{L}_pump_limit_depth") - s / (coef[L] * area),
            "m",
            description=f"{L} groundwater depth below ground (埋深)",
        )
        permit = m.aux(
            f"groundwater_permit_{L}",
            q(f"{L}_permit_base") * (1 - q(f"pumping_cut_{L}") * cut),
            "yi_m3/year",
            description=f"{L} groundwater extraction permit (压采 lever)",
        )
        cap[L] = m.aux(
            f"groundwater_capacity_{L}",
            F.minimum(F.minimum(permit, q(f"{L}_well_capacity") * s / s0), s / (2 * tau)),
            "yi_m3/year",
            description=f"{L} groundwater that can be pumped (permit, well yield, storage)",
        )
    leak = m.flow(
        "leakage_to_deep",
        F.clip(
            p.leakance * area * (depth["deep"] - depth["shallow"]),
            -storage["deep"] / (4 * tau),
            storage["shallow"] / (4 * tau),
        ),
        "yi_m3/year",
        out_of="aquifer_storage_shallow",
        into="aquifer_storage_deep",
        description="leakage from the shallow to the deep layer (negative: upward)",
    )
    supply_ratio_eco = m.ref("water_supply_ratio_ecology")
    recharge_terms = {
        "rain_recharge": (p.precipitation * area * p.infiltration_coefficient, "precipitation infiltration"),
        "irrigation_return_flow": (
            p.irrigation_return_coefficient * m.ref("water_supplied_irrigation"),
            "irrigation water percolating back",
        ),
        "canal_seepage": (
            p.canal_seepage_coefficient * m.ref("water_link_irrigation__surface"),
            "seepage from canals carrying surface water to fields",
        ),
        "lake_seepage": (
            p.lake_seepage_share * m.ref("water_demand_lake") * supply_ratio_eco,
            "seepage from Hengshui Lake and wetlands",
        ),
        "replenishment_infiltration": (
            p.replenishment_infiltration_share * m.ref("replenishment_volume") * supply_ratio_eco,
            "managed river replenishment reaching the shallow layer",
        ),
    }
    flows = [
        m.flow(n, e, "yi_m3/year", into="aquifer_storage_shallow", description=d)
        for n, (e, d) in recharge_terms.items()
    ]
    shallow_in = m.aux(
        "shallow_recharge", sum(flows[1:], flows[0]), "yi_m3/year", description="recharge of the shallow layer"
    )
    pump = {}
    for L in LAYERS:
        pump[L] = m.flow(
            f"groundwater_pumping_{L}",
            m.ref(f"water_supply_{L}_groundwater"),
            "yi_m3/year",
            out_of=f"aquifer_storage_{L}",
            description=f"{L} groundwater pumped",
        )
    own = {"shallow": shallow_in - pump["shallow"] - leak, "deep": leak - pump["deep"]}
    lateral, recharge = {}, {}
    for L in LAYERS:
        start = m.stock(
            f"lateral_inflow_{L}_start",
            q(f"{L}_level_change_start") * coef[L] * area - own[L],
            "yi_m3/year",
            description=f"start-year lateral and unmeasured inflow to the {L} layer (closes the observed level change)",
        )
        surround_change = -q(f"surroundings_rise_{L}") * (m.time - t0)
        drop = depth[L] - q(f"{L}_depth_start")  # depth_L - depth_L(t0)
        lateral[L] = m.flow(
            f"lateral_inflow_{L}",
            F.maximum(start + q(f"lateral_conductance_{L}") * (drop - surround_change), -storage[L] / (4 * tau)),
            "yi_m3/year",
            into=f"aquifer_storage_{L}",
            description=f"lateral inflow across the district boundary to the {L} layer (negative: outflow)",
        )
    recharge["shallow"] = m.aux(
        "groundwater_recharge_shallow",
        shallow_in + lateral["shallow"] - leak,
        "yi_m3/year",
        description="net inflow to the shallow layer other than pumping",
    )
    recharge["deep"] = m.aux(
        "groundwater_recharge_deep",
        leak + lateral["deep"],
        "yi_m3/year",
        description="net inflow to the deep layer other than pumping",
    )
    for L in LAYERS:
        bal = m.aux(
            f"groundwater_balance_{L}",
            recharge[L] - pump[L],
            "yi_m3/year",
            description=f"{L} layer: recharge minus extraction (its storage change)",
        )
        m.aux(
            f"groundwater_level_rise_{L}",
            bal / (coef[L] * area),
            "m/year",
            description=f"{L} water level rise per year (negative: falling)",
        )
    m.aux(
        "groundwater_level_rise",
        F.minimum(m.ref("groundwater_level_rise_shallow"), m.ref("groundwater_level_rise_deep")),
        "m/year",
        description="the slower-rising layer's level rise (both rise when this is > 0)",
    )
    rech = m.aux(
        "groundwater_recharge",
        shallow_in + lateral["shallow"] + lateral["deep"],
        "yi_m3/year",
        description="recharge of both layers (rain, return flow, seepage, replenishment, lateral inflow)",
    )
    ext = m.aux(
        "groundwater_extraction", pump["shallow"] + pump["deep"], "yi_m3/year", description="groundwater pumped"
    )
    m.aux("groundwater_balance", rech - ext, "yi_m3/year", description="recharge minus extraction, both layers")
    m.aux(
        "aquifer_storage",
        storage["shallow"] + storage["deep"],
        "yi_m3",
        description="groundwater storage of both layers above their pump limits",
    )
    m.group(
        "groundwater_balance_by_layer",
        "aquifer_layer",
        {L: f"groundwater_balance_{L}" for L in LAYERS},
        description="recharge minus extraction by layer",
    )
    m.group(
        "groundwater_depth",
        "aquifer_layer",
        {L: f"groundwater_depth_{L}" for L in LAYERS},
        description="depth to groundwater by layer",
    )
    return {f"{L}_groundwater": cap[L] for L in LAYERS}
