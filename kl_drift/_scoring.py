"""Scoring a profile against counts: smoothing, divergence, p-values, decisions. No rows here.

Pure functions of a `ReferenceProfile`, a
`CountTable` and `CompareOptions`; every
engine's counts go through the same code, so equal counts give equal reports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._core.bins import BinSpec, CategoricalBins, NumericBins
from ._core.divergence import (
    divergence_rows,
    divergence_terms,
    divergence_terms_unchecked,
    expected_statistic,
    expected_statistic_unchecked,
)
from ._core.novelty import combine_pvalues, frequencies, novelty_pvalue, novelty_pvalue_rows, turing_mass, value_key
from ._core.stats import adjust_pvalues, drift_pvalue, drift_pvalue_rows, drift_pvalue_unchecked, expand_unseen
from ._explain import explain
from ._options import CompareOptions
from .counts import ColumnCounts, CountTable
from .errors import AllMissingWarning, ColumnError, EmptyDataError, IncompatibleProfilesError, SmallSampleWarning
from .profile import ColumnProfile, ReferenceProfile
from .report import ColumnDrift, DriftReport, _Deferred

__all__ = ["score_table", "score_tables", "UNSEEN_EXAMPLES"]

# How many values that landed in "(unseen)" a report names as examples.
UNSEEN_EXAMPLES = 5
# A kept category is tested on its own when the reference saw it at least this often, and
# at least 3 standard deviations more often than any pooled value; the rest are tested
# together with the pooled values (see _test_categorical).
MIN_SEPARATE_COUNT = 30
_ALL_MISSING = "all current values are missing"
# With a fixed threshold, a column warns when noise alone is expected to score at least this
# share of it (at one half, noise crosses the threshold a few percent of the time).
NOISE_SHARE = 0.5


def _unscored(
    name: str, kind: str, status: str, reason: str | None, levels: tuple[float, float], opts: CompareOptions,
    n_reference: int, n_current: int,
) -> ColumnDrift:
    return ColumnDrift(
        column=name, kind=kind, status=status, drifted=status in ("missing_column", "type_mismatch"),
        statistic=None, threshold=levels[0], warn_threshold=levels[1], pvalue=None, expected_statistic=None,
        dof=0, n_reference=n_reference, n_current=n_current, missing_reference=None, missing_current=None,
        n_inf_reference=0, n_inf_current=0, novel_fraction=None, vanished_fraction=None, bin_labels=(),
        reference_counts=(), current_counts=(), reference_proportions=(), current_proportions=(),
        contributions=(), reason=reason, **opts.settings,
    )


class _Pending(dict):  # type: ignore[type-arg]
    """A scored column's ColumnDrift fields but its decision (status, drifted, pvalue_adjusted),
    which waits for every column's p-value: the result is then built once, not built and
    copied with `dataclasses.replace`."""


@dataclass(frozen=True)
class _Tested:
    """A column's test: p-value, method, degrees of freedom, and what was judged new."""

    counts: NDArray[np.int64]
    pvalue: float
    method: str
    dof: int
    novel: float
    expected_novel: float | None = None
    expected_counts: NDArray[np.float64] | None = None
    examples: tuple[tuple[Any, int], ...] = ()


def _test_counts(
    col: ColumnProfile, counted: ColumnCounts, current: NDArray[np.int64], ref: NDArray[np.int64], opts: CompareOptions,
    known: _CategoricalReference | None = None,
) -> _Tested:
    spec = col.bins
    if isinstance(spec, CategoricalBins) and col.pooled is not None and spec.other_complete:
        return _test_categorical(col, counted, current, ref, opts, known)
    if isinstance(spec, NumericBins) and spec.has_range:
        # Beyond the range the reference has no rows by construction: its bins join their
        # neighbours for the test (the layout 0.1.0 tested), and out_of_range_fraction
        # reports them. Integer sums, exact in any order: on lists, a dozen bins cost less
        # than numpy's per-call overhead.
        below, above = spec.below_bins, spec.above_bins
        test_cur = np.array(_within_range(current.tolist(), below, above), dtype=np.float64)
        test_ref = np.array(_within_range(list(col.counts), below, above), dtype=np.float64)
    else:
        test_cur, test_ref = current.astype(np.float64), ref.astype(np.float64)
    if isinstance(spec, CategoricalBins):
        # Profiles without pooled value counts (0.1.0, engines that cannot list them): each
        # unseen value is its own category, as 0.1.0 tested them.
        split = [count for _, count in counted.unseen] if counted.unseen_complete else None
        test_cur, test_ref = expand_unseen(current, ref, spec.unseen_index, split)
    null = "ranks" if isinstance(spec, NumericBins) and spec.strategy == "quantile" else "hypergeometric"
    pvalue, method = drift_pvalue_unchecked(
        test_cur, test_ref, opts.pvalue_method, null, opts.permutations, opts.seed_for(col.name)
    )
    dof = max(int(np.count_nonzero(test_cur + test_ref)) - 1, 0)
    n_cur = max(int(current.sum()), 1)
    return _Tested(current, pvalue, method, dof, float(current[ref == 0].sum() / n_cur), examples=counted.unseen[:UNSEEN_EXAMPLES])


def _within_range(counts: list[int], below: int, above: int) -> list[int]:
    """Counts with the `below` bins beyond the reference minimum added to the first bin in
    range and the `above` bins beyond its maximum to the last (missing stays last)."""
    values, missing = counts[:-1], counts[-1]
    inside = values[below : len(values) - above]
    inside[0] += sum(values[:below])
    inside[-1] += sum(values[len(values) - above :])
    return [*inside, missing]


def out_of_range(counts: Sequence[int], spec: NumericBins) -> float | None:
    """Share of the counted rows below the reference minimum or above its maximum."""
    if not spec.has_range:
        return None
    total = sum(counts)
    beyond = sum(counts[: spec.below_bins]) + sum(counts[len(counts) - 1 - spec.above_bins : -1])
    return beyond / total if total else 0.0


