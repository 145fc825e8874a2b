"""The catalogue as data, years, series, changes, flags and the user's own data (real files)."""

from __future__ import annotations

import csv
import io
import logging
import math

import numpy as np
import pandas as pd
import pytest

from regionlib import datasets, features, indicators, panel, readers, table
from regionlib._errors import AmbiguousNameError, DataFormatError, UnknownNameError
from regionlib.cli import main

JUKI_TOTALS = {2016: 128_066_211, 2022: 125_927_902}


def _raw_rows(dataset: str, encoding: str) -> list[list[str]]:
    text = datasets.get_path(dataset).read_bytes().decode(encoding)
    return list(csv.reader(io.StringIO(text)))


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


# ----------------------------------------------------------------- catalogue as data


@pytest.mark.slow  # every catalogue row against every raw file: 24-40 s
def test_every_catalogue_entry_resolves_against_the_raw_files(mirror_dir):
    rows = indicators._rows()
    assert len(rows) > 200 and sum(len(v) for v in rows.values()) > 900
    for name, by_year in rows.items():
        for year, row in by_year.items():
            if row.alias:  # defined as another request, which must resolve
                assert indicators.info(row.alias).datasets
            for _, dataset, item in row.num + row.times + row.den:
                source = indicators.read_source(dataset)
                assert item in source.values.columns, f"{name}@{year}: {dataset}:{item}"
            if row.group == "ssdse":  # the year is the item's reference year in header row 2
                assert source.items.at[row.num[0][2], "year"] == str(year)
    # every SSDSE-A item of every edition is an indicator with that reference year
    for edition in range(2018, 2027):
        items = indicators.read_source(f"ssdse-a-{edition}").items
        for item, meta in items.iterrows():
            assert int(meta["year"]) in indicators.years(str(item)), (edition, item)


def test_fiscal_strength_index_for_every_fiscal_year():
    assert indicators.years("fiscal_strength_index") == list(range(2005, 2022))
    for item in ("current_balance_ratio", "real_debt_service_ratio", "laspeyres_index"):
        assert 2021 in indicators.years(item)
    assert indicators.years("population_registered") == list(range(1995, 2023))
    assert indicators.years("natural_change_rate") == list(range(2015, 2020))


def test_labels_and_years_are_names():
    assert indicators.resolve("高齢化率") == "aging_rate"
    assert indicators.resolve("高齢化率@2015") == "aging_rate@2015"
    assert indicators.resolve("医師数") == "I6100"
    assert indicators.resolve("aging_rate@2015-2020") == "aging_rate@2015-2020"
    assert indicators.info("aging_rate@2015").year == "2015"
    assert indicators.info("aging_rate").year == "2020"  # no year: the latest
    assert indicators.info("aging_rate@2015-2020").unit == "ポイント"
    with pytest.raises(UnknownNameError, match="2015, 2020"):
        indicators.info("aging_rate@2010")
    with pytest.raises(UnknownNameError, match="2005, 2006"):
        indicators.parse("fiscal_strength_index@2004")
    with pytest.raises(UnknownNameError, match="aging_rate"):
        indicators.info("aging_rat@2015")


def test_cli_indicators_search(capsys):
    assert main(["-q", "indicators", "医師"]) == 0
    out = capsys.readouterr().out
    assert "doctors_per_10k" in out and "I6100" in out and "I6100_per_10k" not in out
    assert "2014, 2016, 2018, 2020, 2022" in out
    assert "aging_rate" not in out
    assert main(["-q", "indicators", "存在しない指標"]) == 1


# ----------------------------------------------------------------- honest demographics


def test_known_age_rule_and_national_aging_rate():
    t = table.load_table(
        ["aging_rate", "aging_rate@2015", "A1301@2020", "A1302@2020", "A1303@2020"],
        geometry=False,
    )
    raw = readers.read_ssdse("ssdse-a-2020").values  # the 2015 census, straight from the file
    known15 = raw["A1301"] + raw["A1302"] + raw["A1303"]
    expected = (raw["A1303"] / known15 * 100).reindex(t.index)
    ok = expected.notna() & t["aging_rate@2015"].notna()
    assert ok.sum() > 1730
    np.testing.assert_allclose(t.loc[ok, "aging_rate@2015"], expected[ok])
    assert t.at["11208", "aging_rate"] == pytest.approx(29.6, abs=0.05)  # 所沢市, not 25.4
    known = t["A1301@2020"] + t["A1302@2020"] + t["A1303@2020"]
    has = t["aging_rate"].notna()
    national = (t.loc[has, "aging_rate"] * known[has]).sum() / known[has].sum()
    assert abs(national - 28.6) < 0.15
    assert indicators.info("aging_rate").description.find("known age") > 0


