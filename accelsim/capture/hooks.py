"""Forward pre-hooks that sparsify the inputs of chosen ``nn.Linear`` layers, record masks and error statistics.

Each target layer has a :class:`LayerState` made of three parts: its frozen :class:`LayerConfig` (pattern,
criterion, mitigation, column factor, what to record), its :class:`Recording` (calls, tokens, packed masks and
activation rows), its :class:`ErrorStats` (output error against the dense layer) and, for a calibrated mitigation,
its :class:`Calibration` (the stored shift and how it is estimated).  :func:`sparsified` registers the hooks and
removes them in ``finally``; the module's ``forward`` is never replaced.  Every forward call, every token: the
input [..., K] is flattened to X [T, K], the mask is built by ``accelsim.masks.topn_mask_torch`` from the
criterion's score, the mitigation gives the input the dense layer then multiplies (module doc of
:mod:`accelsim.capture.mitigations`); for magnitude / none one fused Numba pass (CPU float32) or compiled tensor ops
(CUDA, M <= 32) give the same mask and masked input bit for bit (``accelsim.masks.torch_twin.magnitude_sparsify``).  The dense pattern leaves
the input untouched (the hook returns None), so dense logits are bit-identical to a model without hooks.

Error statistics compare the layer output with the dense output of the same layer on the same input (the local
error of this layer; upstream errors are in the input of both): relative L2 = ||Y - Y_d||_F / ||Y_d||_F and the
mean over tokens of cos(Y_t, Y_d,t).

Layers that receive the same input tensor (q/k/v_proj; gate/up_proj) and whose transform depends on the input alone
(magnitude or CLACT, mitigation none, VAR or D-PTS) share one mask computation (:class:`_Shared`); the results are the
same as computing it per layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from accelsim import methods
from accelsim.capture.criteria import score
from accelsim.capture.mitigations import LptsSettings, apply_mitigation, calibrator
from accelsim.masks import pack_mask, topn_mask_torch
from accelsim.masks.torch_twin import magnitude_sparsify
from accelsim.methods import Criterion, Mitigation
from accelsim.patterns import Pattern

__all__ = ["LayerConfig", "Recording", "ErrorStats", "Calibration", "LayerState", "sparsified"]

_NONE, _MAGNITUDE = methods.MITIGATIONS["none"], methods.CRITERIA["magnitude"]


@dataclass(frozen=True)
class LayerConfig:
    """The settings of one sparsified linear layer (fixed for a run).

    criterion, mitigation: registry entries of :mod:`accelsim.methods` (names are resolved on construction).
    factor: the criterion's per-input-channel factor [K] (``criteria.column_factor``; None if it needs none).
    record_tokens: mask rows to keep for the trace (uint8 packed, [<=record_tokens, ceil(K/8)]); record_values:
    also keep those rows of the input X (float16).  lpts: how an L-PTS shift is fitted.
    """

    name: str
    pattern: Pattern
    criterion: Criterion = methods.CRITERIA["magnitude"]
    mitigation: Mitigation = methods.MITIGATIONS["none"]
    factor: torch.Tensor | None = field(default=None, compare=False, repr=False)
    record_tokens: int = 0
    record_values: bool = False
    lpts: LptsSettings = LptsSettings()

    def __post_init__(self) -> None:
        object.__setattr__(self, "criterion", methods.criterion(self.criterion))
        object.__setattr__(self, "mitigation", methods.mitigation(self.mitigation))

    def mask(self, v: torch.Tensor) -> torch.Tensor:
        """Bool keep-mask [T, K] of values ``v`` [T, K] under the layer's criterion and pattern."""
        return topn_mask_torch(score(v, self.criterion, self.factor), self.pattern)


