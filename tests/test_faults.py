"""Fault injection: every kind of fault a user can meet gives one clear line, never a mess.

Kinds covered: outputs that cannot be written (bad extension, folder, parent that is a file,
``/proc``, ``/dev/full``, full disk, read-only file system, a failing rename) and folders of
outputs; the derived cache (flipped bit, truncated file, corrupt or missing side file,
read-only or full cache, stray temporary files); downloads (a server trickling bytes on
localhost against a short deadline, unsupported mirror schemes, a full or read-only download
cache); input validation (duplicate codes, integer code index, invalid geometries,
coordinates that do not match their CRS, a corrupt zip member, bad numbers on the command line). Tests run as root in CI, so a read-only folder is simulated by patching the system call
that fails (``chmod`` does not stop root).
"""

from __future__ import annotations

import errno
import http.server
import logging
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import shapely

from regionlib import _log, _write, printmaps
from regionlib._errors import OutputError, RegionlibError
from regionlib.cli import main
from regionlib.data import _cache


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if _write.TEMP_TAG in p.name)


def _raise(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


# --- outputs: refused before any work ------------------------------------------------------


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "t.xlsx", "unsupported CSV format ('.xlsx'); use .csv"),
        (lambda tmp: tmp / "t", "unsupported CSV format (no extension)"),
        (lambda tmp: tmp / "folder.csv", "it is a folder"),
        (lambda tmp: tmp / "file.txt" / "t.csv", "is a file, not a folder"),
        (lambda tmp: Path("/proc/x.csv"), "/proc/x.csv: cannot write the CSV"),
    ],
)
def test_check_output_refuses(tmp_path, make_path, message):
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(OutputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _write.check_output(make_path(tmp_path), (".csv",), what="CSV")
    assert _leftovers(tmp_path) == []


def test_check_output_refuses_devices():
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with pytest.raises(OutputError, match="/dev/full: cannot write the output: not a regular"):
        _write.check_output("/dev/full", ())


def test_check_output_read_only_mount(tmp_path, monkeypatch):
    monkeypatch.setattr(_write.tempfile, "mkstemp", _raise(errno.EROFS))
    with pytest.raises(OutputError, match="file system is read-only"):
        _write.check_output(tmp_path / "sub" / "t.csv", (".csv",))


def test_check_output_accepts_new_folders(tmp_path):
    path = _write.check_output(tmp_path / "a" / "b" / "t.CSV", (".csv",))
    assert path == tmp_path / "a" / "b" / "t.CSV"
    assert not (tmp_path / "a").exists()  # checking creates nothing


# --- outputs: atomic writes ------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_failed_write_keeps_the_previous_file(tmp_path, code):
    target = tmp_path / "t.csv"
    target.write_text("previous\n")
    with (
        pytest.raises(OutputError, match=f"{target}: cannot write the CSV") as info,
        _write.atomic_write(target, mode="w", encoding="utf-8", what="CSV") as f,
    ):
        f.write("half of the new ")
        raise OSError(code, os.strerror(code))
    assert {errno.ENOSPC: "disk is full", errno.EROFS: "read-only"}.get(code, "") in str(info.value)
    assert target.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


def test_failed_rename_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    target.write_text("previous\n")
    monkeypatch.setattr(_write.os, "replace", _raise(errno.EROFS))
    with pytest.raises(OutputError, match="read-only"):
        _write.write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


def test_other_errors_pass_through_and_clean_up(tmp_path):
    target = tmp_path / "t.txt"
    with pytest.raises(ZeroDivisionError), _write.atomic_write(target) as f:
        f.write(b"x")
        _ = 1 / 0
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_disk_full_on_a_real_device(tmp_path, monkeypatch):
    """The bytes really go to ``/dev/full``: the kernel answers ENOSPC, as on a full disk."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    real_open = open

    def open_full(file, mode="r", *args, **kwargs):
        if _write.TEMP_TAG in str(file) and "w" in mode:
            return real_open("/dev/full", mode, *args, **kwargs)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", open_full)
    target = tmp_path / "t.txt"
    with pytest.raises(OutputError, match="disk is full"):
        _write.write_text(target, "x" * 100_000)
    assert not target.exists()


def test_new_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        path = _write.write_bytes(tmp_path / "t.bin", b"x")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_print_map_on_a_full_disk_keeps_the_previous_map(grid, tmp_path, monkeypatch):
    fig = printmaps.plot_choropleth(grid, "population")
    target = printmaps.save_figure(fig, tmp_path / "m.pdf")
    before = target.read_bytes()
    monkeypatch.setattr(_write.os, "fsync", _raise(errno.ENOSPC))
    with pytest.raises(OutputError, match=r"m\.pdf: cannot write the print map: the disk is full"):
        printmaps.save_figure(fig, target)
    assert target.read_bytes() == before
    assert _leftovers(tmp_path) == []


# --- outputs: folders ------------------------------------------------------------------------


def test_directory_with_foreign_files_is_refused(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    with pytest.raises(OutputError, match=r"already holds other files \(thesis.docx\)"):
        _write.check_directory(out)
    with _write.atomic_directory(out, overwrite=True) as tmp:
        (tmp / "a.csv").write_text("a")
    # --overwrite keeps the user's files: only regionlib's own are replaced
    assert sorted(p.name for p in out.iterdir()) == [_write.MARKER, "a.csv", "thesis.docx"]
    assert (out / "thesis.docx").read_text() == "mine"
    # regionlib's own files are replaced, the user's kept (still with --overwrite)
    with _write.atomic_directory(out, overwrite=True) as tmp:
        (tmp / "b.csv").write_text("b")
    assert sorted(p.name for p in out.iterdir()) == [_write.MARKER, "b.csv", "thesis.docx"]
    assert _leftovers(tmp_path) == []


def test_failed_directory_keeps_the_previous_one(tmp_path):
    out = tmp_path / "demo"
    with _write.atomic_directory(out) as tmp:
        (tmp / "a.csv").write_text("a")
    with pytest.raises(RuntimeError), _write.atomic_directory(out) as tmp:
        (tmp / "half.csv").write_text("b")
        raise RuntimeError("step failed")
    assert sorted(p.name for p in out.iterdir()) == [_write.MARKER, "a.csv"]
    assert _leftovers(tmp_path) == []


def test_directory_that_is_a_file(tmp_path):
    (tmp_path / "demo").write_text("x")
    with pytest.raises(OutputError, match="it is a file"):
        _write.check_directory(tmp_path / "demo")


# --- outputs: commands refuse before computing -----------------------------------------------


def _no_work(*args, **kwargs):
    raise AssertionError("the command computed before checking its output path")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["table", "-o", "{tmp}/t.docx"], "unsupported table format ('.docx'); use .csv"),
        (["table", "-o", "/proc/x.csv"], "/proc/x.csv: cannot write the table"),
        (["table", "-o", "{tmp}/f.txt/t.csv"], "is a file, not a folder"),
        (["map", "aging_rate", "-o", "{tmp}/m.docx"], "unsupported map format ('.docx')"),
        (["map", "aging_rate", "-o", "{tmp}"], "use .htm, .html, .pdf, .png, .svg"),
        (["boundaries", "export", "-o", "{tmp}/b.shp"], "unsupported boundary file format"),
        (["peers", "夕張市", "--compare", "{tmp}/c.tsv"], "unsupported table format ('.tsv')"),
        (["clusters", "--profiles", "/proc/p.csv"], "/proc/p.csv: cannot write the table"),
        (["regions", "--floor", "population:1", "-o", "{tmp}/r.docx"], "unsupported output format"),
        (["regions", "--floor", "population:1", "--csv", "{tmp}/f.txt/r.csv"], "is a file"),
        (["neighbours", "-o", "{tmp}/e.json"], "unsupported CSV format ('.json')"),
        (["demo", "-o", "{tmp}/f.txt"], "it is a file"),
    ],
)
def test_cli_refuses_outputs_before_work(tmp_path, monkeypatch, capsys, argv, message):
    from regionlib import boundaries, demo, table

    monkeypatch.setattr(table, "load_table", _no_work)
    monkeypatch.setattr(boundaries, "load_boundaries", _no_work)
    monkeypatch.setattr(demo, "run_demo", _no_work)
    (tmp_path / "f.txt").write_text("x")
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert isinstance(OutputError("x"), RegionlibError)


# --- the derived cache -----------------------------------------------------------------------


def _product_builder(calls: list):
    def build() -> pd.DataFrame:
        calls.append(1)
        from regionlib._log import log

        log("built: 3 rows left out", level=logging.WARNING, ja="3 行を除外")
        return pd.DataFrame(
            {"density": [1.5, 2.5]}, index=pd.Index(["01001", "01002"], name="code")
        )

    return build


def _cached(calls):
    return _cache.cached("demo", ["abc"], {"p": 1}, _product_builder(calls))


def test_cache_hit_repeats_the_build_notes(isolated_cache, caplog):
    calls: list = []
    caplog.set_level(logging.INFO, logger="regionlib")
    _cached(calls)
    caplog.clear()
    again = _cached(calls)
    assert calls == [1]
    assert again.loc["01002", "density"] == 2.5
    hits = [r for r in caplog.records if "built: 3 rows left out" in r.getMessage()]
    assert len(hits) == 1 and hits[0].levelno == logging.WARNING  # repeated at its level
    assert "[cached]" not in hits[0].getMessage()  # a warning reads as when it was built


def _flip_a_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: _flip_a_bit(p, len(p.read_bytes()) // 2),  # parquet still readable, wrong value
        lambda p: p.write_bytes(p.read_bytes()[:100]),  # truncated
        lambda p: p.with_suffix(".json").write_bytes(b"\xff\xfe not utf-8 \x80"),  # side file
        lambda p: p.with_suffix(".json").write_text('{"sha256": 1}'),  # side file, wrong shape
        lambda p: p.with_suffix(".json").unlink(),  # side file missing (older cache)
    ],
    ids=["flipped-bit", "truncated", "side-not-utf8", "side-bad-json", "side-missing"],
)
def test_corrupt_cache_is_rebuilt(isolated_cache, caplog, damage):
    calls: list = []
    first = _cached(calls)
    (path,) = (isolated_cache / "derived").glob("demo-*.parquet")
    damage(path)
    caplog.set_level(logging.INFO, logger="regionlib")
    again = _cached(calls)
    assert calls == [1, 1]  # rebuilt
    pd.testing.assert_frame_equal(again, first)
    assert "unusable" in caplog.text and "rebuilding" in caplog.text
    assert all(r.levelno == logging.INFO for r in caplog.records if "unusable" in r.getMessage())
    calls.clear()
    _cached(calls)
    assert calls == []  # and the rebuilt entry is good again


def _bytes_read() -> int:
    """Bytes this process has read through system calls so far (Linux)."""
    try:
        lines = Path("/proc/self/io").read_text().splitlines()
    except OSError:
        pytest.skip("no /proc/self/io here")
    return int(next(line.split()[1] for line in lines if line.startswith("rchar:")))


def test_cache_hit_reads_the_product_once(isolated_cache):
    import numpy as np

    values = np.random.default_rng(0).random((100_000, 4))  # ~3 MB, does not compress
    product = pd.DataFrame(values, columns=list("abcd"))
    _cache.cached("big", ["abc"], {}, lambda: product)
    (path,) = (isolated_cache / "derived").glob("big-*.parquet")
    before = _bytes_read()
    again = _cache.cached("big", ["abc"], {}, lambda: pytest.fail("rebuilt"))
    read = _bytes_read() - before
    pd.testing.assert_frame_equal(again, product)
    assert read < 1.2 * path.stat().st_size  # verified and loaded from one read (was 2x)


def test_cached_bytes_kept_exactly_and_keyed_by_inputs(isolated_cache):
    data = bytes(range(256)) * 4000 + "\ufeff住民\n".encode()  # every byte value, and text
    calls: list = []

    def build(value: bytes):
        def inner() -> bytes:
            calls.append(1)
            return value

        return inner

    assert _cache.cached_bytes("blob", ["abc"], {"p": 1}, build(data)) == data
    assert _cache.cached_bytes("blob", ["abc"], {"p": 1}, build(b"other")) == data  # kept
    assert calls == [1]
    assert _cache.cached_bytes("blob", ["abd"], {"p": 1}, build(b"x")) == b"x"  # other input
    assert _cache.cached_bytes("blob", ["abc"], {"p": 2}, build(b"")) == b""  # other parameter
    assert calls == [1, 1, 1]


def test_read_only_or_full_cache_still_returns_the_result(isolated_cache, monkeypatch, capsys):
    monkeypatch.setattr(_log, "_said", set())
    monkeypatch.setattr(_cache, "_write", _raise(errno.EROFS))
    calls: list = []
    for _ in range(2):
        out = _cached(calls)
        assert out.loc["01001", "density"] == 1.5
    assert calls == [1, 1]
    err = capsys.readouterr().err
    assert err.count("cannot be written") == 1  # one warning, said once
    monkeypatch.setattr(_cache, "_write", _raise(errno.ENOSPC))
    assert _cached(calls).shape == (2, 1)


def test_stray_temporary_files_are_cleaned(isolated_cache, monkeypatch, tmp_path):
    derived = isolated_cache / "derived"
    derived.mkdir(parents=True)
    old = derived / f".demo-killed{_cache.TEMP_SUFFIX}"  # name of older versions
    killed = derived / f".demo-killed{_write.TEMP_TAG}.parquet"
    new = derived / f".demo-running{_write.TEMP_TAG}.parquet"
    for p in (old, killed, new):
        p.write_bytes(b"half")
        if p is not new:
            os.utime(p, (1, 1))  # left by a process killed long ago
    monkeypatch.setattr(_cache, "_swept", False)
    _cached([])
    assert not old.exists() and not killed.exists() and new.exists()  # a running one is kept
    assert _cache.clear() == 1  # the product, not the temporary file
    assert not new.exists()
    _cached([])
    assert main(["data", "clear"]) == 0
    assert list(derived.iterdir()) == []


def test_cache_files_are_written_like_every_output(isolated_cache, monkeypatch):
    written = []
    real = _write.atomic_path

    def spy(path, **kwargs):
        written.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(_write, "atomic_path", spy)
    monkeypatch.setattr(_cache, "atomic_path", spy, raising=False)
    _cached([])
    (path,) = (isolated_cache / "derived").glob("demo-*.parquet")
    assert written == [path.name, path.with_suffix(".json").name]
    mask = os.umask(0)
    os.umask(mask)
    for p in (path, path.with_suffix(".json")):  # readable like any output, not 0600
        assert p.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_cache_rename_leaves_nothing_behind(isolated_cache, monkeypatch, capsys):
    monkeypatch.setattr(_log, "_said", set())
    monkeypatch.setattr(_write.os, "replace", _raise(errno.EROFS))
    calls: list = []
    assert _cached(calls).loc["01001", "density"] == 1.5
    err = capsys.readouterr().err
    assert err.count("cannot be written (Read-only file system)") == 1
    assert list((isolated_cache / "derived").iterdir()) == []


# --- downloads -------------------------------------------------------------------------------

SMALL = "commuting-zones-2020-original"


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Promise 1000 bytes, then send one byte every 0.2 s (at most 40, so the thread ends)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(40):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def trickling_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_trickling_server_hits_the_overall_deadline(isolated_cache, monkeypatch, trickling_server):
    from regionlib import datasets, settings
    from regionlib._errors import DataFetchError

    monkeypatch.setattr(settings, "mirror", trickling_server)
    monkeypatch.setattr(datasets, "deadline_for", lambda size: 1.0)
    start = time.monotonic()
    with pytest.raises(DataFetchError, match=rf"'{SMALL}': .* did not arrive within 1 s"):
        datasets.get_path(SMALL)
    assert time.monotonic() - start < 5  # each read returns promptly; the deadline decides
    assert not datasets.info(SMALL).cache_path.exists()
    assert datasets.clear_temporary() == 0  # pooch removed its partial file


@pytest.mark.parametrize("mirror", ["ftp://example.org/github/", "s3://bucket/github/"])
def test_unsupported_mirror_scheme_is_named(isolated_cache, monkeypatch, mirror):
    from regionlib import datasets, settings
    from regionlib._errors import DataFetchError

    monkeypatch.setattr(settings, "mirror", mirror)
    scheme = mirror.split(":")[0]
    with pytest.raises(DataFetchError, match=rf"scheme '{scheme}://' .* is not supported"):
        datasets.get_path(SMALL)


@pytest.mark.parametrize(
    ("code", "words"), [(errno.ENOSPC, "No space"), (errno.EROFS, "Read-only")]
)
def test_full_or_read_only_download_cache_is_not_a_network_error(
    mirror_dir, isolated_cache, monkeypatch, code, words
):
    from regionlib import datasets
    from regionlib._errors import DataFetchError

    monkeypatch.setattr(datasets.shutil, "copyfile", _raise(code))
    with pytest.raises(DataFetchError, match=rf"cannot write the download cache .*{words}") as info:
        datasets.get_path(SMALL)
    assert "No network" not in str(info.value)


def test_data_clear_removes_partial_downloads(isolated_cache, capsys):
    from regionlib import datasets

    folder = datasets.info(SMALL).cache_path.parent
    folder.mkdir(parents=True)
    (folder / "tmpab12cd34").write_bytes(b"partial")
    assert main(["data", "clear"]) == 0
    assert "1 temporary downloads" in capsys.readouterr().out
    assert not (folder / "tmpab12cd34").exists()


# --- input validation ------------------------------------------------------------------------


def test_duplicate_codes_are_listed(grid):
    from regionlib import features, graph
    from regionlib._errors import DataFormatError

    doubled = pd.concat([grid, grid.iloc[[2, 5]]])
    with pytest.raises(
        DataFormatError, match="duplicate municipal codes in the index: 01003, 01006"
    ):
        features.prepare_features(doubled, ["population", "x"])
    with pytest.raises(DataFormatError, match="01003, 01006"):
        graph.edges_table(doubled)


def test_integer_code_index_is_normalised(grid):
    from regionlib import features

    as_read = grid.drop(columns="geometry").copy()
    as_read.index = as_read.index.astype(int)  # what pd.read_csv gives for 01001 …
    feats = features.prepare_features(as_read, ["population", "x"])
    assert list(feats.matrix.index[:2]) == ["01001", "01002"]


def test_invalid_geometries_are_repaired_and_reported(grid, capsys, monkeypatch):
    import shapely

    from regionlib import graph

    monkeypatch.setattr(_log, "_said", set())
    bad = grid.copy()
    x0, y0 = 139.0, 35.0  # a bow-tie over the first cell: self-intersecting
    bad.loc["01001", "geometry"] = shapely.Polygon(
        [(x0, y0), (x0 + 0.1, y0 + 0.1), (x0 + 0.1, y0), (x0, y0 + 0.1)]
    )
    edges = graph.edges_table(bad)
    assert "01001" in set(edges["code_a"]) | set(edges["code_b"])
    err = capsys.readouterr().err
    assert "repaired 1 invalid geometries with make_valid (01001)" in err
    assert not grid.loc["01001", "geometry"].equals(bad.loc["01001", "geometry"])  # input kept


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        (
            lambda g: (
                g.set_crs("EPSG:6668", allow_override=True)
                .to_crs(6677)
                .set_crs("EPSG:6668", allow_override=True)
            ),
            "projected metres",
        ),
        (
            lambda g: g.set_geometry(
                g.geometry.map(lambda geom: shapely.transform(geom, lambda c: c[:, ::-1]))
            ),
            "swapped",
        ),
    ],
    ids=["metres-as-degrees", "lat-lon-swapped"],
)
def test_coordinates_that_do_not_match_the_crs(grid, change, hint):
    from regionlib import graph
    from regionlib._errors import DataFormatError

    with pytest.raises(
        DataFormatError, match=f"coordinates do not match the CRS EPSG:6668.*{hint}"
    ):
        graph.edges_table(change(grid))


def test_corrupt_zip_member_is_a_data_format_error(tmp_path, grid):
    import zipfile

    from regionlib import boundaries
    from regionlib._errors import DataFormatError

    member = grid.reset_index().rename(columns={"code": "N03_007"}).to_json()
    path = tmp_path / "N03-2024.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("N03-2024/N03-2024.geojson", member)
    data = bytearray(path.read_bytes())
    start = data.index(b"N03-2024.geojson") + len(b"N03-2024.geojson") + 20
    for i in range(start, start + 40):  # damage the compressed bytes of the member
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"N03-2024\.zip: member N03-2024/N03-2024\.geojson"):
        boundaries.read_n03(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["regions", "--floor", "population:0", "--csv", "{tmp}/r.csv"], "must be positive"),
        (["regions", "--floor", "population:-5", "--csv", "{tmp}/r.csv"], "must be positive"),
        (["peers", "夕張市", "--population-within", "-10"], "population_within must be a positive"),
        (["peers", "夕張市", "--k", "0"], "k must be a positive integer"),
        (["peers", "夕張市", "--k", "5000"], "peers asked, but only"),
        (["clusters", "--k", "1"], "at least 2 clusters"),
        (["clusters", "--k-min", "9", "--k-max", "4"], "k_range=(9, 4) must satisfy"),
        (["map", "aging_rate", "--k", "40", "-o", "{tmp}/m.html"], "choose between 2 and 12"),
        (["regions", "--method", "ward", "--n-regions", "0", "--csv", "{tmp}/r.csv"], "n_regions"),
    ],
)
def test_bad_numbers_are_refused_in_one_line(mirror_dir, tmp_path, capsys, argv, message):
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if "error" in line or "Traceback" in line]
    assert len(errors) == 1 and message in errors[0], err  # warnings said before may remain
    assert errors[0] == err[-1] and errors[0].startswith(f"regionlib {argv[0]}: エラー / error: ")


# --- reproducibility -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".svg", ".pdf", ".png"])
def test_print_maps_are_byte_identical_between_runs(grid, tmp_path, suffix):
    paths = []
    for i in range(2):  # two figures, as two runs would draw them
        fig = printmaps.plot_choropleth(grid, "population", title="人口")
        paths.append(printmaps.save_figure(fig, tmp_path / f"m{i}{suffix}"))
    first, second = (p.read_bytes() for p in paths)
    assert first == second
    assert b"CreationDate" not in first and b"<dc:date>" not in first


# --- a real small file system: full, then read-only (skipped where mounting is not allowed) ----


def test_full_then_read_only_file_system(tiny_fs):
    import subprocess

    target = tiny_fs / "t.csv"
    _write.write_text(target, "previous\n")
    big = pd.DataFrame({"x": range(40_000)})  # about 250 KB: does not fit in 64 KiB
    with pytest.raises(OutputError, match=r"t\.csv: cannot write the CSV: the disk is full"):
        _write.write_csv(big, target)
    assert target.read_text() == "previous\n"
    assert _leftovers(tiny_fs) == []
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with pytest.raises(OutputError, match="the file system is read-only"):
        _write.check_output(tiny_fs / "new.csv", (".csv",))
    assert main(["table", "-o", str(tiny_fs / "new.csv")]) == 2


def test_read_only_cache_on_a_real_file_system(tiny_fs, monkeypatch, capsys):
    import subprocess

    from regionlib import settings

    monkeypatch.setattr(settings, "cache_folder", tiny_fs / "cache")
    monkeypatch.setattr(_log, "_said", set())
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    calls: list = []
    assert _cached(calls).loc["01001", "density"] == 1.5
    assert "cache folder" in capsys.readouterr().err


def test_products_unused_for_long_are_removed_and_reading_counts_as_use(
    isolated_cache, monkeypatch
):
    import os

    calls: list = []
    _cached(calls)  # product "demo"
    folder = isolated_cache / "derived"
    (meta,) = folder.glob("demo-*.json")
    old = meta.stat().st_mtime - _cache.UNUSED_AFTER - 10
    os.utime(meta, (old, old))
    _cached(calls)  # read: its side file is touched again
    assert calls == [1] and meta.stat().st_mtime > old + 10
    os.utime(meta, (old, old))  # now unused for 60 days and more
    monkeypatch.setattr(_cache, "_swept", False)  # a new process
    _cache.cached("other", ["def"], {}, _product_builder(calls))
    assert not list(folder.glob("demo-*"))  # product and side file gone
    assert len(list(folder.glob("other-*"))) == 2  # the new one kept
    _cached(calls)  # rebuilt on the next use, not an error
    assert calls == [1, 1, 1]


def test_a_product_may_keep_its_build_notes_to_itself(isolated_cache, caplog):
    calls: list = []
    caplog.set_level(logging.INFO, logger="regionlib")
    build = _product_builder(calls)
    _cache.cached("quiet", ["abc"], {}, build, replay=False)
    assert "3 rows left out" in caplog.text  # said when built
    caplog.clear()
    _cache.cached("quiet", ["abc"], {}, build, replay=False)
    assert calls == [1] and "3 rows left out" not in caplog.text  # not repeated on a load


def test_geometry_hash_takes_missing_values_and_tells_them_apart():
    import geopandas as gpd
    import numpy as np
    import shapely

    frame = gpd.GeoDataFrame(
        {"v": [1.5, np.nan], "name": ["a", None]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        index=pd.Index(["01001", "01002"], name="code"),
    )
    key = _cache.geometry_hash(frame, ["v", "name"])
    assert key == _cache.geometry_hash(frame.copy(), ["v", "name"])
    assert key != _cache.geometry_hash(frame.assign(v=[1.5, 2.0]), ["v", "name"])
    assert key != _cache.geometry_hash(frame.assign(name=["a", "b"]), ["v", "name"])


def test_content_hash_tells_inputs_apart():
    import numpy as np

    h = _cache.content_hash
    frame = pd.DataFrame({"a": [1.0, np.nan]}, index=pd.Index(["01001", "01002"], name="code"))
    assert h(frame, "x", {"k": 1}) == h(frame.copy(), "x", {"k": 1})  # same inputs, same key
    assert h("ab", "c") != h("a", "bc")  # parts are framed
    assert h(frame) != h(frame.rename(columns={"a": "b"}))  # column names count
    assert h(frame) != h(frame.set_axis(["01001", "01003"]))  # so do the codes
    assert h(np.arange(3, dtype=np.int64)) != h(np.arange(3, dtype=np.int32))
    assert h(pd.Series([1, 2], name="p")) != h(pd.Series([1, 2], name="q"))
