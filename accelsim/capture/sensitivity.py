"""Per-group sensitivity for layer-adaptive plans: the loss when only one group of layers is sparsified.

For each group of sparsified linear layers (by default the layers of one parent module: one decoder block's
attention projections, or its MLP) and each sparse pattern, the group alone runs the pattern (the selection
criterion of the capture, no mitigation) while every other layer stays dense, and the mean next-token NLL on
windows of the **calibration** part is compared with the dense model's on the same windows.  The increase
(nats per token, i.e. the increase in log-perplexity) is the group's loss in that pattern, the first-order
sensitivity that per-layer allocation methods use (OWL, Yin et al., ICML 2024).  Measuring on the calibration
part keeps the evaluation part unseen by the planner, so a plan's captured perplexity is a fair test of it.

Output (JSON, written atomically): ``{"protocol": {...}, "dense_nll": x, "groups": {glob: {pattern: loss}},
"provenance": {...}}``, read by :func:`accelsim.plans.options.read_sensitivity`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from accelsim.capture.config import CaptureConfig, RunSpec
from accelsim.capture.data import token_windows
from accelsim.capture.hooks import LayerState, sparsified
from accelsim.capture.perplexity import perplexity
from accelsim.io import atomic_write_json
from accelsim.patterns import Pattern

__all__ = ["measure_sensitivity", "parent_groups"]


def parent_groups(targets) -> dict[str, list[str]]:
    """``{"<parent module>.*": [layer names]}``: one group per parent module (e.g. a block's self_attn or mlp)."""
    out: dict[str, list[str]] = {}
    for name in targets:
        out.setdefault(name.rsplit(".", 1)[0] + ".*", []).append(name)
    return out


def measure_sensitivity(cfg: CaptureConfig, out: "str | Path", lm=None) -> dict:
    """Measure every group x sparse pattern of ``cfg.patterns`` on ``cfg.calib_windows`` calibration windows; write ``out``."""
    from accelsim.capture.models import resolve_device
    from accelsim.capture.quiet import library_bars_off
    from accelsim.capture.run import _layer_configs, _Session, code_provenance, data_sha256, versions

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    cfg = replace(cfg, device=resolve_device(cfg.device), trace_tokens=0, stats_windows=0)
    torch.manual_seed(cfg.seed)
    with library_bars_off(cfg.progress):
        s = _Session(cfg, lm)
    crit = cfg.criteria[0]
    pats = [p for p in dict.fromkeys(str(Pattern.parse(p)) for p in cfg.patterns) if p != "dense"]
    if not pats:
        raise ValueError("--sensitivity needs at least one sparse pattern in --patterns (e.g. 2:4,8:16)")
    ids = token_windows(s.lm.tokenizer, s.corpus.calib_text, cfg.seq_len, cfg.calib_windows, s.lm.spec.add_bos, "calibration")
    with torch.no_grad():
        dense = perplexity(s.lm.model, ids, progress=False)
    groups = parent_groups(s.targets)
    table: dict[str, dict[str, float]] = {g: {} for g in groups}
    with tqdm(total=len(groups) * len(pats), desc="sensitivity", disable=not cfg.progress) as bar:
        for pat in pats:
            configs = _layer_configs(s, RunSpec(pat, crit, "none", "activations"), Pattern.parse(pat))
            for g, names in groups.items():
                states = {n: LayerState(configs[n]) for n in names}
                with sparsified(s.lm.model, states):
                    res = perplexity(s.lm.model, ids, progress=False)
                table[g][pat] = res["nll"] - dense["nll"]
                bar.update(1)
    result = {
        "protocol": {"model": cfg.model, "dataset": s.corpus.name, "split": "calibration part", "seq_len": cfg.seq_len,
                     "windows": int(ids.shape[0]), "tokens": int(dense["tokens_scored"]), "criterion": crit, "mitigation": "none",
                     "groups": "one per parent module of the sparsified layers",
                     "metric": "increase in mean next-token NLL (nats/token) when only the group runs the pattern"},
        "dense_nll": dense["nll"],
        "groups": table,
        "versions": versions(),
        "provenance": {**code_provenance(), "data_sha256": data_sha256(s.corpus)},
        "seed": cfg.seed,
    }
    atomic_write_json(out, result)
    return result
