from __future__ import annotations

import logging

import numpy as np
import pytest

from regionlib import graph
from regionlib._errors import DataFormatError, RegionlibError


def _pairs(g):
    adj = g.adjacency.reset_index()
    adj = adj[(adj["focal"] != adj["neighbor"]) & (adj["weight"] > 0)]
    return {tuple(sorted(p)) for p in zip(adj["focal"], adj["neighbor"], strict=True)}


def test_queen_grid_with_island_connected(grid, caplog):
    caplog.set_level(logging.INFO, logger="regionlib")
    g = graph.contiguity(grid)
    pairs = _pairs(g)
    # 24 rook + 18 diagonal links in a 4 x 4 grid, plus one bridge to the island
    assert len(pairs) == 43
    assert ("01004", "01017") in pairs  # nearest box to the island
    assert ("01001", "01006") in pairs  # corner contact counts (Queen)
    assert g.n_components == 1
    assert "01017" in caplog.text and "01004" in caplog.text


def test_island_policies(grid):
    kept = graph.contiguity(grid, islands="keep")
    assert list(kept.isolates) == ["01017"]
    assert kept.n_components == 2
    dropped = graph.contiguity(grid, islands="drop")
    assert "01017" not in set(dropped.unique_ids)
    assert dropped.n == 16
    with pytest.raises(RegionlibError, match="islands policy"):
        graph.contiguity(grid, islands="bridge")


def test_within_prefecture_never_crosses(grid):
    g = graph.contiguity(grid, within_prefecture=True)
    pref = grid["prefecture"]
    assert all(pref[a] == pref[b] for a, b in _pairs(g))
    assert g.n_components == 2  # one per prefecture; the island joins 青森県


def test_edges_table_kinds_and_lengths(grid):
    edges = graph.edges_table(grid)
    assert list(edges.columns) == ["code_a", "code_b", "kind", "border_km", "distance_km"]
    assert edges["kind"].value_counts().to_dict() == {"border": 42, "bridge": 1}
    side = edges.set_index(["code_a", "code_b"])
    # 0.1 degree of latitude is about 11.1 km; of longitude at 35 N about 9.1 km
    assert side.loc[("01001", "01005"), "border_km"] == pytest.approx(9.1, abs=0.3)
    assert side.loc[("01001", "01002"), "border_km"] == pytest.approx(11.1, abs=0.3)
    assert side.loc[("01001", "01006"), "border_km"] == 0
    bridge = edges[edges["kind"] == "bridge"].iloc[0]
    assert bridge["distance_km"] == pytest.approx(0.2 * 91.3, rel=0.05)


def test_inputs_not_mutated_and_deterministic(grid):
    before = grid.copy()
    a = graph.edges_table(grid)
    b = graph.edges_table(grid)
    assert a.equals(b)
    assert grid.equals(before)


def test_bad_input(grid):
    broken = grid.copy()
    broken.loc["01003", "geometry"] = None
    with pytest.raises(DataFormatError, match="01003"):
        graph.contiguity(broken)
    with pytest.raises(DataFormatError, match="duplicate"):
        graph.contiguity(grid.iloc[[0, 0, 1]])


def test_adjacency_matrix_and_components(grid):
    g = graph.contiguity(grid, islands="keep")
    mat = graph.adjacency_matrix(g, grid.index)
    assert mat.shape == (17, 17)
    assert (mat != mat.T).nnz == 0
    comp = graph.components(g, grid.index)
    assert comp["01017"] != comp["01001"]
    assert np.unique(comp).size == 2


def test_national_graph_connected(mirror_dir):
    from regionlib import boundaries

    gdf = boundaries.load_boundaries()
    g = graph.contiguity(gdf)
    assert g.n == 1741
    assert g.n_components == 1
    edges = graph.edges_table(gdf)
    # 佐渡市 (an island) is linked to the mainland by a bridge, 札幌市 only by land borders
    sado = edges[(edges["code_a"] == "15224") | (edges["code_b"] == "15224")]
    assert set(sado["kind"]) == {"bridge"}
    assert (edges["kind"] == "bridge").sum() < 80
    keep = graph.contiguity(gdf, islands="keep")
    assert len(keep.isolates) > 30