def _test_categorical(
    col: ColumnProfile, counted: ColumnCounts, current: NDArray[np.int64], ref: NDArray[np.int64], opts: CompareOptions,
    reference: _CategoricalReference | None = None,
) -> _Tested:
    """New values judged against the reference's missing mass, the seen ones by their shares.

    The current's "(unseen)" values that the reference did see (beyond the values its bins
    list: in its sketch, or in its own unseen list) are "seen but rare" and move to
    "(other)". The rest are new: their number is tested against what sampling leaves unseen
    (Good–Turing, :func:`~kl_drift._core.novelty.novelty_pvalue`). The shares of the seen
    values are tested with the categories the reference saw often, far above the pooled
    ones, as bins of their own and everything else (new values included) as one bin: raw
    counts on both sides, the usual two-sample test. Among the rows of that last bin, the
    share of new values is then tested against the reference's share of values seen once.
    Both tests are combined (:func:`~kl_drift._core.novelty.combine_pvalues`).

    A category kept by a narrow margin was counted high by luck (among many values of
    similar frequency, the kept ones are the lucky ones), and one seen a few times was
    counted high as a rule (the values seen once lose all their rows to the missing mass);
    neither can stand alone against a current batch.
    """
    layout = _categorical_layout(col, counted, current, ref, reference)
    p_seen, method = drift_pvalue_unchecked(
        layout.cur_seen, layout.ref_seen, opts.pvalue_method, "hypergeometric", opts.permutations, opts.seed_for(col.name)
    )
    return layout.tested(p_seen, method)


class _Layout:
    """A categorical test before its p-values (`_categorical_layout`): the counts the seen
    values are tested on, the novelty test's numbers, and what the result reports."""

    __slots__ = ("reported", "cur_seen", "ref_seen", "dof", "novelty", "novel", "expected_novel", "expected", "examples")

    def __init__(
        self, reported: NDArray[np.int64], cur_seen: NDArray[np.float64], ref_seen: NDArray[np.float64],
        novelty: tuple[int, int, dict[int, int], int, float] | None, novel: float, expected_novel: float,
        expected: NDArray[np.float64] | None, examples: tuple[tuple[Any, int], ...],
    ) -> None:  # fmt: skip
        self.reported, self.cur_seen, self.ref_seen, self.novelty = reported, cur_seen, ref_seen, novelty
        self.dof = max(int(np.count_nonzero(cur_seen + ref_seen)) - 1, 0)
        self.novel, self.expected_novel, self.expected, self.examples = novel, expected_novel, expected, examples

    def tested(self, p_seen: float, method: str, p_novel: float | None = None) -> _Tested:
        """The test's result from the seen values' p-value (and the novelty test's, when the
        caller computed it already)."""
        pvalue, dof = p_seen, self.dof
        if self.novelty is not None:
            if p_novel is None:
                never, n_rest, freq, ref_rest, split_variance = self.novelty
                p_novel, _ = novelty_pvalue(never, n_rest, freq, ref_rest, extra_variance=split_variance)
            pvalue = combine_pvalues(p_seen, dof, p_novel)
            dof += 1
        return _Tested(self.reported, pvalue, method, dof, self.novel, self.expected_novel, self.expected, self.examples)


def _categorical_layout(
    col: ColumnProfile, counted: ColumnCounts, current: NDArray[np.int64], ref: NDArray[np.int64],
    reference: _CategoricalReference | None = None,
) -> _Layout:
    """`_test_categorical` up to its p-values."""
    spec = col.bins
    assert isinstance(spec, CategoricalBins)
    u, o, n_kept = spec.unseen_index, spec.other_index, len(spec.categories)
    known = reference if reference is not None else _CategoricalReference.of(col, ref)
    n_cur, n_ref, f1, alone = int(current.sum()), known.n_ref, known.f1, known.alone
    expected_hidden = known.hidden_rows * n_cur / n_ref if n_ref else 0.0
    rare, examples, split_variance = _seen_but_rare(col, counted, int(current[u]), expected_hidden, known.unseen_keys)
    reported = current.copy()
    if o is not None and rare:
        reported[o] += rare
        reported[u] -= rare
    never = int(current[u]) - rare

    # Everything but the categories tested alone and the missing values: the reference's raw
    # rows there are an unbiased sample count, new values included on both sides.
    ref_rest = known.ref_rest
    cur_rest = float(n_cur - int(current[-1]) - current[:n_kept][alone].sum())
    has_rest = ref_rest > 0 or cur_rest > 0
    ref_seen = np.array([*known.alone_counts, *([ref_rest] if has_rest else []), float(ref[-1])])
    cur_seen = np.array([*current[:n_kept][alone], *([cur_rest] if has_rest else []), float(current[-1])], dtype=np.float64)
    novelty = None
    if known.estimated and ref_rest > 0 and (f1 or never):
        # Among those rows, the share of new values against the share sampling leaves unseen:
        # given the totals, nearly independent of the seen values' test.
        novelty = (never, int(cur_rest), known.freq, int(ref_rest), split_variance)
    expected = None
    if known.expected_rows is not None:
        expected = known.expected_rows.copy()
        expected *= n_cur / n_ref
    return _Layout(
        reported, cur_seen, ref_seen, novelty, never / n_cur if n_cur else 0.0, f1 / n_ref if n_ref else 0.0, expected,
        examples,
    )  # fmt: skip


