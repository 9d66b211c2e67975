"""Activation traces: the typed hand-off from capture to the simulator.

On disk, one directory per run (``traces/<run-id>/``)::

    manifest.json        schema version, resolved config, model, versions, seed, protocol,
                         accuracy, and per layer: name, GEMM shape (T, K, O), pattern,
                         tokens stored
    masks.safetensors    one uint8 tensor per layer, [T_stored, ceil(K / 8)], bit-packed
                         keep-masks (bit order: accelsim.masks.packing)
    values.safetensors   optional fp16 activation samples, one tensor per layer [T_s, K]

The manifest is a frozen, versioned :class:`~accelsim.manifest.Manifest`: :func:`save_trace` writes it and
:func:`read_manifest` is the one reader of ``manifest.json`` (schema versions 1 and 2).
``T`` in the manifest is the number of tokens the layer saw in the run; ``tokens`` of a
:class:`LayerTrace` is the number of mask rows stored, which is what the simulator walks.
A directory is written to a temporary sibling and renamed into place, so a reader sees
either a complete trace or none.  Nothing is ever unpickled: JSON and safetensors only.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from accelsim.io import atomic_write_json, atomic_write_text, dumps_json
from accelsim.manifest import READABLE_VERSIONS, SCHEMA_VERSION, Accuracy, LayerEntry, Manifest, RunConfig
from accelsim.methods import Mitigation
from accelsim.patterns import Pattern

__all__ = [
    "LayerTrace", "Trace", "TraceError", "save_trace", "load_trace", "read_manifest", "is_complete_trace",
    "Manifest", "RunConfig", "Accuracy", "LayerEntry", "SCHEMA_VERSION", "READABLE_VERSIONS",
]  # fmt: skip
# atomic_write_json / atomic_write_text: importable from here for old callers; they live in accelsim.io.
_COMPAT = (atomic_write_json, atomic_write_text)

MANIFEST = "manifest.json"
MASKS = "masks.safetensors"
VALUES = "values.safetensors"


class TraceError(ValueError):
    """A trace on disk is missing, corrupt or does not match its manifest."""


@dataclass(frozen=True)
class LayerTrace:
    """One traced linear layer, GEMM ``Y[T, O] = X[T, K] W[K, O]``.

    name: module name (e.g. "model.layers.0.self_attn.q_proj").
    in_features: K; out_features: O.
    pattern: the pattern the mask was made under (a Pattern; a string such as "8:16" is parsed).
    mask_packed: uint8 [tokens, ceil(K / 8)], keep-mask bits (1 = kept).
    tokens_total: tokens the layer processed in the run (>= stored rows).
    values: optional float16 [tokens, K] activation sample (None if not stored).
    """

    name: str
    in_features: int
    out_features: int
    pattern: Pattern
    mask_packed: np.ndarray
    tokens_total: int = 0
    values: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", Pattern.parse(self.pattern))  # raises on a bad pattern string
        mp = self.mask_packed
        if not isinstance(mp, np.ndarray) or mp.dtype != np.uint8 or mp.ndim != 2:
            raise TraceError(f"layer {self.name}: mask_packed must be uint8 [T, ceil(K/8)], got {getattr(mp, 'dtype', type(mp))}")
        if self.in_features <= 0 or self.out_features <= 0:
            raise TraceError(f"layer {self.name}: K and O must be positive, got K={self.in_features}, O={self.out_features}")
        if mp.shape[1] != (self.in_features + 7) // 8:
            raise TraceError(
                f"layer {self.name}: mask has {mp.shape[1]} bytes per row but K={self.in_features} needs {(self.in_features + 7) // 8}"
            )
        if self.values is not None and self.values.shape != (mp.shape[0], self.in_features):
            raise TraceError(f"layer {self.name}: values shape {self.values.shape} != ({mp.shape[0]}, {self.in_features})")
        if self.tokens_total == 0:
            object.__setattr__(self, "tokens_total", int(mp.shape[0]))

    @property
    def tokens(self) -> int:
        """Mask rows stored (T of the simulated GEMM)."""
        return int(self.mask_packed.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        """(T, K, O) of the stored GEMM."""
        return (self.tokens, self.in_features, self.out_features)

    def mask(self) -> np.ndarray:
        """Unpacked bool [T, K] mask."""
        from accelsim.masks.packing import unpack_mask

        return unpack_mask(self.mask_packed, self.in_features)


@dataclass(frozen=True)
class Trace:
    """A run's traced layers plus its :class:`Manifest` (provenance, protocol, accuracy).

    ``manifest`` may be given as a Manifest or, for in-memory traces, as its JSON-form dict
    (e.g. ``{"config": {"pattern": "8:16"}}``); it is held as a Manifest whose run_id is the
    trace's and whose layer list is the trace's when it stated none.
    """

    run_id: str
    layers: tuple[LayerTrace, ...]
    manifest: Manifest = field(default_factory=Manifest)

    def __post_init__(self) -> None:
        names = [ly.name for ly in self.layers]
        if len(set(names)) != len(names):
            raise TraceError(f"trace {self.run_id}: duplicate layer names")
        m = self.manifest
        if isinstance(m, Mapping):
            try:
                m = Manifest.from_dict(m, run_id=self.run_id)
            except (KeyError, TypeError, ValueError) as e:
                raise TraceError(f"trace {self.run_id}: bad manifest: {e}") from None
        elif not isinstance(m, Manifest):
            raise TypeError(f"Trace.manifest must be a Manifest or a dict, got {type(m).__name__}")
        m = replace(m, run_id=self.run_id, layers=m.layers or tuple(_layer_entry(ly) for ly in self.layers))
        object.__setattr__(self, "manifest", m)

    @property
    def pattern(self) -> Pattern:
        """The run's pattern (manifest config, else the first layer's, else dense)."""
        return self.manifest.pattern

    @property
    def mitigation(self) -> Mitigation:
        """The run's error-mitigation method (registry entry; ``none`` when not stated)."""
        return self.manifest.mitigation

    @property
    def accuracy(self) -> Accuracy:
        return self.manifest.accuracy or Accuracy()


