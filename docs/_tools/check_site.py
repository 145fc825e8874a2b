"""Check a built site: nothing loaded from the network, no broken internal link; print its size.

Every ``src``/``href`` of ``script``, ``link``, ``img``, ``iframe``, ``source``, ``video``,
``audio``, ``embed`` and ``object`` must be local (an http(s) or protocol-relative URL is an
error: the site must open with no network), and every local ``href``/``src`` of any tag must name
a file of the site, and a link to ``page.html#anchor`` an element of that page. Plain links
to other sites (``<a href="https://…">``) are allowed: they load nothing.

Usage: ``python docs/_tools/check_site.py [SITE]`` (default ``docs/_build/html``).
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOADING_TAGS = {"script", "link", "img", "iframe", "source", "video", "audio", "embed", "object"}
URL_ATTRS = {"src", "href", "data", "poster", "srcset"}
LOADING_RELS = {
    "stylesheet",
    "icon",
    "preload",
    "preconnect",
    "prefetch",
    "modulepreload",
    "manifest",
    "dns-prefetch",
}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str, bool]] = []  # (tag, attribute, url, loads)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k in ("id", "name") and v)
        rel = (dict(attrs).get("rel") or "").lower().split()
        # a <link> loads what it names unless it only describes (canonical, alternate, next …)
        loads = tag in LOADING_TAGS and (tag != "link" or bool(set(rel) & LOADING_RELS))
        for name, value in attrs:
            if name in URL_ATTRS and value:
                urls = (
                    [u.strip().split(" ")[0] for u in value.split(",")]
                    if name == "srcset"
                    else [value]
                )
                self.found.extend((tag, name, u, loads) for u in urls)


def is_remote(url: str) -> bool:
    """Whether a URL reaches the network (http, https, ftp, or protocol-relative)."""
    scheme = urlsplit(url).scheme.lower()
    return scheme in ("http", "https", "ftp", "ws", "wss") or url.startswith("//")


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def check_page(page: Path, site: Path, ids: dict[Path, set[str]] | None = None) -> list[str]:
    """The problems of one HTML page: remote resources, local links to missing files, and
    links to an anchor that the target page does not have."""
    ids = {} if ids is None else ids
    parser = _parse(page)
    ids.setdefault(page.resolve(), parser.ids)
    problems = []
    for tag, attr, url, loads in parser.found:
        where = f"{page.relative_to(site)}: <{tag} {attr}={url!r}>"
        if is_remote(url):
            if loads:
                problems.append(f"{where} loads from the network")
            continue
        parts = urlsplit(url)
        if parts.scheme in ("mailto", "data", "javascript", "tel"):
            continue
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            problems.append(f"{where} points to a missing file")
        elif parts.fragment and target.suffix == ".html" and tag == "a":
            if target not in ids:
                ids[target] = _parse(target).ids
            if unquote(parts.fragment) not in ids[target]:
                problems.append(f"{where} points to a missing anchor")
    return problems


def check_site(site: Path) -> list[str]:
    """Every problem of every page of the site."""
    problems: list[str] = []
    ids: dict[Path, set[str]] = {}
    for page in sorted(site.rglob("*.html")):
        if "_static" not in page.relative_to(site).parts:  # theme templates, not pages
            problems += check_page(page, site, ids)
    return problems


def site_size(site: Path) -> tuple[int, int]:
    """Bytes and number of files of the site."""
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0] if argv else Path(__file__).resolve().parents[1] / "_build" / "html")
    if not (site / "index.html").exists():
        print(f"check_site: no site at {site} (run make docs)", file=sys.stderr)
        return 1
    problems = check_site(site)
    for p in problems:
        print(f"check_site: {p}", file=sys.stderr)
    size, n = site_size(site)
    pages = sum(1 for _ in site.rglob("*.html"))
    print(f"site: {pages} pages, {n} files, {size / 2**20:.1f} MiB in {site}")
    if problems:
        print(f"check_site: {len(problems)} problems", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
