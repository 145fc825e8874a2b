"""An offline atlas: a static site of municipality profiles, prefecture rankings and an index.

:func:`write_atlas` writes into one folder::

    index.html        search box (name or code; hiragana and katakana match) and a map
    p/01.html         one page per prefecture: its municipalities ranked on every indicator
    m/01209.html      one profile page per municipality (see :mod:`regionlib.report`)
    a/r/001.html      one page per proposed region, a/r/index.html listing them
    a/z/001.html      one page per 2020 commuting zone, a/z/index.html listing them
                      (area pages, see :mod:`regionlib.outputs.areapage`)
    compare.html      municipalities side by side; the selection lives in the address
                      (compare.html#01209,01215,01216) and the table shown downloads as CSV

Every page is self-contained (inline CSS, SVG and a few lines of script), links the others by
relative paths, and opens by double-click from a USB stick or a file share without a network.
The national analyses are computed once; pages are rendered in parallel processes where there
are enough of them to pay. The folder is written atomically: an existing folder that holds
other files is refused unless ``overwrite``.

Examples
--------
>>> from regionlib import atlas
>>> atlas.write_atlas("atlas", prefectures=["北海道"])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import RegionlibError
from regionlib._log import log
from regionlib.data import codes as _codes
from regionlib.outputs._mapstyle import fmt
from regionlib.outputs._process import parent_gone, stop_with_parent

__all__ = ["AtlasSummary", "write_atlas"]

#: indicator of the index map
INDEX_MAP_INDICATOR = "aging_rate"
_PARALLEL_MIN = 60  # fewer pages than this are rendered in this process
_CONTEXT = None  # the shared context, inherited by forked workers
_AREAS = None  # the area set being rendered (areas, context, folder, links, nav), likewise


@dataclass
class AtlasSummary:
    """What :func:`write_atlas` wrote.

    Attributes
    ----------
    folder
        The atlas folder.
    municipalities, prefectures
        Pages written of each kind.
    bytes
        Total size of the folder.
    seconds
        Time taken.
    """

    folder: Path
    municipalities: int
    prefectures: int
    bytes: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.folder}: index + {self.prefectures} 都道府県 + {self.municipalities} 市区町村 "
            f"({self.bytes / 1e6:.1f} MB, {self.seconds:.0f} s)"
        )


def _readings() -> pd.Series:
    """Return the readings for the search box (none without the code history: names only)."""
    try:
        return _codes.readings()
    except RegionlibError as exc:
        log(
            f"atlas: no readings for the search ({exc})",
            level=logging.WARNING,
            ja="読み仮名がないため、検索は漢字の名前だけで行います",
        )
        return pd.Series(dtype=str)


def _gojuon(codes: list[str]) -> list[str]:
    """Return ``codes`` in 五十音順 (in code order when there are no readings)."""
    try:
        return _codes.gojuon_order(codes)
    except RegionlibError:
        return list(codes)


def _render_pages(args: tuple[list[str], str, dict[str, str]]) -> list[tuple[str, int]]:
    """Render the profile pages of ``codes`` into ``folder``; return (code, size) pairs."""
    from regionlib.outputs import report

    codes, folder, links = args
    out = []
    for code in codes:
        if parent_gone():
            os._exit(1)  # the atlas run was killed: stop writing into its temporary folder
        page = report.profile(None, code, context=_CONTEXT)
        pref = _CONTEXT.table.at[code, "pref_code"]
        nav = [
            {"href": "../index.html", "label": "索引"},
            {"href": f"../p/{pref}.html", "label": page.prefecture},
            {"href": f"{code}.html", "label": page.name},
        ]
        html = report.render(page, links=links, nav=nav)
        path = Path(folder) / "m" / f"{code}.html"
        path.write_text(html, encoding="utf-8")
        out.append((code, path.stat().st_size))
    return out


def _render_area_pages(names: list[str]) -> list[dict]:
    """Render the area pages ``names`` of the set in :data:`_AREAS`; return index entries."""
    from regionlib.outputs import areapage

    found, context, folder, links, nav = _AREAS
    return areapage.render_pages(
        found, Path(folder), names=names, context=context, links=links, nav=nav
    )


def _area_pages(tmp: Path, context, chosen: list[str], jobs: int = 1) -> list[dict]:
    """Write the pages of the proposed regions and the commuting zones touching ``chosen``.

    Each set is aggregated once here; its pages are rendered by ``jobs`` forked workers.
    """
    global _AREAS
    from regionlib.analysis import areas
    from regionlib.outputs import areapage, report

    wanted = set(chosen)
    regions = context.labels["region_name"].dropna()
    members: dict[str, list[str]] = {}
    for code, name in regions.items():
        members.setdefault(str(name), []).append(str(code))
    sets = [
        ("r", areas.Areas(members, "リージョン案", "regionlib atlas")),
        ("z", areas.reference_areas("commuting-zones-2020")),
    ]
    links = {c: f"../../m/{c}.html" for c in chosen}
    out = []
    for folder, found in sets:
        picked = [a for a, codes in found.members.items() if wanted & set(codes)]
        if not picked:
            continue
        (tmp / "a" / folder).mkdir(parents=True)
        nav = [
            {"href": "../../index.html", "label": "索引"},
            {"href": "index.html", "label": found.kind},
        ]
        shared = areapage.build_area_context(found)
        areapage.prepare(shared)  # built once here, inherited by the workers
        _AREAS = (found, shared, str(tmp / "a" / folder), links, nav)
        try:
            if jobs > 1 and len(picked) >= _PARALLEL_MIN:
                import multiprocessing

                chunks = [picked[i :: jobs * 2] for i in range(jobs * 2)]
                pool = multiprocessing.get_context("fork").Pool(
                    jobs, initializer=stop_with_parent, initargs=(os.getpid(),)
                )
                with pool:
                    parts = pool.map(_render_area_pages, [c for c in chunks if c])
                entries = sorted((e for part in parts for e in part), key=lambda e: e["href"])
            else:
                entries = _render_area_pages(picked)
        finally:
            _AREAS = None
        html = report.render_template(
            "area_index.html.j2",
            title=f"{found.kind}（{len(entries)}圏域）",
            entries=entries,
            nav=nav[:1],
            credits=report.credit_lines_for(context.table),
        )
        (tmp / "a" / folder / "index.html").write_text(html, encoding="utf-8")
        out.append({"href": f"a/{folder}/index.html", "label": found.kind, "n": len(entries)})
    return out


def _compare_page(context, chosen: list[str], kana: pd.Series) -> str:
    """Render the compare page: every chosen municipality's headline values as data."""
    from regionlib.data import indicators
    from regionlib.outputs import report

    table = context.table.loc[chosen]
    rows = []
    for name in report.HEADLINE_INDICATORS:
        if name not in table.columns:
            continue
        entry = indicators.info(name)
        values = table[name].to_numpy(dtype=float)
        ok = values[np.isfinite(values)]
        decimals = report._decimals(context.table[name].to_numpy(dtype=float))
        rows.append(
            {
                "label": entry.label,
                "unit": entry.unit,
                "year": report._year(entry.year, fiscal=entry.group == "fiscal"),
                "decimals": decimals,
                "values": [
                    round(float(v), decimals + 2) if np.isfinite(v) else None for v in values
                ],
                "median": float(np.median(ok)),
                "sd": float(np.std(ok)),
                "n": len(ok),
            }
        )
    data = {
        "codes": list(table.index),
        "names": list(table["name"]),
        "prefs": list(table["prefecture"]),
        "keys": [
            _codes.to_hiragana(f"{p}{n}{kana.get(c, '')}")
            for c, p, n in zip(table.index, table["prefecture"], table["name"], strict=True)
        ],
        "indicators": rows,
    }
    return report.render_template(
        "atlas_compare.html.j2",
        data=data,
        nav=[{"href": "index.html", "label": "索引"}, {"href": "compare.html", "label": "比べる"}],
        credits=report.credit_lines_for(context.table),
    )


