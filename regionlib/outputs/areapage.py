"""Area profiles: one offline page per area (圏域), its members listed and mapped.

An area's page shows its members (listed, and mapped among their neighbours), its indicators
aggregated by rule (:func:`regionlib.analysis.areas.aggregate`) with the rank among areas of the
same kind and their median, the national value, how its members spread (lowest, median,
highest member), its series through the years beside the national series, and its
population futures (:func:`regionlib.outputs.pyramid.area_futures`: the members' pyramid
summed, regionlib's own projection summed to 2050, each member's 消滅可能性 class). Areas of a
reference grouping or a region proposal are ranked among their set; a planner's own areas
among themselves when there are ten or more, else among the 258 commuting zones of 2020
with themselves added.

The pages render from ``area.html.j2`` with the shared macros and style of the municipality
profile; :meth:`AreaProfile.save` writes ``.html`` or the numbers as ``.xlsx``.

Examples
--------
>>> from regionlib.analysis import areas
>>> from regionlib.outputs import areapage
>>> a = areas.load_areas("札幌圏=札幌市,江別市,北広島市,石狩市,当別町,新篠津村")  # doctest: +SKIP
>>> areapage.area_profile(a, "札幌圏").save("札幌圏.html")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib.analysis import areas as _areas
from regionlib.outputs._mapstyle import fmt

__all__ = [
    "AREA_INDICATORS",
    "SERIES",
    "AreaContext",
    "AreaProfile",
    "area_profile",
    "area_profiles",
    "build_area_context",
    "futures_datasets",
    "prepare",
    "render_pages",
    "write_area_pages",
]

#: Indicators of an area's page, in this order.
AREA_INDICATORS: tuple[str, ...] = (
    "population_2020",
    "population_change_2015_2020",
    "aging_rate",
    "elderly_75_share",
    "child_share",
    "working_age_share",
    "density_habitable",
    "primary_share",
    "tertiary_share",
    "unemployment_rate",
    "income_per_taxpayer",
    "doctors_per_10k",
    "social_change_rate",
    "natural_change_rate",
    "fiscal_strength_index",
)
#: Series drawn through the years: (title, indicator).
SERIES: tuple[tuple[str, str], ...] = (
    ("住民基本台帳人口（人）", "population_registered"),
    ("社会増減率（‰）", "social_change_rate"),
    ("高齢化率（%）", "aging_rate"),
)
#: A set of fewer areas is compared with the 2020 commuting zones.
MIN_SET = 10
_REFERENCE = "commuting-zones-2020"


def _series_requests() -> list[str]:
    from regionlib.data import indicators

    return [f"{name}@{y}" for _, name in SERIES for y in indicators.years(name)]


@dataclass
class AreaContext:
    """What every area page of one set shares: the municipality table and the aggregates.

    Attributes
    ----------
    table
        The municipality table the areas are aggregated from.
    areas
        The set of areas.
    values
        One row per area: the aggregated indicators.
    comparison, comparison_kind
        The areas each area is ranked among, and what they are.
    national
        The national values, aggregated the same way.
    info
        What :func:`regionlib.analysis.areas.aggregate` put in ``values.attrs``.
    """

    table: pd.DataFrame
    areas: _areas.Areas
    values: pd.DataFrame
    comparison: pd.DataFrame
    comparison_kind: str
    national: pd.Series
    #: what :func:`regionlib.analysis.areas.aggregate` put in ``values.attrs`` (kept apart:
    #: pandas deep-copies attrs on every column read)
    info: dict = field(default_factory=dict)
    #: what every page of the set shares, worked out once (columns, positions, projected shapes)
    _memo: dict = field(default_factory=dict, repr=False)


@functools.cache
def _base_table():
    from regionlib.data import table

    return table.load_table([*AREA_INDICATORS, *_series_requests()])


def build_area_context(areas: _areas.Areas, *, table: pd.DataFrame | None = None) -> AreaContext:
    """Aggregate a set of areas once for all its pages.

    Parameters
    ----------
    areas
        The areas (:func:`regionlib.analysis.areas.load_areas`).
    table
        Municipality table with geometry and the page's indicators; default loaded.

    Returns
    -------
    AreaContext
        Shared by :func:`area_profiles`.
    """
    table = _base_table() if table is None else table
    columns = [c for c in [*AREA_INDICATORS, *_series_requests()] if c in table.columns]
    values = _areas.aggregate(table, areas, indicators=columns)
    if len(areas) >= MIN_SET or areas.kind != "ユーザー定義":
        comparison, kind = values, areas.kind
    else:
        reference = _areas.reference_areas(_REFERENCE)
        others = _areas.aggregate(table, reference, indicators=columns)
        others = others.drop(index=[a for a in values.index if a in others.index])
        comparison = pd.concat([others, values])
        kind = f"{reference.kind}と比較"
    nation = _areas.aggregate(table, {"全国": list(table.index)}, indicators=columns)
    info = values.attrs
    table = table.copy(deep=False)
    for frame in (table, values, comparison):
        frame.attrs = {}
    return AreaContext(table, areas, values, comparison, kind, nation.iloc[0], info)


@dataclass
class AreaProfile:
    """Everything one area's page shows (see :func:`area_profile`).

    Attributes
    ----------
    name, kind
        The area and the kind of its set.
    data
        The page content as plain data (what the templates render).
    cited
        The sources the page cites.
    make_tables
        Builds :attr:`tables` when first asked for (None: no tables).
    """

    name: str
    kind: str
    data: dict
    cited: list = field(default_factory=list)
    #: builds :attr:`tables` when first asked for (the atlas renders hundreds of pages)
    make_tables: Callable[[], dict] | None = field(default=None, repr=False)

    @functools.cached_property
    def tables(self) -> dict:
        """The page's numbers as tables (sheet name -> table), as :meth:`save` writes them."""
        return self.make_tables() if self.make_tables is not None else {}

    def to_html(
        self,
        *,
        links: Mapping[str, str] | None = None,
        nav: Sequence[Mapping[str, str]] | None = None,
    ) -> str:
        """Return the page as one self-contained HTML document (no request when opened).

        Parameters
        ----------
        links
            Municipality code -> relative URL of its page; default no links.
        nav
            Breadcrumb links (``{"href": …, "label": …}``) shown at the top; default none.

        Returns
        -------
        str
            The HTML document.
        """
        from regionlib.outputs.report import render_template

        return render_template(
            "area.html.j2", a=self, d=self.data, links=dict(links or {}), nav=nav
        )

    def save(self, path: str | Path) -> Path:
        """Write the page (``.html``) or its numbers (``.xlsx``) atomically; return the path.

        Parameters
        ----------
        path
            The file to write, ``.html`` or ``.xlsx``.

        Returns
        -------
        Path
            The path written.
        """
        from regionlib.outputs.report import save_page

        return save_page(self, path, datasets=self.data.get("datasets", []), what="area profile")


