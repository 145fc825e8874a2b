"""Print maps: matplotlib choropleths as PNG, PDF or SVG, laid out for A4 or A3 paper.

The font is IPAexGothic from the ``matplotlib-fontja`` package (a dependency), so Japanese text
never turns into tofu boxes, whatever fonts the machine has. A map is laid out on a page
(A4 or A3; portrait or landscape chosen from the shape of the area unless given):

- the legend never covers data: it goes into an empty corner of the map (sea) when one is
  large enough, else beside or below the map, whichever leaves the map larger;
- far islands go to inset panels (:func:`default_insets`: 沖縄県 and 小笠原村 on national
  maps; 伊豆諸島, 八丈町, 青ヶ島村 and 小笠原村 on a 東京都 map, 奄美群島 on a 鹿児島県 map),
  one panel per island group, all on one scale (a panel too small to read is enlarged and
  says so by its own scale bar), placed in free sea near where the islands lie; small
  uninhabited outliers (尖閣諸島, 沖ノ鳥島) stay out of the panels' frames;
- names (:mod:`regionlib.outputs._labels`, shared with web maps) on maps of one or two
  prefectures: every 市 and special ward, the most populous first, inside its polygon or
  by a leader line, never dropped; towns and villages where they fit; every municipality of
  an inset. Names are text in a PDF (searchable), their white halo a second text;
- 北方領土 drawn hatched, without statistics, and named on national and 北海道 maps;
- a scale bar under the map, an optional north arrow beside it;
- changes (indicators whose name says ``change``) are classed on each side of 0 with a
  diverging palette whose classes next to 0 are tinted, never white; borders are grey, so a
  light class never loses its outline;
- legend entries run from the lowest class to the highest.

:func:`plot_regions` draws a region proposal the same way: regions coloured so that
neighbours differ, their names on the map.

Examples
--------
>>> from regionlib import printmaps
>>> fig = printmaps.plot_choropleth(gdf, "aging_rate", page="A4")  # doctest: +SKIP
>>> printmaps.save_figure(fig, "aging.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely

from regionlib import settings
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib.outputs import _labels
from regionlib.outputs._figure import (  # matplotlib's artists: imported there, once
    Figure,
    FigureCanvasAgg,
    Line2D,
    LineCollection,
    MplPath,
    Patch,
    PolyCollection,
    Polygon,
    patheffects,
    save_figure,
)
from regionlib.outputs._figure import font_name as _font_name  # noqa: F401  (kept here)
from regionlib.outputs._figure import rc as _rc
from regionlib.outputs._islands import (
    _GROUP_KM,
    _GROUP_KM_REGIONAL,
    _OGASAWARA,
    _island_groups,
    _Panel,
    default_insets,
)
from regionlib.outputs._mapstyle import (
    CENTRED_LABEL,
    FIGURE_FORMATS,
    MISSING_COLOR,
    MISSING_LABEL,
    SCHEMES,
    change_centre,
    classify,
    column_meta,
    credit_lines,
    decimals_for,
    fmt,
    pooled_classes,
)
from regionlib.outputs._simplify import simplify_coverage

__all__ = [
    "FORMATS",
    "PAGES",
    "default_insets",
    "page_size",
    "plot_choropleth",
    "plot_regions",
    "plot_small_multiples",
    "save_figure",
]

FORMATS = FIGURE_FORMATS
#: paper sizes in inches, portrait (width, height)
PAGES: dict[str, tuple[float, float]] = {"A4": (8.27, 11.69), "A3": (11.69, 16.54)}
_EDGE = "#8c8c8c"  # municipality borders: visible around light and dark classes alike
_HALO = [
    patheffects.Stroke(linewidth=2.2, foreground="white")
]  # a halo text: no glyph paths for the name
_HATCH = "#8a8a8a"  # hatching of missing values, as the legend shows it
_PREF_LINE = "#222222"
_REGION_LINE = "#000000"
_REGION_COLORS = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3",
    "#fdb462", "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd",
)  # fmt: skip


class _Canvas(FigureCanvasAgg):
    """An Agg canvas that renders only when asked (a save, a text measured), never on idle.

    geopandas asks the canvas for an idle redraw after every layer it adds (shapes that
    :func:`_plot_shapes` leaves to it); an Agg canvas answers by rendering the whole figure,
    which cost about 1 s per national map (eight renders of 1,741 polygons) and changes
    nothing saved.
    """

    def draw_idle(self, *args, **kwargs) -> None:
        """Do nothing: the figure is rendered when it is saved."""


def page_size(page: str | None, aspect: float) -> tuple[float, float]:
    """Return the figure size in inches of a page.

    Parameters
    ----------
    page
        ``"A4"`` or ``"A3"``, optionally with ``-portrait`` or ``-landscape`` (``"A3-landscape"``);
        None means A4. Without an orientation the page is turned to fit the area.
    aspect
        Width / height of the area drawn.

    Returns
    -------
    tuple of float
        (width, height) in inches.
    """
    text = (page or "A4").strip().replace(" ", "-").replace("_", "-")
    size, _, orientation = text.partition("-")
    size = size.upper()
    if size not in PAGES or orientation.lower() not in ("", "portrait", "landscape"):
        msg = f"用紙 {page!r}: A4 か A3 を選んでください（-portrait・-landscape を付けられます） / page {page!r}: choose A4 or A3, optionally -portrait or -landscape"
        raise RegionlibError(msg)
    width, height = PAGES[size]
    landscape = orientation.lower() == "landscape" or (not orientation and aspect > 1.15)
    return (height, width) if landscape else (width, height)


def _draw(
    ax,
    frame: gpd.GeoDataFrame,
    colors,
    pref_key: str | None,
    *,
    edge=_EDGE,
    width=0.1,
    pref_style: Mapping | None = None,
):
    geoms = frame.geometry
    _plot_shapes(ax, geoms, facecolor=colors, linewidth=width, edgecolor=edge)
    missing = np.array([c == MISSING_COLOR for c in colors], dtype=bool)
    if missing.any():  # hatched as in the legend
        _plot_shapes(
            ax, geoms[missing], facecolor="none", edgecolor=_HATCH, hatch="////", linewidth=0
        )
    if pref_key is not None and frame[pref_key].nunique() > 1:
        style = {"linewidth": 0.5, **(pref_style or {})}
        _plot_shapes(ax, _group_outlines(frame, pref_key), color=_PREF_LINE, **style)
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")


def _plot_shapes(ax, geoms: gpd.GeoSeries, **style) -> None:
    """Draw polygons or lines on ``ax`` as one collection, as ``GeoSeries.plot`` draws them.

    The paths are those geopandas draws (normalised shapes; one compound path per polygon,
    its rings closed; one line per part), built from the coordinate arrays at once instead
    of one patch per polygon, and without redrawing the figure after each layer (together
    about 0.3 s of a national map). Anything else (points, empty or mixed shapes) is drawn
    by geopandas. ``style`` holds the keywords of ``GeoSeries.plot``: ``facecolor`` (one
    colour or one per shape), ``color`` (lines), ``edgecolor``, ``linewidth``, ….
    """
    shapes = shapely.normalize(geoms.to_numpy())
    kinds = set(shapely.get_type_id(shapes).tolist())
    if (
        not len(shapes)
        or shapely.is_empty(shapes).any()
        or not (kinds <= {1, 5} or kinds <= {3, 6})
    ):
        geoms.plot(ax=ax, **style)  # 1, 5: (multi)lines; 3, 6: (multi)polygons
        return
    parts = shapely.get_parts(shapes)
    if kinds <= {1, 5}:
        coords, part = shapely.get_coordinates(parts, return_index=True)
        cuts = np.flatnonzero(np.diff(part)) + 1
        collection = LineCollection(np.split(coords, cuts), **style)
    else:
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords = shapely.get_coordinates(rings)
        size = shapely.get_num_coordinates(rings)
        ends = np.cumsum(size)
        codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
        codes[ends - size] = MplPath.MOVETO
        codes[ends - 1] = MplPath.CLOSEPOLY
        # the rings of a shape follow each other: cut where the next shape begins
        owner = np.repeat(np.arange(len(shapes)), shapely.get_num_geometries(shapes))[ring_part]
        cuts = ends[np.flatnonzero(np.diff(owner))]
        collection = PolyCollection([], **style)
        collection.set_verts_and_codes(np.split(coords, cuts), np.split(codes, cuts))
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()


def _group_outlines(frame: gpd.GeoDataFrame, key: str) -> gpd.GeoSeries:
    """Return the outline of each group of ``frame`` by ``key`` (prefectures), from the cache.

    Dissolving the 1,741 municipalities into prefectures takes about 0.5 s and is the same
    for every indicator: the outlines are kept in the derived cache, keyed by every
    coordinate, the codes, the groups and this module's code.
    """
    from regionlib.data import _cache

    def build() -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(geometry=frame.dissolve(key).boundary)

    params = {"key": key, "version": _CACHE_VERSION}
    return _cache.cached("print-outlines", _inputs(frame, [key]), params, build).geometry


def _nice_length(span_m: float) -> float:
    """Return a round length (1, 2 or 5 × 10^n km, in metres) near a fifth of ``span_m``."""
    target = max(span_m / 5, 1.0)
    exp = 10 ** math.floor(math.log10(target))
    return max(m * exp for m in (1, 2, 5) if m * exp <= target)


def _scale_bar(fig: Figure, ax, *, x: float, y: float, fontsize: float = 7) -> float:
    """Draw a scale bar at figure fraction (x, y), measured on ``ax`` (metres); return its end."""
    x0, x1 = ax.get_xlim()
    bbox = ax.get_position()
    length = _nice_length(x1 - x0)
    frac = length / (x1 - x0) * bbox.width
    km = length / 1000
    label = f"{km:g} km"
    for xs, ys in (
        ([x, x + frac], [y, y]),
        ([x, x], [y, y + 0.004]),
        ([x + frac] * 2, [y, y + 0.004]),
    ):
        fig.add_artist(Line2D(xs, ys, transform=fig.transFigure, color="#222222", linewidth=1.0))
    fig.text(x + frac + 0.006, y, label, fontsize=fontsize, va="center", color="#222222")
    return x + frac + 0.006 + 0.06


def _north_arrow(fig: Figure, *, x: float, y: float, size: float = 0.035) -> None:
    """Draw a north arrow (an arrow and N) with its tip at figure fraction (x, y)."""
    fig_w, fig_h = fig.get_size_inches()
    w = size * fig_h / fig_w / 2.4
    tri = Polygon(
        [(x, y), (x - w, y - size), (x, y - 0.75 * size), (x + w, y - size)],
        closed=True,
        transform=fig.transFigure,
        facecolor="#222222",
        edgecolor="#222222",
        linewidth=0.5,
    )
    fig.add_artist(tri)
    fig.text(x + w + 0.004, y - size / 2, "N", ha="left", va="center", fontsize=8, color="#222222")


def _data_box(ax, extent_px) -> shapely.Geometry:
    inv = ax.transData.inverted()
    (x0, y0), (x1, y1) = inv.transform([[extent_px.x0, extent_px.y0], [extent_px.x1, extent_px.y1]])
    return shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _free(box: shapely.Geometry, tree: shapely.STRtree, others: list) -> bool:
    if len(tree.query(box, predicate="intersects")):
        return False
    return not any(box.intersects(o) for o in others)


_INSET_MAX = 2.6  # inches: the longest side of the largest panel of an inset
_INSET_MIN = 0.75  # inches: the longest side of the smallest panel
_TITLE_GAP = 0.22  # inches above a panel for its title


def _panel_sizes(panels: list[_Panel], ax_w: float, ax_h: float) -> list[tuple[float, float]]:
    """Width and height (inches) of each panel: one scale for all, clamped per panel.

    The panels share a scale, set so that the largest fits 2.6 inches (or a third of the
    map), so their sizes tell their extents apart (大東諸島 smaller than 沖縄本島); a panel
    too small to read is enlarged to 0.75 inch (its own scale bar says so).
    """
    longest = min(_INSET_MAX, 0.36 * max(ax_w, ax_h))
    scale = max(max(p.extent[2] - p.extent[0], p.extent[3] - p.extent[1]) for p in panels)
    scale /= longest  # metres per inch
    sizes = []
    for p in panels:
        minx, miny, maxx, maxy = p.extent
        w, h = (maxx - minx) / scale, (maxy - miny) / scale
        grow = max(1.0, _INSET_MIN / max(w, h))
        sizes.append((w * grow, h * grow))
    return sizes


def _place_insets(fig: Figure, ax, frame, colors, panels: list[_Panel], land) -> list:
    """Place the inset panels in free sea of ``ax``, each near where its islands lie.

    Panels are placed largest first; each goes to the free position (no land of the main
    map, no other panel) closest to its true direction from the map's centre; where no
    position is free the panel is shrunk, and the caller widens the frame when even that
    fails (:func:`_inset_spots`). Returns the inset axes, or None when a panel found no free
    place.
    """
    if not panels:
        return []
    bbox = ax.get_position()
    fig_w, fig_h = fig.get_size_inches()
    ax_w, ax_h = bbox.width * fig_w, bbox.height * fig_h  # inches
    spots = _inset_spots(panels, land, (ax_w, ax_h), (*ax.get_xlim(), *ax.get_ylim()))
    if spots is None:
        return None
    axes = []
    for i, panel in enumerate(panels):
        px, py, w, h = spots[i]
        iax = ax.inset_axes((px / ax_w, py / ax_h, w / ax_w, h / ax_h))
        _draw(iax, frame[panel.mask], colors[panel.mask], None, edge="#555555", width=0.3)
        minx, miny, maxx, maxy = panel.extent
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
        iax.set_facecolor("white")
        iax.set_title(panel.title, fontsize=7.5, pad=2)
        iax._rl_panel = panel  # read back by the names and scale bar
        axes.append(iax)
    return axes


def _inset_spots(
    panels: list[_Panel], land, size: tuple[float, float], limits: tuple[float, ...]
) -> list[list[float]] | None:
    """Return each panel's place ``[x, y, w, h]`` (inches on the axes), or None if one finds none.

    The search tests thousands of candidate boxes against the land (about 0.3 s for a
    national map) and depends only on the land's shapes, the panels' extents, the axes' size
    in inches and their limits: its answer is kept in the derived cache, keyed by all of
    them and this module's code.
    """
    from regionlib.data import _cache

    ax_w, ax_h = size
    x0, x1, y0, y1 = limits

    def build() -> list[list[float]] | None:
        tree = shapely.STRtree(land)
        sizes = _panel_sizes(panels, ax_w, ax_h)
        order = sorted(range(len(panels)), key=lambda i: -sizes[i][0] * sizes[i][1])
        taken: list[shapely.Geometry] = []
        spots: dict[int, list[float]] = {}
        step = 0.1  # inches between candidate positions
        for i in order:
            minx, miny, maxx, maxy = panels[i].extent
            # where the islands lie, in inches on the axes (may be far outside)
            tx = ((minx + maxx) / 2 - x0) / (x1 - x0) * ax_w
            ty = ((miny + maxy) / 2 - y0) / (y1 - y0) * ax_h
            for shrink in (1.0, 0.85, 0.7):
                w, h = sizes[i][0] * shrink, sizes[i][1] * shrink
                if w > ax_w or h + _TITLE_GAP > ax_h:
                    continue
                xs = np.arange(0.02, ax_w - w - 0.02 + 1e-9, step)
                ys = np.arange(0.02, ax_h - h - _TITLE_GAP + 1e-9, step)
                if not len(xs) or not len(ys):
                    continue
                gx, gy = np.meshgrid(xs, ys)
                cand = np.column_stack([gx.ravel(), gy.ravel()])
                dist = np.hypot(cand[:, 0] + w / 2 - tx, cand[:, 1] + h / 2 - ty)
                boxes = shapely.box(
                    x0 + cand[:, 0] / ax_w * (x1 - x0),
                    y0 + cand[:, 1] / ax_h * (y1 - y0),
                    x0 + (cand[:, 0] + w) / ax_w * (x1 - x0),
                    y0 + (cand[:, 1] + h + _TITLE_GAP) / ax_h * (y1 - y0),
                )
                hit = np.zeros(len(boxes), dtype=bool)
                hit[tree.query(boxes, predicate="intersects")[0]] = True
                for t in taken:
                    hit |= shapely.intersects(boxes, t)
                if hit.all():
                    continue
                best = int(np.argmin(np.where(hit, np.inf, dist)))
                spots[i] = [float(cand[best, 0]), float(cand[best, 1]), float(w), float(h)]
                gap = 0.08 / ax_w * (x1 - x0)  # panels never touch
                taken.append(shapely.buffer(boxes[best], gap, join_style="mitre"))
                break
            else:
                return None
        return [spots[i] for i in range(len(panels))]

    if not len(land):  # nothing to test against (the frame found no free sea)
        return build()
    params = {
        "panels": [list(map(float, p.extent)) for p in panels],
        "size": [float(ax_w), float(ax_h)],
        "limits": list(map(float, limits)),
        "version": _CACHE_VERSION,
    }
    shapes = gpd.GeoDataFrame(geometry=list(land))
    return _cache.cached_json("print-inset-spots", _inputs(shapes), params, build)


def _inset_scale_bar(iax, frame_part: gpd.GeoDataFrame) -> shapely.Geometry:
    """Draw an inset's scale bar in a corner clear of its land; return its box (data units)."""
    minx, maxx = iax.get_xlim()
    miny, maxy = iax.get_ylim()
    dx, dy = maxx - minx, maxy - miny
    length = _nice_length(dx)
    geoms = frame_part.geometry.to_numpy()
    best, best_hit = None, math.inf
    for fx, fy in ((0.05, 0.06), (0.05, 0.86), (0.95, 0.06), (0.95, 0.86)):
        left = fx < 0.5
        bx0 = minx + fx * dx - (0 if left else length + 0.3 * dx)
        box = shapely.box(
            bx0, miny + (fy - 0.04) * dy, bx0 + length + 0.3 * dx, miny + (fy + 0.05) * dy
        )
        hit = float(shapely.area(shapely.intersection(geoms, box)).sum())
        if hit < best_hit:
            best, best_hit = (bx0, miny + fy * dy, box), hit
        if hit == 0:
            break
    bx0, by, box = best
    iax.plot([bx0, bx0 + length], [by, by], color="#222222", linewidth=1.0)
    iax.text(bx0 + length, by, f" {length / 1000:g} km", fontsize=5.5, va="center")
    return box


