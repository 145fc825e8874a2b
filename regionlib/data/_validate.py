"""Checks on tables and GeoDataFrames handed to regionlib: codes, geometries, coordinates.

Every public function that takes a user's table runs it through :func:`code_index` (and, for
geometries, :func:`geometries`) before any work, so a bad input is one clear error naming the
codes at fault, or a logged repair, never a wrong result.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from regionlib._errors import DataFormatError
from regionlib._log import log

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["code_index", "coordinates", "geometries"]


def code_index(frame: pd.DataFrame, *, what: str = "table") -> pd.DataFrame:
    """Return ``frame`` with its index as 5-digit code strings, refusing duplicate codes.

    An integer index (what :func:`pandas.read_csv` gives for regionlib's own CSV: ``1100`` for
    ``01100``) or 6-digit codes with a check digit are normalised, with an information line.

    Parameters
    ----------
    frame
        A table indexed by municipal code.
    what
        What the table is, for messages.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when its index is already fine, else a shallow copy with a new index.

    Raises
    ------
    DataFormatError
        If an index value is not a municipal code, or a code appears more than once (the
        message lists them).
    """
    import pandas as pd

    from regionlib.data.codes import normalize_code

    index = frame.index
    if not (index.dtype == object or isinstance(index.dtype, pd.StringDtype)) or any(
        not isinstance(c, str) or len(c) != 5 or not c.isdigit() for c in index
    ):
        try:
            codes = [normalize_code(c) for c in index]
        except Exception as exc:
            msg = (
                f"{what}: インデックスは 5 桁の市区町村コードにしてください（{exc}） / "
                f"{what}: the index must hold 5-digit municipal codes ({exc})"
            )
            raise DataFormatError(msg) from exc
        log(
            f"{what}: index normalised to 5-digit code strings (e.g. {index[0]!r} -> {codes[0]})",
            ja=f"{what}: インデックスを 5 桁のコード文字列にそろえました（例 {index[0]!r} -> {codes[0]}）",
        )
        frame = frame.copy(deep=False)
        frame.index = pd.Index(codes, name=index.name or "code")
        index = frame.index
    if index.has_duplicates:
        dup = sorted(set(index[index.duplicated()]))
        shown = ", ".join(dup[:10]) + (f" … ({len(dup)} codes)" if len(dup) > 10 else "")
        msg = (
            f"{what}: インデックスに同じ市区町村コードが複数あります: {shown}。1 コードにつき 1 行にしてください / "
            f"{what}: duplicate municipal codes in the index: {shown}; keep one row per code"
        )
        raise DataFormatError(msg)
    return frame


def coordinates(gdf: gpd.GeoDataFrame, *, what: str = "GeoDataFrame") -> None:
    """Refuse coordinates that cannot be in their CRS (metres labelled as degrees, lat/lon swapped).

    Raises
    ------
    DataFormatError
        If the CRS is geographic and the bounds leave longitude -180…180 or latitude -90…90.
    """
    if gdf.crs is None or not gdf.crs.is_geographic or gdf.geometry.isna().all():
        return
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return
    swapped = -90 <= minx <= maxx <= 90 and -180 <= miny <= maxy <= 180
    hint = "x and y look swapped (latitude first)" if swapped else "they look like projected metres"
    hint_ja = (
        "x と y が入れ替わっているようです（緯度が先）"
        if swapped
        else "投影座標（メートル）のようです"
    )
    msg = (
        f"{what}: 座標が座標参照系 {gdf.crs.to_string()} と合いません（範囲 {minx:.6g}, {miny:.6g}, {maxx:.6g}, {maxy:.6g}）。{hint_ja}。gdf.set_crs(..., allow_override=True) で実際の座標参照系を指定してください / "
        f"{what}: coordinates do not match the CRS {gdf.crs.to_string()} (bounds {minx:.6g}, "
        f"{miny:.6g}, {maxx:.6g}, {maxy:.6g}); {hint}. Set the CRS the data are really in with "
        "gdf.set_crs(..., allow_override=True)"
    )
    raise DataFormatError(msg)


def geometries(gdf: gpd.GeoDataFrame, *, what: str = "GeoDataFrame") -> gpd.GeoDataFrame:
    """Return ``gdf`` with invalid geometries (self-intersections …) repaired by ``make_valid``.

    The repair is reported as a warning naming the codes; ``gdf`` itself is not modified.

    Parameters
    ----------
    gdf
        Municipalities with geometry.
    what
        What the data are, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` itself when every geometry is valid, else a copy with repaired geometries.
    """
    import shapely

    coordinates(gdf, what=what)
    geoms = gdf.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf
    codes = [str(c) for c in gdf.index[invalid]]
    shown = ", ".join(codes[:10]) + (" …" if len(codes) > 10 else "")
    out = gdf.copy()
    # "structure" keeps polygons polygonal (no stray lines from a bow-tie)
    repaired = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    out.loc[invalid, out.geometry.name] = repaired
    log(
        f"{what}: repaired {len(codes)} invalid geometries with make_valid ({shown})",
        level=logging.WARNING,
        ja=f"不正な境界 {len(codes)} 件を修復しました（{shown}）",
    )
    return out
