"""Nested regions: consistent levels from daily-life areas up to 広域リージョン.

One run proposes several levels, each a union of units of the level below, for example
commuting zones → 圏域 of at least 200,000 people → 広域リージョン of at least 5 million::

    nested = propose_levels(table, columns, ["commuting_zones", "population:200000",
                                             "population:5000000"])
    nested.save("nested.csv")
    rl.maps.save_html(rl.maps.nested_map(nested), "nested.html")

A level is written as

* a block layer: ``commuting_zones`` (2020), ``commuting_zones:2015``, ``prefectures`` or a CSV of
  ``code,block`` (see :func:`regionlib.references.block_layer`); above the first level it must
  not split a unit of the level below;
* a floor ``COLUMN:MIN`` (max-p on the units of the level below; never below the floor of a
  level under it on the same column);
* a number of regions ``regions:N`` (SKATER or Ward on the units of the level below).

Each level is evaluated like a single proposal (:func:`regionlib.evaluate.evaluate`), against the
prefectures, the eight 地方区分, the 広域地方計画区域 and the 2020 commuting zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from regionlib._errors import RegionlibError
from regionlib._log import deferred_warnings, log
from regionlib.analysis import evaluate, graph, regions
from regionlib.data import references

__all__ = ["Level", "NestedProposal", "parse_level", "propose_levels"]

_BLOCK_LABELS = {
    "commuting_zones": "通勤圏(2020)",
    "commuting_zones:2020": "通勤圏(2020)",
    "commuting_zones:2015": "通勤圏(2015)",
    "prefectures": "都道府県",
}


def _amount(value: float) -> str:
    """Write a count in Japanese units: 200000 -> 20万, 5000000 -> 500万, 1234 -> 1,234."""
    if value >= 10_000 and value % 10_000 == 0:
        return f"{value / 10_000:,.0f}万"
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Level:
    """One level of a nested proposal.

    Attributes
    ----------
    spec
        The level as written (also the name of its CSV column).
    layer
        Block layer name or CSV path (for a block level).
    floor
        ``(column, minimum)`` (for a floor level).
    n_regions
        Number of regions (for a count level).
    """

    spec: str
    layer: str | None = None
    floor: tuple[str, float] | None = None
    n_regions: int | None = None

    @property
    def label(self) -> str:
        """The level in Japanese, for maps and titles: 通勤圏(2020), 人口20万人以上, 8圏."""
        if self.layer is not None:
            return _BLOCK_LABELS.get(self.layer, Path(self.layer).stem)
        if self.n_regions is not None:
            return f"{self.n_regions}圏"
        column, value = self.floor
        if column.startswith("population"):
            return f"人口{_amount(value)}人以上"
        return f"{column} {_amount(value)}以上"


def parse_level(text: str) -> Level:
    """Parse one level: a block layer, ``COLUMN:MIN`` or ``regions:N``.

    Parameters
    ----------
    text
        The level as written on the command line.

    Returns
    -------
    Level
        The parsed level.

    Raises
    ------
    RegionlibError
        For a count that is not a positive whole number, or a malformed floor.
    """
    text = str(text).strip()
    if text in references.BLOCK_LAYERS or text.lower().endswith(".csv"):
        return Level(text, layer=text)
    head, sep, value = text.partition(":")
    if sep and head.strip() in ("regions", "n_regions", "n"):
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            raise RegionlibError(
                f"階層 {text!r}: リージョンの数は 1 以上の整数にしてください / "
                f"level {text!r}: the number of regions must be a whole number ≥ 1"
            )
        return Level(text, n_regions=n)
    if not sep:
        raise RegionlibError(
            f"階層 {text!r} はブロックの層（{', '.join(references.BLOCK_LAYERS)} か code,block の CSV）でも、下限値 列名:最小値 でも regions:N でもありません / "
            f"level {text!r} is neither a block layer ({', '.join(references.BLOCK_LAYERS)}, "
            "or a CSV of code,block), a floor COLUMN:MIN nor regions:N"
        )
    return Level(text, floor=regions.parse_floor(text))


@dataclass
class NestedProposal:
    """Nested levels of regions with their evaluation.

    Attributes
    ----------
    table
        The municipality table (index ``code``).
    levels
        The levels, finest first.
    labels
        One column per level (named after it) with the region name per code.
    evaluation
        One column per level, one row per measure of :func:`regionlib.evaluate.evaluate`.
    columns
        The indicators the regions are homogeneous on.
    """

    table: pd.DataFrame
    levels: list[Level]
    labels: pd.DataFrame
    evaluation: pd.DataFrame
    columns: list[str]

    @property
    def title(self) -> str:
        """A Japanese title for maps and reports."""
        counts = "・".join(str(self.labels[lv.spec].nunique()) for lv in self.levels)
        return f"入れ子の広域リージョン案（{len(self.levels)}階層、{counts}圏）"

    def to_frame(self) -> pd.DataFrame:
        """Return ``code``, ``name`` and one label column per level, for every municipality."""
        out = pd.DataFrame({"code": self.table.index, "name": self.table["name"].to_numpy()})
        for level in self.levels:
            out[level.spec] = self.labels[level.spec].reindex(self.table.index).to_numpy()
        return out

    def summary(self) -> str:
        """Return the evaluation of every level as aligned Japanese text."""
        lines = []
        for key, row in self.evaluation.iterrows():
            cells = [evaluate.format_value(v, key) for v in row.to_numpy()]
            lines.append(f"{evaluate.measure_label(key)}: " + " | ".join(cells))
        header = "階層: " + " | ".join(f"{lv.label} ({lv.spec})" for lv in self.levels)
        return "\n".join([header, *lines])

    @property
    def datasets(self) -> list[str]:
        """Registry datasets the levels were made from beyond the indicators (block layers)."""
        return [d for level in self.levels for d in references.block_datasets(level.spec)]

    def save(self, csv: str | Path) -> list[Path]:
        """Write the nested CSV and ``<stem>_evaluation.txt`` beside it.

        Parameters
        ----------
        csv
            The CSV (UTF-8 with BOM): ``code``, ``name`` and one column per level.

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        from regionlib._write import check_output, write_csv, write_text

        csv = Path(csv)
        eval_path = csv.with_name(f"{csv.stem}_evaluation.txt")
        check_output(csv, (".csv",), what="CSV")
        write_csv(self.to_frame(), csv, index=False)
        write_text(eval_path, f"{self.title}\n{self.summary()}\n", what="evaluation")
        written = [csv, eval_path]
        return written


