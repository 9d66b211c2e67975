"""The checks behind :class:`accelsim.sim.design.Design`'s ``__post_init__``: the allowed values, and the cross-field
rules (patterns, the operand path, the memory hierarchy, the tensor-PE shape) as a mixin, so that ``design.py`` keeps the
fields and their derived properties.  Each error names the field, the bad value and what to change.
"""

from __future__ import annotations

import math

from accelsim.patterns import Pattern

__all__ = ["DesignChecks", "PRECISIONS", "DATAFLOWS", "SELECTORS", "TECH_NODES", "BYTES_PER_ELEMENT", "SPARSE_OPERANDS"]

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


class DesignChecks:
    """Mixin of :class:`~accelsim.sim.design.Design`: the validation steps its ``__post_init__`` calls."""

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
