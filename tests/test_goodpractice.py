"""Good practice among start-year peers (好事例)."""

from __future__ import annotations

import pandas as pd
import pytest

from regionlib import goodpractice
from regionlib._errors import UnknownNameError
from regionlib.cli import main


@pytest.fixture(scope="module")
def yubari(mirror_dir):
    return goodpractice.good_practice("夕張市", "population_registered", since=2016)


def test_ranked_by_change_never_itself(yubari):
    table = yubari.table
    assert len(table) == 10 and "01209" not in table.index
    assert yubari.measure == "change_pct" and yubari.until == 2022
    assert table["change_pct"].is_monotonic_decreasing
    assert table["rank"].tolist() == list(range(1, 11))
    # the figures side by side: start and end values give the change
    pct = (table["value_end"] - table["value_start"]) / table["value_start"] * 100
    assert (pct - table["change_pct"]).abs().max() < 1e-9
    assert yubari.target_row["value_start"] == pytest.approx(9056)


def test_a_count_without_a_people_unit_string_ranks_by_percent(mirror_dir):
    # A110101 (men) is a count of people: ranked by % change, not by absolute change
    gp = goodpractice.good_practice("夕張市", "A110101", since=2015)
    assert gp.measure == "change_pct"
    assert gp.table["change_pct"].is_monotonic_decreasing
    rate = goodpractice.good_practice("夕張市", "aging_rate", since=2015)
    assert rate.measure == "change"


def test_peers_are_those_of_the_start_year(yubari):
    from regionlib import features, similarity, table

    columns = yubari.peer_columns
    assert "population_registered@2016" in columns and "aging_rate@2015" in columns
    start = table.load_table(columns, geometry=False)
    start = start.rename(columns={c: c.partition("@")[0] for c in columns})
    feats = features.prepare_features(start, [c.partition("@")[0] for c in columns])
    peers = similarity.find_peers(feats, "01209", k=10)
    assert set(peers.index) == set(yubari.table.index)
    assert dict(peers["distance"]) == pytest.approx(dict(yubari.table["distance_at_start"]))


def test_year_without_data_lists_the_years(mirror_dir):
    with pytest.raises(UnknownNameError, match=r"no data for 1990; years with data: 1995, .*2022"):
        goodpractice.good_practice("夕張市", "population_registered", since=1990)


def test_cli_writes_at_least_five_ranked_peers(yubari, tmp_path, capsys):
    out = tmp_path / "gp.csv"
    args = ["-q", "goodpractice", "夕張市", "--indicator", "population_registered"]
    assert main([*args, "--since", "2016", "-o", str(out)]) == 0
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"code": str})
    assert frame["code"].iloc[0] == "01209" and frame["rank"].iloc[0] == 0
    assert len(frame) >= 6 and frame["code"].iloc[1:].ne("01209").all()
    assert "北海道夕張市（01209）と2016年に似ていた" in capsys.readouterr().out
    assert main([*args, "--since", "1990"]) == 2
    assert "2016, 2017" in capsys.readouterr().err
