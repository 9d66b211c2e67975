"""Write ``analysis/<name>/report.md`` from a results directory: figures, tables, verdict, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from accelsim.io import atomic_write_text
from accelsim.report import figures as F
from accelsim.report.findings import DEFAULT_COMPARE, LABELS, family_stats, find, matched_pairs
from accelsim.report.methods import methods_section, runs_label
from accelsim.report.operands import has_several_operands, operand_rows
from accelsim.report.verdict import verdict_lines
from accelsim.results import Table, accuracy_column, front_rows, has_accuracy, load_meta, load_results, select

__all__ = ["write_report", "fmt_energy", "figure_stem"]

_FIGURES = (
    ("accuracy_vs_area_time", F.fig_accuracy_vs_area_time),  # first: the main figure (area at equal throughput)
    ("accuracy_premium", F.fig_premium),  # what each wider pattern costs over the compared base, and buys
    ("accuracy_vs_area", F.fig_accuracy_vs_area),
    ("accuracy_vs_energy", F.fig_accuracy_vs_energy),
    ("cycles_vs_area", F.fig_cycles_vs_area),
    ("stall_breakdown", F.fig_stall_breakdown),
    ("energy_breakdown", F.fig_energy_breakdown),
)
_FRONT_COLS = ("largest_pattern", "selector", "metadata_format", "pe_rows", "pe_cols", "lanes_per_pe", "precision",
               "weight_bw_bytes_per_cycle", "tech_nm")
MAX_SECTIONS = 4  # (workload, mode) sections with their own figures


def fmt_energy(j: float) -> str:
    for f, u in ((1e-12, "pJ"), (1e-9, "nJ"), (1e-6, "µJ"), (1e-3, "mJ")):
        if abs(j) < f * 1000:
            return f"{j / f:.3g} {u}"
    return f"{j:.3g} J"


def _acc(v) -> str:
    """An accuracy cell: signed to 3 decimals, "-" when the traces carry none."""
    v = float(v)
    return f"{v:+.3f}" if np.isfinite(v) else "-"


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def _front_table(t: Table, limit: int = 20) -> list[str]:
    f = t.where(front_rows(t))
    f = f.where(np.argsort(f["area_mm2"].astype(float), kind="stable")[:limit])
    col, _ = accuracy_column(t)
    cols = [c for c in _FRONT_COLS if c in f]
    runs = "method" in f  # the trace each design runs (pattern, criterion/mitigation) and the units it pays for
    units = [str(u).replace("|", ", ") or "-" for u in f["mitigation_units"]] if "mitigation_units" in f else ["-"] * len(f)
    rows = [
        [f"`{f['design_name'][i]}`", *(f[c][i] for c in cols),
         *([runs_label(f, i), units[i]] if runs else []), _acc(f[col][i]), f"{f['area_mm2'][i]:.3g}", fmt_energy(f["energy_per_token_j"][i]),
         (fmt_energy(f["energy_onchip_j"][i] / f["tokens"][i]) if "energy_onchip_j" in f else "-"), f"{f['cycles_per_token'][i]:.4g}", f"{f['tokens_per_s'][i]:.4g}", f"{f['tops_per_w'][i]:.3g}", f"{f['tops_per_mm2'][i]:.3g}"]
        for i in range(len(f))
    ]
    head = ["design", *cols, *(["runs", "mitigation units"] if runs else []), col, "area mm²", "energy/token", "on-chip/token", "cycles/token", "tokens/s", "TOPS/W", "TOPS/mm²"]
    return _md_table(head, rows)


def _family_table(t: Table, families) -> list[str]:
    col, _ = accuracy_column(t)
    rows = [[s.label, s.designs, _acc(s.best_accuracy), f"{s.min_area_mm2:.3g}", fmt_energy(s.min_energy_per_token_j), s.on_front]
            for s in families.values()]
    return _md_table(["largest pattern", "designs", f"best {col}", "min area mm²", "min energy/token", "on front"], rows)


def figure_stem(stem: str, mode: str, workload_index: int = 0) -> str:
    """File stem of a figure: ``<stem>_<mode>`` for the first workload, ``<stem>_w<i>_<mode>`` for the i-th (from 2)."""
    return f"{stem}_{mode}" if workload_index == 0 else f"{stem}_w{workload_index + 1}_{mode}"


def _section(table: Table, wl: str, mode: str, out_dir: Path, design_fields, k: int, compare: tuple[str, str], wi: int = 0,
             meta: dict | None = None) -> list[str]:  # fmt: skip
    t = select(table, wl, mode)
    found = find(t, design_fields, compare)
    lines = [f"## {wl} ({mode})", "", f"{len(t)} feasible designs of {int(((table['workload_id'] == wl) & (table['mode'] == mode)).sum())}.", ""]
    lines += ["### Verdict", ""] + [f"- {s}" for s in verdict_lines(found, fmt_energy)] + [""]
    lines += methods_section(t, meta or {}, wl, design_fields)
    if k < MAX_SECTIONS:
        lines += ["### Figures", ""]
        for stem, fn in _FIGURES if has_accuracy(t) else [f for f in _FIGURES if not f[0].startswith("accuracy")]:
            kw = {"base": compare[1], "design_fields": design_fields} if fn is F.fig_premium else {}
            name = figure_stem(stem, mode, wi)
            F.save_figure(fn(table, wl, mode, **kw), out_dir, name)
            lines += [f"![{stem} ({mode})]({name}.png)", ""]
    lines += ["### By largest supported pattern", ""] + _family_table(t, found.families) + [""]
    lines += ["### Designs on the main Pareto front (accuracy, area, energy, cycles) (smallest first)", ""] + _front_table(t) + [""]
    return lines


def _summary(table: Table, pairs, design_fields, compare: tuple[str, str]) -> list[str]:
    """One row per workload and mode: best accuracy per family, compare[0] designs on the front, its premium over compare[1]."""
    a, b = compare
    fams = [lab for lab in LABELS if lab != "dense" and (table["largest_pattern"] == lab).any()]
    rows = []
    for wl, mode in pairs:
        try:
            t = select(table, wl, mode)
        except ValueError:
            continue
        st = family_stats(t)
        cells = [_acc(st[f].best_accuracy) + ("" if st[f].own_trace else "*")
                 if f in st and np.isfinite(st[f].best_accuracy) else "-" for f in fams]
        p = matched_pairs(t, design_fields, a, b)
        prem = f"{(np.median(p.area) - 1) * 100:+.1f} % / {(np.median(p.energy) - 1) * 100:+.1f} %" if len(p) else "-"
        on = f"{st[a].on_front} of {st[a].designs}" if a in st else "-"
        rows.append([wl, mode, *cells, on, prem])
    head = ["workload", "mode", *[f"best {f}" for f in fams], f"{a} on front", f"{a} vs {b} area / energy (median)"]
    return ["## Summary", "", f"Best {accuracy_column(table)[1]} per largest supported pattern (* = no trace of that pattern: "
            f"its designs run another pattern's trace); matched-pair premium of {a} over {b}.", "", *_md_table(head, rows), ""]


def _provenance(meta: dict) -> list[str]:
    spec = meta.get("spec", {})
    lines = ["## Provenance", "", f"Space `{spec.get('name')}` from `{spec.get('source', '?')}`: {spec.get('designs')} designs "
             f"({spec.get('sampling', {}).get('method')} sampling, seed {spec.get('sampling', {}).get('seed')}, "
             f"{spec.get('sampling', {}).get('combinations')} combinations, {spec.get('rejected')} rejected by Design validation), "
             f"modes {', '.join(spec.get('evaluation', {}).get('modes', []))}, constraints {json.dumps(spec.get('constraints', {}))}.", ""]
    if spec.get("toml"):
        lines += ["```toml", spec["toml"].rstrip(), "```", ""]
    lines += ["### Evaluation protocol of the traces", ""]
    rows = []
    for tr in meta.get("traces", []):
        acc, prot, mi = tr.get("accuracy") or {}, tr.get("protocol") or {}, tr.get("model_info") or {}
        ppl = acc.get("perplexity")
        rows.append([tr["run_id"], tr["pattern"], tr["workload_id"], f"{ppl:.3f}" if isinstance(ppl, (int, float)) else "-",
                     acc.get("tokens_scored"), prot.get("dataset"), prot.get("split"), prot.get("seq_len"), prot.get("windows"),
                     mi.get("id"), str(mi.get("weights_sha256") or "")[:12], tr.get("layers", "?"), tr.get("rows_per_layer", "?")])
    lines += _md_table(["run", "pattern", "workload", "perplexity", "tokens scored", "dataset", "split", "seq_len", "windows", "model",
                        "weights sha256", "layers traced", "mask rows per layer"], rows)
    for wl in meta.get("workloads", []):
        evaluated = wl.get("layers_evaluated", "all")
        if evaluated != "all":
            lines += ["", f"Workload `{wl['workload_id']}`: its traces cover different layers; the hardware figures use the "
                          f"{len(evaluated)} layers common to all of them."]
    lines += ["", "Per design, each workload runs the captured trace with the lowest perplexity among those of a supported sparse "
              "pattern whose method's mitigation unit the design has (dense when there is none); perplexity change is against the "
              "workload's dense trace.  Energy per token and TOPS use "
              "dense-equivalent operations (2 x K x O per layer per token), so they compare across patterns.", ""]
    lines += ["### Versions", ""] + _md_table(["package", "version"], [[k, v] for k, v in meta.get("versions", {}).items()]) + [""]
    prov = meta.get("provenance") or {}
    if prov:
        codes = sorted({str((tr.get("capture_provenance") or {}).get("code")) for tr in meta.get("traces", []) if tr.get("capture_provenance")})
        lines += [f"Sweep code: `{prov.get('code')}` (accelsim {prov.get('accelsim_version')}, source sha256 "
                  f"{str(prov.get('source_sha256'))[:16]}); capture code of the traces: {', '.join(f'`{c}`' for c in codes) or 'not recorded'}.", ""]

    return lines


def _operands(table: Table) -> list[str]:
    """Activation vs weight vs dual-side sparsity on the reference designs (only when the sweep holds several kinds)."""
    if not has_several_operands(table):
        return []
    rows = operand_rows(table)
    if not rows:
        return []
    body = [[r.mode, f"`{r.design_name}`", r.family, r.operand, r.workload_id, _acc(r.ppl_delta), f"{r.cycles_per_token:.4g}",
             f"{r.speedup_vs_dense:.2f}x", f"{r.area_mm2:.3g}", fmt_energy(r.energy_per_token_j), fmt_energy(r.energy_onchip_per_token_j),
             f"{r.energy_vs_dense:.2f}x"] for r in rows]  # fmt: skip
    head = ["mode", "design", "family", "skips", "workload", "ppl change vs dense", "cycles/token", "speedup vs dense",
            "area mm²", "energy/token", "on-chip/token", "energy vs dense"]
    return ["## Activation, weight and dual-side sparsity", "",
            "The reference designs of the space (`include`: one array, precision, node and memory system; they differ only in "
            "what they skip), each on the traces of the operand it skips: activation-sparse cores on activation-sparse traces, "
            "weight-sparse cores on weight-pruned traces (their stored weight masks), dual-side cores on traces with both. "
            "Perplexity change is that workload's measured perplexity minus the dense model's; speedup and energy are against "
            "the `dense` reference design in the same mode.", "", *_md_table(head, body), ""]


def _plans(results_dir: Path, table: Table, meta: dict, out_dir: Path, design: str | None, backend) -> list[str]:
    """"Layer-adaptive plans": per workload and mode with plan traces, the figure, the table and the verdict."""
    from accelsim.report.figures_plans import fig_plans
    from accelsim.report.plans import BASE, plan_findings, plans_verdict

    found = plan_findings(results_dir, table, meta, design, backend)
    if not found:
        return []
    lines = ["## Layer-adaptive plans", "",
             "Every uniform pattern trace and every captured plan (each layer in its plan's pattern, `capture --plan`) that one "
             "flexible core runs natively, each simulated and priced from its own trace by the report step (the sweep's rows "
             "hold only the trace each design chooses).  Perplexities are measured, with the capture's 95 % intervals; "
             f"Δ vs uniform {BASE} is paired by evaluation window.", ""]
    for i, f in enumerate(found):
        stem = f"plans_{f.mode}" if i == 0 else f"plans_{i + 1}_{f.mode}"
        F.save_figure(fig_plans(f), out_dir, stem)
        lines += [f"### {f.workload} ({f.mode}) on `{f.design}`", "", f"- {plans_verdict(f, fmt_energy)}", "",
                  f"![layer-adaptive plans ({f.mode})]({stem}.png)", ""]
        rows = []
        for p in sorted(f.points, key=lambda p: (p.plan != "", p.cycles_per_token)):
            iv = f" [{p.perplexity_lo:.3f}, {p.perplexity_hi:.3f}]" if np.isfinite(p.perplexity_lo) else ""
            vs = "-"
            if p.vs_base is not None:
                vs = f"{p.vs_base[0]:+.3f}" + (f" [{p.vs_base[1]:+.3f}, {p.vs_base[2]:+.3f}]" if np.isfinite(p.vs_base[1]) else "")
            elif f.base is not None:
                vs = f"{p.perplexity - f.base.perplexity:+.3f}"
            rows.append([f"`{p.label}`" if p.plan else f"uniform {p.label}", p.patterns, f"{p.perplexity:.3f}{iv}", vs,
                         f"{p.cycles_per_token:.4g}", fmt_energy(p.energy_per_token_j)])
        lines += _md_table(["plan", "patterns used", "perplexity [95 % interval]", f"Δ vs uniform {BASE}", "cycles/token",
                            "energy/token"], rows) + [""]  # fmt: skip
    return lines


def write_report(results_dir: "str | Path", out_dir: "str | Path | None" = None, compare: tuple[str, str] = DEFAULT_COMPARE,
                 plans_design: str | None = None, backend=None) -> Path:
    """Write ``report.md`` and its figures (PNG + SVG) for a sweep; returns the report path.

    out_dir defaults to ``analysis/<name of results_dir>``.  compare: the pair of largest supported
    patterns (a, b) whose matched-pair cost and accuracy the verdict weighs (a is the wider one).  plans_design: the
    core of the "Layer-adaptive plans" section (a design of the sweep or a preset; default: see accelsim.report.plans);
    backend: the simulator and cost model that section evaluates traces with (default: accelsim.sim and accelsim.cost).
    """
    a, b = compare = tuple(compare)
    if a == b:
        raise ValueError(f"compare needs two different patterns, got {a!r} twice")
    results_dir = Path(results_dir)
    out_dir = Path(out_dir) if out_dir is not None else Path("analysis") / results_dir.name
    out_dir.mkdir(parents=True, exist_ok=True)
    table, meta = load_results(results_dir), load_meta(results_dir)
    design_fields = meta.get("design_fields") or [c for c in table.columns if c in _FRONT_COLS]
    mode_rank = {"prefill": 0, "decode": 1}  # prefill first: the main figure is the batched case
    pairs = sorted({(w, m) for w, m in zip(table["workload_id"], table["mode"])}, key=lambda p: (p[0], mode_rank.get(p[1], 2), p[1]))
    lines = [f"# Design-space report: {meta.get('spec', {}).get('name', results_dir.name)}", "",
             f"Results: `{results_dir}` ({len(table)} rows, {len(set(table['design_id']))} designs, {len(pairs)} workload/mode pairs). "
             "Every number below is computed from that table by `python -m accelsim.report`.", ""]
    lines += _summary(table, pairs, design_fields, compare)
    lines += _operands(table)
    lines += _plans(results_dir, table, meta, out_dir, plans_design, backend)
    workload_index = {w: i for i, w in enumerate(dict.fromkeys(w for w, _ in pairs))}
    for k, (wl, mode) in enumerate(pairs):
        try:
            lines += _section(table, wl, mode, out_dir, design_fields, k, compare, workload_index[wl], meta)
        except ValueError as e:  # e.g. every design of that workload infeasible
            lines += [f"## {wl} ({mode})", "", f"Not reported: {e}.", ""]
    lines += _provenance(meta)
    path = out_dir / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
