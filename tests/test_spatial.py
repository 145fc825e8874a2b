"""Global Moran's I and LISA categories on the synthetic grid."""

from __future__ import annotations

import numpy as np
import pytest
from libpysal.graph import Graph

from regionlib import spatial
from regionlib._errors import DataFormatError, UnknownNameError


def test_gradient_is_positively_autocorrelated(grid):
    result = spatial.compute_moran(grid, "x", permutations=199)
    assert result.i > 0.5
    assert result.expected == pytest.approx(-1 / 16)
    assert result.p_sim < 0.05 and result.n == 17
    assert "Moran's I of x" in str(result)


def test_checkerboard_is_negatively_autocorrelated(grid):
    g = grid.copy()
    idx = np.arange(len(g))
    g["checker"] = np.where((idx // 4 + idx % 4) % 2 == 0, 1.0, 0.0)
    # a rook graph on the 4 x 4 lattice, island linked to its neighbour
    pairs = [
        (a, b)
        for a in range(16)
        for b in range(16)
        if abs(a // 4 - b // 4) + abs(a % 4 - b % 4) == 1
    ]
    pairs += [(3, 16), (16, 3)]
    codes = list(g.index)
    graph = Graph.from_arrays(
        [codes[a] for a, _ in pairs], [codes[b] for _, b in pairs], np.ones(len(pairs))
    )
    result = spatial.compute_moran(g, "checker", graph=graph, permutations=0)
    assert result.i < -0.5
    assert np.isnan(result.p_sim)


@pytest.mark.slow  # esda compiles its permutation kernels (numba) on first use: 76 s loaded
def test_same_seed_same_p_values_and_global_state_restored(grid):
    # esda draws from NumPy's legacy global generator: check that it is left as it was
    np.random.seed(123)  # noqa: NPY002
    expected_next = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    a = spatial.compute_moran(grid, "x", permutations=99, random_state=5)
    assert np.random.random() == expected_next  # noqa: NPY002
    b = spatial.compute_moran(grid, "x", permutations=99, random_state=5)
    assert a == b
    la = spatial.compute_lisa(grid, "population", permutations=99, random_state=5)
    lb = spatial.compute_lisa(grid, "population", permutations=99, random_state=5)
    assert la.equals(lb)


def test_lisa_categories(grid):
    lisa = spatial.compute_lisa(grid, "population", permutations=999)
    assert lisa.index.name == "code" and len(lisa) == 17
    assert set(lisa["category"]) <= {"HH", "LL", "HL", "LH", "ns", "isolate"}
    # the bottom row (population 1000) is low among low neighbours; the top row high
    assert set(lisa.loc[["01001", "01002", "01003", "01004"], "quadrant"]) == {"LL"}
    assert set(lisa.loc[["01013", "01014", "01015", "01016"], "quadrant"]) == {"HH"}
    assert (lisa["category"] == "LL").any() and (lisa["category"] == "HH").any()
    ns = lisa["p_sim"] >= 0.05
    assert (lisa.loc[ns, "category"] == "ns").all()
    assert lisa.loc[lisa["category"] == "ns", "category_ja"].eq("有意でない").all()


def test_missing_values_are_left_out(grid):
    g = grid.copy()
    g.loc["01006", "x"] = np.nan
    lisa = spatial.compute_lisa(g, "x", permutations=99)
    assert "01006" not in lisa.index and len(lisa) == 16


def test_bad_columns(grid):
    with pytest.raises(UnknownNameError, match="population"):
        spatial.compute_moran(grid, "populaton")
    with pytest.raises(DataFormatError, match="same value"):
        spatial.compute_moran(grid.assign(c=1.0), "c")
    with pytest.raises(DataFormatError, match="no value"):
        spatial.compute_lisa(grid.assign(c=np.nan), "c")


def test_real_aging_rate_clusters_in_space(mirror_dir):
    table = pytest.importorskip("regionlib.table")
    gdf = table.load_table(["aging_rate"])
    result = spatial.compute_moran(gdf, "aging_rate", permutations=99)
    assert result.i > 0.3 and result.p_sim <= 0.01
    assert result.n == gdf["aging_rate"].notna().sum()
    lisa = spatial.compute_lisa(gdf, "aging_rate", permutations=99)
    hh = lisa["category"] == "HH"
    ll = lisa["category"] == "LL"
    assert hh.sum() > 50 and ll.sum() > 50
    # hot spots are old, cold spots young
    assert lisa.loc[hh, "value"].median() > lisa["value"].median() > lisa.loc[ll, "value"].median()
