"""``regionlib functional``: functional regions (commuting zones) from an origin-destination table.

Examples::

    regionlib functional --flows od.csv -o cz.csv
    regionlib functional --flows od.csv --height 0.95 -o cz95.csv
    regionlib functional --flows od.csv --uea --core-population 50000 -o uea.csv
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``functional`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "functional",
        help="通勤流動（origin,destination,flow）から機能的地域（通勤圏・都市雇用圏）を作る",
        description="通勤・通学の流動表から機能的地域（通勤圏、または都市雇用圏）を作ります。 "
        "Delineate functional regions from commuting flows: commuting zones by "
        "average-linkage clustering cut at tree height 0.98 (Tolbert & Sizer 1996; Adachi, "
        "Fukai, Kawaguchi & Saito 2020), or with --uea the urban employment area rules (cores "
        "of at least --core-population, suburbs sending at least --share of their workers). "
        "Only the municipalities the flows name get a zone (the others are counted in one "
        "warning). Writes code, name, zone, zone_name (the zone's centre: where most of its "
        "people work; for --uea the core).",
    )
    p.add_argument(
        "--flows",
        required=True,
        help="通勤流動の CSV（列 origin,destination,flow、5桁コード、origin は常住地） / "
        "CSV with columns origin,destination,flow (5-digit codes; origin = residence)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="書き出す CSV / CSV to write (code, name, zone, zone_name)",
    )
    p.add_argument(
        "--height",
        type=float,
        default=0.98,
        help="樹形図を切る高さ / tree height of the cut (0.98)",
    )
    p.add_argument(
        "--uea",
        action="store_true",
        help="都市雇用圏の基準を使う / urban employment area rules instead",
    )
    p.add_argument(
        "--core-population",
        type=float,
        default=50_000,
        help="中心の人口（--uea、既定 50000） / population of a core (--uea; default 50000)",
    )
    p.add_argument(
        "--share",
        type=float,
        default=0.10,
        help="郊外の通勤率（--uea、0.10） / commuting share of a suburb (--uea; 0.10)",
    )
    p.set_defaults(func=_functional)


def _functional(args: argparse.Namespace) -> int:
    import pandas as pd

    from regionlib._write import check_output, write_csv
    from regionlib.analysis.regions import functional
    from regionlib.data import names, table

    check_output(args.output, (".csv",), what="CSV")
    if args.uea:
        functional.check_uea_options(args.core_population, args.share)
    flows = functional.read_flows(args.flows)
    munis = names.load_names()
    munis = munis[munis["level"] == "municipality"]
    if args.uea:
        pop = table.load_table(["population_2020"], geometry=False)["population_2020"].fillna(0)
        zones = functional.urban_employment_areas(
            flows, pop, core_population=args.core_population, share=args.share
        )
        centres = zones
        kind = "都市雇用圏"
    else:
        zones = functional.commuting_zones(flows, codes=munis.index, height=args.height)
        centres = zones.map(functional.zone_centres(flows, zones))
        kind = "通勤圏"
    names = munis["name"].reindex(zones.index)
    out = pd.DataFrame(
        {
            "code": zones.index,
            "name": names.to_numpy(),
            "zone": zones.to_numpy(),
            "zone_name": centres.map(munis["name"]).to_numpy(),
        }
    )
    write_csv(out, args.output, index=False)
    n_out = int(out["zone"].isna().sum())
    outside = f"（{n_out} 市区町村は圏外）" if n_out else ""
    print(
        f"{len(out)} 市区町村 → {out['zone'].nunique()} {kind}{outside} -> {args.output}",
        file=sys.stderr,
    )
    return 0
