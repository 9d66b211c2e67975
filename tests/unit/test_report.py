"""The report: findings computed from the table (asserted as numbers), figures from the table alone, the compared pair a parameter.

Golden values are closed forms of the stand-in backend (tests/support/explore_standin.py): area per
multiplier 1e-4 + 1e-5 * M (M = largest group size), of which 1e-5 * M is the selector (flexibility
hardware); cycles per token 7 dense and 3.625 sparse; energy counts MAC slots only; perplexity
per trace as given to ``make_trace_set``.
"""

import json
import re

import numpy as np
import pytest

from accelsim.explore import SweepConfig, run_sweep
from accelsim.report import figures as F
from accelsim.report import style, write_report
from accelsim.report.__main__ import main as report_main
from accelsim.report.figures_premium import premium_points
from accelsim.report.findings import find, flexibility_columns, marginal_returns, matched_pairs
from accelsim.report.verdict import verdict_lines
from accelsim.results import Table, accuracy_column, load_results
from tests.support.explore_standin import BACKEND, make_trace_set

SPACE = """
name = "toy"
[axes]
largest_pattern = {patterns}
selector = ["naive", "window"]
pe_array = [4, 8]
"""
FIELDS = ["pe_rows", "pe_cols", "selector", "patterns"]
PPL = {"dense": 10.0, "2:4": 14.0, "4:8": 13.0, "8:16": 12.0, "16:32": 11.5}


def area(m: int) -> float:
    """Stand-in area per multiplier of a design whose largest group is M."""
    return 1e-4 + 1e-5 * m


def run(tmp_path, patterns='["dense", "2:4", "8:16", "16:32"]', name="toy"):
    traces = tmp_path / "traces"
    if not traces.exists():
        make_trace_set(traces, PPL)
    spec = tmp_path / f"{name}.toml"
    spec.write_text(SPACE.format(patterns=patterns))
    out = tmp_path / "results" / name
    run_sweep(SweepConfig(str(spec), (str(traces),), str(out), jobs=1, progress=False), backend=BACKEND)
    return out


def prefill(out) -> Table:
    t = load_results(out)
    return t.where(t["mode"] == "prefill")


def keys(lines: list[str]) -> list[str]:
    """The bold key that opens each verdict line (what is said, not how)."""
    return [re.match(r"\*\*(.+?)\*\*", s).group(1) for s in lines]


def test_findings_follow_the_closed_form(tmp_path):
    f = find(prefill(run(tmp_path)), FIELDS)
    assert f.compare == ("8:16", "2:4") and f.accuracy_column == "ppl_delta" and f.has_accuracy
    assert {k: s.best_accuracy for k, s in f.families.items()} == {"dense": 0.0, "2:4": 4.0, "8:16": 2.0, "16:32": 1.5}
    assert len(f.pairs) == 4  # 2 selectors x 2 array sizes
    np.testing.assert_allclose(f.pairs.area, area(16) / area(4))  # +85.7 %
    np.testing.assert_allclose(f.pairs.energy, 1.0)
    np.testing.assert_allclose(f.pairs.area_flex2x, (area(16) + 16e-5) / (area(4) + 4e-5))  # selector doubled: +133.3 %
    assert f.pairs.accuracy_gain == pytest.approx(14.0 - 12.0)
    # area x cycles per token: dense 1e-4 x 7 = 7e-4, 2:4 1.4e-4 x 3.625 = 5.1e-4, 8:16 2.6e-4 x 3.625 = 9.4e-4 (dominated by dense)
    assert f.area_time_families == ("dense", "2:4")
    assert f.smallest_on_front is not None and f.smallest_on_front.accuracy == pytest.approx(2.0)
    assert f.smallest_on_front.area_mm2 == pytest.approx(f.families["8:16"].min_area_mm2)  # the smallest 8:16 design is on the front
    assert [(x.wider, x.own_trace, x.best_accuracy) for x in f.beyond] == [("16:32", True, 1.5)]
    np.testing.assert_allclose(f.beyond[0].pairs.area, area(32) / area(16))
    assert f.borrowed == () and f.front_size == sum(s.on_front for s in f.families.values())
    lines = verdict_lines(f, str)
    assert keys(lines) == ["Accuracy", "Front", "Methods on the front", "Area at equal throughput", "8:16 on the front",
                           "Cost of 8:16 over 2:4", "What would change it", "Sensitivity", "Marginal return", "Beyond 8:16"]  # fmt: skip
    assert "+85.7 %" in lines[5] and "+133.3 %" in lines[7]  # the worded numbers are the findings' numbers


