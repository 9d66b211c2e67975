"""Criteria and mitigations in a sweep: per trace pattern, the best captured method and whether its unit pays.

A workload holds every captured (pattern, criterion, mitigation) trace, and each design runs the most
accurate one it can run (``accelsim.explore.workloads``): a method that needs a hardware unit (VAR: the
variance unit; D-PTS, S-PTS, L-PTS: the median unit) is only open to designs that include it.  For each
pattern this computes, from the sweep's trace list (``sweep.json``) and the results table:

* the best method captured, the unit it needs, and the best method that needs none;
* how many designs run the best method, and how many of those are on the main Pareto front;
* their *twins*: designs identical in every field but ``mitigation_units`` that lack the unit (the
  space's ``[variants]`` make them), with the unit's median area and energy premium, and how many of
  the twins are on the front.  A unit "puts a design on the front" when the design is on it and its
  twin is not.

Numbers here, words in :func:`methods_section`.  Only NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.results import Table, accuracy_column, front_rows

__all__ = ["MethodStats", "method_stats", "methods_section", "front_methods", "runs_label"]

_NOT_DESIGN = {"design_id", "design_name", "largest_pattern", "max_m", "multipliers", "mitigation_units"}


@dataclass(frozen=True)
class MethodStats:
    pattern: str
    methods: int  # methods captured at this pattern
    best: str  # the most accurate captured method
    best_units: tuple[str, ...]
    best_ppl: float
    free: str | None  # the most accurate method that needs no unit (None: every one needs a unit)
    free_ppl: float
    runs: int  # designs (rows) that run the best method at this pattern
    with_units: int  # designs that have the units the best method needs (whatever trace they run)
    on_front: int
    twins: int  # of those, designs with a twin lacking the unit
    twins_on_front: int
    put_on_front: int  # on the front while their twin is not
    area_premium: float  # median area ratio design / twin - 1 (NaN: no twins)
    energy_premium: float


def runs_label(t: Table, i: int) -> str:
    """What row ``i`` runs: "8:16 wanda/var" (trace pattern, criterion/mitigation), "dense" for the dense trace."""
    pat = str(t["trace_pattern"][i])
    return "dense" if pat == "dense" else f"{pat} {t['method'][i]}"


def front_methods(t: Table, front: np.ndarray) -> dict[str, int]:
    """Front designs by the method they run ("magnitude/var": n), most common first ({} for tables without methods)."""
    if "method" not in t:
        return {}
    dense = t["trace_pattern"][front].astype(str) == "dense"  # a dense trace selects nothing: no method to name
    names, counts = np.unique(np.where(dense, "dense", t["method"][front].astype(str)), return_counts=True)
    return {str(n): int(c) for c, n in sorted(zip(counts, names), key=lambda x: (-x[0], x[1]))}


def _captured(meta: dict, workload: str) -> dict[str, list[tuple[str, tuple[str, ...], float]]]:
    """pattern -> [(method, units, perplexity)] of the sparse traces of ``workload`` in the sweep's trace list."""
    out: dict[str, list] = {}
    for tr in meta.get("traces", []):
        ppl = (tr.get("accuracy") or {}).get("perplexity")
        # plans (several patterns each) have their own section (report.plans), not a pattern's row here
        if tr.get("workload_id") != workload or tr.get("pattern") == "dense" or "method" not in tr or not isinstance(ppl, (int, float)) \
                or tr.get("plan"):
            continue
        out.setdefault(tr["pattern"], []).append((tr["method"], tuple(tr.get("units") or ()), float(ppl)))
    return out


def _twin_index(t: Table, design_fields) -> tuple[list[str], dict]:
    keys = [c for c in design_fields if c in t and c not in _NOT_DESIGN]
    index: dict = {}
    for j in range(len(t)):
        if str(t["mitigation_units"][j]) == "":
            index.setdefault(tuple(t[k][j] for k in keys), j)
    return keys, index


