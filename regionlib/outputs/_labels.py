"""Where map names go: one labelling rule for print and web maps.

Print maps (:mod:`regionlib.outputs.printmaps`) and web maps (:mod:`regionlib.outputs.maps`)
name municipalities and regions the same way:

- **priority**: every 市 and every special ward (特別区) before towns and villages, and within
  each group the most populous first (the area when no population is known), so that the
  big towns are never the ones left out;
- **anchors**: a name sits inside its polygon, at the point farthest from the border
  (``shapely.ops.polylabel``, the pole of inaccessibility of the largest part), else at
  ``point_on_surface``, else at the centroid when it lies inside;
- **collisions** (:func:`place`): each name tries its anchors, then positions around the
  polygon joined to it by a leader line, and is dropped only when none is free; a name that
  must show (a 市, an inset municipality) is placed at its least crowded position rather
  than dropped.

Web maps pass the same priority and anchors to the page, whose runtime hides a name that
would overlap an earlier one at the current zoom.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from shapely.ops import polylabel

__all__ = [
    "Item",
    "Placement",
    "anchors",
    "is_city",
    "place",
    "population",
    "priority",
    "region_cores",
]

from regionlib.data.codes import SPECIAL_WARDS


def is_city(codes: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Whether each municipality is a 市 or a special ward (names that must show on a map).

    Parameters
    ----------
    codes
        5-digit municipality codes.
    names
        Their names.

    Returns
    -------
    numpy.ndarray
        Boolean per municipality.
    """
    return np.array(
        [
            str(n).endswith("市") or str(c) in SPECIAL_WARDS
            for c, n in zip(codes, names, strict=True)
        ],
        dtype=bool,
    )


def population(frame: pd.DataFrame) -> pd.Series:
    """Return the population per code: a population column, else the 2020 census when found."""
    from regionlib.data import indicators

    column = indicators.population_column(frame)
    if column is not None:
        return pd.to_numeric(frame[column], errors="coerce")
    codes = pd.Index(frame.index.astype(str))
    if not codes.str.fullmatch(r"\d{5}").all():
        return pd.Series(np.nan, index=frame.index)
    from regionlib.data import table

    try:  # the cached national table: reading the raw file took half a second per map
        values = table.load_table(["population_2020"], geometry=False)["population_2020"]
    except Exception:  # no data at hand: areas decide the order
        return pd.Series(np.nan, index=frame.index)
    return pd.Series(values.reindex(codes).to_numpy(dtype=float), index=frame.index)


def priority(frame: pd.DataFrame, areas: Sequence[float] | None = None) -> np.ndarray:
    """Return the order in which municipalities get their names: 市 first, then by size.

    Parameters
    ----------
    frame
        Municipalities (index: codes) with a ``name`` column; a population column
        (``population``, ``population_2020`` …) when present, else the 2020 census population
        is read when the data are at hand.
    areas
        Area per row, to order municipalities without a population.

    Returns
    -------
    numpy.ndarray
        Row positions, the first to be named first.
    """
    codes = frame.index.astype(str)
    names = frame["name"].astype(str) if "name" in frame else pd.Series(codes, index=frame.index)
    city = is_city(codes, names)
    pop = population(frame).to_numpy(dtype=float)
    area = np.zeros(len(frame)) if areas is None else np.asarray(areas, dtype=float)
    size = np.where(np.isfinite(pop), pop, -1.0)
    # 市 first; the most populous first; area breaks ties (and orders those without data)
    return np.lexsort((-area, -size, ~city))


def region_cores(
    frame: pd.DataFrame, labels: pd.Series, geoms: Sequence[shapely.Geometry]
) -> dict[str, shapely.Geometry]:
    """Return the core of each region, where its name goes: its most populous town.

    The 23 special wards count as one town, as when regions are named
    (:func:`regionlib.regions.town_units`): the name of 東京圏 sits on the wards.

    Parameters
    ----------
    frame
        Municipalities (index: codes) with ``name``; population as for :func:`priority`.
    labels
        Region name per code (NaN: no region).
    geoms
        Geometry per row of ``frame``, in the units the names are placed in.

    Returns
    -------
    dict
        Region name -> the union of its core town's polygons.
    """
    from regionlib.analysis.regions import town_units  # not at import: it loads scipy

    codes = frame.index.astype(str)
    names = frame["name"].astype(str) if "name" in frame else pd.Series(codes, index=frame.index)
    labels = pd.Series(labels.to_numpy(), index=codes)
    units = town_units(
        labels, pd.Series(names.to_numpy(), index=codes), population(frame).set_axis(codes)
    )
    if units.empty:
        return {}
    first = units.groupby("region", sort=False).head(1)
    pos = {c: i for i, c in enumerate(codes)}
    geoms = list(geoms)
    return {
        str(row.region): shapely.union_all([geoms[pos[c]] for c in row.members])
        for row in first.itertuples()
    }


def anchors(geom: shapely.Geometry, *, tolerance: float | None = None) -> list[shapely.Point]:
    """Candidate points for a name inside a polygon, best first.

    The pole of inaccessibility of the largest part (the point farthest from its border),
    then ``point_on_surface`` of that part, then the centroid of the whole when it lies inside.

    Parameters
    ----------
    geom
        A polygon or multipolygon.
    tolerance
        Precision of the pole, in the units of ``geom``; default 1/200 of the part's size.

    Returns
    -------
    list of shapely.Point
        Distinct points inside the geometry.
    """
    if geom is None or geom.is_empty:
        return []
    parts = shapely.get_parts(geom)
    part = parts[int(np.argmax(shapely.area(parts)))]
    minx, miny, maxx, maxy = part.bounds
    tol = tolerance or max(maxx - minx, maxy - miny, 1e-9) / 200
    out = []
    with contextlib.suppress(Exception):  # degenerate rings: the other anchors remain
        out.append(polylabel(part, tolerance=tol))
    out.append(shapely.point_on_surface(part))
    centroid = geom.centroid
    if geom.contains(centroid):
        out.append(centroid)
    unique: list[shapely.Point] = []
    for p in out:
        if p is not None and not p.is_empty and all(p.distance(q) > tol for q in unique):
            unique.append(p)
    return unique


