"""Property-based tests of the mask invariants (issue 2, invariants 1-8).

Every property is written once as a factory ``prop_*(impl)`` that returns a hypothesis
test for a given implementation.  Each runs against the real code (must pass) and against
a deliberately wrong implementation (hypothesis must find a counterexample), which shows
the property can fail.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.masks import apply_mask, topn_mask, topn_mask_numba, topn_mask_torch
from accelsim.masks.packing import decode_metadata, encode_metadata, metadata_nbits, pack_mask, unpack_mask
from accelsim.patterns import METADATA_FORMATS, Pattern
from tests.support.mask_strategies import NM_PATTERNS, scores_and_pattern, vectors_for_nesting

SETTINGS = settings(max_examples=150, deadline=None, database=None, report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------- wrong twins
def keeps_smallest(scores, pattern):
    return topn_mask(-np.asarray(scores, dtype=np.float64), pattern)


def keeps_one_extra(scores, pattern):
    mask = topn_mask(scores, pattern).copy()
    flat = mask.reshape(-1)
    dropped = np.flatnonzero(~flat)
    if dropped.size:
        flat[dropped[0]] = True
    return mask


def keeps_first_positions(scores, pattern):
    # Ignores the scores: the first N of every group (right count, wrong choice).
    return topn_mask(np.zeros_like(np.asarray(scores, dtype=np.float64)), pattern)


def ties_to_higher_index(scores, pattern):
    s = np.asarray(scores, dtype=np.float64)
    return topn_mask(s[..., ::-1], pattern)[..., ::-1] if not Pattern.parse(pattern).is_nm else _rev_groups(s, pattern)


def _rev_groups(s, pattern):
    p = Pattern.parse(pattern)
    g = s.reshape(-1, p.m)[:, ::-1]
    return topn_mask(g, p)[:, ::-1].reshape(s.shape)


def sparsify(x, pattern, mask_fn=topn_mask):
    """Magnitude N:M sparsification: the operation capture performs per token."""
    return apply_mask(x, mask_fn(np.abs(x), pattern))


def sparsify_leaky(x, pattern):
    mask = topn_mask(np.abs(x), pattern)
    return np.where(mask, x, x * np.float32(0.5))


# ------------------------------------------------------------------ properties
def prop_exact_count(impl):
    @SETTINGS
    @given(scores_and_pattern())
    def prop(case):
        scores, pattern = case
        mask = impl(scores, pattern)
        assert mask.shape == scores.shape and mask.dtype == np.bool_
        k = scores.shape[-1]
        if pattern.is_nm:
            assert (mask.reshape(-1, pattern.m).sum(axis=1) == pattern.n).all()
        else:
            assert (mask.sum(axis=-1) == pattern.kept_per_row(k)).all()

    return prop


def prop_values_kept_or_zero(sparsify_fn):
    @SETTINGS
    @given(scores_and_pattern())
    def prop(case):
        x, pattern = case
        y = sparsify_fn(x, pattern)
        mask = topn_mask(np.abs(x), pattern)
        assert np.array_equal(y[mask], x[mask])
        assert (y[~mask] == 0).all()

    return prop


def prop_optimal(impl):
    @SETTINGS
    @given(scores_and_pattern())
    def prop(case):
        scores, pattern = case
        mask = impl(scores, pattern)
        width = pattern.m if pattern.is_nm else scores.shape[-1]
        s, m = scores.reshape(-1, width), mask.reshape(-1, width)
        for row_s, row_m in zip(s, m):
            if row_m.any() and (~row_m).any():
                assert row_s[~row_m].max() <= row_s[row_m].min()

    return prop


def prop_idempotent(sparsify_fn):
    @SETTINGS
    @given(scores_and_pattern())
    def prop(case):
        x, pattern = case
        once = sparsify_fn(x, pattern)
        assert np.array_equal(sparsify_fn(once, pattern), once)

    return prop


def prop_permutation_equivariant(impl):
    @SETTINGS
    @given(scores_and_pattern(patterns=NM_PATTERNS, unique=True), st.randoms(use_true_random=False))
    def prop(case, rnd):
        scores, pattern = case
        perm = list(range(pattern.m))
        rnd.shuffle(perm)
        groups = scores.reshape(-1, pattern.m)
        permuted = groups[:, perm].reshape(scores.shape)
        m1 = impl(scores, pattern).reshape(-1, pattern.m)[:, perm]
        m2 = impl(permuted, pattern).reshape(-1, pattern.m)
        assert np.array_equal(m1, m2)

    return prop


def prop_nesting(impl):
    @SETTINGS
    @given(vectors_for_nesting())
    def prop(x):
        energy = [float(np.sum(np.where(impl(np.abs(x), p), x, 0.0) ** 2))
                  for p in ("2:4", "4:8", "8:16", "16:32", "unstructured:0.5")]
        for a, b in zip(energy, energy[1:]):
            assert a <= b * (1 + 1e-12) + 1e-300

    return prop


def prop_pack_round_trip(pack, unpack):
    @SETTINGS
    @given(scores_and_pattern())
    def prop(case):
        scores, pattern = case
        mask = topn_mask(scores, pattern)
        packed = pack(mask)
        assert packed.dtype == np.uint8 and packed.shape == (mask.shape[0], (mask.shape[1] + 7) // 8)
        assert np.array_equal(unpack(packed, mask.shape[1]), mask)
        if pattern.is_nm:
            t, k = mask.shape
            for fmt in METADATA_FORMATS:
                stream = encode_metadata(mask, pattern, fmt)
                nbits = metadata_nbits(pattern, fmt, t, k)
                assert nbits == t * (k // pattern.m) * pattern.metadata_bits_per_group(fmt)
                assert stream.size == (nbits + 7) // 8
                assert np.array_equal(decode_metadata(stream, pattern, fmt, t, k), mask)

    return prop


def prop_twins_agree(twin):
    @SETTINGS
    @given(scores_and_pattern())
    def prop(case):
        scores, pattern = case
        assert np.array_equal(twin(scores, pattern), topn_mask(scores, pattern))

    return prop


def torch_twin(scores, pattern):
    """The torch route used on CUDA (sort / top-k), forced here on CPU."""
    import torch

    return topn_mask_torch(torch.from_numpy(np.ascontiguousarray(scores)), pattern, use_numba_on_cpu=False).numpy()


def torch_twin_cpu(scores, pattern):
    """The default CPU route of the torch twin (delegates to the Numba kernels)."""
    import torch

    return topn_mask_torch(torch.from_numpy(np.ascontiguousarray(scores)), pattern).numpy()


def wrong_pack(mask):
    return np.packbits(mask, axis=1, bitorder="big")


# ------------------------------------------------------------------------ tests
CASES = [
    ("1 exactly n kept", prop_exact_count, topn_mask, keeps_one_extra),
    ("2 kept values equal input, dropped zero", prop_values_kept_or_zero, sparsify, sparsify_leaky),
    ("3 optimality", prop_optimal, topn_mask, keeps_smallest),
    ("4 idempotence", prop_idempotent, sparsify, lambda x, p: sparsify(x, p, keeps_smallest)),
    ("5 permutation equivariance", prop_permutation_equivariant, topn_mask, keeps_first_positions),
    ("6 nesting 2:4 <= 4:8 <= 8:16 <= 16:32 <= unstructured", prop_nesting, topn_mask, keeps_smallest),
    ("7 packing and metadata round trip", lambda f: prop_pack_round_trip(f, unpack_mask), pack_mask, wrong_pack),
    ("8a torch twin agrees", prop_twins_agree, torch_twin, ties_to_higher_index),
]


@pytest.mark.parametrize("name,prop,good,bad", CASES, ids=[c[0] for c in CASES])
def test_property_holds(name, prop, good, bad):
    prop(good)()


@pytest.mark.parametrize("name,prop,good,bad", CASES, ids=[c[0] for c in CASES])
def test_property_rejects_wrong_implementation(name, prop, good, bad):
    with pytest.raises(AssertionError):
        prop(bad)()


@pytest.mark.numba
def test_property_numba_twin_agrees():
    prop_twins_agree(topn_mask_numba)()
    prop_twins_agree(torch_twin_cpu)()


@pytest.mark.numba
def test_property_numba_twin_exact_count_and_optimal():
    prop_exact_count(topn_mask_numba)()
    prop_optimal(topn_mask_numba)()
