"""Local improvement shared by the methods: move boundary nodes while the SSD drops."""

from __future__ import annotations

import numpy as np

from regionlib.regions._problem import Problem, neighbour_lists


def connected_without(members: set[int], removed: int, nbrs: list[np.ndarray]) -> bool:
    """Whether ``members - {removed}`` is still connected (breadth-first search)."""
    rest = members - {removed}
    if len(rest) <= 1:
        return True
    start = next(iter(rest))
    seen = {start}
    stack = [start]
    while stack:
        v = stack.pop()
        for u in nbrs[v]:
            u = int(u)
            if u in rest and u not in seen:
                seen.add(u)
                stack.append(u)
    return len(seen) == len(rest)


def improve(
    problem: Problem,
    labels: np.ndarray,
    *,
    floor: float | None,
    rng: np.random.Generator,
    max_passes: int = 50,
) -> np.ndarray:
    """Move boundary municipalities between neighbouring regions while the SSD decreases.

    AZP-style greedy improvement: a move is made when it lowers the total within-region sum of
    squares, keeps the donor region contiguous and non-empty, keeps the donor at or above the
    floor, and moves no forced core. Each pass visits the nodes in a seeded random order.
    """
    labels = labels.copy()
    nbrs = neighbour_lists(problem.adjacency)
    k = int(labels.max()) + 1
    mass = np.bincount(labels, weights=problem.mass, minlength=k)
    qsum = np.bincount(labels, weights=problem.qsum, minlength=k)
    wsum = np.bincount(labels, weights=problem.weight, minlength=k)
    xsum = np.zeros((k, problem.xsum.shape[1]))
    np.add.at(xsum, labels, problem.xsum)
    members: list[set[int]] = [set() for _ in range(k)]
    for i, r in enumerate(labels):
        members[r].add(i)
    is_core = np.zeros(len(labels), dtype=bool)
    is_core[problem.cores] = True
    node_x, node_q, node_m, node_w = problem.xsum, problem.qsum, problem.mass, problem.weight
    for _ in range(max_passes):
        moved = 0
        for i in rng.permutation(len(labels)):
            a = labels[i]
            if is_core[i] or len(members[a]) == 1:
                continue
            if floor is not None and wsum[a] - node_w[i] < floor:
                continue
            targets = {int(labels[u]) for u in nbrs[i]} - {a}
            if not targets:
                continue
            xi, qi, mi = node_x[i], node_q[i], node_m[i]
            sa = xsum[a]
            # drop of the donor's SSD when i leaves it
            gain_remove = qi - (sa @ sa) / mass[a] + ((sa - xi) @ (sa - xi)) / (mass[a] - mi)
            best, best_delta = -1, -1e-9
            for b in sorted(targets):
                sb = xsum[b]
                delta_add = qi + (sb @ sb) / mass[b] - ((sb + xi) @ (sb + xi)) / (mass[b] + mi)
                delta = delta_add - gain_remove
                if delta < best_delta:
                    best, best_delta = b, delta
            if best < 0 or not connected_without(members[a], int(i), nbrs):
                continue
            b = best
            labels[i] = b
            members[a].discard(int(i))
            members[b].add(int(i))
            mass[a] -= mi
            mass[b] += mi
            qsum[a] -= qi
            qsum[b] += qi
            wsum[a] -= node_w[i]
            wsum[b] += node_w[i]
            xsum[a] = sa - xi
            xsum[b] = xsum[b] + xi
            moved += 1
        if not moved:
            break
    return labels
