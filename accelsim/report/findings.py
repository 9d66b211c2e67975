"""The findings of a sweep for one workload and mode: numbers only, computed from the results table.

Nothing here words a conclusion (``verdict.py`` does that from these numbers).  For a compared
pair of patterns ``(a, b)`` (by default 8:16 against 2:4):

1. accuracy: the best perplexity change each family of designs (by largest supported pattern)
   reaches, and which families borrow another pattern's trace because theirs is missing;
2. the front: how many designs of each family sit on the accuracy-area-energy-cycles Pareto
   front, and which families reach the front of accuracy against area x time per token;
3. cost: what support for ``a`` costs over ``b`` on *matched* designs, identical in every
   Design field except the supported patterns, so the ratio is the flexibility alone;
4. marginal return: accuracy recovered per 1 % of extra area at each widening step
   (2:4 -> 4:8 -> 8:16 -> 16:32 -> unstructured);
5. sensitivity: the area premium when the flexibility hardware (selection, metadata and
   compaction: the least certain cost entries, derived rather than measured, see
   docs/hardware-anchors.md#46-selection-hardware) is twice as large as modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from accelsim.cost import flexibility_components
from accelsim.report.methods import front_methods, runs_label
from accelsim.results import Table, accuracy_column, front_rows, has_accuracy

__all__ = [
    "LABELS", "STEPS", "DEFAULT_COMPARE", "FamilyStats", "Pairs", "FrontPoint", "Beyond", "Findings",
    "family_of", "family_stats", "matched_pairs", "marginal_returns", "find", "flexibility_columns",
]  # fmt: skip

#: family labels (largest supported pattern), narrowest first
LABELS = ("dense", "2:4", "4:8", "8:16", "16:32", "unstructured")
#: widening steps (narrow, wide) for the marginal return
STEPS = tuple(zip(LABELS[1:-1], LABELS[2:]))
DEFAULT_COMPARE = ("8:16", "2:4")
_DERIVED = {"patterns", "largest_pattern", "max_m", "design_id", "design_name"}


def flexibility_columns(t: Table) -> list[str]:
    """The ``area_mm2.<component>`` columns of flexibility hardware (as ``accelsim.cost`` declares it) present in ``t``."""
    names = set(flexibility_components())
    return [c for c in t.prefixed("area_mm2.") if c[len("area_mm2.") :] in names]


@dataclass(frozen=True)
class FamilyStats:
    label: str
    designs: int
    best_accuracy: float  # lowest ppl_delta (or perplexity) reached
    best_pattern: str  # the trace pattern that reached it (narrower than label when no wider trace exists)
    min_area_mm2: float
    min_energy_per_token_j: float
    on_front: int

    @property
    def own_trace(self) -> bool:
        """True when the family's best design runs a trace of the family's own pattern."""
        return family_of(self.best_pattern) == self.label


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
    energy_onchip: np.ndarray = field(default_factory=lambda: np.zeros(0))  # on-chip energy per token ratio (empty: the table has no split)
    # ratios with both designs of a pair priced at the cost model's low / high corner (empty: no corner columns)
    area_low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    area_high: np.ndarray = field(default_factory=lambda: np.zeros(0))
    energy_low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    energy_high: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def premium_range(self) -> dict[str, tuple[float, float]]:
        """Median area and energy-per-token premium (ratio - 1) at the low and the high corner: {"area": (lo, hi), "energy": ...}
        (lo/hi are the smaller/larger of the two corners' medians); NaN without corner columns."""
        if not self.has_corners:
            return {"area": (float("nan"),) * 2, "energy": (float("nan"),) * 2}
        out = {}
        for k in ("area", "energy"):
            ends = sorted(float(np.median(getattr(self, f"{k}_{c}"))) - 1 for c in ("low", "high"))
            out[k] = (ends[0], ends[1])
        return out

    @property
    def has_corners(self) -> bool:
        return len(self) > 0 and len(self.area_low) == len(self) and len(self.energy_low) == len(self)

    def __len__(self) -> int:
        return len(self.area)


@dataclass(frozen=True)
class FrontPoint:
    """One design on the front: the smallest of the compared family."""

    design_name: str
    area_mm2: float
    energy_per_token_j: float
    accuracy: float
    method: str = ""  # the trace it runs: "<pattern> <criterion>/<mitigation>" ("" for tables without methods)


@dataclass(frozen=True)
class Beyond:
    """A family wider than the compared one, priced against it on matched pairs."""

    wider: str
    runs: str  # trace pattern its best design runs (not its own when own_trace is False)
    own_trace: bool
    best_accuracy: float
    pairs: Pairs


@dataclass(frozen=True)
class Findings:
    """Everything the verdict of one workload and mode says, as numbers."""

    compare: tuple[str, str]
    accuracy_column: str
    accuracy_label: str
    has_accuracy: bool
    rows: int
    families: Mapping[str, FamilyStats]
    tokens_scored: int | None  # fewest tokens a perplexity was scored on (None: not recorded)
    borrowed: tuple[str, ...]  # families whose designs run another pattern's trace
    front_size: int
    area_time_families: tuple[str, ...]  # families on the front of accuracy vs area x time per token
    smallest_on_front: FrontPoint | None  # smallest design of compare[0] on the main front
    pairs: Pairs  # compare[0] vs compare[1]
    marginal: Mapping[tuple[str, str], float]
    beyond: tuple[Beyond, ...]
    front_methods: Mapping[str, int] = field(default_factory=dict)  # method -> designs on the front running it
    front_units: Mapping[str, int] = field(default_factory=dict)  # mitigation units ("var") -> front designs with them


def family_of(pattern: str) -> str:
    """Trace pattern as a family label ("unstructured:0.5" -> "unstructured")."""
    return "unstructured" if pattern.startswith("unstructured") else pattern


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
            )  # fmt: skip
    return out


