"""The torch twin's small-group mask routes on a GPU (prints a table; no assertions; needs CUDA).

    python benchmarks/bench_masks_gpu.py --out analysis/data/gpu_mask_routes.json

For |X| scores [4096, 2048] (bf16 and float32) grouped by M = 4 ... 64: milliseconds per call of a stable
descending sort + scatter, of the rank count (``torch_twin._rank_keep``) and of a top-k threshold with the tie fix,
each checked equal to the sort's mask first; ``mul_ms`` is one elementwise pass over X for scale.  It chose
``torch_twin._RANK_MAX_WIDTH_GPU``.  Run on the device machine (H100, torch 2.11 + cu130) for the committed file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def sort_keep(s, k):
    import torch

    order = torch.sort(s, dim=1, descending=True, stable=True).indices[:, :k]
    return torch.zeros_like(s, dtype=torch.bool).scatter_(1, order, True)


def thr_keep(s, k):
    thr = s.topk(k, dim=1, sorted=True).values[:, -1:]
    above, at = s > thr, s == thr
    need = k - above.sum(dim=1, keepdim=True)
    return above | (at & (at.cumsum(dim=1) <= need))


def bench(fn, s, k, reps: int = 20) -> float:
    import torch

    fn(s, k)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        fn(s, k)
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / reps * 1e3


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, help="also write the rows as JSON")
    args = p.parse_args(argv)
    import torch

    from accelsim.masks.torch_twin import _rank_keep

    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure", file=sys.stderr)
        return 1
    rows, g = [], torch.Generator(device="cuda").manual_seed(0)
    print(f"{'dtype':15} {'pattern':7} {'sort ms':>8} {'rank ms':>8} {'top-k ms':>8} {'mul ms':>7}")
    for dtype in (torch.bfloat16, torch.float32):
        for n, m in ((2, 4), (4, 8), (8, 16), (16, 32), (32, 64)):
            x = torch.randn(4096, 2048, device="cuda", generator=g).to(dtype).abs()
            s, ref = x.reshape(-1, m), None
            row = {"dtype": str(dtype), "pattern": f"{n}:{m}"}
            for name, fn in (("sort", sort_keep), ("rank", _rank_keep), ("topk_thr", thr_keep)):
                got = fn(s, n)
                ref = got if ref is None else ref
                assert torch.equal(got, ref), (name, n, m)
                row[name + "_ms"] = round(bench(fn, s, n), 3)
            row["mul_ms"] = round(bench(lambda a, b: a * a, s, n), 3)
            rows.append(row)
            print(f"{row['dtype']:15} {row['pattern']:7} {row['sort_ms']:8.3f} {row['rank_ms']:8.3f} {row['topk_thr_ms']:8.3f} {row['mul_ms']:7.3f}")
    if args.out:
        args.out.write_text(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