@dataclass
class Item:
    """A name to place, in display units (points or pixels).

    Attributes
    ----------
    key
        The municipality or region it names.
    size
        Width and height of the text.
    anchors
        Candidate centres inside the polygon, best first.
    shape
        The polygon in display units (``None``: fits are not checked).
    must
        Place it even where every position is crowded (a 市, an inset municipality).
    leader
        Try positions outside the polygon with a leader line.
    """

    key: str
    size: tuple[float, float]
    anchors: list[tuple[float, float]]
    shape: shapely.Geometry | None = None
    must: bool = False
    leader: bool = True


@dataclass
class Placement:
    """Where a name went: its centre, and the anchor its leader line starts from (if any)."""

    key: str
    x: float
    y: float
    leader_from: tuple[float, float] | None = None
    crowded: bool = False
    extra: dict = field(default_factory=dict)


_FIT = 0.7  # a name inside its polygon covers at least this share of its box with it
_DIRECTIONS = 16


def _box(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2])


class _Boxes:
    """Placed boxes, grown as names are placed, tested against a candidate at numpy speed."""

    def __init__(self, boxes: Sequence[Sequence[float]] = ()) -> None:
        self.arr = np.asarray(list(boxes), dtype=float).reshape(-1, 4)

    def add(self, box: np.ndarray) -> None:
        self.arr = np.vstack([self.arr, box])

    def overlap(self, box: np.ndarray) -> float:
        """Total area of overlap between ``box`` and the placed boxes."""
        if not len(self.arr):
            return 0.0
        w = np.minimum(self.arr[:, 2], box[2]) - np.maximum(self.arr[:, 0], box[0])
        h = np.minimum(self.arr[:, 3], box[3]) - np.maximum(self.arr[:, 1], box[1])
        return float((np.clip(w, 0, None) * np.clip(h, 0, None)).sum())


def _inside(box: np.ndarray, bounds: Sequence[float] | None) -> bool:
    if bounds is None:
        return True
    return (
        bounds[0] <= box[0] and bounds[1] <= box[1] and box[2] <= bounds[2] and box[3] <= bounds[3]
    )


def _fits(box: np.ndarray, shape: shapely.Geometry | None) -> bool:
    if shape is None:
        return True
    b = shapely.box(*box)
    return shape.intersection(b).area >= _FIT * b.area


def _around(item: Item, x: float, y: float) -> list[tuple[float, float]]:
    """Positions around an anchor at growing distances, right and left first (read well)."""
    w, h = item.size
    out = []
    angles = sorted(
        (2 * math.pi * k / _DIRECTIONS for k in range(_DIRECTIONS)),
        key=lambda a: (abs(math.sin(a)), a),
    )
    for step in (1.0, 1.8, 2.8, 4.0):
        for a in angles:
            dx, dy = math.cos(a), math.sin(a)
            # from the anchor to the nearest edge of the box, then a gap of step * height
            reach = min(
                (w / 2) / abs(dx) if abs(dx) > 1e-9 else math.inf,
                (h / 2) / abs(dy) if abs(dy) > 1e-9 else math.inf,
            )
            d = reach + step * h
            out.append((x + d * dx, y + d * dy))
    return out


def place(
    items: Sequence[Item],
    *,
    obstacles: Sequence[Sequence[float]] = (),
    bounds: Sequence[float] | None = None,
) -> list[Placement]:
    """Place names in priority order without overlaps.

    Each name tries its anchors (where it fits in its polygon), then — for a name that must
    show — its anchors even where it spills over its border, then positions around its
    polygon with a leader line (when allowed). A name that must show and finds no free
    position goes where it overlaps least, marked ``crowded``; any other is dropped.

    Parameters
    ----------
    items
        The names, in priority order (see :func:`priority`).
    obstacles
        Boxes ``(x0, y0, x1, y1)`` no name may cover (legend, insets).
    bounds
        The box every name must stay inside (the map frame).

    Returns
    -------
    list of Placement
        One per name placed, in the order of ``items``.
    """
    placed = _Boxes()
    blocked = _Boxes(obstacles)
    out: list[Placement] = []
    for item in items:
        w, h = item.size
        found: Placement | None = None
        tries: list[tuple[float, float, tuple[float, float] | None, bool]] = [
            (x, y, None, True) for x, y in item.anchors
        ]
        if item.must:
            tries += [(x, y, None, False) for x, y in item.anchors]
        if item.leader and item.anchors:
            ax, ay = item.anchors[0]
            tries += [(x, y, (ax, ay), False) for x, y in _around(item, ax, ay)]
        best, best_cost = None, math.inf
        for x, y, origin, need_fit in tries:
            box = _box(x, y, w, h)
            if not _inside(box, bounds):
                continue
            cost = placed.overlap(box) + blocked.overlap(box)
            if cost == 0 and (not need_fit or _fits(box, item.shape)):
                found = Placement(item.key, x, y, origin)
                break
            if cost < best_cost:
                best, best_cost = Placement(item.key, x, y, origin, crowded=True), cost
        if found is None and item.must:
            found = best
            if found is None and item.anchors:  # outside the frame everywhere: at its anchor
                x, y = item.anchors[0]
                found = Placement(item.key, x, y, None, crowded=True)
        if found is not None:
            placed.add(_box(found.x, found.y, w, h))
            out.append(found)
    return out
