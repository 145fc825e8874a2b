r"""The one way regionlib writes a file or a folder the user asked for.

Every output (CSV, HTML, XLSX, PNG, PDF, SVG, GeoPackage, Parquet, folders of files) is written
to a temporary file beside its target, flushed to disk, and renamed into place. A full disk, a
read-only mount or a killed process therefore never leaves a truncated file, and never destroys
the previous version of the file.

Commands call :func:`check_output` for every output path *before* any computation, so a path
that cannot be written (wrong extension, a directory, a parent that is a file, ``/proc/x.csv``,
a read-only mount, ``/dev/full``) is refused in one line before minutes of work are spent.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = check_output(folder / "t.csv", (".csv",))
>>> with atomic_write(path, mode="w", encoding="utf-8") as f:
...     _ = f.write("code,name\n")
>>> path.read_text(encoding="utf-8")
'code,name\n'
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from regionlib._errors import OutputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MARKER",
    "TEMP_TAG",
    "atomic_directory",
    "atomic_path",
    "atomic_write",
    "check_directory",
    "check_output",
    "write_bytes",
    "write_csv",
    "write_text",
]

#: part of the name of every temporary file or folder regionlib creates beside an output
TEMP_TAG = ".regionlib-tmp"
#: file written into every folder :func:`atomic_directory` creates, so it may be replaced later
MARKER = ".regionlib-output"

#: errors that mean "this place cannot take the file", reported as :class:`OutputError`
_WRITE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EINVAL,
}
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is too large for this file system",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "the folder cannot hold new files",
    errno.ENOTDIR: "a parent is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EINVAL: "this place cannot hold files",
}


def _error(path: Path, exc: OSError, what: str) -> OutputError:
    reason = _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return OutputError(f"{path}: cannot write the {what}: {reason}")


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor or ".")


def _probe(folder: Path, path: Path, what: str) -> None:
    """Create and remove a temporary file in ``folder``: the only test that also holds for root."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".probe{TEMP_TAG}")
    except OSError as exc:
        raise _error(path, exc, what) from exc
    os.close(fd)
    os.unlink(tmp)


def check_output(
    path: str | os.PathLike, suffixes: Collection[str], *, what: str = "output"
) -> Path:
    """Check, before any work, that ``path`` can be written as an output file.

    Parameters
    ----------
    path
        The file the user asked for.
    suffixes
        Accepted extensions, lower case with the dot (``(".csv",)``); empty accepts any.
    what
        What the file is, for the message (``"CSV"``, ``"map"`` …).

    Returns
    -------
    pathlib.Path
        The path (``~`` expanded).

    Raises
    ------
    OutputError
        If the extension is not supported (the message lists the supported ones), the path is a
        folder or a device, a parent is a file, or the folder cannot take new files (read-only,
        ``/proc``, no permission).
    """
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffixes and suffix not in {s.lower() for s in suffixes}:
        shown = f"'{suffix}'" if suffix else "no extension"
        msg = f"{path}: unsupported {what} format ({shown}); use {', '.join(sorted(suffixes))}"
        raise OutputError(msg)
    if path.is_dir():
        raise OutputError(f"{path}: cannot write the {what}: it is a folder")
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        raise OutputError(f"{path}: cannot write the {what}: not a regular file")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise OutputError(f"{path}: cannot write the {what}: {existing} is a file, not a folder")
    _probe(existing, path, what)
    return path