def _pref_rows(context, codes: list[str]) -> tuple[list[dict], list[dict]]:
    from regionlib.analysis import features
    from regionlib.data import indicators
    from regionlib.outputs import report

    table = context.table.loc[codes]
    names = [n for n in report.HEADLINE_INDICATORS if n in table.columns]
    columns = [
        {
            "name": n,
            "label": features.indicator_label(n, short=True),
            "unit": indicators.info(n).unit,
        }
        for n in names
    ]
    ranks = {n: table[n].rank(ascending=False, method="min") for n in names}
    decimals = {n: report._decimals(context.table[n].to_numpy(dtype=float)) for n in names}
    order = (
        table["population_2020"].sort_values(ascending=False).index
        if "population_2020" in table
        else codes
    )
    rows = []
    for code in order:
        cells = []
        for n in names:
            value = float(table.at[code, n])
            rank = ranks[n][code]
            cells.append(
                {
                    "value": fmt(value, decimals[n]),
                    "rank": "" if not np.isfinite(rank) else int(rank),
                    "missing": not np.isfinite(value),
                }
            )
        rows.append({"code": code, "name": table.at[code, "name"], "cells": cells})
    return columns, rows


def _index_map(context, codes: list[str]) -> dict:
    """Return an SVG choropleth of the chosen municipalities, each linked to its page."""
    import shapely

    from regionlib import settings
    from regionlib.data import indicators
    from regionlib.outputs import report
    from regionlib.outputs._mapstyle import MISSING_COLOR, classify

    frame = context.table.loc[codes]
    geoms = frame.geometry.to_crs(settings.area_crs)
    main = shapely.box(*report._NATIONAL_FRAME)
    bounds = (
        report._main_bounds(geoms)
        if len(codes) < 1000
        else shapely.intersection(shapely.union_all(geoms.to_numpy()), main).bounds
    )
    paths, _, w, h = report._svg_paths(
        geoms.to_numpy(), bounds, width=700, max_height=700, pixel=1.0
    )
    classes = classify(frame[INDEX_MAP_INDICATOR], k=5)
    shapes = []
    for code, d, cls in zip(frame.index, paths, classes.cls, strict=True):
        if d:
            color = classes.colors[cls] if cls >= 0 else MISSING_COLOR
            shapes.append({"code": code, "d": d, "fill": color, "name": frame.at[code, "name"]})
    lower = classes.lower
    legend = []
    for color, upper in zip(classes.colors, classes.upper, strict=True):
        legend.append({"color": color, "text": f"{lower:.1f}–{upper:.1f}"})
        lower = upper
    entry = indicators.info(INDEX_MAP_INDICATOR)
    return {
        "width": round(w),
        "height": round(h),
        "shapes": shapes,
        "legend": legend,
        "title": f"{entry.label}（{entry.unit}、{entry.year}年）",
    }


