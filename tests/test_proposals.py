"""Region proposals: every municipality accounted for, evidence and planners' files written."""

from __future__ import annotations

import pandas as pd

from regionlib import maps, proposals


def test_proposal_on_grid_accounts_for_everyone(grid, tmp_path, mirror_dir):
    proposal = proposals.propose_regions(
        grid, ["x"], method="maxp", floor=("population", 8000), population="population"
    )
    frame = proposal.to_frame()
    assert frame["code"].tolist() == grid.index.tolist()
    assert frame["region"].notna().all()
    totals = grid["population"].groupby(proposal.labels).sum()
    assert (totals >= 8000).all()
    assert bool(proposal.evaluation["floor_ok"])
    assert bool(proposal.evaluation["contiguous"])
    assert "max-p法" in proposal.title
    written = proposal.save(tmp_path / "grid.csv")
    written.append(maps.save_html(maps.proposal_map(proposal), tmp_path / "grid.html"))
    assert [p.name for p in written] == [
        "grid.csv",
        "grid_regions.csv",
        "grid_evaluation.txt",
        "grid.html",
    ]
    regions = pd.read_csv(written[1], encoding="utf-8-sig")
    assert regions["市区町村数"].sum() == len(grid)
    assert "町" in written[3].read_text(encoding="utf-8")  # region names drawn on the map


def test_dropped_island_keeps_its_row(grid, mirror_dir, tmp_path):
    proposal = proposals.propose_regions(
        grid, ["x"], method="skater", n_regions=3, islands="drop", population="population"
    )
    frame = proposal.to_frame().set_index("code")
    assert len(frame) == len(grid)
    assert pd.isna(frame.at["01017", "region"])
    assert frame.at["01017", "note"]
    assert frame["region"].dropna().nunique() == 3
    lines = proposal.save(tmp_path / "p.csv")[0].read_text(encoding="utf-8-sig").splitlines()
    region = lines[0].split(",").index("region")
    assert lines[1].split(",")[region] in {"1", "2", "3"}  # the CSV format of `table`: not 1.0
    assert lines[-1].split(",")[region] == ""  # the dropped island


def test_a_second_run_reads_labels_and_evaluation_and_equals_the_first(
    grid, mirror_dir, isolated_cache, monkeypatch
):
    import math

    from regionlib import evaluate, graph, references
    from regionlib.analysis.regions import _api

    def propose(data):
        return proposals.propose_regions(
            data, ["x"], method="maxp", floor=("population", 8000), population="population"
        )

    first = propose(grid)
    g = graph.contiguity_edges(grid)
    direct = evaluate.evaluate(
        grid,
        first.labels,
        columns=["x"],
        floor=("population", 8000),
        graph=g,
        population="population",
        references=references.reference_groupings(grid),
        missing="median",
    )
    assert list(first.evaluation.index) == list(direct.index)
    for key, value in direct.items():  # the cached evaluation is the evaluation
        same = value == first.evaluation[key] or (
            isinstance(value, float) and math.isnan(value) and math.isnan(first.evaluation[key])
        )
        assert same, key

    def refuse(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(_api, "_solve", refuse)
    monkeypatch.setattr(evaluate, "evaluate", refuse)
    again = propose(grid)  # read from the cache: neither solved nor evaluated
    assert again.labels.equals(first.labels)
    assert again.evaluation.equals(first.evaluation)
    moved = grid.assign(population=grid["population"] * 2)  # another input: computed again
    try:
        propose(moved)
    except AssertionError as exc:
        assert "computed again" in str(exc)
    else:
        raise AssertionError("a changed table was served from the cache")


def test_options_refused_before_any_work(grid, spy):
    import pytest

    from regionlib import graph
    from regionlib._errors import RegionlibError

    built = spy(graph, "contiguity_edges")
    with pytest.raises(RegionlibError, match="needs n_regions"):
        proposals.propose_regions(grid, ["x"], method="ward", population="population")
    with pytest.raises(RegionlibError, match="takes no floor"):
        proposals.propose_regions(
            grid,
            ["x"],
            method="ward",
            n_regions=3,
            floor=("population", 10),
            population="population",
        )
    assert built == []  # refused before the graph was built
