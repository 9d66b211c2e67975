"""The simulator against closed forms and published tables (goldens computed independently here)."""

import math

import numpy as np
import pytest

from accelsim.patterns import Pattern
from accelsim.sim import Design, simulate
from accelsim.synthetic import synthetic_trace

pytestmark = pytest.mark.numba

# Bandwidths so large that only compute (and fill/drain) can bind.
AMPLE = dict(metadata_bw_bits_per_cycle=1 << 24, weight_bw_bytes_per_cycle=1 << 24, buffer_banks=1,
             compaction_groups_per_cycle=1 << 16, dram_bw_gb_per_s=1e6)  # fmt: skip


def test_dense_weight_stationary_cycles_equal_analytic_count():
    r, c, lanes = 4, 3, 2
    d = Design(pe_rows=r, pe_cols=c, lanes_per_pe=lanes, act_buffer_kib=1, **AMPLE)
    t, k, o = 70, 40, 10
    res = simulate(d, synthetic_trace([(t, k, o)], pattern="dense"))
    # Fold = (token block, K-tile of r*lanes channels, O-tile of c columns), each
    # block_tokens + r + c - 2 cycles (systolic stream plus fill and drain).
    tb = 1024 // (2 * r * lanes)
    blocks = [min(tb, t - s) for s in range(0, t, tb)]
    expect = math.ceil(k / (r * lanes)) * math.ceil(o / c) * sum(b + r + c - 2 for b in blocks)
    assert res.cycles == expect == res.cycles_by_cause["compute"]
    assert res.macs_useful == t * k * o
    assert res.pe_utilization == pytest.approx(t * k * o / (d.multipliers * expect))


def test_dense_output_stationary_cycles_equal_analytic_count():
    r, c, lanes = 4, 3, 2
    d = Design(pe_rows=r, pe_cols=c, lanes_per_pe=lanes, dataflow="output_stationary", **AMPLE)
    t, k, o = 10, 40, 7
    res = simulate(d, synthetic_trace([(t, k, o)], pattern="dense"))
    # Fold = (r tokens, c outputs): K streams lanes channels per cycle, plus fill/drain.
    expect = math.ceil(t / r) * math.ceil(o / c) * (math.ceil(k / lanes) + r + c - 2)
    assert res.cycles == expect


@pytest.mark.parametrize("pattern", ["2:4", "4:8", "8:16", "16:32"])
def test_every_50_percent_pattern_is_exactly_2x_compute_bound(pattern):
    base = Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, **AMPLE)
    trace = synthetic_trace([(40, 256, 6)], pattern=pattern, seed=3)
    dense = simulate(base, trace)
    sparse = simulate(base.replace(patterns=(pattern,)), trace)
    assert str(dense.run_pattern) == "dense" and str(sparse.run_pattern) == pattern
    assert dense.cycles == 2 * sparse.cycles
    # Half of the dense products are never issued; none are issued as zeros on an exact mask.
    assert sparse.actions["multiplier"] == {"useful": 40 * 128 * 6, "gated": 0, "skipped": 40 * 128 * 6}
    assert dense.actions["multiplier"] == {"useful": 40 * 128 * 6, "gated": 40 * 128 * 6, "skipped": 0}
    assert sparse.cycles_by_cause["compute"] == sparse.cycles
    # compute-bound speedup M/N for N = M/2
    assert Pattern.parse(pattern).ideal_speedup == 2.0


