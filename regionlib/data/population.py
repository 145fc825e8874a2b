"""住民基本台帳 population by age and sex, 1995-2022, on today's 1,741 municipalities.

Two kinds of 総務省 workbooks, every era of their layouts (``.xls`` 1995-2020, ``.xlsx`` from
2021; title row, one or two header rows, a unit row from 2021, sheet names that changed in
2013), read with python-calamine:

- :func:`read_age`: 市区町村別年齢階級別人口, rows 計/男/女 per area, 5-year bands from 0-4 to
  80+ (1995-2014) or to 100+ (2015-2022). Items ``total``, ``male``, ``female`` (総数) and
  ``{sex}_{band}`` (``female_20_24``, ``total_80_plus``); where the file has the finer top bands
  (``80_84`` … ``100_plus``) the open band ``80_plus`` is their sum, so 80+ exists every year.
- :func:`read_dynamics`: 人口・世帯数・人口動態, population by sex, households and the flows of
  the year before (転入, 出生, 転出, 死亡, 自然増減, 社会増減), whatever the header rows.

Both return a :class:`regionlib.readers.SourceTable` keyed by the codes of their year; the
national 合計 row is kept in ``items["national"]``, so a total can be checked against the
file. Catalogue indicators are computed from these tables like from any other source
(:func:`regionlib.indicators.read_source`).

Two series of the age files: ``japanese`` (Japanese residents: 1995-2012 on 31 March, the
only series then, and 2013-2022) and ``total`` (all residents, 2013-2022, 1 January from 2014).
:func:`age_panel` returns one of them as a long table (``code``, ``year``, ``sex``, ``band``,
``population``, ``series``) on today's municipalities: every year's codes are put on the
current ones through the code history (counts of merged municipalities summed; designated-city
wards, prefecture, 郡 and national rows never counted), and cached in the derived cache.

``rl.population.pyramid(...)`` draws a municipality's pyramid: it is
:func:`regionlib.outputs.pyramid.pyramid` (same function, same parameters), offered on this
module by the package namespace (``import regionlib as rl``); this module itself imports no
output code.

Examples
--------
>>> import regionlib as rl
>>> fig = rl.population.pyramid("夕張市", years=[1995, 2022])  # doctest: +SKIP
>>> from regionlib.data import population
>>> population.band_label("20_24")
'20～24歳'
>>> population.parse_band("80歳以上")
'80_plus'
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from logging import WARNING
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError, UnknownNameError
from regionlib._log import log
from regionlib.data import _cache, datasets, readers

__all__ = [
    "BANDS",
    "FINE_TOP",
    "SERIES_YEARS",
    "SEXES",
    "age_panel",
    "band_label",
    "collapse_top",
    "dataset_name",
    "national_check",
    "parse_band",
    "read_age",
    "read_dynamics",
]

#: The 5-year bands every year holds, youngest first; ``80_plus`` is open.
BANDS: tuple[str, ...] = (
    *(f"{a}_{a + 4}" for a in range(0, 80, 5)),
    "80_plus",
)
#: The finer top bands of 2015-2022 (their sum is ``80_plus``).
FINE_TOP: tuple[str, ...] = ("80_84", "85_89", "90_94", "95_99", "100_plus")
#: Sexes of the panel (the 計 rows are their sum).
SEXES: tuple[str, ...] = ("male", "female")
#: Years each series of the age files covers.
SERIES_YEARS: dict[str, tuple[int, ...]] = {
    "japanese": tuple(range(1995, 2023)),
    "total": tuple(range(2013, 2023)),
}
_SEX_ROWS = {"計": "total", "男": "male", "女": "female"}
_SEX_LABELS = {"total": "", "male": "男性", "female": "女性"}


def dataset_name(series: str, year: int) -> str:
    """Return the registry name of the age file of ``series`` in ``year``.

    Parameters
    ----------
    series
        ``japanese`` or ``total``.
    year
        The year of the file.

    Raises
    ------
    UnknownNameError
        For an unknown series or a year the series does not cover.
    """
    if series not in SERIES_YEARS:
        msg = (
            f"系列 '{series}': japanese（1995〜2022 年）か total（2013〜2022 年）を選んでください / "
            f"series '{series}': choose japanese (1995-2022) or total (2013-2022)"
        )
        raise UnknownNameError(msg)
    have = SERIES_YEARS[series]
    if year not in have:
        msg = (
            f"住民基本台帳の年齢別人口（{series}）は {have[0]}〜{have[-1]} 年のみで、{year} 年はありません / "
            f"年 {year}: the 住基 age files ({series}) cover {have[0]}-{have[-1]} "
            f"(住民基本台帳の年齢別人口は {have[0]}～{have[-1]} 年)"
        )
        raise UnknownNameError(msg)
    return f"juki-age-{series}-{year}"


def parse_band(label: object) -> str | None:
    """Return the band name of a header cell (``"0～4歳"`` -> ``"0_4"``), ``"all"`` for 総数.

    Returns None for a cell that is not a band (修正総数 and the like).

    Parameters
    ----------
    label
        The header cell.
    """
    text = unicodedata.normalize("NFKC", str(label)).replace(" ", "").replace("\u3000", "")
    if text == "総数":
        return "all"
    if m := re.fullmatch(r"(\d+)歳?[~〜～-](\d+)歳?", text):
        return f"{m[1]}_{m[2]}"
    if m := re.fullmatch(r"(\d+)歳以上", text):
        return f"{m[1]}_plus"
    return None


def band_label(band: str) -> str:
    """Return the Japanese label of a band (``"20_24"`` -> ``"20～24歳"``, ``"80_plus"`` -> ``"80歳以上"``).

    Parameters
    ----------
    band
        The band name.
    """
    low, _, high = band.partition("_")
    if high == "plus":
        return f"{low}歳以上"
    return f"{low}～{high}歳"


def _band_start(band: str) -> int:
    return int(band.partition("_")[0])


# --------------------------------------------------------------------------- workbooks


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _sheet(path: Path, where: str) -> list[list]:
    """Rows of the one sheet of a 住基 workbook whose top rows hold the 団体コード header."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise DataFormatError(
            f"{where}: ブックとして読めません / {where}: not a readable workbook ({exc})"
        ) from exc
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        if any("団体コード" in map(_text, r[:4]) for r in rows[:12]):
            return rows
    msg = (
        f"{where}: 団体コード のある見出しの行を持つシートがありません（シート: {book.sheet_names}） / "
        f"{where}: no sheet has a header row with 団体コード (sheets: {book.sheet_names})"
    )
    raise DataFormatError(msg)


