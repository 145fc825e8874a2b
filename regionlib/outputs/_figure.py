"""What every matplotlib figure of regionlib shares: the Japanese font, rc settings, saving.

Print maps (:mod:`regionlib.outputs.printmaps`) and population pyramids
(:mod:`regionlib.outputs.pyramid`) draw with IPAexGothic from ``matplotlib-fontja`` and are
saved by :func:`save_figure`. This module imports matplotlib but not geopandas, so that a
pyramid does not pay for the map machinery.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

from regionlib._errors import RegionlibError
from regionlib._log import log
from regionlib._write import atomic_write
from regionlib.outputs._mapstyle import FIGURE_FORMATS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["font_name", "rc", "save_figure"]


@functools.cache
def font_name() -> str:
    """Register IPAexGothic from matplotlib-fontja without changing the global rcParams."""
    with matplotlib.rc_context():
        import matplotlib_fontja  # noqa: F401  (importing it registers the font)
        from matplotlib_fontja.matplotlib_fontja import FONT_NAME
    return FONT_NAME


def rc() -> dict:
    """Return the rc settings figures are drawn and saved with (font, embedded PDF fonts)."""
    return {"font.family": font_name(), "pdf.fonttype": 42, "svg.fonttype": "path"}


#: file metadata without a creation date, so that the same map gives the same bytes
_METADATA: dict[str, dict] = {
    "png": {"Software": "regionlib"},
    "pdf": {"Creator": "regionlib", "CreationDate": None, "ModDate": None},
    "svg": {"Creator": "regionlib", "Date": None},
}


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Save a print map as PNG, PDF or SVG (fonts embedded in PDF).

    Parameters
    ----------
    fig
        A figure from :func:`regionlib.printmaps.plot_choropleth`,
        :func:`~regionlib.printmaps.plot_regions` or :func:`regionlib.pyramid.pyramid`.
    path
        Output file; the suffix chooses the format (``.png``, ``.pdf``, ``.svg``).
    dpi
        Resolution of PNG output.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    if path.suffix.lower() not in FIGURE_FORMATS:
        raise RegionlibError(
            f"{path}: 印刷用の地図は {'・'.join(FIGURE_FORMATS)} で書き出します / {path}: print maps are saved as {', '.join(FIGURE_FORMATS)}"
        )
    kind = path.suffix.lower()[1:]
    # stable clip-path and glyph ids: same map, same bytes
    settings = {**rc(), "svg.hashsalt": "regionlib"}
    with matplotlib.rc_context(settings), atomic_write(path, what="print map") as f:
        fig.savefig(f, format=kind, dpi=dpi, facecolor="white", metadata=_METADATA[kind])
    log(f"print map saved: {path}")
    return path
