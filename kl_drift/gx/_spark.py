"""PySpark spelling of the counting plan: one ``DataFrame.agg`` pass per table.

pyspark is an optional extra (``pip install kl_drift[spark]``); it comes through GE's
compatibility shim, so this module imports without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from great_expectations.compatibility.pyspark import functions as F
from great_expectations.compatibility.pyspark import types as T

from .._core.bins import CategoricalBins, NumericBins
from ._plan import ColumnPlan, plan_column

__all__ = ["SparkOps", "check_spark_type", "plan_spark", "spark_column"]

class SparkOps:
    """:class:`~kl_drift.gx._plan.AggregateOps` for Spark SQL."""

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


def check_spark_type(spec: NumericBins | CategoricalBins, data_type: Any) -> str | None:
    """Why a Spark column of `data_type` cannot be counted into `spec`, or None if it can."""
    if data_type is None or isinstance(data_type, T.NullType):
        return None
    numeric = isinstance(data_type, T.NumericType)
    if isinstance(spec, NumericBins):
        wanted, ok = ("datetime", isinstance(data_type, (T.TimestampType, T.TimestampNTZType, T.DateType))) if spec.datetime else ("numeric", numeric)
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
    targets: Sequence[tuple[str, NumericBins | CategoricalBins]], column_types: Mapping[str, Any]
) -> list[tuple[str, ColumnPlan]]:
    """Plans for the columns of `targets` (name, spec), typed by `column_types`."""
    ops = SparkOps()
    return [
        (name, plan_column(spark_column(name), spec, ops, floating=isinstance(column_types.get(name), (T.FloatType, T.DoubleType))))
        for name, spec in targets
    ]
