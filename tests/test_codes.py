from __future__ import annotations

import math

import pandas as pd
import pytest

from regionlib import codes
from regionlib._errors import AmbiguousNameError, DataFormatError, UnknownNameError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1100, "01100"),
        ("1100", "01100"),
        ("01100", "01100"),
        ("011002", "01100"),
        (11002, "11002"),
        (131016, "13101"),
        ("R01100", "01100"),
        (" R13101 ", "13101"),
        (1100.0, "01100"),
        ("1100.0", "01100"),
        ("０１１００", "01100"),  # full-width digits
    ],
)
def test_normalize_code_forms(value, expected):
    assert codes.normalize_code(value) == expected


@pytest.mark.parametrize(
    ("code5", "digit"), [("01100", 2), ("13101", 6), ("04216", 1), ("40231", 1)]
)
def test_check_digit(code5, digit):
    assert codes.check_digit(code5) == digit
    assert codes.normalize_code(code5 + str(digit)) == code5


def test_wrong_check_digit_names_the_code():
    with pytest.raises(DataFormatError, match=r"011003.*check digit of 01100 is 2"):
        codes.normalize_code("011003", source="file.csv, row 7")
    with pytest.raises(DataFormatError, match=r"file\.csv, row 7"):
        codes.normalize_code("011003", source="file.csv, row 7")


@pytest.mark.parametrize("junk", ["abc", "", None, math.nan, "1234567", 1.5, "01-100", True])
def test_normalize_code_rejects_junk(junk):
    with pytest.raises(DataFormatError, match="not a municipal code"):
        codes.normalize_code(junk)


def test_normalize_codes_keeps_index_and_names_row():
    values = pd.Series([1100, "R13101"], index=["a", "b"], name="key")
    out = codes.normalize_codes(values)
    assert out.tolist() == ["01100", "13101"]
    assert list(out.index) == ["a", "b"]
    with pytest.raises(DataFormatError, match=r"pop\.csv, row 1"):
        codes.normalize_codes(["01100", "x"], source="pop.csv")


def test_prefectures():
    assert len(codes.PREFECTURES) == 47
    assert codes.PREFECTURES["01"] == "北海道"
    assert codes.PREFECTURES["13"] == "東京都"
    assert codes.PREFECTURES["47"] == "沖縄県"
    assert codes.prefecture_code("東京") == "13"
    assert codes.prefecture_code("大阪府") == "27"
    assert codes.prefecture_code(1) == "01"
    with pytest.raises(UnknownNameError, match="did you mean"):
        codes.prefecture_code("東京県")


def test_code_history_table():
    history = codes.load_code_history()
    assert len(history) == 2245
    first = history.iloc[0]
    assert (first["date"], first["type"], first["from_code"]) == (
        pd.Timestamp("1970-04-20"),
        "名称変更",
        "21486",
    )
    tomiya = history[history["from_code"] == "04423"].iloc[0]
    assert tomiya["to_code"] == "04216"
    assert tomiya["type"] == "市制施行"
    assert tomiya["date"] == pd.Timestamp("2016-10-10")
    assert tomiya["to_name"] == "富谷市"


def test_update_codes_reports_changes():
    values = pd.Series(["04423", 40305, "01100", "011002"], index=[10, 11, 12, 13])
    before = values.copy()
    result = codes.update_codes(values)
    assert result.codes.tolist() == ["04216", "40231", "01100", "01100"]
    assert list(result.codes.index) == [10, 11, 12, 13]
    assert values.equals(before)  # input not mutated
    changes = result.changes.set_index("old")
    assert changes.loc["04423", "new"] == "04216"
    assert changes.loc["04423", "date"] == pd.Timestamp("2016-10-10")
    assert changes.loc["40305", "name_new"] == "那珂川市"
    assert len(result.changes) == 2
    assert "04423 富谷町 -> 04216 富谷市" in str(result)


