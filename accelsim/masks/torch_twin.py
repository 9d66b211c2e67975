"""Torch twin of the reference masks, for capture (CPU and CUDA, any float dtype).

Same rule as :mod:`accelsim.masks.reference`: per group keep the N largest scores, ties to
the lower index.  A stable descending sort gives exactly that order (torch.topk does not
promise an order among ties, so on long rows its threshold is used and ties at the
threshold are resolved explicitly).  Imported lazily: nothing after capture
needs torch.
"""

from __future__ import annotations

import torch

from accelsim.patterns import Pattern

__all__ = ["topn_mask_torch", "apply_mask_torch", "magnitude_sparsify"]

# Measured in benchmarks/bench_masks.py: sort wins for M <= 32, top-k + tie fix for long rows.
_SORT_MAX_WIDTH = 64


def _keep_top(scores2d: torch.Tensor, keep: int) -> torch.Tensor:
    rows, width = scores2d.shape
    if keep >= width:
        return torch.ones_like(scores2d, dtype=torch.bool)
    mask = torch.zeros_like(scores2d, dtype=torch.bool)
    if keep == 0 or rows == 0:
        return mask
    if width <= _SORT_MAX_WIDTH:
        # Small groups: a stable descending sort is the cheapest exact route on CPU.
        order = torch.sort(scores2d, dim=1, descending=True, stable=True).indices[:, :keep]
        return mask.scatter_(1, order, True)
    # Long rows (unstructured): threshold at the keep-th largest value, then resolve ties
    # at the threshold to the lowest indices - O(width) instead of a full sort.
    thr = scores2d.topk(keep, dim=1, sorted=False).values.amin(dim=1, keepdim=True)
    above = scores2d > thr
    at = scores2d == thr
    need = keep - above.sum(dim=1, keepdim=True)
    return above | (at & (at.cumsum(dim=1) <= need))


def topn_mask_torch(scores: torch.Tensor, pattern: Pattern | str, *, use_numba_on_cpu: bool = True) -> torch.Tensor:
    """Bool keep-mask, same shape and device as ``scores`` [..., K]; twin of ``topn_mask``.

    CPU tensors go to the Numba selection kernels by default (zero-copy for float32; about
    2-3x faster than a torch sort, see benchmarks/bench_masks.py); CUDA tensors, and CPU
    ones with ``use_numba_on_cpu=False``, use the torch sort / top-k route below.  Like the
    NumPy specification, NaN scores raise ValueError (NaN has no order: a mask of them would
    break N:M); on CUDA the check costs one device sync per call.
    """
    pattern = Pattern.parse(pattern)
    if pattern.kind != "dense" and scores.is_floating_point() and bool(torch.isnan(scores).any()):
        raise ValueError("scores contain NaN; masks are defined for finite scores only")
    if use_numba_on_cpu and scores.device.type == "cpu" and pattern.kind != "dense":
        if pattern.is_nm and scores.shape[-1] % pattern.m:
            raise ValueError(f"last axis K={scores.shape[-1]} is not divisible by M={pattern.m} of pattern {pattern}")
        from accelsim.masks.numba_twin import _mask_unchecked

        s = scores.detach()
        if s.dtype not in (torch.float32, torch.float64):
            s = s.to(torch.float32)  # fp16/bf16 -> fp32 is exact, so the order is unchanged
        return torch.from_numpy(_mask_unchecked(s.contiguous().numpy(), pattern))
    shape = scores.shape
    k = shape[-1]
    if pattern.kind == "dense":
        return torch.ones(shape, dtype=torch.bool, device=scores.device)
    if pattern.kind == "unstructured":
        return _keep_top(scores.reshape(-1, k), pattern.kept_per_row(k)).reshape(shape)
    if k % pattern.m:
        raise ValueError(f"last axis K={k} is not divisible by M={pattern.m} of pattern {pattern}")
    return _keep_top(scores.reshape(-1, pattern.m), pattern.n).reshape(shape)


def apply_mask_torch(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Kept values unchanged, dropped values zero."""
    return x * mask.to(x.dtype)


def magnitude_sparsify(x: torch.Tensor, pattern: Pattern | str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Fused ``(x * mask, mask)`` with mask = ``topn_mask_torch(x.abs(), pattern)``, for x [..., K]; None where the
    fused Numba kernel does not apply (use the unfused route then).

    Applies to CPU float32 tensors that need no gradient, N:M patterns with M <= 64 and unstructured ones that keep
    some but not all of a row.  One pass over X, no |X|, NaN-check, float-mask or product temporaries; the outputs
    are bit-identical to the unfused route (same mask, same 1.0/0.0 multiply).  NaN in x raises the ValueError of
    ``topn_mask_torch``; K not divisible by M raises its ValueError too.
    """
    pattern = Pattern.parse(pattern)
    if x.device.type != "cpu" or x.dtype != torch.float32 or (x.requires_grad and torch.is_grad_enabled()) or x.ndim < 1:
        return None
    k = x.shape[-1]
    if pattern.is_nm:
        if k % pattern.m:
            raise ValueError(f"last axis K={k} is not divisible by M={pattern.m} of pattern {pattern}")
        if pattern.m > 64 or pattern.n >= pattern.m or pattern.n == 0:
            return None
    elif pattern.kind != "unstructured" or not 0 < pattern.kept_per_row(k) < k:
        return None
    from accelsim.masks.fused import magnitude_sparsify_flat

    xc = x.detach().contiguous()
    xo = torch.empty_like(xc)
    mask = torch.empty(xc.shape, dtype=torch.bool)
    if xc.numel() and magnitude_sparsify_flat(xc.numpy(), pattern, xo.numpy(), mask.numpy()):
        raise ValueError("scores contain NaN; masks are defined for finite scores only")
    return xo, mask
