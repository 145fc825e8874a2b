"""The KPI page and workbook of ``regionlib kpi``: each target with its path, trend and peers.

Each KPI is a card: baseline, latest value, target, where the straight path from baseline to
target stands in the latest year, the linear trend carried to the target year, the status
(達成 / 順調 / 遅れ), the place's change and its peers' median change over the same years,
and a chart of the values with the straight path and the trend. See
:mod:`regionlib.analysis.kpi`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regionlib.outputs._mapstyle import fmt

__all__ = [
    "kpi_cards",
    "kpi_credits",
    "kpi_tables",
    "projection_note",
    "render_kpi",
    "save_kpi",
]

_HEADERS = {
    "place": "地域",
    "label": "指標",
    "unit": "単位",
    "base_year": "基準年",
    "baseline": "基準値",
    "latest_year": "最新年",
    "latest": "最新値",
    "target_year": "目標年",
    "target": "目標値",
    "path": "目標への直線上の最新年の値",
    "trend": "傾向を延ばした目標年の値",
    "projection": "将来推計（目標年）",
    "status": "状況",
    "change": "変化（基準年→最新年）",
    "peers_change": "類似する市区町村の変化の中央値（同じ期間）",
    "note": "備考",
}


def _chart(row: pd.Series, values: dict[int, float]) -> dict:
    width, height, left, right, top, bottom = 460.0, 190.0, 70.0, 14.0, 14.0, 26.0
    years = [y for y in values if y >= row["base_year"]]
    xs = [*years, row["target_year"]]
    ys = [values[y] for y in years] + [row["target"]]
    if np.isfinite(row["trend"]):
        ys.append(row["trend"])
    lo, hi = min(ys), max(ys)
    pad = 0.1 * (hi - lo or abs(hi) or 1)
    lo, hi = lo - pad, hi + pad
    first, last = min(xs), max(xs)

    def x(year: float) -> float:
        return round(left + (year - first) / max(last - first, 1) * (width - left - right), 1)

    def y(value: float) -> float:
        return round(top + (hi - value) / (hi - lo) * (height - top - bottom), 1)

    decimals = 0 if abs(hi) >= 100 else 1
    trend = None
    if np.isfinite(row["trend"]):
        trend = f"{x(years[-1])},{y(values[years[-1]])} {x(row['target_year'])},{y(row['trend'])}"
    return {
        "width": width,
        "height": height,
        "points": [{"x": x(a), "y": y(values[a]), "year": a} for a in years],
        "line": " ".join(f"{x(a)},{y(values[a])}" for a in years),
        "path": f"{x(row['base_year'])},{y(row['baseline'])} {x(row['target_year'])},{y(row['target'])}",
        "trend": trend,
        "target": {"x": x(row["target_year"]), "y": y(row["target"])},
        "xticks": [{"x": x(a), "label": str(a)} for a in (first, last)],
        "yticks": [{"y": y(v), "label": fmt(v, decimals)} for v in (lo + pad, hi - pad)],
        "left": left,
        "right": width - right,
        "bottom": height - bottom,
    }


def kpi_cards(result: pd.DataFrame) -> list[dict]:
    """Return one card per KPI (what the ``kpi_card`` macro of ``_macros.html.j2`` draws).

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.

    Returns
    -------
    list of dict
        Place, label, unit, note, status, the numbers shown (label, text) and the chart.
    """
    from regionlib.data import indicators
    from regionlib.outputs.report import _year

    cards = []
    for (_, row), values in zip(result.iterrows(), result.attrs["series"], strict=True):
        counted = indicators.info(row["indicator"]).rule.kind == "sum"
        decimals = 0 if counted or abs(row["baseline"]) >= 100 else 2

        def f(v, decimals=decimals):
            return "—" if v is None or not np.isfinite(v) else fmt(float(v), decimals)

        cards.append(
            {
                "place": row["place"],
                "label": row["label"],
                "unit": row["unit"],
                "note": row["note"],
                "status": row["status"],
                "numbers": [
                    ("基準値", f"{f(row['baseline'])}（{_year(str(row['base_year']))}）"),
                    ("最新値", f"{f(row['latest'])}（{_year(str(row['latest_year']))}）"),
                    ("目標値", f"{f(row['target'])}（{_year(str(row['target_year']))}）"),
                    ("直線で進んだ場合の最新年の値", f(row["path"])),
                    ("傾向を延ばした目標年の値", f(row["trend"])),
                    ("将来推計（目標年）", f(row["projection"])),
                    ("変化（基準年→最新年）", f(row["change"])),
                    ("類似する市区町村の変化の中央値（同じ期間）", f(row["peers_change"])),
                ],
                "trend_reaches": row["trend_reaches"],
                "chart": _chart(row, values),
            }
        )
    return cards


def kpi_credits(result: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return the indicators and the registry datasets whose values the KPI cards show.

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.

    Returns
    -------
    tuple of list of str
        Indicator names, and the register's age tables when a projection is shown.
    """
    from regionlib.analysis import kpi

    projected = pd.to_numeric(result["projection"], errors="coerce").notna().any()
    return (
        list(dict.fromkeys(result["indicator"])),
        kpi.projection_datasets() if projected else [],
    )


