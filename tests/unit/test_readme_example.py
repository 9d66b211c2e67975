"""The README's notebook-style example runs as written, in a fresh directory (so it stays true)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block() -> str:
    """The Python code between ``<!-- notebook:start -->`` and ``<!-- notebook:end -->`` in the README."""
    text = README.read_text()
    m = re.search(r"<!-- notebook:start -->\s*```python\n(.*?)```\s*<!-- notebook:end -->", text, re.S)
    assert m, "README.md lost its notebook example (the <!-- notebook:start/end --> markers around a python block)"
    return m.group(1)


def test_readme_notebook_example_runs(tmp_path):
    pytest.importorskip("pandas")
    code = readme_block()
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["design_name", "trace_pattern", "area_mm2", "cycles_per_token", "uJ_per_token"]
    names = {ln.split()[1] for ln in lines[1:]}
    assert names == {"dense", "ampere-2:4", "flex-8:16-window", "flex-8:16-32x32"}
    # a 32x32 array of the same core has 4x the multipliers: fewer cycles per token than the 16x16 one
    cycles = {ln.split()[1]: float(ln.split()[4]) for ln in lines[1:]}
    assert cycles["flex-8:16-32x32"] < cycles["flex-8:16-window"]
    assert (tmp_path / "cycles_vs_area.png").stat().st_size > 10_000
    assert (tmp_path / "results" / "notebook" / "rows.jsonl").is_file()
