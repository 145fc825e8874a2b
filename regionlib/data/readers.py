"""Raw readers for the indicator sources: SSDSE-A, 主要財政指標, すがた CSV and 住基 CSV.

Each reader takes a registry dataset name (``"ssdse-a-2026"``) or a path, and returns a
:class:`SourceTable`: numeric values indexed by the 5-digit municipality code, a parallel table
of *reasons* for every missing value (``"***"`` not surveyed, ``"-"`` not obtainable, ``"X"``
suppressed, blank), per-item metadata (label, reference year, unit), and the rows that were set
aside because they are not municipalities (prefecture and national totals, designated-city
wards, 郡 totals). Readers never change a code to another municipality: mapping retired codes
is the job of :func:`regionlib.codes.update_codes`, applied when tables are joined.

Bad input raises :class:`~regionlib._errors.DataFormatError` naming the file, line and code at
fault: a file in the wrong encoding, an empty file, a file without its code column, duplicate
codes, a 6-digit code with a wrong check digit, or text in a numeric column.
"""

from __future__ import annotations

import csv
import io
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError
from regionlib._log import log
from regionlib.data import datasets
from regionlib.data.codes import normalize_code

__all__ = [
    "MARKERS",
    "SourceTable",
    "read_fiscal",
    "read_income",
    "read_juki",
    "read_ssdse",
]

#: Markers of missing values in Japanese official tables, and the reason each one keeps.
MARKERS: dict[str, str] = {
    "***": "not surveyed (***)",
    "-": "not obtainable (-)",
    "－": "not obtainable (-)",
    "X": "suppressed (X)",
    "x": "suppressed (X)",
    "…": "not obtainable (…)",
    "": "blank in source",
}

#: The reason of 将来負担比率 「－」: the resources that can be set against the future burden
#: exceed it (no net burden), as the 主要財政指標 notes say; ``future_burden_ratio_or_zero``
#: reads it as 0.
NO_NET_BURDEN = "no net burden (－: resources exceed the future burden)"

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class SourceTable:
    """Values read from one source file.

    Attributes
    ----------
    values
        Float columns (one per item), index ``code`` (5-digit str). NaN where missing.
    reasons
        Same shape as ``values``: the reason a value is missing (string), NA where present.
    items
        One row per item (column of ``values``): ``label`` (Japanese), ``year``, ``unit``,
        ``additive`` (True for counts, which are summed when municipalities merged; False for
        ratios and indices, which cannot be).
    names
        Index ``code``: ``prefecture`` and ``name`` as written in the source.
    set_aside
        Rows that are not municipalities, by kind (``"prefecture"``, ``"total"``, ``"ward"``,
        ``"district"``): lists of ``"code name"`` strings. Never summed with anything.
    source
        File name the table was read from.
    dataset
        Registry name, when read through the registry.
    """

    values: pd.DataFrame
    reasons: pd.DataFrame
    items: pd.DataFrame
    names: pd.DataFrame
    set_aside: dict[str, list[str]] = field(default_factory=dict)
    source: str = ""
    dataset: str | None = None

    def __len__(self) -> int:
        return len(self.values)


# --------------------------------------------------------------------------- helpers


def _locate(source: str | Path) -> tuple[Path, str | None, str | None]:
    """Return (path, dataset name or None, registry encoding or None)."""
    if isinstance(source, str) and source in datasets.registry():
        entry = datasets.info(source)
        return datasets.get_path(source), source, entry.encoding
    path = Path(source)
    if not path.is_file():
        msg = (
            f"'{source}' は登録データセットでも既存のファイルでもありません（regionlib data list を参照） / "
            f"'{source}' is neither a registry dataset nor an existing file "
            "(see `regionlib data list`)"
        )
        raise DataFormatError(msg)
    return path, None, None


