"""``price(result, design) -> Cost``: action counts x energy per action, plus area per component.

``price`` walks the components of ``accelsim.cost.components.COMPONENTS``: each says how many
of it the design has, its energy per action and area at 45 nm, and which count of the
simulator each action is; ``accelsim.cost.scaling`` moves them to ``design.tech_nm`` (except
components that are not made in the logic node).  ``Cost.energy_onchip_j`` and
``energy_offchip_j`` split the total by each component's ``off_chip`` flag.  Static energy: a component's
``static_w(chip area)`` (the ``leakage`` component) is charged for ``result.seconds``, so area and slowness cost
energy.  Uncertainty: ``price(..., bound="low"|"high")`` prices with every constant at that end of its range
(``accelsim.cost.ranges``); the default nominal price also carries ``energy_range_j``/``area_range_mm2``/
``energy_onchip_range_j``, the (low, high) corners.  A layer-adaptive run (``SimResult.parts``) is priced group by
group at each group's run pattern and summed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from accelsim.cost import components as _components
from accelsim.cost.ranges import CORNERS, corner
from accelsim.cost.scaling import scale_area, scale_energy
from accelsim.sim.design import Design
from accelsim.sim.simulate import SimResult

__all__ = ["Cost", "price", "inventory"]


@dataclass(frozen=True)
class Cost:
    """Energy (J) and area (mm^2) of one simulated run on one design, in total and by component."""

    energy_j: float
    area_mm2: float
    energy_by_component_j: dict[str, float]
    area_by_component_mm2: dict[str, float]
    tech_nm: int = 45
    tokens: int = 0
    energy_onchip_j: float = 0.0  # components made on the chip
    energy_offchip_j: float = 0.0  # components with ``off_chip = True`` (DRAM)
    bound: str = "nominal"  # the corner of the constants' ranges this cost was priced at
    energy_range_j: tuple[float, float] = (0.0, 0.0)  # (low corner, high corner); nominal price only
    area_range_mm2: tuple[float, float] = (0.0, 0.0)
    energy_onchip_range_j: tuple[float, float] = (0.0, 0.0)

    @property
    def energy_per_token_j(self) -> float:
        return self.energy_j / self.tokens if self.tokens else 0.0


def inventory(design: Design, components=None) -> dict[str, tuple[object, int]]:
    """component name -> (instance sized for the design at 45 nm or None, count in the design; 0 = absent)."""
    return {c.name: (c.of(design), c.count(design)) for c in (_components.COMPONENTS if components is None else components)}


def price(result: SimResult, design: Design, components=None, bound: str = "nominal") -> Cost:
    """Energy and area of ``result`` (from ``simulate(design, ...)``) on ``design``.

    components: the component classes to price (default: ``accelsim.cost.components.COMPONENTS``).
    bound: "nominal" (default; the Cost also carries the low/high corners as ranges), "low" or "high" (every
    constant at that end of its range, ``accelsim.cost.ranges``).
    """
    if bound not in CORNERS:
        raise ValueError(f"bound must be one of {CORNERS}, got {bound!r}")
    if not isinstance(result, SimResult):
        raise TypeError(f"price expects a SimResult from accelsim.sim.simulate, got {type(result).__name__}")
    if not isinstance(design, Design):
        raise TypeError(f"price expects an accelsim.sim.Design, got {type(design).__name__}")
    if result.mac_slots != design.multipliers * result.cycles:
        raise ValueError(
            f"result was not simulated on this design: its MAC slots ({result.mac_slots}) != multipliers of "
            f"{design.name!r} ({design.multipliers}) x cycles ({result.cycles}); price(simulate(d, trace), d)"
        )
    if result.parts:  # a layer-adaptive run: each pattern group at its own run pattern (accelsim.sim.mixed)
        return _sum_costs([price(part, design, components, bound) for part in result.parts])
    with corner(bound):
        cost = _price(result, design, components, bound)
    if bound != "nominal":
        return cost
    lo, hi = (price(result, design, components, b) for b in ("low", "high"))
    return replace(cost, energy_range_j=(lo.energy_j, hi.energy_j), area_range_mm2=(lo.area_mm2, hi.area_mm2),
                   energy_onchip_range_j=(lo.energy_onchip_j, hi.energy_onchip_j))  # fmt: skip


def _sum_costs(costs: list[Cost]) -> Cost:
    """Groups that ran one after another on one design: energies add, the area is the design's (once)."""
    first = costs[0]

    def add(attr):
        return sum(getattr(c, attr) for c in costs)

    def add_pair(attr):
        return (sum(getattr(c, attr)[0] for c in costs), sum(getattr(c, attr)[1] for c in costs))

    return replace(first, energy_j=add("energy_j"), energy_onchip_j=add("energy_onchip_j"), energy_offchip_j=add("energy_offchip_j"),
                   energy_by_component_j={k: sum(c.energy_by_component_j[k] for c in costs) for k in first.energy_by_component_j},
                   tokens=max(c.tokens for c in costs), energy_range_j=add_pair("energy_range_j"),
                   energy_onchip_range_j=add_pair("energy_onchip_range_j"))  # fmt: skip


def _price(result: SimResult, design: Design, components, bound: str) -> Cost:
    energy, area, offchip, static = {}, {}, set(), {}
    for comp in _components.COMPONENTS if components is None else components:
        model, count = comp.of(design), comp.count(design)
        running = comp.of(design, result.run_pattern)  # energy per action of what the run used
        e_pj = 0.0
        if running is not None:
            for action in comp.actions:
                c = getattr(result.counts, action.count)
                if c:
                    e_pj += c * running.energy_pj(action.name)
        e_j = e_pj * 1e-12
        energy[comp.name] = scale_energy(e_j, design.tech_nm) if comp.node_scaled else e_j
        if comp.off_chip:
            offchip.add(comp.name)
        a_um2 = model.area_um2 * count if model is not None and count else 0.0
        area[comp.name] = scale_area(a_um2, design.tech_nm) * 1e-6
        if model is not None and type(model).static_w is not _components.Component.static_w:
            static[comp.name] = model
    chip_mm2 = sum(a for name, a in area.items() if name not in offchip)
    for name, model in static.items():  # static power (leakage) for the time the run takes
        energy[name] += model.static_w(chip_mm2) * result.seconds
    return Cost(
        energy_j=sum(energy.values()),
        area_mm2=sum(area.values()),
        energy_by_component_j=energy,
        area_by_component_mm2=area,
        tech_nm=design.tech_nm,
        tokens=result.tokens,
        energy_onchip_j=sum(e for name, e in energy.items() if name not in offchip),
        energy_offchip_j=sum(e for name, e in energy.items() if name in offchip),
        bound=bound,
    )
