from __future__ import annotations

import openpyxl
import pandas as pd
import pyogrio
import pytest

from regionlib import export
from regionlib._errors import RegionlibError
from regionlib.cli import main


def test_unsupported_suffix_refused_before_work(tmp_path, monkeypatch, capsys):
    from regionlib import table

    def fail(*args, **kwargs):
        raise AssertionError("the table was loaded before the output was checked")

    monkeypatch.setattr(table, "load_table", fail)
    assert main(["table", "-o", str(tmp_path / "t.docx")]) == 2
    err = capsys.readouterr().err
    assert all(s in err for s in (".csv", ".xlsx", ".gpkg", ".geojson")) and "t.docx" in err
    assert not list(tmp_path.iterdir())


def test_folder_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(RegionlibError, match="not a folder"):
        export.check_output(tmp_path / "f" / "t.csv")


def test_csv_bom_integers_and_no_geometry(grid, tmp_path):
    path = export.write_table(grid, tmp_path / "g.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig").splitlines()
    assert text[0] == "code,prefecture,name,population,x"
    assert text[1].startswith("01001,北海道,町1,1000,0")
    assert "POLYGON" not in raw.decode("utf-8-sig")
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_one_csv_format_for_every_writer(tmp_path):
    from regionlib import _write

    frame = pd.DataFrame(
        {"region": [1.0, None, 3.0], "share": [0.5, 1 / 3, None], "n": [4, 5, 6]},
        index=pd.Index([1.0, 2.0, 3.0], name="rank"),
    )
    low = _write.write_csv(frame, tmp_path / "low.csv").read_bytes()
    assert low.decode("utf-8-sig").splitlines() == [
        "rank,region,share,n",
        "1,1,0.5,4",
        "2,,0.3333333333,5",
        "3,3,,6",
    ]  # 1 and 3, not 1.0 and 3.0; ten significant digits
    plain = frame.reset_index()
    high = export.write_csv(plain, tmp_path / "high.csv", index=False).read_bytes()
    assert high == low
    assert frame["region"].dtype == float  # the caller's frame is not changed


def test_geojson_keeps_geometry_and_attributes(grid, tmp_path):
    frame = pyogrio.read_dataframe(export.write_table(grid, tmp_path / "g.geojson"))
    assert len(frame) == 17
    assert frame["code"].tolist()[:2] == ["01001", "01002"]
    assert frame["name"].tolist()[0] == "町1"
    assert frame.crs.to_epsg() == 4326


def test_gpkg_joins_boundaries_on_codes(grid, tmp_path):
    codes = pd.DataFrame({"value": [1.5, None]}, index=pd.Index(["01209", "47382"], name="code"))
    path = export.write_table(codes, tmp_path / "v.gpkg")
    frame = pyogrio.read_dataframe(path)
    assert frame["code"].tolist() == ["01209", "47382"]
    assert frame.geometry.notna().all() and frame["value"].isna().tolist() == [False, True]
    with pytest.raises(RegionlibError, match="codes without a boundary: 01001"):
        export.write_table(grid.drop(columns="geometry"), tmp_path / "g.gpkg")
    assert not (tmp_path / "g.gpkg").exists()


