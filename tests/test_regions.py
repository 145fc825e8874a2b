from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from regionlib import evaluate, graph, regions
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError

FLOOR = ("population", 5000)


@pytest.fixture
def g(grid):
    return graph.contiguity(grid)


def _assert_valid(grid, labels, g, floor=None):
    assert labels.index.equals(grid.index)
    assert labels.name == "region"
    assert labels.notna().all()
    assert evaluate.check_contiguity(labels, g).all()
    if floor is not None:
        assert evaluate.check_floor(grid, labels, floor).all()


@pytest.mark.parametrize("method", ["ward", "skater"])
def test_n_regions_methods(grid, g, method):
    labels = regions.regionalize(grid, ["x"], method=method, n_regions=4, graph=g)
    assert labels.nunique() == 4
    assert sorted(labels.unique()) == [1, 2, 3, 4]
    _assert_valid(grid, labels, g)
    # x is a west-east gradient: each region spans few columns, so SSD is far below random
    within, total = evaluate.sum_of_squares(grid, labels, ["x"])
    rand = evaluate.random_regions(g, grid.index, 4, random_state=3)
    assert within < evaluate.sum_of_squares(grid, rand, ["x"])[0]
    assert within / total < 0.2


def test_skater_cuts_columns(grid, g):
    labels = regions.regionalize(grid, ["x"], method="skater", n_regions=4, graph=g)
    columns = pd.Series([int(code[-2:]) - 1 for code in grid.index], index=grid.index) % 4
    columns["01017"] = 3  # the island sits east
    # every region holds a single grid column (the gradient runs west-east)
    assert (labels.groupby(columns).nunique() == 1).all()


def test_maxp_floor_contiguity_and_count(grid, g):
    labels = regions.regionalize(grid, ["x"], method="maxp", floor=FLOOR, graph=g)
    _assert_valid(grid, labels, g, FLOOR)
    # total 40,500 people: at most 8 regions of 5,000; a greedy max-p should find at least 5
    assert 5 <= labels.nunique() <= 8


def test_maxp_local_search_does_not_hurt(grid, g):
    plain = regions.regionalize(
        grid, ["x"], method="maxp", floor=FLOOR, graph=g, local_search=False, n_restarts=4
    )
    better = regions.regionalize(
        grid, ["x"], method="maxp", floor=FLOOR, graph=g, local_search=True, n_restarts=4
    )
    assert plain.nunique() == better.nunique()
    ssd_plain = evaluate.sum_of_squares(grid, plain, ["x"])[0]
    ssd_better = evaluate.sum_of_squares(grid, better, ["x"])[0]
    assert ssd_better <= ssd_plain + 1e-9
    _assert_valid(grid, better, g, FLOOR)


@pytest.mark.parametrize("method", ["ward", "skater", "maxp"])
def test_deterministic_and_inputs_untouched(grid, g, method):
    before = grid.copy()
    kwargs = {"floor": FLOOR} if method == "maxp" else {"n_regions": 3}
    a = regions.regionalize(grid, ["x", "population"], method=method, graph=g, **kwargs)
    b = regions.regionalize(grid, ["x", "population"], method=method, graph=g, **kwargs)
    assert a.equals(b)
    assert grid.equals(before)


@pytest.mark.parametrize("method", ["ward", "skater", "maxp"])
def test_cached_labels_equal_solved_ones_and_follow_their_inputs(
    grid, g, method, isolated_cache, spy
):
    from regionlib.analysis.regions import _api

    kwargs = {"floor": FLOOR} if method == "maxp" else {"n_regions": 3}
    solved = regions.regionalize(grid, ["x", "population"], method=method, graph=g, **kwargs)
    first = regions.regionalize(
        grid, ["x", "population"], method=method, graph=g, cache=True, **kwargs
    )
    assert first.equals(solved)
    assert list((isolated_cache / "derived").glob("region-labels-*.parquet"))
    calls = spy(_api, "_solve")
    again = regions.regionalize(
        grid, ["x", "population"], method=method, graph=g, cache=True, **kwargs
    )
    assert again.equals(solved) and calls == []  # read, not solved
    # another seed, another feature value or another option is solved again
    regions.regionalize(
        grid, ["x", "population"], method=method, graph=g, cache=True, random_state=7, **kwargs
    )
    changed = grid.assign(x=grid["x"].where(grid.index != "01001", 99.0))
    regions.regionalize(changed, ["x", "population"], method=method, graph=g, cache=True, **kwargs)
    assert len(calls) == 2


