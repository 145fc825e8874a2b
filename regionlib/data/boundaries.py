"""Municipal boundaries (国土数値情報 N03 行政区域), one valid polygon per 5-digit code.

:func:`load_boundaries` returns the boundaries of Japan's municipalities from the data
registry; :func:`read_n03` reads any N03-style file (GeoJSON, TopoJSON, shapefile, or the
official MLIT N03 zip) into the same shape. Every result has:

- index ``code``: the 5-digit municipal code as a string (leading zeros kept);
- columns ``pref_code`` (2 digits), ``prefecture`` (都道府県名), ``name`` (市区町村名; at
  ``level="ward"`` a designated-city ward is named with its city, ``札幌市中央区``, and its
  city's code is in ``city_code``), ``geometry`` (valid Polygon or MultiPolygon);
- CRS JGD2011 geographic (``settings.default_crs``, EPSG:6668). Project to
  ``settings.area_crs`` before measuring areas or distances.

Processing, each step logged: features without a code (所属未定地) and the six 北方領土
villages (01695–01700) are left out unless ``include_unassigned=True``; invalid rings are
repaired with :func:`shapely.make_valid`; features sharing a code (exclaves, islands) and, at
``level="municipality"``, the wards of designated cities are dissolved into one row; a
municipality whose geometry is empty in the 0.1 % layer is filled from the 1 % layer. No
municipality is ever returned with an empty geometry.

Dissolved boundaries are cached as GeoParquet in ``settings.cache_folder / "derived"``, keyed
by the sha256 of the input files and the parameters, so a second load is fast.

Every map drawn from these boundaries must carry the credit line
「国土数値情報（行政区域データ）（国土交通省）を加工して作成」 (:data:`CREDIT`).
"""

from __future__ import annotations

import functools
import io
import logging
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regionlib import settings
from regionlib._errors import DataFormatError, UnknownNameError, suggest
from regionlib._log import log, logger
from regionlib.data import _cache, _validate, datasets
from regionlib.data.codes import PREFECTURES, normalize_code, prefecture_code
from regionlib.data.names import NORTHERN_TERRITORIES, quiet_gdal

__all__ = [
    "CREDIT",
    "NORTHERN_TERRITORIES",
    "UNASSIGNED_SUFFIX",
    "dissolve_n03",
    "load_boundaries",
    "load_prefectures",
    "read_n03",
    "read_n03_features",
]

#: Credit line required on every map made from N03 boundaries.
CREDIT = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
#: Codes of the six 北方領土 villages: boundaries, but no statistics.
#: Pseudo-code suffix of 所属未定地 rows kept with ``include_unassigned=True``: ``PP`` + this.
UNASSIGNED_SUFFIX = "999"
UNASSIGNED_NAME = "所属未定地"

Level = Literal["municipality", "ward"]
Detail = Literal["prefecture", "national"]

_N03_COLUMNS = ("N03_001", "N03_002", "N03_003", "N03_004", "N03_007")
_VECTOR_SUFFIXES = (".geojson", ".json", ".topojson", ".shp")
_MAX_ZIP_BYTES = 4 * 2**30  # refuse archives that would expand beyond this
_OUTPUT_COLUMNS = ["pref_code", "prefecture", "name"]


# --------------------------------------------------------------------------- reading files


def _valid_prefectures(frame: pd.DataFrame) -> bool:
    values = frame["N03_001"].dropna().astype(str).str.strip()
    return len(values) > 0 and bool(values.isin(list(PREFECTURES.values())).all())


def _read_json_bytes(raw: bytes, encoding: str) -> gpd.GeoDataFrame:
    import pyogrio

    text = raw.decode(encoding)
    return pyogrio.read_dataframe(io.BytesIO(text.lstrip("\ufeff").encode("utf-8")))