def test_update_codes_as_of_and_unknown():
    # 浜松市中区 was renumbered in 2024: still valid at the 2021 boundaries' vintage
    assert codes.update_codes(["22131"], as_of="2021-01-01").codes.tolist() == ["22131"]
    assert codes.update_codes(["22131"]).codes.tolist() == ["22138"]
    # 富谷町 was still a town in 2015
    assert codes.update_codes(["04423"], as_of="2015-01-01").codes.tolist() == ["04423"]
    result = codes.update_codes(["99999"])
    assert result.codes.tolist() == ["99999"]
    assert result.unresolved["code"].tolist() == ["99999"]


def test_resolve_names():
    assert codes.resolve_municipality("札幌市") == "01100"
    assert codes.resolve_municipality("東京都府中市") == "13206"
    assert codes.resolve_municipality("広島県 府中市") == "34208"
    assert codes.resolve_municipality("札幌市中央区") == "01101"
    assert codes.resolve_municipality("北海道石狩郡当別町") == "01303"
    assert codes.resolve_municipality("011002") == "01100"
    assert codes.resolve_municipality(13101) == "13101"
    # ケ and ヶ are interchangeable in names (fiscal tables write 鰺ケ沢町)
    assert codes.resolve_municipality("青森県鰺ケ沢町") == "02321"
    assert (
        codes.resolve_municipality("鎌ヶ谷市") == codes.resolve_municipality("鎌ケ谷市") == "12224"
    )


def test_resolve_by_reading():
    assert codes.readings()["01209"] == "ゆうばりし"
    assert codes.readings()["01101"] == "さっぽろしちゅうおうく"  # city and ward
    for query in ("ゆうばりし", "ユウバリシ", "ﾕｳﾊﾞﾘ", "ゆうばり"):
        assert codes.resolve_municipality(query) == "01209", query
    with pytest.raises(AmbiguousNameError, match=r"東京都府中市 .*広島県府中市"):
        codes.resolve_municipality("ふちゅうし")
    with pytest.raises(UnknownNameError):
        codes.resolve_municipality("ゆうばりまち")
    assert codes.to_hiragana("カスミガウラ ケ") == "かすみがうらけ"


def test_resolve_ambiguous_lists_both():
    with pytest.raises(AmbiguousNameError) as info:
        codes.resolve_municipality("府中市")
    message = str(info.value)
    assert "東京都府中市 (13206)" in message
    assert "広島県府中市 (34208)" in message


def test_resolve_unknown_suggests():
    with pytest.raises(UnknownNameError, match="did you mean: 札幌市"):
        codes.resolve_municipality("札晃市")
    with pytest.raises(UnknownNameError, match="99999"):
        codes.resolve_municipality("99999")


def test_resolve_with_candidates(grid):
    assert codes.resolve_municipality("町5", candidates=grid) == "01005"
    assert codes.resolve_municipality("青森県島村", candidates=grid) == "01017"
    with pytest.raises(UnknownNameError):
        codes.resolve_municipality("札幌市", candidates=grid)
    # names alone still resolve; prefixed forms then cannot match
    names_only = grid.drop(columns="prefecture")
    assert codes.resolve_municipality("町5", candidates=names_only) == "01005"
    with pytest.raises(UnknownNameError):
        codes.resolve_municipality("青森県島村", candidates=names_only)
    with pytest.raises(DataFormatError, match="'name'"):
        codes.resolve_municipality("町5", candidates=grid.drop(columns="name"))


def test_many_updates_are_one_line_not_one_per_code(caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="regionlib")
    result = codes.update_codes(["04423", "40305", "03305", "01100"])
    assert len(result.changes) == 3  # 富谷町, 那珂川町, 滝沢村
    lines = [r for r in caplog.records if "codes updated" in r.getMessage()]
    assert len(lines) == 1 and lines[0].getMessage().startswith("codes updated: 3 (")
    assert lines[0].levelno == logging.DEBUG  # the table's join says what they mean for it
