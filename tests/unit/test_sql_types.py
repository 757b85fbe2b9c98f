"""The type table on SQL types: SQLAlchemy types, and the type-name strings GE 1.x reports.

GE's ``table.column_types`` metric reports, for the postgresql, snowflake, databricks,
mssql and trino dialects, a string per column instead of a SQLAlchemy type: the reflected
type compiled for the dialect, or its class name on mssql
(``great_expectations.expectations.metrics.util._build_column_metadata_result``). Reading
those strings with isinstance made every column a type mismatch; they go through
:func:`kl_drift._engines.types.sql_family` like everything else.
"""

from __future__ import annotations

import pytest

from kl_drift import CategoricalBins, NumericBins
from kl_drift._engines.types import mismatch, sql_family

sa = pytest.importorskip("sqlalchemy")

# (dialect, the string GE reports, family). PostgreSQL's are the ones a real server's
# reflection compiles to (tests/integration/test_postgres.py runs them); the others are the
# spellings of the dialects' type compilers (snowflake-sqlalchemy, databricks-sqlalchemy,
# trino's sqlalchemy dialect) and, for mssql, SQLAlchemy's class names.
GE_TYPE_NAMES = [
    ("postgresql", "DOUBLE PRECISION", "float"),
    ("postgresql", "REAL", "float"),
    ("postgresql", "BIGINT", "integer"),
    ("postgresql", "INTEGER", "integer"),
    ("postgresql", "SMALLINT", "integer"),
    ("postgresql", "NUMERIC(12, 2)", "decimal"),
    ("postgresql", "NUMERIC", "decimal"),
    ("postgresql", "TEXT", "string"),
    ("postgresql", "VARCHAR(20)", "string"),
    ("postgresql", "CHAR(3)", "string"),
    ("postgresql", "UUID", "string"),
    ("postgresql", "BOOLEAN", "boolean"),
    ("postgresql", "TIMESTAMP WITHOUT TIME ZONE", "datetime"),
    ("postgresql", "TIMESTAMP WITH TIME ZONE", "datetime_tz"),
    ("postgresql", "TIMESTAMP(3) WITH TIME ZONE", "datetime_tz"),
    ("postgresql", "DATE", "date"),
    ("postgresql", "TIME WITHOUT TIME ZONE", "other"),
    ("postgresql", "INTERVAL", "other"),
    ("postgresql", "JSONB", "other"),
    ("postgresql", "BYTEA", "other"),
    ("postgresql", "BIT(1)", "other"),  # a bit string, not a boolean
    ("postgresql", "INTEGER[]", "other"),
    ("snowflake", "DECIMAL(38, 0)", "decimal"),
    ("snowflake", "INTEGER", "integer"),
    ("snowflake", "FLOAT", "float"),
    ("snowflake", "VARCHAR(16777216)", "string"),
    ("snowflake", "BOOLEAN", "boolean"),
    ("snowflake", "DATE", "date"),
    ("snowflake", "TIMESTAMP_NTZ", "datetime"),
    ("snowflake", "TIMESTAMP_TZ", "datetime_tz"),
    ("snowflake", "TIMESTAMP_LTZ", "datetime_tz"),
    ("snowflake", "VARIANT", "other"),
    ("snowflake", "OBJECT", "other"),
    ("snowflake", "ARRAY", "other"),
    ("snowflake", "BINARY", "other"),
    ("databricks", "BIGINT", "integer"),
    ("databricks", "INT", "integer"),
    ("databricks", "TINYINT", "integer"),
    ("databricks", "DOUBLE", "float"),
    ("databricks", "FLOAT", "float"),
    ("databricks", "DECIMAL(10,2)", "decimal"),
    ("databricks", "STRING", "string"),
    ("databricks", "BOOLEAN", "boolean"),
    ("databricks", "DATE", "date"),
    ("databricks", "TIMESTAMP", "datetime_tz"),  # an instant, shown in the session time zone
    ("databricks", "TIMESTAMP_NTZ", "datetime"),
    ("databricks", "ARRAY<STRING>", "other"),
    ("databricks", "MAP<STRING,INT>", "other"),
    ("databricks", "STRUCT<a:INT>", "other"),
    ("mssql", "BIGINT", "integer"),
    ("mssql", "INTEGER", "integer"),
    ("mssql", "TINYINT", "integer"),
    ("mssql", "BIT", "boolean"),
    ("mssql", "FLOAT", "float"),
    ("mssql", "REAL", "float"),
    ("mssql", "DOUBLE_PRECISION", "float"),
    ("mssql", "DECIMAL", "decimal"),
    ("mssql", "MONEY", "decimal"),
    ("mssql", "NVARCHAR", "string"),
    ("mssql", "VARCHAR", "string"),
    ("mssql", "NTEXT", "string"),
    ("mssql", "UNIQUEIDENTIFIER", "string"),
    ("mssql", "DATETIME", "datetime"),
    ("mssql", "DATETIME2", "datetime"),
    ("mssql", "SMALLDATETIME", "datetime"),
    ("mssql", "DATETIMEOFFSET", "datetime_tz"),
    ("mssql", "DATE", "date"),
    ("mssql", "TIME", "other"),
    ("mssql", "TIMESTAMP", "other"),  # a row version, binary
    ("mssql", "VARBINARY", "other"),
    ("mssql", "XML", "other"),
    ("trino", "BIGINT", "integer"),
    ("trino", "INTEGER", "integer"),
    ("trino", "DOUBLE", "float"),
    ("trino", "REAL", "float"),
    ("trino", "DECIMAL(10, 2)", "decimal"),
    ("trino", "VARCHAR", "string"),
    ("trino", "VARCHAR(10)", "string"),
    ("trino", "BOOLEAN", "boolean"),
    ("trino", "DATE", "date"),
    ("trino", "TIMESTAMP(3)", "datetime"),
    ("trino", "TIMESTAMP(6) WITH TIME ZONE", "datetime_tz"),
    ("trino", "TIME(3)", "other"),
    ("trino", "ARRAY(BIGINT)", "other"),
    ("trino", "MAP(VARCHAR, BIGINT)", "other"),
    ("trino", "ROW(a BIGINT)", "other"),
    ("trino", "JSON", "other"),
    ("trino", "UUID", "string"),
]


