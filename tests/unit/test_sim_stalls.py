"""Each stall cause and the load-imbalance rules against hand-computed closed forms."""

import math

import numpy as np
import pytest

from accelsim.masks.packing import pack_mask
from accelsim.sim import Design, simulate
from accelsim.synthetic import synthetic_trace
from accelsim.traces import LayerTrace, Trace

pytestmark = pytest.mark.numba

AMPLE = dict(metadata_bw_bits_per_cycle=1 << 24, weight_bw_bytes_per_cycle=1 << 24, buffer_banks=1,
             compaction_groups_per_cycle=1 << 16, dram_bw_gb_per_s=1e6)  # fmt: skip


def _trace(mask: np.ndarray, o: int, pattern: str) -> Trace:
    return Trace("hand", (LayerTrace("l", mask.shape[1], o, pattern, pack_mask(mask)),), {"config": {"pattern": pattern}})


def test_unstructured_core_waits_for_its_busiest_pe_row():
    # Two PE rows of 4 lanes, each serving an 8-channel segment (unstructured:0.5); every token keeps all of
    # segment 0 (2 passes) and nothing of segment 1 (1 pass): the tile takes 2 passes per token, not 1.5.
    t = 10
    mask = np.zeros((t, 16), dtype=bool)
    mask[:, :8] = True
    d = Design(pe_rows=2, pe_cols=1, lanes_per_pe=4, patterns=("unstructured:0.5",), **AMPLE)
    res = simulate(d, _trace(mask, 1, "unstructured:0.5"))
    assert res.cycles == res.cycles_by_cause["compute"] == 2 * t + (2 + 1 - 2)
    assert res.actions["multiplier"]["useful"] == 8 * t
    assert res.actions["multiplier"]["gated"] == (2 + 1) * 4 * t - 8 * t  # 3 passes of 4 lanes per token


def test_output_stationary_rows_wait_for_the_slowest_token():
    # OS: 2 tokens share the broadcast weights; token 0 overflows the first 2:4 group (4 kept -> 2 passes).
    mask = np.zeros((2, 8), dtype=bool)
    mask[0, :4] = True
    mask[1, [0, 1, 4, 5]] = True
    d = Design(pe_rows=2, pe_cols=1, lanes_per_pe=2, patterns=("2:4",), dataflow="output_stationary", **AMPLE)
    res = simulate(d, _trace(mask, 1, "unstructured:0.75"))
    assert str(res.run_pattern) == "2:4"
    # Window 1 takes 2 passes (token 0), window 2 one pass; plus fill 2 + 1 - 2 = 1.  Dense: 8/2 + 1 = 5.
    assert res.cycles == 2 + 1 + 1


def test_metadata_bandwidth_stall():
    t, k, o = 4, 64, 2
    d = Design(pe_rows=1, pe_cols=2, lanes_per_pe=8, patterns=("8:16",), metadata_format="index",
               **{**AMPLE, "metadata_bw_bits_per_cycle": 8})  # fmt: skip
    res = simulate(d, synthetic_trace([(t, k, o)], pattern="8:16"))
    # One lane group of 8 per tile; per fold t tokens x 32 index bits / 8 bits per cycle = 16 cycles vs t + 1 compute.
    folds = k // 16
    assert res.cycles_by_cause["compute"] == folds * (t + 1)
    assert res.cycles_by_cause["metadata_bw"] == folds * (t * 32 // 8 - (t + 1))


def test_weight_bandwidth_stall_in_decode():
    k, o = 64, 8
    d = Design(pe_rows=1, pe_cols=8, lanes_per_pe=8, **{**AMPLE, "weight_bw_bytes_per_cycle": 4})
    res = simulate(d, synthetic_trace([(1, k, o)], pattern="dense"), mode="decode")
    # 8 folds of 8 rows x 8 columns x 1 byte = 64 bytes at 4 B/cycle = 16 cycles each, compute 1 + 7.
    assert res.cycles_by_cause["compute"] == 8 * 8
    assert res.cycles_by_cause["weight_bw"] == 8 * (16 - 8)


def test_compaction_stall():
    t, k = 32, 256
    d = Design(pe_rows=4, pe_cols=4, lanes_per_pe=8, patterns=("8:16",), **{**AMPLE, "compaction_groups_per_cycle": 1})
    res = simulate(d, synthetic_trace([(t, k, 4)], pattern="8:16"))
    # 4 lane groups per tile (64 channels): 4 folds of t + 4 + 4 - 2 cycles; one group compacted per cycle.
    onchip = (k // 64) * (t + 4 + 4 - 2)
    assert res.cycles_by_cause["compaction"] == t * (k // 16) - onchip


def test_dram_roofline_prefill():
    t, k, o = 16, 128, 32
    d = Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, weight_buffer_kib=1024, **{**AMPLE, "dram_bw_gb_per_s": 1.0})
    res = simulate(d, synthetic_trace([(t, k, o)], pattern="dense"))
    bytes_ = k * o + t * k + t * o  # weights once (they fit), activations in, outputs out; int8
    assert res.cycles == math.ceil(bytes_ / 1.0)
    assert res.actions["dram"]["read_bytes"] + res.actions["dram"]["write_bytes"] == bytes_


@pytest.mark.parametrize("method, var_ops, compares, epilogue", [("var", 2, 0, 0), ("dpts", 0, 2, 1), ("spts", 0, 0, 1), ("lpts", 0, 0, 1), ("none", 0, 0, 0)])
def test_mitigation_work_counted_from_the_trace_manifest(method, var_ops, compares, epilogue):
    t, k, o = 3, 32, 8
    tr = synthetic_trace([(t, k, o)], pattern="8:16")
    tr = Trace(tr.run_id, tr.layers, {"config": {"pattern": "8:16", "mitigation": method}})
    d = Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, patterns=("8:16",), mitigation_units=("var", "median"))
    a = simulate(d, tr).actions
    assert a["var_unit"]["ops"] == var_ops * t * k  # one fused accumulate of x and x^2 per element, for x and for the pruned x
    assert a["median_unit"]["compares"] == compares * t * k
    assert a["median_unit"]["epilogue_macs"] == epilogue * t * o
    assert simulate(d.replace(mitigation_units=()), tr).actions["var_unit"]["ops"] == 0  # no unit, nothing counted
