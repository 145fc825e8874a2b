from __future__ import annotations

import itertools
import json
import logging
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph

from regionlib import boundaries, datasets, settings
from regionlib._errors import DataFormatError, UnknownNameError
from regionlib.data import _cache

NATIONAL_TOPO = "n03-national-s0010-topo"


@pytest.fixture(scope="module")
def nation() -> gpd.GeoDataFrame:
    return boundaries.load_boundaries()


def check_layout(gdf: gpd.GeoDataFrame) -> None:
    assert gdf.index.name == "code"
    assert gdf.index.is_unique
    assert gdf.index.is_monotonic_increasing
    assert gdf.index.str.fullmatch(r"\d{5}").all()
    assert list(gdf.columns[:3]) == ["pref_code", "prefecture", "name"]
    assert gdf.crs.to_epsg() == 6668
    assert (gdf["pref_code"] == gdf.index.str[:2]).all()
    assert gdf.geometry.notna().all()
    assert not gdf.geometry.is_empty.any()
    assert gdf.geometry.is_valid.all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}


# --------------------------------------------------------------------------- national layers


def test_national_municipalities(nation):
    check_layout(nation)
    assert len(nation) == 1741
    assert nation.loc["01100", "name"] == "札幌市"
    assert nation.loc["13101", "prefecture"] == "東京都"
    assert nation.loc["47382", "name"] == "与那国町"
    assert not nation.index.isin(boundaries.NORTHERN_TERRITORIES).any()
    assert "01101" not in nation.index  # wards merged into their city
    assert nation["pref_code"].nunique() == 47


def _topo_pairs() -> tuple[set, set]:
    """Rook pairs (shared arc) and queen pairs (shared arc or arc end) from the TopoJSON."""
    with open(datasets.get_path(NATIONAL_TOPO), encoding="utf-8") as f:
        topo = json.load(f)
    (layer,) = topo["objects"].values()
    owners: dict[int, set[str]] = {}
    for geom in layer["geometries"]:
        code = geom["properties"].get("N03_007")
        if code is None or code in boundaries.NORTHERN_TERRITORIES:
            continue
        polygons = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
        arcs = list(itertools.chain.from_iterable(polygons))
        for ring in arcs:
            for i in ring:
                owners.setdefault(i if i >= 0 else ~i, set()).add(code)
    rook = {p for cs in owners.values() for p in itertools.combinations(sorted(cs), 2)}
    at_point: dict[tuple, set[str]] = {}
    for i, cs in owners.items():
        pts = np.cumsum(np.asarray(topo["arcs"][i], dtype=np.int64), axis=0)  # quantized
        for pt in (tuple(pts[0]), tuple(pts[-1])):
            at_point.setdefault(pt, set()).update(cs)
    queen = rook | {p for cs in at_point.values() for p in itertools.combinations(sorted(cs), 2)}
    return rook, queen


def _graph_pairs(gdf, *, rook: bool) -> set:
    adjacency = Graph.build_contiguity(gdf, rook=rook).adjacency
    return {tuple(sorted(p)) for p in adjacency[adjacency > 0].index}


def test_neighbours_survive_loading(nation):
    topo_rook, topo_queen = _topo_pairs()
    queen = _graph_pairs(nation, rook=False)
    rook = _graph_pairs(nation, rook=True)
    assert queen == topo_queen
    assert rook == topo_rook
    assert len(queen) == 4432
    sapporo = {nation.loc[b, "name"] for a, b in queen if a == "01100"}
    sapporo |= {nation.loc[a, "name"] for a, b in queen if b == "01100"}
    assert {"小樽市", "石狩市", "北広島市", "江別市", "千歳市", "当別町"} <= sapporo
    assert "函館市" not in sapporo


def test_no_overlaps(nation):
    projected = nation.to_crs(settings.area_crs)
    left, right = projected.sindex.query(projected.geometry, predicate="intersects")
    keep = left < right
    a = projected.geometry.to_numpy()[left[keep]]
    b = projected.geometry.to_numpy()[right[keep]]
    overlap = shapely.area(shapely.intersection(a, b))
    assert len(overlap) > 4000
    assert overlap.max() < 1.0  # m²: shared borders only, no overlapping municipalities


