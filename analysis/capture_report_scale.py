"""The scale study of the capture report: perplexity increase vs model size per pattern, and whether the 8:16 margin
over 2:4 grows or shrinks with size, each with a percentile-bootstrap interval over evaluation windows.

Within one model, runs share their windows, so statistics of several runs (2:4, 8:16, dense) are bootstrapped paired:
one draw of window indices serves every run.  Across models the windows differ (other tokenizers, other places), so a
difference between two models' margins is bootstrapped unpaired: each model's windows are resampled independently and
the difference is taken per resample.  Intervals are 2.5/97.5 percentiles of 2,000 resamples (seed 0), as in
accelsim.capture.stats; a trend is called supported only when its interval excludes zero.
"""

from __future__ import annotations

import numpy as np

REPS, SEED = 2000, 0
ACT = dict(sparsify="activations", criterion="magnitude", mitigation="none")


def _nll(rows, model, pattern, **kw):
    got = [r for r in rows if r["model"] == model and r["pattern"] == pattern and r["window_nll"]
           and all(r[k] == v for k, v in kw.items())]
    return np.asarray(got[0]["window_nll"], dtype=np.float64) if got else None


def margins(rows, model, reps: int = REPS, seed: int = SEED) -> dict | None:
    """Per-resample and point values of the 8:16 margin over 2:4 on ``model`` (paired by window):
    ``log_ratio`` = mean NLL(2:4) - mean NLL(8:16) = ln(ppl(2:4) / ppl(8:16)), and
    ``recovered`` = (NLL(2:4) - NLL(8:16)) / (NLL(2:4) - NLL(dense)), the share of the 2:4 log-perplexity increase that
    8:16 removes (scale-free: a bigger model that degrades less overall can still recover more of it)."""
    d, a, b = _nll(rows, model, "dense", sparsify="activations"), _nll(rows, model, "2:4", **ACT), _nll(rows, model, "8:16", **ACT)
    if d is None or a is None or b is None or not (len(d) == len(a) == len(b)):
        return None
    idx = np.random.default_rng(seed).integers(0, len(a), size=(reps, len(a)))
    ma, mb, md = a[idx].mean(1), b[idx].mean(1), d[idx].mean(1)
    return {"windows": len(a),
            "log_ratio": (float(a.mean() - b.mean()), ma - mb),
            "recovered": (float((a.mean() - b.mean()) / (a.mean() - d.mean())), (ma - mb) / (ma - md))}


def _ci(boots) -> tuple[float, float]:
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return float(lo), float(hi)


def trend(rows, small: str, big: str, key: str) -> dict | None:
    """margin(big) - margin(small) for ``key`` (log_ratio or recovered), unpaired bootstrap; None if a model lacks runs."""
    ms, mb = margins(rows, small, seed=SEED), margins(rows, big, seed=SEED + 1)  # independent draws for the two models
    if ms is None or mb is None:
        return None
    point = mb[key][0] - ms[key][0]
    lo, hi = _ci(mb[key][1] - ms[key][1])
    return {"value": point, "lo": lo, "hi": hi, "windows": (ms["windows"], mb["windows"]),
            "supported": min(ms["windows"], mb["windows"]) >= 8 and (lo > 0 or hi < 0)}


def size_of(rows, model) -> int | None:
    got = [r.get("parameters") for r in rows if r["model"] == model and r.get("parameters")]
    return got[0] if got else None


