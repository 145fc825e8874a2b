"""The regionalisation problem shared by every method: validated arrays on (contracted) nodes.

:func:`prepare` turns a municipality table, indicator columns, a contiguity graph, a floor,
forced cores and keep-together groups into a :class:`Problem`: per node (a municipality, or a
group that must stay together) its mass, feature sums, squared norms, floor weight and the node
adjacency. The methods in :mod:`regionlib.regions.maxp`, :mod:`~regionlib.regions.skater` and
:mod:`~regionlib.regions.ward` work on it and return one label per node.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from regionlib import settings
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib.analysis import graph as _graph
from regionlib.data import flags

if TYPE_CHECKING:  # libpysal costs seconds to import: only where a graph is built
    from libpysal.graph import Graph


def parse_floor(text: str) -> tuple[str, float]:
    """Parse a floor written as ``"column:value"``, e.g. ``"population:200000"``.

    Parameters
    ----------
    text
        Column name and minimum total, separated by a colon; ``_`` and ``,`` in the number are
        ignored.

    Returns
    -------
    tuple of (str, float)
        The column and the floor.

    Raises
    ------
    RegionlibError
        If the text is not of that form.
    """
    column, sep, value = str(text).partition(":")
    try:
        number = float(value.replace("_", "").replace(",", ""))
    except ValueError:
        number = float("nan")
    if not sep or not column or not np.isfinite(number):
        raise RegionlibError(
            f"下限値 {text!r} は 列名:数値 の形（population:200000）で書いてください / "
            f"floor {text!r} is not of the form COLUMN:NUMBER (population:200000)"
        )
    if number <= 0:
        raise RegionlibError(
            f"下限値 {text!r} は正の数にしてください / floor {text!r}: the minimum must be positive"
        )
    return column.strip(), number


@dataclass
class Problem:
    """Arrays of one regionalisation problem, possibly on contracted nodes."""

    codes: pd.Index  # original municipality codes
    node_of: np.ndarray  # node index of every municipality
    mass: np.ndarray  # municipalities per node
    xsum: np.ndarray  # sum of standardised features per node (n_nodes x d)
    qsum: np.ndarray  # sum of squared norms per node
    weight: np.ndarray  # floor variable per node (zeros without a floor)
    adjacency: sparse.csr_matrix  # node adjacency
    cores: np.ndarray  # node indices that must lead distinct regions
    display: pd.Index | None = None  # "code name" per municipality, for messages

    @property
    def mean(self) -> np.ndarray:
        return self.xsum / self.mass[:, None]


def feature_matrix(
    gdf: pd.DataFrame,
    columns: Sequence[str],
    standardize: bool,
    missing: str = "error",
    flagged: str = "exclude",
) -> np.ndarray:
    columns = list(columns)
    if not columns:
        raise RegionlibError(
            "リージョンを作る指標の列を 1 つ以上指定してください / "
            "name at least one indicator column to build regions on"
        )
    unknown = [c for c in columns if c not in gdf.columns]
    if unknown:
        raise UnknownNameError(
            f"列 {unknown[0]!r} は表にありません / "
            f"column {unknown[0]!r} is not in the table{suggest(unknown[0], map(str, gdf.columns))}"
        )
    frame = gdf[columns]
    coerced = frame.apply(pd.to_numeric, errors="coerce")
    for col in columns:
        # a text value that is not a number is a wrong column, not a missing value
        text = frame[col].notna() & coerced[col].isna()
        if text.any():
            code = frame.index[text.to_numpy()][0]
            raise DataFormatError(
                f"指標 {col!r} は数値ではありません（{code} の {frame[col][text].iloc[0]!r} など {int(text.sum())} 個）。数値に直すか外してください / "
                f"indicator {col!r} is not numeric ({int(text.sum())} values such as "
                f"{frame[col][text].iloc[0]!r} at {code}); convert it or leave it out"
            )
        if not np.isfinite(coerced[col].to_numpy(dtype=float)).any():
            raise DataFormatError(
                f"指標 {col!r} は {len(frame)} 市区町村のどれにも値がありません。外すか表の読み込み方を確かめてください / "
                f"indicator {col!r} has no value for any of the {len(frame)} municipalities; "
                "leave it out or check how the table was loaded"
            )
    if flagged not in ("exclude", "keep"):
        raise RegionlibError(
            f"flagged は 'exclude' か 'keep' にしてください（指定は {flagged!r}） / "
            f"flagged must be 'exclude' or 'keep', got {flagged!r}"
        )
    if flagged == "exclude":  # evacuation artefacts etc.: neutral (the median), reported
        coerced, _ = flags.neutralise(
            coerced,
            getattr(gdf, "attrs", {}).get("flags", {}),
            what="regions",
            ja="注意の付いた値（避難指示の影響など）のある {codes} 市区町村は、その値を中央値に"
            "置き換えて圏域を作りました（flagged='keep' で元の値を使います）",
        )
    values = coerced.to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(values)
    if bad.any() and missing == "median":
        for k, col in enumerate(columns):
            if bad[:, k].any():
                codes = gdf.index[bad[:, k]].tolist()
                fill = np.median(values[~bad[:, k], k]) if (~bad[:, k]).any() else 0.0
                shown = ", ".join(map(str, codes[:10]))
                log(
                    f"regions: {col}: filled {len(codes)} missing values with the median "
                    f"{fill:.4g} ({shown})",
                    ja=f"地域区分: {col}: 欠損 {len(codes)} 件を中央値 {fill:.4g} で補いました（{shown}）",
                )
                values[bad[:, k], k] = fill
        bad = ~np.isfinite(values)
    if bad.any():
        parts = []
        for k, col in enumerate(columns):
            codes = gdf.index[bad[:, k]].tolist()
            if codes:
                more = " …" if len(codes) > 10 else ""
                parts.append(f"{col}: {', '.join(map(str, codes[:10]))}{more}")
        listed = "; ".join(parts)
        msg = (
            f"指標の値が欠けているか数値ではありません（{listed}）。値を補うか、その市区町村を外すか、"
            f"missing='median' を指定してください / missing or non-numeric indicator values ({listed}); "
            "impute them, drop those municipalities, or pass missing='median'"
        )
        raise DataFormatError(msg)
    if standardize:
        std = values.std(axis=0)
        flat = [c for c, s in zip(columns, std, strict=True) if s == 0]
        if flat:
            log(
                f"regions: columns {flat} are constant and carry no information",
                ja=f"地域区分: 列 {flat} はすべて同じ値で、区分の手がかりになりません",
            )
        values = (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return values


def check_weight(name: str, value: float) -> float:
    """Return a shape weight (``compactness``, ``spatial_weight``), refused when negative.

    The one check for every entry point (regionalize, proposals, nested levels), so that a
    bad weight is refused before any work.

    Parameters
    ----------
    name
        The option's name, for the error message.
    value
        The weight asked for.

    Returns
    -------
    float
        ``value``, when it is 0 or more.
    """
    if value < 0:
        raise RegionlibError(
            f"{name} は 0 以上にしてください（指定は {value}） / "
            f"{name} must be 0 or more, got {value}"
        )
    return value


def _centroid_xy(gdf: pd.DataFrame, option: str) -> np.ndarray:
    """Centroids of the municipalities in ``settings.area_crs`` (metres), as an (n, 2) array."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise RegionlibError(
            f"{option} には形状のある GeoDataFrame が必要です / "
            f"{option} needs a GeoDataFrame with geometry"
        )
    centroids = gdf.geometry.to_crs(settings.area_crs).centroid
    return np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])


