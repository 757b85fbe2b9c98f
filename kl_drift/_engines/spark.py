"""The Spark engine: fitting bins on Spark DataFrames and counting them into a profile's bins.

Only counts and a few statistics reach the driver, never rows. The work is done in a few
aggregation passes over all columns together, not in a job per column:

* counting: the ``SUM(CASE WHEN ...)`` aggregates of :mod:`kl_drift._engines.plan`, split
  into groups of at most ``spark.sql.codegen.maxFields`` fields. One aggregate with more
  fields than that loses whole-stage code generation and runs interpreted, several times
  slower; on columnar sources (Parquet, ORC, Delta) each group reads only its own columns,
  so the groups together still read each column once;
* fitting: one pass for the row count, finite min/max, ±inf, distinct-count estimates and
  the quantile edges of every numeric column (``percentile_approx``); one ``groupBy`` over
  (column, value) pairs of every categorical column for their value counts; then the
  counting pass for the numeric columns' reference counts.

Bins are chosen by the same functions as the pandas engine's (``_resolve_edges``,
``fit_numeric``, ``rank_categories``, ``map_values``), so the two accept and reject the same
options with the same words. Types are checked only through the type table
(:mod:`kl_drift._engines.types`).

Datetimes: ``TIMESTAMP_NTZ`` (what Spark reads from pandas' naive datetimes in Parquet) and
``DATE`` are wall-clock values, compared with wall-clock literals, as pandas compares naive
datetimes (as if UTC); ``TIMESTAMP`` is an instant, compared with instants, and fits tz-aware
bins. Neither depends on ``spark.sql.session.timeZone``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .._core.bins import BinSpec, CategoricalBins, NumericBins
from .._core.novelty import BloomFilter, PooledValues
from ..counts import MAX_LISTED_UNSEEN_VALUES, ColumnCounts, CountTable
from ..errors import ColumnError, EmptyDataError, SkippedColumnWarning
from .pandas import (
    DATETIME_NOT_CATEGORICAL,
    IDENTIFIER_MIN_ROWS,
    MAX_LISTED_OTHER_VALUES,
    ColumnProblem,
    _resolve_edges,
    count_pooled,
    distinct_integers_identifier,
    fit_categories,
    list_unseen,
    ranged_bins,
    reference_counts,
    text_identifier,
)
from .plan import ColumnPlan, plan_column
from .types import mismatch, spark_family

if TYPE_CHECKING:
    from ..profile import BinningOptions, ColumnProfile, ReferenceProfile

__all__ = ["SparkOps", "spark_column", "count", "count_by_group", "fit", "unseen_values"]

_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
# percentile_approx's accuracy for relative_error=0: the sketch keeps every value (exact).
_EXACT_ACCURACY = 2**31 - 1
_MISSING_COLUMN = "in the reference profile but not in the current data"
# Relative standard deviation of the distinct-count estimates (HyperLogLog++).
_DISTINCT_RSD = 0.01


class SparkOps:
    """:class:`~kl_drift._engines.plan.AggregateOps` for Spark SQL."""

    def count_if(self, condition: Any) -> Any:
        return F.sum(F.when(condition, 1).otherwise(0))

    def is_missing(self, column: Any, floating: bool) -> Any:
        return column.isNull() | F.isnan(column) if floating else column.isNull()

    def is_infinite(self, column: Any) -> Any:
        return column.isin(float("inf"), float("-inf"))

    def isin(self, column: Any, values: Sequence[Any]) -> Any:
        return column.isin(list(values))

    def datetime_operand(self, column: Any) -> Any:
        # A DATE compares with wall-clock literals as midnight; the cast involves no time zone.
        # TIMESTAMP and TIMESTAMP_NTZ are compared as they are, with literals of their kind.
        return column

    def datetime_edge(self, nanoseconds: int, tz: str | None) -> Any:
        # Spark keeps microseconds; for such values x <= edge iff x <= floor_us(edge).
        micros = nanoseconds // 1000
        if tz is not None:
            return F.expr(f"timestamp_micros({micros})")
        wall = _EPOCH + timedelta(microseconds=micros)
        return F.expr(f"TIMESTAMP_NTZ '{wall.isoformat(sep=' ')}'")


_OPS = SparkOps()


def spark_column(name: str) -> Column:
    """A column reference that takes `name` literally (dots and spaces included)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _floating(data_type: Any) -> bool:
    return isinstance(data_type, (T.FloatType, T.DoubleType))


def _operand(name: str, data_type: Any) -> Column:
    column = spark_column(name)
    if isinstance(data_type, T.DateType):
        return column.cast("timestamp_ntz")
    return column


def _field_limit(data: DataFrame) -> int:
    """Aggregates per job that keep whole-stage code generation (one field left for the row count)."""
    try:
        limit = int(data.sparkSession.conf.get("spark.sql.codegen.maxFields", "100") or 100)
    except Exception:  # pragma: no cover - a conf that cannot be read keeps Spark's default
        limit = 100
    return max(limit - 1, 1)