def _first_data_row(rows: list[list], where: str) -> int:
    """Index of the national 合計 row: the first row below the headers."""
    for i, row in enumerate(rows[:15]):
        if len(row) > 1 and _text(row[1]).startswith("合計"):
            return i
    raise DataFormatError(
        f"{where}: 最初の 15 行に全国の 合計 の行がありません / "
        f"{where}: no national 合計 row in the first 15 rows"
    )


def _numbers(cells: np.ndarray, where: str, lines: list[int], codes: list[str], columns: list[str]):
    """Float values and missing reasons of a block of workbook cells.

    Numeric cells are taken as they are; text cells go through the missing-value markers of
    :data:`regionlib.readers.MARKERS`, and anything else is an error naming the cell.
    """
    values = np.full(cells.shape, np.nan)
    reasons = np.full(cells.shape, None, dtype=object)
    for (i, j), cell in np.ndenumerate(cells):
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            values[i, j] = float(cell)
            continue
        text = _text(cell).replace(",", "")
        if re.fullmatch(r"[+-]?\d+(\.\d*)?", text):
            values[i, j] = float(text)
        elif text in readers.MARKERS:
            reasons[i, j] = readers.MARKERS[text]
        else:
            msg = (
                f"{where} の {lines[i]} 行目（コード {codes[i]}）、列 '{columns[j]}': '{cell}' は数値でも既知の欠損値記号でもありません / "
                f"{where}, line {lines[i]} (code {codes[i]}), column '{columns[j]}': "
                f"'{cell}' is not a number or a known missing-value marker"
            )
            raise DataFormatError(msg)
    return values, reasons


