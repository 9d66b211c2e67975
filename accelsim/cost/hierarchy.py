"""Cost components of the memory hierarchy (issue 9): the shared on-chip level (an L2) between DRAM and the
cores' buffers (``Design.l2_kib``; ``accelsim.sim.hierarchy`` counts its traffic).

The level is priced as independent 1 MiB slices, each an ``accelsim.cost.sram.SRAM`` of one bank: a large
L2 is split into slices near the cores that use them (NVIDIA's A100 and H100 L2s are split into many slices),
and an access goes to one slice, so it pays one slice's energy (about 100 pJ per 64-bit access at 45 nm, the
1 MB point of M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, which the
SRAM model reproduces within 7 %), not that of one monolithic 50 MiB array.  The wires from a slice to a far
core are not included (a lower bound).  Area: slices x one slice's area.  A design without a shared level has
none (count 0).

This module is imported by ``accelsim.cost.components`` (one entry of ``COMPONENTS``) after its base
classes are defined.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.cost.components import Action, Component
from accelsim.cost.sram import SRAM

__all__ = ["SharedLevel", "SLICE_KIB"]

SLICE_KIB = 1024  # the slice an access goes to (Horowitz's 1 MB SRAM point)


@dataclass(frozen=True)
class SharedLevel(Component):
    """The shared on-chip level (L2) of ``l2_kib`` KiB in 1 MiB slices; reads into the cores, writes of outputs and fills."""

    name = "l2"
    actions = (Action("read_bytes", "l2_read_bytes"), Action("write_bytes", "l2_write_bytes"))
    source = SRAM.source + "; independent 1 MiB slices (Horowitz's largest SRAM point)"

    kib: float
    slices: int = 1

    @property
    def slice(self) -> SRAM:
        return SRAM(SLICE_KIB, 1)

    def energy_pj(self, action: str = "read_bytes") -> float:
        """One slice's energy per byte: an access reaches one slice."""
        return self.slice.energy_pj(action)

    @property
    def area_um2(self) -> float:
        return self.slices * self.slice.area_um2

    @classmethod
    def count(cls, design) -> int:
        return 1 if getattr(design, "l2_kib", 0) else 0

    @classmethod
    def of(cls, design, run=None):
        kib = getattr(design, "l2_kib", 0)
        return cls(kib, max(1, kib // SLICE_KIB)) if kib else None
