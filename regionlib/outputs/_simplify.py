"""Display geometry: one topology-preserving simplification of a coverage, and a compact encoding.

Maps draw every municipality; the borders two neighbours share must be simplified once, the
same way on both sides, or the map shows slivers and gaps. :func:`simplify_coverage` runs
``shapely.coverage_simplify`` (GEOS coverage simplifier, shapely >= 2.1) on the whole layer.

:func:`encode_polygons` and :func:`encode_lines` quantise coordinates and write each ring as an
encoded polyline string (the Google "encoded polyline" format: zig-zag varints of coordinate
deltas in printable ASCII). Folium's ``GeoJson`` writes every coordinate as a full-precision
decimal number, per layer; this encoding is about five times smaller and is decoded by a dozen
lines of JavaScript in the page. Written here with numpy because no installed library encodes
whole layers vectorised (a per-vertex Python loop over 200,000 vertices costs about a second).
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["auto_tolerance", "encode_lines", "encode_polygons", "simplify_coverage"]


def auto_tolerance(bounds: tuple[float, float, float, float]) -> float:
    """Return a simplification tolerance in degrees suited to a map of ``bounds``.

    About 1/4000 of the larger side of the extent, clamped to [0.0002, 0.004] degrees
    (roughly 20-400 m): invisible at the zoom the map opens with, visible only far in.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in degrees.

    Returns
    -------
    float
        Tolerance in degrees.
    """
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, maxy - miny)
    return float(np.clip(span / 4000.0, 0.0002, 0.004))


def simplify_coverage(geometries: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a polygon coverage once, keeping shared borders shared.

    Parameters
    ----------
    geometries
        Array of Polygon/MultiPolygon geometries that do not overlap.
    tolerance
        Simplification tolerance in the units of the coordinates; 0 returns the input.

    Returns
    -------
    numpy.ndarray
        Simplified geometries, same length and order. Parts that the simplifier collapsed are
        replaced by the original geometry so that no municipality disappears.
    """
    geometries = np.asarray(geometries, dtype=object)
    if tolerance <= 0 or len(geometries) == 0:
        return geometries.copy()
    out = shapely.coverage_simplify(geometries, tolerance)
    lost = shapely.is_empty(out) | ~shapely.is_valid(out)
    out[lost] = geometries[lost]
    return out


def _zigzag_chars(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode int64 ``values`` as polyline chars; return (uint8 chars, chars per value)."""
    v = values.astype(np.int64)
    z = np.where(v < 0, ~(v << 1), v << 1)
    # at most 7 five-bit chunks for |v| < 2**34
    shifts = np.arange(7) * 5
    chunks = (z[:, None] >> shifts[None, :]) & 31
    rest = z[:, None] >> shifts[None, :]
    used = rest > 0
    used[:, 0] = True
    more = np.zeros_like(used)
    more[:, :-1] = used[:, 1:]
    chars = (chunks | np.where(more, 0x20, 0)) + 63
    return chars[used].astype(np.uint8), used.sum(axis=1)


def _encode_rings(coords: np.ndarray, ring_sizes: np.ndarray, precision: int) -> list[str]:
    """Encode consecutive rings (rows of ``coords``) as polyline strings."""
    if len(ring_sizes) == 0:
        return []
    q = np.round(coords[:, ::-1] * precision).astype(np.int64)  # (lat, lng)
    starts = np.concatenate([[0], np.cumsum(ring_sizes)[:-1]])
    delta = q.copy()
    delta[1:] -= q[:-1]
    delta[starts] = q[starts]  # every ring starts from absolute coordinates
    chars, counts = _zigzag_chars(delta.reshape(-1))
    per_vertex = counts.reshape(-1, 2).sum(axis=1)
    ends = np.cumsum(per_vertex)
    ring_end = ends[np.cumsum(ring_sizes) - 1]
    ring_start = np.concatenate([[0], ring_end[:-1]])
    text = chars.tobytes().decode("ascii")
    return [text[a:b] for a, b in zip(ring_start, ring_end, strict=True)]


def encode_polygons(geometries: np.ndarray, *, precision: int = 10_000) -> list[list[list[str]]]:
    """Encode polygons as nested lists ``[polygon][ring] -> polyline string``.

    Rings lose their closing vertex (Leaflet closes them). Coordinates are (lng, lat) degrees
    rounded to ``1 / precision`` degree.

    Parameters
    ----------
    geometries
        Polygon/MultiPolygon geometries (empty ones give ``[]``).
    precision
        Quantisation: ``10_000`` keeps about 10 m.

    Returns
    -------
    list
        One entry per geometry: a list of polygons, each a list of ring strings (exterior
        first, then holes).
    """
    parts, part_index = shapely.get_parts(np.asarray(geometries, dtype=object), return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of_coord = shapely.get_coordinates(rings, return_index=True)
    sizes = np.bincount(ring_of_coord, minlength=len(rings))
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(sizes) - 1] = False  # drop the closing vertex
    encoded = _encode_rings(coords[keep], sizes - 1, precision)
    out: list[list[list[str]]] = [[] for _ in range(len(geometries))]
    polys: list[list[str]] = [[] for _ in range(len(parts))]
    for ring_text, p in zip(encoded, ring_part, strict=True):
        polys[p].append(ring_text)
    for poly, g in zip(polys, part_index, strict=True):
        if poly:
            out[g].append(poly)
    return out


def encode_lines(geometry: shapely.Geometry, *, precision: int = 10_000) -> list[str]:
    """Encode the lines of ``geometry`` (LineString/MultiLineString/rings) as polyline strings.

    Parameters
    ----------
    geometry
        Any linear geometry, or a geometry collection of them.
    precision
        Quantisation, as in :func:`encode_polygons`.

    Returns
    -------
    list of str
        One string per line.
    """
    lines = shapely.get_parts(shapely.line_merge(geometry) if not geometry.is_empty else geometry)
    lines = lines[np.isin(shapely.get_type_id(lines), [1, 2])]  # LineString, LinearRing
    if len(lines) == 0:
        return []
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    sizes = np.bincount(idx, minlength=len(lines))
    return _encode_rings(coords, sizes, precision)
