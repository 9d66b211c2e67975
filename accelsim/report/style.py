"""One plot style for every accelsim figure (sweep reports, the capture report, validation plots).

A figure function is wrapped in :func:`styled`, which draws it under :data:`RC` (fonts, sizes, grid, figure dpi),
so the same code gives the same look wherever it runs, without changing matplotlib's global settings for the
caller.  :func:`save_figure` writes PNG (at :data:`DPI`) and SVG.  Pattern families always keep one colour and
marker (:data:`FAMILY_COLORS`, :data:`FAMILY_MARKERS`): the Okabe-Ito palette, distinguishable with the common
colour-vision deficiencies (M. Okabe and K. Ito, "Color Universal Design", 2008, jfly.uni-koeln.de/color/).
Legends go outside the axes (:func:`legend_outside`), so they never cover data.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from accelsim.io import atomic_write_bytes  # noqa: E402

__all__ = ["DPI", "RC", "FAMILY_COLORS", "FAMILY_MARKERS", "OTHER_COLOR", "family_color", "family_marker", "styled",
           "legend_outside", "save_figure", "component_colors"]  # fmt: skip

DPI = 150
RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "figure.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.constrained_layout.use": True,
}
# Okabe-Ito, narrowest pattern to widest; dense in grey (the baseline, not a sparsity choice)
FAMILY_COLORS = {"dense": "#7f7f7f", "2:4": "#0072B2", "4:8": "#56B4E9", "8:16": "#D55E00", "16:32": "#E69F00",
                 "unstructured": "#CC79A7"}  # fmt: skip
FAMILY_MARKERS = {"dense": "s", "2:4": "o", "4:8": "v", "8:16": "D", "16:32": "^", "unstructured": "P"}
OTHER_COLOR = "#009E73"  # a family outside the list (weight-sparse "w2:4", dual-side "8:16+w2:4", ...)


def family_color(label: str) -> str:
    return FAMILY_COLORS.get(label, OTHER_COLOR)


def family_marker(label: str) -> str:
    return FAMILY_MARKERS.get(label, "X")


def component_colors(names) -> dict[str, tuple]:
    """A fixed colour per component name (tab20 in the order given), so stacked bars read the same in every figure."""
    cmap = plt.get_cmap("tab20")
    return {n: cmap(i % 20) for i, n in enumerate(names)}


def styled(fn):
    """Run a figure function under :data:`RC` (the settings apply to the figure it builds, not to the caller's)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> Figure:
        with plt.rc_context(RC):
            return fn(*args, **kwargs)

    return wrapper


def legend_outside(fig: Figure, handles=None, labels=None, title: str | None = None, ncols: int = 1, where: str = "right"):
    """One legend for the figure, outside every axes ("right": upper right of the figure; "bottom": below)."""
    if handles is None:
        handles, labels = [], []
        for ax in fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels and not lab.startswith("_"):
                    handles.append(h)
                    labels.append(lab)
    if not handles:
        return None
    loc = "outside right upper" if where == "right" else "outside lower center"
    return fig.legend(handles, labels, loc=loc, title=title, ncols=ncols, frameon=False)


def save_figure(fig: Figure, out_dir: "str | Path", stem: str, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save as ``<stem>.png`` (:data:`DPI`) and ``<stem>.svg`` (or the given ``formats``) under ``out_dir``; closes the
    figure.  Other figure scripts (the capture report, validation plots) get the same look by building their figures
    inside ``with plt.rc_context(RC):`` (or with :func:`styled`) and saving them here."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.{fmt}" for fmt in formats]
    with plt.rc_context(RC):
        for path, fmt in zip(paths, formats):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI)
            atomic_write_bytes(path, buf.getvalue())  # a reader never sees half a figure
    plt.close(fig)
    return paths
