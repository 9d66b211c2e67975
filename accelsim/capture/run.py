"""Front door of capture: ``capture(config) -> list[Path]`` (one trace directory per configuration).

For each configuration (dense reference first, then patterns x criteria x mitigations, then weight pruning) it
evaluates perplexity with the chosen layers sparsified, records bit-packed masks and per-layer error statistics,
and writes ``traces/<run-id>/`` atomically with a manifest holding the resolved config, accuracy (with the dense
perplexity), protocol, model info (with a weights hash), package versions and seed.  A complete run directory is
skipped (resume); ``force`` recomputes.  Weight-pruning runs (``manifest.config.sparsify == "weights"``) prune the
weights and leave the activations dense: their trace layers carry all-ones activation masks with pattern "dense"
and the weight masks pruning applied (``weight_masks.safetensors``, per layer ``weight_pattern``).  Dual-side runs
(``"both"``) prune the weights to ``--weight-pattern`` and sparsify the activations; they store both masks.
Weight masks are stored for the traced layers only (``trace_filter``), like activation masks.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from accelsim.capture.config import CaptureConfig, RunSpec
from accelsim.capture.criteria import column_factor
from accelsim.capture.data import check_corpus_size, load_corpus, token_windows
from accelsim.capture.hooks import LayerConfig, LayerState, sparsified
from accelsim.capture.mitigations import LptsSettings
from accelsim.capture.models import (
    LoadedModel,
    check_seq_len,
    config_context_length,
    find_targets,
    load_model,
    place,
    resolve_device,
    resolve_model,
)
from accelsim.capture.perplexity import forward_base, perplexity
from accelsim.capture.quiet import library_bars_off
from accelsim.capture.table import format_table
from accelsim.capture.weight_pruning import input_channel_norms, needs_input_norms, pruned_weights
from accelsim.io import LockBusy, exclusive_lock, package_versions, provenance
from accelsim.methods import criterion, mitigation
from accelsim.patterns import Pattern
from accelsim.traces import (
    Accuracy,
    LayerTrace,
    Manifest,
    RunConfig,
    Trace,
    TraceError,
    is_complete_trace,
    read_manifest,
    save_trace,
)

__all__ = ["capture", "versions", "format_table", "code_provenance", "data_sha256"]  # format_table lives in table.py

#: the code a trace depends on: its provenance hashes these (a change elsewhere, e.g. in the report, keeps traces valid)
CAPTURE_CODE = ("capture", "masks", "methods.py", "patterns.py", "traces.py", "manifest.py")


def code_provenance() -> dict[str, str]:
    """Git commit / package version and the source hash of the code that makes traces (:data:`CAPTURE_CODE`)."""
    return provenance(*CAPTURE_CODE)


def data_sha256(corpus) -> str:
    """Content hash of the text a capture reads (evaluation part, then calibration part)."""
    h = hashlib.sha256()
    for part in (corpus.eval_text, corpus.calib_text):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def versions() -> dict[str, str]:
    """Package versions, and the CPU kind (``cpu_capability``: :func:`cpu_kind`): sparse results repeat exactly only
    on the same one (docs/capture.md, "Repeatability across CPUs")."""
    out = package_versions(("accelsim", "torch", "transformers", "tokenizers", "numpy", "safetensors", "gguf", "accelerate"))
    out["cpu_capability"] = cpu_kind()
    return out


@functools.lru_cache(maxsize=1)
def cpu_kind() -> str:
    """torch's CPU kernel level and a short hash of the CPU's feature flags (Linux ``/proc/cpuinfo``): two machines
    with the same string run the same float32 kernels (e.g. "AVX512/flags-3f2a9c01"; no hash where there is no
    cpuinfo)."""
    level = str(torch.backends.cpu.get_cpu_capability())
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), None)
    except OSError:
        flags = None
    return f"{level}/flags-{hashlib.sha256(' '.join(sorted(flags)).encode()).hexdigest()[:8]}" if flags else level


class _Session:
    """Model, data and calibration shared by the runs of one capture call (loaded lazily)."""

    def __init__(self, cfg: CaptureConfig, lm: LoadedModel | None = None, corpus=None):
        self.cfg = cfg
        self.corpus = corpus or load_corpus(cfg.dataset, cfg.data_dir)  # the data first: a bad file fails before the model loads
        self.lm = lm or load_model(resolve_model(cfg.model), cfg.cache_dir, cfg.progress, cfg.device, cfg.dtype)
        if lm is not None:
            place(lm, cfg.device, cfg.dtype)
        limit = config_context_length(self.lm.model.config.to_dict())  # the loaded model's own context
        check_seq_len(self.lm.spec, cfg.seq_len, cfg.cache_dir, limit)
        self.targets = find_targets(self.lm.model, list(cfg.modules or self.lm.spec.sparsify))
        tok, bos = self.lm.tokenizer, self.lm.spec.add_bos
        self.window_starts: list[int] = []
        self.eval_ids = token_windows(tok, self.corpus.eval_text, cfg.seq_len, cfg.eval_windows, bos, "evaluation", cfg.windows,
                                      cfg.seed, self.window_starts)
        self.calib_ids = None
        if cfg.needs_calibration:
            self.calib_ids = token_windows(tok, self.corpus.calib_text, cfg.seq_len, cfg.calib_windows, bos, "calibration")
        self._col_norms = None

    def traced(self, name: str) -> bool:
        return not self.cfg.trace_filter or any(f in name for f in self.cfg.trace_filter)

    def calibrate(self) -> None:
        with torch.no_grad():
            forward_base(self.lm.model, self.calib_ids)

    def col_norms(self) -> dict:
        if self._col_norms is None:
            self._col_norms = input_channel_norms(self.lm.model, self.targets, self.calibrate)
        return self._col_norms

    def protocol(self, res: dict, run: RunSpec) -> dict:
        leaf = sorted({t.rsplit(".", 1)[-1] for t in self.targets})
        acts = f"inputs of {len(self.targets)} nn.Linear layers ({', '.join(leaf)}) on every token of every window"
        wts = f"weights of {len(self.targets)} nn.Linear layers ({', '.join(leaf)})"
        if run.sparsify == "both":
            wp, wc = run.weights_pruned
            what = f"{wts} ({wp}, {wc}, pruned first) and the {acts}"
        else:
            what = acts if run.sparsify == "activations" else wts
        return {
            "dataset": self.corpus.name, "split": "evaluation part", "parts": self.corpus.parts,
            "seq_len": self.cfg.seq_len, "windows": res["windows"], "tokens_scored": res["tokens_scored"],
            "bos_per_window": self.lm.spec.add_bos,
            "batch": f"{self.cfg.batch_size} window(s) per forward pass, no overlap, no carried context",
            "placement": ("windows at seeded random places over the whole evaluation part, in text order" if self.cfg.windows == "spread"
                          else "consecutive windows from the start of the evaluation part"),
            "device": self.lm.info.get("device", "cpu"), "dtype": self.lm.info.get("dtype", "float32"),
            "metric": "exp(mean next-token NLL over all predicted tokens)",
            "sparsified": "nothing (dense reference)" if run.is_dense_reference else what,
            **({"plan": f"{run.plan_name}: {run.plan}"} if run.plan is not None else {}),
            "calibration": (f"{self.cfg.calib_windows} x {self.cfg.seq_len} tokens of the calibration part"
                            if self.cfg.needs_calibration else "none"),
        }


def _layer_configs(s: _Session, run: RunSpec, pat: Pattern) -> dict[str, LayerConfig]:
    """The frozen per-layer settings of ``run`` for every target layer."""
    cfg, modules = s.cfg, dict(s.lm.model.named_modules())
    act = run.activations_sparse
    crit, mit = criterion(run.criterion), mitigation(run.mitigation)
    lpts = LptsSettings(cfg.lpts_tokens, cfg.lpts_steps, cfg.lpts_lr)
    if run.plan is not None:  # a layer-adaptive run; a rule matching no target layer is an error (a typo'd glob)
        per_layer = run.plan.resolve(list(s.targets))
    return {n: LayerConfig(n, per_layer[n] if run.plan is not None else pat, crit, mit, factor=_factor(crit, modules[n].weight, cfg.seed, n) if act else None,
                           record_tokens=cfg.trace_tokens if s.traced(n) else 0, record_values=cfg.trace_values, lpts=lpts)
            for n in s.targets}


def _factor(crit, weight: torch.Tensor, seed: int, name: str) -> torch.Tensor | None:
    """The criterion's column factor, computed on the CPU in float32 (the same on every device and dtype), then
    placed on the weight's device in its dtype."""
    f = column_factor(crit, weight.detach().float().cpu(), seed, name)
    return None if f is None else f.to(device=weight.device, dtype=weight.dtype)


