"""Model v2 mechanisms one at a time (docs/sparse-core-model.md, sections 1-4): Design fields and their
validation, chunk cycles, the operand-budget cap, metadata decode, the selector clock, compressed operands
and the cost split.  Goldens are closed forms worked out in the comments."""

import numpy as np
import pytest

from accelsim.cost import DRAM, MetadataDecoder, Register, price
from accelsim.cost.primitives import FA_ENERGY_PJ, GATE_ENERGY_PJ
from accelsim.patterns import Pattern
from accelsim.sim import Design, presets, simulate
from accelsim.sim.chunks import chunk_table, full_reach
from accelsim.sim.clock import FO4_PS, achievable_clock_ghz, mux_levels
from accelsim.sim.reference import chunk_cycles
from accelsim.synthetic import synthetic_trace

AMPLE = dict(metadata_bw_bits_per_cycle=1 << 20, weight_bw_bytes_per_cycle=1 << 20, compaction_groups_per_cycle=1 << 16,
             dram_bw_gb_per_s=1e6)  # fmt: skip


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(patterns=("8:16",), lane_group=8, operand_budget=4), "operand_budget"),  # budget < lanes
        (dict(patterns=("8:16",), selector_reach=17), "selector_reach"),  # reach > budget
        (dict(patterns=("8:16",), selector_reach=1), "selector_reach"),  # 8 lanes x 1 < 16 positions
        (dict(lane_group=2), "lane_group"),  # a dense-only design has no lane groups
        (dict(patterns=("2:4",), lane_group=3, operand_budget=6), "lanes_per_pe"),  # 128 lanes per column
        (dict(patterns=("8:16",), selector="hierarchical", operand_budget=12), "hierarchical"),
        (dict(patterns=("8:16",), lane_group=300), "lane_group"),
        (dict(selector_pipelined=1), "selector_pipelined"),
        (dict(compressed_activations="yes"), "compressed_activations"),
        (dict(metadata_decode_groups_per_cycle=-1), "metadata_decode_groups_per_cycle"),
    ],
)
def test_operand_path_fields_are_validated(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Design(**kwargs)


def test_resolved_defaults_follow_the_spec():
    # nh, mh: N and M of the widest pattern; r: naive mh, window mh - nh + 1, hierarchical mh.
    res = {n: (d.resolved_lane_group, d.resolved_operand_budget, d.resolved_selector_reach) for n, d in presets.items()}
    assert res["flex-8:16-naive"] == (8, 16, 16) and res["flex-8:16-window"] == (8, 16, 9)
    assert res["ampere-2:4"] == (2, 4, 4) and res["nm-16:32"] == (16, 32, 17) and res["dense"] == (0, 0, 0)
    assert res["flex-sized-2:4"] == (2, 4, 4) and res["flex-sized-8:16"] == (8, 16, 16)
    assert Design(patterns=("8:16",), selector="hierarchical").resolved_selector_reach == 16
    # Unstructured keeps its SIGMA-like segment unless the operand path is set.
    u = Design(patterns=("unstructured:0.5",))
    assert u.lane_mapping(Pattern.parse("unstructured:0.5")) == (8, 16, 16)
    assert u.replace(lane_group=4, operand_budget=8).lane_mapping(Pattern.parse("unstructured:0.5")) == (4, 8, 8)
    # Default decode rate: every group of one chunk of the narrowest supported pattern.
    assert presets["flex-8:16-naive"].resolved_decode_groups_per_cycle == 4
    assert presets["flex-sized-2:4"].weight_candidates_per_lane == 2


def test_chunk_cycles_consequences():
    # Full reach: max(1, ceil(x / nh)) for every keep pattern of a chunk.
    t = chunk_table(8, 16, 16)
    kept = t >> 8
    assert ((t & 255) == np.maximum(1, -(-kept // 8))).all()
    # The default window (mh - nh + 1) reaches every set of kept positions as well as a naive mux does.
    assert ((chunk_table(8, 16, 9) & 255) == (t & 255)).all()
    # A 5:1 window on a 16-channel, 8-lane group (sized for 4:8) does not: 8 kept at the chunk's head.
    assert chunk_table(8, 16, 5)[0xFF] & 255 == 2 == chunk_cycles(tuple(range(8)), 8, 16, 5)
    # The best static schedule, not the spec's cycle-by-cycle greedy: positions {0, 2, 4, 5}, nh=2, mh=6
    # take 2 cycles at reach 3 and 4 (the greedy takes 3 at reach 4: it gives 2 to lane 1 in cycle 1).
    bits = 0b110101
    assert chunk_table(2, 6, 3)[bits] & 255 == chunk_table(2, 6, 4)[bits] & 255 == 2


def test_full_reach_predicate_matches_the_tables():
    # chunks.full_reach (Hall's condition on lane intervals) lets the kernels skip the schedule; it must say
    # True exactly when every table entry is max(1, ceil(x / nh)).
    for nh in range(1, 7):
        for mh in range(nh, 13):
            for r in range(-(-mh // nh), mh + 1):
                t = chunk_table(nh, mh, r)
                assert full_reach(nh, mh, r) == bool(((t & 255) == np.maximum(1, -(-(t >> 8) // nh))).all()), (nh, mh, r)
    assert full_reach(16, 32, 17) and full_reach(8, 16, 9) and not full_reach(8, 16, 5)


def test_speedup_is_capped_at_budget_over_lanes():
    # A core sized for 8:16 (mh / nh = 2) runs exact 2:8 masks (ideal 4x) at 2x of dense; widening
    # its budget to 32 channels (cap 4x) reaches the ideal.  T=4, K=256, O=8 on one PE column.
    tr = synthetic_trace([(4, 256, 8)], pattern="2:8", seed=0)
    kw = dict(pe_rows=1, pe_cols=1, lanes_per_pe=8, **AMPLE)
    dense = simulate(Design(**kw), tr).cycles_by_cause["compute"]
    sized = simulate(Design(patterns=("8:16", "2:8"), **kw), tr).cycles_by_cause["compute"]
    wide = simulate(Design(patterns=("8:16", "2:8"), operand_budget=32, **kw), tr).cycles_by_cause["compute"]
    assert (dense / sized, dense / wide) == (2.0, 4.0)


def test_metadata_decode_steps_and_stall():
    # Combinatorial 8:16 codes are ceil(log2 12870) = 14 bits > 8: unranked serially, N = 8 steps per group;
    # 2:4 codes (3 bits) decode from a table in one step.  One lane group, no fill (1 x 1 PEs): every
    # compute cycle of 8:16 needs 8 decoder cycles at one step per cycle.
    kw = dict(pe_rows=1, pe_cols=1, lanes_per_pe=8, metadata_format="combinatorial", metadata_decode_groups_per_cycle=1,
              **AMPLE)  # fmt: skip
    r = simulate(Design(patterns=("8:16",), **kw), synthetic_trace([(4, 64, 4)], pattern="8:16"))
    assert r.cycles_by_cause["metadata_decode"] == 7 * r.cycles_by_cause["compute"]
    r24 = simulate(Design(patterns=("2:4",), **kw, lane_group=2, operand_budget=4), synthetic_trace([(4, 64, 4)], pattern="2:4"))
    assert r24.cycles_by_cause["metadata_decode"] == 0
    # Index codes: one step per group; 4 decode units finish a 16-chunk of 2:4 groups per cycle (the default).
    flex = presets["flex-8:16-naive"].replace(metadata_format="index", **AMPLE)
    assert simulate(flex, synthetic_trace([(64, 256, 16)], pattern="2:4")).cycles_by_cause["metadata_decode"] == 0
    assert simulate(flex.replace(metadata_decode_groups_per_cycle=1), synthetic_trace([(64, 256, 16)], pattern="2:4")).cycles_by_cause["metadata_decode"] > 0


def test_selector_clock_and_pipeline():
    # FO4: 7 nm 4.96 ps (EPFL-LAP fpga21-scaled-tech) / 0.259 (Stillmaker-Baas 45 -> 7 nm) = 19.15 ps at 45 nm.
    assert FO4_PS[7] == 4.96 and FO4_PS[45] == pytest.approx(4.96 / 0.259)
    assert FO4_PS[45] > FO4_PS[28] > FO4_PS[16] > FO4_PS[7]
    assert (mux_levels(4, "naive"), mux_levels(9, "window"), mux_levels(16, "naive"), mux_levels(16, "hierarchical")) == (2, 4, 4, 4)
    # 16:1 mux: 4 levels, 2 beyond the slack, 2 x 2.5 FO4 added to a 1 ns period.
    flex = presets["flex-8:16-naive"]
    assert flex.achievable_clock_ghz == pytest.approx(1e3 / (1e3 + 2 * 2.5 * FO4_PS[45]))
    assert presets["ampere-2:4"].achievable_clock_ghz == 1.0 == presets["dense"].achievable_clock_ghz
    assert achievable_clock_ghz(1.0, 4, 45, pipelined=True) == 1.0
    tr = synthetic_trace([(8, 128, 16)], pattern="8:16")
    r, rp = simulate(flex, tr), simulate(flex.replace(selector_pipelined=True), tr)
    assert r.clock_ghz == pytest.approx(flex.achievable_clock_ghz) and r.seconds == pytest.approx(r.cycles / (r.clock_ghz * 1e9))
    assert rp.clock_ghz == 1.0 and flex.replace(selector_pipelined=True).selector_pipeline_stages == 1
    folds = 1 * 1 * 1  # one block x one tile x one O-tile (16 columns)
    assert rp.cycles_by_cause["compute"] == r.cycles_by_cause["compute"] + folds
    # Pipeline registers: one operand-wide register per lane and stage.
    d = flex.replace(selector_pipelined=True)
    assert Register.count(d) - Register.count(flex) == d.multipliers * 8


def test_compressed_activations_move_kept_values_and_metadata():
    # T=2, K=64, O=32 exact 8:16, int8, bitmask: input kept 2 x 32 bytes + 2 x 4 groups x 16 bits = 16 bytes;
    # output kept at 8:16: 2 x 16 bytes + 2 x 2 x 16 bits = 8 bytes.  Weights (64 x 32, fit): the kept rows once.
    t, k, o = 2, 64, 32
    tr = synthetic_trace([(t, k, o)], pattern="8:16", seed=3)
    d = Design(pe_rows=2, pe_cols=4, lanes_per_pe=8, patterns=("8:16",), compressed_activations=True)
    plain, comp = simulate(d.replace(compressed_activations=False), tr), simulate(d, tr)
    union = int(tr.layers[0].mask().any(axis=0).sum())
    assert plain.counts.dram_read_bytes == union * o + t * k and plain.counts.dram_write_bytes == t * o
    assert comp.counts.dram_read_bytes == union * o + t * k // 2 + t * 4 * 16 // 8
    assert comp.counts.dram_write_bytes == t * o // 2 + t * 2 * 16 // 8
    assert simulate(presets["dense"].replace(compressed_activations=True), tr).counts == simulate(presets["dense"], tr).counts


def test_cost_splits_on_and_off_chip_energy_and_prices_decoders_by_steps():
    tr = synthetic_trace([(16, 256, 64)], pattern="8:16")
    d = presets["flex-8:16-naive"]
    c = price(simulate(d, tr), d)
    assert c.energy_offchip_j == c.energy_by_component_j["dram"] > 0 and DRAM.off_chip
    assert c.energy_onchip_j + c.energy_offchip_j == pytest.approx(c.energy_j)
    # A serial unranker (14-bit 8:16 ranks) is one step's hardware used N = 8 times per group: its area does
    # not grow with the steps, its energy per decode is 8 steps.
    one = MetadataDecoder("combinatorial", 8, 16, rate=1, sized_for=((8, 16),))
    four = MetadataDecoder("combinatorial", 8, 16, rate=4, sized_for=((8, 16),))
    assert four.area_um2 == 4 * one.area_um2
    table = MetadataDecoder("combinatorial", 2, 8)  # 2:8: ceil(log2 28) = 5 bits, a 32-row table, one step
    serial_step = MetadataDecoder("combinatorial", 1, 16)  # 1:16 is 4 bits: a table too; compare 8:16 to its steps
    assert one.energy_pj() == pytest.approx(8 * (14 * GATE_ENERGY_PJ + 2 * 14 * FA_ENERGY_PJ))
    assert table.energy_pj() == pytest.approx(8 * 5 * GATE_ENERGY_PJ) and serial_step.area_um2 > 0
    # A 2:4 decoder of a 16-channel chunk decodes 4 groups per decode: 4 x the group's energy.
    per_group = MetadataDecoder("index", 2, 4)
    assert MetadataDecoder("index", 2, 4, mh=16).energy_pj() == pytest.approx(4 * per_group.energy_pj())