@dataclass(frozen=True)
class _CategoricalReference:
    """What `_test_categorical` takes from the reference alone: computed once per profile
    column when many tables are scored against it (a timeline's periods)."""

    n_ref: int
    freq: dict[int, int]
    f1: int
    hidden_rows: float
    estimated: bool
    alone: NDArray[np.bool_]
    alone_counts: list[Any]
    ref_rest: float
    expected_rows: NDArray[np.float64] | None
    unseen_keys: frozenset[bytes]

    @classmethod
    def of(cls, col: ColumnProfile, ref: NDArray[np.int64]) -> _CategoricalReference:
        spec, pooled = col.bins, col.pooled
        assert isinstance(spec, CategoricalBins) and pooled is not None
        u, o, n_kept = spec.unseen_index, spec.other_index, len(spec.categories)
        n_ref = int(ref.sum())
        n_present = n_ref - int(ref[-1])
        listed_ref_unseen = [count for _, count in col.unseen]
        freq = frequencies(np.concatenate([ref[:n_kept], pooled.other_counts, listed_ref_unseen]).astype(np.int64))
        for r, f in pooled.unlisted:
            freq[r] = freq.get(r, 0) + f
        f1 = freq.get(1, 0)
        # Reference values the bins do not list, whose current rows count as "(unseen)".
        hidden = dict(pooled.unlisted)
        for r in listed_ref_unseen:
            hidden[r] = hidden.get(r, 0) + 1
        kept = ref[:n_kept].astype(np.float64)
        estimated = bool(f1) or o is not None
        if estimated:
            widest = max([*pooled.other_counts, *(r for r, _ in pooled.unlisted), *listed_ref_unseen, 0])
            alone = kept >= max(MIN_SEPARATE_COUNT, widest + 3 * math.sqrt(widest + 1))
        else:
            # Every reference value kept and none seen once: no luck to undo, the 0.1.0 test.
            alone = np.ones(n_kept, dtype=bool)
        ref_rest = float(n_present - kept[alone].sum())
        expected = None
        if f1 and n_ref:
            # What the current expects under no drift, bin by bin (scaled to its rows later):
            # the pooled values' (and the narrowly kept ones') Good–Turing share spread over
            # them in proportion, f1 new.
            expected = ref.astype(np.float64)
            raw_pool = n_present - float(kept[alone].sum())
            shrink = (ref_rest - f1) / raw_pool if raw_pool > 0 else 0.0
            expected[:n_kept][~alone] *= shrink
            if o is not None:
                expected[o] = (ref[o] + sum(listed_ref_unseen)) * shrink
                expected[u] = f1
            else:
                expected[u] = sum(listed_ref_unseen) * shrink + f1
        unseen_keys = frozenset(value_key(value, spec.value_type) for value, _ in col.unseen)
        return cls(n_ref, freq, f1, turing_mass(freq, hidden), estimated, alone, [*kept[alone]], ref_rest, expected, unseen_keys)


def _seen_but_rare(
    col: ColumnProfile, counted: ColumnCounts, n_unseen: int, expected: float, reference_unseen: frozenset[bytes]
) -> tuple[int, tuple[tuple[Any, int], ...], float]:
    """Current rows in "(unseen)" whose values the reference saw, examples of the new ones,
    and the variance the split adds when it had to be estimated.

    Values the current lists are looked up one by one. Where more than 10,000 distinct
    unseen values were not all listed (the list keeps the most frequent, ties by text, which
    says nothing of being new), the reference's rare values are taken to bring their
    `expected` rows under no drift and the rest of the unlisted rows are new; the error of
    that guess (about `expected` rows, Poisson) is returned for the test to add.
    """
    spec = col.bins
    assert isinstance(spec, CategoricalBins) and col.pooled is not None
    listed = counted.unseen
    if col.pooled.sketch is None and not col.unseen:
        return 0, listed[:UNSEEN_EXAMPLES], 0.0
    values = [value for value, _ in listed]
    known = [value_key(value, spec.value_type) in reference_unseen for value in values]
    sketch = col.pooled.sketch
    hits = sketch.contains(values, spec.value_type) if sketch is not None else [False] * len(values)
    known_rows = sum(count for (_, count), k in zip(listed, known) if k)
    hit_rows = sum(count for (_, count), k, h in zip(listed, known, hits) if h and not k)
    missed_rows = sum(count for (_, count), k, h in zip(listed, known, hits) if not (h or k))
    # The filter takes a share `fpr` of new values for seen ones: of the new rows it saw,
    # missed_rows / (1 - fpr), that share hit by mistake. Where nearly every value is new
    # (an identifier scored on purpose) those are many rows, not a rounding error.
    fpr = sketch.false_positive_rate if sketch is not None else 0.0
    mistaken = missed_rows * fpr / (1 - fpr) if fpr < 1 else 0.0
    rare = known_rows + max(hit_rows - mistaken, 0.0)
    extra = mistaken
    rest = n_unseen - sum(count for _, count in listed)
    if rest > 0:
        rare += min(max(expected - rare, 0.0), rest)
        extra += expected
    seen = [k or h for k, h in zip(known, hits)]
    examples = tuple(pair for pair, was_seen in zip(listed, seen) if not was_seen)[:UNSEEN_EXAMPLES]
    return int(round(rare)), examples, extra


def _scored(
    col: ColumnProfile, counted: ColumnCounts, levels: tuple[float, float], opts: CompareOptions,
    known: dict[int, _CategoricalReference] | None = None,
) -> _Pending:
    """Score one column; its status is decided later, once every column's p-value is known.

    The reference path, column by column: `_score_batch` gives the same bits for many
    columns at once, and takes every column but the ones handled here alone (see
    `_batchable`). `known` keeps what a categorical test takes from the reference alone,
    by profile column, for the next table scored against it.
    """
    assert col.bins is not None
    ref = np.asarray(col.counts, dtype=np.int64)
    raw = np.asarray(counted.counts, dtype=np.int64)
    if raw.shape != ref.shape:
        raise IncompatibleProfilesError(
            f"column {col.name!r}: {raw.size} current counts for {ref.size} reference bins; "
            "count the current data into this profile's bins"
        )
    spec = col.bins
    # Integer sums and counts on lists: exact in any order, and cheaper than numpy calls on a
    # dozen bins (scoring's cost is per column, whatever the rows).
    ref_list = ref.tolist()
    if isinstance(spec, NumericBins) and not spec.datetime and sum(ref_list[:-1]) == col.n_inf:
        return _without_finite_reference(col, counted, raw, levels, opts)
    reference = None
    if known is not None and isinstance(spec, CategoricalBins) and col.pooled is not None and spec.other_complete:
        reference = known.get(id(col))
        if reference is None:
            reference = known[id(col)] = _CategoricalReference.of(col, ref)
    tested = _test_counts(col, counted, raw, ref, opts, reference)
    current = tested.counts
    cur_list = current.tolist()
    n_ref, n_cur = sum(ref_list), sum(cur_list)
    # The options were checked once (CompareOptions) and the counts are the library's own:
    # the unchecked divergence, same arithmetic as `divergence_terms`.
    ref_float, alpha, log_base = ref.astype(np.float64), float(opts.smoothing), math.log(float(opts.base))
    statistic, contributions = divergence_terms_unchecked(current.astype(np.float64), ref_float, opts.direction, alpha, log_base)
    k = sum(1 for r, c in zip(ref_list, cur_list) if r or c)
    expected = expected_statistic_unchecked(k, n_cur, n_ref, opts.direction, log_base)
    if tested.expected_counts is not None:
        # What sampling alone shifts: the new values and the rare ones the reference over-counts.
        expected += divergence_terms_unchecked(tested.expected_counts, ref_float, opts.direction, alpha, log_base)[0]
    # Lists once (tolist is one C call per array; a generator of int() per bin is not).
    return _fields(
        col, counted, levels, opts, statistic, expected, tested.pvalue, tested.method, tested.dof, tested.novel,
        sum(r for r, c in zip(ref_list, cur_list) if c == 0) / n_ref, ref_list, cur_list, (ref / n_ref).tolist(),
        (current / n_cur).tolist(), contributions.tolist(), tested.examples, tested.expected_novel,
        out_of_range(cur_list, col.bins) if isinstance(col.bins, NumericBins) else None,
    )  # fmt: skip


