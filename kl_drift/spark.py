"""Apache Spark engine: profile and compare Spark DataFrames without collecting rows.

Counting is the only work done on the cluster: one aggregation pass counts every column into
its bins (``SUM(CASE WHEN ...)`` per bin, summed over partitions), so a comparison moves a
few numbers per bin to the driver, never rows. Everything after the counts (smoothing,
divergence, p-values, decisions) is the same code as for pandas.

Requires pyspark (``pip install "kl_drift[spark]"``).

Examples
--------
>>> from kl_drift import spark as kds                                    # doctest: +SKIP
>>> prof = kds.profile(spark.table("orders_2025"))                       # doctest: +SKIP
>>> report = kds.compare(prof, spark.table("orders_today"))              # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import numpy as np

try:
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - exercised with the package faked away
    raise ImportError(
        "kl_drift.spark needs pyspark: install it with `pip install \"kl_drift[spark]\"`"
    ) from exc

from ._engines.pandas import MAX_LISTED_OTHER_VALUES, MAX_LISTED_UNSEEN_VALUES, list_unseen, rank_categories
from .counts import ColumnCounts, CountTable
from ._core.bins import BinSpec, CategoricalBins, NumericBins
from ._engines.plan import ColumnPlan, plan_column
from .compare import compare as _compare
from .errors import ColumnError, EmptyDataError, SkippedColumnWarning
from .profile import BinningOptions, ColumnProfile, ReferenceProfile
from .report import DriftReport

__all__ = ["profile", "count", "compare", "SparkOps", "check_spark_type", "plan_spark", "spark_column", "unseen_values"]


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
        # Microseconds since the epoch compare exactly with integer edges; a timestamp
        # without time zone (or a date) is read in the session time zone, as Spark does.
        return F.unix_micros(column.cast("timestamp"))

    def datetime_edge(self, nanoseconds: int, tz: str | None) -> Any:
        # Spark keeps microseconds; for such values x <= edge iff x <= floor_us(edge).
        return nanoseconds // 1000


def spark_column(name: str) -> Any:
    """A column reference that takes `name` literally (dots and spaces included)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _is_datetime_type(data_type: Any) -> bool:
    return isinstance(data_type, (T.TimestampType, T.TimestampNTZType, T.DateType))


def check_spark_type(spec: BinSpec, data_type: Any) -> str | None:
    """Why a Spark column of `data_type` cannot be counted into `spec`, or None if it can."""
    if data_type is None or isinstance(data_type, T.NullType):
        return None
    numeric = isinstance(data_type, T.NumericType)
    if isinstance(spec, NumericBins):
        wanted, ok = ("datetime", _is_datetime_type(data_type)) if spec.datetime else ("numeric", numeric)
        if not ok:
            return f"the reference is {wanted} but the current column is {data_type.simpleString()}"
        return None
    ok = {
        "string": isinstance(data_type, (T.StringType, T.VarcharType, T.CharType)),
        "number": numeric,
        "bool": isinstance(data_type, T.BooleanType),
    }[spec.value_type]
    if not ok:
        return f"the reference holds {spec.value_type} values but the current column is {data_type.simpleString()}"
    return None


def plan_spark(
    targets: Sequence[tuple[str, BinSpec]], column_types: Mapping[str, Any]
) -> list[tuple[str, ColumnPlan]]:
    """Aggregation plans for the columns of `targets` (name, spec), typed by `column_types`."""
    ops = SparkOps()
    return [
        (
            name,
            plan_column(
                spark_column(name), spec, ops, floating=isinstance(column_types.get(name), (T.FloatType, T.DoubleType))
            ),
        )
        for name, spec in targets
    ]


def _count_row(data: DataFrame, plans: Sequence[tuple[str, ColumnPlan]]) -> tuple[int, dict[str, tuple[list[int], int]]]:
    """One aggregation pass: the row count and each planned column's counts and ±inf."""
    aggregates = [F.count(F.lit(1)), *(a for _, plan in plans for a in plan.aggregates)]
    row = tuple(data.agg(*aggregates).collect()[0])
    counted: dict[str, tuple[list[int], int]] = {}
    position = 1
    for name, plan in plans:
        values = row[position : position + len(plan.aggregates)]
        position += len(plan.aggregates)
        counted[name] = plan.decode(values)
    return int(row[0]), counted


