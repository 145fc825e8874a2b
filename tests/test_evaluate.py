from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionlib import evaluate, graph, references, regions
from regionlib._errors import RegionlibError


@pytest.fixture
def g(grid):
    return graph.contiguity(grid)


def test_contiguity_check(grid, g):
    rows = pd.Series([(int(c[-2:]) - 1) // 4 for c in grid.index], index=grid.index)
    rows["01017"] = 0
    assert evaluate.check_contiguity(rows, g).all()
    broken = rows.copy()
    broken["01016"] = 0  # top-right box joins the bottom row: not adjacent to it
    result = evaluate.check_contiguity(broken, g)
    assert not result[0]
    assert result.drop(0).all()


def test_floor_check(grid):
    rows = pd.Series([(int(c[-2:]) - 1) // 4 for c in grid.index], index=grid.index)
    rows["01017"] = 0
    ok = evaluate.check_floor(grid, rows, ("population", 8000))
    # row r has 4 boxes of 1000 (r + 1) people; row 0 also has the island (500)
    assert ok.attrs["totals"].tolist() == [4500, 8000, 12000, 16000]
    assert ok.tolist() == [False, True, True, True]


def test_sum_of_squares_and_compactness(grid):
    one = pd.Series(1, index=grid.index)
    within, total = evaluate.sum_of_squares(grid, one, ["x"])
    assert within == pytest.approx(total)
    each = pd.Series(range(len(grid)), index=grid.index)
    assert evaluate.sum_of_squares(grid, each, ["x"])[0] == pytest.approx(0)
    iq = evaluate.compactness(grid, each)
    # a square has 4πA/P² = π/4; boxes in degrees become slightly non-square rectangles
    assert iq.iloc[0] == pytest.approx(np.pi / 4, rel=0.05)
    rows = pd.Series([(int(c[-2:]) - 1) // 4 for c in grid.index], index=grid.index)
    rows["01017"] = 0
    # a 4 x 1 strip of boxes (4πA/P² ≈ 0.56) is much less compact than one box (≈ 0.78)
    assert evaluate.compactness(grid, rows).max() < iq.min() * 0.8


def test_agreement():
    a = pd.Series([1, 1, 2, 2, 3], index=list("abcde"))
    b = pd.Series(["x", "x", "y", "y", "z"], index=list("abcde"))
    assert evaluate.agreement(a, b) == {"ari": 1.0, "ami": 1.0, "n_split": 0, "n_common": 5}
    c = pd.Series([1, 2, 1, 2], index=list("abcf"))
    assert evaluate.agreement(c, b)["n_common"] == 3
    assert evaluate.agreement(c, b)["n_split"] == 1  # x = {a, b} falls in regions 1 and 2
    assert evaluate.agreement(c, b)["ari"] < 0.5


def test_evaluate_full_report(grid, g):
    labels = regions.regionalize(grid, ["x"], method="maxp", floor=("population", 5000), graph=g)
    refs = {"prefecture": grid["prefecture"]}
    result = evaluate.evaluate(
        grid, labels, columns=["x"], floor=("population", 5000), graph=g, references=refs
    )
    assert result["floor_ok"] is True and result["contiguous"] is True
    assert result["n_regions"] == labels.nunique()
    assert 0 < result["ssd_ratio"] < 1
    assert result["population_min"] >= 5000
    assert -1 <= result["ari_prefecture"] <= 1
    text = evaluate.format_evaluation(result)
    assert "リージョン数" in text and "都道府県との一致（調整ランド指数）" in text


def test_evaluate_rejects_partial_labels(grid, g):
    labels = pd.Series(1, index=grid.index[:-1])
    with pytest.raises(RegionlibError, match="01017"):
        evaluate.evaluate(grid, labels, graph=g)


def test_random_regions(grid, g):
    a = evaluate.random_regions(g, grid.index, 5, random_state=1)
    b = evaluate.random_regions(g, grid.index, 5, random_state=1)
    assert a.equals(b)
    assert a.nunique() == 5
    assert evaluate.check_contiguity(a, g).all()
    with pytest.raises(RegionlibError, match="between 1"):
        evaluate.random_regions(g, grid.index, 40)


def test_prefecture_groups(grid):
    groups = references.prefecture_groups(grid.index)
    assert groups.unique().tolist() == ["01"]
    with_col = references.prefecture_groups(grid.assign(pref_code="02"))
    assert with_col.unique().tolist() == ["02"]


def test_commuting_zones_2020(mirror_dir):
    zones = references.load_commuting_zones(2020)
    assert len(zones) == 1740
    assert zones.nunique() == 258
    assert "07546" not in zones.index
    assert zones["01100"] == zones.loc["01100"]  # 5-digit string codes
    with pytest.raises(RegionlibError, match="1980"):
        references.load_commuting_zones(2021)


def test_regions_beat_random_on_commuting_zones(mirror_dir):
    from regionlib import indicators, table

    data = table.load_table()
    columns = [c for c in indicators.DEFAULT_INDICATORS if c != "population_2020"]
    g = graph.contiguity(data)
    zones = references.load_commuting_zones(2020)
    n = zones.nunique()
    proposed = regions.regionalize(
        data, columns, method="ward", n_regions=n, graph=g, missing="median", spatial_weight=10
    )
    ours = evaluate.agreement(proposed, zones)
    for seed in range(5):
        rand = evaluate.agreement(
            evaluate.random_regions(g, data.index, n, random_state=seed), zones
        )
        assert ours["ari"] > rand["ari"]
        assert ours["ami"] > rand["ami"]
    # max-p with the 200,000 floor: every region meets it and is contiguous
    floor = ("population_2020", 200_000)
    maxp = regions.regionalize(
        data, columns, method="maxp", floor=floor, graph=g, missing="median", spatial_weight=10
    )
    report = evaluate.evaluate(
        data,
        maxp,
        columns=columns,
        floor=floor,
        graph=g,
        references={"commuting_zone_2020": zones},
        missing="median",
    )
    assert report["floor_ok"] and report["contiguous"]
    assert report["n_regions"] > 250


def test_measure_labels_are_japanese():
    assert (
        evaluate.measure_label("ari_commuting_zone_2020")
        == "通勤圏(2020)との一致（調整ランド指数）"
    )
    assert evaluate.measure_label("ami_prefecture") == "都道府県との一致（調整相互情報量）"
    assert evaluate.measure_label("n_regions") == "リージョン数"
    assert evaluate.measure_label("unknown_key") == "unknown_key"


def test_evaluation_tells_snakes_from_archipelagos():
    import geopandas as gpd
    import shapely

    from regionlib import settings

    size = 1000.0  # metres, in the area CRS
    boxes = [shapely.box(i * size, 0, (i + 1) * size, size) for i in range(80)]  # a 1 x 80 strip
    # 900 islets of 100 m on a lattice east of a 20 km block: much coastline, little land
    islets = shapely.union_all(
        [
            shapely.box(x, y, x + 100, y + 100)
            for x in np.arange(30_000, 75_000, 1500.0)
            for y in np.arange(0, 45_000, 1500.0)
        ]
    )
    shapes = [*boxes, shapely.box(0, 10_000, 20_000, 30_000), islets]
    gdf = gpd.GeoDataFrame(
        {"code": [f"01{i:03d}" for i in range(len(shapes))]},
        geometry=shapes,
        crs=settings.area_crs,
    ).set_index("code")
    labels = pd.Series([1] * 80 + [2, 2], index=gdf.index)  # the strip; a block and its islets
    whole = evaluate.compactness(gdf, labels)
    largest = evaluate.compactness(gdf, labels, parts="largest")
    assert whole[1] < 0.05 and largest[1] < 0.05  # the strip: a snake by either measure
    assert whole[2] < 0.05 < largest[2]  # the islets' coastline drags the whole region down
    out = evaluate.evaluate(gdf, labels, graph=None, population=None)
    assert out["n_elongated"] == 1
    assert out["n_archipelago_low"] == 1


def test_agreement_metrics_equal_sklearn():
    """The numpy ARI and AMI give sklearn's values, edge cases included."""
    from sklearn import metrics

    rng = np.random.default_rng(7)
    cases = [(np.array([0, 1]), np.array([0, 1])), (np.zeros(5, int), np.arange(5))]
    for t in range(120):
        n = int(rng.integers(1, 1800))
        a = rng.integers(0, int(rng.integers(1, 330)), n)
        b = a // 3 if t % 3 == 0 else rng.integers(0, int(rng.integers(1, 48)), n)
        cases.append((a, b))
    for a, b in cases:
        for x, y in ((a, b), (b, a)):
            assert evaluate.adjusted_rand(x, y) == pytest.approx(
                metrics.adjusted_rand_score(x, y), abs=1e-10
            )
            assert evaluate.adjusted_mutual_information(x, y) == pytest.approx(
                metrics.adjusted_mutual_info_score(x, y), abs=1e-10
            )
