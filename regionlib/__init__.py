"""regionlib: compare Japan's municipalities.

Modules, not names, are the public API::

    import regionlib as rl

    table = rl.table.load_table(["aging_rate", "population_2020"])
    m = rl.maps.choropleth(table, "aging_rate")
    rl.maps.save_html(m, "aging.html")

Modules
-------
settings     cache folder, data mirror, CRSs, seed, logging
datasets     the data registry: download, verify, cache
codes        municipal codes: normalisation, check digits, code history, name resolution
boundaries   N03 boundaries, one row per municipality
indicators   the indicator catalogue (labels, units, years, formulas, credits; catalogue.csv)
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
"""

from importlib.metadata import PackageNotFoundError, version

from regionlib import (
    boundaries,
    codes,
    datasets,
    demo,
    evaluate,
    features,
    flags,
    graph,
    indicators,
    maps,
    panel,
    printmaps,
    proposals,
    readers,
    references,
    regions,
    settings,
    similarity,
    spatial,
    table,
    userdata,
)
from regionlib.panel import change, series

try:
    __version__ = version("regionlib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "boundaries",
    "change",
    "codes",
    "datasets",
    "demo",
    "evaluate",
    "features",
    "flags",
    "graph",
    "indicators",
    "maps",
    "panel",
    "printmaps",
    "proposals",
    "readers",
    "references",
    "regions",
    "series",
    "settings",
    "similarity",
    "spatial",
    "table",
    "userdata",
]
