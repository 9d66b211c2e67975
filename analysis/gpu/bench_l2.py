"""Read bandwidth against working-set size on one GPU: the L2 plateau and the HBM plateau (issue 9's GPU presets).

A Triton kernel streams a buffer of ``size`` bytes ``passes`` times with every SM busy: each program walks its own
strided share of the buffer in 4 KiB blocks and keeps a running sum (one float32 written per program, so the stores
are negligible).  Bandwidth = size x passes / time.  Working sets well under the L2 capacity are served from L2 after
the first pass; well over it, from HBM.  The SM clock is read from NVML before and after (the L2 rate scales with it).

Run on the device machine (CI never runs it)::

    python3 analysis/gpu/bench_l2.py --out $OUT/l2_bandwidth.json

Prints a table (working set MiB, GB/s) and writes the JSON with the GPU, driver, torch and clocks.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time

import torch
import triton
import triton.language as tl


@triton.jit
def _stream(x_ptr, out_ptr, n_blocks, passes, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    nprog = tl.num_programs(0)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for _ in range(passes):
        for b in range(pid, n_blocks, nprog):
            offs = b * BLOCK + tl.arange(0, BLOCK)
            acc += tl.load(x_ptr + offs, cache_modifier=".cg").to(tl.float32)  # L2 only: no L1 reuse across passes
    tl.store(out_ptr + pid, tl.sum(acc))


def _smi(query: str) -> str:
    try:
        return subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"], capture_output=True,
                              text=True, timeout=20).stdout.strip()  # fmt: skip
    except Exception as e:  # noqa: BLE001  (recorded, not raised)
        return f"error: {e}"


def measure(size: int, passes: int, programs: int, block: int = 1024, reps: int = 7) -> float:
    """Median read bandwidth in GB/s of ``passes`` sweeps over ``size`` bytes of fp32 (one warm-up sweep first)."""
    n = size // 4 // block * block
    x = torch.ones(n, device="cuda", dtype=torch.float32)
    out = torch.empty(programs, device="cuda", dtype=torch.float32)
    nb = n // block
    _stream[(programs,)](x, out, nb, 1, BLOCK=block)  # compile + bring the set into L2 when it fits
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        _stream[(programs,)](x, out, nb, passes, BLOCK=block)
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b) * 1e-3)
    times.sort()
    total = float(out.double().sum())
    assert abs(total - n * passes) <= 1e-6 * n * passes, f"kernel summed {total}, expected {n * passes}"
    return nb * block * 4 * passes / times[len(times) // 2] / 1e9


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes-mib", default="4,8,12,16,20,24,32,40,48,64,96,128,256,512,1024")
    ap.add_argument("--programs-per-sm", type=int, default=4)
    args = ap.parse_args(argv)
    props = torch.cuda.get_device_properties(0)
    programs = props.multi_processor_count * args.programs_per_sm
    rows = []
    clocks_before = _smi("clocks.sm,clocks.mem")
    t0 = time.time()
    for mib in (int(s) for s in args.sizes_mib.split(",")):
        size = mib << 20
        passes = max(1, (4 << 30) // size)  # about 4 GiB read per timing
        gbs = measure(size, passes, programs)
        rows.append({"working_set_mib": mib, "passes": passes, "read_gb_per_s": round(gbs, 1)})
        print(f"{mib:6d} MiB  {gbs:9.1f} GB/s", flush=True)
    meta = {"gpu": props.name, "sm_count": props.multi_processor_count, "l2_bytes": getattr(props, "L2_cache_size", None),
            "torch": torch.__version__, "triton": triton.__version__, "python": platform.python_version(),
            "driver": _smi("driver_version"), "clocks_max": _smi("clocks.max.sm,clocks.max.mem"),
            "clocks_before": clocks_before, "clocks_after": _smi("clocks.sm,clocks.mem"),
            "programs": programs, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "elapsed_s": round(time.time() - t0, 1),
            "protocol": "Triton kernel, grid-strided 4 KiB fp32 blocks, running sum per program; median of 7 timed "
                        "launches after one warm-up sweep; bandwidth = bytes read x passes / time"}  # fmt: skip
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "records": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
