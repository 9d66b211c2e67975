"""Logic primitives at the 45 nm reference, shared by the components (energy in pJ, area in um^2).

Every constant is a :class:`~accelsim.cost.ranges.Ranged` (nominal, low, high); components read
it with ``at(...)`` at the corner being priced.  Sources:

* Aladdin's 40 nm characterisation as shipped in Accelergy's component library
  (github.com/Accelergy-Project/accelergy-library-plug-in, ``library/aladdin``; Shao et al.,
  "Aladdin", ISCA 2014): 32-bit bitwise op 0.018 pJ, 50.4 um^2; 32-bit adder 0.21 pJ, 278 um^2;
  32-bit comparator 0.029 pJ, 71 um^2; 32-bit counter 0.25 pJ, 496 um^2; 1-bit register
  0.009 pJ per access, 5.98 um^2.  Moved to 45 nm by ``scaling.from_40nm_*``.
* NanGate FreePDK45 Open Cell Library (typical corner, 1.1 V, 25 C): MUX2_X1 1.862 um^2,
  DFF_X1 4.522 um^2, INV_X1 0.532 um^2 with 14.35 nW leakage (10.10 nW input low, 18.60 nW input high).
* M. Horowitz, ISSCC 2014 (45 nm): 32-bit integer add 0.1 pJ, 137 um^2 (the same adder is 0.24 pJ in
  Aladdin at 45 nm: the logic-energy ranges below span these two sources).
* S. W. Keckler et al., "GPUs and the future of parallel computing", IEEE Micro 31(5), 2011 (40 nm):
  on-chip wire 256 bits over 1 mm 26 pJ (0.10 pJ/bit/mm) and 256 bits over 20 mm 1 nJ (0.20 pJ/bit/mm).

Range rules: a logic energy from Aladdin spans [x Horowitz/Aladdin = 0.42, x1]; an area from
Aladdin spans [the NanGate cell, Aladdin]; a constant with one source and no stated spread
spans x0.75 to x1.5 (noted where used).
"""

from __future__ import annotations

from accelsim.cost.ranges import Ranged, at
from accelsim.cost.scaling import from_40nm_area, from_40nm_energy

__all__ = [
    "GATE_ENERGY_PJ", "GATE_AREA_UM2", "MUX2_AREA_UM2", "MUX2_ENERGY_PJ", "FA_ENERGY_PJ", "FA_AREA_UM2",
    "CMP_BIT_ENERGY_PJ", "CMP_BIT_AREA_UM2", "COUNTER16_ENERGY_PJ", "COUNTER16_AREA_UM2", "compare_exchange_energy_pj",
    "compare_exchange_area_um2", "REG_BIT_ENERGY_PJ", "REG_BIT_AREA_UM2", "WIRE_PJ_PER_BIT_MM", "LEAKAGE_W_PER_MM2_45NM",
    "ALADDIN", "NANGATE", "KECKLER", "LOGIC_E_LOW",
]  # fmt: skip

ALADDIN = "Aladdin 40 nm characterisation in Accelergy's library, github.com/Accelergy-Project/accelergy-library-plug-in"
NANGATE = "NanGate FreePDK45 Open Cell Library, typical corner (NangateOpenCellLibrary_typical.lib)"
KECKLER = 'S. W. Keckler et al., "GPUs and the future of parallel computing", IEEE Micro 31(5), 2011'
# Horowitz 32-bit add 0.1 pJ vs Aladdin's 0.21 pJ x 45/40: the two sources of logic energy disagree by this factor.
LOGIC_E_LOW = 0.1 / from_40nm_energy(0.21)


def _aladdin_e(v40: float) -> Ranged:
    v = from_40nm_energy(v40)
    return Ranged(v, v * LOGIC_E_LOW, v, f"{ALADDIN}; low end: Horowitz ISSCC 2014")


