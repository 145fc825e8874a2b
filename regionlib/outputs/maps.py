"""Interactive choropleth maps that open anywhere: small, readable, offline HTML.

:func:`choropleth` draws one or more indicator columns of a municipality GeoDataFrame on a
:class:`folium.Map`: class breaks from mapclassify, colour-blind-safe palettes, a Japanese
legend (title, unit, reference year, class counts, missing values), Japanese tooltips (value,
rank, percentile), prefecture borders on top and the source credits. Several columns share one
copy of the geometry and are switched with a layer control. :func:`add_region_outlines` and
:func:`add_peers` overlay region outlines and a municipality with its peers. :func:`save_html`
writes a single offline file: Leaflet inlined, no tiles, nothing fetched when it is opened.

The geometry is simplified once as a coverage (shared borders stay shared: no gaps or
overlaps), quantised to ~10 m and encoded compactly; borders thin out at national zoom so that
the fill colours dominate.

Examples
--------
>>> from regionlib import maps
>>> m = maps.choropleth(gdf, ["aging_rate", "population_2020"], k=5)  # doctest: +SKIP
>>> maps.save_html(m, "map.html")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regionlib import settings
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib._write import write_text
from regionlib.outputs import _labels
from regionlib.outputs._folium import Element, Figure, MacroElement, folium
from regionlib.outputs._html import (
    CSS,
    LEAFLET_CSS_URL,
    LEAFLET_JS_URL,
    RUNTIME_JS,
    js_literal,
    make_offline,
    stable_ids,
)
from regionlib.outputs._islands import island_views
from regionlib.outputs._mapstyle import (
    BOUNDARY_CREDIT,
    CENTRED_LABEL,
    MISSING_COLOR,
    MISSING_LABEL,
    SCHEMES,
    change_centre,
    classify,
    column_meta,
    credit_lines,
    decimals_for,
    fmt,
    names_of,
    pooled_classes,
)
from regionlib.outputs._simplify import (
    auto_tolerance,
    encode_lines,
    encode_polygons,
    simplify_coverage,
)

__all__ = [
    "BOUNDARY_CREDIT",
    "SCHEMES",
    "add_peers",
    "add_region_outlines",
    "choropleth",
    "choropleth_years",
    "display_geometry",
    "save_html",
    "show",
    "to_html",
]

_PRECISION = 10_000  # 1e-4 degree, about 10 m


class _Raw(Element):
    """Text put into the page as is (branca would parse an Element's text as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__("")
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Call(MacroElement):
    """Calls ``RL.<fn>(map, payload)`` of the page runtime; adds the runtime to the page once."""

    def __init__(self, fn: str, payload: dict) -> None:
        super().__init__()
        self._name = "RegionlibLayer"
        self.fn = fn
        self.payload = js_literal(payload)

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium maps always have one
            raise RegionlibError(
                "regionlib のレイヤーは folium.Map に追加してください / "
                "add regionlib layers to a folium.Map"
            )
        figure.header.add_child(
            _Raw(f"<style>{CSS}</style>\n<script>{RUNTIME_JS}</script>"), name="regionlib_runtime"
        )
        call = f"RL.{self.fn}({self._parent.get_name()}, {self.payload});"
        figure.script.add_child(_Raw(call), name=self.get_name())


def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def _per_column(value: str | Mapping[str, str] | None, column: str, n: int) -> str | None:
    if value is None or isinstance(value, str):
        return value if n == 1 else None
    return value.get(column)


def _check_frame(gdf: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataFormatError(
            "地図には市区町村の形状を持つ GeoDataFrame が必要です（table.load_table(...) か boundaries.load_boundaries() で読み込んでください） / "
            "maps need a GeoDataFrame with municipality geometry "
            "(load one with table.load_table(...) or boundaries.load_boundaries())"
        )
    for col in columns:
        if col not in gdf.columns:
            raise UnknownNameError(
                f"列 {col!r} は表にありません / column {col!r} is not in the table"
                + suggest(col, map(str, gdf.columns))
            )
    if gdf.crs is None:
        raise DataFormatError(
            "GeoDataFrame に座標参照系（CRS）がありません。設定してください（regionlib のデータは EPSG:6668） / "
            "the GeoDataFrame has no CRS; set it (EPSG:6668 for regionlib data)"
        )
    if gdf.index.has_duplicates:
        dup = gdf.index[gdf.index.duplicated()][:5].tolist()
        raise DataFormatError(
            f"インデックスのコードが重複しています: {dup}。先に結合（dissolve）してください / "
            f"duplicate codes in the index: {dup}; dissolve them first"
        )
    out = gdf.to_crs(settings.default_crs) if gdf.crs != settings.default_crs else gdf
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        log(
            f"map: left out {int(empty.sum())} rows without geometry: {list(out.index[empty][:10])}",
            level=logging.WARNING,
            ja=f"境界のない {int(empty.sum())} 行を地図から除きました",
        )
        out = out[~empty]
    if len(out) == 0:
        raise DataFormatError(
            "描くものがありません: 形状のある行がありません / nothing to draw: no row has a geometry"
        )
    return out


def display_geometry(gdf: gpd.GeoDataFrame, *, tolerance: float | None = None) -> gpd.GeoSeries:
    """Return the geometry simplified for display, once, as a coverage.

    Shared borders are simplified identically on both sides (``shapely.coverage_simplify``),
    so neighbours never show gaps or overlaps; municipalities the simplifier would collapse keep
    their original shape.

    Parameters
    ----------
    gdf
        Municipality polygons (a coverage: no overlaps), in EPSG:6668.
    tolerance
        Tolerance in degrees; default: about 1/4000 of the map extent (0.004° ≈ 400 m for
        the whole country).

    Returns
    -------
    geopandas.GeoSeries
        Simplified geometry on the same index.
    """
    tol = auto_tolerance(tuple(gdf.total_bounds)) if tolerance is None else float(tolerance)
    geoms = simplify_coverage(gdf.geometry.to_numpy(), tol)
    return gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)


def _view_bounds(geoms: gpd.GeoSeries) -> list[list[float]]:
    """Bounds that leave out far outliers (Okinotorishima, Minamitorishima) when there are many."""
    b = geoms.bounds
    if len(b) >= 200:
        lo = b[["minx", "miny"]].quantile(0.003)
        hi = b[["maxx", "maxy"]].quantile(0.997)
        return [[float(lo["miny"]), float(lo["minx"])], [float(hi["maxy"]), float(hi["maxx"])]]
    minx, miny, maxx, maxy = geoms.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _latlng(bounds: Sequence[float]) -> list[list[float]]:
    minx, miny, maxx, maxy = bounds
    return [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]]


