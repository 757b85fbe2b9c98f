"""Joint drift of column pairs: 2-D bins, the chain rule, profiles with pairs, reports.

Every number a report prints for a pair is checked here against an independent computation
(scipy.stats.entropy on the same counts).
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, entropy

import kl_drift as kd
from kl_drift._core.pairs import (
    PairCounts,
    association_test,
    chain_rule,
    coarsen,
    interaction_terms,
    marginal_fit,
    mutual_information,
    pair_groups,
)
from kl_drift._engines.pandas import count_column
from kl_drift.pairs import PairResults, column_codes


def _related(n: int, seed: int, noise: float = 0.4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": x + noise * rng.normal(size=n),
            "c": np.where(x + 0.5 * rng.normal(size=n) > 0, "high", "low"),
            "z": rng.exponential(size=n),
        }
    )


def _decoupled(frame: pd.DataFrame, column: str, seed: int = 1) -> pd.DataFrame:
    """The same values, each column's own distribution unchanged, the dependence broken."""
    out = frame.copy()
    out[column] = out[column].sample(frac=1.0, random_state=seed).to_numpy()
    return out


def _smoothed(table: np.ndarray, a: float = 0.5) -> np.ndarray:
    return (table + a) / (table.sum() + a * table.size)


# ---------------------------------------------------------------- 2-D bins


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([0.5, 1.5, np.nan, 2.5, -np.inf, np.inf, 1.0] * 30),
        pd.Series(np.arange(200) % 7, dtype="int64"),
        pd.Series(["a", "b", None, "c", "a"] * 30),
        pd.Series(pd.date_range("2020-01-01", periods=150, freq="h", tz="UTC")),
        pd.Series(pd.array([1, None, 3, 40, 5] * 30, dtype="Int64")),
        pd.Series([True, False, None] * 40, dtype=object),
    ],
    ids=["float", "discrete-int", "text", "datetime-tz", "nullable-int", "bool"],
)
def test_row_codes_count_like_the_engine(series):
    """A row's bin in a pair is the bin the pandas engine counts it in."""
    prof = kd.profile(series.rename("v").to_frame(), discrete_threshold=3)
    col = prof["v"]
    shifted = series.sample(frac=1.0, replace=True, random_state=3).reset_index(drop=True).rename("v")
    for data in (series.rename("v"), shifted):
        codes = column_codes(data, col)
        expected = count_column(data, col.bins, "v").counts
        assert tuple(np.bincount(codes, minlength=col.bins.n_bins)) == expected


def test_row_codes_of_unseen_and_iso_text():
    prof = kd.profile(
        pd.DataFrame({"t": ["2020-01-01T00:00", "2020-01-02T00:00", "2020-01-03T00:00"] * 20, "c": ["a", "b"] * 30})
    )
    current = pd.DataFrame({"t": ["2019-12-01T00:00", None, "2020-01-02T12:00"] * 5, "c": ["a", "zz", None] * 5})
    for name in ("t", "c"):
        codes = column_codes(current[name], prof[name])
        assert (
            tuple(np.bincount(codes, minlength=prof[name].bins.n_bins))
            == count_column(current[name], prof[name].bins, name).counts
        )


def test_groups_per_column_follow_the_sample_size():
    assert [pair_groups(n) for n in (0, 80, 180, 320, 500, 10**7)] == [2, 2, 3, 4, 5, 5]


def test_coarsen_numeric_keeps_bins_in_order_and_mass_balanced():
    counts = [0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 4]
    groups = coarsen(counts, ordered=True, groups=5)
    assert groups == (0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5)
    assert list(groups[:-1]) == sorted(groups[:-1])
    mass = np.bincount(groups[:-1], weights=counts[:-1])
    assert mass.tolist() == [20.0] * 5


def test_coarsen_categorical_keeps_the_most_frequent():
    # categories a, b, c, d (counts 5, 50, 30, 2), (other) 7, (unseen) 0, (missing) 1
    groups = coarsen([5, 50, 30, 2, 7, 0, 1], ordered=False, n_categories=4, groups=3)
    assert groups == (2, 0, 1, 2, 2, 2, 3)


# ---------------------------------------------------------------- the maths


def _random_tables(seed: int, n: int = 50):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        shape = (int(rng.integers(2, 7)), int(rng.integers(2, 7)))
        yield rng.integers(0, 60, size=shape), rng.integers(0, 60, size=shape), float(rng.choice([0.5, 1.0, 0.1]))


def test_chain_rule_holds_on_smoothed_counts():
    for cur, ref, a in _random_tables(0):
        parts = chain_rule(cur, ref, smoothing=a)
        p, q = _smoothed(cur, a), _smoothed(ref, a)
        assert parts.joint == pytest.approx(entropy(p.ravel(), q.ravel()), rel=1e-12, abs=1e-15)
        assert parts.marginal_x == pytest.approx(entropy(p.sum(axis=1), q.sum(axis=1)), rel=1e-12, abs=1e-15)
        assert parts.marginal_y == pytest.approx(entropy(p.sum(axis=0), q.sum(axis=0)), rel=1e-12, abs=1e-15)
        conditional = sum(p[i].sum() * entropy(p[i] / p[i].sum(), q[i] / q[i].sum()) for i in range(p.shape[0]))
        assert parts.conditional_y == pytest.approx(conditional, rel=1e-12, abs=1e-15)
        assert abs(parts.joint - (parts.marginal_x + parts.conditional_y)) <= 1e-12