def check_directory(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written as a folder of outputs.

    A folder that does not exist, is empty, or was written by regionlib before (it holds the
    :data:`MARKER` file) is accepted; a folder holding other files only with ``overwrite``.

    Parameters
    ----------
    path
        The folder the user asked for.
    overwrite
        Accept a folder that holds files regionlib did not write (they are replaced).

    Returns
    -------
    pathlib.Path
        The path (``~`` expanded).

    Raises
    ------
    OutputError
        If the path is a file, holds foreign files (without ``overwrite``), or cannot be written.
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: cannot write the output folder: it is a file")
    if path.is_dir() and not overwrite:
        entries = [p.name for p in path.iterdir()]
        if entries and MARKER not in entries:
            shown = ", ".join(sorted(entries)[:3]) + (" …" if len(entries) > 3 else "")
            msg = (
                f"{path}: the folder already holds other files ({shown}); choose a new folder "
                "or pass --overwrite to replace it"
            )
            raise OutputError(msg)
    existing = _nearest_existing(path / "x")
    if not existing.is_dir():
        raise OutputError(f"{path}: cannot write the output folder: {existing} is a file")
    _probe(existing, path, "output folder")
    return path


def _file_mode(path: Path) -> int:
    if path.exists():
        return stat.S_IMODE(path.stat().st_mode)
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _make_parent(path: Path, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(path, exc, what) from exc


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, what: str = "output") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same extension), renamed to ``path`` on success.

    For writers that need a file name rather than an open file (GDAL, matplotlib by suffix).
    On any exception the temporary file is removed and the previous ``path`` is untouched.

    Parameters
    ----------
    path
        The final file.
    what
        What the file is, for error messages.

    Yields
    ------
    pathlib.Path
        Where to write.

    Raises
    ------
    OutputError
        If the disk is full, the place is read-only or not writable.
    """
    path = Path(path).expanduser()
    _make_parent(path, what)
    mode = _file_mode(path)
    try:
        fd, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.stem}", suffix=f"{TEMP_TAG}{path.suffix}"
        )
    except OSError as exc:
        raise _error(path, exc, what) from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # the name is reserved; writers that refuse an existing file create it anew
    try:
        yield tmp
        if not tmp.is_file():
            raise OutputError(f"{path}: the {what} was not written (no file produced)")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in _WRITE_ERRNOS:
            raise _error(path, exc, what) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike,
    *,
    mode: str = "wb",
    encoding: str | None = None,
    newline: str | None = None,
    what: str = "output",
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success.

    The data is flushed and fsynced before the rename. On any exception the temporary file is
    removed and the previous ``path`` (if any) is untouched.

    Parameters
    ----------
    path
        The final file.
    mode
        ``"wb"`` (default) or ``"w"`` (text; give ``encoding``).
    encoding, newline
        As for :func:`open`, text mode only.
    what
        What the file is, for error messages.

    Yields
    ------
    file object
        The open temporary file.

    Raises
    ------
    OutputError
        If the disk is full, the place is read-only or not writable.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', not {mode!r}")
    with atomic_path(path, what=what) as tmp:
        try:
            with open(tmp, mode, encoding=encoding, newline=newline) as f:
                yield f
        except OSError as exc:
            if exc.errno in _WRITE_ERRNOS:
                raise _error(Path(path), exc, what) from exc
            raise


#: how every CSV regionlib writes shows a float that is not a whole number (10 significant digits)
CSV_FLOAT_FORMAT = "%.10g"


def _whole_numbers(values: pd.Series | pd.Index) -> bool:
    """Whether a float column holds only whole numbers that an integer type keeps exactly."""
    import pandas as pd

    if not pd.api.types.is_float_dtype(values.dtype):
        return False
    finite = pd.Series(values).dropna()
    return bool(len(finite)) and bool((finite % 1 == 0).all()) and finite.abs().max() < 2**53


def _integers_as_integers(frame: pd.DataFrame, *, index: bool) -> pd.DataFrame:
    """Return ``frame`` with its whole-number float columns (and index) as nullable integers."""
    out = frame
    for i in range(frame.shape[1]):
        if _whole_numbers(frame.iloc[:, i]):
            if out is frame:
                out = frame.copy(deep=False)
            out.isetitem(i, frame.iloc[:, i].astype("Int64"))
    if index and frame.index.nlevels == 1 and _whole_numbers(frame.index):
        out = out.set_axis(frame.index.astype("Int64"))
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> Path:
    r"""Write a CSV for planners atomically: the one CSV format of regionlib.

    UTF-8 with BOM (spreadsheets show the Japanese); whole-number columns as integers
    (1973395, not 1973395.0), other floats with 10 significant digits, missing values as empty
    cells; line ends are ``\n`` whatever the platform, so the same frame gives the same bytes.

    Parameters
    ----------
    frame
        The table.
    path
        The file.
    index
        Write the index as the first column.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = _integers_as_integers(frame, index=index)
    with atomic_write(path, mode="w", encoding="utf-8-sig", newline="", what="CSV") as f:
        out.to_csv(f, index=index, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes, *, what: str = "output") -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_write(path, what=what) as f:
        f.write(data)
    return Path(path)


def write_text(
    path: str | os.PathLike, text: str, *, encoding: str = "utf-8", what: str = "output"
) -> Path:
    r"""Write ``text`` to ``path`` atomically (``\n`` line ends kept) and return the path."""
    with atomic_write(path, mode="w", encoding=encoding, newline="", what=what) as f:
        f.write(text)
    return Path(path)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` when the block succeeds.

    A folder that exists is replaced only if it is empty, was written by regionlib (holds
    :data:`MARKER`), or ``overwrite`` is true. On any exception the temporary folder is removed
    and the previous folder is untouched.

    Parameters
    ----------
    path
        The final folder.
    overwrite
        Replace a folder that holds files regionlib did not write.

    Yields
    ------
    pathlib.Path
        The folder to write into.

    Raises
    ------
    OutputError
        If the folder is refused (see :func:`check_directory`) or the disk is full or read-only.
    """
    path = check_directory(path, overwrite=overwrite)
    _make_parent(path, "output folder")
    try:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}", suffix=TEMP_TAG))
    except OSError as exc:
        raise _error(path, exc, "output folder") from exc
    old = None
    try:
        yield tmp
        (tmp / MARKER).write_text("written by regionlib; may be replaced by it\n")
        folder_mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _file_mode(path)
        tmp.chmod(folder_mode | 0o700 | ((folder_mode & 0o444) >> 2))  # r -> r-x
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}", suffix=TEMP_TAG))
            os.replace(path, old / "old")
        os.replace(tmp, path)
    except OSError as exc:
        if old is not None and (old / "old").exists() and not path.exists():
            os.replace(old / "old", path)  # put the previous folder back
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in _WRITE_ERRNOS:
            raise _error(path, exc, "output folder") from exc
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