def unseen_values(data: DataFrame, name: str, spec: CategoricalBins) -> tuple[tuple[tuple[Any, int], ...], bool]:
    """The values in "(unseen)" with their counts, like the pandas path lists them.

    One extra aggregation, run only for columns that have unseen values: the significance
    test treats each as its own category (see ``kl_drift._core.stats.expand_unseen``).
    """
    column = spark_column(name)
    present = column.isNotNull() & (~F.isnan(column) if spec.value_type == "number" else F.lit(True))
    known = [*spec.categories, *spec.other_values]
    rows = (
        data.where(present & ~column.isin(known) if known else present)
        .groupBy(column.alias("value"))
        .count()
        .orderBy(F.desc("count"), F.asc("value"))
        .limit(MAX_LISTED_UNSEEN_VALUES + 1)
        .collect()
    )
    values = [r["value"] for r in rows]
    freq = np.array([r["count"] for r in rows], dtype=np.int64)
    listed, complete = list_unseen(values, freq, np.full(len(values), spec.unseen_index), spec)
    return listed, complete and len(rows) <= MAX_LISTED_UNSEEN_VALUES


def count(reference: ReferenceProfile, data: DataFrame) -> CountTable:
    """Count a Spark DataFrame into a profile's bins, in one aggregation pass.

    Columns missing from `data` are left out (:func:`compare` reports them as missing);
    columns whose type cannot share the reference bins come back as ``kind="type_mismatch"``.
    Categorical columns with values the reference never had get one more aggregation that
    lists those values, as the pandas path does.

    Parameters
    ----------
    reference : ReferenceProfile
        The bins to count into.
    data : pyspark.sql.DataFrame
        The data.

    Returns
    -------
    ReferenceProfile
        Counts of `data`, to pass to :func:`kl_drift.compare` or merge with other counts.
    """
    types = {field.name: field.dataType for field in data.schema.fields}
    targets: list[tuple[str, BinSpec]] = []
    mismatched: dict[str, str] = {}
    for col in reference.columns:
        if col.bins is None or col.name not in types:
            continue
        reason = check_spark_type(col.bins, types[col.name])
        if reason is None:
            targets.append((col.name, col.bins))
        else:
            mismatched[col.name] = reason
    n_rows, counted = _count_row(data, plan_spark(targets, types))
    columns = []
    for col in reference.columns:
        if col.bins is None:
            continue
        if col.name in counted:
            vector, n_inf = counted[col.name]
            unseen: tuple[tuple[Any, int], ...] = ()
            complete = True
            if isinstance(col.bins, CategoricalBins) and vector[col.bins.unseen_index]:
                unseen, complete = unseen_values(data, col.name, col.bins)
            columns.append(ColumnCounts(col.name, tuple(vector), n_inf, unseen, complete))
        elif col.name in mismatched:
            columns.append(ColumnCounts.failed(col.name, "type_mismatch", mismatched[col.name]))
        else:
            columns.append(ColumnCounts.failed(col.name, "missing_column", "in the reference profile but not in the current data"))
    return CountTable.of(n_rows, columns, list(types), "spark")


