"""Capture report: perplexity of SmolLM2-135M, Gemma 3 270M and Qwen2.5-Coder-1.5B on Brown under N:M activation
sparsity, and the scale study across the three.

    .venv/bin/python analysis/capture_report.py --stage qwen      # the Qwen2.5-Coder-1.5B grid (resumable)
    .venv/bin/python analysis/capture_report.py --stage gemma     # the Gemma 3 270M grid (resumable)
    .venv/bin/python analysis/capture_report.py --stage smollm2   # the SmolLM2 grid (resumable)
    .venv/bin/python analysis/capture_report.py --stage check     # SmolLM2 magnitude/none at 16,384 tokens (optional)
    .venv/bin/python analysis/capture_report.py --stage report    # tables + figures from the committed run records
    .venv/bin/python analysis/capture_report.py                   # all: the three grids, then the report

Each stage records every finished run in ``analysis/capture_runs/`` (``capture_runs.py``: committed JSON, so the grid
can be completed across sessions and the report rebuilt without the traces).  Writes ``analysis/capture_report.md``,
``analysis/capture_results.csv`` (tidy: one row per run) and ``analysis/capture_*.png`` (the scale study:
capture_report_scale.py).  Traces go to ``results/capture_report/`` (git-ignored).  The grid is ordered by
priority (magnitude/none and the weight baselines first), so an interrupted stage still leaves the core table.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "results" / "capture_report"
PATTERNS = ("2:4", "4:8", "8:16", "16:32", "unstructured:0.5")


#: The scale-study protocol shared by all three models: Brown evaluation part, windows of SEQ_LEN tokens at seeded
#: random places (seed 0), float32 on CPU.  256 tokens (not 512) so that the 1.5B model gets 8 windows, the fewest
#: a claim is called supported on, within a 2-shared-core CPU budget (about 11 s dense, 18-21 s sparse CPU per 1.5B window).
SEQ_LEN = 256
EVAL_TOKENS = {"smollm2": 4096, "gemma": 4096, "qwen": 2048}
SETS = {"smollm2": "smollm2-135m", "gemma": "gemma3-270m", "qwen": "qwen2.5-coder-1.5b"}
DIRS = {"smollm2": "smollm2", "gemma": "gemma3", "qwen": "qwen2.5"}


def _base(stage: str, eval_tokens: int, threads: int, **kw):
    from accelsim.capture import CaptureConfig

    return CaptureConfig(model=SETS[stage], dataset="brown", patterns=("dense", *PATTERNS), seq_len=SEQ_LEN,
                         eval_tokens=eval_tokens, calib_tokens=4 * SEQ_LEN, trace_tokens=64, trace_filter=("layers.0.",),
                         out=OUT / DIRS[stage], threads=threads, progress=False, **kw)


def smollm2_grid(eval_tokens: int, threads: int) -> list:
    """The SmolLM2 configurations, most important first (the model with every criterion and mitigation)."""
    base = _base("smollm2", eval_tokens, threads, lpts_tokens=256, lpts_steps=20)
    return [
        replace(base, sparsify=("activations", "weights")),
        replace(base, criteria=("amber", "clact", "wanda")),
        replace(base, mitigations=("var", "dpts", "spts", "lpts")),
    ]


def gemma_grid(eval_tokens: int, threads: int) -> list:
    base = _base("gemma", eval_tokens, threads)
    # magnitude / none first (the scale study), then the weight-pruning baselines, then VAR and the Wanda criterion.
    return [base, replace(base, sparsify=("weights",)), replace(base, mitigations=("var",)), replace(base, criteria=("wanda",))]


def qwen_grid(eval_tokens: int, threads: int) -> list:
    """Qwen2.5-Coder-1.5B: the same grid as Gemma, ordered so an interrupted stage still leaves the scale-study core;
    the Wanda weight baseline (the stronger one on the small models) before the magnitude one."""
    base = _base("qwen", eval_tokens, threads)
    return [base, replace(base, sparsify=("weights",), weight_criteria=("wanda",)), replace(base, mitigations=("var",)),
            replace(base, sparsify=("weights",), weight_criteria=("magnitude",)), replace(base, criteria=("wanda",))]


def budget_check_grid(eval_tokens: int, threads: int) -> list:
    """SmolLM2 magnitude / none at a larger budget, to show how much the small-budget numbers move."""
    return [replace(smollm2_grid(eval_tokens, threads)[0], sparsify=("activations",), out=OUT / "smollm2-check")]


def run_stage(stage: str, eval_tokens: int | None, threads: int) -> None:
    """Run one stage's configurations in order, each split per (criterion, mitigation) (``capture_runs.split``),
    skipping those whose runs are all recorded by this capture code (``capture_runs.recorded``); the model loads
    once, and only if something is left to do.  Each finished configuration is recorded at once."""
    import capture_runs

    from accelsim.capture import capture
    from accelsim.capture.data import load_corpus
    from accelsim.capture.models import load_model, resolve_model
    from accelsim.capture.run import code_provenance, data_sha256

    grid = {"smollm2": smollm2_grid, "gemma": gemma_grid, "qwen": qwen_grid, "check": budget_check_grid}[stage]
    cfgs = [c for cfg in grid(eval_tokens or EVAL_TOKENS.get(stage, 16384), threads) for c in capture_runs.split(cfg)]
    set_name = cfgs[0].out.name
    src, data = code_provenance()["source_sha256"], data_sha256(load_corpus(cfgs[0].dataset, cfgs[0].data_dir))
    todo = [c for c in cfgs if not capture_runs.recorded(c, set_name, src, data)]
    print(f"{stage}: {len(cfgs) - len(todo)} of {len(cfgs)} configurations already recorded in "
          f"{capture_runs.RECORDS / set_name} by this capture code", flush=True)
    if not todo:
        return
    if threads:
        import torch

        torch.set_num_threads(threads)
    from accelsim.capture.quiet import library_bars_off

    with library_bars_off(False):
        lm = load_model(resolve_model(todo[0].model), progress=False)
    for i, cfg in enumerate(todo, 1):
        capture(cfg, lm)
        n = capture_runs.save(cfg.out, set_name)
        print(f"{stage}: configuration {i} of {len(todo)} done; {n} runs recorded", flush=True)


def tidy(records: Path | None = None) -> list[dict]:
    """One row per committed run record (``capture_runs.load``), with bootstrap intervals added."""
    import capture_runs

    rows = capture_runs.load(records or capture_runs.RECORDS)
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
        got = [(i, (_pick(rows, model=model, pattern=p, **kw) or [None])[0]) for i, p in enumerate(PATTERNS)]
        got = [(i, r) for i, r in got if r is not None and r.get("perplexity") is not None]
        if got:
            xs, ys = [i for i, _ in got], [r["perplexity"] for _, r in got]
            # the perplexity's 95 % bootstrap interval over windows, where the capture recorded per-window NLLs
            err = [[max(0.0, y - (r.get("ppl_lo") or y)) for (_, r), y in zip(got, ys)],
                   [max(0.0, (r.get("ppl_hi") or y) - y) for (_, r), y in zip(got, ys)]]
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label)
    dense = _ppl(rows, model=model, pattern="dense")
    if dense:
        ax.axhline(dense, color="k", lw=0.8, ls="--", label=f"dense {dense:.2f}")
    ax.set_xticks(x, [p.replace("unstructured:0.5", "unstr. 50%") for p in PATTERNS])
    ax.set_yscale("log")
    ax.set_xlabel("pattern (all 50 % sparsity)")
    ax.set_ylabel(f"perplexity (Brown eval part, {SEQ_LEN}-token windows, log)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside the data
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
    for model in SETS.values():
        dense = _ppl(rows, model=model, pattern="dense")
        ys = [_ppl(rows, model=model, pattern=p, sparsify="activations", criterion="magnitude", mitigation="none") for p in PATTERNS]
        pts = [(i, y / dense) for i, y in zip(x, ys) if y is not None and dense]
        if pts:
            ax.plot(*zip(*pts), marker="o", label=model)
    ax.axhline(1.0, color="k", lw=0.8, ls="--", label="dense")
    ax.set_xticks(x, [p.replace("unstructured:0.5", "unstr. 50%") for p in PATTERNS])
    ax.set_xlabel("pattern (all 50 % sparsity)")
    ax.set_ylabel("perplexity / dense perplexity")
    ax.set_title(f"Activation magnitude pruning, no mitigation, Brown ({SEQ_LEN}-token windows)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
    from capture_report_scale import fig_scale

    rows = [r for r in all_rows if r["set"] in DIRS.values()]
    check = [r for r in all_rows if r["set"] == "smollm2-check"]
    figs = {"capture_criteria.png": fig_criteria, "capture_mitigations.png": fig_mitigations,
            "capture_act_vs_weight.png": fig_act_vs_weight, "capture_models.png": fig_models,
            "capture_scale.png": lambda r: fig_scale(r, list(SETS.values()), PATTERNS)}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from accelsim.report.style import RC, save_figure

    for name, fn in figs.items():  # the report's one plot style (dpi, fonts, colours), saved atomically
        with plt.rc_context(RC):
            save_figure(fn(rows), HERE, Path(name).stem, formats=("png",))
    with open(HERE / "capture_results.csv", "w", newline="") as f:
        if rows:
            w = csv.DictWriter(f, fieldnames=[k for k in all_rows[0] if k not in ("window_nll", "window_starts", "provenance", "versions", "protocol", "config")], extrasaction="ignore")
            w.writeheader()
            w.writerows(all_rows)
    from capture_report_md import report_markdown

    path.write_text(report_markdown(rows, _table, _ppl, check))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", choices=("all", "smollm2", "gemma", "qwen", "check", "report"), default="all",
                   help="what to run: a capture grid (smollm2, gemma, qwen; check = SmolLM2 magnitude/none at --eval-tokens "
                        "into results/capture_report/smollm2-check), the report from the committed run records (report), or "
                        "all = qwen, gemma, smollm2, then the report (hours on 2 CPU cores)")
    p.add_argument("--eval-tokens", type=int, default=None,
                   help=f"evaluation tokens per run (default per stage: {EVAL_TOKENS}; check: 16384)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per process")
    args = p.parse_args(argv)
    if args.stage == "all":
        for stage in ("qwen", "gemma", "smollm2"):
            run_stage(stage, args.eval_tokens, args.threads)
    elif args.stage != "report":
        run_stage(args.stage, args.eval_tokens, args.threads)
        return 0
    rows = tidy()
    if not rows:
        import capture_runs

        print(f"no run records under {capture_runs.RECORDS}: run a stage first (from a clean checkout)", file=sys.stderr)
        return 1
    write_report(rows, HERE / "capture_report.md")
    print(f"{len(rows)} runs -> {HERE / 'capture_report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
