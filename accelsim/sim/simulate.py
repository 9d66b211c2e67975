"""Front door of the simulator: ``simulate(design, trace, mode=...) -> SimResult``.

It counts (cycles, stall cycles by cause, actions per component); it never prices
(``accelsim.cost.price`` does).

Which mode a design runs a trace in (``SimResult.run_pattern``), never refusing a trace:

1. the trace's own pattern if the design supports it (dense always runs);
2. otherwise every supported pattern and dense are simulated and the one with the fewest
   total cycles wins (ties: dense first, then the order of ``Design.patterns``).  A group
   holding x kept channels then costs ``max(1, ceil(x / N))`` passes (so an 8:16 trace on a
   2:4 core, or an unstructured trace on any N:M core, pays its overflow passes, and a
   dense core runs every channel).

Mapping (per traced layer ``Y[T, O] = X[T, K] W[K, O]``; see kernels.py for the rules):

* weight-stationary: a tile is the K-slice one PE column covers, ``pe_rows * lanes / n``
  lane groups of ``m`` channels each, times ``pe_cols`` outputs; tokens stream through it in
  blocks of ``tb = act_buffer / (2 * pe_rows * lanes * bytes)`` (prefill; a double-buffered
  activation slice) or one token (decode).  Systolic fill and drain cost
  ``pe_rows + pe_cols - 2`` cycles per fold.  The weight rows loaded are the union of the
  block's masks (decode: only the token's kept rows).
* output-stationary: ``pe_rows`` tokens (decode: one) x ``pe_cols`` outputs; K streams in
  windows of ``lanes / n`` groups per pass, tokens in lockstep on the broadcast weights.

Each fold takes the longest of compute, weight delivery (rows x O-tile bytes over
``weight_bw_bytes_per_cycle``; bank-limited when the rows crowd one of ``buffer_banks``
banks, row k in bank k mod banks) and metadata delivery (records x bits over
``metadata_bw_bits_per_cycle``); the excess over compute is the stall of the binding cause.
Compaction of the next token block overlaps the current one; DRAM is a roofline per layer
(prefill) or per token (decode), weights read once when the layer fits the weight buffer.

Not modelled: leakage, an L2 or other cache level, partial-sum storage (outputs are
assumed to accumulate in place), the cycles of the mitigation units (their work is counted),
and clock or voltage changes with the design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from accelsim.patterns import Pattern
from accelsim.sim import kernels
from accelsim.sim.design import Design
from accelsim.sim.prepared import PreparedTrace, prepare
from accelsim.traces import Trace

__all__ = ["SimResult", "simulate", "MODES", "run_params", "COMPONENT_ACTIONS"]

MODES = ("prefill", "decode")

# component -> actions, always all present (zeros where a design lacks the component).
COMPONENT_ACTIONS = {
    "multiplier": ("useful", "gated", "skipped"),
    "adder": ("accumulate",),
    "selector": ("select",),
    "register": ("weight_write_bytes", "operand_reads"),
    "metadata_decoder": ("decode",),
    "metadata_buffer": ("read_bits", "write_bits"),
    "act_buffer": ("read_bytes", "write_bytes"),
    "weight_buffer": ("read_bytes", "write_bytes"),
    "compaction": ("groups", "comparisons"),
    "var_unit": ("ops",),
    "median_unit": ("compares", "epilogue_macs"),
    "dram": ("read_bytes", "write_bytes"),
}


@dataclass(frozen=True)
class SimResult:
    """What one design did on one trace in one mode (counts only; units in names or docs).

    cycles: total clock cycles; cycles_by_cause: compute (incl. fill/drain), metadata_bw,
    weight_bw, bank_conflict, compaction, dram - they sum to cycles.  macs_useful: products
    with a kept activation; mac_slots: multipliers x cycles; pe_utilization = their ratio.
    actions: component -> action -> count (see COMPONENT_ACTIONS).  tokens: mask rows walked
    (decode: decode steps).  run_pattern: the pattern the design ran the trace in.
    """

    cycles: int
    cycles_by_cause: dict[str, int]
    macs_useful: int
    mac_slots: int
    pe_utilization: float
    actions: dict[str, dict[str, int]]
    tokens: int
    run_pattern: str
    mode: str = "prefill"
    design_name: str = ""
    clock_ghz: float = 1.0
    per_layer: tuple = field(default=(), repr=False)

    @property
    def seconds(self) -> float:
        """Wall time at the design's clock."""
        return self.cycles / (self.clock_ghz * 1e9)

    @property
    def cycles_per_token(self) -> float:
        return self.cycles / self.tokens if self.tokens else 0.0


