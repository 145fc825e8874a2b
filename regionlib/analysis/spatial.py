"""Spatial pattern of one indicator: global Moran's I and local (LISA) categories.

Both statistics are computed with :mod:`esda` on the contiguity graph of
:func:`regionlib.graph.contiguity` (Queen contiguity; islands linked to their nearest
municipalities by default, so that every municipality has neighbours), row-standardised.
Municipalities without a value for the indicator are left out before the graph is built, and
the log says how many.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from regionlib import spatial
>>> cells = [shapely.box(139 + c, 35 + r, 140 + c, 36 + r) for r in range(4) for c in range(4)]
>>> gdf = gpd.GeoDataFrame(
...     {"x": [float(c) for r in range(4) for c in range(4)]},
...     geometry=cells, crs="EPSG:6668",
...     index=gpd.pd.Index([f"01{i:03d}" for i in range(1, 17)], name="code"),
... )
>>> result = spatial.compute_moran(gdf, "x", permutations=99)
>>> bool(result.i > 0.5)
True
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph

from regionlib import settings
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log

__all__ = ["LISA_LABELS", "MoranResult", "compute_lisa", "compute_moran"]

#: Japanese labels of the LISA categories.
LISA_LABELS = {
    "HH": "高-高（ホットスポット）",
    "LL": "低-低（コールドスポット）",
    "HL": "高-低（周囲より高い）",
    "LH": "低-高（周囲より低い）",
    "ns": "有意でない",
    "isolate": "隣接なし",
}
_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I of one indicator.

    Attributes
    ----------
    column
        The indicator.
    i
        Moran's I.
    expected
        Its expectation under spatial randomness, -1/(n-1).
    z
        z-score under the normality assumption.
    p_norm
        Two-sided p-value under normality.
    p_sim
        Pseudo p-value from ``permutations`` random permutations (NaN if none).
    permutations
        Number of permutations.
    n
        Municipalities used.
    """

    column: str
    i: float
    expected: float
    z: float
    p_norm: float
    p_sim: float
    permutations: int
    n: int

    def __str__(self) -> str:
        return (
            f"Moran's I of {self.column}: I={self.i:.4f} (E[I]={self.expected:.4f}), "
            f"z={self.z:.2f}, p(normal)={self.p_norm:.3g}, p(perm, {self.permutations})="
            f"{self.p_sim:.3g}, n={self.n}"
        )


def _prepare(gdf: gpd.GeoDataFrame, column: str, graph: Graph | None) -> tuple[pd.Series, Graph]:
    if column not in gdf.columns:
        numeric = [c for c in gdf.columns if c != "geometry"]
        msg = (
            f"列 '{column}' が見つかりません / unknown column '{column}'{suggest(column, numeric)}"
        )
        raise UnknownNameError(msg)
    y = pd.to_numeric(gdf[column], errors="coerce").astype(float)
    y = y.replace([np.inf, -np.inf], np.nan)
    missing = y.isna()
    if missing.all():
        msg = (
            f"列 '{column}' は {len(y)} 市区町村のどれにも値がありません / "
            f"column '{column}' has no value for any of the {len(y)} municipalities"
        )
        raise DataFormatError(msg)
    if missing.any():
        log(
            f"spatial: left out {int(missing.sum())} municipalities without '{column}'",
            level=logging.WARNING,
            ja=f"{column} のない {int(missing.sum())} 市区町村を除いて計算しました",
        )
    y = y[~missing]
    if not y.std(ddof=0) > 0:
        msg = (
            f"列 '{column}' はどこでも同じ値のため、空間的自己相関が定まりません / "
            f"column '{column}' has the same value everywhere; spatial autocorrelation is undefined"
        )
        raise DataFormatError(msg)
    if graph is None:
        from regionlib.analysis import graph as graph_module

        graph = graph_module.contiguity(gdf.loc[y.index], islands="connect")
    else:
        ids = pd.Index(graph.unique_ids)
        absent = y.index.difference(ids)
        if len(absent):
            msg = (
                f"グラフに {len(absent)} 市区町村（最初は {absent[0]}）の節点がありません。同じ表からグラフを作ってください / "
                f"the graph has no node for {len(absent)} municipalities (first: {absent[0]}); "
                "build it on the same table"
            )
            raise RegionlibError(msg)
        if len(ids) != len(y) or not ids.equals(y.index):
            graph = graph.subgraph(y.index)
    if len(y) < 3:
        msg = (
            f"'{column}' の値があるのは {len(y)} 市区町村だけです。3 市区町村以上必要です / "
            f"only {len(y)} municipalities have '{column}'; at least 3 are needed"
        )
        raise DataFormatError(msg)
    return y, graph.transform("r")


