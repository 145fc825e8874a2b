"""Contiguous wide-area regions of municipalities.

:func:`regionalize` groups neighbouring municipalities into regions that are internally similar
on standardised indicators, with three methods:

``"ward"``
    Ward clustering under the contiguity constraint (:class:`sklearn.cluster.AgglomerativeClustering`
    with the graph as ``connectivity``), for a given number of regions.
``"maxp"``
    max-p regionalisation: every region reaches a floor on an additive variable (e.g. population
    ≥ 200,000), as many regions as possible, then the least within-region sum of squares.
``"skater"``
    SKATER: a minimum spanning tree of the graph weighted by feature distance, cut where the
    within-region sum of squares drops most, for a given number of regions.

Why not spopt: ``spopt.region.MaxPHeuristic`` takes 45–125 s for Hokkaido alone and does not
finish nationwide in 10 minutes, and ``spopt.region.Skater`` does not finish 50 regions
nationwide in 10 minutes either (it re-evaluates every cut from scratch). The max-p and SKATER
below are written with numpy and :mod:`scipy.sparse.csgraph` (minimum spanning tree, connected
components) and use incremental sums, so a nationwide run takes seconds.

:func:`region_table` describes the regions (members, population, core = most populous member)
and names them after their core, e.g. 「旭川圏」.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse
from scipy.sparse import csgraph

from regionlib import graph as _graph
from regionlib import indicators, settings
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log

__all__ = [
    "Method",
    "parse_floor",
    "region_name",
    "region_table",
    "regionalize",
]

Method = Literal["ward", "maxp", "skater"]
_METHODS = ("ward", "maxp", "skater")


# ---------------------------------------------------------------------------------------------
# input preparation
# ---------------------------------------------------------------------------------------------


def parse_floor(text: str) -> tuple[str, float]:
    """Parse a floor written as ``"column:value"``, e.g. ``"population:200000"``.

    Parameters
    ----------
    text
        Column name and minimum total, separated by a colon; ``_`` and ``,`` in the number are
        ignored.

    Returns
    -------
    tuple of (str, float)
        The column and the floor.

    Raises
    ------
    RegionlibError
        If the text is not of that form.
    """
    column, sep, value = str(text).partition(":")
    try:
        number = float(value.replace("_", "").replace(",", ""))
    except ValueError:
        number = float("nan")
    if not sep or not column or not np.isfinite(number):
        raise RegionlibError(f"floor {text!r} is not of the form COLUMN:NUMBER (population:200000)")
    return column.strip(), number


@dataclass
class _Problem:
    """Arrays of one regionalisation problem, possibly on contracted nodes."""

    codes: pd.Index  # original municipality codes
    node_of: np.ndarray  # node index of every municipality
    mass: np.ndarray  # municipalities per node
    xsum: np.ndarray  # sum of standardised features per node (n_nodes x d)
    qsum: np.ndarray  # sum of squared norms per node
    weight: np.ndarray  # floor variable per node (zeros without a floor)
    adjacency: sparse.csr_matrix  # node adjacency
    cores: np.ndarray  # node indices that must lead distinct regions
    display: pd.Index | None = None  # "code name" per municipality, for messages

    @property
    def mean(self) -> np.ndarray:
        return self.xsum / self.mass[:, None]


def _feature_matrix(
    gdf: pd.DataFrame, columns: Sequence[str], standardize: bool, missing: str = "error"
) -> np.ndarray:
    columns = list(columns)
    if not columns:
        raise RegionlibError("name at least one indicator column to build regions on")
    unknown = [c for c in columns if c not in gdf.columns]
    if unknown:
        raise UnknownNameError(
            f"column {unknown[0]!r} is not in the table{suggest(unknown[0], map(str, gdf.columns))}"
        )
    values = gdf[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(values)
    if bad.any() and missing == "median":
        for k, col in enumerate(columns):
            if bad[:, k].any():
                codes = gdf.index[bad[:, k]].tolist()
                fill = np.median(values[~bad[:, k], k]) if (~bad[:, k]).any() else 0.0
                log(
                    f"regions: {col}: filled {len(codes)} missing values with the median "
                    f"{fill:.4g} ({', '.join(map(str, codes[:10]))})"
                )
                values[bad[:, k], k] = fill
        bad = ~np.isfinite(values)
    if bad.any():
        parts = []
        for k, col in enumerate(columns):
            codes = gdf.index[bad[:, k]].tolist()
            if codes:
                more = " …" if len(codes) > 10 else ""
                parts.append(f"{col}: {', '.join(map(str, codes[:10]))}{more}")
        raise DataFormatError(
            "missing or non-numeric indicator values (" + "; ".join(parts) + "); "
            "impute them, drop those municipalities, or pass missing='median'"
        )
    if standardize:
        std = values.std(axis=0)
        flat = [c for c, s in zip(columns, std, strict=True) if s == 0]
        if flat:
            log(f"regions: columns {flat} are constant and carry no information")
        values = (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return values


def _with_location(gdf: pd.DataFrame, x: np.ndarray, spatial_weight: float) -> np.ndarray:
    """Append the standardised centroid coordinates (in ``settings.area_crs``), scaled."""
    if spatial_weight < 0:
        raise RegionlibError(f"spatial_weight must be 0 or more, got {spatial_weight}")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise RegionlibError("spatial_weight needs a GeoDataFrame with geometry")
    centroids = gdf.geometry.to_crs(settings.area_crs).centroid
    xy = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])
    xy = (xy - xy.mean(axis=0)) / xy.std(axis=0)
    return np.column_stack([x, xy * spatial_weight])


def _prepare(
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    spatial_weight: float = 0.0,
    missing: str = "error",
    graph: Graph | None,
    floor: tuple[str, float] | None,
    within_prefecture: bool,
    islands: str,
    cores: Iterable[str] | None,
    together: Iterable[Iterable[str]] | None,
    standardize: bool,
) -> _Problem:
    if not isinstance(gdf, pd.DataFrame):
        raise DataFormatError("expected a (Geo)DataFrame of municipalities on the code index")
    if gdf.index.has_duplicates:
        dup = gdf.index[gdf.index.duplicated()].unique().tolist()[:5]
        raise DataFormatError(f"duplicate municipality codes in the index: {dup}")
    if graph is None:
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise RegionlibError("pass a GeoDataFrame with geometry, or a graph= built beforehand")
        graph = _graph.contiguity(gdf, within_prefecture=within_prefecture, islands=islands)
        kept = gdf.index.isin(graph.unique_ids)
        if not kept.all():  # islands="drop": the dropped municipalities get no region (logged)
            gdf = gdf.loc[kept]
        within_prefecture = False  # already applied to the graph
    codes = pd.Index(gdf.index.astype(str), name="code")
    x = _feature_matrix(gdf, columns, standardize, missing)
    if spatial_weight:
        x = _with_location(gdf, x, spatial_weight)
    if floor is not None:
        fcol = floor[0]
        if fcol not in gdf.columns:
            raise UnknownNameError(
                f"floor column {fcol!r} is not in the table{suggest(fcol, map(str, gdf.columns))}"
            )
        weight = pd.to_numeric(gdf[fcol], errors="coerce").to_numpy(dtype=float)
        bad = codes[~np.isfinite(weight)]
        if len(bad):
            raise DataFormatError(
                f"floor column {fcol!r} is missing for {len(bad)} municipalities "
                f"({', '.join(bad[:10])}); fill or drop them first"
            )
        if (weight < 0).any():
            raise DataFormatError(f"floor column {fcol!r} has negative values; it must be additive")
    else:
        weight = np.zeros(len(gdf))
    adjacency = _graph.adjacency_matrix(graph, pd.Index(gdf.index))
    if within_prefecture:
        grp = _graph.group_key(gdf).to_numpy()
        coo = adjacency.tocoo()
        same = grp[coo.row] == grp[coo.col]
        adjacency = sparse.csr_matrix(
            (coo.data[same], (coo.row[same], coo.col[same])), shape=adjacency.shape
        )
    # contraction of the groups that must stay together
    n = len(codes)
    parent = np.arange(n)
    pos = pd.Series(np.arange(n), index=codes)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for group in together or []:
        members = [str(c) for c in group]
        missing = [c for c in members if c not in pos.index]
        if missing:
            raise UnknownNameError(
                f"municipality {missing[0]!r} of a keep-together group is not in the table"
                f"{suggest(missing[0], codes)}"
            )
        idx = pos[members].to_numpy()
        sub = adjacency[idx][:, idx]
        if csgraph.connected_components(sub, directed=False)[0] > 1:
            raise RegionlibError(
                f"the keep-together group {members} is not contiguous on the graph; "
                "add the municipalities that connect them"
            )
        root = find(int(idx[0]))
        for k in idx[1:]:
            parent[find(int(k))] = root
    roots = np.array([find(k) for k in range(n)])
    _, node_of = np.unique(roots, return_inverse=True)
    m = int(node_of.max()) + 1
    onehot = sparse.csr_matrix((np.ones(n), (node_of, np.arange(n))), shape=(m, n))
    mass = np.asarray(onehot.sum(axis=1)).ravel()
    xsum = onehot @ x
    qsum = onehot @ (x**2).sum(axis=1)
    node_weight = onehot @ weight
    node_adj = (onehot @ adjacency @ onehot.T).tocsr()
    node_adj.setdiag(0)
    node_adj.eliminate_zeros()
    node_adj.data[:] = 1.0
    core_nodes = []
    for c in cores or []:
        c = str(c)
        if c not in pos.index:
            raise UnknownNameError(f"core {c!r} is not in the table{suggest(c, codes)}")
        core_nodes.append(int(node_of[pos[c]]))
    if len(set(core_nodes)) < len(core_nodes):
        raise RegionlibError("two forced cores are in the same keep-together group")
    return _Problem(
        codes=codes,
        node_of=node_of,
        mass=mass,
        xsum=np.asarray(xsum),
        qsum=np.asarray(qsum).ravel(),
        weight=np.asarray(node_weight).ravel(),
        adjacency=node_adj,
        cores=np.array(core_nodes, dtype=np.int64),
        display=pd.Index(codes + " " + gdf["name"].astype(str).to_numpy())
        if "name" in gdf.columns
        else codes,
    )


def _node_components(problem: _Problem) -> np.ndarray:
    return csgraph.connected_components(problem.adjacency, directed=False)[1]


def _codes_text(codes: Sequence[str], limit: int = 10) -> str:
    codes = list(codes)
    return ", ".join(codes[:limit]) + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def _check_floor_feasible(problem: _Problem, floor: float) -> None:
    total = problem.weight.sum()
    if floor > total:
        raise RegionlibError(
            f"the floor {floor:,.0f} is above the total of all municipalities ({total:,.0f}); "
            "lower it"
        )
    comp = _node_components(problem)
    sums = np.bincount(comp, weights=problem.weight)
    short = np.flatnonzero(sums < floor)
    if len(short):
        parts = []
        for c in short[:5]:
            shown = problem.codes if problem.display is None else problem.display
            members = shown[np.isin(problem.node_of, np.flatnonzero(comp == c))]
            parts.append(f"[{_codes_text(members)}] total {sums[c]:,.0f}")
        raise RegionlibError(
            f"{len(short)} part(s) of the graph cannot reach the floor {floor:,.0f} on their own: "
            + "; ".join(parts)
            + ". Build the graph with islands='connect' (links islands to their nearest "
            "municipality), allow crossing prefecture borders, or lower the floor"
        )


# ---------------------------------------------------------------------------------------------
# region statistics shared by the local search
# ---------------------------------------------------------------------------------------------


def _ssd(mass: float, xsum: np.ndarray, qsum: float) -> float:
    return float(qsum - xsum @ xsum / mass) if mass > 0 else 0.0


def _total_ssd(problem: _Problem, labels: np.ndarray) -> float:
    k = int(labels.max()) + 1
    mass = np.bincount(labels, weights=problem.mass, minlength=k)
    q = np.bincount(labels, weights=problem.qsum, minlength=k)
    s = np.zeros((k, problem.xsum.shape[1]))
    np.add.at(s, labels, problem.xsum)
    return float(q.sum() - ((s**2).sum(axis=1) / mass).sum())


def _neighbour_lists(adjacency: sparse.csr_matrix) -> list[np.ndarray]:
    indptr, indices = adjacency.indptr, adjacency.indices
    return [indices[indptr[i] : indptr[i + 1]] for i in range(adjacency.shape[0])]


def _connected_without(members: set[int], removed: int, nbrs: list[np.ndarray]) -> bool:
    """Whether ``members - {removed}`` is still connected (breadth-first search)."""
    rest = members - {removed}
    if len(rest) <= 1:
        return True
    start = next(iter(rest))
    seen = {start}
    stack = [start]
    while stack:
        v = stack.pop()
        for u in nbrs[v]:
            u = int(u)
            if u in rest and u not in seen:
                seen.add(u)
                stack.append(u)
    return len(seen) == len(rest)


def _local_search(
    problem: _Problem,
    labels: np.ndarray,
    *,
    floor: float | None,
    rng: np.random.Generator,
    max_passes: int = 50,
) -> np.ndarray:
    """Move boundary municipalities between neighbouring regions while the SSD decreases.

    AZP-style greedy improvement: a move is made when it lowers the total within-region sum of
    squares, keeps the donor region contiguous and non-empty, keeps the donor at or above the
    floor, and moves no forced core. Each pass visits the nodes in a seeded random order.
    """
    labels = labels.copy()
    nbrs = _neighbour_lists(problem.adjacency)
    k = int(labels.max()) + 1
    mass = np.bincount(labels, weights=problem.mass, minlength=k)
    qsum = np.bincount(labels, weights=problem.qsum, minlength=k)
    wsum = np.bincount(labels, weights=problem.weight, minlength=k)
    xsum = np.zeros((k, problem.xsum.shape[1]))
    np.add.at(xsum, labels, problem.xsum)
    members: list[set[int]] = [set() for _ in range(k)]
    for i, r in enumerate(labels):
        members[r].add(i)
    is_core = np.zeros(len(labels), dtype=bool)
    is_core[problem.cores] = True
    node_x, node_q, node_m, node_w = problem.xsum, problem.qsum, problem.mass, problem.weight
    for _ in range(max_passes):
        moved = 0
        for i in rng.permutation(len(labels)):
            a = labels[i]
            if is_core[i] or len(members[a]) == 1:
                continue
            if floor is not None and wsum[a] - node_w[i] < floor:
                continue
            targets = {int(labels[u]) for u in nbrs[i]} - {a}
            if not targets:
                continue
            xi, qi, mi = node_x[i], node_q[i], node_m[i]
            sa = xsum[a]
            # drop of the donor's SSD when i leaves it
            gain_remove = qi - (sa @ sa) / mass[a] + ((sa - xi) @ (sa - xi)) / (mass[a] - mi)
            best, best_delta = -1, -1e-9
            for b in sorted(targets):
                sb = xsum[b]
                delta_add = qi + (sb @ sb) / mass[b] - ((sb + xi) @ (sb + xi)) / (mass[b] + mi)
                delta = delta_add - gain_remove
                if delta < best_delta:
                    best, best_delta = b, delta
            if best < 0 or not _connected_without(members[a], int(i), nbrs):
                continue
            b = best
            labels[i] = b
            members[a].discard(int(i))
            members[b].add(int(i))
            mass[a] -= mi
            mass[b] += mi
            qsum[a] -= qi
            qsum[b] += qi
            wsum[a] -= node_w[i]
            wsum[b] += node_w[i]
            xsum[a] = sa - xi
            xsum[b] = xsum[b] + xi
            moved += 1
        if not moved:
            break
    return labels


# ---------------------------------------------------------------------------------------------
# max-p
# ---------------------------------------------------------------------------------------------


def _maxp_construct(
    problem: _Problem,
    floor: float,
    nbrs: list[np.ndarray],
    rng: np.random.Generator,
    *,
    greedy: bool,
) -> np.ndarray | None:
    """Grow regions from seeds until they reach the floor, then assign the enclaves.

    Seeds are the forced cores, then the other nodes in a random order. A region grows by the
    unassigned neighbour closest to its mean (``greedy``) or by a random one. Regions that run
    out of neighbours before the floor dissolve into enclaves; enclaves join the adjacent region
    closest in feature space. Returns None if a forced core cannot reach the floor.
    """
    n = len(problem.mass)
    mean = problem.mean
    w = problem.weight
    is_core = np.zeros(n, dtype=bool)
    is_core[problem.cores] = True
    labels = np.full(n, -1, dtype=np.int64)
    enclave = np.zeros(n, dtype=bool)
    n_regions = 0
    seeds = list(problem.cores) + [int(s) for s in rng.permutation(n) if not is_core[s]]
    for s in seeds:
        if labels[s] >= 0 or enclave[s]:
            continue
        members = [s]
        labels[s] = n_regions
        total = w[s]
        xs = problem.xsum[s].copy()
        ms = problem.mass[s]
        frontier: set[int] = set()
        for u in nbrs[s]:
            if labels[u] < 0 and not is_core[u]:
                frontier.add(int(u))
        while total < floor and frontier:
            cand = np.fromiter(frontier, dtype=np.int64, count=len(frontier))
            if greedy:
                diff = mean[cand] - xs / ms
                pick = int(cand[np.argmin(np.einsum("ij,ij->i", diff, diff) + 1e-9 * cand)])
            else:
                pick = int(cand[rng.integers(len(cand))])
            frontier.discard(pick)
            members.append(pick)
            labels[pick] = n_regions
            enclave[pick] = False
            total += w[pick]
            xs += problem.xsum[pick]
            ms += problem.mass[pick]
            for u in nbrs[pick]:
                if labels[u] < 0 and not is_core[u]:
                    frontier.add(int(u))
        if total >= floor:
            n_regions += 1
        else:
            if is_core[s]:
                return None
            labels[members] = -1
            enclave[members] = True
    if n_regions == 0:
        return None
    # enclaves join the most similar adjacent region, repeatedly, in a fixed order
    k = n_regions
    assigned = labels >= 0
    rsum = np.zeros((k, problem.xsum.shape[1]))
    np.add.at(rsum, labels[assigned], problem.xsum[assigned])
    rmass = np.bincount(labels[assigned], weights=problem.mass[assigned], minlength=k)
    pending = np.flatnonzero(labels < 0).tolist()
    while pending:
        rest = []
        for i in pending:
            near = {int(labels[u]) for u in nbrs[i] if labels[u] >= 0}
            if not near:
                rest.append(i)
                continue
            opts = np.array(sorted(near))
            diff = rsum[opts] / rmass[opts, None] - mean[i]
            r = int(opts[np.argmin(np.einsum("ij,ij->i", diff, diff))])
            labels[i] = r
            rsum[r] += problem.xsum[i]
            rmass[r] += problem.mass[i]
        if len(rest) == len(pending):
            return None  # a component without any region: ruled out by the feasibility check
        pending = rest
    return labels


def _maxp(
    problem: _Problem,
    floor: float,
    *,
    n_restarts: int,
    local_search: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    _check_floor_feasible(problem, floor)
    nbrs = _neighbour_lists(problem.adjacency)
    candidates = []
    for t in range(n_restarts):
        labels = _maxp_construct(problem, floor, nbrs, rng, greedy=t % 2 == 0)
        if labels is None:
            continue
        candidates.append((-(int(labels.max()) + 1), _total_ssd(problem, labels), t, labels))
    if not candidates:
        raise RegionlibError(
            f"no partition meets the floor {floor:,.0f} with the forced cores given: a core "
            "is boxed in by other cores; remove a core or lower the floor"
        )
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    best_p = candidates[0][0]
    best = [c for c in candidates if c[0] == best_p][:3]
    if not local_search:
        return best[0][3]
    improved = []
    for _, _, t, labels in best:
        out = _local_search(problem, labels, floor=floor, rng=rng)
        improved.append((_total_ssd(problem, out), t, out))
    improved.sort(key=lambda c: (c[0], c[1]))
    return improved[0][2]


# ---------------------------------------------------------------------------------------------
# SKATER
# ---------------------------------------------------------------------------------------------


def _skater(problem: _Problem, n_regions: int, *, floor: float | None) -> np.ndarray:
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
    tree_nbrs = [set(map(int, a)) for a in _neighbour_lists(mst)]
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


# ---------------------------------------------------------------------------------------------
# Ward
# ---------------------------------------------------------------------------------------------


def _ward(problem: _Problem, n_regions: int) -> np.ndarray:
    """Contiguity-constrained Ward, one scikit-learn tree per connected part of the graph.

    ``AgglomerativeClustering`` would silently add links between the parts of a disconnected
    graph (and warn), which breaks contiguity; with several parts the merge sequences of the
    per-part trees are interleaved by merge height instead.
    """
    from sklearn.cluster import AgglomerativeClustering, ward_tree

    x = problem.mean
    comp = _node_components(problem)
    n_parts = int(comp.max()) + 1
    n = len(x)
    if n_regions < n_parts:
        raise RegionlibError(
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


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def _renumber(labels: pd.Series) -> pd.Series:
    """Renumber regions 1, 2, … in the order of their first municipality in the index."""
    first = {}
    for value in labels.to_numpy():
        if value not in first:
            first[value] = len(first) + 1
    return labels.map(first).astype(np.int64).rename("region")


def regionalize(
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    method: Method = "maxp",
    n_regions: int | None = None,
    floor: tuple[str, float] | None = None,
    graph: Graph | None = None,
    within_prefecture: bool = False,
    islands: _graph.IslandPolicy = "connect",
    cores: Iterable[str] | None = None,
    together: Iterable[Iterable[str]] | None = None,
    standardize: bool = True,
    spatial_weight: float = 0.0,
    missing: Literal["error", "median"] = "error",
    local_search: bool | None = None,
    n_restarts: int = 100,
    random_state: int | None = None,
) -> pd.Series:
    """Group neighbouring municipalities into contiguous regions.

    Parameters
    ----------
    gdf
        Municipalities on the 5-digit ``code`` index with the indicator columns (and geometry
        unless ``graph`` is given).
    columns
        Indicator columns the regions should be homogeneous on.
    method
        ``"maxp"`` (needs ``floor``), ``"ward"`` or ``"skater"`` (need ``n_regions``).
    n_regions
        Number of regions for Ward and SKATER.
    floor
        ``(column, minimum)``: every region's total of an additive column must reach the
        minimum, e.g. ``("population", 200_000)``. Required by max-p, optional for SKATER.
    graph
        A contiguity graph on the same codes; default :func:`regionlib.graph.contiguity`
        of ``gdf`` with ``within_prefecture`` and ``islands``. A disconnected graph is accepted:
        each part must then reach the floor / receive at least one region, else the error names
        the part.
    within_prefecture
        Never put municipalities of different prefectures in one region.
    islands
        Island policy of the graph built here (see :func:`regionlib.graph.contiguity`).
    cores
        Codes that must each lead a different region (max-p only); they never move.
    together
        Groups of codes that must end in the same region (each group contiguous). Each group
        is merged into one unit first; max-p and SKATER keep exact sums of squares for it, Ward
        (scikit-learn, no sample weights) sees it as one unit at its members' mean.
    standardize
        z-score the columns first (default) so that each weighs the same.
    spatial_weight
        Weight of the municipality's location: the standardised centroid coordinates (in
        ``settings.area_crs``) times this weight are added as two more features, which favours
        compact regions (0, the default, uses the indicators only).
    missing
        ``"error"`` (default) refuses missing indicator values and lists the codes;
        ``"median"`` fills them with the column median and logs which.
    local_search
        Improve the solution by moving boundary municipalities while the within-region sum of
        squares drops (contiguity, floor and cores kept). Default: on for max-p, off for Ward
        and SKATER (so they match their textbook definition).
    n_restarts
        Construction restarts of max-p (alternating most-similar and random growth); the
        local search then improves the three best with the most regions. 100 restarts take about
        1.5 s nationwide.
    random_state
        Seed; default ``settings.random_state``. The same inputs and seed give the same labels.

    Returns
    -------
    pandas.Series
        Region number (1, 2, …, numbered in index order) per code, named ``region``.

    Raises
    ------
    RegionlibError
        On a missing option, missing indicator values (the codes are listed), a floor above the
        total or one an island cannot reach (named), or more regions than municipalities.
    """
    if method not in _METHODS:
        raise UnknownNameError(f"unknown method {method!r}{suggest(str(method), _METHODS)}")
    if method == "maxp" and floor is None:
        raise RegionlibError("method 'maxp' needs a floor, e.g. floor=('population', 200000)")
    if method in ("ward", "skater"):
        if n_regions is None:
            raise RegionlibError(f"method {method!r} needs n_regions")
        if int(n_regions) < 1:
            raise RegionlibError(f"n_regions must be at least 1, got {n_regions}")
        if int(n_regions) > len(gdf):
            raise RegionlibError(
                f"n_regions={n_regions} is more than the {len(gdf)} municipalities in the table"
            )
    if missing not in ("error", "median"):
        raise RegionlibError(f"missing must be 'error' or 'median', got {missing!r}")
    if cores and method != "maxp":
        raise RegionlibError("forced cores are supported by method='maxp' only")
    problem = _prepare(
        gdf,
        columns,
        graph=graph,
        floor=floor,
        within_prefecture=within_prefecture,
        islands=islands,
        cores=cores,
        together=together,
        standardize=standardize,
        spatial_weight=spatial_weight,
        missing=missing,
    )
    if method in ("ward", "skater") and int(n_regions) > len(problem.mass):
        raise RegionlibError(
            f"n_regions={n_regions} is more than the {len(problem.mass)} units left after "
            "merging the keep-together groups"
        )
    seed = settings.random_state if random_state is None else random_state
    rng = np.random.default_rng(seed)
    if local_search is None:
        local_search = method == "maxp"
    floor_value = None if floor is None else float(floor[1])
    if method == "maxp":
        node_labels = _maxp(
            problem, floor_value, n_restarts=max(1, n_restarts), local_search=local_search, rng=rng
        )
    else:
        if floor_value is not None:
            _check_floor_feasible(problem, floor_value)
        if method == "skater":
            node_labels = _skater(problem, int(n_regions), floor=floor_value)
        else:
            if floor_value is not None:
                raise RegionlibError("method 'ward' takes no floor; use 'maxp' or 'skater'")
            node_labels = _ward(problem, int(n_regions))
        if local_search:
            _, node_labels = np.unique(node_labels, return_inverse=True)
            node_labels = _local_search(problem, node_labels, floor=floor_value, rng=rng)
    labels = pd.Series(node_labels[problem.node_of], index=problem.codes)
    labels = _renumber(labels)
    log(f"regions: {method} made {labels.nunique()} regions from {len(labels)} municipalities")
    return labels


def region_name(core_name: str) -> str:
    """Name a region after its core municipality: 旭川市 → 旭川圏, 津市 → 津市圏.

    The final 市, 町, 村 or 区 is dropped when at least two characters remain, then 圏 is added.

    Parameters
    ----------
    core_name
        Name of the core municipality.

    Returns
    -------
    str
        The region name.
    """
    name = str(core_name).strip()
    if len(name) >= 3 and name[-1] in "市町村区":
        name = name[:-1]
    return f"{name}圏"


def region_table(
    gdf: pd.DataFrame,
    labels: pd.Series,
    *,
    population: str | None = None,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Describe each region: name, core, members and population.

    Parameters
    ----------
    gdf
        Municipalities on the code index with a ``name`` column and a population column.
    labels
        Region per code, as returned by :func:`regionalize`.
    population
        Population column; default the first of ``population``, ``population_2020`` present.
        The core is the most populous member (the first member without population data).
    names
        Optional region number → name overrides.

    Returns
    -------
    pandas.DataFrame
        Index ``region``; columns ``region_name`` (e.g. 「旭川圏」, with the prefecture in front
        when two regions would share a name), ``core`` (code), ``core_name``, ``n_members``,
        ``population``, ``members`` (codes separated by spaces) and ``member_names``.
    """
    missing = labels.index[~labels.index.isin(gdf.index)]
    if len(missing):
        raise RegionlibError(
            f"{len(missing)} labelled codes are not in the table ({_codes_text(missing)})"
        )
    pop_col = indicators.population_column(gdf, population)
    data = pd.DataFrame({"region": labels})
    data["name"] = gdf.loc[labels.index, "name"].astype(str) if "name" in gdf else labels.index
    data["prefecture"] = (
        gdf.loc[labels.index, "prefecture"].astype(str) if "prefecture" in gdf else ""
    )
    data["pop"] = (
        pd.to_numeric(gdf.loc[labels.index, pop_col], errors="coerce") if pop_col else np.nan
    )
    rows = []
    for region, part in data.groupby("region", sort=True):
        part = part.sort_index()
        core = part["pop"].idxmax() if part["pop"].notna().any() else part.index[0]
        rows.append(
            {
                "region": region,
                "core": core,
                "core_name": part.at[core, "name"],
                "core_prefecture": part.at[core, "prefecture"],
                "n_members": len(part),
                "population": float(part["pop"].sum(min_count=1)),
                "members": " ".join(part.index),
                "member_names": "・".join(part["name"]),
            }
        )
    table = pd.DataFrame(rows).set_index("region")
    base = table["core_name"].map(region_name)
    clash = base.duplicated(keep=False)
    table.insert(0, "region_name", base.where(~clash, table["core_prefecture"] + base))
    if names:
        for region, name in names.items():
            table.loc[int(region), "region_name"] = name
    return table.drop(columns="core_prefecture")
