"""What ``python -m accelsim.explore`` prints after a sweep: per workload and mode, the best design of each largest
supported pattern, the size of the main Pareto front and the matched-pair premium of the compared pair; a warning
line (``warning: ...``) when no design meets the space's constraints.

Numbers come from the same findings as the report (:mod:`accelsim.report.findings`); no plotting is imported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accelsim.report.findings import DEFAULT_COMPARE, LABELS, matched_pairs
from accelsim.report.methods import runs_label
from accelsim.results import Table, accuracy_column, front_rows, has_accuracy, load_meta, load_results

__all__ = ["summary_lines", "best_per_family", "short_workload"]


def short_workload(t: Table, i: int = 0) -> str:
    """A short label of row ``i``'s workload: model and dataset names (paths cut to their last part) and operand,
    where they say something ("smollm2-135m, brown"); criterion and mitigation too in tables of sweeps whose
    workloads were one method each (rows without a ``method`` column)."""
    parts = []
    cols = ("model", "dataset", "sparsify") if "method" in t else ("model", "dataset", "criterion", "mitigation", "sparsify")
    for col in cols:
        v = str(t[col][i]) if col in t else ""
        if col in ("model", "dataset") and ("/" in v or "\\" in v):  # a hub id or a path: its last part
            v = Path(v.replace("\\", "/")).name
            v = v.rsplit(".", 1)[0] if col == "dataset" and v.lower().endswith((".txt", ".text", ".jsonl", ".json")) else v
        if v and v not in ("none", "*", "activations"):  # the defaults say nothing
            parts.append(v)
    return ", ".join(parts) or "synthetic traces"  # no model, dataset or method: generated masks (accelsim.synthetic)


def _fmt_energy(j: float) -> str:
    for f, u in ((1e-12, "pJ"), (1e-9, "nJ"), (1e-6, "uJ"), (1e-3, "mJ")):
        if abs(j) < f * 1000:
            return f"{j / f:.3g} {u}"
    return f"{j:.3g} J"


def best_per_family(t: Table) -> dict[str, int]:
    """Row index of the best design of each largest-pattern family: lowest accuracy column (perplexity change),
    ties and traces without accuracy broken by the smaller area x time per token."""
    acc = t.get(accuracy_column(t)[0]).astype(float)
    acc = np.where(np.isfinite(acc), acc, np.inf)
    at = t["area_mm2"].astype(float) / t["tokens_per_s"].astype(float)
    labels = t["largest_pattern"].astype(str)
    out = {}
    for lab in [*LABELS, *sorted(set(labels) - set(LABELS))]:
        rows = np.flatnonzero(labels == lab)
        if len(rows):
            out[lab] = int(rows[np.lexsort((at[rows], acc[rows]))[0]])
    return out


def _has_range(p) -> bool:
    """The cost model gave corners that differ from the nominal ratios (a backend without ranges gives none)."""
    return p.has_corners and not all(np.allclose(getattr(p, f"{k}_{c}"), getattr(p, k)) for k in ("area", "energy") for c in ("low", "high"))


def _pair_line(t: Table, fields, compare: tuple[str, str]) -> str:
    a, b = compare
    p = matched_pairs(t, fields, a, b)
    if not len(p):
        return f"  {a} vs {b}: no matched pairs (designs identical but for the patterns) in this sweep"
    area, energy = (float(np.median(p.area)) - 1) * 100, (float(np.median(p.energy)) - 1) * 100
    rng = p.premium_range()
    span = (f" (cost-model range area {rng['area'][0] * 100:+.1f} to {rng['area'][1] * 100:+.1f} %, "
            f"energy {rng['energy'][0] * 100:+.1f} to {rng['energy'][1] * 100:+.1f} %)") if _has_range(p) else ""  # fmt: skip
    gain = f"; perplexity change improves by {p.accuracy_gain:+.3f}" if np.isfinite(p.accuracy_gain) else ""
    return f"  {a} vs {b} premium on {len(p)} matched pairs: area {area:+.1f} %, energy/token {energy:+.1f} % (medians){span}{gain}"


def summary_lines(results_dir: "str | Path", compare: tuple[str, str] = DEFAULT_COMPARE) -> list[str]:
    """The console summary of a results directory (see the module docstring)."""
    table, meta = load_results(results_dir), load_meta(results_dir)
    if len(table) == 0:
        return ["warning: the sweep produced no rows (no design accepted any workload)"]
    fields = meta.get("design_fields") or []
    constraints = (meta.get("spec") or {}).get("constraints") or {}
    feasible = table["feasible"].astype(bool) if "feasible" in table else np.ones(len(table), dtype=bool)
    lines = []
    pairs = sorted({(w, m) for w, m in zip(table["workload_id"], table["mode"])}, key=lambda p: (p[0], p[1] != "prefill", p[1]))
    for wl, mode in pairs:
        here = (table["workload_id"] == wl) & (table["mode"] == mode)
        t = table.where(here & feasible)
        label = short_workload(table.where(here))
        if len(t) == 0:
            lines.append(f"warning: no design is feasible for {label} ({mode}): all {int(here.sum())} designs break the "
                         f"constraints {constraints}; loosen [constraints] in the space spec or add smaller designs")  # fmt: skip
            continue
        front = front_rows(t)
        lines.append(f"{label} ({mode}): {len(t)} feasible designs of {int(here.sum())}, {int(front.sum())} on the Pareto front "
                     f"(accuracy, area, energy, cycles)")  # fmt: skip
        col = accuracy_column(t)[0]
        runs = "method" in t  # the trace the design runs: pattern and criterion/mitigation
        lines.append(f"  {'largest':12s} {'best design':28s} {col + ' ' if has_accuracy(t) else '':>12s} {'area mm2':>9s} "
                     f"{'energy/token':>12s} {'tokens/s':>10s}" + ("  runs" if runs else ""))  # fmt: skip
        for lab, i in best_per_family(t).items():
            acc = float(t.get(col)[i])
            acc_s = f"{acc:+12.3f}" if np.isfinite(acc) else f"{'-':>12s}"
            lines.append(f"  {lab:12s} {str(t['design_name'][i]):28s} {acc_s} {float(t['area_mm2'][i]):9.3g} "
                         f"{_fmt_energy(float(t['energy_per_token_j'][i])):>12s} {float(t['tokens_per_s'][i]):10.4g}"
                         + (f"  {runs_label(t, i)}" if runs else ""))  # fmt: skip
        lines.append(_pair_line(t, fields, compare))
    return lines
