"""Feature preparation: selection, transforms, missing-value policy, robust scaling, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionlib import features
from regionlib._errors import DataFormatError, RegionlibError, UnknownNameError


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    return pd.DataFrame(
        {
            "name": [f"町{i}" for i in range(n)],
            "prefecture": ["北海道" if i < 30 else "青森県" for i in range(n)],
            "pref_code": ["01" if i < 30 else "02" for i in range(n)],
            "population_2020": np.exp(rng.normal(9, 1.5, n)).round(),
            "aging_rate": rng.normal(35, 6, n),
            "child_share": rng.normal(11, 2, n),
        },
        index=pd.Index([f"{1 if i < 30 else 2:02d}{i:03d}" for i in range(n)], name="code"),
    )


def test_default_selects_numeric_columns_and_logs_counts(table):
    f = features.prepare_features(table)
    assert f.indicators == ["population_2020", "aging_rate", "child_share"]
    # population is a count: logged; the skew test also catches it without a catalogue entry
    assert f.transforms["population_2020"] == "log"
    assert f.transforms["aging_rate"] == "none"
    assert f.matrix.index.name == "code"
    assert f.matrix.shape == (60, 3)


def test_robust_standardisation_centres_on_median(table):
    f = features.prepare_features(table, ["aging_rate", "child_share"])
    med = f.matrix.median()
    assert np.allclose(med.to_numpy(), 0, atol=1e-9)
    # unit_variance=True: IQR of the scaled column is about 1.349 (that of a standard normal)
    iqr = f.matrix.quantile(0.75) - f.matrix.quantile(0.25)
    assert np.allclose(iqr.to_numpy(), 1.349, atol=0.01)


def test_input_is_not_mutated(table):
    before = table.copy()
    table.loc["01000", "aging_rate"] = np.nan
    before.loc["01000", "aging_rate"] = np.nan
    features.prepare_features(table, missing="impute")
    pd.testing.assert_frame_equal(table, before)


def test_missing_drop_is_reported(table):
    t = table.copy()
    t.loc["01003", "aging_rate"] = np.nan
    t.loc["02040", "child_share"] = np.inf  # a rate divided by zero counts as missing
    f = features.prepare_features(t)
    assert "01003" not in f.matrix.index and "02040" not in f.matrix.index
    assert f.report.dropped == {"01003": ["aging_rate"], "02040": ["child_share"]}
    assert f.report.n_used == 58
    assert "01003 (aging_rate)" in str(f.report)
    # raw keeps every input row for ranks and medians
    assert len(f.raw) == 60 and np.isnan(f.raw.at["02040", "child_share"])


def test_missing_impute_uses_median_and_reports(table):
    t = table.copy()
    t.loc["01003", "aging_rate"] = np.nan
    f = features.prepare_features(t, missing="impute")
    assert "01003" in f.matrix.index
    assert f.report.imputed == {"aging_rate": ["01003"]}
    assert f.matrix.at["01003", "aging_rate"] == pytest.approx(0.0)


def test_missing_raise_names_the_code(table):
    t = table.copy()
    t.loc["01003", "aging_rate"] = np.nan
    with pytest.raises(DataFormatError, match="01003"):
        features.prepare_features(t, missing="raise")
    with pytest.raises(RegionlibError, match="drop, impute, raise"):
        features.prepare_features(t, missing="zero")


def test_weights_multiply_columns(table):
    f1 = features.prepare_features(table, ["aging_rate", "child_share"])
    f2 = features.prepare_features(table, ["aging_rate", "child_share"], weights={"aging_rate": 2})
    assert np.allclose(f2.matrix["aging_rate"], 2 * f1.matrix["aging_rate"])
    assert np.allclose(f2.zscores["aging_rate"], f1.matrix["aging_rate"])
    with pytest.raises(UnknownNameError, match="aging_rate"):
        features.prepare_features(table, ["aging_rate"], weights={"aging_rat": 2})
    with pytest.raises(RegionlibError, match="positive"):
        features.prepare_features(table, ["aging_rate"], weights={"aging_rate": -1})


def test_unknown_indicator_suggests(table):
    with pytest.raises(UnknownNameError, match="did you mean: aging_rate"):
        features.prepare_features(table, ["aging_rat"])


def test_all_missing_indicator_is_refused(table):
    t = table.assign(empty=np.nan)
    with pytest.raises(DataFormatError, match="'empty' has no value"):
        features.prepare_features(t, ["aging_rate", "empty"])


def test_zero_variance_indicator_is_refused(table):
    t = table.assign(const=5.0)
    with pytest.raises(DataFormatError, match="'const' has zero variance"):
        features.prepare_features(t, ["const"])


def test_zero_iqr_falls_back_to_std(table):
    t = table.assign(mostly_zero=0.0)
    t.loc[t.index[:5], "mostly_zero"] = 3.0
    f = features.prepare_features(
        t, ["aging_rate", "mostly_zero"], transforms={"mostly_zero": "none"}
    )
    assert f.report.scale["mostly_zero"] == pytest.approx(t["mostly_zero"].std(ddof=0))
    assert any("mostly_zero" in n for n in f.report.notes)


def test_explicit_transforms(table):
    f = features.prepare_features(table, transforms={"population_2020": "none"})
    assert f.transforms["population_2020"] == "none"
    t = table.assign(change=np.linspace(-5, 5, 60))
    with pytest.raises(DataFormatError, match="negative"):
        features.prepare_features(t, ["change"], transforms="log")


def test_extreme_values_are_clipped_and_reported(table):
    t = table.copy()
    t.loc["01007", "aging_rate"] = 400.0  # e.g. a town repopulated after an evacuation order
    f = features.prepare_features(t, ["aging_rate", "child_share"])
    assert f.matrix.at["01007", "aging_rate"] == pytest.approx(5.0)
    assert f.report.clipped == {"aging_rate": ["01007"]}
    assert "clipped for 1 (01007)" in str(f.report)
    g = features.prepare_features(t, ["aging_rate", "child_share"], clip=None)
    assert g.matrix.at["01007", "aging_rate"] > 5
    assert not g.report.clipped
