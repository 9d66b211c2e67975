"""Capture throughput: tokens/s of a sparsified forward against a plain dense forward, and peak memory.

    .venv/bin/python benchmarks/bench_capture.py [--model smollm2-135m] [--seq-len 512] [--windows 4] [--threads 2]

Rows: plain dense forward (no hooks); dense pattern with hooks (recording all-ones masks); magnitude / none at
8:16 and 2:4 with trace recording (2048 rows) and error statistics off; 8:16 with error statistics on every
window (one extra dense GEMM per layer).  Each row runs the same windows of Brown evaluation text.  Peak memory
is the process's maximum resident set size (ru_maxrss) after the run; the issue's target is an overhead of at
most 1.2x for magnitude / none / 8:16.  The overhead column divides process CPU time (time.process_time), which
is robust when other jobs share the cores; wall-clock tokens/s is printed too.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="smollm2-135m", help="registry name, local dir or hub id")
    p.add_argument("--seq-len", type=int, default=512, help="tokens per window")
    p.add_argument("--windows", type=int, default=4, help="windows per measurement")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    from accelsim.capture.data import load_corpus, token_windows
    from accelsim.capture.hooks import LayerConfig, LayerState, sparsified
    from accelsim.capture.models import find_targets, load_model, resolve_model
    from accelsim.patterns import Pattern

    lm = load_model(resolve_model(args.model), progress=False)
    ids = token_windows(lm.tokenizer, load_corpus("brown").eval_text, args.seq_len, args.windows, lm.spec.add_bos)
    targets = find_targets(lm.model, list(lm.spec.sparsify))

    def timed(states=None, stats=False) -> tuple[float, float]:
        """(wall seconds, process CPU seconds) for the windows after one warm-up window."""
        with torch.no_grad():
            lm.model(input_ids=ids[:1])  # warm-up window (not timed)
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(ids.shape[0]):
                if states:
                    for st in states.values():
                        st.stats.enabled = stats
                lm.model(input_ids=ids[i : i + 1])
            return time.perf_counter() - t0, time.process_time() - c0

    def states_for(pattern: str):
        return {n: LayerState(LayerConfig(n, Pattern.parse(pattern), record_tokens=2048)) for n in targets}

    rows = []
    base = timed()
    rows.append(("plain dense forward (no hooks)", base))
    for label, pattern, stats in [("dense pattern, hooks + trace", "dense", False), ("2:4 magnitude/none + trace", "2:4", False),
                                  ("8:16 magnitude/none + trace", "8:16", False), ("8:16 magnitude/none + trace + error stats", "8:16", True)]:
        st = states_for(pattern)
        with sparsified(lm.model, st):
            rows.append((label, timed(st, stats)))
    tokens = ids.numel()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model {lm.spec.name}, {args.windows} windows x {args.seq_len} tokens, {args.threads} threads, {len(targets)} sparsified layers")
    print(f"{'configuration':44s} {'tokens/s':>9s} {'CPU tok/s':>10s} {'overhead (CPU time)':>20s}")
    for label, (sec, cpu) in rows:
        print(f"{label:44s} {tokens / sec:9.1f} {tokens / cpu:10.1f} {cpu / base[1]:19.2f}x")
    print(f"peak resident memory: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
