"""Time regionlib's similarity functions against the plain scikit-learn calls they wrap.

National scale: all municipalities, every catalogue indicator (17-18), in one run.

    python benchmarks/bench_similarity.py [--repeat 3]

Targets: ``k="auto"`` clustering under 5 s, a peers query under 50 ms once the table is loaded.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import calinski_harabasz_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import RobustScaler
from threadpoolctl import threadpool_limits

from regionlib import features, indicators, settings, similarity, table

K_RANGE = range(3, 13)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def plain_auto_k(x: np.ndarray, method: str) -> int:
    """What a user would write with scikit-learn alone: fit every k, score, pick the best."""
    best, best_score = None, -np.inf
    for k in K_RANGE:
        if method == "kmeans":
            labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(x)
        elif method == "ward":
            labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
        else:
            labels = GaussianMixture(n_components=k, random_state=0, reg_covar=1e-4).fit_predict(x)
        score = silhouette_score(x, labels) + calinski_harabasz_score(x, labels) / 1e4
        if score > best_score:
            best, best_score = k, score
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings.progress = False

    names = list(indicators.catalogue())
    t0 = time.perf_counter()
    tbl = table.load_table(names, geometry=False)
    print(
        f"load_table: {len(tbl)} municipalities x {len(names)} indicators "
        f"in {time.perf_counter() - t0:.2f} s"
    )
    feats = features.prepare_features(tbl)
    x = feats.matrix.to_numpy()
    print(f"features: {x.shape[0]} rows used, {x.shape[1]} columns")

    rows = []
    t, _ = timed(lambda: features.prepare_features(tbl), args.repeat)
    plain, _ = timed(
        lambda: RobustScaler(unit_variance=True).fit_transform(tbl[names].dropna()), args.repeat
    )
    rows.append(("prepare_features", t, "RobustScaler (no report)", plain))

    for method in similarity.METHODS:
        t, res = timed(
            lambda m=method: similarity.cluster_municipalities(feats, method=m, k="auto"),
            args.repeat,
        )
        plain_default, _ = timed(lambda m=method: plain_auto_k(x, m), 1)
        with threadpool_limits(limits=1):
            plain_1, _ = timed(lambda m=method: plain_auto_k(x, m), 1)
        rows.append(
            (
                f"cluster_municipalities {method} k=auto (k={res.k})",
                t,
                "plain sklearn loop, default threads",
                plain_default,
            )
        )
        rows.append(("", np.nan, "plain sklearn loop, 1 thread", plain_1))

    codes = list(feats.matrix.index[:: max(1, len(feats.matrix) // 50)])
    t, _ = timed(lambda: [similarity.find_peers(feats, c, k=10) for c in codes], args.repeat)
    nn = NearestNeighbors(n_neighbors=11).fit(x)
    pos = [feats.matrix.index.get_loc(c) for c in codes]
    plain, _ = timed(lambda: [nn.kneighbors(x[[p]]) for p in pos], args.repeat)
    rows.append(
        (
            "find_peers (Features, per query)",
            t / len(codes),
            "NearestNeighbors.kneighbors (per query)",
            plain / len(codes),
        )
    )
    t, _ = timed(lambda: [similarity.find_peers(tbl, c, k=10) for c in codes[:10]], 1)
    rows.append(("find_peers (table, per query, incl. prep)", t / 10, "", np.nan))
    t, _ = timed(lambda: similarity.find_peers(feats, "夕張市", k=10), args.repeat)
    rows.append(("find_peers by name (夕張市)", t, "", np.nan))

    print(f"\n{'regionlib':<48} {'s':>8}   {'plain scikit-learn':<40} {'s':>8}")
    for a, ta, b, tb in rows:
        fa = f"{ta:8.4f}" if ta == ta else " " * 8
        fb = f"{tb:8.4f}" if tb == tb else ""
        print(f"{a:<48} {fa}   {b:<40} {fb}")


if __name__ == "__main__":
    main()
