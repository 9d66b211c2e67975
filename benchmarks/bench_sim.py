"""Simulator speed on a Llama-7B-sized layer set (prints a table; no assertions).

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_sim.py            # full: 32 blocks x 7 GEMMs, T=2048
    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_sim.py --blocks 2 --tokens 256   # quick look

Layer set: 32 blocks x (q, k, v, o: 4096->4096; gate, up: 4096->11008; down: 11008->4096), one
synthetic 8:16 mask per GEMM shape (reused by every block: mask generation is not what is timed).
Times are CPU seconds of this process (see _time).  Per preset and mode it reports: the first
simulate() of the whole set on a prepared trace (mask statistics computed: "cold"), a second one for a design differing only in DRAM bandwidth (cached
statistics: "warm"), one 2048x4096x4096 GEMM alone, the NumPy twin on that GEMM and the ratio.
Targets (issue 4): one GEMM <= 50 ms on one core, the whole set <= 2 s, >= 100x over the twin,
<= 2 GB peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

from accelsim.sim import prepare, presets, simulate
from accelsim.synthetic import LLAMA7B_SHAPES, synthetic_trace
from accelsim.traces import LayerTrace, Trace


def layer_set(tokens: int, blocks: int, pattern: str, seed: int = 0) -> Trace:
    """A Llama-7B-sized trace whose blocks share one mask per GEMM shape."""
    masks = {}
    for _, k, o in LLAMA7B_SHAPES:
        if (k, o) not in masks:
            masks[(k, o)] = synthetic_trace([(tokens, k, o)], pattern=pattern, seed=seed).layers[0].mask_packed
    layers = tuple(
        LayerTrace(f"model.layers.{b}.{name}", k, o, pattern, masks[(k, o)]) for b in range(blocks) for name, k, o in LLAMA7B_SHAPES
    )
    return Trace(f"bench-llama7b-{pattern}", layers, {"config": {"pattern": pattern}})


def _time(fn, *args, **kwargs):
    """CPU seconds of one call (process time: robust on a shared machine, where wall time also counts
    the time other processes hold the core; with NUMBA_NUM_THREADS=1 the two agree on an idle core)."""
    t0 = time.process_time()
    out = fn(*args, **kwargs)
    return time.process_time() - t0, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--blocks", type=int, default=32)
    ap.add_argument("--pattern", default="8:16")
    ap.add_argument("--presets", nargs="*", default=sorted(presets))
    ap.add_argument("--no-reference", action="store_true", help="skip the NumPy twin timing")
    args = ap.parse_args(argv)

    t_gen, trace = _time(layer_set, args.tokens, args.blocks, args.pattern)
    gemm = synthetic_trace([(args.tokens, 4096, 4096)], pattern=args.pattern, seed=1)
    simulate(presets["dense"], synthetic_trace([(8, 64, 8)], pattern=args.pattern))  # JIT warm-up (or cache load)
    t_prep, prep = _time(prepare, trace)
    n_layers = len(trace.layers)
    print(f"layer set: {n_layers} GEMMs, T={args.tokens}, pattern {args.pattern}; masks made in {t_gen:.1f} s; prepare {t_prep * 1e3:.0f} ms")
    head = f"{'preset':20s} {'mode':8s} {'run':16s} {'set cold s':>10s} {'set warm ms':>11s} {'ms/GEMM':>8s} {'GEMM ms':>8s} {'twin s':>8s} {'x twin':>7s} {'cycles':>14s}"
    print(head)
    print("-" * len(head))
    for name in args.presets:
        d = presets[name]
        for mode in ("prefill", "decode"):
            # Design-point timing on the whole set: statistics computed (cold), then reused (warm).
            p = prepare(trace)
            p._cache.clear()
            t_cold, res = _time(simulate, d, p, mode=mode)
            d2 = d.replace(dram_bw_gb_per_s=d.dram_bw_gb_per_s * 1.5)
            t_warm, _ = _time(simulate, d2, p, mode=mode)
            t_gemm, _ = _time(simulate, d, gemm, mode=mode)
            if args.no_reference:
                t_ref, ratio = float("nan"), float("nan")
            else:
                t_ref, _ = _time(simulate, d, gemm, mode=mode, engine="reference")
                ratio = t_ref / t_gemm
            print(
                f"{name:20s} {mode:8s} {str(res.run_pattern):16s} {t_cold:10.2f} {t_warm * 1e3:11.1f} {t_cold / n_layers * 1e3:8.2f} "
                f"{t_gemm * 1e3:8.1f} {t_ref:8.2f} {ratio:7.0f} {res.cycles:14,d}"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
