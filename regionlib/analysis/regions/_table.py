"""Describe and name regions: members, population, core (most populous member)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from regionlib._errors import RegionlibError
from regionlib.analysis.regions._problem import codes_text
from regionlib.data import indicators
from regionlib.data.codes import SPECIAL_WARDS


def region_name(core_name: str) -> str:
    """Name a region after its core municipality: 旭川市 → 旭川圏, 津市 → 津市圏.

    The final 市, 町, 村 or 区 is dropped when at least two characters remain, then 圏 is added.

    Parameters
    ----------
    core_name
        Name of the core municipality.

    Returns
    -------
    str
        The region name.
    """
    name = str(core_name).strip()
    if len(name) >= 3 and name[-1] in "市町村区":
        name = name[:-1]
    return f"{name}圏"


#: the name of the 23 wards counted as one: 「東京圏」, core 「東京都区部」
WARDS_SHORT, WARDS_NAME = "東京", "東京都区部"


def _short(name: str) -> str:
    """Return a town's name without 圏: 旭川市 → 旭川, 津市 → 津市 (as :func:`region_name`)."""
    return region_name(name)[:-1]


def town_units(labels: pd.Series, names: pd.Series, population: pd.Series) -> pd.DataFrame:
    """Return the towns of each region, largest first, with the 23 special wards counted as one.

    Parameters
    ----------
    labels
        Region per code.
    names, population
        Name and population per code (population may be NaN).

    Returns
    -------
    pandas.DataFrame
        One row per town of a region: ``region``, ``unit`` (a code, or ``"131"`` for the wards
        together), ``short`` (旭川, 東京), ``unit_name`` (旭川市, 東京都区部), ``population``
        (the wards summed), ``core`` (the most populous code of the town), ``members`` (its
        codes), sorted by region and falling population.
    """
    data = pd.DataFrame(
        {
            "region": labels.to_numpy(),
            "name": names.reindex(labels.index).astype(str).to_numpy(),
            "pop": pd.to_numeric(population.reindex(labels.index), errors="coerce").to_numpy(),
        },
        index=labels.index.astype(str),
    )
    data = data[data["region"].notna()].sort_index()
    wards = data.index.isin(SPECIAL_WARDS)
    # every municipality is a town of its own, except the wards: one town per region
    single = data[~wards]
    frames = [
        pd.DataFrame(
            {
                "region": single["region"].to_numpy(),
                "unit": single.index.to_numpy(),
                "short": [_short(n) for n in single["name"]],
                "unit_name": single["name"].to_numpy(),
                "population": single["pop"].to_numpy(dtype=float),
                "core": single.index.to_numpy(),
                "members": [[c] for c in single.index],
            }
        )
    ]
    # wards split among regions: a region with more than half of the wards' people keeps
    # 東京, the others are named after their largest ward (two 「東京圏」 could never be told
    # apart, and one ward is not 東京)
    ward_pop = data[wards].groupby("region", sort=True)["pop"].sum()
    tokyo = None
    if len(ward_pop) == 1 or (len(ward_pop) and ward_pop.max() > ward_pop.sum() / 2):
        tokyo = ward_pop.idxmax()
    for region, part in data[wards].groupby("region", sort=True):
        core = part["pop"].idxmax() if part["pop"].notna().any() else part.index[0]
        whole = region == tokyo
        row = {
            "region": [region],
            "unit": ["131"],
            "short": [WARDS_SHORT if whole else _short(part.at[core, "name"])],
            "unit_name": [WARDS_NAME if whole else part.at[core, "name"]],
            "population": [float(part["pop"].sum(min_count=1))],
            "core": [core],
            "members": [list(part.index)],
        }
        frames.append(pd.DataFrame(row))
    if data.empty:
        return pd.DataFrame()
    units = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    units["_p"] = units["population"].fillna(-1.0)
    units = units.sort_values(
        ["region", "_p", "core"], ascending=[True, False, True], kind="stable"
    )
    return units.drop(columns="_p").reset_index(drop=True)


