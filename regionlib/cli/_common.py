"""Pieces every subcommand shares: name lists, terminal tables and CSV files for planners.

The module name starts with ``_``, so it is not registered as a subcommand.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def add_indicators_argument(parser: argparse.ArgumentParser, *, default: str) -> None:
    """Add ``--indicators NAME [NAME …]`` (commas also separate names).

    Parameters
    ----------
    parser
        The subcommand's parser.
    default
        What the help text says happens without the option.
    """
    parser.add_argument(
        "--indicators",
        nargs="+",
        metavar="NAME",
        help=f"catalogue names, see `regionlib indicators` (default: {default})",
    )


def split_names(values: Sequence[str] | None) -> list[str]:
    """Return the names of ``["a,b", "c"]`` as ``["a", "b", "c"]``; ``[]`` for None."""
    return [v.strip() for arg in values or [] for v in arg.split(",") if v.strip()]


def indicator_names(values: Sequence[str] | None) -> list[str]:
    """Return the column names of indicator requests (names, Japanese labels, ``@`` years).

    ``["高齢化率@2015,population_2020"]`` gives ``["aging_rate@2015", "population_2020"]``.
    """
    from regionlib import indicators

    return list(dict.fromkeys(indicators.resolve(n) for n in split_names(values)))


def _width(text: str) -> int:
    # East Asian wide characters take two columns in a terminal
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    """Return the header and rows as aligned lines (Japanese characters are two columns wide)."""
    lines = [[str(v) for v in row] for row in [header, *rows]]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(header))]
    return [
        "  ".join(v + " " * (w - _width(v)) for v, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]


def print_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> None:
    """Print the header and rows as aligned columns."""
    print("\n".join(format_table(header, rows)))


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = True) -> Path:
    """Write a CSV for planners: UTF-8 with BOM (spreadsheets show the Japanese), fixed format.

    The float format and line ending are fixed, so the same inputs give byte-identical files.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from regionlib._write import write_csv as write

    return write(frame, path, index=index, float_format="%.10g")
