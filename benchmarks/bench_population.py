"""The 住基 age panel, the projection and its backtest, against pandas reading the same files.

Reference, measured in the same run: ``pandas.read_excel(engine="calamine")`` of the 38 age
workbooks (Japanese residents 1995-2022, all residents 2013-2022), without cleaning, code
mapping or reshaping. Cases:

- age panel cold: the derived cache emptied, :func:`regionlib.data.population.age_panel` of
  both series (every year, code history applied, national totals checked);
- age panel warm: the same from the derived cache;
- projection of all 1,741 municipalities to 2050, both variants (warm panel);
- the backtest (bases 1995-2000 … 2012-2017, horizons 5-20 years);
- a pyramid (figure built, not saved), warm.

Targets (issue 18): cold < 90 s, warm < 1 s, projection < 2 s, backtest < 10 s. The backtest
table (median and 90th-percentile absolute percentage error, all municipalities) is printed.

Usage::

    python benchmarks/bench_population.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from regionlib.analysis import projection
from regionlib.data import _cache, datasets, indicators
from regionlib.data import population as pop
from regionlib.outputs import pyramid


def _age_files() -> list[str]:
    return [pop.dataset_name(s, y) for s, years in pop.SERIES_YEARS.items() for y in years]


def read_with_pandas(names: list[str]) -> int:
    """Read every age workbook with pandas (calamine); return the number of cells."""
    cells = 0
    for name in names:
        cells += pd.read_excel(datasets.get_path(name), header=None, engine="calamine").size
    return cells


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cold() -> None:
    _cache.clear("age-panel")
    indicators.read_source.cache_clear()
    for series in pop.SERIES_YEARS:
        pop.age_panel(series)


def main() -> None:
    """Run the cases and print times, ratios and the backtest table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    names = _age_files()
    for name in names:  # downloads and verification are not timed
        datasets.get_path(name)
    start = time.perf_counter()
    cells = read_with_pandas(names)
    reference = time.perf_counter() - start
    print(
        f"reference: pandas reads {len(names)} age workbooks ({cells:,} cells): {reference:.2f} s"
    )

    cold = _median(_cold, 1)
    print(
        f"age panel cold (2 series, 38 files): {cold:.2f} s ({cold / reference:.2f}× reference; target < 90 s)"
    )
    warm = _median(lambda: [pop.age_panel(s) for s in pop.SERIES_YEARS], args.repeat)
    print(f"age panel warm: {warm:.3f} s ({warm / reference:.3f}× reference; target < 1 s)")

    projection.project(to=2050)  # the base-year panel cached
    proj = _median(lambda: projection.project(to=2050), args.repeat)
    print(
        f"projection, 1,741 municipalities to 2050, 2 variants: {proj:.3f} s ({proj / reference:.3f}× reference; target < 2 s)"
    )

    projection.backtest()
    bt_time = _median(projection.backtest, 1)
    print(f"backtest: {bt_time:.2f} s ({bt_time / reference:.2f}× reference; target < 10 s)")

    pyramid.pyramid("夕張市", years="1995,2022")
    pyr = _median(lambda: pyramid.pyramid("夕張市", years="1995,2022"), args.repeat)
    print(f"pyramid (figure), warm: {pyr:.3f} s")

    table = projection.backtest()
    overall = table[table["size_class"] == "all"]
    shown = overall.pivot_table(
        index=["measure", "method"], columns="horizon", values=["median_ape", "p90_ape"]
    ).round(1)
    print("\nbacktest, absolute percentage error (%), all municipalities:")
    print(shown.to_string())


if __name__ == "__main__":
    main()
