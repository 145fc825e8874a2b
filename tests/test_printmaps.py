"""Print maps laid out for paper: page sizes, legend placement, insets, names, palettes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.colors import to_rgb

from regionlib import printmaps, settings
from regionlib._errors import RegionlibError
from regionlib.cli import main
from regionlib.outputs._mapstyle import classify


def _legend_labels(fig) -> list[str]:
    legend = fig.axes[0].get_legend() or fig.legends[0]
    return [t.get_text() for t in legend.get_texts()]


def _legend_clear_of_data(fig, gdf) -> bool:
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend() or fig.legends[0]
    box = printmaps._data_box(ax, legend.get_window_extent(renderer))
    geoms = gdf.to_crs(settings.area_crs).geometry
    return not geoms.intersects(box).any()


def test_page_sizes():
    assert printmaps.page_size(None, 0.7) == (8.27, 11.69)
    assert printmaps.page_size("A4", 1.6) == (11.69, 8.27)  # turned to fit a wide area
    assert printmaps.page_size("a3-landscape", 0.5) == (16.54, 11.69)
    assert printmaps.page_size("A3 portrait", 2.0) == (11.69, 16.54)
    with pytest.raises(RegionlibError, match="A4 or A3"):
        printmaps.page_size("B5", 1.0)


def test_grid_map_legend_ascending_and_clear(grid):
    fig = printmaps.plot_choropleth(grid, "population", label="人口", unit="人")
    assert tuple(fig.get_size_inches()) == (11.69, 8.27)  # the grid is wider than tall
    lows = [float(t.split("–")[0].replace(",", "")) for t in _legend_labels(fig)]
    assert lows == sorted(lows)
    assert _legend_clear_of_data(fig, grid)


def test_centred_classes_for_changes():
    values = pd.Series(np.r_[np.linspace(-20, -0.5, 60), np.linspace(0.5, 8, 40)])
    classes = classify(values, k=5, centre=0.0)
    assert 0.0 in classes.upper
    below = int((classes.upper <= 0).sum())
    assert below >= 2 and len(classes.upper) - below >= 2
    assert sum(classes.counts) == 100
    for color in classes.colors:  # no class is (nearly) white
        assert min(to_rgb(color)) < 0.9 or max(to_rgb(color)) - min(to_rgb(color)) > 0.08
    # red (decline) below 0, blue (growth) above, for RdBu
    r0, _, b0 = to_rgb(classes.colors[0])
    r1, _, b1 = to_rgb(classes.colors[-1])
    assert r0 > b0 and b1 > r1
    # a change map uses them by default
    assert classify(values, k=5).colors != classes.colors


def test_region_colours_differ_between_neighbours(grid):
    labels = pd.Series([f"R{(i % 4) // 2}{i // 8}" for i in range(17)], index=grid.index)
    colours = printmaps.region_colors(grid, labels)
    assert set(colours) == set(labels)
    assert colours["R00"] != colours["R10"] and colours["R00"] != colours["R01"]
    fig = printmaps.plot_regions(grid, labels, title="圏域")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"R00", "R11"} <= texts


def test_region_map_dissolves_the_regions_once(grid, monkeypatch):
    import geopandas as gpd

    calls = []
    real = gpd.GeoDataFrame.dissolve

    def counting(self, by=None, *args, **kwargs):
        if by != "pref_code" and by != "prefecture":  # prefecture borders are no regions
            calls.append(len(self))
        return real(self, by, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "dissolve", counting)
    labels = pd.Series(["A", "A", "B", "B"] * 4 + ["C"], index=grid.index)
    colours = printmaps.region_colors(grid, labels)
    assert calls == []  # neighbouring regions are found from touching municipalities
    assert colours["A"] != colours["B"] and set(colours) == {"A", "B", "C"}
    fig = printmaps.plot_regions(grid, labels, insets=None)
    assert calls == [17]  # once, for the outlines
    assert {"A", "B", "C"} <= {t.get_text() for t in fig.axes[0].texts}


def test_small_multiples_prepare_the_frame_as_every_print_map(grid, caplog):
    import logging

    frame = grid.assign(**{"aging_rate@2015": grid["x"], "aging_rate@2020": grid["x"] + 1})
    frame.loc["01017", "geometry"] = shapely.Polygon()  # an island without its boundary
    caplog.set_level(logging.INFO, logger="regionlib")
    fig = printmaps.plot_small_multiples(frame, "aging_rate", [2015, 2020], tolerance=0.01)
    assert "print map: left out 1 rows without geometry" in caplog.text  # said, not silent
    drawn = printmaps._prepare(frame, 0.01)
    for ax in fig.axes:
        (patches,) = ax.collections[:1]
        assert len(patches.get_paths()) == len(drawn) == 16
    assert fig.texts[0].get_fontfamily() == [printmaps._font_name()]


@pytest.fixture(scope="module")
def national(mirror_dir):
    from regionlib import table

    return table.load_table(["aging_rate", "population_change_2015_2020"])


@pytest.mark.slow
def test_national_insets_show_their_municipalities(national):
    fig = printmaps.plot_choropleth(national, "population_change_2015_2020")
    insets = fig.axes[0].child_axes
    titles = [ax.get_title() for ax in insets]
    assert titles[0] == "沖縄県" and "小笠原村" in titles and len(titles) >= 3
    okinawa = national[national.index.str.startswith("47")].to_crs(settings.area_crs)
    for ax in insets:
        x0, x1 = ax.get_xlim()
        assert ax.collections, ax.get_title()
        if ax.get_title() == "沖縄県":  # the main island at a readable scale: < 250 km across
            assert x1 - x0 < 250e3
            box = shapely.box(x0, ax.get_ylim()[0], x1, ax.get_ylim()[1])
            assert okinawa.geometry.intersects(box).sum() >= 25
    drawn = national[~national.index.str.startswith("47") & (national.index != "13421")]
    assert _legend_clear_of_data(fig, drawn)
    assert "0を境にした分位数" in fig.axes[0].get_legend().get_title().get_text()


def test_prefecture_pdf_is_an_a4_page_with_names(national, tmp_path):
    out = tmp_path / "n.pdf"
    assert main(["-q", "map", "aging_rate", "--pref", "長野県", "-o", str(out)]) == 0
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", out.read_bytes())
    width, height = float(box.group(1)), float(box.group(2))
    assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5  # A4 portrait, in points
    nagano = national[national["pref_code"] == "20"]
    fig = printmaps.plot_choropleth(nagano, "aging_rate")
    names = {t.get_text() for t in fig.axes[0].texts}
    assert {"長野市", "松本市"} & names and len(names) >= 30
    assert _legend_clear_of_data(fig, nagano)
    wide = printmaps.plot_choropleth(national[national["pref_code"] == "01"], "aging_rate")
    assert tuple(wide.get_size_inches()) == (11.69, 8.27)  # Hokkaido: landscape


# --- names: one labelling module for print and web ---------------------------------------


def test_place_keeps_every_city_and_drops_crowded_villages():
    from regionlib.outputs import _labels

    # ten names on one spot: the cities must all show (by leader lines), villages give way
    items = [
        _labels.Item(f"c{i}", (30.0, 8.0), [(100.0, 100.0)], must=i < 4, leader=i < 4)
        for i in range(10)
    ]
    placed = _labels.place(items, bounds=(0, 0, 400, 400))
    keys = [p.key for p in placed]
    assert keys[:4] == ["c0", "c1", "c2", "c3"] and len(keys) == 4
    assert placed[0].leader_from is None  # the first sits on its anchor
    assert all(p.leader_from == (100.0, 100.0) for p in placed[1:4])
    boxes = [shapely.box(p.x - 15, p.y - 4, p.x + 15, p.y + 4) for p in placed]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    # an obstacle (the legend) is never covered
    legend = (80.0, 80.0, 120.0, 120.0)
    placed = _labels.place(items[:1], obstacles=[legend], bounds=(0, 0, 400, 400))
    assert not shapely.box(*legend).intersects(
        shapely.box(placed[0].x - 15, placed[0].y - 4, placed[0].x + 15, placed[0].y + 4)
    )


def test_priority_cities_then_population():
    import geopandas as gpd

    from regionlib.outputs import _labels

    frame = gpd.GeoDataFrame(
        {
            "name": ["大村", "小市", "中町", "千代田区"],
            "population": [90_000, 20_000, 50_000, 60_000],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
        index=pd.Index(["99001", "99002", "99003", "13101"], name="code"),
    )
    order = _labels.priority(frame)
    assert frame["name"].iloc[order].tolist() == ["千代田区", "小市", "大村", "中町"]
    pts = _labels.anchors(shapely.Polygon([(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)]))
    assert pts and all(
        shapely.Polygon([(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)]).contains(p)
        for p in pts
    )


def _pdf_text(path) -> str:
    pypdf = pytest.importorskip("pypdf")
    return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


@pytest.mark.slow
@pytest.mark.parametrize("pref", ["20", "01"])
def test_every_city_named_in_the_pdf_text(mirror_dir, tmp_path, pref):
    from regionlib.data import table

    frame = table.load_table(["aging_rate"], prefectures=[pref])
    fig = printmaps.plot_choropleth(frame, "aging_rate", page="A4", north_arrow=True)
    path = printmaps.save_figure(fig, tmp_path / "m.pdf")
    text = _pdf_text(path)
    cities = [n for n in frame["name"] if n.endswith("市")]
    assert len(cities) == {"20": 19, "01": 35}[pref]
    assert [c for c in cities if c not in text] == []
    if pref == "01":  # 北方領土 drawn and named, without statistics
        assert "北方領土" in text
        assert "北方領土（統計なし）" in _legend_labels(fig)
    # the same map gives the same bytes
    again = printmaps.save_figure(
        printmaps.plot_choropleth(frame, "aging_rate", page="A4", north_arrow=True),
        tmp_path / "again.pdf",
    )
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.slow
def test_tokyo_insets_show_and_name_every_island(mirror_dir):
    from regionlib.data import table

    frame = table.load_table(["aging_rate"], prefectures=["13"])
    fig = printmaps.plot_choropleth(frame, "aging_rate", page="A4")
    ax = fig.axes[0]
    islands = [
        "大島町",
        "利島村",
        "新島村",
        "神津島村",
        "三宅村",
        "御蔵島村",
        "八丈町",
        "青ヶ島村",
        "小笠原村",
    ]
    insets = ax.child_axes
    named = {t.get_text() for iax in insets for t in iax.texts}
    assert set(islands) <= named
    # each island is drawn in a panel, and no panel covers the main land
    drawn = [c for iax in insets for c in iax._rl_panel.mask.nonzero()[0]]
    assert sorted(frame.index[drawn]) == sorted(frame.index[frame["name"].isin(islands)])
    main = frame.to_crs(settings.area_crs)
    main = main[~main["name"].isin(islands)]
    renderer = fig.canvas.get_renderer()
    for iax in insets:
        box = printmaps._data_box(ax, iax.get_window_extent(renderer))
        assert not main.geometry.intersects(box).any(), iax.get_title()
    # every 市 and special ward of the main map is named there
    main_names = {t.get_text() for t in ax.texts}
    assert {n for n in main["name"] if n.endswith(("市", "区"))} <= main_names


def test_small_multiples_fill_their_cells_on_a_page(grid):
    frame = grid.assign(**{"aging_rate@2015": grid["x"], "aging_rate@2020": grid["x"] + 1})
    fig = printmaps.plot_small_multiples(frame, "aging_rate", [2015, 2020], page="A4")
    assert tuple(fig.get_size_inches()) in ((8.27, 11.69), (11.69, 8.27))
    first, second = fig.axes
    # one scale: the same span per inch in every panel, and the panel's data fill its cell
    w = first.get_position().width * fig.get_size_inches()[0]
    assert first.get_xlim() == second.get_xlim()
    bounds = printmaps._prepare(frame, 0.002).total_bounds
    x0, x1 = first.get_xlim()
    y0, y1 = first.get_ylim()
    assert (bounds[2] - bounds[0]) / (x1 - x0) > 0.99 or (bounds[3] - bounds[1]) / (y1 - y0) > 0.99
    assert w > 3.0
    # one scale bar (its km label) for all panels
    assert sum(t.get_text().endswith(" km") for t in fig.texts) == 1


# --------------------------------------------------------------------------- derived cache


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """An empty cache folder: what the print maps keep there is seen file by file."""
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    return tmp_path / "cache" / "derived"


def _kept(folder, kind: str) -> int:
    return len(list(folder.glob(f"{kind}-*.parquet")))


def _same_shapes(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return len(a) == len(b) and bool(
        (shapely.get_num_coordinates(a) == shapely.get_num_coordinates(b)).all()
        and (shapely.get_coordinates(a) == shapely.get_coordinates(b)).all()
    )


def test_prepared_shapes_come_back_from_the_cache_unchanged(grid, own_cache):
    from geopandas.testing import assert_geodataframe_equal

    from regionlib.outputs._simplify import simplify_coverage

    first = printmaps._prepare(grid, 0.01)
    again = printmaps._prepare(grid, 0.01)  # read back
    assert _kept(own_cache, "print-shapes") == 1
    assert_geodataframe_equal(first, again)
    assert _same_shapes(first.geometry, again.geometry)
    # the shapes every print map drew before the cache: simplified, then projected
    expected = simplify_coverage(grid.geometry.to_numpy(), 0.01)
    expected = grid.set_geometry(expected, crs=grid.crs).to_crs(settings.area_crs)
    assert_geodataframe_equal(again, expected)
    assert _same_shapes(again.geometry, expected.geometry)
    # a moved vertex, another tolerance or another CRS: another product
    moved = grid.copy()
    moved.loc["01001", "geometry"] = shapely.box(139.0, 35.0, 139.1, 35.1001)
    assert not _same_shapes(printmaps._prepare(moved, 0.01).geometry, again.geometry)
    printmaps._prepare(grid, 0.02)
    printmaps._prepare(grid.to_crs(4326), 0.01)
    assert _kept(own_cache, "print-shapes") == 4


def test_prefecture_outlines_and_insets_come_back_from_the_cache(grid, own_cache):
    frame = printmaps._prepare(grid, None)
    first = printmaps._group_outlines(frame, "prefecture")
    again = printmaps._group_outlines(frame, "prefecture")
    expected = frame.dissolve("prefecture").boundary
    assert list(again.index) == list(expected.index) == ["北海道", "青森県"]
    assert _same_shapes(first, expected) and _same_shapes(again, expected)
    # regrouped municipalities: other outlines
    moved = frame.assign(prefecture=np.where(frame.index == "01003", "北海道", frame["prefecture"]))
    assert not _same_shapes(printmaps._group_outlines(moved, "prefecture"), again)
    assert _kept(own_cache, "print-outlines") == 2

    # a far island goes to an inset; kept and read back as built
    far = grid.copy()
    far.loc["01017", "geometry"] = shapely.box(139.0, 33.0, 139.05, 33.05)
    frame = printmaps._prepare(far, None)
    from regionlib.outputs._islands import _GROUP_KM_REGIONAL, _island_groups

    insets = printmaps.default_insets(frame)
    assert insets == {"島村": ["01017"]}
    panels = _island_groups(frame, "島村", ["01017"], group_km=_GROUP_KM_REGIONAL)
    printmaps._inset_panels(frame, "auto", "prefecture")
    kept_mask, kept_panels = printmaps._inset_panels(frame, "auto", "prefecture")
    assert _kept(own_cache, "print-insets") == 1
    assert list(frame.index[kept_mask]) == ["01017"]
    assert [(p.title, p.extent, p.inset) for p in kept_panels] == [
        (p.title, p.extent, p.inset) for p in panels
    ]
    assert all((a.mask == b.mask).all() for a, b in zip(kept_panels, panels, strict=True))
    assert kept_panels[0].title == "島村"
    # a renamed island: another product, with its new title
    renamed = frame.assign(name=frame["name"].replace({"島村": "新島村"}))
    assert printmaps._inset_panels(renamed, "auto", "prefecture")[1][0].title == "新島村"
    # insets given as a mapping are worked out, not kept
    _, own = printmaps._inset_panels(frame, {"北の島": ["01017", "01016"]}, "prefecture")
    assert [p.inset for p in own] == ["北の島"] * 2 and _kept(own_cache, "print-insets") == 2


def test_shapes_drawn_as_geopandas_draws_them(grid):
    """One collection of the paths and styles geopandas draws: polygons, holes, lines."""
    from matplotlib.figure import Figure

    holed = shapely.Polygon(
        [(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 2), (2, 2), (2, 1)]]
    )  # a hole, clockwise as given
    multi = shapely.MultiPolygon([shapely.box(5, 0, 6, 1), shapely.box(7, 0, 9, 2)])
    shapes = gpd_series([holed, multi, shapely.box(0, 5, 1, 6)])
    lines = shapes.boundary
    ours, theirs = Figure().add_subplot(), Figure().add_subplot()
    style = {"facecolor": np.array(["#ff0000", "#00ff00", "#0000ff"]), "edgecolor": "#8c8c8c"}
    printmaps._plot_shapes(ours, shapes, linewidth=0.3, **style)
    shapes.plot(ax=theirs, color=style["facecolor"], edgecolor="#8c8c8c", linewidth=0.3)
    printmaps._plot_shapes(ours, lines, color="#222222", linewidth=0.5, linestyle=(0, (3, 2)))
    lines.plot(ax=theirs, color="#222222", linewidth=0.5, linestyle=(0, (3, 2)))
    assert len(ours.collections) == len(theirs.collections) == 2
    for a, b in zip(ours.collections, theirs.collections, strict=True):
        assert len(a.get_paths()) == len(b.get_paths())
        for p, q in zip(a.get_paths(), b.get_paths(), strict=True):
            assert (p.vertices == q.vertices).all()
            assert (p.codes is None and q.codes is None) or (p.codes == q.codes).all()
        for attr in ("get_facecolor", "get_edgecolor", "get_linewidth", "get_linestyle"):
            assert np.array_equal(
                np.asarray(getattr(a, attr)(), dtype=object),
                np.asarray(getattr(b, attr)(), dtype=object),
            )
    assert (ours.dataLim.get_points() == theirs.dataLim.get_points()).all()
    # anything else (points) is left to geopandas
    points = gpd_series([shapely.Point(0, 0), shapely.Point(1, 1)])
    printmaps._plot_shapes(ours, points, color="#000000")
    assert len(ours.collections) == 3


def gpd_series(geoms):
    import geopandas as gpd

    return gpd.GeoSeries(geoms, crs=settings.area_crs)


def test_inset_places_come_back_from_the_cache(grid, own_cache):
    far = grid.copy()
    far.loc["01017", "geometry"] = shapely.box(139.0, 33.0, 139.05, 33.05)
    frame = printmaps._prepare(far, None)
    _, panels = printmaps._inset_panels(frame, "auto", "prefecture")
    land = frame.geometry.to_numpy()[:-1]
    limits = (*frame.total_bounds[[0, 2]], *frame.total_bounds[[1, 3]])
    first = printmaps._inset_spots(panels, land, (7.0, 9.0), limits)
    assert first is not None and len(first) == 1
    assert printmaps._inset_spots(panels, land, (7.0, 9.0), limits) == first
    assert _kept(own_cache, "print-inset-spots") == 1
    # the place is in free sea: its box (with the title band) touches no land
    x, y, w, h = first[0]
    (x0, x1), (y0, y1), (ax_w, ax_h) = limits[:2], limits[2:], (7.0, 9.0)
    box = shapely.box(
        x0 + x / ax_w * (x1 - x0),
        y0 + y / ax_h * (y1 - y0),
        x0 + (x + w) / ax_w * (x1 - x0),
        y0 + (y + h + printmaps._TITLE_GAP) / ax_h * (y1 - y0),
    )
    assert not shapely.intersects(land, box).any()
    # other land or another page size: searched again
    printmaps._inset_spots(panels, land[1:], (7.0, 9.0), limits)
    printmaps._inset_spots(panels, land, (6.0, 9.0), limits)
    assert _kept(own_cache, "print-inset-spots") == 3


def test_pyramids_and_figures_do_not_import_the_map_machinery():
    import subprocess
    import sys

    code = (
        "import sys; from regionlib.outputs import _figure, pyramid; "
        "print(sorted(m for m in ('geopandas', 'pyogrio', 'regionlib.outputs.printmaps') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    from regionlib.outputs import _figure

    assert printmaps.save_figure is _figure.save_figure  # the public name stays


@pytest.mark.parametrize("command_line", [True, False])
def test_setter_docs_skipped_only_in_a_command(command_line):
    import subprocess
    import sys

    code = (
        "from regionlib import settings\n"
        f"settings._command_line = {command_line}\n"
        "import matplotlib.artist as artist\n"
        "from regionlib.outputs import _figure\n"
        "from matplotlib.lines import Line2D\n"
        "print(artist.kwdoc.__name__)\n"
        "print('alpha: ' in (Line2D.set.__doc__ or ''))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "kwdoc"  # matplotlib's own function is back after the import
    assert out[1] == str(not command_line)  # the full docstring outside a command


def test_near_groups_are_single_linkage_groups():
    """Island groups: the groups scipy's single linkage cut at the same distance gives."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from regionlib.outputs._islands import near_groups

    rng = np.random.default_rng(7)
    for _ in range(50):
        xy = rng.uniform(0, 1000, (int(rng.integers(2, 300)), 2))
        gap = float(rng.uniform(5, 150))
        expected = fcluster(linkage(xy, "single"), gap, criterion="distance")
        got = near_groups(shapely.points(xy), gap)
        pairs = set(zip(expected.tolist(), got.tolist(), strict=True))
        assert len(pairs) == len(set(expected)) == len(set(got))  # the same partition
        assert got[0] == 0 and set(got) == set(range(len(set(got))))
    # a chain of gaps just under the distance is one group; one gap over splits it
    line = shapely.points(np.column_stack([np.arange(5) * 10.0, np.zeros(5)]))
    assert near_groups(line, 10.0).tolist() == [0] * 5
    assert near_groups(line, 9.9).tolist() == [0, 1, 2, 3, 4]
    assert near_groups(np.array([], dtype=object), 1.0).tolist() == []