def with_location(gdf: pd.DataFrame, x: np.ndarray, spatial_weight: float) -> np.ndarray:
    """Append the standardised centroid coordinates (in ``settings.area_crs``), scaled."""
    check_weight("spatial_weight", spatial_weight)
    xy = _centroid_xy(gdf, "spatial_weight")
    xy = (xy - xy.mean(axis=0)) / xy.std(axis=0)
    return np.column_stack([x, xy * spatial_weight])


def with_compactness(
    gdf: pd.DataFrame, x: np.ndarray, adjacency: sparse.csr_matrix, weight: float
) -> np.ndarray:
    """Append the centroids as two features so that the SSD includes the regions' inertia.

    The within-region sum of squares of the appended columns is the moment of inertia of the
    members' centroids about the region's centroid (the compactness term of Feng, Rey & Wei
    2022), measured in steps: the coordinates (in ``settings.area_crs``) are divided by the
    median distance between the centroids of neighbours, so that ``weight=1`` makes one step
    between neighbours cost as much as one standard deviation of one indicator.
    """
    check_weight("compactness", weight)
    xy = _centroid_xy(gdf, "compactness")
    coo = sparse.triu(adjacency, k=1).tocoo()
    steps = np.sqrt(((xy[coo.row] - xy[coo.col]) ** 2).sum(axis=1))
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 1.0
    return np.column_stack([x, (xy - xy.mean(axis=0)) / step * np.sqrt(weight)])


