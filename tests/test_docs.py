"""The documentation site: generated tables, the example runner, the offline check, the build.

The site itself is built by ``make docs`` (which ``make test`` runs before the tests); the tests
of the built site are skipped when it has not been built.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
sys.path[:0] = [str(ROOT / "docs" / "_ext"), str(ROOT / "docs" / "_tools")]

pytest.importorskip("sphinx")
import check_site  # noqa: E402
import regionlib_docs  # noqa: E402
import run_examples  # noqa: E402

built = pytest.mark.skipif(not (SITE / "index.html").exists(), reason="site not built (make docs)")


def _catalogue() -> list[dict[str, str]]:
    from regionlib.data import catalogue

    return catalogue.rows()


def test_indicator_table_has_every_catalogue_row():
    rows = _catalogue()
    html = regionlib_docs.indicator_table_html()
    body = html.split("<tbody>")[1]
    assert body.count("<tr>") == len(rows) > 900
    for r in rows:
        assert f"<td>{r['name']}</td><td>{r['year']}</td>" in body
    header = html.split("<thead>")[1].split("</thead>")[0]
    columns = [c.split("<")[0] for c in header.split("<th>")[1:]]
    first = body.split("<tr>")[1].split("</tr>")[0]
    cells = dict(zip(columns, [c.split("</td>")[0] for c in first.split("<td>")[1:]], strict=True))
    assert cells["年 / year"] == rows[0]["year"]
    assert cells["データ / dataset"] == rows[0]["dataset"]
    if rows[0].get("aggregation") == "sum":
        assert cells["集計 / aggregation"] == "合計"
        assert cells["種類 / kind"] == "人数・件数"


def test_aggregation_rule():
    rule = regionlib_docs.aggregation_rule
    # the catalogue's own column wins
    assert (
        rule({"aggregation": "ratio", "denominator": "A", "unit": "%"})
        == "分子・分母を合計して再計算"
    )
    assert rule({"aggregation": "weighted:fiscal_demand", "denominator": "", "unit": ""}) == (
        "加重平均（重み: fiscal_demand）"
    )
    assert rule({"aggregation": "none:重みがない / no weights", "denominator": "", "unit": ""}) == (
        "合計しない：重みがない"
    )
    # rows without it are read from their formula
    assert rule({"denominator": "A1101", "unit": "%"}) == "分子・分母を合計して再計算"
    assert rule({"denominator": "", "unit": ""}).startswith("合計しない")
    assert rule({"denominator": "", "unit": "人"}) == "合計"
    rows = _catalogue()
    if "aggregation" in rows[0]:
        shown = {r["name"] + r["year"]: r["rule"] for r in regionlib_docs.catalogue_rows()}
        for r in rows:
            if r["aggregation"] == "sum":
                assert shown[r["name"] + r["year"]] == "合計"


def test_source_table_covers_the_registry():
    registry = json.loads((ROOT / "regionlib" / "registry.json").read_text(encoding="utf-8"))
    rows = regionlib_docs.source_rows()
    assert {r["source"] for r in rows} == {e["source"] for e in registry}
    assert sum(int(r["files"]) for r in rows) == len(registry)
    juki = next(r for r in rows if r["source"].startswith("住民基本台帳") and "via" in r["source"])
    assert juki["years"] == "1995–2022"
    assert all(r["credit"] and r["license"] for r in rows)


def test_examples_are_parsed_from_the_pages(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(
        "text\n\n```{regionlib-file} ex my.csv\ncode,x\n01100,1\n```\n\n"
        "```{regionlib-run} ex\n:shots: a.html\n:stdout:\n\n# a comment\n"
        "regionlib map x --join my.csv -o a.html\n```\n",
        encoding="utf-8",
    )
    run_examples.ROOT = tmp_path
    examples = run_examples.find_examples([page])
    ex = examples["ex"]
    assert ex.commands == ["regionlib map x --join my.csv -o a.html"]
    assert ex.shots == ["a.html"]
    assert ex.inputs == {"my.csv": "code,x\n01100,1\n"}
    page.write_text("```{regionlib-run} bad\nrm -rf /\n```\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="only regionlib commands"):
        run_examples.find_examples([page])


def test_readme_ja_commands_are_collected():
    ex = run_examples.readme_example(ROOT / "README.ja.md")
    assert len(ex.commands) >= 5
    assert all(c.startswith("regionlib ") and "#" not in c for c in ex.commands)


def test_check_site_finds_remote_resources_and_broken_links(tmp_path):
    (tmp_path / "index.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css">'
        '<link rel="canonical" href="https://example.org/">'
        '<img src="missing.png"><img src="ok.png">'
        '<a href="https://example.org/">a plain link loads nothing</a>'
        '<a href="sub/#top">a folder</a><a href="#here" id="here">anchor</a>'
        '<a href="sub/index.html#nowhere">a missing anchor</a>',
        encoding="utf-8",
    )
    (tmp_path / "ok.png").write_bytes(b"png")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text('<p id="top">sub</p>', encoding="utf-8")
    problems = check_site.check_site(tmp_path)
    assert len(problems) == 4, problems
    assert any("#nowhere" in p and "missing anchor" in p for p in problems)
    assert sum("loads from the network" in p for p in problems) == 2
    assert any("missing.png" in p for p in problems)


@built
def test_built_site_is_offline_and_complete():
    assert check_site.check_site(SITE) == []
    index = (SITE / "index.html").read_text(encoding="utf-8")
    assert "はじめに" in index and "使い方" in index
    html = (SITE / "indicators.html").read_text(encoding="utf-8")
    table = html.split("id='indicator-table'")[1].split("</table>")[0]
    assert table.count("<tr>") == len(_catalogue()) + 1  # the header row
    pages = sorted(p.stem for p in (ROOT / "docs" / "guide").glob("*.md") if p.stem != "index")
    assert len(pages) >= 9
    for page in pages:  # every task page of the guide shows a picture the build made
        text = (SITE / "guide" / f"{page}.html").read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', text)
        assert images, f"guide/{page} shows no picture"
        for src in images:
            assert (SITE / "guide" / src).stat().st_size > 5000


def _open_offline(browser: str, page: Path, tmp: Path) -> tuple[str, list[str]]:
    """Open a page in headless Chromium with every host unresolvable; return its DOM and the
    URLs the page itself asked for (Chromium's own update and account checks excluded: their
    initiator is "not an origin")."""
    netlog = tmp / f"{page.stem}-net.json"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--log-net-log={netlog}",
            f"--user-data-dir={tmp / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = netlog.read_text(encoding="utf-8").rstrip()
    log = json.loads(text if text.endswith("}") else text.rstrip(",") + "]}")
    asked = []
    for event in log["events"]:
        params = event.get("params")
        if isinstance(params, dict) and params.get("initiator", "not an origin") != "not an origin":
            asked.append(str(params.get("url", "")))
    return done.stdout, asked


@pytest.mark.browser
def test_the_offline_check_sees_a_page_request(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("chromium not installed")
    page = tmp_path / "remote.html"
    page.write_text('<p>x</p><img src="https://example.invalid/x.png">', encoding="utf-8")
    _, asked = _open_offline(browser, page, tmp_path)
    assert "https://example.invalid/x.png" in asked


@built
@pytest.mark.browser
def test_site_opens_in_chromium_without_network(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("chromium not installed")
    for page in [SITE / "index.html", SITE / "indicators.html", SITE / "guide" / "maps.html"]:
        dom, asked = _open_offline(browser, page, tmp_path)
        assert "使い方（計画担当者向け）" in dom  # the Japanese navigation was rendered
        assert [u for u in asked if re.match(r"(https?|wss?|ftp)://", u)] == [], page


@pytest.mark.browser
def test_indicator_filter_keeps_matching_rows(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("chromium not installed")
    script = (ROOT / "docs" / "_static" / "filter.js").as_uri()
    page = tmp_path / "filter.html"
    page.write_text(
        "<!doctype html><meta charset='utf-8'>"
        + regionlib_docs.indicator_table_html()
        + f"<script src='{script}'></script><script>"
        "window.addEventListener('load', () => {"
        "const box = document.getElementById('indicator-filter');"
        "box.value = '医師 2020'; box.dispatchEvent(new Event('input'));});</script>",
        encoding="utf-8",
    )
    dom, _ = _open_offline(browser, page, tmp_path)
    body = dom.split("<tbody>")[1].split("</tbody>")[0]
    shown = [r for r in body.split("<tr")[1:] if not r.startswith(" hidden")]
    expected = [
        r for r in _catalogue() if r["year"] == "2020" and "医師" in r["label"] + r["description"]
    ]
    assert 0 < len(shown) < 50
    assert len(shown) >= len(expected)
    assert all("医師" in r and "2020" in r for r in shown)
    assert f'id="indicator-count">{len(shown)}<' in dom


def _public_objects():
    """Every public function, class and method of the modules the API pages show."""
    import importlib
    import inspect
    import pkgutil

    import regionlib

    names = dict(regionlib._MODULES)
    for full in regionlib._MODULES.values():
        package = importlib.import_module(full)
        for sub in pkgutil.iter_modules(getattr(package, "__path__", [])):
            if not sub.name.startswith("_"):
                names[sub.name] = f"{full}.{sub.name}"
    for full in names.values():
        module = importlib.import_module(full)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", "").split(".")[0] != "regionlib":
                continue
            yield f"{obj.__module__}.{obj.__qualname__}"
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        yield f"{obj.__module__}.{obj.__qualname__}.{attr}"


def test_public_docstrings_follow_numpydoc():
    """The checks the site build applies (it fails on them), without building the site."""
    validate = pytest.importorskip("numpydoc.validate").validate
    failures = []
    for name in sorted(set(_public_objects())):
        if any(re.search(p, name) for p in regionlib_docs.VALIDATION_EXCLUDE):
            continue
        try:
            result = validate(name)
        except StopIteration:  # numpydoc cannot find the source of a generated function
            continue
        doc = result.get("docstring") or ""
        for code, message in result["errors"]:
            if code not in regionlib_docs.VALIDATION_CHECKS:
                continue
            overrides = regionlib_docs.VALIDATION_OVERRIDES.get(code, [])
            if any(re.search(p, doc) for p in overrides):
                continue
            failures.append(f"{name}: {code} {message}")
    assert failures == [], "\n".join(failures)
