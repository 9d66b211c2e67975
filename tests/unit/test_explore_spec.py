"""Space specs: parsing, expansion, sampling, and errors that name the key and the allowed values."""

import tomllib

import pytest

from accelsim.explore.spec import (
    SpecError,
    builtin_spaces,
    design_id,
    largest_pattern_label,
    load_space,
    nested_patterns,
    parse_space,
)
from tests.support.explore_standin import StandInDesign


def parse(text: str):
    return parse_space(tomllib.loads(text), source="test.toml", design_cls=StandInDesign, presets={"small": StandInDesign(pe_rows=4)})


def test_nested_patterns_follow_design_nesting():
    assert nested_patterns("8:16") == ("2:4", "4:8", "8:16")
    assert nested_patterns("16:32") == ("2:4", "4:8", "8:16", "16:32")
    assert nested_patterns("2:4") == ("2:4",)
    assert nested_patterns("2:8") == ("1:4", "2:8")
    assert nested_patterns("dense") == ("dense",)
    assert nested_patterns("unstructured:0.5") == ("2:4", "4:8", "8:16", "16:32", "32:64", "unstructured:0.5")
    assert largest_pattern_label(nested_patterns("8:16")) == "8:16"
    assert largest_pattern_label(("2:4", "unstructured:0.5")) == "unstructured"
    assert largest_pattern_label(("dense",)) == "dense"


def test_grid_expands_axes_ranges_and_convenience():
    sp = parse(
        """
        [axes]
        largest_pattern = ["2:4", "8:16"]
        pe_array = [8, 16]
        weight_bw_bytes_per_cycle = { start = 32, stop = 128, factor = 2 }
        lanes_per_pe = { start = 4, stop = 12, step = 4 }
        clock_ghz = { start = 0.5, stop = 1.5, step = 0.5 }
        """
    )
    assert len(sp.designs) == 2 * 2 * 3 * 3 * 3
    assert sorted({x.clock_ghz for x in sp.designs}) == [0.5, 1.0, 1.5]
    d = sp.designs[0]
    assert d.pe_rows == d.pe_cols and isinstance(d.clock_ghz, float)
    assert parse("[fixed]\nclock_ghz = 2").designs[0].clock_ghz == 2.0  # an integer in TOML is accepted for a float field
    assert {x.weight_bw_bytes_per_cycle for x in sp.designs} == {32, 64, 128}
    assert {x.lanes_per_pe for x in sp.designs} == {4, 8, 12}
    assert {tuple(map(str, x.patterns)) for x in sp.designs} == {("2:4",), ("2:4", "4:8", "8:16")}
    assert len({design_id(x) for x in sp.designs}) == len(sp.designs)


def test_random_sampling_is_seeded_and_within_budget():
    text = """
        [sampling]
        method = "random"
        budget = 7
        seed = {seed}
        [axes]
        pe_rows = {{ start = 1, stop = 40, step = 1 }}
        pe_cols = [1, 2, 3]
    """
    a, b, c = parse(text.format(seed=1)), parse(text.format(seed=1)), parse(text.format(seed=2))
    assert len(a.designs) == 7
    assert [design_id(d) for d in a.designs] == [design_id(d) for d in b.designs]
    assert [design_id(d) for d in a.designs] != [design_id(d) for d in c.designs]


def test_base_preset_and_invalid_combinations_are_skipped():
    sp = parse(
        """
        base = "small"
        [axes]
        largest_pattern = ["2:4", "8:16"]
        selector = ["naive", "hierarchical"]
        """
    )
    assert all(d.pe_rows == 4 for d in sp.designs)
    assert len(sp.designs) == 3 and len(sp.rejected) == 1  # hierarchical needs M >= 8
    assert "hierarchical" in sp.rejected[0][1]