def _fields(
    col: ColumnProfile, counted: ColumnCounts, levels: tuple[float, float], opts: CompareOptions, statistic: float,
    expected: float, pvalue: float, method: str, dof: int, novel: float, vanished: float, ref_list: list[int],
    cur_list: list[int], ref_shares: list[float], cur_shares: list[float], terms: list[float],
    examples: tuple[tuple[Any, int], ...], expected_novel: float | None, beyond: float | None,
) -> _Pending:
    """A scored column's fields, from its numbers (both scoring paths build them here)."""
    n_cur = sum(cur_list)
    assert col.bins is not None
    ref_shares, cur_shares, terms = tuple(ref_shares), tuple(cur_shares), tuple(terms)  # type: ignore[assignment]
    return _Pending(dict(
        column=col.name, kind=col.kind, statistic=statistic,
        threshold=levels[0], warn_threshold=levels[1], pvalue=pvalue, expected_statistic=expected, dof=dof,
        n_reference=sum(ref_list), n_current=n_cur, missing_reference=ref_shares[-1],
        missing_current=cur_shares[-1], n_inf_reference=col.n_inf, n_inf_current=counted.n_inf,
        novel_fraction=novel, vanished_fraction=vanished,
        bin_labels=col.labels, reference_counts=tuple(ref_list), current_counts=tuple(cur_list),
        reference_proportions=ref_shares, current_proportions=cur_shares, contributions=terms,
        reason=_ALL_MISSING if n_cur == cur_list[-1] else None,
        pvalue_method=method,
        # Written when first read: a timeline's heatmap, charts and frame never read them.
        explanations=_Deferred((_sentences, explain, col.bins, ref_shares, cur_shares, terms, examples, n_cur,
                               expected_novel)),
        unseen_examples=examples,
        expected_novel_fraction=expected_novel,
        out_of_range_fraction=beyond,
        **opts.settings,
    ))  # fmt: skip


def _sentences(
    write: Any, spec: BinSpec, ref_shares: tuple[float, ...], cur_shares: tuple[float, ...], terms: tuple[float, ...],
    examples: tuple[tuple[Any, int], ...], n_current: int, expected_novel: float | None,
) -> tuple[str, ...]:
    """A result's `explanations`, when first read: `write` is `explain` (taken when the
    result was made)."""
    return write(spec, ref_shares, cur_shares, terms, unseen_examples=examples, n_current=n_current,
                 expected_novel=expected_novel)  # fmt: skip


_NO_FINITE_LABELS = ("±inf", "finite values", "(missing)")


def _without_finite_reference(
    col: ColumnProfile, counted: ColumnCounts, current: NDArray[np.int64], levels: tuple[float, float], opts: CompareOptions
) -> _Pending:
    """A numeric reference without a finite value (all ±inf or missing) has no distribution
    of values to compare with: the current is compared on what it can be, the shares of
    ±inf, finite and missing values, and the reason says so."""
    ref = np.asarray(col.counts, dtype=np.int64)
    n_ref, n_cur = int(ref.sum()), int(current.sum())
    ref3 = np.array([col.n_inf, 0, ref[-1]], dtype=np.int64)
    cur3 = np.array([counted.n_inf, int(current[:-1].sum()) - counted.n_inf, current[-1]], dtype=np.int64)
    statistic, contributions = divergence_terms(cur3, ref3, direction=opts.direction, smoothing=opts.smoothing, base=opts.base)
    pvalue, method = drift_pvalue(
        cur3, ref3, method=opts.pvalue_method, null="hypergeometric",
        n_permutations=opts.permutations, random_state=opts.seed_for(col.name),
    )  # fmt: skip
    k = int(np.count_nonzero(cur3 + ref3))
    ref_props, cur_props = ref3 / n_ref, cur3 / n_cur
    sentences = []
    if cur3[1]:
        sentences.append(f"finite values, which the reference never had, make up {cur_props[1]:.1%} of rows")
    if abs(cur_props[2] - ref_props[2]) >= 0.001:
        verb = "rose" if cur_props[2] > ref_props[2] else "fell"
        sentences.append(f"missing rate {verb} from {ref_props[2]:.1%} to {cur_props[2]:.1%}")
    reason = (
        f"the reference has no finite values ({col.n_inf:,} ±inf, {int(ref[-1]):,} missing): "
        "the current is compared on its shares of ±inf, finite and missing values"
    )
    return _Pending(dict(
        column=col.name, kind=col.kind, statistic=statistic,
        threshold=levels[0], warn_threshold=levels[1], pvalue=pvalue,
        expected_statistic=expected_statistic(k, n_cur, n_ref, direction=opts.direction, base=opts.base),
        dof=max(k - 1, 0), n_reference=n_ref, n_current=n_cur, missing_reference=float(ref_props[2]),
        missing_current=float(cur_props[2]), n_inf_reference=col.n_inf, n_inf_current=counted.n_inf,
        novel_fraction=float(cur_props[1]), vanished_fraction=float(ref3[cur3 == 0].sum() / n_ref),
        bin_labels=_NO_FINITE_LABELS, reference_counts=tuple(int(c) for c in ref3),
        current_counts=tuple(int(c) for c in cur3), reference_proportions=tuple(float(c) for c in ref_props),
        current_proportions=tuple(float(c) for c in cur_props), contributions=tuple(float(c) for c in contributions),
        reason=reason, pvalue_method=method, explanations=tuple(sentences), **opts.settings,
    ))  # fmt: skip


def _decide(result: _Pending, adjusted: float, opts: CompareOptions) -> ColumnDrift:
    statistic = result["statistic"]
    large = statistic >= result["threshold"]
    noticeable = statistic >= result["warn_threshold"]
    if opts.auto:
        significant = adjusted < opts.alpha
        large, noticeable = large and significant, noticeable and significant
    status = "drift" if large else "warn" if noticeable else "ok"
    return _column_drift(result, status, large, adjusted)