def _aggregate_in_groups(data: DataFrame, aggregates: Sequence[Sequence[Any]]) -> tuple[int, list[list[Any]]]:
    """The row count and the values of each block of `aggregates`, blocks kept whole.

    Blocks are packed into jobs of at most ``spark.sql.codegen.maxFields`` aggregates (see the
    module docstring); a block larger than that runs alone.
    """
    limit = _field_limit(data)
    jobs: list[list[int]] = []
    size = 0
    for i, block in enumerate(aggregates):
        if not jobs or size + len(block) > limit:
            jobs.append([])
            size = 0
        jobs[-1].append(i)
        size += len(block)
    values: list[list[Any]] = [[] for _ in aggregates]
    n_rows: int | None = None
    for job in jobs or [[]]:
        exprs = [a for i in job for a in aggregates[i]]
        if n_rows is None:
            exprs = [F.count(F.lit(1)), *exprs]
        row = tuple(data.agg(*exprs).collect()[0])
        if n_rows is None:
            n_rows, row = int(row[0]), row[1:]
        position = 0
        for i in job:
            values[i] = list(row[position : position + len(aggregates[i])])
            position += len(aggregates[i])
    assert n_rows is not None
    return n_rows, values


# --------------------------------------------------------------------------- counting


def _plan(name: str, spec: BinSpec, data_type: Any) -> ColumnPlan:
    return plan_column(_operand(name, data_type), spec, _OPS, floating=_floating(data_type))


def _type_name(data_type: Any) -> str:
    return str(data_type.simpleString())


def count(profile: ReferenceProfile, data: DataFrame, *, columns: Sequence[str] | None = None) -> CountTable:
    """Count a Spark DataFrame into a profile's bins: the Spark engine's count function.

    Columns of the profile without bins are left out; columns absent from `data` come back
    with ``problem="missing_column"``, columns whose type does not fit the bins (type table)
    with ``problem="type_mismatch"`` unless all their values are missing (then they count as
    missing, like the pandas engine). Categorical columns with values the reference never
    had get one more query that lists those values, so p-values equal the pandas engine's.
    """
    types = {field.name: field.dataType for field in data.schema.fields}
    # A mismatched column is counted in the same pass by its non-missing values: one whose
    # values are all missing fits any bins (type table rule), as the pandas engine decides.
    targets, plans, reasons, blocks = _plans(profile, types, columns)
    n_rows, values = _aggregate_in_groups(data, blocks)
    by_name = dict(zip([c.name for c in targets if c.name in types], values))

    counted: dict[str, ColumnCounts] = {}
    unseen_specs: dict[str, CategoricalBins] = {}
    for col in targets:
        one = counted[col.name] = _decode(col, plans, reasons, col.name in types, by_name.get(col.name), n_rows)
        spec = col.bins
        if isinstance(spec, CategoricalBins) and one.problem is None and spec.other_complete and one.counts[spec.unseen_index]:
            unseen_specs[col.name] = spec
    if unseen_specs:
        for name, (listed, complete) in unseen_values(data, unseen_specs).items():
            old = counted[name]
            counted[name] = ColumnCounts(name, old.counts, old.n_inf, listed, complete)
    return CountTable.of(n_rows, [counted[c.name] for c in targets], list(types), "spark")


def _plans(
    profile: ReferenceProfile, types: Mapping[str, Any], columns: Sequence[str] | None
) -> tuple[list[ColumnProfile], dict[str, ColumnPlan], dict[str, str], list[list[Any]]]:
    """The profile columns to count, the plan of each that fits, the mismatch reasons of the
    others (counted by their non-missing values alone), and the aggregate blocks in order."""
    wanted = [profile[c] for c in dict.fromkeys(columns)] if columns is not None else list(profile.columns)
    targets = [c for c in wanted if c.bins is not None]
    plans: dict[str, ColumnPlan] = {}
    reasons: dict[str, str] = {}
    blocks: list[list[Any]] = []
    for col in targets:
        assert col.bins is not None
        if col.name not in types:
            continue
        data_type = types[col.name]
        reason = mismatch(col.bins, spark_family(data_type), _type_name(data_type))
        if reason is None:
            plans[col.name] = _plan(col.name, col.bins, data_type)
            blocks.append(plans[col.name].aggregates)
        else:
            reasons[col.name] = f"column {col.name!r}: {reason}"
            blocks.append([_OPS.count_if(~_OPS.is_missing(spark_column(col.name), _floating(data_type)))])
    return targets, plans, reasons, blocks


