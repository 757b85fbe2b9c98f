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
            fixed += kd.compare(reference, current)["x"].drifted
            auto += kd.compare(reference, current, threshold="auto")["x"].drifted
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