def test_interaction_is_the_divergence_from_the_reference_dependence_at_current_marginals():
    for cur, ref, a in _random_tables(1):
        parts = chain_rule(cur, ref, smoothing=a)
        p, q = _smoothed(cur, a), _smoothed(ref, a)
        fitted = marginal_fit(q, p.sum(axis=1), p.sum(axis=0))
        # Q* has the current marginals and the reference's odds ratios (log Q*/Q is r(x) + c(y)).
        np.testing.assert_allclose(fitted.sum(axis=1), p.sum(axis=1), rtol=0, atol=1e-13)
        np.testing.assert_allclose(fitted.sum(axis=0), p.sum(axis=0), rtol=0, atol=1e-13)
        log_ratio = np.log(fitted / q)
        double_diff = log_ratio - log_ratio[:, :1] - log_ratio[:1, :] + log_ratio[0, 0]
        assert np.abs(double_diff).max() < 1e-9
        assert parts.interaction == pytest.approx(entropy(p.ravel(), fitted.ravel()), rel=1e-10, abs=1e-14)
        assert parts.marginal_part == pytest.approx(entropy(fitted.ravel(), q.ravel()), rel=1e-10, abs=1e-14)
        assert parts.interaction >= 0
        assert abs(parts.joint - (parts.interaction + parts.marginal_part)) <= 1e-12
        assert interaction_terms(cur, ref, smoothing=a).sum() == pytest.approx(parts.interaction, abs=1e-13)


def test_interaction_is_zero_when_only_the_marginals_moved():
    ref = np.array([[40.0, 10.0], [20.0, 30.0]])
    # Same odds ratio, other margins: rescaled rows and columns.
    cur = ref * np.array([[2.0], [0.5]]) * np.array([[1.0, 3.0]])
    parts = chain_rule(cur, ref, smoothing=0.0)
    assert parts.interaction == pytest.approx(0.0, abs=1e-12)
    assert parts.joint > 0.1
    assert association_test(cur.round(), ref)[2] > 0.5


def test_mutual_information_matches_entropy():
    for table, _, _ in _random_tables(2, 20):
        p = table / table.sum()
        independent = np.outer(p.sum(axis=1), p.sum(axis=0))
        assert mutual_information(table) == pytest.approx(entropy(p.ravel(), independent.ravel()), rel=1e-12, abs=1e-15)


def test_association_test_on_a_textbook_table():
    # With one sample scaled from the other the dependence is identical: G = 0.
    ref = np.array([[30, 10], [10, 30]])
    g, dof, p = association_test(ref * 2, ref)
    assert (round(g, 9), dof, p) == (0.0, 1, 1.0)
    # Opposite dependence: with these symmetric counts every two-way margin is flat, so the
    # fitted table is 20 everywhere and X² is Pearson's sum against it.
    x2, dof, p = association_test(ref[::-1], ref)
    observed = np.stack([ref[::-1], ref]).astype(float)
    assert x2 == pytest.approx(np.sum((observed - 20.0) ** 2 / 20.0), rel=1e-9)
    assert dof == 1 and p == pytest.approx(chi2.sf(x2, 1), rel=1e-12) and p < 1e-9


# ---------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def reference():
    return _related(4000, 0)


def test_decoupled_pair_drifts_while_its_columns_stay_ok(reference):
    current = _decoupled(_related(4000, 9), "y")
    report = kd.compare(reference, current, pairs=[("x", "y")])
    assert report["x"].status == "ok" and report["y"].status == "ok"
    pair = report.pairs[("x", "y")]
    assert pair.drifted and pair.status == "drift"
    assert pair.interaction > 0.5 and pair.pvalue < 1e-12
    assert report.drifted
    assert report.pairs[("y", "x")] is pair
    assert ("y", "x") in report.pairs and ("x", "z") not in report.pairs


def test_unchanged_dependence_is_ok(reference):
    report = kd.compare(reference, _related(4000, 5), pairs="auto")
    assert report.pairs, "auto picks the related pairs"
    assert ("x", "y") in report.pairs and ("x", "z") not in report.pairs
    assert not any(p.drifted for p in report.pairs.values())
    assert not report.drifted


def test_only_marginal_moves_leave_the_interaction_small(reference):
    current = _related(4000, 6)
    current["x"] = current["x"] + 1.0
    current["y"] = current["y"] + 1.0
    report = kd.compare(reference, current, pairs=[("x", "y")])
    pair = report.pairs[("x", "y")]
    assert report["x"].drifted and report["y"].drifted
    assert pair.statistic > 0.3
    assert pair.interaction < 0.1 * pair.statistic