def _calibrate(s: _Session, run: RunSpec, states: dict[str, LayerState]) -> dict:
    """A calibration pass that fixes each layer's stored shift; returns its time and mean |shift|."""
    t0 = time.perf_counter()
    with tqdm(total=len(states), desc=f"calibrate {run.mitigation} {run.pattern}", disable=not s.cfg.progress, leave=False) as bar:
        for st in states.values():
            st.start_calibration(lambda: bar.update(1))
        with sparsified(s.lm.model, states):
            s.calibrate()
    for st in states.values():
        st.freeze_calibration()
    shifts = [st.calibration.shift.float() for st in states.values()]
    return {"calibration_seconds": time.perf_counter() - t0,
            "shift_mean_abs": float(np.mean([float(x.abs().mean()) for x in shifts]))}


def _layer_traces(s: _Session, states: dict[str, LayerState], pat: Pattern, wmasks: dict[str, np.ndarray],
                  wpat: Pattern | None) -> list[LayerTrace]:
    modules = dict(s.lm.model.named_modules())
    layers = []
    for n, st in states.items():
        if not s.traced(n):
            continue
        lin = modules[n]
        wm = wmasks.get(n) if wpat is not None else None
        layers.append(LayerTrace(n, lin.in_features, lin.out_features, str(st.config.pattern), st.recording.packed_masks(lin.in_features),
                                 tokens_total=st.recording.tokens_seen, values=st.recording.value_rows(),
                                 weight_mask=wm, weight_pattern=wpat if wm is not None else None))
    return layers


