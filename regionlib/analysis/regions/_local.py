"""Local improvement shared by the methods: move boundary nodes while the SSD drops."""

from __future__ import annotations

import numpy as np

from regionlib.analysis.regions import _kernels
from regionlib.analysis.regions._problem import Problem


def improve(
    problem: Problem,
    labels: np.ndarray,
    *,
    floor: float | None,
    seed: int,
    max_passes: int = 50,
) -> np.ndarray:
    """Move boundary nodes between neighbouring regions while the SSD decreases.

    AZP-style greedy improvement (compiled in :func:`regionlib.regions._kernels.improve`): a
    move is made when it lowers the total within-region sum of squares, keeps the donor region
    contiguous and non-empty, keeps the donor at or above the floor, and moves no forced core.
    Each pass visits the nodes in a seeded random order.

    Parameters
    ----------
    problem
        The prepared problem.
    labels
        Region label per node (0 … k-1).
    floor
        Minimum total of ``problem.weight`` per region, or None.
    seed
        Seed of the visiting orders.
    max_passes
        Most passes over the nodes.

    Returns
    -------
    numpy.ndarray
        The improved labels.
    """
    adj = problem.adjacency
    is_core = np.zeros(len(labels), dtype=np.bool_)
    is_core[problem.cores] = True
    return _kernels.improve(
        adj.indptr.astype(np.int64),
        adj.indices.astype(np.int64),
        np.asarray(labels, dtype=np.int64),
        np.ascontiguousarray(problem.xsum, dtype=float),
        problem.qsum.astype(float),
        problem.mass.astype(float),
        problem.weight.astype(float),
        is_core,
        -np.inf if floor is None else float(floor),
        int(seed),
        int(max_passes),
    )
