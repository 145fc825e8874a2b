"""Municipal codes (全国地方公共団体コード) and names: normalise, validate, update, resolve.

A municipality is identified everywhere in regionlib by its 5-digit code as a string with
leading zeros (``"01100"`` = 札幌市). Source files write it in many ways: as an integer
(``1100``), with the 6th check digit (``"011002"``), with an ``R`` prefix (SSDSE,
``"R01100"``). :func:`normalize_code` turns any of these into the 5-digit form and validates the
check digit when there is one.

Codes change when municipalities merge or are promoted (富谷町 04423 → 富谷市 04216 in 2016).
:func:`update_codes` maps retired codes to their successors through the e-Stat change history
(dataset ``code-history``) and reports every change it applies.

:func:`resolve_municipality` turns a name (``"札幌市"``, ``"東京都府中市"``) or a code into a
code, raising :class:`~regionlib._errors.AmbiguousNameError` when a name is shared
(``"府中市"``: 東京都 and 広島県).

Examples
--------
>>> from regionlib import codes
>>> codes.normalize_code(1100)
'01100'
>>> codes.normalize_code("011002")
'01100'
>>> codes.normalize_code("R13101")
'13101'
>>> codes.check_digit("13101")
6
>>> codes.PREFECTURES["47"]
'沖縄県'
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionlib._errors import AmbiguousNameError, DataFormatError, UnknownNameError, suggest
from regionlib._log import log

__all__ = [
    "PREFECTURES",
    "SPECIAL_WARDS",
    "CodeUpdate",
    "check_digit",
    "fold_name",
    "load_code_history",
    "normalize_code",
    "normalize_codes",
    "normalize_name",
    "prefecture_code",
    "resolve_municipality",
    "update_codes",
]

_PREF_NAMES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 "
    "東京都 神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 "
    "滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 "
    "香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
)
#: Two-digit prefecture code -> prefecture name (JIS X 0401).
PREFECTURES: dict[str, str] = {
    f"{i:02d}": name for i, name in enumerate(_PREF_NAMES.split(" "), start=1)
}
_PREF_BY_NAME = {name: code for code, name in PREFECTURES.items()}
#: Codes of Tokyo's 23 special wards (特別区): named on every map, one town (東京) in region names.
SPECIAL_WARDS = tuple(f"131{i:02d}" for i in range(1, 24))
_WEIGHTS = (6, 5, 4, 3, 2)
_DIGITS = re.compile(r"\d{1,6}")


def check_digit(code5: str) -> int:
    """Return the check digit of a 5-digit municipal code (the 6th digit of the 6-digit form).

    The digits are weighted 6, 5, 4, 3, 2; the check digit is the last digit of
    ``11 - (weighted sum mod 11)``.

    Parameters
    ----------
    code5
        A 5-digit code, for example ``"01100"``.

    Returns
    -------
    int
        The check digit, 0–9.

    Raises
    ------
    DataFormatError
        If ``code5`` is not five digits.

    Examples
    --------
    >>> check_digit("01100")
    2
    """
    if not (isinstance(code5, str) and len(code5) == 5 and code5.isascii() and code5.isdigit()):
        msg = (
            f"check_digit には 5 桁のコード文字列が必要です（{code5!r}） / "
            f"check_digit needs a 5-digit code string, got {code5!r}"
        )
        raise DataFormatError(msg)
    total = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def normalize_code(value: object, *, source: str | None = None) -> str:
    """Return the 5-digit municipal code written in ``value``.

    Accepted forms: an integer or integral float (``1100``, ``1100.0``), a string of 1–5
    digits (zero-padded), a 6-digit string or integer whose last digit is the check digit
    (validated and dropped), and any of these prefixed with ``R`` (SSDSE). Surrounding
    whitespace and full-width digits are tolerated.

    Parameters
    ----------
    value
        The code as found in a file.
    source
        Where the value comes from (file and row), named in the error message.

    Returns
    -------
    str
        The 5-digit code, for example ``"01100"``.

    Raises
    ------
    DataFormatError
        If the value is missing, not a code, or its check digit is wrong.

    Examples
    --------
    >>> normalize_code("011002"), normalize_code(" R01100 "), normalize_code(131016)
    ('01100', '01100', '13101')
    """
    where = f" ({source})" if source else ""
    text: str
    if isinstance(value, bool) or value is None:
        text = ""
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, numbers.Real):
        if math.isnan(value) or not float(value).is_integer():
            msg = (
                f"市区町村コードではありません: {value!r}{where} / "
                f"not a municipal code: {value!r}{where}"
            )
            raise DataFormatError(msg)
        text = str(int(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if text[:1] in ("R", "r"):
            text = text[1:]
        if text.endswith(".0") and text[:-2].isdigit():  # integers that went through a float
            text = text[:-2]
    else:
        text = ""
    if not text or not _DIGITS.fullmatch(text):
        msg = (
            f"市区町村コードではありません: {value!r}{where}。5 桁（01100）、検査数字付き 6 桁（011002）、整数（1100）か R 付きのコード（R01100）にしてください / "
            f"not a municipal code: {value!r}{where}; expected 5 digits (01100), 6 digits "
            "with check digit (011002), an integer (1100) or an R-prefixed code (R01100)"
        )
        raise DataFormatError(msg)
    if len(text) == 6:
        code5, given = text[:5], int(text[5])
        expected = check_digit(code5)
        if given != expected:
            msg = (
                f"市区町村コード {value!r}{where} の検査数字が違います（{code5} の検査数字は {expected}、{given} ではありません）。コードの打ち間違いか、6 桁のコードではありません / "
                f"wrong check digit in municipal code {value!r}{where}: the check digit of "
                f"{code5} is {expected}, not {given}; the code is mistyped or not a 6-digit code"
            )
            raise DataFormatError(msg)
        return code5
    return text.zfill(5)


def normalize_codes(values: Iterable[object], *, source: str | None = None) -> pd.Series:
    """Normalise many codes at once (see :func:`normalize_code`).

    Parameters
    ----------
    values
        Codes; a Series keeps its index, which is named in error messages.
    source
        File name (or other origin) named in error messages.

    Returns
    -------
    pandas.Series
        5-digit code strings, same index as ``values`` when it is a Series.

    Raises
    ------
    DataFormatError
        On the first invalid value, naming its row and ``source``.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values))
    out = []
    for row, value in series.items():
        where = f"{source}, row {row}" if source else f"row {row}"
        out.append(normalize_code(value, source=where))
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


