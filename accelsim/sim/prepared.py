"""Design-independent preparation of a trace, with a cache of tile statistics, and a cache of prepared traces.

``prepare(trace)`` checks and flattens the layers once (contiguous packed masks, shapes,
pattern, mitigation) and keeps a bounded cache of the ``tile_stats`` arrays keyed by the few
design parameters they depend on (lane group, block size, tile width, banks, dataflow).
Designs that differ only in bandwidths, clock, node, buffers (at equal block size), selector
or metadata format then reuse the expensive pass over the masks, so a sweep of 1,000 designs
over one trace pays the mask walk only once per distinct array geometry.

``TraceCache`` keeps prepared traces by path (and layer selection) so that a process
evaluating many designs loads and prepares each trace directory once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from accelsim.methods import Mitigation, mitigation
from accelsim.patterns import Pattern
from accelsim.sim.kernels import POPCOUNT, mask_totals
from accelsim.traces import Trace, load_trace

__all__ = ["PreparedTrace", "PreparedLayer", "prepare", "TraceCache"]

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
    pattern: Pattern
    mitigation: Mitigation
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _cache_bytes: int = 0
    pattern_groups: list | None = field(default=None, repr=False)  # sim.mixed.split_by_pattern's result, kept once made

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
        pattern = Pattern.parse(trace.pattern)  # a Pattern already for a Trace built from a Manifest
        mit = mitigation(trace.mitigation)
    except (TypeError, ValueError) as e:
        raise ValueError(f"trace {trace.run_id!r} has a bad pattern or mitigation: {e}") from None
    layers = []
    for ly in trace.layers:
        packed = np.ascontiguousarray(ly.mask_packed, dtype=np.uint8)
        k = int(ly.in_features)
        if packed.ndim != 2 or packed.shape[1] != (k + 7) // 8:
            raise ValueError(f"layer {ly.name}: packed mask shape {packed.shape} does not fit K={k}")
        if k % 8 and packed.shape[0] and (packed[:, -1] >> (k % 8)).any():
            raise ValueError(f"layer {ly.name}: mask has bits set beyond K={k}; repack it with accelsim.masks.pack_mask")
        nnz, union_all = mask_totals(packed, POPCOUNT, np.zeros(packed.shape[1], dtype=np.uint8)) if packed.size else (0, 0)
        layers.append(PreparedLayer(ly.name, int(packed.shape[0]), k, int(ly.out_features), packed, int(nnz), int(union_all)))
    return PreparedTrace(trace=trace, layers=tuple(layers), pattern=pattern, mitigation=mit)


_default_prepare = prepare


class TraceCache:
    """Prepared traces by trace directory, loaded and prepared on first use (least recently used evicted).

    One object per process (or per sweep) that simulates many designs on the same traces::

        cache = TraceCache(max_traces=64)
        prep = cache.get("traces/quick/run-8of16", layers=("model.layers.0.mlp.up_proj",))
        simulate(design, prep)
        cache.clear()   # free the traces and their cached tile statistics

    TraceCache(max_traces=64, prepare=None, load=load_trace): ``prepare`` is the preparation
    applied to each loaded Trace (default :func:`accelsim.sim.prepare`; a caller may give
    another, e.g. a test stand-in's), ``load`` the loader (``load(path, layers=...)``).
    get(path, layers=None, prepare=None): ``prepare(load(path, layers=layers))``, computed once
    per key (str(path), tuple(layers) or None, the preparation used); ``prepare`` here
    overrides the cache's own for this call.
    At most ``max_traces`` entries are held; each PreparedTrace bounds its own statistics
    cache (``CACHE_BYTES``).  ``len(cache)`` counts the entries; ``clear()`` drops them all.
    """

    def __init__(self, max_traces: int = 64, prepare=None, load=load_trace) -> None:
        if isinstance(max_traces, bool) or not isinstance(max_traces, int) or max_traces < 1:
            raise ValueError(f"TraceCache.max_traces must be a positive integer, got {max_traces!r}")
        self.max_traces = max_traces
        self._prepare = _default_prepare if prepare is None else prepare
        self._load = load
        self._entries: OrderedDict = OrderedDict()

    def get(self, path, layers=None, prepare=None):
        """The prepared trace at ``path`` (restricted to ``layers``), loading it on a miss."""
        prep_fn = self._prepare if prepare is None else prepare
        key = (str(path), tuple(layers) if layers is not None else None, prep_fn)
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit
        value = prep_fn(self._load(path, layers=layers))
        self._entries[key] = value
        while len(self._entries) > self.max_traces:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every prepared trace (and with them their cached tile statistics)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