def matched_pairs(t: Table, design_fields, a: str = DEFAULT_COMPARE[0], b: str = DEFAULT_COMPARE[1]) -> Pairs:
    """Pairs of designs with labels a and b that agree on every Design field but the patterns."""
    keys = [c for c in design_fields if c in t and c not in _DERIVED]
    labels = t["largest_pattern"].astype(str)
    acc = t.get(accuracy_column(t)[0]).astype(float)
    flex_cols = flexibility_columns(t)
    flex = sum((t[c].astype(float) for c in flex_cols), np.zeros(len(t))) if flex_cols else np.full(len(t), np.nan)
    index_b = {}
    for i in np.flatnonzero(labels == b):
        index_b.setdefault(tuple(t[k][i] for k in keys), i)
    ra, re_, rc, rf, ro = [], [], [], [], []
    corners = {k: [] for k in ("area_low", "area_high", "energy_low", "energy_high")}
    cols = {"area_low": "area_mm2_low", "area_high": "area_mm2_high", "energy_low": "energy_per_token_j_low",
            "energy_high": "energy_per_token_j_high"}  # fmt: skip
    has_corners = all(c in t for c in cols.values())
    onchip = t["energy_onchip_j"].astype(float) if "energy_onchip_j" in t else None
    for i in np.flatnonzero(labels == a):
        j = index_b.get(tuple(t[k][i] for k in keys))
        if j is None:
            continue
        area_i, area_j = float(t["area_mm2"][i]), float(t["area_mm2"][j])
        ra.append(area_i / area_j)
        re_.append(float(t["energy_per_token_j"][i]) / float(t["energy_per_token_j"][j]))
        rc.append(float(t["cycles_per_token"][i]) / float(t["cycles_per_token"][j]))
        rf.append((area_i + flex[i]) / (area_j + flex[j]))
        if onchip is not None and onchip[j] > 0:
            ro.append(float(onchip[i]) / float(onchip[j]))
        if has_corners:  # same corner for both designs of the pair
            for k, col in cols.items():
                corners[k].append(float(t[col][i]) / float(t[col][j]))
    fa, fb = np.isfinite(acc) & (labels == a), np.isfinite(acc) & (labels == b)
    gain = float(acc[fb].min() - acc[fa].min()) if fa.any() and fb.any() else float("nan")
    return Pairs(a, b, np.array(ra), np.array(re_), np.array(rc), np.array(rf), gain, np.array(ro),
                 **{k: np.array(v) for k, v in corners.items()})  # fmt: skip


