"""The one reader of the user's own files: joins, OD flows, block layers.

:func:`read_user_file` reads a CSV/TSV (UTF-8, Shift-JIS or UTF-16 with a byte-order mark) or
an XLSX workbook into a table of stripped strings, with the file's line numbers as index, so
every later message can name the row at fault. It refuses, in one line naming the file:

- a missing file, a folder, an empty file, a file of header only;
- binary data (a ZIP that is not a workbook, an image, an old ``.xls``, UTF-16 without a
  byte-order mark), and text in no encoding it knows;
- a header the caller rejects (``header=``), checked on the first line *before* the rest of a
  large file is read.

A workbook whose formula cells hold no saved values (written by a program, never opened in
Excel) gives one warning: those cells read as blank. :func:`to_number` is the one parser of
numbers in these files: thousands separators allowed, ``inf``, ``nan`` and values beyond the
range of a float (``1e400``) refused with the row.
"""

from __future__ import annotations

import io
import logging
import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from regionlib._errors import DataFormatError
from regionlib._log import log

__all__ = ["read_user_file", "to_number"]

#: what the first bytes of a binary file say it is
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook? name it .xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (save it as .xlsx or CSV UTF-8)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive (unpack it first)"),
    (b"SQLite format 3", "a SQLite database or GeoPackage"),
)
_WORKBOOKS = (".xlsx", ".xlsm")
#: bytes read to check the header of a text file before the rest is read
_HEAD = 1 << 16
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def to_number(text: str, where: str) -> float | None:
    """Return the number in ``text`` (``"1,234.5"`` -> 1234.5), None if it is not one.

    Parameters
    ----------
    text
        A cell, stripped.
    where
        File, line and column, for the message.

    Returns
    -------
    float or None
        The value; None when the text is not a number (the caller decides what that means).

    Raises
    ------
    DataFormatError
        For a number no float holds (``1e400``): it would become infinite.
    """
    plain = text.replace(",", "")
    if not _NUMBER.match(plain):
        return None
    value = float(plain)
    if not math.isfinite(value):
        msg = (
            f"{where}: '{text}' は大きすぎる数値です / is too large a number (beyond ±1.8e308); "
            "check the value"
        )
        raise DataFormatError(msg)
    return value


def _binary(head: bytes) -> str | None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    return None


def _decode(raw: bytes, where: str) -> str:
    """Decode a user's text file: UTF-16 by its byte-order mark, else UTF-8 or Shift-JIS."""
    from regionlib.data import readers

    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            msg = (
                f"{where}: UTF-16 の読み込みに失敗しました / broken UTF-16 text at byte {exc.start}"
            )
            raise DataFormatError(msg) from exc
        log(f"{where}: read as UTF-16", ja=f"{where}: UTF-16 として読みました")
        return text
    if b"\x00" in raw[:_HEAD]:
        msg = (
            f"{where}: テキストではありません / not a text file: it holds NUL bytes (UTF-16 "
            "without a byte-order mark, or binary data); save it as CSV UTF-8"
        )
        raise DataFormatError(msg)
    text = readers._decode(raw, where, None)
    control = sum(
        1 for ch in text[:_HEAD] if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n"
    )
    if control > max(8, len(text[:_HEAD]) // 100):
        msg = (
            f"{where}: テキストではありません / not a text file ({control} control characters "
            "in its first part); save it as CSV UTF-8"
        )
        raise DataFormatError(msg)
    return text


def _first_line(path: Path, where: str) -> str:
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2]
        text = head.decode("utf-16", errors="ignore")
    else:
        cut = head.rfind(b"\n")
        text = _decode(head if cut < 0 else head[:cut], where) if head.strip() else ""
    return text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""


