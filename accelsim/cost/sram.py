"""On-chip SRAM at the 45 nm reference: energy per access and area by capacity and banking.

The buffer components of ``accelsim.cost.components`` (activation, weight and metadata
buffers) are SRAMs; this module holds the one model they share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.cost.ranges import Ranged, at

__all__ = ["SRAM"]


@dataclass(frozen=True)
class SRAM:
    """On-chip SRAM of ``kib`` KiB in ``banks`` banks; priced per bank size (banking buys cheaper accesses).

    Energy per 64-bit read (Horowitz, ISSCC 2014, 45 nm): 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ;
    interpolated log-log between those points, extrapolated above 1 MB with the end slope and
    held flat below 8 KB; writes as reads (Sparseloop's register file: 1.66 pJ read vs 1.68 pJ
    write).  Area per bit incl. periphery, Sparseloop's STC area table (45 nm): register file
    2048 x 8 bit in 16 banks 0.023 mm^2 (1.40 um^2/bit, 128 B banks); shared memory 256 KB +
    64 KB metadata 2.60 mm^2 (0.99 um^2/bit); log-linear in bank size between them, clamped outside.

    Ranges: energy low end x0.68, Sparseloop's 256 KB shared memory (36 pJ per 64 bits) against this
    interpolation at 256 KB (53 pJ); high end x1.5 (one source per point); area x0.75 to x1.5 (one source per point).
    """

    source = (
        'M. Horowitz, "Computing\'s energy problem", ISSCC 2014 (energy); Sparseloop (Wu et al., MICRO 2022, '
        "arXiv 2205.05826) artifact github.com/Accelergy-Project/micro22-sparseloop-artifact (area, write/read ratio)"
    )

    kib: float
    banks: int = 1
    _E = ((8.0, 10.0), (32.0, 20.0), (1024.0, 100.0))  # (KB, pJ per 64-bit access)
    _A = ((0.125, 1.40), (320.0, 0.99))  # (bank KB, um^2 per bit)
    E_FACTOR = Ranged(1.0, 36.0 / 53.0, 1.5, "Sparseloop 256 KB SMEM vs Horowitz; x1.5 rule")
    A_FACTOR = Ranged(1.0, 0.75, 1.5, "x0.75-1.5 rule (one source per point)")

    @property
    def bank_kib(self) -> float:
        return self.kib / self.banks

    def energy_pj_per_bit(self) -> float:
        # Below 8 KB the per-bit energy is held at the 8 KB value: small arrays are dominated by
        # periphery (Sparseloop's 2 KB RF costs 1.66 pJ per 8-bit read, more per bit than 8 KB).
        x = math.log(max(self.bank_kib, self._E[0][0]))
        pts = [(math.log(s), math.log(e)) for s, e in self._E]
        (x0, y0), (x1, y1) = (pts[0], pts[1]) if x <= pts[1][0] else (pts[1], pts[2])
        return at(self.E_FACTOR) * math.exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0)) / 64.0

    def energy_pj(self, action: str = "read_bytes") -> float:
        """Per byte for *_bytes actions, per bit for *_bits actions."""
        per_bit = self.energy_pj_per_bit()
        return per_bit if action.endswith("_bits") else 8 * per_bit

    @property
    def area_um2(self) -> float:
        (s0, a0), (s1, a1) = self._A
        x = min(max(math.log(self.bank_kib), math.log(s0)), math.log(s1))
        per_bit = a0 + (a1 - a0) * (x - math.log(s0)) / (math.log(s1) - math.log(s0))
        return at(self.A_FACTOR) * per_bit * self.kib * 1024 * 8