def _views(frame: gpd.GeoDataFrame, geoms: gpd.GeoSeries) -> tuple[list, list]:
    """Return the initial view (the main land) and the jump list (全体を表示, island groups)."""
    full = _view_bounds(geoms)
    named = gpd.GeoDataFrame(
        {"name": names_of(frame)[1]}, index=geoms.index, geometry=geoms.to_numpy(), crs=frame.crs
    )
    main, groups = island_views(named)
    if not groups:
        return full, []
    views = [
        ["全体を表示", full],
        ["本土" if len(frame) < 1000 else "本州・北海道・四国・九州", _latlng(main)],
    ]
    views += [[html.escape(title), _latlng(b)] for title, b in groups]
    return _latlng(main), views


_GRID = 64  # cells per side of the land grid the page uses to put its controls on the sea


def _land_grid(geoms: gpd.GeoSeries, bounds: list[list[float]]) -> dict:
    """Return a coarse raster of land around the initial view, for placing the controls."""
    (s, w), (n, e) = bounds
    dy, dx = (n - s) * 0.6, (e - w) * 0.6  # the view is wider or taller than the land
    s, n, w, e = s - dy, n + dy, w - dx, e + dx
    ys = np.linspace(n, s, _GRID + 1)
    xs = np.linspace(w, e, _GRID + 1)
    gx, gy = np.meshgrid(np.arange(_GRID), np.arange(_GRID))
    cells = shapely.box(xs[gx.ravel()], ys[gy.ravel() + 1], xs[gx.ravel() + 1], ys[gy.ravel()])
    tree = shapely.STRtree(geoms.to_numpy())
    hit = np.zeros(len(cells), dtype=bool)
    hit[tree.query(cells, predicate="intersects")[0]] = True
    return {
        "s": round(s, 4),
        "n": round(n, 4),
        "w": round(w, 4),
        "e": round(e, 4),
        "k": _GRID,
        "cells": "".join("1" if h else "0" for h in hit),
    }


def _anchor_points(geoms: gpd.GeoSeries) -> np.ndarray:
    """Return the point where each municipality's name goes (NaN where none fits)."""
    xy = np.full((len(geoms), 2), np.nan)
    for i, geom in enumerate(geoms.to_numpy()):
        pts = _labels.anchors(geom, tolerance=0.001)
        if pts:
            xy[i] = (pts[0].x, pts[0].y)
    return xy


