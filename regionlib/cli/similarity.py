"""``regionlib peers`` and ``regionlib clusters``: similar municipalities from the command line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from regionlib._errors import RegionlibError
from regionlib.cli._common import (
    add_indicators_argument,
    add_missing_argument,
    add_output_argument,
    check_outputs,
    indicator_names,
    print_table,
    write_output,
)

if TYPE_CHECKING:
    import pandas as pd

#: :data:`regionlib.similarity.METHODS`, kept here so ``--help`` stays light (a test checks)
CLUSTER_METHODS = ("kmeans", "ward", "gmm")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``peers`` and ``clusters`` subcommands to ``sub``.

    Parameters
    ----------
    sub
        The subparsers of the main parser.
    """
    p = sub.add_parser(
        "peers",
        help="似た市区町村 / the municipalities most similar to one municipality",
        description="指標が最も近い市区町村を、主な違いとともに一覧します。\n"
        "List the municipalities closest on the indicators, with the main differences.",
    )
    p.add_argument(
        "municipality", help="市区町村名かコード / name (夕張市, 東京都府中市) or 5-digit code"
    )
    p.add_argument("--k", type=int, default=10, help="件数 / number of peers (default 10)")
    _common(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--same-prefecture", action="store_true", help="同じ都道府県から / peers in its prefecture"
    )
    where.add_argument(
        "--other-prefectures",
        action="store_true",
        help="他の都道府県から / peers elsewhere only",
    )
    p.add_argument(
        "--population-within",
        type=float,
        metavar="PCT",
        help="人口が±PCT%%以内 / only peers whose population is within ±PCT %% of its own",
    )
    p.add_argument(
        "--compare",
        metavar="FILE",
        help="比較表も書き出す / also write the comparison table here (.csv, .xlsx)",
    )
    p.set_defaults(func=_peers)

    c = sub.add_parser(
        "clusters",
        help="市区町村を説明付きで分類 / group all municipalities into explained clusters",
        description="すべての市区町村を指標でクラスターに分け、各クラスターの特徴を説明します。\n"
        "Group all municipalities into clusters on the indicators and describe each cluster.",
    )
    c.add_argument(
        "--k", default="auto", help="クラスター数 / number of clusters, or 'auto' (default)"
    )
    c.add_argument(
        "--method",
        default="kmeans",
        choices=CLUSTER_METHODS,
        help="手法 / kmeans (default), ward or gmm",
    )
    c.add_argument(
        "--k-min", type=int, default=3, help="auto で試す最小 / smallest k tried by --k auto"
    )
    c.add_argument(
        "--k-max", type=int, default=12, help="auto で試す最大 / largest k tried by --k auto"
    )
    c.add_argument(
        "--seed", type=int, help="乱数の種 / random seed (default: settings.random_state)"
    )
    _common(c)
    c.add_argument(
        "--profiles", metavar="FILE", help="特徴表も書き出す / also write the cluster profiles here"
    )
    c.add_argument(
        "--evidence", metavar="FILE", help="k選択の根拠も書き出す / also write the k=auto evidence"
    )
    c.set_defaults(func=_clusters)


def _common(p: argparse.ArgumentParser) -> None:
    add_indicators_argument(p, default="the core set")
    add_missing_argument(p, default="drop")
    add_output_argument(p, what="結果 / the result")


def _load(args: argparse.Namespace) -> pd.DataFrame:
    from regionlib.data import table

    return table.load_table(indicator_names(args.indicators), geometry=False)