def _legend_box(ax, legend, renderer) -> shapely.Geometry:
    return _data_box(ax, legend.get_window_extent(renderer))


def _layout_legend(fig, ax, frame, tree, handles, title, inset_axes, renderer, area) -> None:
    """Put the legend in a free corner of the map, else beside or below it."""
    obstacles = [_data_box(ax, i.get_tightbbox(renderer)) for i in inset_axes]
    # one legend, moved from corner to corner (building it costs 20 ms; moving it nothing)
    legend = ax.legend(handles=handles, title=title, loc="lower right", **_LEGEND)
    for loc in ("lower right", "upper right", "lower left", "upper left", "center right"):
        legend.set_loc(loc)
        if _free(_legend_box(ax, legend, renderer), tree, obstacles):
            return
    legend.remove()
    # no corner is free: shrink the map and put the legend beside or below it
    legend = fig.legend(handles=handles, title=title, loc="lower left", **_LEGEND)
    ext = legend.get_window_extent(renderer)
    fig_w, fig_h = fig.get_size_inches()
    lw, lh = ext.width / fig.dpi / fig_w + 0.02, ext.height / fig.dpi / fig_h + 0.02
    left, bottom, width, height = area
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    minx, miny, maxx, maxy = frame.total_bounds
    dx, dy = maxx - minx, maxy - miny
    scale_right = min((width - lw) * fig_w / dx, height * fig_h / dy)
    scale_below = min(width * fig_w / dx, (height - lh) * fig_h / dy)
    if scale_right >= scale_below:
        ax.set_position((left, bottom, width - lw, height))
        legend.set_bbox_to_anchor((left + width - lw + 0.01, bottom + 0.02), fig.transFigure)
    else:
        ax.set_position((left, bottom + lh, width, height - lh))
        legend.set_bbox_to_anchor((left + 0.01, bottom), fig.transFigure)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _apply_aspect(ax)


