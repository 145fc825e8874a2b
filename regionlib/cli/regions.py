"""``regionlib regions``: propose contiguous wide-area regions; ``regionlib neighbours``: the graph.

Examples::

    regionlib regions --method maxp --floor population:200000 -o regions.html --csv regions.csv
    regionlib regions --method ward --n-regions 50 --within-prefecture --csv ward50.csv
    regionlib regions --blocks commuting_zones --method maxp --floor population:200000 --csv cz.csv
    regionlib regions --levels commuting_zones,population:200000,population:5000000 --csv nested.csv
    regionlib neighbours -o edges.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from regionlib._errors import RegionlibError
from regionlib._write import check_output
from regionlib.cli._common import (
    PRINT_SUFFIXES,
    add_indicators_argument,
    add_missing_argument,
    add_pref_argument,
    indicator_names,
    split_names,
    write_csv,
)

if TYPE_CHECKING:
    import pandas as pd

_POPULATION = "population_2020"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``regions`` and ``neighbours`` subcommands to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "regions",
        help="隣り合う市区町村の広域リージョン案 / propose contiguous regions and evaluate them",
        description="指標が似た隣り合う市区町村をまとめてリージョン案を作り、CSV（コード、"
        "都道府県、名称、リージョン）、評価、リージョン表、必要ならオフラインHTML地図を書き出します。"
        "\nGroup neighbouring municipalities into regions that are similar on the indicators "
        "(max-p with a floor, Ward or SKATER); write a CSV (code, prefecture, name, region, "
        "region name), the evaluation and a region table beside it, and optionally an offline "
        "HTML map.",
    )
    p.add_argument(
        "--method",
        choices=["maxp", "ward", "skater"],
        default="maxp",
        help="手法 / maxp (default, needs --floor), ward or skater (need --n-regions)",
    )
    p.add_argument(
        "--floor",
        metavar="COLUMN:MIN",
        help="リージョンごとの下限 / minimum total per region, e.g. population:200000 "
        "(required for maxp; 'population' means population_2020)",
    )
    p.add_argument("--n-regions", type=int, help="リージョン数 / number of regions (ward, skater)")
    p.add_argument(
        "--blocks",
        metavar="LAYER",
        help="分割しない単位 / build regions from whole blocks so none is split: "
        "commuting_zones (2020), commuting_zones:2015, prefectures, or a CSV of code,block",
    )
    p.add_argument(
        "--levels",
        metavar="LEVEL,LEVEL,…",
        help="細かい順の階層（それぞれ下の階層の単位をまとめる） / "
        "nested levels from fine to coarse, each a union of units of the one below: a "
        "block layer, a floor COLUMN:MIN (max-p) or regions:N (--method skater or ward); "
        "e.g. commuting_zones,population:200000,population:5000000",
    )
    add_indicators_argument(p, default="the core set without population")
    add_pref_argument(p)
    p.add_argument(
        "--within-prefecture",
        action="store_true",
        help="都道府県境を越えない / never cross prefecture borders",
    )
    _add_islands_argument(p)
    p.add_argument(
        "--compactness",
        type=float,
        help="コンパクトさの重み / weight of compact region shapes in max-p, SKATER and Ward "
        "(moment of inertia in steps between neighbours; default 0.3, 0 = indicators only)",
    )
    p.add_argument(
        "--spatial-weight",
        type=float,
        default=0.0,
        help="位置の重み / weight of location as an extra feature (compact regions; default 0)",
    )
    p.add_argument(
        "--cores",
        nargs="+",
        metavar="MUNI",
        help="核とする市区町村 / forced cores (maxp): codes or names",
    )
    p.add_argument(
        "--together",
        action="append",
        metavar="MUNI,MUNI,…",
        help="同じリージョンにする市区町村 / municipalities kept in one region (repeatable)",
    )
    add_missing_argument(p, default="impute", choices=("impute", "raise"))
    p.add_argument(
        "--seed", type=int, help="乱数の種 / random seed (default: settings.random_state)"
    )
    p.add_argument(
        "-o",
        "--output",
        action="append",
        metavar="FILE",
        help="リージョンの地図・表 / offline HTML map (.html), print map (.pdf, .png, .svg) or "
        "the labels with the indicators as .xlsx, .gpkg or .geojson (repeatable; with --levels the "
        "HTML map has a layer per level and the print map shows the coarsest)",
    )
    p.add_argument(
        "--csv", help="リージョン割当のCSV / CSV of the labels (default: beside an .html --output)"
    )
    p.add_argument(
        "--profiles",
        metavar="DIR",
        help="リージョンごとのプロフィール / a folder with one offline page per proposed region "
        "(members, aggregated indicators with ranks among the regions, series) and an index",
    )
    p.set_defaults(func=_regions)

    q = sub.add_parser(
        "neighbours",
        aliases=["neighbors"],
        help="隣接関係を辺の一覧で書き出す / export the contiguity graph as an edge list",
        description="隣接（Queen）グラフを code_a, code_b, kind (border|bridge), border_km, "
        "distance_km のCSVで書き出します。\nWrite the Queen contiguity graph: code_a, code_b, "
        "kind (border|bridge), border_km, distance_km. Islands are linked to their nearest "
        "municipality unless --islands keep|drop.",
    )
    q.add_argument("-o", "--output", required=True, help="書き出すCSV / CSV file to write")
    add_pref_argument(q)
    q.add_argument(
        "--within-prefecture",
        action="store_true",
        help="都道府県をまたぐ辺を除く / no cross-prefecture links",
    )
    _add_islands_argument(q)
    q.set_defaults(func=_neighbours)


def _add_islands_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--islands",
        choices=["connect", "keep", "drop"],
        default="connect",
        help="島の扱い / link islands to their nearest municipality (default), keep or drop them",
    )


def _floor_column(name: str) -> str:
    if name == "population":
        return _POPULATION
    from regionlib.data import indicators

    indicators.info(name)  # raises UnknownNameError with suggestions
    return name


def _resolve(names: list[str], frame: pd.DataFrame) -> list[str]:
    from regionlib.analysis import similarity

    return [similarity.resolve_code(frame, name) for name in names]


def _nested(
    args: argparse.Namespace,
    features: list[str],
    csv_path: Path | None,
    html: Path | None,
    files: list[Path],
    prints: list[Path],
) -> int:
    """``regions --levels``: the nested CSV, its evaluation and the other outputs asked for."""
    from regionlib.analysis import nested
    from regionlib.data import table

    if args.floor or args.n_regions or args.blocks or args.cores or args.together:
        raise RegionlibError(
            "--levels は --floor・--n-regions・--blocks の代わりです（階層として書いてください）。"
            "--cores と --together は --levels と使えません / "
            "--levels replaces --floor, --n-regions and --blocks (write them as levels); "
            "--cores and --together are not supported with --levels"
        )
    levels = [nested.parse_level(text) for text in split_names([args.levels])]
    floor_columns = [lv.floor[0] for lv in levels if lv.floor]
    renames = {c: _floor_column(c) for c in floor_columns}
    names = list(dict.fromkeys([*features, _POPULATION, *renames.values()]))
    frame = table.load_table(names, prefectures=args.pref)
    result = nested.propose_levels(
        frame,
        features,
        levels,
        method=args.method if args.method in ("ward", "skater") else "skater",
        population=_POPULATION,
        islands=args.islands,
        missing={"impute": "median", "raise": "error"}.get(args.missing, args.missing),
        floor_columns=renames,
        compactness=args.compactness,
        random_state=args.seed,
    )
    written = result.save(csv_path) if csv_path is not None else []
    if html is not None:
        from regionlib.outputs import maps

        written.append(maps.save_html(maps.nested_map(result), html))
    top = result.levels[-1]  # the print map shows the coarsest level, named on the map
    counts = " → ".join(str(result.labels[lv.spec].nunique()) for lv in result.levels)
    return _finish(
        frame,
        result.to_frame(),
        features,
        written,
        files,
        prints,
        print_labels=result.labels[top.spec],
        print_title=f"{result.title}：{top.label}",
        summary=result.summary(),
        line=f"{len(frame)} 市区町村 → {counts} リージョン",
        datasets=result.datasets,
    )


def _finish(
    frame: pd.DataFrame,
    labels: pd.DataFrame,
    columns: list[str],
    written: list[Path],
    files: list[Path],
    prints: list[Path],
    *,
    print_labels: pd.Series,
    print_title: str,
    summary: str,
    line: str,
    datasets: list[str],
) -> int:
    """Write the table files and print maps, then say the evaluation and every file written."""
    from regionlib.outputs import export
    from regionlib.outputs._mapstyle import credit_lines  # the credits of what was used

    if files:
        attributes = labels.set_index("code").join(frame[columns])
        attributes = attributes.join(
            frame[[_POPULATION]].rename(columns={_POPULATION: "population"})
        )
        attributes = attributes.loc[:, ~attributes.columns.duplicated()]
        for path in files:
            written.append(export.write_table(attributes, path))
    for path in prints:
        from regionlib.outputs import printmaps

        fig = printmaps.plot_regions(
            frame, print_labels, title=print_title, credits=credit_lines(columns, datasets=datasets)
        )
        written.append(printmaps.save_figure(fig, path))
    print(summary)
    print(line, file=sys.stderr)
    for path in written:
        print(f"  書き出し / wrote -> {path}", file=sys.stderr)
    return 0


def _regions(args: argparse.Namespace) -> int:
    from regionlib.outputs import export

    outputs = [Path(o) for o in args.output or []]
    if not outputs and not args.csv and not args.profiles:
        raise RegionlibError(
            "出力を指定してください（-o regions.html と／または --csv regions.csv） / "
            "name an output: -o regions.html and/or --csv regions.csv"
        )
    if args.profiles:
        from regionlib._write import check_directory

        check_directory(args.profiles)
        if args.levels:
            raise RegionlibError(
                "--profiles は単一の提案でリージョンごとに1ページです（--levels とは併用不可） / "
                "--profiles: one page per region of a single proposal, not --levels"
            )
    html = [o for o in outputs if o.suffix.lower() in (".html", ".htm")]
    prints = [o for o in outputs if o.suffix.lower() in PRINT_SUFFIXES]
    files = [o for o in outputs if o not in html and o not in prints]
    if len(html) > 1:
        raise RegionlibError(
            f"HTML の地図は1回に1つだけです / one HTML map per run, not {', '.join(map(str, html))}"
        )
    for path in files:
        export.check_output(path, (*export.SUFFIXES, ".html", *PRINT_SUFFIXES), what="output")
    for path in prints:
        check_output(path, PRINT_SUFFIXES, what="print map")
    csv_path = Path(args.csv) if args.csv else html[0].with_suffix(".csv") if html else None
    if csv_path is not None:
        for path in (csv_path, csv_path.with_name(f"{csv_path.stem}_regions.csv")):
            check_output(path, (".csv",), what="CSV")
        check_output(csv_path.with_name(f"{csv_path.stem}_evaluation.txt"), (".txt",))
    if html:
        check_output(html[0], (".html", ".htm"), what="map")
    from regionlib.analysis import proposals, regions
    from regionlib.data import indicators, table

    features = indicator_names(args.indicators) or [
        n for n in indicators.DEFAULT_INDICATORS if not n.startswith("population_20")
    ]
    if args.levels:
        return _nested(args, features, csv_path, html[0] if html else None, files, prints)
    floor = None
    if args.floor:
        column, value = regions.parse_floor(args.floor)
        floor = (_floor_column(column), value)
    names = list(dict.fromkeys([*features, _POPULATION, *([floor[0]] if floor else [])]))
    frame = table.load_table(names, prefectures=args.pref)
    cores = _resolve(split_names(args.cores), frame) if args.cores else None
    together = [_resolve(split_names([group]), frame) for group in args.together or []] or None
    proposal = proposals.propose_regions(
        frame,
        features,
        method=args.method,
        n_regions=args.n_regions,
        floor=floor,
        population=_POPULATION,
        within_prefecture=args.within_prefecture,
        islands=args.islands,
        cores=cores,
        together=together,
        blocks=args.blocks,
        spatial_weight=args.spatial_weight,
        compactness=args.compactness,
        missing={"impute": "median", "raise": "error"}.get(args.missing, args.missing),
        random_state=args.seed,
    )
    written = []
    if csv_path is not None:
        written = proposal.save(csv_path)
    if html:
        from regionlib.outputs import maps

        written.append(maps.save_html(maps.proposal_map(proposal), html[0]))
    labels = proposal.to_frame()
    if args.profiles:
        written += _profiles(labels, args.profiles)
    n_left_out = int(labels["region"].isna().sum())
    left_out = f" ({n_left_out} 市区町村はグラフから除外)" if n_left_out else ""
    return _finish(
        frame,
        labels,
        proposal.columns,
        written,
        files,
        prints,
        print_labels=proposal.region_names,
        print_title=proposal.title,
        summary=proposal.summary(),
        line=f"{len(frame)} 市区町村 → {proposal.labels.nunique()} リージョン{left_out}",
        datasets=proposal.datasets,
    )


def _profiles(labels: pd.DataFrame, folder: str) -> list[Path]:
    """One area page per proposed region (ranked among the regions), and an index."""
    from regionlib.analysis import areas
    from regionlib.outputs import areapage

    named = labels.dropna(subset=["region"])
    members: dict[str, list[str]] = {}
    for code, name in zip(named["code"], named["region_name"], strict=True):
        members.setdefault(str(name), []).append(str(code))
    pages = areapage.write_area_pages(
        areas.Areas(members, "リージョン案", "regionlib regions"), folder
    )
    print(f"{len(pages) - 1} リージョンのプロフィール -> {folder}", file=sys.stderr)
    return pages[:1]


def _neighbours(args: argparse.Namespace) -> int:
    check_output(args.output, (".csv",), what="CSV")
    from regionlib.analysis import graph
    from regionlib.data import boundaries

    frame = boundaries.load_boundaries(prefectures=args.pref)
    edges = graph.edges_table(frame, within_prefecture=args.within_prefecture, islands=args.islands)
    write_csv(edges, args.output, index=False)
    counts = edges["kind"].value_counts()
    print(
        f"{len(frame)} 市区町村の間の {len(edges)} 本のつながり（境界 {counts.get('border', 0)}、"
        f"橋 {counts.get('bridge', 0)}） / {len(edges)} links ({counts.get('border', 0)} border, "
        f"{counts.get('bridge', 0)} bridge) between {len(frame)} municipalities -> {args.output}",
        file=sys.stderr,
    )
    return 0
