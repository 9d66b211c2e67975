"""Every captured criterion and mitigation in one workload: a design runs the best trace it can run, paying for its unit."""

import dataclasses

import pytest

from accelsim.explore.points import default_backend, evaluate_chunk
from accelsim.explore.spec import SpecError, load_space, parse_space
from accelsim.explore.workloads import discover_workloads
from accelsim.sim import Design, presets
from tests.support.explore_standin import make_trace

SHAPES = ((8, 64, 32), (8, 32, 16))
# (pattern, criterion, mitigation, perplexity, seed): VAR traces are the most accurate of their pattern; the
# 8:16 VAR trace shares its masks (seed) with the 8:16 magnitude/none one, so the two differ only in the method
RUNS = (("dense", "magnitude", "none", 10.0, 0), ("8:16", "magnitude", "none", 12.0, 1), ("8:16", "magnitude", "var", 11.0, 1),
        ("2:4", "magnitude", "none", 14.0, 2), ("2:4", "wanda", "var", 13.0, 3), ("2:4", "clact", "dpts", 12.5, 4))


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    root = tmp_path_factory.mktemp("methods")
    for pat, crit, mit, ppl, seed in RUNS:
        make_trace(root / f"{pat.replace(':', '_')}-{crit}-{mit}", pat, perplexity=ppl, criterion=crit, mitigation=mit,
                   seed=seed, shapes=SHAPES)  # fmt: skip
    (wl,) = discover_workloads([root])
    return wl


def flex(units=(), largest="8:16"):
    pats = {"8:16": ("2:4", "4:8", "8:16"), "2:4": ("2:4",)}[largest]
    return dataclasses.replace(presets["flex-8:16-window"], patterns=pats, mitigation_units=tuple(units))


def test_one_workload_holds_every_method(workload):
    assert workload.key == ("toy", "toytext", "activations") and workload.dense_perplexity == 10.0
    assert sorted((str(t.pattern), t.method, t.units) for t in workload.traces) == [
        ("2:4", "clact/dpts", ("median",)), ("2:4", "magnitude/none", ()), ("2:4", "wanda/var", ("var",)),
        ("8:16", "magnitude/none", ()), ("8:16", "magnitude/var", ("var",)), ("dense", "none/none", ()),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "largest, units, expect",
    [
        ("8:16", (), ("8:16", "magnitude/none")),  # the VAR trace is more accurate, but needs the variance unit
        ("8:16", ("var",), ("8:16", "magnitude/var")),
        ("8:16", ("median",), ("8:16", "magnitude/none")),  # a unit of another method does not help
        ("2:4", (), ("2:4", "magnitude/none")),
        ("2:4", ("var",), ("2:4", "wanda/var")),
        ("2:4", ("var", "median"), ("2:4", "clact/dpts")),  # 12.5 beats VAR's 13.0 once the median unit is there
    ],
)
def test_a_design_runs_the_best_trace_whose_unit_it_has(workload, largest, units, expect):
    t = workload.choose(flex(units, largest))
    assert (str(t.pattern), t.method) == expect


def test_the_unit_is_counted_and_priced(workload):
    without, with_var = flex(), flex(("var",))
    r0, r1 = evaluate_chunk([(without, workload, "prefill"), (with_var, workload, "prefill")], {}, default_backend())
    assert (r0["method"], r0["method_units"], r1["method"], r1["method_units"]) == ("magnitude/none", "", "magnitude/var", "var")
    assert (r0["criterion"], r0["mitigation"], r1["mitigation"]) == ("magnitude", "none", "var")
    assert r1["ppl_delta"] == pytest.approx(1.0) and r0["ppl_delta"] == pytest.approx(2.0)
    assert r0["cycles"] == r1["cycles"]  # same masks: the unit works beside the GEMM
    # the unit's area is the whole area difference; its energy (docs/methods.md: two accumulate passes per input
    # element) is there only for the design that has it
    assert r0["area_mm2.var_unit"] == 0 and r1["area_mm2.var_unit"] > 0
    assert r1["area_mm2"] - r0["area_mm2"] == pytest.approx(r1["area_mm2.var_unit"], rel=1e-9)
    assert r0["energy_j.var_unit"] == 0 and r1["energy_j.var_unit"] > 0
    assert r1["energy_j"] > r0["energy_j"] + r1["energy_j.var_unit"] * 0.999  # plus the unit's leakage


