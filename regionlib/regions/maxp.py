"""max-p regionalisation: as many regions as possible that each reach a floor, then least SSD.

Construction (Duque, Anselin & Rey 2012): regions grow from seeds (forced cores first) by the
unassigned neighbour closest to their mean or by a random one until they reach the floor; the
nodes left over (enclaves) join the most similar adjacent region. Restarts alternate greedy and
random growth; the best partitions (most regions, then least SSD) are improved by
:func:`regionlib.regions._local.improve`.
"""

from __future__ import annotations

import numpy as np

from regionlib._errors import RegionlibError
from regionlib.regions._local import improve
from regionlib.regions._problem import (
    Problem,
    check_floor_feasible,
    neighbour_lists,
    total_ssd,
)


def construct(
    problem: Problem,
    floor: float,
    nbrs: list[np.ndarray],
    rng: np.random.Generator,
    *,
    greedy: bool,
) -> np.ndarray | None:
    """Grow regions from seeds until they reach the floor, then assign the enclaves.

    Seeds are the forced cores, then the other nodes in a random order. A region grows by the
    unassigned neighbour closest to its mean (``greedy``) or by a random one. Regions that run
    out of neighbours before the floor dissolve into enclaves; enclaves join the adjacent region
    closest in feature space. Returns None if a forced core cannot reach the floor.
    """
    n = len(problem.mass)
    mean = problem.mean
    w = problem.weight
    is_core = np.zeros(n, dtype=bool)
    is_core[problem.cores] = True
    labels = np.full(n, -1, dtype=np.int64)
    enclave = np.zeros(n, dtype=bool)
    n_regions = 0
    seeds = list(problem.cores) + [int(s) for s in rng.permutation(n) if not is_core[s]]
    for s in seeds:
        if labels[s] >= 0 or enclave[s]:
            continue
        members = [s]
        labels[s] = n_regions
        total = w[s]
        xs = problem.xsum[s].copy()
        ms = problem.mass[s]
        frontier: set[int] = set()
        for u in nbrs[s]:
            if labels[u] < 0 and not is_core[u]:
                frontier.add(int(u))
        while total < floor and frontier:
            cand = np.fromiter(frontier, dtype=np.int64, count=len(frontier))
            if greedy:
                diff = mean[cand] - xs / ms
                pick = int(cand[np.argmin(np.einsum("ij,ij->i", diff, diff) + 1e-9 * cand)])
            else:
                pick = int(cand[rng.integers(len(cand))])
            frontier.discard(pick)
            members.append(pick)
            labels[pick] = n_regions
            enclave[pick] = False
            total += w[pick]
            xs += problem.xsum[pick]
            ms += problem.mass[pick]
            for u in nbrs[pick]:
                if labels[u] < 0 and not is_core[u]:
                    frontier.add(int(u))
        if total >= floor:
            n_regions += 1
        else:
            if is_core[s]:
                return None
            labels[members] = -1
            enclave[members] = True
    if n_regions == 0:
        return None
    # enclaves join the most similar adjacent region, repeatedly, in a fixed order
    k = n_regions
    assigned = labels >= 0
    rsum = np.zeros((k, problem.xsum.shape[1]))
    np.add.at(rsum, labels[assigned], problem.xsum[assigned])
    rmass = np.bincount(labels[assigned], weights=problem.mass[assigned], minlength=k)
    pending = np.flatnonzero(labels < 0).tolist()
    while pending:
        rest = []
        for i in pending:
            near = {int(labels[u]) for u in nbrs[i] if labels[u] >= 0}
            if not near:
                rest.append(i)
                continue
            opts = np.array(sorted(near))
            diff = rsum[opts] / rmass[opts, None] - mean[i]
            r = int(opts[np.argmin(np.einsum("ij,ij->i", diff, diff))])
            labels[i] = r
            rsum[r] += problem.xsum[i]
            rmass[r] += problem.mass[i]
        if len(rest) == len(pending):
            return None  # a component without any region: ruled out by the feasibility check
        pending = rest
    return labels


def solve(
    problem: Problem,
    floor: float,
    *,
    n_restarts: int,
    local_search: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """Solve max-p on ``problem``: restarts of :func:`construct`, then local improvement.

    Parameters
    ----------
    problem
        The prepared problem.
    floor
        Minimum total of ``problem.weight`` per region.
    n_restarts
        Construction restarts (alternating greedy and random growth).
    local_search
        Improve the best partitions by moving boundary nodes.
    rng
        Random generator (seeded by the caller).

    Returns
    -------
    numpy.ndarray
        Region label per node.
    """
    check_floor_feasible(problem, floor)
    nbrs = neighbour_lists(problem.adjacency)
    candidates = []
    for t in range(n_restarts):
        labels = construct(problem, floor, nbrs, rng, greedy=t % 2 == 0)
        if labels is None:
            continue
        candidates.append((-(int(labels.max()) + 1), total_ssd(problem, labels), t, labels))
    if not candidates:
        raise RegionlibError(
            f"no partition meets the floor {floor:,.0f} with the forced cores given: a core "
            "is boxed in by other cores; remove a core or lower the floor"
        )
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    best_p = candidates[0][0]
    best = [c for c in candidates if c[0] == best_p][:3]
    if not local_search:
        return best[0][3]
    improved = []
    for _, _, t, labels in best:
        out = improve(problem, labels, floor=floor, rng=rng)
        improved.append((total_ssd(problem, out), t, out))
    improved.sort(key=lambda c: (c[0], c[1]))
    return improved[0][2]
