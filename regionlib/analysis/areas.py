"""Areas: named sets of municipalities (圏域), and their indicators aggregated by rule.

An area is a named set of municipalities: a 連携中枢都市圏 or 定住自立圏 a planner lists, a
commuting zone, a prefecture, one of the 八地方区分 or 広域地方計画区域, a proposed region.
:class:`Areas` holds a set of them of one kind; :func:`load_areas` reads one from the command
line (``札幌圏=札幌市,江別市,北広島市``), a CSV file (``area,code`` or ``area,name``), a reference
grouping (:data:`REFERENCES`) or a region proposal's CSV.

:func:`aggregate` gives each area the value of each indicator by the indicator's rule in the
catalogue (``aggregation`` column, :class:`regionlib.indicators.Rule`):

- ``sum``: counts and amounts are added;
- ``ratio``: numerator and denominator are summed over the members, then divided (an area's
  aging rate is its people aged 65+ over its people of known age, never an average of the
  members' rates); a change between two years is recomputed from the area's values;
- ``weighted:WEIGHT``: the members' values averaged with the weight indicator;
- ``none:REASON``: left missing with the reason (an index whose parts are not published).

An area is missing an indicator when any member is (the member and its reason are named):
a sum over some members only would be read as the area's.

Examples
--------
>>> from regionlib.analysis import areas
>>> a = areas.parse_area("札幌圏=札幌市,江別市,北広島市")  # doctest: +SKIP
>>> t = rl.table.load_table(["population_2020", "aging_rate"], geometry=False)  # doctest: +SKIP
>>> areas.aggregate(t, a)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib.data import codes, indicators

__all__ = [
    "REFERENCES",
    "AreaError",
    "Areas",
    "aggregate",
    "load_areas",
    "parse_area",
    "read_areas",
    "reference_areas",
    "split_spec",
]


class AreaError(RegionlibError, ValueError):
    """An area definition or aggregation request that cannot be used (the row is named)."""


#: Reference groupings: keyword -> Japanese kind.
REFERENCES: dict[str, str] = {
    "commuting-zones-2020": "通勤圏（2020年）",
    "commuting-zones-2015": "通勤圏（2015年）",
    "prefectures": "都道府県",
    "eight-regions": "八地方区分",
    "plan-areas": "広域地方計画区域",
}

_TABLE_COLUMNS = ("pref_code", "prefecture", "name", "geometry")


@dataclass
class Areas:
    """Named sets of municipalities of one kind.

    Attributes
    ----------
    members
        Area name -> 5-digit codes of its members, in the order given.
    kind
        What the areas are (``"通勤圏（2020年）"``, ``"都道府県"``, ``"ユーザー定義"`` …): areas
        are ranked among areas of the same kind.
    source
        Where they came from (file name, ``--area``, reference keyword).
    notes
        What the reader should know (municipalities a reference grouping leaves out: 双葉町
        is in no 2020 commuting zone).
    """

    members: dict[str, list[str]]
    kind: str = "ユーザー定義"
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self):
        return iter(self.members)

    def labels(self) -> pd.Series:
        """Return area name by member code (every code in one area at most)."""
        pairs = [(c, a) for a, cs in self.members.items() for c in cs]
        out = pd.Series(
            [a for _, a in pairs], index=pd.Index([c for c, _ in pairs], name="code"), name="area"
        )
        if out.index.has_duplicates:
            twice = sorted(set(out.index[out.index.duplicated()]))
            raise AreaError(
                f"{self.source}: 2 つの地域に入っている市区町村があります: {'、'.join(twice)} / "
                f"{self.source}: municipalities in two areas: {', '.join(twice)}"
            )
        return out

    def select(self, names: Iterable[str]) -> Areas:
        """Return the areas named ``names`` (unknown names are an error with suggestions).

        Parameters
        ----------
        names
            Names of areas of this set.

        Returns
        -------
        Areas
            Those areas, of the same kind and source.
        """
        picked = {}
        for name in names:
            if name not in self.members:
                msg = (
                    f"{self.source}: 地域 '{name}' はありません / "
                    f"{self.source}: no area '{name}'{suggest(name, self.members)}"
                )
                raise UnknownNameError(msg)
            picked[name] = self.members[name]
        return Areas(picked, self.kind, self.source)  # notes are about the whole grouping

    def __or__(self, other: Areas) -> Areas:
        clash = set(self.members) & set(other.members)
        if clash:
            raise AreaError(
                f"同じ地域名が 2 回指定されています: {'、'.join(sorted(clash))} / "
                f"area names given twice: {', '.join(sorted(clash))}"
            )
        kind = self.kind if self.kind == other.kind else "ユーザー定義"
        source = ", ".join(s for s in (self.source, other.source) if s)
        return Areas({**self.members, **other.members}, kind, source, [*self.notes, *other.notes])


# --------------------------------------------------------------------------- reading areas


@functools.cache
def _candidates() -> pd.DataFrame:
    """Return the current municipalities (code, prefecture, name, population 2020), read once."""
    from regionlib.data import table

    frame = table.load_table(["population_2020"], geometry=False)
    return pd.DataFrame(frame[["prefecture", "name", "population_2020"]])


def _member(text: str, where: str) -> str:
    """Return the code of one member named by code, name or reading; errors name ``where``."""
    text = str(text).strip()
    try:
        return codes.resolve_municipality(text, candidates=_candidates())
    except (UnknownNameError, DataFormatError) as exc:
        raise AreaError(f"{where}: {exc}") from None
    except RegionlibError as exc:  # ambiguous
        raise AreaError(f"{where}: {exc}") from None


def _add(members: dict, seen: dict, area: str, code: str, where: str) -> None:
    if code in seen:
        first_area, first_where = seen[code]
        name = _candidates().at[code, "name"]
        if first_area == area:
            raise AreaError(
                f"{where}: {name}（{code}）が地域 '{area}' に 2 回出てきます / "
                f"{where}: {name} ({code}) is listed twice in area '{area}'"
            )
        msg = (
            f"{where}: {name}（{code}）は既に地域 '{first_area}' に入っています（{first_where}） / "
            f"{where}: {name} ({code}) is already in area '{first_area}' ({first_where})"
        )
        raise AreaError(msg)
    seen[code] = (area, where)
    members.setdefault(area, []).append(code)


def parse_area(text: str) -> Areas:
    """Read one area from ``NAME=MEMBER,MEMBER,…`` (members by name, code or reading).

    Parameters
    ----------
    text
        ``札幌圏=札幌市,江別市,北広島市`` (、 and spaces also separate members).

    Returns
    -------
    Areas
        One user-defined area.

    Raises
    ------
    AreaError
        Without ``=``, without members, or with an unknown, ambiguous or repeated member.
    """
    name, sep, rest = str(text).partition("=")
    name = name.strip()
    where = f"--area {name or text}"
    if not sep or not name:
        raise AreaError(
            f"--area {text!r}: 名前=市区町村,市区町村,… の形で書いてください（札幌圏=札幌市,江別市） / "
            f"--area {text!r}: write NAME=MEMBER,MEMBER,… (札幌圏=札幌市,江別市)"
        )
    items = [m for m in rest.replace("、", ",").replace(" ", ",").split(",") if m.strip()]
    if not items:
        raise AreaError(f"{where}: 地域に市区町村がありません / {where}: the area has no members")
    members: dict[str, list[str]] = {}
    seen: dict[str, tuple[str, str]] = {}
    for item in items:
        _add(members, seen, name, _member(item, f"{where}, member '{item}'"), where)
    return Areas(members, "ユーザー定義", "--area")


def _read_rows(path: Path) -> list[dict]:
    """Return the file's rows as dicts, read by the one validated reader of user files."""
    from regionlib.data import _userfile

    return _userfile.read_user_file(path, what="areas file").to_dict("records")


