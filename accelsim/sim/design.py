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

__all__ = ["Design", "PRECISIONS", "DATAFLOWS", "SELECTORS", "MITIGATION_UNITS", "TECH_NODES", "BYTES_PER_ELEMENT", "SPARSE_OPERANDS"]

PRECISIONS = ("int8", "fp8", "fp16", "bf16")
BYTES_PER_ELEMENT = {"int8": 1, "fp8": 1, "fp16": 2, "bf16": 2}
DATAFLOWS = ("weight_stationary", "output_stationary")
SELECTORS = ("naive", "window", "hierarchical")
TECH_NODES = (45, 28, 16, 7)
SPARSE_OPERANDS = ("activations", "weights", "both")


def _check_int(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"Design.{name} must be an integer in [{lo}, {hi}], got {value!r}")


def _check_choice(name: str, value, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"Design.{name} must be one of {allowed}, got {value!r}")


@dataclass(frozen=True)
class Design:
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

    def _check_hierarchy(self) -> None:
        _check_int("cores", self.cores, 1, 1 << 16)
        _check_int("l2_kib", self.l2_kib, 0, 1 << 24)
        _check_int("l2_bw_bytes_per_cycle", self.l2_bw_bytes_per_cycle, 0, 1 << 24)
        for fname in ("cta_tokens", "cta_outputs", "cta_slots"):
            _check_int(fname, getattr(self, fname), 0, 1 << 20)
        if bool(self.l2_kib) != bool(self.l2_bw_bytes_per_cycle):
            raise ValueError(f"Design.l2_kib = {self.l2_kib} and l2_bw_bytes_per_cycle = {self.l2_bw_bytes_per_cycle}: "
                             "a shared level needs both (or neither)")  # fmt: skip
        v = self.launch_overhead_us
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1e6:
            raise ValueError(f"Design.launch_overhead_us must be a finite number in [0, 1e6], got {v!r}")
        v = self.core_dram_gb_per_s
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1e6:
            raise ValueError(f"Design.core_dram_gb_per_s must be a finite number in [0, 1e6], got {v!r}")
        for fname in ("bw_efficiency", "compute_efficiency"):
            v = getattr(self, fname)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 < v <= 1:
                raise ValueError(f"Design.{fname} must be a number in (0, 1], got {v!r}")

    def _check_pe_shape(self) -> None:
        """A tensor PE of A x B x C (B = lanes_per_pe) groups A rows x C columns of dot-product units: the A units of
        a TPE column share its weight operands and (weight-stationary) reduce into one partial sum, the C units of a
        TPE row share its activation operands, so operand pipeline registers sit only at TPE boundaries.  It changes
        registers, adders and wires (accelsim.cost), not the cycle count: the simulator's fill and drain still
        count pe_rows + pe_cols register stages (a tensor array has fewer: a small optimism for scalar arrays)."""
        _check_int("tensor_pe_rows", self.tensor_pe_rows, 1, 256)
        _check_int("tensor_pe_cols", self.tensor_pe_cols, 1, 256)
        if self.pe_rows % self.tensor_pe_rows or self.pe_cols % self.tensor_pe_cols:
            raise ValueError(f"Design.tensor_pe_rows = {self.tensor_pe_rows} must divide pe_rows = {self.pe_rows} and "
                             f"tensor_pe_cols = {self.tensor_pe_cols} pe_cols = {self.pe_cols}")  # fmt: skip

    @property
    def pe_shape(self) -> tuple[int, int, int]:
        """(A, B, C) of one tensor PE in STA's notation: A x C dot products of length B = lanes_per_pe."""
        return self.tensor_pe_rows, self.lanes_per_pe, self.tensor_pe_cols

    @property
    def hierarchical(self) -> bool:
        """True when a hierarchy field is set (several cores, a shared level, a launch overhead or a bandwidth
        efficiency below 1): ``accelsim.sim.hierarchy`` then times the layer's memory traffic."""
        return self.cores > 1 or self.l2_kib > 0 or self.launch_overhead_us > 0 or self.bw_efficiency != 1.0 or self.compute_efficiency != 1.0

    def _canonicalise_patterns(self) -> None:
        pats = self.patterns
        if isinstance(pats, str) or not isinstance(pats, (tuple, list)) or not pats:
            raise ValueError(f'Design.patterns must be a non-empty tuple of patterns such as ("2:4", "8:16"), got {pats!r}')
        canon = []
        for p in pats:
            try:
                p = Pattern.parse(p)  # the boundary: a string becomes a Pattern here, once
            except (TypeError, ValueError) as e:
                raise ValueError(f"Design.patterns: {e}") from None
            if p not in canon:
                canon.append(p)
        object.__setattr__(self, "patterns", tuple(canon))

    def _canonicalise_weight_patterns(self) -> None:
        _check_choice("sparse_operand", self.sparse_operand, SPARSE_OPERANDS)
        pats = self.weight_patterns
        if isinstance(pats, str) or not isinstance(pats, (tuple, list)):
            raise ValueError(f'Design.weight_patterns must be a tuple of patterns such as ("2:4",), got {pats!r}')
        if self.sparse_operand == "activations":
            if pats:
                raise ValueError(f"Design.weight_patterns = {tuple(pats)!r} needs sparse_operand 'weights' or 'both' "
                                 "(an activation-sparse core runs dense weights)")  # fmt: skip
            return
        canon = []
        for p in pats or ("2:4",):
            try:
                p = Pattern.parse(p)
            except (TypeError, ValueError) as e:
                raise ValueError(f"Design.weight_patterns: {e}") from None
            if p.kind == "dense":
                raise ValueError("Design.weight_patterns: 'dense' is not a weight pattern; give N:M or unstructured:D patterns")
            if p.kind == "unstructured" and self.selector == "window":
                raise ValueError(f"Design.weight_patterns: {p} needs selector 'naive' (a crossbar) or 'hierarchical', not 'window'")
            if p.kind == "nm" and p.m > 62:
                raise ValueError(f"Design.weight_patterns: group size M={p.m} of {p} exceeds the supported maximum 62")
            if p not in canon:
                canon.append(p)
        object.__setattr__(self, "weight_patterns", tuple(canon))

    def _check_patterns_fit(self) -> None:
        for p in self.sparse_patterns:
            if p.kind == "nm":
                if p.m > 256:
                    raise ValueError(f"Design.patterns: group size M={p.m} of {p} exceeds the supported maximum 256")
            else:  # unstructured
                if self.selector == "window":
                    raise ValueError(
                        f"Design.selector 'window' needs sorted N:M groups; pattern {p} needs 'naive' (a crossbar) "
                        f"or 'hierarchical'"
                    )
                if self._segment(p) > 256:
                    raise ValueError(f"Design.patterns: {p} on lanes_per_pe={self.lanes_per_pe} gives a segment wider than 256 channels")

    def _check_operand_path(self) -> None:
        """Lane group, operand budget and reach: in range, consistent, and mappable onto the array."""
        for fname in ("lane_group", "operand_budget", "selector_reach"):
            _check_int(fname, getattr(self, fname), 0, 256)
        if not self.selection_patterns:
            for fname in ("lane_group", "operand_budget", "selector_reach"):
                if getattr(self, fname):
                    raise ValueError(f"Design.{fname} = {getattr(self, fname)} needs a sparse pattern in Design.patterns")
            return
        nh, mh, r = self.resolved_lane_group, self.resolved_operand_budget, self.resolved_selector_reach
        if nh > mh:
            raise ValueError(f"Design.operand_budget = {mh} must be >= lane_group = {nh} (each lane needs a candidate)")
        if r > mh:
            raise ValueError(f"Design.selector_reach = {r} must be <= operand_budget = {mh} (a lane reaches positions of its chunk)")
        if r * nh < mh:
            raise ValueError(
                f"Design.selector_reach = {r} x lane_group = {nh} < operand_budget = {mh}: some chunk positions "
                f"would be reachable by no lane; widen the reach or the lane group"
            )
        if self.sparse_operand != "activations" and mh > 62:
            raise ValueError(f"Design.operand_budget = {mh}: weight-sparse and dual-side cores take chunks of at most 62 channels")
        column = self.pe_rows * self.lanes_per_pe
        for p in self.selection_patterns:
            n = self.lane_mapping(p)[0]
            if self.dataflow == "weight_stationary" and column % n:
                raise ValueError(
                    f"Design.lanes_per_pe: pe_rows*lanes_per_pe = {column} must be a multiple of the lane group "
                    f"({n} lanes, for pattern {p}); choose lanes_per_pe, pe_rows or lane_group accordingly"
                )
            if self.dataflow == "output_stationary" and self.lanes_per_pe % n and n % self.lanes_per_pe:
                raise ValueError(
                    f"Design.lanes_per_pe = {self.lanes_per_pe} must divide or be a multiple of the lane group "
                    f"({n} lanes, for pattern {p}) in the output-stationary dataflow"
                )
        if self.selector == "hierarchical" and mh & (mh - 1):
            raise ValueError(f"Design.selector 'hierarchical' needs a power-of-two operand_budget (chunk), got {mh}")

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