def _reason(context: AreaContext, name: str, area: str) -> str:
    return context.info["missing_reasons"].get(name, {}).get(area, "値がない")


def _decimals(values: np.ndarray) -> int:
    from regionlib.outputs._mapstyle import decimals_for

    finite = values[np.isfinite(values)]
    if len(finite) and (np.abs(finite) >= 1000).all():
        return 0
    return decimals_for(finite)


def _columns(context: AreaContext) -> dict:
    """Per indicator, once per context: members' values, sorted comparison values, decimals."""
    if "columns" not in context._memo:
        from regionlib.data import indicators
        from regionlib.outputs.report import _year

        out = {}
        for name in AREA_INDICATORS:
            if name not in context.values.columns:
                continue
            entry = indicators.info(name)
            others = context.comparison[name].to_numpy(dtype=float)
            ok = np.sort(others[np.isfinite(others)])
            members = context.table[name].to_numpy(dtype=float)
            decimals = _decimals(ok if len(ok) else members)
            out[name] = {
                "entry": entry,
                "year": _year(entry.year, fiscal=entry.group == "fiscal"),
                "sorted": ok,
                "decimals": decimals,
                "median": fmt(float(np.median(ok)), decimals) if len(ok) else "",
                "national": fmt(float(context.national[name]), decimals),
                "members": members,
            }
        context._memo["columns"] = out
        context._memo["pos"] = {c: i for i, c in enumerate(context.table.index)}
        context._memo["names"] = context.table["name"].to_numpy(dtype=object)
    return context._memo["columns"]


