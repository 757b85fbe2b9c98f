"""Significance of a drift score: p-values from counts, and corrections across columns.

The test of "same distribution" on two count vectors is the G-test of homogeneity. Its
chi-square approximation needs enough expected counts per bin; where it has too few, the
exact alternative is a permutation test, which on counts is a multivariate hypergeometric
draw of the current sample out of the pooled counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .divergence import g_test, g_test_kept, g_test_rows

__all__ = [
    "PVALUE_METHODS",
    "CORRECTIONS",
    "MIN_EXPECTED_COUNT",
    "drift_pvalue",
    "permutation_pvalue",
    "expand_unseen",
    "adjust_pvalues",
]

PValueMethod = Literal["auto", "asymptotic", "permutation"]
PVALUE_METHODS: tuple[str, ...] = ("auto", "asymptotic", "permutation")
CORRECTIONS: tuple[str, ...] = ("holm", "bonferroni", "bh", "none")
# Sequential Monte Carlo (Besag & Clifford 1991): permuting stops once this many relabellings
# were at least as extreme as the data, which settles an unremarkable column after a few
# dozen draws; only a column that looks significant uses the whole budget.
SEQUENTIAL_HITS = 20
# The budget's first batch, doubled until the budget or the hits are reached.
_FIRST_BATCH = 256

# Cochran's rule: the chi-square approximation is trusted when no expected count is below 1
# and at most 20% of them are below 5.
MIN_EXPECTED_COUNT = 5.0
MAX_SHARE_BELOW_MIN = 0.2


def _kept(cur: NDArray[np.float64], ref: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    keep = (cur + ref) > 0
    return cur[keep], ref[keep]


def _resample_hypergeometric(
    rng: np.random.Generator, cur: NDArray[np.float64], ref: NDArray[np.float64], size: int
) -> NDArray[np.float64]:
    """Current counts under H0 when bins do not depend on the data: relabel the pooled rows."""
    pooled = (cur + ref).astype(np.int64)
    return rng.multivariate_hypergeometric(pooled, int(cur.sum()), size=size).astype(np.float64)


def _resample_ranks(
    rng: np.random.Generator, cur: NDArray[np.float64], ref: NDArray[np.float64], size: int
) -> NDArray[np.float64]:
    """Current counts under H0 when numeric edges are reference order statistics.

    Under H0 every interleaving of current and reference values is equally likely, so the
    current values spread over the gaps between consecutive reference values uniformly over
    compositions: Dirichlet-multinomial with one unit of weight per gap. A bin ending at a
    reference value spans as many gaps as it holds reference values; the open upper tail
    one more. The missing bucket is relabelled like any pooled count.
    """
    n_cur = int(cur.sum())
    missing_pooled = int(cur[-1] + ref[-1])
    present_pooled = int((cur + ref).sum()) - missing_pooled
    missing = rng.hypergeometric(missing_pooled, present_pooled, n_cur, size=size) if missing_pooled else np.zeros(size, np.int64)
    weights = ref[:-1].copy()
    weights[-1] += 1
    shares = rng.standard_gamma(weights, size=(size, weights.size))
    shares /= shares.sum(axis=1, keepdims=True)
    values = rng.multinomial(n_cur - missing, shares)
    return np.column_stack([values, missing]).astype(np.float64)


def permutation_pvalue(
    current_counts: ArrayLike,
    reference_counts: ArrayLike,
    *,
    null: str = "hypergeometric",
    n_permutations: int = 2000,
    random_state: int | np.random.Generator | Sequence[int] | None = 0,
) -> float:
    """p-value of the G statistic from its exact permutation distribution, by simulation.

    Under "same distribution" the rows of both samples are exchangeable, so the null
    distribution is that of randomly relabelling rows as current or reference:

    * ``null="hypergeometric"``: for bins that do not depend on the data (categories, fixed
      or uniform edges) a relabelling draws the current counts out of the pooled counts,
      a multivariate hypergeometric draw;
    * ``null="ranks"``: for numeric bins whose edges are reference order statistics
      (quantile strategy, column layout ``value bins..., missing``), a relabelling spreads
      the current values over the gaps between reference values (Dirichlet-multinomial),
      with the reference counts fixed.

    Relabellings are drawn in vectorised batches and stop early, sequentially (Besag and
    Clifford, 1991): once ``SEQUENTIAL_HITS`` (20) relabellings were at least as extreme as
    the data, at the l-th one, the p-value is ``20 / l``; otherwise all `n_permutations` are
    drawn and the p-value is ``(1 + #{G* >= G}) / (1 + n_permutations)``. Both are valid
    p-values, and a column far from significance costs a few dozen draws.

    Parameters
    ----------
    current_counts, reference_counts : array_like
        Counts of the same bins.
    null : {"hypergeometric", "ranks"}, default "hypergeometric"
        How the bins were made (see above).
    n_permutations : int, default 2000
        Most relabellings drawn; the smallest p-value is ``1 / (n + 1)``.
    random_state : int, sequence of int, Generator or None, default 0
        Seed, so a report is reproducible.

    Returns
    -------
    float

    References
    ----------
    Besag, J. and Clifford, P. (1991). Sequential Monte Carlo p-values. Biometrika 78(2).

    Examples
    --------
    >>> permutation_pvalue([10, 10], [10, 10]) == 1.0
    True
    >>> permutation_pvalue([20, 0], [0, 20]) < 0.01
    True
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"`n_permutations` must be a positive integer, got {n_permutations!r}")
    if null not in ("hypergeometric", "ranks"):
        raise ValueError(f"`null` must be 'hypergeometric' or 'ranks', got {null!r}")
    cur = np.asarray(current_counts, dtype=np.float64)
    ref = np.asarray(reference_counts, dtype=np.float64)
    if null == "hypergeometric":
        cur, ref = _kept(cur, ref)
    n_cur, n_ref = cur.sum(), ref.sum()
    if np.count_nonzero(cur + ref) <= 1 or n_cur == 0 or n_ref == 0:
        return 1.0
    rng = np.random.default_rng(random_state)
    observed = _g_rows(cur[None, :], ref)[0]
    # A relative tolerance keeps relabellings that tie with the observed table from being
    # lost to floating-point noise.
    bar = observed * (1 - 1e-12) - 1e-12
    drawn = hits = 0
    batch = min(_FIRST_BATCH, int(n_permutations))
    while drawn < n_permutations:
        batch = min(batch, int(n_permutations) - drawn)
        if null == "hypergeometric":
            draws = _resample_hypergeometric(rng, cur, ref, batch)
            simulated = _g_rows(draws, (cur + ref) - draws)
        else:
            simulated = _g_rows(_resample_ranks(rng, cur, ref, batch), ref)
        extreme = np.flatnonzero(simulated >= bar)
        if hits + extreme.size >= SEQUENTIAL_HITS:
            position = drawn + int(extreme[SEQUENTIAL_HITS - hits - 1]) + 1
            return float(SEQUENTIAL_HITS / position)
        hits += extreme.size
        drawn += batch
        batch *= 2
    return float((1 + hits) / (1 + n_permutations))


