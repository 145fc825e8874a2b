"""The data registry: every file regionlib uses, downloaded once, verified, and cached.

Each registry entry (``regionlib/registry.json``) names one file by its canonical, pinned URL,
with its sha256, size, licence, credit line, vintage and format. :func:`get_path` downloads a
file through pooch into ``settings.cache_folder / "downloads"``, checks its hash and returns the
local path; a second call is served from the cache. A cached file that fails its hash check is
downloaded again; a download that fails its hash check is discarded, never left in the cache.

Offline use: set ``settings.mirror`` (environment variable ``REGIONLIB_MIRROR``) to a base URL or
folder that replaces ``https://raw.githubusercontent.com/`` in every registry URL, for example
``file:///srv/regionlib-mirror/github/``. The same download-and-verify path then reads the
local copy.

Examples
--------
>>> from regionlib import datasets
>>> datasets.info("ssdse-a-2026").credit
'独立行政法人統計センター SSDSE（教育用標準データセット）'
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from regionlib import settings
from regionlib._errors import DataFetchError, UnknownNameError, suggest
from regionlib._log import log, show_progress

__all__ = [
    "CANONICAL_BASE",
    "Dataset",
    "FetchSummary",
    "clear_downloads",
    "clear_temporary",
    "fetch",
    "get_path",
    "get_url",
    "info",
    "is_cached",
    "registry",
    "resolve_names",
]

CANONICAL_BASE = "https://raw.githubusercontent.com/"
#: URL schemes a registry URL or mirror may use
SCHEMES = ("https", "http", "file")
#: seconds a single read may wait for data; and the overall time allowed for one file is
#: ``DEADLINE_BASE`` plus its size at ``DEADLINE_RATE`` bytes per second
READ_TIMEOUT = 60.0
DEADLINE_BASE = 120.0
DEADLINE_RATE = 50_000.0


@dataclass(frozen=True)
class Dataset:
    """One registry entry.

    Attributes
    ----------
    name
        Stable identifier used throughout regionlib and on the command line.
    group
        ``boundaries``, ``indicators``, ``references`` or ``codes``.
    url
        Canonical, pinned download URL.
    sha256
        Expected hash of the file.
    size
        Size in bytes.
    path
        Relative path of the file in the cache (``OWNER/REPO/COMMIT/PATH``).
    format
        File format, as the readers know it (``geojson``, ``topojson``, ``ssdse-csv`` …).
    source, license, credit, vintage, description
        Provenance, licence, the credit line to print on maps and tables, the reference date
        or edition, and a one-line description.
    encoding
        Text encoding, for text files.
    prefecture
        Two-digit prefecture code, for per-prefecture files.
    """

    name: str
    group: str
    url: str
    sha256: str
    size: int
    path: str
    format: str
    source: str
    license: str
    credit: str
    vintage: str
    description: str
    encoding: str | None = None
    prefecture: str | None = None
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def cache_path(self) -> Path:
        """Where the verified file lives in the cache."""
        return Path(settings.cache_folder) / "downloads" / unquote(self.path)


@dataclass
class FetchSummary:
    """What :func:`fetch` did: names downloaded, names already cached, bytes moved.

    Attributes
    ----------
    fetched
        Registry names downloaded and verified.
    cached
        Registry names already in the cache (their hash checked).
    bytes_fetched
        Bytes downloaded.
    """

    fetched: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    bytes_fetched: int = 0

    @property
    def verified(self) -> int:
        """Number of files whose hash was checked (all of them)."""
        return len(self.fetched) + len(self.cached)

    def __str__(self) -> str:
        mib = self.bytes_fetched / 2**20
        return (
            f"{len(self.fetched)} fetched ({mib:.1f} MiB), {len(self.cached)} already cached, "
            f"{self.verified} verified"
        )


@functools.cache
def registry() -> dict[str, Dataset]:
    """Return every registry entry by name.

    Returns
    -------
    dict
        Mapping from dataset name to :class:`Dataset`, sorted by name.
    """
    text = resources.files("regionlib").joinpath("registry.json").read_text(encoding="utf-8")
    known = set(Dataset.__dataclass_fields__) - {"extra"}
    out = {}
    for raw in json.loads(text):
        extra = {k: v for k, v in raw.items() if k not in known}
        entry = Dataset(**{k: v for k, v in raw.items() if k in known}, extra=extra)
        out[entry.name] = entry
    return dict(sorted(out.items()))


def info(name: str) -> Dataset:
    """Return the registry entry called ``name``.

    Parameters
    ----------
    name
        A dataset name, as listed by ``regionlib data list``.

    Returns
    -------
    Dataset
        The entry.

    Raises
    ------
    UnknownNameError
        If no entry has that name; the message suggests close names.
    """
    entries = registry()
    if name not in entries:
        msg = (
            f"データセット '{name}' が見つかりません（regionlib data list を参照） / "
            f"unknown dataset '{name}'{suggest(name, entries)} (see `regionlib data list`)"
        )
        raise UnknownNameError(msg)
    return entries[name]


def resolve_names(names: list[str]) -> list[str]:
    """Expand group names (``boundaries``, ``indicators`` …) and check every name exists.

    Parameters
    ----------
    names
        Dataset or group names.

    Returns
    -------
    list of str
        Dataset names, in the order given, without repeats.
    """
    entries = registry()
    groups = {e.group for e in entries.values()}
    out: list[str] = []
    for name in names:
        expanded = (
            [n for n, e in entries.items() if e.group == name]
            if name in groups
            else [info(name).name]
        )
        out.extend(n for n in expanded if n not in out)
    return out


def get_url(name: str) -> str:
    """Return the URL ``name`` is downloaded from: the canonical one, or its mirror copy.

    Parameters
    ----------
    name
        Dataset name.

    Returns
    -------
    str
        ``settings.mirror`` substituted for the canonical base when a mirror is set.
    """
    url = info(name).url
    mirror = settings.mirror
    if not mirror:
        return url
    if "://" not in mirror:  # a plain folder
        mirror = Path(mirror).expanduser().resolve().as_uri()
    return mirror.rstrip("/") + "/" + url.removeprefix(CANONICAL_BASE)


_verified: dict[Path, tuple[int, int]] = {}  # path -> (mtime_ns, size) verified this process


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_cached(name: str) -> bool:
    """Return True if a verified copy of ``name`` is in the cache.

    Parameters
    ----------
    name
        Dataset name.

    Returns
    -------
    bool
        Whether the cached file exists and its sha256 matches the registry.
    """
    entry = info(name)
    path = entry.cache_path
    return path.is_file() and path.stat().st_size == entry.size and _sha256(path) == entry.sha256


#: bytes a download may exceed the registry's size by before it is refused unread
SIZE_MARGIN = 1 << 16


def _too_large(name: str, url: str, limit: int) -> DataFetchError:
    return DataFetchError(
        f"dataset '{name}': {url} は登録サイズより大きいので読み込みを止めました / sends more "
        f"than the registry's size ({limit - SIZE_MARGIN:,} bytes); stopped at {limit:,} bytes "
        "and discarded it. Check the mirror copy."
    )


def _file_downloader(name: str):
    """Return a pooch downloader that copies a ``file://`` URL, naming ``name`` on failure.

    At most the registry's size plus :data:`SIZE_MARGIN` bytes are copied.
    """

    def download(url: str, output_file, _pooch) -> None:
        source = Path(unquote(urlparse(url).path))
        if not source.is_file():
            msg = (
                f"データセット '{name}': ミラーにファイルがありません: {source}。REGIONLIB_MIRROR に正しいフォルダーを指定するか、指定を外してインターネットからダウンロードしてください / "
                f"dataset '{name}': mirror file not found: {source} "
                f"(REGIONLIB_MIRROR={settings.mirror}); point REGIONLIB_MIRROR at the folder that "
                "holds OWNER/REPO/COMMIT/PATH copies of the canonical URLs, or unset it to "
                "download from the internet"
            )
            raise DataFetchError(msg)
        limit = info(name).size + SIZE_MARGIN
        if source.stat().st_size > limit:
            raise _too_large(name, url, limit)
        if isinstance(output_file, str | Path):
            shutil.copyfile(source, output_file)
        else:
            with open(source, "rb") as f:
                shutil.copyfileobj(f, output_file)

    return download


def deadline_for(size: int) -> float:
    """Return the seconds allowed to download a file of ``size`` bytes."""
    return DEADLINE_BASE + size / DEADLINE_RATE


class _Body:
    """The body of a response, decompressed only up to ``limit`` bytes (a gzip bomb stops)."""

    def __init__(self, raw, limit: int, refuse) -> None:
        import zlib

        self.raw, self.limit, self.refuse, self.total = raw, limit, refuse, 0
        coding = (raw.headers.get("content-encoding") or "identity").lower().strip()
        if coding in ("gzip", "x-gzip"):
            self.inflate = zlib.decompressobj(wbits=31)
        elif coding == "deflate":
            self.inflate = zlib.decompressobj()
        elif coding == "identity":
            self.inflate = None
        else:
            refuse(f"an unsupported content encoding '{coding}'")

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in pieces; stop at the limit, never holding more than one piece."""
        import zlib

        while raw := self.raw.read1(1 << 16, decode_content=False):
            if self.inflate is None:
                yield self._count(raw)
                continue
            try:
                data = self.inflate.decompress(raw, self.limit - self.total + 1)
                yield self._count(data)
                while self.inflate.unconsumed_tail:
                    tail = self.inflate.unconsumed_tail
                    yield self._count(self.inflate.decompress(tail, self.limit - self.total + 1))
            except zlib.error as exc:
                self.refuse(f"a corrupt compressed body ({exc})")

    def _count(self, data: bytes) -> bytes:
        self.total += len(data)
        if self.total > self.limit:
            self.refuse(None)
        return data