def _separator(line: str, suffix: str) -> str:
    if suffix == ".tsv" or ("\t" in line and "," not in line):
        return "\t"
    return ","


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_workbook(path: Path, where: str) -> list[list[str]]:
    """Return the first sheet's rows as strings; warn on formulas without saved values."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        values_book = load_workbook(path, read_only=True, data_only=True)
        formula_book = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        msg = f"{where}: 読めないブックです / not a readable XLSX workbook ({type(exc).__name__})"
        raise DataFormatError(msg) from exc
    try:
        rows = [list(r) for r in values_book.worksheets[0].iter_rows(values_only=True)]
        unsaved = []
        for r, row in enumerate(formula_book.worksheets[0].iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    cached = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                    if cached is None:
                        unsaved.append((r, c))
    finally:
        values_book.close()
        formula_book.close()
    if unsaved:
        from openpyxl.utils import get_column_letter

        r, c = unsaved[0]
        first = f"{get_column_letter(c + 1)}{r + 1}"
        log(
            f"{where}: {len(unsaved)} formula cells have no saved value (first {first}) and "
            "read as blank; open the workbook in Excel, save it, and join it again",
            level=logging.WARNING,
            ja=f"{where}: 数式のセル {len(unsaved)} 個に計算結果が保存されていません（{first} など）。"
            "Excel で一度保存してください",
        )
    return [[_cell(v) for v in row] for row in rows]


def read_user_file(
    path: str | Path,
    *,
    what: str = "file",
    header: Callable[[list[str]], None] | None = None,
) -> pd.DataFrame:
    """Read a user's CSV/TSV or XLSX file as a table of stripped strings.

    Parameters
    ----------
    path
        The file.
    what
        What the file is (``"OD file"``, ``"block file"``), for messages.
    header
        Called with the column names (NFKC, stripped) before the rows are read; raises when
        the file lacks a needed column, so a large wrong file is refused at once.

    Returns
    -------
    pandas.DataFrame
        Every cell as an NFKC-normalised, stripped string (empty for blanks); the index is
        the line number in the file (CSV) or row number (XLSX).

    Raises
    ------
    DataFormatError
        If the file is missing, empty, binary, in an unknown encoding, not parsable, has no
        data rows, or ``header`` refuses its columns.
    """
    path = Path(path).expanduser()
    where = path.name
    if path.is_dir():
        raise DataFormatError(f"{path}: フォルダです / is a folder, not a {what}")
    if not path.is_file():
        raise DataFormatError(f"{path}: ファイルがありません / no such {what}")
    suffix = path.suffix.lower()
    with open(path, "rb") as f:
        head = f.read(16)
    if not head.strip() and (path.stat().st_size == 0 or not path.read_bytes().strip()):
        raise DataFormatError(f"{where}: 空のファイルです / the {what} is empty")
    kind = _binary(head)
    if suffix in _WORKBOOKS:
        if kind is None or not kind.startswith("a ZIP"):
            msg = f"{where}: 読めないブックです / not a readable XLSX workbook ({kind or 'text'})"
            raise DataFormatError(msg)
        numbered = [(i + 1, r) for i, r in enumerate(_read_workbook(path, where)) if any(r)]
        if not numbered:
            raise DataFormatError(f"{where}: 空のファイルです / the {what} is empty")
        columns = _names(numbered[0][1])
        if header is not None:
            header(columns)
        width = len(columns)
        body = [(r + [""] * width)[:width] for _, r in numbered[1:]]
        frame = pd.DataFrame(body, columns=columns, dtype=object)
        lines = pd.Index([i for i, _ in numbered[1:]])
    else:
        if kind is not None:
            raise DataFormatError(f"{where}: テキストではありません / not a text file: {kind}")
        line = _first_line(path, where)
        sep = _separator(line, suffix)
        if header is not None and line.strip():
            header(_names(line.split(sep)))
        text = _decode(path.read_bytes(), where)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, sep=sep, keep_default_na=False)
        except pd.errors.EmptyDataError as exc:
            raise DataFormatError(f"{where}: 空のファイルです / the {what} is empty") from exc
        except (pd.errors.ParserError, ValueError) as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
            msg = f"{where}: CSV として読めません / not a readable CSV ({detail})"
            raise DataFormatError(msg) from exc
        frame.columns = _names(frame.columns)
        lines = pd.RangeIndex(2, len(frame) + 2)
    if frame.empty:
        raise DataFormatError(f"{where}: データ行がありません / no data rows below the header")
    frame = frame.fillna("").astype(str)
    for i in range(frame.shape[1]):  # NFKC only where it can change something: fast on codes
        column = frame.iloc[:, i].str.strip()
        wide = ~column.map(str.isascii)
        if wide.any():
            column = column.mask(wide, column[wide].map(_nfkc))
        frame.isetitem(i, column)
    frame.index = lines
    return frame


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _names(values) -> list[str]:
    return [unicodedata.normalize("NFKC", str(c)).strip().lstrip("\ufeff") for c in values]
