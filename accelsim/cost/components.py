"""The cost components of a design, each declared once: one class per component.

A component class states

* ``name``: the key of ``Cost.energy_by_component_j`` / ``area_by_component_mm2`` and of
  ``SimResult.actions``;
* ``actions``: its actions, each naming the field of ``accelsim.sim.counts.Counts`` it is;
* ``count(design)``: how many instances the design has (0: absent; area is ``count x area_um2``), on the
  whole chip: a per-core component counts ``Design.cores`` times (DRAM and the shared level once);
* ``of(design, run=None)``: the instance sized for the design (``run``: the pattern the
  simulator ran, for components whose energy per action depends on it); None if absent;
* ``energy_pj(action)`` per action and ``area_um2`` per instance, at the 45 nm reference;
* ``flexibility``: True for hardware a design adds to run sparse patterns beyond dense;
* ``node_scaled``: False for off-chip parts (not made in the logic node);
* ``off_chip``: True for parts outside the chip (``Cost.energy_offchip_j`` sums them);
* ``source``: the public source of its numbers (paper, datasheet, URL).

``price`` loops over :data:`COMPONENTS` and nothing else.

Adding a component: write its class here and list it in ``COMPONENTS`` (one file).  If an
action is a count the simulator does not produce yet, add that count to
``accelsim/sim/counts.py`` and fill it in the kernel (and its twin) or in
``simulate._derived_counts`` (the second file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from accelsim.cost import pe as _pe
from accelsim.cost.primitives import (
    CMP_BIT_AREA_UM2,
    CMP_BIT_ENERGY_PJ,
    COUNTER16_AREA_UM2,
    COUNTER16_ENERGY_PJ,
    FA_AREA_UM2,
    FA_ENERGY_PJ,
    GATE_AREA_UM2,
    GATE_ENERGY_PJ,
    KECKLER,
    LEAKAGE_W_PER_MM2_45NM,
    MUX2_AREA_UM2,
    MUX2_ENERGY_PJ,
    NANGATE,
    REG_BIT_AREA_UM2,
    REG_BIT_ENERGY_PJ,
    WIRE_PJ_PER_BIT_MM,
    compare_exchange_area_um2,
    compare_exchange_energy_pj,
)  # fmt: skip
from accelsim.cost.ranges import Ranged, at
from accelsim.cost.scaling import AREA_FACTOR, ENERGY_FACTOR, from_40nm_area, from_40nm_energy
from accelsim.cost.sram import SRAM
from accelsim.patterns import DENSE, Pattern
from accelsim.sim.counts import COUNT_NAMES, Counts
from accelsim.sim.networks import bitonic_comparators

__all__ = [
    "Action", "Component", "COMPONENTS", "actions_of", "flexibility_components", "offchip_components", "Multiplier", "Adder", "Register",
    "SRAM", "ActBuffer", "WeightBuffer", "MetadataBuffer", "Selector", "MetadataDecoder", "CompactionUnit",
    "VarianceUnit", "MedianUnit", "DRAM", "ArrayWiring", "Leakage", "BenesNetwork", "ForwardingAdderNetwork",
]  # fmt: skip

HOROWITZ = 'M. Horowitz, "Computing\'s energy problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V'
ALADDIN = "Aladdin 40 nm characterisation in Accelergy's library, github.com/Accelergy-Project/accelergy-library-plug-in"
SPARSELOOP = "Sparseloop (Wu et al., MICRO 2022, arXiv 2205.05826) artifact github.com/Accelergy-Project/micro22-sparseloop-artifact"


@dataclass(frozen=True)
class Action:
    """One action of a component: its name and the ``Counts`` field that counts it."""

    name: str
    count: str

    def __post_init__(self) -> None:
        if self.count not in COUNT_NAMES:
            raise ValueError(f"Action {self.name!r}: {self.count!r} is not a field of accelsim.sim.counts.Counts")


class Component:
    """Base of the component classes (see the module docstring for what each one states)."""

    name: ClassVar[str]
    actions: ClassVar[tuple[Action, ...]]
    flexibility: ClassVar[bool] = False
    node_scaled: ClassVar[bool] = True
    off_chip: ClassVar[bool] = False
    source: ClassVar[str]

    @classmethod
    def count(cls, design) -> int:
        raise NotImplementedError

    @classmethod
    def of(cls, design, run: Pattern | None = None) -> "Component | None":
        raise NotImplementedError

    def energy_pj(self, action: str) -> float:
        raise NotImplementedError

    @property
    def area_um2(self) -> float:
        raise NotImplementedError

    def static_w(self, chip_area_mm2: float) -> float:
        """Static power (W) this component draws while the chip of ``chip_area_mm2`` (on-chip area at the node) is
        powered; ``price`` charges it for the run's seconds.  0 except for :class:`Leakage`."""
        return 0.0