def _expected_passes(m: int, n: int, d: float) -> tuple[float, float]:
    """Mean and variance of max(1, ceil(x/n)), x ~ Binomial(m, d): exact sums."""
    pmf = [math.comb(m, x) * d**x * (1 - d) ** (m - x) for x in range(m + 1)]
    vals = [max(1, -(-x // n)) for x in range(m + 1)]
    mean = sum(p * v for p, v in zip(pmf, vals))
    return mean, sum(p * (v - mean) ** 2 for p, v in zip(pmf, vals))


# Speedup over dense of an N:M-50 % engine on Bernoulli(d) activations, (M/N) / E[max(1, ceil(x/N))] with
# x ~ Binomial(M, d), evaluated exactly by _expected_passes and rounded to two decimals (a hand table).
TABLE_5_4 = {0.50: (1.52, 1.47, 1.43, 1.40), 0.40: (1.70, 1.70, 1.75, 1.83),
             0.30: (1.85, 1.89, 1.95, 1.99), 0.25: (1.90, 1.95, 1.99, 2.00)}  # fmt: skip


@pytest.mark.parametrize("density", sorted(TABLE_5_4))
def test_bernoulli_table_5_4_reproduced(density):
    t, k = 48, 2048
    trace = synthetic_trace([(t, k, 1)], density=density, seed=11)
    for col, (n, m) in enumerate(((2, 4), (4, 8), (8, 16), (16, 32))):
        # One lane group per tile and no fill, so compute cycles = passes issued.
        d = Design(pe_rows=1, pe_cols=1, lanes_per_pe=n, patterns=(f"{n}:{m}",), **AMPLE)
        res = simulate(d, trace)
        assert str(res.run_pattern) == f"{n}:{m}"
        speedup = (t * k / n) / res.cycles  # a dense core with the same n lanes: t*k/n cycles
        mean, var = _expected_passes(m, n, density)
        groups = t * k // m
        # Sampling error of the mean pass count, propagated to the speedup (4 sigma).
        tol = 4 * math.sqrt(var / groups) * (m / n) / mean**2
        assert speedup == pytest.approx((m / n) / mean, abs=tol)
        assert (m / n) / mean == pytest.approx(TABLE_5_4[density][col], abs=0.006)  # the table's rounding


@pytest.mark.parametrize(
    "pattern, bits",
    [("2:4", {"index": 4, "bitmask": 4, "combinatorial": 3}), ("4:8", {"index": 12, "bitmask": 8, "combinatorial": 7}),
     ("8:16", {"index": 32, "bitmask": 16, "combinatorial": 14}), ("16:32", {"index": 80, "bitmask": 32, "combinatorial": 30})],
)  # fmt: skip
def test_metadata_bits_per_group_closed_forms(pattern, bits):
    # docs/hardware-anchors.md#52-metadata-bits-per-group
    t, k = 6, 64
    trace = synthetic_trace([(t, k, 4)], pattern=pattern, seed=0)
    m = Pattern.parse(pattern).m
    for fmt, per_group in bits.items():
        d = Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, patterns=(pattern,), metadata_format=fmt)
        res = simulate(d, trace)
        assert res.actions["metadata_buffer"]["write_bits"] == t * (k // m) * per_group


@pytest.mark.parametrize("precision, fraction", [("int8", 1 / 8), ("fp16", 1 / 16)])
def test_nvidia_2_4_metadata_fraction(precision, fraction):
    # Two 2-bit indices per group of four (Mishra et al., arXiv 2104.08378): docs/hardware-anchors.md#12-metadata-format, target 7.8
    t, k = 8, 128
    d = Design(pe_rows=2, pe_cols=2, lanes_per_pe=8, precision=precision, patterns=("2:4",), metadata_format="index")
    res = simulate(d, synthetic_trace([(t, k, 4)], pattern="2:4"))
    meta_bytes = res.actions["metadata_buffer"]["write_bits"] / 8
    assert meta_bytes == t * k * d.bytes_per_element * fraction


def test_decode_fetches_only_selected_weight_rows():
    t, k, o = 5, 256, 64
    base = Design(pe_rows=2, pe_cols=4, lanes_per_pe=8, weight_buffer_kib=1, **AMPLE)
    trace = synthetic_trace([(t, k, o)], pattern="8:16", seed=2)
    sparse = simulate(base.replace(patterns=("8:16",)), trace, mode="decode")
    dense = simulate(base, trace, mode="decode")
    # Each decode step reads W's kept rows only (K/2 of K), plus its activations and outputs.
    assert sparse.actions["weight_buffer"]["write_bytes"] == t * (k // 2) * o
    assert dense.actions["weight_buffer"]["write_bytes"] == t * k * o
    assert sparse.actions["dram"]["read_bytes"] == t * (k // 2) * o + t * k


def test_prefill_fetches_union_of_block_masks():
    t, k, o = 32, 64, 8
    mask = np.zeros((t, k), dtype=bool)
    mask[:, :8] = True  # every token keeps channels 0..7 only
    from accelsim.masks.packing import pack_mask
    from accelsim.traces import LayerTrace, Trace

    trace = Trace("u", (LayerTrace("l", k, o, "unstructured:0.125", pack_mask(mask)),), {})
    d = Design(pe_rows=1, pe_cols=8, lanes_per_pe=8, patterns=("unstructured:0.125",), weight_buffer_kib=1, **AMPLE)
    res = simulate(d, trace)
    assert res.actions["weight_buffer"]["write_bytes"] == 8 * o  # only the 8 rows any token needs


def test_bank_conflicts_appear_when_selected_rows_share_banks():
    t, k, o = 1, 64, 4
    mask = np.zeros((t, k), dtype=bool)
    mask[0, ::4] = True  # 16 kept rows, all in bank 0 of 4 banks
    from accelsim.masks.packing import pack_mask
    from accelsim.traces import LayerTrace, Trace

    trace = Trace("b", (LayerTrace("l", k, o, "unstructured:0.25", pack_mask(mask)),), {})
    d = Design(pe_rows=1, pe_cols=4, lanes_per_pe=16, patterns=("unstructured:0.25",), buffer_banks=4,
               weight_bw_bytes_per_cycle=4, metadata_bw_bits_per_cycle=1 << 20, dram_bw_gb_per_s=1e6)  # fmt: skip
    res = simulate(d, trace, mode="decode")
    # 16 rows x 4 bytes over 4 banks of 1 B/cycle: ideal 16 cycles, one bank serves all: 64.
    fill = 1 + 4 - 2
    assert res.cycles_by_cause["compute"] == 1 + fill
    assert res.cycles_by_cause["weight_bw"] == 16 - (1 + fill)
    assert res.cycles_by_cause["bank_conflict"] == 64 - 16