def _indicator_rows(context: AreaContext, area: str) -> list[dict]:
    columns = _columns(context)
    pos = context._memo["pos"]
    at = np.array([pos[c] for c in context.info["members"][area]])
    names = context._memo["names"][at]
    rows = []
    for name, col in columns.items():
        entry, ok, decimals = col["entry"], col["sorted"], col["decimals"]
        value = float(context.values.at[area, name])
        finite = np.isfinite(value)
        row = {
            "name": name,
            "label": entry.label,
            "unit": entry.unit,
            "year": col["year"],
            "value": fmt(value, decimals),
            "raw": value,
            "missing": not finite,
            "reason": "" if finite else _reason(context, name, area),
            "rank": int(len(ok) - np.searchsorted(ok, value, side="right") + 1) if finite else "",
            "n": len(ok),
            "median": col["median"],
            "national": col["national"],
            "low": "",
            "mid": "",
            "high": "",
        }
        member_values = col["members"][at]
        good = np.isfinite(member_values)
        if good.sum() > 1:
            v, n = member_values[good], names[good]
            lo, hi = int(np.argmin(v)), int(np.argmax(v))
            row["low"] = f"{fmt(v[lo], decimals)}（{n[lo]}）"
            row["high"] = f"{fmt(v[hi], decimals)}（{n[hi]}）"
            row["mid"] = fmt(float(np.median(v)), decimals)
        rows.append(row)
    return rows


def _charts(context: AreaContext, area: str) -> list[dict]:
    """Return the area's series beside the nation's (computed alike), one chart each."""
    from regionlib.data import indicators
    from regionlib.outputs.report import _chart

    charts = []
    for title, name in SERIES:
        points, national = [], []
        for year in indicators.years(name):
            column = f"{name}@{year}"
            if column in context.values.columns:
                points.append((year, float(context.values.at[area, column])))
                national.append((year, float(context.national[column])))
        keep = [i for i, (_, v) in enumerate(points) if np.isfinite(v)]
        if len(keep) >= 2:
            unit = indicators.info(name).unit
            lines = [
                ("own", area, [points[i] for i in keep]),
                ("national", "全国", [national[i] for i in keep]),
            ]
            chart = _chart(title.split("（")[0], unit, lines)
            chart["change"] = None  # the change is read off the chart's labelled ends
            charts.append(chart)
    return charts


def prepare(context: AreaContext) -> None:
    """Build what every page of a set shares (columns, projected shapes) before forking.

    Parameters
    ----------
    context
        The shared context of the set's pages; filled in place.
    """
    from regionlib.outputs import pyramid

    _columns(context)
    _projected(context)
    pyramid.prepare_futures()


def _projected(context: AreaContext):
    import shapely

    from regionlib import settings

    if "projected" not in context._memo:
        geoms = context.table.geometry.to_crs(settings.area_crs)
        context._memo["projected"] = (geoms, shapely.STRtree(geoms.to_numpy()))
    return context._memo["projected"]


def _map(context: AreaContext, members: list[str]) -> dict:
    """Members and their neighbours within a frame around the members (inline SVG paths).

    Each shape is simplified below a pixel of the frame on its own (a coverage simplification
    per page would cost seconds; sub-pixel slivers between neighbours do not show).
    """
    import shapely

    from regionlib.outputs.report import _frame, _rings_path

    geoms, tree = _projected(context)
    own = geoms.loc[members]
    minx, miny, maxx, maxy = own.total_bounds
    pad = 0.12 * max(maxx - minx, maxy - miny, 20_000)
    bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    box = shapely.box(*bounds)
    near = np.sort(tree.query(box, predicate="intersects"))
    transform, w, h, scale = _frame(bounds, width=520, max_height=420)
    simple = shapely.simplify(geoms.to_numpy()[near], 0.7 / scale, preserve_topology=True)
    inside = set(members)
    shapes = []
    for code, geom in zip(geoms.index[near], simple, strict=True):
        d = _rings_path(geom if box.contains(geom) else geom.intersection(box), transform)
        if d:
            name = context.table.at[code, "name"]
            shapes.append({"code": code, "name": name, "d": d, "kind": "target" * (code in inside)})
    shapes.sort(key=lambda s: s["kind"] == "target")  # members drawn last, on top
    return {"width": w, "height": h, "shapes": shapes}


