"""Activation traces: the typed hand-off from capture to the simulator.

On disk, one directory per run (``traces/<run-id>/``)::

    manifest.json        schema version, resolved config, model, versions, seed, protocol,
                         accuracy, and per layer: name, GEMM shape (T, K, O), pattern,
                         tokens stored
    masks.safetensors    one uint8 tensor per layer, [T_stored, ceil(K / 8)], bit-packed
                         keep-masks (bit order: accelsim.masks.packing)
    values.safetensors   optional fp16 activation samples, one tensor per layer [T_s, K]
    weight_masks.safetensors
                         weight-pruning and dual-side runs (schema 3): one uint8 tensor per layer whose
                         manifest entry states a ``weight_pattern``, [O, ceil(K / 8)], the keep bits of
                         W's K axis for each output channel (same bit order)

The manifest is a frozen, versioned :class:`~accelsim.manifest.Manifest`: :func:`save_trace` writes it and
:func:`read_manifest` is the one reader of ``manifest.json`` (schema versions 1, 2 and 3; traces without weight masks read the same in each).
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

from accelsim.io import atomic_write_json, atomic_write_text, current_umask, dumps_json
from accelsim.manifest import (
    READABLE_VERSIONS,
    SCHEMA_VERSION,
    Accuracy,
    LayerEntry,
    Manifest,
    ManifestError,
    RunConfig,
    validate_manifest,
)
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
WEIGHT_MASKS = "weight_masks.safetensors"


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
    weight_mask: optional uint8 [O, ceil(K / 8)], the weights' keep bits along K for each output channel
    (bit order as mask_packed; None: the trace states nothing about the weights, i.e. they are dense).
    weight_pattern: the pattern weight_mask was made under (required with weight_mask, None without).
    """

    name: str
    in_features: int
    out_features: int
    pattern: Pattern
    mask_packed: np.ndarray
    tokens_total: int = 0
    values: np.ndarray | None = None
    weight_mask: np.ndarray | None = None
    weight_pattern: Pattern | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", Pattern.parse(self.pattern))  # raises on a bad pattern string
        if (self.weight_mask is None) != (self.weight_pattern is None):
            raise TraceError(f"layer {self.name}: give both weight_mask and weight_pattern, or neither")
        if self.weight_pattern is not None:
            object.__setattr__(self, "weight_pattern", Pattern.parse(self.weight_pattern))
            wm = self.weight_mask
            if not isinstance(wm, np.ndarray) or wm.dtype != np.uint8 or wm.shape != (self.out_features, (self.in_features + 7) // 8):
                raise TraceError(f"layer {self.name}: weight_mask must be uint8 [O, ceil(K/8)] = [{self.out_features}, "
                                 f"{(self.in_features + 7) // 8}], got {getattr(wm, 'dtype', type(wm))} {getattr(wm, 'shape', '')}")
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

    @property
    def has_weight_mask(self) -> bool:
        return self.weight_mask is not None

    def weight_keep(self) -> np.ndarray:
        """Unpacked bool [O, K] weight keep-mask (all True when the trace stores none: dense weights)."""
        from accelsim.masks.packing import unpack_mask

        if self.weight_mask is None:
            return np.ones((self.out_features, self.in_features), dtype=bool)
        return unpack_mask(self.weight_mask, self.in_features)


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

    def __repr__(self) -> str:  # the masks and the manifest are large: name what the trace is, not its contents
        rows = sum(ly.tokens for ly in self.layers)
        wt = f", weights {self.manifest.config.weight_pattern}" if self.manifest.config.weight_pattern is not None else ""
        return f"Trace({self.run_id!r}, pattern {self.pattern}{wt}, {len(self.layers)} layers, {rows} mask rows)"

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

    @property
    def sparsify(self) -> str:
        """What the run sparsified: "activations" (also when not stated), "weights" or "both"."""
        return self.manifest.config.sparsify or "activations"

    @property
    def weight_pattern(self) -> Pattern | None:
        """The weights' pattern (manifest config, else the first weight-masked layer's); None: dense weights."""
        if self.manifest.config.weight_pattern is not None:
            return self.manifest.config.weight_pattern
        return next((ly.weight_pattern for ly in self.layers if ly.weight_pattern is not None), None)

    @property
    def has_weight_masks(self) -> bool:
        """True when every layer carries a weight mask (weight-pruning and dual-side captures)."""
        return bool(self.layers) and all(ly.weight_mask is not None for ly in self.layers)


def _layer_entry(ly: LayerTrace) -> LayerEntry:
    return LayerEntry(ly.name, ly.tokens_total, ly.in_features, ly.out_features, ly.pattern, ly.tokens, ly.values is not None,
                      ly.weight_pattern)


def save_trace(trace: Trace, out_dir: "str | Path") -> Path:
    """Write ``trace`` to ``out_dir`` atomically (temp sibling dir, then rename).

    An existing directory at ``out_dir`` is replaced.  Returns the final path.
    """
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    manifest = replace(trace.manifest, schema_version=SCHEMA_VERSION, run_id=trace.run_id, complete=True,
                       layers=tuple(_layer_entry(ly) for ly in trace.layers))  # fmt: skip
    try:
        validate_manifest(manifest.to_dict())  # never write a manifest that read_manifest would refuse
    except ManifestError as e:
        raise TraceError(f"trace {trace.run_id}: {e}") from None
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700; a trace directory is as readable as any other
        save_file({ly.name: np.ascontiguousarray(ly.mask_packed) for ly in trace.layers}, str(tmp / MASKS))
        vals = {ly.name: np.ascontiguousarray(ly.values.astype(np.float16)) for ly in trace.layers if ly.values is not None}
        if vals:
            save_file(vals, str(tmp / VALUES))
        wms = {ly.name: np.ascontiguousarray(ly.weight_mask) for ly in trace.layers if ly.weight_mask is not None}
        if wms:
            save_file(wms, str(tmp / WEIGHT_MASKS))
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
        raise TraceError(f"{path / MANIFEST}: the manifest is a JSON {type(m).__name__}, not a JSON object; recapture the trace")
    return m


def is_complete_trace(path: "str | Path") -> bool:
    """True when ``path`` holds a manifest marked complete, of a readable schema, and its masks (cheap check)."""
    try:
        m = _raw_manifest(Path(path))
    except TraceError:
        return False
    layers = m.get("layers") if isinstance(m.get("layers"), list) else []
    wants_weights = any(isinstance(e, Mapping) and e.get("weight_pattern") is not None for e in layers)
    return (bool(m.get("complete")) and m.get("schema_version") in READABLE_VERSIONS and (Path(path) / MASKS).is_file()
            and (not wants_weights or (Path(path) / WEIGHT_MASKS).is_file()))


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
    try:
        validate_manifest(raw)
    except ManifestError as e:
        raise TraceError(f"{path / MANIFEST}: {e}; fix the file or recapture the trace") from None
    try:
        return Manifest.from_dict(raw, run_id=path.name)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise TraceError(f"{path}: bad manifest field: {type(e).__name__}: {e}") from None


_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
                "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8}  # fmt: skip
_MAX_HEADER = 100 * 2**20  # a header of 100 MiB would describe millions of tensors


def safetensors_header(path: Path) -> dict[str, dict]:
    """The tensor table of a safetensors file, checked against the file's size before anything is allocated.

    Format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, N bytes of JSON
    ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``, then the data.
    Raises :class:`TraceError` when the header is truncated, too long, not JSON, or declares a tensor whose
    byte range lies outside the file or does not match its dtype and shape.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else -1
            if n < 2 or n > min(size - 8, _MAX_HEADER):
                raise TraceError(f"{path}: cannot read tensors: not a safetensors file (header length {n} for a file of {size} bytes); recapture the trace")
            raw = f.read(n)
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e}") from None
    try:
        header = json.loads(raw)
    except ValueError as e:
        raise TraceError(f"{path}: safetensors header is not JSON ({e}); recapture the trace") from None
    if not isinstance(header, dict):
        raise TraceError(f"{path}: safetensors header is not a JSON object; recapture the trace")
    header.pop("__metadata__", None)
    data = size - 8 - n
    for name, info in header.items():
        try:
            dtype, shape, (b, e) = info["dtype"], [int(v) for v in info["shape"]], info["data_offsets"]
            nbytes = _DTYPE_BYTES[dtype] * int(np.prod(shape, dtype=object))
            ok = isinstance(b, int) and isinstance(e, int) and 0 <= b <= e <= data and e - b == nbytes and min(shape, default=0) >= 0
        except (KeyError, TypeError, ValueError):
            raise TraceError(f"{path}: tensor {name!r} has a malformed header entry {info!r:.100}; recapture the trace") from None
        if not ok:
            raise TraceError(f"{path}: cannot read tensors: {name!r} declares {dtype} {shape} at bytes {b}..{e}, outside the {data} data bytes of "
                             "the file or not its size; the file is truncated or corrupt, recapture the trace")  # fmt: skip
    return header


def _check_tensors(path: Path, header: dict, expected: dict[str, tuple[str, tuple[int, ...]]], what: str, exact: bool) -> None:
    """Every expected tensor present with its dtype and shape; no tensor the manifest does not list."""
    for name in expected:
        if name not in header and exact:
            raise TraceError(f"{path}: layer {name} listed in the manifest has no {what} tensor")
    extra = sorted(set(header) - set(expected))
    if extra:
        raise TraceError(f"{path}: declares {what} {extra[:3]} that the manifest does not list; the file does not belong to this "
                         "manifest, recapture the trace")  # fmt: skip
    for name, (dtype, shape) in expected.items():
        if name not in header:
            continue
        got = (header[name]["dtype"], tuple(int(v) for v in header[name]["shape"]))
        if got != (dtype, shape):
            raise TraceError(f"{path}: layer {name} {what} is {got[0]} {got[1]}, manifest says {dtype} {shape}; recapture the trace")


def load_trace(path: "str | Path", layers: Sequence[str] | None = None, load_values: bool = False) -> Trace:
    """Read and validate a trace directory; raises :class:`TraceError` with the reason.

    layers: optional subset of layer names to load (all by default).
    The manifest is checked against its schema and each tensor file's header against the manifest and the file's
    size before any tensor is read, so a corrupt or foreign file cannot make this allocate more than the file holds.
    """
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    manifest = read_manifest(path)
    wanted = set(layers) if layers is not None else None
    if wanted is not None:
        missing = sorted(wanted - {e.name for e in manifest.layers})
        if missing:
            raise TraceError(f"{path}: layers not in trace: {missing}")
    entries = [e for e in manifest.layers if wanted is None or e.name in wanted]
    if not (path / MASKS).is_file():
        raise TraceError(f"{path}: {MASKS} missing; recapture the trace")
    _check_tensors(path / MASKS, safetensors_header(path / MASKS),
                   {e.name: ("U8", (e.tokens_stored, (e.K + 7) // 8)) for e in manifest.layers}, "mask", exact=True)  # fmt: skip
    weighted = {e.name: ("U8", (e.O, (e.K + 7) // 8)) for e in manifest.layers if e.weight_pattern is not None}
    if weighted and not (path / WEIGHT_MASKS).is_file():
        raise TraceError(f"{path}: the manifest lists weight masks for {len(weighted)} layers but {WEIGHT_MASKS} is missing; "
                         "recapture the trace")  # fmt: skip
    if (path / WEIGHT_MASKS).is_file():  # a weight-mask file the manifest does not announce is foreign: refused
        _check_tensors(path / WEIGHT_MASKS, safetensors_header(path / WEIGHT_MASKS), weighted, "weight mask", exact=True)
    use_values = load_values and (path / VALUES).is_file()
    if use_values:
        _check_tensors(path / VALUES, safetensors_header(path / VALUES),
                       {e.name: ("F16", (e.tokens_stored, e.K)) for e in manifest.layers}, "values", exact=False)  # fmt: skip
    masks: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    wmasks: dict[str, np.ndarray] = {}
    try:
        with safe_open(str(path / MASKS), framework="numpy") as f:
            for e in entries:
                masks[e.name] = f.get_tensor(e.name)
        if any(e.name in weighted for e in entries):
            with safe_open(str(path / WEIGHT_MASKS), framework="numpy") as f:
                for e in entries:
                    if e.name in weighted:
                        wmasks[e.name] = f.get_tensor(e.name)
        if use_values:
            with safe_open(str(path / VALUES), framework="numpy") as f:
                have = set(f.keys())
                for e in entries:
                    if e.name in have:
                        values[e.name] = f.get_tensor(e.name)
    except (OSError, SafetensorError) as e:
        raise TraceError(f"{path}: cannot read tensors: {e}") from None
    out = []
    for e in entries:
        name, k = e.name, e.K
        mp = masks[name]
        if mp.dtype != np.uint8 or mp.shape != (e.tokens_stored, (k + 7) // 8):
            raise TraceError(f"{path}: layer {name} mask is {mp.dtype} {mp.shape}, manifest says uint8 ({e.tokens_stored}, {(k + 7) // 8})")
        if k % 8 and (mp[:, -1] >> (k % 8)).any():
            raise TraceError(f"{path}: layer {name} mask has bits set beyond K={k}")
        wm = wmasks.get(name)
        if wm is not None:
            if wm.dtype != np.uint8 or wm.shape != (e.O, (k + 7) // 8):
                raise TraceError(f"{path}: layer {name} weight mask is {wm.dtype} {wm.shape}, manifest says uint8 ({e.O}, {(k + 7) // 8})")
            if k % 8 and (wm[:, -1] >> (k % 8)).any():
                raise TraceError(f"{path}: layer {name} weight mask has bits set beyond K={k}")
        try:
            out.append(LayerTrace(name, k, e.O, e.pattern, mp, tokens_total=e.T, values=values.get(name),
                                  weight_mask=wm, weight_pattern=e.weight_pattern if wm is not None else None))
        except ValueError as err:
            raise TraceError(f"{path}: layer {name}: {err}") from None
    return Trace(run_id=manifest.run_id, layers=tuple(out), manifest=manifest)
