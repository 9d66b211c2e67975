"""Logic primitives at the 45 nm reference, shared by the components (energy in pJ, area in um^2).

Sources:

* Aladdin's 40 nm characterisation as shipped in Accelergy's component library
  (github.com/Accelergy-Project/accelergy-library-plug-in, ``library/aladdin``; Shao et al.,
  "Aladdin", ISCA 2014): 32-bit bitwise op 0.018 pJ, 50.4 um^2; 32-bit adder 0.21 pJ, 278 um^2;
  32-bit comparator 0.029 pJ, 71 um^2; 32-bit counter 0.25 pJ, 496 um^2; 1-bit register
  0.009 pJ per access, 5.98 um^2.  Moved to 45 nm by ``scaling.from_40nm_*``.
* NanGate FreePDK45 Open Cell Library: MUX2_X1 about 1.9 um^2.
"""

from __future__ import annotations

from accelsim.cost.scaling import from_40nm_area, from_40nm_energy

__all__ = [
    "GATE_ENERGY_PJ", "GATE_AREA_UM2", "MUX2_AREA_UM2", "MUX2_ENERGY_PJ", "FA_ENERGY_PJ", "FA_AREA_UM2",
    "CMP_BIT_ENERGY_PJ", "CMP_BIT_AREA_UM2", "COUNTER16_ENERGY_PJ", "COUNTER16_AREA_UM2", "compare_exchange_energy_pj",
    "compare_exchange_area_um2",
]  # fmt: skip

# Aladdin 40 nm: 32-bit bitwise op 0.018 pJ, 50.4 um^2 -> per 2-input gate-bit 0.56 fJ, 1.58 um^2.
GATE_ENERGY_PJ = from_40nm_energy(0.018 / 32)
GATE_AREA_UM2 = from_40nm_area(50.4 / 32)
# NanGate 45 nm MUX2_X1 ~1.9 um^2 (about two gate-equivalents of switching per select).
MUX2_AREA_UM2 = 1.9
MUX2_ENERGY_PJ = 2 * GATE_ENERGY_PJ
# Aladdin 40 nm 32-bit adder 0.21 pJ, 278 um^2 -> per full-adder bit 6.6 fJ, 8.7 um^2.
FA_ENERGY_PJ = from_40nm_energy(0.21 / 32)
FA_AREA_UM2 = from_40nm_area(278 / 32)
# Aladdin 40 nm 32-bit comparator 0.029 pJ, 71 um^2.
CMP_BIT_ENERGY_PJ = from_40nm_energy(0.029 / 32)
CMP_BIT_AREA_UM2 = from_40nm_area(71 / 32)
# Aladdin 40 nm 32-bit counter 0.25 pJ, 496 um^2, halved for a 16-bit counter.
COUNTER16_ENERGY_PJ = from_40nm_energy(0.25 / 2)
COUNTER16_AREA_UM2 = from_40nm_area(496 / 2)


def compare_exchange_energy_pj(width: int) -> float:
    """One compare-exchange of ``width``-bit keys: comparator + two 2:1 muxes per bit."""
    return width * (CMP_BIT_ENERGY_PJ + 2 * MUX2_ENERGY_PJ)


def compare_exchange_area_um2(width: int) -> float:
    return width * (CMP_BIT_AREA_UM2 + 2 * MUX2_AREA_UM2)