def test_areas_plausible(nation):
    area_km2 = nation.to_crs(settings.area_crs).area / 1e6
    assert 360_000 < area_km2.sum() < 380_000  # Japan without 北方領土 ≈ 373,000 km²
    assert 1_000 < area_km2["01100"] < 1_200  # 札幌市 1,121 km²
    assert area_km2.min() > 1  # no collapsed slivers in the 1 % layer


def test_national_detail_fills_empty_geometries(caplog, isolated_cache):
    caplog.set_level(logging.INFO, logger="regionlib")
    gdf = boundaries.load_boundaries(detail="national")  # empty cache: built, so it logs
    check_layout(gdf)
    assert len(gdf) == 1741
    assert "filled from the 1 % layer" in caplog.text
    for name in ("利島村", "向日市", "渡名喜村"):
        assert name in caplog.text
    assert gdf.loc["26208", "name"] == "向日市"


def test_include_unassigned():
    gdf = boundaries.load_boundaries(include_unassigned=True, detail="national")
    assert len(gdf) == 1741 + 6 + 4
    assert gdf.index.isin(boundaries.NORTHERN_TERRITORIES).sum() == 6
    assert gdf.loc["23999", "name"] == "所属未定地"
    assert not gdf.geometry.is_empty.any()


def test_ward_level():
    gdf = boundaries.load_boundaries(level="ward")
    check_layout(gdf)
    assert len(gdf) == 1741 - 20 + 175
    assert gdf.loc["01101", "name"] == "札幌市中央区"
    assert gdf.loc["01101", "city_code"] == "01100"
    assert gdf.loc["27128", "city_code"] == "27100"
    assert gdf.loc["13101", "city_code"] == "13101"
    assert "01100" not in gdf.index


def test_designated_city_codes_from_wards(nation):
    wards = boundaries.load_boundaries(level="ward")
    derived = set(wards.loc[wards["city_code"] != wards.index, "city_code"])
    absent = set(nation.index) - set(wards.index)
    assert len(derived) == 20
    assert derived == absent


def test_prefecture_subset_keeps_cross_prefecture_borders(nation):
    gdf = boundaries.load_boundaries(prefectures=["大阪", 1, "京都府"])
    check_layout(gdf)
    expected = nation[nation["pref_code"].isin(["01", "26", "27"])]
    assert list(gdf.index) == list(expected.index)
    assert {"27100", "27140", "01100", "26100"} <= set(gdf.index)
    assert (gdf["name"] == expected["name"]).all()
    assert gdf.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
    # 大阪府 and 京都府 still touch: 高槻市 (27207) borders 京都市 (26100)
    graph = Graph.build_contiguity(gdf, rook=False)
    assert "26100" in set(graph["27207"].index)


def test_bad_arguments():
    with pytest.raises(UnknownNameError, match="municipality"):
        boundaries.load_boundaries(level="municipalities")
    with pytest.raises(UnknownNameError, match="national"):
        boundaries.load_boundaries(detail="nation")
    with pytest.raises(UnknownNameError, match="did you mean"):
        boundaries.load_boundaries(prefectures=["東京県"])


def test_load_prefectures():
    prefs = boundaries.load_prefectures()
    assert len(prefs) == 47
    assert prefs.index.name == "pref_code"
    assert prefs.loc["13", "prefecture"] == "東京都"
    assert prefs.geometry.is_valid.all()
    assert prefs.crs.to_epsg() == 6668


def test_cache_roundtrip(isolated_cache, caplog):
    caplog.set_level(logging.INFO, logger="regionlib")
    first = boundaries.load_boundaries(prefectures=["13"])
    assert "left out 1 所属未定地" in caplog.text
    caplog.clear()
    boundaries.load_boundaries(prefectures=["13"])
    assert "left out 1 所属未定地" in caplog.text  # a warm load repeats what was left out
    assert "[cached]" in caplog.text
    _cache.clear("boundaries")
    first = boundaries.load_boundaries(prefectures=["31"])
    files = list((isolated_cache / "derived").glob("boundaries-*.parquet"))
    assert len(files) == 1
    first.loc["31201", "name"] = "changed"  # results are new objects: the cache is unaffected
    second = boundaries.load_boundaries(prefectures=["31"])
    assert second.loc["31201", "name"] == "鳥取市"
    assert second.crs.to_epsg() == 6668
    assert second.index.name == "code"
    assert second.geometry.is_valid.all()
    boundaries.load_boundaries(prefectures=["31"], level="ward")
    assert len(list((isolated_cache / "derived").glob("boundaries-*.parquet"))) == 2


