"""The torch twin's rank-count route (the CUDA route for groups of M <= 64) against the NumPy specification, run
here on CPU tensors: the same tensor ops run on a GPU (analysis/capture_gpu_check.py checks them there bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import accelsim.masks.torch_twin as tt  # noqa: E402
from accelsim.masks import topn_mask  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402


def _spec(x: torch.Tensor, n: int, m: int) -> np.ndarray:
    return topn_mask(x.numpy().reshape(1, -1), Pattern.parse(f"{n}:{m}")).reshape(x.shape)


@pytest.mark.parametrize("n,m", [(2, 4), (4, 8), (8, 16), (16, 32), (32, 64), (4, 16), (12, 16), (1, 4), (3, 4)])
@pytest.mark.parametrize("ties", [False, True])
def test_rank_count_equals_the_spec(n, m, ties):
    g = torch.Generator().manual_seed(n * 100 + m)
    x = torch.randint(0, 4, (300, m), generator=g).float() if ties else torch.randn(300, m, generator=g).abs()
    np.testing.assert_array_equal(tt._rank_keep(x, n).numpy(), _spec(x, n, m))


def test_rank_count_chunks_give_the_same_mask(monkeypatch):
    g = torch.Generator().manual_seed(7)
    x = torch.randint(0, 3, (37, 16), generator=g).float()
    whole = tt._rank_keep(x, 8)
    monkeypatch.setattr(tt, "_RANK_CHUNK", 16 * 16 * 5)  # 5 rows per chunk: 8 chunks, the last one short
    np.testing.assert_array_equal(tt._rank_keep(x, 8).numpy(), whole.numpy())
    np.testing.assert_array_equal(whole.numpy(), _spec(x, 8, 16))


def test_zero_and_negative_zero_tie_like_the_spec():
    x = torch.tensor([[0.0, -0.0, 0.0, -0.0], [-0.0, 1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(tt._rank_keep(x, 2).numpy(), _spec(x, 2, 4))


@pytest.mark.parametrize("n,m", [(2, 4), (4, 8), (8, 16), (16, 32)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gpu_fused_ops_equal_the_spec_and_the_unfused_product(n, m, dtype):
    # nm_sparsify_ops is what the CUDA route compiles; run eagerly here on the CPU: mask = spec on |x| (ties, -0.0),
    # masked input = x * mask exactly (a dropped negative stays -0.0, as x * mask.to(dtype) gives)
    g = torch.Generator().manual_seed(n + m)
    x = (torch.randint(-3, 4, (40, 128), generator=g).float() * 0.5).to(dtype)
    x[0, :4] = torch.tensor([0.0, -0.0, 0.0, -0.0])
    xo, keep, nan = tt.nm_sparsify_ops(x, n, m)
    want = topn_mask(x.abs().float().numpy(), Pattern.parse(f"{n}:{m}"))
    np.testing.assert_array_equal(keep.numpy(), want)
    ref = x * torch.from_numpy(want).to(dtype)
    assert torch.equal(xo, ref) and torch.equal(torch.signbit(xo), torch.signbit(ref)) and not bool(nan)
    x[3, 7] = float("nan")
    assert bool(tt.nm_sparsify_ops(x, n, m)[2])


def test_magnitude_sparsify_on_cpu_does_not_take_the_gpu_route(monkeypatch):
    monkeypatch.setattr(tt, "_gpu_sparsify", lambda *a: pytest.fail("GPU route on a CPU tensor"))
    x = torch.randn(8, 16)
    xo, m = tt.magnitude_sparsify(x, "8:16")
    np.testing.assert_array_equal(m.numpy(), topn_mask(x.abs().numpy(), Pattern.parse("8:16")))
