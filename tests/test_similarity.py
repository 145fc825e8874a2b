"""Clusters, profiles, peers and comparison tables: synthetic checks, then the real table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionlib import features, similarity
from regionlib._errors import AmbiguousNameError, RegionlibError, UnknownNameError


@pytest.fixture(scope="module")
def blobs() -> pd.DataFrame:
    """Three well-separated groups of 40, 30 and 20 municipalities on two indicators."""
    rng = np.random.default_rng(7)
    centres = [(40.0, 9.0), (28.0, 14.0), (34.0, 20.0)]
    sizes = [40, 30, 20]
    rows = []
    for (a, c), n in zip(centres, sizes, strict=True):
        for _ in range(n):
            rows.append({"aging_rate": rng.normal(a, 1.0), "child_share": rng.normal(c, 0.5)})
    df = pd.DataFrame(rows)
    n = len(df)
    df.index = pd.Index([f"{1 + i % 2:02d}{i:03d}" for i in range(n)], name="code")
    df.insert(0, "name", [f"町{i}" for i in range(n)])
    df.insert(1, "prefecture", ["北海道" if i % 2 == 0 else "青森県" for i in range(n)])
    df.insert(2, "pref_code", ["01" if i % 2 == 0 else "02" for i in range(n)])
    df["population_2020"] = np.round(np.exp(rng.normal(9, 1, n)))
    df["group"] = np.repeat([0, 1, 2], sizes)
    return df


IND = ["aging_rate", "child_share"]


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_auto_k_recovers_three_groups(blobs, method):
    result = similarity.cluster_municipalities(blobs, IND, method=method, k_range=(2, 6))
    assert result.k == 3
    ev = result.evidence
    assert list(ev.index) == [2, 3, 4, 5, 6]
    assert ev.loc[3, "chosen"] and ev["chosen"].sum() == 1
    assert ev["bic"].notna().all() == (method == "gmm")
    # numbered by size: cluster 1 is the largest group (40), 3 the smallest (20)
    sizes = result.labels.value_counts().sort_index()
    assert list(sizes) == [40, 30, 20]
    crosstab = pd.crosstab(result.labels, blobs["group"])
    assert (crosstab.max(axis=1) == crosstab.sum(axis=1)).all()  # every cluster is pure


def test_same_seed_same_labels_and_inputs_untouched(blobs):
    before = blobs.copy()
    a = similarity.cluster_municipalities(blobs, IND, k=4, random_state=3)
    b = similarity.cluster_municipalities(blobs, IND, k=4, random_state=3)
    pd.testing.assert_series_equal(a.labels, b.labels)
    pd.testing.assert_frame_equal(blobs, before)
    assert a.labels.name == "cluster" and a.labels.index.name == "code"


def test_profiles_describe_distinctive_indicators(blobs):
    result = similarity.cluster_municipalities(blobs, IND, k=3)
    prof = similarity.profile_clusters(result)
    assert list(prof.index) == [1, 2, 3]
    assert prof["size"].tolist() == [40, 30, 20]
    assert prof["population"].sum() == pytest.approx(blobs["population_2020"].sum())
    # cluster 1 = the old group (aging 40, children 9): high aging, few children
    assert prof.at[1, "z_aging_rate"] > 0.5 and prof.at[1, "z_child_share"] < 0
    desc = prof.at[1, "description"]
    assert "aging_rate" in desc or "高齢化率" in desc
    assert desc.split("、")[0].endswith(("高く", "低く", "高い", "低い"))
    # the medoid belongs to its cluster
    for c, row in prof.iterrows():
        assert result.labels[row["medoid"]] == c


def test_describe_cluster_wording():
    z = pd.Series({"a": 1.5, "b": -0.9, "c": 0.2})
    assert similarity.describe_cluster(z) == "aが高く、bが低い"
    assert similarity.describe_cluster(z, max_terms=1) == "aが高い"
    assert similarity.describe_cluster(z * 0.1) == "全国の中央値に近い"
    # an index is high or low (財政力指数が高く), a count per head many or few (医師数が多く)
    z = pd.Series({"fiscal_strength_index": 1.2, "doctors_per_10k": 0.9})
    assert similarity.describe_cluster(z).startswith("財政力指数が高く")
    assert "医師数が多い" in similarity.describe_cluster(z)


def test_bad_k_and_method(blobs):
    with pytest.raises(RegionlibError, match="not smaller than the number"):
        similarity.cluster_municipalities(blobs, IND, k=len(blobs))
    with pytest.raises(RegionlibError, match="at least 2"):
        similarity.cluster_municipalities(blobs, IND, k=1)
    with pytest.raises(UnknownNameError, match="kmeans"):
        similarity.cluster_municipalities(blobs, IND, method="kmean")
    with pytest.raises(RegionlibError, match="'auto'"):
        similarity.cluster_municipalities(blobs, IND, k="many")


def test_peers_are_nearest_and_contributions_sum_to_one(blobs):
    peers = similarity.find_peers(blobs, "01000", indicators=IND, k=5)
    assert len(peers) == 5 and "01000" not in peers.index
    assert peers["distance"].is_monotonic_increasing
    assert peers["rank"].tolist() == [1, 2, 3, 4, 5]
    contrib = peers[[f"contrib_{n}" for n in IND]]
    assert np.allclose(contrib.sum(axis=1), 1)
    # the nearest peers come from the target's own group
    assert (blobs.loc[peers.index, "group"] == blobs.at["01000", "group"]).all()
    # brute-force check of the distance
    f = features.prepare_features(blobs, IND)
    x = f.matrix
    d = np.sqrt(((x - x.loc["01000"]) ** 2).sum(axis=1)).drop("01000").sort_values()
    assert np.allclose(peers["distance"], d.iloc[:5])


def test_peer_restrictions(blobs):
    same = similarity.find_peers(blobs, "01000", indicators=IND, k=5, same_prefecture=True)
    assert (blobs.loc[same.index, "pref_code"] == "01").all()
    other = similarity.find_peers(blobs, "01000", indicators=IND, k=5, other_prefectures=True)
    assert (blobs.loc[other.index, "pref_code"] == "02").all()
    p0 = blobs.at["01000", "population_2020"]
    near = similarity.find_peers(blobs, "01000", indicators=IND, k=5, population_within=30)
    assert ((near["population"] >= 0.7 * p0) & (near["population"] <= 1.3 * p0)).all()
    with pytest.raises(RegionlibError, match="exclude each other"):
        similarity.find_peers(
            blobs, "01000", indicators=IND, same_prefecture=True, other_prefectures=True
        )


def test_peers_bad_input(blobs):
    with pytest.raises(RegionlibError, match="only 89 other"):
        similarity.find_peers(blobs, "01000", indicators=IND, k=90)
    with pytest.raises(UnknownNameError):
        similarity.find_peers(blobs, "町999", indicators=IND)
    twin = blobs.copy()
    twin.loc["02001", "name"] = "町0"
    with pytest.raises(AmbiguousNameError, match=r"北海道町0.*青森県町0"):
        similarity.find_peers(twin, "町0", indicators=IND)
    assert similarity.find_peers(twin, "北海道町0", indicators=IND, k=1).attrs["target"] == "01000"
    gap = blobs.copy()
    gap.loc["01000", "aging_rate"] = np.nan
    with pytest.raises(RegionlibError, match="missing='impute'"):
        similarity.find_peers(gap, "01000", indicators=IND)


def test_compare_table(blobs):
    cmp_ = similarity.compare_municipality(blobs, "01000", indicators=IND, k=5)
    assert list(cmp_.index) == IND
    value = blobs.at["01000", "aging_rate"]
    assert cmp_.at["aging_rate", "value"] == value
    assert cmp_.at["aging_rate", "rank"] == (blobs["aging_rate"] > value).sum() + 1
    assert cmp_.at["aging_rate", "national_median"] == pytest.approx(blobs["aging_rate"].median())
    pref = blobs.loc[blobs["pref_code"] == "01", "aging_rate"].median()
    assert cmp_.at["aging_rate", "prefecture_median"] == pytest.approx(pref)
    assert 0 <= cmp_.at["aging_rate", "percentile"] <= 100


# --------------------------------------------------------------------------------------------
# real data (through the mirror)


@pytest.fixture(scope="module")
def real(request) -> pd.DataFrame:
    request.getfixturevalue("mirror_dir")
    table = pytest.importorskip("regionlib.table")
    return table.load_table(geometry=False)


@pytest.fixture(scope="module")
def real_features(real) -> features.Features:
    return features.prepare_features(real)


def test_real_peers_of_a_small_aging_town_are_small_and_aging(real, real_features):
    target = similarity.resolve_code(real, "夕張市")
    peers = similarity.find_peers(real_features, "夕張市", k=10)
    assert peers.attrs["target"] == target and len(peers) == 10
    p0 = real.at[target, "population_2020"]
    national = real_features.raw
    # small: every peer is below the national median population, none is a city of 50,000+
    assert (peers["population"] < national["population_2020"].median()).all()
    assert peers["population"].max() < 50_000 and p0 < 50_000
    # aging: every peer is in the oldest quarter of municipalities, as the town itself is
    q75 = national["aging_rate"].quantile(0.75)
    assert real.at[target, "aging_rate"] > q75
    assert (real.loc[peers.index, "aging_rate"] > q75).all()
    # and shrinking faster than the median municipality
    change = real.loc[peers.index, "population_change_2015_2020"]
    assert (change < national["population_change_2015_2020"].median()).all()


def test_real_peer_restrictions_and_comparison(real_features):
    peers = similarity.find_peers(
        real_features, "01209", k=5, other_prefectures=True, population_within=50
    )
    meta = real_features.meta
    assert (meta.loc[peers.index, "pref_code"] != "01").all()
    p0 = meta.at["01209", "population"]
    assert peers["population"].between(0.5 * p0, 1.5 * p0).all()
    cmp_ = similarity.compare_municipality(real_features, "01209", peers=peers)
    assert cmp_.at["aging_rate", "percentile"] > 95  # among the oldest in Japan
    assert cmp_.at["aging_rate", "value"] > cmp_.at["aging_rate", "national_median"]
    assert cmp_.at["aging_rate", "label"].startswith("高齢化率")
    assert cmp_.at["population_2020", "unit"] == "人"


def test_real_ambiguous_name_lists_both(real_features):
    with pytest.raises(AmbiguousNameError, match=r"東京都府中市.*広島県府中市"):
        similarity.find_peers(real_features, "府中市")


def test_real_clusters_are_explained_by_their_distinctive_indicators(real_features):
    result = similarity.cluster_municipalities(real_features, k="auto")
    assert 3 <= result.k <= 12
    assert result.evidence["chosen"].sum() == 1
    assert result.evidence.at[result.k, "chosen"]
    prof = similarity.profile_clusters(result)
    assert prof["size"].is_monotonic_decreasing
    assert prof["size"].sum() == len(real_features.matrix)
    zcols = [c for c in prof.columns if c.startswith("z_")]
    for _, row in prof.iterrows():
        z = row[zcols].astype(float)
        top = z.abs().idxmax().removeprefix("z_")
        if abs(z[f"z_{top}"]) < 0.5:
            continue
        words = {
            "population_2020": "人口が",
            "population_change_2015_2020": "人口",
        }.get(top, features.indicator_label(top, short=True))
        # the description opens with the cluster's most distinctive indicator
        assert row["description"].startswith(words), (top, row["description"])
    # the cluster with the oldest population is described as aging
    oldest = prof["z_aging_rate"].idxmax()
    if prof.at[oldest, "z_aging_rate"] >= 0.5:
        assert "高齢化率が高" in prof.at[oldest, "description"]


def test_cli_outputs_are_byte_identical(real, tmp_path, capsys):
    from regionlib.cli import main

    for i in (1, 2):
        assert main(["-q", "clusters", "--k", "auto", "-o", str(tmp_path / f"c{i}.csv")]) == 0
        assert main(["-q", "peers", "夕張市", "--k", "10", "-o", str(tmp_path / f"p{i}.csv")]) == 0
    c1, c2 = (tmp_path / "c1.csv").read_bytes(), (tmp_path / "c2.csv").read_bytes()
    assert c1 == c2
    assert (tmp_path / "p1.csv").read_bytes() == (tmp_path / "p2.csv").read_bytes()
    clusters = pd.read_csv(tmp_path / "c1.csv", dtype={"code": str}).set_index("code")
    assert list(clusters.columns) == ["name", "cluster", "description"]
    assert len(clusters) == len(real)  # municipalities left out are listed, without a cluster
    assert clusters["cluster"].isna().sum() == real.drop(columns=["name"]).isna().any(axis=1).sum()
    out = capsys.readouterr().out
    assert "北海道夕張市（01209）に似た市区町村" in out and "順位" in out


def test_cli_bad_input_exit_code_2(real, capsys):
    from regionlib.cli import main

    assert main(["-q", "peers", "府中市"]) == 2
    assert "広島県府中市" in capsys.readouterr().err
    assert main(["-q", "clusters", "--indicators", "aging_rat,child_share"]) == 2
    assert "did you mean: aging_rate" in capsys.readouterr().err
    assert main(["-q", "clusters", "--k", "5000"]) == 2
    assert "not smaller than the number" in capsys.readouterr().err
    assert main(["-q", "peers", "夕張市", "--k", "0"]) == 2


def test_clusters_are_fitted_once_for_the_same_features(grid, isolated_cache, monkeypatch):
    from regionlib.analysis import similarity as sim

    first = sim.cluster_municipalities(grid, ["x", "population"], k="auto", k_range=(2, 4))

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again although the features did not change")

    monkeypatch.setattr(sim, "_fit_all", no_fit)
    again = sim.cluster_municipalities(grid, ["x", "population"], k="auto", k_range=(2, 4))
    assert again.labels.equals(first.labels) and again.k == first.k
    pd.testing.assert_frame_equal(again.evidence, first.evidence)
    with pytest.raises(AssertionError, match="fitted again"):  # other features: fitted
        sim.cluster_municipalities(grid, ["x"], k="auto", k_range=(2, 4))


def test_distances_equal_sklearn_to_the_last_bit(blobs):
    """The numpy distances of the medoid search are sklearn's pairwise_distances, bit for bit."""
    from sklearn.metrics import pairwise_distances

    from regionlib.analysis import similarity as sim

    rng = np.random.default_rng(3)
    cases = [
        blobs[IND].to_numpy(),
        rng.normal(size=(300, 9)),
        rng.normal(size=(1, 4)),
        np.repeat(rng.normal(size=(1, 5)), 6, axis=0),  # equal rows: distance 0, not noise
    ]
    for x in cases:
        np.testing.assert_array_equal(sim._distances(x), pairwise_distances(x))
        expected = int(np.argmin(pairwise_distances(x).sum(axis=1)))
        assert sim._medoid(x) == expected
