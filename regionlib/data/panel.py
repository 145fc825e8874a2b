"""Series: catalogue indicators through the years, on today's 1,741 municipalities.

:func:`series` returns a long (tidy) table: one row per municipality and year, columns
``code``, ``prefecture``, ``name``, ``year``, then one float column per indicator. Values of
earlier years are put on today's municipalities through the code history (counts of merged
municipalities summed, rates recomputed from summed numerators and denominators, indices of
merged municipalities missing; splits reported, never guessed): see
:func:`regionlib.table.compute_aligned`. A value is missing where the source has none; the
reasons are in ``attrs["missing"]`` (indicator -> year -> reason -> [count, examples]),
including the years a source does not hold an indicator for.

:func:`change` gives the change of one indicator between two years, absolute and in %.

The panel is cached in the derived cache (parquet keyed by the sha256 of every input file, the
catalogue and the code), like :func:`regionlib.table.load_table`.

Examples
--------
>>> import regionlib as rl
>>> s = rl.panel.series(["population_registered"], years="2016-2022")  # doctest: +SKIP
>>> s.groupby("year")["population_registered"].sum()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from regionlib._errors import UnknownNameError
from regionlib._log import log
from regionlib.data import _cache
from regionlib.data import indicators as _catalogue

__all__ = ["change", "parse_years", "series"]


def parse_years(years: str | int | Iterable[int] | None) -> list[int] | None:
    """Return the years of ``"2016-2022"``, ``"2015,2020"``, ``2020`` or a list; None for all.

    Parameters
    ----------
    years
        A range ``START-END``, a comma-separated list, one year, or an iterable of years.

    Returns
    -------
    list of int or None
        Sorted years.

    Raises
    ------
    UnknownNameError
        If the text is not a year range or list.
    """
    if years is None:
        return None
    if isinstance(years, int):
        return [years]
    if isinstance(years, str):
        out: set[int] = set()
        for part in years.replace(" ", "").split(","):
            match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
            if match is None:
                msg = (
                    f"年 '{years}': 開始-終了（2016-2022）か一覧（2015,2020）で書いてください / "
                    f"years '{years}': write START-END (2016-2022) or a list (2015,2020)"
                )
                raise UnknownNameError(msg)
            first, last = int(match[1]), int(match[2] or match[1])
            if last < first:
                raise UnknownNameError(
                    f"年 '{years}': {last} 年が {first} 年より前です / "
                    f"years '{years}': {last} comes before {first}"
                )
            out.update(range(first, last + 1))
        return sorted(out)
    return sorted({int(y) for y in years})


@functools.cache
def _base_names() -> pd.DataFrame:
    from regionlib.data import names as names_module

    names = names_module.load_names()
    return names[names["level"] == "municipality"][["pref_code", "prefecture", "name"]]


def _base(prefectures: Iterable[str] | None) -> pd.DataFrame:
    from regionlib.data import codes

    base = _base_names()
    if prefectures is None:
        return base
    wanted = {codes.prefecture_code(str(p)) for p in prefectures}
    return base[base["pref_code"].isin(wanted)]


def _plan(names: list[str], wanted: list[int] | None) -> dict[str, list[int]]:
    """Years to compute per indicator; refuses an indicator that has none of ``wanted``."""
    plan = {}
    for name in names:
        have = _catalogue.years(name)
        chosen = have if wanted is None else [y for y in have if y in wanted]
        if not chosen:
            msg = (
                f"指標 '{name}' には {wanted[0]}〜{wanted[-1]} 年の値がありません。値のある年: {'、'.join(map(str, have))} / "
                f"indicator '{name}' has no value for {wanted[0]}-{wanted[-1]}; the sources hold "
                f"it for: {', '.join(map(str, have))}"
            )
            raise UnknownNameError(msg)
        plan[name] = chosen
    return plan


def _build(plan: dict[str, list[int]], years: list[int], base: pd.DataFrame) -> pd.DataFrame:
    from regionlib.data import flags, table

    columns = [f"{name}@{year}" for name, ys in plan.items() for year in ys]
    values, missing, _ = table.compute_aligned(columns, base.index)
    n = len(base)
    empty = np.full(n, np.nan)
    data: dict[str, object] = {
        "code": np.tile(base.index.to_numpy(dtype=object), len(years)),
        "prefecture": np.tile(base["prefecture"].to_numpy(dtype=object), len(years)),
        "name": np.tile(base["name"].to_numpy(dtype=object), len(years)),
        "year": np.repeat(np.asarray(years, dtype="int64"), n),
    }
    for name, ys in plan.items():
        data[name] = np.concatenate(
            [values[f"{name}@{year}"].to_numpy() if year in ys else empty for year in years]
        )
    out = pd.DataFrame(data)
    out["code"] = out["code"].astype("str")
    report: dict[str, dict[str, dict[str, list]]] = {}
    flagged: dict[str, dict[str, dict[str, str]]] = {}
    column_flags = flags.flags_for(columns, base.index)
    summary = table.summarize_missing(missing, base["name"])
    for name, ys in plan.items():
        by_year: dict[str, dict[str, list]] = {}
        for year in years:
            if year not in ys:
                by_year[str(year)] = {not_held(name): [len(base), []]}
                continue
            if f"{name}@{year}" in summary:
                by_year[str(year)] = summary[f"{name}@{year}"]
            if f"{name}@{year}" in column_flags:
                flagged.setdefault(name, {})[str(year)] = column_flags[f"{name}@{year}"]
        if by_year:
            report[name] = by_year
    # attrs as JSON text: pandas deep-copies attrs on every column access (to_parquet too)
    out.attrs = {"report_json": json.dumps({"missing": report, "flags": flagged})}
    return out


def year_spans(years: Iterable[int]) -> str:
    """Return years as runs for a Japanese message: ``[2015, 2016, 2017, 2019]`` -> ``"2015〜2017、2019"``.

    Parameters
    ----------
    years
        Years, in any order.

    Returns
    -------
    str
        The runs, joined by ``、``.
    """
    out: list[list[int]] = []
    for y in sorted(set(years)):
        if out and y == out[-1][-1] + 1:
            out[-1].append(y)
        else:
            out.append([y])
    return "、".join(f"{r[0]}〜{r[-1]}" if len(r) > 1 else str(r[0]) for r in out)


#: Why the 住基 flows stop: each file holds the flows of the year before; the last is of 2022.
_JUKI_FLOWS = "住基のファイルは前年の出生・死亡・転入・転出を載せ、最新は2022年版（2021年の値）です"


def not_held(name: str) -> str:
    """Return the reason given for a year the sources do not hold ``name`` for (Japanese).

    Parameters
    ----------
    name
        Catalogue name.

    Returns
    -------
    str
        For example ``"出典は2015〜2019年のみ（住基の人口ファイルは…）"``.
    """
    entry = _catalogue.info(name)
    why = f"（{_JUKI_FLOWS}）" if entry.group == "juki" and "calendar" in entry.description else ""
    return f"出典は{year_spans(entry.years)}年のみ{why}"


@functools.cache
def _code_hash() -> str:
    return _cache.file_sha256(__file__)


def _input_hashes(columns: list[str]) -> list[str]:
    from regionlib.data import table

    return [*table._input_hashes(columns), _code_hash()]


def series(
    indicators: str | Iterable[str],
    *,
    years: str | int | Iterable[int] | None = None,
    prefectures: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return indicators through the years: one row per municipality and year (long format).

    Parameters
    ----------
    indicators
        Catalogue names or Japanese labels (without ``@``).
    years
        ``"2016-2022"``, ``"2015,2020"``, a list or one year; default every year any of the
        indicators has.
    prefectures
        Restrict to these prefectures (codes or names).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (5-digit str), ``prefecture``, ``name``, ``year`` (int), then one
        float column per indicator, sorted by year then code. ``attrs["missing"]``: indicator
        -> year -> reason -> ``[count, examples]`` (a year the source does not hold is one
        reason); ``attrs["flags"]``: indicator -> year -> code -> reason.

    Raises
    ------
    UnknownNameError
        For an unknown indicator, a name with ``@``, or an indicator with no value in the
        years asked for (the message lists the years that exist).
    """
    requested = [indicators] if isinstance(indicators, str) else list(indicators)
    if not requested:
        raise UnknownNameError(
            "指標を 1 つ以上指定してください（regionlib indicators を参照） / "
            "name at least one indicator (see `regionlib indicators`)"
        )
    names = []
    for text in requested:
        spec = _catalogue.parse(text)
        if spec.year is not None:
            msg = (
                f"'{text}': 系列には '@' なしの名前を指定し、年は years= で指定してください / "
                f"'{text}': a series takes names without '@'; give the years with years="
            )
            raise UnknownNameError(msg)
        names.append(spec.name)
    names = list(dict.fromkeys(names))
    wanted = parse_years(years)
    plan = _plan(names, wanted)
    for name, ys in plan.items():
        if broken := _catalogue.definition_break(name, ys):
            log(f"{name}: {broken}", logging.WARNING, ja=broken.split(" / ")[0])
    all_years = sorted({y for ys in plan.values() for y in ys}) if wanted is None else wanted
    base = _base(prefectures)
    columns = [f"{name}@{year}" for name, ys in plan.items() for year in ys]
    params = {
        "plan": plan,
        "years": all_years,
        "prefectures": sorted(base["pref_code"].unique()) if prefectures else None,
    }
    product = _cache.cached(
        "panel", _input_hashes(columns), params, lambda: _build(plan, all_years, base)
    )
    report = json.loads(product.attrs.pop("report_json", "{}"))
    product["code"] = product["code"].astype("str")
    product.attrs = {"missing": report.get("missing", {}), "flags": report.get("flags", {})}
    return product