def test_change_flags_and_features():
    ch = panel.change("aging_rate", 2015, 2020)
    diff = ch["aging_rate@2020"] - ch["aging_rate@2015"]
    np.testing.assert_allclose(ch["aging_rate@2015-2020"].dropna(), diff.dropna())
    rel = diff / ch["aging_rate@2015"] * 100
    np.testing.assert_allclose(ch["aging_rate@2015-2020%"].dropna(), rel.dropna())
    flags = ch.attrs["flags"]["aging_rate@2015-2020"]
    assert {"07564", "07548", "07542"} <= set(flags) and "避難指示" in flags["07564"]
    assert "01100" not in flags
    t = table.load_table(["population_change_2015_2020", "fiscal_strength_index"], geometry=False)
    assert t.at["07564", "population_change_2015_2020"] > 3000  # 飯舘村: correct, misleading
    assert "07564" in t.attrs["flags"]["population_change_2015_2020"]
    assert "13101" in t.attrs["flags"]["fiscal_strength_index"]
    f = features.prepare_features(t, ["population_change_2015_2020"])
    assert "07564" in f.report.flagged["population_change_2015_2020"]
    assert f.matrix.at["07564", "population_change_2015_2020"] == pytest.approx(0.0)
    assert f.raw.at["07564", "population_change_2015_2020"] > 3000  # the table is unchanged
    kept = features.prepare_features(t, ["population_change_2015_2020"], flagged="keep")
    assert kept.matrix.at["07564", "population_change_2015_2020"] > 1 and not kept.report.flagged


def test_2020_evacuation_remnants_are_flagged_with_the_reason():
    # every municipality whose 2020 census population is a remnant (under 60 % of the
    # registered residents on 1 January 2021), computed from the raw files, is flagged for 2020
    census = readers.read_ssdse("ssdse-a-2026").values["A1101"]
    juki = readers.read_juki("juki-2021").values["population"]
    ratio = (census / juki.reindex(census.index)).dropna()
    remnants = set(ratio[ratio < 0.6].index)
    assert {"07545", "07546", "07547", "07543"} <= remnants and len(remnants) <= 10
    t = table.load_table(["aging_rate", "working_age_share@2020"], geometry=False)
    assert t.at["07545", "aging_rate"] == pytest.approx(
        10.33, abs=0.01
    )  # 大熊町: correct, misleading
    for column in ("aging_rate", "working_age_share@2020"):
        flags = t.attrs["flags"][column]
        assert remnants <= set(flags), column
        assert set(flags) <= remnants | {"07542"}, column
    assert "2020年国勢調査の人口は847人" in t.attrs["flags"]["aging_rate"]["07545"]
    assert "避難指示" in t.attrs["flags"]["aging_rate"]["07546"]
    assert "01100" not in t.attrs["flags"]["aging_rate"]


# ----------------------------------------------------------------- series


def test_series_years_no_source_holds_are_one_japanese_line(tmp_path, capsys):
    out = tmp_path / "s.csv"
    argv = ["series", "population_registered", "births", "--years", "2016-2022", "-o", str(out)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("births")]
    assert len(lines) == 1 and "2022年は値なし" in lines[0] and "1994〜2021年のみ" in lines[0]
    assert "住基" in lines[0] and "no source" not in err
    # births of 2020 and 2021 from the 住基 workbooks of 2021 and 2022 (the CSVs lack them)
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig").set_index(["code", "year"])
    from regionlib.data import population

    for year in (2020, 2021):
        raw = population.read_dynamics(f"juki-dynamics-total-{year + 1}").values["births"]
        assert frame.loc[("01100", year), "births"] == raw["01100"]
        assert frame.xs(year, level="year")["births"].notna().sum() >= 1740
    assert panel.year_spans([2019, 2015, 2016, 2017]) == "2015〜2017、2019"