def _peers(args: argparse.Namespace) -> int:
    check_outputs(args.output, args.compare)
    tbl = _load(args)
    import pandas as pd

    from regionlib.analysis import features, similarity

    similarity.resolve_code(tbl, args.municipality)  # an unknown name fails before any work
    feats = features.prepare_features(tbl, indicator_names(args.indicators), missing=args.missing)
    peers = similarity.find_peers(
        feats,
        args.municipality,
        k=args.k,
        same_prefecture=args.same_prefecture,
        other_prefectures=args.other_prefectures,
        population_within=args.population_within,
    )
    target = peers.attrs["target"]
    meta = feats.meta
    print(f"{meta.at[target, 'prefecture']}{meta.at[target, 'name']}（{target}）に似た市区町村")
    contrib = peers[[f"contrib_{n}" for n in feats.indicators]]
    rows = []
    for code, row in peers.iterrows():
        top = contrib.loc[code].sort_values(ascending=False, kind="stable").index[:2]
        diff = "、".join(
            features.indicator_label(t.removeprefix("contrib_"), short=True) for t in top
        )
        pop = (
            f"{row['population']:,.0f}"
            if "population" in peers and pd.notna(row["population"])
            else "-"
        )
        rows.append(
            [
                row["rank"],
                f"{row['prefecture']}{row['name']}",
                code,
                f"{row['distance']:.2f}",
                pop,
                diff,
            ]
        )
    print_table(["順位", "市区町村", "コード", "距離", "人口", "主な違い"], rows)
    if args.output:
        write_output(peers, args.output)
        print(f"{len(peers)} 市区町村を書き出しました / wrote {len(peers)} peers -> {args.output}")
    if args.compare:
        comparison = similarity.compare_municipality(feats, target, peers=peers)
        write_output(comparison, args.compare)
        print(f"比較表を書き出しました / wrote the comparison table -> {args.compare}")
    return 0


def _clusters(args: argparse.Namespace) -> int:
    k: int | str = args.k
    if k != "auto":
        try:
            k = int(k)
        except ValueError:
            msg = (
                f"--k は整数か 'auto' にしてください（指定は '{k}'） / "
                f"--k must be an integer or 'auto', not '{k}'"
            )
            raise RegionlibError(msg) from None
    check_outputs(args.output, args.profiles, args.evidence)
    tbl = _load(args)
    import pandas as pd

    from regionlib.analysis import similarity

    result = similarity.cluster_municipalities(
        tbl,
        indicator_names(args.indicators),
        method=args.method,
        k=k,
        k_range=(args.k_min, args.k_max),
        missing=args.missing,
        random_state=args.seed,
    )
    profiles = similarity.profile_clusters(result)
    meta = result.features.meta  # every row of the table, also those left out
    labels = result.labels.reindex(meta.index).astype("Int64")
    description = labels.map(profiles["description"]).astype(object)
    description[labels.isna()] = "欠損値があるため分類の対象外"
    out = pd.DataFrame(
        {"name": meta.get("name", pd.NA), "cluster": labels, "description": description}
    )
    if k == "auto":
        ev = result.evidence
        print(f"k の選択（{args.method}）:")
        print_table(
            ["k", "シルエット", "CH指数", "BIC", "平均順位", "採用"],
            [
                [
                    kk,
                    f"{r['silhouette']:.3f}",
                    f"{r['calinski_harabasz']:.1f}",
                    "-" if pd.isna(r["bic"]) else f"{r['bic']:.0f}",
                    f"{r['mean_rank']:.2f}",
                    "○" if r["chosen"] else "",
                ]
                for kk, r in ev.iterrows()
            ],
        )
    rows = []
    for c, r in profiles.iterrows():
        pop = f"{r['population']:,.0f}" if "population" in profiles else "-"
        rows.append([c, r["size"], pop, r["medoid_name"], r["description"]])
    print_table(["クラスター", "市区町村数", "人口", "代表（メドイド）", "特徴"], rows)
    if args.output:
        write_output(out, args.output)
        print(
            f"wrote {len(out)} municipalities ({labels.notna().sum()} in {result.k} clusters, "
            f"{labels.isna().sum()} left out for missing values) to {args.output}"
        )
    if args.profiles:
        write_output(profiles, args.profiles)
    if args.evidence:
        write_output(result.evidence, args.evidence)
    return 0