class _FixedLimitsNote(logging.Filter):
    """Drop matplotlib's "Ignoring fixed x/y limits to fulfill fixed data aspect" note.

    Maps set both ranges on purpose and ask for an equal aspect; matplotlib widens one range
    and says so on its logger whenever a figure is drawn or saved (small multiples included),
    a line that means nothing to the reader of a map.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Ignoring fixed")


logging.getLogger("matplotlib.axes._base").addFilter(_FixedLimitsNote())


def _apply_aspect(ax) -> None:
    """Fit equal-aspect axes to their box, widening one range as ``adjustable="datalim"`` asks.

    Both ranges are set on purpose (the area to show); matplotlib then widens one of them and
    says so on its logger at every call, a note that means nothing to the reader of a map.
    """
    logger = logging.getLogger("matplotlib.axes._base")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        ax.apply_aspect()
    finally:
        logger.setLevel(level)


_LEGEND = {
    "fontsize": 8,
    "title_fontsize": 9,
    "frameon": True,
    "framealpha": 0.95,
    "alignment": "left",
    "borderaxespad": 0.4,
}


def _write_name(ax, x, y, text, *, fontsize, color="#111111", weight="normal", zorder=6):
    """Write a name as text (searchable in the PDF) over a white halo, itself a second text."""
    kw = {"fontsize": fontsize, "ha": "center", "va": "center", "fontweight": weight}
    halo = ax.text(x, y, text, color="white", zorder=zorder - 0.1, path_effects=_HALO, **kw)
    name = ax.text(x, y, text, color=color, zorder=zorder, **kw)
    return halo, name


def _place_names(
    ax,
    geoms: Sequence[shapely.Geometry],
    texts: Sequence[str],
    renderer,
    *,
    must: Sequence[bool],
    sizes: Sequence[float],
    avoid: Sequence[shapely.Geometry] = (),
    leader: Sequence[bool] | None = None,
    weight: str = "normal",
    color: str = "#111111",
    zorder: float = 6,
) -> list[str]:
    """Place names on ``ax`` in the given (priority) order with :func:`_labels.place`.

    Geometries are in data units; collisions are worked out in display pixels, where the text
    sizes are known. Returns the names placed.
    """
    trans = ax.transData
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    (fx0, fy0), (fx1, fy1) = trans.transform([[x0, y0], [x1, y1]])
    bounds = (min(fx0, fx1), min(fy0, fy1), max(fx0, fx1), max(fy0, fy1))
    obstacles = []
    for a in avoid:
        (ax0, ay0), (ax1, ay1) = trans.transform(np.array(a.bounds).reshape(2, 2))
        obstacles.append((min(ax0, ax1), min(ay0, ay1), max(ax0, ax1), max(ay0, ay1)))
    items, artists = [], []
    for k, (geom, text) in enumerate(zip(geoms, texts, strict=True)):
        halo, name = _write_name(
            ax, 0, 0, text, fontsize=sizes[k], weight=weight, color=color, zorder=zorder
        )
        ext = name.get_window_extent(renderer)
        disp = shapely.transform(geom, trans.transform) if geom is not None else None
        pts = [tuple(trans.transform((p.x, p.y))) for p in _labels.anchors(geom)]
        items.append(
            _labels.Item(
                str(k),
                (ext.width + 2, ext.height + 1),
                pts,
                shape=disp,
                must=bool(must[k]),
                leader=True if leader is None else bool(leader[k]),
            )
        )
        artists.append((halo, name))
    placed = {int(p.key): p for p in _labels.place(items, obstacles=obstacles, bounds=bounds)}
    inv = trans.inverted()
    out = []
    for k, (halo, name) in enumerate(artists):
        p = placed.get(k)
        if p is None:
            halo.remove()
            name.remove()
            continue
        xy = inv.transform((p.x, p.y))
        halo.set_position(xy)
        name.set_position(xy)
        if p.leader_from is not None:
            w, h = items[k].size
            # from the anchor to the nearest point of the name's box
            ex = np.clip(p.leader_from[0], p.x - w / 2, p.x + w / 2)
            ey = np.clip(p.leader_from[1], p.y - h / 2, p.y + h / 2)
            (lx0, ly0), (lx1, ly1) = inv.transform([p.leader_from, (ex, ey)])
            ax.add_line(
                Line2D([lx0, lx1], [ly0, ly1], color="#333333", linewidth=0.4, zorder=zorder - 0.2)
            )
            ax.plot([lx0], [ly0], marker="o", markersize=1.2, color="#333333", zorder=zorder - 0.2)
        out.append(texts[k])
    return out


def _label_municipalities(
    ax, frame: gpd.GeoDataFrame, renderer, avoid: Sequence[shapely.Geometry], *, every: bool = False
) -> list[str]:
    """Name municipalities: every 市 (and special ward), the rest where they fit.

    With ``every`` (inset panels), every municipality is named. Returns the names placed.
    """
    if "name" not in frame.columns or not len(frame):
        return []
    order = _labels.priority(frame, frame.geometry.area.to_numpy())
    sub = frame.iloc[order]
    names = sub["name"].astype(str).tolist()
    city = _labels.is_city(sub.index.astype(str), names)
    must = np.ones(len(sub), dtype=bool) if every else city
    return _place_names(
        ax,
        sub.geometry.to_numpy(),
        names,
        renderer,
        must=must,
        sizes=[6.5 if c else 5.5 for c in city],
        avoid=avoid,
        leader=must,
    )


#: Bump when what the print maps keep in the derived cache changes shape.
_CACHE_VERSION = 1


def _inputs(frame: gpd.GeoDataFrame, columns: Sequence[str] = ()) -> list[str]:
    """Cache inputs of products derived from a frame's shapes: coordinates, codes, code."""
    from regionlib.data import _cache

    here = Path(__file__).parent
    modules = ("printmaps.py", "_islands.py", "_simplify.py")
    return _cache.shape_inputs(frame, columns, [here / m for m in modules])


