"""SKATER (Assunção et al. 2006): cut a feature-distance minimum spanning tree into regions."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from regionlib._errors import RegionlibError
from regionlib.regions._problem import Problem, neighbour_lists


def solve(problem: Problem, n_regions: int, *, floor: float | None) -> np.ndarray:
    """Cut the feature-distance minimum spanning tree into ``n_regions`` regions.

    Each cut removes the tree edge whose removal lowers the within-region sum of squares most
    (both sides at or above the floor, if any). The best cut of a tree is found in one pass with
    subtree sums (mass, feature sum, squared norm) accumulated in reverse breadth-first order, and
    only the two trees a cut creates are re-scanned.
    """
    mean = problem.mean
    coo = sparse.triu(problem.adjacency, k=1).tocoo()
    dist = np.sqrt(((mean[coo.row] - mean[coo.col]) ** 2).sum(axis=1)) + 1e-12
    n = len(problem.mass)
    mst = csgraph.minimum_spanning_tree(sparse.csr_matrix((dist, (coo.row, coo.col)), shape=(n, n)))
    mst = ((mst + mst.T) > 0).tocsr()
    tree_nbrs = [set(map(int, a)) for a in neighbour_lists(mst)]
    comp = csgraph.connected_components(mst, directed=False)[1]
    n_trees = int(comp.max()) + 1
    if n_regions < n_trees:
        raise RegionlibError(
            f"the graph has {n_trees} separate parts, so at least {n_trees} regions are needed "
            f"(asked for {n_regions}); build the graph with islands='connect'"
        )
    w = problem.weight
    floor_value = -np.inf if floor is None else floor

    def best_cut(nodes: list[int]) -> tuple[float, int, int]:
        """(gain, parent, child) of the best cut in the tree spanning ``nodes``."""
        if len(nodes) < 2:
            return (-np.inf, -1, -1)
        root = min(nodes)
        order = [root]
        parent = {root: -1}
        for v in order:  # breadth-first; the list grows while iterating
            for u in sorted(tree_nbrs[v]):
                if u not in parent:
                    parent[u] = v
                    order.append(u)
        idx = {v: k for k, v in enumerate(order)}
        arr = np.array(order)
        par = np.array([idx[parent[v]] if parent[v] >= 0 else -1 for v in order])
        sub_m = problem.mass[arr].astype(float)
        sub_q = problem.qsum[arr].copy()
        sub_w = w[arr].astype(float)
        sub_x = problem.xsum[arr].copy()
        for k in range(len(order) - 1, 0, -1):
            p = par[k]
            sub_m[p] += sub_m[k]
            sub_q[p] += sub_q[k]
            sub_w[p] += sub_w[k]
            sub_x[p] += sub_x[k]
        tot_m, tot_q, tot_w, tot_x = sub_m[0], sub_q[0], sub_w[0], sub_x[0]
        ssd_all = tot_q - tot_x @ tot_x / tot_m
        m1, x1, q1 = sub_m[1:], sub_x[1:], sub_q[1:]
        m2, x2, q2 = tot_m - m1, tot_x - x1, tot_q - q1
        ssd1 = q1 - (x1**2).sum(axis=1) / m1
        ssd2 = q2 - (x2**2).sum(axis=1) / m2
        gain = ssd_all - ssd1 - ssd2
        ok = (sub_w[1:] >= floor_value) & (tot_w - sub_w[1:] >= floor_value)
        if not ok.any():
            return (-np.inf, -1, -1)
        gain = np.where(ok, gain, -np.inf)
        k = int(np.argmax(gain)) + 1
        return (float(gain[k - 1]), int(arr[par[k]]), int(arr[k]))

    trees = {t: np.flatnonzero(comp == t).tolist() for t in range(n_trees)}
    cuts = {t: best_cut(nodes) for t, nodes in trees.items()}
    next_id = n_trees
    for _ in range(n_regions - n_trees):
        t = max(cuts, key=lambda key: (cuts[key][0], -key))
        gain, p, c = cuts[t]
        if not np.isfinite(gain):
            raise RegionlibError(
                f"cannot cut the tree into {n_regions} regions that all meet the floor; "
                f"stopped at {len(trees)}: ask for fewer regions or lower the floor"
            )
        tree_nbrs[p].discard(c)
        tree_nbrs[c].discard(p)
        side = {c}
        stack = [c]
        while stack:
            v = stack.pop()
            for u in tree_nbrs[v]:
                if u not in side:
                    side.add(u)
                    stack.append(u)
        rest = [v for v in trees[t] if v not in side]
        trees[t] = rest
        trees[next_id] = sorted(side)
        cuts[t] = best_cut(rest)
        cuts[next_id] = best_cut(trees[next_id])
        next_id += 1
    labels = np.empty(n, dtype=np.int64)
    for t, nodes in trees.items():
        labels[nodes] = t
    return labels
