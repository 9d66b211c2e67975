"""Components around the array: mitigation units (VAR, D-PTS median), off-chip DRAM and leakage."""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.cost.base import ALADDIN, HOROWITZ, Action, Component, _width
from accelsim.cost.datapath import Adder, Multiplier
from accelsim.cost.primitives import (
    CMP_BIT_AREA_UM2,
    CMP_BIT_ENERGY_PJ,
    COUNTER16_AREA_UM2,
    COUNTER16_ENERGY_PJ,
    LEAKAGE_W_PER_MM2_45NM,
    NANGATE,
)  # fmt: skip
from accelsim.cost.ranges import Ranged, at
from accelsim.cost.scaling import AREA_FACTOR, ENERGY_FACTOR

__all__ = ["VarianceUnit", "MedianUnit", "DRAM", "Leakage"]

_FP32_MULT_AREA = Ranged(7700.0, 0.75 * 7700.0, 1.5 * 7700.0, HOROWITZ)  # fp32 multiplier, one source: x0.75-1.5


@dataclass(frozen=True)
class Leakage(Component):
    """Static power of the chip, charged for the time the run takes (``SimResult.seconds``, at the achievable clock).

    Power = static power density at the node x on-chip area at the node.  45 nm: NanGate FreePDK45 INV_X1 leakage per
    area, 27 mW/mm^2 (19-35 mW/mm^2 for input low/high).  Other nodes: the 45 nm density x energy factor / area factor of
    Stillmaker & Baas (``scaling``): leakage per gate taken to scale like switching energy per gate (derived), so
    28 nm 35, 16 nm 24, 7 nm 43 mW/mm^2 nominal.  The same density is applied to logic and SRAM (SRAM bit cells
    leak less per area than logic gates: an upper bound for SRAM-heavy designs).  No area of its own (count 0);
    no actions: its energy is ``static_w x seconds``.  On-chip."""

    name = "leakage"
    actions = ()
    node_scaled = False  # the density is already at the node
    source = f"{NANGATE} INV_X1 cell_leakage_power / area; node factors: Stillmaker & Baas, Integration 58 (2017)"

    tech_nm: int = 45

    @classmethod
    def count(cls, design) -> int:
        return 0

    @classmethod
    def of(cls, design, run=None):
        return cls(design.tech_nm)

    def energy_pj(self, action: str = "") -> float:
        return 0.0

    @property
    def area_um2(self) -> float:
        return 0.0

    @property
    def w_per_mm2(self) -> float:
        return at(LEAKAGE_W_PER_MM2_45NM) * ENERGY_FACTOR[self.tech_nm] / AREA_FACTOR[self.tech_nm]

    def static_w(self, chip_area_mm2: float) -> float:
        return self.w_per_mm2 * chip_area_mm2


@dataclass(frozen=True)
class VarianceUnit(Component):
    """Per-token VAR rescale, sqrt(Var x / Var x_sparse) (derived; accelsim.methods "var").

    Per op (one element of x or of the pruned x): a square in the operand precision and an
    fp32 accumulate (Horowitz numbers via Multiplier and Adder); ``lanes`` such datapaths plus
    one fp32 divide/square-root block (~4 fp32 multipliers: Horowitz fp32 mult 3.7 pJ, 7700 um^2).
    """

    name = "var_unit"
    actions = (Action("ops", "variance_ops"),)
    source = HOROWITZ

    precision: str
    lanes: int

    @classmethod
    def count(cls, design) -> int:
        return design.cores * int("var" in design.mitigation_units)

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision, design.pe_rows)

    def energy_pj(self, action: str = "ops") -> float:
        return Multiplier(self.precision).energy_pj() + Adder("fp32").energy_pj()

    @property
    def area_um2(self) -> float:
        return self.lanes * (Multiplier(self.precision).area_um2 + Adder("fp32").area_um2) + 4 * at(_FP32_MULT_AREA)


@dataclass(frozen=True)
class MedianUnit(Component):
    """D-PTS: per-token median (histogram / two-pass select) and a rank-1 epilogue (derived).

    ``lanes`` comparators of the operand width and 256 16-bit histogram counters (Aladdin
    32-bit counter 0.25 pJ, 496 um^2, halved for 16 bits); the epilogue adds median x
    row-sum(W) to each output: ``cols`` multiply-accumulates (Multiplier + fp32 Adder).
    """

    name = "median_unit"
    actions = (Action("compares", "median_compares"), Action("epilogue_macs", "epilogue_macs"))
    source = f"{ALADDIN}; {HOROWITZ}"

    precision: str
    lanes: int
    cols: int
    width: int

    @classmethod
    def count(cls, design) -> int:
        return design.cores * int("median" in design.mitigation_units)

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision, design.pe_rows, design.pe_cols, _width(design))

    def energy_pj(self, action: str = "compares") -> float:
        if action == "epilogue_macs":
            return Multiplier(self.precision).energy_pj() + Adder("fp32").energy_pj()
        return self.width * at(CMP_BIT_ENERGY_PJ) + at(COUNTER16_ENERGY_PJ)

    @property
    def area_um2(self) -> float:
        comparators = self.lanes * self.width * at(CMP_BIT_AREA_UM2)
        counters = 256 * at(COUNTER16_AREA_UM2)
        epilogue = self.cols * (Multiplier(self.precision).area_um2 + Adder("fp32").area_um2)
        return comparators + counters + epilogue


@dataclass(frozen=True)
class DRAM(Component):
    """Off-chip DRAM: 1.3-2.6 nJ per 64-bit access = 20-40 pJ/bit (Horowitz); the low end
    (20.3 pJ/bit) is the default; Sparseloop's LPDDR4 (8 pJ/bit) is the optimistic alternative.
    No area (off-chip, count 0) and not scaled with the logic node."""

    name = "dram"
    actions = (Action("read_bytes", "dram_read_bytes"), Action("write_bytes", "dram_write_bytes"))
    node_scaled = False
    off_chip = True
    source = HOROWITZ

    pj_per_bit: float = Ranged(1300.0 / 64, 8.0, 2600.0 / 64, f"{HOROWITZ}; low end: Sparseloop's LPDDR4 8 pJ/bit")

    @classmethod
    def count(cls, design) -> int:
        return 0

    @classmethod
    def of(cls, design, run=None):
        return cls()

    def energy_pj(self, action: str = "read_bytes") -> float:
        return 8 * at(self.pj_per_bit)

    @property
    def area_um2(self) -> float:
        return 0.0
