"""Which islands a map moves to insets, and how an inset splits into island groups.

Print maps draw far island groups in inset panels (:func:`default_insets`); web maps open on
the main land and offer the same groups in a jump list. One rule for both:

- on a national map (more than five prefectures), 沖縄県 and 小笠原村;
- on a regional map, every group of municipalities more than 15 km from the others whose
  place on the main map would more than double its frame (伊豆諸島 on a 東京都 map, 奄美群島
  on a 鹿児島県 map, 対馬 on a 長崎県 map);
- an inset splits into island groups (parts closer than 100 km on national maps, 60 km on
  regional ones share a panel), and a panel's frame leaves out small uninhabited outliers
  (尖閣諸島, 沖ノ鳥島).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regionlib import settings

_OGASAWARA = "13421"
_GROUP_KM = 100.0  # island parts closer than this share an inset panel (national maps)
_GROUP_KM_REGIONAL = 60.0  # … on maps of a few prefectures (伊豆諸島: 大島–御蔵島, 八丈, 青ヶ島)

#: Names of island groups that regional maps move to insets, by a member's code.
_ARCHIPELAGOS = {
    "13361": "伊豆諸島",
    "13401": "伊豆諸島",
    "46222": "奄美群島",
    "46529": "奄美群島",
    "46530": "奄美群島",
    "46535": "奄美群島",
    "42209": "対馬",
    "47214": "宮古諸島",
    "47207": "八重山諸島",
    "47382": "八重山諸島",
    "47357": "大東諸島",
}
_LAND_GAP_KM = 15.0  # municipalities closer than this count as one piece of land
_FAR_GROWTH = 2.0  # a group that would more than double the main map's frame goes to an inset


def near_groups(geoms: np.ndarray, distance: float) -> np.ndarray:
    """Label the shapes (or points) linked by chains of gaps of at most ``distance``.

    The groups single linkage cut at ``distance`` would give: the connected parts
    (:func:`regionlib.graph.pair_components`, without SciPy's import) of the pairs within
    ``distance`` that shapely's tree finds.

    Parameters
    ----------
    geoms
        Shapely geometries (points for centroids) in a projected CRS.
    distance
        Largest gap, in the CRS's units, inside a group.

    Returns
    -------
    numpy.ndarray
        Group of each shape: 0, 1, … numbered in the order of each group's first shape.
    """
    from regionlib.analysis.graph import pair_components

    geoms = np.asarray(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=distance)
    return pair_components(len(geoms), left, right)


def default_insets(gdf: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Return the insets a map needs, so that far islands do not shrink the main map.

    On a national map (more than five prefectures): 沖縄県 and 小笠原村. On a regional map:
    every group of municipalities more than 15 km from the others whose place on the main map
    would more than double its frame (伊豆諸島 on a 東京都 map, 奄美群島 on a 鹿児島県 map, 対馬
    on a 長崎県 map); nearer islands (壱岐, 五島, 甑島, 隠岐) stay on the main map.

    Parameters
    ----------
    gdf
        The municipalities to draw (index: codes; a projected or geographic CRS).

    Returns
    -------
    dict
        Inset title -> codes drawn in that inset instead of the main map.
    """
    codes = pd.Index(gdf.index.astype(str))
    insets: dict[str, list[str]] = {}
    if codes.str[:2].nunique() > 5:
        okinawa = codes[codes.str.startswith("47")].tolist()
        if okinawa and len(okinawa) < len(codes):
            insets["沖縄県"] = okinawa
        if _OGASAWARA in codes and len(codes) > 1:
            insets["小笠原村"] = [_OGASAWARA]
        return insets
    return _far_groups(gdf)


def _far_groups(gdf: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Find the groups of municipalities (15 km from the rest) that would blow up the frame."""
    if len(gdf) < 2 or not isinstance(gdf, gpd.GeoDataFrame):
        return {}
    geoms = gdf.geometry
    if geoms.crs is not None and geoms.crs.is_geographic:
        geoms = geoms.to_crs(settings.area_crs)
    arr = geoms.to_numpy()
    group = near_groups(arr, _LAND_GAP_KM * 1e3)
    if group.max() == 0:
        return {}
    area = shapely.area(arr)
    main = int(np.bincount(group, weights=area).argmax())

    def frame_area(mask: np.ndarray) -> float:
        minx, miny, maxx, maxy = shapely.total_bounds(arr[mask])
        return max(maxx - minx, 1.0) * max(maxy - miny, 1.0)

    base = frame_area(group == main)
    far = [
        g
        for g in np.unique(group)
        if g != main and frame_area((group == g) | (group == main)) > _FAR_GROWTH * base
    ]
    if not far:
        return {}
    # one inset per island group within 150 km, as national insets are split (_island_groups):
    # the 伊豆諸島 chain is one inset, 小笠原村 another
    frame = gdf.set_geometry(geoms)
    frame = frame.set_axis(frame.index.astype(str))
    far_codes = frame.index[np.isin(group, far)]
    out = {}
    for panel in _island_groups(frame, "", far_codes, group_km=_GROUP_KM_REGIONAL):
        members = frame.index[panel.mask].tolist()
        title = _group_title(frame, members)
        out[title if title not in out else _group_title(frame, members, archipelago=False)] = (
            members
        )
    return out


def _group_title(frame: pd.DataFrame, members: Sequence[str], *, archipelago: bool = True) -> str:
    """Title of an island group: its archipelago's name, else its first municipalities' names."""
    known = list(dict.fromkeys(_ARCHIPELAGOS[c] for c in members if c in _ARCHIPELAGOS))
    if known and archipelago and len(members) > 1:  # one municipality: its own name
        return "・".join(known)
    names = frame.loc[frame.index.astype(str).isin(members), "name"] if "name" in frame else []
    names = list(map(str, names)) or list(members)
    return "・".join(names) if len(names) <= 2 else f"{names[0]}・{names[1]}ほか"


@dataclass
class _Panel:
    """One inset: its title, the rows it draws and the extent it shows (area CRS, metres)."""

    title: str
    mask: np.ndarray
    extent: tuple[float, float, float, float]
    inset: str = ""


_OUTLIER_KM2 = 5.0  # a part smaller than this …
_OUTLIER_KM = 40.0  # … and farther than this from the group's larger parts stays out of frames


def _island_groups(
    frame: gpd.GeoDataFrame, title: str, codes: Sequence[str], *, group_km: float = _GROUP_KM
) -> list[_Panel]:
    """Split an inset into island groups: parts closer than ``group_km`` share a panel.

    A group becomes a panel when it holds the largest part of at least one municipality, so
    every municipality shows at a readable scale; far specks (沖ノ鳥島) stay outside. A panel's
    frame leaves out uninhabited outliers: parts under 5 km² more than 40 km from the group's
    larger parts (尖閣諸島 in the 八重山 panel).
    """
    mask = frame.index.isin(list(codes))
    sub = frame.geometry[mask]
    parts = sub.explode(index_parts=False)
    area = parts.area.to_numpy()
    owner = parts.index.to_numpy()
    if len(parts) == 0:
        return []
    if len(parts) == 1:
        group = np.array([0])
    else:
        group = near_groups(shapely.centroid(parts.to_numpy()), group_km * 1000)
    # a municipality's panel is the group holding most of its land (父島 and 母島 for 小笠原村,
    # not 硫黄島, its largest single island)
    land = pd.DataFrame({"owner": owner, "group": group, "area": area})
    land = land.groupby(["owner", "group"])["area"].sum().reset_index()
    land = land.sort_values(["owner", "area"], ascending=[True, False], kind="stable")
    home = land.drop_duplicates("owner").set_index("owner")["group"]
    keep = sorted(set(home), key=lambda g: -area[group == g].sum())
    arr = parts.to_numpy()
    panels = []
    used: set[str] = set()
    for rank, g in enumerate(keep):
        members = sorted(home.index[home == g])
        in_group = np.flatnonzero(group == g)
        big = in_group[area[in_group] >= _OUTLIER_KM2 * 1e6]
        if len(big):
            near = shapely.distance(arr[in_group][:, None], arr[big][None, :]).min(axis=1)
            in_group = in_group[
                (area[in_group] >= _OUTLIER_KM2 * 1e6) | (near <= _OUTLIER_KM * 1e3)
            ]
        minx, miny, maxx, maxy = shapely.total_bounds(arr[in_group])
        pad = 0.08 * max(maxx - minx, maxy - miny, 5_000.0)
        extent = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        name = _group_title(frame, members) if rank else title
        if name in used:  # 八丈町 after 伊豆諸島: its own names
            name = _group_title(frame, members, archipelago=False)
        used.add(name)
        panels.append(_Panel(name, frame.index.isin(members), extent, inset=title))
    return panels


def island_views(
    gdf: gpd.GeoDataFrame,
) -> tuple[tuple[float, ...], list[tuple[str, tuple[float, ...]]]]:
    """Return the frame of the main land and of each island group, in the CRS of ``gdf``.

    Web maps open on the main land and list the island groups to jump to; the groups are
    the panels print maps draw as insets (:func:`default_insets`, :func:`_island_groups`).

    Parameters
    ----------
    gdf
        The municipalities drawn (index: codes).

    Returns
    -------
    tuple
        ``(minx, miny, maxx, maxy)`` of the main land (every municipality not in an inset),
        and ``(title, bounds)`` per island group, largest first.
    """
    frame = gdf.set_axis(gdf.index.astype(str))
    insets = default_insets(frame)
    in_inset = frame.index.isin([c for codes in insets.values() for c in codes])
    if in_inset.all() or not in_inset.any():
        return tuple(map(float, frame.total_bounds)), []
    main = tuple(map(float, frame[~in_inset].total_bounds))
    projected = frame.to_crs(settings.area_crs) if frame.crs.is_geographic else frame
    n_prefs = frame.index.str[:2].nunique()
    group_km = _GROUP_KM if n_prefs > 5 else _GROUP_KM_REGIONAL
    groups = []
    for title, codes in insets.items():
        for panel in _island_groups(projected, title, codes, group_km=group_km):
            box = gpd.GeoSeries([shapely.box(*panel.extent)], crs=projected.crs).to_crs(frame.crs)
            groups.append((panel.title, tuple(map(float, box.total_bounds))))
    return main, groups