def test_pinned_labels(grid, g):
    labels = regions.regionalize(grid, ["x"], method="skater", n_regions=2, graph=g)
    # the west half (columns 0-1) against the east half and the island
    west = [c for c in grid.index if c != "01017" and (int(c[-2:]) - 1) % 4 < 2]
    assert labels[west].nunique() == 1
    assert labels[west].iloc[0] != labels["01004"]
    assert labels["01017"] == labels["01004"]


def test_within_prefecture(grid):
    for method, kwargs in [
        ("maxp", {"floor": FLOOR}),
        ("ward", {"n_regions": 4}),
        ("skater", {"n_regions": 4}),
    ]:
        labels = regions.regionalize(grid, ["x"], method=method, within_prefecture=True, **kwargs)
        assert (
            labels.groupby(labels).apply(lambda s: grid.loc[s.index, "prefecture"].nunique()) == 1
        ).all(), method
    with pytest.raises(RegionlibError, match="at least 2 regions"):
        regions.regionalize(grid, ["x"], method="ward", n_regions=1, within_prefecture=True)


def test_cores_and_together(grid, g):
    labels = regions.regionalize(
        grid,
        ["x"],
        method="maxp",
        floor=FLOOR,
        graph=g,
        cores=["01013", "01016"],
        together=[["01001", "01002"]],
    )
    assert labels["01013"] != labels["01016"]
    assert labels["01001"] == labels["01002"]
    _assert_valid(grid, labels, g, FLOOR)
    skater = regions.regionalize(
        grid, ["x"], method="skater", n_regions=4, graph=g, together=[["01003", "01002"]]
    )
    assert skater["01003"] == skater["01002"]
    ward = regions.regionalize(
        grid, ["x"], method="ward", n_regions=4, graph=g, together=[["01004", "01003"]]
    )
    assert ward["01004"] == ward["01003"]
    assert evaluate.check_contiguity(ward, g).all()
    with pytest.raises(RegionlibError, match="not contiguous"):
        regions.regionalize(
            grid, ["x"], method="maxp", floor=FLOOR, graph=g, together=[["01001", "01016"]]
        )
    with pytest.raises(RegionlibError, match="maxp"):
        regions.regionalize(grid, ["x"], method="ward", n_regions=3, graph=g, cores=["01001"])


def test_bad_input(grid, g):
    with pytest.raises(RegionlibError, match="above the total"):
        regions.regionalize(grid, ["x"], method="maxp", floor=("population", 10**9), graph=g)
    with pytest.raises(RegionlibError, match="more than the 17"):
        regions.regionalize(grid, ["x"], method="ward", n_regions=18, graph=g)
    with pytest.raises(RegionlibError, match="needs a floor"):
        regions.regionalize(grid, ["x"], method="maxp", graph=g)
    with pytest.raises(UnknownNameError, match="did you mean"):
        regions.regionalize(grid, ["x"], method="maxp", floor=("populaton", 1), graph=g)
    with pytest.raises(UnknownNameError, match="method"):
        regions.regionalize(grid, ["x"], method="kmeans", n_regions=2, graph=g)
    gaps = grid.copy()
    gaps.loc[["01003", "01010"], "x"] = np.nan
    with pytest.raises(DataFormatError, match="01003, 01010"):
        regions.regionalize(gaps, ["x"], method="ward", n_regions=3, graph=g)


