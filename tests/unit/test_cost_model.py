"""Cost model: component reference values against their published sources, scaling, and price()."""

import math
from dataclasses import dataclass

import pytest

from accelsim.cost import (
    COMPONENTS,
    Action,
    Component,
    MetadataDecoder,
    Multiplier,
    Selector,
    flexibility_components,
    price,
    scale_area,
    scale_energy,
)  # fmt: skip
from accelsim.cost import components as components_module
from accelsim.cost.components import DRAM, Adder, Leakage
from accelsim.cost.primitives import MUX2_AREA_UM2, REG_BIT_AREA_UM2
from accelsim.sim import presets, simulate
from accelsim.sim.counts import COUNT_NAMES
from accelsim.synthetic import synthetic_trace


def test_horowitz_45nm_values():
    # Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm): int8 mult 0.2 pJ, fp16 mult 1.1 pJ, int32 add 0.1, fp32 add 0.9.
    assert Multiplier("int8").energy_pj() == 0.2 and Multiplier("fp16").energy_pj() == 1.1
    assert Adder("int8").energy_pj() == 0.1 and Adder("fp16").energy_pj() == 0.9
    assert Multiplier("int8").area_um2 == 282.0
    # Derived from Horowitz's table: int8 MAC ~ 0.23 pJ, fp16 FMA ~ 1.5 pJ (with an int32/fp32 accumulate).
    assert Multiplier("int8").energy_pj() + 0.03 == pytest.approx(0.23)
    # Gated MAC: Sparseloop ERT 0.018 / 0.56 pJ.
    assert Multiplier("int8").energy_pj("gated") == pytest.approx(0.2 * 0.018 / 0.56)


@pytest.mark.parametrize(
    "fanin_naive, fanin_window, cells_naive, cells_window",
    [(4, 3, 24, 16), (8, 5, 56, 32), (16, 9, 120, 64), (32, 17, 248, 128)],
)
def test_selector_cells_by_hand_count(fanin_naive, fanin_window, cells_naive, cells_window):
    # docs/hardware-anchors.md#46-selection-hardware
    # Hand count, int8 operand (w = 8): an M:1 mux of 2:1 cells has (M-1) w cells, a window (M-N+1):1 has (M-N) w.
    assert Selector("naive", fanin_naive, 8).cells == cells_naive
    assert Selector("window", fanin_window, 8).cells == cells_window
    # ~225 um^2 of mux cells for 8:16 naive, i.e. ~80 % of an int8 multiplier (282 um^2), plus its 4-bit select register.
    if fanin_naive == 16:
        s = Selector("naive", 16, 8)
        assert s.cells * MUX2_AREA_UM2 / Multiplier("int8").area_um2 == pytest.approx(0.80, abs=0.02)
        assert s.area_um2 == pytest.approx(s.cells * MUX2_AREA_UM2 + 4 * REG_BIT_AREA_UM2)


def test_metadata_decoder_cost_orders():
    # The bitmask decoder is the cheap general one; index decoders grow with N*M.
    idx, bm = MetadataDecoder("index", 8, 16), MetadataDecoder("bitmask", 8, 16)
    assert bm.area_um2 < idx.area_um2
    assert MetadataDecoder("index", 2, 4).area_um2 < idx.area_um2


def test_scaling_factors_stillmaker_baas():
    # Stillmaker & Baas, Integration 2017, as in Accelergy's library plug-in scaling.py: 45 -> 7 nm area x0.059, energy x0.094; 45 -> 28 nm 0.29 / 0.37.
    assert scale_area(1.0, 7) == 0.059 and scale_energy(1.0, 7) == 0.094
    assert scale_area(1.0, 28) == 0.29 and scale_energy(1.0, 28) == 0.37
    with pytest.raises(ValueError, match="tabulated"):
        scale_area(1.0, 10)


def test_dram_per_bit_in_published_range():
    assert 20 <= DRAM().pj_per_bit <= 40  # Horowitz 1.3-2.6 nJ per 64 bits


def test_price_totals_components_and_node_scaling():
    trace = synthetic_trace([(64, 256, 128)], pattern="8:16", seed=0)
    d = presets["flex-8:16-window"]
    r = simulate(d, trace)
    c = price(r, d)
    assert c.energy_j == pytest.approx(sum(c.energy_by_component_j.values()))
    assert c.area_mm2 == pytest.approx(sum(c.area_by_component_mm2.values()))
    # Hand count of the multiplier energy: useful x 0.2 pJ + gated x 0.2 x 0.018/0.56.
    mult = r.actions["multiplier"]
    assert c.energy_by_component_j["multiplier"] == pytest.approx(1e-12 * (mult["useful"] * 0.2 + mult["gated"] * 0.2 * 0.018 / 0.56))
    assert c.area_by_component_mm2["multiplier"] == pytest.approx(d.multipliers * 282e-6)
    d7 = d.replace(tech_nm=7)
    c7 = price(simulate(d7, trace), d7)
    assert c7.area_mm2 == pytest.approx(c.area_mm2 * 0.059)
    # Dynamic on-chip energy scales by the energy factor; leakage is density(node) x area(node) x seconds.
    dyn = c.energy_onchip_j - c.energy_by_component_j["leakage"]
    assert c7.energy_onchip_j - c7.energy_by_component_j["leakage"] == pytest.approx(dyn * 0.094)
    assert c7.energy_by_component_j["dram"] == c.energy_by_component_j["dram"]  # DRAM is not scaled


