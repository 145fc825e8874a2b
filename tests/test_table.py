from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from regionlib import datasets, table
from regionlib._errors import UnknownNameError
from regionlib.cli import main


@pytest.fixture(scope="module")
def full():
    return table.load_table(
        [*table.indicators.DEFAULT_INDICATORS, "fiscal_strength_index_2015", "natural_change_rate"]
    )


def test_layout(full):
    assert isinstance(full, gpd.GeoDataFrame)
    assert len(full) == 1741
    assert full.index.name == "code" and full.index.is_unique
    assert full.index.str.fullmatch(r"\d{5}").all()
    assert list(full.columns[:3]) == ["pref_code", "prefecture", "name"]
    assert full.columns[-1] == "geometry"
    assert full.crs.to_epsg() == 6668
    assert all(full[c].dtype == "float64" for c in full.columns[3:-1])
    assert not np.isinf(full[full.columns[3:-1]].to_numpy()).any()


def test_population_sums_to_census_total(full):
    raw = pd.read_csv(
        datasets.get_path("ssdse-a-2026"), encoding="cp932", skiprows=[0, 1], usecols=["総人口"]
    )
    assert full["population_2020"].sum() == raw["総人口"].sum() == 126_146_099
    assert full.at["01100", "population_2020"] == 1_973_395  # 札幌市, no wards added


def test_join_report(full):
    report = full.attrs["join_report"]
    text = str(report)
    juki = next(s for s in report.sources if s.dataset == "juki-2020")
    assert juki.set_aside["ward"][0] == 175
    assert juki.set_aside["district"][0] > 300  # 郡 totals, never summed
    assert juki.matched == 1741
    assert any(c.startswith("01695") for c in juki.unmatched_source)  # 北方領土 reported
    fiscal = next(s for s in report.sources if s.dataset == "fiscal-fy2015")
    assert "04423 富谷町 -> 04216 富谷市" in fiscal.code_changes
    assert "04423 富谷町 -> 04216 富谷市" in text
    assert "郡 total" in text
    assert "population is 0" in text
    assert "欠損 " in text and "（人口が0のため算出できない）" in text  # Japanese first
    assert text.startswith("結合の記録: 1741 市区町村 / join report")


def test_code_history_values(full):
    from regionlib import readers

    raw = readers.read_fiscal(2015).values
    assert (
        full.at["04216", "fiscal_strength_index_2015"] == raw.at["04423", "fiscal_strength_index"]
    )


def test_missing_reasons(full):
    assert math.isnan(full.at["07546", "aging_rate"])
    assert full.attrs["missing_reasons"]["aging_rate"] == {"07546": "no population of known age"}


def test_warm_load_equals_cold(full):
    again = table.load_table(
        [*table.indicators.DEFAULT_INDICATORS, "fiscal_strength_index_2015", "natural_change_rate"]
    )
    pd.testing.assert_frame_equal(again, full)
    assert str(again.attrs["join_report"]) == str(full.attrs["join_report"])


def test_warm_load_reads_no_code_file(monkeypatch):
    import builtins
    import io
    from pathlib import Path

    table.load_table(["aging_rate"], geometry=False)  # warm: built, or found in the cache
    package = Path(table.__file__).parent
    opened: list[str] = []
    real = io.open

    def counting(file, *args, **kwargs):
        if isinstance(file, str | Path) and Path(file).parent == package:
            opened.append(Path(file).name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting)
    monkeypatch.setattr(builtins, "open", counting)
    for _ in range(2):
        table.load_table(["aging_rate"], geometry=False)
    assert opened == []  # the cache key's code hashes were read once per process (7 a call)


def test_without_geometry_and_prefecture_subset():
    frame = table.load_table(["aging_rate"], geometry=False, prefectures=["47"])
    assert type(frame) is pd.DataFrame
    assert list(frame.columns) == ["pref_code", "prefecture", "name", "aging_rate"]
    assert (frame["pref_code"] == "47").all() and len(frame) == 41


def test_unknown_indicator():
    with pytest.raises(UnknownNameError, match="did you mean: aging_rate"):
        table.load_table(["aging_rat"])


def test_cli_table(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert (
        main(["-q", "table", "--indicators", "population_2020", "aging_rate", "-o", str(out)]) == 0
    )
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    assert list(frame.columns) == [
        "code",
        "prefecture",
        "name",
        "population_2020",
        "aging_rate",
        "注記",
    ]
    notes = frame.set_index("code")["注記"]
    # the evacuation towns' 2020 census figures are remnants: 双葉町 0, 大熊町 847 of 10,265 …
    flagged = {"07542", "07543", "07545", "07546", "07547", "07548", "07564"}
    assert set(notes.dropna().index) == flagged
    assert all("避難指示" in notes[c] for c in flagged)
    assert len(frame) == 1741
    assert frame.set_index("code").at["01100", "population_2020"] == 1973395
    assert main(["-q", "table", "--indicators", "aging_rat", "-o", str(out)]) == 2
    assert "aging_rate" in capsys.readouterr().err


def test_cli_indicators(capsys):
    assert main(["-q", "indicators"]) == 0
    text = capsys.readouterr().out
    assert "高齢化率" in text and "fiscal_strength_index" in text and "ssdse-a-2026" in text


def test_prefecture_table_reports_only_its_own_unmatched_codes():
    hokkaido = table.load_table(["natural_change_rate"], prefectures=["北海道"])
    tottori = table.load_table(["natural_change_rate", "aging_rate"], prefectures=["鳥取県"])
    juki = next(s for s in hokkaido.attrs["join_report"].sources if s.dataset == "juki-2020")
    # the 北方領土 villages are Hokkaido's and have no boundary: still reported
    assert juki.unmatched_source and all(c.startswith("01") for c in juki.unmatched_source)
    assert any(c.startswith("01695") for c in juki.unmatched_source)
    # the other 46 prefectures' 1,500+ rows are outside a 鳥取県 table, not unmatched
    for source in tottori.attrs["join_report"].sources:
        assert all(c.startswith("31") for c in source.unmatched_source), source.dataset