def _measure_order(results) -> list[str]:
    """Measures of all levels in :data:`regionlib.evaluate.EVALUATION_LABELS` order, then the rest."""
    keys = list(dict.fromkeys(key for r in results for key in r.index))
    known = list(evaluate.EVALUATION_LABELS)
    return sorted(keys, key=lambda k: (known.index(k) if k in known else len(known), keys.index(k)))


def _check_nested(level: Level, blocks: pd.Series, below: pd.Series, below_spec: str) -> None:
    inner = blocks.reindex(below.index).groupby(below.to_numpy()).nunique()
    if (inner > 1).any():
        bad = inner[inner > 1].index[:5].tolist()
        raise RegionlibError(
            f"階層 {level.spec!r} は下の階層（{below_spec!r}）の {int((inner > 1).sum())} 個の単位を分けています（{', '.join(map(str, bad))}）。各階層は下の階層の単位をまとめたものにしてください / "
            f"level {level.spec!r} splits {int((inner > 1).sum())} unit(s) of the level below "
            f"({below_spec!r}: {', '.join(map(str, bad))}); a level must be a union of units "
            "of the level below"
        )


def _check_floor_order(level: Level, done: list[Level]) -> None:
    for lower in done:
        same = lower.floor and level.floor and lower.floor[0] == level.floor[0]
        if same and level.floor[1] < lower.floor[1]:
            raise RegionlibError(
                f"階層 {level.spec!r} の下限値が、その下の階層（{lower.spec!r}）の下限値 {lower.floor[1]:,.0f} より小さくなっています。細かい階層から粗い階層の順に並べてください / "
                f"level {level.spec!r} has a floor below the floor {lower.floor[1]:,.0f} of "
                f"the level under it ({lower.spec!r}); order the levels from fine to coarse"
            )


