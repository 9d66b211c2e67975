"""Unit tests of the mask reference, packing layout and Numba statistics.

Goldens: hand-worked small cases, and unpack-then-NumPy-sum as the independent twin of
the packed statistics.
"""

import numpy as np
import pytest

from accelsim.masks import (
    block_union,
    block_union_count,
    group_nnz,
    pack_mask,
    row_nnz,
    topn_mask,
    topn_mask_numba,
    unpack_mask,
)
from accelsim.masks.packing import decode_metadata, encode_metadata


def test_hand_worked_2_4_and_ties():
    s = np.array([[0.1, 0.9, 0.5, 0.3, 0, 0, 0, 0, 2, 1, 2, 1]])
    expected = [[0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0]]  # all-zero group keeps its first two; ties -> lower index
    assert topn_mask(s, "2:4").astype(int).tolist() == expected


def test_unstructured_row_topk_hand_worked():
    s = np.array([[3.0, 1.0, 2.0, 2.0, 0.0]])
    # k = floor(0.5 * 5 + 0.5) = 3: 3.0, then the two 2.0s
    assert topn_mask(s, "unstructured:0.5").astype(int).tolist() == [[1, 0, 1, 1, 0]]


def test_errors_are_clear():
    with pytest.raises(ValueError, match="K=6 is not divisible by M=4"):
        topn_mask(np.zeros((2, 6)), "2:4")
    with pytest.raises(ValueError, match="NaN"):
        topn_mask(np.array([[np.nan, 1, 2, 3]]), "2:4")
    with pytest.raises(ValueError, match="NaN"):
        topn_mask_numba(np.array([[np.nan, 1, 2, 3]]), "2:4")
    with pytest.raises(ValueError, match="unknown sparsity pattern"):
        topn_mask(np.zeros((1, 4)), "2/4")


def test_bit_order_is_little_endian():
    mask = np.zeros((1, 16), dtype=bool)
    mask[0, 0] = mask[0, 9] = True
    assert pack_mask(mask).tolist() == [[1, 2]]  # element 0 -> byte 0 bit 0; element 9 -> byte 1 bit 1


def test_unpack_rejects_wrong_width():
    with pytest.raises(ValueError, match="K=20 needs 3"):
        unpack_mask(np.zeros((2, 2), dtype=np.uint8), 20)


def test_metadata_rejects_non_exact_mask():
    mask = np.ones((1, 8), dtype=bool)
    for fmt in ("index", "bitmask", "combinatorial"):
        with pytest.raises(ValueError, match="needs exactly 2"):
            encode_metadata(mask, "2:4", fmt)


def test_nvidia_2_4_index_codes():
    # NVIDIA's 2:4 metadata (PyTorch torch/sparse/_semi_structured_conversions.py; docs/hardware-anchors.md §1.2):
    # the 4-bit code of a 2:4 group is two 2-bit indices, low bits = lower index.
    # Kept {1, 2} -> indices 1 | 2 << 2 = 0x9; kept {0, 3} -> 0 | 3 << 2 = 0xC.
    mask = np.array([[0, 1, 1, 0, 1, 0, 0, 1]], dtype=bool)
    assert encode_metadata(mask, "2:4", "index").tolist() == [0x9 | (0xC << 4)]


def test_combinatorial_rank_is_colex():
    # C(m, n) distinct masks of one group map to ranks 0 .. C-1 (a bijection), 4:8 -> 70 codes in 7 bits.
    from itertools import combinations

    ranks = set()
    for kept in combinations(range(8), 4):
        mask = np.zeros((1, 8), dtype=bool)
        mask[0, list(kept)] = True
        stream = encode_metadata(mask, "4:8", "combinatorial")
        ranks.add(int(stream[0]))
        assert np.array_equal(decode_metadata(stream, "4:8", "combinatorial", 1, 8), mask)
    assert ranks == set(range(70))


def _random_packed(rng, t, k, density):
    mask = rng.random((t, k)) < density
    return mask, pack_mask(mask)


