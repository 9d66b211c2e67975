"""Front door of the simulator: ``simulate(design, trace, mode=...) -> SimResult``.

It counts (cycles, stall cycles by cause, the named :class:`~accelsim.sim.counts.Counts`);
it never prices (``accelsim.cost.price`` does, per component of ``accelsim.cost.components``).

Which mode a design runs a trace in (``SimResult.run_pattern``), never refusing a trace:

1. the trace's own pattern if the design supports it (dense always runs);
2. otherwise every supported pattern and dense are simulated and the one with the fewest
   total cycles wins (ties: dense first, then the order of ``Design.patterns``).  The run
   pattern sets the metadata, decode and compaction work; the cycles of a chunk come from
   the hardware (``Design.lane_mapping``: nh lanes, chunks of mh channels, reach r), so an
   8:16 trace on a core sized for 2:4 pays for its uneven chunks whatever pattern it runs in.

Mapping (per traced layer ``Y[T, O] = X[T, K] W[K, O]``; docs/sparse-core-model.md; walk.py
and kernels.py for the rules):

* weight-stationary: a tile is the K-slice one PE column covers, ``pe_rows * lanes / nh``
  lane groups of ``mh`` channels each, times ``pe_cols`` outputs; tokens stream through it in
  blocks of ``tb = act_buffer / (2 * slice)`` with ``slice = pe_rows * lanes * bytes`` (or its
  compacted size with ``compressed_activations``) (prefill; a double-buffered activation
  slice) or one token (decode).  Systolic fill and drain cost ``pe_rows + pe_cols - 2`` cycles
  per fold, plus the stages of a pipelined selector.  The weight rows loaded are the union of
  the block's masks (decode: only the token's kept rows).
* output-stationary: ``pe_rows`` tokens (decode: one) x ``pe_cols`` outputs; K streams in
  windows of ``lanes / nh`` chunks per pass, tokens in lockstep on the broadcast weights.

Each fold takes the longest of compute (+ operand_reach), weight delivery (rows x O-tile
bytes over ``weight_bw_bytes_per_cycle``; bank-limited when the rows crowd one of
``buffer_banks`` banks, row k in bank k mod banks), metadata delivery (bits per chunk-cycle
over ``metadata_bw_bits_per_cycle``) and metadata decode (decoder cycles per chunk-cycle);
the excess over compute is the stall of the binding cause.  Compaction of the next token
block overlaps the current one; DRAM is a roofline per layer (prefill) or per token
(decode), in cycles of the achievable clock (``Design.achievable_clock_ghz``), weights read
once when the layer fits the weight buffer.

Weight-sparse and dual-side cores (``Design.sparse_operand`` "weights" / "both"; docs/sparse-core-model.md,
section 5) run through ``accelsim.sim.weights``: they need a trace with weight masks (a ``--sparsify
weights`` or ``both`` capture) and raise a ValueError naming the trace otherwise.  Their activation
side follows rule 1-2 above (a weight core runs dense activations); their weight side runs the trace's
weight pattern when the design supports it, else the design's first (the cycles come from the masks).

A layer-adaptive trace (layers captured under different patterns, ``accelsim.plans``) runs each pattern's
layers as a uniform sub-trace by rules 1-2 and adds the results up (``accelsim.sim.mixed``; ``SimResult.parts``).

Several cores, a shared on-chip level (an L2) and a per-call launch overhead are optional
(``Design.cores``, ``l2_kib``, ``l2_bw_bytes_per_cycle``, ``launch_overhead_us``, ``bw_efficiency``):
``accelsim.sim.hierarchy`` re-times each layer from the kernel's outputs when any is set.

Not modelled: leakage, partial-sum storage (outputs are
assumed to accumulate in place), the cycles of the mitigation units (their work is counted),
and voltage changes with the design.
"""

from __future__ import annotations

import numpy as np

from accelsim.patterns import DENSE, Pattern
from accelsim.sim import kernels, walk
from accelsim.sim.chunks import TABLE_MAX_MH, chunk_table, reach_intervals
from accelsim.sim.counts import CAUSES, KERNEL_COUNTS, MACS_USEFUL, P_UNION_ALL, P_WEIGHT_DBUF, STATS
from accelsim.sim.derived import _derived_counts, comparisons_per_group, run_group_m  # noqa: F401  (re-exported)
from accelsim.sim.design import Design
from accelsim.sim.hierarchy import HierarchyInputs, apply_hierarchy
from accelsim.sim.mixed import combine, split_by_pattern
from accelsim.sim.params import (
    RunParams,
    _bits_per_group,  # noqa: F401  (re-exported)
    _out_kept,  # noqa: F401  (re-exported)
    chunk_kind,  # noqa: F401  (re-exported)
    decode_steps_per_group,  # noqa: F401  (re-exported)
    layer_params,
    run_params,
)
from accelsim.sim.prepared import PreparedLayer, PreparedTrace, prepare
from accelsim.sim.result import SimResult
from accelsim.traces import Trace

