"""Benchmark max-p on regular grids (a stand-in for 町丁・字 or mesh cells) against pygeoda.

Run from the repository root (no data needed)::

    python benchmarks/bench_grid.py [--full] [--sizes 10000,50000] [--pygeoda-timeout 600]

Without options only the 10,000-cell grid runs (pygeoda takes minutes on it), so ``make bench``
stays reasonable; ``--full`` runs 10,000, 50,000 and 200,000 cells (pygeoda may need its whole
time limit on each of the larger two).

Each grid is side x side square cells with rook contiguity, three smooth features (sums of
random waves) plus noise, and a random integer weight (10-100 per cell) with a floor of 1,000
(about 18 cells per region). regionlib and pygeoda's ``maxp_greedy`` get the same standardised
matrix and the same links (pygeoda through a GAL file); pygeoda runs in a child process with a
time limit and its peak memory is read from the child's resource usage. Within-region sums of
squares are computed the same way for both. The line per size prints regions, SSD and time of
each, and the ratios regionlib / pygeoda measured in this run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

FLOOR = 1_000


def make_grid(n_cells: int, seed: int = 0):
    """Features, weights and rook adjacency of a square grid of about ``n_cells`` cells."""
    side = round(float(np.sqrt(n_cells)))
    rng = np.random.default_rng(seed)
    r, c = np.divmod(np.arange(side * side), side)
    u, v = r / side, c / side
    feats = []
    for _ in range(3):
        f = np.zeros(side * side)
        for _ in range(4):
            kx, ky, ph = rng.uniform(1, 6), rng.uniform(1, 6), rng.uniform(0, 2 * np.pi)
            f += np.sin(2 * np.pi * (kx * u + ky * v) + ph)
        feats.append(f + rng.normal(0, 0.3, side * side))
    x = np.column_stack(feats)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    weight = rng.integers(10, 101, side * side).astype(float)
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    n = side * side
    adj = sparse.csr_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    return x, weight, adj


def ssd(x: np.ndarray, labels) -> float:
    labels = pd.factorize(np.asarray(labels))[0]
    k = labels.max() + 1
    m = np.bincount(labels, minlength=k).astype(float)
    s = np.zeros((k, x.shape[1]))
    np.add.at(s, labels, x)
    return float((x**2).sum() - ((s**2).sum(axis=1) / m).sum())


def write_gal(adj: sparse.csr_matrix, path: Path) -> None:
    n = adj.shape[0]
    lines = [f"0 {n} grid id"]
    for i in range(n):
        nb = adj.indices[adj.indptr[i] : adj.indptr[i + 1]]
        lines.append(f"{i} {len(nb)}")
        lines.append(" ".join(map(str, nb)))
    path.write_text("\n".join(lines) + "\n")


def _pygeoda_worker(queue, x, weight, gal, threads):
    import pygeoda

    w = pygeoda.read_gal(str(gal), [str(i) for i in range(len(x))])
    data = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    t0 = time.perf_counter()
    res = pygeoda.maxp_greedy(
        w, data, pd.Series(weight), FLOOR, scale_method="raw", cpu_threads=threads
    )
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, np.asarray(res["Clusters"]).tolist(), peak_mb))


def run_pygeoda(x, weight, adj, timeout: float, threads: int):
    with tempfile.TemporaryDirectory() as tmp:
        gal = Path(tmp) / "grid.gal"
        write_gal(adj, gal)
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_pygeoda_worker, args=(queue, x, weight, gal, threads))
        proc.start()
        t0 = time.perf_counter()
        result = None
        while proc.is_alive() and time.perf_counter() - t0 < timeout:
            try:
                result = queue.get(timeout=1.0)
                break
            except Exception:  # queue.Empty: keep waiting
                continue
        if result is None and proc.is_alive():
            proc.terminate()
        proc.join()
        return result


def run_regionlib(x, weight, adj):
    from libpysal.graph import Graph

    from regionlib import regions

    n = len(x)
    ids = pd.Index([f"{i:07d}" for i in range(n)], name="code")
    frame = pd.DataFrame(x, index=ids, columns=[f"f{i}" for i in range(x.shape[1])])
    frame["w"] = weight
    g = Graph.from_sparse(adj, ids=ids)
    t0 = time.perf_counter()
    labels = regions.regionalize(
        frame,
        list(frame.columns[:-1]),
        method="maxp",
        floor=("w", FLOOR),
        graph=g,
        standardize=False,
    )
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, labels.to_numpy(), peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated grid sizes")
    parser.add_argument("--full", action="store_true", help="10,000, 50,000 and 200,000 cells")
    parser.add_argument("--pygeoda-timeout", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=2, help="pygeoda cpu_threads")
    parser.add_argument("--skip-pygeoda", action="store_true")
    args = parser.parse_args()
    targets = {50_000: 20.0, 200_000: 120.0}
    sizes = "10000,50000,200000" if args.full else args.sizes
    for size in [int(s) for s in sizes.split(",")]:
        x, weight, adj = make_grid(size)
        t_ours, lab_ours, mem_ours = run_regionlib(x, weight, adj)
        p_ours, s_ours = len(set(lab_ours)), ssd(x, lab_ours)
        line = (
            f"grid {len(x):,} cells: regionlib {t_ours:.1f} s p={p_ours} SSD={s_ours:.1f} "
            f"peak {mem_ours:.0f} MB"
        )
        if size in targets:
            ok = t_ours < targets[size] and mem_ours < 2048
            line += f" (target < {targets[size]:.0f} s, < 2 GB: {'OK' if ok else 'MISSED'})"
        if not args.skip_pygeoda:
            res = run_pygeoda(x, weight, adj, args.pygeoda_timeout, args.threads)
            if res is None:
                line += f" | pygeoda maxp_greedy did not finish in {args.pygeoda_timeout:.0f} s"
            else:
                t_pg, lab_pg, mem_pg = res
                p_pg, s_pg = len(set(lab_pg)), ssd(x, lab_pg)
                line += (
                    f" | pygeoda maxp_greedy {t_pg:.1f} s p={p_pg} SSD={s_pg:.1f} peak "
                    f"{mem_pg:.0f} MB | ratios regionlib/pygeoda: time={t_ours / t_pg:.2f} "
                    f"p={p_ours / p_pg:.3f} SSD={s_ours / s_pg:.4f} "
                    f"({'OK' if p_ours >= p_pg and s_ours < s_pg else 'MISSED'}: p >= and SSD <)"
                )
        print(line, flush=True)


if __name__ == "__main__":
    main()
