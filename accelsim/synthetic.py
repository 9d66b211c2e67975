"""Synthetic traces: exact N:M masks from random scores, or i.i.d. Bernoulli masks.

``synthetic_trace(shapes=[(T, K, O), ...], pattern="8:16", seed=0)`` ranks i.i.d. standard
normal scores with ``accelsim.masks.topn_mask`` (so every group keeps exactly N);
``synthetic_trace(shapes, density=0.4, seed=0)`` keeps each channel independently with
probability 0.4 (natural, ReLU-like zeros; pattern recorded as "unstructured:0.4").
``weight_pattern="2:4"`` also gives every layer an exact N:M weight mask ``[O, K]`` (groups along K for
each output channel, from i.i.d. standard normal weight scores); the run is then ``sparsify="both"``
(dual-side), or ``"weights"`` when the activation pattern is dense (weight pruning: as in capture, the
manifest's pattern is then the weight pattern and the layers' activation masks are all ones).
The manifest records the generator, its arguments and the seed.

``shapes`` may also be the path of a SCALE-Sim topology CSV (``Layer, M, N, K,`` GEMM rows, or its convolution
format; :func:`accelsim.interop.scalesim.read_topology`): the layers keep the file's names, and ``tokens`` (if given)
replaces every layer's T (M rows), e.g. to run a topology written for one batch size at another.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from accelsim.masks.packing import pack_mask
from accelsim.masks.reference import topn_mask
from accelsim.methods import mitigation
from accelsim.patterns import Pattern
from accelsim.traces import LayerTrace, Manifest, RunConfig, Trace

__all__ = ["synthetic_trace", "LLAMA7B_SHAPES", "llama7b_shapes"]

# One Llama-7B block: q, k, v, o (4096 -> 4096), gate, up (4096 -> 11008), down (11008 -> 4096).
LLAMA7B_SHAPES = (("q", 4096, 4096), ("k", 4096, 4096), ("v", 4096, 4096), ("o", 4096, 4096),
                  ("gate", 4096, 11008), ("up", 4096, 11008), ("down", 11008, 4096))  # fmt: skip


def llama7b_shapes(tokens: int = 2048, blocks: int = 32) -> list[tuple[int, int, int]]:
    """(T, K, O) of every sparsified linear of a Llama-7B-sized model."""
    return [(tokens, k, o) for _ in range(blocks) for _, k, o in LLAMA7B_SHAPES]


def synthetic_trace(
    shapes, pattern: str | None = None, density: float | None = None, seed: int = 0, names=None, run_id: str | None = None,
    weight_pattern: str | None = None, tokens: int | None = None,
) -> Trace:
    """A Trace with one layer per (T, K, O) in ``shapes``; give exactly one of pattern or density.

    weight_pattern: also store exact weight masks of this (N:M) pattern; the weights' scores come from their own
    generator (seeded from ``seed``), so the activation masks are the same with and without weight masks.
    """
    if (pattern is None) == (density is None):
        raise ValueError("synthetic_trace needs exactly one of pattern='N:M' (e.g. '8:16') or density=D (e.g. 0.4)")
    source, shapes_file = "synthetic", None
    if isinstance(shapes, (str, os.PathLike)):  # a SCALE-Sim topology file
        from accelsim.interop.scalesim import read_topology

        layers_in = read_topology(shapes)
        source, shapes_file = f"scalesim-{Path(shapes).stem}", shapes
        names = [n for n, *_ in layers_in] if names is None else names
        shapes = [(t, k, o) for _, t, k, o in layers_in]
    if tokens is not None:
        if not isinstance(tokens, int) or tokens < 1:
            raise ValueError(f"tokens must be a positive integer, got {tokens!r}")
        shapes = [(tokens, *s[1:]) for s in shapes]
    shapes = [tuple(int(v) for v in s) for s in shapes]
    if not shapes or any(len(s) != 3 or min(s) < 1 for s in shapes):
        raise ValueError(f"shapes must be a non-empty list of (T, K, O) with positive entries, got {shapes!r}")
    if density is not None:
        if not 0.0 < float(density) <= 1.0:
            raise ValueError(f"density must be in (0, 1], got {density!r}")
        pat = f"unstructured:{float(density):g}"
    else:
        p = Pattern.parse(pattern)
        pat = str(p)
        for t, k, o in shapes:
            if p.is_nm and k % p.m:
                raise ValueError(f"shape (T={t}, K={k}, O={o}): K is not divisible by M={p.m} of pattern {p}")
    wpat = None
    if weight_pattern is not None:
        wpat = Pattern.parse(weight_pattern)
        if not wpat.is_nm:
            raise ValueError(f"weight_pattern must be N:M (e.g. '2:4'), got {weight_pattern!r}")
        for t, k, o in shapes:
            if k % wpat.m:
                raise ValueError(f"shape (T={t}, K={k}, O={o}): K is not divisible by M={wpat.m} of weight_pattern {wpat}")
    names = list(names) if names is not None else [f"layer{i}" for i in range(len(shapes))]
    if len(names) != len(shapes):
        raise ValueError(f"names has {len(names)} entries for {len(shapes)} shapes")
    rng = np.random.default_rng(seed)
    wrng = np.random.default_rng([seed, 1])
    layers = []
    for name, (t, k, o) in zip(names, shapes):
        if density is not None:
            mask = rng.random((t, k)) < float(density)
        else:
            mask = topn_mask(rng.standard_normal((t, k), dtype=np.float32), pat)
        wm = None if wpat is None else pack_mask(topn_mask(wrng.standard_normal((o, k), dtype=np.float32), wpat))
        layers.append(LayerTrace(name, k, o, pat, pack_mask(mask), weight_mask=wm, weight_pattern=wpat if wm is not None else None))
    sparsify, run_pat = "activations", Pattern.parse(pat)
    if wpat is not None:
        sparsify = "weights" if run_pat.kind == "dense" else "both"
        run_pat = wpat if sparsify == "weights" else run_pat
    # a topology names the workload (its traces group as one model in a sweep); plain synthetic shapes name none
    config = RunConfig(pattern=run_pat, mitigation=mitigation("none"), sparsify=sparsify, weight_pattern=wpat,
                       model=source if shapes_file is not None else None,
                       settings={"seed": seed, "generator": "accelsim.synthetic", "density": density,
                                 **({"topology": os.fspath(shapes_file)} if shapes_file is not None else {})})
    manifest = Manifest(config=config, protocol={"synthetic": True,
                                                 "scores": "iid standard normal" if density is None else "iid Bernoulli"})
    wtag = "" if wpat is None else f"-w{str(wpat).replace(':', '_')}"
    return Trace(run_id=run_id or f"{source}-{pat.replace(':', '_')}{wtag}-s{seed}", layers=tuple(layers), manifest=manifest)
