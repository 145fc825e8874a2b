"""Side by side: municipalities and areas in columns, indicators in rows.

:func:`compare` sets the chosen places side by side: for each indicator its value, its rank,
the median of its peers and the national median, with values more than one standard deviation
from the national median marked (▲ above, ▼ below). A municipality is ranked among the 1,741
municipalities and its peers are the ten most similar ones (as ``regionlib peers`` finds
them); an area is ranked among the areas of its kind (a planner's few areas among the 2020
commuting zones) and its peers are the ten areas of that set closest in population. Series are
drawn on one axis per indicator (counts as an index, first year = 100, so that a city and a
village can share it). :meth:`Comparison.save` writes ``.html`` (offline) or ``.xlsx``.

Examples
--------
>>> from regionlib.outputs import compare
>>> compare.compare(["夕張市", "美唄市", "芦別市"]).save("c.html")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib.analysis import areas as _areas
from regionlib.outputs import areapage
from regionlib.outputs._mapstyle import fmt

__all__ = ["COLOURS", "Comparison", "compare"]

#: One colour per place (up to ten, then repeated).
COLOURS = (
    "#c0392b",
    "#1f5fa8",
    "#2e8b57",
    "#8e44ad",
    "#d35400",
    "#16a085",
    "#7f8c8d",
    "#b7950b",
    "#e84393",
    "#34495e",
)
_PEERS = 10


@dataclass
class Comparison:
    """Places side by side (see :func:`compare`).

    Attributes
    ----------
    places
        One dict per column: ``key`` (code or area name), ``label``, ``kind``
        (``市区町村`` or the area's kind), ``colour``.
    rows
        One dict per indicator: ``name``, ``label``, ``unit``, ``year`` and ``cells`` (one per
        place: value, rank, n, peers' median, national median, mark).
    charts
        One multi-line chart per series indicator.
    """

    places: list[dict]
    rows: list[dict]
    charts: list[dict]
    credits: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Return the comparison as one long table (indicator × place), as the workbook has it."""
        records = []
        for row in self.rows:
            for place, cell in zip(self.places, row["cells"], strict=True):
                records.append(
                    {
                        "指標": row["label"],
                        "単位": row["unit"],
                        "年": row["year"],
                        "地域": place["label"],
                        "種類": place["kind"],
                        "値": cell["raw"],
                        "順位": cell["rank"] or None,
                        "比較数": cell["n"],
                        "類似する市区町村の中央値": cell["peers_raw"],
                        "全国の中央値": cell["national_raw"],
                        "中央値から1標準偏差以上": cell["mark"],
                        "値がない理由": cell["reason"],
                    }
                )
        return pd.DataFrame(records)

    def to_html(self) -> str:
        """Return the page as one self-contained HTML document (no request when opened)."""
        from regionlib.outputs.report import render_template

        return render_template("compare.html.j2", c=self, nav=None)

    def save(self, path: str | Path) -> Path:
        """Write the page (``.html``) or the numbers (``.xlsx``, ``.csv``) atomically.

        Parameters
        ----------
        path
            The file to write: ``.html``, ``.xlsx`` or ``.csv``.

        Returns
        -------
        Path
            The path written.
        """
        from regionlib._write import check_output, write_text
        from regionlib.outputs import export

        path = check_output(path, (".html", ".htm", ".xlsx", ".csv"), what="comparison")
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            sheets = {"比較": self.to_frame(), "推移": self._series_frame()}
            return export.write_xlsx(sheets, path, index=False, ranks=False, cited=self.cited)
        if suffix == ".csv":
            return export.write_csv(self.to_frame(), path, index=False)
        return write_text(path, self.to_html(), what="comparison")

    def _series_frame(self) -> pd.DataFrame:
        records = [
            {"指標": chart["title"], "地域": line["label"], "年": year, "値": value}
            for chart in self.charts
            for line in chart["lines"]
            for year, value in line["values"]
        ]
        return pd.DataFrame(records)


@functools.cache
def _municipal_table() -> tuple[pd.DataFrame, dict]:
    """Municipality table without geometry and its missing reasons, read once per process."""
    table = areapage._base_table()
    plain = pd.DataFrame(table.drop(columns=table.geometry.name))
    plain.attrs = {}
    return plain, table.attrs.get("missing_reasons", {})


@functools.cache
def _municipal_context():
    """Municipality table, peer features and national medians/SDs, built once per process."""
    from regionlib.analysis import features
    from regionlib.data import indicators

    plain, reasons = _municipal_table()
    peer_columns = [n for n in indicators.DEFAULT_INDICATORS if n in plain.columns]
    feats = features.prepare_features(plain, peer_columns)
    stats = {}
    for name in areapage.AREA_INDICATORS:
        values = plain[name].to_numpy(dtype=float)
        ok = values[np.isfinite(values)]
        stats[name] = (np.sort(ok), float(np.median(ok)), float(np.std(ok)), values)
    return plain, feats, stats, reasons


@functools.cache
def _exact_names() -> dict[str, str]:
    """Return the code of each unique name, prefecture + name, and code."""
    plain = _municipal_table()[0]
    out: dict[str, str] = {str(c): str(c) for c in plain.index}
    repeated = set(plain["name"][plain["name"].duplicated()])
    for code, pref, name in zip(plain.index, plain["prefecture"], plain["name"], strict=True):
        out[f"{pref}{name}"] = str(code)
        if name not in repeated:
            out[str(name)] = str(code)
    return out


def _places(names: Sequence[str], area_specs: Sequence[str]):
    """Resolve municipalities (codes) and read the areas; errors name the place.

    Only the table is read: a wrong name is said before the peers' features are prepared.
    """
    from regionlib.data import codes

    plain = _municipal_table()[0]
    quick = _exact_names()
    found = []
    for name in names:
        code = quick.get(str(name).strip())  # an exact, unique name or a code: no search
        if code is None:
            code = codes.resolve_municipality(name, candidates=plain[["prefecture", "name"]])
        found.append(("m", code))
    groups = []
    for spec in area_specs:
        group, picked = _areas.split_spec(spec)
        groups.append(group)
        found.extend(("a", (len(groups) - 1, a)) for a in (picked or list(group)))
    return found, groups


def compare(
    places: Sequence[str] = (),
    *,
    areas: Sequence[str] = (),
    indicators: Sequence[str] | None = None,
) -> Comparison:
    """Set municipalities and areas side by side.

    Parameters
    ----------
    places
        Municipalities by name, code or reading.
    areas
        Area specs as the command line takes them (``札幌圏=札幌市,江別市``, ``FILE.csv:AREA``,
        ``commuting-zones-2020:札幌市通勤圏``).
    indicators
        Rows; default :data:`regionlib.outputs.areapage.AREA_INDICATORS`.

    Returns
    -------
    Comparison
        Write it with :meth:`Comparison.save`.

    Raises
    ------
    RegionlibError
        For an unknown or ambiguous place, a bad area, or nothing to compare.
    """
    from regionlib.analysis import similarity
    from regionlib.data import indicators as catalogue
    from regionlib.outputs._mapstyle import credit_lines
    from regionlib.outputs.report import _year

    if not places and not areas:
        raise _areas.AreaError(
            "比べる市区町村か --area を 1 つ以上指定してください / "
            "name at least one municipality or --area to compare"
        )
    found, groups = _places(places, areas)  # names and areas first: their errors before work
    plain, feats, stats, reasons = _municipal_context()
    contexts = [areapage.build_area_context(g) for g in groups]
    names = [n for n in (indicators or areapage.AREA_INDICATORS) if n in stats]
    columns = []
    for i, (kind, key) in enumerate(found):
        colour = COLOURS[i % len(COLOURS)]
        if kind == "m":
            peers = list(similarity.find_peers(feats, key, k=_PEERS).index)
            label = str(plain.at[key, "name"])
            if (plain["name"] == label).sum() > 1:
                label = f"{plain.at[key, 'prefecture']}{label}"
            columns.append({"key": key, "label": label, "kind": "市区町村", "colour": colour})
            columns[-1]["_peers"] = peers
            columns[-1]["_at"] = plain.index.get_loc(key)
            columns[-1]["_peer_at"] = plain.index.get_indexer(peers)
        else:
            ctx = contexts[key[0]]
            pop = ctx.comparison["population_2020"]
            near = (pop - pop[key[1]]).abs().drop(key[1]).nsmallest(_PEERS).index
            columns.append(
                {"key": key[1], "label": key[1], "kind": ctx.areas.kind, "colour": colour}
            )
            columns[-1]["_ctx"], columns[-1]["_peers"] = ctx, list(near)
    labels = [c["label"] for c in columns]
    if len(set(labels)) < len(labels):
        raise _areas.AreaError(
            f"同じ場所が 2 回指定されています: {', '.join(labels)} / "
            f"a place is named twice: {', '.join(labels)}"
        )
    rows = []
    for name in names:
        entry = catalogue.info(name)
        ordered, national, sd, everyone = stats[name]
        decimals = areapage._decimals(ordered)
        cells = []
        for col in columns:
            if "_ctx" in col:
                ctx = col["_ctx"]
                value = float(ctx.values.at[col["key"], name])
                others = ctx.comparison[name].to_numpy(dtype=float)
                ok = np.sort(others[np.isfinite(others)])
                peers = float(ctx.comparison.loc[col["_peers"], name].median())
                reason = ctx.info["missing_reasons"].get(name, {}).get(col["key"], "")
                median = float(np.median(ok)) if len(ok) else np.nan
                spread = float(np.std(ok)) if len(ok) else np.nan
            else:
                value = float(everyone[col["_at"]])
                ok = ordered
                peers = float(np.nanmedian(everyone[col["_peer_at"]]))
                reason = reasons.get(name, {}).get(col["key"], "")
                median, spread = national, sd
            finite = np.isfinite(value)
            mark = ""
            if finite and np.isfinite(spread) and abs(value - median) > spread:
                mark = "▲" if value > median else "▼"
            cells.append(
                {
                    "value": fmt(value, decimals) if finite else "データなし",
                    "raw": value if finite else None,
                    "rank": int(len(ok) - np.searchsorted(ok, value, side="right") + 1)
                    if finite
                    else "",
                    "n": len(ok),
                    "peers": fmt(peers, decimals),
                    "peers_raw": peers,
                    "national": fmt(median, decimals),
                    "national_raw": median,
                    "mark": mark,
                    "missing": not finite,
                    "reason": "" if finite else str(reason or "値がない"),
                }
            )
        rows.append(
            {
                "name": name,
                "label": entry.label,
                "unit": entry.unit,
                "year": _year(entry.year, fiscal=entry.group == "fiscal"),
                "cells": cells,
            }
        )
    charts = [_series_chart(title, name, columns, plain) for title, name in areapage.SERIES]
    for col in columns:
        for key in ("_ctx", "_peers", "_at", "_peer_at"):
            col.pop(key, None)
    used = [*names, *(n for _, n in areapage.SERIES)]
    return Comparison(
        columns,
        rows,
        [c for c in charts if c["lines"]],
        credit_lines(list(dict.fromkeys(used))),
        list(dict.fromkeys(used)),
    )


def _series_chart(title: str, name: str, columns: list[dict], plain: pd.DataFrame) -> dict:
    """One chart, every place a line on the same axis (a count as an index, first year = 100)."""
    from regionlib.data import indicators

    years = indicators.years(name)
    count = indicators.info(name).rule.kind == "sum"
    lines = []
    for col in columns:
        if "_ctx" in col:
            frame, key = col["_ctx"].values, col["key"]
        else:
            frame, key = plain, col["key"]
        points = [
            (y, float(frame.at[key, f"{name}@{y}"]))
            for y in years
            if f"{name}@{y}" in frame.columns and np.isfinite(frame.at[key, f"{name}@{y}"])
        ]
        if len(points) < 2:
            continue
        shown = [(y, v / points[0][1] * 100) for y, v in points] if count else points
        lines.append(
            {"label": col["label"], "colour": col["colour"], "values": points, "_shown": shown}
        )
    width, height, left, right, top, bottom = 420.0, 200.0, 44.0, 12.0, 12.0, 24.0
    values = [v for line in lines for _, v in line["_shown"]]
    if not values:
        return {"title": title, "lines": []}
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = 0.08 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    first, last = min(years), max(years)

    def x(year: int) -> float:
        return round(left + (year - first) / max(last - first, 1) * (width - left - right), 1)

    def y(value: float) -> float:
        return round(top + (hi - value) / (hi - lo) * (height - top - bottom), 1)

    ticks = np.linspace(lo + pad, hi - pad, 3)
    for line in lines:
        line["points"] = " ".join(f"{x(a)},{y(b)}" for a, b in line.pop("_shown"))
    return {
        "title": title + ("（初年＝100の指数）" if count else ""),
        "width": width,
        "height": height,
        "lines": lines,
        "xticks": [{"x": x(a), "label": str(a)} for a in (first, last)],
        "yticks": [{"y": y(t), "label": fmt(float(t), 1 if hi - lo < 20 else 0)} for t in ticks],
        "left": left,
        "bottom": height - bottom,
        "right": width - right,
    }
