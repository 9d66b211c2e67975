"""The flexibility hardware of an N:M core, from its gates: operand selector, metadata decoder, compaction unit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.cost.base import ALADDIN, Action, Component, _unstructured, _width
from accelsim.cost.primitives import (
    FA_AREA_UM2,
    FA_ENERGY_PJ,
    GATE_AREA_UM2,
    GATE_ENERGY_PJ,
    MUX2_AREA_UM2,
    MUX2_ENERGY_PJ,
    NANGATE,
    REG_BIT_AREA_UM2,
    REG_BIT_ENERGY_PJ,
    compare_exchange_area_um2,
    compare_exchange_energy_pj,
)  # fmt: skip
from accelsim.cost.ranges import at
from accelsim.patterns import DENSE, Pattern
from accelsim.sim.networks import bitonic_comparators

__all__ = ["Selector", "MetadataDecoder", "CompactionUnit"]

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
