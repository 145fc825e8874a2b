"""One matcher for municipality codes and names, shared by the source readers and the user's files.

Codes
    :func:`read_code_column` decides the column's convention from the WHOLE column: 5-digit
    codes (``01100``, or ``1100`` whose leading zero a spreadsheet dropped), 6-digit codes with
    check digit (``011002``), or 6-digit codes that lost their leading zero (``12203`` for 士別市
    ``012203``). A value such as ``12203`` reads as 市川市 (``12203``) or as 士別市 (``01220``):
    the other rows of the column decide; where they do not, the row is refused naming both
    readings, never guessed.

Names
    :func:`match_names` matches prefecture + name to the municipality codes of the code history
    (the code valid at the file's date, mapped to today's later by the code history): names with
    or without their 郡 (虻田郡洞爺湖町, 宮城県遠田郡美里町), with a prefecture prefix, in old or
    variant kanji (檜/桧, 條/条, 龍/竜, 曾/曽, 檮/梼, 﨑/崎, 髙/高 …, :func:`regionlib.codes.fold_name`)
    or in kana (ゆうばりし). A prefecture column of merged cells (the prefecture written on its
    first row only) is filled down. Prefecture and total rows and designated-city wards are set
    aside; a name shared by several municipalities is refused, listing them; a name that matches
    nothing is set aside with the reason. Nothing is matched by guess.

Every row gets a :class:`RowMatch` with its status (``matched``, ``set_aside``, ``refused``) and
reason, for the join reports.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from regionlib._errors import suggest
from regionlib.data import codes as _codes
from regionlib.data.names import NORTHERN_TERRITORIES

__all__ = [
    "NAME_HEADERS",
    "RowMatch",
    "fill_down",
    "match_names",
    "read_code_column",
]

#: Headers recognised as the municipality name column (compared after NFKC, case-insensitive).
NAME_HEADERS = (
    "name",
    "municipality",
    "市区町村",
    "市区町村名",
    "市町村",
    "市町村名",
    "団体名",
    "自治体名",
    "名称",
)

#: Labels of rows that total several municipalities (set aside, never matched).
_TOTALS = re.compile(r"^(全国|総計|合計|計|小計|市町村合計|市町村計|.*(集計|合計|計))$")
_COUNTY = re.compile(r"^(.+?郡)(.+[町村])$")
_KANA = re.compile(r"[ぁ-ゖァ-ヺー]+")
#: The 北方領土 villages: codes without statistics; a name they share (泊村) means the other one.
_NORTHERN = frozenset(NORTHERN_TERRITORIES)
_PREFIX = re.compile(
    "^(" + "|".join(sorted(_codes.PREFECTURES.values(), key=len, reverse=True)) + ")"
)


@dataclass
class RowMatch:
    """How one row of a file was matched.

    Attributes
    ----------
    row
        The row's label in messages (a line or row number).
    text
        What the row said (code, or prefecture + name).
    code
        The 5-digit code read (valid at the file's date), or None.
    status
        ``"matched"``, ``"set_aside"`` (not a municipality, or matches none) or ``"refused"``
        (ambiguous: several readings or municipalities, named in ``reason``).
    reason
        Why a row was set aside or refused; for a matched row, a note (a restored zero).
    reason_ja
        The reason in Japanese, said first (errors of refused rows, join reports).
    """

    row: object
    text: str
    code: str | None
    status: str
    reason: str = ""
    reason_ja: str = ""

    def __str__(self) -> str:
        return f"row {self.row}: {self.text} ({self.reason})" if self.reason else str(self.text)


# --------------------------------------------------------------------------- codes


@functools.cache
def _known_codes() -> frozenset[str]:
    """Every code the code history has known (current and retired) and every prefecture code."""
    nodes, _ = _codes._history_graph()
    return frozenset(nodes["code"].astype(str)) | {f"{p}000" for p in _codes.PREFECTURES}


def _digits(raw: object) -> str:
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if text[:1] in ("R", "r"):
        text = text[1:]
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def _readings(text: str) -> dict[str, str]:
    """Possible readings of one cell: {"5": code5} and/or {"6": code5}."""
    known = _known_codes()
    out: dict[str, str] = {}
    if len(text) == 6:
        if int(text[5]) == _codes.check_digit(text[:5]):
            out["6"] = text[:5]
        return out
    if len(text) <= 4 or text.startswith("0"):
        if text.zfill(5) in known:
            out["5"] = text.zfill(5)
        return out
    # five digits, no leading zero: a 5-digit code, or a 6-digit code that lost its zero
    if text in known:
        out["5"] = text
    six = text.zfill(6)
    if int(six[5]) == _codes.check_digit(six[:5]) and six[:5] in known:
        out["6"] = six[:5]
    return out


def read_code_column(values: pd.Series, *, where: str) -> tuple[list[RowMatch], str]:
    """Read a column of municipality codes with the convention the whole column shows.

    Parameters
    ----------
    values
        The cells as text; the index gives the row labels named in messages.
    where
        File name, for messages.

    Returns
    -------
    tuple
        One :class:`RowMatch` per cell (status ``matched`` with the 5-digit code, or
        ``set_aside`` for an empty cell, ``refused`` for an ambiguous cell or one that is no
        code at all), and the convention found: ``"5-digit"``, ``"6-digit"``,
        ``"6-digit, leading zeros lost"`` or ``"mixed"``.
    """
    cells = [(row, _digits(raw), raw) for row, raw in values.items()]
    readings = {row: _readings(text) for row, text, _ in cells if text.isdigit()}
    filled = [r for r in readings.values() if r]
    all6 = bool(filled) and all("6" in r for r in filled)
    all5 = bool(filled) and all("5" in r for r in filled)
    lengths = {len(t) for _, t, _ in cells if t.isdigit()}
    if all6 and not all5:
        convention = "6-digit" if lengths == {6} else "6-digit, leading zeros lost"
    elif all5 and not all6:
        convention = "5-digit"
    else:
        convention = "mixed"
    out = []
    for row, text, raw in cells:
        if not text:
            out.append(RowMatch(row, "", None, "set_aside", "no code", "コードがありません"))
            continue
        found = readings.get(row)
        if not found:
            if not text.isdigit() or len(text) > 6:
                why, why_ja = "not a municipal code", "市区町村コードではありません"
            else:
                why = (
                    "does not exist (not a current or past municipal code, or a wrong check digit)"
                )
                why_ja = "存在しないコードです（現在・過去の市区町村コードではないか、検査数字が違います）"
            out.append(RowMatch(row, str(raw), None, "refused", why, why_ja))
            continue
        if len(found) == 2 and not (all5 ^ all6):
            a, b = found["5"], found["6"]
            why = (
                f"ambiguous code: {text} reads as {a} {_code_name(a)} (5 digits) or as "
                f"{b} {_code_name(b)} (6 digits with its leading zero lost); the other rows do "
                "not decide: write the code with its leading zero"
            )
            why_ja = (
                f"コード {text} は {a} {_code_name(a)}（5 桁）とも {b} {_code_name(b)}"
                "（先頭の 0 が落ちた 6 桁）とも読め、ほかの行からも決まりません。"
                "先頭の 0 を付けて書いてください"
            )
            out.append(RowMatch(row, str(raw), None, "refused", why, why_ja))
            continue
        kind = "6" if (len(found) == 2 and all6) or "5" not in found else "5"
        code = found[kind]
        note = ""
        if kind == "6" and len(text) == 5:
            note = f"{raw} -> {code} (6-digit code, leading zero restored)"
        elif kind == "5" and len(text) < 5:
            note = f"{raw} -> {code} (leading zero restored)"
        out.append(RowMatch(row, str(raw), code, "matched", note))
    return out, convention


def _code_name(code: str) -> str:
    nodes, _ = _codes._history_graph()
    hit = nodes[nodes["code"] == code]
    if hit.empty:
        return _codes.PREFECTURES.get(code[:2], "") if code.endswith("000") else ""
    last = hit.iloc[-1]
    return f"{last['prefecture']}{last['name']}"


# --------------------------------------------------------------------------- names


def fill_down(values: Sequence[str]) -> list[str]:
    """Fill the blanks of a merged-cell column with the value above (prefecture columns).

    Parameters
    ----------
    values
        The cells, blanks as ``""``.

    Returns
    -------
    list of str
        The column with every blank below a value filled with that value.
    """
    out, last = [], ""
    for value in values:
        value = str(value or "").strip()
        last = value or last
        out.append(last)
    return out


@dataclass(frozen=True)
class _Node:
    code: str
    prefecture: str
    name: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    current: bool
    ward_of: str | None


@functools.cache
def _index() -> tuple[dict[tuple[str, str], list[_Node]], dict[tuple[str, str], list[_Node]]]:
    """(prefecture, folded name) -> municipality nodes; same for designated-city wards."""
    nodes, _ = _codes._history_graph()
    munis: dict[tuple[str, str], list[_Node]] = {}
    wards: dict[tuple[str, str], list[_Node]] = {}
    for rec in nodes.itertuples():
        city = rec.city if isinstance(rec.city, str) and rec.city else None
        start = None if pd.isna(rec.start_date) else rec.start_date
        end = None if pd.isna(rec.end_date) else rec.end_date
        pref = str(rec.prefecture)
        if city is not None and rec.name != city:  # a ward: 札幌市中央区
            node = _Node(str(rec.code), pref, f"{city}{rec.name}", start, end, rec.current, city)
            wards.setdefault((pref, _codes.fold_name(node.name)), []).append(node)
            continue
        node = _Node(str(rec.code), pref, str(rec.name), start, end, bool(rec.current), None)
        munis.setdefault((pref, _codes.fold_name(node.name)), []).append(node)
    return munis, wards


def _alive(node: _Node, when: pd.Timestamp) -> bool:
    return (node.start is None or node.start <= when) and (node.end is None or node.end > when)


def _choose(nodes: list[_Node], when: pd.Timestamp | None) -> tuple[list[str], str]:
    """Distinct codes among ``nodes``, narrowed to the date, else to the current ones."""
    codes = sorted({n.code for n in nodes})
    if len(codes) > 1 and any(c not in _NORTHERN for c in codes):
        nodes = [n for n in nodes if n.code not in _NORTHERN]
        codes = sorted({n.code for n in nodes})
    if len(codes) <= 1:
        return codes, ""
    if when is not None:
        alive = sorted({n.code for n in nodes if _alive(n, when)})
        if alive:
            return alive, ""
    current = sorted({n.code for n in nodes if n.current})
    if len(current) == 1:
        return current, ""
    return codes, "several codes in the code history"


def _split_prefecture(text: str) -> tuple[str, str]:
    m = _PREFIX.match(text)
    return (m.group(1), text[m.end() :]) if m else ("", text)


def _lookup(pref: str, text: str) -> tuple[list[_Node], str]:
    """Nodes named ``text`` (folded) in ``pref`` (any prefecture when empty)."""
    munis, _ = _index()
    if pref:
        return munis.get((pref, text), []), ""
    hits = [n for (p, name), nodes in munis.items() if name == text for n in nodes]
    return hits, ""


@functools.cache
def _readings_index() -> dict[str, list[str]]:
    """Map each reading (hiragana, with and without its kind) to the current codes."""
    out: dict[str, list[str]] = {}
    kinds = f"({'|'.join(_codes._KIND_READINGS)})$"
    for code, kana in _codes.readings().items():
        kana = _codes.kana_key(kana)
        for key in {kana, re.sub(kinds, "", kana)}:
            out.setdefault(key, []).append(str(code))
    return out


def _match_one(row: object, pref_raw: str, name_raw: str, when: pd.Timestamp | None) -> RowMatch:
    """Match one row (the same name in the same prefecture is matched once per process)."""
    return RowMatch(row, *_match_cached(pref_raw, name_raw, when))


@functools.lru_cache(maxsize=65536)
def _match_cached(
    pref_raw: str, name_raw: str, when: pd.Timestamp | None
) -> tuple[str, str | None, str, str, str]:
    m = _match_uncached(pref_raw, name_raw, when)
    return m.text, m.code, m.status, m.reason, m.reason_ja


def _match_uncached(pref_raw: str, name_raw: str, when: pd.Timestamp | None) -> RowMatch:
    row = None
    name = _codes.fold_name(name_raw)
    pref_given = _codes.fold_name(pref_raw)
    text = f"{pref_raw}{name_raw}" if pref_raw and not name_raw.startswith(pref_raw) else name_raw
    pref = ""
    if _TOTALS.match(pref_given) or _TOTALS.match(name):
        return RowMatch(row, text, None, "set_aside", "total row", "合計の行")
    if pref_given:
        try:
            pref = _codes.PREFECTURES[_codes.prefecture_code(pref_given)]
        except Exception:
            why, why_ja = (
                f"'{pref_raw}' is not a prefecture",
                f"'{pref_raw}' は都道府県ではありません",
            )
            return RowMatch(row, text, None, "set_aside", why, why_ja)
    head, rest = _split_prefecture(name)
    if head:  # a prefix in the name itself wins over a filled-down prefecture cell
        pref, name = head, rest
    if not name:
        if pref:
            return RowMatch(row, text, None, "set_aside", "prefecture row", "都道府県の行")
        return RowMatch(row, text, None, "set_aside", "no name", "名前がありません")
    _, wards = _index()
    ward_hits = wards.get((pref, name), []) if pref else []
    if ward_hits:
        city = ward_hits[0].ward_of
        why, why_ja = f"designated-city ward of {city}", f"{city} の区（政令指定都市の区）"
        return RowMatch(row, text, None, "set_aside", why, why_ja)
    nodes, _ = _lookup(pref, name)
    if not nodes and (m := _COUNTY.match(name)):
        nodes, _ = _lookup(pref, m.group(2))  # 虻田郡洞爺湖町 -> 洞爺湖町
    if not nodes and _KANA.fullmatch(name):
        codes = _readings_index().get(_codes.kana_key(name), [])
        if pref:
            pc = _codes.prefecture_code(pref)
            codes = [c for c in codes if c[:2] == pc]
        nodes = [_Node(c, _codes.PREFECTURES[c[:2]], "", None, None, True, None) for c in codes]
    if not nodes:
        munis, _ = _index()
        near = suggest(name, [n for (p, n) in munis if not pref or p == pref])
        why, why_ja = f"matches no municipality{near}", "どの市区町村にも当てはまりません"
        return RowMatch(row, text, None, "set_aside", why, why_ja)
    codes, why = _choose(nodes, when)
    if len(codes) == 1:
        return RowMatch(row, text, codes[0], "matched")
    listed = ", ".join(f"{c} {_code_name(c)}" for c in codes)
    hint = "" if pref else "; give the prefecture"
    hint_ja = "" if pref else "。都道府県を指定してください"
    reason = f"ambiguous name: {listed}{hint}" + (f" ({why})" if why else "")
    reason_ja = (
        f"名前が複数の市区町村に当てはまります: {listed}"
        + ("（コードの履歴に複数のコードがあります）" if why else "")
        + hint_ja
    )
    return RowMatch(row, text, None, "refused", reason, reason_ja)


def match_names(
    names: Sequence[str],
    prefectures: Sequence[str] | None = None,
    *,
    rows: Sequence[object] | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> list[RowMatch]:
    """Match prefecture + municipality names to codes, one :class:`RowMatch` per row.

    Parameters
    ----------
    names
        Municipality names as written (with or without prefecture and 郡, any variant kanji,
        or a reading in kana).
    prefectures
        The prefecture column, if any; blanks below a value are filled down (merged cells).
    rows
        Row labels for messages; default 1, 2, ….
    as_of
        The file's date: where a name was held by several municipalities over time, the one
        valid then is taken (its code of that date; map it with the code history). Default:
        the current one.

    Returns
    -------
    list of RowMatch
        Status ``matched`` (code valid at ``as_of``), ``set_aside`` (prefecture or total rows,
        wards, names that match nothing: the reason says which) or ``refused`` (a name shared by
        several municipalities: they are listed).
    """
    labels = list(rows) if rows is not None else list(range(1, len(names) + 1))
    prefs = fill_down(prefectures) if prefectures is not None else [""] * len(names)
    when = pd.Timestamp(as_of) if as_of is not None else None
    return [
        _match_one(row, p, str(n or "").strip(), when)
        for row, p, n in zip(labels, prefs, names, strict=True)
    ]
