"""Safe with the user's files and names: every defect of the abuse battery, as a test.

Kinds covered: outputs that are inputs (also through links) and folders holding the user's
files; formulas in CSV and workbooks (read back from the file's XML and text); user columns
named like catalogue indicators; one-line errors for full disks, long names, unreplaceable
folders, broken servers and empty, binary or UTF-16 user files; downloads bounded by the
registry's size (a gzip bomb served on 127.0.0.1); non-finite numbers, unsaved formula cells and
projected boundary files; quiet runs; temporary files of killed runs and orphaned workers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import http.server
import io
import os
import re
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from regionlib import _log, _write, export, indicators, userdata
from regionlib._errors import DataFetchError, DataFormatError, OutputError, UnknownNameError
from regionlib.cli import main
from regionlib.data import _userfile


def _no_work(*args, **kwargs):
    raise AssertionError("the command computed before checking its options")


def _one_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"regionlib {command}: エラー / error: "), err
    return err[0]


@pytest.fixture
def fresh_log(monkeypatch):
    monkeypatch.setattr(_log, "_said", set())


# --- never touch an input ------------------------------------------------------------------


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_functional_refuses_to_overwrite_its_od_file(tmp_path, monkeypatch, capsys, link):
    from regionlib.regions import functional

    monkeypatch.setattr(functional, "read_flows", _no_work)
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,flow\n01100,01202,5\n", encoding="utf-8")
    given = od
    if link == "symlink":
        given = tmp_path / "link.csv"
        given.symlink_to(od)
    elif link == "hardlink":
        given = tmp_path / "hard.csv"
        os.link(od, given)
    before = od.read_bytes()
    assert main(["functional", "--flows", str(given), "-o", str(od)]) == 2
    line = _one_error(capsys, "functional")
    assert "出力先が入力ファイルと同じです / the output is the input file" in line
    assert od.read_bytes() == before


def test_table_refuses_to_overwrite_its_join_file(tmp_path, monkeypatch, capsys):
    from regionlib import table

    monkeypatch.setattr(table, "load_table", _no_work)
    mine = tmp_path / "mine.csv"
    mine.write_text("code,my_value\n01100,1\n", encoding="utf-8")
    before = mine.read_bytes()
    assert main(["table", "--join", str(mine), "-o", str(mine)]) == 2
    assert "the output is the input file" in _one_error(capsys, "table")
    assert mine.read_bytes() == before


def test_a_rerun_atlas_keeps_the_users_files(tmp_path, capsys, fresh_log):
    out = tmp_path / "atlas"
    with _write.atomic_directory(out) as tmp:
        (tmp / "index.html").write_text("v1")
        (tmp / "m").mkdir()
        (tmp / "m" / "01100.html").write_text("v1")
    (out / "my_notes.txt").write_text("mine")
    (out / "mine").mkdir()
    (out / "mine" / "data.csv").write_text("a,b\n")
    # without --overwrite the folder is refused, naming the user's files
    with pytest.raises(OutputError, match=r"other files \(mine/data.csv, my_notes.txt\)"):
        _write.check_directory(out)
    with _write.atomic_directory(out, overwrite=True) as tmp:
        (tmp / "index.html").write_text("v2")
    assert (out / "index.html").read_text() == "v2"
    assert not (out / "m").exists()  # regionlib's own old page: replaced
    assert (out / "my_notes.txt").read_text() == "mine"
    assert (out / "mine" / "data.csv").read_text() == "a,b\n"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kept 2 files regionlib did not write" in err[0]
    assert [p.name for p in tmp_path.iterdir()] == ["atlas"]  # no temporary folder left


def test_a_user_file_named_like_a_new_output_is_never_replaced(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "index.html").write_text("my own index")
    with (
        pytest.raises(OutputError, match=r"regionlib would replace your file index\.html"),
        _write.atomic_directory(out, overwrite=True) as tmp,
    ):
        (tmp / "index.html").write_text("regionlib's")
    assert (out / "index.html").read_text() == "my own index"


def test_atlas_into_the_current_folder_is_refused_before_work(tmp_path, monkeypatch, capsys):
    from regionlib import report

    monkeypatch.setattr(report, "build_context", _no_work)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("x")
    assert main(["atlas", "-o", ".", "--overwrite"]) == 2
    assert "it is the current folder" in _one_error(capsys, "atlas")
    with pytest.raises(OutputError, match="mount point"):
        _write.check_directory("/proc", overwrite=True)


# --- no live formulas ------------------------------------------------------------------------

PAYLOADS = [
    '=HYPERLINK("http://example.org","click")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(1)",
    "\tx",
    "\rx",
]


def _formula_like(cell: str) -> bool:
    if not cell.startswith(_write.FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False  # a negative number is a number


def _xlsx_cells(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, type, text) of every cell, from the workbook's XML; also fails on any formula."""
    out = []
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            xml = z.read("xl/sharedStrings.xml").decode()
            shared = [html.unescape(t) for t in re.findall(r"<t[^>]*>([^<]*)</t>", xml)]
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, f"a formula in {name}"
                for attrs, body in re.findall(r"<c ([^>]*?)(?:/>|>(.*?)</c>)", xml):
                    kind = re.search(r'\bt="(\w+)"', attrs)
                    kind = kind.group(1) if kind else ""
                    text = re.findall(r"<t[^>]*>([^<]*)</t>|<v>([^<]*)</v>", body)
                    value = html.unescape("".join(a or b for a, b in text))
                    if kind == "s":
                        value = shared[int(value)]
                    out.append((name, kind, value))
    return out