def test_disconnected_graph_is_explained(grid):
    kept = graph.contiguity(grid, islands="keep")
    # the island (500 people) cannot reach 5,000 on its own: say which municipality
    with pytest.raises(RegionlibError, match=r"01017.*islands='connect'"):
        regions.regionalize(grid, ["x"], method="maxp", floor=FLOOR, graph=kept)
    with pytest.raises(RegionlibError, match="at least 2 regions"):
        regions.regionalize(grid, ["x"], method="skater", n_regions=1, graph=kept)
    # with enough regions, each part is handled on its own and stays contiguous
    for method in ("ward", "skater"):
        labels = regions.regionalize(grid, ["x"], method=method, n_regions=3, graph=kept)
        assert labels.nunique() == 3
        assert (labels == labels["01017"]).sum() == 1
        assert evaluate.check_contiguity(labels, kept).all()
    low = regions.regionalize(grid, ["x"], method="maxp", floor=("population", 400), graph=kept)
    assert evaluate.check_contiguity(low, kept).all()


def test_spatial_weight_changes_features(grid, g):
    plain = regions.regionalize(grid, ["population"], method="ward", n_regions=2, graph=g)
    located = regions.regionalize(
        grid, ["population"], method="ward", n_regions=2, graph=g, spatial_weight=10.0
    )
    # population varies by row (south-north); a heavy location weight still splits by rows
    assert plain.nunique() == located.nunique() == 2
    with pytest.raises(RegionlibError, match="spatial_weight"):
        regions.regionalize(grid, ["x"], method="ward", n_regions=2, graph=g, spatial_weight=-1)


def test_region_table_names(grid, g):
    labels = regions.regionalize(grid, ["x"], method="maxp", floor=FLOOR, graph=g)
    named = grid.assign(name=[f"{c}町" for c in "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午"])
    table = regions.region_table(named, labels)
    assert list(table.columns[:6]) == [
        "region_name",
        "core",
        "core_name",
        "n_members",
        "population",
        "members",
    ]
    assert table["n_members"].sum() == len(grid)
    assert table["population"].sum() == grid["population"].sum()
    for region, row in table.iterrows():
        members = row["members"].split()
        assert set(members) == set(labels.index[labels == region])
        assert row["core"] == grid.loc[members, "population"].idxmax()
    assert table["region_name"].str.endswith("圏").all()


def test_region_name():
    assert regions.region_name("旭川市") == "旭川圏"
    assert regions.region_name("津市") == "津市圏"
    assert regions.region_name("千代田区") == "千代田圏"
    assert regions.region_name("東神楽町") == "東神楽圏"


def test_parse_floor():
    assert regions.parse_floor("population:200,000") == ("population", 200000.0)
    with pytest.raises(RegionlibError, match="COLUMN:NUMBER"):
        regions.parse_floor("population")


def test_national_methods_valid(mirror_dir):
    from regionlib import boundaries

    gdf = boundaries.load_boundaries()
    projected = gdf.geometry.to_crs("EPSG:6933")
    area = projected.area
    # synthetic features on real shapes keep this test independent of indicator loading
    rng = np.random.default_rng(0)
    frame = gdf.assign(
        population=np.round(area / 1e6 * 100 + rng.integers(0, 5000, len(gdf))),
        a=projected.centroid.x / 1e5 + rng.normal(0, 0.5, len(gdf)),
        b=rng.normal(0, 1, len(gdf)),
    )
    g = graph.contiguity(frame)
    floor = ("population", 200_000)
    labels = regions.regionalize(frame, ["a", "b"], method="maxp", floor=floor, graph=g)
    assert labels.index.equals(frame.index)
    assert evaluate.check_floor(frame, labels, floor).all()
    assert evaluate.check_contiguity(labels, g).all()
    assert labels.nunique() > 100
    sk = regions.regionalize(frame, ["a", "b"], method="skater", n_regions=50, graph=g)
    assert sk.nunique() == 50 and evaluate.check_contiguity(sk, g).all()
    assert shapely.is_valid(frame.geometry.iloc[0])


