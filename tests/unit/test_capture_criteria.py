"""Each criterion and mitigation against a direct NumPy computation on a captured layer input.

The NumPy formulas are written from docs/methods.md sections 2-3 (after arXiv 2509.22166 and its public code),
independently of the torch code; masks come
from the NumPy reference ``accelsim.masks.topn_mask``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture.criteria import CRITERIA, amber_factor, column_factor, score  # noqa: E402
from accelsim.capture.hooks import LayerConfig, LayerState, sparsified  # noqa: E402
from accelsim.capture.mitigations import apply_mitigation, fit_lpts_shift  # noqa: E402
from accelsim.masks import topn_mask, topn_mask_torch  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from tests.support.capture_tiny import tiny_llama  # noqa: E402

LAYER = "model.layers.1.mlp.gate_proj"  # K = 32, O = 64


@pytest.fixture(scope="module")
def captured():
    """(model, X [T, K] float64 input of LAYER from a real forward, W [O, K] float64)."""
    model = tiny_llama()
    mod = dict(model.named_modules())[LAYER]
    box = {}
    h = mod.register_forward_pre_hook(lambda m, a: box.__setitem__("x", a[0].reshape(-1, a[0].shape[-1]).clone()))
    with torch.no_grad():
        model(input_ids=torch.randint(2, 64, (2, 20), generator=torch.Generator().manual_seed(3)))
    h.remove()
    return model, box["x"], mod.weight.detach().clone()


def np_amber(w: np.ndarray) -> np.ndarray:
    lo, hi = np.quantile(w.ravel(), [0.005, 0.995])
    inside = w.ravel()[(w.ravel() >= lo) & (w.ravel() <= hi)]
    mu, sigma = inside.mean(), max(inside.std(), 1e-8)
    norms = np.linalg.norm((w - mu) / sigma, axis=0)
    return norms / norms.min()


def np_score(x: np.ndarray, w: np.ndarray, criterion: str) -> np.ndarray:
    a = np.abs(x)
    if criterion == "magnitude":
        return a
    if criterion == "wanda":
        return a * np.linalg.norm(w, axis=0)
    if criterion == "amber":
        return a * np_amber(w)
    col = np.sqrt((x**2).sum(axis=0))
    row = np.sqrt((x**2).sum(axis=1, keepdims=True)) + 1e-8
    return a * col / row


@pytest.mark.parametrize("criterion", CRITERIA)
def test_criterion_scores_match_numpy(captured, criterion):
    _, x, w = captured
    f = column_factor(criterion, w, seed=0, layer=LAYER)
    got = score(x, criterion, f).double().numpy()
    np.testing.assert_allclose(got, np_score(x.double().numpy(), w.double().numpy(), criterion), rtol=1e-5, atol=1e-7)


def test_amber_factor_is_at_least_one_and_deterministic_when_sampled():
    w = torch.randn(400, 300, generator=torch.Generator().manual_seed(0))  # > 100,000 elements: sampled
    f1 = column_factor("amber", w, seed=5, layer="a")
    f2 = column_factor("amber", w, seed=5, layer="a")
    assert torch.equal(f1, f2) and float(f1.min()) == pytest.approx(1.0)
    # The 50,000-weight sample only moves mu and sigma a little: close to the full-matrix computation.
    np.testing.assert_allclose(f1.numpy(), np_amber(w.double().numpy()), rtol=0.02)
    assert not torch.equal(f1, column_factor("amber", w, seed=6, layer="a"))  # the seed does pick the sample
    assert amber_factor(w[:10, :10]).shape == (10,)


@pytest.mark.parametrize("criterion", CRITERIA)
@pytest.mark.parametrize("pattern", ["2:4", "8:16", "unstructured:0.5"])
def test_hooked_layer_input_matches_numpy_for_each_criterion(captured, criterion, pattern):
    """The input the layer multiplies equals X * topn_mask(S) computed in NumPy."""
    model, x, w = captured
    pat = Pattern.parse(pattern)
    mod = dict(model.named_modules())[LAYER]
    st = LayerState(LayerConfig(LAYER, pat, criterion, factor=column_factor(criterion, w, 0, LAYER)))
    seen = {}
    with torch.no_grad(), sparsified(model, {LAYER: st}):
        spy = mod.register_forward_pre_hook(lambda m, a: seen.__setitem__("x_in", a[0].reshape(-1, a[0].shape[-1])))
        mod(x)  # the layer alone, on the captured input
        spy.remove()
    xn = x.numpy()
    keep = topn_mask(np_score(x.double().numpy(), w.double().numpy(), criterion).astype(np.float32), pat)
    np.testing.assert_array_equal(seen["x_in"].numpy(), np.where(keep, xn, 0))


def _mask_fn(pattern):
    return lambda v: topn_mask_torch(v.abs(), Pattern.parse(pattern))


def np_prune(x, pattern):
    return np.where(topn_mask(np.abs(x), Pattern.parse(pattern)), x, 0.0)


def test_mitigation_none_and_var_match_numpy(captured):
    _, x, _ = captured
    xd = x.double()
    xn = xd.numpy()
    xs = np_prune(xn, "2:4")
    got, m = apply_mitigation(xd, _mask_fn("2:4"), "none")
    np.testing.assert_array_equal(got.numpy(), xs)
    v = np.sqrt(np.var(xn, axis=1, ddof=1) / np.maximum(np.var(xs, axis=1, ddof=1), 1e-9))
    got, _ = apply_mitigation(xd, _mask_fn("2:4"), "var")
    np.testing.assert_allclose(got.numpy(), xs * v[:, None], rtol=1e-12)


@pytest.mark.parametrize("mitigation", ["dpts", "spts", "lpts"])
def test_shift_mitigations_match_numpy(captured, mitigation):
    _, x, _ = captured
    xd = x.double()
    xn = xd.numpy()
    k = xn.shape[1]
    if mitigation == "dpts":
        eta = np.sort(xn, axis=1)[:, (k - 1) // 2 : (k + 1) // 2]  # torch's lower median, [T, 1]
        shift = None
    elif mitigation == "spts":
        eta = np.array(0.37)
        shift = torch.tensor(0.37, dtype=torch.float64)
    else:
        eta = np.linspace(-0.2, 0.3, k)
        shift = torch.from_numpy(eta)
    got, m = apply_mitigation(xd, _mask_fn("4:8"), mitigation, shift)
    want = np_prune(xn - eta, "4:8") + eta
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(m.numpy(), topn_mask(np.abs(xn - eta), Pattern.parse("4:8")))


def test_spts_shift_is_mean_of_calibration_medians(captured):
    model, x, w = captured
    mod = dict(model.named_modules())[LAYER]
    st = LayerState(LayerConfig(LAYER, Pattern.parse("2:4"), mitigation="spts"))
    st.start_calibration()
    with torch.no_grad(), sparsified(model, {LAYER: st}):
        mod(x)
    st.freeze_calibration()
    k = x.shape[1]
    want = np.sort(x.double().numpy(), axis=1)[:, (k - 1) // 2].mean()
    assert float(st.calibration.shift) == pytest.approx(want, rel=1e-5)
    assert not st.calibrating


def test_lpts_fit_lowers_output_mse_against_dense(captured):
    _, x, w = captured
    fn = _mask_fn("2:4")
    s = fit_lpts_shift(x, w, fn, steps=60, lr=2e-2)

    def mse(shift):
        xi, _ = apply_mitigation(x.double(), fn, "lpts", shift.double())
        return float(((xi - x.double()) @ w.double().T).pow(2).mean())

    base = mse(torch.zeros(x.shape[1]))
    assert s.shape == (x.shape[1],)
    assert mse(s) < base  # strictly better than the plain pruned layer on its calibration input
    # A diverging fit (huge learning rate) still returns the best shift seen, s = 0 included: never worse.
    assert mse(fit_lpts_shift(x, w, fn, steps=5, lr=1e3)) <= base


def test_unknown_names_raise_clear_errors(captured):
    _, x, w = captured
    with pytest.raises(ValueError, match="unknown criterion 'bogus'"):
        score(x, "bogus")
    with pytest.raises(ValueError, match="unknown mitigation 'bogus'"):
        apply_mitigation(x, _mask_fn("2:4"), "bogus")
    with pytest.raises(ValueError, match="calibrated shift"):
        apply_mitigation(x, _mask_fn("2:4"), "spts")
