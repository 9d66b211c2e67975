"""The capture config module is torch-free and agrees with the torch modules it stands in for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from accelsim import methods
from accelsim.capture.config import FIT_SETTINGS_MITIGATIONS, WEIGHT_CRITERIA, CaptureConfig, fit_settings_used


def test_help_imports_neither_torch_nor_transformers():
    code = ("import sys, runpy; sys.argv = ['x', '--help']\n"
            "try:\n    runpy.run_module('accelsim.capture', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'transformers', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_torch_free_names_agree_with_the_torch_modules():
    pytest.importorskip("torch")
    from accelsim.capture import mitigations, weight_pruning

    assert weight_pruning.WEIGHT_CRITERIA == WEIGHT_CRITERIA
    for m in methods.MITIGATIONS:
        assert fit_settings_used(m) == mitigations.fit_settings_used(m), m
    assert set(FIT_SETTINGS_MITIGATIONS) <= set(methods.MITIGATIONS)


@pytest.mark.parametrize("kw", [dict(device="tpu"), dict(dtype="int8"), dict(batch_size=0), dict(windows="middle")])
def test_bad_device_dtype_batch_are_refused(kw):
    with pytest.raises(ValueError):
        CaptureConfig(**kw)
