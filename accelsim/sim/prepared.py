"""Design-independent preparation of a trace, with a cache of tile statistics.

``prepare(trace)`` checks and flattens the layers once (contiguous packed masks, shapes,
pattern, mitigation) and keeps a bounded cache of the ``tile_stats`` arrays keyed by the few
design parameters they depend on (lane group, block size, tile width, banks, dataflow).
Designs that differ only in bandwidths, clock, node, buffers (at equal block size), selector
or metadata format then reuse the expensive pass over the masks, so a sweep of 1,000 designs
over one trace pays the mask walk only once per distinct array geometry.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from accelsim.patterns import Pattern
from accelsim.sim.kernels import POPCOUNT, mask_totals
from accelsim.traces import Trace

__all__ = ["PreparedTrace", "PreparedLayer", "prepare"]

CACHE_BYTES = 1 << 30  # bound on cached tile statistics per prepared trace


@dataclass(frozen=True)
class PreparedLayer:
    """One layer as the kernels want it: packed uint8 [T, ceil(K/8)] (C-contiguous), K, O."""

    name: str
    t: int
    k: int
    o: int
    packed: np.ndarray
    nnz: int  # kept channels over all tokens
    union_all: int  # channels kept by at least one token


@dataclass
class PreparedTrace:
    """A trace ready for repeated simulation (see module docstring).  Build with :func:`prepare`."""

    trace: Trace
    layers: tuple[PreparedLayer, ...]
    pattern: str
    mitigation: str
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _cache_bytes: int = 0

    @property
    def tokens(self) -> int:
        """Tokens of the largest layer (all layers of a captured trace have the same T)."""
        return max((ly.t for ly in self.layers), default=0)

    def cached(self, key, compute):
        """Per-layer statistics for ``key``, computed by ``compute()`` on a miss (LRU, bounded)."""
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        value = compute()
        size = sum(a.nbytes for per_layer in value for a in per_layer)
        self._cache[key] = value
        self._cache_bytes += size
        while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= sum(a.nbytes for per_layer in old for a in per_layer)
        return value


def prepare(trace: "Trace | PreparedTrace") -> PreparedTrace:
    """Check a trace and compute its design-independent statistics (idempotent)."""
    if isinstance(trace, PreparedTrace):
        return trace
    if not isinstance(trace, Trace):
        raise TypeError(
            f"simulate/prepare expects an accelsim.traces.Trace (load_trace(dir) or synthetic_trace(...)) "
            f"or a PreparedTrace, got {type(trace).__name__}"
        )
    if not trace.layers:
        raise ValueError(f"trace {trace.run_id!r} has no layers; nothing to simulate")
    try:
        pattern = str(Pattern.parse(trace.pattern))
    except (TypeError, ValueError) as e:
        raise ValueError(f"trace {trace.run_id!r} has a bad pattern: {e}") from None
    layers = []
    for ly in trace.layers:
        packed = np.ascontiguousarray(ly.mask_packed, dtype=np.uint8)
        k = int(ly.in_features)
        if packed.ndim != 2 or packed.shape[1] != (k + 7) // 8:
            raise ValueError(f"layer {ly.name}: packed mask shape {packed.shape} does not fit K={k}")
        if k % 8 and packed.shape[0] and (packed[:, -1] >> (k % 8)).any():
            raise ValueError(f"layer {ly.name}: mask has bits set beyond K={k}; repack it with accelsim.masks.pack_mask")
        nnz, union_all = mask_totals(packed, POPCOUNT) if packed.size else (0, 0)
        layers.append(PreparedLayer(ly.name, int(packed.shape[0]), k, int(ly.out_features), packed, int(nnz), int(union_all)))
    cfg = trace.manifest.get("config", {}) if isinstance(trace.manifest, dict) else {}
    mitigation = str(cfg.get("mitigation") or "none").lower()
    return PreparedTrace(trace=trace, layers=tuple(layers), pattern=pattern, mitigation=mitigation)