def _table(
    values: np.ndarray,
    reasons: np.ndarray,
    codes: list[str],
    columns: list[str],
    labels: list[str],
    units: list[str],
    national: np.ndarray,
    names: list[tuple[str, str]],
    set_aside: dict[str, list[str]],
    where: str,
    dataset: str | None,
    year: str,
) -> readers.SourceTable:
    index = pd.Index(codes, name="code", dtype="str")
    items = pd.DataFrame(
        {
            "label": labels,
            "year": year,
            "unit": units,
            "additive": True,
            "national": national,
        },
        index=pd.Index(columns, name="item"),
    )
    return readers.SourceTable(
        pd.DataFrame(values, index=index, columns=columns),
        pd.DataFrame(reasons, index=index, columns=columns).astype("string"),
        items,
        pd.DataFrame(names, index=index, columns=["prefecture", "name"]),
        set_aside,
        where,
        dataset,
    )


def _finish_table(*args) -> readers.SourceTable:
    table, moved = _allocate_splits(_table(*args))
    for codes_moved, why_ja, why_en in moved:
        log(
            f"{table.source}: {codes_moved}: {why_en}",
            ja=f"{table.source}: 分割された市区町村を主な承継先にまとめました: {codes_moved}: {why_ja}",
        )
    return table


def _year_of(rows: list[list]) -> str:
    """Western year of the title row (平成7年3月31日 -> 1995)."""
    title = unicodedata.normalize("NFKC", _text(rows[0][0]) if rows and rows[0] else "")
    if m := re.search(r"(平成|令和)(\d+|元)年", title):
        number = 1 if m[2] == "元" else int(m[2])
        return str(number + (1988 if m[1] == "平成" else 2018))
    return ""


