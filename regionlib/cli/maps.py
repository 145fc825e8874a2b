"""``regionlib map INDICATOR …``: a choropleth as offline HTML, or a print map (PNG/PDF/SVG)."""

from __future__ import annotations

import argparse
import logging
import sys

from regionlib._write import check_output
from regionlib.cli._common import (
    PRINT_SUFFIXES,
    add_detail_argument,
    add_join_arguments,
    add_pref_argument,
    say_join_report,
    split_names,
)

#: class-break schemes of :data:`regionlib.maps.SCHEMES` (kept here so ``--help`` stays light;
#: a test checks that both lists agree)
SCHEME_NAMES = ("quantiles", "natural_breaks", "equal_interval", "std_mean", "user_defined")
#: output suffixes: web map, then print maps
MAP_SUFFIXES = (".html", ".htm", *PRINT_SUFFIXES)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``map`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "map",
        help="指標の地図（オフラインHTML・PNG/PDF/SVG）/ map indicators: offline HTML or print map",
        description="指標の段階区分図を描きます。HTMLはインターネットなしで開け、複数の指標や"
        "年を切り替えられます。.png/.pdf/.svg は印刷用の地図です。\n"
        "Draw catalogue indicators (see `regionlib indicators`) as a choropleth. The HTML file "
        "opens without internet access; .png/.pdf/.svg give a print map.",
    )
    p.add_argument(
        "indicators",
        nargs="+",
        metavar="INDICATOR",
        help="指標名 / catalogue names or labels, NAME@YEAR or NAME@START-END (change)",
    )
    add_pref_argument(p)
    p.add_argument(
        "--scheme",
        default="quantiles",
        help=f"階級区分の方法 / class breaks: {', '.join(SCHEME_NAMES)}",
    )
    p.add_argument(
        "--k", type=int, default=5, help="階級の数 / number of classes, 2 to 12 (default 5)"
    )
    p.add_argument(
        "--bins",
        type=float,
        nargs="+",
        help="階級の上限値 / upper class bounds (scheme user_defined)",
    )
    p.add_argument(
        "--palette", help="配色 / YlGnBu (default), Blues, viridis, … or diverging RdBu, PuOr"
    )
    add_detail_argument(p)
    p.add_argument("--title", help="地図の題 / map title")
    p.add_argument(
        "--years",
        help="年の切り替え / one indicator over several years (2015,2020 or 2016-2022): a year "
        "switcher on one shared class scheme",
    )
    add_join_arguments(p)
    p.add_argument(
        "--page",
        metavar="SIZE",
        help="印刷用地図の用紙：A4（既定）か A3、-portrait／-landscape で向き / "
        "print maps: A4 (default) or A3, optionally -portrait/-landscape "
        "(default: turned to fit the area)",
    )
    p.add_argument(
        "--north-arrow",
        action="store_true",
        help="印刷用地図に方位記号を付ける / print maps: draw a north arrow",
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="HTML: Leaflet をCDNから読み背景地図を付ける / link Leaflet from CDNs, add tiles",
    )
    p.add_argument(
        "-o", "--output", required=True, help="書き出す地図 / map.html, map.png, map.pdf or map.svg"
    )
    p.set_defaults(func=_map)


def _map(args: argparse.Namespace) -> int:
    out = check_output(args.output, MAP_SUFFIXES, what="map")
    if args.report not in (None, "-"):
        check_output(args.report, (), what="report")
    suffix = out.suffix.lower()
    requested = split_names(args.indicators)
    from regionlib.data import indicators

    if not args.join:  # unknown names are told (with close ones) before any data is read
        for name in requested:
            indicators.parse(name)
    from regionlib.data import table

    years = None
    if args.years is not None:  # --years '' is refused, not ignored
        from regionlib._errors import RegionlibError
        from regionlib.data import panel

        if len(requested) != 1:
            raise RegionlibError(
                "--years は 1 つの指標を複数の年で地図にします。指標を 1 つ指定してください / "
                "--years maps one indicator over several years; name one"
            )
        base = indicators.parse(requested[0]).name
        years = panel.parse_years(args.years)
        requested = [f"{base}@{y}" for y in years]
    frame = table.load_table(
        requested,
        detail=args.detail,
        prefectures=args.pref,
        join=args.join,
        rename_clashes=args.rename_clashes,
    )
    names = [n if n in frame.columns else indicators.resolve(n) for n in requested]
    credits = []
    if args.join:
        from regionlib.data.userdata import user_credits

        say_join_report(frame.attrs["user_join_report"], args.report)
        credits = user_credits(frame)  # the user's values, credited as the user's
    if suffix in PRINT_SUFFIXES:  # import only the kind of map drawn
        from regionlib.outputs import printmaps

        if len(names) > 1 and not years:
            from regionlib._log import log

            log(
                f"a print map shows one indicator; drawing {names[0]}",
                level=logging.WARNING,
                ja=f"印刷用地図は1指標のみです（{names[0]} を描きます）",
            )
        if years:
            fig = printmaps.plot_small_multiples(
                frame,
                base,
                years,
                scheme=args.scheme,
                k=args.k,
                palette=args.palette,
                title=args.title,
                page=args.page,
            )
            printmaps.save_figure(fig, out)
            print(f"{out} ({len(years)} 年の小さな地図)", file=sys.stderr)
            return 0
        fig = printmaps.plot_choropleth(
            frame,
            names[0],
            scheme=args.scheme,
            k=args.k,
            bins=args.bins,
            palette=args.palette,
            title=args.title,
            page=args.page,
            credits=credits,
            north_arrow=args.north_arrow,
        )
        printmaps.save_figure(fig, out)
    else:
        from regionlib.outputs import maps

        options = {
            "scheme": args.scheme,
            "k": args.k,
            "palette": args.palette,
            "title": args.title,
            "online": args.online,
        }
        if years:
            m = maps.choropleth_years(frame, base, years, **options)
        else:
            m = maps.choropleth(frame, names, bins=args.bins, credits=credits, **options)
        maps.save_html(m, out, offline=not args.online)
    print(f"{out} ({out.stat().st_size / 1e6:.2f} MB, {len(frame)} 市区町村)", file=sys.stderr)
    return 0
