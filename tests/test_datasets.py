"""The data registry: download through the mirror, verify, cache, and fail clearly."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest
import requests

from regionlib import datasets, settings
from regionlib._errors import DataFetchError, UnknownNameError
from regionlib.cli import main

SMALL = "commuting-zones-2020-original"


def test_registry_entries_are_complete():
    entries = datasets.registry()
    assert len(entries) >= 150
    for name, e in entries.items():
        assert re.fullmatch(r"[a-z0-9-]+", name), name
        assert e.url.startswith(datasets.CANONICAL_BASE)
        assert re.fullmatch(r"[0-9a-f]{64}", e.sha256)
        assert e.size > 0
        assert e.credit and e.license and e.vintage and e.format
    groups = {e.group for e in entries.values()}
    assert groups == {"boundaries", "indicators", "references", "codes", "population", "money"}
    # every year of the register by age: Japanese residents 1995-2022, all residents 2013-2022
    assert {n for n in entries if n.startswith("juki-age-japanese-")} == {
        f"juki-age-japanese-{y}" for y in range(1995, 2023)
    }
    assert {n for n in entries if n.startswith("juki-age-total-")} == {
        f"juki-age-total-{y}" for y in range(2013, 2023)
    }
    assert {n for n in entries if n.startswith("koufuzei-fy")} == {
        f"koufuzei-fy{y}" for y in range(2015, 2023)
    }
    # every prefecture has a detailed layer
    assert sum(n.startswith("n03-pref-") and n.endswith("-s0010") for n in entries) == 47


def test_get_url_substitutes_mirror(monkeypatch):
    monkeypatch.setattr(settings, "mirror", "file:///srv/mirror/github")
    url = datasets.get_url(SMALL)
    assert url.startswith("file:///srv/mirror/github/daisukeadachi/commuting_zone_japan/")
    monkeypatch.setattr(settings, "mirror", None)
    assert datasets.get_url(SMALL) == datasets.info(SMALL).url


def test_fetch_every_entry_verifies_and_second_run_is_cached(mirror_dir, isolated_cache):
    first = datasets.fetch()
    assert len(first.fetched) == len(datasets.registry())
    assert first.bytes_fetched == sum(e.size for e in datasets.registry().values())
    for name in first.fetched:
        entry = datasets.info(name)
        data = entry.cache_path.read_bytes()
        assert len(data) == entry.size
        assert hashlib.sha256(data).hexdigest() == entry.sha256
    second = datasets.fetch()
    assert second.fetched == []
    assert len(second.cached) == len(datasets.registry())


def test_second_request_served_from_cache_without_mirror(mirror_dir, isolated_cache, monkeypatch):
    path = datasets.get_path(SMALL)
    monkeypatch.setattr(settings, "mirror", "file:///nonexistent/mirror/")
    assert datasets.get_path(SMALL) == path


def test_corrupted_cached_file_is_downloaded_again(mirror_dir, isolated_cache):
    path = datasets.get_path(SMALL)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # truncated cache
    datasets._verified.clear()
    assert not datasets.is_cached(SMALL)
    assert datasets.get_path(SMALL).read_bytes() == good


def test_corrupted_mirror_file_is_rejected_and_not_cached(
    mirror_dir, isolated_cache, tmp_path, monkeypatch
):
    entry = datasets.info(SMALL)
    fake = tmp_path / "mirror"
    target = fake / entry.path
    target.parent.mkdir(parents=True)
    shutil.copyfile(mirror_dir / entry.path, target)
    with open(target, "ab") as f:
        f.write(b"99999,1\n")  # changed upstream
    monkeypatch.setattr(settings, "mirror", fake.as_uri() + "/")
    with pytest.raises(DataFetchError, match=rf"dataset '{SMALL}'.*sha256.*discarded"):
        datasets.get_path(SMALL)
    assert not entry.cache_path.exists()
    assert not datasets.is_cached(SMALL)


def test_missing_mirror_file_names_dataset(isolated_cache, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "mirror", (tmp_path / "empty").as_uri())
    with pytest.raises(DataFetchError, match=rf"dataset '{SMALL}': mirror file not found"):
        datasets.get_path(SMALL)


def test_no_network_gives_clear_error(isolated_cache, monkeypatch):
    monkeypatch.setattr(settings, "mirror", None)

    def refuse(*args, **kwargs):
        raise requests.exceptions.ConnectionError("Name or service not known")

    monkeypatch.setattr(requests, "get", refuse)
    with pytest.raises(
        DataFetchError, match=rf"dataset '{SMALL}': cannot download .*REGIONLIB_MIRROR"
    ):
        datasets.get_path(SMALL)


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownNameError, match=r"unknown dataset 'ssdse-a-2062'.*ssdse-a-2026"):
        datasets.info("ssdse-a-2062")


def test_group_names_expand():
    names = datasets.resolve_names(["references", SMALL])
    assert SMALL in names
    assert len(names) == 18
    assert len(set(names)) == len(names)


def test_cli_fetch_twice_and_errors(mirror_dir, isolated_cache, capsys):
    assert main(["-q", "data", "fetch", SMALL, "code-history"]) == 0
    assert "2 fetched" in capsys.readouterr().out
    assert main(["-q", "data", "fetch", SMALL, "code-history"]) == 0
    assert "nothing to download: all 2 files already cached" in capsys.readouterr().out
    assert main(["-q", "data", "fetch", "no-such-data"]) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'no-such-data'" in err
    assert main(["-q", "data", "list", "--group", "codes"]) == 0
    out = capsys.readouterr().out
    assert "code-history" in out and "MIT" in out and "yes" in out


def test_cli_missing_mirror_exit_code(isolated_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "mirror", (tmp_path / "nothing").as_uri())
    assert main(["-q", "data", "fetch", SMALL]) == 2
    assert "mirror file not found" in capsys.readouterr().err
