"""Dense vs 2:4 semi-structured sparse GEMM through cuSPARSELt, on decode-to-prefill shapes (v2).

Extends ``bench_semistructured.py`` (kept, with its results in ``analysis/data/h200_semistructured.json``):

* shapes: T in (1, 16, 128, 512, 2048, 8192, 16384) against the Llama-7B linear shapes (K, O) in
  (4096, 4096), (4096, 11008), (11008, 4096) and the SmolLM2-135M ones (576, 576), (576, 192),
  (576, 1536), (1536, 576);
* dtypes: float16 and int8 (int8 dense is ``torch._int_mm``, int8 x int8 -> int32);
* two orientations of the 2:4 operand, both through cuSPARSELt
  (``torch.sparse.to_sparse_semi_structured`` with ``SparseSemiStructuredTensor._FORCE_CUTLASS = False``):
  - ``act``: the activation X [T, K] is 2:4 along K (accelsim's N:M activation sparsity), ``torch.mm(Xs, W^T)``;
  - ``wt``: the weight W [O, K] is 2:4 along K (what GPUs ship), ``F.linear(X, Ws)``;
* three timings per operation: eager (one launch per timed call), ``graph`` (CUDA-graph replay of one call on
  one operand set; operands stay L2-resident when they fit) and ``graph_rot`` (one graph replaying the call over
  n_sets distinct operand sets totalling >= ~400 MB where that fits in 128 sets, time / n_sets: operands come
  from HBM as in a real model, whose successive layers have distinct weights).

A combination the backend refuses (cuSPARSELt needs >= 16 sparse rows for fp16, 32 for int8) is recorded with
its error, and then measured again with X padded with zero rows up to the minimum (``*_padded_rows``).

Timings: CUDA events, median of --iters after --warmup.  Dense baselines use unpruned random operands; the sparse
ones use magnitude-pruned 2:4 operands.  Run on the device machine (needs CUDA); writes JSON to --out after every
shape (so a run cut short keeps what it measured).  CI never runs this.
"""

# ruff: noqa: B023  (the timing lambdas are called within their own loop iteration)
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_semistructured import prune_2_4 as _prune_2_4_float  # noqa: E402

TOKENS = (1, 16, 128, 512, 2048, 8192, 16384)
LINEARS = {  # (K, O)
    "llama7b": ((4096, 4096), (4096, 11008), (11008, 4096)),
    "smollm2-135m": ((576, 576), (576, 192), (576, 1536), (1536, 576)),
}
MIN_SPARSE_ROWS = {torch.float16: 16, torch.int8: 32}
ROT_TARGET_BYTES = 400e6  # several times the H200's 60 MB L2
ROT_MAX_SETS = 128


def prune_2_4(x: torch.Tensor) -> torch.Tensor:
    """Magnitude 2:4 along the last axis; int8 goes through float for the ranking."""
    if x.is_floating_point():
        return _prune_2_4_float(x)
    g = x.reshape(-1, 4)
    idx = g.float().abs().topk(2, dim=1).indices
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


def time_graph_ms(fns, warmup: int, iters: int) -> float:
    """Capture ``fns`` (one callable, or a list run back to back) in one CUDA graph; replay median / len(fns)."""
    fns = fns if isinstance(fns, list) else [fns]
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            for fn in fns:
                fn()
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for fn in fns:
            fn()
    ms = time_ms(graph.replay, warmup, iters) / len(fns)
    del graph
    return ms


def err(e: Exception) -> str:
    return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:300] if str(e).strip() else ''}"


def rel_err(y: torch.Tensor, ref: torch.Tensor) -> float:
    return ((y.double() - ref).norm() / ref.norm()).item()


def rand(shape, dtype, g):
    if dtype == torch.int8:
        return torch.randint(-8, 8, shape, device="cuda", dtype=torch.int8, generator=g)
    return torch.randn(shape, device="cuda", dtype=dtype, generator=g)


def measure(rec: dict, name: str, fns: list, args) -> None:
    """eager + graph on fns[0], graph_rot over all fns; errors recorded, never raised."""
    for key, f in (
        (f"{name}_ms", lambda: time_ms(fns[0], args.warmup, args.iters)),
        (f"{name}_graph_ms", lambda: time_graph_ms(fns[0], args.warmup, args.iters)),
        (f"{name}_graph_rot_ms", lambda: time_graph_ms(fns, args.warmup, args.iters)),
    ):
        try:
            rec[key] = f()
        except Exception as e:
            rec[key + "_error"] = err(e)


