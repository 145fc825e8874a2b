"""Global settings, read by every module at call time.

Change them by assignment, for example ``rl.settings.cache_folder = "/tmp/rl"``.
A function argument left at ``None`` means "use the setting".

Attributes
----------
cache_folder : pathlib.Path
    Where downloaded files (``downloads/``) and derived products (``derived/``, GeoParquet and
    parquet keyed by the hashes of their inputs) are kept. Default: the environment variable
    ``REGIONLIB_CACHE`` if set, else the user's cache folder (``~/.cache/regionlib`` on Linux).
mirror : str or None
    Base URL that replaces ``https://raw.githubusercontent.com/`` in every registry URL, so that
    the same download-and-verify path runs against a local copy (``file:///…/github/``) or an
    intranet server. Default: the environment variable ``REGIONLIB_MIRROR``.
default_crs : str
    Geographic CRS of every GeoDataFrame regionlib returns: JGD2011 (EPSG:6668).
area_crs : str
    Equal-area projection used wherever an area, a length or a distance is computed
    (Albers conic fitted to Japan on GRS80).
random_state : int
    Seed used by every stochastic method when its ``random_state`` argument is ``None``.
log_console : bool
    Print every log record (counts of dropped rows, code changes applied, …) to stderr.
    Default False: only warnings are shown (see ``log_warnings``). ``regionlib -v`` sets it.
log_level : int
    Lowest level printed when ``log_console`` is True (default ``logging.INFO``).
log_warnings : bool
    Show warnings that change what the user should believe (values left out, islands bridged),
    each once: on stderr, or in a notebook as one short Japanese line. ``regionlib -q`` clears
    it.
progress : bool
    Show progress bars for long work (downloads), on a terminal only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

cache_folder: Path = Path(
    os.environ.get("REGIONLIB_CACHE") or platformdirs.user_cache_dir("regionlib")
)
mirror: str | None = os.environ.get("REGIONLIB_MIRROR") or None
default_crs: str = "EPSG:6668"
area_crs: str = (
    "+proj=aea +lat_0=36 +lon_0=137 +lat_1=30 +lat_2=42 +x_0=0 +y_0=0 "
    "+ellps=GRS80 +units=m +no_defs"
)
random_state: int = 0
log_console: bool = False
log_level: int = logging.INFO
log_warnings: bool = True
progress: bool = True
#: True while a ``regionlib`` command runs (set by :func:`regionlib.cli.main`): a command may
#: then skip what only a Python session needs (see :mod:`regionlib.outputs._figure`)
_command_line: bool = False