def prepare(
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    spatial_weight: float = 0.0,
    compactness: float = 0.0,
    missing: str = "error",
    graph: Graph | _graph.Edges | None,
    floor: tuple[str, float] | None,
    within_prefecture: bool,
    islands: str,
    cores: Iterable[str] | None,
    together: Iterable[Iterable[str]] | None,
    standardize: bool,
    blocks: pd.Series | None = None,
    flagged: str = "exclude",
) -> Problem:
    if not isinstance(gdf, pd.DataFrame):
        raise DataFormatError(
            "コードをインデックスにした市区町村の (Geo)DataFrame を渡してください / "
            "expected a (Geo)DataFrame of municipalities on the code index"
        )
    if gdf.index.has_duplicates:
        dup = gdf.index[gdf.index.duplicated()].unique().tolist()[:5]
        raise DataFormatError(
            f"インデックスに同じ市区町村コードが複数あります: {dup} / "
            f"duplicate municipality codes in the index: {dup}"
        )
    if graph is None:
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise RegionlibError(
                "形状のある GeoDataFrame か、先に作ったグラフ（graph=）を渡してください / "
                "pass a GeoDataFrame with geometry, or a graph= built beforehand"
            )
        graph = _graph.contiguity_edges(gdf, within_prefecture=within_prefecture, islands=islands)
        kept = gdf.index.isin(graph.unique_ids)
        if not kept.all():  # islands="drop": the dropped municipalities get no region (logged)
            gdf = gdf.loc[kept]
        within_prefecture = False  # already applied to the graph
    codes = pd.Index(gdf.index.astype(str), name="code")
    x = feature_matrix(gdf, columns, standardize, missing, flagged)
    if spatial_weight:
        x = with_location(gdf, x, spatial_weight)
    if floor is not None:
        fcol = floor[0]
        if fcol not in gdf.columns:
            raise UnknownNameError(
                f"下限値の列 {fcol!r} は表にありません / "
                f"floor column {fcol!r} is not in the table{suggest(fcol, map(str, gdf.columns))}"
            )
        weight = pd.to_numeric(gdf[fcol], errors="coerce").to_numpy(dtype=float)
        bad = codes[~np.isfinite(weight)]
        if len(bad):
            raise DataFormatError(
                f"下限値の列 {fcol!r} が {len(bad)} 市区町村で欠けています（{'、'.join(bad[:10])}）。先に埋めるか外してください / "
                f"floor column {fcol!r} is missing for {len(bad)} municipalities "
                f"({', '.join(bad[:10])}); fill or drop them first"
            )
        if (weight < 0).any():
            raise DataFormatError(
                f"下限値の列 {fcol!r} に負の値があります。足し合わせられる量にしてください / "
                f"floor column {fcol!r} has negative values; it must be additive"
            )
    else:
        weight = np.zeros(len(gdf))
    adjacency = _graph.adjacency_matrix(graph, pd.Index(gdf.index))
    if compactness:
        x = with_compactness(gdf, x, adjacency, compactness)
    if within_prefecture:
        grp = _graph.group_key(gdf).to_numpy()
        coo = adjacency.tocoo()
        same = grp[coo.row] == grp[coo.col]
        adjacency = sparse.csr_matrix(
            (coo.data[same], (coo.row[same], coo.col[same])), shape=adjacency.shape
        )
    # contraction of the groups that must stay together
    n = len(codes)
    parent = np.arange(n)
    pos = pd.Series(np.arange(n), index=codes)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for group in together or []:
        members = [str(c) for c in group]
        missing = [c for c in members if c not in pos.index]
        if missing:
            raise UnknownNameError(
                f"一緒にするグループの市区町村 {missing[0]!r} が表にありません / "
                f"municipality {missing[0]!r} of a keep-together group is not in the table"
                f"{suggest(missing[0], codes)}"
            )
        idx = pos[members].to_numpy()
        sub = adjacency[idx][:, idx]
        if csgraph.connected_components(sub, directed=False)[0] > 1:
            raise RegionlibError(
                f"一緒にするグループ {members} はグラフ上でつながっていません。間をつなぐ市区町村を加えてください / "
                f"the keep-together group {members} is not contiguous on the graph; "
                "add the municipalities that connect them"
            )
        root = find(int(idx[0]))
        for k in idx[1:]:
            parent[find(int(k))] = root
    if blocks is not None:
        for group in _block_groups(blocks, codes, adjacency):
            root = find(int(group[0]))
            for i in group[1:]:
                parent[find(int(i))] = root
    roots = np.array([find(k) for k in range(n)])
    _, node_of = np.unique(roots, return_inverse=True)
    m = int(node_of.max()) + 1
    onehot = sparse.csr_matrix((np.ones(n), (node_of, np.arange(n))), shape=(m, n))
    mass = np.asarray(onehot.sum(axis=1)).ravel()
    xsum = onehot @ x
    qsum = onehot @ (x**2).sum(axis=1)
    node_weight = onehot @ weight
    node_adj = (onehot @ adjacency @ onehot.T).tocsr()
    node_adj.setdiag(0)
    node_adj.eliminate_zeros()
    node_adj.data[:] = 1.0
    core_nodes = []
    for c in cores or []:
        c = str(c)
        if c not in pos.index:
            raise UnknownNameError(
                f"中心 {c!r} は表にありません / core {c!r} is not in the table{suggest(c, codes)}"
            )
        core_nodes.append(int(node_of[pos[c]]))
    if len(set(core_nodes)) < len(core_nodes):
        raise RegionlibError(
            "指定した 2 つの中心が同じ「一緒にするグループ」にあります / "
            "two forced cores are in the same keep-together group"
        )
    return Problem(
        codes=codes,
        node_of=node_of,
        mass=mass,
        xsum=np.asarray(xsum),
        qsum=np.asarray(qsum).ravel(),
        weight=np.asarray(node_weight).ravel(),
        adjacency=node_adj,
        cores=np.array(core_nodes, dtype=np.int64),
        display=pd.Index(codes + " " + gdf["name"].astype(str).to_numpy())
        if "name" in gdf.columns
        else codes,
    )


