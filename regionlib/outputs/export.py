"""Tables for planners: CSV (UTF-8 with BOM), Excel workbooks, GeoPackage and GeoJSON.

:func:`write_table` chooses the format from the file suffix:

``.csv``
    UTF-8 with BOM (spreadsheets show the Japanese headers), fixed float format and line
    ending, so that the same inputs give byte-identical files.
``.xlsx``
    One sheet of data with Japanese headers and units, municipal codes stored as text (the
    leading zero of ``01100`` is kept), national and prefectural ranks beside every indicator,
    numbers as numbers with a sensible format, a frozen header row, an autofilter and column
    widths; a second sheet ``出典`` with the indicator definitions and the credit line of every
    source.
``.gpkg`` / ``.geojson``
    The municipality polygons with every column as attribute, for QGIS. A table without
    geometry is joined to the boundaries on its municipal codes.

:func:`check_output` refuses an unsupported suffix before any work starts, listing those
regionlib writes.

Examples
--------
>>> from regionlib import export, table
>>> t = table.load_table(["aging_rate"], geometry=False)  # doctest: +SKIP
>>> export.write_table(t, "aging.xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib import _write
from regionlib._errors import RegionlibError
from regionlib._log import log

__all__ = [
    "SUFFIXES",
    "check_output",
    "column_header",
    "planner_view",
    "write_csv",
    "write_table",
    "write_table_csv",
]

#: suffixes :func:`write_table` writes
SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson")
_SPATIAL = (".gpkg", ".geojson")
_CODE = re.compile(r"^\d{5}$")

#: Japanese headers of the columns regionlib tables share (indicators use the catalogue)
HEADERS: dict[str, str] = {
    "code": "市区町村コード",
    "pref_code": "都道府県コード",
    "prefecture": "都道府県",
    "name": "市区町村名",
    "rank": "順位",
    "distance": "距離",
    "population": "人口（人）",
    "cluster": "クラスター",
    "description": "特徴",
    "region": "リージョン番号",
    "region_name": "リージョン名",
    "note": "備考",
    "label": "指標",
    "unit": "単位",
    "value": "値",
    "peers_median": "類似する市区町村の中央値",
    "prefecture_median": "都道府県の中央値",
    "national_median": "全国の中央値",
    "n": "値のある市区町村数",
    "percentile": "パーセンタイル（%）",
    "size": "市区町村数",
    "medoid": "代表（メドイド）コード",
    "medoid_name": "代表（メドイド）",
    "code_a": "市区町村コードA",
    "code_b": "市区町村コードB",
    "kind": "種類",
    "border_km": "境界の長さ（km）",
    "distance_km": "距離（km）",
    "year": "年",
    "since": "開始年",
    "until": "終了年",
    "distance_at_start": "開始年の距離",
    "value_start": "開始年の値",
    "value_end": "終了年の値",
    "change": "変化（率はポイント差）",
    "change_pct": "変化率（%）",
    "better_than_target": "本市区町村との変化の差",
    "national_rank": "全国順位",
    "national_n": "全国の市区町村数",
    "pref_rank": "都道府県内順位",
    "pref_n": "都道府県内の市区町村数",
    "reason": "値がない理由",
    "differs": "主な違い",
    "flag": "注記",
    "core": "中心市区町村コード",
    "core_name": "中心市区町村",
    "n_members": "市区町村数",
    "member_names": "構成市区町村",
    "compactness": "コンパクトさ（等周比）",
    "compactness_land": "コンパクトさ（最大の陸地部分の等周比）",
    "category_ja": "LISAの分類",
}
#: English names of the Japanese column names regionlib writes itself (the 列の説明 sheet)
ENGLISH: dict[str, str] = {"注記": "flag (why a value is misleading)"}
#: columns that hold years: written as plain integers (2016, not 2,016)
_YEAR_COLUMN = re.compile(r"^(year|since|until|start_year|end_year|年|年度|開始年|終了年)$")


def check_output(
    path: str | os.PathLike, suffixes: Sequence[str] = SUFFIXES, *, what: str = "table"
) -> Path:
    """Refuse an output file regionlib cannot write, before any work starts.

    Parameters
    ----------
    path
        The file to write.
    suffixes
        The suffixes accepted (default :data:`SUFFIXES`).
    what
        What the file is, for the message.

    Returns
    -------
    pathlib.Path
        The path.

    Raises
    ------
    OutputError
        The suffix is not one of ``suffixes`` (the message lists them), or the place cannot
        take the file (see :func:`regionlib._write.check_output`).
    """
    return _write.check_output(path, suffixes, what=what)


def column_header(column: str) -> str:
    """Return the Japanese header of a column: label and unit for indicators.

    Parameters
    ----------
    column
        Column name of a regionlib table.

    Returns
    -------
    str
        ``"高齢化率（65歳以上人口割合）（%）"`` for ``aging_rate``, ``"市区町村コード"`` for
        ``code``, ``"高齢化率の寄与"`` for ``contrib_aging_rate``; other names unchanged.
    """
    from regionlib.data import indicators

    if column in HEADERS:
        return HEADERS[column]
    if column.startswith("contrib_"):
        entry = indicators.find(column.removeprefix("contrib_"))
        if entry is not None:
            return f"{re.sub(r'（[^）]*）', '', entry.label) or entry.label}の距離への寄与"
    entry = indicators.find(column)
    if entry is not None:
        header = f"{entry.label}（{entry.unit}）" if entry.unit else entry.label
        return f"{header}［利用者データ］" if entry.group == "user" else header
    return column


def planner_view(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return a table as a planner reads it: Japanese headers, counts as integers.

    For showing tables in notebooks: columns get their Japanese headers (indicators their
    label and unit, :data:`HEADERS` the shared columns, ``names`` any other), the index too;
    float columns whose values are all whole numbers become integers (1148355, not
    1148355.0; ranks 82, not 82.0); geometry is left out.

    Parameters
    ----------
    frame
        Any table (a Series is shown as a one-column table).
    names
        Headers for columns regionlib does not know.

    Returns
    -------
    pandas.DataFrame
        A new table; ``frame`` is not changed.
    """
    out = frame.to_frame() if isinstance(frame, pd.Series) else frame
    out = pd.DataFrame(out.drop(columns=_geometry_columns(out), errors="ignore")).copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna().to_numpy(dtype=float)
            if len(finite) and (finite % 1 == 0).all() and np.abs(finite).max() < 2**53:
                out[column] = values.astype("Int64")
    extra = dict(names or {})

    def header(column: object) -> str:
        return extra.get(str(column)) or column_header(str(column))

    out = out.rename(columns=header)
    if out.index.name is not None:
        out.index.name = header(out.index.name)
    return out


