"""Feature preparation: from an indicator table to a standardised, comparable matrix.

Similarity between municipalities depends on how indicators are made comparable. This module
makes every step explicit and reported:

1. **Selection** by catalogue name (the columns of :func:`regionlib.table.load_table`).
2. **Transforms**: ``"log"`` (``log1p``) for skewed, non-negative counts and densities
   (population, 人/km²), ``"none"`` for shares and rates, which are kept as they are.
3. **Missing values**: an explicit policy, never silent: ``"drop"`` leaves out municipalities
   with a missing value, ``"impute"`` fills the median, ``"raise"`` refuses. Either way the
   :class:`FeatureReport` lists what happened, and the log says it.
4. **Robust standardisation**: median and IQR (:class:`sklearn.preprocessing.RobustScaler`
   with ``unit_variance=True``, so a normal variable ends with standard deviation 1): one
   outlier such as 東京都特別区 does not squash everyone else.
5. **Clipping**: robust z-scores beyond ±``clip`` (default 5) are set to ±``clip`` and
   reported: a town whose population came back after an evacuation order (+300 %) would
   otherwise be a cluster of its own and dominate every distance.
6. **Weights**: each standardised column is multiplied by its weight (default 1), so a weight
   of 2 doubles that indicator's difference in every distance.

Examples
--------
>>> import pandas as pd
>>> from regionlib import features
>>> df = pd.DataFrame(
...     {"population_2020": [1000, 5000, 200000, 8000], "aging_rate": [45.0, 38.0, 25.0, 35.0]},
...     index=pd.Index(["01001", "01002", "01003", "01004"], name="code"),
... )
>>> f = features.prepare_features(df, ["population_2020", "aging_rate"])
>>> f.transforms
{'population_2020': 'log', 'aging_rate': 'none'}
>>> f.matrix.shape
(4, 2)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError, suggest
from regionlib._log import log
from regionlib.data import flags
from regionlib.data import indicators as _catalogue
from regionlib.data._validate import code_index

__all__ = [
    "META_COLUMNS",
    "FeatureReport",
    "Features",
    "choose_transforms",
    "indicator_columns",
    "indicator_label",
    "indicator_unit",
    "prepare_features",
]

#: Columns of a regionlib table that are not indicators.
META_COLUMNS = ("pref_code", "prefecture", "name", "geometry")

#: Kinds of indicator whose values are skewed over Japan's municipalities (counts, amounts such
#: as area and money, and densities), logged; the other kinds (rates, averages per person,
#: indices) are not.
_SKEWED_KINDS = ("count", "amount")
_MISSING_POLICIES = ("drop", "impute", "raise")


def indicator_label(name: str, *, short: bool = False) -> str:
    """Return the Japanese label of indicator ``name`` (the name itself if not catalogued).

    Parameters
    ----------
    name
        Catalogue name, such as ``"aging_rate"``.
    short
        Drop parenthesised details: ``"高齢化率（65歳以上人口割合）"`` becomes ``"高齢化率"``.

    Returns
    -------
    str
        The label, such as ``"高齢化率（65歳以上人口割合）"``.
    """
    entry = _catalogue.find(name)
    label = entry.label if entry is not None else name
    if short:
        label = re.sub(r"（[^）]*）|\([^)]*\)", "", label).strip() or label
    return label


def indicator_unit(name: str) -> str:
    """Return the unit of indicator ``name`` (``""`` if not catalogued).

    Parameters
    ----------
    name
        Catalogue name.

    Returns
    -------
    str
        The unit, such as ``"%"`` or ``"人"``.
    """
    entry = _catalogue.find(name)
    return entry.unit if entry is not None else ""


def indicator_columns(table: pd.DataFrame) -> list[str]:
    """Return the numeric indicator columns of a regionlib table, in table order.

    Parameters
    ----------
    table
        A table as returned by :func:`regionlib.table.load_table`.

    Returns
    -------
    list of str
        Every numeric column that is not one of :data:`META_COLUMNS`.
    """
    return [
        c
        for c in table.columns
        if c not in META_COLUMNS and pd.api.types.is_numeric_dtype(table[c])
    ]


def _check_indicators(table: pd.DataFrame, indicators: Sequence[str] | None) -> list[str]:
    available = indicator_columns(table)
    if indicators is None:
        if not available:
            msg = (
                "表に数値の指標の列がありません。table.load_table() で読み込んでください / "
                "the table has no numeric indicator columns; load one with table.load_table()"
            )
            raise DataFormatError(msg)
        return available
    if isinstance(indicators, str):
        indicators = [indicators]
    chosen = list(dict.fromkeys(indicators))
    if not chosen:
        msg = (
            "指標が指定されていません。1 つ以上指定してください（regionlib indicators list を参照） / "
            "no indicators given; name at least one (see `regionlib indicators list`)"
        )
        raise RegionlibError(msg)
    for name in chosen:
        if name in available:
            continue
        if name in table.columns:
            msg = (
                f"列 '{name}' は数値ではないため（型 {table[name].dtype}）特徴量にできません / "
                f"column '{name}' is not numeric (dtype {table[name].dtype}); it cannot be a feature"
            )
            raise DataFormatError(msg)
        if _catalogue.find(name) is not None:
            msg = (
                f"指標 '{name}' はこの表の列にありません。table.load_table(indicators=[..., '{name}']) で読み込んでください / "
                f"indicator '{name}' is not a column of this table; load it with "
                f"table.load_table(indicators=[..., '{name}'])"
            )
        else:
            msg = (
                f"指標 '{name}' が見つかりません / "
                f"unknown indicator '{name}'{suggest(name, available)}"
            )
        raise UnknownNameError(msg)
    return chosen


def choose_transforms(table: pd.DataFrame, indicators: Sequence[str]) -> dict[str, str]:
    """Choose ``"log"`` or ``"none"`` for each indicator.

    Counts and densities (catalogue unit 人, 人/km², 世帯 …) are logged when they have no
    negative values; without catalogue information a non-negative column whose skewness is
    above 2 is logged. Shares, rates and changes are kept as they are.

    Parameters
    ----------
    table
        The indicator table.
    indicators
        Columns to decide for.

    Returns
    -------
    dict
        ``{indicator: "log" | "none"}``.
    """
    out = {}
    for name in indicators:
        values = pd.to_numeric(table[name], errors="coerce").astype(float)
        nonneg = bool((values.dropna() >= 0).all())
        entry = _catalogue.find(name)
        if entry is not None:
            skewed = entry.kind in _SKEWED_KINDS or entry.unit == "人/km²"
        else:
            skewed = bool(values.skew() > 2) if values.notna().sum() > 2 else False
        out[name] = "log" if (skewed and nonneg) else "none"
    return out


@dataclass
class FeatureReport:
    """What :func:`prepare_features` did to the table.

    Attributes
    ----------
    n_input
        Rows in the input table.
    n_used
        Rows in the feature matrix.
    dropped
        Codes left out (``missing="drop"``), with the indicators missing for each.
    imputed
        Per indicator, the codes whose missing value was replaced by the median.
    missing_counts
        Per indicator, how many values were missing in the input.
    transforms, center, scale, weights
        Per indicator, the transform applied, the median and the robust scale used.
    clipped
        Per indicator, the codes whose robust z-score was clipped to ±``clip``.
    notes
        Other remarks (e.g. a scale taken from the standard deviation because the IQR was 0).
    flagged
        Per indicator, the codes whose flagged value (``table.attrs["flags"]``, e.g. an
        evacuation artefact) was left out (set to the median, so it adds no distance).
    """

    n_input: int
    n_used: int
    dropped: dict[str, list[str]] = field(default_factory=dict)
    imputed: dict[str, list[str]] = field(default_factory=dict)
    missing_counts: dict[str, int] = field(default_factory=dict)
    transforms: dict[str, str] = field(default_factory=dict)
    center: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    clipped: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    flagged: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"features: {self.n_used} of {self.n_input} municipalities used"]
        for name, t in self.transforms.items():
            w = self.weights.get(name, 1.0)
            miss = self.missing_counts.get(name, 0)
            lines.append(
                f"  {name}: transform={t}, median={self.center[name]:.4g}, "
                f"scale={self.scale[name]:.4g}, weight={w:g}, missing={miss}"
            )
        if self.dropped:
            shown = ", ".join(f"{c} ({'/'.join(v)})" for c, v in list(self.dropped.items())[:10])
            more = f" and {len(self.dropped) - 10} more" if len(self.dropped) > 10 else ""
            lines.append(f"  left out for missing values: {shown}{more}")
        for name, codes in self.flagged.items():
            lines.append(f"  {name}: flagged values left out for {len(codes)} ({', '.join(codes)})")
        for name, codes in self.imputed.items():
            lines.append(f"  {name}: median imputed for {len(codes)} ({', '.join(codes[:10])})")
        for name, codes in self.clipped.items():
            lines.append(f"  {name}: z-score clipped for {len(codes)} ({', '.join(codes[:10])})")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


@dataclass
class Features:
    """A standardised feature matrix and everything needed to explain it.

    Attributes
    ----------
    matrix
        Standardised (and weighted) values, index ``code``, one column per indicator.
    raw
        The untransformed indicator values of *every* input row, missing values kept as NaN
        (for ranks, medians and percentiles against the whole table).
    meta
        ``name``, ``prefecture``, ``pref_code`` and ``population`` (if known) of every input
        row; ``matrix.index`` tells which rows were used.
    indicators
        Indicator names, in column order.
    transforms, weights
        Per indicator.
    report
        The :class:`FeatureReport`.
    """

    matrix: pd.DataFrame
    raw: pd.DataFrame
    meta: pd.DataFrame
    indicators: list[str]
    transforms: dict[str, str]
    weights: dict[str, float]
    report: FeatureReport

    @property
    def zscores(self) -> pd.DataFrame:
        """Standardised values before weighting (robust z-scores)."""
        w = pd.Series(self.weights, dtype=float).reindex(self.indicators)
        return self.matrix / w


#: interquartile range of the standard normal distribution, 2 * norm.ppf(0.75)
_NORMAL_IQR = 1.3489795003921634


def _robust_center_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and IQR / normal IQR of each column (NaN ignored), zero IQR as 1.

    The same numbers as ``sklearn.preprocessing.RobustScaler(unit_variance=True)``, computed
    with NumPy so that peers and profiles need not import scikit-learn (about a second).
    """
    center = np.nanmedian(x, axis=0)
    q25, q75 = np.nanpercentile(x, [25.0, 75.0], axis=0)
    scale = (q75 - q25) / _NORMAL_IQR
    scale[scale < 10 * np.finfo(scale.dtype).eps] = 1.0
    return center, scale


def prepare_features(
    table: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    *,
    transforms: str | Mapping[str, str] = "auto",
    weights: Mapping[str, float] | None = None,
    missing: str = "drop",
    clip: float | None = 5.0,
    flagged: str = "exclude",
) -> Features:
    """Select, transform, fill and robustly standardise indicators.

    Parameters
    ----------
    table
        Indicator table with index ``code`` (for example from :func:`regionlib.table.load_table`).
        It is not modified.
    indicators
        Column names to use; ``None`` means every numeric indicator column.
    transforms
        ``"auto"`` (see :func:`choose_transforms`), ``"none"``, or a mapping from indicator to
        ``"log"``/``"none"``; indicators missing from the mapping are decided automatically.
    weights
        Multipliers of the standardised columns (default 1 each).
    missing
        ``"drop"``: leave out rows with any missing value; ``"impute"``: replace missing
        values by the indicator's median; ``"raise"``: refuse missing values. Infinite values
        (a rate divided by a zero population) count as missing.
    flagged
        ``"exclude"`` (default): values flagged in ``table.attrs["flags"]`` (evacuation
        artefacts, Tokyo's special wards' fiscal strength) are left out of the distances:
        replaced by the median of the other values (robust z-score 0), the municipality kept,
        and reported; ``"keep"``: used as they are.
    clip
        Limit of the robust z-scores: values beyond ±``clip`` are set to ±``clip`` and
        reported (``None``: no clipping).

    Returns
    -------
    Features
        The matrix, the raw values, the row metadata and a :class:`FeatureReport`.

    Raises
    ------
    UnknownNameError
        An indicator is not a column of the table (close names are suggested).
    DataFormatError
        An indicator is entirely missing or has zero variance; a log transform meets a
        negative value; or ``missing="raise"`` meets a missing value.
    RegionlibError
        An unknown option value or weight.
    """
    if missing not in _MISSING_POLICIES:
        msg = (
            f"missing='{missing}' という方針はありません。{', '.join(_MISSING_POLICIES)} のいずれかにしてください / "
            f"missing='{missing}' is not a policy; use one of {', '.join(_MISSING_POLICIES)}"
        )
        raise RegionlibError(msg)
    # A shallow copy without attrs: pandas deep-copies attrs (the table's join report) on every
    # operation, which made this function 10x slower. The caller's table is left as it is.
    if flagged not in ("exclude", "keep"):
        raise RegionlibError(
            f"flagged='{flagged}' という方針はありません。'exclude' か 'keep' にしてください / "
            f"flagged='{flagged}' is not a policy; use 'exclude' or 'keep'"
        )
    table_flags = dict(table.attrs.get("flags", {}))
    table = table.copy(deep=False)
    table.attrs = {}
    table = code_index(table, what="table")
    names = _check_indicators(table, indicators)
    values = table[names].apply(pd.to_numeric, errors="coerce").astype(float)
    values = values.replace([np.inf, -np.inf], np.nan)
    left_out: dict[str, list[str]] = {}
    if flagged == "exclude":
        values, left_out = flags.neutralise(
            values,
            table_flags,
            what="features",
            ja="注意フラグの付いた値 {total} 件を距離の計算から除きました",
        )
    for name in names:
        if values[name].isna().all():
            msg = (
                f"指標 '{name}' は {len(values)} 市区町村のどれにも値がありません。外すか表の読み込み方を確かめてください / "
                f"indicator '{name}' has no value for any of the {len(values)} municipalities; "
                "leave it out or check how the table was loaded"
            )
            raise DataFormatError(msg)

    chosen = _resolve_transforms(table, names, transforms)
    w = _resolve_weights(names, weights)
    report = FeatureReport(n_input=len(values), n_used=len(values), transforms=chosen, weights=w)
    report.missing_counts = {n: int(values[n].isna().sum()) for n in names}
    report.flagged = left_out

    mask = values.isna()
    if mask.any(axis=None):
        if missing == "raise":
            bad = mask.any(axis=1)
            first = bad[bad].index[0]
            cols = [n for n in names if mask.at[first, n]]
            msg = (
                f"{int(bad.sum())} 市区町村に欠損値があります（最初は {first}、{'、'.join(cols)}）。missing='drop' か missing='impute' を指定してください / "
                f"{int(bad.sum())} municipalities have missing values (first: {first}, "
                f"{', '.join(cols)}); pass missing='drop' or missing='impute'"
            )
            raise DataFormatError(msg)
        if missing == "drop":
            bad = mask.any(axis=1)
            report.dropped = {
                str(code): [n for n in names if mask.at[code, n]] for code in bad[bad].index
            }
            values = values.loc[~bad]
            log(
                f"features: left out {int(bad.sum())} municipalities with missing values",
                level=logging.WARNING,
                ja=f"欠損値のある {int(bad.sum())} 市区町村を除いて計算しました",
            )
        else:  # impute
            from sklearn.impute import SimpleImputer

            imputer = SimpleImputer(strategy="median")
            filled = imputer.fit_transform(values.to_numpy())
            report.imputed = {
                n: [str(c) for c in mask.index[mask[n]]] for n in names if mask[n].any()
            }
            values = pd.DataFrame(filled, index=values.index, columns=names)
            n_filled = int(mask.to_numpy().sum())
            log(
                f"features: median imputed {n_filled} missing values",
                level=logging.WARNING,
                ja=f"欠損値 {n_filled} 件を中央値で補いました",
            )
    report.n_used = len(values)
    if len(values) < 2:
        msg = (
            f"欠損値の方針 '{missing}' を当てはめると {len(values)} 市区町村しか残りません / "
            f"only {len(values)} municipalities left after the missing-value policy '{missing}'"
        )
        raise DataFormatError(msg)

    transformed = values.copy()
    for name, t in chosen.items():
        if t == "log":
            if (values[name] < 0).any():
                code = values.index[values[name] < 0][0]
                msg = (
                    f"'{name}' の対数変換で {code} に負の値があります。'none' にしてください / "
                    f"log transform of '{name}' meets a negative value at {code}; use 'none'"
                )
                raise DataFormatError(msg)
            transformed[name] = np.log1p(values[name])

    center, scale = _robust_center_scale(transformed.to_numpy())
    iqr = transformed.quantile(0.75) - transformed.quantile(0.25)
    for j, name in enumerate(names):
        if iqr[name] > 0:
            continue
        # RobustScaler silently uses 1 for a zero IQR; fall back to the standard deviation
        # (mostly-constant indicators, e.g. many zeros), or refuse a constant column.
        std = float(transformed[name].std(ddof=0))
        if not std > 0:
            msg = (
                f"指標 '{name}' は {len(values)} 市区町村ですべて同じ値（{transformed[name].iloc[0]:g}）のため、市区町村を区別できません / "
                f"indicator '{name}' has zero variance over the {len(values)} municipalities "
                f"(every value is {transformed[name].iloc[0]:g}); it cannot separate them"
            )
            raise DataFormatError(msg)
        scale[j] = std
        report.notes.append(f"{name}: IQR is 0, scaled by the standard deviation instead")
        log(
            f"features: '{name}' has an IQR of 0; scaled by its standard deviation",
            ja=f"特徴量: '{name}' は四分位範囲が 0 のため、標準偏差で尺度をそろえました",
        )
    z = (transformed.to_numpy() - center) / scale
    if clip is not None:
        if not clip > 0:
            msg = (
                f"clip は正の数か None にしてください（指定は {clip!r}） / "
                f"clip must be a positive number or None, not {clip!r}"
            )
            raise RegionlibError(msg)
        outside = np.abs(z) > clip
        for j, name in enumerate(names):
            if outside[:, j].any():
                report.clipped[name] = [str(c) for c in values.index[outside[:, j]]]
        if outside.any():
            n_clipped = int(outside.sum())
            log(
                f"features: clipped {n_clipped} robust z-scores to ±{clip:g}",
                ja=f"特徴量: ロバスト z 値 {n_clipped} 個を ±{clip:g} で打ち切りました",
            )
        z = np.clip(z, -clip, clip)
    matrix = pd.DataFrame(z * np.array([w[n] for n in names]), index=values.index, columns=names)
    matrix.index.name = "code"
    report.center = {n: float(c) for n, c in zip(names, center, strict=True)}
    report.scale = {n: float(s) for n, s in zip(names, scale, strict=True)}

    meta_cols = [c for c in ("name", "prefecture", "pref_code") if c in table.columns]
    meta = pd.DataFrame(table[meta_cols])
    pop = _catalogue.population_column(table)
    if pop is not None:
        meta["population"] = pd.to_numeric(table[pop], errors="coerce").astype(float)
    meta.index.name = "code"
    raw = table[names].apply(pd.to_numeric, errors="coerce").astype(float)
    raw = raw.replace([np.inf, -np.inf], np.nan)
    raw.index.name = "code"
    return Features(
        matrix=matrix,
        raw=raw,
        meta=meta,
        indicators=names,
        transforms=chosen,
        weights=w,
        report=report,
    )


def _resolve_transforms(
    table: pd.DataFrame, names: list[str], transforms: str | Mapping[str, str]
) -> dict[str, str]:
    if isinstance(transforms, str):
        if transforms == "auto":
            return choose_transforms(table, names)
        if transforms in ("none", "log"):
            return dict.fromkeys(names, transforms)
        msg = (
            f"transforms='{transforms}' は使えません。'auto', 'none', 'log' か対応表にしてください / "
            f"transforms='{transforms}' is not known; use 'auto', 'none', 'log' or a mapping"
        )
        raise RegionlibError(msg)
    unknown = [k for k in transforms if k not in names]
    if unknown:
        msg = (
            f"変換を指定した '{unknown[0]}' は選んだ指標ではありません / "
            f"transforms given for '{unknown[0]}', which is not a selected indicator{suggest(unknown[0], names)}"
        )
        raise UnknownNameError(msg)
    auto = choose_transforms(table, [n for n in names if n not in transforms])
    out = {}
    for n in names:
        t = transforms.get(n, auto.get(n))
        if t not in ("log", "none"):
            msg = (
                f"'{n}' の変換 '{t}' は使えません。'log' か 'none' にしてください / "
                f"transform '{t}' for '{n}' is not known; use 'log' or 'none'"
            )
            raise RegionlibError(msg)
        out[n] = t
    return out


def _resolve_weights(names: list[str], weights: Mapping[str, float] | None) -> dict[str, float]:
    out = dict.fromkeys(names, 1.0)
    for k, v in (weights or {}).items():
        if k not in out:
            msg = (
                f"重みを指定した '{k}' は選んだ指標ではありません / "
                f"weight given for '{k}', which is not a selected indicator{suggest(k, names)}"
            )
            raise UnknownNameError(msg)
        if not (np.isfinite(v) and v > 0):
            msg = (
                f"'{k}' の重みは正の数にしてください（指定は {v!r}） / "
                f"weight of '{k}' must be a positive number, not {v!r}"
            )
            raise RegionlibError(msg)
        out[k] = float(v)
    return out