def test_every_printed_number_of_a_pair(reference):
    current = _decoupled(_related(4000, 7), "c")
    report = kd.compare(reference, current, pairs=[("x", "c")], min_effect=0.001)
    pair = report.pairs[("x", "c")]
    ref = np.array(pair.reference_counts, dtype=float)
    cur = np.array(pair.current_counts, dtype=float)
    p, q = _smoothed(cur), _smoothed(ref)
    fitted = marginal_fit(q, p.sum(axis=1), p.sum(axis=0))
    assert pair.statistic == pytest.approx(entropy(p.ravel(), q.ravel()), rel=1e-12)
    assert pair.interaction == pytest.approx(entropy(p.ravel(), fitted.ravel()), rel=1e-10)
    assert pair.marginal_part == pytest.approx(entropy(fitted.ravel(), q.ravel()), rel=1e-10)
    assert pair.marginal_x == pytest.approx(entropy(p.sum(axis=1), q.sum(axis=1)), rel=1e-12)
    assert pair.marginal_y == pytest.approx(entropy(p.sum(axis=0), q.sum(axis=0)), rel=1e-12)
    assert pair.statistic == pytest.approx(pair.marginal_x + pair.conditional_y, abs=1e-12)
    for table, mi in ((ref, pair.mutual_information_reference), (cur, pair.mutual_information_current)):
        share = table / table.sum()
        assert mi == pytest.approx(entropy(share.ravel(), np.outer(share.sum(axis=1), share.sum(axis=0)).ravel()), rel=1e-12)
    assert np.sum(pair.contributions) == pytest.approx(pair.interaction, abs=1e-12)
    assert pair.n_reference == 4000 and pair.n_current == 4000
    assert pair.x_labels[-1] != "(missing)", "groups empty on both sides are left out"
    # The pair's marginals are its columns' counts merged by group.
    assert ref.sum(axis=0).tolist() == [
        sum(c for c, label in zip(report["c"].reference_counts, report["c"].bin_labels) if label == lab) for lab in pair.y_labels
    ]
    # The explanation's shares are the raw cell shares.
    first = pair.explanations[0]
    assert f"({pair.mutual_information_reference:.3g} nats)" in first.replace("mutual information ", "")
    assert f"({pair.mutual_information_current:.3g} nats)" in first
    for sentence in pair.explanations[1:]:
        cells = [(i, j) for i in range(ref.shape[0]) for j in range(ref.shape[1])
                 if f"x in {pair.x_labels[i]}" in sentence and f"c = {pair.y_labels[j]}" in sentence]  # fmt: skip
        assert len(cells) == 1
        i, j = cells[0]
        assert sentence.endswith(f" from {ref[i, j] / ref.sum():.1%} to {cur[i, j] / cur.sum():.1%}")
    # Benjamini–Hochberg over one pair is the p-value itself; the p-value is the test's.
    g, dof, pvalue = association_test(cur, ref)
    assert (pair.pvalue, pair.dof, pair.pvalue_adjusted) == (pvalue, dof, pvalue)


def test_pairs_are_adjusted_with_benjamini_hochberg(reference):
    current = _decoupled(_related(4000, 8), "y")
    report = kd.compare(reference, current, pairs=[("x", "y"), ("x", "z"), ("y", "c")])
    raw = [p.pvalue for p in report.pairs.values()]
    adjusted = kd._core.stats.adjust_pvalues(raw, "bh")
    assert [p.pvalue_adjusted for p in report.pairs.values()] == adjusted.tolist()


def test_pairs_in_frame_and_json(reference):
    report = kd.compare(reference, _decoupled(_related(4000, 9), "y"), pairs=[("x", "y"), ("x", "c")])
    frame = report.pairs_to_frame()
    assert list(frame.index) == [("x", "y"), ("x", "c")]
    assert frame.loc[("x", "y"), "status"] == "drift"
    assert frame.loc[("x", "y"), "interaction"] == report.pairs[("x", "y")].interaction
    data = json.loads(report.to_json())
    assert [p["columns"] for p in data["pairs"]] == [["x", "y"], ["x", "c"]]
    assert data["pairs"][0]["interaction"] == report.pairs[("x", "y")].interaction
    assert "pairs" not in kd.compare(reference, reference).to_dict()
    assert kd.compare(reference, reference).pairs_to_frame().empty


def test_higher_base_reports_bits(reference):
    current = _decoupled(_related(4000, 9), "y")
    nats = kd.compare(reference, current, pairs=[("x", "y")]).pairs[("x", "y")]
    bits = kd.compare(reference, current, pairs=[("x", "y")], base=2).pairs[("x", "y")]
    assert bits.interaction == pytest.approx(nats.interaction / math.log(2), rel=1e-12)


# ---------------------------------------------------------------- profiles


