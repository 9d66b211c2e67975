"""Zero-shot task accuracy of the captured, hooked model through EleutherAI's lm-evaluation-harness (optional).

lm-eval is an optional dependency (``pip install -e '.[zeroshot]'``); it is imported only when a capture names tasks.
The model is handed to lm-eval as an already-built ``transformers`` model (lm-eval's ``HFLM`` accepts one), so the
forward pre-hooks that sparsify the linear-layer inputs are active during every lm-eval forward pass: the accuracy is
that of the sparsified model, with the same pattern, criterion and mitigation as the perplexity beside it.

API used (lm-eval 0.4.x, https://github.com/EleutherAI/lm-evaluation-harness, docs/python-api.md):
``lm_eval.simple_evaluate(model=HFLM(pretrained=model, tokenizer=tok), tasks=[...], task_manager=TaskManager(include_path))``.
Users with internet name the standard tasks (e.g. ``arc_easy,hellaswag,piqa``); offline, a task YAML over a local file
in ``--zeroshot-include`` works (tests/data/zeroshot/ holds one).
"""

from __future__ import annotations

import math
from pathlib import Path

__all__ = ["available", "evaluate_tasks", "summarise", "INSTALL_HINT"]

INSTALL_HINT = "zero-shot tasks need lm-eval: pip install -e '.[zeroshot]' (or pip install lm-eval)"


def available() -> bool:
    """Whether lm-eval can be imported (without importing it: it pulls in datasets, pyarrow and more)."""
    import importlib.util

    return importlib.util.find_spec("lm_eval") is not None


def _quiet_lm_eval() -> None:
    """lm-eval logs a warning per task and about the pre-built model; keep the capture's output readable."""
    import logging

    for name in ("lm-eval", "lm_eval", "lm_eval.models.huggingface", "lm_eval.evaluator"):
        logging.getLogger(name).setLevel(logging.ERROR)


def evaluate_tasks(model, tokenizer, tasks: tuple[str, ...] | list[str], include: Path | None = None, limit: int | None = None,
                   num_fewshot: int | None = None, batch_size: int = 1, seed: int = 0, log_samples: bool = False,
                   progress: bool = True) -> dict:
    """lm-eval's raw result dict for ``tasks`` on ``model`` as it is now (hooks included).

    include: a folder of extra task YAMLs (lm-eval's ``include_path``); limit: documents per task (None: all).
    RuntimeError when lm-eval is missing; ValueError when a task name is unknown to lm-eval.
    """
    try:
        import lm_eval
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None
    _quiet_lm_eval()
    tm = TaskManager(include_path=str(include) if include else None)
    unknown = [t for t in tasks if t not in tm.all_tasks]
    if unknown:
        raise ValueError(f"lm-eval knows no task {unknown}; name tasks from `lm-eval ls tasks`, or pass --zeroshot-include "
                         "with a folder of task YAMLs")
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    if not progress:  # HFLM hands tqdm an explicit disable flag, so TQDM_DISABLE cannot reach its request bars
        import functools

        for name in ("loglikelihood", "loglikelihood_rolling", "generate_until"):
            setattr(lm, name, functools.partial(getattr(lm, name), disable_tqdm=True))
    return lm_eval.simple_evaluate(model=lm, tasks=list(tasks), task_manager=tm, limit=limit, num_fewshot=num_fewshot,
                                   log_samples=log_samples, random_seed=seed, numpy_random_seed=seed, torch_random_seed=seed,
                                   fewshot_random_seed=seed, bootstrap_iters=1000)


def _number(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) else None


def summarise(raw: dict, limit: int | None = None, num_fewshot: int | None = None) -> dict:
    """The JSON-able part of lm-eval's result for the manifest: per task its metrics (``acc``, ``acc_norm``, ...) with
    lm-eval's standard errors, the documents scored, and what produced them."""
    import importlib.metadata as md

    tasks = {}
    for task, metrics in raw.get("results", {}).items():
        vals = {}
        for key, v in metrics.items():
            name, _, filt = key.partition(",")  # lm-eval keys are "metric,filter" ("acc,none", "acc_stderr,none")
            x = _number(v)
            if x is not None and name != "alias":
                vals[name if filt in ("", "none") else f"{name},{filt}"] = x
        n = raw.get("n-samples", {}).get(task, {})
        tasks[task] = {"metrics": vals, "documents": n.get("effective", n.get("original"))}
    return {"tasks": tasks, "harness": f"lm-eval {md.version('lm_eval')}", "limit": limit,
            "num_fewshot": num_fewshot if num_fewshot is not None else "task default (0 for most zero-shot tasks)",
            "versions": {t: v for t, v in raw.get("versions", {}).items()}}
