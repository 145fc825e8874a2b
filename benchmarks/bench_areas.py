"""Areas: aggregation by rule and the compare page, warm, against pandas in the same run.

Cases and references (measured in this run, best of ``--repeat``):

- all 258 commuting zones (2020) over every catalogue request (every indicator, every year),
  with :func:`regionlib.analysis.areas.aggregate` (counts summed, rates from summed parts,
  weighted indices, reasons for every missing value), against ``DataFrame.groupby().sum()``
  of the same table (which sums every column, rates included: a lower bound, not an answer);
- a compare page of 10 municipalities (:func:`regionlib.outputs.compare.compare` and its
  HTML), against pandas picking the same rows and columns, ranking every column and taking
  the national medians.

Targets (issue 20): the aggregation under 1 s warm, the compare page under 1 s.

Usage::

    python benchmarks/bench_areas.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from regionlib.analysis import areas
from regionlib.data import indicators, table
from regionlib.outputs import areapage, compare

TEN = [
    "夕張市",
    "美唄市",
    "芦別市",
    "赤平市",
    "三笠市",
    "歌志内市",
    "砂川市",
    "滝川市",
    "深川市",
    "岩見沢市",
]


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Run the cases and print times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    requests = [f"{n}@{y}" for n in indicators._rows() for y in indicators.years(n)]
    frame = table.load_table(requests, geometry=False)
    zones = areas.reference_areas("commuting-zones-2020")
    areas.aggregate(frame, zones)  # warm: sources read, parts computed once
    ours = _best(lambda: areas.aggregate(frame, zones), args.repeat)
    labels = zones.labels()
    numeric = frame[requests].loc[labels.index]
    numeric.attrs = {}
    ref = _best(lambda: numeric.groupby(labels.to_numpy()).sum(), args.repeat)
    print(
        f"aggregate: {len(zones)} zones x {len(requests)} requests: {ours:.3f} s "
        f"(target < 1 s); pandas groupby-sum {ref:.3f} s; ratio {ours / ref:.1f}"
    )

    compare.compare(TEN).to_html()  # warm: table, peers' features, templates
    ours = _best(lambda: compare.compare(TEN).to_html(), args.repeat)
    plain = compare._municipal_context()[0]
    columns = [c for c in areapage.AREA_INDICATORS if c in plain.columns]
    codes = [compare._exact_names()[n] for n in TEN]

    def reference():
        ranks = plain[columns].rank(ascending=False, method="min")
        return plain.loc[codes, columns], ranks.loc[codes], plain[columns].median()

    ref = _best(reference, args.repeat)
    print(
        f"compare page: {len(TEN)} places: {ours:.3f} s (target < 1 s); pandas pick, rank and "
        f"median {ref:.3f} s; ratio {ours / ref:.1f}"
    )


if __name__ == "__main__":
    main()
