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
