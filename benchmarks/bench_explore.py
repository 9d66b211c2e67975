"""Benchmark: a 1,000-design sweep (built-in space ``flex-nm``) over SmolLM2-135M traces and over a
Llama-7B-sized synthetic trace set; prints total time and design points per second.

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/bench_explore.py [--jobs 2] [--llama-tokens 256]

SmolLM2 traces: every complete trace under ``traces/`` whose manifest names a SmolLM2 model
(all patterns); when there are none, synthetic traces with SmolLM2-135M's GEMM shapes
(30 blocks: q/o 576->576, k/v 576->192, gate/up 576->1536, down 1536->576) at 256 tokens, one
per pattern.  Target (issue 5): the SmolLM2 sweep in at most 60 s on 2 cores.  Times include
starting the worker processes, compiling the Numba kernels and preparing the traces.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

PATTERNS = ("dense", "2:4", "4:8", "8:16", "16:32", "unstructured:0.5")
SMOLLM2_BLOCK = ((576, 576), (576, 192), (576, 192), (576, 576), (576, 1536), (576, 1536), (1536, 576))


def real_smollm2_traces(root: Path) -> list[Path]:
    from accelsim.traces import is_complete_trace

    out = []
    for p in sorted(root.iterdir()) if root.is_dir() else []:
        if p.name == "sample" or not is_complete_trace(p):
            continue
        model = str(json.loads((p / "manifest.json").read_text()).get("config", {}).get("model", ""))
        if "smollm2" in model.lower():
            out.append(p)
    return out


def synthetic_set(root: Path, shapes, model: str) -> list[Path]:
    from accelsim.synthetic import synthetic_trace
    from accelsim.traces import Trace, save_trace

    paths = []
    for i, p in enumerate(PATTERNS):
        if p.startswith("unstructured"):
            tr = synthetic_trace(shapes, density=0.5, seed=i)
        else:
            tr = synthetic_trace(shapes, pattern=p, seed=i)
        m = tr.manifest.to_dict()
        m["config"].update(model=model, dataset="synthetic", criterion="magnitude", pattern=p)
        m["accuracy"] = {"perplexity": None, "dense_perplexity": None}  # timing only: no accuracy claimed
        paths.append(save_trace(Trace(f"{model}-{p.replace(':', '_')}", tr.layers, m), root / p.replace(":", "_")))
    return paths


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (the pool's workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def sweep(traces, out: Path, jobs: int) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (robust to other jobs on a shared machine) and the summary."""
    from accelsim.explore import SweepConfig, run_sweep

    shutil.rmtree(out, ignore_errors=True)
    c0, t0 = _cpu_seconds(), time.perf_counter()
    s = run_sweep(SweepConfig("flex-nm", tuple(map(str, traces)), str(out), jobs=jobs, progress=False))
    return time.perf_counter() - t0, _cpu_seconds() - c0, s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--smollm2-tokens", type=int, default=256, help="tokens per synthetic SmolLM2 layer (if no real traces)")
    ap.add_argument("--llama-tokens", type=int, default=256, help="tokens per Llama-7B-sized layer")
    ap.add_argument("--skip-llama", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    from accelsim.synthetic import llama7b_shapes

    tmp = Path(tempfile.mkdtemp(prefix="bench_explore-"))
    rows = []
    try:
        real = real_smollm2_traces(Path("traces"))
        if real:
            smol, source = real, f"real SmolLM2 traces ({len(real)} under traces/)"
        else:
            shapes = [(args.smollm2_tokens, k, o) for _ in range(30) for k, o in SMOLLM2_BLOCK]
            smol, source = synthetic_set(tmp / "smollm2", shapes, "smollm2-135m-shapes"), f"synthetic, SmolLM2-135M shapes, T={args.smollm2_tokens}"
        secs, cpu, s = sweep(smol, tmp / "out-smol", args.jobs)
        rows.append(("SmolLM2-135M", source, s, secs, cpu))
        if not args.skip_llama:
            llama = synthetic_set(tmp / "llama", llama7b_shapes(tokens=args.llama_tokens), "llama-7b-shapes")
            secs, cpu, s = sweep(llama, tmp / "out-llama", args.jobs)
            rows.append(("Llama-7B-sized", f"synthetic, 32 blocks x 7 linears, T={args.llama_tokens}", s, secs, cpu))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # other jobs on the machine slow these numbers down
    print(f"\nflex-nm sweep, jobs={args.jobs}, cpu_count={os.cpu_count()}, load average {load}, python {sys.version.split()[0]}")
    print("| workload | traces | designs | points | wall s | points/s | CPU s | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name, source, s, secs, cpu in rows:
        target = ("wall <= 60 s: " + ("met" if secs <= 60 else "MISSED")) if name.startswith("SmolLM2") else "-"
        print(f"| {name} | {source} | {s.designs} | {s.points} | {secs:.1f} | {s.points / secs:.1f} | {cpu:.1f} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