def test_cache_key_depends_on_inputs_and_params():
    a = _cache.make_key("boundaries", ["aa"], {"level": "ward"})
    assert a == _cache.make_key("boundaries", ["aa"], {"level": "ward"})
    assert a != _cache.make_key("boundaries", ["ab"], {"level": "ward"})
    assert a != _cache.make_key("boundaries", ["aa"], {"level": "municipality"})


# --------------------------------------------------------------------------- read_n03


def _features() -> gpd.GeoDataFrame:
    """Synthetic N03 features: two wards of 札幌市, 函館市 in two parts, one 所属未定地."""
    box = shapely.box
    rows = [
        ("北海道", "石狩振興局", "札幌市", "中央区", "01101", box(141.0, 43.0, 141.1, 43.1)),
        ("北海道", "石狩振興局", "札幌市", "北区", "01102", box(141.1, 43.0, 141.2, 43.1)),
        ("北海道", "渡島総合振興局", None, "函館市", "01202", box(140.7, 41.7, 140.8, 41.8)),
        ("北海道", "渡島総合振興局", None, "函館市", "01202", box(140.9, 41.7, 141.0, 41.8)),
        ("北海道", None, None, "所属未定地", None, box(145.0, 44.0, 145.1, 44.1)),
    ]
    columns = ["N03_001", "N03_002", "N03_003", "N03_004", "N03_007", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), crs="EPSG:6668")


def _check_synthetic(gdf: gpd.GeoDataFrame) -> None:
    check_layout(gdf)
    assert list(gdf.index) == ["01100", "01202"]
    assert gdf.loc["01100", "name"] == "札幌市"
    assert gdf.geom_type["01202"] == "MultiPolygon"
    assert gdf.geom_type["01100"] == "Polygon"  # the two wards dissolved along their border
    assert gdf.to_crs(settings.area_crs).area["01100"] > 1.5e8


def test_read_n03_shapefile_zip_shift_jis(tmp_path):
    folder = tmp_path / "N03-20210101_01_GML"
    folder.mkdir()
    shp = folder / "N03-21_01_210101.shp"
    _features().to_file(shp, encoding="cp932")
    shp.with_suffix(".cpg").unlink(missing_ok=True)  # old N03 releases have no .cpg
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "札幌市".encode("cp932") in raw
    archive = tmp_path / "N03-20210101_01_GML.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, f"N03-20210101_01_GML/{part.name}")
    _check_synthetic(boundaries.read_n03(archive))
    wards = boundaries.read_n03(archive, level="ward")
    assert wards.loc["01101", "name"] == "札幌市中央区"
    with_unassigned = boundaries.read_n03(archive, include_unassigned=True)
    assert with_unassigned.loc["01999", "name"] == "所属未定地"


def test_read_n03_geojson_utf8_and_cp932(tmp_path):
    text = _features().to_json(ensure_ascii=False)
    utf8 = tmp_path / "n03.geojson"
    utf8.write_text(text, encoding="utf-8")
    _check_synthetic(boundaries.read_n03(utf8))
    sjis = tmp_path / "n03_sjis.geojson"
    sjis.write_bytes(text.encode("cp932"))
    _check_synthetic(boundaries.read_n03(sjis))
    # wrong encodings given explicitly: a clear error naming the file and the way out
    with pytest.raises(DataFormatError, match=r"n03_sjis\.geojson.*encoding='cp932'"):
        boundaries.read_n03(sjis, encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"n03\.geojson.*encoding='utf-8'"):
        boundaries.read_n03(utf8, encoding="cp932")


def test_read_n03_geojson_in_zip(tmp_path):
    archive = tmp_path / "n03.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("data/N03-21_01_210101.geojson", _features().to_json(ensure_ascii=False))
        z.writestr("data/readme.txt", "not a vector file")
    _check_synthetic(boundaries.read_n03(archive))


