"""Nested levels: each a union of units of the level below, evaluated, written as one CSV."""

from __future__ import annotations

import pandas as pd
import pytest

from regionlib import maps, nested, references
from regionlib._errors import RegionlibError


def _is_union(fine: pd.Series, coarse: pd.Series) -> bool:
    return bool((coarse.groupby(fine).nunique() == 1).all())


def test_levels_on_grid_are_nested(grid, tmp_path, mirror_dir):
    result = nested.propose_levels(
        grid,
        ["x"],
        ["population:3000", "population:8000", "regions:2"],
        population="population",
    )
    labels = result.labels
    assert list(labels.columns) == ["population:3000", "population:8000", "regions:2"]
    assert labels.notna().all(axis=None)
    counts = [labels[c].nunique() for c in labels.columns]
    assert counts[0] > counts[1] > counts[2] == 2
    assert _is_union(labels["population:3000"], labels["population:8000"])
    assert _is_union(labels["population:8000"], labels["regions:2"])
    for column, floor in [("population:3000", 3000), ("population:8000", 8000)]:
        assert (grid["population"].groupby(labels[column]).sum() >= floor).all()
    assert result.evaluation.loc["floor_ok"].iloc[:2].all()
    written = result.save(tmp_path / "nested.csv")
    written.append(maps.save_html(maps.nested_map(result), tmp_path / "nested.html"))
    frame = pd.read_csv(written[0], dtype={"code": str}, encoding="utf-8-sig")
    assert list(frame.columns) == ["code", "name", *labels.columns]
    assert len(frame) == len(grid)
    assert "リージョン数" in written[1].read_text(encoding="utf-8")
    page = written[2].read_text(encoding="utf-8")
    assert "第1階層" in page and "第3階層" in page


def test_floor_below_the_level_under_it_refused(grid, mirror_dir):
    with pytest.raises(RegionlibError, match="below the floor 8,000 of the level under it"):
        nested.propose_levels(
            grid, ["x"], ["population:8000", "population:3000"], population="population"
        )
    with pytest.raises(RegionlibError, match="neither a block layer"):
        nested.parse_level("zones")


def test_block_level_that_splits_the_level_below_refused(grid, tmp_path, mirror_dir):
    layer = tmp_path / "halves.csv"
    halves = pd.Series(
        {c: "west" if (int(c[-2:]) - 1) % 4 < 2 else "east" for c in grid.index}, name="block"
    )
    halves.rename_axis("code").to_csv(layer)
    result = nested.propose_levels(grid, ["x"], [str(layer)], population="population")
    assert result.labels[str(layer)].nunique() == 2
    with pytest.raises(RegionlibError, match=r"splits .* unit"):
        nested.propose_levels(
            grid, ["x"], ["regions:3", str(layer)], population="population", method="ward"
        )


def test_level_names_in_japanese():
    names = [
        nested.parse_level(t).label
        for t in ("commuting_zones", "commuting_zones:2015", "population:200000", "regions:8")
    ]
    assert names == ["通勤圏(2020)", "通勤圏(2015)", "人口20万人以上", "8圏"]
    assert nested.parse_level("population:123456").label == "人口123,456人以上"


@pytest.mark.slow  # three nested levels of national max-p through the CLI: 101 s
def test_cli_nested_nationwide(mirror_dir, tmp_path, caplog):
    from regionlib.cli import main

    out = tmp_path / "nested.csv"
    levels = "commuting_zones,population:200000,population:5000000"
    html, xlsx, pdf = (tmp_path / f"nested.{ext}" for ext in ("html", "xlsx", "pdf"))
    argv = ["-q", "regions", "--levels", levels, "--csv", str(out)]
    assert main([*argv, "-o", str(html), "-o", str(xlsx), "-o", str(pdf)]) == 0
    page = html.read_text(encoding="utf-8")
    assert page.count("RL.outlines(") == 3 and "第3階層: 人口500万人以上" in page
    # matplotlib's notes on fitting the map's aspect never reach the user's stderr
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")]
    sheet = pd.read_excel(xlsx, dtype=str, engine="calamine")
    assert len(sheet) == 1741 and sheet.iloc[:, 0].str.fullmatch(r"\d{5}").all()
    assert pdf.read_bytes().startswith(b"%PDF")
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig").set_index("code")
    assert list(frame.columns) == ["name", *levels.split(",")]
    assert len(frame) == 1741 and frame.notna().all(axis=None)
    cz, mid, top = (frame[c] for c in levels.split(","))
    assert _is_union(cz, mid) and _is_union(mid, top)
    zones = references.load_commuting_zones(2020)
    assert _is_union(zones, frame.loc[zones.index, "commuting_zones"])
    assert 3 <= top.nunique() < mid.nunique() < cz.nunique()
    # the 23 wards count as one town: the zone holding 千代田区 is 東京's, not 横浜's
    assert cz["13101"].startswith("東京") and "横浜" not in cz["13101"]
    # no name is given to two different regions, within a level or across levels
    members: dict[str, set] = {}
    for column in (cz, mid, top):
        for name, codes in column.groupby(column).groups.items():
            assert members.setdefault(name, set(codes)) == set(codes), name
    text = (tmp_path / "nested_evaluation.txt").read_text(encoding="utf-8")
    assert "広域地方計画区域との一致（調整ランド指数）" in text
    argv = ["-q", "regions", "--levels", "population:200000,population:100000"]
    assert main([*argv, "--csv", str(out)]) == 2
