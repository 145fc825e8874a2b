"""Exception types raised by regionlib.

Every error message names the file, row, code or dataset at fault and, where one exists, what
the user can do about it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
#: quoted names and paths, which may be Japanese in a message written in English
_NAMES_AND_PATHS = re.compile(r"'[^']*'|\S*[/\\]\S*")
#: what :func:`suggest` puts in front of its choices (bilingual on its own)
_SUGGEST = "; 候補 / did you mean: "


class RegionlibError(Exception):
    """Base class of all errors regionlib raises on bad input or bad data."""

    #: what went wrong, in Japanese, said before a message written in English only
    ja = "処理を続けられません"


class DataFetchError(RegionlibError):
    """A registry file could not be downloaded, found on the mirror, or verified."""

    ja = "データを取得できません"


class UnknownNameError(RegionlibError, KeyError):
    """A dataset, indicator or municipality name is not known."""

    ja = "名前が見つかりません"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AmbiguousNameError(RegionlibError, KeyError):
    """A municipality name matches more than one municipality."""

    ja = "名前が複数の市区町村に当てはまります"

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DataFormatError(RegionlibError, ValueError):
    """A data file does not have the expected layout, encoding or content."""

    ja = "データの形式が正しくありません"


class OutputError(RegionlibError):
    """An output file or folder cannot be written (bad extension, read-only, full disk …)."""

    ja = "出力を書き出せません"


def has_japanese(text: str) -> bool:
    """Return True when ``text`` holds a Japanese character (kana, kanji, full-width form)."""
    return bool(_JAPANESE.search(str(text)))


def japanese_first(exc: BaseException) -> str:
    """Return an error's message as one line, Japanese first.

    A message that says nothing in Japanese gets its error class's Japanese summary in front
    (``名前が見つかりません / unknown dataset 'x'``); a bilingual message is kept as it is.
    A message of the form ``"{file}: 日本語 / English"`` is bilingual when the part before its
    first ``" / "`` says something in Japanese, however long the file name in front of it; a
    message without ``" / "`` is bilingual when it opens in Japanese. Quoted names and paths
    (which may be Japanese in an English message) and the suggestions of :func:`suggest` do
    not count.

    Parameters
    ----------
    exc
        The error.

    Returns
    -------
    str
        One line.
    """
    message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    said = message.split(_SUGGEST)[0]
    if " / " in said:  # "{file}: 日本語 / English": the Japanese is said before the " / "
        opening = _NAMES_AND_PATHS.sub("", said.split(" / ")[0])
    else:  # Japanese first: not a quoted name or a path that happens to be Japanese
        opening = _NAMES_AND_PATHS.sub("", said).lstrip(" :")[:10]
    if has_japanese(opening):
        return message
    summary = getattr(exc, "ja", RegionlibError.ja)
    return f"{summary} / {message}" if message else summary


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
    return f"{_SUGGEST}{', '.join(close)}?" if close else ""
