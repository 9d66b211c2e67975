"""Named design points.  All share one array (16 x 16 PEs x 8 lanes = 2048 multipliers, int8,
45 nm, 1 GHz) unless the name says otherwise, so they differ only in sparsity support.

* ``dense``: a dense tensor core (no selector, no metadata, no compaction).
* ``ampere-2:4``: NVIDIA-like 2:4 core: 2-bit index metadata (two 2-bit indices per group of
  four, as PyTorch's CUTLASS-compatible converter ``torch/sparse/_semi_structured_conversions.py``
  writes them), naive 4:1 mux.
* ``flex-8:16-naive`` / ``flex-8:16-window``: 2:4 + 4:8 + 8:16 with bitmask metadata (M bits
  per group: within 15 % of the information-theoretic minimum at 50 % density for every M, and
  half an index code's size at M = 16) and a 16:1 naive or 9:1 sorted-window selector.
* ``flex-sized-2:4`` / ``flex-sized-8:16``: 2:4 + 4:8 + 8:16 + 2:8 with bitmask metadata and a
  naive selector of full reach, the operand path sized for 2:4 (lane groups of 2 lanes offered
  chunks of 4 channels) or for 8:16 (8 lanes, chunks of 16): the same patterns, a different
  operand budget (docs/sparse-core-model.md, section 1).
* ``flex-n16``: N:16 at three densities (4:16, 8:16, 12:16) with bitmask metadata and a naive
  selector of full reach, lane groups of 4 offered 16 channels (sized for 4:16): the core a
  layer-adaptive plan (``accelsim.plans``) picks a density per layer on.
* ``nm-16:32``: 16:32 only, windowed 17:1 selector.
* ``unstructured-sigma``: bitmap metadata plus a per-PE crossbar over 16-channel segments
  (SIGMA-like flexibility upper bound).
* ``ampere-w2:4``: NVIDIA's sparse tensor core as shipped: **weights** pruned to 2:4 offline and
  stored compressed (values plus 2-bit indices, two per group of four: the CUTLASS metadata layout
  of ``torch/sparse/_semi_structured_conversions.py``), dense activations picked by a 4:1 mux per
  lane (lane groups of 2 offered 4 channels); needs a trace with weight masks (``--sparsify weights``).
* ``dual-8:16-w2:4``: dual-side: 8:16 activations (bitmask metadata) and 2:4 weights, a naive
  16:1 selector and lane groups of 4 offered 16 channels, sized for the intersection of the two
  (16 x 1/2 x 1/2 = 4 kept per chunk on average); needs a ``--sparsify both`` trace.
* ``dstc-4:16``: dual-side unstructured, DSTC-like (Wang et al., "Dual-side Sparse Tensor Core", ISCA 2021,
  arXiv 2105.09564): activations and weights both unstructured (bitmap metadata, ``unstructured:D`` on both
  sides), a full 16:1 crossbar per lane, lane groups of 4 lanes offered 16 channels (a 4x cap, sized for a
  quarter of the products kept), and ``lane_balance``: the operands reach the multipliers condensed, so a
  PE column's lane groups share its work (the outer product of condensed vectors) instead of each being
  bound to one chunk.  The 16:1 selector is pipelined (two more fill cycles per fold) to keep the
  dense clock, as DSTC keeps the tensor core's.  Needs a trace with weight masks (all-ones weight masks for dense B).
  Validated on DSTC's Fig. 21 (analysis/validation_dstc.py).
* ``h100-sm-2:4``: one H100 SM's tensor cores for validation: 4 x 512 = 2048 FP16 FMA per
  clock dense (989.4 TFLOPS / 132 SMs / 1.83 GHz / 2; NVIDIA H100 Tensor Core GPU datasheet,
  SXM5 FP16 dense), 2:4 index metadata,
  128 B/clk shared-memory bandwidth, a 1/132 share of 3.35 TB/s HBM3, 7 nm as the nearest node.
"""

from __future__ import annotations

from accelsim.sim.design import Design

__all__ = ["presets", "get_preset"]

_BASE = Design(name="dense")
_FLEX4 = ("2:4", "4:8", "8:16", "2:8")

presets: dict[str, Design] = {
    "dense": _BASE,
    "ampere-2:4": _BASE.replace(name="ampere-2:4", patterns=("2:4",), selector="naive", metadata_format="index"),
    "flex-8:16-naive": _BASE.replace(name="flex-8:16-naive", patterns=("2:4", "4:8", "8:16"), selector="naive"),
    "flex-8:16-window": _BASE.replace(name="flex-8:16-window", patterns=("2:4", "4:8", "8:16"), selector="window"),
    "flex-sized-2:4": _BASE.replace(name="flex-sized-2:4", patterns=_FLEX4, selector="naive", lane_group=2, operand_budget=4, selector_reach=4),
    "flex-sized-8:16": _BASE.replace(name="flex-sized-8:16", patterns=_FLEX4, selector="naive", lane_group=8, operand_budget=16, selector_reach=16),
    "flex-n16": _BASE.replace(name="flex-n16", patterns=("4:16", "8:16", "12:16"), selector="naive", lane_group=4, operand_budget=16,
                              selector_reach=16),
    "nm-16:32": _BASE.replace(name="nm-16:32", patterns=("16:32",), selector="window"),
    "unstructured-sigma": _BASE.replace(name="unstructured-sigma", patterns=("unstructured:0.5",), selector="naive"),
    "ampere-w2:4": _BASE.replace(name="ampere-w2:4", sparse_operand="weights", weight_patterns=("2:4",), selector="naive",
                                 metadata_format="index"),
    "dual-8:16-w2:4": _BASE.replace(name="dual-8:16-w2:4", patterns=("8:16",), sparse_operand="both", weight_patterns=("2:4",),
                                    selector="naive", metadata_format="bitmask", lane_group=4, operand_budget=16),
    "dstc-4:16": _BASE.replace(name="dstc-4:16", patterns=("unstructured:0.5",), sparse_operand="both",
                               weight_patterns=("unstructured:0.5",), selector="naive", metadata_format="bitmask",
                               lane_group=4, operand_budget=16, lane_balance=True, selector_pipelined=True),
    "h100-sm-2:4": Design(
        name="h100-sm-2:4",
        precision="fp16",
        patterns=("2:4",),
        metadata_format="index",
        weight_bw_bytes_per_cycle=128,
        act_buffer_kib=128,
        weight_buffer_kib=96,
        buffer_banks=32,
        dram_bw_gb_per_s=3350.0 / 132,
        clock_ghz=1.83,
        tech_nm=7,
    ),
}

