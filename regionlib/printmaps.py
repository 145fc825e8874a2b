"""Print maps: matplotlib choropleths as PNG, PDF or SVG, with a Japanese font that always renders.

The font is IPAexGothic from the ``matplotlib-fontja`` package (a dependency), so Japanese text
never turns into tofu boxes, whatever fonts the machine has. Maps carry a legend (title, unit,
reference year, class counts, missing values), the credits of every source, and, for national
maps, insets for Okinawa and the Ogasawara islands so that the main map stays large.

Examples
--------
>>> from regionlib import printmaps
>>> fig = printmaps.plot_choropleth(gdf, "aging_rate")  # doctest: +SKIP
>>> printmaps.save_figure(fig, "aging.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from regionlib import settings
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib._mapstyle import (
    MISSING_COLOR,
    MISSING_LABEL,
    SCHEMES,
    classify,
    column_meta,
    credit_lines,
    decimals_for,
    fmt,
)
from regionlib._simplify import simplify_coverage
from regionlib._write import atomic_write

__all__ = ["FORMATS", "default_insets", "plot_choropleth", "plot_small_multiples", "save_figure"]

FORMATS = (".png", ".pdf", ".svg")
_OGASAWARA = "13421"


@functools.cache
def _font_name() -> str:
    """Register IPAexGothic from matplotlib-fontja without changing the global rcParams."""
    with matplotlib.rc_context():
        import matplotlib_fontja  # noqa: F401  (importing it registers the font)
        from matplotlib_fontja.matplotlib_fontja import FONT_NAME
    return FONT_NAME


def default_insets(gdf: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Return the insets a national map needs: 沖縄県 and 小笠原村, when others are drawn too.

    Parameters
    ----------
    gdf
        The municipalities to draw (index: codes).

    Returns
    -------
    dict
        Inset title -> codes drawn in that inset instead of the main map.
    """
    codes = pd.Index(gdf.index.astype(str))
    insets: dict[str, list[str]] = {}
    okinawa = codes[codes.str.startswith("47")].tolist()
    if okinawa and len(okinawa) < len(codes) and codes.str[:2].nunique() > 5:
        insets["沖縄県"] = okinawa
    if _OGASAWARA in codes and len(codes) > 1:
        insets["小笠原村"] = [_OGASAWARA]
    return insets


def _inset_extent(geoms: gpd.GeoSeries) -> tuple[float, float, float, float]:
    """Extent of the parts that matter: at least 10 % of the largest part's area, plus a margin.

    Keeps an inset readable when a municipality has specks hundreds of km away (沖ノ鳥島,
    南鳥島 in 小笠原村); the specks are still drawn in the main data, just outside the frame.
    """
    parts = geoms.explode(index_parts=False)
    area = parts.area
    keep = parts[area >= 0.1 * area.max()]
    minx, miny, maxx, maxy = keep.total_bounds
    pad = 0.08 * max(maxx - minx, maxy - miny, 1.0)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _draw(
    ax, frame: gpd.GeoDataFrame, colors: np.ndarray, pref_key: str | None, *, inset: bool = False
) -> None:
    # in insets small islands need a dark outline to be seen at all
    edge, width = ("#333333", 0.3) if inset else ("#ffffff", 0.08)
    frame.plot(ax=ax, color=colors, linewidth=width, edgecolor=edge)
    if pref_key is not None and frame[pref_key].nunique() > 1:
        outlines = frame.dissolve(pref_key)
        outlines.boundary.plot(ax=ax, color="#222222", linewidth=0.45)
    ax.set_axis_off()
    ax.set_aspect("equal")