def read_age(source: str | Path) -> readers.SourceTable:
    """Read a 住基 市区町村別年齢階級別人口 workbook (any year 1995-2022).

    Parameters
    ----------
    source
        Registry name (``"juki-age-japanese-1995"``) or path.

    Returns
    -------
    SourceTable
        Items ``total``, ``male``, ``female`` (総数) and ``{sex}_{band}`` for sex ``total``,
        ``male``, ``female`` and every band of :data:`BANDS` (plus :data:`FINE_TOP` where
        the file has them); ``items["national"]`` holds the file's 合計 row.

    Raises
    ------
    DataFormatError
        On a file without a 団体コード header, bands that are not 5-year bands, an area without
        its 計/男/女 rows, duplicate codes or text in a count.
    """
    path, name, _ = readers._locate(source)
    where = path.name
    rows = _sheet(path, where)
    first = _first_data_row(rows, where)
    header = next(
        (
            r
            for r in reversed(rows[:first])
            if any(parse_band(c) not in (None, "all") for c in r[4:])
        ),
        None,
    )
    if header is None:
        raise DataFormatError(
            f"{where}: 年齢階級（0～4歳 …）の見出しの行がありません / "
            f"{where}: no header row with the age bands (0～4歳 …)"
        )
    positions = {}
    for j, cell in enumerate(header):
        band = parse_band(cell) if j >= 4 else None
        if band is not None and band not in positions:
            positions[band] = j
    bands = [b for b in positions if b != "all"]
    expected = [b for b in BANDS if b != "80_plus"]
    missing = [b for b in expected if b not in bands]
    top = "80_plus" if "80_plus" in bands else ("100_plus" if "100_plus" in bands else None)
    if missing or "all" not in positions or top is None:
        msg = (
            f"{where}: 見出しの年齢階級は {'、'.join(bands)} です。0～4歳 … 75～79歳 と 80歳以上、または 80～84歳 … 100歳以上、それに 総数 が必要です / "
            f"{where}: the header has bands {', '.join(bands)}; expected 0～4歳 … 75～79歳 and "
            "80歳以上 or 80～84歳 … 100歳以上, with 総数"
        )
        raise DataFormatError(msg)
    fine = top == "100_plus"
    if fine and any(b not in bands for b in FINE_TOP):
        raise DataFormatError(
            f"{where}: 最上位の年齢階級 {'、'.join(FINE_TOP)} がそろっていません / "
            f"{where}: the top bands {', '.join(FINE_TOP)} are incomplete"
        )
    file_bands = expected + (list(FINE_TOP) if fine else ["80_plus"])
    cols = [positions["all"]] + [positions[b] for b in file_bands]
    set_aside = readers.juki_set_aside()
    national: dict[str, np.ndarray] = {}
    groups: dict[str, dict[str, list]] = {}
    order: list[str] = []
    names: dict[str, tuple[str, str]] = {}
    lines: dict[str, int] = {}
    for i in range(first, len(rows)):
        row = rows[i]
        text = [_text(c) for c in row[:4]]
        if not any(text):
            continue
        if not text[0].isdigit() and not any(text[1:]):
            continue  # a note below the table
        sex = _SEX_ROWS.get(text[3])
        if sex is None:
            msg = (
                f"{where} の {i + 1} 行目: 性別 '{text[3]}' は 計・男・女 のどれでもありません / "
                f"{where}, line {i + 1}: 性別 '{text[3]}' is not 計, 男 or 女"
            )
            raise DataFormatError(msg)
        cells = [row[j] if j < len(row) else "" for j in cols]
        if text[1].startswith("合計") and sex not in national:
            national[sex] = np.array([c if isinstance(c, (int, float)) else np.nan for c in cells])
        code = readers.juki_row_code(text, set_aside, f"{where}, line {i + 1}")
        if code is None:
            continue
        block = groups.setdefault(code, {})
        if sex in block:
            msg = (
                f"{where}: コード {code} の {text[3]} の行が 2 つあります（{lines[code]} 行目と {i + 1} 行目） / "
                f"{where}: code {code} has two {text[3]} rows (line {lines[code]} and {i + 1})"
            )
            raise DataFormatError(msg)
        if not block:
            order.append(code)
            names[code] = (text[1].replace("\u3000", "").rstrip("*"), text[2])
            lines[code] = i + 1
        block[sex] = cells
    for kind in set_aside:  # one entry per area, not per 計/男/女 row
        set_aside[kind] = list(dict.fromkeys(set_aside[kind]))
    if not order:
        raise DataFormatError(
            f"{where}: 見出しの下に市区町村の行がありません / "
            f"{where}: no municipality rows after the header"
        )
    incomplete = [c for c in order if len(groups[c]) != 3]
    if incomplete:
        code = incomplete[0]
        msg = (
            f"{where} の {lines[code]} 行目: コード {code} の 計/男/女 の行がそろっていません / "
            f"{where}, line {lines[code]}: code {code} lacks its 計/男/女 rows"
        )
        raise DataFormatError(msg)
    if len(national) != 3:
        raise DataFormatError(
            f"{where}: 全国の 合計 の行（計/男/女）がそろっていません / "
            f"{where}: the national 合計 rows (計/男/女) are incomplete"
        )
    sexes = ("total", "male", "female")
    columns = [f"{s}_{b}" if b != "all" else s for s in sexes for b in ["all", *file_bands]]
    raw = np.array([[c for s in sexes for c in groups[code][s]] for code in order], dtype=object)
    values, reasons = _numbers(raw, where, [lines[c] for c in order], order, columns)
    nat = np.concatenate([national[s] for s in sexes]).astype(float)
    labels = [_label(c) for c in columns]
    if fine:  # the open band every year has
        width = len(file_bands) + 1
        extra_cols, extra_vals, extra_why, extra_nat = [], [], [], []
        for k, s in enumerate(sexes):
            at = [k * width + 1 + file_bands.index(b) for b in FINE_TOP]
            extra_cols.append(f"{s}_80_plus")
            extra_vals.append(values[:, at].sum(axis=1))
            why = reasons[:, at]
            extra_why.append([next((w for w in r if w is not None), None) for r in why])
            extra_nat.append(nat[at].sum())
        columns += extra_cols
        values = np.column_stack([values, *extra_vals])
        reasons = np.column_stack([reasons, *[np.array(w, dtype=object) for w in extra_why]])
        nat = np.concatenate([nat, extra_nat])
        labels += [_label(c) for c in extra_cols]
    has_reason = pd.notna(pd.DataFrame(reasons)).to_numpy()
    values[has_reason] = np.nan
    return _finish_table(
        values,
        reasons,
        order,
        columns,
        labels,
        ["人"] * len(columns),
        nat,
        [names[c] for c in order],
        set_aside,
        where,
        name,
        _year_of(rows),
    )