def _decode(
    col: ColumnProfile, plans: Mapping[str, ColumnPlan], reasons: Mapping[str, str], present: bool,
    values: Sequence[Any] | None, n_rows: int,
) -> ColumnCounts:
    """One column's counts from its block's values (the pandas engine's rules for problems)."""
    assert col.bins is not None
    if not present:
        return ColumnCounts.failed(col.name, "missing_column", _MISSING_COLUMN)
    assert values is not None
    if col.name in reasons:
        if int(values[0] or 0) == 0:
            return ColumnCounts(col.name, (0,) * (col.bins.n_bins - 1) + (n_rows,))
        return ColumnCounts.failed(col.name, "type_mismatch", reasons[col.name])
    vector, n_inf = plans[col.name].decode(values)
    return ColumnCounts(col.name, tuple(vector), n_inf)


# The grouping column added for count_by_group (a name no data column is expected to have).
GROUP_COLUMN = "__kl_drift_group__"


def count_by_group(
    profile: ReferenceProfile, data: DataFrame, group: Column, *, columns: Sequence[str] | None = None
) -> dict[Any, CountTable]:
    """Count a Spark DataFrame into a profile's bins per value of `group`, in one aggregation
    grouped by it (split into jobs of at most ``spark.sql.codegen.maxFields`` fields, as
    :func:`count` splits its one row).

    Each group's table is what :func:`count` returns for the group's rows: the same plan,
    the same problems, and for categorical columns with values the reference never had one
    more query listing them per group. Rows whose `group` is NULL form the group ``None``.
    """
    types = {field.name: field.dataType for field in data.schema.fields}
    if GROUP_COLUMN in types:
        raise ColumnError(GROUP_COLUMN, "is a name kl_drift uses for its grouping column; rename the column")
    targets, plans, reasons, blocks = _plans(profile, types, columns)
    keyed = data.withColumn(GROUP_COLUMN, group)
    limit = _field_limit(data)
    jobs: list[list[int]] = []
    size = 0
    for i, block in enumerate(blocks):
        if not jobs or size + len(block) > limit:
            jobs.append([])
            size = 0
        jobs[-1].append(i)
        size += len(block)
    rows_of: dict[Any, int] = {}
    values: dict[Any, list[list[Any]]] = {}
    for number, job in enumerate(jobs or [[]]):
        exprs = [a for i in job for a in blocks[i]]
        if number == 0:
            exprs = [F.count(F.lit(1)), *exprs]
        for row in keyed.groupBy(spark_column(GROUP_COLUMN)).agg(*exprs).collect():
            key, rest = row[0], tuple(row[1:])
            if number == 0:
                rows_of[key], rest = int(rest[0]), rest[1:]
            found = values.setdefault(key, [[] for _ in blocks])
            position = 0
            for i in job:
                found[i] = list(rest[position : position + len(blocks[i])])
                position += len(blocks[i])
    counted_names = [c.name for c in targets if c.name in types]
    tables: dict[Any, CountTable] = {}
    unseen_specs: dict[str, CategoricalBins] = {}
    for key, n_rows in rows_of.items():
        by_name = dict(zip(counted_names, values[key]))
        counted = []
        for col in targets:
            one = _decode(col, plans, reasons, col.name in types, by_name.get(col.name), n_rows)
            counted.append(one)
            spec = col.bins
            if isinstance(spec, CategoricalBins) and one.problem is None and spec.other_complete and one.counts[spec.unseen_index]:
                unseen_specs[col.name] = spec
        tables[key] = CountTable.of(n_rows, counted, list(types), "spark")
    if unseen_specs:
        for key, listed in _unseen_by_group(keyed, types, unseen_specs).items():
            table = tables[key]
            replaced = []
            for one in table:
                if one.name in listed:
                    one = ColumnCounts(one.name, one.counts, one.n_inf, *listed[one.name])
                replaced.append(one)
            tables[key] = CountTable.of(table.n_rows, replaced, table.data_columns, "spark")
    return tables


def _unseen_by_group(
    keyed: DataFrame, types: Mapping[str, Any], specs: Mapping[str, CategoricalBins]
) -> dict[Any, dict[str, tuple[tuple[tuple[Any, int], ...], bool]]]:
    """:func:`unseen_values` per group of `GROUP_COLUMN`, in one query."""
    items = []
    for name, spec in specs.items():
        known = [*spec.categories, *spec.other_values]
        keep = ~spark_column(name).isin(known) if known else None
        items.append(_Values(name, types[name], keep))
    limit = MAX_LISTED_UNSEEN_VALUES
    rows = _ranked_values(keyed, _value_pairs(items), by=GROUP_COLUMN).where(F.col("rank") <= limit + 1).collect()
    found: dict[tuple[Any, int], list[tuple[int, Any, int]]] = {}
    for row in rows:
        slot = _slot(items[row["i"]].data_type)
        found.setdefault((row[GROUP_COLUMN], row["i"]), []).append((row["rank"], row[slot], int(row["count"])))
    names = list(specs)
    result: dict[Any, dict[str, tuple[tuple[tuple[Any, int], ...], bool]]] = {}
    for (key, i), entries in found.items():
        entries.sort()
        complete = len(entries) <= limit
        entries = entries[:limit]
        spec = specs[names[i]]
        freq = np.array([c for _, _, c in entries], dtype=np.int64)
        listed, all_listed = list_unseen([v for _, v, _ in entries], freq, np.full(len(entries), spec.unseen_index), spec)
        result.setdefault(key, {})[names[i]] = (listed, all_listed and complete)
    return result


