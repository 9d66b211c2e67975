"""The planner's inputs: per-layer cost from the simulator and per-layer loss from a sensitivity file.

Cost: each uniform trace (one per pattern, all from one capture of one model) is simulated on the
design; a layer's cost in a pattern is its cycles per token (``SimResult.per_layer``) or its energy per
token (the layer simulated alone and priced; J).  Only patterns the design runs natively (and dense) are
offered: a plan's layer must run its own pattern, so that the captured accuracy is what the core computes.

Loss: a sensitivity file (JSON, written by the capture's sensitivity pass) maps each layer *group* (a
fnmatch glob such as ``"model.layers.3.mlp.*"``) to the loss increase when only that group runs a
pattern; its ``protocol`` says how it was measured.  Groups are the planner's units: a group's cost is the
sum over the layers it matches, and every traced layer must match exactly one group.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from accelsim.patterns import DENSE, Pattern
from accelsim.plans.planner import Option
from accelsim.plans.spec import PlanError

__all__ = ["layer_costs", "group_options", "read_sensitivity", "METRICS"]

METRICS = ("cycles", "energy")


def layer_costs(design, traces, mode: str = "prefill", metric: str = "cycles") -> dict[str, dict[Pattern, float]]:
    """``{layer: {Pattern: cost per token}}`` over the patterns of ``traces`` that ``design`` runs natively.

    traces: Trace or PreparedTrace objects, one per pattern (uniform traces of one capture; dense included
    as the baseline when the capture made it).  metric: "cycles" (per token) or "energy" (J per token).
    """
    from accelsim.sim import prepare, simulate

    if metric not in METRICS:
        raise PlanError(f"metric must be one of {METRICS}, got {metric!r}")
    out: dict[str, dict[Pattern, float]] = {}
    for tr in traces:
        prep = prepare(tr)
        pat = prep.pattern
        if pat != DENSE and not design.supports(pat):
            continue  # a layer in a plan must run its own pattern
        if pat in {p for costs in out.values() for p in costs}:
            raise PlanError(f"two traces of pattern {pat} given; pass one trace per pattern")
        if metric == "cycles":
            res = simulate(design, prep, mode=mode)
            for row in res.per_layer:
                out.setdefault(row["name"], {})[pat] = row["cycles"] / max(res.tokens, 1)
        else:
            for name, e in _layer_energy(design, prep, mode).items():
                out.setdefault(name, {})[pat] = e
    if not out:
        raise PlanError(f"none of the traces' patterns runs natively on design {design.name!r}")
    return out


def _layer_energy(design, prep, mode: str) -> dict[str, float]:
    """Energy per token of each layer simulated alone (J)."""
    from accelsim.cost import price
    from accelsim.sim import simulate
    from accelsim.traces import Trace

    tr = prep.trace
    out = {}
    for ly in tr.layers:
        one = Trace(f"{tr.run_id}:{ly.name}", (ly,), manifest=tr.manifest)
        res = simulate(design, one, mode=mode)
        out[ly.name] = price(res, design).energy_j / max(res.tokens, 1)
    return out


def read_sensitivity(path: "str | Path") -> dict:
    """The sensitivity file: ``{"protocol": {...}, "groups": {glob: {pattern: loss}}}`` (JSON only)."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"sensitivity file {str(p)!r} does not exist; run the capture's sensitivity pass first") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PlanError(f"sensitivity file {str(p)!r} is not valid JSON: {e}") from None
    if not isinstance(d, dict) or not isinstance(d.get("groups"), dict) or not d["groups"]:
        raise PlanError(f"sensitivity file {str(p)!r} needs a non-empty 'groups' table of glob -> {{pattern: loss}}")
    groups = {}
    for glob, row in d["groups"].items():
        if not isinstance(row, dict):
            raise PlanError(f"sensitivity group {glob!r}: expected {{pattern: loss}}, got {row!r:.60}")
        try:
            groups[glob] = {Pattern.parse(k): float(v) for k, v in row.items()}
        except (TypeError, ValueError) as e:
            raise PlanError(f"sensitivity group {glob!r}: {e}") from None
    return {"protocol": d.get("protocol", {}), "groups": groups}


def group_options(costs: dict[str, dict[Pattern, float]], groups: dict[str, dict[Pattern, float]]) -> dict[str, list[Option]]:
    """Planner options per group: summed cost of the group's layers, the group's measured loss (dense: 0).

    A pattern is offered for a group when every layer of the group has a cost in it and the group has a
    measured loss in it (dense needs no measurement: it is the reference).
    """
    members: dict[str, list[str]] = {g: [] for g in groups}
    for layer in costs:
        hits = [g for g in groups if fnmatch.fnmatchcase(layer, g)]
        if len(hits) != 1:
            raise PlanError(f"layer {layer!r} matches {len(hits)} sensitivity groups {hits}; each layer must match exactly one")
        members[hits[0]].append(layer)
    out = {}
    for g, layers in members.items():
        if not layers:
            raise PlanError(f"sensitivity group {g!r} matches none of the traced layers; the traces and the sensitivity "
                            "file must come from the same model")
        loss = {DENSE: 0.0, **groups[g]}
        pats = [p for p in loss if all(p in costs[ly] for ly in layers)]
        out[g] = [Option(p, sum(costs[ly][p] for ly in layers), loss[p]) for p in pats]
        if not out[g]:
            raise PlanError(f"sensitivity group {g!r}: no pattern has both a cost and a measured loss")
    return out
