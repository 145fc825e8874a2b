"""Profiles and the atlas against the same content made with the per-municipality calls.

Targets (issue: profiles, atlas): a profile page in under 1 s warm; the national atlas in under
3 minutes on 2 cores, pages under 300 kB on average, the whole atlas under 400 MB.

The reference makes the content of one page the way a user of the existing API would, one
municipality at a time: load the table, prepare features and find the peers, compare with
them, cluster, propose the regions, compute LISA, and save an offline HTML map of the
prefecture with the municipality and its peers (``maps.choropleth(..., focus=, peers=)``).
It is timed on a few municipalities and extrapolated to 1,741.

Run: ``python benchmarks/bench_report.py [--quick]`` (``--quick``: Hokkaido only).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from regionlib import (
    atlas,
    demo,
    features,
    indicators,
    maps,
    proposals,
    report,
    similarity,
    spatial,
    table,
)

QUICK = "--quick" in sys.argv
SAMPLE = ["01209", "13101", "47382"]


def reference_page(code: str, out: Path) -> int:
    """One municipality's content through the existing calls; returns the bytes written."""
    names = report._table_indicators()
    tbl = table.load_table(names)
    feats = features.prepare_features(tbl, list(indicators.DEFAULT_INDICATORS))
    peers = similarity.find_peers(feats, code, k=10)
    similarity.compare_municipality(feats, code, peers=peers)
    similarity.profile_clusters(similarity.cluster_municipalities(tbl, feats.indicators))
    proposals.propose_regions(
        tbl, demo.REGION_INDICATORS, method="maxp", floor=("population_2020", 200_000)
    )
    for name in report.LISA_INDICATORS:
        spatial.compute_lisa(tbl, name)
    # the peers lie anywhere in Japan: a national map with the municipality and its peers
    m = maps.choropleth(tbl, ["aging_rate"], focus=code, peers=list(peers.index))
    path = maps.save_html(m, out / f"{code}.html")
    return path.stat().st_size


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        context = report.build_context()  # warm the derived cache
        report.profile(None, "01100")  # and the map paths kept there
        start = time.perf_counter()
        page = report.profile(None, "夕張市")
        html = page.to_html()
        warm = time.perf_counter() - start
        print(f"profile 夕張市, warm, from a fresh table load: {warm:.2f} s (target < 1 s)")
        codes = list(context.table.index[:: max(1, len(context.table) // 40)])
        start = time.perf_counter()
        for code in codes:
            report.render(report.profile(None, code, context=context))
        per_page = (time.perf_counter() - start) / len(codes)
        print(
            f"profile page with a shared context: {per_page * 1000:.0f} ms ({len(html) / 1e3:.0f} kB)"
        )

        ref_times, ref_sizes = [], []
        for code in SAMPLE:
            start = time.perf_counter()
            ref_sizes.append(reference_page(code, tmp))
            ref_times.append(time.perf_counter() - start)
        ref_page = sum(ref_times) / len(ref_times)
        ref_size = sum(ref_sizes) / len(ref_sizes)
        print(
            f"reference, one municipality through the existing calls: {ref_page:.1f} s, "
            f"{ref_size / 1e3:.0f} kB of HTML map"
        )

        folder = tmp / "atlas"
        prefs = ["北海道"] if QUICK else None
        start = time.perf_counter()
        summary = atlas.write_atlas(folder, prefectures=prefs, jobs=2)
        seconds = time.perf_counter() - start
        pages = list((folder / "m").glob("*.html"))
        mean = sum(p.stat().st_size for p in pages) / len(pages)
        n = summary.municipalities
        print(
            f"atlas ({'北海道' if QUICK else 'national'}): {n} pages in {seconds:.0f} s "
            f"(target < 180 s national), {mean / 1e3:.0f} kB per page (target < 300 kB), "
            f"{summary.bytes / 1e6:.0f} MB in all (target < 400 MB)"
        )
        print(
            f"ratio, time: reference extrapolated to {n} pages {ref_page * n:.0f} s / atlas "
            f"{seconds:.0f} s = {ref_page * n / seconds:.0f}x"
        )
        print(
            f"ratio, size per page: reference map {ref_size / 1e3:.0f} kB / profile page "
            f"{mean / 1e3:.0f} kB = {ref_size / mean:.1f}x"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