def method_stats(t: Table, meta: dict, workload: str, design_fields) -> list[MethodStats]:
    """One entry per sparse pattern captured in ``workload`` (rows ``t``: that workload and one mode)."""
    if "method" not in t or "mitigation_units" not in t:
        return []
    front = front_rows(t)
    keys, twins = _twin_index(t, design_fields)
    dense = float(np.nanmin(t.get("dense_perplexity").astype(float))) if np.isfinite(t.get("dense_perplexity").astype(float)).any() else 0.0
    units = [set(str(u).split("|")) - {""} for u in t["mitigation_units"]]
    out = []
    for pat, runs in sorted(_captured(meta, workload).items()):
        best = min(runs, key=lambda r: (r[2], len(r[1]), r[0]))
        free = min((r for r in runs if not r[1]), key=lambda r: (r[2], r[0]), default=None)
        uniform = t["plan"].astype(str) == "" if "plan" in t else np.ones(len(t), bool)  # rows before plans: all uniform
        rows = np.flatnonzero((t["trace_pattern"].astype(str) == pat) & (t["method"].astype(str) == best[0]) & uniform)
        pairs = [(i, twins.get(tuple(t[k][i] for k in keys))) for i in rows] if best[1] else []
        pairs = [(i, j) for i, j in pairs if j is not None]
        area = [float(t["area_mm2"][i]) / float(t["area_mm2"][j]) - 1 for i, j in pairs]
        energy = [float(t["energy_per_token_j"][i]) / float(t["energy_per_token_j"][j]) - 1 for i, j in pairs]
        out.append(MethodStats(
            pat, len(runs), best[0], best[1], best[2] - dense, free[0] if free else None, (free[2] - dense) if free else float("nan"),
            len(rows), sum(set(best[1]) <= u for u in units) if best[1] else len(t), int(front[rows].sum()), len(pairs), int(sum(front[j] for _, j in pairs)),
            int(sum(front[i] and not front[j] for i, j in pairs)),
            float(np.median(area)) if area else float("nan"), float(np.median(energy)) if energy else float("nan"),
        ))  # fmt: skip
    return out


def _verdict(s: MethodStats) -> str:
    if not s.best_units:
        return "needs no unit"
    unit = " and ".join(s.best_units)
    if not s.with_units:
        return f"no design in the sweep has the {unit} unit (add it with a `[variants]` section)"
    if not s.runs:
        return f"none of the {s.with_units} designs with the {unit} unit runs {s.pattern}: they run a more accurate pattern"
    if not s.on_front:
        return f"no: none of the {s.runs} designs that run it is on the front"
    if not s.twins:
        return f"yes: {s.on_front} of the {s.runs} designs that run it are on the front (none has a twin without the unit)"
    only = f"{s.put_on_front} only with the unit, " if s.put_on_front else ""
    return (f"yes: {s.on_front} of the {s.runs} designs that run it are on the front ({only}{s.twins_on_front} of their "
            f"{s.twins} twins without the unit are on it too)")


def methods_section(t: Table, meta: dict, workload: str, design_fields) -> list[str]:
    """The "Criteria and mitigations in the sweep" subsection (no lines when the table has no methods)."""
    stats = method_stats(t, meta, workload, design_fields)
    if not stats:
        return []
    label = accuracy_column(t)[1]
    rows = []
    for s in stats:
        free = f"{s.free} ({s.free_ppl:+.3f})" if s.free else "-"
        prem = f"{s.area_premium * 100:+.2f} % / {s.energy_premium * 100:+.2f} %" if np.isfinite(s.area_premium) else "-"
        rows.append([s.pattern, s.methods, f"{s.best} ({s.best_ppl:+.3f})", ", ".join(s.best_units) or "none", free,
                     f"{s.on_front} of {s.runs}", prem, _verdict(s)])  # fmt: skip
    head = ["trace pattern", "methods captured", f"best method ({label})", "unit it needs", "best without a unit",
            "its designs on the front", "unit's area / energy premium over the twin (median)", "does paying for the unit put the design on the front?"]  # fmt: skip
    body = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    intro = ("Each design runs the most accurate captured trace it can run: its pattern supported and its method's "
             "unit (VAR: variance unit; D-PTS, S-PTS, L-PTS: median unit) among the design's `mitigation_units`. "
             "A twin is the same design without the unit.")
    return ["### Criteria and mitigations in the sweep", "", intro, "", *body, "", *_unit_use(t)]


def _unit_use(t: Table) -> list[str]:
    """One line: per mitigation unit, the designs that include it, how many run a trace that uses it, and front places."""
    if "method_units" not in t:
        return []
    front = front_rows(t)
    has = [set(str(u).split("|")) - {""} for u in t["mitigation_units"]]
    uses = [set(str(u).split("|")) - {""} for u in t["method_units"]]
    parts = []
    for unit in sorted(set().union(*has)) if has else []:
        rows = [i for i, h in enumerate(has) if unit in h]
        used = [i for i in rows if unit in uses[i]]
        parts.append(f"{unit}: {len(rows)} designs include it, {len(used)} run a trace that uses it, "
                     f"{int(front[rows].sum())} of them on the front" + ("" if used else " (no captured method in this sweep needs it)"))  # fmt: skip
    return [f"Mitigation units in this sweep: {'; '.join(parts)}.", ""] if parts else []
