"""Parity of the divergences with scipy, the G-test p-value, and the report's handling of inf."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2, chi2_contingency, entropy

import kl_drift as kd
from kl_drift._core.divergence import divergence_terms, expected_statistic, g_test

TOL = 1e-12
BASES = [math.e, 2]


def smoothed(counts: np.ndarray, alpha: float) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    return (counts + alpha) / (counts.sum() + alpha * counts.size)


def random_counts(seed: int, k: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Two count vectors over the same k bins, with some zeros on each side and some on both."""
    rng = np.random.default_rng(seed)
    p = rng.integers(0, 200, k)
    q = rng.integers(0, 200, k)
    p[rng.random(k) < 0.2] = 0
    q[rng.random(k) < 0.2] = 0
    p[0] = q[0] = 0  # a bin empty on both sides
    p[1] = max(p[1], 1)
    q[2] = max(q[2], 1)
    return p, q


SEEDS = range(8)


def expected_by_scipy(p_s: np.ndarray, q_s: np.ndarray, direction: str, base: float) -> float:
    if direction == "current||reference":
        return float(entropy(p_s, q_s, base=base))
    if direction == "reference||current":
        return float(entropy(q_s, p_s, base=base))
    if direction == "symmetric":
        return float(entropy(p_s, q_s, base=base) + entropy(q_s, p_s, base=base))
    return float(jensenshannon(p_s, q_s, base=base) ** 2)


