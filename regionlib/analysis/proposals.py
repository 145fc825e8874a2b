"""A wide-area region proposal with its evidence: labels, region table, evaluation, outputs.

:func:`propose_regions` runs one method of :mod:`regionlib.regions` on a municipality table,
names the regions after their cores, evaluates the result against the floor, contiguity,
homogeneity, compactness and the reference groupings (prefectures, 2020 commuting zones), and
returns a :class:`RegionProposal` that writes the planners' files (CSV, region table, evaluation
text, offline HTML map). The command line (``regionlib regions``) and the demo both use it.

Every input municipality is accounted for: a municipality left out of the graph (for example an
island with ``islands="drop"``) keeps its row in :meth:`RegionProposal.to_frame` with an empty
region and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from regionlib._log import deferred_warnings
from regionlib.analysis import evaluate, graph, regions
from regionlib.data import references

__all__ = ["METHOD_NAMES", "RegionProposal", "propose_regions"]

#: Japanese names of the methods, for titles and reports
METHOD_NAMES = {"maxp": "max-p法", "ward": "ウォード法", "skater": "SKATER法"}
_LEFT_OUT = "グラフから除外（離島など）"


@dataclass
class RegionProposal:
    """One proposal of contiguous regions, with the evidence for it.

    Attributes
    ----------
    table
        The municipality table the proposal was made from (index ``code``).
    labels
        Region number per code for the municipalities in the graph.
    regions
        One row per region (see :func:`regionlib.regions.region_table`).
    evaluation
        Measures from :func:`regionlib.evaluate.evaluate`.
    method
        ``maxp``, ``ward`` or ``skater``.
    columns
        Indicators the regions are homogeneous on.
    floor
        ``(column, minimum)`` or None.
    """

    table: pd.DataFrame
    labels: pd.Series
    regions: pd.DataFrame
    evaluation: pd.Series
    method: str
    columns: list[str]
    floor: tuple[str, float] | None
    blocks: pd.Series | None = None

    @property
    def region_names(self) -> pd.Series:
        """Region name (「旭川圏」…) per code."""
        return self.labels.map(self.regions["region_name"])

    @property
    def title(self) -> str:
        """A Japanese title for maps and reports."""
        return f"広域リージョン案（{METHOD_NAMES[self.method]}、{self.labels.nunique()}圏）"

    def summary(self) -> str:
        """Return the evaluation as aligned Japanese lines."""
        return evaluate.format_evaluation(self.evaluation)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per input municipality: code, prefecture, name, region, region_name, note.

        Returns
        -------
        pandas.DataFrame
            Municipalities left out of the graph have an empty region and a note saying why.
        """
        out = pd.DataFrame(
            {
                "code": self.table.index,
                "prefecture": self.table["prefecture"].to_numpy(),
                "name": self.table["name"].to_numpy(),
            }
        )
        out["region"] = self.labels.reindex(self.table.index).astype("Int64").to_numpy()
        out["region_name"] = self.region_names.reindex(self.table.index).to_numpy()
        out["note"] = out["region"].isna().map({True: _LEFT_OUT, False: ""})
        return out

    def region_summary(self) -> pd.DataFrame:
        """Return the region table with Japanese column names, for planners."""
        return (
            self.regions.drop(columns=["members"])
            .astype({"population": "Int64"})
            .rename(
                columns={
                    "region_name": "リージョン名",
                    "core": "中心市区町村コード",
                    "core_name": "中心市区町村",
                    "core_prefecture": "中心市区町村の都道府県",
                    "n_members": "市区町村数",
                    "population": "人口",
                    "member_names": "構成市区町村",
                }
            )
        )

    @property
    def datasets(self) -> list[str]:
        """Registry datasets the proposal was made from beyond its indicators (block layer)."""
        return list(self.blocks.attrs.get("datasets", ())) if self.blocks is not None else []

    def save(self, csv: str | Path) -> list[Path]:
        """Write the planners' files.

        Parameters
        ----------
        csv
            The labels CSV (UTF-8 with BOM); ``<stem>_regions.csv`` (one row per region) and
            ``<stem>_evaluation.txt`` are written beside it.

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        from regionlib._write import check_output, write_csv, write_text

        csv = Path(csv)
        table_path = csv.with_name(f"{csv.stem}_regions.csv")
        eval_path = csv.with_name(f"{csv.stem}_evaluation.txt")
        for path in (csv, table_path):
            check_output(path, (".csv",), what="CSV")
        write_csv(self.to_frame(), csv, index=False)
        write_csv(self.region_summary(), table_path)
        write_text(eval_path, f"{self.title}\n{self.summary()}\n", what="evaluation")
        written = [csv, table_path, eval_path]
        return written


def propose_regions(
    table: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    method: str = "maxp",
    floor: tuple[str, float] | None = None,
    n_regions: int | None = None,
    population: str = "population_2020",
    within_prefecture: bool = False,
    islands: str = "connect",
    cores: Iterable[str] | None = None,
    together: Iterable[Iterable[str]] | None = None,
    blocks: str | Path | pd.Series | None = None,
    spatial_weight: float = 0.0,
    compactness: float | None = None,
    missing: str = "median",
    random_state: int | None = None,
    evaluation: bool = True,
) -> RegionProposal:
    """Propose contiguous regions on ``table`` and evaluate them.

    Parameters
    ----------
    table
        Municipalities (index ``code``) with ``prefecture``, ``name``, geometry, the indicator
        ``columns``, the ``population`` column and the floor column.
    columns
        Indicators the regions should be homogeneous on.
    method, floor, n_regions, within_prefecture, islands, cores, together, spatial_weight, missing, random_state
        As in :func:`regionlib.regions.regionalize`.
    blocks
        Build the regions from whole blocks: ``"commuting_zones"`` (2020),
        ``"commuting_zones:2015"``, ``"prefectures"``, a CSV of ``code,block`` or a Series (see
        :func:`regionlib.references.block_layer`). The evaluation then also counts the blocks
        split (none).
    compactness
        Compactness weight (see :func:`regionlib.regions.regionalize`); default
        ``regions.DEFAULT_COMPACTNESS``, 0 for indicators only.
    population
        Column used for the cores, region populations and population balance.
    evaluation
        Evaluate the proposal (the default); False leaves ``evaluation`` empty for callers
        that need the regions only (it dissolves every region and compares four references).

    Returns
    -------
    RegionProposal
        Labels, region table and evaluation (against prefectures and the 2020 commuting zones).
    """
    columns = list(columns)
    compactness = regions.check_weight(
        "compactness", regions.DEFAULT_COMPACTNESS if compactness is None else compactness
    )
    regions.check_options(  # before the graph and the references are built
        method,
        n_regions=n_regions,
        floor=floor,
        missing=missing,
        cores=cores,
        n_municipalities=len(table),
        compactness=compactness,
        spatial_weight=spatial_weight,
    )
    with deferred_warnings():  # a block layer refused: one error line, no graph warning
        g = graph.contiguity_edges(table, within_prefecture=within_prefecture, islands=islands)
        in_graph = table.loc[table.index.isin(g.unique_ids)]
        refs = references.reference_groupings(in_graph)
        block_labels = None
        if blocks is not None:
            adjacency = graph.adjacency_matrix(g, in_graph.index)
            block_labels = references.block_layer(blocks, in_graph, adjacency=adjacency)
            refs[block_labels.attrs["reference"]] = block_labels
    labels = regions.regionalize(
        in_graph,
        columns,
        method=method,
        n_regions=n_regions,
        floor=floor,
        graph=g,
        within_prefecture=within_prefecture,
        cores=cores,
        together=together,
        blocks=block_labels,
        spatial_weight=spatial_weight,
        compactness=compactness,
        missing=missing,
        random_state=random_state,
        cache=True,  # a planner's second run (another output, another map) does not solve again
    )
    summary = regions.region_table(in_graph, labels, population=population)
    result = pd.Series(dtype=object)
    if evaluation:
        result = _evaluation(in_graph, labels, columns, floor, g, population, refs, missing)
    return RegionProposal(
        table=table,
        labels=labels,
        regions=summary,
        evaluation=result,
        method=method,
        columns=columns,
        floor=floor,
        blocks=block_labels,
    )


def _evaluation(
    in_graph: gpd.GeoDataFrame,
    labels: pd.Series,
    columns: list[str],
    floor: tuple[str, float] | None,
    g: graph.Edges,
    population: str,
    refs: dict[str, pd.Series],
    missing: str,
) -> pd.Series:
    """:func:`regionlib.evaluate.evaluate` of a proposal, kept in the derived cache.

    The evaluation dissolves every region and compares it with four references (about 70 ms
    for a prefecture): a second run of the same proposal (another output format) reads it.
    The key holds everything it reads: the shapes and the columns used, the flags, the labels,
    the references, the graph's links, the options and the code of the evaluation.
    """
    from regionlib.data import _cache

    used = [*columns, population, *([floor[0]] if floor else [])]
    used = [c for c in dict.fromkeys(used) if c in in_graph.columns]
    read = _cache.content_hash(
        labels,
        *(refs[name].rename(name) for name in sorted(refs)),
        g.edges,
        g.index,
        in_graph.attrs.get("flags", {}),
    )
    here = Path(__file__).parent
    code = [here / "evaluate.py", here / "proposals.py", here / "regions" / "_problem.py"]
    inputs = [
        _cache.geometry_hash(in_graph, used),
        read,
        *(_cache.file_sha256(path) for path in code),
    ]
    params = {"columns": columns, "floor": floor, "population": population, "missing": missing}

    def build() -> dict:
        measures = evaluate.evaluate(
            in_graph,
            labels,
            columns=columns,
            floor=floor,
            graph=g,
            population=population,
            references=refs,
            missing=missing,
        )
        # numpy scalars as Python numbers, so that they keep through JSON
        return {k: v.item() if hasattr(v, "item") else v for k, v in measures.items()}

    measures = _cache.cached_json("region-evaluation", inputs, params, build)
    return pd.Series(measures, name="evaluation", dtype=object)
