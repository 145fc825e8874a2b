"""``regionlib series INDICATOR … [--years 2016-2022] -o series.csv|.xlsx``: indicators through the years."""

from __future__ import annotations

import argparse
import sys

from regionlib.cli._common import add_output_argument, add_pref_argument


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``series`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "series",
        help="指標の時系列を CSV に書き出す（1行 = 市区町村 × 年）/ indicators through the years",
        description="指標の時系列を、1行が市区町村×年の縦長のCSVで書き出します。過去のコードは"
        "コード履歴で現在の1,741市区町村に読み替え、欠損値は報告します。\n"
        "Write catalogue indicators through the years as a long CSV: code, "
        "prefecture, name, year, one column per indicator, on today's 1,741 municipalities "
        "(earlier codes mapped through the code history). Missing values are reported.",
    )
    p.add_argument(
        "indicators", nargs="+", metavar="INDICATOR", help="指標名 / catalogue names or labels"
    )
    p.add_argument("--years", help="年 / years: 2016-2022 or 2015,2020 (default: every year held)")
    add_pref_argument(p)
    add_output_argument(p, required=True, what="the series")
    p.set_defaults(func=_series)


def _series(args: argparse.Namespace) -> int:
    from regionlib.cli._common import check_outputs, split_names
    from regionlib.data import panel
    from regionlib.outputs import export

    check_outputs(args.output)
    frame = panel.series(split_names(args.indicators), years=args.years, prefectures=args.pref)
    # one row per municipality and year: ranks across years would mislead, so none
    export.write_table(frame, args.output, index=False, ranks=False)
    for name, by_year in frame.attrs.get("missing", {}).items():
        absent = [int(y) for y, reasons in by_year.items() if panel.not_held(name) in reasons]
        if absent:  # the years no source holds: one line
            print(
                f"{name}: {panel.year_spans(absent)}年は値なし：{panel.not_held(name)}",
                file=sys.stderr,
            )
        for year, reasons in by_year.items():
            for reason, (count, examples) in reasons.items():
                if int(year) in absent:
                    continue
                shown = f"（例 / e.g. {', '.join(examples)}）" if examples else ""
                print(
                    f"{name} {year}年: 欠損 {count} 件 / {count} missing: {reason}{shown}",
                    file=sys.stderr,
                )
    n_codes = frame["code"].nunique()
    n_years = frame["year"].nunique()
    print(
        f"{n_codes} 市区町村 × {n_years} 年 × {frame.shape[1] - 4} 指標 -> {args.output}",
        file=sys.stderr,
    )
    return 0
