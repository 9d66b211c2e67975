"""Checks and statistics a workload applies to its traces at discovery: the capture's perplexity intervals, paired
with the dense trace, and the layers common to every trace (patterns are compared on the same GEMMs)."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import TYPE_CHECKING

from accelsim.traces import TraceError

if TYPE_CHECKING:  # workloads imports this module
    from accelsim.explore.workloads import TraceRef

__all__ = ["floats", "with_intervals", "common_layers"]


def _num(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def floats(x) -> tuple[float, ...] | None:
    if isinstance(x, list) and x and all(_num(v) is not None for v in x):
        return tuple(float(v) for v in x)
    return None


def with_intervals(t: "TraceRef", dense: "TraceRef | None") -> "TraceRef":
    """``t`` with its perplexity interval and, when its windows are the dense trace's, the paired interval of its
    change vs dense (the capture's own statistics, accelsim.capture.stats: NumPy only, no torch)."""
    if t.window_nll is None or len(t.window_nll) < 2:
        return t
    from accelsim.capture.stats import paired_difference, perplexity_interval

    iv = perplexity_interval(t.window_nll)
    delta = None
    if dense is not None and dense.window_nll is not None and len(dense.window_nll) == len(t.window_nll) and (
            t.window_starts is None or dense.window_starts is None or t.window_starts == dense.window_starts):  # fmt: skip
        d = paired_difference(t.window_nll, dense.window_nll)
        delta = (d.lo, d.hi) if d.lo is not None else None
    return dataclasses.replace(t, ppl_interval=(iv.lo, iv.hi) if iv.lo is not None else None, delta_interval=delta)


def common_layers(name: str, refs: list["TraceRef"]) -> tuple[str, ...] | None:
    """Layers traced in every trace of a workload (None when all traces hold the same ones).

    Patterns must be compared on the same GEMMs: a trace with extra layers is evaluated on
    the common ones only (with a warning); a layer whose shape differs is an error.
    """
    shapes: dict[str, tuple[int, int]] = {}
    for r in refs:
        for n, k, o in r.layers:
            if shapes.setdefault(n, (k, o)) != (k, o):
                raise TraceError(f"workload {name}: layer {n} is {shapes[n]} in one trace and {(k, o)} in {r.path}; traces of one workload must come from one model")
    sets = [{n for n, _, _ in r.layers} for r in refs]
    common = set.intersection(*sets) if sets else set()
    if all(s == common for s in sets):
        return None
    if not common:
        raise TraceError(f"workload {name}: its traces share no layer ({', '.join(r.run_id for r in refs)}); capture them with the same layer filter")
    warnings.warn(f"workload {name}: traces cover different layers; evaluating the {len(common)} layers common to all", stacklevel=4)
    return tuple(n for n, _, _ in refs[0].layers if n in common)
