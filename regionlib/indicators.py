"""The curated indicator catalogue: names, Japanese labels, units, formulas and sources.

Every indicator is defined once, in :data:`_CATALOGUE` below, as a formula over items of the
raw sources (read by :mod:`regionlib.readers`): a sum of numerator items divided by a sum of
denominator items, times a scale. A value is missing (NaN) when an input is missing (the reason
of the input is kept, e.g. ``"C120110: not obtainable (-)"``), when the municipality is not in
the source, or when the denominator is 0 (``"population is 0"`` for the Fukushima evacuation
towns): never ``inf``.

Examples
--------
>>> from regionlib import indicators
>>> indicators.info("aging_rate").unit
'%'
>>> indicators.info("aging_rate").formula
'A1303 / A1101 × 100 (SSDSE-A 2026: 65歳以上人口 / 総人口)'
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionlib import datasets, readers
from regionlib._errors import UnknownNameError, suggest
from regionlib._log import log

__all__ = [
    "DEFAULT_INDICATORS",
    "POPULATION_COLUMNS",
    "Indicator",
    "catalogue",
    "compute_indicators",
    "credits",
    "find",
    "info",
    "population_column",
    "read_source",
]


@dataclass(frozen=True)
class Indicator:
    """Metadata of one catalogue indicator.

    Attributes
    ----------
    name
        snake_case identifier, the column name in tables.
    label
        Japanese label for maps, tooltips and planners' tables.
    unit
        Unit (``"%"``, ``"人"``, ``"人/km²"``, ``"千円"`` …; ``""`` for an index).
    year
        Reference year (fiscal year for fiscal items) of the data, as a string.
    formula
        How the value is computed from the source items.
    datasets
        Registry names of the sources.
    description
        One or two English sentences: meaning and caveats.
    """

    name: str
    label: str
    unit: str
    year: str
    formula: str
    datasets: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class _Recipe:
    """``sum(num) / sum(den) * scale + offset``; ``den=()`` means the numerator as is."""

    num: tuple[tuple[int, str, str], ...]  # (sign, dataset, item)
    den: tuple[tuple[str, str], ...] = ()
    scale: float = 1.0
    offset: float = 0.0
    zero_reason: str = "population is 0"


_S26, _S20 = "ssdse-a-2026", "ssdse-a-2020"
_POP = ((_S26, "A1101"),)


def _share(item: str, den=_POP, scale: float = 100.0, zero: str = "population is 0") -> _Recipe:
    return _Recipe(((1, _S26, item),), den, scale, zero_reason=zero)


_SECTORS = ((_S26, "F2201"), (_S26, "F2211"), (_S26, "F2221"))
_NO_EMPLOYED = "no employed persons"

# name: (label, unit, year, formula, recipe, description)
_CATALOGUE: dict[str, tuple[str, str, str, str, _Recipe, str]] = {
    "population_2020": (
        "総人口（2020年）",
        "人",
        "2020",
        "A1101 (SSDSE-A 2026: 総人口, 2020年国勢調査)",
        _Recipe(((1, _S26, "A1101"),)),
        "Total population, 2020 census.",
    ),
    "population_2015": (
        "総人口（2015年）",
        "人",
        "2015",
        "A1101 (SSDSE-A 2020: 総人口, 2015年国勢調査)",
        _Recipe(((1, _S20, "A1101"),)),
        "Total population, 2015 census, on the same 1,741 codes as 2020.",
    ),
    "population_change_2015_2020": (
        "人口増減率（2015→2020年）",
        "%",
        "2015-2020",
        "(A1101[2020] − A1101[2015]) / A1101[2015] × 100 (SSDSE-A 2026 and 2020)",
        _Recipe(
            ((1, _S26, "A1101"), (-1, _S20, "A1101")),
            ((_S20, "A1101"),),
            100.0,
            zero_reason="2015 population is 0",
        ),
        "Census population change 2015 to 2020. Missing where the 2015 population is 0 "
        "(Fukushima evacuation towns).",
    ),
    "aging_rate": (
        "高齢化率（65歳以上人口割合）",
        "%",
        "2020",
        "A1303 / A1101 × 100 (SSDSE-A 2026: 65歳以上人口 / 総人口)",
        _share("A1303"),
        "Share of the population aged 65 or over (denominator: total population, including "
        "age not stated), 2020 census.",
    ),
    "elderly_75_share": (
        "75歳以上人口割合",
        "%",
        "2020",
        "A1419 / A1101 × 100 (SSDSE-A 2026: 75歳以上人口 / 総人口)",
        _share("A1419"),
        "Share of the population aged 75 or over, 2020 census.",
    ),
    "child_share": (
        "年少人口割合（15歳未満）",
        "%",
        "2020",
        "A1301 / A1101 × 100 (SSDSE-A 2026: 15歳未満人口 / 総人口)",
        _share("A1301"),
        "Share of the population under 15, 2020 census.",
    ),
    "working_age_share": (
        "生産年齢人口割合（15～64歳）",
        "%",
        "2020",
        "A1302 / A1101 × 100 (SSDSE-A 2026: 15～64歳人口 / 総人口)",
        _share("A1302"),
        "Share of the population aged 15 to 64, 2020 census.",
    ),
    "child_population_change_2015_2020": (
        "年少人口増減率（15歳未満、2015→2020年）",
        "%",
        "2015-2020",
        "(A1301[2020] − A1301[2015]) / A1301[2015] × 100 (SSDSE-A 2026 and 2020)",
        _Recipe(
            ((1, _S26, "A1301"), (-1, _S20, "A1301")),
            ((_S20, "A1301"),),
            100.0,
            zero_reason="2015 population under 15 is 0",
        ),
        "Census change of the population under 15, 2015 to 2020: the young generation a "
        "municipality keeps or attracts. Missing where it was 0 in 2015.",
    ),
    "working_age_population_change_2015_2020": (
        "生産年齢人口増減率（15～64歳、2015→2020年）",
        "%",
        "2015-2020",
        "(A1302[2020] − A1302[2015]) / A1302[2015] × 100 (SSDSE-A 2026 and 2020)",
        _Recipe(
            ((1, _S26, "A1302"), (-1, _S20, "A1302")),
            ((_S20, "A1302"),),
            100.0,
            zero_reason="2015 population aged 15-64 is 0",
        ),
        "Census change of the population aged 15 to 64, 2015 to 2020. Missing where it was 0 "
        "in 2015 (Fukushima evacuation towns).",
    ),
    "density_habitable": (
        "可住地人口密度",
        "人/km²",
        "2020",
        "A1101 / (B1103 / 100) (SSDSE-A 2026: 総人口 / 可住地面積; B1103 is in ha)",
        _Recipe(
            ((1, _S26, "A1101"),), ((_S26, "B1103"),), 100.0, zero_reason="habitable area is 0"
        ),
        "2020 census population per km² of habitable area (area as of 2024, given in ha).",
    ),
    "primary_share": (
        "第1次産業就業者割合",
        "%",
        "2020",
        "F2201 / (F2201 + F2211 + F2221) × 100 (SSDSE-A 2026)",
        _share("F2201", _SECTORS, zero=_NO_EMPLOYED),
        "Share of employed persons in agriculture, forestry and fisheries, among those whose "
        "sector is classified (2020 census).",
    ),
    "secondary_share": (
        "第2次産業就業者割合",
        "%",
        "2020",
        "F2211 / (F2201 + F2211 + F2221) × 100 (SSDSE-A 2026)",
        _share("F2211", _SECTORS, zero=_NO_EMPLOYED),
        "Share of employed persons in mining, construction and manufacturing (2020 census).",
    ),
    "tertiary_share": (
        "第3次産業就業者割合",
        "%",
        "2020",
        "F2221 / (F2201 + F2211 + F2221) × 100 (SSDSE-A 2026)",
        _share("F2221", _SECTORS, zero=_NO_EMPLOYED),
        "Share of employed persons in services (2020 census).",
    ),
    "unemployment_rate": (
        "完全失業率",
        "%",
        "2020",
        "F1107 / (F1102 + F1107) × 100 (SSDSE-A 2026: 完全失業者数 / 労働力人口)",
        _share("F1107", ((_S26, "F1102"), (_S26, "F1107")), zero="labour force is 0"),
        "Unemployed persons as a share of the labour force (employed + unemployed), 2020 census.",
    ),
    "fiscal_strength_index": (
        "財政力指数（2020年度）",
        "",
        "FY2020",
        "財政力指数 (主要財政指標一覧 R2)",
        _Recipe(((1, "fiscal-fy2020", "fiscal_strength_index"),)),
        "Fiscal strength index, FY2020 (3-year average of basic revenue / basic need). Tokyo's "
        "23 special wards are not comparable with cities on this index.",
    ),
    "fiscal_strength_index_2015": (
        "財政力指数（2015年度）",
        "",
        "FY2015",
        "財政力指数 (主要財政指標一覧 H27)",
        _Recipe(((1, "fiscal-fy2015", "fiscal_strength_index"),)),
        "Fiscal strength index, FY2015, on pre-2016 codes mapped to current ones "
        "(e.g. 富谷町 04423 → 富谷市 04216).",
    ),
    "income_per_taxpayer": (
        "納税義務者1人当たり課税対象所得",
        "千円",
        "FY2020",
        "C120110 / C120120 (すがた: 課税対象所得【千円】 / 納税義務者数（所得割）)",
        _Recipe(
            ((1, "income-2020", "C120110"),),
            (("income-2020", "C120120"),),
            zero_reason="no taxpayers",
        ),
        "Taxable income per taxpayer (income-tax-liable persons), FY2020, in thousand yen.",
    ),
    "natural_change_rate": (
        "自然増減率（人口千人当たり）",
        "‰",
        "2019",
        "(出生者数 − 死亡者数) / 人口 × 1000 (住民基本台帳 2020年1月1日; 2019年の動態)",
        _Recipe(((1, "juki-2020", "natural_change"),), (("juki-2020", "population"),), 1000.0),
        "Births minus deaths in calendar 2019 per 1,000 registered residents on 1 January 2020.",
    ),
    "social_change_rate": (
        "社会増減率（人口千人当たり）",
        "‰",
        "2019",
        "社会増減数 / 人口 × 1000 (住民基本台帳 2020年1月1日; 2019年の動態)",
        _Recipe(((1, "juki-2020", "social_change"),), (("juki-2020", "population"),), 1000.0),
        "Net migration (moves in minus moves out, incl. other entries) in calendar 2019 per "
        "1,000 registered residents on 1 January 2020.",
    ),
    "doctors_per_10k": (
        "人口1万人当たり医師数",
        "人/万人",
        "2022",
        "I6100 / A1101 × 10000 (SSDSE-A 2026: 医師数 2022 / 総人口 2020)",
        _share("I6100", scale=10000.0),
        "Doctors (2022, by place of work) per 10,000 inhabitants (2020 census).",
    ),
}

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


def _datasets_of(recipe: _Recipe) -> tuple[str, ...]:
    names = [d for _, d, _ in recipe.num] + [d for d, _ in recipe.den]
    return tuple(dict.fromkeys(names))


def catalogue() -> dict[str, Indicator]:
    """Return every catalogue indicator by name.

    Returns
    -------
    dict
        Mapping from indicator name to :class:`Indicator`, in catalogue order.
    """
    return dict(_built_catalogue())


@functools.cache
def _built_catalogue() -> dict[str, Indicator]:
    return {
        name: Indicator(name, label, unit, year, formula, _datasets_of(recipe), description)
        for name, (label, unit, year, formula, recipe, description) in _CATALOGUE.items()
    }


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
        A column or indicator name.

    Returns
    -------
    Indicator or None
        The catalogue entry.
    """
    return _built_catalogue().get(name)


