"""One table per municipality: boundaries joined with catalogue indicators, every join reported.

:func:`load_table` returns the 1,741 municipalities of the boundaries (index ``code``) with
``pref_code``, ``prefecture``, ``name``, one float column per indicator and the geometry. Each
indicator source is read by :mod:`regionlib.readers`; its retired codes are mapped to the
boundaries' vintage through :func:`regionlib.codes.update_codes`; then it is joined on the code.
Nothing is dropped silently: :class:`JoinReport` (``result.attrs["join_report"]``) lists, per
source, the rows set aside (prefecture totals, designated-city wards, 郡 totals), the codes
changed, the source codes without a boundary, the municipalities absent from the source, and
per indicator the number of missing values by reason (``result.attrs["missing_reasons"]``
maps indicator -> code -> reason).

The joined table is cached as GeoParquet in ``settings.cache_folder / "derived"``, keyed by the
sha256 of every input file, the parameters and the code that builds it: a second call with the
same arguments reads one file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from logging import WARNING
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regionlib._log import log
from regionlib.data import _cache, codes, datasets, indicators, readers

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "JoinReport",
    "SourceReport",
    "compute_aligned",
    "compute_parts",
    "flag_notes",
    "load_table",
    "with_flag_notes",
]

#: Vintage of the boundaries every source is mapped to (N03 2021-01-01).
BOUNDARY_VINTAGE = "2021-01-01"
_EXAMPLES = 5


@dataclass
class SourceReport:
    """How one source file was joined.

    Attributes
    ----------
    dataset
        Registry name.
    source
        File name.
    rows
        Municipality rows read (after setting aside non-municipality rows).
    matched
        Rows joined to a municipality of the table.
    set_aside
        Non-municipality rows by kind (``prefecture``, ``ward``, ``district`` = 郡 total,
        ``total``, ``unresolved``): ``[count, examples]``.
    code_changes
        Codes mapped to the boundaries' vintage: ``"old name_old -> new name_new"``.
    unmatched_source
        Source codes with no municipality in the table (after code changes), with names.
    missing_in_source
        Table municipalities the source has no row for.
    merged
        Current codes that combine several source rows (municipalities merged since):
        ``"new <- old1, old2"``; counts are summed, indices left missing.
    splits
        Source codes of municipalities split since: left unmatched, never guessed.
    """

    dataset: str
    source: str
    rows: int
    matched: int
    set_aside: dict[str, list] = field(default_factory=dict)
    code_changes: list[str] = field(default_factory=list)
    unmatched_source: list[str] = field(default_factory=list)
    missing_in_source: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)


@dataclass
class JoinReport:
    """Everything :func:`load_table` joined, changed or set aside.

    Attributes
    ----------
    n_rows
        Rows of the table (municipalities of the boundaries).
    sources
        One :class:`SourceReport` per source file.
    missing
        Per indicator: ``{reason: [count, example codes]}``.
    """

    n_rows: int
    sources: list[SourceReport] = field(default_factory=list)
    missing: dict[str, dict[str, list]] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict) -> JoinReport:
        # pandas deep-copies a frame's attrs at every column read and operation; a report is
        # never changed once built, so the copies share it (copying its code lists took a
        # regions command half a second)
        return self

    def to_dict(self) -> dict:
        """Return the report as plain JSON-serialisable data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> JoinReport:
        """Rebuild a report from :meth:`to_dict` output.

        Parameters
        ----------
        data
            The dictionary :meth:`to_dict` returned.

        Returns
        -------
        JoinReport
            The report.
        """
        sources = [SourceReport(**s) for s in data.get("sources", [])]
        return cls(data["n_rows"], sources, dict(data.get("missing", {})))

    def __str__(self) -> str:
        lines = [f"結合の記録: {self.n_rows} 市区町村 / join report: {self.n_rows} municipalities"]
        for s in self.sources:
            lines.append(
                f"- {s.dataset}（{s.source}）: {s.rows} 行を読み、{s.matched} 行が一致 / "
                f"{s.rows} rows read, {s.matched} matched"
            )
            for kind, (count, examples) in s.set_aside.items():
                if count:
                    ja, en = readers.SET_ASIDE_KINDS.get(kind, (kind, kind))
                    lines.append(
                        f"    除外: {ja} {count} 行 / set aside {count} {en} rows "
                        f"(例 e.g. {', '.join(examples)})"
                    )
            if s.code_changes:
                n = len(s.code_changes)
                lines.append(f"    コードの変更 {n} 件を適用 / {n} code changes applied:")
                lines.extend(f"      {c}" for c in s.code_changes)
            if s.unmatched_source:
                n = len(s.unmatched_source)
                lines.append(
                    f"    市区町村に当たらない元データのコード {n} 件 / {n} source codes without "
                    "a municipality: " + ", ".join(s.unmatched_source[:10])
                )
            if s.merged:
                n = len(s.merged)
                lines.append(
                    f"    合併前の複数の行を合わせた市区町村 {n} / {n} municipalities combine "
                    "merged rows:"
                )
                lines.extend(f"      {m}" for m in s.merged[:20])
            if s.splits:
                n = len(s.splits)
                lines.append(
                    f"    分割されたため結合しない市区町村 {n} / {n} split municipalities left "
                    "unmatched:"
                )
                lines.extend(f"      {m}" for m in s.splits)
            if s.missing_in_source:
                n = len(s.missing_in_source)
                lines.append(
                    f"    元データにない市区町村 {n} / {n} municipalities not in the source: "
                    + ", ".join(s.missing_in_source[:10])
                )
        for name, reasons in self.missing.items():
            for reason, (count, examples) in reasons.items():
                lines.append(
                    f"- {name}: 欠損 {count}（{indicators.missing_reason_ja(reason)}） / "
                    f"{count} missing ({reason}; 例 e.g. {', '.join(examples)})"
                )
        return "\n".join(lines)


