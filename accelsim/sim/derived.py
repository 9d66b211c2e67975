"""The Counts record of a run: the kernel's counts plus those derived from them, the design and the trace.

Each derived count (``accelsim.sim.counts``, "derived counts") is computed by one line of ``_derived_counts``.
"""

from __future__ import annotations

import numpy as np

from accelsim.patterns import Pattern
from accelsim.sim.counts import KERNEL_COUNTS, Counts
from accelsim.sim.design import Design
from accelsim.sim.networks import bitonic_comparators
from accelsim.sim.prepared import PreparedTrace

__all__ = ["comparisons_per_group", "run_group_m"]


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