def info(name: str) -> Indicator:
    """Return the metadata of indicator ``name``.

    Parameters
    ----------
    name
        Indicator name (see ``regionlib indicators``).

    Returns
    -------
    Indicator
        Its label, unit, reference year, formula and sources.

    Raises
    ------
    UnknownNameError
        If there is no such indicator; the message suggests close names.
    """
    entry = find(name)
    if entry is None:
        entries = _built_catalogue()
        msg = f"unknown indicator '{name}'{suggest(name, entries)} (see `regionlib indicators`)"
        raise UnknownNameError(msg)
    return entry


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
        for dataset in info(name).datasets:
            credit = datasets.info(dataset).credit
            if credit not in lines:
                lines.append(credit)
    return lines


def read_source(name: str) -> readers.SourceTable:
    """Read the registry dataset ``name`` with the reader its format needs.

    Parameters
    ----------
    name
        Registry name of an indicator source (``ssdse-a-*``, ``juki-*``, ``income-*``,
        ``fiscal-*``).

    Returns
    -------
    SourceTable
        What the reader returns.
    """
    entry = datasets.info(name)
    if name == "fiscal-archive":
        return readers.read_fiscal(2021)
    reader = {
        "ssdse-csv": readers.read_ssdse,
        "juki-csv": readers.read_juki,
        "sugata-csv": readers.read_income,
        "fiscal-xls": readers.read_fiscal,
    }.get(entry.format)
    if reader is None:
        msg = f"dataset '{name}' (format {entry.format}) is not an indicator source"
        raise UnknownNameError(msg)
    return reader(name)


