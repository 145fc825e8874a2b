"""Municipality profiles: content, peers as the CLI finds them, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
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
    assert [r["code"] for r in yubari.data["peers"]["rows"]] == list(cli.index)
    assert "01209" not in [r["code"] for r in yubari.data["peers"]["rows"]]
    assert len(yubari.data["peers"]["indicators"]) == 10


def test_profile_numbers_as_a_workbook(yubari, tmp_path):
    import openpyxl

    path = yubari.save(tmp_path / "yubari.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["指標", "類似する市区町村", "推移", "列の説明", "出典"]
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
    peers = list(wb["類似する市区町村"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in peers] == [r["code"] for r in yubari.data["peers"]["rows"]]
    assert all(isinstance(r[1], str) and len(r[1]) == 5 for r in peers)  # codes as text
    years = [r[2] for r in wb["推移"].iter_rows(min_row=2, values_only=True)]
    assert min(years) <= 2016 and max(years) >= 2020
    sources = [r[0] for r in wb["出典"].iter_rows(min_row=2, values_only=True)]
    assert "aging_rate" in sources


def test_cluster_region_lisa_maps_credits(yubari):
    d = yubari.data["place"]
    assert d["cluster"]["description"] and d["cluster"]["k"] >= 2
    assert d["region"]["name"].endswith("圏")
    assert "01209" in [m["code"] for m in d["region"]["members"]]
    assert {entry["label"] for entry in d["lisa"]} >= {"高齢化率（65歳以上人口割合）"}
    kinds = [s["kind"] for s in d["maps"]["pref"]["shapes"]]
    assert len(kinds) == 179 and kinds.count("target") == 1 and kinds[-1] == "target"
    credits = yubari.data["credits"]
    assert any("SSDSE" in c for c in credits) and any("国土数値情報" in c for c in credits)
    assert any("住民基本台帳" in c for c in credits)  # the series and the good practice


def test_changes_and_good_practice(yubari):
    charts = {c["title"]: c for c in yubari.data["changes"]}
    population = charts["住民基本台帳人口（人）"]
    years = [t["label"] for t in population["x_ticks"]]
    assert years[0] == "2015" and years[-1] == "2022"  # from the start year, never across 2013
    assert population["change"]["text"].startswith("-")
    assert population["change"]["text"].endswith("%")  # a count changes in %
    kinds = [s["kind"] for s in population["series"]]
    assert kinds[:2] == ["own", "peers"]
    # the national median is drawn where it fits the town's range, else said in the caption
    assert "national" in kinds or "全国の中央値" in population["notes"][0]
    aging = charts["高齢化率（65歳以上人口割合）（%）"]
    assert [s["kind"] for s in aging["series"]] == ["own", "peers", "national"]
    assert len(aging["y_ticks"]) >= 2 and aging["change"]["text"].endswith("ポイント")
    ends = sorted(s["label_y"] for s in aging["series"])
    assert all(b - a >= 12 for a, b in itertools.pairwise(ends))  # no overlap
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


def test_cards_answer_first_with_medians_and_change_in_points(context, yubari):
    cards = {c["name"]: c for c in yubari.data["cards"]}
    assert yubari.data["sections"][0]["name"] == "cards"
    aging = cards["aging_rate"]
    assert {"peers_median", "pref_median", "national_median"} <= set(aging)
    wide = context.series["aging_rate"]
    start, end = wide.at["01209", 2015], wide.at["01209", 2020]
    assert aging["change"]["start"] == 2015
    assert aging["change"]["text"] == f"{end - start:+.1f}ポイント"  # points, not % of 2015
    population = cards["population_2020"]["change"]
    assert population["text"].endswith("%") and population["start"] == "2015"


def test_iitate_flags_beside_the_values(context, tmp_path):
    """飯舘村's 3,114 % growth 2015→2020 carries its flag in the cards, table, charts and workbook."""
    import openpyxl

    page = report.profile(None, "飯舘村", context=context)
    cards = {c["name"]: c for c in page.data["cards"]}
    change = cards["population_2020"]["change"]
    assert change["text"] == "+3,114.6%" and "避難指示" in change["flag"]
    rows = {r["name"]: r for r in page.data["headline"]}
    assert "避難指示" in rows["population_change_2015_2020"]["flag"]
    aging = next(c for c in page.data["changes"] if c["title"].startswith("高齢化率"))
    dots = aging["series"][0]["dots"]
    assert all("避難指示" in d["flag"] for d in dots)  # 2015 and 2020 are both flagged
    html = page.to_html()
    flagged_cell = html.split("3,114.63")[1].split("</td>")[0]
    assert "⚠ 避難指示の影響" in flagged_cell
    path = page.save(tmp_path / "iitate.xlsx")
    wb = openpyxl.load_workbook(path)
    head = [c.value for c in wb["指標"][1]]
    note = head.index("注記")
    flagged = {r[0].value: r[note].value for r in wb["指標"].iter_rows(min_row=2)}
    assert "避難指示" in flagged["人口増減率（2015→2020年）"]
    trend = list(wb["推移"].iter_rows(min_row=2, values_only=True))
    head = [c.value for c in wb["推移"][1]]
    by_year = {(r[0], r[2]): r[head.index("注記")] for r in trend}
    assert "避難指示" in by_year[("高齢化率（65歳以上人口割合）", 2015)]