def _plain(frame: pd.DataFrame, *, index: bool) -> pd.DataFrame:
    """Return the frame without geometry, its index (``code`` if unnamed codes) first."""
    out = pd.DataFrame(frame.drop(columns=_geometry_columns(frame), errors="ignore"))
    if index:
        name = out.index.name
        if name is None and len(out) and out.index.astype(str).str.fullmatch(r"\d{5}").all():
            name = "code"
        out = out.rename_axis(name or "index").reset_index()
    return out


def _geometry_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(frame[c].dtype) == "geometry"]


def write_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    index: bool = True,
    decimals: int | None = None,
) -> Path:
    """Write a table as a CSV for planners: geometry left out, codes as the first column.

    The format is regionlib's one CSV format (:func:`regionlib._write.write_csv`): UTF-8 with
    BOM, whole-number columns as integers (1973395, not 1973395.0), other floats with 10
    significant digits, missing values as empty cells, so the same inputs give byte-identical
    files.

    Parameters
    ----------
    frame
        Any table.
    path
        The file to write (written atomically: nothing half-written on failure).
    index
        Write the index as the first column.
    decimals
        Round floats to this many decimals (default: 10 significant digits).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    out = _plain(frame, index=index)
    if decimals is not None:
        floats = out.select_dtypes("float").columns
        values = out[floats]
        # beyond 1e15 a float has no decimals to round, and 1e308 * 10**decimals overflows
        small = values.abs() < 1e15
        out[floats] = values.where(small, 0).round(decimals).where(small, values)
    _write.write_csv(out, path, index=False)
    log(f"wrote {path}", ja=f"書き出しました: {path}")
    return path


def _indicator_columns(frame: pd.DataFrame) -> list[str]:
    from regionlib.data import indicators

    return [
        c
        for c in frame.columns
        if indicators.find(str(c)) is not None and pd.api.types.is_numeric_dtype(frame[c])
    ]


def _with_ranks(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Insert national and prefectural rank columns (1 = highest value) after each indicator."""
    nationwide = len(frame) >= 1700
    group = frame["pref_code"] if "pref_code" in frame else frame.get("prefecture")
    out = frame.copy()
    for column in reversed(columns):
        values = pd.to_numeric(frame[column], errors="coerce")
        pos = out.columns.get_loc(column) + 1
        if group is not None:
            pref = values.groupby(group).rank(ascending=False, method="min")
            out.insert(pos, f"{column}__rank_pref", pref.astype("Int64"))
        rank = values.rank(ascending=False, method="min").astype("Int64")
        out.insert(pos, f"{column}__rank", rank)
    out.attrs["nationwide"] = nationwide
    return out


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def _number_format(values: pd.Series, column: str = "") -> str:
    from regionlib.outputs._mapstyle import decimals_for

    finite = values.dropna().to_numpy(dtype=float)
    if _YEAR_COLUMN.match(str(column)) and (finite % 1 == 0).all():
        return "0"
    if len(finite) and (finite % 1 == 0).all():
        return "#,##0"
    decimals = decimals_for(finite)
    return "#,##0." + "0" * max(decimals, 1)


