"""Municipality profiles: one offline page per municipality, from the same analyses as the CLI.

:func:`profile` gathers what a planner asks about one municipality: the headline indicators
with their national and prefectural rank and percentile and the peers' median; how they
changed; its most similar municipalities exactly as ``regionlib peers`` finds them (and on
which indicators); its cluster with the Japanese description; the proposed wide-area region it
falls in and the region's members; its LISA category; a locator map and a map of its
prefecture; and the credit lines of every source. :meth:`Profile.to_html` renders it as one
self-contained page (inline SVG maps and charts, no request when opened) from the jinja2
templates in ``regionlib/outputs/templates``, with print CSS for A4.

The national analyses (clusters, regions, LISA) are computed once per table and kept in the
derived cache, so a second profile of the same table takes well under a second.

Examples
--------
>>> import regionlib as rl
>>> page = rl.report.profile(None, "夕張市")  # doctest: +SKIP
>>> page.save("夕張市.html")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib import settings
from regionlib._errors import RegionlibError, UnknownNameError
from regionlib._log import collect_warnings, log
from regionlib.data import _cache
from regionlib.outputs._mapstyle import fmt

__all__ = [
    "HEADLINE_INDICATORS",
    "Context",
    "Profile",
    "build_context",
    "profile",
    "render",
    "resolve",
]

#: indicators of the headline table, in this order (those in the table are shown)
HEADLINE_INDICATORS: tuple[str, ...] = (
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
    "fiscal_strength_index",
    "income_per_taxpayer",
    "doctors_per_10k",
)
#: the headline cards of the first screen: (indicator, where its change comes from: a
#: series indicator, an indicator that is the change in %, or None)
CARDS: tuple[tuple[str, str | None], ...] = (
    ("population_2020", "population_change_2015_2020"),
    ("aging_rate", "aging_rate"),
    ("child_share", "child_share"),
    ("fiscal_strength_index", "fiscal_strength_index"),
    ("income_per_taxpayer", None),
    ("unemployment_rate", None),
)
#: changes are shown from this year (from a series' first year when it starts later)
START_YEAR = 2015
#: indicators drawn through the years from the series (``regionlib.panel.series``)
SERIES_INDICATORS: tuple[str, ...] = (
    "population_registered",
    "aging_rate",
    "fiscal_strength_index",
    "child_share",
)
#: the good-practice section: outcome indicator and start year
GOOD_PRACTICE = ("population_registered", 2016)
#: indicators whose LISA category is shown
LISA_INDICATORS: tuple[str, ...] = ("aging_rate", "population_change_2015_2020")
_REGION_FLOOR = ("population_2020", 200_000)
_ANALYSES_VERSION = 1  # bump when _analyses changes what it computes
_WARD = re.compile(r"^(?P<city>.+?市)(?P<ward>[^市]+区)$")
_SVG_WIDTH = 560.0


def _table_indicators() -> list[str]:
    from regionlib.data import indicators
    from regionlib.outputs import demo

    names = [
        *HEADLINE_INDICATORS,
        *demo.REGION_INDICATORS,
        *indicators.DEFAULT_INDICATORS,
    ]
    return list(dict.fromkeys(n for n in names if indicators.find(n) is not None))


# --------------------------------------------------------------------------------------------
# context: what every profile of one table shares


@dataclass
class Context:
    """The national analyses every profile of one table shares.

    Attributes
    ----------
    table
        The municipality table (index ``code``, with geometry).
    features
        Prepared features the peers are found on (as ``regionlib peers``).
    peer_indicators
        Indicators of the peers.
    labels
        Per code: ``cluster``, ``cluster_description``, ``region``, ``region_name``, and
        ``lisa_<indicator>`` (Japanese category).
    cluster_sizes
        Municipalities per cluster.
    region_method
        How the regions were proposed, in Japanese.
    reasons
        Indicator -> code -> why the value is missing.
    series
        Indicator -> wide table (code x year) from the series, for the change charts.
    good_practice
        Prepared :class:`regionlib.goodpractice.Inputs` of :data:`GOOD_PRACTICE`, or None.
    notes
        The warnings of the analyses (values left out, islands linked …), said as one line.
    """

    table: pd.DataFrame
    features: object
    peer_indicators: list[str]
    labels: pd.DataFrame
    cluster_sizes: pd.Series
    region_method: str
    reasons: dict = field(default_factory=dict, repr=False)
    series: dict = field(default_factory=dict, repr=False)
    good_practice: object = None
    notes: list = field(default_factory=list)
    #: what every page of the context shares, worked out once (medians, frames, changes)
    _memo: dict = field(default_factory=dict, repr=False)


@functools.cache
def _code_hash() -> str:
    here = Path(__file__).parents[1] / "analysis"
    modules = [here / m for m in ("similarity.py", "features.py", "spatial.py", "proposals.py")]
    modules += sorted((here / "regions").glob("*.py"))
    return "+".join([str(_ANALYSES_VERSION), *(_cache.file_sha256(p) for p in modules)])


def _analyses(table: pd.DataFrame, feats) -> pd.DataFrame:
    """Clusters, regions and LISA categories for every municipality (the slow part).

    The clusters are those of ``regionlib clusters`` on the peers' indicators, from the
    features the peers already prepared (same defaults); the regions those of
    ``regionlib regions`` without their evaluation, which a profile does not show.
    """
    from regionlib.analysis import proposals, similarity, spatial
    from regionlib.outputs import demo

    out = pd.DataFrame(index=table.index)
    result = similarity.cluster_municipalities(feats)
    profiles = similarity.profile_clusters(result)
    labels = result.labels.reindex(table.index)
    out["cluster"] = labels.astype("Int64")
    out["cluster_description"] = labels.map(profiles["description"]).astype(object)
    region_columns = [c for c in demo.REGION_INDICATORS if c in table.columns]
    floor = _REGION_FLOOR if _REGION_FLOOR[0] in table.columns else None
    out["region"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["region_name"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if region_columns and floor is not None and "geometry" in table:
        proposal = proposals.propose_regions(
            table,
            region_columns,
            method="maxp",
            floor=floor,
            population=floor[0],
            evaluation=False,
        )
        out["region"] = proposal.labels.reindex(table.index).astype("Int64")
        out["region_name"] = proposal.region_names.reindex(table.index).astype(object)
    for name in LISA_INDICATORS:
        if name in table.columns and "geometry" in table:
            lisa = spatial.compute_lisa(table, name)
            out[f"lisa_{name}"] = lisa["category_ja"].reindex(table.index).astype(object)
    return out


def _wide(long: pd.DataFrame, names: list[str]) -> dict[str, pd.DataFrame]:
    """Split a long series (code, year, one column per indicator) into code × year tables.

    One reshape for all indicators, without the frame's attrs (pandas deep-copies them at
    every step; the flags these pages show come from the table).
    """
    long = long.copy(deep=False)
    long.attrs = {}
    wide = long.set_index(["code", "year"])[names].unstack("year")
    return {n: wide[n].dropna(axis=1, how="all") for n in names}


def _series_and_good_practice() -> tuple[dict, object]:
    """Return the series of the change charts and the good-practice inputs (empty without data)."""
    from regionlib.analysis import goodpractice
    from regionlib.data import indicators, panel

    names = [n for n in SERIES_INDICATORS if indicators.find(n) is not None]
    series: dict = {}
    if names:
        # "since when": the charts start at START_YEAR too (the register counts all residents
        # from 2013, so no chart crosses its change of definition)
        last = max(max(indicators.years(n)) for n in names)
        series = _wide(panel.series(names, years=list(range(START_YEAR, last + 1))), names)
    prepared = None
    outcome, since = GOOD_PRACTICE
    if indicators.find(outcome) is not None and since in indicators.years(outcome):
        prepared = goodpractice.inputs(outcome, since=since)
    return series, prepared


def build_context(table: pd.DataFrame | None = None) -> Context:
    """Compute the analyses profiles share: peers' features, clusters, regions, LISA.

    Parameters
    ----------
    table
        A table from :func:`regionlib.table.load_table` with geometry; default every
        indicator a profile shows. The peers use the default indicators of
        ``regionlib peers`` that the table holds.

    Returns
    -------
    Context
        Reused by :func:`profile` (the atlas builds it once for all pages).
    """
    from regionlib.analysis import features
    from regionlib.data import indicators

    if table is None:
        from regionlib.data import table as tables

        table = tables.load_table(_table_indicators())
    if "geometry" not in table.columns:
        raise RegionlibError(
            "プロフィールには境界付きの表が必要です / "
            "a profile needs the table with its geometry (load_table(...))"
        )
    peer_indicators = [n for n in indicators.DEFAULT_INDICATORS if n in table.columns]
    if not peer_indicators:
        listed = ", ".join(indicators.DEFAULT_INDICATORS)
        raise RegionlibError(
            f"類似する市区町村を探す既定の指標が表に 1 つもありません: {listed} / "
            f"the table has none of the default indicators the peers are found on: {listed}"
        )
    # peers, clusters, regions, LISA and the series each warn on their own: say one line
    with collect_warnings() as notes:
        feats = features.prepare_features(table, peer_indicators)
        labels = _cache.cached(
            "profile",
            [
                _cache.content_hash(
                    pd.DataFrame(table.drop(columns=[table.geometry.name], errors="ignore"))
                ),
                _code_hash(),
            ],
            {"peers": peer_indicators, "floor": list(_REGION_FLOOR), "lisa": list(LISA_INDICATORS)},
            lambda: _analyses(table, feats),
        )
        series, prepared = _series_and_good_practice()
    if notes:
        log(
            f"the analyses behind the profiles left out or linked values in {len(notes)} ways "
            "(regionlib -v lists them; in Python: Context.notes)",
            level=logging.WARNING,
            ja=f"プロファイルの分析で注意が {len(notes)} 件あります（値の除外など。Context.notes で確認できます）",
        )
    sizes = labels["cluster"].value_counts()
    reasons = dict(table.attrs.get("missing_reasons", {}))
    table = table.copy()
    table.attrs = {}  # pandas deep-copies attrs on every access: keep the reasons aside
    return Context(
        table=table,
        reasons=reasons,
        series=series,
        good_practice=prepared,
        features=feats,
        peer_indicators=peer_indicators,
        labels=labels,
        cluster_sizes=sizes,
        region_method=f"max-p法、1圏あたり人口{_REGION_FLOOR[1]:,}人以上",
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# name resolution


def resolve(table: pd.DataFrame, municipality: str | int) -> str:
    """Return the code of a municipality of ``table``, or raise with candidates.

    A designated-city ward (``札幌市中央区``) is refused with the city to use instead:
    profiles are per municipality.

    Parameters
    ----------
    table
        Table with index ``code`` and ``name``/``prefecture`` columns.
    municipality
        Name, prefecture + name, or 5-digit code.

    Returns
    -------
    str
        The code.

    Raises
    ------
    UnknownNameError, AmbiguousNameError
        With the candidates in the message.
    """
    from regionlib.analysis import similarity

    try:
        return similarity.resolve_code(table, municipality)
    except UnknownNameError:
        match = _WARD.match(str(municipality).strip())
        if match:
            try:
                city = similarity.resolve_code(table, match["city"])
            except RegionlibError:
                city = None
            if city is not None:
                name = f"{table.at[city, 'prefecture']}{table.at[city, 'name']}"
                msg = (
                    f"'{municipality}' は政令指定都市の区です。プロフィールは市区町村ごとなので "
                    f"{name}（{city}）を指定してください / '{municipality}' is a ward of a "
                    f"designated city; profiles are per municipality: use {name} ({city})"
                )
                raise UnknownNameError(msg) from None
        raise


# --------------------------------------------------------------------------------------------
# SVG maps


def _rings_path(geom, transform) -> str:
    import shapely

    parts = []
    for poly in shapely.get_parts(geom):
        if poly.is_empty:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = transform(np.asarray(ring.coords))
            if len(xy) < 3:
                continue
            pts = " ".join(f"{x:.1f} {y:.1f}" for x, y in xy)
            parts.append(f"M{pts}Z")
    return "".join(parts)


def _frame(bounds, width: float = _SVG_WIDTH, max_height: float = 520.0):
    minx, miny, maxx, maxy = bounds
    scale = min(width / max(maxx - minx, 1.0), max_height / max(maxy - miny, 1.0))
    w, h = (maxx - minx) * scale, (maxy - miny) * scale

    def transform(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - minx) * scale, (maxy - xy[:, 1]) * scale])

    return transform, w, h, scale


def _main_bounds(geoms) -> tuple[float, float, float, float]:
    """Bounds of the municipalities of the largest group (far islands left out of the frame)."""
    import shapely

    from regionlib.outputs._islands import near_groups

    if len(geoms) < 3:
        return tuple(geoms.total_bounds)
    group = near_groups(shapely.centroid(np.asarray(geoms)), 120e3)
    largest = np.bincount(group).argmax()
    return tuple(geoms[group == largest].total_bounds)


#: The frame of a national SVG map in ``settings.area_crs`` (metres): the four main islands
#: and the islands near them (五島 inside; 奄美, 沖縄 and 小笠原 outside).
_NATIONAL_FRAME = (-1_000_000, -650_000, 1_000_000, 1_000_000)


def _svg_paths(
    geoms, bounds, *, width: float = _SVG_WIDTH, max_height: float = 520.0, pixel: float = 0.8
) -> tuple[list[str], object, float, float]:
    """SVG paths of projected municipalities in a frame around ``bounds``.

    The shapes are simplified together as a coverage below ``pixel`` pixels (neighbours keep
    their shared border) and clipped to the frame. Returns the paths in the order of ``geoms``,
    the transform from projected coordinates to pixels, and the frame's width and height.
    """
    import shapely

    from regionlib.outputs._simplify import simplify_coverage

    transform, w, h, scale = _frame(bounds, width=width, max_height=max_height)
    simple = simplify_coverage(np.asarray(geoms), pixel / scale)
    box = shapely.box(*bounds)
    paths = [
        _rings_path(geom if box.contains(geom) else geom.intersection(box), transform)
        for geom in simple
    ]
    return paths, transform, w, h


def _build_prefecture_svg(frame: pd.DataFrame) -> dict:
    """Paths of the municipalities of one prefecture, in a frame of about 560 px."""
    from regionlib import settings

    geoms = frame.geometry.to_crs(settings.area_crs)
    minx, miny, maxx, maxy = _main_bounds(geoms)
    pad = 0.03 * max(maxx - minx, maxy - miny)
    bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    paths, transform, w, h = _svg_paths(geoms.to_numpy(), bounds)
    centres = {
        code: tuple(transform(np.array([[p.x, p.y]]))[0])
        for code, p in zip(frame.index, geoms.representative_point(), strict=True)
    }
    return {
        "width": w,
        "height": h,
        "paths": dict(zip(frame.index, paths, strict=True)),
        "centres": centres,
    }


def _svg_table(context: Context) -> pd.DataFrame:
    """Every prefecture's map paths, built once and kept in the derived cache."""
    if "svg_table" not in context._memo:

        def build() -> pd.DataFrame:
            rows = []
            for pref, frame in context.table.groupby("pref_code", sort=True):
                svg = _build_prefecture_svg(frame)
                for code in frame.index:
                    x, y = svg["centres"][code]
                    rows.append((code, pref, svg["paths"][code], x, y, svg["width"], svg["height"]))
            columns = ["code", "pref_code", "d", "x", "y", "width", "height"]
            return pd.DataFrame(rows, columns=columns).set_index("code")

        context._memo["svg_table"] = _cache.cached(
            "profile-maps",
            [_cache.geometry_hash(context.table), _code_hash()],
            {"width": _SVG_WIDTH, "version": _ANALYSES_VERSION},
            build,
        )
    return context._memo["svg_table"]


