"""Cache of derived products (dissolved boundaries, joined tables) as (Geo)Parquet.

Files live in ``settings.cache_folder / "derived"``, named ``KIND-KEY.parquet``. The key is a
hash of the sha256 of every input file, the parameters of the function that built the product
and :data:`FORMAT_VERSION`, so a changed input, parameter or format never serves a stale
product. Files are written as every regionlib output is (:func:`regionlib._write.atomic_path`):
to a temporary file renamed into place, so concurrent processes never read a half-written file.

Beside each product, ``KIND-KEY.json`` holds the product's sha256 and what its build logged
(rows left out, repairs), repeated on every load. The rule for both files is one: anything
unreadable, unparsable or failing its checksum means "rebuild", said as an information line,
never an error. A cache that cannot be written (read-only, disk full) still returns the product,
with one warning. Temporary files left by killed processes (their names carry the process id)
are removed by the next run and by :func:`clear`. Reading a product touches its side file; a
product neither built nor read for :data:`UNUSED_AFTER` (60 days: those of an older regionlib or
of data since updated) is removed when another is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from regionlib import settings
from regionlib._errors import OutputError
from regionlib._log import log, logger
from regionlib._write import TEMP_TAG, atomic_path, sweep_temporary, temp_owner, write_text

if TYPE_CHECKING:
    import pandas as pd

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


def content_hash(*parts: object) -> str:
    """Return a hash of in-memory inputs, the key of products built from them.

    The one way regionlib hashes what is not a file: labels, feature matrices, a problem's
    arrays, the user's own data. Each part is hashed with its kind and length, so that
    ``("ab", "c")`` and ``("a", "bc")`` differ.

    Parameters
    ----------
    *parts
        numpy arrays (dtype, shape and bytes), pandas Series, DataFrames and Indexes (their
        values and index, and a DataFrame's column names), ``str`` and ``bytes`` as they are,
        anything else as sorted JSON.

    Returns
    -------
    str
        Hex sha256.
    """
    import numpy as np
    import pandas as pd

    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            array = np.ascontiguousarray(part)
            head, body = f"ndarray {array.dtype} {array.shape}", array.tobytes()
        elif isinstance(part, pd.DataFrame | pd.Series | pd.Index):
            names = list(map(str, part.columns)) if isinstance(part, pd.DataFrame) else part.name
            hashed = pd.util.hash_pandas_object(part, index=not isinstance(part, pd.Index))
            head, body = f"{type(part).__name__} {names}", hashed.to_numpy().tobytes()
        elif isinstance(part, bytes):
            head, body = "bytes", part
        elif isinstance(part, str):
            head, body = "str", part.encode("utf-8", "surrogatepass")
        else:
            head, body = "json", json.dumps(part, sort_keys=True, default=str).encode()
        digest.update(f"{head} {len(body)}\x1f".encode())
        digest.update(body)
    return digest.hexdigest()


def geometry_hash(frame: pd.DataFrame, columns: Iterable[str] = ()) -> str:
    """Return a hash of a GeoDataFrame's codes, every coordinate and the given columns.

    The key of products derived from geometry (display shapes, label points, map frames):
    a moved vertex, a changed code or a changed value of ``columns`` gives another key.
    Hashing the 210,000 vertices of the national layer takes about 6 ms.
    """
    import numpy as np
    import shapely

    geoms = frame.geometry.to_numpy()
    digest = hashlib.sha256("\x1f".join(frame.index.astype(str)).encode())
    digest.update(np.asarray(shapely.get_num_coordinates(geoms), dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(shapely.get_coordinates(geoms)).tobytes())
    for column in columns:
        # str() of every value: astype(str) keeps missing values as NaN in pandas' string dtype
        digest.update("\x1f".join(map(str, frame[column].tolist())).encode())
    return digest.hexdigest()


def shape_inputs(
    frame: pd.DataFrame, columns: Iterable[str], code_files: Iterable[str | os.PathLike]
) -> list[str]:
    """Return the cache inputs of a product derived from a frame's shapes.

    They are :func:`geometry_hash` of ``frame`` and ``columns`` and the sha256 of every
    code file that builds the product, so an edited module never serves a stale product.
    """
    return [geometry_hash(frame, columns), *(file_sha256(path) for path in code_files)]


def cached_json(kind: str, input_hashes: Iterable[str], params: dict, build: Callable[[], object]):
    """Return a JSON-serialisable product, built on a miss and kept as :func:`cached` keeps tables.

    Parameters
    ----------
    kind, input_hashes, params
        As for :func:`cached`.
    build
        Function returning the product (dicts, lists, strings and numbers).

    Returns
    -------
    object
        The product as JSON gives it back (tuples become lists).
    """
    text = _cached_cell(
        kind, input_hashes, params, lambda: json.dumps(build(), ensure_ascii=False), "json"
    )
    return json.loads(text)


def cached_bytes(kind: str, input_hashes: Iterable[str], params: dict, build: Callable[[], bytes]):
    """Return a product that is bytes (a written file), built on a miss, kept as :func:`cached`.

    Parameters
    ----------
    kind, input_hashes, params
        As for :func:`cached`.
    build
        Function returning the bytes.

    Returns
    -------
    bytes
        The product.
    """
    return bytes(_cached_cell(kind, input_hashes, params, lambda: bytes(build()), "bytes"))


def _cached_cell(kind: str, input_hashes, params: dict, build: Callable, column: str):
    """Keep one value (text or bytes) as a one-cell table through :func:`cached`."""
    import pandas as pd

    def frame() -> pd.DataFrame:
        return pd.DataFrame({column: pd.Series([build()], dtype=object)})

    return cached(kind, input_hashes, params, frame)[column].iloc[0]


def path_for(kind: str, key: str) -> Path:
    """Return the file a product is stored in."""
    return folder() / f"{kind}-{key}.parquet"


#: ending of the temporary files older versions left in the cache (now :data:`TEMP_TAG` names)
TEMP_SUFFIX = ".tmp"
#: a temporary file older than this (seconds) belongs to a process that was killed
STALE_AFTER = 3600.0
#: a product not read for this long (seconds; 60 days) is removed when another is stored: the
#: products of an older regionlib or of data since updated are never read again, and each
#: version would otherwise leave some 100-200 MB behind
UNUSED_AFTER = 60 * 86400.0
_swept = False


def cached(
    kind: str,
    input_hashes: Iterable[str],
    params: dict,
    build: Callable[[], pd.DataFrame],
    *,
    geometry: bool = True,
    replay: bool = True,
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
    geometry
        False: a cached GeoParquet product is read without its geometry column, as a
        DataFrame (quicker: no geometry parsing, no geopandas import). A product just built
        is returned as built.
    replay
        Repeat what the build logged on every load (the default: rows left out stay said).
        False for a product whose build notes describe the build only (the catalogue's
        reading of every source's headers), not the data a later command uses.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The product; a fresh object on each call (callers may modify it). A corrupt cache entry
        is rebuilt; a cache that cannot be written only costs the rebuild next time.
    """
    key = make_key(kind, input_hashes, params)
    path = path_for(kind, key)
    loaded = _load(path, geometry=geometry)
    if loaded is not None:
        product, records = loaded
        if replay:
            _replay(records)
        return product
    records: list[tuple[int, str, str | None]] = []
    handler = _Collect(records)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(min(logger.getEffectiveLevel(), logging.DEBUG))  # so records reach us
    try:
        product = build()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    _store(product, path, records)
    return product


def _replay(records: list[tuple[int, str, str | None]]) -> None:
    """Say again what a product's build logged, on a load from the cache.

    An information line (-v) says it comes from the cache; a warning reads as it did when the
    product was built, since it is as true now.
    """
    for level, message, ja in records:
        cached_line = level < logging.WARNING and not message.endswith("[cached]")
        log(f"{message} [cached]" if cached_line else message, level, ja=ja)


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _load(
    path: Path, *, geometry: bool = True
) -> tuple[pd.DataFrame, list[tuple[int, str, str | None]]] | None:
    """Return the product and its records, or None when missing or corrupt (said as info)."""
    if not path.is_file():
        return None
    try:
        meta = json.loads(_meta_path(path).read_bytes().decode("utf-8"))
        data = path.read_bytes()  # read once: the bytes verified are the bytes loaded
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise ValueError("checksum mismatch")
        records = [
            (int(r[0]), str(r[1]), r[2] if isinstance(r[2], str) else None) for r in meta["records"]
        ]
        product = _read(data, geometry=geometry)
        with contextlib.suppress(OSError):  # last use: products unused for long are removed
            os.utime(_meta_path(path))
    except Exception as exc:  # anything wrong with either file: rebuild, never fatal
        reason = "missing checksum" if isinstance(exc, FileNotFoundError) else type(exc).__name__
        log(
            f"derived cache file {path.name} unusable ({reason}: {exc}); rebuilding",
            ja=f"キャッシュ {path.name} が使えないため作り直します（{reason}: {exc}）",
        )
        return None
    return product, records


def _store(product: pd.DataFrame, path: Path, records: list) -> None:
    """Write the product and its side file; on a cache that cannot be written, warn once."""
    try:
        _sweep(path.parent)
        _write(product, path)
        meta = {"sha256": file_sha256(path), "records": records}
        write_text(_meta_path(path), json.dumps(meta, ensure_ascii=False), what="cache file")
    except (OSError, OutputError) as exc:
        cause = exc.__cause__ if isinstance(exc, OutputError) else exc
        reason = getattr(cause, "strerror", None) or exc
        log(
            f"cache folder {path.parent} cannot be written ({reason}); results "
            "are computed but not kept, so the next run rebuilds them",
            level=logging.WARNING,
            ja="キャッシュに書き込めないため、結果を保存できません（次回も計算し直します）",
        )


class _Collect(logging.Handler):
    """Collect the records logged while a product is built."""

    def __init__(self, records: list) -> None:
        super().__init__(level=logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage(), getattr(record, "ja", None)))


