r"""The one way regionlib writes a file or a folder the user asked for.

Every output (CSV, HTML, XLSX, PNG, PDF, SVG, GeoPackage, Parquet, folders of files) is written
to a temporary file beside its target, flushed to disk, and renamed into place. A full disk, a
read-only mount or a killed process therefore never leaves a truncated file, and never destroys
the previous version of the file.

Commands call :func:`check_output` for every output path *before* any computation, so a path
that cannot be written (wrong extension, a directory, a parent that is a file, ``/proc/x.csv``,
a read-only mount, ``/dev/full``, a name longer than the file system allows) is refused in one
line before minutes of work are spent; :func:`check_not_input` refuses an output that is one of
the command's own input files (also through a symbolic or hard link).

Temporary names are short and carry the process id (``.NAME.p1234-xxxxxxxx.regionlib-tmp.csv``):
:func:`sweep_temporary` removes those of processes that no longer run, so a killed run leaves
nothing behind once the next run writes to the same folder.

Every text cell and header written to a CSV or a workbook that a spreadsheet would evaluate
(it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written as text:
:func:`defuse` in CSV files (OWASP's leading apostrophe), string cells in workbooks
(:func:`save_workbook`). Numbers stay numbers.

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
import io
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from regionlib._errors import OutputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_STARTS",
    "MARKER",
    "TEMP_TAG",
    "atomic_directory",
    "atomic_path",
    "atomic_write",
    "check_directory",
    "check_not_input",
    "check_output",
    "defuse",
    "save_workbook",
    "sweep_temporary",
    "temp_owner",
    "write_bytes",
    "write_csv",
    "write_text",
]

#: part of the name of every temporary file or folder regionlib creates beside an output
TEMP_TAG = ".regionlib-tmp"
#: file written into every folder :func:`atomic_directory` creates: the list of the files
#: regionlib wrote there, which alone it may replace later
MARKER = ".regionlib-output"
_MARKER_HEAD = "written by regionlib; it replaces only the files listed below"
#: characters of the output's name kept in a temporary name (the rest of a long name is cut)
_STEM = 32
_PID = re.compile(r"\.p(\d+)-[^/]*" + re.escape(TEMP_TAG))

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
    errno.ENAMETOOLONG,
    errno.EBUSY,
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
    errno.ENAMETOOLONG: "the name is too long for this file system",
    errno.EBUSY: "the folder is in use (a mount point or the current folder)",
}


def _error(path: Path, exc: OSError, what: str) -> OutputError:
    reason = _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return OutputError(f"書き込めません / {path}: cannot write the {what}: {reason}")


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        try:
            if parent.exists():
                return parent
        except OSError:  # a name too long: a parent further up exists
            continue
    return Path(path.anchor or ".")


def _temp_prefix(name: str) -> str:
    """Return the start of a temporary name beside ``name``: short, with this process's id."""
    return f".{name[:_STEM]}.p{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def temp_owner(name: str) -> int | None:
    """Return the process id a temporary name carries, or None (not one, or an older name)."""
    found = _PID.search(name)
    return int(found.group(1)) if found else None


def sweep_temporary(folder: str | os.PathLike) -> int:
    """Remove the temporary files and folders of killed regionlib processes from ``folder``.

    Only names that carry the id of a process that no longer runs are removed; a run in
    progress (another process writing beside it) keeps its files.

    Parameters
    ----------
    folder
        Where outputs are written.

    Returns
    -------
    int
        How many were removed.
    """
    folder = Path(folder)
    removed = 0
    try:
        names = [n for n in os.listdir(folder) if TEMP_TAG in n]
    except OSError:
        return 0
    for name in names:
        pid = temp_owner(name)
        if pid is None or _pid_alive(pid):
            continue
        target = folder / name
        try:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _check_name(path: Path, existing: Path, what: str) -> None:
    """Refuse a name the file system cannot hold (checked before work, not at the rename)."""
    limit = _name_max(existing)
    for part in path.parts[len(existing.parts) :] or (path.name,):
        if len(os.fsencode(part)) > limit:
            shown = part[:24] + "…"
            msg = (
                f"{shown}: 名前が長すぎます / cannot write the {what}: the name is too long "
                f"({len(os.fsencode(part))} bytes; this file system allows {limit})"
            )
            raise OutputError(msg)


