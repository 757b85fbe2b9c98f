"""The novelty test's window: its mid-p values against independent computations, and its size.

The beta-binomial test of new values sums the pmf over a window bounded by a geometric tail
argument (``kl_drift._core.novelty._window``) instead of 40 standard deviations either side
of the mean. Checked here:

* the mid-p value of :func:`novelty_pvalue` equals one from ``scipy.stats.betabinom``'s pmf
  over the whole support 0..n (no window at all), for n up to 3,000, with the a, b that
  ``_beta_parameters`` makes of a frequency histogram and with a, b given directly,
  J-shaped (a < 1), U-shaped (a, b < 1) and mirrored shapes included;
* for n up to 4e7, where scipy's own betabinom pmf drifts by ~1e-8 (differences of
  betaln of arguments near n; measured against the exact sums below), against the exact
  probabilities: the ratio ``p(k+1) / p(k)`` in 40-digit decimals summed from k = 0;
* that a realistic column (Zipf-like, 40M current rows, with and without drift) sums over
  a few thousand counts where the older window took up to 1.9 million.

Tolerances: rtol 1e-9. The window leaves out < 1e-22 of p(x) on x's side and < 1e-20 of the
mass in all, so what remains is rounding: ~1e-12 relative here (running sums of log steps),
scipy's pmf ~1e-13 at n <= 3,000. The absolute tolerance (1e-300) only covers p-values in
double precision's subnormal range, where neither side keeps 53 bits (counts below e^-1000
of the mode's probability are 0 in the window by design).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from kl_drift._core import novelty
from kl_drift._core.novelty import frequencies, missing_mass, novelty_pvalue, novelty_pvalue_rows

RTOL, ATOL = 1e-9, 1e-300


def _scipy_mid_p(x: int, n: int, a: float, b: float) -> float:
    """Two-sided mid-p of x from scipy's pmf over the whole support 0..n."""
    pmf = stats.betabinom(n, a, b).pmf(np.arange(n + 1))
    below, point, above = math.fsum(pmf[:x]), float(pmf[x]), math.fsum(pmf[x + 1 :])
    total = below + point + above
    return min(1.0, 2 * min(below + point / 2, above + point / 2) / total)


def _exact_mid_p(x: int, n: int, a: float, b: float) -> float:
    """Two-sided mid-p of x from the pmf's ratios in 40-digit decimals, summed from k = 0
    over the whole support when n <= 5,000; beyond, until the terms fall below 1e-60 of the
    largest with the ratio below 0.999 (for log-concave or decreasing shapes only, where
    the ratio keeps falling: the rest is then < 1e-57 of the mass)."""
    with localcontext() as ctx:
        ctx.prec = 40
        da, db = Decimal(a), Decimal(b)
        terms, term, largest, k = [Decimal(1)], Decimal(1), Decimal(1), 0
        while k < n:
            ratio = (k + da) / (k + 1) * (n - k) / (n - k - 1 + db)
            term *= ratio
            terms.append(term)
            largest = max(largest, term)
            k += 1
            if n > 5_000 and k > x and term < largest * Decimal("1e-60") and ratio < Decimal("0.999"):
                break
        total = sum(terms)
        below, point, above = sum(terms[:x]) / total, terms[x] / total, sum(terms[x + 1 :]) / total
        return float(min(Decimal(1), 2 * min(below + point / 2, above + point / 2)))


def _check(got: float, x: int, n: int, a: float, b: float) -> None:
    """`got` against the exact mid-p and against scipy's. scipy's pmf (betaln of large
    arguments) can itself be off by more than RTOL (2e-9 at b = 4e5, n = 2; 1e-8 at
    n = 1e7): its tolerance is then twice its own distance from the exact value."""
    exact = _exact_mid_p(x, n, a, b)
    assert got == pytest.approx(exact, rel=RTOL, abs=ATOL)
    scipy_p = _scipy_mid_p(x, n, a, b)
    scipy_error = abs(scipy_p - exact) / exact if exact > 0 else 0.0
    assert got == pytest.approx(scipy_p, rel=max(RTOL, 2 * scipy_error), abs=ATOL)


