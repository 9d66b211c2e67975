"""Trace sets with a layer-adaptive plan, for the explorer and report tests.

Two layers ("l0", "l1"); uniform traces hold both in one pattern, a plan trace holds each in its own pattern and a
manifest written as ``capture --plan`` writes it (``config.settings["plan"]`` and ``["plan_name"]``, ``config.pattern``
the plan's default).  Masks are ``accelsim.synthetic`` top-N of random scores, so a sparser pattern keeps fewer MACs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace, save_trace

SHAPES = ((32, 128, 96), (32, 96, 128))
NAMES = ("l0", "l1")


def _manifest(tr: Trace, pattern: str, ppl: float, dense_ppl: float, window_nll=None, **config) -> dict:
    m = tr.manifest.to_dict()
    m["config"].update(model="toy-plans", dataset="toytext", criterion="magnitude", mitigation="none", sparsify="activations",
                       pattern=pattern, seq_len=16, **config)  # fmt: skip
    m["accuracy"] = {"perplexity": ppl, "nll": float(np.log(ppl)), "tokens_scored": 512, "dense_perplexity": dense_ppl}
    if window_nll is not None:
        m["window_nll"] = [float(v) for v in window_nll]
    return m


def save_uniform(root: Path, pattern: str, ppl: float, dense_ppl: float, seed: int = 0, window_nll=None) -> Path:
    tr = synthetic_trace(list(SHAPES), pattern=pattern, seed=seed, names=list(NAMES))
    m = _manifest(tr, pattern, ppl, dense_ppl, window_nll)
    return save_trace(Trace(f"toy-{pattern.replace(':', '_')}", tr.layers, m), root / pattern.replace(":", "_"))


def save_plan(root: Path, name: str, layer_patterns: tuple[str, str], ppl: float, dense_ppl: float, default: str = "8:16",
              seed: int = 7, window_nll=None) -> Path:  # fmt: skip
    """A plan trace whose layer i runs ``layer_patterns[i]``."""
    layers = tuple(synthetic_trace([s], pattern=p, seed=seed + i, names=[n]).layers[0]
                   for i, (s, p, n) in enumerate(zip(SHAPES, layer_patterns, NAMES)))  # fmt: skip
    plan = {"default": default, "layers": {n: p for n, p in zip(NAMES, layer_patterns) if p != default}}
    base = Trace(f"plan-{name}", layers, {"config": {"pattern": default}})
    m = _manifest(base, default, ppl, dense_ppl, window_nll, plan=plan, plan_name=name)
    return save_trace(Trace(f"toy_plan-{name}", layers, m), root / f"plan-{name}")


def plan_set(root: Path, ppl: dict[str, float], plans: dict[str, tuple[tuple[str, str], float]]) -> Path:
    """Uniform traces ``{pattern: perplexity}`` (with "dense") and plans ``{name: ((pattern l0, pattern l1), perplexity)}``."""
    for i, (p, v) in enumerate(ppl.items()):
        save_uniform(root, p, v, ppl["dense"], seed=i)
    for name, (pats, v) in plans.items():
        save_plan(root, name, pats, v, ppl["dense"])
    return root
