"""regionlib: compare Japan's municipalities.

Modules, not names, are the public API (``rl.datasets.get_path(...)``).
"""

from importlib.metadata import PackageNotFoundError, version

from regionlib import datasets, settings

try:
    __version__ = version("regionlib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__", "datasets", "settings"]