def _prefecture_svg(context: Context, pref: str) -> dict:
    """Paths of the municipalities of one prefecture (from the derived cache)."""
    key = ("pref", pref)
    if key not in context._memo:
        rows = _svg_table(context)
        rows = rows[rows["pref_code"] == pref]
        context._memo[key] = {
            "width": float(rows["width"].iloc[0]),
            "height": float(rows["height"].iloc[0]),
            "paths": dict(zip(rows.index, rows["d"], strict=True)),
            "centres": dict(zip(rows.index, zip(rows["x"], rows["y"], strict=True), strict=True)),
        }
    return context._memo[key]


def _build_japan_svg(table: pd.DataFrame) -> pd.DataFrame:
    """Prefecture outlines (rows ``pref_code``) and municipality points (rows ``code``)."""
    import shapely

    from regionlib import settings

    geoms = table.geometry.to_crs(settings.area_crs)
    prefs = geoms.groupby(table["pref_code"].to_numpy()).agg(
        lambda s: shapely.coverage_union_all(s.to_numpy())
    )
    main = shapely.box(*_NATIONAL_FRAME)
    bounds = shapely.intersection(shapely.union_all(prefs.to_numpy()), main).bounds
    transform, w, h, scale = _frame(bounds, width=300, max_height=320)
    rows = [
        (
            code,
            "pref",
            _rings_path(shapely.simplify(g, 2.5 / scale).intersection(main), transform),
            0.0,
            0.0,
            w,
            h,
        )
        for code, g in prefs.items()
    ]
    points = transform(
        np.column_stack([geoms.representative_point().x, geoms.representative_point().y])
    )
    rows += [
        (code, "point", "", float(x), float(y), w, h)
        for code, (x, y) in zip(table.index, points, strict=True)
    ]
    return pd.DataFrame(rows, columns=["key", "kind", "d", "x", "y", "width", "height"]).set_index(
        "key"
    )


