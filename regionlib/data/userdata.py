"""The user's own data: a CSV (UTF-8 or Shift-JIS) or XLSX file joined to the municipalities.

The file has one row per municipality, identified by a code column (``code``, ``コード``,
``団体コード``, ``市区町村コード`` …: 5 digits, 6 digits with check digit, or an integer whose
leading zero a spreadsheet dropped) or by a name column (``name``, ``市区町村``, ``市区町村名``,
``団体名``), with a prefecture column (``prefecture``, ``都道府県``) where names repeat. Every
other column must be numeric (thousands separators and the official missing-value markers
``***``, ``-``, ``X`` are understood; anything else is an error naming row and column).

Codes retired since are mapped through the code history; designated-city wards, prefecture
rows and names that match nothing are set aside and listed in the :class:`UserJoinReport`;
a duplicate code, a code that does not exist, an ambiguous name (the candidates are listed) or
an unreadable file is an error.

Examples
--------
>>> from regionlib import table
>>> t = table.load_table(["aging_rate"], join="my.csv")  # doctest: +SKIP
>>> print(t.attrs["user_join_report"])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import AmbiguousNameError, DataFormatError
from regionlib._log import log
from regionlib.data import codes as _codes
from regionlib.data import match, readers

__all__ = ["UserJoinReport", "join_user_table", "read_user_table", "user_credits"]

_CODE_COLUMNS = (
    "code",
    "コード",
    "団体コード",
    "市区町村コード",
    "地域コード",
    "全国地方公共団体コード",
)
_NAME_COLUMNS = match.NAME_HEADERS
_PREF_COLUMNS = ("prefecture", "都道府県", "都道府県名", "pref")
#: the official tables' missing-value markers (:data:`regionlib.readers.MARKERS`) as cells read
#: after NFKC (``－`` -> ``-``, ``…`` -> ``...``), and the ``nan`` software writes for a blank
_MARKERS = {unicodedata.normalize("NFKC", m) for m in readers.MARKERS} | {"nan", "NaN"}


@dataclass
class UserJoinReport:
    """How a user's file was joined.

    Attributes
    ----------
    source
        File name.
    key
        ``"code"`` or ``"name"``: how rows were matched.
    rows
        Data rows in the file.
    matched
        Rows joined to a municipality.
    columns
        The numeric columns joined.
    code_changes
        Retired codes mapped to current ones (``"row N: old -> new name"``).
    restored
        Codes whose lost leading zero was restored (``"row N: 1100 -> 01100"``).
    set_aside
        Rows that are not municipalities or match none (``"row N: value (reason)"``).
    missing_in_file
        Municipalities of the table the file has no row for.
    """

    source: str
    key: str
    rows: int
    matched: int
    columns: list[str] = field(default_factory=list)
    code_changes: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    missing_in_file: list[str] = field(default_factory=list)
    convention: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """Rows matched directly, mapped through the code history, set aside and refused.

        Refused rows (ambiguous codes or names) stop the join with an error, so a finished
        join has none.
        """
        mapped = len(self.code_changes)
        return {
            "matched": self.matched - mapped,
            "mapped": mapped,
            "set_aside": len(self.set_aside),
            "refused": 0,
        }

    def __str__(self) -> str:
        c = self.counts
        how = f", codes read as {self.convention}" if self.convention else ""
        conventions = {
            "5-digit": "5桁",
            "6-digit": "検査数字つき6桁",
            "6-digit, leading zeros lost": "先頭の0が落ちた6桁",
            "mixed": "5桁と6桁の混在",
        }
        how_ja = (
            f"、コードは{conventions.get(self.convention, self.convention)}として読み取り"
            if self.convention
            else ""
        )
        key_ja = "コード" if self.key == "code" else "名前"
        lines = [
            f"結合の記録（{self.source}、{key_ja}で照合{how_ja}）: {self.rows} 行のうち "
            f"一致 {c['matched']}、コードの履歴で対応 {c['mapped']}、除外 {c['set_aside']}、"
            f"拒否 {c['refused']}。列: {', '.join(self.columns)}",
            f"join report ({self.source}, by {self.key}{how}): {self.rows} rows: "
            f"{c['matched']} matched, {c['mapped']} mapped through the code history, "
            f"{c['set_aside']} set aside, {c['refused']} refused; columns {', '.join(self.columns)}",
        ]
        if self.restored:
            n = len(self.restored)
            lines.append(
                f"  先頭の 0 を補ったコード {n} / {n} codes with their leading zero restored"
            )
        if self.code_changes:
            n = len(self.code_changes)
            lines.append(
                f"  コードの履歴で今のコードに対応 {n} / {n} codes mapped through the code history:"
            )
            lines.extend(f"    {c}" for c in self.code_changes)
        if self.set_aside:
            n = len(self.set_aside)
            lines.append(f"  結合しなかった行 {n} / {n} rows not joined:")
            lines.extend(f"    {c}" for c in self.set_aside)
        if self.missing_in_file:
            n = len(self.missing_in_file)
            shown = ", ".join(self.missing_in_file[:10])
            more = f" ほか {n - 10} / and {n - 10} more" if n > 10 else ""
            lines.append(
                f"  ファイルに行のない市区町村 {n} / {n} municipalities not in the file: "
                f"{shown}{more}"
            )
        return "\n".join(lines)


_NOT_IN_TABLE_JA = "表に該当する市区町村がありません"


def _entry(line: object, text: str, reason: str, reason_ja: str = "") -> str:
    """One line of a join report: ``N 行目 / line N: TEXT（日本語 / English）``."""
    why = f"{reason_ja} / {reason}" if reason_ja else reason
    return f"{line} 行目 / line {line}: {text}（{why}）"


def read_user_table(path: str | Path, *, rename_clashes: bool = False) -> pd.DataFrame:
    """Read a user's CSV (UTF-8, Shift-JIS or UTF-16) or XLSX file as strings.

    Parameters
    ----------
    path
        The file.
    rename_clashes
        Keep a column named like a catalogue indicator as ``user_NAME`` instead of refusing
        it (see :func:`check_clashes`).

    Returns
    -------
    pandas.DataFrame
        All cells as stripped strings (empty for blanks); the index is the file's line number
        (CSV) or row number (XLSX), for messages.

    Raises
    ------
    DataFormatError
        If the file is missing, empty, binary, of an unknown type or in an unreadable
        encoding, or a column is named like a catalogue indicator.
    """
    from regionlib.data import _userfile

    path = Path(path)
    if path.suffix.lower() not in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        suffix = path.suffix.lower()
        raise DataFormatError(
            f"{path.name}: 結合できるのは .csv か .xlsx のファイルです（{suffix or '拡張子なし'} は読めません） / "
            f"{path.name}: join a .csv or .xlsx file, not {suffix or 'no suffix'}"
        )
    # the key column is looked for in the header, before a large file is read whole
    frame = _userfile.read_user_file(
        path, what="file", header=lambda columns: _key_columns(columns, path.name)
    )
    return check_clashes(frame, path.name, rename=rename_clashes)


#: prefix of a user's column kept beside the catalogue indicator it is named like
USER_PREFIX = "user_"


def check_clashes(frame: pd.DataFrame, where: str, *, rename: bool = False) -> pd.DataFrame:
    """Refuse (or rename) the user's columns named like a catalogue indicator.

    A column whose name or label (after NFKC) is a catalogue indicator's name or Japanese
    label would otherwise replace the official values and be titled, ranked and credited as
    them.

    Parameters
    ----------
    frame
        The user's table.
    where
        The file name, for the message.
    rename
        Keep such columns as ``user_NAME`` (with one warning) instead of refusing them.

    Returns
    -------
    pandas.DataFrame
        ``frame``, its clashing columns renamed when ``rename``.

    Raises
    ------
    DataFormatError
        A clashing column, without ``rename`` (the message suggests a new name).
    """
    from regionlib.data import indicators

    clashes = {c: indicators.built_in_match(c) for c in frame.columns}
    clashes = {c: n for c, n in clashes.items() if n is not None}
    if not clashes:
        return frame
    column, name = next(iter(clashes.items()))
    if not rename:
        msg = (
            f"{where}: 列「{column}」は公式の指標 {name} と同じ名前です。名前を変えてください "
            f"/ column '{column}' is named like the catalogue indicator {name}; rename it "
            f"(e.g. {USER_PREFIX}{column}) or pass --rename-clashes"
        )
        raise DataFormatError(msg)
    renamed = {c: f"{USER_PREFIX}{c}" for c in clashes}
    taken = [new for new in renamed.values() if new in frame.columns]
    if taken:
        raise DataFormatError(
            f"{where}: 列 '{taken[0]}' は既にあります。列名を変えてください / "
            f"{where}: column '{taken[0]}' already exists; rename the columns"
        )
    shown = ", ".join(f"{c} -> {n}" for c, n in renamed.items())
    log(
        f"{where}: columns named like catalogue indicators kept as the user's: {shown}",
        level=logging.WARNING,
        ja=f"{where}: 公式の指標と同じ名前の列を利用者の列として改名しました（{shown}）",
    )
    return frame.rename(columns=renamed)


def user_credits(frame: pd.DataFrame) -> list[str]:
    """Return the credit line of the user's file joined to ``frame`` (none if none was).

    Maps and workbooks print it, so the user's values are credited as the user's, never as a
    catalogue source's.

    Parameters
    ----------
    frame
        A table from :func:`regionlib.table.load_table` (or a frame derived from one).
    """
    report = frame.attrs.get("user_join_report")
    return [f"利用者データ / user data: {report.source}"] if report is not None else []


def _key_columns(columns: list[str], where: str) -> None:
    """Refuse a file with neither a code nor a name column."""
    if _find(columns, _CODE_COLUMNS) is None and _find(columns, _NAME_COLUMNS) is None:
        msg = (
            f"{where}: コードか名前の列がありません。列名を 'code'（またはコード、団体コード）か 'name'（または市区町村名）にしてください。ある列: {', '.join(columns)} / "
            f"{where}: no code or name column; name one column 'code' (or コード, 団体コード) "
            "or 'name' (or 市区町村名), found: " + ", ".join(columns)
        )
        raise DataFormatError(msg)


def _find(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for name in wanted:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _numeric(frame: pd.DataFrame, columns: list[str], where: str) -> pd.DataFrame:
    from regionlib.data import _userfile

    out = {}
    for column in columns:
        values = np.full(len(frame), np.nan)
        for i, (line, raw) in enumerate(frame[column].items()):
            number = _userfile.to_number(raw, f"{where}, line {line}, column '{column}'")
            if number is not None:
                values[i] = number
            elif raw.replace(",", "") not in _MARKERS:
                msg = (
                    f"{where} の {line} 行目、列 '{column}': '{raw}' は数値ではありません。コード・名前・都道府県以外の列はすべて数値にしてください / "
                    f"{where}, line {line}, column '{column}': '{raw}' is not a number; every "
                    "column other than code, name and prefecture must be numeric"
                )
                raise DataFormatError(msg)
        out[column] = values
    return pd.DataFrame(out, index=frame.index)


def _refuse(where: str, found: list[match.RowMatch], error: type[Exception]) -> None:
    """Raise ``error`` naming the first refused row (and how many more there are)."""
    refused = [m for m in found if m.status == "refused"]
    if not refused:
        return
    first = refused[0]
    more = f" (and {len(refused) - 1} more rows refused)" if len(refused) > 1 else ""
    more_ja = f"（ほかに {len(refused) - 1} 行を受け付けません）" if len(refused) > 1 else ""
    msg = (
        f"{where} の {first.row} 行目: {first.text} を特定できません（{first.reason_ja or first.reason}）{more_ja} / "
        f"{where}, line {first.row}: {first.text}: {first.reason}{more}"
    )
    raise error(msg)


def _match_codes(
    frame: pd.DataFrame, column: str, base: pd.DataFrame, where: str, report: UserJoinReport
) -> pd.Series:
    known = set(base.index)
    found: dict[int, str] = {}
    outside: dict[int, str] = {}
    rows, report.convention = match.read_code_column(frame[column], where=where)
    for m in rows:
        if m.status == "refused" and m.reason.startswith("does not exist"):
            msg = (
                f"{where} の {m.row} 行目: コード {m.text} は存在しません（現在・過去の市区町村コードではないか、検査数字が違います）。コードを直すか行を削除してください / "
                f"{where}, line {m.row}: code {m.text} does not exist (not a current or past "
                "municipal code, or a wrong check digit); fix the code or remove the row"
            )
            raise DataFormatError(msg)
    _refuse(where, rows, DataFormatError)
    for m in rows:
        line = m.row
        if m.status == "set_aside":
            report.set_aside.append(_entry(line, m.text, m.reason, m.reason_ja))
            continue
        code = str(m.code)
        if m.reason:
            report.restored.append(f"{line} 行目 / line {line}: {m.reason}")
        if code in known:
            found[line] = code
        elif code.endswith("000"):
            report.set_aside.append(
                _entry(line, m.text, "prefecture or national row", "都道府県・全国の行")
            )
        else:
            outside[line] = code
    if outside:
        update = _codes.update_codes(list(outside.values()), as_of="2021-01-01")
        new = dict(zip(outside, update.codes, strict=True))
        unresolved = dict(zip(update.unresolved["code"], update.unresolved["reason"], strict=True))
        names = _codes._default_candidates()
        for line, old in outside.items():
            code = new[line]
            city = _codes.city_of_ward(code)
            if code not in known and city in known and old not in names.index:
                code = city  # merged into a ward of a designated city: into the city
            if code in known:
                found[line] = code
                report.code_changes.append(
                    f"{line} 行目 / line {line}: {old} -> {code} {base.at[code, 'name']}"
                )
            elif old in names.index and names.at[old, "level"] == "ward":
                report.set_aside.append(
                    _entry(line, f"{old} {names.at[old, 'name']}", "ward", "政令指定都市の区")
                )
            else:
                if old in unresolved:
                    report.set_aside.append(_entry(line, old, unresolved[old]))
                else:
                    report.set_aside.append(
                        _entry(line, old, "no municipality of the table", _NOT_IN_TABLE_JA)
                    )
    return pd.Series(found, dtype="str")


def _match_names(
    frame: pd.DataFrame,
    column: str,
    pref_column: str | None,
    base: pd.DataFrame,
    where: str,
    report: UserJoinReport,
) -> pd.Series:
    prefs = frame[pref_column].tolist() if pref_column else None
    rows = match.match_names(frame[column].tolist(), prefs, rows=list(frame.index))
    _refuse(where, rows, AmbiguousNameError)
    found: dict[int, str] = {}
    known = set(base.index)
    retired = {m.row: str(m.code) for m in rows if m.status == "matched" and m.code not in known}
    update = _codes.update_codes(list(retired.values()), as_of="2021-01-01") if retired else None
    new = dict(zip(retired, update.codes, strict=True)) if update is not None else {}
    for m in rows:
        if m.status != "matched":
            report.set_aside.append(_entry(m.row, m.text, m.reason, m.reason_ja))
            continue
        code = new.get(m.row, str(m.code))
        city = _codes.city_of_ward(code)
        code = city if code not in known and city in known else code
        if code not in known:
            report.set_aside.append(
                _entry(m.row, m.text, f"{m.code}: not in the table", f"{m.code} は表にありません")
            )
            continue
        if code != m.code:
            report.code_changes.append(
                f"{m.row} 行目 / line {m.row}: {m.text} {m.code} -> {code} {base.at[code, 'name']}"
            )
        found[m.row] = code
    return pd.Series(found, dtype="str")


def join_user_table(
    table: pd.DataFrame,
    path: str | Path,
    *,
    raw: pd.DataFrame | None = None,
    rename_clashes: bool = False,
) -> pd.DataFrame:
    """Join the numeric columns of a user's file to a municipality table.

    Parameters
    ----------
    table
        A table from :func:`regionlib.table.load_table` (index ``code``, columns
        ``prefecture`` and ``name``).
    path
        The user's CSV (UTF-8 or Shift-JIS) or XLSX file.
    raw
        The file as :func:`read_user_table` returned it, when the caller has read it
        already: it is not read again.
    rename_clashes
        Keep columns named like catalogue indicators as ``user_NAME`` instead of refusing
        them.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A copy of ``table`` with the file's numeric columns (NaN where the file has no row);
        ``attrs["user_join_report"]`` is a :class:`UserJoinReport`, and ``attrs["missing_reasons"]``
        gains the user's columns.

    Raises
    ------
    DataFormatError
        Unreadable file, no code or name column, a non-numeric value, a duplicate
        municipality, a code that does not exist, or a column already in the table.
    AmbiguousNameError
        A name that matches several municipalities (the candidates are listed).
    """
    path = Path(path)
    where = path.name
    if raw is None:
        raw = read_user_table(path, rename_clashes=rename_clashes)
    columns = list(raw.columns)
    code_col = _find(columns, _CODE_COLUMNS)
    name_col = _find(columns, _NAME_COLUMNS)
    pref_col = _find(columns, _PREF_COLUMNS)
    if code_col is None and name_col is None:
        _key_columns(columns, where)  # raises, naming the columns found
    value_cols = [c for c in columns if c not in (code_col, name_col, pref_col)]
    if not value_cols:
        raise DataFormatError(
            f"{where}: コードと名前の列のほかに値の列がありません / "
            f"{where}: no value columns besides the code and name columns"
        )
    clash = [c for c in value_cols if c in table.columns]
    if clash:
        msg = (
            f"{where}: 列 {', '.join(clash)} は既に表にあります。列名を変えてください / "
            f"{where}: column(s) {', '.join(clash)} already in the table; rename them"
        )
        raise DataFormatError(msg)
    values = _numeric(raw, value_cols, where)
    base = pd.DataFrame(table[["prefecture", "name"]])
    report = UserJoinReport(where, "code" if code_col else "name", len(raw), 0, value_cols)
    if code_col is not None:
        matched = _match_codes(raw, code_col, base, where, report)
    else:
        matched = _match_names(raw, name_col, pref_col, base, where, report)
    duplicated = matched[matched.duplicated(keep=False)]
    if len(duplicated):
        code = duplicated.iloc[0]
        lines = ", ".join(str(i) for i in duplicated[duplicated == code].index)
        msg = (
            f"{where}: 市区町村 {code} {base.at[code, 'name']} が複数の行（{lines}）にあります。1 市区町村につき 1 行にしてください / "
            f"{where}: municipality {code} {base.at[code, 'name']} appears on several lines "
            f"({lines}); keep one row per municipality"
        )
        raise DataFormatError(msg)
    joined = values.loc[matched.index].set_axis(pd.Index(matched.to_numpy(), name="code"))
    report.matched = len(joined)
    out = table.copy()
    attrs = dict(table.attrs)
    for column in value_cols:
        out[column] = joined[column].reindex(out.index).to_numpy()
    report.missing_in_file = [
        f"{c} {base.at[c, 'name']}" for c in base.index if c not in set(joined.index)
    ]
    missing = dict(attrs.get("missing_reasons", {}))
    for column in value_cols:
        col = out[column]
        missing[column] = {
            str(c): ("not in " + where if c not in joined.index else "blank or marker in " + where)
            for c in col.index[col.isna()]
        }
    attrs["missing_reasons"] = missing
    attrs["user_join_report"] = report
    out.attrs = attrs
    log(
        f"{where}: {report.matched} of {report.rows} rows joined by {report.key}; "
        f"{len(report.set_aside)} set aside",
        ja=f"{where}: {report.rows} 行のうち {report.matched} 行を {report.key} で結合、"
        f"{len(report.set_aside)} 行を除外",
    )
    return out
