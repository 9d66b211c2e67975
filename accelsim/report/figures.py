"""Figures of a sweep, one function each; every one reads only the results table and returns a Figure.

Designs are coloured and labelled by their largest supported pattern (dense, 2:4, 4:8,
8:16, 16:32, unstructured).  The Pareto front of the plotted pair of objectives is drawn as
a step line through black-edged points.  Only feasible rows (the space's constraints) of one
workload and one simulate mode are plotted; ``workload``/``mode`` default to the first ones.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from accelsim.report.findings import LABELS  # noqa: E402
from accelsim.results import FRONT_OBJECTIVES, Table, accuracy_column, front_rows, has_accuracy, pareto_mask, select  # noqa: E402
from accelsim.results import objective as _objective  # noqa: E402

__all__ = [
    "LABELS",
    "select",
    "accuracy_column",
    "has_accuracy",
    "front_rows",
    "fig_accuracy_vs_area",
    "fig_accuracy_vs_energy",
    "fig_accuracy_vs_area_time",
    "fig_cycles_vs_area",
    "fig_stall_breakdown",
    "fig_energy_breakdown",
    "save_figure",
]

_COLORS = dict(zip(LABELS, ("#7f7f7f", "#1f77b4", "#17becf", "#d62728", "#ff7f0e", "#9467bd")))
_MARKERS = dict(zip(LABELS, ("s", "o", "v", "D", "^", "P")))
_SHORT = {"ppl_delta": "accuracy", "area_mm2": "area", "energy_per_token_j": "energy", "cycles_per_token": "cycles"}


def _scale(values: np.ndarray, unit: str) -> tuple[float, str]:
    """A power-of-1000 factor and prefixed unit so the largest value reads in [1, 1000).

    The prefix goes in front of ``unit``, or where it says ``{p}`` ("mm²·{p}s" -> "mm²·µs").
    """
    top = np.nanmax(np.abs(values)) if values.size and np.isfinite(values).any() else 1.0
    put = (lambda p: unit.format(p=p)) if "{p}" in unit else (lambda p: p + unit)
    for f, p in ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M")):
        if top < f * 1000:
            return f, put(p)
    return 1e9, put("G")


def _scatter(t: Table, xcol: str, ycol: str, xlabel: str, ylabel: str, title: str, unit: str = "") -> Figure:
    """Scatter by family; black rings = the main Pareto front, dashed step = the front of the two plotted axes."""
    x, y = _objective(t, xcol), _objective(t, ycol)
    xf, xu = _scale(x, unit) if unit else (1.0, "")
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    labels = t["largest_pattern"].astype(str)
    for lab in [*LABELS, *sorted(set(labels) - set(LABELS))]:
        m = labels == lab
        if m.any():
            ax.scatter(x[m] / xf, y[m], s=22, alpha=0.55, color=_COLORS.get(lab, "#bcbd22"), marker=_MARKERS.get(lab, "X"), label=lab)
    ok = np.isfinite(x) & np.isfinite(y)
    front2 = np.zeros(len(t), dtype=bool)
    front2[ok] = pareto_mask(np.column_stack([x[ok], y[ok]]), minimize=True)
    order = np.argsort(x[front2], kind="stable")
    ax.step(x[front2][order] / xf, y[front2][order], where="post", color="0.35", lw=0.9, ls="--", label="front of these two axes")
    main = front_rows(t)
    ax.scatter(x[main] / xf, y[main], s=50, facecolors="none", edgecolors="black", lw=1.1, label="front: " + ", ".join(_SHORT[c] for c in FRONT_OBJECTIVES))
    seen: dict[tuple[float, float], int] = {}
    tagged = set()
    for i in np.flatnonzero(main)[np.argsort(x[main], kind="stable")]:
        if labels[i] not in tagged:  # one tag per pattern family keeps the plot legible
            spot = (round(float(x[i] / xf), 2), round(float(y[i]), 2))
            k = seen[spot] = seen.get(spot, -1) + 1  # stack tags of coinciding points instead of overprinting
            ax.annotate(labels[i], (x[i] / xf, y[i]), textcoords="offset points", xytext=(5, 4 + 9 * k), fontsize=8)
            tagged.add(labels[i])
    pos = x[np.isfinite(x) & (x > 0)]
    if pos.size and pos.max() / pos.min() > 20:  # array sizes span decades: a log axis keeps small designs readable
        ax.set_xscale("log")
    ax.set_xlabel(f"{xlabel} [{xu}]" if xu else xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, title="largest supported pattern", title_fontsize=7)
    return fig


def _title(t: Table, what: str) -> str:
    return f"{what}: {t['mode'][0]}, {len(t)} designs\n{t['workload_id'][0]}"


def fig_accuracy_vs_area(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Perplexity change vs dense (y) against area in mm2 (x); Pareto front of both."""
    t = select(table, workload, mode)
    return _scatter(t, "area_mm2", "ppl_delta", "area [mm²]", accuracy_column(t)[1], _title(t, "Accuracy vs area"))


