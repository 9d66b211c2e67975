"""Layer-adaptive plans on one flexible core: every uniform and plan trace it can run, simulated and priced here.

``explore`` writes one row per (design, workload, mode): the trace ``Workload.choose`` picks, so a sweep's rows
hold at most one plan per design.  Comparing plans with the uniform patterns needs every trace the core can run,
so this step evaluates them directly (``accelsim.explore.points.evaluate_trace``: the explorer's own row, from
``simulate`` + ``price``, on a workload narrowed to that one trace) for one core: the design named by
``--plans-design`` (a design of the sweep or a preset), else the design on the sweep's front that supports the most
patterns among the sweep's designs that can run a plan.  The findings are numbers (:class:`PlanPoint`,
:class:`PlanFindings`); :func:`plans_verdict` words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from accelsim.results import ROWS, Table, front_rows, read_rows, select

__all__ = ["PlanPoint", "PlanFindings", "plan_findings", "plans_verdict", "BASE"]

BASE = "8:16"  # the uniform pattern a plan must beat (issue 12: what a flexible core gains over uniform 8:16)


@dataclass(frozen=True)
class PlanPoint:
    """One trace on the core: a uniform pattern (plan "") or a captured plan."""

    label: str  # the pattern ("8:16") or the plan's name
    plan: str
    patterns: str  # "2:4+8:16"
    perplexity: float
    ppl_delta: float  # vs the workload's dense trace (nan when unknown)
    delta_lo: float  # its paired 95 % interval (nan when the capture recorded none)
    delta_hi: float
    perplexity_lo: float
    perplexity_hi: float
    cycles_per_token: float
    energy_per_token_j: float
    vs_base: tuple[float, float, float] | None = None  # plan minus uniform BASE perplexity, paired (point, lo, hi)


@dataclass(frozen=True)
class PlanFindings:
    workload: str
    mode: str
    design: str
    points: tuple[PlanPoint, ...]

    @property
    def base(self) -> PlanPoint | None:
        # several captured methods of BASE: the most accurate, as Workload.choose would take it
        uni = [p for p in self.points if not p.plan and p.patterns == BASE]
        return min(uni, key=lambda p: p.perplexity) if uni else None

    def winners(self, metric: str) -> list[PlanPoint]:
        """Plans cheaper than uniform BASE in ``metric`` at equal or better perplexity: equal = the paired interval
        of (plan - BASE) reaches 0 or below when the captures recorded one, else plan perplexity <= BASE's."""
        b = self.base
        if b is None:
            return []
        out = []
        for p in self.points:
            if not p.plan:
                continue
            lo = p.vs_base[1] if p.vs_base is not None else None
            as_good = lo <= 0 if lo is not None and math.isfinite(lo) else p.perplexity <= b.perplexity
            if as_good and getattr(p, metric) < getattr(b, metric):
                out.append(p)
        return sorted(out, key=lambda p: getattr(p, metric))


def _runs_a_plan(design, refs) -> bool:
    return any(r.plan and r.supported_by(design) for r in refs)


def _n_patterns(design) -> int:
    return len([p for p in design.patterns if str(p) != "dense"])


def _choose_design(results_dir: Path, table: Table, wl: str, mode: str, refs, name: str | None, backend):
    """The core of the section (see the module docstring); None when no design of the sweep can run a plan."""
    from accelsim.explore.points import design_from_row  # the inverse of the columns explore wrote

    rows = [r for r in read_rows(Path(results_dir) / ROWS) if r.get("workload_id") == wl and r.get("mode") == mode]
    if name is not None:
        row = next((r for r in rows if r.get("design_name") == name), None)
        if row is not None:
            return design_from_row(row, backend.design_cls)
        if name in backend.presets:
            return backend.presets[name]
        names = sorted({r.get("design_name") for r in rows})
        raise ValueError(f"--plans-design {name!r} is neither a design of the sweep ({', '.join(names[:8])}...) nor a preset "
                         f"({', '.join(sorted(backend.presets))})")  # fmt: skip
    t = select(table, wl, mode)
    on_front = set(t["design_id"][front_rows(t)]) if len(t) else set()
    seen, cands = set(), []
    for r in rows:
        if r.get("design_id") in seen or r.get("sparse_operand", "activations") != "activations":
            continue
        seen.add(r.get("design_id"))
        d = design_from_row(r, backend.design_cls)
        if _runs_a_plan(d, refs):
            cands.append((r.get("design_id") not in on_front, -_n_patterns(d), float(r.get("area_mm2") or 0), d.name, d))
    return min(cands, key=lambda c: c[:4])[4] if cands else None