def test_dense_only_designs_collapse_selector_and_metadata_axes():
    sp = parse("[axes]\nlargest_pattern = ['dense', '2:4']\nselector = ['naive', 'window']\nmetadata_format = ['bitmask', 'index']")
    dense = [d for d in sp.designs if tuple(map(str, d.patterns)) == ("dense",)]
    assert len(dense) == 1 and dense[0].selector == "naive" and dense[0].metadata_format == "bitmask"
    assert len(sp.designs) == 1 + 4


def test_design_id_ignores_name_and_set_order():
    a = StandInDesign(name="a", patterns=("2:4", "8:16"))
    b = StandInDesign(name="b", patterns=("8:16", "2:4"))
    assert design_id(a) == design_id(b)
    assert design_id(a) != design_id(StandInDesign(patterns=("2:4",)))


@pytest.mark.parametrize(
    "text, match",
    [
        ("colour = 1", r"unknown key 'colour' in test.toml \(top level\); allowed: name, description, base"),
        ("[axes]\npe_rowz = [1]", r"unknown key 'pe_rowz' in \[axes\].*allowed: .*pe_rows.*largest_pattern"),
        ("[fixed]\nselector = 3", r"\[fixed\] selector = 3: must be a str"),
        ("[axes]\nselector = ['naive', 'fancy']", r"\[axes\] selector = 'fancy' is never a valid design: selector must be one of"),
        ("[axes]\nlargest_pattern = ['9:4']", r"largest_pattern = '9:4'.*need 0 < N <= M"),
        ("[sampling]\nmethod = 'sobol'", r"method = 'sobol'; allowed: grid, random"),
        ("[sampling]\nbudget = 0", r"budget = 0; must be an integer >= 1"),
        ("[sampling]\nbudget = 3\n[axes]\npe_rows = [1, 2, 3, 4]", r"grid has 4 combinations, above \[sampling\] budget = 3"),
        ("[evaluation]\nmodes = ['train']", r"modes = \['train'\]; allowed: .*prefill, decode"),
        ("[constraints]\nmax_area = 3", r"unknown key 'max_area' in \[constraints\]; allowed: max_area_mm2"),
        ("[constraints]\nmax_area_mm2 = -1", r"max_area_mm2 = -1; must be a positive finite number"),
        ("[axes]\npe_rows = { start = 1, stop = 8 }", r"exactly one of step .* or factor"),
        ("[axes]\npe_rows = { start = 1, stop = 8, stride = 2 }", r"unknown key 'stride' in \[axes\] pe_rows \(a range\); allowed: start, stop, step, factor"),
        ("[axes]\npe_rows = []", r"non-empty list"),
        ("base = 'huge'", r"base = 'huge' is not a preset; allowed: small"),
        ("[fixed]\npe_rows = 2\n[axes]\npe_rows = [1]", r"\[axes\] pe_rows sets 'pe_rows', which \[fixed\] also sets"),
        ("[fixed]\npe_cols = 2\n[axes]\npe_array = [1]", r"\[axes\] pe_array sets 'pe_cols', which \[fixed\] also sets"),
        ("[axes]\nlargest_pattern = ['2:4']\npatterns = [['2:4']]", r"\[axes\] largest_pattern and \[axes\] patterns both set 'patterns'"),
        ("[constraints]\nmax_multipliers = 1", r"max_multipliers = 1 excludes every design"),
    ],
)
def test_errors_name_key_and_allowed_values(text, match):
    with pytest.raises(SpecError, match=match):
        parse(text)


def test_builtin_spaces_resolve_to_distinct_designs():
    spaces = builtin_spaces()
    assert {"quick", "flex-nm"} <= set(spaces)
    for name, path in spaces.items():
        assert tomllib.loads(path.read_text())["name"] == name
        space = load_space(name)
        ids = [design_id(d) for d in space.designs]
        assert ids and len(set(ids)) == len(ids) == space.resolved["designs"]
        assert space.resolved["source"] == str(path) and set(space.modes) <= {"prefill", "decode"}
