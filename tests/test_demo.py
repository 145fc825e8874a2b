"""The README's main job: ``regionlib demo`` writes a complete, offline first-look package."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from regionlib.cli import main


@pytest.mark.slow
def test_demo_writes_every_view(mirror_dir, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["-q", "demo", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    index = (out / "index.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="([^"]+)"', index))
    # every file but index.html and the hidden marker that lets a later run replace the folder
    written = {p.name for p in out.iterdir() if not p.name.startswith(".")} - {"index.html"}
    assert linked == written  # the index links every file, and nothing else
    assert {"map_national.html", "municipalities.csv", "map_aging_rate.png"} <= written
    assert {"map_peers.html", "peers.csv", "map_regions.html", "regions.csv"} <= written
    assert "国土数値情報（行政区域データ）（国土交通省）を加工して作成" in index
    assert "index.html" in printed
    for html in out.glob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "https://cdn" not in text and "unpkg.com" not in text, html.name
    # outputs account for every municipality
    table = pd.read_csv(out / "municipalities.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert len(table) == 1741
    regions = pd.read_csv(out / "regions.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert len(regions) == 1741 and regions["region"].notna().all()
    evaluation = (out / "regions_evaluation.txt").read_text(encoding="utf-8")
    assert "全リージョンが下限以上: はい" in evaluation
    assert "全リージョンが連続: はい" in evaluation
    peers = pd.read_csv(out / "peers.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert len(peers) == 10 and "01209" not in set(peers["code"])  # 夕張市 is not its own peer
