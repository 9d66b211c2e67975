"""Capture report: perplexity of SmolLM2-135M and Gemma 3 270M on Brown under N:M activation sparsity.

    .venv/bin/python analysis/capture_report.py --stage smollm2   # runs the SmolLM2 grid (resumable)
    .venv/bin/python analysis/capture_report.py --stage gemma     # runs the Gemma 3 270M grid (resumable)
    .venv/bin/python analysis/capture_report.py --stage check --eval-tokens 8192   # budget check (SmolLM2)
    # the 16k budget check is the CLI's default run: python -m accelsim.capture --out results/capture_report/smollm2-16k
    .venv/bin/python analysis/capture_report.py --stage report    # tables + figures from whatever traces exist

Writes ``analysis/capture_report.md``, ``analysis/capture_results.csv`` (tidy: one row per run) and
``analysis/capture_*.png``.  Traces go to ``results/capture_report/`` (git-ignored).  The grid is ordered by
priority (magnitude/none and the weight baselines first), so an interrupted stage still leaves the core table.
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "results" / "capture_report"
PATTERNS = ("2:4", "4:8", "8:16", "16:32", "unstructured:0.5")


def smollm2_grid(eval_tokens: int, threads: int) -> list:
    """The SmolLM2 configurations, most important first."""
    from accelsim.capture import CaptureConfig

    base = CaptureConfig(model="smollm2-135m", dataset="brown", patterns=("dense", *PATTERNS), seq_len=512,
                         eval_tokens=eval_tokens, calib_tokens=2048, trace_tokens=64, trace_filter=("layers.0.",),
                         lpts_tokens=256, lpts_steps=20, out=OUT / "smollm2", threads=threads, progress=False)
    return [
        replace(base, sparsify=("activations", "weights")),
        replace(base, criteria=("amber", "clact", "wanda")),
        replace(base, mitigations=("var", "dpts", "spts", "lpts")),
    ]


def gemma_grid(eval_tokens: int, threads: int) -> list:
    from accelsim.capture import CaptureConfig

    base = CaptureConfig(model="gemma3-270m", dataset="brown", patterns=("dense", "2:4", "8:16", "16:32", "unstructured:0.5"),
                         seq_len=512, eval_tokens=eval_tokens, calib_tokens=2048, trace_tokens=64, trace_filter=("layers.0.",),
                         out=OUT / "gemma3", threads=threads, progress=False)
    # The minimum first, then 4:8 and the weight-pruning baselines, then VAR.
    full = replace(base, patterns=("dense", *PATTERNS))
    return [base, replace(full, sparsify=("activations", "weights")), replace(full, mitigations=("var",))]


def budget_check_grid(eval_tokens: int, threads: int) -> list:
    """SmolLM2 magnitude / none at a 4x larger budget, to show how much the small-budget numbers move."""
    return [replace(smollm2_grid(eval_tokens, threads)[0], sparsify=("activations",), out=OUT / "smollm2-8k")]


def tidy(root: Path = OUT) -> list[dict]:
    """One row per complete trace manifest under ``root``."""
    rows = []
    for man in sorted(root.glob("*/*/manifest.json")):
        m = json.loads(man.read_text())
        if not m.get("complete"):
            continue
        c, a = m["config"], m["accuracy"]
        stats = m.get("layer_stats", {})
        rows.append({
            "model": c["model"], "pattern": c["pattern"], "sparsify": c["sparsify"], "criterion": c["criterion"],
            "mitigation": c["mitigation"], "perplexity": a["perplexity"], "dense_perplexity": a["dense_perplexity"],
            "nll": a["nll"], "tokens_scored": a["tokens_scored"], "seq_len": c["seq_len"], "seconds": m.get("seconds"),
            "mean_rel_l2": sum(s["rel_l2"] for s in stats.values()) / len(stats) if stats else None,
            "mean_cosine": sum(s["cosine"] for s in stats.values()) / len(stats) if stats else None,
            "run_id": m["run_id"], "set": man.parent.parent.name,
            "window_nll": m.get("window_nll"), "window_starts": m.get("window_starts"),
        })
    _add_intervals(rows)
    return rows


def _add_intervals(rows: list[dict]) -> None:
    """95 % bootstrap intervals (accelsim.capture.stats): ppl_lo/ppl_hi per run; vs_dense, vs_dense_lo/hi paired by window
    with the dense run of the same model and set.  None where a manifest has no per-window NLL (older traces)."""
    from accelsim.capture import stats

    for r in rows:
        r.update(ppl_lo=None, ppl_hi=None, vs_dense=None, vs_dense_lo=None, vs_dense_hi=None)
        if not r["window_nll"]:
            continue
        iv = stats.perplexity_interval(r["window_nll"])
        r["ppl_lo"], r["ppl_hi"] = iv.lo, iv.hi
        dense = next((d for d in rows if d["model"] == r["model"] and d["set"] == r["set"] and d["pattern"] == "dense"
                      and d["sparsify"] == "activations" and d["window_nll"]), None)
        if dense is not None and dense is not r and stats.same_windows(r, dense):
            rel = stats.relative_change(r["window_nll"], dense["window_nll"])
            r["vs_dense"], r["vs_dense_lo"], r["vs_dense_hi"] = rel.value, rel.lo, rel.hi


def paired_claim(rows, model: str, a: dict, b: dict) -> "tuple[object, bool] | None":
    """ppl(a) - ppl(b) on the same windows with its interval, and whether it is supported (interval excludes zero)."""
    from accelsim.capture import stats

    ra, rb = _pick(rows, model=model, **a), _pick(rows, model=model, **b)
    if not ra or not rb or not ra[0]["window_nll"] or not stats.same_windows(ra[0], rb[0]):
        return None
    iv = stats.paired_difference(ra[0]["window_nll"], rb[0]["window_nll"])
    return iv, iv.supported


def _pick(rows, **kw):
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]


def _ppl(rows, **kw):
    got = _pick(rows, **kw)
    return got[0]["perplexity"] if got else None


def _series_fig(rows, model, series: list[tuple[str, dict]], title: str):
    """Perplexity by pattern, one line per (label, filter); dense as a horizontal line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    x = list(range(len(PATTERNS)))
    for label, kw in series:
        ys = [_ppl(rows, model=model, pattern=p, **kw) for p in PATTERNS]
        if any(y is not None for y in ys):
            ax.plot([i for i, y in zip(x, ys) if y is not None], [y for y in ys if y is not None], marker="o", label=label)
    dense = _ppl(rows, model=model, pattern="dense")
    if dense:
        ax.axhline(dense, color="k", lw=0.8, ls="--", label=f"dense {dense:.2f}")
    ax.set_xticks(x, [p.replace("unstructured:0.5", "unstr. 50%") for p in PATTERNS])
    ax.set_yscale("log")
    ax.set_xlabel("pattern (all 50 % sparsity)")
    ax.set_ylabel("perplexity (Brown eval part, log scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig_criteria(rows):
    crit = [(c, dict(sparsify="activations", criterion=c, mitigation="none")) for c in ("magnitude", "amber", "clact", "wanda")]
    return _series_fig(rows, "smollm2-135m", crit, "SmolLM2-135M: selection criteria (no mitigation)")


def fig_mitigations(rows):
    mit = [(m, dict(sparsify="activations", criterion="magnitude", mitigation=m)) for m in ("none", "var", "dpts", "spts", "lpts")]
    return _series_fig(rows, "smollm2-135m", mit, "SmolLM2-135M: error mitigation (magnitude criterion)")


def fig_act_vs_weight(rows):
    s = [("activations, magnitude", dict(sparsify="activations", criterion="magnitude", mitigation="none")),
         ("weights, magnitude", dict(sparsify="weights", criterion="magnitude")),
         ("weights, Wanda", dict(sparsify="weights", criterion="wanda"))]
    return _series_fig(rows, "smollm2-135m", s, "SmolLM2-135M: activation vs weight pruning at equal pattern")


def fig_models(rows):
    """Perplexity relative to each model's dense, magnitude / none: SmolLM2-135M vs Gemma 3 270M."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    x = list(range(len(PATTERNS)))
    for model in ("smollm2-135m", "gemma3-270m"):
        dense = _ppl(rows, model=model, pattern="dense")
        ys = [_ppl(rows, model=model, pattern=p, sparsify="activations", criterion="magnitude", mitigation="none") for p in PATTERNS]
        pts = [(i, y / dense) for i, y in zip(x, ys) if y is not None and dense]
        if pts:
            ax.plot(*zip(*pts), marker="o", label=model)
    ax.axhline(1.0, color="k", lw=0.8, ls="--", label="dense")
    ax.set_xticks(x, [p.replace("unstructured:0.5", "unstr. 50%") for p in PATTERNS])
    ax.set_xlabel("pattern (all 50 % sparsity)")
    ax.set_ylabel("perplexity / dense perplexity")
    ax.set_title("Activation magnitude pruning, no mitigation, Brown", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _table(rows, model, cols: list[tuple[str, dict]]) -> list[str]:
    dense = _ppl(rows, model=model, pattern="dense")
    out = ["| pattern | " + " | ".join(c for c, _ in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for p in PATTERNS:
        cells = []
        for _, kw in cols:
            got = _pick(rows, model=model, pattern=p, **kw)
            v = got[0]["perplexity"] if got else None
            if v is not None and got[0].get("vs_dense_lo") is not None:  # with its 95 % interval, paired with dense by window
                r = got[0]
                cells.append(f"{v:.2f} ({100 * r['vs_dense']:+.0f}% [{100 * r['vs_dense_lo']:+.0f}, {100 * r['vs_dense_hi']:+.0f}])")
            else:
                cells.append("–" if v is None else f"{v:.2f} ({100 * (v / dense - 1):+.0f}%)" if dense else f"{v:.2f}")
        out.append(f"| {p} | " + " | ".join(cells) + " |")
    return out


def write_report(all_rows, path: Path) -> None:
    rows = [r for r in all_rows if r["set"] in ("smollm2", "gemma3")]
    check = [r for r in all_rows if r["set"] in ("smollm2-8k", "smollm2-16k")]
    figs = {"capture_criteria.png": fig_criteria, "capture_mitigations.png": fig_mitigations,
            "capture_act_vs_weight.png": fig_act_vs_weight, "capture_models.png": fig_models}
    for name, fn in figs.items():
        fn(rows).savefig(HERE / name, dpi=110)
    with open(HERE / "capture_results.csv", "w", newline="") as f:
        if rows:
            w = csv.DictWriter(f, fieldnames=[k for k in all_rows[0] if k not in ("window_nll", "window_starts")], extrasaction="ignore")
            w.writeheader()
            w.writerows(all_rows)
    from capture_report_md import report_markdown

    path.write_text(report_markdown(rows, _table, _ppl, check))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", choices=("smollm2", "gemma", "check", "report"), default="report",
                   help="what to run: a capture grid (smollm2, gemma, check = SmolLM2 magnitude/none at --eval-tokens into "
                        "results/capture_report/smollm2-8k) or the report from existing traces")
    p.add_argument("--eval-tokens", type=int, default=2048, help="evaluation tokens per run (SmolLM2 and Gemma)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per process")
    args = p.parse_args(argv)
    if args.stage in ("smollm2", "gemma", "check"):
        from accelsim.capture import capture

        grid = {"smollm2": smollm2_grid, "gemma": gemma_grid, "check": budget_check_grid}[args.stage]
        for cfg in grid(args.eval_tokens, args.threads):
            capture(cfg)
        return 0
    rows = tidy()
    write_report(rows, HERE / "capture_report.md")
    print(f"{len(rows)} runs -> {HERE / 'capture_report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
