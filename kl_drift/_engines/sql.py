"""SQLAlchemy spelling of the counting plan: one aggregate query per table, no row fetch.

sqlalchemy comes through GE's compatibility shim, so this module imports (and its doctests
run) without it; using it without sqlalchemy raises GE's "install sqlalchemy" error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa

from .._core.bins import CategoricalBins, NumericBins
from .._engines.plan import ColumnPlan, plan_column

__all__ = ["SqlOps", "check_sql_type", "is_floating", "plan_sql"]

# Larger than any finite double: ``ABS(x) > this`` is true exactly for ±inf, in every dialect.
_DOUBLE_MAX = 1.7976931348623157e308
_NAIVE_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Dialects whose floating-point columns can hold NaN, which they compare equal to itself and
# greater than every number (so it must be kept out of the upper tail explicitly).
_NAN_DIALECTS = frozenset({"postgresql"})


class SqlOps:
    """:class:`~kl_drift._engines.plan.AggregateOps` for a SQLAlchemy dialect."""

    def __init__(self, dialect_name: str) -> None:
        self.has_nan = dialect_name in _NAN_DIALECTS

    def count_if(self, condition: Any) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    def is_missing(self, column: Any, floating: bool) -> Any:
        if floating and self.has_nan:
            return column.is_(None) | (column == sa.cast(sa.literal("NaN"), sa.Float))
        return column.is_(None)

    def is_infinite(self, column: Any) -> Any:
        return sa.func.abs(column) > _DOUBLE_MAX

    def isin(self, column: Any, values: Sequence[Any]) -> Any:
        return column.in_(list(values))

    def datetime_operand(self, column: Any) -> Any:
        return column

    def datetime_edge(self, nanoseconds: int, tz: str | None) -> Any:
        # Databases keep at most microseconds; for such values x <= edge iff x <= floor_us(edge).
        epoch = _UTC_EPOCH if tz is not None else _NAIVE_EPOCH
        return epoch + timedelta(microseconds=nanoseconds // 1000)


def is_floating(sql_type: Any) -> bool:
    """Whether a column of this SQLAlchemy type can hold NaN or ±inf."""
    return isinstance(sql_type, sa.types.Float)


def check_sql_type(spec: NumericBins | CategoricalBins, sql_type: Any) -> str | None:
    """Why a column of `sql_type` cannot be counted into `spec`, or None if it can.

    Mirrors the pandas check: a numeric reference needs a numeric column, a datetime one a
    date/time column, and categories of strings, numbers or booleans a column of that type.
    A column of unknown type (``NullType``, e.g. an all-NULL expression) is accepted.
    """
    if sql_type is None or isinstance(sql_type, sa.types.NullType):
        return None
    # Float is listed on its own: SQLAlchemy 2.1 no longer makes it a subclass of Numeric.
    numeric = isinstance(sql_type, (sa.types.Integer, sa.types.Numeric, sa.types.Float)) and not isinstance(
        sql_type, sa.types.Boolean
    )
    if isinstance(spec, NumericBins):
        if spec.datetime:
            wanted, ok = "datetime", isinstance(sql_type, (sa.types.DateTime, sa.types.Date))
        else:
            wanted, ok = "numeric", numeric
        if not ok:
            return f"the reference is {wanted} but the current column is {sql_type}"
        return None
    ok = {
        "string": isinstance(sql_type, sa.types.String),
        "number": numeric,
        "bool": isinstance(sql_type, sa.types.Boolean),
    }[spec.value_type]
    if not ok:
        return f"the reference holds {spec.value_type} values but the current column is {sql_type}"
    return None


def plan_sql(
    targets: Sequence[tuple[str, NumericBins | CategoricalBins]],
    column_types: Mapping[str, Any],
    dialect_name: str,
) -> list[tuple[str, ColumnPlan]]:
    """Plans for the columns of `targets` (name, spec), typed by `column_types`."""
    ops = SqlOps(dialect_name)
    return [
        (name, plan_column(_column(name, column_types.get(name)), spec, ops, floating=is_floating(column_types.get(name))))
        for name, spec in targets
    ]


def _column(name: str, sql_type: Any) -> Any:
    # The reflected type makes literals bind the way the column stores them (SQLite keeps
    # booleans as 0/1 and datetimes as ISO text).
    return sa.column(name, type_=sql_type) if sql_type is not None else sa.column(name)
