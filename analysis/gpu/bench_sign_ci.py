"""Repeatability and kernel choice of the H200 dense vs activation-2:4 timings (issue 9, the sign of speedup - 1).

For each Llama-7B linear (K x O) and token count T, the same operations as ``bench_semistructured_v2.py``'s fp16
``dense`` and ``act`` graph timings (F.linear(X, W) against torch.mm(Xs, W^T) with X 2:4 along K, W^T the
column-major view, cuSPARSELt default alg_id 0), plus two variants of the sparse call:

* ``act_rowB``: the same with W^T made row-major (v1's layout);
* ``act_search``: ``torch._cslt_sparse_mm`` with the alg_id that ``torch._cslt_sparse_mm_search`` picks.

Protocol: every operation is captured once in a CUDA graph of one call; then ``--reps`` rounds, each replaying
every graph ``--iters`` times (after 3 warm-up replays) in a rotated order and keeping the median per graph, so
drift (clocks, temperature) hits dense and sparse alike.  The per-round medians are kept; the speedup's 95 %
interval is the t-interval of the mean log ratio over rounds (analysis/sign_ci.py reads them).  The kernels each
call launches (names encode the CTA tile, e.g. ``tilesize128x256x64``) and their grids come from one profiled
eager call.  Run on the device machine; CI never runs it; the JSON goes to analysis/data/.
"""

# ruff: noqa: B023  (the lambdas are called within their own loop iteration)
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_semistructured import prune_2_4  # noqa: E402
from bench_semistructured_v2 import smi  # noqa: E402

LINEARS = ((4096, 4096), (4096, 11008), (11008, 4096))
TOKENS = (1, 16, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)


def graph_of(fn):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return g


def median_replay_ms(g, iters: int) -> float:
    for _ in range(3):
        g.replay()
    torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        g.replay()
        b.record()
        torch.cuda.synchronize()
        ts.append(a.elapsed_time(b))
    return statistics.median(ts)


def kernels(fn, out_dir: str, tag: str) -> list:
    """(name, grid, block) of every CUDA kernel one eager call launches."""
    from torch.profiler import ProfilerActivity, profile

    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    path = os.path.join(out_dir, f"trace_{tag}.json")
    prof.export_chrome_trace(path)
    with open(path) as f:
        ev = json.load(f).get("traceEvents", [])
    os.remove(path)
    return [{"name": e["name"], "grid": e.get("args", {}).get("grid"), "block": e.get("args", {}).get("block"),
             "us": e.get("dur")} for e in ev if e.get("cat") == "kernel"]  # fmt: skip


def bench(t: int, k: int, o: int, args) -> dict:
    from torch.sparse import to_sparse_semi_structured

    rec: dict = {"T": t, "K": k, "O": o, "dtype": "float16"}
    g = torch.Generator(device="cuda").manual_seed(1000 * t + k + o)
    tp = max(t, 16)  # cuSPARSELt's minimum rows for fp16: X padded with zero rows (as v2)
    if tp != t:
        rec["act_padded_rows"] = tp
    x = torch.randn((t, k), device="cuda", dtype=torch.float16, generator=g)
    w = torch.randn((o, k), device="cuda", dtype=torch.float16, generator=g)
    x24 = torch.nn.functional.pad(prune_2_4(x), (0, 0, 0, tp - t))
    sx = to_sparse_semi_structured(x24)
    bt, bt_row = w.t(), w.t().contiguous()
    ops = {"dense": lambda: torch.nn.functional.linear(x, w), "act": lambda: torch.mm(sx, bt),
           "act_rowB": lambda: torch.mm(sx, bt_row)}  # fmt: skip
    try:
        alg = torch._cslt_sparse_mm_search(sx.packed, bt)
        alg = alg[0] if isinstance(alg, tuple) else alg
        rec["act_search_alg_id"] = int(alg)
        ops["act_search"] = lambda: torch._cslt_sparse_mm(sx.packed, bt, alg_id=int(alg))
    except Exception as e:
        rec["act_search_error"] = f"{type(e).__name__}: {str(e)[:200]}"
    graphs = {}
    for name, fn in ops.items():
        try:
            graphs[name] = graph_of(fn)
            rec[f"{name}_kernels"] = kernels(fn, args.tmp, f"{t}_{k}_{o}_{name}")
        except Exception as e:
            rec[f"{name}_error"] = f"{type(e).__name__}: {str(e)[:200]}"
    names = list(graphs)
    reps = {n: [] for n in names}
    for r in range(args.reps):
        order = names[r % len(names) :] + names[: r % len(names)]
        for n in order:
            reps[n].append(median_replay_ms(graphs[n], args.iters))
    for n in names:
        rec[f"{n}_graph_ms_reps"] = reps[n]
        rec[f"{n}_graph_ms"] = statistics.median(reps[n])
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--tokens", default=",".join(map(str, TOKENS)))
    ap.add_argument("--max-seconds", type=float, default=400)
    args = ap.parse_args(argv)
    args.tmp = os.path.dirname(os.path.abspath(args.out))
    from torch.sparse import SparseSemiStructuredTensor

    SparseSemiStructuredTensor._FORCE_CUTLASS = False  # cuSPARSELt, as v2
    t0 = time.time()
    meta = {"gpu": torch.cuda.get_device_name(0), "sm_count": torch.cuda.get_device_properties(0).multi_processor_count,
            "nvidia_smi": smi(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "cusparselt": getattr(torch.backends.cusparselt, "version", lambda: None)(),
            "python": platform.python_version(), "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "protocol": f"{args.reps} rounds x median of {args.iters} CUDA-graph replays of one call, graphs interleaved "
                        "in rotated order each round; fp16; X 2:4 along K through cuSPARSELt (_FORCE_CUTLASS=False)",
            "command": " ".join(sys.argv)}  # fmt: skip
    recs = []
    for k, o in LINEARS:
        for t in (int(s) for s in args.tokens.split(",")):
            if time.time() - t0 > args.max_seconds:
                meta["truncated"] = f"stopped after {args.max_seconds} s"
                break
            try:
                rec = bench(t, k, o, args)
            except Exception as e:
                rec = {"T": t, "K": k, "O": o, "error": f"{type(e).__name__}: {str(e)[:300]}"}
            recs.append(rec)
            print(json.dumps({kk: (round(v, 4) if isinstance(v, float) else v) for kk, v in rec.items()
                              if not kk.endswith(("_reps", "_kernels"))}), flush=True)  # fmt: skip
            torch.cuda.empty_cache()
            meta["elapsed_s"] = round(time.time() - t0, 1)
            tmp = args.out + ".tmp"
            with open(tmp, "w") as f:  # atomic: a killed run leaves the last complete file
                json.dump({"meta": meta, "records": recs}, f, indent=1)
            os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
