"""Benchmark the flow method (commuting zones) on 1,741 x 1,741 simulated flows.

Run from the repository root with the data mirror or cache configured::

    python benchmarks/bench_functional.py

Flows come from a gravity model on the 1,741 municipalities (populations of 2020, centroid
distances), every pair kept (``min_flow=0``: 3 million rows, denser than any census table).
Prints the time of :func:`regionlib.regions.functional.commuting_zones` on the table and of the
whole command (CSV read included), against the target of 10 s, and the number of zones.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from regionlib import boundaries, table
from regionlib.analysis.regions import functional


def main() -> None:
    frame = boundaries.load_boundaries()
    frame["population"] = table.load_table(["population_2020"])["population_2020"]
    flows = functional.gravity_flows(frame, min_flow=0.0)
    t0 = time.perf_counter()
    zones = functional.commuting_zones(flows, codes=frame.index)
    t_zones = time.perf_counter() - t0
    print(
        f"{len(frame)} municipalities, {len(flows):,} flows: commuting_zones {t_zones:.2f} s, "
        f"{zones.nunique()} zones; target < 10 s: {'OK' if t_zones < 10 else 'MISSED'}"
    )
    from regionlib.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "od.csv"
        flows.to_csv(path, index=False)
        t0 = time.perf_counter()
        cli(["-q", "functional", "--flows", str(path), "-o", str(Path(tmp) / "cz.csv")])
        t_cli = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
    print(f"regionlib functional (CSV of {size_mb:.0f} MB read): {t_cli:.2f} s")


if __name__ == "__main__":
    main()
