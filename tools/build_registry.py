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