def _block_groups(
    blocks: pd.Series, codes: pd.Index, adjacency: sparse.csr_matrix
) -> list[np.ndarray]:
    """Positions of the members of each block; refuses a layer that leaves codes uncovered."""
    if not isinstance(blocks, pd.Series):
        raise RegionlibError(
            "blocks は市区町村コードごとのブロック名の Series にしてください / "
            "blocks must be a Series of block label per municipality code"
        )
    blocks = blocks.copy()
    blocks.index = blocks.index.astype(str)
    if blocks.index.has_duplicates:
        raise DataFormatError(
            "ブロックの層に同じ市区町村コードが 2 回出てきます / "
            "a municipality code appears twice in the block layer"
        )
    aligned = blocks.reindex(codes)
    uncovered = codes[aligned.isna().to_numpy()]
    if len(uncovered):
        raise RegionlibError(
            f"ブロックの層では {len(uncovered)} 市区町村にブロックがありません（{codes_text(uncovered)}）。ブロックを与えるか表から外してください / "
            f"the block layer leaves {len(uncovered)} municipalities without a block "
            f"({codes_text(uncovered)}); give them one or leave them out of the table"
        )
    key, _ = pd.factorize(aligned.astype(str))
    order = np.argsort(key, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(key[order])) + 1)
    broken = []
    for group in groups:
        if len(group) > 1:
            sub = adjacency[group][:, group]
            if csgraph.connected_components(sub, directed=False)[0] > 1:
                broken.append(str(aligned.iloc[group[0]]))
    if broken:
        log(
            f"regions: {len(broken)} blocks are not contiguous on the graph "
            f"({', '.join(broken[:10])}); a region containing one may not be contiguous",
            level=logging.WARNING,
            ja=f"{len(broken)}個のブロックが地続きでないため、それを含む圏域は連続しないことがあります",
        )
    return groups


