"""Weight-sparse and dual-side cores (docs/sparse-core-model.md, section 5): tile statistics and fold timing.

``Design.sparse_operand`` says what the core skips:

* ``activations`` (default): the rest of the simulator (``walk``, ``kernels``).
* ``weights`` (Ampere/Hopper-like): activations are dense; the weights are pruned and compressed
  offline (kept values plus metadata, read compressed from DRAM and held compressed in the weight
  buffer).  A PE column's lane group holds the kept weights of one chunk of ``mh`` input channels
  of its output and picks the matching activations by the weight metadata, so its cycles per token
  are the chunk table's cycles of the **weight** chunk's bits (static over tokens).
* ``both`` (dual-side): the work of a chunk for token ``t`` and output ``o`` is the intersection of
  the token's and the column's kept positions: ``cycles(act_bits[t, c] & weight_bits[o, c])`` from
  the same chunk table (``accelsim.sim.chunks``).

Weight patterns are N:M or ``unstructured:D`` (weights pruned offline to any mask, a DSTC-like core:
Wang et al., ISCA 2021, arXiv 2105.09564).  An unstructured weight pattern's metadata is a bitmap of
``mh`` bits per chunk (group = chunk), decoded in one step; its cycles, like an N:M pattern's, come from
the masks alone, so lane count and load balance follow the real kept positions of every chunk.

Fold rules (the dataflow rules of ``simulate``, with per-column work):

* weight-stationary: every (lane group, column) pair is decoupled by FIFOs over the token block, as
  the lane groups along a column already are on an activation core (``walk.tile_stats``), so a
  fold's work is ``max over the tile's chunks c and the O-tile's columns o of (sum over the block's
  tokens t of cycles(t, o, c))``: the slowest column's chunk, summed over the block.  Weights only:
  ``tokens x max over (c, o)`` (the weights' cycles are static).  (Columns in lockstep per token, the
  alternative, would take the slowest column per token: with 16 columns an intersection of 8:16
  and 2:4 then almost always has one column at the 2-cycle worst case, and dual-side never beats
  either single side.)
* output-stationary: every PE of the array works in lockstep on one broadcast per cycle, so a
  fold's work is the max over the block's tokens, the K window's chunks and the O-tile's columns.

``ideal`` is the same with each chunk at ``max(1, ceil(kept / nh))`` (full reach); the difference is
the ``operand_reach`` stall.  With all-ones weight masks both rules reduce to the activation rules.

Per fold (block, tile, O-tile) the time is the longest of compute (+ reach), compressed weight
delivery (the tile's kept weights x bytes over ``weight_bw_bytes_per_cycle``; compressed weights are
packed densely, so no bank conflicts), metadata delivery (the weight tile's metadata, plus on a
dual-side run the activations' per chunk-cycle as on an activation run, over
``metadata_bw_bits_per_cycle``) and metadata decode (weight-stationary: the activation side as on
an activation run plus ``ot x`` the weight code's decode cycles per chunk, each of the tile's
decoders decoding its chunk for every column as the fold's weights load; output-stationary, where
the weights stream every pass: a decoder per column beside the activations', ``work x`` the slower
of the two codes' decode cycles).  ``wmeta_decodes`` counts one decode per chunk and column per fold.  No online compaction for the weights; a dual-side run
compacts its activations as an activation run does.  DRAM: the compressed weights (kept values plus
metadata), once per layer when they fit the weight buffer, plus activations (dense rows on a
weight-only run; as on an activation run on a dual-side run).

Cost: weights only is O x K / mh table lookups per layer (the tokens only multiply); dual-side is
T x O x K / mh lookups (2048 x 4096 x 4096 at mh = 16: 2.1e9, a few seconds per layer on one core):
fine for traces of a few hundred tokens, slow for whole prefill traces.
The NumPy twin (``accelsim.sim.reference.reference_weight_stats`` / ``reference_weight_timing``) restates every rule with
Hall's condition and plain Python loops; the tests require exact equality.
"""

from __future__ import annotations

import numpy as np

from accelsim.patterns import Pattern
from accelsim.sim import counts as C
from accelsim.sim.params import _bits_per_group, _out_kept
from accelsim.sim.reference import reference_weight_stats, reference_weight_timing
from accelsim.sim.weight_params import SPARSE_OPERANDS, WeightRunParams, weight_run_params
from accelsim.sim.weight_stats import WSTATS, WTILE, chunk_values, weight_stats  # noqa: F401  (WTILE re-exported)
from accelsim.sim.weight_timing import weight_timing

# The parts live in modules of their own and are re-exported here: the run parameters (weight_params.py), the
# Numba kernels (weight_kernels.py) behind the tile statistics (weight_stats.py), and the fold timing
# (weight_timing.py).  This module keeps the path from ``simulate`` through them.
__all__ = [
    "SPARSE_OPERANDS", "WeightRunParams", "WSTATS", "chunk_values", "weight_stats", "weight_timing",
    "reference_weight_stats", "reference_weight_timing",
]  # fmt: skip


