"""Properties of pair counts and of the chain-rule split, on arbitrary tables and data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import kl_drift as kd
from kl_drift._core import kernels
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


_values = {
    "float": st.lists(
        st.one_of(st.floats(-4, 4), st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 0.0])), min_size=1, max_size=80
    ),
    "int": st.lists(st.integers(-30, 30), min_size=1, max_size=80),
    "text": st.lists(st.one_of(st.sampled_from(["a", "b", "c", "d", "e", "new", ""]), st.none()), min_size=1, max_size=80),
}
_storages = {
    "float": [lambda v: pd.Series(v, dtype="float64")],
    "int": [lambda v: pd.Series(v, dtype="int64"), lambda v: pd.Series(v, dtype="int16")],
    "text": [
        lambda v: pd.Series(v, dtype=object),
        lambda v: pd.Series(v, dtype="string[pyarrow]"),
        lambda v: pd.Series(v, dtype="str"),
        lambda v: pd.Series(v, dtype="category"),
    ],
}


def _reference_frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    x = rng.normal(size=600)
    x[::37] = np.nan
    return pd.DataFrame(
        {
            "float": x,
            "int": rng.integers(-25, 25, size=600),
            "text": rng.choice(["a", "b", "c", "d", "e"], p=[0.4, 0.25, 0.15, 0.12, 0.08], size=600),
        }
    )


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(_values)), st.data())
def test_counting_with_groups_is_counting_then_placing(kind, data) -> None:
    """One pass for a column's counts and its rows' groups equals the engine's count and the
    groups of each row's bin, for any values and storage (edges hit exactly, NaN, ±inf)."""
    from kl_drift._engines.pandas import count_column
    from kl_drift._engines.pandas_groups import count_column_grouped
    from kl_drift.pairs import column_codes, column_groups

    reference = _reference_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference, max_categories=3, bins=data.draw(st.sampled_from([4, 10])))
    col = prof[kind]
    values = data.draw(_values[kind])
    if kind == "float" and col.bins.edges:
        # Values equal to edges are placed by the right-closed rule.
        values = values + data.draw(st.lists(st.sampled_from(list(col.bins.edges)), max_size=10))
    series = data.draw(st.sampled_from(_storages[kind]))(values)
    groups = column_groups(col, len(reference))
    with pytest.MonkeyPatch.context() as patch:
        # The numpy path (the compiled kernels, once a test loaded them, count apart).
        patch.setenv(kernels.DISABLE_ENV, "1")
        kernels.prepare(0)
        counted, codes = count_column_grouped(series, col.bins, kind, groups)
    kernels.prepare(0)
    assert counted == count_column(series, col.bins, kind)
    if codes is None:
        # Only a column of nothing but missing values (typed apart from the bins) is left to
        # the separate pass.
        assert series.isna().all()
        return
    np.testing.assert_array_equal(codes, np.asarray(groups)[column_codes(series, col)])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_compare_counts_pairs_as_each_row_is_placed(data) -> None:
    """The pair counts `compare` reports (groups made by the column count) equal one
    ``np.add.at`` per row of the rows' groups, for every pair of three kinds of column."""
    from kl_drift.pairs import column_codes

    reference = _reference_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference, max_categories=3, pairs=[("float", "int"), ("float", "text"), ("int", "text")])
        n = data.draw(st.integers(1, 80))
        current = pd.DataFrame(
            {
                kind: data.draw(st.sampled_from(_storages[kind]))(
                    data.draw(st.lists(_values[kind].map(lambda v: v[0]), min_size=n, max_size=n))
                )
                for kind in _values
            }
        )
        report = kd.compare(prof, current, n_permutations=100)
    for pair in prof.pairs:
        expected = np.zeros(pair.table.shape, dtype=np.int64)
        placed = [np.asarray(g)[column_codes(current[name], prof[name])] for name, g in zip(pair.columns, pair.groups)]
        np.add.at(expected, tuple(placed), 1)
        result = report.pairs[pair.columns]
        both = expected + pair.table
        rows, cols = both.sum(axis=1) > 0, both.sum(axis=0) > 0
        np.testing.assert_array_equal(np.asarray(result.current_counts), expected[np.ix_(rows, cols)])


@settings(max_examples=150, deadline=None)
@given(st.lists(_two_tables(), min_size=1, max_size=12))
@example(
    tables=[
        (np.array([[0, 1], [1, 1]]), np.array([[1, 1], [0, 0]]), 0.5),
        (np.full((6, 6), 500), np.eye(6, dtype=np.int64) * 9000 + 1, 0.5),
    ]
)
def test_fits_iterated_together_give_each_tables_own_bits(tables) -> None:
    """Scoring many pairs at once (the IPF loops of all tables in one padded array) gives
    every table the very numbers of its own loop: the chain rule's parts and terms, the
    association test, bit for bit, whatever the shapes, sparse or degenerate."""
    from kl_drift._core.pairs import association_tests, chain_rule_terms, chain_rules_terms

    smoothing = tables[0][2]
    pairs = [(cur, ref) for cur, ref, _ in tables]
    together = chain_rules_terms(pairs, smoothing=smoothing)
    tests = association_tests(pairs)
    for (cur, ref), (parts, terms), test in zip(pairs, together, tests):
        alone_parts, alone_terms = chain_rule_terms(cur, ref, smoothing=smoothing)
        assert parts == alone_parts
        assert terms.tobytes() == alone_terms.tobytes()
        assert test == association_test(cur, ref)
