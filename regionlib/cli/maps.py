"""``regionlib map INDICATOR …``: a choropleth as offline HTML, or a print map (PNG/PDF/SVG)."""

from __future__ import annotations

import argparse
import sys

from regionlib import indicators, maps, printmaps, table
from regionlib._errors import RegionlibError
from regionlib._write import check_output
from regionlib.cli._common import split_names


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``map`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "map",
        help="map indicators: offline HTML (several indicators, layer switcher) or PNG/PDF/SVG",
        description="Draw catalogue indicators (see `regionlib indicators`) as a choropleth. "
        "The HTML file opens without internet access; .png/.pdf/.svg give a print map.",
    )
    p.add_argument(
        "indicators",
        nargs="+",
        metavar="INDICATOR",
        help="catalogue names or labels, NAME@YEAR or NAME@START-END (change)",
    )
    p.add_argument(
        "--pref", nargs="+", metavar="PREF", help="only these prefectures (names or codes)"
    )
    p.add_argument("--scheme", default="quantiles", help=f"class breaks: {', '.join(maps.SCHEMES)}")
    p.add_argument("--k", type=int, default=5, help="number of classes (default 5)")
    p.add_argument("--bins", type=float, nargs="+", help="upper class bounds (scheme user_defined)")
    p.add_argument("--palette", help="YlGnBu (default), Blues, viridis, … or diverging RdBu, PuOr")
    p.add_argument(
        "--detail",
        choices=["prefecture", "national"],
        default="prefecture",
        help="boundary layer: 1 %% detailed (default) or 0.1 %% national",
    )
    p.add_argument("--title", help="map title")
    p.add_argument(
        "--years",
        help="one indicator over several years (2015,2020 or 2016-2022): a year switcher on "
        "one shared class scheme",
    )
    p.add_argument(
        "--join", metavar="FILE", help="your own CSV/XLSX; its columns can be mapped by name"
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="HTML: link Leaflet from CDNs and add background tiles (needs internet)",
    )
    p.add_argument("-o", "--output", required=True, help="map.html, map.png, map.pdf or map.svg")
    p.set_defaults(func=_map)


def _map(args: argparse.Namespace) -> int:
    out = check_output(args.output, (".html", ".htm", *printmaps.FORMATS), what="map")
    suffix = out.suffix.lower()
    requested = split_names(args.indicators)
    years = None
    if args.years:
        from regionlib import panel

        if len(requested) != 1:
            raise RegionlibError("--years maps one indicator over several years; name one")
        base = indicators.parse(requested[0]).name
        years = panel.parse_years(args.years)
        requested = [f"{base}@{y}" for y in years]
    frame = table.load_table(requested, detail=args.detail, prefectures=args.pref, join=args.join)
    names = [n if n in frame.columns else indicators.resolve(n) for n in requested]
    if args.join:
        print(frame.attrs["user_join_report"], file=sys.stderr)
    if suffix in printmaps.FORMATS:
        if len(names) > 1:
            print(
                f"regionlib map: a print map shows one indicator; drawing {names[0]}",
                file=sys.stderr,
            )
        fig = printmaps.plot_choropleth(
            frame,
            names[0],
            scheme=args.scheme,
            k=args.k,
            bins=args.bins,
            palette=args.palette,
            title=args.title,
        )
        printmaps.save_figure(fig, out)
    else:
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
            m = maps.choropleth(frame, names, bins=args.bins, **options)
        maps.save_html(m, out, offline=not args.online)
    print(f"{out} ({out.stat().st_size / 1e6:.2f} MB, {len(frame)} 市区町村)", file=sys.stderr)
    return 0
