"""Values a reference never saw: what sampling alone leaves unseen, and how to test against it.

A reference is a sample. A column with many distinct values (tail numbers, product codes,
free text) never shows all of them, so a current batch of the same distribution holds values
the reference lacks: about as many rows as the reference's *missing mass*, which Good–Turing
estimates from how many values the reference saw exactly once (``f1 / n``). Testing such
values as brand-new categories calls every random half of a table "drift"; this module
judges them against the missing mass instead.

What a profile keeps for this (:class:`PooledValues`) is small and adds up chunk by chunk:
the exact count of every pooled reference value the bins list (up to 10,000), and beyond
that a histogram of counts and a Bloom filter that tells "seen but rare" from "never seen"
with a 1% false-positive rate (about 1.2 MB for a million values).

References
----------
Good, I. J. (1953). The population frequencies of species and the estimation of population
parameters. Biometrika 40(3/4).
Esty, W. W. (1983). A normal limit law for a nonparametric estimator of the coverage of a
random sample. Annals of Statistics 11(3).

"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BloomFilter",
    "PooledValues",
    "describe_pooled",
    "SKETCH_FALSE_POSITIVE_RATE",
    "value_key",
    "frequencies",
    "turing_mass",
    "missing_mass",
    "novelty_pvalue",
    "novelty_pvalue_rows",
    "combine_pvalues",
]

# Share of never-seen values a sketch takes for seen ones: they are then counted as "seen but
# rare", so the novel share reads at most 1% low (relative), and the test only gets safer.
SKETCH_FALSE_POSITIVE_RATE = 0.01


def value_key(value: Any, value_type: str) -> bytes:
    """The bytes a value is hashed by: equal for values the bins match as equal (1 == 1.0).

    Examples
    --------
    >>> value_key(1, "number") == value_key(1.0, "number")
    True
    >>> value_key("1", "string") == value_key(1, "number")
    False
    """
    if value_type == "number":
        number = float(value)
        # -0.0 == 0.0 for the bins, so they must hash alike.
        text = "n:" + repr(number + 0.0)
    elif value_type == "bool":
        text = "b:" + str(bool(value))
    else:
        text = "s:" + str(value)
    return text.encode("utf-8", "surrogatepass")


def _hash_pairs(keys: Iterable[bytes]) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    digests = b"".join(hashlib.blake2b(k, digest_size=16, person=b"kl_drift-bloom").digest() for k in keys)
    words = np.frombuffer(digests, dtype="<u8").reshape(-1, 2)
    # An odd second hash visits distinct positions for every i (Kirsch and Mitzenmacher).
    return words[:, 0].copy(), words[:, 1] | np.uint64(1)


@dataclass(frozen=True)
class BloomFilter:
    """A set of values in a fixed number of bits: "maybe seen" or "certainly never seen".

    Two filters of the same size and number of hashes merge by OR-ing their bits, so chunks
    and partitions can each build one. Keys come from :func:`value_key`; positions from a
    128-bit BLAKE2b digest (stable across processes, platforms and engines).

    Attributes
    ----------
    size : int
        Number of bits, m.
    hashes : int
        Bits set per value, k.
    bits : bytes
        The bits, little-endian within each byte.
    values : int
        How many values were added (an upper bound after merges).

    Examples
    --------
    >>> bloom = BloomFilter.of(["a", "b"], "string")
    >>> bloom.contains(["a", "zzz"], "string")
    [True, False]
    """

    size: int
    hashes: int
    bits: bytes = field(repr=False)
    values: int = 0

    def __post_init__(self) -> None:
        if self.size < 8 or self.hashes < 1 or len(self.bits) != (self.size + 7) // 8:
            raise ValueError(f"a Bloom filter needs size >= 8, hashes >= 1 and size/8 bytes, got {self.size}, {self.hashes}, {len(self.bits)}")

    @classmethod
    def sized(cls, n_values: int, false_positive_rate: float = SKETCH_FALSE_POSITIVE_RATE) -> BloomFilter:
        """An empty filter for `n_values` values at the given false-positive rate."""
        n = max(int(n_values), 1)
        size = max(8, math.ceil(-n * math.log(false_positive_rate) / math.log(2) ** 2))
        hashes = max(1, round(size / n * math.log(2)))
        return cls(size, hashes, bytes((size + 7) // 8), 0)

    @classmethod
    def of(cls, values: Sequence[Any], value_type: str, false_positive_rate: float = SKETCH_FALSE_POSITIVE_RATE) -> BloomFilter:
        """A filter holding `values`."""
        return cls.sized(len(values), false_positive_rate).add(values, value_type)

    def _positions(self, values: Iterable[Any], value_type: str) -> NDArray[np.uint64]:
        first, second = _hash_pairs(value_key(v, value_type) for v in values)
        steps = np.arange(self.hashes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            return (first[:, None] + steps[None, :] * second[:, None]) % np.uint64(self.size)

    def add(self, values: Sequence[Any], value_type: str) -> BloomFilter:
        """A filter holding these values too."""
        if not len(values):
            return self
        flags = np.unpackbits(np.frombuffer(self.bits, dtype=np.uint8), count=self.size, bitorder="little").astype(bool)
        flags[self._positions(values, value_type).ravel().astype(np.int64)] = True
        packed = np.packbits(flags, bitorder="little").tobytes()
        return BloomFilter(self.size, self.hashes, packed, self.values + len(values))

    def contains(self, values: Sequence[Any], value_type: str) -> list[bool]:
        """Per value: maybe added (True) or certainly not (False)."""
        if not len(values):
            return []
        positions = self._positions(values, value_type).astype(np.int64)
        bits = np.frombuffer(self.bits, dtype=np.uint8)
        present = (bits[positions >> 3] >> (positions & 7).astype(np.uint8)) & 1
        return [bool(x) for x in present.all(axis=1)]

    @property
    def false_positive_rate(self) -> float:
        """Chance that a value never added is taken for one that was, from the share of set
        bits (k hashes must all land on set bits)."""
        ones = int(np.unpackbits(np.frombuffer(self.bits, dtype=np.uint8), count=self.size).sum())
        return (ones / self.size) ** self.hashes

    def merge(self, other: BloomFilter) -> BloomFilter:
        """The union of two filters of the same shape."""
        if (self.size, self.hashes) != (other.size, other.hashes):
            raise ValueError("Bloom filters of different sizes cannot be merged")
        union = np.bitwise_or(np.frombuffer(self.bits, dtype=np.uint8), np.frombuffer(other.bits, dtype=np.uint8))
        return BloomFilter(self.size, self.hashes, union.tobytes(), self.values + other.values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (bits in base64)."""
        return {"size": self.size, "hashes": self.hashes, "values": self.values, "bits": base64.b64encode(self.bits).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BloomFilter:
        """Rebuild from :meth:`to_dict` output."""
        try:
            bits = base64.b64decode(str(data["bits"]).encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as exc:
            raise ValueError(f"the sketch's bits are not base64 ({exc})") from None
        return cls(int(data["size"]), int(data["hashes"]), bits, int(data["values"]))


@dataclass(frozen=True)
class PooledValues:
    """What a profile keeps of a categorical column's pooled values beyond its kept categories.

    Enough to tell, for every value a current batch brings, whether the reference saw it
    ("seen but rare") or not ("never seen"), and to count how many reference values were seen
    once, twice, ... (the frequencies behind Good–Turing). Exact for the pooled values the
    bins list (``bins.other_values``, up to 10,000); beyond them a count histogram and a
    Bloom filter.

    Attributes
    ----------
    other_counts : tuple of int
        Reference rows of each value of ``bins.other_values``, in that order.
    unlisted : tuple of (int, int)
        For the pooled values beyond the listed ones: ``(r, number of values seen r times)``.
    sketch : BloomFilter or None
        Those unlisted values, for membership (1% false positives).

    Notes
    -----
    Counts of the same bins add: `other_counts` and the histogram add, and sketches merge.
    Adding the histograms assumes the two chunks' unlisted values differ (a value seen once
    in each is counted as two values seen once rather than one seen twice); that only
    concerns columns with more than 10,000 pooled values, and makes the missing mass read a
    little high, i.e. the test a little lenient with new values.
    """

    other_counts: tuple[int, ...] = ()
    unlisted: tuple[tuple[int, int], ...] = ()
    sketch: BloomFilter | None = None

    @property
    def n_unlisted(self) -> int:
        """Distinct pooled values beyond the listed ones."""
        return sum(f for _, f in self.unlisted)

    def merge(self, other: PooledValues) -> PooledValues:
        """Values of two counts of the same bins."""
        if len(self.other_counts) != len(other.other_counts):
            raise ValueError("reference values of different bins cannot be merged")
        histogram: dict[int, int] = {}
        for r, f in (*self.unlisted, *other.unlisted):
            histogram[r] = histogram.get(r, 0) + f
        if self.sketch is None or other.sketch is None:
            sketch = self.sketch or other.sketch
        else:
            sketch = self.sketch.merge(other.sketch)
        return PooledValues(
            tuple(a + b for a, b in zip(self.other_counts, other.other_counts)), tuple(sorted(histogram.items())), sketch
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "other_counts": list(self.other_counts),
            "unlisted": [[r, f] for r, f in self.unlisted],
            "sketch": self.sketch.to_dict() if self.sketch is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PooledValues:
        """Rebuild from :meth:`to_dict` output."""
        sketch = data.get("sketch")
        return cls(
            tuple(int(c) for c in data["other_counts"]),
            tuple((int(r), int(f)) for r, f in data["unlisted"]),
            BloomFilter.from_dict(sketch) if sketch is not None else None,
        )


def describe_pooled(
    pooled_values: Sequence[Any], pooled_counts: ArrayLike, n_listed: int, value_type: str
) -> PooledValues:
    """The :class:`PooledValues` of a column whose pooled values (most frequent first) and
    their counts are known; the first `n_listed` are the bins' ``other_values``.

    Engines that count every distinct reference value (pandas, streamed files, Spark) fit
    through here.

    Examples
    --------
    >>> rv = describe_pooled(["b", "c", "d", "e"], [3, 1, 1, 2], 2, "string")
    >>> rv.other_counts, rv.unlisted, rv.sketch.contains(["d", "zz"], "string")
    ((3, 1), ((1, 1), (2, 1)), [True, False])
    """
    counts = np.asarray(pooled_counts, dtype=np.int64)
    rest = counts[n_listed:]
    if rest.size == 0:
        return PooledValues(tuple(int(c) for c in counts[:n_listed]))
    r, f = np.unique(rest, return_counts=True)
    return PooledValues(
        tuple(int(c) for c in counts[:n_listed]),
        tuple((int(a), int(b)) for a, b in zip(r, f)),
        BloomFilter.of(list(pooled_values[n_listed:]), value_type),
    )


def frequencies(counts: ArrayLike) -> dict[int, int]:
    """Frequencies of frequencies: ``{r: number of values seen r times}`` for r >= 1.

    Examples
    --------
    >>> frequencies([1, 1, 3, 0, 1, 2])
    {1: 3, 2: 1, 3: 1}
    """
    values = np.asarray(counts, dtype=np.int64)
    values = values[values > 0]
    r, f = np.unique(values, return_counts=True)
    return {int(a): int(b) for a, b in zip(r, f)}


def missing_mass(freq: Mapping[int, int], n: int) -> tuple[float, float]:
    """Good–Turing estimate of the share of future rows holding values the sample lacks, and
    the variance of its error.

    ``f1 / n`` (Good, 1953) with Esty's (1983) variance ``(f1 + 2 f2 - f1**2 / n) / n**2``;
    one extra singleton in the variance keeps a sample without singletons from claiming
    certainty that nothing new exists (then the variance is that of one value in n rows).

    Examples
    --------
    >>> mass, var = missing_mass({1: 40, 2: 10}, 1000)
    >>> mass, round(var * 1e6, 2)
    (0.04, 59.4)
    """
    if n <= 0:
        return 0.0, 0.0
    f1, f2 = freq.get(1, 0), freq.get(2, 0)
    mass = f1 / n
    variance = max(f1 + 2 * f2 + 1 - f1 * f1 / n, 1.0) / (n * n)
    return mass, variance


def turing_mass(freq: Mapping[int, int], subset: Mapping[int, int]) -> float:
    """Rows a set of reference values expects in another sample of the same size.

    `subset` is the set's histogram ``{r: values seen r times}`` (at most `freq`'s). Good's
    formula gives the values seen r times, together, ``(r + 1) f(r+1)`` rows in expectation
    (Turing's estimate, unbiased); a subset of them takes its share. Values seen once or a
    few times expect fewer rows than they had: the difference is the missing mass.

    Examples
    --------
    >>> turing_mass({1: 40, 2: 10, 3: 2}, {1: 40})
    20.0
    >>> turing_mass({1: 40, 2: 10, 3: 2}, {1: 20, 2: 10})
    16.0
    """
    total = 0.0
    for r, g in subset.items():
        if g and freq.get(r):
            total += g / freq[r] * (r + 1) * freq.get(r + 1, 0)
    return total


def novelty_pvalue(
    n_novel: int, n_current: int, freq: Mapping[int, int], n_reference: int, *, extra_variance: float = 0.0
) -> tuple[float, float]:
    """Two-sided p-value of `n_novel` current rows holding values the reference never saw,
    and the share expected from sampling alone.

    Under "same distribution" each current row is new with probability M, the reference's
    missing mass, which Good–Turing estimates (:func:`missing_mass`). M is uncertain, so the
    number of new rows is beta-binomial: a beta distribution with the estimate's mean and
    variance, mixed over a binomial of `n_current` rows. Without singletons in the reference
    this is the chance that values seen once in all the rows all fell in the current batch.
    Mid-p values, so that they combine without losing power (:func:`combine_pvalues`).
    When `n_novel` is itself an estimate, `extra_variance` (in rows squared) is its error;
    the beta-binomial's variance is then widened by it, in a normal approximation.

    Examples
    --------
    >>> p, expected = novelty_pvalue(43, 1000, {1: 41, 2: 12}, 1000)
    >>> round(expected, 3), p > 0.5
    (0.041, True)
    >>> novelty_pvalue(200, 1000, {1: 41, 2: 12}, 1000)[0] < 1e-6
    True
    """
    expected, variance = missing_mass(freq, n_reference)
    if n_current <= 0 or n_reference <= 0:
        return 1.0, expected
    mean, concentration = _beta_parameters(freq, n_reference, variance)
    if extra_variance > 0:
        from scipy.special import ndtr

        spread = n_current * mean * (1 - mean) * (1 + (n_current - 1) / (concentration + 1)) + extra_variance
        z = abs(n_novel - n_current * mean) / math.sqrt(spread)
        return float(min(1.0, 2 * ndtr(-z))), expected
    below, point, above = _beta_binomial_split(n_novel, n_current, mean * concentration, (1 - mean) * concentration)
    return _mid_p(below, point, above), expected


def _beta_parameters(freq: Mapping[int, int], n_reference: int, variance: float) -> tuple[float, float]:
    """The beta distribution's mean and concentration of the missing mass."""
    # One singleton more than seen, and one row more than new (Laplace): without singletons
    # a current row is new about once in n + 1 rows, as exchangeability says, and with
    # nothing but singletons the share stays below 1.
    mean = (freq.get(1, 0) + 1) / (n_reference + 2)
    variance = min(variance, 0.99 * mean * (1 - mean))
    return mean, mean * (1 - mean) / variance - 1


def _mid_p(below: float, point: float, above: float) -> float:
    return min(1.0, 2 * min(below + point / 2, above + point / 2))


def novelty_pvalue_rows(tests: Sequence[tuple[int, int, Mapping[int, int], int, float]]) -> list[float]:
    """`novelty_pvalue`'s p-value of many tests ``(n_novel, n_current, freq, n_reference,
    extra_variance)`` at once, with the same bits.

    The beta-binomial tests' log steps are computed in one array across all tests (the same
    operations on the same values); each test's running sums and sums are over its own
    window (:func:`_window`), as alone.

    Examples
    --------
    >>> tests = [(43, 1000, {1: 41, 2: 12}, 1000, 0.0), (200, 1000, {1: 41, 2: 12}, 1000, 0.0)]
    >>> novelty_pvalue_rows(tests) == [novelty_pvalue(*t[:4])[0] for t in tests]
    True
    """
    pvalues: list[float] = [1.0] * len(tests)
    windows: list[tuple[int, _Points]] = []
    for i, (n_novel, n_current, freq, n_reference, extra_variance) in enumerate(tests):
        if extra_variance > 0 or n_current <= 0 or n_reference <= 0:
            pvalues[i] = novelty_pvalue(n_novel, n_current, freq, n_reference, extra_variance=extra_variance)[0]
            continue
        mean, concentration = _beta_parameters(freq, n_reference, missing_mass(freq, n_reference)[1])
        windows.append((i, _points(n_novel, n_current, mean * concentration, (1 - mean) * concentration)))
    if not windows:
        return pvalues
    sizes = [w.k.size for _, w in windows]
    k = np.concatenate([w.k for _, w in windows])
    n = np.repeat(np.array([w.n for _, w in windows], dtype=np.float64), sizes)
    a = np.repeat(np.array([w.a for _, w in windows], dtype=np.float64), sizes)
    b = np.repeat(np.array([w.b for _, w in windows], dtype=np.float64), sizes)
    steps = _log_steps(k, n, a, b)
    start = 0
    for (i, w), size in zip(windows, sizes):
        pvalues[i] = _mid_p(*_split(_pmf(steps[start : start + size], w), w.at))
        start += size
    return pvalues


@dataclass(frozen=True)
class _Points:
    """The counts a beta-binomial(n, a, b) test sums over (:func:`_window`), as floats in
    increasing order; `at` is the position of x among them, `segments` each range's start
    in `k`, length, and log-probability at its first count relative to the mode's."""

    n: int
    a: float
    b: float
    k: NDArray[np.float64]
    at: int
    segments: tuple[tuple[int, int, float], ...]


def _points(x: int, n: int, a: float, b: float) -> _Points:
    """:class:`_Points` of a test of x in a beta-binomial(n, a, b)."""
    ranges = _window(x, n, a, b)
    k = np.concatenate([np.arange(low, high + 1, dtype=np.float64) for low, high in ranges])
    log_mode = _log_pmf_point(_mode(n, a, b), n, a, b)
    segments, start, at = [], 0, -1
    for low, high in ranges:
        segments.append((start, high - low + 1, _log_pmf_point(low, n, a, b) - log_mode))
        if low <= x <= high:
            at = start + x - low
        start += high - low + 1
    return _Points(n, a, b, k, at, tuple(segments))


def _log_steps(k: NDArray[np.float64], n: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """``log p(k + 1) - log p(k)`` elementwise: ``log((k + a) / (k + 1)) + log((n - k) /
    (n - k - 1 + b))``, each term as a log1p of a small ratio, so each step is exact to a
    few ulps of itself (the same operations for one test and for many: the same bits). At
    k = n there is no next count; that step is never used (it is the last of its range)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log1p((a - 1) / (k + 1)) - np.log1p((b - 1) / (n - k))  # type: ignore[no-any-return]


def _pmf(steps: NDArray[np.float64], points: _Points) -> NDArray[np.float64]:
    """Unnormalised probabilities of `points` (the largest 1) from their log steps.

    Within a range the log-probabilities are running sums of the steps from its first
    count: rounding adds up to a few ulps of the partial sums per step, ~1e-12 relative over
    thousands of counts, where differences of log-gamma functions of arguments near n would
    lose ~n log(n) * 1e-16 (5e-9 at n = 1e7). The ranges' levels come from log-gamma; a
    range beyond the first holds < 1e-22 of the mass (:func:`_window`), so its level's
    rounding does not show.
    """
    logs = np.empty_like(steps)
    for start, size, level in points.segments:
        logs[start] = level
        np.cumsum(steps[start : start + size - 1], out=logs[start + 1 : start + size])
        logs[start + 1 : start + size] += level
    logs -= logs.max()
    return np.exp(logs)


def _beta_binomial_split(x: int, n: int, a: float, b: float) -> tuple[float, float, float]:
    """P(X < x), P(X = x), P(X > x) for a beta-binomial(n, a, b), summed over the counts
    :func:`_window` keeps."""
    points = _points(x, n, a, b)
    return _split(_pmf(_log_steps(points.k, float(n), a, b), points), points.at)


# Share of the mass each cut tail may hold at most, relative to a kept count's probability.
# The window's edges are searched for with a margin of 1e-22; lgamma's rounding on values up
# to ~1e9 moves a log-probability by ~1e-7, far less than the factor 50 between that margin
# and the bound the module promises (< 1e-20 of the total mass in all cut tails together).
_LOG_TAIL = math.log(1e-22)
# Counts whose probability is below e^-1000 of the mode's are 0 in double precision whatever
# is added to them; a tail is not searched for relative to them.
_LOG_UNDERFLOW = 1000.0
# The bounded window is used unless it holds more than this many times the counts of the
# older, unbounded one (heavy tails, where the bound is costly or absent: see _window) and
# more than _EXACT_POINTS counts. Up to 2^20 counts (about 40 ms) the bounded window is
# always used: every test of up to a million current rows is exact, whatever its shape.
_WIDE_FACTOR = 4
_EXACT_POINTS = 1 << 20


def _window(x: int, n: int, a: float, b: float) -> tuple[tuple[int, int], ...]:
    """The counts a beta-binomial(n, a, b) test sums over: where its mass lies, and `x`
    with the tail beyond it; inclusive ``(low, high)`` ranges in increasing order.

    Bound on what is left out. With p(k) the probability of k, the ratio of successive
    terms is ``r(k) = p(k+1) / p(k) = (k + a) / (k + 1) * (n - k) / (n - k - 1 + b)``, a
    product of two factors each monotone in k (their derivatives have the constant signs of
    ``1 - a`` and ``1 - b``). So on ``[K, n - 1]`` r is at most ``rho(K)``, the product of
    each factor's larger end value, and when ``rho(K) < 1`` the mass beyond K is at most the
    geometric series ``p(K) rho / (1 - rho)``. An upper edge K is kept when that bound is at
    most 1e-22 of a reference probability inside the window (the lower edge is the same on
    the reflected distribution, since ``X`` and ``n - X`` swap a and b). This holds for any
    shape; unimodality (a, b >= 1: log-concave; a < 1 <= b or b < 1 <= a: monotone) only
    makes the search find the smallest such edge.

    The window is the mode's neighbourhood, cut at 1e-22 of the mode's probability on both
    sides (all cut mass < 1e-20 of the total), and, when x lies beyond it, the tail beyond x
    cut at 1e-22 of p(x), so that the side of the mid-p value x lies on keeps its relative
    precision (the counts between the two are part of the other side, < 1e-22 of it). Where
    the bound needs more than 2^20 counts and more than 4 times the counts of the window used
    before it (40 standard deviations either side of the mean, and x), that older window is
    used instead: those are the shapes where r nears 1 at an end (a U shape, a or b well
    below 1), whose tails are too heavy for either window to be cheap, at more than a
    million current rows; the older one does not bound its error (8e-7 relative was seen on
    a heavy tail of 2,768 rows, which the bounded window now sums exactly).

    Examples
    --------
    A drifted column: 1.9M new rows where about 42 are expected. The mode's neighbourhood
    and x alone (the 1.9M counts between hold < 1e-22 of the mass):

    >>> _window(1_900_000, 21_500_000, 0.99999, 514_328.0)
    ((0, 2301), (1900000, 1900000))
    """
    if n <= 0:
        return ((0, 0),)
    mode = _mode(n, a, b)
    log_mode = _log_pmf_point(mode, n, a, b)
    # The searches gallop out in steps of a standard deviation, then bisect.
    step = max(1, int(math.sqrt(n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1)))))
    if x >= mode:
        segments = _window_above(x, n, a, b, mode, log_mode, step)
    else:
        # x below the mode is x above it in n - X, a beta-binomial(n, b, a).
        reflected = _window_above(n - x, n, b, a, n - mode, log_mode, step)
        segments = [(n - high, n - low) for low, high in reversed(reflected)]
    wide = _wide_window(x, n, a, b)
    size = sum(high - low + 1 for low, high in segments)
    if size > _EXACT_POINTS and size > _WIDE_FACTOR * (wide[1] - wide[0] + 1):
        return (wide,)
    return tuple(segments)


def _window_above(x: int, n: int, a: float, b: float, mode: int, log_mode: float, step: int) -> list[tuple[int, int]]:
    """:func:`_window` for x at or above the mode."""
    low = _lower_edge(mode, n, a, b, log_mode, step)
    log_x = _log_pmf_point(x, n, a, b)
    if log_x >= log_mode + _LOG_TAIL:
        # x within the mode's neighbourhood: one range, cut relative to the smaller of both.
        return [(low, _upper_edge(x, n, a, b, min(log_x, log_mode), step))]
    high = _upper_edge(mode, n, a, b, log_mode, step)
    log_ref = min(log_mode, max(log_x, log_mode - _LOG_UNDERFLOW))
    if x > high + 1:
        return [(low, high), (x, _upper_edge(x, n, a, b, log_ref, step))]
    return [(low, _upper_edge(max(x, high), n, a, b, log_ref, step))]


def _wide_window(x: int, n: int, a: float, b: float) -> tuple[int, int]:
    """40 standard deviations either side of the mean, and `x` (the window before the bound)."""
    mean = n * a / (a + b)
    sd = math.sqrt(n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1)))
    low = int(max(0, min(x, math.floor(mean - 40 * sd - 10))))
    high = int(min(n, max(x, math.ceil(mean + 40 * sd + 10))))
    return low, high


def _log_pmf_point(k: int, n: int, a: float, b: float) -> float:
    """log p(k) up to a constant of k (for comparisons within one distribution)."""
    return math.lgamma(k + a) + math.lgamma(n - k + b) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _mode(n: int, a: float, b: float) -> int:
    """The beta-binomial's most likely count (r(k) >= 1 exactly for k <= k0), or near it
    where it has none inside (U shape, uniform): only the window's size depends on it."""
    if a >= 1 and b >= 1 and a + b > 2:
        k0 = (n * (a - 1) + 1 - b) / (a + b - 2)
        return int(min(n, max(0, math.floor(k0) + 1)))
    if a < 1 <= b:
        return 0
    if b < 1 <= a:
        return n
    return int(min(n, max(0, round(n * a / (a + b)))))


def _upper_edge(start: int, n: int, a: float, b: float, log_ref: float, step: int) -> int:
    """A K >= start whose tail beyond is bounded by 1e-22 of exp(log_ref), n when none is
    (see :func:`_window`): the smallest when the bound falls with K (unimodal shapes), found
    by galloping out from `start` in doubling steps and bisecting the last one."""
    lgamma, target = math.lgamma, log_ref + _LOG_TAIL
    a_end, b_end = (n - 1 + a) / n, 1 / b

    def enough(k: int) -> bool:
        if k >= n:
            return True
        rise = max((k + a) / (k + 1), a_end) * max((n - k) / (n - k - 1 + b), b_end)
        if rise >= 1:
            return False
        log_p = lgamma(k + a) + lgamma(n - k + b) - lgamma(k + 1) - lgamma(n - k + 1)
        return log_p + math.log(rise / (1 - rise)) <= target

    if enough(start):
        return start
    low = start
    while True:
        high = min(n, low + step)
        if enough(high):
            break
        low, step = high, 2 * step
    while high - low > 1:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle
    return high


def _lower_edge(start: int, n: int, a: float, b: float, log_ref: float, step: int) -> int:
    """:func:`_upper_edge` downwards: the same on n - X, a beta-binomial(n, b, a)."""
    return n - _upper_edge(n - start, n, b, a, log_ref, step)


def _split(pmf: NDArray[np.float64], at: int) -> tuple[float, float, float]:
    """P(X < x), P(X = x), P(X > x) from unnormalised probabilities, x at position `at`."""
    pmf /= pmf.sum()
    return float(pmf[:at].sum()), float(pmf[at]), float(pmf[at + 1 :].sum())


def combine_pvalues(p_seen: float, dof_seen: int, p_novel: float) -> float:
    """One p-value from a test of the seen values' shares and a test of the new values' share.

    Under "same distribution" the share of new rows and the shares among the seen rows are
    asymptotically independent, so their chi-square equivalents add up:
    ``chi2.isf(p_seen, dof) + chi2.isf(p_novel, 1)`` against ``chi2(dof + 1)``.

    Examples
    --------
    >>> round(combine_pvalues(0.5, 0, 0.03), 6)
    0.03
    >>> combine_pvalues(0.001, 5, 0.9) < 0.01
    True
    """
    # scipy.special rather than scipy.stats: the same functions, without a second of import.
    from scipy.special import chdtrc, chdtri

    p_novel = min(max(p_novel, 0.0), 1.0)
    if dof_seen <= 0:
        return p_novel
    p_seen = min(max(p_seen, 0.0), 1.0)
    statistic = float(chdtri(dof_seen, p_seen)) + float(chdtri(1, p_novel))
    return float(chdtrc(dof_seen + 1, statistic))