def _http_downloader(name: str, *, deadline: float, timeout: float, progress: bool):
    """Return a pooch downloader over HTTP(S) with a per-read timeout and an overall deadline.

    Reads return as soon as some bytes arrive (``read1``), so a server that trickles data is
    stopped by the deadline, not waited for byte by byte. At most the registry's size plus
    :data:`SIZE_MARGIN` bytes are read (and inflated, for a compressed response); a body
    that promises or sends more is refused.
    """

    def download(url: str, output_file, _pooch) -> None:
        import requests

        limit = info(name).size + SIZE_MARGIN
        start = time.monotonic()

        def refuse(why: str | None) -> None:
            if why is None:
                raise _too_large(name, url, limit)
            raise DataFetchError(
                f"データセット '{name}': {url} から {why} が返りました / "
                f"dataset '{name}': {url} sent {why}"
            )

        headers = {"Accept-Encoding": "identity"}
        with requests.get(
            url, stream=True, timeout=(min(timeout, deadline), timeout), headers=headers
        ) as r:
            r.raise_for_status()
            total = int(r.headers.get("content-length") or 0)
            if total > limit and "content-encoding" not in r.headers:
                refuse(None)
            bar = None
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=total or None, unit="B", unit_scale=True, desc=name, leave=False)
            own = isinstance(output_file, str | Path)
            out = open(output_file, "w+b") if own else output_file  # noqa: SIM115
            try:
                for chunk in _Body(r.raw, limit, refuse).chunks():
                    out.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                    if time.monotonic() - start > deadline:
                        msg = (
                            f"データセット '{name}': {url} が {deadline:.0f} 秒以内に届きませんでした（サーバーが遅いか止まっています）。後でもう一度試すか、REGIONLIB_MIRROR に手元のコピーを指定してください / "
                            f"dataset '{name}': {url} did not arrive within {deadline:.0f} s "
                            "(the server is too slow or stalled); try again later, or set "
                            "REGIONLIB_MIRROR to a local copy"
                        )
                        raise DataFetchError(msg)
            finally:
                if own:
                    out.close()
                if bar is not None:
                    bar.close()

    return download