def _prepare(gdf: gpd.GeoDataFrame, tolerance: float | None) -> gpd.GeoDataFrame:
    """Return the rows of ``gdf`` with a geometry, simplified and in ``settings.area_crs``.

    The simplified shapes are the same for every indicator: they are kept in the derived
    cache, keyed by every coordinate, the codes, the CRS, the tolerance and this module's
    code (simplifying the national layer takes about 0.2 s, reading it back 0.02 s).
    """
    from regionlib.data import _cache

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None:
        raise DataFormatError(
            "印刷用の地図には座標参照系（EPSG:6668）つきの GeoDataFrame が必要です / print maps need a GeoDataFrame with a CRS (EPSG:6668)"
        )
    empty = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if empty.any():
        log(
            f"print map: left out {int(empty.sum())} rows without geometry",
            level=logging.WARNING,
            ja=f"境界のない {int(empty.sum())} 行を地図から除きました",
        )
    tolerance = float(tolerance) if tolerance else None

    def build() -> gpd.GeoDataFrame:
        shapes = gdf.geometry.to_crs(settings.default_crs)[~empty]
        if tolerance:
            shapes = gpd.GeoSeries(
                simplify_coverage(shapes.to_numpy(), tolerance), index=shapes.index, crs=shapes.crs
            )
        return gpd.GeoDataFrame(geometry=shapes.to_crs(settings.area_crs).to_numpy())

    params = {
        "crs": gdf.crs.to_wkt(),
        "default_crs": settings.default_crs,
        "area_crs": settings.area_crs,
        "tolerance": tolerance,
        "version": _CACHE_VERSION,
    }
    shapes = _cache.cached("print-shapes", _inputs(gdf), params, build).geometry.to_numpy()
    frame = gdf[~empty] if empty.any() else gdf
    return frame.set_geometry(shapes, crs=settings.area_crs)