@dataclass(frozen=True)
class RunParams:
    """Kernel parameters for one design, run pattern, mode and token count."""

    n: int
    m: int
    tb: int
    groups_per_tile: int
    cyc_per_pass: int
    lockstep: int
    sparse: int
    bits_per_pass: int
    fill: int


def run_params(design: Design, pattern: "Pattern | str", mode: str, t_rows: int) -> RunParams:
    """Lane group, block and tile sizes (see module docstring)."""
    p = Pattern.parse(pattern)
    n, m = design.lane_group(p)
    sparse = int(p.kind != "dense")
    ws = design.dataflow == "weight_stationary"
    column = design.pe_rows * design.lanes_per_pe
    if ws:
        gpt, cpp = column // n, 1
        tb = max(1, min(max(t_rows, 1), design.act_buffer_kib * 1024 // (2 * column * design.bytes_per_element)))
    else:
        gpt, cpp = max(1, design.lanes_per_pe // n), max(1, n // design.lanes_per_pe)
        tb = max(1, min(max(t_rows, 1), design.pe_rows))
    if mode == "decode":
        tb = 1
    if p.kind == "nm":
        bits = p.metadata_bits_per_group(design.metadata_format)
    elif p.kind == "unstructured":
        bits = m  # a bitmap over the segment (index codes would depend on K)
    else:
        bits = 0
    return RunParams(n, m, tb, gpt, cpp, int(not ws), sparse, bits, design.pe_rows + design.pe_cols - 2)


def _stats_numba(layer, rp: RunParams, banks: int):
    groups = -(-layer.k // rp.m)
    nb = -(-layer.t // rp.tb)
    nj = -(-groups // rp.groups_per_tile)
    # int32 keeps the cached statistics small (decode: one row per token); counts stay far below 2**31.
    arrs = [np.zeros((nb, nj), dtype=np.int32) for _ in range(5)]
    kernels.tile_stats(
        layer.packed, layer.k, rp.n, rp.m, rp.tb, rp.groups_per_tile, rp.lockstep, banks, rp.sparse,
        kernels.POPCOUNT, kernels.SPREAD, *arrs,
    )  # fmt: skip
    return tuple(arrs)


def _layer_numba(layer, stats, rp: RunParams, design: Design, decode: bool):
    cause = np.zeros(len(kernels.CAUSES), dtype=np.int64)
    act = np.zeros(len(kernels.ACTIONS), dtype=np.int64)
    bpe = design.bytes_per_element
    groups = -(-layer.k // rp.m)
    fit = layer.k * layer.o * bpe <= design.weight_buffer_kib * 1024
    kernels.layer_timing(
        *stats, layer.t, layer.k, layer.o, rp.tb, groups, rp.n, rp.cyc_per_pass, rp.fill, design.pe_cols, bpe,
        design.weight_bw_bytes_per_cycle, design.metadata_bw_bits_per_cycle, rp.bits_per_pass,
        design.compaction_groups_per_cycle, design.buffer_banks, rp.sparse, int(rp.lockstep == 0), int(decode), int(fit),
        layer.union_all if rp.sparse else layer.k, design.dram_bw_gb_per_s / design.clock_ghz, cause, act,
    )  # fmt: skip
    return cause, act


def bitonic_comparators(m: int) -> int:
    """Comparators of a bitonic sorting network on m inputs rounded up to a power of two (Batcher 1968)."""
    lg = max(1, math.ceil(math.log2(m)))
    return (1 << lg) // 2 * lg * (lg + 1) // 2


def _comparisons_per_group(m: int, topn: bool) -> int:
    """Comparators of the compaction unit per group of m channels.

    Top-N selection: a bitonic sorting network on m inputs rounded up to a power of two,
    (m/2) * log2(m) * (log2(m) + 1) / 2 comparators (Batcher 1968).  Natural zeros (no top-N):
    one compare-with-zero per channel.
    """
    return bitonic_comparators(m) if topn else m


def _simulate_pattern(design: Design, prep: PreparedTrace, pattern: str, mode: str, engine: str) -> SimResult:
    decode = mode == "decode"
    p = Pattern.parse(pattern)
    total_cause = np.zeros(len(kernels.CAUSES), dtype=np.int64)
    total_act = np.zeros(len(kernels.ACTIONS), dtype=np.int64)
    per_layer = []
    # Every layer of a trace normally has the same T, so one RunParams serves all; recompute if not.
    rps = {ly.t: run_params(design, p, mode, ly.t) for ly in prep.layers}
    if engine == "numba":
        key = tuple(sorted((t, rp.n, rp.m, rp.tb, rp.groups_per_tile, rp.lockstep, rp.sparse) for t, rp in rps.items()))
        key += (design.buffer_banks,)
        stats = prep.cached(key, lambda: [_stats_numba(ly, rps[ly.t], design.buffer_banks) for ly in prep.layers])
    for i, ly in enumerate(prep.layers):
        rp = rps[ly.t]
        if ly.t == 0:
            continue
        if engine == "numba":
            cause, act = _layer_numba(ly, stats[i], rp, design, decode)
        else:
            from accelsim.sim.reference import reference_layer

            cause, act = reference_layer(ly, rp, design, decode)
        total_cause += cause
        total_act += act
        per_layer.append(
            {"name": ly.name, "shape": (ly.t, ly.k, ly.o), "cycles": int(cause.sum()),
             "cycles_by_cause": dict(zip(kernels.CAUSES, (int(c) for c in cause))), "macs_useful": int(act[0])}
        )  # fmt: skip
    a = dict(zip(kernels.ACTIONS, (int(x) for x in total_act)))
    cycles = int(total_cause.sum())
    tokens = prep.tokens
    topn = p.kind == "nm" and prep.pattern == str(p)
    k_sum_tokens = sum(ly.t * ly.k for ly in prep.layers)
    o_sum_tokens = sum(ly.t * ly.o for ly in prep.layers)
    dense_macs = sum(ly.t * ly.k * ly.o for ly in prep.layers)
    # Mitigation work the trace's method needs, counted when the design has the unit (capture's names:
    # var, dpts, spts, lpts).  The "median" unit holds the median and the shift epilogue; S-PTS/L-PTS
    # use a stored shift, so only the epilogue.  Their cycles run beside the GEMM and are not modelled.
    mit = prep.mitigation.replace("-", "")
    var = "var" in design.mitigation_units and mit == "var"
    med = "median" in design.mitigation_units and mit == "dpts"
    shift = "median" in design.mitigation_units and mit in ("dpts", "spts", "lpts")
    actions = {
        # useful: products with a kept activation; gated: issued slots holding a zero (clock-gated);
        # skipped: products of the dense GEMM never issued (what sparsity saved).
        "multiplier": {"useful": a["macs_useful"], "gated": a["macs_issued"] - a["macs_useful"],
                       "skipped": max(0, dense_macs - a["macs_issued"])},
        "adder": {"accumulate": a["macs_issued"]},
        "selector": {"select": a["macs_issued"] if p.kind != "dense" else 0},
        "register": {"weight_write_bytes": a["wbuf_read_bytes"], "operand_reads": a["macs_issued"]},
        "metadata_decoder": {"decode": a["meta_decodes"]},
        "metadata_buffer": {"read_bits": a["meta_read_bits"], "write_bits": a["meta_write_bits"]},
        "act_buffer": {"read_bytes": a["act_read_bytes"], "write_bytes": a["act_write_bytes"]},
        "weight_buffer": {"read_bytes": a["wbuf_read_bytes"], "write_bytes": a["wbuf_write_bytes"]},
        "compaction": {
            "groups": a["compaction_groups"],
            "comparisons": a["compaction_groups"] * _comparisons_per_group(design.lane_group(p)[1], topn),
        },
        # VAR: per token, one fused accumulate of x and x^2 per element of x and of the pruned x (DESIGN "Mitigation").
        "var_unit": {"ops": 2 * k_sum_tokens if var else 0},
        # D-PTS: a two-pass (histogram) median per token; any shift: a rank-1 epilogue of O MACs per token.
        "median_unit": {"compares": 2 * k_sum_tokens if med else 0, "epilogue_macs": o_sum_tokens if shift else 0},
        "dram": {"read_bytes": a["dram_read_bytes"], "write_bytes": a["dram_write_bytes"]},
    }
    mac_slots = design.multipliers * cycles
    return SimResult(
        cycles=cycles,
        cycles_by_cause=dict(zip(kernels.CAUSES, (int(c) for c in total_cause))),
        macs_useful=a["macs_useful"],
        mac_slots=mac_slots,
        pe_utilization=a["macs_useful"] / mac_slots if mac_slots else 0.0,
        actions=actions,
        tokens=tokens,
        run_pattern=str(p),
        mode=mode,
        design_name=design.name,
        clock_ghz=float(design.clock_ghz),
        per_layer=tuple(per_layer),
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
    if design.supports(prep.pattern):
        return _simulate_pattern(design, prep, prep.pattern, mode, engine)
    candidates = ["dense"] + [p for p in design.patterns if p != "dense"]
    best = None
    for cand in candidates:
        r = _simulate_pattern(design, prep, cand, mode, engine)
        if best is None or r.cycles < best.cycles:
            best = r
    return best
