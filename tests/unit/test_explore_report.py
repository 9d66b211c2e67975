"""The report: figures from the table alone, and a verdict computed from the numbers."""

import json

import numpy as np
import pytest
from matplotlib.figure import Figure

from accelsim.explore import SweepConfig, load_results, run_sweep
from accelsim.explore.store import Table
from accelsim.report import figures as F
from accelsim.report import write_report
from accelsim.report.__main__ import main as report_main
from accelsim.report.verdict import marginal_returns, matched_pairs, verdict_lines
from tests.support.explore_standin import BACKEND, make_trace_set

SPACE = """
name = "toy"
[axes]
largest_pattern = {patterns}
selector = ["naive", "window"]
pe_array = [4, 8]
"""


def run(tmp_path, patterns='["dense", "2:4", "8:16", "16:32"]', name="toy"):
    traces = tmp_path / "traces"
    if not traces.exists():
        make_trace_set(traces, {"dense": 10.0, "2:4": 14.0, "4:8": 13.0, "8:16": 12.0, "16:32": 11.5})
    spec = tmp_path / f"{name}.toml"
    spec.write_text(SPACE.format(patterns=patterns))
    out = tmp_path / "results" / name
    run_sweep(SweepConfig(str(spec), (str(traces),), str(out), jobs=1, progress=False), backend=BACKEND)
    return out


def test_report_writes_figures_tables_and_computed_verdict(tmp_path):
    out = run(tmp_path)
    md = write_report(out, tmp_path / "analysis" / "toy")
    text = md.read_text()
    for stem in ("accuracy_vs_area", "accuracy_vs_energy", "accuracy_vs_area_time", "cycles_vs_area", "stall_breakdown", "energy_breakdown"):
        assert (md.parent / f"{stem}.png").stat().st_size > 1000 and (md.parent / f"{stem}.svg").is_file()
        assert f"({stem}.png)" in text
    # stand-in area = multipliers * (1e-4 + 1e-5 * M): 8:16 over 2:4 = (1e-4 + 16e-5) / (1e-4 + 4e-5) - 1 = +85.7 %
    assert "area median +85.7 %" in text
    # accuracy gain 14 - 12 = 2; the best 8:16 design is 12 - 10 = +2 over dense
    assert "improves by +2.000" in text and "8:16 +2.000" in text
    # selector area doubled: (1e-4 + 32e-5) / (1e-4 + 8e-5) - 1 = +133.3 %
    assert "would be median +133.3 %" in text
    # area x cycles per token: dense 1e-4 x 7 = 7e-4, 2:4 1.4e-4 x 3.625 = 5.1e-4, 8:16 2.6e-4 x 3.625 = 9.4e-4 (dominated by dense)
    assert "(silicon per unit of throughput) lie designs of: dense, 2:4." in text
    summary = next(line for line in text.splitlines() if line.startswith("| toy/toytext/magnitude/none/activations | prefill |"))
    assert summary.startswith("| toy/toytext/magnitude/none/activations | prefill | +4.000 | +2.000 | +1.500 |")
    assert summary.endswith("| +85.7 % / +0.0 % |")  # stand-in energy counts MAC slots only: equal for 2:4 and 8:16
    assert "## Provenance" in text and 'largest_pattern = ["dense", "2:4", "8:16", "16:32"]' in text
    assert "| toy-8_16-magnitude-traces | 8:16 |" in text  # trace protocol table


def test_verdict_follows_the_numbers(tmp_path):
    t = load_results(run(tmp_path))
    t = t.where(t["mode"] == "prefill")
    lines = " ".join(verdict_lines(t, ["pe_rows", "pe_cols", "selector", "patterns"], str))
    assert "2:4 twins are smaller" in lines
    # make 8:16 as accurate as 2:4: the verdict must now say it buys no accuracy
    cols = {c: t[c].copy() for c in t.columns}
    cols["ppl_delta"][cols["largest_pattern"] == "8:16"] = 4.0
    lines = " ".join(verdict_lines(Table(cols), ["pe_rows", "pe_cols", "selector", "patterns"], str))
    assert "8:16 is not more accurate than 2:4" in lines
    no816 = t.where(t["largest_pattern"] != "8:16")
    assert "no design in this sweep supports 8:16" in " ".join(verdict_lines(no816, ["pe_rows"], str))


