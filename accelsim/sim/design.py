"""The hardware design point: a frozen, validated description of one sparse tensor core.

Units are in the field names.  The array is ``pe_rows x pe_cols`` processing elements
(PEs), each a ``lanes_per_pe``-wide dot-product unit, so ``multipliers = pe_rows * pe_cols *
lanes_per_pe``.  The sparse-core model (docs/sparse-core-model.md) cuts the multipliers into
**lane groups** of ``nh`` lanes; each cycle a lane group is offered a **chunk** of ``mh``
consecutive input channels (its operand budget) and each lane reaches ``r`` of them through
its selector.  ``lane_group``, ``operand_budget`` and ``selector_reach`` set nh, mh and r;
0 means the default (``resolved_*`` properties):

* nh: N of the widest supported pattern (largest M; ties: largest N); mh: its M;
* r: naive ``mh`` (an mh:1 mux); window ``mh - nh + 1`` (the k-th kept index of a sorted
  group can only lie in a window of M-N+1 positions); hierarchical ``mh`` (two cascaded
  stages of ``ceil(sqrt(mh))`` inputs; composed structured sparsity as in HighLight, Wu et
  al., MICRO 2023, arXiv 2305.12718).

The chunk is hardware: an 8:16 trace on a core with mh = 4 is cut into chunks of 4.
``unstructured:D`` keeps the SIGMA-like mapping unless lane_group or operand_budget is set:
one PE (``lanes_per_pe`` lanes) serves a segment of ``round(lanes_per_pe / D)`` channels
through a full crossbar.  Dense: one PE serves ``lanes_per_pe`` consecutive channels, no selection.

``sparse_operand`` says which operand's zeros the core skips (docs/sparse-core-model.md, section 5):
``activations`` (the default: ``patterns`` are the activation patterns it runs), ``weights``
(Ampere/Hopper-like: weights pruned to one of ``weight_patterns`` and compressed offline, activations
dense) or ``both`` (dual-side: activations in ``patterns`` and weights in ``weight_patterns``).
``weight_patterns`` (N:M, or ``unstructured:D``: a bitmap over each chunk, pruned offline to any mask) default
to ("2:4",) on a weight or dual-side core and must be empty on an activation core.  The lane group, operand budget and reach are sized over the activation and
weight patterns together (``selection_patterns``); a dual-side core's default lane group is
``mh x`` the densities of its widest activation and weight patterns (8:16 and 2:4: 4 lanes offered
16 channels), the expected kept positions of a chunk's intersection.

``lane_balance`` (weight and dual-side cores, weight-stationary): the lane groups of a PE column share its
work instead of each owning one chunk: the operands reach the multipliers condensed (kept values only, as in
DSTC's bitmap-condensed outer product, Wang et al., ISCA 2021, arXiv 2105.09564) through a distribution
network that hands the next chunk-cycle to whichever lane group frees first, so a fold costs the slowest
column's chunk-cycles over the block and the tile's chunks, divided by its lane groups (rounded up),
instead of its slowest (chunk, column) pair.  Without it an unstructured weight mask is bound by its
densest chunk for every token (weights are static over the block).

``patterns`` holds :class:`~accelsim.patterns.Pattern` objects (strings such as "8:16" are
parsed once, in ``__post_init__``); ``mitigation_units`` draws from
``accelsim.methods.MITIGATION_UNITS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from accelsim.methods import MITIGATION_UNITS
from accelsim.patterns import METADATA_FORMATS, Pattern
from accelsim.sim import clock as _clock
from accelsim.sim.design_checks import (
    BYTES_PER_ELEMENT,
    DATAFLOWS,
    PRECISIONS,
    SELECTORS,
    SPARSE_OPERANDS,
    TECH_NODES,
    DesignChecks,
    _check_choice,
    _check_int,
)

__all__ = ["Design", "PRECISIONS", "DATAFLOWS", "SELECTORS", "MITIGATION_UNITS", "TECH_NODES", "BYTES_PER_ELEMENT", "SPARSE_OPERANDS"]


@dataclass(frozen=True)
class Design(DesignChecks):
    """One sparse-tensor-core design point (see module docstring for the lane mapping)."""

    name: str = "custom"
    pe_rows: int = 16
    pe_cols: int = 16
    lanes_per_pe: int = 8
    precision: str = "int8"
    dataflow: str = "weight_stationary"
    patterns: tuple[Pattern, ...] = ("dense",)  # strings are parsed into Patterns
    selector: str = "naive"
    metadata_format: str = "bitmask"
    metadata_bw_bits_per_cycle: int = 1024
    weight_bw_bytes_per_cycle: int = 256
    act_buffer_kib: int = 256
    weight_buffer_kib: int = 512
    buffer_banks: int = 16
    compaction_groups_per_cycle: int = 8
    mitigation_units: tuple[str, ...] = ()
    dram_bw_gb_per_s: float = 100.0
    clock_ghz: float = 1.0
    tech_nm: int = 45
    lane_group: int = 0  # nh: multiplier lanes sharing one chunk (0: N of the widest pattern)
    operand_budget: int = 0  # mh: dense-operand elements per lane group per cycle (0: M of the widest pattern)
    selector_reach: int = 0  # r: chunk positions one lane reaches (0: the selector's default)
    metadata_decode_groups_per_cycle: int = 0  # per decoder, one per lane group (0: every group of a chunk)
    selector_pipelined: bool = False  # extra selector levels add a pipeline stage instead of clock period
    compressed_activations: bool = False  # activations stay compacted (values + metadata) in buffers and DRAM
    sparse_operand: str = "activations"  # which operand's zeros the core skips: activations, weights or both
    weight_patterns: tuple[Pattern, ...] = ()  # N:M or unstructured weight patterns (weights/both; default ("2:4",))
    lane_balance: bool = False  # weights/both, weight-stationary: a column's lane groups share its work (see module doc)
    # weight-stationary activation cores: a second weight register per PE (TPU v1's double-buffered weight tiles,
    # Jouppi et al., ISCA 2017) lets fold i+1's weights load while fold i computes, so folds stream back to back and
    # only a call's first fold pays the fill and drain (docs/sparse-core-model.md, section 6)
    weight_double_buffer: bool = False
    # memory hierarchy and chip (accelsim/sim/hierarchy.py; all at their defaults: one core, no shared level)
    cores: int = 1  # cores (SMs) sharing the shared level and DRAM; a GEMM's output tiles are split over them
    l2_kib: int = 0  # shared on-chip level between DRAM and the cores' buffers (0: none)
    l2_bw_bytes_per_cycle: int = 0  # its bandwidth, all cores together (needed when l2_kib > 0)
    launch_overhead_us: float = 0.0  # fixed cost per call: per traced layer (prefill) or per layer and step (decode)
    # a call's parallel unit (a GPU kernel's CTA tile: tokens x outputs; 0: the core's token block x pe_cols) and
    # the cores its units occupy at once (a persistent grid smaller than the chip; 0: all cores): wave quantisation
    cta_tokens: int = 0
    cta_outputs: int = 0
    cta_slots: int = 0
    core_dram_gb_per_s: float = 0.0  # DRAM bandwidth one core's kernel can pull (requests in flight / latency; 0: no cap)
    bw_efficiency: float = 1.0  # fraction of the DRAM bandwidth the core's kernel sustains
    compute_efficiency: float = 1.0  # fraction of the core's on-chip rate the kernel sustains (on-chip cycles / it)
    # tensor PE (cost only; see _check_pe_shape): A = tensor_pe_rows x C = tensor_pe_cols of the grid's lanes_per_pe-long
    # dot-product units form one A x B x C tensor PE (STA, Liu et al., IEEE CAL 2020); 1 x 1: every unit its own PE
    tensor_pe_rows: int = 1
    tensor_pe_cols: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Design.name must be a non-empty string, got {self.name!r}")
        _check_int("pe_rows", self.pe_rows, 1, 4096)
        _check_int("pe_cols", self.pe_cols, 1, 4096)
        _check_int("lanes_per_pe", self.lanes_per_pe, 1, 256)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("dataflow", self.dataflow, DATAFLOWS)
        _check_choice("selector", self.selector, SELECTORS)
        _check_choice("metadata_format", self.metadata_format, METADATA_FORMATS)
        self._canonicalise_patterns()
        self._canonicalise_weight_patterns()
        self._check_patterns_fit()
        _check_int("metadata_bw_bits_per_cycle", self.metadata_bw_bits_per_cycle, 1, 1 << 24)
        _check_int("weight_bw_bytes_per_cycle", self.weight_bw_bytes_per_cycle, 1, 1 << 24)
        _check_int("act_buffer_kib", self.act_buffer_kib, 1, 1 << 20)
        _check_int("weight_buffer_kib", self.weight_buffer_kib, 1, 1 << 20)
        _check_int("buffer_banks", self.buffer_banks, 1, 1024)
        _check_int("compaction_groups_per_cycle", self.compaction_groups_per_cycle, 1, 1 << 16)
        mit = self.mitigation_units
        if isinstance(mit, str) or not isinstance(mit, (tuple, list)) or any(u not in MITIGATION_UNITS for u in mit):
            raise ValueError(f"Design.mitigation_units must be a tuple drawn from {MITIGATION_UNITS}, got {mit!r}")
        if len(set(mit)) != len(mit):
            raise ValueError(f"Design.mitigation_units has duplicates: {mit!r}")
        object.__setattr__(self, "mitigation_units", tuple(mit))
        for fname in ("dram_bw_gb_per_s", "clock_ghz"):
            v = getattr(self, fname)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 < v <= 1e6:
                raise ValueError(f"Design.{fname} must be a finite number in (0, 1e6], got {v!r}")
        _check_choice("tech_nm", self.tech_nm, TECH_NODES)
        for fname in ("selector_pipelined", "compressed_activations", "lane_balance"):
            if not isinstance(getattr(self, fname), bool):
                raise ValueError(f"Design.{fname} must be True or False, got {getattr(self, fname)!r}")
        _check_int("metadata_decode_groups_per_cycle", self.metadata_decode_groups_per_cycle, 0, 1 << 16)
        self._check_operand_path()
        self._check_hierarchy()
        self._check_pe_shape()
        if self.lane_balance and (self.sparse_operand == "activations" or self.dataflow != "weight_stationary"):
            raise ValueError("Design.lane_balance needs sparse_operand 'weights' or 'both' and the weight_stationary dataflow")
        if not isinstance(self.weight_double_buffer, bool):
            raise ValueError(f"Design.weight_double_buffer must be True or False, got {self.weight_double_buffer!r}")
        if self.weight_double_buffer and (self.dataflow != "weight_stationary" or self.sparse_operand != "activations"):
            raise ValueError("Design.weight_double_buffer needs the weight_stationary dataflow and sparse_operand "
                             "'activations' (weight-sparse and dual-side folds do not model it)")  # fmt: skip

    @property
    def pe_shape(self) -> tuple[int, int, int]:
        """(A, B, C) of one tensor PE in STA's notation: A x C dot products of length B = lanes_per_pe."""
        return self.tensor_pe_rows, self.lanes_per_pe, self.tensor_pe_cols

    @property
    def hierarchical(self) -> bool:
        """True when a hierarchy field is set (several cores, a shared level, a launch overhead or a bandwidth
        efficiency below 1): ``accelsim.sim.hierarchy`` then times the layer's memory traffic."""
        return self.cores > 1 or self.l2_kib > 0 or self.launch_overhead_us > 0 or self.bw_efficiency != 1.0 or self.compute_efficiency != 1.0

    # ---------------------------------------------------------------- properties
    @property
    def multipliers(self) -> int:
        return self.pe_rows * self.pe_cols * self.lanes_per_pe

    @property
    def bytes_per_element(self) -> int:
        return BYTES_PER_ELEMENT[self.precision]

    @property
    def sparse_patterns(self) -> tuple[Pattern, ...]:
        """Supported activation patterns other than dense, in the order of ``patterns``."""
        return tuple(p for p in self.patterns if p.kind != "dense")

    @property
    def selection_patterns(self) -> tuple[Pattern, ...]:
        """Every pattern the selectors serve: the sparse activation patterns, then the weight patterns
        (weight and dual-side cores).  Lane groups, reach, decoders and the clock are sized over these."""
        return self.sparse_patterns + tuple(p for p in self.weight_patterns if p not in self.sparse_patterns)

    def _segment(self, p: Pattern) -> int:
        """Channels of the SIGMA-like crossbar segment an unstructured pattern maps onto one PE."""
        return max(self.lanes_per_pe, int(round(self.lanes_per_pe / p.density)))

    def _native_group(self, p: Pattern) -> tuple[int, int]:
        """(N, M) of a pattern's own group: N:M itself, an unstructured segment, or a dense PE row."""
        if p.kind == "nm":
            return p.n, p.m
        if p.kind == "unstructured":
            return self.lanes_per_pe, self._segment(p)
        return self.lanes_per_pe, self.lanes_per_pe

    def _widest(self) -> tuple[int, int]:
        return max((self._native_group(p)[::-1] for p in self.selection_patterns), default=(0, 0))[::-1]

    @property
    def resolved_lane_group(self) -> int:
        """nh: ``lane_group``, else N of the widest supported pattern (0 for a dense-only design); a dual-side
        core: ``mh x`` the densities of its widest activation and weight patterns (at least 1)."""
        if self.lane_group:
            return self.lane_group
        if self.sparse_operand == "both" and self.sparse_patterns:
            mh = self.resolved_operand_budget
            act = max(self.sparse_patterns, key=lambda p: self._native_group(p)[::-1])
            wt = max(self.weight_patterns, key=lambda p: self._native_group(p)[::-1])
            return max(1, int(mh * act.density * wt.density))
        return self._widest()[0]

    @property
    def resolved_operand_budget(self) -> int:
        """mh: ``operand_budget``, else M of the widest supported pattern (0 for a dense-only design)."""
        return self.operand_budget or self._widest()[1]

    @property
    def resolved_selector_reach(self) -> int:
        """r: ``selector_reach``, else naive/hierarchical mh, window mh - nh + 1 (0 for a dense-only design)."""
        if self.selector_reach:
            return self.selector_reach
        mh = self.resolved_operand_budget
        return mh - self.resolved_lane_group + 1 if self.selector == "window" and mh else mh

    @property
    def resolved_decode_groups_per_cycle(self) -> int:
        """Groups one decoder finishes per cycle: the field, else every group of a chunk of the narrowest pattern."""
        if self.metadata_decode_groups_per_cycle:
            return self.metadata_decode_groups_per_cycle
        mh = self.resolved_operand_budget
        return max([1] + [mh // p.m for p in self.selection_patterns if p.kind == "nm"])

    def lane_mapping(self, pattern: Pattern) -> tuple[int, int, int]:
        """(nh lanes, mh chunk channels, r reach) a run of ``pattern`` uses (see module docstring)."""
        p = pattern
        if p.kind == "dense":
            return self.lanes_per_pe, self.lanes_per_pe, self.lanes_per_pe
        if p.kind == "unstructured" and not (self.lane_group or self.operand_budget):
            seg = self._segment(p)
            return self.lanes_per_pe, seg, seg
        return self.resolved_lane_group, self.resolved_operand_budget, self.resolved_selector_reach

    @property
    def max_m(self) -> int:
        """Widest group any supported sparse pattern selects from (0 for a dense-only design)."""
        return self._widest()[1]

    @property
    def mux_fanin(self) -> int:
        """Selector inputs per multiplier lane (1 = no selector, dense-only): r, hierarchical 2 ceil(sqrt r)."""
        if not self.selection_patterns:
            return 1
        r = max(self.lane_mapping(p)[2] for p in self.selection_patterns)
        return 2 * math.ceil(math.sqrt(r)) if self.selector == "hierarchical" else r

    @property
    def selector_levels(self) -> int:
        """2:1 levels on the selector's path (0 for a dense-only design); see ``accelsim.sim.clock``."""
        if not self.selection_patterns:
            return 0
        return _clock.mux_levels(max(self.lane_mapping(p)[2] for p in self.selection_patterns), self.selector)

    @property
    def achievable_clock_ghz(self) -> float:
        """The clock the design runs at: ``clock_ghz`` slowed by unpipelined selector levels (``accelsim.sim.clock``)."""
        return _clock.achievable_clock_ghz(self.clock_ghz, self.selector_levels, self.tech_nm, self.selector_pipelined)

    @property
    def selector_pipeline_stages(self) -> int:
        """Pipeline stages a pipelined selector adds (0 unless ``selector_pipelined`` and levels exceed the slack)."""
        return _clock.pipeline_stages(self.clock_ghz, self.selector_levels, self.tech_nm, self.selector_pipelined)

    @property
    def weight_candidates_per_lane(self) -> int:
        """Dense-operand elements a lane holds to choose from: ceil(mh / nh) of the widest mapping (1 if dense)."""
        return max([1] + [math.ceil(m / n) for n, m, _ in (self.lane_mapping(p) for p in self.selection_patterns)])

    def supports(self, pattern: "Pattern | str") -> bool:
        """True if ``pattern`` (a Pattern, or a string parsed here) runs natively (dense always does)."""
        p = pattern if isinstance(pattern, Pattern) else Pattern.parse(pattern)
        return p.kind == "dense" or p in self.patterns

    def replace(self, **changes) -> "Design":
        """A validated copy with some fields changed."""
        return replace(self, **changes)
