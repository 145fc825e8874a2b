"""``regionlib goodpractice MUNICIPALITY --indicator NAME --since YEAR``: 好事例 among peers."""

from __future__ import annotations

import argparse
import math


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``goodpractice`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    from regionlib.cli._common import add_output_argument

    p = sub.add_parser(
        "goodpractice",
        help="開始年に似ていた市区町村のうち、その後の指標の変化が良かった順に並べる（好事例）",
        description="開始年の値で最も似ていた市区町村を求め、その後の指標の変化が良かった順に"
        "並べます（好事例）。\n"
        "Find the municipalities most similar to one municipality in the start "
        "year (on the values of that year) and rank them by how much better they did on one "
        "indicator since: values side by side, similarity at the start.",
    )
    p.add_argument(
        "municipality", help="市区町村名かコード / name (夕張市, 東京都府中市) or 5-digit code"
    )
    p.add_argument(
        "--indicator", required=True, help="指標名 / catalogue name, e.g. population_registered"
    )
    p.add_argument("--since", type=int, required=True, help="開始年 / start year")
    p.add_argument(
        "--until",
        type=int,
        help="終了年（既定：データのある最新年） / end year (default: the latest year with data)",
    )
    p.add_argument(
        "--k",
        type=int,
        default=10,
        help="開始年に似ていた市区町村の数（既定 10） / number of start-year peers (default 10)",
    )
    p.add_argument(
        "--lower-is-better",
        action="store_true",
        help="減るほうが良い指標 / a decrease is the better outcome (e.g. unemployment_rate)",
    )
    add_output_argument(p, what="the ranking (the municipality first, rank 0)")
    p.set_defaults(func=_goodpractice)


def _fmt(value: float, digits: int) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:,.{digits}f}"


def _goodpractice(args: argparse.Namespace) -> int:
    from regionlib.analysis import goodpractice
    from regionlib.cli._common import check_outputs, print_table, write_output
    from regionlib.data import indicators

    check_outputs(args.output)
    gp = goodpractice.good_practice(
        args.municipality,
        args.indicator,
        since=args.since,
        until=args.until,
        k=args.k,
        higher_is_better=not args.lower_is_better,
    )
    label = indicators.info(gp.indicator).label
    own = gp.target_row
    print(
        f"{own['prefecture']}{own['name']}（{gp.target}）と{gp.since}年に似ていた市区町村の"
        f"{label}の変化（{gp.since}→{gp.until}年）"
    )
    digits = 0 if gp.measure == "change_pct" and abs(own["value_start"]) >= 100 else 2
    rows = [
        [
            "本市区町村" if code == gp.target else r["rank"],
            f"{r['prefecture']}{r['name']}",
            code,
            _fmt(r["distance_at_start"], 2),
            _fmt(r["value_start"], digits),
            _fmt(r["value_end"], digits),
            _fmt(r["change_pct"] if gp.measure == "change_pct" else r["change"], 2)
            + ("%" if gp.measure == "change_pct" else ""),
        ]
        for code, r in gp.to_frame().iterrows()
    ]
    print_table(
        ["順位", "市区町村", "コード", f"{gp.since}年の距離", str(gp.since), str(gp.until), "変化"],
        rows,
    )
    if args.output:
        write_output(gp.to_frame(), args.output)
        print(
            f"{len(gp.table)} 市区町村を書き出しました / wrote {len(gp.table)} peers -> {args.output}"
        )
    return 0
