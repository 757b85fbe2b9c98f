"""DriftReport and ColumnDrift: decisions, thresholds, tables, JSON and HTML."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd


@pytest.fixture
def report(reference_df, current_df) -> kd.DriftReport:
    return kd.compare(reference_df, current_df)


@pytest.fixture
def shifted() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current frames where only `x` moved, by a known amount."""
    rng = np.random.default_rng(17)
    ref = pd.DataFrame({"x": rng.normal(size=4000), "y": rng.normal(size=4000)})
    cur = pd.DataFrame({"x": rng.normal(0.4, 1, 3000), "y": rng.normal(size=3000)})
    return ref, cur


REQUIRED_FRAME_COLUMNS = {"statistic", "threshold", "status", "drifted", "pvalue", "n_reference", "n_current"}


def test_to_frame_has_one_row_per_column_indexed_by_name(report, reference_df):
    frame = report.to_frame()
    assert list(frame.index) == list(reference_df.columns)
    assert frame.index.name == "column"
    assert REQUIRED_FRAME_COLUMNS <= set(frame.columns)
    for col in report:
        row = frame.loc[col.column]
        for name in REQUIRED_FRAME_COLUMNS:
            assert row[name] == getattr(col, name), (col.column, name)
    assert frame["statistic"].dtype == np.float64


def test_to_frame_shows_unscored_columns_as_nan(reference_df, current_df):
    report = kd.compare(reference_df, current_df.drop(columns="age"))
    frame = report.to_frame()
    assert math.isnan(frame.loc["age", "statistic"])
    assert frame.loc["age", "status"] == "missing_column"
    assert bool(frame.loc["age", "drifted"])


def test_to_dict_and_to_json_are_strict_and_agree(report, strict_loads):
    data = strict_loads(report.to_json())
    assert data == report.to_dict()
    assert data["drifted"] is report.drifted
    assert data["drifted_columns"] == report.drifted_columns
    assert data["unit"] == "nats"
    assert [c["column"] for c in data["columns"]] == [c.column for c in report]
    first = data["columns"][0]
    assert first["statistic"] == report.columns[0].statistic
    assert first["bin_labels"] == list(report.columns[0].bin_labels)
    assert strict_loads(report.to_json(indent=None)) == data


def test_json_unit_in_bits(reference_df, current_df, strict_loads):
    assert strict_loads(kd.compare(reference_df, current_df, base=2).to_json())["unit"] == "bits"


def test_to_json_of_missing_and_skipped_columns(reference_df, current_df, strict_loads):
    report = kd.compare(reference_df, current_df.drop(columns="age").assign(extra=1))
    data = {c["column"]: c for c in strict_loads(report.to_json())["columns"]}
    assert data["age"]["statistic"] is None and data["age"]["status"] == "missing_column"
    assert data["extra"]["status"] == "skipped"


def test_indexing_by_column_name(report):
    assert report["age"].column == "age"
    assert "age" in report and "nope" not in report
    assert len(report) == len(report.columns)
    assert [c.column for c in report] == [c.column for c in report.columns]


def test_unknown_column_raises_key_error_naming_it(report):
    with pytest.raises(KeyError, match="'nope'"):
        report["nope"]


def test_report_and_column_results_are_frozen(report):
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.drifted = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        report["age"].statistic = 0.0


def test_repr_is_readable(report):
    text = repr(report)
    assert text.startswith("DriftReport(drifted=True")
    for col in report:
        assert col.column in text
        assert col.status in text
    assert len(text.splitlines()) == len(report) + 1
    col = repr(report["age"])
    assert col.startswith("ColumnDrift(column='age', status='drift'")
    assert f"n_reference={report['age'].n_reference}" in col


def test_repr_html_escapes_column_names_and_reasons():
    name = "<script>alert(1)</script>"
    ref = pd.DataFrame({name: ["a", "b"] * 20, "other": ["x", "y"] * 20})
    cur = pd.DataFrame({name: ["a", "a", "b"] * 10, "<b>new</b>": [1] * 30})
    html_text = kd.compare(ref, cur)._repr_html_()
    assert "<script>" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "<b>new</b>" not in html_text and "&lt;b&gt;new&lt;/b&gt;" in html_text
    assert html_text.count("<tr>") == 1 + 3  # header + one row per column
    assert "<table" in html_text


