"""``regionlib data list|fetch``: what the registry holds, and downloading it."""

from __future__ import annotations

import argparse

from regionlib import datasets
from regionlib.cli._common import print_table


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``data`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    parser = sub.add_parser("data", help="list, download and verify the data files")
    data_sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p_list = data_sub.add_parser("list", help="registry entries: vintage, size, licence, cached?")
    p_list.add_argument("--group", help="only this group (boundaries, indicators, …)")
    p_list.set_defaults(func=_list)

    p_fetch = data_sub.add_parser("fetch", help="download and verify files into the cache")
    p_fetch.add_argument("names", nargs="*", help="dataset or group names")
    p_fetch.add_argument("--all", action="store_true", help="every registry entry")
    p_fetch.set_defaults(func=_fetch)


def _list(args: argparse.Namespace) -> int:
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
    print(f"{len(rows)} datasets; cache: {datasets.settings.cache_folder / 'downloads'}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    if not args.all and not args.names:
        print("regionlib data fetch: name datasets or groups, or pass --all")
        return 2
    summary = datasets.fetch(None if args.all else args.names)
    if not summary.fetched:
        print(f"nothing to download: all {len(summary.cached)} files already cached and verified")
    else:
        print(summary)
    return 0