def test_cli_regions_and_neighbours(mirror_dir, tmp_path, capsys):
    from regionlib.cli import main

    out = tmp_path / "hokkaido.csv"
    code = main(
        [
            "-q",
            "regions",
            "--method",
            "maxp",
            "--floor",
            "population:200000",
            "--prefectures",
            "01",
            "--csv",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    assert list(frame.columns) == ["code", "prefecture", "name", "region", "region_name", "note"]
    assert len(frame) == 179
    assert frame["region"].notna().all()
    assert frame.loc[frame["code"] == "01100", "region_name"].item() == "札幌圏"
    assert (tmp_path / "hokkaido_evaluation.txt").read_text(encoding="utf-8").count("はい") >= 2
    assert "リージョン数" in capsys.readouterr().out
    # islands dropped from the graph keep their row, with the reason
    tokyo = tmp_path / "tokyo.csv"
    argv = ["-q", "regions", "--method", "skater", "--n-regions", "5", "--prefectures", "13"]
    assert main([*argv, "--islands", "drop", "--csv", str(tokyo)]) == 0
    frame = pd.read_csv(tokyo, dtype={"code": str}, encoding="utf-8-sig")
    assert len(frame) == 62
    oshima = frame.set_index("code").loc["13361"]
    assert pd.isna(oshima["region"]) and "除外" in oshima["note"]
    assert frame["region"].nunique() == 5
    edges = tmp_path / "edges.csv"
    assert main(["-q", "neighbours", "--prefectures", "13", "-o", str(edges)]) == 0
    table = pd.read_csv(edges, dtype={"code_a": str, "code_b": str})
    assert set(table["kind"]) == {"border", "bridge"}  # Tokyo's islands are bridged
    assert (
        main(
            [
                "-q",
                "regions",
                "--method",
                "ward",
                "--n-regions",
                "500",
                "--prefectures",
                "01",
                "--csv",
                str(out),
            ]
        )
        == 2
    )
    assert "more than the 179" in capsys.readouterr().err


def test_dropped_islands_get_no_region(grid):
    labels = regions.regionalize(grid, ["x"], method="ward", n_regions=3, islands="drop")
    assert "01017" not in labels.index
    assert len(labels) == 16 and labels.nunique() == 3


@pytest.mark.parametrize(
    ("values", "message"),
    [(np.nan, "'bad' has no value for any of the 17"), ("abc", "'bad' is not numeric")],
)
def test_empty_or_text_column_refused_naming_it(grid, g, values, message):
    from regionlib import proposals

    frame = grid.assign(bad=values)
    with pytest.raises(DataFormatError, match=message):
        regions.regionalize(
            frame, ["x", "bad"], method="maxp", floor=FLOOR, graph=g, missing="median"
        )
    with pytest.raises(DataFormatError, match=message):
        proposals.propose_regions(
            frame, ["x", "bad"], floor=FLOOR, population="population", missing="median"
        )


def _box_grid(side: int, seed: int = 0):
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    rows = []
    for r in range(side):
        for c in range(side):
            rows.append(
                {
                    "code": f"{r * side + c + 1:05d}",
                    "population": 100,
                    "x": rng.normal(),
                    "geometry": shapely.box(
                        139 + c * 0.01, 35 + r * 0.01, 139.01 + c * 0.01, 35.01 + r * 0.01
                    ),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:6668").set_index("code")


@pytest.mark.parametrize("method", ["maxp", "skater"])
def test_compactness_makes_rounder_regions(method):
    frame = _box_grid(12)
    kwargs = {"floor": ("population", 1000)} if method == "maxp" else {"n_regions": 12}
    plain = regions.regionalize(frame, ["x"], method=method, **kwargs)
    compact = regions.regionalize(frame, ["x"], method=method, compactness=3.0, **kwargs)
    assert compact.nunique() >= 0.95 * plain.nunique()
    iq_plain = evaluate.compactness(frame, plain)
    iq_compact = evaluate.compactness(frame, compact)
    assert iq_compact.min() > 2 * iq_plain.min()  # no snake
    if method == "maxp":
        assert iq_compact.median() > iq_plain.median()
    # the indicator SSD pays for it
    assert (
        evaluate.sum_of_squares(frame, compact, ["x"])[0]
        >= evaluate.sum_of_squares(frame, plain, ["x"])[0]
    )
    with pytest.raises(RegionlibError, match="compactness must be 0 or more"):
        regions.regionalize(frame, ["x"], method=method, compactness=-0.1, **kwargs)


def test_default_compactness_leaves_no_snake_nationwide(mirror_dir, tmp_path):
    from regionlib.cli import main

    out = tmp_path / "maxp.csv"
    argv = ["-q", "regions", "--method", "maxp", "--floor", "population:200000"]
    assert main([*argv, "--csv", str(out)]) == 0
    text = (tmp_path / "maxp_evaluation.txt").read_text(encoding="utf-8")
    measures = dict(s.split(": ", 1) for s in text.splitlines() if ": " in s)
    assert float(measures["コンパクト度（等周比）最小（最大の陸地部分）"]) >= 0.05
    assert measures["細長いリージョンの数（最大の陸地部分の等周比が0.05未満）"] == "0"
    # regions below 0.05 as a whole are low through islands' coastline (沖縄, 五島, 奄美…)
    assert int(measures["等周比が0.05未満で、島々を含むため低いリージョンの数"]) >= 1
    assert main([*argv, "--compactness", "-1", "--csv", str(out)]) == 2


def _greedy_skater_reference(x, w, edges, n_regions, floor):
    """Brute force: at each step try every remaining edge, keep the best feasible SSD drop."""

    def ssd(nodes):
        sub = x[sorted(nodes)]
        return float(((sub - sub.mean(axis=0)) ** 2).sum())

    def parts(kept):
        g = {i: set() for i in range(len(x))}
        for a, b in kept:
            g[a].add(b)
            g[b].add(a)
        seen, out = set(), []
        for s in range(len(x)):
            if s not in seen:
                comp, stack = {s}, [s]
                while stack:
                    for u in g[stack.pop()] - comp:
                        comp.add(u)
                        stack.append(u)
                seen |= comp
                out.append(frozenset(comp))
        return out

    kept = list(edges)
    while len(parts(kept)) < n_regions:
        before = parts(kept)
        best = None
        for e in kept:
            rest = [f for f in kept if f != e]
            after = parts(rest)
            (old,) = set(before) - set(after)
            new = set(after) - set(before)
            if any(w[sorted(p)].sum() < floor for p in new):
                continue
            gain = ssd(old) - sum(ssd(p) for p in new)
            if best is None or gain > best[0] + 1e-9:
                best = (gain, e)
        if best is None:
            break
        kept.remove(best[1])
    return parts(kept)


@pytest.mark.parametrize("floor", [None, 12.0])
def test_skater_cuts_match_brute_force_greedy(floor):
    from scipy import sparse

    from regionlib.analysis.regions import skater
    from regionlib.analysis.regions._problem import Problem

    rng = np.random.default_rng(5)
    n = 40
    # a random spanning tree plus a few extra links: SKATER takes the feature-distance MST
    parent = [int(rng.integers(0, i)) for i in range(1, n)]
    links = [(p, i) for i, p in zip(range(1, n), parent, strict=True)]
    links += [(int(a), int(b)) for a, b in rng.integers(0, n, (10, 2)) if a != b]
    a, b = np.array(links).T
    adj = sparse.csr_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    adj.data[:] = 1
    x = rng.normal(size=(n, 2))
    w = rng.integers(1, 6, n).astype(float)
    problem = Problem(
        codes=pd.Index([f"{i:05d}" for i in range(n)]),
        node_of=np.arange(n),
        mass=np.ones(n),
        xsum=x.copy(),
        qsum=(x**2).sum(axis=1),
        weight=w,
        adjacency=adj,
        cores=np.array([], dtype=np.int64),
    )
    labels = skater.solve(problem, 6, floor=floor)
    got = {frozenset(np.flatnonzero(labels == v).tolist()) for v in np.unique(labels)}
    # the reference cuts the same minimum spanning tree
    from scipy.sparse import csgraph

    coo = sparse.triu(adj, k=1).tocoo()
    dist = np.sqrt(((x[coo.row] - x[coo.col]) ** 2).sum(axis=1)) + 1e-12
    mst = csgraph.minimum_spanning_tree(sparse.csr_matrix((dist, (coo.row, coo.col)), (n, n)))
    edges = list(zip(*mst.nonzero(), strict=True))
    want = _greedy_skater_reference(x, w, edges, 6, -np.inf if floor is None else floor)
    assert len(got) == 6
    assert got == set(want)
    if floor is not None:
        assert all(w[sorted(p)].sum() >= floor for p in got)


def test_skater_reports_where_the_floor_stops_it(grid, g):
    with pytest.raises(RegionlibError, match=r"cannot cut the tree into 9 regions .* stopped at"):
        regions.regionalize(
            grid, ["x"], method="skater", n_regions=9, floor=("population", 5000), graph=g
        )


def test_compiled_kernels_are_cached_in_the_regionlib_cache_folder():
    import numba

    from regionlib import settings
    from regionlib.analysis.regions import _kernels, skater

    assert os.environ["NUMBA_CACHE_DIR"] == numba.config.CACHE_DIR
    if os.environ["NUMBA_CACHE_DIR"].startswith(str(settings.cache_folder)):
        assert Path(numba.config.CACHE_DIR).name == "numba"
    for kernel in (skater._cut_forest, _kernels._add_to_frontier):
        assert kernel._cache.__class__.__name__ == "FunctionCache"


def test_wards_count_as_one_town_and_names_stay_unique():
    codes = ["13101", "13112", "14100", "99001", "99002", "99003", "99004"]
    gdf = pd.DataFrame(
        {
            "name": ["千代田区", "世田谷区", "横浜市", "甲市", "乙町", "丙市", "丁町"],
            "prefecture": ["東京都", "東京都", "神奈川県", "A県", "A県", "B県", "B県"],
            "population": [67_000, 940_000, 3_770_000, 500_000, 100_000, 500_000, 90_000],
        },
        index=pd.Index(codes, name="code"),
    )
    gdf.loc["13112", "population"] = 3_900_000  # the wards together outgrow 横浜市
    labels = pd.Series([1, 1, 1, 2, 2, 3, 3], index=codes)
    table = regions.region_table(gdf, labels)
    assert table.loc[1, "region_name"] == "東京圏" and table.loc[1, "core_name"] == "東京都区部"
    assert table.loc[1, "core"] == "13112"
    # two regions whose cores share a name get their next town
    gdf.loc["99003", "name"] = "甲市"
    table = regions.region_table(gdf, labels)
    assert set(table.loc[[2, 3], "region_name"]) == {"甲市・乙町圏", "甲市・丁町圏"}
    # a name taken by another region (another level) is not reused for other members
    table = regions.region_table(gdf, labels, taken={"東京圏": frozenset({"13101"})})
    assert table.loc[1, "region_name"] == "東京・横浜圏"
    same = regions.region_table(gdf, labels, taken={"東京圏": frozenset(codes[:3])})
    assert same.loc[1, "region_name"] == "東京圏"  # the same region keeps its name


def test_wards_split_between_regions_keep_every_name_plain():
    """Wards in two regions: the larger keeps 東京, the other takes its largest ward's name.

    Before, the two 「東京圏」 could never be told apart and every region of the country was
    numbered (札幌1圏, 函館2圏 …).
    """
    codes = ["13101", "13103", "13112", "13120", "99001", "99002"]
    gdf = pd.DataFrame(
        {
            "name": ["千代田区", "港区", "世田谷区", "練馬区", "甲市", "乙町"],
            "prefecture": ["東京都"] * 4 + ["A県"] * 2,
            "population": [67_000, 260_000, 940_000, 740_000, 500_000, 100_000],
        },
        index=pd.Index(codes, name="code"),
    )
    labels = pd.Series([1, 1, 2, 2, 3, 3], index=codes)
    table = regions.region_table(gdf, labels)
    assert table.loc[2, "region_name"] == "東京圏"  # 世田谷区 + 練馬区: most of the wards' people
    assert table.loc[1, "region_name"] == "港区圏" and table.loc[1, "core_name"] == "港区"
    assert table.loc[3, "region_name"] == "甲市圏"
    assert table["region_name"].is_unique
    # no region with most of the wards' people: each is named after its largest ward
    labels = pd.Series([1, 1, 2, 4, 3, 3], index=codes)
    table = regions.region_table(gdf, labels)
    assert list(table.loc[[1, 2, 4], "region_name"]) == ["港区圏", "世田谷圏", "練馬圏"]
    assert table["region_name"].is_unique
