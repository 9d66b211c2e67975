"""Weight-pruning baseline at the same pattern and sparsity as the activation runs.

Groups run along the input-channel dimension K of W [O, K] (the same axis the activation masks use): in every
output row, each group of M consecutive input-channel weights keeps its N largest scores
(docs/methods.md#4-weight-pruning-baseline; arXiv:2509.22166); unstructured keeps round(D * K) per output row
(Wanda's per-output comparison group).

* ``magnitude``: S = |W|.
* ``wanda``: S[i, j] = |W[i, j]| * ||X[:, j]||_2, the input-channel activation norm over the calibration tokens
  (Sun et al. 2023, arXiv 2306.11695, eq. 1).

The weights are pruned in place inside :func:`pruned_weights` and restored on exit; it can hand back the bit-packed
masks it applied (uint8 [O, ceil(K/8)], bit order of :mod:`accelsim.masks.packing`) for the trace.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import torch

from accelsim import methods
from accelsim.capture.config import WEIGHT_CRITERIA
from accelsim.masks import pack_mask, topn_mask_torch
from accelsim.methods import Criterion
from accelsim.patterns import Pattern

__all__ = ["WEIGHT_CRITERIA", "weight_criterion", "needs_input_norms", "weight_mask", "pruned_weights", "input_channel_norms"]



def weight_criterion(criterion: "str | Criterion") -> Criterion:
    """The registry entry of a weight-pruning criterion; ValueError naming :data:`WEIGHT_CRITERIA` otherwise."""
    crit = methods.CRITERIA.get(str(criterion))
    if crit is None or crit.name not in WEIGHT_CRITERIA:
        raise ValueError(f"unknown weight-pruning criterion {criterion!r}; choose one of {WEIGHT_CRITERIA}")
    return crit


def needs_input_norms(criterion: "str | Criterion") -> bool:
    """Whether pruning weights by ``criterion`` needs the calibration input-channel norms ||X[:, j]||_2.

    A criterion that scores activations with the weights' column norms (``Criterion.needs_weights``: Wanda)
    scores weights with the activations' column norms: the other operand of the GEMM.
    """
    return weight_criterion(criterion).needs_weights


def weight_mask(weight: torch.Tensor, pattern: Pattern, criterion: "str | Criterion",
                col_norm: torch.Tensor | None = None) -> torch.Tensor:
    """Bool keep-mask [O, K] for ``weight`` [O, K]; ``col_norm`` [K] is required for wanda."""
    w = weight.detach().abs().float()
    if needs_input_norms(criterion):
        if col_norm is None:
            raise ValueError("wanda weight pruning needs the calibration input-channel norms of the layer")
        w = w * col_norm.float()[None, :]
    return topn_mask_torch(w, pattern)


@torch.no_grad()
def input_channel_norms(model: torch.nn.Module, targets: list[str], run_calibration) -> dict[str, torch.Tensor]:
    """||X[:, j]||_2 [K] of each target's input over the calibration forward ``run_calibration()`` (dense)."""
    modules = dict(model.named_modules())
    sq: dict[str, torch.Tensor] = {}
    handles = []

    def hook_for(name):
        def pre(module, args):
            x = args[0].reshape(-1, args[0].shape[-1]).float()
            sq[name] = sq.get(name, 0) + x.pow(2).sum(dim=0)

        return pre

    try:
        for n in targets:
            handles.append(modules[n].register_forward_pre_hook(hook_for(n)))
        run_calibration()
    finally:
        for h in handles:
            h.remove()
    return {n: v.sqrt() for n, v in sq.items()}


@contextlib.contextmanager
def pruned_weights(model: torch.nn.Module, targets: list[str], pattern: Pattern, criterion: "str | Criterion",
                   col_norms: dict[str, torch.Tensor] | None = None, masks_out: dict[str, np.ndarray] | None = None,
                   record: Callable[[str], bool] | None = None):
    """Prune the targets' weights in place; restore the originals on exit. Yields {name: kept fraction}.

    masks_out: when given, receives the bit-packed keep-mask applied to each target for which ``record(name)`` is
    true (all targets when ``record`` is None): uint8 [O, ceil(K/8)], W's K axis per output channel.
    """
    modules = dict(model.named_modules())
    saved = {}
    kept = {}
    try:
        with torch.no_grad():
            for n in targets:
                w = modules[n].weight
                saved[n] = w.detach().clone()
                m = weight_mask(w, pattern, criterion, (col_norms or {}).get(n))
                w.mul_(m.to(w.dtype))
                kept[n] = float(m.float().mean())
                if masks_out is not None and (record is None or record(n)):
                    masks_out[n] = pack_mask(m.cpu().numpy())
        yield kept
    finally:
        with torch.no_grad():
            for n, w0 in saved.items():
                modules[n].weight.copy_(w0)
