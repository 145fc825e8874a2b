"""``regionlib demo -o DIR``: the maps and tables of a first look, in one folder."""

from __future__ import annotations

import argparse

from regionlib import demo
from regionlib._write import check_directory


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "demo",
        help="write the demo: national map of several indicators (offline HTML), table, print map",
    )
    p.add_argument("-o", "--output", default="regionlib-demo", help="folder to write into")
    p.add_argument(
        "--only",
        nargs="+",
        metavar="STEP",
        help=f"only these steps: {', '.join(s.name for s in demo.STEPS)}",
    )
    p.add_argument("--detail", choices=["prefecture", "national"], default="prefecture")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the folder even if it holds files the demo did not write",
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