def test_dense_design_has_no_flexibility_hardware_and_flexibility_costs_area():
    trace = synthetic_trace([(16, 128, 32)], pattern="dense")
    dense = price(simulate(presets["dense"], trace), presets["dense"])
    assert "selector" in flexibility_components() and "multiplier" not in flexibility_components()
    for comp in (*flexibility_components(), "var_unit", "median_unit"):
        assert dense.area_by_component_mm2[comp] == 0.0 and dense.energy_by_component_j[comp] == 0.0
    r = simulate(presets["ampere-2:4"], synthetic_trace([(16, 128, 32)], pattern="2:4"))
    flex = price(r, presets["ampere-2:4"])
    assert sum(flex.area_by_component_mm2[c] for c in flexibility_components()) > 0
    assert all(flex.energy_by_component_j[c] > 0 for c in ("selector", "metadata_decoder", "metadata_buffer", "compaction"))
    areas = {n: price(simulate(presets[n], trace), presets[n]).area_mm2 for n in ("ampere-2:4", "flex-8:16-window", "flex-8:16-naive")}
    assert dense.area_mm2 < areas["ampere-2:4"] < areas["flex-8:16-window"] < areas["flex-8:16-naive"]


def test_component_registry_is_well_formed():
    names = [c.name for c in COMPONENTS]
    assert len(set(names)) == len(names)
    for comp in COMPONENTS:
        static = comp.static_w is not Component.static_w
        assert (comp.actions or static) and all(a.count in COUNT_NAMES for a in comp.actions), comp.name
        assert comp.source and ".md" not in comp.source and "../" not in comp.source, comp.name  # a public source
    with pytest.raises(ValueError, match="not a field of accelsim.sim.counts.Counts"):
        Action("fetch", "no_such_count")


@dataclass(frozen=True)
class ToyPrefetcher(Component):
    """A component declared at test time: two per design, 0.5 pJ per byte fetched, 1000 um^2 each."""

    name = "prefetcher"
    actions = (Action("fetch_bytes", "dram_read_bytes"),)
    flexibility = True
    source = "a toy for the test"

    @classmethod
    def count(cls, design):
        return 2

    @classmethod
    def of(cls, design, run=None):
        return cls()

    def energy_pj(self, action):
        return 0.5

    @property
    def area_um2(self):
        return 1000.0


def test_adding_a_component_is_one_class_and_one_registration(monkeypatch):
    d = presets["flex-8:16-window"].replace(tech_nm=28)
    r = simulate(d, synthetic_trace([(16, 128, 32)], pattern="8:16"))
    base = price(r, d)
    with_toy = price(r, d, components=(*COMPONENTS, ToyPrefetcher))  # registered by passing the tuple
    e = r.counts.dram_read_bytes * 0.5e-12 * 0.37  # 28 nm energy factor
    assert with_toy.energy_by_component_j["prefetcher"] == pytest.approx(e)
    assert with_toy.area_by_component_mm2["prefetcher"] == pytest.approx(2 * 1000e-6 * 0.29)
    # its area also leaks for the run's seconds (the leakage entry grows with the chip)
    leak = with_toy.energy_by_component_j["leakage"] - base.energy_by_component_j["leakage"]
    assert leak == pytest.approx(2 * 1000e-6 * 0.29 * Leakage.of(d).w_per_mm2 * r.seconds)
    assert with_toy.energy_j == pytest.approx(base.energy_j + e + leak)
    assert {k: v for k, v in with_toy.area_by_component_mm2.items() if k != "prefetcher"} == base.area_by_component_mm2
    # ... or by listing it in COMPONENTS: price, SimResult.actions and flexibility_components follow.
    monkeypatch.setattr(components_module, "COMPONENTS", (*COMPONENTS, ToyPrefetcher))
    assert price(r, d).energy_by_component_j == pytest.approx(with_toy.energy_by_component_j)
    assert r.actions["prefetcher"] == {"fetch_bytes": r.counts.dram_read_bytes}
    assert "prefetcher" in flexibility_components()


def test_mitigation_units_are_priced_when_present():
    d = presets["dense"].replace(mitigation_units=("var", "median"))
    c = price(simulate(d, synthetic_trace([(4, 64, 16)], pattern="dense")), d)
    assert c.area_by_component_mm2["var_unit"] > 0 and c.area_by_component_mm2["median_unit"] > 0


def test_price_rejects_a_result_from_another_design():
    trace = synthetic_trace([(4, 64, 16)], pattern="dense")
    r = simulate(presets["dense"], trace)
    with pytest.raises(ValueError, match="not simulated on this design"):
        price(r, presets["dense"].replace(pe_rows=8))
    with pytest.raises(TypeError):
        price({"cycles": 1}, presets["dense"])
    assert math.isfinite(price(r, presets["dense"]).energy_j)


def test_area_depends_on_the_design_only():
    d = presets["flex-8:16-window"]
    a = price(simulate(d, synthetic_trace([(8, 64, 16)], pattern="2:4")), d)
    b = price(simulate(d, synthetic_trace([(8, 64, 16)], pattern="8:16")), d)
    assert str(simulate(d, synthetic_trace([(8, 64, 16)], pattern="2:4")).run_pattern) == "2:4"
    assert a.area_by_component_mm2 == b.area_by_component_mm2