def _probe(folder: Path, path: Path, what: str) -> None:
    """Create and remove a temporary file in ``folder``: the only test that also holds for root."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix("probe"), suffix=TEMP_TAG)
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
        msg = (
            f"{path}: 書き出せない形式です（{', '.join(sorted(suffixes))} のどれか） / "
            f"{path}: unsupported {what} format ({shown}); use {', '.join(sorted(suffixes))}"
        )
        raise OutputError(msg)
    _check_name(path, _nearest_existing(path), what)  # before any stat of the path itself
    if path.is_dir():
        raise OutputError(
            f"{path} はフォルダーです / {path}: cannot write the {what}: it is a folder"
        )
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        raise OutputError(
            f"{path} は通常のファイルではありません / {path}: cannot write the {what}: "
            "not a regular file"
        )
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise OutputError(
            f"{existing} はフォルダーではなくファイルです / "
            f"{path}: cannot write the {what}: {existing} is a file, not a folder"
        )
    _probe(existing, path, what)
    return path


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def check_not_input(
    outputs: Iterable[str | os.PathLike | None], inputs: Iterable[str | os.PathLike | None]
) -> None:
    """Refuse an output that is one of the command's input files, also through a link.

    Parameters
    ----------
    outputs
        The files (or folders) the command will write; None entries are skipped.
    inputs
        The files the command reads; None entries and names that are not files are skipped.

    Raises
    ------
    OutputError
        ``出力先が入力ファイルと同じです / the output is the input file: od.csv`` (or a folder
        output that holds an input file).
    """
    files = [Path(p).expanduser() for p in inputs if p is not None and Path(p).is_file()]
    for out in outputs:
        if out is None:
            continue
        out = Path(out).expanduser()
        for source in files:
            if _same_file(out, source):
                msg = (
                    f"出力先が入力ファイルと同じです / the output is the input file: {out}; "
                    "choose another output name"
                )
                raise OutputError(msg)
            if out.is_dir() and Path(os.path.realpath(source)).is_relative_to(
                os.path.realpath(out)
            ):
                msg = (
                    f"出力先のフォルダに入力ファイルがあります / the output folder {out} holds "
                    f"the input file {source.name}; choose another folder"
                )
                raise OutputError(msg)


def _manifest(path: Path) -> set[str] | None:
    """Return the files regionlib wrote into ``path`` (relative, ``/``-separated), or None.

    None when the folder has no :data:`MARKER`. A marker of an older version, which lists no
    files, claims every file of the folder.
    """
    marker = path / MARKER
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != _MARKER_HEAD:
        return {p.relative_to(path).as_posix() for p in path.rglob("*") if not p.is_dir()}
    return {line for line in lines[1:] if line}


def _foreign_files(path: Path) -> list[str]:
    """Return the entries of folder ``path`` regionlib did not write (files, links, empty folders)."""
    own = _manifest(path) or set()
    out = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if rel == MARKER or rel in own:
            continue
        if p.is_dir() and not p.is_symlink() and any(p.iterdir()):
            continue  # its files are listed one by one
        out.append(rel)
    return out


def _unreplaceable(path: Path) -> str | None:
    """Why folder ``path`` cannot be replaced by a rename, or None."""
    real = Path(os.path.realpath(path))
    try:
        cwd = Path(os.path.realpath(Path.cwd()))
    except OSError:
        cwd = None
    if cwd is not None and cwd.is_relative_to(real):
        return "現在のフォルダ（またはその親）は置き換えられません / it is the current folder"
    if real.is_dir() and os.path.ismount(real):
        return "マウントポイントは置き換えられません / it is a mount point"
    if real == Path(real.anchor):
        return "it is the root folder"
    return None


def check_directory(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written as a folder of outputs.

    A folder that does not exist, is empty, or holds only files regionlib wrote there before
    (listed in its :data:`MARKER` file) is accepted; a folder holding other files only with
    ``overwrite``, and then those files are kept (:func:`atomic_directory`). The current
    folder, its parents and mount points are refused: they cannot be replaced.

    Parameters
    ----------
    path
        The folder the user asked for.
    overwrite
        Accept a folder that holds files regionlib did not write (they are kept; regionlib's
        own files are replaced).

    Returns
    -------
    pathlib.Path
        The path (``~`` expanded).

    Raises
    ------
    OutputError
        If the path is a file, holds foreign files (without ``overwrite``), cannot be replaced,
        or cannot be written.
    """
    path = Path(path).expanduser()
    _check_name(path, _nearest_existing(path), "output folder")
    if path.exists() and not path.is_dir():
        raise OutputError(
            f"{path}: 出力フォルダーに書き出せません。同じ名前のファイルがあります / "
            f"{path}: cannot write the output folder: it is a file"
        )
    if path.is_dir():
        why = _unreplaceable(path)
        if why:
            msg = (
                f"{path}: 出力フォルダーに書き出せません（{why}）。新しいサブフォルダーを指定してください（-o atlas） / "
                f"{path}: cannot write the output folder: {why}; name a new sub-folder (-o atlas)"
            )
            raise OutputError(msg)
    if path.is_dir() and not overwrite:
        foreign = _foreign_files(path)
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            msg = (
                f"{path}: フォルダーにはほかのファイル（{shown}）があります。新しいフォルダーを選ぶか --overwrite を付けてください（あなたのファイルは残り、regionlib のファイルだけが置き換わります） / "
                f"{path}: the folder already holds other files ({shown}); choose a new folder "
                "or pass --overwrite (your files are kept, regionlib's own files replaced)"
            )
            raise OutputError(msg)
    existing = _nearest_existing(path / "x")
    if not existing.is_dir():
        raise OutputError(
            f"{path}: 出力フォルダーに書き出せません。{existing} がファイルです / "
            f"{path}: cannot write the output folder: {existing} is a file"
        )
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
    sweep_temporary(path.parent)
    mode = _file_mode(path)
    try:
        fd, name = tempfile.mkstemp(
            dir=path.parent, prefix=_temp_prefix(path.stem), suffix=f"{TEMP_TAG}{path.suffix[:16]}"
        )
    except OSError as exc:
        raise _error(path, exc, what) from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # the name is reserved; writers that refuse an existing file create it anew
    try:
        yield tmp
        if not tmp.is_file():
            raise OutputError(
                f"{path}: {what} は書き出されませんでした（ファイルができていません） / "
                f"{path}: the {what} was not written (no file produced)"
            )
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