def _japan_svg(context: Context) -> dict:
    """Prefecture outlines of Japan for the locator map (from the derived cache)."""
    if "japan" not in context._memo:
        rows = _cache.cached(
            "profile-japan",
            [_cache.geometry_hash(context.table), _code_hash()],
            {"version": _ANALYSES_VERSION},
            lambda: _build_japan_svg(context.table),
        )
        prefs, points = rows[rows["kind"] == "pref"], rows[rows["kind"] == "point"]
        context._memo["japan"] = {
            "width": float(rows["width"].iloc[0]),
            "height": float(rows["height"].iloc[0]),
            "paths": dict(zip(prefs.index, prefs["d"], strict=True)),
            "centres": dict(
                zip(points.index, zip(points["x"], points["y"], strict=True), strict=True)
            ),
        }
    return context._memo["japan"]


# --------------------------------------------------------------------------------------------
# the profile


@dataclass
class Profile:
    """Everything one municipality's page shows (see :func:`profile`).

    Attributes
    ----------
    code, name, prefecture
        The municipality.
    data
        The page content as plain data (what the templates render).
    cited
        The sources the page cites.
    make_tables
        Builds :attr:`tables` when first asked for (None: no tables).
    """

    code: str
    name: str
    prefecture: str
    data: dict
    cited: list = field(default_factory=list)
    datasets: list = field(default_factory=list)
    #: builds :attr:`tables` when first asked for (the atlas renders 1,741 pages without them)
    make_tables: Callable[[], dict] | None = field(default=None, repr=False)

    @functools.cached_property
    def tables(self) -> dict:
        """The page's numbers as tables (sheet name -> table), as :meth:`save` writes them."""
        return self.make_tables() if self.make_tables is not None else {}

    def to_html(self, *, links: Mapping[str, str] | None = None) -> str:
        """Return the page as one self-contained HTML document (see :func:`render`).

        Parameters
        ----------
        links
            Code -> relative URL of other municipalities' pages; default no links.

        Returns
        -------
        str
            The HTML document.
        """
        return render(self, links=links)

    def save(self, path: str | Path) -> Path:
        """Write the page (``.html``) or its numbers (``.xlsx``) atomically; return the path.

        The workbook has a sheet per table of the page (指標 with national and prefectural
        ranks, 類似する市区町村, 推移), codes stored as text, a 列の説明 sheet and a 出典 sheet.

        Parameters
        ----------
        path
            The file to write, ``.html`` or ``.xlsx``.

        Returns
        -------
        Path
            The path written.
        """
        return save_page(self, path, datasets=self.datasets, what="profile")


def _reason(context: Context, name: str, code: str) -> str:
    from regionlib.data.indicators import missing_reason_ja

    return missing_reason_ja(context.reasons.get(name, {}).get(code, ""))


def _decimals(values: np.ndarray) -> int:
    from regionlib.outputs._mapstyle import decimals_for

    finite = values[np.isfinite(values)]
    if len(finite) and (finite % 1 == 0).all():
        return 0
    return decimals_for(finite)


def _columns(context: Context) -> dict:
    """Per headline indicator: values, sorted values nationally and per prefecture, medians."""
    if "columns" not in context._memo:
        table = context.table
        pref = table["pref_code"].to_numpy()
        out = {}
        for name in HEADLINE_INDICATORS:
            if name not in table.columns:
                continue
            values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(values)
            by_pref = {p: np.sort(values[ok & (pref == p)]) for p in np.unique(pref)}
            out[name] = {
                "values": pd.Series(values, index=table.index),
                "sorted": np.sort(values[ok]),
                "by_pref": by_pref,
                "pref_median": {
                    p: float(np.median(v)) if len(v) else np.nan for p, v in by_pref.items()
                },
                "decimals": _decimals(values),
                "median": float(np.median(values[ok])) if ok.any() else np.nan,
            }
        context._memo["columns"] = out
    return context._memo["columns"]


def _rank(sorted_values: np.ndarray, value: float) -> tuple[int, int, int, int]:
    """Rank (1 = highest), n, and the counts below and equal, from sorted values."""
    n = len(sorted_values)
    lo = int(np.searchsorted(sorted_values, value, side="left"))
    hi = int(np.searchsorted(sorted_values, value, side="right"))
    return n - hi + 1, n, lo, hi - lo