_AREA_COLUMNS = ("area", "圏域", "地域")
_CODE_COLUMNS = ("code", "コード", "団体コード")
_NAME_COLUMNS = ("name", "市区町村", "市町村", "名称")


def _column(header: list[str], options: tuple[str, ...]) -> str | None:
    return next((h for h in header if h.strip().lower() in options), None)


def read_areas(path: str | Path) -> Areas:
    """Read areas from a CSV file: one row per member, columns ``area`` and ``code`` or ``name``.

    A region proposal's CSV (``regionlib regions --csv``: ``code``, ``region``,
    ``region_name``) is read as areas of kind ``リージョン案``.

    Parameters
    ----------
    path
        CSV (UTF-8 or Shift-JIS). Columns: ``area`` (or 圏域) and ``code`` (or コード) or
        ``name`` (or 市区町村; with a ``prefecture`` column where names repeat).

    Returns
    -------
    Areas
        The areas in the order of the file.

    Raises
    ------
    AreaError
        Naming the row: an unknown or ambiguous member, a municipality in two areas, a row
        without an area, an area without members.
    """
    path = Path(path)
    if not path.is_file():
        raise AreaError(f"地域のファイル {path} がありません / areas file {path} does not exist")
    rows = _read_rows(path)
    header = list(rows[0]) if rows else []
    if {"code", "region"} <= set(header):
        return _proposal_areas(path, rows)
    area_col = _column(header, _AREA_COLUMNS)
    code_col = _column(header, _CODE_COLUMNS)
    name_col = _column(header, _NAME_COLUMNS)
    pref_col = _column(header, ("prefecture", "都道府県"))
    if area_col is None or (code_col is None and name_col is None):
        msg = (
            f"{path.name}: 列 area と、code か name が必要です（ある列: {', '.join(header)}） / "
            f"{path.name}: expected columns area and code or name, got {', '.join(header)}"
        )
        raise AreaError(msg)
    members: dict[str, list[str]] = {}
    seen: dict[str, tuple[str, str]] = {}
    empty: list[str] = []
    for line, row in enumerate(rows, start=2):
        where = f"{path.name}, row {line}"
        area = (row.get(area_col) or "").strip()
        given = (row.get(code_col) or "").strip() if code_col else ""
        if not given and name_col:
            given = (row.get(name_col) or "").strip()
            if given and pref_col and (row.get(pref_col) or "").strip():
                given = row[pref_col].strip() + given
        if not area:
            if given:
                raise AreaError(
                    f"{where}: 市区町村 '{given}' に地域名がありません / "
                    f"{where}: member '{given}' has no area name"
                )
            continue
        if not given:
            empty.append(f"{area} ({where})")
            continue
        _add(members, seen, area, _member(given, f"{where}, member '{given}'"), where)
    hollow = [e for e in empty if e.split(" (")[0] not in members]
    if hollow:
        raise AreaError(
            f"{path.name}: 市区町村のない地域があります: {hollow[0]} / "
            f"{path.name}: area without members: {hollow[0]}"
        )
    if not members:
        raise AreaError(f"{path.name}: 地域がありません / {path.name}: no areas")
    return Areas(members, "ユーザー定義", path.name)


