"""``regionlib boundaries export|resolve|update-codes``: boundary files and municipal codes."""

from __future__ import annotations

import argparse
import sys

from regionlib._write import atomic_path, check_output
from regionlib.cli._common import add_detail_argument, add_pref_argument

_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``boundaries`` subcommand to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    parser = sub.add_parser(
        "boundaries",
        help="境界の書き出し、コードの照合と更新 / export boundaries; resolve and update codes",
        description="市区町村の境界を書き出し、名称やコードを現在の5桁コードに照合します。\n"
        "Export municipal boundaries; resolve names and retired codes to current 5-digit codes.",
    )
    actions = parser.add_subparsers(dest="boundaries_command", metavar="ACTION", required=True)

    p_export = actions.add_parser(
        "export",
        help="境界をファイルに書き出す / write municipal boundaries to a file",
        description="市区町村の境界を GeoPackage、GeoJSON、GeoParquet で書き出します。\n"
        "Write municipal boundaries as GeoPackage, GeoJSON or GeoParquet.",
    )
    p_export.add_argument(
        "-o", "--output", required=True, help="書き出すファイル / .gpkg, .geojson or .parquet"
    )
    p_export.add_argument(
        "--level",
        choices=["municipality", "ward"],
        default="municipality",
        help="政令市を市単位か区単位か / cities as a whole (default) or their wards",
    )
    add_detail_argument(p_export)
    add_pref_argument(p_export)
    p_export.add_argument(
        "--include-unassigned",
        action="store_true",
        help="所属未定地・北方領土も含める / keep unassigned land and the Northern Territories",
    )
    p_export.add_argument(
        "--input", help="N03ファイルを直接読む / read this N03 file or MLIT zip instead"
    )
    p_export.set_defaults(func=_export)

    p_resolve = actions.add_parser(
        "resolve",
        help="名称やコードを5桁コードに / municipality names or codes -> 5-digit codes",
        description="市区町村名やコードを5桁の団体コードに照合します。\n"
        "Resolve municipality names or codes to 5-digit codes.",
    )
    p_resolve.add_argument(
        "names", nargs="+", help="名称かコード / names (札幌市, 東京都府中市) or codes"
    )
    p_resolve.set_defaults(func=_resolve)

    p_update = actions.add_parser(
        "update-codes",
        help="廃止コードを現在のコードに / map retired codes to current ones",
        description="合併などで廃止されたコードを現在のコードに読み替えます。\n"
        "Map retired municipal codes (mergers) to the current ones.",
    )
    p_update.add_argument(
        "codes", nargs="+", help="コード / codes in any form (04423, 044237, R04423)"
    )
    p_update.add_argument(
        "--as-of", help="この日付時点のコードに / date the codes should be valid at (YYYY-MM-DD)"
    )
    p_update.set_defaults(func=_update)


def _export(args: argparse.Namespace) -> int:
    out = check_output(args.output, (".parquet", *_DRIVERS), what="boundary file")
    suffix = out.suffix.lower()
    from regionlib.data import boundaries, codes

    if args.input:
        gdf = boundaries.read_n03(
            args.input, level=args.level, include_unassigned=args.include_unassigned
        )
        if args.pref:
            wanted = {codes.prefecture_code(p) for p in args.pref}
            gdf = gdf[gdf["pref_code"].isin(wanted)]
    else:
        gdf = boundaries.load_boundaries(
            level=args.level,
            detail=args.detail,
            prefectures=args.pref,
            include_unassigned=args.include_unassigned,
        )
    if suffix == ".parquet":
        with atomic_path(out, what="boundary file") as tmp:
            gdf.to_parquet(tmp)
    else:
        from regionlib.outputs import export

        export.save_geodata(gdf, out, driver=_DRIVERS[suffix], what="boundary file")
    print(f"{len(gdf)} 市区町村 -> {out}", file=sys.stderr)
    print(f"出典: {boundaries.CREDIT}", file=sys.stderr)
    return 0


def _resolve(args: argparse.Namespace) -> int:
    from regionlib.data import codes
    from regionlib.data import names as names_module

    names = names_module.load_names()
    print("入力\tコード\t都道府県\t市区町村")
    for query in args.names:
        code = codes.resolve_municipality(query, candidates=names)
        print(f"{query}\t{code}\t{names.at[code, 'prefecture']}\t{names.at[code, 'name']}")
    return 0


def _update(args: argparse.Namespace) -> int:
    from regionlib.data import codes

    result = codes.update_codes(args.codes, as_of=args.as_of)
    print("旧コード\t新コード\t旧名称\t新名称\t変更日")
    changed = result.changes.set_index("old")
    for old, new in zip(codes.normalize_codes(args.codes), result.codes, strict=True):
        if old in changed.index:
            row = changed.loc[old]
            print(f"{old}\t{new}\t{row['name_old']}\t{row['name_new']}\t{row['date']:%Y-%m-%d}")
        else:
            print(f"{old}\t{new}\t\t\t")
    for row in result.unresolved.itertuples():
        print(f"{row.code}: {row.reason}", file=sys.stderr)
    return 0