def _indicator_values(context: Context, code: str, peers: list[str]) -> list[dict]:
    """Each headline indicator of ``code``: value, ranks and medians as numbers.

    The page formats these (:func:`_headline`) and the workbook lists them (:func:`_tables`).
    """
    from regionlib.data import flags, indicators

    pref = context.table.at[code, "pref_code"]
    columns = _columns(context)
    if "headline_matrix" not in context._memo:  # codes × headline indicators, for numpy rows
        arrays = [col["values"].to_numpy(dtype=float) for col in columns.values()]
        context._memo["headline_matrix"] = (
            np.column_stack(arrays) if arrays else np.empty((len(context.table), 0))
        )
    matrix = context._memo["headline_matrix"]
    at = context.table.index.get_indexer([code, *peers])
    own = matrix[at[0]]
    peer_medians = _column_medians(matrix[at[1:][at[1:] >= 0]])
    rows = []
    for i, (name, col) in enumerate(columns.items()):
        value = float(own[i])
        row = {
            "name": name,
            "entry": indicators.info(name),
            "value": value,
            "decimals": col["decimals"],
            "peers_median": float(peer_medians[i]),
            "pref_median": col["pref_median"].get(pref, np.nan),
            "national_median": col["median"],
            "reason": "" if np.isfinite(value) else _reason(context, name, code),
            "flag": flags.flag_of(name, code) if np.isfinite(value) else "",
            "rank": None,
            "n": None,
            "pref_rank": None,
            "pref_n": None,
        }
        if np.isfinite(value):
            rank, n, below, equal = _rank(col["sorted"], value)
            row["rank"], row["n"] = rank, n
            row["percentile"] = round(100 * (below + 0.5 * (equal - 1)) / max(n - 1, 1))
            row["pref_rank"], row["pref_n"], _, _ = _rank(col["by_pref"][pref], value)
        rows.append(row)
    return rows


def _headline(values: list[dict]) -> list[dict]:
    """Format :func:`_indicator_values` as the page's headline rows."""
    rows = []
    for v in values:
        entry, decimals = v["entry"], v["decimals"]
        row = {
            "name": v["name"],
            "label": entry.label,
            "unit": entry.unit,
            "year": _year(entry.year, fiscal=getattr(entry, "group", "") == "fiscal"),
            "value": fmt(v["value"], decimals),
            "missing": not np.isfinite(v["value"]),
            "reason": v["reason"],
            "peers_median": fmt(v["peers_median"], decimals),
            "pref_median": fmt(v["pref_median"], decimals),
            "national_median": fmt(v["national_median"], decimals),
            "flag": v["flag"],
        }
        if v["rank"] is not None:
            row |= {k: v[k] for k in ("rank", "n", "percentile", "pref_rank", "pref_n")}
        rows.append(row)
    return rows


def _year(text: str, *, fiscal: bool = False) -> str:
    """Return ``FY2020`` as ``2020年度``, ``2015-2020`` as ``2015→2020年``, ``2020`` as ``2020年``."""
    text = str(text)
    if fiscal and text.isdigit():
        return f"{text}年度"
    if text.startswith("FY"):
        return f"{text[2:]}年度"
    if re.fullmatch(r"\d{4}-\d{4}", text):
        return f"{text[:4]}→{text[5:]}年"
    return f"{text}年" if text.isdigit() else text


def _change(first: np.ndarray, last: np.ndarray, name: str) -> np.ndarray:
    """Return the changes from ``first`` to ``last`` of indicator ``name``, element-wise.

    A count or an amount changes in % of the first value; a rate in points (高齢化率 48.59 →
    52.21 is +3.62 points, not +7.4 %) and an index (財政力指数) by its difference, as the
    catalogue's kind says (:func:`regionlib.indicators.changes_in_percent`). NaN where either
    end is missing or a % change starts from 0.
    """
    from regionlib.data import indicators

    first, last = np.asarray(first, dtype=float), np.asarray(last, dtype=float)
    if not indicators.changes_in_percent(name):
        return last - first
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(first != 0, (last - first) / np.abs(first) * 100, np.nan)


def _change_text(change: float, unit: str, decimals: int = 2) -> str:
    """Format :func:`_change`: ``+3.6ポイント``, ``+0.02``, ``−7.4%``."""
    if not np.isfinite(change):
        return ""
    if unit != "" and round(change, 1) == 0:
        return "±0.0ポイント" if unit == "%" else "±0.0%"
    if unit == "%":
        return f"{change:+,.1f}ポイント"
    if unit == "":
        return f"{change:+,.{max(decimals, 2)}f}"
    return f"{change:+,.1f}%"


def _series_change(context: Context, name: str, code: str, peers: list[str]) -> dict | None:
    """Return the change of series ``name`` from :data:`START_YEAR` (or its first year) to its last.

    Returns the years, the municipality's change, the peers' and the nation's median changes
    (each municipality's change, then the median) and the flag of either end, or None.
    """
    from regionlib.data import flags, indicators

    wide = context.series.get(name)
    if wide is None or code not in wide.index:
        return None
    row = wide.loc[code]
    years = [int(y) for y, v in row.items() if np.isfinite(v)]
    if len(years) < 2:
        return None
    start = START_YEAR if START_YEAR in years else years[0]
    end = years[-1]
    if start == end:
        return None
    unit = indicators.info(name).unit
    every, decimals, national = _every_change(context, name, start, end)
    flag = flags.flag_of(f"{name}@{start}", code) or flags.flag_of(f"{name}@{end}", code)
    own = float(every.iloc[every.index.get_loc(code)])
    at = every.index.get_indexer(peers)
    peer_median = float(_column_medians(every.to_numpy()[at[at >= 0], None])[0])
    return {
        "start": start,
        "end": end,
        "era": "年度" if indicators.info(name).group == "fiscal" else "年",
        "value": own,
        "text": _change_text(own, unit, decimals),
        "peers": _change_text(peer_median, unit, decimals),
        "national": _change_text(national, unit, decimals),
        "flag": flag,
    }


def _every_change(
    context: Context, name: str, start: int, end: int
) -> tuple[pd.Series, int, float]:
    """Return every municipality's change of ``name`` from ``start`` to ``end``.

    With the decimals to show and the national median: the same for every page of a
    context, so worked out once.
    """
    key = ("change", name, start, end)
    if key not in context._memo:
        wide = context.series[name]
        every = pd.Series(_change(wide[start], wide[end], name), index=wide.index)
        decimals = _decimals(wide.to_numpy(dtype=float).ravel())
        context._memo[key] = (every, decimals, float(every.median()))
    return context._memo[key]


#: The money section: indicator -> (unit shown, divisor). Amounts in 百万円 for reading.
MONEY_INDICATORS: dict[str, tuple[str, float]] = {
    "furusato_receipts": ("百万円", 1e6),
    "furusato_net": ("百万円", 1e6),
    "furusato_net_per_capita": ("円/人", 1.0),
    "koufuzei_per_capita": ("円/人", 1.0),
    "fiscal_strength_index": ("", 1.0),
    "fiscal_demand": ("百万円", 1e3),
    "fiscal_revenue": ("百万円", 1e3),
}
_MONEY_YEARS = "2015-2022"


@functools.cache
def _money_series() -> dict[str, pd.DataFrame]:
    """Return code × fiscal-year tables of the money section's indicators, once per process."""
    from regionlib.data import indicators, panel

    names = [n for n in MONEY_INDICATORS if indicators.find(n) is not None]
    if not names:
        return {}
    return _wide(panel.series(names, years=_MONEY_YEARS), names)