# Aladdin 40 nm: 32-bit bitwise op 0.018 pJ, 50.4 um^2 -> per 2-input gate-bit 0.63 fJ, 1.99 um^2 at 45 nm;
# low end of the area: NanGate NAND2_X1 0.798 um^2.
GATE_ENERGY_PJ = _aladdin_e(0.018 / 32)
GATE_AREA_UM2 = Ranged(from_40nm_area(50.4 / 32), 0.798, from_40nm_area(50.4 / 32), f"{ALADDIN}; {NANGATE} NAND2_X1")
# NanGate 45 nm MUX2_X1 1.862 um^2 (nominal 1.9); high end two Aladdin gate-bits; switching about two gate-equivalents per select.
MUX2_AREA_UM2 = Ranged(1.9, 1.862, 2 * from_40nm_area(50.4 / 32), f"{NANGATE} MUX2_X1; {ALADDIN}")
MUX2_ENERGY_PJ = GATE_ENERGY_PJ.scaled(2)
# Aladdin 40 nm 32-bit adder 0.21 pJ, 278 um^2 -> per full-adder bit; area low end Horowitz 137/32 um^2 per bit.
FA_ENERGY_PJ = _aladdin_e(0.21 / 32)
FA_AREA_UM2 = Ranged(from_40nm_area(278 / 32), 137 / 32, from_40nm_area(278 / 32), f"{ALADDIN}; Horowitz ISSCC 2014")
# Aladdin 40 nm 32-bit comparator 0.029 pJ, 71 um^2 (area: one source, x0.75 to x1.5).
CMP_BIT_ENERGY_PJ = _aladdin_e(0.029 / 32)
_cmp_a = from_40nm_area(71 / 32)
CMP_BIT_AREA_UM2 = Ranged(_cmp_a, 0.75 * _cmp_a, 1.5 * _cmp_a, ALADDIN)
# Aladdin 40 nm 32-bit counter 0.25 pJ, 496 um^2, halved for a 16-bit counter (area: one source, x0.75 to x1.5).
COUNTER16_ENERGY_PJ = _aladdin_e(0.25 / 2)
_cnt_a = from_40nm_area(496 / 2)
COUNTER16_AREA_UM2 = Ranged(_cnt_a, 0.75 * _cnt_a, 1.5 * _cnt_a, ALADDIN)
# Flip-flop bit: Aladdin 1-bit register 0.009 pJ per access (Sparseloop's 8-bit PE register 0.072 pJ agrees;
# one value, x0.75 to x1.5), 5.98 um^2 at 40 nm; area low end NanGate DFF_X1 4.522 um^2.
_reg_e = from_40nm_energy(0.009)
REG_BIT_ENERGY_PJ = Ranged(_reg_e, 0.75 * _reg_e, 1.5 * _reg_e, ALADDIN)
REG_BIT_AREA_UM2 = Ranged(from_40nm_area(5.98), 4.522, from_40nm_area(5.98), f"{ALADDIN}; {NANGATE} DFF_X1")
# On-chip wire energy per bit and mm, Keckler 2011 at 40 nm: 0.10 (1 mm, 26 pJ / 256 b) to 0.20 pJ (20 mm, 1 nJ / 256 b);
# nominal the mean; moved to 45 nm like Aladdin's energies (x45/40).
WIRE_PJ_PER_BIT_MM = Ranged(from_40nm_energy(0.15), from_40nm_energy(26 / 256), from_40nm_energy(1000 / 256 / 20), KECKLER)
# Static power density of standard-cell logic at 45 nm: NanGate INV_X1 leakage per area, 14.35 nW / 0.532 um^2 = 27 mW/mm^2
# (input low 10.10 nW: 19 mW/mm^2; input high 18.60 nW: 35 mW/mm^2).
LEAKAGE_W_PER_MM2_45NM = Ranged(14.35e-9 / 0.532e-6, 10.10e-9 / 0.532e-6, 18.60e-9 / 0.532e-6, f"{NANGATE} INV_X1")


def compare_exchange_energy_pj(width: int) -> float:
    """One compare-exchange of ``width``-bit keys: comparator + two 2:1 muxes per bit."""
    return width * (at(CMP_BIT_ENERGY_PJ) + 2 * at(MUX2_ENERGY_PJ))


def compare_exchange_area_um2(width: int) -> float:
    return width * (at(CMP_BIT_AREA_UM2) + 2 * at(MUX2_AREA_UM2))
