"""Money: fiscal corrections, ふるさと納税, 交付税 and 需要額/収入額, checked against the raw files."""

from __future__ import annotations

import math

import pytest

from regionlib import datasets, readers, table


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
