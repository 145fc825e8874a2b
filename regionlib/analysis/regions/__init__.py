"""Contiguous wide-area regions of municipalities.

:func:`regionalize` groups neighbouring municipalities into regions that are internally similar
on standardised indicators, with three methods:

``"ward"``
    Ward clustering under the contiguity constraint (:class:`sklearn.cluster.AgglomerativeClustering`
    with the graph as ``connectivity``), for a given number of regions.
``"maxp"``
    max-p regionalisation: every region reaches a floor on an additive variable (e.g. population
    ≥ 200,000), as many regions as possible, then the least within-region sum of squares.
``"skater"``
    SKATER: a minimum spanning tree of the graph weighted by feature distance, cut where the
    within-region sum of squares drops most, for a given number of regions.

Why not spopt: ``spopt.region.MaxPHeuristic`` takes 13–125 s for mainland Hokkaido alone
(depending on its random draws) and does not finish nationwide in 10 minutes, and
``spopt.region.Skater`` needs 239 s for 45 regions of a 900-cell grid (it re-evaluates every
cut from scratch). The max-p and SKATER here use incremental sums, :mod:`scipy.sparse.csgraph`
(minimum spanning tree, connected components) and inner loops compiled with numba, so a
nationwide run takes well under a second (``benchmarks/bench_regions.py``,
``benchmarks/bench_grid.py``).

The package holds one module per method over a shared problem definition:
:mod:`~regionlib.regions._problem` (validation, contraction of keep-together groups, floor
feasibility), :mod:`~regionlib.regions.maxp`, :mod:`~regionlib.regions.skater`,
:mod:`~regionlib.regions.ward`, and the local improvement in :mod:`~regionlib.regions._local`.

:func:`region_table` describes the regions (members, population, core = most populous member)
and names them after their core, e.g. 「旭川圏」.
"""

from __future__ import annotations

import importlib

from regionlib.analysis.regions._problem import check_weight, parse_floor
from regionlib.analysis.regions._table import (
    SPECIAL_WARDS,
    region_name,
    region_table,
    town_units,
)

__all__ = [
    "DEFAULT_COMPACTNESS",
    "SPECIAL_WARDS",
    "Method",
    "check_options",
    "check_weight",
    "parse_floor",
    "region_name",
    "region_table",
    "regionalize",
    "town_units",
]

#: names imported on first use (PEP 562): the solvers import numba, which a map that only asks
#: for :func:`town_units` does not need
_LAZY = {
    "DEFAULT_COMPACTNESS": "_api",
    "Method": "_api",
    "check_options": "_api",
    "regionalize": "_api",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
