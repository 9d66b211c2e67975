"""Torch twin of the reference masks, for capture (CPU and CUDA, any float dtype).

Same rule as :mod:`accelsim.masks.reference`: per group keep the N largest scores, ties to
the lower index.  Small groups: a stable descending sort, or on a GPU for M <= 8 a rank count
(elementwise), both exactly that order; long rows: torch.topk does not promise an order among ties, so its
threshold is used and ties at the threshold are resolved explicitly.  Imported lazily: nothing after capture
needs torch.
"""

from __future__ import annotations

import torch

from accelsim.patterns import Pattern

__all__ = ["topn_mask_torch", "apply_mask_torch", "magnitude_sparsify"]

_NAN = "scores contain NaN; masks are defined for finite scores only"


def _check_tiles(k: int, pattern: Pattern) -> None:
    """N:M groups must tile the last axis K exactly: the ValueError every route here raises otherwise."""
    if pattern.is_nm and k % pattern.m:
        raise ValueError(f"last axis K={k} is not divisible by M={pattern.m} of pattern {pattern}")

# Measured in benchmarks/bench_masks.py (CPU): sort wins for M <= 32, top-k + tie fix for long rows.
_SORT_MAX_WIDTH = 64
# On a GPU the rank count beats the sort for M <= 8 (benchmarks/bench_masks_gpu.py, H100, [4096, 2048] bf16 scores:
# rank 0.70 / 1.33 / 2.60 / 5.19 ms against sort 3.28 / 1.71 / 0.92 / 0.53 ms for M = 4 / 8 / 16 / 32;
# analysis/data/gpu_mask_routes.json); the top-k threshold route lost to both at every M.
_RANK_MAX_WIDTH_GPU = 8


def _keep_top(scores2d: torch.Tensor, keep: int) -> torch.Tensor:
    rows, width = scores2d.shape
    if keep >= width:
        return torch.ones_like(scores2d, dtype=torch.bool)
    mask = torch.zeros_like(scores2d, dtype=torch.bool)
    if keep == 0 or rows == 0:
        return mask
    if width <= _RANK_MAX_WIDTH_GPU and scores2d.device.type != "cpu":
        return _rank_keep(scores2d, keep)
    if width <= _SORT_MAX_WIDTH:
        # Small groups: a stable descending sort is the cheapest exact route on CPU (and on a GPU for M > 8).
        order = torch.sort(scores2d, dim=1, descending=True, stable=True).indices[:, :keep]
        return mask.scatter_(1, order, True)
    # Long rows (unstructured): threshold at the keep-th largest value, then resolve ties
    # at the threshold to the lowest indices - O(width) instead of a full sort.
    thr = scores2d.topk(keep, dim=1, sorted=False).values.amin(dim=1, keepdim=True)
    above = scores2d > thr
    at = scores2d == thr
    need = keep - above.sum(dim=1, keepdim=True)
    return above | (at & (at.cumsum(dim=1) <= need))


# Elements of the [groups, M, M] comparison tensor per chunk of the rank count (256 MiB of bool).
_RANK_CHUNK = 1 << 28