#: first characters that make a spreadsheet evaluate a cell as a formula (OWASP CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """Return ``value`` so that no spreadsheet evaluates it: the one rule of every text cell.

    Text beginning with one of :data:`FORMULA_STARTS` gets a leading apostrophe, as OWASP
    recommends for CSV files; everything else (numbers, missing values, other text) is
    returned unchanged. Workbooks store such text as string cells instead
    (:func:`save_workbook`).

    Examples
    --------
    >>> defuse("=1+2")
    "'=1+2"
    >>> defuse(-5), defuse("高齢化率")
    (-5, '高齢化率')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _defused(frame: pd.DataFrame, *, index: bool) -> pd.DataFrame:
    """Return ``frame`` with :func:`defuse` applied to its headers and text cells."""
    import pandas as pd

    def text_like(values) -> bool:
        return values.dtype == object or isinstance(values.dtype, pd.StringDtype)

    out = frame
    columns = [defuse(c) for c in frame.columns]
    if columns != list(frame.columns):
        out = frame.set_axis(pd.Index(columns, dtype=object), axis=1)
    for i in range(out.shape[1]):
        values = out.iloc[:, i]
        if not text_like(values):
            continue
        hit = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        if hit.any():
            if out is frame:
                out = frame.copy(deep=False)
            out.isetitem(i, values.map(defuse))
    if index and frame.index.nlevels == 1 and text_like(frame.index):
        names = [defuse(v) for v in out.index]
        if names != list(out.index):
            out = out.set_axis(pd.Index(names, name=defuse(out.index.name)))
    if index and isinstance(out.index.name, str) and out.index.name.startswith(FORMULA_STARTS):
        out = out.rename_axis(defuse(out.index.name))
    return out