def _drift_template() -> dict[str, Any] | None:
    """ColumnDrift's fields in order, with their defaults (None for the required ones), when
    its `__init__` only stores them (a frozen dataclass without `__post_init__`, slots or
    default factories); None otherwise."""
    found = dataclasses.fields(ColumnDrift)
    plain = not hasattr(ColumnDrift, "__post_init__") and "__slots__" not in vars(ColumnDrift)
    if not plain or any(f.default_factory is not dataclasses.MISSING for f in found):
        return None
    return {f.name: None if f.default is dataclasses.MISSING else f.default for f in found}


_TEMPLATE = _drift_template()
_DECIDED = frozenset({"status", "drifted", "pvalue_adjusted"})
_REQUIRED = frozenset(f.name for f in dataclasses.fields(ColumnDrift) if f.default is dataclasses.MISSING) - _DECIDED


def _column_drift(result: _Pending, status: str, drifted: bool, adjusted: float) -> ColumnDrift:
    """``ColumnDrift(**result, status=..., drifted=..., pvalue_adjusted=...)``, stored directly:
    the generated `__init__` of a frozen dataclass sets its ~40 fields one
    `object.__setattr__` at a time, which a timeline's thousands of results pay for. The
    same attributes in the same order (`_TEMPLATE`'s); a key that is not a field falls back
    to the dataclass's own error."""
    if _TEMPLATE is None or not result.keys() >= _REQUIRED or not result.keys().isdisjoint(_DECIDED):
        return ColumnDrift(**result, status=status, drifted=drifted, pvalue_adjusted=adjusted)
    values = _TEMPLATE.copy()
    values.update(result)
    if len(values) != len(_TEMPLATE):
        return ColumnDrift(**result, status=status, drifted=drifted, pvalue_adjusted=adjusted)
    values["status"], values["drifted"], values["pvalue_adjusted"] = status, drifted, adjusted
    made = object.__new__(ColumnDrift)
    made.__dict__.update(values)
    return made


def _one(
    col: ColumnProfile, table: CountTable, levels: tuple[float, float], opts: CompareOptions, n_reference: int
) -> ColumnDrift | _Pending:
    found = _counted(col, table, levels, opts, n_reference)
    return found if isinstance(found, ColumnDrift) else _scored(col, found, levels, opts)


def _counted(
    col: ColumnProfile, table: CountTable, levels: tuple[float, float], opts: CompareOptions, n_reference: int
) -> ColumnDrift | ColumnCounts:
    """A column's counts to score, or its result when it is not scored."""
    if col.bins is None:
        return _unscored(col.name, col.kind, "skipped", f"not profiled: {col.reason}", levels, opts, n_reference, table.n_rows)
    counted = table.columns.get(col.name)
    if counted is None:
        counted = ColumnCounts.failed(col.name, "missing_column", "in the reference profile but not in the current data")
    if counted.problem == "missing_column":
        return _unscored(col.name, col.kind, "missing_column", counted.reason, levels, opts, col.n_rows, 0)
    if counted.problem is not None:
        return _unscored(col.name, col.kind, counted.problem, counted.reason, levels, opts, col.n_rows, table.n_rows)
    if col.identifier is not None and not opts.score_identifiers:
        reason = f"{col.identifier}; not scored (compare with score_identifiers=True to score it)"
        return _unscored(col.name, col.kind, "identifier", reason, levels, opts, col.n_rows, counted.n_rows)
    return counted


def _targets(
    prof: ReferenceProfile, table: CountTable, columns: Sequence[str] | None
) -> tuple[list[ColumnProfile], list[str]]:
    """The profile columns to score, and the data's columns the profile does not know."""
    if columns is not None:
        unknown = [c for c in columns if c not in prof]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
        return [prof[c] for c in dict.fromkeys(columns)], []
    known = set(prof.names)
    return list(prof.columns), [c for c in table.data_columns if c not in known]


def _decide_all(results: list[ColumnDrift | _Pending], opts: CompareOptions) -> list[ColumnDrift]:
    """Statuses once every p-value is known: adjusted across the scored columns."""
    scored = [i for i, r in enumerate(results) if isinstance(r, _Pending)]
    adjusted = adjust_pvalues([float(results[i]["pvalue"]) for i in scored], opts.correction)  # type: ignore[index]
    decided = list(results)
    for i, p_adj in zip(scored, adjusted.tolist()):
        decided[i] = _decide(results[i], p_adj, opts)  # type: ignore[arg-type]
    return decided  # type: ignore[return-value]


def _dataset_drifted(compared: list[ColumnDrift], drift_share: float | None) -> bool:
    n_drifted = sum(r.drifted for r in compared)
    if drift_share is None:
        return n_drifted > 0
    return bool(compared) and n_drifted / len(compared) >= drift_share


def _report(
    prof: ReferenceProfile, table: CountTable, scored: list[ColumnDrift | _Pending], extra: list[str],
    levels: dict[str, tuple[float, float]], opts: CompareOptions, stacklevel: int,
) -> DriftReport:
    """A table's report from its columns' results: decisions, warnings (`stacklevel` from here)."""
    results = _decide_all(scored, opts)
    for name in extra:
        results.append(_unscored(name, "skipped", "skipped", "not in the reference profile", levels[name], opts, 0, table.n_rows))
    for result in results:
        if result.reason == _ALL_MISSING:
            warnings.warn(
                f"column {result.column!r}: all {result.n_current} current values are missing",
                AllMissingWarning,
                stacklevel=stacklevel,
            )
        noise = result.expected_statistic
        if not opts.auto and noise is not None and result.threshold > 0 and noise >= NOISE_SHARE * result.threshold:
            warnings.warn(
                f"column {result.column!r}: sampling noise alone is expected to score {noise:.3g}, "
                f"{noise / result.threshold:.0%} of the fixed threshold {result.threshold:.3g}; "
                "threshold='auto' (the default) judges the score against the noise",
                SmallSampleWarning,
                stacklevel=stacklevel,
            )
    drifted = _dataset_drifted([r for r in results if r.status not in ("skipped", "identifier")], opts.drift_share)
    return DriftReport(
        columns=tuple(results), drifted=drifted, drift_share=opts.drift_share,
        direction=opts.direction, base=opts.base, smoothing=opts.smoothing, n_reference=prof.n_rows,
        n_current=table.n_rows, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        threshold_mode="auto" if opts.auto else "fixed", alpha=opts.alpha, correction=opts.correction,
    )  # fmt: skip


