"""``regionlib table`` (one CSV per municipality) and ``regionlib indicators`` (the catalogue)."""

from __future__ import annotations

import argparse
import sys

from regionlib import indicators, table
from regionlib._write import check_output
from regionlib.cli._common import add_indicators_argument, format_table, split_names


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``table`` and ``indicators`` subcommands to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p_table = sub.add_parser(
        "table",
        help="write the municipality table (code, prefecture, name, indicators) as CSV",
    )
    add_indicators_argument(p_table, default="the core set")
    p_table.add_argument("--prefectures", nargs="+", metavar="PREF", help="codes or names")
    p_table.add_argument("-o", "--output", required=True, help="CSV file to write (UTF-8 BOM)")
    p_table.add_argument("--report", action="store_true", help="print the join report")
    p_table.set_defaults(func=_table)

    p_ind = sub.add_parser("indicators", help="list the indicator catalogue")
    p_ind.add_argument("--details", action="store_true", help="also formulas and sources")
    p_ind.set_defaults(func=_indicators)


def _table(args: argparse.Namespace) -> int:
    check_output(args.output, (".csv",), what="CSV")
    names = split_names(args.indicators) or None
    frame = table.load_table(names, geometry=False, prefectures=args.prefectures)
    table.write_csv(frame, args.output)
    if args.report:
        print(frame.attrs["join_report"])
    n_indicators = frame.shape[1] - 3
    print(f"{len(frame)} 市区町村 × {n_indicators} 指標 -> {args.output}", file=sys.stderr)
    return 0


def _indicators(args: argparse.Namespace) -> int:
    rows = [
        (i.name, i.label, i.unit or "-", i.year, ", ".join(i.datasets))
        for i in indicators.catalogue().values()
    ]
    lines = format_table(("指標名", "ラベル", "単位", "年", "出典データ"), rows)
    print(lines[0])
    for line, row in zip(lines[1:], rows, strict=True):
        print(line)
        if args.details:
            entry = indicators.info(row[0])
            print(f"    式: {entry.formula}")
            print(f"    {entry.description}")
    return 0
