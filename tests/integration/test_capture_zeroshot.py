"""The optional lm-eval path: zero-shot accuracy of the captured, *hooked* model, stored in the manifest.

Skipped when lm-eval is not installed (CI installs only ``.[test]``).  The golden values are computed here without
lm-eval: each choice's log-likelihood is the sum of log-softmax over the continuation tokens, from one forward pass of
the same model under the same hooks (accelsim.capture.hooks.sparsified), and accuracy is the argmax's agreement.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from accelsim.capture import CaptureConfig, capture
from accelsim.capture.hooks import LayerConfig, LayerState, sparsified
from accelsim.capture.models import LoadedModel, ModelSpec, find_targets
from accelsim.patterns import Pattern
from tests.support.capture_tiny import TARGET_LEAVES, corpus_file, tiny_fast_tokenizer, tiny_llama

pytest.importorskip("lm_eval", reason="lm-eval not installed (pip install -e '.[zeroshot]')")

TASKS = Path(__file__).resolve().parents[1] / "data" / "zeroshot"
TASK = "accelsim_tiny_mc"


@pytest.fixture
def offline_tasks(monkeypatch, tmp_path):
    """The task's data_files path is relative: run from its folder; keep datasets' cache out of the home directory."""
    monkeypatch.chdir(TASKS)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def _loaded(seed: int = 0) -> LoadedModel:
    spec = ModelSpec(name="tiny-llama", hub_id="tiny-llama", architecture="llama", sparsify=TARGET_LEAVES, source="local")
    return LoadedModel(model=tiny_llama(seed), tokenizer=tiny_fast_tokenizer(), spec=spec,
                       info={"id": "tiny-llama", "weights_sha256": "random-init", "architecture": "LlamaForCausalLM"})


def _docs() -> list[dict]:
    return [json.loads(line) for line in (TASKS / "tiny_mc.jsonl").read_text().splitlines() if line.strip()]


def _golden_accuracy(lm: LoadedModel, pattern: str) -> tuple[float, list[list[float]]]:
    """Accuracy and per-choice log-likelihoods, by hand: context "question", continuation " choice" (lm-eval's default
    target delimiter is one space), scored from one forward pass of [context + continuation]."""
    tok, model = lm.tokenizer, lm.model
    states = {n: LayerState(LayerConfig(n, Pattern.parse(pattern), "magnitude", "none"))
              for n in find_targets(model, TARGET_LEAVES)}
    hits, lls = 0, []
    with torch.no_grad(), sparsified(model, states):
        for d in _docs():
            ctx = tok(d["question"], add_special_tokens=False)["input_ids"]
            row = []
            for choice in d["choices"]:
                cont = tok(" " + choice, add_special_tokens=False)["input_ids"]
                ids = torch.tensor([ctx + cont])
                logp = torch.log_softmax(model(ids).logits[0].double(), dim=-1)
                row.append(float(sum(logp[len(ctx) - 1 + i, t] for i, t in enumerate(cont))))
            lls.append(row)
            hits += max(range(len(row)), key=row.__getitem__) == d["answer"]
    return hits / len(lls), lls


def _flat(rows: list[list[float]]) -> list[float]:
    return [x for r in rows for x in r]


def _cfg(tmp_path, patterns=("dense", "8:16")) -> CaptureConfig:
    return CaptureConfig(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=patterns, seq_len=32,
                         eval_tokens=64, trace_tokens=8, out=tmp_path / "traces", progress=False,
                         zeroshot_tasks=(TASK,), zeroshot_include=TASKS)


def test_zeroshot_loglikelihoods_are_those_of_the_hooked_model(offline_tasks):
    from accelsim.capture import zeroshot

    for pattern in ("dense", "2:4"):
        lm = _loaded()
        want_acc, want_ll = _golden_accuracy(lm, pattern)
        states = {n: LayerState(LayerConfig(n, Pattern.parse(pattern), "magnitude", "none"))
                  for n in find_targets(lm.model, TARGET_LEAVES)}
        with sparsified(lm.model, states):
            raw = zeroshot.evaluate_tasks(lm.model, lm.tokenizer, [TASK], TASKS, log_samples=True)
        got = sorted(raw["samples"][TASK], key=lambda s: s["doc_id"])
        got_ll = [[float(r[0][0]) for r in s["resps"]] for s in got]
        assert _flat(got_ll) == pytest.approx(_flat(want_ll), abs=1e-4), pattern
        assert zeroshot.summarise(raw)["tasks"][TASK]["metrics"]["acc"] == pytest.approx(want_acc)
    # the hooks matter: 2:4 changes the log-likelihoods (else the check above could not tell hooked from dense)
    assert _flat(_golden_accuracy(_loaded(), "2:4")[1]) != pytest.approx(_flat(_golden_accuracy(_loaded(), "dense")[1]), abs=1e-4)


def test_capture_writes_zeroshot_beside_perplexity(offline_tasks, tmp_path):
    cfg = _cfg(tmp_path)
    paths = capture(cfg, _loaded())
    for p, pattern in zip(paths, ("dense", "8:16")):
        m = json.loads((p / "manifest.json").read_text())
        zs = m["zeroshot"]
        assert m["accuracy"]["perplexity"] > 1  # beside perplexity, not instead of it
        assert zs["tasks"][TASK]["documents"] == len(_docs())
        assert zs["tasks"][TASK]["metrics"]["acc"] == pytest.approx(_golden_accuracy(_loaded(), pattern)[0])
        assert zs["harness"].startswith("lm-eval ")
    # the run ids hash the zero-shot settings, so a capture without them does not reuse these runs
    assert {p.name for p in paths}.isdisjoint(r.run_id(replace(cfg, zeroshot_tasks=())) for r in cfg.runs())


def test_unknown_task_is_a_clear_error(offline_tasks):
    from accelsim.capture import zeroshot

    lm = _loaded()
    with pytest.raises(ValueError, match="no task"):
        zeroshot.evaluate_tasks(lm.model, lm.tokenizer, ["no_such_task_xyz"], TASKS)


def test_cli_zeroshot_with_no_progress_draws_no_bar(tmp_path):
    import os
    import subprocess
    import sys

    from tests.support.capture_tiny import save_tiny_checkpoint

    model = save_tiny_checkpoint(tmp_path / "tiny")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TQDM_", "HF_HUB_DISABLE", "HF_DATASETS_DISABLE"))}
    env.update(ACCELSIM_CACHE=str(tmp_path / "cache"), HF_DATASETS_CACHE=str(tmp_path / "hf"), HF_DATASETS_OFFLINE="1",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "accelsim.capture", "--model", str(model), "--dataset", str(corpus_file(tmp_path)),
           "--patterns", "dense,2:4", "--seq-len", "32", "--eval-tokens", "64", "--threads", "1", "--out", str(tmp_path / "t"),
           "--zeroshot-tasks", TASK, "--zeroshot-include", str(TASKS)]
    loud = subprocess.run(cmd, cwd=TASKS, capture_output=True, text=True, timeout=300, env=env)
    assert loud.returncode == 0, loud.stderr
    assert "loglikelihood requests" in loud.stderr  # control: lm-eval draws its request bar by default
    quiet = subprocess.run([*cmd, "--no-progress", "--force"], cwd=TASKS, capture_output=True, text=True, timeout=300, env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert "it/s]" not in quiet.stderr and "%|" not in quiet.stderr, quiet.stderr
