"""The trace manifest as a frozen, typed object (the JSON form is ``manifest.json`` of a trace directory).

:class:`Manifest` is built by capture (or :mod:`accelsim.synthetic`), written and read only by
:mod:`accelsim.traces` (``save_trace``, ``read_manifest``); everything downstream takes its typed fields.
Patterns arrive as :class:`~accelsim.patterns.Pattern`, criteria and mitigations as registry entries of
:mod:`accelsim.methods`.  :meth:`Manifest.to_dict` writes the same keys that were read, so a rewritten
manifest (and every number derived from it) is unchanged.

Schema versions: 1 (accelsim up to the typed-manifest change), 2 (the same keys; the version says the
file was written from a :class:`Manifest`) and 3 (adds, for weight-pruning and dual-side runs, ``weight_pattern``
per layer and ``config.weight_pattern`` / ``config.weight_criterion``: the layer's weight mask is then stored in
``weight_masks.safetensors``).  All three are read; a manifest without weight keys means the same in each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from accelsim.methods import Criterion, Mitigation, criterion, mitigation
from accelsim.patterns import Pattern

__all__ = ["SCHEMA_VERSION", "READABLE_VERSIONS", "SPARSIFY", "MAX_TOKENS", "MAX_DIM", "ManifestError", "validate_manifest",
           "RunConfig", "Accuracy", "LayerEntry", "Manifest"]  # fmt: skip

SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

#: bounds of the schema: tokens a layer saw in a run (T, tokens_stored, tokens_scored) and GEMM widths (K, O).
#: 2**32 tokens is ~1000x the largest evaluation set in use; 2**20 channels is ~4x the widest LLM linear (a 256k vocabulary head).
MAX_TOKENS = 2**32
MAX_DIM = 2**20

#: what a run sparsifies (``config.sparsify``): activations, weights (weight pruning), both (dual-side)
SPARSIFY = ("activations", "weights", "both")

_TOP = ("schema_version", "run_id", "complete", "config", "accuracy", "protocol", "model_info", "versions", "seed", "layers")


@dataclass(frozen=True)
class RunConfig:
    """The resolved configuration of the run (``config`` of the manifest).

    Typed fields are None when the manifest does not state them (and are then not written);
    ``settings`` holds every other key as written (seq_len, eval_tokens, modules, trace_filter, ...).

    sparsify: "activations", "weights" (weight pruning: ``pattern`` is the weight pattern, the activations are
    dense) or "both" (dual-side: ``pattern`` is the activation pattern, ``weight_pattern`` the weights').
    weight_pattern / weight_criterion: how the weights were pruned (weights and both runs; None otherwise).
    """

    pattern: Pattern | None = None
    criterion: Criterion | None = None
    mitigation: Mitigation | None = None
    sparsify: str | None = None
    model: str | None = None
    dataset: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    weight_pattern: Pattern | None = None
    weight_criterion: Criterion | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        d = dict(d or {})
        pat, crit, mit = d.pop("pattern", None), d.pop("criterion", None), d.pop("mitigation", None)
        wpat, wcrit = d.pop("weight_pattern", None), d.pop("weight_criterion", None)
        return cls(
            pattern=Pattern.parse(pat) if pat else None,
            criterion=criterion(crit) if crit else None,
            mitigation=mitigation(mit) if mit else None,
            sparsify=d.pop("sparsify", None),
            model=d.pop("model", None),
            dataset=d.pop("dataset", None),
            settings=d,
            weight_pattern=Pattern.parse(wpat) if wpat else None,
            weight_criterion=criterion(wcrit) if wcrit else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.settings)
        for f in ("pattern", "criterion", "mitigation", "sparsify", "model", "dataset", "weight_pattern", "weight_criterion"):
            v = getattr(self, f)
            if v is not None:
                out[f] = str(v)
        return out

    def get(self, key: str, default: Any = None) -> Any:
        """A setting by its JSON key, typed fields as written (``cfg.get("seq_len")``)."""
        return self.to_dict().get(key, default)


@dataclass(frozen=True)
class Accuracy:
    """Perplexity of the run and of its dense reference (None: not measured)."""

    perplexity: float | None = None
    nll: float | None = None
    tokens_scored: int | None = None
    dense_perplexity: float | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Accuracy:
        return cls(**{f.name: d.get(f.name) for f in fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class LayerEntry:
    """One traced layer as the manifest lists it: GEMM shape (T, K, O), pattern, mask rows stored.

    weight_pattern: the pattern of the layer's stored weight mask (uint8 [O, ceil(K/8)] in
    ``weight_masks.safetensors``); None when the trace stores no weight mask for the layer (not written then).
    """

    name: str
    T: int
    K: int
    O: int  # noqa: E741 (the GEMM's output width, named as in the JSON)
    pattern: Pattern
    tokens_stored: int
    has_values: bool = False
    weight_pattern: Pattern | None = None

    @classmethod
    def from_dict(cls, e: Mapping[str, Any]) -> LayerEntry:
        """Raises KeyError/TypeError/ValueError on a malformed entry."""
        wp = e.get("weight_pattern")
        return cls(str(e["name"]), int(e["T"]), int(e["K"]), int(e["O"]), Pattern.parse(e["pattern"]),
                   int(e["tokens_stored"]), bool(e.get("has_values", False)),
                   Pattern.parse(wp) if wp is not None else None)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["pattern"] = str(self.pattern)
        if self.weight_pattern is None:
            d.pop("weight_pattern")
        else:
            d["weight_pattern"] = str(self.weight_pattern)
        return d


@dataclass(frozen=True)
class Manifest:
    """Everything a trace states besides its tensors.

    extra: the remaining top-level keys as written (layer_stats, calibration_seconds, seconds,
    weight_density, shift_mean_abs, ...).
    """

    run_id: str = ""
    config: RunConfig = field(default_factory=RunConfig)
    accuracy: Accuracy | None = None
    protocol: Mapping[str, Any] | None = None
    model_info: Mapping[str, Any] | None = None
    versions: Mapping[str, Any] | None = None
    seed: int | None = None
    layers: tuple[LayerEntry, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    complete: bool = False

    @property
    def pattern(self) -> Pattern:
        """The run's pattern: the config's, else the first layer's, else dense."""
        if self.config.pattern is not None:
            return self.config.pattern
        return self.layers[0].pattern if self.layers else Pattern.parse("dense")

    @property
    def mitigation(self) -> Mitigation:
        """The run's mitigation (``none`` when the config names none)."""
        return self.config.mitigation or mitigation("none")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], run_id: str = "") -> Manifest:
        """Build from the JSON form; raises KeyError/TypeError/ValueError on malformed fields."""
        acc = d.get("accuracy")
        return cls(
            run_id=str(d.get("run_id", run_id)),
            config=RunConfig.from_dict(d.get("config") or {}),
            accuracy=Accuracy.from_dict(acc) if isinstance(acc, Mapping) else None,
            protocol=d.get("protocol"),
            model_info=d.get("model_info"),
            versions=d.get("versions"),
            seed=d.get("seed"),
            layers=tuple(LayerEntry.from_dict(e) for e in d.get("layers") or ()),
            extra={k: v for k, v in d.items() if k not in _TOP},
            schema_version=int(d.get("schema_version", SCHEMA_VERSION)),
            complete=bool(d.get("complete", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (keys of absent sections are left out)."""
        out: dict[str, Any] = dict(self.extra)
        out.update(schema_version=self.schema_version, run_id=self.run_id, config=self.config.to_dict(),
                   layers=[e.to_dict() for e in self.layers], complete=self.complete)  # fmt: skip
        for k in ("protocol", "model_info", "versions", "seed"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy.to_dict()
        return out


class ManifestError(ValueError):
    """A manifest's JSON form breaks the schema (a wrong type, a non-finite number, a value out of bounds)."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_int(where: str, v: Any, lo: int, hi: int) -> None:
    if not _is_int(v) or not lo <= v <= hi:
        raise ManifestError(f"{where} is {v!r}; it must be an integer in [{lo}, {hi}]")


def _check_num(where: str, v: Any, lo: float) -> None:
    """None, or a finite number >= lo."""
    if v is None:
        return
    if not (isinstance(v, (int, float)) and not isinstance(v, bool)) or not math.isfinite(v) or v < lo:
        raise ManifestError(f"{where} is {v!r}; it must be a finite number >= {lo:g} (or null when not measured)")


def _check_type(where: str, v: Any, types: tuple, what: str, optional: bool = True) -> None:
    if (v is None and optional) or isinstance(v, types):
        return
    raise ManifestError(f"{where} is {type(v).__name__} {v!r:.60}; it must be {what}")


def validate_manifest(d: Any) -> None:
    """Check the JSON form of a manifest against the schema; raises :class:`ManifestError` naming the field.

    Types (objects, strings, integers), finite numbers (perplexity and dense_perplexity >= 1, nll >= 0), bounds
    (1 <= T <= MAX_TOKENS, 1 <= K, O <= MAX_DIM, 1 <= tokens_stored <= T), unique layer names, parseable patterns.
    Only the structure is checked here; :func:`accelsim.traces.load_trace` checks the tensors against it.
    """
    if not isinstance(d, Mapping):
        raise ManifestError(f"the manifest is a JSON {type(d).__name__}; it must be a JSON object")
    if d.get("schema_version") not in READABLE_VERSIONS:
        raise ManifestError(f"schema_version is {d.get('schema_version')!r}; this accelsim reads {READABLE_VERSIONS}")
    _check_type("run_id", d.get("run_id"), (str,), "a string")
    for k in ("config", "protocol", "model_info", "versions", "accuracy"):
        _check_type(k, d.get(k), (Mapping,), "a JSON object")
    if d.get("seed") is not None:
        _check_int("seed", d.get("seed"), -(2**63), 2**64 - 1)
    cfg = d.get("config") or {}
    for k in ("pattern", "criterion", "mitigation", "sparsify", "model", "dataset", "weight_pattern", "weight_criterion"):
        _check_type(f"config.{k}", cfg.get(k), (str,), "a string")
    for k in ("seq_len", "eval_tokens", "trace_tokens", "calib_tokens"):
        if cfg.get(k) is not None:
            _check_int(f"config.{k}", cfg[k], 0 if k == "calib_tokens" else 1, MAX_TOKENS)
    acc = d.get("accuracy") or {}
    _check_num("accuracy.perplexity", acc.get("perplexity"), 1.0)  # exp(mean NLL), NLL >= 0
    _check_num("accuracy.dense_perplexity", acc.get("dense_perplexity"), 1.0)
    _check_num("accuracy.nll", acc.get("nll"), 0.0)
    if acc.get("tokens_scored") is not None:
        _check_int("accuracy.tokens_scored", acc["tokens_scored"], 0, MAX_TOKENS)
    layers = d.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ManifestError("layers must be a non-empty list of layer objects")
    seen: set[str] = set()
    for i, e in enumerate(layers):
        if not isinstance(e, Mapping):
            raise ManifestError(f"layers[{i}] is {type(e).__name__} {e!r:.60}; it must be a JSON object")
        name = e.get("name")
        if not isinstance(name, str) or not name:
            raise ManifestError(f"layers[{i}].name is {name!r}; it must be a non-empty string")
        if name in seen:
            raise ManifestError(f"layers[{i}].name {name!r} appears twice")
        seen.add(name)
        where = f"layer {name}"
        _check_int(f"{where}: T", e.get("T"), 1, MAX_TOKENS)
        _check_int(f"{where}: K", e.get("K"), 1, MAX_DIM)
        _check_int(f"{where}: O", e.get("O"), 1, MAX_DIM)
        _check_int(f"{where}: tokens_stored", e.get("tokens_stored"), 1, e["T"])
        _check_type(f"{where}: pattern", e.get("pattern"), (str,), 'a pattern string such as "8:16"', optional=False)
        _check_type(f"{where}: has_values", e.get("has_values"), (bool,), "true or false")
        _check_type(f"{where}: weight_pattern", e.get("weight_pattern"), (str,), 'a pattern string such as "2:4"')
        for k in ("pattern", "weight_pattern"):
            if e.get(k) is None:
                continue
            try:
                Pattern.parse(e[k])
            except ValueError as err:
                raise ManifestError(f"{where}: {k}: {err}") from None
    if cfg.get("sparsify") is not None and cfg["sparsify"] not in SPARSIFY:
        raise ManifestError(f"config.sparsify is {cfg['sparsify']!r}; it must be one of {SPARSIFY}")
    for k in ("pattern", "weight_pattern"):
        if cfg.get(k) is not None:
            try:
                Pattern.parse(cfg[k])
            except ValueError as err:
                raise ManifestError(f"config.{k}: {err}") from None