def _decode(raw: bytes, where: str, encoding: str | None) -> str:
    """Decode ``raw``; detect UTF-8 vs cp932 when ``encoding`` is None, else check it fits.

    The one decoding of regionlib's text inputs: the sources, and the user's files
    (:mod:`regionlib.userdata`).
    """
    if not raw.strip():
        raise DataFormatError(f"{where}: ファイルが空です / {where}: the file is empty")
    utf8: str | None
    try:
        utf8 = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8 = None
        utf8_error = exc
    enc = (encoding or "").lower().replace("_", "-")
    if enc in ("", "utf-8", "utf-8-sig", "utf8"):
        if utf8 is not None:
            return utf8
        line = raw[: utf8_error.start].count(b"\n") + 1
        if encoding is None:
            try:
                return raw.decode("cp932")
            except UnicodeDecodeError:
                msg = (
                    f"{where}: UTF-8（{line} 行目で不正）でも Shift-JIS（cp932）でもありません。CSV UTF-8 で保存し直してください / "
                    f"{where}: neither UTF-8 (not valid at line {line}, byte "
                    f"{utf8_error.start}) nor Shift-JIS (cp932); save it as CSV UTF-8 and try again"
                )
                raise DataFormatError(msg) from None
        msg = (
            f"{where}: {line} 行目が UTF-8 として不正です。Shift-JIS/cp932 のファイルのようです: encoding='cp932' で読んでください / "
            f"{where}: not valid UTF-8 at line {line} (byte {utf8_error.start}); the file looks "
            "Shift-JIS/cp932 encoded: read it with encoding='cp932'"
        )
        raise DataFormatError(msg)
    if utf8 is not None and not utf8.isascii():
        msg = (
            f"{where}: 文字コードは {encoding} と指定されましたがファイルは UTF-8 です: encoding='utf-8' で読んでください / "
            f"{where}: declared {encoding} but the file is UTF-8 (Japanese text decodes as "
            "UTF-8): read it with encoding='utf-8'"
        )
        raise DataFormatError(msg)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = (
            f"{where}: {line} 行目が {encoding} として不正です。文字コードを確かめてください / "
            f"{where}: not valid {encoding} at line {line} (byte {exc.start}); check the encoding"
        )
        raise DataFormatError(msg) from exc


def _read_rows(path: Path, encoding: str | None) -> list[list[str]]:
    text = _decode(path.read_bytes(), str(path.name), encoding)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def _code5(value: str, where: str) -> str:
    """Normalise one code (int-like, 5 or 6 digits, ``R`` prefix) to a 5-digit string."""
    return normalize_code(value, source=where)


