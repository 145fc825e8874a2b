"""``regionlib pyramid`` and ``regionlib project``: age structure and population futures."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``pyramid`` and ``project`` subcommands to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "pyramid",
        help="人口ピラミッド（住民基本台帳、1995～2022年）/ population pyramid",
        description="市区町村の人口ピラミッドを描きます（男性は左、女性は右、最後の年は塗り、"
        "それより前の年は線）。\nDraw a municipality's population pyramid from the register "
        "(men left, women right; the last year filled, earlier years as outlines).",
    )
    p.add_argument("municipality", help="市区町村名かコード / name (夕張市) or 5-digit code")
    p.add_argument("--years", help="年 / years: 1995,2022 (default: first and last)")
    p.add_argument(
        "--series",
        choices=["japanese", "total"],
        default="japanese",
        help="日本人住民（1995～2022年）か総計（2013～2022年）/ register series",
    )
    p.add_argument(
        "--shares", action="store_true", help="人数でなく割合（%%）で描く / shares, not counts"
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="出力ファイル / output: .png, .pdf, .svg or .html",
    )
    p.set_defaults(func=_pyramid)


def _pyramid(args: argparse.Namespace) -> int:
    from pathlib import Path

    from regionlib._errors import OutputError
    from regionlib.outputs import pyramid

    if Path(args.output).suffix.lower() not in pyramid.FORMATS:
        msg = f"{args.output}: a pyramid is written as {', '.join(pyramid.FORMATS)}"
        raise OutputError(msg)
    fig = pyramid.pyramid(args.municipality, years=args.years, series=args.series,
                          shares=args.shares)  # fmt: skip
    path = pyramid.save_pyramid(fig, args.output)
    meta = fig.pyramid_data.attrs
    if meta["flag"]:
        print(f"{meta['name']}: {meta['flag']}", file=sys.stderr)
    print(path)
    return 0
