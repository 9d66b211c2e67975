"""The layer-adaptive plans figure: perplexity change vs dense against cycles (left) and energy (right) per token on
one flexible core, for every uniform pattern trace it runs and every captured plan (``accelsim.report.plans``).

Uniform points keep their family's colour and marker (``report.style``); plans are stars in one colour, labelled by
name.  The dashed line is the front (lower-left: fewer cycles or less energy at a smaller perplexity change) of all
points together, so a plan on it beats every uniform choice there.  Vertical bars: the capture's paired 95 %
interval of the change vs dense, where the traces recorded per-window NLLs.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from accelsim.report.plans import PlanFindings
from accelsim.report.style import OTHER_COLOR, family_color, family_marker, legend_outside, styled
from accelsim.results import pareto_mask

__all__ = ["fig_plans"]

PLAN_COLOR = "#000000"  # plans are not a pattern family: black stars stand apart from every family colour


def _y(f: PlanFindings) -> tuple[np.ndarray, str]:
    """Perplexity change vs dense when known for every point, else the perplexity itself."""
    d = np.array([p.ppl_delta for p in f.points], dtype=float)
    if np.isfinite(d).all():
        return d, "perplexity change vs dense"
    return np.array([p.perplexity for p in f.points], dtype=float), "perplexity"


@styled
def fig_plans(f: PlanFindings) -> Figure:
    """Two panels (cycles/token, energy/token) of the points of ``f``, with their joint front and intervals."""
    fig = Figure(figsize=(8.6, 3.9))
    axes = fig.subplots(1, 2, sharey=True)
    y, ylab = _y(f)
    delta = ylab.startswith("perplexity change")
    lo = np.array([p.delta_lo if delta else p.perplexity_lo for p in f.points], dtype=float)
    hi = np.array([p.delta_hi if delta else p.perplexity_hi for p in f.points], dtype=float)
    for ax, key, xlab, scale in ((axes[0], "cycles_per_token", "cycles per token", 1.0),
                                 (axes[1], "energy_per_token_j", "energy per token [nJ]", 1e9)):  # fmt: skip
        x = np.array([getattr(p, key) for p in f.points], dtype=float) * scale
        span = (np.nanmax(x) - np.nanmin(x)) or 1.0, (np.nanmax(y) - np.nanmin(y)) or 1.0
        labelled: list[float] = []  # x of the labels drawn so far: nearby points stack their labels upwards
        for i, p in enumerate(f.points):
            color = PLAN_COLOR if p.plan else family_color(p.patterns)
            if np.isfinite(lo[i]) and np.isfinite(hi[i]):
                ax.vlines(x[i], lo[i], hi[i], color=color, lw=1.2, alpha=0.5, zorder=1)
            if p.plan:
                ax.scatter([x[i]], [y[i]], s=90, marker="*", color=color, zorder=3, label="captured plan")
            else:
                ax.scatter([x[i]], [y[i]], s=45, marker=family_marker(p.patterns), color=color, zorder=2,
                           label=f"uniform {p.patterns}")  # fmt: skip
            n = sum(abs(x[i] - xl) < 0.08 * span[0] for xl in labelled)
            labelled.append(x[i])
            ax.annotate(p.label, (x[i], y[i]), textcoords="offset points", xytext=(6, 4 + 11 * n), fontsize=7,
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.5"} if n else None)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() >= 2:
            idx = np.flatnonzero(ok)[pareto_mask(np.column_stack([x[ok], y[ok]]))]
            idx = idx[np.argsort(x[idx], kind="stable")]
            ax.step(x[idx], y[idx], where="post", color=OTHER_COLOR, ls="--", lw=1.2, zorder=0)
            # rings mark the front's points: a one-point front draws no line
            ax.scatter(x[idx], y[idx], s=170, facecolors="none", edgecolors=OTHER_COLOR, lw=1.2, zorder=1,
                       label="front (plans + uniform)")  # fmt: skip
        ax.set_xlabel(xlab)
        ax.margins(x=0.18, y=0.15)  # room for the labels beside the points
        fin = np.abs(y[np.isfinite(y)])
        if fin.size and fin.max() > 20 * max(np.median(fin), 1e-9):
            # one catastrophic point (e.g. uniform 4:16) would flatten the rest onto a line: linear near 0, log beyond
            ax.set_yscale("symlog", linthresh=max(1.0, float(np.median(fin))))
    axes[0].set_ylabel(ylab)
    fig.suptitle(f"Layer-adaptive plans on {f.design}: {f.workload} ({f.mode})")
    legend_outside(fig, where="bottom", ncols=4)
    return fig
