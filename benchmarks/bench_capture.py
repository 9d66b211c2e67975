"""Capture throughput as a user sees it: the CLI's tokens/s for each pattern next to dense, after the first window.

    .venv/bin/python benchmarks/bench_capture.py [--model smollm2-135m] [--patterns dense,2:4,8:16,16:32,unstructured:0.5]
                                                 [--windows 5] [--threads 2] [--no-share] [--interleaved [--vs-unfused]]

Runs ``python -m accelsim.capture`` in this process (``accelsim.capture.__main__.main``: the CLI's code path, its
defaults for trace rows and error statistics) into a temporary directory, then reads each run's per-window wall and
process-CPU seconds from its manifest.  The first window of each run is left out (it holds the error statistics of
--stats-windows 1, one extra dense GEMM per layer, and any one-off compilation); the overhead column divides
process CPU time per token by dense's, which holds when other jobs share the cores.  --no-share computes the mask of
q/k/v_proj (and gate/up_proj) once per layer instead of once per shared input, to show what sharing saves.
--interleaved --vs-unfused compares, in one process, the fused magnitude / none kernel with the unfused route it
replaced (score, topn_mask_torch, x * mask).  The issue's target: at most 1.2x dense per token for magnitude / none after the first window.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="smollm2-135m", help="registry name, local dir or hub id")
    p.add_argument("--patterns", default="dense,2:4,8:16,16:32,unstructured:0.5")
    p.add_argument("--seq-len", type=int, default=512, help="tokens per window")
    p.add_argument("--windows", type=int, default=5, help="windows per run (the first is not counted)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--no-share", action="store_true", help="one mask per layer even where layers share their input")
    p.add_argument("--json", type=Path, help="also write the rows here")
    p.add_argument("--interleaved", action="store_true", help="on a shared machine: one process, the same hooks as the CLI, "
                   "patterns alternated window by window (and sharing on/off), median CPU seconds per window")
    p.add_argument("--vs-unfused", action="store_true", help="with --interleaved: rows with the fused magnitude / none "
                   "kernel switched off (the unfused route: score, topn_mask_torch, multiply) instead of rows with sharing off")
    args = p.parse_args(argv)

    from accelsim.capture import hooks
    from accelsim.capture.__main__ import main as cli
    from accelsim.traces import read_manifest

    if args.no_share:
        hooks._input_only = lambda state: None
    if args.interleaved:
        return interleaved(args)
    with tempfile.TemporaryDirectory() as td:
        rc = cli(["--model", args.model, "--patterns", args.patterns, "--seq-len", str(args.seq_len),
                  "--eval-tokens", str(args.seq_len * args.windows), "--threads", str(args.threads), "--out", td, "--no-progress"])
        if rc:
            return rc
        rows = []
        for d in sorted(Path(td).iterdir()):
            if not d.is_dir():
                continue
            m = read_manifest(d)
            wall, cpu = m.extra["window_seconds"][1:], m.extra["window_cpu_seconds"][1:]
            tok = len(wall) * args.seq_len
            rows.append({"pattern": str(m.config.pattern), "tokens_per_s": tok / sum(wall), "cpu_tokens_per_s": tok / sum(cpu),
                         "first_window_s": m.extra["window_seconds"][0], "perplexity": m.accuracy.perplexity})
    dense = next(r for r in rows if r["pattern"] == "dense")
    order = {p: i for i, p in enumerate(args.patterns.split(","))}
    rows.sort(key=lambda r: order.get(r["pattern"], 99))
    print(f"model {args.model}, {args.windows} windows x {args.seq_len} tokens (first not counted), {args.threads} threads, "
          f"mask sharing {'off' if args.no_share else 'on'}")
    print(f"{'pattern':18s} {'tokens/s':>9s} {'CPU tok/s':>10s} {'vs dense (CPU time)':>20s} {'first window s':>15s}")
    for r in rows:
        r["overhead"] = dense["cpu_tokens_per_s"] / r["cpu_tokens_per_s"]
        print(f"{r['pattern']:18s} {r['tokens_per_s']:9.1f} {r['cpu_tokens_per_s']:10.1f} {r['overhead']:19.2f}x {r['first_window_s']:15.2f}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def interleaved(args) -> int:
    """Alternate the patterns (sharing, or with --vs-unfused the fused kernel, on and off) window by window, so that
    load from other jobs hits all alike."""
    import statistics
    import time

    import torch

    from accelsim.capture import hooks
    from accelsim.capture.data import load_corpus, token_windows
    from accelsim.capture.models import find_targets, load_model, resolve_model
    from accelsim.capture.run import _factor
    from accelsim.methods import criterion
    from accelsim.patterns import Pattern

    torch.set_num_threads(args.threads)
    lm = load_model(resolve_model(args.model), progress=False)
    ids = token_windows(lm.tokenizer, load_corpus("brown").eval_text, args.seq_len, args.windows, lm.spec.add_bos)
    targets = find_targets(lm.model, list(lm.spec.sparsify))
    real, real_fused = hooks._input_only, hooks.magnitude_sparsify
    # (pattern, sharing, fused): each sparse pattern as the CLI runs it, then with sharing off or (--vs-unfused) with
    # the fused magnitude / none kernel off, i.e. the route before it (score, topn_mask_torch, x * mask)
    variant = (True, False) if args.vs_unfused else (False, True)
    configs = [(p, True, True) for p in args.patterns.split(",")]
    configs += [(p, *variant) for p in args.patterns.split(",") if p != "dense"]
    cpu = {c: [] for c in configs}
    mods = dict(lm.model.named_modules())
    with torch.no_grad():
        for w in range(args.windows + 1):
            for pat, share, fused in configs:
                states = {n: hooks.LayerState(hooks.LayerConfig(n, Pattern.parse(pat), criterion("magnitude"),
                                                                factor=_factor(criterion("magnitude"), mods[n].weight, 0, n),
                                                                record_tokens=2048)) for n in targets}
                hooks._input_only = real if share else (lambda state: None)
                hooks.magnitude_sparsify = real_fused if fused else (lambda x, pattern: None)
                with hooks.sparsified(lm.model, states):
                    c0 = time.process_time()
                    lm.model(input_ids=ids[w % args.windows : w % args.windows + 1])
                    if w:  # the first round warms up
                        cpu[(pat, share, fused)].append(time.process_time() - c0)
    hooks._input_only, hooks.magnitude_sparsify = real, real_fused
    d = statistics.median(cpu[("dense", True, True)])
    print(f"model {args.model}, {args.windows} rounds x {args.seq_len} tokens, {args.threads} threads, median process CPU s per window")
    print(f"{'pattern':18s} {'sharing':8s} {'fused':6s} {'CPU s/window':>13s} {'vs dense':>9s}")
    rows = []
    for (pat, share, fused), v in cpu.items():
        med = statistics.median(v)
        rows.append({"pattern": pat, "sharing": share, "fused": fused, "cpu_s_per_window": med, "overhead": med / d})
        print(f"{pat:18s} {'on' if share else 'off':8s} {'on' if fused else 'off':6s} {med:13.3f} {med / d:8.2f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
