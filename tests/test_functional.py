"""Functional regions from commuting flows: planted structure, gravity flows, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from sklearn.metrics import adjusted_rand_score

from regionlib import evaluate
from regionlib._errors import DataFormatError, RegionlibError
from regionlib.analysis.regions import functional


def planted_flows(n_groups: int = 6, size: int = 12, seed: int = 0):
    """Flows with strong commuting inside planted groups and weak commuting between them."""
    rng = np.random.default_rng(seed)
    codes = [f"{1000 + i:05d}" for i in range(n_groups * size)]
    group = np.repeat(np.arange(n_groups), size)
    rows = []
    for a, ca in enumerate(codes):
        for b, cb in enumerate(codes):
            if a == b:
                flow = rng.integers(2000, 6000)
            elif group[a] == group[b]:
                flow = rng.integers(20, 400)
            else:
                flow = rng.integers(0, 4)
            rows.append((ca, cb, int(flow)))
    flows = pd.DataFrame(rows, columns=["origin", "destination", "flow"])
    return flows, pd.Series(group, index=codes)


def test_planted_structure_recovered():
    flows, truth = planted_flows()
    zones = functional.commuting_zones(flows)
    assert adjusted_rand_score(truth.loc[zones.index], zones) >= 0.9
    assert zones.nunique() == truth.nunique()
    # same flows, shuffled rows: same zones
    again = functional.commuting_zones(flows.sample(frac=1, random_state=1))
    assert again.equals(zones)


def test_urban_employment_areas_rules():
    # core A (60,000) with suburb B (15 % of B's workers go to A) and secondary C (via B)
    flows = pd.DataFrame(
        [
            ("01001", "01001", 900),
            ("01002", "01002", 850),
            ("01002", "01001", 150),
            ("01003", "01003", 880),
            ("01003", "01002", 120),
            ("01004", "01004", 990),
            ("01004", "01001", 10),
        ],
        columns=["origin", "destination", "flow"],
    )
    pop = pd.Series({"01001": 60_000, "01002": 9_000, "01003": 8_000, "01004": 7_000})
    zones = functional.urban_employment_areas(flows, pop)
    assert zones.to_dict() == {"01001": "01001", "01002": "01001", "01003": "01001", "01004": None}


def test_bad_flows_one_line(tmp_path):
    flows, _ = planted_flows(2, 3)
    with pytest.raises(RegionlibError, match=r"2 code.*not municipalities: 99001, 99002"):
        functional.commuting_zones(
            pd.concat(
                [
                    flows,
                    pd.DataFrame(
                        {"origin": ["99001", "99002"], "destination": ["01000"] * 2, "flow": [1, 1]}
                    ),
                ]
            ),
            codes=flows["origin"].unique(),
        )
    negative = flows.assign(flow=flows["flow"].where(flows.index != 3, -5))
    with pytest.raises(DataFormatError, match="negative flow"):
        functional.commuting_zones(negative)
    selfonly = flows[flows["origin"] == flows["destination"]]
    with pytest.raises(RegionlibError, match="only self-flows"):
        functional.commuting_zones(selfonly)
    path = tmp_path / "od.csv"
    path.write_text("origin,destination,flow\n01001,01002,x\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match="row 2: flow 'x' は数値ではありません / is not a number"
    ):
        functional.read_flows(path)
    path.write_text("origin,destination,flow\n011002,011003,5\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="wrong check digit in municipal code '011003'"):
        functional.read_flows(path)
    path.write_text("origin,destination,flow\n011002,1100,5\n", encoding="utf-8")
    assert functional.read_flows(path)[["origin", "destination"]].iloc[0].tolist() == [
        "01100",
        "01100",
    ]


def test_gravity_flows_give_contiguous_zones_around_large_cities(mirror_dir):
    from regionlib import boundaries, table

    frame = boundaries.load_boundaries()
    frame["population"] = table.load_table(["population_2020"])["population_2020"].fillna(0)
    flows = functional.gravity_flows(frame)
    zones = functional.commuting_zones(flows, codes=frame.index)
    assert zones.index.equals(frame.index)
    assert 100 <= zones.nunique() <= 800
    # functional zones cross straits (明石海峡大橋 joins 淡路 to 神戸): contiguity up to 5 km of water
    g = Graph.build_fuzzy_contiguity(frame.to_crs("EPSG:6933").geometry, buffer=2500)
    contiguous = evaluate.check_contiguity(zones, g)
    largest = frame["population"].nlargest(10).index
    for code in largest:
        zone = zones[code]
        assert contiguous[zone], f"the zone of {code} is not contiguous"
        assert (zones == zone).sum() > 1, f"{code} has no commuter belt"


def test_cli_functional(mirror_dir, tmp_path, capsys):
    from regionlib import boundaries
    from regionlib.cli import main

    codes = boundaries.load_boundaries().index[:24]
    flows, truth = planted_flows(4, 6)
    rename = dict(zip(truth.index, codes, strict=True))
    flows = flows.replace({"origin": rename, "destination": rename})
    path = tmp_path / "od.csv"
    flows.to_csv(path, index=False)
    out = tmp_path / "cz.csv"
    assert main(["-q", "functional", "--flows", str(path), "-o", str(out)]) == 0
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    assert list(frame.columns) == ["code", "name", "zone"]
    assert len(frame) == 1741  # every municipality; those without flows are zones of their own
    zones = frame.set_index("code").loc[codes, "zone"]
    assert adjusted_rand_score(truth.to_numpy(), zones.to_numpy()) == 1.0
    bad = flows.copy()
    bad.loc[0, "origin"] = "99999"
    bad.to_csv(path, index=False)
    assert main(["-q", "functional", "--flows", str(path), "-o", str(out)]) == 2
    assert "not municipalities: 99999" in capsys.readouterr().err
