"""Regions built from whole blocks (commuting zones, prefectures) and the reference groupings."""

from __future__ import annotations

import pandas as pd
import pytest

from regionlib import codes, evaluate, graph, references, regions
from regionlib._errors import RegionlibError, UnknownNameError

FLOOR = ("population", 5000)


@pytest.mark.parametrize("areas", [references.EIGHT_REGIONS, references.NATIONAL_PLAN_AREAS])
def test_reference_areas_partition_the_47_prefectures(areas):
    prefs = [p for members in areas.values() for p in members]
    assert sorted(prefs) == sorted(codes.PREFECTURES)


def test_national_plan_areas_membership():
    area = references.national_plan_areas(pd.Index(["15100", "19201", "20201", "24201", "47201"]))
    # 新潟 is in 東北圏, 山梨 in 首都圏, 長野 and 三重 in 中部圏 (国土形成計画法施行令)
    assert area.tolist() == ["東北圏", "首都圏", "中部圏", "中部圏", "沖縄"]
    eight = references.eight_regions(pd.Index(["15100", "24201", "47201"]))
    assert eight.tolist() == ["中部", "近畿", "九州"]


def test_maxp_on_blocks_splits_no_block(grid):
    g = graph.contiguity(grid)
    # blocks: pairs of horizontally adjacent boxes, the island alone
    blocks = pd.Series({c: f"b{(int(c[-2:]) - 1) // 2}" for c in grid.index})
    labels = regions.regionalize(grid, ["x"], method="maxp", floor=FLOOR, graph=g, blocks=blocks)
    assert (labels.groupby(blocks).nunique() == 1).all()
    assert evaluate.check_floor(grid, labels, FLOOR).all()
    assert evaluate.agreement(labels, blocks)["n_split"] == 0
    plain = regions.regionalize(grid, ["x"], method="maxp", floor=FLOOR, graph=g)
    assert evaluate.agreement(plain, blocks)["n_split"] > 0  # the constraint did something
    sk = regions.regionalize(grid, ["x"], method="skater", n_regions=3, graph=g, blocks=blocks)
    assert (sk.groupby(blocks).nunique() == 1).all() and sk.nunique() == 3


def test_uncovered_or_unknown_block_layer_refused(grid, tmp_path):
    g = graph.contiguity(grid)
    partial = pd.Series({c: "a" for c in grid.index[:10]})
    with pytest.raises(RegionlibError, match=r"7 municipalities without a block .*01011"):
        regions.regionalize(grid, ["x"], method="maxp", floor=FLOOR, graph=g, blocks=partial)
    layer = tmp_path / "blocks.csv"
    partial.rename_axis("code").rename("block").to_csv(layer)
    with pytest.raises(RegionlibError, match=r"blocks\.csv leaves 7 municipalities"):
        references.block_layer(layer, grid)
    with pytest.raises(UnknownNameError, match="prefectures"):
        references.block_layer("prefecture", grid)


def test_block_layer_names_its_reference_grouping(grid, tmp_path):
    layer = tmp_path / "own.csv"
    pd.Series("a", index=grid.index.rename("code"), name="block").to_csv(layer)
    assert references.block_layer(layer, grid).attrs["reference"] == "blocks"
    prefs = references.block_layer("prefectures", grid)
    assert prefs.attrs["reference"] == "prefecture" and len(prefs) == len(grid)


@pytest.mark.slow  # national max-p on commuting-zone blocks through the CLI: 45 s
def test_cli_commuting_zone_blocks_nationwide(mirror_dir, tmp_path):
    from regionlib.cli import main

    out = tmp_path / "cz.csv"
    argv = ["-q", "regions", "--blocks", "commuting_zones", "--method", "maxp"]
    assert main([*argv, "--floor", "population:200000", "--csv", str(out)]) == 0
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig").set_index("code")
    assert len(frame) == 1741 and frame["region"].notna().all()
    zones = references.load_commuting_zones(2020)
    # no commuting zone split (双葉町 07546, absent from the 2020 table, joins a neighbour's zone)
    assert (frame.loc[zones.index, "region"].groupby(zones).nunique() == 1).all()
    from regionlib import table

    pop = table.load_table(["population_2020"])["population_2020"]
    assert (pop.groupby(frame["region"]).sum() >= 200_000).all()
    text = (tmp_path / "cz_evaluation.txt").read_text(encoding="utf-8")
    assert "分割された通勤圏(2020)の数: 0" in text
    assert "広域地方計画区域との一致" in text
    assert (
        main(["-q", "regions", "--blocks", "zones", "--floor", "population:1", "--csv", str(out)])
        == 2
    )
