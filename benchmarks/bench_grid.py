"""Benchmark max-p, SKATER and Ward on regular grids against pygeoda and spopt.

Run from the repository root (no data needed)::

    python benchmarks/bench_grid.py [--full] [--sizes 10000,50000] [--timeout 600]
        [--refs maxp_greedy,maxp_sa,maxp_tabu,skater,schc,spopt] [--spopt-sizes 400,900]

Grids (a stand-in for 町丁・字 or mesh cells) are side x side square cells with rook
contiguity, three smooth features (sums of random waves) plus noise, and a random integer weight
(10-100 per cell). Every method gets the same standardised matrix and the same links (pygeoda
through a GAL file, spopt through a ``libpysal`` ``W``) and within-region sums of squares (SSD)
are computed the same way for all of them.

Per grid size, regionlib runs three times:

* max-p with a floor of 1,000 on the weight (about 18 cells per region), compared with pygeoda
  ``maxp_greedy``, ``maxp_sa`` (cooling rate 0.85, one annealing run) and ``maxp_tabu`` (tabu
  length 10, 10 non-improving moves), all with their defaults of 99 greedy construction
  iterations;
* SKATER with k = cells // 20 regions (fixed, so that each reference can run on its own; close
  to the number of regions max-p finds with this floor), compared with pygeoda ``skater`` with
  the same k;
* Ward with the same k, compared with pygeoda ``schc`` with Ward linkage.

``spopt`` is slow and quadratic in memory (full distance matrices), so it runs on small grids
only (``--spopt-sizes``): ``MaxPHeuristic`` against regionlib max-p with the same floor (spopt
minimises pairwise Manhattan distances within regions, not the SSD printed here; its random
draws are seeded) and ``Skater`` against regionlib SKATER with k = cells // 20 (spopt told to
minimise squared Euclidean distances to the region means, i.e. the SSD, with no floor).

Every run, regionlib's included, happens in its own spawned child process, one at a time. The
time is that of the call alone: imports, reading the GAL file and, for regionlib, a warm-up on a
400-cell grid (numba kernels loaded from their cache, lazy imports) come first. The peak memory
is the child's peak resident set size (``ru_maxrss``), which includes the interpreter, imports
and inputs; the peak before the call is printed too ("before the call"), so the part due to the
call is the difference. Each child has a time limit (``--timeout``, counted from its start) and
its address space capped with ``RLIMIT_AS`` (``--mem-cap-gb``, 6 GB by default, 0 for none) so
that it fails instead of exhausting the machine. A child that raises ``MemoryError``, is killed
with SIGKILL or dies with a failed allocation in its error output (``std::bad_alloc`` aborts
pygeoda) is reported as "ran out of memory"; one stopped at the time limit as "did not finish
in N s" with the most memory it was seen to hold; any other death as "crashed". Ratios are
regionlib / reference, measured in the same run (time, regions for max-p, SSD, peak memory).

Without options the 10,000-cell grid runs against every reference but ``maxp_tabu`` (much
slower than the other two max-p heuristics), spopt on 400 cells and a time limit of 180 s per
run: well under 10 minutes on two cores. ``--full`` runs 10,000, 50,000 and 200,000 cells
against every reference, spopt on 400 and 900 cells, with a 600 s limit per run (hours: several
references need their whole limit). ``--threads`` is pygeoda's ``cpu_threads`` (``schc`` has
none).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import multiprocessing as mp
import os
import queue as queue_mod
import resource
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

FLOOR = 1_000
CELLS_PER_REGION = 20
#: pygeoda max-p variants, compared with regionlib max-p
MAXP_REFS = ("maxp_greedy", "maxp_sa", "maxp_tabu")
ALL_REFS = (*MAXP_REFS, "skater", "schc", "spopt")
DEFAULT_REFS = ("maxp_greedy", "maxp_sa", "skater", "schc", "spopt")
#: regionlib max-p targets: seconds per grid size (and < 2 GB peak)
TARGETS = {50_000: 20.0, 200_000: 120.0}


def make_grid(n_cells: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
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


def ssd(x: np.ndarray, labels: np.ndarray) -> float:
    """Within-region sum of squared deviations from the region means."""
    labels = pd.factorize(np.asarray(labels))[0]
    k = labels.max() + 1
    m = np.bincount(labels, minlength=k).astype(float)
    s = np.zeros((k, x.shape[1]))
    np.add.at(s, labels, x)
    return float((x**2).sum() - ((s**2).sum(axis=1) / m).sum())


def write_gal(adj: sparse.csr_matrix, path: Path) -> None:
    """Write the adjacency as a GAL file with ids 0 … n-1."""
    n = adj.shape[0]
    lines = [f"0 {n} grid id"]
    for i in range(n):
        nb = adj.indices[adj.indptr[i] : adj.indptr[i + 1]]
        lines.append(f"{i} {len(nb)}")
        lines.append(" ".join(map(str, nb)))
    path.write_text("\n".join(lines) + "\n")


# --- child processes ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """One run in a child process: labels, seconds and memory, or why there are none."""

    labels: np.ndarray | None = None
    seconds: float = float("nan")
    peak_mb: float = float("nan")
    start_mb: float = float("nan")
    failure: str | None = None


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_call(func: Callable[[], Any]) -> tuple[float, Any, float]:
    """(seconds, result, resident MB before the call) of ``func()``."""
    start_mb = _maxrss_mb()
    t0 = time.perf_counter()
    result = func()
    return time.perf_counter() - t0, result, start_mb


def _child_main(
    result_queue, mem_cap: int, stderr_path: str, target: Callable, args: tuple
) -> None:
    # the child's error output goes to a file the parent reads if the child dies
    os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
    if mem_cap > 0:
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))
    try:
        seconds, labels, start_mb = target(*args)
    except MemoryError:
        result_queue.put(("oom", "MemoryError"))
        return
    except Exception as exc:  # reported by the parent, the benchmark goes on
        result_queue.put(("error", f"{type(exc).__name__}: {exc}"))
        return
    result_queue.put(("ok", seconds, np.asarray(labels), start_mb, _maxrss_mb()))


def _peak_resident_mb(pid: int) -> float | None:
    """Peak resident size of a running process so far (Linux ``/proc``), None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


