"""Cache of derived products (dissolved boundaries, joined tables) as (Geo)Parquet.

Files live in ``settings.cache_folder / "derived"``, named ``KIND-KEY.parquet``. The key is a
hash of the sha256 of every input file, the parameters of the function that built the product
and :data:`FORMAT_VERSION`, so a changed input, parameter or format never serves a stale
product. Writes go to a temporary file renamed into place, so concurrent processes never read a
half-written file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from regionlib import settings
from regionlib._log import log, logger

#: Bump when the layout of a cached product changes.
FORMAT_VERSION = 1


def folder() -> Path:
    """Return the folder holding derived products."""
    return Path(settings.cache_folder) / "derived"


def file_sha256(path: str | os.PathLike) -> str:
    """Return the sha256 of a file (for inputs that are not registry entries)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_key(kind: str, input_hashes: Iterable[str], params: dict) -> str:
    """Return the cache key of a product built by ``kind`` from inputs with ``params``."""
    payload = json.dumps(
        {
            "kind": kind,
            "inputs": sorted(input_hashes),
            "params": params,
            "format": FORMAT_VERSION,
        },
        sort_keys=True,
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def path_for(kind: str, key: str) -> Path:
    """Return the file a product is stored in."""
    return folder() / f"{kind}-{key}.parquet"


def cached(
    kind: str,
    input_hashes: Iterable[str],
    params: dict,
    build: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    """Return the product ``kind`` for these inputs and parameters, building it on a miss.

    Parameters
    ----------
    kind
        Name of the product (``boundaries``, ``table`` …), used in the file name.
    input_hashes
        sha256 of every input file.
    params
        Parameters of the build (JSON-serialisable).
    build
        Function building the product: a GeoDataFrame (stored as GeoParquet) or DataFrame.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The product; a fresh object on each call (callers may modify it).
    """
    key = make_key(kind, input_hashes, params)
    path = path_for(kind, key)
    notes = path.with_suffix(".log")
    if path.is_file():
        try:
            product = _read(path)
        except Exception as exc:  # a corrupt cache file is rebuilt, never fatal
            log(f"derived cache file {path.name} unreadable ({type(exc).__name__}); rebuilding")
        else:
            # what the build logged (rows left out, repairs) is repeated on every load
            if notes.is_file():
                for line in notes.read_text(encoding="utf-8").splitlines():
                    log(f"{line} [cached]")
            return product
    records: list[str] = []
    handler = _Collect(records)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(min(logger.getEffectiveLevel(), logging.DEBUG))  # so records reach us
    try:
        product = build()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    _write_text("\n".join(records), notes)
    _write(product, path)
    return product


class _Collect(logging.Handler):
    """Collect the messages logged while a product is built."""

    def __init__(self, records: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def _write_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _read(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    if b"geo" in metadata:
        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def _write(product: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    os.close(fd)
    try:
        product.to_parquet(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def clear(kind: str | None = None) -> int:
    """Delete cached products (of one ``kind``, or all); return how many files were removed."""
    pattern = f"{kind}-*.parquet" if kind else "*.parquet"
    removed = 0
    for path in folder().glob(pattern):
        path.unlink(missing_ok=True)
        path.with_suffix(".log").unlink(missing_ok=True)
        removed += 1
    return removed