def _read_vector(path: Path, encoding: str | None, label: str) -> gpd.GeoDataFrame:
    """Read one vector file, detecting UTF-8 vs Shift-JIS (cp932) attributes.

    A requested ``encoding`` is honoured; if the prefecture column then holds anything but
    prefecture names, the file is mis-decoded and a DataFormatError says which encoding works.
    """
    import pyogrio  # imported where files are read: a cached product does not need it

    is_shp = path.suffix.lower() == ".shp"
    raw = None if is_shp else path.read_bytes()
    if raw is not None and not raw.strip():
        msg = f"{label}: ファイルが空です / {label}: the file is empty"
        raise DataFormatError(msg)
    if encoding is not None:
        tries = [encoding]
    elif is_shp:
        tries = [None, "cp932", "utf-8"]  # None: GDAL's choice (.cpg, else the DBF header)
    else:
        tries = ["utf-8", "cp932"]
    failures = []
    for enc in tries:
        try:
            with quiet_gdal():
                if is_shp:
                    frame = pyogrio.read_dataframe(path, encoding=enc)
                else:
                    frame = _read_json_bytes(raw, enc)
        except UnicodeDecodeError as exc:
            failures.append(f"{enc}: {exc.reason} at byte {exc.start}")
            continue
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            msg = (
                f"{label}: ベクターファイルとして読めません / "
                f"{label}: not a readable vector file ({exc})"
            )
            raise DataFormatError(msg) from exc
        if "N03_001" not in frame.columns:
            break  # reported by the caller, which knows the expected columns
        if _valid_prefectures(frame):
            if enc != tries[0]:
                log(
                    f"{label}: attributes decoded as {enc}",
                    ja=f"{label}: 属性を {enc} として読みました",
                )
            return frame
        sample = frame["N03_001"].dropna().astype(str).head(1).tolist()
        failures.append(f"{enc or 'declared encoding'}: prefecture column reads {sample}")
    else:
        if encoding is not None:
            other = (
                "utf-8" if encoding.lower().replace("_", "-") not in ("utf-8", "utf8") else "cp932"
            )
            msg = (
                f"{label}: 属性は {encoding} ではありません。おそらく {other} のファイルです: encoding='{other}' を指定してください / "
                f"{label}: attributes are not {encoding} ({'; '.join(failures)}); "
                f"the file is probably {other}: pass encoding='{other}'"
            )
        else:
            msg = (
                f"{label}: 属性を UTF-8 としても Shift-JIS としても読めません。encoding=... を指定してください / "
                f"{label}: cannot decode the attributes as UTF-8 or Shift-JIS "
                f"({'; '.join(failures)}); pass encoding=..."
            )
        raise DataFormatError(msg)
    return frame


def _safe_extract(path: Path, target: Path) -> list[Path]:
    """Extract the vector files of a zip archive into ``target``, refusing unsafe members."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        msg = (
            f"{path}: 正しい zip アーカイブではありません / {path}: not a valid zip archive ({exc})"
        )
        raise DataFormatError(msg) from exc
    wanted = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".geojson", ".json", ".topojson"}
    out: list[Path] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        total = sum(m.file_size for m in members)
        if total > _MAX_ZIP_BYTES:
            msg = (
                f"{path}: 展開すると {total / 2**30:.1f} GiB になるため展開しません / "
                f"{path}: archive expands to {total / 2**30:.1f} GiB; refusing to extract"
            )
            raise DataFormatError(msg)
        folders: dict[str, int] = {}
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts:
                msg = (
                    f"{path}: アーカイブに危険なパス {member.filename!r} があるため展開しません / "
                    f"{path}: unsafe member path {member.filename!r} in archive; not extracted"
                )
                raise DataFormatError(msg)
            if name.suffix.lower() not in wanted or name.name.startswith("."):
                continue
            # one flat folder per archive folder: sibling shapefile parts stay together
            sub = target / str(folders.setdefault(str(name.parent), len(folders)))
            sub.mkdir(parents=True, exist_ok=True)
            dest = sub / name.name
            try:
                with archive.open(member) as src, open(dest, "wb") as dst:
                    dst.write(src.read())
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                msg = (
                    f"{path}: {member.filename} が壊れています。アーカイブをもう一度ダウンロードしてください / "
                    f"{path}: member {member.filename} is corrupt ({exc}); download the archive "
                    "again"
                )
                raise DataFormatError(msg) from exc
            if dest.suffix.lower() in _VECTOR_SUFFIXES:
                out.append(dest)
    return out


def read_n03_features(path: str | Path, *, encoding: str | None = None) -> gpd.GeoDataFrame:
    """Read the raw features of an N03 file: one row per polygon feature, N03 attributes.

    Parameters
    ----------
    path
        A GeoJSON, TopoJSON or shapefile, or a zip archive holding them (the official MLIT
        N03 download). In a zip, GeoJSON is preferred over a shapefile of the same data.
    encoding
        Attribute encoding (``"utf-8"``, ``"cp932"``); default: detected, trying UTF-8 and
        Shift-JIS and checking that the prefecture column holds prefecture names.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``N03_001`` … ``N03_004``, ``N03_007`` (strings, missing as NA) and geometry,
        CRS EPSG:6668.

    Raises
    ------
    DataFormatError
        If the file is missing, empty, not a vector file, lacks the N03 columns, or its
        attributes cannot be decoded.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: ファイルがありません / {path}: no such file"
        raise DataFormatError(msg)
    if path.stat().st_size == 0:
        msg = f"{path}: ファイルが空です / {path}: the file is empty"
        raise DataFormatError(msg)
    if path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="regionlib-n03-") as tmp:
            files = _safe_extract(path, Path(tmp))
            json_files = [f for f in files if f.suffix.lower() != ".shp"]
            chosen = json_files or files
            if not chosen:
                msg = (
                    f"{path}: アーカイブにシェープファイル・GeoJSON・TopoJSON がありません / "
                    f"{path}: the archive holds no shapefile, GeoJSON or TopoJSON"
                )
                raise DataFormatError(msg)
            frames = [_read_vector(f, encoding, f"{path}!{f.name}") for f in sorted(chosen)]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    else:
        frame = _read_vector(path, encoding, str(path))
    return _standardize(frame, str(path))


