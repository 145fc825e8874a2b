"""Shared fixtures: the data mirror, an isolated cache, and a synthetic grid of municipalities.

Real-data tests read the shared open data through regionlib's own download-and-verify code:
``REGIONLIB_MIRROR`` names the mirror (CI sets it); if it is unset and a ``shared/data/github``
folder sits beside the checkout, that folder is used. The download cache is
``REGIONLIB_CACHE`` if set, else ``.cache/test-data`` in the checkout (kept between runs).

Every test's stderr is scanned for a Python traceback (:func:`pytest_runtest_call`): whatever
a test does to the command line or the library, the user never sees one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from regionlib import settings

ROOT = Path(__file__).resolve().parents[1]
_SIBLING_MIRROR = ROOT.parent / "shared" / "data" / "github"

if not os.environ.get("REGIONLIB_MIRROR") and _SIBLING_MIRROR.is_dir():
    settings.mirror = _SIBLING_MIRROR.as_uri() + "/"
if not os.environ.get("REGIONLIB_CACHE"):
    settings.cache_folder = ROOT / ".cache" / "test-data"
settings.progress = False


class _Tee:
    """A stderr that keeps a copy of what is written to it."""

    def __init__(self, stream) -> None:
        self.stream, self.text = stream, []

    def write(self, text: str) -> int:
        self.text.append(text)
        return self.stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


@pytest.hookimpl(wrapper=True, trylast=True)  # inside the capture: sees what it captures
def pytest_runtest_call(item):
    """Fail a test whose stderr (CLI errors, warnings, "Exception ignored") holds a traceback."""
    tee = _Tee(sys.stderr)
    sys.stderr = tee
    try:
        result = yield
    finally:
        if sys.stderr is tee:
            sys.stderr = tee.stream
    written = "".join(tee.text)
    if "Traceback (most recent call last)" in written or "Exception ignored" in written:
        raise AssertionError(f"a traceback reached stderr:\n{written[-2000:]}")
    return result


@pytest.fixture
def tiny_fs(tmp_path):
    """A 64 KiB tmpfs mounted at a temporary folder (needs root and CAP_SYS_ADMIN)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mount not permitted here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """Folder of the local mirror (skips the test when there is none)."""
    mirror = settings.mirror
    if not mirror or not mirror.startswith("file:"):
        pytest.skip("no local data mirror (set REGIONLIB_MIRROR=file:///…/github/)")
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(mirror).path))


@pytest.fixture
def spy(monkeypatch):
    """Record the calls of a function while it still runs: ``calls = spy(module, "name")``.

    ``calls`` then holds the positional arguments of every call, in order; a test of a cache
    asserts with it that a second call read instead of building.
    """

    def wrap(owner: object, name: str) -> list[tuple]:
        calls: list[tuple] = []
        real = getattr(owner, name)

        def recorded(*args, **kwargs):
            calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, recorded)
        return calls

    return wrap


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """An empty download cache for one test."""
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """A 4 x 4 grid of unit boxes (codes 01001…01016) plus one island (01017).

    Columns: ``prefecture`` (left half 北海道, right half 青森県), ``name``, ``population``
    (1000 × (row + 1)), ``x`` (a smooth west-east gradient) and geometry, in EPSG:6668 near
    Tokyo. The index is named ``code``.
    """
    rows = []
    size = 0.1
    for r in range(4):
        for c in range(4):
            i = r * 4 + c + 1
            # corners from the same expressions, so neighbours share exact coordinates
            x0, x1 = 139.0 + c * size, 139.0 + (c + 1) * size
            y0, y1 = 35.0 + r * size, 35.0 + (r + 1) * size
            rows.append(
                {
                    "code": f"01{i:03d}",
                    "prefecture": "北海道" if c < 2 else "青森県",
                    "name": f"町{i}",
                    "population": 1000 * (r + 1),
                    "x": float(c) + 0.1 * r,
                    "geometry": shapely.box(x0, y0, x1, y1),
                }
            )
    rows.append(
        {
            "code": "01017",
            "prefecture": "青森県",
            "name": "島村",
            "population": 500,
            "x": 3.5,
            "geometry": shapely.box(139.6, 35.0, 139.65, 35.05),
        }
    )
    return gpd.GeoDataFrame(rows, crs="EPSG:6668").set_index("code")
