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
from regionlib._write import write_csv, write_text

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
#: municipality whose peers the demo shows
DEMO_FOCUS = "北海道夕張市"
#: indicators for the peers view
PEER_INDICATORS = [
    "population_2020",
    "aging_rate",
    "population_change_2015_2020",
    "density_habitable",
    "primary_share",
    "tertiary_share",
    "fiscal_strength_index",
    "income_per_taxpayer",
]
#: indicators the proposed regions are homogeneous on, and their population floor
REGION_INDICATORS = [
    "aging_rate",
    "population_change_2015_2020",
    "density_habitable",
    "primary_share",
    "tertiary_share",
    "income_per_taxpayer",
]
REGION_FLOOR = 200_000
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
        from regionlib.data import table

        context["table"] = table.load_table(
            sorted(set(DEMO_INDICATORS) | set(PEER_INDICATORS) | set(REGION_INDICATORS)),
            detail=context.get("detail", "prefecture"),
        )
    return context["table"]


def _national_map(out: Path, context: dict) -> list[Path]:
    from regionlib.outputs import maps

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
    from regionlib.data import table
    from regionlib.outputs import export

    frame = table.load_table(None, geometry=False, detail=context.get("detail", "prefecture"))
    return [export.write_table_csv(frame, out / "municipalities.csv")]


def _print_map(out: Path, context: dict) -> list[Path]:
    from regionlib.outputs import printmaps

    fig = printmaps.plot_choropleth(_table(context), "aging_rate")
    return [printmaps.save_figure(fig, out / "map_aging_rate.png", dpi=150)]


def _peers(out: Path, context: dict) -> list[Path]:
    from regionlib.analysis import features, similarity
    from regionlib.outputs import maps

    tbl = _table(context)
    focus = context.get("focus", DEMO_FOCUS)
    feats = features.prepare_features(tbl, PEER_INDICATORS)
    peers = similarity.find_peers(feats, focus, k=10)
    target = peers.attrs["target"]
    comparison = similarity.compare_municipality(feats, target, peers=peers)
    peers_csv = out / "peers.csv"
    write_csv(peers.round(4), peers_csv)
    comparison_csv = out / "peers_comparison.csv"
    write_csv(comparison.round(4), comparison_csv)
    name = f"{tbl.at[target, 'prefecture']}{tbl.at[target, 'name']}"
    m = maps.choropleth(
        tbl,
        ["aging_rate", "population_change_2015_2020"],
        bins={_CHANGE: _CHANGE_BINS},
        palette={_CHANGE: "RdBu"},
        focus=target,
        peers=list(peers.index),
        title=f"{name}に似た市区町村（上位10）",
    )
    return [maps.save_html(m, out / "map_peers.html"), peers_csv, comparison_csv]


def _regions(out: Path, context: dict) -> list[Path]:
    from regionlib.analysis import proposals

    proposal = proposals.propose_regions(
        _table(context),
        REGION_INDICATORS,
        method="maxp",
        floor=("population_2020", REGION_FLOOR),
    )
    from regionlib.outputs import maps

    written = proposal.save(out / "regions.csv")
    return [*written, maps.save_html(maps.proposal_map(proposal), out / "map_regions.html")]


#: the demo's steps, in order; append to add a view
STEPS: list[Step] = [
    Step("map", "全国の市区町村地図（複数指標・オフラインHTML）", _national_map),
    Step("table", "市区町村別指標の一覧表（CSV）", _table_csv),
    Step("print", "印刷用地図（高齢化率, PNG）", _print_map),
    Step("peers", "類似市区町村（夕張市の例）の地図と比較表", _peers),
    Step("regions", "広域リージョン案（max-p法、人口20万人以上）の地図・一覧・評価", _regions),
]


def _index_page(out: Path, written: dict[str, list[Path]]) -> Path:
    """Write ``index.html``: a Japanese page linking every file the demo wrote."""
    from html import escape

    from regionlib.data import indicators
    from regionlib.data.boundaries import CREDIT

    descriptions = {s.name: s.description for s in STEPS}
    items = []
    for name, paths in written.items():
        links = "、".join(
            f'<a href="{escape(p.name)}">{escape(p.name)}</a>' for p in paths if p.parent == out
        )
        items.append(f"<li>{escape(descriptions[name])}：{links}</li>")
    names = sorted(set(DEMO_INDICATORS) | set(PEER_INDICATORS) | set(REGION_INDICATORS))
    credits = [CREDIT, *indicators.credits(names)]
    page = (
        '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
        "<title>regionlib デモ</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.7}"
        "small{color:#555}</style></head><body>\n"
        "<h1>regionlib デモ：市区町村の比較</h1>\n"
        "<p>ファイルはすべてインターネット接続なしで開けます。</p>\n"
        f"<ul>\n{chr(10).join(items)}\n</ul>\n"
        "<h2>出典</h2>\n<ul>\n"
        + "\n".join(f"<li><small>{escape(c)}</small></li>" for c in credits)
        + "\n</ul>\n</body></html>\n"
    )
    return write_text(out / "index.html", page)


def run_demo(
    out_dir: str | Path,
    *,
    steps: Sequence[str] | None = None,
    detail: str = "prefecture",
    overwrite: bool = False,
) -> dict[str, list[Path]]:
    """Run the demo steps and write their files into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write (created, or replaced if the demo wrote it before).
    steps
        Names of the steps to run; default all of :data:`STEPS`.
    detail
        Boundary layer (``prefecture`` or ``national``).
    overwrite
        Replace a folder holding files the demo did not write. A folder the demo wrote before
        is replaced as a whole; the new files appear only when every step has succeeded.

    Returns
    -------
    dict
        Step name -> paths written; ``"index"`` is the page linking them all (``index.html``).
    """
    from regionlib._errors import UnknownNameError, suggest

    known = {s.name: s for s in STEPS}
    chosen = list(known) if steps is None else list(steps)
    for name in chosen:
        if name not in known:
            raise UnknownNameError(
                f"デモの手順 {name!r} はありません / unknown demo step {name!r}"
                + suggest(name, known)
            )
    from regionlib._write import atomic_directory

    final = Path(out_dir).expanduser()
    context: dict = {"detail": detail}
    written: dict[str, list[Path]] = {}
    with atomic_directory(final, overwrite=overwrite) as out:
        for name in chosen:
            log(f"demo: {known[name].description}", ja=f"デモ: {known[name].description}")
            written[name] = list(known[name].run(out, context))
        written["index"] = [_index_page(out, written)]
    return {
        name: [final / p.relative_to(out) if p.is_relative_to(out) else p for p in paths]
        for name, paths in written.items()
    }