# GPU-like chips (issue 9): 132 of the h100-sm-2:4 core (2048 FP16 FMA = 4096 FLOP per clock per SM: 989.4 dense
# TFLOPS / 132 / 1.83 GHz, NVIDIA H100 Tensor Core GPU datasheet, SXM5) sharing a 50 MB L2 (NVIDIA H100 datasheet;
# the H200 is the same GH100 die) of 5120 B/clock (A100: 7.2 TB/s L2 read bandwidth = 5120 B x 1.41 GHz,
# Table 3 of PMC10448217, as NVIDIA's "2.3x V100 L2 bandwidth") and HBM: H100 SXM 3.35 TB/s (datasheet), H200 4.8 TB/s (NVIDIA H200 product
# page).  The per-call overheads and the sparse kernel's bandwidth efficiency are measured, not published: see
# GPU_CALIBRATION and analysis/validation_gpu.py.
GPU_CALIBRATION = {
    # CUDA-graph replay of one call, launch-bound: the median single-call graph time of the SmolLM2-135M shapes of
    # analysis/data/h200_semistructured_v2.json (dense_graph_ms; act_graph_ms for the 2:4 kernel), which the
    # validation leaves out of its scored points.
    "launch_overhead_us_dense": 11.0,
    "launch_overhead_us_sparse": 12.7,  # 10.98 and 12.69 us
    # cuSPARSELt's activation-2:4 kernel (default alg_id 0, torch 2.11 / cuSPARSELt 0.8.0): its CTA tile and grid,
    # read from the kernel it launches (profiler, analysis/data/h200_sign_ci.json): sm90_xmma_sparse_gemm_..._
    # tilesize128x256x64_cgasize4x1x1 on a persistent grid of 30 x 4 = 120 CTAs (clusters of 4 fit 120 of the 132
    # SMs) once a call has more than 64 tiles; 256 tokens x 128 outputs per tile (the grid grows past 64 CTAs
    # where ceil(T / 256) x ceil(O / 128) passes 64: 4096 x 11008 at T = 1, 4096 x 4096 at T = 1024).
    "sparse_cta_tokens": 256,
    "sparse_cta_outputs": 128,
    "sparse_cta_slots": 120,
    # Fitted together (grid search, mean abs error of the speedup) on the even-indexed Llama-7B points of
    # h200_semistructured_v2.json, each point's speedup the mean over the H200 sessions that measured it (v2 and
    # h200_sign_ci*.json: three from T = 128, two below), and checked on the odd-indexed ones
    # (analysis/validation_gpu.py --calibrate): the fraction
    # of HBM bandwidth the kernel sustains, the DRAM bandwidth one of its CTAs pulls, and its compute rate relative to
    # the dense kernel's.  The two bandwidth constants bind the kernel's loads only (stores are posted:
    # accelsim/sim/hierarchy.py, Time).
    "bw_efficiency_sparse": 0.38,
    "core_dram_gb_per_s_sparse": 30.0,
    "compute_efficiency_sparse": 0.84,
}
_SM = presets["h100-sm-2:4"].replace(name="h100-sm", patterns=("dense",))


def _gpu(name: str, dram_gb_per_s: float, sparse: bool) -> Design:
    cal = GPU_CALIBRATION
    return _SM.replace(
        name=name, patterns=("2:4",) if sparse else ("dense",), cores=132, l2_kib=50 * 1024, l2_bw_bytes_per_cycle=5120,
        dram_bw_gb_per_s=dram_gb_per_s, launch_overhead_us=cal["launch_overhead_us_sparse" if sparse else "launch_overhead_us_dense"],
        bw_efficiency=cal["bw_efficiency_sparse"] if sparse else 1.0,
        compute_efficiency=cal["compute_efficiency_sparse"] if sparse else 1.0,
        # cuBLAS picks its tile per shape (split-K at small T) to fill all 132 SMs: the dense chip keeps the core's
        # own units, all cores and no per-core cap; the sparse kernel's fixed tile and grid are measured
        **({"cta_tokens": cal["sparse_cta_tokens"], "cta_outputs": cal["sparse_cta_outputs"], "cta_slots": cal["sparse_cta_slots"],
            "core_dram_gb_per_s": cal["core_dram_gb_per_s_sparse"]} if sparse else {}),
    )  # fmt: skip


presets.update({
    "h100-sxm": _gpu("h100-sxm", 3350.0, False),
    "h100-sxm-2:4": _gpu("h100-sxm-2:4", 3350.0, True),
    "h200": _gpu("h200", 4800.0, False),
    "h200-2:4": _gpu("h200-2:4", 4800.0, True),
})  # fmt: skip


def get_preset(name: str) -> Design:
    """The preset called ``name``; the error lists the known names."""
    try:
        return presets[name]
    except KeyError:
        raise KeyError(f"unknown design preset {name!r}; known: {sorted(presets)}") from None
