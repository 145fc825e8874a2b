"""KPI targets of a 地方版総合戦略, tracked: baseline, latest value, path, trend, peers.

A planner writes the targets in a small CSV, one row per KPI::

    municipality,area,indicator,base_year,target,target_year,better,note
    夕張市,,population_registered,2020,6500,2030,higher,人口ビジョン
    ,commuting-zones-2020:札幌市通勤圏,social_change_rate,2015,3,2030,higher,転入超過

``municipality`` (a name, code or reading) or ``area`` (an area spec as ``--area`` takes it,
or the name of an area of the ``areas`` file given alongside) names the place; ``indicator``
is a catalogue name or label; the base year must be a year the catalogue holds with a value
for the place; the target year must not be in the past. ``better`` (optional: ``higher`` or
``lower``, also 高い／低い; default ``higher``) says which side of the target counts: a
population target of 6,500 for a town of 7,769 is a floor to stay above, not a decline to aim
for (it is 達成 only in its target year; until then it is on track while the town stays above
the straight path from 7,769 to 6,500).

:func:`track` gives each KPI its baseline, the latest value, the value the straight path from
baseline to target asks for in the latest year, the linear trend of the values since the base
year carried to the target year, ``on track`` / ``behind`` (達成 when the target is already
reached), and how the peers moved over the same years (a municipality's ten most similar
municipalities; an area's ten commuting zones closest in population). Population indicators
also get the cohort change-ratio projection for the target year
(:func:`regionlib.analysis.projection.project`).

The package ships an example of the national 地方創生2.0 KPIs the data can measure
(:func:`example_path`).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from regionlib._errors import RegionlibError
from regionlib.analysis import areas as _areas
from regionlib.data import indicators

__all__ = [
    "KpiError",
    "Target",
    "example_path",
    "projection_datasets",
    "read_targets",
    "track",
]

_PEERS = 10
#: Indicators a population projection applies to (see :func:`_projection`).
POPULATION_INDICATORS = ("population_registered", "population_2020")
#: The register series and base period of that projection.
PROJECTION_SERIES, PROJECTION_BASE = "total", (2017, 2022)


def projection_datasets() -> list[str]:
    """Return the registry datasets the KPI projection reads (to credit where it is shown)."""
    from regionlib.data import population

    return [population.dataset_name(PROJECTION_SERIES, y) for y in PROJECTION_BASE]


class KpiError(RegionlibError, ValueError):
    """A targets file row that cannot be tracked (the row is named)."""


@dataclass(frozen=True)
class Target:
    """One KPI target (a row of the targets file).

    Attributes
    ----------
    row
        Where the target is written (file and line), for messages.
    place, label
        The municipality's code or the area's name, and its name as shown.
    members
        Codes of the municipalities the place covers (one for a municipality).
    is_area
        Whether the place is an area.
    indicator
        Catalogue name of the indicator.
    base_year, target, target_year
        The baseline year, the target value and the year it is set for.
    note
        The file's note.
    higher
        Whether a higher value is better.
    """

    row: str
    place: str
    label: str
    members: tuple[str, ...]
    is_area: bool
    indicator: str
    base_year: int
    target: float
    target_year: int
    note: str = ""
    higher: bool = True


def example_path() -> Path:
    """Return the shipped example targets file (national 地方創生2.0 KPIs the data can measure)."""
    return Path(str(resources.files("regionlib.data").joinpath("kpi_example.csv")))


#: the Japanese of the cells :func:`_number` reads
_WHAT_JA = {"base year": "基準年", "target year": "目標年", "target": "目標値"}


def _number(text: str, where: str, what: str) -> float:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        raise KpiError(
            f"{where}: {_WHAT_JA.get(what, what)} {text!r} は数値ではありません / "
            f"{where}: {what} {text!r} is not a number"
        ) from None


def read_targets(
    path: str | Path, *, areas: _areas.Areas | None = None, today: datetime.date | None = None
) -> list[Target]:
    """Read and check a targets file.

    Parameters
    ----------
    path
        CSV (UTF-8 or Shift-JIS) with columns ``municipality`` and/or ``area``, ``indicator``,
        ``base_year``, ``target``, ``target_year`` and optionally ``note``.
    areas
        Areas the ``area`` column may name (from ``--areas FILE``).
    today
        The date targets are checked against (a target year before its year is refused).

    Returns
    -------
    list of Target
        One per row.

    Raises
    ------
    KpiError
        Naming the row: unknown place or indicator, a base year without data, a target year
        in the past, a cell that is not a number.
    """
    from regionlib.data import codes

    path = Path(path)
    if not path.is_file():
        raise KpiError(f"目標のファイル {path} がありません / targets file {path} does not exist")
    from regionlib.data import _userfile

    rows = _userfile.read_user_file(path, what="targets file").to_dict("records")
    needed = {"indicator", "base_year", "target", "target_year"}
    header = set(rows[0]) if rows else set()
    if not needed <= header or not header & {"municipality", "area"}:
        msg = (
            f"{path.name}: 列 municipality か area と、indicator, base_year, target, target_year（と任意で note）が必要です（ある列: {', '.join(sorted(header))}） / "
            f"{path.name}: expected columns municipality or area, indicator, base_year, target, "
            f"target_year[, note]; got {', '.join(sorted(header))}"
        )
        raise KpiError(msg)
    this_year = (today or datetime.date.today()).year
    candidates = _areas._candidates()
    out = []
    for line, rec in enumerate(rows, start=2):
        where = f"{path.name}, row {line}"
        muni = (rec.get("municipality") or "").strip()
        area = (rec.get("area") or "").strip()
        if bool(muni) == bool(area):
            raise KpiError(
                f"{where}: 市区町村か地域のどちらか一方を指定してください / "
                f"{where}: give a municipality or an area (one of the two)"
            )
        if muni:
            try:
                code = codes.resolve_municipality(muni, candidates=candidates)
            except RegionlibError as exc:
                raise KpiError(f"{where}: {exc}") from None
            place, label, members = code, str(candidates.at[code, "name"]), (code,)
        else:
            try:
                found = (
                    areas.select([area])
                    if areas is not None and area in areas.members
                    else _areas.load_areas(area)
                )
            except RegionlibError as exc:
                raise KpiError(f"{where}: {exc}") from None
            if len(found) != 1:
                raise KpiError(
                    f"{where}: 地域 {area!r} は {len(found)} 個の地域に当てはまります。1 つにしてください / "
                    f"{where}: area {area!r} names {len(found)} areas; name one"
                )
            place = label = next(iter(found))
            members = tuple(found.members[place])
        try:
            name = indicators.parse(rec["indicator"].strip()).name
        except RegionlibError as exc:
            raise KpiError(f"{where}: {exc}") from None
        base = int(_number(rec["base_year"], where, "base year"))
        target_year = int(_number(rec["target_year"], where, "target year"))
        held = indicators.years(name)
        if base not in held:
            listed = ", ".join(map(str, held))
            raise KpiError(
                f"{where}: {name} には基準年 {base} のデータがありません（データのある年: {listed}） / "
                f"{where}: {name} has no data for base year {base} (years: {listed})"
            )
        if target_year < this_year:
            raise KpiError(
                f"{where}: 目標年 {target_year} は過去の年です / "
                f"{where}: target year {target_year} is in the past"
            )
        if target_year <= base:
            raise KpiError(
                f"{where}: 目標年 {target_year} が基準年 {base} より後ではありません / "
                f"{where}: target year {target_year} is not after base year {base}"
            )
        better = (rec.get("better") or "higher").strip().lower()
        if better not in ("higher", "lower", "高い", "低い", "上", "下"):
            raise KpiError(
                f"{where}: better {better!r} は higher か lower（高い／低い）にしてください / "
                f"{where}: better {better!r} is not higher or lower (高い／低い)"
            )
        out.append(
            Target(
                where,
                place,
                label,
                members,
                bool(area),
                name,
                base,
                _number(rec["target"], where, "target"),
                target_year,
                (rec.get("note") or "").strip(),
                better in ("higher", "高い", "上"),
            )
        )
    if not out:
        raise KpiError(f"{path.name}: 目標がありません / {path.name}: no targets")
    return out


@functools.cache
def _peer_features():
    from regionlib.analysis import features
    from regionlib.data import table

    frame = table.load_table(geometry=False)
    columns = [n for n in indicators.DEFAULT_INDICATORS if n in frame.columns]
    return features.prepare_features(frame, columns)


def _series(targets: list[Target]) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Values of every KPI's indicator in every year, for each place and for the references."""
    from regionlib.data import table

    names = sorted({t.indicator for t in targets})
    columns = [f"{n}@{y}" for n in names for y in indicators.years(n)]
    columns = list(dict.fromkeys([*columns, "population_2020"]))
    frame = table.load_table(columns, geometry=False)
    zones = _areas.reference_areas("commuting-zones-2020")
    zone_values = _areas.aggregate(frame, zones, indicators=[*columns])
    groups = {t.place: list(t.members) for t in targets if t.is_area}
    area_values = _areas.aggregate(frame, groups, indicators=columns) if groups else None
    # pandas deep-copies attrs on every cell read (seconds over a few KPIs): read without them
    frame, zone_values = frame.copy(deep=False), zone_values.copy(deep=False)
    frame.attrs, zone_values.attrs = {}, {}
    if area_values is not None:
        area_values = area_values.copy(deep=False)
        area_values.attrs = {}
    return {"frame": frame, "areas": area_values}, frame, zone_values


