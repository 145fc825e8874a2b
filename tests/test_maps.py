"""Web and print maps on the synthetic grid, plus national size and CLI checks on the mirror."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely

from regionlib import maps, printmaps
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError
from regionlib.cli import main
from regionlib.outputs._mapstyle import BOUNDARY_CREDIT, classify
from regionlib.outputs._simplify import encode_polygons, simplify_coverage


def _decode(s: str, p: int = 10_000) -> list[tuple[float, float]]:
    pts, i, lat, lng = [], 0, 0, 0
    while i < len(s):
        vals = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(s[i]) - 63
                i += 1
                result |= (b & 31) << shift
                shift += 5
                if b < 32:
                    break
            vals.append(~(result >> 1) if result & 1 else result >> 1)
        lat += vals[0]
        lng += vals[1]
        pts.append((lng / p, lat / p))
    return pts


def _payload(html: str, fn: str = "choropleth") -> dict:
    match = re.search(rf"RL\.{fn}\(map_\w+, (\{{.*?\}})\);", html)
    assert match, f"no RL.{fn} call in the page"
    return json.loads(match.group(1))


def test_encode_roundtrip():
    poly = shapely.Polygon(
        [(139.0, 35.0), (139.12346, 35.0), (139.1, 35.2), (139.0, 35.0)],
        holes=[[(139.05, 35.05), (139.06, 35.05), (139.06, 35.06), (139.05, 35.05)]],
    )
    enc = encode_polygons(np.array([poly, shapely.Polygon()], dtype=object))
    assert enc[1] == []
    outer, hole = (_decode(r) for r in enc[0][0])
    assert outer == [(139.0, 35.0), (139.1235, 35.0), (139.1, 35.2)]  # quantised, unclosed
    assert hole[0] == (139.05, 35.05)


def test_coverage_simplify_keeps_shared_borders(grid):
    # a wiggly shared border between two polygons
    xs = np.linspace(0, 1, 200)
    wiggle = [(float(x), 0.5 + 0.001 * np.sin(40 * x)) for x in xs]
    a = shapely.Polygon([(0, 0), (1, 0), *wiggle[::-1]])
    b = shapely.Polygon([(0, 1), *wiggle, (1, 1)])
    out = simplify_coverage(np.array([a, b], dtype=object), 0.01)
    assert (
        shapely.get_num_coordinates(out).sum() < shapely.get_num_coordinates(np.array([a, b])).sum()
    )
    assert shapely.coverage_is_valid(out)
    assert out[0].intersection(out[1]).area == pytest.approx(0, abs=1e-12)
    assert out[0].union(out[1]).area == pytest.approx(1.0, rel=1e-6)


def test_choropleth_payload(grid):
    before = grid.copy()
    gdf = grid.copy()
    gdf.loc["01002", "population"] = np.nan
    m = maps.choropleth(
        gdf, ["population", "x"], label={"population": "人口"}, unit={"population": "人"}
    )
    html = maps.to_html(m)
    pd.testing.assert_frame_equal(grid, before)
    data = _payload(html)
    assert len(data["geoms"]) == len(gdf) == len(data["names"])
    pop = data["layers"][0]
    assert pop["title"] == "人口（人）"
    assert pop["cls"][1] == -1 and pop["vals"][1] == "データなし"
    assert pop["n"] == len(gdf) - 1
    # rank 1 is the largest value
    top = int(np.argmax(gdf["population"].fillna(-1)))
    assert pop["rank"][top] == 1
    assert "データなし" in pop["legend"] and "(1)" in pop["legend"]
    assert data["credits"][0] == BOUNDARY_CREDIT
    assert data["prefLines"], "prefecture borders expected"


@pytest.mark.parametrize("column", ["population_change_2015_2020", "x_change"])
def test_web_and_print_maps_centre_changes_by_one_rule(grid, column):
    from regionlib.outputs._mapstyle import CENTRED_LABEL, change_centre

    frame = grid.assign(**{column: grid["x"] - 1.45})  # both signs
    assert change_centre(column) == 0.0 and change_centre(column, palette="Blues") is None
    expected = classify(frame[column], k=5, centre=0.0)
    layer = _payload(maps.to_html(maps.choropleth(frame, column)))["layers"][0]
    assert layer["cls"] == expected.cls.tolist() and layer["colors"] == expected.colors
    assert CENTRED_LABEL in layer["legend"]
    fig = printmaps.plot_choropleth(frame, column, insets=None)
    legend = fig.axes[0].get_legend() or fig.legends[0]
    assert CENTRED_LABEL in legend.get_title().get_text()
    assert len(legend.get_texts()) == len(expected.colors)  # the same classes on paper


def test_offline_html_has_no_remote_resources(grid):
    html = maps.to_html(maps.choropleth(grid, "population"))
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    assert "cdn.jsdelivr" not in html and "L.tileLayer(" not in html
    online = maps.to_html(maps.choropleth(grid, "population", online=True), offline=False)
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in online
    assert "L.tileLayer(" in online


def test_same_input_same_file(grid, tmp_path):
    a = maps.save_html(
        maps.choropleth(grid, "x", scheme="natural_breaks", k=3), tmp_path / "a.html"
    )
    b = maps.save_html(
        maps.choropleth(grid, "x", scheme="natural_breaks", k=3), tmp_path / "b.html"
    )
    assert a.read_bytes() == b.read_bytes()


def test_labels_are_escaped(grid):
    gdf = grid.copy()
    gdf.loc["01001", "name"] = "</script><script>alert(1)</script>"
    html = maps.to_html(maps.choropleth(gdf, "population", title="<i>t</i>", label="<b>人口</b>"))
    assert "<script>alert(1)" not in html
    assert "<i>t</i>" not in html and "&lt;i&gt;t&lt;/i&gt;" in html
    data = _payload(html)
    assert data["names"][0] == "</script><script>alert(1)</script>"  # decoded back as text
    assert "&lt;b&gt;人口&lt;/b&gt;" in data["layers"][0]["legend"]


@pytest.mark.parametrize(
    ("scheme", "kwargs", "n_classes"),
    [
        ("quantiles", {"k": 4}, 4),
        ("equal_interval", {"k": 3}, 3),
        ("natural_breaks", {"k": 3}, 3),
        ("std_mean", {}, None),
        ("user_defined", {"bins": [1.0, 2.0]}, 3),
    ],
)
def test_schemes(grid, scheme, kwargs, n_classes):
    c = classify(grid["x"], scheme=scheme, **kwargs)
    assert (c.cls >= 0).all()
    assert c.upper[-1] == pytest.approx(grid["x"].max())
    assert len(c.colors) == len(c.upper)
    if n_classes:
        assert len(c.upper) == n_classes
    assert sum(c.counts) == len(grid)


@pytest.mark.slow  # importing mapclassify compiles its numba functions: 26 s
def test_breaks_and_classes_equal_mapclassify():
    import mapclassify

    from regionlib.outputs import _mapstyle

    rng = np.random.default_rng(3)
    samples = [
        rng.lognormal(8, 1.5, 1741),  # a skewed count, like population
        rng.normal(30, 6, 500),  # a rate
        np.round(rng.uniform(0, 10, 300)),  # many ties
        np.array([1.0, 2.0, 2.0, 3.0, 100.0]),
    ]
    for y in samples:
        for k in (2, 3, 5, 7):
            mine = _mapstyle.equal_interval_bins(y, k)
            np.testing.assert_array_equal(mine, mapclassify.EqualInterval(y, k=k).bins)
            np.testing.assert_array_equal(
                _mapstyle.bin_values(y, mine), mapclassify.UserDefined(y, bins=list(mine)).yb
            )
        mine = _mapstyle.std_mean_bins(y)
        np.testing.assert_array_equal(mine, mapclassify.StdMean(y).bins)
        np.testing.assert_array_equal(
            _mapstyle.bin_values(y, mine), mapclassify.UserDefined(y, bins=list(mine)).yb
        )
        quantiles = np.unique(np.quantile(y, np.arange(1, 6) / 5))
        np.testing.assert_array_equal(
            _mapstyle.bin_values(y, quantiles),
            mapclassify.UserDefined(y, bins=list(quantiles)).yb,
        )


def test_natural_breaks_finds_gaps():
    y = pd.Series([1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 9.0, 9.1])
    c = classify(y, scheme="natural_breaks", k=3)
    assert list(c.upper) == [1.2, 5.2, 9.1]


def test_bad_input(grid):
    with pytest.raises(UnknownNameError, match="population"):
        maps.choropleth(grid, "populaton")
    with pytest.raises(UnknownNameError, match="quantiles"):
        maps.choropleth(grid, "x", scheme="quantile_s")
    with pytest.raises(UnknownNameError, match="palette"):
        maps.choropleth(grid, "x", palette="jet")
    with pytest.raises(DataFormatError):
        maps.choropleth(grid.drop(columns="geometry").assign(v=1), "v")
    with pytest.raises(RegionlibError):
        maps.save_html(maps.choropleth(grid, "x"), "map.png")


def test_overlays(grid):
    labels = pd.Series({c: ("東圏" if int(c[-2:]) % 4 in (1, 2) else "西圏") for c in grid.index})
    m = maps.choropleth(grid, "population", regions=labels, focus="01006", peers=["01011", "01017"])
    html = maps.to_html(m)
    calls = re.findall(r"RL\.outlines\(map_\w+, (\{.*?\})\);", html)
    assert len(calls) == 3
    regions, focus, peers = (json.loads(c) for c in calls)
    assert sorted(lb[0] for lb in regions["labels"]) == ["東圏", "西圏"]
    assert [lb[0] for lb in focus["labels"]] == ["町6"]
    assert [lb[0] for lb in peers["labels"]] == ["町11", "島村"]
    with pytest.raises(UnknownNameError):
        maps.add_peers(m, grid, "99999", [])


def test_print_map_formats(grid, tmp_path):
    fig = printmaps.plot_choropleth(grid, "population", label="人口", unit="人", year="2020")
    texts = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    assert any(BOUNDARY_CREDIT in t for t in texts)
    assert any("人口（人）" in t for t in texts)
    for suffix in (".png", ".pdf", ".svg"):
        path = printmaps.save_figure(fig, tmp_path / f"m{suffix}")
        assert path.stat().st_size > 1000
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "m.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(RegionlibError):
        printmaps.save_figure(fig, tmp_path / "m.html")


def test_print_map_insets(grid):
    gdf = grid.copy()
    gdf.index = [f"{i:02d}001" for i in range(40, 57)]  # includes 47 = 沖縄県
    gdf.index.name = "code"
    assert printmaps.default_insets(gdf) == {"沖縄県": ["47001"]}
    fig = printmaps.plot_choropleth(gdf, "population")
    titles = [ax.get_title() for ax in fig.axes[0].child_axes]
    assert titles == ["沖縄県"]
    assert printmaps.plot_choropleth(gdf, "population", insets=None).axes[0].child_axes == []


def test_regional_print_map_moves_far_islands_to_insets():
    import geopandas as gpd
    import shapely

    from regionlib import settings

    km = 1000.0
    # a 6 x 4 mainland of 10 km boxes; islands 5 km wide: 20 km off the coast (stays), a chain
    # 120-180 km south, its islands under 60 km apart (伊豆諸島's codes), and one 900 km away
    shapes, codes, names = [], [], []
    for i in range(24):
        x, y = (i % 6) * 10 * km, (i // 6) * 10 * km
        shapes.append(shapely.box(x, y, x + 10 * km, y + 10 * km))
        codes.append(f"13{101 + i:03d}")
        names.append(f"区{i}")
    islands = {
        "13360": ("近島村", 20, -25),
        "13361": ("大島町", 20, -120),
        "13362": ("利島村", 25, -140),
        "13401": ("八丈町", 30, -180),
        "13421": ("小笠原村", 300, -900),
    }
    for code, (name, x, y) in islands.items():
        shapes.append(shapely.box(x * km, y * km, (x + 5) * km, (y + 5) * km))
        codes.append(code)
        names.append(name)
    gdf = gpd.GeoDataFrame(
        {"name": names, "population": range(len(codes))},
        geometry=shapes,
        index=pd.Index(codes, name="code"),
        crs=settings.area_crs,
    )
    insets = printmaps.default_insets(gdf)
    assert insets == {"伊豆諸島": ["13361", "13362", "13401"], "小笠原村": ["13421"]}
    fig = printmaps.plot_choropleth(gdf.to_crs(settings.default_crs), "population")
    assert [ax.get_title() for ax in fig.axes[0].child_axes] == ["伊豆諸島", "小笠原村"]
    # the main map shows the mainland and the near island, not the far ones
    assert fig.axes[0].get_ylim()[0] > -100 * km and fig.axes[0].get_xlim()[1] < 200 * km


def test_japanese_font_has_glyphs():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(printmaps._font_name(), fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(ch)) for ch in "高齢化率市区町村")


# --- national scale, on the data mirror --------------------------------------------------


@pytest.fixture(scope="module")
def national(mirror_dir):
    from regionlib import table

    return table.load_table(["aging_rate", "population_2020", "fiscal_strength_index"])


def test_national_size_targets(national, tmp_path):
    from regionlib import table

    path = maps.save_html(
        maps.choropleth(national, ["aging_rate", "population_2020"]), tmp_path / "n.html"
    )
    assert path.stat().st_size <= 1.5e6
    coarse = table.load_table(["aging_rate"], detail="national")
    path = maps.save_html(maps.choropleth(coarse, "aging_rate"), tmp_path / "c.html")
    assert path.stat().st_size <= 1.0e6
    data = _payload(path.read_text(encoding="utf-8"))
    assert len(data["geoms"]) == 1741
    assert all(g for g in data["geoms"])  # every municipality drawn, none collapsed


def test_cli_map(national, tmp_path, capsys):
    out = tmp_path / "m.html"
    assert (
        main(
            ["-q", "map", "aging_rate", "fiscal_strength_index", "--pref", "北海道", "-o", str(out)]
        )
        == 0
    )
    data = _payload(out.read_text(encoding="utf-8"))
    assert len(data["geoms"]) == 179
    assert data["layers"][1]["label"].startswith("財政力指数")
    png = tmp_path / "m.png"
    assert main(["-q", "map", "aging_rate", "--pref", "沖縄県", "-o", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["-q", "map", "agingrate", "-o", str(out)]) == 2
    assert "aging_rate" in capsys.readouterr().err


def test_show_embeds_the_offline_map(grid):
    m = maps.choropleth(grid, "population")
    data = maps.show(m, height=300).data
    assert data.startswith("<div><iframe srcdoc=")
    assert "height:300px" in data
    assert "src=&quot;http" not in data  # Leaflet is inlined, nothing fetched


@pytest.mark.slow
def test_tokyo_web_map_opens_on_the_mainland(mirror_dir, tmp_path):
    from regionlib.data import table

    frame = table.load_table(["aging_rate"], prefectures=["13"])
    path = maps.save_html(maps.choropleth(frame, "aging_rate"), tmp_path / "t.html")
    data = _payload(path.read_text(encoding="utf-8"))
    (south, west), (north, east) = data["bounds"]
    # the mainland (35.5–35.9°N, 138.9–139.9°E), not 伊豆諸島 and 小笠原
    assert 35.4 < south < 35.6 and 35.8 < north < 36.0 and west > 138.8 and east < 140.0
    titles = [v[0] for v in data["views"]]
    assert titles[0] == "全体を表示" and "伊豆諸島" in titles and "小笠原村" in titles
    full = data["views"][0][1]
    assert full[0][0] < 27.5  # 全体を表示 reaches 小笠原
    # names come in priority order: special wards and 市 first, the most populous first
    names = [lb[0] for lb in data["labels"]]
    assert len(names) == 62 and names[0] == "世田谷区"
    first_town = next(i for i, n in enumerate(names) if not n.endswith(("市", "区")))
    assert first_town == 49  # 23 wards + 26 市


def test_palette_colours_equal_matplotlib():
    """Palettes sampled from the cached lookup table give matplotlib's colours exactly."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    from regionlib.outputs import _mapstyle

    xs = [*np.linspace(0, 1, 257), 0.05, 0.06, 0.12, 0.5, 0.94, 0.95]
    for base in (*_mapstyle.SEQUENTIAL, *_mapstyle.DIVERGING):
        for name in (base, f"{base}_r"):
            expected = [to_hex(colormaps[name](x)) for x in xs]
            assert _mapstyle.sample_palette(name, xs) == expected


def test_folium_templates_compiled_once_and_kept_in_the_cache(isolated_cache):
    import jinja2

    from regionlib.outputs import _folium

    original = jinja2.Environment.compile
    source = "{% for x in items %}<b>{{ x }}</b>{% endfor %}"
    with _folium.compiled_from_cache():
        assert jinja2.Environment.compile is not original
        first = jinja2.Template(source).render(items=[1, 2])
    assert jinja2.Environment.compile is original  # the wrapper is gone after the block
    kept = sorted(_folium.folder().glob("*.marshal"))
    assert len(kept) == 1
    with _folium.compiled_from_cache():
        again = jinja2.Template(source).render(items=[1, 2])
        # other settings change the generated code: another entry, not the same one
        trimmed = jinja2.Template(source, trim_blocks=True).render(items=[3])
    assert first == again == "<b>1</b><b>2</b>" and trimmed == "<b>3</b>"
    assert len(list(_folium.folder().glob("*.marshal"))) == 2
    # a damaged entry is compiled again, not fatal
    kept[0].write_bytes(b"not marshal")
    with _folium.compiled_from_cache():
        assert jinja2.Template(source).render(items=[4]) == "<b>4</b>"