def fig_accuracy_vs_energy(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Perplexity change vs dense (y) against energy per token (x); Pareto front of both."""
    t = select(table, workload, mode)
    return _scatter(t, "energy_per_token_j", "ppl_delta", "energy per token", accuracy_column(t)[1], _title(t, "Accuracy vs energy per token"), "J")


def fig_accuracy_vs_area_time(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Perplexity change vs dense (y) against silicon area-time per token, area x seconds per token (x).

    Area alone favours slow designs (a dense array is small but takes twice the cycles);
    area-time is area at equal throughput, the inverse of tokens/s per mm2.
    """
    t = select(table, workload, mode)
    at = t["area_mm2"].astype(float) / t["tokens_per_s"].astype(float)
    t = t.with_column("area_s_per_token", at)
    return _scatter(t, "area_s_per_token", "ppl_delta", "area x time per token", accuracy_column(t)[1],
                    _title(t, "Accuracy vs area-time per token"), "mm²·{p}s")


def fig_cycles_vs_area(table: Table, workload: str | None = None, mode: str | None = None) -> Figure:
    """Cycles per token (y) against area (x); Pareto front of both."""
    t = select(table, workload, mode)
    return _scatter(t, "area_mm2", "cycles_per_token", "area [mm²]", "cycles per token", _title(t, "Cycles per token vs area"))


def _front_for_bars(t: Table, limit: int) -> Table:
    f = t.where(front_rows(t))
    order = np.argsort(f["area_mm2"].astype(float), kind="stable")
    if len(order) > limit:  # evenly spaced along the area axis
        order = order[np.linspace(0, len(order) - 1, limit).round().astype(int)]
    return f.where(order)


def _stack(ax, f: Table, vals: dict, unit: str, ylabel: str, color_of) -> None:
    """Stacked bars of ``vals`` (name -> per-design values) on ``ax``, scaled to a readable unit."""
    total = sum(vals.values()) if vals else np.zeros(len(f))
    scale, u = _scale(np.asarray(total), unit) if unit else (1.0, "")
    xs = np.arange(len(f))
    bottom = np.zeros(len(f))
    for name, v in vals.items():
        ax.bar(xs, np.nan_to_num(v) / scale, bottom=bottom, color=color_of(name), label=name)
        bottom += np.nan_to_num(v) / scale
    ticks = [f"{lab}\n{n[-8:]}" for lab, n in zip(f["largest_pattern"], f["design_id"])]
    ax.set_xticks(xs, ticks, fontsize=7, rotation=60, ha="right")
    ax.set_ylabel(f"{ylabel} [{u}]" if u else ylabel)
    ax.grid(axis="y", alpha=0.3)


def _per_token(f: Table, prefix: str, names=None) -> dict:
    comps = [c for c in f.prefixed(prefix) if np.nansum(f[c].astype(float)) > 0]
    tokens = f["tokens"].astype(float)
    return {c[len(prefix):]: f[c].astype(float) / tokens for c in comps if names is None or c[len(prefix):] in names}


def _bars(f: Table, prefix: str, ylabel: str, title: str, unit: str) -> Figure:
    vals = _per_token(f, prefix)
    cmap = plt.get_cmap("tab20")
    colors = {name: cmap(i % 20) for i, name in enumerate(vals)}
    fig, ax = plt.subplots(figsize=(max(6.4, 0.55 * len(f) + 2), 4.4), layout="constrained")
    _stack(ax, f, vals, unit, ylabel, colors.get)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return fig


def fig_stall_breakdown(table: Table, workload: str | None = None, mode: str | None = None, limit: int = 16) -> Figure:
    """Cycles per token by cause (compute and each stall) for designs on the main front."""
    t = select(table, workload, mode)
    f = _front_for_bars(t, limit)
    return _bars(f, "cycles.", "cycles per token", _title(f, "Cycles by cause, designs on the main front"), "")


def fig_energy_breakdown(table: Table, workload: str | None = None, mode: str | None = None, limit: int = 16) -> Figure:
    """Energy per token by component for designs on the main front: on-chip components on the
    left axis, off-chip (DRAM) on its own axis at the right, so that the selector, metadata and
    compaction costs are not flattened by DRAM traffic."""
    from accelsim.cost import offchip_components

    t = select(table, workload, mode)
    f = _front_for_bars(t, limit)
    off = set(offchip_components())
    on_vals = {k: v for k, v in _per_token(f, "energy_j.").items() if k not in off}
    off_vals = {k: v for k, v in _per_token(f, "energy_j.").items() if k in off}
    cmap = plt.get_cmap("tab20")
    colors = {name: cmap(i % 20) for i, name in enumerate(list(on_vals) + list(off_vals))}
    width = max(6.4, 0.55 * len(f) + 2)
    fig, (ax_on, ax_off) = plt.subplots(
        1, 2, figsize=(width * 1.45, 4.6), layout="constrained", gridspec_kw={"width_ratios": [2.2, 1]}
    )
    _stack(ax_on, f, on_vals, "J", "on-chip energy per token", colors.get)
    ax_on.set_title("on chip, by component", fontsize=9)
    ax_on.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(0, -0.32), frameon=False)
    if off_vals:
        _stack(ax_off, f, off_vals, "J", "off-chip energy per token", colors.get)
        ax_off.set_title("off chip (DRAM)", fontsize=9)
    else:
        ax_off.set_axis_off()
    fig.suptitle(_title(f, "Energy by component, designs on the main front"), fontsize=10)
    return fig


def save_figure(fig: Figure, out_dir: "str | Path", stem: str) -> list[Path]:
    """Save as ``<stem>.png`` (150 dpi) and ``<stem>.svg``; closes the figure."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
