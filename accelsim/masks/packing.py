"""Bit-packing of keep-masks and N:M metadata encodings (NumPy, exact round trips).

Packed mask layout: a [T, K] bool mask becomes uint8 [T, ceil(K / 8)].  Bit order is
little-endian within a byte: element ``k`` of a row lives in byte ``k // 8``, bit
``k % 8`` (value ``1 << (k % 8)``), i.e. ``np.packbits(..., bitorder="little")``.
Unused high bits of the last byte are zero.

Metadata (N:M only; one record per group of M consecutive elements, groups in row-major
order, records concatenated into one little-endian bit stream, zero-padded to a byte):
* ``index``: the N kept positions within the group in ascending order, each in
  ceil(log2 M) bits (the NVIDIA 2:4 layout generalised; docs/hardware-anchors.md §1.2);
* ``bitmask``: the M mask bits of the group;
* ``combinatorial``: the colex rank sum_{i=1..N} C(c_i, i) of the ascending kept
  positions c_1 < ... < c_N, in ceil(log2 C(M, N)) bits (combinatorial number system).
Encoding needs exactly N kept per group and raises otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.patterns import METADATA_FORMATS, Pattern

__all__ = ["pack_mask", "unpack_mask", "encode_metadata", "decode_metadata", "metadata_nbits"]


def pack_mask(mask: np.ndarray) -> np.ndarray:
    """bool [T, K] -> uint8 [T, ceil(K/8)] (little-endian bits, see module doc)."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"pack_mask expects a 2-D [T, K] mask, got shape {mask.shape}")
    if mask.dtype != np.bool_:
        raise TypeError(f"pack_mask expects a bool mask, got dtype {mask.dtype}")
    return np.packbits(mask, axis=1, bitorder="little")


def unpack_mask(packed: np.ndarray, k: int) -> np.ndarray:
    """uint8 [T, ceil(K/8)] -> bool [T, K]; the inverse of :func:`pack_mask`."""
    packed = np.asarray(packed)
    if packed.ndim != 2 or packed.dtype != np.uint8:
        raise ValueError(f"packed mask must be uint8 [T, ceil(K/8)], got {packed.dtype} {packed.shape}")
    if packed.shape[1] != (k + 7) // 8:
        raise ValueError(f"packed mask has {packed.shape[1]} bytes per row, K={k} needs {(k + 7) // 8}")
    return np.unpackbits(packed, axis=1, count=k, bitorder="little").astype(bool)


