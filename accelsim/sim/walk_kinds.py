"""How the Numba walks read a chunk of a packed token row (chosen once per run by ``params.chunk_kind``).

NIBBLE, BYTE, WORD: chunks of 4, 8, 16 channels looked up in the chunk table; TABLE: any other
chunk of at most 16 channels (shifted out of three bytes); POPCOUNT: a wider chunk at full
reach; GREEDY: a wider chunk with partial reach (the least-capacity pointer inline).
"""

KIND_NIBBLE, KIND_BYTE, KIND_WORD, KIND_TABLE, KIND_POPCOUNT, KIND_GREEDY = range(6)