_CACHE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def _urllib3_errors() -> type[Exception]:
    """urllib3's base error: what a body read raises when a server stalls or closes mid-body."""
    import urllib3

    return urllib3.exceptions.HTTPError


def _check_scheme(name: str, url: str) -> None:
    scheme = urlparse(url).scheme.lower()
    if scheme not in SCHEMES:
        msg = (
            f"データセット '{name}': {url} の URL 方式 '{scheme}://' には対応していません。https://, http://, file:// かフォルダーを使ってください / "
            f"dataset '{name}': the URL scheme '{scheme}://' of {url} is not supported "
            f"(REGIONLIB_MIRROR={settings.mirror}); use https://, http://, file:// or a folder"
        )
        raise DataFetchError(msg)


def get_path(name: str, *, progress: bool | None = None) -> Path:
    """Return the local path of a verified copy of dataset ``name``, downloading it if needed.

    Parameters
    ----------
    name
        Dataset name.
    progress
        Show a download progress bar (on a terminal only); default ``settings.progress``.

    Returns
    -------
    pathlib.Path
        Path of the cached file, whose sha256 matches the registry.

    Raises
    ------
    DataFetchError
        If the file cannot be downloaded in time, is missing from the mirror, fails its hash
        check (the file is removed), the mirror's URL scheme is not supported, or the cache
        cannot be written (full disk, read-only).
    """
    entry = info(name)
    target = entry.cache_path
    if target.is_file():
        stat = target.stat()
        if _verified.get(target) == (stat.st_mtime_ns, stat.st_size):
            return target
        if _sha256(target) == entry.sha256:
            _verified[target] = (stat.st_mtime_ns, stat.st_size)
            return target
    url = get_url(name)
    _sweep_partials()  # a download is about to start: those of killed runs go
    _check_scheme(name, url)
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")
    try:
        if target.exists():
            log(
                f"cached copy of '{name}' failed its hash check; downloading it again",
                ja=f"'{name}' の保存済みの写しがハッシュ検査に通らないため、ダウンロードし直します",
            )
            target.unlink()
        if url.startswith("file:"):
            downloader = _file_downloader(name)
        else:
            downloader = _http_downloader(
                name,
                deadline=deadline_for(entry.size),
                timeout=READ_TIMEOUT,
                progress=show_progress(progress),
            )
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{entry.sha256}",
            fname=target.name,
            path=target.parent,
            downloader=downloader,
            progressbar=False,
        )
    except DataFetchError:
        raise
    except ValueError as exc:  # pooch's hash mismatch; the temporary file is already removed
        if target.exists():
            target.unlink()
        msg = (
            f"データセット '{name}': {url} のファイルが登録の sha256（{entry.sha256[:12]}…）と一致しないため破棄しました（壊れている、途中で切れている、または提供元で変更されています）。ミラーのコピーを確かめるか、提供元の変更を報告してください / "
            f"dataset '{name}': the file from {url} does not match the registry's sha256 "
            f"({entry.sha256[:12]}…): it is corrupted, truncated or changed upstream, and was "
            "discarded. Check the mirror copy, or report the changed source."
        )
        raise DataFetchError(msg) from exc
    except (requests.exceptions.RequestException, _urllib3_errors()) as exc:
        msg = (
            f"データセット '{name}': {url} をダウンロードできません。ネットワークがなければ REGIONLIB_MIRROR に手元のデータのコピーを指定してください / "
            f"dataset '{name}': cannot download {url} ({type(exc).__name__}: {exc}). "
            "No network? Set REGIONLIB_MIRROR to a local copy of the data."
        )
        raise DataFetchError(msg) from exc
    except OSError as exc:
        if exc.errno in _CACHE_ERRNOS:
            msg = (
                f"データセット '{name}': ダウンロードのキャッシュ {target.parent} に書き込めません。空き容量を増やすか、REGIONLIB_CACHE に書き込めるフォルダーを指定してください / "
                f"dataset '{name}': cannot write the download cache {target.parent} "
                f"({exc.strerror}); free some space, or set REGIONLIB_CACHE to a writable folder"
            )
        else:
            msg = (
                f"データセット '{name}': {url} をダウンロードできません / "
                f"dataset '{name}': cannot download {url} ({type(exc).__name__}: {exc})"
            )
        raise DataFetchError(msg) from exc
    return Path(path)


