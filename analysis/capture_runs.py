"""Committed run records of the capture report: one small JSON per finished run, so the grid can be completed
across sessions and the report rebuilt on a fresh clone without the (git-ignored, large) traces.

``analysis/capture_runs/<set>/<run_id>.json`` holds what the report reads from a run's manifest (config, accuracy,
per-window NLL and window starts, error statistics, seconds) plus its full provenance: the git commit and source
hash of the capture code (``accelsim.capture.run.code_provenance``), the hash of the corpus text, package versions
and the evaluation protocol.  Rules, so that a committed number regenerates from a clean checkout:

* a run is recorded only when its code id is clean (no ``+dirty``: made from a commit, e.g. a ``git worktree``);
* a configuration is skipped only when every one of its runs has a record made by the *same* capture source hash
  and corpus hash as the code running now; any change to the capture code makes the stage recompute it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORDS = HERE / "capture_runs"


def record_from_manifest(manifest: Path, set_name: str) -> dict | None:
    """The record of one complete run (None when the manifest is incomplete)."""
    m = json.loads(manifest.read_text())
    if not m.get("complete"):
        return None
    c, a = m["config"], m["accuracy"]
    stats = m.get("layer_stats", {})
    prov = m.get("provenance") or {}
    return {
        "model": c["model"], "pattern": c["pattern"], "sparsify": c["sparsify"], "criterion": c["criterion"],
        "mitigation": c["mitigation"], "perplexity": a["perplexity"], "dense_perplexity": a["dense_perplexity"],
        "nll": a["nll"], "tokens_scored": a["tokens_scored"], "seq_len": c["seq_len"], "seconds": m.get("seconds"),
        "mean_rel_l2": sum(s["rel_l2"] for s in stats.values()) / len(stats) if stats else None,
        "mean_cosine": sum(s["cosine"] for s in stats.values()) / len(stats) if stats else None,
        "run_id": m["run_id"], "set": set_name, "parameters": (m.get("model_info") or {}).get("parameters"),
        "windows": len(m.get("window_nll") or []), "placement": (m.get("protocol") or {}).get("placement"),
        "code": prov.get("code"), "capture_source": str(prov.get("source_sha256", ""))[:12],
        "window_nll": m.get("window_nll"), "window_starts": m.get("window_starts"),
        "provenance": prov, "versions": m.get("versions"), "protocol": m.get("protocol"), "config": c,
    }  # fmt: skip


def save(trace_root: Path, set_name: str, records: Path = RECORDS) -> int:
    """Record every complete, clean run under ``trace_root`` (``<trace_root>/<run_id>/manifest.json``); returns how
    many were written.  Runs made by uncommitted code are refused with a warning (their numbers could not be
    regenerated from any commit)."""
    from accelsim.io import atomic_write_json

    n = 0
    for man in sorted(Path(trace_root).glob("*/manifest.json")):
        rec = record_from_manifest(man, set_name)
        if rec is None:
            continue
        if "+dirty" in str(rec["code"]) or not rec["provenance"].get("source_sha256"):
            print(f"capture_runs: not recording {rec['run_id']}: made by uncommitted code ({rec['code']}); run the stage "
                  "from a clean checkout (git worktree add /tmp/regen HEAD)", file=sys.stderr)
            continue
        atomic_write_json(records / set_name / f"{rec['run_id']}.json", rec)
        n += 1
    return n


def load(records: Path = RECORDS) -> list[dict]:
    """Every committed record, sorted by set and run id (the report's rows before intervals)."""
    return [json.loads(p.read_text()) for p in sorted(Path(records).glob("*/*.json"))]


def record_path(cfg, run, set_name: str, records: Path = RECORDS) -> Path:
    """Where the record of ``run`` (one of ``cfg.runs()``) lives."""
    return Path(records) / set_name / f"{run.run_id(cfg)}.json"


def recorded(cfg, set_name: str, source_sha256: str, data_sha256: str, records: Path = RECORDS) -> bool:
    """True when every run of capture config ``cfg`` has a record made by this capture source and this corpus."""
    for run in cfg.runs():
        p = record_path(cfg, run, set_name, records)
        if not p.exists():
            return False
        prov = json.loads(p.read_text()).get("provenance") or {}
        if prov.get("source_sha256") != source_sha256 or prov.get("data_sha256") != data_sha256:
            return False
    return True


def split(cfg) -> list:
    """One capture config per (sparsify, criterion, mitigation) or (weights, weight criterion): the unit a stage skips
    or reruns, so an interrupted stage loses at most one of them."""
    from dataclasses import replace

    out = []
    if "activations" in cfg.sparsify:
        out += [replace(cfg, sparsify=("activations",), criteria=(c,), mitigations=(m,))
                for c in cfg.criteria for m in cfg.mitigations]
    if "weights" in cfg.sparsify:
        out += [replace(cfg, sparsify=("weights",), weight_criteria=(w,)) for w in cfg.weight_criteria]
    return out  # fmt: skip
