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

Why not spopt: ``spopt.region.MaxPHeuristic`` takes 45–125 s for Hokkaido alone and does not
finish nationwide in 10 minutes, and ``spopt.region.Skater`` does not finish 50 regions
nationwide in 10 minutes either (it re-evaluates every cut from scratch). The max-p and SKATER
below are written with numpy and :mod:`scipy.sparse.csgraph` (minimum spanning tree, connected
components) and use incremental sums, so a nationwide run takes seconds.

The package holds one module per method over a shared problem definition:
:mod:`~regionlib.regions._problem` (validation, contraction of keep-together groups, floor
feasibility), :mod:`~regionlib.regions.maxp`, :mod:`~regionlib.regions.skater`,
:mod:`~regionlib.regions.ward`, and the local improvement in :mod:`~regionlib.regions._local`.

:func:`region_table` describes the regions (members, population, core = most populous member)
and names them after their core, e.g. 「旭川圏」.
"""

from __future__ import annotations

from regionlib.regions._api import DEFAULT_COMPACTNESS, Method, regionalize
from regionlib.regions._problem import parse_floor
from regionlib.regions._table import region_name, region_table

__all__ = [
    "DEFAULT_COMPACTNESS",
    "Method",
    "parse_floor",
    "region_name",
    "region_table",
    "regionalize",
]
