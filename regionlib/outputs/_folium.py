"""folium, imported with the compiled code of its templates kept in the cache folder.

folium and branca define about 50 Jinja templates in their class bodies, so importing folium
compiles them all: 85 ms of its 160 ms on a 2-core machine, in every process that writes a web
map. Jinja's own bytecode cache (used for regionlib's page templates,
:func:`regionlib.outputs.report._bytecode_cache`) only serves templates loaded from files, and
folium's are made from strings. So while folium is imported here, and only then,
:meth:`jinja2.Environment.compile` is wrapped: the code of a template made from a string by a
shared (default) environment is read from ``<cache folder>/templates/strings`` when an entry for
the same source, environment settings, Jinja version and Python bytecode tag is there, and
compiled (and kept) otherwise. The wrapper is removed as soon as folium is imported, so no other
use of Jinja in the process is touched.

Import folium and branca's elements from here (``from regionlib.outputs._folium import folium``).
"""

from __future__ import annotations

import contextlib
import marshal
import sys
from collections.abc import Iterator
from pathlib import Path

import jinja2

from regionlib import settings

#: environment settings that change the code Jinja generates from a source
_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
    "autoescape",
    "finalize",
)


def folder() -> Path:
    """Return the folder of the compiled string templates."""
    return Path(settings.cache_folder) / "templates" / "strings"


def _key(env: jinja2.Environment, source: str, name, filename, defer_init: bool) -> str:
    """Cache key of one compile: a setting whose repr holds an address never matches again."""
    from regionlib.data import _cache

    return _cache.content_hash(
        jinja2.__version__,
        sys.implementation.cache_tag,
        f"{type(env).__module__}.{type(env).__qualname__}",
        repr(sorted(env.extensions)),
        *(repr(getattr(env, attr, None)) for attr in _SETTINGS),
        repr((name, filename, defer_init)),
        source,
    )[:40]


@contextlib.contextmanager
def compiled_from_cache() -> Iterator[None]:
    """Serve the compiled code of string templates from the cache while the block runs."""
    from regionlib._write import write_bytes

    original = jinja2.Environment.compile
    where = folder()

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str) or not getattr(self, "shared", False):
            return original(self, source, name, filename, raw, defer_init)
        path = where / f"{_key(self, source, name, filename, defer_init)}.marshal"
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            return marshal.loads(path.read_bytes())
        code = original(self, source, name, filename, raw, defer_init)
        with contextlib.suppress(Exception):  # a cache that cannot be written only costs this
            where.mkdir(parents=True, exist_ok=True)
            write_bytes(path, marshal.dumps(code), what="cache file")
        return code

    jinja2.Environment.compile = compile
    try:
        yield
    finally:
        jinja2.Environment.compile = original


if "folium" in sys.modules:  # imported before regionlib: its templates are compiled already
    import folium
    from branca.element import Element, Figure, MacroElement
else:
    with compiled_from_cache():
        import folium
        from branca.element import Element, Figure, MacroElement

__all__ = ["Element", "Figure", "MacroElement", "folium"]
