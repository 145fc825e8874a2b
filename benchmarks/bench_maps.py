"""National map build time and file size: regionlib.maps vs GeoDataFrame.explore, same layer.

Run: ``python benchmarks/bench_maps.py`` (REGIONLIB_MIRROR pointing at a data mirror, or
internet access). Loads the table once per layer, then times building and saving the map.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from regionlib import maps, table

INDICATORS = ["aging_rate", "population_2020", "fiscal_strength_index"]


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    out = Path(tempfile.mkdtemp(prefix="bench-maps-"))
    header = f"{'layer':<11} {'what':<34} {'build+save s':>12} {'size MB':>8}"
    print(f"{header} {'time/explore':>13} {'size/explore':>13}")
    for detail in ("prefecture", "national"):
        gdf = table.load_table(INDICATORS, detail=detail)
        one = out / f"rl-{detail}-1.html"
        three = out / f"rl-{detail}-3.html"
        ex = out / f"explore-{detail}.html"
        # the reference first, so that every regionlib row can print its ratio to it
        rows = [
            ("GeoDataFrame.explore, 1 indicator", ex, _explore, (gdf, "aging_rate", ex)),
            ("regionlib, 1 indicator", one, _regionlib, (gdf, "aging_rate", one)),
            ("regionlib, 3 indicators", three, _regionlib, (gdf, INDICATORS, three)),
        ]
        ref_seconds = ref_size = None
        for what, path, fn, args in rows:
            seconds = _time(lambda fn=fn, args=args: fn(*args))
            size = path.stat().st_size / 1e6
            if ref_seconds is None:
                ref_seconds, ref_size = seconds, size
            print(
                f"{detail:<11} {what:<34} {seconds:>12.2f} {size:>8.2f} "
                f"{seconds / ref_seconds:>13.2f} {size / ref_size:>13.2f}"
            )


def _regionlib(gdf, columns, path: Path) -> None:
    maps.save_html(maps.choropleth(gdf, columns), path)


def _explore(gdf, column: str, path: Path) -> None:
    gdf[["name", column, "geometry"]].explore(column, scheme="quantiles", k=5).save(path)


if __name__ == "__main__":
    main()
