"""Reference groupings of municipalities to compare proposed regions with, and block layers.

* the 47 prefectures (first two digits of the code, or the ``pref_code`` column);
* the eight 地方区分 (:data:`EIGHT_REGIONS`), the customary division of the prefectures used in
  school atlases and many statistics (北海道, 東北, 関東, 中部, 近畿, 中国, 四国, 九州; 三重県 in
  近畿, 沖縄県 in 九州);
* the 広域地方計画区域 of the national spatial strategy (:data:`NATIONAL_PLAN_AREAS`): the eight
  areas of 国土形成計画法 (Act No. 205 of 1950 as amended in 2005) article 9 and its cabinet
  order (国土形成計画法施行令 article 1), for which the 国土交通省 (MLIT) and the prefectures
  draw up the 広域地方計画: 東北圏 (with 新潟県), 首都圏 (with 山梨県), 北陸圏, 中部圏 (with 長野県
  and 三重県), 近畿圏, 中国圏, 四国圏, 九州圏. 北海道 and 沖縄県 are outside the 広域地方計画
  (they have their own 北海道総合開発計画 and 沖縄振興計画) and are listed here as areas of their
  own, so that every municipality has a label;
* the commuting zones of Adachi, Fukai, Kawaguchi & Saito (RIETI DP, 2020), built by
  hierarchical clustering of census commuting flows: registry datasets
  ``commuting-zones-YYYY-original`` (that year's codes) and ``-harmonized`` (2015 codes).

Each grouping is a label Series on the 5-digit ``code`` index, ready for
:func:`regionlib.evaluate.agreement`. :func:`block_layer` turns a grouping into the blocks that
:func:`regionlib.regions.regionalize` builds regions from (``blocks=``), so that no commuting
zone or prefecture is split.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Literal

import pandas as pd

from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib.data import codes as _codes
from regionlib.data import datasets

__all__ = [
    "BLOCK_LAYERS",
    "EIGHT_REGIONS",
    "NATIONAL_PLAN_AREAS",
    "block_datasets",
    "block_layer",
    "eight_regions",
    "load_commuting_zones",
    "national_plan_areas",
    "prefecture_groups",
    "reference_groupings",
]

#: The eight 地方区分: area name -> 2-digit prefecture codes.
EIGHT_REGIONS: dict[str, tuple[str, ...]] = {
    "北海道": ("01",),
    "東北": ("02", "03", "04", "05", "06", "07"),
    "関東": ("08", "09", "10", "11", "12", "13", "14"),
    "中部": ("15", "16", "17", "18", "19", "20", "21", "22", "23"),
    "近畿": ("24", "25", "26", "27", "28", "29", "30"),
    "中国": ("31", "32", "33", "34", "35"),
    "四国": ("36", "37", "38", "39"),
    "九州": ("40", "41", "42", "43", "44", "45", "46", "47"),
}

#: The 広域地方計画区域 (国土形成計画法施行令 第1条) plus 北海道 and 沖縄: name -> prefecture codes.
NATIONAL_PLAN_AREAS: dict[str, tuple[str, ...]] = {
    "北海道": ("01",),
    # 青森・岩手・宮城・秋田・山形・福島・新潟
    "東北圏": ("02", "03", "04", "05", "06", "07", "15"),
    # 茨城・栃木・群馬・埼玉・千葉・東京・神奈川・山梨
    "首都圏": ("08", "09", "10", "11", "12", "13", "14", "19"),
    # 富山・石川・福井
    "北陸圏": ("16", "17", "18"),
    # 長野・岐阜・静岡・愛知・三重
    "中部圏": ("20", "21", "22", "23", "24"),
    # 滋賀・京都・大阪・兵庫・奈良・和歌山
    "近畿圏": ("25", "26", "27", "28", "29", "30"),
    # 鳥取・島根・岡山・広島・山口
    "中国圏": ("31", "32", "33", "34", "35"),
    # 徳島・香川・愛媛・高知
    "四国圏": ("36", "37", "38", "39"),
    # 福岡・佐賀・長崎・熊本・大分・宮崎・鹿児島
    "九州圏": ("40", "41", "42", "43", "44", "45", "46"),
    "沖縄": ("47",),
}

#: Names of the block layers :func:`block_layer` knows (a CSV file of code,block also works).
BLOCK_LAYERS = ("commuting_zones", "commuting_zones:2020", "commuting_zones:2015", "prefectures")

_YEARS = tuple(range(1980, 2021, 5))


def block_datasets(layer: object) -> list[str]:
    """Return the registry datasets behind a block layer or level name (for the credits).

    Parameters
    ----------
    layer
        A block layer (``"commuting_zones"``, ``"commuting_zones:2015"``, ``"prefectures"``, a
        CSV path, a Series) or a nested level's spec; None gives none.

    Returns
    -------
    list of str
        ``["commuting-zones-2020-original"]`` for the 2020 commuting zones, else ``[]``.
    """
    name = layer if isinstance(layer, str) else ""
    if name in ("commuting_zones", "commuting_zones:2020"):
        return ["commuting-zones-2020-original"]
    if name == "commuting_zones:2015":
        return ["commuting-zones-2015-original"]
    return []


def load_commuting_zones(
    year: int = 2020,
    *,
    codes: Literal["original", "harmonized"] = "original",
) -> pd.Series:
    """Load the commuting zones of one census year.

    Parameters
    ----------
    year
        Census year, 1980–2020 in steps of 5.
    codes
        ``"original"``: that year's municipal codes; ``"harmonized"``: 2015 codes.

    Returns
    -------
    pandas.Series
        Zone number per 5-digit code, named ``commuting_zone``. The 2020 zones cover 1,740
        municipalities in 258 zones (双葉町 07546 is absent).

    Raises
    ------
    RegionlibError
        For a year or code vintage the registry does not hold.
    """
    if int(year) not in _YEARS or codes not in ("original", "harmonized"):
        raise RegionlibError(
            f"year={year!r}, codes={codes!r} の通勤圏はありません。年は {_YEARS[0]}〜{_YEARS[-1]} の 5 年ごと、codes は 'original' か 'harmonized' です / "
            f"no commuting zones for year={year!r}, codes={codes!r}; years are "
            f"{_YEARS[0]}–{_YEARS[-1]} every 5 years, codes 'original' or 'harmonized'"
        )
    return _read_zones(int(year), codes).copy()


@functools.cache  # blocks, references and nested levels all ask for the same file
def _read_zones(year: int, codes: str) -> pd.Series:
    name = f"commuting-zones-{year}-{codes}"
    path = datasets.get_path(name)
    frame = pd.read_csv(path, dtype={"i": "Int64", "cluster": "Int64"})
    if not {"i", "cluster"} <= set(frame.columns):
        raise DataFormatError(
            f"{path.name}: 列 i と cluster が必要です / "
            f"{path.name}: expected columns i and cluster, got {list(frame)}"
        )
    frame = frame.dropna(subset=["i", "cluster"])
    index = pd.Index(frame["i"].astype(int).map(lambda v: f"{v:05d}"), name="code")
    zones = pd.Series(frame["cluster"].astype(int).to_numpy(), index=index, name="commuting_zone")
    if zones.index.has_duplicates:
        raise DataFormatError(
            f"{path.name}: 市区町村コードが重複しています / {path.name}: municipality codes repeat"
        )
    n_zones = zones.nunique()
    log(
        f"references: {len(zones)} municipalities in {n_zones} commuting zones ({year})",
        ja=f"参照区分: {len(zones)} 市区町村が {n_zones} の通勤圏に属します（{year} 年）",
    )
    return zones


def prefecture_groups(gdf: pd.DataFrame | pd.Index) -> pd.Series:
    """Group municipalities by prefecture.

    Parameters
    ----------
    gdf
        A table on the code index (its ``pref_code`` column is used when present) or an index of
        codes (the first two digits are used).

    Returns
    -------
    pandas.Series
        2-digit prefecture code per municipality, named ``prefecture``.
    """
    if isinstance(gdf, pd.DataFrame) and "pref_code" in gdf.columns:
        values = gdf["pref_code"].astype(str).to_numpy()
        index = gdf.index
    else:
        index = gdf.index if isinstance(gdf, pd.DataFrame) else pd.Index(gdf)
        values = index.astype(str).str[:2].to_numpy()
    return pd.Series(values, index=pd.Index(index, name="code"), name="prefecture")


def _by_prefecture(
    gdf: pd.DataFrame | pd.Index, areas: dict[str, tuple[str, ...]], name: str
) -> pd.Series:
    pref = prefecture_groups(gdf)
    area_of = {p: area for area, prefs in areas.items() for p in prefs}
    return pref.map(area_of).rename(name)


def eight_regions(gdf: pd.DataFrame | pd.Index) -> pd.Series:
    """Group municipalities by the eight 地方区分 (:data:`EIGHT_REGIONS`).

    Parameters
    ----------
    gdf
        A table on the code index or an index of codes (as :func:`prefecture_groups`).

    Returns
    -------
    pandas.Series
        Area name (北海道, 東北, …) per code, named ``eight_regions``.
    """
    return _by_prefecture(gdf, EIGHT_REGIONS, "eight_regions")


def national_plan_areas(gdf: pd.DataFrame | pd.Index) -> pd.Series:
    """Group municipalities by the 広域地方計画区域 (:data:`NATIONAL_PLAN_AREAS`).

    Parameters
    ----------
    gdf
        A table on the code index or an index of codes (as :func:`prefecture_groups`).

    Returns
    -------
    pandas.Series
        Area name (東北圏, 首都圏, …, plus 北海道 and 沖縄) per code, named
        ``national_plan_areas``.
    """
    return _by_prefecture(gdf, NATIONAL_PLAN_AREAS, "national_plan_areas")


def _zones_on(index: pd.Index, year: int) -> pd.Series:
    """Commuting zones of ``year`` on ``index``, codes renumbered since the census followed."""
    zones = load_commuting_zones(year)
    stale = zones.index[~zones.index.isin(index)]
    if len(stale):
        update = _codes.update_codes(pd.Series(stale, index=stale))
        renamed = update.codes[update.codes.isin(index) & (update.codes != update.codes.index)]
        if len(renamed):
            moved = zones.loc[renamed.index].set_axis(pd.Index(renamed.to_numpy(), name="code"))
            zones = pd.concat([zones.drop(renamed.index), moved])
            zones = zones[~zones.index.duplicated()]
    return zones[zones.index.isin(index)]


def _fill_from_neighbours(
    blocks: pd.Series, index: pd.Index, adjacency, *, layer: str
) -> pd.Series:
    """Give municipalities without a block the block most of their neighbours are in."""
    values = blocks.reindex(index).to_numpy(dtype=object)
    missing = [i for i, v in enumerate(values) if pd.isna(v)]
    filled = []
    while missing:
        rest = []
        for i in missing:
            nbrs = adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]]
            near = pd.Series([values[j] for j in nbrs]).dropna()
            if near.empty:
                rest.append(i)
                continue
            values[i] = near.value_counts(sort=True).index[0]
            filled.append(index[i])
        if len(rest) == len(missing):
            break
        missing = rest
    if filled:
        log(
            f"{layer}: {len(filled)} municipalities absent from the zone table (no resident "
            f"population at that census) joined the zone of most of their neighbours: "
            f"{', '.join(map(str, filled))}",
            level=logging.WARNING,
            ja=f"通勤圏の表にない {len(filled)} 市区町村（その年の国勢調査で住民がいなかった町）を、"
            "隣り合う市区町村の多くが属する通勤圏に入れました",
        )
    return pd.Series(values, index=index, name=blocks.name)


def block_layer(
    layer: str | Path | pd.Series,
    gdf: pd.DataFrame | pd.Index,
    *,
    adjacency=None,
) -> pd.Series:
    """Return the blocks that regions are built from: one block label per municipality.

    Parameters
    ----------
    layer
        ``"commuting_zones"`` (2020; ``"commuting_zones:2015"`` for 2015), ``"prefectures"``,
        a CSV file with columns ``code`` and ``block``, or a Series of block per code.
    gdf
        The municipalities (a table on the code index, or the codes).
    adjacency
        Contiguity matrix on ``gdf``'s order (:func:`regionlib.graph.adjacency_matrix`). With
        it, a municipality the commuting-zone table leaves out because it had no resident
        population at that census (双葉町 07546 in 2020; 富岡町, 大熊町, 双葉町, 浪江町 in 2015)
        joins the zone of most of its neighbours, with a warning naming it.

    Returns
    -------
    pandas.Series
        Block label (string) per code, named ``block``. ``attrs["reference"]`` names it as a
        reference grouping (``"commuting_zone_2020"``, ``"commuting_zone_2015"``,
        ``"prefecture"``, or ``"blocks"`` for the user's own), so an evaluation can count the
        blocks split.

    Raises
    ------
    RegionlibError
        An unknown layer name, or a layer that leaves municipalities without a block (listed).
    """
    index = gdf.index if isinstance(gdf, pd.DataFrame) else pd.Index(gdf)
    index = pd.Index(index.astype(str), name="code")
    name = layer if isinstance(layer, str) else None
    reference = "blocks"
    if isinstance(layer, pd.Series):
        blocks = layer.copy()
        blocks.index = blocks.index.astype(str)
        source = "the block layer"
    elif name in ("commuting_zones", "commuting_zones:2020", "commuting_zones:2015"):
        year = 2015 if name.endswith("2015") else 2020
        blocks = _zones_on(index, year).astype(str)
        source = f"the {year} commuting zones"
        reference = f"commuting_zone_{year}"
        if adjacency is not None:
            blocks = _fill_from_neighbours(blocks, index, adjacency, layer=source)
    elif name == "prefectures":
        blocks = prefecture_groups(gdf)
        source = "the prefectures"
        reference = "prefecture"
    elif isinstance(layer, Path) or str(layer).lower().endswith(".csv"):
        from regionlib.data import _userfile

        path = Path(layer)

        def header(columns: list[str]) -> None:
            if not {"code", "block"} <= set(columns):
                msg = (
                    f"{path}: 列 code, block がありません / expected columns code and block, "
                    f"got {columns[:10]}"
                )
                raise DataFormatError(msg)

        frame = _userfile.read_user_file(path, what="block file", header=header)
        frame["code"] = _codes.normalize_codes(frame["code"], source=str(path)).to_numpy()
        if frame["code"].duplicated().any():
            dup = frame.loc[frame["code"].duplicated(), "code"].iloc[0]
            raise DataFormatError(
                f"{path}: コード {dup} が 2 回出てきます / {path}: code {dup} appears twice"
            )
        blocks = frame.set_index("code")["block"]
        source = str(path)
    else:
        raise UnknownNameError(
            f"ブロックの層 {layer!r} はありません。commuting_zones, commuting_zones:2015, prefectures か code,block の CSV を指定してください / "
            f"unknown block layer {layer!r}{suggest(str(layer), BLOCK_LAYERS)}; "
            "use commuting_zones, commuting_zones:2015, prefectures or a CSV of code,block"
        )
    blocks = blocks.reindex(index)
    uncovered = index[blocks.isna().to_numpy()]
    if len(uncovered):
        shown = ", ".join(map(str, uncovered[:10])) + (" …" if len(uncovered) > 10 else "")
        raise RegionlibError(
            f"{source} では {len(uncovered)} 市区町村にブロックがありません（{shown}）。ブロックを与えるか表から外してください / "
            f"{source} leaves {len(uncovered)} municipalities without a block ({shown}); "
            "give them one or leave them out of the table"
        )
    blocks = blocks.astype(str).rename("block")
    blocks.attrs["reference"] = reference
    blocks.attrs["datasets"] = block_datasets(layer)
    return blocks


def reference_groupings(gdf: pd.DataFrame | pd.Index) -> dict[str, pd.Series]:
    """Return the standard reference groupings for the given municipalities.

    Parameters
    ----------
    gdf
        A table on the code index, or the codes.

    Returns
    -------
    dict of str to pandas.Series
        ``"prefecture"``, ``"eight_regions"``, ``"national_plan_areas"`` and
        ``"commuting_zone_2020"`` label Series restricted to those codes; a grouping that covers
        fewer than two of the codes is left out (and logged).
    """
    index = gdf.index if isinstance(gdf, pd.DataFrame) else pd.Index(gdf)
    zones = load_commuting_zones(2020)
    found = {
        "prefecture": prefecture_groups(gdf),
        "eight_regions": eight_regions(gdf).dropna(),
        "national_plan_areas": national_plan_areas(gdf).dropna(),
        "commuting_zone_2020": zones[zones.index.isin(index)],
    }
    out = {}
    for name, labels in found.items():
        if len(labels) < 2:  # e.g. synthetic codes: nothing to compare with
            log(
                f"reference grouping {name!r} covers {len(labels)} of {len(index)} codes: left out",
                ja=f"参照区分 {name!r} は {len(index)} コードのうち {len(labels)} しか含まないため外しました",
            )
            continue
        out[name] = labels
    return out