def metadata_nbits(pattern: "Pattern | str", fmt: str, t: int, k: int) -> int:
    """Bits of metadata for a [t, k] mask: t * (k / M) * bits_per_group (before byte padding)."""
    pattern = Pattern.parse(pattern)
    if k % pattern.m:
        raise ValueError(f"K={k} is not divisible by M={pattern.m} of pattern {pattern}")
    return t * (k // pattern.m) * pattern.metadata_bits_per_group(fmt)


def _fields_to_bytes(values: np.ndarray, width: int) -> np.ndarray:
    """uint64 [F] fields of ``width`` bits -> little-endian bit stream as uint8."""
    if width == 0:
        return np.zeros(0, dtype=np.uint8)
    bits = (values[:, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)
    return np.packbits(bits.astype(bool).ravel(), bitorder="little")


def _bytes_to_fields(stream: np.ndarray, width: int, count: int) -> np.ndarray:
    if width == 0:
        return np.zeros(count, dtype=np.uint64)
    bits = np.unpackbits(stream, count=count * width, bitorder="little").reshape(count, width)
    return (bits.astype(np.uint64) << np.arange(width, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)


def _binom_table(m: int, n: int) -> np.ndarray:
    """C(c, i) for c in [0, m), i in [0, n]; int64 (C(32,16) < 2**63)."""
    return np.array([[math.comb(c, i) for i in range(n + 1)] for c in range(m)], dtype=np.int64)


def _group_positions(mask: np.ndarray, pattern: Pattern) -> np.ndarray:
    """bool [T, K] -> int64 [G, N] ascending kept positions per group; checks exactly N."""
    t, k = mask.shape
    groups = mask.reshape(-1, pattern.m)
    counts = groups.sum(axis=1)
    bad = np.flatnonzero(counts != pattern.n)
    if bad.size:
        g = int(bad[0])
        raise ValueError(
            f"group {g} (row {g // (k // pattern.m)}) keeps {int(counts[g])} elements, pattern {pattern} needs exactly "
            f"{pattern.n}; N:M metadata can only encode exact N:M masks"
        )
    # nonzero() walks row-major, so positions come out ascending within each group.
    return np.nonzero(groups)[1].reshape(-1, pattern.n).astype(np.int64)


def encode_metadata(mask: np.ndarray, pattern: "Pattern | str", fmt: str) -> np.ndarray:
    """bool [T, K] exact N:M mask -> uint8 bit stream of ``metadata_nbits`` bits (padded to bytes)."""
    pattern = Pattern.parse(pattern)
    if not pattern.is_nm:
        raise ValueError(f"metadata encoding is defined for N:M patterns, not {pattern}")
    if fmt not in METADATA_FORMATS:
        raise ValueError(f"unknown metadata format {fmt!r}; choose one of {METADATA_FORMATS}")
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.dtype != np.bool_:
        raise ValueError(f"mask must be bool [T, K], got {mask.dtype} {mask.shape}")
    if mask.shape[1] % pattern.m:
        raise ValueError(f"K={mask.shape[1]} is not divisible by M={pattern.m} of pattern {pattern}")
    width = pattern.metadata_bits_per_group(fmt)
    if fmt == "bitmask":
        # Checked for exactly N as well, so every format accepts the same masks.
        _group_positions(mask, pattern)
        return np.packbits(mask.ravel(), bitorder="little")
    pos = _group_positions(mask, pattern)
    if fmt == "index":
        return _fields_to_bytes(pos.ravel().astype(np.uint64), width // pattern.n)
    table = _binom_table(pattern.m, pattern.n)
    ranks = table[pos, np.arange(1, pattern.n + 1)].sum(axis=1)
    return _fields_to_bytes(ranks.astype(np.uint64), width)


def decode_metadata(stream: np.ndarray, pattern: "Pattern | str", fmt: str, t: int, k: int) -> np.ndarray:
    """Inverse of :func:`encode_metadata`: uint8 stream -> bool [t, k] mask."""
    pattern = Pattern.parse(pattern)
    nbits = metadata_nbits(pattern, fmt, t, k)
    stream = np.asarray(stream)
    if stream.dtype != np.uint8 or stream.ndim != 1 or stream.size != (nbits + 7) // 8:
        raise ValueError(f"metadata stream must be uint8 of {(nbits + 7) // 8} bytes, got {stream.dtype} {stream.shape}")
    g = t * (k // pattern.m)
    if fmt == "bitmask":
        return np.unpackbits(stream, count=t * k, bitorder="little").astype(bool).reshape(t, k)
    if fmt == "index":
        width = pattern.metadata_bits_per_group(fmt) // pattern.n
        pos = _bytes_to_fields(stream, width, g * pattern.n).astype(np.int64).reshape(g, pattern.n)
    else:
        ranks = _bytes_to_fields(stream, pattern.metadata_bits_per_group(fmt), g).astype(np.int64)
        table = _binom_table(pattern.m, pattern.n)
        pos = np.empty((g, pattern.n), dtype=np.int64)
        # Greedy colex unranking: c_i is the largest c with C(c, i) <= remaining rank.
        for i in range(pattern.n, 0, -1):
            fits = table[None, :, i] <= ranks[:, None]  # [G, M], monotone in c
            c = fits.sum(axis=1) - 1
            pos[:, i - 1] = c
            ranks = ranks - table[c, i]
    if (pos >= pattern.m).any() or (pos < 0).any():
        raise ValueError("corrupt metadata: a position lies outside its group")
    mask = np.zeros((g, pattern.m), dtype=bool)
    np.put_along_axis(mask, pos, True, axis=1)
    return mask.reshape(t, k)
