"""The fused magnitude sparsify (capture's magnitude / none path) against the NumPy specification.

``magnitude_sparsify(x, p)`` must return exactly ``(x * topn_mask(|x|, p), topn_mask(|x|, p))``: the mask bit for
bit (ties to the lower index), the values bit for bit (a dropped negative value is -0.0, as torch's x * mask gives).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from accelsim.capture.hooks import LayerConfig, LayerState, sparsified  # noqa: E402
from accelsim.masks import fused, topn_mask  # noqa: E402
from accelsim.masks.torch_twin import magnitude_sparsify, topn_mask_torch  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from tests.support.mask_strategies import scores_and_pattern  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PATTERNS = ["1:2", "2:4", "1:4", "3:4", "4:8", "8:16", "4:16", "16:32", "unstructured:0.5", "unstructured:0.25"]
FUSED = ["2:4", "8:16", "16:32", "unstructured:0.5"]


def _expected(x: np.ndarray, pattern) -> tuple[np.ndarray, np.ndarray]:
    """The specification: NumPy mask of |x|, and x * mask as torch's unfused route computes it."""
    m = topn_mask(np.abs(x), pattern)
    return (torch.from_numpy(x) * torch.from_numpy(m)).numpy(), m


def _check(x: np.ndarray, pattern) -> None:
    got = magnitude_sparsify(torch.from_numpy(x), pattern)
    assert got is not None
    xo, m = got
    want_x, want_m = _expected(x, pattern)
    assert m.dtype == torch.bool and xo.dtype == torch.float32 and xo.shape == x.shape
    assert np.array_equal(m.numpy(), want_m)
    assert np.array_equal(xo.numpy().view(np.uint32), want_x.view(np.uint32))  # bits: -0.0 stays -0.0


@pytest.mark.numba
@SETTINGS
@given(scores_and_pattern(patterns=PATTERNS))
def test_property_fused_matches_reference(case):
    x, pattern = case
    if pattern.kind == "unstructured" and not 0 < pattern.kept_per_row(x.shape[-1]) < x.shape[-1]:
        assert magnitude_sparsify(torch.from_numpy(x), pattern) is None  # nothing to select: unfused route
        return
    _check(x, pattern)


@pytest.mark.numba
@pytest.mark.parametrize("pattern", FUSED)
@pytest.mark.parametrize("rows", [1, 3, 300])
def test_fused_matches_reference_with_ties_and_signed_zeros(pattern, rows):
    rng = np.random.default_rng(rows)
    x = rng.integers(-2, 3, size=(rows, 576)).astype(np.float32)  # ties everywhere, +-x pairs tie on |x|
    x[:, 5::9] = -0.0
    x[0, :32] = 0.0  # all-zero groups keep their first N positions
    _check(x, pattern)
    _check(rng.standard_normal((rows, 576), dtype=np.float32), pattern)


@pytest.mark.numba
@pytest.mark.parametrize("pattern", FUSED)
def test_fused_infinities_follow_torch(pattern):
    x = np.zeros((2, 64), np.float32)
    x[0, ::3] = np.inf
    x[1, 1::5] = -np.inf
    got_x, got_m = magnitude_sparsify(torch.from_numpy(x), pattern)
    want_x, want_m = _expected(x, pattern)
    assert np.array_equal(got_m.numpy(), want_m)
    assert np.array_equal(got_x.numpy(), want_x, equal_nan=True)  # a dropped inf gives NaN, as inf * 0.0 does


@pytest.mark.numba
@pytest.mark.parametrize("pattern", FUSED)
@pytest.mark.parametrize("rows", [1, 300])
def test_fused_nan_raises_the_mask_error(pattern, rows):
    x = torch.randn(rows, 576)
    x[rows - 1, 7] = float("nan")
    with pytest.raises(ValueError, match="scores contain NaN"):
        magnitude_sparsify(x, pattern)
    with pytest.raises(ValueError, match="scores contain NaN"):
        topn_mask_torch(x.abs(), pattern)


def test_fused_rejects_k_not_divisible_and_declines_other_inputs():
    with pytest.raises(ValueError, match="not divisible by M=16"):
        magnitude_sparsify(torch.randn(2, 40), "8:16")
    x = torch.randn(4, 32)
    assert magnitude_sparsify(x.double(), "2:4") is None
    assert magnitude_sparsify(x.half(), "2:4") is None
    assert magnitude_sparsify(x, "dense") is None
    assert magnitude_sparsify(torch.randn(2, 128), "64:128") is None  # M > 64: the unfused insertion kernel
    with torch.enable_grad():
        assert magnitude_sparsify(x.requires_grad_(), "2:4") is None