@dataclass
class Recording:
    """What a layer saw and kept while evaluating: calls (calibration included), tokens, mask and value rows."""

    calls: int = 0
    tokens_seen: int = 0
    masks: list = field(default_factory=list)
    values: list = field(default_factory=list)
    recorded: int = 0

    def add(self, cfg: LayerConfig, x: torch.Tensor, m: torch.Tensor | None) -> None:
        """Keep the first rows of ``x`` [T, K] and of its mask ``m`` (None: all kept) up to ``cfg.record_tokens``."""
        take = min(cfg.record_tokens - self.recorded, x.shape[0])
        if take <= 0:
            return
        keep = np.ones((take, x.shape[1]), dtype=bool) if m is None else m[:take].cpu().numpy()
        self.masks.append(pack_mask(keep))
        if cfg.record_values:
            self.values.append(x[:take].detach().float().cpu().numpy().astype(np.float16))  # bf16 has no NumPy type
        self.recorded += take

    def packed_masks(self, in_features: int) -> np.ndarray:
        """uint8 [rows, ceil(K/8)] of every kept mask row (zero rows if none)."""
        return np.concatenate(self.masks) if self.masks else np.zeros((0, (in_features + 7) // 8), np.uint8)

    def value_rows(self) -> np.ndarray | None:
        return np.concatenate(self.values) if self.values else None


@dataclass
class ErrorStats:
    """Accumulated output error against the dense layer, on calls while ``enabled``."""

    enabled: bool = False
    err_sq: float = 0.0
    ref_sq: float = 0.0
    cos_sum: float = 0.0
    cos_n: int = 0
    pending: torch.Tensor | None = field(default=None, repr=False)  # dense output of the current call

    def add(self, y: torch.Tensor, ref: torch.Tensor) -> None:
        self.err_sq += float((y - ref).pow(2).sum())
        self.ref_sq += float(ref.pow(2).sum())
        self.cos_sum += float(F.cosine_similarity(y, ref, dim=-1, eps=1e-12).sum())
        self.cos_n += y.shape[0]

    def summary(self) -> dict:
        """{"rel_l2", "cosine", "tokens"}; {} when nothing was measured."""
        if not self.cos_n:
            return {}
        return {"rel_l2": float(np.sqrt(self.err_sq / max(self.ref_sq, 1e-30))), "cosine": self.cos_sum / self.cos_n, "tokens": self.cos_n}


@dataclass
class Calibration:
    """The stored shift of a calibrated mitigation (S-PTS, L-PTS) and, while calibrating, how it is estimated.

    active: the layer is in a calibration pass (it records nothing and runs the calibrator's stand-in method);
    on_first_call: optional callable, called once when the layer sees its first call of a calibration pass.
    """

    active: bool = False
    estimator: object = None  # a calibrator of accelsim.capture.mitigations, or None
    shift: torch.Tensor | None = None
    on_first_call: Callable[[], None] | None = None


@dataclass
class LayerState:
    """One sparsified layer: its frozen config and what it accumulates (recording, error stats, calibration)."""

    config: LayerConfig
    recording: Recording = field(default_factory=Recording)
    stats: ErrorStats = field(default_factory=ErrorStats)
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def calibrating(self) -> bool:
        return self.calibration.active

    def start_calibration(self, on_first_call: Callable[[], None] | None = None) -> None:
        """Enter a calibration pass for the config's mitigation (a calibrated one: ``Mitigation.calibrated``)."""
        self.calibration = Calibration(True, calibrator(self.config.mitigation, self.config.lpts), None, on_first_call)

    def freeze_calibration(self) -> None:
        """End calibration: the calibrator's estimate becomes the stored shift (RuntimeError if it has none)."""
        est = self.calibration.estimator
        if est is not None:
            self.calibration.shift = est.freeze(self.name)
        self.calibration.active = False

    def transform(self, module: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """X [T, K] -> (X_in [T, K], keep-mask [T, K]) under the layer's config and calibration."""
        cfg, cal = self.config, self.calibration
        mit, shift = cfg.mitigation, cal.shift
        if cal.active and cal.estimator is not None:
            cal.estimator.observe(x, module.weight, cfg.mask)
            mit, shift = cal.estimator.stand_in, cal.estimator.current()
        if cal.active and self.recording.calls == 1 and callable(cal.on_first_call):
            cal.on_first_call()
        if mit == _NONE and cfg.criterion == _MAGNITUDE and cfg.factor is None:
            # the default method: one fused Numba pass on CPU float32, compiled tensor ops on CUDA (None: unfused route)
            fused = magnitude_sparsify(x, cfg.pattern)
            if fused is not None:
                return fused
        return apply_mitigation(x, cfg.mask, mit, shift)

    def error_stats(self) -> dict:
        return self.stats.summary()


class _Shared:
    """The last (input, result) of a layer whose transform depends on its input alone (no column factor, no calibrated
    shift): q/k/v_proj, and gate/up_proj, receive the same input tensor object, so its mask is computed once, not 3 or
    2 times.  The input is held while cached, so its memory cannot be reused by another tensor (no false hit), and its
    version counter catches an in-place change."""

    def __init__(self):
        self.arg = None
        self.version = -1
        self.key = None
        self.result = None

    def get(self, arg, key):
        if self.arg is arg and self.version == arg._version and self.key == key:
            return self.result
        return None

    def put(self, arg, key, result) -> None:
        self.arg, self.version, self.key, self.result = arg, arg._version, key, result


def _input_only(state: LayerState) -> tuple | None:
    """The cache key of a layer whose transform is a function of its input alone (None otherwise)."""
    cfg = state.config
    if cfg.factor is not None or cfg.mitigation.calibrated or state.calibrating:
        return None
    return (str(cfg.pattern), cfg.criterion.name, cfg.mitigation.name)


def _make_hooks(state: LayerState, shared: _Shared | None = None):
    rec, stats = state.recording, state.stats

    def pre(module, args):
        x = args[0]
        x2 = x.reshape(-1, x.shape[-1])
        rec.calls += 1
        calibrating = state.calibrating
        if not calibrating:
            rec.tokens_seen += x2.shape[0]
        if state.config.pattern.kind == "dense":
            if not calibrating:
                rec.add(state.config, x2, None)
            return None  # untouched input: bit-identical to the model without hooks
        key = _input_only(state) if shared is not None else None
        got = shared.get(x, key) if key is not None else None
        if got is None:
            got = state.transform(module, x2)
            if key is not None:
                shared.put(x, key, got)
        x_in, m = got
        if not calibrating:
            rec.add(state.config, x2, m)
            if stats.enabled:
                stats.pending = F.linear(x2, module.weight, module.bias)
        return (x_in.reshape(x.shape),) + tuple(args[1:])

    def post(module, args, out):
        ref = stats.pending
        if ref is None:
            return None
        stats.pending = None
        stats.add(out.reshape(-1, out.shape[-1]), ref)
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
    shared = _Shared()
    try:
        for name, st in states.items():
            pre, post = _make_hooks(st, shared)
            handles.append(modules[name].register_forward_pre_hook(pre))
            handles.append(modules[name].register_forward_hook(post))
        yield states
    finally:
        for h in handles:
            h.remove()