def test_the_compared_pair_is_a_parameter(tmp_path):
    out = run(tmp_path)
    f = find(prefill(out), FIELDS, compare=("16:32", "8:16"))
    assert (f.pairs.a, f.pairs.b, len(f.pairs)) == ("16:32", "8:16", 4)
    np.testing.assert_allclose(f.pairs.area, area(32) / area(16))
    assert f.pairs.accuracy_gain == pytest.approx(12.0 - 11.5) and f.beyond == ()
    assert "Cost of 16:32 over 8:16" in keys(verdict_lines(f, str))
    text = write_report(out, tmp_path / "a", compare=("16:32", "8:16")).read_text()
    assert f"| {(area(32) / area(16) - 1) * 100:+.1f} % / +0.0 % |" in text and "| 16:32 vs 8:16 area / energy (median) |" in text
    assert report_main([str(out), "--out", str(tmp_path / "b"), "--compare", "16:32,8:16"]) == 0
    assert (tmp_path / "b" / "report.md").read_text() == text.replace(str(tmp_path / "a"), str(tmp_path / "b"))
    with pytest.raises(SystemExit):
        report_main([str(out), "--compare", "8:16"])
    with pytest.raises(ValueError, match="two different"):
        write_report(out, tmp_path / "c", compare=("2:4", "2:4"))


def test_report_writes_figures_and_tables(tmp_path):
    md = write_report(run(tmp_path), tmp_path / "analysis" / "toy")
    text = md.read_text()
    for stem in ("accuracy_vs_area", "accuracy_vs_energy", "accuracy_vs_area_time", "accuracy_premium", "cycles_vs_area",
                 "stall_breakdown", "energy_breakdown"):  # fmt: skip
        assert (md.parent / f"{stem}_prefill.png").stat().st_size > 1000 and (md.parent / f"{stem}_prefill.svg").is_file()
        assert f"({stem}_prefill.png)" in text
    assert not list(md.parent.glob("*_decode.png"))  # the toy space runs prefill only
    # one design label everywhere: the front table names designs as the sweep does (<family>-<8 hex>), never bare ids
    front = text.split("### Designs on the main Pareto front")[1].split("\n## ")[0]
    assert re.search(r"\| `8:16-[0-9a-f]{8}` \|", front) and not re.search(r"\| [0-9a-f]{12} \|", front)
    summary = next(line for line in text.splitlines() if line.startswith("| toy/toytext/activations | prefill |"))
    # best ppl change of 2:4, 8:16, 16:32; 8:16 designs on the front; premium (area(16) / area(4) - 1) and equal energy
    assert summary.startswith("| toy/toytext/activations | prefill | +4.000 | +2.000 | +1.500 |")
    assert summary.endswith(f"| {(area(16) / area(4) - 1) * 100:+.1f} % / +0.0 % |")
    assert 'largest_pattern = ["dense", "2:4", "8:16", "16:32"]' in text  # provenance: the spec
    assert "| toy-8_16-magnitude-traces | 8:16 |" in text  # trace protocol table


def test_findings_follow_a_change_of_accuracy(tmp_path):
    t = prefill(run(tmp_path))
    cols = {c: t[c].copy() for c in t.columns}
    cols["ppl_delta"][cols["largest_pattern"] == "8:16"] = 4.0  # 8:16 now as accurate as 2:4
    f = find(Table(cols), FIELDS)
    assert f.pairs.accuracy_gain == 0.0 and f.families["8:16"].best_accuracy == 4.0
    no816 = find(t.where(t["largest_pattern"] != "8:16"), ["pe_rows"])
    assert "8:16" not in no816.families and no816.smallest_on_front is None and len(no816.pairs) == 0
    assert keys(verdict_lines(no816, str)) == ["Accuracy", "Front", "Methods on the front", "Area at equal throughput", "8:16"]


def test_a_family_without_its_own_trace_is_flagged(tmp_path):
    make_trace_set(tmp_path / "traces", {"dense": 10.0, "2:4": 14.0, "8:16": 12.0})  # no 16:32 trace
    f = find(load_results(run(tmp_path)), FIELDS)
    s = f.families["16:32"]
    assert (s.best_pattern, s.own_trace, s.best_accuracy) == ("8:16", False, 2.0)
    assert f.borrowed == ("16:32",) and [(x.wider, x.own_trace, x.runs) for x in f.beyond] == [("16:32", False, "8:16")]
    assert ("8:16", "16:32") not in f.marginal  # no accuracy of 16:32's own to weigh


def test_marginal_returns_follow_the_closed_form(tmp_path):
    t = load_results(run(tmp_path, patterns='["dense", "2:4", "4:8", "8:16", "16:32"]'))
    r = marginal_returns(t, FIELDS)
    premium = lambda m_wide, m_narrow: (area(m_wide) / area(m_narrow) - 1) * 100  # noqa: E731
    assert r[("2:4", "4:8")] == pytest.approx(1.0 / premium(8, 4))
    assert r[("4:8", "8:16")] == pytest.approx(1.0 / premium(16, 8))
    assert r[("8:16", "16:32")] == pytest.approx(0.5 / premium(32, 16))
    assert ("16:32", "unstructured") not in r
    assert find(t, FIELDS).marginal == r


