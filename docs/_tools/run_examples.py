"""Run every command shown in the guide and turn its outputs into pictures for the site.

The guide's pages show commands in ``regionlib-run`` blocks::

    ```{regionlib-run} profile
    :shots: 夕張市.html 夕張市.xlsx
    :stdout:

    regionlib report 夕張市 -o 夕張市.html -o 夕張市.xlsx
    ```

and the input files they read in ``regionlib-file`` blocks (``{regionlib-file} ID NAME``; an
example with ``:uses: OTHER`` gets the input files of example OTHER too). This
script finds every such block in ``docs/**/*.md`` (and the ``regionlib`` lines of
``README.ja.md``), runs each example's commands in its own folder under
``docs/_build/examples/ID/``, and renders each file named in ``:shots:`` to
``docs/_generated/run/ID/shotN.png``: a ``.png`` is copied, an ``.html`` page is photographed by
headless Chromium, an ``.xlsx`` or ``.csv`` table is shown as its first rows. A command that fails
stops the build with its output; so does a missing Chromium. ``stdout.txt`` keeps what the
commands printed, for the pages that show it.

Usage: ``python docs/_tools/run_examples.py [--jobs N] [ID ...]``.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
WORK = DOCS / "_build" / "examples"
OUT = DOCS / "_generated" / "run"

_BLOCK = re.compile(
    r"^(?P<fence>`{3,})\{(?P<kind>regionlib-run|regionlib-file)\}[ \t]+(?P<args>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_SHELL_BLOCK = re.compile(r"^```(?:sh|bash|console|shell)?\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class Example:
    """One example: its commands, input files, the outputs to picture, where it is shown."""

    id: str
    commands: list[str]
    shots: list[str] = field(default_factory=list)
    height: int = 900
    width: int = 1280
    inputs: dict[str, str] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    uses: str = ""  # another example whose input files this one reads too


def split_block(body: str) -> tuple[dict[str, str], list[str]]:
    """Split a directive body into its ``:option: value`` lines and its content lines."""
    options, lines = {}, body.splitlines()
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        name, _, value = lines.pop(0)[1:].partition(":")
        options[name] = value.strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    return options, lines


def commands_of(lines: list[str]) -> list[str]:
    """The commands of a block: every non-empty line that is not a comment."""
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def find_examples(files: list[Path]) -> dict[str, Example]:
    """Every ``regionlib-run`` and ``regionlib-file`` block of the pages, by example id."""
    examples: dict[str, Example] = {}
    inputs: dict[str, dict[str, str]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        for m in _BLOCK.finditer(text):
            args = m["args"].split()
            options, lines = split_block(m["body"])
            where = f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
            if m["kind"] == "regionlib-file":
                if len(args) != 2:
                    raise SystemExit(f"{where}: regionlib-file takes an example id and a file name")
                inputs.setdefault(args[0], {})[args[1]] = "\n".join(lines) + "\n"
                continue
            if len(args) != 1:
                raise SystemExit(f"{where}: regionlib-run takes one example id")
            ex = Example(
                args[0],
                commands_of(lines),
                options.get("shots", "").split(),
                int(options.get("height", 900)),
                int(options.get("width", 1280)),
                uses=options.get("uses", ""),
            )
            bad = [c for c in ex.commands if not c.startswith("regionlib ")]
            if bad:
                raise SystemExit(f"{where}: only regionlib commands can be run: {bad[0]}")
            old = examples.get(ex.id)
            if old and (old.commands, old.shots) != (ex.commands, ex.shots):
                raise SystemExit(f"{where}: example {ex.id} is shown elsewhere with other commands")
            ex.pages = [*(old.pages if old else []), where]
            examples[ex.id] = ex
    for eid, files_ in inputs.items():
        if eid not in examples:
            raise SystemExit(f"regionlib-file for an unknown example {eid}")
        examples[eid].inputs = files_
    for ex in examples.values():
        if ex.uses:
            if ex.uses not in inputs:
                raise SystemExit(f"example {ex.id} uses the files of {ex.uses}, which has none")
            ex.inputs = {**inputs[ex.uses], **ex.inputs}
    return examples


def readme_example(path: Path) -> Example:
    """The ``regionlib`` commands of a README's shell blocks, as one example."""
    lines = []
    for block in _SHELL_BLOCK.findall(path.read_text(encoding="utf-8")):
        lines += [c.split("  #")[0].strip() for c in commands_of(block.splitlines())]
    return Example(path.stem.replace(".", "-"), [c for c in lines if c.startswith("regionlib ")])


def regionlib_command() -> list[str]:
    """How to call the command line of the regionlib this Python imports."""
    script = Path(sys.executable).parent / "regionlib"
    return [str(script)] if script.exists() else [sys.executable, "-m", "regionlib.cli"]


