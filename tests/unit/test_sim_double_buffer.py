"""Double-buffered weights (``Design.weight_double_buffer``, issue 9, dense folds): closed forms and rules.

With a second weight register per PE, fold i+1's weights load while fold i computes, so folds follow one another
without draining: only the first fold of a call (prefill: the layer; decode: each token) pays the fill and drain
``R + C - 2``, and every fold pays max(compute, weight delivery).  The goldens below are derived here by hand.
"""

import math

import pytest

from accelsim import synthetic_trace
from accelsim.sim import Design, presets, simulate

pytestmark = pytest.mark.numba

AMPLE = dict(metadata_bw_bits_per_cycle=1 << 24, compaction_groups_per_cycle=1 << 16, buffer_banks=1, dram_bw_gb_per_s=1e6)


def decode_t1_closed_form(r: int, c: int, lanes: int, k: int, o: int, wbw: int) -> int:
    """Cycles of one dense token through a weight-stationary R x C array of L-lane PEs, weights double-buffered.

    A fold is one K-tile of R*L channels times one O-tile of C outputs; one token takes 1 cycle of compute and its
    weights R*L*C bytes (int8) take ceil(R*L*C / wbw) cycles to deliver.  The first fold pays the fill and drain
    R + C - 2 on top of its compute (its weight load overlaps them); every later fold max(compute, weights).
    """
    folds = (k // (r * lanes)) * (o // c)
    w = math.ceil(r * lanes * c / wbw)
    fill = r + c - 2
    return max(fill + 1, w) + (folds - 1) * max(1, w)


@pytest.mark.parametrize("wbw", [1 << 20, 48, 16, 4])  # 96 B of weights a fold: 1, 2, 6 (= fill + compute), 24 cycles
def test_decode_t1_equals_closed_form(wbw):
    r, c, lanes, k, o = 4, 3, 8, 256, 24
    d = Design(pe_rows=r, pe_cols=c, lanes_per_pe=lanes, weight_bw_bytes_per_cycle=wbw, weight_double_buffer=True, **AMPLE)
    tr = synthetic_trace([(1, k, o)], pattern="dense")
    on = simulate(d, tr, mode="decode")
    assert on.cycles == decode_t1_closed_form(r, c, lanes, k, o, wbw)
    off = simulate(d.replace(weight_double_buffer=False), tr, mode="decode")
    folds = (k // (r * lanes)) * (o // c)
    assert off.cycles == folds * max(r + c - 2 + 1, math.ceil(r * lanes * c / wbw))  # every fold fills (flag off)
    assert on.cycles <= off.cycles
    # several decode steps: every token is its own call and pays its own fill
    assert simulate(d, synthetic_trace([(3, k, o)], pattern="dense"), mode="decode").cycles == 3 * on.cycles


def test_decode_t1_dram_bound_is_the_roofline():
    # The dense preset at T = 1 (analysis/dense_folds.py): folds of 2 KiB at 256 B per cycle are weight-bound (8 cycles
    # each), far under the 16.8 MB of weights, activations and outputs at 100 GB/s and 1 GHz: the DRAM roofline binds.
    d = presets["dense"].replace(weight_double_buffer=True)
    k = o = 4096
    r = simulate(d, synthetic_trace([(1, k, o)], pattern="dense"), mode="decode")
    roofline = math.ceil((k * o + k + o) / (d.dram_bw_gb_per_s / d.clock_ghz))
    onchip = decode_t1_closed_form(16, 16, 8, k, o, 256)
    assert onchip < roofline and r.cycles == roofline == 167_855
    assert r.cycles_by_cause["dram"] == roofline - onchip


def test_prefill_pays_the_fill_once_per_layer():
    # Compute-bound dense prefill: every fold streams its token block; the fill once for the layer, however many
    # token blocks (act_buffer_kib=1 and R*L = 16 channels: blocks of 1024 / (2 * 16) = 32 tokens).
    r, c, lanes, t, k, o = 2, 3, 8, 70, 64, 9
    d = Design(pe_rows=r, pe_cols=c, lanes_per_pe=lanes, act_buffer_kib=1, weight_bw_bytes_per_cycle=1 << 20,
               weight_double_buffer=True, **AMPLE)  # fmt: skip
    folds_per_block = (k // (r * lanes)) * (o // c)
    assert simulate(d, synthetic_trace([(t, k, o)], pattern="dense")).cycles == (r + c - 2) + folds_per_block * t


def test_hierarchy_cores_each_pay_the_fill_once():
    # 8 O-tiles on 8 cores, one token block of 64, two K-tiles: each core runs 2 folds of 64 cycles after one fill.
    tr = synthetic_trace(shapes=[(64, 256, 128)], pattern="dense", seed=1)
    d = presets["dense"].replace(weight_double_buffer=True, dram_bw_gb_per_s=1e5)
    assert simulate(d, tr).cycles == 30 + 16 * 64
    eight = d.replace(cores=8)
    assert simulate(eight, tr).cycles == 30 + 2 * 64 == simulate(eight, tr, engine="reference").cycles
    assert simulate(eight.replace(weight_double_buffer=False), tr).cycles == 2 * (30 + 64)


def test_every_preset_keeps_it_off():
    assert not any(p.weight_double_buffer for p in presets.values())


def test_validation():
    with pytest.raises(ValueError, match="True or False"):
        Design(weight_double_buffer=1)
    with pytest.raises(ValueError, match="weight_stationary"):
        Design(dataflow="output_stationary", weight_double_buffer=True)
    with pytest.raises(ValueError, match="sparse_operand"):
        presets["ampere-w2:4"].replace(weight_double_buffer=True)
