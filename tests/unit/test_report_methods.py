"""The report's account of criteria and mitigations: the best method per pattern and whether its unit earns a front place."""

import json

import numpy as np
import pytest

from accelsim.explore import SweepConfig, run_sweep
from accelsim.report import write_report
from accelsim.report.methods import front_methods, method_stats
from accelsim.results import Table, front_rows, load_results
from tests.support.explore_standin import make_trace

FIELDS = ["pe_rows", "selector", "patterns", "mitigation_units"]
META = {"traces": [
    {"workload_id": "w", "pattern": p, "method": m, "units": u, "accuracy": {"perplexity": ppl}}
    for p, m, u, ppl in (("dense", "none/none", [], 10.0), ("8:16", "magnitude/none", [], 12.0), ("8:16", "magnitude/var", ["var"], 11.0),
                         ("8:16", "wanda/none", [], 12.5), ("2:4", "magnitude/none", [], 14.0), ("2:4", "magnitude/var", ["var"], 13.0))
]}  # fmt: skip


def table(rows):
    cols = ("design_name", "pe_rows", "selector", "patterns", "mitigation_units", "trace_pattern", "method", "ppl_delta",
            "dense_perplexity", "area_mm2", "energy_per_token_j", "cycles_per_token")  # fmt: skip
    return Table({c: np.array([r[k] for r in rows], dtype=object if isinstance(rows[0][k], str) else float)
                  for k, c in enumerate(cols)})  # fmt: skip


def test_a_unit_that_earns_the_front_and_one_that_does_not():
    t = table([
        # A and its twin A+var: the twin is more accurate for a little more area and energy
        ("A", 8, "window", "8:16", "", "8:16", "magnitude/none", 2.0, 10.0, 1.00, 1.00, 5.0),
        ("A+var", 8, "window", "8:16", "var", "8:16", "magnitude/var", 1.0, 10.0, 1.01, 1.002, 5.0),
        # C dominates A (same accuracy, less area and energy) but not A+var: the unit puts A+var on the front
        ("C", 16, "naive", "8:16", "", "8:16", "magnitude/none", 2.0, 10.0, 0.99, 0.99, 5.0),
        # B and its twin B+var, both beaten by C and A+var: the unit does not help B
        ("B", 8, "naive", "8:16", "", "8:16", "magnitude/none", 2.0, 10.0, 1.20, 1.20, 5.0),
        ("B+var", 8, "naive", "8:16", "var", "8:16", "magnitude/var", 1.0, 10.0, 1.212, 1.203, 5.0),
    ])  # fmt: skip
    front = front_rows(t)
    assert list(t["design_name"][front]) == ["A+var", "C"]
    (s,) = [x for x in method_stats(t, META, "w", FIELDS) if x.pattern == "8:16"]
    assert (s.methods, s.best, s.best_units, s.free) == (3, "magnitude/var", ("var",), "magnitude/none")
    assert s.best_ppl == pytest.approx(1.0) and s.free_ppl == pytest.approx(2.0)
    assert (s.runs, s.with_units, s.on_front, s.twins, s.twins_on_front, s.put_on_front) == (2, 2, 1, 2, 0, 1)
    assert s.area_premium == pytest.approx(0.01) and s.energy_premium == pytest.approx(0.00225)  # medians of (1 %, 1 %) and (0.2 %, 0.25 %)
    (s24,) = [x for x in method_stats(t, META, "w", FIELDS) if x.pattern == "2:4"]
    assert (s24.runs, s24.with_units) == (0, 2)  # the var designs run 8:16, more accurate than 2:4 with VAR
    assert front_methods(t, front) == {"magnitude/none": 1, "magnitude/var": 1}


def test_tables_without_methods_have_no_section():
    t = table([("A", 8, "window", "8:16", "", "8:16", "magnitude/none", 2.0, 10.0, 1.0, 1.0, 5.0)])
    old = Table({c: t[c] for c in t.columns if c not in ("method", "mitigation_units")})  # rows of an older sweep
    assert method_stats(old, META, "w", FIELDS) == [] and front_methods(old, front_rows(old)) == {}


SPACE = """
name = "m"
[axes]
largest_pattern = ["dense", "2:4", "8:16"]
pe_array = [8, 16]
[variants]
families = ["8:16"]
mitigation_units = [["var"]]
"""


def test_report_names_the_method_of_every_front_design(tmp_path):
    shapes = ((8, 64, 32), (8, 32, 16))
    for pat, mit, ppl in (("dense", "none", 10.0), ("2:4", "none", 14.0), ("8:16", "none", 12.0), ("8:16", "var", 11.0)):
        make_trace(tmp_path / "tr" / f"{pat.replace(':', '_')}-{mit}", pat, perplexity=ppl, mitigation=mit, seed=1, shapes=shapes)
    (tmp_path / "m.toml").write_text(SPACE)
    out = tmp_path / "res"
    run_sweep(SweepConfig(str(tmp_path / "m.toml"), (str(tmp_path / "tr"),), str(out), jobs=1, progress=False))
    t = load_results(out)
    var = t["mitigation_units"] == "var"
    assert var.sum() == 2 and set(t["method"][var]) == {"magnitude/var"} and set(t["method"][~var & (t["largest_pattern"] != "dense")]) == {"magnitude/none"}
    text = write_report(out, tmp_path / "ana").read_text()
    front = text.split("### Designs on the main Pareto front")[1].split("\n## ")[0].splitlines()
    head = [c.strip() for c in front[2].split("|")]
    assert "runs" in head and "mitigation units" in head
    runs = {line.split("|")[head.index("runs")].strip() for line in front[4:] if line.startswith("| `")}
    assert runs and runs <= {"dense", "2:4 magnitude/none", "8:16 magnitude/none", "8:16 magnitude/var"}
    section = text.split("### Criteria and mitigations in the sweep")[1].split("\n### ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| 8:16 |"))
    assert "magnitude/var (+1.000)" in row and "magnitude/none (+2.000)" in row
    assert "**Methods on the front**" in text
    assert "var: 2 designs include it, 2 run a trace that uses it" in section
    meta = json.loads((out / "sweep.json").read_text())
    assert {(tr["pattern"], tr["method"], tuple(tr["units"])) for tr in meta["traces"]} >= {("8:16", "magnitude/var", ("var",))}
    from accelsim.report.console import summary_lines

    best816 = next(line for line in summary_lines(out) if line.strip().startswith("8:16 "))
    assert best816.endswith("8:16 magnitude/var")  # the most accurate 8:16 design is a VAR twin, and says so
