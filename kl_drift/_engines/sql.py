"""The SQL engine: counting a table into a profile's bins with one aggregate query.

One ``SELECT COUNT(*), SUM(CASE WHEN <bin condition> THEN 1 ELSE 0 END), ...`` returns a
single row for the whole table (see :mod:`kl_drift._engines.plan`); no data row is fetched.
Only a categorical column with values the reference never had costs one more query, a
``GROUP BY`` that lists those values as the pandas engine does (the p-value tests each as
its own category).

Column types come from SQLAlchemy reflection or from the caller (Great Expectations'
``table.column_types``, whose types are type-name strings on some dialects), and whether a
type fits the bins is decided by the type table only (:mod:`kl_drift._engines.types`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

try:
    import sqlalchemy as sa
except ImportError as exc:  # pragma: no cover - sqlalchemy comes with great_expectations
    raise ImportError('kl_drift.sql needs sqlalchemy: install it with `pip install "sqlalchemy>=2"`') from exc

from .._core.bins import BinSpec, CategoricalBins
from ..counts import MAX_LISTED_UNSEEN_VALUES, ColumnCounts, CountTable
from .pandas import list_unseen
from .plan import ColumnPlan, plan_column
from .types import Family, mismatch, sql_family

if TYPE_CHECKING:
    from ..profile import ColumnProfile, ReferenceProfile

__all__ = ["SqlOps", "Typed", "OpenTable", "open_table", "is_floating", "count"]

# Larger than any finite double: ``ABS(x) > this`` is true exactly for ±inf where NaN does
# not exist (or is not greater than every number).
_DOUBLE_MAX = 1.7976931348623157e308
_NAIVE_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Dialects whose floating-point columns can hold NaN that compares equal to itself and
# greater than every number: it must be counted as missing (as pandas does) and kept out
# of the upper tail and of the ±inf count. PostgreSQL is tested against a real server;
# Snowflake, Databricks and DuckDB document the same semantics.
_NAN_EQUALS_ITSELF = frozenset({"postgresql", "snowflake", "databricks", "duckdb"})
# Dialects whose NaN follows IEEE 754 (equal to nothing, not even itself): functions find it.
_NAN_BY_FUNCTION = frozenset({"trino"})
_NOT_IN_DATA = "in the reference profile but not in the current data"


class SqlOps:
    """:class:`~kl_drift._engines.plan.AggregateOps` for a SQLAlchemy dialect."""

    def __init__(self, dialect_name: str) -> None:
        self.nan_equals_itself = dialect_name in _NAN_EQUALS_ITSELF
        self.nan_by_function = dialect_name in _NAN_BY_FUNCTION

    def count_if(self, condition: Any) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    def is_missing(self, column: Any, floating: bool) -> Any:
        if floating and self.nan_equals_itself:
            return column.is_(None) | (column == _float("NaN"))
        if floating and self.nan_by_function:
            return column.is_(None) | sa.func.is_nan(column)
        return column.is_(None)

    def is_infinite(self, column: Any) -> Any:
        if self.nan_equals_itself:
            # ABS(NaN) would pass a "greater than the largest double" test there.
            return column.in_([_float("Infinity"), _float("-Infinity")])
        if self.nan_by_function:
            return sa.func.is_infinite(column)
        return sa.func.abs(column) > _DOUBLE_MAX

    def isin(self, column: Any, values: Sequence[Any]) -> Any:
        return column.in_(list(values))

    def datetime_operand(self, column: Any) -> Any:
        return column

    def datetime_edge(self, nanoseconds: int, tz: str | None) -> Any:
        # Databases keep at most microseconds; for such values x <= edge iff x <= floor_us(edge).
        epoch = _UTC_EPOCH if tz is not None else _NAIVE_EPOCH
        return epoch + timedelta(microseconds=nanoseconds // 1000)


def is_floating(family: Family) -> bool:
    """Whether a column of this family may hold NaN and ±inf (then NaN counts as missing).

    PostgreSQL's NUMERIC holds NaN and ±inf too, and SQLite keeps ±inf in any column.
    """
    return family in ("float", "decimal")


def _float(text: str) -> Any:
    return sa.cast(sa.literal(text), sa.Float)


# A column known only by a type name (GE's strings) is compared as its family's generic
# type, so literals bind as numbers, booleans or timestamps.
_GENERIC_TYPES: dict[str, Any] = {
    "integer": sa.BigInteger,
    "float": sa.Float,
    "decimal": sa.Numeric,
    "boolean": sa.Boolean,
    "datetime": sa.DateTime,
    "datetime_tz": lambda: sa.DateTime(timezone=True),
    "date": sa.Date,
    "string": sa.String,
    "null": sa.types.NullType,
    "other": sa.types.NullType,
}


@dataclass(frozen=True)
class Typed:
    """A current column's type: for expressions (`sql_type`), for the type table (`family`),
    and in words (`text`)."""

    sql_type: Any
    family: Family
    text: str


def _type_text(sql_type: Any, dialect: Any) -> str:
    try:
        return str(sql_type.compile(dialect=dialect))
    except Exception:  # only for the message: a type this dialect cannot spell
        return type(sql_type).__name__


def _typed(raw: Any, dialect: Any) -> Typed:
    family = sql_family(raw, dialect.name)
    if isinstance(raw, type) and issubclass(raw, sa.types.TypeEngine):
        raw = raw()
    if isinstance(raw, sa.types.TypeEngine):
        # The reflected type binds literals the way the column stores them (SQLite keeps
        # booleans as 0/1 and datetimes as ISO text).
        return Typed(raw, family, _type_text(raw, dialect))
    return Typed(_GENERIC_TYPES[family](), family, "NULL" if raw is None else str(raw))


def _from_clause(source: Any, schema: str | None) -> Any:
    if isinstance(source, str):
        return sa.table(source, schema=schema)
    if isinstance(source, sa.Select):
        return source.subquery()
    if isinstance(source, sa.TextClause):
        return source.columns().subquery()
    return source


def _untyped(from_clause: Any) -> bool:
    return all(isinstance(c.type, sa.types.NullType) for c in from_clause.c)


def _reflected_types(source: Any, from_clause: Any, conn: Any, schema: str | None) -> dict[str, Any]:
    """Column types of a table by reflection, or of a selectable by its typed columns."""
    if isinstance(source, str) or (isinstance(from_clause, sa.TableClause) and _untyped(from_clause)):
        name = source if isinstance(source, str) else from_clause.name
        schema = schema if isinstance(source, str) else from_clause.schema
        try:
            return {str(c["name"]): c["type"] for c in sa.inspect(conn).get_columns(name, schema=schema)}
        except sa.exc.NoSuchTableError:
            where = f" in schema {schema!r}" if schema else ""
            raise ValueError(f"table {name!r} is not in the database{where}") from None
    if not _untyped(from_clause):
        return {str(c.name): c.type for c in from_clause.c}
    raise ValueError(
        "the column types of this selectable are unknown (e.g. SELECT * or untyped columns): pass a "
        "table name, a selectable of typed columns (e.g. of a reflected Table), or "
        "`column_types=[{'name': ..., 'type': ...}]`"
    )


@contextmanager
def _connected(bind: Any) -> Iterator[Any]:
    if isinstance(bind, sa.engine.Connection):
        yield bind
    elif isinstance(bind, sa.engine.Engine):
        with bind.connect() as conn:
            yield conn
    else:
        raise TypeError(f"`bind` must be a SQLAlchemy Engine or Connection, got {type(bind).__name__}")


@dataclass(frozen=True)
class OpenTable:
    """A table to count, on an open connection: what every query of the SQL engine needs.

    Attributes
    ----------
    from_clause : SQLAlchemy FromClause
        What the queries select from (a table, or a selectable as a subquery).
    conn : sqlalchemy.engine.Connection
        The connection to run them on.
    types : dict of str to Typed
        Every column of the table by name, with its type.
    ops : SqlOps
        The dialect's expressions for bin conditions.
    """

    from_clause: Any
    conn: Any
    types: dict[str, Typed]
    ops: SqlOps


@contextmanager
def open_table(
    source: Any, bind: Any, *, column_types: Sequence[Mapping[str, Any]] | None = None, schema: str | None = None
) -> Iterator[OpenTable]:
    """`source` opened on `bind` with its column types (see `count` for the arguments):
    the column counts and the pair counts (:mod:`kl_drift._engines.sql_pairs`) share it."""
    from_clause = _from_clause(source, schema)
    with _connected(bind) as conn:
        if column_types is not None:
            raw_types = {str(c["name"]): c.get("type") for c in column_types}
        else:
            raw_types = _reflected_types(source, from_clause, conn, schema)
        typed = {name: _typed(raw, conn.dialect) for name, raw in raw_types.items()}
        yield OpenTable(from_clause, conn, typed, SqlOps(conn.dialect.name))


@dataclass(frozen=True)
class _Job:
    """One profile column's share of the aggregate query.

    `column` is None when the data lacks the column; `plan` is None when its type does not
    fit (`reason`), and then its one aggregate counts the non-missing values, because an
    all-missing column fits any bins.
    """

    name: str
    spec: BinSpec
    column: Any = None
    floating: bool = False
    plan: ColumnPlan | None = None
    reason: str | None = None
    aggregates: tuple[Any, ...] = ()


def _job(col: ColumnProfile, current: Typed | None, ops: SqlOps) -> _Job:
    assert col.bins is not None
    if current is None:
        return _Job(col.name, col.bins)
    column = sa.column(col.name, type_=current.sql_type)
    floating = is_floating(current.family)
    reason = mismatch(col.bins, current.family, current.text)
    if reason is None:
        plan = plan_column(column, col.bins, ops, floating=floating)
        return _Job(col.name, col.bins, column, floating, plan, None, tuple(plan.aggregates))
    present = ops.count_if(~ops.is_missing(column, floating))
    return _Job(col.name, col.bins, column, floating, None, f"column {col.name!r}: {reason}", (present,))


def _unseen(conn: Any, from_clause: Any, job: _Job, ops: SqlOps) -> tuple[Any, bool]:
    """The values counted in "(unseen)" with their counts: one GROUP BY, listed as pandas lists them."""
    spec, column = job.spec, job.column
    assert isinstance(spec, CategoricalBins)
    known = [*spec.categories, *spec.other_values]
    where = ~ops.is_missing(column, job.floating)
    if known:
        where = where & ~ops.isin(column, known)
    n = sa.func.count().label("n")
    query = (
        sa.select(column.label("value"), n)
        .select_from(from_clause)
        .where(where)
        .group_by(column)
        .order_by(n.desc(), column)
        .limit(MAX_LISTED_UNSEEN_VALUES + 1)
    )
    rows = conn.execute(query).all()
    values = [r[0] for r in rows]
    freq = np.array([r[1] for r in rows], dtype=np.int64)
    listed, complete = list_unseen(values, freq, np.full(len(values), spec.unseen_index, dtype=np.intp), spec)
    return listed, complete and len(rows) <= MAX_LISTED_UNSEEN_VALUES


def _column_counts(
    job: _Job, values: Sequence[Any], n_rows: int, list_unseen_values: Callable[[_Job], tuple[Any, bool]]
) -> ColumnCounts:
    if job.column is None:
        return ColumnCounts.failed(job.name, "missing_column", _NOT_IN_DATA)
    if job.plan is None:
        if values[0]:
            return ColumnCounts.failed(job.name, "type_mismatch", str(job.reason))
        return ColumnCounts(job.name, (0,) * (job.spec.n_bins - 1) + (n_rows,))
    vector, n_inf = job.plan.decode(values)
    index = job.plan.unseen_index
    if index is not None and vector[index]:
        unseen, complete = list_unseen_values(job)
        return ColumnCounts(job.name, tuple(vector), n_inf, unseen, complete)
    return ColumnCounts(job.name, tuple(vector), n_inf)


def count(
    profile: ReferenceProfile,
    source: Any,
    bind: Any,
    *,
    columns: Sequence[str] | None = None,
    column_types: Sequence[Mapping[str, Any]] | None = None,
    schema: str | None = None,
) -> CountTable:
    """Count a table (or any selectable) into a profile's bins: the SQL engine's count function.

    Parameters
    ----------
    profile : ReferenceProfile
        The bins to count into; columns without bins are left out.
    source : str or SQLAlchemy selectable
        A table name (in `schema`), a Table, a subquery or a Select (counted as a subquery).
    bind : sqlalchemy.engine.Engine or sqlalchemy.engine.Connection
        Where to run the queries.
    columns : sequence of str, optional
        Profile columns to count (default: all).
    column_types : sequence of mappings, optional
        ``[{"name": ..., "type": ...}]`` for every column of `source`, types as SQLAlchemy
        types or type names (as Great Expectations' ``table.column_types`` gives them).
        Default: reflected from the database.
    schema : str, optional
        Schema of a table given by name.

    Returns
    -------
    CountTable
        Columns absent from `source` have ``problem="missing_column"``; columns whose type
        does not fit the bins ``problem="type_mismatch"`` (unless all their values are
        missing: then they count as missing, as in pandas).
    """
    wanted = [profile[c] for c in dict.fromkeys(columns)] if columns is not None else list(profile.columns)
    with open_table(source, bind, column_types=column_types, schema=schema) as table:
        conn, from_clause, typed, ops = table.conn, table.from_clause, table.types, table.ops
        jobs = [_job(c, typed.get(c.name), ops) for c in wanted if c.bins is not None]
        aggregates = [sa.func.count(), *(a for job in jobs for a in job.aggregates)]
        row = conn.execute(sa.select(*aggregates).select_from(from_clause)).one()
        n_rows = int(row[0])
        counted = []
        position = 1
        for job in jobs:
            values = row[position : position + len(job.aggregates)]
            position += len(job.aggregates)
            counted.append(_column_counts(job, values, n_rows, lambda j: _unseen(conn, from_clause, j, ops)))
    return CountTable.of(n_rows, counted, list(typed), "sql")
