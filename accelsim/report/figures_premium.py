"""The matched-pair premium figure: what each wider pattern costs over a base (2:4) and what accuracy it buys.

For each family wider than the base, on matched designs (identical in every Design field but the supported
patterns; :func:`accelsim.report.findings.matched_pairs`): x is the median area (left) or energy-per-token (right)
premium over the base twin, in %, with a bar from the cost model's low to its high corner (every constant at the
low or the high end of its sources' range, both designs of a pair at the same corner; ``accelsim.cost.ranges``);
y is the perplexity it recovers, the base family's best perplexity change minus the wider family's.  A linear axis
around 0 % keeps a few-percent premium visible, which a log area axis in the scatter figures hides.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from accelsim.report.findings import LABELS, family_stats, matched_pairs
from accelsim.report.style import family_color, family_marker, legend_outside, styled
from accelsim.results import Table, accuracy_column, select

__all__ = ["fig_premium", "design_field_columns", "premium_points"]


def design_field_columns(t: Table) -> list[str]:
    """The Design-field columns of a results table: those the explorer writes between ``design_name`` and
    ``largest_pattern`` (``accelsim.explore.points.design_columns``)."""
    cols = t.columns
    if "design_name" not in cols or "largest_pattern" not in cols:
        return []
    return cols[cols.index("design_name") + 1 : cols.index("largest_pattern")]


def premium_points(t: Table, base: str, design_fields=None) -> list[dict]:
    """One dict per family wider than ``base`` with matched pairs: family, pairs, own_trace, recovered (perplexity
    points), and for "area"/"energy": nominal median premium and (low, high) corner medians, as fractions."""
    fields = design_fields if design_fields is not None else design_field_columns(t)
    fam = family_stats(t)
    if base not in fam:
        return []
    wider = [lab for lab in LABELS[LABELS.index(base) + 1 :] if lab in fam] if base in LABELS else []
    out = []
    for lab in wider:
        p = matched_pairs(t, fields, lab, base)
        if not len(p):
            continue
        rng = p.premium_range()
        out.append({"family": lab, "pairs": len(p), "own_trace": fam[lab].own_trace, "recovered": p.accuracy_gain,
                    "area": float(np.median(p.area)) - 1, "energy": float(np.median(p.energy)) - 1,
                    "area_range": rng["area"], "energy_range": rng["energy"]})  # fmt: skip
    return out


@styled
def fig_premium(table: Table, workload: str | None = None, mode: str | None = None, base: str = "2:4", design_fields=None) -> Figure:
    """Area and energy premium of each wider pattern over ``base`` on matched designs (x, with the cost model's
    low-high range) against the perplexity it recovers (y)."""
    from accelsim.report.figures import title_of

    t = select(table, workload, mode)
    pts = premium_points(t, base, design_fields)
    fig = Figure(figsize=(8.2, 4.0))
    axes = fig.subplots(1, 2, sharey=True)
    acc_label = accuracy_column(t)[1]
    for ax, key, what in ((axes[0], "area", "area"), (axes[1], "energy", "energy/token")):
        for p in pts:
            x, y = 100 * p[key], p["recovered"] if np.isfinite(p["recovered"]) else 0.0
            lo, hi = (100 * v for v in p[f"{key}_range"])
            if np.isfinite(lo) and np.isfinite(hi):  # the corners' medians need not straddle the nominal one
                ax.hlines(y, min(lo, hi, x), max(lo, hi, x), color=family_color(p["family"]), lw=2.2, alpha=0.45, zorder=1)
            face = family_color(p["family"]) if p["own_trace"] else "none"
            ax.scatter([x], [y], s=60, marker=family_marker(p["family"]), facecolors=face, edgecolors=family_color(p["family"]),
                       lw=1.3, zorder=2, label=p["family"])  # fmt: skip
            ax.annotate(f"{p['family']} ({p['pairs']} pairs)", (x, y), textcoords="offset points", xytext=(6, 5), fontsize=7)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel(f"{what} premium over the {base} twin [%]")
        ax.set_title(f"{what}: median over matched pairs")
        ax.margins(x=0.3, y=0.12)  # room for the labels beside the points
    axes[0].set_ylabel(f"{acc_label.split(' (')[0].split(' change')[0]} points recovered over {base}\n(best {base} minus best of the family)")
    if not pts:
        axes[0].text(0.5, 0.5, f"no family wider than {base} has matched {base} twins", transform=axes[0].transAxes, ha="center")
    fig.suptitle(title_of(t, f"What each pattern costs over {base} and what it buys", f"{sum(p['pairs'] for p in pts)} matched pairs"))
    handles, labels = axes[0].get_legend_handles_labels()
    extra = [Line2D([], [], color="0.5", lw=2.2, alpha=0.45, label="cost-model low-high range"),
             Line2D([], [], ls="none", marker="o", markerfacecolor="none", markeredgecolor="0.3", label="hollow: runs a narrower trace")]  # fmt: skip
    legend_outside(fig, handles + extra, labels + [h.get_label() for h in extra], ncols=6, where="bottom")
    return fig