def node_components(problem: Problem) -> np.ndarray:
    return csgraph.connected_components(problem.adjacency, directed=False)[1]


def codes_text(codes: Sequence[str], limit: int = 10) -> str:
    codes = list(codes)
    return ", ".join(codes[:limit]) + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def check_floor_feasible(problem: Problem, floor: float) -> None:
    total = problem.weight.sum()
    if floor > total:
        raise RegionlibError(
            f"下限値 {floor:,.0f} が全市区町村の合計（{total:,.0f}）を超えています。下げてください / "
            f"the floor {floor:,.0f} is above the total of all municipalities ({total:,.0f}); "
            "lower it"
        )
    comp = node_components(problem)
    sums = np.bincount(comp, weights=problem.weight)
    short = np.flatnonzero(sums < floor)
    if len(short):
        parts = []
        for c in short[:5]:
            shown = problem.codes if problem.display is None else problem.display
            members = shown[np.isin(problem.node_of, np.flatnonzero(comp == c))]
            parts.append(f"[{codes_text(members)}] total {sums[c]:,.0f}")
        listed = "; ".join(parts)
        msg = (
            f"グラフの {len(short)} 個の部分は、それだけでは下限値 {floor:,.0f} に届きません: "
            f"{listed}。islands='connect' でグラフを作る（島を最寄りの市区町村につなぎます）か、"
            "都道府県の境を越えることを許すか、下限値を下げてください / "
            f"{len(short)} part(s) of the graph cannot reach the floor {floor:,.0f} on their own: "
            f"{listed}. Build the graph with islands='connect' (links islands to their nearest "
            "municipality), allow crossing prefecture borders, or lower the floor"
        )
        raise RegionlibError(msg)


def ssd(mass: float, xsum: np.ndarray, qsum: float) -> float:
    return float(qsum - xsum @ xsum / mass) if mass > 0 else 0.0


def total_ssd(problem: Problem, labels: np.ndarray) -> float:
    k = int(labels.max()) + 1
    mass = np.bincount(labels, weights=problem.mass, minlength=k)
    q = np.bincount(labels, weights=problem.qsum, minlength=k)
    s = np.zeros((k, problem.xsum.shape[1]))
    np.add.at(s, labels, problem.xsum)
    return float(q.sum() - ((s**2).sum(axis=1) / mass).sum())


def neighbour_lists(adjacency: sparse.csr_matrix) -> list[np.ndarray]:
    indptr, indices = adjacency.indptr, adjacency.indices
    return [indices[indptr[i] : indptr[i + 1]] for i in range(adjacency.shape[0])]
