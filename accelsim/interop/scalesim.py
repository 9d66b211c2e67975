"""GEMM shapes from a SCALE-Sim topology CSV (github.com/scalesim-project/scale-sim-v2, ``topologies/``).

SCALE-Sim documents two topology formats, both one header line and one layer per line, fields separated by commas
(lines usually end with a trailing comma):

* GEMM (``-i gemm``): ``Layer, M, N, K,`` -- an M x K operand times a K x N operand (SCALE-Sim maps it to a
  convolution with an M x K input map and N filters of 1 x K, so K is the reduction).  As an accelsim layer:
  T = M rows (tokens), K = K input channels (the axis N:M groups run along), O = N output channels.
* convolution: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,``
  -- lowered to a GEMM as im2col does: T = output pixels ((H - R) / stride + 1) x ((W - S) / stride + 1),
  K = R x S x C, O = number of filters.

Columns beyond those are ignored (newer SCALE-Sim versions append e.g. a sparsity ratio).  The format is told from
the header: three integer columns after the name read as GEMM, six or seven as convolution.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_topology", "TopologyError"]

_CONV_FIELDS = ("IFMAP height", "IFMAP width", "filter height", "filter width", "channels", "num filters")


class TopologyError(ValueError):
    """A topology file that cannot be read as SCALE-Sim GEMM or convolution rows."""


def _fields(line: str) -> list[str]:
    parts = [p.strip() for p in line.strip().split(",")]
    while parts and parts[-1] == "":  # the trailing comma SCALE-Sim writes
        parts.pop()
    return parts


def _ints(path: Path, lineno: int, name: str, values: list[str], what: tuple[str, ...]) -> list[int]:
    out = []
    for label, v in zip(what, values):
        try:
            x = int(v)
        except ValueError:
            raise TopologyError(f"{path}:{lineno}: layer {name!r}: {label} = {v!r} is not an integer") from None
        if x < 1:
            raise TopologyError(f"{path}:{lineno}: layer {name!r}: {label} = {x} must be >= 1")
        out.append(x)
    return out


def read_topology(path: "str | Path") -> list[tuple[str, int, int, int]]:
    """(name, T, K, O) of every layer of a SCALE-Sim topology CSV (GEMM or convolution format; see the module doc)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise TopologyError(f"cannot read SCALE-Sim topology {path}: {getattr(e, 'strerror', None) or e}") from None
    rows = [(i, _fields(ln)) for i, ln in enumerate(lines, 1) if ln.strip() and not ln.lstrip().startswith("#")]
    if len(rows) < 2:
        raise TopologyError(f"{path}: a SCALE-Sim topology needs a header line and at least one layer line")
    (_, header), body = rows[0], rows[1:]
    if header[1:4] and [h.upper() for h in header[1:4]] == ["M", "N", "K"]:
        gemm = True
    elif len(header) >= 7:
        gemm = False
    else:
        raise TopologyError(f"{path}:1: header {','.join(header)!r} is neither 'Layer, M, N, K,' (GEMM) nor the 7-8 column "
                            "convolution header (Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides)")  # fmt: skip
    out, seen = [], set()
    for lineno, f in body:
        name = f[0] if f else ""
        if not name or name in seen:
            raise TopologyError(f"{path}:{lineno}: layer name {name!r} is empty or repeated; every layer needs its own name")
        seen.add(name)
        if gemm:
            if len(f) < 4:
                raise TopologyError(f"{path}:{lineno}: layer {name!r} has {len(f) - 1} of the 3 numbers M, N, K")
            m, n, k = _ints(path, lineno, name, f[1:4], ("M", "N", "K"))
            out.append((name, m, k, n))
            continue
        if len(f) < 7:
            raise TopologyError(f"{path}:{lineno}: layer {name!r} has {len(f) - 1} of the 6-7 convolution numbers")
        h, w, r, s, c, filters = _ints(path, lineno, name, f[1:7], _CONV_FIELDS)
        stride = _ints(path, lineno, name, f[7:8], ("stride",))[0] if len(f) > 7 else 1
        if r > h or s > w:
            raise TopologyError(f"{path}:{lineno}: layer {name!r}: filter {r}x{s} is larger than the input map {h}x{w}")
        out.append((name, ((h - r) // stride + 1) * ((w - s) // stride + 1), r * s * c, filters))
    return out
