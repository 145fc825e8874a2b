"""Exception types raised by regionlib.

Every error message names the file, row, code or dataset at fault and, where one exists, what
the user can do about it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class RegionlibError(Exception):
    """Base class of all errors regionlib raises on bad input or bad data."""


class DataFetchError(RegionlibError):
    """A registry file could not be downloaded, found on the mirror, or verified."""


class UnknownNameError(RegionlibError, KeyError):
    """A dataset, indicator or municipality name is not known."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AmbiguousNameError(RegionlibError, KeyError):
    """A municipality name matches more than one municipality."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DataFormatError(RegionlibError, ValueError):
    """A data file does not have the expected layout, encoding or content."""


class OutputError(RegionlibError):
    """An output file or folder cannot be written (bad extension, read-only, full disk …)."""


def suggest(name: str, choices: Iterable[str], *, n: int = 5) -> str:
    """Return a ``"; did you mean: a, b?"`` suffix listing the closest choices, or ``""``.

    Parameters
    ----------
    name
        The name that was not found.
    choices
        The known names.
    n
        How many suggestions at most.

    Returns
    -------
    str
        The suffix to append to an error message.
    """
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.5)
    if not close:
        close = [c for c in choices if name.lower() in c.lower()][:n]
    return f"; did you mean: {', '.join(close)}?" if close else ""