def projection_note(result: pd.DataFrame) -> str:
    """Return the note that the cards' projection is regionlib's own ("" when none is shown).

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.

    Returns
    -------
    str
        One Japanese sentence, or "".
    """
    from regionlib.analysis import kpi

    if not kpi_credits(result)[1]:
        return ""
    start, end = kpi.PROJECTION_BASE
    return (
        "将来推計は regionlib 独自のコーホート変化率法による推計（住民基本台帳・外国人住民を含む"
        f"総計、基準 {start}→{end}年、移動あり）で、社人研の公式推計ではありません。"
    )


def render_kpi(result: pd.DataFrame) -> str:
    """Return the KPI page (self-contained HTML) for :func:`regionlib.analysis.kpi.track` output.

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.

    Returns
    -------
    str
        The HTML document.
    """
    from regionlib.outputs._mapstyle import credit_lines
    from regionlib.outputs.report import render_template

    used, datasets = kpi_credits(result)
    return render_template(
        "kpi.html.j2",
        cards=kpi_cards(result),
        note=projection_note(result),
        nav=None,
        credits=credit_lines(used, datasets=datasets),
    )


def kpi_tables(result: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the KPI table and the values by year, with Japanese headers (for workbooks).

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.

    Returns
    -------
    tuple of pandas.DataFrame
        One row per KPI; one row per KPI and year (地域, 指標, 年, 値).
    """
    table = result.drop(columns=["indicator", "row", "trend_reaches"]).rename(columns=_HEADERS)
    series = pd.DataFrame(
        [
            {"地域": r["place"], "指標": r["label"], "年": y, "値": v}
            for (_, r), values in zip(result.iterrows(), result.attrs["series"], strict=True)
            for y, v in values.items()
        ]
    )
    return table, series


def save_kpi(result: pd.DataFrame, path: str | Path) -> Path:
    """Write the KPI page (``.html``) or workbook (``.xlsx``) atomically; return the path.

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.
    path
        The file to write, ``.html`` or ``.xlsx``.

    Returns
    -------
    Path
        The path written.
    """
    from regionlib._write import check_output, write_text
    from regionlib.outputs import export

    path = check_output(path, (".html", ".htm", ".xlsx"), what="KPI report")
    if path.suffix.lower() == ".xlsx":
        table, series = kpi_tables(result)
        cited, datasets = kpi_credits(result)
        sheets = {"KPI": table, "推移": series}
        return export.write_xlsx(
            sheets, path, index=False, ranks=False, cited=cited, datasets=datasets
        )
    return write_text(path, render_kpi(result), what="KPI report")