def pooled_by_group(
    data: DataFrame, group: Column, specs: Mapping[str, CategoricalBins]
) -> dict[Any, dict[str, tuple[int, ...]]]:
    """Rows per listed pooled value (``bins.other_values``) of each column, per value of
    `group`, in one query: the pandas engine's ``count_pooled`` of each group's rows (what a
    profile of those rows keeps, so that groups add up to a rolling reference). Only groups
    with a pooled value are listed; rows whose `group` is NULL form the group ``None``."""
    types = {field.name: field.dataType for field in data.schema.fields}
    keyed = data.withColumn(GROUP_COLUMN, group)
    names = [name for name, spec in specs.items() if spec.other_values and name in types]
    items = [_Values(n, types[n], spark_column(n).isin(list(specs[n].other_values))) for n in names]
    found: dict[tuple[Any, int], list[tuple[Any, int]]] = {}
    if items:
        rows = (
            keyed.select(spark_column(GROUP_COLUMN), F.explode(F.array(*_value_pairs(items))).alias("v"))
            .where(F.col("v").isNotNull())
            .select(spark_column(GROUP_COLUMN), "v.*")
            .groupBy(spark_column(GROUP_COLUMN), "i", *_SLOTS)
            .count()
            .collect()
        )
        for row in rows:
            slot = _slot(items[row["i"]].data_type)
            found.setdefault((row[GROUP_COLUMN], row["i"]), []).append((row[slot], int(row["count"])))
    result: dict[Any, dict[str, tuple[int, ...]]] = {}
    for key in {key for key, _ in found}:
        per_column = {name: tuple(0 for _ in spec.other_values) for name, spec in specs.items()}
        for i, name in enumerate(names):
            entries = found.get((key, i))
            if entries:
                freq = np.array([c for _, c in entries], dtype=np.int64)
                per_column[name] = count_pooled([v for v, _ in entries], freq, specs[name])
        result[key] = per_column
    return result


_MICROS_PER_DAY = 86_400_000_000


def time_micros(name: str, data_type: Any) -> tuple[Column, str | None]:
    """A time column as microseconds since the epoch on its own calendar, and its time zone:
    the wall clock of ``TIMESTAMP_NTZ`` and ``DATE`` (as pandas reads naive datetimes), the UTC
    clock of ``TIMESTAMP`` (an instant); neither depends on the session time zone.

    Raises ColumnError for other types.
    """
    column = spark_column(name)
    if isinstance(data_type, T.TimestampType):
        return F.unix_micros(column), "UTC"
    if isinstance(data_type, T.TimestampNTZType):
        # Casting NTZ to DATE and taking its fields involves no time zone.
        days = F.datediff(column.cast("date"), F.lit("1970-01-01").cast("date")).cast("long")
        seconds = F.date_part(F.lit("SECOND"), column)  # seconds with their microseconds, exact decimal
        micros = (
            days * _MICROS_PER_DAY
            + F.hour(column).cast("long") * 3_600_000_000
            + F.minute(column).cast("long") * 60_000_000
            + (seconds * 1_000_000).cast("long")
        )
        return micros, None
    if isinstance(data_type, T.DateType):
        return F.datediff(column, F.lit("1970-01-01").cast("date")).cast("long") * _MICROS_PER_DAY, None
    raise ColumnError(name, f"must be TIMESTAMP, TIMESTAMP_NTZ or DATE to cut periods from on Spark, not {_type_name(data_type)}")


def floor_divide(micros: Column, step: int) -> Column:
    """``floor(micros / step)`` as a long. Spark divides in double precision: exact for
    |micros| < 2**53 (dates within 285 years of 1970), where a quotient just below an
    integer k differs from k by at least 1/step, more than its rounding error."""
    return F.floor(micros / F.lit(step)).cast("long")


# --------------------------------------------------------------------------- value counts


@dataclass(frozen=True)
class _Values:
    """A column whose distinct values are counted, and which of its rows count."""

    name: str
    data_type: Any
    keep: Column | None = None  # rows to count (None: every non-missing value)


_SLOTS = ("s", "d", "l", "b")