# --- statuses and thresholds -----------------------------------------------------------------


def test_ok_warn_drift_statuses_follow_the_thresholds(shifted):
    ref, cur = shifted
    s = kd.compare(ref, cur)["x"].statistic
    assert s > 0
    assert kd.compare(ref, cur, threshold=s / 2)["x"].status == "drift"
    assert kd.compare(ref, cur, threshold=s)["x"].status == "drift"  # the threshold is inclusive
    warn = kd.compare(ref, cur, threshold=2 * s, warn_threshold=s / 2)["x"]
    assert warn.status == "warn" and not warn.drifted
    ok = kd.compare(ref, cur, threshold=2 * s, warn_threshold=1.5 * s)["x"]
    assert ok.status == "ok" and not ok.drifted
    assert (ok.threshold, ok.warn_threshold) == (2 * s, 1.5 * s)


def test_default_warn_threshold_is_half_the_given_threshold(shifted):
    ref, cur = shifted
    col = kd.compare(ref, cur, threshold=0.3)["x"]
    assert col.warn_threshold == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("direction", "drift", "warn"),
    [
        ("current||reference", 0.1, 0.05),
        ("reference||current", 0.1, 0.05),
        ("symmetric", 0.25, 0.1),
        ("js", 0.025, 0.0125),
    ],
)
def test_fixed_default_thresholds_by_direction(shifted, direction, drift, warn):
    ref, cur = shifted
    col = kd.compare(ref, cur, direction=direction, threshold=None)["y"]
    assert (col.threshold, col.warn_threshold) == (pytest.approx(drift), pytest.approx(warn))
    assert kd.DEFAULT_THRESHOLDS[direction] == (drift, warn)


def test_per_column_thresholds(shifted):
    ref, cur = shifted
    s = kd.compare(ref, cur)["x"].statistic
    report = kd.compare(ref, cur, threshold=None, thresholds={"x": 2 * s})
    assert report["x"].status in ("ok", "warn")
    assert report["x"].threshold == 2 * s
    assert report["y"].threshold == pytest.approx(0.1)
    assert not report.drifted
    tight = kd.compare(ref, cur, threshold=None, thresholds={"y": 0.0})
    assert tight["y"].status == "drift"


def test_per_column_threshold_below_the_warn_level_lowers_the_warn_level(shifted):
    ref, cur = shifted
    col = kd.compare(ref, cur, thresholds={"y": 0.01})["y"]
    assert col.warn_threshold <= col.threshold == 0.01


def test_per_column_warn_thresholds(shifted):
    ref, cur = shifted
    s = kd.compare(ref, cur)["x"].statistic
    col = kd.compare(ref, cur, threshold=2 * s, warn_thresholds={"x": 1.9 * s})["x"]
    assert col.status == "ok" and col.warn_threshold == 1.9 * s


def test_thresholds_in_bits_are_converted(shifted):
    ref, cur = shifted
    nats = kd.compare(ref, cur, threshold=None)
    bits = kd.compare(ref, cur, base=2, threshold=None)
    for a, b in zip(nats, bits):
        assert b.threshold == pytest.approx(0.1 / math.log(2), rel=1e-12)
        assert b.warn_threshold == pytest.approx(0.05 / math.log(2), rel=1e-12)
        assert b.statistic == pytest.approx(a.statistic / math.log(2), rel=1e-12)
        assert b.expected_statistic == pytest.approx(a.expected_statistic / math.log(2), rel=1e-12)
        assert b.pvalue == a.pvalue
        assert b.status == a.status


def test_explicit_threshold_is_in_the_unit_of_base(shifted):
    ref, cur = shifted
    s_bits = kd.compare(ref, cur, base=2)["x"].statistic
    assert kd.compare(ref, cur, base=2, threshold=s_bits * 1.01)["x"].status != "drift"
    assert kd.compare(ref, cur, base=2, threshold=s_bits * 0.99)["x"].status == "drift"