def _run_one(s: _Session, run: RunSpec) -> tuple[dict, list[LayerTrace], dict]:
    """One run: prune the weights (weights, both), then build the activation hooks on the weights as run (so a
    criterion's weight-column factor and a calibrated shift see the pruned weights), calibrate, evaluate."""
    cfg, model = s.cfg, s.lm.model
    act = run.activations_sparse
    pat = Pattern.parse(run.pattern if act else "dense")
    extra: dict = {}
    wmasks: dict[str, np.ndarray] = {}
    wpat = None
    with contextlib.ExitStack() as stack:
        if run.weights_pruned is not None:
            wp, wc = run.weights_pruned
            wpat = Pattern.parse(wp)
            norms = s.col_norms() if needs_input_norms(wc) else None  # dense calibration pass, before pruning
            kept = stack.enter_context(pruned_weights(model, s.targets, wpat, wc, norms, masks_out=wmasks, record=s.traced))
            extra["weight_density"] = float(np.mean(list(kept.values())))
        states = {n: LayerState(c) for n, c in _layer_configs(s, run, pat).items()}
        if act and any(st.config.pattern.kind != "dense" for st in states.values()) and mitigation(run.mitigation).calibrated:
            extra.update(_calibrate(s, run, states))

        def on_window(i: int) -> None:
            for st in states.values():
                st.stats.enabled = i < cfg.stats_windows

        desc = f"{run.sparsify[:4]} {'plan ' + run.plan_name if run.plan is not None else run.pattern} {run.criterion}/{run.mitigation}"
        if run.sparsify == "both":
            desc += f" w{run.weight_pattern}/{run.weight_criterion}"
        with sparsified(model, states):
            res = perplexity(model, s.eval_ids, on_window, cfg.progress, desc, cfg.batch_size)
            # Traces and error statistics describe the perplexity windows only: read them before lm-eval's forwards.
            layers = _layer_traces(s, states, pat, wmasks, wpat)
            extra["layer_stats"] = {n: st.error_stats() for n, st in states.items() if st.error_stats()}
            if cfg.zeroshot_tasks:
                for st in states.values():
                    st.stats.enabled = False
                extra["zeroshot"] = _zeroshot(s)
    return res, layers, extra


