"""Tensor PEs (accelsim/cost/pe.py) and the selector from gates: hand counts, validation, and that 1 x 1 changes nothing."""

import math

import pytest

from accelsim.cost import price
from accelsim.cost.components import Adder, Register, Selector
from accelsim.cost.pe import hop_register_bits, hop_wire_bits, reduction_lanes, register_bits
from accelsim.cost.primitives import MUX2_AREA_UM2, MUX2_ENERGY_PJ, REG_BIT_AREA_UM2, REG_BIT_ENERGY_PJ
from accelsim.sim import Design, presets, simulate
from accelsim.synthetic import synthetic_trace


def test_tensor_pe_fields_are_validated():
    assert Design().pe_shape == (1, 8, 1)
    assert Design(tensor_pe_rows=4, tensor_pe_cols=2).pe_shape == (4, 8, 2)
    for bad in (dict(tensor_pe_rows=0), dict(tensor_pe_cols=3), dict(tensor_pe_rows=True), dict(tensor_pe_cols=2.0)):
        with pytest.raises(ValueError, match="tensor_pe"):
            Design(**bad)


def test_dense_preset_registers_by_hand():
    # 16x16 PEs of 8 int8 lanes, weight-stationary: per PE 8 x (8 weight + 8 shadow) + 8 x 8 activation pipeline + 32
    # partial sum = 224 bits; per MAC slot 8 activation bits + 32 / 8 partial-sum bits are clocked on.
    d = presets["dense"]
    assert register_bits(d) == 256 * 224 and Register.count(d) == 256 * 224
    assert hop_register_bits(d) == hop_wire_bits(d) == 8 + 32 / 8 and reduction_lanes(d) == 8


def test_output_stationary_tensor_pe_registers_by_hand():
    # 4x8x4 tensor PEs (16 of them on a 16x16 grid of 8-lane units): 4 x 8 weights down + 4 x 8 activations right
    # + 4 x 4 accumulators = 256 + 256 + 512 bits each; per MAC 8/4 + 8/4 bits hop; each dot product reduces 8.
    d = Design(pe_rows=16, pe_cols=16, lanes_per_pe=8, tensor_pe_rows=4, tensor_pe_cols=4, dataflow="output_stationary")
    assert register_bits(d) == 16 * 1024 and hop_register_bits(d) == 4.0 and reduction_lanes(d) == 8
    assert hop_wire_bits(d) == 16  # wire per MAC does not shrink: a broadcast spans the units the hops would
    ws = d.replace(dataflow="weight_stationary")  # the 4 rows of a block reduce into one partial sum per column
    assert reduction_lanes(ws) == 32 and Adder.of(ws).lanes == 32 and hop_register_bits(ws) == 8 / 4 + 32 / 32


def test_weight_sparse_core_passes_its_activation_chunk_through_the_array():
    # ampere-w2:4: lane groups of 2 are offered chunks of 4 activations (2 candidates per lane, on the activations).
    d = presets["ampere-w2:4"]
    assert hop_register_bits(d) == 2 * 8 + 32 / 8 and register_bits(d) == 256 * (8 * (8 + 8) + 8 * 2 * 8 + 32)


def test_scalar_blocks_price_as_before_and_blocks_only_shrink_the_array():
    tr = synthetic_trace([(32, 256, 128)], pattern="dense")
    d = presets["dense"]
    t = d.replace(tensor_pe_rows=4, tensor_pe_cols=4)
    cd, ct = price(simulate(d, tr), d), price(simulate(t, tr), t)
    assert ct.area_by_component_mm2["register"] < cd.area_by_component_mm2["register"]
    assert ct.area_by_component_mm2["multiplier"] == cd.area_by_component_mm2["multiplier"]
    assert ct.energy_by_component_j["register"] < cd.energy_by_component_j["register"]


@pytest.mark.parametrize("kind,fanin,cells,levels", [("naive", 16, 15, 4), ("window", 9, 8, 4), ("hierarchical", 8, 6, 4),
                                                     ("naive", 4, 3, 2), ("naive", 1, 0, 0)])  # fmt: skip
def test_selector_from_gates(kind, fanin, cells, levels):
    # naive/window r:1 = r - 1 cells per bit in ceil(log2 r) levels; hierarchical = two (fanin/2):1 stages.
    s = Selector(kind, fanin, 8)
    assert (s.cells, s.levels) == (8 * cells, levels)
    assert s.area_um2 == pytest.approx(8 * cells * MUX2_AREA_UM2 + levels * REG_BIT_AREA_UM2)
    assert s.energy_pj() == pytest.approx(levels * (8 * MUX2_ENERGY_PJ + REG_BIT_ENERGY_PJ))
    assert levels == (0 if fanin == 1 else math.ceil(math.log2(16 if kind == "hierarchical" else fanin)))