def _slot(data_type: Any) -> str:
    if isinstance(data_type, T.BooleanType):
        return "b"
    if isinstance(data_type, T.IntegralType):
        return "l"
    if isinstance(data_type, T.NumericType):
        return "d"
    return "s"


ValueCounts = tuple[list[Any], np.ndarray, bool, int, int]


def _value_pairs(items: Sequence[_Values]) -> list[Column]:
    """One (item, value) struct per item and row, null where the value is missing."""
    cast = {"s": "string", "d": "double", "l": "bigint", "b": "boolean"}
    pairs = []
    for i, item in enumerate(items):
        column = spark_column(item.name)
        present = ~_OPS.is_missing(column, _floating(item.data_type))
        slot = _slot(item.data_type)
        fields = [F.lit(i).alias("i")] + [
            (column.cast(cast[s]) if s == slot else F.lit(None).cast(cast[s])).alias(s) for s in _SLOTS
        ]
        keep = present if item.keep is None else present & item.keep
        pairs.append(F.when(keep, F.struct(*fields)))
    return pairs


def _ranked_values(data: DataFrame, pairs: Sequence[Column], by: str | None = None) -> DataFrame:
    """Per item and distinct value: its count, its rank (most frequent first, ties by value),
    and the item's total rows and distinct values; per value of the column `by` when given."""
    keys = [by] if by is not None else []
    counted = (
        data.select(*[spark_column(k) for k in keys], F.explode(F.array(*pairs)).alias("v"))
        .where(F.col("v").isNotNull())
        .select(*[spark_column(k) for k in keys], "v.*")
        .groupBy(*[spark_column(k) for k in keys], "i", *_SLOTS)
        .count()
    )
    item = Window.partitionBy(*[spark_column(k) for k in keys], "i")
    order = item.orderBy(F.desc("count"), *(F.asc_nulls_first(s) for s in _SLOTS))
    return (
        counted.withColumn("rank", F.row_number().over(order))
        .withColumn("total", F.sum("count").over(item))
        .withColumn("distinct", F.count(F.lit(1)).over(item))
    )


# Values sent to the driver at a time while the Bloom filter of unlisted values is built.
_SKETCH_BATCH = 100_000


def _unlisted_values(
    data: DataFrame, items: Sequence[_Values], value_types: Sequence[str], limit: int
) -> list[tuple[tuple[tuple[int, int], ...], BloomFilter]]:
    """Per item, what the profile keeps of its values ranked below `limit`: the histogram
    ``(r, values seen r times)`` and the Bloom filter of the values, as the pandas engine's
    :func:`~kl_drift._core.novelty.describe_pooled` builds them.

    One more job over the items whose distinct values exceed `limit` (run only for those):
    the histogram is aggregated on the cluster; the values stream to the driver in batches
    (`toLocalIterator`), so driver memory stays bounded by a batch and the filter
    (1.2 MB per million values).
    """
    ranked = _ranked_values(data, _value_pairs(items)).where(F.col("rank") > limit)
    hist: list[dict[int, int]] = [{} for _ in items]
    n_values = [0] * len(items)
    for row in ranked.groupBy("i", "count").agg(F.count(F.lit(1)).alias("f")).collect():
        hist[row["i"]][int(row["count"])] = int(row["f"])
        n_values[row["i"]] += int(row["f"])
    sketches = [BloomFilter.sized(n) for n in n_values]
    batches: list[list[Any]] = [[] for _ in items]

    def flush(i: int) -> None:
        sketches[i] = sketches[i].add(batches[i], value_types[i])
        batches[i] = []

    for row in ranked.select("i", *_SLOTS).toLocalIterator():
        i = row["i"]
        batches[i].append(row[_slot(items[i].data_type)])
        if len(batches[i]) >= _SKETCH_BATCH:
            flush(i)
    for i in range(len(items)):
        flush(i)
    return [(tuple(sorted(h.items())), sketch) for h, sketch in zip(hist, sketches)]


def _value_counts(data: DataFrame, items: Sequence[_Values], limit: int) -> list[ValueCounts]:
    """Per item: its most frequent `limit` values (ties by value), their counts, whether that
    is all of them, how many rows were counted and how many distinct values; one job for all.

    Each row becomes one (item, value) pair per item, counted by one ``groupBy``; the top
    values of each item are chosen on the cluster, so a column of millions of distinct
    values sends `limit` rows to the driver.
    """
    pairs = _value_pairs(items)
    rows = _ranked_values(data, pairs).where(F.col("rank") <= limit + 1).collect()
    found: list[list[tuple[int, Any, int]]] = [[] for _ in items]
    totals = [(0, 0)] * len(items)
    for row in rows:
        slot = _slot(items[row["i"]].data_type)
        found[row["i"]].append((row["rank"], row[slot], int(row["count"])))
        totals[row["i"]] = (int(row["total"]), int(row["distinct"]))
    result = []
    for entries, (total, distinct) in zip(found, totals):
        entries.sort()
        complete = len(entries) <= limit
        entries = entries[:limit]
        freq = np.array([c for _, _, c in entries], dtype=np.int64)
        result.append(([v for _, v, _ in entries], freq, complete, total, distinct))
    return result


