"""Number formats and orderings shared by the text, Markdown and HTML reports."""

from __future__ import annotations

import math

from ..report import ColumnDrift, DriftReport

# Severity order for listing columns: what needs attention first.
_SEVERITY = {"missing_column": 0, "type_mismatch": 0, "drift": 0, "warn": 1, "ok": 2, "identifier": 3, "skipped": 3}
# Statuses of columns that were not compared.
NOT_COMPARED = ("skipped", "identifier")


def number(value: float | None, digits: int = 4) -> str:
    """Short form of a statistic or threshold.

    Examples
    --------
    >>> number(0.123456), number(None), number(float("inf")), number(1234567.0)
    ('0.1235', '—', 'inf', '1.235e+06')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def pvalue(value: float | None) -> str:
    """p-values: three decimals, scientific below 0.001, and a floor instead of a bare 0.

    Examples
    --------
    >>> pvalue(0.5), pvalue(2.5e-7), pvalue(0.0)
    ('0.500', '2.5e-07', '<1e-300')
    """
    if value is None or math.isnan(value):
        return "—"
    if value == 0:
        return "<1e-300"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal.

    Examples
    --------
    >>> percent(0.0512), percent(None), percent(0.00004)
    ('5.1%', '—', '<0.1%')
    """
    if value is None:
        return "—"
    if 0 < value < 0.0005:
        return "<0.1%"
    return f"{100 * value:.1f}%"


def count(value: int) -> str:
    """Thousands separators.

    Examples
    --------
    >>> count(1234567)
    '1,234,567'
    """
    return f"{value:,}"


def beyond(novel: float | None, expected_novel: float | None, out_of_range: float | None) -> str:
    """What a column holds beyond the reference: new values (against what sampling alone
    leaves unseen) or values outside its range.

    Examples
    --------
    >>> beyond(0.043, 0.041, None), beyond(None, None, 0.996), beyond(0.0, None, None)
    ('4.3% new (4.1% expected)', '99.6% out of range', '0.0% new')
    """
    if out_of_range is not None:
        return f"{percent(out_of_range)} out of range"
    if novel is None:
        return "—"
    if expected_novel is None:
        return f"{percent(novel)} new"
    return f"{percent(novel)} new ({percent(expected_novel)} expected)"


def what_changed(column: ColumnDrift, arrow: str = "→") -> str:
    """The main change in a column, in words: its first explanation, else its top bin, else the reason.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> ref = pd.Series(["a", "b"] * 45 + [None] * 10)
    >>> what_changed(kd.score(ref, pd.Series(["a", "b"] * 30 + [None] * 40)))
    'missing rate rose from 10.0% to 40.0%'
    """
    if column.explanations:
        return column.explanations[0]
    top = column.top_contributions(1)
    if top:
        t = top[0]
        return f"{t['bin']}: {percent(t['reference_proportion'])} {arrow} {percent(t['current_proportion'])}"
    return column.reason or ""


def ordered(report: DriftReport) -> list[ColumnDrift]:
    """Columns by severity (drift first), then by score, largest first."""
    return sorted(
        report.columns,
        key=lambda c: (_SEVERITY.get(c.status, 4), -(c.statistic if c.statistic is not None else math.inf)),
    )


def verdict(report: DriftReport) -> str:
    """One sentence for the dataset decision.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> verdict(kd.compare(pd.DataFrame({"x": ["a", "b"] * 50}), pd.DataFrame({"x": ["a"] * 100})))
    'Drift in 1 of 1 compared columns'
    """
    compared = [c for c in report.columns if c.status not in NOT_COMPARED]
    drifted = len(report.drifted_columns)
    warned = sum(c.status == "warn" for c in report.columns)
    if report.drifted and drifted:
        text = f"Drift in {drifted} of {len(compared)} compared columns"
    elif drifted:
        text = f"No dataset drift ({drifted} of {len(compared)} columns drifted, below the drift share)"
    else:
        text = f"No drift in {len(compared)} compared columns"
    if warned:
        text += f", {warned} warning{'s' if warned > 1 else ''}"
    drifted_pairs = sum(p.drifted for p in report.pairs.values())
    if drifted_pairs and not drifted:
        # The dataset drifted through a pair alone: say so before the columns' calm.
        text = f"Drift in {drifted_pairs} of {len(report.pairs)} column pairs; no" + text.removeprefix("No")
    elif drifted_pairs:
        text += f"; drift in {drifted_pairs} of {len(report.pairs)} column pairs"
    return text


def divergence_name(report: DriftReport) -> str:
    """Which divergence the scores are, in words."""
    unit = "nats" if report.base == math.e else "bits"
    names = {
        "current||reference": "KL divergence D(current ‖ reference)",
        "reference||current": "KL divergence D(reference ‖ current)",
        "symmetric": "symmetric KL (Jeffreys, PSI)",
        "js": "Jensen–Shannon divergence",
    }
    return f"{names.get(report.direction, report.direction)} in {unit}"


def short_name(report: DriftReport) -> str:
    """Column header for the score: "KL" for either KL direction."""
    return {"symmetric": "PSI", "js": "JS"}.get(report.direction, "KL")
