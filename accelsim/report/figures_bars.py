"""Bar charts of the designs on the main Pareto front: cycles by cause, energy by component.

A front can hold many designs; at most ``limit`` are drawn, evenly spaced along the area axis, and the title says
how many of how many.  Bars are labelled with the design's name (``<family>-<8 hex digits of its id>`` for a sampled
design, the preset name otherwise), the one design label the report uses everywhere.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from accelsim.report.style import component_colors, legend_outside, styled
from accelsim.results import Table, front_rows, select

__all__ = ["fig_stall_breakdown", "fig_energy_breakdown", "front_for_bars"]


def front_for_bars(t: Table, limit: int) -> tuple[Table, int]:
    """(up to ``limit`` front designs evenly spaced by area, smallest first; how many designs the front holds)."""
    f = t.where(front_rows(t))
    order = np.argsort(f["area_mm2"].astype(float), kind="stable")
    if len(order) > limit:
        order = order[np.unique(np.linspace(0, len(order) - 1, limit).round().astype(int))]
    return f.where(order), len(f)


def _count(shown: int, total: int) -> str:
    if shown == total:
        return f"all {total} designs on the main front"
    return f"{shown} of {total} designs on the main front (evenly spaced by area)"


def _stack(ax, f: Table, vals: dict, unit: str, ylabel: str, colors: dict) -> None:
    """Stacked bars of ``vals`` (name -> per-design values) on ``ax``, scaled to a readable unit."""
    from accelsim.report.figures import scale_of

    total = sum(vals.values()) if vals else np.zeros(len(f))
    scale, u = scale_of(np.asarray(total), unit) if unit else (1.0, "")
    xs = np.arange(len(f))
    bottom = np.zeros(len(f))
    for name, v in vals.items():
        ax.bar(xs, np.nan_to_num(v) / scale, bottom=bottom, color=colors[name], label=name)
        bottom += np.nan_to_num(v) / scale
    ax.set_xticks(xs, [str(n) for n in f["design_name"]], rotation=60, ha="right")
    ax.set_ylabel(f"{ylabel} [{u}]" if u else ylabel)
    ax.grid(axis="x", visible=False)


def _per_token(f: Table, prefix: str) -> dict:
    comps = [c for c in f.prefixed(prefix) if np.nansum(f[c].astype(float)) > 0]
    tokens = f["tokens"].astype(float)
    return {c[len(prefix):]: f[c].astype(float) / tokens for c in comps}


@styled
def fig_stall_breakdown(table: Table, workload: str | None = None, mode: str | None = None, limit: int = 16) -> Figure:
    """Cycles per token by cause (compute and each stall) for designs on the main front."""
    from accelsim.report.figures import title_of

    t = select(table, workload, mode)
    f, total = front_for_bars(t, limit)
    vals = _per_token(f, "cycles.")
    fig = Figure(figsize=(max(6.4, 0.5 * len(f) + 3.5), 4.6))
    ax = fig.subplots()
    _stack(ax, f, vals, "", "cycles per token", component_colors(vals))
    ax.set_title(title_of(f, "Cycles per token by cause", _count(len(f), total)))
    legend_outside(fig, title="cause")
    return fig


@styled
def fig_energy_breakdown(table: Table, workload: str | None = None, mode: str | None = None, limit: int = 16) -> Figure:
    """Energy per token by component for designs on the main front: on-chip components on the left axis, off-chip
    (DRAM) on its own axis at the right, so that the selector, metadata and compaction costs are not flattened by
    DRAM traffic (often over 90 % of the total)."""
    from accelsim.cost import offchip_components
    from accelsim.report.figures import title_of

    t = select(table, workload, mode)
    f, total = front_for_bars(t, limit)
    off = set(offchip_components())
    every = _per_token(f, "energy_j.")
    on_vals = {k: v for k, v in every.items() if k not in off}
    off_vals = {k: v for k, v in every.items() if k in off}
    colors = component_colors(list(on_vals) + list(off_vals))
    width = max(6.4, 0.5 * len(f) + 2)
    fig = Figure(figsize=(width * 1.45 + 1.5, 4.8))
    ax_on, ax_off = fig.subplots(1, 2, width_ratios=[2.2, 1])
    _stack(ax_on, f, on_vals, "J", "on-chip energy per token", colors)
    ax_on.set_title("on chip, by component")
    if off_vals:
        _stack(ax_off, f, off_vals, "J", "off-chip energy per token", colors)
        ax_off.set_title("off chip (DRAM), own scale")
    else:
        ax_off.set_axis_off()
    fig.suptitle(title_of(f, "Energy per token by component", _count(len(f), total)))
    legend_outside(fig, title="component")
    return fig
