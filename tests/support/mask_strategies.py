"""Hypothesis strategies shared by the mask tests."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim.patterns import Pattern

NM_PATTERNS = ["1:2", "2:4", "1:4", "3:4", "2:8", "4:8", "3:8", "8:16", "4:16", "16:32"]
ALL_PATTERNS = NM_PATTERNS + ["unstructured:0.5", "unstructured:0.25", "unstructured:0.8", "dense"]

# Small integers make ties (and all-zero groups) common; general floats cover the rest.
tie_heavy = st.integers(min_value=-3, max_value=3).map(float)
general = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def scores_and_pattern(draw, patterns=ALL_PATTERNS, elements=None, unique=False):
    """(float32 array [rows, K], Pattern) with K a multiple of M for N:M patterns."""
    pattern = Pattern.parse(draw(st.sampled_from(patterns)))
    rows = draw(st.integers(1, 5))
    if pattern.is_nm:
        k = pattern.m * draw(st.integers(1, 4))
    else:
        k = draw(st.integers(1, 40))
    elems = elements if elements is not None else st.one_of(tie_heavy, general)
    if unique:
        elems = general
    arr = draw(hnp.arrays(np.float32, (rows, k), elements=elems, unique=unique))
    return arr, pattern


@st.composite
def vectors_for_nesting(draw):
    """A float64 vector whose length is a multiple of 32 (so every 50 % pattern tiles it)."""
    k = 32 * draw(st.integers(1, 3))
    return draw(hnp.arrays(np.float64, (k,), elements=st.one_of(tie_heavy, general.map(float))))
