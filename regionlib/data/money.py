"""Readers of the money sources: ふるさと納税, 普通交付税 and 基準財政需要額 / 収入額.

Each reader returns a :class:`regionlib.readers.SourceTable` like the other sources (values by
the code valid in the file's year, reasons for every missing value, items with label, year,
unit and additivity, rows set aside), so the catalogue, series, maps, peers and profiles use
them as any indicator. ふるさと納税 amounts are in 円, as in the files keyed by code (the
rough file's 千円 are multiplied by 1,000, so receipts and deductions of every year share one
unit); 交付税, 需要額 and 収入額 are in 千円, as published.

- :func:`read_furusato_receipts`: 受入件数, 受入額, those from outside the municipality and the
  costs of collecting them (決算見込), FY2016-FY2020, keyed by 6-digit code.
- :func:`read_furusato_rough`: 受入額 and 件数 FY2008-FY2020, keyed by prefecture and name.
- :func:`read_furusato_deductions`: 市町村民税 寄附金税額控除 for ふるさと納税 (the outflow).
  File ``H28_loss.xlsx`` is the residence tax of FY2016 (平成28年度課税), which deducts the
  donations made in calendar 2015; 総務省 sets it against the receipts of FY2015. Keyed by name.
- :func:`read_koufuzei`: 普通交付税 決定額 FY2015-FY2022, keyed by name (prefecture in merged
  cells). Tokyo's 23 special wards have no row: 交付税 is computed for 東京都 and the wards
  together (都区合算); they get that reason.
- :func:`read_koufuzei_items`: 基準財政需要額 by item (``demand`` files) or 基準財政収入額 by tax
  (``income`` files), FY2015-FY2022, keyed by code (``C`` + 6 digits + suffix).

Cells that are not numbers (text, footnote marks such as ※, the markers －, …) and negative
amounts are missing with the reason naming the cell; rows that are not municipalities, or
whose name matches none or several, are set aside with the reason (see
:mod:`regionlib.data.match`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError
from regionlib.data import codes as _codes
from regionlib.data import datasets, match
from regionlib.data.readers import MARKERS, SourceTable, _aside_kind, _check_duplicates, _finish

__all__ = [
    "KOUFUZEI_WARDS_REASON",
    "check_fiscal_strength",
    "read_furusato_deductions",
    "read_furusato_receipts",
    "read_furusato_rough",
    "read_koufuzei",
    "read_koufuzei_items",
]

#: Why Tokyo's special wards have no 普通交付税 of their own.
KOUFUZEI_WARDS_REASON = (
    "特別区: 交付税, 需要額 and 収入額 are computed for 東京都 and the 23 wards together (都区合算)"
)
_WAREKI = {"H": 1988, "R": 2018}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# --------------------------------------------------------------------------- helpers


def _path(source: str | Path) -> tuple[Path, str | None]:
    if isinstance(source, str) and source in datasets.registry():
        return datasets.get_path(source), source
    path = Path(source)
    if not path.is_file():
        raise DataFormatError(
            f"'{source}' は登録データセットでも既存のファイルでもありません / "
            f"'{source}' is neither a registry dataset nor an existing file"
        )
    return path, None


def _sheets(path: Path) -> Iterator[list[list]]:
    """Yield the sheets of a workbook (.xls or .xlsx) as rows of cell values, one at a time."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
    except Exception as exc:
        if path.is_file() and path.stat().st_size == 0:
            raise DataFormatError(
                f"{path.name}: ファイルが空です / {path.name}: the file is empty"
            ) from exc
        raise DataFormatError(
            f"{path.name}: ブックとして読めません / {path.name}: not a readable workbook ({exc})"
        ) from exc
    for name in names:
        try:
            rows = book.get_sheet_by_name(name).to_python()
        except Exception as exc:
            raise DataFormatError(
                f"{path.name}: シート {name} を読めません / "
                f"{path.name}: sheet {name} is not readable ({exc})"
            ) from exc
        yield rows


