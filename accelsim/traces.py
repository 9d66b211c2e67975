"""Activation traces: the typed hand-off from capture to the simulator.

On disk, one directory per run (``traces/<run-id>/``)::

    manifest.json        schema version, resolved config, model, versions, seed, protocol,
                         accuracy, and per layer: name, GEMM shape (T, K, O), pattern,
                         tokens stored
    masks.safetensors    one uint8 tensor per layer, [T_stored, ceil(K / 8)], bit-packed
                         keep-masks (bit order: accelsim.masks.packing)
    values.safetensors   optional fp16 activation samples, one tensor per layer [T_s, K]

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from accelsim.patterns import Pattern

__all__ = [
    "LayerTrace", "Trace", "TraceError", "save_trace", "load_trace", "is_complete_trace", "atomic_write_json",
    "atomic_write_text", "SCHEMA_VERSION",
]

SCHEMA_VERSION = 1
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
    pattern: the pattern the mask was made under (str form, e.g. "8:16").
    mask_packed: uint8 [tokens, ceil(K / 8)], keep-mask bits (1 = kept).
    tokens_total: tokens the layer processed in the run (>= stored rows).
    values: optional float16 [tokens, K] activation sample (None if not stored).
    """

    name: str
    in_features: int
    out_features: int
    pattern: str
    mask_packed: np.ndarray
    tokens_total: int = 0
    values: np.ndarray | None = None

    def __post_init__(self) -> None:
        Pattern.parse(self.pattern)  # raises on a bad pattern string
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
    """A run's traced layers plus its manifest (provenance, protocol, accuracy)."""

    run_id: str
    layers: tuple[LayerTrace, ...]
    manifest: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [ly.name for ly in self.layers]
        if len(set(names)) != len(names):
            raise TraceError(f"trace {self.run_id}: duplicate layer names")

    @property
    def pattern(self) -> str:
        """The run's pattern (manifest config, else the first layer's)."""
        p = self.manifest.get("config", {}).get("pattern")
        return p if p else (self.layers[0].pattern if self.layers else "dense")

    @property
    def accuracy(self) -> dict[str, Any]:
        return dict(self.manifest.get("accuracy", {}))


def _layer_entry(ly: LayerTrace) -> dict[str, Any]:
    return {
        "name": ly.name,
        "T": ly.tokens_total,
        "K": ly.in_features,
        "O": ly.out_features,
        "pattern": ly.pattern,
        "tokens_stored": ly.tokens,
        "has_values": ly.values is not None,
    }


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: "str | Path", text: str) -> None:
    """Write ``text`` to ``path`` via a unique temporary file and rename (readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_bytes(path, text.encode())


def atomic_write_json(path: "str | Path", obj: Any) -> None:
    """Write JSON to ``path`` via a temporary file and rename (readers never see half a file)."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


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
        manifest = dict(trace.manifest)
        manifest.update(schema_version=SCHEMA_VERSION, run_id=trace.run_id, layers=[_layer_entry(ly) for ly in trace.layers])
        manifest["complete"] = True
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
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


def is_complete_trace(path: "str | Path") -> bool:
    """True when ``path`` holds a manifest marked complete with the current schema (cheap check)."""
    p = Path(path) / MANIFEST
    try:
        m = json.loads(p.read_text())
    except (OSError, ValueError):
        return False
    return bool(m.get("complete")) and m.get("schema_version") == SCHEMA_VERSION and (Path(path) / MASKS).is_file()


def load_trace(path: "str | Path", layers: Sequence[str] | None = None, load_values: bool = False) -> Trace:
    """Read and validate a trace directory; raises :class:`TraceError` with the reason.

    layers: optional subset of layer names to load (all by default).
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise TraceError(f"{path} is not a trace directory: {MANIFEST} missing (run `python -m accelsim.capture` first)")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except ValueError as e:
        raise TraceError(f"{path / MANIFEST} is not valid JSON: {e}") from None
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise TraceError(f"{path}: schema_version {manifest.get('schema_version')!r}, this accelsim reads {SCHEMA_VERSION}")
    if not manifest.get("complete"):
        raise TraceError(f"{path}: trace is incomplete (an interrupted capture); rerun capture to redo it")
    entries = manifest.get("layers")
    if not isinstance(entries, list) or not entries:
        raise TraceError(f"{path}: manifest lists no layers")
    try:
        masks = load_file(str(path / MASKS))
        values = load_file(str(path / VALUES)) if load_values and (path / VALUES).is_file() else {}
    except (OSError, SafetensorError) as e:
        raise TraceError(f"{path}: cannot read tensors: {e}") from None
    wanted = set(layers) if layers is not None else None
    out = []
    for e in entries:
        try:
            name, t_total, k, o, pat, t_s = e["name"], int(e["T"]), int(e["K"]), int(e["O"]), e["pattern"], int(e["tokens_stored"])
        except (KeyError, TypeError, ValueError) as err:
            raise TraceError(f"{path}: bad layer entry {e!r}: {err}") from None
        if wanted is not None and name not in wanted:
            continue
        if name not in masks:
            raise TraceError(f"{path}: layer {name} listed in the manifest has no mask tensor")
        mp = masks[name]
        if mp.dtype != np.uint8 or mp.shape != (t_s, (k + 7) // 8):
            raise TraceError(f"{path}: layer {name} mask is {mp.dtype} {mp.shape}, manifest says uint8 ({t_s}, {(k + 7) // 8})")
        if k % 8 and (mp[:, -1] >> (k % 8)).any():
            raise TraceError(f"{path}: layer {name} mask has bits set beyond K={k}")
        try:
            out.append(LayerTrace(name, k, o, pat, mp, tokens_total=t_total, values=values.get(name)))
        except ValueError as err:
            raise TraceError(f"{path}: layer {name}: {err}") from None
    if wanted is not None and len(out) != len(wanted):
        missing = sorted(wanted - {ly.name for ly in out})
        raise TraceError(f"{path}: layers not in trace: {missing}")
    return Trace(run_id=str(manifest.get("run_id", path.name)), layers=tuple(out), manifest=manifest)
