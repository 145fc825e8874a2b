"""``regionlib table`` (one CSV per municipality) and ``regionlib indicators`` (the catalogue)."""

from __future__ import annotations

import argparse
import sys

from regionlib.cli._common import (
    add_area_argument,
    add_indicators_argument,
    add_join_arguments,
    add_output_argument,
    add_pref_argument,
    check_outputs,
    format_table,
    indicator_names,
    say_join_report,
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``table`` and ``indicators`` subcommands to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p_table = sub.add_parser(
        "table",
        help="市区町村の表（コード・都道府県・名称・指標）を書き出す（CSV・Excel・GeoPackage・"
        "GeoJSON） / write the table",
        description="市区町村ごとに1行（コード、都道府県、名称、指標）の表を書き出します。"
        "指標には年（aging_rate@2015）や変化（aging_rate@2015-2020）も指定でき、"
        "--join で手元のデータを結合できます。-o の拡張子で形式を選びます。\n"
        "Write the municipality table. Indicators may carry a year (aging_rate@2015) or a "
        "change (aging_rate@2015-2020); --join adds your own columns. The suffix of -o chooses "
        "the format: .csv (UTF-8 BOM), .xlsx (Japanese headers, codes as text, national and "
        "prefectural ranks, a sheet of sources), .gpkg or .geojson (with the boundaries).",
    )
    add_indicators_argument(p_table, default="the core set")
    add_pref_argument(p_table)
    add_join_arguments(p_table)
    add_area_argument(p_table, what="write one row per area instead (values aggregated by rule)")
    add_output_argument(p_table, required=True)
    p_table.set_defaults(func=_table)

    p_ind = sub.add_parser(
        "indicators",
        help="指標カタログを一覧・検索する（例: regionlib indicators 医師）/ list or search indicators",
        description="指標カタログを一覧し、名前・ラベル・説明で検索します。各指標の年も示します。\n"
        "List the indicator catalogue, or search it by name, Japanese label or "
        "description. Each indicator is listed with the years the sources hold it for.",
    )
    p_ind.add_argument("query", nargs="?", help="検索語 / text to look for (Japanese or English)")
    p_ind.add_argument(
        "--details", action="store_true", help="式と説明も表示 / also formulas and sources"
    )
    p_ind.set_defaults(func=_indicators)


def _table(args: argparse.Namespace) -> int:
    from pathlib import Path

    from regionlib.data import table
    from regionlib.outputs import export

    check_outputs(args.output)
    if args.report not in (None, "-"):
        from regionlib._write import check_output

        check_output(args.report, (), what="report")
    names = indicator_names(args.indicators)
    suffix = Path(args.output).suffix.lower()
    if args.areas:
        return _area_table(args, names, suffix)
    frame = table.load_table(
        names,
        geometry=suffix in (".gpkg", ".geojson"),
        prefectures=args.pref,
        join=args.join,
        rename_clashes=args.rename_clashes,
    )
    if suffix == ".csv":
        export.write_table_csv(frame, args.output)
    else:
        export.write_table(table.with_flag_notes(frame), args.output)
    if args.report:  # the sources' joins, then the user's file
        reports = [str(frame.attrs["join_report"])]
        if args.join:
            reports.append(str(frame.attrs["user_join_report"]))
        say_join_report("\n".join(reports), args.report)
    elif args.join:
        say_join_report(frame.attrs["user_join_report"])
    n_indicators = len(
        [c for c in frame.columns if c not in ("pref_code", "prefecture", "name", "geometry")]
    )
    print(f"{len(frame)} 市区町村 × {n_indicators} 指標 -> {args.output}", file=sys.stderr)
    return 0


def _area_table(args: argparse.Namespace, names: list[str] | None, suffix: str) -> int:
    from regionlib._errors import OutputError
    from regionlib.analysis import areas
    from regionlib.cli._common import read_area_specs
    from regionlib.data import table
    from regionlib.outputs import export

    if suffix not in (".csv", ".xlsx"):
        raise OutputError(
            f"{args.output}: 地域の表は .csv か .xlsx で書き出してください / "
            f"{args.output}: an area table is written as .csv or .xlsx"
        )
    found, picked = read_area_specs(args.areas)  # bad areas fail before anything is computed
    if picked != list(found):
        found = found.select(picked)
    frame = table.load_table(names, geometry=False, prefectures=args.pref, join=args.join)
    out = areas.aggregate(frame, found)
    out = out.rename(columns={"n_members": "構成市区町村数"})
    notes = [
        f"{column}: {reason}"
        for column, by_area in out.attrs["missing_reasons"].items()
        for reason in dict.fromkeys(by_area.values())
    ]
    if suffix == ".csv":
        export.write_csv(out, args.output, decimals=4)
    else:
        export.write_xlsx(out, args.output, ranks=False, sheet="圏域", credits=notes[:50])
    for note in [*found.notes, *(f"値がない / missing: {n}" for n in notes[:10])]:
        print(note, file=sys.stderr)
    print(f"{len(out)} 圏域 × {out.shape[1] - 1} 指標 -> {args.output}", file=sys.stderr)
    return 0


def _years(values: tuple[int, ...]) -> str:
    """``2015, 2016, 2017, 2020`` as ``2015-2017, 2020``."""
    runs: list[list[int]] = []
    for y in values:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def _indicators(args: argparse.Namespace) -> int:
    from regionlib.data import indicators

    found = indicators.search(args.query)
    if not found:
        print(f"「{args.query}」に一致する指標はありません", file=sys.stderr)
        return 1
    rows = [
        (i.name, i.label, i.unit or "-", _years(i.years) or i.year, ", ".join(i.datasets))
        for i in found
    ]
    lines = format_table(("指標名", "ラベル", "単位", "年", "出典データ"), rows)
    print(lines[0])
    for line, entry in zip(lines[1:], found, strict=True):
        print(line)
        if args.details:
            print(f"    式: {entry.formula}")
            print(f"    {entry.description}")
    print(f"{len(found)} 指標", file=sys.stderr)
    return 0