def _text(cell: object) -> str:
    if cell is None or cell == "":
        return ""
    return "".join(unicodedata.normalize("NFKC", str(cell)).split())


def _cell(value: object) -> tuple[float, str | None]:
    """(value, None) for a number, else (NaN, reason). Negative amounts are refused."""
    if isinstance(value, bool):
        return np.nan, f"not a number: {value!r}"
    if isinstance(value, int | float):
        number = float(value)
    else:
        raw = str(value if value is not None else "").strip()
        text = raw.replace(",", "")
        if text in MARKERS:
            return np.nan, MARKERS[text]
        if not _NUMBER.match(text):
            return np.nan, f"not a number: '{raw}'"
        number = float(text)
    if np.isnan(number):
        return np.nan, MARKERS[""]
    if number < 0:
        return np.nan, f"negative amount: {number:g}"
    return number, None


def _labels(rows: list[list], top: int, bottom: int) -> list[str]:
    """Column labels of a multi-row header: the cells above each column, joined by ``|``.

    A merged header cell spans the columns to its right: every header row but the last
    is filled rightwards (②…市区町村外から over both 寄附件数 and 寄附金額).
    """
    width = max(len(r) for r in rows[top:bottom])
    grid = [[_text(r[j]) if j < len(r) else "" for j in range(width)] for r in rows[top:bottom]]
    grid = [g for g in grid if any(g)]
    original = [list(g) for g in grid]
    for r, g in enumerate(grid[:-1]):
        for j in range(1, width):
            # a merged cell spans rightwards until a header cell starts above or at its level
            if not g[j] and not any(original[k][j] for k in range(r + 1)):
                g[j] = g[j - 1]
    return ["|".join(dict.fromkeys(g[j] for g in grid if g[j])) for j in range(width)]


def _table(
    records: list[tuple[str, int, str, str, list[object]]],
    items: list[tuple[str, str, str, float]],
    where: str,
    dataset: str | None,
    set_aside: dict[str, list[str]],
    year: int,
) -> SourceTable:
    """Build a SourceTable from (code, line, prefecture, name, cells) and item specs.

    ``items``: (item, label, unit, scale) per cell; values are multiplied by ``scale``.
    """
    codes = [r[0] for r in records]
    lines = [r[1] for r in records]
    _check_duplicates(codes, lines, where)
    n, k = len(records), len(items)
    raw = pd.DataFrame([r[4] for r in records], columns=range(k), dtype=object)
    values = raw.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, copy=True)
    values = values.reshape(n, k)
    reasons = np.full((n, k), None, dtype=object)
    # numbers are taken as read; every other cell (text, markers, blanks, negatives) by _cell
    for i, j in zip(*np.nonzero(~(values >= 0)), strict=True):
        v, why = _cell(raw.iat[i, j])
        values[i, j] = v
        if why is not None:
            reasons[i, j] = f"{why} (line {lines[i]})"
    values = values * np.array([it[3] for it in items], dtype=float)
    index = pd.Index(codes, name="code", dtype="str")
    columns = [it[0] for it in items]
    table = SourceTable(
        pd.DataFrame(values, index=index, columns=columns),
        pd.DataFrame(reasons, index=index, columns=columns).astype("string"),
        pd.DataFrame(
            {
                "label": [it[1] for it in items],
                "year": str(year),
                "unit": [it[2] for it in items],
                "additive": True,
            },
            index=pd.Index(columns, name="item"),
        ),
        pd.DataFrame(
            {"prefecture": [r[2] for r in records], "name": [r[3] for r in records]},
            index=index,
        ),
        set_aside,
        where,
        dataset,
    )
    return _finish(table)


