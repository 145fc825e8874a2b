"""Population projection by the cohort change-ratio method (コーホート変化率法), and its backtest.

The method most 人口ビジョン use, written so that a planner can reproduce it by hand:

1. **Ratios.** From a base period ``START-END`` of the 住民基本台帳 age panel
   (:func:`regionlib.data.population.age_panel`; bands 0-4 … 75-79 and the open band 80+), for
   each municipality and sex, the cohort change ratio of band ``a`` is the population aged
   ``a`` at ``END`` over the population aged ``a - 5`` at ``START`` (a 10-year base pools two
   5-year periods: sums of numerators over sums of denominators). It holds survival and net
   migration together. The open band: 80+ at ``END`` over 75+ at ``START``.
2. **Births.** The child-woman ratio (children 0-4 over women 15-49, at ``END``) times the
   projected women 15-49 gives the children 0-4 of each step; they are split by the base
   sex ratio of the 0-4 band.
3. **Steps.** Five years at a time from ``END``; a target year between two steps (2050 from a
   2022 base) is interpolated linearly between them and marked.
4. **Closed variant** (``closed=True``, 封鎖人口に近い仮定): the national ratios of the base
   period instead of the town's own, i.e. survival without the town's net migration; the
   child-woman ratio stays the town's own.
5. **Cells without a ratio** (no one in the younger band at ``START``) take the national
   ratio, and are counted in the notes.

:func:`backtest` re-runs the method from earlier bases of the consistent Japanese-residents
series (1995-2022) and compares it with what happened and with two naive forecasts (no
change; the town's own linear trend over the base period).

Examples
--------
>>> from regionlib.analysis import projection
>>> result = projection.project(["夕張市"], to=2050)  # doctest: +SKIP
>>> result.totals.query("year == 2050")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError
from regionlib.data import codes, panel
from regionlib.data import population as pop

__all__ = [
    "REPORT_COUNTS",
    "Projection",
    "backtest",
    "load_projection",
    "parse_base",
    "project",
    "project_arrays",
    "sustainability",
]

BANDS = pop.BANDS
_NB = len(BANDS)
_WOMEN_15_49 = slice(3, 10)  # 15-19 … 45-49
_WOMEN_20_39 = slice(4, 8)  # 20-24 … 35-39
_OLD = slice(13, _NB)  # 65+
VARIANTS = {"migration": "移動あり（市区町村の変化率）", "closed": "封鎖（全国の変化率）"}


@dataclass
class Projection:
    """A projection: the numbers and the assumptions behind them.

    Attributes
    ----------
    bands
        Long table: ``code``, ``prefecture``, ``name``, ``year``, ``variant``, ``sex``
        (``male``/``female``), ``band``, ``population``, ``kind`` (``base``, ``projected``,
        ``interpolated``).
    totals
        One row per municipality, year and variant: ``population``, ``women_20_39``,
        ``aging_rate`` (%), ``women_20_39_change`` (% since the base end year), ``flag``.
    notes
        The assumptions, one Japanese sentence each (written into every output).
    base
        ``(START, END)``.
    credits
        The sources, one line each.
    key
        Identity of the inputs, parameters and code this projection was made from (empty
        when it was not made by :func:`project`): products derived from it alone, such as
        its written files, may be cached under it.
    """

    bands: pd.DataFrame
    totals: pd.DataFrame
    notes: list[str]
    base: tuple[int, int]
    credits: list[str] = field(default_factory=list)
    key: str = field(default="", repr=False, compare=False)


#: The base period of the cohort change ratios unless the user chooses one.
DEFAULT_BASE = "2017-2022"


def parse_base(base: str | tuple[int, int], series: str = "japanese") -> tuple[int, int]:
    """Return ``(START, END)`` of a base period ``"2017-2022"``.

    Parameters
    ----------
    base
        ``"START-END"`` or a pair of years.
    series
        The register series (``japanese`` or ``total``) whose years the period must use.

    Raises
    ------
    UnknownNameError
        For text that is not ``START-END``, a span that is not a multiple of 5 years, or
        years the register series lacks.
    """
    if isinstance(base, str):
        match = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", base)
        if match is None:
            raise UnknownNameError(
                f"基準期間 '{base}': 開始年-終了年 の形で書いてください（例: 2017-2022） / "
                f"base '{base}': write START-END, e.g. 2017-2022"
            )
        start, end = int(match[1]), int(match[2])
    else:
        start, end = (int(v) for v in base)
    span = end - start
    if span < 5 or span % 5:
        msg = (
            f"基準期間 {start}-{end}: コーホート変化率法の基準期間は 5 年の倍数（5 年、10 年 …）にしてください / "
            f"base {start}-{end}: the cohort change-ratio method needs a span of 5 or 10 … "
            "years (基準期間は5年の倍数にしてください)"
        )
        raise UnknownNameError(msg)
    have = pop.SERIES_YEARS.get(series, ())
    for year in (start, end):
        if year not in have:
            msg = (
                f"基準期間 {start}-{end}: {year} 年は住民基本台帳のデータ（{series}: {have[0]}〜{have[-1]} 年）の範囲外です / "
                f"base {start}-{end}: {year} is outside the register ({series}: "
                f"{have[0]}-{have[-1]}) (基準期間がデータの範囲外です)"
            )
            raise UnknownNameError(msg)
    return start, end


def _arrays(frame: pd.DataFrame, years: list[int], index: pd.Index) -> dict[int, np.ndarray]:
    """Return population arrays (municipality, sex, band) by year from the long age panel.

    Bands from 80 up (the finer bands of 2015-2022) are summed into the open band 80+.
    """
    band_at = {b: i for i, b in enumerate(BANDS)}
    band_at.update(dict.fromkeys(pop.FINE_TOP, _NB - 1))
    year_at = {y: i for i, y in enumerate(years)}
    rows = frame[frame["year"].isin(years)]
    b = rows["band"].astype("category")
    band_codes = np.array([band_at[str(c)] for c in b.cat.categories])[b.cat.codes.to_numpy()]
    s = rows["sex"].astype("category")
    sex_codes = np.array([pop.SEXES.index(str(c)) for c in s.cat.categories])[
        s.cat.codes.to_numpy()
    ]
    where = index.get_indexer(rows["code"].to_numpy(dtype=object))
    when = rows["year"].map(year_at).to_numpy()
    ok = where >= 0
    out = np.zeros((len(years), len(index), 2, _NB))
    np.add.at(
        out,
        (when[ok], where[ok], sex_codes[ok], band_codes[ok]),
        rows["population"].to_numpy(dtype=float)[ok],
    )
    return {y: out[i] for i, y in enumerate(years)}


def _ratios(p0: np.ndarray, p1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cohort change ratios (…, sex, band) from pooled numerators and denominators."""
    num = np.zeros_like(p1)
    den = np.zeros_like(p1)
    num[..., 1:] = p1[..., 1:]
    den[..., 1:] = p0[..., :-1]
    den[..., -1] += p0[..., -1]  # the open band: 80+ over 75+
    return num, den


