"""Regenerate every committed analysis artifact from a clean checkout, in order, printing each command.

    python analysis/reproduce.py --quick   # quick capture -> analysis/quick/accuracy.json, quick sweep + report (minutes)
    python analysis/reproduce.py           # also the flex-nm traces, sweep + report, validation, and the capture report (hours)

Steps (each one command, printed before it runs; a failing step stops the script with its exit code):

1. ``python -m accelsim.capture --preset quick --out traces/quick``, then ``analysis/quick/accuracy.json`` from the
   trace manifests (perplexity per pattern, tokens scored, protocol, code): the numbers the quick report states.
   ``tests/integration/test_reproduce.py`` checks a fresh quick capture against that file exactly (capture is
   deterministic: masks byte-identical, perplexities equal across runs and thread counts).
2. ``python -m accelsim.explore --space quick --traces traces/quick --out results/quick --report`` -> ``analysis/quick/``.
3. (not --quick) the flex-nm traces (SmolLM2-135M, Brown, 6 patterns, 2,048 evaluation tokens, 512 mask rows;
   activation-sparse, weight-pruned (magnitude) and dual-side with 2:4 weights), plus the N:16 densities 4:16 and
   12:16 for the layer-adaptive study: the per-group sensitivity on the calibration part
   (``capture --sensitivity`` -> ``analysis/flex-nm/sensitivity.json``), plans for the ``flex-n16`` core at 0.5,
   0.75 and 1 times uniform 8:16's predicted loss (``python -m accelsim.plans`` -> ``analysis/flex-nm/plans/``),
   each plan captured for real (``capture --plan``), then
   ``python -m accelsim.explore --space flex-nm ... --report`` -> ``analysis/flex-nm/``.
4. (not --quick) ``python analysis/validation.py`` -> ``analysis/validation.md``.
5. (not --quick) ``python analysis/capture_report.py`` -> ``analysis/capture_report.md`` (long CPU run).

Results folders are removed first unless --resume, so every number comes from this run's code.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUICK_CAPTURE = ["-m", "accelsim.capture", "--preset", "quick", "--no-progress"]
FLEX_CAPTURE = ["-m", "accelsim.capture", "--eval-tokens", "2048", "--trace-tokens", "512", "--no-progress",
                "--sparsify", "activations,weights,both", "--weight-criteria", "magnitude"]
# The layer-adaptive study on the same model and protocol (issue 12): N:16 densities, sensitivity, plans, plan runs.
N16_CAPTURE = ["-m", "accelsim.capture", "--eval-tokens", "2048", "--trace-tokens", "512", "--no-progress", "--patterns", "dense,4:16,12:16"]
SENSITIVITY = ["-m", "accelsim.capture", "--patterns", "4:16,8:16,12:16", "--calib-tokens", "1024", "--no-progress",
               "--sensitivity", "analysis/flex-nm/sensitivity.json"]
PLANS = ["-m", "accelsim.plans", "--sensitivity", "analysis/flex-nm/sensitivity.json", "--design", "flex-n16",
         "--match", "8:16@0.5,0.75,1", "--out", "analysis/flex-nm/plans"]
PLAN_FILES = [f"analysis/flex-nm/plans/plan-8of16x{f}.toml" for f in ("0.5", "0.75", "1")]


def accuracy_summary(trace_dirs: list[Path]) -> dict:
    """The accuracy a capture states, from its manifests: {"protocol", "tokens_scored", "perplexity": {pattern: value}}."""
    from accelsim.traces import read_manifest

    out: dict = {"perplexity": {}, "tokens_scored": {}, "protocol": None, "model": None, "capture_code": [], "cpu_capability": None}
    for d in sorted(trace_dirs):
        m = read_manifest(d)
        pat = str(m.pattern)
        out["perplexity"][pat] = m.accuracy.perplexity if m.accuracy else None
        out["tokens_scored"][pat] = m.accuracy.tokens_scored if m.accuracy else None
        prot = dict(m.protocol or {})
        prot.pop("sparsified", None)  # differs by pattern (dense says "nothing")
        out["protocol"] = out["protocol"] or prot
        out["model"] = out["model"] or {k: (m.model_info or {}).get(k) for k in ("id", "weights_sha256")}
        # sparse perplexities repeat exactly only on the same CPU instruction set (docs/capture.md)
        out["cpu_capability"] = out["cpu_capability"] or (m.versions or {}).get("cpu_capability")
        code = (m.extra.get("provenance") or {}).get("code")
        if code and code not in out["capture_code"]:
            out["capture_code"].append(code)
    return out


def write_accuracy(trace_root: Path, dest: Path) -> dict:
    from accelsim.io import atomic_write_json
    from accelsim.traces import is_complete_trace

    dirs = [p for p in trace_root.iterdir() if not p.name.startswith(".") and is_complete_trace(p)]
    summary = accuracy_summary(dirs)
    atomic_write_json(dest, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the quick capture, accuracy.json and the quick sweep + report")
    ap.add_argument("--traces", default="traces", help="where traces go (default traces/)")
    ap.add_argument("--results", default="results", help="where sweep results go (default results/)")
    ap.add_argument("--resume", action="store_true", help="keep existing results folders (default: start them afresh)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = ap.parse_args(argv)
    py = sys.executable
    traces, results = Path(args.traces), Path(args.results)

    def run(cmd: list[str]) -> None:
        print("$ " + shlex.join(["python" if c == py else c for c in cmd]), flush=True)
        if not args.dry_run:
            rc = subprocess.run(cmd, cwd=ROOT).returncode
            if rc:
                raise SystemExit(rc)

    def fresh(d: Path) -> None:
        if not args.resume and not args.dry_run and (ROOT / d).exists():
            print(f"# removing {d} (a fresh sweep)", flush=True)
            shutil.rmtree(ROOT / d)

    run([py, *QUICK_CAPTURE, "--out", str(traces / "quick")])
    print(f"# analysis/quick/accuracy.json from the manifests in {traces / 'quick'}", flush=True)
    if not args.dry_run:
        s = write_accuracy(ROOT / traces / "quick", ROOT / "analysis" / "quick" / "accuracy.json")
        print("#   " + ", ".join(f"{p} {v:.3f}" for p, v in s["perplexity"].items()), flush=True)
    fresh(results / "quick")
    run([py, "-m", "accelsim.explore", "--space", "quick", "--traces", str(traces / "quick"), "--out", str(results / "quick"),
         "--report", "--no-progress"])  # fmt: skip
    if not args.quick:
        run([py, *FLEX_CAPTURE, "--out", str(traces / "flex-nm")])
        run([py, *N16_CAPTURE, "--out", str(traces / "flex-nm")])
        run([py, *SENSITIVITY])
        run([py, *PLANS, "--traces", str(traces / "flex-nm")])
        run([py, "-m", "accelsim.capture", "--eval-tokens", "2048", "--trace-tokens", "512", "--no-progress", "--patterns", "dense",
             "--plan", ",".join(PLAN_FILES), "--out", str(traces / "flex-nm")])  # fmt: skip
        fresh(results / "flex-nm")
        run([py, "-m", "accelsim.explore", "--space", "flex-nm", "--traces", str(traces / "flex-nm"), "--out", str(results / "flex-nm"),
             "--report", "--no-progress"])  # fmt: skip
        run([py, "analysis/validation.py"])
        run([py, "analysis/capture_report.py"])
    print("# done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