def _by_name(
    body: list[tuple[int, str, str, list[object]]], as_of: str, set_aside: dict[str, list[str]]
) -> list[tuple[str, int, str, str, list[object]]]:
    """Match (line, prefecture, name, cells) rows by name; set the others aside with reasons."""
    found = match.match_names(
        [b[2] for b in body], [b[1] for b in body], rows=[b[0] for b in body], as_of=as_of
    )
    prefs = match.fill_down([b[1] for b in body])
    out = []
    for (line, _, name, cells), pref, m in zip(body, prefs, found, strict=True):
        if m.status == "matched":
            out.append((str(m.code), line, pref, name, cells))
        else:
            kind = "refused" if m.status == "refused" else _aside_kind(m.reason)
            set_aside.setdefault(kind, []).append(f"line {line}: {m.text} ({m.reason})")
    return out


def _year_of(path: Path, pattern: str) -> int:
    m = re.search(pattern, path.name)
    if m is None:
        raise DataFormatError(
            f"{path.name}: ファイル名から年度が分かりません / "
            f"{path.name}: cannot tell the fiscal year from the file name"
        )
    if m.group(1) in _WAREKI:
        return _WAREKI[m.group(1)] + int(m.group(2))
    return int(m.group(1))


# --------------------------------------------------------------------------- ふるさと納税


def read_furusato_receipts(source: str | Path) -> SourceTable:
    """Read a ふるさと納税 受入額 file (``H28_gain.xlsx`` … ``R2_gain.xlsx``, FY2016-FY2020).

    Parameters
    ----------
    source
        Registry name (``"furusato-receipts-fy2020"``) or path.

    Returns
    -------
    SourceTable
        Items ``donations`` (件), ``receipts`` (円), ``donations_outside`` and
        ``receipts_outside`` (from outside the municipality: 市区町村外), ``costs`` (the costs
        of collecting them, 決算見込, 円). Prefecture rows are set aside.

    Raises
    ------
    DataFormatError
        On an unreadable workbook or one without its header or code column.
    """
    path, dataset = _path(source)
    where = path.name
    year = _year_of(path, r"([HR])(\d+)_gain")
    rows = next(_sheets(path))
    top = next((i for i, r in enumerate(rows[:30]) if "団体コード" in _text(r[0])), None)
    if top is None:
        raise DataFormatError(
            f"{where}: 最初の列に 団体コード のある見出しの行がありません / "
            f"{where}: no header row with 団体コード in its first column"
        )
    first = next(
        (i for i in range(top + 1, len(rows)) if re.fullmatch(r"\d{6}", _text(rows[i][0]))), None
    )
    if first is None:
        raise DataFormatError(
            f"{where}: 見出しの下に 6 桁の 団体コード の行がありません / "
            f"{where}: no rows with a 6-digit 団体コード below the header"
        )
    labels = _labels(rows, top, first)
    costs_from = next((j for j, lab in enumerate(labels) if "Ⅱ" in lab), None)

    def col(test, start=0, what=""):
        hit = next((j for j, lab in enumerate(labels) if j >= start and test(lab)), None)
        if hit is None:
            raise DataFormatError(
                f"{where}: 見出しに {what} の列がありません / "
                f"{where}: no column {what} in the header"
            )
        return hit

    spec = [
        (col(lambda s: s.endswith("寄附件数"), what="寄附件数"), "donations", "寄附件数", "件", 1),
        (col(lambda s: s.endswith("寄附金額"), what="寄附金額"), "receipts", "寄附金額", "円", 1),
        (
            col(lambda s: "市区町村外" in s and s.endswith("寄附件数"), what="②寄附件数"),
            "donations_outside",
            "寄附件数（市区町村外から）",
            "件",
            1,
        ),
        (
            col(lambda s: "市区町村外" in s and s.endswith("寄附金額"), what="②寄附金額"),
            "receipts_outside",
            "寄附金額（市区町村外から）",
            "円",
            1,
        ),
        (
            col(lambda s: s.endswith("合計") and "割合" not in s, costs_from or 0, "費用 合計"),
            "costs",
            "募集に要した費用（合計、決算見込）",
            "円",
            1,
        ),
    ]
    set_aside: dict[str, list[str]] = {"prefecture": []}
    records = []
    for i in range(first, len(rows)):
        row = rows[i]
        code6 = _text(row[0]) if row else ""
        if not code6:
            continue
        line = i + 1
        code = _codes.normalize_code(code6, source=f"{where}, line {line}")
        if code.endswith("000"):
            set_aside["prefecture"].append(f"{code} {_text(row[1])}")
            continue
        cells = [row[j] if j < len(row) else "" for j, *_ in spec]
        records.append((code, line, _text(row[1]), _text(row[2]), cells))
    items = [(item, label, unit, scale) for _, item, label, unit, scale in spec]
    return _table(records, items, where, dataset, set_aside, year)


