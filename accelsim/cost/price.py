"""``price(result, design) -> Cost``: action counts x energy per action, plus area per component.

The inventory (which components a design has, how many, how wide) follows the design; the
per-action energies and areas come from ``accelsim.cost.components`` at 45 nm and are moved
to ``design.tech_nm`` by ``accelsim.cost.scaling`` (DRAM is not scaled).  Static (leakage)
energy is not modelled, so energy depends on what was done, not on how long it took.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.cost.components import (
    DRAM,
    SRAM,
    Adder,
    CompactionUnit,
    MedianUnit,
    MetadataDecoder,
    Multiplier,
    Register,
    Selector,
    VarianceUnit,
)  # fmt: skip
from accelsim.cost.scaling import scale_area, scale_energy
from accelsim.patterns import Pattern
from accelsim.sim.design import Design
from accelsim.sim.simulate import COMPONENT_ACTIONS, SimResult

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

    @property
    def energy_per_token_j(self) -> float:
        return self.energy_j / self.tokens if self.tokens else 0.0


def _decoder(design: Design, pattern: Pattern) -> MetadataDecoder:
    n, m = design.lane_group(pattern)
    fmt = design.metadata_format if pattern.kind == "nm" else "bitmask"
    return MetadataDecoder(fmt, n, m)


def inventory(design: Design) -> dict[str, tuple[object, int]]:
    """component -> (model instance at 45 nm, count in the design); count 0 = absent.

    Area depends on the design only: the metadata decoders and the compaction networks are
    sized for the widest supported group.  (``price`` charges decodes with the decoder of the
    pattern the run used.)
    """
    w = 8 * design.bytes_per_element
    mults = design.multipliers
    sparse = design.sparse_patterns
    widest = max(sparse, key=lambda p: design.lane_group(p)[1], default=None)
    column = design.pe_rows * design.lanes_per_pe
    n_decoders = max((column // design.lane_group(p)[0] for p in sparse), default=0)
    reg_bits = mults * (design.weight_candidates_per_lane * w + w) + design.pe_rows * design.pe_cols * 32
    dec = _decoder(design, widest if widest is not None else Pattern.parse("dense"))
    comp = None
    if widest is not None:
        n, m = design.lane_group(widest)
        comp = CompactionUnit(m, n, w, design.compaction_groups_per_cycle)
    return {
        "multiplier": (Multiplier(design.precision), mults),
        "adder": (Adder(design.precision), mults),
        "selector": (Selector(design.selector, design.mux_fanin, w), mults if sparse else 0),
        "register": (Register(1), reg_bits),
        "metadata_decoder": (dec, n_decoders),
        "metadata_buffer": (SRAM(design.act_buffer_kib, design.buffer_banks), 0),  # stored inside act_buffer
        "act_buffer": (SRAM(design.act_buffer_kib, design.buffer_banks), 1),
        "weight_buffer": (SRAM(design.weight_buffer_kib, design.buffer_banks), 1),
        "compaction": (comp, 1 if comp is not None else 0),
        "var_unit": (VarianceUnit(design.precision, design.pe_rows), int("var" in design.mitigation_units)),
        "median_unit": (MedianUnit(design.precision, design.pe_rows, design.pe_cols, w), int("median" in design.mitigation_units)),
        "dram": (DRAM(), 0),
    }


def _action_energy_pj(component: str, model, action: str, design: Design) -> float:
    w = 8 * design.bytes_per_element
    if component == "register":
        return model.energy_pj() * (8 if action == "weight_write_bytes" else w)
    return model.energy_pj(action)


def price(result: SimResult, design: Design) -> Cost:
    """Energy and area of ``result`` (from ``simulate(design, ...)``) on ``design``."""
    if not isinstance(result, SimResult):
        raise TypeError(f"price expects a SimResult from accelsim.sim.simulate, got {type(result).__name__}")
    if not isinstance(design, Design):
        raise TypeError(f"price expects an accelsim.sim.Design, got {type(design).__name__}")
    if result.mac_slots != design.multipliers * result.cycles:
        raise ValueError(
            f"result was not simulated on this design: its MAC slots ({result.mac_slots}) != multipliers of "
            f"{design.name!r} ({design.multipliers}) x cycles ({result.cycles}); price(simulate(d, trace), d)"
        )
    inv = inventory(design)
    run = Pattern.parse(result.run_pattern)
    energy, area = {}, {}
    for comp, actions in COMPONENT_ACTIONS.items():
        model, count = inv[comp]
        counts = result.actions.get(comp, {})
        # A decode costs what the decoder of the pattern actually run costs.
        emodel = _decoder(design, run) if comp == "metadata_decoder" and run.kind != "dense" else model
        e_pj = 0.0
        if emodel is not None:
            for action in actions:
                c = counts.get(action, 0)
                if c:
                    e_pj += c * _action_energy_pj(comp, emodel, action, design)
        e_j = e_pj * 1e-12
        energy[comp] = e_j if comp == "dram" else scale_energy(e_j, design.tech_nm)
        a_um2 = model.area_um2 * count if model is not None and count else 0.0
        area[comp] = scale_area(a_um2, design.tech_nm) * 1e-6
    return Cost(
        energy_j=sum(energy.values()),
        area_mm2=sum(area.values()),
        energy_by_component_j=energy,
        area_by_component_mm2=area,
        tech_nm=design.tech_nm,
        tokens=result.tokens,
    )
