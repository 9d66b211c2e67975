"""The simulator's named outputs, declared once: stall causes, counts and the kernel's parameters.

The Numba kernel (``kernels.layer_timing``) and its NumPy twin (``reference.reference_layer``)
write into flat int64 arrays and read a flat int64 parameter array; the index of every slot
is a constant of this module, so neither side uses a bare integer.  ``simulate`` turns the
arrays into a :class:`Counts` record, and the cost model's components name the fields of
that record that their actions are (``accelsim.cost.components``).

Adding a count: add a field to :class:`Counts` (kernel counts first, in index order), and
for a kernel count an index constant below plus the lines of the kernel and the twin that
fill it; for a derived count, the line of ``derived._derived_counts`` that computes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["CAUSES", "Counts", "COUNT_NAMES", "KERNEL_COUNTS", "DERIVED_COUNTS", "LAYER_PARAMS", "STATS"]

# ------------------------------------------------------------------ stall causes
# Cycles by cause (they sum to the total); index constants of the kernel's ``cause`` array.
# compute: max(1, ceil(kept / nh)) per chunk (full reach) plus fill and drain; operand_reach: the
# cycles limited selector reach adds; metadata_decode: decoders slower than compute
# (docs/sparse-core-model.md, sections 1 and 2).
# l2_bw and launch: the shared on-chip level's bandwidth and the fixed per-call overhead (accelsim.sim.hierarchy;
# always 0 on a design without hierarchy fields).
CAUSES = ("compute", "operand_reach", "metadata_bw", "metadata_decode", "weight_bw", "bank_conflict", "compaction", "dram",
          "l2_bw", "launch")  # fmt: skip
(
    CAUSE_COMPUTE, CAUSE_OPERAND_REACH, CAUSE_METADATA_BW, CAUSE_METADATA_DECODE, CAUSE_WEIGHT_BW, CAUSE_BANK_CONFLICT,
    CAUSE_COMPACTION, CAUSE_DRAM, CAUSE_L2_BW, CAUSE_LAUNCH,
) = range(len(CAUSES))  # fmt: skip


# ------------------------------------------------------------------------ counts
@dataclass(frozen=True)
class Counts:
    """What one simulated run did, in events (all integers, summed over layers).

    The first fields are written by the kernel (and its twin) per layer; the rest are derived
    from them, the design and the trace by ``simulate``.
    """

    # --- kernel counts (index constants below, same order)
    macs_useful: int = 0  # products with a kept activation
    macs_issued: int = 0  # multiplier slots issued (useful + zero-holding, clock-gated)
    meta_read_bits: int = 0  # metadata bits read (once per O-tile)
    meta_write_bits: int = 0  # metadata bits written by compaction
    act_read_bytes: int = 0  # activation buffer reads (once per O-tile)
    act_write_bytes: int = 0  # activation buffer writes (compacted values)
    wbuf_read_bytes: int = 0  # weight buffer reads (rows delivered to the array)
    wbuf_write_bytes: int = 0  # weight buffer fills from DRAM
    dram_read_bytes: int = 0
    dram_write_bytes: int = 0
    compaction_groups: int = 0  # groups compacted (top-N selected and packed)
    meta_decodes: int = 0  # metadata records decoded (one per pass and O-tile)
    passes: int = 0  # lane-group cycles issued (a chunk taking c cycles counts c)
    # --- derived counts (derived._derived_counts)
    macs_gated: int = 0  # issued slots holding a zero: macs_issued - macs_useful
    macs_skipped: int = 0  # products of the dense GEMM never issued (what sparsity saved)
    selects: int = 0  # operand selections: macs_issued on a sparse run, 0 on a dense one
    compaction_comparisons: int = 0  # compare-exchanges of the compaction networks
    variance_ops: int = 0  # fused accumulates of the VAR unit
    median_compares: int = 0  # compares of the streaming median (D-PTS)
    epilogue_macs: int = 0  # multiply-accumulates of the rank-1 shift epilogue
    # weight-sparse and dual-side cores (accelsim.sim.weights; 0 on an activation core)
    wmeta_read_bits: int = 0  # weight metadata bits read into the array (once per fold, with the compressed weights)
    wmeta_write_bits: int = 0  # weight metadata bits filled from DRAM into the on-chip buffer
    wmeta_decodes: int = 0  # weight metadata records decoded (one per chunk and column per fold)
    # shared on-chip level (accelsim.sim.hierarchy; 0 without one)
    l2_read_bytes: int = 0  # bytes the cores' buffers read from the shared level
    l2_write_bytes: int = 0  # bytes written into it (outputs, and fills from DRAM)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


COUNT_NAMES = tuple(f.name for f in fields(Counts))
KERNEL_COUNTS = COUNT_NAMES[: COUNT_NAMES.index("passes") + 1]
DERIVED_COUNTS = COUNT_NAMES[len(KERNEL_COUNTS) :]

(
    MACS_USEFUL, MACS_ISSUED, META_READ_BITS, META_WRITE_BITS, ACT_READ_BYTES, ACT_WRITE_BYTES, WBUF_READ_BYTES,
    WBUF_WRITE_BYTES, DRAM_READ_BYTES, DRAM_WRITE_BYTES, COMPACTION_GROUPS, META_DECODES, PASSES,
) = range(len(KERNEL_COUNTS))  # fmt: skip


# ------------------------------------------------------------ kernel parameters
# int64 parameters of one layer for layer_timing (index constants, same order).
LAYER_PARAMS = (
    "t_rows",  # tokens of the layer (mask rows)
    "k",  # input channels
    "o",  # output channels
    "tb",  # tokens per block
    "groups",  # run-pattern groups per token row, ceil(k / m) (compaction)
    "n",  # multiplier lanes of a lane group (nh)
    "cyc_per_pass",  # cycles of one pass (output-stationary with n > lanes: > 1)
    "fill",  # systolic fill and drain cycles per fold (plus selector pipeline stages)
    "pe_cols",  # output columns of one O-tile
    "bytes_per_element",
    "weight_bw",  # weight buffer bytes per cycle
    "meta_bw",  # metadata bits per cycle
    "bits_per_pass",  # metadata bits of one chunk (the run pattern's bits per group scaled to mh)
    "decode_cyc",  # decoder cycles per chunk-cycle (metadata decode steps over the decode rate)
    "compaction_gpc",  # groups compacted per cycle
    "banks",  # weight buffer banks
    "sparse",  # 1: a sparse run (selection, metadata, compaction); 0: dense
    "ws",  # 1: weight-stationary; 0: output-stationary
    "decode",  # 1: decode (DRAM roofline per token); 0: prefill (per layer)
    "weights_fit",  # 1: the layer's weights fit the weight buffer (read from DRAM once)
    "union_all",  # channels kept by any token (k on a dense run)
    "compressed",  # 1: activations compacted in DRAM (values + metadata); 0: dense K-wide rows
    "in_meta_bits",  # metadata bits of one token's input row (compressed)
    "out_kept",  # output elements kept per token at the run pattern's density (compressed)
    "out_meta_bits",  # metadata bits of one token's compacted output row (compressed)
    "weight_dbuf",  # 1: weights double-buffered (weight-stationary): fill once per call, not per fold
)
(
    P_T_ROWS, P_K, P_O, P_TB, P_GROUPS, P_N, P_CYC_PER_PASS, P_FILL, P_PE_COLS, P_BPE, P_WEIGHT_BW, P_META_BW,
    P_BITS_PER_PASS, P_DECODE_CYC, P_COMPACTION_GPC, P_BANKS, P_SPARSE, P_WS, P_DECODE, P_WEIGHTS_FIT, P_UNION_ALL,
    P_COMPRESSED, P_IN_META_BITS, P_OUT_KEPT, P_OUT_META_BITS, P_WEIGHT_DBUF,
) = range(len(LAYER_PARAMS))  # fmt: skip

# Per (block, tile) statistics of tile_stats (kernels and twin), in this order.
STATS = ("work", "ideal", "passes", "nnz", "union", "bankmax")


def _check_constants() -> None:
    """Each index constant is the position of its name (a misordered edit fails at import)."""
    g = globals()
    for prefix, names in (("CAUSE_", CAUSES), ("", KERNEL_COUNTS), ("P_", LAYER_PARAMS)):
        for i, name in enumerate(names):
            const = prefix + ("BPE" if name == "bytes_per_element" else name.upper())
            if g.get(const) != i:
                raise ImportError(f"accelsim.sim.counts: constant {const} must be {i} (position of {name!r})")


_check_constants()