def read_furusato_rough(source: str | Path = "furusato-receipts-rough") -> SourceTable:
    """Read ``total_gain.xlsx``: ふるさと納税 受入額 and 件数 FY2008-FY2020 by name.

    Parameters
    ----------
    source
        Registry name or path.

    Returns
    -------
    SourceTable
        Items ``receipts_YYYY`` (円; 千円 in the file) and ``donations_YYYY`` (件) for every fiscal year of the
        header; codes of today's municipalities (the file uses today's names).
    """
    path, dataset = _path(source)
    where = path.name
    rows = next(_sheets(path))
    top = next((i for i, r in enumerate(rows[:10]) if _text(r[0]) == "団体名"), None)
    if top is None:
        raise DataFormatError(
            f"{where}: 団体名 で始まる見出しの行がありません / "
            f"{where}: no header row starting with 団体名"
        )
    years: list[int] = []
    for j, cell in enumerate(rows[top]):
        m = re.fullmatch(r"(平成|令和)(\d+|元)年度", _text(cell))
        if m:
            n = 1 if m.group(2) == "元" else int(m.group(2))
            years.append((1988 if m.group(1) == "平成" else 2018) + n)
            if j != 2 * len(years):  # amount, count pairs from column 2
                raise DataFormatError(
                    f"{where}: {j + 1} 列目の年 {_text(cell)} は {2 * len(years) + 1} 列目にあるはずです / "
                    f"{where}: year {_text(cell)} in column {j + 1}, not {2 * len(years) + 1}"
                )
    sub = next(i for i in range(top + 1, top + 5) if "金額" in map(_text, rows[i]))
    items, cols = [], []
    for k, y in enumerate(years):
        amount, count = 2 + 2 * k, 3 + 2 * k
        if _text(rows[sub][amount]) != "金額" or _text(rows[sub][count]) != "件数":
            raise DataFormatError(
                f"{where}: {sub + 1} 行目の {y} の下に 金額・件数 がありません / "
                f"{where}: expected 金額, 件数 under {y} in row {sub + 1}"
            )
        items += [
            (f"receipts_{y}", f"ふるさと納税受入額（{y}年度）", "円", 1000.0),
            (f"donations_{y}", f"ふるさと納税受入件数（{y}年度）", "件", 1.0),
        ]
        cols += [amount, count]
    body = []
    for i in range(sub + 1, len(rows)):
        row = rows[i]
        if not any(_text(c) for c in row[:2]):
            continue
        body.append((i + 1, _text(row[0]), _text(row[1]), [row[j] for j in cols]))
    set_aside: dict[str, list[str]] = {}
    records = _by_name(body, "2021-03-31", set_aside)
    return _table(records, items, where, dataset, set_aside, years[-1])


