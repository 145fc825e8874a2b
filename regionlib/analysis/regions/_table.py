"""Describe and name regions: members, population, core (most populous member)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from regionlib._errors import RegionlibError
from regionlib.analysis.regions._problem import codes_text
from regionlib.data import indicators


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


def region_table(
    gdf: pd.DataFrame,
    labels: pd.Series,
    *,
    population: str | None = None,
    names: Mapping[str, str] | None = None,
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
        The core is the most populous member (the first member without population data).
    names
        Optional region number → name overrides.

    Returns
    -------
    pandas.DataFrame
        Index ``region``; columns ``region_name`` (e.g. 「旭川圏」, with the prefecture in front
        when two regions would share a name), ``core`` (code), ``core_name``, ``n_members``,
        ``population``, ``members`` (codes separated by spaces) and ``member_names``.
    """
    missing = labels.index[~labels.index.isin(gdf.index)]
    if len(missing):
        raise RegionlibError(
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
    rows = []
    for region, part in data.groupby("region", sort=True):
        part = part.sort_index()
        core = part["pop"].idxmax() if part["pop"].notna().any() else part.index[0]
        rows.append(
            {
                "region": region,
                "core": core,
                "core_name": part.at[core, "name"],
                "core_prefecture": part.at[core, "prefecture"],
                "n_members": len(part),
                "population": float(part["pop"].sum(min_count=1)),
                "members": " ".join(part.index),
                "member_names": "・".join(part["name"]),
            }
        )
    table = pd.DataFrame(rows).set_index("region")
    base = table["core_name"].map(region_name)
    clash = base.duplicated(keep=False)
    table.insert(0, "region_name", base.where(~clash, table["core_prefecture"] + base))
    if names:
        for region, name in names.items():
            table.loc[int(region), "region_name"] = name
    return table.drop(columns="core_prefecture")