# --- low level: kd.kl_divergence / kd.js_divergence smooth every bin given -------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("alpha", [0.5, 1.0, 0.01])
def test_kl_divergence_equals_scipy_entropy_on_smoothed_counts(seed, base, alpha):
    p, q = random_counts(seed)
    got = kd.kl_divergence(p, q, smoothing=alpha, base=base)
    want = entropy(smoothed(p, alpha), smoothed(q, alpha), base=base)
    assert got == pytest.approx(want, abs=TOL, rel=TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("base", BASES)
def test_js_divergence_equals_scipy_jensenshannon_squared(seed, base):
    p, q = random_counts(seed)
    got = kd.js_divergence(p, q, smoothing=0.5, base=base)
    want = jensenshannon(smoothed(p, 0.5), smoothed(q, 0.5), base=base) ** 2
    assert got == pytest.approx(want, abs=TOL, rel=1e-10)


def test_bits_are_nats_over_ln2():
    p, q = random_counts(3)
    nats = kd.kl_divergence(p, q)
    bits = kd.kl_divergence(p, q, base=2)
    assert bits == pytest.approx(nats / math.log(2), rel=TOL)
    assert bits > nats


def test_kl_divergence_of_identical_counts_is_zero():
    assert kd.kl_divergence([3, 0, 7], [3, 0, 7]) == 0.0
    assert kd.js_divergence([3, 0, 7], [3, 0, 7]) == 0.0


def test_kl_divergence_is_asymmetric_and_argument_order_is_p_then_q():
    p, q = [90, 10, 0], [30, 30, 40]
    forward = kd.kl_divergence(p, q)
    assert forward == pytest.approx(entropy(smoothed(p, 0.5), smoothed(q, 0.5)), rel=TOL)
    assert forward != pytest.approx(kd.kl_divergence(q, p))


def test_kl_divergence_without_smoothing_is_inf_where_q_has_an_empty_bin():
    assert kd.kl_divergence([1, 1], [2, 0], smoothing=0) == math.inf
    assert kd.kl_divergence([2, 0], [1, 1], smoothing=0) == pytest.approx(math.log(2), rel=TOL)


def test_js_without_smoothing_is_bounded_by_log2():
    assert kd.js_divergence([1, 0], [0, 1], smoothing=0) == pytest.approx(math.log(2), rel=TOL)
    assert kd.js_divergence([1, 0], [0, 1], smoothing=0, base=2) == pytest.approx(1.0, rel=TOL)


@pytest.mark.parametrize(
    ("p", "q", "match"),
    [
        ([1, -1], [1, 1], "non-negative"),
        ([1, 2, 3], [1, 2], "same length"),
        ([1, np.nan], [1, 1], "non-negative finite"),
        ([[1, 2]], [[1, 2]], "1-D"),
        ([], [], "at least one bin"),
    ],
)
def test_kl_divergence_rejects_bad_count_vectors(p, q, match):
    with pytest.raises(ValueError, match=match):
        kd.kl_divergence(p, q)


@pytest.mark.parametrize("smoothing", [-0.5, math.nan, math.inf, "0.5", True])
def test_kl_divergence_rejects_bad_smoothing(smoothing):
    with pytest.raises(ValueError, match="`smoothing`"):
        kd.kl_divergence([1, 2], [2, 1], smoothing=smoothing)


# --- divergence_terms: what compare uses (drops bins empty on both sides) --------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("direction", kd.DIRECTIONS)
def test_divergence_terms_equal_scipy_after_dropping_empty_bins(seed, base, direction):
    cur, ref = random_counts(seed)
    keep = (cur + ref) > 0
    assert not keep.all(), "the fixture must hold a bin empty on both sides"
    p_s, q_s = smoothed(cur[keep], 0.5), smoothed(ref[keep], 0.5)
    statistic, contributions = divergence_terms(cur, ref, direction=direction, base=base)
    assert statistic == pytest.approx(expected_by_scipy(p_s, q_s, direction, base), abs=TOL, rel=1e-10)
    assert contributions.shape == cur.shape
    assert np.all(contributions[~keep] == 0)
    assert contributions.sum() == pytest.approx(statistic, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_symmetric_is_the_psi_textbook_formula(seed):
    cur, ref = random_counts(seed)
    keep = (cur + ref) > 0
    p, q = smoothed(cur[keep], 0.5), smoothed(ref[keep], 0.5)
    psi = float(np.sum((p - q) * np.log(p / q)))
    statistic, _ = divergence_terms(cur, ref, direction="symmetric")
    assert statistic == pytest.approx(psi, abs=TOL, rel=1e-10)


def test_kl_divergence_keeps_bins_empty_on_both_sides_but_divergence_terms_drops_them():
    cur, ref = np.array([10, 0, 5]), np.array([4, 0, 11])
    with_empty = kd.kl_divergence(cur, ref)
    dropped, _ = divergence_terms(cur, ref)
    assert with_empty == pytest.approx(entropy(smoothed(cur, 0.5), smoothed(ref, 0.5)), rel=TOL)
    assert dropped == pytest.approx(kd.kl_divergence(cur[[0, 2]], ref[[0, 2]]), rel=TOL)
    assert with_empty != pytest.approx(dropped, rel=1e-6)


# --- compare: statistic, p-value, expected statistic, contributions ---------------------------


@pytest.fixture
def category_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Categorical data whose "(unseen)" and "(missing)" bins are empty on both sides."""
    rng = np.random.default_rng(7)
    cats = np.array(["a", "b", "c", "d", "e"], dtype=object)
    ref = pd.DataFrame({"c": rng.choice(cats, 4000, p=[0.4, 0.3, 0.15, 0.1, 0.05])})
    cur = pd.DataFrame({"c": rng.choice(cats, 1500, p=[0.3, 0.3, 0.2, 0.1, 0.1])})
    return ref, cur


def independent_counts(ref: pd.Series, cur: pd.Series, labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both sides per label, from pandas value_counts (categories only)."""
    rc = ref.value_counts(dropna=False)
    cc = cur.value_counts(dropna=False)
    r = np.array([rc.get(label, 0) for label in labels], dtype=np.int64)
    c = np.array([cc.get(label, 0) for label in labels], dtype=np.int64)
    return r, c


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("direction", kd.DIRECTIONS)
def test_compare_statistic_matches_scipy_on_recounted_bins(category_frames, direction, base):
    ref, cur = category_frames
    col = kd.compare(ref, cur, direction=direction, base=base)["c"]
    assert col.bin_labels == ("a", "b", "c", "d", "e", "(unseen)", "(missing)")
    r, c = independent_counts(ref["c"], cur["c"], col.bin_labels)
    assert col.reference_counts == tuple(r) and col.current_counts == tuple(c)
    keep = (r + c) > 0
    assert keep.sum() == 5
    want = expected_by_scipy(smoothed(c[keep], 0.5), smoothed(r[keep], 0.5), direction, base)
    assert col.statistic == pytest.approx(want, abs=TOL, rel=1e-10)
    assert col.direction == direction and col.base == base


def test_compare_statistic_differs_from_smoothing_every_bin(category_frames):
    """Smoothing the two empty bins too would give another (wrong, for compare) number."""
    ref, cur = category_frames
    col = kd.compare(ref, cur)["c"]
    naive = kd.kl_divergence(col.current_counts, col.reference_counts)
    assert col.statistic != pytest.approx(naive, rel=1e-9)


def williams_pvalue(table: np.ndarray) -> tuple[float, float, int]:
    """G-test of an r x c table by scipy, then Williams' (1976) correction q of G before the chi2 tail."""
    res = chi2_contingency(table, lambda_="log-likelihood", correction=False)
    n = table.sum()
    r, c = table.shape
    q = 1 + (n * np.sum(1 / table.sum(axis=1)) - 1) * (n * np.sum(1 / table.sum(axis=0)) - 1) / (6 * n * (r - 1) * (c - 1))
    return float(chi2.sf(res.statistic / q, res.dof)), float(res.statistic), int(res.dof)


def test_g_test_equals_scipy_chi2_contingency(category_frames):
    ref, cur = category_frames
    col = kd.compare(ref, cur)["c"]
    c, r = np.array(col.current_counts), np.array(col.reference_counts)
    keep = (c + r) > 0
    res = chi2_contingency(np.vstack([c, r])[:, keep], lambda_="log-likelihood", correction=False)
    g, dof, pvalue = g_test(c, r)
    assert g == pytest.approx(res.statistic, rel=1e-10)
    assert dof == res.dof == col.dof == keep.sum() - 1
    assert pvalue == pytest.approx(res.pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("method", ["asymptotic", "auto"])
def test_compare_pvalue_is_the_williams_corrected_g_test(category_frames, method):
    ref, cur = category_frames
    col = kd.compare(ref, cur, pvalue_method=method)["c"]
    assert col.pvalue_method == "asymptotic"  # every expected count is large here
    c, r = np.array(col.current_counts), np.array(col.reference_counts)
    keep = (c + r) > 0
    want, _, dof = williams_pvalue(np.vstack([c, r])[:, keep])
    assert col.pvalue == pytest.approx(want, rel=1e-9, abs=1e-300)
    assert col.dof == dof


def test_compare_pvalue_on_numeric_column_with_tail_and_missing_bins(reference_df, current_df):
    prof = kd.profile(reference_df)
    report = kd.compare(prof, current_df, pvalue_method="asymptotic", correction="none")
    for col in report:
        c, r = np.array(col.current_counts), np.array(col.reference_counts)
        bins = prof[col.column].bins
        if isinstance(bins, kd.NumericBins) and bins.low is not None:
            # The bins beyond the reference range (one below, one above for quantile edges)
            # join their neighbours for the test: the reference has no rows there.
            c, r = (np.r_[v[0] + v[1], v[2:-3], v[-3] + v[-2], v[-1]] for v in (c, r))
        keep = (c + r) > 0
        want, _, _ = williams_pvalue(np.vstack([c, r])[:, keep])
        assert col.pvalue == pytest.approx(want, rel=1e-8, abs=1e-300), col.column
        assert col.pvalue_adjusted == col.pvalue


def test_pvalue_does_not_depend_on_the_row_order_of_unseen_values():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"c": rng.choice(np.array(list("abc"), dtype=object), 300)})
    new = ["x", "y", "y", "z", "w", "w", "w"]
    cur = pd.DataFrame({"c": [*rng.choice(np.array(list("abc"), dtype=object), 40), *new]})
    prof = kd.profile(ref)
    first = kd.compare(prof, cur)["c"]
    for order in (cur.iloc[::-1], cur.sample(frac=1, random_state=2)):
        again = kd.compare(prof, order)["c"]
        assert again.pvalue == first.pvalue
        assert again.unseen_examples == first.unseen_examples
        assert again == first


def test_g_test_of_a_single_bin_has_no_evidence():
    assert g_test([5, 0], [7, 0]) == (0.0, 0, 1.0)


@pytest.mark.parametrize("direction", ["current||reference", "reference||current"])
def test_expected_statistic_is_k_minus_1_over_2_neff(category_frames, direction):
    ref, cur = category_frames
    col = kd.compare(ref, cur, direction=direction)["c"]
    k = int(np.count_nonzero(np.add(col.current_counts, col.reference_counts)))
    n_eff = col.n_current * col.n_reference / (col.n_current + col.n_reference)
    assert col.expected_statistic == pytest.approx((k - 1) / (2 * n_eff), rel=TOL)


def test_expected_statistic_in_bits_and_other_directions():
    nats = expected_statistic(10, 1000, 3000)
    n_eff = 1000 * 3000 / 4000
    assert nats == pytest.approx(9 / (2 * n_eff), rel=TOL)
    assert expected_statistic(10, 1000, 3000, base=2) == pytest.approx(nats / math.log(2), rel=TOL)
    assert expected_statistic(10, 1000, 3000, direction="symmetric") == pytest.approx(2 * nats, rel=TOL)
    assert expected_statistic(1, 1000, 3000) == 0.0


def test_expected_statistic_matches_the_mean_null_score():
    """Under no drift the mean smoothed KL is close to (k-1)/(2 n_eff) (G-test asymptotics)."""
    rng = np.random.default_rng(11)
    probs = np.full(8, 1 / 8)
    n_cur, n_ref = 2000, 5000
    scores = [
        divergence_terms(rng.multinomial(n_cur, probs), rng.multinomial(n_ref, probs))[0]
        for _ in range(400)
    ]
    expected = expected_statistic(8, n_cur, n_ref)
    assert np.mean(scores) == pytest.approx(expected, rel=0.15)


def test_contributions_sum_to_the_statistic(reference_df, current_df):
    for direction in kd.DIRECTIONS:
        for col in kd.compare(reference_df, current_df, direction=direction):
            assert len(col.contributions) == len(col.bin_labels) == len(col.reference_counts)
            assert math.fsum(col.contributions) == pytest.approx(col.statistic, abs=1e-12), (direction, col.column)


def test_top_contributions_are_ordered_by_absolute_size(category_frames):
    ref, cur = category_frames
    col = kd.compare(ref, cur)["c"]
    top = col.top_contributions(10)
    sizes = [abs(t["contribution"]) for t in top]
    assert sizes == sorted(sizes, reverse=True)
    # Bins empty on both sides contribute nothing and are not listed.
    assert {t["bin"] for t in top} == {"a", "b", "c", "d", "e"}
    assert len(col.top_contributions(2)) == 2
    assert top[0]["contribution"] == max(col.contributions, key=abs)
    index = col.bin_labels.index(top[0]["bin"])
    assert top[0]["reference_proportion"] == col.reference_proportions[index]
    assert top[0]["current_proportion"] == col.current_proportions[index]


def test_top_contribution_points_at_the_new_category():
    ref = pd.Series(["a"] * 500 + ["b"] * 500, name="plan")
    cur = pd.Series(["a"] * 400 + ["b"] * 400 + ["c"] * 200, name="plan")
    col = kd.score(ref, cur)
    assert col.top_contributions(1)[0]["bin"] == "(unseen)"
    assert col.novel_fraction == pytest.approx(0.2)


# --- smoothing=0: inf is reported honestly ---------------------------------------------------


def test_unsmoothed_score_of_a_new_category_is_inf_not_nan(strict_loads):
    ref = pd.DataFrame({"c": ["a", "b"] * 50})
    cur = pd.DataFrame({"c": ["a", "b", "new", "a"] * 25})
    report = kd.compare(ref, cur, smoothing=0)
    col = report["c"]
    assert col.statistic == math.inf
    assert not any(math.isnan(x) for x in col.contributions)
    assert col.status == "drift" and col.drifted and report.drifted
    assert "inf" in repr(report)
    data = strict_loads(report.to_json())
    assert data["columns"][0]["statistic"] == "inf"
    assert "inf" in data["columns"][0]["contributions"]
    assert strict_loads(json.dumps(col.to_dict(), allow_nan=False))["statistic"] == "inf"
    frame = report.to_frame()
    assert frame.loc["c", "statistic"] == math.inf


@pytest.mark.parametrize(
    ("direction", "finite"),
    [("current||reference", True), ("reference||current", False), ("symmetric", False), ("js", True)],
)
def test_unsmoothed_score_of_a_vanished_category(direction, finite, strict_loads):
    ref = pd.DataFrame({"c": ["a", "b", "gone"] * 40})
    cur = pd.DataFrame({"c": ["a", "b"] * 60})
    col = kd.compare(ref, cur, smoothing=0, direction=direction)["c"]
    assert not math.isnan(col.statistic)
    assert math.isfinite(col.statistic) is finite
    strict_loads(kd.compare(ref, cur, smoothing=0, direction=direction).to_json())


def test_smoothed_scores_are_always_finite():
    ref = pd.DataFrame({"c": ["a"] * 1000})
    cur = pd.DataFrame({"c": ["z"] * 1000})
    with pytest.warns(kd.ConstantInputWarning, match="'c'"):
        prof = kd.profile(ref)
    for direction in kd.DIRECTIONS:
        col = kd.compare(prof, cur, direction=direction)["c"]
        assert math.isfinite(col.statistic) and col.status == "drift", direction