def _unique_names(
    towns: Mapping[object, list[str]],
    prefecture: Mapping[object, str],
    members: Mapping[object, frozenset],
    taken: Mapping[str, frozenset] | None,
) -> dict:
    """Name each region 「core圏」, adding its next towns where two regions would share a name.

    A name is also clashing when ``taken`` (names of other levels) holds it for a region with
    other members. Past its towns, a region gets its prefecture in front, then a number.
    """
    taken = dict(taken or {})
    step = dict.fromkeys(towns, 1)

    def candidate(region, k: int) -> str:
        t = towns[region]
        if k <= len(t):
            return "・".join(t[:k]) + "圏"
        extra = k - len(t)
        base = prefecture.get(region, "") + t[0] + "圏"
        return base if extra == 1 else f"{base}{extra}"

    for _ in range(50):
        names = {r: candidate(r, step[r]) for r in towns}
        by_name: dict[str, list] = {}
        for r, n in names.items():
            by_name.setdefault(n, []).append(r)
        clash = set()
        for n, regions in by_name.items():
            if len(regions) > 1 or (n in taken and taken[n] != members[regions[0]]):
                clash.update(regions)
        if not clash:
            return names
        for r in clash:
            step[r] += 1
    # regions whose towns and prefecture never tell them apart: only they are numbered
    for i, r in enumerate(sorted(clash, key=str)):
        names[r] = f"{candidate(r, 1)[:-1]}{i + 1}圏"
    return names


def region_table(
    gdf: pd.DataFrame,
    labels: pd.Series,
    *,
    population: str | None = None,
    names: Mapping[str, str] | None = None,
    taken: Mapping[str, frozenset] | None = None,
) -> pd.DataFrame:
    """Describe each region: name, core, members and population.

    Parameters
    ----------
    gdf
        Municipalities on the code index with a ``name`` column and a population column.
    labels
        Region per code, as returned by :func:`regionalize`.
    population
        Population column; default the first of ``population``, ``population_2020`` present.
        The core is the most populous town, the 23 special wards counted as one town (東京);
        the first member when there is no population data.
    names
        Optional region number → name overrides.
    taken
        Names already given to other regions (another level of a nested proposal) → their
        member codes; a region with other members never gets one of them.

    Returns
    -------
    pandas.DataFrame
        Index ``region``; columns ``region_name`` (「旭川圏」, 「東京圏」; where two regions
        would share a name, the next largest town is added: 「札幌・小樽圏」), ``core`` (the
        most populous code of the core town), ``core_name`` (旭川市, 東京都区部),
        ``n_members``, ``population``, ``members`` (codes separated by spaces) and
        ``member_names``.
    """
    missing = labels.index[~labels.index.isin(gdf.index)]
    if len(missing):
        raise RegionlibError(
            f"ラベルの付いたコードのうち {len(missing)} 個が表にありません（{codes_text(missing)}） / "
            f"{len(missing)} labelled codes are not in the table ({codes_text(missing)})"
        )
    pop_col = indicators.population_column(gdf, population)
    data = pd.DataFrame({"region": labels})
    data["name"] = gdf.loc[labels.index, "name"].astype(str) if "name" in gdf else labels.index
    data["prefecture"] = (
        gdf.loc[labels.index, "prefecture"].astype(str) if "prefecture" in gdf else ""
    )
    data["pop"] = (
        pd.to_numeric(gdf.loc[labels.index, pop_col], errors="coerce") if pop_col else np.nan
    )
    units = town_units(labels, data["name"], data["pop"])
    first = units.groupby("region", sort=True).head(1).set_index("region")
    rows = []
    for region, part in data.groupby("region", sort=True):
        part = part.sort_index()
        core = first.at[region, "core"]
        rows.append(
            {
                "region": region,
                "core": core,
                "core_name": first.at[region, "unit_name"],
                "core_prefecture": part.at[core, "prefecture"],
                "n_members": len(part),
                "population": float(part["pop"].sum(min_count=1)),
                "members": " ".join(part.index),
                "member_names": "・".join(part["name"]),
            }
        )
    table = pd.DataFrame(rows).set_index("region")
    towns = {r: list(p["short"]) for r, p in units.groupby("region", sort=True)}
    members = {r: frozenset(table.at[r, "members"].split()) for r in table.index}
    named = _unique_names(towns, table["core_prefecture"].to_dict(), members, taken)
    table.insert(0, "region_name", pd.Series(named).reindex(table.index))
    if names:
        for region, name in names.items():
            table.loc[int(region), "region_name"] = name
    return table.drop(columns="core_prefecture")