def _read(data: bytes, *, geometry: bool = True) -> pd.DataFrame:
    """Load a product from the bytes of its (Geo)Parquet file."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(pa.BufferReader(data))
    metadata = schema.metadata or {}
    if b"geo" not in metadata:
        return pd.read_parquet(pa.BufferReader(data))
    if geometry:
        import geopandas as gpd

        return gpd.read_parquet(pa.BufferReader(data))
    skip = set(json.loads(metadata[b"geo"])["columns"])
    columns = [c for c in schema.names if c not in skip and not c.startswith("__index_level_")]
    return pd.read_parquet(pa.BufferReader(data), columns=columns)


def _write(product: pd.DataFrame, path: Path) -> None:
    with atomic_path(path, what="cache file") as tmp:
        product.to_parquet(tmp)


def _sweep(where: Path, *, older_than: float = STALE_AFTER) -> int:
    """Remove temporary files of killed processes (once per process unless ``older_than`` 0).

    Names that carry a process id are removed when that process no longer runs
    (:func:`regionlib._write.sweep_temporary`); names of older versions, without one, when
    they are older than ``older_than`` seconds.
    """
    global _swept
    if _swept and older_than > 0:
        return 0
    _swept = True
    removed = sweep_temporary(where)
    now = time.time()
    strays = (
        [*where.glob(f"*{TEMP_TAG}*"), *where.glob(f"*{TEMP_SUFFIX}")] if where.is_dir() else []
    )
    for tmp in strays:
        if temp_owner(tmp.name) is not None:
            continue  # a running process's file: sweep_temporary decided
        try:
            if now - tmp.stat().st_mtime >= older_than:
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    _prune_unused(where, now)
    return removed


def _prune_unused(where: Path, now: float) -> int:
    """Remove the products whose side file was last touched (built or read) long ago.

    Returns how many products were removed. A product read by another process meanwhile is
    only rebuilt by it (a missing file is a cache miss), never an error.
    """
    removed = 0
    for meta in where.glob("*.json") if where.is_dir() else []:
        if TEMP_TAG in meta.name:
            continue
        try:
            if now - meta.stat().st_mtime < UNUSED_AFTER:
                continue
            meta.with_suffix(".parquet").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            removed += 1
        except OSError:
            continue
    if removed:
        log(
            f"derived cache: removed {removed} products unused for {UNUSED_AFTER / 86400:.0f} days",
            ja=f"キャッシュ: {UNUSED_AFTER / 86400:.0f} 日使われていない {removed} 件を消しました",
        )
    return removed


def clear(kind: str | None = None) -> int:
    """Delete cached products (of one ``kind``, or all) and stray temporary files.

    Parameters
    ----------
    kind
        Product name; default every product.

    Returns
    -------
    int
        How many products were removed (temporary files are not counted).
    """
    pattern = f"{kind}-*.parquet" if kind else "*.parquet"
    removed = 0
    for path in folder().glob(pattern):
        if TEMP_TAG in path.name:  # a temporary file, removed below
            continue
        path.unlink(missing_ok=True)
        _meta_path(path).unlink(missing_ok=True)
        path.with_suffix(".log").unlink(missing_ok=True)  # side file of older versions
        removed += 1
    if kind is None:
        for side in [*folder().glob("*.json"), *folder().glob("*.log")]:
            side.unlink(missing_ok=True)
        _sweep(folder(), older_than=0)
    return removed