def unseen_values(data: DataFrame, specs: Mapping[str, CategoricalBins]) -> dict[str, tuple[tuple[tuple[Any, int], ...], bool]]:
    """The values counted in "(unseen)" with their counts, per column, in one query.

    Run only for columns that have unseen values: the significance test treats each as its
    own category (see ``kl_drift._core.stats.expand_unseen``), as the pandas engine does.
    """
    types = {field.name: field.dataType for field in data.schema.fields}
    items = []
    for name, spec in specs.items():
        known = [*spec.categories, *spec.other_values]
        keep = ~spark_column(name).isin(known) if known else None
        items.append(_Values(name, types[name], keep))
    listed = {}
    for (name, spec), (values, freq, complete, _, _) in zip(specs.items(), _value_counts(data, items, MAX_LISTED_UNSEEN_VALUES)):
        unseen, all_listed = list_unseen(values, freq, np.full(len(values), spec.unseen_index), spec)
        listed[name] = (unseen, all_listed and complete)
    return listed


# --------------------------------------------------------------------------- fitting


def _kind(data_type: Any) -> str | None:
    family = spark_family(data_type)
    if family == "boolean":
        return "boolean"
    if family in ("integer", "float", "decimal"):
        return "numeric"
    if family in ("datetime", "datetime_tz", "date"):
        return "datetime"
    if family == "string":
        return "categorical"
    return None


def _finite_number(name: str, data_type: Any) -> Column:
    """The column as a number with NaN and ±inf as NULL (edges are of finite values)."""
    column = spark_column(name)
    if isinstance(data_type, T.IntegralType):
        return column
    column = column.cast("double")
    return F.when(F.isnan(column) | column.isin(float("inf"), float("-inf")), None).otherwise(column)


def _datetime_value(name: str, data_type: Any) -> Column:
    """An instant as microseconds since the epoch; a wall-clock value as itself (NTZ)."""
    if isinstance(data_type, T.TimestampType):
        return F.unix_micros(spark_column(name))
    return _operand(name, data_type)


def _nanoseconds(value: Any) -> int:
    """A statistic of a datetime column (micros of an instant, or a naive wall clock) in ns."""
    if isinstance(value, datetime):
        return (value - _EPOCH) // _MICROSECOND * 1000
    return int(value) * 1000


@dataclass
class _Numeric:
    """What the statistics pass gathers for one numeric or datetime column."""

    name: str
    data_type: Any
    is_datetime: bool
    strategy: str  # "quantile", "uniform" or "fixed"
    bins: int
    discrete_candidate: bool
    probabilities: list[float]


def _quantile_accuracy(relative_error: float) -> int:
    return _EXACT_ACCURACY if relative_error == 0 else max(1, min(_EXACT_ACCURACY, int(round(1 / relative_error))))


def _statistics(data: DataFrame, columns: Sequence[_Numeric], relative_error: float) -> tuple[int, list[dict[str, Any]]]:
    """One pass: rows, and per column finite min/max, ±inf, a distinct-count estimate and the
    quantiles it needs."""
    accuracy = _quantile_accuracy(relative_error)
    aggregates: list[Any] = [F.count(F.lit(1))]
    fields: list[list[str]] = []
    for col in columns:
        value = _datetime_value(col.name, col.data_type) if col.is_datetime else _finite_number(col.name, col.data_type)
        names = ["lo", "hi", "values"]
        aggregates += [F.min(value), F.max(value), F.count(value)]
        if not col.is_datetime:
            names.append("inf")
            aggregates.append(_OPS.count_if(_OPS.is_infinite(spark_column(col.name).cast("double"))))
        if col.discrete_candidate or isinstance(col.data_type, T.IntegralType):
            names.append("distinct")
            aggregates.append(F.approx_count_distinct(value, _DISTINCT_RSD))
        if col.probabilities:
            names.append("quantiles")
            aggregates.append(F.percentile_approx(value, col.probabilities, accuracy))
        fields.append(names)
    row = tuple(data.agg(*aggregates).collect()[0])
    stats, position = [], 1
    for names in fields:
        stats.append(dict(zip(names, row[position : position + len(names)])))
        position += len(names)
    return int(row[0]), stats


def _edges_from_quantiles(values: Sequence[Any], col: _Numeric) -> tuple[Any, ...]:
    if col.is_datetime:
        return tuple(sorted({_nanoseconds(v) for v in values if v is not None}))
    if isinstance(col.data_type, T.IntegralType):
        return tuple(sorted({int(v) for v in values if v is not None}))
    return tuple(sorted({float(v) for v in values if v is not None and math.isfinite(v)}))