def propose_levels(
    table: gpd.GeoDataFrame,
    columns: Sequence[str],
    levels: Sequence[str | Level],
    *,
    method: str = "skater",
    population: str = "population_2020",
    islands: str = "connect",
    missing: str = "median",
    floor_columns: dict[str, str] | None = None,
    compactness: float | None = None,
    random_state: int | None = None,
) -> NestedProposal:
    """Propose nested levels of regions, each a union of units of the level below.

    Parameters
    ----------
    table
        Municipalities (index ``code``) with ``name``, geometry, the indicator ``columns``, the
        ``population`` column and the floor columns.
    columns
        Indicators the regions should be homogeneous on.
    levels
        Levels from fine to coarse (strings as in :func:`parse_level`, or :class:`Level`).
    method
        Method of the ``regions:N`` levels: ``"skater"`` (default) or ``"ward"``. Floor levels
        use max-p.
    population
        Column for the region cores, names and population balance.
    islands
        Island policy of the contiguity graph (:func:`regionlib.graph.contiguity`).
    missing
        Missing indicator values: ``"median"`` (default, logged) or ``"error"``.
    floor_columns
        Renaming of floor columns, e.g. ``{"population": "population_2020"}``.
    compactness
        Compactness weight of the computed levels (default ``regions.DEFAULT_COMPACTNESS``).
    random_state
        Seed of max-p.

    Returns
    -------
    NestedProposal
        Labels per level and their evaluation.

    Raises
    ------
    RegionlibError
        No level; a floor below the floor of a level under it; a block layer that splits a unit
        of the level below or leaves municipalities uncovered; more regions than units below.
    """
    parsed = [lv if isinstance(lv, Level) else parse_level(lv) for lv in levels]
    if not parsed:
        raise RegionlibError(
            "階層を 1 つ以上指定してください（例: commuting_zones,population:200000） / "
            "name at least one level, e.g. commuting_zones,population:200000"
        )
    if len({lv.spec for lv in parsed}) < len(parsed):
        raise RegionlibError("同じ階層が 2 回指定されています / a level is named twice")
    rename = floor_columns or {}
    parsed = [
        Level(lv.spec, lv.layer, (rename.get(lv.floor[0], lv.floor[0]), lv.floor[1]), None)
        if lv.floor
        else lv
        for lv in parsed
    ]
    for i, level in enumerate(parsed):  # before any work: the levels must grow
        _check_floor_order(level, parsed[:i])
    compactness = regions.check_weight(
        "compactness", regions.DEFAULT_COMPACTNESS if compactness is None else compactness
    )
    columns = list(columns)
    with deferred_warnings():  # every block layer checked before any work, warnings after
        g = graph.contiguity_edges(table, islands=islands)
        in_graph = table.loc[table.index.isin(g.unique_ids)]
        adjacency = graph.adjacency_matrix(g, in_graph.index)
        layers = {
            lv.spec: references.block_layer(lv.layer, in_graph, adjacency=adjacency)
            for lv in parsed
            if lv.layer is not None
        }
    refs = references.reference_groupings(in_graph)
    names: dict[str, pd.Series] = {}
    taken: dict[str, frozenset] = {}  # names given at the levels below: never reused
    results: dict[str, pd.Series] = {}
    below: pd.Series | None = None
    done: list[Level] = []
    for level in parsed:
        if level.layer is not None:
            blocks = layers[level.spec]
            if below is not None:
                _check_nested(level, blocks, below, done[-1].spec)
            codes, _ = pd.factorize(blocks)
            labels = pd.Series(codes + 1, index=in_graph.index, name="region")
        else:
            n_below = len(in_graph) if below is None else below.nunique()
            if level.n_regions is not None and level.n_regions > n_below:
                raise RegionlibError(
                    f"階層 {level.spec!r} のリージョン数が、下の階層の {n_below} 単位より多くなっています / "
                    f"level {level.spec!r} asks for more regions than the {n_below} units of "
                    "the level below"
                )
            labels = regions.regionalize(
                in_graph,
                columns,
                method="maxp" if level.floor else method,
                floor=level.floor,
                n_regions=level.n_regions,
                graph=g,
                blocks=below,
                compactness=compactness,
                missing=missing,
                random_state=random_state,
                cache=True,
            )
        summary = regions.region_table(in_graph, labels, population=population, taken=taken)
        names[level.spec] = labels.map(summary["region_name"])
        for name, codes in zip(summary["region_name"], summary["members"], strict=True):
            taken.setdefault(name, frozenset(codes.split()))
        results[level.spec] = evaluate.evaluate(
            in_graph,
            labels,
            columns=columns,
            floor=level.floor,
            graph=g,
            population=population,
            references=refs,
            missing=missing,
        )
        n_made = labels.nunique()
        log(
            f"nested: level {level.spec!r}: {n_made} regions",
            ja=f"入れ子の地域区分: 階層 {level.spec!r}: {n_made} 地域",
        )
        below = labels
        done.append(level)
    return NestedProposal(
        table=table,
        levels=parsed,
        labels=pd.DataFrame(names),
        evaluation=pd.DataFrame(results).reindex(_measure_order(results.values())),
        columns=columns,
    )
