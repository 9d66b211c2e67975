"""Properties of the sparse-core model v2 (docs/sparse-core-model.md; issue 8, item 6).

Each property is a factory ``prop_*(cycles)`` returning a hypothesis test for a cycle function
``cycles(design, trace, mode) -> int``.  It runs against the simulator (must pass) and against
a deliberately wrong simulator (a patched chunk table or kernel parameter: hypothesis must find
a counterexample), which shows the property can fail.  Bandwidths, compaction and DRAM are
ample so that only the mechanism under test moves cycles.
"""

import importlib
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim.masks import topn_mask
from accelsim.masks.packing import pack_mask
from accelsim.sim import Design, counts, simulate
from accelsim.sim.chunks import chunk_table
from accelsim.traces import LayerTrace, Trace

sim_module = importlib.import_module("accelsim.sim.simulate")  # the module (accelsim.sim.simulate is also the function)
SETTINGS = settings(max_examples=60, deadline=None, database=None, report_multiple_bugs=False,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
AMPLE = dict(metadata_bw_bits_per_cycle=1 << 20, weight_bw_bytes_per_cycle=1 << 20, compaction_groups_per_cycle=1 << 16,
             dram_bw_gb_per_s=1e6, metadata_format="bitmask", pe_rows=1, pe_cols=2)  # fmt: skip
modes = st.sampled_from(["prefill", "decode"])


def trace_of(mask: np.ndarray, pattern: str, o: int = 3) -> Trace:
    layer = LayerTrace("l", mask.shape[1], o, pattern, pack_mask(mask))
    return Trace(f"prop-{pattern}", (layer,), {"config": {"pattern": pattern}})


def exact_mask(seed: int, pattern: str, t: int, k: int) -> np.ndarray:
    return topn_mask(np.random.default_rng(seed).standard_normal((t, k)), pattern)


def good(design, trace, mode):
    return simulate(design, trace, mode=mode).cycles


@contextmanager
def _table(bump):
    """chunk_table with ``bump(nh, mh, r, bits)`` cycles added to each entry."""

    def wrong(nh, mh, r):
        t = chunk_table(nh, mh, r).astype(np.int16)
        return (t + bump(nh, mh, r, np.arange(t.size))).astype(np.int16)

    with mock.patch.object(sim_module, "chunk_table", wrong):
        yield


def with_table(bump):
    def cycles(design, trace, mode):
        with _table(bump):
            return good(design, trace, mode)

    return cycles


def inverted_metadata(design, trace, mode):
    """Metadata bandwidth and decode rate that hurt as they grow."""
    real = sim_module.layer_params

    def wrong(layer, rp, d, decode, pattern=sim_module.DENSE):
        p = real(layer, rp, d, decode, pattern)
        p[counts.P_META_BW] = max(1, (1 << 12) // d.metadata_bw_bits_per_cycle)
        p[counts.P_DECODE_CYC] = d.resolved_decode_groups_per_cycle
        return p

    with mock.patch.object(sim_module, "layer_params", wrong):
        return good(design, trace, mode)


def additive_fill(design, trace, mode):
    """Double-buffered weights done wrong: the call's fill added on top of folds that all pay only max(compute,
    weights), instead of being paid inside the first fold (whose weight load it overlaps)."""
    if not design.weight_double_buffer:
        return good(design, trace, mode)
    real = sim_module.layer_params

    def no_fill(layer, rp, d, decode, pattern=sim_module.DENSE):
        p = real(layer, rp, d, decode, pattern)
        p[counts.P_FILL] = 0
        return p

    with mock.patch.object(sim_module, "layer_params", no_fill):
        cyc = good(design, trace, mode)
    calls = sum(ly.mask_packed.shape[0] if mode == "decode" else 1 for ly in trace.layers)
    return cyc + calls * (design.pe_rows + design.pe_cols - 2 + design.selector_pipeline_stages)


# ---------------------------------------------------------------- properties
def prop_double_buffer(cycles):
    # Double-buffered weights never cost cycles: only the first fold of a call keeps its fill, every fold max(...).
    @SETTINGS
    @given(st.data(), modes)
    def test(data, mode):
        pattern = data.draw(st.sampled_from(["dense", "2:4", "unstructured:0.5"]))
        t = data.draw(st.integers(1, 3))
        mask = data.draw(hnp.arrays(bool, (t, 8 * data.draw(st.integers(1, 3)))))
        # weight and metadata bandwidth drawn from binding to ample, so that folds are compute- or delivery-bound
        d = Design(lanes_per_pe=4, patterns=(pattern,), **{**AMPLE, "pe_rows": data.draw(st.integers(1, 3)),
                   "pe_cols": data.draw(st.integers(1, 3)),
                   "weight_bw_bytes_per_cycle": data.draw(st.sampled_from([1, 2, 4, 64])),
                   "metadata_bw_bits_per_cycle": data.draw(st.sampled_from([1, 8, 1 << 20]))})  # fmt: skip
        tr = trace_of(mask if pattern != "dense" else mask | True, pattern, o=data.draw(st.integers(1, 5)))
        assert cycles(d.replace(weight_double_buffer=True), tr, mode) <= cycles(d, tr, mode)

    return test


def prop_reach(cycles):
    @SETTINGS
    @given(st.data(), modes)
    def test(data, mode):
        nh = data.draw(st.sampled_from([1, 2, 4, 8]))
        mh = data.draw(st.integers(nh, 16))
        r1, r2 = sorted(data.draw(st.lists(st.integers(-(-mh // nh), mh), min_size=2, max_size=2)))
        t = data.draw(st.integers(1, 3))
        mask = data.draw(hnp.arrays(bool, (t, mh * data.draw(st.integers(1, 3)))))
        d = Design(lanes_per_pe=nh, patterns=("unstructured:0.5",), lane_group=nh, operand_budget=mh, **AMPLE)
        tr = trace_of(mask, "unstructured:0.5")
        assert cycles(d.replace(selector_reach=r2), tr, mode) <= cycles(d.replace(selector_reach=r1), tr, mode)

    return test


def prop_budget(cycles):
    # One lane group per PE column (a tile is one chunk), full reach: a wider chunk never costs more.
    @SETTINGS
    @given(st.data(), modes)
    def test(data, mode):
        nh = data.draw(st.sampled_from([1, 2, 4]))
        mh1 = data.draw(st.sampled_from([m for m in (2, 4, 8) if m >= nh]))
        mh2 = mh1 * data.draw(st.sampled_from([f for f in (1, 2, 4) if mh1 * f <= 16]))
        t = data.draw(st.integers(1, 3))
        mask = data.draw(hnp.arrays(bool, (t, mh2 * data.draw(st.integers(1, 3)))))
        d = Design(lanes_per_pe=nh, patterns=("unstructured:0.5",), lane_group=nh, **AMPLE)
        tr = trace_of(mask, "unstructured:0.5")
        assert cycles(d.replace(operand_budget=mh2), tr, mode) <= cycles(d.replace(operand_budget=mh1), tr, mode)

    return test


def prop_metadata(cycles):
    @SETTINGS
    @given(st.data(), modes)
    def test(data, mode):
        b1, b2 = sorted(data.draw(st.lists(st.integers(1, 64), min_size=2, max_size=2)))
        g1, g2 = sorted(data.draw(st.lists(st.integers(1, 8), min_size=2, max_size=2)))
        tr = trace_of(exact_mask(data.draw(st.integers(0, 99)), "8:16", data.draw(st.integers(1, 3)), 32), "8:16")
        base = Design(lanes_per_pe=8, patterns=("8:16",), **{**AMPLE, "metadata_format": "combinatorial"})
        d1 = base.replace(metadata_bw_bits_per_cycle=b1, metadata_decode_groups_per_cycle=g1)
        d2 = base.replace(metadata_bw_bits_per_cycle=b2, metadata_decode_groups_per_cycle=g2)
        assert cycles(d2, tr, mode) <= cycles(d1, tr, mode)

    return test


def prop_sized_for_widest(cycles):
    # A core sized for 8:16 runs exact 2:4, 4:8 and 8:16 masks of one shape in the same cycles.
    @SETTINGS
    @given(st.integers(0, 10**6), st.integers(1, 3), st.integers(1, 3), st.sampled_from([0, 9]), modes)
    def test(seed, t, groups, reach, mode):
        d = Design(lanes_per_pe=8, patterns=("2:4", "4:8", "8:16"), selector="window" if reach else "naive",
                   selector_reach=reach, **AMPLE)  # fmt: skip
        got = {p: cycles(d, trace_of(exact_mask(seed, p, t, 16 * groups), p), mode) for p in ("2:4", "4:8", "8:16")}
        assert len(set(got.values())) == 1, got

    return test


def prop_sized_for_2_4(cycles):
    # A core sized for 2:4 never runs 8:16 masks faster than 2:4 masks of the same shape.
    @SETTINGS
    @given(st.integers(0, 10**6), st.integers(1, 3), st.integers(1, 4), st.sampled_from([3, 4]), modes)
    def test(seed, t, groups, reach, mode):
        d = Design(lanes_per_pe=2, patterns=("2:4", "8:16"), lane_group=2, operand_budget=4, selector_reach=reach, **AMPLE)
        c24 = cycles(d, trace_of(exact_mask(seed, "2:4", t, 16 * groups), "2:4"), mode)
        c816 = cycles(d, trace_of(exact_mask(seed, "8:16", t, 16 * groups), "8:16"), mode)
        assert c816 >= c24

    return test


def _pop(bits):
    return np.array([bin(int(b)).count("1") for b in bits])


CASES = [
    ("cycles never grow with reach", prop_reach, with_table(lambda nh, mh, r, b: 4 * (r == mh))),
    ("cycles never grow with operand budget at fixed nh", prop_budget, with_table(lambda nh, mh, r, b: 4 * (mh >= 8))),
    ("cycles never grow with metadata bandwidth or decode rate", prop_metadata, inverted_metadata),
    ("2:4 = 4:8 = 8:16 on a core sized for 8:16", prop_sized_for_widest, with_table(lambda nh, mh, r, b: (b & 3) == 3)),
    ("8:16 never faster than 2:4 on a core sized for 2:4", prop_sized_for_2_4, with_table(lambda nh, mh, r, b: _pop(b) == 2)),
    ("double-buffered weights never cost cycles", prop_double_buffer, additive_fill),
]


@pytest.mark.parametrize("name,prop,bad", CASES, ids=[c[0] for c in CASES])
def test_property_holds(name, prop, bad):
    prop(good)()


@pytest.mark.parametrize("name,prop,bad", CASES, ids=[c[0] for c in CASES])
def test_property_rejects_wrong_implementation(name, prop, bad):
    with pytest.raises(AssertionError):
        prop(bad)()
