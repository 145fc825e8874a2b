"""Good practice among peers (好事例): who, among the municipalities most like one, did better since.

:func:`good_practice` finds the municipalities most similar to one municipality *at a start
year* (peers on the default peer indicators as they were then: each indicator's latest value at
or before that year), then ranks them by how much better they did on one indicator between the
start year and a later year, with both values side by side and the similarity at the start.
The municipality itself is never among them; a start year the indicator has no data for is
refused with the years that exist.

Examples
--------
>>> from regionlib import goodpractice
>>> gp = goodpractice.good_practice("夕張市", "population_registered", since=2016)  # doctest: +SKIP
>>> gp[["name", "change_pct"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionlib._errors import RegionlibError, UnknownNameError
from regionlib._log import log

__all__ = ["PEER_INDICATORS", "GoodPractice", "Inputs", "good_practice", "inputs"]

#: what the start-year peers are found on (population: the 住民基本台帳 count of that year)
PEER_INDICATORS: tuple[str, ...] = (
    "population_registered",
    "aging_rate",
    "child_share",
    "density_habitable",
    "tertiary_share",
    "unemployment_rate",
    "fiscal_strength_index",
    "doctors_per_10k",
)


@dataclass
class GoodPractice:
    """The result of :func:`good_practice`.

    Attributes
    ----------
    table
        Index ``code`` (peers, best first): ``rank``, ``prefecture``, ``name``,
        ``distance_at_start``, ``value_start``, ``value_end``, ``change``, ``change_pct``,
        ``better_than_target`` (the difference of their change to the municipality's).
    target
        Code of the municipality; its own row is in ``target_row``.
    target_row
        The municipality's values and change, for comparison.
    indicator, since, until
        What was compared.
    measure
        ``"change_pct"`` (counts, amounts, averages) or ``"change"`` (rates in points,
        indices): by the indicator's kind (:func:`regionlib.indicators.changes_in_percent`).
    peer_columns
        The start-year columns the peers were found on (``aging_rate@2015`` …).
    """

    table: pd.DataFrame
    target: str
    target_row: pd.Series
    indicator: str
    since: int
    until: int
    measure: str
    peer_columns: list[str]

    def to_frame(self) -> pd.DataFrame:
        """Return the municipality's row followed by its peers' rows (for files)."""
        first = self.target_row.to_frame().T
        first.index.name = "code"
        first["rank"] = 0
        out = pd.concat([first, self.table])
        for column in out.columns:
            if column not in ("prefecture", "name"):
                out[column] = pd.to_numeric(out[column])
        out["rank"] = out["rank"].astype("Int64")
        out = out[["rank", *(c for c in out.columns if c != "rank")]]
        # the values shown are of the indicator at both years and the peers' start columns
        out.attrs["cited"] = [
            f"{self.indicator}@{self.since}",
            f"{self.indicator}@{self.until}",
            *self.peer_columns,
        ]
        return out


def _start_columns(since: int) -> list[str]:
    from regionlib.data import indicators

    columns = []
    for name in PEER_INDICATORS:
        if indicators.find(name) is None:
            continue
        years = [y for y in indicators.years(name) if y <= since]
        if years:
            columns.append(f"{name}@{max(years)}")
        else:
            log(
                f"good practice: {name} has no value in or before {since}; left out of the peers",
                ja=f"好事例: {name} は {since} 年以前の値がないため、類似する市区町村の候補から外しました",
            )
    return columns


@dataclass
class Inputs:
    """What every good-practice search on one indicator and period shares (see :func:`inputs`).

    Attributes
    ----------
    features
        The start-year features the peers are found on.
    outcome
        The indicator at the start and end years and its change, per municipality.
    indicator
        Catalogue name of the outcome.
    since, until
        Start and end years.
    measure
        How the change is measured (points or percent).
    peer_columns
        The indicators the peers are found on.
    """

    features: object
    outcome: pd.DataFrame
    indicator: str
    since: int
    until: int
    measure: str
    peer_columns: list[str]


def inputs(indicator: str, *, since: int, until: int | None = None) -> Inputs:
    """Prepare the start-year features and the outcome changes of ``indicator``.

    Parameters
    ----------
    indicator
        Catalogue name or Japanese label of the outcome.
    since, until
        Start and end years (default end: the latest year of ``indicator``).

    Returns
    -------
    Inputs
        Reused by :func:`good_practice` for many municipalities.

    Raises
    ------
    UnknownNameError
        A year the indicator has no data for (the message lists the years that exist).
    """
    from regionlib.analysis import features
    from regionlib.data import indicators, panel, table

    name = indicators.parse(indicator).name
    years = indicators.years(name)
    until = max(years) if until is None else int(until)
    for year in (int(since), until):
        if year not in years:
            listed = ", ".join(map(str, years))
            msg = (
                f"{name} には {year} 年のデータがありません。データのある年: {listed} / "
                f"{name} has no data for {year}; years with data: {listed}"
            )
            raise UnknownNameError(msg)
    since = int(since)
    if until <= since:
        raise RegionlibError(
            f"終わりの年 {until} は始まりの年 {since} より後にしてください / "
            f"the end year {until} must come after the start year {since}"
        )
    columns = _start_columns(since)
    start = table.load_table(columns, geometry=False)
    start = start.rename(columns={c: c.partition("@")[0] for c in columns})
    start["population"] = start.get("population_registered")
    start.attrs = {}
    feats = features.prepare_features(start, [c.partition("@")[0] for c in columns])
    outcome = panel.change(name, since, until)
    outcome.attrs = {}
    measure = "change_pct" if indicators.changes_in_percent(name) else "change"
    return Inputs(feats, outcome, name, since, until, measure, columns)


def good_practice(
    municipality: str | int,
    indicator: str,
    *,
    since: int,
    until: int | None = None,
    k: int = 10,
    higher_is_better: bool = True,
    prepared: Inputs | None = None,
) -> GoodPractice:
    """Rank a municipality's start-year peers by how much better they did since.

    Parameters
    ----------
    municipality
        Name, prefecture + name or 5-digit code.
    indicator
        Catalogue name or Japanese label of the outcome (``population_registered``).
    since
        Start year: the peers are those most similar in that year.
    until
        End year; default the latest year of ``indicator``.
    k
        Number of start-year peers.
    higher_is_better
        Whether an increase of the indicator is the better outcome (population: yes).
    prepared
        From :func:`inputs` (for many municipalities); default prepared here.

    Returns
    -------
    GoodPractice
        The peers ranked by their change (percent for counts, points for rates).

    Raises
    ------
    UnknownNameError
        Unknown indicator or municipality, or a year the indicator has no data for (the
        message lists the years that exist).
    """
    from regionlib.analysis import similarity

    if prepared is None:
        prepared = inputs(indicator, since=since, until=until)
    name, since, until = prepared.indicator, prepared.since, prepared.until
    measure, columns, outcome = prepared.measure, prepared.peer_columns, prepared.outcome
    peers = similarity.find_peers(prepared.features, municipality, k=k)
    target = peers.attrs["target"]
    a, b = f"{name}@{since}", f"{name}@{until}"
    absolute, relative = f"{name}@{since}-{until}", f"{name}@{since}-{until}%"
    out = pd.DataFrame(index=peers.index)
    out["prefecture"] = peers["prefecture"]
    out["name"] = peers["name"]
    out["distance_at_start"] = peers["distance"]
    out["value_start"] = outcome[a].reindex(out.index)
    out["value_end"] = outcome[b].reindex(out.index)
    out["change"] = outcome[absolute].reindex(out.index)
    out["change_pct"] = outcome[relative].reindex(out.index)
    own = outcome.loc[target]
    target_row = pd.Series(
        {
            "prefecture": own["prefecture"],
            "name": own["name"],
            "distance_at_start": 0.0,
            "value_start": own[a],
            "value_end": own[b],
            "change": own[absolute],
            "change_pct": own[relative],
        },
        name=target,
    )
    sign = 1.0 if higher_is_better else -1.0
    out["better_than_target"] = sign * (out[measure] - float(target_row[measure]))
    missing = out[measure].isna()
    if missing.any():
        n_missing = int(missing.sum())
        log(
            f"good practice: {n_missing} peers have no {name} change and are listed last",
            ja=f"好事例: 類似する市区町村のうち {n_missing} 市区町村は {name} の変化がないため、最後に並べました",
        )
    key = -sign * out[measure].fillna(-np.inf * sign)
    out = out.assign(_key=key).sort_values(["_key", "distance_at_start"], kind="stable")
    out = out.drop(columns="_key")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.index.name = "code"
    return GoodPractice(
        table=out,
        target=target,
        target_row=target_row,
        indicator=name,
        since=since,
        until=until,
        measure=measure,
        peer_columns=columns,
    )
