"""Sparsity patterns: N:M, unstructured at a density, and dense.

One immutable :class:`Pattern` type is shared by capture, the simulator and the
cost model.  ``Pattern.parse`` accepts exactly three spellings::

    "N:M"                 keep N of every M consecutive input channels, 0 < N <= M
    "unstructured:D"      keep round(D * K) channels per row (token), 0 < D <= 1
    "dense"               keep everything

A Pattern is parsed once, where a pattern enters the program (CLI, TOML, manifest JSON);
everything after holds the object.  ``str(pattern)`` is its canonical spelling.

Metadata bits per group of M dense elements: index ``N * ceil(log2 M)`` (one position per
kept element; NVIDIA's 2:4 format stores two 2-bit indices per group of four, see
"Accelerating Sparse Deep Neural Networks", Mishra et al., arXiv 2104.08378), bitmask ``M``
(one bit per element), combinatorial ``ceil(log2 C(M, N))`` (the rank of the kept subset,
the information-theoretic minimum rounded up to whole bits).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Pattern", "parse_pattern", "METADATA_FORMATS", "DENSE"]

METADATA_FORMATS = ("index", "bitmask", "combinatorial")

_ACCEPTED = '"N:M" with integers 0 < N <= M (e.g. "2:4", "8:16"), "unstructured:D" with 0 < D <= 1 (e.g. "unstructured:0.5"), or "dense"'
_NM_RE = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")
_UNSTRUCTURED_RE = re.compile(r"^\s*unstructured\s*:\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*$")


def _ceil_log2(x: int) -> int:
    """Smallest b >= 0 with 2**b >= x (x >= 1), exact for big ints."""
    return (x - 1).bit_length()


@dataclass(frozen=True, order=True)
class Pattern:
    """A sparsity pattern (frozen, hashable; ordered by kind, then N, M, density).

    kind: "nm", "unstructured" or "dense".
    n, m: kept per group and group size (N:M only; 0 otherwise).
    unstructured_density: fraction kept per row (unstructured only; 1.0 otherwise).
    """

    kind: str
    n: int = 0
    m: int = 0
    unstructured_density: float = 1.0

    def __post_init__(self) -> None:
        if self.kind == "nm":
            if not (isinstance(self.n, int) and isinstance(self.m, int) and 0 < self.n <= self.m):
                raise ValueError(f"N:M pattern needs integers 0 < N <= M, got N={self.n!r}, M={self.m!r}")
        elif self.kind == "unstructured":
            d = self.unstructured_density
            if not (isinstance(d, (int, float)) and 0.0 < d <= 1.0):
                raise ValueError(f"unstructured density must be in (0, 1], got {d!r}")
        elif self.kind != "dense":
            raise ValueError(f"pattern kind must be 'nm', 'unstructured' or 'dense', got {self.kind!r}")

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, text: "str | Pattern") -> "Pattern":
        """Parse "2:4", "8:16", "unstructured:0.5" or "dense" (case-insensitive)."""
        if isinstance(text, Pattern):
            return text
        if not isinstance(text, str):
            raise TypeError(f"pattern must be a string, got {type(text).__name__}: {text!r}. Accepted: {_ACCEPTED}")
        s = text.strip().lower()
        if s == "dense":
            return cls("dense")
        mt = _NM_RE.match(s)
        if mt:
            n, m = int(mt.group(1)), int(mt.group(2))
            if not 0 < n <= m:
                raise ValueError(f"bad pattern {text!r}: need 0 < N <= M. Accepted: {_ACCEPTED}")
            return cls("nm", n=n, m=m)
        mt = _UNSTRUCTURED_RE.match(s)
        if mt:
            d = float(mt.group(1))
            if not 0.0 < d <= 1.0:
                raise ValueError(f"bad pattern {text!r}: density must be in (0, 1]. Accepted: {_ACCEPTED}")
            return cls("unstructured", unstructured_density=d)
        raise ValueError(f"unknown sparsity pattern {text!r}. Accepted: {_ACCEPTED}")

    def __str__(self) -> str:
        if self.kind == "nm":
            return f"{self.n}:{self.m}"
        if self.kind == "unstructured":
            return f"unstructured:{self.unstructured_density:g}"
        return "dense"

    # --------------------------------------------------------------- properties
    @property
    def is_nm(self) -> bool:
        return self.kind == "nm"

    @property
    def density(self) -> float:
        """Fraction of elements kept (N/M, D, or 1)."""
        if self.kind == "nm":
            return self.n / self.m
        return float(self.unstructured_density) if self.kind == "unstructured" else 1.0

    @property
    def sparsity(self) -> float:
        return 1.0 - self.density

    @property
    def ideal_speedup(self) -> float:
        """Compute-bound speedup over dense at equal multipliers, M/N (1/D for unstructured).

        Assumes the dense operand is delivered M/N times faster: each multiplier needs one of
        its M candidates per group (the 2x of 2:4 in NVIDIA's A100 whitepaper, 624 vs 312 FP16 TFLOPS).
        """
        return 1.0 / self.density

    def kept_per_row(self, k: int) -> int:
        """Elements kept in a row of length k; k must be divisible by M for N:M.

        Unstructured keeps floor(D * k + 0.5) (round half up), at least 0 and at most k.
        """
        if self.kind == "nm":
            if k % self.m:
                raise ValueError(f"K={k} is not divisible by M={self.m} of pattern {self}; choose K a multiple of M")
            return k // self.m * self.n
        if self.kind == "unstructured":
            return min(k, int(math.floor(self.unstructured_density * k + 0.5)))
        return k

    # ----------------------------------------------------------------- metadata
    def metadata_bits_per_group(self, fmt: str) -> int:
        """Metadata bits per group of M dense elements (N:M only; formats in the module docstring).

        index: N * ceil(log2 M); bitmask: M; combinatorial: ceil(log2 C(M, N)).
        """
        if self.kind != "nm":
            raise ValueError(f"metadata per group is defined for N:M patterns only, not {self}")
        if fmt == "index":
            return self.n * _ceil_log2(self.m)
        if fmt == "bitmask":
            return self.m
        if fmt == "combinatorial":
            return _ceil_log2(math.comb(self.m, self.n))
        raise ValueError(f"unknown metadata format {fmt!r}; choose one of {METADATA_FORMATS}")

    def metadata_bits_per_element(self, fmt: str) -> float:
        """Metadata bits per dense element: per-group bits / M.

        Dense needs none (0.0).  Unstructured rows are described by a bitmask of one
        bit per element ("bitmask"), or by ceil(log2 K) bits per kept element, which
        depends on K and so is not given here ("index"/"combinatorial" raise).
        """
        if self.kind == "dense":
            return 0.0
        if self.kind == "unstructured":
            if fmt == "bitmask":
                return 1.0
            raise ValueError(f"{fmt!r} metadata for {self} depends on the row length K; use bitmask")
        return self.metadata_bits_per_group(fmt) / self.m

    def entropy_bits_per_element(self) -> float:
        """Information-theoretic minimum, log2 C(M, N) / M bits per dense element."""
        if self.kind != "nm":
            raise ValueError(f"entropy bound is defined for N:M patterns only, not {self}")
        return math.log2(math.comb(self.m, self.n)) / self.m


DENSE = Pattern("dense")


def parse_pattern(text: "str | Pattern") -> Pattern:
    """Front door: ``Pattern.parse``."""
    return Pattern.parse(text)