def _zeroshot(s: _Session) -> dict:
    """lm-eval accuracy of the model as hooked now (the run's sparsity active), for the manifest."""
    from accelsim.capture import zeroshot

    cfg = s.cfg
    t0 = time.perf_counter()
    limit = cfg.zeroshot_limit or None
    raw = zeroshot.evaluate_tasks(s.lm.model, s.lm.tokenizer, cfg.zeroshot_tasks, cfg.zeroshot_include, limit,
                                  batch_size=cfg.batch_size, seed=cfg.seed, progress=cfg.progress)
    return {**zeroshot.summarise(raw, limit), "seconds": time.perf_counter() - t0}


def _dense_ppl_from(path: Path) -> float | None:
    try:
        acc = read_manifest(path).accuracy
    except TraceError:
        return None
    return acc.perplexity if acc else None


def _manifest(s: _Session, run: RunSpec, res: dict, dense_ppl: float | None, extra: dict, prov: dict) -> Manifest:
    settings = dict(s.cfg.common(), modules=sorted({t.rsplit(".", 1)[-1] for t in s.targets}))
    for k in ("model", "dataset"):
        settings.pop(k)
    if run.plan is not None:
        settings.update(plan=run.plan.to_dict(), plan_name=run.plan_name)
    wp, wc = run.weights_pruned or (None, None)
    config = RunConfig(pattern=Pattern.parse(run.pattern), criterion=criterion(run.criterion), mitigation=mitigation(run.mitigation),
                       sparsify=run.sparsify, model=s.cfg.model, dataset=s.cfg.dataset, settings=settings,
                       weight_pattern=Pattern.parse(wp) if wp else None, weight_criterion=criterion(wc) if wc else None)  # fmt: skip
    return Manifest(
        config=config,
        accuracy=Accuracy(res["perplexity"], res["nll"], res["tokens_scored"], dense_ppl),
        protocol=s.protocol(res, run),
        model_info=s.lm.info,
        versions=versions(),
        seed=s.cfg.seed,
        extra={"seconds": res["seconds"], "provenance": prov, "window_nll": res["window_nll"],
               "window_starts": s.window_starts, "window_seconds": res["window_seconds"],
               "window_cpu_seconds": res["window_cpu_seconds"], **extra},
    )


def _stale(path: Path, prov: dict) -> str | None:
    """Why the complete trace at ``path`` cannot be reused (None: it can): other code or other data made it."""
    try:
        old = read_manifest(path).extra.get("provenance") or {}
    except TraceError as e:
        return str(e)
    if not old:
        return "it records no code or data hash (made by an older accelsim)"
    if old.get("data_sha256") != prov["data_sha256"]:
        return f"the dataset text changed (sha256 {str(old.get('data_sha256'))[:12]} -> {prov['data_sha256'][:12]})"
    if old.get("source_sha256") != prov["source_sha256"]:
        return f"the capture code changed ({old.get('code')} -> {prov['code']})"
    return None


