"""Scoring many columns and tables together gives, bit for bit, what scoring each column of each
table alone gives: on arbitrary count vectors (zeros anywhere, all missing, one row) and options."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import kl_drift as kd
from kl_drift._core.divergence import DIRECTIONS, divergence_rows, divergence_terms_unchecked
from kl_drift._core.stats import drift_pvalue_rows, drift_pvalue_unchecked
from kl_drift._options import CompareOptions
from kl_drift.counts import ColumnCounts, CountTable
from kl_drift.profile import ReferenceProfile
from tests.unit.test_batch_scoring import batched, one_by_one


@functools.cache
def _profiles() -> tuple[ReferenceProfile, ...]:
    """Profiles of every scoring path: numeric (quantile, uniform, with and without range),
    datetime, booleans, categoricals with pooled values, a reference without finite values."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({
        "q": rng.normal(size=n),
        "i": rng.integers(0, 5, n),
        "t": pd.to_datetime(rng.integers(0, 10**15, n)),
        "b": rng.random(n) < 0.4,
        "s": rng.choice(["a", "b", "c"], n),
        "z": np.array([f"v{v}" for v in rng.zipf(1.6, n)], dtype=object),
        "f": np.where(rng.random(n) < 0.5, np.inf, np.nan),
    })  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return (
            kd.profile(frame),
            kd.profile(frame.iloc[: n // 2], strategy="uniform", bins=3, max_categories=2),
            kd.profile(frame.iloc[n // 2 :], bins=6),
        )


@st.composite
def count_tables(draw: st.DrawFn, prof: ReferenceProfile) -> CountTable:
    """Counts of the profile's columns, any non-negative numbers in any bins (a column may be empty)."""
    columns = []
    for col in prof.columns:
        if col.bins is None:
            continue
        size = len(col.counts)
        shape = draw(st.sampled_from(["small", "large", "sparse"]))
        top = {"small": 3, "large": 5000, "sparse": 40}[shape]
        counts = draw(st.lists(st.integers(0, top), min_size=size, max_size=size))
        if shape == "sparse":
            counts = [c if draw(st.booleans()) else 0 for c in counts]
        unseen = ()
        if col.kind in ("categorical", "boolean") and counts[-2]:
            unseen = (("new-value", counts[-2]),)
        columns.append(ColumnCounts(col.name, tuple(counts), n_inf=0, unseen=unseen))
    n_rows = max([sum(c.counts) for c in columns] + [1])
    return CountTable.of(n_rows, columns, prof.names, "test")


OPTIONS = st.fixed_dictionaries({
    "direction": st.sampled_from(DIRECTIONS),
    "smoothing": st.sampled_from([0.5, 0.0, 0.01, 2.0]),
    "base": st.sampled_from([math.e, 2.0]),
    "threshold": st.sampled_from(["auto", None, 0.02]),
    "pvalue_method": st.sampled_from(["auto", "asymptotic", "permutation"]),
    "correction": st.sampled_from(["holm", "bh", "none"]),
    "n_permutations": st.sampled_from([50, 400]),
})  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.data(), OPTIONS)
def test_batched_tables_have_the_bits_of_each_column_alone(data: st.DataObject, options: dict) -> None:
    profiles = _profiles()
    picks = data.draw(st.lists(st.sampled_from(range(len(profiles))), min_size=1, max_size=4))
    jobs = [(profiles[k], data.draw(count_tables(profiles[k]))) for k in picks]
    opts = CompareOptions.resolve(**options)
    assert batched(jobs, opts) == one_by_one(jobs, opts)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda size: st.lists(
            st.tuples(
                st.lists(st.integers(0, 10**6), min_size=size, max_size=size).filter(any),
                st.lists(st.integers(0, 10**6), min_size=size, max_size=size).filter(any),
            ),
            min_size=1,
            max_size=12,
        )
    ),
    st.sampled_from(DIRECTIONS),
    st.sampled_from([0.5, 0.0, 1e-3]),
    st.sampled_from(["auto", "asymptotic"]),
)
def test_row_functions_have_the_bits_of_each_row(rows: list, direction: str, alpha: float, method: str) -> None:
    cur = np.array([c for c, _ in rows], dtype=np.float64)
    ref = np.array([r for _, r in rows], dtype=np.float64)
    statistics, contributions = divergence_rows(cur, ref, direction, alpha, 1.0)
    seeds = [[1, i] for i in range(len(rows))]
    pvalues, methods = drift_pvalue_rows(cur, ref, method, ["hypergeometric"] * len(rows), 100, seeds)
    for i in range(len(rows)):
        statistic, terms = divergence_terms_unchecked(cur[i], ref[i], direction, alpha, 1.0)
        assert max(float(statistics[i]), 0.0) == statistic or (math.isnan(statistic) and math.isnan(statistics[i]))
        assert contributions[i].tobytes() == terms.tobytes()
        assert (pvalues[i], methods[i]) == drift_pvalue_unchecked(cur[i], ref[i], method, "hypergeometric", 100, seeds[i])