def test_verdict_says_when_a_family_has_no_trace_of_its_own(tmp_path):
    traces = tmp_path / "traces"
    make_trace_set(traces, {"dense": 10.0, "2:4": 14.0, "8:16": 12.0})  # no 16:32 trace
    t = load_results(run(tmp_path))
    lines = " ".join(verdict_lines(t, ["pe_rows", "pe_cols", "selector", "patterns"], str))
    assert "16:32 +2.000 (runs 8:16)" in lines and "**Traces missing** for 16:32:" in lines
    assert "no 16:32 trace was given, so 16:32 designs run 8:16; only their cost is measured" in lines


def test_marginal_returns_follow_the_closed_form(tmp_path):
    t = load_results(run(tmp_path, patterns='["dense", "2:4", "4:8", "8:16", "16:32"]'))
    r = marginal_returns(t, ["pe_rows", "pe_cols", "selector", "patterns"])
    # stand-in area per multiplier is 1e-4 + 1e-5 * M; perplexities 14, 13, 12, 11.5 for 2:4, 4:8, 8:16, 16:32
    premium = lambda m_wide, m_narrow: ((1e-4 + 1e-5 * m_wide) / (1e-4 + 1e-5 * m_narrow) - 1) * 100  # noqa: E731
    assert r[("2:4", "4:8")] == pytest.approx(1.0 / premium(8, 4))
    assert r[("4:8", "8:16")] == pytest.approx(1.0 / premium(16, 8))
    assert r[("8:16", "16:32")] == pytest.approx(0.5 / premium(32, 16))
    assert ("16:32", "unstructured") not in r
    lines = " ".join(verdict_lines(t, ["pe_rows", "pe_cols", "selector", "patterns"], str))
    assert f"Past 8:16 the return falls from {1.0 / premium(16, 8):.3g} to {0.5 / premium(32, 16):.3g}" in lines


def test_matched_pairs_agree_on_everything_but_patterns(tmp_path):
    t = load_results(run(tmp_path))
    p = matched_pairs(t, ["pe_rows", "pe_cols", "selector", "patterns"], "8:16", "2:4")
    assert len(p) == 4  # 2 selectors x 2 array sizes
    np.testing.assert_allclose(p.area, (1e-4 + 16e-5) / (1e-4 + 4e-5))


def test_each_figure_reads_only_the_table(tmp_path):
    t = load_results(run(tmp_path))
    for fn in (F.fig_accuracy_vs_area, F.fig_accuracy_vs_energy, F.fig_accuracy_vs_area_time, F.fig_cycles_vs_area, F.fig_stall_breakdown,
               F.fig_energy_breakdown):
        fig = fn(t)
        assert isinstance(fig, Figure) and fig.axes
    with pytest.raises(ValueError, match="no feasible rows"):
        F.fig_accuracy_vs_area(t, workload="nope")


def test_report_cli(tmp_path, capsys):
    out = run(tmp_path)
    assert report_main([str(out), "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "report.md").is_file()
    assert report_main([str(tmp_path / "missing")]) == 2
    assert "holds no rows.jsonl" in capsys.readouterr().err


def test_report_without_accuracy_claims_none(tmp_path):
    """Synthetic traces carry no perplexity: hardware figures and costs only, no accuracy figure or claim."""
    traces = tmp_path / "traces"
    make_trace_set(traces, {"dense": 10.0, "2:4": 14.0, "8:16": 12.0})
    for m in traces.glob("*/manifest.json"):
        doc = json.loads(m.read_text())
        doc["accuracy"] = {"perplexity": None, "dense_perplexity": None}
        m.write_text(json.dumps(doc))
    md = write_report(run(tmp_path), tmp_path / "a")
    text = md.read_text()
    assert "**No accuracy**" in text and "area median +85.7 %" in text
    assert not (md.parent / "accuracy_vs_area.png").exists() and (md.parent / "cycles_vs_area.png").exists()
    assert "+nan" not in text


def test_without_a_dense_reference_the_verdict_uses_raw_perplexity(tmp_path):
    make_trace_set(tmp_path / "traces", {"2:4": 14.0, "8:16": 12.0, "16:32": 11.5})  # no dense trace, no dense_perplexity
    t = load_results(run(tmp_path))
    assert F.accuracy_column(t) == ("perplexity", "perplexity (no dense reference trace)")
    lines = " ".join(verdict_lines(t, ["pe_rows", "pe_cols", "selector", "patterns"], str))
    assert "8:16 +12.000" in lines and "improves by +2.000" in lines
    # dense designs run the most accurate trace (16:32, ppl 11.5) densely at area x cycles 1e-4 x 7 per multiplier, which
    # beats 8:16 (ppl 12, 2.6e-4 x 3.625) on both axes; 2:4 (1.4e-4 x 3.625) stays as the cheapest
    assert "lie designs of: dense, 2:4." in lines
