"""Nothing after capture imports torch: simulating, pricing, exploring and reporting start fast
and run where no torch is installed."""

import subprocess
import sys

CODE = """
import sys
import accelsim
from accelsim import Design, presets, simulate, price, synthetic_trace, load_trace, Pattern
import accelsim.masks, accelsim.traces, accelsim.sim, accelsim.cost, accelsim.synthetic
import accelsim.explore.run, accelsim.explore.__main__, accelsim.report, accelsim.report.__main__
bad = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(",".join(bad))
"""


def test_post_capture_modules_do_not_import_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported after capture: {out}"