def _cwr(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Child-woman ratio (children 0-4 per woman 15-49) and the male share of the 0-4."""
    children = p[:, :, 0].sum(axis=1)
    women = p[:, 1, _WOMEN_15_49].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cwr = np.where(women > 0, children / women, np.nan)
        boys = np.where(children > 0, p[:, 0, 0] / children, np.nan)
    return cwr, boys


def project_arrays(
    series_by_year: dict[int, np.ndarray],
    base: tuple[int, int],
    steps: int,
    *,
    closed: bool = False,
) -> tuple[np.ndarray, dict[str, int]]:
    """Project arrays (municipality, sex, band) ``steps`` five-year steps past ``base[1]``.

    Parameters
    ----------
    series_by_year
        Population arrays of the base years (at least every 5th year from ``START`` to
        ``END``).
    base
        ``(START, END)``.
    steps
        Number of 5-year steps.
    closed
        Use the national ratios (all municipalities pooled) instead of each one's own.

    Returns
    -------
    tuple
        Array (step, municipality, sex, band) with step 0 the base end, and counts of cells
        that took the national ratio (``"ratio"``) or national child-woman ratio (``"cwr"``).
    """
    start, end = base
    num = np.zeros_like(series_by_year[end])
    den = np.zeros_like(series_by_year[end])
    for year in range(start, end, 5):
        n, d = _ratios(series_by_year[year], series_by_year[year + 5])
        num += n
        den += d
    nat_num, nat_den = num.sum(axis=0), den.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        national = np.where(nat_den > 0, nat_num / nat_den, 1.0)
        own = np.where(den > 0, num / den, np.nan)
    fallback = np.isnan(own)
    fallback[..., 0] = False
    ratio = (
        np.broadcast_to(national, own.shape).copy() if closed else np.where(fallback, national, own)
    )
    current = series_by_year[end]
    cwr, boys = _cwr(current)
    nat_cwr = current[:, :, 0].sum() / current[:, 1, _WOMEN_15_49].sum()
    nat_boys = current[:, 0, 0].sum() / current[:, :, 0].sum()
    no_cwr = np.isnan(cwr)
    cwr = np.where(no_cwr, nat_cwr, cwr)
    boys = np.where(np.isnan(boys), nat_boys, boys)
    out = np.empty((steps + 1, *current.shape))
    out[0] = current
    for k in range(1, steps + 1):
        prev = out[k - 1]
        nxt = np.empty_like(prev)
        nxt[..., 1:] = prev[..., :-1] * ratio[..., 1:]
        nxt[..., -1] = (prev[..., -2] + prev[..., -1]) * ratio[..., -1]
        children = cwr * nxt[:, 1, _WOMEN_15_49].sum(axis=1)
        nxt[:, 0, 0] = children * boys
        nxt[:, 1, 0] = children * (1 - boys)
        out[k] = nxt
    counts = {"ratio": int(fallback[..., 1:].sum()) if not closed else 0, "cwr": int(no_cwr.sum())}
    return out, counts


def _years_of(base: tuple[int, int]) -> list[int]:
    return list(range(base[0], base[1] + 1, 5))


def _panel_arrays(series: str, years: list[int], index: pd.Index) -> dict[int, np.ndarray]:
    return _arrays(pop.age_panel(series, years=years), years, index)


def _resolve(municipalities: Iterable[str] | str | None) -> pd.Index:
    base = panel._base(None)
    if municipalities is None:
        return base.index
    if isinstance(municipalities, str):
        municipalities = [municipalities]
    found = [codes.resolve_municipality(m) for m in municipalities]
    return pd.Index(list(dict.fromkeys(found)), name="code", dtype="str")


def _notes(
    base: tuple[int, int], to: int, series: str, counts: dict[str, dict[str, int]]
) -> list[str]:
    start, end = base
    who = "日本人住民" if series == "japanese" else "外国人住民を含む総計"
    notes = [
        "この推計は regionlib 独自のコーホート変化率法による推計であり、国立社会保障・人口問題研究所"
        "（社人研）の公式推計ではない。/ regionlib's own projection, not the official one.",
        f"基準人口: 住民基本台帳（{who}）{end}年の男女・5歳階級別人口（80歳以上は一括）。",
        f"コーホート変化率: {start}→{end}年の、男女別に各年齢階級の人口を5年前の5歳若い階級の"
        "人口で割った比（死亡と純移動を合わせた変化）。80歳以上は75歳以上に対する比。"
        "この比が将来も続くと仮定する。",
        f"出生: {end}年の子ども女性比（0～4歳人口 ÷ 15～49歳女性人口）が続くと仮定し、"
        f"将来の15～49歳女性人口に掛ける。男女比は{end}年の0～4歳の比。",
        "封鎖（closed）: 市区町村ごとの変化率の代わりに全国の変化率を使う（その市区町村の純移動を"
        "除いた仮定）。子ども女性比は市区町村のもの。",
        f"{to}年が5年刻みの推計年にない場合は、前後の推計年の間を直線で補間した値（kind = "
        "interpolated）。",
        "5歳若い階級が基準年に0人で変化率が求まらない区分は全国の変化率を使う"
        f"（移動ありで {counts['migration']['ratio']} 区分）。子ども女性比が求まらない市区町村は"
        f"全国の値（{counts['migration']['cwr']} 市区町村）。",
        "避難指示区域となった福島県の町村は、住民基本台帳に町村外に住む住民を含むため、推計は"
        "実際に住む人口を表さない（flag 列）。",
    ]
    return notes


def project(
    municipalities: Iterable[str] | str | None = None,
    *,
    to: int = 2050,
    base: str | tuple[int, int] = DEFAULT_BASE,
    series: str = "japanese",
    variants: Iterable[str] = ("migration", "closed"),
) -> Projection:
    """Project municipalities' population by sex and 5-year band to ``to``.

    Parameters
    ----------
    municipalities
        Names or codes; default all 1,741.
    to
        Last year (inclusive); reached in 5-year steps from the base end, interpolated
        between two steps when it falls between them.
    base
        ``"START-END"``: the period whose cohort change ratios are assumed to continue;
        a multiple of 5 years inside the register series.
    series
        ``"japanese"`` (1995-2022, consistent) or ``"total"`` (all residents, 2013-2022).
    variants
        ``"migration"`` (the town's own ratios) and/or ``"closed"`` (national ratios).

    Returns
    -------
    Projection
        Long band table, totals (population, women 20-39, aging rate) and the notes.

    Raises
    ------
    UnknownNameError
        For a bad base period, target year, variant or municipality.
    RegionlibError
        For a named municipality with no registered population in the base years.

    Notes
    -----
    The result is kept in the derived cache (:mod:`regionlib.data._cache`), keyed by the
    register files of the base years, the names and flags, the code that reads and projects
    them (:func:`input_hashes`) and every parameter: projecting every municipality costs
    about 0.7 s, reading the kept result 0.2 s.
    """
    from regionlib.data import _cache, datasets

    start, end = parse_base(base, series)
    if not isinstance(to, int) or to <= end or to > 2100:
        raise UnknownNameError(
            f"--to {to}: 基準期間の終わり（{end} 年）より後、2100 年までの年を指定してください / "
            f"--to {to}: choose a year after the base end {end} (up to 2100)"
        )
    variants = list(dict.fromkeys(variants))
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise UnknownNameError(
            f"variant {bad}: migration か closed（または両方）にしてください / "
            f"variant {bad}: choose migration and/or closed"
        )
    wanted = _resolve(municipalities)
    named = municipalities is not None
    inputs = input_hashes(series, (start, end))
    params = {
        "codes": list(map(str, wanted)) if named else None,
        "to": to,
        "base": [start, end],
        "series": series,
        "variants": variants,
        "credit": datasets.info(pop.dataset_name(series, end)).credit,
    }
    memo: dict[str, Projection] = {}

    def build() -> Projection:
        if not memo:
            memo["result"] = _project(wanted, named, to, (start, end), series, variants)
        return memo["result"]

    bands = _cache.cached("projection-bands", inputs, params, lambda: build().bands)
    totals = _cache.cached("projection-totals", inputs, params, lambda: build().totals)
    meta = _cache.cached_json(
        "projection-notes",
        inputs,
        params,
        lambda: {"notes": build().notes, "credits": build().credits},
    )
    key = _cache.make_key("projection", inputs, params)
    return Projection(bands, totals, meta["notes"], (start, end), meta["credits"], key=key)


#: regionlib's own files a projection is made by, besides the register panel's
_CODE_FILES = ("analysis/projection.py", "data/panel.py", "data/flags.py")


def input_hashes(series: str, base: tuple[int, int]) -> list[str]:
    """Return the cache inputs of a projection from the base period ``base`` of ``series``.

    The register files of the base years and the code that reads them
    (:func:`regionlib.data.population.input_hashes`), the names
    (:func:`regionlib.data.names.input_hashes`), and the projection's own code.

    Parameters
    ----------
    series
        ``"japanese"`` or ``"total"``.
    base
        ``(START, END)``.

    Returns
    -------
    list of str
        Hashes for :func:`regionlib.data._cache.cached`.
    """
    from pathlib import Path

    from regionlib.data import _cache, names

    root = Path(__file__).parents[1]
    return [
        *pop.input_hashes(series, _years_of(base)),
        *names.input_hashes(),
        *(_cache.file_sha256(root / f) for f in _CODE_FILES),
    ]


def _project(
    wanted: pd.Index,
    named: bool,
    to: int,
    base: tuple[int, int],
    series: str,
    variants: list[str],
) -> Projection:
    """Project ``wanted`` (checked arguments): the work of :func:`project`."""
    start, end = base
    everyone = panel._base(None).index
    arrays = _panel_arrays(series, _years_of((start, end)), everyone)
    steps = -(-(to - end) // 5)
    position = everyone.get_indexer(wanted)
    for code, at in zip(wanted, position, strict=True):
        if named and not np.nansum(arrays[end][at]) > 0:
            msg = (
                f"{code}: {end} 年の住民基本台帳人口がないため推計できません / "
                f"{code}: no registered population in {end}; it cannot be projected"
            )
            raise RegionlibError(msg)
    counts: dict[str, dict[str, int]] = {}
    frames, total_frames = [], []
    names = panel._base_names().reindex(wanted)
    flags = _flags(wanted, end)
    for variant in variants:
        out, counts[variant] = project_arrays(
            arrays, (start, end), steps, closed=variant == "closed"
        )
        out = out[:, position]
        years = [end + 5 * k for k in range(steps + 1)]
        kinds = ["base"] + ["projected"] * steps
        if years[-1] > to:  # interpolate the target year between the last two steps
            w = (to - years[-2]) / 5
            out = np.concatenate([out[:-1], (out[-2] * (1 - w) + out[-1] * w)[None]])
            years[-1], kinds[-1] = to, "interpolated"
        frames.append(_long(out, years, kinds, wanted, names, variant))
        total_frames.append(_totals(out, years, wanted, names, variant, flags))
    if "migration" not in counts:
        counts["migration"] = counts[variants[0]]
    bands = pd.concat(frames, ignore_index=True)
    totals = pd.concat(total_frames, ignore_index=True)
    from regionlib.data import datasets

    credit = datasets.info(pop.dataset_name(series, end)).credit
    return Projection(
        bands, totals, _notes((start, end), to, series, counts), (start, end), [credit]
    )


def _flags(index: pd.Index, year: int) -> pd.Series:
    from regionlib.data import flags

    hits = flags.flags_for([f"women_20_39@{year}"], index)
    return pd.Series(hits.get(f"women_20_39@{year}", {}), dtype=object).reindex(index).fillna("")


def _long(out, years, kinds, index, names, variant) -> pd.DataFrame:
    """Long rows ordered by code, year, sex, band (arrays transposed, no sort)."""
    n_steps, n, _, nb = out.shape
    per_code = n_steps * 2 * nb
    at = np.repeat(np.arange(n), per_code)
    step = np.tile(np.repeat(np.arange(n_steps), 2 * nb), n)
    frame = pd.DataFrame(
        {
            # categoricals: 800,000 rows of text would cost a second to build
            "code": pd.Categorical.from_codes(at, categories=list(index)),
            "prefecture": pd.Categorical(names["prefecture"].to_numpy(dtype=object))[at],
            "name": pd.Categorical(names["name"].to_numpy(dtype=object))[at],
            "year": np.asarray(years)[step],
            "variant": pd.Categorical([variant] * len(at), categories=list(VARIANTS)),
            "sex": pd.Categorical.from_codes(
                np.tile(np.repeat(np.arange(2), nb), n * n_steps), categories=list(pop.SEXES)
            ),
            "band": pd.Categorical.from_codes(
                np.tile(np.arange(nb), n * n_steps * 2), categories=list(BANDS)
            ),
            "population": out.transpose(1, 0, 2, 3).ravel(),
            "kind": pd.Categorical.from_codes(
                np.array([_KINDS.index(k) for k in kinds])[step], categories=_KINDS
            ),
        }
    )
    return frame


_KINDS = ["base", "projected", "interpolated", "user"]


def summarise(out: np.ndarray) -> dict[str, np.ndarray]:
    """Totals of arrays (…, municipality, sex, band): population, women 20-39, aging rate."""
    total = out.sum(axis=(-1, -2))
    women = out[..., 1, _WOMEN_20_39].sum(axis=-1)
    old = out[..., _OLD].sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        aging = np.where(total > 0, old / total * 100, np.nan)
    return {"population": total, "women_20_39": women, "aging_rate": aging}


def _totals(out, years, index, names, variant, flags) -> pd.DataFrame:
    parts = summarise(out)
    n_steps, n = out.shape[:2]
    frame = pd.DataFrame(
        {
            "code": np.tile(index.to_numpy(dtype=object), n_steps),
            "year": np.repeat(years, n),
            "variant": variant,
            **{k: v.ravel() for k, v in parts.items()},
        }
    )
    first = parts["women_20_39"][0]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = (parts["women_20_39"] / np.where(first > 0, first, np.nan) - 1) * 100
    frame["women_20_39_change"] = change.ravel()
    frame["flag"] = np.tile(flags.to_numpy(dtype=object), n_steps)
    frame.insert(1, "prefecture", np.tile(names["prefecture"].to_numpy(dtype=object), n_steps))
    frame.insert(2, "name", np.tile(names["name"].to_numpy(dtype=object), n_steps))
    cols = ["code", "prefecture", "name", "year", "variant", "population", "women_20_39",
            "women_20_39_change", "aging_rate", "flag"]  # fmt: skip
    return frame[cols]


# --------------------------------------------------------------------------- user projections


def load_projection(path: str) -> pd.DataFrame:
    """Read an official (or any) projection in long format: code, year, sex, band, population.

    ``sex`` is ``male``/``female`` (or 男/女); ``band`` is ``0_4`` … ``80_plus`` or the Japanese
    labels (``0～4歳`` … ``80歳以上``; finer top bands are summed into 80+). ``variant``
    (``migration``/``closed``) is optional (default ``migration``).

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        The same long layout as :attr:`Projection.bands` (``kind`` = ``user``).

    Raises
    ------
    DataFormatError
        For a missing column, an unknown band or sex, an unknown code, or a municipality and
        year without every band: one line naming the file and what is wrong.
    """
    from regionlib.data import _userfile, userdata

    where = str(path)
    need = ["code", "year", "sex", "band", "population"]

    def header(columns: list[str]) -> None:
        lacking = [c for c in need if c not in columns]
        if lacking:
            raise DataFormatError(
                f"{where}: 列 {', '.join(lacking)} がありません（必要な列: {need}） / "
                f"{where}: missing column(s) {', '.join(lacking)} (need {need})"
            )

    frame = _userfile.read_user_file(path, what="projection file", header=header)
    for column in ("year", "population"):
        numbers = []
        for line, cell in frame[column].items():
            number = _userfile.to_number(cell, f"{where}, line {line}, column '{column}'")
            if number is None:
                raise DataFormatError(
                    f"{where} の {line} 行目: {column} '{cell}' は数値ではありません / "
                    f"{where}, line {line}: {column} '{cell}' is not a number"
                )
            numbers.append(number)
        frame[column] = numbers
    frame["year"] = frame["year"].astype(int)
    frame = frame.reset_index(drop=True)
    if "variant" not in frame:
        frame["variant"] = "migration"
    sexes = {"male": "male", "female": "female", "男": "male", "女": "female"}
    frame["sex"] = frame["sex"].astype(str).str.strip().map(lambda s: sexes.get(s, s))
    bad_sex = sorted(set(frame["sex"]) - set(pop.SEXES))
    if bad_sex:
        raise DataFormatError(
            f"{where}: 性別 {bad_sex} はありません（male/female か 男/女 にしてください） / "
            f"{where}: unknown sex {bad_sex} (use male/female or 男/女)"
        )
    frame["band"] = frame["band"].astype(str).map(_band_of)
    unknown_band = frame["band"].isna()
    if unknown_band.any():
        line = int(np.flatnonzero(unknown_band)[0]) + 2
        raise DataFormatError(
            f"{where} の {line} 行目: band が 5 歳階級（0_4 … 80_plus）ではありません / "
            f"{where}, line {line}: band is not a 5-year band (0_4 … 80_plus)"
        )
    base = panel._base(None).index
    frame["code"] = [
        codes.normalize_code(c, source=f"{where}, line {i + 2}")
        for i, c in enumerate(frame["code"])
    ]
    unknown = sorted(set(frame["code"]) - set(base))
    if unknown:
        update = codes.update_codes(unknown)
        mapping = {r.old: r.new for r in update.changes.itertuples() if r.new in base}
        frame["code"] = frame["code"].map(lambda c: mapping.get(c, c))
        unknown = sorted(set(frame["code"]) - set(base))
    if unknown:
        more = len(unknown) - 5
        msg = (
            f"{where}: 市区町村コード {', '.join(unknown[:5])}"
            + (f" ほか {more} 件" if more > 0 else "")
            + " はありません / "
            + f"{where}: unknown municipality code(s) {', '.join(unknown[:5])}"
            + (f" and {more} more" if more > 0 else "")
        )
        raise DataFormatError(msg)
    frame = pop.collapse_top(frame, 80)
    frame["band"] = frame["band"].astype(str)
    counts = frame.groupby(["code", "year", "variant", "sex"])["band"].nunique()
    short = counts[counts < _NB]
    if len(short):
        code, year, variant, sex = short.index[0]
        msg = (
            f"{where}: {code} {year} {sex}（{variant}）は {_NB} 個の階級 {BANDS[0]} … {BANDS[-1]} のうち {short.iloc[0]} 個しかありません（そのような組は {len(short)} 個） / "
            f"{where}: {code} {year} {sex} ({variant}) has {short.iloc[0]} of the {_NB} bands "
            f"{BANDS[0]} … {BANDS[-1]}; {len(short)} such groups"
        )
        raise DataFormatError(msg)
    del userdata
    names = panel._base_names()
    frame = frame.merge(names[["prefecture", "name"]], left_on="code", right_index=True)
    frame["kind"] = "user"
    cols = ["code", "prefecture", "name", "year", "variant", "sex", "band", "population", "kind"]
    return frame[cols]


def _band_of(text: str) -> str | None:
    text = text.strip()
    band = text if re.fullmatch(r"\d+_(\d+|plus)", text) else pop.parse_band(text)
    if band is None or band == "all":
        return None
    start = int(band.split("_")[0])
    if start % 5 or (band.endswith("plus") and start > 100):
        return None
    return band


def totals_of(bands: pd.DataFrame) -> pd.DataFrame:
    """Totals (population, women 20-39, aging rate) of a long band table, per code/year/variant."""
    b = bands.assign(
        women=np.where(
            (bands["sex"] == "female") & bands["band"].isin(BANDS[_WOMEN_20_39]),
            bands["population"],
            0.0,
        ),
        old=np.where(bands["band"].isin(BANDS[_OLD]), bands["population"], 0.0),
    )
    keys = ["code", "prefecture", "name", "year", "variant"]
    out = b.groupby(keys, observed=True)[["population", "women", "old"]].sum().reset_index()
    out["aging_rate"] = out["old"] / out["population"].where(out["population"] > 0) * 100
    return out.rename(columns={"women": "women_20_39"}).drop(columns="old")


# --------------------------------------------------------------------------- backtest


def backtest(
    *,
    bases: Iterable[tuple[int, int]] | None = None,
    horizons: Iterable[int] = (5, 10, 15, 20),
) -> pd.DataFrame:
    """Project from earlier bases and compare with what happened and with naive forecasts.

    Parameters
    ----------
    bases
        Base periods of the Japanese-residents series; default every 5-year period whose end
        leaves at least one horizon inside 1995-2022 (1995-2000 … 2012-2017).
    horizons
        Years after the base end.

    Returns
    -------
    pandas.DataFrame
        One row per measure (``population``, ``women_20_39``), method (``cohort``,
        ``closed``, ``no_change``, ``linear``), horizon and size class (``all`` and classes of
        the base-end population): ``n``, ``median_ape`` and ``p90_ape`` (absolute percentage
        error, %), and ``bases`` used.
    """
    years = pop.SERIES_YEARS["japanese"]
    horizons = sorted(set(horizons))
    if bases is None:
        bases = [(e - 5, e) for e in range(years[0] + 5, years[-1] - horizons[0] + 1)]
    bases = [parse_base(b) for b in bases]
    index = panel._base(None).index
    arrays = _arrays(pop.age_panel("japanese"), list(years), index)
    records = []
    for start, end in bases:
        steps = (
            max(h for h in horizons if end + h <= years[-1]) // 5
            if end + horizons[0] <= years[-1]
            else 0
        )
        if not steps:
            continue
        cohort, _ = project_arrays(arrays, (start, end), steps)
        closed, _ = project_arrays(arrays, (start, end), steps, closed=True)
        first = summarise(arrays[start])
        last = summarise(arrays[end])
        size = last["population"]
        for k in range(1, steps + 1):
            horizon = 5 * k
            if horizon not in horizons or end + horizon > years[-1]:
                continue
            actual = summarise(arrays[end + horizon])
            forecasts = {
                "cohort": summarise(cohort[k]),
                "closed": summarise(closed[k]),
                "no_change": last,
                "linear": {
                    m: np.maximum(last[m] + (last[m] - first[m]) * horizon / (end - start), 0)
                    for m in ("population", "women_20_39")
                },
            }
            for method, fc in forecasts.items():
                for measure in ("population", "women_20_39"):
                    truth = actual[measure]
                    ok = truth > 0
                    ape = np.full(len(truth), np.nan)
                    ape[ok] = np.abs(fc[measure][ok] - truth[ok]) / truth[ok] * 100
                    records.append(
                        pd.DataFrame(
                            {
                                "measure": measure,
                                "method": method,
                                "horizon": horizon,
                                "base": f"{start}-{end}",
                                "size": size,
                                "ape": ape,
                            }
                        )
                    )
    errors = pd.concat(records, ignore_index=True)
    errors["size_class"] = pd.cut(
        errors["size"],
        [0, 5_000, 20_000, 100_000, np.inf],
        labels=["5千人未満", "5千～2万人", "2万～10万人", "10万人以上"],
        right=False,
    ).astype(str)
    keys = ["measure", "method", "horizon"]
    overall = errors.groupby(keys)["ape"].agg(_stats).apply(pd.Series).reset_index()
    overall["size_class"] = "all"
    by_size = (
        errors.groupby([*keys, "size_class"])["ape"].agg(_stats).apply(pd.Series).reset_index()
    )
    out = pd.concat([overall, by_size], ignore_index=True)
    bases_used = errors.groupby("horizon")["base"].agg(lambda b: ",".join(sorted(set(b))))
    out["bases"] = out["horizon"].map(bases_used)
    return out[
        ["measure", "method", "horizon", "size_class", "n", "median_ape", "p90_ape", "bases"]
    ]


def _stats(values: pd.Series) -> dict[str, float]:
    v = values.dropna()
    return {
        "n": len(v),
        "median_ape": float(np.median(v)) if len(v) else np.nan,
        "p90_ape": float(np.percentile(v, 90)) if len(v) else np.nan,
    }


# --------------------------------------------------------------------------- 消滅可能性


#: The 人口戦略会議 2024 report's counts of its 1,729 municipalities (その他 is the rest).
REPORT_COUNTS = {
    "自立持続可能性自治体": 65,
    "ブラックホール型自治体": 25,
    "消滅可能性自治体": 744,
    "その他": 1729 - 65 - 25 - 744,
}


def _level(change: np.ndarray) -> np.ndarray:
    """Fall of women 20-39 in three levels: 0 (< 20 %), 1 (20-50 %), 2 (50 % or more)."""
    fall = -change
    return np.select([fall >= 50, fall >= 20], [2, 1], default=0)


def sustainability(
    totals: pd.DataFrame, *, start: int = 2020, end: int = 2050, source: str = "regionlib"
) -> pd.DataFrame:
    """Classify municipalities as the 人口戦略会議 2024 report does.

    From the change of women aged 20-39 from ``start`` to ``end`` with migration (移動仮定)
    and closed (封鎖人口): 消滅可能性自治体 — a fall of 50 % or more with migration;
    自立持続可能性自治体 — a fall of less than 20 % in both; ブラックホール型自治体 — less than
    50 % with migration but 50 % or more closed; その他 — the rest. ``subclass`` names the cell
    of the report's 3 × 3 matrix (移動 / 封鎖: <20 %, 20-50 %, ≥50 %).

    Parameters
    ----------
    totals
        :attr:`Projection.totals` (or :func:`totals_of` a user's projection) with both
        variants and the years ``start`` and ``end``.
    start, end
        The span of the change.
    source
        Written in the ``source`` column: whose projection this is.

    Returns
    -------
    pandas.DataFrame
        Index ``code``: ``prefecture``, ``name``, ``women_20_39_start``,
        ``women_20_39_change_migration``, ``women_20_39_change_closed`` (%), ``class``,
        ``class_code`` (1 自立持続可能性, 2 その他, 3 ブラックホール型, 4 消滅可能性: for
        maps), ``subclass``, ``flag``, ``source``.

    Raises
    ------
    UnknownNameError
        When a variant or year is missing from ``totals``.
    """
    need = {(v, y) for v in VARIANTS for y in (start, end)}
    have = set(zip(totals["variant"].astype(str), totals["year"], strict=True))
    lacking = sorted(need - have)
    if lacking:
        listed = ", ".join(f"{v} {y}" for v, y in lacking)
        msg = (
            f"推計に {listed} がありません（両方の推計の種類の {start} 年と {end} 年が必要です） / "
            f"the projection lacks {listed} (need both variants, {start} and {end})"
        )
        raise UnknownNameError(msg)
    wide = totals.pivot_table(
        index="code", columns=["variant", "year"], values="women_20_39", observed=True
    )
    out = panel._base_names().reindex(wide.index)[["prefecture", "name"]].copy()
    begin = wide[("migration", start)]
    out["women_20_39_start"] = begin
    for variant in VARIANTS:
        first = wide[(variant, start)].where(wide[(variant, start)] > 0)
        out[f"women_20_39_change_{variant}"] = (wide[(variant, end)] / first - 1) * 100
    mig = _level(out["women_20_39_change_migration"].to_numpy())
    clo = _level(out["women_20_39_change_closed"].to_numpy())
    classes = np.select(
        [mig == 2, (mig == 0) & (clo == 0), clo == 2],
        ["消滅可能性自治体", "自立持続可能性自治体", "ブラックホール型自治体"],
        default="その他",
    )
    unknown = out["women_20_39_change_migration"].isna() | out["women_20_39_change_closed"].isna()
    classes = np.where(unknown, "判定不能", classes)
    out["class"] = classes
    out["class_code"] = pd.Series(classes, index=out.index).map(
        {"自立持続可能性自治体": 1, "その他": 2, "ブラックホール型自治体": 3, "消滅可能性自治体": 4}
    )
    words = np.array(["20%未満", "20～50%", "50%以上"])
    out["subclass"] = [
        f"移動 {words[m]}減 / 封鎖 {words[c]}減" for m, c in zip(mig, clo, strict=True)
    ]
    if "flag" in totals:
        flags = totals.drop_duplicates("code").set_index("code")["flag"]
        out["flag"] = flags.reindex(out.index).fillna("")
    out["source"] = source
    out.index.name = "code"
    return out
