"""``--no-progress``: silence the progress bars of the libraries capture calls, not only its own.

transformers draws "Loading weights" and GGUF bars, huggingface_hub its download bars, and lm-eval / datasets plain
tqdm bars.  transformers and huggingface_hub have switches that take effect at once
(``transformers.utils.logging.disable_progress_bar``, ``huggingface_hub.utils.disable_progress_bars``); tqdm reads
its ``TQDM_*`` environment defaults when it is imported, so the CLI sets ``TQDM_DISABLE`` before anything imports tqdm
(:func:`silence_environment`), which also covers libraries without a switch.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["silence_environment", "library_bars_off"]

#: the environment switches: huggingface_hub's documented variable, tqdm's default for ``disable``, datasets' own.
ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}


def silence_environment() -> None:
    """Set the environment switches of :data:`ENV` (call before torch, transformers or tqdm is imported)."""
    os.environ.update(ENV)


@contextlib.contextmanager
def library_bars_off(progress: bool):
    """While active and ``progress`` is False, transformers' and huggingface_hub's bars are off; the previous state is
    restored on exit (a library caller's other work keeps its bars)."""
    if progress:
        yield
        return
    import huggingface_hub.utils as hub
    from transformers.utils import logging as tlog

    was_tf, was_hub = tlog.is_progress_bar_enabled(), not hub.are_progress_bars_disabled()
    tlog.disable_progress_bar()
    hub.disable_progress_bars()
    try:
        yield
    finally:
        if was_tf:
            tlog.enable_progress_bar()
        if was_hub:
            hub.enable_progress_bars()
