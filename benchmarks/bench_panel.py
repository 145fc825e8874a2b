"""The full panel (every catalogue indicator, every year) cold and warm, against pandas.

Reference, measured in the same run: reading every indicator source file directly with pandas
(``read_csv`` for SSDSE-A, 住基 and すがた, ``read_excel`` for the fiscal workbooks), without any
cleaning, code mapping or computing. Cases:

- panel cold: the derived panel cache and the in-process source cache emptied, then
  :func:`regionlib.panel.series` over every catalogue indicator and every year it holds;
- panel warm: the same call served from the derived cache (parquet);
- ``load_table`` with 20 indicators, warm;
- one indicator over 7 years as one national offline HTML (size).

Targets (issue 10): cold < 60 s on 2 cores, warm < 1 s, the 7-year HTML < 1.5 MB.

Usage::

    python benchmarks/bench_panel.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from regionlib import datasets, indicators, maps, panel, table
from regionlib.data import _cache

TABLE_20 = [
    "population_2020",
    "population_2015",
    "population_change_2015_2020",
    "aging_rate",
    "elderly_75_share",
    "child_share",
    "working_age_share",
    "density_habitable",
    "primary_share",
    "secondary_share",
    "tertiary_share",
    "unemployment_rate",
    "fiscal_strength_index",
    "fiscal_strength_index_2015",
    "income_per_taxpayer",
    "natural_change_rate",
    "social_change_rate",
    "doctors_per_10k",
    "child_population_change_2015_2020",
    "working_age_population_change_2015_2020",
]


def _sources() -> list[str]:
    names = list(indicators.catalogue())
    return sorted(
        {
            d
            for n in names
            for y in indicators.years(n)
            for d in indicators.info(f"{n}@{y}").datasets
        }
    )


def read_with_pandas(sources: list[str]) -> int:
    """Read every source file straight with pandas; return the number of cells read."""
    cells = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sources:
            entry = datasets.info(name)
            path = datasets.get_path(name)
            if entry.format == "ssdse-csv":
                frame = pd.read_csv(path, encoding="cp932", skiprows=[0, 1])
            elif entry.format == "juki-csv":
                frame = pd.read_csv(path, encoding=entry.encoding, skiprows=5, header=None)
            elif entry.format == "sugata-csv":
                frame = pd.read_csv(path, encoding="cp932", skiprows=8)
            elif name == "fiscal-archive":
                with tarfile.open(path) as tar:
                    data = tar.extractfile("indices/city/R3.xlsx").read()
                frame = pd.read_excel(io.BytesIO(data), header=None)
            else:
                frame = pd.read_excel(path, header=None)
            cells += frame.size
    return cells


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cold_panel(names: list[str]) -> pd.DataFrame:
    _cache.clear("panel")
    _cache.clear("table")
    indicators.read_source.cache_clear()
    return panel.series(names)


def main() -> None:
    """Run the cases and print times, ratios and the HTML size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    names = list(indicators.catalogue())
    sources = _sources()
    for name in sources:  # downloads and verification are not timed
        datasets.get_path(name)
    table.load_table(TABLE_20, geometry=False)  # boundaries and code history cached once

    start = time.perf_counter()
    cells = read_with_pandas(sources)
    reference = time.perf_counter() - start
    print(
        f"reference: pandas reads {len(sources)} source files ({cells:,} cells): {reference:.2f} s"
    )

    cold = _median(lambda: _cold_panel(names), 1)
    frame = panel.series(names)
    warm = _median(lambda: panel.series(names), args.repeat)
    shape = f"{frame['code'].nunique()} municipalities × {frame['year'].nunique()} years"
    print(
        f"panel cold ({len(names)} indicators, {shape}): {cold:.2f} s  ({cold / reference:.2f}× reference; target < 60 s)"
    )
    print(f"panel warm: {warm:.3f} s  ({warm / reference:.3f}× reference; target < 1 s)")

    table.load_table(TABLE_20, geometry=False)
    warm20 = _median(lambda: table.load_table(TABLE_20), args.repeat)
    print(
        f"load_table, 20 indicators with geometry, warm: {warm20:.3f} s ({warm20 / reference:.3f}× reference)"
    )

    years = list(range(2016, 2023))
    columns = [f"population_registered@{y}" for y in years]
    national = table.load_table(columns)
    with tempfile.TemporaryDirectory() as tmp:
        path = maps.save_html(
            maps.choropleth_years(national, "population_registered", years), Path(tmp) / "y.html"
        )
        size = path.stat().st_size
    print(
        f"national HTML, population_registered 2016-2022 (7 years): {size / 1e6:.2f} MB (target < 1.5 MB)"
    )


if __name__ == "__main__":
    main()