# SimResult (result.py), the run and layer parameters (params.py) and the derived counts (derived.py) are
# re-exported from here, their home before they had modules of their own.  ``_run_layers`` and ``kernel_tables``
# read ``layer_params`` and ``chunk_table`` from this module's namespace, so a test can patch them here
# (tests/unit/test_sim_properties.py).
__all__ = ["SimResult", "simulate", "MODES", "run_params", "layer_params", "RunParams"]

MODES = ("prefill", "decode")


def kernel_tables(rp: RunParams):
    """(ctab, ptab, rlo, rhi) of a run: the chunk table (or a stub), passes by kept count, reach intervals."""
    ptab = np.maximum(1, -(-np.arange(rp.mh + 1, dtype=np.int64) // rp.n))
    ctab = chunk_table(rp.n, rp.mh, rp.reach) if rp.sparse and rp.mh <= TABLE_MAX_MH else _STUB_TABLE
    if rp.sparse:
        rlo, rhi = reach_intervals(rp.n, rp.mh, rp.reach)
    else:
        rlo = rhi = np.zeros(max(1, rp.mh), dtype=np.int64)
    return ctab, ptab, rlo, rhi


_STUB_TABLE = np.zeros(1, dtype=np.int16)
_STUB_TABLE.setflags(write=False)  # read-only like chunk_table's tables: one kernel specialisation


def _stats_numba(layer: PreparedLayer, rp: RunParams, banks: int):
    nch = -(-layer.k // rp.mh)
    nb = -(-layer.t // rp.tb)
    nj = -(-nch // rp.groups_per_tile)
    # int32 keeps the cached statistics small (decode: one row per token); counts stay far below 2**31.
    arrs = [np.zeros((nb, nj), dtype=np.int32) for _ in STATS]
    ctab, ptab, rlo, rhi = kernel_tables(rp)
    n64, n8 = walk.scratch_sizes(layer.k, rp.mh, banks)
    scratch, bytes_scratch = np.zeros(n64, dtype=np.int64), np.zeros(n8, dtype=np.uint8)
    bytes_scratch[n8 // 2 :] = 0xFF
    kernels.tile_stats(
        layer.packed, layer.k, rp.mh, rp.kind, ctab, ptab, rlo, rhi, rp.full_reach, rp.tb, rp.groups_per_tile,
        rp.lockstep, banks, rp.sparse, kernels.POPCOUNT, kernels.SPREAD, scratch, bytes_scratch, *arrs,
    )  # fmt: skip
    return tuple(arrs)


def _layer_stats(design: Design, prep: PreparedTrace, rps: dict, engine: str):
    """Per-layer tile statistics of the Numba engine (cached on the prepared trace); None for the twin."""
    if engine != "numba":
        return None
    key = tuple(sorted((t, rp.n, rp.mh, rp.reach, rp.tb, rp.groups_per_tile, rp.lockstep, rp.sparse) for t, rp in rps.items()))
    key += (design.buffer_banks,)
    return prep.cached(key, lambda: [_stats_numba(ly, rps[ly.t], design.buffer_banks) for ly in prep.layers])


def _run_layers(design: Design, prep: PreparedTrace, pattern: Pattern, mode: str, engine: str):
    """(cause totals, kernel count totals, per-layer summaries) over the trace's layers."""
    decode = mode == "decode"
    dram_bytes_per_cycle = design.dram_bw_gb_per_s / design.achievable_clock_ghz
    # Every layer of a trace normally has the same T, so one RunParams serves all; recompute if not.
    rps = {ly.t: run_params(design, pattern, mode, ly.t) for ly in prep.layers}
    stats = _layer_stats(design, prep, rps, engine)
    total_cause = np.zeros(len(CAUSES), dtype=np.int64)
    total_counts = np.zeros(len(KERNEL_COUNTS), dtype=np.int64)
    total_l2 = {"l2_read_bytes": 0, "l2_write_bytes": 0}
    per_layer = []
    for i, ly in enumerate(prep.layers):
        if ly.t == 0:
            continue
        rp = rps[ly.t]
        params = layer_params(ly, rp, design, decode, pattern)
        if stats is not None:
            cause = np.zeros(len(CAUSES), dtype=np.int64)
            counts = np.zeros(len(KERNEL_COUNTS), dtype=np.int64)
            kernels.layer_timing(stats[i], params, dram_bytes_per_cycle, cause, counts)
        else:
            from accelsim.sim.reference import reference_layer

            cause, counts = reference_layer(ly, rp, params, dram_bytes_per_cycle)
        if design.hierarchical:
            from accelsim.sim.counts import DRAM_READ_BYTES, WBUF_WRITE_BYTES

            wf = int(counts[WBUF_WRITE_BYTES])
            once = rp.fill * (ly.t if decode else 1) if params[P_WEIGHT_DBUF] else 0  # kernels.layer_timing's rule
            h = HierarchyInputs(ly.t, ly.o, rp.tb, int(params[P_UNION_ALL]) * ly.o * design.bytes_per_element, wf,
                                int(counts[DRAM_READ_BYTES]) - wf, once)  # fmt: skip
            cause, counts, l2 = apply_hierarchy(design, h, decode, cause, counts)
            for key, v in l2.items():
                total_l2[key] += v
        total_cause += cause
        total_counts += counts
        per_layer.append(
            {"name": ly.name, "shape": (ly.t, ly.k, ly.o), "cycles": int(cause.sum()),
             "cycles_by_cause": dict(zip(CAUSES, (int(c) for c in cause))), "macs_useful": int(counts[MACS_USEFUL])}
        )  # fmt: skip
    return total_cause, total_counts, tuple(per_layer), total_l2


def _simulate_pattern(design: Design, prep: PreparedTrace, pattern: Pattern, mode: str, engine: str) -> SimResult:
    cause, kernel_counts, per_layer, l2 = _run_layers(design, prep, pattern, mode, engine)
    counts = _derived_counts(kernel_counts, design, prep, pattern, None, l2)
    cycles = int(cause.sum())
    mac_slots = design.multipliers * cycles
    return SimResult(
        cycles=cycles,
        cycles_by_cause=dict(zip(CAUSES, (int(c) for c in cause))),
        macs_useful=counts.macs_useful,
        mac_slots=mac_slots,
        pe_utilization=counts.macs_useful / mac_slots if mac_slots else 0.0,
        counts=counts,
        tokens=prep.tokens,
        run_pattern=pattern,
        mode=mode,
        design_name=design.name,
        clock_ghz=float(design.achievable_clock_ghz),
        per_layer=per_layer,
    )


def simulate(design: Design, trace: "Trace | PreparedTrace", *, mode: str = "prefill", engine: str = "numba") -> SimResult:
    """Simulate ``design`` on every layer of ``trace`` (see the module docstring for the rules).

    design: a :class:`Design` (e.g. ``accelsim.sim.presets["flex-8:16-window"]``).
    trace: a Trace or the PreparedTrace from :func:`prepare` (faster when reused).
    mode: "prefill" (the trace's T tokens as one batch) or "decode" (T batch-1 steps).
    engine: "numba" (default) or "reference" (the slow NumPy twin, for tests).
    """
    if not isinstance(design, Design):
        raise TypeError(f"design must be an accelsim.sim.Design (see accelsim.sim.presets), got {type(design).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if engine not in ("numba", "reference"):
        raise ValueError(f"engine must be 'numba' or 'reference', got {engine!r}")
    prep = prepare(trace)
    groups = split_by_pattern(prep)
    if len(groups) > 1:  # a layer-adaptive trace: each pattern's layers run by the rules below, then add up
        parts = [simulate(design, g, mode=mode, engine=engine) for g in groups]
        return combine(parts, tuple(ly.name for ly in prep.layers))
    if design.sparse_operand != "activations":
        return _simulate_weights(design, prep, mode, engine)
    if design.supports(prep.pattern):
        return _simulate_pattern(design, prep, prep.pattern, mode, engine)
    best = None
    for cand in (DENSE, *design.sparse_patterns):
        r = _simulate_pattern(design, prep, cand, mode, engine)
        if best is None or r.cycles < best.cycles:
            best = r
    return best


def _simulate_weights(design: Design, prep: PreparedTrace, mode: str, engine: str) -> SimResult:
    """A weight-sparse or dual-side core (``accelsim.sim.weights``): activation side by rules 1-2 of the module doc."""
    from accelsim.sim import weights as W

    W.check_weight_trace(design, prep.trace)
    wpat = W.run_weight_pattern(design, prep.trace)
    if design.sparse_operand == "weights":
        cands = (DENSE,)
    elif design.supports(prep.pattern):
        cands = (prep.pattern,)
    else:
        cands = (DENSE, *design.sparse_patterns)
    best = None
    for act in cands:
        cause, kernel_counts, wcounts, per_layer, l2 = W.simulate_weight_run(design, prep, act, wpat, mode, engine)
        counts = _derived_counts(kernel_counts, design, prep, act, wcounts, l2)
        cycles = int(cause.sum())
        mac_slots = design.multipliers * cycles
        r = SimResult(
            cycles=cycles, cycles_by_cause=dict(zip(CAUSES, (int(c) for c in cause))), macs_useful=counts.macs_useful,
            mac_slots=mac_slots, pe_utilization=counts.macs_useful / mac_slots if mac_slots else 0.0, counts=counts,
            tokens=prep.tokens, run_pattern=act, mode=mode, design_name=design.name, clock_ghz=float(design.achievable_clock_ghz),
            per_layer=per_layer, sparse_operand=design.sparse_operand, weight_pattern=wpat,
        )  # fmt: skip
        if best is None or r.cycles < best.cycles:
            best = r
    return best