def _northern_territories(frame: gpd.GeoDataFrame, tolerance: float | None) -> gpd.GeoSeries:
    """Return the six 北方領土 villages as one geometry (area CRS) for maps of 北海道.

    Drawn on national and 北海道 maps (with 根室市 on the map) as Japanese government maps
    draw them: hatched, without statistics, named 北方領土. Empty when the boundaries are not
    at hand or the villages are already in ``frame``.
    """
    from regionlib.data import boundaries

    codes = pd.Index(frame.index.astype(str))
    if "01223" not in codes or codes.isin(boundaries.NORTHERN_TERRITORIES).any():
        return gpd.GeoSeries([], crs=settings.area_crs)
    try:
        north = boundaries.load_boundaries(prefectures=["01"], include_unassigned=True)
    except RegionlibError:
        return gpd.GeoSeries([], crs=settings.area_crs)
    north = north[north.index.isin(boundaries.NORTHERN_TERRITORIES)]
    geoms = north.geometry.to_numpy()
    if tolerance and len(geoms):
        geoms = simplify_coverage(geoms, tolerance)
    union = shapely.union_all(geoms)
    return gpd.GeoSeries([union], crs=settings.default_crs).to_crs(settings.area_crs)


def _inset_panels(
    frame: gpd.GeoDataFrame, insets: Mapping[str, Sequence[str]] | str | None, pref_key: str | None
) -> tuple[np.ndarray, list[_Panel]]:
    """Return which rows go to insets and the inset panels (:func:`default_insets`), cached.

    Finding the far islands and splitting the insets into island groups (20-30 ms) depend
    only on the shapes, codes, names and prefectures: the rows and frames of the panels are
    kept in the derived cache, keyed by all of them and this module's code (insets given as
    a mapping are worked out each time).

    Returns
    -------
    tuple
        Mask of the rows drawn in insets, and the panels (island groups), largest first.
    """
    from regionlib.data import _cache

    def build() -> dict:
        inset_map = default_insets(frame) if insets == "auto" else dict(insets or {})
        in_inset = frame.index.isin([c for codes in inset_map.values() for c in codes])
        if in_inset.all():
            return {"in_inset": [], "panels": []}
        n_prefs = frame[pref_key].nunique() if pref_key else 1
        group_km = _GROUP_KM if n_prefs > 5 else _GROUP_KM_REGIONAL
        panels = [
            p for t, c in inset_map.items() for p in _island_groups(frame, t, c, group_km=group_km)
        ]
        return {
            "in_inset": np.flatnonzero(in_inset).tolist(),
            "panels": [
                [p.title, np.flatnonzero(p.mask).tolist(), list(map(float, p.extent)), p.inset]
                for p in panels
            ],
        }

    if insets == "auto":
        columns = [c for c in ("name", pref_key) if c is not None and c in frame.columns]
        params = {"version": _CACHE_VERSION}
        kept = _cache.cached_json("print-insets", _inputs(frame, columns), params, build)
    else:
        kept = build()

    def rows(positions: list[int]) -> np.ndarray:
        mask = np.zeros(len(frame), dtype=bool)
        mask[positions] = True
        return mask

    panels = [
        _Panel(title, rows(positions), tuple(extent), inset=inset)
        for title, positions, extent, inset in kept["panels"]
    ]
    return rows(kept["in_inset"]), panels


