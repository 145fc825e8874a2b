"""Execution time of every notebook against the 60-second budget of a class, in the same run.

Each ``notebooks/NN-*.ipynb`` is executed top to bottom in a fresh kernel (as ``jupyter
nbconvert --execute`` and nbmake do), after one warm-up notebook that fills the data cache. The
reference measured in the same run is a notebook holding only the first cell (kernel start and
``import regionlib``): the ratio says how much of a notebook's time is its own work. The
workshop plan (``05-workshop``) quotes these times.

Usage::

    python benchmarks/bench_notebooks.py [NAME ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BUDGET = 60.0  # seconds per notebook on a 2-core laptop, data cached


def run(nb: nbformat.NotebookNode) -> float:
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return time.perf_counter() - start


def main(names: list[str]) -> int:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if names:
        paths = [p for p in paths if p.stem in names]
    first = nbformat.read(paths[0], as_version=4)
    run(first)  # warm-up: downloads and derived products land in the cache, not timed
    first.cells = [next(c for c in first.cells if c.cell_type == "code")]
    reference = run(first)
    print(f"reference (kernel start + import regionlib): {reference:.1f} s")
    over = 0
    for path in paths:
        seconds = run(nbformat.read(path, as_version=4))
        over += seconds > BUDGET
        flag = "" if seconds <= BUDGET else f"  OVER the {BUDGET:.0f} s budget"
        print(f"{path.stem:<32} {seconds:5.1f} s  {seconds / reference:4.1f}x reference{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
