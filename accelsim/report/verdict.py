"""The verdict of a sweep: the findings (``findings.py``) worded as Markdown bullets.

Every number comes from a :class:`~accelsim.report.findings.Findings`; this module only
chooses words, so a change of wording cannot change a number and vice versa.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from accelsim.report.findings import Findings, Pairs

__all__ = ["verdict_lines", "pct", "ratio_range", "signed"]


def pct(ratio: float) -> str:
    """A ratio as a signed percentage change: 1.857 -> "+85.7 %"."""
    return f"{(ratio - 1) * 100:+.1f} %"


def signed(v: float) -> str:
    """An accuracy figure signed to 3 decimals; "not measured" when it is missing (NaN), never "+nan"."""
    return f"{v:+.3f}" if np.isfinite(v) else "not measured"


def ratio_range(r: np.ndarray) -> str:
    return f"median {pct(float(np.median(r)))} (range {pct(float(r.min()))} to {pct(float(r.max()))})"


def _cost(p: Pairs, note: str = "") -> str:
    onchip = f" (on-chip part {ratio_range(p.energy_onchip)})" if len(p.energy_onchip) == len(p) and len(p) else ""
    return (f"**Cost of {p.a} over {p.b}** on {len(p)} matched design pairs{note}: area {ratio_range(p.area)}, "
            f"energy per token {ratio_range(p.energy)}{onchip}, cycles per token {ratio_range(p.cycles)}")  # fmt: skip


def _marginal(f: Findings) -> list[str]:
    r = f.marginal
    if not r:
        return []
    a = f.compare[0]
    unit = "perplexity points" if f.accuracy_label.startswith("perplexity") else f.accuracy_label
    line = f"**Marginal return** ({unit} recovered per 1 % of extra area, matched pairs): " + ", ".join(
        f"{n} → {w} {v:.3g}" for (n, w), v in r.items()
    ) + "."  # fmt: skip
    into = next((v for (_, w), v in r.items() if w == a), None)
    past = next((v for (n, _), v in r.items() if n == a), None)
    if into is not None and past is not None and np.isfinite(into) and np.isfinite(past):
        if past < into:
            line += f" Past {a} the return falls from {into:.3g} to {past:.3g} ({into / past:.2g}x less) per 1 % of area." if past > 0 else \
                f" Past {a} a wider group buys no accuracy ({past:.3g} per 1 % of area)."  # fmt: skip
        else:
            line += f" Past {a} the return does not fall ({into:.3g} to {past:.3g}): on these numbers wider support is the better buy."
    return [line]


def _accuracy(f: Findings) -> list[str]:
    parts = [f"{lab} {signed(s.best_accuracy)}" + ("" if s.own_trace else f" (runs {s.best_pattern})")
             for lab, s in f.families.items() if lab != "dense"]  # fmt: skip
    basis = f"; perplexities scored on {f.tokens_scored} tokens per trace" if f.tokens_scored else ""
    lines = [f"**Accuracy** (best {f.accuracy_label} per largest supported pattern{basis}): " + (", ".join(parts) or "no sparse design") + "."]
    if f.borrowed:
        lines.append(
            f"**Traces missing** for {', '.join(f.borrowed)}: those designs run another pattern's trace (the table's run_pattern says "
            "how: natively, with overflow passes, or dense), so their accuracy is not their own pattern's; capture the missing patterns."
        )
    on = {lab: s.on_front for lab, s in f.families.items() if s.on_front}
    lines.append(
        f"**Front**: {f.front_size} of {f.rows} designs are on the accuracy-area-energy-cycles Pareto front; by largest pattern: "
        + ", ".join(f"{lab} {n}" for lab, n in on.items()) + "."
    )  # fmt: skip
    if f.front_methods:
        units = ", ".join(f"{u.replace('|', ' and ')} {n}" for u, n in f.front_units.items())
        lines.append(
            "**Methods on the front** (criterion/mitigation of the trace each front design runs): "
            + ", ".join(f"{m} {n}" for m, n in f.front_methods.items())
            + (f"; front designs that include a mitigation unit: {units}." if units else "; no front design includes a mitigation unit.")
        )  # fmt: skip
    lines.append(
        f"**Area at equal throughput**: on the front of {f.accuracy_label} against area x time per token (silicon per unit of "
        f"throughput) lie designs of: {', '.join(f.area_time_families)}."
    )
    return lines


def _compared(f: Findings, fmt_energy: Callable[[float], str]) -> list[str]:
    (a, b), p, lab = f.compare, f.pairs, f.accuracy_label
    s = f.families[a]
    if f.smallest_on_front is not None:
        sm = f.smallest_on_front
        lines = [f"**{a} on the front**: {s.on_front} of {s.designs} {a} designs are Pareto-optimal; the smallest, "
                 f"`{sm.design_name}`, takes {sm.area_mm2:.3g} mm² and {fmt_energy(sm.energy_per_token_j)} per token "
                 f"at {lab} {signed(sm.accuracy)}" + (f", running {sm.method}." if sm.method else ".")]  # fmt: skip
    else:
        lines = [f"**{a} off the front**: none of the {s.designs} {a} designs is Pareto-optimal; another family matches its accuracy for less area or energy."]
    if not len(p):
        return lines + [f"**Cost of {a} over {b}**: no matched pairs in this sweep (sample both patterns on otherwise identical designs, e.g. a grid)."]
    if not np.isfinite(p.accuracy_gain):
        return lines + [_cost(p, " (identical but for the supported patterns)") + f"; the accuracy of {a} or {b} was not measured, "
                        "so what the premium buys is unknown: capture both patterns with perplexity."]  # fmt: skip
    lines.append(_cost(p, " (identical but for the supported patterns)") + f"; in return {lab} improves by {p.accuracy_gain:+.3f}.")
    if float(np.median(p.area)) > 1 and float(np.median(p.energy)) >= 1 and p.accuracy_gain > 0:
        lines.append(
            f"**What would change it**: the {b} twins are smaller and use no more energy, so {a} earns its place only through its "
            f"{p.accuracy_gain:.3f} accuracy margin; a criterion or mitigation that closes that gap at {b} would make {b} dominate."
        )
    elif p.accuracy_gain <= 0:
        lines.append(f"**What would change it**: on these traces {a} is not more accurate than {b}, so only a measured accuracy gain would justify its premium.")
    else:
        lines.append(f"**What would change it**: {a} costs no more than {b} here; only a cost-model error in its selection and metadata hardware could reverse that.")
    if p.has_corners and not all(np.allclose(getattr(p, f"{k}_{c}"), getattr(p, k)) for k in ("area", "energy") for c in ("low", "high")):
        lines.append(_corners(p))  # only when the cost model gave a range (a backend without ranges gives none)
    if np.isfinite(p.area_flex2x).all():
        lines.append(f"**Sensitivity**: with the selection/metadata hardware twice as large as modelled, the area premium of {a} would be {ratio_range(p.area_flex2x)}.")
    return lines


def _conclusion(area: float, energy: float) -> str:
    """The branch of the cost conclusion a (median area ratio, median energy ratio) falls in."""
    if area > 1 and energy >= 1:
        return "larger and no more efficient"
    return "no larger" if area <= 1 else "larger but more efficient"


def _corners(p: Pairs) -> str:
    """The premium across the cost model's low/high corners (both designs of a pair at the same corner)."""
    med = {k: float(np.median(getattr(p, k))) for k in ("area", "energy", "area_low", "area_high", "energy_low", "energy_high")}
    ends = {_conclusion(med["area_low"], med["energy_low"]), _conclusion(med["area_high"], med["energy_high"])}
    nominal = _conclusion(med["area"], med["energy"])
    holds = "holds at both ends" if ends == {nominal} else "does not hold at both ends"
    return (f"**Premium range** over the cost model's low/high corners (every constant at the low or the high end of its "
            f"sources' range, both designs of a pair at the same corner): area {pct(min(med['area_low'], med['area_high']))} to "
            f"{pct(max(med['area_low'], med['area_high']))}, energy per token {pct(min(med['energy_low'], med['energy_high']))} to "
            f"{pct(max(med['energy_low'], med['energy_high']))} (medians over pairs; nominal area {pct(med['area'])}, energy "
            f"{pct(med['energy'])}); the conclusion that {p.a} is {nominal} than {p.b} {holds}.")  # fmt: skip