def test_series_population_registered_cli(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert (
        main(["-q", "series", "population_registered", "--years", "2016-2022", "-o", str(out)]) == 0
    )
    s = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    assert list(s.columns) == ["code", "prefecture", "name", "year", "population_registered"]
    assert s.groupby("year")["code"].nunique().to_dict() == dict.fromkeys(range(2016, 2023), 1741)
    totals = s.groupby("year")["population_registered"].sum()
    for year in range(2016, 2023):
        dataset = f"juki-{year}"
        rows = _raw_rows(dataset, datasets.info(dataset).encoding)
        total = next(r for r in rows if len(r) > 1 and r[1] == "合計")
        column = 5 if year <= 2020 else 3
        assert totals[year] == _number(total[column]), year
    assert totals[2016] == JUKI_TOTALS[2016] and totals[2022] == JUKI_TOTALS[2022]
    # the 2016 file has 富谷町 04423: mapped to today's 富谷市 04216
    sapporo = s[(s.code == "04216") & (s.year == 2016)]["population_registered"].iloc[0]
    raw16 = _raw_rows("juki-2016", "utf-8-sig")
    tomiya = next(r for r in raw16 if r[0].startswith("04423"))
    assert sapporo == _number(tomiya[5])


def test_series_samples_equal_raw_files():
    s = panel.series(
        ["fiscal_strength_index", "natural_change_rate", "income_per_taxpayer", "A4101"],
        years="2010-2022",
    ).set_index(["code", "year"])
    import openpyxl

    path = datasets.get_path("fiscal-fy2020")
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = next(i for i, r in enumerate(sheet) if r and "団体名" in [str(c) for c in r])
    cols = [str(c).replace("\n", "") for c in sheet[header]]
    row = next(r for r in sheet[header + 1 :] if r[cols.index("団体名")] == "夕張市")
    assert s.at[("01209", 2020), "fiscal_strength_index"] == float(row[cols.index("財政力指数")])
    juki = _raw_rows("juki-2020", "utf-8-sig")
    yubari = next(r for r in juki if r[0] == "012092")
    expected = _number(yubari[21]) / _number(yubari[5]) * 1000
    assert s.at[("01209", 2019), "natural_change_rate"] == pytest.approx(expected)
    assert math.isnan(s.at[("01209", 2010), "natural_change_rate"])
    ssdse = pd.read_csv(datasets.get_path("ssdse-a-2023"), encoding="cp932", header=None, dtype=str)
    births = ssdse[ssdse[0] == "R01209"][list(ssdse.iloc[0]).index("A4101")].iloc[0]
    assert s.at[("01209", 2020), "A4101"] == float(births)
    assert s.attrs["missing"]["income_per_taxpayer"]["2015"]
    assert s.attrs["flags"]["fiscal_strength_index"]["2020"]["13101"].startswith("東京都特別区")


def test_series_reports_missing_values_as_the_table_does():
    years = [2015, 2020]
    s = panel.series(["aging_rate", "fiscal_strength_index"], years=years, prefectures=["福島県"])
    columns = [f"{n}@{y}" for n in ("aging_rate", "fiscal_strength_index") for y in years]
    t = table.load_table(columns, geometry=False, prefectures=["福島県"])
    expected = t.attrs["join_report"].missing
    assert expected["aging_rate@2015"]["no population of known age"][0] == 4
    got = {f"{n}@{y}": r for n, by_year in s.attrs["missing"].items() for y, r in by_year.items()}
    assert got == expected  # one grouping (table.summarize_missing) for tables and series


def test_series_bad_input():
    with pytest.raises(UnknownNameError, match="2015, 2020"):
        panel.series("aging_rate", years="2016-2019")
    with pytest.raises(UnknownNameError, match="without '@'"):
        panel.series("aging_rate@2015")
    with pytest.raises(UnknownNameError, match="START-END"):
        panel.parse_years("2016..2020")


def test_merged_counts_summed_ratios_missing():
    values = pd.DataFrame(
        {"A1101": [100.0, 50.0, 10.0], "ratio": [0.5, 0.3, 0.9]},
        index=pd.Index(["09203", "09367", "01100"], name="code"),
    )
    reasons = pd.DataFrame(pd.NA, index=values.index, columns=values.columns, dtype="string")
    items = pd.DataFrame(
        {"label": ["x", "y"], "year": "2010", "unit": None, "additive": [True, False]},
        index=pd.Index(["A1101", "ratio"], name="item"),
    )
    names = pd.DataFrame(
        {"prefecture": "栃木県", "name": ["栃木市", "岩舟町", "札幌市"]}, index=values.index
    )
    source = readers.SourceTable(values, reasons, items, names, {}, "test.csv")
    aligned, report = table._align(source, "test", pd.Index(["09203", "01100"]))
    assert aligned.values.at["09203", "A1101"] == 150  # 栃木市 + 岩舟町 (merged 2014)
    assert math.isnan(aligned.values.at["09203", "ratio"])
    assert "cannot be combined" in aligned.reasons.at["09203", "ratio"]
    assert aligned.values.at["01100", "ratio"] == 0.9
    assert report.merged == ["09203 <- 09203, 09367"]


# ----------------------------------------------------------------- the user's own data


def _user_csv(tmp_path, lines: list[str], encoding="cp932", name="my.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.slow  # national tables joined several times: 24-27 s
def test_user_csv_joins_by_code_with_report(tmp_path, capsys):
    path = _user_csv(
        tmp_path,
        [
            "コード,市区町村名,空き家率",
            "1100,札幌市,13.5",  # leading zero lost by a spreadsheet
            "131016,千代田区,10.2",  # 6 digits with check digit
            "04423,富谷町,8.0",  # retired code: 富谷市 04216 since 2016
            "01101,札幌市中央区,9.9",  # a ward: set aside
            "47382,与那国町,-",  # a marker: missing
        ],
    )
    t = table.load_table(["aging_rate"], geometry=False, join=path)
    report = t.attrs["user_join_report"]
    assert t.at["01100", "空き家率"] == 13.5 and t.at["13101", "空き家率"] == 10.2
    assert t.at["04216", "空き家率"] == 8.0
    assert math.isnan(t.at["47382", "空き家率"]) and math.isnan(t.at["01202", "空き家率"])
    assert report.matched == 4 and len(report.missing_in_file) == 1737
    assert any("04423 -> 04216" in c for c in report.code_changes)
    assert any("01101" in c and "ward" in c for c in report.set_aside)
    assert any("1100 -> 01100" in c for c in report.restored)
    out = tmp_path / "t.csv"
    assert main(["table", "--indicators", "aging_rate", "--join", str(path), "-o", str(out)]) == 0
    assert "04423 -> 04216" in capsys.readouterr().err  # the join report (not with -q)
    assert "空き家率" in out.read_text(encoding="utf-8-sig").splitlines()[0]
    html = tmp_path / "m.html"
    indicators.register(
        "空き家率", label="空き家率（独自調査）", unit="%", year=2023, source="市独自調査"
    )
    try:
        assert (
            main(
                [
                    "-q",
                    "map",
                    "空き家率",
                    "aging_rate",
                    "--join",
                    str(path),
                    "--pref",
                    "北海道",
                    "-o",
                    str(html),
                ]
            )
            == 0
        )
        assert "空き家率（独自調査）" in html.read_text(encoding="utf-8")
        assert indicators.credits(["空き家率"]) == [
            "利用者データ / user data: 市独自調査"
        ]  # credited as the user's
    finally:
        indicators._USER.pop("空き家率", None)


def test_user_file_is_read_once(tmp_path, monkeypatch):
    import io
    from pathlib import Path

    path = _user_csv(tmp_path, ["コード,x", "01100,1.5"], "utf-8")
    opened: list[str] = []
    real = io.open

    def counting(file, *args, **kwargs):
        if isinstance(file, str | Path) and Path(file) == path:
            opened.append(Path(file).name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting)
    t = table.load_table(["aging_rate"], geometry=False, join=path)
    assert t.at["01100", "x"] == 1.5
    assert opened == ["my.csv"]  # its columns and its values from one read (was two)


def test_user_file_decoding_and_markers_are_the_readers(tmp_path):
    from regionlib import readers, userdata

    base = pd.DataFrame(
        {"prefecture": "北海道", "name": ["札幌市", "函館市", "小樽市", "旭川市"]},
        index=pd.Index(["01100", "01202", "01203", "01204"], name="code"),
    )
    markers = _user_csv(tmp_path, ["code,x", "01100,1", "01202,…", "01203,－", "01204,X"])
    t = userdata.join_user_table(base, markers)  # Shift-JIS, with the sources' markers
    assert t["x"].iloc[0] == 1.0 and t["x"].isna().tolist() == [False, True, True, True]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"code,x\n01100,\x81\x20\x81\n")
    with pytest.raises(DataFormatError) as user:
        userdata.read_user_table(latin)
    with pytest.raises(DataFormatError) as source:
        readers._decode(latin.read_bytes(), "latin.csv", None)
    assert str(user.value) == str(source.value)
    assert "line 2" in str(user.value) and "save it as CSV UTF-8" in str(user.value)


def test_user_csv_by_name_and_bad_input(tmp_path, capsys):
    base = table.load_table(["aging_rate"], geometry=False)
    from regionlib import userdata

    by_name = _user_csv(
        tmp_path, ["都道府県,市区町村,x", "北海道,札幌市,1", "東京都,府中市,2"], "utf-8"
    )
    t = userdata.join_user_table(base, by_name)
    assert t.at["13206", "x"] == 2 and t.attrs["user_join_report"].key == "name"
    ambiguous = _user_csv(tmp_path, ["市区町村,x", "府中市,2"], "utf-8", "amb.csv")
    with pytest.raises(AmbiguousNameError, match="広島県府中市"):
        userdata.join_user_table(base, ambiguous)
    dup = _user_csv(tmp_path, ["code,x", "01100,1", "011002,2"], name="dup.csv")
    with pytest.raises(DataFormatError, match=r"01100 札幌市 appears on several lines \(2, 3\)"):
        userdata.join_user_table(base, dup)
    bad = _user_csv(tmp_path, ["code,x", "01100,abc"], name="bad.csv")
    with pytest.raises(DataFormatError, match="line 2, column 'x'"):
        userdata.join_user_table(base, bad)
    unknown = _user_csv(tmp_path, ["code,x", "99999,1"], name="unk.csv")
    with pytest.raises(DataFormatError, match="99999 does not exist"):
        userdata.join_user_table(base, unknown)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"code,x\n01100,\x81\x20\x81\n")
    out = tmp_path / "never.csv"
    assert main(["-q", "table", "--join", str(latin), "-o", str(out)]) == 2
    assert "Shift-JIS" in capsys.readouterr().err and not out.exists()


