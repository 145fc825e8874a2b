"""The indicator catalogue: names, Japanese labels, units, years, formulas and sources.

The catalogue (:func:`regionlib.data.catalogue.rows`: derived from the raw files' headers on
first use and kept in the cache, plus the hand-written rows of ``regionlib/catalogue.csv``) has
one row per indicator and year: ``name``, ``year``, Japanese ``label``, ``unit``, source
``dataset``, ``numerator`` and ``denominator`` (sums and differences of source items, an item
of another dataset written ``dataset:item``), ``scale``, the reason given when the denominator
is 0, a ``description`` and the ``credit`` line. A value is ``sum(numerator) /
sum(denominator) × scale``; without a denominator it is the numerator as published. A
numerator ``A * B`` multiplies by a second sum (``A1301 * A1101`` over the known ages: the
under-15 population with people of unknown age allocated in proportion), and a numerator
``=REQUEST`` defines a row as another request (``=child_population_known_age@2015-2020%``). Adding a
hand-written indicator, or a year of one, is one line of ``regionlib/catalogue.csv``.

Names may carry a year or a change between two years (see :func:`parse`):

- ``aging_rate``: the latest year the sources hold;
- ``aging_rate@2015``: the 2015 value;
- ``aging_rate@2015-2020``: the change from 2015 to 2020 (points for a rate, count for a count);
- ``population_registered@2016-2022%``: the same change in % of the 2015 value.

Japanese labels work wherever a name does (``"高齢化率"``, ``"高齢化率@2015"``).

A value is missing (NaN) when an input is missing (the reason of the input is kept, e.g.
``"C120110: not obtainable (-)"``), when the municipality is not in the source, or when the
denominator is 0 (``"population is 0"`` for the Fukushima evacuation towns): never ``inf``.
Age shares are computed among people of known age (A1301 + A1302 + A1303): the 2020 census
counts 2.9 million people of unknown age.

Examples
--------
>>> from regionlib import indicators
>>> indicators.info("aging_rate").unit
'%'
>>> indicators.info("aging_rate").formula
'A1303 / (A1301 + A1302 + A1303) × 100 (ssdse-a-2026)'
>>> indicators.info("aging_rate@2015").year
'2015'
>>> indicators.resolve("高齢化率@2015")
'aging_rate@2015'
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionlib._errors import (
    AmbiguousNameError,
    DataFormatError,
    RegionlibError,
    UnknownNameError,
    suggest,
)
from regionlib._log import log
from regionlib.data import datasets, readers

__all__ = [
    "COUNT_UNITS",
    "DEFAULT_INDICATORS",
    "POPULATION_COLUMNS",
    "Indicator",
    "Rule",
    "Spec",
    "catalogue",
    "changes_in_percent",
    "compute_indicators",
    "credits",
    "datasets_of",
    "definition_break",
    "find",
    "info",
    "parse",
    "parse_rule",
    "population_column",
    "read_source",
    "register",
    "resolve",
    "search",
    "similar",
    "years",
]


@dataclass(frozen=True)
class Indicator:
    """Metadata of one catalogue indicator (at one year, or a change between two).

    Attributes
    ----------
    name
        Column name in tables: the catalogue name, with ``@YEAR`` or ``@START-END`` when a
        year or change was asked for.
    label
        Japanese label for maps, tooltips and planners' tables.
    unit
        Unit (``"%"``, ``"人"``, ``"人/km²"``, ``"千円"`` …; ``""`` for an index).
    year
        Reference year (fiscal year for fiscal items) of the value, as a string
        (``"2015-2020"`` for a change).
    formula
        How the value is computed from the source items.
    datasets
        Registry names of the sources.
    description
        One or two English sentences: meaning and caveats.
    years
        Every year the catalogue holds this indicator for.
    credit
        Credit line(s) of the sources.
    group
        ``curated`` (hand-written), ``ssdse``, ``juki``, ``juki_age``, ``fiscal``, ``income``
        (generated from the raw files) or ``user`` (:func:`register`).
    kind
        What the value is, which decides how it changes: ``count`` (people, households,
        establishments, events), ``amount`` (money, area), ``average`` (per person, household
        or area), ``rate`` (shares, ratios, per 1,000 or 10,000), ``index`` or ``net`` (a signed
        balance, such as natural change or a change between two years); ``""`` if unknown.
        See :func:`changes_in_percent`.
    aggregation
        How an area of several municipalities gets its value (:class:`Rule`): ``sum``,
        ``ratio``, ``ratio:NUM/DEN[*SCALE]``, ``weighted:WEIGHT`` or ``none:REASON``.
    """

    name: str
    label: str
    unit: str
    year: str
    formula: str
    datasets: tuple[str, ...]
    description: str
    years: tuple[int, ...] = ()
    credit: str = ""
    group: str = ""
    kind: str = ""
    aggregation: str = ""

    @property
    def rule(self) -> Rule:
        """The parsed :attr:`aggregation` rule."""
        return parse_rule(self.aggregation, where=f"indicator '{self.name}'")


@dataclass(frozen=True)
class Rule:
    """How an area (a set of municipalities) gets the value of an indicator.

    Attributes
    ----------
    kind
        ``"sum"`` (counts and amounts: the members' values added), ``"ratio"`` (numerator and
        denominator summed over the members, then divided: never an average of rates),
        ``"weighted"`` (the members' values averaged with the weight indicator) or ``"none"``
        (left missing with :attr:`reason`).
    numerator, denominator, scale
        For a user's ``ratio:NUM/DEN*SCALE``: the columns or indicators whose sums are divided.
        Empty for a catalogue ratio, whose parts are the catalogue formula's.
    weight
        The weight indicator of ``weighted`` (taken at the same year unless it names one).
    reason
        Why ``none`` leaves the value missing.
    """

    kind: str
    numerator: str = ""
    denominator: str = ""
    scale: float = 1.0
    weight: str = ""
    reason: str = ""


_RULES = ("sum", "ratio", "weighted", "none")


def parse_rule(text: str, *, where: str = "aggregation rule") -> Rule:
    """Parse an aggregation rule (``sum``, ``ratio``, ``ratio:A/B*100``, ``weighted:W``, ``none:…``).

    Parameters
    ----------
    text
        The rule as written in the catalogue's ``aggregation`` column or given to
        :func:`register`.
    where
        What to name in an error (a catalogue line, an indicator).

    Returns
    -------
    Rule
        The parsed rule.

    Raises
    ------
    UnknownNameError
        For an empty or unknown rule.
    """
    kind, _, rest = str(text).strip().partition(":")
    kind, rest = kind.strip(), rest.strip()
    if kind not in _RULES:
        msg = (
            f"{where}: 集計方法 {text!r} は sum, ratio, ratio:分子/分母, weighted:重み, none:理由 のいずれかにしてください / "
            f"{where}: aggregation rule {text!r} is not one of sum, ratio, ratio:NUM/DEN, "
            "weighted:WEIGHT, none:REASON"
        )
        raise UnknownNameError(msg)
    if kind == "none":
        return Rule("none", reason=rest or "集計方法が定められていない / no aggregation rule")
    if kind == "weighted":
        if not rest:
            raise UnknownNameError(
                f"{where}: 'weighted' には重みが必要です: weighted:重み / "
                f"{where}: 'weighted' needs a weight: weighted:WEIGHT"
            )
        return Rule("weighted", weight=rest)
    if kind == "ratio" and rest:
        parts, _, scale = rest.partition("*")
        num, _, den = parts.partition("/")
        if not num.strip() or not den.strip():
            raise UnknownNameError(
                f"{where}: 利用者の比率は ratio:分子/分母 と書いてください / "
                f"{where}: write a user ratio as ratio:NUMERATOR/DENOMINATOR"
            )
        try:
            factor = float(scale) if scale.strip() else 1.0
        except ValueError:
            raise UnknownNameError(
                f"{where}: {text!r} の倍率 {scale!r} は数値ではありません / "
                f"{where}: scale {scale!r} of {text!r} is not a number"
            ) from None
        return Rule("ratio", num.strip(), den.strip(), factor)
    return Rule(kind)


#: The kinds of value the catalogue's ``kind`` column may hold (see :class:`Indicator`).
KINDS = ("count", "amount", "average", "rate", "index", "net")

#: Kinds whose change between two years is given in % of the start value (the others in
#: points or their own unit): see :func:`changes_in_percent`.
PERCENT_CHANGE_KINDS = ("count", "amount", "average")

#: (sign, dataset, item)
_Term = tuple[int, str, str]


@dataclass(frozen=True)
class _Row:
    """One line of the catalogue file: an indicator at one year."""

    name: str
    year: int
    label: str
    unit: str
    dataset: str
    num: tuple[_Term, ...]
    den: tuple[_Term, ...]
    scale: float
    zero_reason: str
    group: str
    description: str
    credit: str
    numerator: str
    denominator: str
    times: tuple[_Term, ...] = ()
    alias: str = ""
    kind: str = ""
    aggregation: str = ""

    @property
    def datasets(self) -> tuple[str, ...]:
        if self.alias:
            return _describe(parse(self.alias)).datasets
        return tuple(dict.fromkeys(d for _, d, _ in self.num + self.times + self.den))

    @property
    def formula(self) -> str:
        if self.alias:
            return f"= {self.alias} ({_describe(parse(self.alias)).formula})"
        num = self.numerator.replace(" * ", " × ")
        if not self.den:
            return f"{num} ({self.dataset})"
        den = self.denominator if len(self.den) == 1 else f"({self.denominator})"
        num = num if len(self.num) == 1 or self.times else f"({num})"
        scale = f" × {self.scale:g}" if self.scale != 1 else ""
        return f"{num} / {den}{scale} ({self.dataset})"


@dataclass(frozen=True)
class Spec:
    """A parsed indicator request: ``name``, ``name@YEAR`` or ``name@START-END[%]``.

    Attributes
    ----------
    name
        Catalogue name.
    year
        Year asked for (the end year of a change); None = the latest.
    start
        Start year of a change, else None.
    relative
        True for a change in % of the start value.
    """

    name: str
    year: int | None = None
    start: int | None = None
    relative: bool = False

    @property
    def column(self) -> str:
        """The column name of this request in tables."""
        if self.start is not None:
            return f"{self.name}@{self.start}-{self.year}" + ("%" if self.relative else "")
        return self.name if self.year is None else f"{self.name}@{self.year}"


_TERM = re.compile(r"\s*([+-])?\s*([^\s+]+)")


def _terms(text: str, dataset: str, where: str) -> tuple[_Term, ...]:
    out = []
    text = text.strip()
    if not text:
        return ()
    for sign, token in _TERM.findall(text):
        ds, _, item = token.rpartition(":")
        out.append((-1 if sign == "-" else 1, ds or dataset, item))
    if not out:
        raise UnknownNameError(
            f"{where}: 式 {text!r} を読めません / {where}: cannot read the formula {text!r}"
        )
    return tuple(out)


_building = False


@functools.cache
def _rows() -> dict[str, dict[int, _Row]]:
    """Read the catalogue once (:func:`regionlib.data.catalogue.rows`): name -> year -> row."""
    global _building
    from regionlib.data import catalogue

    if _building:  # a reader used while building the catalogue asked for the catalogue
        raise RegionlibError(
            "指標カタログの作成中にカタログが参照されました / the catalogue was asked for "
            "while it is being built"
        )
    _building = True
    try:
        records = catalogue.rows()
    finally:
        _building = False
    out: dict[str, dict[int, _Row]] = {}
    for rec in records:
        where = f"catalogue, {rec['name']} ({rec['year']})"
        numerator, _, times = rec["numerator"].partition(" * ")
        alias = numerator[1:].strip() if numerator.startswith("=") else ""
        row = _Row(
            name=rec["name"],
            year=int(rec["year"]),
            label=rec["label"],
            unit=rec["unit"],
            dataset=rec["dataset"],
            num=() if alias else _terms(numerator, rec["dataset"], where),
            times=_terms(times, rec["dataset"], where),
            alias=alias,
            den=_terms(rec["denominator"], rec["dataset"], where),
            scale=float(rec["scale"] or 1),
            zero_reason=rec["zero_reason"] or "denominator is 0",
            group=rec["group"],
            description=rec["description"],
            credit=rec["credit"],
            numerator=rec["numerator"],
            denominator=rec["denominator"],
            kind=rec.get("kind") or "",
            aggregation=rec.get("aggregation") or "",
        )
        parse_rule(row.aggregation, where=where)
        out.setdefault(row.name, {})[row.year] = row
    return {n: dict(sorted(by_year.items())) for n, by_year in out.items()}


#: Japanese for the reasons a value is missing (the sources' and the catalogue's own words)
_REASONS_JA = (
    (re.compile(r"2015 population.* is 0"), "2015年の人口が0のため算出できない"),
    (re.compile(r"population is 0"), "人口が0のため算出できない"),
    (re.compile(r"no population of known age"), "年齢の分かる人口が0のため算出できない"),
    (re.compile(r"labour force is 0"), "労働力人口が0のため算出できない"),
    (re.compile(r"habitable area is 0"), "可住地面積が0のため算出できない"),
    (re.compile(r"no employed"), "就業者がいないため算出できない"),
    (re.compile(r"no general households"), "一般世帯がないため算出できない"),
    (re.compile(r"no taxpayers"), "納税義務者がいないため算出できない"),
    (re.compile(r"no receipts"), "受入額がないため算出できない"),
    (re.compile(r"no 基準財政需要額"), "基準財政需要額がないため算出できない"),
    (re.compile(r"denominator is 0"), "分母が0のため算出できない"),
    (re.compile(r"^(?P<items>[A-Z0-9 +]+) is 0$"), "分母（{items}）が0のため算出できない"),
    (re.compile(r"not in (the )?source"), "出典データに記載がない"),
    (re.compile(r"not surveyed"), "出典で調査されていない（***）"),
    (re.compile(r"not obtainable"), "出典で「-」（数値が得られない）"),
    (re.compile(r"suppressed|confidential|secret"), "出典で秘匿（X）"),
    (re.compile(r"blank in source"), "出典で空欄"),
    (re.compile(r"bracketed reference value"), "出典で括弧付きの参考値のため比較できない"),
    (re.compile(r"no net burden"), "将来負担がない（出典で「－」）"),
    (re.compile(r"merged since"), "合併した市区町村の指数・比率は合算できない"),
)


def missing_reason_ja(reason: object) -> str:
    """Return the Japanese of the reason a value is missing (the reason itself when unknown).

    Parameters
    ----------
    reason
        A reason as the tables carry it (``"population is 0"``, ``"not in source"`` …);
        empty for a value the source simply lacks.

    Returns
    -------
    str
        E.g. 「人口が0のため算出できない」; 「出典データに値がない」 for an empty reason.
    """
    text = "" if reason is None or (isinstance(reason, float) and reason != reason) else str(reason)
    for pattern, ja in _REASONS_JA:
        match = pattern.search(text)
        if match:
            return ja.format(**match.groupdict())
    return text or "出典データに値がない"


#: Indicators registered by the user (:func:`register`): name -> Indicator.
_USER: dict[str, Indicator] = {}

#: Values of registered indicators that came with data: name -> Series by code.
_USER_DATA: dict[str, pd.Series] = {}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@functools.cache
def _labels() -> dict[str, list[str]]:
    """Normalised label (full, and without its trailing bracketed detail) -> names."""
    out: dict[str, list[str]] = {}
    for name, by_year in _rows().items():
        label = next(reversed(by_year.values())).label
        keys = {_norm(label), _norm(re.sub(r"（[^（）]*）$", "", label))}
        for key in keys:
            if name not in out.setdefault(key, []):
                out[key].append(name)
    return out


_SPEC = re.compile(r"^(?P<base>.+?)@(?P<a>\d{4})(?:-(?P<b>\d{4})(?P<pct>%)?)?$")


def _base_name(text: str) -> str:
    """Catalogue name of a name or Japanese label (without any ``@`` part)."""
    if text in _rows() or text in _USER:
        return text
    hits = _labels().get(_norm(text), [])
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        listed = ", ".join(f"{h} ({_latest(h).label})" for h in hits)
        raise AmbiguousNameError(
            f"指標名 '{text}' が複数の指標に当てはまります: {listed} / "
            f"indicator label '{text}' matches several indicators: {listed}"
        )
    close = similar(text)
    ja = f"指標 '{text}' は見つかりません"
    if close:
        ja += "。もしかして: " + "、".join(f"{_short_label(n)} ({n})" for n in close)
    en = f"unknown indicator '{text}'"
    en += f"; did you mean: {', '.join(close)}?" if close else ""
    raise UnknownNameError(f"{ja} / {en} (see `regionlib indicators`)")


def _short_label(name: str) -> str:
    if name in _USER:
        return _USER[name].label
    label = _latest(name).label
    return re.sub(r"（[^（）]*）$", "", label) or label


def _kana(text: str) -> str:
    """NFKC, no spaces, lower case, katakana as hiragana (so readings typed either way match)."""
    text = _norm(text).lower().replace("_", "")
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


#: Readings of the words indicator labels are made of, longest first when applied: a label's
#: reading is the label with these words read (``高齢化率`` -> ``こうれいかりつ``), so that a
#: request typed in kana finds it.
_READINGS = {
    "高齢化率": "こうれいかりつ",
    "高齢": "こうれい",
    "人口密度": "じんこうみつど",
    "総人口": "そうじんこう",
    "日本人": "にほんじん",
    "外国人": "がいこくじん",
    "人口": "じんこう",
    "年少": "ねんしょう",
    "生産年齢": "せいさんねんれい",
    "老年": "ろうねん",
    "割合": "わりあい",
    "増減率": "ぞうげんりつ",
    "増減": "ぞうげん",
    "自然": "しぜん",
    "社会": "しゃかい",
    "出生": "しゅっしょう",
    "死亡": "しぼう",
    "転入": "てんにゅう",
    "転出": "てんしゅつ",
    "婚姻": "こんいん",
    "離婚": "りこん",
    "世帯": "せたい",
    "財政力指数": "ざいせいりょくしすう",
    "経常収支比率": "けいじょうしゅうしひりつ",
    "実質公債費比率": "じっしつこうさいひひりつ",
    "将来負担比率": "しょうらいふたんひりつ",
    "完全失業率": "かんぜんしつぎょうりつ",
    "失業": "しつぎょう",
    "課税対象所得": "かぜいたいしょうしょとく",
    "所得": "しょとく",
    "納税義務者": "のうぜいぎむしゃ",
    "可住地面積": "かじゅうちめんせき",
    "面積": "めんせき",
    "医師": "いし",
    "病院": "びょういん",
    "診療所": "しんりょうじょ",
    "事業所": "じぎょうしょ",
    "従業者": "じゅうぎょうしゃ",
    "就業者": "しゅうぎょうしゃ",
    "第1次産業": "だいいちじさんぎょう",
    "第2次産業": "だいにじさんぎょう",
    "第3次産業": "だいさんじさんぎょう",
    "産業": "さんぎょう",
    "保育所": "ほいくしょ",
    "幼稚園": "ようちえん",
    "小学校": "しょうがっこう",
    "中学校": "ちゅうがっこう",
    "高等学校": "こうとうがっこう",
    "図書館": "としょかん",
    "公民館": "こうみんかん",
    "歳入": "さいにゅう",
    "歳出": "さいしゅつ",
    "地方税": "ちほうぜい",
    "住民基本台帳": "じゅうみんきほんだいちょう",
    "数": "すう",
    "率": "りつ",
}


def _reading(label: str) -> str:
    """Return the label with the words of :data:`_READINGS` read; other characters kept."""
    text = _kana(re.sub(r"（[^（）]*）", "", label))
    for word in sorted(_READINGS, key=len, reverse=True):
        text = text.replace(_kana(word), _READINGS[word])
    return text


@functools.cache
def _suggestion_keys() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per catalogue name: its comparable forms (name, labels, reading of the label)."""
    out = []
    for name in _rows():
        label = _latest(name).label
        forms = {_kana(name), _kana(label), _kana(_short_label(name)), _reading(label)}
        out.append((name, tuple(sorted(forms))))
    return tuple(out)


def similar(text: str, *, n: int = 3) -> list[str]:
    """Return up to ``n`` catalogue names close to ``text``, closest first.

    Compares the request with every name, Japanese label (full, and without its bracketed
    detail) and reading of the label (``こうれいかりつ``), after Unicode normalisation, with
    katakana read as hiragana, by edit distance
    relative to the longer string; a label that contains the request, or is contained in it,
    counts as close. Hand-written (curated) indicators come first among equals. Reads only the
    catalogue file: no data is loaded.

    Parameters
    ----------
    text
        What the user typed (a name or label, without ``@YEAR``).
    n
        How many names at most.

    Returns
    -------
    list of str
        Catalogue names (``[]`` when nothing is close).

    Examples
    --------
    >>> similar("高齢率")[0], similar("aging_rat")[0], similar("コウレイカリツ")[0]
    ('aging_rate', 'aging_rate', 'aging_rate')
    """
    query = _kana(str(text).partition("@")[0])
    if not query:
        return []
    keys = list(_suggestion_keys()) + [
        (name, (_kana(name), _kana(entry.label))) for name, entry in _USER.items()
    ]
    scored = []
    for name, forms in keys:
        best = 1.0
        for form in forms:
            if not form:
                continue
            score = _edit_distance(query, form) / max(len(query), len(form))
            if len(query) >= 2 and (query in form or form in query):
                score = min(score, 0.4)
            best = min(best, score)
        if best <= 0.5:
            curated = name in _rows() and _latest(name).group == "curated"
            scored.append((best, not curated, name))
    return [name for _, _, name in sorted(scored)[:n]]


def built_in_match(text: str) -> str | None:
    """Return the catalogue indicator a column or label would be taken for, or None.

    The name (any case), the Japanese label with or without its bracketed detail, after
    NFKC and without spaces, with or without an ``@`` year: ``"高齢化率"``,
    ``"ＡＧＩＮＧ_RATE"`` and ``"aging_rate@2015"`` all give ``"aging_rate"``. Registered user
    indicators are not built in.

    Parameters
    ----------
    text
        A column name or label.

    Returns
    -------
    str or None
        The catalogue name.
    """
    plain = unicodedata.normalize("NFKC", str(text)).strip()
    match = _SPEC.match(plain)
    base = match["base"] if match else plain
    lowered = {n.lower(): n for n in _rows()}
    if base.lower() in lowered:
        return lowered[base.lower()]
    hits = _labels().get(_norm(base), [])
    return hits[0] if hits else None


def _latest(name: str) -> _Row:
    return next(reversed(_rows()[name].values()))


def years(name: str) -> list[int]:
    """Return the years the catalogue holds indicator ``name`` (or label) for.

    Parameters
    ----------
    name
        Catalogue name or Japanese label.

    Returns
    -------
    list of int
        Ascending years (fiscal years for fiscal items).
    """
    base = _base_name(name)
    if base in _USER:
        return list(_USER[base].years)
    return list(_rows()[base])


def _check_year(name: str, year: int) -> None:
    have = years(name)
    if have and year not in have:
        listed = ", ".join(map(str, have))
        msg = (
            f"指標 '{name}' には {year} 年の値がありません。値のある年: {listed} / "
            f"indicator '{name}' has no value for {year}; the sources hold it for: {listed}"
        )
        raise UnknownNameError(msg)


def parse(text: str) -> Spec:
    """Parse an indicator request into a :class:`Spec`, checking name and years.

    Parameters
    ----------
    text
        ``name``, ``label``, ``name@YEAR``, ``name@START-END`` (change) or
        ``name@START-END%`` (change in %).

    Returns
    -------
    Spec
        The request with the catalogue name.

    Raises
    ------
    UnknownNameError
        For an unknown name (close names suggested) or a year the sources do not hold (the
        message lists the years that exist).
    AmbiguousNameError
        For a label shared by several indicators.
    """
    text = str(text).strip()
    match = _SPEC.match(text)
    if match is None:
        return Spec(_base_name(text))
    name = _base_name(match["base"])
    first = int(match["a"])
    _check_year(name, first)
    if match["b"] is None:
        return Spec(name, first)
    second = int(match["b"])
    _check_year(name, second)
    if second <= first:
        raise UnknownNameError(
            f"'{text}': 終わりの年は始まりの年より後にしてください / "
            f"'{text}': the end year must come after the start year"
        )
    return Spec(name, second, first, bool(match["pct"]))


def resolve(text: str) -> str:
    """Return the column name of an indicator request (``"高齢化率@2015"`` -> ``"aging_rate@2015"``).

    Parameters
    ----------
    text
        Any form :func:`parse` accepts.

    Returns
    -------
    str
        The canonical column name.
    """
    return parse(text).column


def _row_for(spec: Spec, year: int | None = None) -> _Row:
    by_year = _rows()[spec.name]
    return by_year[year] if year is not None else next(reversed(by_year.values()))


#: The register counted Japanese residents only until 2012; from 2013 it counts all residents
#: (住民基本台帳法改正, July 2012). A value read from a ``…-japanese-…`` file is of the first kind.
REGISTER_BREAK = (
    "住民基本台帳は2012年以前は日本人住民のみ、2013年以降は外国人住民を含みます"
    "（2012年7月の法改正）。この境をまたぐ比較には外国人住民の分が含まれます / "
    "the register counts Japanese residents only up to 2012 and all residents from 2013: "
    "a comparison across 2012/2013 includes the foreign residents added"
)


def definition_break(name: str, years: Iterable[int]) -> str | None:
    """Return why the values of ``name`` in ``years`` do not count the same people, or None.

    Parameters
    ----------
    name
        Catalogue name.
    years
        The years compared or drawn together.

    Returns
    -------
    str or None
        :data:`REGISTER_BREAK` when some of the years are read from the register's
        Japanese-residents files and others from its all-residents files.

    Examples
    --------
    >>> definition_break("population_registered", [2016, 2022]) is None
    True
    """
    by_year = _rows().get(name, {})
    kinds = {"-japanese-" in " ".join(by_year[y].datasets) for y in years if y in by_year}
    return REGISTER_BREAK if len(kinds) > 1 else None


def _describe(spec: Spec) -> Indicator:
    if spec.name in _USER:
        return _USER[spec.name]
    all_years = tuple(_rows()[spec.name])
    row = _row_for(spec, spec.year)
    credit = row.credit or " / ".join(datasets.info(d).credit for d in row.datasets)
    if spec.start is None:
        era = "年度" if row.group in ("fiscal", "money") else "年"  # fiscal years: 年度
        label = row.label if spec.year is None else f"{row.label}（{row.year}{era}）"
        if row.label.endswith("年）") and str(row.year) in row.label:
            label = row.label
        return Indicator(
            spec.column,
            label,
            row.unit,
            str(row.year),
            row.formula,
            row.datasets,
            row.description,
            all_years,
            credit,
            row.group,
            row.kind,
            row.aggregation,
        )
    first = _row_for(spec, spec.start)
    broken = definition_break(spec.name, (spec.start, spec.year))
    kind = "増減率" if spec.relative else "増減"
    unit = "%" if spec.relative else ("ポイント" if row.unit in ("%", "‰") else row.unit)
    if spec.relative:
        formula = f"(v[{spec.year}] − v[{spec.start}]) / v[{spec.start}] × 100"
    else:
        formula = f"v[{spec.year}] − v[{spec.start}]"
    formula += f", v = {row.formula}"
    return Indicator(
        spec.column,
        f"{row.label}の{kind}（{spec.start}→{spec.year}年）",
        unit,
        f"{spec.start}-{spec.year}",
        formula,
        tuple(dict.fromkeys(first.datasets + row.datasets)),
        f"Change of {spec.name} from {spec.start} to {spec.year}"
        + (" in % of the start value." if spec.relative else ".")
        + (f" {broken}" if broken else ""),
        all_years,
        credit,
        row.group,
        "rate" if spec.relative else "net",
        row.aggregation,
    )


def changes_in_percent(name: str) -> bool:
    """Whether a change of indicator ``name`` is best told in % of its start value.

    Counts, amounts and averages (population, households, 千円, 人/km²) change in %; rates,
    shares, indices and balances change in points or their own unit. The choice follows the
    catalogue's ``kind``, not the unit string.

    Parameters
    ----------
    name
        Any form :func:`parse` accepts.

    Returns
    -------
    bool
        True for a count, an amount or an average.

    Examples
    --------
    >>> changes_in_percent("A110101"), changes_in_percent("aging_rate")
    (True, False)
    """
    return info(name).kind in PERCENT_CHANGE_KINDS


def catalogue() -> dict[str, Indicator]:
    """Return every catalogue indicator by name (at its latest year), user ones last.

    Returns
    -------
    dict
        Mapping from indicator name to :class:`Indicator`, in catalogue order.
    """
    out = {name: _describe(Spec(name)) for name in _rows()}
    out.update(_USER)
    return out


def search(query: str | None = None) -> list[Indicator]:
    """Return the indicators whose name, label or description contains ``query``.

    Parameters
    ----------
    query
        Text to look for (Japanese or English, case-insensitive, NFKC-normalised); None lists
        everything.

    Returns
    -------
    list of Indicator
        Matches in catalogue order.
    """
    entries = list(catalogue().values())
    if not query:
        return entries
    key = _norm(query).lower()
    return [
        e
        for e in entries
        if key in e.name.lower() or key in _norm(e.label).lower() or key in e.description.lower()
    ]


def register(
    name: str,
    data: pd.Series | None = None,
    *,
    label: str,
    unit: str = "",
    year: int | str | None = None,
    source: str = "",
    credit: str = "",
    description: str = "",
    kind: str = "",
    aggregation: str | None = None,
) -> Indicator:
    """Make a user's column a first-class indicator (label, unit, year, source, credit).

    Maps, tables, peers, clusters, regions and credits then treat column ``name`` like a
    built-in indicator. Give ``data`` (values by 5-digit code) to compute it in
    :func:`regionlib.table.load_table` by name; otherwise join the column with
    ``load_table(..., join="my.csv")``.

    Parameters
    ----------
    name
        Column name; must not shadow a built-in indicator.
    data
        Optional values indexed by municipality code.
    label, unit, year, source, credit, description
        Metadata shown in maps, tables and credit lines.
    kind
        ``count``, ``amount``, ``average``, ``rate``, ``index`` or ``net`` (see
        :class:`Indicator`); decides whether changes are told in % or in points.
    aggregation
        How an area gets its value (:class:`Rule`): ``"sum"`` for a count,
        ``"ratio:空き家数/住宅数*100"`` for a rate of two other columns or indicators,
        ``"weighted:population_2020"`` for an average weighted by another indicator,
        ``"none:REASON"``. Default: ``"sum"`` for a count or amount (``kind``, or else a unit
        such as 人, 世帯, 件, 千円), else ``"none"`` (an area then has no value, with the reason).

    Returns
    -------
    Indicator
        The registered entry; its credit line reads ``利用者データ / user data: …``.

    Raises
    ------
    UnknownNameError
        A name or label that is a built-in indicator's (it would pass for the official
        values), or a name with ``@``.
    DataFormatError
        Infinite values in ``data``.
    """
    if name in _rows():
        raise UnknownNameError(
            f"'{name}' は組み込みの指標です。別の名前にしてください / "
            f"'{name}' is a built-in indicator; choose another name"
        )
    for text in (name, label):
        official = built_in_match(text)
        if official is not None:
            msg = (
                f"「{text}」は公式の指標 {official} と同じ名前です / '{text}' is named like the "
                f"built-in indicator {official} ({_latest(official).label}); choose another name "
                "or label"
            )
            raise UnknownNameError(msg)
    if "@" in name:
        raise UnknownNameError(
            f"'{name}': 指標名に '@' は使えません / '{name}': an indicator name cannot contain '@'"
        )
    if kind and kind not in KINDS:
        raise UnknownNameError(
            f"'{name}': 種類 {kind!r} は {', '.join(KINDS)} のいずれかにしてください / "
            f"'{name}': kind {kind!r} is not one of {', '.join(KINDS)}"
        )
    if aggregation is None:
        counted = kind in ("count", "amount") or (not kind and unit in COUNT_UNITS)
        aggregation = "sum" if counted else "none"
    parse_rule(aggregation, where=f"register('{name}')")
    entry = Indicator(
        name,
        label,
        unit,
        "" if year is None else str(year),
        f"user data ({source})" if source else "user data",
        (),
        description or f"User indicator {name}.",
        (int(year),) if isinstance(year, int) or (isinstance(year, str) and year.isdigit()) else (),
        f"利用者データ / user data: {credit or source or name}",
        "user",
        kind,
        aggregation,
    )
    if data is not None:  # checked before anything is registered
        from regionlib.data.codes import normalize_codes

        values = pd.to_numeric(data, errors="raise")
        values.index = normalize_codes(pd.Series(data.index), source=name).to_numpy()
        values = values.astype(float)
        infinite = values.index[np.isinf(values.to_numpy())]
        if len(infinite):
            msg = (
                f"'{name}': 無限大の値があります / infinite values are not numbers (code "
                f"{infinite[0]}{' …' if len(infinite) > 1 else ''}); use NaN for a missing value"
            )
            raise DataFormatError(msg)
        _USER_DATA[name] = values
    else:
        _USER_DATA.pop(name, None)
    _USER[name] = entry
    return entry


#: Units of counts and amounts: a user indicator in one of them (without a ``kind``) aggregates
#: by ``sum``.
COUNT_UNITS = (
    "人",
    "世帯",
    "件",
    "戸",
    "か所",
    "所",
    "校",
    "台",
    "円",
    "千円",
    "百万円",
    "ha",
    "km²",
)

#: Indicators of :func:`regionlib.table.load_table` when none are named.
DEFAULT_INDICATORS: tuple[str, ...] = (
    "population_2020",
    "population_change_2015_2020",
    "aging_rate",
    "child_share",
    "density_habitable",
    "tertiary_share",
    "unemployment_rate",
    "fiscal_strength_index",
    "income_per_taxpayer",
    "doctors_per_10k",
)


#: Columns taken as "the population" of a table when none is named, in this order.
POPULATION_COLUMNS = ("population", "population_2020", "population_2015")


def population_column(table: pd.DataFrame, population: str | None = None) -> str | None:
    """Return the population column of ``table``: ``population`` if given, else the first found.

    Parameters
    ----------
    table
        A municipality table.
    population
        Column to use; it must exist.

    Returns
    -------
    str or None
        The column name, or None when ``population`` is None and no column of
        :data:`POPULATION_COLUMNS` is present.

    Raises
    ------
    UnknownNameError
        If ``population`` is given and is not a column; close names are suggested.
    """
    if population is None:
        return next((c for c in POPULATION_COLUMNS if c in table.columns), None)
    if population not in table.columns:
        msg = (
            f"人口の列 {population!r} が表にありません / "
            f"population column {population!r} is not in the table"
            f"{suggest(population, map(str, table.columns))}"
        )
        raise UnknownNameError(msg)
    return population


def find(name: str) -> Indicator | None:
    """Return the metadata of indicator ``name``, or None if it is not in the catalogue.

    For code that labels any column: catalogue metadata where there is some, the column's own
    name otherwise. Use :func:`info` where an unknown name is an error.

    Parameters
    ----------
    name
        A column or indicator name (with ``@`` year or change), or a Japanese label.

    Returns
    -------
    Indicator or None
        The catalogue entry.
    """
    try:
        return info(name)
    except (UnknownNameError, AmbiguousNameError):
        return None


def info(name: str) -> Indicator:
    """Return the metadata of indicator ``name``.

    Parameters
    ----------
    name
        Indicator name (see ``regionlib indicators``), with an optional ``@YEAR`` or
        ``@START-END[%]``, or its Japanese label.

    Returns
    -------
    Indicator
        Its label, unit, reference year, formula and sources.

    Raises
    ------
    UnknownNameError
        If there is no such indicator (the message suggests close names) or year (the message
        lists the years that exist).
    """
    return _info(str(name))


@functools.cache
def _info_cached(name: str) -> Indicator:
    return _describe(parse(name))


def _info(name: str) -> Indicator:
    spec = parse(name)
    if spec.name in _USER:
        return _USER[spec.name]
    return _info_cached(name)


def credits(names: Iterable[str]) -> list[str]:
    """Return the credit lines of the sources behind ``names``, without repeats.

    Parameters
    ----------
    names
        Indicator names.

    Returns
    -------
    list of str
        Credit lines to print under a map or table, in order of first use.
    """
    lines: list[str] = []
    for name in names:
        entry = info(name)
        found = [datasets.info(d).credit for d in entry.datasets] or [entry.credit]
        for credit in found:
            if credit and credit not in lines:
                lines.append(credit)
    return lines


def datasets_of(names: Iterable[str]) -> list[str]:
    """Return the registry datasets the indicators ``names`` are computed from, in order.

    Parameters
    ----------
    names
        Indicator requests (names, labels, ``@`` forms).

    Returns
    -------
    list of str
        Registry names without repeats.
    """
    return list(dict.fromkeys(d for n in names for d in info(n).datasets))


@functools.cache
def read_source(name: str) -> readers.SourceTable:
    """Read the registry dataset ``name`` with the reader its format needs (once per process).

    Parameters
    ----------
    name
        Registry name of an indicator source (``ssdse-a-*``, ``juki-*``, ``income-*``,
        ``fiscal-*``, ``furusato-*``, ``koufuzei-*``; the 住基 age and dynamics
        workbooks ``juki-age-*`` and ``juki-dynamics-*``).

    Returns
    -------
    SourceTable
        What the reader returns. Do not modify it: it is shared.
    """
    from regionlib.data import population

    entry = datasets.info(name)
    if name == "fiscal-archive":
        return readers.read_fiscal(2021)
    if entry.group == "money":
        from regionlib.data import money

        prefixes = {
            "furusato-receipts-rough": money.read_furusato_rough,
            "furusato-receipts-fy": money.read_furusato_receipts,
            "furusato-deductions-fy": money.read_furusato_deductions,
            "koufuzei-demand-fy": money.read_koufuzei_items,
            "koufuzei-income-fy": money.read_koufuzei_items,
            "koufuzei-fy": money.read_koufuzei,
        }
        for prefix, money_reader in prefixes.items():
            if name.startswith(prefix):
                return money_reader(name)
    reader = {
        "ssdse-csv": readers.read_ssdse,
        "juki-csv": readers.read_juki,
        "sugata-csv": readers.read_income,
        "fiscal-xls": readers.read_fiscal,
        "juki-age-xls": population.read_age,
        "juki-dynamics-xls": population.read_dynamics,
    }.get(entry.format)
    if reader is None:
        msg = (
            f"データセット '{name}'（形式 {entry.format}）は指標の出典ではありません / "
            f"dataset '{name}' (format {entry.format}) is not an indicator source"
        )
        raise UnknownNameError(msg)
    return reader(name)


def _term(table: readers.SourceTable, item: str, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``item`` at the row positions ``pos`` (-1: absent) and each missing reason."""
    if item not in table.values.columns:
        msg = (
            f"指標一覧: 項目 '{item}' は {table.source} にありません / "
            f"catalogue: item '{item}' is not in {table.source} (columns: {list(table.values)})"
        )
        raise UnknownNameError(msg)
    present = pos >= 0
    source = table.values[item].to_numpy(dtype=float)
    values = np.where(present, source[np.where(present, pos, 0)], np.nan)
    reasons = np.full(len(pos), None, dtype=object)
    why = table.reasons[item].to_numpy(dtype=object)[pos[present]]
    has = ~pd.isna(why)
    reasons[np.flatnonzero(present)[has]] = [f"{item}: {w}" for w in why[has]]
    reasons[~present] = f"not in {table.source}"
    return values, reasons


class _Positions(dict):
    """Row positions of ``codes`` in each source table, computed once per table."""

    def __init__(self, tables: dict[str, readers.SourceTable], codes: pd.Index) -> None:
        super().__init__()
        self.tables, self.codes = tables, pd.Index(codes, dtype=object)

    def __missing__(self, dataset: str) -> np.ndarray:
        index = pd.Index(self.tables[dataset].values.index, dtype=object)
        self[dataset] = index.get_indexer(self.codes)
        return self[dataset]


def _parts(
    row: _Row, tables: dict[str, readers.SourceTable], positions: _Positions
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Numerator, denominator (None without one) and missing reason of a row, unscaled."""
    n = len(positions.codes)
    reason = np.full(n, None, dtype=object)

    def total(terms) -> np.ndarray:
        acc = np.zeros(n)
        for sign, dataset, item in terms:
            values, why = _term(tables[dataset], item, positions[dataset])
            acc = acc + sign * values
            fill = pd.isna(reason) & ~pd.isna(why)
            reason[fill] = why[fill]
        return acc

    numerator = total(row.num)
    if row.times:  # a share of a total: sum(num) × sum(times) / sum(den)
        numerator = numerator * total(row.times)
    return numerator, (total(row.den) if row.den else None), reason


def _evaluate_row(
    row: _Row, tables: dict[str, readers.SourceTable], positions: _Positions
) -> tuple[np.ndarray, np.ndarray]:
    numerator, denominator, reason = _parts(row, tables, positions)
    if denominator is not None:
        zero = denominator == 0
        reason[zero & pd.isna(reason)] = row.zero_reason
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(zero, np.nan, numerator / np.where(zero, 1.0, denominator))
    else:
        out = numerator
    out = out * row.scale
    out[~pd.isna(reason)] = np.nan
    return out, reason


def _evaluate(
    name: str, tables: dict[str, readers.SourceTable], positions: _Positions
) -> tuple[np.ndarray, np.ndarray]:
    """Values and missing reasons of the request ``name`` on the codes of ``positions``."""
    spec = parse(name)
    codes = positions.codes
    if spec.name in _USER:
        data = _USER_DATA.get(spec.name)
        if data is None:
            msg = (
                f"利用者の指標 '{spec.name}' はデータなしで登録されています。load_table(..., join=PATH) でファイルを結合してください / "
                f"user indicator '{spec.name}' was registered without data: join its file "
                "with load_table(..., join=PATH)"
            )
            raise UnknownNameError(msg)
        values = data.reindex(codes).to_numpy(dtype=float)
        reason = np.where(np.isnan(values), "not in the user's data", None).astype(object)
        return values, reason
    row = _row_for(spec, spec.year)
    if row.alias and spec.start is None:  # defined as another request (a change, say)
        return _evaluate(row.alias, tables, positions)
    end, why_end = _evaluate_row(row, tables, positions)
    if spec.start is None:
        return end, why_end
    start, why_start = _evaluate_row(_row_for(spec, spec.start), tables, positions)
    broken = definition_break(spec.name, (spec.start, spec.year))
    if broken:
        log(f"{spec.column}: {broken}", logging.WARNING, ja=broken.split(" / ")[0])
    reason = np.full(len(codes), None, dtype=object)
    for year, why in ((spec.start, why_start), (spec.year, why_end)):
        has = ~pd.isna(why) & pd.isna(reason)
        reason[has] = [f"{year}: {w}" for w in why[has]]
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.relative:
            zero = start == 0
            reason[zero & pd.isna(reason)] = f"value in {spec.start} is 0"
            out = np.where(zero, np.nan, (end - start) / np.where(zero, 1.0, start) * 100)
        else:
            out = end - start
    out[~pd.isna(reason)] = np.nan
    return out, reason


def _compute(
    names: list[str], codes: pd.Index, tables: dict[str, readers.SourceTable]
) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    values = {}
    missing: dict[str, dict[str, str]] = {}
    positions = _Positions(tables, codes)
    for name in names:
        out, reason = _evaluate(name, tables, positions)
        values[name] = out
        has = ~pd.isna(reason)
        missing[name] = {str(c): str(r) for c, r in zip(codes[has], reason[has], strict=True)}
        if has.any():
            n_missing = int(has.sum())
            log(f"{name}: {n_missing} missing values", ja=f"{name}: 欠損 {n_missing} 件")
    frame = pd.DataFrame(values, index=pd.Index(codes, name="code", dtype="str"))
    return frame, missing


def compute_indicators(
    names: Iterable[str] | None = None, *, codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Compute catalogue indicators from their sources (codes as in the sources, not joined).

    For a table joined to boundaries, with code changes and a join report, use
    :func:`regionlib.table.load_table`.

    Parameters
    ----------
    names
        Indicator requests; default :data:`DEFAULT_INDICATORS`.
    codes
        Municipality codes to compute for; default the codes of the first source.

    Returns
    -------
    pandas.DataFrame
        Index ``code``, one float column per indicator (named as :func:`resolve` names it).
        ``attrs["missing_reasons"]`` maps each indicator to ``{code: reason}`` for its missing
        values.

    Raises
    ------
    UnknownNameError
        If a name is not in the catalogue.
    """
    names = [resolve(n) for n in (DEFAULT_INDICATORS if names is None else names)]
    needed = datasets_of(names)
    tables = {d: read_source(d) for d in needed}
    if codes is not None:
        index = pd.Index(list(codes), dtype="str")
    elif needed:
        index = tables[needed[0]].values.index
    else:
        index = pd.Index(sorted(set().union(*(_USER_DATA[n].index for n in names))), dtype="str")
    frame, missing = _compute(names, index, tables)
    frame.attrs["missing_reasons"] = missing
    return frame
