"""The hardware design point: a frozen, validated description of one sparse tensor core.

Units are in the field names.  The array is ``pe_rows x pe_cols`` processing elements
(PEs), each a ``lanes_per_pe``-wide dot-product unit, so ``multipliers = pe_rows * pe_cols *
lanes_per_pe``.  How a supported pattern maps onto those lanes (the "lane group"):

* N:M pattern: N multiplier lanes serve one group of M dense input channels per pass
  (each lane picks one of its candidates through the selector);
* ``unstructured:D``: one PE (``lanes_per_pe`` lanes) serves a segment of
  ``round(lanes_per_pe / D)`` channels through a bitmap-driven crossbar (SIGMA-like);
* dense: one PE serves ``lanes_per_pe`` consecutive channels, no selection.

Selector fan-in per multiplier lane: naive ``M:1`` over the widest supported group;
sorted-window ``(M-N+1):1`` (the k-th kept index of a sorted group can only lie in a window
of M-N+1 positions); hierarchical: two cascaded stages of ``ceil(sqrt(M))`` inputs each
(composed structured sparsity as in HighLight, Wu et al., MICRO 2023, arXiv 2305.12718;
full reach M, fewer cells).

``patterns`` holds :class:`~accelsim.patterns.Pattern` objects (strings such as "8:16" are
parsed once, in ``__post_init__``); ``mitigation_units`` draws from
``accelsim.methods.MITIGATION_UNITS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from accelsim.methods import MITIGATION_UNITS
from accelsim.patterns import METADATA_FORMATS, Pattern

__all__ = ["Design", "PRECISIONS", "DATAFLOWS", "SELECTORS", "MITIGATION_UNITS", "TECH_NODES", "BYTES_PER_ELEMENT"]

PRECISIONS = ("int8", "fp8", "fp16", "bf16")
BYTES_PER_ELEMENT = {"int8": 1, "fp8": 1, "fp16": 2, "bf16": 2}
DATAFLOWS = ("weight_stationary", "output_stationary")
SELECTORS = ("naive", "window", "hierarchical")
TECH_NODES = (45, 28, 16, 7)


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

    def _check_patterns_fit(self) -> None:
        lanes, column = self.lanes_per_pe, self.pe_rows * self.lanes_per_pe
        for p in self.sparse_patterns:
            if p.kind == "nm":
                if p.m > 256:
                    raise ValueError(f"Design.patterns: group size M={p.m} of {p} exceeds the supported maximum 256")
                if self.dataflow == "weight_stationary" and column % p.n:
                    raise ValueError(
                        f"Design.lanes_per_pe: pe_rows*lanes_per_pe = {column} must be a multiple of N={p.n} for pattern {p} "
                        f"(lane groups of N multipliers); choose lanes_per_pe or pe_rows accordingly"
                    )
                if self.dataflow == "output_stationary" and lanes % p.n and p.n % lanes:
                    raise ValueError(
                        f"Design.lanes_per_pe = {lanes} must divide or be a multiple of N={p.n} for pattern {p} "
                        f"in the output-stationary dataflow"
                    )
                if self.selector == "hierarchical" and p.m & (p.m - 1):
                    raise ValueError(f"Design.selector 'hierarchical' needs power-of-two M, pattern {p} has M={p.m}")
            else:  # unstructured
                if self.selector == "window":
                    raise ValueError(
                        f"Design.selector 'window' needs sorted N:M groups; pattern {p} needs 'naive' (a crossbar) "
                        f"or 'hierarchical'"
                    )
                if self.lane_group(p)[1] > 256:
                    raise ValueError(f"Design.patterns: {p} on lanes_per_pe={lanes} gives a segment wider than 256 channels")

    # ---------------------------------------------------------------- properties
    @property
    def multipliers(self) -> int:
        return self.pe_rows * self.pe_cols * self.lanes_per_pe

    @property
    def bytes_per_element(self) -> int:
        return BYTES_PER_ELEMENT[self.precision]

    @property
    def sparse_patterns(self) -> tuple[Pattern, ...]:
        """Supported patterns other than dense, in the order of ``patterns``."""
        return tuple(p for p in self.patterns if p.kind != "dense")

    def lane_group(self, pattern: Pattern) -> tuple[int, int]:
        """(lanes n, channels m) of one lane group running ``pattern`` (see module docstring)."""
        p = pattern
        if p.kind == "nm":
            return p.n, p.m
        if p.kind == "unstructured":
            return self.lanes_per_pe, max(self.lanes_per_pe, int(round(self.lanes_per_pe / p.density)))
        return self.lanes_per_pe, self.lanes_per_pe

    @property
    def max_m(self) -> int:
        """Widest group any supported sparse pattern selects from (0 for a dense-only design)."""
        return max((self.lane_group(p)[1] for p in self.sparse_patterns), default=0)

    @property
    def mux_fanin(self) -> int:
        """Selector inputs per multiplier lane (1 = no selector, dense-only)."""
        pats = self.sparse_patterns
        if not pats:
            return 1
        if self.selector == "window":
            return max(p.m - p.n + 1 for p in pats)
        if self.selector == "hierarchical":
            return 2 * math.ceil(math.sqrt(self.max_m))
        return self.max_m

    @property
    def weight_candidates_per_lane(self) -> int:
        """Stationary weights a lane must hold to choose from: max M/N over supported patterns (1 if dense)."""
        return max([1] + [math.ceil(self.lane_group(p)[1] / self.lane_group(p)[0]) for p in self.sparse_patterns])

    def supports(self, pattern: "Pattern | str") -> bool:
        """True if ``pattern`` (a Pattern, or a string parsed here) runs natively (dense always does)."""
        p = pattern if isinstance(pattern, Pattern) else Pattern.parse(pattern)
        return p.kind == "dense" or p in self.patterns

    def replace(self, **changes) -> "Design":
        """A validated copy with some fields changed."""
        return replace(self, **changes)