def read_furusato_deductions(source: str | Path) -> SourceTable:
    """Read a ふるさと納税 控除額 file (``H28_loss.xlsx`` … ``R3_loss.xlsx``) by name.

    ``H28_loss.xlsx`` is the residence tax of FY2016 (平成28年度課税): it deducts the
    donations made in calendar 2015 (2015年中の寄附). The item year is the tax year; the
    catalogue sets it against the receipts of the fiscal year before, as 総務省 does.

    Parameters
    ----------
    source
        Registry name (``"furusato-deductions-fy2021"``) or path.

    Returns
    -------
    SourceTable
        Items ``deduction_persons`` (人: residents whose 市町村民税 was reduced),
        ``deduction_donations`` (their donations, 円) and ``deduction`` (市町村民税 控除額,
        推計を含む, 円).
    """
    path, dataset = _path(source)
    where = path.name
    tax_year = _year_of(path, r"([HR])(\d+)_loss")
    top, rows = None, []
    for rows in _sheets(path):  # R2_loss.xlsx opens with the blank survey form
        top = next((i for i, r in enumerate(rows[:20]) if r and _text(r[0]) == "都道府県"), None)
        if top is not None:
            break
    if top is None:
        raise DataFormatError(
            f"{where}: 都道府県 で始まる見出しの行を持つシートがありません / "
            f"{where}: no sheet with a header row starting with 都道府県"
        )
    first = next(
        i
        for i in range(top + 1, len(rows))
        if _text(rows[i][1]) and isinstance(rows[i][2], int | float)
    )
    labels = _labels(rows, top, first)
    group = next(
        (
            j
            for j, lab in enumerate(labels)
            if any(p.startswith("ふるさと納税に係る寄附金") for p in lab.split("|"))
        ),
        None,
    )
    if group is None:
        raise DataFormatError(
            f"{where}: ふるさと納税に係る寄附金税額控除 の列のまとまりがありません / "
            f"{where}: no column group ふるさと納税に係る寄附金税額控除"
        )
    heads = labels[group : group + 3]
    if not ("人数(人)" in heads[0] and "市町村民税" in heads[0] and "寄附金額" in heads[1]):
        raise DataFormatError(
            f"{where}: ふるさと納税 控除 の下の列が想定と違います: {heads} / "
            f"{where}: unexpected columns under ふるさと納税 控除: {heads}"
        )
    items = [
        ("deduction_persons", "ふるさと納税による控除の適用者数（市町村民税）", "人", 1.0),
        ("deduction_donations", "控除の対象となった寄附金額（市町村民税）", "円", 1.0),
        ("deduction", "ふるさと納税に係る市町村民税控除額", "円", 1.0),
    ]
    body = []
    for i in range(first, len(rows)):
        row = rows[i]
        if not any(_text(c) for c in row[:2]):
            continue
        cells = [row[j] if j < len(row) else "" for j in range(group, group + 3)]
        body.append((i + 1, _text(row[0]), _text(row[1]), cells))
    set_aside: dict[str, list[str]] = {}
    records = _by_name(body, f"{tax_year}-06-01", set_aside)
    return _table(records, items, where, dataset, set_aside, tax_year)


# --------------------------------------------------------------------------- 交付税


def read_koufuzei(source: str | Path) -> SourceTable:
    """Read a 市町村別普通交付税決定額 file (``2015.xlsx`` … ``2022.xlsx``) by name.

    Parameters
    ----------
    source
        Registry name (``"koufuzei-fy2020"``) or path.

    Returns
    -------
    SourceTable
        Item ``koufuzei`` (千円, 0 for a municipality that receives none: 不交付団体); Tokyo's
        23 special wards are added without a value, with :data:`KOUFUZEI_WARDS_REASON`.
    """
    path, dataset = _path(source)
    where = path.name
    year = _year_of(path, r"^(\d{4})\.xlsx?$")
    rows = next(_sheets(path))
    top = next((i for i, r in enumerate(rows[:10]) if "普通交付税" in map(_text, r)), None)
    if top is None:
        raise DataFormatError(
            f"{where}: 普通交付税 のある見出しの行がありません / "
            f"{where}: no header row with 普通交付税"
        )
    col = [_text(c) for c in rows[top]].index("普通交付税")
    body, wards_row, pref = [], [], ""
    for i in range(top + 1, len(rows)):
        row = rows[i]
        pref = _text(row[1]) or pref  # merged cells: the prefecture on its first row only
        if not _text(row[2]):
            continue  # the year row under the header, blank rows
        if _text(row[2]) == "特別区":  # the 23 wards together (都区合算), not a municipality
            wards_row.append(f"line {i + 1}: 東京都特別区")
            continue
        body.append((i + 1, pref, _text(row[2]), [row[col]]))
    set_aside: dict[str, list[str]] = {"special_wards": wards_row}
    records = _by_name(body, f"{year}-07-01", set_aside)
    table = _table(
        records, [("koufuzei", "普通交付税額", "千円", 1.0)], where, dataset, set_aside, year
    )
    return _with_tokyo_wards(table)


