"""``python -m accelsim.report results/<name> [--out analysis/<name>] [--compare 8:16,2:4]``: write the report of a sweep."""

from __future__ import annotations

import argparse
import sys

# Only the standard library here: NumPy, the cost model and matplotlib load after the arguments parse (fast --help).
DEFAULT_COMPARE = ("8:16", "2:4")  # accelsim.report.findings.DEFAULT_COMPARE (tests check they agree)


def _pair(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise argparse.ArgumentTypeError(f"expected two different largest supported patterns as A,B (e.g. 8:16,2:4), got {text!r}")
    return parts[0], parts[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m accelsim.report", description=__doc__)
    p.add_argument("results", help="results directory written by python -m accelsim.explore")
    p.add_argument("--out", help="output directory (default: analysis/<name of results>)")
    p.add_argument("--compare", type=_pair, default=DEFAULT_COMPARE, metavar="A,B",
                   help="the pair of largest supported patterns the verdict weighs, wider first (default: 8:16,2:4)")  # fmt: skip
    p.add_argument("--plans-design", metavar="NAME",
                   help="the core of the layer-adaptive plans section: a design of the sweep or a preset (default: the front "
                        "design supporting the most patterns among those that can run a plan)")  # fmt: skip
    args = p.parse_args(argv)
    from accelsim.report import write_report
    from accelsim.results import StoreError

    try:
        path = write_report(args.results, args.out, compare=args.compare, plans_design=args.plans_design)
    except (StoreError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
