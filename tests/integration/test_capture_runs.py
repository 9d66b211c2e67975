"""The capture report's committed run records (analysis/capture_runs.py) on the tiny Llama: a clean run is recorded
with its provenance and per-window NLL, a dirty one is refused, a configuration counts as done only for the same
capture source and corpus, and split() covers exactly the runs of the grid configuration it splits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "analysis"))

import capture_runs  # noqa: E402

from accelsim.capture import CaptureConfig, capture  # noqa: E402
from accelsim.capture.data import load_corpus  # noqa: E402
from accelsim.capture.run import code_provenance, data_sha256  # noqa: E402
from tests.support.capture_tiny import corpus_file, tiny_loaded  # noqa: E402


def _cfg(tmp_path, **kw):
    base = dict(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=("dense", "2:4"), seq_len=32,
                eval_tokens=128, calib_tokens=64, trace_tokens=8, out=tmp_path / "traces", progress=False)
    return CaptureConfig(**{**base, **kw})


def _clean(man: Path, code: str) -> None:
    m = json.loads(man.read_text())
    m["provenance"]["code"] = code
    man.write_text(json.dumps(m))


def test_split_covers_the_runs_of_the_grid_configuration(tmp_path):
    cfg = _cfg(tmp_path, criteria=("magnitude", "wanda"), mitigations=("none", "var"), sparsify=("activations", "weights"))
    parts = capture_runs.split(cfg)
    assert len(parts) == 2 * 2 + 2  # criteria x mitigations, then one per weight criterion
    whole = {r.run_id(cfg) for r in cfg.runs()}
    assert {r.run_id(p) for p in parts for r in p.runs()} == whole


def test_clean_runs_are_recorded_dirty_ones_refused_and_reuse_needs_the_same_source(tmp_path, capsys):
    cfg = _cfg(tmp_path)
    paths = capture(cfg, tiny_loaded())
    records = tmp_path / "records"
    # runs made by uncommitted code are refused (the test checkout may be either, so set both cases explicitly)
    for p in paths:
        _clean(p / "manifest.json", "abc123+dirty.src-0")
    assert capture_runs.save(cfg.out, "tiny", records) == 0
    assert "uncommitted code" in capsys.readouterr().err
    for p in paths:
        _clean(p / "manifest.json", "abc123")
    assert capture_runs.save(cfg.out, "tiny", records) == len(paths) == 2
    rows = capture_runs.load(records)
    assert [r["pattern"] for r in sorted(rows, key=lambda r: r["pattern"])] == ["2:4", "dense"]
    man = json.loads((paths[1] / "manifest.json").read_text())
    sparse = next(r for r in rows if r["pattern"] == "2:4")
    assert sparse["perplexity"] == man["accuracy"]["perplexity"] and sparse["window_nll"] == man["window_nll"]
    assert sparse["provenance"]["source_sha256"] == code_provenance()["source_sha256"]
    src, data = code_provenance()["source_sha256"], data_sha256(load_corpus(cfg.dataset, cfg.data_dir))
    assert capture_runs.recorded(cfg, "tiny", src, data, records)
    assert not capture_runs.recorded(cfg, "tiny", "0" * 64, data, records)  # other capture code: recompute
    assert not capture_runs.recorded(cfg, "tiny", src, "0" * 64, records)  # other corpus: recompute
    assert not capture_runs.recorded(_cfg(tmp_path, patterns=("dense", "2:4", "8:16")), "tiny", src, data, records)