def _rank_keep(scores2d: torch.Tensor, keep: int) -> torch.Tensor:
    """Keep-mask [G, M] of the ``keep`` largest per row by a rank count (the Numba twin's nm_mask_rank_flat, as tensor
    ops): element i's rank is the number of j with s_j > s_i, or s_j == s_i and j < i (ties to the lower index); it
    is kept when its rank is below ``keep``.  Elementwise on a [G, M, M] comparison, in chunks of rows: on a GPU, for
    M <= 8, faster than a segmented sort of tiny rows (which ran 2:4 capture at 1/6.7 of dense speed)."""
    rows, m = scores2d.shape
    out = torch.empty((rows, m), dtype=torch.bool, device=scores2d.device)
    step = max(1, _RANK_CHUNK // (m * m))
    for a in range(0, rows, step):
        out[a : a + step] = _ranked_below(scores2d[a : a + step], keep)
    return out


def _ranked_below(s: torch.Tensor, keep: int) -> torch.Tensor:
    """[G, M] bool: fewer than ``keep`` elements of the row beat the element (larger, or equal at a lower index)."""
    m = s.shape[1]
    idx = torch.arange(m, device=s.device)
    earlier = idx.view(1, 1, m) < idx.view(1, m, 1)  # [1, i, j]: j comes before i
    si, sj = s.unsqueeze(2), s.unsqueeze(1)
    return ((sj > si) | ((sj == si) & earlier)).sum(dim=2) < keep


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
        raise ValueError(_NAN)
    if use_numba_on_cpu and scores.device.type == "cpu" and pattern.kind != "dense":
        _check_tiles(scores.shape[-1], pattern)
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
    _check_tiles(k, pattern)
    return _keep_top(scores.reshape(-1, pattern.m), pattern.n).reshape(shape)


def apply_mask_torch(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Kept values unchanged, dropped values zero."""
    return x * mask.to(x.dtype)


def magnitude_sparsify(x: torch.Tensor, pattern: Pattern | str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Fused ``(x * mask, mask)`` with mask = ``topn_mask_torch(x.abs(), pattern)``, for x [..., K]; None where the
    fused Numba kernel does not apply (use the unfused route then).

    Applies to tensors that need no gradient: on the CPU, float32 with N:M (M <= 64) or an unstructured pattern that
    keeps some but not all of a row (one Numba pass over X, no |X|, NaN-check, float-mask or product temporaries); on
    CUDA, any float dtype with N:M (M <= 32), through :func:`_gpu_sparsify`.  The outputs are bit-identical to the
    unfused route (same mask, same 1.0/0.0 multiply).  NaN in x raises the ValueError of ``topn_mask_torch``; K not
    divisible by M raises its ValueError too.
    """
    pattern = Pattern.parse(pattern)
    if x.ndim < 1 or not x.is_floating_point() or (x.requires_grad and torch.is_grad_enabled()):
        return None
    if x.device.type == "cuda":
        return _gpu_sparsify(x, pattern)
    if x.device.type != "cpu" or x.dtype != torch.float32:
        return None
    k = x.shape[-1]
    _check_tiles(k, pattern)
    if pattern.is_nm:
        if pattern.m > 64 or pattern.n >= pattern.m or pattern.n == 0:
            return None
    elif pattern.kind != "unstructured" or not 0 < pattern.kept_per_row(k) < k:
        return None
    from accelsim.masks.fused import magnitude_sparsify_flat

    xc = x.detach().contiguous()
    xo = torch.empty_like(xc)
    mask = torch.empty(xc.shape, dtype=torch.bool)
    if xc.numel() and magnitude_sparsify_flat(xc.numpy(), pattern, xo.numpy(), mask.numpy()):
        raise ValueError(_NAN)
    return xo, mask


def nm_sparsify_ops(x: torch.Tensor, n: int, m: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x * mask, mask, any NaN) for x [..., K] under N:M on |x|, as plain tensor ops (the rank count of
    :func:`_rank_keep` on |x|, ties to the lower index): what :func:`_gpu_sparsify` compiles into fused GPU kernels.
    Comparisons and the 1.0 / 0.0 multiply are exact, so compiling cannot change the result."""
    keep = _ranked_below(x.abs().reshape(-1, m), n).reshape(x.shape)
    return x * keep.to(x.dtype), keep, torch.isnan(x).any()


_COMPILED: dict = {}


def _gpu_sparsify(x: torch.Tensor, pattern: Pattern) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Capture's magnitude / none on CUDA: :func:`nm_sparsify_ops` through ``torch.compile`` (Inductor fuses the
    [G, M, M] comparison, the rank sum and the multiply into a few kernels instead of about fifteen full passes).
    None (the unfused route) for unstructured patterns, M > 32, or where compiling fails (then never tried again)."""
    if not pattern.is_nm or pattern.m > 32 or not 0 < pattern.n < pattern.m or _COMPILED.get("failed"):
        return None
    _check_tiles(x.shape[-1], pattern)
    try:
        fn = _COMPILED.get("fn") or _COMPILED.setdefault("fn", torch.compile(nm_sparsify_ops, dynamic=True))
        xo, keep, nan = fn(x.detach(), pattern.n, pattern.m)
    except Exception as e:  # no Triton / compiler on this machine: the eager route stays exact
        import warnings

        warnings.warn(f"torch.compile of the GPU mask failed ({type(e).__name__}); using the unfused route", stacklevel=2)
        _COMPILED["failed"] = True
        return None
    if bool(nan):
        raise ValueError(_NAN)
    return xo, keep
