"""The array's datapath components: multipliers, adders, flip-flops and the inter-PE wires."""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.cost import pe as _pe
from accelsim.cost.base import ALADDIN, HOROWITZ, SPARSELOOP, Action, Component, _unstructured, _width
from accelsim.cost.primitives import (
    KECKLER,
    NANGATE,
    REG_BIT_AREA_UM2,
    REG_BIT_ENERGY_PJ,
    WIRE_PJ_PER_BIT_MM,
)  # fmt: skip
from accelsim.cost.ranges import Ranged, at
from accelsim.cost.scaling import from_40nm_area, from_40nm_energy

__all__ = ["Multiplier", "Adder", "Register", "ArrayWiring"]

@dataclass(frozen=True)
class Multiplier(Component):
    """One operand multiplier.  Raw: int8 mult 0.2 pJ, 282 um^2; fp16 mult 1.1 pJ, 1640 um^2 (Horowitz).

    bf16 / fp8 (derived): an array multiplier grows with the square of the significand width
    (bf16 8 bits, fp8 e4m3 4 bits, vs 11 for fp16), so x(8/11)^2 and x(4/11)^2 of fp16.
    A clock-gated (zero-operand) slot costs 0.018/0.56 = 3.2 % of a MAC: Sparseloop's STC
    energy table, INT8 MAC 0.56 pJ vs gated 0.018 pJ.  A skipped product is never issued (free).
    """

    name = "multiplier"
    actions = (Action("useful", "macs_useful"), Action("gated", "macs_gated"), Action("skipped", "macs_skipped"))
    source = f"{HOROWITZ}; gated fraction: {SPARSELOOP}"
    GATED_FRACTION = Ranged(0.018 / 0.56, 0.75 * 0.018 / 0.56, 1.5 * 0.018 / 0.56, SPARSELOOP)  # one source: x0.75-1.5
    # Ranges: int8 energy up to Sparseloop's INT8 MAC 0.56 pJ less Horowitz's 0.1 pJ accumulate = 0.46 pJ; int8 area up to
    # Aladdin's 32x32 multiplier scaled to 8x8 (397 um^2 at 40 nm, docs/hardware-anchors.md 4.2) at 45 nm; floating point
    # formats keep int8's relative spread.
    _E_HI, _A_HI = 0.46 / 0.2, from_40nm_area(397.0) / 282.0
    _TABLE = {k: (Ranged(e, e, e * 0.46 / 0.2, HOROWITZ), Ranged(a, a, a * from_40nm_area(397.0) / 282.0, HOROWITZ))
              for k, (e, a) in {"int8": (0.2, 282.0), "fp16": (1.1, 1640.0), "bf16": (1.1 * (8 / 11) ** 2, 1640.0 * (8 / 11) ** 2),
                                "fp8": (1.1 * (4 / 11) ** 2, 1640.0 * (4 / 11) ** 2)}.items()}  # fmt: skip

    precision: str

    @classmethod
    def count(cls, design) -> int:
        return design.multipliers * design.cores

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision)

    def energy_pj(self, action: str = "useful") -> float:
        e = at(self._TABLE[self.precision][0])
        if action == "skipped":
            return 0.0
        return e * at(self.GATED_FRACTION) if action == "gated" else e

    @property
    def area_um2(self) -> float:
        return at(self._TABLE[self.precision][1])


@dataclass(frozen=True)
class Adder(Component):
    """The adders of the array, per multiplier lane (one accumulate per issued slot).

    int8 products accumulate in int32 (Horowitz: 0.1 pJ, 137 um^2; Aladdin's 32-bit adder, 0.24 pJ and 352 um^2 at
    45 nm, is the high end); floating point in fp32 (0.9 pJ, 4184 um^2; one source, x0.75 to x1.5).  A tensor PE
    of ``lanes`` > 1 integer lanes reduces its products in an adder tree before one int32 accumulator (derived):
    ``lanes - 1`` adders of ``2 w + ceil(log2 lanes)`` bits plus one 32-bit adder per PE, priced per bit of
    the 32-bit adder and shared by its lanes (the saving of STA's tensor PE, Liu et al., IEEE CAL 2020,
    arXiv:2005.08098).  Floating point keeps one fp32 adder per lane (a tree of fp32 adders is as large)."""

    name = "adder"
    actions = (Action("accumulate", "macs_issued"),)
    source = f"{HOROWITZ}; {ALADDIN}"
    _INT32 = (Ranged(0.1, 0.1, from_40nm_energy(0.21), HOROWITZ), Ranged(137.0, 137.0, from_40nm_area(278.0), HOROWITZ))
    _FP32 = (Ranged(0.9, 0.75 * 0.9, 1.5 * 0.9, HOROWITZ), Ranged(4184.0, 0.75 * 4184.0, 1.5 * 4184.0, HOROWITZ))

    precision: str
    lanes: int = 1

    @classmethod
    def count(cls, design) -> int:
        return design.multipliers * design.cores

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision, _pe.reduction_lanes(design))

    def _int32_bits_per_lane(self) -> float:
        """The lane's share of the PE's adders, in bits of a 32-bit adder (32 for a scalar PE)."""
        if self.lanes <= 1:
            return 32.0
        w = 8 if self.precision in ("int8", "fp8") else 16
        tree = (self.lanes - 1) * (2 * w + math.ceil(math.log2(self.lanes)))
        return (tree + 32) / self.lanes

    def energy_pj(self, action: str = "accumulate") -> float:
        if self.precision != "int8":
            return at(self._FP32[0])
        return at(self._INT32[0]) * self._int32_bits_per_lane() / 32

    @property
    def area_um2(self) -> float:
        if self.precision != "int8":
            return at(self._FP32[1])
        return at(self._INT32[1]) * self._int32_bits_per_lane() / 32


