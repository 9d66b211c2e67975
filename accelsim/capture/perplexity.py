"""Perplexity as the weight-pruning papers measure it (Wanda/SparseGPT protocol).

The evaluation text is tokenized once and cut into non-overlapping windows of ``seq_len`` tokens
(:func:`accelsim.capture.data.token_windows`; by default at seeded places spread over the whole split); each window
is scored with no context from another one; the loss is the mean next-token negative log-likelihood over all
predicted tokens (seq_len - 1 per window) and perplexity = exp(mean NLL).  Every token of every window goes through
the sparsified layers (prefill).  ``batch_size`` windows share one forward pass (no padding: all have seq_len
tokens); each window's NLL is kept, so intervals can be bootstrapped over windows (:mod:`accelsim.capture.stats`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["perplexity", "forward_base"]


def forward_base(model: torch.nn.Module, ids: torch.Tensor, batch_size: int | None = None) -> None:
    """Run the decoder without the LM head on ``ids`` [B, L] (calibration needs no logits), ``batch_size`` rows at a time."""
    dev = next(model.parameters()).device
    step = batch_size or ids.shape[0]
    for i in range(0, ids.shape[0], step):
        model.get_decoder()(input_ids=ids[i : i + step].to(dev))


@torch.no_grad()
def perplexity(model: torch.nn.Module, windows: torch.Tensor, on_window: Callable[[int], None] | None = None,
               progress: bool = True, desc: str = "eval", batch_size: int = 1) -> dict:
    """Perplexity of ``model`` on ``windows`` (LongTensor [W, L]); ``batch_size`` windows per forward pass.

    on_window(i) is called before the forward pass whose first window is i (capture uses it to switch statistics).
    Returns {perplexity, nll (mean, nats/token), tokens_scored, windows, seconds, window_nll (mean NLL of each window),
    window_seconds (wall time of each forward pass, the first one included), window_cpu_seconds (process CPU time of
    each, robust when other jobs share the cores)}.
    """
    from tqdm.auto import tqdm

    dev = next(model.parameters()).device
    sums: list[float] = []
    times: list[float] = []
    cpu: list[float] = []
    t0 = time.perf_counter()
    for i in tqdm(range(0, windows.shape[0], batch_size), desc=desc, disable=not progress, leave=False):
        t1, c1 = time.perf_counter(), time.process_time()
        if on_window is not None:
            on_window(i)
        ids = windows[i : i + batch_size].to(dev)
        logits = model(input_ids=ids).logits
        for b in range(ids.shape[0]):  # one window at a time: float32 logits of a large vocabulary are big
            sums.append(float(F.cross_entropy(logits[b, :-1].float(), ids[b, 1:], reduction="sum")))
        times.append(time.perf_counter() - t1)
        cpu.append(time.process_time() - c1)
    per = windows.shape[1] - 1
    scored = per * windows.shape[0]
    nll = sum(sums) / scored
    return {
        "perplexity": math.exp(nll),
        "nll": nll,
        "tokens_scored": scored,
        "windows": int(windows.shape[0]),
        "seconds": time.perf_counter() - t0,
        "window_nll": [s / per for s in sums],
        "window_seconds": times,
        "window_cpu_seconds": cpu,
    }
