"""Counts add: the count table of any split of the data merges into the table of the whole."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import kl_drift as kd

_values = st.lists(
    st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.none()), min_size=2, max_size=60
)
_labels = st.lists(st.one_of(st.sampled_from(["a", "b", "c", "new", "other"]), st.none()), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(_values, _labels, st.data())
def test_merged_split_counts_equal_the_whole(xs: list, labels: list, data: st.DataObject) -> None:
    n = min(len(xs), len(labels))
    reference = pd.DataFrame({"x": np.linspace(-3, 3, 40), "plan": ["a", "b", "c", "a"] * 10})
    current = pd.DataFrame({"x": pd.array(xs[:n], dtype="Float64"), "plan": pd.array(labels[:n], dtype=object)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference, bins=4, discrete_threshold=0)
    cut = data.draw(st.integers(min_value=0, max_value=n))
    whole = kd.count(prof, current)
    merged = kd.count(prof, current.iloc[:cut]).merge(kd.count(prof, current.iloc[cut:]))
    assert merged == whole
    assert sum(merged["x"].counts) == n == sum(merged["plan"].counts)
    assert merged["x"].n_inf == int(np.isinf(np.array([v for v in xs[:n] if v is not None], dtype=float)).sum())
