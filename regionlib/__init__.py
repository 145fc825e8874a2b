"""regionlib: compare Japan's municipalities.

Modules, not names, are the public API::

    import regionlib as rl

    table = rl.table.load_table(["aging_rate", "population_2020"])
    m = rl.maps.choropleth(table, "aging_rate")
    rl.maps.save_html(m, "aging.html")

Modules
-------
The modules live in three layers, each a subpackage, and the command line on top:
``regionlib.data`` (data in), ``regionlib.analysis`` (what is computed from it) and
``regionlib.outputs`` (maps, tables and pages out), then ``regionlib.cli``. A layer imports
only from itself and the layers below it (core: ``settings``, ``_errors``, ``_log``,
``_write``). Every public module is reachable by its short name (``rl.table`` is
``regionlib.data.table``).

settings     cache folder, data mirror, CRSs, seed, logging
datasets     the data registry: download, verify, cache
codes        municipal codes: normalisation, check digits, code history, name resolution
boundaries   N03 boundaries, one row per municipality
indicators   the indicator catalogue (labels, units, years, formulas, credits)
panel        series through the years (``rl.series``) and changes (``rl.change``)
flags        values that are correct but misleading (evacuation orders, Tokyo's wards)
userdata     the user's own CSV/XLSX joined by code or name
readers      raw readers of SSDSE-A, 住基, 主要財政指標 and すがた files
table        one table: boundaries + indicators + join report
features     feature preparation for similarity (transforms, scaling, missing values)
similarity   clusters with evidence and profiles, peers, comparison tables
spatial      global and local Moran's I on the contiguity graph
graph        contiguity graph with explicit island links
regions      contiguous wide-area regions (Ward, max-p, SKATER)
proposals    a region proposal with its evidence and planners' files
evaluate     evaluation of any labelling (SSD, floor, contiguity, compactness, ARI/AMI)
references   reference groupings: prefectures and commuting zones
maps         Folium choropleths saved as offline HTML
printmaps    matplotlib print maps (PNG/PDF/SVG) with a Japanese font
demo         the first-look package written by ``regionlib demo``
export       planners' files: CSV, Excel, GeoPackage, GeoJSON
report       municipality profiles: one offline page per municipality
goodpractice good practice among start-year peers (好事例)
population   the register's population by age and sex, 1995-2022 (``rl.population.pyramid``)
projection   the cohort change-ratio projection, its backtest and 消滅可能性
pyramid      population pyramids (PNG, PDF, SVG, HTML)

Submodules are imported on first use (PEP 562), so ``import regionlib`` is quick and
``rl.maps`` costs its imports only when touched. A few functions of a higher layer are also
offered on the module of their topic: ``rl.population.pyramid`` is ``rl.pyramid.pyramid``
(resolved by this namespace, so ``regionlib.data.population`` never imports the outputs).

Errors
------
Every error regionlib raises on bad input or bad data is a :class:`RegionlibError`; catch it to
handle them all. Its subclasses are:

DataFetchError      a registry file could not be downloaded, found on the mirror, or verified
DataFormatError     a data file or table does not have the expected layout or content
UnknownNameError    a dataset, indicator or municipality name is not known (also a KeyError)
AmbiguousNameError  a municipality name matches more than one municipality (also a KeyError)
OutputError         an output file or folder cannot be written
"""

import importlib
import importlib.abc
import importlib.util
import pkgutil
import sys

from regionlib._errors import (
    AmbiguousNameError,
    DataFetchError,
    DataFormatError,
    OutputError,
    RegionlibError,
    UnknownNameError,
)

#: functions offered at top level: name -> module that defines them
_FUNCTIONS = {"series": "panel", "change": "panel"}
#: the layers, lowest first: a module may import from its own layer and the ones before it
LAYERS = ("data", "analysis", "outputs")


def _public_modules() -> dict[str, str]:
    """Map each public module name (``table``) to its full name (``regionlib.data.table``)."""
    found = {}
    for layer in LAYERS:
        package = importlib.util.find_spec(f"regionlib.{layer}")
        for m in pkgutil.iter_modules(package.submodule_search_locations):
            if not m.name.startswith("_"):
                found[m.name] = f"regionlib.{layer}.{m.name}"
    return found


#: the public submodules, found on disk so that a new module needs no line here
_MODULES = _public_modules()
_SUBMODULES = sorted(_MODULES)
#: functions of a higher layer that a lower module's short name offers too, so that a reader
#: finds them beside their topic (``rl.population.pyramid`` draws with ``rl.pyramid``):
#: short module name -> {attribute: short name of the module that defines it}. The lower
#: module never imports the higher one; the namespace resolves the attribute on first use.
_OFFERED = {"population": {"pyramid": "pyramid"}}


def _offer(module):
    """Let ``module`` resolve the names :data:`_OFFERED` gives it, imported on first use."""
    offered = _OFFERED.get(module.__name__.rsplit(".", 1)[-1], {})
    if not offered or "__getattr__" in vars(module):
        return module

    def resolve(name: str):
        if name not in offered:
            msg = f"module {module.__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(_MODULES[offered[name]]), name)
        setattr(module, name, value)
        return value

    module.__getattr__ = resolve  # PEP 562: asked only for names the module lacks
    return module


class _ShortNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Let ``import regionlib.table`` (and ``regionlib.regions.functional``) find the module.

    The short name becomes another key in ``sys.modules`` for the very same module object,
    so code written before the layers (``from regionlib.table import load_table``,
    ``pytest.importorskip("regionlib.table")``) keeps working and nothing is loaded twice.
    """

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) < 2 or parts[0] != "regionlib" or parts[1] not in _MODULES:
            return None
        real = ".".join([_MODULES[parts[1]], *parts[2:]])
        return importlib.util.spec_from_loader(fullname, self, origin=real)

    def create_module(self, spec):
        module = _offer(importlib.import_module(spec.origin))
        spec.loader_state = (module.__name__, module.__spec__)
        return module

    def exec_module(self, module):
        """Run nothing; give back the names the import machinery set for the short name."""
        module.__name__, module.__spec__ = module.__spec__.loader_state


sys.meta_path.insert(0, _ShortNames())  # before the path finder, or a submodule loads twice

__all__ = [
    "AmbiguousNameError",
    "DataFetchError",
    "DataFormatError",
    "OutputError",
    "RegionlibError",
    "UnknownNameError",
    "__version__",
    *_FUNCTIONS,
    *_SUBMODULES,
]


def __getattr__(name: str):
    """Import a submodule (``rl.table``) or top-level function (``rl.series``) on first use."""
    if name in _MODULES:
        value = _offer(importlib.import_module(_MODULES[name]))
        globals()[name] = value
        return value
    if name in LAYERS or name == "cli":
        return importlib.import_module(f"regionlib.{name}")  # also sets it on the package
    if name in _FUNCTIONS:
        value = getattr(importlib.import_module(_MODULES[_FUNCTIONS[name]]), name)
        globals()[name] = value
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("regionlib")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    msg = f"module 'regionlib' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