def plot_choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    palette: str | None = None,
    label: str | None = None,
    unit: str | None = None,
    year: str | None = None,
    credits: Sequence[str] | None = None,
    title: str | None = None,
    insets: Mapping[str, Sequence[str]] | str | None = "auto",
    tolerance: float | None = 0.002,
    figsize: tuple[float, float] = (10, 10),
) -> Figure:
    """Draw one value column of municipalities as a print choropleth.

    Parameters
    ----------
    gdf
        Municipalities: index ``code``, optional ``prefecture``/``name``/``pref_code``, the
        value column and polygon geometry. Not modified.
    column
        The column to map.
    scheme, k, bins, palette
        Class breaks and colours, as in :func:`regionlib.maps.choropleth`.
    label, unit, year
        Legend metadata; default from the indicator catalogue, else the column name.
    credits
        Extra credit lines (the boundaries and indicator credits are always printed).
    title
        Figure title; default the legend title.
    insets
        ``"auto"`` (沖縄県 and 小笠原村 in insets on national maps), ``None`` (no inset), or a
        mapping inset title -> codes.
    tolerance
        Coverage simplification tolerance in degrees (``None`` or 0: none).
    figsize
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; save it with :func:`save_figure`.
    """
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None:
        raise DataFormatError("print maps need a GeoDataFrame with a CRS (EPSG:6668)")
    if column not in gdf.columns:
        raise UnknownNameError(
            f"column {column!r} is not in the table" + suggest(column, map(str, gdf.columns))
        )
    frame = gdf.to_crs(settings.default_crs)
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        log(
            f"print map: left out {int(empty.sum())} rows without geometry",
            level=logging.WARNING,
            ja=f"境界のない {int(empty.sum())} 行を地図から除きました",
        )
        frame = frame[~empty]
    if tolerance:
        frame = frame.set_geometry(simplify_coverage(frame.geometry.to_numpy(), tolerance))
    frame = frame.to_crs(settings.area_crs)
    meta = column_meta(column, label=label, unit=unit, year=year)
    classes = classify(frame[column], scheme=scheme, k=k, bins=bins, palette=palette)
    colors = np.array([classes.colors[c] if c >= 0 else MISSING_COLOR for c in classes.cls])
    pref_key = next((c for c in ("pref_code", "prefecture") if c in frame.columns), None)

    inset_map = default_insets(frame) if insets == "auto" else dict(insets or {})
    if isinstance(insets, str) and insets != "auto":
        raise RegionlibError(f"insets={insets!r}: use 'auto', None or a mapping title -> codes")
    in_inset = frame.index.isin([c for codes in inset_map.values() for c in codes])
    if in_inset.all():
        inset_map, in_inset = {}, np.zeros(len(frame), dtype=bool)

    font = _font_name()
    with matplotlib.rc_context({"font.family": font, "pdf.fonttype": 42, "svg.fonttype": "path"}):
        fig = Figure(figsize=figsize, layout="none")
        ax = fig.add_axes((0.02, 0.08, 0.96, 0.84))
        _draw(ax, frame[~in_inset], colors[~in_inset], pref_key)
        top = 0.99
        for name, codes in inset_map.items():
            mask = frame.index.isin(list(codes))
            minx, miny, maxx, maxy = _inset_extent(frame.geometry[mask])
            width = 0.3
            height = min(0.3, width * (maxy - miny) / (maxx - minx))
            if top - height < 0.25:
                log(f"print map: no room for the inset {name}")
                continue
            iax = ax.inset_axes((0.0, top - height, width, height))
            top -= height + 0.05
            _draw(iax, frame[mask], colors[mask], None, inset=True)
            iax.set_xlim(minx, maxx)
            iax.set_ylim(miny, maxy)
            iax.set_aspect("auto")
            iax.set_axis_on()
            iax.set_xticks([])
            iax.set_yticks([])
            iax.set_xlabel("")
            iax.set_ylabel("")
            for spine in iax.spines.values():
                spine.set_edgecolor("#666666")
                spine.set_linewidth(0.6)
            iax.set_title(name, fontsize=9, pad=2)

        decimals = decimals_for(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float))
        handles, lower = [], classes.lower
        for color, upper, count in zip(classes.colors, classes.upper, classes.counts, strict=True):
            text = f"{fmt(lower, decimals)} – {fmt(upper, decimals)}  ({count:,})"
            handles.append(Patch(facecolor=color, edgecolor="#777777", linewidth=0.5, label=text))
            lower = upper
        n_missing = int((classes.cls < 0).sum())
        if n_missing:
            handles.append(
                Patch(
                    facecolor=MISSING_COLOR,
                    edgecolor="#777777",
                    hatch="////",
                    linewidth=0.5,
                    label=f"{MISSING_LABEL}  ({n_missing:,})",
                )
            )
        sub = [f"{meta.year}年" if meta.year[:1].isdigit() else meta.year, SCHEMES[classes.scheme]]
        ax.legend(
            handles=handles,
            title=f"{meta.title}\n{'　'.join(s for s in sub if s)}",
            loc="lower right",
            fontsize=9,
            title_fontsize=10,
            frameon=True,
            framealpha=0.95,
            alignment="left",
        )
        fig.suptitle(title or meta.title, fontsize=15, y=0.975)
        lines = credit_lines([column], list(credits or []))
        fig.text(0.02, 0.015, "出典: " + "／".join(lines), fontsize=7, color="#333333", wrap=True)
    return fig


