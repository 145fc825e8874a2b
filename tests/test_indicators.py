from __future__ import annotations

import math
import re

import numpy as np
import pytest

from regionlib import datasets, indicators, readers
from regionlib._errors import DataFormatError, UnknownNameError

REQUIRED = [
    "population_2020",
    "population_2015",
    "population_change_2015_2020",
    "aging_rate",
    "elderly_75_share",
    "child_share",
    "working_age_share",
    "density_habitable",
    "primary_share",
    "secondary_share",
    "tertiary_share",
    "unemployment_rate",
    "fiscal_strength_index",
    "income_per_taxpayer",
    "natural_change_rate",
    "social_change_rate",
    "doctors_per_10k",
]

SSDSE_HEAD = [
    "SSDSE-A-2026,Prefecture,Municipality,A1101,A1303",
    ",,年度,2020,2020",
    "地域コード,都道府県,市区町村,総人口,65歳以上人口",
]


def _write(tmp_path, lines, name="x.csv", encoding="cp932"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


# ----------------------------------------------------------------- catalogue


def test_catalogue_has_required_indicators_with_metadata():
    cat = indicators.catalogue()
    assert set(REQUIRED) <= set(cat)
    registry = datasets.registry()
    for name, entry in cat.items():
        assert entry.name == name
        assert entry.label and not entry.label.isascii()  # Japanese label
        assert entry.year and entry.formula and entry.description
        assert entry.datasets and all(d in registry for d in entry.datasets)
    assert cat["aging_rate"].unit == "%"
    assert cat["density_habitable"].unit == "人/km²"
    assert cat["income_per_taxpayer"].unit == "千円"
    assert set(indicators.DEFAULT_INDICATORS) <= set(cat)


# What every SSDSE-A item counts, written out from the item definitions of 統計でみる市区町村のすがた
# (one entry per item code, independent of the catalogue tool's own table).
ITEM_UNITS = {
    **dict.fromkeys(
        [
            "A1101",
            "A110101",
            "A110102",
            "A1102",
            "A110201",
            "A110202",
            "A1301",
            "A130101",
            "A130102",
            "A1302",
            "A130201",
            "A130202",
            "A1303",
            "A130301",
            "A130302",
            "A1419",
            "A141901",
            "A141902",
            "A1700",
            "A4101",
            "A4200",
            "A5101",
            "A5102",
            "A710201",
            "C2207",
            "C220703",
            "C220708",
            "C220709",
            "C220710",
            "C220711",
            "C220712",
            "C220713",
            "C220716",
            "C220717",
            "C220718",
            "C220719",
            "C220720",
            "C220721",
            "C220722",
            "C220723",
            "C220724",
            "C220725",
            "C2208",
            "C220832",
            "C220833",
            "C220835",
            "C220836",
            "C220837",
            "C220838",
            "C220839",
            "C220840",
            "C220841",
            "C220844",
            "C220845",
            "C220846",
            "C220847",
            "C220848",
            "C220849",
            "C220850",
            "C220851",
            "C220852",
            "C2210",
            "C2211",
            "C2212",
            "D1202",
            "E1501",
            "E2401",
            "E2501",
            "E3401",
            "E3501",
            "E3904",
            "E3905",
            "E3906",
            "E4501",
            "F1102",
            "F110201",
            "F110202",
            "F1107",
            "F110701",
            "F110702",
            "F1108",
            "F110801",
            "F110802",
            "F2201",
            "F2211",
            "F2221",
            "H5507",
            "H550701",
            "I6100",
            "I6200",
            "I6300",
            "J2506",
        ],
        "人",
    ),
    **dict.fromkeys(
        ["A7101", "A710101", "A810102", "A810105", "A811102", "A8201", "A8301"], "世帯"
    ),
    **dict.fromkeys(
        [
            "C2107",
            "C210703",
            "C210708",
            "C210709",
            "C210710",
            "C210711",
            "C210712",
            "C210713",
            "C210716",
            "C210717",
            "C210718",
            "C210719",
            "C210720",
            "C210721",
            "C210722",
            "C210723",
            "C210724",
            "C210725",
            "C2108",
            "C210832",
            "C210833",
            "C210835",
            "C210836",
            "C210837",
            "C210838",
            "C210839",
            "C210840",
            "C210841",
            "C210844",
            "C210845",
            "C210846",
            "C210847",
            "C210848",
            "C210849",
            "C210850",
            "C210851",
            "C210852",
            "C2110",
            "C2111",
            "C2112",
        ],
        "事業所",
    ),
    **dict.fromkeys(["A9101", "A9201"], "件"),
    **dict.fromkeys(["B1101", "B1103"], "ha"),
    **dict.fromkeys(["C310201", "C310202"], "戸"),
    **dict.fromkeys(["D2203", "D2211"], "%"),
    **dict.fromkeys(
        ["D3201", "D320101", "D3203", "D320303", "D320308", "D320310", "D320311"], "千円"
    ),
    "E1101": "園",
    **dict.fromkeys(["E2101", "E3101", "E3901", "E4101"], "校"),
    **dict.fromkeys(["G1201", "G1401"], "館"),
    **dict.fromkeys(["H6130", "H6131", "H6132"], "店"),
    **dict.fromkeys(["I510120", "I5102", "I5103"], "施設"),
    **dict.fromkeys(["J2503", "J250302"], "所"),
}


def _catalogue_rows() -> list[dict]:
    from regionlib.data import catalogue

    return catalogue.rows()


def test_every_ssdse_row_has_the_unit_of_its_item():
    rows = [r for r in _catalogue_rows() if r["group"] == "ssdse"]
    assert len(rows) > 800
    checked = 0
    for r in rows:
        unit = ITEM_UNITS[r["numerator"]]  # KeyError: an item nobody checked
        where = f"{r['name']} ({r['year']}, {r['label']})"
        if not r["denominator"]:
            assert r["unit"] == unit, where
            assert r["kind"] == {"%": "rate", "千円": "amount", "ha": "amount"}.get(unit, "count")
        else:  # a rate of the item: per 1,000 or 10,000 of it, a share, or per person
            assert r["unit"] in ("‰", "%", f"{unit}/万人", f"{unit}/人", f"{unit}/世帯"), where
            assert r["kind"] == (
                "average" if "/人" in r["unit"] or "/世帯" in r["unit"] else "rate"
            )
        checked += 1
    assert checked == len(rows)
    assert len({r["numerator"] for r in rows}) == len(ITEM_UNITS)


def test_no_row_counts_people_in_places_and_every_row_has_a_kind():
    rows = _catalogue_rows()
    assert not [r["name"] for r in rows if "か所" in r["unit"]]
    assert {r["kind"] for r in rows} <= set(indicators.KINDS)
    people = re.compile(r"(人口|者数|人員数|児童数|生徒数|教員数|職員数|医師数|師数)(（[^）]*）)*$")
    for r in rows:
        if r["group"] == "ssdse" and not r["denominator"] and people.search(r["label"]):
            assert r["unit"] == "人", r["label"]


def test_change_in_percent_for_counts_in_points_for_rates():
    assert indicators.info("A110101").unit == "人"
    assert indicators.info("A110101").kind == "count"
    for name in ("A110101", "population_registered", "C120110", "B1103", "income_per_taxpayer"):
        assert indicators.changes_in_percent(name), name
    for name in ("aging_rate", "fiscal_strength_index", "natural_change", "doctors_per_10k"):
        assert not indicators.changes_in_percent(name), name
    assert indicators.info("A110101@2015-2020").kind == "net"
    assert indicators.info("A110101@2015-2020%").kind == "rate"
    entry = indicators.register("my_count", label="私の件数", unit="件", kind="count")
    assert indicators.changes_in_percent(entry.name)
    with pytest.raises(UnknownNameError, match="kind"):
        indicators.register("my_odd", label="私の", kind="people")


def test_unknown_indicator_suggests_close_names():
    with pytest.raises(UnknownNameError, match="aging_rate"):
        indicators.info("aging_rat")


def test_unknown_indicators_get_close_names_from_labels_names_and_readings():
    assert indicators.similar("高齢率")[0] == "aging_rate"  # a label with a character left out
    assert indicators.similar("こうれいかりつ")[0] == "aging_rate"  # its reading
    assert indicators.similar("ザイセイリョク")[0].startswith("fiscal_strength_index")
    assert indicators.similar("unemployment")[0] == "unemployment_rate"
    assert indicators.similar("まったく関係ない言葉") == []
    with pytest.raises(UnknownNameError) as err:
        indicators.parse("高齢率@2020")
    assert str(err.value).startswith(
        "指標 '高齢率' は見つかりません。もしかして: 高齢化率 (aging_rate)"
    )


def test_map_with_an_unknown_indicator_answers_before_reading_data(monkeypatch, tmp_path, capsys):
    from regionlib.cli import main

    def no_data(*args, **kwargs):
        raise AssertionError("data read before the names were checked")

    monkeypatch.setattr(datasets, "get_path", no_data)
    assert main(["map", "高齢率", "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "指標 '高齢率' は見つかりません。もしかして: 高齢化率 (aging_rate)" in err


def test_credits_are_deduplicated():
    lines = indicators.credits(["aging_rate", "child_share", "income_per_taxpayer"])
    assert len(lines) == len(set(lines)) == 2
    assert lines[0] == datasets.info("ssdse-a-2026").credit


# ----------------------------------------------------------------- real files


def test_ssdse_2026_values_equal_raw_file():
    table = readers.read_ssdse("ssdse-a-2026")
    assert len(table) == 1741
    assert table.values.index.name == "code"
    assert table.values.at["01100", "A1101"] == 1973395  # 札幌市, 2020 census
    assert table.items.at["A1101", "year"] == "2020"
    assert table.items.at["A1101", "label"] == "総人口"
    assert table.names.at["01100", "name"] == "札幌市"


def test_juki_sets_aside_wards_districts_and_prefectures():
    table = readers.read_juki("juki-2020")
    assert table.values.at["01100", "population"] == 1959313  # 札幌市 as a whole
    assert "01101" not in table.values.index  # 札幌市中央区 is a ward row
    assert len(table.set_aside["ward"]) == 175
    assert len(table.set_aside["prefecture"]) == 47
    assert len(table.set_aside["district"]) > 300
    assert any("八重山郡" in row for row in table.set_aside["district"])
    # districts never become municipalities
    assert not table.names["name"].str.fullmatch(r".+郡").any()


def test_income_codes_without_leading_zero_and_wards():
    table = readers.read_income("income-2020")
    assert len(table) == 1741
    assert table.values.at["01100", "C120110"] == 2878113816
    assert table.items.at["C120110", "unit"] == "千円"
    assert "01101" not in table.values.index
    assert len(table.set_aside["ward"]) == 175


def test_fiscal_years_layouts_and_archive():
    fy2020 = readers.read_fiscal("fiscal-fy2020")
    assert fy2020.values.at["01100", "fiscal_strength_index"] == 0.74
    assert fy2020.reasons["future_burden_ratio"].notna().sum() > 0  # "-" kept with reason
    assert set(fy2020.reasons["future_burden_ratio"].dropna()) == {readers.NO_NET_BURDEN}
    fy2015 = readers.read_fiscal(2015)  # pre-2016 codes, left for the join to map
    assert "04423" in fy2015.values.index and "04216" not in fy2015.values.index
    fy2008 = readers.read_fiscal(2008)  # older column order, no code column
    assert fy2008.values.at["01100", "fiscal_strength_index"] == 0.69
    assert fy2008.values.at["01100", "current_balance_ratio"] == 99
    # names of that year: 滝沢村 (a town until 2014) keeps its own code 03305 from the history
    assert "03305" in fy2008.values.index
    assert not fy2008.set_aside["unresolved"]  # 桧原村, 下条村 … match through the matcher
    fy2021 = readers.read_fiscal(2021)  # from the archive
    assert len(fy2021) == 1741
    assert fy2021.items.at["fiscal_strength_index", "year"] == "2021"


def test_compute_missing_reasons_never_inf():
    frame = indicators.compute_indicators(
        ["aging_rate", "population_change_2015_2020", "income_per_taxpayer"],
        codes=readers.read_ssdse("ssdse-a-2026").values.index,
    )
    assert len(frame) == 1741
    assert not np.isinf(frame.to_numpy()).any()
    assert math.isnan(frame.at["07546", "aging_rate"])  # 双葉町: population 0
    reasons = frame.attrs["missing_reasons"]
    assert reasons["aging_rate"] == {"07546": "no population of known age"}
    assert set(reasons["population_change_2015_2020"]) == {"07543", "07545", "07546", "07547"}
    # known-age rule: 65+ among people of known age (A1301 + A1302 + A1303), not A1101
    raw = readers.read_ssdse("ssdse-a-2026").values.loc["01100"]
    known = raw["A1301"] + raw["A1302"] + raw["A1303"]
    assert known < 1973395
    assert frame.at["01100", "aging_rate"] == pytest.approx(541242 / known * 100)


def test_age_group_change_2015_2020_from_both_censuses():
    names = ["child_population_change_2015_2020", "working_age_population_change_2015_2020"]
    frame = indicators.compute_indicators(
        names, codes=readers.read_ssdse("ssdse-a-2026").values.index
    )
    new, old = readers.read_ssdse("ssdse-a-2026").values, readers.read_ssdse("ssdse-a-2020").values

    def allocated(frame, item):  # unknown ages allocated in proportion to the known ones
        known = frame.at["01209", "A1301"] + frame.at["01209", "A1302"] + frame.at["01209", "A1303"]
        return frame.at["01209", item] * frame.at["01209", "A1101"] / known

    for name, item in zip(names, ["A1301", "A1302"], strict=True):
        expected = (allocated(new, item) - allocated(old, item)) / allocated(old, item) * 100
        assert frame.at["01209", name] == pytest.approx(expected)  # 夕張市
        assert frame.at["01209", name] < 0
        assert "07546" in frame.attrs["missing_reasons"][name]  # 双葉町: 0 in 2015
    assert not np.isinf(frame.to_numpy()).any()


# ----------------------------------------------------------------- bad input


def test_markers_become_missing_with_reason(tmp_path):
    path = _write(
        tmp_path, [*SSDSE_HEAD, "R01100,北海道,札幌市,100,***", "R01202,北海道,函館市,X,-"]
    )
    table = readers.read_ssdse(path)
    assert math.isnan(table.values.at["01100", "A1303"])
    assert table.reasons.at["01100", "A1303"] == "not surveyed (***)"
    assert table.reasons.at["01202", "A1101"] == "suppressed (X)"
    assert table.reasons.at["01202", "A1303"] == "not obtainable (-)"
    assert table.values.at["01100", "A1101"] == 100


def test_cp932_given_as_utf8(tmp_path):
    path = _write(tmp_path, [*SSDSE_HEAD, "R01100,北海道,札幌市,100,20"], encoding="cp932")
    with pytest.raises(DataFormatError, match=r"x\.csv.*cp932"):
        readers.read_ssdse(path, encoding="utf-8")
    assert readers.read_ssdse(path).values.at["01100", "A1101"] == 100  # detected


def test_utf8_given_as_cp932(tmp_path):
    path = _write(tmp_path, [*SSDSE_HEAD, "R01100,北海道,札幌市,100,20"], encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"x\.csv.*UTF-8"):
        readers.read_ssdse(path, encoding="cp932")


def test_duplicate_codes(tmp_path):
    rows = ["R01100,北海道,札幌市,100,20", "R01202,北海道,函館市,50,9", "R01100,北海道,札幌市,1,1"]
    path = _write(tmp_path, [*SSDSE_HEAD, *rows])
    with pytest.raises(DataFormatError, match=r"01100 appears twice \(lines 4 and 6\)"):
        readers.read_ssdse(path)


def test_wrong_check_digit(tmp_path):
    lines = [
        "団体コード,都道府県名,市区町村名,人",
        "010006,北海道,-,5183687",
        "011002,北海道,札幌市,1960668",
        "012024,北海道,函館市,250000",  # 01202 has check digit 5
    ]
    path = _write(tmp_path, lines, name="juki.csv")
    with pytest.raises(DataFormatError, match=r"juki\.csv, line 4.*check digit"):
        readers.read_juki(path)


def test_missing_code_column(tmp_path):
    lines = ["A1101,A1303", "2020,2020", "総人口,65歳以上人口", "100,20", "50,9"]
    path = _write(tmp_path, lines)
    with pytest.raises(DataFormatError, match=r"x\.csv: no code column"):
        readers.read_ssdse(path)
    juki = _write(tmp_path, ["都道府県名,市区町村名,人", "北海道,札幌市,1"], name="j.csv")
    with pytest.raises(DataFormatError, match=r"j\.csv: no code column"):
        readers.read_juki(juki)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"empty\.csv: the file is empty"):
        readers.read_ssdse(path)
    with pytest.raises(DataFormatError, match="empty"):
        readers.read_income(path)


def test_junk_in_numeric_column(tmp_path):
    path = _write(
        tmp_path, [*SSDSE_HEAD, "R01100,北海道,札幌市,100,20", "R01202,北海道,函館市,5o,9"]
    )
    with pytest.raises(DataFormatError, match=r"line 5 \(code 01202\), column 'A1101': '5o'"):
        readers.read_ssdse(path)


def test_unknown_source_path():
    with pytest.raises(DataFormatError, match="neither a registry dataset"):
        readers.read_ssdse("no-such-file.csv")


def test_only_hand_written_rows_are_in_the_package():
    """The package holds the hand-written rows; the rest comes from the files' headers."""
    from regionlib.data import catalogue

    curated = catalogue.curated_rows()
    assert curated and {r["group"] for r in curated} == {"curated"}
    rows = catalogue.rows()
    assert len(rows) > 20 * len(curated)
    assert [r["name"] for r in rows[: len(curated)]] == [r["name"] for r in curated]
    assert {"ssdse", "juki", "juki_age", "fiscal", "money"} <= {r["group"] for r in rows}


@pytest.mark.parametrize("terminal", [True, False])
def test_catalogue_build_says_why_the_first_use_waits(monkeypatch, capsys, terminal):
    from regionlib import _log
    from regionlib.data import catalogue

    for builder in ("_ssdse", "_juki", "_age", "_fiscal", "_income", "_money"):
        monkeypatch.setattr(catalogue, f"{builder}_rows", lambda: [])
    monkeypatch.setattr(_log, "show_progress", lambda progress=None: terminal)
    frame = catalogue.build()
    assert len(frame) == len(catalogue.curated_rows())  # the hand-written rows only
    err = capsys.readouterr().err
    assert ("指標カタログを作成しています" in err) is terminal


def test_missing_reasons_in_japanese():
    from regionlib.data.indicators import missing_reason_ja

    assert missing_reason_ja("population is 0") == "人口が0のため算出できない"
    assert missing_reason_ja("denominator is 0") == "分母が0のため算出できない"
    assert missing_reason_ja("") == missing_reason_ja(float("nan")) == "出典データに値がない"
    assert missing_reason_ja("a reason nobody wrote yet") == "a reason nobody wrote yet"
    assert missing_reason_ja("2015 population is 0") == "2015年の人口が0のため算出できない"
    assert missing_reason_ja("F1102 + F1107 + F1108 is 0") == (
        "分母（F1102 + F1107 + F1108）が0のため算出できない"
    )


def test_every_reason_the_package_writes_has_japanese():
    import re

    from regionlib.data import catalogue, readers
    from regionlib.data.indicators import missing_reason_ja

    written = {r["zero_reason"] for r in catalogue.rows() if r["zero_reason"]}
    written |= set(readers.MARKERS.values()) | {readers.NO_NET_BURDEN, "denominator is 0"}
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for reason in written:
        ja = missing_reason_ja(reason)
        assert ja != reason and kana_or_kanji.search(ja), reason
