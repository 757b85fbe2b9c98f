"""Counting columns into reference bins with one aggregate query: the plan SQL and Spark share.

Each bin becomes one ``SUM(CASE WHEN <condition> THEN 1 ELSE 0 END)`` aggregate, so a whole
table is counted in a single pass that returns one row and never fetches a data row. The
conditions follow the core's bin semantics exactly (``kl_drift/_core/bins.py``):

* numeric: right-closed bins with open tails ``(-inf, e1], (e1, e2], ..., (ek, +inf)``, then
  missing (NULL, and NaN where the engine has it); ±inf land in the tails and are counted;
* categorical: one bin per kept category, "(other)" for the pooled reference categories,
  "(unseen)" for any other non-missing value (or "(other)" when the reference's list of
  pooled categories was incomplete), then missing.

What differs between engines (how to spell a condition, NaN, datetimes) sits behind
:class:`AggregateOps`; the layout of the count vector is decided here only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .._core.bins import CategoricalBins, NumericBins

__all__ = ["AggregateOps", "ColumnPlan", "plan_column"]


class AggregateOps(Protocol):
    """Engine-specific spelling of the few expressions a plan needs.

    `column` objects and conditions are the engine's own (a SQLAlchemy column, a Spark
    ``Column``); both support ``&``, ``~``, ``==``, ``<=`` and ``>``.
    """

    def count_if(self, condition: Any) -> Any:
        """Aggregate counting the rows where `condition` is true."""

    def is_missing(self, column: Any, floating: bool) -> Any:
        """NULL, or NaN for a floating-point column where the engine has NaN."""

    def is_infinite(self, column: Any) -> Any:
        """Condition true for +inf and -inf."""

    def isin(self, column: Any, values: Sequence[Any]) -> Any:
        """Condition true when the column equals one of `values`."""

    def datetime_operand(self, column: Any) -> Any:
        """The datetime column as the engine compares it with :meth:`datetime_edge` values."""

    def datetime_edge(self, nanoseconds: int, tz: str | None) -> Any:
        """A bin edge (UTC nanoseconds since the epoch) as a comparable literal."""


Decoder = Callable[[Sequence[Any]], "tuple[list[int], int]"]


@dataclass(frozen=True)
class ColumnPlan:
    """Aggregates counting one column, and how to turn their values into counts.

    Attributes
    ----------
    aggregates : list
        Engine aggregate expressions, to be evaluated together in one query.
    decode : callable
        Maps the values of `aggregates` (same order; NULL for an empty table) to the count
        vector in the order of ``spec.labels`` and the number of ±inf values.
    unseen_index : int or None
        Index of the "(unseen)" bin in the count vector (categorical columns).
    """

    aggregates: list[Any]
    decode: Decoder
    unseen_index: int | None = None


def _as_int(value: Any) -> int:
    # SUM over no rows is NULL; some databases return Decimal for SUM of integers.
    return int(value) if value is not None else 0


def _plan_numeric(column: Any, spec: NumericBins, ops: AggregateOps, floating: bool) -> ColumnPlan:
    missing = ops.is_missing(column, floating)
    if spec.datetime:
        value = ops.datetime_operand(column)
        edges = [ops.datetime_edge(int(e), spec.tz) for e in spec.edges]
    else:
        value = column
        edges = list(spec.edges)
    if not edges:
        conditions = [~missing]
    else:
        # NaN compares greater than every number in the engines that have it, so only the
        # upper tail needs to exclude it; NULL makes every comparison unknown, i.e. false.
        conditions = [value <= edges[0]]
        conditions += [(value > lo) & (value <= hi) for lo, hi in zip(edges, edges[1:])]
        conditions.append((value > edges[-1]) & ~missing if floating else value > edges[-1])
    aggregates = [ops.count_if(c) for c in conditions]
    aggregates.append(ops.count_if(missing))
    if floating:
        aggregates.append(ops.count_if(ops.is_infinite(column)))

    def decode(values: Sequence[Any]) -> tuple[list[int], int]:
        counts = [_as_int(v) for v in values]
        n_inf = counts.pop() if floating else 0
        return counts, n_inf

    return ColumnPlan(aggregates, decode)


def _plan_categorical(column: Any, spec: CategoricalBins, ops: AggregateOps, floating: bool) -> ColumnPlan:
    missing = ops.is_missing(column, floating)
    aggregates = [ops.count_if(column == value) for value in spec.categories]
    if spec.other_values:
        aggregates.append(ops.count_if(ops.isin(column, spec.other_values)))
    # Everything else that is not missing is "(unseen)" (or "(other)"): derived from the
    # non-missing count, so no NOT IN list of every reference value is needed.
    aggregates.append(ops.count_if(~missing))
    aggregates.append(ops.count_if(missing))
    n_categories = len(spec.categories)

    def decode(values: Sequence[Any]) -> tuple[list[int], int]:
        counts = [_as_int(v) for v in values]
        kept = counts[:n_categories]
        pooled = counts[n_categories] if spec.other_values else 0
        n_present, n_missing = counts[-2], counts[-1]
        rest = n_present - sum(kept) - pooled
        if not spec.has_other:
            return [*kept, rest, n_missing], 0
        if spec.other_complete:
            return [*kept, pooled, rest, n_missing], 0
        return [*kept, pooled + rest, 0, n_missing], 0

    return ColumnPlan(aggregates, decode, spec.unseen_index)


def plan_column(column: Any, spec: NumericBins | CategoricalBins, ops: AggregateOps, *, floating: bool) -> ColumnPlan:
    """Plan the aggregates that count `column` into `spec`.

    Parameters
    ----------
    column : engine column
        The column to count.
    spec : NumericBins or CategoricalBins
        The reference's bins.
    ops : AggregateOps
        The engine's expression spelling.
    floating : bool
        The column is floating point: it may hold NaN (missing) and ±inf (counted).

    Returns
    -------
    ColumnPlan
    """
    if isinstance(spec, NumericBins):
        return _plan_numeric(column, spec, ops, floating)
    return _plan_categorical(column, spec, ops, floating)
