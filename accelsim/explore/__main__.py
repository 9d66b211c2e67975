"""``python -m accelsim.explore``: sweep a design space over traces, optionally write the report.

Examples::

    python -m accelsim.explore --space quick --traces traces/quick --out results/quick --report
    python -m accelsim.explore --space my_space.toml --traces traces/smollm2-* --out results/mine --jobs 2
    python -m accelsim.explore --space flex-nm --traces traces/runs --out results/flex --scheduler tcp://10.0.0.5:8786
    python -m accelsim.explore --list-spaces
"""

from __future__ import annotations

import argparse
import signal
import sys
from importlib import resources
from pathlib import Path

# Only the standard library above: the sweep machinery (NumPy, the simulator, Dask) is imported after the arguments
# parse, so --help and a usage error answer at once.


def _builtin_names() -> list[str]:
    """Names of the built-in spaces (``accelsim/explore/spaces/*.toml``), read without importing the spec parser."""
    return sorted(Path(str(p)).stem for p in (resources.files("accelsim.explore") / "spaces").iterdir() if str(p).endswith(".toml"))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m accelsim.explore", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--space", help=f"space spec: a TOML file or a built-in name ({', '.join(_builtin_names())})")
    p.add_argument("--traces", nargs="+", help="trace directories, or folders holding them")
    p.add_argument("--out", help="results directory (resumed if it already holds this sweep)")
    p.add_argument("--jobs", type=int, default=0, help="local worker processes (0 = all cores, 1 = no pool)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--chunk", type=int, default=0, help="points per task (0 = automatic)")
    p.add_argument("--report", action="store_true", help="also write analysis/<name>/report.md")
    p.add_argument("--analysis-dir", default="analysis", help="where --report writes (default: analysis)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--list-spaces", action="store_true", help="print the built-in spaces and exit")
    return p


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    from accelsim.explore.run import SweepConfig, SweepError, run_sweep
    from accelsim.explore.spec import SpecError, builtin_spaces
    from accelsim.explore.store import StoreError
    from accelsim.traces import TraceError

    if args.list_spaces:
        for name, path in sorted(builtin_spaces().items()):
            print(f"{name:12s} {path}")
        return 0
    missing = [f"--{k}" for k in ("space", "traces", "out") if not getattr(args, k)]
    if missing:
        parser.error(f"missing {', '.join(missing)}")
    if args.jobs < 0:
        parser.error(f"--jobs must be >= 0 (0 = all cores), got {args.jobs}")
    if args.chunk < 0:
        parser.error(f"--chunk must be >= 0 (0 = automatic), got {args.chunk}")
    signal.signal(signal.SIGTERM, _terminate)  # `kill PID`: unwind like Ctrl-C, so the pool is shut down and the lock released
    try:
        cfg = SweepConfig(args.space, tuple(args.traces), args.out, args.jobs, args.scheduler, not args.no_progress, args.chunk)
        s = run_sweep(cfg)
    except (SpecError, StoreError, TraceError, SweepError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: the rows finished so far are in {args.out}; rerun the same command to resume", file=sys.stderr)
        return 130
    print(f"{s.designs} designs x {s.workloads} workloads: {s.points} points ({s.evaluated} new) in {s.seconds:.1f} s -> {s.out}")
    from accelsim.report.console import summary_lines

    for line in summary_lines(s.out):
        print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout)
    if args.report:
        from accelsim.report import write_report

        md = write_report(s.out, Path(args.analysis_dir) / Path(args.out).name)
        print(f"report: {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
