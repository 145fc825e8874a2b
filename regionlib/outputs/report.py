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

import functools
import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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
#: (title, [(year, indicator), …], unit): changes drawn as small charts when no series API
_CHANGES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("総人口（人）", (("2015", "population_2015"), ("2020", "population_2020"))),
    (
        "財政力指数",
        (("2015年度", "fiscal_strength_index_2015"), ("2020年度", "fiscal_strength_index")),
    ),
)
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
_REASONS = (
    (re.compile(r"population is 0"), "人口が0のため算出できない"),
    (re.compile(r"no population of known age"), "年齢の分かる人口が0のため算出できない"),
    (re.compile(r"labour force is 0"), "労働力人口が0のため算出できない"),
    (re.compile(r"2015 population.* is 0"), "2015年の人口が0のため算出できない"),
    (re.compile(r"not in (the )?source"), "出典データに記載がない"),
    (re.compile(r"not obtainable"), "出典で「-」（数値が得られない）"),
    (re.compile(r"confidential|secret"), "出典で秘匿"),
    (re.compile(r"no employed"), "就業者がいないため算出できない"),
    (re.compile(r"habitable area is 0"), "可住地面積が0のため算出できない"),
)
_ANALYSES_VERSION = 1  # bump when _analyses changes what it computes
_WARD = re.compile(r"^(?P<city>.+?市)(?P<ward>[^市]+区)$")
_SVG_WIDTH = 560.0


