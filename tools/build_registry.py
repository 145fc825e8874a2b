"""Rebuild ``regionlib/registry.json`` from a data manifest.

The manifest is a TSV with columns ``path``, ``url``, ``sha256``, ``bytes`` (one row per file,
as published beside the shared data mirror). Each file regionlib uses becomes one registry entry
with a stable name and the source's licence, credit line, vintage and format.

Usage::

    python tools/build_registry.py MANIFEST.tsv > regionlib/registry.json
"""

from __future__ import annotations

import csv
import json
import re
import sys
from urllib.parse import unquote

MLIT = {
    "source": "国土数値情報 行政区域データ N03 (smartnews-smri/japan-topography)",
    "license": "国土数値情報 利用規約 (free use, credit required)",
    "credit": "国土数値情報（行政区域データ）（国土交通省）を加工して作成",
    "vintage": "2021-01-01",
}
SSDSE = {
    "source": "SSDSE-A 教育用標準データセット (独立行政法人統計センター)",
    "license": "政府標準利用規約 / CC BY 4.0 compatible (credit required)",
    "credit": "独立行政法人統計センター SSDSE（教育用標準データセット）",
}
JUKI = {
    "source": "住民基本台帳に基づく人口、人口動態及び世帯数 (総務省)",
    "license": "政府標準利用規約 (credit required)",
    "credit": "総務省「住民基本台帳に基づく人口、人口動態及び世帯数」",
}
FISCAL = {
    "source": "地方公共団体の主要財政指標一覧 (総務省), via passaglia/japandata-sources",
    "license": "CC BY 4.0",
    "credit": "総務省「地方公共団体の主要財政指標一覧」（passaglia/japandata-sources, CC BY 4.0）",
}
INCOME = {
    "source": "都道府県・市区町村のすがた (社会・人口統計体系), via azumi29/Income_histgram",
    "license": "政府標準利用規約 (credit required)",
    "credit": "総務省統計局「統計でみる市区町村のすがた」（課税対象所得・納税義務者数）",
    "vintage": "FY2020",
}
CZ = {
    "source": "Commuting zones of Japan (daisukeadachi/commuting_zone_japan)",
    "license": "research output: cite the paper",
    "credit": "Adachi, Fukai, Kawaguchi & Saito (2020) Commuting Zones in Japan, RIETI Discussion Paper (daisukeadachi/commuting_zone_japan)",
}
JPCITY = {
    "source": "e-Stat 廃置分合 code history, via UchidaMizuki/jpcity R/sysdata.rda",
    "license": "MIT",
    "credit": "総務省 e-Stat「市区町村の廃置分合」（UchidaMizuki/jpcity, MIT）",
    "vintage": "1970-2024",
}
WAREKI = {"H": 1988, "R": 2018}
JUKI_AGE = {
    "source": "住民基本台帳に基づく人口、人口動態及び世帯数 (総務省), via passaglia/japandata-sources",
    "license": "CC BY 4.0 (政府標準利用規約)",
    "credit": "総務省「住民基本台帳に基づく人口、人口動態及び世帯数」（passaglia/japandata-sources, CC BY 4.0）",
}
KONDO = {
    "source": "国勢調査 by 5-year age and sex, via keisukekondokk/female-population-japan",
    "license": "MIT (data: e-Stat, 政府標準利用規約)",
    "credit": "総務省「国勢調査」（近藤恵介 keisukekondokk/female-population-japan, MIT）",
}
KONDO_CONVERTER = {
    "source": "近藤 (2019) municipality converter, via keisukekondokk/female-population-japan",
    "license": "MIT",
    "credit": "近藤恵介 (2019)「市町村合併を考慮した市区町村パネルデータの作成」RIETI テクニカルペーパー 19-T-001",
}
FURUSATO = {
    "source": "ふるさと納税に関する現況調査 (総務省), via passaglia/japandata-sources",
    "license": "CC BY 4.0 (政府標準利用規約)",
    "credit": "総務省「ふるさと納税に関する現況調査結果」（passaglia/japandata-sources, CC BY 4.0）",
}
KOUFU = {
    "source": "普通交付税 決定額 / 基準財政需要額・収入額 (総務省), via passaglia/japandata-sources",
    "license": "CC BY 4.0 (政府標準利用規約)",
    "credit": "総務省「普通交付税の算定結果」（passaglia/japandata-sources, CC BY 4.0）",
}
READINGS = {
    "source": "全国地方公共団体コード (総務省), via passaglia/japandata-sources",
    "license": "CC BY 4.0 (政府標準利用規約)",
    "credit": "総務省「全国地方公共団体コード」（passaglia/japandata-sources, CC BY 4.0）",
}