def _mid_p_of(x: int, n: int, a: float, b: float) -> float:
    return novelty._mid_p(*novelty._beta_binomial_split(x, n, a, b))


def _parameters(freq: dict[int, int], n_reference: int) -> tuple[float, float]:
    mean, concentration = novelty._beta_parameters(freq, n_reference, missing_mass(freq, n_reference)[1])
    return mean * concentration, (1 - mean) * concentration


def _bounded(x: int, n: int, a: float, b: float) -> bool:
    """Whether the window is the bounded one: not the older window it falls back to for
    heavy tails (unless that one is the whole support, hence exact too)."""
    wide = novelty._wide_window(x, n, a, b)
    return novelty._window(x, n, a, b) != (wide,) or wide == (0, n)


def _size(x: int, n: int, a: float, b: float) -> int:
    return sum(high - low + 1 for low, high in novelty._window(x, n, a, b))


@st.composite
def _histograms(draw: st.DrawFn) -> tuple[dict[int, int], int]:
    """A reference's frequencies of frequencies (f1, f2 and values seen more often) and its
    row count: from no singletons to nothing but singletons."""
    f1 = draw(st.integers(0, 5_000))
    f2 = draw(st.integers(0, 5_000))
    common = draw(st.integers(0, 10**6))
    freq = {r: f for r, f in ((1, f1), (2, f2), (50, common // 50)) if f}
    n_reference = sum(r * f for r, f in freq.items())
    return freq, max(n_reference, 1)


@settings(max_examples=150, deadline=None)
@given(_histograms(), st.integers(1, 3_000), st.floats(0.0, 1.0))
def test_mid_p_from_a_histogram_is_scipys_over_the_whole_support(
    histogram: tuple[dict[int, int], int], n: int, share: float
) -> None:
    freq, n_reference = histogram
    a, b = _parameters(freq, n_reference)
    mean = n * a / (a + b)
    # x anywhere, but mostly near where the mass lies (the tails are covered too).
    x = int(min(n, round(share * n))) if share > 0.5 else int(min(n, round(mean * 4 * share)))
    got = novelty_pvalue(x, n, freq, n_reference)[0]
    assert novelty_pvalue_rows([(x, n, freq, n_reference, 0.0)]) == [got]
    assume(_bounded(x, n, a, b))
    _check(got, x, n, a, b)


_shape = st.floats(0.02, 5_000.0).filter(lambda v: v != 1.0)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3_000), _shape, _shape, st.floats(0.0, 1.0))
def test_mid_p_of_any_shape_is_scipys_over_the_whole_support(n: int, a: float, b: float, share: float) -> None:
    """a, b given directly: J shapes (a < 1 <= b and mirrored), U shapes (both < 1), bells."""
    x = int(round(share * n))
    assume(_bounded(x, n, a, b))
    _check(_mid_p_of(x, n, a, b), x, n, a, b)


@pytest.mark.parametrize(
    ("x", "n", "a", "b"),
    [
        (0, 3_000, 0.3, 2_000.0),  # J shape, x at the mode
        (12, 3_000, 0.3, 2_000.0),  # J shape, x in the tail
        (2_999, 3_000, 2.0, 3.0),  # x in the thin end of a wide bell
        (2_990, 3_000, 2_000.0, 2.0),  # mirrored: mass near n
        (500, 1_000, 0.5, 0.5),  # U shape
        (900, 1_000, 0.5, 0.7),
        (5, 100, 30.0, 70.0),
    ],
)
def test_mid_p_of_chosen_shapes_is_scipys(x: int, n: int, a: float, b: float) -> None:
    _check(_mid_p_of(x, n, a, b), x, n, a, b)


def test_heavy_tailed_shapes_of_up_to_a_million_rows_are_summed_exactly() -> None:
    """A reference of 1,774 rows (12 values seen twice, 35 seen 50 times): a heavy tail,
    whose bounded window is about 6 times the older one. The older window's mid-p was off by
    8e-7 relative (0.86418693 against 0.86418623); up to 2^20 counts the bounded one is used."""
    a, b = _parameters({2: 12, 50: 35}, 1_774)
    wide = novelty._wide_window(0, 2_768, a, b)
    assert _size(0, 2_768, a, b) > novelty._WIDE_FACTOR * (wide[1] - wide[0] + 1), "the heavy tail this pins"
    _check(novelty_pvalue(0, 2_768, {2: 12, 50: 35}, 1_774)[0], 0, 2_768, a, b)


# A Zipf-like column of 5,000 values (as benchmarks/_data_gen.py's cat_4) in 1M reference
# rows: the values beyond the 20 most frequent are pooled; their frequencies of frequencies.
def _zipf_rest() -> tuple[dict[int, int], int]:
    weights = 1.0 / np.arange(1, 5_001)
    counts = np.random.default_rng(4).multinomial(1_000_000, weights / weights.sum())
    rest = np.sort(counts)[::-1][20:]
    return frequencies(rest), int(rest.sum())


@pytest.mark.parametrize("n", [10**6, 10**7, 4 * 10**7])
@pytest.mark.parametrize("where", [0.0, 0.5, 1.0, 1.6, 2.5])
def test_mid_p_at_large_n_is_the_exact_one(n: int, where: float) -> None:
    """Against exact sums, for the Zipf column's parameters and a bell: x at the mode, below
    and above the mean, and in the far tail."""
    freq, n_reference = _zipf_rest()
    for a, b in (_parameters(freq, n_reference), (50.0, 50.0 * n / 40)):
        x = int(round(where * n * a / (a + b)))
        assert _mid_p_of(x, n, a, b) == pytest.approx(_exact_mid_p(x, n, a, b), rel=RTOL, abs=ATOL)


def test_window_of_a_realistic_column_at_40m_rows_is_small() -> None:
    """The Zipf column at 40M current rows: without drift, and with 5% of the rows holding a
    value the reference never had (the benchmark's drift), x far beyond the mass."""
    freq, n_reference = _zipf_rest()
    a, b = _parameters(freq, n_reference)
    n = 40_000_000 * n_reference // 1_000_000
    expected = n * a / (a + b)
    for x in (0, int(expected), int(expected * 3), int(n * 0.05)):
        assert _size(x, n, a, b) < 5_000, x
        wide_low, wide_high = novelty._wide_window(x, n, a, b)
    # The older window took every count up to the drifted x.
    assert wide_high - wide_low + 1 > 1_000_000
    # A bell of the same n (mean 1e5, sd 1,439): about 21 standard deviations, not 80.
    a, b = 5_000.0, 5_000.0 * n / 1e5
    sd = math.sqrt(n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1)))
    assert sd > 1_000
    for x in (int(n * a / (a + b)), int(n * a / (a + b) + 5 * sd)):
        wide_low, wide_high = novelty._wide_window(x, n, a, b)
        assert _size(x, n, a, b) < min(25 * sd, 50_000, (wide_high - wide_low + 1) / 3)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**8), st.floats(0.01, 1e7), st.floats(0.01, 1e7), st.floats(0.0, 1.0)
)
def test_window_holds_x_in_increasing_disjoint_ranges(n: int, a: float, b: float, share: float) -> None:
    x = int(round(share * n))
    ranges = novelty._window(x, n, a, b)
    assert any(low <= x <= high for low, high in ranges)
    assert all(0 <= low <= high <= max(n, 0) for low, high in ranges)
    assert all(h1 + 1 < l2 for (_, h1), (l2, _) in zip(ranges, ranges[1:]))
    wide_low, wide_high = novelty._wide_window(x, n, a, b)
    # The bounded window, unless it would hold more than 2^20 counts and 4x the older one.
    size = sum(high - low + 1 for low, high in ranges)
    assert size <= max(novelty._WIDE_FACTOR * (wide_high - wide_low + 1), novelty._EXACT_POINTS)