def save_workbook(workbook: Any, path: str | os.PathLike, *, what: str = "table") -> Path:
    """Save an openpyxl workbook atomically, every text cell a string cell (never a formula).

    openpyxl turns text beginning with ``=`` into a formula and ``#N/A`` into an error value;
    regionlib writes neither, so every such cell is stored as the text it is. The workbook is
    built in memory first, so a full disk is one error line with nothing half-written.

    Parameters
    ----------
    workbook
        An :class:`openpyxl.Workbook`.
    path
        The ``.xlsx`` file.
    what
        What the file is, for error messages.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type in ("f", "e"):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return write_bytes(path, buffer.getvalue(), what=what)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> Path:
    r"""Write a CSV for planners atomically: the one CSV format of regionlib.

    UTF-8 with BOM (spreadsheets show the Japanese); whole-number columns as integers
    (1973395, not 1973395.0), other floats with 10 significant digits, missing values as empty
    cells; line ends are ``\n`` whatever the platform, so the same frame gives the same bytes.
    Headers and text cells a spreadsheet would evaluate are defused (:func:`defuse`).

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
    out = _defused(_integers_as_integers(frame, index=index), index=index)
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


def _keep_user_files(old: Path, new: Path) -> list[str]:
    """Link (or copy) the entries of ``old`` that regionlib did not write into ``new``.

    Returns the entries kept. An entry whose name the new output also uses is refused: the
    user's file would be lost.
    """
    kept = []
    for rel in _foreign_files(old):
        source, target = old / rel, new / rel
        if target.exists() or target.is_symlink():
            msg = (
                f"{old / rel}: 利用者のファイルと同じ名前です / regionlib would replace your file "
                f"{rel}; move or rename it and run again"
            )
            raise OutputError(msg)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        elif source.is_dir():
            target.mkdir()
        else:
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
        kept.append(rel)
    return kept


def _write_manifest(folder: Path) -> None:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())
    (folder / MARKER).write_text("\n".join([_MARKER_HEAD, *files]) + "\n", encoding="utf-8")


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` when the block succeeds.

    A folder that exists is replaced only if it is empty, holds only files regionlib wrote
    (listed in its :data:`MARKER`), or ``overwrite`` is true; the files regionlib did not
    write are kept (linked into the new folder), with one line saying so. On any exception the
    temporary folder is removed and the previous folder is untouched.

    Parameters
    ----------
    path
        The final folder.
    overwrite
        Accept a folder that holds files regionlib did not write (they are kept).

    Yields
    ------
    pathlib.Path
        The folder to write into.

    Raises
    ------
    OutputError
        If the folder is refused (see :func:`check_directory`) or the disk is full or read-only.
    """
    from regionlib._log import log  # not at the top: _log must not depend on writing

    path = check_directory(path, overwrite=overwrite)
    _make_parent(path, "output folder")
    sweep_temporary(path.parent)
    prefix = _temp_prefix(path.name)
    try:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=prefix, suffix=TEMP_TAG))
    except OSError as exc:
        raise _error(path, exc, "output folder") from exc
    old = None
    try:
        yield tmp
        _write_manifest(tmp)
        kept = _keep_user_files(path, tmp) if path.is_dir() else []
        folder_mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _file_mode(path)
        tmp.chmod(folder_mode | 0o700 | ((folder_mode & 0o444) >> 2))  # r -> r-x
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=prefix, suffix=TEMP_TAG))
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
    if kept:
        shown = ", ".join(kept[:3]) + (" …" if len(kept) > 3 else "")
        log(
            f"{path}: kept {len(kept)} files regionlib did not write ({shown})",
            level=logging.WARNING,
            ja=f"利用者のファイル {len(kept)} 件はそのまま残しました（{shown}）",
        )
