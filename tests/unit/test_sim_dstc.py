"""Unstructured weight masks and ``Design.lane_balance`` (DSTC-like dual-side cores; accelsim/sim/weights.py).

The Numba statistics against their twin with lane balance on, unstructured weight patterns through
``simulate`` on both engines, the balance rule's closed form, and the Design checks.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.masks import pack_mask
from accelsim.patterns import Pattern
from accelsim.sim import presets, simulate
from accelsim.sim import weights as W
from accelsim.sim.design import Design
from accelsim.synthetic import synthetic_trace

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
U5 = Pattern.parse("unstructured:0.5")
SMALL = Design(name="small", pe_rows=2, pe_cols=4, lanes_per_pe=4, patterns=("unstructured:0.5",), sparse_operand="both",
               weight_patterns=("unstructured:0.5",), lane_group=2, operand_budget=8, act_buffer_kib=1, lane_balance=True)  # fmt: skip


def _with_weights(trace, density, seed=3):
    import dataclasses

    rng = np.random.default_rng(seed)
    layers = [dataclasses.replace(ly, weight_mask=pack_mask(rng.random((ly.out_features, ly.in_features)) < density),
                                  weight_pattern=f"unstructured:{density:g}") for ly in trace.layers]  # fmt: skip
    return dataclasses.replace(trace, layers=tuple(layers))


@pytest.mark.numba
@settings(SETTINGS)
@given(seed=st.integers(0, 2**31), mode=st.sampled_from(["weights", "both"]),
       lanes=st.sampled_from([(2, 8, 8), (2, 8, 5), (4, 16, 16), (4, 16, 11), (4, 32, 32), (8, 32, 20)]),
       tb=st.integers(1, 4), ad=st.sampled_from([0.2, 0.5, 0.9]), wd=st.sampled_from([0.3, 0.6, 1.0]), o=st.integers(1, 9),
       decode=st.booleans())  # fmt: skip
def test_balanced_kernel_equals_twin(seed, mode, lanes, tb, ad, wd, o, decode):
    rng = np.random.default_rng(seed)
    t, k = 5, 64
    act, wm = rng.random((t, k)) < ad, rng.random((o, k)) < wd
    wr = W.weight_run_params(SMALL, U5, Pattern.parse(f"unstructured:{wd:g}"), "prefill", t, lanes=lanes, mode=mode)
    wr = W.WeightRunParams(**{**wr.__dict__, "tb": tb})
    assert wr.balance == 1 and wr.w_m == wr.mh and wr.w_bits_pc == wr.mh  # a bitmap of mh bits per chunk
    fast = W.weight_stats(pack_mask(act), pack_mask(wm), k, wr, SMALL.pe_cols, t_rows=t)
    slow = W.reference_weight_stats(act, wm, wr, SMALL.pe_cols, t_rows=t)
    for name, a, b in zip(W.WSTATS + W.WTILE, fast, slow):
        np.testing.assert_array_equal(a, b, err_msg=name)
    kept = np.array([act[b * wr.tb : (b + 1) * wr.tb].sum() for b in range(fast[0].shape[0])])
    cf, nf, ef = W.weight_timing(fast, wr, SMALL, t, k, o, kept, decode, 3, 5)
    cs, ns, es = W.reference_weight_timing(slow, wr, SMALL, t, k, o, kept, decode, 3, 5)
    np.testing.assert_array_equal(cf, cs)
    np.testing.assert_array_equal(nf, ns)
    assert ef == es


@pytest.mark.numba
def test_balanced_work_is_the_slowest_column_over_its_lane_groups():
    """Closed form: work = max over columns of ceil(sum over (token, chunk) of cycles / lane groups per column)."""
    rng = np.random.default_rng(4)
    t, k, o = 6, 64, 4
    act, wm = rng.random((t, k)) < 0.6, rng.random((o, k)) < 0.5
    wr = W.weight_run_params(SMALL, U5, U5, "prefill", t)  # nh 2, mh 8, 4 lane groups per column: one tile of 32 channels
    work = W.weight_stats(pack_mask(act), pack_mask(wm), k, wr, SMALL.pe_cols)[0]
    for j in range(2):
        both = act[:, None, 32 * j : 32 * j + 32] & wm[None, :, 32 * j : 32 * j + 32]  # [t, o, 32]
        cyc = np.maximum(1, -(-both.reshape(t, o, 4, 8).sum(axis=3) // 2))  # full reach: max(1, ceil(x / nh))
        assert work[0, j, 0] == max(-(-int(cyc[:, q].sum()) // 4) for q in range(o))
    unbalanced = W.weight_stats(pack_mask(act), pack_mask(wm), k, W.WeightRunParams(**{**wr.__dict__, "balance": 0}), SMALL.pe_cols)[0]
    assert (work <= unbalanced).all()


@pytest.mark.numba
@pytest.mark.parametrize("mode", ["prefill", "decode"])
@pytest.mark.parametrize("act", [0.3, 1.0])
def test_simulate_twin_equal_on_the_dstc_preset(mode, act):
    tr = _with_weights(synthetic_trace([(5, 64, 20), (3, 32, 7)], density=act, seed=5), 0.4)
    d = presets["dstc-4:16"].replace(pe_rows=2, pe_cols=4, lanes_per_pe=8, act_buffer_kib=1)
    a, b = simulate(d, tr, mode=mode), simulate(d, tr, mode=mode, engine="reference")
    assert a.cycles == b.cycles and a.cycles_by_cause == b.cycles_by_cause and a.counts == b.counts
    assert a.per_layer == b.per_layer


def test_design_checks_for_unstructured_weights_and_balance():
    d = presets["dstc-4:16"]
    assert d.weight_patterns == (U5,) and d.lane_balance and d.resolved_lane_group == 4
    with pytest.raises(ValueError, match="not a weight pattern"):
        d.replace(weight_patterns=("dense",))
    with pytest.raises(ValueError, match="naive"):
        Design(patterns=("8:16",), sparse_operand="both", weight_patterns=("unstructured:0.5",), selector="window")
    with pytest.raises(ValueError, match="lane_balance"):
        Design(patterns=("8:16",), lane_balance=True)
    with pytest.raises(ValueError, match="lane_balance"):
        d.replace(dataflow="output_stationary")
    with pytest.raises(ValueError, match="lane_balance"):
        d.replace(lane_balance=1)
    # default lane group of a dual-side core with unstructured weights: mh x the two densities
    assert Design(patterns=("8:16",), sparse_operand="both", weight_patterns=("unstructured:0.5",)).resolved_lane_group >= 1
@pytest.mark.numba
def test_dstc_preset_prices():
    from accelsim.cost import price

    tr = _with_weights(synthetic_trace([(16, 256, 64)], density=0.5, seed=6), 0.4)
    d = presets["dstc-4:16"]
    r = simulate(d, tr)
    assert price(r, d).energy_j > 0 and r.counts.wmeta_read_bits > 0
