"""Compiled inner loops of max-p (numba): region growth, enclave assignment, local search.

Profiling showed 94 % of max-p time in the pure-Python growth of the construction phase; these
loops run on the CSR arrays of the node adjacency and release the GIL, so restarts run on both
cores in threads. Every random choice comes from numba's generator seeded per call, so a seed
gives the same labels whatever the thread scheduling.
"""

# numba seeds its own per-thread generator with np.random.seed inside compiled code (a
# Generator cannot be passed in), so the legacy calls are the right ones here.
# ruff: noqa: NPY002

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from regionlib import settings

# Compiled kernels are cached (cache=True) in the regionlib cache folder, so a process loads
# them instead of compiling them again (an installed package's folder may be read-only). The
# variable is read when numba is first imported; CACHE_DIR is set too in case it already was.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(settings.cache_folder) / "numba"))

from numba import config as _numba_config
from numba import njit

_numba_config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]


@njit(cache=True, nogil=True, inline="always")
def _add_to_frontier(
    indptr, indices, v, labels, is_core, stamp, attempt, links, front, nf
):  # pragma: no cover
    """Put the free neighbours of ``v`` on the frontier (or count one more link); new length."""
    for p in range(indptr[v], indptr[v + 1]):
        u = indices[p]
        if labels[u] < 0 and not is_core[u]:
            if stamp[u] != attempt:
                stamp[u] = attempt
                links[u] = 1
                front[nf] = u
                nf += 1
            else:
                links[u] += 1
    return nf


@njit(cache=True, nogil=True)
def grow(
    indptr, indices, weight, xsum, mass, is_core, floor, greedy, compact, sweep, seed
):  # pragma: no cover
    """Grow regions from seeds (cores first, then a random order) until they reach the floor.

    The next unit of a growing region is the frontier unit most similar to the region mean
    (``greedy``) or a random one; with ``compact``, only among the frontier units with the most
    links into the region (compact growth). Regions that cannot reach the floor dissolve into enclaves, which
    then join the most similar adjacent region. Returns the labels (-2 if a core failed) and
    the number of regions.
    """
    np.random.seed(seed)
    n = weight.shape[0]
    d = xsum.shape[1]
    labels = np.full(n, -1, dtype=np.int64)
    enclave = np.zeros(n, dtype=np.bool_)
    links = np.zeros(n, dtype=np.int64)
    stamp = np.full(n, -1, dtype=np.int64)
    front = np.empty(n, dtype=np.int64)
    members = np.empty(n, dtype=np.int64)
    rsum = np.empty(d)
    seeds = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        if is_core[i]:
            seeds[k] = i
            k += 1
    perm = np.random.permutation(n)
    for i in perm:
        if not is_core[i]:
            seeds[k] = i
            k += 1
    n_cores = 0
    for i in range(n):
        if is_core[i]:
            n_cores += 1
    bnd = np.empty(n, dtype=np.int64)  # free units next to taken ones (``sweep``)
    onb = np.zeros(n, dtype=np.bool_)
    nb = 0
    next_seed = 0
    region = 0
    attempt = 0
    while True:
        s = -1
        if sweep and nb > 0 and next_seed >= n_cores:
            # among the last free units that came next to the taken area (a window of 64, so
            # each pick costs little), the one with the fewest free neighbours
            while nb > 0 and (labels[bnd[nb - 1]] >= 0 or enclave[bnd[nb - 1]]):
                nb -= 1
            best_deg = np.inf
            seen_live = 0
            kk = nb - 1
            while kk >= 0 and seen_live < 64 and nb - kk < 4096:
                u = bnd[kk]
                kk -= 1
                if labels[u] >= 0 or enclave[u]:
                    continue
                seen_live += 1
                deg = 0.0
                for p in range(indptr[u], indptr[u + 1]):
                    v = indices[p]
                    if labels[v] < 0 and not enclave[v]:
                        deg += 1.0
                deg += 0.5 * np.random.random()
                if deg < best_deg:
                    best_deg = deg
                    s = u
        if s < 0:
            while next_seed < n and (labels[seeds[next_seed]] >= 0 or enclave[seeds[next_seed]]):
                next_seed += 1
            if next_seed == n:
                break
            s = seeds[next_seed]
            next_seed += 1
        attempt += 1
        labels[s] = region
        enclave[s] = False
        members[0] = s
        nm = 1
        nf = 0
        total = weight[s]
        msum = mass[s]
        for j in range(d):
            rsum[j] = xsum[s, j]
        nf = _add_to_frontier(indptr, indices, s, labels, is_core, stamp, attempt, links, front, nf)
        while total < floor and nf > 0:
            best_k = -1
            best_links = -1
            best_score = np.inf
            for kk in range(nf):
                u = front[kk]
                lu = links[u] if compact else 0
                if lu < best_links:
                    continue
                if greedy:
                    score = 0.0
                    for j in range(d):
                        diff = xsum[u, j] / mass[u] - rsum[j] / msum
                        score += diff * diff
                    score += 1e-12 * u
                else:
                    score = np.random.random()
                if lu > best_links or score < best_score:
                    best_links = lu
                    best_score = score
                    best_k = kk
            pick = front[best_k]
            nf -= 1
            front[best_k] = front[nf]
            labels[pick] = region
            enclave[pick] = False
            members[nm] = pick
            nm += 1
            total += weight[pick]
            msum += mass[pick]
            for j in range(d):
                rsum[j] += xsum[pick, j]
            nf = _add_to_frontier(
                indptr, indices, pick, labels, is_core, stamp, attempt, links, front, nf
            )
        if total >= floor:
            region += 1
        else:
            if is_core[s]:
                labels[:] = -2
                return labels, 0
            for m in range(nm):
                labels[members[m]] = -1
                enclave[members[m]] = True
        if sweep:
            for m in range(nm):
                v0 = members[m]
                for p in range(indptr[v0], indptr[v0 + 1]):
                    v = indices[p]
                    if labels[v] < 0 and not enclave[v] and not onb[v]:
                        onb[v] = True
                        bnd[nb] = v
                        nb += 1
    if region == 0:
        return labels, 0
    assign_enclaves(indptr, indices, labels, xsum, mass, region)
    region = split_regions(indptr, indices, labels, weight, is_core, floor, region)
    return labels, region


