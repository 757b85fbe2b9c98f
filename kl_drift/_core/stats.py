"""Significance of a drift score: p-values from counts, and corrections across columns.

The test of "same distribution" on two count vectors is the G-test of homogeneity. Its
chi-square approximation needs enough expected counts per bin; where it has too few, the
exact alternative is a permutation test, which on counts is a multivariate hypergeometric
draw of the current sample out of the pooled counts.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .divergence import g_test

__all__ = [
    "PVALUE_METHODS",
    "CORRECTIONS",
    "MIN_EXPECTED_COUNT",
    "drift_pvalue",
    "permutation_pvalue",
    "adjust_pvalues",
]

PValueMethod = Literal["auto", "asymptotic", "permutation"]
PVALUE_METHODS: tuple[str, ...] = ("auto", "asymptotic", "permutation")
CORRECTIONS: tuple[str, ...] = ("holm", "bonferroni", "bh", "none")
# Cochran's rule: the chi-square approximation is trusted when no expected count is below 1
# and at most 20% of them are below 5.
MIN_EXPECTED_COUNT = 5.0
MAX_SHARE_BELOW_MIN = 0.2


def _kept(cur: NDArray[np.float64], ref: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    keep = (cur + ref) > 0
    return cur[keep], ref[keep]


def _g_statistics(current: NDArray[np.float64], expected_cur: NDArray[np.float64],
                  reference: NDArray[np.float64], expected_ref: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise G statistics for stacked count vectors (last axis = bins)."""
    from scipy.special import xlogy

    g = xlogy(current, current / expected_cur) + xlogy(reference, reference / expected_ref)
    return 2.0 * g.sum(axis=-1)


def permutation_pvalue(
    current_counts: ArrayLike,
    reference_counts: ArrayLike,
    *,
    n_permutations: int = 2000,
    random_state: int | np.random.Generator | None = 0,
) -> float:
    """Exact-in-distribution p-value of the G statistic by permuting the pooled rows.

    Permuting which rows are "current" and which "reference" is, on counts, a multivariate
    hypergeometric draw of ``n_current`` rows out of the pooled counts; all draws are made
    in one vectorised call.

    Parameters
    ----------
    current_counts, reference_counts : array_like
        Counts of the same bins.
    n_permutations : int, default 2000
        Number of random permutations; the p-value's resolution is ``1 / (n + 1)``.
    random_state : int, Generator or None, default 0
        Seed, so a report is reproducible.

    Returns
    -------
    float
        ``(1 + #{G* >= G}) / (1 + n_permutations)``.

    Examples
    --------
    >>> permutation_pvalue([10, 10], [10, 10]) == 1.0
    True
    >>> permutation_pvalue([20, 0], [0, 20]) < 0.01
    True
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"`n_permutations` must be a positive integer, got {n_permutations!r}")
    cur, ref = _kept(np.asarray(current_counts, dtype=np.float64), np.asarray(reference_counts, dtype=np.float64))
    n_cur, n_ref = cur.sum(), ref.sum()
    if cur.size <= 1 or n_cur == 0 or n_ref == 0:
        return 1.0
    pooled = cur + ref
    share = pooled / pooled.sum()
    expected_cur, expected_ref = n_cur * share, n_ref * share
    observed = _g_statistics(cur, expected_cur, ref, expected_ref)
    rng = np.random.default_rng(random_state)
    draws = rng.multivariate_hypergeometric(pooled.astype(np.int64), int(n_cur), size=int(n_permutations))
    draws = draws.astype(np.float64)
    simulated = _g_statistics(draws, expected_cur, pooled - draws, expected_ref)
    # A relative tolerance keeps permutations that tie with the observed table from being
    # lost to floating-point noise.
    exceed = np.count_nonzero(simulated >= observed * (1 - 1e-12) - 1e-12)
    return float((1 + exceed) / (1 + n_permutations))


def drift_pvalue(
    current_counts: ArrayLike,
    reference_counts: ArrayLike,
    *,
    method: str = "auto",
    n_permutations: int = 2000,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[float, str]:
    """p-value of "current and reference come from the same distribution", and the method used.

    ``"asymptotic"`` is the G-test's chi-square approximation; ``"permutation"`` the exact
    permutation test; ``"auto"`` uses the permutation test where Cochran's rule says the
    approximation is poor: some expected count (pooled share times the smaller sample) below
    1, or more than 20% of them below 5.

    Examples
    --------
    >>> drift_pvalue([500, 500], [480, 520])[1]
    'asymptotic'
    >>> drift_pvalue([3, 1, 1], [2, 2, 1])[1]
    'permutation'
    """
    if method not in PVALUE_METHODS:
        raise ValueError(f"`pvalue_method` must be one of {', '.join(map(repr, PVALUE_METHODS))}, got {method!r}")
    cur, ref = _kept(np.asarray(current_counts, dtype=np.float64), np.asarray(reference_counts, dtype=np.float64))
    if method == "auto":
        pooled = cur + ref
        expected = pooled / pooled.sum() * min(cur.sum(), ref.sum()) if pooled.size else np.zeros(1)
        poor = expected.min() < 1 or np.mean(expected < MIN_EXPECTED_COUNT) > MAX_SHARE_BELOW_MIN
        method = "permutation" if poor else "asymptotic"
    if method == "permutation":
        return permutation_pvalue(cur, ref, n_permutations=n_permutations, random_state=random_state), method
    return g_test(cur, ref)[2], method


def adjust_pvalues(pvalues: ArrayLike, method: str = "holm") -> NDArray[np.float64]:
    """Adjust p-values of several columns for multiple testing.

    Parameters
    ----------
    pvalues : array_like
        One p-value per tested column.
    method : {"holm", "bonferroni", "bh", "none"}, default "holm"
        ``"holm"`` and ``"bonferroni"`` control the family-wise error rate (the chance that
        any column of an undrifted dataset is flagged), Holm with more power; ``"bh"``
        (Benjamini-Hochberg) controls the false discovery rate among flagged columns.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, in the input order, capped at 1.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in CORRECTIONS:
        raise ValueError(f"`correction` must be one of {', '.join(map(repr, CORRECTIONS))}, got {method!r}")
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        stepped = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        stepped = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
