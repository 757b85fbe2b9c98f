"""The ``.kl_drift`` pandas accessor: cached per object, and a thin layer over the functions."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
import kl_drift.accessor


def test_dataframe_accessor_is_cached(reference_df):
    assert reference_df.kl_drift is reference_df.kl_drift
    assert isinstance(reference_df.kl_drift, kd.DataFrameDriftAccessor)


def test_series_accessor_is_cached(reference_df):
    series = reference_df["age"]
    assert series.kl_drift is series.kl_drift
    assert isinstance(series.kl_drift, kd.SeriesDriftAccessor)


def test_different_frames_get_different_accessors(reference_df):
    other = reference_df.copy()
    assert reference_df.kl_drift is not other.kl_drift
    assert reference_df.kl_drift._obj is reference_df
    assert other.kl_drift._obj is other
    view = reference_df[["age"]]
    assert view.kl_drift._obj is view


def test_accessor_cache_does_not_become_a_column(reference_df):
    before = list(reference_df.columns)
    _ = reference_df.kl_drift
    assert list(reference_df.columns) == before
    assert list(reference_df.copy().columns) == before


def test_accessor_of_a_modified_frame_sees_the_new_data(reference_df):
    frame = reference_df.copy()
    first = frame.kl_drift.profile()
    frame["age"] = frame["age"] + 100
    second = frame.kl_drift.profile()
    assert first["age"].bins != second["age"].bins


def test_profile_equals_the_function(reference_df):
    assert reference_df.kl_drift.profile(bins=20) == kd.profile(reference_df, bins=20)
    via_accessor = reference_df.kl_drift.profile(bins=20)
    # 19 quantile edges and the two marking the reference range.
    assert len(via_accessor["age"].bins.edges) == 21


def test_compare_equals_the_function(reference_df, current_df):
    a = current_df.kl_drift.compare(reference_df)
    b = kd.compare(reference_df, current_df)
    assert a.columns == b.columns
    assert a.drifted == b.drifted
    prof = kd.profile(reference_df)
    assert current_df.kl_drift.compare(prof, threshold=0.2).columns == kd.compare(prof, current_df, threshold=0.2).columns


def test_score_equals_the_function(reference_df, current_df):
    a = current_df["age"].kl_drift.score(reference_df["age"], bins=5)
    b = kd.score(reference_df["age"], current_df["age"], bins=5)
    assert a == b
    assert isinstance(a, kd.ColumnDrift)
    assert a.column == "age"


def test_score_against_a_column_profile(reference_df, current_df):
    prof = kd.profile(reference_df)
    a = current_df["plan"].kl_drift.score(prof["plan"])
    assert a == kd.compare(prof, current_df, columns=["plan"])["plan"]


def test_accessor_compare_delegates_to_compare(reference_df, current_df):
    sentinel = object()
    with mock.patch.object(kl_drift.accessor, "compare", return_value=sentinel) as fake:
        result = current_df.kl_drift.compare(reference_df, threshold=0.3, direction="js")
    assert result is sentinel
    assert fake.call_count == 1
    args, kwargs = fake.call_args
    assert args[0] is reference_df and args[1] is current_df
    assert kwargs == {"threshold": 0.3, "direction": "js"}


def test_accessor_profile_delegates_to_profile(reference_df):
    sentinel = object()
    with mock.patch.object(kl_drift.accessor, "profile", return_value=sentinel) as fake:
        result = reference_df.kl_drift.profile(bins=20)
    assert result is sentinel
    assert fake.call_count == 1
    args, kwargs = fake.call_args
    assert len(args) == 1 and args[0] is reference_df
    assert kwargs == {"bins": 20}


def test_accessor_score_delegates_to_score(reference_df, current_df):
    sentinel = object()
    ref, cur = reference_df["age"], current_df["age"]
    with mock.patch.object(kl_drift.accessor, "score", return_value=sentinel) as fake:
        result = cur.kl_drift.score(ref, smoothing=1.0)
    assert result is sentinel
    assert fake.call_count == 1
    args, kwargs = fake.call_args
    # Series compare element-wise, so check identity rather than with assert_called_with.
    assert args[0] is ref and args[1] is cur and kwargs == {"smoothing": 1.0}


def test_accessor_holds_no_state_beyond_the_object(reference_df):
    assert vars(reference_df.kl_drift) == {"_obj": reference_df}


def test_unnamed_series_score():
    ref = pd.Series(np.arange(100.0))
    cur = pd.Series(np.arange(100.0) + 50)
    result = cur.kl_drift.score(ref)
    assert result.column == "value"
    assert result.status == "drift"


def test_score_accepts_single_series_binning_options():
    ref = pd.Series(np.linspace(0, 10, 200), name="x")
    result = ref.kl_drift.score(ref, edges=[2.5, 5.0, 7.5])
    assert result.bin_labels == ("(-inf, 0)", "[0, 2.5]", "(2.5, 5]", "(5, 7.5]", "(7.5, 10]", "(10, +inf)", "(missing)")
    as_category = pd.Series([1, 2, 3] * 40, name="n").kl_drift.score(
        pd.Series(np.arange(120), name="n"), categorical=True, max_categories=3
    )
    assert "(other)" in as_category.bin_labels


def test_accessor_errors_are_the_functions_errors(reference_df):
    with pytest.raises(kd.EmptyDataError):
        reference_df.iloc[:0].kl_drift.compare(reference_df)
