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

from dataclasses import dataclass, field

import numpy as np

from accelsim.patterns import DENSE, Pattern
from accelsim.sim import kernels, walk
from accelsim.sim.chunks import TABLE_MAX_MH, chunk_table, full_reach, reach_intervals
from accelsim.sim.counts import CAUSES, KERNEL_COUNTS, LAYER_PARAMS, MACS_USEFUL, P_UNION_ALL, P_WEIGHT_DBUF, STATS, Counts
from accelsim.sim.design import Design
from accelsim.sim.hierarchy import HierarchyInputs, apply_hierarchy
from accelsim.sim.mixed import combine, split_by_pattern
from accelsim.sim.networks import bitonic_comparators
from accelsim.sim.prepared import PreparedLayer, PreparedTrace, prepare
from accelsim.traces import Trace

__all__ = ["SimResult", "simulate", "MODES", "run_params", "layer_params", "RunParams"]

MODES = ("prefill", "decode")


@dataclass(frozen=True)
class SimResult:
    """What one design did on one trace in one mode (counts only; units in names or docs).

    cycles: total clock cycles; cycles_by_cause: compute (incl. fill/drain), operand_reach,
    metadata_bw, metadata_decode, weight_bw, bank_conflict, compaction, dram - they sum to
    cycles.  clock_ghz: the design's achievable clock (``seconds`` uses it).  macs_useful: products
    with a kept activation; mac_slots: multipliers x cycles; pe_utilization = their ratio.
    counts: the named record of events (``accelsim.sim.counts.Counts``); ``actions`` shows
    them per cost component.  tokens: mask rows walked (decode: decode steps).  run_pattern:
    the Pattern the design ran the trace in (``str()`` gives its spelling, e.g. "8:16"), on the activation side;
    weight_pattern: the weights' (weight-sparse and dual-side cores).
    """

    cycles: int
    cycles_by_cause: dict[str, int]
    macs_useful: int
    mac_slots: int
    pe_utilization: float
    counts: Counts
    tokens: int
    run_pattern: Pattern
    mode: str = "prefill"
    design_name: str = ""
    clock_ghz: float = 1.0
    per_layer: tuple = field(default=(), repr=False)
    sparse_operand: str = "activations"  # the design's: activations, weights or both
    weight_pattern: Pattern | None = None  # the weight pattern a weight or dual-side run used (None: dense weights)
    parts: tuple = field(default=(), repr=False)  # per-pattern group results of a layer-adaptive trace (sim/mixed.py)

    def __repr__(self) -> str:
        stalls = {k: v for k, v in self.cycles_by_cause.items() if v and k != "compute"}
        return (f"SimResult({self.design_name!r}, {self.mode}, ran {self.run_pattern}: {self.cycles:,} cycles "
                f"({self.cycles_per_token:,.1f}/token) at {self.clock_ghz:.3g} GHz, PE utilization {self.pe_utilization:.1%}, "
                f"stalls {stalls or 'none'})")

    @property
    def actions(self) -> dict[str, dict[str, int]]:
        """component -> action -> count, as the cost model's components read ``counts``."""
        from accelsim.cost.components import actions_of  # the components declare which count each action is

        return actions_of(self.counts)

    @property
    def run_patterns(self) -> tuple[Pattern, ...]:
        """Every run pattern of the result: one, or one per pattern group of a layer-adaptive trace."""
        return tuple(dict.fromkeys(p.run_pattern for p in self.parts)) if self.parts else (self.run_pattern,)

    @property
    def seconds(self) -> float:
        """Wall time at the design's achievable clock."""
        return self.cycles / (self.clock_ghz * 1e9)

    @property
    def cycles_per_token(self) -> float:
        return self.cycles / self.tokens if self.tokens else 0.0