def test_read_n03_refuses_unsafe_zip(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.geojson", "{}")
    with pytest.raises(DataFormatError, match="unsafe member"):
        boundaries.read_n03(archive)
    assert not (tmp_path.parent / "escape.geojson").exists()


def test_read_n03_bad_files(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"empty\.geojson.*empty"):
        boundaries.read_n03(empty)
    with pytest.raises(DataFormatError, match="no such file"):
        boundaries.read_n03(tmp_path / "missing.geojson")
    no_code = tmp_path / "nocode.geojson"
    no_code.write_text(_features().drop(columns="N03_007").to_json(), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"nocode\.geojson: missing N03 column\(s\) N03_007"):
        boundaries.read_n03(no_code)
    not_zip = tmp_path / "broken.zip"
    not_zip.write_bytes(b"PK not really")
    with pytest.raises(DataFormatError, match="not a valid zip"):
        boundaries.read_n03(not_zip)


def test_dissolve_rejects_conflicts():
    features = _features()
    clash = features.copy()
    clash.loc[2, "N03_004"] = "北斗市"  # same code, another name
    with pytest.raises(DataFormatError, match="01202 is used by different municipalities"):
        boundaries.dissolve_n03(clash)
    bad_digit = features.copy()
    bad_digit.loc[2, "N03_007"] = "012029"
    with pytest.raises(DataFormatError, match=r"feature 2.*check digit"):
        boundaries.dissolve_n03(bad_digit)
    wrong_pref = features.copy()
    wrong_pref.loc[2, "N03_001"] = "青森県"
    with pytest.raises(DataFormatError, match="01202 belongs to 北海道"):
        boundaries.dissolve_n03(wrong_pref)
    merged = boundaries.dissolve_n03(features)
    with pytest.raises(DataFormatError, match="designated cities are merged"):
        raw = features.iloc[2:4].copy()
        raw = pd.concat(
            [raw, features.iloc[[0]].assign(N03_004=None, N03_007="01100")], ignore_index=True
        )
        boundaries.dissolve_n03(raw, level="ward")
    assert len(merged) == 2


def test_empty_geometry_is_never_silent(caplog):
    features = _features()
    features.loc[2:3, "geometry"] = None
    with pytest.raises(DataFormatError, match="01202 函館市"):
        boundaries.dissolve_n03(features)
    caplog.set_level(logging.INFO, logger="regionlib")
    dropped = boundaries.dissolve_n03(features, empty="drop")
    assert list(dropped.index) == ["01100"]
    assert "dropped 1 code(s) without geometry: 01202 函館市" in caplog.text
    fill = boundaries.dissolve_n03(_features())
    filled = boundaries.dissolve_n03(features, fill=fill)
    assert filled.geometry["01202"].equals(fill.geometry["01202"])
    assert "filled from the 1 % layer" in caplog.text


def test_invalid_ring_repaired(caplog):
    features = _features()
    bowtie = shapely.Polygon([(140.7, 41.7), (140.8, 41.8), (140.8, 41.7), (140.7, 41.8)])
    features.loc[2, "geometry"] = bowtie
    assert not bowtie.is_valid
    caplog.set_level(logging.INFO, logger="regionlib")
    out = boundaries.dissolve_n03(features)
    assert out.geometry.is_valid.all()
    assert "repaired 1 invalid geometry" in caplog.text


def test_inputs_not_mutated():
    features = _features()
    before = features.copy()
    boundaries.dissolve_n03(features)
    pd.testing.assert_frame_equal(features, before)


# --------------------------------------------------------------------------- CLI


def test_cli_boundaries(tmp_path, capsys):
    from regionlib.cli import main

    out = tmp_path / "tottori.gpkg"
    assert main(["-q", "boundaries", "export", "-o", str(out), "--prefectures", "鳥取"]) == 0
    written = gpd.read_file(out)
    assert len(written) == 19
    assert main(["-q", "boundaries", "resolve", "東京都府中市", "011002"]) == 0
    printed = capsys.readouterr().out
    assert "13206" in printed
    assert "01100\t北海道\t札幌市" in printed
    assert main(["-q", "boundaries", "resolve", "府中市"]) == 2
    assert "広島県府中市 (34208)" in capsys.readouterr().err
    assert main(["-q", "boundaries", "update-codes", "04423"]) == 0
    assert "04423\t04216\t富谷町\t富谷市\t2016-10-10" in capsys.readouterr().out
    assert main(["-q", "boundaries", "export", "-o", str(tmp_path / "x.csv")]) == 2