def _column_medians(values: np.ndarray) -> np.ndarray:
    """Median of each column over its values that are not NaN (NaN when none), as pandas."""
    import warnings

    if values.shape[0] == 0:
        return np.full(values.shape[1], np.nan)
    with warnings.catch_warnings():  # a column with no value is NaN, as pandas gives it
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=0)


def _money(code: str, peers: list[str]) -> dict | None:
    """Return the money section: each indicator by fiscal year, own value and peers' median.

    ふるさと納税 receipts and net balance (receipts − the residents' deductions), 普通交付税 per
    resident, 財政力指数 with the 需要額 and 収入額 behind it; None when no source holds them.
    """
    from regionlib.data import indicators

    series = _money_series()
    years = sorted({int(y) for wide in series.values() for y in wide.columns})
    rows = []
    for name, wide in series.items():
        at = wide.index.get_indexer([code, *peers])
        if at[0] < 0:
            continue
        unit, divisor = MONEY_INDICATORS[name]
        decimals = 2 if name == "fiscal_strength_index" else 0
        # numpy rows and column medians: pandas indexing per page cost an atlas 15 ms a page
        values = wide.to_numpy(dtype=float)  # one float block: a view, not a copy
        own_row = dict(zip(wide.columns, values[at[0]], strict=True))
        medians = dict(zip(wide.columns, _column_medians(values[at[1:][at[1:] >= 0]]), strict=True))
        own, med = [], []
        for year in years:
            if year not in own_row:
                own.append("")
                med.append("")
                continue
            own.append(fmt(float(own_row[year]) / divisor, decimals))
            med.append(fmt(float(medians[year]) / divisor, decimals))
        rows.append({"label": indicators.info(name).label, "unit": unit, "own": own, "peers": med})
    if not rows:
        return None
    return {"years": years, "rows": rows, "indicators": list(series)}


def _cards(facts: Facts) -> list[dict]:
    """Return the headline cards: value, rank, the three medians and the change since the start year."""
    from regionlib.data import flags, indicators

    context, code = facts.context, facts.code
    by_name = {v["name"]: v for v in facts.values}
    cards = []
    for name, change_of in CARDS:
        v = by_name.get(name)
        if v is None:
            continue
        entry, decimals = v["entry"], v["decimals"]
        card = {
            "name": name,
            "label": entry.label,
            "unit": entry.unit,
            "year": _year(entry.year, fiscal=entry.group == "fiscal"),
            "value": fmt(v["value"], decimals),
            "missing": not np.isfinite(v["value"]),
            "reason": v["reason"],
            "flag": v["flag"],
            "rank": v["rank"],
            "n": v["n"],
            "peers_median": fmt(v["peers_median"], decimals),
            "pref_median": fmt(v["pref_median"], decimals),
            "national_median": fmt(v["national_median"], decimals),
            "change": None,
        }
        if change_of in context.series:
            card["change"] = _series_change(context, change_of, code, facts.peers)
            facts.cite(change_of)
        elif change_of is not None and change_of in context.table.columns:
            col = pd.to_numeric(context.table[change_of], errors="coerce")
            entry_change = indicators.info(change_of)
            start, _, end = str(entry_change.year).partition("-")
            match = re.search(r"(\d{4})\D(\d{4})", entry_change.label)
            if match:
                start, end = match.groups()
            own = float(col[code])
            card["change"] = {
                "start": start,
                "end": end or entry_change.year,
                "era": "年",
                "value": own,
                "text": _change_text(own, "人"),
                "peers": _change_text(float(col.reindex(facts.peers).median()), "人"),
                "national": _change_text(float(col.median()), "人"),
                "flag": flags.flag_of(change_of, code) if np.isfinite(own) else "",
            }
            facts.cite(change_of)
        facts.cite(name)
        cards.append(card)
    return cards


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round tick values between ``lo`` and ``hi`` (about ``n``)."""
    span = hi - lo
    raw = span / max(n - 1, 1)
    magnitude = 10 ** np.floor(np.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = np.ceil(lo / step) * step
    return [float(t) for t in np.arange(first, hi + step * 1e-9, step)]


def _spread(ys: list[float], gap: float, top: float, bottom: float) -> list[float]:
    """Move label positions ``ys`` apart by at least ``gap``, keeping their order, within bounds."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [ys[i] for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - bottom if placed else 0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = [max(y, top) for y in placed]
    out = [0.0] * len(ys)
    for i, y in zip(order, placed, strict=True):
        out[i] = round(y, 1)
    return out