def _numeric_bins(col: _Numeric, stats: Mapping[str, Any], edges: Any) -> NumericBins:
    """Edges through the pandas engine's code for fixed and uniform bins; from Spark's
    quantiles otherwise."""
    tz = "UTC" if isinstance(col.data_type, T.TimestampType) else None
    integer = col.is_datetime or isinstance(col.data_type, T.IntegralType)
    if col.strategy == "quantile":
        fitted = _edges_from_quantiles(stats.get("quantiles") or (), col)
    else:
        lo, hi = stats["lo"], stats["hi"]
        if lo is None:
            finite = np.zeros(0, dtype=np.int64)
        elif col.is_datetime:
            finite = np.array([_nanoseconds(lo), _nanoseconds(hi)], dtype=np.int64)
        else:
            finite = np.array([lo, hi], dtype=np.int64 if integer else np.float64)
        try:
            fitted = _resolve_edges(edges, col.bins, col.strategy, finite, integer=integer, datetime=col.is_datetime)
        except ColumnProblem as problem:
            raise ColumnError(col.name, problem.reason) from None
    return ranged_bins(fitted, _extent(col, stats), datetime=col.is_datetime, tz=tz, strategy=col.strategy)


def _extent(col: _Numeric, stats: Mapping[str, Any]) -> tuple[Any, Any] | None:
    """The finite reference range, typed as the pandas engine types edges."""
    lo, hi = stats["lo"], stats["hi"]
    if lo is None:
        return None
    if col.is_datetime:
        return _nanoseconds(lo), _nanoseconds(hi)
    if isinstance(col.data_type, T.IntegralType):
        return int(lo), int(hi)
    return float(lo), float(hi)


def _identifier_candidate(col: _Numeric, stats: Mapping[str, Any]) -> bool:
    """Whether an integer column may be all distinct, by its distinct-count estimate."""
    n = int(stats.get("values") or 0)
    distinct = stats.get("distinct")
    if not isinstance(col.data_type, T.IntegralType) or distinct is None or n < IDENTIFIER_MIN_ROWS:
        return False
    return bool(distinct >= n * (1 - 3 * _DISTINCT_RSD))


def _all_distinct(data: DataFrame, names: Sequence[str]) -> dict[str, int]:
    """Exact distinct counts of a few columns, in one job."""
    if not names:
        return {}
    row = data.agg(*[F.count_distinct(spark_column(n)) for n in names]).collect()[0]
    return {n: int(v) for n, v in zip(names, row)}


def _integer_identifier(stats: Mapping[str, Any], distinct: int | None) -> str | None:
    """The pandas engine's rule for integer identifiers: all values distinct, and a run of
    consecutive-ish numbers or beyond 2**53 (``integer_identifier``)."""
    n = int(stats.get("values") or 0)
    if distinct is None or distinct != n:
        return None
    return distinct_integers_identifier(n, int(stats["lo"]), int(stats["hi"]))


def _discrete(col: _Numeric, stats: Mapping[str, Any], threshold: int) -> bool:
    """Whether the column may be binned by value: as the pandas engine decides, with the
    estimate only narrowing the columns whose values are counted exactly."""
    if not col.discrete_candidate or stats["inf"] or stats["lo"] is None or stats["distinct"] is None:
        return False
    if isinstance(col.data_type, T.IntegralType) and max(abs(int(stats["lo"])), abs(int(stats["hi"]))) > 2**53:
        return False
    return bool(stats["distinct"] <= 2 * threshold)


