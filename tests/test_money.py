"""Money: fiscal corrections, ふるさと納税, 交付税 and 需要額/収入額, checked against the raw files."""

from __future__ import annotations

import math

import pytest

from regionlib import datasets, readers, table
from regionlib._errors import DataFormatError


def _xls_rows(dataset: str) -> list[list]:
    import xlrd

    sheet = xlrd.open_workbook(str(datasets.get_path(dataset))).sheet_by_index(0)
    return [sheet.row_values(i) for i in range(sheet.nrows)]


# ----------------------------------------------------------------- fiscal corrections


def test_fy2005_names_in_variant_kanji_have_their_values():
    raw = {(str(r[0]).strip(), str(r[1]).strip()): r for r in _xls_rows("fiscal-fy2005")}
    header = next(r for r in _xls_rows("fiscal-fy2005") if "団体名" in r)
    col = [str(h).replace("\n", "") for h in header].index("財政力指数")
    t = table.load_table(
        [f"fiscal_strength_index@{y}" for y in (2005, 2006, 2007, 2008)], geometry=False
    )
    for code, pref, name in [
        ("13307", "東京都", "桧原村"),
        ("20411", "長野県", "下条村"),
        ("20423", "長野県", "南木曾町"),
    ]:
        assert t.at[code, "fiscal_strength_index@2005"] == raw[(pref, name)][col]
    assert t.at["13307", "fiscal_strength_index@2005"] == 0.25  # 檜原村
    fy2005 = readers.read_fiscal(2005)
    assert not fy2005.set_aside["unresolved"] and not fy2005.set_aside["refused"]


def test_a_merger_into_a_ward_is_a_merger_into_the_city():
    t = table.load_table(
        [f"fiscal_strength_index@{y}" for y in (2005, 2006, 2007, 2008)], geometry=False
    )
    reasons = t.attrs["missing_reasons"]
    for year in (2005, 2006, 2007):  # 由比町 merged into 静岡市清水区 (22103) in 2008
        assert math.isnan(t.at["22100", f"fiscal_strength_index@{year}"])
        assert "merged since" in reasons[f"fiscal_strength_index@{year}"]["22100"]
    assert t.at["22100", "fiscal_strength_index@2008"] == pytest.approx(0.92)
    report = t.attrs["join_report"]
    fy2007 = next(s for s in report.sources if s.dataset == "fiscal-fy2007")
    assert any("22100" in m and m.startswith("22100 <-") for m in fy2007.merged)


def test_future_burden_dash_means_no_net_burden():
    t = table.load_table(
        ["future_burden_ratio@2012", "future_burden_ratio_or_zero@2012"], geometry=False
    )
    why = t.attrs["missing_reasons"]["future_burden_ratio@2012"]
    assert "no net burden" in why["13307"]  # 檜原村: 「－」 in the FY2012 file
    assert math.isnan(t.at["13307", "future_burden_ratio@2012"])
    assert t.at["13307", "future_burden_ratio_or_zero@2012"] == 0.0
    both = t["future_burden_ratio@2012"].notna()
    assert (
        t.loc[both, "future_burden_ratio@2012"] == t.loc[both, "future_burden_ratio_or_zero@2012"]
    ).all()
    assert sum("no net burden" in r for r in why.values()) > 400


# ----------------------------------------------------------------- readers against the raw files


