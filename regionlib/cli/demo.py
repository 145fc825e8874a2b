"""``regionlib demo -o DIR``: the maps and tables of a first look, in one folder."""

from __future__ import annotations

import argparse

from regionlib._write import check_directory
from regionlib.cli._common import add_detail_argument
from regionlib.outputs import demo


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "demo",
        help="デモ一式（地図・表・印刷用地図）を書き出す / write the demo: maps, table, print map",
        description="全国の指標地図（オフラインHTML）、表、印刷用地図、類似市区町村、広域リージョン"
        "案を一つのフォルダに書き出し、目次 index.html を付けます。\n"
        "Write the national map of several indicators (offline HTML), the table, a print map, "
        "peers and a region proposal into one folder, with an index.html.",
    )
    p.add_argument(
        "-o",
        "--output",
        default="regionlib-demo",
        help="書き出すフォルダ / folder to write (default regionlib-demo)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="STEP",
        help=f"この手順だけ / only these steps: {', '.join(s.name for s in demo.STEPS)}",
    )
    add_detail_argument(p)
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="他のファイルがあっても置き換える / replace the folder even if it holds other files",
    )
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    check_directory(args.output, overwrite=args.overwrite)
    written = demo.run_demo(
        args.output, steps=args.only, detail=args.detail, overwrite=args.overwrite
    )
    descriptions = {s.name: s.description for s in demo.STEPS} | {"index": "目次（ここから開く）"}
    print("出力ファイル:")
    for name, paths in written.items():
        for path in paths:
            print(f"  {path}  … {descriptions[name]}")
    return 0
