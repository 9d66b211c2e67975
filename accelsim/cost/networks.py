"""SIGMA's distribution and reduction networks (Qin et al., HPCA 2020), one of each per Flex-DPE.

A design whose patterns include ``unstructured:*`` is SIGMA-like: each array column is one Flex-DPE of N ports
(its ``pe_rows x lanes_per_pe`` multiplier lanes, which reduce into one output, rounded up to a power of two); a
Benes network delivers every operand to its multiplier and a forwarding adder network (FAN) reduces the products.

Layout (derived; it sets the wire, which is most of the Benes network's energy).  The N lanes of a Flex-DPE
talk only through these two networks, so the nominal floorplan is a compact square of lanes with the ports in
recursive (Z-) order: ports whose indices differ in bit ``b`` lie ``2^floor(b / 2)`` lane pitches apart (the
square layout that keeps a butterfly's wires short; Thompson's grid model).  The high end of the range is the
strip the TPU-like grid would give, the Flex-DPE laid along one array column: ports differing in bit ``b`` lie
``2^b`` port pitches apart, column length / N each.  ``at()`` picks the layout with the other constants' corner:
the square nominal and low, the longer of the two high (the strip for the Benes network; for the FAN, whose
short lower levels dominate, the square is the longer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.cost import pe as _pe
from accelsim.cost.base import Action, Component, _unstructured
from accelsim.cost.datapath import ArrayWiring
from accelsim.cost.primitives import (
    ALADDIN,
    CMP_BIT_AREA_UM2,
    CMP_BIT_ENERGY_PJ,
    KECKLER,
    MUX2_AREA_UM2,
    MUX2_ENERGY_PJ,
    NANGATE,
    REG_BIT_AREA_UM2,
    REG_BIT_ENERGY_PJ,
    WIRE_PJ_PER_BIT_MM,
)  # fmt: skip
from accelsim.cost.ranges import Ranged, at

__all__ = ["BenesNetwork", "ForwardingAdderNetwork", "flex_dpe_ports", "bit_distance_pitches"]

SIGMA = "Qin et al., SIGMA, HPCA 2020"


def flex_dpe_ports(design) -> int:
    """Ports N of one Flex-DPE: the multiplier lanes of one array column, rounded up to a power of two."""
    return 1 << max(1, math.ceil(math.log2(design.pe_rows * design.lanes_per_pe)))


def bit_distance_pitches(bit: int, layout: str) -> int:
    """Pitches between two ports whose indices differ in ``bit``: "square" (Z-order) or "strip" (a line)."""
    return 1 << (bit // 2 if layout == "square" else bit)


@dataclass(frozen=True)
class _Layout:
    """The Flex-DPE's geometry: N ports, lane pitch in the square, port pitch in the strip (um, 45 nm)."""

    ports: int
    lane_pitch_um: float
    strip_pitch_um: float

    @classmethod
    def of(cls, design) -> "_Layout":
        pe_um2 = ArrayWiring.of(design).pe_area_um2  # one PE's multipliers, adders and registers
        ports = flex_dpe_ports(design)
        return cls(ports, math.sqrt(pe_um2 / design.lanes_per_pe), design.pe_rows * math.sqrt(pe_um2) / ports)

    def mm(self, pitches_square: float, pitches_strip: float) -> float:
        """A wire length (mm) at the current corner: the square layout nominal and low, the strip high."""
        sq, st = pitches_square * self.lane_pitch_um * 1e-3, pitches_strip * self.strip_pitch_um * 1e-3
        return at(Ranged(sq, sq, max(sq, st), f"{SIGMA}: Flex-DPE floorplan not published; square (Z-order) to strip"))


class _PerFlexDpe(Component):
    """A network SIGMA builds once per Flex-DPE: one per array column of every core of a SIGMA-like design."""

    @classmethod
    def count(cls, design) -> int:
        return design.pe_cols * design.cores if _unstructured(design) else 0