def _label(item: str) -> str:
    sex, _, band = item.partition("_")
    prefix = _SEX_LABELS[sex]
    if not band:
        return f"{prefix}人口（総数）" if prefix else "人口（総数）"
    return f"{prefix}人口（{band_label(band)}）"


#: 人口動態 headers (NFKC, parts joined by "/") -> item; the first pattern matching wins.
_DYNAMICS = (
    (r"人口/男", "male", "人口（男）", "人"),
    (r"人口/女", "female", "人口（女）", "人"),
    (r"人口/計", "population", "人口（計）", "人"),
    (r"^世帯数(/世帯数)?$", "households", "世帯数", "世帯"),
    (r"転入者数(\(計\))?$", "moves_in", "転入者数（計）", "人"),
    (r"出生者数$", "births", "出生者数", "人"),
    (r"転出者数(\(計\))?$", "moves_out", "転出者数（計）", "人"),
    (r"死亡者数$", "deaths", "死亡者数", "人"),
    (r"自然増(加|減)数$", "natural_change", "自然増減数", "人"),
    (r"社会増(加|減)数$", "social_change", "社会増減数", "人"),
)


def _header_paths(rows: list[list], first: int) -> list[str]:
    """Column headers of the rows above ``first`` joined by ``/`` (``人口/男``).

    Era, year and unit rows say nothing about the item and are left out; the blanks of a
    group row (cells merged over several columns) take the group label on their left; the
    last header row names the items.
    """
    width = max(len(r) for r in rows[:first])
    noise = re.compile(
        r"(平成|令和)?(\d+|元)?年度?|\d{4}年|人|世帯|%|％|団体コード|都道府県名|市区町村名"
    )
    kept = []
    for row in rows[1:first]:  # row 0 is the title
        cells = [
            unicodedata.normalize("NFKC", _text(row[j]) if j < len(row) else "")
            for j in range(width)
        ]
        cells = ["" if j < 3 or noise.fullmatch(c) else c for j, c in enumerate(cells)]
        if any(cells):
            kept.append(cells)
    for cells in kept[:-1]:
        for j in range(4, width):
            if not cells[j]:
                cells[j] = cells[j - 1]
    paths = []
    for j in range(width):
        parts: list[str] = []
        for cells in kept:
            if cells[j] and (not parts or parts[-1] != cells[j]):
                parts.append(cells[j])
        paths.append("/".join(parts))
    return paths


