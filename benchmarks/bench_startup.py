"""Start-up time of every subcommand, against ``import pandas`` measured in the same run.

Each case runs in a fresh Python process (so nothing is already imported) ``--repeat`` times;
the median wall time is reported with its ratio to the median of ``python -c "import pandas"``
measured in the same run, on the same machine and load (the reference is measured again
between the cases, and each case is compared with the median of all reference runs, so a
load that changes during the run does not favour one case). Targets (issue: quick at every
command):

- ``regionlib --help`` and ``import regionlib``: no slower than importing pandas (ratio ≤ 1);
- every subcommand on a warm cache (data downloaded, derived products cached): under 3× the
  reference. ``atlas`` and ``demo`` write hundreds of pages or several maps: their work, not
  their start-up, is measured by ``bench_report.py`` and ``bench_maps.py``; here they run on
  one small prefecture.

The warm case runs every command once untimed first, so the data are downloaded and the derived
products cached (``REGIONLIB_CACHE`` / ``REGIONLIB_MIRROR`` are honoured as usual). Outputs go to
a temporary folder.

Beside each command's time, the ``work`` column is the same command run a second time in one
Python process (modules imported, cached products read, per-process caches filled): what the
command computes and writes. ``start-up`` is the difference, what a fresh process adds to
that work (importing, reading the derived cache), with its ratio to the reference. A command
whose time is mostly work (the atlas writes 33 pages, the demo four views) is over the target
by its work, not by its start-up.

Usage::

    python benchmarks/bench_startup.py [--repeat 3] [--only map,report]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
CLI = [PYTHON, "-c", "import sys; from regionlib.cli import main; sys.exit(main())"]
if (Path(PYTHON).parent / "regionlib").exists():  # the installed entry point, as users run it
    CLI = [str(Path(PYTHON).parent / "regionlib")]

REFERENCE = ("python -c 'import pandas'", [PYTHON, "-c", "import pandas"])
#: ratio to the reference every warm subcommand must stay under
TARGET = 3.0


def _flows(folder: Path) -> Path:
    """A small origin-destination table of three Hokkaido municipalities."""
    path = folder / "od.csv"
    rows = [
        ("01100", "01100", 900),
        ("01217", "01217", 500),
        ("01217", "01100", 200),
        ("01224", "01224", 400),
        ("01224", "01100", 150),
        ("01100", "01217", 20),
    ]
    path.write_text(
        "origin,destination,flow\n" + "".join(f"{o},{d},{f}\n" for o, d, f in rows),
        encoding="utf-8",
    )
    return path


def cases(out: Path) -> list[tuple[str, list[str], float]]:
    """(label, argv, target ratio) of every case."""
    od = _flows(out)
    return [
        ("regionlib --help", [*CLI, "--help"], 1.0),
        ("import regionlib", [PYTHON, "-c", "import regionlib"], 1.0),
        ("indicators 医師", [*CLI, "indicators", "医師"], TARGET),
        ("data list", [*CLI, "data", "list"], TARGET),
        (
            "map aging_rate -o x.html",
            [*CLI, "map", "aging_rate", "-o", str(out / "m.html")],
            TARGET,
        ),
        ("map aging_rate -o x.png", [*CLI, "map", "aging_rate", "-o", str(out / "m.png")], TARGET),
        ("report 夕張市", [*CLI, "report", "夕張市", "-o", str(out / "r.html")], TARGET),
        ("peers 夕張市", [*CLI, "peers", "夕張市"], TARGET),
        ("clusters", [*CLI, "clusters", "-o", str(out / "c.csv")], TARGET),
        (
            "regions --method maxp",
            [
                *CLI,
                "regions",
                "--method",
                "maxp",
                "--floor",
                "population:200000",
                "--pref",
                "北海道",
                "-o",
                str(out / "g.html"),
            ],
            TARGET,
        ),
        ("table", [*CLI, "table", "-o", str(out / "t.csv")], TARGET),
        (
            "series population_registered",
            [
                *CLI,
                "series",
                "population_registered",
                "births",
                "--years",
                "2016-2022",
                "-o",
                str(out / "s.csv"),
            ],
            TARGET,
        ),
        (
            "goodpractice 夕張市",
            [
                *CLI,
                "goodpractice",
                "夕張市",
                "--indicator",
                "population_registered",
                "--since",
                "2016",
            ],
            TARGET,
        ),
        ("neighbours", [*CLI, "neighbours", "-o", str(out / "n.csv")], TARGET),
        ("boundaries resolve 夕張市", [*CLI, "boundaries", "resolve", "夕張市"], TARGET),
        (
            "boundaries export --pref 鳥取県",
            [*CLI, "boundaries", "export", "--pref", "鳥取県", "-o", str(out / "b.geojson")],
            TARGET,
        ),
        ("functional", [*CLI, "functional", "--flows", str(od), "-o", str(out / "f.csv")], TARGET),
        (
            "compare 夕張市 美唄市 芦別市",
            [*CLI, "compare", "夕張市", "美唄市", "芦別市", "-o", str(out / "cmp.html")],
            TARGET,
        ),
        ("kpi --example", [*CLI, "kpi", "--example", str(out / "kpi.csv")], TARGET),
        (
            "pyramid 夕張市",
            [*CLI, "pyramid", "夕張市", "--years", "1995,2022", "-o", str(out / "p.png")],
            TARGET,
        ),
        ("project --to 2050", [*CLI, "project", "--to", "2050", "-o", str(out / "pr.csv")], TARGET),
        (
            "atlas --pref 鳥取県",
            [*CLI, "atlas", "--pref", "鳥取県", "--overwrite", "-o", str(out / "atlas")],
            TARGET,
        ),
        ("demo", [*CLI, "demo", "-o", str(out / "demo")], TARGET),
    ]


def _environment() -> dict[str, str]:
    """The environment of every run: this one, with Python writing its bytecode files.

    An installed package (and pandas, the reference) comes with its modules compiled to
    bytecode, and a user's Python writes the bytecode of an editable install on its first run.
    A shell with ``PYTHONDONTWRITEBYTECODE`` set would make every run compile regionlib's
    modules from source again (about 0.1 s) while pandas is read compiled: the runs here
    write and reuse bytecode, as a user's do.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(argv: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=_environment())
        times.append(time.perf_counter() - start)
    return times


