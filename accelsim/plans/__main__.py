"""``python -m accelsim.plans``: choose layer-adaptive plans for one design from measured sensitivity.

    python -m accelsim.plans --sensitivity traces/n16/sensitivity.json --traces traces/n16 \\
        --design flex-n16 --match 8:16@0.5,0.75,1 --out plans/

For each loss budget (increase in mean NLL per token on the sensitivity file's split, i.e. in
log-perplexity; ``--ppl-budgets`` takes percent perplexity increase instead) it writes the plan of least
cost (cycles per token, or ``--metric energy``) whose summed measured loss fits, as ``plan-<budget>.toml``,
and prints predicted loss and cost beside the uniform plans.  Predicted numbers are first-order (losses
add; with the default greedy solver the exact optimum's cost is printed beside it): capture each plan (``python -m accelsim.capture --plan FILE``) to measure it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PlanConfig:
    sensitivity: str
    traces: str
    design: str
    budgets: tuple[tuple[str, float], ...]  # (label, budget in nats/token); a match budget is resolved later
    out: str
    metric: str = "cycles"
    mode: str = "prefill"
    solver: str = "greedy"
    criterion: str = "magnitude"
    match: str = ""  # a uniform pattern whose predicted loss scales the budgets (--match)


def _floats(text: str, what: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise SystemExit(f"error: {what} {text!r} must be comma-separated numbers, e.g. 0.05,0.1") from None
    if not vals or any(not math.isfinite(v) or v < 0 for v in vals):
        raise SystemExit(f"error: {what} {text!r} must be finite numbers >= 0")
    return vals


def _parse(argv) -> PlanConfig:
    p = argparse.ArgumentParser(prog="python -m accelsim.plans", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sensitivity", required=True, help="sensitivity JSON from `python -m accelsim.capture --sensitivity`")
    p.add_argument("--traces", required=True, help="capture output folder with one uniform activation trace per pattern")
    p.add_argument("--design", required=True, help="design preset (python -m accelsim.sim --list-presets)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--budgets", help="loss budgets in nats per token (increase in log-perplexity), comma-separated")
    g.add_argument("--ppl-budgets", help="budgets as percent perplexity increase over dense, comma-separated")
    g.add_argument("--match", metavar="PATTERN:FRACTIONS", help="budgets as fractions of a uniform pattern's predicted loss, "
                                                                "e.g. 8:16@0.5,0.75,1 (plans that should beat uniform 8:16)")
    p.add_argument("--metric", default="cycles", choices=("cycles", "energy"), help="cost to minimize (default cycles per token)")
    p.add_argument("--mode", default="prefill", choices=("prefill", "decode"))
    p.add_argument("--solver", default="greedy", choices=("greedy", "exact"))
    p.add_argument("--criterion", default="magnitude", help="criterion of the uniform traces to read costs from")
    p.add_argument("--out", default="plans", help="folder for plan-<budget>.toml files")
    a = p.parse_args(argv)
    match = ""
    if a.budgets:
        budgets = tuple((f"nll{v:g}", v) for v in _floats(a.budgets, "--budgets"))
    elif a.ppl_budgets:
        budgets = tuple((f"ppl{v:g}", math.log1p(v / 100)) for v in _floats(a.ppl_budgets, "--ppl-budgets"))
    else:
        match, _, fr = a.match.partition("@")
        budgets = tuple((f"{match.replace(':', 'of')}x{v:g}", v) for v in _floats(fr or "1", "--match fractions"))
    return PlanConfig(a.sensitivity, a.traces, a.design, budgets, a.out, a.metric, a.mode, a.solver, a.criterion, match)


def uniform_traces(folder: "str | Path", criterion: str = "magnitude") -> list:
    """The complete activation traces of ``folder`` without mitigation and with ``criterion`` (dense included)."""
    from accelsim.traces import is_complete_trace, load_trace, read_manifest

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"--traces {str(root)!r} is not a folder; pass a capture's --out folder")
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not is_complete_trace(d):
            continue
        c = read_manifest(d).config
        dense = c.pattern is not None and c.pattern.kind == "dense"
        if c.sparsify not in (None, "activations") or c.settings.get("plan"):
            continue
        crit_ok = c.criterion is None or c.criterion.name == criterion  # None: a synthetic trace states no criterion
        if dense or (crit_ok and (c.mitigation is None or c.mitigation.name == "none")):
            out.append(load_trace(d))
    if not out:
        raise FileNotFoundError(f"no complete {criterion}/none activation traces in {str(root)!r}")
    return out


def main(argv=None) -> int:
    cfg = _parse(argv)
    from accelsim.io import atomic_write_text
    from accelsim.patterns import Pattern
    from accelsim.plans import PlanError, choose_plan
    from accelsim.plans.options import group_options, layer_costs, read_sensitivity
    from accelsim.sim import presets

    if cfg.design not in presets:
        print(f"error: unknown design {cfg.design!r}; choose one of {sorted(presets)}", file=sys.stderr)
        return 2
    design = presets[cfg.design]
    try:
        sens = read_sensitivity(cfg.sensitivity)
        traces = uniform_traces(cfg.traces, cfg.criterion)
        costs = layer_costs(design, traces, cfg.mode, cfg.metric)
        opts = group_options(costs, sens["groups"])
    except (PlanError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    unit = "cycles/token" if cfg.metric == "cycles" else "J/token"
    proto = sens["protocol"]
    print(f"{cfg.design}, {cfg.mode}, {len(opts)} groups; loss = increase in mean NLL per token on "
          f"{proto.get('dataset', '?')} {proto.get('split', '?')}, {proto.get('tokens', '?')} tokens, context {proto.get('seq_len', '?')}")
    pats = sorted({o.pattern for row in opts.values() for o in row})
    uniform = {}
    for pat in pats:  # the uniform plans, for comparison
        if all(any(o.pattern == pat for o in row) for row in opts.values()):
            c = sum(next(o.cost for o in row if o.pattern == pat) for row in opts.values())
            lo = sum(next(o.loss for o in row if o.pattern == pat) for row in opts.values())
            uniform[str(pat)] = lo
            print(f"  uniform {str(pat):>8}: predicted loss {lo:+.4f}, {c:,.4g} {unit}")
    budgets = cfg.budgets
    if cfg.match:
        try:
            key = str(Pattern.parse(cfg.match))
        except ValueError as e:
            print(f"error: --match: {e}", file=sys.stderr)
            return 2
        if key not in uniform:
            print(f"error: --match {cfg.match}: not a pattern every group can run on {cfg.design}; choose from {sorted(uniform)}", file=sys.stderr)
            return 2
        budgets = tuple((label, f * uniform[key]) for label, f in budgets)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    for label, b in budgets:
        pt = choose_plan(opts, loss_budget=b, solver=cfg.solver)
        if pt is None:
            print(f"  budget {b:.4f}: no plan fits")
            continue
        gap = ""
        if cfg.solver == "greedy":  # how far the greedy is from the exact optimum on these options
            try:
                ex = choose_plan(opts, loss_budget=b, solver="exact")
                gap = f"; exact {ex.cost:,.4g} ({pt.cost / ex.cost - 1:+.2%})" if ex is not None and ex.cost else ""
            except PlanError:
                gap = "; exact solver too large"
        path = out / f"plan-{label}.toml"
        plan = pt.plan
        lines = [f"# accelsim plan for {cfg.design} ({cfg.mode}, {cfg.metric}); loss budget {b:.4f} nats/token",
                 f"# predicted (first-order): loss {pt.loss:+.4f}, {pt.cost:.6g} {unit}; measure it with --plan",
                 f"default = {json.dumps(str(plan.default))}", "", "[layers]"] + [f"{json.dumps(g)} = {json.dumps(str(p))}" for g, p in plan.rules]  # fmt: skip
        atomic_write_text(path, "\n".join(lines) + "\n")
        mix = ", ".join(f"{str(p)} x{list(pt.assign.values()).count(p)}" for p in plan.patterns)
        print(f"  budget {b:.4f}: predicted loss {pt.loss:+.4f}, {pt.cost:,.4g} {unit}{gap} ({mix}) -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
