"""Areas: reading them, and indicators aggregated by rule (checked against the raw files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionlib import datasets, indicators, readers, table
from regionlib.analysis import areas

ROOT = Path(__file__).resolve().parents[1]
SAPPORO = [
    "01100",
    "01217",
    "01234",
    "01235",
    "01303",
    "01304",
]  # 札幌 江別 北広島 石狩 当別 新篠津


def _raw_ssdse(name: str) -> pd.DataFrame:
    """The SSDSE-A file as published: item codes in row 1, codes in the first column."""
    frame = pd.read_csv(datasets.get_path(name), encoding="cp932", skiprows=[1, 2], dtype=str)
    frame = frame.set_index(frame[frame.columns[0]].str.removeprefix("R"))
    return frame.drop(columns=frame.columns[:2]).apply(pd.to_numeric, errors="coerce")


@pytest.fixture(scope="module")
def sapporo():
    names = [
        "population_2020",
        "population_2015",
        "aging_rate",
        "population_change_2015_2020",
        "fiscal_strength_index",
        "aging_rate@2015-2020",
        "child_population_known_age",
    ]
    t = table.load_table(names, geometry=False)
    return t, areas.aggregate(t, {"札幌圏": SAPPORO})


def test_count_is_the_sum_of_the_raw_file(sapporo):
    raw = _raw_ssdse("ssdse-a-2026")
    _, out = sapporo
    assert out.at["札幌圏", "population_2020"] == raw.loc[SAPPORO, "A1101"].sum()
    assert out.at["札幌圏", "n_members"] == 6
    assert out.attrs["rules"]["population_2020"] == "sum"


def test_rate_is_the_ratio_of_summed_parts_not_an_average(sapporo):
    raw = _raw_ssdse("ssdse-a-2026").loc[SAPPORO]
    t, out = sapporo
    known = raw["A1301"] + raw["A1302"] + raw["A1303"]
    expected = raw["A1303"].sum() / known.sum() * 100
    assert out.at["札幌圏", "aging_rate"] == pytest.approx(expected, rel=1e-12)
    assert abs(t.loc[SAPPORO, "aging_rate"].mean() - expected) > 1  # an average would be wrong
    old = _raw_ssdse("ssdse-a-2020").loc[SAPPORO, "A1101"].sum()
    change = (raw["A1101"].sum() - old) / old * 100
    assert out.at["札幌圏", "population_change_2015_2020"] == pytest.approx(change, rel=1e-12)
    assert out.attrs["rules"]["aging_rate"] == "ratio"


def test_cached_parts_equal_the_parts_computed_from_the_sources(sapporo):
    """The parts an area sums come from the derived cache as they come from the raw files."""
    t, _ = sapporo
    names = ["aging_rate", "fiscal_strength_index", "population_2015"]
    cached = table.compute_parts(names, t.index)
    fresh = table._parts_frame(names, t.index)
    for name in names:
        numerator, denominator, reason = cached[name]
        np.testing.assert_array_equal(numerator, fresh[f"{name}\x1fnum"].to_numpy())
        if denominator is None:
            assert f"{name}\x1fden" not in fresh.columns
        else:
            np.testing.assert_array_equal(denominator, fresh[f"{name}\x1fden"].to_numpy())
        assert list(reason) == list(fresh[f"{name}\x1fwhy"])
    # another set of municipalities is another product, not a slice of this one
    other = table.compute_parts(names, t.index[:10])
    assert len(other["aging_rate"][0]) == 10


def test_change_of_a_rate_is_the_change_of_the_area_rate(sapporo):
    _, out = sapporo
    t = table.load_table(["aging_rate@2015", "aging_rate@2020"], geometry=False)
    both = areas.aggregate(t, {"札幌圏": SAPPORO})
    expected = both.at["札幌圏", "aging_rate@2020"] - both.at["札幌圏", "aging_rate@2015"]
    assert out.at["札幌圏", "aging_rate@2015-2020"] == pytest.approx(expected)


def test_index_is_weighted_by_demand_where_the_catalogue_holds_it(sapporo):
    _, out = sapporo
    fiscal = readers.read_fiscal(2021).values["fiscal_strength_index"]  # FY2021
    demand = indicators.compute_indicators(["fiscal_demand@2021"], codes=SAPPORO)
    weights = demand["fiscal_demand@2021"]
    expected = (fiscal[SAPPORO] * weights).sum() / weights.sum()
    assert out.attrs["rules"]["fiscal_strength_index"] == "weighted:fiscal_demand"
    assert out.at["札幌圏", "fiscal_strength_index"] == pytest.approx(expected, rel=1e-12)
    t = table.load_table(["fiscal_strength_index@2010"], geometry=False)
    old = areas.aggregate(t, {"札幌圏": SAPPORO})
    assert np.isnan(old.at["札幌圏", "fiscal_strength_index@2010"])
    reason = old.attrs["missing_reasons"]["fiscal_strength_index@2010"]["札幌圏"]
    assert "基準財政需要額" in reason


def test_weighted_index_equals_weighted_mean_of_raw_values():
    fiscal = readers.read_fiscal("fiscal-fy2020").values["fiscal_strength_index"]
    raw = _raw_ssdse("ssdse-a-2026")
    indicators.register(
        "fsi_weighted_test",
        fiscal,
        label="財政力指数（テスト）",
        unit="",
        year=2020,
        aggregation="weighted:population_2020",
    )
    try:
        t = table.load_table(["population_2020", "fsi_weighted_test"], geometry=False)
        out = areas.aggregate(t, {"札幌圏": SAPPORO})
    finally:
        indicators._USER.pop("fsi_weighted_test")
        indicators._USER_DATA.pop("fsi_weighted_test")
    weights = raw.loc[SAPPORO, "A1101"]
    expected = (fiscal[SAPPORO] * weights).sum() / weights.sum()
    assert out.at["札幌圏", "fsi_weighted_test"] == pytest.approx(expected, rel=1e-12)


def test_every_catalogue_row_has_a_rule_and_the_tool_gives_it():
    from regionlib.data import catalogue as tool

    rows = tool.rows()
    assert rows and all(r["aggregation"] for r in rows)
    for row in rows:
        rule = indicators.parse_rule(row["aggregation"])
        if row["denominator"] and " * " not in row["numerator"]:
            assert rule.kind == "ratio", row["name"]
        if row["group"] in tool.GENERATED and not row["aggregation"].startswith("weighted"):
            assert row["aggregation"] == tool.aggregation_rule(row), row["name"]
    assert indicators.info("aging_rate").rule.kind == "ratio"
    assert indicators.info("C120110").rule.kind == "sum"


def _synthetic(values: dict[str, list[float]], attrs: dict | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(values, index=pd.Index(["01001", "01002", "01003"], name="code"))
    frame.insert(0, "name", ["甲町", "乙町", "丙村"])
    frame.attrs = attrs or {}
    return frame


def test_user_rules_default_by_unit_and_a_user_ratio():
    try:
        indicators.register("空き家数_t", label="空き家数", unit="戸")
        indicators.register("住宅数_t", label="住宅数", unit="戸")
        indicators.register("満足度_t", label="満足度", unit="%")
        indicators.register(
            "空き家率_t", label="空き家率", unit="%", aggregation="ratio:空き家数_t/住宅数_t*100"
        )
        frame = _synthetic(
            {
                "空き家数_t": [10.0, 30.0, 5.0],
                "住宅数_t": [100.0, 100.0, 50.0],
                "満足度_t": [50.0, 60.0, 70.0],
                "空き家率_t": [10.0, 30.0, 10.0],
            }
        )
        out = areas.aggregate(frame, {"A": ["01001", "01002"], "B": ["01002", "01003"]})
    finally:
        for name in ("空き家数_t", "住宅数_t", "満足度_t", "空き家率_t"):
            indicators._USER.pop(name, None)
    assert out.at["A", "空き家数_t"] == 40
    assert out.at["B", "空き家率_t"] == pytest.approx(35 / 150 * 100)
    assert np.isnan(out.at["A", "満足度_t"])
    assert out.attrs["rules"]["満足度_t"].startswith("none")


def test_missing_member_names_the_member_and_unregistered_column_is_refused():
    frame = _synthetic(
        {"population_2020": [100.0, np.nan, 50.0]},
        {"missing_reasons": {"population_2020": {"01002": "A1101: not obtainable (-)"}}},
    )
    out = areas.aggregate(frame, {"A": ["01001", "01002"], "B": ["01003"]})
    assert np.isnan(out.at["A", "population_2020"]) and out.at["B", "population_2020"] == 50
    why = out.attrs["missing_reasons"]["population_2020"]["A"]
    assert "乙町 (01002)" in why and "not obtainable" in why
    assert frame.attrs["missing_reasons"]  # the input keeps its attrs
    with pytest.raises(areas.AreaError, match="no aggregation rule"):
        areas.aggregate(frame.assign(my_rate=1.0), {"A": ["01001"]})
    with pytest.raises(areas.AreaError, match="no members"):
        areas.aggregate(frame, {"A": []})
    with pytest.raises(areas.AreaError, match="not in the table"):
        areas.aggregate(frame, {"A": ["01009"]})


# ----------------------------------------------------------------- reading areas


def test_areas_from_the_command_line_a_file_and_a_reference(tmp_path):
    one = areas.parse_area("札幌圏=札幌市,江別市、北広島市")
    assert one.members == {"札幌圏": ["01100", "01217", "01234"]}
    path = tmp_path / "a.csv"
    path.write_text("area,code\nA,01100\nA,1217\nB,旭川市\n", encoding="utf-8")
    found = areas.read_areas(path)
    assert found.members == {"A": ["01100", "01217"], "B": ["01204"]}
    assert areas.load_areas(f"{path}:B").members == {"B": ["01204"]}
    zones = areas.reference_areas("commuting-zones-2020")
    assert len(zones) == 258 and "札幌市通勤圏" in zones.members
    assert "01100" in zones.members["札幌市通勤圏"]
    assert len(areas.reference_areas("prefectures")) == 47
    assert len(areas.reference_areas("八地方区分")) == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("area,name\nX,札幌市\nY,札幌市\n", r"row 3: 札幌市 \(01100\) is already in area 'X'"),
        ("area,name\nX,府中市\n", "row 2, member '府中市'.*ambiguous"),
        ("area,name\nX,札幌町\n", "row 2, member '札幌町': .*unknown municipality"),
        ("area,name\nX,\n", "area without members: X"),
        ("area,name\n,札幌市\n", "row 2: member '札幌市' has no area name"),
        ("group,who\nX,札幌市\n", "expected columns area and code or name"),
    ],
)
def test_bad_area_files_name_the_row(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(areas.AreaError, match=message):
        areas.read_areas(path)


def test_cli_area_table_and_bad_input_exit_2(tmp_path, capsys):
    from regionlib.cli import main

    path = tmp_path / "a.csv"
    path.write_text("area,name\n札幌圏,札幌市\n札幌圏,江別市\n", encoding="utf-8")
    out = tmp_path / "a.csv.out.csv"
    assert (
        main(["table", "--areas", str(path), "--indicators", "population_2020", "-o", str(out)])
        == 0
    )
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[1] == "札幌圏,2,2094451"  # 1,973,395 + 121,056 (2020 census)
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("area,name\nX,札幌市\nY,札幌市\n", encoding="utf-8")
    target = tmp_path / "never.csv"
    assert main(["table", "--areas", str(bad), "-o", str(target)]) == 2
    assert not target.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.csv, row 3" in err[0]
    assert main(["table", "--area", "X=", "-o", str(target)]) == 2


# ----------------------------------------------------------------- KPI targets


def test_example_targets_are_tracked(tmp_path):
    import datetime

    from regionlib.analysis import kpi

    targets = kpi.read_targets(kpi.example_path(), today=datetime.date(2026, 12, 1))
    result = kpi.track(targets)
    assert len(result) == 5 and set(result["status"]) <= {"達成", "順調", "遅れ"}
    yubari = result.iloc[0]
    raw = readers.read_juki("juki-2022").values.at["01209", "population"]
    assert yubari["latest"] == raw and yubari["latest_year"] == 2022
    # a floor the town is falling towards faster than the straight path: behind
    assert yubari["status"] == "遅れ" and yubari["path"] > yubari["latest"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("夕張市,,population_registered,1990,6500,2030", "no data for base year 1990"),
        ("夕張市,,population_registered,2016,6500,2024", "target year 2024 is in the past"),
        ("ゆうばり町,,population_registered,2016,6500,2030", "row 2: .*unknown municipality"),
        (",夕張圏,population_registered,2016,6500,2030", "row 2: --area '夕張圏'"),
    ],
)
def test_bad_targets_name_the_row(tmp_path, row, message):
    import datetime

    from regionlib.analysis import kpi

    path = tmp_path / "t.csv"
    path.write_text(
        "municipality,area,indicator,base_year,target,target_year\n" + row + "\n", encoding="utf-8"
    )
    with pytest.raises(kpi.KpiError, match=message):
        kpi.read_targets(path, today=datetime.date(2026, 12, 1))


def test_compare_names_a_wrong_place_before_the_peers(tmp_path, capsys, spy):
    """A wrong name in ``compare`` is one error line, said before the peers' features."""
    from regionlib.cli import main
    from regionlib.outputs import compare

    prepared = spy(compare, "_municipal_context")
    out = tmp_path / "c.html"
    assert main(["compare", "夕張市", "ゆうばりX", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'ゆうばりX' が見つかりません" in err[0]
    assert prepared == [] and not out.exists()