def plot_small_multiples(
    gdf: gpd.GeoDataFrame,
    indicator: str,
    years: Sequence[int],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str | None = None,
    ncols: int | None = None,
    title: str | None = None,
    credits: Sequence[str] | None = None,
    tolerance: float | None = 0.002,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw one indicator over several years as small multiples on one shared class scheme.

    The class breaks are computed once from the values of every year together, so that a colour
    means the same value in every panel; one legend serves them all.

    Parameters
    ----------
    gdf
        Municipalities with the columns ``INDICATOR@YEAR`` (for example
        ``load_table(["aging_rate@2015", "aging_rate@2020"])``).
    indicator
        Catalogue name (or label).
    years
        The years, one panel each, in order.
    scheme, k, palette
        Class breaks and colours of the pooled values, as in :func:`plot_choropleth`.
    ncols
        Panels per row; default up to 4.
    title, credits
        Figure title (default the indicator's label) and extra credit lines.
    tolerance
        Coverage simplification tolerance in degrees (``None`` or 0: none).
    figsize
        Figure size in inches; default from the grid.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; save it with :func:`save_figure`.
    """
    from regionlib import indicators

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None:
        raise DataFormatError("print maps need a GeoDataFrame with a CRS (EPSG:6668)")
    name = indicators.parse(indicator).name
    columns = [f"{name}@{int(y)}" for y in years]
    absent = [c for c in columns if c not in gdf.columns]
    if absent:
        raise UnknownNameError(f"column {absent[0]!r} is not in the table")
    frame = gdf.to_crs(settings.default_crs)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if tolerance:
        frame = frame.set_geometry(simplify_coverage(frame.geometry.to_numpy(), tolerance))
    frame = frame.to_crs(settings.area_crs)
    pooled = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in columns])
    shared = classify(pooled.rename(name), scheme=scheme, k=k, palette=palette)
    pref_key = next((c for c in ("pref_code", "prefecture") if c in frame.columns), None)
    meta = column_meta(name)
    national = pref_key is not None and frame[pref_key].nunique() > 10
    borders = None if national else pref_key  # at this size, prefecture lines hide the colours
    main = ~frame.index.isin([_OGASAWARA]) if national else np.zeros(0, dtype=bool)
    ncols = ncols or min(4, len(columns))
    nrows = -(-len(columns) // ncols)
    size = figsize or (4.2 * ncols, 4.4 * nrows + 1.4)
    font = _font_name()
    with matplotlib.rc_context({"font.family": font, "pdf.fonttype": 42, "svg.fonttype": "path"}):
        fig = Figure(figsize=size, layout="none")
        grid = fig.add_gridspec(nrows, ncols, left=0.02, right=0.98, top=0.9, bottom=0.16)
        for i, (column, year) in enumerate(zip(columns, years, strict=True)):
            classes = classify(frame[column], scheme="user_defined", bins=list(shared.upper))
            colors = np.array([shared.colors[c] if c >= 0 else MISSING_COLOR for c in classes.cls])
            ax = fig.add_subplot(grid[i // ncols, i % ncols])
            _draw(ax, frame, colors, borders)
            if len(main):  # far islands (小笠原村) would shrink every panel: view the rest
                minx, miny, maxx, maxy = frame.geometry[main].total_bounds
                ax.set_xlim(minx, maxx)
                ax.set_ylim(miny, maxy)
            ax.set_title(f"{int(year)}年", fontsize=11)
        decimals = decimals_for(pooled.to_numpy(dtype=float))
        handles, lower = [], shared.lower
        for color, upper in zip(shared.colors, shared.upper, strict=True):
            text = f"{fmt(lower, decimals)} – {fmt(upper, decimals)}"
            handles.append(Patch(facecolor=color, edgecolor="#777777", linewidth=0.5, label=text))
            lower = upper
        handles.append(
            Patch(facecolor=MISSING_COLOR, edgecolor="#777777", hatch="////", label=MISSING_LABEL)
        )
        fig.legend(
            handles=handles,
            title=f"{meta.title}（全年共通の{SCHEMES[shared.scheme]}）",
            loc="lower center",
            ncols=min(len(handles), 6),
            fontsize=8,
            title_fontsize=9,
            bbox_to_anchor=(0.5, 0.04),
        )
        fig.suptitle(title or meta.label, fontsize=14, y=0.975)
        lines = credit_lines(columns, list(credits or []))
        fig.text(0.02, 0.008, "出典: " + "／".join(lines), fontsize=6, color="#333333", wrap=True)
    return fig


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
        A figure from :func:`plot_choropleth`.
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
    if path.suffix.lower() not in FORMATS:
        raise RegionlibError(f"{path}: print maps are saved as {', '.join(FORMATS)}")
    fmt = path.suffix.lower()[1:]
    rc = {
        "font.family": _font_name(),
        "pdf.fonttype": 42,
        "svg.fonttype": "path",
        "svg.hashsalt": "regionlib",  # stable clip-path and glyph ids: same map, same bytes
    }
    with matplotlib.rc_context(rc), atomic_write(path, what="print map") as f:
        fig.savefig(f, format=fmt, dpi=dpi, facecolor="white", metadata=_METADATA[fmt])
    log(f"print map saved: {path}")
    return path
