"""Hardware components with reference energy per action (pJ) and area (um^2) at 45 nm.

Each class states its source; the raw published numbers sit in a comment next to the
constants (tags as in hw-anchors.md: [V] verified, [R] recalled, [D] derived here).
Values are at the 45 nm reference; ``accelsim.cost.scaling`` moves them to other nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.cost.scaling import from_40nm_area, from_40nm_energy
from accelsim.patterns import Pattern
from accelsim.sim.simulate import bitonic_comparators

__all__ = [
    "Multiplier", "Adder", "Register", "SRAM", "Selector", "MetadataDecoder", "CompactionUnit",
    "VarianceUnit", "MedianUnit", "DRAM", "GATE_AREA_UM2", "GATE_ENERGY_PJ", "MUX2_AREA_UM2", "FA_AREA_UM2",
]  # fmt: skip

# --- logic primitives (hw-anchors 4.2, 4.6) --------------------------------------------------
# Aladdin 40 nm: 32-bit bitwise op 0.018 pJ, 50.4 um^2 [V] -> per 2-input gate-bit 0.56 fJ, 1.58 um^2.
GATE_ENERGY_PJ = from_40nm_energy(0.018 / 32)
GATE_AREA_UM2 = from_40nm_area(50.4 / 32)
# NanGate 45 nm MUX2_X1 ~1.9 um^2 [R] (about two gate-equivalents of switching per select).
MUX2_AREA_UM2 = 1.9
MUX2_ENERGY_PJ = 2 * GATE_ENERGY_PJ
# Aladdin 40 nm 32-bit adder 0.21 pJ, 278 um^2 [V] -> per full-adder bit 6.6 fJ, 8.7 um^2.
FA_ENERGY_PJ = from_40nm_energy(0.21 / 32)
FA_AREA_UM2 = from_40nm_area(278 / 32)
# Aladdin 40 nm 32-bit comparator 0.029 pJ, 71 um^2 [V].
CMP_BIT_ENERGY_PJ = from_40nm_energy(0.029 / 32)
CMP_BIT_AREA_UM2 = from_40nm_area(71 / 32)


@dataclass(frozen=True)
class Multiplier:
    """One operand multiplier.  Horowitz ISSCC 2014, 45 nm, 0.9 V.

    Raw: int8 mult 0.2 pJ [V], 282 um^2 [R]; fp16 mult 1.1 pJ [V], 1640 um^2 [R].
    bf16 / fp8 [D]: an array multiplier grows with the square of the significand width
    (bf16 8 bits, fp8 e4m3 4 bits, vs 11 for fp16), so x(8/11)^2 and x(4/11)^2 of fp16.
    A clock-gated (zero-operand) slot costs 0.018/0.56 = 3.2 % of a MAC: Sparseloop STC
    artifact ERT, INT8 MAC 0.56 pJ vs gated 0.018 pJ [V] (hw-anchors 4.3).
    """

    precision: str
    GATED_FRACTION = 0.018 / 0.56
    _TABLE = {"int8": (0.2, 282.0), "fp16": (1.1, 1640.0), "bf16": (1.1 * (8 / 11) ** 2, 1640.0 * (8 / 11) ** 2),
              "fp8": (1.1 * (4 / 11) ** 2, 1640.0 * (4 / 11) ** 2)}  # fmt: skip

    def energy_pj(self, action: str = "useful") -> float:
        """useful: a full multiply; gated: a clock-gated slot; skipped: never issued (free)."""
        e = self._TABLE[self.precision][0]
        if action == "skipped":
            return 0.0
        return e * self.GATED_FRACTION if action == "gated" else e

    @property
    def area_um2(self) -> float:
        return self._TABLE[self.precision][1]


@dataclass(frozen=True)
class Adder:
    """Accumulator adder: int8 products accumulate in int32, floating point in fp32.

    Horowitz ISSCC 2014, 45 nm: 32-bit int add 0.1 pJ [V], 137 um^2 [R]; fp32 add 0.9 pJ [V],
    4184 um^2 [R].
    """

    precision: str

    def energy_pj(self, action: str = "accumulate") -> float:
        return 0.1 if self.precision == "int8" else 0.9

    @property
    def area_um2(self) -> float:
        return 137.0 if self.precision == "int8" else 4184.0


@dataclass(frozen=True)
class Register:
    """Flip-flop storage of ``bits`` bits.  Aladdin 40 nm (Accelergy library): 1-bit register
    0.009 pJ per access, 5.98 um^2 [V]; writes priced as reads (no separate figure)."""

    bits: int = 1
    E_BIT = from_40nm_energy(0.009)
    A_BIT = from_40nm_area(5.98)

    def energy_pj(self, action: str = "read") -> float:
        return self.E_BIT * self.bits

    @property
    def area_um2(self) -> float:
        return self.A_BIT * self.bits


@dataclass(frozen=True)
class SRAM:
    """On-chip SRAM of ``kib`` KiB in ``banks`` banks; priced per bank size (banking buys cheaper accesses).

    Energy per 64-bit read, Horowitz ISSCC 2014 45 nm [V]: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ;
    interpolated log-log between those points, extrapolated above 1 MB with the end slope and
    held flat below 8 KB; writes as
    reads (Sparseloop RF: 1.66 pJ read vs 1.68 pJ write [V]).
    Area per bit incl. periphery, Sparseloop STC artifact ART (45 nm) [V]: RF 2048 x 8 bit in
    16 banks 0.023 mm^2 (1.40 um^2/bit, 128 B banks); SMEM 256 KB + 64 KB metadata 2.60 mm^2
    (0.99 um^2/bit); log-linear in bank size between them, clamped outside.
    """

    kib: float
    banks: int = 1
    _E = ((8.0, 10.0), (32.0, 20.0), (1024.0, 100.0))  # (KB, pJ per 64-bit access)
    _A = ((0.125, 1.40), (320.0, 0.99))  # (bank KB, um^2 per bit)

    @property
    def bank_kib(self) -> float:
        return self.kib / self.banks

    def energy_pj_per_bit(self) -> float:
        # Below 8 KB the per-bit energy is held at the 8 KB value: small arrays are dominated by
        # periphery (Sparseloop's 2 KB RF costs 1.66 pJ per 8-bit read, more per bit than 8 KB).
        x = math.log(max(self.bank_kib, self._E[0][0]))
        pts = [(math.log(s), math.log(e)) for s, e in self._E]
        (x0, y0), (x1, y1) = (pts[0], pts[1]) if x <= pts[1][0] else (pts[1], pts[2])
        return math.exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0)) / 64.0

    def energy_pj(self, action: str = "read_bytes") -> float:
        """Per byte for *_bytes actions, per bit for *_bits actions."""
        per_bit = self.energy_pj_per_bit()
        return per_bit if action.endswith("_bits") else 8 * per_bit

    @property
    def area_um2(self) -> float:
        (s0, a0), (s1, a1) = self._A
        x = min(max(math.log(self.bank_kib), math.log(s0)), math.log(s1))
        per_bit = a0 + (a1 - a0) * (x - math.log(s0)) / (math.log(s1) - math.log(s0))
        return per_bit * self.kib * 1024 * 8


@dataclass(frozen=True)
class Selector:
    """Operand selector per multiplier lane: a ``fanin``:1 mux of ``width`` bits built from 2:1 cells.

    hw-anchors 4.6 [D]: an M:1 mux is (M-1) x width 2:1 cells and log2(M) levels; a 2:1 cell
    is ~1.9 um^2 (NanGate 45 nm [R]).  Hierarchical (two stages of fanin/2 inputs) needs
    fanin-2 cells.  Energy per selection: the ceil(log2 fanin) cells on the path per bit.
    Raw check: 8:16 naive int8 = 120 cells ~ 225 um^2 = 80 % of an int8 multiplier.
    """

    kind: str
    fanin: int
    width: int

    @property
    def cells(self) -> int:
        if self.fanin <= 1:
            return 0
        per_bit = self.fanin - 2 if self.kind == "hierarchical" else self.fanin - 1
        return per_bit * self.width

    def energy_pj(self, action: str = "select") -> float:
        return 0.0 if self.fanin <= 1 else math.ceil(math.log2(self.fanin)) * self.width * MUX2_ENERGY_PJ

    @property
    def area_um2(self) -> float:
        return self.cells * MUX2_AREA_UM2


@dataclass(frozen=True)
class MetadataDecoder:
    """Turns one group's metadata into the selector controls (one decode per pass) [D].

    index: N fields of ceil(log2 M) bits, each one-hot decoded (M gates of log2 M inputs ~
    M*ceil(log2 M) gate-equivalents per field).  bitmask: a prefix popcount over M bits
    (M * ceil(log2(M+1)) full-adder bits) to find kept positions.  combinatorial: N greedy
    compare-and-subtract steps on ceil(log2 C(M,N))-bit ranks (2 full-adder-equivalents per
    bit per step) plus a ROM of C(c, i) (M*N entries of the rank width, priced as gates).
    Gate and full-adder costs are Aladdin's (module constants).
    """

    fmt: str
    n: int
    m: int

    def _gates_and_fas(self) -> tuple[float, float]:
        lg = max(1, math.ceil(math.log2(self.m)))
        if self.fmt == "index":
            return self.n * self.m * lg, 0.0
        if self.fmt == "bitmask":
            return 0.0, self.m * math.ceil(math.log2(self.m + 1))
        bits = max(1, Pattern("nm", n=self.n, m=self.m).metadata_bits_per_group("combinatorial"))
        return self.m * self.n * bits, 2.0 * self.n * bits

    def energy_pj(self, action: str = "decode") -> float:
        g, f = self._gates_and_fas()
        return g * GATE_ENERGY_PJ + f * FA_ENERGY_PJ

    @property
    def area_um2(self) -> float:
        g, f = self._gates_and_fas()
        return g * GATE_AREA_UM2 + f * FA_AREA_UM2


def compare_exchange_energy_pj(width: int) -> float:
    """One compare-exchange of ``width``-bit keys: comparator + two 2:1 muxes per bit (Aladdin)."""
    return width * (CMP_BIT_ENERGY_PJ + 2 * MUX2_ENERGY_PJ)


def compare_exchange_area_um2(width: int) -> float:
    return width * (CMP_BIT_AREA_UM2 + 2 * MUX2_AREA_UM2)


@dataclass(frozen=True)
class CompactionUnit:
    """Online top-N selection and packing of activations, as a selection network [D].

    ``groups_per_cycle`` bitonic networks on M keys (comparator count from the simulator:
    (M/2) log2 M (log2 M + 1) / 2, Batcher 1968), keys ``width`` bits (the magnitude), plus a
    packing mux of M:1 per kept output.  Energy is charged per comparison counted by the
    simulator; area is the networks' compare-exchange elements plus the packing muxes.
    """

    m: int
    n: int
    width: int
    groups_per_cycle: int

    @property
    def comparators_per_group(self) -> int:
        return bitonic_comparators(self.m)

    def energy_pj(self, action: str = "comparisons") -> float:
        return compare_exchange_energy_pj(self.width) if action == "comparisons" else 0.0

    @property
    def area_um2(self) -> float:
        network = self.comparators_per_group * compare_exchange_area_um2(self.width)
        packing = self.n * (self.m - 1) * self.width * MUX2_AREA_UM2
        return self.groups_per_cycle * (network + packing)


@dataclass(frozen=True)
class VarianceUnit:
    """Per-token VAR rescale, sqrt(Var x / Var x_sparse) [D].

    Per op (one element of x or of the pruned x): a square in the operand precision and an
    fp32 accumulate (Horowitz numbers via Multiplier and Adder); ``lanes`` such datapaths plus
    one fp32 divide/square-root block (~4 fp32 multipliers: Horowitz fp32 mult 3.7 pJ [V],
    7700 um^2 [R]).
    """

    precision: str
    lanes: int

    def energy_pj(self, action: str = "ops") -> float:
        return Multiplier(self.precision).energy_pj() + Adder("fp32").energy_pj()

    @property
    def area_um2(self) -> float:
        return self.lanes * (Multiplier(self.precision).area_um2 + Adder("fp32").area_um2) + 4 * 7700.0


@dataclass(frozen=True)
class MedianUnit:
    """D-PTS: per-token median (histogram / two-pass select) and a rank-1 epilogue [D].

    ``lanes`` comparators of the operand width and 256 16-bit histogram counters (Aladdin
    32-bit counter 0.25 pJ, 496 um^2 [V], halved for 16 bits); the epilogue adds median x
    row-sum(W) to each output: ``cols`` multiply-accumulates (Multiplier + fp32 Adder).
    """

    precision: str
    lanes: int
    cols: int
    width: int

    def energy_pj(self, action: str = "compares") -> float:
        if action == "epilogue_macs":
            return Multiplier(self.precision).energy_pj() + Adder("fp32").energy_pj()
        return self.width * CMP_BIT_ENERGY_PJ + from_40nm_energy(0.25 / 2)

    @property
    def area_um2(self) -> float:
        comparators = self.lanes * self.width * CMP_BIT_AREA_UM2
        counters = 256 * from_40nm_area(496 / 2)
        epilogue = self.cols * (Multiplier(self.precision).area_um2 + Adder("fp32").area_um2)
        return comparators + counters + epilogue


@dataclass(frozen=True)
class DRAM:
    """Off-chip DRAM.  Horowitz ISSCC 2014: 1.3-2.6 nJ per 64-bit access [V] = 20-40 pJ/bit; the
    low end (20.3 pJ/bit) is the default.  Sparseloop's LPDDR4 (8 pJ/bit [V]) is the optimistic
    alternative.  No area (off-chip) and not scaled with the logic node."""

    pj_per_bit: float = 1300.0 / 64

    def energy_pj(self, action: str = "read_bytes") -> float:
        return 8 * self.pj_per_bit

    @property
    def area_um2(self) -> float:
        return 0.0