def _layer_entry(ly: LayerTrace) -> LayerEntry:
    return LayerEntry(ly.name, ly.tokens_total, ly.in_features, ly.out_features, ly.pattern, ly.tokens, ly.values is not None)


def save_trace(trace: Trace, out_dir: "str | Path") -> Path:
    """Write ``trace`` to ``out_dir`` atomically (temp sibling dir, then rename).

    An existing directory at ``out_dir`` is replaced.  Returns the final path.
    """
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    try:
        save_file({ly.name: np.ascontiguousarray(ly.mask_packed) for ly in trace.layers}, str(tmp / MASKS))
        vals = {ly.name: np.ascontiguousarray(ly.values.astype(np.float16)) for ly in trace.layers if ly.values is not None}
        if vals:
            save_file(vals, str(tmp / VALUES))
        manifest = replace(trace.manifest, schema_version=SCHEMA_VERSION, run_id=trace.run_id, complete=True,
                           layers=tuple(_layer_entry(ly) for ly in trace.layers))  # fmt: skip
        (tmp / MANIFEST).write_text(dumps_json(manifest.to_dict()))
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _raw_manifest(path: Path) -> dict:
    try:
        m = json.loads((path / MANIFEST).read_text())
    except OSError as e:
        raise TraceError(f"{path}: cannot read {MANIFEST}: {e}") from None
    except ValueError as e:
        raise TraceError(f"{path / MANIFEST} is not valid JSON: {e}") from None
    if not isinstance(m, dict):
        raise TraceError(f"{path / MANIFEST}: not a JSON object")
    return m


def is_complete_trace(path: "str | Path") -> bool:
    """True when ``path`` holds a manifest marked complete, of a readable schema, and its masks (cheap check)."""
    try:
        m = _raw_manifest(Path(path))
    except TraceError:
        return False
    return bool(m.get("complete")) and m.get("schema_version") in READABLE_VERSIONS and (Path(path) / MASKS).is_file()


def read_manifest(path: "str | Path") -> Manifest:
    """The manifest of the trace directory ``path`` (the one parser of ``manifest.json``).

    Raises :class:`TraceError` when it is missing, not JSON, of an unreadable schema version,
    incomplete (an interrupted capture), lists no layers, or has a malformed field.
    """
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise TraceError(f"{path} is not a trace directory: {MANIFEST} missing (run `python -m accelsim.capture` first)")
    raw = _raw_manifest(path)
    if raw.get("schema_version") not in READABLE_VERSIONS:
        raise TraceError(f"{path}: schema_version {raw.get('schema_version')!r}, this accelsim reads {READABLE_VERSIONS}")
    if not raw.get("complete"):
        raise TraceError(f"{path}: trace is incomplete (an interrupted capture); rerun capture to redo it")
    if not isinstance(raw.get("layers"), list) or not raw["layers"]:
        raise TraceError(f"{path}: manifest lists no layers")
    try:
        return Manifest.from_dict(raw, run_id=path.name)
    except (KeyError, TypeError, ValueError) as e:
        raise TraceError(f"{path}: bad manifest field: {type(e).__name__}: {e}") from None


def load_trace(path: "str | Path", layers: Sequence[str] | None = None, load_values: bool = False) -> Trace:
    """Read and validate a trace directory; raises :class:`TraceError` with the reason.

    layers: optional subset of layer names to load (all by default).
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    manifest = read_manifest(path)
    try:
        masks = load_file(str(path / MASKS))
        values = load_file(str(path / VALUES)) if load_values and (path / VALUES).is_file() else {}
    except (OSError, SafetensorError) as e:
        raise TraceError(f"{path}: cannot read tensors: {e}") from None
    wanted = set(layers) if layers is not None else None
    out = []
    for e in manifest.layers:
        if wanted is not None and e.name not in wanted:
            continue
        name, k = e.name, e.K
        if name not in masks:
            raise TraceError(f"{path}: layer {name} listed in the manifest has no mask tensor")
        mp = masks[name]
        if mp.dtype != np.uint8 or mp.shape != (e.tokens_stored, (k + 7) // 8):
            raise TraceError(f"{path}: layer {name} mask is {mp.dtype} {mp.shape}, manifest says uint8 ({e.tokens_stored}, {(k + 7) // 8})")
        if k % 8 and (mp[:, -1] >> (k % 8)).any():
            raise TraceError(f"{path}: layer {name} mask has bits set beyond K={k}")
        try:
            out.append(LayerTrace(name, k, e.O, e.pattern, mp, tokens_total=e.T, values=values.get(name)))
        except ValueError as err:
            raise TraceError(f"{path}: layer {name}: {err}") from None
    if wanted is not None and len(out) != len(wanted):
        missing = sorted(wanted - {ly.name for ly in out})
        raise TraceError(f"{path}: layers not in trace: {missing}")
    return Trace(run_id=manifest.run_id, layers=tuple(out), manifest=manifest)