#: runs a command twice in one process and prints the seconds of the second run
_WARM = """
import contextlib, io, sys, time
from regionlib.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    first = main(sys.argv[1:])
    start = time.perf_counter()
    second = main(sys.argv[1:])
    seconds = time.perf_counter() - start
if first or second:  # a run that failed early would pass for quick work
    sys.exit(f"exit codes {first}, {second}")
print(seconds)
"""


def _work(argv: list[str], repeat: int) -> float | None:
    """Median seconds of a subcommand run again in a process that has run it once."""
    if argv[: len(CLI)] != CLI or argv[len(CLI) :] == ["--help"]:
        return None
    times = []
    for _ in range(repeat):
        done = subprocess.run(
            [PYTHON, "-c", _WARM, *argv[len(CLI) :]],
            check=True,
            capture_output=True,
            text=True,
            env=_environment(),
        )
        times.append(float(done.stdout.split()[-1]))
    return statistics.median(times)


def main() -> None:
    """Run the cases and print seconds and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--only", help="comma-separated words: run the cases whose label has one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        todo = cases(Path(tmp))
        if args.only:
            words = args.only.split(",")
            todo = [c for c in todo if any(w in c[0] for w in words)]
        for _, argv, _ in todo:  # warm-up: downloads, derived cache, bytecode, OS file cache
            subprocess.run(argv, check=True, capture_output=True, env=_environment())
        reference = _time(REFERENCE[1], args.repeat)
        results = []
        for label, argv, target in todo:
            seconds = statistics.median(_time(argv, args.repeat))
            results.append((label, seconds, _work(argv, args.repeat), target))
            reference += _time(REFERENCE[1], 1)  # the load may change during the run
        ref = statistics.median(reference)
        print(f"{REFERENCE[0]:<34} {ref:6.2f} s   1.00 (reference, {len(reference)} runs)")
        print(f"{'':<34} {'time':>6}   ratio  target      {'work':>6}  start-up (ratio)")
        missed = 0
        for label, seconds, work, target in results:
            ratio = seconds / ref
            ok = ratio <= target
            missed += not ok
            verdict = "OK" if ok else "MISSED"
            line = f"{label:<34} {seconds:6.2f} s  {ratio:5.2f}  ≤ {target:g}: {verdict:<6}"
            if work is not None:
                line += f" {work:6.2f} s  {seconds - work:5.2f} s ({(seconds - work) / ref:.2f})"
            print(line)
        print(f"{len(results) - missed} of {len(results)} within target")


if __name__ == "__main__":
    main()