@dataclass(frozen=True)
class RunParams:
    """Kernel parameters for one design, run pattern, mode and token count.

    n, mh, reach: lane group, chunk (operand budget) and selector reach of the run; m: the run
    pattern's own group (compaction, metadata); groups_per_tile: chunks per tile; kind: how the
    kernel reads a chunk (``walk.KIND_*``); bits_per_pass: metadata bits of one chunk;
    decode_cyc: decoder cycles per chunk-cycle.
    """

    n: int
    m: int
    mh: int
    reach: int
    tb: int
    groups_per_tile: int
    cyc_per_pass: int
    lockstep: int
    sparse: int
    bits_per_pass: int
    decode_cyc: int
    fill: int
    kind: int

    @property
    def full_reach(self) -> bool:
        """The reach never costs a cycle (``chunks.full_reach``): the kernels skip the ideal count."""
        return full_reach(self.n, self.mh, self.reach) if self.sparse else True


def _bits_per_group(design: Design, p: Pattern, m: int) -> int:
    """Metadata bits of one group of the run pattern (unstructured: a bitmap over its segment)."""
    if p.kind == "nm":
        return p.metadata_bits_per_group(design.metadata_format)
    return m if p.kind == "unstructured" else 0


def decode_steps_per_group(design: Design, p: Pattern) -> int:
    """Decoder steps per group: 1 for index and bitmask codes and for combinatorial codes of at most
    8 bits (a table); N for longer combinatorial codes (serial unranking, Knuth TAOCP 4A 7.2.1.3)."""
    if p.kind == "nm" and design.metadata_format == "combinatorial" and p.metadata_bits_per_group("combinatorial") > 8:
        return p.n
    return 1


def chunk_kind(nh: int, mh: int, reach: int) -> int:
    """How the kernel reads a chunk of mh channels (walk.KIND_*)."""
    if mh <= TABLE_MAX_MH:
        return {4: walk.KIND_NIBBLE, 8: walk.KIND_BYTE, 16: walk.KIND_WORD}.get(mh, walk.KIND_TABLE)
    return walk.KIND_POPCOUNT if full_reach(nh, mh, reach) else walk.KIND_GREEDY


