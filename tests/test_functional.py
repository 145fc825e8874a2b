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


def flows_on_zones(frame, zones, population, *, seed=0, cross=0.015, k_cross=4):
    """Realistic flows planted on real zones.

    Each municipality keeps at least half of its workers at home (strong self-containment);
    one in 20 to one in 4 of a suburb's workers commute to the zone's core (its most populous
    member), 1-5 % of the core's flow comes back, 1-5 % go to the zone's other members by size;
    weak ties (up to ``cross`` of the smaller side's workers in all) reach the ``k_cross``
    nearest municipalities of other zones.
    """
    from regionlib import settings

    rng = np.random.default_rng(seed)
    codes = zones.index.to_numpy()
    xy = frame.geometry.to_crs(settings.area_crs).centroid.reindex(codes)
    xy = np.column_stack([xy.x, xy.y]) / 1000
    workers = np.maximum(0.5 * population.reindex(codes).fillna(0).to_numpy(float), 20)
    z = zones.to_numpy()
    core = {zone: np.flatnonzero(z == zone)[np.argmax(workers[z == zone])] for zone in set(z)}
    flows: dict[tuple[int, int], float] = {}

    def add(i, j, v):
        flows[(i, j)] = flows.get((i, j), 0.0) + v
        return v

    for i in range(len(codes)):
        c, out = core[z[i]], 0.0
        if c != i:
            out += add(i, c, rng.uniform(0.05, 0.25) * workers[i])
            add(c, i, rng.uniform(0.01, 0.05) * workers[i])
        others = np.flatnonzero((z == z[i]) & (np.arange(len(z)) != i) & (np.arange(len(z)) != c))
        if len(others):
            weight = workers[others] * rng.uniform(0.5, 1.5, len(others))
            share = rng.uniform(0.01, 0.05) * workers[i] * weight / weight.sum()
            for j, v in zip(others, share, strict=True):
                out += add(i, j, min(v, 0.05 * workers[j]))
        d = np.hypot(*(xy - xy[i]).T)
        d[z == z[i]] = np.inf
        near = np.argsort(d)[:k_cross]
        tie = rng.uniform(0.1, 1) * cross * rng.dirichlet(np.ones(k_cross))
        for j, t in zip(near, tie, strict=True):
            out += add(i, j, t * min(workers[i], workers[j]))
        add(i, i, max(workers[i] - out, 0.5 * workers[i]))
    rows = [(codes[i], codes[j], round(v)) for (i, j), v in flows.items() if round(v) > 0]
    return pd.DataFrame(rows, columns=["origin", "destination", "flow"])


def test_planted_flows_on_the_2020_commuting_zones_are_recovered(mirror_dir, caplog):
    from regionlib import boundaries, references, table

    frame = boundaries.load_boundaries()
    population = table.load_table(["population_2020"], geometry=False)["population_2020"]
    truth = references.load_commuting_zones(2020)  # 1,740 municipalities in 258 zones
    flows = flows_on_zones(frame, truth, population)
    with caplog.at_level("WARNING", logger="regionlib"):
        zones = functional.commuting_zones(flows, codes=frame.index)
    assert "1 of 1741 municipalities are not in the flows" in caplog.text  # 双葉町
    assert len(zones) == 1740 and "07546" not in zones.index
    ari = adjusted_rand_score(truth.loc[zones.index], zones)
    assert ari >= 0.95, ari
    assert abs(zones.nunique() - 258) <= 10
    # the papers' average linkage splits the zones whose suburbs commute to the core only
    average = functional.commuting_zones(flows, linkage="average")
    assert adjusted_rand_score(truth.loc[average.index], average) < ari
    assert average.nunique() > 350
    # the zone of 札幌市 is named after it (the member where most of its people work)
    centres = functional.zone_centres(flows, zones)
    assert centres[zones["01100"]] == "01100"


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
    assert zones.index.equals(frame.index.drop("07546"))  # 双葉町: no residents in 2020
    assert 80 <= zones.nunique() <= 800
    # functional zones cross straits (明石海峡大橋 joins 淡路 to 神戸), and gravity flows ignore the
    # sea (富津 is 7 km from 横須賀 across the 浦賀水道, 壱岐 20 km from 福岡's coast): contiguity
    # up to 8 km of water, islands further out set aside
    g = Graph.build_fuzzy_contiguity(frame.to_crs("EPSG:6933").geometry, buffer=4000)
    mainland = zones.index.difference(g.isolates)
    contiguous = evaluate.check_contiguity(zones[mainland], g.subgraph(mainland))
    largest = frame["population"].nlargest(10).index
    for code in largest:
        zone = zones[code]
        assert contiguous[zone], f"the zone of {code} is not contiguous"
        assert (zones == zone).sum() > 1, f"{code} has no commuter belt"


def test_cli_functional_on_a_partial_table(mirror_dir, tmp_path, capsys, caplog):
    from regionlib.cli import main
    from regionlib.data import names

    codes = names.load_names().query("pref_code == '01' and level == 'municipality'").index[:24]
    flows, truth = planted_flows(4, 6)
    rename = dict(zip(truth.index, codes, strict=True))
    flows = flows.replace({"origin": rename, "destination": rename})
    path = tmp_path / "od.csv"
    flows.to_csv(path, index=False)
    out = tmp_path / "cz.csv"
    with caplog.at_level("WARNING", logger="regionlib"):
        assert main(["functional", "--flows", str(path), "-o", str(out)]) == 0
    warned = [r for r in caplog.records if "not in the flows" in r.getMessage()]
    assert len(warned) == 1 and "1717 of 1741 municipalities" in warned[0].getMessage()
    frame = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    assert list(frame.columns) == ["code", "name", "zone", "zone_name"]
    assert sorted(frame["code"]) == sorted(codes)  # only the municipalities of the table
    zones = frame.set_index("code").loc[codes, "zone"]
    assert adjusted_rand_score(truth.to_numpy(), zones.to_numpy()) == 1.0
    # each zone is named after one of its members
    for _, zone in frame.groupby("zone"):
        assert zone["zone_name"].nunique() == 1 and zone["zone_name"].iloc[0] in set(zone["name"])
    # urban employment areas, too, only where there are flows
    uea = tmp_path / "uea.csv"
    assert main(["-q", "functional", "--flows", str(path), "--uea", "-o", str(uea)]) == 0
    areas = pd.read_csv(uea, dtype={"code": str, "zone": str}, encoding="utf-8-sig")
    assert sorted(areas["code"]) == sorted(codes) and "zone_name" in areas
    bad = flows.copy()
    bad.loc[0, "origin"] = "99999"
    bad.to_csv(path, index=False)
    assert main(["-q", "functional", "--flows", str(path), "-o", str(out)]) == 2
    assert "not municipalities: 99999" in capsys.readouterr().err
