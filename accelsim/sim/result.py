"""The result of one simulation: :class:`SimResult` (counts only; ``accelsim.cost.price`` prices it).

``accelsim.sim.simulate`` builds it; ``accelsim.sim.mixed`` adds up the results of a layer-adaptive trace's
pattern groups into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accelsim.patterns import Pattern
from accelsim.sim.counts import Counts

__all__ = ["SimResult"]


@dataclass(frozen=True)
class SimResult:
    """What one design did on one trace in one mode (counts only; units in names or docs).

    cycles: total clock cycles; cycles_by_cause: compute (incl. fill/drain), operand_reach,
    metadata_bw, metadata_decode, weight_bw, bank_conflict, compaction, dram - they sum to
    cycles.  clock_ghz: the design's achievable clock (``seconds`` uses it).  macs_useful: products
    with a kept activation; mac_slots: multipliers x cycles; pe_utilization = their ratio.
    counts: the named record of events (``accelsim.sim.counts.Counts``); ``actions`` shows
    them per cost component.  tokens: mask rows walked (decode: decode steps).  run_pattern:
    the Pattern the design ran the trace in (``str()`` gives its spelling, e.g. "8:16"), on the activation side;
    weight_pattern: the weights' (weight-sparse and dual-side cores).
    """

    cycles: int
    cycles_by_cause: dict[str, int]
    macs_useful: int
    mac_slots: int
    pe_utilization: float
    counts: Counts
    tokens: int
    run_pattern: Pattern
    mode: str = "prefill"
    design_name: str = ""
    clock_ghz: float = 1.0
    per_layer: tuple = field(default=(), repr=False)
    sparse_operand: str = "activations"  # the design's: activations, weights or both
    weight_pattern: Pattern | None = None  # the weight pattern a weight or dual-side run used (None: dense weights)
    parts: tuple = field(default=(), repr=False)  # per-pattern group results of a layer-adaptive trace (sim/mixed.py)

    def __repr__(self) -> str:
        stalls = {k: v for k, v in self.cycles_by_cause.items() if v and k != "compute"}
        return (f"SimResult({self.design_name!r}, {self.mode}, ran {self.run_pattern}: {self.cycles:,} cycles "
                f"({self.cycles_per_token:,.1f}/token) at {self.clock_ghz:.3g} GHz, PE utilization {self.pe_utilization:.1%}, "
                f"stalls {stalls or 'none'})")

    @property
    def actions(self) -> dict[str, dict[str, int]]:
        """component -> action -> count, as the cost model's components read ``counts``."""
        from accelsim.cost.components import actions_of  # the components declare which count each action is

        return actions_of(self.counts)

    @property
    def run_patterns(self) -> tuple[Pattern, ...]:
        """Every run pattern of the result: one, or one per pattern group of a layer-adaptive trace."""
        return tuple(dict.fromkeys(p.run_pattern for p in self.parts)) if self.parts else (self.run_pattern,)

    @property
    def seconds(self) -> float:
        """Wall time at the design's achievable clock."""
        return self.cycles / (self.clock_ghz * 1e9)

    @property
    def cycles_per_token(self) -> float:
        return self.cycles / self.tokens if self.tokens else 0.0
