"""``regionlib kpi targets.csv -o kpi.html``: KPI targets tracked (path, trend, peers)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``kpi`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "kpi",
        help="KPIの目標と進み具合（基準値・最新値・目標への直線・傾向・類似する市区町村）/ track KPI targets",
        description="目標のCSV（municipality または area, indicator, base_year, target, "
        "target_year, note）から、KPIごとに基準値・最新値・目標への直線・傾向・順調／遅れ・"
        "同じ期間の類似する市区町村の変化を示します。--example で地方創生2.0の例のファイルを書き出します。\n"
        "Track KPI targets from a CSV: baseline, latest value, the straight path to the "
        "target, the trend, on track / behind, and the peers over the same years. -o .html or "
        ".xlsx. --example writes the shipped example of national 地方創生2.0 KPIs.",
    )
    p.add_argument("targets", nargs="?", help="目標のCSV / the targets file")
    p.add_argument(
        "--areas", metavar="FILE", help="圏域のCSV / areas the targets' area column may name"
    )
    p.add_argument(
        "--example",
        metavar="FILE",
        help="例のファイルを書き出す / write the example targets file and stop",
    )
    p.add_argument(
        "-o", "--output", action="append", help="書き出すファイル / .html and/or .xlsx (repeatable)"
    )
    p.set_defaults(func=_kpi)


def _kpi(args: argparse.Namespace) -> int:
    from regionlib._errors import RegionlibError
    from regionlib._write import check_output, write_bytes
    from regionlib.analysis import kpi
    from regionlib.outputs import kpipage

    if args.example:
        check_output(args.example, (".csv",), what="targets file")
        write_bytes(args.example, kpi.example_path().read_bytes(), what="targets file")
        print(f"例 / example -> {args.example}", file=sys.stderr)
        return 0
    if not args.targets or not args.output:
        raise RegionlibError(
            "目標のファイルと -o kpi.html（または --example FILE）を指定してください / "
            "give a targets file and -o kpi.html (or --example FILE)"
        )
    for path in args.output:
        check_output(path, (".html", ".htm", ".xlsx"), what="KPI report")
    areas = None
    if args.areas:
        from regionlib.analysis import areas as area_module

        areas = area_module.read_areas(args.areas)
    result = kpi.track(kpi.read_targets(args.targets, areas=areas))
    for output in args.output:
        kpipage.save_kpi(result, output)
    for _, row in result.iterrows():
        print(f"{row['place']} {row['label']}: {row['status']}")
    print(f"{len(result)} KPI -> {', '.join(args.output)}", file=sys.stderr)
    return 0
