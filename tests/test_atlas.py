"""The offline atlas: pages, links, folder safety."""

from __future__ import annotations

import re

import pytest

from regionlib import atlas
from regionlib._errors import OutputError
from regionlib.cli import main

# the atlas of 北海道 (179 pages) end to end: 8.5 min on a loaded 2-core machine
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hokkaido(tmp_path_factory, mirror_dir):
    folder = tmp_path_factory.mktemp("atlas") / "atlas"
    assert main(["-q", "atlas", "--pref", "北海道", "-o", str(folder)]) == 0
    return folder


def test_index_and_179_linked_pages(hokkaido):
    pages = sorted((hokkaido / "m").glob("*.html"))
    assert len(pages) == 179 and all(p.name.startswith("01") for p in pages)
    assert [p.name for p in (hokkaido / "p").glob("*.html")] == ["01.html"]
    index = (hokkaido / "index.html").read_text(encoding="utf-8")
    assert index.count('href="m/01') >= 179  # the map links every municipality
    assert 'id="q"' in index and "01209" in index
    yubari = (hokkaido / "m" / "01209.html").read_text(encoding="utf-8")
    assert (
        "7,334" in yubari and 'href="../index.html"' in yubari and 'href="../p/01.html"' in yubari
    )
    # peers and region members in Hokkaido link to their pages, and those pages exist
    targets = set(re.findall(r'href="(01\d{3})\.html"', yubari))
    assert len(targets) >= 170  # the prefecture map links every municipality of Hokkaido
    assert all((hokkaido / "m" / f"{t}.html").is_file() for t in targets)
    assert "https://" not in yubari and "<script src" not in index


def test_pages_are_small(hokkaido):
    sizes = [p.stat().st_size for p in (hokkaido / "m").glob("*.html")]
    assert sum(sizes) / len(sizes) < 300_000


def test_existing_folder_refused_unless_overwrite(hokkaido, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    assert main(["-q", "atlas", "--pref", "北海道", "-o", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0]
    assert (folder / "notes.txt").read_text() == "keep me"
    with pytest.raises(OutputError):
        atlas.write_atlas(folder, prefectures=["01"])


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--pref", "存在しない県"], "都道府県 '存在しない県' が見つかりません"),
        (["--pref", "鳥取県", "--jobs", "0"], "jobs は 1 以上"),
    ],
)
def test_bad_options_refused_before_the_analyses(argv, said, tmp_path, capsys, spy):
    """A wrong prefecture or worker count is one error line at once, not after the analyses."""
    from regionlib.outputs import report

    built = spy(report, "build_context")
    folder = tmp_path / "atlas"
    assert main(["atlas", *argv, "-o", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]
    assert built == [] and not folder.exists()
