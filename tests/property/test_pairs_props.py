"""Properties of pair counts and of the chain-rule split, on arbitrary tables and data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import kl_drift as kd
from kl_drift._core.pairs import association_test, chain_rule, coarsen, interaction_terms

_shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))


@st.composite
def _two_tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float]:
    shape = draw(_shapes)
    counts = arrays(np.int64, shape, elements=st.integers(0, 10_000))
    return draw(counts), draw(counts), draw(st.sampled_from([0.5, 1.0, 0.01, 2.0]))


@settings(max_examples=200, deadline=None)
@given(_two_tables())
def test_the_chain_rule_and_the_pythagorean_split_hold(tables) -> None:
    cur, ref, a = tables
    parts = chain_rule(cur, ref, smoothing=a)
    assert abs(parts.joint - (parts.marginal_x + parts.conditional_y)) <= 1e-12 * max(1.0, parts.joint)
    # Exact at the fit's limit; iterative proportional fitting approaches it slowly where one
    # cell holds nearly every row (measured: within 1e-5 relative at smoothing >= 0.5, and
    # within 1e-12 on tables that are not that degenerate, see tests/unit/test_pairs.py).
    pythagorean = 1e-5 if a >= 0.5 else 1e-3
    assert abs(parts.joint - (parts.interaction + parts.marginal_part)) <= pythagorean * max(1.0, parts.joint)
    assert parts.interaction >= -1e-15 and parts.marginal_part >= -1e-15
    assert abs(interaction_terms(cur, ref, smoothing=a).sum() - parts.interaction) <= 1e-12 * max(1.0, parts.joint)
    # Swapping the two columns transposes the table: same joint, same interaction.
    swapped = chain_rule(cur.T, ref.T, smoothing=a)
    assert abs(swapped.joint - parts.joint) <= 1e-12 * max(1.0, parts.joint)
    assert abs(swapped.interaction - parts.interaction) <= pythagorean * max(1.0, parts.joint)


@settings(max_examples=200, deadline=None)
@given(_two_tables())
# Found by CI: a sparse table whose fit lies on the boundary (IPF stops where its margin order led it).
@example(tables=(np.array([[0, 1], [1, 1]]), np.array([[1, 1], [0, 0]]), 0.5))
def test_the_association_test_is_a_p_value_and_symmetric_in_the_columns(tables) -> None:
    cur, ref, _ = tables
    statistic, dof, pvalue = association_test(cur, ref)
    assert statistic >= 0 and dof >= 0 and 0.0 <= pvalue <= 1.0
    t_statistic, t_dof, t_pvalue = association_test(cur.T, ref.T)
    assert t_dof == dof and abs(t_pvalue - pvalue) <= 1e-6


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=2, max_size=40),
    st.booleans(),
    st.integers(2, 5),
    st.data(),
)
def test_coarsen_maps_every_bin_to_numbered_groups(counts, ordered, groups, data) -> None:
    n_categories = data.draw(st.integers(0, len(counts) - 1))
    mapping = coarsen(counts, ordered=ordered, n_categories=n_categories, groups=groups)
    assert len(mapping) == len(counts)
    values = mapping[:-1]
    assert mapping[-1] == max(values) + 1, "(missing) is the last group, alone"
    assert sorted(set(values)) == list(range(max(values) + 1))
    assert max(values) + 1 <= groups
    if ordered:
        assert list(values) == sorted(values)


_xs = st.lists(st.one_of(st.floats(-5, 5, width=32), st.none()), min_size=2, max_size=60)
_labels = st.lists(st.one_of(st.sampled_from(["a", "b", "c", "new"]), st.none()), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(_xs, _labels, st.data())
def test_pair_counts_of_any_split_merge_into_the_whole(xs, labels, data) -> None:
    n = min(len(xs), len(labels))
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    reference = pd.DataFrame({"x": x, "plan": np.where(x > 0, "a", np.where(x > -1, "b", "c"))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference, pairs=[("x", "plan")])
    current = pd.DataFrame({"x": pd.array(xs[:n], dtype="Float64"), "plan": pd.array(labels[:n], dtype=object)})
    cut = data.draw(st.integers(0, n))
    whole = prof.count(current)
    parts = prof.count(current.iloc[:cut]).merge(prof.count(current.iloc[cut:]))
    assert parts.pairs == whole.pairs
    assert whole.pairs[0].n_rows == n
    # The pair's marginals are its columns' counts merged by group.
    pair = whole.pairs[0]
    for axis, (name, groups) in enumerate(zip(pair.columns, pair.groups)):
        merged = np.bincount(groups, weights=whole[name].counts, minlength=max(groups) + 1)
        np.testing.assert_array_equal(pair.table.sum(axis=1 - axis), merged)
