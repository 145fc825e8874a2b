"""Start-up time of the command line and the package, against ``import pandas`` in the same run.

Each case runs in a fresh Python process (so nothing is already imported) ``--repeat`` times;
the median wall time is reported with its ratio to the median of ``python -c "import pandas"``
measured in the same run, on the same machine and load. Targets (issue: quick to start):

- ``regionlib --help``: no slower than importing pandas (ratio ≤ 1);
- ``import regionlib``: under 0.3 s;
- ``regionlib peers 夕張市`` on a warm cache: under 1.5 s end to end.

The warm case runs the command once untimed first, so the data are downloaded and the derived
products cached (``REGIONLIB_CACHE`` / ``REGIONLIB_MIRROR`` are honoured as usual).

Usage::

    python benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
CLI = [PYTHON, "-c", "import sys; from regionlib.cli import main; sys.exit(main())"]
if (Path(PYTHON).parent / "regionlib").exists():  # the installed entry point, as users run it
    CLI = [str(Path(PYTHON).parent / "regionlib")]

REFERENCE = ("python -c 'import pandas'", [PYTHON, "-c", "import pandas"])
CASES = [
    ("regionlib --help", [*CLI, "--help"], None),
    ("import regionlib", [PYTHON, "-c", "import regionlib"], 0.3),
    ("regionlib peers 夕張市 (warm)", [*CLI, "peers", "夕張市"], 1.5),
]


def _time(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=os.environ.copy())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the cases and print seconds and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (median reported)")
    args = parser.parse_args()
    for _, argv, _ in CASES:  # warm-up: downloads, derived cache, OS file cache
        subprocess.run(argv, check=True, capture_output=True)
    reference = _time(REFERENCE[1], args.repeat)
    print(f"{REFERENCE[0]:<34} {reference:6.2f} s   1.00 (reference)")
    for label, argv, target in CASES:
        seconds = _time(argv, args.repeat)
        goal = f"  target < {target} s" if target else "  target ratio ≤ 1"
        print(f"{label:<34} {seconds:6.2f} s  {seconds / reference:5.2f}{goal}")


if __name__ == "__main__":
    main()
