"""Keep-masks for sparsity patterns: the NumPy specification and its twins.

Front door:

* ``topn_mask(scores, pattern)`` - NumPy reference (the specification);
* ``topn_mask_torch(scores, pattern)`` - torch twin for capture (imports torch lazily);
* ``topn_mask_numba(scores, pattern)`` - Numba twin for the simulator;
* ``pack_mask`` / ``unpack_mask`` and ``encode_metadata`` / ``decode_metadata``;
* ``group_nnz``, ``row_nnz``, ``block_union``, ``block_union_count`` - Numba statistics
  on packed masks.
"""

from accelsim.masks.numba_twin import topn_mask_numba
from accelsim.masks.packing import decode_metadata, encode_metadata, metadata_nbits, pack_mask, unpack_mask
from accelsim.masks.reference import apply_mask, topn_mask
from accelsim.masks.stats import block_union, block_union_count, group_nnz, row_nnz

__all__ = [
    "topn_mask",
    "topn_mask_torch",
    "topn_mask_numba",
    "apply_mask",
    "pack_mask",
    "unpack_mask",
    "encode_metadata",
    "decode_metadata",
    "metadata_nbits",
    "group_nnz",
    "row_nnz",
    "block_union",
    "block_union_count",
]


def topn_mask_torch(scores, pattern, **kwargs):  # noqa: D103 - documented in torch_twin
    from accelsim.masks.torch_twin import topn_mask_torch as _impl

    return _impl(scores, pattern, **kwargs)


topn_mask_torch.__doc__ = "Torch twin of topn_mask (lazy import; see accelsim.masks.torch_twin)."
