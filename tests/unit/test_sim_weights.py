"""Weight-sparse and dual-side cores (docs/sparse-core-model.md, section 5; issue 8, item 5).

The Numba statistics and the vectorised fold timing of ``accelsim.sim.weights`` against their
twin (Hall's condition per (token, output, chunk), plain loops), the reduction to the
activation model when the weights are dense, and the closed forms the spec states.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.masks import pack_mask, topn_mask
from accelsim.patterns import Pattern
from accelsim.sim import weights as W
from accelsim.sim.design import Design
from accelsim.sim.reference import reference_stats
from accelsim.sim.simulate import RunParams

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
P816, P24 = Pattern.parse("8:16"), Pattern.parse("2:4")
SMALL = Design(name="small", pe_rows=2, pe_cols=4, lanes_per_pe=4, patterns=("2:4", "8:16"), act_buffer_kib=1)


def _mask(rng, shape, pattern):
    return topn_mask(rng.standard_normal(shape), pattern) if pattern else rng.random(shape) < 0.45


def _params(mode, lanes, dataflow="weight_stationary", tb=3, t=7):
    d = SMALL.replace(dataflow=dataflow)
    wr = W.weight_run_params(d, P816, P24, "prefill", t, lanes=lanes, mode=mode)
    return d, W.WeightRunParams(**{**wr.__dict__, "tb": tb})


LANES = [(2, 4, 4), (2, 4, 3), (4, 16, 16), (4, 16, 13), (8, 16, 9), (2, 8, 5), (8, 32, 20), (4, 32, 32)]


@pytest.mark.numba
@settings(SETTINGS)
@given(seed=st.integers(0, 2**31), mode=st.sampled_from(["weights", "both"]), lanes=st.sampled_from(LANES),
       dataflow=st.sampled_from(["weight_stationary", "output_stationary"]), tb=st.integers(1, 4),
       act_pat=st.sampled_from(["8:16", "2:4", None]), w_pat=st.sampled_from(["2:4", "4:8", None]),
       o=st.integers(1, 9), decode=st.booleans())  # fmt: skip
def test_kernel_equals_twin(seed, mode, lanes, dataflow, tb, act_pat, w_pat, o, decode):
    rng = np.random.default_rng(seed)
    t, k = 5, 64
    act, wm = _mask(rng, (t, k), act_pat), _mask(rng, (o, k), w_pat)
    d, wr = _params(mode, lanes, dataflow, tb, t)
    d = d.replace(weight_buffer_kib=1 if seed % 2 else 512, compressed_activations=bool(seed % 3 == 0))
    fast = W.weight_stats(pack_mask(act), pack_mask(wm), k, wr, d.pe_cols)
    slow = W.reference_weight_stats(act, wm, wr, d.pe_cols)
    for name, a, b in zip(W.WSTATS + W.WTILE, fast, slow):
        np.testing.assert_array_equal(a, b, err_msg=name)
    kept = np.array([act[b * wr.tb : (b + 1) * wr.tb].sum() for b in range(fast[0].shape[0])])
    cf, nf, ef = W.weight_timing(fast, wr, d, t, k, o, kept, decode, 3, 5)
    cs, ns, es = W.reference_weight_timing(slow, wr, d, t, k, o, kept, decode, 3, 5)
    np.testing.assert_array_equal(cf, cs)
    np.testing.assert_array_equal(nf, ns)
    assert ef == es


@pytest.mark.numba
@pytest.mark.parametrize("lanes", LANES)
@pytest.mark.parametrize("dataflow", ["weight_stationary", "output_stationary"])
def test_dense_weights_reduce_to_the_activation_model(lanes, dataflow):
    """All-ones weight masks: a dual-side fold is the activation model's fold, in every O-tile."""
    rng = np.random.default_rng(1)
    t, k, o = 9, 64, 10
    act = _mask(rng, (t, k), "8:16")
    d, wr = _params("both", lanes, dataflow, tb=4, t=t)
    stats = W.weight_stats(pack_mask(act), pack_mask(np.ones((o, k), bool)), k, wr, d.pe_cols)
    rp = RunParams(n=wr.n, m=16, mh=wr.mh, reach=wr.reach, tb=wr.tb, groups_per_tile=wr.cpt, cyc_per_pass=wr.cyc_per_pass,
                   lockstep=wr.lockstep, sparse=1, bits_per_pass=0, decode_cyc=1, fill=0, kind=0)  # fmt: skip
    work, ideal, passes, nnz, _, _ = reference_stats(act, rp, 16)
    n_ot = stats[0].shape[2]
    for ot in range(n_ot):
        cols = min(d.pe_cols, o - ot * d.pe_cols)
        np.testing.assert_array_equal(stats[0][:, :, ot], work)
        np.testing.assert_array_equal(stats[1][:, :, ot], ideal)
        np.testing.assert_array_equal(stats[3][:, :, ot], passes)  # lockstepped chunk-cycles = the activation passes
        np.testing.assert_array_equal(stats[2][:, :, ot], passes * cols)
        np.testing.assert_array_equal(stats[4][:, :, ot], nnz * cols)


