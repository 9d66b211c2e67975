"""Selection criteria: the score that ranks the elements of an activation row inside each group.

Notation (docs/methods.md#2-selection-criteria; the N:M activation-sparsity study, arXiv:2509.22166): X [T, K] is
the input of a linear layer (T tokens = all tokens of the forward call, K input channels), W [O, K] its weight.  The
mask keeps, in every group of M consecutive channels of a row, the N elements of largest score (ties to the lower index; ``accelsim.masks.topn_mask_torch``).

* ``magnitude``: S = |X|.
* ``wanda``: S[t, j] = |X[t, j]| * ||W[:, j]||_2 (the Wanda/WINA-style weight-aware score, weights only).
* ``amber``: S[t, j] = |X[t, j]| * f_j with the robustly normalised column norm of Amber-Pruner (arXiv 2508.02128,
  as reimplemented in the code of arXiv:2509.22166; docs/methods.md#2-selection-criteria): sample 50,000 weights
  when W has more than 100,000 (seeded, so deterministic), q_lo, q_hi = 0.5 % and 99.5 % quantiles, mu, sigma = mean and biased std of the
  weights inside [q_lo, q_hi] (sigma >= 1e-8), W^ = (W - mu) / sigma, f_j = ||W^[:, j]||_2 / min_k ||W^[:, k]||_2.
  Computed once per layer (the paper's code recomputed it, with fresh random samples, on every forward).
* ``clact``: S[t, j] = |X[t, j]| * ||X[:, j]||_2 / (||X[t, :]||_2 + 1e-8), column norm over all tokens of the
  forward call (CLACT in arXiv:2509.22166; docs/methods.md#2-selection-criteria).

Unstructured patterns keep the top-k of each row (per token) for every criterion, so one trace format serves
all; the paper's code used a global top-k over the whole batch for CLACT and Amber.  For a per-row ranking the
CLACT row norm is a constant factor, so per-row CLACT ranks by |X| * ||X[:, j]||_2.
"""

from __future__ import annotations

import zlib

import torch

from accelsim import methods
from accelsim.methods import Criterion

__all__ = ["CRITERIA", "column_factor", "score", "amber_factor"]

CRITERIA = tuple(methods.CRITERIA)  # names, in the registry's order
AMBER_SAMPLE_ABOVE = 100_000
AMBER_SAMPLE = 50_000


def amber_factor(weight: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """float32 [K] Amber-Pruner column factor f_j >= 1 of ``weight`` [O, K] (see module doc)."""
    w = weight.detach().float()
    flat = w.reshape(-1)
    if flat.numel() > AMBER_SAMPLE_ABOVE:
        idx = torch.randperm(flat.numel(), generator=generator)[:AMBER_SAMPLE]
        sample = flat[idx]
    else:
        sample = flat
    q = torch.quantile(sample, torch.tensor([0.005, 0.995], dtype=sample.dtype))
    inside = sample[(sample >= q[0]) & (sample <= q[1])]
    mu = inside.mean()
    sigma = inside.std(correction=0).clamp_min(1e-8)
    norms = ((w - mu) / sigma).norm(dim=0)
    return norms / norms.min().clamp_min(1e-30)


def _wanda_factor(weight: torch.Tensor, seed: int, layer: str) -> torch.Tensor:
    return weight.detach().float().norm(dim=0)


def _amber_layer_factor(weight: torch.Tensor, seed: int, layer: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(layer.encode()))
    return amber_factor(weight, g)


def _clact_score(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    col = x.norm(dim=0, keepdim=True)  # ||X[:, j]||_2 over all tokens of this forward call
    row = x.norm(dim=1, keepdim=True) + 1e-8
    return a * col / row


#: The column factor of each weight-aware criterion (``Criterion.needs_weights``), keyed by registry entry.
COLUMN_FACTORS = {methods.CRITERIA["wanda"]: _wanda_factor, methods.CRITERIA["amber"]: _amber_layer_factor}
#: The score of each criterion that does not use a column factor: f(x, |x|) -> S.
ACTIVATION_SCORES = {methods.CRITERIA["magnitude"]: lambda x, a: a, methods.CRITERIA["clact"]: _clact_score}


def _entry(criterion: "str | Criterion") -> Criterion:
    crit = methods.criterion(criterion)
    if crit not in COLUMN_FACTORS and crit not in ACTIVATION_SCORES:
        raise ValueError(f"criterion {crit.name!r} has no score in accelsim.capture.criteria")
    return crit


def column_factor(criterion: "str | Criterion", weight: torch.Tensor, seed: int = 0, layer: str = "") -> torch.Tensor | None:
    """Per-input-channel factor [K] of a weight-aware criterion, computed once per layer (None otherwise).

    The Amber sample is drawn from a generator seeded with ``seed`` and the layer name, so reruns agree.
    """
    crit = _entry(criterion)
    if not crit.needs_weights:
        return None
    return COLUMN_FACTORS[crit](weight, seed, layer)


def score(x: torch.Tensor, criterion: "str | Criterion", factor: torch.Tensor | None = None) -> torch.Tensor:
    """Score [T, K] of activations ``x`` [T, K] (float) under ``criterion``; ``factor`` from :func:`column_factor`."""
    crit = _entry(criterion)
    a = x.abs()
    if crit.needs_weights:
        if factor is None:
            raise ValueError(f"criterion {crit.name!r} needs the column factor of its layer's weight")
        return a * factor.to(a.dtype)
    return ACTIVATION_SCORES[crit](x, a)