def _lock(out: Path):
    """Check ``out`` is a writable directory (before anything loads) and hold its capture lock (``io.exclusive_lock``:
    filelock, portable where ``fcntl`` is not; the OS drops it when the holder dies)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a directory; pass a directory for the traces")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".capture.lock"
        probe.touch()
    except OSError as e:
        raise ValueError(f"--out {out} is not writable ({e.strerror}); pass a directory you can write to") from None
    try:
        return exclusive_lock(probe)
    except LockBusy:
        raise ValueError(f"another capture is writing into {out}; wait for it to finish (its runs are then reused) or pass another --out") from None


def _check_before_loading(cfg: CaptureConfig, lm: LoadedModel | None, corpus) -> None:
    """ValueError before the model loads: ``seq_len`` beyond the model's context (registry TOML or cached config.json;
    the loaded model's own config when ``lm`` is given) or a corpus too short for the windows."""
    spec = lm.spec if lm is not None else resolve_model(cfg.model)
    limit = config_context_length(lm.model.config.to_dict()) if lm is not None else None
    check_seq_len(spec, cfg.seq_len, cfg.cache_dir, limit)
    check_corpus_size(corpus, cfg.seq_len, cfg.eval_windows, cfg.calib_windows if cfg.needs_calibration else None, spec.add_bos)
    if cfg.zeroshot_tasks:
        from accelsim.capture import zeroshot

        if not zeroshot.available():
            raise RuntimeError(f"--zeroshot-tasks {','.join(cfg.zeroshot_tasks)}: {zeroshot.INSTALL_HINT}")


def capture(cfg: CaptureConfig, lm: LoadedModel | None = None) -> list[Path]:
    """Run every configuration of ``cfg``; returns the trace directories (dense reference first).

    ``lm``: an already loaded model (tests pass a tiny one); otherwise ``cfg.model`` is resolved and loaded.
    Before anything loads, ``seq_len`` is checked against the model's context and the corpus against the token
    budget (ValueError), as the CLI does; after loading, ``seq_len`` is checked against the loaded model's config.
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    cfg = replace(cfg, device=resolve_device(cfg.device))  # "auto" -> cpu or cuda, before run ids are hashed
    torch.manual_seed(cfg.seed)
    lock = _lock(Path(cfg.out))
    try:
        with library_bars_off(cfg.progress):
            paths = _capture_locked(cfg, lm)
    finally:
        lock.release()
    print(format_table(paths))
    return paths


def _capture_locked(cfg: CaptureConfig, lm: LoadedModel | None) -> list[Path]:
    """The body of :func:`capture`, holding the output directory's lock."""
    corpus = load_corpus(cfg.dataset, cfg.data_dir)
    _check_before_loading(cfg, lm, corpus)
    prov = {**code_provenance(), "data_sha256": data_sha256(corpus)}
    runs = cfg.runs()
    paths = [cfg.out / r.run_id(cfg) for r in runs]
    todo = []
    for r, p in zip(runs, paths):
        why = None if cfg.force or not is_complete_trace(p) else _stale(p, prov)
        if why is not None:
            print(f"resume: recomputing {p.name}: {why}", file=sys.stderr)
        if cfg.force or not is_complete_trace(p) or why is not None:
            todo.append((r, p))
    if len(todo) < len(runs):
        print(f"resume: {len(runs) - len(todo)} of {len(runs)} runs already complete in {cfg.out} with this code and data "
              "(use --force to redo)", file=sys.stderr)  # fmt: skip
    redo = {p for _, p in todo}
    dense_ppl = None if cfg.force or paths[0] in redo else _dense_ppl_from(paths[0])
    if todo:
        s = _Session(cfg, lm, corpus)
        for run, path in tqdm(todo, desc="capture", disable=not cfg.progress or len(todo) < 2):
            res, layers, extra = _run_one(s, run)
            if run.is_dense_reference:
                dense_ppl = res["perplexity"]
            manifest = _manifest(s, run, res, dense_ppl, extra, prov)
            save_trace(Trace(run_id=path.name, layers=tuple(layers), manifest=manifest), path)
    return paths