def _width(design) -> int:
    return 8 * design.bytes_per_element


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


@dataclass(frozen=True)
class _DesignBuffer(SRAM, Component):
    """An SRAM buffer sized by a Design field (``kib_field`` KiB in ``buffer_banks`` banks), one per core."""

    kib_field: ClassVar[str]
    source = SRAM.source

    @classmethod
    def count(cls, design) -> int:
        return design.cores

    @classmethod
    def of(cls, design, run=None):
        return cls(getattr(design, cls.kib_field), design.buffer_banks)


@dataclass(frozen=True)
class ActBuffer(_DesignBuffer):
    """The activation buffer (an SRAM of ``act_buffer_kib`` in ``buffer_banks`` banks)."""

    name = "act_buffer"
    actions = (Action("read_bytes", "act_read_bytes"), Action("write_bytes", "act_write_bytes"))
    kib_field = "act_buffer_kib"


@dataclass(frozen=True)
class WeightBuffer(_DesignBuffer):
    """The weight buffer (an SRAM of ``weight_buffer_kib`` in ``buffer_banks`` banks)."""

    name = "weight_buffer"
    actions = (Action("read_bytes", "wbuf_read_bytes"), Action("write_bytes", "wbuf_write_bytes"))
    kib_field = "weight_buffer_kib"


@dataclass(frozen=True)
class MetadataBuffer(SRAM, Component):
    """Metadata storage: activation metadata priced per bit in the activation buffer's SRAM, which holds it,
    and the compressed weights' metadata (weight-sparse and dual-side cores) in the weight buffer's SRAM,
    stored beside the kept weights (so it adds no area of its own: count 0)."""

    name = "metadata_buffer"
    actions = (Action("read_bits", "meta_read_bits"), Action("write_bits", "meta_write_bits"),
               Action("weight_read_bits", "wmeta_read_bits"), Action("weight_write_bits", "wmeta_write_bits"))  # fmt: skip
    flexibility = True
    source = SRAM.source

    weight_kib: float = 0.0  # the weight buffer holding the weights' metadata

    @classmethod
    def count(cls, design) -> int:
        return 0

    @classmethod
    def of(cls, design, run=None):
        return cls(design.act_buffer_kib, design.buffer_banks, design.weight_buffer_kib)

    def energy_pj(self, action: str = "read_bits") -> float:
        if action.startswith("weight_"):
            return SRAM(self.weight_kib or self.kib, self.banks).energy_pj(action)
        return SRAM.energy_pj(self, action)


@dataclass(frozen=True)
class Selector(Component):
    """Operand selector per multiplier lane, from its gates: a ``fanin``:1 mux of ``width`` bits built from 2:1 cells,
    and the flip-flops that hold its select word for the cycle.

    Gate counts (derived): a naive M:1 or window (M-N+1):1 mux is (fanin - 1) x width 2:1 cells in
    ceil(log2 fanin) levels; the hierarchical selector (docs/sparse-core-model.md section 1) is two cascaded
    stages of fanin / 2 inputs, 2 (fanin / 2 - 1) cells per bit in 2 ceil(log2(fanin / 2)) levels.  Its select
    word, one bit per level, is produced by the metadata decoder (:class:`MetadataDecoder`: the one-hot decode
    or prefix popcount of the group's metadata, priced there) and held in a register per lane, so the decode
    and the mux sit in different cycles.  Cells: NanGate MUX2_X1 (1.862 um^2) and the flip-flop bit of
    ``primitives``.  Energy per selection: the ``levels`` cells on each bit's path plus the select bits clocked.
    Check: 8:16 naive int8 = 120 cells ~ 225 um^2 = 80 % of an int8 multiplier, plus 4 select flip-flops.
    Published check (analysis/validation_cost.py): STA-DBB's 4/8 weight DBB array with an 8:1 mux per
    multiplier (Liu et al., IEEE CAL 2020) at iso-throughput, against the dense tensor array.  One per
    multiplier on a sparse design, except a SIGMA-like one (patterns include ``unstructured:*``), whose
    ``BenesNetwork`` routes each operand instead.
    """

    name = "selector"
    actions = (Action("select", "selects"),)
    flexibility = True
    source = f"{NANGATE} MUX2_X1, DFF_X1; Aladdin 40 nm gate and flip-flop energy (Accelergy library)"

    kind: str
    fanin: int
    width: int

    @classmethod
    def count(cls, design) -> int:
        return design.multipliers * design.cores if design.selection_patterns and not _unstructured(design) else 0

    @classmethod
    def of(cls, design, run=None):
        return None if _unstructured(design) else cls(design.selector, design.mux_fanin, _width(design))

    @property
    def cells(self) -> int:
        if self.fanin <= 1:
            return 0
        per_bit = self.fanin - 2 if self.kind == "hierarchical" else self.fanin - 1
        return per_bit * self.width

    @property
    def levels(self) -> int:
        """2:1 cells on one bit's path, which is also the select word's width in bits."""
        if self.fanin <= 1:
            return 0
        if self.kind == "hierarchical":
            return 2 * math.ceil(math.log2(self.fanin / 2))
        return math.ceil(math.log2(self.fanin))

    def energy_pj(self, action: str = "select") -> float:
        return self.levels * (self.width * at(MUX2_ENERGY_PJ) + at(REG_BIT_ENERGY_PJ))

    @property
    def area_um2(self) -> float:
        return self.cells * at(MUX2_AREA_UM2) + self.levels * at(REG_BIT_AREA_UM2)