def _compose(
    frame: gpd.GeoDataFrame,
    colors: np.ndarray,
    *,
    handles: list,
    legend_title: str,
    title: str,
    credits: list[str],
    insets: Mapping[str, Sequence[str]] | str | None,
    page: str | None,
    figsize: tuple[float, float] | None,
    names: bool | None,
    edge_width: float | None = None,
    overlay=None,
    north_arrow: bool = False,
    tolerance: float | None = None,
    after=None,
    pref_style: Mapping | None = None,
) -> Figure:
    """Lay out a map page: title, map, insets, legend, names, scale bar, credits."""
    if isinstance(insets, str) and insets != "auto":
        raise RegionlibError(
            f"insets={insets!r}: 'auto'、None、または 見出し -> コード の対応を指定してください / insets={insets!r}: use 'auto', None or a mapping title -> codes"
        )
    pref_key = next((c for c in ("pref_code", "prefecture") if c in frame.columns), None)
    n_prefs = frame[pref_key].nunique() if pref_key else 1
    in_inset, panels = _inset_panels(frame, insets, pref_key)
    main = frame[~in_inset]
    north = _northern_territories(frame, tolerance)
    minx, miny, maxx, maxy = main.total_bounds
    if len(north):
        nminx, nminy, nmaxx, nmaxy = north.total_bounds
        minx, miny, maxx, maxy = (
            min(minx, nminx),
            min(miny, nminy),
            max(maxx, nmaxx),
            max(maxy, nmaxy),
        )
    if figsize is None:
        figsize = page_size(page, (maxx - minx) / max(maxy - miny, 1.0))
    local = n_prefs <= 2 and len(frame) <= 400
    if names is None:
        names = local
    if edge_width is None:
        edge_width = 0.35 if local else 0.1

    fig_w, fig_h = figsize
    fig = Figure(figsize=figsize, layout="none")
    _Canvas(fig)
    renderer = fig.canvas.get_renderer()
    margin_x = 0.3 / fig_w
    top_band, bottom_band = 0.55 / fig_h, 0.7 / fig_h
    area = (margin_x, bottom_band, 1 - 2 * margin_x, 1 - top_band - bottom_band)
    ax = fig.add_axes(area)
    _draw(ax, main, colors[~in_inset], pref_key, width=edge_width, pref_style=pref_style)
    ax._rl_main = main.index  # the codes drawn on the main map
    if len(north):
        _plot_shapes(
            ax, north, facecolor="#f4f4f4", edgecolor="#666666", linewidth=max(edge_width, 0.3),
            hatch="////",
        )  # fmt: skip
    if overlay is not None:
        overlay(ax, main)
    pad_x, pad_y = 0.01 * (maxx - minx), 0.01 * (maxy - miny)
    ax.set_xlim(minx - pad_x, maxx + pad_x)
    ax.set_ylim(miny - pad_y, maxy + pad_y)
    _apply_aspect(ax)
    land = [*main.geometry.to_numpy(), *north.to_numpy()]
    tree = shapely.STRtree(land)
    inset_axes: list = []
    for _ in range(8):  # widen the frame towards the islands until every panel finds sea
        placed = _place_insets(fig, ax, frame, colors, panels, land)
        if placed is not None:
            inset_axes = placed
            break
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        gx = np.mean([(p.extent[0] + p.extent[2]) / 2 for p in panels])
        gy = np.mean([(p.extent[1] + p.extent[3]) / 2 for p in panels])
        grow_x, grow_y = 0.08 * (x1 - x0), 0.08 * (y1 - y0)
        # widen on the side where the islands lie, else to the west and south
        ax.set_xlim(x0 - grow_x, x1) if gx <= (x0 + x1) / 2 else ax.set_xlim(x0, x1 + grow_x)
        ax.set_ylim(y0 - grow_y, y1) if gy <= (y0 + y1) / 2 else ax.set_ylim(y0, y1 + grow_y)
        _apply_aspect(ax)
    else:
        log(
            "print map: the insets found no free sea; they are drawn over the map's corner",
            ja="印刷用地図: 差し込み図を置く空いた海がないため、地図の隅に重ねて描きます",
        )
        inset_axes = _place_insets(fig, ax, frame, colors, panels, []) or []
    if len(north):
        handles = [
            *handles,
            Patch(facecolor="white", edgecolor="#555555", hatch="////", linewidth=0.5,
                  label="北方領土（統計なし）"),
        ]  # fmt: skip
    _layout_legend(fig, ax, main, tree, handles, legend_title, inset_axes, renderer, area)
    legends = [a for a in (ax.get_legend(), *fig.legends) if a is not None]
    avoid = [_data_box(ax, a.get_window_extent(renderer)) for a in legends]
    avoid += [_data_box(ax, i.get_tightbbox(renderer)) for i in inset_axes]
    if len(north):  # named on every map that draws it
        _place_names(
            ax, [north.iloc[0]], ["北方領土"], renderer, must=[True], sizes=[6.5], avoid=avoid
        )
    if after is not None:
        after(ax, renderer, avoid)
    if names:
        placed_names = _label_municipalities(ax, main, renderer, avoid)
        log(
            f"print map: {len(placed_names)} of {len(main)} municipality names on the map",
            ja=f"印刷用地図: {len(main)} 市区町村のうち {len(placed_names)} の名前を載せました",
        )
        for iax in inset_axes:
            panel = iax._rl_panel
            part = frame[panel.mask]
            bar = _inset_scale_bar(iax, part)
            _label_municipalities(iax, part, renderer, [bar], every=True)
    else:
        for iax in inset_axes:
            _inset_scale_bar(iax, frame[iax._rl_panel.mask])
    fig.suptitle(title, fontsize=15, y=1 - 0.28 / fig_h)
    end = _scale_bar(fig, ax, x=margin_x + 0.01, y=0.48 / fig_h)
    if north_arrow:  # beside the scale bar, off the map
        _north_arrow(fig, x=end + 0.02, y=0.6 / fig_h, size=0.18 / fig_h)
    fig.text(
        margin_x,
        0.18 / fig_h,
        "出典: " + "／".join(credits),
        fontsize=6.5,
        color="#333333",
        wrap=True,
    )
    return fig


