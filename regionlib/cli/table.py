"""``regionlib table`` (one CSV per municipality) and ``regionlib indicators`` (the catalogue)."""

from __future__ import annotations

import argparse
import sys

from regionlib import indicators, table


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
    p_table.add_argument(
        "--indicators",
        nargs="+",
        metavar="NAME",
        help="catalogue names (see `regionlib indicators`); default: the core set",
    )
    p_table.add_argument("--prefectures", nargs="+", metavar="PREF", help="codes or names")
    p_table.add_argument("-o", "--output", required=True, help="CSV file to write (UTF-8 BOM)")
    p_table.add_argument("--report", action="store_true", help="print the join report")
    p_table.set_defaults(func=_table)

    p_ind = sub.add_parser("indicators", help="list the indicator catalogue")
    p_ind.add_argument("--details", action="store_true", help="also formulas and sources")
    p_ind.set_defaults(func=_indicators)


def _table(args: argparse.Namespace) -> int:
    names = None
    if args.indicators:
        names = [n.strip() for arg in args.indicators for n in arg.split(",") if n.strip()]
    frame = table.load_table(names, geometry=False, prefectures=args.prefectures)
    out = frame.drop(columns=["pref_code"]).reset_index()
    for column in out.columns[3:]:
        values = out[column]
        if (values.dropna() % 1 == 0).all():  # counts: write 1973395, not 1973395.0
            out[column] = values.astype("Int64")
        else:
            out[column] = values.round(4)
    # utf-8-sig so that spreadsheet software shows the Japanese headers correctly
    out.to_csv(args.output, index=False, encoding="utf-8-sig")
    if args.report:
        print(frame.attrs["join_report"])
    print(f"{len(out)} 市区町村 × {out.shape[1] - 3} 指標 -> {args.output}", file=sys.stderr)
    return 0


def _indicators(args: argparse.Namespace) -> int:
    rows = [
        (i.name, i.label, i.unit or "-", i.year, ", ".join(i.datasets))
        for i in indicators.catalogue().values()
    ]
    header = ("指標名", "ラベル", "単位", "年", "出典データ")
    widths = [max(_width(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)).rstrip())
        if args.details and row is not header:
            entry = indicators.info(row[0])
            print(f"    式: {entry.formula}")
            print(f"    {entry.description}")
    return 0


def _width(text: str) -> int:
    # East Asian wide characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