def _name_labels(frame: gpd.GeoDataFrame, anchor_xy: np.ndarray, areas: np.ndarray) -> list[list]:
    """Return municipality names in priority order (市 first, largest first) at their anchors."""
    if "name" not in frame.columns:
        return []
    order = _labels.priority(frame, areas)
    names = frame["name"].astype(str).to_numpy()
    city = _labels.is_city(frame.index.astype(str), names)
    return [
        [names[i], round(float(anchor_xy[i, 1]), 4), round(float(anchor_xy[i, 0]), 4), int(city[i])]
        for i in order
        if np.isfinite(anchor_xy[i, 0])
    ]


#: Bump when what :func:`_shapes` and :func:`_framing` keep changes shape.
_PREPARED_VERSION = 2


def _inputs(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> list[str]:
    """Cache inputs of products derived from a frame's shapes: coordinates, codes, code."""
    from regionlib.data import _cache

    here = Path(__file__).parent
    modules = ("maps.py", "_labels.py", "_islands.py", "_simplify.py")
    return _cache.shape_inputs(frame, columns, [here / m for m in modules])


def _shapes(
    frame: gpd.GeoDataFrame, tolerance: float | None
) -> tuple[gpd.GeoSeries, np.ndarray, np.ndarray]:
    """Return the display geometry of ``frame`` and its name points, from the derived cache.

    Simplifying the national layer and placing 1,741 names take about half a second and are
    the same for every indicator: they are kept in the derived cache, keyed by every
    coordinate, the codes, the tolerance and this module's code
    (:func:`regionlib.data._cache.cached`).

    Returns
    -------
    tuple
        Simplified geometry (index of ``frame``), the name point ``(x, y)`` of every row
        (NaN where no name fits) and the area of every row in m² (``settings.area_crs``).
    """
    from regionlib.data import _cache

    tol = auto_tolerance(tuple(frame.total_bounds)) if tolerance is None else float(tolerance)

    def build() -> gpd.GeoDataFrame:
        geoms = display_geometry(frame, tolerance=tol)
        xy = _anchor_points(geoms)
        area = frame.geometry.to_crs(settings.area_crs).area.to_numpy()
        return gpd.GeoDataFrame(
            {"x": xy[:, 0], "y": xy[:, 1], "area": area}, geometry=geoms.to_numpy(), crs=frame.crs
        )

    params = {"tolerance": tol, "version": _PREPARED_VERSION}
    shaped = _cache.cached("map-shapes", _inputs(frame, []), params, build)
    geoms = gpd.GeoSeries(shaped.geometry.to_numpy(), index=frame.index, crs=frame.crs)
    return geoms, shaped[["x", "y"]].to_numpy(dtype=float), shaped["area"].to_numpy(dtype=float)


def _framing(frame: gpd.GeoDataFrame, geoms: gpd.GeoSeries, pref_key: str | None) -> dict:
    """Return the opening view, the island jump list and the prefecture lines, cached.

    Returns
    -------
    dict
        ``bounds``, ``views`` (see :func:`_views`) and ``prefLines`` (encoded; empty without
        ``pref_key``).
    """
    from regionlib.data import _cache

    def build() -> dict:
        bounds, views = _views(frame, geoms)
        lines: list[str] = []
        if pref_key is not None:
            linework, _ = _group_lines(geoms, frame[pref_key].astype(str))
            lines = encode_lines(linework, precision=_PRECISION)
        return {"bounds": bounds, "views": views, "prefLines": lines}

    columns = [c for c in ("name", pref_key) if c is not None and c in frame.columns]
    frame_for_key = frame.set_geometry(geoms.to_numpy(), crs=frame.crs)
    params = {"pref_key": pref_key, "version": _PREPARED_VERSION}
    return _cache.cached_json("map-views", _inputs(frame_for_key, columns), params, build)


def _group_lines(
    geoms: gpd.GeoSeries, keys: pd.Series, *, inner: bool = False
) -> tuple[shapely.Geometry, dict]:
    """Outline of each group (dissolved coverage) as one deduplicated linework, and the unions.

    With ``inner``, only the borders between groups: the coastline and the edge of the mapped
    area are left to the choropleth, so that bold region borders do not turn islands into blots.
    """
    unions = {}
    for key, idx in keys.groupby(keys, sort=True).groups.items():
        unions[key] = shapely.coverage_union_all(geoms.loc[idx].to_numpy())
    boundaries = shapely.boundary(np.array(list(unions.values()), dtype=object))
    # union nodes the shared borders so each is stored once
    lines = shapely.union_all(boundaries)
    if inner:
        outer = shapely.boundary(shapely.coverage_union_all(geoms.to_numpy()))
        lines = shapely.line_merge(shapely.difference(lines, outer))
    return lines, unions


def _legend_html(meta, classes, decimals: int, n_missing: int, pref_borders: bool) -> str:
    e = html.escape
    parts = [f'<div class="rl-lt">{e(meta.title)}</div>']
    sub = [f"{meta.year}年" if meta.year and meta.year[:1].isdigit() else meta.year]
    sub.append(f"{SCHEMES.get(classes.scheme, CENTRED_LABEL)}・{len(classes.upper)}階級")
    parts.append(f'<div class="rl-sub">{e("　".join(s for s in sub if s))}</div>')
    lower = classes.lower
    for color, upper, count in zip(classes.colors, classes.upper, classes.counts, strict=True):
        text = f"{fmt(lower, decimals)} – {fmt(upper, decimals)}"
        parts.append(
            f'<div class="rl-row"><span class="rl-sw" style="background:{color}"></span>'
            f'{e(text)} <span class="rl-n">({count:,})</span></div>'
        )
        lower = upper
    if n_missing:  # the very pattern the map fills missing values with
        parts.append(
            '<div class="rl-row"><svg class="rl-sw rl-na"><rect width="100%" height="100%" '
            'fill="url(#rl-hatch)"/></svg>'
            f'{MISSING_LABEL} <span class="rl-n">({n_missing:,})</span></div>'
        )
    if pref_borders:
        parts.append('<div class="rl-row rl-pref"><span class="rl-line"></span>都道府県界</div>')
    return "".join(parts)


def _new_map(online: bool, tiles: str | None) -> folium.Map:
    m = folium.Map(location=[36.5, 137.0], zoom_start=5, tiles=None)
    # regionlib maps need Leaflet only (no jQuery/Bootstrap/awesome-markers from CDNs)
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    if tiles is None and online:
        tiles = "OpenStreetMap"
    if tiles is not None:
        folium.TileLayer(tiles, name="背景地図", control=False, opacity=0.6).add_to(m)
    return m


def choropleth(
    gdf: gpd.GeoDataFrame,
    columns: str | Sequence[str],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    palette: str | Mapping[str, str] | None = None,
    label: str | Mapping[str, str] | None = None,
    unit: str | Mapping[str, str] | None = None,
    year: str | Mapping[str, str] | None = None,
    credits: Sequence[str] | None = None,
    title: str | None = None,
    prefecture_borders: bool = True,
    regions: pd.Series | None = None,
    focus: str | None = None,
    peers: Sequence[str] | None = None,
    tolerance: float | None = None,
    tiles: str | None = None,
    online: bool = False,
) -> folium.Map:
    """Draw one or more value columns of municipalities as a choropleth.

    Parameters
    ----------
    gdf
        Municipalities: index ``code``, optional ``prefecture``/``name``/``pref_code`` columns,
        the value columns and polygon geometry. Not modified.
    columns
        One column name or several; several are switched with a layer control and share one
        copy of the geometry.
    scheme
        Class breaks: ``quantiles``, ``natural_breaks`` (Fisher-Jenks), ``equal_interval``,
        ``std_mean`` (mean ± standard deviations) or ``user_defined`` (with ``bins``).
    k
        Number of classes.
    bins
        Upper class bounds for ``user_defined`` (one list, or a list per column).
    palette
        Colour-blind-safe palette (``YlGnBu`` default, ``Blues``, ``viridis``, … or diverging
        ``RdBu``, ``PuOr``, ``BrBG``, ``PRGn``; ``_r`` reverses), or one per column. A change
        (``aging_rate@2015-2020``, or a column named ``…change…``) with values of both signs
        is classed on each side of 0 with a diverging palette unless a palette or bins are
        given, as print maps do (:func:`regionlib._mapstyle.change_centre`). Values flagged
        in ``gdf.attrs["flags"]`` show the reason in their tooltip.
    label, unit, year
        Legend metadata; default from ``regionlib.indicators.info(column)`` when the column is
        a catalogue indicator, else the column name. A string applies to a single column; pass
        a mapping for several.
    credits
        Credit lines added to the boundaries credit and the indicators' credits.
    title
        Title box in the top left corner.
    prefecture_borders
        Draw prefecture borders on top (needs ``pref_code`` or ``prefecture``).
    regions
        Labels of regions per code: outlines and names are overlaid (see
        :func:`add_region_outlines`).
    focus, peers
        A municipality code and the codes of its peers to outline (see :func:`add_peers`).
    tolerance
        Simplification tolerance in degrees (default: from the extent).
    tiles
        A background tile layer (folium name or xyzservices provider); default none, or
        ``OpenStreetMap`` when ``online``. Tiles are fetched from the internet.
    online
        Build for online use (adds default tiles); pass the same to :func:`save_html`.

    Returns
    -------
    folium.Map
        The map; save it with :func:`save_html`.

    Raises
    ------
    UnknownNameError
        A column, scheme or palette is not known.
    DataFormatError
        No geometry, no CRS, duplicate codes, or a column without numeric values.
    """
    cols = _as_list(columns)
    if not cols:
        raise RegionlibError(
            "地図にする列を 1 つ以上指定してください / name at least one column to map"
        )
    frame = _check_frame(gdf, cols)
    flags = dict(gdf.attrs.get("flags", {}))
    pref_key = next((c for c in ("pref_code", "prefecture") if c in frame.columns), None)
    if prefecture_borders and pref_key is None:
        log(
            "map: no pref_code/prefecture column, so no prefecture borders",
            ja="地図: pref_code/prefecture 列がないため、都道府県境は描きません",
        )
    geoms, anchor_xy, areas = _shapes(frame, tolerance)
    framing = _framing(frame, geoms, pref_key if prefecture_borders else None)
    prefs, names = names_of(frame)
    layers = []
    for col in cols:
        meta = column_meta(
            col,
            label=_per_column(label, col, len(cols)),
            unit=_per_column(unit, col, len(cols)),
            year=_per_column(year, col, len(cols)),
        )
        col_bins = bins.get(col) if isinstance(bins, Mapping) else bins
        col_palette = palette.get(col) if isinstance(palette, Mapping) else palette
        values = pd.to_numeric(frame[col], errors="coerce").astype(float)
        values = values.where(np.isfinite(values))
        centre = change_centre(col, palette=col_palette, bins=col_bins)
        classes = classify(
            frame[col], scheme=scheme, k=k, bins=col_bins, palette=col_palette, centre=centre
        )
        flagged = flags.get(col, {})
        positions = {code: i for i, code in enumerate(frame.index.astype(str))}
        n_missing = int(values.isna().sum())
        if n_missing:
            log(
                f"map {col}: {n_missing} municipalities have no value (drawn grey)",
                ja=f"地図 {col}: 値のない {n_missing} 市区町村は灰色で描きます",
            )
        decimals = decimals_for(values.to_numpy())
        rank = values.rank(ascending=False, method="min")
        layers.append(
            {
                "title": meta.title,
                "label": meta.label,
                "unit": meta.unit,
                "year": meta.year,
                "colors": classes.colors,
                "cls": classes.cls.tolist(),
                "vals": [fmt(v, decimals) for v in values],
                "rank": [int(r) if np.isfinite(r) else 0 for r in rank],
                "n": int(values.notna().sum()),
                "flags": {positions[c]: r for c, r in flagged.items() if c in positions},
                "legend": _legend_html(meta, classes, decimals, n_missing, prefecture_borders),
            }
        )
    bounds, views = framing["bounds"], framing["views"]
    local = len(frame) <= 400 and (pref_key is None or frame[pref_key].nunique() <= 2)
    payload = {
        "precision": _PRECISION,
        "prefs": prefs,
        "names": names,
        "geoms": encode_polygons(geoms.to_numpy(), precision=_PRECISION),
        "prefLines": framing["prefLines"],
        "layers": layers,
        "missing": MISSING_COLOR,
        "line": "#ffffff",
        "bounds": bounds,
        "views": views,
        "land": _land_grid(geoms, bounds),
        "labels": _name_labels(frame, anchor_xy, areas),
        # names show from the zoom that shows a prefecture (the opening zoom of a local map)
        "labelZoom": None if local else 8,
        "title": html.escape(title) if title else "",
        "credits": [html.escape(c) for c in credit_lines(cols, list(credits or []))],
        "leafletPrefix": '<a href="https://leafletjs.com">Leaflet</a>',
    }
    if regions is not None:  # the region name in every tooltip
        names_by_code = pd.Series(regions)
        names_by_code.index = names_by_code.index.astype(str)
        payload["regions"] = [
            "" if pd.isna(v) else str(v) for v in names_by_code.reindex(frame.index)
        ]
    m = _new_map(online, tiles)
    _Call("choropleth", payload).add_to(m)
    # the overlays reuse the simplified geometry: simplifying once keeps borders identical
    if regions is not None:
        _add_region_outlines(m, frame, geoms, regions)
    if focus is not None:
        _add_peers(m, frame, geoms, focus, peers or [])
    return m


def choropleth_years(
    gdf: gpd.GeoDataFrame,
    indicator: str,
    years: Sequence[int],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str | None = None,
    **kwargs,
) -> folium.Map:
    """Draw one indicator over several years, with a year switcher and one shared class scheme.

    The class breaks are computed once from the values of every year together, so a colour
    means the same value in every year; the layer control switches years.

    Parameters
    ----------
    gdf
        Municipalities with the columns ``INDICATOR@YEAR`` (for example
        ``load_table(["aging_rate@2015", "aging_rate@2020"])``).
    indicator
        Catalogue name (or label).
    years
        The years to show, in order.
    scheme, k, palette
        As in :func:`choropleth`, applied to the pooled values.
    **kwargs
        Passed on to :func:`choropleth`.

    Returns
    -------
    folium.Map
        The map.
    """
    frame = _check_frame(gdf, [])
    name, cols, _, shared = pooled_classes(
        frame, indicator, years, scheme=scheme, k=k, palette=palette
    )
    bins = {c: list(shared.upper) for c in cols}
    log(
        f"map {name}: {len(cols)} years on one class scheme ({SCHEMES[shared.scheme]})",
        ja=f"地図 {name}: {len(cols)} 年分を同じ階級区分（{SCHEMES[shared.scheme]}）で塗ります",
    )
    return choropleth(gdf, cols, scheme="user_defined", bins=bins, palette=palette, **kwargs)


def add_region_outlines(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    name: str = "広域圏の境界",
    tolerance: float | None = None,
    color: str = "#000000",
    weight: float = 2.2,
    label_style: str = "",
) -> folium.Map:
    """Overlay the outlines and names of regions (groups of municipalities).

    Parameters
    ----------
    m
        A map from :func:`choropleth` (it is modified and returned).
    gdf
        The municipalities drawn on the map (same simplification is applied).
    labels
        Region label per municipality code; codes without a label are left out.
    name
        Name of the overlay in the layer control.
    tolerance
        Simplification tolerance, as given to :func:`choropleth`.
    color
        Outline colour.
    weight
        Outline width in pixels.
    label_style
        CSS for the region names, e.g. ``"color:#c0392b;font-size:15px"``. Names of all the
        outline layers of a map never overlap: where they would, the layer with fewer regions
        keeps its name, and the others appear as the reader zooms in.

    Returns
    -------
    folium.Map
        ``m``.
    """
    frame = _check_frame(gdf, [])
    return _add_region_outlines(
        m,
        frame,
        _shapes(frame, tolerance)[0],
        labels,
        name=name,
        color=color,
        weight=weight,
        label_style=label_style,
    )


def _add_region_outlines(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    geoms: gpd.GeoSeries,
    labels: pd.Series,
    *,
    name: str = "広域圏の境界",
    color: str = "#000000",
    weight: float = 2.2,
    label_style: str = "",
) -> folium.Map:
    """:func:`add_region_outlines` on geometry already simplified for display."""
    from regionlib.data import _cache

    labels = pd.Series(labels)
    labels.index = labels.index.astype(str)
    common = frame.index.intersection(labels.dropna().index)
    if len(common) == 0:
        raise DataFormatError(
            "地域のラベルに地図の市区町村と共通のコードがありません / "
            "region labels share no code with the map's municipalities"
        )
    if len(common) < len(frame):
        log(
            f"region outlines: {len(frame) - len(common)} municipalities have no region label",
            ja=f"地域の輪郭: {len(frame) - len(common)} 市区町村に地域のラベルがありません",
        )
    geoms = geoms.loc[common]
    region = labels.loc[common].astype(str)
    members = frame.loc[common]
    population = _labels.population(members)  # may read the table: once, for key and build

    def build() -> dict:
        lines, unions = _group_lines(geoms, region, inner=True)
        # each name once, in its region's core (the most populous town, 東京圏 on the 23 wards)
        cores = _labels.region_cores(members, region, geoms.to_numpy())
        size = population.groupby(region.to_numpy()).sum(min_count=1)
        label_points = []
        for key, union in unions.items():
            pts = _labels.anchors(cores.get(str(key), union), tolerance=0.001)
            pt = pts[0] if pts else shapely.point_on_surface(union)
            pop = size.get(key, np.nan)
            rank = (-float(pop) if pd.notna(pop) else 0.0, -float(shapely.area(union)))
            label_points.append((rank, str(key), round(pt.y, 4), round(pt.x, 4)))
        # most populous regions first: where labels collide on screen, the map keeps the
        # earlier one
        return {
            "lines": encode_lines(lines, precision=_PRECISION),
            "labels": [list(p[1:]) for p in sorted(label_points)],
        }

    # the dissolve and the name placement take about 60 ms for a prefecture: cached, keyed by
    # the display shapes, the names, the regions and the populations
    keyed = pd.DataFrame(
        {
            "name": members["name"].astype(str) if "name" in members else members.index,
            "region": region.to_numpy(),
            "population": population.to_numpy(),
        },
        index=members.index,
    )
    keyed = gpd.GeoDataFrame(keyed, geometry=geoms.to_numpy(), crs=frame.crs)
    params = {"precision": _PRECISION, "version": _PREPARED_VERSION}
    parts = _cache.cached_json(
        "map-outlines", _inputs(keyed, ["name", "region", "population"]), params, build
    )
    payload = {
        "precision": _PRECISION,
        "lines": parts["lines"],
        "labels": parts["labels"],
        "name": name,
        "color": color,
        "weight": weight,
        "dash": None,
        "labelClass": "",
        "labelStyle": label_style,
        "legend": True,
    }
    _Call("outlines", payload).add_to(m)
    return m


def add_peers(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    code: str,
    peers: Sequence[str],
    *,
    tolerance: float | None = None,
) -> folium.Map:
    """Outline one municipality (thick black) and its peers (dark blue, with names).

    Parameters
    ----------
    m
        A map from :func:`choropleth` (it is modified and returned).
    gdf
        The municipalities drawn on the map.
    code
        Code of the municipality in focus.
    peers
        Codes of its peers (similar municipalities).
    tolerance
        Simplification tolerance, as given to :func:`choropleth`.

    Returns
    -------
    folium.Map
        ``m``.
    """
    frame = _check_frame(gdf, [])
    return _add_peers(m, frame, _shapes(frame, tolerance)[0], code, peers)


def _add_peers(
    m: folium.Map, frame: gpd.GeoDataFrame, geoms: gpd.GeoSeries, code: str, peers: Sequence[str]
) -> folium.Map:
    """:func:`add_peers` on geometry already simplified for display."""
    wanted = [str(code), *[str(p) for p in peers]]
    missing = [c for c in wanted if c not in frame.index]
    if missing:
        raise UnknownNameError(
            f"地図にないコード: {missing} / codes not on the map: {missing}"
            + suggest(missing[0], frame.index.astype(str))
        )
    _, names = names_of(frame)
    name_of = dict(zip(frame.index, names, strict=True))
    for codes, label, color, weight, dash, cls in (
        ([wanted[0]], f"{name_of[wanted[0]]}", "#000000", 3.5, None, ""),
        (wanted[1:], f"{name_of[wanted[0]]}の類似市区町村", "#08306b", 2.5, "6 4", "rl-peer"),
    ):
        if not codes:
            continue
        sub = geoms.loc[codes]
        pts = shapely.point_on_surface(sub.to_numpy())
        payload = {
            "precision": _PRECISION,
            "lines": encode_lines(shapely.union_all(sub.boundary.to_numpy()), precision=_PRECISION),
            "labels": [
                [name_of[c], round(p.y, 4), round(p.x, 4)] for c, p in zip(codes, pts, strict=True)
            ],
            "name": label,
            "color": color,
            "weight": weight,
            "dash": dash,
            "labelClass": cls,
        }
        _Call("outlines", payload).add_to(m)
    return m


#: Outline colour, width and name size of the levels on the map, from the coarsest down (greys,
#: readable on every palette of the choropleth beneath): the coarsest level is drawn boldest,
#: and its names win where names of two levels would overlap.
_LEVEL_STYLES = (
    ("#111111", 3.8, 15),
    ("#3d3d3d", 2.0, 12),
    ("#6b6b6b", 1.0, 11),
    ("#8a8a8a", 0.8, 10),
    ("#a0a0a0", 0.6, 10),
)


def _require_geometry(table: pd.DataFrame) -> None:
    """Refuse a proposal whose table was loaded without boundaries."""
    if "geometry" not in table:
        raise RegionlibError(
            "提案の表に境界がありません。境界付きで読み込んでください / "
            "the proposal's table has no geometry: load it with geometry"
        )


def proposal_map(proposal, *, online: bool = False) -> folium.Map:
    """Return a map of a region proposal's indicators with the region outlines and names.

    Parameters
    ----------
    proposal
        A :class:`regionlib.proposals.Proposal` (from ``propose_regions``).
    online
        Add background tiles (needs internet when the page is opened).

    Returns
    -------
    folium.Map
        Save it with :func:`save_html`.
    """
    _require_geometry(proposal.table)
    return choropleth(
        proposal.table,
        proposal.columns,
        regions=proposal.region_names,
        title=proposal.title,
        online=online,
        credits=credit_lines(proposal.columns, datasets=proposal.datasets),
    )


def nested_map(result, *, online: bool = False) -> folium.Map:
    """Return a map of the first indicator with one outline layer per level of a nested proposal.

    Parameters
    ----------
    result
        A :class:`regionlib.nested.NestedProposal` (from ``propose_levels``).
    online
        Add background tiles (needs internet when the page is opened).

    Returns
    -------
    folium.Map
        The coarsest level is drawn boldest and its names win where names overlap.
    """
    _require_geometry(result.table)
    m = choropleth(
        result.table,
        result.columns,
        title=result.title,
        online=online,
        credits=credit_lines(result.columns, datasets=result.datasets),
    )
    depth = len(result.levels)
    for k, level in enumerate(result.levels):
        color, weight, size = _LEVEL_STYLES[min(depth - 1 - k, len(_LEVEL_STYLES) - 1)]
        add_region_outlines(
            m,
            result.table,
            result.labels[level.spec],
            name=f"第{k + 1}階層: {level.label}",
            color=color,
            weight=weight,
            label_style=f"color:{color};font-size:{size}px",
        )
    return m


def show(m: folium.Map, *, height: int = 520):
    """Display a map inside a notebook from its offline HTML (no CDN, no tiles needed).

    ``folium.Map`` displays itself by loading Leaflet from the internet; this embeds the
    offline document of :func:`to_html` instead, so the map also appears in exported notebook
    HTML and on machines without internet.

    Parameters
    ----------
    m
        A map from :func:`choropleth`.
    height
        Height of the frame in pixels.

    Returns
    -------
    IPython.display.HTML
        The frame to display (the last expression of a cell).
    """
    from IPython.display import HTML

    doc = html.escape(to_html(m, offline=True), quote=True)
    style = f"width:100%;height:{int(height)}px;border:1px solid #ccc"
    # wrapped in a <div>: IPython warns about HTML that starts with an <iframe>
    return HTML(f'<div><iframe srcdoc="{doc}" style="{style}"></iframe></div>')


def to_html(m: folium.Map, *, offline: bool = True) -> str:
    """Render a map as one HTML document.

    Parameters
    ----------
    m
        The map.
    offline
        Inline Leaflet so the page makes no network request (default). ``False`` keeps
        folium's CDN links.

    Returns
    -------
    str
        The document.
    """
    text = m.get_root().render()
    if offline:
        text = make_offline(text)
        if "L.tileLayer(" in text:
            log(
                "offline map: it has a tile layer, which loads from the internet when opened",
                ja="オフライン地図: 背景地図のタイルは開くときにインターネットから読み込みます",
            )
    return stable_ids(text)


def save_html(m: folium.Map, path: str | Path, *, offline: bool = True) -> Path:
    """Write a map as a single HTML file that opens anywhere.

    Parameters
    ----------
    m
        The map (from :func:`choropleth` or any folium map using only Leaflet).
    path
        Output file (``.html``).
    offline
        Inline Leaflet's JS/CSS (default): the file makes no network request when opened.
        ``False`` links them from CDNs (smaller, needs internet).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise RegionlibError(
            f"{path}: ウェブ地図は .html で保存してください / {path}: a web map is saved as .html"
        )
    text = to_html(m, offline=offline)
    write_text(path, text, what="map")
    log(
        f"map saved: {path} ({(mb := path.stat().st_size / 1e6):.2f} MB{', offline' if offline else ''})",
        ja=f"地図を保存しました: {path}（{mb:.2f} MB{'、オフライン用' if offline else ''}）",
    )
    return path