def area_profiles(
    areas: _areas.Areas,
    *,
    names: Sequence[str] | None = None,
    context: AreaContext | None = None,
    maps: bool = True,
) -> list[AreaProfile]:
    """Gather the pages of the areas ``names`` of a set (default all).

    Parameters
    ----------
    areas
        The set of areas.
    names
        Areas to make pages for; default every area of the set.
    context
        Aggregates shared with other calls (:func:`build_area_context`).
    maps
        Draw the members' map.

    Returns
    -------
    list of AreaProfile
        One page per area.
    """
    from regionlib.outputs._mapstyle import credit_lines

    context = build_area_context(areas) if context is None else context
    table = context.table
    used = [n for n in AREA_INDICATORS if n in context.values.columns]
    used += [name for _, name in SERIES]
    used = list(dict.fromkeys(used))
    pages = []
    for area in areas.select(names).members if names is not None else areas.members:
        members = context.info["members"][area]
        rows = _indicator_rows(context, area)
        member_rows = [
            {
                "code": c,
                "name": table.at[c, "name"],
                "prefecture": table.at[c, "prefecture"],
                "population": fmt(float(table.at[c, "population_2020"]), 0)
                if "population_2020" in table.columns
                else "",
            }
            for c in members
        ]
        flags = {
            name: why[area]
            for name, why in context.info["flags"].items()
            if area in why and name in used
        }
        futures = _futures(members, table)
        datasets = futures_datasets() if futures is not None else []
        data = {
            "kind": areas.kind,
            "source": areas.source,
            "comparison_kind": context.comparison_kind,
            "n_comparison": len(context.comparison),
            "members": member_rows,
            "indicators": rows,
            "charts": _charts(context, area),
            "map": _map(context, members) if maps else None,
            "flags": [f"{_label(n)}：{w}" for n, w in flags.items()],
            "futures": futures,
            "datasets": datasets,
            "credits": credit_lines(used, datasets=datasets),
        }
        pages.append(
            AreaProfile(
                area,
                areas.kind,
                data,
                cited=used,
                make_tables=functools.partial(_tables, area, rows, member_rows, context, futures),
            )
        )
    return pages


def _futures(members: list[str], table: pd.DataFrame) -> dict | None:
    """Return the area's pyramid and projection (:func:`regionlib.outputs.pyramid.area_futures`)."""
    from regionlib.outputs import pyramid

    return pyramid.area_futures(members, names=table["name"])


def futures_datasets() -> list[str]:
    """Return the register's age tables an area page's futures section shows (its credits).

    Those of a municipality profile's section (pyramid years and projection base) and those
    of the base period of the members' 消滅可能性 classes.

    Returns
    -------
    list of str
        Registry dataset names.
    """
    from regionlib.data import population
    from regionlib.outputs import pyramid
    from regionlib.outputs.report import FUTURES_DATASETS

    classes = [population.dataset_name("japanese", y) for y in pyramid.CLASS_BASE]
    return list(dict.fromkeys([*FUTURES_DATASETS, *classes]))


def _label(name: str) -> str:
    from regionlib.data import indicators

    return indicators.info(name).label


def _tables(
    area: str,
    rows: list[dict],
    members: list[dict],
    context: AreaContext,
    futures: dict | None = None,
) -> dict:
    head = {
        "label": "指標",
        "raw": "値",
        "unit": "単位",
        "year": "年",
        "rank": "順位",
        "n": "比較した圏域の数",
        "median": "比較した圏域の中央値",
        "national": "全国",
        "low": "構成市区町村の最小",
        "mid": "構成市区町村の中央値",
        "high": "構成市区町村の最大",
        "reason": "値がない理由",
    }
    indicators_sheet = pd.DataFrame([{v: r[k] for k, v in head.items()} for r in rows])
    member_sheet = pd.DataFrame(members).rename(
        columns={
            "code": "コード",
            "name": "市区町村",
            "prefecture": "都道府県",
            "population": "人口",
        }
    )
    series = context.values.loc[[area], [c for c in context.values.columns if "@" in c]].T
    series = series.reset_index().rename(columns={"index": "指標@年", area: "値"})
    out = {"指標": indicators_sheet, "構成市区町村": member_sheet, "推移": series}
    if futures is not None:  # regionlib's own projection, summed over the members
        years = pd.DataFrame(futures["years"])
        out["将来推計"] = pd.DataFrame(
            {
                "年": years["year"],
                "推計人口": years["persons"],
                "20～39歳女性": years["women_persons"],
                "推計": "regionlib 独自のコーホート変化率法（基準 2017→2022年、移動あり）。"
                "社人研の公式推計ではありません",
            }
        )
        from regionlib.data import population

        counts = pd.DataFrame(futures["counts"])
        counts["band"] = counts["band"].map(population.band_label)
        out["人口ピラミッド"] = counts.rename(
            columns={"year": "年", "band": "年齢", "male": "男性", "female": "女性"}
        )
    return out