def read_dynamics(source: str | Path) -> readers.SourceTable:
    """Read a 住基 人口・世帯数・人口動態 workbook (any year 1995-2022).

    Parameters
    ----------
    source
        Registry name (``"juki-dynamics-japanese-1995"``) or path.

    Returns
    -------
    SourceTable
        Items ``male``, ``female``, ``population``, ``households``, ``moves_in``, ``births``,
        ``moves_out``, ``deaths``, ``natural_change``, ``social_change`` (flows of the year
        before: the fiscal year up to 2012, the calendar year from 2013);
        ``items["national"]`` holds the 合計 row.

    Raises
    ------
    DataFormatError
        On a file without a 団体コード header or without one of the items.
    """
    path, name, _ = readers._locate(source)
    where = path.name
    rows = _sheet(path, where)
    first = _first_data_row(rows, where)
    headers = _header_paths(rows, first)
    found: dict[str, int] = {}
    for pattern, item, _label_ja, _unit in _DYNAMICS:
        for j, head in enumerate(headers):
            usable = "修正" not in head and j not in found.values()
            if j >= 3 and usable and re.search(pattern, head):
                found[item] = j
                break
    lacking = [item for _, item, _, _ in _DYNAMICS if item not in found]
    if lacking:
        msg = (
            f"{where}: 見出しに {'、'.join(lacking)} の列がありません / "
            f"{where}: no column for {', '.join(lacking)} in the headers ({headers[3:]})"
        )
        raise DataFormatError(msg)
    columns = [item for _, item, _, _ in _DYNAMICS]
    cols = [found[c] for c in columns]
    set_aside = readers.juki_set_aside()
    national = None
    body, codes, lines, names = [], [], [], []
    for i in range(first, len(rows)):
        row = rows[i]
        text = [_text(c) for c in row[:3]]
        if not any(text):
            continue
        if not text[0].isdigit() and not any(text[1:]):
            continue
        cells = [row[j] if j < len(row) else "" for j in cols]
        if national is None and text[1].startswith("合計"):
            national = np.array([c if isinstance(c, (int, float)) else np.nan for c in cells])
        code = readers.juki_row_code(text, set_aside, f"{where}, line {i + 1}")
        if code is None:
            continue
        body.append(cells)
        codes.append(code)
        lines.append(i + 1)
        names.append((text[1].replace("\u3000", "").rstrip("*"), text[2]))
    if not body:
        raise DataFormatError(
            f"{where}: 見出しの下に市区町村の行がありません / "
            f"{where}: no municipality rows after the header"
        )
    readers._check_duplicates(codes, lines, where)
    values, reasons = _numbers(np.array(body, dtype=object), where, lines, codes, columns)
    spec = {item: (label, unit) for _, item, label, unit in _DYNAMICS}
    return _finish_table(
        values,
        reasons,
        codes,
        columns,
        [spec[c][0] for c in columns],
        [spec[c][1] for c in columns],
        national if national is not None else np.full(len(columns), np.nan),
        names,
        set_aside,
        where,
        name,
        _year_of(rows),
    )


# --------------------------------------------------------------------------- the panel


def _base() -> pd.Index:
    from regionlib.data import panel

    return panel._base(None).index


def _long(table: readers.SourceTable, year: int, series: str) -> pd.DataFrame:
    """Return the aligned age table of one year as long rows (the file's own bands)."""
    bands = [b for b in BANDS if b != "80_plus"]
    fine = "male_100_plus" in table.values.columns
    bands += list(FINE_TOP) if fine else ["80_plus"]
    frames = []
    codes = table.values.index.to_numpy(dtype=object)
    for sex in SEXES:
        block = table.values[[f"{sex}_{b}" for b in bands]].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "code": np.repeat(codes, len(bands)),
                    "year": year,
                    "sex": sex,
                    "band": np.tile(np.asarray(bands, dtype=object), len(codes)),
                    "population": block.ravel(),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["series"] = series
    return out


def national_check(table: readers.SourceTable, aligned: readers.SourceTable) -> dict[str, float]:
    """Differences between the file's 合計 row and the sum over today's municipalities.

    Parameters
    ----------
    table
        The file as read, with its national row.
    aligned
        The same file put on today's municipalities.

    Returns
    -------
    dict
        Item -> national total in the file minus the sum of the aligned municipalities, for the
        items where they differ.
    """
    nat = table.items["national"]
    sums = aligned.values.sum(axis=0, min_count=1)
    out = {}
    for item in aligned.values.columns:
        diff = float(nat[item]) - float(sums[item])
        if abs(diff) > 0.5:
            out[str(item)] = diff
    return out


