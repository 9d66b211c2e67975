"""Perplexity as the weight-pruning papers measure it (Wanda/SparseGPT protocol).

The evaluation text is tokenized once, cut into non-overlapping windows of ``seq_len`` tokens from its start
(:func:`accelsim.capture.data.token_windows`); each window is one forward pass with no context from the previous
one; the loss is the mean next-token negative log-likelihood over all predicted tokens (seq_len - 1 per window)
and perplexity = exp(mean NLL).  Every token of every window goes through the sparsified layers (prefill).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["perplexity", "forward_base"]


def forward_base(model: torch.nn.Module, ids: torch.Tensor) -> torch.Tensor:
    """Run the decoder without the LM head (calibration needs no logits): last hidden state [B, L, H]."""
    return model.get_decoder()(input_ids=ids).last_hidden_state


@torch.no_grad()
def perplexity(model: torch.nn.Module, windows: torch.Tensor, on_window: Callable[[int], None] | None = None,
               progress: bool = True, desc: str = "eval") -> dict:
    """Perplexity of ``model`` on ``windows`` (LongTensor [W, L]); one window per forward pass.

    on_window(i) is called before window i (capture uses it to switch statistics and recording).
    Returns {perplexity, nll (mean, nats/token), tokens_scored, windows, seconds}.
    """
    from tqdm.auto import tqdm

    nll_sum, scored = 0.0, 0
    t0 = time.perf_counter()
    for i in tqdm(range(windows.shape[0]), desc=desc, disable=not progress, leave=False):
        if on_window is not None:
            on_window(i)
        ids = windows[i : i + 1]
        logits = model(input_ids=ids).logits[0, :-1].float()
        nll_sum += float(F.cross_entropy(logits, ids[0, 1:], reduction="sum"))
        scored += ids.shape[1] - 1
    nll = nll_sum / scored
    return {
        "perplexity": math.exp(nll),
        "nll": nll,
        "tokens_scored": scored,
        "windows": int(windows.shape[0]),
        "seconds": time.perf_counter() - t0,
    }
