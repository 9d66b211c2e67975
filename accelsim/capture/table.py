"""The plain-text results table capture prints after its runs: one row per trace, with bootstrap intervals."""

from __future__ import annotations

from pathlib import Path

from accelsim.capture import stats
from accelsim.traces import Accuracy, TraceError, read_manifest

__all__ = ["format_table"]


_KIND = {"activations": "act", "weights": "wt", "both": "both"}


def format_table(paths: list[Path]) -> str:
    """Plain-text table (one row per run) from the manifests, with the protocol of the last run above it.

    sparsify: act (activations), wt (weight pruning: pattern and criterion are the weights'), both (dual-side:
    pattern, criterion and mitigation are the activations', ``weights`` the weights' pattern and criterion).
    perplexity and vs dense carry 95 % bootstrap intervals over the evaluation windows (:mod:`accelsim.capture.stats`;
    vs dense paired by window with the dense run); a change is marked ``*`` when its interval excludes zero.
    """
    rows, proto = [], None
    mans = []
    for p in paths:
        try:
            mans.append(read_manifest(p))
        except TraceError:
            continue
    dense = next((m for m in mans if str(m.config.pattern) == "dense" and m.config.sparsify == "activations"), None)
    for m in mans:
        c, a = m.config, m.accuracy or Accuracy()
        proto = m.protocol  # the last run's: it names what was sparsified
        d = a.dense_perplexity
        wnll = m.extra.get("window_nll")
        ppl = stats.perplexity_interval(wnll).fmt(".3f") if wnll else f"{a.perplexity:.3f}"
        change = f"{100 * (a.perplexity / d - 1):+.1f}%" if d else "n/a"
        if wnll and dense is not None and dense is not m and stats.same_windows(m.extra, dense.extra):
            iv = stats.relative_change(wnll, dense.extra["window_nll"])
            change = iv.fmt(".1f", pct=True) + (" *" if iv.supported else "")
        elif str(c.pattern) == "dense" and c.sparsify == "activations":
            change = "-"
        kind = _KIND.get(str(c.sparsify), str(c.sparsify))
        weights = (f"{c.weight_pattern} {c.weight_criterion}" if c.weight_pattern is not None
                   else f"{c.pattern} {c.criterion}" if c.sparsify == "weights" else "dense")  # older weight traces name no weight_pattern
        label = f"plan {c.settings['plan_name']}" if c.settings.get("plan_name") else str(c.pattern)  # a layer-adaptive run
        rows.append((label, kind, str(c.criterion), str(c.mitigation), weights, ppl, change,
                     str(a.tokens_scored), f"{m.extra.get('seconds', 0):.0f}"))
    head = ("pattern", "sparsify", "criterion", "mitigation", "weights", "perplexity [95% CI]", "vs dense [95% CI]", "tokens",
            "seconds")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = []
    if proto:
        lines.append(f"protocol: {proto['dataset']} ({proto['split']}), seq_len {proto['seq_len']}, {proto['windows']} windows, "
                     f"{proto['tokens_scored']} tokens scored, {proto['metric']}; sparsified: {proto['sparsified']}")
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    lines.append("intervals: 95 % percentile bootstrap over evaluation windows (2,000 resamples; vs dense paired by window); "
                 f"* = the interval excludes zero (with at least {stats.MIN_WINDOWS} windows)")
    few = min((len(m.extra.get("window_nll") or []) for m in mans), default=0)
    if 0 < few < 10:
        lines.append(f"caution: {few} window(s) per run; an interval over so few windows is rough (raise --eval-tokens)")
    return "\n".join(lines)
