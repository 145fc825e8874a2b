"""One matcher for codes and names: the user's files and the name-keyed sources (real code lists)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from regionlib import codes, readers, table, userdata
from regionlib._errors import DataFormatError, RegionlibError, japanese_first
from regionlib.cli import main
from regionlib.data import match


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return table.load_table(["aging_rate"], geometry=False)


def _csv(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_variant_kanji_fold_to_one_name():
    for a, b in [("檜原村", "桧原村"), ("下條村", "下条村"), ("南木曾町", "南木曽町")]:
        assert codes.fold_name(a) == codes.fold_name(b)
    for a, b in [
        ("天龍村", "天竜村"),
        ("檮原町", "梼原町"),
        ("川﨑町", "川崎町"),
        ("髙森町", "高森町"),
    ]:
        assert codes.fold_name(a) == codes.fold_name(b)
    assert codes.fold_name("府中市") != codes.fold_name("府中町")


def test_hokkaido_file_with_lost_zeros_joins_every_row_and_never_ichikawa(base, tmp_path):
    hokkaido = base[base["prefecture"] == "北海道"]
    six = [f"{c}{codes.check_digit(c)}" for c in hokkaido.index]
    lost = [str(int(c)) for c in six]  # 012203 -> 12203, as a spreadsheet keeps it
    assert "12203" in lost  # 士別市, which reads as 市川市 with five digits
    collide = [v for v in lost if v in set(base.index)]
    assert len(collide) >= 8  # the rows a per-row reading joined to 市川市, 成田市 …
    path = _csv(tmp_path, "hokkaido.csv", ["コード,x"] + [f"{v},{i}" for i, v in enumerate(lost)])
    t = userdata.join_user_table(base, path)
    report = t.attrs["user_join_report"]
    assert report.matched == len(hokkaido) == 179
    assert report.convention == "6-digit, leading zeros lost"
    assert t.loc[hokkaido.index, "x"].tolist() == list(range(179))
    assert t["x"].notna().sum() == 179 and pd.isna(t.at["12203", "x"])  # 市川市 untouched
    assert t.at["01220", "x"] == lost.index("12203")  # 士別市
    assert report.counts == {"matched": 179, "mapped": 0, "set_aside": 0, "refused": 0}
    assert "179 matched" in str(report) and "leading zeros lost" in str(report)


def test_a_code_the_column_cannot_decide_is_refused_naming_both(base, tmp_path, capsys):
    path = _csv(tmp_path, "one.csv", ["コード,x", "12203,1"])
    with pytest.raises(DataFormatError) as err:
        userdata.join_user_table(base, path)
    message = str(err.value)
    assert "line 2" in message and "市川市" in message and "士別市" in message
    assert main(["-q", "table", "--join", str(path), "-o", str(tmp_path / "o.csv")]) == 2
    assert not (tmp_path / "o.csv").exists()
    rows, convention = match.read_code_column(pd.Series(["12203", "472077"]), where="x")
    assert convention == "6-digit, leading zeros lost" and rows[0].code == "01220"
    # a column of 5-digit codes decides for its rows: 12203 is then 市川市
    rows, convention = match.read_code_column(pd.Series(["12203", "13101", "1100"]), where="x")
    assert convention == "5-digit" and [r.code for r in rows] == ["12203", "13101", "01100"]


def test_names_with_county_prefecture_variants_and_a_meisho_header(base, tmp_path):
    path = _csv(
        tmp_path,
        "names.csv",
        [
            "都道府県,名称,x",
            "北海道,虻田郡洞爺湖町,1",
            ",宮城県遠田郡美里町,2",  # a merged cell: the prefecture is written once
            "東京都,桧原村,3",
            "長野県,下條村,4",
            ",南木曾町,5",
            "北海道,ゆうばり,6",
            "北海道,札幌市中央区,7",
            "北海道,存在しない町,8",
        ],
    )
    t = userdata.join_user_table(base, path)
    assert t.at["01584", "x"] == 1 and t.at["04505", "x"] == 2 and t.at["13307", "x"] == 3
    assert t.at["20411", "x"] == 4 and t.at["20423", "x"] == 5 and t.at["01209", "x"] == 6
    report = t.attrs["user_join_report"]
    assert report.matched == 6 and report.counts["set_aside"] == 2
    assert any("札幌市中央区" in s and "ward" in s for s in report.set_aside)
    assert any("存在しない町" in s and "matches no municipality" in s for s in report.set_aside)
    missing = {m.split()[0] for m in report.missing_in_file}
    for code in ("01584", "04505", "13307", "20411", "20423", "01209"):
        assert code not in missing  # never "not in the file" when its row was there


def test_yusuhara_as_ssdse_spells_it_joins(base, tmp_path):
    ssdse = readers.read_ssdse("ssdse-a-2026").names
    spelled = ssdse.at["39405", "name"]  # 檮原町 in SSDSE, 梼原町 in the boundaries
    assert codes.fold_name(spelled) == codes.fold_name(base.at["39405", "name"])
    path = _csv(tmp_path, "ssdse.csv", ["都道府県,市区町村,x", f"高知県,{spelled},1.5"])
    t = userdata.join_user_table(base, path)
    assert t.at["39405", "x"] == 1.5 and not t.attrs["user_join_report"].set_aside


def test_matcher_statuses_and_fill_down():
    rows = match.match_names(
        ["札幌市", "", "府中市", "合計", "泊村", "ゆうばりし"],
        ["北海道", "東京都", "", "", "北海道", "北海道"],
        as_of="2015-07-01",
    )
    assert [r.status for r in rows] == [
        "matched",
        "set_aside",
        "matched",  # the prefecture of the row above (a merged cell) is filled down
        "set_aside",
        "matched",
        "matched",
    ]
    assert rows[1].reason == "prefecture row" and rows[3].reason == "total row"
    assert rows[2].code == "13206"
    assert rows[4].code == "01403"  # not the Northern Territories' 泊村 01696
    amb = match.match_names(["府中市"])[0]
    assert amb.status == "refused" and "13206" in amb.reason and "34208" in amb.reason
    assert match.match_names(["富谷町"], ["宮城県"], as_of="2015-07-01")[0].code == "04423"


def test_readings_come_from_the_code_list_for_all_1741(base):
    from python_calamine import CalamineWorkbook

    from regionlib import datasets

    kana = codes.readings()
    assert set(base.index) <= set(kana.index)  # every municipality has a reading
    rows = (
        CalamineWorkbook.from_path(str(datasets.get_path("municipality-readings")))
        .get_sheet_by_name("全国地方公共団体コード")
        .to_python()
    )
    raw = {str(r[0]): str(r[4]) for r in rows[1:] if r[4]}
    assert raw["012092"] == "ﾕｳﾊﾞﾘｼ" and kana["01209"] == "ゆうばりし"
    for code6, half in list(raw.items())[::50]:  # a sample, straight from the raw sheet
        assert codes.kana_key(kana[code6[:5]]) == codes.kana_key(half)
    # the list writes small kana full size; the spelling of the history is kept where it agrees
    assert raw["064289"] == "ｼﾖｳﾅｲﾏﾁ" and kana["06428"] == "しょうないまち"
    assert codes.resolve_municipality("しょうないまち") == codes.resolve_municipality("ｼﾖｳﾅｲﾏﾁ")
    assert kana["01101"] == "さっぽろしちゅうおうく"  # wards: from the code history
    order = codes.gojuon_order(["01209", "01100", "13101", "06428"])
    assert order == ["01100", "06428", "13101", "01209"]  # さ, し, ち, ゆ


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (["コード,x", "12203,1"], ["先頭の 0", "市川市", "士別市"]),
        (["市区町村,x", "府中市,1"], ["複数の市区町村", "都道府県を指定", "13206", "34208"]),
    ],
    ids=["code", "name"],
)
def test_a_refused_row_is_explained_in_japanese_first(base, tmp_path, lines, words):
    """The matcher's reason (ambiguous code or name) is said in Japanese before the ' / '."""
    path = _csv(tmp_path, "a_long_file_name_of_the_user.csv", lines)
    with pytest.raises(RegionlibError) as err:
        userdata.join_user_table(base, path)
    japanese, english = str(err.value).split(" / ", 1)
    assert all(w in japanese for w in words), japanese
    assert not re.search(r"ambiguous|reads as|give the|digits", japanese), japanese
    assert "ambiguous" in english and japanese_first(err.value) == str(err.value)