def _values(data: dict, target: Target, name: str) -> dict[int, float]:
    source = data["areas"] if target.is_area else data["frame"]
    out = {}
    for year in indicators.years(name):
        value = float(source.at[target.place, f"{name}@{year}"])
        if np.isfinite(value):
            out[year] = value
    return out


def _projection(target: Target) -> float | None:
    """Return the projected population in the target year (cohort change ratios), or None.

    For population indicators only: :func:`regionlib.analysis.projection.project` on all
    residents (``series="total"``, as the 住民基本台帳 population counts them) with the
    place's own ratios of 2017-2022 (``migration`` variant), summed over an area's members.
    """
    if target.indicator not in POPULATION_INDICATORS:
        return None
    from regionlib.analysis import projection

    try:
        result = projection.project(
            list(target.members),
            to=target.target_year,
            base=PROJECTION_BASE,
            series=PROJECTION_SERIES,
            variants=("migration",),
        )
    except RegionlibError:
        return None
    totals = result.totals
    at = totals[(totals["year"] == target.target_year) & (totals["variant"] == "migration")]
    return float(at["population"].sum()) if len(at) else None


def track(targets: list[Target]) -> pd.DataFrame:
    """Track each KPI: baseline, latest, path, trend, status and the peers' movement.

    Parameters
    ----------
    targets
        From :func:`read_targets`.

    Returns
    -------
    pandas.DataFrame
        One row per KPI: ``place``, ``indicator``, ``label``, ``unit``, ``base_year``,
        ``baseline``, ``latest_year``, ``latest``, ``target``, ``target_year``, ``path``
        (where the straight path stands in the latest year), ``trend`` (the linear trend
        since the base year, in the target year), ``projection``, ``status`` (達成 / 順調 /
        遅れ), ``peers_change`` (median change of the peers between the same years),
        ``change`` (the place's), ``note``. ``attrs["series"]`` holds each KPI's values by
        year.

    Raises
    ------
    KpiError
        For a place without a value in its base year.
    """
    data, frame, zones = _series(targets)
    records, series = [], []
    for t in targets:
        entry = indicators.info(t.indicator)
        values = _values(data, t, t.indicator)
        if t.base_year not in values:
            raise KpiError(
                f"{t.row}: {t.label} には {t.base_year} 年の {t.indicator} の値がありません / "
                f"{t.row}: {t.label} has no {t.indicator} value in {t.base_year}"
            )
        since = {y: v for y, v in values.items() if y >= t.base_year}
        latest_year = max(since)
        base, latest = since[t.base_year], since[latest_year]
        span = t.target_year - t.base_year
        path = base + (t.target - base) * (latest_year - t.base_year) / span
        direction = 1.0 if t.higher else -1.0
        if len(since) >= 2:
            slope, intercept = np.polyfit(list(since), list(since.values()), 1)
            trend = float(slope * t.target_year + intercept)
        else:
            trend = np.nan
        improving = (t.target - base) * direction > 0  # not a floor to stay above
        if improving and (latest - t.target) * direction >= 0:
            status = "達成"
        elif (latest - path) * direction >= 0:
            status = "順調"
        else:
            status = "遅れ"
        peers_change = _peers_change(t, frame, zones, latest_year)
        records.append(
            {
                "row": t.row,
                "place": t.label,
                "indicator": t.indicator,
                "label": entry.label,
                "unit": entry.unit,
                "base_year": t.base_year,
                "baseline": base,
                "latest_year": latest_year,
                "latest": latest,
                "target": t.target,
                "target_year": t.target_year,
                "path": path,
                "trend": trend,
                "projection": _projection(t),
                "status": status,
                "trend_reaches": bool(np.isfinite(trend) and (trend - t.target) * direction >= 0),
                "change": latest - base,
                "peers_change": peers_change,
                "note": t.note,
            }
        )
        series.append(values)
    out = pd.DataFrame(records)
    out.attrs["series"] = series
    return out


def _peers_change(t: Target, frame: pd.DataFrame, zones: pd.DataFrame, latest: int) -> float:
    """Median change of the peers from the base year to the latest year."""
    from regionlib.analysis import similarity

    start, end = f"{t.indicator}@{t.base_year}", f"{t.indicator}@{latest}"
    if t.is_area:
        pop = zones["population_2020"].drop(index=[t.place], errors="ignore")
        size = float(frame.loc[list(t.members), "population_2020"].sum())
        near = (pop - size).abs().nsmallest(_PEERS).index
        change = zones.loc[near, end] - zones.loc[near, start]
    else:
        peers = similarity.find_peers(_peer_features(), t.place, k=_PEERS).index
        change = frame.loc[peers, end] - frame.loc[peers, start]
    return float(change.median())