def _with_tokyo_wards(table: SourceTable) -> SourceTable:
    """Add Tokyo's 23 special wards without values, with :data:`KOUFUZEI_WARDS_REASON`."""
    wards = pd.Index([f"131{i:02d}" for i in range(1, 24)], name="code", dtype="str")
    wards = wards[~wards.isin(table.values.index)]
    if not len(wards):
        return table
    columns = table.values.columns
    table.values = pd.concat([table.values, pd.DataFrame(np.nan, index=wards, columns=columns)])
    table.reasons = pd.concat(
        [
            table.reasons,
            pd.DataFrame(KOUFUZEI_WARDS_REASON, index=wards, columns=columns).astype("string"),
        ]
    )
    table.names = pd.concat(
        [table.names, pd.DataFrame({"prefecture": "東京都", "name": ""}, index=wards)]
    )
    return table


#: 需要額 / 収入額 items kept by the catalogue: header label (folded) -> (item, label)
_DEMAND_TOTALS = {
    "総計(臨時財政対策債振替前需要額)": ("demand_before", "基準財政需要額（臨時財政対策債振替前）"),
    "臨時財政対策債振替相当額": ("rinzai", "臨時財政対策債振替相当額"),
    "臨時財政対策債振替後需要額": ("demand", "基準財政需要額"),
}


def read_koufuzei_items(source: str | Path) -> SourceTable:
    """Read a 基準財政需要額 (``YYYY-demand``) or 基準財政収入額 (``YYYY-income``) file.

    Parameters
    ----------
    source
        Registry name (``"koufuzei-demand-fy2020"``, ``"koufuzei-income-fy2020"``) or path.

    Returns
    -------
    SourceTable
        Demand files: one item per column of the first sheet (``d01`` … with the header as
        label, 千円) and the totals ``demand_before`` (振替前), ``rinzai`` (臨時財政対策債振替相当額)
        and ``demand`` (振替後, the 需要額 of the 財政力指数). Income files: one item per
        column (``r01`` …) and ``revenue`` (合計). Keyed by the 6-digit code in the ``C`` key.
    """
    path, dataset = _path(source)
    where = path.name
    m = re.match(r"(\d{4})-(demand|income)", path.name)
    if m is None:
        raise DataFormatError(
            f"{where}: 2020-demand.xlsx や 2020-income.xls のような名前にしてください / "
            f"{where}: expected a name like 2020-demand.xlsx or 2020-income.xls"
        )
    year, kind = int(m.group(1)), m.group(2)
    rows = next(_sheets(path))
    top = next((i for i, r in enumerate(rows[:10]) if _text(r[0]) == "コード"), None)
    first = next((i for i in range(len(rows)) if re.fullmatch(r"C\d{12}", _text(rows[i][0]))), None)
    if top is None or first is None:
        raise DataFormatError(
            f"{where}: コード の見出しと C で始まる行がありません / "
            f"{where}: no コード header and C-keyed rows"
        )
    labels = _labels(rows, top, first)
    items, cols = [], []
    prefix = "d" if kind == "demand" else "r"
    for j, label in enumerate(labels[5:], start=5):
        if not label or not any(isinstance(r[j], int | float) for r in rows[first : first + 20]):
            continue
        last = label.split("|")[-1]
        if kind == "demand" and last in _DEMAND_TOTALS:
            item, text = _DEMAND_TOTALS[last]
        elif kind == "income" and last == "合計":
            item, text = "revenue", "基準財政収入額"
        else:
            item, text = f"{prefix}{len(cols) + 1:02d}", label.replace("|", "・")
        items.append((item, text, "千円", 1.0))
        cols.append(j)
    records = []
    set_aside: dict[str, list[str]] = {"special_wards": []}
    for i in range(first, len(rows)):
        row = rows[i]
        key = _text(row[0])
        if not re.fullmatch(r"C\d{12}", key):
            continue
        code = _codes.normalize_code(key[1:7], source=f"{where}, line {i + 1}")
        if code == "13100":  # 東京都特別区: the 23 wards together (都区合算)
            set_aside["special_wards"].append(f"line {i + 1}: 13100 東京都特別区")
            continue
        records.append((code, i + 1, _text(row[1]), _text(row[2]), [row[j] for j in cols]))
    needed = {"demand"} if kind == "demand" else {"revenue"}
    if not needed <= {it[0] for it in items}:
        raise DataFormatError(
            f"{where}: 合計の列（{'、'.join(sorted(needed))}）がありません / "
            f"{where}: no total column ({', '.join(sorted(needed))})"
        )
    return _with_tokyo_wards(_table(records, items, where, dataset, set_aside, year))