def _beyond(f: Findings) -> list[str]:
    a, lab, out = f.compare[0], f.accuracy_label, []
    for x in f.beyond:
        p = x.pairs
        if not x.own_trace:
            out.append(f"**Beyond {a}**: no {x.wider} trace was given, so {x.wider} designs run {x.runs}; only their cost is "
                       f"measured: area {ratio_range(p.area)} and energy per token {ratio_range(p.energy)} over {a} on {len(p)} matched pairs.")  # fmt: skip
        else:
            out.append(f"**Beyond {a}**: {x.wider} moves the best {lab} from {signed(f.families[a].best_accuracy)} to "
                       f"{signed(x.best_accuracy)}, at area {ratio_range(p.area)} and energy per token {ratio_range(p.energy)} over {a} "
                       f"on {len(p)} matched pairs.")  # fmt: skip
    return out


def verdict_lines(f: Findings, fmt_energy: Callable[[float], str]) -> list[str]:
    """Markdown bullet lines: the verdict for the rows of one workload and mode, worded from ``f``."""
    a = f.compare[0]
    if not f.has_accuracy:
        lines = ["**No accuracy**: the traces carry no perplexity (synthetic traces?), so no accuracy is claimed; only hardware costs follow."]
        return lines + ([_cost(f.pairs) + "."] if len(f.pairs) else [])
    lines = _accuracy(f)
    if a not in f.families:
        return lines + [f'**{a}**: no design in this sweep supports {a}, so the sweep cannot place it; add `largest_pattern = "{a}"` to the space.']
    return lines + _compared(f, fmt_energy) + _marginal(f) + _beyond(f)
