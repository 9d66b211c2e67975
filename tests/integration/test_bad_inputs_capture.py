"""Adversarial captures (issue 10): provenance identifies code and data, resume reuses only what this code and
data would make, and bad outputs or datasets fail with one line before the model is loaded."""

import os
import subprocess
import sys
import threading

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import accelsim.capture.run as run_mod  # noqa: E402
from accelsim.capture.config import CaptureConfig  # noqa: E402
from accelsim.capture.run import capture  # noqa: E402
from accelsim.traces import read_manifest  # noqa: E402
from tests.support.capture_tiny import corpus_file, tiny_loaded  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cfg(tmp_path, **kw):
    base = dict(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=("dense", "2:4"), seq_len=32,
                eval_tokens=96, calib_tokens=64, trace_tokens=40, out=tmp_path / "traces", progress=False)
    return CaptureConfig(**{**base, **kw})


def _count_runs(monkeypatch):
    calls = []
    real = run_mod._run_one
    monkeypatch.setattr(run_mod, "_run_one", lambda s, r: calls.append(r.pattern) or real(s, r))
    return calls


def test_manifest_records_code_and_data_hashes(tmp_path):
    paths = capture(_cfg(tmp_path), tiny_loaded())
    prov = read_manifest(paths[1]).extra["provenance"]
    assert set(prov) >= {"code", "git_commit", "accelsim_version", "source_sha256", "data_sha256"}
    assert len(prov["source_sha256"]) == 64 and len(prov["data_sha256"]) == 64
    assert read_manifest(paths[1]).model_info["weights_sha256"]


def test_resume_recomputes_when_the_dataset_text_changes(tmp_path, monkeypatch, capsys):
    cfg = _cfg(tmp_path)
    capture(cfg, tiny_loaded())
    calls = _count_runs(monkeypatch)
    capture(cfg, tiny_loaded())
    assert calls == []
    p = corpus_file(tmp_path)
    p.write_text(p.read_text().replace("e", "a"))  # same path, other content
    capsys.readouterr()
    capture(cfg, tiny_loaded())
    assert calls == ["dense", "2:4"]
    assert "the dataset text changed" in capsys.readouterr().err


def test_resume_recomputes_when_the_capture_code_changes(tmp_path, monkeypatch, capsys):
    cfg = _cfg(tmp_path)
    capture(cfg, tiny_loaded())
    calls = _count_runs(monkeypatch)
    real = run_mod.code_provenance
    monkeypatch.setattr(run_mod, "code_provenance", lambda: {**real(), "source_sha256": "0" * 64, "code": "other"})
    capture(cfg, tiny_loaded())
    assert calls == ["dense", "2:4"] and "the capture code changed" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["file", "readonly"])
def test_unwritable_out_fails_before_any_run(tmp_path, monkeypatch, kind):
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("x")
    else:
        out.mkdir()
        out.chmod(0o500)
        if os.access(out, os.W_OK):
            pytest.skip("running as root: a read-only directory is still writable")
    calls = _count_runs(monkeypatch)
    with pytest.raises(ValueError, match="is a file|is not writable"):
        capture(_cfg(tmp_path, out=out), tiny_loaded())
    assert calls == []


def test_cli_unwritable_out_is_one_line_before_loading(tmp_path):
    out = tmp_path / "f"
    out.write_text("x")
    r = subprocess.run([sys.executable, "-m", "accelsim.capture", "--preset", "quick", "--out", str(out), "--no-progress"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2 and "Traceback" not in r.stderr and "is a file" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_random_bytes_are_not_a_dataset(tmp_path, monkeypatch):
    bad = tmp_path / "noise.txt"
    bad.write_bytes(os.urandom(20000))
    calls = _count_runs(monkeypatch)
    with pytest.raises(ValueError, match="not UTF-8 text|does not look like text"):
        capture(_cfg(tmp_path, dataset=str(bad)), tiny_loaded())
    ctrl = tmp_path / "ctrl.txt"
    ctrl.write_text("".join(chr(i % 32) for i in range(5000)))  # valid UTF-8, control characters
    with pytest.raises(ValueError, match="does not look like text: only"):
        capture(_cfg(tmp_path, dataset=str(ctrl)), tiny_loaded())
    assert calls == []


def test_two_captures_into_one_directory_do_not_both_compute(tmp_path, monkeypatch):
    cfg = _cfg(tmp_path)
    started, release = threading.Event(), threading.Event()
    real = run_mod._run_one

    def slow(s, r):
        started.set()
        release.wait(30)
        return real(s, r)

    monkeypatch.setattr(run_mod, "_run_one", slow)
    first = threading.Thread(target=capture, args=(cfg, tiny_loaded()))
    first.start()
    try:
        assert started.wait(30)
        with pytest.raises(ValueError, match="another capture is writing into"):
            capture(cfg, tiny_loaded())
    finally:
        release.set()
        first.join(60)
