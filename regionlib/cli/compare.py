"""``regionlib compare 夕張市 美唄市 芦別市 [--area …] -o c.html``: places side by side."""

from __future__ import annotations

import argparse
import sys

from regionlib.cli._common import add_area_argument


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "compare",
        help="市区町村・圏域を横に並べて比べる（値・順位・類似する市区町村と全国の中央値・推移）/ side by side",
        description="選んだ市区町村と圏域を列に、指標を行に並べ、値・順位・類似する市区町村の中央値・全国の"
        "中央値を示します。全国の中央値から1標準偏差以上離れた値に印（▲▼）を付け、推移を同じ軸の"
        "小さなグラフにします。\n"
        "Set municipalities and areas side by side: indicators in rows with value, rank, the "
        "peers' and national median; values more than one standard deviation from the median "
        "marked; small series charts on one axis. -o .html (offline page), .xlsx or .csv.",
    )
    p.add_argument("places", nargs="*", metavar="MUNI", help="市区町村 / names, codes or readings")
    add_area_argument(p, what="areas to add as columns")
    p.add_argument(
        "--indicators", nargs="+", metavar="NAME", help="指標 / rows (default: the area page's set)"
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        action="append",
        help="書き出すファイル / .html, .xlsx or .csv (repeatable)",
    )
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    from regionlib._write import check_output
    from regionlib.cli._common import indicator_names
    from regionlib.outputs import compare

    for path in args.output:
        check_output(path, (".html", ".htm", ".xlsx", ".csv"), what="comparison")
    result = compare.compare(
        args.places, areas=args.areas or (), indicators=indicator_names(args.indicators)
    )
    for output in args.output:
        path = result.save(output)
        labels = "・".join(p["label"] for p in result.places)
        print(f"{labels} -> {path}", file=sys.stderr)
    return 0