def test_profile_keeps_pairs_and_compare_uses_them(reference, tmp_path):
    prof = kd.profile(reference, pairs="auto")
    assert prof.settings["pairs"] == "auto"
    assert all(p.n_rows == len(reference) for p in prof.pairs)
    path = tmp_path / "ref.json"
    prof.save(path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 3 and len(data["pairs"]) == len(prof.pairs)
    loaded = kd.ReferenceProfile.load(path)
    assert loaded == prof and loaded.pairs == prof.pairs
    current = _decoupled(_related(4000, 9), "y")
    report = kd.compare(loaded, current)
    assert report.pairs[("x", "y")].drifted
    assert kd.compare(loaded, current, pairs=[("y", "x")]).pairs[("x", "y")] == report.pairs[("x", "y")]
    # Counts of chunks merge into the counts of the whole.
    chunks = loaded.count(current.iloc[:1500]).merge(loaded.count(current.iloc[1500:]))
    assert chunks.pairs == loaded.count(current).pairs
    merged_report = kd.compare(loaded, chunks)
    assert merged_report.pairs[("x", "y")].interaction == report.pairs[("x", "y")].interaction


def test_profile_without_pairs_stays_schema_2(reference):
    data = kd.profile(reference).to_dict()
    assert data["schema_version"] == 2 and "pairs" not in data


def test_edited_pair_counts_are_refused(reference, tmp_path):
    prof = kd.profile(reference, pairs=[("x", "y")])
    data = prof.to_dict()
    data["pairs"][0]["counts"][0][0] += 1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(kd.ProfileFormatError, match="checksum mismatch"):
        kd.ReferenceProfile.load(path)
    data = prof.to_dict()
    data["pairs"][0]["groups"][0] = data["pairs"][0]["groups"][0][:-1]
    from kl_drift.profile import _checksum

    data["checksum"] = _checksum(data["columns"], data["n_rows"], data["pairs"])
    with pytest.raises(kd.ProfileFormatError, match="pair .*column 'x' needs one group per bin"):
        kd.ReferenceProfile.from_dict(data)


def test_merging_profiles_with_other_pairs_fails(reference):
    a = kd.profile(reference, pairs=[("x", "y")])
    with pytest.raises(kd.IncompatibleProfilesError, match="different pairs"):
        a.merge(a.count(reference).__class__(a.columns, a.n_rows, settings=a.settings))


def test_pair_counts_merge_cell_by_cell():
    a = PairCounts(("x", "y"), ((0, 1, 2), (0, 1)), ((1, 2), (3, 4), (0, 0)))
    assert a.merge(a).counts == ((2, 4), (6, 8), (0, 0))
    with pytest.raises(ValueError, match="different 2-D bins"):
        a.merge(PairCounts(("x", "y"), ((0, 0, 1), (0, 1)), ((1, 2), (3, 4))))
    with pytest.raises(ValueError, match="shape"):
        PairCounts(("x", "y"), ((0, 1, 2), (0, 1)), ((1, 2),))


# ---------------------------------------------------------------- bad input


def test_bad_pairs_options_name_the_problem(reference):
    with pytest.raises(ValueError, match="`pairs` must be 'auto' or a sequence"):
        kd.profile(reference, pairs="all")
    with pytest.raises(ValueError, match="`pairs` must be 'auto' or a sequence"):
        kd.profile(reference, pairs=["x"])
    with pytest.raises(kd.ColumnError, match="'nope'.*not a profiled column"):
        kd.profile(reference, pairs=[("x", "nope")])
    with pytest.raises(kd.ColumnError, match="paired with itself"):
        kd.profile(reference, pairs=[("x", "x")])
    with pytest.raises(ValueError, match="`max_pairs` must be a non-negative integer"):
        kd.profile(reference, pairs="auto", max_pairs=-1)


def test_pairs_the_profile_lacks(reference):
    prof = kd.profile(reference)
    with pytest.raises(kd.ColumnError, match="holds no pair counts for \\('x', 'y'\\)"):
        kd.compare(prof, reference, pairs=[("x", "y")])
    with pytest.raises(ValueError, match="holds no pair counts; build it with kd.profile"):
        kd.compare(prof, reference, pairs="auto")


def test_count_tables_hold_the_profiles_pairs(reference):
    prof = kd.profile(reference, pairs=[("x", "y")])
    table = kd.count(prof, reference)
    assert kd.compare(prof, table).pairs == kd.compare(prof, reference).pairs != {}
    # A table counted without pairs compares none, and cannot be asked for them.
    bare = kd.count(prof, reference, pairs=())
    assert kd.compare(prof, bare).pairs == {}
    with pytest.raises(ValueError, match="a CountTable holds column counts only"):
        kd.compare(prof, bare, pairs="auto")


def test_a_mismatched_column_skips_its_pairs(reference):
    prof = kd.profile(reference, pairs=[("x", "y"), ("x", "z")])
    current = reference.assign(y=["text"] * len(reference))
    report = kd.compare(prof, current)
    assert report["y"].status == "type_mismatch"
    skipped = report.pairs[("x", "y")]
    assert skipped.status == "skipped" and not skipped.drifted and "column 'y'" in skipped.reason
    assert report.pairs[("x", "z")].status == "ok"


def test_auto_leaves_out_identifiers_and_independent_columns():
    rng = np.random.default_rng(4)
    n = 3000
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {"id": [f"row{i}" for i in range(n)], "x": x, "y": -x + 0.2 * rng.normal(size=n), "noise": rng.normal(size=n)}
    )
    prof = kd.profile(frame, pairs="auto")
    assert prof["id"].identifier is not None
    assert [p.columns for p in prof.pairs] == [("x", "y")]
    assert kd.profile(frame, pairs="auto", max_pairs=0).pairs == ()


def test_pair_results_mapping():
    results = PairResults()
    with pytest.raises(KeyError, match="pair \\('a', 'b'\\) is not in the report"):
        results[("a", "b")]


# ---------------------------------------------------------------- rendering


