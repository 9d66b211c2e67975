"""Workloads: trace directories grouped by (model, dataset, sparsify) and accuracy protocol.

A *workload* holds every captured trace of its group, one per (pattern, criterion, mitigation, weight criterion).
A design runs the most accurate trace it can run: pattern supported, and the units its method needs
(``accelsim.methods.units_needed``) in ``Design.mitigation_units``; dense is the fallback.  A layer-adaptive plan's
trace (``capture --plan``) sits beside the uniform ones and runs only on a core that supports every pattern its
layers use (``TraceRef.supported_by``).  So methods compete on
accuracy, and a design pays for a method's unit by including it (``accelsim.cost`` prices its area and work).
Perplexity change is against the group's dense trace (or the manifests' ``accuracy.dense_perplexity``).  Discovery
reads each manifest once; masks are loaded only by the workers that simulate.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from accelsim.explore.workload_parts import common_layers, floats, with_intervals
from accelsim.manifest import Manifest
from accelsim.methods import units_needed
from accelsim.patterns import Pattern
from accelsim.traces import MANIFEST, TraceError, read_manifest

__all__ = ["GROUP_KEYS", "METHOD_KEYS", "TraceRef", "Workload", "discover_workloads"]

GROUP_KEYS = ("model", "dataset", "sparsify")
#: what tells the traces of one pattern in a workload apart (result rows record them from the chosen trace)
METHOD_KEYS = ("criterion", "mitigation", "weight_criterion")
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
    criterion: str = "none"  # "none" for a dense trace: nothing is selected
    mitigation: str = "none"
    weight_criterion: str | None = None  # dual-side runs: how the weights were pruned
    units: tuple[str, ...] = ()  # Design.mitigation_units entries a core needs to run this trace
    plan: str = ""  # layer-adaptive run: the plan's name ("" for a uniform run; ``pattern`` is then the plan's default)
    plan_patterns: tuple[Pattern, ...] = ()  # every pattern the plan's layers use (from the manifest's layer entries)

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The patterns a core must run natively for this trace: the plan's (dense needs nothing), else its one pattern."""
        return self.plan_patterns if self.plan else (self.pattern,)

    @property
    def patterns_label(self) -> str:
        """"2:4+8:16" for a plan, "8:16" for a uniform trace."""
        return "+".join(str(p) for p in self.patterns)

    def supported_by(self, design) -> bool:
        """A uniform trace: its pattern is supported and sparse.  A plan: the design supports every sparse pattern its
        layers use; a plan was measured with exactly those patterns, so no layer may fall back to another."""
        sparse = [p for p in self.patterns if p != _DENSE]
        return bool(sparse) and all(design.supports(p) for p in sparse)

    @property
    def method(self) -> str:
        """The selection method as one label: "wanda/var" (criterion/mitigation), "+w<criterion>" for dual-side runs."""
        return f"{self.criterion}/{self.mitigation}" + (f"+w{self.weight_criterion}" if self.weight_criterion else "")

    def runnable_by(self, design) -> bool:
        """True when ``design`` has every unit this trace's method needs (its pattern is checked by the workload)."""
        return set(self.units) <= set(getattr(design, "mitigation_units", ()))

    def __getstate__(self) -> dict:  # workers need no manifest: keep the pickled points small
        return {**self.__dict__, "manifest": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


@dataclass(frozen=True)
class Workload:
    """One (model, dataset, sparsify) group at one protocol; its traces, one per pattern and method."""

    key: tuple[str, str, str]
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
        s = str(self.key[2])
        return next((o for o in ("weights", "both") if s.startswith(o)), "activations")

    def accepts(self, design) -> bool:
        """True when ``design`` is evaluated on this workload: a core runs the traces of the operand it skips
        (``Design.sparse_operand``; dense-only cores run activation workloads as the common baseline), and only
        when it has the units of one of its traces (VAR traces alone, no dense one: not without the variance unit)."""
        operand_ok = getattr(design, "sparse_operand", "activations") == self.operand
        return operand_ok and any(t.runnable_by(design) for t in self.traces)

    @property
    def workload_id(self) -> str:
        return "/".join(self.key) + (f"@{self.protocol}" if self.protocol else "")

    def choose(self, design) -> TraceRef:
        """The trace a design runs for this workload.

        Only traces whose method's units the design has are candidates (``TraceRef.runnable_by``): a core without
        the variance unit cannot run a VAR trace, however accurate.  Among them:

        1. the supported sparse trace with the lowest perplexity (ties: the sparser pattern, then the wider group,
           then the method needing fewer units);
        2. else the dense trace (dense is the fallback, not a candidate: a design built for
           sparsity runs sparse);
        3. else (the workload has no dense trace) the most accurate trace, executed however the
           simulator runs an unsupported pattern (overflow passes or dense; ``run_pattern``
           says which): the hardware computes that pruned model exactly, so its perplexity holds.
        """

        def rank(t: TraceRef):
            ppl = t.perplexity if t.perplexity is not None else math.inf
            # at equal perplexity and density (synthetic traces carry none) the widest group, the design's own pattern
            # last: a uniform trace before a plan, then the plan's name (uniform-only sets rank exactly as before)
            return (ppl, t.pattern.density, -(t.pattern.m if t.pattern.is_nm else 0), len(t.units), str(t.pattern), t.method,
                    t.plan != "", t.plan)

        candidates = [t for t in self.traces if t.runnable_by(design)]

        if self.operand != "activations":  # weight and dual-side cores need traces with weight masks
            wpats = {str(p) for p in getattr(design, "weight_patterns", ())}
            runnable = [t for t in candidates if t.weight_pattern is not None and str(t.weight_pattern) in wpats
                        and (self.operand == "weights" or design.supports(t.pattern))]  # fmt: skip
            if not runnable:
                raise ValueError(
                    f"design {getattr(design, 'name', design)} ({self.operand}-sparse, weight patterns {sorted(wpats)}) has no "
                    f"trace it can run in workload {self.workload_id} (mitigation units {sorted(getattr(design, 'mitigation_units', ()))}); "
                    f"capture one with --sparsify {self.operand}"
                )
            return min(runnable, key=rank)
        runnable = [t for t in candidates if t.supported_by(design)]
        # the fallbacks never take a plan: one runs only where all its patterns are native (Workload docstring)
        runnable = runnable or [t for t in candidates if t.pattern == _DENSE] or [t for t in candidates if not t.plan]
        if not runnable:
            raise ValueError(f"design {getattr(design, 'name', design)} has none of the mitigation units "
                             f"{sorted({u for t in self.traces for u in t.units})} that the traces of workload {self.workload_id} need")
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


def _group_key(m: Manifest) -> tuple[str, str, str]:
    """(model, dataset, sparsify) as strings ("none" when the manifest states none).

    Dual-side runs group by their weight pattern too (sparsify "both-w2:4"): their traces are keyed
    by activation pattern, so two weight patterns must not share a workload."""
    c = m.config
    sp = c.sparsify
    if sp == "both" and c.weight_pattern is not None:
        sp = f"both-w{c.weight_pattern}"
    return tuple(str(v) if v is not None else "none" for v in (c.model, c.dataset, sp))


def trace_ref(p: Path) -> tuple[TraceRef, tuple, str]:
    """(ref, group key, protocol tag) of the trace directory ``p``, from its manifest (read once)."""
    try:
        m = read_manifest(p)
    except TraceError as e:
        raise TraceError(f"{e}; rerun capture for it") from None
    acc = m.accuracy
    dense = m.pattern == _DENSE
    key = _group_key(m) if not dense else (*_group_key(m)[:2], "*")
    c = m.config
    # a dense trace selects and corrects nothing, whatever its config says: it needs no unit
    crit, mit = ("none", "none") if dense else (str(c.criterion or "none"), str(c.mitigation or "none"))
    ref = TraceRef(
        path=str(p.resolve()),
        run_id=m.run_id,
        pattern=m.pattern,
        perplexity=_num(acc.perplexity) if acc else None,
        dense_perplexity=_num(acc.dense_perplexity) if acc else None,
        tokens_scored=acc.tokens_scored if acc and isinstance(acc.tokens_scored, int) else None,
        layers=tuple((e.name, e.K, e.O) for e in m.layers),
        weight_pattern=m.config.weight_pattern,
        window_nll=floats(m.extra.get("window_nll")),
        window_starts=tuple(m.extra["window_starts"]) if isinstance(m.extra.get("window_starts"), list) else None,
        fingerprint=hashlib.sha256(json.dumps(m.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16],
        manifest=m,
        criterion=crit,
        mitigation=mit,
        weight_criterion=str(c.weight_criterion) if c.weight_criterion is not None and not dense else None,
        units=() if dense else units_needed(c.criterion, c.mitigation),
        **_plan_fields(m),
    )
    return ref, key, _protocol_tag(m)


def _plan_fields(m: Manifest) -> dict:
    """plan and plan_patterns of a layer-adaptive run (its manifest's ``settings["plan_name"]``; the patterns its
    layers were captured in), {} for a uniform run."""
    name = m.config.get("plan_name")
    if not name and not isinstance(m.config.get("plan"), dict):
        return {}
    pats = sorted({e.pattern for e in m.layers}, key=lambda p: (p.density, str(p)))
    return {"plan": str(name or "unnamed"), "plan_patterns": tuple(pats)}


def discover_workloads(paths) -> list[Workload]:
    """Group trace directories (or folders of them) into workloads, reading manifests only.

    A workload is one (model, dataset, sparsify) at one accuracy protocol (window length and
    evaluation tokens): perplexities are only compared at equal protocol.  It holds the traces of
    every captured criterion and mitigation.  Dense traces carry no criterion or mitigation that
    matters, so every group borrows the dense trace of the same model, dataset and protocol.
    """
    refs: dict[tuple, list[TraceRef]] = {}
    for p in _trace_dirs(paths):
        ref, key, tag = trace_ref(p)
        refs.setdefault((key, tag), []).append(ref)
    dense = {(k[0], k[1], tag): v for (k, tag), v in refs.items() if k[2] == "*"}
    sparse = {kt: v for kt, v in refs.items() if kt[0][2] != "*"}
    if not sparse:  # only dense traces: each (model, dataset, protocol) is a dense-only workload
        sparse = {((m, d, "activations"), tag): [] for m, d, tag in dense}
    return [_workload(key, tag, trs, dense.get((key[0], key[1], tag), [])) for (key, tag), trs in sorted(sparse.items())]


def _workload(key: tuple, tag: str, trs: list[TraceRef], dense: list[TraceRef]) -> Workload:
    """One workload from its sparse traces and the dense traces of its (model, dataset, protocol)."""
    name = "/".join(key) + (f"@{tag}" if tag else "")
    if len(dense) > 1:
        warnings.warn(f"several dense traces for {(key[0], key[1], tag)}; using {dense[0].run_id} as the reference", stacklevel=3)
    by_run: dict[tuple[str, str, str], TraceRef] = {}  # (pattern, method, plan) -> trace
    for t in sorted(trs, key=lambda t: t.path) + dense[:1]:
        k = (str(t.pattern), t.method, t.plan)
        if k in by_run:
            what = f"plan {t.plan}" if t.plan else str(t.pattern)
            warnings.warn(f"workload {name}: two traces for {what} {t.method}; keeping {by_run[k].run_id}", stacklevel=3)
            continue
        by_run[k] = t
    dense_ref = next((t for t in by_run.values() if t.pattern == _DENSE), None)
    ref_ppl = dense_ref.perplexity if dense_ref is not None else None
    if ref_ppl is None:
        ref_ppl = next((t.dense_perplexity for t in by_run.values() if t.dense_perplexity is not None), None)
    traces = tuple(with_intervals(t, dense_ref) for t in by_run.values())
    return Workload(key, traces, ref_ppl, common_layers(name, list(traces)), tag)
