"""The one engine-specific piece: a metric counting a batch's columns into reference bins.

``kl_drift.bin_counts`` is a table metric. Its value kwarg ``targets`` lists the columns to
count with their reference bins (no reference counts: counting does not need them); its
value is a :class:`BinCounts`. Both kl_drift expectations depend on it, so a table
expectation counts every profiled column in one pass:

* pandas: :meth:`kl_drift.ColumnProfile.count`, the core's own counting;
* SQLAlchemy: one ``SELECT COUNT(*), SUM(CASE WHEN ... THEN 1 ELSE 0 END), ...`` returning a
  single row (see :mod:`kl_drift._engines.plan`);
* Spark: one ``DataFrame.agg`` with the same aggregates.

Everything after the counts (smoothing, divergence, p-value, decision) runs in the core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Callable

import pandas as pd
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

from .._core.bins import BinSpec, CategoricalBins, bin_spec_from_dict
from ..errors import ColumnError
from ..profile import ColumnProfile
from .._engines.plan import ColumnPlan

__all__ = ["BIN_COUNTS", "BinCounts", "KlDriftBinCounts", "count_targets"]

BIN_COUNTS = "kl_drift.bin_counts"
# counts per bin, ±inf values, unseen values with their counts, whether all are listed
Counts = tuple[tuple[int, ...], int, tuple[tuple[Any, int], ...], bool]


@dataclass(frozen=True)
class BinCounts:
    """Counts of a batch's columns in the reference's bins.

    Attributes
    ----------
    n_rows : int
        Rows in the batch (after any row condition).
    counts : mapping
        ``{column: (counts, n_inf, unseen, unseen_complete)}`` for every counted column:
        counts in the order of the bins' labels, the number of ±inf values, and the values
        counted as "(unseen)" with their counts (see :attr:`kl_drift.ColumnProfile.unseen`;
        the SQL engine does not list them).
    mismatched : mapping
        ``{column: reason}`` for columns whose type cannot share the reference's bins.
    batch_columns : tuple of str
        The batch's columns; a target in none of the above is missing from the batch.
    """

    n_rows: int
    counts: Mapping[str, Counts]
    mismatched: Mapping[str, str]
    batch_columns: tuple[str, ...]


def count_targets(columns: Iterable[ColumnProfile]) -> tuple[dict[str, Any], ...]:
    """The metric's ``targets`` value kwarg: name, kind and bins of each countable column."""
    return tuple(
        {"name": c.name, "kind": c.kind, "bins": c.bins.to_dict()} for c in columns if c.bins is not None
    )


def _targets(metric_value_kwargs: Mapping[str, Any]) -> list[tuple[str, str, BinSpec]]:
    return [(t["name"], t["kind"], bin_spec_from_dict(dict(t["bins"]))) for t in metric_value_kwargs["targets"]]


def _count_pandas(frame: pd.DataFrame, targets: Sequence[tuple[str, str, BinSpec]]) -> BinCounts:
    counts: dict[str, Counts] = {}
    mismatched: dict[str, str] = {}
    for name, kind, spec in targets:
        if name not in frame.columns:
            continue
        column = ColumnProfile(name, kind, "", spec, (0,) * spec.n_bins)
        try:
            counted = column.count(frame[name])
        except ColumnError as exc:
            mismatched[name] = exc.reason
            continue
        counts[name] = (counted.counts, counted.n_inf, counted.unseen, counted.unseen_complete)
    return BinCounts(len(frame), counts, mismatched, tuple(str(c) for c in frame.columns))


def _split_by_type(
    targets: Sequence[tuple[str, str, BinSpec]],
    column_types: Sequence[Mapping[str, Any]] | None,
    check: Callable[[BinSpec, Any], str | None],
) -> tuple[list[tuple[str, BinSpec]], dict[str, str], dict[str, Any], tuple[str, ...] | None]:
    """Targets present with a compatible type, mismatched ones, the types, the batch columns."""
    if column_types is None:
        # Introspection failed: count every target and let the query name a missing column.
        return [(name, spec) for name, _, spec in targets], {}, {}, None
    types = {str(c["name"]): c["type"] for c in column_types}
    present: list[tuple[str, BinSpec]] = []
    mismatched: dict[str, str] = {}
    for name, _, spec in targets:
        if name not in types:
            continue
        reason = check(spec, types[name])
        if reason is None:
            present.append((name, spec))
        else:
            mismatched[name] = reason
    return present, mismatched, types, tuple(types)