def test_markdown_and_html_show_the_pairs(reference):
    from kl_drift.reporting.html import render_html
    from kl_drift.reporting.markdown import render_markdown

    current = _decoupled(_related(4000, 9), "y").rename(columns={"y": "<y>"})
    report = kd.compare(reference.rename(columns={"y": "<y>"}), current, pairs=[("x", "<y>"), ("c", "z")])
    pair = report.pairs[("x", "<y>")]
    text = render_markdown(report, reference="ref.csv", current=["cur.csv"])
    assert text.splitlines()[0].startswith("**kl_drift: Drift in 1 of 2 column pairs; no drift in 4 compared columns**")
    row = next(line for line in text.splitlines() if line.startswith("| x × &lt;y&gt;"))
    assert "🔴 drift" in row and f"| {pair.statistic:.4g} | {pair.interaction:.4g} |" in row
    page = render_html(report, reference="ref.csv", current=["cur.csv"])
    assert "<script" not in page and "<y>" not in page
    flagged = [p for p in report.pairs.values() if p.status in ("drift", "warn")]
    assert page.count('class="pairmap"') == len(flagged) < len(report.pairs), "a heatmap for the flagged pairs only"
    n_cells = len(pair.x_labels) * len(pair.y_labels)
    section = page.split('class="pairmap"')[1].split("</table>")[0]
    assert section.count("<td") == n_cells
    ref, cur = np.array(pair.reference_counts), np.array(pair.current_counts)
    assert f"{ref[0, 0] / ref.sum():.1%} → {cur[0, 0] / cur.sum():.1%}" in section
    assert "no pairs" not in render_markdown(kd.compare(reference, reference), reference="r", current=["c"])
    assert "Column pairs" not in render_markdown(kd.compare(reference, reference), reference="r", current=["c"])


def test_group_codes_are_the_groups_of_the_row_codes():
    from kl_drift.pairs import column_groups, group_codes

    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "f": np.where(rng.random(3000) < 0.05, np.nan, rng.normal(size=3000)),
            "i": rng.integers(0, 1000, size=3000),
            "t": pd.date_range("2021-01-01", periods=3000, freq="min"),
            "c": rng.choice(list("abcdefgh"), size=3000),
        }
    )
    prof = kd.profile(frame)
    current = frame.sample(frac=1.0, replace=True, random_state=1).reset_index(drop=True)
    current.loc[:5, "f"] = [np.inf, -np.inf, 1e9, -1e9, np.nan, prof["f"].bins.edges[3]]
    for name in frame.columns:
        groups = column_groups(prof[name], len(frame))
        expected = np.asarray(groups)[column_codes(current[name], prof[name])]
        np.testing.assert_array_equal(group_codes(current[name], prof[name], groups), expected)


@pytest.mark.parametrize("dtype", ["object", "string[pyarrow]", "large_string[pyarrow]", "category", "default-str"])
def test_text_group_codes_are_the_groups_of_the_row_codes(dtype):
    """The Arrow lookup of text (and every other path) gives each row its bin's group,
    kept, pooled ("(other)"), unseen and missing values included."""
    from kl_drift.pairs import column_groups, group_codes

    rng = np.random.default_rng(7)
    # 30 values, Zipf-like, so that 4 own a group, some are pooled beyond max_categories.
    values = [f"v{i:02d}" for i in range(30)]
    weights = 1.0 / np.arange(1, 31)
    reference = pd.DataFrame({"c": rng.choice(values, size=4000, p=weights / weights.sum())})
    prof = kd.profile(reference, max_categories=12)
    drawn = rng.choice([*values, "new", "nëw", ""], size=3000).astype(object)
    drawn[rng.random(3000) < 0.05] = None
    if dtype == "default-str":
        current = pd.Series(drawn, dtype="str")
    elif dtype == "large_string[pyarrow]":
        import pyarrow as pa

        current = pd.Series(drawn, dtype=pd.ArrowDtype(pa.large_string()))
    else:
        current = pd.Series(drawn, dtype=dtype)
    col = prof["c"]
    groups = column_groups(col, len(reference))
    assert len(set(groups)) > 3 and col.bins.other_values
    expected = np.asarray(groups)[column_codes(current.astype(object), col)]
    got = group_codes(current, col, groups)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n", [1, 7, 64, 65, 1001, 4 * 65536 + 3, 9 * 65536])
def test_pair_tables_by_bits_equal_a_bincount_per_pair(n):
    from kl_drift._core.pairs import _tables_by_bits, _tables_by_cells, pair_table, pair_tables

    rng = np.random.default_rng(n)
    shapes = [1, 2, 6, 5, 6]
    codes = [rng.integers(0, k, size=n).astype(np.uint8) for k in shapes]
    by_cells = _tables_by_cells(codes, shapes)
    assert list(by_cells) == [(i, j) for i in range(5) for j in range(i + 1, 5)]
    for key, table in by_cells.items():
        i, j = key
        expected = np.zeros((shapes[i], shapes[j]), dtype=np.int64)
        np.add.at(expected, (codes[i], codes[j]), 1)
        np.testing.assert_array_equal(table, expected)
        np.testing.assert_array_equal(pair_table(codes[i], codes[j], (shapes[i], shapes[j])), expected)
        if hasattr(np, "bitwise_count"):
            np.testing.assert_array_equal(_tables_by_bits(codes, shapes)[key], expected)
        np.testing.assert_array_equal(pair_tables(codes, shapes)[key], expected)


