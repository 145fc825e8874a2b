"""Flags on values that are correct arithmetic but misleading, with the reason.

The shipped table ``regionlib/flags.csv`` lists, per municipality code, a regular expression
matched against an indicator's column name and reference year (``"aging_rate@2015-2020
2015-2020"``), and the reason in Japanese:

- the Fukushima towns and villages under evacuation orders at the 2015 census (飯舘村 +3,115 %
  population 2015→2020, 葛尾村, 楢葉町, 富岡町, 大熊町, 双葉町, 浪江町): every indicator of or
  since 2015 (双葉町 also 2020);
- Tokyo's 23 special wards: the fiscal strength index is not comparable with cities'.

:func:`regionlib.table.load_table` puts ``attrs["flags"]`` (indicator -> code -> reason) on
its tables, maps show the reason in tooltips, and
:func:`regionlib.features.prepare_features` leaves flagged values out by default.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable
from importlib import resources

import pandas as pd

__all__ = ["flags_for", "load_flags"]


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
    from regionlib import indicators

    present = set(map(str, codes))
    table = load_flags()
    out: dict[str, dict[str, str]] = {}
    for name in names:
        entry = indicators.find(name)
        key = f"{name} {entry.year if entry else ''}"
        hits = {
            row.code: row.reason
            for row in table.itertuples()
            if row.code in present and re.search(row.applies_to, key)
        }
        if hits:
            out[name] = hits
    return out