def _parse_cells(
    cells: list[list[str]], columns: list[str], where: str, lines: list[int], codes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert string cells to floats; markers become NaN with a reason; junk raises."""
    arr = np.array(cells, dtype=object).reshape(len(cells), len(columns))
    values = np.full(arr.shape, np.nan)
    reasons = np.full(arr.shape, None, dtype=object)
    for j, column in enumerate(columns):
        for i, raw in enumerate(arr[:, j]):
            text = (raw or "").replace(",", "").strip()
            if _NUMBER.match(text):
                values[i, j] = float(text)
            elif text in MARKERS:
                reasons[i, j] = MARKERS[text]
            elif text.startswith("(") and text.endswith(")") and _NUMBER.match(text[1:-1]):
                # 主要財政指標: bracketed reference values (Tokyo's special wards, FY2008-10)
                reasons[i, j] = "bracketed reference value, not comparable"
            else:
                msg = (
                    f"{where} の {lines[i]} 行目（コード {codes[i]}）、列 '{column}': '{raw}' は数値でも既知の欠損値記号でもありません。セルを直すか空にしてください / "
                    f"{where}, line {lines[i]} (code {codes[i]}), column '{column}': "
                    f"'{raw}' is not a number or a known missing-value marker "
                    f"({', '.join(repr(m) for m in MARKERS if m)}); fix or blank the cell"
                )
                raise DataFormatError(msg)
    index = pd.Index(codes, name="code", dtype="str")
    return (
        pd.DataFrame(values, index=index, columns=columns),
        pd.DataFrame(reasons, index=index, columns=columns).astype("string"),
    )


def _check_duplicates(codes: list[str], lines: list[int], where: str) -> None:
    seen: dict[str, int] = {}
    for code, line in zip(codes, lines, strict=True):
        if code in seen:
            msg = (
                f"{where}: コード {code} が 2 回出てきます（{seen[code]} 行目と {line} 行目）。重複した行を削除してください / "
                f"{where}: code {code} appears twice (lines {seen[code]} and {line}); "
                "remove the duplicate row"
            )
            raise DataFormatError(msg)
        seen[code] = line


#: kinds of the rows a reader sets aside (``SourceTable.set_aside``): (Japanese, English)
SET_ASIDE_KINDS = {
    "ward": ("政令指定都市の区", "designated-city ward"),
    "district": ("郡の合計", "郡 total"),
    "prefecture": ("都道府県の合計", "prefecture total"),
    "total": ("全国の合計", "national total"),
    "unresolved": ("照合できない名前", "unresolved name"),
    "refused": ("あいまいな名前（拒否）", "ambiguous name (refused)"),
    "special_wards": (
        "東京都特別区（23区の合算）",
        "東京都特別区 (the 23 wards together, 都区合算)",
    ),
    "subtotal": ("小計（東京都島しょ）", "subtotal (東京都島しょ)"),
    "uncoded": ("コードのない行", "row without a code"),
}


def _finish(table: SourceTable) -> SourceTable:
    n_missing = int(table.reasons.notna().to_numpy().sum())
    aside = ", ".join(f"{len(v)} {k}" for k, v in table.set_aside.items() if v)
    aside_ja = "、".join(
        f"{SET_ASIDE_KINDS.get(k, (k, k))[0]} {len(v)}" for k, v in table.set_aside.items() if v
    )
    log(
        f"{table.source}: {len(table)} municipalities, {table.values.shape[1]} items, "
        f"{n_missing} missing values" + (f"; set aside: {aside}" if aside else ""),
        ja=f"{table.source}: {len(table)} 市区町村、{table.values.shape[1]} 項目、欠損 {n_missing} 件"
        + (f"、除外: {aside_ja}" if aside else ""),
    )
    return table


# --------------------------------------------------------------------------- SSDSE-A

#: SSDSE-A items that are ratios, not counts: merged municipalities cannot be summed.
_SSDSE_RATIOS = frozenset({"D2203", "D2211"})


def read_ssdse(source: str | Path, *, encoding: str | None = None) -> SourceTable:
    """Read an SSDSE-A file (any edition 2018-2026).

    The file has three header rows: item codes, reference years, Japanese labels. The key is
    ``R`` + the 5-digit code.

    Parameters
    ----------
    source
        Registry name (``"ssdse-a-2026"``) or path of the CSV.
    encoding
        Text encoding; default the registry's, or detected (UTF-8 or cp932) for a path.

    Returns
    -------
    SourceTable
        One column per item code (``A1101`` …); ``items`` holds label and reference year.

    Raises
    ------
    DataFormatError
        On a wrong encoding, an empty file, missing header rows or code column, duplicate
        codes or text in a numeric column.
    """
    path, name, reg_encoding = _locate(source)
    where = path.name
    rows = _read_rows(path, encoding or reg_encoding)
    if len(rows) < 4:
        msg = (
            f"{where}: 見出し 3 行（項目コード・年・項目名）とデータ行が必要です / "
            f"{where}: expected 3 header rows (item code, year, label) and data rows"
        )
        raise DataFormatError(msg)
    head_codes, head_years, head_labels = rows[0], rows[1], rows[2]
    if head_labels[:1] != ["地域コード"] or not all(
        r[:1] and r[0].startswith("R") for r in rows[3:5]
    ):
        msg = (
            f"{where}: コードの列がありません。見出しの 3 行目の最初の列は 地域コード（R と 5 桁のコード）にしてください（あったのは '{head_labels[0] if head_labels else ''}'） / "
            f"{where}: no code column: the first column must be 地域コード (R + 5-digit code) "
            f"in header row 3, found '{head_labels[0] if head_labels else ''}'"
        )
        raise DataFormatError(msg)
    width = len(head_codes)
    body = [r for r in rows[3:] if any(r)]
    lines = [i + 4 for i, r in enumerate(rows[3:]) if any(r)]
    for r, line in zip(body, lines, strict=True):
        if len(r) != width:
            msg = (
                f"{where} の {line} 行目: セルが {len(r)} 個ですが見出しは {width} 個です / "
                f"{where}, line {line}: {len(r)} cells, the header has {width}"
            )
            raise DataFormatError(msg)
    codes = [_code5(r[0], f"{where}, line {line}") for r, line in zip(body, lines, strict=True)]
    _check_duplicates(codes, lines, where)
    columns = head_codes[3:]
    values, reasons = _parse_cells([r[3:] for r in body], columns, where, lines, codes)
    items = pd.DataFrame(
        {
            "label": head_labels[3:],
            "year": head_years[3:],
            "unit": None,
            "additive": [c not in _SSDSE_RATIOS for c in columns],
        },
        index=pd.Index(columns, name="item"),
    )
    names = pd.DataFrame(
        {"prefecture": [r[1] for r in body], "name": [r[2] for r in body]}, index=values.index
    )
    return _finish(SourceTable(values, reasons, items, names, {}, where, name))


# --------------------------------------------------------------------------- 住基


_JUKI_COLUMNS = {
    # position in the full 2016-2020 layout -> item
    5: ("population", "人口（計）", "人"),
    6: ("households", "世帯数", "世帯"),
    9: ("moves_in", "転入者数（計）", "人"),
    10: ("births", "出生者数", "人"),
    15: ("moves_out", "転出者数（計）", "人"),
    16: ("deaths", "死亡者数", "人"),
    21: ("natural_change", "自然増減数", "人"),
    23: ("social_change", "社会増減数", "人"),
}


#: 住基 rows that sum several municipalities without being a 郡 (never kept as municipalities).
_JUKI_SUBTOTALS = frozenset({"島しょ"})


def juki_set_aside() -> dict[str, list[str]]:
    """Return the empty lists of rows a 住基 table sets aside, by kind."""
    return {
        "total": [],
        "prefecture": [],
        "ward": [],
        "district": [],
        "subtotal": [],
        "uncoded": [],
    }


def juki_row_code(row: list[str], set_aside: dict[str, list[str]], where: str) -> str | None:
    """Return the 5-digit code of a 住基 data row, or None for a row that is set aside.

    The one rule of every 住基 layout (CSV and workbooks, 1995-2022): the national 合計 row,
    prefecture rows (``010006``), 郡 total rows (made-up codes), 東京都 島しょ, rows without a
    code (the 北方領土 villages, never with residents) and designated-city wards are recorded in ``set_aside`` and never kept as municipalities.

    Parameters
    ----------
    row
        Cells as text: code (6 digits), prefecture, municipality name, ...
    set_aside
        Lists by kind (:func:`juki_set_aside`), appended to.
    where
        File and line, for the error of a bad code.

    Returns
    -------
    str or None
        The code, or None when the row was set aside.
    """
    raw_code = row[0]
    pref = row[1].strip().rstrip("*").strip() if len(row) > 1 else ""
    muni = row[2].strip().rstrip("*").strip() if len(row) > 2 else ""
    muni = "" if muni == "-" else muni
    if pref == "合計":
        set_aside["total"].append(f"{raw_code or '-'} {pref}")
        return None
    if raw_code in ("", "-") and muni in _JUKI_SUBTOTALS:
        set_aside["subtotal"].append(f"- {pref}{muni}")
        return None
    if raw_code in ("", "-"):  # 北方領土 villages (no code, no residents) and the like
        set_aside["uncoded"].append(f"- {pref}{muni}")
        return None
    if len(raw_code) == 6 and raw_code[2:5] == "000":
        set_aside["prefecture"].append(f"{raw_code[:5]} {pref}")
        return None
    if re.fullmatch(r".+郡", muni):  # 郡 total row: a made-up code, not a municipality
        set_aside["district"].append(f"{raw_code} {pref}{muni}")
        return None
    if muni in _JUKI_SUBTOTALS:  # 東京都島しょ: the sum of the nine island municipalities
        set_aside["subtotal"].append(f"{raw_code} {pref}{muni}")
        return None
    code = _code5(raw_code, where)
    if code[2] == "1" and code[:2] != "13" and re.fullmatch(r".+市.+区", muni):
        set_aside["ward"].append(f"{code} {muni}")
        return None
    return code


def read_juki(source: str | Path, *, encoding: str | None = None) -> SourceTable:
    """Read a 住民基本台帳 population CSV (``市区町村別人口_YYYY.csv``).

    Codes are 6 digits (5 + check digit, validated). Prefecture and national rows, designated-city
    wards and 郡 total rows (made-up codes) are set aside, never kept as municipalities.

    Parameters
    ----------
    source
        Registry name (``"juki-2020"``) or path.
    encoding
        Text encoding; default the registry's, or detected for a path.

    Returns
    -------
    SourceTable
        Items ``population`` and, in the 2016-2020 layout, ``households``, ``moves_in``,
        ``births``, ``moves_out``, ``deaths``, ``natural_change`` and ``social_change``
        (previous calendar year).

    Raises
    ------
    DataFormatError
        On bad encoding, empty file, missing 団体コード header, wrong check digit, duplicates
        or junk in a numeric column.
    """
    path, name, reg_encoding = _locate(source)
    where = path.name
    rows = _read_rows(path, encoding or reg_encoding)
    # the last header row starting with 団体コード (within the preamble) precedes the data
    heads = [i for i, r in enumerate(rows[:20]) if r[:1] == ["団体コード"]]
    if not heads:
        raise DataFormatError(
            f"{where}: コードの列がありません。団体コード で始まる見出しの行がありません / "
            f"{where}: no code column: no header row starting with 団体コード"
        )
    header_at = heads[-1]
    short = len(rows[header_at]) < 10  # 2021/2022 layout: code, prefecture, name, population
    spec = {3: _JUKI_COLUMNS[5]} if short else _JUKI_COLUMNS
    set_aside = juki_set_aside()
    body, lines, codes = [], [], []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(row):
            continue
        if not row[0].isdigit() and not any(row[1:]):
            continue  # a note below the table (注：…)
        code = juki_row_code(row, set_aside, f"{where}, line {i}")
        if code is None:
            continue
        body.append(row)
        lines.append(i)
        codes.append(code)
    if not body:
        raise DataFormatError(
            f"{where}: 見出しの下に市区町村の行がありません / "
            f"{where}: no municipality rows after the header"
        )
    _check_duplicates(codes, lines, where)
    positions = [p for p in spec if all(len(r) > p for r in body)]
    columns = [spec[p][0] for p in positions]
    cells = [[r[p] for p in positions] for r in body]
    values, reasons = _parse_cells(cells, columns, where, lines, codes)
    year = re.search(r"(\d{4})", where)
    items = pd.DataFrame(
        {
            "label": [spec[p][1] for p in positions],
            "year": [year.group(1) if year else "" for _ in positions],
            "unit": [spec[p][2] for p in positions],
            "additive": True,
        },
        index=pd.Index(columns, name="item"),
    )
    names = pd.DataFrame(
        {"prefecture": [r[1] for r in body], "name": [r[2] for r in body]}, index=values.index
    )
    return _finish(SourceTable(values, reasons, items, names, set_aside, where, name))


# --------------------------------------------------------------------------- すがた income


def read_income(source: str | Path, *, encoding: str | None = None) -> SourceTable:
    """Read a 統計でみる都道府県・市区町村のすがた CSV (the income extract).

    The file has a preamble; its header row starts with ``調査年 コード``. Codes are integers
    without the leading zero; designated-city ward rows (all ``-``) are set aside.

    Parameters
    ----------
    source
        Registry name (``"income-2020"``) or path.
    encoding
        Text encoding; default the registry's, or detected for a path.

    Returns
    -------
    SourceTable
        One column per item code (``C120110`` taxable income in 千円, ``C120120`` taxpayers).

    Raises
    ------
    DataFormatError
        On bad encoding, empty file, missing ``地域 コード`` column, duplicates or junk.
    """
    path, name, reg_encoding = _locate(source)
    where = path.name
    rows = _read_rows(path, encoding or reg_encoding)
    header_at = next((i for i, r in enumerate(rows) if "地域 コード" in r), None)
    if header_at is None:
        raise DataFormatError(
            f"{where}: コードの列がありません。'地域 コード' のある見出しの行がありません / "
            f"{where}: no code column: no header row with '地域 コード'"
        )
    header = rows[header_at]
    key = header.index("地域 コード")
    name_col = header.index("地域") if "地域" in header else key + 1
    item_cols = [j for j, h in enumerate(header) if re.match(r"^[A-Z]\d+_", h)]
    if not item_cols:
        raise DataFormatError(
            f"{where}: 項目の列がありません（'C120110_…【千円】' のような見出し） / "
            f"{where}: no item columns (headers like 'C120110_…【千円】')"
        )
    set_aside: dict[str, list[str]] = {"ward": [], "prefecture": [], "total": []}
    body, lines, codes = [], [], []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(row):
            continue
        code = _code5(row[key], f"{where}, line {i}")
        label = row[name_col]
        if code.endswith("000"):
            set_aside["prefecture" if code != "00000" else "total"].append(f"{code} {label}")
            continue
        parts = label.split()
        if len(parts) >= 3 and parts[-1].endswith("区") and parts[-2].endswith("市"):
            set_aside["ward"].append(f"{code} {label}")
            continue
        body.append(row)
        lines.append(i)
        codes.append(code)
    _check_duplicates(codes, lines, where)
    columns = [header[j].split("_", 1)[0] for j in item_cols]
    values, reasons = _parse_cells(
        [[r[j] for j in item_cols] for r in body], columns, where, lines, codes
    )
    year = re.search(r"(\d{4})", body[0][1]) if body else None
    labels = [header[j].split("_", 1)[1] for j in item_cols]
    items = pd.DataFrame(
        {
            "label": [re.sub(r"【.*】", "", x) for x in labels],
            "year": [year.group(1) if year else "" for _ in item_cols],
            "unit": [m.group(1) if (m := re.search(r"【(.*)】", x)) else None for x in labels],
            "additive": True,
        },
        index=pd.Index(columns, name="item"),
    )
    split = [r[name_col].split(maxsplit=1) for r in body]
    names = pd.DataFrame(
        {"prefecture": [s[0] for s in split], "name": [s[-1] for s in split]}, index=values.index
    )
    return _finish(SourceTable(values, reasons, items, names, set_aside, where, name))


# --------------------------------------------------------------------------- 主要財政指標

_FISCAL_ITEMS = {
    "財政力指数": "fiscal_strength_index",
    "経常収支比率": "current_balance_ratio",
    "実質公債費比率": "real_debt_service_ratio",
    "将来負担比率": "future_burden_ratio",
    "ラスパイレス指数": "laspeyres_index",
    "起債制限比率": "bond_restriction_ratio",
}
_ERA = {"H": 1988, "R": 2018}


def _fiscal_member(year: int) -> str:
    era = "R" if year >= 2019 else "H"
    number = year - _ERA[era]
    return f"indices/city/{era}{number}.{'xlsx' if year >= 2016 else 'xls'}"


def _sheet_rows(data: bytes, suffix: str, where: str) -> list[list[str]]:
    """First worksheet as rows of strings (xlrd for .xls, openpyxl for .xlsx)."""

    # Read the workbook directly: pandas' xlrd engine emits a deprecation warning.
    def text(v) -> str:
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return str(v).strip()

    try:
        if suffix == ".xls":
            import xlrd

            sheet = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
            return [[text(c) for c in sheet.row_values(i)] for i in range(sheet.nrows)]
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [
                [text(c) for c in row] for row in book.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            book.close()
    except Exception as exc:
        if not data:
            raise DataFormatError(
                f"{where}: ファイルが空です / {where}: the file is empty"
            ) from exc
        raise DataFormatError(
            f"{where}: {suffix} のブックとして読めません / "
            f"{where}: not a readable {suffix} workbook ({exc})"
        ) from exc


def read_fiscal(source: str | Path | int) -> SourceTable:
    """Read a 全市町村の主要財政指標 workbook (FY2005-FY2021).

    A title row sits above the header. FY2011 onwards carries 6-digit 団体コード (check digit
    validated); FY2005-FY2010 files have no code column and are keyed by prefecture and name,
    matched to codes through :func:`regionlib.data.match.match_names` (variant kanji, 郡, names
    of that year; names that match nothing are set aside under ``"unresolved"``, ambiguous ones
    under ``"refused"``, each with its reason). Codes are those of the fiscal year
    (FY2015 and earlier use pre-2016 codes); map them with :func:`regionlib.codes.update_codes`.

    Parameters
    ----------
    source
        A fiscal year (2005-2021; 2021 is read from the ``fiscal-archive`` tarball), a registry
        name (``"fiscal-fy2020"``) or a path of an .xls/.xlsx file.

    Returns
    -------
    SourceTable
        Columns ``fiscal_strength_index``, ``current_balance_ratio``,
        ``real_debt_service_ratio``, ``future_burden_ratio``, ``laspeyres_index`` (those present
        that year).

    Raises
    ------
    DataFormatError
        On an unreadable workbook, missing header, wrong check digit, duplicates or junk.
    """
    year: int | None = None
    if isinstance(source, int):
        year = source
        if not 2005 <= year <= 2021:
            raise DataFormatError(
                f"{year} 年度のデータはありません（2005〜2021 年度のみ） / "
                f"fiscal year {year}: available FY2005-FY2021"
            )
        if year == 2021:
            archive = datasets.get_path("fiscal-archive")
            member = _fiscal_member(year)
            with tarfile.open(archive, "r:gz") as tar:
                handle = tar.extractfile(member)
                if handle is None:
                    raise DataFormatError(
                        f"{archive.name}: {member} が入っていません / "
                        f"{archive.name}: no member {member}"
                    )
                data = handle.read()
            where, suffix, name = f"{archive.name}:{member}", ".xlsx", "fiscal-archive"
        else:
            source = f"fiscal-fy{year}"
    if year is None or year != 2021:
        path, name, _ = _locate(source)
        data, where, suffix = path.read_bytes(), path.name, path.suffix.lower()
        if year is None:
            m = re.match(r"([HR])(\d+)", path.name)
            year = _ERA[m.group(1)] + int(m.group(2)) if m else None
    rows = _sheet_rows(data, suffix, where)
    header_at = next((i for i, r in enumerate(rows[:10]) if "団体名" in r), None)
    if header_at is None:
        raise DataFormatError(
            f"{where}: 最初の 10 行に 団体名 のある見出しの行がありません / "
            f"{where}: no header row with 団体名 in the first 10 rows"
        )
    header = [h.replace("\n", "") for h in rows[header_at]]
    has_code = "団体コード" in header
    pos_pref, pos_name = header.index("都道府県名"), header.index("団体名")
    item_pos = {j: _FISCAL_ITEMS[h] for j, h in enumerate(header) if h in _FISCAL_ITEMS}
    set_aside: dict[str, list[str]] = {"total": [], "unresolved": [], "refused": []}
    body, lines, codes = [], [], []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        row = row + [""] * (len(header) - len(row))
        label = f"{row[pos_pref]}{row[pos_name]}"
        if not row[pos_name] and not (has_code and row[0].isdigit()):
            continue  # notes below the table, blank rows
        if "平均" in label or "全国" in row[pos_pref]:
            set_aside["total"].append(label)
            continue
        body.append(row)
        lines.append(i)
        codes.append(
            _code5(row[header.index("団体コード")], f"{where}, line {i}") if has_code else ""
        )
    if not has_code:  # FY2005-FY2010: prefecture + name, through the matcher
        body, lines, codes = _match_rows(
            body, lines, pos_pref, pos_name, f"{(year or 2005) + 1}-03-31", where, set_aside
        )
    if not body and not set_aside["unresolved"]:
        raise DataFormatError(
            f"{where}: 見出しの下に行がありません / {where}: no rows below the header"
        )
    _check_duplicates(codes, lines, where)
    columns = list(item_pos.values())
    values, reasons = _parse_cells(
        [[r[j] for j in item_pos] for r in body], columns, where, lines, codes
    )
    labels = [header[j] for j in item_pos]
    if "future_burden_ratio" in values:  # 「－」: resources exceed the burden, not unknown
        dash = (reasons["future_burden_ratio"] == MARKERS["-"]).fillna(False).to_numpy(bool)
        reasons.loc[dash, "future_burden_ratio"] = NO_NET_BURDEN
        values["future_burden_ratio_or_zero"] = values["future_burden_ratio"].where(~dash, 0.0)
        reasons["future_burden_ratio_or_zero"] = reasons["future_burden_ratio"].where(~dash)
        columns.append("future_burden_ratio_or_zero")
        labels.append("将来負担比率（「－」を0として）")
    units = {"fiscal_strength_index": "", "laspeyres_index": ""}
    items = pd.DataFrame(
        {
            "label": labels,
            "year": [str(year or "") for _ in columns],
            "unit": [units.get(c, "%") for c in columns],
            "additive": False,
        },
        index=pd.Index(columns, name="item"),
    )
    names = pd.DataFrame(
        {"prefecture": [r[pos_pref] for r in body], "name": [r[pos_name] for r in body]},
        index=values.index,
    )
    return _finish(SourceTable(values, reasons, items, names, set_aside, where, name))


def _match_rows(
    body: list[list[str]],
    lines: list[int],
    pos_pref: int,
    pos_name: int,
    as_of: str,
    where: str,
    set_aside: dict[str, list[str]],
) -> tuple[list[list[str]], list[int], list[str]]:
    """Codes of rows keyed by prefecture and name (:mod:`regionlib.data.match`).

    Rows that match no municipality go to ``set_aside["unresolved"]``, ambiguous ones to
    ``set_aside["refused"]``, wards and totals to their kinds, each with the reason.
    """
    from regionlib.data import match

    found = match.match_names(
        [r[pos_name] for r in body], [r[pos_pref] for r in body], rows=lines, as_of=as_of
    )
    kept_body, kept_lines, kept_codes = [], [], []
    for row, line, m in zip(body, lines, found, strict=True):
        if m.status == "matched":
            kept_body.append(row)
            kept_lines.append(line)
            kept_codes.append(str(m.code))
            continue
        kind = "refused" if m.status == "refused" else _aside_kind(m.reason)
        set_aside.setdefault(kind, []).append(f"line {line}: {m.text} ({m.reason})")
    n_bad = len(set_aside.get("unresolved", [])) + len(set_aside.get("refused", []))
    if n_bad:
        log(
            f"{where}: {n_bad} rows not matched to a municipality (see the join report)",
            ja=f"{where}: {n_bad} 行を市区町村に照合できませんでした（結合の記録を参照）",
        )
    return kept_body, kept_lines, kept_codes


def _aside_kind(reason: str) -> str:
    """Set-aside kind of a matcher reason (the join report's categories)."""
    if reason.startswith("designated-city ward"):
        return "ward"
    if reason in ("total row",):
        return "total"
    if reason == "prefecture row":
        return "prefecture"
    return "unresolved"