@pytest.mark.parametrize(("dialect", "name", "family"), GE_TYPE_NAMES, ids=[f"{d}-{n}" for d, n, _ in GE_TYPE_NAMES])
def test_the_type_names_ge_reports_map_to_their_family(dialect: str, name: str, family: str) -> None:
    assert sql_family(name, dialect) == family
    # GE wraps them in its case-insensitive str subclass, in any case
    assert sql_family(name.lower(), dialect) == family


def test_ge_s_case_insensitive_strings_are_read_as_names() -> None:
    util = pytest.importorskip("great_expectations.expectations.metrics.util")
    assert sql_family(util.CaseInsensitiveString("DOUBLE PRECISION"), "postgresql") == "float"
    assert sql_family(util.CaseInsensitiveString("timestamp with time zone"), "postgresql") == "datetime_tz"


def _instances(ischema_names: dict) -> list:
    made = []
    for cls in dict.fromkeys(ischema_names.values()):
        try:
            made.append(cls())
        except TypeError:  # types that need arguments (ARRAY of what?)
            continue
    return made


def test_postgresql_types_and_their_compiled_names_agree() -> None:
    # What GE does for postgresql: str(reflected_type.compile(dialect=...)).
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    types = _instances(postgresql.base.ischema_names)
    assert len(types) > 30
    for sql_type in types:
        name = str(sql_type.compile(dialect=dialect))
        assert sql_family(sql_type) == sql_family(name, "postgresql"), name
    assert sql_family(postgresql.TIMESTAMP(timezone=True)) == "datetime_tz"
    assert sql_family(postgresql.TIMESTAMP(timezone=True).compile(dialect=dialect), "postgresql") == "datetime_tz"


def test_mssql_types_and_their_class_names_agree() -> None:
    # What GE does for mssql: type(reflected_type).__name__.
    from sqlalchemy.dialects import mssql

    types = _instances(mssql.base.ischema_names)
    assert len(types) > 20
    for sql_type in types:
        assert sql_family(sql_type) == sql_family(type(sql_type).__name__, "mssql"), type(sql_type).__name__


def test_the_same_name_in_another_dialect() -> None:
    assert sql_family("TIMESTAMP", "postgresql") == "datetime"
    assert sql_family("TIMESTAMP", "databricks") == "datetime_tz"
    assert sql_family("TIMESTAMP", "mssql") == "other"
    assert sql_family("BIT", "mssql") == "boolean"
    assert sql_family("BIT", "postgresql") == "other"


@pytest.mark.parametrize(
    ("spec", "family", "name", "reason"),
    [
        (NumericBins((1.0, 2.0)), "string", "TEXT", "the reference is numeric but the current column is string (TEXT)"),
        (
            NumericBins((0, 10**9), datetime=True, tz="UTC"),
            "datetime",
            "TIMESTAMP WITHOUT TIME ZONE",
            "the reference is datetime (tz-aware, UTC) but the current column is datetime (tz-naive) "
            "(TIMESTAMP WITHOUT TIME ZONE)",
        ),
        (
            CategoricalBins(("a", "b"), "string"),
            "float",
            "DOUBLE PRECISION",
            "the reference is categories of strings but the current column is numeric (DOUBLE PRECISION)",
        ),
    ],
)
def test_a_mismatch_names_both_types(spec, family: str, name: str, reason: str) -> None:
    assert sql_family(name, "postgresql") == family
    assert mismatch(spec, family, name) == reason


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (NumericBins((1.0, 2.0)), "DOUBLE PRECISION"),
        (NumericBins((1.0, 2.0)), "BIGINT"),
        (NumericBins((1.0, 2.0)), "NUMERIC(12, 2)"),
        (NumericBins((0, 10**9), datetime=True), "TIMESTAMP WITHOUT TIME ZONE"),
        (NumericBins((0, 10**9), datetime=True), "DATE"),
        (NumericBins((0, 10**9), datetime=True, tz="UTC"), "TIMESTAMP WITH TIME ZONE"),
        (CategoricalBins(("a", "b"), "string"), "TEXT"),
        (CategoricalBins((1, 2), "number"), "BIGINT"),
        (CategoricalBins((True, False), "bool"), "BOOLEAN"),
    ],
)
def test_well_typed_postgresql_columns_fit(spec, name: str) -> None:
    # The bug this table fixed: every one of these was a type_mismatch under GE 1.x.
    assert mismatch(spec, sql_family(name, "postgresql"), name) is None
