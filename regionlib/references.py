"""Reference groupings of municipalities to compare proposed regions with.

* the 47 prefectures (first two digits of the code, or the ``pref_code`` column);
* the commuting zones of Adachi, Fukai, Kawaguchi & Saito (RIETI DP, 2020), built by
  hierarchical clustering of census commuting flows: registry datasets
  ``commuting-zones-YYYY-original`` (that year's codes) and ``-harmonized`` (2015 codes).

Each grouping is a label Series on the 5-digit ``code`` index, ready for
:func:`regionlib.evaluate.agreement`.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from regionlib import datasets
from regionlib._errors import DataFormatError, RegionlibError
from regionlib._log import log

__all__ = ["load_commuting_zones", "prefecture_groups", "reference_groupings"]

_YEARS = tuple(range(1980, 2021, 5))


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
            f"no commuting zones for year={year!r}, codes={codes!r}; years are "
            f"{_YEARS[0]}–{_YEARS[-1]} every 5 years, codes 'original' or 'harmonized'"
        )
    name = f"commuting-zones-{int(year)}-{codes}"
    path = datasets.get_path(name)
    frame = pd.read_csv(path, dtype={"i": "Int64", "cluster": "Int64"})
    if not {"i", "cluster"} <= set(frame.columns):
        raise DataFormatError(f"{path.name}: expected columns i and cluster, got {list(frame)}")
    frame = frame.dropna(subset=["i", "cluster"])
    index = pd.Index(frame["i"].astype(int).map(lambda v: f"{v:05d}"), name="code")
    zones = pd.Series(frame["cluster"].astype(int).to_numpy(), index=index, name="commuting_zone")
    if zones.index.has_duplicates:
        raise DataFormatError(f"{path.name}: municipality codes repeat")
    log(f"references: {len(zones)} municipalities in {zones.nunique()} commuting zones ({year})")
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


def reference_groupings(gdf: pd.DataFrame | pd.Index) -> dict[str, pd.Series]:
    """Return the standard reference groupings for the given municipalities.

    Parameters
    ----------
    gdf
        A table on the code index, or the codes.

    Returns
    -------
    dict of str to pandas.Series
        ``"prefecture"`` and ``"commuting_zone_2020"`` label Series restricted to those codes;
        a grouping that covers fewer than two of the codes is left out (and logged).
    """
    index = gdf.index if isinstance(gdf, pd.DataFrame) else pd.Index(gdf)
    zones = load_commuting_zones(2020)
    found = {
        "prefecture": prefecture_groups(gdf),
        "commuting_zone_2020": zones[zones.index.isin(index)],
    }
    out = {}
    for name, labels in found.items():
        if len(labels) < 2:  # e.g. synthetic codes: nothing to compare with
            log(f"reference grouping {name!r} covers {len(labels)} of {len(index)} codes: left out")
            continue
        out[name] = labels
    return out
