"""Hooks fire on exactly the chosen modules, are removed afterwards, and leave dense logits bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture.hooks import LayerConfig, LayerState, sparsified  # noqa: E402
from accelsim.capture.models import find_targets  # noqa: E402
from accelsim.masks import topn_mask, unpack_mask  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from tests.support.capture_tiny import TARGET_LEAVES, tiny_llama  # noqa: E402


def _ids(n=24, seed=0):
    return torch.randint(2, 64, (1, n), generator=torch.Generator().manual_seed(seed))


def _hook_count(model):
    return sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules())


def test_find_targets_are_the_seven_projections_of_every_block():
    model = tiny_llama(layers=2)
    names = find_targets(model, TARGET_LEAVES)
    assert len(names) == 2 * 7
    assert all(n.rsplit(".", 1)[-1] in TARGET_LEAVES for n in names)
    assert "lm_head" not in names


def test_find_targets_names_missing_module_and_lists_existing():
    model = tiny_llama()
    with pytest.raises(ValueError, match="c_attn") as e:
        find_targets(model, ["q_proj", "c_attn"])
    assert "down_proj" in str(e.value)  # the message lists what exists


def test_hooks_fire_on_exactly_chosen_modules_and_are_removed():
    model = tiny_llama()
    chosen = ["model.layers.0.self_attn.k_proj", "model.layers.1.mlp.down_proj"]
    states = {n: LayerState(LayerConfig(n, Pattern.parse("2:4"))) for n in chosen}
    before = _hook_count(model)
    with sparsified(model, states):
        assert _hook_count(model) == before + 2 * len(chosen)
        model(input_ids=_ids())
    assert _hook_count(model) == before
    assert [states[n].recording.calls for n in chosen] == [1, 1]
    assert all(st.recording.tokens_seen == 24 for st in states.values())
    # Other modules were not touched: a fresh state on an unchosen module never ran.
    model(input_ids=_ids())
    assert [states[n].recording.calls for n in chosen] == [1, 1]


def test_hooks_removed_after_exception():
    model = tiny_llama()
    states = {"model.layers.0.mlp.up_proj": LayerState(LayerConfig("model.layers.0.mlp.up_proj", Pattern.parse("2:4")))}
    before = _hook_count(model)
    with pytest.raises(RuntimeError, match="boom"), sparsified(model, states):
        raise RuntimeError("boom")
    assert _hook_count(model) == before


def test_unknown_module_name_rejected():
    model = tiny_llama()
    with pytest.raises(ValueError, match="not in the model"), sparsified(model, {"nope": LayerState(LayerConfig("nope", Pattern.parse("2:4")))}):
        pass


def test_dense_pattern_logits_bit_identical_and_masks_all_ones():
    model = tiny_llama()
    ids = _ids(40)
    with torch.no_grad():
        ref = model(input_ids=ids).logits.clone()
        names = find_targets(model, TARGET_LEAVES)
        states = {n: LayerState(LayerConfig(n, Pattern.parse("dense"), mitigation="dpts", record_tokens=16)) for n in names}
        with sparsified(model, states):
            out = model(input_ids=ids).logits
    assert torch.equal(ref, out)
    for st in states.values():
        assert unpack_mask(np.concatenate(st.recording.masks), 32 if "down" not in st.name else 64).all()


def test_sparse_pattern_changes_logits_and_layer_sees_masked_input():
    """A spy pre-hook registered after ours sees exactly x * topn_mask(|x|) (NumPy reference)."""
    model = tiny_llama()
    name = "model.layers.1.mlp.down_proj"
    mod = dict(model.named_modules())[name]
    seen = {}
    with torch.no_grad():
        ref = model(input_ids=_ids()).logits.clone()
        orig = mod.register_forward_pre_hook(lambda m, a: seen.__setitem__("x", a[0].reshape(-1, a[0].shape[-1]).clone()))
        states = {name: LayerState(LayerConfig(name, Pattern.parse("4:8"), record_tokens=100))}
        with sparsified(model, states):
            spy = mod.register_forward_pre_hook(lambda m, a: seen.__setitem__("x_in", a[0].reshape(-1, a[0].shape[-1]).clone()))
            out = model(input_ids=_ids()).logits
            spy.remove()
        orig.remove()
    x = seen["x"].numpy()
    keep = topn_mask(np.abs(x), Pattern.parse("4:8"))
    np.testing.assert_array_equal(seen["x_in"].numpy(), np.where(keep, x, 0))
    np.testing.assert_array_equal(unpack_mask(states[name].recording.masks[0], 64), keep)
    assert not torch.equal(ref, out)
    assert keep.sum(axis=1).tolist() == [32] * x.shape[0]


def test_layer_config_resolves_method_names_through_the_registry():
    cfg = LayerConfig("l", Pattern.parse("2:4"), criterion="Wanda", mitigation="D-PTS")
    assert (cfg.criterion.name, cfg.mitigation.name) == ("wanda", "dpts")
    with pytest.raises(ValueError, match="unknown mitigation 'bogus'"):
        LayerConfig("l", Pattern.parse("2:4"), mitigation="bogus")


@pytest.mark.parametrize("mitigation, message", [("spts", "S-PTS saw no calibration tokens"), ("lpts", "L-PTS shift was not fitted")])
def test_calibrated_mitigation_without_calibration_input_refuses_to_freeze(mitigation, message):
    st = LayerState(LayerConfig("l", Pattern.parse("2:4"), mitigation=mitigation))
    st.start_calibration()
    assert st.calibrating
    with pytest.raises(RuntimeError, match=message):
        st.freeze_calibration()


def test_calibration_pass_records_nothing_and_lpts_shift_is_used_afterwards():
    model = tiny_llama()
    name = "model.layers.0.mlp.down_proj"
    cfg = LayerConfig(name, Pattern.parse("2:4"), mitigation="lpts", record_tokens=100)
    st = LayerState(cfg)
    with torch.no_grad():
        st.start_calibration()
        with sparsified(model, {name: st}):
            model(input_ids=_ids(seed=1))
        st.freeze_calibration()
        assert st.recording.masks == [] and st.recording.tokens_seen == 0 and st.recording.calls == 1
        shift = st.calibration.shift
        assert shift is not None and shift.shape == (64,) and not st.calibrating
        with sparsified(model, {name: st}):
            model(input_ids=_ids())
    assert st.recording.tokens_seen == 24 and st.recording.recorded == 24
    assert torch.equal(st.calibration.shift, shift)  # fitted once, on calibration input only