OOM_MARKERS = ("bad_alloc", "MemoryError", "Cannot allocate memory", "out of memory")


def run_child(target: Callable, args: tuple, timeout: float, mem_cap_gb: float) -> Outcome:
    """Run ``target(*args)`` in a spawned child with a time limit and an address-space cap.

    ``target`` must return ``(seconds, labels, start_mb)`` (see :func:`_timed_call`). A child
    that dies without a result ran out of memory if it was killed (SIGKILL, the kernel's
    out-of-memory killer) or its error output names a failed allocation (``std::bad_alloc``
    ends a C++ extension with SIGABRT); otherwise it crashed, and a segmentation fault under the
    cap may still be a refused allocation (pygeoda's max-p dies so when its pairwise distance
    matrix, 4 n² bytes, does not fit under the cap).
    """
    ctx = mp.get_context("spawn")
    result_queue = ctx.Queue()
    mem_cap = int(mem_cap_gb * 1024**3)
    with tempfile.TemporaryDirectory() as tmp:
        stderr_path = str(Path(tmp) / "stderr.txt")
        proc = ctx.Process(
            target=_child_main, args=(result_queue, mem_cap, stderr_path, target, args)
        )
        t0 = time.perf_counter()
        proc.start()
        msg, resident = None, None
        while time.perf_counter() - t0 < timeout:
            try:
                msg = result_queue.get(timeout=1.0)
                break
            except queue_mod.Empty:
                resident = _peak_resident_mb(proc.pid) or resident
                if not proc.is_alive():
                    # the result may have arrived just before the child ended
                    with contextlib.suppress(queue_mod.Empty):
                        msg = result_queue.get(timeout=1.0)
                    break
        seen = "" if resident is None else f", {resident:,.0f} MB resident at most"
        if msg is None and proc.is_alive():
            proc.terminate()
            proc.join()
            return Outcome(failure=f"did not finish in {timeout:.0f} s{seen}")
        proc.join()
        errors = Path(stderr_path).read_text(errors="replace") if Path(stderr_path).exists() else ""
    if msg is None:
        code = proc.exitcode or 0
        name = signal.Signals(-code).name if code < 0 else f"exit code {code}"
        lines = errors.strip().splitlines()
        last = f": {lines[-1].strip()}" if lines else ""
        cap = f"{mem_cap_gb:g} GB cap" if mem_cap else "no cap"
        if code == -signal.SIGKILL or any(m in errors for m in OOM_MARKERS):
            return Outcome(failure=f"ran out of memory ({name}{last}; {cap}{seen})")
        if mem_cap and code in (-signal.SIGSEGV, -signal.SIGBUS):
            # a C extension that does not check malloc dies so when an allocation is refused
            return Outcome(
                failure=f"crashed ({name}{last}{seen}); perhaps out of memory: an allocation "
                f"refused under the {mem_cap_gb:g} GB cap ends so, a larger --mem-cap-gb tells"
            )
        return Outcome(failure=f"crashed ({name}{last}{seen})")
    if msg[0] == "oom":
        return Outcome(failure=f"ran out of memory (MemoryError under the {mem_cap_gb:g} GB cap)")
    if msg[0] == "error":
        return Outcome(failure=f"failed: {msg[1]}")
    _, seconds, labels, start_mb, peak_mb = msg
    return Outcome(labels=labels, seconds=seconds, peak_mb=peak_mb, start_mb=start_mb)