def _proposal_areas(path: Path, rows: list[dict]) -> Areas:
    members: dict[str, list[str]] = {}
    seen: dict[str, tuple[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{path.name}, row {line}"
        label = (row.get("region_name") or row.get("region") or "").strip()
        if not label:
            raise AreaError(f"{where}: リージョンがありません / {where}: no region")
        _add(members, seen, label, _member(row["code"], f"{where}, code"), where)
    return Areas(members, "リージョン案", path.name)


def reference_areas(kind: str) -> Areas:
    """Return a reference grouping as areas: commuting zones, prefectures, 八地方区分, 広域地方計画区域.

    Commuting zones are named after their most populous member (``札幌市通勤圏``); members are
    the current municipalities (codes renumbered since the census follow their successor).

    Parameters
    ----------
    kind
        A key of :data:`REFERENCES` (``commuting-zones-2020``, ``commuting-zones-2015``,
        ``prefectures``, ``eight-regions``, ``plan-areas``) or its Japanese name.

    Returns
    -------
    Areas
        Every area of the grouping.
    """
    key = {v: k for k, v in REFERENCES.items()}.get(kind, kind)
    if key not in REFERENCES:
        raise UnknownNameError(
            f"参照する区分 '{kind}' はありません。{'、'.join(REFERENCES)} から選んでください / "
            f"unknown reference grouping '{kind}'{suggest(kind, REFERENCES)}; "
            f"choose from {', '.join(REFERENCES)}"
        )
    return _reference(key)


@functools.cache
def _reference(key: str) -> Areas:
    from regionlib.data import references

    base = _candidates()
    index = base.index
    if key.startswith("commuting-zones-"):
        labels = references._zones_on(index, int(key[-4:]))
        labels = _name_zones(labels)
    elif key == "prefectures":
        labels = base["prefecture"]
    elif key == "eight-regions":
        labels = references.eight_regions(index).dropna()
    else:
        labels = references.national_plan_areas(index).dropna()
    labels = labels.reindex(index).dropna()
    members: dict[str, list[str]] = {}
    for code, label in labels.items():
        members.setdefault(str(label), []).append(str(code))
    notes = []
    outside = index[~index.isin(labels.index)]
    if len(outside):
        notes.append(
            f"{REFERENCES[key]}に含まれない市区町村 / not in any area: "
            + ", ".join(f"{base.at[c, 'name']} ({c})" for c in outside)
        )
    return Areas(members, REFERENCES[key], key, notes)


def _name_zones(zones: pd.Series) -> pd.Series:
    """Name each zone after its most populous member (prefecture added where names repeat)."""
    pop = _candidates()
    frame = pd.DataFrame({"zone": zones}).join(pop[["prefecture", "name", "population_2020"]])
    core = frame.sort_values("population_2020", ascending=False).groupby("zone").head(1)
    repeated = core["name"].duplicated(keep=False) | core["name"].isin(
        pop["name"][pop["name"].duplicated()]
    )
    names = np.where(repeated, core["prefecture"] + core["name"], core["name"])
    by_zone = dict(zip(core["zone"], [f"{n}通勤圏" for n in names], strict=True))
    return zones.map(by_zone)


def split_spec(spec: str) -> tuple[Areas, list[str] | None]:
    """Read the set of areas a command-line spec names, and which of them it picks.

    ``FILE.csv:札幌圏`` gives every area of the file (an area is ranked among its set) and
    ``["札幌圏"]``; ``FILE.csv`` gives the file and None.

    Parameters
    ----------
    spec
        As :func:`load_areas` takes it.

    Returns
    -------
    tuple
        The whole set, and the names picked (None: all).
    """
    spec = str(spec).strip()
    if Path(spec).is_file():
        return read_areas(spec), None
    head, sep, picked = spec.partition(":")
    if head in REFERENCES or head in REFERENCES.values():
        found = reference_areas(head)
    elif "=" in spec and not Path(head).suffix:
        return parse_area(spec), None
    elif Path(head).suffix.lower() in (".csv", ".txt"):
        found = read_areas(head)
    else:
        msg = (
            f"--area {spec!r}: 名前=市区町村,…、CSV ファイル（FILE.csv か FILE.csv:地域）、または参照する区分（{', '.join(REFERENCES)}）を指定してください / "
            f"--area {spec!r}: give NAME=MEMBER,…, a CSV file (FILE.csv or FILE.csv:AREA) or "
            f"a reference grouping ({', '.join(REFERENCES)})"
        )
        raise AreaError(msg)
    names = [p.strip() for p in picked.split(",") if p.strip()] if sep else []
    if names:
        found.select(names)  # unknown names fail here
    return found, names or None


def load_areas(spec: str) -> Areas:
    """Read areas from any form the command line takes.

    Parameters
    ----------
    spec
        ``NAME=MEMBER,…`` (one area), ``FILE.csv`` (every area of the file),
        ``FILE.csv:AREA[,AREA…]`` (some of them), a key of :data:`REFERENCES`, optionally
        with ``:AREA`` (``commuting-zones-2020:札幌市通勤圏``).

    Returns
    -------
    Areas
        The areas.
    """
    found, names = split_spec(spec)
    return found if names is None else found.select(names)


# --------------------------------------------------------------------------- aggregation


def _membership(groups, index: pd.Index) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Area names, and (area position, code position) pairs of every membership."""
    if isinstance(groups, Areas):
        mapping: Mapping[str, Iterable[str]] = groups.members
    elif isinstance(groups, pd.Series):
        labels = groups.dropna()
        mapping = {str(a): list(c.astype(str)) for a, c in labels.groupby(labels).groups.items()}
    else:
        mapping = {str(a): list(v) for a, v in groups.items()}
    names = list(mapping)
    positions = {c: i for i, c in enumerate(index.astype(str))}
    rows, cols = [], []
    for i, area in enumerate(names):
        members = [str(c) for c in mapping[area]]
        if not members:
            raise AreaError(f"地域 '{area}' に市区町村がありません / area '{area}' has no members")
        absent = [c for c in members if c not in positions]
        if absent:
            msg = (
                f"地域 '{area}': 表にない市区町村があります: {', '.join(absent[:10])} / "
                f"area '{area}': members not in the table: {', '.join(absent[:10])}"
            )
            raise AreaError(msg)
        rows.extend([i] * len(members))
        cols.extend(positions[c] for c in members)
    return names, np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)


class _Context:
    """The areas of one :func:`aggregate` call: membership, sums and reasons."""

    def __init__(self, table: pd.DataFrame, attrs: dict, names: list[str], rows, cols) -> None:
        self.table, self.names, self.rows, self.cols = table, names, rows, cols
        self.base = tuple(table.index.astype(str))
        self.reasons = attrs.get("missing_reasons", {})
        self.flags = attrs.get("flags", {})
        self.labels = table["name"] if "name" in table.columns else pd.Series(dtype=str)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Return the sums over each area's members of ``values`` (codes, or codes × k).

        A sum over the membership pairs (``numpy.add.at``) rather than a scipy sparse product:
        the same sums, without importing scipy's sparse matrices (60 ms) in every command
        that compares a few areas.
        """
        values = np.asarray(values, dtype=float)
        out = np.zeros((len(self.names), *values.shape[1:]))
        np.add.at(out, self.rows, values[self.cols])
        return out

    def who(self, pos: int) -> str:
        code = self.base[pos]
        label = self.labels.get(code, "")
        return f"{label} ({code})" if label else code

    def missing(
        self, column: str, bad: np.ndarray, reasons: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Areas with a member where ``bad`` is true: the first such member and its reason."""
        first = np.full(len(self.names), -1, dtype=np.intp)
        hit = bad[self.cols]
        first[self.rows[hit][::-1]] = self.cols[hit][::-1]
        out = {}
        for area in np.flatnonzero(first >= 0):
            code = self.base[first[area]]
            why = (reasons or {}).get(code) or self.reasons.get(column, {}).get(code) or "—"
            out[self.names[area]] = f"構成市区町村 {self.who(first[area])} の値がない: {why}"
        return out

    def blank(self, values: np.ndarray, why: Mapping[str, str]) -> np.ndarray:
        if why:
            pos = {a: i for i, a in enumerate(self.names)}
            values[[pos[a] for a in why]] = np.nan
        return values


def _indicator_columns(table: pd.DataFrame) -> list[str]:
    return [
        c
        for c, dtype in table.dtypes.items()
        if c not in _TABLE_COLUMNS and pd.api.types.is_numeric_dtype(dtype)
    ]


def _spec(column: str) -> indicators.Spec:
    """Return the parsed request of a column (a user indicator: its name alone)."""
    try:
        return indicators.parse(column)
    except RegionlibError:
        return indicators.Spec(column)


def _is_catalogue(column: str) -> bool:
    name = _spec(column).name
    return name not in indicators._USER and name in indicators._rows()


def _rule(column: str) -> indicators.Rule:
    entry = indicators.find(column)
    if entry is None:
        msg = (
            f"列 '{column}' には集計方法がありません。rl.indicators.register(name, ..., aggregation=...) で登録してください / "
            f"column '{column}' has no aggregation rule: register it with "
            "rl.indicators.register(name, ..., aggregation='sum' | 'ratio:NUM/DEN' | "
            "'weighted:WEIGHT' | 'none:REASON')"
        )
        raise AreaError(msg)
    return entry.rule if entry.aggregation else indicators.parse_rule("none")


def _rule_text(rule: indicators.Rule) -> str:
    if rule.kind == "ratio" and rule.numerator:
        return f"ratio:{rule.numerator}/{rule.denominator}*{rule.scale:g}"
    if rule.kind == "weighted":
        return f"weighted:{rule.weight}"
    if rule.kind == "none":
        return f"none:{rule.reason}"
    return rule.kind


def _row_rule(request: str) -> tuple[indicators.Spec, object, indicators.Rule]:
    spec = _spec(request)
    row = indicators._row_for(spec, spec.year)
    return spec, row, indicators.parse_rule(row.aggregation or "none")


def _requests(columns: list[str]) -> list[str]:
    """Return the one-year catalogue requests whose parts the columns need."""
    needed: list[str] = []

    def visit(request: str) -> None:
        spec = _spec(request)
        if spec.start is not None:
            for year in (spec.start, spec.year):
                visit(f"{spec.name}@{year}")
            return
        _, row, rule = _row_rule(request)
        if row.alias:
            visit(row.alias)
        elif rule.kind in ("ratio", "sum"):
            needed.append(indicators.Spec(spec.name, row.year).column)

    for column in columns:
        if _is_catalogue(column) and _rule(column).kind in ("ratio", "sum"):
            visit(column)
    return list(dict.fromkeys(needed))


@functools.lru_cache(maxsize=8)
def _parts_cached(names: tuple[str, ...], base: tuple[str, ...]) -> dict:
    from regionlib.data import table

    return table.compute_parts(list(names), pd.Index(base, name="code"))


def aggregate(
    table: pd.DataFrame,
    groups: Areas | pd.Series | Mapping[str, Iterable[str]],
    *,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Give each area the value of each indicator, by the indicator's aggregation rule.

    Parameters
    ----------
    table
        A municipality table (:func:`regionlib.table.load_table`): index ``code``, one column
        per indicator request (``aging_rate``, ``aging_rate@2015``, ``…@2015-2020``).
    groups
        The areas: :class:`Areas`, a label Series on the code index (a reference grouping,
        region labels) or a mapping area -> member codes (a municipality may be in several).
    indicators
        Columns to aggregate; default every numeric column of ``table``.

    Returns
    -------
    pandas.DataFrame
        Index ``area``; ``n_members``, then one column per indicator. ``attrs``:
        ``missing_reasons`` (indicator -> area -> reason), ``rules`` (indicator -> rule),
        ``members`` (area -> codes), ``flags`` (indicator -> area -> reason, from flagged
        members), ``kind``.

    Raises
    ------
    AreaError
        For an area without members or with members not in ``table``, and for a column
        without an aggregation rule (not in the catalogue, not registered).
    """
    attrs = table.attrs
    table.attrs = {}  # pandas deep-copies attrs on every column read: 0.15 s each for a large table
    try:
        return _aggregate(table, attrs, groups, indicators)
    finally:
        table.attrs = attrs


def _aggregate(table: pd.DataFrame, attrs: dict, groups, indicators) -> pd.DataFrame:
    columns = list(_indicator_columns(table) if indicators is None else indicators)
    names, rows, cols = _membership(groups, table.index)
    ctx = _Context(table, attrs, names, rows, cols)
    rules = {c: _rule(c) for c in columns}
    out: dict[str, np.ndarray] = {}
    missing: dict[str, dict[str, str]] = {}
    # counts already in the table: one sparse product for all of them
    counts = [c for c in columns if rules[c].kind == "sum" and _spec(c).start is None]
    if counts:
        block = table[counts].to_numpy(dtype=float)
        bad = np.isnan(block)
        totals = ctx.sum(np.where(bad, 0.0, block))
        for j, column in enumerate(counts):
            why = ctx.missing(column, bad[:, j])
            out[column], missing[column] = ctx.blank(totals[:, j], why), why
    rest = [c for c in columns if c not in out]
    parts = _parts_cached(tuple(_requests(rest)), ctx.base) if rest else {}
    for column in rest:
        out[column], missing[column] = _value(column, rules[column], parts, ctx)
    frame = pd.DataFrame(
        np.column_stack([out[c] for c in columns]) if columns else np.empty((len(names), 0)),
        index=pd.Index(names, name="area"),
        columns=columns,
    )
    frame.insert(0, "n_members", np.bincount(rows, minlength=len(names)))
    members = {a: [ctx.base[c] for c in cols[rows == i]] for i, a in enumerate(names)}
    frame.attrs = {
        "missing_reasons": {c: m for c, m in missing.items() if m},
        "rules": {c: _rule_text(rules[c]) for c in columns},
        "members": members,
        "flags": _area_flags(ctx, members, columns),
        "kind": groups.kind if isinstance(groups, Areas) else "",
    }
    return frame


def _value(column: str, rule: indicators.Rule, parts: dict, ctx: _Context):
    """Values and reasons of one column, by its rule."""
    n = len(ctx.names)
    if rule.kind == "none":
        return np.full(n, np.nan), dict.fromkeys(ctx.names, rule.reason)
    if rule.kind == "weighted" and not _is_catalogue(column):
        return _weighted(column, column, rule.weight, ctx)
    if not _is_catalogue(column):  # a user's ratio of two columns
        if rule.kind == "sum":
            x = ctx.table[column].to_numpy(dtype=float)
            bad = np.isnan(x)
            why = ctx.missing(column, bad)
            return ctx.blank(ctx.sum(np.where(bad, 0.0, x)), why), why
        num, den = (ctx.table[c].to_numpy(dtype=float) for c in (rule.numerator, rule.denominator))
        return _ratio(num, den, rule.scale, "denominator is 0", column, ctx)
    spec = _spec(column)
    if spec.start is None:
        return _one_year(column, parts, ctx)
    end, why_end = _one_year(f"{spec.name}@{spec.year}", parts, ctx)
    start, why_start = _one_year(f"{spec.name}@{spec.start}", parts, ctx)
    why = {a: f"{spec.start}: {r}" for a, r in why_start.items()}
    why.update({a: f"{spec.year}: {r}" for a, r in why_end.items() if a not in why})
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.relative:
            values = np.where(start == 0, np.nan, (end - start) / start * 100)
        else:
            values = end - start
    return ctx.blank(values, why), why


def _one_year(request: str, parts: dict, ctx: _Context):
    """Area values of a one-year catalogue request from the members' numerators and denominators."""
    spec, row, rule = _row_rule(request)
    if row.alias:
        return _value(row.alias, indicators.parse_rule("ratio"), parts, ctx)
    if rule.kind == "none":
        return np.full(len(ctx.names), np.nan), dict.fromkeys(ctx.names, rule.reason)
    if rule.kind == "weighted":
        weight = rule.weight if "@" in rule.weight else f"{rule.weight}@{row.year}"
        return _weighted(request, indicators.Spec(spec.name, row.year).column, weight, ctx)
    num, den, reason = parts[indicators.Spec(spec.name, row.year).column]
    has = ~pd.isna(reason)
    why_code = {ctx.base[i]: str(reason[i]) for i in np.flatnonzero(has)}
    if den is None:  # a count
        bad = has | np.isnan(num)
        why = ctx.missing(request, bad, why_code)
        values = ctx.sum(np.where(bad, 0.0, num)) * row.scale
        return ctx.blank(values, why), why
    return _ratio(
        np.where(has, np.nan, num), den, row.scale, row.zero_reason, request, ctx, why_code
    )


@functools.lru_cache(maxsize=64)
def _computed(request: str, base: tuple[str, ...]) -> tuple[np.ndarray, dict[str, str]]:
    """Values of a catalogue request on ``base`` (a weight the table lacks).

    Read from the cached table of that request (:func:`regionlib.table.load_table`) when
    ``base`` holds today's codes, instead of reading its source again (0.2 s for the fiscal
    workbook); other codes are computed from the sources.
    """
    from regionlib.data import table

    index = pd.Index(base, name="code")
    known = table.load_table([request], geometry=False)
    if index.isin(known.index).all():
        reasons, wanted = known.attrs["missing_reasons"].get(request, {}), set(base)
        return (
            known[request].reindex(index).to_numpy(dtype=float),
            {c: r for c, r in reasons.items() if c in wanted},
        )
    values, missing, _ = table.compute_aligned([request], index)
    return values[request].to_numpy(dtype=float), missing.get(request, {})


def _values_of(request: str, ctx: _Context) -> tuple[np.ndarray, dict[str, str]]:
    """Values of a request on the table's codes: the table's column, else computed."""
    if request in ctx.table.columns:
        return ctx.table[request].to_numpy(dtype=float), ctx.reasons.get(request, {})
    if not _is_catalogue(request):
        msg = (
            f"'{request}' が重みとして必要です。表に加えてください（load_table([...])） / "
            f"'{request}' is needed as a weight: add it to the table (load_table([...]))"
        )
        raise AreaError(msg)
    return _computed(indicators.resolve(request), ctx.base)


def _weighted(column: str, request: str, weight: str, ctx: _Context):
    """Return the members' values of ``request`` averaged with the weight ``weight``."""
    if column in ctx.table.columns:
        x, why_x = ctx.table[column].to_numpy(dtype=float), ctx.reasons.get(column, {})
    else:
        x, why_x = _values_of(request, ctx)
    w, why_w = _values_of(weight, ctx)
    bad = np.isnan(x) | np.isnan(w)
    both = ctx.sum(np.where(bad[:, None], 0.0, np.column_stack([x * w, w])))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(both[:, 1] > 0, both[:, 0] / both[:, 1], np.nan)
    why = ctx.missing(column, bad, {**{c: f"{weight}: {r}" for c, r in why_w.items()}, **why_x})
    return ctx.blank(values, why), why


def _ratio(num, den, scale, zero_reason, column, ctx: _Context, why_code=None):
    """Sum of numerators over sum of denominators × scale, per area."""
    bad = np.isnan(num) | np.isnan(den)
    both = ctx.sum(np.where(bad[:, None], 0.0, np.column_stack([num, den])))
    why = ctx.missing(column, bad, why_code)
    zero = both[:, 1] == 0
    for i in np.flatnonzero(zero):
        why.setdefault(ctx.names[i], zero_reason)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(zero, np.nan, both[:, 0] / np.where(zero, 1.0, both[:, 1])) * scale
    return ctx.blank(values, why), why


def _area_flags(ctx: _Context, members: dict, columns: list[str]) -> dict[str, dict[str, str]]:
    """Areas with a flagged member carry the member's flag (evacuation orders, Tokyo's wards)."""
    pos = {c: i for i, c in enumerate(ctx.base)}
    out: dict[str, dict[str, str]] = {}
    for column in columns:
        flagged = ctx.flags.get(column, {})
        if not flagged:
            continue
        bad = np.zeros(len(ctx.base), dtype=bool)
        bad[[pos[c] for c in flagged if c in pos]] = True
        first = np.full(len(ctx.names), -1, dtype=np.intp)
        hit = bad[ctx.cols]
        first[ctx.rows[hit][::-1]] = ctx.cols[hit][::-1]
        for area in np.flatnonzero(first >= 0):
            code = ctx.base[first[area]]
            why = f"構成市区町村 {ctx.who(first[area])}: {flagged[code]}"
            out.setdefault(column, {})[ctx.names[area]] = why
    return out