@pytest.mark.parametrize("islands", ["connect", "keep", "drop"])
def test_edges_without_libpysal_equal_the_graph(grid, islands):
    """The light edge list regionlib's analyses use gives the libpysal graph's matrix."""
    edges = graph.contiguity_edges(grid, islands=islands)
    g = graph.contiguity(grid, islands=islands)
    assert list(edges.unique_ids) == list(g.unique_ids)
    index = edges.unique_ids
    a = graph.adjacency_matrix(edges, index)
    b = graph.adjacency_matrix(g, index)
    assert (a != b).nnz == 0
    assert a.nnz > 0
    assert graph.components(edges, index).equals(graph.components(g, index))


def test_edges_table_cached_by_geometry_and_parameters(grid, isolated_cache, spy, caplog):
    """A second call reads the cache (same table, same warning); a changed input rebuilds."""
    import pandas as pd
    import shapely

    from regionlib.analysis import graph as g

    caplog.set_level(logging.INFO, logger="regionlib")
    first = g.edges_table(grid)
    assert "islands bridged" in caplog.text
    caplog.clear()
    built = spy(g, "_edges_table")
    again = g.edges_table(grid)
    assert built == []  # read from the cache
    pd.testing.assert_frame_equal(again, first)
    assert "islands bridged" in caplog.text  # what the build said is said again
    g.edges_table(grid, within_prefecture=True)
    g.edges_table(grid, islands="keep")
    assert [args[1:] for args in built] == [(True, "connect"), (False, "keep")]
    moved = grid.copy()  # one vertex of one box moved: another key
    moved.loc["01016", "geometry"] = shapely.affinity.translate(
        moved.loc["01016", "geometry"], xoff=0.01
    )
    changed = g.edges_table(moved)
    assert len(built) == 3
    assert not changed["border_km"].equals(first["border_km"])
    renamed = grid.rename(index={"01017": "01018"})  # another code: another key
    assert "01018" in set(g.edges_table(renamed)["code_b"]) | set(g.edges_table(renamed)["code_a"])
    assert len(built) == 4
    with pytest.raises(DataFormatError):  # no CRS: not cached, the check says why
        g.edges_table(grid.set_crs(None, allow_override=True))


@pytest.mark.parametrize("islands", ["connect", "keep", "drop"])
def test_contiguity_edges_cached_as_built(grid, isolated_cache, spy, islands):
    """The cached links and codes equal a fresh build; a moved vertex builds again."""
    import pandas as pd
    import shapely

    from regionlib.analysis import graph as g

    kept, fresh = g._build(grid, False, islands)
    first = g.contiguity_edges(grid, islands=islands)
    calls = spy(g, "_build")
    again = g.contiguity_edges(grid, islands=islands)
    assert calls == []
    for got in (first, again):
        assert list(got.index) == list(kept.index)
        pd.testing.assert_frame_equal(
            got.edges.reset_index(drop=True), fresh.reset_index(drop=True), check_dtype=False
        )
    moved = grid.copy()
    moved.loc["01016", "geometry"] = shapely.affinity.translate(
        moved.loc["01016", "geometry"], xoff=0.01
    )
    g.contiguity_edges(moved, islands=islands)
    assert calls[0][1:] == (False, islands)  # built again ("drop" then builds the reduced graph)


def test_pair_components_are_scipys():
    """Connected parts of index pairs: scipy's labels, in either link direction."""
    from scipy import sparse
    from scipy.sparse import csgraph

    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(1, 400))
        m = int(rng.integers(0, 2 * n))
        i, j = rng.integers(0, n, m), rng.integers(0, n, m)
        matrix = sparse.coo_matrix((np.ones(m), (i, j)), shape=(n, n)).tocsr()
        expected = csgraph.connected_components(matrix, directed=False)[1]
        np.testing.assert_array_equal(graph.pair_components(n, i, j), expected)
        np.testing.assert_array_equal(graph.pair_components(n, j, i), expected)
    chain = np.arange(99_999)  # a long chain is one part
    assert set(graph.pair_components(100_000, chain + 1, chain).tolist()) == {0}