@pytest.fixture(scope="module")
def table_xlsx(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "t.xlsx"
    assert main(["-q", "table", "--indicators", "population_2020,aging_rate", "-o", str(path)]) == 0
    return openpyxl.load_workbook(path)


def test_xlsx_codes_text_headers_ranks(table_xlsx):
    ws = table_xlsx["データ"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["市区町村コード", "都道府県コード", "都道府県", "市区町村名"]
    assert "高齢化率（65歳以上人口割合）（%）" in header
    assert "総人口（2020年）（人） 全国順位" in header
    assert "総人口（2020年）（人） 都道府県内順位" in header
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 1741
    sapporo = rows["01100"]  # the leading zero is kept: stored as text
    assert ws["A2"].data_type == "s" and ws["A2"].number_format == "@"
    col = header.index("総人口（2020年）（人）")
    assert sapporo[col] == 1_973_395 and isinstance(sapporo[col], int)
    assert sapporo[col + 1] == 4 and sapporo[col + 2] == 1  # 4th in Japan, 1st in Hokkaido
    assert ws.cell(row=2, column=col + 1).number_format == "#,##0"
    assert ws.freeze_panes == "E2"
    assert ws.auto_filter.ref.startswith("A1:")


def test_xlsx_sources_sheet(table_xlsx):
    src = [r[0] for r in table_xlsx["出典"].iter_rows(values_only=True) if r[0]]
    assert "aging_rate" in src
    assert any("国土数値情報" in s for s in src)
    assert any("SSDSE" in s for s in src)


def test_peers_xlsx_and_comparison(tmp_path):
    peers, compare = tmp_path / "p.xlsx", tmp_path / "c.csv"
    assert main(["-q", "peers", "夕張市", "-o", str(peers), "--compare", str(compare)]) == 0
    ws = openpyxl.load_workbook(peers).active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["市区町村コード", "順位", "市区町村名"]
    codes = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(codes) == 10 and "01209" not in codes
    assert all(isinstance(c, str) and len(c) == 5 for c in codes)
    assert pd.read_csv(compare, encoding="utf-8-sig", index_col=0).shape[0] >= 5


@pytest.mark.slow
def test_regions_gpkg_has_every_municipality(tmp_path):
    path = tmp_path / "r.gpkg"
    args = ["-q", "regions", "--method", "ward", "--n-regions", "40", "-o", str(path)]
    assert main(args) == 0
    info = pyogrio.read_info(path)
    assert info["features"] == 1741
    assert info["crs"] == "EPSG:6668"
    frame = pyogrio.read_dataframe(path, read_geometry=False)
    assert {"code", "region", "region_name", "aging_rate"} <= set(frame.columns)
    assert frame["region_name"].notna().all()
    assert frame.set_index("code").at["01209", "name"] == "夕張市"


def test_series_xlsx_without_ranks(tmp_path, mirror_dir):
    out = tmp_path / "s.xlsx"
    args = ["-q", "series", "population_registered", "--years", "2020-2021", "--pref", "北海道"]
    assert main([*args, "-o", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["データ"]
    header = [c.value for c in ws[1]]
    assert header[0] == "市区町村コード" and not any("順位" in str(h) for h in header)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2 * 179 and rows[0][0] == "01100"


def test_table_workbook_carries_the_flags(table_xlsx):
    """The 注記 column the CSV carries is in the workbook too (飯舘村's 2015→2020 growth)."""
    ws = table_xlsx["データ"]
    header = [c.value for c in ws[1]]
    assert "注記" in header
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["01100"][header.index("注記")] is None
    names = [r[2] for r in table_xlsx["列の説明"].iter_rows(min_row=2, values_only=True)]
    assert "code" in names and "aging_rate" in names


def _year_cells(ws, header: str = "年"):
    col = [c.value for c in ws[1]].index(header) + 1
    return [r[0] for r in ws.iter_rows(min_row=2, min_col=col, max_col=col)]


def test_years_are_plain_integers_in_every_workbook(tmp_path):
    """2016, not 2,016: the year column of the series and good-practice workbooks."""
    series = tmp_path / "s.xlsx"
    args = ["-q", "series", "population_registered", "--years", "2016-2018", "--pref", "鳥取県"]
    assert main([*args, "-o", str(series)]) == 0
    cells = _year_cells(openpyxl.load_workbook(series)["データ"])
    assert {c.value for c in cells} == {2016, 2017, 2018}
    assert all(type(c.value) is int and c.number_format == "0" for c in cells)
    frame = pd.DataFrame({"year": [2015.0, 2020.0], "since": [2015, 2015], "x": [1.5, 2.5]})
    ws = openpyxl.load_workbook(export.write_table(frame, tmp_path / "y.xlsx", index=False))[
        "データ"
    ]
    for header in ("年", "開始年"):
        assert all(type(c.value) is int and c.number_format == "0" for c in _year_cells(ws, header))


def test_goodpractice_workbook_headers_and_credits(tmp_path):
    path = tmp_path / "gp.xlsx"
    args = ["-q", "goodpractice", "夕張市", "--indicator", "population_registered"]
    assert main([*args, "--since", "2016", "-o", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    header = [c.value for c in wb["データ"][1]]
    assert all(any("\u3040" <= ch <= "\u9fff" for ch in h) for h in header)  # Japanese headers
    english = [r[2] for r in wb["列の説明"].iter_rows(min_row=2, values_only=True)]
    assert "change_pct" in english
    credits = [r[0] for r in wb["出典"].iter_rows(values_only=True) if r[0]]
    assert any("住民基本台帳" in c for c in credits) and any("SSDSE" in c for c in credits)


def test_gpkg_fields_have_japanese_aliases(grid, tmp_path):
    """QGIS shows GDAL's alternative names, read from the schema extension's gpkg_data_columns."""
    import sqlite3

    path = export.write_table(grid, tmp_path / "g.gpkg")
    assert list(pyogrio.read_dataframe(path, read_geometry=False).columns)[:3] == [
        "code",
        "prefecture",
        "name",
    ]
    with sqlite3.connect(path) as con:
        aliases = dict(con.execute("SELECT column_name, name FROM gpkg_data_columns"))
        ext = con.execute(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
        ).fetchone()[0]
    assert aliases["code"] == "市区町村コード" and aliases["population"] == "人口（人）"
    assert ext == 1