def _xlsx_rows(dataset: str, sheet: str | None = None) -> list[tuple]:
    import openpyxl

    book = openpyxl.load_workbook(datasets.get_path(dataset), read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        return [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def _row_of(rows, key, col=0):
    return next(r for r in rows if r[col] is not None and str(r[col]).strip() == key)


def test_receipts_series_sum_equals_the_files_municipal_total(tmp_path):
    from regionlib.cli import main

    out = tmp_path / "f.csv"
    assert main(["-q", "series", "furusato_receipts", "--years", "2016-2020", "-o", str(out)]) == 0
    import pandas as pd

    f = pd.read_csv(out, dtype={"code": str})
    assert f.groupby("year").size().to_dict() == dict.fromkeys(range(2016, 2021), 1741)
    raw = _xlsx_rows("furusato-receipts-fy2020")
    municipal = [r for r in raw if isinstance(r[0], str) and r[0].isdigit() and r[0][2:5] != "000"]
    assert len(municipal) == 1741
    total = sum(float(r[4]) for r in municipal)  # ① 寄附金額 (円)
    assert f.loc[f["year"] == 2020, "furusato_receipts"].sum() == total  # 円, exactly
    yubari = _row_of(raw, "012092")
    row = f[(f["code"] == "01209") & (f["year"] == 2020)].iloc[0]
    assert row["furusato_receipts"] == yubari[4]


def test_receipts_counts_costs_and_ratios_from_the_raw_file():
    from regionlib.data import money

    t = money.read_furusato_receipts("furusato-receipts-fy2016")
    raw = _row_of(_xlsx_rows("furusato-receipts-fy2016"), "012092")  # 夕張市
    assert t.values.at["01209", "donations"] == raw[3] == 11130
    assert t.values.at["01209", "receipts"] == raw[4]
    assert t.values.at["01209", "receipts_outside"] == raw[7]
    assert t.values.at["01209", "costs"] == raw[30]  # Ⅱ 合計 (FY2016 決算見込)
    assert len(t.set_aside["prefecture"]) == 47
    tb = table.load_table(
        ["furusato_cost_ratio@2020", "furusato_outside_share@2020", "furusato_donations@2020"],
        geometry=False,
    )
    raw20 = _row_of(_xlsx_rows("furusato-receipts-fy2020"), "012025")  # 函館市
    assert tb.at["01202", "furusato_cost_ratio@2020"] == pytest.approx(raw20[17] / raw20[4] * 100)
    assert tb.at["01202", "furusato_outside_share@2020"] == pytest.approx(raw20[6] / raw20[4] * 100)
    assert tb.at["01202", "furusato_donations@2020"] == raw20[3]


def test_rough_receipts_by_name_every_year():
    tb = table.load_table(
        ["furusato_receipts@2008", "furusato_donations@2015", "furusato_receipts@2020"],
        geometry=False,
    )
    raw = _xlsx_rows("furusato-receipts-rough")
    sapporo = next(r for r in raw if r[0] == "北海道" and r[1] == "札幌市")
    assert tb.at["01100", "furusato_receipts@2008"] == pytest.approx(sapporo[2] * 1000)
    assert tb.at["01100", "furusato_donations@2015"] == sapporo[17]
    assert tb["furusato_receipts@2008"].notna().sum() == 1741
    from regionlib.data import money

    rough = money.read_furusato_rough()
    assert not rough.set_aside.get("unresolved") and not rough.set_aside.get("refused")
    assert len(rough.set_aside["total"]) == 95  # 市町村合計 and 合計 of every prefecture, 全国
    # the same FY2020 receipts as the file keyed by code
    rough_2020 = rough.values.at["01100", "receipts_2020"]
    assert rough_2020 == pytest.approx(tb.at["01100", "furusato_receipts@2020"])


def test_deductions_dated_by_the_donation_year_and_net_balance():
    tb = table.load_table(
        ["furusato_deductions@2020", "furusato_net@2020", "furusato_net_per_capita@2020"],
        geometry=False,
    )
    raw = _xlsx_rows("furusato-deductions-fy2021")  # R3_loss: FY2021 tax, donations of 2020
    assert any("令和3年度課税" in str(c) for r in raw[:5] for c in r)
    sapporo = next(r for r in raw if r[0] == "北海道" and r[1] == "札幌市")
    assert tb.at["01100", "furusato_deductions@2020"] == sapporo[55]
    receipts = _row_of(_xlsx_rows("furusato-receipts-fy2020"), "011002")[4]
    assert tb.at["01100", "furusato_net@2020"] == pytest.approx(receipts - sapporo[55])
    juki = readers.read_juki("juki-2021").values.at["01100", "population"]
    assert tb.at["01100", "furusato_net_per_capita@2020"] == pytest.approx(
        (receipts - sapporo[55]) / juki
    )
    assert tb["furusato_net@2020"].notna().sum() == 1741


def test_koufuzei_and_demand_revenue_from_the_raw_files():
    tb = table.load_table(
        ["koufuzei@2015", "koufuzei_per_capita@2022", "fiscal_demand@2015", "fiscal_revenue@2015"],
        geometry=False,
    )
    raw = _xlsx_rows("koufuzei-fy2015")
    yubari = next(r for r in raw if r[2] == "夕張市")
    assert tb.at["01209", "koufuzei@2015"] == yubari[3]
    assert tb.at["04216", "koufuzei@2015"] > 0  # 富谷町 in FY2015, 富谷市 today
    why = tb.attrs["missing_reasons"]["koufuzei_per_capita@2022"]
    assert set(why) == {f"131{i:02d}" for i in range(1, 24)} and "都区合算" in why["13101"]
    demand = _xls_rows("koufuzei-demand-fy2015")
    income = _xls_rows("koufuzei-income-fy2015")
    d = next(r for r in demand if "C011002110000" in r)
    r = next(r for r in income if "C011002110000" in r)
    at_d, at_r = d.index("C011002110000"), r.index("C011002110000")
    assert tb.at["01100", "fiscal_demand@2015"] == d[at_d + 55]  # 臨時財政対策債振替後需要額
    assert tb.at["01100", "fiscal_revenue@2015"] == r[at_r + 38]  # 合計


def test_net_balance_map(tmp_path):
    from regionlib.cli import main

    out = tmp_path / "m.html"
    assert main(["-q", "map", "furusato_net_per_capita@2020", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "ふるさと納税の収支（住民1人当たり）" in html and "円/人" in html


def test_fiscal_strength_index_recomputed_from_demand_and_revenue():
    from regionlib.data import money

    check = money.check_fiscal_strength(range(2017, 2022))
    summary = check.attrs["summary"]
    for year in range(2017, 2022):
        # tolerance 0.01 (one unit of the published two decimals)
        assert summary[year]["compared"] == 1718  # 1,741 less Tokyo's 23 special wards
        assert summary[year]["within_0.01"] >= 0.998
        assert summary[year]["equal"] >= 0.88
    off = check[check["difference"].abs() > 0.01]
    # every larger difference is one of three towns in a window holding FY2017
    assert set(off["code"]) <= {"09361", "17324", "47328"} and set(off["year"]) <= {
        2017,
        2018,
        2019,
    }
    assert off["difference"].abs().max() <= 0.05


@pytest.mark.slow
def test_profile_money_section_by_reading(tmp_path):
    from regionlib.cli import main

    out = tmp_path / "r.html"
    assert main(["-q", "report", "ゆうばり", "-o", str(out)]) == 0  # resolved by its reading
    html = out.read_text(encoding="utf-8")
    assert "夕張市" in html and "お金の流れ" in html and "類似する市区町村の中央値" in html
    raw = next(r for r in _xlsx_rows("koufuzei-fy2015") if r[2] == "夕張市")[3]  # 千円
    population = readers.read_juki("juki-2016").values.at["01209", "population"]
    assert f"{raw * 1000 / population:,.0f}" in html  # 交付税 per resident, FY2015
    assert "総務省「普通交付税の算定結果」" in html and "ふるさと納税に関する現況調査結果" in html


def test_bad_cells_and_names_in_a_source_are_listed_with_reasons(tmp_path):
    import openpyxl

    from regionlib.data import money

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["令和２年度　市町村別普通交付税決定額"])
    sheet.append([None, None, "市町村", "普通交付税", None])
    sheet.append([None, None, None, "R２", "（参考）"])
    sheet.append([None, "北海道", "札幌市", 100.0, 1.0])
    sheet.append([None, None, "函館市", "※1,234", 1.0])  # a footnote mark in a number
    sheet.append([None, None, "小樽市", -5.0, 1.0])  # a negative amount
    sheet.append([None, None, "存在しない村", 7.0, 1.0])  # matches no municipality
    sheet.append([None, "東京都", "府中市", 8.0, 1.0])
    sheet.append([None, "高知県", "檮原町", 9.0, 1.0])  # variant kanji
    path = tmp_path / "2020.xlsx"
    book.save(path)
    t = money.read_koufuzei(path)
    assert t.values.at["01100", "koufuzei"] == 100.0 and t.values.at["39405", "koufuzei"] == 9.0
    assert "not a number: '※1,234'" in t.reasons.at["01202", "koufuzei"]
    assert "line 5" in t.reasons.at["01202", "koufuzei"]
    assert "negative amount" in t.reasons.at["01203", "koufuzei"]
    (unresolved,) = t.set_aside["unresolved"]
    assert "line 7" in unresolved and "存在しない村" in unresolved
    assert "matches no municipality" in unresolved
    assert t.values.at["13206", "koufuzei"] == 8.0
    renamed = tmp_path / "koufuzei.xlsx"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(DataFormatError, match=r"koufuzei\.xlsx: cannot tell the fiscal year"):
        money.read_koufuzei(renamed)