def bench_shape(t: int, k: int, o: int, dtype: torch.dtype, args, safe: bool = False) -> dict:
    from torch.sparse import to_sparse_semi_structured

    rec: dict = {"dtype": str(dtype).replace("torch.", ""), "T": t, "K": k, "O": o}
    el = torch.empty((), dtype=dtype).element_size()
    set_bytes = (t * k + k * o) * el + t * o * (2 if dtype == torch.float16 else 4)
    n = max(1, min(ROT_MAX_SETS, math.ceil(ROT_TARGET_BYTES / set_bytes)))
    rec["rot_sets"], rec["rot_bytes"] = n, n * set_bytes
    g = torch.Generator(device="cuda").manual_seed(1000 * t + k + o)
    xs_full = [rand((t, k), dtype, g) for _ in range(n)]
    ws = [rand((o, k), dtype, g) for _ in range(n)]  # nn.Linear layout [O, K]
    x24 = [prune_2_4(x) for x in xs_full]
    w24 = [prune_2_4(w) for w in ws]
    is_int8 = dtype == torch.int8

    # ---- dense baseline (unpruned operands): Y = X @ W^T
    if is_int8:

        def dense_fn(i, xs=xs_full):
            return lambda: torch._int_mm(xs[i], ws[i].t())
    else:

        def dense_fn(i, xs=xs_full):
            return lambda: torch.nn.functional.linear(xs[i], ws[i])

    try:
        dense_fn(0)()
        torch.cuda.synchronize()
        measure(rec, "dense", [dense_fn(i) for i in range(n)], args)
    except Exception as e:
        rec["dense_error"] = err(e)
        mr = MIN_SPARSE_ROWS[dtype]
        if t < mr:  # e.g. _int_mm refusing few rows: pad X with zero rows
            rec["dense_padded_rows"] = mr
            xp = [torch.nn.functional.pad(x, (0, 0, 0, mr - t)) for x in xs_full]
            try:
                dense_fn(0, xp)()
                torch.cuda.synchronize()
                measure(rec, "dense", [dense_fn(i, xp) for i in range(n)], args)
            except Exception as e2:
                rec["dense_padded_error"] = err(e2)

    # ---- act orientation: X 2:4 along K, compressed beforehand
    def act_setup(xlist):
        sx = [to_sparse_semi_structured(x) for x in xlist]
        return sx

    xl = x24
    try:
        sx = act_setup(xl)
    except Exception as e:
        rec["act_error"] = err(e)
        sx = None
        mr = MIN_SPARSE_ROWS[dtype]
        if t < mr:
            rec["act_padded_rows"] = mr
            xl = [torch.nn.functional.pad(x, (0, 0, 0, mr - t)) for x in x24]
            try:
                sx = act_setup(xl)
            except Exception as e2:
                rec["act_padded_error"] = err(e2)
    if sx is not None:
        # dense operand W^T: column-major view of W [O, K] (what int8 cuSPARSELt wants); fall back to row-major.
        layouts = [("col", [w.t() for w in ws]), ("row", None)]
        for lay, bt in layouts:
            if bt is None:
                bt = [w.t().contiguous() for w in ws]
            try:
                y = torch.mm(sx[0], bt[0])
                torch.cuda.synchronize()
                ref = xl[0].double() @ ws[0].double().t()
                if is_int8:
                    rec["act_out_dtype"] = str(y.dtype).replace("torch.", "")
                    rec["act_int8out_frac_eq_saturated_ref"] = (y.double() == ref.clamp(-128, 127)).double().mean().item()
                else:
                    rec["act_rel_err"] = rel_err(y, ref)
                rec["act_B_layout"] = lay
                measure(rec, "act", [lambda i=i: torch.mm(sx[i], bt[i]) for i in range(n)], args)
                break
            except Exception as e:
                rec[f"act_{lay}B_error"] = err(e)
        if not is_int8:  # v1 used a row-major B: one graph timing for continuity
            try:
                bt0 = ws[0].t().contiguous()
                rec["act_rowB_graph_ms"] = time_graph_ms(lambda: torch.mm(sx[0], bt0), args.warmup, args.iters)
            except Exception as e:
                rec["act_rowB_graph_ms_error"] = err(e)
        if is_int8 and not safe:  # int32 output, like the dense _int_mm baseline: call cuSPARSELt directly
            try:
                bt = [w.t() for w in ws]
                y = torch._cslt_sparse_mm(sx[0].packed, bt[0], out_dtype=torch.int32)
                torch.cuda.synchronize()
                ref = xl[0].double() @ ws[0].double().t()
                rec["act_i32_rel_err"] = rel_err(y, ref)
                measure(
                    rec,
                    "act_i32",
                    [lambda i=i: torch._cslt_sparse_mm(sx[i].packed, bt[i], out_dtype=torch.int32) for i in range(n)],
                    args,
                )
            except Exception as e:
                rec["act_i32_error"] = err(e)
        if args.with_compress and not is_int8:
            try:
                rec["act_compress_ms"] = time_ms(lambda: to_sparse_semi_structured(xl[0]), args.warmup, args.iters)
            except Exception as e:
                rec["act_compress_ms_error"] = err(e)

    # ---- wt orientation: W 2:4 along K, X dense (unpruned), F.linear(X, Ws)
    try:
        sw = [to_sparse_semi_structured(w) for w in w24]
        y = torch.nn.functional.linear(xs_full[0], sw[0])
        torch.cuda.synchronize()
        ref = xs_full[0].double() @ w24[0].double().t()
        if is_int8:
            rec["wt_out_dtype"] = str(y.dtype).replace("torch.", "")
            rec["wt_int8out_frac_eq_saturated_ref"] = (y.double() == ref.clamp(-128, 127)).double().mean().item()
        else:
            rec["wt_rel_err"] = rel_err(y, ref)
        measure(rec, "wt", [lambda i=i: torch.nn.functional.linear(xs_full[i], sw[i]) for i in range(n)], args)
        if is_int8 and not safe:
            try:
                y = torch._cslt_sparse_mm(sw[0].packed, xs_full[0].t(), out_dtype=torch.int32)
                torch.cuda.synchronize()
                rec["wt_i32_rel_err"] = rel_err(y.t(), ref)
                measure(
                    rec,
                    "wt_i32",
                    [lambda i=i: torch._cslt_sparse_mm(sw[i].packed, xs_full[i].t(), out_dtype=torch.int32) for i in range(n)],
                    args,
                )
            except Exception as e:
                rec["wt_i32_error"] = err(e)
    except Exception as e:
        rec["wt_error"] = err(e)

    for a, b in (
        ("dense_graph_ms", "act_graph_ms"),
        ("dense_graph_ms", "wt_graph_ms"),
        ("dense_graph_rot_ms", "act_graph_rot_ms"),
        ("dense_graph_rot_ms", "wt_graph_rot_ms"),
        ("dense_ms", "act_ms"),
        ("dense_ms", "wt_ms"),
        ("dense_graph_ms", "act_i32_graph_ms"),
        ("dense_graph_rot_ms", "act_i32_graph_rot_ms"),
        ("dense_graph_ms", "wt_i32_graph_ms"),
        ("dense_graph_rot_ms", "wt_i32_graph_rot_ms"),
    ):
        if a in rec and b in rec:
            rec["speedup_" + b.replace("_ms", "")] = rec[a] / rec[b]
    if "dense_graph_rot_ms" in rec:
        flops = 2 * t * k * o
        rec["dense_graph_rot_tops"] = flops / rec["dense_graph_rot_ms"] / 1e9
        rec["dense_graph_rot_GBps"] = set_bytes / rec["dense_graph_rot_ms"] / 1e6
    return rec