# ----------------------------------------------------------------- maps through time


def _payload(text: str) -> dict:
    import json
    import re

    match = re.search(r"RL\.choropleth\(map_\w+, (\{.*?\})\);", text)
    assert match
    return json.loads(match.group(1))


def test_year_switcher_change_palette_and_flag_tooltips(tmp_path):
    out = tmp_path / "years.html"
    args = ["-q", "map", "高齢化率", "--years", "2015,2020", "--pref", "福島県", "-o", str(out)]
    assert main(args) == 0
    data = _payload(out.read_text(encoding="utf-8"))
    first, second = data["layers"]
    assert first["colors"] == second["colors"] and "2015年" in first["title"]
    import re

    uppers = [re.findall(r"– ([\d.,]+)", lay["legend"]) for lay in (first, second)]
    assert uppers[0] == uppers[1] and len(uppers[0]) == 5  # one class scheme for both years
    change = tmp_path / "change.html"
    assert (
        main(["-q", "map", "population_change_2015_2020", "--pref", "福島県", "-o", str(change)])
        == 0
    )
    layer = _payload(change.read_text(encoding="utf-8"))["layers"][0]
    t = table.load_table(["population_change_2015_2020"], prefectures=["福島県"])
    values = t["population_change_2015_2020"].to_numpy()
    cls = np.array(layer["cls"])
    colors = np.array(layer["colors"])
    n_neg = len({c for c, v in zip(cls, values, strict=True) if v < 0})
    assert cls[values < 0].max() < cls[values > 0].min()  # zero is a class break
    assert colors[0].lower() != colors[-1].lower() and len(colors) >= 2 * min(n_neg, 1)
    flagged = {int(i): r for i, r in layer["flags"].items()}
    codes = list(t.index)
    assert "避難指示" in flagged[codes.index("07564")]  # 飯舘村's tooltip says why