#: Municipalities split between successors, put wholly on the one that took most residents
#: (so that national totals hold; the code history leaves a split unmatched):
#: old -> (new, why in Japanese, why in English).
SPLITS: dict[str, tuple[str, str, str]] = {
    "19341": (
        "19430",
        "上九一色村は 2006 年に分割: 南部（精進・本栖・富士ヶ嶺、住民の大半）は富士河口湖町、"
        "北部（梯・古関）は甲府市へ。住民はすべて富士河口湖町に数えます",
        "上九一色村 split in 2006: its southern part (精進・本栖・富士ヶ嶺, most residents) "
        "joined 富士河口湖町, the northern part (梯・古関) 甲府市; all its residents are "
        "counted in 富士河口湖町",
    ),
}


def _allocate_splits(
    table: readers.SourceTable,
) -> tuple[readers.SourceTable, list[tuple[str, str, str]]]:
    """Put the rows of split municipalities (:data:`SPLITS`) on their main successor.

    Returns the table and, per split moved, ``("old -> new", why in Japanese, in English)``.
    """
    index = table.values.index
    hit = [c for c in SPLITS if c in index]
    if not hit:
        return readers._finish(table), []
    values, reasons, names = table.values.copy(), table.reasons.copy(), table.names.copy()
    for old in hit:
        new = SPLITS[old][0]
        if new in values.index:  # both in the file: add the split one to its successor
            values.loc[new] = values.loc[new] + values.loc[old]
            values, reasons, names = (f.drop(index=old) for f in (values, reasons, names))
        else:
            values, reasons, names = (f.rename(index={old: new}) for f in (values, reasons, names))
    out = readers.SourceTable(
        values, reasons, table.items, names, table.set_aside, table.source, table.dataset
    )
    moved = [(f"{old} -> {SPLITS[old][0]}", SPLITS[old][1], SPLITS[old][2]) for old in hit]
    return readers._finish(out), moved


def _build(series: str, years: list[int]) -> pd.DataFrame:
    from regionlib.data import table as tables

    base = _base()
    frames = []
    report: dict[str, dict] = {}
    for year in years:
        dataset = dataset_name(series, year)
        source = read_age(dataset)
        aligned, join = tables._align(source, dataset, base)
        inside = aligned.values.index.isin(base)
        aligned = readers.SourceTable(
            aligned.values[inside],
            aligned.reasons[inside],
            aligned.items,
            aligned.names[inside],
            aligned.set_aside,
            aligned.source,
            dataset,
        )
        diff = national_check(source, aligned)
        if diff:
            # all residents: the files' own 合計 bands differ from their prefecture rows by a
            # few dozen people; the municipalities add up to the prefectures
            log(
                f"{source.source}: the file's 合計 row differs from the sum of municipalities "
                f"({', '.join(f'{k} {v:+,.0f}' for k, v in list(diff.items())[:3])})",
                WARNING if series == "japanese" else None,
                ja=f"{source.source}: 全国計と市区町村の合計が一致しません",
            )
        missing = [c for c in base if c not in aligned.values.index]
        report[str(year)] = {
            "set_aside": {k: len(v) for k, v in source.set_aside.items() if v},
            "merged": len(join.merged),
            "splits": [
                f"{o} -> {n}: {ja} / {en}" for o, (n, ja, en) in SPLITS.items() if year < 2006
            ],
            "unmatched": join.unmatched_source,
            "missing": missing,
            "national_diff": diff,
        }
        frames.append(_long(aligned, year, series))
    out = pd.concat(frames, ignore_index=True)
    for column in ("sex", "band", "series"):
        out[column] = out[column].astype("category")
    out["code"] = out["code"].astype("str")
    out.attrs = {"report_json": json.dumps(report, ensure_ascii=False)}
    return out


def _parse_years(series: str, years: str | int | Iterable[int] | None) -> list[int]:
    from regionlib.data import panel

    wanted = panel.parse_years(years)
    have = list(SERIES_YEARS.get(series, ()))
    if not have:
        dataset_name(series, 0)  # raises the error naming the series
    if wanted is None:
        return have
    for year in wanted:
        dataset_name(series, year)
    return wanted