def test_matched_pairs_agree_on_everything_but_patterns(tmp_path):
    t = load_results(run(tmp_path))
    p = matched_pairs(t, FIELDS, "8:16", "2:4")
    assert len(p) == 4  # 2 selectors x 2 array sizes
    np.testing.assert_allclose(p.area, area(16) / area(4))
    assert len(matched_pairs(t, FIELDS + ["largest_pattern"], "8:16", "2:4")) == 4  # derived fields never split a pair
    assert len(matched_pairs(t, FIELDS, "8:16", "4:8")) == 0  # no 4:8 designs in this sweep


def test_flexibility_hardware_comes_from_the_cost_registry():
    # the report's sensitivity numbers were computed with these four components as flexibility hardware
    cols = ["area_mm2." + c for c in ("multiplier", "adder", "selector", "register", "metadata_decoder", "metadata_buffer",
                                      "act_buffer", "weight_buffer", "compaction", "var_unit", "median_unit", "dram")]  # fmt: skip
    t = Table({c: np.zeros(1) for c in cols})
    assert flexibility_columns(t) == ["area_mm2.selector", "area_mm2.metadata_decoder", "area_mm2.metadata_buffer", "area_mm2.compaction"]


def test_each_figure_reads_only_the_table(tmp_path):
    t = load_results(run(tmp_path))
    for fn in (F.fig_accuracy_vs_area, F.fig_accuracy_vs_energy, F.fig_accuracy_vs_area_time, F.fig_cycles_vs_area, F.fig_stall_breakdown,
               F.fig_energy_breakdown, F.fig_premium):  # fmt: skip
        fig = fn(t)
        ax = fig.axes[0]
        assert len(ax.collections) + len(ax.patches) > 0  # points or bars were drawn
        assert fig.dpi == style.DPI  # one style for every figure
        assert fig.legends and not ax.get_legend()  # the legend sits outside the axes, never over the data
        titles = " ".join([ax.get_title(), fig._suptitle.get_text() if fig._suptitle else ""])
        assert "toy, toytext · prefill" in titles and "toy/toytext" not in titles  # a short workload label
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
    out = run(tmp_path)
    f = find(prefill(out), FIELDS)
    assert not f.has_accuracy and np.isnan(f.pairs.accuracy_gain)
    np.testing.assert_allclose(f.pairs.area, area(16) / area(4))
    assert keys(verdict_lines(f, str)) == ["No accuracy", "Cost of 8:16 over 2:4"]
    md = write_report(out, tmp_path / "a")
    assert not (md.parent / "accuracy_vs_area_prefill.png").exists() and (md.parent / "cycles_vs_area_prefill.png").exists()
    assert "+nan" not in md.read_text() and "nan %" not in md.read_text()


def test_without_a_dense_reference_the_findings_use_raw_perplexity(tmp_path):
    make_trace_set(tmp_path / "traces", {"2:4": 14.0, "8:16": 12.0, "16:32": 11.5})  # no dense trace, no dense_perplexity
    t = load_results(run(tmp_path))
    assert accuracy_column(t) == ("perplexity", "perplexity (no dense reference trace)")
    f = find(t, FIELDS)
    assert f.families["8:16"].best_accuracy == 12.0 and f.pairs.accuracy_gain == pytest.approx(2.0)
    # dense designs run the most accurate trace (16:32, ppl 11.5) densely at area x cycles 1e-4 x 7 per multiplier, which
    # beats 8:16 (ppl 12, 2.6e-4 x 3.625) on both axes; 2:4 (1.4e-4 x 3.625) stays as the cheapest
    assert f.area_time_families == ("dense", "2:4")


def test_energy_breakdown_draws_dram_on_its_own_axis(tmp_path):
    """On-chip components share the left axis; DRAM (an off-chip component of the cost registry) the right one."""
    t = load_results(run(tmp_path))
    rows = len(t)
    cols = {"energy_j.multiplier": np.full(rows, 2.0), "energy_j.selector": np.full(rows, 1.0), "energy_j.dram": np.full(rows, 50.0)}
    for name, v in cols.items():
        t = t.with_column(name, v)
    fig = F.fig_energy_breakdown(t)
    on, off = fig.axes[0], fig.axes[1]
    on_labels = {p.get_label() for p in on.containers}
    off_labels = {p.get_label() for p in off.containers}
    assert "dram" in off_labels and "dram" not in on_labels
    assert {"multiplier", "selector"} <= on_labels
    # the on-chip stack tops at multiplier + selector per token (3 / tokens), not at the DRAM bar
    tokens = float(t["tokens"][0])
    top = max(r.get_y() + r.get_height() for r in on.patches)
    assert top == pytest.approx(3.0 / tokens / _unit(on), rel=1e-6)