def _chart(
    title: str,
    unit: str,
    lines: Sequence[tuple[str, str, Sequence[tuple[int, float]]]],
    *,
    flagged: Mapping[int, str] | None = None,
) -> dict:
    """Coordinates of a line chart with axes and labelled ends.

    ``lines`` holds (kind, label, [(year, value), …]) with kind ``own``, ``peers`` or
    ``national``; the first is the municipality. A reference line far outside the
    municipality's range (a national median of 23,426 people beside a village of 1,318) is
    left out of the drawing and given in the caption instead.
    """
    width, height = 340.0, 176.0
    left, right, top, bottom = 46.0, 92.0, 10.0, 24.0
    own = [(y, v) for y, v in lines[0][2] if np.isfinite(v)]
    years = sorted({y for _, _, pts in lines for y, v in pts if np.isfinite(v)})
    own_values = [v for _, v in own]
    lo, hi = min(own_values), max(own_values)
    drawn, outside = [], []
    for kind, label, pts in lines:
        pts = [(y, v) for y, v in pts if np.isfinite(v) and own[0][0] <= y <= own[-1][0]]
        if not pts:
            continue
        values = [v for _, v in pts]
        span = max(hi - lo, abs(hi) * 0.05, 1e-9)
        far = min(values) < lo - 2 * span or max(values) > hi + 2 * span
        if kind != "own" and unit not in ("%", "") and far:  # counts: a town and the nation
            outside.append((kind, label, pts))
            continue
        drawn.append((kind, label, pts))
    every = [v for _, _, pts in drawn for _, v in pts]
    lo, hi = min(every), max(every)
    if hi == lo:
        lo, hi = lo - max(abs(lo) * 0.05, 1), hi + max(abs(hi) * 0.05, 1)
    pad = 0.08 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    ticks = _ticks(lo, hi) or [lo + pad, hi - pad]
    tick_decimals = _decimals(np.asarray(ticks))
    tick_labels = [(t, fmt(t, tick_decimals)) for t in ticks if lo <= t <= hi]
    # the axis labels end 4 px left of the axis (10 px type, about 6 px a character): room
    # for the longest, so that 2,200,000 is not cut at the page's edge
    left = max(left, 8.0 + 6.0 * max((len(label) for _, label in tick_labels), default=0))
    x0, x1 = years[0], years[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(year: int) -> float:
        return round(left + (year - x0) / max(x1 - x0, 1) * plot_w, 1)

    def y_of(value: float) -> float:
        return round(top + (hi - value) / (hi - lo) * plot_h, 1)

    decimals = _decimals(np.asarray(every, dtype=float))
    series = []
    for kind, label, pts in drawn:
        series.append(
            {
                "kind": kind,
                "label": label,
                "points": " ".join(f"{x_of(y)},{y_of(v)}" for y, v in pts),
                "dots": [
                    {"x": x_of(y), "y": y_of(v), "flag": (flagged or {}).get(y, "")} for y, v in pts
                ]
                if kind == "own"
                else [],
                "end": fmt(pts[-1][1], decimals),
                "end_y": y_of(pts[-1][1]),
                "start": fmt(pts[0][1], decimals),
                "start_y": y_of(pts[0][1]),
            }
        )
    for s, y in zip(
        series, _spread([s["end_y"] for s in series], 12, top + 4, height - bottom), strict=True
    ):
        s["label_y"] = y + 4
    step = max(1, int(np.ceil(len(years) / 6)))
    shown_years = years[::step]
    if shown_years[-1] != years[-1]:
        if len(shown_years) > 1 and x_of(years[-1]) - x_of(shown_years[-1]) < 28:
            shown_years = shown_years[:-1]
        shown_years.append(years[-1])
    notes = [
        f"{label} {fmt(pts[-1][1], decimals)}{unit}（{pts[-1][0]}年、図の範囲外）"
        for _, label, pts in outside
    ]
    return {
        "title": f"{title}（{unit}）" if unit else title,
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "series": series,
        "x_ticks": [{"x": x_of(y), "label": str(y)} for y in shown_years],
        "y_ticks": [{"y": y_of(t), "label": label} for t, label in tick_labels],
        "notes": notes,
        "flags": sorted({f"{y}年" for y, r in (flagged or {}).items() if r}),
        "flag_reason": next((r for r in (flagged or {}).values() if r), ""),
    }


def _changes(facts: Facts) -> list[dict]:
    """Return the trend charts: the municipality, its peers' median and the national median."""
    from regionlib.data import flags, indicators

    context, code = facts.context, facts.code
    charts = []
    for name, wide in context.series.items():
        if code not in wide.index:
            continue
        row = wide.loc[code]
        own = [(int(y), float(v)) for y, v in row.items() if np.isfinite(v)]
        if len(own) < 2:
            continue
        peers = wide.reindex(facts.peers).median()
        national = wide.median()
        entry = indicators.info(name)
        change = _series_change(context, name, code, facts.peers)
        chart = _chart(
            entry.label,
            entry.unit,
            [
                ("own", facts.name, own),
                (
                    "peers",
                    "類似する市区町村の中央値",
                    [(int(y), float(v)) for y, v in peers.items()],
                ),
                ("national", "全国の中央値", [(int(y), float(v)) for y, v in national.items()]),
            ],
            flagged={y: flags.flag_of(f"{name}@{y}", code) for y, _ in own},
        )
        chart["change"] = change
        charts.append(chart)
        facts.cite(name)
    return charts


def _peers(context: Context, code: str, k: int) -> tuple[list[str], list[dict], pd.DataFrame]:
    """Peer codes, the page's peer rows, and the peers as a table (for the workbook)."""
    from regionlib.analysis import features, similarity

    feats = context.features
    if code not in feats.matrix.index:
        return [], [], pd.DataFrame()
    peers = similarity.find_peers(feats, code, k=k)
    contrib = peers[[f"contrib_{n}" for n in feats.indicators]].to_numpy(dtype=float)
    # the two largest contributions of each peer (ties in column order), in numpy: rows of
    # pandas cost a page 4 ms
    top = np.argsort(-contrib, axis=1, kind="stable")[:, :2]
    population = (
        pd.to_numeric(peers["population"], errors="coerce").to_numpy(dtype=float)
        if "population" in peers
        else np.full(len(peers), np.nan)
    )
    rows = []
    for i, peer in enumerate(peers.index):
        rows.append(
            {
                "rank": int(peers["rank"].iat[i]),
                "code": peer,
                "name": peers["name"].iat[i],
                "prefecture": peers["prefecture"].iat[i],
                "population": fmt(float(population[i]), 0),
                "distance": f"{float(peers['distance'].iat[i]):.2f}",
                "differs": "、".join(
                    features.indicator_label(feats.indicators[j], short=True) for j in top[i]
                ),
            }
        )
    table = pd.DataFrame(
        {
            "rank": [r["rank"] for r in rows],
            "code": list(peers.index),
            "prefecture": peers["prefecture"].to_numpy(),
            "name": peers["name"].to_numpy(),
            "population": pd.to_numeric(peers.get("population"), errors="coerce")
            if "population" in peers
            else np.nan,
            "distance": peers["distance"].to_numpy(dtype=float),
            "differs": [r["differs"] for r in rows],
        }
    )
    return list(peers.index), rows, table


def _tables(context: Context, code: str, values: list[dict], peers: list[str], peer_table) -> dict:
    """Return the page's numbers as tables for a workbook: indicators, peers, series."""
    from regionlib.data import indicators

    rows = [
        {
            "label": v["entry"].label,
            "unit": v["entry"].unit,
            "year": v["entry"].year,
            "value": v["value"],
            "national_rank": v["rank"],
            "national_n": v["n"],
            "pref_rank": v["pref_rank"],
            "pref_n": v["pref_n"],
            "peers_median": v["peers_median"],
            "prefecture_median": v["pref_median"],
            "national_median": v["national_median"],
            "reason": v["reason"],
            "flag": v["flag"],
        }
        for v in values
    ]
    from regionlib.data import flags

    series, series_decimals = [], []
    for name, wide in context.series.items():
        if code not in wide.index:
            continue
        entry = indicators.info(name)
        peer_median, national_median = wide.reindex(peers).median(), wide.median()
        places = _decimals(wide.to_numpy(dtype=float).ravel())
        for year, value in wide.loc[code].items():
            series.append(
                {
                    "label": entry.label,
                    "unit": entry.unit,
                    "year": int(year),
                    "value": float(value),
                    "peers_median": float(peer_median[year]),
                    "national_median": float(national_median[year]),
                    "flag": flags.flag_of(f"{name}@{year}", code) if np.isfinite(value) else "",
                }
            )
            series_decimals.append(places)
    counts = ("national_rank", "national_n", "pref_rank", "pref_n")
    headline = pd.DataFrame(rows).astype(dict.fromkeys(counts, "Int64"))
    decimals = [v["decimals"] for v in values]
    headline.attrs["cell_decimals"] = dict.fromkeys(
        ("value", "peers_median", "prefecture_median", "national_median"), decimals
    )
    out = {"指標": headline}
    if len(peer_table):
        out["類似する市区町村"] = peer_table
    if series:
        trend = pd.DataFrame(series)
        trend.attrs["cell_decimals"] = dict.fromkeys(
            ("value", "peers_median", "national_median"), series_decimals
        )
        out["推移"] = trend
    return out


def _good_practice(context: Context, code: str, n: int = 5) -> dict | None:
    """Return the best of the start-year peers (see :mod:`regionlib.goodpractice`), or None."""
    from regionlib.analysis import goodpractice
    from regionlib.data import indicators

    prepared = context.good_practice
    if prepared is None or code not in prepared.features.matrix.index:
        return None
    result = goodpractice.good_practice(
        code, prepared.indicator, since=prepared.since, prepared=prepared
    )
    digits = 0 if result.measure == "change_pct" else 2
    span = f"{prepared.indicator}@{prepared.since}-{prepared.until}"
    unit = "%" if result.measure == "change_pct" else indicators.info(span).unit

    def row(c: str, r: pd.Series) -> dict:
        change = r["change_pct"] if result.measure == "change_pct" else r["change"]
        return {
            "code": c,
            "name": r["name"],
            "prefecture": r["prefecture"],
            "start": fmt(float(r["value_start"]), digits),
            "end": fmt(float(r["value_end"]), digits),
            "change": "データなし" if pd.isna(change) else f"{change:+.1f}{unit}",
            "distance": f"{r['distance_at_start']:.2f}",
        }

    return {
        "label": indicators.info(result.indicator).label,
        "since": result.since,
        "until": result.until,
        "own": row(code, result.target_row),
        "rows": [row(c, r) for c, r in result.table.head(n).iterrows()],
        "k": len(result.table),
    }


def _map_data(context: Context, code: str, peers: list[str], region_codes: list[str]) -> dict:
    table = context.table
    pref_svg = _prefecture_svg(context, table.at[code, "pref_code"])
    japan = _japan_svg(context)
    shapes = []
    for c, d in pref_svg["paths"].items():
        kind = (
            "target"
            if c == code
            else "peer"
            if c in peers
            else "region"
            if c in region_codes
            else ""
        )
        shapes.append({"code": c, "d": d, "kind": kind, "name": table.at[c, "name"]})
    shapes.sort(key=lambda s: s["kind"] == "target")  # the municipality drawn last, on top
    x, y = pref_svg["centres"][code]
    jx, jy = japan["centres"][code]
    return {
        "pref": {
            "width": round(pref_svg["width"]),
            "height": round(pref_svg["height"]),
            "shapes": shapes,
            "x": round(x, 1),
            "y": round(y, 1),
        },
        "japan": {
            "width": round(japan["width"]),
            "height": round(japan["height"]),
            "paths": [
                {"d": d, "own": p == table.at[code, "pref_code"]} for p, d in japan["paths"].items()
            ],
            "x": round(jx, 1),
            "y": round(jy, 1),
        },
    }


@dataclass
class Facts:
    """What the sections of one profile are built from (see :data:`SECTIONS`).

    Attributes
    ----------
    context
        The national analyses.
    code, name
        The municipality.
    peers
        Codes of its peers, most similar first.
    peer_rows
        The peers as the page lists them.
    values
        Headline indicators as numbers (:func:`_indicator_values`).
    labels
        Its cluster, region and LISA labels.
    used
        Catalogue indicators whose values the page shows (for the credits); call :meth:`cite`.
    datasets
        Registry datasets the page shows beyond those indicators.
    targets
        Its KPI targets (:func:`regionlib.analysis.kpi.read_targets`), or none.
    """

    context: Context
    code: str
    name: str
    peers: list[str]
    peer_rows: list[dict]
    values: list[dict]
    labels: pd.Series
    used: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    targets: list = field(default_factory=list)

    def cite(self, *names: str) -> None:
        """Note that the page shows values of the indicators ``names``."""
        self.used.extend(n for n in names if n not in self.used)


@dataclass(frozen=True)
class Section:
    """One part of the profile page: its data and the template partial that draws it.

    ``build`` returns the section's data (kept as ``Profile.data[name]``) or None to leave the
    section out; it calls ``facts.cite`` for every indicator it shows, so the credits follow
    what the page shows. The partial (``templates/profile/…``) sees ``s`` (this section's data),
    ``p`` (the profile), ``d`` (every section's data) and ``links``.
    """

    name: str
    template: str
    build: Callable[[Facts], object]


def _peers_section(facts: Facts) -> dict:
    from regionlib.data import indicators

    context, code = facts.context, facts.code
    facts.cite(*context.peer_indicators)
    missing = ""
    if not facts.peer_rows:
        absent = [n for n in context.peer_indicators if pd.isna(context.table.at[code, n])]
        missing = "、".join(
            f"{indicators.info(n).label}（{_reason(context, n, code)}）" for n in absent
        )
    return {
        "rows": facts.peer_rows,
        "indicators": [indicators.info(n).label for n in context.peer_indicators],
        "missing": missing,
    }


def _headline_section(facts: Facts) -> list[dict]:
    facts.cite(*(v["name"] for v in facts.values))
    return _headline(facts.values)


def _good_practice_section(facts: Facts) -> dict | None:
    found = _good_practice(facts.context, facts.code)
    if found is not None:
        facts.cite(GOOD_PRACTICE[0])
    return found


def _place_section(facts: Facts) -> dict:
    """Cluster, proposed region, LISA categories and the two locator maps."""
    from regionlib.data import indicators
    from regionlib.outputs import demo

    context, code, labels = facts.context, facts.code, facts.labels
    tbl = context.table
    region_name = labels.get("region_name")
    region_codes: list[str] = []
    if isinstance(region_name, str) and region_name:
        region_codes = list(context.labels.index[context.labels["region_name"] == region_name])
    cluster = labels.get("cluster")
    facts.cite(*[n for n in demo.REGION_INDICATORS if n in tbl.columns])
    lisa = [n for n in LISA_INDICATORS if f"lisa_{n}" in context.labels.columns]
    facts.cite(*lisa)
    return {
        "cluster": None
        if pd.isna(cluster)
        else {
            "id": int(cluster),
            "k": len(context.cluster_sizes),
            "size": int(context.cluster_sizes.get(cluster, 0)),
            "description": labels.get("cluster_description"),
        },
        "region": None
        if not region_codes
        else {
            "name": region_name,
            "method": context.region_method,
            "population": fmt(float(tbl.loc[region_codes, "population_2020"].sum()), 0)
            if "population_2020" in tbl
            else "",
            "members": [
                {"code": c, "name": tbl.at[c, "name"], "prefecture": tbl.at[c, "prefecture"]}
                for c in region_codes
            ],
        },
        "lisa": [
            {"label": indicators.info(n).label, "category": labels.get(f"lisa_{n}") or "データなし"}
            for n in lisa
        ],
        "maps": _map_data(context, code, facts.peers, region_codes),
    }


#: the register's age tables the futures section shows: the pyramid's years and the base period
FUTURES_DATASETS = ("juki-age-japanese-1995", "juki-age-japanese-2017", "juki-age-japanese-2022")


def _futures_section(facts: Facts) -> dict | None:
    """Return the pyramid and 2050 projection of the page (partial ``profile/_futures``)."""
    from regionlib.outputs import pyramid

    found = pyramid.profile_futures(facts.code, facts.peers)
    if found is not None:
        facts.datasets.extend(d for d in FUTURES_DATASETS if d not in facts.datasets)
    return found


def _kpi_section(facts: Facts) -> dict | None:
    """Return the municipality's KPI targets tracked as ``regionlib kpi`` does (partial ``_kpi``).

    The cards, their numbers and the workbook sheets come from
    :mod:`regionlib.outputs.kpipage`; ``track`` is :func:`regionlib.analysis.kpi.track`.
    """
    if not facts.targets:
        return None
    from regionlib.analysis import kpi
    from regionlib.outputs import kpipage

    with collect_warnings() as notes:  # the KPI peers' features: said with the analyses' notes
        result = kpi.track(facts.targets)
    facts.context.notes.extend(n for n in notes if n not in facts.context.notes)
    used, datasets = kpipage.kpi_credits(result)
    facts.cite(*used)
    facts.datasets.extend(d for d in datasets if d not in facts.datasets)
    table, series = kpipage.kpi_tables(result)
    return {
        "cards": kpipage.kpi_cards(result),
        "note": kpipage.projection_note(result),
        "sheets": {"KPI": table.drop(columns=["地域"]), "KPIの推移": series.drop(columns=["地域"])},
    }


def _money_section(facts: Facts) -> dict | None:
    """Return the money section (partial ``profile/_money``), citing what it shows."""
    found = _money(facts.code, facts.peers)
    if found is not None:
        facts.cite(*found["indicators"])
    return found


#: the sections of the page, in order. A new section is a template partial under
#: ``templates/profile/`` and an entry here (its ``build`` returns None to leave it out).
SECTIONS: list[Section] = [
    Section("cards", "profile/_cards.html.j2", _cards),
    Section("changes", "profile/_changes.html.j2", _changes),
    Section("kpi", "profile/_kpi.html.j2", _kpi_section),
    Section("futures", "profile/_futures.html.j2", _futures_section),
    Section("money", "profile/_money.html.j2", _money_section),
    Section("peers", "profile/_peers.html.j2", _peers_section),
    Section("good_practice", "profile/_good_practice.html.j2", _good_practice_section),
    Section("headline", "profile/_headline.html.j2", _headline_section),
    Section("place", "profile/_place.html.j2", _place_section),
]


def profile(
    table: pd.DataFrame | None,
    municipality: str | int,
    *,
    k: int = 10,
    context: Context | None = None,
    sections: Sequence[Section] | None = None,
    targets: str | Path | Sequence | None = None,
) -> Profile:
    """Gather the profile of one municipality.

    Parameters
    ----------
    table
        A table from :func:`regionlib.table.load_table` with geometry; None loads every
        indicator the page shows. Ignored when ``context`` is given.
    municipality
        Name (``夕張市``), prefecture + name (``東京都府中市``) or 5-digit code.
    k
        Number of peers (as ``regionlib peers --k``).
    context
        Analyses shared by several profiles (:func:`build_context`).
    sections
        The parts of the page, in order; default :data:`SECTIONS`.
    targets
        A KPI targets file (as ``regionlib kpi`` reads it, checked whole) or the targets
        :func:`regionlib.analysis.kpi.read_targets` returned: the page shows this
        municipality's KPIs tracked (section ``kpi``). Rows for other places are left out; a
        file without a row for this municipality is said in one warning.

    Returns
    -------
    Profile
        Render it with :meth:`Profile.to_html` or write it with :meth:`Profile.save`.

    Raises
    ------
    UnknownNameError, AmbiguousNameError
        The municipality cannot be identified (candidates in the message); a
        designated-city ward names the city to use.
    KpiError
        A bad targets file (the row named, as ``regionlib kpi`` says it).
    """
    from regionlib.outputs._mapstyle import credit_lines

    source = "targets"
    if isinstance(targets, (str, Path)):
        from regionlib.analysis import kpi

        source = Path(targets).name
        targets = kpi.read_targets(targets)  # a bad file fails before the analyses

    if context is None:
        if table is None:
            from regionlib.data import table as tables

            table = tables.load_table(_table_indicators())
        resolve(table, municipality)  # an unknown name or a ward fails before the analyses
        context = build_context(table)
    tbl = context.table
    code = resolve(tbl, municipality)
    peer_codes, peer_rows, peer_table = _peers(context, code, k)
    values = _indicator_values(context, code, peer_codes)
    labels = context.labels.loc[code] if code in context.labels.index else pd.Series(dtype=object)
    facts = Facts(context, code, str(tbl.at[code, "name"]), peer_codes, peer_rows, values, labels)
    if targets is not None:
        facts.targets = [t for t in targets if not t.is_area and t.place == code]
        if not facts.targets:
            name = f"{tbl.at[code, 'prefecture']}{facts.name}（{code}）"
            log(
                f"{source}: no target row for {code}; the page has no KPI section",
                level=logging.WARNING,
                ja=f"{source} に{name}の目標の行がありません（KPIの欄なしで書き出します）",
            )
    data: dict = {"sections": []}
    for section in SECTIONS if sections is None else sections:
        found = section.build(facts)
        data[section.name] = found
        if found:
            data["sections"].append({"name": section.name, "template": section.template})
    data["credits"] = credit_lines(facts.used, datasets=facts.datasets)
    return Profile(
        code,
        facts.name,
        str(tbl.at[code, "prefecture"]),
        data,
        cited=list(facts.used),
        datasets=list(facts.datasets),
        make_tables=lambda: {
            **_tables(context, code, values, peer_codes, peer_table),
            **(data["kpi"]["sheets"] if data.get("kpi") else {}),
        },
    )


def _css_string(text: str):
    """Quote ``text`` as a CSS string inside a ``<style>`` element (no ``</style>`` can close it)."""
    from markupsafe import Markup

    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>&\n' else ch for ch in str(text))
    return Markup(f'"{escaped}"')


def _bytecode_cache():
    """Compiled templates kept in the cache folder: compiling them cost every page 0.16 s.

    Jinja checks each entry against its template's source and its own version, so a changed
    template is compiled again; a cache folder that cannot be written only costs the compile.
    """
    from jinja2 import FileSystemBytecodeCache

    class _Quiet(FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError, ValueError, EOFError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    folder = Path(settings.cache_folder) / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _Quiet(str(folder))


@functools.cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("regionlib.outputs", "templates"),
        bytecode_cache=_bytecode_cache(),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    # a flag's short form beside a value: 「避難指示の影響」 of 「避難指示の影響：…」
    env.filters["flag_short"] = lambda reason: str(reason).split("：")[0]
    env.filters["css_string"] = _css_string
    return env


def save_page(page, path: str | Path, *, datasets: Sequence[str], what: str) -> Path:
    """Write a page (``.html``) or its numbers (``.xlsx``) atomically; return the path.

    Shared by the municipality profile and the area page: ``page`` has ``to_html()``,
    ``tables`` (sheet name -> table) and ``cited`` (the catalogue indicators shown).

    Parameters
    ----------
    page
        The page.
    path
        The file to write, ``.html`` or ``.xlsx``.
    datasets
        Registry names of the sources the page shows (credited in the workbook).
    what
        What the page is, in messages (``profile``, ``area profile``).

    Returns
    -------
    Path
        The path written.
    """
    from regionlib._write import check_output, write_text
    from regionlib.outputs import export

    path = check_output(path, (".html", ".htm", ".xlsx"), what=what)
    if path.suffix.lower() == ".xlsx":
        return export.write_xlsx(
            page.tables, path, index=False, ranks=False, cited=page.cited, datasets=datasets
        )
    return write_text(path, page.to_html(), what=what)


def render_template(template: str, **values) -> str:
    """Render one of regionlib's templates (autoescaped) with ``values``."""
    return _environment().get_template(template).render(**values)


def credit_lines_for(table: pd.DataFrame) -> list[str]:
    """Return the credit lines of the boundaries and of the headline indicators of ``table``."""
    from regionlib.outputs._mapstyle import credit_lines

    return credit_lines([n for n in HEADLINE_INDICATORS if n in table.columns])


def render(
    page: Profile,
    *,
    links: Mapping[str, str] | None = None,
    nav: Sequence[Mapping[str, str]] | None = None,
) -> str:
    """Render a profile as one self-contained HTML page.

    Parameters
    ----------
    page
        From :func:`profile`.
    links
        Code -> relative URL of other municipalities' pages (the atlas links peers and region
        members); default no links.
    nav
        Breadcrumb links (``{"href": …, "label": …}``) shown at the top; default none.

    Returns
    -------
    str
        The HTML document (no external resource: opens offline).
    """
    return render_template(
        "profile.html.j2",
        p=page,
        d=page.data,
        links=dict(links or {}),
        nav=nav,
        start_year=START_YEAR,
    )