def age_panel(
    series: str = "japanese",
    *,
    years: str | int | Iterable[int] | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Return 住基 population by 5-year band and sex on today's municipalities (long format).

    Parameters
    ----------
    series
        ``"japanese"`` (Japanese residents, 1995-2022: the series consistent over the whole
        period) or ``"total"`` (all residents, 2013-2022).
    years
        ``"1995-2022"``, ``"2015,2020"``, one year or a list; default every year of the series.
    top
        ``80`` to collapse the finer top bands of 2015-2022 into the open band ``80_plus`` (the
        bands of every year: :data:`BANDS`); default the bands each file has.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (5-digit str), ``year``, ``sex`` (``male``/``female``), ``band``
        (``"0_4"`` … ``"80_plus"`` or ``"100_plus"``), ``population`` (float: NaN where the
        source has none), ``series``. ``attrs["report"]``: year -> rows set aside by kind,
        current codes made of several source rows, source rows without a current
        municipality, current codes without a row, and the differences between the file's
        合計 row and the sum of today's municipalities (none, when every row is accounted for).

    Raises
    ------
    UnknownNameError
        For an unknown series or a year the files lack.
    """
    chosen = _parse_years(series, years)
    params: dict = {"series": series, "years": chosen}
    if top is not None:  # the collapsed panel is kept too: collapsing costs more than reading
        params["top"] = top
    product = _cache.cached(
        "age-panel",
        input_hashes(series, chosen),
        params,
        lambda: _build_collapsed(series, chosen, top),
        geometry=False,
    )
    report = json.loads(product.attrs.pop("report_json", "{}"))
    product.attrs = {"report": report}
    return product


def input_hashes(series: str, years: Iterable[int]) -> list[str]:
    """Return the cache inputs of a panel of ``years``: the files' sha256 and the code's.

    Parameters
    ----------
    series
        ``"japanese"`` or ``"total"``.
    years
        Years of the series.

    Returns
    -------
    list of str
        Hashes for :func:`regionlib.data._cache.cached`.
    """
    from regionlib.data import table as tables

    hashes = [datasets.info(dataset_name(series, y)).sha256 for y in years]
    return hashes + list(tables._code_hashes())


def _build_collapsed(series: str, years: list[int], top: int | None) -> pd.DataFrame:
    if top is None:
        return _build(series, years)
    full = age_panel(series, years=years)
    out = collapse_top(full, top)
    out.attrs = {"report_json": json.dumps(full.attrs["report"], ensure_ascii=False)}
    return out


def collapse_top(panel: pd.DataFrame, top: int = 80) -> pd.DataFrame:
    """Sum the bands from ``top`` up into one open band ``{top}_plus``.

    Parameters
    ----------
    panel
        A long table with ``band`` and ``population`` (:func:`age_panel`).
    top
        Lower bound of the open band: a multiple of 5 from 5 to 80.

    Returns
    -------
    pandas.DataFrame
        The same columns; bands above ``top`` summed per value of every other column.
    """
    if top % 5 or not 5 <= top <= 80:
        raise UnknownNameError(
            f"最上位の年齢階級 {top}: 5 から 80 までの 5 の倍数にしてください / "
            f"top band {top}: choose a multiple of 5 from 5 to 80"
        )
    # per distinct band, not per row: a national panel has 100,000 rows and 19 bands
    bands = panel["band"].astype(str)
    start_of = {b: _band_start(b) for b in bands.unique()}
    upper = bands.map(start_of) >= top
    if not upper.any():
        return panel
    keys = [c for c in panel.columns if c not in ("band", "population")]
    head = panel[~upper]
    tail = (
        panel[upper]
        .groupby(keys, observed=True, sort=False)["population"]
        .sum(min_count=1)
        .reset_index()
    )
    tail["band"] = f"{top}_plus"
    out = pd.concat([head.astype({"band": str}), tail], ignore_index=True)
    order = {b: i for i, b in enumerate(b for b in [*BANDS[:-1], *FINE_TOP, "80_plus"])}
    out["_o"] = out["band"].map({b: order.get(b, _band_start(b)) for b in out["band"].unique()})
    out = out.sort_values([*keys, "_o"], kind="stable").drop(columns="_o")
    out["band"] = out["band"].astype("category")
    return out.reset_index(drop=True)