def test_workbook_years_are_plain_integers(yubari, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(yubari.save(tmp_path / "y.xlsx"))
    ws = wb["推移"]
    col = [c.value for c in ws[1]].index("年") + 1
    cells = [r[0] for r in ws.iter_rows(min_row=2, min_col=col, max_col=col)]
    assert all(isinstance(c.value, int) for c in cells)
    assert {c.number_format for c in cells} == {"0"}  # 2016, not 2,016
    assert "列の説明" in wb.sheetnames


def test_sections_are_a_list(context):
    """A new section is one entry: its data under its name, its partial rendered in order."""
    extra = report.Section("cards", "profile/_cards.html.j2", lambda facts: None)
    page = report.profile(None, "夕張市", context=context, sections=[extra, *report.SECTIONS[1:2]])
    assert [s["name"] for s in page.data["sections"]] == ["changes"]
    assert "推移" in page.to_html() and "中央値</caption>" not in page.to_html()


def test_no_ministry_wording_in_the_package():
    """The peers are 「類似する市区町村」; 「類似団体」 is the ministry's fixed classification."""
    from pathlib import Path

    root = Path(report.__file__).parents[1]  # the whole package
    files = [p for p in root.rglob("*") if p.suffix in (".py", ".j2", ".csv", ".json")]
    assert [p.name for p in files if "類似団体" in p.read_text(encoding="utf-8")] == []


# ----------------------------------------------------------------- KPI targets on the profile

_TARGETS = (
    "municipality,area,indicator,base_year,target,target_year,better,note\n"
    "夕張市,,population_registered,2020,6500,2030,higher,人口ビジョン\n"
    "美唄市,,population_registered,2020,18000,2030,higher,他の市の行\n"
    ",commuting-zones-2020:札幌市通勤圏,social_change_rate,2015,5,2030,higher,圏域の行\n"
    "夕張市,,births,2016,40,2030,higher,出生数\n"
)


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpi") / "targets.csv"
    path.write_text(_TARGETS, encoding="utf-8")
    return path


def test_profile_shows_its_own_kpis_as_regionlib_kpi_tracks_them(context, targets_file):
    from regionlib.analysis import kpi
    from regionlib.outputs import kpipage

    page = report.profile(None, "夕張市", context=context, targets=targets_file)
    section = page.data["kpi"]
    assert [c["label"] for c in section["cards"]] == [
        "住民基本台帳人口",
        "出生者数（住民基本台帳）",
    ]
    assert [s["name"] for s in page.data["sections"]][:3] == ["cards", "changes", "kpi"]
    # the very numbers regionlib kpi shows for these rows (other places' rows left out)
    own = [t for t in kpi.read_targets(targets_file) if t.place == "01209"]
    expected = kpipage.kpi_cards(kpi.track(own))
    assert [c["numbers"] for c in section["cards"]] == [c["numbers"] for c in expected]
    assert [c["status"] for c in section["cards"]] == [c["status"] for c in expected]
    html = page.to_html()
    assert "KPIの進み具合" in html and "人口ビジョン" in html and "他の市の行" not in html
    assert "公式推計ではありません" in section["note"]  # the population KPI is projected
    # credits: the KPI indicators' sources and the register's age tables behind the projection
    assert {"population_registered", "births"} <= set(page.cited)
    assert set(kpi.projection_datasets()) <= set(page.datasets)
    assert any("passaglia/japandata-sources" in c for c in page.data["credits"])
    # the workbook carries the KPI sheets beside the profile's own
    assert {"KPI", "KPIの推移", "推移"} <= set(page.tables)
    assert len(page.tables["KPI"]) == 2


def test_profile_without_a_row_in_the_targets_warns_once(context, targets_file, capsys):
    from regionlib import settings

    settings.log_warnings = True
    page = report.profile(None, "芦別市", context=context, targets=targets_file)
    assert "kpi" not in [s["name"] for s in page.data["sections"]]
    err = [line for line in capsys.readouterr().err.splitlines() if "targets.csv" in line]
    assert len(err) == 1 and err[0].index("芦別市") < err[0].index("no target row")


def test_cli_report_with_targets_and_bad_targets(context, targets_file, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["-q", "report", "夕張市", "--targets", str(targets_file), "-o", str(out)]) == 0
    assert "KPIの進み具合" in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "municipality,area,indicator,base_year,target,target_year\n"
        "夕張市,,population_registered,2016,6500,2024\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    page = tmp_path / "bad.html"
    assert main(["-q", "report", "夕張市", "--targets", str(bad), "-o", str(page)]) == 2
    report_err = capsys.readouterr().err.strip().splitlines()
    assert main(["-q", "kpi", str(bad), "-o", str(tmp_path / "k.html")]) == 2
    kpi_err = capsys.readouterr().err.strip().splitlines()
    assert len(report_err) == 1 and "row 2" in report_err[0]
    assert report_err[0].split(": ", 1)[1] == kpi_err[0].split(": ", 1)[1]  # as regionlib kpi
    assert not page.exists()
    assert main(["-q", "report", "--area", "札幌圏=札幌市,江別市", "--targets", str(bad),
                 "-o", str(page)]) == 2  # fmt: skip


def test_compiled_templates_are_kept_and_checked(tmp_path, monkeypatch):
    """Templates compile once into the cache folder; a cache that cannot be read is ignored."""
    from regionlib import settings
    from regionlib.outputs import report

    monkeypatch.setattr(settings, "cache_folder", tmp_path)
    cache = report._bytecode_cache()
    assert cache is not None
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("regionlib.outputs", "templates"), bytecode_cache=cache)
    env.get_template("base.html.j2")
    kept = list((tmp_path / "templates").iterdir())
    assert kept
    for path in kept:  # a damaged entry is compiled again, never an error
        path.write_bytes(b"damaged")
    env = Environment(loader=PackageLoader("regionlib.outputs", "templates"), bytecode_cache=cache)
    assert env.get_template("base.html.j2").render is not None


def test_page_medians_are_pandas_medians():
    """The pages' numpy medians (peers, money) give what pandas gives: NaN skipped, none -> NaN."""
    from regionlib.outputs.report import _column_medians

    rng = np.random.default_rng(3)
    values = rng.normal(size=(7, 5))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[:, 2] = np.nan  # a year nobody has
    expected = pd.DataFrame(values).median().to_numpy()
    np.testing.assert_array_equal(_column_medians(values), expected)
    assert np.isnan(_column_medians(values[:0])).all() and len(_column_medians(values[:0])) == 5
