"""From the metric's counts to a drift report: the core does the maths, this only assembles."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .._core.pairs import PairCounts
from .._options import CompareOptions
from ..compare import compare
from ..counts import CountTable
from ..errors import KlDriftWarning
from ..profile import ReferenceProfile
from ..report import ColumnDrift, DriftReport, json_safe

__all__ = ["evaluate", "evaluate_pairs", "column_details", "TOP_BINS"]

# Bins listed per column in results and Data Docs.
TOP_BINS = 3
# Batch columns named in a "missing column" message.
_SHOWN_COLUMNS = 20


def _missing_reason(name: str, batch_columns: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in batch_columns[:_SHOWN_COLUMNS])
    more = f", … {len(batch_columns) - _SHOWN_COLUMNS} more" if len(batch_columns) > _SHOWN_COLUMNS else ""
    return f"column {name!r} is not in the batch (batch columns: {shown}{more})"


def _with_batch_columns(report: DriftReport, batch_columns: Sequence[str]) -> DriftReport:
    """Name the batch's columns in the reason of a column missing from it."""
    columns = tuple(
        replace(c, reason=_missing_reason(c.column, batch_columns)) if c.status == "missing_column" else c
        for c in report.columns
    )
    return replace(report, columns=columns)


def evaluate(
    reference: ReferenceProfile, counts: CountTable, *, columns: Sequence[str] | None = None, **options: Any
) -> tuple[DriftReport, list[str]]:
    """Compare the counted batch with the reference through :func:`kl_drift.compare`.

    Returns the report and the messages of the kl_drift warnings raised on the way (e.g. an
    all-missing column): in a validation result they belong in the details, not on stderr.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", KlDriftWarning)
        report = compare(reference, counts, columns=columns, **options)
    notes = [str(w.message) for w in caught if issubclass(w.category, KlDriftWarning)]
    return _with_batch_columns(report, counts.data_columns), notes


def evaluate_pairs(
    report: DriftReport,
    reference: ReferenceProfile,
    pair_counts: tuple[PairCounts, ...],
    counts: CountTable,
    pairs: Any,
    *,
    columns: Sequence[str] | None = None,
    **options: Any,
) -> DriftReport:
    """`report` with the batch's column pairs scored and decided, as :func:`kl_drift.compare`
    decides them (:func:`kl_drift.pairs.attach_pairs`): a drifted pair drifts the report."""
    from ..pairs import attach_pairs

    return attach_pairs(report, reference, pair_counts, counts, pairs, CompareOptions.resolve(**options), columns=columns)


def column_details(drift: ColumnDrift) -> dict[str, Any]:
    """A column's result details: every field of the ColumnDrift plus its top bins, strict JSON."""
    details = drift.to_dict()
    details["top_contributions"] = json_safe(drift.top_contributions(TOP_BINS))
    return details