def _columnwise(
    prof: ReferenceProfile, table: CountTable, opts: CompareOptions, columns: Sequence[str] | None, stacklevel: int = 3
) -> DriftReport:
    """`score_table` one column at a time (`_scored`): the path the batched one is tested
    against, and the one that raises a table's first error in the order a loop would."""
    if table.n_rows == 0:
        raise EmptyDataError("the current data has no rows")
    targets, extra = _targets(prof, table, columns)
    levels = opts.levels([c.name for c in targets] + extra)
    scored = [_one(col, table, levels[col.name], opts, prof.n_rows) for col in targets]
    return _report(prof, table, scored, extra, levels, opts, stacklevel + 1)


class _Job:
    """A column to score: `batched` ones are scored together by `_score_batch` (into `result`),
    the others alone by `_scored`, when their table's turn comes."""

    __slots__ = ("col", "counted", "levels", "batched", "result")

    def __init__(self, col: ColumnProfile, counted: ColumnCounts, levels: tuple[float, float], batched: bool) -> None:
        self.col, self.counted, self.levels, self.batched = col, counted, levels, batched
        self.result: _Pending | None = None


@dataclass
class _Plan:
    """One table's columns, triaged: results of unscored columns, and jobs."""

    prof: ReferenceProfile
    table: CountTable
    items: list[ColumnDrift | _Job]
    extra: list[str]
    levels: dict[str, tuple[float, float]]


def _plan(prof: ReferenceProfile, table: CountTable, opts: CompareOptions, columns: Sequence[str] | None) -> _Plan:
    if table.n_rows == 0:
        raise EmptyDataError("the current data has no rows")
    targets, extra = _targets(prof, table, columns)
    levels = opts.levels([c.name for c in targets] + extra)
    items: list[ColumnDrift | _Job] = []
    for col in targets:
        level = levels[col.name]
        found = _counted(col, table, level, opts, prof.n_rows)
        items.append(found if isinstance(found, ColumnDrift) else _Job(col, found, level, _batchable(col, found)))
    return _Plan(prof, table, items, extra, levels)


def _batchable(col: ColumnProfile, counted: ColumnCounts) -> bool:
    """Whether `_score_batch` takes the column: all but a categorical column tested against
    the reference's missing mass (`_test_categorical`), a numeric reference without a finite
    value, and counts `_scored` rejects (its error is raised in turn)."""
    spec, ref, cur = col.bins, col.counts, counted.counts
    if len(cur) != len(ref) or not any(cur) or not any(ref):
        return False
    if isinstance(spec, NumericBins):
        return spec.datetime or sum(ref[:-1]) != col.n_inf
    return True


def _missing_mass(col: ColumnProfile) -> bool:
    """Whether a column's new values are tested against the reference's missing mass
    (`_test_categorical`)."""
    spec = col.bins
    return isinstance(spec, CategoricalBins) and col.pooled is not None and spec.other_complete


def _categorical_tests(jobs: list[_Job], opts: CompareOptions) -> dict[int, _Tested]:
    """`_test_categorical` of many columns: the seen values' p-values in arrays
    (`drift_pvalue_rows`, by test length), the novelty tests together (`novelty_pvalue_rows`).
    What a test takes from the reference alone is computed once per profile column."""
    known: dict[int, _CategoricalReference] = {}
    layouts: list[_Layout] = []
    for job in jobs:
        col = job.col
        reference = known.get(id(col))
        ref = np.asarray(col.counts, dtype=np.int64)
        if reference is None:
            reference = known[id(col)] = _CategoricalReference.of(col, ref)
        layouts.append(_categorical_layout(col, job.counted, np.asarray(job.counted.counts, dtype=np.int64), ref, reference))
    p_seen: list[float] = [1.0] * len(jobs)
    methods: list[str] = [""] * len(jobs)
    by_length: dict[int, list[int]] = {}
    for i, layout in enumerate(layouts):
        by_length.setdefault(layout.cur_seen.size, []).append(i)
    for rows in by_length.values():
        pvalues, chosen = drift_pvalue_rows(
            np.array([layouts[i].cur_seen for i in rows]), np.array([layouts[i].ref_seen for i in rows]),
            opts.pvalue_method, ["hypergeometric"] * len(rows), opts.permutations,
            [opts.seed_for(jobs[i].col.name) for i in rows],
        )  # fmt: skip
        for i, p, method in zip(rows, pvalues, chosen):
            p_seen[i], methods[i] = p, method
    novel_rows = [i for i, layout in enumerate(layouts) if layout.novelty is not None]
    p_novel: list[float | None] = [None] * len(jobs)
    for i, p in zip(novel_rows, novelty_pvalue_rows([layouts[i].novelty for i in novel_rows])):  # type: ignore[misc]
        p_novel[i] = p
    return {id(job): layout.tested(p_seen[i], methods[i], p_novel[i]) for i, (job, layout) in enumerate(zip(jobs, layouts))}