def test_regions_leave_flagged_values_out(caplog):
    from regionlib.analysis.regions._problem import feature_matrix

    frame = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 1000.0], "y": [1.0, 2.0, 3.0, 4.0]},
        index=pd.Index(["07542", "07543", "07545", "07564"], name="code"),
    )
    frame.attrs["flags"] = {"x": {"07564": "避難指示の影響"}}
    caplog.set_level(logging.INFO, logger="regionlib")
    x = feature_matrix(frame, ["x", "y"], False)
    assert x[3, 0] == 2.0 and x[3, 1] == 4.0  # the median of the others; y untouched
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "regions: 1 flagged values left out, set to the median (x 1); codes with -v"
    ]
    assert "x: 07564" in caplog.text  # the code, on the information line
    kept = feature_matrix(frame, ["x", "y"], False, flagged="keep")
    assert kept[3, 0] == 1000.0


def test_user_xlsx_joins(tmp_path):
    import openpyxl

    from regionlib import userdata

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["団体コード", "団体名", "指標A"])
    sheet.append([11002, "札幌市", 1.5])  # a 6-digit code stored as a number: zero lost
    sheet.append(["472077", "石垣市", 2.5])
    path = tmp_path / "mine.xlsx"
    book.save(path)
    base = table.load_table(["aging_rate"], geometry=False)
    t = userdata.join_user_table(base, path)
    assert t.at["01100", "指標A"] == 1.5 and t.at["47207", "指標A"] == 2.5
    assert t.attrs["user_join_report"].matched == 2