def _downloads() -> Path:
    return Path(settings.cache_folder) / "downloads"


def clear_temporary(*, older_than: float = 0.0) -> int:
    """Delete partial downloads left by interrupted runs; return how many were removed.

    Parameters
    ----------
    older_than
        Only those last written more than this many seconds ago. Each download runs under
        a deadline (:func:`deadline_for`), so a partial file older than the longest deadline
        belongs to a run that was killed.
    """
    removed = 0
    now = time.time()
    for path in _downloads().rglob("tmp*") if _downloads().is_dir() else []:
        if path.is_file() and path.suffix == "" and len(path.name) > 3:
            try:
                if now - path.stat().st_mtime < older_than:
                    continue
                path.unlink()
            except OSError:
                continue
            removed += 1
    return removed


def _sweep_partials() -> None:
    """Remove the partial downloads of killed runs (once per process)."""
    global _swept
    if not _swept:
        _swept = True
        longest = max((e.size for e in registry().values()), default=0)
        clear_temporary(older_than=deadline_for(longest) + READ_TIMEOUT)


_swept = False


def clear_downloads() -> int:
    """Delete every downloaded file; return how many were removed."""
    known = {e.cache_path for e in registry().values()}
    removed = sum(1 for p in known if p.is_file())
    shutil.rmtree(_downloads(), ignore_errors=True)
    _verified.clear()
    return removed


def fetch(names: list[str] | None = None, *, progress: bool | None = None) -> FetchSummary:
    """Download and verify several datasets (all of them when ``names`` is None).

    Parameters
    ----------
    names
        Dataset or group names; ``None`` means the whole registry.
    progress
        Show a progress bar over the files; default ``settings.progress``.

    Returns
    -------
    FetchSummary
        Which files were downloaded and which were already cached.
    """
    selected = list(registry()) if names is None else resolve_names(names)
    summary = FetchSummary()
    iterator = selected
    if show_progress(progress):
        from tqdm.auto import tqdm

        iterator = tqdm(selected, desc="regionlib data", unit="file")
    for name in iterator:
        if is_cached(name):
            summary.cached.append(name)
            continue
        get_path(name, progress=False)
        summary.fetched.append(name)
        summary.bytes_fetched += info(name).size
    return summary