def write_xlsx(
    frame: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    index: bool = True,
    ranks: bool | None = None,
    sheet: str = "データ",
    credits: Sequence[str] = (),
    cited: Sequence[str] = (),
    datasets: Sequence[str] = (),
) -> Path:
    """Write an Excel workbook for planners (see the module docstring for its layout).

    Parameters
    ----------
    frame
        Any table; catalogue indicator columns get Japanese headers with units. A mapping of
        sheet name -> table writes one data sheet per table (a profile's indicators, peers and
        series), before the one ``出典`` sheet.
    path
        The ``.xlsx`` file to write (atomically).
    index
        Write the index as the first column.
    ranks
        Add national and prefectural ranks after each indicator column; default when the
        table has a ``prefecture`` column and more than 50 rows.
    sheet
        Name of the data sheet (a single table).
    credits
        Extra credit lines for the ``出典`` sheet.
    cited
        Catalogue indicators the tables show in their rows rather than as columns; they are
        listed on the ``出典`` sheet too.
    datasets
        Registry datasets the tables show beyond their indicators (credited on ``出典``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from openpyxl import Workbook

    path = Path(path)
    sheets = dict(frame) if isinstance(frame, Mapping) else {sheet: frame}
    wb = Workbook()
    wb.remove(wb.active)
    used: list[str] = []
    described: list[tuple[str, str, str]] = []
    ranked = False
    for name, table in sheets.items():
        ws = wb.create_sheet(name)
        names, with_ranks, columns = _data_sheet(ws, table, index=index, ranks=ranks)
        used += names
        described += [(name, header, column) for header, column in columns]
        ranked = ranked or with_ranks
        # what a table says it shows beyond its columns (a good-practice ranking's indicator)
        cited = [*cited, *table.attrs.get("cited", ())]
        datasets = [*datasets, *table.attrs.get("datasets", ())]
    from regionlib.data.userdata import user_credits

    credits = [*credits, *(line for t in sheets.values() for line in user_credits(t))]
    _columns_sheet(wb, described)
    _sources_sheet(wb, list(dict.fromkeys([*used, *cited])), credits, ranked, datasets)
    _write.save_workbook(wb, path, what="table")  # text stays text: no formula is written
    log(f"wrote {path}", ja=f"書き出しました: {path}")
    return path


_BOLD = {"bold": True}
_FILL = {"fill_type": "solid", "fgColor": "DDEBF7"}


def _data_sheet(ws, frame: pd.DataFrame, *, index: bool, ranks: bool | None):
    """Fill one data sheet; return the catalogue indicators it shows and whether it is ranked."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from regionlib.data import indicators

    # a column holding several indicators (a profile's 値) gives the decimals of each row
    cell_decimals = dict(frame.attrs.get("cell_decimals", {}))
    out = _plain(frame, index=index)
    ind_cols = _indicator_columns(out)
    if ranks is None:
        ranks = "prefecture" in out.columns and len(out) > 50
    ranks = bool(ranks and ind_cols)
    if ranks:
        out = _with_ranks(out, ind_cols)
    nationwide = out.attrs.get("nationwide", False)

    headers = []
    for column in out.columns:
        base, _, kind = str(column).partition("__")
        if kind == "rank":
            headers.append(f"{column_header(base)} {'全国順位' if nationwide else '順位'}")
        elif kind == "rank_pref":
            headers.append(f"{column_header(base)} 都道府県内順位")
        else:
            headers.append(column_header(str(column)))

    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(**_BOLD)
        cell.fill = PatternFill(**_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    formats: list[str | None] = []
    text_cols: list[bool] = []
    year_cols = [bool(_YEAR_COLUMN.match(str(c))) for c in out.columns]
    for column in out.columns:
        values = out[column]
        is_code = str(column) in ("code", "pref_code", "medoid", "core", "code_a", "code_b") or (
            values.dtype == object
            and values.dropna().astype(str).str.fullmatch(r"\d{2,6}").all()
            and len(values.dropna())
        )
        text_cols.append(bool(is_code) or not pd.api.types.is_numeric_dtype(values))
        if pd.api.types.is_numeric_dtype(values) and not is_code:
            formats.append(_number_format(pd.to_numeric(values, errors="coerce"), str(column)))
        else:
            formats.append(None)

    columns = list(out.columns)
    for row in out.to_numpy(dtype=object):
        cells = []
        for j, value in enumerate(row):
            if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                cells.append(None)
            elif text_cols[j]:
                cells.append(str(value))
            elif (isinstance(value, np.integer | int) and not isinstance(value, bool)) or (
                year_cols[j] and float(value).is_integer()
            ):
                cells.append(int(value))
            elif isinstance(value, np.floating | float):
                cells.append(float(value))
            else:
                cells.append(value)
        ws.append(cells)
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        fmt = "@" if text_cols[j - 1] else formats[j - 1]
        per_row = cell_decimals.get(column)
        if per_row is not None:
            for (cell,), decimals in zip(
                ws.iter_rows(min_row=2, min_col=j, max_col=j), per_row, strict=True
            ):
                cell.number_format = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        elif fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        sample = [headers[j - 1][:24], *(str(v) for v in out[column].head(200).tolist())]
        width = max(_text_width(s) for s in sample)
        ws.column_dimensions[letter].width = min(max(width + 2, 8), 48)
    ws.row_dimensions[1].height = 48
    first_value = next(
        (j for j, c in enumerate(columns) if c not in ("code", "pref_code", "prefecture", "name")),
        0,
    )
    ws.freeze_panes = ws.cell(row=2, column=first_value + 1).coordinate
    ws.auto_filter.ref = ws.dimensions
    base_cols = [str(c).partition("__")[0] for c in columns]
    english = [
        ENGLISH.get(str(c), str(c))
        .replace("__rank_pref", " (rank in prefecture)")
        .replace("__rank", " (rank)")
        for c in columns
    ]
    return (
        [c for c in dict.fromkeys(base_cols) if indicators.find(c) is not None],
        ranks,
        list(zip(headers, english, strict=True)),
    )


def _columns_sheet(wb, described: list[tuple[str, str, str]]) -> None:
    """Add the ``列の説明`` sheet: each data sheet's Japanese headers with their English names."""
    from openpyxl.styles import Font, PatternFill

    from regionlib.data import indicators

    ws = wb.create_sheet("列の説明")
    ws.append(["シート", "列（見出し）", "列名（英語） / column", "説明 / description"])
    for cell in ws[1]:
        cell.font = Font(**_BOLD)
        cell.fill = PatternFill(**_FILL)
    for sheet, header, column in described:
        entry = indicators.find(column.partition(" (")[0])
        ws.append([sheet, header, column, entry.description if entry is not None else ""])
    for letter, width in zip("ABCD", (14, 40, 36, 80), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _sources_sheet(
    wb, used: list[str], credits: Sequence[str], ranked: bool, datasets: Sequence[str] = ()
) -> None:
    """Add the ``出典`` sheet: every indicator shown, its formula and sources, and the credits."""
    from openpyxl.styles import Font, PatternFill

    from regionlib.data import indicators
    from regionlib.outputs._mapstyle import credit_lines

    src = wb.create_sheet("出典")
    src.append(["指標名", "指標", "単位", "年", "算出方法", "出典データ"])
    for cell in src[1]:
        cell.font = Font(**_BOLD)
        cell.fill = PatternFill(**_FILL)
    for name in used:
        entry = indicators.info(name)
        src.append(
            [
                entry.name,
                entry.label,
                entry.unit,
                entry.year,
                entry.formula,
                ", ".join(entry.datasets),
            ]
        )
    src.append([])
    src.append(["出典・クレジット"])
    src.cell(row=src.max_row, column=1).font = Font(**_BOLD)
    for line in credit_lines(used, list(credits), datasets=datasets):
        src.append([line])
    if ranked:
        src.append([])
        src.append(["順位は値の大きい順（1 = 最大）。値のない市区町村は順位なし。"])
    for letter, width in zip("ABCDEF", (28, 36, 10, 10, 60, 28), strict=True):
        src.column_dimensions[letter].width = width
    src.freeze_panes = "A2"


def _with_geometry(frame: pd.DataFrame, *, index: bool):
    """Return a GeoDataFrame: the frame's geometry, else the boundaries joined on the codes."""
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        gdf = frame
    else:
        from regionlib.data import boundaries

        codes = frame["code"] if "code" in frame.columns else pd.Series(frame.index, frame.index)
        codes = codes.astype(str)
        if not codes.str.fullmatch(r"\d{5}").all():
            msg = (
                ".gpkg/.geojson ファイルには、形状か結合に使う 5 桁の市区町村コードが必要です / "
                "a .gpkg/.geojson file needs geometry or 5-digit municipal codes to join it to"
            )
            raise RegionlibError(msg)
        shapes = boundaries.load_boundaries()
        missing = sorted(set(codes) - set(shapes.index))
        if missing:
            msg = (
                f"境界のないコード: {', '.join(missing[:10])} / "
                f"codes without a boundary: {', '.join(missing[:10])}"
            )
            raise RegionlibError(msg)
        gdf = gpd.GeoDataFrame(
            frame, geometry=shapes.geometry.reindex(codes.to_numpy()).to_numpy(), crs=shapes.crs
        )
    out = _plain(gdf, index=index)
    for column in out.columns:  # GDAL has no nullable integer: keep integers, NaN as null
        if str(out[column].dtype) in ("Int64", "Int32", "boolean"):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
        elif out[column].dtype == object:
            out[column] = out[column].where(out[column].isna(), out[column].astype(str))
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def write_vector(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> Path:
    """Write a GeoPackage or GeoJSON file with every column as attribute.

    Parameters
    ----------
    frame
        A table with geometry, or with municipal codes (index or ``code`` column) to join
        to the boundaries.
    path
        ``.gpkg`` (layer named after the file) or ``.geojson`` (WGS 84, as RFC 7946 asks).
    index
        Write the index as the first attribute.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    gdf = _with_geometry(frame, index=index)
    driver = "GPKG" if path.suffix.lower() == ".gpkg" else "GeoJSON"
    if driver == "GeoJSON":
        gdf = gdf.to_crs("EPSG:4326")
    aliases = {str(c): column_header(str(c)) for c in gdf.columns if c != gdf.geometry.name}
    save_geodata(gdf, path, driver=driver, what="table", aliases=aliases)
    log(f"wrote {path} ({len(gdf)} features)", ja=f"書き出しました: {path}（{len(gdf)} 地物）")
    return path


def save_geodata(
    gdf,
    path: str | os.PathLike,
    *,
    driver: str,
    what: str = "table",
    aliases: Mapping[str, str] | None = None,
) -> Path:
    """Write a GeoDataFrame with GDAL ``driver`` (``"GPKG"``, ``"GeoJSON"``) atomically.

    The file is built in memory, then written as every regionlib file is: a full disk is one
    clear error (GDAL reports it as whatever failed next, "no such table: gpkg_contents"),
    and nothing half-written is left.

    Parameters
    ----------
    gdf
        The features.
    path
        The file; its stem names the layer.
    driver
        The GDAL driver.
    what
        What the file is, for error messages.
    aliases
        GeoPackage only: field -> Japanese alias (see :func:`_field_aliases`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    buffer = io.BytesIO()
    gdf.to_file(buffer, driver=driver, layer=path.stem[:63], engine="pyogrio")
    data = buffer.getvalue()
    if driver == "GPKG" and aliases:
        data = _field_aliases(data, path.stem[:63], aliases)
    return _write.write_bytes(path, data, what=what)


def _field_aliases(data: bytes, layer: str, aliases: Mapping[str, str]) -> bytes:
    """Return a GeoPackage (as bytes) whose fields carry their Japanese headers as aliases.

    The GeoPackage schema extension's ``gpkg_data_columns`` table: GDAL reads its ``name`` as
    the field's alternative name, which QGIS shows as the field alias; the field names stay
    the English column names scripts use, and ``description`` repeats them.
    """
    import sqlite3

    rows = [
        (layer, field, alias, alias, ENGLISH.get(field, field))
        for field, alias in aliases.items()
        if alias != field
    ]
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(data)
        with con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
                "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
                "mime_type TEXT, constraint_name TEXT, "
                "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))"
            )
            con.execute(
                "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, "
                "definition, scope) VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
                "'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
            )
            con.executemany(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, "
                "description) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return con.serialize()
    finally:
        con.close()


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    index: bool = True,
    decimals: int | None = None,
    ranks: bool | None = None,
    credits: Sequence[str] = (),
) -> Path:
    """Write a table in the format its suffix names: ``.csv``, ``.xlsx``, ``.gpkg``, ``.geojson``.

    Parameters
    ----------
    frame
        Any regionlib table (index ``code`` for municipality tables).
    path
        The file to write; nothing is left half-written on failure.
    index
        Write the index as the first column.
    decimals
        CSV only: round floats to this many decimals.
    ranks
        Excel only: national and prefectural ranks after each indicator (default: for
        municipality tables of more than 50 rows).
    credits
        Excel only: extra credit lines.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    RegionlibError
        The suffix is not one of :data:`SUFFIXES`.
    """
    path = check_output(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(frame, path, index=index, decimals=decimals)
    if suffix == ".xlsx":
        return write_xlsx(frame, path, index=index, ranks=ranks, credits=credits)
    return write_vector(frame, path, index=index)


def write_table_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a municipality table as a CSV for planners.

    Columns ``code``, ``prefecture``, ``name``, then the indicators; counts are written as
    integers (1973395, not 1973395.0), other values rounded to 4 decimals, missing values
    empty; a last column ``注記`` gives the reasons of flagged values (evacuation artefacts,
    Tokyo's special wards' fiscal strength) when there are any. UTF-8 with BOM, so that
    spreadsheet software shows the Japanese headers. For Excel, GeoPackage or GeoJSON use
    :func:`write_table`.

    Parameters
    ----------
    frame
        A table from :func:`load_table` (with or without geometry).
    path
        The file to write.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from regionlib.data.table import with_flag_notes

    out = with_flag_notes(frame.drop(columns=["pref_code"], errors="ignore"))
    return write_csv(out, path, decimals=4)
