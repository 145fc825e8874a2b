"""Contiguity graphs of municipalities, with an explicit policy for islands.

Two municipalities are neighbours when their boundaries share at least one point (Queen
contiguity). About 45 island municipalities have no land neighbour; the default policy links every
island or island group to its nearest municipality (straight-line distance between the shapes,
measured in ``settings.area_crs``) until the graph is connected, and reports every added link.

The graph is a :class:`libpysal.graph.Graph` on the 5-digit ``code`` index with binary weights;
:func:`edges_table` lists the same links with their kind (``border`` or ``bridge``), the shared
border length and the distance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regionlib import settings
from regionlib._errors import DataFormatError, RegionlibError
from regionlib._log import log
from regionlib.data._validate import code_index, geometries

if TYPE_CHECKING:  # libpysal costs seconds to import: only where a graph is built
    from libpysal.graph import Graph
    from scipy import sparse

__all__ = [
    "Edges",
    "IslandPolicy",
    "adjacency_matrix",
    "bridge_links",
    "components",
    "contiguity",
    "contiguity_edges",
    "edges_table",
    "group_key",
    "pair_components",
]

IslandPolicy = Literal["connect", "keep", "drop"]
_POLICIES = ("connect", "keep", "drop")


def group_key(gdf: pd.DataFrame) -> pd.Series:
    """Return the prefecture of every municipality, used to forbid cross-prefecture links.

    Parameters
    ----------
    gdf
        Municipalities on the code index, with a ``pref_code`` or ``prefecture`` column; without
        either, the first two digits of the code are used.

    Returns
    -------
    pandas.Series
        One string per municipality, same index.
    """
    for column in ("pref_code", "prefecture"):
        if column in gdf.columns:
            return gdf[column].astype(str)
    return pd.Series(gdf.index.astype(str).str[:2], index=gdf.index)


def _check_gdf(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` checked: code index normalised, invalid geometries repaired (reported)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataFormatError(
            "市区町村の GeoDataFrame（インデックスはコード、形状あり）を渡してください / "
            "expected a GeoDataFrame of municipalities (index: code, geometry)"
        )
    gdf = code_index(gdf, what="municipalities")
    empty = gdf.index[gdf.geometry.isna() | gdf.geometry.is_empty].tolist()
    if empty:
        raise DataFormatError(
            f"{len(empty)} 市区町村に形状がありません（コード {empty[:10]}）。1 % の境界（detail='prefecture'）を読み込むか、先に除いてください / "
            f"{len(empty)} municipalities have no geometry (codes {empty[:10]}); "
            "load the 1 % (detail='prefecture') boundaries or drop them first"
        )
    if gdf.crs is None:
        raise DataFormatError(
            f"GeoDataFrame に座標参照系（CRS）がありません。{settings.default_crs} を設定してください / "
            f"the GeoDataFrame has no CRS; set it to {settings.default_crs}"
        )
    return geometries(gdf, what="municipalities")


def _queen_pairs(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of municipalities sharing at least one boundary vertex.

    Same rule as ``libpysal.graph.Graph.build_contiguity(rook=False, strict=False)`` (shared
    vertices), done here with one sort of all vertices: libpysal takes about 0.5 s nationwide,
    this about 0.1 s, which keeps Ward with the graph build under one second.
    """
    xy, owner = shapely.get_coordinates(gdf.geometry.to_numpy(), return_index=True)
    if not len(xy):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # one key per vertex; rounding to 1e-7 (about 1 cm in degrees) absorbs float noise in
    # coordinates that are meant to be equal (shared arcs, generated grids)
    keys = np.ascontiguousarray(np.round(xy, 7) + 0.0).view(np.complex128).ravel()
    _, vertex = np.unique(keys, return_inverse=True)
    n = len(gdf)
    pairs = np.unique(vertex.ravel().astype(np.int64) * n + owner)
    vertex, owner = pairs // n, pairs % n
    starts = np.flatnonzero(np.r_[True, vertex[1:] != vertex[:-1]])
    counts = np.diff(np.r_[starts, len(vertex)])
    shared = np.flatnonzero(counts > 1)
    i_list, j_list = [], []
    for k in (2, 3, 4, 5, 6, 7, 8):  # vertices shared by k municipalities
        at = starts[shared[counts[shared] == k]]
        if not len(at):
            continue
        block = owner[at[:, None] + np.arange(k)[None, :]]
        a, b = np.triu_indices(k, 1)
        i_list.append(block[:, a].ravel())
        j_list.append(block[:, b].ravel())
    if (counts > 8).any():
        for at, k in zip(starts[counts > 8], counts[counts > 8], strict=True):
            block = owner[at : at + k]
            a, b = np.triu_indices(k, 1)
            i_list.append(block[a])
            j_list.append(block[b])
    if not i_list:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    i = np.concatenate(i_list).astype(np.int64)
    j = np.concatenate(j_list).astype(np.int64)
    ij = np.unique(np.minimum(i, j) * n + np.maximum(i, j))
    return ij // n, ij % n