def _merge(
    table: readers.SourceTable, new_index: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Combine rows that map to the same current code: counts summed, ratios left missing.

    Vectorised over groups (a 1995 source has 1,500 merged rows and dozens of columns).
    """
    values, reasons, names = table.values, table.reasons, table.names
    additive = (
        table.items["additive"].reindex(values.columns).fillna(True).astype(bool).to_numpy()
        if "additive" in table.items
        else np.ones(values.shape[1], dtype=bool)
    )
    ids, uniques = pd.factorize(pd.Index(new_index, dtype="str"), sort=True)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    sizes = np.diff(np.r_[starts, len(ids)])
    keep = order[starts]  # the first source row of each current code
    vals = values.to_numpy(dtype=float)
    why = reasons.astype(object).to_numpy()
    out_values = vals[keep].copy()
    out_reasons = why[keep].copy()
    merged = []
    multi = np.flatnonzero(sizes > 1)
    if len(multi):
        v_sorted, w_sorted = vals[order], why[order]
        olds = values.index.to_numpy(dtype=object)[order]
        summed = np.add.reduceat(v_sorted, starts, axis=0)
        has = ~pd.isna(w_sorted)
        big = len(order)
        rows = np.where(has, np.arange(big)[:, None], big)
        first = np.minimum.reduceat(rows, starts, axis=0)
        for k in multi:
            members = olds[starts[k] : starts[k] + sizes[k]]
            merged.append(f"{uniques[k]} <- {', '.join(map(str, members))}")
            at = first[k]
            found = at < big
            first_reason = np.full(len(at), None, dtype=object)
            for j in np.flatnonzero(found):
                first_reason[j] = f"{olds[at[j]]}: {w_sorted[at[j], j]}"
            combined = np.where(
                additive,
                first_reason,
                "municipalities merged since: an index or ratio cannot be combined",
            )
            row = np.where(additive, summed[k], np.nan)
            row[~pd.isna(combined)] = np.nan
            out_values[k] = row
            out_reasons[k] = combined
    index = pd.Index(uniques, name="code", dtype="str")
    out = pd.DataFrame(out_values, index=index, columns=values.columns)
    why_out = pd.DataFrame(out_reasons, index=index, columns=values.columns).astype("string")
    names_out = names.iloc[keep].set_axis(index)
    return out, why_out, names_out, merged


def _align(
    table: readers.SourceTable, dataset: str, base: pd.Index
) -> tuple[readers.SourceTable, SourceReport]:
    """Map the source's retired codes to the table's vintage and report the join.

    Codes of municipalities that merged since are mapped to their successor; where several
    rows land on one current code, counts are summed (a rate is then recomputed from the
    summed numerator and denominator) and indices or ratios are left missing with the reason.
    A code whose municipality was split is kept unmatched and reported: never guessed.
    """
    values, reasons, names = table.values, table.reasons, table.names
    changes: list[str] = []
    merged: list[str] = []
    splits: list[str] = []
    outside = values.index[~values.index.isin(base)]
    if len(outside):
        update = codes.update_codes(list(outside), as_of=BOUNDARY_VINTAGE)
        mapping = {}
        for row in update.changes.itertuples():
            new, note = row.new, ""
            if new not in base and codes.city_of_ward(new) in base:
                # merged into a ward of a designated city (由比町 -> 清水区 22103): into the city
                new, note = (
                    codes.city_of_ward(new),
                    f"（市の区 {row.new} / ward {row.new} of the city）",
                )
            if new in base:
                mapping[row.old] = new
                changes.append(f"{row.old} {row.name_old} -> {new} {row.name_new}{note}")
        for row in update.unresolved.itertuples():
            if str(row.reason).startswith("split"):
                splits.append(f"{row.code} {names.at[row.code, 'name']}: {row.reason}")
        if mapping:
            renamed = pd.Index(values.index.map(lambda c: mapping.get(c, c)), dtype="str")
            if renamed.is_unique:
                values, reasons, names = (f.set_axis(renamed) for f in (values, reasons, names))
            else:
                values, reasons, names, merged = _merge(table, renamed)
            values.index.name = reasons.index.name = names.index.name = "code"
    # a table of some prefectures: rows of the others are outside it, not unmatched
    in_scope = values.index.str[:2].isin(set(base.str[:2]))
    unmatched = values.index[~values.index.isin(base) & in_scope]
    report = SourceReport(
        dataset=dataset,
        source=table.source,
        rows=len(table.values),
        matched=int(values.index.isin(base).sum()),
        set_aside={
            # rows a name did not match are all listed, with their reasons; others by example
            k: [len(v), v if k in ("unresolved", "refused") else v[:_EXAMPLES]]
            for k, v in table.set_aside.items()
            if v
        },
        code_changes=changes,
        unmatched_source=[
            f"{c} {names.at[c, 'prefecture']}{names.at[c, 'name']}" for c in unmatched
        ],
        missing_in_source=[str(c) for c in base[~base.isin(values.index)]],
        merged=merged,
        splits=splits,
    )
    if changes:  # one line; every change is listed in the join report
        log(
            f"{table.source}: {len(changes)} codes changed to the table's (join report lists them)",
            ja=f"{table.source}: {len(changes)} 件のコードを表のコードに読み替えました（結合の記録に一覧）",
        )
    if merged:
        log(
            f"{table.source}: {len(merged)} current municipalities combine several source rows",
            ja=f"{table.source}: 現在の {len(merged)} 市区町村は元データの複数の行を合わせた値です",
        )
    if splits:
        log(
            f"{table.source}: {len(splits)} split municipalities left unmatched",
            level=WARNING,
            ja=f"{table.source}: 分割された {len(splits)} 市区町村の値がありません",
        )
    if len(unmatched):
        log(
            f"{table.source}: {len(unmatched)} codes without a municipality in the table",
            ja=f"{table.source}: 表の市区町村に当たらないコードが {len(unmatched)} 件あります",
        )
    aligned = readers.SourceTable(
        values, reasons, table.items, names, table.set_aside, table.source, table.dataset
    )
    return aligned, report


#: regionlib's own files that build the table: part of the identity of a cached table
_CODE_FILES = (
    "readers.py",
    "population.py",
    "indicators.py",
    "table.py",
    "boundaries.py",
    "codes.py",
    "catalogue.csv",
    "catalogue.py",
    "flags.csv",
    "match.py",
    "money.py",
)


@functools.cache
def _code_hashes() -> tuple[str, ...]:
    """Return the sha256 of every file of :data:`_CODE_FILES`, read once per process."""
    here = Path(__file__).parent
    paths = [here / f if f.endswith(".py") else here.parent / f for f in _CODE_FILES]
    return tuple(_cache.file_sha256(p) for p in paths)


def _input_hashes(names: list[str]) -> list[str]:
    """Return the hashes a table's cache key is made of: data files, code, user indicators.

    The data files' sha256 come from the registry (every file read is verified against it),
    so no data file is read here.
    """
    needed = set(indicators.datasets_of(names))
    boundary_sets = {n for n, e in datasets.registry().items() if e.group == "boundaries"}
    hashes = [datasets.info(d).sha256 for d in sorted(needed | boundary_sets | {"code-history"})]
    hashes.extend(_code_hashes())
    for name in names:  # registered user indicators with data
        data = indicators._USER_DATA.get(name)
        if data is not None:
            hashes.append(_cache.content_hash(data))
    return hashes


def compute_aligned(
    names: list[str], base: pd.Index
) -> tuple[pd.DataFrame, dict[str, dict[str, str]], list[SourceReport]]:
    """Compute indicator requests ``names`` on the codes ``base`` (current municipalities).

    Every source is read once, its codes mapped to ``base`` (:func:`_align`), and each
    indicator evaluated on the aligned sources.

    Parameters
    ----------
    names
        Canonical indicator requests (:func:`regionlib.indicators.resolve`).
    base
        The municipality codes of the result.

    Returns
    -------
    tuple
        Values (index ``code``), missing reasons by indicator and code, one
        :class:`SourceReport` per source.
    """
    tables, reports = _aligned_sources(names, base)
    values, missing = indicators._compute(names, base, tables)
    return values, missing, reports


def _aligned_sources(
    names: list[str], base: pd.Index
) -> tuple[dict[str, readers.SourceTable], list[SourceReport]]:
    tables, reports = {}, []
    for dataset in indicators.datasets_of(names):
        tables[dataset], report = _align(indicators.read_source(dataset), dataset, base)
        reports.append(report)
    return tables, reports


def compute_parts(
    names: list[str], base: pd.Index
) -> dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray]]:
    """Numerator and denominator of catalogue requests on the codes ``base``, before dividing.

    The parts of a rate are what an area of several municipalities sums before it divides
    (:func:`regionlib.analysis.areas.aggregate`). Sources are aligned to ``base`` as in
    :func:`compute_aligned` (merged municipalities' counts summed).

    Parameters
    ----------
    names
        Requests of one year each (``aging_rate``, ``aging_rate@2015``), not changes or rows
        defined as another request.
    base
        The municipality codes of the result.

    Returns
    -------
    dict
        Request -> (numerator, denominator or None, missing reason per code); unscaled.
    """
    # kept in the derived cache: aligning the raw sources costs an area table about 2 s
    frame = _cache.cached(
        "parts",
        _input_hashes(names),
        {"names": sorted(names), "base": _cache.content_hash(base)},
        lambda: _parts_frame(names, base),
        geometry=False,
    )
    out = {}
    for name in names:
        numerator = frame[f"{name}\x1fnum"].to_numpy(dtype=float)
        den = f"{name}\x1fden"
        denominator = frame[den].to_numpy(dtype=float) if den in frame.columns else None
        why = frame[f"{name}\x1fwhy"].to_numpy(dtype=object)
        reason = np.array([None if pd.isna(r) else str(r) for r in why], dtype=object)
        out[name] = (numerator, denominator, reason)
    return out


def _parts_frame(names: list[str], base: pd.Index) -> pd.DataFrame:
    """Return the parts of :func:`compute_parts` as one table, three columns per request."""
    tables, _ = _aligned_sources(names, base)
    positions = indicators._Positions(tables, base)
    columns: dict[str, np.ndarray] = {}
    for name in names:
        spec = indicators.parse(name)
        row = indicators._row_for(spec, spec.year)
        numerator, denominator, reason = indicators._parts(row, tables, positions)
        columns[f"{name}\x1fnum"] = np.asarray(numerator, dtype=float)
        if denominator is not None:
            columns[f"{name}\x1fden"] = np.asarray(denominator, dtype=float)
        columns[f"{name}\x1fwhy"] = np.array(
            [None if pd.isna(r) else str(r) for r in reason], dtype=object
        )
    return pd.DataFrame(columns, index=pd.RangeIndex(len(base)))


def summarize_missing(
    missing: dict[str, dict[str, str]], names: pd.Series
) -> dict[str, dict[str, list]]:
    """Group missing values by indicator and reason: ``{reason: [count, examples]}``."""
    summary: dict[str, dict[str, list]] = {}
    for name, by_code in missing.items():
        grouped: dict[str, list] = {}
        for code, reason in by_code.items():
            entry = grouped.setdefault(reason, [0, []])
            entry[0] += 1
            if len(entry[1]) < _EXAMPLES:
                entry[1].append(f"{code} {names.get(code, '')}".strip())
        if grouped:
            summary[name] = grouped
    return summary


def _build(names: list[str], detail: str, prefectures: list[str] | None) -> gpd.GeoDataFrame:
    from regionlib.data import boundaries, flags

    base = boundaries.load_boundaries(detail=detail, prefectures=prefectures)
    values, missing, reports = compute_aligned(names, base.index)
    out = base[["pref_code", "prefecture", "name"]].join(values)
    import geopandas as gpd

    out = gpd.GeoDataFrame(out, geometry=base.geometry, crs=base.crs)
    report = JoinReport(len(out), reports, summarize_missing(missing, base["name"]))
    out.attrs = {
        "join_report": report.to_dict(),
        "missing_reasons": missing,
        "flags": flags.flags_for(names, out.index),
    }
    return out


def load_table(
    indicators: Iterable[str] | None = None,
    *,
    geometry: bool = True,
    detail: str = "prefecture",
    prefectures: Iterable[str] | None = None,
    join: str | Path | None = None,
    rename_clashes: bool = False,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return one row per municipality with its boundary and the chosen indicators.

    Parameters
    ----------
    indicators
        Catalogue names or Japanese labels (``regionlib indicators``), each optionally with a
        year (``aging_rate@2015``) or a change (``aging_rate@2015-2020``,
        ``population_registered@2016-2022%``); without a year, the latest. Default
        :data:`regionlib.indicators.DEFAULT_INDICATORS`. Columns are named as
        :func:`regionlib.indicators.resolve` names them.
    geometry
        Keep the geometry (GeoDataFrame); ``False`` returns a DataFrame.
    detail
        Boundary layer, as in :func:`regionlib.boundaries.load_boundaries`.
    prefectures
        Restrict to these prefectures (codes or names); default all.
    join
        A user's CSV (UTF-8 or Shift-JIS) or XLSX file whose numeric columns are joined by
        municipality code or name (see :func:`regionlib.userdata.join_user_table`); its join
        report is ``attrs["user_join_report"]``. A column named like a catalogue indicator
        (``aging_rate``, ``高齢化率``) is refused: it would pass for the official values.
    rename_clashes
        Keep such columns as ``user_NAME`` instead of refusing them.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        Index ``code``; columns ``pref_code``, ``prefecture``, ``name``, one float column per
        indicator (NaN = missing, reason in ``attrs["missing_reasons"]``), ``geometry``.
        ``attrs["join_report"]`` is a :class:`JoinReport`; ``attrs["flags"]`` maps indicator
        -> code -> reason for values that are correct arithmetic but misleading (evacuation
        orders, Tokyo's special wards), see :mod:`regionlib.flags`.

    Raises
    ------
    UnknownNameError
        If an indicator is not in the catalogue (the message suggests close names).

    Examples
    --------
    >>> from regionlib.data.table import load_table
    >>> t = load_table(["aging_rate"], geometry=False)  # doctest: +SKIP
    >>> print(t.attrs["join_report"])  # doctest: +SKIP
    """
    from regionlib.data import indicators as catalogue

    requested = list(catalogue.DEFAULT_INDICATORS if indicators is None else indicators)
    user_columns: set[str] = set()
    if join is not None:
        from regionlib.data import userdata

        # read once: its columns, then the join
        user = userdata.read_user_table(join, rename_clashes=rename_clashes)
        user_columns = set(user.columns)
    names = list(
        dict.fromkeys(catalogue.resolve(n) for n in requested if str(n) not in user_columns)
    )
    prefs = None if prefectures is None else sorted({str(p) for p in prefectures})
    params = {"indicators": names, "detail": detail, "prefectures": prefs}
    product = _cache.cached(
        "table",
        _input_hashes(names),
        params,
        lambda: _build(names, detail, prefs),
        geometry=geometry,
    )
    attrs = dict(product.attrs)
    report = JoinReport.from_dict(attrs["join_report"])
    if not geometry and type(product) is not pd.DataFrame:  # built just now, with geometry
        product = pd.DataFrame(product.drop(columns=product.geometry.name))
    product.attrs = {
        "join_report": report,
        "missing_reasons": attrs.get("missing_reasons", {}),
        "flags": attrs.get("flags", {}),
    }
    if join is not None:
        from regionlib.data import userdata

        product = userdata.join_user_table(product, join, raw=user)
    return product


def with_flag_notes(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with a last column ``注記`` of :func:`flag_notes` when any value is flagged.

    Every table file (CSV, workbook, GeoPackage) carries the flags this way.

    Parameters
    ----------
    frame
        A table from :func:`load_table`.

    Returns
    -------
    pandas.DataFrame
        The frame itself when nothing is flagged, else a copy with the column.
    """
    notes = flag_notes(frame)
    if not notes.any():
        return frame
    attrs = dict(frame.attrs)
    out = frame.assign(注記=notes.to_numpy())
    out.attrs = attrs
    return out


def flag_notes(frame: pd.DataFrame) -> pd.Series:
    """Return, per municipality, the reasons its values are flagged (empty when none).

    ``"避難指示の影響：…（population_change_2015_2020, aging_rate@2015）"``: one reason per
    kind, with the columns it applies to, from ``frame.attrs["flags"]``.

    Parameters
    ----------
    frame
        A table from :func:`load_table`.

    Returns
    -------
    pandas.Series
        Strings on the table's index.
    """
    by_code: dict[str, dict[str, list[str]]] = {}
    for column, flagged in frame.attrs.get("flags", {}).items():
        if column not in frame.columns:
            continue
        for code, reason in flagged.items():
            by_code.setdefault(code, {}).setdefault(reason, []).append(column)
    notes = {
        code: "; ".join(f"{reason}（{', '.join(cols)}）" for reason, cols in reasons.items())
        for code, reasons in by_code.items()
    }
    return pd.Series([notes.get(str(c), "") for c in frame.index], index=frame.index, dtype=str)