def prefecture_code(name_or_code: str) -> str:
    """Return the 2-digit code of a prefecture given by name (``"東京都"``, ``"東京"``) or code.

    Parameters
    ----------
    name_or_code
        A prefecture name, with or without its 都/道/府/県 suffix, or a code (``"13"``, ``13``).

    Returns
    -------
    str
        Two-digit prefecture code.

    Raises
    ------
    UnknownNameError
        If no prefecture matches; the message suggests close names.

    Examples
    --------
    >>> prefecture_code("大阪"), prefecture_code(1)
    ('27', '01')
    """
    text = unicodedata.normalize("NFKC", str(name_or_code)).strip()
    if text.isdigit() and f"{int(text):02d}" in PREFECTURES:
        return f"{int(text):02d}"
    if text in _PREF_BY_NAME:
        return _PREF_BY_NAME[text]
    for code, name in PREFECTURES.items():
        if name[:-1] == text or (name == "北海道" and text == "北海"):
            return code
    msg = (
        f"都道府県 {name_or_code!r} が見つかりません / "
        f"unknown prefecture {name_or_code!r}{suggest(text, _PREF_BY_NAME)}"
    )
    raise UnknownNameError(msg)


# --------------------------------------------------------------------------- code history


@functools.cache
def _history_graph() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the code history as node and edge tables, with validity dates.

    The R data takes seconds to parse, so the parsed tables are kept in the derived cache
    (keyed by the file's sha256), and parsed once per process at most.
    """
    from regionlib.data import _cache, datasets

    inputs = [datasets.info("code-history").sha256]
    nodes = _cache.cached(
        "code-history-nodes", inputs, {"columns": "kana"}, lambda: _parse_history()[0]
    )
    edges = _cache.cached("code-history-edges", inputs, {}, lambda: _parse_history()[1])
    # ``interval`` is the node's validity as a duration whose start the R object keeps in an
    # attribute rdata drops; an infinite one marks a current municipality. Dates come from the
    # edges instead: a node starts at its latest incoming change and ends at its first
    # outgoing change.
    nodes["current"] = ~np.isfinite(nodes["end"])
    start = edges.groupby("dst")["date"].max()
    end = edges.groupby("src")["date"].min()
    nodes["start_date"] = start.reindex(nodes.index)
    nodes["end_date"] = end.reindex(nodes.index).where(~nodes["current"])
    return nodes, edges


@functools.cache
def _parse_history() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``code-history`` (jpcity's ``R/sysdata.rda``) into node and edge tables.

    The file holds an igraph object: one node per (code, name) version of a municipality, with
    the end of its validity (``interval``, POSIX seconds; inf = still valid), and one edge per
    change (from node, to node, date, type).
    """
    import warnings

    import rdata

    from regionlib.data import datasets

    path = datasets.get_path("code-history")
    with warnings.catch_warnings():
        # rdata warns about R classes it has no constructor for (tbl_graph); we unpack by hand
        warnings.simplefilter("ignore")
        raw = rdata.read_rda(path, default_encoding="utf-8")
    try:
        graph = raw["graph_city"]["graph_city"]
        n_nodes = int(graph[0][0])
        src = np.asarray(graph[2], dtype=np.int64)
        dst = np.asarray(graph[3], dtype=np.int64)
        vattr, eattr = graph[8][2], graph[8][3]
        nodes = pd.DataFrame(
            {
                "code": pd.array([str(c) for c in vattr["city_code"]], dtype="str"),
                "prefecture": [str(p) for p in vattr["pref_name"]],
                "city": [None if v is None else str(v) for v in vattr["city_desig_name"]],
                "name": [
                    str(n) if n is not None else str(c)
                    for n, c in zip(vattr["city_name"], vattr["city_desig_name"], strict=True)
                ],
                "end": np.asarray(vattr["interval"], dtype=float),
                # reading in hiragana: a designated city's, then its ward's (さっぽろしちゅうおうく)
                "kana": [
                    "".join(str(k) for k in (d, n) if k is not None) or None
                    for d, n in zip(
                        vattr["city_desig_name_kana"], vattr["city_name_kana"], strict=True
                    )
                ],
            }
        )
        dates = (
            pd.to_datetime(np.asarray(eattr["date"], dtype=float), unit="s", utc=True)
            .tz_convert("Asia/Tokyo")
            .tz_localize(None)
            .normalize()
        )
        edges = pd.DataFrame(
            {"src": src, "dst": dst, "date": dates, "type": [str(t) for t in eattr["type"]]}
        )
    except (KeyError, IndexError, TypeError) as exc:
        msg = (
            f"データセット 'code-history'（{path}）: R データの形式が想定と違います / "
            f"dataset 'code-history' ({path}): unexpected layout of the R data ({exc!r})"
        )
        raise DataFormatError(msg) from exc
    if len(nodes) != n_nodes or edges[["src", "dst"]].to_numpy().max() >= n_nodes:
        msg = (
            f"データセット 'code-history'（{path}）: ノードとエッジの表が合いません / "
            f"dataset 'code-history' ({path}): node and edge tables do not match"
        )
        raise DataFormatError(msg)
    return nodes, edges


def load_code_history() -> pd.DataFrame:
    """Return the municipal code changes (廃置分合) 1970–2024, one row per change.

    Read from the registry dataset ``code-history`` (e-Stat history, packaged by jpcity).

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``type`` (合併, 市制施行, 名称変更, 区の再編 …), ``from_code``,
        ``from_prefecture``, ``from_city``, ``from_name``, ``to_code``, ``to_prefecture``,
        ``to_city``, ``to_name`` (``*_city``: the designated city of a ward), sorted by date.
    """
    nodes, edges = _history_graph()
    src = nodes.iloc[edges["src"].to_numpy()].reset_index(drop=True)
    dst = nodes.iloc[edges["dst"].to_numpy()].reset_index(drop=True)
    out = pd.DataFrame({"date": edges["date"].to_numpy(), "type": edges["type"].to_numpy()})
    for prefix, side in (("from", src), ("to", dst)):
        out[f"{prefix}_code"] = side["code"].to_numpy()
        out[f"{prefix}_prefecture"] = side["prefecture"].to_numpy()
        out[f"{prefix}_city"] = side["city"].to_numpy()
        out[f"{prefix}_name"] = side["name"].to_numpy()
    return out.sort_values(["date", "from_code", "to_code"], kind="stable").reset_index(drop=True)


@dataclass
class CodeUpdate:
    """What :func:`update_codes` did.

    Attributes
    ----------
    codes
        The updated codes, same index as the input.
    changes
        One row per input code that was changed: ``old``, ``new``, ``date`` (of the last
        change applied), ``name_old``, ``name_new``.
    unresolved
        Retired codes that could not be mapped to a single current code (split
        municipalities) or are unknown to the history: ``code``, ``reason``. They are kept
        unchanged in ``codes``.
    """

    codes: pd.Series
    changes: pd.DataFrame
    unresolved: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __str__(self) -> str:
        lines = [f"{len(self.changes)} code(s) updated, {len(self.unresolved)} unresolved"]
        for row in self.changes.head(20).itertuples():
            lines.append(
                f"  {row.old} {row.name_old} -> {row.new} {row.name_new} ({row.date:%Y-%m-%d})"
            )
        for row in self.unresolved.head(20).itertuples():
            lines.append(f"  {row.code}: {row.reason}")
        return "\n".join(lines)


#: (new code or None, reason, date of the last change, old name, new name)
_Found = tuple[str | None, str, pd.Timestamp | None, str, str]


def _alive(nodes: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    started = nodes["start_date"].isna() | (nodes["start_date"] <= when)
    not_ended = nodes["current"] | (nodes["end_date"].notna() & (nodes["end_date"] > when))
    return started & not_ended


def update_codes(codes: Iterable[object], *, as_of: str | pd.Timestamp | None = None) -> CodeUpdate:
    """Map retired municipal codes to the codes valid at ``as_of``, reporting every change.

    A code still valid at ``as_of`` is kept. A retired code is followed through the change
    history (mergers, promotions to city, renumbering) to the municipality or municipalities
    that succeeded it; if there is exactly one, the code is replaced. Codes of split
    municipalities, or codes unknown to the history, are kept unchanged and listed in
    ``unresolved``. Every change is logged.

    Parameters
    ----------
    codes
        Codes in any form :func:`normalize_code` accepts; a Series keeps its index.
    as_of
        Date at which codes should be valid (``"2021-01-01"``); default the latest in the
        history (2024). Use the vintage of the boundaries you join to, because ward codes
        also change (浜松市 2024).

    Returns
    -------
    CodeUpdate
        ``codes`` (Series of 5-digit strings), ``changes`` and ``unresolved``.

    Examples
    --------
    >>> update_codes(["04423", "01100"]).codes.tolist()  # doctest: +SKIP
    ['04216', '01100']
    """
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes))
    normalized = normalize_codes(series)
    nodes, edges = _history_graph()
    when = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max
    alive = _alive(nodes, when)
    alive_codes = set(nodes.loc[alive, "code"])
    by_code: dict[str, list[int]] = {}
    for i, code in enumerate(nodes["code"]):
        by_code.setdefault(code, []).append(i)
    usable = edges[edges["date"] <= when]
    out_edges: dict[int, list[tuple[int, pd.Timestamp]]] = {}
    for s, d, date in zip(usable["src"], usable["dst"], usable["date"], strict=True):
        out_edges.setdefault(int(s), []).append((int(d), date))
    alive_arr = alive.to_numpy()
    names = nodes["name"].to_numpy()
    node_codes = nodes["code"].to_numpy()

    cache: dict[str, _Found] = {}

    def successor(code: str) -> _Found:
        """Return (new code or None, reason, date of last change, old name, new name)."""
        if code in cache:
            return cache[code]
        result: _Found
        if code in alive_codes:
            result = (code, "", None, "", "")
        elif code not in by_code:
            result = (None, "unknown to the code history (not a municipal code?)", None, "", "")
        else:
            seen: set[int] = set()
            stack = [(n, pd.NaT) for n in by_code[code]]
            found: dict[str, tuple[pd.Timestamp, str]] = {}
            while stack:
                node, date = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                if alive_arr[node] and node_codes[node] != code:
                    found[node_codes[node]] = (date, names[node])
                    continue
                stack.extend(out_edges.get(node, []))
            old_name = names[by_code[code][-1]]
            if len(found) == 1:
                new, (date, new_name) = next(iter(found.items()))
                result = (new, "", date, old_name, new_name)
            elif not found:
                result = (None, "retired with no successor valid at that date", None, "", "")
            else:
                result = (None, f"split into {', '.join(sorted(found))}", None, "", "")
        cache[code] = result
        return result

    new_values, changes, unresolved = [], [], []
    for code in normalized:
        new, reason, date, old_name, new_name = successor(code)
        if new is None:
            unresolved.append({"code": code, "reason": reason})
            new_values.append(code)
            continue
        new_values.append(new)
        if new != code:
            changes.append(
                {"old": code, "new": new, "date": date, "name_old": old_name, "name_new": new_name}
            )
    changes_df = pd.DataFrame(changes, columns=["old", "new", "date", "name_old", "name_new"])
    changes_df = changes_df.drop_duplicates().reset_index(drop=True)
    unresolved_df = pd.DataFrame(unresolved, columns=["code", "reason"]).drop_duplicates()
    if len(changes_df):
        # one line, not one per code: a 1995 file has some 1,500 (every one is in ``changes``
        # and in the join reports), and a cached product repeats its build's lines on each load
        shown = "; ".join(
            f"{r.old} {r.name_old} -> {r.new} {r.name_new}" for r in changes_df.head(3).itertuples()
        )
        more = f" …（ほか {len(changes_df) - 3}）" if len(changes_df) > 3 else ""
        more_en = f" … ({len(changes_df) - 3} more)" if len(changes_df) > 3 else ""
        log(  # debug: a caller says what the updates mean for its table (table's join)
            f"codes updated: {len(changes_df)} ({shown}{more_en})",
            logging.DEBUG,
            ja=f"コードを更新: {len(changes_df)} 件（{shown}{more}）",
        )
    for row in unresolved_df.itertuples():
        log(
            f"code {row.code} left unchanged: {row.reason}",
            level=logging.WARNING,
            ja=f"コード {row.code} は読み替えられませんでした",
        )
    result = pd.Series(new_values, index=series.index, name=series.name, dtype="str")
    return CodeUpdate(result, changes_df, unresolved_df.reset_index(drop=True))