def _class_handles(classes, decimals: int, *, counts: bool) -> list[Patch]:
    """Legend entries of a class scheme: one per class, and one for missing values.

    With ``counts`` each entry says how many municipalities it holds and the missing entry is
    shown only when some are missing (one map); without, the missing entry is always shown
    (small multiples share one legend over several years).
    """
    handles, lower = [], classes.lower
    for color, upper, count in zip(classes.colors, classes.upper, classes.counts, strict=True):
        text = f"{fmt(lower, decimals)} – {fmt(upper, decimals)}"
        text += f"  ({count:,})" if counts else ""
        handles.append(Patch(facecolor=color, edgecolor="#555555", linewidth=0.5, label=text))
        lower = upper
    n_missing = int((classes.cls < 0).sum())
    if n_missing or not counts:
        label = f"{MISSING_LABEL}  ({n_missing:,})" if counts else MISSING_LABEL
        handles.append(
            Patch(
                facecolor=MISSING_COLOR,
                edgecolor="#555555",
                hatch="////",
                linewidth=0.5,
                label=label,
            )
        )
    return handles


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
    page: str | None = None,
    figsize: tuple[float, float] | None = None,
    names: bool | None = None,
    north_arrow: bool = False,
) -> Figure:
    """Draw one value column of municipalities as a print choropleth on an A4 or A3 page.

    Parameters
    ----------
    gdf
        Municipalities: index ``code``, optional ``prefecture``/``name``/``pref_code``, the
        value column and polygon geometry. Not modified.
    column
        The column to map.
    scheme, k, bins, palette
        Class breaks and colours, as in :func:`regionlib.maps.choropleth`. Without ``bins`` and
        ``palette``, a change (a catalogue change between two years, or a column named
        ``…change…``) with values on both sides of 0 is classed on each side of 0 with a
        diverging palette, as web maps do (:func:`regionlib._mapstyle.change_centre`).
    label, unit, year
        Legend metadata; default from the indicator catalogue, else the column name.
    credits
        Extra credit lines (the boundaries and indicator credits are always printed).
    title
        Figure title; default the legend title.
    insets
        ``"auto"`` (:func:`default_insets`: 沖縄県 and 小笠原村 on national maps, far island
        groups on regional maps), ``None`` (no inset), or a mapping inset title -> codes.
        Each island group of an inset gets its own panel.
    tolerance
        Coverage simplification tolerance in degrees (``None`` or 0: none).
    page
        ``"A4"`` (default) or ``"A3"``, optionally ``-portrait``/``-landscape``; without an
        orientation the page is turned to fit the area. See :func:`page_size`.
    figsize
        Figure size in inches, instead of a page.
    names
        Name municipalities; default on maps of one or two prefectures: every 市 and special
        ward, the largest municipalities first, inside their polygon or by a leader line;
        towns and villages where they fit; every municipality of an inset.
    north_arrow
        Draw a north arrow in the top right corner.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; save it with :func:`save_figure`.
    """
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None:
        raise DataFormatError(
            "印刷用の地図には座標参照系（EPSG:6668）つきの GeoDataFrame が必要です / print maps need a GeoDataFrame with a CRS (EPSG:6668)"
        )
    if column not in gdf.columns:
        raise UnknownNameError(
            f"列 {column!r} は表にありません / column {column!r} is not in the table"
            + suggest(column, map(str, gdf.columns))
        )
    frame = _prepare(gdf, tolerance)
    meta = column_meta(column, label=label, unit=unit, year=year)
    centre = change_centre(column, palette=palette, bins=bins)
    classes = classify(frame[column], scheme=scheme, k=k, bins=bins, palette=palette, centre=centre)
    colors = np.array([classes.colors[c] if c >= 0 else MISSING_COLOR for c in classes.cls])
    decimals = decimals_for(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float))
    handles = _class_handles(classes, decimals, counts=True)
    scheme_label = SCHEMES.get(classes.scheme, CENTRED_LABEL)
    sub = [f"{meta.year}年" if meta.year[:1].isdigit() else meta.year, scheme_label]
    with matplotlib.rc_context(_rc()):
        return _compose(
            frame,
            colors,
            handles=handles,
            legend_title=f"{meta.title}\n{'　'.join(s for s in sub if s)}",
            title=title or meta.title,
            credits=credit_lines([column], list(credits or [])),
            insets=insets,
            page=page,
            figsize=figsize,
            names=names,
            north_arrow=north_arrow,
            tolerance=tolerance,
        )


def region_colors(gdf: gpd.GeoDataFrame, labels: pd.Series) -> dict:
    """Colour regions so that neighbouring regions differ (greedy graph colouring).

    Two regions are neighbours where a municipality of one touches a municipality of the
    other, so the regions are not dissolved here (:func:`plot_regions` dissolves them once,
    for their outlines).

    Parameters
    ----------
    gdf
        Municipalities with geometry (index ``code``).
    labels
        Region per code.

    Returns
    -------
    dict
        Region -> hex colour from a 10-colour qualitative palette.
    """
    labels = labels.reindex(gdf.index)
    ok = labels.notna().to_numpy()
    regions = pd.Index(labels[ok].unique()).sort_values()
    member = regions.get_indexer(labels[ok])  # region of every municipality with one
    # two regions are neighbours where two of their municipalities touch: no dissolving needed
    geoms = shapely.make_valid(gdf.geometry[ok].to_numpy())
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(regions))}
    for a, b in zip(member[left], member[right], strict=True):
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    order = sorted(neighbours, key=lambda i: (-len(neighbours[i]), str(regions[i])))
    chosen: dict[int, int] = {}
    for i in order:
        used = {chosen[j] for j in neighbours[i] if j in chosen}
        chosen[i] = next(c for c in range(len(regions) + 1) if c not in used)
    if max(chosen.values(), default=0) >= len(_REGION_COLORS):
        log(
            "region map: more colours needed than the palette has; some neighbours repeat",
            ja="地域の地図: 色が足りないため、隣り合う地域に同じ色があります",
        )
    return {regions[i]: _REGION_COLORS[c % len(_REGION_COLORS)] for i, c in chosen.items()}