@dataclass(frozen=True)
class BenesNetwork(_PerFlexDpe):
    """SIGMA's distribution network: a Benes network of N ports per Flex-DPE (one per array column).

    Structure (Benes, "Mathematical theory of connecting networks and telephone traffic", 1965; the rearrangeable
    network SIGMA uses): ``2 log2 N - 1`` stages of ``N / 2`` 2x2 switches, the stages linking ports that differ in
    bit 0, 1, ..., n-1, then n-2, ..., 0.  A switch is two ``w``-bit 2:1 multiplexers (one per output, so an input
    can be multicast to both) and two configuration flip-flops (NanGate MUX2_X1 and the flip-flop bit of
    ``primitives``).  It replaces the per-lane selector (SIGMA routes each kept operand straight to its
    multiplier), so :class:`~accelsim.cost.components.Selector` is absent on such a design.  Energy per operand
    (``deliver``: every issued MAC slot receives its streaming operand through the network; ``load_bytes``: the
    stationary operand, once per byte loaded): ``w`` bits through one 2:1 cell per stage, plus the wire: at each
    stage an operand takes the crossing with probability 1/2, so the mean path is half the sum of the stages'
    crossing lengths (module doc for the layout), priced at Keckler's wire energy per bit and mm.
    """

    name = "benes"
    actions = (Action("deliver", "macs_issued"), Action("load_bytes", "wbuf_read_bytes"))
    flexibility = True
    source = (f"{SIGMA} (Benes distribution per Flex-DPE); Benes 1965 (2 log2 N - 1 stages of N/2 2x2 switches); "
              f"{NANGATE} MUX2_X1, DFF_X1; {KECKLER} (wire)")  # fmt: skip

    ports: int
    width: int
    layout: _Layout

    @classmethod
    def of(cls, design, run=None):
        return cls(flex_dpe_ports(design), _pe.width(design), _Layout.of(design)) if _unstructured(design) else None

    @property
    def stages(self) -> int:
        return 2 * int(math.log2(self.ports)) - 1

    @property
    def switches(self) -> int:
        return self.stages * self.ports // 2

    def _stage_bits(self) -> list[int]:
        n = int(math.log2(self.ports))
        return list(range(n)) + list(range(n - 2, -1, -1))

    @property
    def path_mm(self) -> float:
        """Mean wire an operand crosses (mm) at the current corner."""
        bits = self._stage_bits()
        sq = sum(bit_distance_pitches(b, "square") for b in bits) / 2
        st = sum(bit_distance_pitches(b, "strip") for b in bits) / 2
        return self.layout.mm(sq, st)

    def energy_pj(self, action: str = "deliver") -> float:
        per_operand = self.width * (self.stages * at(MUX2_ENERGY_PJ) + self.path_mm * at(WIRE_PJ_PER_BIT_MM))
        return per_operand * 8 / self.width if action == "load_bytes" else per_operand

    @property
    def area_um2(self) -> float:
        return self.switches * (2 * self.width * at(MUX2_AREA_UM2) + 2 * at(REG_BIT_AREA_UM2))


@dataclass(frozen=True)
class ForwardingAdderNetwork(_PerFlexDpe):
    """SIGMA's reduction network, the FAN: per Flex-DPE of N ports an adder tree of N - 1 adders with forwarding
    links, so that clusters of any size and alignment reduce at once; one per array column of a SIGMA-like design.

    The adders themselves are already :class:`~accelsim.cost.components.Adder` (one per lane on every design: the
    TPU-like baseline has as many), so this prices what the FAN adds to them (derived): per adder node, a 2:1
    multiplexer of the 32-bit accumulator word on each of its two inputs (child or forwarding link), a 32-bit
    pipeline register on its output (the tree is pipelined by level), and two equality comparators of the
    ``log2 N``-bit cluster (vecID) tags that decide add or forward (NanGate MUX2_X1, the flip-flop and comparator
    bits of ``primitives``).  Energy per issued MAC slot (``reduce``: N products take N - 1 nodes): ``(N - 1) / N``
    nodes, plus the wire: the ``N / 2^l`` nodes of level ``l`` each receive one child from the ports differing in
    bit ``l - 1`` (module doc for the layout); the forwarding links join neighbouring subtrees and are not priced.
    """

    name = "fan"
    actions = (Action("reduce", "macs_issued"),)
    flexibility = True
    source = (f"{SIGMA} (FAN: N-1 adders with forwarding links per Flex-DPE); {NANGATE} MUX2_X1, DFF_X1; "
              f"{ALADDIN} (comparator, flip-flop); {KECKLER} (wire)")  # fmt: skip

    ports: int
    layout: _Layout

    @classmethod
    def of(cls, design, run=None):
        return cls(flex_dpe_ports(design), _Layout.of(design)) if _unstructured(design) else None

    @property
    def tag_bits(self) -> int:
        return int(math.log2(self.ports))

    def _node(self, reg, mux, cmp) -> float:
        return 2 * _pe.ACC_BITS * at(mux) + _pe.ACC_BITS * at(reg) + 2 * self.tag_bits * at(cmp)

    def energy_pj(self, action: str = "reduce") -> float:
        levels = range(1, self.tag_bits + 1)
        sq = sum(self.ports / 2**lv * bit_distance_pitches(lv - 1, "square") for lv in levels) / self.ports
        st = sum(self.ports / 2**lv * bit_distance_pitches(lv - 1, "strip") for lv in levels) / self.ports
        wire = _pe.ACC_BITS * self.layout.mm(sq, st) * at(WIRE_PJ_PER_BIT_MM)
        return self._node(REG_BIT_ENERGY_PJ, MUX2_ENERGY_PJ, CMP_BIT_ENERGY_PJ) * (self.ports - 1) / self.ports + wire

    @property
    def area_um2(self) -> float:
        return self._node(REG_BIT_AREA_UM2, MUX2_AREA_UM2, CMP_BIT_AREA_UM2) * (self.ports - 1)
