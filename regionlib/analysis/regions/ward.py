"""Contiguity-constrained Ward clustering (scikit-learn), for a given number of regions."""

from __future__ import annotations

import numpy as np

from regionlib._errors import RegionlibError
from regionlib.analysis.regions._problem import Problem, node_components


def solve(problem: Problem, n_regions: int) -> np.ndarray:
    """Contiguity-constrained Ward, one scikit-learn tree per connected part of the graph.

    ``AgglomerativeClustering`` would silently add links between the parts of a disconnected
    graph (and warn), which breaks contiguity; with several parts the merge sequences of the
    per-part trees are interleaved by merge height instead.
    """
    from sklearn.cluster import AgglomerativeClustering, ward_tree

    x = problem.mean
    comp = node_components(problem)
    n_parts = int(comp.max()) + 1
    n = len(x)
    if n_regions < n_parts:
        raise RegionlibError(
            f"グラフが {n_parts} 個に分かれているため、リージョンは {n_parts} 個以上必要です（指定は {n_regions}）。islands='connect' でグラフを作ってください / "
            f"the graph has {n_parts} separate parts, so at least {n_parts} regions are needed "
            f"(asked for {n_regions}); build the graph with islands='connect'"
        )
    if n_parts == 1:
        if n_regions == 1:
            return np.zeros(n, dtype=np.int64)
        model = AgglomerativeClustering(
            n_clusters=n_regions, linkage="ward", connectivity=problem.adjacency
        )
        return model.fit_predict(x).astype(np.int64)
    # several parts: run Ward in each and take merges lowest-first across parts
    merges = []  # (height, part, step, a, b) on global node ids
    for part in range(n_parts):
        nodes = np.flatnonzero(comp == part)
        if len(nodes) < 2:
            continue
        sub = problem.adjacency[nodes][:, nodes]
        children, _, _, _, dist = ward_tree(x[nodes], connectivity=sub, return_distance=True)
        for step, (a, b) in enumerate(children):
            merges.append((float(dist[step]), part, step, int(a), int(b), nodes))
    # apply merges in per-part order, choosing the lowest next merge across parts
    by_part: dict[int, list] = {}
    for m in merges:
        by_part.setdefault(m[1], []).append(m)
    heads = {p: 0 for p in by_part}
    parent = np.arange(n)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    cluster_rep: dict[tuple[int, int], int] = {}
    for _ in range(n - n_regions):
        p = min(
            (p for p in heads if heads[p] < len(by_part[p])),
            key=lambda p: (by_part[p][heads[p]][0], p),
        )
        _, part, step, a, b, nodes = by_part[p][heads[p]]
        heads[p] += 1
        n_local = len(nodes)
        ra = int(nodes[a]) if a < n_local else cluster_rep[(part, a)]
        rb = int(nodes[b]) if b < n_local else cluster_rep[(part, b)]
        parent[find(rb)] = find(ra)
        cluster_rep[(part, n_local + step)] = find(ra)
    return np.array([find(i) for i in range(n)], dtype=np.int64)