def compare(reference: ReferenceProfile, data: DataFrame, **options: Any) -> DriftReport:
    """:func:`kl_drift.compare` for a Spark DataFrame: count on the cluster, score on the driver.

    Parameters
    ----------
    reference : ReferenceProfile
        A profile (from :func:`profile`, :func:`kl_drift.profile` or a saved file).
    data : pyspark.sql.DataFrame
        The current data.
    **options
        Any option of :func:`kl_drift.compare` (thresholds, direction, ...).

    Returns
    -------
    DriftReport
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(
            f"`reference` must be a ReferenceProfile (profile Spark data with kl_drift.spark.profile), "
            f"got {type(reference).__name__}"
        )
    return _compare(reference, count(reference, data), **options)


def _kind(data_type: Any) -> str | None:
    if isinstance(data_type, T.BooleanType):
        return "boolean"
    if isinstance(data_type, T.NumericType):
        return "numeric"
    if _is_datetime_type(data_type):
        return "datetime"
    if isinstance(data_type, (T.StringType, T.VarcharType, T.CharType)):
        return "categorical"
    return None


def _value_for_quantiles(name: str, data_type: Any) -> Any:
    """The column as a number with NaN and ±inf as NULL (quantiles are of finite values)."""
    column = spark_column(name)
    if _is_datetime_type(data_type):
        return F.unix_micros(column.cast("timestamp")).cast("double")
    column = column.cast("double")
    return F.when(F.isnan(column) | column.isin(float("inf"), float("-inf")), None).otherwise(column)


def _categorical(data: DataFrame, name: str, value_type: str, max_categories: int) -> CategoricalBins:
    """Top categories by frequency (ties by value, as the pandas path), the rest listed as other."""
    column = spark_column(name)
    limit = max_categories + MAX_LISTED_OTHER_VALUES + 1
    rows = (
        data.where(column.isNotNull() & (~F.isnan(column) if value_type == "number" else F.lit(True)))
        .groupBy(column.alias("value"))
        .count()
        .orderBy(F.desc("count"), F.asc("value"))
        .limit(limit)
        .collect()
    )
    spec = rank_categories([r["value"] for r in rows], np.array([r["count"] for r in rows], dtype=np.int64), value_type, max_categories)
    if len(rows) < limit:
        return spec
    # Only the most frequent values were fetched: the rest cannot be listed as "(other)".
    return CategoricalBins(spec.categories, spec.value_type, (), False)


def profile(
    data: DataFrame,
    *,
    columns: Sequence[str] | None = None,
    bins: int | Mapping[str, int] = 10,
    strategy: str | Mapping[str, str] = "quantile",
    edges: Mapping[str, Sequence[Any]] | None = None,
    categorical: Sequence[str] = (),
    max_categories: int = 50,
    discrete_threshold: int = 20,
    relative_error: float = 1e-4,
) -> ReferenceProfile:
    """Profile a Spark DataFrame: bins from Spark's quantiles, counts in one aggregation pass.

    The options are those of :func:`kl_drift.profile`. Quantile edges come from
    ``DataFrame.approxQuantile`` (Greenwald-Khanna): each edge's rank is within
    ``relative_error * n`` of the exact order statistic; ``relative_error=0`` gives the exact
    edges of the pandas path (at a higher cost). Counts are always exact.

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        The reference data.
    relative_error : float, default 1e-4
        Rank error allowed for quantile edges, as a share of the rows.

    Returns
    -------
    ReferenceProfile
    """
    import warnings

    if not 0 <= relative_error < 1:
        raise ValueError(f"`relative_error` must be in [0, 1), got {relative_error!r}")
    types = {field.name: field.dataType for field in data.schema.fields}
    names = list(types) if columns is None else list(dict.fromkeys(columns))
    for name in names:
        if name not in types:
            raise ColumnError(name, "is in `columns` but not in the reference data")
    opts = BinningOptions.resolve(
        names,
        bins=bins,
        strategy=strategy,
        edges=edges,
        categorical=categorical,
        max_categories=max_categories,
        discrete_threshold=discrete_threshold,
    )

    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in names:
        kind = _kind(types[name])
        if kind is None:
            skipped[name] = f"Spark type {types[name].simpleString()} is not supported"
        else:
            kinds[name] = kind

    # Pass 1: rows, distinct-count estimates and finite min/max of the numeric columns.
    numeric = [n for n in kinds if kinds[n] in ("numeric", "datetime") and n not in opts.forced]
    stats_aggregates = [F.count(F.lit(1)).alias("__rows")]
    for i, name in enumerate(numeric):
        value = _value_for_quantiles(name, types[name])
        stats_aggregates += [
            F.approx_count_distinct(value, 0.01).alias(f"d{i}"),
            F.min(value).alias(f"lo{i}"),
            F.max(value).alias(f"hi{i}"),
            F.sum(F.when(spark_column(name).cast("double").isin(float("inf"), float("-inf")), 1).otherwise(0)).alias(f"inf{i}"),
        ]
    stats = data.agg(*stats_aggregates).collect()[0]
    n_rows = int(stats["__rows"])
    if n_rows == 0:
        raise EmptyDataError("the reference data has no rows")

    specs: dict[str, BinSpec] = {}
    quantile_columns: list[str] = []
    for i, name in enumerate(numeric):
        is_datetime = kinds[name] == "datetime"
        integer = isinstance(types[name], T.IntegralType) or is_datetime
        if name in opts.edges_for:
            specs[name] = _fixed_spec(opts.edges_for[name], is_datetime, types[name])
            continue
        if not is_datetime and not opts.user_binned(name) and stats[f"inf{i}"] == 0 and stats[f"d{i}"] is not None:
            if stats[f"d{i}"] <= 2 * opts.discrete_threshold:
                spec = _categorical(data, name, "number", opts.max_categories)
                if len(spec.categories) + len(spec.other_values) <= opts.discrete_threshold and spec.other_complete:
                    specs[name] = spec
                    continue
        if opts.strategy(name) == "uniform":
            lo, hi = stats[f"lo{i}"], stats[f"hi{i}"]
            specs[name] = _uniform_spec(lo, hi, opts.bins(name), integer, is_datetime)
        else:
            quantile_columns.append(name)
    if quantile_columns:
        frame = data.select(*(_value_for_quantiles(n, types[n]).alias(f"q{i}") for i, n in enumerate(quantile_columns)))
        probabilities = {n: [j / opts.bins(n) for j in range(1, opts.bins(n))] for n in quantile_columns}
        all_probabilities = sorted({p for ps in probabilities.values() for p in ps})
        quantiles = frame.approxQuantile([f"q{i}" for i in range(len(quantile_columns))], all_probabilities, relative_error)
        for name, values in zip(quantile_columns, quantiles):
            chosen = [v for p, v in zip(all_probabilities, values) if p in probabilities[name]]
            specs[name] = _quantile_spec(chosen, isinstance(types[name], T.IntegralType), kinds[name] == "datetime")
    for name in names:
        if name in kinds and name not in specs:
            value_type = {"boolean": "bool", "numeric": "number"}.get(kinds[name], "string")
            specs[name] = _categorical(data, name, value_type, opts.max_categories)

    # Pass 2: the reference's counts, with the very plan used for current data.
    targets = [(n, specs[n]) for n in names if n in specs]
    counted_rows, counted = _count_row(data, plan_spark(targets, types))
    profiled = []
    for name in names:
        if name in skipped:
            warnings.warn(f"column {name!r} skipped: {skipped[name]}", SkippedColumnWarning, stacklevel=2)
            profiled.append(ColumnProfile(name, "skipped", types[name].simpleString(), None, (), 0, skipped[name]))
            continue
        vector, n_inf = counted[name]
        profiled.append(ColumnProfile(name, kinds[name], types[name].simpleString(), specs[name], tuple(vector), n_inf))
    settings = {**opts.settings, "engine": "spark", "relative_error": float(relative_error)}
    return ReferenceProfile(
        tuple(profiled), counted_rows, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), settings=settings
    )


def _to_edge(value: float, integer: bool, is_datetime: bool) -> Any:
    if is_datetime:
        return int(value) * 1000  # microseconds -> nanoseconds
    return int(value) if integer else float(value)


def _quantile_spec(values: Sequence[float | None], integer: bool, is_datetime: bool) -> NumericBins:
    finite = sorted({_to_edge(v, integer, is_datetime) for v in values if v is not None and math.isfinite(v)})
    return NumericBins(tuple(finite), datetime=is_datetime, strategy="quantile")


def _uniform_spec(lo: Any, hi: Any, n_bins: int, integer: bool, is_datetime: bool) -> NumericBins:
    if lo is None or hi is None or n_bins < 2:
        return NumericBins((), datetime=is_datetime, strategy="uniform")
    step = (float(hi) - float(lo)) / n_bins
    raw = [float(lo) + step * j for j in range(1, n_bins)]
    if integer:
        raw = [math.floor(v) for v in raw]
    edges = sorted({_to_edge(v, integer, is_datetime) for v in raw})
    return NumericBins(tuple(edges), datetime=is_datetime, strategy="uniform")


def _fixed_spec(values: Sequence[Any], is_datetime: bool, data_type: Any) -> NumericBins:
    if is_datetime:
        import pandas as pd

        stamps = pd.to_datetime(pd.Series(list(values)), utc=True)
        edges = tuple(int(v) for v in stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view("int64"))
        return NumericBins(edges, datetime=True, strategy="fixed")
    return NumericBins(tuple(float(v) for v in values), strategy="fixed")
