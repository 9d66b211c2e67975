"""``python -m accelsim.report results/<name> [--out analysis/<name>]``: write the report of a sweep."""

from __future__ import annotations

import argparse
import sys

from accelsim.explore.store import StoreError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m accelsim.report", description=__doc__)
    p.add_argument("results", help="results directory written by python -m accelsim.explore")
    p.add_argument("--out", help="output directory (default: analysis/<name of results>)")
    args = p.parse_args(argv)
    from accelsim.report import write_report

    try:
        path = write_report(args.results, args.out)
    except (StoreError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