# ----------------------------------------------------------------------------- the simulate path
def _block_kept(mask_rows_kept: np.ndarray, tb: int) -> np.ndarray:
    """Kept activations per block of ``tb`` tokens from per-token kept counts."""
    t = mask_rows_kept.shape[0]
    nb = -(-t // tb)
    pad = np.zeros(nb * tb, dtype=np.int64)
    pad[:t] = mask_rows_kept
    return pad.reshape(nb, tb).sum(axis=1)


def missing_weight_masks(trace) -> list[str]:
    """Names of the trace's layers without a weight mask."""
    return [ly.name for ly in trace.layers if ly.weight_mask is None]


def check_weight_trace(design, trace) -> None:
    """ValueError naming the trace and what to capture when a weight-sparse or dual-side design gets a trace
    without weight masks (an activation-only capture): the weights it would skip are not in the trace."""
    missing = missing_weight_masks(trace)
    if missing:
        raise ValueError(
            f"design {design.name!r} (sparse_operand={design.sparse_operand!r}) skips weight zeros, but trace {trace.run_id!r} "
            f"stores no weight masks ({len(missing)} of {len(trace.layers)} layers, e.g. {missing[0]!r}); capture one with "
            "`python -m accelsim.capture --sparsify weights` (weight pruning) or `--sparsify both` (dual-side), or build "
            "one with accelsim.synthetic.synthetic_trace(..., weight_pattern='2:4')"
        )


def run_weight_pattern(design, trace) -> Pattern:
    """The weight pattern a run uses: the trace's when the design supports it, else the design's first.

    The cycles always come from the real weight masks (a chunk holding more kept weights than its lane group
    takes more cycles); the pattern sets the metadata bits and decode steps.
    """
    pats = [ly.weight_pattern for ly in trace.layers if ly.weight_pattern is not None]
    own = pats[0] if pats else None
    return own if own is not None and own in design.weight_patterns else design.weight_patterns[0]


def simulate_weight_run(design, prep, act: Pattern, wpat: Pattern, mode: str, engine: str):
    """(cause totals, kernel count totals, weight-metadata counts, per-layer summaries) of one weight or dual-side run."""
    from accelsim.masks.packing import unpack_mask
    from accelsim.masks.stats import POPCOUNT

    decode = mode == "decode"
    cause_t = np.zeros(len(C.CAUSES), dtype=np.int64)
    cnt_t = np.zeros(len(C.KERNEL_COUNTS), dtype=np.int64)
    extra_t = {"wmeta_read_bits": 0, "wmeta_write_bits": 0, "wmeta_decodes": 0}
    l2_t = {"l2_read_bytes": 0, "l2_write_bytes": 0}
    per_layer = []
    wps = {ly.t: weight_run_params(design, act, wpat, mode, ly.t) for ly in prep.layers}
    key = ("weights", design.sparse_operand, str(act), design.pe_cols,
           tuple(sorted((t, w.n, w.mh, w.reach, w.tb, w.cpt, w.lockstep, w.act_sparse, w.balance) for t, w in wps.items())))  # fmt: skip
    if engine == "numba":
        stats = prep.cached(key, lambda: [
            weight_stats(ly.packed if wps[ly.t].act_sparse else None, np.ascontiguousarray(tl.weight_mask), ly.k, wps[ly.t],
                         design.pe_cols, t_rows=ly.t)
            for ly, tl in zip(prep.layers, prep.trace.layers)])  # fmt: skip
    for i, (ly, tl) in enumerate(zip(prep.layers, prep.trace.layers)):
        if ly.t == 0:
            continue
        wr = wps[ly.t]
        bits_pg = _bits_per_group(design, act, wr.act_m) if wr.act_sparse else 0
        out_kept = _out_kept(act, ly.o) if wr.act_sparse else ly.o
        out_meta = -(-ly.o // wr.act_m) * bits_pg if wr.act_sparse else 0
        if engine == "numba":
            kept = _block_kept(POPCOUNT[ly.packed].sum(axis=1, dtype=np.int64), wr.tb)
            cause, cnt, extra = weight_timing(stats[i], wr, design, ly.t, ly.k, ly.o, kept, decode, out_kept, out_meta)
        else:
            act_mask = unpack_mask(ly.packed, ly.k)
            kept = [int(act_mask[b : b + wr.tb].sum()) for b in range(0, ly.t, wr.tb)]
            st = reference_weight_stats(act_mask if wr.act_sparse else None, unpack_mask(tl.weight_mask, ly.k), wr, design.pe_cols,
                                        t_rows=ly.t)  # fmt: skip
            cause, cnt, extra = reference_weight_timing(st, wr, design, ly.t, ly.k, ly.o, kept, decode, out_kept, out_meta)
        if design.hierarchical:
            cause, cnt = _hierarchy(design, ly, wr, decode, cause, cnt, extra, l2_t)
        cause_t += cause
        cnt_t += cnt
        for kk, v in extra.items():
            extra_t[kk] += int(v)
        per_layer.append({"name": ly.name, "shape": (ly.t, ly.k, ly.o), "cycles": int(cause.sum()),
                          "cycles_by_cause": dict(zip(C.CAUSES, (int(c) for c in cause))), "macs_useful": int(cnt[C.MACS_USEFUL])})  # fmt: skip
    return cause_t, cnt_t, extra_t, tuple(per_layer), l2_t


def _hierarchy(design, ly, wr, decode: bool, cause, cnt, extra: dict, l2_t: dict):
    """A layer re-timed by ``accelsim.sim.hierarchy``: compressed weights (values plus metadata) once per load."""
    from accelsim.sim.hierarchy import HierarchyInputs, apply_hierarchy

    nb = -(-ly.t // wr.tb)
    w_meta = int(extra["wmeta_read_bits"]) // nb  # metadata bits of the layer's weights
    loads = int(extra["wmeta_write_bits"]) // w_meta if w_meta else 1
    w_once = int(cnt[C.WBUF_WRITE_BYTES]) // max(1, loads) + -(-w_meta // 8)
    fetch = loads * w_once
    h = HierarchyInputs(ly.t, ly.o, wr.tb, w_once, fetch, int(cnt[C.DRAM_READ_BYTES]) - fetch)
    cause, cnt, l2 = apply_hierarchy(design, h, decode, cause, cnt)
    for key, v in l2.items():
        l2_t[key] += v
    return cause, cnt