def scale_lines(rows, models: list[str], patterns) -> list[str]:
    """Markdown: the increase-vs-size table, the per-model margins, and the plain grows/shrinks statement."""
    models = sorted([m for m in models if size_of(rows, m)], key=lambda m: size_of(rows, m))
    out = ["Cells: perplexity increase over the same model's dense perplexity on the same windows (magnitude criterion, no "
           "mitigation), with its 95 % bootstrap interval (paired by window).", "",
           "| pattern | " + " | ".join(f"{m} ({size_of(rows, m) / 1e6:,.0f} M)" for m in models) + " |",
           "|---" * (len(models) + 1) + "|"]
    for p in patterns:
        cells = []
        for m in models:
            got = [r for r in rows if r["model"] == m and r["pattern"] == p and all(r[k] == v for k, v in ACT.items())]
            r = got[0] if got else None
            if r is None or r["vs_dense"] is None:
                cells.append("–")
            else:
                ci = f" [{100 * r['vs_dense_lo']:+.0f}, {100 * r['vs_dense_hi']:+.0f}]" if r["vs_dense_lo"] is not None else ""
                cells.append(f"{100 * r['vs_dense']:+.0f}%{ci}")
        out.append(f"| {p} | " + " | ".join(cells) + " |")
    out += ["", "![scale](capture_scale.png)", "", "**The 8:16 margin over 2:4, per model** (paired by window):", ""]
    for m in models:
        g = margins(rows, m)
        if g is None:
            out.append(f"* {m}: dense, 2:4 or 8:16 missing; not computed.")
            continue
        lr, rc = g["log_ratio"], g["recovered"]
        lo, hi = _ci(lr[1])
        rlo, rhi = _ci(rc[1])
        out.append(f"* {m}: ppl(2:4) / ppl(8:16) = {np.exp(lr[0]):.3f} [{np.exp(lo):.3f}, {np.exp(hi):.3f}]; 8:16 removes "
                   f"{100 * rc[0]:.0f} % [{100 * rlo:.0f}, {100 * rhi:.0f}] of the 2:4 log-perplexity increase ({g['windows']} windows).")
    if len(models) >= 2:
        small, big = models[0], models[-1]
        out += ["", "**Does the margin grow or shrink with size?** Difference larger model minus smaller model, unpaired "
                "bootstrap (the models' windows differ); the verdict is on the smallest vs the largest model:", "",
                "| models | ln(ppl(2:4) / ppl(8:16)) | share of the 2:4 increase 8:16 removes (points) |", "|---|---|---|"]
        pairs = [(models[i], models[i + 1]) for i in range(len(models) - 1)]
        pairs += [(small, big)] if len(models) > 2 else []
        for a, b in pairs:
            cells = []
            for key, k, f in (("log_ratio", 1, "+.3f"), ("recovered", 100, "+.1f")):
                t = trend(rows, a, b, key)
                cells.append("–" if t is None else f"{k * t['value']:{f}} [{k * t['lo']:{f}}, {k * t['hi']:{f}}]"
                             + (" *" if t["supported"] else ""))
            out.append(f"| {b} - {a} | " + " | ".join(cells) + " |")
        out.append("")
        verdicts = {}
        for key in ("log_ratio", "recovered"):
            t = trend(rows, small, big, key)
            verdicts[key] = (None if t is None else "grows" if t["supported"] and t["value"] > 0 else
                             "shrinks" if t["supported"] else "unresolved")
        lr, rc = verdicts["log_ratio"], verdicts["recovered"]
        if lr is None or rc is None:
            out.append("Statement: not made (runs missing).")
        else:
            def say(v):
                return {"grows": "**grows** with size (supported)", "shrinks": "**shrinks** with size (supported)",
                        "unresolved": "**does not change measurably** with size (the interval includes zero)"}[v]
            inc = {m: {r["pattern"]: r["vs_dense"] for r in rows if r["model"] == m and r["vs_dense"] is not None
                       and all(r[k] == v for k, v in ACT.items())} for m in (small, big)}
            both = [p for p in patterns if p in inc[small] and p in inc[big]]
            less = [p for p in both if inc[big][p] < inc[small][p]]
            out.append(f"Statement ({small} -> {big}): as a perplexity ratio, the 8:16 margin over 2:4 {say(lr)}; as the "
                       f"share of the 2:4 damage that 8:16 removes, it {say(rc)}. The ratio tracks the overall damage: "
                       f"{big} loses less perplexity than {small} at {len(less)} of {len(both)} patterns; the share is the "
                       "size-free measure of how much the larger group helps.")
    return out


def fig_scale(rows, models: list[str], patterns):
    """Perplexity increase over dense (log axis) vs parameter count (log axis), one line per pattern, 95 % bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = sorted([m for m in models if size_of(rows, m)], key=lambda m: size_of(rows, m))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for p in patterns:
        pts = []
        for m in models:
            got = [r for r in rows if r["model"] == m and r["pattern"] == p and all(r[k] == v for k, v in ACT.items())]
            if got and got[0]["vs_dense_lo"] is not None:
                r = got[0]
                pts.append((size_of(rows, m), 100 * r["vs_dense"], 100 * r["vs_dense_lo"], 100 * r["vs_dense_hi"]))
        if pts:
            x, y, lo, hi = map(np.asarray, zip(*pts))
            ax.errorbar(x, y, yerr=[y - lo, hi - y], marker="o", capsize=3,
                        label=p.replace("unstructured:0.5", "unstr. 50%"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [5, 10, 20, 30, 50, 100, 200, 300, 500, 1000]
    lo, hi = ax.get_ylim()
    ax.set_yticks([t for t in ticks if lo <= t <= hi] or ticks[:1], [f"+{t}%" for t in ticks if lo <= t <= hi] or ["+5%"])
    ax.set_xticks([size_of(rows, m) for m in models], [f"{m}\n{size_of(rows, m) / 1e6:,.0f} M" for m in models], fontsize=7)
    ax.minorticks_off()
    ax.set_xlabel("model (parameters, log scale)")
    ax.set_ylabel("perplexity increase over dense, % (log scale)")
    ax.set_title("Activation magnitude pruning, no mitigation; Brown, 256-token windows\n(bars: 95 % bootstrap over windows)",
                 fontsize=9)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig
