"""What web and print maps share: class breaks, palettes, number formats, legend metadata, credits."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib.data import indicators

#: Files a figure (print map, pyramid) is saved as.
FIGURE_FORMATS = (".png", ".pdf", ".svg")

BOUNDARY_CREDIT = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"
MISSING_COLOR = "#c8c8c8"
MISSING_LABEL = "データなし"

#: scheme name -> Japanese name shown in the legend
SCHEMES: dict[str, str] = {
    "quantiles": "分位数",
    "natural_breaks": "自然分類（Jenks）",
    "equal_interval": "等間隔",
    "std_mean": "平均±標準偏差",
    "user_defined": "指定区分",
}
#: legend name of the classes :func:`classify` makes around a centre
CENTRED_LABEL = "0を境にした分位数"
_SCHEME_ALIASES = {
    "quantile": "quantiles",
    "fisher_jenks": "natural_breaks",
    "jenks": "natural_breaks",
    "naturalbreaks": "natural_breaks",
    "equalinterval": "equal_interval",
    "std": "std_mean",
    "stddev": "std_mean",
    "user": "user_defined",
    "userdefined": "user_defined",
}
#: colour-blind-safe ColorBrewer / matplotlib palettes
SEQUENTIAL = ("YlGnBu", "Blues", "Greens", "Purples", "Oranges", "YlOrRd", "viridis", "cividis")
DIVERGING = ("RdBu", "PuOr", "BrBG", "PRGn")


@dataclass(frozen=True)
class Classes:
    """Class breaks of one value column.

    Attributes
    ----------
    scheme
        Normalised scheme name.
    upper
        Upper bound of every class (the last is the maximum).
    lower
        Lower bound of the first class (the minimum).
    cls
        Class index per row, ``-1`` for missing values.
    colors
        One hex colour per class.
    counts
        Rows per class.
    """

    scheme: str
    upper: np.ndarray
    lower: float
    cls: np.ndarray
    colors: list[str]
    counts: list[int]


def normalize_scheme(scheme: str) -> str:
    """Return the canonical scheme name, or raise UnknownNameError."""
    key = scheme.lower().replace("-", "_").replace(" ", "_")
    key = _SCHEME_ALIASES.get(key, _SCHEME_ALIASES.get(key.replace("_", ""), key))
    if key not in SCHEMES:
        raise UnknownNameError(
            (
                f"階級区分の方法 {scheme!r} はありません。{', '.join(SCHEMES)} から選んでください / "
                f"unknown classification scheme {scheme!r}; choose one of {', '.join(SCHEMES)}"
            )
            + suggest(scheme, [*SCHEMES, *_SCHEME_ALIASES])
        )
    return key


def palette_colors(palette: str, k: int) -> list[str]:
    """Return ``k`` hex colours of a colour-blind-safe palette, light to dark (or low to high).

    Parameters
    ----------
    palette
        One of :data:`SEQUENTIAL` or :data:`DIVERGING`; append ``_r`` to reverse.
    k
        Number of classes.

    Returns
    -------
    list of str
        Hex colours.
    """
    base = palette[:-2] if palette.endswith("_r") else palette
    if base not in SEQUENTIAL + DIVERGING:
        raise UnknownNameError(
            f"配色 {palette!r} はありません。色覚の多様性に配慮した配色: {', '.join(SEQUENTIAL + DIVERGING)} / "
            f"unknown palette {palette!r}; colour-blind-safe choices: "
            f"{', '.join(SEQUENTIAL + DIVERGING)}" + suggest(base, SEQUENTIAL + DIVERGING)
        )
    lo, hi = (0.05, 0.95) if base in DIVERGING else (0.12, 0.95)
    if base in ("viridis", "cividis"):
        lo, hi = 0.0, 1.0
    xs = np.linspace(lo, hi, k) if k > 1 else np.array([hi])
    return sample_palette(palette, xs)


def sample_palette(palette: str, xs: Sequence[float]) -> list[str]:
    """Return the hex colours of matplotlib's colormap ``palette`` at the positions ``xs``.

    Importing matplotlib costs a command more than drawing its web map, so each palette's
    lookup table is kept in the derived cache (keyed by the palette and matplotlib's version)
    and sampled here as ``Colormap.__call__`` and ``to_hex`` do; matplotlib is imported only
    on a miss. tests/test_maps.py checks the colours against matplotlib's.

    Parameters
    ----------
    palette
        A matplotlib colormap name (``YlGnBu``, ``RdBu_r`` …).
    xs
        Positions in [0, 1].

    Returns
    -------
    list of str
        Hex colours, one per position.
    """
    lut = _palette_table(palette)
    n = len(lut)
    out = []
    for x in xs:
        i = min(max(int(float(x) * n), 0), n - 1)  # as Colormap.__call__ for floats in [0, 1]
        out.append("#" + "".join(format(round(float(v) * 255), "02x") for v in lut[i, :3]))
    return out


@functools.cache
def _palette_table(palette: str) -> np.ndarray:
    """Return the RGBA lookup table of a colormap (``N`` rows), from the derived cache."""
    from importlib.metadata import version

    from regionlib.data import _cache

    def build() -> pd.DataFrame:
        from matplotlib import colormaps

        cmap = colormaps[palette]
        return pd.DataFrame(cmap(np.arange(cmap.N)), columns=["r", "g", "b", "a"])

    inputs = [f"matplotlib {version('matplotlib')}"]
    return _cache.cached("palette", inputs, {"palette": palette}, build).to_numpy(dtype=float)


# The class breaks of mapclassify, computed here with numpy: importing mapclassify compiles its
# numba functions in every process (about 5 s on a 2-core machine, most of a command's time).
# tests/test_maps.py checks that the breaks and classes equal mapclassify's.


def equal_interval_bins(y: np.ndarray, k: int) -> np.ndarray:
    """Return the upper bounds of ``k`` equal intervals (as ``mapclassify.EqualInterval``)."""
    max_y, min_y = max(y), min(y)
    width = (max_y - min_y) * 1.0 / k
    cuts = np.arange(min_y + width, max_y + width, width)
    if len(cuts) > k:  # np.arange can overshoot by one
        cuts = cuts[0:k]
    cuts[-1] = max_y
    return cuts.copy()


def std_mean_bins(y: np.ndarray) -> np.ndarray:
    """Return mean − 2, − 1, + 1, + 2 standard deviations and the maximum (``mapclassify.StdMean``)."""
    s, m = y.std(ddof=1), y.mean()
    cuts = [m + s * w for w in (-2, -1, 1, 2)]
    if cuts[-1] < y.max():
        cuts.append(y.max())
    return np.array(cuts)


def bin_values(y: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Return the class of each value: the first upper bound it does not exceed.

    As ``mapclassify.UserDefined(y, bins=upper).yb`` for bounds that reach the maximum.
    """
    return np.searchsorted(np.asarray(upper, dtype=float), y, side="left").astype(np.int64)


def _fisher_jenks(y: np.ndarray, k: int) -> np.ndarray:
    """Exact Fisher-Jenks natural breaks (upper bounds), by dynamic programming.

    mapclassify.FisherJenks needs numba to be fast (4 s and a warning for 1,741 values
    without it); this numpy version vectorises the inner loop and takes ~0.1 s.
    """
    x = np.sort(y)
    n = len(x)
    if n <= k:
        return np.unique(x)
    z = (x - x.mean()) / (x.std() or 1.0)
    s1 = np.concatenate([[0.0], np.cumsum(z)])
    s2 = np.concatenate([[0.0], np.cumsum(z * z)])
    j = np.arange(n)
    cost = np.full((k, n), np.inf)
    start = np.zeros((k, n), dtype=np.int64)
    cost[0] = s2[j + 1] - s1[j + 1] ** 2 / (j + 1)
    for m in range(1, k):
        for jj in range(m, n):
            i = np.arange(m, jj + 1)
            c = (s2[jj + 1] - s2[i]) - (s1[jj + 1] - s1[i]) ** 2 / (jj + 1 - i)
            total = cost[m - 1, i - 1] + c
            a = int(np.argmin(total))
            cost[m, jj] = total[a]
            start[m, jj] = i[a]
    bins = [x[-1]]
    jj = n - 1
    for m in range(k - 1, 0, -1):
        i = start[m, jj]
        bins.append(x[i - 1])
        jj = i - 1
    return np.unique(bins)


def classify(
    values: pd.Series,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: list[float] | None = None,
    palette: str | None = None,
    centre: float | None = None,
) -> Classes:
    """Classify ``values`` (mapclassify's schemes and breaks); NaN stays unclassified (class -1).

    Parameters
    ----------
    values
        Numeric values.
    scheme
        ``quantiles``, ``natural_breaks``, ``equal_interval``, ``std_mean`` or ``user_defined``.
    k
        Number of classes (ignored by ``std_mean`` and ``user_defined``).
    bins
        Upper class bounds for ``user_defined`` (the maximum is added if needed).
    palette
        Palette name; default ``YlGnBu``, or ``RdBu`` for ``std_mean`` and ``centre``.
    centre
        Split the classes at this value (0 for changes) when the values lie on both sides:
        quantile classes below and above it, coloured with a diverging palette whose light
        middle is the centre (no class is white).

    Returns
    -------
    Classes
        Breaks, class per row, colours and counts.
    """
    scheme = normalize_scheme(
        "user_defined" if bins is not None and scheme == "quantiles" else scheme
    )
    y = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, copy=True)
    y[~np.isfinite(y)] = np.nan
    ok = ~np.isnan(y)
    if ok.sum() == 0:
        raise DataFormatError(
            f"列 {getattr(values, 'name', '')!r} に地図にできる数値がありません / "
            f"column {getattr(values, 'name', '')!r} has no numeric values to map"
        )
    if not 1 < k <= 12 and scheme in ("quantiles", "natural_breaks", "equal_interval"):
        raise RegionlibError(
            f"k={k}: 階級の数は 2 から 12 の間にしてください / "
            f"k={k}: choose between 2 and 12 classes"
        )
    yv = y[ok]
    if centre is not None and bins is None and yv.min() < centre < yv.max():
        return _centred(y, ok, k=k, centre=float(centre), palette=palette or "RdBu")
    if scheme == "user_defined":
        if not bins:
            raise RegionlibError(
                "階級区分 'user_defined' には bins=[上限値 …] が必要です / "
                "scheme 'user_defined' needs bins=[upper bounds …]"
            )
        upper = np.unique(np.asarray([float(b) for b in bins]))
        below = upper[upper < yv.min()]
        if len(below):  # a class ending below the smallest value is empty, its legend reversed
            shown = ", ".join(f"{b:g}" for b in below)
            log(
                f"bins below the smallest value ({yv.min():g}) left out: {shown}",
                level=logging.WARNING,
                ja=f"最小値 {yv.min():g} より小さい区分（{shown}）は空の階級になるので省きました",
            )
            upper = upper[upper >= yv.min()]
        if not len(upper) or upper[-1] < yv.max():
            upper = np.append(upper, yv.max())
    elif scheme == "natural_breaks":
        upper = _fisher_jenks(yv, min(k, len(np.unique(yv))))
    elif scheme == "std_mean":
        upper = std_mean_bins(yv)
        # mean + 2 sd can lie above the maximum: end the last class at the maximum
        upper = np.append(upper[upper < yv.max()], yv.max())
    elif scheme == "equal_interval":
        upper = equal_interval_bins(yv, k)
    else:
        # same breaks as mapclassify.Quantiles, which warns on ties instead of merging classes
        upper = np.unique(np.quantile(yv, np.arange(1, k + 1) / k))
        if len(upper) < k:
            label = getattr(values, "name", "values")
            log(
                f"{label}: ties leave {len(upper)} quantile classes, not {k}",
                ja=f"{label}: 同じ値が多いため、分位数の階級は {k} でなく {len(upper)} です",
            )
    upper = np.asarray(upper, dtype=float)
    cls = np.full(len(y), -1, dtype=np.int64)
    cls[ok] = bin_values(yv, upper)
    n = len(upper)
    if palette is None:
        palette = "RdBu" if scheme == "std_mean" else "YlGnBu"
    colors = palette_colors(palette, n)
    counts = [int((cls == i).sum()) for i in range(n)]
    return Classes(scheme, upper, float(yv.min()), cls, colors, counts)


def pooled_classes(
    frame: pd.DataFrame,
    indicator: str,
    years,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str | None = None,
) -> tuple[str, list[str], pd.Series, Classes]:
    """Classify the values of every year of one indicator together (one scheme for all years).

    Parameters
    ----------
    frame
        A table with the columns ``INDICATOR@YEAR``.
    indicator
        Catalogue name or label.
    years
        The years, in order.
    scheme, k, palette
        As for :func:`classify`, applied to the pooled values.

    Returns
    -------
    tuple
        The indicator's catalogue name, its ``NAME@YEAR`` columns, the pooled values and their
        classes; a colour then means the same value in every year's map.

    Raises
    ------
    UnknownNameError
        A year's column is not in the table.
    """
    name = indicators.parse(indicator).name
    columns = [f"{name}@{int(y)}" for y in years]
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise UnknownNameError(
            f"列 {absent[0]!r} は表にありません / column {absent[0]!r} is not in the table"
        )
    pooled = pd.concat(
        [pd.to_numeric(frame[c], errors="coerce") for c in columns], ignore_index=True
    )
    return name, columns, pooled, classify(pooled.rename(name), scheme=scheme, k=k, palette=palette)


def is_change(column: str) -> bool:
    """Whether ``column`` is a change, mapped around 0 (see :func:`change_centre`).

    A catalogue change between two years (``aging_rate@2015-2020``), or a column whose name
    says ``change`` (``pop_change``).
    """
    ind = indicators.find(str(column))
    return "change" in str(column) or (ind is not None and ("-" in ind.year or "増減" in ind.label))


def change_centre(
    column: str, *, palette: str | None = None, bins: object | None = None
) -> float | None:
    """Return the ``centre`` web and print maps pass to :func:`classify` for ``column``.

    The one rule for changes: a change (:func:`is_change`) drawn without a chosen palette or
    class bounds is classed on each side of 0 (when its values lie on both sides), with a
    diverging palette whose classes next to 0 are tinted.

    Parameters
    ----------
    column
        The column mapped.
    palette, bins
        The palette and class bounds the user chose, if any.

    Returns
    -------
    float or None
        ``0.0``, or None for classes without a centre.
    """
    return 0.0 if palette is None and bins is None and is_change(column) else None


def _centred(y: np.ndarray, ok: np.ndarray, *, k: int, centre: float, palette: str) -> Classes:
    """Quantile classes on each side of ``centre``; diverging colours, light next to it."""
    yv = y[ok]
    below, above = yv[yv < centre], yv[yv > centre]
    k_below = int(np.clip(round(k * len(below) / max(len(below) + len(above), 1)), 1, k - 1))
    k_above = k - k_below
    # a side with enough values gets at least two classes, even if that makes k + 1
    k_below = max(k_below, 2) if len(below) >= 20 else k_below
    k_above = max(k_above, 2) if len(above) >= 20 else k_above
    decimals = decimals_for(yv)
    cuts_below = np.quantile(below, np.arange(1, k_below) / k_below) if k_below > 1 else []
    cuts_above = np.quantile(above, np.arange(1, k_above) / k_above) if k_above > 1 else []
    upper = np.unique(
        [*np.round([*cuts_below, centre, *cuts_above], decimals).tolist(), float(yv.max())]
    )
    cls = np.full(len(y), -1, dtype=np.int64)
    cls[ok] = bin_values(yv, upper)
    n_below = int((upper <= centre).sum())
    n_above = len(upper) - n_below
    # 0.5 is the white middle of a diverging palette: the classes next to the centre stay
    # visibly tinted, the extremes reach the palette's ends
    xs = [0.5 - 0.44 * (n_below - i) / n_below for i in range(n_below)]
    xs += [0.5 + 0.44 * (j + 1) / n_above for j in range(n_above)]
    colors = sample_palette(palette, xs)
    counts = [int((cls == i).sum()) for i in range(len(upper))]
    return Classes("centred", upper, float(yv.min()), cls, colors, counts)


def decimals_for(values: np.ndarray) -> int:
    """Return how many decimals show the values and their differences sensibly."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if len(v) == 0:
        return 0
    ref = float(np.median(v))
    if ref >= 100:
        return 0
    if ref >= 10:
        return 1
    return min(4, max(2, 1 - math.floor(math.log10(ref))))


def fmt(value: float, decimals: int) -> str:
    """Format a number with thousands separators, or ``データなし`` for NaN."""
    if value is None or not np.isfinite(value):
        return MISSING_LABEL
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True)
class Meta:
    """Legend metadata of one column."""

    label: str
    unit: str
    year: str

    @property
    def title(self) -> str:
        """Legend title, e.g. ``高齢化率（%）``."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


def column_meta(
    column: str, *, label: str | None = None, unit: str | None = None, year: str | None = None
) -> Meta:
    """Legend metadata: explicit arguments, else the indicator catalogue, else the column name."""
    ind = indicators.find(str(column))
    return Meta(
        label=label or (ind.label if ind else str(column)),
        unit=unit if unit is not None else (ind.unit if ind else ""),
        year=str(year) if year is not None else (ind.year if ind else ""),
    )


def credit_lines(
    columns: Sequence[str], extra: Sequence[str] | None = None, *, datasets: Sequence[str] = ()
) -> list[str]:
    """Return the credit lines of an output, computed from what it shows.

    The one place that turns what an output used into its credits: every map, page, table
    and workbook calls it with the indicators whose values it shows and the registry datasets
    it used beyond them (commuting zones as blocks, SSDSE items behind a region proposal).

    Parameters
    ----------
    columns
        Columns shown; catalogue indicators among them bring their sources' credits
        (``population_registered`` → 住民基本台帳), other names are ignored.
    extra
        Further credit lines (a user's own source), after the others.
    datasets
        Registry dataset names whose credit lines are added.

    Returns
    -------
    list of str
        The boundaries credit first, then each source once, in order of first use.
    """
    from regionlib.data import datasets as registry

    known = [c for c in columns if indicators.find(str(c)) is not None]
    lines = [
        BOUNDARY_CREDIT,
        *(indicators.credits(known) if known else []),
        *(registry.info(d).credit for d in datasets),
        *(extra or []),
    ]
    out: list[str] = []
    for line in lines:
        if line and line not in out:
            out.append(line)
    return out


def names_of(gdf: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return (prefecture, municipality name) per row, falling back to the code."""
    codes = [str(c) for c in gdf.index]
    pref = gdf["prefecture"].astype(str).tolist() if "prefecture" in gdf else [""] * len(gdf)
    name = gdf["name"].astype(str).tolist() if "name" in gdf else codes
    return pref, name
