"""Cold vs warm loads of regionlib's derived products, measured in the same run.

Cold: the derived cache (``settings.cache_folder / "derived"``) is emptied first, so the product
is rebuilt from the (already downloaded and verified) source files. Warm: the cached GeoParquet
is read back. Each case runs ``--repeat`` times; the median is reported with the warm/cold ratio.

Usage::

    python benchmarks/bench_load.py [--repeat 5] [--cache-folder DIR]

To add a case, append a ``Case`` to ``CASES`` (or call ``register``): a label, a function that
loads the product, and the ``_cache`` kind(s) to clear before each cold run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from regionlib import boundaries, datasets, settings
from regionlib.data import _cache


@dataclass(frozen=True)
class Case:
    label: str
    load: Callable[[], object]
    kinds: tuple[str, ...]  # derived-cache kinds cleared before a cold run
    datasets: tuple[str, ...] = ()  # registry files fetched before timing (not timed)


CASES: list[Case] = [
    Case(
        "boundaries, 1 % layer, 1,741 municipalities",
        lambda: boundaries.load_boundaries(),
        ("boundaries",),
        ("n03-national-s0010-topo",),
    ),
    Case(
        "boundaries, 0.1 % layer + fill from 1 %",
        lambda: boundaries.load_boundaries(detail="national"),
        ("boundaries",),
        ("n03-national-s0001", "n03-national-s0010-topo"),
    ),
    Case(
        "boundaries, wards (1,896 rows)",
        lambda: boundaries.load_boundaries(level="ward"),
        ("boundaries",),
        ("n03-national-wards-s0010-topo",),
    ),
]


def register(case: Case) -> None:
    """Add a case (for example the full indicator table) to the benchmark."""
    CASES.append(case)


def _table_case() -> Case:
    """The full indicator table with geometry: boundaries + every catalogue indicator."""
    from regionlib import indicators, table

    names = list(indicators.catalogue())
    sources = {d for n in names for d in indicators.info(n).datasets}
    return Case(
        f"table with geometry, {len(names)} indicators, 1,741 rows",
        lambda: table.load_table(names),
        ("boundaries", "table"),
        (*sorted(sources), "fiscal-archive", "code-history", "n03-national-s0010-topo"),
    )


register(_table_case())


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(repeat: int) -> list[tuple[str, float, float]]:
    results = []
    for case in CASES:
        for name in case.datasets:
            datasets.get_path(name)  # downloads are not part of the timing
        cold, warm = [], []
        for _ in range(repeat):
            for kind in case.kinds:
                _cache.clear(kind)
            cold.append(_time(case.load))
            warm.append(_time(case.load))
        results.append((case.label, statistics.median(cold), statistics.median(warm)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cache-folder",
        type=Path,
        help="cache to use (default: a temporary folder, so your cache is untouched)",
    )
    args = parser.parse_args(argv)
    settings.progress = False
    with tempfile.TemporaryDirectory(prefix="regionlib-bench-") as tmp:
        settings.cache_folder = args.cache_folder or Path(tmp)
        results = run(args.repeat)
    width = max(len(label) for label, _, _ in results)
    print(f"{'case'.ljust(width)}  cold (s)  warm (s)  cold/warm")
    for label, cold, warm in results:
        print(f"{label.ljust(width)}  {cold:8.3f}  {warm:8.3f}  {cold / warm:8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