def test_no_cell_or_header_is_a_formula(tmp_path):
    frame = pd.DataFrame(
        {
            "note": PAYLOADS,
            "value": [-1.5, -2.0, 3.0, 4.0, 5.0, 6.0, -7.25],
            **{p.strip(): range(7) for p in PAYLOADS[:5]},
        },
        index=pd.Index([f"01{i:03d}" for i in range(1, 8)], name="code"),
    )
    xlsx = export.write_table(frame, tmp_path / "t.xlsx")
    cells = _xlsx_cells(xlsx)
    texts = {v for _, kind, v in cells if kind in ("s", "inlineStr", "str")}
    for payload in PAYLOADS:
        assert payload in texts  # kept as text, as the user wrote it
    numbers = [float(v) for _, kind, v in cells if kind in ("", "n")]
    assert -7.25 in numbers and -2.0 in numbers  # numbers stay numbers
    path = export.write_table(frame, tmp_path / "t.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    for row in rows:
        for cell in row:
            assert not _formula_like(cell), cell
    assert "'=cmd|' /C calc'!A0" in rows[0] and "'=cmd|' /C calc'!A0" in rows[2]
    assert "-7.25" in rows[-1]


def test_registered_labels_and_credits_are_never_formulas(tmp_path):
    indicators.register("my_x", label='=HYPERLINK("http://x","y")', credit="=cmd|' /C calc'!A0")
    try:
        codes = [f"{p:02d}{i:03d}" for p in (1, 2) for i in range(1, 31)]
        frame = pd.DataFrame(
            {
                "prefecture": ["北海道"] * 30 + ["青森県"] * 30,
                "name": [f"町{i}" for i in range(60)],
                "my_x": np.arange(60.0),
            },
            index=pd.Index(codes, name="code"),
        )
        cells = _xlsx_cells(export.write_table(frame, tmp_path / "r.xlsx"))
    finally:
        indicators._USER.pop("my_x", None)
    texts = [v for _, _, v in cells]
    assert any("順位" in v and "HYPERLINK" in v for v in texts)  # the rank header, as text
    assert any("利用者データ / user data: =cmd" in v for v in texts)  # credited as the user's
    assert any("［利用者データ］" in v for v in texts)


def test_a_joined_file_is_credited_as_the_users(tmp_path):
    frame = pd.DataFrame({"mine": [1.0]}, index=pd.Index(["01100"], name="code"))
    frame.attrs["user_join_report"] = userdata.UserJoinReport("mine.csv", "code", 1, 1, ["mine"])
    assert userdata.user_credits(frame) == ["利用者データ / user data: mine.csv"]
    texts = [v for _, _, v in _xlsx_cells(export.write_table(frame, tmp_path / "t.xlsx"))]
    assert "利用者データ / user data: mine.csv" in texts


# --- no impersonation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column", ["aging_rate", "高齢化率", "ＡＧＩＮＧ＿ＲＡＴＥ", "aging_rate@2015"]
)
def test_a_column_named_like_a_catalogue_indicator_is_refused(tmp_path, column):
    path = tmp_path / "mine.csv"
    path.write_text(f"code,{column}\n01100,99\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="is named like the catalogue indicator aging_rate"):
        userdata.read_user_table(path)
    kept = userdata.read_user_table(path, rename_clashes=True)
    assert list(kept.columns) == [
        "code",
        f"user_{column.strip()}".replace("ＡＧＩＮＧ＿ＲＡＴＥ", "AGING_RATE"),
    ]


def test_cli_refuses_the_impersonating_column(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text("code,高齢化率\n01100,99\n", encoding="utf-8")
    assert main(["table", "--join", str(path), "-o", str(tmp_path / "t.csv")]) == 2
    line = _one_error(capsys, "table")
    assert "公式の指標 aging_rate と同じ名前です" in line and "--rename-clashes" in line
    assert not (tmp_path / "t.csv").exists()


def test_register_refuses_an_official_label():
    with pytest.raises(UnknownNameError, match="built-in indicator aging_rate"):
        indicators.register("my_rate", label="高齢化率")
    assert "my_rate" not in indicators._USER
    data = pd.Series([1.0, np.inf], index=["01100", "01202"])
    with pytest.raises(DataFormatError, match=r"infinite values are not numbers \(code 01202\)"):
        indicators.register("my_rate", data, label="独自の率")
    assert "my_rate" not in indicators._USER  # nothing half-registered


# --- every error is one line ---------------------------------------------------------------


def test_long_names_are_checked_before_work_and_temp_names_stay_short(tmp_path):
    with pytest.raises(OutputError, match="the name is too long"):
        _write.check_output(tmp_path / ("a" * 300 + ".csv"), (".csv",))
    with pytest.raises(OutputError, match="the name is too long"):
        _write.check_directory(tmp_path / ("d" * 300))
    legal = tmp_path / ("b" * 240 + ".csv")  # 244 bytes: legal, its temporary name too
    _write.write_csv(pd.DataFrame({"x": [1]}), _write.check_output(legal, (".csv",)), index=False)
    assert legal.read_text(encoding="utf-8-sig") == "x\n1\n"


def test_cli_refuses_long_names_and_mount_points_before_work(
    tmp_path, tiny_fs, monkeypatch, capsys
):
    from regionlib import report, table

    monkeypatch.setattr(table, "load_table", _no_work)
    monkeypatch.setattr(report, "build_context", _no_work)
    long = str(tmp_path / ("t" * 300 + ".csv"))
    assert main(["table", "-o", long]) == 2
    assert "名前が長すぎます / cannot write the table: the name is too long" in _one_error(
        capsys, "table"
    )
    (tiny_fs / "x.txt").write_text("x")
    assert main(["atlas", "-o", str(tiny_fs), "--overwrite"]) == 2
    assert "it is a mount point" in _one_error(capsys, "atlas")


def _failing_server(handler_body):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handler_body(self)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def serve():
    servers = []

    def start(body):
        server = _failing_server(body)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


SMALL = "commuting-zones-2020-original"


def _stall_after_headers(h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.flush()
    time.sleep(3)


def _close_mid_body(h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b"x" * 10)
    h.wfile.flush()
    h.connection.shutdown(2)


@pytest.mark.parametrize("body", [_stall_after_headers, _close_mid_body])
def test_broken_servers_are_a_data_fetch_error(isolated_cache, monkeypatch, serve, body):
    from regionlib import datasets, settings

    monkeypatch.setattr(settings, "mirror", serve(body))
    monkeypatch.setattr(datasets, "READ_TIMEOUT", 0.5)
    with pytest.raises(DataFetchError, match=f"dataset '{SMALL}': cannot download"):
        datasets.get_path(SMALL)
    assert not datasets.info(SMALL).cache_path.exists()


def test_full_disk_is_one_line_for_every_format(tiny_fs, grid, capsys):
    frame = pd.concat([grid] * 40)  # about 400 KB of attributes and polygons
    frame.index = pd.Index([f"{i:05d}" for i in range(1, len(frame) + 1)], name="code")
    # 130 KB of text that does not compress, so that even the zipped workbook is too large
    frame["text"] = [
        "".join(hashlib.sha256(f"{i}-{j}".encode()).hexdigest() for j in range(6))
        for i in range(len(frame))
    ]
    for suffix in (".gpkg", ".geojson", ".xlsx", ".csv"):
        with pytest.raises(OutputError, match=r"t\.\w+: cannot write the \w+: the disk is full"):
            export.write_table(frame, tiny_fs / f"t{suffix}")
    assert list(tiny_fs.iterdir()) == []
    assert "Exception ignored" not in capsys.readouterr().err


def test_a_mount_point_is_refused_before_work(tiny_fs):
    (tiny_fs / "x").write_text("x")
    with pytest.raises(OutputError, match="it is a mount point"):
        _write.check_directory(tiny_fs, overwrite=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the OD file is empty"),
        (b"   \n\n", "the OD file is empty"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a text file: a PNG image"),
        (b"PK\x03\x04garbage", "not a text file: a ZIP archive (an .xlsx workbook?"),
        (b"origin;destination;flow\n", "expected columns origin,destination,flow"),
        (b"origin,destination,flow\n", "no data rows below the header"),
        (b"origin,destination,flow\n01100,01202,inf\n", "'inf' は数値ではありません"),
        (b"origin,destination,flow\n01100,01202,1e400\n", "is too large a number"),
    ],
)
def test_bad_od_files_are_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "od.csv"
    path.write_bytes(content)
    assert main(["functional", "--flows", str(path), "-o", str(tmp_path / "cz.csv")]) == 2
    assert message in _one_error(capsys, "functional")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("mine.csv", b"", "mine.csv: 空のファイルです / the file is empty"),
        ("mine.csv", b"\x00\x01\x02garbage" * 100, "mine.csv: テキストではありません"),
        ("mine.xlsx", b"code,x\n01100,1\n", "mine.xlsx: 読めないブックです"),
        ("mine.xlsx", b"\xd0\xcf\x11\xe0old", "an old Excel .xls workbook"),
        ("mine.csv", b'code,x\n"01100,1\n', "mine.csv: CSV として読めません"),
        ("mine.csv", b"code,x\n", "no data rows below the header"),
    ],
)
def test_bad_join_files_are_one_line(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["table", "--join", str(path), "-o", str(tmp_path / "t.csv")]) == 2
    assert message in _one_error(capsys, "table")


def test_areas_targets_and_projections_go_through_the_one_reader(tmp_path):
    from regionlib.analysis import areas, kpi, projection

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for read, what in (
        (areas.read_areas, "areas file"),
        (kpi.read_targets, "targets file"),
        (projection.load_projection, "projection file"),
    ):
        with pytest.raises(DataFormatError, match=f"the {what} is empty"):
            read(empty)
    bad = tmp_path / "p.csv"
    bad.write_text("code,year,sex,band,population\n01100,2050,男,0_4,1e400\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="line 2, column 'population': '1e400'"):
        projection.load_projection(bad)


def test_shift_jis_and_utf16_user_files_are_read(tmp_path):
    from regionlib.regions import functional

    text = "origin,destination,flow,備考\n01100,01202,5,通勤\n"
    for encoding in ("cp932", "utf-16", "utf-8-sig"):
        path = tmp_path / f"od-{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        flows = functional.read_flows(path)
        assert flows.iloc[0].tolist() == ["01100", "01202", 5.0]
    excel_text = tmp_path / "mine.txt"  # Excel's "Unicode text": UTF-16 with tabs
    excel_text.write_bytes("code\t独自指標\n01100\t1.5\n".encode("utf-16"))
    assert userdata.read_user_table(excel_text).loc[2].tolist() == ["01100", "1.5"]
    bare = tmp_path / "bare.csv"
    bare.write_bytes("code,x\n01100,1\n".encode("utf-16-le"))  # no byte-order mark
    with pytest.raises(DataFormatError, match="UTF-16 without a byte-order mark"):
        userdata.read_user_table(bare)


def test_empty_block_file_is_one_line(tmp_path, capsys):
    from regionlib import references

    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataFormatError, match="the block file is empty"):
        references.block_layer(tmp_path / "empty.csv", ["01100"])
    (tmp_path / "b.csv").write_text("code,group\n01100,a\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="expected columns code and block"):
        references.block_layer(tmp_path / "b.csv", ["01100"])


def test_the_header_is_checked_before_the_rest_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("a,b,c\n" + "1,2,3\n" * 50_000, encoding="utf-8")  # 300 KB
    decoded = []
    real = _userfile._decode
    monkeypatch.setattr(
        _userfile, "_decode", lambda raw, where: decoded.append(len(raw)) or real(raw, where)
    )

    def header(columns):
        raise DataFormatError(f"no code column in {columns}")

    with pytest.raises(DataFormatError, match=r"no code column in \['a', 'b', 'c'\]"):
        _userfile.read_user_file(path, header=header)
    assert max(decoded) <= 1 << 16
    decoded.clear()
    with pytest.raises(DataFormatError, match=r"big\.csv: no code or name column"):
        userdata.read_user_table(path)  # a join file: its key column, looked for first
    assert max(decoded) <= 1 << 16


# --- bounded downloads ---------------------------------------------------------------------


def test_gzip_bomb_is_stopped_at_the_registry_size(isolated_cache, monkeypatch, serve):
    from regionlib import datasets, settings

    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 KiB inflating to 64 MiB
    sent = {}

    def body(h) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        try:
            h.wfile.write(bomb)
            sent["ok"] = True
        except OSError:
            sent["ok"] = False

    monkeypatch.setattr(settings, "mirror", serve(body))
    limit = datasets.info(SMALL).size + datasets.SIZE_MARGIN
    with pytest.raises(DataFetchError, match=f"stopped at {limit:,} bytes"):
        datasets.get_path(SMALL)
    assert not datasets.info(SMALL).cache_path.exists()
    assert datasets.clear_temporary() == 0  # nothing of it left in the download cache


def test_an_oversized_body_is_refused(isolated_cache, monkeypatch, serve, tmp_path):
    from regionlib import datasets, settings

    def body(h) -> None:  # no Content-Length: the size shows only while reading
        h.send_response(200)
        h.end_headers()
        for _ in range(40):
            try:
                h.wfile.write(b"y" * 8192)
            except OSError:
                return

    monkeypatch.setattr(settings, "mirror", serve(body))
    with pytest.raises(DataFetchError, match="sends more than the registry's size"):
        datasets.get_path(SMALL)
    entry = datasets.info(SMALL)
    mirror = tmp_path / "mirror"
    big = mirror / entry.url.removeprefix(datasets.CANONICAL_BASE)
    big.parent.mkdir(parents=True)
    big.write_bytes(b"z" * (entry.size + datasets.SIZE_MARGIN + 1))
    monkeypatch.setattr(settings, "mirror", mirror.as_uri() + "/")
    with pytest.raises(DataFetchError, match="sends more than the registry's size"):
        datasets.get_path(SMALL)


# --- honest values ---------------------------------------------------------------------------


def test_non_finite_numbers_are_refused_naming_the_row(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("code,big\n01100,1e308\n01202,1e400\n", encoding="utf-8")
    raw = userdata.read_user_table(path)
    with pytest.raises(DataFormatError, match=r"line 3, column 'big': '1e400' は大きすぎる数値"):
        userdata._numeric(raw, ["big"], "mine.csv")
    path.write_text("code,big\n01100,inf\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="line 2, column 'big': 'inf' is not a number"):
        userdata._numeric(userdata.read_user_table(path), ["big"], "mine.csv")


def test_1e308_stays_a_number_in_the_csv(tmp_path):
    frame = pd.DataFrame({"big": [1e308, 1.23456]}, index=pd.Index(["01100", "01202"], name="code"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = export.write_csv(frame, tmp_path / "t.csv", decimals=4)
    assert path.read_text(encoding="utf-8-sig").splitlines()[1:] == ["01100,1e+308", "01202,1.2346"]


def test_formula_cells_without_saved_values_are_said(tmp_path, capsys, fresh_log):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["code", "独自指標"])
    wb.active.append(["01100", "=1+1"])  # openpyxl saves no computed value
    wb.save(tmp_path / "calc.xlsx")
    raw = userdata.read_user_table(tmp_path / "calc.xlsx")
    assert raw.loc[2, "独自指標"] == ""
    err = capsys.readouterr().err
    assert "1 formula cells have no saved value (first B2)" in err


@pytest.mark.parametrize(
    ("transform", "hint"),
    [
        (lambda g: shapely.affinity.scale(g, 5000, 5000, origin=(0, 0)), "projected metres"),
        (lambda g: shapely.transform(g, lambda xy: xy[:, ::-1]), "swapped"),
    ],
)
def test_projected_or_swapped_boundary_files_are_refused(tmp_path, transform, hint):
    import geopandas as gpd
    import shapely.affinity

    from regionlib import boundaries

    gdf = gpd.GeoDataFrame(
        {
            "N03_001": ["北海道"],
            "N03_002": [None],
            "N03_003": [None],
            "N03_004": ["札幌市"],
            "N03_007": ["01100"],
        },
        geometry=[transform(shapely.box(141.2, 42.9, 141.4, 43.1))],
        crs="EPSG:4326",
    )
    path = tmp_path / "n03.geojson"
    gdf.to_file(path, driver="GeoJSON")
    with pytest.raises(DataFormatError, match=hint):
        boundaries.read_n03_features(path)


def test_bins_below_the_smallest_value_leave_no_reversed_class(fresh_log, capsys):
    from regionlib.outputs._mapstyle import classify

    classes = classify(pd.Series([25.0, 30.0, 35.0, 40.0]), bins=[10, 30, 50], k=5)
    assert list(classes.upper) == [30.0, 50.0] and classes.lower == 25.0
    assert all(c > 0 for c in classes.counts)
    assert "bins below the smallest value (25) left out: 10" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            [
                "functional",
                "--flows",
                "{od}",
                "--uea",
                "--core-population",
                "-5",
                "-o",
                "{tmp}/u.csv",
            ],
            "core_population must be a positive number of people, got -5",
        ),
        (["map", "aging_rate", "--years", "", "-o", "{tmp}/m.html"], "years '': write START-END"),
        (["series", "aging_rate", "--years", "", "-o", "{tmp}/s.csv"], "years '': write START-END"),
    ],
)
def test_meaningless_options_are_refused_before_work(tmp_path, monkeypatch, capsys, argv, message):
    from regionlib.regions import functional

    from regionlib import table

    monkeypatch.setattr(table, "load_table", _no_work)
    monkeypatch.setattr(functional, "read_flows", _no_work)
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,flow\n01100,01202,5\n", encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)).replace("{od}", str(od)) for a in argv]
    assert main(args) == 2
    assert message in _one_error(capsys, argv[0])


# --- quiet means quiet -----------------------------------------------------------------------


def test_quiet_prints_nothing_on_success(tmp_path, monkeypatch, capsys, fresh_log):
    from regionlib import table

    frame = pd.DataFrame(
        {"pref_code": ["01"], "prefecture": ["北海道"], "name": ["札幌市"], "aging_rate": [27.9]},
        index=pd.Index(["01100"], name="code"),
    )
    frame.attrs = {"join_report": "join report: 1", "missing_reasons": {}, "flags": {}}

    def loaded(*args, **kwargs):
        warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=1)
        print("noise a library printed", file=sys.stderr)
        return frame

    monkeypatch.setattr(table, "load_table", loaded)
    assert main(["-q", "table", "-o", str(tmp_path / "t.csv")]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""
    # without -q: the library's warning once, in regionlib's words
    assert main(["table", "-o", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    assert err.count("0による割り算か欠損") == 1 and "RuntimeWarning" not in err
    # --report prints the sources' join report in full on stdout; --report FILE writes it
    assert main(["table", "--report", "-o", str(tmp_path / "t.csv")]) == 0
    assert "join report: 1" in capsys.readouterr().out
    assert main(["table", "--report", str(tmp_path / "r.txt"), "-o", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "r.txt").read_text() == "join report: 1\n"


def test_long_join_reports_are_cut_with_report_file(tmp_path, capsys):
    from regionlib.cli._common import say_join_report

    report = "\n".join(f"line {i}" for i in range(1, 1001))
    say_join_report(report)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 20 and err[-1].startswith("  … 残り 981 行") and "--report FILE" in err[-1]
    say_join_report(report, str(tmp_path / "r.txt"))
    assert (tmp_path / "r.txt").read_text().count("\n") == 1000
    assert len(capsys.readouterr().err.splitlines()) == 1


# --- clean up after a kill -------------------------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_temp_files_of_dead_processes_are_removed_by_the_next_run(tmp_path, monkeypatch, capsys):
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".t.p{dead}-abc123{_write.TEMP_TAG}.csv"
    stale.write_text("half")
    folder = tmp_path / f".atlas.p{dead}-xyz{_write.TEMP_TAG}"
    (folder / "m").mkdir(parents=True)
    (folder / "m" / "01100.html").write_text("half")
    running = tmp_path / f".u.p{alive}-def456{_write.TEMP_TAG}.csv"
    running.write_text("in progress")
    _write.write_csv(pd.DataFrame({"x": [1]}), tmp_path / "t.csv")
    assert not stale.exists() and not folder.exists()
    assert running.exists()  # a live process's file is kept
    name = _write._temp_prefix("x" * 200)
    assert f".p{alive}-" in name and len(name) < 50
    again = tmp_path / f".v.p{dead}-x{_write.TEMP_TAG}.csv"
    again.write_text("half")
    monkeypatch.chdir(tmp_path)
    assert main(["data", "clear"]) == 0
    assert "1 temporary files of killed runs here" in capsys.readouterr().out
    assert not again.exists() and running.exists()


def test_partial_downloads_of_killed_runs_go_when_the_next_download_starts(
    mirror_dir, isolated_cache, monkeypatch
):
    from regionlib.data import datasets

    monkeypatch.setattr(datasets, "_swept", False)
    folder = datasets.info(SMALL).cache_path.parent
    folder.mkdir(parents=True)
    old, fresh = folder / "tmpold12345", folder / "tmpnew12345"
    old.write_bytes(b"partial")
    fresh.write_bytes(b"partial")  # a download running now
    os.utime(old, (0, 0))
    assert datasets.get_path(SMALL).is_file()
    assert not old.exists() and fresh.exists()


_ORPHAN = """
import os, sys, time, multiprocessing
from regionlib.outputs import _process

def work(path):
    while True:
        with open(path, "a") as f:
            f.write(str(os.getpid()) + "\\n")
        time.sleep(0.1)

if __name__ == "__main__":
    pool = multiprocessing.get_context("fork").Pool(
        2, initializer=_process.stop_with_parent, initargs=(os.getpid(),)
    )
    pool.map_async(work, [sys.argv[1] + "0", sys.argv[1] + "1"])
    time.sleep(30)
"""


def test_atlas_workers_stop_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "orphan.py"
    script.write_text(_ORPHAN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "w")], env=env)
    logs = [tmp_path / "w0", tmp_path / "w1"]
    for _ in range(1200):  # a loaded machine may take long to start python
        if all(p.exists() and p.stat().st_size for p in logs):
            break
        time.sleep(0.05)
    workers = {int(p.read_text().split()[0]) for p in logs}
    parent.kill()
    parent.wait()
    time.sleep(0.5)
    sizes = [p.stat().st_size for p in logs]
    time.sleep(1.0)
    assert [p.stat().st_size for p in logs] == sizes  # nothing written after the kill settles
    for pid in workers:
        assert not _write._pid_alive(pid) or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
