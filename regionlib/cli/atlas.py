"""``regionlib atlas [--pref 北海道 …] -o atlas/``: an offline static site of profiles."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``atlas`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "atlas",
        help="オフラインで開ける市区町村アトラス（索引・都道府県別順位表・全市区町村のプロフィール）を書き出す",
        description="索引（検索と地図）、都道府県ごとの順位表、市区町村ごとのプロフィールを"
        "相互にリンクした静的サイトとして書き出します。ネットワークなしで開けます。\n"
        "Write a static site: an index with a search box and a map, a ranking page "
        "per prefecture and a profile page per municipality, all linked, all offline.",
    )
    p.add_argument(
        "--pref", nargs="+", metavar="PREF", help="この都道府県だけ / only these prefectures' pages"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="FOLDER", help="書き出すフォルダ / folder to write"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="他のファイルがあるフォルダも置き換える / replace a folder that holds other files",
    )
    p.add_argument(
        "--jobs", type=int, help="並列プロセス数 / processes rendering pages (default: CPUs)"
    )
    p.set_defaults(func=_atlas)


def _atlas(args: argparse.Namespace) -> int:
    from regionlib._write import check_directory
    from regionlib.outputs import atlas

    check_directory(args.output, overwrite=args.overwrite)
    summary = atlas.write_atlas(
        args.output, prefectures=args.pref, overwrite=args.overwrite, jobs=args.jobs
    )
    print(summary, file=sys.stderr)
    return 0