def _two_digit_year(yy: str) -> int:
    """Return the calendar year of a two-digit file-name year (95 -> 1995, 04 -> 2004)."""
    return 1900 + int(yy) if int(yy) >= 90 else 2000 + int(yy)


def classify(path: str) -> dict | None:
    """Return the registry entry fields for a manifest path, or None to skip the file."""
    name = path.rsplit("/", 1)[-1]
    if "japan-topography" in path:
        fmt = "topojson" if "/topojson/" in path else "geojson"
        level_dir = "s0001" if "/s0001/" in path else "s0010"
        suffix = f"-{level_dir}" + ("-topo" if fmt == "topojson" else "")
        if m := re.fullmatch(r"N03-21_(\d\d)_210101\.json", name):
            pref = m.group(1)
            return {
                **MLIT,
                "name": f"n03-pref-{pref}{suffix}",
                "group": "boundaries",
                "format": fmt,
                "prefecture": pref,
                "description": f"Municipalities of prefecture {pref}, wards separate, 1 % simplified",
            }
        if name == "N03-21_210101_designated_city.json":
            return {
                **MLIT,
                "name": f"n03-national{suffix}",
                "group": "boundaries",
                "format": fmt,
                "description": "Municipalities of Japan, designated cities merged",
            }
        if name == "N03-21_210101.json":
            return {
                **MLIT,
                "name": f"n03-national-wards{suffix}",
                "group": "boundaries",
                "format": fmt,
                "description": "Municipalities of Japan, designated-city wards",
            }
        if name == "prefectures.json":
            return {
                **MLIT,
                "name": f"n03-prefectures{suffix}",
                "group": "boundaries",
                "format": fmt,
                "description": "Prefecture outlines",
            }
        return None
    if "/populationdata/snen/" in path:
        if m := re.fullmatch(r"(\d\d)04snen\.xls", name):
            year = _two_digit_year(m.group(1))
            kind, what = "japanese", "Japanese residents, 31 March"
        elif m := re.fullmatch(r"(\d\d)04ssnen\.xlsx?", name):
            year = _two_digit_year(m.group(1))
            kind, what = "total", "all residents (Japanese + foreign)"
        elif m := re.fullmatch(r"(\d\d)08n[sa]nen\.xlsx?", name):
            year = _two_digit_year(m.group(1))
            kind, what = "japanese", "Japanese residents"
        else:
            return None
        return {
            **JUKI_AGE,
            "name": f"juki-age-{kind}-{year}",
            "group": "population",
            "format": "juki-age-xls",
            "vintage": f"{year}-03-31" if year <= 2013 else f"{year}-01-01",
            "description": f"住民基本台帳 population by 5-year age band and sex, {what}, {year}",
        }
    if "/populationdata/sjin/" in path:
        if m := re.fullmatch(r"(\d\d)03(s?)sjin\.xlsx?", name):
            year = _two_digit_year(m.group(1))
            kind = "total" if m.group(2) else "japanese"
            return {
                **JUKI_AGE,
                "name": f"juki-dynamics-{kind}-{year}",
                "group": "population",
                "format": "juki-dynamics-xls",
                "vintage": f"{year}-03-31" if year <= 2013 else f"{year}-01-01",
                "description": (
                    f"住民基本台帳 population, households, births, deaths and moves ({kind}), {year}"
                ),
            }
        return None
    if "female-population-japan" in path:
        if m := re.fullmatch(r"population_census_(\d{4})\.csv", name):
            year = m.group(1)
            return {
                **KONDO,
                "name": f"census-age-sex-{year}",
                "group": "population",
                "format": "census-age-csv",
                "encoding": "utf-8-sig",
                "vintage": year,
                "description": f"{year} census population by sex and 5-year age (table 2-7-1)",
            }
        if m := re.fullmatch(
            r"population_census_panel_1980_2020_(female|male|total)_age20_39\.csv", name
        ):
            sex = m.group(1)
            return {
                **KONDO,
                "name": f"census-age20-39-panel-{sex}",
                "group": "population",
                "format": "csv",
                "vintage": "1980-2020 (2020 boundaries)",
                "description": f"Population aged 20-39 ({sex}) 1980 and 2020 on 2020 boundaries",
            }
        if name == "municipality_converter_jp.csv":
            return {
                **KONDO_CONVERTER,
                "name": "kondo-municipality-converter",
                "group": "codes",
                "format": "csv",
                "vintage": "1980-2020",
                "description": "近藤 (2019) converter: today's municipalities and their codes 1980-2020",
            }
        return None
    if "/furusatonouzeidata/" in path:
        if name == "total_gain.xlsx":
            return {
                **FURUSATO,
                "name": "furusato-receipts-rough",
                "group": "money",
                "format": "xlsx",
                "vintage": "FY2008-FY2020",
                "description": "ふるさと納税 receipts and counts FY2008-FY2020, keyed by name",
            }
        if m := re.fullmatch(r"([HR])(\d+)_(gain|loss)\.xlsx", name):
            fy = WAREKI[m.group(1)] + int(m.group(2))
            gain = m.group(3) == "gain"
            return {
                **FURUSATO,
                "name": f"furusato-{'receipts' if gain else 'deductions'}-fy{fy}",
                "group": "money",
                "format": "xlsx",
                "vintage": f"FY{fy}",
                "description": (
                    f"ふるさと納税 receipts, counts and collection costs FY{fy}"
                    if gain
                    else f"ふるさと納税 deductions (市町村民税控除額), file {m.group(0)}"
                ),
            }
        return None
    if "/readings/" in path and name == "R2_loss.xlsx":
        return {
            **READINGS,
            "name": "municipality-readings",
            "group": "codes",
            "format": "xlsx",
            "vintage": "2020",
            "description": "全国地方公共団体コード: codes, names and readings (half-width kana)",
        }
    if "/chihoukoufuzeidata/muni/" in path:
        if m := re.fullmatch(r"(\d{4})(-demand|-income)?\.xlsx?", name):
            fy, part = m.group(1), (m.group(2) or "").lstrip("-")
            what = {
                "": "普通交付税 決定額 (千円), keyed by name",
                "demand": "基準財政需要額 by item",
                "income": "基準財政収入額 by item",
            }[part]
            return {
                **KOUFU,
                "name": f"koufuzei-{part + '-' if part else ''}fy{fy}",
                "group": "money",
                "format": "xls",
                "vintage": f"FY{fy}",
                "description": f"{what}, FY{fy}",
            }
        return None
    if m := re.fullmatch(r"SSDSE-A-(\d{4})\.csv", name):
        year = m.group(1)
        return {
            **SSDSE,
            "name": f"ssdse-a-{year}",
            "group": "indicators",
            "format": "ssdse-csv",
            "encoding": "cp932",
            "vintage": f"edition {year}",
            "description": f"SSDSE-A {year}: ~125 indicators for 1,741 municipalities",
        }
    if m := re.fullmatch(r"市区町村別人口_(\d{4})(_2)?\.csv", name):
        year, second = m.group(1), m.group(2)
        utf8 = int(year) <= 2021 and not second
        return {
            **JUKI,
            "name": f"juki-{year}" + ("-2" if second else ""),
            "group": "indicators",
            "format": "juki-csv",
            "encoding": "utf-8-sig" if utf8 else "cp932",
            "vintage": f"{year}-01-01",
            "description": f"住民基本台帳 population and households on 1 January {year}",
        }
    if m := re.fullmatch(r"([HR])(\d+)\.xlsx?", name):
        fy = WAREKI[m.group(1)] + int(m.group(2))
        return {
            **FISCAL,
            "name": f"fiscal-fy{fy}",
            "group": "indicators",
            "format": "fiscal-xls",
            "vintage": f"FY{fy}",
            "description": f"主要財政指標 (財政力指数, 経常収支比率, …) FY{fy}",
        }
    if name == "indices.tar.gz":
        return {
            **FISCAL,
            "name": "fiscal-archive",
            "group": "indicators",
            "format": "tar.gz",
            "vintage": "FY2005-FY2021",
            "description": "All 主要財政指標 tables incl. FY2021 (R3), as one archive",
        }
    if name == "income_histgram.csv":
        return {
            **INCOME,
            "name": "income-2020",
            "group": "indicators",
            "format": "sugata-csv",
            "encoding": "cp932",
            "description": "課税対象所得 and 納税義務者数, FY2020",
        }
    if m := re.fullmatch(r"(\d{4})_(original|harmonized)\.csv", name):
        year, kind = m.groups()
        return {
            **CZ,
            "name": f"commuting-zones-{year}-{kind}",
            "group": "references",
            "format": "csv",
            "vintage": year,
            "description": f"Commuting zones {year} ({kind} codes)",
        }
    if name == "sysdata.rda":
        return {
            **JPCITY,
            "name": "code-history",
            "group": "codes",
            "format": "rda",
            "description": "Municipal code changes (廃置分合) 1970-2024",
        }
    return None


def main(manifest: str) -> None:
    """Print the registry built from ``manifest`` as JSON on stdout."""
    entries = []
    with open(manifest, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            entry = classify(unquote(row["url"]))
            if entry is None:
                continue
            path = row["path"].removeprefix("github/")
            entry.update(url=row["url"], sha256=row["sha256"], size=int(row["bytes"]), path=path)
            entries.append(entry)
    entries.sort(key=lambda e: e["name"])
    names = [e["name"] for e in entries]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        sys.exit(f"duplicate registry names: {sorted(dupes)}")
    json.dump(entries, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