def _table_indicators() -> list[str]:
    from regionlib.data import indicators
    from regionlib.outputs import demo

    names = [
        *HEADLINE_INDICATORS,
        *(name for _, points in _CHANGES for _, name in points),
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
    _svg: dict = field(default_factory=dict, repr=False)


def _content_hash(table: pd.DataFrame) -> str:
    plain = pd.DataFrame(table.drop(columns=[table.geometry.name], errors="ignore"))
    values = pd.util.hash_pandas_object(plain, index=True).to_numpy()
    digest = hashlib.sha256(values.tobytes())
    digest.update(",".join(map(str, plain.columns)).encode())
    return digest.hexdigest()


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


def _series_and_good_practice() -> tuple[dict, object]:
    """Return the series of the change charts and the good-practice inputs (empty without data)."""
    from regionlib.analysis import goodpractice
    from regionlib.data import indicators, panel

    names = [n for n in SERIES_INDICATORS if indicators.find(n) is not None]
    series: dict = {}
    if names:
        long = panel.series(names)
        for name in names:
            wide = long.pivot(index="code", columns="year", values=name)
            series[name] = wide.dropna(axis=1, how="all")
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
        raise RegionlibError("a profile needs the table with its geometry (load_table(...))")
    peer_indicators = [n for n in indicators.DEFAULT_INDICATORS if n in table.columns]
    if not peer_indicators:
        raise RegionlibError(
            "the table has none of the default indicators the peers are found on: "
            + ", ".join(indicators.DEFAULT_INDICATORS)
        )
    # peers, clusters, regions, LISA and the series each warn on their own: say one line
    with collect_warnings() as notes:
        feats = features.prepare_features(table, peer_indicators)
        labels = _cache.cached(
            "profile",
            [_content_hash(table), _code_hash()],
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
                    f"'{municipality}' is a ward of a designated city; profiles are per "
                    f"municipality: use {name} ({city})"
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
    from scipy.cluster.hierarchy import fcluster, linkage

    cent = np.column_stack([geoms.centroid.x, geoms.centroid.y])
    if len(cent) < 3:
        return tuple(geoms.total_bounds)
    group = fcluster(linkage(cent, "single"), 120e3, criterion="distance")
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


def _geometry_hash(table: pd.DataFrame) -> str:
    import shapely

    geoms = table.geometry.to_numpy()
    digest = hashlib.sha256(",".join(table.index.astype(str)).encode())
    digest.update(np.asarray(shapely.get_num_coordinates(geoms)).tobytes())
    digest.update(np.asarray(table.geometry.total_bounds).tobytes())
    return digest.hexdigest()


def _svg_table(context: Context) -> pd.DataFrame:
    """Every prefecture's map paths, built once and kept in the derived cache."""
    if "svg_table" not in context._svg:

        def build() -> pd.DataFrame:
            rows = []
            for pref, frame in context.table.groupby("pref_code", sort=True):
                svg = _build_prefecture_svg(frame)
                for code in frame.index:
                    x, y = svg["centres"][code]
                    rows.append((code, pref, svg["paths"][code], x, y, svg["width"], svg["height"]))
            columns = ["code", "pref_code", "d", "x", "y", "width", "height"]
            return pd.DataFrame(rows, columns=columns).set_index("code")

        context._svg["svg_table"] = _cache.cached(
            "profile-maps",
            [_geometry_hash(context.table), _code_hash()],
            {"width": _SVG_WIDTH, "version": _ANALYSES_VERSION},
            build,
        )
    return context._svg["svg_table"]


def _prefecture_svg(context: Context, pref: str) -> dict:
    """Paths of the municipalities of one prefecture (from the derived cache)."""
    key = ("pref", pref)
    if key not in context._svg:
        rows = _svg_table(context)
        rows = rows[rows["pref_code"] == pref]
        context._svg[key] = {
            "width": float(rows["width"].iloc[0]),
            "height": float(rows["height"].iloc[0]),
            "paths": dict(zip(rows.index, rows["d"], strict=True)),
            "centres": dict(zip(rows.index, zip(rows["x"], rows["y"], strict=True), strict=True)),
        }
    return context._svg[key]


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
    if "japan" not in context._svg:
        rows = _cache.cached(
            "profile-japan",
            [_geometry_hash(context.table), _code_hash()],
            {"version": _ANALYSES_VERSION},
            lambda: _build_japan_svg(context.table),
        )
        prefs, points = rows[rows["kind"] == "pref"], rows[rows["kind"] == "point"]
        context._svg["japan"] = {
            "width": float(rows["width"].iloc[0]),
            "height": float(rows["height"].iloc[0]),
            "paths": dict(zip(prefs.index, prefs["d"], strict=True)),
            "centres": dict(
                zip(points.index, zip(points["x"], points["y"], strict=True), strict=True)
            ),
        }
    return context._svg["japan"]


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
    """

    code: str
    name: str
    prefecture: str
    data: dict
    cited: list = field(default_factory=list)
    #: builds :attr:`tables` when first asked for (the atlas renders 1,741 pages without them)
    make_tables: Callable[[], dict] | None = field(default=None, repr=False)

    @functools.cached_property
    def tables(self) -> dict:
        """The page's numbers as tables (sheet name -> table), as :meth:`save` writes them."""
        return self.make_tables() if self.make_tables is not None else {}

    def to_html(self, *, links: Mapping[str, str] | None = None) -> str:
        """Return the page as one self-contained HTML document (see :func:`render`)."""
        return render(self, links=links)

    def save(self, path: str | Path) -> Path:
        """Write the page (``.html``) or its numbers (``.xlsx``) atomically; return the path.

        The workbook has a sheet per table of the page (指標 with national and prefectural
        ranks, 類似市区町村, 推移), codes stored as text, and a 出典 sheet.
        """
        from regionlib._write import check_output, write_text
        from regionlib.outputs import export

        path = check_output(path, (".html", ".htm", ".xlsx"), what="profile")
        if path.suffix.lower() == ".xlsx":
            return export.write_xlsx(self.tables, path, index=False, ranks=False, cited=self.cited)
        return write_text(path, self.to_html(), what="profile")


def _reason(context: Context, name: str, code: str) -> str:
    raw = context.reasons.get(name, {}).get(code, "")
    for pattern, text in _REASONS:
        if pattern.search(str(raw)):
            return text
    return str(raw) or "出典データに値がない"


def _decimals(values: np.ndarray) -> int:
    from regionlib.outputs._mapstyle import decimals_for

    finite = values[np.isfinite(values)]
    if len(finite) and (finite % 1 == 0).all():
        return 0
    return decimals_for(finite)


def _columns(context: Context) -> dict:
    """Per headline indicator: values, sorted values nationally and per prefecture, medians."""
    if "columns" not in context._svg:
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
                "decimals": _decimals(values),
                "median": float(np.median(values[ok])) if ok.any() else np.nan,
            }
        context._svg["columns"] = out
    return context._svg["columns"]


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
    from regionlib.data import indicators

    pref = context.table.at[code, "pref_code"]
    rows = []
    for name, col in _columns(context).items():
        value = float(col["values"][code])
        row = {
            "name": name,
            "entry": indicators.info(name),
            "value": value,
            "decimals": col["decimals"],
            "peers_median": float(col["values"].reindex(peers).median()),
            "national_median": col["median"],
            "reason": "" if np.isfinite(value) else _reason(context, name, code),
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
            "national_median": fmt(v["national_median"], decimals),
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


def _chart(title: str, points: Sequence[tuple[str, float]], medians: Sequence[float]) -> dict:
    """Coordinates of a small line chart of the municipality; the national median as text."""
    width, height, pad_x, pad_y = 260.0, 120.0, 36.0, 22.0
    finite = [v for _, v in points if np.isfinite(v)]
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    lo, hi = lo - 0.15 * span, hi + 0.15 * span

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad_x + i * (width - 2 * pad_x) / max(len(points) - 1, 1)
        y = pad_y + (hi - v) / (hi - lo) * (height - 2 * pad_y)
        return round(x, 1), round(y, 1)

    decimals = 0 if all(abs(v) >= 100 for v in finite) else 2
    last = len(points) - 1
    own = [
        {
            "x": xy(i, v)[0],
            "y": xy(i, v)[1],
            "label": fmt(v, decimals) if i in (0, last) else "",
            "year": year if i in (0, last) or len(points) <= 4 else "",
        }
        for i, (year, v) in enumerate(points)
        if np.isfinite(v)
    ]

    def change(first: float, last: float) -> str:
        if not first or not np.isfinite(first * last):
            return ""
        return f"{(last - first) / abs(first) * 100:+.1f}%"

    return {
        "title": title,
        "width": width,
        "height": height,
        "own": own,
        "change": change(points[0][1], points[-1][1]),
        "national": change(medians[0], medians[-1]),
    }


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
    long = panel.series(names, years=_MONEY_YEARS)
    return {
        n: long.pivot(index="code", columns="year", values=n).dropna(axis=1, how="all")
        for n in names
    }


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
        if code not in wide.index:
            continue
        unit, divisor = MONEY_INDICATORS[name]
        decimals = 2 if name == "fiscal_strength_index" else 0
        members = wide.index.intersection(peers)
        own, med = [], []
        for year in years:
            if year not in wide.columns:
                own.append("")
                med.append("")
                continue
            own.append(fmt(float(wide.at[code, year]) / divisor, decimals))
            med.append(fmt(float(wide.loc[members, year].median()) / divisor, decimals))
        rows.append({"label": indicators.info(name).label, "unit": unit, "own": own, "peers": med})
    if not rows:
        return None
    return {"years": years, "rows": rows, "indicators": list(series)}


def _changes(context: Context, code: str) -> list[dict]:
    from regionlib.data import indicators

    if context.series:
        charts = []
        for name, wide in context.series.items():
            if code not in wide.index:
                continue
            row = wide.loc[code]
            points = [(str(y), float(v)) for y, v in row.items() if np.isfinite(v)]
            if len(points) < 2:
                continue
            medians = [float(wide[int(y)].median()) for y, _ in points]
            entry = indicators.info(name)
            title = f"{entry.label}（{entry.unit}）" if entry.unit else entry.label
            charts.append(_chart(title, points, medians))
        return charts
    table = context.table
    charts = []
    for title, points in _CHANGES:
        if not all(name in table.columns for _, name in points):
            continue
        values = [(year, float(table.at[code, name])) for year, name in points]
        if not any(np.isfinite(v) for _, v in values):
            continue
        medians = [float(table[name].median()) for _, name in points]
        charts.append(_chart(title, values, medians))
    return charts


def _peers(context: Context, code: str, k: int) -> tuple[list[str], list[dict], pd.DataFrame]:
    """Peer codes, the page's peer rows, and the peers as a table (for the workbook)."""
    from regionlib.analysis import features, similarity

    feats = context.features
    if code not in feats.matrix.index:
        return [], [], pd.DataFrame()
    peers = similarity.find_peers(feats, code, k=k)
    contrib = peers[[f"contrib_{n}" for n in feats.indicators]]
    rows = []
    for peer, row in peers.iterrows():
        top = contrib.loc[peer].sort_values(ascending=False, kind="stable").index[:2]
        rows.append(
            {
                "rank": int(row["rank"]),
                "code": peer,
                "name": row["name"],
                "prefecture": row["prefecture"],
                "population": fmt(float(row.get("population", np.nan)), 0),
                "distance": f"{row['distance']:.2f}",
                "differs": "、".join(
                    features.indicator_label(t.removeprefix("contrib_"), short=True) for t in top
                ),
            }
        )
    table = pd.DataFrame(
        {
            "順位": [r["rank"] for r in rows],
            "code": list(peers.index),
            "prefecture": peers["prefecture"].to_numpy(),
            "name": peers["name"].to_numpy(),
            "人口（人）": pd.to_numeric(peers.get("population"), errors="coerce")
            if "population" in peers
            else np.nan,
            "距離": peers["distance"].to_numpy(dtype=float),
            "主な違い": [r["differs"] for r in rows],
        }
    )
    return list(peers.index), rows, table


def _tables(context: Context, code: str, values: list[dict], peers: list[str], peer_table) -> dict:
    """Return the page's numbers as tables for a workbook: indicators, peers, series."""
    from regionlib.data import indicators

    rows = [
        {
            "指標": v["entry"].label,
            "単位": v["entry"].unit,
            "年": v["entry"].year,
            "値": v["value"],
            "全国順位": v["rank"],
            "全国の市区町村数": v["n"],
            "都道府県内順位": v["pref_rank"],
            "都道府県内の市区町村数": v["pref_n"],
            "類似市区町村の中央値": v["peers_median"],
            "全国の中央値": v["national_median"],
            "値がない理由": v["reason"],
        }
        for v in values
    ]
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
                    "指標": entry.label,
                    "単位": entry.unit,
                    "年": int(year),
                    "値": float(value),
                    "類似市区町村の中央値": float(peer_median[year]),
                    "全国の中央値": float(national_median[year]),
                }
            )
            series_decimals.append(places)
    counts = ("全国順位", "全国の市区町村数", "都道府県内順位", "都道府県内の市区町村数")
    headline = pd.DataFrame(rows).astype(dict.fromkeys(counts, "Int64"))
    decimals = [v["decimals"] for v in values]
    headline.attrs["cell_decimals"] = dict.fromkeys(
        ("値", "類似市区町村の中央値", "全国の中央値"), decimals
    )
    out = {"指標": headline}
    if len(peer_table):
        out["類似市区町村"] = peer_table
    if series:
        trend = pd.DataFrame(series)
        trend.attrs["cell_decimals"] = dict.fromkeys(
            ("値", "類似市区町村の中央値", "全国の中央値"), series_decimals
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


def profile(
    table: pd.DataFrame | None,
    municipality: str | int,
    *,
    k: int = 10,
    context: Context | None = None,
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

    Returns
    -------
    Profile
        Render it with :meth:`Profile.to_html` or write it with :meth:`Profile.save`.

    Raises
    ------
    UnknownNameError, AmbiguousNameError
        The municipality cannot be identified (candidates in the message); a
        designated-city ward names the city to use.
    """
    from regionlib.data import indicators
    from regionlib.outputs._mapstyle import credit_lines

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
    region_name = labels.get("region_name")
    region_codes: list[str] = []
    if isinstance(region_name, str) and region_name:
        region_codes = list(context.labels.index[context.labels["region_name"] == region_name])
    cluster = labels.get("cluster")
    shown = [n for n in HEADLINE_INDICATORS if n in tbl.columns]
    used = list(dict.fromkeys([*shown, *context.peer_indicators]))
    missing_peers = ""
    if not peer_rows:
        absent = [n for n in context.peer_indicators if pd.isna(tbl.at[code, n])]
        missing_peers = "、".join(
            f"{indicators.info(n).label}（{_reason(context, n, code)}）" for n in absent
        )
    money = _money(code, peer_codes)
    if money is not None:
        used = list(dict.fromkeys([*used, *money["indicators"]]))
    data = {
        "money": money,
        "good_practice": _good_practice(context, code),
        "headline": _headline(values),
        "changes": _changes(context, code),
        "futures": _futures(code, peer_codes),
        "peers": peer_rows,
        "peer_indicators": [indicators.info(n).label for n in context.peer_indicators],
        "peers_missing": missing_peers,
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
            for n in LISA_INDICATORS
            if f"lisa_{n}" in context.labels.columns
        ],
        "maps": _map_data(context, code, peer_codes, region_codes),
        "credits": credit_lines(used),
    }
    return Profile(
        code,
        str(tbl.at[code, "name"]),
        str(tbl.at[code, "prefecture"]),
        data,
        cited=used,
        make_tables=lambda: _tables(context, code, values, peer_codes, peer_table),
    )


def _futures(code: str, peers: list[str]) -> dict | None:
    """Return the pyramid and 2050 projection of the page (partial ``_futures.html.j2``)."""
    from regionlib.outputs import pyramid

    return pyramid.profile_futures(code, peers)


@functools.cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("regionlib.outputs", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


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
    return render_template("profile.html.j2", p=page, d=page.data, links=dict(links or {}), nav=nav)
