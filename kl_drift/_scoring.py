"""Scoring a profile against counts: smoothing, divergence, p-values, decisions. No rows here.

Pure functions of a `ReferenceProfile`, a
`CountTable` and `CompareOptions`; every
engine's counts go through the same code, so equal counts give equal reports.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np

from ._core.bins import CategoricalBins, NumericBins
from ._core.divergence import divergence_terms, expected_statistic
from ._core.stats import adjust_pvalues, drift_pvalue, expand_unseen
from ._explain import explain
from ._options import CompareOptions
from .counts import ColumnCounts, CountTable
from .errors import AllMissingWarning, ColumnError, EmptyDataError, IncompatibleProfilesError
from .profile import ColumnProfile, ReferenceProfile
from .report import ColumnDrift, DriftReport

__all__ = ["score_table", "UNSEEN_EXAMPLES"]

# How many values that landed in "(unseen)" a report names as examples.
UNSEEN_EXAMPLES = 5
_ALL_MISSING = "all current values are missing"


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


def _scored(col: ColumnProfile, counted: ColumnCounts, levels: tuple[float, float], opts: CompareOptions) -> ColumnDrift:
    """Score one column; its status is decided later, once every column's p-value is known."""
    assert col.bins is not None
    ref = np.asarray(col.counts, dtype=np.int64)
    current = np.asarray(counted.counts, dtype=np.int64)
    if current.shape != ref.shape:
        raise IncompatibleProfilesError(
            f"column {col.name!r}: {current.size} current counts for {ref.size} reference bins; "
            "count the current data into this profile's bins"
        )
    n_ref, n_cur = int(ref.sum()), int(current.sum())
    statistic, contributions = divergence_terms(
        current, ref, direction=opts.direction, smoothing=opts.smoothing, base=opts.base
    )
    spec = col.bins
    test_cur, test_ref = current.astype(np.float64), ref.astype(np.float64)
    if isinstance(spec, CategoricalBins):
        split = [count for _, count in counted.unseen] if counted.unseen_complete else None
        test_cur, test_ref = expand_unseen(current, ref, spec.unseen_index, split)
    null = "ranks" if isinstance(spec, NumericBins) and spec.strategy == "quantile" else "hypergeometric"
    pvalue, method = drift_pvalue(
        test_cur, test_ref, method=opts.pvalue_method, null=null,
        n_permutations=opts.permutations, random_state=opts.seed_for(col.name),
    )
    dof = max(int(np.count_nonzero(current + ref)) - 1, 0)
    expected = expected_statistic(dof + 1, n_cur, n_ref, direction=opts.direction, base=opts.base)
    ref_props, cur_props = ref / n_ref, current / n_cur
    examples = counted.unseen[:UNSEEN_EXAMPLES]
    return ColumnDrift(
        column=col.name, kind=col.kind, status="ok", drifted=False, statistic=statistic,
        threshold=levels[0], warn_threshold=levels[1], pvalue=pvalue, expected_statistic=expected, dof=dof,
        n_reference=n_ref, n_current=n_cur, missing_reference=float(ref_props[-1]),
        missing_current=float(cur_props[-1]), n_inf_reference=col.n_inf, n_inf_current=counted.n_inf,
        novel_fraction=float(current[ref == 0].sum() / n_cur),
        vanished_fraction=float(ref[current == 0].sum() / n_ref),
        bin_labels=col.labels, reference_counts=tuple(int(c) for c in ref),
        current_counts=tuple(int(c) for c in current),
        reference_proportions=tuple(float(c) for c in ref_props),
        current_proportions=tuple(float(c) for c in cur_props),
        contributions=tuple(float(c) for c in contributions),
        reason=_ALL_MISSING if n_cur == int(current[-1]) else None,
        pvalue_method=method,
        explanations=explain(col.bins, ref_props.tolist(), cur_props.tolist(), contributions.tolist(),
                             unseen_examples=examples, n_current=n_cur),
        unseen_examples=examples,
        **opts.settings,
    )  # fmt: skip


def _decide(result: ColumnDrift, adjusted: float, opts: CompareOptions) -> ColumnDrift:
    statistic = result.statistic
    assert statistic is not None
    large = statistic >= result.threshold
    noticeable = statistic >= result.warn_threshold
    if opts.auto:
        significant = adjusted < opts.alpha
        large, noticeable = large and significant, noticeable and significant
    status = "drift" if large else "warn" if noticeable else "ok"
    return replace(result, status=status, drifted=large, pvalue_adjusted=adjusted)


def _one(col: ColumnProfile, table: CountTable, levels: tuple[float, float], opts: CompareOptions, n_reference: int) -> ColumnDrift:
    if col.bins is None:
        return _unscored(col.name, col.kind, "skipped", f"not profiled: {col.reason}", levels, opts, n_reference, table.n_rows)
    counted = table.columns.get(col.name)
    if counted is None:
        counted = ColumnCounts.failed(col.name, "missing_column", "in the reference profile but not in the current data")
    if counted.problem == "missing_column":
        return _unscored(col.name, col.kind, "missing_column", counted.reason, levels, opts, col.n_rows, 0)
    if counted.problem is not None:
        return _unscored(col.name, col.kind, counted.problem, counted.reason, levels, opts, col.n_rows, table.n_rows)
    return _scored(col, counted, levels, opts)


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


def _decide_all(results: list[ColumnDrift], opts: CompareOptions) -> list[ColumnDrift]:
    """Statuses once every p-value is known: adjusted across the scored columns."""
    scored = [i for i, r in enumerate(results) if r.pvalue is not None]
    adjusted = adjust_pvalues([float(results[i].pvalue or 0.0) for i in scored], opts.correction)
    decided = list(results)
    for i, p_adj in zip(scored, adjusted):
        decided[i] = _decide(results[i], float(p_adj), opts)
    return decided


def _dataset_drifted(compared: list[ColumnDrift], drift_share: float | None) -> bool:
    n_drifted = sum(r.drifted for r in compared)
    if drift_share is None:
        return n_drifted > 0
    return bool(compared) and n_drifted / len(compared) >= drift_share


def score_table(
    prof: ReferenceProfile, table: CountTable, opts: CompareOptions, *, columns: Sequence[str] | None = None
) -> DriftReport:
    """The drift report of counted current data against a profile.

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
    if table.n_rows == 0:
        raise EmptyDataError("the current data has no rows")
    targets, extra = _targets(prof, table, columns)
    levels = opts.levels([c.name for c in targets] + extra)
    results = _decide_all([_one(col, table, levels[col.name], opts, prof.n_rows) for col in targets], opts)
    for name in extra:
        results.append(_unscored(name, "skipped", "skipped", "not in the reference profile", levels[name], opts, 0, table.n_rows))
    for result in results:
        if result.reason == _ALL_MISSING:
            warnings.warn(
                f"column {result.column!r}: all {result.n_current} current values are missing", AllMissingWarning, stacklevel=3
            )
    drifted = _dataset_drifted([r for r in results if r.status != "skipped"], opts.drift_share)
    return DriftReport(
        columns=tuple(results), drifted=drifted, drift_share=opts.drift_share,
        direction=opts.direction, base=opts.base, smoothing=opts.smoothing, n_reference=prof.n_rows,
        n_current=table.n_rows, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        threshold_mode="auto" if opts.auto else "fixed", alpha=opts.alpha, correction=opts.correction,
    )  # fmt: skip


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