def test_registered_data_and_prefecture_series():
    values = pd.Series([10.0, 20.0], index=["1100", "13101"])  # codes as a spreadsheet keeps them
    entry = indicators.register("my_index", values, label="独自指数", unit="点", credit="自治体")
    try:
        assert entry.group == "user" and indicators.info("my_index").label == "独自指数"
        t = table.load_table(["my_index", "aging_rate"], geometry=False)
        assert t.at["01100", "my_index"] == 10.0 and math.isnan(t.at["01202", "my_index"])
        assert t.attrs["missing_reasons"]["my_index"]["01202"] == "not in the user's data"
        with pytest.raises(UnknownNameError, match="built-in"):
            indicators.register("aging_rate", label="x")
    finally:
        indicators._USER.pop("my_index", None)
        indicators._USER_DATA.pop("my_index", None)
    s = panel.series("population_registered", years=[2020, 2022], prefectures=["鳥取県"])
    assert set(s["code"].str[:2]) == {"31"} and s["code"].nunique() == 19
    assert sorted(s["year"].unique()) == [2020, 2022]


def test_small_multiples_print_map(tmp_path):
    out = tmp_path / "years.png"
    args = ["-q", "map", "aging_rate", "--years", "2015,2020", "--pref", "鳥取県", "-o", str(out)]
    assert main(args) == 0
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 10_000


def test_series_across_the_register_change_says_so(caplog):
    """The register counts Japanese residents until 2012 and everyone from 2013: say so."""
    from regionlib import _log
    from regionlib.data import indicators

    _log._said.clear()  # each warning is said once per process: say it again here
    assert indicators.definition_break("population_registered", [2012, 2013])
    assert indicators.definition_break("population_registered", [2013, 2022]) is None
    assert indicators.definition_break("population_registered", [1995, 2012]) is None
    with caplog.at_level("WARNING", logger="regionlib"):
        panel.series("population_registered", years="2011-2014", prefectures=["北海道"])
    assert any("2012年以前は日本人住民のみ" in r.getMessage() for r in caplog.records)
    info = indicators.info("population_registered@2010-2020")
    assert "2012年以前は日本人住民のみ" in info.description
