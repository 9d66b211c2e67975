"""Benchmark: torch masking vs the matching dense GEMM, and Numba packed-statistics throughput.

Run: ``python benchmarks/bench_masks.py`` (single thread for torch and Numba, as the issue asks).
Targets (issue 2): masking <= 20 % of the time of the dense ``X @ W`` with W [K, 4096];
statistics >= 1e9 mask elements per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from accelsim.masks import block_union_count, group_nnz, pack_mask, row_nnz, topn_mask, topn_mask_torch  # noqa: E402
from accelsim.masks.torch_twin import magnitude_sparsify  # noqa: E402

PATTERNS = ["2:4", "4:8", "8:16", "16:32", "unstructured:0.5"]


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up (and Numba compilation)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--ks", default="4096,11008", help="comma-separated K values")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    print(f"# torch {torch.__version__}, numpy {np.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    print(f"# masking = scores |X| + keep-mask + apply, float32; GEMM = X[{args.tokens},K] @ W[K,4096]")
    print("# fused = capture's magnitude / none route on CPU float32 (torch_twin.magnitude_sparsify, one thread)")
    print(f"{'K':>6} {'pattern':>17} {'mask ms':>9} {'fused ms':>9} {'GEMM ms':>9} {'mask/GEMM':>10} {'target':>7}")
    gen = torch.Generator().manual_seed(0)
    for k in (int(x) for x in args.ks.split(",")):
        x = torch.randn(args.tokens, k, generator=gen)
        w = torch.randn(k, 4096, generator=gen)
        gemm = best_of(lambda x=x, w=w: x @ w, args.repeat)
        for p in PATTERNS:
            def mask_it(x=x, p=p):
                return x * topn_mask_torch(x.abs(), p)
            t = best_of(mask_it, args.repeat)
            tf = best_of(lambda x=x, p=p: magnitude_sparsify(x, p), args.repeat)
            ok = "ok" if t <= 0.2 * gemm else "MISS"
            print(f"{k:>6} {p:>17} {t * 1e3:9.1f} {tf * 1e3:9.1f} {gemm * 1e3:9.1f} {t / gemm:9.1%} {ok:>7}")
    print()
    print(f"{'statistic':>28} {'mask elements':>14} {'ms':>8} {'elements/s':>11} {'target':>7}")
    rng = np.random.default_rng(0)
    for k in (int(x) for x in args.ks.split(",")):
        packed = pack_mask(topn_mask(rng.random((args.tokens, k), dtype=np.float32), "8:16"))
        n = args.tokens * k
        for name, fn in [
            (f"group_nnz m=16 K={k}", lambda p=packed, k=k: group_nnz(p, k, 16)),
            (f"group_nnz m=4 K={k}", lambda p=packed, k=k: group_nnz(p, k, 4)),
            (f"row_nnz K={k}", lambda p=packed, k=k: row_nnz(p, k)),
            (f"block_union_count R=16 K={k}", lambda p=packed, k=k: block_union_count(p, k, 16)),
        ]:
            t = best_of(fn, args.repeat)
            rate = n / t
            print(f"{name:>28} {n:>14,} {t * 1e3:8.2f} {rate:11.2e} {'ok' if rate >= 1e9 else 'MISS':>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
