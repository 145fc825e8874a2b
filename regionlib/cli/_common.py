"""Pieces every subcommand shares: name lists, terminal tables and CSV files for planners.

The module name starts with ``_``, so it is not registered as a subcommand.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: output suffixes of print maps (:data:`regionlib.printmaps.FORMATS`; a test checks they agree),
#: kept here so that commands import the print-map module only when they draw one
PRINT_SUFFIXES = (".png", ".pdf", ".svg")
#: the missing-value policies every subcommand offers, and what each means
MISSING_CHOICES = ("drop", "impute", "raise")
#: older spellings still accepted
_MISSING_ALIASES = {"median": "impute", "error": "raise"}


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
        help=f"指標名 / catalogue names, see `regionlib indicators` (default: {default})",
    )


def add_area_argument(parser: argparse.ArgumentParser, *, what: str) -> None:
    """Add ``--area SPEC`` / ``--areas SPEC`` (repeatable): areas named on the command line.

    Parameters
    ----------
    parser
        The subcommand's parser.
    what
        What the areas are used for (help text).
    """
    parser.add_argument(
        "--area",
        "--areas",
        dest="areas",
        action="append",
        metavar="SPEC",
        help=f"圏域 / {what}: NAME=MEMBER,MEMBER,… (札幌圏=札幌市,江別市), a CSV of area,code|name "
        "(FILE.csv, or FILE.csv:AREA for one area), a region proposal's CSV, or a reference "
        "grouping: commuting-zones-2020, commuting-zones-2015, prefectures, eight-regions, "
        "plan-areas (repeatable)",
    )


def read_area_specs(specs: Sequence[str]):
    """Read every ``--area`` spec and return one set of areas, and the areas picked (or None).

    Parameters
    ----------
    specs
        The ``--area`` values.

    Returns
    -------
    tuple
        (:class:`regionlib.analysis.areas.Areas`, list of picked area names or None).
    """
    from regionlib.analysis import areas

    found, picked = None, []
    for spec in specs:
        group, names = areas.split_spec(spec)
        found = group if found is None else found | group
        picked.extend(names or list(group))
    return found, picked


def add_pref_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--pref PREF [PREF …]`` (``--prefectures`` is an older spelling)."""
    parser.add_argument(
        "--pref",
        "--prefectures",
        dest="pref",
        nargs="+",
        metavar="PREF",
        help="都道府県で絞り込む / only these prefectures (names or codes: 北海道, 01)",
    )


