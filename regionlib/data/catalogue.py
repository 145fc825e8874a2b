"""Build the indicator catalogue from the raw files' headers, once, into the derived cache.

The catalogue (read by :mod:`regionlib.data.indicators`) has one row per indicator and year.
Only the hand-written rows are in the package (``regionlib/catalogue.csv``, group
``curated``); every other row is derived from the headers of the registry files, so no extract
of the data is kept in the source tree. :func:`rows` builds them on first use (downloading the
files it needs, like any command) and keeps the result in the derived cache, keyed by the
registry, the hand-written rows and the code that reads and derives them:

- every SSDSE-A item of every edition (2018-2026), one row per reference year (header row 2),
  taken from the latest edition that holds that year, as the published count; and rates where
  they mean something (per 1,000 or 10,000 inhabitants, per inhabitant, shares of a total);
- every 住民基本台帳 column (population, households, births, deaths, moves in and out, natural
  and social change; flows are dated by the year they happened in), from the CSV files
  (2016-2022) and, before them, the 人口動態 workbooks (1995-2015);
- the 住基 age workbooks (group ``juki_age``): population by 5-year band and sex of Japanese
  residents every year 1995-2022, women aged 20-39 (count, share), the register's aging,
  child and working-age shares, and women 20-39 of all residents (2013-2022);
- every 主要財政指標 column, FY2005-FY2021 (FY2021 from the archive);
- the すがた income items; ふるさと納税 and 地方交付税 items (group ``money``).

Every row gets an ``aggregation`` rule (how an area of several municipalities gets its value,
see :mod:`regionlib.data.indicators`): ``sum`` for counts, amounts and balances, ``ratio``
for a row with a denominator (numerator and denominator summed over the members, then
divided), ``weighted:fiscal_demand`` for 財政力指数 in the years the catalogue holds
基準財政需要額, ``none:REASON`` for an index or ratio whose parts the sources do not publish.
Hand-written rows keep their rule; one without gets the rule inferred here.

Building takes about 10 s once the files are downloaded; a warm load reads one small table.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from importlib import resources
from pathlib import Path

import pandas as pd

from regionlib._errors import DataFormatError
from regionlib.data import datasets, indicators, readers

#: The package file of the hand-written rows.
CURATED = "catalogue.csv"
COLUMNS = [
    "name",
    "year",
    "label",
    "unit",
    "dataset",
    "numerator",
    "denominator",
    "scale",
    "zero_reason",
    "group",
    "description",
    "credit",
    "kind",
    "aggregation",
]
GENERATED = ("ssdse", "juki", "fiscal", "income", "money", "juki_age")
EDITIONS = range(2018, 2027)

# SSDSE-A rates: numerator item -> (denominator, scale, unit, name suffix, label suffix)
_PER_1000 = ("A1101", 1000, "‰", "per_1000", "（人口千人当たり）")
_PER_10K = ("A1101", 10000, "/万人", "per_10k", "（人口1万人当たり）")
_PER_CAPITA = ("A1101", 1, "千円/人", "per_capita", "（人口1人当たり）")
_RATES: dict[str, tuple] = {
    **dict.fromkeys(["A4101", "A4200", "A5101", "A5102", "A9101", "A9201"], _PER_1000),
    **dict.fromkeys(["C2107", "C2108", "D1202", "H6130", "H6131"], _PER_1000),
    **dict.fromkeys(
        [
            "I510120",
            "I5102",
            "I5103",
            "I6200",
            "I6300",
            "G1201",
            "G1401",
            "H6132",
            "E1101",
            "E2101",
            "E3101",
            "E4101",
            "J2503",
            "J250302",
        ],
        _PER_10K,
    ),
    **dict.fromkeys(
        ["D3201", "D320101", "D3203", "D320303", "D320308", "D320310", "D320311"], _PER_CAPITA
    ),
    "A1700": ("A1101", 100, "%", "share", "の割合（総人口に占める）"),
    "A1102": ("A1101", 100, "%", "share", "の割合（総人口に占める）"),
    "A810102": ("A710101", 100, "%", "share", "の割合（一般世帯に占める）"),
    "A810105": ("A710101", 100, "%", "share", "の割合（一般世帯に占める）"),
    "A811102": ("A710101", 100, "%", "share", "の割合（一般世帯に占める）"),
    "A8201": ("A710101", 100, "%", "share", "の割合（一般世帯に占める）"),
    "A8301": ("A710101", 100, "%", "share", "の割合（一般世帯に占める）"),
    "A710201": ("A710101", 1, "人/世帯", "per_household", "（一般世帯1世帯当たり）"),
    "B1103": ("B1101", 100, "%", "share", "の割合（総面積に占める）"),
    "H550701": ("H5507", 100, "%", "share", "の割合（総人口に占める）"),
    "D320101": ("D3201", 100, "%", "share", "の割合（歳入決算総額に占める）"),
    **{
        item: ("D3203", 100, "%", "share", "の割合（歳出決算総額に占める）")
        for item in ("D320303", "D320308", "D320310", "D320311")
    },
    "E2501": ("E2401", 1, "人/人", "per_teacher", "（教員1人当たり）"),
    "E3501": ("E3401", 1, "人/人", "per_teacher", "（教員1人当たり）"),
    "F1108": ("F1102 + F1107 + F1108", 100, "%", "share", "の割合（15歳以上人口に占める）"),
}
_ZERO = {"A1101": "population is 0", "A710101": "no general households"}


# What each SSDSE-A item counts, from the item definitions of 統計でみる市区町村のすがた (the item
# code's first five characters name the item; the two digits after them name a breakdown by sex,
# industry or type, counted in the same unit). A new item must be added here: no guessing.
_ITEM_UNITS: dict[str, str] = {
    **dict.fromkeys(["A1101", "A1102", "A1301", "A1302", "A1303", "A1419", "A1700"], "人"),
    **dict.fromkeys(["A4101", "A4200", "A5101", "A5102", "A7102"], "人"),
    **dict.fromkeys(["A7101", "A8101", "A8111", "A8201", "A8301"], "世帯"),
    **dict.fromkeys(["A9101", "A9201"], "件"),
    **dict.fromkeys(["B1101", "B1103"], "ha"),
    **dict.fromkeys(["C2107", "C2108", "C2110", "C2111", "C2112"], "事業所"),
    **dict.fromkeys(["C2207", "C2208", "C2210", "C2211", "C2212"], "人"),
    "C3102": "戸",
    "D1202": "人",
    **dict.fromkeys(["D2203", "D2211"], "%"),
    **dict.fromkeys(["D3201", "D3203"], "千円"),
    "E1101": "園",
    **dict.fromkeys(["E2101", "E3101", "E3901", "E4101"], "校"),
    **dict.fromkeys(["E1501", "E2401", "E2501", "E3401", "E3501"], "人"),
    **dict.fromkeys(["E3904", "E3905", "E3906", "E4501"], "人"),
    **dict.fromkeys(["F1102", "F1107", "F1108", "F2201", "F2211", "F2221"], "人"),
    **dict.fromkeys(["G1201", "G1401"], "館"),
    "H5507": "人",
    **dict.fromkeys(["H6130", "H6131", "H6132"], "店"),
    **dict.fromkeys(["I5101", "I5102", "I5103"], "施設"),
    **dict.fromkeys(["I6100", "I6200", "I6300"], "人"),
    "J2503": "所",
    "J2506": "人",
}

#: The kind of a value, which decides how it changes and adds up: ``count`` (people,
#: households, establishments, events: percent change), ``amount`` (money, area: percent
#: change), ``average`` (an amount or count per person, household or area: percent change),
#: ``rate`` (shares, ratios, per 1,000 or 10,000: change in points), ``index`` (an index
#: number: absolute change) and ``net`` (a signed balance such as natural change: absolute
#: change).
KINDS = ("count", "amount", "average", "rate", "index", "net")
_KIND_OF_UNIT = {
    "": "index",
    "%": "rate",
    "‰": "rate",
    "千円": "amount",
    "円": "amount",
    "ha": "amount",
}


def _unit(item: str) -> str:
    try:
        return _ITEM_UNITS[item[:5]]
    except KeyError:
        msg = f"SSDSE item {item}: its unit is not in _ITEM_UNITS; add it from the item definition"
        raise SystemExit(msg) from None


def _kind(unit: str) -> str:
    if unit.endswith("/万人"):
        return "rate"
    if "/" in unit:
        return "average"
    return _KIND_OF_UNIT.get(unit, "count")


def _label(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("(", "（").replace(")", "）").strip()


def _ssdse_rows() -> list[dict]:
    found: dict[tuple[str, int], tuple[int, str]] = {}
    for edition in EDITIONS:
        table = readers.read_ssdse(f"ssdse-a-{edition}")
        for item, meta in table.items.iterrows():
            year = int(meta["year"])
            found[(str(item), year)] = (edition, str(meta["label"]))  # later editions win
    credit = datasets.info("ssdse-a-2026").credit
    rows = []
    for (item, year), (edition, label) in sorted(found.items()):
        dataset = f"ssdse-a-{edition}"
        label = _label(label)
        rows.append(
            _row(
                item,
                year,
                label,
                _unit(item),
                dataset,
                item,
                group="ssdse",
                description=f"SSDSE-A {edition} item {item} ({label}), reference year {year}.",
                credit=credit,
            )
        )
        if item in _RATES:
            den, scale, unit, suffix, label_suffix = _RATES[item]
            if unit == "/万人":
                unit = _unit(item) + "/万人"
            zero = _ZERO.get(den, f"{den} is 0")
            rows.append(
                _row(
                    f"{item}_{suffix}",
                    year,
                    label + label_suffix,
                    unit,
                    dataset,
                    item,
                    den,
                    scale,
                    zero,
                    "ssdse",
                    f"SSDSE-A {edition}: {item} ({year}) / {den} × {scale:g}; the denominator is "
                    "taken from the same edition (its own reference year).",
                    credit,
                )
            )
    return rows


def _row(
    name,
    year,
    label,
    unit,
    dataset,
    numerator,
    denominator="",
    scale=1,
    zero_reason="",
    group="",
    description="",
    credit="",
    kind="",
) -> dict:
    return {
        "name": name,
        "year": year,
        "label": label,
        "unit": unit,
        "dataset": dataset,
        "numerator": numerator,
        "denominator": denominator,
        "scale": f"{scale:g}",
        "zero_reason": zero_reason,
        "group": group,
        "description": description,
        "credit": credit,
        "kind": kind or _kind(unit),
    }


_JUKI = {
    # item: (name, label, unit, flow)
    "population": ("population_registered", "住民基本台帳人口", "人", False),
    "households": ("households_registered", "住民基本台帳世帯数", "世帯", False),
    "births": ("births", "出生者数（住民基本台帳）", "人", True),
    "deaths": ("deaths", "死亡者数（住民基本台帳）", "人", True),
    "moves_in": ("moves_in", "転入者数（住民基本台帳）", "人", True),
    "moves_out": ("moves_out", "転出者数（住民基本台帳）", "人", True),
    "natural_change": ("natural_change", "自然増減数（住民基本台帳）", "人", True),
    "social_change": ("social_change", "社会増減数（住民基本台帳）", "人", True),
}


def _juki_sources() -> list[tuple[int, str, str]]:
    """(file year, dataset, flow period) of every 住基 population file, oldest first."""
    out = []
    for file_year in range(1995, 2016):
        kind = "japanese" if file_year <= 2012 else "total"
        if file_year <= 2013:
            period = f"fiscal year {file_year - 1} (April {file_year - 1} to March {file_year})"
        else:
            period = f"calendar {file_year - 1}"
        out.append((file_year, f"juki-dynamics-{kind}-{file_year}", period))
    out += [(y, f"juki-{y}", f"calendar {y - 1}") for y in range(2016, 2023)]
    # the 2021 and 2022 CSVs hold the population only: their flows from the workbooks
    out += [(y, f"juki-dynamics-total-{y}", f"calendar {y - 1}") for y in (2021, 2022)]
    return out


def _juki_rows() -> list[dict]:
    rows = []
    credit = datasets.info("juki-2020").credit
    seen: set[tuple[str, int]] = set()
    for file_year, dataset, period in _juki_sources():
        table = indicators.read_source(dataset)
        when_stock = "31 March" if file_year <= 2013 else "1 January"
        who = "Japanese residents" if file_year <= 2012 else "all residents"
        flows_only = file_year >= 2021 and dataset.startswith("juki-dynamics")
        for item in table.items.index:
            if str(item) not in _JUKI:
                continue
            name, label, unit, flow = _JUKI[str(item)]
            if flows_only and not flow:
                continue
            year = file_year - 1 if flow else file_year
            if (name, year) in seen:  # a year the CSV already gave
                continue
            seen.add((name, year))
            when = period if flow else f"{when_stock} {year}"
            rows.append(
                _row(
                    name,
                    year,
                    label,
                    unit,
                    dataset,
                    item,
                    group="juki",
                    description=f"住民基本台帳 ({dataset}), {when}, {who}.",
                    credit=credit,
                    kind="net" if str(item).endswith("_change") else "",
                )
            )
            if flow and item in ("births", "deaths", "moves_in", "moves_out"):
                rows.append(
                    _row(
                        f"{name}_per_1000",
                        year,
                        label.replace("（住民基本台帳）", "（住民基本台帳、人口千人当たり）"),
                        "‰",
                        dataset,
                        item,
                        "population",
                        1000,
                        "population is 0",
                        "juki",
                        f"{label} in {period} per 1,000 registered residents on "
                        f"{when_stock} {file_year} ({who}).",
                        credit,
                    )
                )
    return rows


_SEX_JA = {"total": "", "male": "男性", "female": "女性"}
_AGE_SHARES = {
    # name: (label, first band, last band (None: open), description)
    "child_share_registered": ("住基年少人口割合（15歳未満）", 0, 10, "aged 0-14"),
    "working_age_share_registered": ("住基生産年齢人口割合（15～64歳）", 15, 60, "aged 15-64"),
    "aging_rate_registered": ("住基高齢化率（65歳以上人口の割合）", 65, None, "aged 65 or over"),
}


def _bands(first: int, last: int | None) -> list[str]:
    from regionlib.data.population import BANDS

    return [
        b
        for b in BANDS
        if int(b.split("_")[0]) >= first and (last is None or int(b.split("_")[0]) <= last)
    ]


def _sum(items: list[str]) -> str:
    return " + ".join(items)


def _age_rows() -> list[dict]:
    from regionlib.data import population

    credit = datasets.info("juki-age-japanese-2022").credit
    rows = []
    women = _sum([f"female_{b}" for b in ("20_24", "25_29", "30_34", "35_39")])
    for series, years in population.SERIES_YEARS.items():
        for year in years:
            dataset = population.dataset_name(series, year)
            when = f"{'31 March' if year <= 2013 else '1 January'} {year}"
            if series == "total":
                rows.append(
                    _row(
                        "women_20_39_all_residents",
                        year,
                        "20～39歳女性人口（住基・外国人住民を含む）",
                        "人",
                        dataset,
                        women,
                        group="juki_age",
                        description=f"Women aged 20-39, all residents (Japanese and foreign), "
                        f"住民基本台帳 ({dataset}), {when}.",
                        credit=credit,
                    )
                )
                continue
            table = indicators.read_source(dataset)
            what = f"Japanese residents, 住民基本台帳 ({dataset}), {when}"
            for item in table.values.columns:
                sex, _, band = str(item).partition("_")
                if not band:
                    continue
                ja = population.band_label(band)
                rows.append(
                    _row(
                        f"population_{sex}_{band}" if sex != "total" else f"population_{band}",
                        year,
                        f"{ja}{_SEX_JA[sex]}人口（住基・日本人）",
                        "人",
                        dataset,
                        item,
                        group="juki_age",
                        description=f"{sex.capitalize()} population aged "
                        f"{band.replace('_plus', ' or over').replace('_', '-')}, {what}.",
                        credit=credit,
                    )
                )
            rows.append(
                _row(
                    "women_20_39",
                    year,
                    "20～39歳女性人口（住基・日本人）",
                    "人",
                    dataset,
                    women,
                    group="juki_age",
                    description=f"Women aged 20-39 (the measure of the 人口戦略会議 2024 report), "
                    f"{what}.",
                    credit=credit,
                )
            )
            rows.append(
                _row(
                    "women_20_39_share",
                    year,
                    "20～39歳女性の割合（住基・日本人、総人口に占める）",
                    "%",
                    dataset,
                    women,
                    "total",
                    100,
                    "population is 0",
                    "juki_age",
                    f"Women aged 20-39 in % of the population, {what}.",
                    credit,
                )
            )
            for name, (label, first, last, desc) in _AGE_SHARES.items():
                rows.append(
                    _row(
                        name,
                        year,
                        label,
                        "%",
                        dataset,
                        _sum([f"total_{b}" for b in _bands(first, last)]),
                        "total",
                        100,
                        "population is 0",
                        "juki_age",
                        f"Share of the population {desc}, {what} (every age is known in the "
                        "register; the census shares leave out people of unknown age).",
                        credit,
                    )
                )
    return rows


_FISCAL_LABELS = {
    "fiscal_strength_index": "財政力指数",
    "current_balance_ratio": "経常収支比率",
    "real_debt_service_ratio": "実質公債費比率",
    "future_burden_ratio": "将来負担比率",
    "laspeyres_index": "ラスパイレス指数",
    "bond_restriction_ratio": "起債制限比率",
    "future_burden_ratio_or_zero": "将来負担比率（「－」を0として）",
}
_FISCAL_NOTES = {
    "fiscal_strength_index": " Tokyo's 23 special wards are not comparable with cities on this index.",
    "future_burden_ratio": " 「－」 means the resources exceed the burden (no net burden): missing "
    "with that reason; future_burden_ratio_or_zero reads it as 0.",
    "future_burden_ratio_or_zero": " The same ratio with 「－」 (resources exceed the burden, no "
    "net burden) read as 0.",
}


def _fiscal_rows() -> list[dict]:
    rows = []
    credit = datasets.info("fiscal-fy2020").credit
    for year in range(2005, 2022):
        table = readers.read_fiscal(year)
        dataset = "fiscal-archive" if year == 2021 else f"fiscal-fy{year}"
        for item, meta in table.items.iterrows():
            rows.append(
                _row(
                    item,
                    year,
                    _FISCAL_LABELS[str(item)],
                    meta["unit"],
                    dataset,
                    item,
                    group="fiscal",
                    description=f"主要財政指標一覧, FY{year} (fiscal year; codes of that year "
                    "mapped to current ones; merged municipalities have no combined value)."
                    + _FISCAL_NOTES.get(str(item), ""),
                    credit=credit,
                )
            )
    return rows


def _income_rows() -> list[dict]:
    table = readers.read_income("income-2020")
    credit = datasets.info("income-2020").credit
    return [
        _row(
            item,
            int(meta["year"]),
            meta["label"],
            meta["unit"],
            "income-2020",
            item,
            group="income",
            description=f"統計でみる市区町村のすがた item {item}, FY{meta['year']}.",
            credit=credit,
        )
        for item, meta in table.items.iterrows()
    ]


def _population(fiscal_year: int) -> str:
    """Return the registered population on 1 January of fiscal year N (N+1), or the latest."""
    return f"juki-{min(fiscal_year + 1, 2022)}:population"


def _money_rows() -> list[dict]:
    """ふるさと納税 (円), 普通交付税 and 需要額 / 収入額 (千円); per resident in 円."""
    rows: list[dict] = []
    furusato = datasets.info("furusato-receipts-fy2020").credit
    koufu = datasets.info("koufuzei-fy2020").credit

    def add(name, year, label, unit, dataset, num, den="", scale=1, zero="", what=""):
        rows.append(
            _row(name, year, label, unit, dataset, num, den, scale, zero, "money", what, "")
        )

    fy = "fiscal year (April-March)"
    for year in range(2008, 2016):  # by name, today's municipalities
        ds = "furusato-receipts-rough"
        what = f"ふるさと納税 receipts in FY{year} ({fy}), from the file keyed by name."
        add(
            "furusato_receipts", year, "ふるさと納税受入額", "円", ds, f"receipts_{year}", what=what
        )
        add(
            "furusato_donations",
            year,
            "ふるさと納税受入件数",
            "件",
            ds,
            f"donations_{year}",
            what=what,
        )
    for year in range(2016, 2021):  # by code: counts, amounts, costs
        ds = f"furusato-receipts-fy{year}"
        pop = _population(year)
        what = f"ふるさと納税 receipts in FY{year} ({fy}), 決算見込, {ds}."
        add("furusato_receipts", year, "ふるさと納税受入額", "円", ds, "receipts", what=what)
        add("furusato_donations", year, "ふるさと納税受入件数", "件", ds, "donations", what=what)
        add(
            "furusato_receipts_per_capita",
            year,
            "ふるさと納税受入額（住民1人当たり）",
            "円/人",
            ds,
            "receipts",
            pop,
            1,
            "population is 0",
            f"Receipts in FY{year} per registered resident ({pop.split(':')[0]}, 1 January).",
        )
        add(
            "furusato_outside_share",
            year,
            "市区町村外からの寄附の割合（金額）",
            "%",
            ds,
            "receipts_outside",
            "receipts",
            100,
            "no receipts",
            f"Share of FY{year} receipts given from outside the municipality (市区町村外). The "
            "files do not say from outside the prefecture for municipalities.",
        )
        add(
            "furusato_costs",
            year,
            "ふるさと納税の募集に要した費用",
            "円",
            ds,
            "costs",
            what=f"Costs of collecting the FY{year} donations (返礼品, 送付, 広報, 決済, 事務 …).",
        )
        add(
            "furusato_cost_ratio",
            year,
            "募集費用の割合（受入額に対する）",
            "%",
            ds,
            "costs",
            "receipts",
            100,
            "no receipts",
            f"Costs / receipts, FY{year}. Since FY2019 (the designation system) costs must stay "
            "within 50 % of receipts (5割ルール).",
        )
    for tax_year in range(2016, 2022):
        year = tax_year - 1  # the donations deducted were made in calendar year N-1
        ds = f"furusato-deductions-fy{tax_year}"
        add(
            "furusato_deductions",
            year,
            "ふるさと納税による市町村民税控除額",
            "円",
            ds,
            "deduction",
            what=f"市町村民税 寄附金税額控除 for ふるさと納税 in the FY{tax_year} residence tax "
            f"({ds}; estimates included), for donations residents made in calendar {year}: "
            f"dated {year}, set against the FY{year} receipts as 総務省 does.",
        )
        receipts = (
            f"furusato-receipts-rough:receipts_{year}"
            if year < 2016
            else f"furusato-receipts-fy{year}:receipts"
        )
        num = f"{receipts} - deduction"
        what = (
            f"FY{year} receipts minus the 市町村民税 deductions of FY{tax_year} (donations of "
            f"calendar {year} by residents): the municipality's ふるさと納税 balance."
        )
        add("furusato_net", year, "ふるさと納税の収支（受入額－控除額）", "円", ds, num, what=what)
        add(
            "furusato_net_per_capita",
            year,
            "ふるさと納税の収支（住民1人当たり）",
            "円/人",
            ds,
            num,
            _population(year),
            1,
            "population is 0",
            what + " Per registered resident (1 January).",
        )
    for year in range(2015, 2023):
        ds = f"koufuzei-fy{year}"
        what = (
            f"普通交付税 決定額, FY{year}; Tokyo's special wards have none of their own (都区合算)."
        )
        add("koufuzei", year, "普通交付税額", "千円", ds, "koufuzei", what=what)
        add(
            "koufuzei_per_capita",
            year,
            "普通交付税額（住民1人当たり）",
            "円/人",
            ds,
            "koufuzei",
            _population(year),
            1000,
            "population is 0",
            what + f" Per registered resident ({_population(year).split(':')[0]}, 1 January).",
        )
        demand, income = f"koufuzei-demand-fy{year}", f"koufuzei-income-fy{year}"
        add(
            "fiscal_demand",
            year,
            "基準財政需要額",
            "千円",
            demand,
            "demand",
            what=f"基準財政需要額 FY{year} (一本算定, after the 臨時財政対策債 transfer): the "
            "denominator of 財政力指数.",
        )
        add(
            "fiscal_demand_before_rinzai",
            year,
            "基準財政需要額（臨時財政対策債振替前）",
            "千円",
            demand,
            "demand_before",
            what=f"基準財政需要額 FY{year} before the 臨時財政対策債 transfer.",
        )
        add(
            "fiscal_revenue",
            year,
            "基準財政収入額",
            "千円",
            income,
            "revenue",
            what=f"基準財政収入額 FY{year} (一本算定): the numerator of 財政力指数.",
        )
        add(
            "fiscal_revenue_demand_ratio",
            year,
            "基準財政収入額／基準財政需要額（単年度）",
            "",
            income,
            "revenue",
            f"{demand}:demand",
            1,
            "no 基準財政需要額",
            f"FY{year} 基準財政収入額 / 基準財政需要額; 財政力指数 is the mean of three years of it.",
        )
    for row in rows:
        row["credit"] = koufu if row["dataset"].startswith("koufuzei") else furusato
    return rows


#: Indices and ratios published without their parts: why an area has no value.
_NONE_REASONS = {
    "laspeyres_index": "ラスパイレス指数は職員構成で重み付けした指数で、重みが公表されていない / "
    "weighted by staff composition, which is not published",
}
_NO_DEMAND = (
    "財政力指数は基準財政需要額で重み付けして合算するが、この年度の需要額がカタログにない / "
    "weighted by 基準財政需要額, which the catalogue does not hold for this year"
)
_NONE_RATIO = (
    "比率の分子・分母が公表値にないため合算できない / the ratio's numerator and denominator "
    "are not published, so it cannot be combined"
)
#: 財政力指数 of an area: the members' indices weighted by their 基準財政需要額 (the index is
#: 収入額 / 需要額, so this is the area's 収入額 over its 需要額, for a single year's weights).
_WEIGHTED = {
    "fiscal_strength_index": "fiscal_demand",
    "fiscal_strength_index_2015": "fiscal_demand",
}


def aggregation_rule(row: dict, weights: dict[str, set[int]] | None = None) -> str:
    """Return the aggregation rule of a catalogue row (``sum``, ``ratio``, ``weighted:W``, ``none:…``).

    Parameters
    ----------
    row
        A catalogue row (``name``, ``year``, ``unit``, ``numerator``, ``denominator``,
        ``kind`` …).
    weights
        Years the catalogue holds each weight indicator for (``{"fiscal_demand": {2015, …}}``).

    Returns
    -------
    str
        ``ratio`` for a row with a denominator or defined as another request (a change,
        recomputed from the area's values at both years); ``sum`` for a count, an amount or a
        balance (also a count allocated over known ages, ``A * B / C``); ``weighted:W`` for
        an index with a documented weight held for that year; ``none:REASON`` otherwise.
    """
    name = row["name"]
    if name in _NONE_REASONS:
        return f"none:{_NONE_REASONS[name]}"
    if name in _WEIGHTED:
        weight = _WEIGHTED[name]
        if int(row["year"]) in (weights or {}).get(weight, set()):
            return f"weighted:{weight}"
        return f"none:{_NO_DEMAND}"
    if row["numerator"].startswith("="):
        return "ratio"
    if " * " in row["numerator"]:
        return "sum"
    if row["denominator"]:
        return "ratio"
    if row.get("kind") in ("count", "amount", "net"):
        return "sum"
    return f"none:{_NONE_RATIO}"


def _with_rule(rows: list[dict]) -> list[dict]:
    weights: dict[str, set[int]] = {}
    for row in rows:
        if row["name"] in _WEIGHTED.values():
            weights.setdefault(row["name"], set()).add(int(row["year"]))
    for row in rows:
        if not row.get("aggregation"):
            row["aggregation"] = aggregation_rule(row, weights)
    return rows


def curated_rows() -> list[dict[str, str]]:
    """Return the hand-written rows shipped with the package (``regionlib/catalogue.csv``)."""
    text = resources.files("regionlib").joinpath(CURATED).read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    for line, row in enumerate(rows, start=2):
        if row["group"] in GENERATED:
            raise DataFormatError(
                f"{CURATED} の {line} 行目: グループ {row['group']} の行はファイルの見出しから"
                f"作られるため、手書きの行には使えません / {CURATED}, line {line}: group "
                f"{row['group']} is derived from the files' headers, not written by hand"
            )
        if row.get("kind") not in KINDS:
            raise DataFormatError(
                f"{CURATED} の {line} 行目: 手書きの行 {row['name']}（{row['year']}）には kind "
                f"（{', '.join(KINDS)}）が必要です / {CURATED}, line {line}: hand-written row "
                f"{row['name']} ({row['year']}) needs a kind ({', '.join(KINDS)})"
            )
    return rows


def build() -> pd.DataFrame:
    """Return the whole catalogue: the hand-written rows, then the rows of every source.

    On a terminal (progress shown, :func:`regionlib._log.show_progress`) one line says why the
    first use waits: the build reads the headers of every source file, downloading those not
    yet in the cache.
    """
    from regionlib._log import show_progress

    if show_progress():
        print(
            "指標カタログを作成しています（初回のみ。データのダウンロードを含め数十秒かかります） / "
            "building the indicator catalogue (first use only; with the downloads, a minute or "
            "less)",
            file=sys.stderr,
        )
    generated = (
        _ssdse_rows() + _juki_rows() + _age_rows() + _fiscal_rows() + _income_rows() + _money_rows()
    )
    rows = _with_rule(curated_rows() + generated)
    return pd.DataFrame([[str(r.get(c, "") or "") for c in COLUMNS] for r in rows], columns=COLUMNS)


def rows() -> list[dict[str, str]]:
    """Return every catalogue row (strings, as in a CSV), built once and kept in the cache.

    Returns
    -------
    list of dict
        One dict per row, keys :data:`COLUMNS`.
    """
    from regionlib.data import _cache
    from regionlib.data import table as tables

    package = Path(__file__).resolve().parents[1]
    inputs = [_cache.file_sha256(package / "registry.json"), *tables._code_hashes()]
    # the build's notes (every source file read) are about the build, not a later command
    frame = _cache.cached(
        "catalogue", inputs, {"columns": COLUMNS}, build, geometry=False, replay=False
    )
    # column lists zipped into dicts: 10 times quicker than DataFrame.to_dict("records")
    columns = [frame[c].astype(str).tolist() for c in COLUMNS]
    return [dict(zip(COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)]
