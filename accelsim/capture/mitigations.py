"""Error mitigation around the pruned GEMM, all expressed as a transform of the layer input.

With X [T, K] the layer input, W [O, K], b the bias and prune(Z) = Z * NM(score(Z))
(docs/methods.md#3-error-mitigation; arXiv:2509.22166):

* ``none``: X_in = prune(X).
* ``var`` (VAR): X_in = v_t * prune(X)_t with v_t = sqrt(Var(X_t) / max(Var(prune(X)_t), 1e-9)), variances over
  the K channels, unbiased, zeros counted.  Linear in X_in, so y = v_t (prune(X) W^T) + b: the per-token rescale
  after the sparse GEMM of the paper, with the bias left unscaled.
* ``dpts`` (D-PTS): eta_t = lower median of X_t; X_in = prune(X - eta_t) + eta_t.  The mask is chosen on the
  centred activations; in hardware y = prune(X - eta) W^T + eta_t (W 1)^T + b, a sparse GEMM plus a rank-1 epilogue.
* ``spts`` (S-PTS): the same with one scalar eta per layer, the mean over calibration tokens of the per-token
  median (estimated on the calibration text, never on evaluation batches; while calibrating, the layer uses the
  dynamic eta_t, as the paper's code did for its first calls).
* ``lpts`` (L-PTS, the paper code's ``shift2``): X_in = prune(X - s) + s with s [K] learned per layer, fitted on
  calibration inputs to minimise the MSE between (X_in W^T) and the dense X W^T (see :func:`fit_lpts_shift`).

The recorded mask is always the mask of the sparse operand (of X, or of the centred X for the PTS variants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from accelsim import methods
from accelsim.methods import Mitigation

__all__ = ["MITIGATIONS", "apply_mitigation", "lower_median", "fit_lpts_shift", "LptsSettings", "MedianShift", "FittedShift",
           "calibrator", "fit_settings_used"]

MITIGATIONS = tuple(methods.MITIGATIONS)  # names, in the registry's order

MaskFn = Callable[[torch.Tensor], torch.Tensor]  # values [T, K] -> bool keep-mask [T, K]


def lower_median(x: torch.Tensor) -> torch.Tensor:
    """[T, 1] lower median of each row (torch.median semantics: element (K-1)//2 of the sorted row)."""
    return x.median(dim=-1, keepdim=True).values


def apply_mitigation(x: torch.Tensor, mask_fn: MaskFn, mitigation: "str | Mitigation", shift: torch.Tensor | None = None):
    """Return (X_in [T, K], keep-mask bool [T, K]) for input ``x`` [T, K].

    mitigation: a registry entry of :mod:`accelsim.methods` (or its name).  The entry decides the math:
    variance passes -> VAR rescale; a shift epilogue -> prune the centred input and add the shift back,
    the shift being the per-token median (dynamic) or the calibrated ``shift`` (S-PTS scalar, L-PTS [K]).
    """
    mit = methods.mitigation(mitigation)
    if mit.variance_passes:
        m = mask_fn(x)
        xs = x * m
        # half-precision variances in float32: fp16 would overflow and round 1e-9 to zero (float32/64 unchanged)
        wide = x.dtype in (torch.float32, torch.float64)
        xf, xsf = (x, xs) if wide else (x.float(), xs.float())
        v = torch.sqrt(xf.var(dim=-1, keepdim=True) / xsf.var(dim=-1, keepdim=True).clamp_min(1e-9)).to(x.dtype)
        return xs * v, m
    if mit.epilogue:
        if not mit.calibrated:
            eta = lower_median(x)
        else:
            if shift is None:
                raise ValueError(f"mitigation {mit.name!r} needs a calibrated shift; run calibration first")
            eta = shift.to(x.dtype)
        xc = x - eta
        m = mask_fn(xc)
        return xc * m + eta, m
    m = mask_fn(x)
    return x * m, m


def fit_lpts_shift(x: torch.Tensor, weight: torch.Tensor, mask_fn: MaskFn, steps: int = 30, lr: float = 1e-2) -> torch.Tensor:
    """Fit the L-PTS shift s [K] on calibration inputs ``x`` [T, K] of a layer with ``weight`` [O, K].

    Minimises mean((prune(X - s) + s - X) W^T)^2, i.e. the MSE of the layer output against the dense output on
    the same input (the bias cancels), with Adam from s = 0 (the paper: AdamW, lr 1e-4, 256 steps of one
    sequence each; here full-batch steps with a larger lr, so it fits on CPU in seconds per layer).  The mask
    is recomputed at every step and treated as a constant (no gradient through the selection).  Returns the
    best s seen (s = 0, the plain pruned layer, included), so the fit never makes the calibration MSE worse.
    """
    x = x.detach().float()
    w = weight.detach().float()
    s = torch.zeros(x.shape[-1], device=x.device, requires_grad=True)
    opt = torch.optim.Adam([s], lr=lr)
    best, best_loss = s.detach().clone(), float("inf")
    with torch.enable_grad():
        for _ in range(steps + 1):
            xc = x - s
            with torch.no_grad():
                m = mask_fn(xc)
            err = (xc * m + s - x) @ w.T  # = (X_in - X) W^T
            loss = err.pow(2).mean()
            if loss.item() < best_loss:
                best_loss, best = loss.item(), s.detach().clone()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return best


# ----------------------------------------------------------------- calibration of the stored shifts
@dataclass(frozen=True)
class LptsSettings:
    """How an L-PTS shift is fitted: calibration rows used (evenly spaced), Adam steps, learning rate."""

    tokens: int = 512
    steps: int = 30
    lr: float = 1e-2


class MedianShift:
    """S-PTS calibration: the static shift is the mean over calibration tokens of the per-token lower median.

    While calibrating, the layer runs the dynamic per-token median shift (``stand_in``), as the paper's code did.
    """

    stand_in = methods.MITIGATIONS["dpts"]
    uses_fit_settings = False

    def __init__(self, settings: LptsSettings | None = None):
        self.total, self.tokens = 0.0, 0

    def observe(self, x: torch.Tensor, weight: torch.Tensor, mask_fn: MaskFn) -> None:
        self.total += float(lower_median(x).sum())
        self.tokens += x.shape[0]

    def current(self) -> torch.Tensor | None:
        return None  # the stand-in needs no stored shift

    def freeze(self, layer: str) -> torch.Tensor:
        if not self.tokens:
            raise RuntimeError(f"layer {layer}: S-PTS saw no calibration tokens")
        return torch.tensor(self.total / self.tokens)


class FittedShift:
    """L-PTS calibration: the per-channel shift is fitted on the layer's first calibration input
    (:func:`fit_lpts_shift` on ``settings.tokens`` evenly spaced rows) and used from then on."""

    stand_in = methods.MITIGATIONS["lpts"]
    uses_fit_settings = True

    def __init__(self, settings: LptsSettings | None = None):
        self.settings = settings or LptsSettings()
        self.shift: torch.Tensor | None = None

    def observe(self, x: torch.Tensor, weight: torch.Tensor, mask_fn: MaskFn) -> None:
        if self.shift is None:
            st = self.settings
            idx = torch.linspace(0, x.shape[0] - 1, min(st.tokens, x.shape[0])).round().long()
            self.shift = fit_lpts_shift(x[idx], weight, mask_fn, st.steps, st.lr)

    def current(self) -> torch.Tensor | None:
        return self.shift

    def freeze(self, layer: str) -> torch.Tensor:
        if self.shift is None:
            raise RuntimeError(f"layer {layer}: L-PTS shift was not fitted (layer saw no calibration input)")
        return self.shift


#: How each calibrated mitigation of the registry gets its stored shift (keyed by the registry entry).
CALIBRATORS: dict[Mitigation, type] = {methods.MITIGATIONS["spts"]: MedianShift, methods.MITIGATIONS["lpts"]: FittedShift}


def calibrator(mitigation: "str | Mitigation", settings: LptsSettings | None = None) -> "MedianShift | FittedShift | None":
    """A fresh calibrator for a calibrated mitigation (``Mitigation.calibrated``); None for the others."""
    mit = methods.mitigation(mitigation)
    if not mit.calibrated:
        return None
    if mit not in CALIBRATORS:
        raise ValueError(f"mitigation {mit.name!r} is calibrated but accelsim.capture has no calibrator for it")
    return CALIBRATORS[mit](settings)


def fit_settings_used(mitigation: "str | Mitigation") -> bool:
    """Whether the L-PTS fit settings change the result of a run with ``mitigation``."""
    mit = methods.mitigation(mitigation)
    return mit in CALIBRATORS and CALIBRATORS[mit].uses_fit_settings