def _term(table: readers.SourceTable, item: str, codes: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``item`` on ``codes`` and the reason for each missing one."""
    values = table.values[item].reindex(codes).to_numpy(dtype=float)
    reasons = table.reasons[item].reindex(codes).astype(object).to_numpy()
    absent = ~codes.isin(table.values.index)
    reasons = np.where(absent, f"not in {table.source}", reasons)
    reasons = np.where(
        pd.isna(reasons) | absent, reasons, np.char.add(f"{item}: ", reasons.astype(str))
    )
    return values, reasons


def _evaluate(
    recipe: _Recipe, tables: dict[str, readers.SourceTable], codes: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    reason = np.full(len(codes), None, dtype=object)

    def total(terms) -> np.ndarray:
        acc = np.zeros(len(codes))
        for sign, dataset, item in terms:
            values, why = _term(tables[dataset], item, codes)
            acc = acc + sign * values
            fill = pd.isna(reason) & ~pd.isna(why)
            reason[fill] = why[fill]
        return acc

    numerator = total(recipe.num)
    if recipe.den:
        denominator = total((1, d, i) for d, i in recipe.den)
        zero = denominator == 0
        reason[zero & pd.isna(reason)] = recipe.zero_reason
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(zero, np.nan, numerator / np.where(zero, 1.0, denominator))
    else:
        out = numerator
    out = out * recipe.scale + recipe.offset
    out[~pd.isna(reason)] = np.nan
    return out, reason


def _compute(
    names: list[str], codes: pd.Index, tables: dict[str, readers.SourceTable]
) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    values = {}
    missing: dict[str, dict[str, str]] = {}
    for name in names:
        out, reason = _evaluate(_CATALOGUE[name][4], tables, codes)
        values[name] = out
        has = ~pd.isna(reason)
        missing[name] = {str(c): str(r) for c, r in zip(codes[has], reason[has], strict=True)}
        if has.any():
            log(f"{name}: {int(has.sum())} missing values")
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
        Indicator names; default :data:`DEFAULT_INDICATORS`.
    codes
        Municipality codes to compute for; default the codes of the first source.

    Returns
    -------
    pandas.DataFrame
        Index ``code``, one float column per indicator. ``attrs["missing_reasons"]`` maps each
        indicator to ``{code: reason}`` for its missing values.

    Raises
    ------
    UnknownNameError
        If a name is not in the catalogue.
    """
    names = list(DEFAULT_INDICATORS if names is None else names)
    for name in names:
        info(name)
    needed = list(dict.fromkeys(d for n in names for d in info(n).datasets))
    tables = {d: read_source(d) for d in needed}
    index = pd.Index(
        list(codes) if codes is not None else tables[needed[0]].values.index, dtype="str"
    )
    frame, missing = _compute(names, index, tables)
    frame.attrs["missing_reasons"] = missing
    return frame