def run_params(design: Design, pattern: Pattern, mode: str, t_rows: int) -> RunParams:
    """Lane group, chunk, block and tile sizes (see module docstring)."""
    p = pattern
    n, mh, reach = design.lane_mapping(p)
    m = p.m if p.kind == "nm" else mh
    sparse = int(p.kind != "dense")
    ws = design.dataflow == "weight_stationary"
    column = design.pe_rows * design.lanes_per_pe
    bpe = design.bytes_per_element
    bits_pg = _bits_per_group(design, p, m)
    slice_bytes = column * bpe  # one token's activation slice in the buffer (double-buffered)
    if sparse and design.compressed_activations:
        slice_bytes = max(1, -(-(column * (bpe * 8 * p.density * m + bits_pg)) // (8 * m)))
        slice_bytes = int(slice_bytes)
    if ws:
        gpt, cpp = column // n, 1
        tb = max(1, min(max(t_rows, 1), design.act_buffer_kib * 1024 // (2 * slice_bytes)))
    else:
        gpt, cpp = max(1, design.lanes_per_pe // n), max(1, n // design.lanes_per_pe)
        tb = max(1, min(max(t_rows, 1), design.pe_rows))
    if mode == "decode":
        tb = 1
    bits = -(-bits_pg * mh // m) if sparse else 0
    dec = max(1, -(-decode_steps_per_group(design, p) * mh // (m * design.resolved_decode_groups_per_cycle)))
    fill = design.pe_rows + design.pe_cols - 2 + design.selector_pipeline_stages
    return RunParams(n, m, mh, reach, tb, gpt, cpp, int(not ws), sparse, bits, dec, fill, chunk_kind(n, mh, reach))


def _out_kept(p: Pattern, o: int) -> int:
    """Outputs of one token kept at the run pattern's density (the next layer's compacted input)."""
    if p.kind == "nm":
        return o // p.m * p.n + min(p.n, o % p.m)
    return p.kept_per_row(o)


def layer_params(layer: PreparedLayer, rp: RunParams, design: Design, decode: bool, pattern: Pattern = DENSE) -> np.ndarray:
    """The int64 parameter array of ``kernels.layer_timing`` (indexed by ``counts.P_*``)."""
    bpe = design.bytes_per_element
    bits_pg = _bits_per_group(design, pattern, rp.m)
    values = {
        "t_rows": layer.t, "k": layer.k, "o": layer.o, "tb": rp.tb, "groups": -(-layer.k // rp.m), "n": rp.n,
        "cyc_per_pass": rp.cyc_per_pass, "fill": rp.fill, "pe_cols": design.pe_cols, "bytes_per_element": bpe,
        "weight_bw": design.weight_bw_bytes_per_cycle, "meta_bw": design.metadata_bw_bits_per_cycle,
        "bits_per_pass": rp.bits_per_pass, "decode_cyc": rp.decode_cyc,
        "compaction_gpc": design.compaction_groups_per_cycle, "banks": design.buffer_banks, "sparse": rp.sparse,
        "ws": int(rp.lockstep == 0), "decode": int(decode),
        "weights_fit": int(layer.k * layer.o * bpe <= design.weight_buffer_kib * 1024),
        "union_all": layer.union_all if rp.sparse else layer.k,
        "compressed": int(design.compressed_activations and rp.sparse),
        "in_meta_bits": -(-layer.k // rp.m) * bits_pg if rp.sparse else 0,
        "out_kept": _out_kept(pattern, layer.o) if rp.sparse else layer.o,
        "out_meta_bits": -(-layer.o // rp.m) * bits_pg if rp.sparse else 0,
        "weight_dbuf": int(design.weight_double_buffer and rp.lockstep == 0),
    }  # fmt: skip
    return np.array([values[name] for name in LAYER_PARAMS], dtype=np.int64)


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


def comparisons_per_group(m: int, topn: bool) -> int:
    """Comparators of the compaction unit per group of m channels.

    Top-N selection: a bitonic sorting network on m inputs rounded up to a power of two
    (``networks.bitonic_comparators``).  Natural zeros (no top-N): one compare-with-zero per channel.
    """
    return bitonic_comparators(m) if topn else m


def _derived_counts(kernel_counts: np.ndarray, design: Design, prep: PreparedTrace, pattern: Pattern, weights: dict | None = None,
                    l2: dict | None = None) -> Counts:  # fmt: skip
    """The Counts record: the kernel's counts plus those derived from them, the design and the trace.

    weights: the weight-metadata counts of a weight or dual-side run (``accelsim.sim.weights``); every product
    is then selected (the weight side is sparse even when the activations run dense).  l2: the shared level's
    counts (``accelsim.sim.hierarchy``; absent without one).
    """
    k = dict(zip(KERNEL_COUNTS, (int(x) for x in kernel_counts)))
    dense_macs = sum(ly.t * ly.k * ly.o for ly in prep.layers)
    # Top-N compaction sorts a group when the run pattern is the N:M pattern the trace was pruned to.
    topn = pattern.kind == "nm" and prep.pattern == pattern
    # Mitigation work the trace's method needs (accelsim.methods), counted when the design has its unit.
    # Its cycles run beside the GEMM and are not modelled.
    mit = prep.mitigation
    has_unit = mit.unit is not None and mit.unit in design.mitigation_units
    k_tokens = sum(ly.t * ly.k for ly in prep.layers)  # input elements over all tokens
    o_tokens = sum(ly.t * ly.o for ly in prep.layers)  # outputs over all tokens
    return Counts(
        **k,
        macs_gated=k["macs_issued"] - k["macs_useful"],
        macs_skipped=max(0, dense_macs - k["macs_issued"]),
        selects=k["macs_issued"] if pattern.kind != "dense" or weights is not None else 0,
        compaction_comparisons=k["compaction_groups"] * comparisons_per_group(run_group_m(design, pattern), topn),
        variance_ops=mit.variance_passes * k_tokens if has_unit else 0,
        median_compares=mit.median_passes * k_tokens if has_unit else 0,
        epilogue_macs=o_tokens if has_unit and mit.epilogue else 0,
        **(weights or {}),
        **(l2 or {}),
    )


def run_group_m(design: Design, pattern: Pattern) -> int:
    """Channels of one group of the run pattern: M of N:M; an unstructured run's chunk; dense 0."""
    if pattern.kind == "nm":
        return pattern.m
    return design.lane_mapping(pattern)[1] if pattern.kind == "unstructured" else 0


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