def write_atlas(
    folder: str | os.PathLike,
    *,
    prefectures: Iterable[str] | None = None,
    overwrite: bool = False,
    jobs: int | None = None,
    table: pd.DataFrame | None = None,
) -> AtlasSummary:
    """Write the offline atlas into ``folder`` (see the module docstring).

    Parameters
    ----------
    folder
        The atlas folder; an existing folder holding other files is refused unless
        ``overwrite``.
    prefectures
        Only these prefectures' pages (names or codes); the analyses stay national (peers
        anywhere in Japan). Default all.
    overwrite
        Replace a folder that holds files regionlib did not write.
    jobs
        Processes rendering the pages; default the number of CPUs (one for small atlases).
    table
        The table the pages are made from (with geometry); default every indicator a
        profile shows.

    Returns
    -------
    AtlasSummary
        Counts, size and time.

    Raises
    ------
    UnknownNameError
        An unknown prefecture (close names suggested), before any analysis.
    RegionlibError
        ``jobs`` below 1.
    """
    global _CONTEXT
    from regionlib._write import atomic_directory, check_directory
    from regionlib.outputs import report

    started = time.perf_counter()
    check_directory(folder, overwrite=overwrite)
    # the prefectures and the workers are checked before the national analyses (seconds)
    wanted = {_codes.prefecture_code(str(p)) for p in prefectures or ()}
    if jobs is not None and int(jobs) < 1:
        raise RegionlibError(
            f"jobs は 1 以上にしてください（指定は {jobs}） / jobs must be at least 1, got {jobs}"
        )
    context = report.build_context(table)
    tbl = context.table
    if wanted:
        chosen = [c for c in tbl.index if tbl.at[c, "pref_code"] in wanted]
    else:
        chosen = list(tbl.index)
    prefs = sorted({tbl.at[c, "pref_code"] for c in chosen})
    links = {c: f"{c}.html" for c in chosen}
    for pref in prefs:  # built once here, inherited by the workers
        report._prefecture_svg(context, pref)
    report._japan_svg(context)
    jobs = jobs or os.cpu_count() or 1
    if len(chosen) < _PARALLEL_MIN:
        jobs = 1
    with atomic_directory(folder, overwrite=overwrite) as tmp:
        (tmp / "m").mkdir()
        (tmp / "p").mkdir()
        _CONTEXT = context
        try:
            chunks = [chosen[i :: jobs * 4] for i in range(jobs * 4)] if jobs > 1 else [chosen]
            work = [(chunk, str(tmp), links) for chunk in chunks if chunk]
            if jobs > 1:
                import multiprocessing

                pool = multiprocessing.get_context("fork").Pool(
                    jobs, initializer=stop_with_parent, initargs=(os.getpid(),)
                )
                with pool:
                    sizes = [s for part in pool.map(_render_pages, work) for s in part]
            else:
                sizes = [s for part in map(_render_pages, work) for s in part]
        finally:
            _CONTEXT = None
        area_sets = _area_pages(tmp, context, chosen, jobs)
        entries = []
        kana = _readings()
        for code in _gojuon(chosen):  # search results listed in 五十音順
            entries.append(
                {
                    "code": code,
                    "name": tbl.at[code, "name"],
                    "prefecture": tbl.at[code, "prefecture"],
                    "key": _codes.to_hiragana(
                        f"{tbl.at[code, 'prefecture']}{tbl.at[code, 'name']}{kana.get(code, '')}"
                    ),
                }
            )
        for pref in prefs:
            pref_codes = [c for c in chosen if tbl.at[c, "pref_code"] == pref]
            columns, rows = _pref_rows(context, pref_codes)
            name = tbl.at[pref_codes[0], "prefecture"]
            html = report.render_template(
                "atlas_prefecture.html.j2",
                name=name,
                columns=columns,
                rows=rows,
                nav=[
                    {"href": "../index.html", "label": "索引"},
                    {"href": f"{pref}.html", "label": name},
                ],
                credits=report.credit_lines_for(tbl),
            )
            (tmp / "p" / f"{pref}.html").write_text(html, encoding="utf-8")
        html = report.render_template(
            "atlas_index.html.j2",
            entries=entries,
            prefs=[
                {"code": p, "name": tbl.loc[tbl["pref_code"] == p, "prefecture"].iloc[0]}
                for p in prefs
            ],
            map=_index_map(context, chosen),
            areas=area_sets,
            nav=None,
            credits=report.credit_lines_for(tbl),
        )
        (tmp / "index.html").write_text(html, encoding="utf-8")
        (tmp / "compare.html").write_text(_compare_page(context, chosen, kana), encoding="utf-8")
        total = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
    summary = AtlasSummary(
        Path(folder), len(sizes), len(prefs), total, time.perf_counter() - started
    )
    log(f"atlas: {summary}", ja=f"地図帳: {summary}")
    return summary