def city_of_ward(code: str) -> str | None:
    """Return the code of the designated city a ward code belongs to, else None.

    A merger into a ward (由比町 into 静岡市清水区 22103, 2008) is a merger into the city:
    callers that work on municipalities map the ward to its city with this.

    Parameters
    ----------
    code
        A 5-digit code.

    Returns
    -------
    str or None
        The city's code (``"22100"`` for ``"22103"``), or None when ``code`` is not a ward.
    """
    return _ward_cities().get(str(code))


@functools.cache
def _ward_cities() -> dict[str, str]:
    nodes, _ = _history_graph()
    city = nodes["city"].astype(object)
    is_city = city.notna() & (nodes["name"] == city)
    cities: dict[tuple[str, str], str] = {}
    for pref, name, code, current in zip(
        nodes.loc[is_city, "prefecture"],
        nodes.loc[is_city, "name"],
        nodes.loc[is_city, "code"],
        nodes.loc[is_city, "current"],
        strict=True,
    ):
        if current or (pref, name) not in cities:  # the current city's code wins
            cities[(str(pref), str(name))] = str(code)
    wards = nodes[city.notna() & (nodes["name"] != city)]
    out = {}
    for code, pref, name in zip(wards["code"], wards["prefecture"], wards["city"], strict=True):
        if (pref, name) in cities:
            out[str(code)] = str(cities[(pref, name)])
    return out


