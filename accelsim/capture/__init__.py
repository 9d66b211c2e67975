"""Capture: run a causal LM under N:M activation sparsity, measure accuracy, write traces.

Front door: ``capture(config) -> list[Path]`` with :class:`CaptureConfig` (or ``preset("quick")``);
CLI: ``python -m accelsim.capture --help``.  This is the only accelsim package that imports torch.
"""

from accelsim.capture.config import PRESETS, CaptureConfig, RunSpec, preset

__all__ = ["capture", "CaptureConfig", "RunSpec", "PRESETS", "preset"]


def capture(config, lm=None):  # noqa: D103 - documented in accelsim.capture.run
    from accelsim.capture.run import capture as _capture

    return _capture(config, lm)


capture.__doc__ = "Run every configuration of ``config``; see accelsim.capture.run.capture."
