"""Layer-adaptive traces: layers captured under different patterns (a per-layer plan, ``accelsim.plans``).

A trace whose layers carry more than one pattern is simulated group by group: the layers of each
pattern form a uniform sub-trace that runs by the usual rules of ``accelsim.sim.simulate`` (its own
pattern when the design supports it, else the best supported pattern or dense), and the groups' results
add up.  Layers run one after another on the same core, so cycles, stall causes and counts sum; the
combined result keeps each group's result in ``parts`` so the cost model can price every group at its
own run pattern (``accelsim.cost.price`` sums their energies; the area is the design's, once).

``SimResult.run_pattern`` of the combined result is the run pattern of the group with the most
cycles, a label for tables; ``run_patterns`` gives every layer's.
"""

from __future__ import annotations

from dataclasses import fields, replace

from accelsim.patterns import Pattern
from accelsim.sim.counts import Counts
from accelsim.sim.prepared import PreparedTrace

__all__ = ["layer_patterns", "split_by_pattern", "combine"]


def layer_patterns(prep: PreparedTrace) -> tuple[Pattern, ...]:
    """The pattern each prepared layer was captured under (the trace's own when a layer names none)."""
    by_name = {ly.name: ly.pattern for ly in prep.trace.layers}
    return tuple(Pattern.parse(by_name.get(ly.name, prep.pattern)) for ly in prep.layers)


def split_by_pattern(prep: PreparedTrace) -> list[PreparedTrace]:
    """One uniform PreparedTrace per pattern, in order of first appearance; [prep] when already uniform.

    The groups are kept on ``prep`` so that repeated simulations reuse their cached tile statistics.
    """
    groups = prep.pattern_groups
    if groups is None:
        pats = layer_patterns(prep)
        order = list(dict.fromkeys(pats))
        groups = [prep] if len(order) <= 1 else [
            PreparedTrace(trace=prep.trace, layers=tuple(ly for ly, p in zip(prep.layers, pats) if p == pat),
                          pattern=pat, mitigation=prep.mitigation) for pat in order]  # fmt: skip
        prep.pattern_groups = groups
    return groups


def _sum_counts(parts) -> Counts:
    return Counts(**{f.name: sum(getattr(r.counts, f.name) for r in parts) for f in fields(Counts)})


def combine(parts, layer_order: tuple[str, ...]):
    """One SimResult for the whole trace from the groups' results (``parts``, in any order)."""
    first = parts[0]
    cycles = sum(r.cycles for r in parts)
    causes = {c: sum(r.cycles_by_cause.get(c, 0) for r in parts) for c in first.cycles_by_cause}
    counts = _sum_counts(parts)
    rank = {name: i for i, name in enumerate(layer_order)}
    per_layer = tuple(sorted((row for r in parts for row in r.per_layer), key=lambda row: rank.get(row["name"], len(rank))))
    mac_slots = sum(r.mac_slots for r in parts)
    label = max(parts, key=lambda r: r.cycles).run_pattern
    return replace(first, cycles=cycles, cycles_by_cause=causes, macs_useful=counts.macs_useful, mac_slots=mac_slots,
                   pe_utilization=counts.macs_useful / mac_slots if mac_slots else 0.0, counts=counts,
                   tokens=max(r.tokens for r in parts), run_pattern=label, per_layer=per_layer, parts=tuple(parts))  # fmt: skip