# --------------------------------------------------------------------------- names


def normalize_name(text: str) -> str:
    """Return a municipality name in the form regionlib compares names in.

    Unicode NFKC, no white space, and ケ folded to ヶ: the two are written interchangeably in
    place names (鰺ヶ沢町 / 鰺ケ沢町, 鎌ケ谷市).

    Parameters
    ----------
    text
        A name, optionally prefixed by prefecture and county.

    Returns
    -------
    str
        The normalised name.
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).replace("ケ", "ヶ")


#: Old and variant forms of kanji written interchangeably in municipality names, folded to one
#: form for comparison only (檜原村 / 桧原村, 下條村 / 下条村, 南木曾町 / 南木曽町, 檮原町 / 梼原町).
_VARIANTS = str.maketrans(
    {
        "檜": "桧",
        "條": "条",
        "龍": "竜",
        "曾": "曽",
        "梼": "檮",
        "\ufa11": "崎",  # 﨑 (a compatibility ideograph NFKC keeps)
        "嵜": "崎",
        "髙": "高",
        "嶋": "島",
        "嶌": "島",
        "邊": "辺",
        "邉": "辺",
        "澤": "沢",
        "濱": "浜",
        "廣": "広",
        "國": "国",
        "德": "徳",
        "惠": "恵",
        "舘": "館",
        "槇": "槙",
        "眞": "真",
        "驒": "騨",
    }
)


def fold_name(text: str) -> str:
    """Return the key two spellings of one municipality name share.

    :func:`normalize_name` (NFKC, no spaces, ケ as ヶ), then old and variant kanji folded to one
    form (檜/桧, 條/条, 龍/竜, 曾/曽, 檮/梼, 﨑/崎, 髙/高 …). For comparing names, never for showing.

    Parameters
    ----------
    text
        A name.

    Returns
    -------
    str
        The comparison key.

    Examples
    --------
    >>> fold_name("檜原村") == fold_name("桧原村"), fold_name("下條村") == fold_name("下条村")
    (True, True)
    """
    return normalize_name(text).translate(_VARIANTS)


def to_hiragana(text: str) -> str:
    """Return ``text`` (NFKC-normalised, no spaces) with katakana turned into hiragana.

    Parameters
    ----------
    text
        A reading in hiragana or katakana (half-width katakana too).

    Returns
    -------
    str
        The reading in hiragana, as :func:`readings` gives it (ユウバリシ -> ゆうばりし).
    """
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    text = text.replace("ヶ", "け").replace("ヵ", "か")
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎ", "あいうえおつやゆよわ")


def kana_key(text: str) -> str:
    """Return the key readings are compared and sorted by: hiragana, small kana full size.

    The 全国地方公共団体コード writes small kana full size (ｼﾖｳﾅｲﾏﾁ for 庄内町); with this key
    ``しょうない`` and ``しようない`` are one reading, and 五十音順 sorts both alike.

    Parameters
    ----------
    text
        A reading in hiragana or katakana (half-width too).

    Returns
    -------
    str
        The comparison key.

    Examples
    --------
    >>> kana_key("ショウナイマチ") == kana_key("ｼﾖｳﾅｲﾏﾁ")
    True
    """
    return to_hiragana(text).translate(_SMALL_KANA)


def gojuon_order(codes: Iterable[str]) -> list[str]:
    """Return ``codes`` sorted in 五十音順 by their readings (codes without one last, by code).

    Parameters
    ----------
    codes
        5-digit codes.

    Returns
    -------
    list of str
        The codes in 五十音順.
    """
    kana = readings()
    return sorted(
        (str(c) for c in codes),
        key=lambda c: (c not in kana.index, kana_key(kana[c]) if c in kana.index else "", c),
    )


#: A query written in kana only: matched against the readings.
_KANA = re.compile(r"[ぁ-ゖァ-ヺー]+")
#: Readings of the kinds of municipality, dropped to match a bare reading (ゆうばり).
_KIND_READINGS = ("し", "く", "ちょう", "まち", "そん", "むら")


@functools.cache
def readings() -> pd.Series:
    """Return the reading (hiragana) of every current municipality and designated-city ward.

    Municipalities from the 全国地方公共団体コード (dataset ``municipality-readings``: half-width
    katakana, NFKC-normalised and turned into hiragana), ``01209`` -> ``ゆうばりし``; the
    designated-city wards, which that list does not hold, from the code history
    (``01101`` 札幌市中央区 -> ``さっぽろしちゅうおうく``).

    Returns
    -------
    pandas.Series
        Reading per 5-digit code, named ``kana``.
    """
    from regionlib.data import _cache, datasets

    listed = _cache.cached(
        "municipality-readings",
        [datasets.info("municipality-readings").sha256],
        {},
        _read_code_list,
        geometry=False,
    )
    out = pd.Series(listed["kana"].to_numpy(), index=listed["code"].astype(str).to_numpy())
    nodes, _ = _history_graph()
    current = nodes[nodes["current"] & nodes["kana"].notna()].drop_duplicates("code", keep="last")
    history = pd.Series(current["kana"].astype(str).to_numpy(), index=current["code"].astype(str))
    # the code list writes small kana full size (ｼﾖｳﾅｲ for しょうない): where the history's
    # reading is the same but for that, its spelling is kept
    same = history.reindex(out.index)
    keep = same.notna() & (same.fillna("").map(kana_key) == out.map(kana_key))
    out[keep] = same[keep]
    is_ward = current["city"].notna().to_numpy() & (current["name"] != current["city"]).to_numpy()
    wards = history[is_ward & ~history.index.isin(out.index)]
    return pd.concat([out, wards]).sort_index().rename("kana")


def _read_code_list() -> pd.DataFrame:
    """Read the codes and readings of the 全国地方公共団体コード sheet (municipalities only)."""
    from python_calamine import CalamineWorkbook

    from regionlib.data import datasets

    path = datasets.get_path("municipality-readings")
    sheet = "全国地方公共団体コード"
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    except Exception as exc:
        msg = (
            f"データセット 'municipality-readings'（{path.name}）: シート {sheet} を読めません / "
            f"dataset 'municipality-readings' ({path.name}): no readable sheet {sheet} ({exc})"
        )
        raise DataFormatError(msg) from exc
    header = [normalize_name(c) for c in rows[0]]
    try:
        at_code = header.index("団体コード")
        at_kana = next(
            i for i, h in enumerate(header) if h.startswith("市区町村名") and "カナ" in h
        )
    except (ValueError, StopIteration):
        msg = (
            f"{path.name}: シート {sheet} に 団体コード と 市区町村名（カナ） の列がありません / "
            f"{path.name}: sheet {sheet} has no 団体コード and 市区町村名（カナ） columns"
        )
        raise DataFormatError(msg) from None
    out = []
    for line, row in enumerate(rows[1:], start=2):
        code6, kana = str(row[at_code]).strip(), str(row[at_kana]).strip()
        if not code6 or not kana:
            continue  # prefecture rows have no municipality reading
        out.append((normalize_code(code6, source=f"{path.name}, line {line}"), to_hiragana(kana)))
    return pd.DataFrame(out, columns=["code", "kana"])


def _reading_hits(text: str, codes: pd.Index) -> list[str]:
    """Codes among ``codes`` whose reading is ``text``, with or without its kind (し, ちょう…)."""
    wanted = kana_key(text)
    kana = readings().reindex(codes.astype(str)).dropna().map(kana_key)
    bare = kana.str.replace(f"({'|'.join(_KIND_READINGS)})$", "", regex=True)
    return sorted(set(kana.index[(kana == wanted).to_numpy() | (bare == wanted).to_numpy()]))


@functools.cache
def _default_candidates() -> pd.DataFrame:
    from regionlib.data import names as names_module

    return names_module.load_names()


def resolve_municipality(name_or_code: object, *, candidates: pd.DataFrame | None = None) -> str:
    """Return the 5-digit code of a municipality given by name or code.

    Names are matched after Unicode (NFKC) normalisation and removal of spaces, as the bare
    name (``"札幌市"``), prefixed by the prefecture (``"東京都府中市"``) or, for towns and villages,
    by prefecture and county (``"北海道石狩郡当別町"``). Designated-city wards are found by their
    full name (``"札幌市中央区"``). A name written in kana only is matched against the readings
    (``"ゆうばりし"``, ``"ユウバリ"``; see :func:`readings`).

    Parameters
    ----------
    name_or_code
        A name, or a code in any form :func:`normalize_code` accepts.
    candidates
        Table of municipalities to search: index ``code``, column ``name`` (optional
        ``prefecture`` and ``county``), for example :func:`regionlib.boundaries.load_boundaries`
        output. Default: the names of the 2021 N03 boundaries (municipalities and wards).

    Returns
    -------
    str
        The 5-digit code.

    Raises
    ------
    AmbiguousNameError
        If several municipalities have that name; the message lists them with prefectures.
    UnknownNameError
        If nothing matches; the message suggests close names.

    Examples
    --------
    >>> resolve_municipality("東京都府中市")  # doctest: +SKIP
    '13206'
    """
    table = _default_candidates() if candidates is None else candidates
    if "name" not in table.columns:
        msg = (
            "候補の表に 'name' 列がありません / "
            f"candidates table has no 'name' column (columns: {list(table.columns)})"
        )
        raise DataFormatError(msg)
    if "prefecture" not in table.columns:  # names alone: prefixed forms cannot match
        table = table.assign(prefecture="")
    codes = table.index.astype(str)
    text = fold_name(name_or_code) if isinstance(name_or_code, str) else None
    if text is None or re.fullmatch(r"[Rr]?\d{1,6}(\.0)?", text):
        code = normalize_code(name_or_code)
        if code not in set(codes):
            msg = (
                f"市区町村コード {code} は候補の {len(table)} 市区町村に含まれていません / "
                f"municipal code {code} is not among the {len(table)} candidate municipalities"
            )
            raise UnknownNameError(msg)
        return code
    names = table["name"].astype(str).map(fold_name).to_numpy()
    prefs = table["prefecture"].astype(str).map(fold_name).to_numpy()
    forms = [names, np.char.add(prefs.astype(str), names.astype(str))]
    if "county" in table.columns:
        county = table["county"].fillna("").astype(str).map(fold_name).to_numpy()
        forms.append(
            np.char.add(np.char.add(prefs.astype(str), county.astype(str)), names.astype(str))
        )
    mask = np.zeros(len(table), dtype=bool)
    for form in forms:
        mask |= form == text
    hits = sorted(set(codes[mask]))
    if not hits and _KANA.fullmatch(unicodedata.normalize("NFKC", str(name_or_code)).strip()):
        hits = _reading_hits(str(name_or_code), codes)  # ゆうばりし, ユウバリ
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        shown = table.loc[table.index.astype(str).isin(hits)]
        listed = ", ".join(
            f"{p}{n} ({c})"
            for c, p, n in zip(shown.index, shown["prefecture"], shown["name"], strict=True)
        )
        msg = (
            f"市区町村名 '{name_or_code}' は複数の市区町村に当てはまります: {listed}。都道府県名を前に付ける（例: '東京都府中市'）か、コードを指定してください / "
            f"municipality name '{name_or_code}' is ambiguous: {listed}; "
            "prefix the prefecture (for example '東京都府中市') or give the code"
        )
        raise AmbiguousNameError(msg)
    full = [f"{p}{n}" for p, n in zip(table["prefecture"], table["name"], strict=True)]
    msg = (
        f"市区町村 '{name_or_code}' が見つかりません / "
        f"unknown municipality '{name_or_code}'{suggest(text, list(names) + full)}"
    )
    raise UnknownNameError(msg)
