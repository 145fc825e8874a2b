"""``regionlib report MUNICIPALITY -o page.html``: one offline profile page of a municipality.

``-o numbers.xlsx`` writes the page's numbers as a workbook (indicators with ranks, peers,
series); ``-o`` may be given twice to write both from one run. ``--targets targets.csv`` adds
the municipality's KPIs from a targets file as ``regionlib kpi`` reads it.
"""

from __future__ import annotations

import argparse
import sys

from regionlib._errors import RegionlibError


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
        "municipality",
        nargs="?",
        help="市区町村名かコード / name (夕張市, 東京都府中市) or 5-digit code",
    )
    p.add_argument(
        "--area",
        metavar="SPEC",
        help="圏域のプロフィール / an area's profile instead: FILE.csv:AREA, NAME=MEMBER,…, or "
        "a reference grouping with :AREA (commuting-zones-2020:札幌市通勤圏); ranked among its "
        "set (a planner's few areas: among the 2020 commuting zones)",
    )
    p.add_argument(
        "--targets",
        metavar="FILE",
        help="KPIの目標のCSV（regionlib kpi と同じ形式）：この市区町村のKPIの進み具合を載せる / "
        "a KPI targets file as regionlib kpi reads it: the page shows this municipality's KPIs",
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
    if args.area:
        if args.targets:
            raise RegionlibError(
                "--targets は市区町村のプロフィールに付けます / --targets goes with a "
                "municipality's profile, not --area (use regionlib kpi for an area's targets)"
            )
        return _area(args)
    if not args.municipality:
        raise RegionlibError(
            "市区町村（regionlib report 夕張市 -o p.html）か --area を指定してください / "
            "name a municipality (regionlib report 夕張市 -o p.html) or --area"
        )
    page = report.profile(None, args.municipality, k=args.k, targets=args.targets)
    for output in args.output:
        path = page.save(output)
        size = path.stat().st_size / 1e3
        print(
            f"{page.prefecture}{page.name}（{page.code}）-> {path} ({size:.0f} kB)", file=sys.stderr
        )
    return 0


def _area(args: argparse.Namespace) -> int:
    from regionlib.analysis import areas
    from regionlib.outputs import areapage

    found, picked = areas.split_spec(args.area)
    if picked is None and len(found) != 1:
        listed = ", ".join(list(found)[:5])
        raise RegionlibError(
            f"--area {args.area}: 地域が {len(found)} 個あります。FILE.csv:地域名 の形で 1 つを指定してください（{listed} …） / "
            f"--area {args.area}: {len(found)} areas; name one: FILE.csv:AREA ({listed} …)"
        )
    if picked is not None and len(picked) != 1:
        raise RegionlibError(
            f"--area {args.area}: 1 ページに 1 地域です（指定は {', '.join(picked)}） / "
            f"--area {args.area}: one area per page, not {', '.join(picked)}"
        )
    page = areapage.area_profile(found, picked[0] if picked else None)
    for output in args.output:
        path = page.save(output)
        size = path.stat().st_size / 1e3
        print(f"{page.name}（{page.kind}）-> {path} ({size:.0f} kB)", file=sys.stderr)
    return 0
