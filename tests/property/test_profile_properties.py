"""Properties of profiles and comparisons on generated frames with missing values."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import reduce

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kl_drift as kd

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FLOAT = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.sampled_from([np.nan, np.inf, -np.inf]),
)
INT = st.integers(min_value=-(2**40), max_value=2**40)
CATEGORY = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "é", ""]), st.text(max_size=4))
WHEN = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)),
)
FLAG = st.one_of(st.none(), st.booleans())


@st.composite
def frames(draw: st.DrawFn, min_rows: int = 1, max_rows: int = 80) -> pd.DataFrame:
    """A frame with numeric, integer, categorical, boolean and datetime columns (with missing values)."""
    n = draw(st.integers(min_value=min_rows, max_value=max_rows))

    def column(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    when = pd.to_datetime(pd.Series(column(WHEN), dtype=object))
    return pd.DataFrame(
        {
            "num": pd.Series(column(FLOAT), dtype="float64"),
            "int": pd.Series(column(INT), dtype="int64"),
            "cat": pd.Series(column(CATEGORY), dtype=object),
            "flag": pd.Series(column(FLAG), dtype="boolean"),
            "when": when.astype("datetime64[ns]"),
        }
    )


@contextmanager
def degenerate_data_allowed() -> Iterator[None]:
    """Generated data is often degenerate (constant, all missing, tiny): the warnings are expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        yield


def profile_of(df: pd.DataFrame, **options) -> kd.ReferenceProfile:
    with degenerate_data_allowed():
        return kd.profile(df, **options)


@PROPERTY_SETTINGS
@given(frames(), st.integers(min_value=1, max_value=12), st.data())
def test_merged_chunk_counts_equal_the_whole(df, bins, data):
    prof = profile_of(df, bins=bins, discrete_threshold=data.draw(st.sampled_from([0, 3, 20])))
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(df)), max_size=4)))
    bounds = [0, *cuts, len(df)]
    chunks = [df.iloc[a:b] for a, b in zip(bounds, bounds[1:])]
    merged = reduce(kd.ReferenceProfile.merge, [prof.count(chunk) for chunk in chunks])
    whole = prof.count(df)
    assert merged == whole
    assert merged.n_rows == len(df)
    assert [c.n_inf for c in merged] == [c.n_inf for c in whole]
    # Counting the reference again reproduces its own profile.
    assert whole == prof


@PROPERTY_SETTINGS
@given(frames(min_rows=5), frames(min_rows=1), st.randoms(use_true_random=False), st.sampled_from(kd.DIRECTIONS))
def test_compare_is_invariant_to_row_order(ref, cur, random, direction):
    prof = profile_of(ref)
    order = list(range(len(cur)))
    random.shuffle(order)
    shuffled = cur.iloc[order].reset_index(drop=True)
    with degenerate_data_allowed():
        a = kd.compare(prof, cur, direction=direction)
        b = kd.compare(prof, shuffled, direction=direction)
    assert a.columns == b.columns
    assert a.drifted == b.drifted


@PROPERTY_SETTINGS
@given(frames(), st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=5))
def test_json_round_trip_is_exact(df, bins, max_categories):
    prof = profile_of(df, bins=bins, max_categories=max_categories)
    text = prof.to_json()
    back = kd.ReferenceProfile.from_dict(json.loads(text))
    assert back == prof
    assert back.to_json() == text


@PROPERTY_SETTINGS
@given(frames(min_rows=2), st.floats(min_value=1e-3, max_value=5.0))
def test_compare_scores_are_finite_and_non_negative_with_smoothing(df, smoothing):
    half = len(df) // 2
    prof = profile_of(df.iloc[:half] if half else df)
    with degenerate_data_allowed():
        report = kd.compare(prof, df.iloc[half:], smoothing=smoothing)
    for col in report:
        if col.statistic is not None:
            assert np.isfinite(col.statistic) and col.statistic >= 0
            assert 0.0 <= col.pvalue <= 1.0
    assert json.loads(report.to_json())