def add_detail_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--detail prefecture|national``: which boundary layer to draw or export."""
    parser.add_argument(
        "--detail",
        choices=["prefecture", "national"],
        default="prefecture",
        help="境界の詳しさ / boundary layer: 1 %% detailed (default) or 0.1 %% national",
    )


def add_missing_argument(
    parser: argparse.ArgumentParser, *, default: str, choices: Sequence[str] = MISSING_CHOICES
) -> None:
    """Add ``--missing drop|impute|raise``, the one missing-value vocabulary of the CLI.

    Parameters
    ----------
    parser
        The subcommand's parser.
    default
        The policy without the option.
    choices
        The policies this command offers (a subset of :data:`MISSING_CHOICES`).
    """
    meaning = {"drop": "drop (leave out)", "impute": "impute (median)", "raise": "raise (stop)"}
    parser.add_argument(
        "--missing",
        default=default,
        type=lambda v: _MISSING_ALIASES.get(v, v),
        choices=choices,
        help="欠損値の扱い / municipalities with missing values: "
        f"{', '.join(meaning[c] for c in choices)}; default {default}",
    )


def split_names(values: Sequence[str] | None) -> list[str]:
    """Return the names of ``["a,b", "c"]`` as ``["a", "b", "c"]``; ``[]`` for None."""
    return [v.strip() for arg in values or [] for v in arg.split(",") if v.strip()]


def indicator_names(values: Sequence[str] | None) -> list[str] | None:
    """Return the column names of indicator requests (names, Japanese labels, ``@`` years).

    ``["高齢化率@2015,population_2020"]`` gives ``["aging_rate@2015", "population_2020"]``;
    None when the option is absent.

    Raises
    ------
    RegionlibError
        If the option is given but names nothing (``--indicators ""``).
    """
    if values is None:
        return None
    names = split_names(values)
    if not names:
        from regionlib._errors import RegionlibError

        msg = (
            "--indicators に指標が 1 つもありません。`regionlib indicators` で調べるか、--indicators を省いてください / "
            "--indicators names no indicator; see `regionlib indicators`, or leave it out"
        )
        raise RegionlibError(msg)
    from regionlib.data import indicators

    return list(dict.fromkeys(indicators.resolve(n) for n in names))


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
    """Write a CSV for planners (UTF-8 with BOM, fixed format); see :mod:`regionlib.export`."""
    from regionlib.outputs import export

    return export.write_csv(frame, path, index=index)


def add_output_argument(
    parser: argparse.ArgumentParser, *, required: bool = False, what: str = ""
) -> None:
    """Add ``-o/--output FILE``: a table as .csv, .xlsx, .gpkg or .geojson."""
    parser.add_argument(
        "-o",
        "--output",
        required=required,
        metavar="FILE",
        help="書き出すファイル（.csv、.xlsx、.gpkg、.geojson） / "
        f"write {what or 'the table'}: .csv (UTF-8 BOM), .xlsx, .gpkg or .geojson",
    )


def check_outputs(*paths: str | None) -> None:
    """Refuse unsupported output suffixes before any work starts."""
    from regionlib.outputs import export

    for path in paths:
        if path:
            export.check_output(path)


#: lines of a join report shown on stderr; the rest goes to ``--report FILE``
REPORT_LINES = 20


def add_join_arguments(parser: argparse.ArgumentParser, *, report: bool = True) -> None:
    """Add ``--join FILE``, ``--rename-clashes`` and ``--report [FILE]``."""
    parser.add_argument(
        "--join",
        metavar="FILE",
        help="手元のデータを結合 / your own CSV (UTF-8/Shift-JIS/UTF-16) or XLSX, joined by code "
        "or name (report printed)",
    )
    parser.add_argument(
        "--rename-clashes",
        action="store_true",
        help="公式の指標と同じ名前の列を user_名前 として残す / keep your columns named like a "
        "catalogue indicator as user_NAME (default: refuse them)",
    )
    if report:
        parser.add_argument(
            "--report",
            nargs="?",
            const="-",
            metavar="FILE",
            help="結合の記録をすべて表示、または FILE に書く / print the full join reports, or "
            "write them to FILE",
        )


def say_join_report(report: object, report_file: str | None = None) -> None:
    """Say a user join report on stderr, cut to :data:`REPORT_LINES` lines.

    Parameters
    ----------
    report
        The report (its ``str`` is the text).
    report_file
        ``--report``: ``"-"`` prints it in full on stdout, a file name receives it in full;
        None cuts a long report with a line naming the option.
    """
    import sys

    lines = str(report).splitlines()
    if report_file == "-":
        print("\n".join(lines))
        return
    if report_file:
        from regionlib._write import write_text

        write_text(report_file, "\n".join(lines) + "\n", what="report")
        print(f"結合の記録 / join report -> {report_file}", file=sys.stderr)
        return
    shown = lines if len(lines) <= REPORT_LINES else lines[: REPORT_LINES - 1]
    for line in shown:
        print(line, file=sys.stderr)
    if len(shown) < len(lines):
        rest = len(lines) - len(shown)
        print(
            f"  … 残り {rest} 行は --report FILE で / {rest} more lines: --report FILE writes all",
            file=sys.stderr,
        )


def write_output(frame: pd.DataFrame, path: str, *, index: bool = True) -> Path:
    """Write ``frame`` in the format the suffix of ``path`` names (see :mod:`regionlib.export`)."""
    from regionlib.outputs import export

    return export.write_table(frame, path, index=index)
