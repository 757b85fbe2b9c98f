"""Seeded simulation studies: are kl_drift's alarms as trustworthy as its docs claim?

Under no drift, a column should be flagged at rate alpha = 0.05 whatever the sample size,
number of bins or reference size (false-positive rate within [0.03, 0.07]); under real
drift of a stated size it should be flagged at least 95% of the time. Every cell is a
fixed-seed simulation through the public API (profile, count, test), so the numbers are
reproducible. The full grid is marked slow (`pytest -m slow`); a quick subset runs always.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

ALPHA = 0.05
FPR_BAND = (0.03, 0.07)
REPLICATIONS = 1000


def _draw(kind: str, rng: np.random.Generator, n: int, k: int) -> pd.DataFrame:
    if kind == "numeric":
        return pd.DataFrame({"x": rng.normal(size=n)})
    shares = np.linspace(1, 3, k)
    return pd.DataFrame({"x": rng.choice(k, size=n, p=shares / shares.sum()).astype(str)})


def false_positive_rate(kind: str, n_current: int, k: int, ratio: int, reps: int = REPLICATIONS) -> float:
    """Share of undrifted replications flagged at ALPHA with pure significance (min_effect=0)."""
    rng = np.random.default_rng([n_current, k, ratio, kind == "numeric"])
    options = {"bins": k, "discrete_threshold": 0} if kind == "numeric" else {}
    flagged = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        for _ in range(reps):
            reference = _draw(kind, rng, n_current * ratio, k)
            current = _draw(kind, rng, n_current, k)
            report = kd.compare(reference, current, threshold="auto", min_effect=0, alpha=ALPHA, **options)
            flagged += report["x"].drifted
    return flagged / reps


QUICK = [("numeric", 50, 30, 1), ("categorical", 50, 30, 1), ("categorical", 500, 10, 10), ("numeric", 5000, 10, 10)]
GRID = [
    (kind, n, k, ratio)
    for kind in ("numeric", "categorical")
    for n in (50, 500, 5000, 100_000)
    for k in (5, 10, 30)
    for ratio in (1, 10)
    if (kind, n, k, ratio) not in QUICK
]


@pytest.mark.parametrize(("kind", "n_current", "k", "ratio"), QUICK)
def test_false_positive_rate_quick(kind: str, n_current: int, k: int, ratio: int) -> None:
    rate = false_positive_rate(kind, n_current, k, ratio)
    assert FPR_BAND[0] <= rate <= FPR_BAND[1], f"false-positive rate {rate:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "n_current", "k", "ratio"), GRID)
def test_false_positive_rate_grid(kind: str, n_current: int, k: int, ratio: int) -> None:
    reps = 300 if n_current * ratio >= 1_000_000 else REPLICATIONS
    rate = false_positive_rate(kind, n_current, k, ratio, reps)
    # 300 replications carry a wider sampling error (sd 0.013); widen the band to 2.5 sd.
    low, high = FPR_BAND if reps == REPLICATIONS else (0.05 - 0.032, 0.05 + 0.032)
    assert low <= rate <= high, f"false-positive rate {rate:.3f}"


# --- high-cardinality columns: new values judged against what sampling leaves unseen ---------


def _zipf(rng: np.random.Generator, n: int, k: int) -> pd.DataFrame:
    shares = 1 / np.arange(1, k + 1)
    return pd.DataFrame({"x": rng.choice(k, size=n, p=shares / shares.sum()).astype(str)})


def zipf_rates(k: int, n_reference: int, n_current: int, reps: int) -> tuple[float, float]:
    """False-positive rates of pure significance (min_effect=0) and of the default decision,
    on undrifted Zipf(1) columns of k values: a fresh reference and batch per replication."""
    rng = np.random.default_rng([k, n_reference, n_current, 7])
    significant = default = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        for _ in range(reps):
            prof = kd.profile(_zipf(rng, n_reference, k))
            current = _zipf(rng, n_current, k)
            significant += kd.compare(prof, current, min_effect=0)["x"].drifted
            default += kd.compare(prof, current)["x"].drifted
    return significant / reps, default / reps


ZIPF_QUICK = [(300, 1000, 1000), (3000, 1000, 100)]
ZIPF_GRID = [
    (k, n_reference, n_current)
    for k in (300, 3000)
    for n_reference in (1000, 100_000)
    for n_current in sorted({100, 1000, n_reference})
    if (k, n_reference, n_current) not in ZIPF_QUICK
]


@pytest.mark.parametrize(("k", "n_reference", "n_current"), ZIPF_QUICK)
def test_zipf_false_positive_rate_quick(k: int, n_reference: int, n_current: int) -> None:
    significant, default = zipf_rates(k, n_reference, n_current, 400)
    assert FPR_BAND[0] <= significant <= FPR_BAND[1], f"false-positive rate {significant:.3f}"
    assert default <= FPR_BAND[1]


@pytest.mark.slow
@pytest.mark.parametrize(("k", "n_reference", "n_current"), ZIPF_GRID)
def test_zipf_false_positive_rate_grid(k: int, n_reference: int, n_current: int) -> None:
    """Pure significance within 5% ± 2% in every cell; the default decision (which also asks
    for min_effect) never above 7% — with 100k rows on both sides noise never reaches it."""
    reps = 600 if n_reference >= 100_000 else REPLICATIONS
    significant, default = zipf_rates(k, n_reference, n_current, reps)
    assert FPR_BAND[0] <= significant <= FPR_BAND[1], f"false-positive rate {significant:.3f}"
    assert default <= FPR_BAND[1], f"default decision {default:.3f}"


def identifier_rates(n_reference: int, n_current: int, distinct: float, reps: int) -> tuple[float, float]:
    """Alarm rates on undrifted identifier-like text columns (a share `distinct` of the rows
    hold a value of their own, the rest repeat one of 50 codes): by default, and scored."""
    rng = np.random.default_rng([n_reference, n_current, int(distinct * 100)])

    def draw(n: int) -> pd.DataFrame:
        own = rng.random(n) < distinct
        ids = np.array([f"id-{v}" for v in rng.integers(0, 10**12, n)], dtype=object)
        codes = np.array([f"code-{v}" for v in rng.integers(0, 50, n)], dtype=object)
        return pd.DataFrame({"x": np.where(own, ids, codes)})

    default = scored = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        for _ in range(reps):
            prof = kd.profile(draw(n_reference))
            assert prof["x"].identifier is not None
            current = draw(n_current)
            result = kd.compare(prof, current)["x"]
            assert result.status == "identifier" and "distinct" in result.reason
            default += result.drifted
            scored += kd.compare(prof, current, score_identifiers=True, min_effect=0)["x"].drifted
    return default / reps, scored / reps


@pytest.mark.parametrize(("n_reference", "n_current", "distinct"), [(1000, 1000, 0.97)])
def test_identifier_columns_are_not_scored_and_do_not_alarm_quick(n_reference: int, n_current: int, distinct: float) -> None:
    default, scored = identifier_rates(n_reference, n_current, distinct, 200)
    assert default == 0
    assert scored <= FPR_BAND[1], f"scored identifier-like columns alarm at {scored:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize(("n_reference", "n_current", "distinct"), [(1000, 100, 1.0), (100_000, 100_000, 0.97), (100_000, 1000, 1.0)])
def test_identifier_columns_are_not_scored_and_do_not_alarm_grid(n_reference: int, n_current: int, distinct: float) -> None:
    default, scored = identifier_rates(n_reference, n_current, distinct, 300)
    assert default == 0
    assert scored <= FPR_BAND[1], f"scored identifier-like columns alarm at {scored:.3f}"


def test_new_values_beyond_ten_thousand_pooled_categories_are_found() -> None:
    """200,000 reference values (10,000 listed in the bins, the rest in the sketch): a batch
    from the same distribution is ok, one where half the rows are new values drifts."""
    rng = np.random.default_rng(8)
    draw = lambda n: np.array([f"v{i}" for i in rng.zipf(1.2, n) % 200_000], dtype=object)  # noqa: E731
    prof = kd.profile(pd.DataFrame({"x": draw(1_000_000)}))
    assert prof["x"].pooled.sketch is not None and prof["x"].identifier is None
    same = kd.compare(prof, pd.DataFrame({"x": draw(100_000)}))["x"]
    assert same.status == "ok" and same.novel_fraction == pytest.approx(same.expected_novel_fraction, abs=0.01)
    half = np.concatenate([draw(50_000), np.array([f"new{i}" for i in range(50_000)], dtype=object)])
    drifted = kd.compare(prof, pd.DataFrame({"x": half}))["x"]
    assert drifted.status == "drift" and drifted.novel_fraction > 0.45
    assert drifted.explanations[0].startswith(f"{drifted.novel_fraction:.1%} of rows are values the reference lacks; about ")


def _detection_rate(make_pair, reps: int, **options) -> float:
    rng = np.random.default_rng(2026)
    hits = 0
    for _ in range(reps):
        reference, current = make_pair(rng)
        hits += kd.compare(reference, current, threshold="auto", **options)["x"].drifted
    return hits / reps


def test_detects_a_tenth_of_a_standard_deviation_at_100k_rows() -> None:
    def pair(rng):
        n = 100_000
        return pd.DataFrame({"x": rng.normal(size=n)}), pd.DataFrame({"x": rng.normal(0.1, 1.0, size=n)})

    assert _detection_rate(pair, 100, min_effect=0) >= 0.95


def test_detects_a_new_category_of_two_percent_at_10k_rows() -> None:
    def pair(rng):
        n = 10_000
        values = np.array(["a", "b", "c", "d"])
        reference = rng.choice(values, size=n)
        current = np.where(rng.random(n) < 0.02, "new", rng.choice(values, size=n))
        return pd.DataFrame({"x": reference}), pd.DataFrame({"x": current})

    assert _detection_rate(pair, 200) >= 0.95


def test_detects_a_missing_rate_rise_of_two_points_at_10k_rows() -> None:
    """Pure significance, as for the mean shift: a 1% -> 3% missing rate scores about 0.013
    nats in 10 bins plus noise, right at the default min_effect (detected 94.5% there)."""

    def pair(rng):
        n = 10_000
        reference = np.where(rng.random(n) < 0.01, np.nan, rng.normal(size=n))
        current = np.where(rng.random(n) < 0.03, np.nan, rng.normal(size=n))
        return pd.DataFrame({"x": reference}), pd.DataFrame({"x": current})

    assert _detection_rate(pair, 200, min_effect=0) >= 0.95


def test_min_effect_silences_significant_trivia_on_huge_batches() -> None:
    rng = np.random.default_rng(5)
    n = 1_000_000
    reference = pd.DataFrame({"x": rng.normal(size=n)})
    current = pd.DataFrame({"x": rng.normal(0.02, 1.0, size=n)})
    result = kd.compare(reference, current, threshold="auto")["x"]
    assert result.pvalue_adjusted < ALPHA
    assert result.statistic < kd.DEFAULT_MIN_EFFECT["current||reference"]
    assert result.status == "ok" and not result.drifted


def test_small_batches_do_not_alarm_on_noise_where_a_fixed_threshold_does() -> None:
    """At 30 rows in 10 bins a fixed 0.1-nat threshold fires on noise most of the time."""
    rng = np.random.default_rng(11)
    fixed = auto = 0
    reps = 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        for _ in range(reps):
            reference = pd.DataFrame({"x": rng.normal(size=1000)})
            current = pd.DataFrame({"x": rng.normal(size=30)})
            fixed += kd.compare(reference, current, threshold=0.1)["x"].drifted
            auto += kd.compare(reference, current)["x"].drifted
    assert fixed / reps > 0.3
    assert auto / reps <= 0.07


@pytest.mark.parametrize(("correction", "low", "high"), [("holm", 0.0, 0.07), ("bonferroni", 0.0, 0.07), ("none", 0.4, 1.0)])
def test_dataset_false_alarm_rate_across_twenty_columns(correction: str, low: float, high: float) -> None:
    """Holm and Bonferroni keep P(any of 20 undrifted columns alarms) <= alpha; no correction does not."""
    rng = np.random.default_rng(3)
    reps, n, m = 300, 400, 20
    alarms = 0
    for _ in range(reps):
        reference = pd.DataFrame(rng.normal(size=(n, m)), columns=[f"c{i}" for i in range(m)])
        current = pd.DataFrame(rng.normal(size=(n, m)), columns=reference.columns)
        report = kd.compare(reference, current, threshold="auto", min_effect=0, correction=correction, bins=5)
        alarms += report.drifted
    assert low <= alarms / reps <= high


def test_permutation_and_asymptotic_pvalues_agree_on_large_samples() -> None:
    rng = np.random.default_rng(9)
    reference = pd.DataFrame({"x": rng.choice(list("abcde"), size=20_000)})
    current = pd.DataFrame({"x": rng.choice(list("abcde"), size=2_000, p=[0.19, 0.21, 0.2, 0.2, 0.2])})
    exact = kd.compare(reference, current, pvalue_method="permutation", n_permutations=20_000)["x"]
    approx = kd.compare(reference, current, pvalue_method="asymptotic")["x"]
    assert exact.pvalue_method == "permutation" and approx.pvalue_method == "asymptotic"
    assert abs(exact.pvalue - approx.pvalue) < 0.03