def test_variance_work_is_two_passes_per_input_element(workload):
    from accelsim.sim import simulate
    from accelsim.traces import load_trace

    ref = workload.choose(flex(("var",)))
    res = simulate(flex(("var",)), load_trace(ref.path), mode="prefill")
    assert res.counts.variance_ops == 2 * sum(t * k for t, k, _ in SHAPES)
    assert simulate(flex(), load_trace(ref.path), mode="prefill").counts.variance_ops == 0  # no unit, nothing counted


def test_single_method_traces_choose_as_before(tmp_path):
    """Adding VAR traces changes nothing for designs without the unit: each runs its best supported pattern."""
    ppl = {"dense": 10.0, "2:4": 14.0, "4:8": 13.0, "8:16": 12.0, "16:32": 11.5, "unstructured:0.5": 11.0}
    for i, (p, v) in enumerate(ppl.items()):
        make_trace(tmp_path / "none" / p.replace(":", "_"), p, perplexity=v, seed=i, shapes=SHAPES)
    (plain,) = discover_workloads([tmp_path / "none"])
    for i, p in enumerate(("2:4", "8:16")):
        make_trace(tmp_path / "var" / p.replace(":", "_"), p, perplexity=ppl[p] - 0.5, mitigation="var", seed=10 + i, shapes=SHAPES)
    (mixed,) = discover_workloads([tmp_path / "none", tmp_path / "var"])
    space = load_space("quick")
    for d in space.designs:
        supported = [p for p in ppl if p != "dense" and d.supports(p)]
        best = min(supported, key=ppl.get) if supported else "dense"  # the rule before methods competed
        assert str(plain.choose(d).pattern) == best, d.name
        if not d.mitigation_units:
            assert mixed.choose(d).run_id == plain.choose(d).run_id, d.name
        elif best in ("2:4", "8:16"):
            assert mixed.choose(d).mitigation == "var", d.name


def test_workload_without_a_trace_the_design_can_run_is_not_accepted(tmp_path):
    make_trace(tmp_path / "v", "8:16", perplexity=11.0, dense_perplexity=10.0, mitigation="var", shapes=SHAPES)
    (wl,) = discover_workloads([tmp_path / "v"])
    assert wl.accepts(flex(("var",))) and not wl.accepts(flex())
    with pytest.raises(ValueError, match=r"none of the mitigation units \['var'\]"):
        wl.choose(flex())


SPEC = """
[axes]
largest_pattern = ["2:4", "8:16", "16:32"]
pe_array = [8, 16]
[variants]
families = ["8:16", "2:4"]
mitigation_units = [["var"], ["var", "median"]]
"""


def test_variants_add_twins_of_the_named_families_only():
    import tomllib

    s = parse_space(tomllib.loads(SPEC))
    base = [d for d in s.designs if not d.mitigation_units]
    twins = [d for d in s.designs if d.mitigation_units]
    assert len(base) == 6 and len(twins) == 2 * 2 * 2 and s.resolved["variants"]["designs_added"] == 8
    strip = {dataclasses.replace(d, name="x", mitigation_units=()) for d in twins}
    assert strip == {dataclasses.replace(d, name="x") for d in base if d.max_m <= 16 and "16:32" not in map(str, d.patterns)}


@pytest.mark.parametrize("bad, match", [
    ('families = ["9:7"]\nmitigation_units = [["var"]]', "'9:7' is not a pattern family"),
    ('families = ["8:16"]\nmitigation_units = [["varr"]]', "varr"),
    ('families = ["8:16"]', "names no field to vary"),
    ('families = []\nmitigation_units = [["var"]]', "families = \\[\\]"),
])  # fmt: skip
def test_bad_variants_are_named(bad, match):
    import tomllib

    doc = tomllib.loads('[axes]\nlargest_pattern = ["8:16"]\n[variants]\n' + bad)
    with pytest.raises(SpecError, match=match):
        parse_space(doc)


def test_dense_cores_carry_no_mitigation_unit():
    s = parse_space({"axes": {"largest_pattern": ["dense"], "mitigation_units": [[], ["var"]]}})
    assert len(s.designs) == 1 and s.designs[0].mitigation_units == ()
    assert isinstance(s.designs[0], Design)
