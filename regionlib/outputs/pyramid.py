"""Population pyramids from the 住民基本台帳 age panel: PNG, PDF, SVG or an offline HTML page.

Men to the left, women to the right, one bar per 5-year band; the latest year asked for is
drawn as filled bars and every earlier year as an outline on top, so the change is seen at a
glance. Counts (人) or shares of the year's population (%). Japanese labels (IPAexGothic, as
the print maps), the source line at the foot, and the flag of a municipality whose register
counts are misleading (the Fukushima towns under evacuation orders).

Examples
--------
>>> from regionlib.outputs import pyramid
>>> fig = pyramid.pyramid("夕張市", years=[1995, 2022])  # doctest: +SKIP
>>> pyramid.save_pyramid(fig, "yubari.png")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regionlib._errors import OutputError, UnknownNameError
from regionlib._write import write_text
from regionlib.data import codes, datasets, panel
from regionlib.data import population as pop
from regionlib.outputs._mapstyle import FIGURE_FORMATS, fmt

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn: profiles draw SVG
    from matplotlib.figure import Figure

__all__ = [
    "CLASS_BASE",
    "FORMATS",
    "area_futures",
    "prepare_futures",
    "profile_futures",
    "pyramid",
    "pyramid_data",
    "save_pyramid",
]

FORMATS = (*FIGURE_FORMATS, ".html")
_MALE, _FEMALE = "#4a7ab5", "#c8524f"
_OUTLINES = ("#222222", "#7a7a7a", "#b0b0b0")
_SERIES_JA = {"japanese": "日本人住民", "total": "外国人住民を含む総計"}


def pyramid_data(
    municipality: str,
    *,
    years: str | int | Iterable[int] | None = None,
    series: str = "japanese",
    shares: bool = False,
) -> pd.DataFrame:
    """Return the bars of a pyramid: one row per year and band, men and women.

    Parameters
    ----------
    municipality
        Name (夕張市, 東京都府中市, reading) or 5-digit code.
    years
        Years of the register (``"1995,2022"``); default the first and last of the series.
    series
        ``"japanese"`` (1995-2022) or ``"total"`` (all residents, 2013-2022).
    shares
        True: % of the year's population; False: persons.

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``band``, ``male``, ``female``; ``attrs`` ``code``, ``name``,
        ``unit``, ``series`` and ``flag`` (reason, or ``""``). Bands above 80 are summed into
        ``80_plus`` when a year before 2015 is drawn (the files had no finer bands then).

    Raises
    ------
    UnknownNameError
        For an unknown municipality, series or year.
    """
    code = codes.resolve_municipality(municipality)
    wanted = panel.parse_years(years)
    if wanted is None:
        have = pop.SERIES_YEARS.get(series)
        if have is None:
            pop.dataset_name(series, 0)
        wanted = [have[0], have[-1]]
    frame = pop.age_panel(series, years=wanted)
    frame = frame[frame["code"] == code]
    if min(wanted) < 2015:
        frame = pop.collapse_top(frame, 80)
    wide = frame.pivot_table(
        index=["year", "band"], columns="sex", values="population", observed=True, aggfunc="sum"
    ).reset_index()
    order = {b: i for i, b in enumerate([*pop.BANDS[:-1], *pop.FINE_TOP, "80_plus"])}
    wide["_o"] = wide["band"].astype(str).map(order)
    wide = wide.sort_values(["year", "_o"]).drop(columns="_o").reset_index(drop=True)
    wide["band"] = wide["band"].astype(str)
    totals = wide.groupby("year")[["male", "female"]].transform("sum").sum(axis=1)
    if shares:
        if (totals == 0).any():
            zero = sorted(set(wide.loc[totals == 0, "year"]))
            years_ja = "・".join(f"{y}年" for y in zero)
            msg = (
                f"{code}: {years_ja}の住民基本台帳人口がないため、割合では描けません / "
                f"{code}: no registered population in {zero}; shares cannot be drawn"
            )
            raise UnknownNameError(msg)
        wide[["male", "female"]] = wide[["male", "female"]].div(totals, axis=0) * 100
    name = panel._base_names()
    wide.attrs = {
        "code": code,
        "name": f"{name.at[code, 'prefecture']}{name.at[code, 'name']}",
        "unit": "%" if shares else "人",
        "series": series,
        "flag": _flag(code, wanted),
    }
    return wide[["year", "band", "male", "female"]]


def _flag(code: str, years: list[int]) -> str:
    from regionlib.data import flags

    hits = flags.flags_for([f"women_20_39@{y}" for y in years], [code])
    reasons = list(dict.fromkeys(r for by_code in hits.values() for r in by_code.values()))
    return "／".join(reasons)


def pyramid(
    municipality: str,
    *,
    years: str | int | Iterable[int] | None = None,
    series: str = "japanese",
    shares: bool = False,
    title: str | None = None,
    ax=None,
) -> Figure:
    """Draw the population pyramid of a municipality.

    Parameters
    ----------
    municipality
        Name or 5-digit code.
    years
        Years to draw; the latest is filled, earlier ones are outlines. Default first and last.
    series
        ``"japanese"`` or ``"total"`` (:func:`regionlib.data.population.age_panel`).
    shares
        Draw % of each year's population instead of persons (compares towns of any size).
    title
        Title; default the municipality, the register series and the years.
    ax
        A matplotlib axes to draw into (a profile page, a notebook grid); default a new
        A5-sized figure with the title and source line.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (save it with :func:`save_pyramid`).
    """
    import matplotlib

    from regionlib.outputs import _figure
    from regionlib.outputs._figure import Figure, FigureCanvasAgg

    data = pyramid_data(municipality, years=years, series=series, shares=shares)
    meta = data.attrs
    years_drawn = sorted(data["year"].unique())
    last = years_drawn[-1]
    with matplotlib.rc_context(_figure.rc()):
        if ax is None:
            fig = Figure(figsize=(6.3, 6.6))
            FigureCanvasAgg(fig)
            ax = fig.add_axes((0.1, 0.17, 0.86, 0.72))
            own = True
        else:
            fig, own = ax.figure, False
        cur = data[data["year"] == last]
        bands = cur["band"].tolist()
        y = np.arange(len(bands))
        total = _total(data, last, meta["unit"])
        ax.barh(y, -cur["male"], height=0.86, color=_MALE, label=f"{last}年（塗り）{total}")
        ax.barh(y, cur["female"], height=0.86, color=_FEMALE)
        for k, year in enumerate(reversed(years_drawn[:-1])):
            old = data[data["year"] == year].set_index("band").reindex(bands)
            style = {"color": _OUTLINES[min(k, len(_OUTLINES) - 1)], "linewidth": 1.3}
            for side, sign in (("male", -1), ("female", 1)):
                edges = np.repeat(sign * old[side].to_numpy(), 2)
                steps = np.column_stack([y - 0.5, y + 0.5]).ravel()
                label = f"{year}年（線）{_total(data, year, meta['unit'])}"
                ax.plot(edges, steps, **style, label=label if side == "male" else None)
        ax.set_yticks(y, [pop.band_label(b) for b in bands], fontsize=7)
        ax.set_ylim(-0.6, len(bands) - 0.4)
        limit = float(np.nanmax(np.abs(data[["male", "female"]].to_numpy()))) * 1.08 or 1.0
        ax.set_xlim(-limit, limit)
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [_fmt(abs(t), meta["unit"]) for t in ticks], fontsize=7)
        ax.set_xlim(-limit, limit)
        ax.axvline(0, color="#444444", linewidth=0.6)
        ax.text(0.25, 1.01, "男性", transform=ax.transAxes, color=_MALE, fontsize=10,
                ha="center", va="bottom")  # fmt: skip
        ax.text(0.75, 1.01, "女性", transform=ax.transAxes, color=_FEMALE, fontsize=10,
                ha="center", va="bottom")  # fmt: skip
        ax.set_xlabel("人口（人）" if meta["unit"] == "人" else "人口に占める割合（%）", fontsize=8)
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if own:
            shown = "・".join(f"{y}年" for y in years_drawn)
            fig.suptitle(
                title or f"{meta['name']}の人口ピラミッド（{shown}）", fontsize=12, y=0.965
            )
            fig.text(
                0.5, 0.915, f"住民基本台帳・{_SERIES_JA[series]}", ha="center", fontsize=8,
                color="#444444",
            )  # fmt: skip
            foot = "出典: " + source_line(series, years_drawn)
            if meta["flag"]:
                foot = f"注: {meta['flag']}\n{foot}"
            fig.text(0.02, 0.015, foot, fontsize=6, color="#333333", wrap=True)
    fig.pyramid_data = data  # the numbers drawn, for the HTML page and tests
    return fig


def source_line(series: str, years: Iterable[int]) -> str:
    """Return the credit line of the register files behind the years drawn."""
    credit = datasets.info(pop.dataset_name(series, max(years))).credit
    return f"{credit}（市区町村別年齢階級別人口）"


def _total(data: pd.DataFrame, year: int, unit: str) -> str:
    if unit == "%":
        return ""
    rows = data[data["year"] == year]
    return f"計 {rows['male'].sum() + rows['female'].sum():,.0f}人"


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def save_pyramid(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Save a pyramid as PNG, PDF, SVG or an offline HTML page (the figure and its numbers).

    PNG, PDF and SVG are written by :func:`regionlib.outputs.printmaps.save_figure`.

    Parameters
    ----------
    fig
        A figure from :func:`pyramid`.
    path
        Output file; the suffix chooses the format.
    dpi
        Resolution of PNG output.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from regionlib.outputs import _figure

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(
            f"{path}: 人口ピラミッドは {'・'.join(FORMATS)} で書き出します / {path}: a pyramid is saved as {', '.join(FORMATS)}"
        )
    if suffix != ".html":
        return _figure.save_figure(fig, path, dpi=dpi)
    image = base64.b64encode(_figure.figure_bytes(fig, "png", dpi=150)).decode("ascii")
    data = getattr(fig, "pyramid_data", None)
    title = fig._suptitle.get_text() if fig._suptitle is not None else "人口ピラミッド"
    table = ""
    if data is not None:
        shown = data.assign(band=data["band"].map(pop.band_label)).rename(
            columns={"year": "年", "band": "年齢", "male": "男性", "female": "女性"}
        )
        table = shown.to_html(index=False, float_format=lambda v: f"{v:,.1f}", border=0)
    page = (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:760px;margin:1em auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;"
        "text-align:right}</style></head><body>"
        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{image}" width="100%">'
        f"<details><summary>数値の表</summary>{table}</details></body></html>"
    )
    return write_text(path, page, what="pyramid")


# --------------------------------------------------------------------------- profile hook

_ROW_PX, _HALF_PX = 13, 140


@functools.cache
def _profile_panel() -> pd.DataFrame:
    """Persons by code (rows) and year, sex and band (columns): 1995 and 2022, 80+ open."""
    frame = pop.age_panel("japanese", years=[1995, 2022], top=80)
    wide = frame.pivot_table(
        index="code", columns=["year", "sex", "band"], values="population", observed=True
    )
    order = pd.MultiIndex.from_product([(1995, 2022), pop.SEXES, pop.BANDS])
    return wide.reindex(columns=order).sort_index()


@functools.cache
def _profile_projection() -> pd.DataFrame:
    from regionlib.analysis import projection
    from regionlib.data import _cache

    # kept in the derived cache: projecting every municipality costs each profile 0.2 s
    base = [int(y) for y in projection.DEFAULT_BASE.split("-")]
    inputs = [*pop.input_hashes("japanese", base), _cache.file_sha256(projection.__file__)]
    totals = _cache.cached(
        "profile-projection",
        inputs,
        {"to": 2050, "variants": ["migration"]},
        lambda: projection.project(to=2050, variants=["migration"]).totals,
        geometry=False,
    )
    return totals.set_index(["code", "year"]).sort_index()


@functools.cache
def _projection_ends() -> tuple[dict[str, int], dict[tuple[str, int], np.ndarray]]:
    """Projected population and women 20-39 in 2022 and 2050: code positions and arrays."""
    totals = _profile_projection()
    ends = totals[totals.index.get_level_values("year").isin([2022, 2050])]
    ends = ends[["population", "women_20_39"]].unstack("year")
    position = {c: i for i, c in enumerate(ends.index)}
    return position, {key: ends[key].to_numpy(dtype=float) for key in ends.columns}


def _bars(codes: list[str]) -> dict | None:
    """Return the pyramid of 1995 and 2022 of ``codes`` summed per band and sex, as SVG widths.

    ``counts`` holds the persons behind the widths (one row per year and band).
    """
    frame = _profile_panel()
    have = [c for c in codes if c in frame.index]
    if not have:
        return None
    summed = frame.loc[have].sum(min_count=1)  # (year, sex, band) -> persons
    peak = float(np.nanmax(summed.to_numpy())) or 1.0
    # a dict, not the Series: 170 lookups by a three-level key cost 5 ms per page in pandas
    summed = dict(zip(summed.index, summed.to_numpy(dtype=float), strict=True))
    bars = []
    for i, band in enumerate(reversed(pop.BANDS)):
        bars.append(
            {
                "label": pop.band_label(band),
                "y": i * _ROW_PX,
                **{
                    f"{sex}_{year}": round(float(summed[(year, sex, band)]) / peak * _HALF_PX, 1)
                    for year in (1995, 2022)
                    for sex in pop.SEXES
                },
            }
        )
    counts = [
        {"year": year, "band": band, **{sex: float(summed[(year, sex, band)]) for sex in pop.SEXES}}
        for year in (1995, 2022)
        for band in pop.BANDS
    ]
    return {"bars": bars, "height": len(bars) * _ROW_PX + 16, "half": _HALF_PX, "counts": counts}


def _change(codes: list[str], column: str) -> float:
    """Change in % 2022-2050 of the summed projected ``column`` of ``codes`` (regionlib's own)."""
    position, arrays = _projection_ends()
    at = [position[c] for c in codes if c in position]
    if not at:
        return float("nan")
    first, last = np.nansum(arrays[(column, 2022)][at]), np.nansum(arrays[(column, 2050)][at])
    return (last / first - 1) * 100 if first else float("nan")


def profile_futures(code: str, peers: Iterable[str]) -> dict | None:
    """Return what a profile page shows of the population's future (template ``_futures``).

    The pyramid of 1995 and 2022 (register, Japanese residents) as SVG bar widths, and the
    projection to 2050 (regionlib's own, with migration) of the municipality, the median of
    its peers and its prefecture. Panel and projection are read once per process.

    Parameters
    ----------
    code
        The municipality.
    peers
        Its peers' codes.

    Returns
    -------
    dict or None
        None when the register has no one there.
    """
    bars = _bars([code])
    if bars is None:
        return None
    totals = _profile_projection()
    peer_list = [p for p in peers if (p, 2022) in totals.index]
    pref = [c for c in totals.index.get_level_values(0).unique() if c[:2] == code[:2]]
    lines = []
    for label, members in (("この市区町村", [code]), ("都道府県", pref)):
        lines.append(
            {
                "label": label,
                "population": _change(members, "population"),
                "women": _change(members, "women_20_39"),
            }
        )
    if peer_list:
        lines.insert(
            1,
            {
                "label": f"類似市区町村（{len(peer_list)}）の中央値",
                "population": float(np.median([_change([p], "population") for p in peer_list])),
                "women": float(np.median([_change([p], "women_20_39") for p in peer_list])),
            },
        )
    return {
        **bars,
        "population_2050": float(totals.at[(code, 2050), "population"]),
        "lines": [
            {**line, "population": _pct(line["population"]), "women": _pct(line["women"])}
            for line in lines
        ],
        "source": source_line("japanese", [2022]),
        "flag": _flag(code, [2022]),
    }


#: the register's age tables behind the 消滅可能性 classes of an area's members (base 2015-2020)
CLASS_BASE = (2015, 2020)


@functools.cache
def _classes() -> pd.DataFrame:
    from regionlib.analysis import projection

    result = projection.project(to=2050, base=CLASS_BASE)
    return projection.sustainability(result.totals)


def prepare_futures() -> None:
    """Read the panel and projections the futures sections use (before forking page workers)."""
    _profile_panel()
    _projection_ends()
    _classes()


def area_futures(members: Sequence[str], names: Mapping[str, str] | None = None) -> dict | None:
    """Return what an area page shows of its population's future (template ``_futures``).

    The area's pyramid of 1995 and 2022 (the members' counts summed per band and sex), the
    projection to 2050 of the area (the members' projected counts summed: population and
    women 20-39 in every year of the projection), and each member's change with its
    消滅可能性 class (人口戦略会議 2024 method, from regionlib's own projection on the base
    :data:`CLASS_BASE`). Panel and projections are read once per process.

    Parameters
    ----------
    members
        Codes of the area's municipalities.
    names
        Code -> name shown; default the register's names.

    Returns
    -------
    dict or None
        None when the register has no one in the area.
    """
    members = list(members)
    bars = _bars(members)
    if bars is None:
        return None
    totals = _profile_projection()
    have = [c for c in members if (c, 2022) in totals.index]
    summed = totals.loc[have].groupby(level="year")[["population", "women_20_39"]].sum()
    base = summed.loc[2022]
    years = [
        {
            "year": int(year),
            "persons": float(row["population"]),
            "women_persons": float(row["women_20_39"]),
            "population": fmt(row["population"], 0),
            "women": fmt(row["women_20_39"], 0),
            "population_index": _pct((row["population"] / base["population"] - 1) * 100),
            "women_index": _pct((row["women_20_39"] / base["women_20_39"] - 1) * 100),
        }
        for year, row in summed.iterrows()
    ]
    classes = _classes()
    shown = panel._base_names()["name"] if names is None else names
    lines = [
        {
            "label": f"この圏域（{len(have)}市区町村の合計）",
            "population": _change(have, "population"),
            "women": _change(have, "women_20_39"),
            "class": "",
        }
    ]
    for code in have:
        lines.append(
            {
                "label": str(shown.get(code, code)),
                "population": _change([code], "population"),
                "women": _change([code], "women_20_39"),
                "class": _class(classes, code),
            }
        )
    flags = [(code, _flag(code, [2022])) for code in have]
    start, end = CLASS_BASE
    return {
        **bars,
        "population_2050": float(summed.at[2050, "population"]),
        "lines": [
            {**line, "population": _pct(line["population"]), "women": _pct(line["women"])}
            for line in lines
        ],
        "years": years,
        "class_note": (
            "消滅可能性の分類は、人口戦略会議（2024年）の方法（20～39歳女性の2020→2050年の変化、"
            f"移動あり・封鎖）を regionlib 独自の推計（基準 {start}→{end}年）に当てたもの（括弧内は"
            "移動ありの変化）"
        ),
        "source": source_line("japanese", [2022]),
        "flag": "／".join(f"{shown.get(c, c)}: {why}" for c, why in flags if why),
    }


def _class(classes: pd.DataFrame, code: str) -> str:
    """Return a member's class with the change of women 20-39 it rests on (with migration)."""
    if code not in classes.index:
        return "判定不能"
    change = float(classes.at[code, "women_20_39_change_migration"])
    return f"{classes.at[code, 'class']}（{_pct(change)}）"


def _pct(value: float) -> str:
    return "—" if np.isnan(value) else f"{value:+.1f}%"
