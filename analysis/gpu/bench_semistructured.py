"""Measure torch's semi-structured 2:4 sparse GEMM against dense on a real GPU.

The sparse operand is the *activation* X [T, K] (2:4 along K, like accelsim's N:M
activation sparsity), multiplied by a dense weight W^T [K, O].  Three timings per shape:
dense ``X @ W^T``; sparse with X compressed beforehand (weight-style, static); sparse
including the online compression of X on every call (what activation sparsity needs).
Run on the device machine (needs CUDA); writes JSON to --out.  Timings: CUDA events, median
of --iters after --warmup.  CI never runs this; the measured file is kept in analysis/data/.
"""

# ruff: noqa: B023  (the timing lambdas are called within their own loop iteration)
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

SHAPES = [  # (T, K, O)
    (2048, 4096, 4096), (2048, 4096, 11008), (2048, 11008, 4096), (3072, 10240, 3072),
    (8192, 4096, 4096), (8192, 8192, 8192), (16384, 16384, 16384), (512, 4096, 4096), (128, 4096, 4096),
]


def prune_2_4(x: torch.Tensor) -> torch.Tensor:
    """Magnitude 2:4 along the last axis (keep 2 largest |x| of every 4)."""
    g = x.reshape(-1, 4)
    idx = g.abs().topk(2, dim=1).indices
    return torch.zeros_like(g).scatter_(1, idx, g.gather(1, idx)).reshape(x.shape)


def time_ms(fn, warmup: int, iters: int) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def time_graph_ms(fn, warmup: int, iters: int) -> float:
    """Same as time_ms but replays ``fn`` captured in a CUDA graph (removes host-side launch/plan overhead)."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return time_ms(graph.replay, warmup, iters)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args(argv)
    from torch.sparse import SparseSemiStructuredTensor, to_sparse_semi_structured

    dev = torch.device("cuda")
    records = []
    for backend in ("cusparselt",) if torch.cuda.get_device_capability(0)[0] >= 9 else ("cutlass", "cusparselt"):
        SparseSemiStructuredTensor._FORCE_CUTLASS = backend == "cutlass"
        for dtype in (torch.float16, torch.bfloat16):
            for t, k, o in SHAPES:
                rec = {"backend": backend, "dtype": str(dtype).replace("torch.", ""), "T": t, "K": k, "O": o}
                try:
                    g = torch.Generator(device=dev).manual_seed(0)
                    x = prune_2_4(torch.randn(t, k, device=dev, dtype=dtype, generator=g))
                    wt = torch.randn(k, o, device=dev, dtype=dtype, generator=g)
                    xs = to_sparse_semi_structured(x)
                    ref = x @ wt
                    err = ((torch.mm(xs, wt) - ref).float().norm() / ref.float().norm()).item()
                    rec["rel_err_vs_dense"] = err
                    rec["dense_ms"] = time_ms(lambda: x @ wt, args.warmup, args.iters)
                    rec["sparse_ms"] = time_ms(lambda: torch.mm(xs, wt), args.warmup, args.iters)
                    rec["compress_ms"] = time_ms(lambda: to_sparse_semi_structured(x), args.warmup, args.iters)
                    rec["sparse_with_compress_ms"] = time_ms(
                        lambda: torch.mm(to_sparse_semi_structured(x), wt), args.warmup, args.iters
                    )
                    # Fused prune+compress used for activation sparsity (torch >= 2.3), where available.
                    cls = type(xs)
                    if hasattr(cls, "prune_dense_static_sort"):
                        rec["sparse_with_fast_prune_compress_ms"] = time_ms(
                            lambda: torch.mm(cls.prune_dense_static_sort(x), wt), args.warmup, args.iters
                        )
                    for key, fn in (("dense_graph_ms", lambda: x @ wt), ("sparse_graph_ms", lambda: torch.mm(xs, wt))):
                        try:
                            rec[key] = time_graph_ms(fn, args.warmup, args.iters)
                        except Exception as e:
                            rec[key + "_error"] = f"{type(e).__name__}: {str(e)[:200]}"
                    # Weight-style orientation for comparison: Y^T = W [O, K] (dense) @ X^T, with the 2:4
                    # operand as the first (row-major, 2:4 along K) argument is what cuSPARSELt expects;
                    # here the *weight* is the sparse one, as in NVIDIA's own use.
                    w24 = prune_2_4(wt.t().contiguous())
                    w24s = to_sparse_semi_structured(w24)
                    rec["weight_sparse_linear_ms"] = time_ms(lambda: torch.nn.functional.linear(x, w24s), args.warmup, args.iters)
                    rec["weight_dense_linear_ms"] = time_ms(lambda: torch.nn.functional.linear(x, w24), args.warmup, args.iters)
                    rec["speedup"] = rec["dense_ms"] / rec["sparse_ms"]
                    rec["speedup_with_compress"] = rec["dense_ms"] / rec["sparse_with_compress_ms"]
                    rec["dense_tflops"] = 2 * t * k * o / rec["dense_ms"] / 1e9
                except Exception as e:  # record, do not hide: some shapes/backends are unsupported
                    rec["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                records.append(rec)
                print(json.dumps(rec), flush=True)
    meta = {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "protocol": f"CUDA events, median of {args.iters} after {args.warmup} warm-up calls; X 2:4 magnitude-pruned randn, W randn",
        "operand": "sparse = activation X [T, K] (2:4 along K), dense = W^T [K, O]",
    }
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "records": records}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
