"""The Numba engine equals the NumPy reference twin exactly, and simulate() validates its inputs."""

import itertools

import numpy as np
import pytest

from accelsim.masks.packing import pack_mask
from accelsim.sim import Design, presets, simulate
from accelsim.sim.counts import CAUSES
from accelsim.synthetic import synthetic_trace
from accelsim.traces import LayerTrace, Trace

DESIGNS = [
    Design(pe_rows=2, pe_cols=3, lanes_per_pe=4, patterns=("2:4", "4:8"), buffer_banks=3, act_buffer_kib=1,
           weight_bw_bytes_per_cycle=8, metadata_bw_bits_per_cycle=16, compaction_groups_per_cycle=1, weight_buffer_kib=1),
    Design(pe_rows=4, pe_cols=2, lanes_per_pe=4, patterns=("8:16",), selector="window", buffer_banks=16,
           dataflow="output_stationary", weight_bw_bytes_per_cycle=4, metadata_format="index", dram_bw_gb_per_s=3.0),
    Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, patterns=("unstructured:0.5",), buffer_banks=8,
           weight_bw_bytes_per_cycle=16, precision="fp16", dram_bw_gb_per_s=5.0),
    Design(pe_rows=1, pe_cols=5, lanes_per_pe=2, patterns=("16:32",), dataflow="output_stationary",
           metadata_format="combinatorial", buffer_banks=5, mitigation_units=("var", "median")),
    Design(pe_rows=3, pe_cols=2, lanes_per_pe=2, buffer_banks=8, weight_bw_bytes_per_cycle=2, dram_bw_gb_per_s=1.5),
    Design(pe_rows=2, pe_cols=2, lanes_per_pe=4, patterns=("2:4",), buffer_banks=1, weight_bw_bytes_per_cycle=2),
    Design(pe_rows=2, pe_cols=3, lanes_per_pe=8, patterns=("4:8",), buffer_banks=2, weight_bw_bytes_per_cycle=3),
    Design(pe_rows=1, pe_cols=2, lanes_per_pe=8, patterns=("8:16",), buffer_banks=4, weight_bw_bytes_per_cycle=1),
    Design(pe_rows=4, pe_cols=2, lanes_per_pe=4, patterns=("2:4", "16:32"), buffer_banks=16, weight_bw_bytes_per_cycle=1),
    Design(pe_rows=2, pe_cols=2, lanes_per_pe=2, patterns=("2:4",), buffer_banks=32, dataflow="output_stationary"),
    # Model v2 (docs/sparse-core-model.md): sized operand paths, partial reach, every chunk reader
    # (nibble, byte, word, table, popcount, pointer), decode steps, pipelined selectors, compressed operands.
    Design(pe_rows=2, pe_cols=3, lanes_per_pe=4, patterns=("2:4", "8:16"), lane_group=2, operand_budget=4, selector="window",
           metadata_format="index", buffer_banks=16, weight_bw_bytes_per_cycle=8, metadata_bw_bits_per_cycle=8),
    Design(pe_rows=3, pe_cols=2, lanes_per_pe=4, patterns=("4:8",), lane_group=4, operand_budget=12, selector_reach=5,
           dataflow="output_stationary", metadata_format="combinatorial", metadata_decode_groups_per_cycle=1, buffer_banks=3),
    Design(pe_rows=1, pe_cols=2, lanes_per_pe=4, patterns=("16:32", "8:16"), lane_group=4, operand_budget=32, selector_reach=10,
           metadata_format="index", metadata_decode_groups_per_cycle=2, selector_pipelined=True,
           compressed_activations=True, buffer_banks=8, act_buffer_kib=1),
    Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, patterns=("unstructured:0.5",), lane_group=4, operand_budget=8,
           compressed_activations=True, buffer_banks=8, weight_bw_bytes_per_cycle=4),
    Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, patterns=("8:16", "2:8"), selector="hierarchical", selector_reach=8,
           metadata_format="combinatorial", compressed_activations=True, buffer_banks=16, tech_nm=7, clock_ghz=2.0, dram_bw_gb_per_s=2.0),
    Design(pe_rows=4, pe_cols=2, lanes_per_pe=8, patterns=("32:64",), buffer_banks=16, selector_pipelined=True,
           metadata_format="index", metadata_decode_groups_per_cycle=1),
    # Double-buffered weights: the fill once per call (prefill: layer; decode: token), binding and non-binding
    # weight and metadata bandwidth, several token blocks, a partial last O-tile, a pipelined selector.
    Design(pe_rows=2, pe_cols=3, lanes_per_pe=4, patterns=("2:4", "4:8"), buffer_banks=3, act_buffer_kib=1,
           weight_bw_bytes_per_cycle=8, metadata_bw_bits_per_cycle=16, compaction_groups_per_cycle=1, weight_buffer_kib=1,
           weight_double_buffer=True),
    Design(pe_rows=3, pe_cols=2, lanes_per_pe=2, buffer_banks=8, weight_bw_bytes_per_cycle=2, dram_bw_gb_per_s=1.5,
           weight_double_buffer=True),
    Design(pe_rows=2, pe_cols=4, lanes_per_pe=8, patterns=("8:16",), selector="window", selector_reach=5, selector_pipelined=True,
           compressed_activations=True, buffer_banks=16, act_buffer_kib=1, weight_double_buffer=True),
]  # fmt: skip

