"""Figures of a sweep, one function each; every one reads only the results table and returns a Figure.

Designs are coloured and marked by their largest supported pattern (dense, 2:4, 4:8, 8:16, 16:32, unstructured;
:mod:`accelsim.report.style`).  Black rings mark the main Pareto front (accuracy, area, energy, cycles); a dashed
step is the front of the two plotted axes.  Where the capture recorded per-window NLLs, the front designs carry the
95 % bootstrap interval of their accuracy as error bars.  Only feasible rows (the space's constraints) of one
workload and one simulate mode are plotted; ``workload``/``mode`` default to the first ones.  Bar charts are in
``figures_bars.py``, the matched-pair premium in ``figures_premium.py``; all are re-exported here.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from accelsim.report.console import short_workload
from accelsim.report.findings import LABELS
from accelsim.report.style import family_color, family_marker, legend_outside, save_figure, styled
from accelsim.results import FRONT_OBJECTIVES, Table, accuracy_column, front_rows, has_accuracy, pareto_mask, select
from accelsim.results import objective as _objective

__all__ = [
    "LABELS", "select", "accuracy_column", "has_accuracy", "front_rows", "fig_accuracy_vs_area", "fig_accuracy_vs_energy",
    "fig_accuracy_vs_area_time", "fig_cycles_vs_area", "fig_stall_breakdown", "fig_energy_breakdown", "fig_premium",
    "save_figure", "title_of", "scale_of",
]  # fmt: skip

_SHORT = {"ppl_delta": "accuracy", "area_mm2": "area", "energy_per_token_j": "energy", "cycles_per_token": "cycles"}


def scale_of(values: np.ndarray, unit: str) -> tuple[float, str]:
    """A power-of-1000 factor and prefixed unit so the largest value reads in [1, 1000).

    The prefix goes in front of ``unit``, or where it says ``{p}`` ("mm²·{p}s" -> "mm²·µs").
    """
    top = np.nanmax(np.abs(values)) if values.size and np.isfinite(values).any() else 1.0
    put = (lambda p: unit.format(p=p)) if "{p}" in unit else (lambda p: p + unit)
    for f, p in ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M")):
        if top < f * 1000:
            return f, put(p)
    return 1e9, put("G")


def title_of(t: Table, what: str, count: str | None = None) -> str:
    """"<what>" over "<short workload> · <mode> · <count or N designs>" (no absolute paths)."""
    return f"{what}\n{short_workload(t)} · {t['mode'][0]} · {count or f'{len(t)} designs'}"


def _front_objectives(t: Table) -> tuple[str, ...]:
    """The objectives ``front_rows`` uses on ``t``: without any accuracy the front is hardware-only."""
    return FRONT_OBJECTIVES if has_accuracy(t) else tuple(c for c in FRONT_OBJECTIVES if c != "ppl_delta")


def _interval_columns(t: Table, ycol: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(lo, hi) of the plotted accuracy column when the capture recorded intervals, else None."""
    col = accuracy_column(t)[0] if ycol == "ppl_delta" else ycol
    lo, hi = {"ppl_delta": ("ppl_delta_lo", "ppl_delta_hi"), "perplexity": ("perplexity_lo", "perplexity_hi")}.get(col, (None, None))
    if lo is None or lo not in t or hi not in t:
        return None
    lo_v, hi_v = t[lo].astype(float), t[hi].astype(float)
    return (lo_v, hi_v) if np.isfinite(lo_v).any() else None


