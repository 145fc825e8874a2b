"""``regionlib pyramid`` and ``regionlib project``: age structure and population futures."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``pyramid`` and ``project`` subcommands to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "pyramid",
        help="人口ピラミッド（住民基本台帳、1995～2022年）/ population pyramid",
        description="市区町村の人口ピラミッドを描きます（男性は左、女性は右、最後の年は塗り、"
        "それより前の年は線）。\nDraw a municipality's population pyramid from the register "
        "(men left, women right; the last year filled, earlier years as outlines).",
    )
    p.add_argument("municipality", help="市区町村名かコード / name (夕張市) or 5-digit code")
    p.add_argument("--years", help="年 / years: 1995,2022 (default: first and last)")
    p.add_argument(
        "--series",
        choices=["japanese", "total"],
        default="japanese",
        help="日本人住民（1995～2022年）か総計（2013～2022年）/ register series",
    )
    p.add_argument(
        "--shares", action="store_true", help="人数でなく割合（%%）で描く / shares, not counts"
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="出力ファイル / output: .png, .pdf, .svg or .html",
    )
    p.set_defaults(func=_pyramid)
    register_project(sub)


def _pyramid(args: argparse.Namespace) -> int:
    from pathlib import Path

    from regionlib._errors import OutputError
    from regionlib.outputs import pyramid

    if Path(args.output).suffix.lower() not in pyramid.FORMATS:
        msg = (
            f"{args.output}: 人口ピラミッドは {', '.join(pyramid.FORMATS)} のどれかで書き出してください / "
            f"{args.output}: a pyramid is written as {', '.join(pyramid.FORMATS)}"
        )
        raise OutputError(msg)
    fig = pyramid.pyramid(args.municipality, years=args.years, series=args.series,
                          shares=args.shares)  # fmt: skip
    path = pyramid.save_pyramid(fig, args.output)
    meta = fig.pyramid_data.attrs
    if meta["flag"]:
        print(f"{meta['name']}: {meta['flag']}", file=sys.stderr)
    print(path)
    return 0


def register_project(sub: argparse._SubParsersAction) -> None:
    """Add the ``project`` subcommand to ``sub``."""
    p = sub.add_parser(
        "project",
        help="将来人口の推計（コーホート変化率法）、その検証、消滅可能性の分類 / projections",
        description="住民基本台帳の男女・5歳階級別人口から、コーホート変化率法で将来人口を"
        "推計します（regionlib 独自の推計で、社人研の公式推計ではありません）。\n"
        "Project population by sex and 5-year band with the cohort change-ratio method "
        "(regionlib's own projection, not the official one); --backtest tests it against "
        "what happened; --classes classifies municipalities as the 人口戦略会議 2024 report.",
    )
    p.add_argument(
        "municipalities", nargs="*", metavar="NAME", help="市区町村 / names or codes (default all)"
    )
    p.add_argument("--to", type=int, default=2050, help="推計の最終年 / last year (default 2050)")
    p.add_argument(
        "--base",
        default=None,
        help="基準期間 / base period START-END (default 2017-2022; 2015-2020 with --classes)",
    )
    p.add_argument("--series", choices=["japanese", "total"], default="japanese",
                   help="日本人住民（1995～2022年）か総計（2013～2022年）/ register series")  # fmt: skip
    p.add_argument(
        "--variant",
        choices=["migration", "closed", "both"],
        default="both",
        help="移動あり・封鎖 / the town's own ratios, national ratios, or both (default)",
    )
    p.add_argument("--backtest", action="store_true",
                   help="過去の基準から推計し実績と比べる / test the method on 1995-2022")  # fmt: skip
    p.add_argument(
        "--classes",
        action="store_true",
        help="消滅可能性などの分類（2020→2050年の20～39歳女性）/ the 2024 report's classes",
    )
    p.add_argument(
        "--projection",
        metavar="FILE",
        help="公式推計などのCSV（code, year, sex, band, population[, variant]）を使う / "
        "use your own (official) projection for --classes",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="出力 / output .csv or .xlsx")
    p.add_argument(
        "--map",
        metavar="FILE",
        help="--classes の地図 / map of the change of women 20-39 and the classes: .html "
        "(both, switchable) or .png/.pdf/.svg (the change with migration, classed at -50 and "
        "-20 %%)",
    )
    p.set_defaults(func=_project)


def _check_table_output(path: str | None) -> None:
    from pathlib import Path

    from regionlib._errors import OutputError

    if path and Path(path).suffix.lower() not in (".csv", ".xlsx"):
        raise OutputError(
            f"{path}: 推計は .csv か .xlsx で書き出してください / "
            f"{path}: write a projection as .csv or .xlsx"
        )


def _project(args: argparse.Namespace) -> int:
    from pathlib import Path

    from regionlib._errors import OutputError
    from regionlib.analysis import projection

    _check_table_output(args.output)
    if args.map and Path(args.map).suffix.lower() not in (".html", ".png", ".pdf", ".svg"):
        raise OutputError(
            f"{args.map}: 地図は .html, .png, .pdf, .svg のどれかで書き出してください / "
            f"{args.map}: write the map as .html, .png, .pdf or .svg"
        )
    if args.backtest:
        return _backtest(args)
    if args.classes or args.projection:
        return _classes(args)
    variants = ["migration", "closed"] if args.variant == "both" else [args.variant]
    result = projection.project(
        args.municipalities or None,
        to=args.to,
        base=args.base or projection.DEFAULT_BASE,
        series=args.series,
        variants=variants,
    )
    totals = result.totals
    shown = totals[totals["year"].isin([result.base[1], args.to])]
    if not args.municipalities:
        shown = (
            shown.groupby(["year", "variant"], observed=True)[["population", "women_20_39"]]
            .sum()
            .reset_index()
            .assign(name="全国（1,741市区町村の合計）")
        )
    for row in shown.itertuples():
        print(
            f"{row.name} {row.year} {projection.VARIANTS[str(row.variant)]}: "
            f"人口 {row.population:,.0f}  20～39歳女性 {row.women_20_39:,.0f}"
        )
    print("注: " + result.notes[0])
    if args.output:
        path = _write_projection(result, args.output)
        print(f"-> {path}", file=sys.stderr)
    return 0


def _write_projection(result, output: str):
    from pathlib import Path

    import pandas as pd

    from regionlib._write import write_text
    from regionlib.outputs import export

    path = Path(output)
    notes = pd.DataFrame({"前提・注記": result.notes + ["出典: " + c for c in result.credits]})
    if path.suffix.lower() == ".xlsx":
        sheets = {"年齢別人口": result.bands, "合計": result.totals, "前提": notes}
        export.write_xlsx(sheets, path, index=False, ranks=False, credits=result.credits)
        return path
    totals_path = path.with_name(path.stem + "-totals.csv")
    notes_path = path.with_name(path.stem + "-notes.txt")
    _write_csv_of(result, "bands", path)
    _write_csv_of(result, "totals", totals_path)
    write_text(notes_path, "\n".join(notes["前提・注記"]) + "\n", what="notes")
    return f"{path}, {totals_path.name}, {notes_path.name}"


#: regionlib's own files that turn a projection into CSV bytes (part of the cache key)
_CSV_CODE_FILES = ("_write.py", "outputs/export.py", "cli/population.py")


def _write_csv_of(result, part: str, path) -> None:
    """Write ``result.bands`` or ``result.totals`` as CSV, the bytes kept in the derived cache.

    The national band table is 830,000 rows: formatting it costs 4 s, copying its kept bytes
    0.2 s. The bytes depend only on the projection (its :attr:`~Projection.key`), the code
    that formats them and the versions of pandas and numpy, which make the key.
    """
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from regionlib._log import log
    from regionlib._write import write_bytes
    from regionlib.data import _cache
    from regionlib.outputs import export

    frame = getattr(result, part)
    if not result.key:  # not made by projection.project: nothing to key the bytes by
        export.write_csv(frame, path, index=False)
        return

    written: list[bytes] = []

    def build() -> bytes:  # a miss writes the file and keeps its bytes
        export.write_csv(frame, path, index=False)
        written.append(Path(path).read_bytes())
        return written[0]

    root = Path(__file__).parents[1]
    inputs = [result.key, *(_cache.file_sha256(root / f) for f in _CSV_CODE_FILES)]
    params = {"part": part, "pandas": pd.__version__, "numpy": np.__version__}
    data = _cache.cached_bytes("projection-csv", inputs, params, build)
    if not written:  # read from the cache
        write_bytes(path, data, what="CSV")
        log(f"wrote {path}", ja=f"書き出しました: {path}")


def _backtest(args: argparse.Namespace) -> int:
    from regionlib.analysis import projection
    from regionlib.cli._common import print_table
    from regionlib.outputs import export

    table = projection.backtest()
    names = {"cohort": "コーホート変化率", "closed": "封鎖", "no_change": "変化なし",
             "linear": "直線トレンド"}  # fmt: skip
    measures = {"population": "総人口", "women_20_39": "20～39歳女性"}
    overall = table[table["size_class"] == "all"]
    print("絶対誤差率（%）の中央値 / 90パーセンタイル（全市区町村、住民基本台帳・日本人住民）")
    horizons = sorted(overall["horizon"].unique())
    for measure, label in measures.items():
        rows = []
        for method, name in names.items():
            cut = overall[(overall.measure == measure) & (overall.method == method)]
            cells = {r.horizon: f"{r.median_ape:.1f} / {r.p90_ape:.1f}" for r in cut.itertuples()}
            rows.append([name, *(cells.get(h, "-") for h in horizons)])
        print(f"\n{label}")
        print_table(["予測法", *(f"{h}年後" for h in horizons)], rows)
    ten = overall[overall["horizon"] == 10].set_index(["measure", "method"])["median_ape"]
    beats = all(
        ten[(m, "cohort")] < min(ten[(m, "no_change")], ten[(m, "linear")]) for m in measures
    )
    print(
        "\n10年後の誤差の中央値で、コーホート変化率法は変化なし・直線トレンドの"
        + ("両方より小さい。" if beats else "どちらかより大きい。")
    )
    if args.output:
        export.write_table(table, args.output, index=False, ranks=False)
        print(f"-> {args.output}", file=sys.stderr)
    return 0


def _classes(args: argparse.Namespace) -> int:
    from regionlib.analysis import projection
    from regionlib.cli._common import print_table
    from regionlib.outputs import export

    if args.projection:
        bands = projection.load_projection(args.projection)
        totals = projection.totals_of(bands)
        source = f"user projection ({args.projection})"
        header = f"分類の元: {args.projection}（利用者の推計）"
    else:
        result = projection.project(to=2050, base=args.base or "2015-2020", series=args.series)
        totals = result.totals
        source = "regionlib"
        header = (
            f"分類の元: regionlib 独自のコーホート変化率法による推計（基準 {result.base[0]}→"
            f"{result.base[1]}年、住民基本台帳・日本人住民）。社人研の公式推計ではありません。"
        )
    classes = projection.sustainability(totals, source=source)
    counts = classes["class"].value_counts()
    print(header)
    rows = [[n, f"{counts.get(n, 0):,}", f"{r:,}"] for n, r in projection.REPORT_COUNTS.items()]
    if counts.get("判定不能"):
        rows.append(["判定不能", f"{counts['判定不能']:,}", "-"])
    rows.append(["計", f"{len(classes):,}", "1,729"])
    print_table(["分類", "regionlib", "報告書（2024）"], rows)
    if args.output:
        export.write_table(classes, args.output, ranks=False)
        print(f"-> {args.output}", file=sys.stderr)
    if args.map:
        print(f"-> {_classes_map(classes, args.map, source)}", file=sys.stderr)
    return 0


_CLASS_LABEL = "分類（1 自立持続可能性・2 その他・3 ブラックホール型・4 消滅可能性）"


def _classes_map(classes, path: str, source: str):
    from pathlib import Path

    from regionlib.data import boundaries, datasets
    from regionlib.outputs import maps, printmaps

    credit = (
        "推計: regionlib 独自のコーホート変化率法（社人研の公式推計ではない）／"
        + datasets.info("juki-age-japanese-2020").credit
        if source == "regionlib"
        else f"推計: {source}"
    )
    base = boundaries.load_boundaries()
    table = base[["pref_code", "prefecture", "name", "geometry"]].join(
        classes[["women_20_39_change_migration", "women_20_39_change_closed", "class_code"]]
    )
    label = "20～39歳女性人口の変化率（2020→2050年）"
    if Path(path).suffix.lower() == ".html":
        m = maps.choropleth(
            table,
            ["women_20_39_change_migration", "women_20_39_change_closed", "class_code"],
            bins={
                "women_20_39_change_migration": [-50, -20, 0],
                "women_20_39_change_closed": [-50, -20, 0],
                "class_code": [1, 2, 3, 4],
            },
            scheme="user_defined",
            palette={
                "women_20_39_change_migration": "RdBu",
                "women_20_39_change_closed": "RdBu",
                "class_code": "YlOrRd",
            },
            label={
                "women_20_39_change_migration": label + "・移動仮定",
                "women_20_39_change_closed": label + "・封鎖",
                "class_code": _CLASS_LABEL,
            },
            unit={
                "women_20_39_change_migration": "%",
                "women_20_39_change_closed": "%",
                "class_code": "",
            },
            credits=[credit],
            title="消滅可能性の分類と20～39歳女性人口の変化（regionlib の推計）",
        )
        return maps.save_html(m, path)
    fig = printmaps.plot_choropleth(
        table,
        "women_20_39_change_migration",
        scheme="user_defined",
        bins=[-50, -20, 0],
        palette="RdBu",
        label=label + "・移動仮定",
        unit="%",
        credits=[credit],
        title="20～39歳女性人口の変化率 2020→2050年（−50%以下 = 消滅可能性自治体）",
    )
    return printmaps.save_figure(fig, path)