@dataclass(frozen=True)
class Register(Component):
    """Flip-flop storage of the array, priced per bit (Aladdin 40 nm 1-bit register 0.009 pJ per access,
    5.98 um^2; low end NanGate DFF_X1 4.522 um^2).

    Bits (area; counted by ``accelsim.cost.pe.register_bits`` per tensor PE, a 1 x 1 block being the scalar-lane
    PE): the stationary weight candidates and their shadow copy (weight-stationary: the double buffering the
    simulator assumes), the operand pipeline registers at the tensor PE's boundary (shared by the units the
    operand is broadcast to inside it), the 32-bit partial sums (weight-stationary) or accumulators
    (output-stationary), plus one ``w``-bit register per lane and selector pipeline stage
    (docs/sparse-core-model.md section 3).
    Energy: a weight write clocks 8 bits per byte; every issued MAC slot clocks its share of the pipeline
    registers into the next tensor PE (``pe.hop_register_bits``: the per-MAC register traffic of a systolic
    array); a selection through a pipelined selector ``w`` bits per stage."""

    name = "register"
    actions = (
        Action("weight_write_bytes", "wbuf_read_bytes"), Action("operand_reads", "macs_issued"),
        Action("pipeline_writes", "selects"),
    )  # fmt: skip
    source = f"{ALADDIN}; {NANGATE} DFF_X1"
    E_BIT = REG_BIT_ENERGY_PJ
    A_BIT = REG_BIT_AREA_UM2

    bits: int = 1
    width: int = 8
    stages: int = 0
    hop_bits: float = 8.0

    @classmethod
    def count(cls, design) -> int:
        return design.cores * _pe.register_bits(design)

    @classmethod
    def of(cls, design, run=None):
        return cls(1, _width(design), design.selector_pipeline_stages, _pe.hop_register_bits(design))

    def energy_pj(self, action: str = "read") -> float:
        per_access = at(self.E_BIT) * self.bits
        if action == "weight_write_bytes":
            return per_access * 8
        if action == "pipeline_writes":
            return per_access * self.width * self.stages
        return per_access * self.hop_bits if action == "operand_reads" else per_access

    @property
    def area_um2(self) -> float:
        return at(self.A_BIT) * self.bits


@dataclass(frozen=True)
class ArrayWiring(Component):
    """Inter-PE wires of the systolic array: each issued MAC slot drives ``pe.hop_wire_bits`` bits one PE pitch.

    Energy per slot: hop bits x PE pitch (the square root of the PE's multipliers, adders and registers) x
    wire energy per bit and mm (Keckler et al. 2011, 40 nm: 0.10-0.20 pJ/bit/mm, moved to 45 nm).  Area 0: the
    buses route over the cells on the upper metal layers (a standard-cell array is cell-limited, not wire-limited,
    at these widths: a scalar int8 PE of ~30 um pitch carries 48 tracks, a few per cent of one layer's capacity).
    A SIGMA-like design (patterns include ``unstructured:*``) has no systolic hops: its operands travel the
    :class:`BenesNetwork` and its partial sums the :class:`ForwardingAdderNetwork`, which price their own wires."""

    name = "array_wiring"
    actions = (Action("hops", "macs_issued"),)
    source = KECKLER

    hop_bits: float
    pe_area_um2: float

    @classmethod
    def count(cls, design) -> int:
        return 0

    @classmethod
    def of(cls, design, run=None):
        pes = design.pe_rows * design.pe_cols
        adder = Adder.of(design)
        logic = design.lanes_per_pe * (Multiplier(design.precision).area_um2 + adder.area_um2)
        hops = 0.0 if _unstructured(design) else _pe.hop_wire_bits(design)
        return cls(hops, logic + Register.count(design) / (pes * design.cores) * at(Register.A_BIT))

    def energy_pj(self, action: str = "hops") -> float:
        return self.hop_bits * math.sqrt(self.pe_area_um2) * 1e-3 * at(WIRE_PJ_PER_BIT_MM)

    @property
    def area_um2(self) -> float:
        return 0.0
