"""Logging: one ``regionlib`` logger; quiet unless something changes what the user should believe.

Two kinds of records:

- information (``log(msg, ja=…)``, level INFO): rows left out as expected, repairs, files
  written. Shown only with ``settings.log_console = True`` (``regionlib -v``), as
  ``regionlib: {ja} / {msg}``: Japanese first, like everything a user reads.
- warnings (``log(msg, level=logging.WARNING, ja=…)``): values left out, names ambiguous, islands
  bridged. Shown by default (``settings.log_warnings``), each identical message once per process:
  on stderr as ``regionlib: warning: …``, in a Jupyter notebook as one short Japanese line on
  stdout (``ja``), so no pink stderr block appears.

Records also propagate to the standard :mod:`logging` tree, so applications can collect them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from regionlib import settings

__all__ = [
    "collect_warnings",
    "deferred_warnings",
    "in_notebook",
    "log",
    "logger",
    "show_progress",
]

logger = logging.getLogger("regionlib")
_said: set[tuple[int, str]] = set()
_held: list[list] = []  # open collect_warnings() / deferred_warnings() blocks, innermost last


class _Records(list):
    """The records held by a :func:`deferred_warnings` block."""


def in_notebook() -> bool:
    """Return True when running in a Jupyter (IPython kernel) session."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()  # type: ignore[attr-defined]
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show_progress(progress: bool | None = None) -> bool:
    """Return whether to draw a progress bar: asked for (or ``settings.progress``) and a terminal."""
    wanted = settings.progress if progress is None else progress
    stream = sys.stderr
    return bool(wanted) and hasattr(stream, "isatty") and stream.isatty()


def _short(record: logging.LogRecord, width: int = 80) -> str:
    """Return the Japanese line of a warning; else its message cut to ``width`` characters."""
    ja = getattr(record, "ja", None)
    if ja:
        return ja
    message = record.getMessage()
    return "注意: " + (message if len(message) <= width else message[: width - 1] + "…")


def _bilingual(record: logging.LogRecord) -> str:
    """Return a record's Japanese line first, then its English message (``ja / message``)."""
    ja = getattr(record, "ja", None)
    message = record.getMessage()
    if ja and not message.startswith(ja):  # a bilingual message already says it first
        return f"{ja} / {message}"
    return message


def _warning_line(record: logging.LogRecord) -> str:
    """Return a warning for a terminal: its Japanese line first, then the English message."""
    return f"注意 / warning: {_bilingual(record)}"


class _Console(logging.Handler):
    """Print records as the settings ask, each identical message once."""

    def emit(self, record: logging.LogRecord) -> None:
        if _held and record.levelno >= logging.WARNING and not settings.log_console:
            if isinstance(_held[-1], _Records):
                _held[-1].append(record)
                return
            line = _short(record)
            if line not in _held[-1]:
                _held[-1].append(line)
            return
        if settings.log_console and record.levelno >= settings.log_level:
            line = _bilingual(record) if record.levelno < logging.WARNING else _warning_line(record)
            self._say(record.levelno, f"regionlib: {line}", sys.stderr)
        elif settings.log_warnings and record.levelno >= logging.WARNING:
            if in_notebook():
                self._say(record.levelno, f"⚠ regionlib: {_short(record)}", sys.stdout)
            else:
                self._say(record.levelno, f"regionlib: {_warning_line(record)}", sys.stderr)

    @staticmethod
    def _say(level: int, line: str, stream) -> None:
        if (level, line) in _said:
            return
        _said.add((level, line))
        with contextlib.suppress(OSError, ValueError):  # a broken stream never stops the work
            print(line, file=stream, flush=True)


_console = _Console(level=logging.DEBUG)
logger.addHandler(_console)


@contextlib.contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Hold back the warnings logged inside the block; yield the list of their short lines.

    For a step that runs several analyses at once (a municipality profile runs peers, clusters,
    regions and LISA), whose caller then says one summary line instead of one per analysis.
    With ``settings.log_console`` (``regionlib -v``) nothing is held back.

    Yields
    ------
    list of str
        The held warnings' short lines (Japanese where the record has one), each once.
    """
    held: list[str] = []
    _held.append(held)
    try:
        yield held
    finally:
        _held.remove(held)


@contextlib.contextmanager
def deferred_warnings() -> Iterator[None]:
    """Hold back the warnings logged inside the block: said when it ends, dropped if it raises.

    For a step that prepares (builds a graph, which may bridge islands) before it can check
    the user's input (a block layer, an option): a refused input is then one error line, not a
    warning about work the error made moot. With ``settings.log_console`` nothing is held.
    """
    held = _Records()
    _held.append(held)
    try:
        yield
    finally:
        _held.remove(held)
    for record in held:  # only reached when the block did not raise
        _console.handle(record)


def log(message: str, level: int | None = None, *, ja: str | None = None) -> None:
    """Log ``message`` on the ``regionlib`` logger.

    Parameters
    ----------
    message
        The text of the record (English; names the file, code or column concerned).
    level
        ``logging.INFO`` (default) for information; ``logging.WARNING`` only for what changes
        what the user should believe.
    ja
        The same in short Japanese: said first (``ja / message``) on the terminal, and alone
        for a warning in a notebook. Every call in the package gives one.
    """
    level = logging.INFO if level is None else level
    if settings.log_console and logger.getEffectiveLevel() > settings.log_level:
        logger.setLevel(settings.log_level)
    logger.log(level, message, extra={"ja": ja} if ja else None)