@contextmanager
def _seeded(seed: int):
    # esda.Moran draws its permutations from NumPy's global generator and takes no seed:
    # seed it for this call only and restore the caller's state afterwards.
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def compute_moran(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    graph: Graph | None = None,
    permutations: int = 999,
    random_state: int | None = None,
) -> MoranResult:
    """Compute global Moran's I of an indicator on the contiguity graph.

    Parameters
    ----------
    gdf
        Municipalities (index ``code``, geometry) with the indicator column.
    column
        The indicator.
    graph
        A :class:`libpysal.graph.Graph` on the codes; default
        ``graph.contiguity(gdf, islands="connect")`` on the rows that have a value.
    permutations
        Random permutations for the pseudo p-value (0: none).
    random_state
        Seed of the permutations; default ``settings.random_state``.

    Returns
    -------
    MoranResult
        I, its expectation, z-score and p-values.

    Raises
    ------
    UnknownNameError
        The column does not exist.
    DataFormatError
        The column is entirely missing or constant.
    """
    y, w = _prepare(gdf, column, graph)
    seed = settings.random_state if random_state is None else int(random_state)
    with _seeded(seed):
        m = esda.Moran(y.to_numpy(), w, permutations=permutations)
    p_sim = float(m.p_sim) if permutations else np.nan
    return MoranResult(
        column=column,
        i=float(m.I),
        expected=float(m.EI),
        z=float(m.z_norm),
        p_norm=float(m.p_norm),
        p_sim=p_sim,
        permutations=int(permutations),
        n=len(y),
    )


def compute_lisa(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    graph: Graph | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    random_state: int | None = None,
) -> pd.DataFrame:
    """Compute local Moran's I (LISA) and classify each municipality.

    Parameters
    ----------
    gdf
        Municipalities (index ``code``, geometry) with the indicator column.
    column
        The indicator.
    graph
        A :class:`libpysal.graph.Graph` on the codes; default ``graph.contiguity(gdf)``.
    permutations
        Conditional permutations for the pseudo p-values.
    alpha
        Significance level: municipalities with ``p_sim >= alpha`` are ``"ns"``.
    random_state
        Seed of the permutations; default ``settings.random_state``.

    Returns
    -------
    pandas.DataFrame
        Index ``code`` (municipalities with a value); columns ``value``, ``local_i``,
        ``p_sim``, ``quadrant`` (HH, LH, LL, HL), ``category`` (the quadrant if significant,
        ``"ns"`` if not, ``"isolate"`` without neighbours) and ``category_ja`` (Japanese label).
    """
    if not 0 < alpha < 1:
        msg = (
            f"alpha は 0 から 1 の間にしてください（指定は {alpha}） / "
            f"alpha must be between 0 and 1, not {alpha}"
        )
        raise RegionlibError(msg)
    y, w = _prepare(gdf, column, graph)
    seed = settings.random_state if random_state is None else int(random_state)
    isolates = set(w.isolates)
    if isolates:
        log(
            f"spatial: {len(isolates)} municipalities have no neighbour and get no LISA category",
            ja=f"空間分析: {len(isolates)} 市区町村は隣接する市区町村がなく、LISA の分類がありません",
        )
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # esda.Moran_Local offers no ``alternative`` argument yet, but its conditional
        # randomisation warns that the default will change; we report its documented
        # (directed, folded) pseudo p-values.
        warnings.filterwarnings(
            "ignore", message="The alternative hypothesis", category=DeprecationWarning
        )
        lisa = esda.Moran_Local(
            y.to_numpy(), w, permutations=permutations, seed=seed, keep_simulations=False
        )
    quadrant = pd.Series(lisa.q, index=y.index).map(_QUADRANTS)
    p = pd.Series(lisa.p_sim, index=y.index, dtype=float)
    category = quadrant.where(p < alpha, "ns")
    if isolates:
        iso = y.index.isin(list(isolates))
        category = category.where(~iso, "isolate")
        p = p.where(~iso, np.nan)
    out = pd.DataFrame(
        {
            "value": y,
            "local_i": pd.Series(lisa.Is, index=y.index, dtype=float),
            "p_sim": p,
            "quadrant": quadrant.astype(str),
            "category": category.astype(str),
        }
    )
    out["category_ja"] = out["category"].map(LISA_LABELS)
    out.index.name = "code"
    return out