@pytest.mark.numba
@pytest.mark.parametrize("k,m", [(64, 16), (64, 32), (64, 4), (64, 2), (64, 8), (48, 12), (24, 3), (40, 40), (8, 1)])
def test_group_nnz_matches_numpy(k, m):
    rng = np.random.default_rng(k * 100 + m)
    mask, packed = _random_packed(rng, 7, k, 0.4)
    assert np.array_equal(group_nnz(packed, k, m), mask.reshape(7, k // m, m).sum(axis=2))


@pytest.mark.numba
@pytest.mark.parametrize("k", [8, 13, 64, 100])
def test_row_nnz_matches_numpy(k):
    rng = np.random.default_rng(k)
    mask, packed = _random_packed(rng, 5, k, 0.3)
    assert np.array_equal(row_nnz(packed, k), mask.sum(axis=1))


@pytest.mark.numba
@pytest.mark.parametrize("t,r", [(10, 3), (8, 8), (8, 1), (5, 16)])
def test_block_union_matches_numpy(t, r):
    rng = np.random.default_rng(t * r)
    k = 37
    mask, packed = _random_packed(rng, t, k, 0.1)
    expected = np.array([mask[i : i + r].any(axis=0) for i in range(0, t, r)])
    assert np.array_equal(unpack_mask(block_union(packed, r), k), expected)
    assert np.array_equal(block_union_count(packed, k, r), expected.sum(axis=1))


@pytest.mark.numba
def test_stats_validate_inputs():
    packed = np.zeros((2, 2), dtype=np.uint8)
    with pytest.raises(ValueError, match="must be positive and divide K=16"):
        group_nnz(packed, 16, 5)
    with pytest.raises(ValueError, match="uint8"):
        row_nnz(packed.astype(np.int32), 16)
    with pytest.raises(ValueError, match="rows_per_block must be >= 1"):
        block_union(packed, 0)
    with pytest.raises(ValueError, match="bits set beyond K=12"):
        row_nnz(np.full((1, 2), 255, dtype=np.uint8), 12)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_torch_twin_any_float_dtype(dtype):
    import torch

    rng = np.random.default_rng(5)
    x = torch.from_numpy(rng.integers(-4, 5, size=(6, 64)).astype(np.float32)).to(getattr(torch, dtype))
    ref_scores = x.abs().to(torch.float64).numpy()  # exact: every value is a small integer
    for p in ("2:4", "8:16", "16:32", "unstructured:0.5", "dense"):
        from accelsim.masks import topn_mask_torch

        for numba_cpu in (True, False):
            got = topn_mask_torch(x.abs(), p, use_numba_on_cpu=numba_cpu).numpy()
            assert np.array_equal(got, topn_mask(ref_scores, p)), (dtype, p, numba_cpu)


@pytest.mark.numba
@pytest.mark.parametrize("pattern", ["2:4", "8:16", "16:32", "3:128", "64:128"])
def test_both_numba_group_kernels_match_reference(pattern):
    # Small M goes through the rank kernel, large M through the insertion kernel; call both directly.
    from accelsim.masks.numba_twin import nm_mask_flat, nm_mask_rank_flat
    from accelsim.patterns import Pattern

    p = Pattern.parse(pattern)
    rng = np.random.default_rng(p.m)
    s = rng.integers(0, 4, size=(3, 2 * p.m)).astype(np.float32)  # many ties
    ref = topn_mask(s, p).ravel()
    out = np.empty(s.size, dtype=bool)
    nm_mask_rank_flat(s.ravel(), p.m, p.n, out)
    assert np.array_equal(out, ref)
    nm_mask_flat(s.ravel(), p.m, p.n, np.empty(p.n, dtype=np.float32), out)
    assert np.array_equal(out, ref)


@pytest.mark.numba
@pytest.mark.parametrize("seed", range(6))
def test_unstructured_kernels_match_reference_with_signed_zeros_and_extremes(seed):
    from accelsim.masks.numba_twin import row_topk_f32bits, row_topk_flat

    rng = np.random.default_rng(seed)
    k = 37
    s = (rng.standard_normal((4, k)) * 10.0 ** rng.integers(-30, 30, size=(4, k))).astype(np.float32)
    s[0, :4] = [-0.0, 0.0, -0.0, 0.0]
    s[1, :3] = [np.inf, -np.inf, 1e-45]  # infinities and a denormal
    s[2] = rng.integers(-2, 3, size=k)  # ties
    for keep in (1, 5, 18, 36):
        ref = np.zeros_like(s, dtype=bool)
        np.put_along_axis(ref, np.argsort(-s.astype(np.float64), axis=1, kind="stable")[:, :keep], True, axis=1)
        out = np.empty(s.size, dtype=bool)
        row_topk_f32bits(s.view(np.uint32).ravel(), k, keep, np.empty(4096, np.int64), np.empty(k, np.uint32), out)
        assert np.array_equal(out.reshape(s.shape), ref), keep
        row_topk_flat(s.astype(np.float64).ravel(), k, keep, out)
        assert np.array_equal(out.reshape(s.shape), ref), keep


@pytest.mark.numba
@pytest.mark.parametrize("pattern", ["2:4", "8:16", "unstructured:0.5"])
def test_parallel_chunked_kernels_match_reference(pattern):
    # Large enough to take the chunked (prange) path; any chunk count must give the same mask.
    from accelsim.masks.numba_twin import _nm_rank_chunks, _radix_rows_chunks
    from accelsim.patterns import Pattern

    p = Pattern.parse(pattern)
    rng = np.random.default_rng(7)
    s = rng.integers(0, 5, size=(37, 96)).astype(np.float32)
    ref = topn_mask(s, p).ravel()
    assert np.array_equal(topn_mask_numba(np.tile(s, (20, 1)), p), np.tile(ref.reshape(s.shape), (20, 1)))
    for chunks in (1, 2, 3, 37):
        out = np.empty(s.size, dtype=bool)
        if p.is_nm:
            _nm_rank_chunks(s.ravel(), p.m, p.n, out, chunks)
        else:
            _radix_rows_chunks(s.ravel().view(np.uint32), 96, p.kept_per_row(96), out, chunks)
        assert np.array_equal(out, ref), chunks
