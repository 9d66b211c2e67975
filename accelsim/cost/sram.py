"""On-chip SRAM at the 45 nm reference: energy per access and area by capacity, width and banking.

The buffer components of ``accelsim.cost.components`` (activation, weight and metadata buffers) and the
shared level are SRAMs; this module holds the one model they share.  Its numbers are read from a published
CACTI table (``CACTI_40NM`` below) and moved to 45 nm with the project's 40 -> 45 nm step
(``scaling.from_40nm_*``); ``price`` scales them on to the design's node like every other component.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.cost.ranges import Ranged, at
from accelsim.cost.scaling import from_40nm_area, from_40nm_energy

__all__ = ["SRAM", "CACTI_40NM", "CACTI_SOURCE"]

CACTI_SOURCE = (
    "CACTI 7.0 (Uniform Cache Access SRAM model, 'Scratch RAM', 2 read-write ports, 40 nm) outputs published in "
    "github.com/Accelergy-Project/accelergy-cacti-plug-in (MIT licence), file cacti/out.csv at commit 3931c6ac882b"
)
# The distinct rows of that file, read from it (columns: Capacity (bytes), Number of banks, Output width (bits),
# Dynamic read energy (nJ), Dynamic write energy (nJ), Area (mm2)); the file repeats some rows, kept once here.
CACTI_40NM = (
    (448, 1, 16, 0.000499718, 0.000761365, 0.00260362),
    (8192, 1, 64, 0.00525859, 0.00643241, 0.0426968),
    (102400, 1, 64, 0.0320811, 0.0220674, 0.506807),
    (8192, 2, 64, 0.00624361, 0.00679043, 0.0607978),
    (102400, 16, 64, 0.0345406, 0.0354401, 0.657405),
    (102400, 32, 64, 0.0369077, 0.0373174, 0.774168),
)
# Above the table's largest SRAM (100 KB) energy per bit grows with Horowitz's slope between his 32 KB (20 pJ) and
# 1 MB (100 pJ) points (ISSCC 2014, 45 nm): a second source for what the table does not cover, not a fit.
HOROWITZ_SLOPE = math.log(100.0 / 20.0) / math.log(1024.0 / 32.0)


def _single_bank():
    """(bytes, read pJ/bit, write pJ/bit, um^2/bit) of the one-bank rows at 45 nm, by capacity."""
    rows = sorted(r for r in CACTI_40NM if r[1] == 1)
    return [(c, from_40nm_energy(rd * 1e3) / w, from_40nm_energy(wr * 1e3) / w, from_40nm_area(a * 1e6) / (8 * c))
            for c, _, w, rd, wr, a in rows]  # fmt: skip


def _bank_rows():
    """capacity -> [(banks, read, write, area factor over one bank of the same capacity)], from the banked rows."""
    one = {r[0]: r for r in CACTI_40NM if r[1] == 1}
    out: dict[int, list] = {}
    for c, b, _, rd, wr, a in sorted(CACTI_40NM):
        _, _, _, rd1, wr1, a1 = one[c]
        out.setdefault(c, []).append((b, rd / rd1, wr / wr1, a / a1))
    return out


_SINGLE, _BANKED = _single_bank(), _bank_rows()


def _interp(x: float, xs: list[float], ys: list[float], extrapolate: bool) -> float:
    """Piecewise linear in x; outside the points: the end segment's slope (extrapolate) or the end value."""
    if len(xs) == 1:
        return ys[0]
    i = max(1, min(len(xs) - 1, next((k for k, v in enumerate(xs) if v >= x), len(xs) - 1)))
    if not extrapolate and not xs[0] <= x <= xs[-1]:
        return ys[0] if x < xs[0] else ys[-1]
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1])


