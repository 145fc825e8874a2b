"""``regionlib data list|fetch``: what the registry holds, and downloading it."""

from __future__ import annotations

import argparse

from regionlib.cli._common import print_table


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``data`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    parser = sub.add_parser(
        "data",
        help="データの一覧・取得・検証 / list, download and verify the data files",
        description="使うデータファイルを一覧し、ダウンロードして検証し、キャッシュを消します。\n"
        "List, download and verify the data files; clear the cache.",
    )
    data_sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p_list = data_sub.add_parser(
        "list",
        help="登録データの一覧 / registry entries: vintage, size, licence, cached?",
        description="登録データの年次、大きさ、ライセンス、取得済みかを一覧します。\n"
        "List the registry entries: vintage, size, licence, and whether they are cached.",
    )
    p_list.add_argument(
        "--group", help="この分類だけ / only this group (boundaries, indicators, …)"
    )
    p_list.set_defaults(func=_list)

    p_fetch = data_sub.add_parser(
        "fetch",
        help="ダウンロードして検証 / download and verify files into the cache",
        description="データをダウンロードし、sha256 を検証してキャッシュに置きます。\n"
        "Download files, check their sha256, and keep them in the cache.",
    )
    p_fetch.add_argument("names", nargs="*", help="データ名か分類名 / dataset or group names")
    p_fetch.add_argument("--all", action="store_true", help="すべて / every registry entry")
    p_fetch.set_defaults(func=_fetch)

    p_clear = data_sub.add_parser(
        "clear",
        help="キャッシュを消す / delete derived products and leftover temporary files",
        description="加工済みデータ（境界、表）と、中断された処理の一時ファイルを消します。\n"
        "Delete the derived products (boundaries, tables) and temporary files left by "
        "interrupted runs (in the cache and in the current folder); with --downloads also the "
        "downloaded files.",
    )
    p_clear.add_argument(
        "--downloads",
        action="store_true",
        help="ダウンロードしたファイルも消す / also delete the downloaded files",
    )
    p_clear.set_defaults(func=_clear)


def _list(args: argparse.Namespace) -> int:
    from regionlib.data import datasets

    rows = [
        (
            e.name,
            e.vintage,
            f"{e.size / 1024:,.0f} KiB",
            e.license,
            "yes" if datasets.is_cached(n) else "no",
        )
        for n, e in datasets.registry().items()
        if args.group in (None, e.group)
    ]
    print_table(("name", "vintage", "size", "licence", "cached"), rows)
    print(
        f"{len(rows)} データセット、キャッシュ / {len(rows)} datasets; cache: "
        f"{datasets.settings.cache_folder / 'downloads'}"
    )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    if not args.all and not args.names:
        from regionlib._errors import RegionlibError

        raise RegionlibError(
            "データセット名かグループ名を指定するか --all を付けてください / "
            "name datasets or groups, or pass --all"
        )
    from regionlib.data import datasets

    summary = datasets.fetch(None if args.all else args.names)
    if not summary.fetched:
        print(
            f"ダウンロード不要：{len(summary.cached)} ファイルはすべて確認済み / nothing to "
            f"download: all {len(summary.cached)} files already cached and verified"
        )
    else:
        print(summary)
    return 0


def _clear(args: argparse.Namespace) -> int:
    from pathlib import Path

    from regionlib._write import sweep_temporary
    from regionlib.data import _cache, datasets

    n_products = _cache.clear()
    n_temp = datasets.clear_temporary()
    n_killed = sweep_temporary(Path.cwd())  # outputs of killed runs in this folder
    n_downloads = datasets.clear_downloads() if args.downloads else 0
    print(
        f"removed {n_products} derived products, {n_temp} temporary downloads"
        + (f", {n_killed} temporary files of killed runs here" if n_killed else "")
        + (f", {n_downloads} downloaded files" if args.downloads else "")
    )
    return 0
