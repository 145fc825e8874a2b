"""The first look for a new user: ``regionlib demo -o DIR`` writes maps and tables in one go.

The demo is a list of :class:`Step` objects (:data:`STEPS`); each step writes files into the
output folder and may reuse what earlier steps loaded through a shared ``context`` dict.
Other features add their views by appending a step::

    from regionlib import demo
    demo.STEPS.append(demo.Step("peers", "類似市区町村の地図", my_step_function))

Examples
--------
>>> from regionlib import demo
>>> demo.run_demo("regionlib-demo")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from regionlib._log import log

__all__ = ["DEMO_INDICATORS", "STEPS", "Step", "run_demo"]

#: indicators of the national demo map (one layer each)
DEMO_INDICATORS = [
    "population_2020",
    "aging_rate",
    "population_change_2015_2020",
    "density_habitable",
    "fiscal_strength_index",
    "income_per_taxpayer",
]
# population change is drawn with classes split at 0 and a diverging palette
_CHANGE = "population_change_2015_2020"
_CHANGE_BINS = [-10.0, -5.0, -2.0, 0.0, 5.0]


@dataclass(frozen=True)
class Step:
    """One part of the demo.

    Attributes
    ----------
    name
        Short identifier (also the ``--only`` choice on the command line).
    description
        What the step writes, in Japanese, for the summary printed at the end.
    run
        ``run(out_dir, context) -> list of paths written``; ``context`` is shared by the steps
        (``context["table"]`` holds the municipality table once loaded).
    """

    name: str
    description: str
    run: Callable[[Path, dict], list[Path]]


def _table(context: dict):
    if "table" not in context:
        from regionlib import table

        context["table"] = table.load_table(
            sorted(set(DEMO_INDICATORS) | set(context.get("extra_indicators", []))),
            detail=context.get("detail", "prefecture"),
        )
    return context["table"]


def _national_map(out: Path, context: dict) -> list[Path]:
    from regionlib import maps

    m = maps.choropleth(
        _table(context),
        DEMO_INDICATORS,
        scheme="quantiles",
        k=5,
        bins={_CHANGE: _CHANGE_BINS},
        palette={_CHANGE: "RdBu"},
        title="市区町村の主要指標（右上で指標を切り替え）",
    )
    return [maps.save_html(m, out / "map_national.html")]


def _table_csv(out: Path, context: dict) -> list[Path]:
    from regionlib import table

    frame = table.load_table(None, geometry=False, detail=context.get("detail", "prefecture"))
    path = out / "municipalities.csv"
    frame.drop(columns=["pref_code"]).round(4).to_csv(path, encoding="utf-8-sig")
    return [path]


def _print_map(out: Path, context: dict) -> list[Path]:
    from regionlib import printmaps

    fig = printmaps.plot_choropleth(_table(context), "aging_rate")
    return [printmaps.save_figure(fig, out / "map_aging_rate.png", dpi=150)]


#: the demo's steps, in order; append to add a view
STEPS: list[Step] = [
    Step("map", "全国の市区町村地図（複数指標・オフラインHTML）", _national_map),
    Step("table", "市区町村別指標の一覧表（CSV）", _table_csv),
    Step("print", "印刷用地図（高齢化率, PNG）", _print_map),
]


def run_demo(
    out_dir: str | Path,
    *,
    steps: Sequence[str] | None = None,
    detail: str = "prefecture",
) -> dict[str, list[Path]]:
    """Run the demo steps and write their files into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created).
    steps
        Names of the steps to run; default all of :data:`STEPS`.
    detail
        Boundary layer (``prefecture`` or ``national``).

    Returns
    -------
    dict
        Step name -> paths written.
    """
    from regionlib._errors import UnknownNameError, suggest

    known = {s.name: s for s in STEPS}
    chosen = list(known) if steps is None else list(steps)
    for name in chosen:
        if name not in known:
            raise UnknownNameError(f"unknown demo step {name!r}" + suggest(name, known))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    context: dict = {"detail": detail}
    written: dict[str, list[Path]] = {}
    for name in chosen:
        log(f"demo: {known[name].description}")
        written[name] = list(known[name].run(out, context))
    return written
