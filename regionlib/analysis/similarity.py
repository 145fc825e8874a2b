"""Similar municipalities: explained clusters, peers, and comparison tables.

All functions take either an indicator table (index ``code``; for example
:func:`regionlib.table.load_table`) plus indicator names, or a :class:`~regionlib.features.Features`
object already prepared with :func:`regionlib.features.prepare_features`. Distances are
Euclidean on the robustly standardised (and weighted) indicators.

- :func:`cluster_municipalities`: k-means, Ward or a Gaussian mixture (scikit-learn / SciPy);
  ``k="auto"`` chooses k from the silhouette, Calinski–Harabasz and (mixture) BIC, and keeps
  that evidence as a table. Labels are 1…k, numbered by size (1 = largest).
- :func:`profile_clusters`: size, population, mean z-score per indicator, the medoid
  municipality and a short Japanese description per cluster.
- :func:`find_peers`: the k most similar municipalities to one municipality, with each
  indicator's share of the distance.
- :func:`compare_municipality`: the municipality against its peers' median, its prefecture and
  the nation, with rank and percentile.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from regionlib import similarity
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame(
...     {"aging_rate": rng.normal(35, 5, 40), "child_share": rng.normal(11, 2, 40)},
...     index=pd.Index([f"01{i:03d}" for i in range(40)], name="code"),
... )
>>> peers = similarity.find_peers(df, "01000", k=3)
>>> len(peers)
3
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionlib import settings
from regionlib._errors import (
    RegionlibError,
    UnknownNameError,
    suggest,
)
from regionlib._log import log
from regionlib.analysis.features import Features, indicator_label, indicator_unit, prepare_features
from regionlib.data import codes

__all__ = [
    "METHODS",
    "Clustering",
    "cluster_municipalities",
    "compare_municipality",
    "describe_cluster",
    "find_peers",
    "profile_clusters",
    "resolve_code",
]

METHODS = ("kmeans", "ward", "gmm")
# A two-group "typology" (urban/rural) wins on silhouette and Calinski-Harabasz almost always
# and tells a reader little: k=auto starts at 3 unless k_range says otherwise.
_DEFAULT_K_RANGE = (3, 12)


def _as_features(
    data: pd.DataFrame | Features,
    indicators: Sequence[str] | None,
    *,
    weights: Mapping[str, float] | None,
    missing: str,
) -> Features:
    if isinstance(data, Features):
        if indicators is not None and list(indicators) != data.indicators:
            msg = (
                "準備済みの Features の指標は変えられません。prepare_features をもう一度呼んでください / "
                "indicators cannot be changed on prepared Features; call prepare_features again"
            )
            raise RegionlibError(msg)
        return data
    return prepare_features(data, indicators, weights=weights, missing=missing)


def _seed(random_state: int | None) -> int:
    return settings.random_state if random_state is None else int(random_state)


# --------------------------------------------------------------------------------------------
# clustering


@dataclass
class Clustering:
    """Result of :func:`cluster_municipalities`.

    Attributes
    ----------
    labels
        Cluster of each municipality used (index ``code``, name ``cluster``), 1…k with 1 the
        largest cluster.
    k
        Number of clusters.
    method
        ``"kmeans"``, ``"ward"`` or ``"gmm"``.
    evidence
        One row per candidate k (index ``k``): ``silhouette``, ``calinski_harabasz``, ``bic``
        (mixture only, else NaN), ``mean_rank`` (mean of the criteria's ranks, 1 = best) and
        ``chosen``. For a fixed k, the scores of that k alone.
    features
        The features the clustering was computed on.
    random_state
        The seed used.
    """

    labels: pd.Series
    k: int
    method: str
    evidence: pd.DataFrame
    features: Features
    random_state: int


def _fit_labels(x: np.ndarray, method: str, k: int, seed: int) -> tuple[np.ndarray, float]:
    """Fit one model; return raw labels and BIC (NaN unless gmm)."""
    if method == "kmeans":
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=k, n_init=10, random_state=seed)
        return model.fit_predict(x), np.nan
    if method == "gmm":
        from sklearn.mixture import GaussianMixture

        model = GaussianMixture(
            n_components=k, covariance_type="full", n_init=1, random_state=seed, reg_covar=1e-4
        )
        labels = model.fit(x).predict(x)
        return labels, float(model.bic(x))
    msg = f"方法 '{method}' はありません / unknown method '{method}'{suggest(method, METHODS)}"
    raise UnknownNameError(msg)


def _ward_tree(x: np.ndarray) -> np.ndarray:
    # SciPy's ward linkage gives the same tree as sklearn's AgglomerativeClustering(linkage=
    # "ward"), but it is built once and cut at every candidate k, instead of refitted per k.
    from scipy.cluster.hierarchy import linkage

    return linkage(x, method="ward")


def _relabel_by_size(raw: np.ndarray, codes: pd.Index) -> np.ndarray:
    """Renumber clusters 1…k by decreasing size; ties by the smallest member code."""
    frame = pd.DataFrame({"raw": raw, "code": np.asarray(codes, dtype=str)})
    stats = frame.groupby("raw").agg(size=("code", "size"), first=("code", "min"))
    stats = stats.sort_values(["size", "first"], ascending=[False, True])
    mapping = {old: new for new, old in enumerate(stats.index, start=1)}
    return np.array([mapping[r] for r in raw], dtype=int)


def _scores(x: np.ndarray, labels: np.ndarray, seed: int) -> tuple[float, float]:
    if len(np.unique(labels)) < 2:
        return np.nan, np.nan
    from sklearn.metrics import calinski_harabasz_score, silhouette_score

    return float(silhouette_score(x, labels, random_state=seed)), float(
        calinski_harabasz_score(x, labels)
    )


def _check_k(k: int, n: int, what: str) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        msg = (
            f"{what} は整数か 'auto' にしてください（指定は {k!r}） / "
            f"{what} must be an integer or 'auto', not {k!r}"
        )
        raise RegionlibError(msg)
    if k < 2 and what == "k":
        msg = f"k={k}: クラスターは 2 つ以上必要です / k={k}: at least 2 clusters are needed"
        raise RegionlibError(msg)
    if k >= n:
        msg = (
            f"{what}={k} が市区町村の数（{n}）より小さくありません。もっと少なくしてください / "
            f"{what}={k} is not smaller than the number of municipalities ({n}); choose fewer"
        )
        raise RegionlibError(msg)


def cluster_municipalities(
    data: pd.DataFrame | Features,
    indicators: Sequence[str] | None = None,
    *,
    method: str = "kmeans",
    k: int | str = "auto",
    k_range: tuple[int, int] = _DEFAULT_K_RANGE,
    weights: Mapping[str, float] | None = None,
    missing: str = "drop",
    random_state: int | None = None,
) -> Clustering:
    """Group municipalities into k clusters of similar indicator profiles.

    Parameters
    ----------
    data
        Indicator table (index ``code``) or prepared :class:`~regionlib.features.Features`.
    indicators
        Indicator columns (table input only); default every numeric indicator column.
    method
        ``"kmeans"`` (:class:`sklearn.cluster.KMeans`, 10 starts), ``"ward"`` (Ward linkage)
        or ``"gmm"`` (:class:`sklearn.mixture.GaussianMixture`, full covariance).
    k
        Number of clusters, or ``"auto"``: fit every k in ``k_range`` and keep the one with
        the best mean rank over the silhouette (higher is better), the Calinski–Harabasz index
        (higher) and, for ``"gmm"``, the BIC (lower); ties go to the smaller k.
    k_range
        Smallest and largest k tried by ``k="auto"`` (inclusive). The default starts at 3:
        two clusters (urban/rural) nearly always score best and explain little; pass
        ``(2, 12)`` to allow them.
    weights, missing
        Passed to :func:`~regionlib.features.prepare_features` (table input only).
    random_state
        Seed; default ``settings.random_state``.

    Returns
    -------
    Clustering
        Labels numbered by size, the evidence table and the features.

    Raises
    ------
    RegionlibError
        k is not an integer, is below 2 or not below the number of municipalities; unknown
        method (:class:`UnknownNameError`).
    """
    if method not in METHODS:
        msg = (
            f"クラスタリングの方法 '{method}' はありません / "
            f"unknown clustering method '{method}'{suggest(method, METHODS)}"
        )
        raise UnknownNameError(msg)
    feats = _as_features(data, indicators, weights=weights, missing=missing)
    x = feats.matrix.to_numpy()
    n = len(x)
    seed = _seed(random_state)
    if isinstance(k, str):
        if k != "auto":
            msg = (
                f"k は整数か 'auto' にしてください（指定は '{k}'） / "
                f"k must be an integer or 'auto', not '{k}'"
            )
            raise RegionlibError(msg)
        lo, hi = int(k_range[0]), min(int(k_range[1]), n - 1)
        if lo < 2 or lo > hi:
            msg = (
                f"k_range={tuple(k_range)} は 2 <= 下限 <= 上限 < {n} にしてください / "
                f"k_range={tuple(k_range)} must satisfy 2 <= low <= high < {n}"
            )
            raise RegionlibError(msg)
        candidates = list(range(lo, hi + 1))
    else:
        _check_k(k, n, "k")
        candidates = [int(k)]

    evidence, fitted = _fit_candidates(feats.matrix, method, candidates, seed)
    ranks = [
        evidence["silhouette"].rank(ascending=False, method="min"),
        evidence["calinski_harabasz"].rank(ascending=False, method="min"),
    ]
    if method == "gmm":
        ranks.append(evidence["bic"].rank(ascending=True, method="min"))
    evidence["mean_rank"] = pd.concat(ranks, axis=1).mean(axis=1)
    best = int(evidence["mean_rank"].idxmin())  # first (smallest) k among ties
    evidence["chosen"] = evidence.index == best
    if len(candidates) > 1:
        log(
            f"clusters: {method} k=auto chose k={best} from k={candidates[0]}…{candidates[-1]}",
            ja=f"クラスタ: {method} の k=auto は k={candidates[0]}…{candidates[-1]} から k={best} を選びました",
        )

    labels = pd.Series(
        _relabel_by_size(fitted[str(best)].to_numpy(), feats.matrix.index),
        index=feats.matrix.index,
        name="cluster",
    )
    return Clustering(
        labels=labels, k=best, method=method, evidence=evidence, features=feats, random_state=seed
    )


def _fit_candidates(
    matrix: pd.DataFrame, method: str, candidates: list[int], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every candidate k; return the evidence (by k) and the raw labels (a column per k).

    Cached in the regionlib cache folder, keyed by the feature matrix, the method, the
    candidates, the seed and this module's code: a second ``regionlib clusters`` (or profile)
    on the same features reads them instead of fitting again.
    """
    from pathlib import Path

    from regionlib.data import _cache

    inputs = [_cache.content_hash(matrix), _cache.file_sha256(Path(__file__))]
    params = {"method": method, "k": [int(k) for k in candidates], "seed": int(seed)}
    memo: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def fit() -> tuple[pd.DataFrame, pd.DataFrame]:
        if not memo:
            memo["fit"] = _fit_all(matrix.to_numpy(), method, candidates, seed, matrix.index)
        return memo["fit"]

    labels = _cache.cached("clusters_labels", inputs, params, lambda: fit()[1], geometry=False)
    evidence = _cache.cached("clusters_evidence", inputs, params, lambda: fit()[0], geometry=False)
    evidence.index = evidence.index.astype(int)
    evidence.index.name = "k"
    return evidence, labels


def _fit_all(
    x: np.ndarray, method: str, candidates: list[int], seed: int, index: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, fitted = [], {}
    # A few thousand rows are clustered fastest on one thread: with the default thread pools
    # (OpenMP, BLAS) k-means and the mixture run 5-20 times slower on a busy 2-core machine.
    from scipy.cluster.hierarchy import cut_tree
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        tree = _ward_tree(x) if method == "ward" else None
        if tree is not None:
            cuts = cut_tree(tree, n_clusters=candidates)
        for j, kk in enumerate(candidates):
            if tree is not None:
                raw, bic = cuts[:, j], np.nan
            else:
                raw, bic = _fit_labels(x, method, kk, seed)
            sil, ch = _scores(x, raw, seed)
            fitted[str(kk)] = np.asarray(raw, dtype=np.int64)
            rows.append({"k": kk, "silhouette": sil, "calinski_harabasz": ch, "bic": bic})
    evidence = pd.DataFrame(rows).set_index("k")
    return evidence, pd.DataFrame(fitted, index=index)


def describe_cluster(mean_z: pd.Series, *, max_terms: int = 3, threshold: float = 0.5) -> str:
    """Describe a cluster in Japanese from its most distinctive indicators.

    Parameters
    ----------
    mean_z
        Mean robust z-score per indicator (index: indicator names).
    max_terms
        Most indicators mentioned.
    threshold
        Smallest absolute mean z-score worth mentioning.

    Returns
    -------
    str
        For example 「高齢化率が高く、人口増減率が低い」, or 「全国の中央値に近い」 when no
        indicator stands out.

    Examples
    --------
    >>> import pandas as pd
    >>> describe_cluster(pd.Series({"x": 1.2, "y": -0.8, "z": 0.1}))
    'xが高く、yが低い'
    """
    z = mean_z.dropna()
    order = z.abs().sort_values(ascending=False, kind="stable")
    picked = [name for name in order.index if abs(z[name]) >= threshold][:max_terms]
    if not picked:
        return "全国の中央値に近い"
    parts = []
    for i, name in enumerate(picked):
        last = i == len(picked) - 1
        high = bool(z[name] > 0)
        phrase = _PHRASES.get(name, {}).get(high)
        if phrase is None:
            label = indicator_label(name, short=True)
            # counts per head read 多い/少ない in Japanese; rates, shares and indices (財政力指数)
            # 高い/低い
            count = label.endswith("数") and not label.endswith(("指数", "係数"))
            up, down = ("多", "少な") if count else ("高", "低")
            stem = up if high else down
            phrase = (f"{label}が{stem}く", f"{label}が{stem}い")
        parts.append(phrase[1] if last else phrase[0])
    return "、".join(parts)


# Natural wording for indicators whose "high"/"low" reads badly (continuative, final form).
_PHRASES: dict[str, dict[bool, tuple[str, str]]] = {
    "population_2020": {
        True: ("人口が多く", "人口が多い"),
        False: ("人口が少なく", "人口が少ない"),
    },
    "population_2015": {
        True: ("人口が多く", "人口が多い"),
        False: ("人口が少なく", "人口が少ない"),
    },
    "population_change_2015_2020": {
        True: ("人口が増加し", "人口が増加している"),
        False: ("人口減少が大きく", "人口減少が大きい"),
    },
    "natural_change_rate": {False: ("自然減が大きく", "自然減が大きい")},
    "social_change_rate": {
        True: ("転入超過が大きく", "転入超過が大きい"),
        False: ("転出超過が大きく", "転出超過が大きい"),
    },
}


def _distances(x: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``x``, as ``sklearn.metrics.pairwise_distances``.

    The same operations in the same order (squared norms plus the Gram matrix, clipped at 0,
    zero diagonal), so the values are sklearn's to the last bit (tested): importing
    sklearn.metrics costs a command 0.6 s (it loads scipy.stats), more than the clustering.
    """
    x = np.asarray(x, dtype=np.float64)
    squared = np.einsum("ij,ij->i", x, x)[:, None]
    out = -2 * (x @ x.T)
    out += squared
    out += squared.T
    np.maximum(out, 0.0, out=out)
    np.fill_diagonal(out, 0.0)
    return np.sqrt(out, out=out)


def _medoid(x: np.ndarray) -> int:
    """Index of the row with the smallest total distance to the others."""
    return int(np.argmin(_distances(x).sum(axis=1)))


def profile_clusters(
    clustering: Clustering, *, max_terms: int = 3, threshold: float = 0.5
) -> pd.DataFrame:
    """Summarise each cluster: size, population, mean z-scores, medoid and description.

    Parameters
    ----------
    clustering
        Result of :func:`cluster_municipalities`.
    max_terms, threshold
        Passed to :func:`describe_cluster`.

    Returns
    -------
    pandas.DataFrame
        Index ``cluster`` (1…k); columns ``size``, ``population`` (sum, if the table had a
        population column), ``medoid`` (code), ``medoid_name``, ``description`` and one
        ``z_<indicator>`` column per indicator (mean robust z-score, unweighted).
    """
    feats = clustering.features
    labels = clustering.labels
    z = feats.zscores
    x = feats.matrix.to_numpy()
    rows = []
    for c in sorted(labels.unique()):
        members = labels.index[labels == c]
        pos = np.flatnonzero((labels == c).to_numpy())
        mean_z = z.loc[members].mean()
        medoid = str(members[_medoid(x[pos])])
        row = {"cluster": int(c), "size": len(members)}
        if "population" in feats.meta.columns:
            row["population"] = float(feats.meta.loc[members, "population"].sum())
        row["medoid"] = medoid
        row["medoid_name"] = _display_name(feats.meta, medoid)
        row["description"] = describe_cluster(mean_z, max_terms=max_terms, threshold=threshold)
        row.update({f"z_{n}": float(mean_z[n]) for n in feats.indicators})
        rows.append(row)
    return pd.DataFrame(rows).set_index("cluster")


def _display_name(meta: pd.DataFrame, code: str) -> str:
    if "name" not in meta.columns:
        return code
    name = str(meta.at[code, "name"])
    if "prefecture" in meta.columns:
        return f"{meta.at[code, 'prefecture']}{name}"
    return name


# --------------------------------------------------------------------------------------------
# peers


def resolve_code(meta: pd.DataFrame, municipality: str | int) -> str:
    """Return the code of a municipality given by code or unambiguous name.

    Parameters
    ----------
    meta
        Table with index ``code`` and columns ``name`` (and ``prefecture``).
    municipality
        5-digit code (or a form :func:`regionlib.codes.normalize_code` accepts), name
        (``"夕張市"``) or prefecture + name (``"東京都府中市"``).

    Returns
    -------
    str
        The 5-digit code, present in ``meta``.

    Raises
    ------
    UnknownNameError
        No such municipality (close names are suggested).
    AmbiguousNameError
        The name fits several municipalities; the message lists them with their prefecture.
    """
    query = str(municipality).strip()
    if query in meta.index:
        return query
    code = codes.resolve_municipality(query, candidates=meta)
    if code not in meta.index:
        msg = (
            f"市区町村 '{query}'（{code}）はこの表にありません / "
            f"municipality '{query}' ({code}) is not in this table"
        )
        raise UnknownNameError(msg)
    return code


def find_peers(
    data: pd.DataFrame | Features,
    municipality: str | int,
    *,
    indicators: Sequence[str] | None = None,
    k: int = 10,
    same_prefecture: bool = False,
    other_prefectures: bool = False,
    population_within: float | None = None,
    weights: Mapping[str, float] | None = None,
    missing: str = "drop",
) -> pd.DataFrame:
    """Return the k municipalities most similar to one municipality.

    Parameters
    ----------
    data
        Indicator table (index ``code``) or prepared :class:`~regionlib.features.Features`.
    municipality
        Code or unambiguous name (see :func:`resolve_code`).
    indicators
        Indicator columns (table input only); default every numeric indicator column.
    k
        Number of peers.
    same_prefecture, other_prefectures
        Keep only peers in the same prefecture, or only peers in other prefectures.
    population_within
        Keep only peers whose population is within this many percent of the municipality's
        (``50`` = from half to one and a half times).
    weights, missing
        Passed to :func:`~regionlib.features.prepare_features` (table input only).

    Returns
    -------
    pandas.DataFrame
        Index ``code`` (the peers, nearest first); columns ``rank``, ``name``, ``prefecture``,
        ``population`` (when known), ``distance`` and one ``contrib_<indicator>`` column per
        indicator: its share of the squared distance (the shares sum to 1).
        ``attrs["target"]`` holds the municipality's code.

    Raises
    ------
    UnknownNameError, AmbiguousNameError
        The municipality cannot be identified.
    RegionlibError
        k is not positive or not smaller than the number of municipalities; the municipality
        was left out for missing values; contradictory restrictions.
    """
    feats = _as_features(data, indicators, weights=weights, missing=missing)
    target = resolve_code(feats.meta, municipality)
    matrix = feats.matrix
    if target not in matrix.index:
        miss = [n for n in feats.indicators if pd.isna(feats.raw.at[target, n])]
        msg = (
            f"{_display_name(feats.meta, target)}（{target}）には次の指標の値がありません："
            f"{', '.join(miss)}。その指標を外すか missing='impute' を指定してください / "
            f"{_display_name(feats.meta, target)} ({target}) has no value for "
            f"{', '.join(miss)}; leave those indicators out or pass missing='impute'"
        )
        raise RegionlibError(msg)
    n = len(matrix)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k は正の整数にしてください / k must be a positive integer, not {k!r}"
        raise RegionlibError(msg)
    if k >= n:
        msg = (
            f"k={k} ですが、表にはほかに {n - 1} 市区町村しかありません / "
            f"k={k} peers asked, but only {n - 1} other municipalities are in the table"
        )
        raise RegionlibError(msg)
    if same_prefecture and other_prefectures:
        msg = (
            "same_prefecture と other_prefectures は同時に使えません / "
            "same_prefecture and other_prefectures exclude each other; choose one"
        )
        raise RegionlibError(msg)

    keep = matrix.index != target
    meta = feats.meta if feats.meta.index.equals(matrix.index) else feats.meta.loc[matrix.index]
    if same_prefecture or other_prefectures:
        same = (meta["pref_code"] if "pref_code" in meta else meta["prefecture"]).to_numpy()
        same = same == same[matrix.index.get_loc(target)]
        keep &= same if same_prefecture else ~same
    if population_within is not None:
        if not float(population_within) > 0:
            msg = (
                f"population_within は正のパーセント（±30 % なら 30）にしてください / "
                f"population_within must be a positive percentage (30 for ±30 %), "
                f"not {population_within}"
            )
            raise RegionlibError(msg)
        if "population" not in meta.columns:
            msg = (
                "population_within には表に人口の列（population_2020）が必要です / "
                "population_within needs a population column (population_2020) in the table"
            )
            raise RegionlibError(msg)
        pop = meta["population"].to_numpy(dtype=float)
        p0 = float(meta.at[target, "population"])
        frac = float(population_within) / 100
        keep &= (pop >= p0 * (1 - frac)) & (pop <= p0 * (1 + frac))

    x = matrix.to_numpy()
    diff2 = (x - x[matrix.index.get_loc(target)]) ** 2
    dist2 = diff2.sum(axis=1)
    cand = np.flatnonzero(keep)
    # lexsort: by distance, then by code, so equal distances give a stable order
    order = cand[np.lexsort((np.asarray(matrix.index, dtype=str)[cand], dist2[cand]))][:k]
    if len(order) < k:
        log(
            f"peers: only {len(order)} municipalities meet the restrictions (asked for {k})",
            level=logging.WARNING,
            ja=f"条件に合う市区町村は {len(order)} 件だけです（{k} 件を指定）",
        )
    codes_out = matrix.index[order]
    # the columns built first and the frame once: a profile asks for peers twice, and setting
    # fifteen columns one by one cost it 10 ms
    columns: dict[str, object] = {"rank": np.arange(1, len(order) + 1)}
    for col in ("name", "prefecture", "population"):
        if col in meta.columns:
            columns[col] = meta[col].iloc[order].to_numpy()
    columns["distance"] = np.sqrt(dist2[order])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = diff2[order] / dist2[order, None]
    share = np.where(dist2[order, None] > 0, share, 0.0)
    for j, name in enumerate(feats.indicators):
        columns[f"contrib_{name}"] = share[:, j]
    out = pd.DataFrame(columns, index=pd.Index(codes_out, name="code"))
    out.attrs["target"] = target
    return out


def compare_municipality(
    data: pd.DataFrame | Features,
    municipality: str | int,
    *,
    peers: pd.DataFrame | Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
    k: int = 10,
    weights: Mapping[str, float] | None = None,
    missing: str = "drop",
) -> pd.DataFrame:
    """Compare a municipality with its peers, its prefecture and the nation.

    Parameters
    ----------
    data
        Indicator table (index ``code``) or prepared :class:`~regionlib.features.Features`.
    municipality
        Code or unambiguous name.
    peers
        The peers (a :func:`find_peers` result or a list of codes); default
        ``find_peers(data, municipality, k=k)``.
    indicators, weights, missing
        Passed to :func:`~regionlib.features.prepare_features` (table input only).
    k
        Number of peers when ``peers`` is None.

    Returns
    -------
    pandas.DataFrame
        Index ``indicator``; columns ``label`` (Japanese), ``unit``, ``value``,
        ``peers_median``, ``prefecture_median``, ``national_median``, ``rank`` (1 = highest
        value in the nation, among municipalities with a value), ``n`` (how many have a value)
        and ``percentile`` (share of municipalities with a lower value, ties counted half,
        in %). Medians and ranks use the raw (untransformed) values.
    """
    feats = _as_features(data, indicators, weights=weights, missing=missing)
    target = resolve_code(feats.meta, municipality)
    if peers is None:
        peers = find_peers(feats, target, k=k)
    peer_codes = list(peers.index) if isinstance(peers, pd.DataFrame) else list(peers)
    unknown = [c for c in peer_codes if c not in feats.raw.index]
    if unknown:
        msg = (
            f"類似する市区町村のコード {unknown[0]} は表にありません / "
            f"peer code {unknown[0]} is not in the table"
        )
        raise UnknownNameError(msg)
    raw = feats.raw
    group = feats.meta["pref_code"] if "pref_code" in feats.meta else feats.meta.get("prefecture")
    in_pref = raw.index if group is None else raw.index[group == group[target]]
    rows = []
    for name in feats.indicators:
        col = raw[name]
        value = col[target]
        valid = col.dropna()
        row = {
            "indicator": name,
            "label": indicator_label(name),
            "unit": indicator_unit(name),
            "value": value,
            "peers_median": col[peer_codes].median() if peer_codes else np.nan,
            "prefecture_median": col[in_pref].median(),
            "national_median": valid.median(),
            "n": len(valid),
        }
        if pd.isna(value):
            row["rank"], row["percentile"] = pd.NA, np.nan
        else:
            row["rank"] = int((valid > value).sum()) + 1
            below = (valid < value).sum() + 0.5 * ((valid == value).sum() - 1)
            row["percentile"] = 100 * below / max(len(valid) - 1, 1)
        rows.append(row)
    out = pd.DataFrame(rows).set_index("indicator")
    out["rank"] = out["rank"].astype("Int64")
    out.attrs["target"] = target
    return out
