"""``regionalize``: validate the options, prepare the problem, run one method."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from regionlib import settings
from regionlib._errors import RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib.analysis import graph as _graph
from regionlib.analysis.regions._problem import (
    Problem,
    check_floor_feasible,
    check_weight,
    prepare,
)

if TYPE_CHECKING:  # libpysal costs seconds to import: only where a graph is built
    from libpysal.graph import Graph

Method = Literal["ward", "maxp", "skater"]

#: Compactness weight of the planners' proposals (:func:`regionlib.proposals.propose_regions`,
#: the command line). Nationwide with a 200,000 floor, 0 leaves a snake (the largest land
#: piece of one region has an isoperimetric quotient of 0.044); 0.3 gives every region's
#: largest piece at least 0.067 with 329 regions instead of 323 and a within-region SSD 2.5 %
#: higher (benchmarks/bench_regions.py prints the trade-off for a range of weights).
DEFAULT_COMPACTNESS = 0.3
METHODS = ("ward", "maxp", "skater")


def _renumber(labels: pd.Series) -> pd.Series:
    """Renumber regions 1, 2, … in the order of their first municipality in the index."""
    first = {}
    for value in labels.to_numpy():
        if value not in first:
            first[value] = len(first) + 1
    return labels.map(first).astype(np.int64).rename("region")


def regionalize(
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    method: Method = "maxp",
    n_regions: int | None = None,
    floor: tuple[str, float] | None = None,
    graph: Graph | _graph.Edges | None = None,
    within_prefecture: bool = False,
    islands: _graph.IslandPolicy = "connect",
    cores: Iterable[str] | None = None,
    together: Iterable[Iterable[str]] | None = None,
    blocks: pd.Series | None = None,
    standardize: bool = True,
    spatial_weight: float = 0.0,
    compactness: float = 0.0,
    missing: Literal["error", "median"] = "error",
    flagged: Literal["exclude", "keep"] = "exclude",
    local_search: bool | None = None,
    n_restarts: int = 1000,
    random_state: int | None = None,
    cache: bool = False,
) -> pd.Series:
    """Group neighbouring municipalities into contiguous regions.

    Parameters
    ----------
    gdf
        Municipalities on the 5-digit ``code`` index with the indicator columns (and geometry
        unless ``graph`` is given).
    columns
        Indicator columns the regions should be homogeneous on.
    method
        ``"maxp"`` (needs ``floor``), ``"ward"`` or ``"skater"`` (need ``n_regions``).
    n_regions
        Number of regions for Ward and SKATER.
    floor
        ``(column, minimum)``: every region's total of an additive column must reach the
        minimum, e.g. ``("population", 200_000)``. Required by max-p, optional for SKATER.
    graph
        A contiguity graph on the same codes; default :func:`regionlib.graph.contiguity`
        of ``gdf`` with ``within_prefecture`` and ``islands``. A disconnected graph is accepted:
        each part must then reach the floor / receive at least one region, else the error names
        the part.
    within_prefecture
        Never put municipalities of different prefectures in one region.
    islands
        Island policy of the graph built here (see :func:`regionlib.graph.contiguity`).
    cores
        Codes that must each lead a different region (max-p only); they never move.
    together
        Groups of codes that must end in the same region (each group contiguous). Each group
        is merged into one unit first; max-p and SKATER keep exact sums of squares for it, Ward
        (scikit-learn, no sample weights) sees it as one unit at its members' mean.
    blocks
        Block label per code (e.g. the commuting zone, from
        :func:`regionlib.references.block_layer`): regions are unions of whole blocks, so no
        block is split. Every code must have a block (the uncovered ones are listed); a block
        that is not contiguous on the graph is accepted with a warning.
    standardize
        z-score the columns first (default) so that each weighs the same.
    spatial_weight
        Weight of the municipality's location: the standardised centroid coordinates (in
        ``settings.area_crs``) times this weight are added as two more features, which favours
        compact regions (0, the default, uses the indicators only).
    compactness
        Weight of the regions' compactness in the objective (0: indicators only): the moment of
        inertia of the members' centroids, in steps between neighbours, is added to the
        within-region sum of squares (Feng, Rey & Wei 2022), so max-p and SKATER avoid
        elongated regions. Negative weights are refused.
        :func:`regionlib.proposals.propose_regions` and the command line use
        ``DEFAULT_COMPACTNESS``.
    missing
        ``"error"`` (default) refuses missing indicator values and lists the codes;
        ``"median"`` fills them with the column median and logs which.
    flagged
        ``"exclude"`` (default): values flagged in ``gdf.attrs["flags"]`` (evacuation
        artefacts, Tokyo's special wards' fiscal strength) are set to the median of the
        others, so they neither attract nor repel, and are reported; ``"keep"``: used as is.
    local_search
        Improve the solution by moving boundary municipalities while the within-region sum of
        squares drops (contiguity, floor and cores kept). Default: on for max-p, off for Ward
        and SKATER (so they match their textbook definition).
    n_restarts
        Most construction restarts of max-p (see :mod:`regionlib.regions.maxp`: they stop
        earlier once they stop finding more regions); the local search then improves the six
        best with the most regions. A restart takes about 1.5 ms nationwide.
    random_state
        Seed; default ``settings.random_state``. The same inputs and seed give the same labels.
    cache
        Keep the labels in the regionlib cache folder, keyed by the prepared problem (codes,
        features, floor weights, graph, cores), the method, its options, the seed and the
        solvers' code, and read them from there on the next call with the same inputs (so a
        second ``regionlib regions`` run, e.g. for another output format, does not solve
        again). Off by default, so timing the solvers measures them.

    Returns
    -------
    pandas.Series
        Region number (1, 2, …, numbered in index order) per code, named ``region``.

    Raises
    ------
    RegionlibError
        On a missing option, missing indicator values (the codes are listed), a floor above the
        total or one an island cannot reach (named), or more regions than municipalities.
    """
    check_options(
        method,
        n_regions=n_regions,
        floor=floor,
        missing=missing,
        cores=cores,
        n_municipalities=len(gdf),
        compactness=compactness,
        spatial_weight=spatial_weight,
    )
    problem = prepare(
        gdf,
        columns,
        graph=graph,
        floor=floor,
        within_prefecture=within_prefecture,
        islands=islands,
        cores=cores,
        together=together,
        blocks=blocks,
        standardize=standardize,
        spatial_weight=spatial_weight,
        compactness=compactness,
        missing=missing,
        flagged=flagged,
    )
    if method in ("ward", "skater") and int(n_regions) > len(problem.mass):
        raise RegionlibError(
            f"n_regions={n_regions} が、一緒にするグループとブロックをまとめた後の {len(problem.mass)} 単位より多くなっています / "
            f"n_regions={n_regions} is more than the {len(problem.mass)} units left after "
            "merging the keep-together groups and blocks"
        )
    seed = settings.random_state if random_state is None else random_state
    if local_search is None:
        local_search = method == "maxp"
    options = {
        "method": method,
        "n_regions": None if n_regions is None else int(n_regions),
        "floor": None if floor is None else float(floor[1]),
        "local_search": bool(local_search),
        "n_restarts": max(1, int(n_restarts)),
        "seed": int(seed),
    }
    if cache:
        from regionlib.data import _cache

        node_labels = np.frombuffer(
            _cache.cached_bytes(
                "region-labels",
                _problem_inputs(problem),
                options,
                lambda: _solve(problem, **options).astype(np.int64).tobytes(),
            ),
            dtype=np.int64,
        )
    else:
        node_labels = _solve(problem, **options)
    labels = pd.Series(node_labels[problem.node_of], index=problem.codes)
    labels = _renumber(labels)
    log(
        f"regions: {method} made {(n_made := labels.nunique())} regions from {len(labels)} municipalities",
        ja=f"地域区分: {method} で {len(labels)} 市区町村を {n_made} 地域に分けました",
    )
    return labels


def _solve(
    problem: Problem,
    *,
    method: str,
    n_regions: int | None,
    floor: float | None,
    local_search: bool,
    n_restarts: int,
    seed: int,
) -> np.ndarray:
    """Run one method on a prepared problem: a region label per node."""
    # imported here: the solvers load numba and their compiled kernels (about 0.35 s), which a
    # call answered from the cache does not need
    from regionlib.analysis.regions import maxp, skater, ward
    from regionlib.analysis.regions._local import improve

    rng = np.random.default_rng(seed)
    if method == "maxp":
        return maxp.solve(problem, floor, n_restarts=n_restarts, local_search=local_search, rng=rng)
    if floor is not None:
        check_floor_feasible(problem, floor)
    if method == "skater":
        node_labels = skater.solve(problem, int(n_regions), floor=floor)
    else:  # ward takes no floor (check_options)
        node_labels = ward.solve(problem, int(n_regions))
    if local_search:
        _, node_labels = np.unique(node_labels, return_inverse=True)
        node_labels = improve(problem, node_labels, floor=floor, seed=int(rng.integers(2**31 - 1)))
    return node_labels


def _problem_inputs(problem: Problem) -> list[str]:
    """Cache inputs of a problem's solution: its arrays and the solvers' code."""
    from pathlib import Path

    from regionlib.data import _cache

    adjacency = problem.adjacency.tocsr()
    arrays = _cache.content_hash(
        problem.codes,
        problem.node_of,
        problem.mass,
        problem.xsum,
        problem.qsum,
        problem.weight,
        adjacency.indptr,
        adjacency.indices,
        adjacency.data,
        problem.cores,
    )
    code = sorted(Path(__file__).parent.glob("*.py"))
    return [arrays, *(_cache.file_sha256(path) for path in code)]


def check_options(
    method: str,
    *,
    n_regions: int | None = None,
    floor: tuple[str, float] | None = None,
    missing: str = "error",
    cores: Iterable[str] | None = None,
    n_municipalities: int | None = None,
    compactness: float = 0.0,
    spatial_weight: float = 0.0,
) -> None:
    """Refuse options :func:`regionalize` cannot run with, before any work is done.

    :func:`regionalize` calls it first; :func:`regionlib.proposals.propose_regions` calls it
    before building the graph and the references, so a missing ``n_regions`` is said at once.

    Parameters
    ----------
    method, n_regions, floor, missing, cores, compactness, spatial_weight
        As for :func:`regionalize`.
    n_municipalities
        Rows of the table (``n_regions`` may not exceed it); None skips that check.

    Raises
    ------
    RegionlibError
        On an unknown method, a method without the option it needs, a floor that is not
        positive or given to Ward, forced cores without max-p, more regions than municipalities.
    """
    check_weight("compactness", compactness)
    check_weight("spatial_weight", spatial_weight)
    if method not in METHODS:
        raise UnknownNameError(
            f"方法 {method!r} はありません / "
            f"unknown method {method!r}{suggest(str(method), METHODS)}"
        )
    if floor is not None and not float(floor[1]) > 0:
        raise RegionlibError(
            f"下限値 {tuple(floor)!r} は正の数にしてください / "
            f"floor {tuple(floor)!r}: the minimum must be positive"
        )
    if method == "maxp" and floor is None:
        raise RegionlibError(
            "方法 'maxp' には下限値が必要です（例: floor=('population', 200000)） / "
            "method 'maxp' needs a floor, e.g. floor=('population', 200000)"
        )
    if method in ("ward", "skater"):
        if n_regions is None:
            raise RegionlibError(
                f"方法 {method!r} には n_regions が必要です / method {method!r} needs n_regions"
            )
        if int(n_regions) < 1:
            raise RegionlibError(
                f"n_regions は 1 以上にしてください（指定は {n_regions}） / "
                f"n_regions must be at least 1, got {n_regions}"
            )
        if n_municipalities is not None and int(n_regions) > n_municipalities:
            raise RegionlibError(
                f"n_regions={n_regions} が表の市区町村数（{n_municipalities}）より多くなっています / "
                f"n_regions={n_regions} is more than the {n_municipalities} municipalities in the table"
            )
    if missing not in ("error", "median"):
        raise RegionlibError(
            f"missing は 'error' か 'median' にしてください（指定は {missing!r}） / "
            f"missing must be 'error' or 'median', got {missing!r}"
        )
    if method == "ward" and floor is not None:
        raise RegionlibError(
            "方法 'ward' は下限値を取りません。'maxp' か 'skater' を使ってください / "
            "method 'ward' takes no floor; use 'maxp' or 'skater'"
        )
    if cores and method != "maxp":
        raise RegionlibError(
            "中心の指定は method='maxp' でだけ使えます / "
            "forced cores are supported by method='maxp' only"
        )