def _group(design, p: Pattern) -> tuple[int, int]:
    """(N, M) of a pattern's own group: N:M; unstructured: the lanes and the chunk it maps onto."""
    if p.kind == "nm":
        return p.n, p.m
    n, m, _ = design.lane_mapping(p)
    return n, m


def _widest(design, patterns=None) -> Pattern | None:
    """The supported pattern with the widest group (default: over every pattern the selectors serve)."""
    return max(design.selection_patterns if patterns is None else patterns, key=lambda p: _group(design, p)[1], default=None)


@dataclass(frozen=True)
class MetadataDecoder(Component):
    """Turns a chunk's metadata into the selector controls: one decoder per lane group (derived).

    Hardware of one decode step of a group of (N, M) (docs/sparse-core-model.md, section 2):
    index: N fields of ceil(log2 M) bits, each one-hot decoded (M gates of log2 M inputs ~
    M*ceil(log2 M) gate-equivalents per field); bitmask: a prefix popcount over M bits
    (M * ceil(log2(M+1)) full-adder bits); combinatorial of at most 8 bits: a table of
    2^bits rows of M bits (one gate-equivalent per ROM bit; a read drives M*bits gates);
    longer combinatorial codes are unranked serially, one kept position per step (one
    compare-and-subtract on the bits-wide rank, 2 full-adder bits per bit, plus a ROM of the
    M*N binomials C(c, i), priced as gates; a read moves one bits-wide word).  Steps per group:
    N for the serial unranker, else 1.
    Area of one decoder: ``rate`` step units (capped at the steps of one chunk), for the
    supported pattern that needs the most; energy per decode (one per chunk-cycle): the steps
    of one chunk of the run pattern, ``steps x mh / M``, each at its step energy.
    A weight-sparse or dual-side core's decoders also decode the compressed weights' metadata, once
    per chunk and column per fold (``weight_decode``, priced as one chunk of its widest weight pattern).
    """

    name = "metadata_decoder"
    actions = (Action("decode", "meta_decodes"), Action("weight_decode", "wmeta_decodes"))
    flexibility = True
    source = ALADDIN + " (gate and full-adder costs); serial unranking: Knuth, TAOCP 4A, 7.2.1.3"

    fmt: str
    n: int
    m: int
    mh: int = 0  # the chunk one decode covers (0: the group, M)
    rate: int = 1  # step units (decode groups or steps per cycle)
    sized_for: tuple = ()  # (N, M) of every supported group (area: the most demanding)
    weight_group: tuple = ()  # (N, M) of the widest weight pattern (weight-sparse and dual-side cores)

    @classmethod
    def count(cls, design) -> int:
        column = design.pe_rows * design.lanes_per_pe
        return design.cores * max((column // design.lane_mapping(p)[0] for p in design.selection_patterns), default=0)

    @classmethod
    def of(cls, design, run=None):
        p = run if run is not None and run.kind != "dense" else (_widest(design) or DENSE)
        n, m = _group(design, p)
        fmt = design.metadata_format if p.kind == "nm" else "bitmask"
        sized = tuple(_group(design, q) for q in design.selection_patterns if q.kind == p.kind)
        wt = _widest(design, design.weight_patterns)
        return cls(fmt, n, m, design.lane_mapping(p)[1], design.resolved_decode_groups_per_cycle, sized,
                   _group(design, wt) if wt is not None else ())  # fmt: skip

    def _step(self, n: int, m: int) -> tuple[float, float, float, float, int]:
        """(area gates, area full adders, energy gates, energy full adders, steps per group) of one step unit."""
        lg = max(1, math.ceil(math.log2(m)))
        if self.fmt == "index":
            return n * m * lg, 0.0, n * m * lg, 0.0, 1
        if self.fmt == "bitmask":
            fas = m * math.ceil(math.log2(m + 1))
            return 0.0, fas, 0.0, fas, 1
        bits = max(1, Pattern("nm", n=n, m=m).metadata_bits_per_group("combinatorial"))
        if bits <= 8:
            return (1 << bits) * m, 0.0, m * bits, 0.0, 1
        return m * n * bits, 2.0 * bits, bits, 2.0 * bits, n

    def _steps_per_chunk(self, n: int, m: int) -> float:
        return self._step(n, m)[4] * (self.mh or m) / m

    def energy_pj(self, action: str = "decode") -> float:
        n, m = self.weight_group if action == "weight_decode" and self.weight_group else (self.n, self.m)
        _, _, g, f, _ = self._step(n, m)
        return self._steps_per_chunk(n, m) * (g * at(GATE_ENERGY_PJ) + f * at(FA_ENERGY_PJ))

    @property
    def area_um2(self) -> float:
        best = 0.0
        for n, m in self.sized_for or ((self.n, self.m),):
            g, f, _, _, _ = self._step(n, m)
            units = min(self.rate, max(1, math.ceil(self._steps_per_chunk(n, m))))
            best = max(best, units * (g * at(GATE_AREA_UM2) + f * at(FA_AREA_UM2)))
        return best


@dataclass(frozen=True)
class CompactionUnit(Component):
    """Online top-N selection and packing of activations, as a selection network (derived).

    ``groups_per_cycle`` bitonic networks on M keys (comparators: ``networks.bitonic_comparators``,
    Batcher, AFIPS 1968), keys ``width`` bits (the magnitude), plus a packing mux of M:1 per
    kept output.  Energy per comparison counted by the simulator; area: the networks'
    compare-exchange elements plus the packing muxes, sized for the widest supported group.
    """

    name = "compaction"
    actions = (Action("groups", "compaction_groups"), Action("comparisons", "compaction_comparisons"))
    flexibility = True
    source = ALADDIN + " (comparator); NanGate FreePDK45 (MUX2_X1)"

    m: int
    n: int
    width: int
    groups_per_cycle: int

    @classmethod
    def count(cls, design) -> int:
        return design.cores if design.sparse_patterns else 0

    @classmethod
    def of(cls, design, run=None):
        widest = _widest(design, design.sparse_patterns)  # activations only: weights are compressed offline
        if widest is None:
            return None
        n, m = _group(design, widest)
        return cls(m, n, _width(design), design.compaction_groups_per_cycle)

    @property
    def comparators_per_group(self) -> int:
        return bitonic_comparators(self.m)

    def energy_pj(self, action: str = "comparisons") -> float:
        return compare_exchange_energy_pj(self.width) if action == "comparisons" else 0.0

    @property
    def area_um2(self) -> float:
        network = self.comparators_per_group * compare_exchange_area_um2(self.width)
        packing = self.n * (self.m - 1) * self.width * at(MUX2_AREA_UM2)
        return self.groups_per_cycle * (network + packing)


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


def _unstructured(design) -> bool:
    """True for a SIGMA-like design: one whose supported patterns include ``unstructured:*``."""
    return any(p.kind == "unstructured" for p in design.selection_patterns)


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


# SIGMA's networks live in networks.py (they import this module's base classes, hence the import here, once
# everything they need is defined); re-exported so ``from accelsim.cost.components import BenesNetwork`` keeps working.
from accelsim.cost.networks import BenesNetwork, ForwardingAdderNetwork  # noqa: E402

# The order is the order of Cost's per-component dicts and of SimResult.actions.
COMPONENTS: tuple[type[Component], ...] = (
    Multiplier, Adder, Selector, Register, MetadataDecoder, MetadataBuffer, ActBuffer, WeightBuffer, CompactionUnit,
    VarianceUnit, MedianUnit, DRAM, ArrayWiring, Leakage, BenesNetwork, ForwardingAdderNetwork,
    __import__("accelsim.cost.hierarchy", fromlist=["SharedLevel"]).SharedLevel,  # issue 9: the shared level (L2)
)  # fmt: skip


def actions_of(counts: Counts, components=None) -> dict[str, dict[str, int]]:
    """component -> action -> count, read from ``counts`` as each component declares (default: COMPONENTS)."""
    return {c.name: {a.name: getattr(counts, a.count) for a in c.actions} for c in (COMPONENTS if components is None else components)}


def offchip_components(components=None) -> tuple[str, ...]:
    """Names of the components outside the chip (DRAM): the report draws them on their own axis."""
    return tuple(c.name for c in (COMPONENTS if components is None else components) if c.off_chip)


def flexibility_components(components=None) -> tuple[str, ...]:
    """Names of the components that are flexibility hardware (what supporting sparse patterns adds)."""
    return tuple(c.name for c in (COMPONENTS if components is None else components) if c.flexibility)
