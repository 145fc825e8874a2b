"""What every matplotlib figure of regionlib shares: the Japanese font, rc settings, saving.

Print maps (:mod:`regionlib.outputs.printmaps`) and population pyramids
(:mod:`regionlib.outputs.pyramid`) draw with IPAexGothic from ``matplotlib-fontja`` and are
saved by :func:`save_figure`. This module is the one place regionlib imports matplotlib's
artists from (``Figure``, ``Patch`` …; see :func:`_artists_without_setter_docs`); it does not
import geopandas, so that a pyramid does not pay for the map machinery.
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib

from regionlib import settings
from regionlib._errors import RegionlibError
from regionlib._log import log
from regionlib._write import write_bytes
from regionlib.outputs._mapstyle import FIGURE_FORMATS

__all__ = [
    "Figure",
    "FigureCanvasAgg",
    "Line2D",
    "LineCollection",
    "MplPath",
    "Patch",
    "PolyCollection",
    "Polygon",
    "figure_bytes",
    "font_name",
    "patheffects",
    "rc",
    "save_figure",
]


@contextlib.contextmanager
def _artists_without_setter_docs() -> Iterator[None]:
    """In a ``regionlib`` command, define matplotlib's artists without their ``set()`` docs.

    Every artist class matplotlib defines writes the docstring of its ``set()`` method from
    all its properties (``matplotlib.artist.kwdoc``): about 80 ms of the 290 ms matplotlib
    takes to import here, for text nobody reads in a command that draws one map and exits. In
    a command (``settings._command_line``, set by :func:`regionlib.cli.main`) the classes are
    defined with a short docstring instead; in Python and notebooks matplotlib is untouched.
    """
    import matplotlib.artist

    if not settings._command_line or "matplotlib.figure" in sys.modules:
        yield
        return
    original = matplotlib.artist.kwdoc
    matplotlib.artist.kwdoc = lambda artist: "(see the matplotlib documentation)"
    try:
        yield
    finally:
        matplotlib.artist.kwdoc = original


with _artists_without_setter_docs():  # the one place regionlib imports matplotlib's artists
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Polygon
    from matplotlib.path import Path as MplPath


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


def figure_bytes(fig: Figure, kind: str, *, dpi: int = 200) -> bytes:
    """Render a figure as PNG, PDF or SVG bytes: the one place regionlib's figures are rendered.

    Parameters
    ----------
    fig
        A print map or pyramid figure.
    kind
        ``"png"``, ``"pdf"`` or ``"svg"``.
    dpi
        Resolution of PNG output.

    Returns
    -------
    bytes
        The file's bytes: fonts embedded in PDF, stable ids and no creation date, so the same
        figure gives the same bytes.
    """
    buffer = io.BytesIO()
    # stable clip-path and glyph ids: same map, same bytes
    drawing = {**rc(), "svg.hashsalt": "regionlib"}
    # PNG at zlib level 3: a third quicker to write than the default 6 for a file 10 % larger
    extra = {"pil_kwargs": {"compress_level": 3}} if kind == "png" else {}
    with matplotlib.rc_context(drawing):
        fig.savefig(
            buffer, format=kind, dpi=dpi, facecolor="white", metadata=_METADATA[kind], **extra
        )
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Save a print map as PNG, PDF or SVG (:func:`figure_bytes`, written atomically).

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
    write_bytes(path, figure_bytes(fig, path.suffix.lower()[1:], dpi=dpi), what="print map")
    log(f"print map saved: {path}", ja=f"印刷用地図を保存しました: {path}")
    return path