def fit(data: DataFrame, names: Sequence[str], opts: BinningOptions, relative_error: float) -> ReferenceProfile:
    """Fit bins on a Spark DataFrame and count it (see ``kl_drift.spark.profile``)."""
    from ..profile import ColumnProfile, ReferenceProfile

    types = {field.name: field.dataType for field in data.schema.fields}
    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in names:
        kind = _kind(types[name])
        if kind is None:
            skipped[name] = f"Spark type {_type_name(types[name])} is not supported"
        elif kind == "datetime" and name in opts.forced:
            raise ColumnError(name, DATETIME_NOT_CATEGORICAL)
        else:
            kinds[name] = kind

    numeric = []
    for name, kind in kinds.items():
        if kind not in ("numeric", "datetime") or name in opts.forced:
            continue
        strategy = "fixed" if name in opts.edges_for else opts.strategy(name)
        bins = opts.bins(name)
        quantiles = [j / bins for j in range(1, bins)] if strategy == "quantile" else []
        discrete = kind == "numeric" and not opts.user_binned(name) and opts.discrete_threshold > 0
        numeric.append(_Numeric(name, types[name], kind == "datetime", strategy, bins, discrete, quantiles))

    # Pass 1: rows, ranges, ±inf, distinct estimates and quantile edges of all numeric columns.
    n_rows, stats = _statistics(data, numeric, relative_error)
    if n_rows == 0:
        raise EmptyDataError("the reference data has no rows")
    by_name = dict(zip((c.name for c in numeric), stats))

    # Pass 2: value counts of every categorical column (and of numeric ones that may be).
    candidates = [c.name for c in numeric if _discrete(c, by_name[c.name], opts.discrete_threshold)]
    categorical = [n for n in kinds if n in opts.forced or kinds[n] in ("categorical", "boolean")]
    counted_values = _value_counts(
        data, [_Values(n, types[n]) for n in [*categorical, *candidates]], opts.max_categories + MAX_LISTED_OTHER_VALUES
    ) if categorical or candidates else []
    value_counts = dict(zip([*categorical, *candidates], counted_values))

    specs: dict[str, BinSpec] = {}
    reference: dict[str, tuple[tuple[int, ...], int]] = {}
    extras: dict[str, dict[str, Any]] = {}
    value_types: dict[str, str] = {}
    for name in categorical:
        value_type = value_types[name] = {"boolean": "bool", "numeric": "number"}.get(kinds[name], "string")
        found = value_counts[name]
        specs[name], pooled, counts = _categorical(found, value_type, opts.max_categories, n_rows)
        reference[name] = (counts, 0)
        identifier = text_identifier(found[4], found[3]) if value_type == "string" else None
        extras[name] = {"pooled": pooled, "identifier": identifier}
    # Columns with more pooled values than the bins list: their histogram and Bloom filter.
    overflow = [name for name in categorical if not value_counts[name][2]]
    if overflow:
        unlisted = _unlisted_values(
            data, [_Values(n, types[n]) for n in overflow], [value_types[n] for n in overflow],
            opts.max_categories + MAX_LISTED_OTHER_VALUES,
        )  # fmt: skip
        for name, (histogram, sketch) in zip(overflow, unlisted):
            listed = extras[name]["pooled"]
            extras[name]["pooled"] = PooledValues(listed.other_counts, histogram, sketch)
    # Integer columns that may be identifiers (row ids, keys) are checked exactly: rare.
    exact = _all_distinct(
        data, [c.name for c in numeric if c.name not in candidates and _identifier_candidate(c, by_name[c.name])]
    )
    for col in numeric:
        found = value_counts.get(col.name)
        if found is not None and found[2] and len(found[0]) <= opts.discrete_threshold:
            specs[col.name], pooled, counts = _categorical(found, "number", opts.max_categories, n_rows)
            reference[col.name] = (counts, 0)
            extras[col.name] = {"pooled": pooled}
        else:
            specs[col.name] = _numeric_bins(col, by_name[col.name], opts.edges_for.get(col.name))
            extras[col.name] = {"identifier": _integer_identifier(by_name[col.name], exact.get(col.name))}

    # Pass 3: the numeric columns' reference counts, with the plan that counts current data.
    profile_so_far = ReferenceProfile(
        tuple(ColumnProfile(n, kinds[n], "", specs[n], (0,) * specs[n].n_bins) for n in specs), n_rows
    )
    numeric_names = [n for n in specs if isinstance(specs[n], NumericBins)]
    if numeric_names:
        table = count(profile_so_far, data, columns=numeric_names)
        for name in numeric_names:
            reference[name] = (table[name].counts, table[name].n_inf)

    profiled = []
    for name in names:
        if name in skipped:
            warnings.warn(f"column {name!r} skipped: {skipped[name]}", SkippedColumnWarning, stacklevel=3)
            profiled.append(ColumnProfile(name, "skipped", _type_name(types[name]), None, (), 0, skipped[name]))
            continue
        counts, n_inf = reference[name]
        profiled.append(
            ColumnProfile(name, kinds[name], _type_name(types[name]), specs[name], counts, n_inf, **extras.get(name, {}))
        )
    settings = {**opts.settings, "engine": "spark", "relative_error": float(relative_error)}
    return ReferenceProfile(
        tuple(profiled), n_rows, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), settings=settings
    )


def _categorical(value_counts: ValueCounts, value_type: str, max_categories: int, n_rows: int) -> tuple[CategoricalBins, Any, tuple[int, ...]]:
    """Bins, pooled values and reference counts from exact value counts, through the pandas
    engine's code.

    When only the most frequent values were fetched (more than `max_categories` + 10,000
    distinct), the rest are counted in "(other)" all the same; their histogram and Bloom
    filter come from :func:`_unlisted_values`.
    """
    values, freq, complete, present, _ = value_counts
    spec, pooled = fit_categories(values, freq, value_type, max_categories)
    counts = reference_counts(values, freq, n_rows - present, spec)
    if not complete and spec.other_index is not None:
        counts[spec.other_index] += present - int(freq.sum())
    return spec, pooled, tuple(int(c) for c in counts)