def change(
    indicator: str,
    start: int,
    end: int,
    *,
    prefectures: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return the change of ``indicator`` between ``start`` and ``end``, absolute and in %.

    The change columns are catalogue requests (``aging_rate@2015-2020`` and
    ``aging_rate@2015-2020%``), so they can be mapped like any other indicator:
    ``regionlib map aging_rate@2015-2020``.

    Parameters
    ----------
    indicator
        Catalogue name or Japanese label.
    start, end
        Years the sources hold the indicator for.
    prefectures
        Restrict to these prefectures.

    Returns
    -------
    pandas.DataFrame
        Index ``code``; columns ``prefecture``, ``name``, the value at ``start`` and at
        ``end`` (``NAME@YEAR``), ``NAME@START-END`` (absolute: points for a rate) and
        ``NAME@START-END%`` (in % of the start value). ``attrs`` as in
        :func:`regionlib.table.load_table`.
    """
    from regionlib.data import table

    name = _catalogue.parse(indicator).name
    columns = [
        f"{name}@{start}",
        f"{name}@{end}",
        f"{name}@{start}-{end}",
        f"{name}@{start}-{end}%",
    ]
    frame = table.load_table(columns, geometry=False, prefectures=prefectures)
    return frame.drop(columns=["pref_code"])
