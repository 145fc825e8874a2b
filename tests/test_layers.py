"""The package's rooms: a layer imports only from itself and the layers below it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import regionlib

PACKAGE = Path(regionlib.__file__).parent
#: lowest first; the top-level modules (settings, _errors, _log, _write) are the core
RANKS = {"core": 0, "data": 1, "analysis": 2, "outputs": 3, "cli": 4}


def _layer_of_path(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "core"


def _layer_of_module(name: str) -> str | None:
    """Layer of an imported ``regionlib...`` module name, or None for another package."""
    parts = name.split(".")
    if parts[0] != "regionlib":
        return None
    if len(parts) == 1:
        return "core"
    if parts[1] in RANKS:
        return parts[1]
    if parts[1] in regionlib._MODULES:  # a public short name through the lazy namespace
        return regionlib._MODULES[parts[1]].split(".")[1]
    return "core"


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every regionlib module a file imports (at any depth), with the line number."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "regionlib":  # from regionlib import table, settings
                found += [(node.lineno, f"regionlib.{a.name}") for a in node.names]
    return found


def _files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    layers = {_layer_of_path(p) for p in _files()}
    assert layers == set(RANKS)
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "_errors", "_log", "_write", "settings"}


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path):
    source = _layer_of_path(path)
    if path == PACKAGE / "__init__.py":
        return  # the lazy namespace names every layer on purpose
    wrong = []
    for line, name in _imports(path):
        target = _layer_of_module(name)
        if target is not None and RANKS[target] > RANKS[source]:
            wrong.append(f"line {line}: {name} ({target})")
    assert not wrong, f"{path.name} ({source}) imports a higher layer: {wrong}"


def test_the_checker_catches_a_violation(tmp_path):
    fake = PACKAGE / "data" / "_layer_probe.py"
    assert _layer_of_module("regionlib.maps") == "outputs"
    assert _layer_of_module("regionlib.outputs.maps") == "outputs"
    assert _layer_of_module("regionlib.settings") == "core"
    assert _layer_of_path(fake) == "data"
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from regionlib import maps, settings\n", encoding="utf-8")
    assert [n for _, n in _imports(probe)] == [
        "regionlib",
        "regionlib.maps",
        "regionlib.settings",
    ]


def test_codes_and_boundaries_do_not_import_each_other():
    codes = {n for _, n in _imports(PACKAGE / "data" / "codes.py")}
    assert not {"regionlib.boundaries", "regionlib.data.boundaries"} & codes


def test_public_names_reach_their_modules():
    import regionlib.data.table

    assert regionlib.table is regionlib.data.table
    assert regionlib.maps.__name__ == "regionlib.outputs.maps"
    assert regionlib.regions.__name__ == "regionlib.analysis.regions"
    assert callable(regionlib.series)
    assert set(regionlib._SUBMODULES) <= set(dir(regionlib))


def test_short_dotted_names_import_the_same_module():
    code = (
        "import sys, regionlib.table, regionlib.regions.functional as f\n"
        "from regionlib.table import load_table\n"
        "real = sys.modules['regionlib.analysis.regions.functional']\n"
        "print(f is real, f.__name__, regionlib.table.__name__, load_table.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "True",
        "regionlib.analysis.regions.functional",
        "regionlib.data.table",
        "regionlib.data.table",
    ]


def test_population_offers_the_pyramid_without_importing_the_outputs():
    """``rl.population.pyramid`` is the outputs' function, resolved only when touched."""
    code = (
        "import sys, inspect, regionlib as rl\n"
        "pop = rl.population\n"
        "before = 'regionlib.outputs.pyramid' in sys.modules or 'matplotlib' in sys.modules\n"
        "from regionlib.outputs import pyramid\n"
        "same = rl.population.pyramid is pyramid.pyramid is rl.pyramid.pyramid\n"
        "import regionlib.population as short\n"
        "sig = inspect.signature(short.pyramid) == inspect.signature(pyramid.pyramid)\n"
        "try:\n"
        "    rl.population.no_such_name\n"
        "    missing = 'found'\n"
        "except AttributeError as exc:\n"
        "    missing = type(exc).__name__\n"
        "print(before, same, sig, pop is sys.modules['regionlib.data.population'], missing)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True", "AttributeError"]
    source = (PACKAGE / "data" / "population.py").read_text(encoding="utf-8")
    assert "outputs" not in {
        n.split(".")[1] for _, n in _imports(PACKAGE / "data" / "population.py") if n.count(".")
    }
    assert "rl.population.pyramid" in source  # documented where a reader looks
