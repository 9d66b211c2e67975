"""The cost components of a design, each declared once: one class per component.

A component class states

* ``name``: the key of ``Cost.energy_by_component_j`` / ``area_by_component_mm2`` and of
  ``SimResult.actions``;
* ``actions``: its actions, each naming the field of ``accelsim.sim.counts.Counts`` it is;
* ``count(design)``: how many instances the design has (0: absent; area is ``count x area_um2``);
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

from accelsim.cost.primitives import (
    CMP_BIT_AREA_UM2,
    CMP_BIT_ENERGY_PJ,
    COUNTER16_AREA_UM2,
    COUNTER16_ENERGY_PJ,
    FA_AREA_UM2,
    FA_ENERGY_PJ,
    GATE_AREA_UM2,
    GATE_ENERGY_PJ,
    MUX2_AREA_UM2,
    MUX2_ENERGY_PJ,
    compare_exchange_area_um2,
    compare_exchange_energy_pj,
)  # fmt: skip
from accelsim.cost.scaling import from_40nm_area, from_40nm_energy
from accelsim.cost.sram import SRAM
from accelsim.patterns import DENSE, Pattern
from accelsim.sim.counts import COUNT_NAMES, Counts
from accelsim.sim.networks import bitonic_comparators

__all__ = [
    "Action", "Component", "COMPONENTS", "actions_of", "flexibility_components", "offchip_components", "Multiplier", "Adder", "Register",
    "SRAM", "ActBuffer", "WeightBuffer", "MetadataBuffer", "Selector", "MetadataDecoder", "CompactionUnit",
    "VarianceUnit", "MedianUnit", "DRAM",
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
    GATED_FRACTION = 0.018 / 0.56
    _TABLE = {"int8": (0.2, 282.0), "fp16": (1.1, 1640.0), "bf16": (1.1 * (8 / 11) ** 2, 1640.0 * (8 / 11) ** 2),
              "fp8": (1.1 * (4 / 11) ** 2, 1640.0 * (4 / 11) ** 2)}  # fmt: skip

    precision: str

    @classmethod
    def count(cls, design) -> int:
        return design.multipliers

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision)

    def energy_pj(self, action: str = "useful") -> float:
        e = self._TABLE[self.precision][0]
        if action == "skipped":
            return 0.0
        return e * self.GATED_FRACTION if action == "gated" else e

    @property
    def area_um2(self) -> float:
        return self._TABLE[self.precision][1]


@dataclass(frozen=True)
class Adder(Component):
    """Accumulator adder: int8 products accumulate in int32 (0.1 pJ, 137 um^2), floating point in
    fp32 (0.9 pJ, 4184 um^2); one accumulate per issued slot (Horowitz)."""

    name = "adder"
    actions = (Action("accumulate", "macs_issued"),)
    source = HOROWITZ

    precision: str

    @classmethod
    def count(cls, design) -> int:
        return design.multipliers

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision)

    def energy_pj(self, action: str = "accumulate") -> float:
        return 0.1 if self.precision == "int8" else 0.9

    @property
    def area_um2(self) -> float:
        return 137.0 if self.precision == "int8" else 4184.0


@dataclass(frozen=True)
class Register(Component):
    """Flip-flop storage of ``bits`` bits: 1-bit register 0.009 pJ per access, 5.98 um^2 (Aladdin 40 nm);
    writes priced as reads.  The array's registers: per lane the stationary weight candidates
    (``ceil(mh / nh)``) and one operand, plus a 32-bit accumulator per PE, plus one ``width``-bit
    register per lane and selector pipeline stage (``Design.selector_pipeline_stages``,
    docs/sparse-core-model.md section 3); a weight write moves 8 bits per byte, an operand read
    ``width`` bits, a selection through a pipelined selector ``width`` bits per stage."""

    name = "register"
    actions = (
        Action("weight_write_bytes", "wbuf_read_bytes"), Action("operand_reads", "macs_issued"),
        Action("pipeline_writes", "selects"),
    )  # fmt: skip
    source = ALADDIN
    E_BIT = from_40nm_energy(0.009)
    A_BIT = from_40nm_area(5.98)

    bits: int = 1
    width: int = 8
    stages: int = 0

    @classmethod
    def count(cls, design) -> int:
        w = _width(design)
        pipeline = design.multipliers * w * design.selector_pipeline_stages
        return design.multipliers * (design.weight_candidates_per_lane * w + w) + design.pe_rows * design.pe_cols * 32 + pipeline

    @classmethod
    def of(cls, design, run=None):
        return cls(1, _width(design), design.selector_pipeline_stages)

    def energy_pj(self, action: str = "read") -> float:
        per_access = self.E_BIT * self.bits
        if action == "weight_write_bytes":
            return per_access * 8
        if action == "pipeline_writes":
            return per_access * self.width * self.stages
        return per_access * self.width if action == "operand_reads" else per_access

    @property
    def area_um2(self) -> float:
        return self.A_BIT * self.bits


@dataclass(frozen=True)
class ActBuffer(SRAM, Component):
    """The activation buffer (an SRAM of ``act_buffer_kib`` in ``buffer_banks`` banks)."""

    name = "act_buffer"
    actions = (Action("read_bytes", "act_read_bytes"), Action("write_bytes", "act_write_bytes"))
    source = SRAM.source

    @classmethod
    def count(cls, design) -> int:
        return 1

    @classmethod
    def of(cls, design, run=None):
        return cls(design.act_buffer_kib, design.buffer_banks)


@dataclass(frozen=True)
class WeightBuffer(SRAM, Component):
    """The weight buffer (an SRAM of ``weight_buffer_kib`` in ``buffer_banks`` banks)."""

    name = "weight_buffer"
    actions = (Action("read_bytes", "wbuf_read_bytes"), Action("write_bytes", "wbuf_write_bytes"))
    source = SRAM.source

    @classmethod
    def count(cls, design) -> int:
        return 1

    @classmethod
    def of(cls, design, run=None):
        return cls(design.weight_buffer_kib, design.buffer_banks)


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
    """Operand selector per multiplier lane: a ``fanin``:1 mux of ``width`` bits built from 2:1 cells.

    An M:1 mux is (M-1) x width 2:1 cells and log2(M) levels (derived); a 2:1 cell is ~1.9 um^2
    (NanGate 45 nm).  Hierarchical (two stages of fanin/2 inputs) needs fanin-2 cells.  Energy
    per selection: the ceil(log2 fanin) cells on the path per bit.  Check: 8:16 naive int8 =
    120 cells ~ 225 um^2 = 80 % of an int8 multiplier.  One per multiplier on a sparse design.
    """

    name = "selector"
    actions = (Action("select", "selects"),)
    flexibility = True
    source = "NanGate FreePDK45 Open Cell Library (MUX2_X1); Aladdin 40 nm gate energy (Accelergy library)"

    kind: str
    fanin: int
    width: int

    @classmethod
    def count(cls, design) -> int:
        return design.multipliers if design.selection_patterns else 0

    @classmethod
    def of(cls, design, run=None):
        return cls(design.selector, design.mux_fanin, _width(design))

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
        return max((column // design.lane_mapping(p)[0] for p in design.selection_patterns), default=0)

    @classmethod
    def of(cls, design, run=None):
        p = run if run is not None and run.kind != "dense" else (_widest(design) or DENSE)
        n, m = _group(design, p)
        fmt = design.metadata_format if p.kind == "nm" else "bitmask"
        sized = tuple(_group(design, q) for q in design.selection_patterns if q.kind == p.kind)
        wt = _widest(design, design.weight_patterns)
        return cls(fmt, n, m, design.lane_mapping(p)[1], design.resolved_decode_groups_per_cycle, sized,
                   (wt.n, wt.m) if wt is not None else ())  # fmt: skip

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
        return self._steps_per_chunk(n, m) * (g * GATE_ENERGY_PJ + f * FA_ENERGY_PJ)

    @property
    def area_um2(self) -> float:
        best = 0.0
        for n, m in self.sized_for or ((self.n, self.m),):
            g, f, _, _, _ = self._step(n, m)
            units = min(self.rate, max(1, math.ceil(self._steps_per_chunk(n, m))))
            best = max(best, units * (g * GATE_AREA_UM2 + f * FA_AREA_UM2))
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
        return 1 if design.sparse_patterns else 0

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
        packing = self.n * (self.m - 1) * self.width * MUX2_AREA_UM2
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
        return int("var" in design.mitigation_units)

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision, design.pe_rows)

    def energy_pj(self, action: str = "ops") -> float:
        return Multiplier(self.precision).energy_pj() + Adder("fp32").energy_pj()

    @property
    def area_um2(self) -> float:
        return self.lanes * (Multiplier(self.precision).area_um2 + Adder("fp32").area_um2) + 4 * 7700.0


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
        return int("median" in design.mitigation_units)

    @classmethod
    def of(cls, design, run=None):
        return cls(design.precision, design.pe_rows, design.pe_cols, _width(design))

    def energy_pj(self, action: str = "compares") -> float:
        if action == "epilogue_macs":
            return Multiplier(self.precision).energy_pj() + Adder("fp32").energy_pj()
        return self.width * CMP_BIT_ENERGY_PJ + COUNTER16_ENERGY_PJ

    @property
    def area_um2(self) -> float:
        comparators = self.lanes * self.width * CMP_BIT_AREA_UM2
        counters = 256 * COUNTER16_AREA_UM2
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

    pj_per_bit: float = 1300.0 / 64

    @classmethod
    def count(cls, design) -> int:
        return 0

    @classmethod
    def of(cls, design, run=None):
        return cls()

    def energy_pj(self, action: str = "read_bytes") -> float:
        return 8 * self.pj_per_bit

    @property
    def area_um2(self) -> float:
        return 0.0


# The order is the order of Cost's per-component dicts and of SimResult.actions.
COMPONENTS: tuple[type[Component], ...] = (
    Multiplier, Adder, Selector, Register, MetadataDecoder, MetadataBuffer, ActBuffer, WeightBuffer, CompactionUnit,
    VarianceUnit, MedianUnit, DRAM,
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
