"""``regionlib report MUNICIPALITY -o page.html``: one offline profile page of a municipality.

``-o numbers.xlsx`` writes the page's numbers as a workbook (indicators with ranks, peers,
series); ``-o`` may be given twice to write both from one run.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "report",
        help="市区町村プロフィール（主要指標・類似市区町村・広域リージョン案・地図）をHTMLで書き出す",
        description="市区町村の主要指標・推移・類似市区町村・クラスター・広域リージョン案・LISA・"
        "地図・出典を1ページにまとめ、オフラインで開けるHTMLに書き出します（A4印刷対応）。\n"
        "Write one self-contained offline page about a municipality: headline "
        "indicators with ranks, changes, peers (as `regionlib peers`), cluster, proposed region, "
        "LISA category, maps and credits. Printable on A4.",
    )
    p.add_argument(
        "municipality", help="市区町村名かコード / name (夕張市, 東京都府中市) or 5-digit code"
    )
    p.add_argument(
        "--k",
        type=int,
        default=10,
        help="類似する市区町村の数（既定 10） / number of peers (default 10)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        action="append",
        help="書き出すファイル / the page (.html) and/or its numbers as a workbook (.xlsx; "
        "sheets 指標, 類似する市区町村, 推移, 列の説明, 出典); repeatable",
    )
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from regionlib._write import check_output
    from regionlib.outputs import report

    for path in args.output:
        check_output(path, (".html", ".htm", ".xlsx"), what="profile")
    page = report.profile(None, args.municipality, k=args.k)
    for output in args.output:
        path = page.save(output)
        size = path.stat().st_size / 1e3
        print(
            f"{page.prefecture}{page.name}（{page.code}）-> {path} ({size:.0f} kB)", file=sys.stderr
        )
    return 0