def _score_batch(jobs: list[_Job], opts: CompareOptions) -> None:
    """Score the batchable columns of every table at once: `_scored`'s bits, column by column.

    Columns with the same number of bins are stacked into (columns, bins) arrays and go
    through the divergence, the proportions and the p-value together (`divergence_rows`,
    `drift_pvalue_rows`: the same operations on the same values, each sum over one
    contiguous row); what is left per column is building its result and its sentences.
    """
    alpha, log_base, direction = float(opts.smoothing), math.log(float(opts.base)), opts.direction
    categorical = _categorical_tests([job for job in jobs if _missing_mass(job.col)], opts)
    by_size: dict[int, list[_Job]] = {}
    for job in jobs:
        by_size.setdefault(len(job.col.counts), []).append(job)
    shared: dict[int, tuple[tuple[int, ...], tuple[float, ...]]] = {}
    tests: list[tuple[list[_Job], NDArray[np.float64], NDArray[np.float64]]] = []
    for group in by_size.values():
        tested = [categorical.get(id(job)) for job in group]
        ref = np.array([job.col.counts for job in group], dtype=np.int64)
        cur = np.array([job.counted.counts if t is None else t.counts for job, t in zip(group, tested)], dtype=np.int64)
        ref_float, cur_float = ref.astype(np.float64), cur.astype(np.float64)
        statistics, contributions = divergence_rows(cur_float, ref_float, direction, alpha, log_base)
        n_ref, n_cur = ref.sum(axis=1), cur.sum(axis=1)
        novel = (cur * (ref == 0)).sum(axis=1) / n_cur
        vanished = (ref * (cur == 0)).sum(axis=1) / n_ref
        kept = np.count_nonzero(ref + cur, axis=1).tolist()
        plain = [i for i, t in enumerate(tested) if t is None]
        if len(plain) == len(group):
            beyond, layouts = _test_layouts(group, cur, ref, cur_float, ref_float)
        else:
            beyond = [None] * len(group)
            if plain:
                sub_beyond, layouts = _test_layouts(
                    [group[i] for i in plain], cur[plain], ref[plain], cur_float[plain], ref_float[plain]
                )
                for i, outside in zip(plain, sub_beyond):
                    beyond[i] = outside
            else:
                layouts = []
        noise = _noise_rows(tested, ref_float, direction, alpha, log_base)
        tests.extend(layouts)
        # A profile column's counts and shares are the same in every table scored against it
        # (a timeline's periods): made once, and its results share them (tuples).
        references = [_reference_tuples(job.col, shared) for job in group]
        cur_shares = (cur / n_cur[:, None]).tolist()
        columns = zip(
            group, tested, statistics.tolist(), kept, novel.tolist(), vanished.tolist(), references, cur.tolist(),
            cur_shares, contributions.tolist(), beyond, noise,
        )  # fmt: skip
        for job, test, statistic, k, new, gone, (ref_list, ref_shares), cur_list, cur_shares, terms, outside, more in columns:
            n_ref_i, n_cur_i = sum(ref_list), sum(cur_list)
            expected = expected_statistic_unchecked(k, n_cur_i, n_ref_i, direction, log_base)
            if test is None:
                job.result = _fields(
                    job.col, job.counted, job.levels, opts, max(statistic, 0.0), expected, 1.0, "", 0, new, gone,
                    ref_list, cur_list, ref_shares, cur_shares, terms, job.counted.unseen[:UNSEEN_EXAMPLES], None,
                    outside,
                )  # fmt: skip
                continue
            if more is not None:
                expected += more
            job.result = _fields(
                job.col, job.counted, job.levels, opts, max(statistic, 0.0), expected, test.pvalue, test.method,
                test.dof, test.novel, gone, ref_list, cur_list, ref_shares, cur_shares, terms, test.examples,
                test.expected_novel, None,
            )  # fmt: skip
    by_test_size: dict[int, list[tuple[list[_Job], NDArray[np.float64], NDArray[np.float64]]]] = {}
    for layout in tests:
        by_test_size.setdefault(layout[1].shape[1], []).append(layout)
    for layouts in by_test_size.values():
        group = [job for layout in layouts for job in layout[0]]
        test_cur = np.concatenate([layout[1] for layout in layouts]) if len(layouts) > 1 else layouts[0][1]
        test_ref = np.concatenate([layout[2] for layout in layouts]) if len(layouts) > 1 else layouts[0][2]
        nulls = [_null(job.col) for job in group]
        seeds = [opts.seed_for(job.col.name) for job in group]
        pvalues, methods = drift_pvalue_rows(test_cur, test_ref, opts.pvalue_method, nulls, opts.permutations, seeds)
        dofs = np.maximum(np.count_nonzero(test_cur + test_ref, axis=1) - 1, 0).tolist()
        for job, pvalue, method, dof in zip(group, pvalues, methods, dofs):
            result = job.result
            assert result is not None
            result["pvalue"], result["pvalue_method"], result["dof"] = pvalue, method, dof


