"""The named counts and kernel parameters (accelsim.sim.counts), and the Counts record simulate fills."""

import pytest

from accelsim.methods import MITIGATIONS, Mitigation
from accelsim.patterns import DENSE
from accelsim.sim import Design, counts, prepare, presets, simulate
from accelsim.sim.simulate import layer_params, run_params
from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace


def test_a_misordered_index_constant_fails_at_import(monkeypatch):
    counts._check_constants()  # the shipped constants follow their names
    monkeypatch.setattr(counts, "MACS_ISSUED", counts.MACS_USEFUL)
    with pytest.raises(ImportError, match="MACS_ISSUED must be 1"):
        counts._check_constants()
    monkeypatch.undo()
    monkeypatch.setattr(counts, "P_UNION_ALL", 0)
    with pytest.raises(ImportError, match="P_UNION_ALL"):
        counts._check_constants()


def test_layer_params_hold_each_value_at_its_named_index():
    t, k, o = 1, 96, 10
    prep = prepare(synthetic_trace([(t, k, o)], pattern="2:4", seed=0))
    ly = prep.layers[0]
    d = Design(pe_rows=2, pe_cols=4, lanes_per_pe=4, patterns=("2:4",), weight_buffer_kib=1, buffer_banks=3)
    p = layer_params(ly, run_params(d, prep.pattern, "decode", t), d, decode=True)
    assert (p[counts.P_T_ROWS], p[counts.P_K], p[counts.P_O], p[counts.P_TB]) == (t, k, o, 1)
    assert (p[counts.P_N], p[counts.P_GROUPS], p[counts.P_PE_COLS], p[counts.P_BANKS]) == (2, k // 4, 4, 3)
    assert (p[counts.P_SPARSE], p[counts.P_WS], p[counts.P_DECODE]) == (1, 1, 1)
    assert p[counts.P_UNION_ALL] == ly.union_all == k // 2  # a sparse run reads the kept rows only
    assert p[counts.P_WEIGHTS_FIT] == 1  # 96 x 10 int8 bytes fit 1 KiB
    dense = layer_params(ly, run_params(d, DENSE, "prefill", t), d, decode=False)
    assert (dense[counts.P_SPARSE], dense[counts.P_UNION_ALL], dense[counts.P_BITS_PER_PASS]) == (0, k, 0)
    big = layer_params(ly, run_params(d, prep.pattern, "prefill", t), d.replace(precision="fp16", weight_buffer_kib=1), False)
    assert big[counts.P_WEIGHTS_FIT] == 0 and big[counts.P_BPE] == 2  # 96 x 10 x 2 bytes > 1 KiB


def test_counts_record_relations_and_actions_view():
    trace = synthetic_trace([(16, 128, 8)], density=0.4, seed=2)
    r = simulate(presets["ampere-2:4"], trace)  # unstructured trace on a 2:4 core: overflow passes or dense
    c = r.counts
    assert c.macs_useful == r.macs_useful and c.macs_gated == c.macs_issued - c.macs_useful
    assert c.macs_skipped == max(0, 16 * 128 * 8 - c.macs_issued)
    assert c.selects == (c.macs_issued if str(r.run_pattern) == "2:4" else 0)
    assert r.actions["multiplier"] == {"useful": c.macs_useful, "gated": c.macs_gated, "skipped": c.macs_skipped}
    assert r.actions["dram"] == {"read_bytes": c.dram_read_bytes, "write_bytes": c.dram_write_bytes}
    dense = simulate(presets["dense"], trace).counts
    assert dense.selects == dense.compaction_groups == dense.meta_decodes == dense.meta_write_bits == 0


def test_mitigation_work_follows_the_registry_not_names(monkeypatch):
    # A method the simulator has never heard of: its needs come from its registry entry only.
    monkeypatch.setitem(MITIGATIONS, "toy", Mitigation("toy", unit="median", median_passes=3, epilogue=True))
    t, k, o = 3, 32, 8
    tr = synthetic_trace([(t, k, o)], pattern="8:16")
    tr = Trace(tr.run_id, tr.layers, {"config": {"pattern": "8:16", "mitigation": "toy"}})
    d = Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, patterns=("8:16",), mitigation_units=("median",))
    c = simulate(d, tr).counts
    assert (c.median_compares, c.epilogue_macs, c.variance_ops) == (3 * t * k, t * o, 0)
    assert simulate(d.replace(mitigation_units=("var",)), tr).counts.median_compares == 0  # its unit is absent
