"""Bad input: each case gets a clear error or a status with a reason that names the column."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd


@pytest.fixture
def ref() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 10.0, 400),
            "plan": rng.choice(np.array(["a", "b", "c"], dtype=object), 400),
        }
    )


# --- columns present on one side only ---------------------------------------------------------


def test_missing_column_in_current_is_drift_with_a_reason(ref):
    report = kd.compare(ref, ref[["plan"]])
    col = report["amount"]
    assert col.status == "missing_column"
    assert col.drifted and report.drifted
    assert col.statistic is None
    assert "not in the current data" in col.reason
    assert col.n_reference == len(ref) and col.n_current == 0
    assert "amount" in report.drifted_columns


def test_extra_column_in_current_is_skipped_with_a_reason(ref):
    report = kd.compare(ref, ref.assign(new_col=1.0))
    col = report["new_col"]
    assert col.status == "skipped" and not col.drifted
    assert "not in the reference" in col.reason
    assert not report.drifted


def test_compare_columns_option_ignores_extra_current_columns(ref):
    report = kd.compare(ref, ref.assign(new_col=1.0), columns=["plan"])
    assert [c.column for c in report] == ["plan"]


def test_unknown_column_in_columns_option(ref):
    prof = kd.profile(ref)
    with pytest.raises(kd.ColumnError, match="'nope'.*`columns`"):
        kd.compare(prof, ref, columns=["nope"])
    with pytest.raises(kd.ColumnError, match="'nope'.*`columns`"):
        kd.profile(ref, columns=["nope"])


# --- type mismatches ---------------------------------------------------------------------------


def test_numeric_reference_vs_string_current_is_a_type_mismatch(ref):
    cur = ref.assign(amount=ref["amount"].map(lambda v: f"{v:.2f} EUR"))
    col = kd.compare(ref, cur)["amount"]
    assert col.status == "type_mismatch" and col.drifted
    assert col.statistic is None
    assert "numeric" in col.reason


def test_numeric_reference_vs_numeric_strings_is_a_type_mismatch(ref):
    """Numbers read as text (e.g. a CSV column gone wrong) are not silently parsed."""
    cur = ref.assign(amount=ref["amount"].astype(str))
    col = kd.compare(ref, cur)["amount"]
    assert col.status == "type_mismatch"
    assert "numeric" in col.reason


def test_string_reference_vs_numeric_current_is_a_type_mismatch(ref):
    cur = ref.assign(plan=np.arange(len(ref), dtype=float))
    col = kd.compare(ref, cur)["plan"]
    assert col.status == "type_mismatch" and col.drifted
    assert "string" in col.reason


def test_discrete_numeric_reference_vs_string_current_is_a_type_mismatch():
    ref = pd.DataFrame({"n": [1, 2, 3] * 20})
    col = kd.compare(ref, pd.DataFrame({"n": ["1", "2", "x"] * 5}))["n"]
    assert col.status == "type_mismatch", col
    assert col.reason


def test_numeric_reference_vs_datetime_current_is_a_type_mismatch(ref):
    cur = ref.assign(amount=pd.date_range("2024-01-01", periods=len(ref), freq="h"))
    col = kd.compare(ref, cur)["amount"]
    assert col.status == "type_mismatch"
    assert "datetime" in col.reason


def test_profile_count_of_a_mismatched_column_raises_naming_it(ref):
    prof = kd.profile(ref)
    with pytest.raises(kd.ColumnError, match="'amount'"):
        prof.count(ref.assign(amount="text"))


@pytest.mark.parametrize(
    ("ref_tz", "cur_tz", "match"),
    [(None, "UTC", "tz-naive.*tz-aware"), ("UTC", None, "tz-aware.*tz-naive")],
)
def test_tz_naive_vs_tz_aware_datetimes_is_a_type_mismatch(ref_tz, cur_tz, match):
    t = pd.Series(pd.date_range("2024-01-01", periods=200, freq="h"))
    ref = pd.DataFrame({"t": t.dt.tz_localize(ref_tz) if ref_tz else t})
    cur = pd.DataFrame({"t": t.dt.tz_localize(cur_tz) if cur_tz else t})
    col = kd.compare(ref, cur)["t"]
    assert col.status == "type_mismatch" and col.drifted
    assert col.reason is not None
    assert pd.Series([col.reason]).str.contains(match).all(), col.reason


# --- empty data --------------------------------------------------------------------------------


def test_empty_current_raises(ref):
    with pytest.raises(kd.EmptyDataError, match="current.*no rows"):
        kd.compare(ref, ref.iloc[:0])


def test_empty_reference_raises(ref):
    with pytest.raises(kd.EmptyDataError, match="reference.*no rows"):
        kd.compare(ref.iloc[:0], ref)
    with pytest.raises(kd.EmptyDataError, match="reference.*no rows"):
        kd.profile(ref.iloc[:0])


def test_reference_without_columns_raises():
    with pytest.raises(kd.EmptyDataError, match="no columns"):
        kd.profile(pd.DataFrame(index=range(5)))


def test_empty_current_profile_raises(ref):
    prof = kd.profile(ref)
    with pytest.raises(kd.EmptyDataError, match="current"):
        kd.compare(prof, prof.count(ref.iloc[:0]))


def test_empty_errors_are_value_errors(ref):
    with pytest.raises(ValueError):
        kd.compare(ref, ref.iloc[:0])


# --- degenerate but valid data warns -----------------------------------------------------------


@pytest.mark.parametrize("missing", [np.nan, None])
def test_all_missing_reference_column_warns_at_profile_time(ref, missing):
    data = ref.assign(amount=pd.Series([missing] * len(ref), dtype=float))
    with pytest.warns(kd.AllMissingWarning, match="'amount'.*missing"):
        prof = kd.profile(data)
    assert prof["amount"].counts[-1] == len(ref)


def test_all_missing_object_reference_column_warns(ref):
    with pytest.warns(kd.AllMissingWarning, match="'plan'"):
        kd.profile(ref.assign(plan=pd.Series([None] * len(ref), dtype=object)))


def test_all_missing_current_column_warns_at_compare_time_and_drifts(ref):
    prof = kd.profile(ref)
    with pytest.warns(kd.AllMissingWarning, match="'amount'.*current"):
        report = kd.compare(prof, ref.assign(amount=np.nan))
    col = report["amount"]
    assert col.status == "drift" and col.missing_current == 1.0
    assert "missing" in col.reason


def test_constant_column_warns(ref):
    with pytest.warns(kd.ConstantInputWarning, match="'amount'.*single distinct value"):
        kd.profile(ref.assign(amount=5.0))
    with pytest.warns(kd.ConstantInputWarning, match="'plan'"):
        kd.profile(ref.assign(plan="only"))


def test_constant_numeric_column_binned_numerically_warns(ref):
    with pytest.warns(kd.ConstantInputWarning, match="'amount'"):
        kd.profile(ref.assign(amount=5.0), discrete_threshold=0)


def test_constant_column_still_detects_a_change(ref):
    with pytest.warns(kd.ConstantInputWarning):
        prof = kd.profile(ref.assign(amount=5.0))
    col = kd.compare(prof, ref)["amount"]
    assert col.status == "drift"


def test_fewer_rows_than_bins_warns():
    df = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5, 4.5]})
    with pytest.warns(kd.SmallSampleWarning, match="'x'.*5.*10 bins"):
        prof = kd.profile(df, discrete_threshold=0)
    assert prof["x"].n_rows == 5


def test_fewer_non_missing_rows_than_bins_warns():
    df = pd.DataFrame({"x": [0.5, 1.5, 2.5, np.nan, np.nan] * 2 + [np.nan] * 10})
    with pytest.warns(kd.SmallSampleWarning, match="'x'"):
        kd.profile(df, bins=8, discrete_threshold=0)


def test_warnings_are_kl_drift_warnings(ref):
    with pytest.warns(kd.KlDriftWarning):
        kd.profile(ref.assign(amount=5.0))
    assert issubclass(kd.ConstantInputWarning, kd.DegenerateDataWarning)
    assert issubclass(kd.SkippedColumnWarning, kd.KlDriftWarning)


# --- columns that cannot be binned -------------------------------------------------------------


def test_mixed_type_object_column_is_skipped_with_a_warning_and_reason(ref):
    mixed = ref.assign(plan=["a", 1, 2.5, "b"] * 100)
    with pytest.warns(kd.SkippedColumnWarning, match="'plan'.*mixed"):
        prof = kd.profile(mixed)
    assert prof["plan"].kind == "skipped"
    assert "mixed" in prof["plan"].reason
    with pytest.warns(kd.SkippedColumnWarning, match="'plan'"):
        report = kd.compare(mixed, ref)
    col = report["plan"]
    assert col.status == "skipped" and not col.drifted
    assert "mixed" in col.reason
    assert report["amount"].status == "ok"


def test_unhashable_cells_in_reference_are_skipped_with_a_reason(ref):
    bad = ref.assign(plan=[["a"], ["b", "c"]] * 200)
    with pytest.warns(kd.SkippedColumnWarning, match="'plan'.*unhashable"):
        prof = kd.profile(bad)
    assert prof["plan"].kind == "skipped"
    assert "list" in prof["plan"].reason
    with pytest.warns(kd.SkippedColumnWarning):
        col = kd.compare(bad, ref)["plan"]
    assert col.status == "skipped" and "unhashable" in col.reason


def test_unhashable_cells_in_current_have_a_status_and_reason(ref):
    col = kd.compare(ref, ref.assign(plan=[{"k": 1}] * len(ref)))["plan"]
    assert col.status in ("skipped", "type_mismatch")
    assert col.statistic is None
    assert "unhashable" in col.reason


def test_timedelta_column_is_skipped_with_a_reason():
    df = pd.DataFrame({"d": pd.to_timedelta(np.arange(50), unit="s")})
    with pytest.warns(kd.SkippedColumnWarning, match="'d'.*timedelta"):
        prof = kd.profile(df)
    assert prof["d"].kind == "skipped"


def test_skipped_profile_column_cannot_be_counted(ref):
    with pytest.warns(kd.SkippedColumnWarning):
        prof = kd.profile(ref.assign(plan=["a", 1] * 200))
    with pytest.raises(kd.ColumnError, match="'plan'.*skipped"):
        prof["plan"].count(ref["plan"])


# --- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.1, "0.1"])
def test_non_finite_or_negative_threshold_raises_naming_it(ref, value):
    with pytest.raises(ValueError, match="`threshold`"):
        kd.compare(ref, ref, threshold=value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_non_finite_per_column_threshold_raises_naming_the_column(ref, value):
    with pytest.raises(ValueError, match=r"`thresholds\['amount'\]`"):
        kd.compare(ref, ref, thresholds={"amount": value})
    with pytest.raises(ValueError, match=r"`warn_thresholds\['amount'\]`"):
        kd.compare(ref, ref, warn_thresholds={"amount": value})


def test_non_finite_warn_threshold_raises(ref):
    with pytest.raises(ValueError, match="`warn_threshold`"):
        kd.compare(ref, ref, warn_threshold=math.nan)


@pytest.mark.parametrize("smoothing", [-0.5, -1e-12, math.nan, math.inf, "0.5"])
def test_bad_smoothing_raises(ref, smoothing):
    with pytest.raises(ValueError, match="`smoothing` must be a non-negative"):
        kd.compare(ref, ref, smoothing=smoothing)


def test_duplicate_column_names_raise_column_error(ref):
    dup = pd.concat([ref, ref[["amount"]]], axis=1)
    with pytest.raises(kd.ColumnError, match="'amount'.*more than once") as info:
        kd.profile(dup)
    assert info.value.column == "amount"
    with pytest.raises(kd.ColumnError, match="'amount'.*more than once"):
        kd.compare(ref, dup)
    with pytest.raises(kd.ColumnError, match="'amount'.*more than once"):
        kd.profile(ref).count(dup)


def test_non_string_column_names_raise_column_error():
    df = pd.DataFrame({0: np.arange(30.0), "ok": np.arange(30.0)})
    with pytest.raises(kd.ColumnError, match="must be strings") as info:
        kd.profile(df)
    assert info.value.column == 0
    good = pd.DataFrame({"0": np.arange(30.0)})
    with pytest.raises(kd.ColumnError, match="must be strings"):
        kd.compare(good, pd.DataFrame({0: np.arange(30.0)}))


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("bins", {"nope": 5}),
        ("edges", {"nope": [1, 2]}),
        ("categorical", ["nope"]),
        ("strategy", {"nope": "uniform"}),
    ],
)
def test_unknown_column_in_profile_options(ref, option, value):
    with pytest.raises(kd.ColumnError, match=f"'nope'.*`{option}`") as info:
        kd.profile(ref, **{option: value})
    assert info.value.column == "nope"


@pytest.mark.parametrize("option", ["thresholds", "warn_thresholds"])
def test_unknown_column_in_thresholds(ref, option):
    with pytest.raises(kd.ColumnError, match=f"'nope'.*`{option}`"):
        kd.compare(ref, ref, **{option: {"nope": 0.1}})


def test_invalid_direction(ref):
    with pytest.raises(ValueError, match="`direction` must be one of .*'current\\|\\|reference'.*got 'forward'"):
        kd.compare(ref, ref, direction="forward")


@pytest.mark.parametrize("base", [10, 0, -2, "e", True])
def test_invalid_base(ref, base):
    with pytest.raises(ValueError, match="`base`"):
        kd.compare(ref, ref, base=base)
    with pytest.raises(ValueError, match="`base`"):
        kd.kl_divergence([1, 2], [2, 1], base=base)


def test_invalid_strategy(ref):
    with pytest.raises(ValueError, match="`strategy` must be 'quantile' or 'uniform', got 'kmeans'"):
        kd.profile(ref, strategy="kmeans")
    with pytest.raises(ValueError, match=r"`strategy\['amount'\]`"):
        kd.profile(ref, strategy={"amount": "kmeans"})


@pytest.mark.parametrize("bins", [0, -3, 2.5, "10", True, None])
def test_invalid_bins(ref, bins):
    with pytest.raises(ValueError, match="`bins` must be a positive integer"):
        kd.profile(ref, bins=bins)


def test_invalid_per_column_bins(ref):
    with pytest.raises(ValueError, match=r"`bins\['amount'\]` must be a positive integer"):
        kd.profile(ref, bins={"amount": 0})


@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_invalid_max_categories(ref, value):
    with pytest.raises(ValueError, match="`max_categories`"):
        kd.profile(ref, max_categories=value)


def test_invalid_discrete_threshold(ref):
    with pytest.raises(ValueError, match="`discrete_threshold`"):
        kd.profile(ref, discrete_threshold=-1)


@pytest.mark.parametrize("edges", [[3, 1], [1, 1], [0, math.nan], [0, math.inf]])
def test_invalid_explicit_edges_name_the_column(ref, edges):
    with pytest.raises(kd.ColumnError, match="'amount'.*`edges`"):
        kd.profile(ref, edges={"amount": edges})


def test_edges_must_be_a_sequence(ref):
    with pytest.raises(ValueError, match=r"`edges\['amount'\]`"):
        kd.profile(ref, edges={"amount": "1,2,3"})


def test_warn_threshold_above_threshold(ref):
    with pytest.raises(ValueError, match="warn threshold.*exceeds.*drift threshold"):
        kd.compare(ref, ref, threshold=0.1, warn_threshold=0.2)


def test_per_column_warn_threshold_above_its_threshold_names_the_column(ref):
    with pytest.raises(ValueError, match="'amount'.*warn threshold"):
        kd.compare(ref, ref, thresholds={"amount": 0.01}, warn_thresholds={"amount": 0.02})


@pytest.mark.parametrize("share", [0, 1.5, -0.1, math.nan])
def test_invalid_drift_share(ref, share):
    with pytest.raises(ValueError, match="`drift_share`"):
        kd.compare(ref, ref, drift_share=share)


def test_binning_options_with_a_fixed_profile_raise(ref):
    prof = kd.profile(ref)
    with pytest.raises(TypeError, match="bins"):
        kd.compare(prof, ref, bins=20)


def test_wrong_argument_types(ref):
    with pytest.raises(TypeError, match="`reference`"):
        kd.compare([1, 2, 3], ref)
    with pytest.raises(TypeError, match="`current`"):
        kd.compare(ref, ref["amount"].to_numpy())
    with pytest.raises(TypeError, match="`current` must be a pandas Series"):
        kd.score(ref["amount"], [1.0, 2.0])


def test_bytes_column_is_skipped_with_a_reason():
    df = pd.DataFrame({"b": [b"x", b"y"] * 20})
    with pytest.warns(kd.SkippedColumnWarning, match="'b'"):
        prof = kd.profile(df)
    assert prof["b"].reason


@pytest.mark.parametrize("edges", [[pd.Timestamp("2024-01-01")], ["a", "b"], [1.0, None]])
def test_edges_that_are_not_numbers_for_a_numeric_column_name_the_column(edges):
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0] * 10})
    with pytest.raises(kd.ColumnError, match=r"'amount'.*`edges` of a numeric column must be numbers"):
        kd.profile(frame, edges={"amount": edges})