def _g_rows(current: NDArray[np.float64], reference: NDArray[np.float64]) -> NDArray[np.float64]:
    """G statistic of each row of `current` against `reference` (broadcast), pooled expectation."""
    from scipy.special import xlogy

    reference = np.broadcast_to(reference, current.shape)
    pooled = current + reference
    n_cur = current.sum(axis=-1, keepdims=True)
    n_ref = reference.sum(axis=-1, keepdims=True)
    share = pooled / (n_cur + n_ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = xlogy(current, current / (n_cur * share)) + xlogy(reference, reference / (n_ref * share))
    return 2.0 * np.nan_to_num(g, nan=0.0).sum(axis=-1)


def expand_unseen(
    current_counts: ArrayLike, reference_counts: ArrayLike, unseen_index: int, unseen_counts: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Split the pooled "(unseen)" bin into one bin per distinct unseen value, for testing.

    How 0.1.0 tested values the reference never had, kept for profiles that lack the pooled
    value counts (written by 0.1.0, or by engines that cannot list them). It is not exact:
    when the reference pools values beyond its kept categories, the current's new values
    stand apart while the reference's rare ones sit pooled in "(other)", a lopsided table
    that over-rejects on columns with many distinct values. Profiles that keep the pooled
    counts judge new values against the reference's missing mass instead
    (:mod:`kl_drift._core.novelty`).

    Examples
    --------
    >>> [a.tolist() for a in expand_unseen([5, 3, 4, 0], [6, 2, 0, 0], 2, [3, 1])]
    [[5.0, 3.0, 0.0, 0.0, 3.0, 1.0], [6.0, 2.0, 0.0, 0.0, 0.0, 0.0]]
    """
    cur = np.asarray(current_counts, dtype=np.float64)
    ref = np.asarray(reference_counts, dtype=np.float64)
    if unseen_counts is None:
        return cur, ref
    split = np.asarray(unseen_counts, dtype=np.float64)
    if ref[unseen_index] != 0 or split.sum() != cur[unseen_index] or split.size <= 1:
        return cur, ref
    cur = np.concatenate([np.where(np.arange(cur.size) == unseen_index, 0.0, cur), split])
    ref = np.concatenate([ref, np.zeros(split.size)])
    return cur, ref


def drift_pvalue(
    current_counts: ArrayLike,
    reference_counts: ArrayLike,
    *,
    method: str = "auto",
    null: str = "hypergeometric",
    n_permutations: int = 2000,
    random_state: int | np.random.Generator | Sequence[int] | None = 0,
) -> tuple[float, str]:
    """p-value of "current and reference come from the same distribution", and the method used.

    ``"asymptotic"`` is the G-test with Williams' correction and its chi-square tail;
    ``"permutation"`` the permutation test of `permutation_pvalue`; ``"auto"`` uses
    the permutation test where Cochran's rule says the approximation is poor: some expected
    count (pooled share times the smaller sample) below 1, or more than 20% of them below 5.

    Examples
    --------
    >>> drift_pvalue([500, 500], [480, 520])[1]
    'asymptotic'
    >>> drift_pvalue([3, 1, 1], [2, 2, 1])[1]
    'permutation'
    """
    if method not in PVALUE_METHODS:
        raise ValueError(f"`pvalue_method` must be one of {', '.join(map(repr, PVALUE_METHODS))}, got {method!r}")
    cur = np.asarray(current_counts, dtype=np.float64)
    ref = np.asarray(reference_counts, dtype=np.float64)
    method = _chosen_method(cur, ref, method)
    if method == "permutation":
        pvalue = permutation_pvalue(cur, ref, null=null, n_permutations=n_permutations, random_state=random_state)
        return pvalue, method
    return g_test(cur, ref, williams=True)[2], method


def _chosen_method(cur: NDArray[np.float64], ref: NDArray[np.float64], method: str) -> str:
    return _method_for(*_kept(cur, ref)) if method == "auto" else method


def _method_for(kept_cur: NDArray[np.float64], kept_ref: NDArray[np.float64]) -> str:
    """"auto"'s choice for counts without the bins empty on both sides (Cochran's rule)."""
    pooled = kept_cur + kept_ref
    expected = pooled / pooled.sum() * min(kept_cur.sum(), kept_ref.sum()) if pooled.size else np.zeros(1)
    # The share below 5 as np.mean computes it (an exact count over the size, rounded once),
    # without np.mean's dispatch cost.
    poor = expected.min() < 1 or int(np.count_nonzero(expected < MIN_EXPECTED_COUNT)) / expected.size > MAX_SHARE_BELOW_MIN
    return "permutation" if poor else "asymptotic"


def drift_pvalue_unchecked(
    cur: NDArray[np.float64],
    ref: NDArray[np.float64],
    method: str,
    null: str,
    n_permutations: int,
    random_state: int | np.random.Generator | Sequence[int] | None,
) -> tuple[float, str]:
    """`drift_pvalue` of float64 count vectors the library made itself, `method` already
    checked: the G-test skips re-validating the counts, and both steps share the bins kept."""
    kept_cur, kept_ref = _kept(cur, ref)
    if method == "auto":
        method = _method_for(kept_cur, kept_ref)
    if method == "permutation":
        pvalue = permutation_pvalue(cur, ref, null=null, n_permutations=n_permutations, random_state=random_state)
        return pvalue, method
    return g_test_kept(kept_cur, kept_ref, williams=True)[2], method


def drift_pvalue_rows(
    cur: NDArray[np.float64],
    ref: NDArray[np.float64],
    method: str,
    nulls: Sequence[str],
    n_permutations: int,
    random_states: Sequence[int | Sequence[int] | None],
) -> tuple[list[float], list[str]]:
    """`drift_pvalue_unchecked` of each row of two C-contiguous (rows, bins) arrays, at once.

    The same bits as the 1-D function row by row: rows keeping the same number of bins are
    compacted and tested together (Cochran's rule and the G-test: the same operations on the
    same values, each sum over one contiguous row); a row the rule sends to the permutation
    test draws from its own seed, as alone. `nulls` and `random_states` are per row.
    """
    n_rows = cur.shape[0]
    pvalues: list[float] = [1.0] * n_rows
    methods: list[str] = [method] * n_rows
    keep = (cur + ref) > 0
    n_kept = np.count_nonzero(keep, axis=1)
    for size in np.unique(n_kept).tolist():
        rows = np.flatnonzero(n_kept == size)
        if size == 0:
            chosen = np.ones(rows.size, dtype=bool) if method == "auto" else np.full(rows.size, method == "permutation")
            kept_cur = kept_ref = np.zeros((rows.size, 0))
        else:
            sub_keep = keep[rows]
            kept_cur = cur[rows][sub_keep].reshape(-1, size)
            kept_ref = ref[rows][sub_keep].reshape(-1, size)
            chosen = _poor_rows(kept_cur, kept_ref) if method == "auto" else np.full(rows.size, method == "permutation")
        row_list = rows.tolist()
        for at in np.flatnonzero(chosen).tolist():
            i = row_list[at]
            methods[i] = "permutation"
            pvalues[i] = permutation_pvalue(
                cur[i], ref[i], null=nulls[i], n_permutations=n_permutations, random_state=random_states[i]
            )
        asymptotic = np.flatnonzero(~chosen)
        if asymptotic.size:
            tested = g_test_rows(kept_cur[asymptotic], kept_ref[asymptotic], williams=True)[1].tolist()
            for at, p in zip(asymptotic.tolist(), tested):
                methods[row_list[at]] = "asymptotic"
                pvalues[row_list[at]] = p
    return pvalues, methods


def _poor_rows(kept_cur: NDArray[np.float64], kept_ref: NDArray[np.float64]) -> NDArray[np.bool_]:
    """`_method_for` of each row (kept bins, at least one per row): True where it permutes."""
    pooled = kept_cur + kept_ref
    smaller = np.minimum(kept_cur.sum(axis=1), kept_ref.sum(axis=1))
    expected = pooled / pooled.sum(axis=1, keepdims=True) * smaller[:, None]
    below = np.count_nonzero(expected < MIN_EXPECTED_COUNT, axis=1) / expected.shape[1]
    return (expected.min(axis=1) < 1) | (below > MAX_SHARE_BELOW_MIN)


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