def plot_regions(
    gdf: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    title: str = "広域リージョン案",
    credits: Sequence[str] | None = None,
    insets: Mapping[str, Sequence[str]] | str | None = "auto",
    tolerance: float | None = 0.002,
    page: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw regions (groups of municipalities) as a print map, named on the map.

    Parameters
    ----------
    gdf
        Municipalities with geometry (index ``code``).
    labels
        Region name per code (for example ``RegionProposal.region_names``); codes without one
        are drawn grey.
    title, credits, insets, tolerance, page, figsize
        As in :func:`plot_choropleth`.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    frame = _prepare(gdf, tolerance)
    labels = pd.Series(labels)
    labels.index = labels.index.astype(str)
    labels = labels.reindex(frame.index)
    palette = region_colors(frame, labels)
    colors = np.array(
        [palette.get(v, MISSING_COLOR) if pd.notna(v) else MISSING_COLOR for v in labels]
    )
    handles: list = [
        Line2D([], [], color=_REGION_LINE, linewidth=1.3, label="リージョン境界"),
    ]
    pref_key = next((c for c in ("pref_code", "prefecture") if c in frame.columns), None)
    if pref_key is not None and frame[pref_key].nunique() > 1:
        handles.append(
            Line2D(
                [], [], color=_PREF_LINE, linewidth=0.6, linestyle=(0, (3, 2)), label="都道府県界"
            )
        )
    if labels.isna().any():
        handles.append(
            Patch(
                facecolor=MISSING_COLOR,
                edgecolor="#555555",
                hatch="////",
                label=f"{MISSING_LABEL}  ({int(labels.isna().sum())})",
            )
        )

    def outlines(ax, main: gpd.GeoDataFrame) -> None:
        # region lines solid and bold over the prefecture lines, which are dashed and thin
        named = main.assign(region=labels.reindex(main.index).to_numpy())
        regions = named[named["region"].notna()].dissolve("region")
        _plot_shapes(ax, regions.boundary, color=_REGION_LINE, linewidth=1.0, zorder=3)

    def names_in_cores(ax, renderer, avoid) -> None:
        main = frame[frame.index.isin(ax._rl_main)]
        region = labels.reindex(main.index)
        cores = _labels.region_cores(main, region, main.geometry.to_numpy())
        size = _labels.population(main).groupby(region.to_numpy()).sum(min_count=1)
        # the most populous regions first (the largest without population data)
        order = sorted(
            cores,
            key=lambda r: (-size.get(r, 0.0) if pd.notna(size.get(r)) else 0.0, -cores[r].area),
        )
        _place_names(
            ax,
            [cores[r] for r in order],
            order,
            renderer,
            must=[True] * len(order),
            sizes=[7.5] * len(order),
            avoid=avoid,
        )

    with matplotlib.rc_context(_rc()):
        fig = _compose(
            frame,
            colors,
            handles=handles,
            legend_title=f"{labels.nunique()} リージョン",
            title=title,
            credits=credit_lines([], list(credits or [])),
            insets=insets,
            page=page,
            figsize=figsize,
            names=False,
            overlay=outlines,
            tolerance=tolerance,
            after=names_in_cores,
            pref_style={"linestyle": (0, (3, 2)), "linewidth": 0.6},
        )
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
    page: str | None = None,
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
        Panels per row; default the number that draws the panels largest on the page.
    title, credits
        Figure title (default the indicator's label) and extra credit lines.
    tolerance
        Coverage simplification tolerance in degrees (``None`` or 0: none).
    page
        ``"A4"`` (default) or ``"A3"``, optionally ``-portrait``/``-landscape``; without an
        orientation the one that draws the panels largest. Every panel fills its cell, with
        prefecture lines, on one scale shown by one scale bar.
    figsize
        Figure size in inches, instead of a page.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; save it with :func:`save_figure`.
    """
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None:
        raise DataFormatError(
            "印刷用の地図には座標参照系（EPSG:6668）つきの GeoDataFrame が必要です / print maps need a GeoDataFrame with a CRS (EPSG:6668)"
        )
    # classes from the table's values; an absent year fails before the geometry work
    name, columns, pooled, shared = pooled_classes(
        gdf, indicator, years, scheme=scheme, k=k, palette=palette
    )
    frame = _prepare(gdf, tolerance)
    pref_key = next((c for c in ("pref_code", "prefecture") if c in frame.columns), None)
    meta = column_meta(name)
    national = pref_key is not None and frame[pref_key].nunique() > 10
    # far islands (小笠原村) would shrink every panel: the panels show the rest
    main = ~frame.index.isin([_OGASAWARA]) if national else np.ones(len(frame), dtype=bool)
    minx, miny, maxx, maxy = frame.geometry[main].total_bounds
    dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    n = len(columns)
    head, foot, gap, title_h = 0.6, 1.35, 0.12, 0.3  # inches: title, legend and credits
    margin = 0.3

    def layout(size: tuple[float, float], cols: int) -> tuple[float, float, float]:
        rows = -(-n // cols)
        cell_w = (size[0] - 2 * margin - (cols - 1) * gap) / cols
        cell_h = (size[1] - head - foot - rows * title_h - (rows - 1) * gap) / rows
        return min(cell_w / dx, cell_h / dy), cell_w, cell_h

    if figsize is not None:
        sizes = [tuple(figsize)]
    else:
        text = (page or "A4").strip().replace(" ", "-").replace("_", "-")
        sizes = (
            [page_size(text, 0.5), page_size(text, 2.0)]
            if "-" not in text
            else [page_size(text, 1.0)]
        )
    # the page, orientation and number of columns that draw the panels largest
    options = [(layout(sz, c)[0], sz, c) for sz in dict.fromkeys(sizes) for c in range(1, n + 1)]
    if ncols:
        options = [o for o in options if o[2] == ncols]
    _, size, ncols = max(options, key=lambda o: o[0])
    _, cell_w, cell_h = layout(size, ncols)
    fig_w, fig_h = size
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=size, layout="none")
        for i, (column, year) in enumerate(zip(columns, years, strict=True)):
            classes = classify(frame[column], scheme="user_defined", bins=list(shared.upper))
            colors = np.array([shared.colors[c] if c >= 0 else MISSING_COLOR for c in classes.cls])
            r, c = divmod(i, ncols)
            x0 = margin + c * (cell_w + gap)
            top = fig_h - head - r * (cell_h + title_h + gap) - title_h
            ax = fig.add_axes((x0 / fig_w, (top - cell_h) / fig_h, cell_w / fig_w, cell_h / fig_h))
            # prefecture lines thin on national panels, so that the colours stay readable
            _draw(ax, frame, colors, pref_key, pref_style={"linewidth": 0.25 if national else 0.5})
            # the frame fills the cell: the data bounds widened to the cell's shape
            scale = min(cell_w / dx, cell_h / dy)
            cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
            ax.set_aspect("auto")
            ax.set_xlim(cx - cell_w / scale / 2, cx + cell_w / scale / 2)
            ax.set_ylim(cy - cell_h / scale / 2, cy + cell_h / scale / 2)
            ax.set_title(f"{int(year)}年", fontsize=11, pad=2)
        decimals = decimals_for(pooled.to_numpy(dtype=float))
        handles = _class_handles(shared, decimals, counts=False)
        fig.legend(
            handles=handles,
            title=f"{meta.title}（全年共通の{SCHEMES[shared.scheme]}）",
            loc="lower center",
            ncols=min(len(handles), 6),
            fontsize=8,
            title_fontsize=9,
            bbox_to_anchor=(0.5, 0.45 / fig_h),
        )
        fig.suptitle(title or meta.label, fontsize=14, y=1 - 0.25 / fig_h)
        # one scale bar for all panels (they share one scale)
        _scale_bar(fig, fig.axes[0], x=margin / fig_w, y=0.3 / fig_h)
        lines = credit_lines(columns, list(credits or []))
        fig.text(
            margin / fig_w,
            0.1 / fig_h,
            "出典: " + "／".join(lines),
            fontsize=6,
            color="#333333",
            wrap=True,
        )
    return fig
