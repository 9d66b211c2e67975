"""analysis/dense_folds.py (docs/hardware-anchors.md section 6): accelsim's dense fold accounting and SCALE-Sim's
closed form, without ZigZag (CI has no ZigZag; the script runs it when ZIGZAG_PYTHON names a Python that has it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "analysis"))
import dense_folds as F  # noqa: E402


def test_scalesim_closed_form_matches_its_run():
    """38,879 cycles: scalesim 3.0.0 on 2048x512x512, 128x128 WS (docs/hardware-anchors.md section 3)."""
    assert F.scalesim_ws(F.arrays()["peer-128"], (2048, 512, 512))["cycles"] == 38_879


def test_accelsim_is_folds_times_block_plus_fill():
    arrays = F.arrays()
    a = F.accelsim(arrays["peer-128"], (2048, 512, 512), "prefill")
    assert (a["folds"], a["tokens_per_fold"], a["fill_per_fold"]) == (32, 1024, 254)  # 256 KiB buffer: 2 token blocks
    assert a["cycles"] == 32 * (1024 + 254)
    b = F.accelsim(arrays["peer-128, 1 MiB act"], (2048, 512, 512), "prefill")
    assert b["cycles"] == 16 * (2048 + 254)  # one block: the peers' fold count
    d = F.accelsim(arrays["dense"], (1, 512, 512), "decode")
    assert d["cycles"] == 4 * 32 * (1 + 30)  # fill-bound: one token per fold pays R + C - 2
