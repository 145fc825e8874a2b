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

__all__ = ["render_kpi", "save_kpi"]

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


def render_kpi(result: pd.DataFrame) -> str:
    """Return the KPI page (self-contained HTML) for :func:`regionlib.analysis.kpi.track` output.

    Parameters
    ----------
    result
        What :func:`regionlib.analysis.kpi.track` returned.
    """
    from regionlib.outputs._mapstyle import credit_lines
    from regionlib.outputs.report import _year, render_template

    cards = []
    for (_, row), values in zip(result.iterrows(), result.attrs["series"], strict=True):
        from regionlib.data import indicators

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
    return render_template(
        "kpi.html.j2",
        cards=cards,
        nav=None,
        credits=credit_lines(list(dict.fromkeys(result["indicator"]))),
    )


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
        table = result.drop(columns=["indicator", "row", "trend_reaches"]).rename(columns=_HEADERS)
        series = pd.DataFrame(
            [
                {"地域": r["place"], "指標": r["label"], "年": y, "値": v}
                for (_, r), values in zip(result.iterrows(), result.attrs["series"], strict=True)
                for y, v in values.items()
            ]
        )
        cited = list(dict.fromkeys(result["indicator"]))
        sheets = {"KPI": table, "推移": series}
        return export.write_xlsx(sheets, path, index=False, ranks=False, cited=cited)
    return write_text(path, render_kpi(result), what="KPI report")