# --- dataset decision ------------------------------------------------------------------------


@pytest.fixture
def four_columns() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four compared columns of which exactly one drifted."""
    rng = np.random.default_rng(23)
    ref = pd.DataFrame({c: rng.normal(size=3000) for c in "abcd"})
    cur = pd.DataFrame({c: rng.normal(size=3000) for c in "abcd"})
    cur["a"] += 1.0
    return ref, cur


def test_any_column_rule_by_default(four_columns):
    ref, cur = four_columns
    report = kd.compare(ref, cur)
    assert report.drifted_columns == ["a"]
    assert report.drifted and report.drift_share is None


@pytest.mark.parametrize(("share", "drifted"), [(0.2, True), (0.25, True), (0.26, False), (1.0, False)])
def test_drift_share_rule(four_columns, share, drifted):
    ref, cur = four_columns
    report = kd.compare(ref, cur, drift_share=share)
    assert report.drifted is drifted
    assert report.drift_share == share
    assert report.to_dict()["drift_share"] == share


def test_drift_share_counts_missing_columns_and_ignores_skipped_ones(four_columns):
    ref, cur = four_columns
    cur = cur.drop(columns="b").assign(extra1=1.0, extra2=2.0, extra3=3.0)
    report = kd.compare(ref, cur, drift_share=0.5)
    assert set(report.drifted_columns) == {"a", "b"}
    # 2 of 4 compared columns drifted; the three skipped extras do not dilute the share.
    assert report.drifted


def test_no_drift_on_the_same_distribution(reference_df, stable_df):
    report = kd.compare(reference_df, stable_df)
    assert not report.drifted
    assert {c.status for c in report} <= {"ok", "warn"}
    assert all(c.statistic < 0.05 for c in report)


def test_identical_data_scores_zero_with_pvalue_one(reference_df):
    report = kd.compare(reference_df, reference_df)
    for col in report:
        assert col.statistic == 0.0
        assert col.pvalue == pytest.approx(1.0)
        assert col.status == "ok"


def test_column_drift_carries_the_documented_fields(report):
    col = report["plan"]
    assert col.kind == "categorical"
    assert col.direction == "current||reference" and col.base == math.e and col.smoothing == 0.5
    assert sum(col.reference_proportions) == pytest.approx(1.0)
    assert sum(col.current_proportions) == pytest.approx(1.0)
    assert col.reference_proportions == tuple(c / col.n_reference for c in col.reference_counts)
    assert col.missing_current == col.current_proportions[-1]
    assert 0 <= col.novel_fraction <= 1 and 0 <= col.vanished_fraction <= 1
    assert col.dof == sum(1 for r, c in zip(col.reference_counts, col.current_counts) if r + c) - 1


def test_novel_and_vanished_fractions():
    ref = pd.Series(["a"] * 60 + ["b"] * 30 + ["gone"] * 10, name="c")
    cur = pd.Series(["a"] * 50 + ["b"] * 30 + ["new"] * 20, name="c")
    col = kd.score(ref, cur)
    assert col.novel_fraction == pytest.approx(0.2)
    assert col.vanished_fraction == pytest.approx(0.1)


def test_the_default_decision_is_auto(shifted):
    ref, cur = shifted
    report = kd.compare(ref, cur)
    assert report.threshold_mode == "auto"
    assert report.columns == kd.compare(ref, cur, threshold="auto").columns
    # min_effect is the drift level; the p-value decides with it.
    assert report["y"].threshold == pytest.approx(kd.DEFAULT_MIN_EFFECT["current||reference"])


def test_a_fixed_threshold_warns_when_noise_alone_comes_close():
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"x": rng.normal(size=1000)})
    small = pd.DataFrame({"x": rng.normal(size=30)})
    with pytest.warns(kd.SmallSampleWarning, match=r"column 'x': sampling noise alone is expected to score .*% of the fixed threshold 0.1"):
        kd.compare(ref, small, threshold=0.1)
    large = pd.DataFrame({"x": rng.normal(size=5000)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", kd.SmallSampleWarning)
        kd.compare(ref, large, threshold=0.1)
        kd.compare(ref, small)