def _unit(ax) -> float:
    """The scale factor of an energy axis from its label unit."""
    unit = ax.get_ylabel().rsplit("[", 1)[1].rstrip("]")
    return {"pJ": 1e-12, "nJ": 1e-9, "µJ": 1e-6, "mJ": 1e-3, "J": 1.0}[unit]


def test_premium_figure_places_each_family_at_its_matched_pair_premium(tmp_path):
    """Stand-in closed form: area ratio over the 2:4 twin area(M) / area(4); energy equal; recovered = 14 - ppl(family)."""
    t = prefill(run(tmp_path))
    pts = {p["family"]: p for p in premium_points(t, "2:4", FIELDS)}
    assert set(pts) == {"8:16", "16:32"} and pts["8:16"]["pairs"] == 4
    assert pts["8:16"]["area"] == pytest.approx(area(16) / area(4) - 1) and pts["16:32"]["area"] == pytest.approx(area(32) / area(4) - 1)
    assert pts["8:16"]["energy"] == pytest.approx(0.0) and pts["16:32"]["recovered"] == pytest.approx(14.0 - 11.5)
    assert premium_points(t, "2:4") == list(pts.values())  # the Design-field columns are found in the table itself
    ax = F.fig_premium(t, base="2:4", design_fields=FIELDS).axes[0]
    xy = sorted(tuple(c.get_offsets()[0]) for c in ax.collections if type(c).__name__ == "PathCollection")
    np.testing.assert_allclose(xy, [(100 * (area(16) / area(4) - 1), 2.0), (100 * (area(32) / area(4) - 1), 2.5)])


def test_bar_charts_say_how_many_front_designs_they_show(tmp_path):
    t = prefill(run(tmp_path))
    fig = F.fig_stall_breakdown(t, limit=3)
    total = int(F.front_rows(t).sum())
    assert total > 3 and f"3 of {total} designs on the main front" in fig.axes[0].get_title()
    assert [x.get_text() for x in fig.axes[0].get_xticklabels()][0] in set(t["design_name"])  # bars named as the tables name them
    assert f"all {total} designs on the main front" in F.fig_stall_breakdown(t, limit=100).axes[0].get_title()


def test_decode_figures_are_named_by_mode_and_intervals_become_error_bars(tmp_path):
    traces = tmp_path / "traces"
    make_trace_set(traces, PPL)
    for i, m in enumerate(sorted(traces.glob("*/manifest.json"))):  # per-window NLLs as the capture records them
        doc = json.loads(m.read_text())
        base = float(np.log(doc["accuracy"]["perplexity"]))
        doc["window_nll"], doc["window_starts"] = [base - 0.05, base + 0.05, base - 0.02 * i, base + 0.02], [0, 16, 32, 48]
        m.write_text(json.dumps(doc))
    spec = tmp_path / "toy.toml"
    spec.write_text(SPACE.format(patterns='["dense", "2:4", "8:16"]') + '[evaluation]\nmodes = ["prefill", "decode"]\n')
    out = tmp_path / "results" / "toy"
    run_sweep(SweepConfig(str(spec), (str(traces),), str(out), jobs=1, progress=False), backend=BACKEND)
    md = write_report(out, tmp_path / "a")
    for mode in ("prefill", "decode"):
        assert (md.parent / f"accuracy_vs_area_{mode}.png").is_file() and f"(accuracy_vs_area_{mode}.png)" in md.read_text()
    t = prefill(out)
    lo, hi, d = t["ppl_delta_lo"].astype(float), t["ppl_delta_hi"].astype(float), t["ppl_delta"].astype(float)
    sparse = t["trace_pattern"] != "dense"
    assert np.isfinite(lo).all() and (lo[sparse] < hi[sparse]).all() and (lo[~sparse] == 0).all() and (hi[~sparse] == 0).all()
    ax = F.fig_accuracy_vs_area(t).axes[0]
    bars = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    assert bars and len(bars[0].get_segments()) == int(F.front_rows(t).sum())  # one interval per front design
    assert d[sparse].size  # the windows bracket the stored perplexities loosely; only the bars' presence is asserted


def test_save_figure_writes_the_style_dpi_and_nothing_else(tmp_path):
    import matplotlib.image as mpimg

    fig = style.styled(lambda: __import__("matplotlib.figure", fromlist=["Figure"]).Figure(figsize=(4.0, 2.0)))()
    fig.subplots().plot([0, 1], [0, 1])
    paths = style.save_figure(fig, tmp_path, "x", formats=("png",))
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"] and paths == [tmp_path / "x.png"]  # no temporary file left
    assert mpimg.imread(paths[0]).shape[:2] == (2 * style.DPI, 4 * style.DPI)
