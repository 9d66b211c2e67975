"""Workloads: trace directories grouped by (model, dataset, criterion, mitigation, sparsify) and protocol.

A *workload* holds one trace per pattern.  For a design it runs the supported pattern with the best
(lowest) perplexity, dense as the fallback; the hardware figures come from that pattern's trace.
Perplexity change is measured against the group's dense trace (or, when the capture stored it,
``accuracy.dense_perplexity``).  Discovery reads each manifest once (:func:`accelsim.traces.read_manifest`);
masks are loaded only by the workers that simulate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from accelsim.manifest import Manifest
from accelsim.patterns import Pattern
from accelsim.traces import MANIFEST, TraceError, read_manifest

__all__ = ["GROUP_KEYS", "TraceRef", "Workload", "discover_workloads"]

GROUP_KEYS = ("model", "dataset", "criterion", "mitigation", "sparsify")
_DENSE = Pattern.parse("dense")


@dataclass(frozen=True)
class TraceRef:
    """A trace on disk, described by its manifest (masks are loaded only by workers)."""

    path: str
    run_id: str
    pattern: Pattern
    perplexity: float | None
    dense_perplexity: float | None
    tokens_scored: int | None  # tokens behind the perplexity (accuracy.tokens_scored)
    layers: tuple[tuple[str, int, int], ...]  # (name, K, O) of every traced layer
    fingerprint: str  # hash of the manifest (changes when the trace is recaptured)
    manifest: Manifest | None = field(default=None, compare=False, repr=False)  # this process only
    weight_pattern: Pattern | None = None  # weights/both runs: the pattern of the stored weight masks
    window_nll: tuple[float, ...] | None = None  # per-window mean NLL of the capture (manifest extra), for intervals
    window_starts: tuple[int, ...] | None = None
    # 95 % bootstrap intervals over the capture's windows (None: fewer than 2 windows or not recorded):
    # of the perplexity, and of its change vs the workload's dense trace (paired by window); set by discovery
    ppl_interval: tuple[float, float] | None = None
    delta_interval: tuple[float, float] | None = None

    def __getstate__(self) -> dict:  # workers need no manifest: keep the pickled points small
        return {**self.__dict__, "manifest": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


@dataclass(frozen=True)
class Workload:
    """One (model, dataset, criterion, mitigation, sparsify) group; traces keyed by pattern."""

    key: tuple[str, str, str, str, str]
    traces: tuple[TraceRef, ...]
    dense_perplexity: float | None
    layers: tuple[str, ...] | None = None  # layers evaluated: those common to all traces (None = all)
    protocol: str = ""  # accuracy protocol tag, e.g. "L512-E2048"

    @property
    def macs_per_token(self) -> int:
        """Dense-equivalent MACs per token over the evaluated layers: sum of K * O."""
        keep = set(self.layers) if self.layers is not None else None
        return sum(k * o for name, k, o in self.traces[0].layers if keep is None or name in keep)

    @property
    def operand(self) -> str:
        """What the workload's traces sparsify: "activations", "weights" or "both" (dual-side)."""
        s = str(self.key[4])
        return next((o for o in ("weights", "both") if s.startswith(o)), "activations")

    def accepts(self, design) -> bool:
        """True when ``design`` is evaluated on this workload: a core runs the traces of the
        operand it skips (``Design.sparse_operand``; activation cores, the default, run
        activation workloads, and dense-only cores run them as the common baseline)."""
        return getattr(design, "sparse_operand", "activations") == self.operand

    @property
    def workload_id(self) -> str:
        return "/".join(self.key) + (f"@{self.protocol}" if self.protocol else "")

    def choose(self, design) -> TraceRef:
        """The trace a design runs for this workload.

        1. the supported sparse trace with the lowest perplexity (ties: the sparser pattern, then the wider group);
        2. else the dense trace (dense is the fallback, not a candidate: a design built for
           sparsity runs sparse);
        3. else (the workload has no dense trace) the most accurate trace, executed however the
           simulator runs an unsupported pattern (overflow passes or dense; ``run_pattern``
           says which): the hardware computes that pruned model exactly, so its perplexity holds.
        """

        def rank(t: TraceRef):
            ppl = t.perplexity if t.perplexity is not None else math.inf
            # at equal perplexity and density (synthetic traces carry none) the widest group, the design's own pattern
            return (ppl, t.pattern.density, -(t.pattern.m if t.pattern.is_nm else 0), str(t.pattern))

        if self.operand != "activations":  # weight and dual-side cores need traces with weight masks
            wpats = {str(p) for p in getattr(design, "weight_patterns", ())}
            runnable = [t for t in self.traces if t.weight_pattern is not None and str(t.weight_pattern) in wpats
                        and (self.operand == "weights" or design.supports(t.pattern))]  # fmt: skip
            if not runnable:
                raise ValueError(
                    f"design {getattr(design, 'name', design)} ({self.operand}-sparse, weight patterns {sorted(wpats)}) has no "
                    f"trace it can run in workload {self.workload_id}; capture one with --sparsify {self.operand}"
                )
            return min(runnable, key=rank)
        runnable = [t for t in self.traces if t.pattern != _DENSE and design.supports(t.pattern)]
        runnable = runnable or [t for t in self.traces if t.pattern == _DENSE] or list(self.traces)
        return min(runnable, key=rank)