TRACES = [
    synthetic_trace([(37, 96, 11), (5, 64, 3)], pattern="4:8", seed=1),
    synthetic_trace([(20, 160, 7)], pattern="8:16", seed=2),
    synthetic_trace([(19, 100, 9), (3, 13, 2)], density=0.35, seed=3),
    synthetic_trace([(9, 64, 5)], pattern="dense"),
]


@pytest.mark.numba
@pytest.mark.parametrize("design, trace, mode", list(itertools.product(DESIGNS, TRACES, ("prefill", "decode"))))
def test_numba_equals_reference_twin(design, trace, mode):
    fast = simulate(design, trace, mode=mode)
    slow = simulate(design, trace, mode=mode, engine="reference")
    assert fast.run_pattern == slow.run_pattern and fast.clock_ghz == slow.clock_ghz
    assert fast.cycles_by_cause == slow.cycles_by_cause
    assert fast.counts == slow.counts and fast.actions == slow.actions
    assert fast.per_layer == slow.per_layer
    assert sum(fast.cycles_by_cause.values()) == fast.cycles
    assert set(fast.cycles_by_cause) == set(CAUSES)


@pytest.mark.numba
def test_prepared_trace_gives_identical_results():
    from accelsim.sim import prepare

    trace = TRACES[0]
    prep = prepare(trace)
    for d in DESIGNS[:3]:
        assert simulate(d, prep) == simulate(d, trace)
        assert simulate(d, prep) == simulate(d, prep)  # cached statistics reused


@pytest.mark.numba
def test_run_pattern_rule():
    t = synthetic_trace([(64, 1024, 256)], pattern="8:16", seed=0)
    assert str(simulate(presets["flex-8:16-window"], t).run_pattern) == "8:16"  # its own pattern
    assert str(simulate(presets["dense"], t).run_pattern) == "dense"
    # 2:4-only core, not DRAM-bound: 2:4 with overflow passes beats dense on an 8:16 mask
    assert str(simulate(presets["ampere-2:4"].replace(dram_bw_gb_per_s=1e5), t).run_pattern) == "2:4"
    # a dense trace: no pattern is faster, the tie goes to dense
    assert str(simulate(presets["ampere-2:4"], synthetic_trace([(16, 64, 4)], pattern="dense")).run_pattern) == "dense"


def test_simulate_rejects_bad_inputs_clearly():
    trace = TRACES[3]
    with pytest.raises(ValueError, match="mode"):
        simulate(presets["dense"], trace, mode="train")
    with pytest.raises(TypeError, match="Design"):
        simulate("dense", trace)
    with pytest.raises(TypeError, match="Trace"):
        simulate(presets["dense"], np.zeros((4, 4)))
    with pytest.raises(ValueError, match="no layers"):
        simulate(presets["dense"], Trace("empty", (), {}))
    bad = np.full((2, 2), 0xFF, dtype=np.uint8)  # K = 12: bits 12..15 must be zero
    with pytest.raises(ValueError, match="beyond K"):
        simulate(presets["dense"], Trace("b", (LayerTrace("l", 12, 4, "dense", bad),), {}))


def test_synthetic_trace_masks_are_exact():
    t = synthetic_trace([(8, 32, 4)], pattern="8:16", seed=5)
    m = t.layers[0].mask()
    assert (m.reshape(8, 2, 16).sum(-1) == 8).all()
    b = synthetic_trace([(400, 500, 4)], density=0.3, seed=5).layers[0].mask()
    assert abs(b.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / b.size)
    assert (synthetic_trace([(8, 32, 4)], pattern="8:16", seed=5).layers[0].mask_packed == pack_mask(m)).all()
    with pytest.raises(ValueError, match="exactly one"):
        synthetic_trace([(8, 32, 4)])
    with pytest.raises(ValueError, match="divisible"):
        synthetic_trace([(8, 30, 4)], pattern="8:16")
