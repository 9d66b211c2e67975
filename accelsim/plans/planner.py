"""Choose a per-layer plan: least cost under a loss budget, or least loss under a cost budget.

Each sparsified layer has options, one per pattern the design supports: the layer's cost when it
runs that pattern (cycles or energy per token, from the simulator and cost model) and its loss
(the measured increase in, e.g., log-perplexity when only that layer runs the pattern, on the
calibration split).  The planner assumes the layers' losses and costs add up, the first-order
model that per-layer sensitivity allocation uses (e.g. OWL, Yin et al., ICML 2024; TEAL, Liu et
al., ICLR 2025 pick per-layer sparsity for accuracy the same way).  Whether they really add up is
checked by capturing the chosen plan for real, not here.

Three solvers over the same options:

* ``greedy``: the classic relaxation greedy for the multiple-choice knapsack (Sinha & Zoltners,
  Operations Research 27(3), 1979).  Per layer, drop dominated options and keep the lower convex
  hull in (loss, cost); take hull steps in order of cost saved per unit of loss added, skipping a
  step (and the rest of its layer) when it would break the budget.  O(S log S) for S options.
* ``exact``: dynamic programming over layers keeping only the non-dominated (loss, cost) partial
  plans; exact, but its front can grow, so it stops with an error past ``max_states``.
* ``brute``: every combination; for tests on small cases only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from accelsim.patterns import Pattern
from accelsim.plans.spec import Plan, PlanError

__all__ = ["Option", "PlanPoint", "choose_plan", "greedy_front", "SOLVERS"]

SOLVERS = ("greedy", "exact", "brute")


@dataclass(frozen=True)
class Option:
    """One layer in one pattern: cost (cycles or J per token, >= 0) and loss (any finite float)."""

    pattern: Pattern
    cost: float
    loss: float

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, Pattern):
            raise PlanError(f"option pattern must be a Pattern, got {self.pattern!r}")
        if not (math.isfinite(self.cost) and self.cost >= 0):
            raise PlanError(f"option {self.pattern}: cost must be finite and >= 0, got {self.cost!r}")
        if not math.isfinite(self.loss):
            raise PlanError(f"option {self.pattern}: loss must be finite, got {self.loss!r}")


@dataclass(frozen=True)
class PlanPoint:
    """A chosen assignment ``{layer: Pattern}`` with its summed cost and loss."""

    assign: Mapping[str, Pattern]
    cost: float
    loss: float

    @property
    def plan(self) -> Plan:
        """As a :class:`Plan`: the most used pattern is the default, other layers get exact-name rules."""
        counts: dict[Pattern, int] = {}
        for p in self.assign.values():
            counts[p] = counts.get(p, 0) + 1
        default = max(sorted(counts), key=lambda p: counts[p])
        return Plan(tuple((name, p) for name, p in self.assign.items() if p != default), default)


def _check(options: Mapping[str, Sequence[Option]]) -> None:
    if not options:
        raise PlanError("no layers to plan: the options table is empty")
    for name, opts in options.items():
        if not opts:
            raise PlanError(f"layer {name!r} has no options; give it at least one supported pattern")
        pats = [o.pattern for o in opts]
        if len(set(pats)) != len(pats):
            raise PlanError(f"layer {name!r} lists a pattern twice: {[str(p) for p in pats]}")


def _point(options, choice: dict[str, Option]) -> PlanPoint:
    return PlanPoint({n: choice[n].pattern for n in options}, sum(o.cost for o in choice.values()),
                     sum(o.loss for o in choice.values()))


def _hull(opts: Sequence[Option]) -> list[Option]:
    """Non-dominated options of one layer on their lower convex hull, by loss ascending (cost descending)."""
    pts = sorted(opts, key=lambda o: (o.loss, o.cost))
    front: list[Option] = []
    for o in pts:  # Pareto: strictly cheaper than everything with less loss
        if not front or o.cost < front[-1].cost:
            front.append(o)
    hull: list[Option] = []
    for o in front:  # keep slopes (cost saved per loss added) decreasing: convexity
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # b lies on or above the chord a->o: drop it
            if (a.cost - b.cost) * (o.loss - a.loss) <= (a.cost - o.cost) * (b.loss - a.loss):
                hull.pop()
            else:
                break
        hull.append(o)
    return hull


def _hull_steps(options) -> tuple[dict[str, list[Option]], list[tuple[str, int]]]:
    """Each layer's hull and every hull step (layer, index into its hull), most cost saved per loss added first
    (ties: layer order, then the hull's own order, which convexity already makes decreasing)."""
    hulls = {n: _hull(o) for n, o in options.items()}
    keyed = []
    for li, (n, h) in enumerate(hulls.items()):
        for k in range(1, len(h)):
            saved, added = h[k - 1].cost - h[k].cost, h[k].loss - h[k - 1].loss
            keyed.append((-saved / added, li, k, n))
    keyed.sort()
    return hulls, [(n, k) for _, _, k, n in keyed]


def greedy_front(options: Mapping[str, Sequence[Option]]) -> list[PlanPoint]:
    """The greedy path from the least-loss plan to the cheapest one, one hull step at a time."""
    _check(options)
    hulls, steps = _hull_steps(options)
    choice = {n: h[0] for n, h in hulls.items()}
    out = [_point(options, choice)]
    for n, k in steps:
        choice[n] = hulls[n][k]
        out.append(_point(options, choice))
    return out


def _greedy(options, loss_budget, cost_budget) -> PlanPoint | None:
    if cost_budget is not None:  # least loss: the first plan on the path under the cost budget
        return next((p for p in greedy_front(options) if p.cost <= cost_budget), None)
    hulls, steps = _hull_steps(options)
    choice = {n: h[0] for n, h in hulls.items()}
    loss = sum(o.loss for o in choice.values())
    if loss > loss_budget:  # the least-loss plan already breaks the budget
        return None
    blocked = set()
    for n, k in steps:  # skip a step that breaks the budget, and the later steps of its layer
        if n in blocked:
            continue
        add = hulls[n][k].loss - hulls[n][k - 1].loss
        if loss + add <= loss_budget:
            choice[n], loss = hulls[n][k], loss + add
        else:
            blocked.add(n)
    return _point(options, choice)


def _pick(points, loss_budget, cost_budget) -> PlanPoint | None:
    if cost_budget is not None:
        ok = [p for p in points if p.cost <= cost_budget]
        return min(ok, key=lambda p: (p.loss, p.cost)) if ok else None
    ok = [p for p in points if p.loss <= loss_budget]
    return min(ok, key=lambda p: (p.cost, p.loss)) if ok else None


def _exact(options, loss_budget, cost_budget, max_states: int) -> PlanPoint | None:
    states = [(0.0, 0.0, ())]  # (loss, cost, options chosen so far)
    for n, opts in options.items():
        merged = sorted(((lo + o.loss, c + o.cost, ch + (o,)) for lo, c, ch in states for o in opts),
                        key=lambda s: (s[0], s[1]))
        states = []
        for s in merged:  # keep the Pareto front only
            if not states or s[1] < states[-1][1]:
                states.append(s)
        if len(states) > max_states:
            raise PlanError(f"exact planner: {len(states)} non-dominated partial plans after layer {n!r} "
                            f"exceed max_states={max_states}; use solver='greedy' or raise max_states")
    names = list(options)
    points = [_point(options, dict(zip(names, ch))) for _, _, ch in states]
    return _pick(points, loss_budget, cost_budget)


def _brute(options, loss_budget, cost_budget, limit: int = 2_000_000) -> PlanPoint | None:
    names = list(options)
    total = math.prod(len(options[n]) for n in names)
    if total > limit:
        raise PlanError(f"brute-force planner: {total} combinations exceed {limit}; use solver='exact' or 'greedy'")
    points = (_point(options, dict(zip(names, combo))) for combo in itertools.product(*(options[n] for n in names)))
    return _pick(list(points), loss_budget, cost_budget)


def choose_plan(options: Mapping[str, Sequence[Option]], *, loss_budget: float | None = None,
                cost_budget: float | None = None, solver: str = "greedy", max_states: int = 200_000) -> PlanPoint | None:
    """Front door: the plan minimizing cost with summed loss <= ``loss_budget``, or minimizing loss with
    summed cost <= ``cost_budget`` (give exactly one).  None when no plan meets the budget.

    options: ``{layer name: [Option, ...]}``, one Option per pattern the design supports for that layer.
    """
    _check(options)
    if (loss_budget is None) == (cost_budget is None):
        raise PlanError("give exactly one of loss_budget (minimize cost) or cost_budget (minimize loss)")
    budget = loss_budget if loss_budget is not None else cost_budget
    if not math.isfinite(budget):
        raise PlanError(f"budget must be finite, got {budget!r}")
    if solver == "greedy":
        return _greedy(options, loss_budget, cost_budget)
    if solver == "exact":
        return _exact(options, loss_budget, cost_budget, max_states)
    if solver == "brute":
        return _brute(options, loss_budget, cost_budget)
    raise PlanError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
