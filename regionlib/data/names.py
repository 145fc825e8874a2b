"""The current municipalities' names and codes, read from the attributes of the N03 layers.

This is the list every name is resolved against (:func:`regionlib.codes.resolve_municipality`)
and the one place that knows which N03 codes are not municipalities with statistics
(北方領土). It reads no geometry, so that codes and boundaries can both use it without
importing each other.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import pandas as pd

from regionlib.data import datasets

__all__ = ["NORTHERN_TERRITORIES", "input_hashes", "load_names", "quiet_gdal"]

#: Codes of the six 北方領土 villages: boundaries in N03, no statistics anywhere.
NORTHERN_TERRITORIES = ("01695", "01696", "01697", "01698", "01699", "01700")


@contextlib.contextmanager
def quiet_gdal() -> Iterator[None]:
    """Silence GDAL's RuntimeWarnings about encodings and field widths while reading."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyogrio")
        yield


def load_names() -> pd.DataFrame:
    """Return the names of every municipality and designated-city ward (no geometry).

    Used by :func:`regionlib.codes.resolve_municipality`. Read from the attributes of the
    national 1 % N03 layers.

    Returns
    -------
    pandas.DataFrame
        Index ``code``; columns ``pref_code``, ``prefecture``, ``county`` (郡, or the
        designated city of a ward, else empty), ``name`` (wards as ``札幌市中央区``), ``level``
        (``"municipality"`` or ``"ward"``). 北方領土 and 所属未定地 are left out.
    """
    from regionlib.data import _cache

    # kept in the derived cache: reading the two layers' attributes costs every command that
    # resolves a name a quarter of a second
    return _cache.cached("names", input_hashes(), {}, _read_names)


def input_hashes() -> list[str]:
    """Return the cache inputs of :func:`load_names`: the layers' sha256 and this module's.

    Returns
    -------
    list of str
        Hashes for :func:`regionlib.data._cache.cached`.
    """
    from regionlib.data import _cache

    return [*(datasets.info(name).sha256 for _, name in _SOURCES), _cache.file_sha256(__file__)]


_SOURCES = (("municipality", "n03-national-s0010-topo"), ("ward", "n03-national-wards-s0010-topo"))


def _read_names() -> pd.DataFrame:
    import pyogrio  # only when the names are read, not when the cache has them

    frames = []
    for level, name in _SOURCES:
        with quiet_gdal():
            raw = pyogrio.read_dataframe(datasets.get_path(name), read_geometry=False)
        raw = raw.dropna(subset=["N03_007"])
        code = raw["N03_007"].astype("str")
        county = raw["N03_003"].fillna("").astype("str")
        muni = raw["N03_004"].astype("str")
        if level == "ward":
            keep = county.str.endswith("市") & muni.str.endswith("区")
            muni, county, code, raw = muni[keep], county[keep], code[keep], raw[keep]
            muni = county + muni
        else:
            muni = muni.mask(raw["N03_004"].isna(), county)
            county = county.mask(raw["N03_004"].isna(), "")
        frame = pd.DataFrame(
            {
                "code": code.to_numpy(),
                "pref_code": code.str[:2].to_numpy(),
                "prefecture": raw["N03_001"].astype("str").to_numpy(),
                "county": county.to_numpy(),
                "name": muni.to_numpy(),
                "level": level,
            }
        )
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True).drop_duplicates("code")
    out = out[~out["code"].isin(NORTHERN_TERRITORIES)]
    return out.set_index("code").sort_index()
