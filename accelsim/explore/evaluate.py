"""Evaluate designs on workloads: pick the pattern, simulate, price, join accuracy.

A *workload* is one (model, dataset, criterion, mitigation, sparsify) group of traces,
one trace per pattern.  For a design, the workload runs the supported pattern with the best
(lowest) perplexity, dense as the fallback; the hardware figures come from that pattern's
trace.  Perplexity change is measured against the group's dense trace (or, when the capture
stored it, ``accuracy.dense_perplexity``).

Trace statistics that no design field changes are computed once per process by
``accelsim.sim.prepare`` and cached by trace path, so a chunk of designs reuses them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from accelsim.explore.spec import CONSTRAINTS, design_id, largest_pattern_label
from accelsim.patterns import Pattern
from accelsim.traces import TraceError, is_complete_trace, load_trace

__all__ = ["Backend", "default_backend", "TraceRef", "Workload", "discover_workloads", "evaluate_chunk", "design_columns"]

GROUP_KEYS = ("model", "dataset", "criterion", "mitigation", "sparsify")


@dataclass(frozen=True)
class Backend:
    """The simulator and cost model the explorer drives (``accelsim.sim``/``accelsim.cost`` by default)."""

    design_cls: type
    prepare: Callable
    simulate: Callable
    price: Callable
    presets: dict


def default_backend() -> Backend:
    from accelsim import cost, sim

    return Backend(sim.Design, sim.prepare, sim.simulate, cost.price, dict(sim.presets))


@dataclass(frozen=True)
class TraceRef:
    """A trace on disk, described by its manifest (masks are loaded only by workers)."""

    path: str
    run_id: str
    pattern: str
    perplexity: float | None
    dense_perplexity: float | None
    tokens_scored: int | None  # tokens behind the perplexity (accuracy.tokens_scored)
    layers: tuple[tuple[str, int, int], ...]  # (name, K, O) of every traced layer
    fingerprint: str  # hash of the manifest (changes when the trace is recaptured)


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
    def workload_id(self) -> str:
        return "/".join(self.key) + (f"@{self.protocol}" if self.protocol else "")

    def choose(self, design) -> TraceRef:
        """The trace a design runs for this workload.

        1. the supported sparse trace with the lowest perplexity (ties: the sparser pattern);
        2. else the dense trace (dense is the fallback, not a candidate: a design built for
           sparsity runs sparse);
        3. else (the workload has no dense trace) the most accurate trace, executed however the
           simulator runs an unsupported pattern (overflow passes or dense; ``run_pattern``
           says which): the hardware computes that pruned model exactly, so its perplexity holds.
        """

        def rank(t: TraceRef):
            ppl = t.perplexity if t.perplexity is not None else math.inf
            return (ppl, Pattern.parse(t.pattern).density, t.pattern)

        runnable = [t for t in self.traces if t.pattern != "dense" and design.supports(t.pattern)]
        runnable = runnable or [t for t in self.traces if t.pattern == "dense"] or list(self.traces)
        return min(runnable, key=rank)


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError) as e:
        raise TraceError(f"{path}: cannot read manifest.json: {e}") from None


def _trace_dirs(paths) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if (p / "manifest.json").is_file():
            out.append(p)
        elif p.is_dir():
            subs = sorted(q for q in p.iterdir() if (q / "manifest.json").is_file())
            if not subs:
                raise TraceError(f"{p} holds no trace (no manifest.json in it or its subdirectories); run `python -m accelsim.capture` first")
            out.extend(subs)
        else:
            raise TraceError(f"trace path {p} does not exist")
    return out


def _num(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _protocol_tag(cfg: dict) -> str:
    """Short tag of the accuracy protocol ("L512-E2048": window length, evaluation tokens), "" if unknown."""
    parts = [f"{c}{cfg[k]}" for c, k in (("L", "seq_len"), ("E", "eval_tokens")) if cfg.get(k) is not None]
    return "-".join(parts)


def discover_workloads(paths) -> list[Workload]:
    """Group trace directories (or folders of them) into workloads, reading manifests only.

    A workload is one (model, dataset, criterion, mitigation, sparsify) at one accuracy
    protocol (window length and evaluation tokens): perplexities are only compared at equal
    protocol.  Dense traces carry no criterion or mitigation that matters, so a group without
    its own dense trace borrows the dense trace of the same model, dataset and protocol.
    """
    refs: dict[tuple, list[TraceRef]] = {}
    for p in _trace_dirs(paths):
        if not is_complete_trace(p):
            raise TraceError(f"{p}: trace is incomplete or of another schema version; rerun capture for it")
        m = _read_manifest(p)
        cfg, acc = m.get("config", {}), m.get("accuracy", {}) or {}
        pattern = str(Pattern.parse(cfg.get("pattern") or (m["layers"][0]["pattern"] if m.get("layers") else "dense")))
        key = tuple(str(cfg.get(k, "none")) for k in GROUP_KEYS)
        if pattern == "dense":
            key = (key[0], key[1], "*", "*", "*")
        ref = TraceRef(
            path=str(p.resolve()),
            run_id=str(m.get("run_id", p.name)),
            pattern=pattern,
            perplexity=_num(acc.get("perplexity")),
            dense_perplexity=_num(acc.get("dense_perplexity")),
            tokens_scored=int(acc["tokens_scored"]) if isinstance(acc.get("tokens_scored"), int) else None,
            layers=tuple((str(ly["name"]), int(ly["K"]), int(ly["O"])) for ly in m.get("layers", [])),
            fingerprint=hashlib.sha256(json.dumps(m, sort_keys=True, default=str).encode()).hexdigest()[:16],
        )
        refs.setdefault((key, _protocol_tag(cfg)), []).append(ref)
    dense = {(k[0], k[1], tag): v for (k, tag), v in refs.items() if k[2] == "*"}
    sparse = {kt: v for kt, v in refs.items() if kt[0][2] != "*"}
    if not sparse:  # only dense traces: each (model, dataset, protocol) is a dense-only workload
        sparse = {((m, d, "none", "none", "none"), tag): [] for m, d, tag in dense}
    workloads = []
    for (key, tag), trs in sorted(sparse.items()):
        dkey = (key[0], key[1], tag)
        name = "/".join(key) + (f"@{tag}" if tag else "")
        if len(dense.get(dkey, [])) > 1:
            warnings.warn(f"several dense traces for {dkey}; using {dense[dkey][0].run_id} as the reference", stacklevel=2)
        by_pattern: dict[str, TraceRef] = {}
        for t in sorted(trs, key=lambda t: t.path) + dense.get(dkey, [])[:1]:
            if t.pattern in by_pattern:
                warnings.warn(f"workload {name}: two traces for {t.pattern}; keeping {by_pattern[t.pattern].run_id}", stacklevel=2)
                continue
            by_pattern[t.pattern] = t
        ref_ppl = by_pattern["dense"].perplexity if "dense" in by_pattern else None
        if ref_ppl is None:
            ref_ppl = next((t.dense_perplexity for t in by_pattern.values() if t.dense_perplexity is not None), None)
        traces = tuple(by_pattern.values())
        workloads.append(Workload(key, traces, ref_ppl, _common_layers(name, list(traces)), tag))
    return workloads


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
    warnings.warn(f"workload {name}: traces cover different layers; evaluating the {len(common)} layers common to all", stacklevel=3)
    return tuple(n for n, _, _ in refs[0].layers if n in common)


# ------------------------------------------------------------------ workers
_PREPARED: dict[tuple[str, int], Any] = {}


def _prepared(ref: TraceRef, layers: tuple[str, ...] | None, backend: Backend):
    key = (ref.path, layers, id(backend.prepare))
    if key not in _PREPARED:
        _PREPARED[key] = backend.prepare(load_trace(ref.path, layers=layers))
    return _PREPARED[key]


def design_columns(design) -> dict[str, Any]:
    """Every Design field as a flat column (sets as "a|b"), plus id, label and derived sizes."""
    cols: dict[str, Any] = {"design_id": design_id(design), "design_name": design.name}
    for f in dataclasses.fields(design):
        if f.name == "name":
            continue
        v = getattr(design, f.name)
        cols[f.name] = "|".join(map(str, v)) if isinstance(v, tuple) else v
    cols["largest_pattern"] = largest_pattern_label(design.patterns)
    cols["multipliers"] = int(design.multipliers)
    cols["max_m"] = int(design.max_m)
    return cols


def _row(design, wl: Workload, mode: str, constraints: dict, backend: Backend) -> dict[str, Any]:
    ref = wl.choose(design)
    res = backend.simulate(design, _prepared(ref, wl.layers, backend), mode=mode)
    cost = backend.price(res, design)
    tokens = int(res.tokens)
    seconds = res.cycles / (design.clock_ghz * 1e9)
    ops = 2.0 * wl.macs_per_token * tokens  # dense-equivalent ops: comparable across patterns
    row = design_columns(design)
    row.update(dict(zip(("model", "dataset", "criterion", "mitigation", "sparsify"), wl.key)))
    ppl, ref_ppl = ref.perplexity, wl.dense_perplexity
    row.update(
        workload_id=wl.workload_id,
        eval_protocol=wl.protocol,
        mode=mode,
        trace_run_id=ref.run_id,
        trace_pattern=ref.pattern,
        run_pattern=str(res.run_pattern),
        perplexity=ppl,
        dense_perplexity=ref_ppl,
        ppl_delta=(ppl - ref_ppl) if ppl is not None and ref_ppl is not None else None,
        tokens_scored=ref.tokens_scored,
        tokens=tokens,
        cycles=int(res.cycles),
        cycles_per_token=res.cycles / tokens,
        energy_j=float(cost.energy_j),
        energy_per_token_j=cost.energy_j / tokens,
        area_mm2=float(cost.area_mm2),
        tokens_per_s=tokens / seconds,
        power_w=cost.energy_j / seconds,
        effective_tops=ops / seconds / 1e12,
        tops_per_w=ops / cost.energy_j / 1e12,
        tops_per_mm2=ops / seconds / 1e12 / cost.area_mm2,
        pe_utilization=float(res.pe_utilization),
        macs_useful=int(res.macs_useful),
        mac_slots=int(res.mac_slots),
    )
    for cause, c in res.cycles_by_cause.items():
        row[f"cycles.{cause}"] = int(c)
    for comp, e in cost.energy_by_component_j.items():
        row[f"energy_j.{comp}"] = float(e)
    for comp, a in cost.area_by_component_mm2.items():
        row[f"area_mm2.{comp}"] = float(a)
    feasible = True
    for key, limit in constraints.items():
        col, kind = CONSTRAINTS[key]
        feasible &= row[col] <= limit if kind == "max" else row[col] >= limit
    row["feasible"] = bool(feasible)
    return row


def evaluate_chunk(points, constraints: dict, backend: Backend | None = None) -> list[dict[str, Any]]:
    """One row per (design, workload, mode) point of a chunk; runs in a worker process."""
    backend = backend or default_backend()
    rows = []
    for d, wl, mode in points:
        try:
            rows.append(_row(d, wl, mode, constraints, backend))
        except Exception as e:  # name the point: a bare traceback from a worker says nothing about which design
            raise RuntimeError(f"design {d.name} (id {design_id(d)}) on workload {wl.workload_id}, mode {mode}: {type(e).__name__}: {e}") from e
    return rows
