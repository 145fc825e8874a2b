"""The notebooks are jupytext pairs (``NN-topic.ipynb`` + ``NN-topic.md``) kept in sync, stripped.

Executing them is nbmake's job (``pytest --nbmake notebooks``); these tests check what a reviewer
and a teacher rely on: both sides of each pair hold the same cells, the ``.ipynb`` carries no
outputs, Japanese prose is not broken across source lines, and code cells stay short.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAIRS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
MAX_CODE_LINES = 15
CJK = "\u3000-\u30ff\u3400-\u9fff\uff00-\uffef"
#: a line ending in Japanese text followed by a line that continues it (not a list, table, …)
BROKEN_JAPANESE = re.compile(rf"[{CJK}]\n(?![ \t]*([-*+] |\d+\. |#|\||```|>|\n))[ \t]*[^\n]")


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source.strip("\n"), list(c.metadata.get("tags", []))) for c in nb.cells]


def test_every_notebook_is_a_declared_pair():
    config = tomllib.loads((NOTEBOOKS / "jupytext.toml").read_text(encoding="utf-8"))
    assert set(config["formats"].split(",")) == {"ipynb", "md:myst"}
    texts = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.md"))
    assert texts == PAIRS
    assert {
        "00-quickstart",
        "01-compare-indicators",
        "02-similar-municipalities",
        "03-wide-area-regions",
        "04-revitalization-indicators",
        "05-workshop",
        "05-workshop-solutions",
        "06-export-for-planners",
    } <= set(PAIRS)


@pytest.mark.parametrize("name", PAIRS)
def test_pair_in_sync_and_stripped(name):
    ipynb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    text = jupytext.read(NOTEBOOKS / f"{name}.md")
    assert _cells(ipynb) == _cells(text), (
        f"notebooks/{name}.ipynb and .md differ: run `jupytext --sync notebooks/{name}.ipynb`"
    )
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}.ipynb has outputs: clear them before committing"
            assert cell.execution_count is None, name


@pytest.mark.parametrize("name", PAIRS)
def test_reading_rules(name):
    nb = jupytext.read(NOTEBOOKS / f"{name}.md")
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "RANDOM_SEED = 0" in first.source
    assert "log_console = True" not in first.source  # notebooks show no log unless needed
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            # a line break inside a Japanese sentence renders as a stray space
            broken = BROKEN_JAPANESE.search(cell.source)
            assert broken is None, f"{name}: Japanese line broken at {broken.group()!r}"
        else:
            lines = cell.source.strip("\n").count("\n") + 1
            assert lines <= MAX_CODE_LINES, f"{name}: {lines}-line cell {cell.source[:60]!r}"
