"""Benchmark regionlib's regionalisation against pygeoda (and spopt on Hokkaido).

Run from the repository root with the data mirror or cache configured::

    python benchmarks/bench_regions.py [--spopt-timeout 150] [--skip-spopt]
        [--pygeoda-timeout 600]

Inputs: the 1,741 municipalities (1 % boundaries), 10 catalogue indicators standardised
(z-scores; flagged and missing values set to the median, as ``regionalize(missing="median")``
does: the references get the very matrix regionlib builds),
the Queen contiguity graph with islands bridged to their nearest municipality (connected, so
pygeoda — which crashes the interpreter on a disconnected graph — gets the very same links
through a GAL file). Every method sees the same standardised matrix; pygeoda is told not to
rescale (``scale_method="raw"``). Within-region sums of squares are computed the same way for
all of them.

References, each run in this process right after regionlib and printed with the ratios
regionlib / reference: Ward (50 regions) against pygeoda ``schc`` with Ward linkage, SKATER (50
regions) against pygeoda ``skater``, max-p (population floor 200,000) against pygeoda
``maxp_greedy``, ``maxp_sa`` and ``maxp_tabu`` with their default settings (each in a child
process with a time limit and its peak memory, as in ``bench_grid.py``), and spopt
``MaxPHeuristic`` on mainland Hokkaido (in a child process with a time limit). Ward and SKATER
times are medians of three runs, the others single runs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

# the sibling script (this directory is on sys.path when a script runs from it)
from bench_grid import pygeoda_target, run_child

from regionlib import evaluate, graph, regions, table
from regionlib.analysis.regions._problem import feature_matrix

INDICATORS = [
    "population_change_2015_2020",
    "aging_rate",
    "child_share",
    "density_habitable",
    "primary_share",
    "tertiary_share",
    "unemployment_rate",
    "fiscal_strength_index",
    "income_per_taxpayer",
    "doctors_per_10k",
]
POP = "population_2020"
FLOOR = 200_000


def timed(func, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def verdict(ours: float, ref: float) -> str:
    """Whether regionlib's within-region sum of squares is lower than the reference's."""
    if np.isclose(ours, ref, rtol=1e-9):
        return "same SSD"
    return f"{'ahead' if ours < ref else 'BEHIND'} on SSD"


def standardized(frame: pd.DataFrame) -> pd.DataFrame:
    """The matrix ``regionalize(missing="median")`` builds, for the references."""
    x = feature_matrix(frame, INDICATORS, standardize=True, missing="median")
    return pd.DataFrame(x, index=frame.index, columns=INDICATORS)


def write_gal(g, index: pd.Index, path: Path) -> None:
    adj = graph.adjacency_matrix(g, index)
    with open(path, "w") as f:
        f.write(f"0 {len(index)} regions id\n")
        for i in range(len(index)):
            nb = adj.indices[adj.indptr[i] : adj.indptr[i + 1]]
            f.write(f"{i} {len(nb)}\n{' '.join(map(str, nb))}\n")


def ssd(frame: pd.DataFrame, labels) -> float:
    labels = pd.Series(np.asarray(labels), index=frame.index)
    return evaluate.sum_of_squares(frame, labels, INDICATORS, missing="median")[0]


def _spopt_worker(queue, gdf, n_attrs):
    import warnings

    from libpysal.graph import Graph
    from spopt.region import MaxPHeuristic

    warnings.filterwarnings("ignore")
    g = Graph.build_contiguity(gdf, rook=False)
    w = g.to_W()
    t0 = time.perf_counter()
    model = MaxPHeuristic(gdf, w, [f"f{i}" for i in range(n_attrs)], POP, FLOOR, top_n=2)
    model.solve()
    queue.put((time.perf_counter() - t0, np.asarray(model.labels_).tolist()))


def run_spopt_hokkaido(frame: pd.DataFrame, timeout: float):
    hok = frame[frame["pref_code"] == "01"]
    # spopt needs neighbours for every unit: Hokkaido's island towns are bridged here too
    x = standardized(frame).loc[hok.index]
    gdf = hok[[POP, "geometry"]].copy()
    for i, col in enumerate(INDICATORS):
        gdf[f"f{i}"] = x[col].to_numpy()
    gdf = gdf.reset_index(drop=True)
    # mainland Hokkaido only (largest land-connected part): spopt builds its own graph
    parts = graph.components(graph.contiguity(hok, islands="keep"), hok.index)
    keep = (parts == parts.value_counts().idxmax()).to_numpy()
    gdf = gdf[keep].reset_index(drop=True)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_spopt_worker, args=(queue, gdf, len(INDICATORS)))
    t0 = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, time.perf_counter() - t0, hok[keep]
    if queue.empty():
        return None, float("nan"), hok[keep]
    seconds, labels = queue.get()
    return labels, seconds, hok[keep]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spopt-timeout", type=float, default=150.0)
    parser.add_argument("--skip-spopt", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="pygeoda cpu_threads")
    parser.add_argument(
        "--pygeoda-timeout", type=float, default=600.0, help="seconds per pygeoda max-p run"
    )
    args = parser.parse_args()

    import pygeoda

    frame = table.load_table([*INDICATORS, POP])
    print(f"{len(frame)} municipalities, {len(INDICATORS)} indicators, cores={os.cpu_count()}")
    x = standardized(frame)

    g, t_graph = timed(lambda: graph.contiguity(frame), repeat=3)
    print(f"contiguity graph: {t_graph:.3f} s, components={g.n_components}, links={g.n_edges // 2}")

    # --- Ward, 50 regions, including the graph build -------------------------------------
    def ward():
        gg = graph.contiguity(frame)
        return regions.regionalize(
            frame, INDICATORS, method="ward", n_regions=50, graph=gg, missing="median"
        )

    # pygeoda with the same, connected weights
    with tempfile.TemporaryDirectory() as tmp:
        gal = Path(tmp) / "w.gal"
        write_gal(g, frame.index, gal)
        w = pygeoda.read_gal(str(gal), [str(i) for i in range(len(frame))])
    data = pd.DataFrame(x.to_numpy(), columns=[f"f{i}" for i in range(x.shape[1])])

    lab_ward, t_ward = timed(ward, repeat=3)
    print(
        f"\nWard 50 (incl. graph): {t_ward:.3f} s  SSD={ssd(frame, lab_ward):.1f}  "
        f"target < 1 s: {'OK' if t_ward < 1 else 'MISSED'}"
    )
    # against pygeoda's schc (Ward linkage), both given the graph
    lab_wg, t_wg = timed(
        lambda: regions.regionalize(
            frame, INDICATORS, method="ward", n_regions=50, graph=g, missing="median"
        ),
        repeat=3,
    )
    res_schc, t_schc = timed(
        lambda: pygeoda.schc(50, w, data, "ward", scale_method="raw"),
        repeat=3,
    )
    s_ours, s_pg = ssd(frame, lab_wg), ssd(frame, res_schc["Clusters"])
    print(
        f"  graph given  ours: {t_wg:.3f} s SSD={s_ours:.1f} | pygeoda schc (ward): "
        f"{t_schc:.3f} s SSD={s_pg:.1f} | ratios ours/pygeoda: time={t_wg / t_schc:.2f} "
        f"SSD={s_ours / s_pg:.4f} ({verdict(s_ours, s_pg)})"
    )

    # --- SKATER, 50 regions ------------------------------------------------------------------
    lab_sk, t_sk = timed(
        lambda: regions.regionalize(
            frame, INDICATORS, method="skater", n_regions=50, graph=g, missing="median"
        ),
        repeat=3,
    )
    res_pg, t_pg = timed(
        lambda: pygeoda.skater(50, w, data, scale_method="raw", cpu_threads=args.threads),
        repeat=3,
    )
    s_ours, s_pg = ssd(frame, lab_sk), ssd(frame, res_pg["Clusters"])
    print(
        f"\nSKATER 50  ours: {t_sk:.3f} s SSD={s_ours:.1f} | pygeoda: {t_pg:.3f} s "
        f"SSD={s_pg:.1f} | time ratio ours/pygeoda={t_sk / t_pg:.2f}, "
        f"SSD ratio={s_ours / s_pg:.4f}; target < 5 s and SSD <= pygeoda: "
        f"{'OK' if t_sk < 5 and s_ours <= s_pg + 1e-6 else 'MISSED'}"
    )

    # --- max-p, floor 200,000 ------------------------------------------------------------------
    floor = (POP, FLOOR)
    lab_mp, t_mp = timed(
        lambda: regions.regionalize(
            frame, INDICATORS, method="maxp", floor=floor, graph=g, missing="median"
        )
    )
    p_ours, m_ours = lab_mp.nunique(), ssd(frame, lab_mp)
    check = evaluate.evaluate(frame, lab_mp, floor=floor, graph=g)
    print(
        f"\nmax-p {FLOOR:,}  ours: {t_mp:.2f} s p={p_ours} SSD={m_ours:.1f} "
        f"(floor ok={check['floor_ok']}, contiguous={check['contiguous']}); "
        f"target < 30 s: {'OK' if t_mp < 30 else 'MISSED'}"
    )
    # pygeoda's max-p heuristics with their defaults (99 greedy construction iterations; SA
    # cooling rate 0.85, one annealing run; tabu length 10, 10 non-improving moves), each in a
    # child process with a time limit, as in bench_grid
    adj = graph.adjacency_matrix(g, frame.index)
    for name in ("maxp_greedy", "maxp_sa", "maxp_tabu"):
        kwargs = {"scale_method": "raw", "cpu_threads": args.threads}
        tail = (frame[POP].astype(float).reset_index(drop=True), FLOOR)
        out = run_child(
            pygeoda_target, (name, (), tail, kwargs, x.to_numpy(), adj), args.pygeoda_timeout, 6.0
        )
        if out.labels is None:
            print(f"  pygeoda {name:<12} {out.failure}")
            continue
        p_pg, m_pg = len(set(out.labels.tolist())), ssd(frame, out.labels)
        ahead = p_ours > p_pg or (p_ours == p_pg and m_ours < m_pg)
        print(
            f"  pygeoda {name:<12} {out.seconds:7.2f} s p={p_pg} SSD={m_pg:.1f} (peak "
            f"{out.peak_mb:,.0f} MB) | ratios ours/pygeoda: time={t_mp / out.seconds:.3f} "
            f"p={p_ours / p_pg:.3f} SSD={m_ours / m_pg:.4f} "
            f"({'ahead' if ahead else 'BEHIND'}: more regions, or as many and lower SSD)"
        )

    # --- compactness trade-off ----------------------------------------------------------------
    print(
        "\ncompactness weight (default "
        f"{regions.DEFAULT_COMPACTNESS}): regions, SSD, isoperimetric quotient min / median "
        "(whole region, islands included) and min of the largest land piece"
    )
    for method, kwargs in (("maxp", {"floor": floor}), ("skater", {"n_regions": 50})):
        base = None
        for weight in (0.0, 0.1, 0.3, 1.0, 3.0):
            lab, t_c = timed(
                lambda method=method, kwargs=kwargs, weight=weight: regions.regionalize(
                    frame,
                    INDICATORS,
                    method=method,
                    graph=g,
                    missing="median",
                    compactness=weight,
                    **kwargs,
                )
            )
            iq = evaluate.compactness(frame, lab)
            body = evaluate.compactness(frame, lab, parts="largest")
            base = base or lab.nunique()
            print(
                f"  {method} {weight:>4}: {t_c:5.2f} s regions={lab.nunique()} "
                f"({lab.nunique() / base:.0%}) SSD={ssd(frame, lab):.1f} IPQ min={iq.min():.3f} "
                f"median={iq.median():.3f} largest piece min={body.min():.3f}"
            )

    # --- nested levels: commuting zones -> 200,000 -> 5 million ---------------------------------
    from regionlib import nested

    levels = ["commuting_zones", "population:200000", "population:5000000"]
    res_n, t_n = timed(
        lambda: nested.propose_levels(
            frame, INDICATORS, levels, floor_columns={"population": POP}, missing="median"
        )
    )
    ev = res_n.evaluation
    print(
        f"\nnested {' -> '.join(levels)} (incl. graph and evaluation): {t_n:.2f} s, regions "
        f"{' / '.join(str(int(v)) for v in ev.loc['n_regions'])}, ARI vs 広域地方計画区域 "
        f"{' / '.join(f'{v:.3f}' for v in ev.loc['ari_national_plan_areas'])}; "
        f"target < 30 s: {'OK' if t_n < 30 else 'MISSED'}"
    )

    # --- spopt MaxPHeuristic on Hokkaido, for context ------------------------------------
    if not args.skip_spopt:
        labels, seconds, hok = run_spopt_hokkaido(frame, args.spopt_timeout)
        g_hok = graph.contiguity(hok, islands="keep")
        x_h = standardized(frame).loc[hok.index]  # national z-scores, as given to spopt
        hok_x = hok.assign(**{c: x_h[c] for c in INDICATORS})
        lab_h, t_h = timed(  # the same matrix as spopt's: no re-standardising within Hokkaido
            lambda: regions.regionalize(
                hok_x,
                INDICATORS,
                method="maxp",
                floor=floor,
                graph=g_hok,
                standardize=False,
                missing="median",
            )
        )

        def ssd_h(lab):
            lab = pd.Series(np.asarray(lab), index=hok.index)
            return evaluate.sum_of_squares(hok_x, lab, INDICATORS, standardize=False)[0]

        line = f"\nmainland Hokkaido ({len(hok)} municipalities) max-p {FLOOR:,}: "
        line += f"ours {t_h:.2f} s p={lab_h.nunique()} SSD={ssd_h(lab_h):.1f} | spopt "
        if labels is None:
            line += f"MaxPHeuristic did not finish in {args.spopt_timeout:.0f} s"
        else:
            line += (
                f"MaxPHeuristic {seconds:.1f} s p={len(set(labels))} "
                f"SSD={ssd_h(labels):.1f} | time ratio ours/spopt={t_h / seconds:.4f}"
            )
        print(line)


if __name__ == "__main__":
    main()