def test_fused_keeps_leading_shape_and_empty_input():
    x = torch.randn(2, 3, 32)
    xo, m = magnitude_sparsify(x, "2:4")
    assert xo.shape == m.shape == x.shape
    assert torch.equal(m, topn_mask_torch(x.abs(), "2:4")) and torch.equal(xo, x * m)
    xo, m = magnitude_sparsify(torch.empty(0, 32), "2:4")
    assert xo.shape == m.shape == (0, 32)


def test_flat_wrapper_validates_before_the_kernel():
    x = np.ones((2, 8), np.float32)
    with pytest.raises(ValueError, match="float32"):
        fused.magnitude_sparsify_flat(x, Pattern.parse("2:4"), np.empty(16, np.float64), np.empty(16, bool))
    with pytest.raises(ValueError, match="does not tile"):
        fused.magnitude_sparsify_flat(x, Pattern.parse("3:6"), np.empty(16, np.float32), np.empty(16, bool))


@pytest.mark.parametrize("pattern", ["2:4", "16:32", "unstructured:0.5"])
@pytest.mark.parametrize("criterion,mitigation", [("magnitude", "none"), ("magnitude", "var"), ("clact", "none")])
def test_layer_transform_same_as_unfused_route(pattern, criterion, mitigation):
    """The hook's transform (fused for magnitude / none) equals mask-of-score then mitigation, bit for bit."""
    from accelsim.capture.mitigations import apply_mitigation

    cfg = LayerConfig("l", Pattern.parse(pattern), criterion, mitigation)
    lin = torch.nn.Linear(64, 8)
    x = torch.randn(5, 64)
    xo, m = LayerState(cfg).transform(lin, x)
    want_x, want_m = apply_mitigation(x, cfg.mask, cfg.mitigation)
    assert torch.equal(m, want_m)
    assert np.array_equal(xo.numpy().view(np.uint32), want_x.numpy().view(np.uint32))


def test_logits_bit_identical_to_unfused_hooks(monkeypatch):
    """A tiny model under 2:4 hooks gives the same logits and masks with the fused path as without it."""
    pytest.importorskip("transformers")
    from accelsim.capture import hooks
    from accelsim.capture.models import find_targets
    from tests.support.capture_tiny import TARGET_LEAVES, tiny_llama

    model = tiny_llama()
    ids = torch.randint(2, 64, (1, 24), generator=torch.Generator().manual_seed(0))
    names = find_targets(model, TARGET_LEAVES)

    def run():
        states = {n: LayerState(LayerConfig(n, Pattern.parse("2:4"), record_tokens=24)) for n in names}
        with torch.no_grad(), sparsified(model, states):
            logits = model(input_ids=ids).logits
        return logits, [st.recording.packed_masks(0) for st in states.values()]

    fused_logits, fused_masks = run()
    monkeypatch.setattr(hooks, "magnitude_sparsify", lambda x, p: None)
    plain_logits, plain_masks = run()
    assert torch.equal(fused_logits, plain_logits)
    assert all(np.array_equal(a, b) for a, b in zip(fused_masks, plain_masks))


@pytest.mark.numba
@settings(max_examples=50, deadline=None, database=None)
@given(st.integers(1, 4), st.sampled_from(FUSED))
def test_single_token_rows(rows, pattern):
    x = np.random.default_rng(rows).standard_normal((rows, 64)).astype(np.float32)
    _check(x[:1], pattern)
    _check(x, pattern)


def test_flat_wrapper_rejects_out_of_range_unstructured_and_strided_outputs():
    x = np.ones((2, 8), np.float32)
    with pytest.raises(ValueError, match="0 < kept < K"):
        fused.magnitude_sparsify_flat(x, Pattern.parse("dense"), np.empty(16, np.float32), np.empty(16, bool))
    with pytest.raises(ValueError, match="C-contiguous"):
        fused.magnitude_sparsify_flat(x, Pattern.parse("2:4"), np.empty(32, np.float32)[::2], np.empty(16, bool))