def smi() -> dict:
    try:
        out = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        keys = ("name", "driver_version", "memory_total", "clocks_max_sm", "clocks_max_mem", "power_limit")
        return dict(zip(keys, [s.strip() for s in out.splitlines()[0].split(",")]))
    except Exception as e:
        return {"error": err(e)}


def shape_list(args) -> list:
    dtypes = args.dtypes.split(",")
    tokens = [int(s) for s in args.tokens.split(",")]
    return [(m, t, k, o, d) for m in args.models.split(",") for k, o in LINEARS[m] for t in tokens for d in dtypes]


def cuda_alive() -> bool:
    try:
        torch.cuda.synchronize()
        return (torch.ones(1, device="cuda") + 1).item() == 2
    except Exception:
        return False


def worker(args) -> int:
    """Measure shapes[start:] in this process, one JSON line each; exit 3 when the CUDA context is lost."""
    from torch.sparse import SparseSemiStructuredTensor

    SparseSemiStructuredTensor._FORCE_CUTLASS = False  # cuSPARSELt
    shapes = shape_list(args)
    for idx in range(args.start, len(shapes)):
        if time.time() > args.deadline:
            return 0
        model, t, k, o, d = shapes[idx]
        safe = idx == args.safe_index
        try:
            rec = bench_shape(t, k, o, getattr(torch, d), args, safe=safe)
        except Exception as e:
            rec = {"dtype": d, "T": t, "K": k, "O": o, "error": err(e)}
        rec.update(model=model, idx=idx)
        if safe:
            rec["safe_mode"] = "rerun without the direct torch._cslt_sparse_mm(out_dtype=int32) calls"
        alive = cuda_alive()
        if not alive:
            rec["context_lost"] = True
        with open(args.jsonl, "a") as f:
            f.write(json.dumps(rec) + "\n")
        short = {
            kk: (round(v, 3) if isinstance(v, float) else v)
            for kk, v in rec.items()
            if kk.startswith("speedup") or kk.endswith("error") or kk in ("T", "K", "O", "dtype", "context_lost")
        }
        print(json.dumps(short), flush=True)
        if not alive:
            return 3
        torch.cuda.empty_cache()
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--dtypes", default="float16,int8")
    ap.add_argument("--tokens", default=",".join(map(str, TOKENS)))
    ap.add_argument("--models", default=",".join(LINEARS))
    ap.add_argument("--with-compress", action="store_true", help="also time the online compression of X (fp16)")
    ap.add_argument("--max-seconds", type=float, default=1e9, help="stop starting new shapes after this")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--safe-index", type=int, default=-1, help=argparse.SUPPRESS)
    ap.add_argument("--deadline", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--jsonl", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args)

    t0 = time.time()
    meta = {
        "gpu": torch.cuda.get_device_name(0),
        "capability": ".".join(map(str, torch.cuda.get_device_capability(0))),
        "sm_count": torch.cuda.get_device_properties(0).multi_processor_count,
        "nvidia_smi": smi(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cusparselt": getattr(torch.backends.cusparselt, "version", lambda: None)(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "backend": "cuSPARSELt via torch.sparse.to_sparse_semi_structured (_FORCE_CUTLASS=False), default alg_id 0 "
        "(no _cslt_sparse_mm_search)",
        "protocol": (
            f"CUDA events, median of {args.iters} timed calls after {args.warmup} warm-up calls. "
            "*_ms: eager, one call per event pair; *_graph_ms: replay of a CUDA graph of one call "
            "(operands L2-resident when they fit); *_graph_rot_ms: replay of one graph over rot_sets "
            "distinct operand sets (>= ~400 MB or 128 sets), divided by rot_sets. Shapes run in a worker process; "
            "one that loses the CUDA context is rerun once in safe_mode, its first errors kept in first_attempt_errors."
        ),
        "operands": (
            "dense: unpruned randn (fp16) / randint[-8,8) (int8) X [T,K], W [O,K], Y = X W^T "
            "(fp16 F.linear; int8 torch._int_mm -> int32). act: X magnitude-pruned 2:4 along K, "
            "torch.mm(Xs, W^T) (int8 out int8; act_i32 = torch._cslt_sparse_mm(out_dtype=int32)). "
            "wt: W pruned 2:4 along K, F.linear(X, Ws) (int8 out int8; wt_i32 likewise)."
        ),
        "speedups": "speedup_<sparse>_<timing> = dense_<timing>_ms / <sparse>_<timing>_ms",
        "command": " ".join(sys.argv),
    }
    shapes = shape_list(args)
    jsonl = args.out + ".jsonl"
    open(jsonl, "w").close()
    by_idx: dict = {}

    def collect():
        by_idx.clear()
        with open(jsonl) as f:
            for line in f:
                rec = json.loads(line)
                old = by_idx.get(rec["idx"])
                if old is not None:
                    rec["first_attempt_errors"] = {kk: v for kk, v in old.items() if kk.endswith("error")}
                by_idx[rec["idx"]] = rec
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "records": [by_idx[i] for i in sorted(by_idx)]}, f, indent=1)

    passthrough = ["--warmup", str(args.warmup), "--iters", str(args.iters), "--dtypes", args.dtypes]
    passthrough += ["--tokens", args.tokens, "--models", args.models] + (["--with-compress"] * args.with_compress)
    start, safe_index, deadline = 0, -1, t0 + args.max_seconds
    while start < len(shapes):
        cmd = [sys.executable, os.path.abspath(__file__), "--out", args.out, *passthrough, "--worker"]
        cmd += ["--start", str(start), "--safe-index", str(safe_index), "--deadline", str(deadline), "--jsonl", jsonl]
        p = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
        collect()
        if p.returncode == 0:
            break
        tail = p.stderr.strip()[-600:]
        print(f"worker exited {p.returncode}: ...{tail}", flush=True)
        done = [i for i in by_idx if i >= start]
        last = max(done) if done else start - 1
        crashed = last if (last >= start and by_idx[last].get("context_lost")) else last + 1
        if crashed >= len(shapes):
            break
        if safe_index == crashed:  # already rerun safely: record and move on
            if crashed not in by_idx:
                m, t, k, o, d = shapes[crashed]
                with open(jsonl, "a") as f:
                    f.write(
                        json.dumps(
                            {
                                "dtype": d,
                                "T": t,
                                "K": k,
                                "O": o,
                                "model": m,
                                "idx": crashed,
                                "error": f"worker died: {tail[-300:]}",
                            }
                        )
                        + "\n"
                    )
                collect()
            start, safe_index = crashed + 1, -1
        else:
            start, safe_index = crashed, crashed
        if time.time() > deadline:
            break
    if time.time() > deadline and len(by_idx) < len(shapes):
        meta["truncated"] = f"stopped after {args.max_seconds} s: {len(by_idx)} of {len(shapes)} shapes"
    meta["elapsed_s"] = round(time.time() - t0, 1)
    collect()
    os.remove(jsonl)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