def pair_components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Label the connected parts of the graph of ``n`` nodes with links ``i[k]``–``j[k]``.

    Label propagation in numpy (every node takes the lowest label among its neighbours, then
    jumps to that label's own label) instead of ``scipy.sparse.csgraph``: importing csgraph
    takes about 0.2 s, more than a command that draws one map spends on its islands, while
    this takes 20-30 ms on a 200,000-node grid. The labels are scipy's: 0, 1, … in the order
    of each part's first node.

    Parameters
    ----------
    n
        Number of nodes.
    i, j
        Positions of the two ends of each link (either direction).

    Returns
    -------
    numpy.ndarray
        Part of each node.
    """
    i, j = np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)
    labels = np.arange(n)
    while True:
        new = labels.copy()
        np.minimum.at(new, i, labels[j])
        np.minimum.at(new, j, labels[i])
        new = new[new]
        if np.array_equal(new, labels):
            break
        labels = new
    return np.unique(labels, return_inverse=True)[1].astype(np.intp)


def bridge_links(
    gdf: gpd.GeoDataFrame,
    pairs: tuple[np.ndarray, np.ndarray],
    *,
    within_prefecture: bool = False,
) -> pd.DataFrame:
    """Links that join every island or island group to its nearest municipality.

    The smallest component is linked to the nearest municipality outside it (shortest straight
    line between the shapes, in ``settings.area_crs``), the two components merge, and so on
    until one component is left (one per prefecture with ``within_prefecture``).

    Parameters
    ----------
    gdf
        Municipalities on the code index.
    pairs
        Positional index pairs of the existing links.
    within_prefecture
        Only link municipalities of the same prefecture.

    Returns
    -------
    pandas.DataFrame
        Columns ``code_a`` (the island side), ``code_b``, ``distance_km``.
    """
    n = len(gdf)
    geoms = gdf.geometry.to_crs(settings.area_crs).to_numpy()
    codes = gdf.index.to_numpy()
    groups = group_key(gdf).to_numpy() if within_prefecture else np.zeros(n, dtype=object)
    i, j = (np.asarray(p, dtype=np.int64) for p in pairs)
    labels = pair_components(n, i, j)
    rows = []
    while True:
        comp_ids = np.unique(labels)
        # components that must still be linked: those sharing a group with another component
        candidates = []
        for comp in comp_ids:
            members = np.flatnonzero(labels == comp)
            grp = groups[members[0]]
            others = np.flatnonzero((groups == grp) & (labels != comp))
            if len(others):
                candidates.append((len(members), codes[members].min(), members, others))
        if not candidates:
            break
        # smallest component first (ties: lowest code) keeps the result deterministic
        _, _, members, others = min(candidates, key=lambda c: (c[0], c[1]))
        tree = shapely.STRtree(geoms[others])
        # growing search radius: most gaps are a few km, and a bounded search is much faster
        for radius in (2e3, 2e4, 2e5, None):
            (src, dst), dist = tree.query_nearest(
                geoms[members], max_distance=radius, return_distance=True
            )
            if len(dist):
                break
        best = int(np.lexsort((codes[others[dst]], codes[members[src]], np.round(dist, 3)))[0])
        a, b = int(members[src[best]]), int(others[dst[best]])
        rows.append((codes[a], codes[b], float(dist[best]) / 1000.0))
        labels[labels == labels[a]] = labels[b]
    return pd.DataFrame(rows, columns=["code_a", "code_b", "distance_km"])


def _build(
    gdf: gpd.GeoDataFrame, within_prefecture: bool, islands: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the (possibly reduced) municipalities and the edge list on positional indices."""
    gdf = _check_gdf(gdf)
    if islands not in _POLICIES:
        raise RegionlibError(
            f"島の扱い {islands!r} はありません。{_POLICIES} のどれかにしてください / "
            f"unknown islands policy {islands!r}; use one of {_POLICIES}"
        )
    i, j = _queen_pairs(gdf)
    if within_prefecture:
        grp = group_key(gdf).to_numpy()
        same = grp[i] == grp[j]
        i, j = i[same], j[same]
    codes = gdf.index.to_numpy()
    degree = np.bincount(np.concatenate([i, j]), minlength=len(gdf))
    isolated = codes[degree == 0]
    if islands == "drop" and len(isolated):
        log(
            f"graph: dropped {len(isolated)} municipalities without a land neighbour: "
            f"{', '.join(map(str, isolated[:20]))}{' …' if len(isolated) > 20 else ''}",
            level=logging.WARNING,
            ja=f"陸で隣り合う市区町村のない {len(isolated)} 市区町村を除きました",
        )
        gdf = gdf.loc[degree > 0]
        return _build(gdf, within_prefecture, "keep")
    edges = pd.DataFrame({"code_a": codes[i], "code_b": codes[j], "kind": "border"})
    if islands == "connect":
        bridges = bridge_links(gdf, (i, j), within_prefecture=within_prefecture)
        if len(bridges):  # one summary line; the links themselves with -v and in edges_table
            links = ", ".join(
                f"{row.code_a}–{row.code_b} {row.distance_km:.1f} km"
                for row in bridges.itertuples()
            )
            log(
                f"graph: islands bridged: {len(bridges)} links to the nearest municipality "
                "(listed with -v, or by graph.edges_table)",
                level=logging.WARNING,
                ja=f"島などを {len(bridges)} 本の橋渡しの辺で最寄りの市区町村と結びました",
            )
            log(f"graph: bridge links: {links}", ja=f"グラフ: 橋渡しの辺: {links}")
        edges = pd.concat(
            [edges, bridges.assign(kind="bridge")[["code_a", "code_b", "kind", "distance_km"]]],
            ignore_index=True,
        )
    elif len(isolated):
        log(
            f"graph: kept {len(isolated)} municipalities without neighbours (isolates)",
            level=logging.WARNING,
            ja=f"隣り合う市区町村のない {len(isolated)} 市区町村がそのまま残っています",
        )
    if "distance_km" not in edges:
        edges["distance_km"] = np.nan
    edges["distance_km"] = edges["distance_km"].fillna(0.0).astype(float)
    return gdf, edges


@dataclass(frozen=True)
class Edges:
    """A contiguity graph as its codes and its links, without libpysal.

    Importing libpysal takes about a second (it loads its example and database modules);
    regionlib's own analyses (regions, their evaluation, proposals) need only the links, so
    they use this and :func:`contiguity` turns it into a :class:`libpysal.graph.Graph` for
    users. Every function taking a graph here accepts either.

    Attributes
    ----------
    index
        The codes in the graph (after ``islands="drop"``, the ones kept).
    edges
        One row per undirected link: ``code_a``, ``code_b``, ``kind`` (``border`` or
        ``bridge``), ``distance_km``.
    """

    index: pd.Index
    edges: pd.DataFrame

    @property
    def unique_ids(self) -> pd.Index:
        """The codes in the graph, as :attr:`libpysal.graph.Graph.unique_ids`."""
        return self.index


def contiguity_edges(
    gdf: gpd.GeoDataFrame,
    *,
    within_prefecture: bool = False,
    islands: IslandPolicy = "connect",
) -> Edges:
    """Build the Queen contiguity graph as :class:`Edges` (as :func:`contiguity`, no libpysal).

    Parameters
    ----------
    gdf, within_prefecture, islands
        As in :func:`contiguity`.

    Returns
    -------
    Edges
        The codes kept and the links.

    Notes
    -----
    Kept in the derived cache with the key of :func:`edges_table` (every coordinate and code,
    the parameters, the code of this module): a regions command then neither builds the
    graph again nor imports libpysal. What the build logged (islands bridged) is said again.
    """
    key = _edges_key(gdf, within_prefecture, islands)
    if key is None:  # not a GeoDataFrame with a CRS: _build says what is wrong
        kept, edges = _build(gdf, within_prefecture, islands)
        return Edges(pd.Index(kept.index), edges)
    from regionlib.data import _cache

    def build() -> dict:
        kept, edges = _build(gdf, within_prefecture, islands)
        return {
            "index": [str(c) for c in kept.index],
            "index_name": kept.index.name,
            "edges": {c: edges[c].tolist() for c in edges.columns},
        }

    product = _cache.cached_json("graph-edges", *key, build)
    edges = pd.DataFrame(product["edges"])
    if edges.empty:
        edges = pd.DataFrame({"code_a": [], "code_b": [], "kind": [], "distance_km": []}).astype(
            {"code_a": str, "code_b": str, "kind": str, "distance_km": float}
        )
    index = pd.Index(product["index"], name=product["index_name"], dtype="str")
    return Edges(index, edges)


def contiguity(
    gdf: gpd.GeoDataFrame,
    *,
    within_prefecture: bool = False,
    islands: IslandPolicy = "connect",
) -> Graph:
    """Build the Queen contiguity graph of municipalities.

    Parameters
    ----------
    gdf
        Municipalities on the 5-digit ``code`` index with valid geometries.
    within_prefecture
        Forbid links between municipalities of different prefectures (``pref_code`` or
        ``prefecture`` column, else the first two code digits).
    islands
        ``"connect"`` (default) links every island or island group to its nearest municipality
        until the graph is connected (one component per prefecture with
        ``within_prefecture``), logging each added link; ``"keep"`` leaves isolates;
        ``"drop"`` removes municipalities without a land neighbour (logged).

    Returns
    -------
    libpysal.graph.Graph
        Binary, symmetric graph whose ids are the codes.

    Examples
    --------
    >>> from regionlib import boundaries, graph
    >>> g = graph.contiguity(boundaries.load_boundaries())  # doctest: +SKIP
    >>> g.n_components  # doctest: +SKIP
    1
    """
    built = contiguity_edges(gdf, within_prefecture=within_prefecture, islands=islands)
    return _graph_from_edges(built.index, built.edges)


def _graph_from_edges(index: pd.Index, edges: pd.DataFrame) -> Graph:
    from libpysal.graph import Graph  # seconds to import: only when a graph is made

    a = edges["code_a"].to_numpy()
    b = edges["code_b"].to_numpy()
    focal = np.concatenate([a, b])
    neighbor = np.concatenate([b, a])
    weight = np.ones(len(focal))
    degree = pd.Index(focal).value_counts()
    isolates = index[~index.isin(degree.index)]
    if len(isolates):
        focal = np.concatenate([focal, isolates.to_numpy()])
        neighbor = np.concatenate([neighbor, isolates.to_numpy()])
        weight = np.concatenate([weight, np.zeros(len(isolates))])
    order = pd.Index(index).get_indexer
    sort = np.lexsort((order(neighbor), order(focal)))
    return Graph.from_arrays(focal[sort], neighbor[sort], weight[sort])


def edges_table(
    gdf: gpd.GeoDataFrame,
    *,
    within_prefecture: bool = False,
    islands: IslandPolicy = "connect",
) -> pd.DataFrame:
    """List the links of the contiguity graph with their kind and length.

    Parameters
    ----------
    gdf
        Municipalities on the code index.
    within_prefecture
        As in :func:`contiguity`.
    islands
        As in :func:`contiguity`.

    Returns
    -------
    pandas.DataFrame
        One row per undirected link: ``code_a`` < ``code_b`` for borders, ``kind``
        (``"border"`` or ``"bridge"``), ``border_km`` (shared boundary length, 0 where only a
        corner is shared) and ``distance_km`` (straight-line gap bridged, 0 for borders).

    Notes
    -----
    The table is kept in the derived cache (:mod:`regionlib.data._cache`), keyed by every
    coordinate and code of ``gdf`` (:func:`~regionlib.data._cache.geometry_hash`), its CRS,
    the prefecture columns where they matter, the parameters, the GEOS and PROJ versions and
    the code of this module: measuring the shared borders nationwide costs about a second.
    What the build logged (islands bridged) is said again on every load.
    """
    key = _edges_key(gdf, within_prefecture, islands)
    if key is None:  # not a GeoDataFrame with a CRS: _build says what is wrong
        return _edges_table(gdf, within_prefecture, islands)
    from regionlib.data import _cache

    return _cache.cached(
        "graph-edges-table",
        *key,
        lambda: _edges_table(gdf, within_prefecture, islands),
        geometry=False,
    )


#: regionlib's own files an edge table is built by (part of its cache key)
_CODE_FILES = ("analysis/graph.py", "data/_validate.py", "data/codes.py")


def _edges_key(gdf: gpd.GeoDataFrame, within_prefecture: bool, islands: str):
    """Return the cache inputs and parameters of :func:`edges_table`, or None (no cache)."""
    from pathlib import Path

    import pyproj

    from regionlib.data import _cache

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None or islands not in _POLICIES:
        return None
    groups = (
        [c for c in ("pref_code", "prefecture") if c in gdf.columns] if within_prefecture else []
    )
    root = Path(__file__).parents[1]
    inputs = [
        _cache.geometry_hash(gdf, groups),
        *(_cache.file_sha256(root / f) for f in _CODE_FILES),
    ]
    params = {
        "within_prefecture": bool(within_prefecture),
        "islands": islands,
        "groups": groups,
        "index": str(gdf.index.dtype),
        "crs": gdf.crs.to_wkt(),
        "area_crs": settings.area_crs,
        "geos": shapely.geos_version_string,
        "proj": pyproj.proj_version_str,
    }
    return inputs, params


def _edges_table(gdf: gpd.GeoDataFrame, within_prefecture: bool, islands: str) -> pd.DataFrame:
    reduced, edges = _build(gdf, within_prefecture, islands)
    geoms = reduced.geometry.to_crs(settings.area_crs)
    a = geoms.loc[edges["code_a"]].to_numpy()
    b = geoms.loc[edges["code_b"]].to_numpy()
    border = edges["kind"].to_numpy() == "border"
    shared = np.zeros(len(edges))
    shared[border] = shapely.length(
        shapely.intersection(
            shapely.boundary(a[border]), shapely.boundary(b[border]), grid_size=1.0
        )
    )
    out = edges.assign(border_km=shared / 1000.0)[
        ["code_a", "code_b", "kind", "border_km", "distance_km"]
    ]
    return out.round({"border_km": 3, "distance_km": 3}).reset_index(drop=True)


def adjacency_matrix(graph: Graph | Edges, index: pd.Index) -> sparse.csr_matrix:
    """Return the graph as a symmetric 0/1 CSR matrix ordered like ``index``.

    Parameters
    ----------
    graph
        A graph whose ids include every code of ``index``.
    index
        The codes, in the order of the rows of the matrix.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``n × n`` adjacency without self-loops; links to codes outside ``index`` are dropped.

    Raises
    ------
    RegionlibError
        If some codes of ``index`` are not in the graph.
    """
    from scipy import sparse

    ids = pd.Index(graph.unique_ids)
    missing = index[~index.isin(ids)]
    if len(missing):
        raise RegionlibError(
            f"{len(missing)} 市区町村がグラフにありません（コード {list(missing[:10])}）。同じ GeoDataFrame からグラフを作ってください / "
            f"{len(missing)} municipalities are not in the graph (codes {list(missing[:10])}); "
            "build the graph from the same GeoDataFrame"
        )
    if isinstance(graph, Edges):
        focal, neighbor = graph.edges["code_a"], graph.edges["code_b"]
    else:
        adj = graph.adjacency.reset_index()
        adj = adj[(adj["focal"] != adj["neighbor"]) & (adj["weight"] != 0)]
        focal, neighbor = adj["focal"], adj["neighbor"]
    pos = pd.Index(index)
    i = pos.get_indexer(focal)
    j = pos.get_indexer(neighbor)
    keep = (i >= 0) & (j >= 0)
    n = len(index)
    mat = sparse.coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=(n, n)).tocsr()
    mat = ((mat + mat.T) > 0).astype(np.float64)
    mat.setdiag(0)
    mat.eliminate_zeros()
    return mat.tocsr()


def components(graph: Graph | Edges, index: pd.Index) -> pd.Series:
    """Label the connected components of the graph.

    Parameters
    ----------
    graph
        The contiguity graph.
    index
        The codes to label.

    Returns
    -------
    pandas.Series
        Component number per code (0 = the component of the first code).
    """
    from scipy.sparse import csgraph

    labels = csgraph.connected_components(adjacency_matrix(graph, index), directed=False)[1]
    return pd.Series(labels, index=index, name="component")