def _per_bit(nbytes: float, col: int) -> float:
    """One-bank read (col 1) or write (col 2) energy per bit at 45 nm: log-log between the table's capacities; flat
    below the smallest (periphery-dominated); Horowitz's slope above the largest."""
    xs = [math.log(r[0]) for r in _SINGLE]
    ys = [math.log(r[col]) for r in _SINGLE]
    x = math.log(max(nbytes, _SINGLE[0][0]))
    if x > xs[-1]:
        return math.exp(ys[-1] + HOROWITZ_SLOPE * (x - xs[-1]))
    return math.exp(_interp(x, xs, ys, False))


def _bank_factor(nbytes: float, banks: int, col: int) -> float:
    """Energy (col 1 read, 2 write) or area (col 3) of ``banks`` banks over one bank of the same capacity: in each
    table capacity linear in log2(banks) through its banked rows (the last slope beyond them), then linear in
    log(capacity) between the table's banked capacities (clamped outside)."""
    caps = sorted(c for c, rows in _BANKED.items() if len(rows) > 1)
    per_cap = []
    for c in caps:
        rows = _BANKED[c]
        per_cap.append(_interp(math.log2(banks), [math.log2(r[0]) for r in rows], [r[col] for r in rows], True))
    return _interp(math.log(nbytes), [math.log(c) for c in caps], per_cap, False)


@dataclass(frozen=True)
class SRAM:
    """On-chip SRAM of ``kib`` KiB in ``banks`` banks, accessed ``width_bits`` at a time.

    Energy per access: the one-bank CACTI energy at the SRAM's capacity, per bit of the table row's width, times the
    access width, times the table's banking factor (a banked SRAM pays for its banks' periphery and the H-tree that
    reaches them: CACTI's 100 KB costs 1.08x per access in 16 banks, 1.15x in 32, and 1.30x / 1.53x the area).  Width
    enters per bit: the table cannot separate a width effect on energy per bit from capacity (its one 16-bit row is
    also its one 448 B row).  Area: per bit by capacity (linear in log capacity, clamped), times the banking factor.

    Ranges.  Energy: low x0.645 (Sparseloop's 256 KB shared memory, 36 pJ per 64-bit read at 45 nm, against this model
    at 256 KB); high x1.69 (Horowitz's 8 KB, 10 pJ per 64 bits, against the table's 8 KB).  Area: low x0.75 (one
    source per point); high x1.52 (Sparseloop's 2 KB register file in 128 B banks, 1.40 um^2/bit, against the table's
    smallest SRAM); the table's SRAMs have two read-write ports, the buffers' port count is not modelled.
    """

    source = CACTI_SOURCE + "; Horowitz ISSCC 2014 (slope above 100 KB; energy range); Sparseloop artifact (ranges)"

    kib: float
    banks: int = 1
    width_bits: int = 64
    E_FACTOR = Ranged(1.0, 0.645, 1.69, "Sparseloop 256 KB SMEM / Horowitz 8 KB against the CACTI table")
    A_FACTOR = Ranged(1.0, 0.75, 1.52, "x0.75 rule; Sparseloop 128 B-bank RF against the table's 448 B")

    @property
    def bank_kib(self) -> float:
        return self.kib / self.banks

    def energy_pj_per_bit(self, write: bool = False) -> float:
        col = 2 if write else 1
        nbytes = self.kib * 1024
        return at(self.E_FACTOR) * _per_bit(nbytes, col) * _bank_factor(nbytes, self.banks, col)

    def energy_pj_per_access(self, write: bool = False) -> float:
        return self.energy_pj_per_bit(write) * self.width_bits

    def energy_pj(self, action: str = "read_bytes") -> float:
        """Per byte for *_bytes actions, per bit for *_bits actions; actions naming "write" are writes."""
        per_bit = self.energy_pj_per_bit("write" in action)
        return per_bit if action.endswith("_bits") else 8 * per_bit

    @property
    def area_um2(self) -> float:
        nbytes = self.kib * 1024
        xs = [math.log(r[0]) for r in _SINGLE]
        per_bit = _interp(math.log(nbytes), xs, [r[3] for r in _SINGLE], False)
        return at(self.A_FACTOR) * per_bit * nbytes * 8 * _bank_factor(nbytes, self.banks, 3)