def marginal_returns(t: Table, design_fields, fam: dict[str, FamilyStats] | None = None) -> dict[tuple[str, str], float]:
    """Accuracy gained per 1 % of area for each widening step (narrow -> wide), on matched pairs.

    Gain = best accuracy of narrow minus best of wide; area = median matched-pair premium in %.
    A step is left out when either family lacks its own trace or no matched pair exists;
    a step that costs no area gives +inf.
    """
    fam = fam if fam is not None else family_stats(t)
    out = {}
    for narrow, wide in STEPS:
        if narrow not in fam or wide not in fam or not fam[wide].own_trace or not fam[narrow].own_trace:
            continue
        p = matched_pairs(t, design_fields, wide, narrow)
        if len(p):
            premium = (float(np.median(p.area)) - 1) * 100
            out[(narrow, wide)] = p.accuracy_gain / premium if premium > 0 else float("inf")
    return out


def _smallest_on_front(t: Table, front: np.ndarray, label: str, col: str) -> FrontPoint | None:
    rows = np.flatnonzero(front & (t["largest_pattern"].astype(str) == label))
    if not len(rows):
        return None
    best = rows[np.argmin(t["area_mm2"][rows].astype(float))]
    method = runs_label(t, best) if "method" in t else ""
    return FrontPoint(str(t["design_name"][best]), float(t["area_mm2"][best]), float(t["energy_per_token_j"][best]), float(t.get(col)[best]),
                      method)  # fmt: skip


def find(t: Table, design_fields, compare: tuple[str, str] = DEFAULT_COMPARE) -> Findings:
    """The findings for the rows of one workload and mode (``accelsim.results.select``)."""
    a, b = compare
    col, acc_label = accuracy_column(t)
    fam = family_stats(t)
    front = front_rows(t)
    scored = t.get("tokens_scored").astype(float)
    tokens = int(np.nanmin(scored)) if np.isfinite(scored).any() and np.nanmin(scored) > 0 else None
    area_time = t["area_mm2"].astype(float) / t["tokens_per_s"].astype(float)
    at_front = front_rows(Table({col: t.get(col).astype(float), "area_s": area_time}), (col, "area_s"))
    labels = t["largest_pattern"].astype(str)
    beyond = []
    for wider in LABELS[LABELS.index(a) + 1 :] if a in LABELS else ():
        if wider in fam:
            p = matched_pairs(t, design_fields, wider, a)
            if len(p):
                s = fam[wider]
                beyond.append(Beyond(wider, s.best_pattern, s.own_trace, s.best_accuracy, p))
    return Findings(
        compare=(a, b),
        accuracy_column=col,
        accuracy_label=acc_label,
        has_accuracy=has_accuracy(t),
        rows=len(t),
        families=fam,
        tokens_scored=tokens,
        borrowed=tuple(lab for lab, s in fam.items() if lab != "dense" and not s.own_trace),
        front_size=int(front.sum()),
        area_time_families=tuple(lab for lab in fam if (at_front & (labels == lab)).any()),
        smallest_on_front=_smallest_on_front(t, front, a, col) if a in fam else None,
        pairs=matched_pairs(t, design_fields, a, b),
        marginal=marginal_returns(t, design_fields, fam),
        beyond=tuple(beyond),
        front_methods=front_methods(t, front),
        front_units=_front_units(t, front),
    )


def _front_units(t: Table, front: np.ndarray) -> dict[str, int]:
    """Mitigation units -> front designs that include them ({} when no front design has one)."""
    if "mitigation_units" not in t:
        return {}
    units = [str(u) for u in t["mitigation_units"][front] if str(u)]
    return {u: units.count(u) for u in sorted(set(units))}
