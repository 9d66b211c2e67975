"""The SRAM model against its published CACTI table (golden: the table's own numbers, typed here from the file)."""

import math

import pytest

from accelsim.cost.ranges import corner
from accelsim.cost.sram import SRAM

# github.com/Accelergy-Project/accelergy-cacti-plug-in, cacti/out.csv (commit 3931c6ac882b), CACTI 7.0, 40 nm:
# capacity (bytes), banks, output width (bits), dynamic read energy (nJ), dynamic write energy (nJ), area (mm^2).
TABLE = [
    (448, 1, 16, 0.000499718, 0.000761365, 0.00260362),
    (8192, 1, 64, 0.00525859, 0.00643241, 0.0426968),
    (102400, 1, 64, 0.0320811, 0.0220674, 0.506807),
    (8192, 2, 64, 0.00624361, 0.00679043, 0.0607978),
    (102400, 16, 64, 0.0345406, 0.0354401, 0.657405),
    (102400, 32, 64, 0.0369077, 0.0373174, 0.774168),
]
E40, A40 = 45 / 40, (45 / 40) ** 2  # the project's classical 40 -> 45 nm step (scaling.from_40nm_*)


@pytest.mark.parametrize("nbytes, banks, width, read_nj, write_nj, area_mm2", TABLE)
def test_sram_reproduces_every_table_row(nbytes, banks, width, read_nj, write_nj, area_mm2):
    s = SRAM(nbytes / 1024, banks, width)
    assert s.energy_pj_per_access() == pytest.approx(read_nj * 1e3 * E40, rel=1e-9)
    assert s.energy_pj_per_access(write=True) == pytest.approx(write_nj * 1e3 * E40, rel=1e-9)
    assert s.area_um2 * 1e-6 == pytest.approx(area_mm2 * A40, rel=1e-9)


def test_sram_monotone_in_capacity_width_and_banks():
    kib = [0.25, 1, 4, 8, 32, 100, 256, 1024, 8192]
    e = [SRAM(k).energy_pj_per_bit() for k in kib]
    a = [SRAM(k).area_um2 for k in kib]
    assert e == sorted(e) and len(set(e[1:])) == len(e) - 1  # flat only below the table's smallest (448 B)
    assert a == sorted(a) and len(set(a)) == len(a)
    w = [SRAM(64, 1, width).energy_pj_per_access() for width in (8, 16, 32, 64, 128, 256)]
    assert w == sorted(w) and len(set(w)) == len(w)
    for k in (8, 100, 128):
        eb = [SRAM(k, b).energy_pj_per_bit() for b in (1, 2, 4, 16, 32, 64)]
        ab = [SRAM(k, b).area_um2 for b in (1, 2, 4, 16, 32, 64)]
        assert eb == sorted(eb) and ab == sorted(ab)


def test_sram_meets_horowitz_where_the_table_ends():
    # Above 100 KB the model takes Horowitz's 32 KB -> 1 MB slope; his 1 MB point (100 pJ per 64 bits, 45 nm) is then
    # an independent check: within 10 %.  His 32 KB (20 pJ) lies inside the energy range.
    assert SRAM(1024).energy_pj_per_access() == pytest.approx(100.0, rel=0.10)
    with corner("low"):
        lo = SRAM(32).energy_pj_per_access()
    with corner("high"):
        hi = SRAM(32).energy_pj_per_access()
    assert lo < 20.0 < hi


def test_sram_ranges_are_the_stated_source_ratios():
    # Energy: Sparseloop's 256 KB shared memory 36 pJ / 64 bits (low), Horowitz 8 KB 10 pJ / 64 bits (high).
    assert SRAM.E_FACTOR.low == pytest.approx(36 / SRAM(256).energy_pj_per_access(), abs=0.005)
    assert SRAM.E_FACTOR.high == pytest.approx(10 / SRAM(8).energy_pj_per_access(), abs=0.005)
    # Area: Sparseloop's register file, 2048 x 8 bit in 16 banks of 128 B = 0.023 mm^2 (1.40 um^2/bit).
    assert SRAM.A_FACTOR.high == pytest.approx(1.40 / (SRAM(0.125).area_um2 / 1024), abs=0.005)
    assert math.isclose(SRAM(8, 1, 64).energy_pj("read_bytes"), 8 * SRAM(8).energy_pj("read_bits"))
    assert SRAM(100).energy_pj("write_bytes") != SRAM(100).energy_pj("read_bytes")
