"""Sphinx configuration of the regionlib documentation site.

Why Sphinx (and not MkDocs Material): the users' other tools (geopandas, libpysal, spopt,
esda, mapclassify) publish Sphinx sites with the PyData theme, numpydoc API pages and notebook
galleries, so the layout, search and API pages look the way they expect; numpydoc reads the
docstrings regionlib already writes; MyST reads the Markdown pages and myst-nb the jupytext
notebooks; and Sphinx's own search works offline, with a Japanese word splitter built in.

The site must open with no network: no CDN, no web fonts, no analytics, no MathJax (no page
uses math). ``docs/_tools/check_site.py`` fails the build when a page loads anything by http(s)
or links to a local file that does not exist.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import regionlib_docs  # noqa: E402

import regionlib  # noqa: E402

project = "regionlib"
author = "regionlib contributors"
copyright = "regionlib contributors, MIT licence; data: see データと出典"
release = regionlib.__version__
version = release
language = "ja"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "numpydoc",
    "regionlib_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "_generated/*.md", "README.md", "**/.ipynb_checkpoints"]
templates_path: list[str] = []
html_static_path = ["_static"]

# --- MyST and the notebooks (rendered as they are committed: outputs cleared, not executed) ---
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_inline"]
myst_heading_anchors = 3
nb_execution_mode = "off"
nb_merge_streams = True

# --- API pages from the docstrings (numpydoc) ---
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Checked on every public function and class (the checks are shared with tests/test_docs.py).
numpydoc_validation_checks = regionlib_docs.VALIDATION_CHECKS
numpydoc_validation_exclude = regionlib_docs.VALIDATION_EXCLUDE
numpydoc_validation_overrides = regionlib_docs.VALIDATION_OVERRIDES

# --- warnings are errors, and every internal reference must resolve ---
nitpicky = True
# Types from other packages cannot be resolved offline (intersphinx would fetch their
# inventories); references to regionlib's own objects and pages are still checked.
nitpick_ignore_regex = [
    (r"py:(class|obj|data|exc|func|meth|attr|mod)", r"(?!regionlib\b).*"),
]
suppress_warnings = ["myst.header"]  # notebooks start at a level-1 title with numbered parts

# --- HTML: the PyData theme, everything local ---
html_theme = "pydata_sphinx_theme"
html_title = "regionlib ドキュメント"
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": [],
    "secondary_sidebar_items": ["page-toc"],
    "icon_links": [],
    "search_bar_text": "検索 / search…",
}
html_context = {"default_mode": "light"}
# pages without sub-pages need no left column (the tables of 指標一覧 get the width)
html_sidebars = {
    p: []
    for p in [
        "index",
        "getting-started",
        "data",
        "indicators",
        "methods",
        "changelog",
        "contributing",
    ]
}
html_search_language = "ja"
# Formulas in docstrings are shown as their LaTeX source (regionlib_docs): MathJax is a CDN script.
html_math_renderer = "plain"


def _api_pages() -> None:
    """One page per public module of ``regionlib._MODULES`` (and their public submodules)."""
    import importlib
    import pkgutil

    out = DOCS / "api" / "generated"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    modules = dict(regionlib._MODULES)
    for short, full in regionlib._MODULES.items():
        package = importlib.import_module(full)
        for sub in pkgutil.iter_modules(getattr(package, "__path__", [])):
            if not sub.name.startswith("_"):
                modules[f"{short}.{sub.name}"] = f"{full}.{sub.name}"
    for short, full in sorted(modules.items()):
        title = f"{short} — ``{full}``"
        # a module without __all__ (the solvers of regions) shows its docstring only
        members = "" if hasattr(importlib.import_module(full), "__all__") else "   :no-members:\n"
        out.joinpath(f"{full}.rst").write_text(
            f"{title}\n{'=' * (len(title) + 4)}\n\n.. automodule:: {full}\n{members}",
            encoding="utf-8",
        )


def _gallery() -> None:
    """Copy the notebooks (outputs cleared, as committed) into the gallery folder."""
    out = DOCS / "gallery" / "notebooks"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        shutil.copyfile(nb, out / nb.name)


_api_pages()
_gallery()