def test_group_codes_block_by_block_over_many_blocks():
    """Columns longer than a block: NaN in one block only, integers beyond 2**53 (placed as
    float64, as the row codes place them), float32 and nullable integers."""
    from kl_drift._core.pairs import BLOCK_ROWS
    from kl_drift.pairs import column_groups, group_codes

    n = 2 * BLOCK_ROWS + 5
    rng = np.random.default_rng(3)
    f = rng.normal(size=n)
    f[BLOCK_ROWS + 7 :: 101] = np.nan
    big = 2**53 + rng.integers(-5000, 5000, size=n)
    frame = pd.DataFrame(
        {
            "f": f,
            "big": big,
            "f32": rng.normal(size=n).astype(np.float32),
            "nullable": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 90, size=n)), dtype="Int64"),
        }
    )
    prof = kd.profile(frame)
    current = frame.copy()
    current.loc[:20, "big"] = prof["big"].bins.edges[2]
    for name in frame.columns:
        groups = column_groups(prof[name], n)
        assert len(set(groups)) > 2, name
        expected = np.asarray(groups)[column_codes(current[name], prof[name])]
        np.testing.assert_array_equal(group_codes(current[name], prof[name], groups), expected, err_msg=name)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auto_ranking_equals_an_exact_test_of_every_pair(seed):
    """The screened ranking (every pair's G at once, exact mutual information for those that
    may pass) keeps exactly the pairs, in the order, of testing each pair exactly."""
    from scipy.stats import chi2 as chi2_dist

    from kl_drift.pairs import _strongest, column_groups, group_codes

    rng = np.random.default_rng(seed)
    n = 3000
    base = rng.normal(size=n)
    # Dependences from none to strong, several near the p < 0.001 line at this size.
    frame = pd.DataFrame({f"c{k}": base + s * rng.normal(size=n) for k, s in enumerate([0.5, 2, 4, 6, 8, 12, 50])})
    frame["t"] = np.where(base + rng.normal(size=n) * 8 > 0, "a", "b")
    prof = kd.profile(frame)
    columns = list(prof.columns)

    def sample(names, rows):
        return {name: frame[name] for name in names}

    got = _strongest(sample, n, columns, 100)
    groups = [column_groups(c, n) for c in columns]
    codes = [group_codes(frame[c.name], c, g) for c, g in zip(columns, groups)]
    expected = []
    for i in range(len(columns)):
        for j in range(i + 1, len(columns)):
            table = np.zeros((max(groups[i]) + 1, max(groups[j]) + 1), dtype=np.int64)
            np.add.at(table, (codes[i], codes[j]), 1)
            dof = (np.count_nonzero(table.sum(axis=1)) - 1) * (np.count_nonzero(table.sum(axis=0)) - 1)
            mi = mutual_information(table)
            if dof > 0 and 2 * n * mi > chi2_dist.isf(1e-3, dof):
                expected.append((-mi, columns[i].name, columns[j].name))
    assert got == [(a, b) for _, a, b in sorted(expected)]
    assert 3 <= len(got) < len(columns) * (len(columns) - 1) // 2, got


def _plain_marginal_fit(reference, rows, cols):
    """marginal_fit written plainly (ndarray methods, sums recomputed): the reference path."""
    fit = np.asarray(reference, dtype=np.float64).copy()
    r, c = np.asarray(rows, dtype=np.float64), np.asarray(cols, dtype=np.float64)
    for _ in range(5000):
        fit *= (r / np.maximum(fit.sum(axis=1), 1e-300))[:, None]
        fit *= (c / np.maximum(fit.sum(axis=0), 1e-300))[None, :]
        if np.max(np.abs(fit.sum(axis=1) - r)) <= 1e-13 * max(r.max(), 1e-300):
            break
    return fit


def _plain_association_fit(table):
    """association_test's fit written plainly: the reference path of its loop."""
    xy, sx, sy = table.sum(axis=0), table.sum(axis=2), table.sum(axis=1)
    fit = xy[None, :, :] * (table.sum(axis=(1, 2)) / table.sum())[:, None, None]

    def ratio(target, current):
        return np.divide(target, current, out=np.zeros_like(target), where=current > 0)

    for _ in range(500):
        previous = fit
        fit = fit * ratio(sx, fit.sum(axis=2))[:, :, None]
        fit = fit * ratio(sy, fit.sum(axis=1))[:, None, :]
        fit = fit * ratio(xy, fit.sum(axis=0))[None, :, :]
        if np.max(np.abs(fit - previous)) <= 1e-9 * max(float(table.max()), 1.0):
            break
    return fit


def test_fits_equal_their_plain_form_bit_for_bit():
    """The fits' leaner loops (ufunc reductions, sums reused) give the plain loops' bits."""
    from scipy.stats import chi2 as chi2_dist

    rng = np.random.default_rng(11)
    for trial in range(60):
        shape = (int(rng.integers(2, 7)), int(rng.integers(2, 7)))
        sparse = trial % 3 == 0
        ref = rng.poisson(0.3 if sparse else 30, size=shape) + (0 if sparse else rng.integers(0, 200, size=shape))
        cur = rng.poisson(0.3 if sparse else 30, size=shape)
        q = _smoothed(ref)
        p = _smoothed(cur)
        got = marginal_fit(q, p.sum(axis=1), p.sum(axis=0))
        assert got.tobytes() == _plain_marginal_fit(q, p.sum(axis=1), p.sum(axis=0)).tobytes()
        x2, dof, pvalue = association_test(cur, ref)
        table = np.stack([np.asarray(cur, dtype=np.float64), np.asarray(ref, dtype=np.float64)])
        table = table[:, table.sum(axis=(0, 2)) > 0, :]
        table = table[:, :, table.sum(axis=(0, 1)) > 0]
        if table.shape[1] < 2 or table.shape[2] < 2 or min(table[0].sum(), table[1].sum()) == 0:
            continue
        swapped = table.transpose(0, 2, 1)
        if (swapped.shape, swapped.tobytes()) < (table.shape, table.tobytes()):
            table = np.ascontiguousarray(swapped)
        fit = _plain_association_fit(table)
        positive = fit > 0
        expected = float(np.sum((table[positive] - fit[positive]) ** 2 / fit[positive]))
        assert x2 == expected
        if dof:
            assert pvalue == float(chi2_dist.sf(expected, dof))


