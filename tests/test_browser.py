"""Open exported maps in headless Chromium with the network disabled, as a planner's PC would.

Drives Debian's ``chromium`` over the DevTools protocol (stdlib + websocket-client): records
every request the page makes, counts the drawn polygons, reads the legend and takes a
screenshot. Skipped when chromium is missing, unless the environment variable CI is set.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from regionlib import maps, settings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail(
        "chromium is not installed (apt-get install chromium fonts-noto-cjk)", pytrace=False
    )
if CHROMIUM is None:
    pytest.skip("chromium is not installed", allow_module_level=True)


class Chromium:
    """A headless Chromium with networking blocked, driven over the DevTools protocol."""

    def __init__(self, width: int = 1400, height: int = 1000) -> None:
        import websocket

        self.profile = tempfile.mkdtemp(prefix="rl-chromium-")
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.time() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.send("Network.enable")
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Network.emulateNetworkConditions",
            offline=True,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.time() > deadline:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expression: str):
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def open(self, path: Path) -> None:
        self.events.clear()
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_event("Page.loadEventFired")
        # let the map script finish drawing
        last, stable = -1, 0
        for _ in range(100):
            n = self.evaluate("document.querySelectorAll('path').length")
            stable = stable + 1 if n == last else 0
            if stable >= 3:
                break
            last = n
            time.sleep(0.1)

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(e["params"]["exceptionDetails"])[:500])
            if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error":
                out.append(json.dumps(e["params"]["args"])[:500])
        return out

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Chromium()
    yield b
    b.close()


def _only_local(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(("file:", "data:", "about:"))]


def test_grid_map_offline_draws_every_polygon(grid, browser, tmp_path):
    gdf = grid.copy()
    gdf.loc["01003", "name"] = "<script>window.PWNED=1</script>村"
    gdf.loc["01005", "population"] = float("nan")
    m = maps.choropleth(
        gdf, ["population", "x"], label={"population": "人口"}, unit={"population": "人"}
    )
    path = maps.save_html(m, tmp_path / "grid.html")
    browser.open(path)
    assert _only_local(browser.requests()) == []
    assert browser.errors() == []
    n = browser.evaluate("document.querySelectorAll('path.leaflet-interactive').length")
    assert n == len(gdf)
    legend = browser.evaluate("document.querySelector('.rl-legend').innerText")
    assert "人口（人）" in legend
    assert "データなし" in legend
    assert browser.evaluate("window.PWNED === undefined")
    # the layer switcher offers both columns
    radios = browser.evaluate(
        "document.querySelectorAll('.leaflet-control-layers-base input').length"
    )
    assert radios == 2
    credits = browser.evaluate("document.querySelector('.leaflet-control-attribution').innerText")
    assert "国土数値情報" in credits
    # switching the layer restyles the polygons and swaps the legend
    browser.evaluate("document.querySelectorAll('.leaflet-control-layers-base input')[1].click()")
    assert browser.evaluate("document.querySelector('.rl-legend .rl-body').innerText").startswith(
        "x"
    )


def test_escaped_name_shows_as_text(grid, browser, tmp_path):
    gdf = grid.copy()
    gdf.loc["01001", "name"] = "<img src=x onerror='window.PWNED=2'>町"
    m = maps.choropleth(gdf, "population", title="<b>題</b>")
    path = maps.save_html(m, tmp_path / "esc.html")
    browser.open(path)
    # open the tooltip of the first municipality
    browser.evaluate(
        "(function(){var p=document.querySelectorAll('path.leaflet-interactive')[0];"
        "var r=p.getBoundingClientRect();"
        "p.dispatchEvent(new MouseEvent('mouseover',{bubbles:true,clientX:r.x+r.width/2,"
        "clientY:r.y+r.height/2}));})()"
    )
    tip = browser.evaluate("(document.querySelector('.leaflet-tooltip')||{innerText:''}).innerText")
    assert "<img src=x" in tip
    assert browser.evaluate("window.PWNED === undefined")
    assert browser.evaluate("document.querySelector('.rl-title').innerText") == "<b>題</b>"
    assert _only_local(browser.requests()) == []


@pytest.mark.slow
def test_national_map_offline(browser, tmp_path):
    boundaries = pytest.importorskip("regionlib.boundaries")
    gdf = boundaries.load_boundaries(detail="prefecture")
    gdf = gdf.assign(area=gdf.to_crs(settings.area_crs).area / 1e6)
    m = maps.choropleth(gdf, "area", label="面積", unit="km²", year="2021")
    path = maps.save_html(m, tmp_path / "national.html")
    assert path.stat().st_size < 1.5e6
    browser.open(path)
    assert _only_local(browser.requests()) == []
    n = browser.evaluate("document.querySelectorAll('path.leaflet-interactive').length")
    assert n == len(gdf)
    assert "面積（km²）" in browser.evaluate("document.querySelector('.rl-legend').innerText")
    shots = os.environ.get("REGIONLIB_SCREENSHOTS")
    if shots:
        browser.screenshot(Path(shots) / "national.png")


@pytest.mark.slow
def test_region_labels_never_overlap_on_screen(browser, tmp_path):
    boundaries = pytest.importorskip("regionlib.boundaries")
    gdf = boundaries.load_boundaries(detail="national")
    gdf = gdf.assign(area=gdf.to_crs(settings.area_crs).area / 1e6)
    m = maps.choropleth(gdf, "area", regions=gdf["prefecture"], title="都道府県")
    browser.open(maps.save_html(m, tmp_path / "regions.html"))
    boxes = browser.evaluate(
        "JSON.stringify(Array.from(document.querySelectorAll('.rl-label'))"
        ".filter(e => e.style.display !== 'none')"
        ".map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }))"
    )
    boxes = json.loads(boxes)
    total = browser.evaluate("document.querySelectorAll('.rl-label').length")
    assert total == 47
    assert 10 <= len(boxes) < total  # crowded labels hidden at national zoom, most kept
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_label_layers_declutter_together_coarsest_first(browser, tmp_path):
    boundaries = pytest.importorskip("regionlib.boundaries")
    gdf = boundaries.load_boundaries(detail="national")
    gdf = gdf.assign(area=gdf.to_crs(settings.area_crs).area / 1e6)
    m = maps.choropleth(gdf, "area", title="面積")
    coarse = gdf.index.str[:2].astype(int).map(lambda p: f"第{(p - 1) // 6 + 1}ブロック")
    maps.add_region_outlines(m, gdf, gdf["prefecture"], name="都道府県", label_style="color:#333")
    maps.add_region_outlines(
        m, gdf, pd.Series(coarse, index=gdf.index), name="ブロック", weight=3.5
    )
    browser.open(maps.save_html(m, tmp_path / "levels.html"))
    shown = json.loads(
        browser.evaluate(
            "JSON.stringify(Array.from(document.querySelectorAll('.rl-label'))"
            ".filter(e => e.style.display !== 'none').map(e => { const r = "
            "e.getBoundingClientRect(); return [e.innerText, r.left, r.top, r.right, r.bottom]; }))"
        )
    )
    assert browser.evaluate("document.querySelectorAll('.rl-label').length") == 47 + 8
    # the coarse names are placed first (added last); a coarse name gives way only to another
    # one, whose core (most populous town) is near at national zoom; prefecture names fill gaps
    coarse_shown = [t for t, *_ in shown if t.endswith("ブロック")]
    assert len(coarse_shown) >= 7
    assert 8 < len(shown) < 47 + 8
    for i, (_, *a) in enumerate(shown):
        for _, *b in shown[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def _hover_first_polygon(browser, index: int = 0) -> str:
    browser.evaluate(
        f"(function(){{var p=document.querySelectorAll('path.leaflet-interactive')[{index}];"
        "var r=p.getBoundingClientRect();"
        "p.dispatchEvent(new MouseEvent('mouseover',{bubbles:true,clientX:r.x+r.width/2,"
        "clientY:r.y+r.height/2}));})()"
    )
    return browser.evaluate(
        "(Array.from(document.querySelectorAll('.leaflet-tooltip')).pop()||{innerText:''}).innerText"
    )


def test_region_name_in_every_tooltip(grid, browser, tmp_path):
    regions = grid["prefecture"].map({"北海道": "西圏", "青森県": "東<圏>"})
    m = maps.choropleth(grid, "population", regions=regions)
    path = maps.save_html(m, tmp_path / "regions_tip.html")
    browser.open(path)
    tip = _hover_first_polygon(browser, 0)
    assert "町1" in tip and "広域圏: 西圏" in tip  # 01001 is in the west half
    browser.open(path)  # hovering brings a polygon to the front: start again
    tip = _hover_first_polygon(browser, 3)
    assert "町4" in tip and "広域圏: 東<圏>" in tip


@pytest.mark.slow
def test_profile_page_offline(browser, tmp_path, mirror_dir):
    from regionlib.cli import main

    path = tmp_path / "夕張市.html"
    assert main(["-q", "report", "夕張市", "-o", str(path)]) == 0
    browser.open(path)
    assert _only_local(browser.requests()) == []
    assert browser.errors() == []
    text = browser.evaluate("document.body.innerText")
    assert "7,334" in text and "2020年" in text and "総人口（2020年）" in text
    assert "類似する市区町村" in text and "今別町" in text  # the first peer
    assert "類似団体" not in text
    assert "圏" in browser.evaluate("document.querySelector('section.place').innerText")
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 3  # maps and charts
    assert browser.evaluate("document.querySelectorAll('path.m').length") == 179
    shots = os.environ.get("REGIONLIB_SCREENSHOTS")
    if shots:
        browser.screenshot(Path(shots) / "profile.png")


@pytest.mark.slow
def test_atlas_search_offline(browser, tmp_path, mirror_dir):
    from regionlib import atlas

    folder = tmp_path / "atlas"
    atlas.write_atlas(folder, prefectures=["鳥取県"])
    browser.open(folder / "index.html")
    assert _only_local(browser.requests()) == []
    assert browser.errors() == []

    def search(text: str) -> list[str]:
        browser.evaluate(
            f"(function(){{var q=document.getElementById('q');q.value={json.dumps(text)};"
            "q.dispatchEvent(new Event('input'));})()"
        )
        return json.loads(
            browser.evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('#hits a'))"
                ".map(a => a.getAttribute('href')))"
            )
        )

    assert search("鳥取市") == ["m/31201.html"]
    assert search("31201") == ["m/31201.html"]
    assert len(search("町")) >= 10
    assert search("存在しない") == []
    # the readings are searchable too, in hiragana or katakana
    assert search("とっとりし") == search("トットリ") == ["m/31201.html"]
    assert search("よなご") == ["m/31202.html"]
    n = browser.evaluate("document.querySelectorAll('svg a').length")
    assert n == len(list((folder / "m").glob("*.html"))) == 19


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "targets"), [("夕張市", False), ("飯舘村", False), ("夕張市", True)]
)
def test_profile_fits_a_phone_and_two_a4_pages(name, targets, tmp_path, mirror_dir):
    """At 390 px the page does not scroll sideways; printed it takes at most two A4 pages.

    With the example targets file, the KPI section (three KPIs of 夕張市) still fits.
    """
    import io
    import unicodedata

    import pypdf

    from regionlib.analysis import kpi
    from regionlib.cli import main

    path = tmp_path / f"{name}.html"
    extra = ["--targets", str(kpi.example_path())] if targets else []
    assert main(["-q", "report", name, *extra, "-o", str(path)]) == 0
    if targets:
        assert "KPIの進み具合" in path.read_text(encoding="utf-8")
    phone = Chromium(width=390, height=844)
    try:
        phone.open(path)
        widths = phone.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1] <= 390, widths  # no sideways page scroll
        # a wide table scrolls inside its box, its first column fixed
        inner = phone.evaluate(
            "Array.from(document.querySelectorAll('.scroll')).map(e => [e.scrollWidth, "
            "e.clientWidth, getComputedStyle(e.querySelector('td')).position])"
        )
        assert any(s > c for s, c, _ in inner) and {p for _, _, p in inner} == {"sticky"}
        # the names of the good-practice table are not broken per character
        heights = phone.evaluate(
            "Array.from(document.querySelectorAll('section.good-practice td:first-child'))"
            ".map(e => e.getBoundingClientRect().height)"
        )
        if name == "夕張市":
            assert heights and max(heights) < 40
        pdf = phone.send("Page.printToPDF", preferCSSPageSize=True)["data"]
    finally:
        phone.close()
    reader = pypdf.PdfReader(io.BytesIO(base64.b64decode(pdf)))
    assert len(reader.pages) <= 2
    for page in reader.pages:  # the credits on every printed page
        # NFKC: the text layer names some kanji by their Kangxi radical code points (⼟ for 土)
        text = unicodedata.normalize("NFKC", page.extract_text())
        assert "国土数値情報" in text and "基本台帳" in text
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4


def test_area_profile_and_compare_pages_offline(browser, tmp_path, mirror_dir):
    from regionlib.cli import main

    area = tmp_path / "area.html"
    spec = "札幌圏=札幌市,江別市,北広島市,石狩市,当別町,新篠津村"
    assert main(["-q", "report", "--area", spec, "-o", str(area)]) == 0
    browser.open(area)
    assert _only_local(browser.requests()) == []
    assert browser.errors() == []
    text = browser.evaluate("document.body.innerText")
    assert "2,228,451" in text and "新篠津村" in text  # the area's summed population, a member
    assert browser.evaluate("document.querySelectorAll('path.m.target').length") == 6
    # the area's pyramid (members summed) and projection, with its members' classes
    assert "人口の将来" in text and "消滅可能性の分類" in text and "公式推計ではありません" in text
    assert (
        browser.evaluate("document.querySelectorAll('svg[aria-label=人口ピラミッド] rect').length")
        == 68
    )
    phone = Chromium(width=390, height=844)
    try:
        phone.open(area)
        widths = phone.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1] <= 390, widths  # no sideways page scroll
    finally:
        phone.close()
    page = tmp_path / "c.html"
    assert (
        main(["-q", "compare", "夕張市", "美唄市", "芦別市", "--area", spec, "-o", str(page)]) == 0
    )
    browser.open(page)
    assert _only_local(browser.requests()) == []
    assert browser.errors() == []
    head = browser.evaluate("document.querySelector('table.compare thead').innerText")
    assert all(n in head for n in ("夕張市", "美唄市", "芦別市", "札幌圏"))
    assert browser.evaluate("document.querySelectorAll('polyline').length") >= 8


@pytest.mark.slow
def test_atlas_compare_page_restores_selection_and_downloads_csv(browser, tmp_path, mirror_dir):
    from regionlib.outputs import atlas, report

    context = report.build_context(None)
    page = tmp_path / "compare.html"
    page.write_text(
        atlas._compare_page(context, list(context.table.index), atlas._readings()),
        encoding="utf-8",
    )
    browser.events.clear()
    browser.send("Page.navigate", url=page.resolve().as_uri() + "#01209,01215,01216")
    browser.wait_event("Page.loadEventFired")
    assert _only_local(browser.requests()) == []
    assert browser.errors() == []
    head = browser.evaluate("document.querySelector('#table tr').innerText")
    assert [n for n in ("夕張市", "美唄市", "芦別市") if n in head] == [
        "夕張市",
        "美唄市",
        "芦別市",
    ]
    csv = browser.evaluate("window.rlCompareCsv()")
    lines = csv.strip().splitlines()
    assert lines[0].startswith("指標,単位,年,夕張市 値,夕張市 順位,美唄市 値")
    population = next(line for line in lines if line.startswith("総人口"))
    assert '"7,334"' in population  # 夕張市, 2020 census, as shown on the page
    assert browser.evaluate("document.getElementById('csv').href").startswith("blob:")
    # removing a place rewrites the address, and the table follows it
    browser.evaluate("location.hash = '01209'")
    time.sleep(0.3)
    assert browser.evaluate("location.hash") == "#01209"
    assert "美唄市" not in browser.evaluate("document.querySelector('#table tr').innerText")