def _decode(
    row: Sequence[Any],
    plans: Sequence[tuple[str, ColumnPlan]],
    mismatched: dict[str, str],
    batch_columns: tuple[str, ...] | None,
) -> BinCounts:
    counts: dict[str, Counts] = {}
    position = 1
    for name, plan in plans:
        values = row[position : position + len(plan.aggregates)]
        position += len(plan.aggregates)
        vector, n_inf = plan.decode(values)
        # Unseen values are not listed by the aggregate: complete only when there are none.
        counts[name] = (tuple(vector), n_inf, (), plan.unseen_index is None or vector[plan.unseen_index] == 0)
    columns = batch_columns if batch_columns is not None else tuple(name for name, _ in plans)
    return BinCounts(int(row[0]), counts, mismatched, columns)


class KlDriftBinCounts(TableMetricProvider):
    """``kl_drift.bin_counts``: counts of the batch's columns in reference bins (see module doc)."""

    metric_name = BIN_COUNTS
    value_keys = ("targets",)

    @classmethod
    def _get_evaluation_dependencies(
        cls,
        metric: MetricConfiguration,
        configuration: Any = None,
        execution_engine: Any = None,
        runtime_configuration: dict[str, Any] | None = None,
    ) -> dict[str, MetricConfiguration]:
        dependencies: dict[str, MetricConfiguration] = super()._get_evaluation_dependencies(
            metric=metric,
            configuration=configuration,
            execution_engine=execution_engine,
            runtime_configuration=runtime_configuration,
        )
        if not isinstance(execution_engine, PandasExecutionEngine):
            # The same configuration GE's own column metrics use, so the value is shared.
            dependencies["table.column_types"] = MetricConfiguration(
                metric_name="table.column_types",
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs={"include_nested": True},
            )
        return dependencies

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> BinCounts:
        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return _count_pandas(frame, _targets(metric_value_kwargs))

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> BinCounts:
        import sqlalchemy as sa

        from ._sql import check_sql_type, plan_sql

        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        present, mismatched, types, batch_columns = _split_by_type(
            _targets(metric_value_kwargs), metrics["table.column_types"], check_sql_type
        )
        plans = plan_sql(present, types, execution_engine.engine.dialect.name)
        aggregates = [sa.func.count(), *(a for _, plan in plans for a in plan.aggregates)]
        source: Any = selectable.subquery() if isinstance(selectable, sa.Select) else selectable
        row = execution_engine.execute_query(sa.select(*aggregates).select_from(source)).one()
        return _decode(tuple(row), plans, mismatched, batch_columns)

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(
        cls,
        execution_engine: SparkDFExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> BinCounts:
        from pyspark.sql import functions as F

        from ..spark import check_spark_type, plan_spark, unseen_values

        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        present, mismatched, types, batch_columns = _split_by_type(
            _targets(metric_value_kwargs), metrics["table.column_types"], check_spark_type
        )
        plans = plan_spark(present, types)
        aggregates = [F.count(F.lit(1)), *(a for _, plan in plans for a in plan.aggregates)]
        row = frame.agg(*aggregates).collect()[0]
        counted = _decode(tuple(row), plans, mismatched, batch_columns)
        # As kl_drift.spark.count does: list the unseen values of the columns that have any.
        specs = dict(present)
        listed: dict[str, Counts] = {}
        for name, (vector, n_inf, _, complete) in counted.counts.items():
            spec = specs[name]
            if not complete and isinstance(spec, CategoricalBins):
                listed[name] = (vector, n_inf, *unseen_values(frame, name, spec))
        return replace(counted, counts={**counted.counts, **listed}) if listed else counted