def test_report_repr_lists_the_pairs(reference):
    report = kd.compare(reference, _decoupled(_related(4000, 9), "y"), pairs=[("x", "y")])
    pair = report.pairs[("x", "y")]
    line = repr(report).splitlines()[-1]
    assert line.split()[:4] == ["x", "×", "y", "drift"] and f"interaction={pair.interaction:.4g}" in line


def test_columns_restrict_the_profiles_pairs_unless_pairs_are_named(reference):
    prof = kd.profile(reference, pairs=[("x", "y"), ("x", "z")])
    current = _decoupled(_related(4000, 9), "y")
    assert set(kd.compare(prof, current).pairs) == {("x", "y"), ("x", "z")}
    only = kd.compare(prof, current, columns=["x", "z"])
    assert list(only.pairs) == [("x", "z")] and [c.column for c in only] == ["x", "z"]
    assert not kd.compare(prof, current, columns=["x"]).pairs
    named = kd.compare(prof, current, columns=["x", "z"], pairs=[("x", "y")])
    assert list(named.pairs) == [("x", "y")] and named.pairs[("x", "y")].drifted


# ---------------------------------------------------------------- counts and groups in one pass


@pytest.fixture
def numpy_path(monkeypatch):
    """The numpy counting path (the compiled kernels stay in use once a test loaded them)."""
    from kl_drift._core import kernels

    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    kernels.prepare(0)
    yield
    monkeypatch.delenv(kernels.DISABLE_ENV)
    kernels.prepare(0)


def _cells_from_row_codes(frame: pd.DataFrame, prof, pair) -> np.ndarray:
    """A pair's cells counted independently: each row's bin (`column_codes`), its group,
    one ``np.add.at`` per row."""
    table = np.zeros(pair.table.shape, dtype=np.int64)
    placed = [np.asarray(g)[column_codes(frame[name], prof[name])] for name, g in zip(pair.columns, pair.groups)]
    np.add.at(table, tuple(placed), 1)
    return table


@pytest.mark.parametrize("group", ["synthetic", "flights"])
def test_counts_with_groups_equal_the_engine_and_the_row_codes(group, numpy_path):
    """Every column of the conformance catalogue: the column counted with its groups gives
    the engine's counts, and the groups of its rows' bins, whichever path it takes."""
    from kl_drift._engines.pandas_groups import count_column_grouped
    from kl_drift.pairs import column_groups
    from tests.conformance.catalogue import groups, reference_profile

    frames = groups()[group]
    prof = reference_profile(group)
    fused: dict[str, set[str]] = {"reference": set(), "current": set()}
    for col in prof.columns:
        if col.bins is None:
            continue
        n_groups = column_groups(col, prof.n_rows)
        for side, frame in (("reference", frames.reference), ("current", frames.current)):
            if col.name not in frame.columns:
                continue
            series = frame[col.name]
            counted, codes = count_column_grouped(series, col.bins, col.name, n_groups)
            assert counted == count_column(series, col.bins, col.name), col.name
            if codes is not None:
                fused[side].add(col.name)
                assert codes.dtype == np.uint8
                np.testing.assert_array_equal(codes, np.asarray(n_groups)[column_codes(series, col)], err_msg=col.name)
    # The one-pass path is taken by numbers, integers and text (not datetimes, nor a column
    # whose current type does not fit its bins).
    expected = {
        "synthetic": {"amount", "rating", "visits", "member", "channel", "sku"},
        "flights": {"dep_delay", "carrier", "origin"},
    }
    assert expected[group] <= fused["current"] & fused["reference"], expected[group]
    assert not (fused["current"] | fused["reference"]) & {"created", "shipped_at", "time_hour"}
    assert "code" not in fused["current"]