def run_example(ex: Example) -> str:
    """Run an example's commands in a fresh folder; return what they printed."""
    folder = WORK / ex.id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in ex.inputs.items():
        (folder / name).write_text(content, encoding="utf-8")
    printed = []
    for command in ex.commands:
        args = [*regionlib_command(), *shlex.split(command)[1:]]
        start = time.perf_counter()
        done = subprocess.run(args, cwd=folder, capture_output=True, text=True, check=False)
        took = time.perf_counter() - start
        if done.returncode != 0:
            where = ", ".join(ex.pages) or ex.id
            raise RuntimeError(
                f"the command shown in {where} failed (exit {done.returncode}):\n  {command}\n"
                f"{done.stdout}{done.stderr}"
            )
        print(f"  {took:5.1f} s  {command}", flush=True)
        printed.append(f"$ {command}\n{done.stdout}")
    return "\n".join(printed)


def chromium() -> str:
    """The headless browser that photographs HTML outputs (an error when there is none)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        "run_examples: the pictures of HTML pages need a headless Chromium: install it "
        "(`make browser`, or apt-get install chromium fonts-noto-cjk) and build again"
    )


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """Photograph a local HTML file with headless Chromium, the network turned off."""
    args = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=8000",
        f"--user-data-dir={png.parent / '.chromium'}",
        f"--window-size={width},{height}",
        f"--screenshot={png}",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    shutil.rmtree(png.parent / ".chromium", ignore_errors=True)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"Chromium could not photograph {page.name}:\n{done.stderr[-2000:]}")


def table_page(path: Path, rows: int = 14) -> Path:
    """An HTML page showing the first rows of a table file (each sheet of a workbook)."""
    import pandas as pd

    if path.suffix == ".csv":
        sheets = {path.name: pd.read_csv(path, dtype=str, encoding="utf-8-sig")}
    else:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")

    def cell(value) -> str:
        if isinstance(value, float):
            return "" if value != value else f"{value:,.2f}".rstrip("0").rstrip(".")
        if isinstance(value, int):
            return f"{value:,}"
        return "" if value is None else str(value)

    parts = []
    for name, frame in sheets.items():
        body = frame.head(rows).map(cell).to_html(index=False, border=0)
        parts.append(f"<h2>{html.escape(str(name))}</h2>{body}")
        if len(parts) == 2:
            break
    page = path.with_name(path.name + ".preview.html")
    style = (
        "body{font-family:'Noto Sans CJK JP',sans-serif;font-size:13px;margin:12px;background:#fff}"
        "h2{font-size:14px;margin:14px 0 4px;color:#334}table{border-collapse:collapse}"
        "th{background:#e8eef5;text-align:left}th,td{border:1px solid #ccd;padding:2px 6px;"
        "white-space:nowrap}"
    )
    page.write_text(
        f"<!doctype html><meta charset='utf-8'><style>{style}</style>"
        f"<p>{html.escape(path.name)}</p>{''.join(parts)}",
        encoding="utf-8",
    )
    return page


def picture(ex: Example) -> list[str]:
    """Render every file named in ``:shots:`` into ``_generated/run/ID/shotN.png``."""
    out = OUT / ex.id
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i, name in enumerate(ex.shots, start=1):
        source = WORK / ex.id / name
        png = out / f"shot{i}.png"
        if not source.exists():
            raise RuntimeError(f"example {ex.id}: the commands did not write {name}")
        if source.suffix == ".png":
            shutil.copyfile(source, png)
        elif source.suffix == ".html":
            screenshot(source, png, ex.width, ex.height)
        elif source.suffix in (".xlsx", ".csv"):
            screenshot(table_page(source), png, ex.width, ex.height)
        else:
            raise RuntimeError(f"example {ex.id}: cannot picture {name} (png, html, xlsx or csv)")
        made.append(png.name)
    return made


def build(ex: Example) -> None:
    """Run one example and write its pictures and printed output."""
    printed = run_example(ex)
    out = OUT / ex.id
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "stdout.txt").write_text(printed, encoding="utf-8")
    shots = picture(ex)
    (out / "shots.json").write_text(json.dumps(shots), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="only these examples")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    pages = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
    examples = find_examples(pages)
    readme = ROOT / "README.ja.md"
    if readme.exists():
        r = readme_example(readme)
        # a command the guide shows as well is run once, in its guide example
        shown = {c for ex in examples.values() for c in ex.commands}
        r.commands = [c for c in r.commands if c not in shown]
        if r.commands:
            examples[r.id] = r
    if args.ids:
        unknown = set(args.ids) - set(examples)
        if unknown:
            raise SystemExit(f"unknown examples: {sorted(unknown)}; known: {sorted(examples)}")
        examples = {k: v for k, v in examples.items() if k in args.ids}
    if any(ex.shots for ex in examples.values()):
        chromium()  # fail before running anything
    os.environ.setdefault("MPLBACKEND", "Agg")
    start = time.perf_counter()
    failures = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(build, ex): eid for eid, ex in examples.items()}
        for future, eid in futures.items():
            try:
                future.result()
            except (RuntimeError, subprocess.TimeoutExpired) as err:
                failures.append(f"[{eid}] {err}")
    took = time.perf_counter() - start
    if failures:
        print("\n".join(failures), file=sys.stderr)
        print(f"run_examples: {len(failures)} of {len(examples)} examples failed", file=sys.stderr)
        return 1
    n = sum(len(ex.commands) for ex in examples.values())
    print(f"run_examples: {n} commands of {len(examples)} examples ran in {took:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