def _standardize(frame: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    missing = [c for c in ("N03_001", "N03_004", "N03_007") if c not in frame.columns]
    if missing:
        msg = (
            f"{label}: N03 の列 {', '.join(missing)} がありません。N03_001（都道府県）、N03_004（市区町村）、N03_007（コード）のある国土数値情報の行政区域ファイルを使ってください / "
            f"{label}: missing N03 column(s) {', '.join(missing)} (columns: "
            f"{[c for c in frame.columns if c != 'geometry']}); expected an N03 行政区域 file "
            "with N03_001 (prefecture), N03_004 (municipality) and N03_007 (code)"
        )
        raise DataFormatError(msg)
    if len(frame) == 0:
        msg = f"{label}: ファイルに地物がありません / {label}: the file has no features"
        raise DataFormatError(msg)
    data = {}
    for col in _N03_COLUMNS:
        if col in frame.columns:
            values = frame[col].astype("str").str.strip()
            data[col] = values.mask(values.isin(["", "nan", "None"]))
        else:
            data[col] = pd.Series(pd.NA, index=frame.index, dtype="str")
    out = gpd.GeoDataFrame(data, geometry=frame.geometry.to_numpy(), crs=None)
    # N03 coordinates are JGD2011; GeoJSON files label them WGS84 by convention. The two
    # datums differ by well under a metre in Japan, so the CRS is relabelled, not transformed;
    # coordinates in metres or with latitude first are refused, never relabelled.
    out = out.set_crs(settings.default_crs, allow_override=True)
    _validate.coordinates(out, what=label)
    return out


# --------------------------------------------------------------------------- dissolving


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """Keep the polygonal parts of ``geom`` (make_valid may add lines or points)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _repair(geoms: np.ndarray, label: str) -> np.ndarray:
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = [_polygonal(g) for g in shapely.make_valid(geoms[invalid])]
        n_invalid = int(invalid.sum())
        log(
            f"{label}: repaired {n_invalid} invalid geometry(ies) with make_valid",
            ja=f"{label}: 不正な図形 {n_invalid} 件を make_valid で修復しました",
        )
    return geoms


def dissolve_n03(
    features: gpd.GeoDataFrame,
    *,
    level: Level = "municipality",
    include_unassigned: bool = False,
    empty: Literal["raise", "drop"] = "raise",
    fill: gpd.GeoDataFrame | None = None,
    source: str = "N03 features",
) -> gpd.GeoDataFrame:
    """Turn N03 features into one row per municipal code.

    Parameters
    ----------
    features
        Output of :func:`read_n03_features`.
    level
        ``"municipality"``: designated-city wards are merged into their city (code of the
        city, name from N03_003). ``"ward"``: wards stay separate (the file must have them).
    include_unassigned
        Keep 所属未定地 (as pseudo-code ``PP999``, one per prefecture) and the 北方領土
        villages; by default they are left out and counted in the log.
    empty
        What to do with a code whose geometry is empty after repair and ``fill``:
        ``"raise"`` a DataFormatError listing them, or ``"drop"`` them (logged).
    fill
        Boundaries (index ``code``) to take a geometry from when a code's own is empty.
    source
        Name of the input, used in log lines and errors.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``code``; columns ``pref_code``, ``prefecture``, ``name`` (and ``city_code`` at
        ``level="ward"``), geometry; sorted by code.

    Raises
    ------
    DataFormatError
        On an invalid code, a prefecture that does not match its code, a code carrying two
        names, a ward level requested from a file without wards, or empty geometries.
    """
    if level not in ("municipality", "ward"):
        msg = (
            f"レベル '{level}' はありません（municipality か ward） / "
            f"unknown level '{level}'{suggest(level, ['municipality', 'ward'])}"
        )
        raise UnknownNameError(msg)
    frame = features.reset_index(drop=True)
    pref_name = frame["N03_001"]
    raw_code = frame["N03_007"]
    county = frame["N03_003"].fillna("")
    muni = frame["N03_004"]

    unassigned = raw_code.isna()
    dropped = []
    codes = pd.Series(pd.NA, index=frame.index, dtype="str")
    for i in np.flatnonzero(~unassigned.to_numpy()):
        codes.iat[i] = normalize_code(raw_code.iat[i], source=f"{source}, feature {i}")
    for i in np.flatnonzero(unassigned.to_numpy()):
        if pd.isna(pref_name.iat[i]) or pref_name.iat[i] not in PREFECTURES.values():
            msg = (
                f"{source} の地物 {i}: コード（N03_007）も都道府県もありません / "
                f"{source}, feature {i}: no code (N03_007) and no known prefecture"
            )
            raise DataFormatError(msg)
        codes.iat[i] = prefecture_code(pref_name.iat[i]) + UNASSIGNED_SUFFIX

    is_ward = county.str.endswith("市") & muni.fillna("").str.endswith("区")
    merged_city = county.str.endswith("市") & muni.isna()
    names = muni.fillna(county).astype("str")
    city_code = codes.copy()
    if level == "ward":
        if merged_city.any():
            examples = ", ".join(sorted(set(codes[merged_city]))[:5])
            msg = (
                f"{source}: このファイルでは政令指定都市の区が市にまとめられています（{examples} …）。level='ward' には区のあるファイル（n03-national-wards-* か都道府県別のファイル）が必要です / "
                f"{source}: designated cities are merged in this file ({examples} …); "
                "level='ward' needs a file with wards (the n03-national-wards-* datasets or "
                "per-prefecture files)"
            )
            raise DataFormatError(msg)
        if is_ward.any():
            keys = pref_name[is_ward] + county[is_ward]
            first = codes[is_ward].groupby(keys).transform("min")
            city_code[is_ward] = first.str[:4] + "0"
            names[is_ward] = county[is_ward] + muni[is_ward]
    elif is_ward.any():
        # A designated city's code precedes its wards' codes: 01100 札幌市, wards 01101-01110;
        # 27100 大阪市, wards 27102-27128. So the city code is the smallest ward code with its
        # last digit zeroed (checked against the national designated-city layer in the tests).
        keys = pref_name[is_ward] + county[is_ward]
        first = codes[is_ward].groupby(keys).transform("min")
        codes[is_ward] = first.str[:4] + "0"
        names[is_ward] = county[is_ward]
        n_wards, n_cities = int(is_ward.sum()), keys.nunique()
        log(
            f"{source}: merged {n_wards} designated-city ward feature(s) into {n_cities} city(ies)",
            ja=f"{source}: 政令指定都市の区の図形 {n_wards} 件を {n_cities} 市にまとめました",
        )
    names[unassigned] = UNASSIGNED_NAME

    # prefecture must match the code
    pref_of_code = codes.str[:2]
    bad = ~pref_of_code.isin(list(PREFECTURES))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        msg = (
            f"{source} の地物 {i}: コード {codes.iat[i]} の都道府県の部分が正しくありません / "
            f"{source}, feature {i}: code {codes.iat[i]} has no valid prefecture part"
        )
        raise DataFormatError(msg)
    expected = pref_of_code.map(PREFECTURES)
    mismatch = pref_name.notna() & (pref_name != expected)
    if mismatch.any():
        i = int(np.flatnonzero(mismatch.to_numpy())[0])
        msg = (
            f"{source} の地物 {i}: コード {codes.iat[i]} は {expected.iat[i]} のものですが N03_001 は {pref_name.iat[i]!r} です / "
            f"{source}, feature {i}: code {codes.iat[i]} belongs to {expected.iat[i]} but "
            f"N03_001 says {pref_name.iat[i]!r}"
        )
        raise DataFormatError(msg)

    table = pd.DataFrame(
        {"code": codes, "name": names, "city_code": city_code, "geometry": frame.geometry.values}
    )
    # one name per code
    name_counts = table.groupby("code")["name"].nunique()
    if (name_counts > 1).any():
        code = name_counts[name_counts > 1].index[0]
        both = sorted(table.loc[table["code"] == code, "name"].unique())
        msg = (
            f"{source}: コード {code} が別々の市区町村に使われています: {'、'.join(both)} / "
            f"{source}: code {code} is used by different municipalities: {', '.join(both)}"
        )
        raise DataFormatError(msg)

    if not include_unassigned:
        north = table["code"].isin(NORTHERN_TERRITORIES)
        n_unassigned = int(unassigned.sum())
        dropped_ja = []
        if n_unassigned:
            prefs = ", ".join(sorted(pref_name[unassigned].dropna().unique()))
            dropped.append(f"{n_unassigned} 所属未定地 feature(s) without code ({prefs})")
            dropped_ja.append(f"コードのない所属未定地 {n_unassigned} 件（{prefs}）")
        if north.any():
            n_north = table.loc[north, "code"].nunique()
            villages = ", ".join(sorted(table.loc[north, "name"].unique()))
            dropped.append(f"{n_north} 北方領土 village(s) ({villages})")
            dropped_ja.append(f"北方領土の {n_north} 村（{villages}）")
        table = table[~(north | unassigned)]
        if dropped:
            log(
                f"{source}: left out {'; '.join(dropped)} (include_unassigned=True keeps them)",
                ja=f"{source}: 除外しました: {'、'.join(dropped_ja)}（include_unassigned=True で残せます）",
            )

    geoms = _repair(table["geometry"].to_numpy(), source)
    table = table.assign(geometry=geoms)
    sizes = table.groupby("code").size()
    log_multi = int((sizes > 1).sum())
    rows = []
    for code, group in table.groupby("code", sort=True):
        parts = [g for g in group["geometry"] if g is not None and not g.is_empty]
        if not parts:
            geom = None
        elif len(parts) == 1:
            geom = parts[0]
        else:
            geom = _polygonal(shapely.union_all(parts))
        rows.append((code, group["name"].iat[0], group["city_code"].iat[0], geom))
    if log_multi:
        log(
            f"{source}: dissolved {len(table)} features into {len(rows)} codes",
            ja=f"{source}: {len(table)} 個の図形を {len(rows)} コードにまとめました",
        )
    out = pd.DataFrame(rows, columns=["code", "name", "city_code", "geometry"]).set_index("code")

    empty_mask = out["geometry"].isna()
    if empty_mask.any() and fill is not None:
        can = empty_mask & out.index.isin(fill.index)
        if can.any():
            filled = out.index[can]
            out.loc[can, "geometry"] = fill.geometry.reindex(filled).to_numpy()
            shown = ", ".join(f"{c} {n}" for c, n in zip(filled, out.loc[can, "name"], strict=True))
            log(
                f"{source}: {len(filled)} municipality(ies) have an empty geometry; "
                f"filled from the 1 % layer: {shown}",
                ja=f"{source}: 図形が空の {len(filled)} 市区町村を 1 % 簡略化の図形で補いました: {shown}",
            )
        empty_mask = out["geometry"].isna()
    if empty_mask.any():
        shown = ", ".join(
            f"{c} {n}"
            for c, n in zip(out.index[empty_mask], out.loc[empty_mask, "name"], strict=True)
        )
        if empty == "raise":
            msg = (
                f"{source}: {int(empty_mask.sum())} 個のコードに使える形状がありません: {shown}。簡略化の少ないファイル（load_boundaries(detail='prefecture')）を使うか empty='drop' を指定してください / "
                f"{source}: {int(empty_mask.sum())} code(s) have no usable geometry: {shown}; "
                "use a less simplified file (load_boundaries(detail='prefecture')) or pass "
                "empty='drop'"
            )
            raise DataFormatError(msg)
        log(
            f"{source}: dropped {int(empty_mask.sum())} code(s) without geometry: {shown}",
            level=logging.WARNING,
            ja=f"境界のない {int(empty_mask.sum())} 市区町村を除きました",
        )
        out = out[~empty_mask]

    out.index = out.index.astype("str")
    out.index.name = "code"
    result = gpd.GeoDataFrame(
        {
            "pref_code": out.index.str[:2],
            "prefecture": out.index.str[:2].map(PREFECTURES),
            "name": out["name"].astype("str").to_numpy(),
        },
        index=out.index,
        geometry=gpd.GeoSeries(out["geometry"].to_numpy(), index=out.index),
        crs=settings.default_crs,
    )
    for col in ("pref_code", "prefecture"):
        result[col] = result[col].astype("str")
    if level == "ward":
        result.insert(3, "city_code", out["city_code"].astype("str"))
    return result


def read_n03(
    path: str | Path,
    *,
    level: Level = "municipality",
    include_unassigned: bool = False,
    encoding: str | None = None,
    empty: Literal["raise", "drop"] = "raise",
) -> gpd.GeoDataFrame:
    """Read an N03 boundary file and dissolve it to one row per municipal code.

    Parameters
    ----------
    path
        GeoJSON, TopoJSON, shapefile, or the official MLIT N03 zip (extracted safely into a
        temporary folder; Shift-JIS or UTF-8 attributes).
    level
        ``"municipality"`` (designated cities merged) or ``"ward"``.
    include_unassigned
        Keep 所属未定地 and 北方領土 villages (see :func:`dissolve_n03`).
    encoding
        Attribute encoding; default detected.
    empty
        ``"raise"`` (default) or ``"drop"`` codes without a usable geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        Same layout as :func:`load_boundaries`.

    Examples
    --------
    >>> gdf = read_n03("N03-20210101_13_GML.zip")  # doctest: +SKIP
    """
    features = read_n03_features(path, encoding=encoding)
    return dissolve_n03(
        features,
        level=level,
        include_unassigned=include_unassigned,
        empty=empty,
        source=Path(path).name,
    )


# --------------------------------------------------------------------------- registry loads


def _prefecture_list(prefectures: Iterable[str | int] | str | int | None) -> list[str] | None:
    if prefectures is None:
        return None
    if isinstance(prefectures, str | int):
        prefectures = [prefectures]
    out = sorted({prefecture_code(p) for p in prefectures})
    if not out:
        msg = (
            "prefectures が空です。全国なら None を渡してください / "
            "prefectures is empty; pass None for the whole country"
        )
        raise DataFormatError(msg)
    return out


def _sources(level: Level, detail: Detail, prefs: list[str] | None) -> tuple[list[str], str | None]:
    """Return (registry names to read, registry name of the fill layer)."""
    wards = "-wards" if level == "ward" else ""
    if detail == "prefecture":
        # Subsets are cut from the national 1 % TopoJSON, not read from the per-prefecture
        # files: those were simplified one prefecture at a time, so their borders with the
        # neighbouring prefectures do not coincide and cross-prefecture adjacency would be lost.
        return [f"n03-national{wards}-s0010-topo"], None
    if detail == "national":
        return [f"n03-national{wards}-s0001"], f"n03-national{wards}-s0010-topo"
    msg = (
        f"詳細度 '{detail}' はありません / "
        f"unknown detail '{detail}'{suggest(str(detail), ['prefecture', 'national'])}"
    )
    raise UnknownNameError(msg)


def _build(
    level: Level, detail: Detail, prefs: list[str] | None, include_unassigned: bool
) -> gpd.GeoDataFrame:
    names, fill_name = _sources(level, detail, prefs)
    frames = [read_n03_features(datasets.get_path(n)) for n in names]
    features = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if prefs is not None:  # before dissolving, so that the log speaks of these prefectures only
        features = features[features["N03_001"].isin({PREFECTURES[p] for p in prefs})]
    fill = None
    if fill_name is not None:
        # the fill layer's own notes (rows left out, repairs) repeat the main layer's: muted
        mute = logging.Filter("regionlib.__muted__")
        logger.addFilter(mute)
        try:
            fill = dissolve_n03(
                read_n03_features(datasets.get_path(fill_name)),
                level=level,
                include_unassigned=include_unassigned,
                source=fill_name,
            )
        finally:
            logger.removeFilter(mute)
    label = names[0] if len(names) == 1 else f"{len(names)} files"
    out = dissolve_n03(
        features, level=level, include_unassigned=include_unassigned, fill=fill, source=label
    )
    if prefs is not None:
        out = out[out["pref_code"].isin(prefs)]
    return out


@functools.cache
def _code_hash() -> str:
    here = Path(__file__).parent
    return "+".join(_cache.file_sha256(here / m) for m in ("boundaries.py", "codes.py"))


def load_boundaries(
    *,
    level: Level = "municipality",
    detail: Detail = "prefecture",
    prefectures: Iterable[str | int] | str | int | None = None,
    include_unassigned: bool = False,
) -> gpd.GeoDataFrame:
    """Load the boundaries of Japan's municipalities (N03, 2021-01-01), one row per code.

    Parameters
    ----------
    level
        ``"municipality"`` (designated cities merged: 1,741 rows nationwide) or ``"ward"``
        (the 175 wards of the 20 designated cities instead of their cities: 1,896 rows).
    detail
        ``"prefecture"``: the publisher's 1 % simplification (complete; a subset of
        ``prefectures`` is cut from the national file, so borders between prefectures stay
        shared). ``"national"``: the 0.1 % layer, lighter to draw; its 11
        municipalities with an empty geometry are filled from the 1 % layer (logged).
    prefectures
        Prefecture codes or names (``"13"``, ``13``, ``"東京都"``, ``"東京"``); default all.
    include_unassigned
        Keep 所属未定地 (pseudo-code ``PP999``) and the six 北方領土 villages.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``code`` (5-digit string); columns ``pref_code``, ``prefecture``, ``name``
        (``city_code`` too at ``level="ward"``), geometry (valid, never empty), EPSG:6668,
        sorted by code. A new object on every call.

    Raises
    ------
    UnknownNameError
        For an unknown level, detail or prefecture.
    DataFetchError
        If a boundary file cannot be downloaded or verified.

    Examples
    --------
    >>> gdf = load_boundaries()  # doctest: +SKIP
    >>> len(gdf), gdf.loc["01100", "name"]  # doctest: +SKIP
    (1741, '札幌市')
    """
    if level not in ("municipality", "ward"):
        msg = (
            f"レベル '{level}' はありません（municipality か ward） / "
            f"unknown level '{level}'{suggest(str(level), ['municipality', 'ward'])}"
        )
        raise UnknownNameError(msg)
    prefs = _prefecture_list(prefectures)
    names, fill_name = _sources(level, detail, prefs)
    inputs = [datasets.info(n).sha256 for n in [*names, *([fill_name] if fill_name else [])]]
    inputs.append(_code_hash())  # a change in this module's code invalidates its products
    params = {
        "level": level,
        "detail": detail,
        "prefectures": prefs,
        "include_unassigned": include_unassigned,
    }
    return _cache.cached(
        "boundaries", inputs, params, lambda: _build(level, detail, prefs, include_unassigned)
    )


def load_prefectures(*, detail: Detail = "prefecture") -> gpd.GeoDataFrame:
    """Load the outlines of the 47 prefectures.

    Parameters
    ----------
    detail
        ``"prefecture"`` (1 % simplification) or ``"national"`` (0.1 %).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``pref_code`` (2-digit string), column ``prefecture``, valid geometry,
        EPSG:6668.
    """
    names = {"prefecture": "n03-prefectures-s0010-topo", "national": "n03-prefectures-s0001"}
    if detail not in names:
        msg = (
            f"詳細度 '{detail}' はありません / "
            f"unknown detail '{detail}'{suggest(str(detail), list(names))}"
        )
        raise UnknownNameError(msg)
    name = names[detail]

    def build() -> gpd.GeoDataFrame:
        import pyogrio

        path = datasets.get_path(name)
        with quiet_gdal():
            frame = pyogrio.read_dataframe(path)
        if "N03_001" not in frame.columns:
            msg = (
                f"データセット '{name}'（{path}）: 都道府県の列 N03_001 がありません / "
                f"dataset '{name}' ({path}): no N03_001 prefecture column"
            )
            raise DataFormatError(msg)
        pref = frame["N03_001"].astype("str").map(prefecture_code)
        geoms = _repair(frame.geometry.to_numpy(), name)
        out = (
            gpd.GeoDataFrame({"pref_code": pref, "geometry": geoms}, crs=None)
            .set_crs(settings.default_crs, allow_override=True)
            .dissolve("pref_code")
            .sort_index()
        )
        out.insert(0, "prefecture", out.index.map(PREFECTURES).astype("str"))
        out.index = out.index.astype("str")
        return out

    inputs = [datasets.info(name).sha256, _code_hash()]
    return _cache.cached("prefectures", inputs, {"detail": detail}, build)