def test_compare_counts_pairs_as_the_row_codes_place_them():
    """Pairs of every kind counted by `compare` (groups from the column count) equal an
    independent count, and the counts of the separate pass; skipped columns stay skipped."""
    from kl_drift.pairs import count_pairs
    from tests.conformance.catalogue import groups

    frames = groups()["synthetic"]
    names = ["amount", "rating", "visits", "member", "channel", "sku", "created", "code"]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(frames.reference, pairs=pairs)
        report = kd.compare(prof, frames.current, n_permutations=200)
    by_columns = {p.columns: p for p in prof.pairs}
    current = frames.current
    separate = {p.columns: p for p in count_pairs(current, prof, [p for p in prof.pairs if "code" not in p.columns])}
    for key, result in report.pairs.items():
        if "code" in key:
            assert result.status == "skipped"
            continue
        expected = _cells_from_row_codes(current, prof, by_columns[key])
        rows, cols = (
            expected.sum(axis=1) + by_columns[key].table.sum(axis=1) > 0,
            expected.sum(axis=0) + by_columns[key].table.sum(axis=0) > 0,
        )
        np.testing.assert_array_equal(np.asarray(result.current_counts), expected[np.ix_(rows, cols)], err_msg=str(key))
        np.testing.assert_array_equal(separate[key].table, expected, err_msg=str(key))


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["a", None, "b", "a", "zz"] * 40, dtype="string[pyarrow]"),
        pd.Series(["a", None, "b", "a", "zz"] * 40, dtype="str"),
        pd.Series(pd.Categorical(["a", None, "b", "a", "zz"] * 40, categories=["zz", "b", "a", "unused"])),
        pd.Series([True, False, True, True, False] * 40),
        pd.Series([1.5, np.nan, -np.inf, np.inf, 0.0] * 40),
        pd.Series(np.arange(200) * 7, dtype="int32"),
    ],
    ids=["arrow", "str", "category", "bool", "float-inf-nan", "int32"],
)
def test_counts_with_groups_of_each_storage(values, numpy_path):
    from kl_drift._engines.pandas_groups import count_column_grouped
    from kl_drift.pairs import column_groups

    reference = pd.DataFrame({"v": values.sample(frac=1.0, random_state=2).reset_index(drop=True)})
    if values.dtype == np.float64:
        # Numeric bins, with edges at 0.0 and beyond it.
        reference["v"] = np.linspace(-3, 3, len(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference, max_categories=2)
    col = prof["v"]
    n_groups = column_groups(col, 400)
    counted, codes = count_column_grouped(values, col.bins, "v", n_groups)
    assert counted == count_column(values, col.bins, "v")
    assert codes is not None
    np.testing.assert_array_equal(codes, np.asarray(n_groups)[column_codes(values, col)])


def test_counts_with_groups_beyond_one_block_and_at_the_edges(numpy_path):
    """Many blocks, NaN in some only, values equal to every edge, a group map whose
    "(missing)" does not follow the top group, and integers beyond 2**53 (left to the
    separate pass, which places them as float64)."""
    from kl_drift._core.pairs import BLOCK_ROWS
    from kl_drift._engines.pandas_groups import count_column_grouped, numeric_groups_counted

    rng = np.random.default_rng(8)
    n = 3 * BLOCK_ROWS + 11
    x = rng.normal(size=n)
    x[BLOCK_ROWS + 3 :: 97] = np.nan
    prof = kd.profile(pd.DataFrame({"x": x, "i": rng.integers(-50, 50, size=n), "big": 2**53 + rng.integers(0, 999, size=n)}))
    edges = prof["x"].bins.edges
    x[: len(edges)] = edges
    for groups in ((0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5), (0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 0)):
        got = numeric_groups_counted(x, edges, groups)
        assert got is not None
        counts, n_inf, codes = got
        assert tuple(counts.tolist()) == count_column(pd.Series(x), prof["x"].bins, "x").counts and n_inf == 0
        np.testing.assert_array_equal(codes, np.asarray(groups)[column_codes(pd.Series(x), prof["x"])])
    for name in ("i", "big"):
        col = prof[name]
        series = pd.Series(rng.integers(-60, 60, size=n) if name == "i" else 2**53 + rng.integers(-9, 999, size=n))
        n_groups = tuple(min(g, 4) for g in range(col.bins.n_bins))
        n_groups = (*n_groups[:-1], max(n_groups[:-1]) + 1)
        counted, codes = count_column_grouped(series, col.bins, name, n_groups)
        assert counted == count_column(series, col.bins, name)
        if name == "i":
            np.testing.assert_array_equal(codes, np.asarray(n_groups)[column_codes(series, col)])


def test_pairs_are_the_same_with_the_compiled_kernels(monkeypatch):
    """With the kernels counting numeric columns, their groups are placed apart: same pairs."""
    pytest.importorskip("numba")
    from kl_drift._core import kernels
    from tests.conformance.catalogue import groups

    frames = groups()["synthetic"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(frames.reference, pairs=[("amount", "visits"), ("amount", "sku"), ("rating", "channel")])

        def pairs():
            return [p.to_dict() for p in kd.compare(prof, frames.current, n_permutations=100).pairs.values()]

        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
        plain = pairs()
        monkeypatch.delenv(kernels.DISABLE_ENV)
        monkeypatch.setenv(kernels.FORCE_ENV, "1")
        assert kernels.ready()
        assert pairs() == plain


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (6, 6), (16, 17)])
def test_pair_table_counts_each_row_once(shape):
    """Rows read two at a time (a uint16 of two cell codes), an odd row out, blocks of
    rows, and tables of more than 256 cells (counted a row at a time)."""
    from kl_drift._core.pairs import pair_table

    rng = np.random.default_rng(sum(shape))
    for n in (0, 1, 2, 3, 262_145):
        x, y = rng.integers(0, shape[0], size=n).astype(np.uint8), rng.integers(0, shape[1], size=n).astype(np.uint8)
        expected = np.zeros(shape, dtype=np.int64)
        np.add.at(expected, (x, y), 1)
        got = pair_table(x, y, shape)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)
