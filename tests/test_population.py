"""住基 age and dynamics files: readers of every era, the panel on today's municipalities.

Values are compared with cells read straight from the raw workbooks (python-calamine).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from regionlib import datasets
from regionlib._errors import DataFormatError, UnknownNameError
from regionlib.data import population

#: one file of every layout: 80+ .xls (1995, 2005 with 修正総数, 2012), the 2013 split into
#: two series, 100+ .xls (2016), .xlsx with a unit row (2021, 2022)
ERAS = [
    ("japanese", 1995),
    ("japanese", 2005),
    ("japanese", 2012),
    ("japanese", 2013),
    ("total", 2013),
    ("japanese", 2016),
    ("total", 2020),
    ("japanese", 2021),
    ("total", 2022),
]


def _raw_rows(dataset: str) -> list[list]:
    book = CalamineWorkbook.from_path(str(datasets.get_path(dataset)))
    return book.get_sheet_by_index(0).to_python()


def _raw_cell(rows: list[list], code6: str, sex: str, header: str) -> float:
    """The cell of area ``code6``, row 計/男/女, under the header text ``header``."""
    head = next(r for r in rows[:6] if any(str(c).replace("歳", "") == header for c in r))
    col = next(j for j, c in enumerate(head) if str(c).replace("歳", "") == header)
    row = next(r for r in rows if str(r[0]) == code6 and r[3] == sex)
    return float(row[col])


@pytest.mark.parametrize(("series", "year"), ERAS)
def test_age_reader_matches_raw_cells(mirror_dir, series, year):
    dataset = population.dataset_name(series, year)
    table = population.read_age(dataset)
    rows = _raw_rows(dataset)
    # 夕張市 (012092) and 横浜市 (141003), women 20-24 and men 80+ (or 100+)
    assert table.values.at["01209", "female_20_24"] == _raw_cell(rows, "012092", "女", "20～24")
    assert table.values.at["14100", "male_0_4"] == _raw_cell(rows, "141003", "男", "0～4")
    top = "100以上" if year >= 2015 else "80以上"
    item = "male_100_plus" if year >= 2015 else "male_80_plus"
    assert table.values.at["01209", item] == _raw_cell(rows, "012092", "男", top)
    # the national 合計 row is kept, and every municipality row adds up to it
    national = next(r for r in rows if str(r[1]).startswith("合計") and r[3] == "計")
    assert table.items.at["total", "national"] == float(national[4])
    band_sum = sum(table.values[f"total_{b}"].sum() for b in population.BANDS)
    bands_national = sum(table.items.at[f"total_{b}", "national"] for b in population.BANDS)
    if series == "japanese":  # all residents: the 合計 bands differ from the rows (source)
        assert band_sum == bands_national
    # wards, prefectures, 郡 and the national row are set aside, never kept
    assert "01101" not in table.values.index  # 札幌市中央区
    assert table.set_aside["prefecture"] and table.set_aside["total"]
    assert table.set_aside["district"] and table.set_aside["ward"]


@pytest.mark.parametrize("year", [1995, 2005, 2012, 2013, 2016, 2022])
def test_dynamics_reader_matches_raw_cells(mirror_dir, year):
    dataset = f"juki-dynamics-{'japanese' if year <= 2012 else 'total'}-{year}"
    table = population.read_dynamics(dataset)
    rows = _raw_rows(dataset)
    national = next(r for r in rows if str(r[1]).startswith("合計"))
    # population 計 is the sixth column in every layout; the municipalities add up to it
    assert table.items.at["population", "national"] == float(national[5])
    assert table.values["population"].sum() == float(national[5])
    for item in ("births", "deaths", "moves_in", "moves_out", "households"):
        assert table.values[item].sum() == table.items.at[item, "national"], item
    yubari = next(r for r in rows if str(r[0]) == "012092")
    assert table.values.at["01209", "population"] == float(yubari[5])


def test_panel_national_totals_equal_the_files(mirror_dir):
    panel = population.age_panel("japanese")
    assert panel.groupby("year")["code"].nunique().eq(1741).all()
    sums = panel.groupby("year")["population"].sum()
    for year in population.SERIES_YEARS["japanese"]:
        rows = _raw_rows(population.dataset_name("japanese", year))
        head = [str(c).replace("歳", "") for c in next(r for r in rows[:6] if "総数" in r)]
        first = head.index("0～4")
        last = max(j for j, c in enumerate(head) if "以上" in c)
        national = next(r for r in rows if str(r[1]).startswith("合計") and r[3] == "計")
        assert sums[year] == sum(float(v) for v in national[first : last + 1]), year
    report = panel.attrs["report"]
    assert report["1995"]["splits"] and not report["2022"]["splits"]
    assert report["2000"]["national_diff"] == {}
    # merged municipalities summed: 浜松市 2000 = its 12 predecessors
    hamamatsu = panel[(panel.code == "22130") & (panel.year == 2000)]["population"].sum()
    assert hamamatsu > 700_000


def test_collapse_top_and_bad_input(mirror_dir):
    panel = population.age_panel("japanese", years="2022")
    short = population.collapse_top(panel, 80)
    assert set(short["band"].astype(str)) == set(population.BANDS)
    assert short["population"].sum() == panel["population"].sum()
    with pytest.raises(UnknownNameError, match="1994"):
        population.age_panel("japanese", years="1994")
    with pytest.raises(UnknownNameError, match="total"):
        population.age_panel("total", years="2000")
    with pytest.raises(UnknownNameError, match="series"):
        population.age_panel("foreign")


def test_age_reader_rejects_a_workbook_without_bands(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["令和4年1月1日住民基本台帳年齢別人口"])
    sheet.append(["団体コード", "都道府県名", "市区町村名", "性別", "総数", "若年", "高齢"])
    sheet.append(["-", "合計", "-", "計", 3, 1, 2])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(DataFormatError, match=r"bad\.xlsx: no header row with the age bands"):
        population.read_age(path)


def test_band_names():
    assert population.parse_band("0歳～4歳") == "0_4"
    assert population.parse_band("100歳以上") == "100_plus"
    assert population.parse_band("（修正総数）") is None
    assert population.band_label("80_plus") == "80歳以上"
    assert np.isclose(len(population.BANDS), 17)


def test_series_women_20_39_equals_the_files_every_year(mirror_dir, tmp_path):
    from regionlib.cli import main

    out = tmp_path / "w.csv"
    assert main(["series", "women_20_39", "--years", "1995-2022", "-o", str(out)]) == 0
    import pandas as pd

    frame = pd.read_csv(out, dtype={"code": str})
    assert frame.groupby("year").size().eq(1741).all()
    totals = frame.groupby("year")["women_20_39"].sum()
    for year in population.SERIES_YEARS["japanese"]:
        rows = _raw_rows(population.dataset_name("japanese", year))
        head = [str(c).replace("歳", "") for c in next(r for r in rows[:6] if "総数" in r)]
        cols = [head.index(b) for b in ("20～24", "25～29", "30～34", "35～39")]
        national = next(r for r in rows if str(r[1]).startswith("合計") and r[3] == "女")
        assert totals[year] == sum(float(national[j]) for j in cols), year


def test_register_shares_and_flows_back_to_1995(mirror_dir):
    from regionlib import indicators, panel

    assert indicators.years("births")[0] == 1994
    assert indicators.years("aging_rate_registered") == list(range(1995, 2023))
    assert indicators.info("women_20_39_share").unit == "%"
    assert indicators.info("women_20_39@2000-2020%").unit == "%"
    assert indicators.resolve("高齢化率") == "aging_rate"  # the census one keeps its label
    s = panel.series(["aging_rate_registered", "births"], years="1995,2022")
    rows = _raw_rows("juki-dynamics-japanese-1995")
    national = next(r for r in rows if str(r[1]).startswith("合計"))
    assert s[s.year == 2022]["births"].isna().all()  # births of 2022 are in no file here
    assert s.attrs["missing"]["births"]["2022"]
    s = panel.series("births", years="1994")
    assert s["births"].sum() == float(national[8])  # 出生者数, FY1994
    yubari = panel.series("aging_rate_registered", years="2022").set_index("code")
    table = population.read_age("juki-age-japanese-2022")
    old = sum(table.values.at["01209", f"total_{b}"] for b in ("65_69", "70_74", "75_79"))
    old += table.values.at["01209", "total_80_plus"]
    expected = old / table.values.at["01209", "total"] * 100
    assert np.isclose(yubari.at["01209", "aging_rate_registered"], expected)


def test_pyramid_png_and_html(mirror_dir, tmp_path):
    from regionlib.cli import main
    from regionlib.outputs import pyramid

    png = tmp_path / "p.png"
    assert main(["pyramid", "夕張市", "--years", "1995,2022", "-o", str(png)]) == 0
    assert png.stat().st_size > 20_000
    fig = pyramid.pyramid("夕張市", years="1995,2022")
    data = fig.pyramid_data
    assert sorted(data["year"].unique()) == [1995, 2022]
    table = population.read_age("juki-age-japanese-1995")
    row = data[(data.year == 1995) & (data.band == "20_24")].iloc[0]
    assert row["female"] == table.values.at["01209", "female_20_24"]
    shares = pyramid.pyramid_data("双葉町", years="2013,2022", series="total", shares=True)
    assert np.isclose(shares.groupby("year")[["male", "female"]].sum().sum(axis=1), 100).all()
    assert "避難" in shares.attrs["flag"]
    html = tmp_path / "p.html"
    assert main(["pyramid", "夕張市", "-o", str(html)]) == 0
    assert "数値の表" in html.read_text(encoding="utf-8")
    assert main(["pyramid", "夕張市", "--years", "1990", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["pyramid", "夕張市", "-o", str(tmp_path / "x.csv")]) == 2
    assert not (tmp_path / "x.png").exists()


def test_profile_futures_hook(mirror_dir):
    from regionlib.outputs import pyramid, report

    futures = pyramid.profile_futures("01209", ["01331", "22306"])
    assert len(futures["bars"]) == len(population.BANDS)
    assert futures["lines"][0]["label"] == "この市区町村"
    assert futures["lines"][1]["label"].startswith("類似市区町村（2）")
    html = report.render_template("profile/_futures.html.j2", s=futures)
    assert "公式推計ではありません" in html and "人口ピラミッド" in html


def test_area_futures_sum_the_members(mirror_dir):
    """An area's pyramid counts are its members' summed; its projection their projections'."""
    from regionlib.analysis import projection
    from regionlib.outputs import pyramid, report

    # 札幌 江別 北広島 石狩 当別 新篠津
    members = ["01100", "01217", "01234", "01235", "01303", "01304"]
    futures = pyramid.area_futures(members)
    counts = pd.DataFrame(futures["counts"]).set_index(["year", "band"])
    each = (
        pd.concat([pyramid.pyramid_data(c, years=[1995, 2022]) for c in members])
        .groupby(["year", "band"])[["male", "female"]]
        .sum()
    )
    assert len(counts) == 2 * len(population.BANDS)
    assert (counts[["male", "female"]] == each.reindex(counts.index)).all().all()
    # one band straight from the 2022 file: the members' rows summed
    raw = population.read_age("juki-age-japanese-2022").values
    assert counts.at[(2022, "20_24"), "female"] == raw.loc[members, "female_20_24"].sum()
    # the projection: the members' projected counts summed, every year to 2050
    totals = projection.project(members, to=2050, variants=["migration"]).totals
    by_year = totals.groupby("year")["population"].sum()
    assert [y["year"] for y in futures["years"]] == list(by_year.index)
    assert futures["population_2050"] == pytest.approx(by_year[2050])
    assert futures["years"][-1]["population"] == f"{by_year[2050]:,.0f}"
    # each member's line with its 消滅可能性 class, named; the area first
    assert futures["lines"][0]["label"].startswith("この圏域（6市区町村")
    assert [line["label"] for line in futures["lines"][1:]][:2] == ["札幌市", "江別市"]
    assert all(line["class"].endswith("%）") for line in futures["lines"][1:])
    html = report.render_template("profile/_futures.html.j2", s=futures)
    assert "消滅可能性の分類" in html and "公式推計ではありません" in html
    assert "公式の分類ではありません" in html