def area_profile(
    areas: _areas.Areas, name: str | None = None, *, context: AreaContext | None = None
) -> AreaProfile:
    """Gather the page of one area.

    Parameters
    ----------
    areas
        The set the area belongs to (it is ranked among the set, or among commuting zones).
    name
        The area; default the only area of ``areas``.
    context
        Shared aggregates (:func:`build_area_context`).

    Returns
    -------
    AreaProfile
        Write it with :meth:`AreaProfile.save`.
    """
    if name is None:
        if len(areas) != 1:
            msg = (
                f"{areas.source}: 地域が {len(areas)} 個あります。1 つを指定してください（{', '.join(list(areas)[:5])} …） / "
                f"{areas.source}: {len(areas)} areas; name one ({', '.join(list(areas)[:5])} …)"
            )
            raise _areas.AreaError(msg)
        name = next(iter(areas))
    return area_profiles(areas, names=[name], context=context)[0]


def render_pages(
    areas: _areas.Areas,
    folder: Path,
    *,
    names: Sequence[str] | None = None,
    context: AreaContext | None = None,
    links: Mapping[str, str] | None = None,
    nav: Sequence[Mapping[str, str]] = (),
) -> list[dict]:
    """Write one page per area into ``folder`` (which exists); return the index entries.

    Pages are named by the area's position in the set (``001.html`` …) so that any area name
    makes a valid file name; ``names`` picks some areas (ranked among the whole set);
    ``links`` maps municipality codes to their pages, relative to ``folder``.

    Parameters
    ----------
    areas
        The set of areas.
    folder
        The folder the pages are written into (it exists).
    names
        Only these areas (default all).
    context
        The shared context (built when not given).
    links
        Municipality code -> its page, relative to ``folder``.
    nav
        Breadcrumb links shown before each page's own name.

    Returns
    -------
    list of dict
        One index entry per page written.
    """
    context = build_area_context(areas) if context is None else context
    entries = []
    number = {a: i for i, a in enumerate(areas.members, start=1)}
    for page in area_profiles(areas, names=names, context=context):
        i = number[page.name]
        href = f"{i:03d}.html"
        crumbs = [*nav, {"href": href, "label": page.name}]
        (folder / href).write_text(page.to_html(links=links, nav=crumbs), encoding="utf-8")
        population = context.values.at[page.name, "population_2020"]
        entries.append(
            {
                "href": href,
                "name": page.name,
                "n": len(page.data["members"]),
                "population": fmt(float(population), 0),
            }
        )
    return entries


def write_area_pages(
    areas: _areas.Areas, folder: str | Path, *, overwrite: bool = False
) -> list[Path]:
    """Write a folder of area pages: ``index.html`` listing the areas, one page per area.

    The folder is written atomically (nothing half-written on failure); an existing folder
    holding other files is refused unless ``overwrite``.

    Parameters
    ----------
    areas
        The areas (a region proposal, a file of areas, a reference grouping).
    folder
        The folder to write.
    overwrite
        Replace a folder that holds files regionlib did not write.

    Returns
    -------
    list of pathlib.Path
        The pages written (index first).
    """
    from regionlib._write import atomic_directory
    from regionlib.outputs._mapstyle import credit_lines
    from regionlib.outputs.report import render_template

    with atomic_directory(folder, overwrite=overwrite) as tmp:
        entries = render_pages(areas, tmp, nav=[{"href": "index.html", "label": areas.kind}])
        html = render_template(
            "area_index.html.j2",
            title=f"{areas.kind}（{len(areas)}圏域）",
            entries=entries,
            nav=None,
            credits=credit_lines(["population_2020"]),
        )
        (tmp / "index.html").write_text(html, encoding="utf-8")
    folder = Path(folder)
    return [folder / "index.html", *(folder / e["href"] for e in entries)]