def _trace_dirs(paths) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if (p / MANIFEST).is_file():
            out.append(p)
        elif p.is_dir():
            # hidden entries are never traces: ".<run>.tmp-*" is an interrupted write, ".<run>.old-*" a replaced one
            subs = sorted(q for q in p.iterdir() if not q.name.startswith(".") and (q / MANIFEST).is_file())
            if not subs:
                raise TraceError(f"{p} holds no trace (no manifest.json in it or its subdirectories); run `python -m accelsim.capture` first")
            out.extend(subs)
        else:
            raise TraceError(f"trace path {p} does not exist")
    return out


def _num(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _protocol_tag(m: Manifest) -> str:
    """Short tag of the accuracy protocol ("L512-E2048": window length, evaluation tokens), "" if unknown."""
    parts = [f"{c}{m.config.get(k)}" for c, k in (("L", "seq_len"), ("E", "eval_tokens")) if m.config.get(k) is not None]
    return "-".join(parts)


def _group_key(m: Manifest) -> tuple[str, str, str, str, str]:
    """(model, dataset, criterion, mitigation, sparsify) as strings ("none" when the manifest states none).

    Dual-side runs group by their weight pattern too (sparsify "both-w2:4"): their traces are keyed
    by activation pattern, so two weight patterns must not share a workload."""
    c = m.config
    sp = c.sparsify
    if sp == "both" and c.weight_pattern is not None:
        sp = f"both-w{c.weight_pattern}"
    return tuple(str(v) if v is not None else "none" for v in (c.model, c.dataset, c.criterion, c.mitigation, sp))


def trace_ref(p: Path) -> tuple[TraceRef, tuple, str]:
    """(ref, group key, protocol tag) of the trace directory ``p``, from its manifest (read once)."""
    try:
        m = read_manifest(p)
    except TraceError as e:
        raise TraceError(f"{e}; rerun capture for it") from None
    acc = m.accuracy
    key = _group_key(m) if m.pattern != _DENSE else (*_group_key(m)[:2], "*", "*", "*")
    ref = TraceRef(
        path=str(p.resolve()),
        run_id=m.run_id,
        pattern=m.pattern,
        perplexity=_num(acc.perplexity) if acc else None,
        dense_perplexity=_num(acc.dense_perplexity) if acc else None,
        tokens_scored=acc.tokens_scored if acc and isinstance(acc.tokens_scored, int) else None,
        layers=tuple((e.name, e.K, e.O) for e in m.layers),
        weight_pattern=m.config.weight_pattern,
        window_nll=_floats(m.extra.get("window_nll")),
        window_starts=tuple(m.extra["window_starts"]) if isinstance(m.extra.get("window_starts"), list) else None,
        fingerprint=hashlib.sha256(json.dumps(m.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16],
        manifest=m,
    )
    return ref, key, _protocol_tag(m)


def discover_workloads(paths) -> list[Workload]:
    """Group trace directories (or folders of them) into workloads, reading manifests only.

    A workload is one (model, dataset, criterion, mitigation, sparsify) at one accuracy
    protocol (window length and evaluation tokens): perplexities are only compared at equal
    protocol.  Dense traces carry no criterion or mitigation that matters, so a group without
    its own dense trace borrows the dense trace of the same model, dataset and protocol.
    """
    refs: dict[tuple, list[TraceRef]] = {}
    for p in _trace_dirs(paths):
        ref, key, tag = trace_ref(p)
        refs.setdefault((key, tag), []).append(ref)
    dense = {(k[0], k[1], tag): v for (k, tag), v in refs.items() if k[2] == "*"}
    sparse = {kt: v for kt, v in refs.items() if kt[0][2] != "*"}
    if not sparse:  # only dense traces: each (model, dataset, protocol) is a dense-only workload
        sparse = {((m, d, "none", "none", "none"), tag): [] for m, d, tag in dense}
    return [_workload(key, tag, trs, dense.get((key[0], key[1], tag), [])) for (key, tag), trs in sorted(sparse.items())]


def _workload(key: tuple, tag: str, trs: list[TraceRef], dense: list[TraceRef]) -> Workload:
    """One workload from its sparse traces and the dense traces of its (model, dataset, protocol)."""
    name = "/".join(key) + (f"@{tag}" if tag else "")
    if len(dense) > 1:
        warnings.warn(f"several dense traces for {(key[0], key[1], tag)}; using {dense[0].run_id} as the reference", stacklevel=3)
    by_pattern: dict[str, TraceRef] = {}
    for t in sorted(trs, key=lambda t: t.path) + dense[:1]:
        if str(t.pattern) in by_pattern:
            warnings.warn(f"workload {name}: two traces for {t.pattern}; keeping {by_pattern[str(t.pattern)].run_id}", stacklevel=3)
            continue
        by_pattern[str(t.pattern)] = t
    ref_ppl = by_pattern["dense"].perplexity if "dense" in by_pattern else None
    if ref_ppl is None:
        ref_ppl = next((t.dense_perplexity for t in by_pattern.values() if t.dense_perplexity is not None), None)
    traces = tuple(_with_intervals(t, by_pattern.get("dense")) for t in by_pattern.values())
    return Workload(key, traces, ref_ppl, _common_layers(name, list(traces)), tag)


def _floats(x) -> tuple[float, ...] | None:
    if isinstance(x, list) and x and all(_num(v) is not None for v in x):
        return tuple(float(v) for v in x)
    return None


def _with_intervals(t: TraceRef, dense: TraceRef | None) -> TraceRef:
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


def _common_layers(name: str, refs: list[TraceRef]) -> tuple[str, ...] | None:
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
