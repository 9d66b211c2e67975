"""Forward pre-hooks that sparsify the inputs of chosen ``nn.Linear`` layers, record masks and error statistics.

One :class:`LayerState` per target layer holds the layer's settings (pattern, criterion, mitigation, calibrated
shift) and what it recorded.  :func:`sparsified` registers the hooks and removes them in ``finally``; the module's
``forward`` is never replaced.  Every forward call, every token: the input [..., K] is flattened to X [T, K], the
mask is built by ``accelsim.masks.topn_mask_torch`` from the criterion's score, the mitigation gives the input the
dense layer then multiplies (module doc of :mod:`accelsim.capture.mitigations`).  The dense pattern leaves the input
untouched (the hook returns None), so dense logits are bit-identical to a model without hooks.

Error statistics compare the layer output with the dense output of the same layer on the same input (the local
error of this layer; upstream errors are in the input of both): relative L2 = ||Y - Y_d||_F / ||Y_d||_F and the
mean over tokens of cos(Y_t, Y_d,t).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from accelsim.capture.criteria import score
from accelsim.capture.mitigations import apply_mitigation, fit_lpts_shift, lower_median
from accelsim.masks import pack_mask, topn_mask_torch
from accelsim.patterns import Pattern

__all__ = ["LayerState", "sparsified"]


@dataclass
class LayerState:
    """Settings and recordings of one sparsified linear layer.

    mode: "apply" (evaluation) or "calibrate" (S-PTS accumulates medians, L-PTS fits its shift on first call).
    record_tokens: mask rows to keep for the trace (uint8 packed, [<=record_tokens, ceil(K/8)]); record_values:
    also keep those rows of the input X (float16).
    stats: when True, accumulate output error statistics against the dense layer.
    """

    name: str
    pattern: Pattern
    criterion: str = "magnitude"
    mitigation: str = "none"
    factor: torch.Tensor | None = None
    shift: torch.Tensor | None = None
    mode: str = "apply"
    record_tokens: int = 0
    record_values: bool = False
    stats: bool = False
    lpts_tokens: int = 512
    lpts_steps: int = 30
    lpts_lr: float = 1e-2
    calls: int = 0
    tokens_seen: int = 0
    masks: list = field(default_factory=list)
    values: list = field(default_factory=list)
    recorded: int = 0
    err_sq: float = 0.0
    ref_sq: float = 0.0
    cos_sum: float = 0.0
    cos_n: int = 0
    med_sum: float = 0.0
    med_n: int = 0
    _dense_out: torch.Tensor | None = None
    on_calibrated: object = None  # optional callable, called once when the layer has seen its first calibration call

    def mask_fn(self, v: torch.Tensor) -> torch.Tensor:
        return topn_mask_torch(score(v, self.criterion, self.factor), self.pattern)

    def transform(self, module: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """X [T, K] -> (X_in [T, K], keep-mask [T, K]) under the layer's settings and mode."""
        mit = self.mitigation
        if self.mode == "calibrate" and mit == "spts":
            self.med_sum += float(lower_median(x).sum())
            self.med_n += x.shape[0]
            mit = "dpts"  # until frozen, S-PTS behaves like D-PTS (as in the paper's code)
        elif self.mode == "calibrate" and mit == "lpts" and self.shift is None:
            idx = torch.linspace(0, x.shape[0] - 1, min(self.lpts_tokens, x.shape[0])).round().long()
            self.shift = fit_lpts_shift(x[idx], module.weight, self.mask_fn, self.lpts_steps, self.lpts_lr)
        if self.mode == "calibrate" and self.calls == 1 and callable(self.on_calibrated):
            self.on_calibrated()
        return apply_mitigation(x, self.mask_fn, mit, self.shift)

    def freeze_calibration(self) -> None:
        """End calibration: S-PTS takes the mean calibration median as its static shift."""
        if self.mitigation == "spts":
            if not self.med_n:
                raise RuntimeError(f"layer {self.name}: S-PTS saw no calibration tokens")
            self.shift = torch.tensor(self.med_sum / self.med_n)
        if self.mitigation == "lpts" and self.shift is None:
            raise RuntimeError(f"layer {self.name}: L-PTS shift was not fitted (layer saw no calibration input)")
        self.mode = "apply"

    def record(self, x: torch.Tensor, m: torch.Tensor | None) -> None:
        take = min(self.record_tokens - self.recorded, x.shape[0])
        if take <= 0:
            return
        keep = np.ones((take, x.shape[1]), dtype=bool) if m is None else m[:take].cpu().numpy()
        self.masks.append(pack_mask(keep))
        if self.record_values:
            self.values.append(x[:take].detach().cpu().numpy().astype(np.float16))
        self.recorded += take

    def error_stats(self) -> dict:
        if not self.cos_n:
            return {}
        return {"rel_l2": float(np.sqrt(self.err_sq / max(self.ref_sq, 1e-30))), "cosine": self.cos_sum / self.cos_n, "tokens": self.cos_n}


def _make_hooks(state: LayerState):
    def pre(module, args):
        x = args[0]
        x2 = x.reshape(-1, x.shape[-1])
        state.calls += 1
        calibrating = state.mode == "calibrate"
        if not calibrating:
            state.tokens_seen += x2.shape[0]
        if state.pattern.kind == "dense":
            if not calibrating:
                state.record(x2, None)
            return None  # untouched input: bit-identical to the model without hooks
        x_in, m = state.transform(module, x2)
        if not calibrating:
            state.record(x2, m)
            if state.stats:
                state._dense_out = F.linear(x2, module.weight, module.bias)
        return (x_in.reshape(x.shape),) + tuple(args[1:])

    def post(module, args, out):
        ref = state._dense_out
        if ref is None:
            return None
        state._dense_out = None
        y = out.reshape(-1, out.shape[-1])
        state.err_sq += float((y - ref).pow(2).sum())
        state.ref_sq += float(ref.pow(2).sum())
        state.cos_sum += float(F.cosine_similarity(y, ref, dim=-1, eps=1e-12).sum())
        state.cos_n += y.shape[0]
        return None

    return pre, post


@contextlib.contextmanager
def sparsified(model: torch.nn.Module, states: dict[str, LayerState]):
    """Register a forward pre-hook (and a forward hook for error statistics) on each named module.

    Yields ``states``; every hook is removed on exit, also after an exception.  Unknown names raise ValueError.
    """
    modules = dict(model.named_modules())
    missing = [n for n in states if n not in modules]
    if missing:
        raise ValueError(f"modules not in the model: {missing[:5]}")
    handles = []
    try:
        for name, st in states.items():
            pre, post = _make_hooks(st)
            handles.append(modules[name].register_forward_pre_hook(pre))
            handles.append(modules[name].register_forward_hook(post))
        yield states
    finally:
        for h in handles:
            h.remove()