def _scatter(t: Table, xcol: str, ycol: str, xlabel: str, ylabel: str, title: str, unit: str = "") -> Figure:
    x, y = _objective(t, xcol), _objective(t, ycol)
    xf, xu = scale_of(x, unit) if unit else (1.0, "")
    fig = Figure(figsize=(7.4, 4.4))
    ax = fig.subplots()
    labels = t["largest_pattern"].astype(str)
    for lab in [*LABELS, *sorted(set(labels) - set(LABELS))]:
        m = labels == lab
        if m.any():
            ax.scatter(x[m] / xf, y[m], s=22, alpha=0.6, color=family_color(lab), marker=family_marker(lab), label=lab, zorder=2)
    main = front_rows(t)
    iv = _interval_columns(t, ycol)
    if iv is not None and main.any():  # one bar per front design: the capture's bootstrap interval of its accuracy
        lo, hi = iv[0][main], iv[1][main]
        ok = np.isfinite(lo) & np.isfinite(hi)
        yerr = np.vstack([np.clip(y[main] - lo, 0, None), np.clip(hi - y[main], 0, None)])[:, ok]
        ax.errorbar(x[main][ok] / xf, y[main][ok], yerr=yerr, fmt="none", ecolor="0.25", elinewidth=0.8, capsize=2, zorder=1)
    ok = np.isfinite(x) & np.isfinite(y)
    front2 = np.zeros(len(t), dtype=bool)
    front2[ok] = pareto_mask(np.column_stack([x[ok], y[ok]]), minimize=True)
    handles = []
    if front2.sum() >= 2:  # a step needs two points; a lone point would give a legend entry with no line
        order = np.argsort(x[front2], kind="stable")
        ax.step(x[front2][order] / xf, y[front2][order], where="post", color="0.35", lw=0.9, ls="--", zorder=1)
        handles.append(Line2D([], [], color="0.35", lw=0.9, ls="--", label="front of these two axes"))
    ax.scatter(x[main] / xf, y[main], s=55, facecolors="none", edgecolors="black", lw=1.1, zorder=3)
    handles.append(Line2D([], [], ls="none", marker="o", markersize=7, markerfacecolor="none", markeredgecolor="black",
                          label="main front (" + ", ".join(_SHORT[c] for c in _front_objectives(t)) + ")"))  # fmt: skip
    if iv is not None:
        handles.append(Line2D([], [], color="0.25", lw=0.8, label="95 % interval over windows"))
    pos = x[np.isfinite(x) & (x > 0)]
    if pos.size and pos.max() / pos.min() > 20:  # array sizes span decades: a log axis keeps small designs readable
        ax.set_xscale("log")
    ax.set_xlabel(f"{xlabel} [{xu}]" if xu else xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fam_h, fam_l = ax.get_legend_handles_labels()
    legend_outside(fig, fam_h + handles, fam_l + [h.get_label() for h in handles], title="largest supported pattern")
    return fig


@styled
def fig_accuracy_vs_area(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Perplexity change vs dense (y) against area in mm2 (x); Pareto front of both."""
    t = select(table, workload, mode)
    return _scatter(t, "area_mm2", "ppl_delta", "area [mm²]", accuracy_column(t)[1], title_of(t, "Accuracy vs area"))


@styled
def fig_accuracy_vs_energy(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Perplexity change vs dense (y) against energy per token (x); Pareto front of both."""
    t = select(table, workload, mode)
    return _scatter(t, "energy_per_token_j", "ppl_delta", "energy per token", accuracy_column(t)[1], title_of(t, "Accuracy vs energy per token"), "J")


@styled
def fig_accuracy_vs_area_time(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Perplexity change vs dense (y) against silicon area-time per token, area x seconds per token (x).

    Area alone favours slow designs (a dense array is small but takes twice the cycles);
    area-time is area at equal throughput, the inverse of tokens/s per mm2.
    """
    t = select(table, workload, mode)
    at = t["area_mm2"].astype(float) / t["tokens_per_s"].astype(float)
    t = t.with_column("area_s_per_token", at)
    return _scatter(t, "area_s_per_token", "ppl_delta", "area x time per token", accuracy_column(t)[1],
                    title_of(t, "Accuracy vs area-time per token"), "mm²·{p}s")  # fmt: skip


@styled
def fig_cycles_vs_area(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Cycles per token (y) against area (x); Pareto front of both."""
    t = select(table, workload, mode)
    return _scatter(t, "area_mm2", "cycles_per_token", "area [mm²]", "cycles per token", title_of(t, "Cycles per token vs area"))


from accelsim.report.figures_bars import fig_energy_breakdown, fig_stall_breakdown  # noqa: E402  (they use title_of)
from accelsim.report.figures_premium import fig_premium  # noqa: E402
