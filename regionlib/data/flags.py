"""Flags on values that are correct arithmetic but misleading, with the reason.

The shipped table ``regionlib/flags.csv`` lists, per municipality code, a regular expression
matched against an indicator's column name and reference year (``"aging_rate@2015-2020
2015-2020"``), and the reason in Japanese:

- the Fukushima towns and villages under evacuation orders at the 2015 census (飯舘村 +3,115 %
  population 2015→2020, 葛尾村, 楢葉町, 富岡町, 大熊町, 双葉町, 浪江町): every indicator of or
  since 2015; and of 2020 as well, since their 2020 census population is a remnant of the
  registered one (under 60 % of the 住民基本台帳 population of 1 January 2021: 大熊町 847 of
  10,265 residents, with an aging rate of 10.3 % and 89.5 % of working age; 双葉町 0); the
  reason names both figures;
- Tokyo's 23 special wards: the fiscal strength index is not comparable with cities'.

:func:`regionlib.table.load_table` puts ``attrs["flags"]`` (indicator -> code -> reason) on
its tables, maps show the reason in tooltips, and
:func:`regionlib.features.prepare_features` leaves flagged values out by default.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Iterable, Mapping
from importlib import resources

import numpy as np
import pandas as pd

from regionlib._log import log

__all__ = ["flag_of", "flags_for", "load_flags", "neutralise"]


@functools.cache
def load_flags() -> pd.DataFrame:
    """Return the shipped flag table.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (5-digit str), ``name``, ``applies_to`` (regular expression),
        ``reason``.
    """
    text = resources.files("regionlib").joinpath("flags.csv").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str)


def flags_for(names: Iterable[str], codes: Iterable[str]) -> dict[str, dict[str, str]]:
    """Return the flags of indicator columns ``names`` on municipalities ``codes``.

    Parameters
    ----------
    names
        Indicator column names (catalogue requests, or any column: unknown ones get none).
    codes
        Municipality codes of the table.

    Returns
    -------
    dict
        ``{column: {code: reason}}`` for the columns with at least one flag.
    """
    from regionlib.data import indicators

    present = set(map(str, codes))
    rows = [row for row in _rows() if row[0] in present]
    out: dict[str, dict[str, str]] = {}
    for name in names:
        if not rows:
            break
        entry = indicators.find(name)
        key = f"{name} {entry.year if entry else ''}"
        hits = {code: reason for code, pattern, reason in rows if pattern.search(key)}
        if hits:
            out[name] = hits
    return out


@functools.cache
def _rows() -> tuple[tuple[str, re.Pattern, str], ...]:
    """Return the flags as (code, compiled ``applies_to``, reason), read once per process."""
    table = load_flags()
    return tuple((str(r.code), re.compile(r.applies_to), str(r.reason)) for r in table.itertuples())


def flag_of(name: str, code: str) -> str:
    """Return the reason the value of indicator ``name`` (``aging_rate@2015``) of ``code`` is flagged.

    Parameters
    ----------
    name
        Indicator request, with ``@YEAR`` for another year than the catalogue's latest.
    code
        Municipality code (5 digits).

    Returns
    -------
    str
        The reason in Japanese, or ``""`` when the value is not flagged.
    """
    return flags_for([name], [str(code)]).get(name, {}).get(str(code), "")


def neutralise(
    values: pd.DataFrame,
    flags: Mapping[str, Mapping[str, str]],
    *,
    what: str,
    ja: str,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Return ``values`` with flagged values set to the median of the column's other values.

    The one rule by which similarity and regions leave flagged values out: the median is a
    neutral value (robust z-score 0), so a flagged municipality keeps its row and its other
    indicators. One warning counts what was left out; ``-v`` lists the codes.

    Parameters
    ----------
    values
        Numeric indicator columns on the code index (not modified).
    flags
        ``{column: {code: reason}}``, as in ``table.attrs["flags"]``.
    what
        Where the values are left out, for the English warning (``"features"``, ``"regions"``).
    ja
        The Japanese warning; ``{total}`` and ``{codes}`` are filled with the counts of values
        and of municipalities.

    Returns
    -------
    values : pandas.DataFrame
        A copy with the flagged (finite) values replaced.
    left_out : dict
        ``{column: [code, …]}`` of the values replaced.
    """
    out = values.copy()
    left_out: dict[str, list[str]] = {}
    for name in out.columns:
        codes = [c for c in flags.get(name, {}) if c in out.index]
        codes = [c for c in codes if np.isfinite(out.at[c, name])]
        if codes:
            out.loc[codes, name] = out[name].drop(index=codes).median()
            left_out[name] = codes
    if left_out:
        total = sum(len(c) for c in left_out.values())
        n_codes = len({c for codes in left_out.values() for c in codes})
        counts = ", ".join(f"{n} {len(c)}" for n, c in left_out.items())
        log(
            f"{what}: {total} flagged values left out, set to the median ({counts}); codes with -v",
            level=logging.WARNING,
            ja=ja.format(total=total, codes=n_codes),
        )
        shown = "; ".join(f"{n}: {', '.join(c)}" for n, c in left_out.items())
        log(
            f"{what}: flagged values left out: {shown}",
            ja=f"{what}: 除外したフラグ付きの値: {shown}",
        )
    return out, left_out
