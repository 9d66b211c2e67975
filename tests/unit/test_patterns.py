"""Pattern parsing, ordering and the metadata bits per group (goldens computed by hand from the formulas)."""

import math

import pytest

from accelsim.patterns import Pattern

# By hand: C(M,N); combinatorial ceil(log2 C(M,N)); index N*ceil(log2 M); bitmask M; log2 C(M,N) / M to 2 decimals.
TABLE_5_2 = {
    "2:4": (6, 3, 4, 4, 0.65),
    "4:8": (70, 7, 12, 8, 0.77),
    "8:16": (12870, 14, 32, 16, 0.85),
    "16:32": (601080390, 30, 80, 32, 0.91),
    "1:4": (4, 2, 2, 4, 0.50),
    "2:8": (28, 5, 6, 8, 0.60),
    "4:16": (1820, 11, 16, 16, 0.68),
}


@pytest.mark.parametrize("text", sorted(TABLE_5_2))
def test_metadata_bits_match_closed_forms(text):
    # docs/hardware-anchors.md#52-metadata-bits-per-group
    p = Pattern.parse(text)
    comb, combinatorial, index, bitmask, entropy = TABLE_5_2[text]
    assert math.comb(p.m, p.n) == comb
    assert p.metadata_bits_per_group("combinatorial") == combinatorial
    assert p.metadata_bits_per_group("index") == index
    assert p.metadata_bits_per_group("bitmask") == bitmask
    assert p.metadata_bits_per_element("bitmask") == 1.0
    assert p.metadata_bits_per_element("index") == index / p.m
    assert round(p.entropy_bits_per_element(), 2) == entropy


def test_dense_equivalent_bits_in_brackets_of_table_5_2():
    # The bracketed values of section 5.2 (bits per dense element).
    assert Pattern.parse("2:4").metadata_bits_per_element("combinatorial") == 0.75
    assert Pattern.parse("8:16").metadata_bits_per_element("combinatorial") == 0.875
    assert Pattern.parse("16:32").metadata_bits_per_element("index") == 2.5
    assert Pattern.parse("dense").metadata_bits_per_element("index") == 0.0


def test_nvidia_2_4_metadata_fraction_of_operand():
    # NVIDIA's 2:4 format (one int16 word per 16 FP16 elements, one int32 word per 32 INT8 elements, as in
    # PyTorch's torch/sparse/_semi_structured_conversions.py): metadata = 1/16 of the dense FP16 operand, 1/8 of the dense INT8 operand.
    p = Pattern.parse("2:4")
    assert p.metadata_bits_per_element("index") / 16 == 1 / 16
    assert p.metadata_bits_per_element("index") / 8 == 1 / 8


@pytest.mark.parametrize(
    "text,density,speedup",
    [("2:4", 0.5, 2.0), ("4:8", 0.5, 2.0), ("8:16", 0.5, 2.0), ("16:32", 0.5, 2.0), ("1:4", 0.25, 4.0),
     ("2:8", 0.25, 4.0), ("4:16", 0.25, 4.0), ("unstructured:0.5", 0.5, 2.0), ("dense", 1.0, 1.0)],
)
def test_density_and_ideal_speedup(text, density, speedup):
    # Compute-bound speedup = M/N at equal multipliers.
    p = Pattern.parse(text)
    assert p.density == density
    assert p.ideal_speedup == speedup


@pytest.mark.parametrize("text", ["2:4", "8:16", "16:32", "unstructured:0.5", "unstructured:0.25", "dense", "3:7"])
def test_round_trip_str(text):
    assert str(Pattern.parse(text)) == text
    assert Pattern.parse(str(Pattern.parse(text))) == Pattern.parse(text)


@pytest.mark.parametrize("text", ["Dense", " 8 : 16 ", "UNSTRUCTURED:0.5"])
def test_lenient_spelling(text):
    assert str(Pattern.parse(text)) in {"dense", "8:16", "unstructured:0.5"}


@pytest.mark.parametrize("text", ["", "4:2", "0:4", "2:0", "8-16", "unstructured", "unstructured:0", "unstructured:1.5",
                                  "sparse", "2:4:8", "-2:4", "unstructured:abc"])
def test_rejects_bad_patterns_with_accepted_forms(text):
    with pytest.raises(ValueError, match="Accepted"):
        Pattern.parse(text)


def test_patterns_hash_and_order_as_values_not_strings():
    assert len({Pattern.parse("8:16"), Pattern("nm", n=8, m=16), Pattern.parse(" 8 : 16 ")}) == 1
    assert Pattern.parse("8:16") != "8:16"  # a Pattern is not its spelling; compare str(p) for that
    ps = [Pattern.parse(t) for t in ("unstructured:0.5", "8:16", "dense", "2:4", "16:32", "unstructured:0.25")]
    assert [str(p) for p in sorted(ps)] == ["dense", "2:4", "8:16", "16:32", "unstructured:0.25", "unstructured:0.5"]


def test_rejects_non_string():
    with pytest.raises(TypeError, match="pattern must be a string"):
        Pattern.parse(8)


def test_kept_per_row_and_divisibility():
    assert Pattern.parse("8:16").kept_per_row(64) == 32
    assert Pattern.parse("unstructured:0.5").kept_per_row(7) == 4  # floor(3.5 + 0.5)
    with pytest.raises(ValueError, match="K=10 is not divisible by M=4"):
        Pattern.parse("2:4").kept_per_row(10)


def test_metadata_errors():
    with pytest.raises(ValueError, match="unknown metadata format"):
        Pattern.parse("2:4").metadata_bits_per_group("rle")
    with pytest.raises(ValueError, match="N:M patterns only"):
        Pattern.parse("dense").metadata_bits_per_group("index")