def _reference_tuples(
    col: ColumnProfile, shared: dict[int, tuple[tuple[int, ...], tuple[float, ...]]]
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """A profile column's counts and shares (``counts / n``, numpy's division as in a row of
    the group's array), once per column: `shared` keeps them by the column's id (the
    columns outlive the call)."""
    found = shared.get(id(col))
    if found is None:
        ref = np.asarray(col.counts, dtype=np.int64)
        found = shared[id(col)] = (tuple(ref.tolist()), tuple((ref / ref.sum()).tolist()))
    return found


def _noise_rows(
    tested: list[_Tested | None], ref_float: NDArray[np.float64], direction: str, alpha: float, log_base: float
) -> list[float | None]:
    """Per column of a group, the divergence of the counts a categorical test expects from
    sampling alone (`_scored`'s second term of the expected statistic), or None."""
    rows = [i for i, t in enumerate(tested) if t is not None and t.expected_counts is not None]
    noise: list[float | None] = [None] * len(tested)
    if rows:
        expected = np.array([tested[i].expected_counts for i in rows], dtype=np.float64)  # type: ignore[union-attr]
        statistics, _ = divergence_rows(expected, ref_float[rows], direction, alpha, log_base)
        for i, statistic in zip(rows, statistics.tolist()):
            noise[i] = max(statistic, 0.0)
    return noise


def _null(col: ColumnProfile) -> str:
    spec = col.bins
    return "ranks" if isinstance(spec, NumericBins) and spec.strategy == "quantile" else "hypergeometric"


def _test_layouts(
    group: list[_Job], cur: NDArray[np.int64], ref: NDArray[np.int64], cur_float: NDArray[np.float64],
    ref_float: NDArray[np.float64],
) -> tuple[list[float | None], list[tuple[list[_Job], NDArray[np.float64], NDArray[np.float64]]]]:
    """The counts each column of a group is tested on (`_test_counts`'s layout), as blocks of
    columns with equal test lengths, and each column's share beyond the reference range."""
    size = cur.shape[1]
    beyond: list[float | None] = [None] * len(group)
    by_layout: dict[tuple[int, int] | None, list[int]] = {}
    expanded: list[tuple[list[_Job], NDArray[np.float64], NDArray[np.float64]]] = []
    for i, job in enumerate(group):
        spec = job.col.bins
        if isinstance(spec, NumericBins):
            by_layout.setdefault((spec.below_bins, spec.above_bins) if spec.has_range else None, []).append(i)
        else:
            assert isinstance(spec, CategoricalBins)
            counted = job.counted
            split = [count for _, count in counted.unseen] if counted.unseen_complete else None
            test_cur, test_ref = expand_unseen(cur[i], ref[i], spec.unseen_index, split)
            expanded.append(([job], test_cur[None, :], test_ref[None, :]))
    blocks = []
    for layout, rows in by_layout.items():
        jobs = [group[i] for i in rows]
        every = len(rows) == len(group)
        if layout is None:
            blocks.append((jobs, cur_float if every else cur_float[rows], ref_float if every else ref_float[rows]))
            continue
        below, above = layout
        sub_cur, sub_ref = (cur, ref) if every else (cur[rows], ref[rows])
        test_cur, outside = _within_range_rows(sub_cur, below, above, size)
        test_ref, _ = _within_range_rows(sub_ref, below, above, size)
        n_cur = sub_cur.sum(axis=1)
        for i, share in zip(rows, (outside / n_cur).tolist()):
            beyond[i] = share
        blocks.append((jobs, test_cur.astype(np.float64), test_ref.astype(np.float64)))
    return beyond, blocks + expanded


def _within_range_rows(counts: NDArray[np.int64], below: int, above: int, size: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`_within_range` of each row, and each row's count beyond the range (integers: exact)."""
    n_values = size - 1
    under = counts[:, :below].sum(axis=1)
    over = counts[:, n_values - above : n_values].sum(axis=1)
    inside = np.concatenate([counts[:, below : n_values - above], counts[:, n_values:]], axis=1)
    inside[:, 0] += under
    inside[:, -2] += over
    return inside, under + over


def _score_all(
    jobs: Sequence[tuple[ReferenceProfile, CountTable]], opts: CompareOptions, columns: Sequence[str] | None, stacklevel: int
) -> list[DriftReport]:
    """The reports of every table, their columns scored together; errors and warnings come in
    the order scoring the tables one by one would give. `stacklevel`, here as everywhere in
    this module, is what `warnings.warn` would be given in the function receiving it."""
    plans: list[_Plan] = []
    with _collector_paused():
        for prof, table in jobs:
            try:
                plans.append(_plan(prof, table, opts, columns))
            except Exception:
                # The tables before warn as a loop would have, then this table raises the first
                # error a loop over its columns meets.
                _finish(plans, opts, stacklevel + 1)
                _columnwise(prof, table, opts, columns, stacklevel + 1)
                raise
        reports = _finish(plans, opts, stacklevel + 1)
        # The jobs and their pending fields (one of each per result) are freed here, before
        # the collector resumes: it would otherwise walk them all once more on its first run.
        plans.clear()
    return reports


@contextlib.contextmanager
def _collector_paused() -> Any:
    """Python's cyclic garbage collector off while results are built, back on after (if it
    was on). Scoring makes many small containers and no reference cycles; every few hundred
    allocations the collector would walk them all again, which cost a timeline's 9,150 column
    results 0.15-0.35 s of CPU (a third of its scoring). Process-wide, as `gc.disable` is: a
    thread allocating meanwhile is collected once the pause ends."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _finish(plans: list[_Plan], opts: CompareOptions, stacklevel: int) -> list[DriftReport]:
    _score_batch([item for plan in plans for item in plan.items if isinstance(item, _Job) and item.batched], opts)
    # Profile columns outlive the call (the plans hold them): their ids stay theirs.
    known: dict[int, _CategoricalReference] = {}
    reports = []
    for plan in plans:
        scored = [
            item if isinstance(item, ColumnDrift)
            else item.result if item.batched and item.result is not None
            else _scored(item.col, item.counted, item.levels, opts, known)
            for item in plan.items
        ]  # fmt: skip
        reports.append(_report(plan.prof, plan.table, scored, plan.extra, plan.levels, opts, stacklevel + 1))
    return reports


def score_table(
    prof: ReferenceProfile, table: CountTable, opts: CompareOptions, *, columns: Sequence[str] | None = None
) -> DriftReport:
    """The drift report of counted current data against a profile.

    Columns are scored together (`score_tables`), with the bits of scoring them one by one.

    Parameters
    ----------
    prof : ReferenceProfile
        The reference bins and counts.
    table : CountTable
        The current data counted into `prof`'s bins by any engine.
    opts : CompareOptions
        Validated options.
    columns : sequence of str, optional
        Columns to report (default: every profiled column, plus the data's columns the
        profile does not know, reported as skipped).
    """
    return _score_all([(prof, table)], opts, columns, stacklevel=4)[0]


def score_tables(
    jobs: Sequence[tuple[ReferenceProfile, CountTable]], opts: CompareOptions, *, columns: Sequence[str] | None = None
) -> list[DriftReport]:
    """The drift reports of many count tables, each against its profile (a timeline's periods).

    Equal to ``[score_table(prof, table, opts, columns=columns) for prof, table in jobs]``,
    bit for bit (every statistic, p-value, decision and explanation; warnings and errors
    too), and each table is decided on its own (corrections across its columns only); the
    columns of all tables are scored together, so a table costs far less than alone.

    Parameters
    ----------
    jobs : sequence of (ReferenceProfile, CountTable)
        Each table with the profile it was counted against.
    opts : CompareOptions
        Validated options, the same for every table.
    columns : sequence of str, optional
        As for `score_table`.
    """
    return _score_all(jobs, opts, columns, stacklevel=4)


def table_from_profile(reference: ReferenceProfile, current: ReferenceProfile) -> CountTable:
    """Counts held in a profile of the current data (``prof.count(data)``, or 0.1.0 engine output).

    Kept so counts written as profiles (including 0.1.0's ``kind="type_mismatch"``) still compare.
    """
    columns = []
    for col in reference.columns:
        if col.bins is None or col.name not in current:
            continue
        other = current[col.name]
        if other.kind == "type_mismatch":
            columns.append(ColumnCounts.failed(col.name, "type_mismatch", other.reason or "the current column's type does not fit the reference bins"))
            continue
        if other.bins is None:
            columns.append(ColumnCounts.failed(col.name, "skipped", f"not counted: {other.reason}"))
            continue
        if (other.kind, other.bins) != (col.kind, col.bins):
            raise IncompatibleProfilesError(
                f"column {col.name!r}: the current profile was counted into different bins than the reference"
            )
        columns.append(ColumnCounts(col.name, tuple(other.counts), other.n_inf, other.unseen, other.unseen_complete))
    return CountTable.of(current.n_rows, columns, current.names, "profile")
