"""The capture configuration: one frozen, validated dataclass, named presets, and the run list it expands to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from accelsim import methods
from accelsim.manifest import SPARSIFY
from accelsim.patterns import Pattern
from accelsim.plans import Plan, load_plan

__all__ = ["CaptureConfig", "RunSpec", "PRESETS", "preset", "WEIGHT_CRITERIA", "FIT_SETTINGS_MITIGATIONS", "fit_settings_used",
           "DEVICES", "DTYPES", "WINDOWS"]

# This module stays torch-free (``python -m accelsim.capture --help`` must not import torch): the names below are
# the torch-free facts the torch modules agree with (tests/unit/test_capture_config.py checks they do).
CRITERIA = tuple(methods.CRITERIA)
MITIGATIONS = tuple(methods.MITIGATIONS)
WEIGHT_CRITERIA = ("magnitude", "wanda")  # the criteria of accelsim.methods that also prune weights (weight_pruning.py)
FIT_SETTINGS_MITIGATIONS = ("lpts",)  # mitigations whose result depends on lpts_steps/lr/tokens (mitigations.CALIBRATORS)
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "bfloat16", "float16")
WINDOWS = ("spread", "start")  # where the evaluation windows are taken from the evaluation split


def fit_settings_used(mitigation) -> bool:
    """Whether the L-PTS fit settings change the result of a run with ``mitigation`` (a name or registry entry)."""
    return methods.mitigation(mitigation).name in FIT_SETTINGS_MITIGATIONS

ALL_PATTERNS = ("dense", "2:4", "4:8", "8:16", "16:32", "unstructured:0.5")


@dataclass(frozen=True)
class CaptureConfig:
    """Everything a capture depends on.  Token budgets are in model tokens.

    patterns x criteria x mitigations is the cross product of activation runs; with "weights" in ``sparsify``
    also patterns x weight_criteria of weight pruning; with "both" in ``sparsify`` the dual-side runs
    patterns x criteria x mitigations x weight_criteria, each pruning the weights to ``weight_pattern`` and
    sparsifying the activations.  The dense reference is always run.
    eval_tokens: rounded down to whole windows of seq_len.  calib_tokens: calibration text for S-PTS, L-PTS and
    Wanda weights, one batch of calib_tokens // seq_len windows.  trace_tokens: mask rows stored per layer.
    trace_values: also store those rows' input activations as float16.  trace_filter: substring(s) selecting
    which sparsified layers are stored in the trace (all are sparsified; empty = all).
    stats_windows: evaluation windows on which per-layer output errors are measured (costs one dense GEMM each).
    device: cpu, cuda or auto (cuda when available); dtype: the model's float type (float32, bfloat16, float16); masks
    are computed on the device from the activations in that dtype.  batch_size: evaluation windows per forward pass.
    windows: "spread" takes eval_tokens // seq_len windows at seeded random places over the whole evaluation split
    (non-overlapping, in text order); "start" takes them from its start.
    zeroshot_tasks: lm-eval task names evaluated on each run's hooked model (needs the [zeroshot] extra; empty = none);
    zeroshot_include: a folder of extra lm-eval task YAMLs; zeroshot_limit: documents per task (0 = all).
    plans: layer-adaptive plan files (TOML/JSON, ``accelsim.plans``): each adds criteria x mitigations activation runs
    in which every sparsified layer takes the plan's pattern for it (plans are read here, so a bad file fails early).
    """

    model: str = "smollm2-135m"
    dataset: str = "brown"
    patterns: tuple[str, ...] = ALL_PATTERNS
    criteria: tuple[str, ...] = ("magnitude",)
    mitigations: tuple[str, ...] = ("none",)
    sparsify: tuple[str, ...] = ("activations",)
    weight_criteria: tuple[str, ...] = ("magnitude", "wanda")
    weight_pattern: str = "2:4"  # the weights' pattern of the dual-side ("both") runs
    modules: tuple[str, ...] = ()  # empty = the registry's list
    seq_len: int = 512
    eval_tokens: int = 16384
    calib_tokens: int = 2048
    trace_tokens: int = 2048
    trace_values: bool = False
    trace_filter: tuple[str, ...] = ()
    stats_windows: int = 1
    lpts_steps: int = 30
    lpts_lr: float = 1e-2
    lpts_tokens: int = 512
    seed: int = 0
    windows: str = "spread"
    device: str = "auto"
    dtype: str = "float32"
    batch_size: int = 1
    out: Path = Path("traces")
    force: bool = False
    threads: int = 0  # 0 = torch default
    zeroshot_tasks: tuple[str, ...] = ()
    zeroshot_include: Path | None = None
    zeroshot_limit: int = 0
    plans: tuple[str, ...] = ()
    progress: bool = True
    cache_dir: Path | None = None
    data_dir: Path | None = None

    def __post_init__(self) -> None:
        for p in self.patterns:
            Pattern.parse(p)  # raises with the accepted spellings; any N:M is allowed
        if not self.criteria or not self.mitigations:
            raise ValueError(f"give at least one criterion {tuple(CRITERIA)} and one mitigation {tuple(MITIGATIONS)}")
        # Names are checked against (and normalised to) the registries of accelsim.methods ("D-PTS" -> "dpts").
        object.__setattr__(self, "criteria", tuple(methods.criterion(c).name for c in self.criteria))
        object.__setattr__(self, "mitigations", tuple(methods.mitigation(m).name for m in self.mitigations))
        bad = [s for s in self.sparsify if s not in SPARSIFY]
        if bad or not self.sparsify:
            raise ValueError(f"unknown --sparsify {bad or '(none given)'}; choose from {SPARSIFY}")
        bad = [c for c in self.weight_criteria if c not in WEIGHT_CRITERIA]
        if bad:
            raise ValueError(f"unknown weight criterion {bad}; choose from {WEIGHT_CRITERIA}")
        if "both" in self.sparsify and not self.weight_criteria:
            raise ValueError(f"--sparsify both needs a weight criterion from {WEIGHT_CRITERIA}")
        wp = Pattern.parse(self.weight_pattern)  # raises with the accepted spellings
        if wp.kind == "dense":
            raise ValueError(f"--weight-pattern {self.weight_pattern!r}: the dual-side runs need a sparse weight pattern (e.g. 2:4)")
        object.__setattr__(self, "weight_pattern", str(wp))
        if self.device not in DEVICES:
            raise ValueError(f"unknown --device {self.device!r}; choose from {DEVICES}")
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown --dtype {self.dtype!r}; choose from {DTYPES}")
        if self.windows not in WINDOWS:
            raise ValueError(f"unknown --windows {self.windows!r}; choose from {WINDOWS}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1 window per forward pass, got {self.batch_size}")
        if self.seq_len < 2:
            raise ValueError(f"seq_len must be >= 2, got {self.seq_len}")
        if self.eval_tokens < self.seq_len:
            raise ValueError(f"eval_tokens={self.eval_tokens} is below one window of seq_len={self.seq_len}")
        if self.calib_tokens < self.seq_len and self.needs_calibration:
            raise ValueError(f"calib_tokens={self.calib_tokens} is below one window of seq_len={self.seq_len}")
        if self.zeroshot_include is not None and not Path(self.zeroshot_include).is_dir():
            raise ValueError(f"--zeroshot-include {self.zeroshot_include} is not a folder; pass a folder of lm-eval task YAMLs")
        for k in ("trace_tokens", "stats_windows", "lpts_steps", "lpts_tokens", "threads", "zeroshot_limit"):
            if getattr(self, k) < 0:
                raise ValueError(f"{k} must be >= 0, got {getattr(self, k)}")
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "plans", tuple(str(p) for p in self.plans))
        self.loaded_plans()  # raises PlanError (a ValueError) naming the file and the bad rule

    def loaded_plans(self) -> dict[str, Plan]:
        """{plan name (file stem): Plan} of ``plans``; names must be distinct (they name the run directories)."""
        out: dict[str, Plan] = {}
        for path in self.plans:
            name = Path(path).stem
            if name in out:
                raise ValueError(f"two plan files are named {name!r}; rename one (the name labels its run directory)")
            out[name] = load_plan(path)
        return out

    @property
    def eval_windows(self) -> int:
        return self.eval_tokens // self.seq_len

    @property
    def calib_windows(self) -> int:
        return max(1, self.calib_tokens // self.seq_len)

    @property
    def needs_calibration(self) -> bool:
        return "weights" in self.sparsify or "both" in self.sparsify or any(methods.mitigation(m).calibrated for m in self.mitigations)

    def runs(self) -> list[RunSpec]:
        """The configurations to run: dense first, then activation runs, then weight runs, then dual-side runs."""
        out = [RunSpec("dense", "magnitude", "none", "activations")]
        sparse = [p for p in dict.fromkeys(str(Pattern.parse(p)) for p in self.patterns) if p != "dense"]
        if "activations" in self.sparsify:
            out += [RunSpec(p, c, m, "activations") for p in sparse for c in self.criteria for m in self.mitigations]
        if "weights" in self.sparsify:
            out += [RunSpec(p, c, "none", "weights") for p in sparse for c in self.weight_criteria]
        if "both" in self.sparsify:
            out += [RunSpec(p, c, m, "both", weight_pattern=self.weight_pattern, weight_criterion=w)
                    for p in sparse for c in self.criteria for m in self.mitigations for w in self.weight_criteria]
        out += [RunSpec(str(plan.default), c, m, "activations", plan=plan, plan_name=name)
                for name, plan in self.loaded_plans().items() for c in self.criteria for m in self.mitigations]
        return out

    def common(self) -> dict:
        """Settings shared by every run of this config (what the run-id hash covers).

        dtype, batch_size and device enter only when not the CPU float32 one-window default (so those run ids stay
        as they were); device only once resolved (``capture`` replaces "auto" by cpu or cuda before hashing).
        """
        keys = ("model", "dataset", "modules", "seq_len", "eval_tokens", "calib_tokens", "trace_tokens", "trace_values",
                "trace_filter", "stats_windows", "lpts_steps", "lpts_lr", "lpts_tokens", "seed", "windows")
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items() if k in keys}
        if self.dtype != "float32":
            d["dtype"] = self.dtype
        if self.batch_size != 1:
            d["batch_size"] = self.batch_size
        if self.device not in ("cpu", "auto"):
            d["device"] = self.device
        if self.zeroshot_tasks:  # only then, so run ids without zero-shot stay as they were
            d.update(zeroshot_tasks=list(self.zeroshot_tasks), zeroshot_limit=self.zeroshot_limit,
                     zeroshot_include=str(self.zeroshot_include) if self.zeroshot_include else None)
        return d


@dataclass(frozen=True)
class RunSpec:
    """One configuration: pattern, criterion, mitigation, and what is sparsified.

    sparsify "activations": pattern/criterion/mitigation sparsify the activations.  "weights": pattern/criterion
    prune the weights (activations dense).  "both": pattern/criterion/mitigation sparsify the activations and
    weight_pattern/weight_criterion prune the weights (empty for the other kinds).
    """

    pattern: str
    criterion: str
    mitigation: str
    sparsify: str
    extra: dict = field(default_factory=dict, compare=False)
    weight_pattern: str = ""
    weight_criterion: str = ""
    plan: Plan | None = None  # a layer-adaptive run: each layer's pattern from the plan (``pattern`` is its default)
    plan_name: str = ""

    @property
    def is_dense_reference(self) -> bool:
        return self.pattern == "dense" and self.plan is None

    @property
    def activations_sparse(self) -> bool:
        return self.sparsify in ("activations", "both")

    @property
    def weights_pruned(self) -> tuple[str, str] | None:
        """(weight pattern, weight criterion) of a weights or both run; None for an activation run."""
        if self.sparsify == "weights":
            return self.pattern, self.criterion
        if self.sparsify == "both":
            return self.weight_pattern, self.weight_criterion
        return None

    def run_id(self, cfg: CaptureConfig) -> str:
        """Readable id plus a hash of everything else that changes the result (so resume never mixes settings)."""
        d = dict(cfg.common(), pattern=self.pattern, criterion=self.criterion, mitigation=self.mitigation, sparsify=self.sparsify)
        if self.sparsify == "both":  # only here, so the ids of activation and weight runs are as before
            d.update(weight_pattern=self.weight_pattern, weight_criterion=self.weight_criterion)
        if self.plan is not None:  # only here, so the ids of uniform runs are as before
            d["plan"] = self.plan.to_dict()
        if not fit_settings_used(self.mitigation):
            for k in ("lpts_steps", "lpts_lr", "lpts_tokens"):
                d.pop(k)
        h = hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:8]
        pat = self.pattern.replace("unstructured:", "u").replace(":", "of")
        model = cfg.model.replace("/", "--").rstrip("-").split("--")[-1] if "/" in cfg.model else Path(cfg.model).name
        data = Path(cfg.dataset).stem
        if self.plan is not None:
            return f"{model}_{data}_plan-{self.plan_name}_{self.criterion}_{self.mitigation}_L{cfg.seq_len}_{h}"
        if self.pattern == "dense":
            return f"{model}_{data}_dense_L{cfg.seq_len}_{h}"
        if self.sparsify == "both":
            wpat = self.weight_pattern.replace("unstructured:", "u").replace(":", "of")
            return f"{model}_{data}_both_{pat}_{self.criterion}_{self.mitigation}_w{wpat}_{self.weight_criterion}_L{cfg.seq_len}_{h}"
        kind = "act" if self.sparsify == "activations" else "wt"
        return f"{model}_{data}_{kind}_{pat}_{self.criterion}_{self.mitigation}_L{cfg.seq_len}_{h}"


PRESETS: dict[str, dict] = {
    # About 2-3 minutes on 2 idle CPU cores for SmolLM2 at 6 patterns (plus a one-off ~93 MB download and cache build).
    "quick": dict(eval_tokens=1024, calib_tokens=1024, trace_tokens=512),
    # The default budget.
    "default": dict(),
    # Every criterion and mitigation plus the weight baselines (a long CPU run).
    "full": dict(criteria=CRITERIA, mitigations=MITIGATIONS, sparsify=("activations", "weights"), eval_tokens=8192),
}


def preset(name: str, **overrides) -> CaptureConfig:
    """A named preset with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return replace(CaptureConfig(), **{**PRESETS[name], **overrides})