def _regionlib_target(
    method: str, x: np.ndarray, weight: np.ndarray, adj: sparse.csr_matrix, k: int
) -> tuple[float, np.ndarray, float]:
    from libpysal.graph import Graph

    from regionlib import regions

    def call(
        x: np.ndarray, weight: np.ndarray, adj: sparse.csr_matrix, k: int
    ) -> Callable[[], pd.Series]:
        ids = pd.Index([f"{i:07d}" for i in range(len(x))], name="code")
        frame = pd.DataFrame(x, index=ids, columns=[f"f{i}" for i in range(x.shape[1])])
        frame["w"] = weight
        options: dict[str, Any] = {"floor": ("w", FLOOR)} if method == "maxp" else {"n_regions": k}
        g = Graph.from_sparse(adj, ids=ids)
        return lambda: regions.regionalize(
            frame, list(frame.columns[:-1]), method=method, graph=g, standardize=False, **options
        )

    xs, ws, adjs = make_grid(400, seed=1)  # warm-up: compiled kernels, lazy imports
    call(xs, ws, adjs, len(xs) // CELLS_PER_REGION)()
    seconds, labels, start_mb = _timed_call(call(x, weight, adj, k))
    return seconds, labels.to_numpy(), start_mb


def pygeoda_target(
    name: str, lead: tuple, tail: tuple, kwargs: dict, x: np.ndarray, adj: sparse.csr_matrix
) -> tuple[float, np.ndarray, float]:
    """``pygeoda.<name>(*lead, w, data, *tail, **kwargs)``."""
    import pygeoda

    with tempfile.TemporaryDirectory() as tmp:
        gal = Path(tmp) / "grid.gal"
        write_gal(adj, gal)
        w = pygeoda.read_gal(str(gal), [str(i) for i in range(len(x))])
    data = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    func = getattr(pygeoda, name)
    seconds, res, start_mb = _timed_call(lambda: func(*lead, w, data, *tail, **kwargs))
    return seconds, np.asarray(res["Clusters"]), start_mb


def _spopt_target(
    name: str, x: np.ndarray, weight: np.ndarray, adj: sparse.csr_matrix, k: int
) -> tuple[float, np.ndarray, float]:
    import warnings

    from libpysal.weights import WSP
    from sklearn.metrics.pairwise import euclidean_distances
    from spopt.region import MaxPHeuristic, Skater

    warnings.filterwarnings("ignore")
    np.random.seed(0)  # noqa: NPY002 (spopt draws from numpy's global generator)
    w = WSP(sparse.csr_matrix(adj)).to_W(silence_warnings=True)
    cols = [f"f{i}" for i in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=cols).assign(w=weight)
    if name == "MaxPHeuristic":
        model = MaxPHeuristic(frame, w, cols, "w", FLOOR, top_n=2)
    else:
        sq = functools.partial(euclidean_distances, squared=True)
        model = Skater(frame, w, cols, n_clusters=k, spanning_forest_kwds={"dissimilarity": sq})
    seconds, _, start_mb = _timed_call(model.solve)
    return seconds, np.asarray(model.labels_), start_mb


# --- report ------------------------------------------------------------------------------------


def describe(label: str, x: np.ndarray, out: Outcome, with_p: bool) -> str:
    """One line: regions, SSD, seconds and memory of a run, or why it has none."""
    if out.labels is None:
        return f"  {label:<26} {out.failure}"
    p = f"p={len(set(out.labels.tolist()))} " if with_p else ""
    return (
        f"  {label:<26} {out.seconds:8.2f} s  {p}SSD={ssd(x, out.labels):.1f}  peak "
        f"{out.peak_mb:,.0f} MB (before the call {out.start_mb:,.0f})"
    )


def ratios(x: np.ndarray, ours: Outcome, ref: Outcome, with_p: bool) -> str:
    """Ratios regionlib / reference and whether regionlib is ahead."""
    if ours.labels is None or ref.labels is None:
        return ""
    p_ours, p_ref = len(set(ours.labels.tolist())), len(set(ref.labels.tolist()))
    s_ours, s_ref = ssd(x, ours.labels), ssd(x, ref.labels)
    text = f"      regionlib/reference: time={ours.seconds / ref.seconds:.3g} "
    if with_p:
        text += f"p={p_ours / p_ref:.3f} "
    text += f"SSD={s_ours / s_ref:.4f} peak={ours.peak_mb / ref.peak_mb:.2f}"
    if with_p:
        ahead = p_ours > p_ref or (p_ours == p_ref and s_ours < s_ref)
        text += f" ({'ahead' if ahead else 'BEHIND'}: more regions, or as many and lower SSD)"
    elif np.isclose(s_ours, s_ref, rtol=1e-9):
        text += " (same SSD)"
    else:
        text += f" ({'ahead' if s_ours < s_ref else 'BEHIND'} on SSD)"
    return text


def report(label: str, x: np.ndarray, ours: Outcome, ref: Outcome, with_p: bool) -> None:
    print(describe(label, x, ref, with_p), flush=True)
    line = ratios(x, ours, ref, with_p)
    if line:
        print(line, flush=True)


def bench_size(size: int, refs: list[str], args: argparse.Namespace) -> None:
    x, weight, adj = make_grid(size)
    n = len(x)
    k = n // CELLS_PER_REGION
    side = round(float(np.sqrt(n)))
    print(f"\ngrid {n:,} cells ({side} x {side}), max-p floor {FLOOR:,}, k={k:,}", flush=True)

    def child(target: Callable, targs: tuple) -> Outcome:
        return run_child(target, targs, args.timeout, args.mem_cap_gb)

    ours = {}
    for method, label in (("maxp", "max-p"), ("skater", "SKATER"), ("ward", "Ward")):
        ours[method] = child(_regionlib_target, (method, x, weight, adj, k))
        line = describe(f"regionlib {label}", x, ours[method], method == "maxp")
        out = ours[method]
        if method == "maxp" and size in TARGETS and out.labels is not None:
            ok = out.seconds < TARGETS[size] and out.peak_mb < 2048
            line += f"  (target < {TARGETS[size]:.0f} s, < 2 GB: {'OK' if ok else 'MISSED'})"
        print(line, flush=True)

    common = {"scale_method": "raw"}
    threads = {"cpu_threads": args.threads}
    for ref in refs:
        if ref in MAXP_REFS:
            call = (ref, (), (pd.Series(weight), FLOOR), {**common, **threads}, x, adj)
            report(f"pygeoda {ref}", x, ours["maxp"], child(pygeoda_target, call), True)
        elif ref == "skater":
            call = ("skater", (k,), (), {**common, **threads}, x, adj)
            report("pygeoda skater", x, ours["skater"], child(pygeoda_target, call), False)
        elif ref == "schc":
            call = ("schc", (k,), ("ward",), common, x, adj)
            report("pygeoda schc (ward)", x, ours["ward"], child(pygeoda_target, call), False)


def bench_spopt(size: int, args: argparse.Namespace) -> None:
    x, weight, adj = make_grid(size)
    n = len(x)
    k = n // CELLS_PER_REGION
    print(f"\nspopt subset: grid {n:,} cells, max-p floor {FLOOR:,}, k={k}", flush=True)
    for method, label, name in (("maxp", "max-p", "MaxPHeuristic"), ("skater", "SKATER", "Skater")):
        ours = run_child(
            _regionlib_target, (method, x, weight, adj, k), args.timeout, args.mem_cap_gb
        )
        print(describe(f"regionlib {label}", x, ours, method == "maxp"), flush=True)
        ref = run_child(_spopt_target, (name, x, weight, adj, k), args.timeout, args.mem_cap_gb)
        report(f"spopt {name}", x, ours, ref, method == "maxp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated grid sizes (default 10000)")
    parser.add_argument("--full", action="store_true", help="every size and reference")
    parser.add_argument(
        "--refs", help=f"comma-separated references out of {','.join(ALL_REFS)}, or 'none'"
    )
    parser.add_argument("--spopt-sizes", help="spopt grid sizes (default 400, --full 400,900)")
    parser.add_argument("--timeout", type=float, help="seconds per run (default 180, --full 600)")
    parser.add_argument("--mem-cap-gb", type=float, default=6.0, help="address-space cap, 0: none")
    parser.add_argument("--threads", type=int, default=2, help="pygeoda cpu_threads")
    args = parser.parse_args()
    sizes = args.sizes or ("10000,50000,200000" if args.full else "10000")
    spopt_sizes = "400,900" if args.full else "400"
    if args.timeout is None:
        args.timeout = 600.0 if args.full else 180.0
    if args.refs is None:
        refs = list(ALL_REFS if args.full else DEFAULT_REFS)
    elif args.refs == "none":
        refs = []
    else:
        refs = [r.strip() for r in args.refs.split(",")]
        unknown = sorted(set(refs) - set(ALL_REFS))
        if unknown:
            parser.error(f"unknown references {unknown}; choose from {', '.join(ALL_REFS)}")
    t0 = time.perf_counter()
    print(
        f"references: {', '.join(refs) or 'none'}; time limit {args.timeout:.0f} s per run, "
        f"address space capped at {args.mem_cap_gb:g} GB, pygeoda cpu_threads={args.threads}",
        flush=True,
    )
    for size in [int(s) for s in sizes.split(",")]:
        bench_size(size, [r for r in refs if r != "spopt"], args)
    if "spopt" in refs:
        for size in [int(s) for s in (args.spopt_sizes or spopt_sizes).split(",")]:
            bench_spopt(size, args)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