# --------------------------------------------------------------------------- consistency


def check_fiscal_strength(years: range | list[int] = range(2017, 2022)) -> pd.DataFrame:
    """Recompute 財政力指数 from the 交付税 files and compare it with the published index.

    財政力指数 is the mean over three fiscal years of 基準財政収入額 / 基準財政需要額 (一本算定,
    需要額 after the 臨時財政対策債 transfer). The 交付税 files cover FY2015-FY2022, so the index
    can be recomputed for FY2017 onwards; the 主要財政指標 publish it to two decimals.

    Parameters
    ----------
    years
        Fiscal years to check (each needs the two years before it in the 交付税 files and the
        published index).

    Returns
    -------
    pandas.DataFrame
        One row per municipality and year where both exist: ``code``, ``name``, ``year``,
        ``computed`` (the three-year mean), ``published`` and ``difference`` (computed rounded
        to two decimals minus published). ``attrs["summary"]``: per year the rows compared,
        the share equal at two decimals and the share within 0.01.
    """
    from regionlib.data import table

    years = list(years)
    ratio_years = sorted({y - k for y in years for k in range(3)})
    columns = [f"fiscal_revenue_demand_ratio@{y}" for y in ratio_years]
    columns += [f"fiscal_strength_index@{y}" for y in years]
    t = table.load_table(columns, geometry=False)
    frames, summary = [], {}
    for year in years:
        ratios = [t[f"fiscal_revenue_demand_ratio@{y}"] for y in (year - 2, year - 1, year)]
        computed = sum(ratios) / 3
        published = t[f"fiscal_strength_index@{year}"]
        both = computed.notna() & published.notna()
        diff = (computed[both].round(2) - published[both]).round(2)
        frames.append(
            pd.DataFrame(
                {
                    "code": t.index[both],
                    "name": t.loc[both, "name"].to_numpy(),
                    "year": year,
                    "computed": computed[both].to_numpy(),
                    "published": published[both].to_numpy(),
                    "difference": diff.to_numpy(),
                }
            )
        )
        summary[year] = {
            "compared": int(both.sum()),
            "equal": float((diff == 0).mean()),
            "within_0.01": float((diff.abs() <= 0.01).mean()),
        }
    out = pd.concat(frames, ignore_index=True)
    out.attrs["summary"] = summary
    return out
