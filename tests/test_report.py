"""Municipality profiles: content, peers as the CLI finds them, bad input."""

from __future__ import annotations

import pytest

from regionlib import features, report, similarity
from regionlib._errors import AmbiguousNameError, UnknownNameError
from regionlib.cli import main

# profiles need the national analyses (clusters, max-p regions, LISA): minutes on a fresh cache
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def context(mirror_dir):
    return report.build_context()


@pytest.fixture(scope="module")
def yubari(context):
    return report.profile(None, "夕張市", context=context)


def test_headline_values_and_ranks(yubari):
    rows = {r["name"]: r for r in yubari.data["headline"]}
    pop = rows["population_2020"]
    assert (pop["value"], pop["unit"], pop["year"]) == ("7,334", "人", "2020年")
    assert pop["pref_n"] == 179 and 1 <= pop["pref_rank"] <= 179
    assert rows["aging_rate"]["rank"] < 100 and rows["aging_rate"]["percentile"] >= 90
    assert rows["fiscal_strength_index"]["year"].endswith("年度")


def test_peers_are_those_of_the_cli(context, yubari):
    from regionlib import table

    tbl = table.load_table(None, geometry=False)
    cli = similarity.find_peers(features.prepare_features(tbl, None), "夕張市", k=10)
    assert [r["code"] for r in yubari.data["peers"]] == list(cli.index)
    assert "01209" not in [r["code"] for r in yubari.data["peers"]]
    assert len(yubari.data["peer_indicators"]) == 10


def test_profile_numbers_as_a_workbook(yubari, tmp_path):
    import openpyxl

    path = yubari.save(tmp_path / "yubari.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["指標", "類似市区町村", "推移", "出典"]
    headline = {r[0].value: r for r in wb["指標"].iter_rows(min_row=2)}
    page = {r["label"]: r for r in yubari.data["headline"]}
    aging = headline["高齢化率（65歳以上人口割合）"]
    # the same ranks as the page, the raw value shown with the page's decimals
    assert [c.value for c in aging[4:8]] == [
        page["高齢化率（65歳以上人口割合）"][k] for k in ("rank", "n", "pref_rank", "pref_n")
    ]
    assert f"{aging[3].value:.1f}" == page["高齢化率（65歳以上人口割合）"]["value"]
    assert aging[3].number_format == "#,##0.0"
    assert headline["財政力指数"][3].number_format == "#,##0.00"
    peers = list(wb["類似市区町村"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in peers] == [r["code"] for r in yubari.data["peers"]]
    assert all(isinstance(r[1], str) and len(r[1]) == 5 for r in peers)  # codes as text
    years = [r[2] for r in wb["推移"].iter_rows(min_row=2, values_only=True)]
    assert min(years) <= 2016 and max(years) >= 2020
    sources = [r[0] for r in wb["出典"].iter_rows(min_row=2, values_only=True)]
    assert "aging_rate" in sources


def test_cluster_region_lisa_maps_credits(yubari):
    d = yubari.data
    assert d["cluster"]["description"] and d["cluster"]["k"] >= 2
    assert d["region"]["name"].endswith("圏")
    assert "01209" in [m["code"] for m in d["region"]["members"]]
    assert {entry["label"] for entry in d["lisa"]} >= {"高齢化率（65歳以上人口割合）"}
    kinds = [s["kind"] for s in d["maps"]["pref"]["shapes"]]
    assert len(kinds) == 179 and kinds.count("target") == 1 and kinds[-1] == "target"
    assert any("SSDSE" in c for c in d["credits"]) and any(
        "国土数値情報" in c for c in d["credits"]
    )


def test_changes_and_good_practice(yubari):
    charts = {c["title"]: c for c in yubari.data["changes"]}
    population = charts["住民基本台帳人口（人）"]
    assert population["own"][0]["year"] == "2016" and population["own"][-1]["year"] == "2022"
    assert population["change"].startswith("-")
    gp = yubari.data["good_practice"]
    assert (gp["since"], gp["until"]) == (2016, 2022) and len(gp["rows"]) == 5
    assert "01209" not in [r["code"] for r in gp["rows"]]
    assert gp["own"]["start"] == "9,056"


def test_page_is_escaped_and_self_contained(yubari):
    html = yubari.to_html()
    assert "7,334" in html and "夕張市" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html and "<script" not in html
    assert "@media print" in html and "size: A4" in html


def test_missing_values_shown_with_reason(context):
    page = report.profile(None, "双葉町", context=context)  # evacuated in 2020: population 0
    rows = {r["name"]: r for r in page.data["headline"]}
    aging = rows["aging_rate"]
    assert aging["missing"] and aging["value"] == "データなし"
    assert "人口が0" in aging["reason"]
    assert "データなし" in page.to_html()


def test_ward_and_ambiguous_names(context):
    with pytest.raises(UnknownNameError, match=r"ward of a designated city.*札幌市 \(01100\)"):
        report.profile(None, "札幌市中央区", context=context)
    with pytest.raises(AmbiguousNameError, match=r"東京都府中市.*広島県府中市"):
        report.profile(None, "府中市", context=context)
    with pytest.raises(UnknownNameError, match="夕張市"):
        report.profile(None, "夕張", context=context)


def test_cli_ward_refused_in_one_line(context, tmp_path, capsys):
    out = tmp_path / "w.html"
    assert main(["-q", "report", "札幌市中央区", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "札幌市" in err[0]
    assert not out.exists()
