"""The memory hierarchy (accelsim/sim/hierarchy.py, issue 9): off by default, twin-exact, and its rules."""

import pytest

from accelsim import synthetic_trace
from accelsim.cost import price
from accelsim.sim import simulate
from accelsim.sim.presets import presets


def test_defaults_are_not_hierarchical():
    assert not presets["dense"].hierarchical and not presets["h100-sm-2:4"].hierarchical
    assert presets["h200"].hierarchical and presets["h200-2:4"].cores == 132


def test_validation():
    with pytest.raises(ValueError, match="shared level needs both"):
        presets["dense"].replace(l2_kib=1024)
    with pytest.raises(ValueError, match="bw_efficiency"):
        presets["dense"].replace(bw_efficiency=0)


@pytest.mark.numba
@pytest.mark.parametrize("name", ["h200", "h200-2:4"])
@pytest.mark.parametrize("mode", ["prefill", "decode"])
def test_twin_exact(name, mode):
    d = presets[name].replace(cores=4, l2_kib=64, l2_bw_bytes_per_cycle=64)
    tr = synthetic_trace(shapes=[(40, 256, 96)], pattern="2:4" if "2:4" in name else "dense", seed=3)
    a, b = simulate(d, tr, mode=mode), simulate(d, tr, mode=mode, engine="reference")
    assert a.cycles_by_cause == b.cycles_by_cause and a.counts == b.counts


def test_launch_and_l2_counts_priced():
    d = presets["dense"].replace(launch_overhead_us=2.0, l2_kib=1024, l2_bw_bytes_per_cycle=64, cores=2)
    tr = synthetic_trace(shapes=[(64, 256, 128)], pattern="dense", seed=1)
    r = simulate(d, tr)
    assert r.cycles_by_cause["launch"] == 2000
    assert r.counts.l2_read_bytes > 0 and r.counts.l2_write_bytes > 0
    assert price(r, d).energy_by_component_j["l2"] > 0


def test_cores_split_waves():
    tr = synthetic_trace(shapes=[(64, 256, 128)], pattern="dense", seed=1)  # 8 O-tiles of 16
    one = simulate(presets["dense"].replace(launch_overhead_us=0.0, cores=1, bw_efficiency=0.999), tr)
    eight = simulate(presets["dense"].replace(cores=8), tr)
    onchip = lambda r: r.cycles - r.cycles_by_cause["dram"] - r.cycles_by_cause["l2_bw"]  # noqa: E731
    assert onchip(eight) * 8 == pytest.approx(onchip(one), rel=0.01)


def test_area_of_a_multi_core_design_is_cores_times_the_core():
    """cost.components: every per-core component counts Design.cores times; the shared level and DRAM once."""
    tr = synthetic_trace([(16, 256, 64)], pattern="2:4", seed=0)
    one = presets["h200-2:4"].replace(cores=1)
    many = presets["h200-2:4"]
    a, b = price(simulate(one, tr), one), price(simulate(many, tr), many)
    for name, area in a.area_by_component_mm2.items():
        if name in ("dram", "l2", "leakage"):
            assert b.area_by_component_mm2[name] == pytest.approx(area)
        else:
            assert b.area_by_component_mm2[name] == pytest.approx(area * many.cores), name


def test_cta_tiles_set_the_waves():
    """U = ceil(T / cta_tokens) x ceil(O / cta_outputs) units on cta_slots cores: 8 units fill one wave of 8, 9 take two."""
    base = presets["dense"].replace(cores=16, cta_tokens=32, cta_outputs=32, cta_slots=8, bw_efficiency=0.999)
    tr8 = synthetic_trace(shapes=[(64, 256, 128)], pattern="dense", seed=1)  # 2 x 4 = 8 units
    tr9 = synthetic_trace(shapes=[(96, 256, 96)], pattern="dense", seed=1)  # 3 x 3 = 9 units
    one = presets["dense"].replace(bw_efficiency=0.999)  # one core, hierarchical: the same on-chip cycles, unsplit
    onchip = lambda r: r.cycles - r.cycles_by_cause["dram"] - r.cycles_by_cause["l2_bw"]  # noqa: E731
    assert onchip(simulate(base, tr8)) == pytest.approx(onchip(simulate(one, tr8)) / 8, rel=0.01)
    assert onchip(simulate(base, tr9)) == pytest.approx(onchip(simulate(one, tr9)) * 2 / 9, rel=0.01)


def test_core_dram_cap_binds_with_few_units():
    """Two units in flight at 1 GB/s each read 2 GB/s, not the chip's nominal rate; the posted output writes are
    not held by the cap (closed form: read time = read bytes / 2 GB/s at the design's clock)."""
    tr = synthetic_trace(shapes=[(16, 256, 128)], pattern="dense", seed=1)  # one token block x 2 tiles of 64
    free = presets["dense"].replace(cores=8, cta_tokens=16, cta_outputs=64, bw_efficiency=0.999)
    capped = free.replace(core_dram_gb_per_s=1.0)
    a, b = simulate(free, tr), simulate(capped, tr)
    assert a.counts.dram_read_bytes == b.counts.dram_read_bytes
    onchip = a.cycles - a.cycles_by_cause["dram"]
    reads, writes = b.counts.dram_read_bytes, b.counts.dram_write_bytes
    assert writes > 0
    read_cycles = reads * b.clock_ghz / 2.0  # bytes x cycles/ns / (bytes/ns)
    assert b.cycles_by_cause["dram"] + onchip == pytest.approx(max(onchip, read_cycles), rel=0.01)
    # the same cap on reads and writes together would be slower by the writes' share
    assert b.cycles_by_cause["dram"] + onchip < (reads + writes) * b.clock_ghz / 2.0
    with pytest.raises(ValueError, match="core_dram_gb_per_s"):
        free.replace(core_dram_gb_per_s=-1.0)
