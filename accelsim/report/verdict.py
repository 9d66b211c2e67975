"""The verdict of a sweep, computed from the results table (no conclusion is written in advance).

Three questions, for one workload and simulate mode:

1. accuracy: the best perplexity change each family of designs (by largest supported
   pattern) reaches;
2. the front: which families sit on the accuracy-area-energy-cycles Pareto front;
3. cost: what 8:16 support costs over 2:4 on *matched* designs, identical in every Design
   field except the supported patterns, so the difference is the flexibility alone;

4. marginal return: accuracy recovered per 1 % of extra area at each widening step
   (2:4 -> 4:8 -> 8:16 -> 16:32 -> unstructured), the quantity behind a "sweet spot" claim;

then what would change the answer: the accuracy margin that pays for the premium, and how the
premium moves when the selection/metadata hardware (the least certain cost-model entries,
hw-anchors.md section 4.6 is derived, not measured) is twice as large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.explore.store import Table
from accelsim.report.figures import LABELS, accuracy_column, front_rows, has_accuracy

__all__ = ["FamilyStats", "Pairs", "family_stats", "family_of", "matched_pairs", "marginal_returns", "verdict_lines", "FLEX_HARDWARE"]

#: area components whose names contain one of these are the flexibility hardware (sensitivity check)
FLEX_HARDWARE = ("select", "mux", "meta", "compact", "decode")
_DERIVED = {"patterns", "largest_pattern", "max_m", "design_id", "design_name"}


@dataclass(frozen=True)
class FamilyStats:
    label: str
    designs: int
    best_accuracy: float  # lowest ppl_delta (or perplexity) reached
    best_pattern: str  # the trace pattern that reached it (narrower than label when no wider trace exists)
    min_area_mm2: float
    min_energy_per_token_j: float
    on_front: int


@dataclass(frozen=True)
class Pairs:
    """Matched designs a (e.g. 8:16) vs b (e.g. 2:4): ratios a/b, one entry per pair."""

    a: str
    b: str
    area: np.ndarray
    energy: np.ndarray
    cycles: np.ndarray
    area_flex2x: np.ndarray  # area ratio with the flexibility hardware doubled (NaN if not itemised)
    accuracy_gain: float  # best accuracy of b minus best of a (positive: a is more accurate)

    def __len__(self) -> int:
        return len(self.area)


def family_stats(t: Table) -> dict[str, FamilyStats]:
    acc = t.get(accuracy_column(t)[0]).astype(float)
    front = front_rows(t)
    labels = t["largest_pattern"].astype(str)
    out = {}
    for lab in [*LABELS, *sorted(set(labels) - set(LABELS))]:
        m = labels == lab
        if m.any():
            finite = np.isfinite(acc) & m
            best = int(np.flatnonzero(finite)[np.argmin(acc[finite])]) if finite.any() else int(np.flatnonzero(m)[0])
            out[lab] = FamilyStats(
                lab, int(m.sum()), float(acc[best]) if finite.any() else float("nan"), str(t["trace_pattern"][best]),
                float(np.nanmin(t["area_mm2"][m].astype(float))), float(np.nanmin(t["energy_per_token_j"][m].astype(float))),
                int((front & m).sum()),
            )
    return out


def matched_pairs(t: Table, design_fields, a: str = "8:16", b: str = "2:4") -> Pairs:
    """Pairs of designs with labels a and b that agree on every Design field but the patterns."""
    keys = [c for c in design_fields if c in t and c not in _DERIVED]
    labels = t["largest_pattern"].astype(str)
    acc = t.get(accuracy_column(t)[0]).astype(float)
    flex_cols = [c for c in t.prefixed("area_mm2.") if any(s in c[len("area_mm2."):].lower() for s in FLEX_HARDWARE)]
    flex = sum((t[c].astype(float) for c in flex_cols), np.zeros(len(t))) if flex_cols else np.full(len(t), np.nan)
    index_b = {}
    for i in np.flatnonzero(labels == b):
        index_b.setdefault(tuple(t[k][i] for k in keys), i)
    ra, re_, rc, rf = [], [], [], []
    for i in np.flatnonzero(labels == a):
        j = index_b.get(tuple(t[k][i] for k in keys))
        if j is None:
            continue
        area_i, area_j = float(t["area_mm2"][i]), float(t["area_mm2"][j])
        ra.append(area_i / area_j)
        re_.append(float(t["energy_per_token_j"][i]) / float(t["energy_per_token_j"][j]))
        rc.append(float(t["cycles_per_token"][i]) / float(t["cycles_per_token"][j]))
        rf.append((area_i + flex[i]) / (area_j + flex[j]))
    fa, fb = np.isfinite(acc) & (labels == a), np.isfinite(acc) & (labels == b)
    gain = float(acc[fb].min() - acc[fa].min()) if fa.any() and fb.any() else float("nan")
    return Pairs(a, b, np.array(ra), np.array(re_), np.array(rc), np.array(rf), gain)


def family_of(pattern: str) -> str:
    """Trace pattern as a family label ("unstructured:0.5" -> "unstructured")."""
    return "unstructured" if pattern.startswith("unstructured") else pattern


def _pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f} %"


def _range(r: np.ndarray) -> str:
    return f"median {_pct(float(np.median(r)))} (range {_pct(float(r.min()))} to {_pct(float(r.max()))})"


STEPS = (("2:4", "4:8"), ("4:8", "8:16"), ("8:16", "16:32"), ("16:32", "unstructured"))


def marginal_returns(t: Table, design_fields, fam: dict[str, FamilyStats] | None = None) -> dict[tuple[str, str], float]:
    """Accuracy gained per 1 % of area for each widening step (narrow -> wide), on matched pairs.

    Gain = best accuracy of narrow minus best of wide; area = median matched-pair premium in %.
    A step is left out when either family lacks its own trace or no matched pair exists;
    a step that costs no area gives +inf.
    """
    fam = fam if fam is not None else family_stats(t)
    out = {}
    for narrow, wide in STEPS:
        if narrow not in fam or wide not in fam or family_of(fam[wide].best_pattern) != wide or family_of(fam[narrow].best_pattern) != narrow:
            continue
        p = matched_pairs(t, design_fields, wide, narrow)
        if len(p):
            premium = (float(np.median(p.area)) - 1) * 100
            out[(narrow, wide)] = p.accuracy_gain / premium if premium > 0 else float("inf")
    return out


def _marginal_returns(t: Table, design_fields, fam, acc_label: str) -> list[str]:
    r = marginal_returns(t, design_fields, fam)
    if not r:
        return []
    unit = "perplexity points" if acc_label.startswith("perplexity") else acc_label
    line = f"**Marginal return** ({unit} recovered per 1 % of extra area, matched pairs): " + ", ".join(
        f"{a} → {b} {v:.3g}" for (a, b), v in r.items()
    ) + "."
    into, past = r.get(("4:8", "8:16")), r.get(("8:16", "16:32"))
    if into is not None and past is not None and np.isfinite(into) and np.isfinite(past):
        if past < into:
            line += f" Past 8:16 the return falls from {into:.3g} to {past:.3g} ({into / past:.2g}x less) per 1 % of area." if past > 0 else \
                f" Past 8:16 a wider group buys no accuracy ({past:.3g} per 1 % of area)."
        else:
            line += f" Past 8:16 the return does not fall ({into:.3g} to {past:.3g}): on these numbers wider support is the better buy."
    return [line]


def verdict_lines(t: Table, design_fields, fmt_energy) -> list[str]:
    """Markdown bullet lines: the verdict for the rows of one workload and mode."""
    col, acc_label = accuracy_column(t)
    fam = family_stats(t)
    front = front_rows(t)
    lines = []
    if not has_accuracy(t):
        lines.append("**No accuracy**: the traces carry no perplexity (synthetic traces?), so no accuracy is claimed; only hardware costs follow.")
        pairs = matched_pairs(t, design_fields, "8:16", "2:4")
        if len(pairs):
            lines.append(f"**Cost of 8:16 over 2:4** on {len(pairs)} matched design pairs: area {_range(pairs.area)}, energy per token "
                         f"{_range(pairs.energy)}, cycles per token {_range(pairs.cycles)}.")
        return lines
    parts = [f"{lab} {s.best_accuracy:+.3f}" + (f" (runs {s.best_pattern})" if family_of(s.best_pattern) != lab else "")
             for lab, s in fam.items() if lab != "dense"]
    scored = t.get("tokens_scored").astype(float)
    basis = f"; perplexities scored on {int(np.nanmin(scored))} tokens per trace" if np.isfinite(scored).any() and np.nanmin(scored) > 0 else ""
    lines.append(f"**Accuracy** (best {acc_label} per largest supported pattern{basis}): " + (", ".join(parts) or "no sparse design") + ".")
    borrowed = [lab for lab, s in fam.items() if lab != "dense" and family_of(s.best_pattern) != lab]
    if borrowed:
        lines.append(
            f"**Traces missing** for {', '.join(borrowed)}: those designs run another pattern's trace (the table's run_pattern says "
            "how: natively, with overflow passes, or dense), so their accuracy is not their own pattern's; capture the missing patterns."
        )
    on = {lab: s.on_front for lab, s in fam.items() if s.on_front}
    lines.append(
        f"**Front**: {int(front.sum())} of {len(t)} designs are on the accuracy-area-energy-cycles Pareto front; by largest pattern: "
        + ", ".join(f"{lab} {n}" for lab, n in on.items()) + "."
    )
    area_time = t["area_mm2"].astype(float) / t["tokens_per_s"].astype(float)
    at_front = front_rows(Table({col: t.get(col).astype(float), "area_s": area_time}), (col, "area_s"))
    fams_at = [lab for lab in fam if (at_front & (t["largest_pattern"].astype(str) == lab)).any()]
    lines.append(
        f"**Area at equal throughput**: on the front of {acc_label} against area x time per token (silicon per unit of "
        f"throughput) lie designs of: {', '.join(fams_at)}."
    )
    if "8:16" not in fam:
        lines.append("**8:16**: no design in this sweep supports 8:16, so the sweep cannot place it; add `largest_pattern = \"8:16\"` to the space.")
        return lines
    s816 = fam["8:16"]
    if s816.on_front:
        rows = np.flatnonzero(front & (t["largest_pattern"].astype(str) == "8:16"))
        best = rows[np.argmin(t["area_mm2"][rows].astype(float))]
        lines.append(
            f"**8:16 on the front**: {s816.on_front} of {s816.designs} 8:16 designs are Pareto-optimal; the smallest, "
            f"`{t['design_name'][best]}`, takes {t['area_mm2'][best]:.3g} mm² and {fmt_energy(t['energy_per_token_j'][best])} per token "
            f"at {acc_label} {t[col][best]:+.3f}."
        )
    else:
        lines.append(f"**8:16 off the front**: none of the {s816.designs} 8:16 designs is Pareto-optimal; another family matches its accuracy for less area or energy.")
    pairs = matched_pairs(t, design_fields, "8:16", "2:4")
    if len(pairs):
        lines.append(
            f"**Cost of 8:16 over 2:4** on {len(pairs)} matched design pairs (identical but for the supported patterns): area {_range(pairs.area)}, "
            f"energy per token {_range(pairs.energy)}, cycles per token {_range(pairs.cycles)}; in return {acc_label} improves by "
            f"{pairs.accuracy_gain:+.3f}."
        )
        twin_cheaper = float(np.median(pairs.area)) > 1 and float(np.median(pairs.energy)) >= 1
        if twin_cheaper and pairs.accuracy_gain > 0:
            lines.append(
                f"**What would change it**: the 2:4 twins are smaller and use no more energy, so 8:16 earns its place only through its "
                f"{pairs.accuracy_gain:.3f} accuracy margin; a criterion or mitigation that closes that gap at 2:4 would make 2:4 dominate."
            )
        elif pairs.accuracy_gain <= 0:
            lines.append("**What would change it**: on these traces 8:16 is not more accurate than 2:4, so only a measured accuracy gain would justify its premium.")
        else:
            lines.append("**What would change it**: 8:16 costs no more than 2:4 here; only a cost-model error in its selection and metadata hardware could reverse that.")
        if np.isfinite(pairs.area_flex2x).all():
            lines.append(f"**Sensitivity**: with the selection/metadata hardware twice as large as modelled, the area premium of 8:16 would be {_range(pairs.area_flex2x)}.")
    else:
        lines.append("**Cost of 8:16 over 2:4**: no matched pairs in this sweep (sample both patterns on otherwise identical designs, e.g. a grid).")
    lines += _marginal_returns(t, design_fields, fam, acc_label)
    for wider in ("16:32", "unstructured"):
        if wider in fam:
            p = matched_pairs(t, design_fields, wider, "8:16")
            if len(p) and family_of(fam[wider].best_pattern) != wider:
                lines.append(
                    f"**Beyond 8:16**: no {wider} trace was given, so {wider} designs run {fam[wider].best_pattern}; only their cost is "
                    f"measured: area {_range(p.area)} and energy per token {_range(p.energy)} over 8:16 on {len(p)} matched pairs."
                )
            elif len(p):
                lines.append(
                    f"**Beyond 8:16**: {wider} moves the best {acc_label} from {fam['8:16'].best_accuracy:+.3f} to "
                    f"{fam[wider].best_accuracy:+.3f}, at area {_range(p.area)} and energy per token {_range(p.energy)} over 8:16 "
                    f"on {len(p)} matched pairs."
                )
    return lines
