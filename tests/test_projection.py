"""Cohort change-ratio projection, its backtest and the 消滅可能性 classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionlib.analysis import projection
from regionlib.cli import main
from regionlib.data import population


def test_projection_by_hand(mirror_dir):
    """One band of 夕張市, projected one step, equals the ratio computed from the raw files."""
    result = projection.project("夕張市", to=2027, base="2017-2022", variants=["migration"])
    bands = result.bands.set_index(["year", "sex", "band"])["population"]
    old = population.read_age("juki-age-japanese-2017").values.loc["01209"]
    new = population.read_age("juki-age-japanese-2022").values.loc["01209"]
    ratio = new["female_30_34"] / old["female_25_29"]
    assert np.isclose(bands[(2027, "female", "30_34")], new["female_25_29"] * ratio)
    top = new["male_80_plus"] / (old["male_75_79"] + old["male_80_plus"])
    expected = (new["male_75_79"] + new["male_80_plus"]) * top
    assert np.isclose(bands[(2027, "male", "80_plus")], expected)
    women = sum(new[f"female_{b}"] for b in ("15_19", "20_24", "25_29", "30_34", "35_39",
                                             "40_44", "45_49"))  # fmt: skip
    cwr = (new["male_0_4"] + new["female_0_4"]) / women
    proj_women = sum(bands[(2027, "female", b)] for b in population.BANDS[3:10])
    children = bands[(2027, "male", "0_4")] + bands[(2027, "female", "0_4")]
    assert np.isclose(children, cwr * proj_women)
    assert any("公式推計ではない" in n for n in result.notes)


def test_every_municipality_and_band_to_2050(mirror_dir):
    result = projection.project(to=2050)
    b = result.bands
    assert b["code"].nunique() == 1741
    assert set(b["year"]) == {2022, 2027, 2032, 2037, 2042, 2047, 2050}
    counts = b.groupby(["year", "variant"], observed=True).size()
    assert counts.eq(1741 * 2 * len(population.BANDS)).all()
    assert b["population"].notna().all() and (b["population"] >= 0).all()
    assert (b[b.year == 2050]["kind"] == "interpolated").all()
    t = result.totals.set_index(["code", "year", "variant"])
    assert "避難" in t.loc[("07546", 2050, "migration"), "flag"]
    base = t.xs((2022, "migration"), level=("year", "variant"))["population"].sum()
    assert base == population.age_panel("japanese", years="2022")["population"].sum()


def test_cli_project_writes_bands_totals_and_notes(mirror_dir, tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["project", "夕張市", "--to", "2050", "-o", str(out)]) == 0
    bands = pd.read_csv(out, dtype={"code": str})
    assert set(bands["year"]) >= {2022, 2050} and len(bands["band"].unique()) == 17
    assert (tmp_path / "p-totals.csv").exists()
    assert "コーホート変化率" in (tmp_path / "p-notes.txt").read_text(encoding="utf-8")
    assert "夕張市 2050" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "2018-2022"], "multiple of 5|5年の倍数"),
        (["--base", "1990-1995"], "outside the register"),
        (["--to", "2020"], "after the base end"),
        (["存在しない町"], "unknown|ない"),
    ],
)
def test_cli_project_bad_input(mirror_dir, tmp_path, capsys, args, message):
    out = tmp_path / "p.csv"
    assert main(["project", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert pd.Series(err).str.contains(message).any()
    assert not out.exists()


def test_backtest_beats_naive_forecasts_at_ten_years(mirror_dir):
    table = projection.backtest()
    ten = table[(table.horizon == 10) & (table.size_class == "all")]
    med = ten.set_index(["measure", "method"])["median_ape"]
    for measure in ("population", "women_20_39"):
        assert med[(measure, "cohort")] < med[(measure, "no_change")]
        assert med[(measure, "cohort")] < med[(measure, "linear")]
    assert set(table.size_class) >= {"all", "5千人未満", "10万人以上"}


def test_classes_and_a_user_projection(mirror_dir, tmp_path, capsys):
    result = projection.project(to=2050, base="2015-2020")
    classes = projection.sustainability(result.totals)
    assert len(classes) == 1741
    c = classes.loc["01209"]
    expected = "消滅可能性自治体" if c.women_20_39_change_migration <= -50 else None
    assert expected is None or c["class"] == expected
    # the same bands loaded as a user's projection give the same classes
    user = tmp_path / "official.csv"
    cols = ["code", "year", "variant", "sex", "band", "population"]
    result.bands[cols].to_csv(user, index=False)
    out = tmp_path / "classes.csv"
    assert main(["project", "--projection", str(user), "-o", str(out)]) == 0
    loaded = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert (loaded["class"] == classes["class"]).all()
    assert "744" in capsys.readouterr().out
    # a band missing, an unknown code: one line, exit 2
    broken = result.bands[cols]
    broken[broken.band != "80_plus"].to_csv(user, index=False)
    assert main(["project", "--projection", str(user)]) == 2
    assert "bands" in capsys.readouterr().err
    bad = result.bands[cols].head(34).assign(code="99999")
    bad.to_csv(user, index=False)
    assert main(["project", "--projection", str(user)]) == 2
    assert "99999" in capsys.readouterr().err


def test_classes_map_checked_before_work(tmp_path, capsys):
    out = tmp_path / "m.gif"
    assert main(["project", "--classes", "--map", str(out)]) == 2
    assert "m.gif" in capsys.readouterr().err and not out.exists()


def test_projection_cached_by_inputs_and_parameters(mirror_dir, isolated_cache, monkeypatch, spy):
    """A second projection is read from the cache and equals a fresh one; any input changes it."""
    from regionlib.data import names

    real = projection._project
    built = spy(projection, "_project")
    first = projection.project("夕張市", to=2032, variants=["migration"])
    again = projection.project("夕張市", to=2032, variants=["migration"])
    assert len(built) == 1 and again.key == first.key
    fresh = real(
        pd.Index(["01209"]), True, 2032, (2017, 2022), "japanese", ["migration"]
    )  # not through the cache
    for result in (first, again):
        pd.testing.assert_frame_equal(result.bands, fresh.bands)
        pd.testing.assert_frame_equal(result.totals, fresh.totals)
        for column in result.bands.select_dtypes("category"):
            assert list(result.bands[column].cat.categories) == list(
                fresh.bands[column].cat.categories
            )
        assert (result.notes, result.credits, result.base) == (
            fresh.notes,
            fresh.credits,
            fresh.base,
        )
    other = projection.project("夕張市", to=2037, variants=["migration"])
    assert len(built) == 2 and other.key != first.key
    assert projection.project("夕張市", to=2032).key != first.key  # both variants
    monkeypatch.setattr(names, "input_hashes", lambda: ["another names file"])
    changed = projection.project("夕張市", to=2032, variants=["migration"])
    assert changed.key != first.key and len(built) == 4


def test_cli_project_csv_bytes_cached(mirror_dir, tmp_path, monkeypatch):
    """The CSV bytes kept in the cache are the bytes the writer gives, and used the second time."""
    from regionlib.outputs import export

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["project", "夕張市", "--to", "2027", "--variant", "closed"]
    assert main(["-q", *args, "-o", str(first)]) == 0

    def no_format(*args, **kwargs):
        raise AssertionError("formatted again although the projection did not change")

    monkeypatch.setattr(export, "write_csv", no_format)
    assert main(["-q", *args, "-o", str(second)]) == 0
    assert second.read_bytes() == first.read_bytes()
    assert (tmp_path / "b-totals.csv").read_bytes() == (tmp_path / "a-totals.csv").read_bytes()
    monkeypatch.undo()
    result = projection.project("夕張市", to=2027, variants=["closed"])
    direct = tmp_path / "direct.csv"
    export.write_csv(result.bands, direct, index=False)
    assert direct.read_bytes() == first.read_bytes()