def _point(ref, row: dict, base_ref, with_method: bool = False) -> PlanPoint:
    def f(k):
        v = row.get(k)
        return float(v) if v is not None else math.nan

    vs = None
    if ref.plan and base_ref is not None and ref.window_nll and base_ref.window_nll and len(ref.window_nll) == len(base_ref.window_nll):
        from accelsim.capture.stats import paired_difference  # NumPy only (no torch)

        d = paired_difference(ref.window_nll, base_ref.window_nll)
        vs = (d.value, d.lo if d.lo is not None else math.nan, d.hi if d.hi is not None else math.nan)
    label = (ref.plan or str(ref.pattern)) + (f" {ref.method}" if with_method else "")
    return PlanPoint(label, ref.plan, ref.patterns_label, f("perplexity"), f("ppl_delta"), f("ppl_delta_lo"),
                     f("ppl_delta_hi"), f("perplexity_lo"), f("perplexity_hi"), f("cycles_per_token"), f("energy_per_token_j"), vs)


def plan_findings(results_dir, table: Table, meta: dict, design: str | None = None, backend=None) -> list[PlanFindings]:
    """One :class:`PlanFindings` per (workload, mode) of the sweep whose workload holds a plan trace; [] when none does."""
    from accelsim.explore.points import clear_process_caches, default_backend, evaluate_trace, process_cache
    from accelsim.explore.workloads import discover_workloads

    paths = sorted({tr["path"] for tr in meta.get("traces", []) if tr.get("plan")})
    if not paths:
        return []
    missing = [p for p in paths if not Path(p).is_dir()]
    if missing:
        raise ValueError(f"plan trace {missing[0]} (named in sweep.json) is not on this machine; run the report where the traces are")
    all_paths = sorted({tr["path"] for tr in meta.get("traces", [])})
    backend = backend or default_backend()
    cache = process_cache(backend)
    out = []
    try:
        for wl in discover_workloads(all_paths):
            if not any(t.plan for t in wl.traces):
                continue
            modes = [m for m in ("prefill", "decode") if ((table["workload_id"] == wl.workload_id) & (table["mode"] == m)).any()]
            for mode in modes:
                core = _choose_design(results_dir, table, wl.workload_id, mode, wl.traces, design, backend)
                if core is None:
                    continue
                refs = [t for t in wl.traces if t.supported_by(core) and t.runnable_by(core)]
                bases = [t for t in refs if not t.plan and str(t.pattern) == BASE]
                base_ref = min(bases, key=lambda t: t.perplexity if t.perplexity is not None else math.inf, default=None)
                several = len({t.method for t in refs}) > 1  # label points by method only when methods differ
                pts = tuple(_point(t, evaluate_trace(core, wl, t, mode, backend, cache), base_ref, several) for t in refs)
                out.append(PlanFindings(wl.workload_id, mode, core.name, pts))
    finally:
        clear_process_caches()
    return out


def _pct(new: float, old: float) -> str:
    return f"{(new / old - 1) * 100:+.1f} %"


def _paired(p: PlanPoint) -> str:
    if p.vs_base is None or not math.isfinite(p.vs_base[1]):
        return ""
    return f", paired difference {p.vs_base[0]:+.3f} [{p.vs_base[1]:+.3f}, {p.vs_base[2]:+.3f}]"


def plans_verdict(f: PlanFindings, fmt_energy) -> str:
    """One sentence from the numbers: which captured plans beat uniform BASE on cycles or energy at equal or better
    perplexity, by how much, or that none does."""
    b = f.base
    plans = [p for p in f.points if p.plan]
    if not plans:  # a --plans-design core that lacks a pattern of every plan
        return f"`{f.design}` can run none of the captured plans natively (each uses a pattern it does not support)."
    if b is None:
        return (f"`{f.design}` has no uniform {BASE} trace to compare the {len(plans)} captured plan(s) with "
                f"(capture {BASE}, or name a core that supports it with --plans-design).")
    rule = "equal = the paired 95 % interval of the perplexity difference reaches 0" if any(
        p.vs_base is not None and math.isfinite(p.vs_base[1]) for p in plans) else "equal = strictly equal or lower"
    parts = []
    for metric, what, fmt in (("cycles_per_token", "cycles per token", lambda v: f"{v:.4g}"),
                              ("energy_per_token_j", "energy per token", fmt_energy)):  # fmt: skip
        w = f.winners(metric)
        if w:
            best = w[0]
            parts.append(f"on {what}, plan `{best.label}` ({best.patterns}) needs {fmt(getattr(best, metric))} against "
                         f"{fmt(getattr(b, metric))} for uniform {BASE} ({_pct(getattr(best, metric), getattr(b, metric))}) at "
                         f"perplexity {best.perplexity:.3f} vs {b.perplexity:.3f}{_paired(best)}" + (f" ({len(w)} plans beat it)" if len(w) > 1 else ""))
    if not parts:
        return (f"On `{f.design}`, none of the {len(plans)} captured plans beats uniform {BASE} (perplexity {b.perplexity:.3f}, "
                f"{b.cycles_per_token:.4g} cycles/token, {fmt_energy(b.energy_per_token_j)}/token) on cycles or energy at equal "
                f"or better perplexity ({rule}).")
    return f"On `{f.design}`: " + "; ".join(parts) + f" ({rule})."
