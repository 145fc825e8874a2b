"""Evaluate a labelling of municipalities into regions.

:func:`evaluate` collects, for any labelling (from :func:`regionlib.regions.regionalize` or
elsewhere):

* homogeneity: within-region and total sum of squares of the standardised indicators and their
  ratio (lower is more homogeneous);
* the floor: whether every region reaches it, and how many do not;
* contiguity: whether every region is connected on the contiguity graph;
* compactness: the isoperimetric quotient 4πA/P² of each dissolved region (1 for a disc), with
  areas and perimeters in ``settings.area_crs``;
* population balance: smallest, median and largest region, coefficient of variation;
* agreement with reference groupings (prefectures, the eight 地方区分, the 広域地方計画区域,
  commuting zones): adjusted Rand index and adjusted mutual information (scikit-learn), on the
  codes both cover, and how many of the reference's groups the proposal splits (a commuting zone
  split between two regions is a daily-life area cut in two).

:func:`random_regions` draws a random contiguous partition with a given number of regions, the
baseline that any proposal should beat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from regionlib import settings
from regionlib._errors import RegionlibError, UnknownNameError, suggest
from regionlib.analysis import graph as _graph
from regionlib.analysis.regions._problem import feature_matrix

if TYPE_CHECKING:  # libpysal costs seconds to import: only where a graph is built
    from libpysal.graph import Graph

__all__ = [
    "EVALUATION_LABELS",
    "REFERENCE_NAMES",
    "agreement",
    "check_contiguity",
    "check_floor",
    "compactness",
    "evaluate",
    "format_evaluation",
    "format_value",
    "measure_label",
    "random_regions",
    "sum_of_squares",
]

#: Japanese labels of the evaluation measures, for reports to planners.
EVALUATION_LABELS: dict[str, str] = {
    "n_municipalities": "市区町村数",
    "n_regions": "リージョン数",
    "ssd_within": "リージョン内平方和",
    "ssd_total": "全体平方和",
    "ssd_ratio": "リージョン内平方和の割合",
    "floor": "下限値",
    "floor_ok": "全リージョンが下限以上",
    "n_below_floor": "下限未満のリージョン数",
    "contiguous": "全リージョンが連続",
    "n_not_contiguous": "非連続のリージョン数",
    "compactness_median": "コンパクト度（等周比）中央値",
    "compactness_min": "コンパクト度（等周比）最小",
    "compactness_min_largest_part": "コンパクト度（等周比）最小（最大の陸地部分）",
    "n_elongated": "細長いリージョンの数（最大の陸地部分の等周比が0.05未満）",
    "n_archipelago_low": "等周比が0.05未満で、島々を含むため低いリージョンの数",
    "population_min": "人口 最小",
    "population_median": "人口 中央値",
    "population_max": "人口 最大",
    "population_cv": "人口の変動係数",
}


#: Japanese names of the reference groupings of :func:`regionlib.references.reference_groupings`.
REFERENCE_NAMES: dict[str, str] = {
    "prefecture": "都道府県",
    "eight_regions": "八地方区分",
    "national_plan_areas": "広域地方計画区域",
    "commuting_zone_2020": "通勤圏(2020)",
    "commuting_zone_2015": "通勤圏(2015)",
    "blocks": "ブロック",
}


def _labels(labels: pd.Series) -> pd.Series:
    if not isinstance(labels, pd.Series):
        raise RegionlibError(
            "labels はコードをインデックスにした pandas の Series にしてください / "
            "labels must be a pandas Series on the code index"
        )
    if labels.isna().any():
        codes = labels.index[labels.isna()].tolist()
        raise RegionlibError(
            f"{len(codes)} 市区町村にリージョンがありません: {codes[:10]} / "
            f"{len(codes)} municipalities have no region: {codes[:10]}"
        )
    if labels.index.has_duplicates:
        raise RegionlibError(
            "labels に同じ市区町村コードが 2 回出てきます / "
            "a municipality code appears twice in the labels"
        )
    return labels


def _aligned(gdf: pd.DataFrame, labels: pd.Series) -> pd.Series:
    labels = _labels(labels)
    missing = labels.index[~labels.index.isin(gdf.index)]
    if len(missing):
        raise RegionlibError(
            f"labels のコードのうち表にないもの: {list(missing[:10])} / "
            f"labelled codes not in the table: {list(missing[:10])}"
        )
    unlabelled = gdf.index[~gdf.index.isin(labels.index)]
    if len(unlabelled):
        raise RegionlibError(
            f"表の {len(unlabelled)} 市区町村にリージョンがありません（{list(unlabelled[:10])}）。どの市区町村もちょうど 1 つのリージョンに入れてください / "
            f"{len(unlabelled)} municipalities of the table have no region "
            f"({list(unlabelled[:10])}); every municipality must be in exactly one region"
        )
    return labels.loc[gdf.index]


def sum_of_squares(
    gdf: pd.DataFrame,
    labels: pd.Series,
    columns: Sequence[str],
    *,
    standardize: bool = True,
    missing: str = "error",
) -> tuple[float, float]:
    """Compute the within-region and total sum of squares of the indicator columns.

    Parameters
    ----------
    gdf
        Municipalities on the code index.
    labels
        Region per code.
    columns
        Indicator columns.
    standardize
        z-score the columns first (as :func:`regionlib.regions.regionalize` does).
    missing
        ``"error"`` or ``"median"``, as in :func:`regionlib.regions.regionalize`.

    Returns
    -------
    tuple of float
        ``(within, total)``.
    """
    labels = _aligned(gdf, labels)
    # same feature preparation as regionalize, so the numbers match its objective
    x = feature_matrix(gdf, list(columns), standardize, missing)
    frame = pd.DataFrame(x, index=gdf.index)
    means = frame.groupby(labels.to_numpy()).transform("mean").to_numpy()
    within = float(((x - means) ** 2).sum())
    total = float(((x - x.mean(axis=0)) ** 2).sum())
    return within, total


def check_floor(gdf: pd.DataFrame, labels: pd.Series, floor: tuple[str, float]) -> pd.Series:
    """Check the floor: total of the floor column per region and whether it is reached.

    Parameters
    ----------
    gdf
        Municipalities on the code index.
    labels
        Region per code.
    floor
        ``(column, minimum)``.

    Returns
    -------
    pandas.Series
        Boolean per region, named ``floor_ok``; the totals are in ``attrs["totals"]``.
    """
    labels = _aligned(gdf, labels)
    column, minimum = floor
    if column not in gdf.columns:
        raise UnknownNameError(
            f"下限値の列 {column!r} は表にありません / "
            f"floor column {column!r} is not in the table{suggest(column, map(str, gdf.columns))}"
        )
    totals = pd.to_numeric(gdf[column], errors="coerce").groupby(labels.to_numpy()).sum()
    ok = (totals >= minimum).rename("floor_ok")
    ok.index.name = "region"
    ok.attrs["totals"] = totals
    return ok


# Adjusted Rand index and adjusted mutual information, as sklearn.metrics computes them
# (adjusted_rand_score; adjusted_mutual_info_score with the arithmetic mean), written here
# with numpy because importing sklearn.metrics costs a command 0.6 s (it loads scipy.stats),
# more than a whole nationwide max-p. tests/test_evaluate.py checks both against sklearn.


def _contingency(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense contingency table of two labellings (rows: ``a``'s groups, columns: ``b``'s)."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.int64)
    np.add.at(table, (ia, ib), 1)
    return table


def adjusted_rand(truth: np.ndarray, labels: np.ndarray) -> float:
    """Return the adjusted Rand index of ``labels`` against ``truth`` (as sklearn's)."""
    c = _contingency(truth, labels)
    n = int(c.sum())
    rows, cols = c.sum(axis=1), c.sum(axis=0)
    squares = int((c.astype(np.float64) ** 2).sum())
    tp = squares - n
    fp = int((c @ cols).sum()) - squares
    fn = int((c.T @ rows).sum()) - squares
    tn = n * n - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def _entropy(counts: np.ndarray) -> float:
    counts = counts[counts > 0].astype(np.float64)
    if counts.size <= 1:
        return 0.0
    total = counts.sum()
    return float(-np.sum((counts / total) * (np.log(counts) - np.log(total))))


def _expected_mutual_information(c: np.ndarray) -> float:
    """Return the expected mutual information of random labellings with these group sizes."""
    n = int(c.sum())
    a, b = c.sum(axis=1), c.sum(axis=0)
    if a.size == 1 or b.size == 1:
        return 0.0
    # log(k!) for k = 0…n: every gamma function below is of a whole number (scipy.special's
    # gammaln would cost its 0.1 s import)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])

    def gammaln(x: np.ndarray) -> np.ndarray:  # log Γ(x) = log((x - 1)!) for whole x ≥ 1
        return log_factorial[np.asarray(x, dtype=np.int64) - 1]

    # every (row, column, n_ij) the hypergeometric model allows, at once
    ii, jj = np.meshgrid(np.arange(a.size), np.arange(b.size), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    start = np.maximum(a[ii] + b[jj] - n, 1)
    end = np.minimum(a[ii], b[jj]) + 1
    length = np.maximum(end - start, 0)
    pair = np.repeat(np.arange(ii.size), length)
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    nij = (start[pair] + offset).astype(np.float64)
    ai, bj = a[ii[pair]].astype(np.float64), b[jj[pair]].astype(np.float64)
    term2 = np.log(n) + np.log(nij) - np.log(ai) - np.log(bj)
    gln = (
        gammaln(ai + 1)
        + gammaln(bj + 1)
        + gammaln(n - ai + 1)
        + gammaln(n - bj + 1)
        - gammaln(nij + 1)
        - gammaln(np.full(ai.shape, n + 1))
        - gammaln(ai - nij + 1)
        - gammaln(bj - nij + 1)
        - gammaln(n - ai - bj + nij + 1)
    )
    return float(np.sum(nij / n * term2 * np.exp(gln)))


def adjusted_mutual_information(truth: np.ndarray, labels: np.ndarray) -> float:
    """Return the adjusted mutual information (arithmetic mean, as sklearn's default)."""
    c = _contingency(truth, labels)
    rows, cols = c.sum(axis=1), c.sum(axis=0)
    if rows.size == cols.size == 1 or rows.size == cols.size == 0:
        return 1.0  # neither labelling splits the data: a perfect match
    if rows.size == 1 or cols.size == 1:
        return 0.0
    n = float(c.sum())
    i, j = np.nonzero(c)
    nz = c[i, j].astype(np.float64)
    outer = rows[i].astype(np.int64) * cols[j].astype(np.int64)
    terms = nz / n * (np.log(nz) - np.log(n)) + nz / n * (
        -np.log(outer) + np.log(rows.sum()) + np.log(cols.sum())
    )
    terms = np.where(np.abs(terms) < np.finfo(np.float64).eps, 0.0, terms)
    mi = max(float(terms.sum()), 0.0)
    emi = _expected_mutual_information(c)
    normalizer = (_entropy(rows) + _entropy(cols)) / 2.0
    eps = np.finfo(np.float64).eps
    # keep the sign where rounding makes 0/0 of a perfect match (as sklearn does)
    denominator = normalizer - emi
    denominator = min(denominator, -eps) if denominator < 0 else max(denominator, eps)
    numerator = mi - emi
    numerator = min(numerator, -eps) if numerator < 0 else max(numerator, eps)
    return float(numerator / denominator)


def check_contiguity(labels: pd.Series, graph: Graph | _graph.Edges) -> pd.Series:
    """Check that each region is connected on the graph.

    Parameters
    ----------
    labels
        Region per code.
    graph
        Contiguity graph containing every labelled code.

    Returns
    -------
    pandas.Series
        Boolean per region, named ``contiguous``.
    """
    labels = _labels(labels)
    adjacency = _graph.adjacency_matrix(graph, labels.index).tocoo()
    values = labels.to_numpy()
    same = values[adjacency.row] == values[adjacency.col]
    sub = adjacency.copy()
    sub.data = np.where(same, 1.0, 0.0)
    sub.eliminate_zeros()
    comp = csgraph.connected_components(sub.tocsr(), directed=False)[1]
    n_parts = pd.Series(comp).groupby(values).nunique()
    out = (n_parts == 1).rename("contiguous")
    out.index.name = "region"
    return out


def compactness(gdf: gpd.GeoDataFrame, labels: pd.Series, *, parts: str = "all") -> pd.Series:
    """Compute the isoperimetric quotient 4πA/P² of each region's dissolved shape.

    Parameters
    ----------
    gdf
        Municipalities with geometry.
    labels
        Region per code.
    parts
        ``"all"``: the whole region, islands included (an archipelago such as 小笠原村 scores
        0.03 on its own); ``"largest"``: the region's largest piece of land with its holes
        filled, which measures the shape a planner draws (snakes score low) rather than the
        coastline.

    Returns
    -------
    pandas.Series
        Quotient per region (1 = disc, near 0 = elongated or fragmented), named ``compactness``.
    """
    if parts not in ("all", "largest"):
        raise RegionlibError(
            f"parts は 'all' か 'largest' にしてください（指定は {parts!r}） / "
            f"parts must be 'all' or 'largest', got {parts!r}"
        )
    whole, largest, _ = _quotients(gdf, labels)
    return whole if parts == "all" else largest


#: Isoperimetric quotient below which a region's largest land piece counts as elongated (a
#: "snake"); the whole-region quotient of a region with islands falls below it through the
#: islands' coastline alone (小笠原村 scores 0.03 on its own), so that is counted apart.
ELONGATED = 0.05


def _quotients(gdf: gpd.GeoDataFrame, labels: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Quotients of the whole regions and of their largest pieces, and the pieces per region."""
    labels = _aligned(gdf, labels)
    shapes = gpd.GeoDataFrame(
        {"region": labels.to_numpy()}, geometry=gdf.geometry.to_crs(settings.area_crs).to_numpy()
    )
    # municipalities tile the country: a coverage union is 6x faster than a general union and
    # gives the same shapes; if the input is not a clean coverage (its area changes), use the
    # general union
    dissolved = shapes.dissolve("region", method="coverage").geometry
    if not np.isclose(dissolved.area.sum(), shapes.area.sum(), rtol=1e-6):
        dissolved = shapes.dissolve("region").geometry
    pieces = dissolved.explode(index_parts=False)
    order = np.lexsort((-pieces.area.to_numpy(), pieces.index.to_numpy()))
    pieces = pieces.iloc[order]
    biggest = pieces[~pieces.index.duplicated(keep="first")]
    filled = gpd.GeoSeries(
        shapely.polygons(shapely.get_exterior_ring(biggest.to_numpy())),
        index=biggest.index,
        crs=dissolved.crs,
    )
    out = []
    for shapes_ in (dissolved, filled.reindex(dissolved.index)):
        out.append((4 * np.pi * shapes_.area / shapes_.length**2).rename("compactness"))
    n_pieces = pieces.index.value_counts().reindex(dissolved.index).rename("pieces")
    return out[0], out[1], n_pieces


def agreement(labels: pd.Series, reference: pd.Series) -> dict[str, float]:
    """Measure agreement with a reference: adjusted Rand index and adjusted mutual information.

    Parameters
    ----------
    labels
        Region per code.
    reference
        Reference group per code (e.g. commuting zone).

    Returns
    -------
    dict
        ``ari``, ``ami``, ``n_split`` (reference groups whose members fall in more than one
        region) and ``n_common`` (codes in both; the others are ignored).
    """
    common = labels.index.intersection(reference.index)
    if len(common) < 2:
        raise RegionlibError(
            "labels と参照の区分に共通するコードが 2 つ未満です / "
            "the labels and the reference share fewer than two codes"
        )
    a = labels.loc[common].astype(str).to_numpy()
    b = reference.loc[common].astype(str).to_numpy()
    n_split = int((pd.Series(a).groupby(b).nunique() > 1).sum())
    return {
        "ari": adjusted_rand(b, a),
        "ami": adjusted_mutual_information(b, a),
        "n_split": n_split,
        "n_common": len(common),
    }


def evaluate(
    gdf: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    columns: Sequence[str] | None = None,
    floor: tuple[str, float] | None = None,
    graph: Graph | _graph.Edges | None = None,
    population: str | None = None,
    references: Mapping[str, pd.Series] | None = None,
    missing: str = "error",
) -> pd.Series:
    """Evaluate a labelling of municipalities into regions.

    Parameters
    ----------
    gdf
        Municipalities on the code index (geometry for compactness and, without ``graph``,
        contiguity).
    labels
        Region per code; every municipality of ``gdf`` must have one.
    columns
        Indicator columns for the sums of squares (skipped when None).
    floor
        ``(column, minimum)`` to check.
    graph
        Contiguity graph; default :func:`regionlib.graph.contiguity` of ``gdf``.
    population
        Population column for the balance measures; default ``population`` or
        ``population_2020`` when present.
    references
        Named reference groupings; for each, ``ari_<name>``, ``ami_<name>`` and
        ``split_<name>`` (number of its groups split between regions) are added.
    missing
        Missing indicator values: ``"error"`` or ``"median"`` (as in ``regionalize``).

    Returns
    -------
    pandas.Series
        Measures by name (see ``EVALUATION_LABELS`` for their Japanese labels).
    """
    labels = _aligned(gdf, labels)
    out: dict[str, object] = {
        "n_municipalities": len(labels),
        "n_regions": int(labels.nunique()),
    }
    if columns:
        within, total = sum_of_squares(gdf, labels, columns, missing=missing)
        out |= {"ssd_within": within, "ssd_total": total, "ssd_ratio": within / total}
    if floor is not None:
        ok = check_floor(gdf, labels, floor)
        out |= {
            "floor": float(floor[1]),
            "floor_ok": bool(ok.all()),
            "n_below_floor": int((~ok).sum()),
        }
    if graph is None and isinstance(gdf, gpd.GeoDataFrame):
        graph = _graph.contiguity_edges(gdf)
    if graph is not None:
        contiguous = check_contiguity(labels, graph)
        out |= {"contiguous": bool(contiguous.all()), "n_not_contiguous": int((~contiguous).sum())}
    if isinstance(gdf, gpd.GeoDataFrame):
        iq, body, n_pieces = _quotients(gdf, labels)
        out |= {
            "compactness_median": float(iq.median()),
            "compactness_min": float(iq.min()),
            "compactness_min_largest_part": float(body.min()),
            "n_elongated": int((body < ELONGATED).sum()),
            "n_archipelago_low": int(
                ((iq < ELONGATED) & (body >= ELONGATED) & (n_pieces > 1)).sum()
            ),
        }
    pop_col = population or next(
        (c for c in ("population", "population_2020") if c in gdf.columns), None
    )
    if pop_col is not None:
        pops = pd.to_numeric(gdf[pop_col], errors="coerce").groupby(labels.to_numpy()).sum()
        out |= {
            "population_min": float(pops.min()),
            "population_median": float(pops.median()),
            "population_max": float(pops.max()),
            "population_cv": float(pops.std(ddof=0) / pops.mean()) if pops.mean() else np.nan,
        }
    for name, reference in (references or {}).items():
        scores = agreement(labels, reference)
        out[f"ari_{name}"] = scores["ari"]
        out[f"ami_{name}"] = scores["ami"]
        out[f"split_{name}"] = scores["n_split"]
    return pd.Series(out, name="evaluation", dtype=object)


def measure_label(key: str) -> str:
    """Return the Japanese label of an evaluation measure.

    Parameters
    ----------
    key
        A key of :func:`evaluate`'s result, including ``ari_<reference>`` and
        ``ami_<reference>``.

    Returns
    -------
    str
        The label (the key itself when none is known), e.g. for a table:
        ``result.rename(index=measure_label)``.
    """
    if key.startswith(("ari_", "ami_")):
        ref = key[4:]
        kind = "調整ランド指数" if key.startswith("ari_") else "調整相互情報量"
        return f"{REFERENCE_NAMES.get(ref, ref)}との一致（{kind}）"
    if key.startswith("split_"):
        ref = key[6:]
        return f"分割された{REFERENCE_NAMES.get(ref, ref)}の数"
    return EVALUATION_LABELS.get(key, key)


def format_evaluation(result: pd.Series) -> str:
    """Format an evaluation as aligned Japanese text lines for planners.

    Parameters
    ----------
    result
        The output of :func:`evaluate`.

    Returns
    -------
    str
        One ``label: value`` line per measure.
    """
    return "\n".join(
        f"{measure_label(key)}: {format_value(value, key)}" for key, value in result.items()
    )


#: Measures that count people (or the floor's unit): whole numbers whatever their size.
_COUNTS = frozenset({"floor", "population_min", "population_median", "population_max"})


def format_value(value: object, key: str | None = None) -> str:
    """Format one evaluation value for planners (はい/いいえ, thousands separators, 3 decimals).

    Parameters
    ----------
    value
        A value of :func:`evaluate`'s result.
    key
        Its measure; counts of people are shown as whole numbers (169, not 169.000).

    Returns
    -------
    str
        The text; an empty string for a missing value.
    """
    if isinstance(value, bool | np.bool_):
        return "はい" if value else "いいえ"
    if isinstance(value, int | np.integer):
        return f"{value:,d}"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return ""
        return f"{value:,.0f}" if abs(value) >= 1000 or key in _COUNTS else f"{value:.3f}"
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def random_regions(
    graph: Graph | _graph.Edges,
    index: pd.Index,
    n_regions: int,
    *,
    random_state: int | None = None,
) -> pd.Series:
    """Draw a random contiguous partition with ``n_regions`` regions.

    Seeds are drawn at random, then regions grow one random neighbour at a time (the region to
    grow is drawn at random too) until every municipality is taken.

    Parameters
    ----------
    graph
        A connected contiguity graph (one seed is placed in each part if it is not).
    index
        Codes to partition.
    n_regions
        Number of regions.
    random_state
        Seed; default ``settings.random_state``.

    Returns
    -------
    pandas.Series
        Region number (1…n_regions) per code, named ``region``.
    """
    adjacency = _graph.adjacency_matrix(graph, pd.Index(index))
    n = adjacency.shape[0]
    n_parts, part = csgraph.connected_components(adjacency, directed=False)
    if not n_parts <= n_regions <= n:
        raise RegionlibError(
            f"n_regions は {n_parts}（グラフの部分の数）から {n} の間にしてください（指定は {n_regions}） / "
            f"n_regions must be between {n_parts} (parts of the graph) and {n}, got {n_regions}"
        )
    rng = np.random.default_rng(settings.random_state if random_state is None else random_state)
    seeds = [int(rng.choice(np.flatnonzero(part == p))) for p in range(n_parts)]
    rest = np.setdiff1d(np.arange(n), seeds)
    seeds += [int(s) for s in rng.choice(rest, n_regions - n_parts, replace=False)]
    labels = np.full(n, -1)
    frontier: list[list[int]] = []
    for r, s in enumerate(seeds):
        labels[s] = r
    indptr, indices = adjacency.indptr, adjacency.indices
    for s in seeds:
        frontier.append([int(u) for u in indices[indptr[s] : indptr[s + 1]]])
    active = list(range(n_regions))
    while active:
        k = int(rng.integers(len(active)))
        r = active[k]
        cand = [u for u in frontier[r] if labels[u] < 0]
        if not cand:
            active.pop(k)
            continue
        u = cand[int(rng.integers(len(cand)))]
        labels[u] = r
        frontier[r] = cand + [int(v) for v in indices[indptr[u] : indptr[u + 1]]]
    return pd.Series(labels + 1, index=pd.Index(index, name="code"), name="region")
