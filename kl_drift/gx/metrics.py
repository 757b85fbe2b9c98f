"""The one engine-specific piece: a metric counting a batch's columns into reference bins.

``kl_drift.bin_counts`` is a table metric. Its value kwarg ``targets`` lists the columns to
count with their reference bins (no reference counts: counting does not need them); its
value is a :class:`kl_drift.CountTable`, made by kl_drift's own engines, so a batch counts
exactly as the same data does outside GE:

* pandas: the pandas engine (:func:`kl_drift.count`);
* SQLAlchemy: the SQL engine (:func:`kl_drift.sql.count`), one aggregate query, typed by
  GE's ``table.column_types``;
* Spark: :func:`kl_drift.spark.count`, one aggregation pass.

Both kl_drift expectations depend on it, so a table expectation counts every profiled
column in one pass. Everything after the counts (smoothing, divergence, p-value, decision)
runs in :func:`kl_drift.compare`.

``kl_drift.pair_counts`` counts column pairs into their 2-D bins (the table expectation's
``pairs`` option, :mod:`kl_drift.pairs`); its value kwarg ``pairs`` lists each pair's
columns, bin-to-group maps and the two columns' bins. Pandas: the pandas code of
:mod:`kl_drift.pairs`; SQLAlchemy and Spark: one ``GROUP BY`` of two ``CASE`` expressions
per pair (:mod:`kl_drift._engines.sql_pairs`, :mod:`kl_drift._engines.spark_pairs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

from .._core.bins import bin_spec_from_dict
from .._core.pairs import PairCounts
from .._engines import pandas as pandas_engine
from ..counts import CountTable
from ..profile import ColumnProfile, ReferenceProfile

__all__ = [
    "BIN_COUNTS",
    "PAIR_COUNTS",
    "KlDriftBinCounts",
    "KlDriftPairCounts",
    "count_targets",
    "pair_targets",
    "target_profile",
    "target_pairs",
]

BIN_COUNTS = "kl_drift.bin_counts"
PAIR_COUNTS = "kl_drift.pair_counts"


def count_targets(columns: Iterable[ColumnProfile]) -> tuple[dict[str, Any], ...]:
    """The metric's ``targets`` value kwarg: name, kind and bins of each countable column."""
    return tuple(
        {"name": c.name, "kind": c.kind, "bins": c.bins.to_dict()} for c in columns if c.bins is not None
    )


def target_profile(metric_value_kwargs: Mapping[str, Any]) -> ReferenceProfile:
    """The profile the engines count into, rebuilt from ``targets``: bins, no reference counts."""
    columns = []
    for target in metric_value_kwargs["targets"]:
        spec = bin_spec_from_dict(dict(target["bins"]))
        columns.append(ColumnProfile(target["name"], target["kind"], "", spec, (0,) * spec.n_bins))
    return ReferenceProfile(tuple(columns), 0)


def pair_targets(reference: ReferenceProfile, pairs: Iterable[PairCounts]) -> tuple[dict[str, Any], ...]:
    """The pair metric's ``pairs`` value kwarg: each pair's columns, groups and column bins."""
    targets = []
    for pair in pairs:
        columns = [reference[name] for name in pair.columns]
        targets.append(
            {
                "columns": list(pair.columns),
                "groups": [list(g) for g in pair.groups],
                "kinds": [c.kind for c in columns],
                "bins": [c.bins.to_dict() for c in columns if c.bins is not None],
            }
        )
    return tuple(targets)


def target_pairs(metric_value_kwargs: Mapping[str, Any]) -> tuple[ReferenceProfile, tuple[PairCounts, ...]]:
    """The columns' bins and the pairs (no counts yet) rebuilt from ``pairs``."""
    columns: dict[str, ColumnProfile] = {}
    pairs = []
    for target in metric_value_kwargs["pairs"]:
        for name, kind, bins in zip(target["columns"], target["kinds"], target["bins"]):
            spec = bin_spec_from_dict(dict(bins))
            columns.setdefault(name, ColumnProfile(name, kind, "", spec, (0,) * spec.n_bins))
        groups = tuple(tuple(int(g) for g in gs) for gs in target["groups"])
        zeros = tuple((0,) * (max(groups[1]) + 1) for _ in range(max(groups[0]) + 1))
        pairs.append(PairCounts((target["columns"][0], target["columns"][1]), (groups[0], groups[1]), zeros))
    return ReferenceProfile(tuple(columns.values()), 0), tuple(pairs)


class _TableCountsMetric(TableMetricProvider):
    """A table metric that, on SQL, depends on ``table.column_types`` in the configuration
    GE's own column metrics use, so the value is shared by every kl_drift metric of a
    validation and the table is reflected once."""

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
        if isinstance(execution_engine, SqlAlchemyExecutionEngine):
            dependencies["table.column_types"] = MetricConfiguration(
                metric_name="table.column_types",
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs={"include_nested": True},
            )
        return dependencies


class KlDriftBinCounts(_TableCountsMetric):
    """``kl_drift.bin_counts``: counts of the batch's columns in reference bins (see module doc)."""

    metric_name = BIN_COUNTS
    value_keys = ("targets",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> CountTable:
        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return pandas_engine.count(target_profile(metric_value_kwargs), frame)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> CountTable:
        from .._engines import sql as sql_engine

        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        with execution_engine.get_connection() as connection:
            return sql_engine.count(
                target_profile(metric_value_kwargs),
                selectable,
                connection,
                column_types=metrics["table.column_types"],
            )

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(
        cls,
        execution_engine: SparkDFExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> CountTable:
        from .. import spark as spark_engine

        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return spark_engine.count(target_profile(metric_value_kwargs), frame)


class KlDriftPairCounts(_TableCountsMetric):
    """``kl_drift.pair_counts``: counts of column pairs in their 2-D bins (see module doc)."""

    metric_name = PAIR_COUNTS
    value_keys = ("pairs",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> tuple[PairCounts, ...]:
        from ..pairs import count_available_pairs

        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        profile, pairs = target_pairs(metric_value_kwargs)
        return count_available_pairs(frame, profile, pairs)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> tuple[PairCounts, ...]:
        from .._engines import sql_pairs

        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        profile, pairs = target_pairs(metric_value_kwargs)
        with execution_engine.get_connection() as connection:
            return sql_pairs.count_pairs(profile, pairs, selectable, connection, column_types=metrics["table.column_types"])

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(
        cls,
        execution_engine: SparkDFExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> tuple[PairCounts, ...]:
        from .._engines import spark_pairs

        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        profile, pairs = target_pairs(metric_value_kwargs)
        return spark_pairs.count_pairs(profile, pairs, frame)