@pytest.mark.numba
def test_exact_24_weights_on_a_24_core_take_one_cycle_per_chunk():
    """Exact 2:4 weights, lane groups of 2 offered 4 channels: every chunk of every column one cycle."""
    rng = np.random.default_rng(2)
    t, k, o = 6, 64, 8
    d, wr = _params("weights", (2, 4, 4), tb=6, t=t)
    wm = _mask(rng, (o, k), "2:4")
    work, ideal, passes, lpasses, nnz, wkept, _ = W.weight_stats(None, pack_mask(wm), k, wr, d.pe_cols, t_rows=t)
    assert (work == t).all() and (ideal == work).all()  # tokens x 1 cycle
    assert passes.sum() == t * o * (k // 4) and nnz.sum() == t * wm.sum() and wkept.sum() == wm.sum()


@pytest.mark.numba
@settings(SETTINGS)
@given(seed=st.integers(0, 2**31), lanes=st.sampled_from(LANES), dataflow=st.sampled_from(["weight_stationary", "output_stationary"]),
       act_pat=st.sampled_from(["8:16", "2:4", None]), w_pat=st.sampled_from(["2:4", "4:8", None]))  # fmt: skip
def test_dual_side_work_never_exceeds_either_single_side(seed, lanes, dataflow, act_pat, w_pat):
    """Chunk cycles are monotone in the kept set (Hall), so the intersection never costs more."""
    rng = np.random.default_rng(seed)
    t, k, o = 6, 64, 9
    act, wm = _mask(rng, (t, k), act_pat), _mask(rng, (o, k), w_pat)
    d, wr = _params("both", lanes, dataflow, tb=3, t=t)
    dual = W.weight_stats(pack_mask(act), pack_mask(wm), k, wr, d.pe_cols)[0]
    act_only = W.weight_stats(pack_mask(act), pack_mask(np.ones((o, k), bool)), k, wr, d.pe_cols)[0]
    w_only = W.weight_stats(pack_mask(np.ones((t, k), bool)), pack_mask(wm), k, wr, d.pe_cols)[0]
    assert (dual <= act_only).all() and (dual <= w_only).all()


# --------------------------------------------------------------------- through simulate (Design.sparse_operand)
from accelsim.cost import price  # noqa: E402
from accelsim.sim import presets, simulate  # noqa: E402
from accelsim.synthetic import synthetic_trace  # noqa: E402

AMPLE = dict(metadata_bw_bits_per_cycle=1 << 20, weight_bw_bytes_per_cycle=1 << 20, compaction_groups_per_cycle=1 << 16,
             dram_bw_gb_per_s=1e6)  # fmt: skip


def _folds(res, design, trace):
    """Folds of a weight-stationary run (fill is paid once per fold)."""
    return sum(-(-(ly.tokens) // _tb(design, ly)) * -(-ly.in_features // _tile_k(design, res)) * -(-ly.out_features // design.pe_cols)
               for ly in trace.layers)  # fmt: skip


def _tb(design, ly):
    column = design.pe_rows * design.lanes_per_pe
    return max(1, min(ly.tokens, design.act_buffer_kib * 1024 // (2 * column * design.bytes_per_element)))


def _tile_k(design, res):
    column = design.pe_rows * design.lanes_per_pe
    n, mh, _ = design.lane_mapping(res.weight_pattern if res.sparse_operand == "weights" else res.run_pattern)
    return column // n * mh


def test_design_validates_sparse_operand():
    with pytest.raises(ValueError, match="sparse_operand"):
        Design(sparse_operand="bogus")
    with pytest.raises(ValueError, match="weight_patterns"):
        Design(weight_patterns=("2:4",))  # an activation core takes no weight patterns
    with pytest.raises(ValueError, match="not a weight pattern"):
        Design(sparse_operand="weights", weight_patterns=("dense",))
    # unstructured weights (a bitmap per chunk) are allowed: tests/unit/test_sim_dstc.py
    assert Design(sparse_operand="weights", weight_patterns=("unstructured:0.5",)).weight_patterns[0].kind == "unstructured"
    d = Design(sparse_operand="weights")
    assert d.weight_patterns == (P24,) and d.resolved_lane_group == 2 and d.resolved_operand_budget == 4
    dual = presets["dual-8:16-w2:4"]
    assert dual.sparse_operand == "both" and dual.weight_patterns == (P24,) and dual.resolved_lane_group == 4


@pytest.mark.numba
def test_exact_24_weights_halve_dense_compute():
    """Closed form: exact 2:4 weights on a core sized for 2:4 (lane groups of 2 offered 4 channels) run every
    chunk in one cycle, so compute cycles net of fill are half of the dense core's (same array)."""
    tr = synthetic_trace([(64, 512, 96), (64, 256, 64)], pattern="dense", weight_pattern="2:4", seed=3)
    dense, wd = presets["dense"], presets["ampere-w2:4"]
    rd, rw = simulate(dense, tr), simulate(wd, tr)
    assert rw.sparse_operand == "weights" and str(rw.weight_pattern) == "2:4" and str(rw.run_pattern) == "dense"
    fill = dense.pe_rows + dense.pe_cols - 2
    net_dense = rd.cycles_by_cause["compute"] - fill * _folds(rd, dense, tr)
    net_w = rw.cycles_by_cause["compute"] - fill * _folds(rw, wd, tr)
    assert 2 * net_w == net_dense
    assert rw.cycles_by_cause["operand_reach"] == 0 and rw.counts.compaction_groups == 0
    assert rw.counts.macs_useful == sum(ly.tokens * ly.weight_keep().sum() for ly in tr.layers)
    assert rw.counts.wmeta_read_bits > 0 and rw.counts.selects == rw.counts.macs_issued


@pytest.mark.numba
@pytest.mark.parametrize("mode", ["prefill", "decode"])
def test_dual_side_lies_between_the_ideal_and_each_single_side(mode):
    """Exact 8:16 activations and 2:4 weights on a core sized for both (4 lanes, chunks of 16): the dual-side
    core's compute never exceeds either single side on the same lanes, and never beats one cycle per chunk."""
    tr = synthetic_trace([(32, 256, 64)], pattern="8:16", weight_pattern="2:4", seed=4)
    dual = presets["dual-8:16-w2:4"].replace(**AMPLE)
    act_only = dual.replace(sparse_operand="activations", weight_patterns=())
    w_only = dual.replace(sparse_operand="weights", patterns=("dense",))
    assert act_only.lane_mapping(P816) == dual.lane_mapping(P816) == w_only.lane_mapping(P24)
    c = {name: simulate(d, tr, mode=mode) for name, d in (("dual", dual), ("act", act_only), ("w", w_only))}
    busy = {k: r.cycles_by_cause["compute"] + r.cycles_by_cause["operand_reach"] for k, r in c.items()}
    assert busy["dual"] <= busy["act"] and busy["dual"] <= busy["w"]
    if mode == "prefill":  # a block of tokens averages the intersection's cycles per (chunk, column)
        assert busy["dual"] < min(busy["act"], busy["w"])
    else:  # one token per block: some (chunk, column) of a fold almost surely holds the worst case (2 cycles)
        assert busy["dual"] == busy["act"] == busy["w"]
    dense_chunks = sum(ly.tokens * -(-ly.in_features // 16) * -(-ly.out_features // dual.pe_cols) for ly in tr.layers)
    column_chunks = (dual.pe_rows * dual.lanes_per_pe) // 4  # chunks of one tile, in parallel
    assert c["dual"].cycles_by_cause["compute"] >= dense_chunks // column_chunks  # at least one cycle per chunk
    assert c["dual"].counts.macs_useful < c["act"].counts.macs_useful


@pytest.mark.numba
@settings(SETTINGS)
@given(seed=st.integers(0, 2**31), mode=st.sampled_from(["prefill", "decode"]),
       dataflow=st.sampled_from(["weight_stationary", "output_stationary"]), act=st.sampled_from(["8:16", "2:4"]),
       w=st.sampled_from(["2:4", "4:8"]), reach=st.sampled_from([0, 9, 16]))  # fmt: skip
def test_dual_side_cycles_never_exceed_activation_only(seed, mode, dataflow, act, w, reach):
    tr = synthetic_trace([(6, 64, 9)], pattern=act, weight_pattern=w, seed=seed)
    base = Design(name="p", pe_rows=2, pe_cols=3, lanes_per_pe=4, patterns=("2:4", "8:16"), dataflow=dataflow,
                  selector="window" if reach == 9 else "naive", selector_reach=reach, lane_group=4, operand_budget=16,
                  metadata_decode_groups_per_cycle=16, **AMPLE)  # fmt: skip
    dual = base.replace(sparse_operand="both", weight_patterns=("2:4", "4:8"))
    assert simulate(dual, tr, mode=mode).cycles <= simulate(base, tr, mode=mode).cycles


@pytest.mark.numba
@pytest.mark.parametrize("preset", ["ampere-w2:4", "dual-8:16-w2:4"])
@pytest.mark.parametrize("mode", ["prefill", "decode"])
def test_simulate_twin_equal_on_weight_presets(preset, mode):
    tr = synthetic_trace([(5, 64, 20), (3, 32, 7)], pattern="8:16", weight_pattern="2:4", seed=5)
    d = presets[preset].replace(pe_rows=2, pe_cols=4, lanes_per_pe=8, act_buffer_kib=1)
    a, b = simulate(d, tr, mode=mode), simulate(d, tr, mode=mode, engine="reference")
    assert a.cycles == b.cycles and a.cycles_by_cause == b.cycles_by_cause and a.counts == b.counts
    assert a.per_layer == b.per_layer


def test_weight_designs_need_weight_masks():
    tr = synthetic_trace([(4, 64, 8)], pattern="8:16", seed=0, run_id="act-only")
    for name in ("ampere-w2:4", "dual-8:16-w2:4"):
        with pytest.raises(ValueError, match=r"act-only.*--sparsify weights"):
            simulate(presets[name], tr)
    wt = synthetic_trace([(4, 64, 8)], pattern="8:16", weight_pattern="2:4", seed=0)
    assert simulate(presets["flex-8:16-window"], wt).sparse_operand == "activations"  # an activation core ignores weight masks


@pytest.mark.numba
def test_price_of_weight_and_dual_runs():
    tr = synthetic_trace([(16, 256, 64)], pattern="8:16", weight_pattern="2:4", seed=6)
    wt = synthetic_trace([(16, 256, 64)], pattern="dense", weight_pattern="2:4", seed=6)
    for name, trace in (("ampere-w2:4", wt), ("dual-8:16-w2:4", tr)):
        d = presets[name]
        r = simulate(d, trace)
        cost = price(r, d)
        assert cost.energy_j > 0 and cost.area_by_component_mm2["selector"] > 0
        assert r.actions["metadata_buffer"]["weight_read_bits"] == r.counts.wmeta_read_bits > 0
        assert r.actions["metadata_decoder"]["weight_decode"] == r.counts.wmeta_decodes > 0
        assert (r.counts.compaction_groups > 0) == (name == "dual-8:16-w2:4")
        assert cost.area_by_component_mm2["compaction"] == (0.0 if name == "ampere-w2:4" else cost.area_by_component_mm2["compaction"])