@njit(cache=True, nogil=True)
def split_regions(indptr, indices, labels, weight, is_core, floor, k):  # pragma: no cover
    """Split every region that holds twice the floor into two that each reach it.

    Enclaves make some regions large enough for two. A region is cut along a breadth-first
    spanning tree (from up to three roots) at the edge that leaves both sides at or above the
    floor and most balanced; the parts are tried again. Parts stay connected (tree cut), and a
    part never holds two forced cores. Returns the new number of regions.
    """
    n = labels.shape[0]
    order = np.argsort(labels, kind="mergesort")
    mem = order.copy()
    # segments [start, end) of the members of each region in ``mem``
    stack_s = np.empty(2 * n + 2, dtype=np.int64)
    stack_e = np.empty(2 * n + 2, dtype=np.int64)
    top = 0
    start = 0
    for i in range(1, n + 1):
        if i == n or labels[mem[i]] != labels[mem[start]]:
            total = 0.0
            for j in range(start, i):
                total += weight[mem[j]]
            if total >= 2 * floor:
                stack_s[top] = start
                stack_e[top] = i
                top += 1
            start = i
    bfs = np.empty(n, dtype=np.int64)
    parent = np.empty(n, dtype=np.int64)
    sub = np.empty(n)
    cores_below = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    inside = np.zeros(n, dtype=np.bool_)
    part = np.empty(n, dtype=np.int64)
    while top > 0:
        top -= 1
        s = stack_s[top]
        e = stack_e[top]
        size = e - s
        r = labels[mem[s]]
        total = 0.0
        n_cores = 0
        for j in range(s, e):
            total += weight[mem[j]]
            if is_core[mem[j]]:
                n_cores += 1
        found = -1
        for attempt in range(3):
            root = mem[s + (attempt * size) // 3]
            for j in range(s, e):
                pos[mem[j]] = -1
            pos[root] = 0
            bfs[0] = root
            parent[0] = -1
            head = 0
            tail = 1
            while head < tail:
                v = bfs[head]
                for p in range(indptr[v], indptr[v + 1]):
                    u = indices[p]
                    if labels[u] == r and pos[u] < 0:
                        pos[u] = tail
                        bfs[tail] = u
                        parent[tail] = head
                        tail += 1
                head += 1
            for j in range(tail):
                sub[j] = weight[bfs[j]]
                cores_below[j] = 1 if is_core[bfs[j]] else 0
            for j in range(tail - 1, 0, -1):
                sub[parent[j]] += sub[j]
                cores_below[parent[j]] += cores_below[j]
            best_gap = np.inf
            for j in range(1, tail):
                if sub[j] >= floor and total - sub[j] >= floor:
                    if cores_below[j] > 1 or n_cores - cores_below[j] > 1:
                        continue
                    gap = abs(sub[j] - total / 2)
                    if gap < best_gap:
                        best_gap = gap
                        found = j
            if found >= 0:
                break
        if found < 0:
            continue
        # members of the subtree below ``found`` (parents precede children in BFS order)
        for j in range(tail):
            inside[j] = j == found or (j > found and parent[j] >= 0 and inside[parent[j]])
        na = 0
        nb = 0
        for j in range(tail):
            if not inside[j]:
                part[na] = bfs[j]
                na += 1
        for j in range(tail):
            if inside[j]:
                labels[bfs[j]] = k
                part[na + nb] = bfs[j]
                nb += 1
        for j in range(size):
            mem[s + j] = part[j]
        wa = total - sub[found]
        wb = sub[found]
        k += 1
        if wa >= 2 * floor:
            stack_s[top] = s
            stack_e[top] = s + na
            top += 1
        if wb >= 2 * floor:
            stack_s[top] = s + na
            stack_e[top] = e
            top += 1
    return k


@njit(cache=True, nogil=True)
def assign_enclaves(indptr, indices, labels, xsum, mass, k):  # pragma: no cover
    """Give every unlabelled unit the most similar adjacent region, spreading out from them."""
    n = labels.shape[0]
    d = xsum.shape[1]
    rsum = np.zeros((k, d))
    rmass = np.zeros(k)
    for i in range(n):
        if labels[i] >= 0:
            rmass[labels[i]] += mass[i]
            for j in range(d):
                rsum[labels[i], j] += xsum[i, j]
    # breadth-first from the regions: a unit is assigned once a neighbour has a region
    queue = np.empty(n, dtype=np.int64)
    queued = np.zeros(n, dtype=np.bool_)
    head = 0
    tail = 0
    for i in range(n):
        if labels[i] < 0:
            for p in range(indptr[i], indptr[i + 1]):
                if labels[indices[p]] >= 0:
                    queue[tail] = i
                    tail += 1
                    queued[i] = True
                    break
    while head < tail:
        i = queue[head]
        head += 1
        best = -1
        best_score = np.inf
        for p in range(indptr[i], indptr[i + 1]):
            r = labels[indices[p]]
            if r < 0:
                continue
            score = 0.0
            for j in range(d):
                diff = rsum[r, j] / rmass[r] - xsum[i, j] / mass[i]
                score += diff * diff
            if score < best_score or (score == best_score and r < best):
                best_score = score
                best = r
        labels[i] = best
        rmass[best] += mass[i]
        for j in range(d):
            rsum[best, j] += xsum[i, j]
        for p in range(indptr[i], indptr[i + 1]):
            u = indices[p]
            if labels[u] < 0 and not queued[u]:
                queued[u] = True
                queue[tail] = u
                tail += 1


@njit(cache=True, nogil=True)
def _connected_without(
    indptr, indices, labels, i, size, stack, seen, stamp_value
):  # pragma: no cover
    """Whether region ``labels[i]`` stays connected without unit ``i`` (breadth-first search)."""
    a = labels[i]
    start = -1
    for p in range(indptr[i], indptr[i + 1]):
        if labels[indices[p]] == a:
            start = indices[p]
            break
    if start < 0:
        return False
    seen[start] = stamp_value
    seen[i] = stamp_value
    stack[0] = start
    top = 1
    reached = 1
    while top > 0:
        top -= 1
        v = stack[top]
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if labels[u] == a and seen[u] != stamp_value:
                seen[u] = stamp_value
                stack[top] = u
                top += 1
                reached += 1
    return reached == size - 1


@njit(cache=True, nogil=True)
def improve(
    indptr, indices, labels, xsum, qsum, mass, weight, is_core, floor, seed, max_passes
):  # pragma: no cover
    """Move boundary units to a neighbouring region while the within-region SSD drops.

    A move keeps the donor contiguous, non-empty and at or above the floor, and moves no core.
    Each pass visits the units in a random order; passes stop when nothing moves.
    """
    np.random.seed(seed)
    labels = labels.copy()
    n = labels.shape[0]
    d = xsum.shape[1]
    k = labels.max() + 1
    rs = np.zeros((k, d))
    rm = np.zeros(k)
    rw = np.zeros(k)
    size = np.zeros(k, dtype=np.int64)
    for i in range(n):
        r = labels[i]
        rm[r] += mass[i]
        rw[r] += weight[i]
        size[r] += 1
        for j in range(d):
            rs[r, j] += xsum[i, j]
    stack = np.empty(n, dtype=np.int64)
    seen = np.full(n, -1, dtype=np.int64)
    visit = 0
    for _ in range(max_passes):
        moved = 0
        for i in np.random.permutation(n):
            a = labels[i]
            if is_core[i] or size[a] == 1 or rw[a] - weight[i] < floor:
                continue
            # drop of the donor's SSD when i leaves it
            sa2 = 0.0
            sa_i2 = 0.0
            for j in range(d):
                sa2 += rs[a, j] * rs[a, j]
                t = rs[a, j] - xsum[i, j]
                sa_i2 += t * t
            gain_remove = qsum[i] - sa2 / rm[a] + sa_i2 / (rm[a] - mass[i])
            best = -1
            best_delta = -1e-9
            for p in range(indptr[i], indptr[i + 1]):
                b = labels[indices[p]]
                if b == a:
                    continue
                sb2 = 0.0
                sb_i2 = 0.0
                for j in range(d):
                    sb2 += rs[b, j] * rs[b, j]
                    t = rs[b, j] + xsum[i, j]
                    sb_i2 += t * t
                delta = qsum[i] + sb2 / rm[b] - sb_i2 / (rm[b] + mass[i]) - gain_remove
                if delta < best_delta or (delta == best_delta and b < best):
                    best = b
                    best_delta = delta
            if best < 0:
                continue
            visit += 1
            if not _connected_without(indptr, indices, labels, i, size[a], stack, seen, visit):
                continue
            b = best
            labels[i] = b
            size[a] -= 1
            size[b] += 1
            rm[a] -= mass[i]
            rm[b] += mass[i]
            rw[a] -= weight[i]
            rw[b] += weight[i]
            for j in range(d):
                rs[a, j] -= xsum[i, j]
                rs[b, j] += xsum[i, j]
            moved += 1
        if moved == 0:
            break
    return labels
