"""The one type table: which storage types fit which bins, for every engine.

An engine never decides on its own whether a column can be counted. It names the column's
storage type as a *family* through one of the ``*_family`` functions below (pandas dtypes,
Arrow types, SQL types as SQLAlchemy objects or as the type-name strings Great Expectations
reports for some dialects, Spark types), and :func:`mismatch` says, from the family and the
reference bins, why the column does not fit, or None. So every engine accepts and rejects
the same columns with the same words.

=========================  ======================================================
bins                       families that fit
=========================  ======================================================
numeric                    integer, float, decimal
datetime, tz-naive         datetime, date
datetime, tz-aware         datetime_tz
categories of strings      string
categories of numbers      integer, float, decimal
categories of booleans     boolean
any                        null (no type known, e.g. an all-NULL expression)
=========================  ======================================================
"""

from __future__ import annotations

import re
from typing import Any, Literal

from .._core.bins import BinSpec, CategoricalBins, NumericBins

__all__ = [
    "Family",
    "FITS",
    "mismatch",
    "family_text",
    "arrow_family",
    "sql_family",
    "spark_family",
    "pandas_dtype_family",
]

Family = Literal["integer", "float", "decimal", "boolean", "string", "datetime", "datetime_tz", "date", "null", "other"]

_NUMBERS = frozenset({"integer", "float", "decimal"})
# bins kind -> families whose values can be counted into them
FITS: dict[str, frozenset[str]] = {
    "numeric": _NUMBERS,
    "datetime": frozenset({"datetime", "date"}),
    "datetime_tz": frozenset({"datetime_tz"}),
    "string": frozenset({"string"}),
    "number": _NUMBERS,
    "bool": frozenset({"boolean"}),
}

_FAMILY_WORDS = {
    "integer": "numeric",
    "float": "numeric",
    "decimal": "numeric",
    "boolean": "boolean",
    "string": "string",
    "datetime": "datetime (tz-naive)",
    "datetime_tz": "datetime (tz-aware)",
    "date": "date",
    "null": "untyped",
    "other": "of an unsupported type",
}


def _bins_kind(spec: BinSpec) -> str:
    if isinstance(spec, NumericBins):
        if spec.datetime:
            return "datetime_tz" if spec.tz is not None else "datetime"
        return "numeric"
    assert isinstance(spec, CategoricalBins)
    return spec.value_type


def _bins_words(spec: BinSpec) -> str:
    if isinstance(spec, NumericBins):
        if spec.datetime:
            return f"datetime (tz-aware, {spec.tz})" if spec.tz is not None else "datetime (tz-naive)"
        return "numeric"
    return {"string": "categories of strings", "number": "categories of numbers", "bool": "booleans"}[spec.value_type]


def family_text(family: str) -> str:
    """A family in words, as error messages say it."""
    return _FAMILY_WORDS[family]


def mismatch(spec: BinSpec, family: str, type_name: str) -> str | None:
    """Why a column of storage type `type_name` (of `family`) cannot be counted into `spec`.

    Returns None when it fits. The reason names both sides, e.g. "the reference is numeric
    but the current column is string (TEXT)"; engines prefix the column (and the file).

    Examples
    --------
    >>> from kl_drift._core.bins import NumericBins
    >>> mismatch(NumericBins((1.0, 2.0)), "string", "TEXT")
    'the reference is numeric but the current column is string (TEXT)'
    >>> mismatch(NumericBins((1.0, 2.0)), "integer", "BIGINT") is None
    True
    """
    if family == "null" or family in FITS[_bins_kind(spec)]:
        return None
    return f"the reference is {_bins_words(spec)} but the current column is {family_text(family)} ({type_name})"


# --------------------------------------------------------------------------- pandas / numpy


def pandas_dtype_family(dtype: Any) -> Family | None:
    """Family of a pandas dtype, or None when the values must be inspected (object dtype)."""
    import pandas as pd

    api = pd.api.types
    if isinstance(dtype, pd.ArrowDtype):
        # By its Arrow type: the pandas predicates below miss e.g. the time zone of a timestamp.
        return arrow_family(dtype.pyarrow_dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        return pandas_dtype_family(dtype.categories.dtype)
    if api.is_bool_dtype(dtype):
        return "boolean"
    if api.is_datetime64_any_dtype(dtype):
        return "datetime_tz" if getattr(dtype, "tz", None) is not None else "datetime"
    if api.is_integer_dtype(dtype):
        return "integer"
    if api.is_float_dtype(dtype):
        return "float"
    if api.is_numeric_dtype(dtype) and not api.is_complex_dtype(dtype):
        return "decimal"
    if api.is_string_dtype(dtype) and not api.is_object_dtype(dtype):
        return "string"
    if api.is_timedelta64_dtype(dtype) or api.is_complex_dtype(dtype):
        return "other"
    return None


# --------------------------------------------------------------------------- Arrow


def arrow_family(arrow_type: Any) -> Family:
    """Family of a pyarrow DataType (dictionary types by their values)."""
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(arrow_type):
        return arrow_family(arrow_type.value_type)
    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_integer(arrow_type):
        return "integer"
    if t.is_floating(arrow_type):
        return "float"
    if t.is_decimal(arrow_type):
        return "decimal"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or getattr(t, "is_string_view", lambda _: False)(arrow_type):
        return "string"
    if t.is_timestamp(arrow_type):
        return "datetime_tz" if arrow_type.tz is not None else "datetime"
    if t.is_date(arrow_type):
        return "date"
    if t.is_null(arrow_type):
        return "null"
    return "other"


# --------------------------------------------------------------------------- SQL

# Type names as databases and GE spell them (GE 1.x reports strings for postgresql,
# snowflake, databricks, mssql and trino: the reflected type compiled for the dialect, or
# its class name on mssql). Matched on the upper-cased name without its parameters; the
# first pattern that matches wins.
_SQL_NAME_PATTERNS: tuple[tuple[str, Family], ...] = (
    # arrays ("INTEGER[]" in PostgreSQL, "ARRAY<INT>" in Databricks) before their item types
    (r"\[\]$|^ARRAY\b", "other"),
    (r"^(BOOL|BOOLEAN|BIT)$", "boolean"),
    (r"^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT|INT2|INT4|INT8|SERIAL|BIGSERIAL|SMALLSERIAL|BYTEINT|HUGEINT|UBIGINT|LONG|SHORT|BYTE)\b", "integer"),
    (r"^(REAL|FLOAT|FLOAT4|FLOAT8|DOUBLE|DOUBLE PRECISION|DOUBLE_PRECISION|BINARY_DOUBLE|BINARY_FLOAT)$", "float"),
    (r"^(NUMERIC|DECIMAL|NUMBER|MONEY|SMALLMONEY|DEC)$", "decimal"),
    (r"^(TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|TIMESTAMP_TZ|TIMESTAMP_LTZ|DATETIMEOFFSET|TIMESTAMP WITH LOCAL TIME ZONE)$", "datetime_tz"),
    (r"^(TIMESTAMP|TIMESTAMP WITHOUT TIME ZONE|TIMESTAMP_NTZ|DATETIME|DATETIME2|SMALLDATETIME)$", "datetime"),
    (r"^DATE$", "date"),
    (r"^(CHAR|VARCHAR|NCHAR|NVARCHAR|TEXT|NTEXT|STRING|CHARACTER|CHARACTER VARYING|CLOB|NCLOB|VARCHAR2|NVARCHAR2|CITEXT|BPCHAR|NAME|ENUM|UUID|UNIQUEIDENTIFIER)$", "string"),
    (r"^(NULL|NULLTYPE)$", "null"),
)

# Names (and SQLAlchemy class names) that mean another type in these dialects: Databricks'
# TIMESTAMP is an instant (TIMESTAMP_NTZ is the wall-clock one), SQL Server's TIMESTAMP is a
# row version (binary) and its DATETIMEOFFSET class a DateTime without `timezone` set (as are
# Snowflake's TIMESTAMP_TZ/_LTZ classes), PostgreSQL's BIT(n) is a bit string.
_SQL_DIALECT_NAMES: dict[str, dict[str, Family]] = {
    "databricks": {"TIMESTAMP": "datetime_tz"},
    "snowflake": {"TIMESTAMP_TZ": "datetime_tz", "TIMESTAMP_LTZ": "datetime_tz"},
    "mssql": {"TIMESTAMP": "other", "ROWVERSION": "other", "DATETIMEOFFSET": "datetime_tz", "XML": "other"},
    "postgresql": {"BIT": "other"},
}


def _sql_name_family(name: str, dialect: str | None = None) -> Family:
    text = re.sub(r"\(.*?\)", "", name).strip().upper()
    text = re.sub(r"\s+", " ", text)
    special = _SQL_DIALECT_NAMES.get(dialect or "", {})
    if text in special:
        return special[text]
    for pattern, family in _SQL_NAME_PATTERNS:
        if re.search(pattern, text):
            return family
    return "other"


def _dialect_of(cls: type) -> str | None:
    # Dialect types live in sqlalchemy.dialects.<name>... or in <name>'s own package.
    module = cls.__module__
    for dialect in _SQL_DIALECT_NAMES:
        if dialect in module:
            return dialect
    return None


def sql_family(sql_type: Any, dialect: str | None = None) -> Family:
    """Family of a SQL column type: a SQLAlchemy type (class or instance) or a type name.

    `dialect` (SQLAlchemy's dialect name, e.g. "databricks") decides the few names that
    mean different types in different databases; for a SQLAlchemy type it defaults to the
    dialect the type comes from.

    Examples
    --------
    >>> sql_family("DOUBLE PRECISION"), sql_family("TIMESTAMP WITHOUT TIME ZONE"), sql_family("VARCHAR(20)")
    ('float', 'datetime', 'string')
    >>> sql_family("TIMESTAMP", "databricks"), sql_family("TIMESTAMP_NTZ", "databricks")
    ('datetime_tz', 'datetime')
    """
    if sql_type is None:
        return "null"
    if isinstance(sql_type, str):
        return _sql_name_family(sql_type, dialect)
    cls = sql_type if isinstance(sql_type, type) else type(sql_type)
    dialect = dialect or _dialect_of(cls)
    special = _SQL_DIALECT_NAMES.get(dialect or "", {})
    if cls.__name__ in special:
        return special[cls.__name__]
    # By SQLAlchemy's generic classes in the type's MRO, so dialect types (DOUBLE_PRECISION,
    # TIMESTAMP, ...) map without importing any dialect.
    names = [c.__name__ for c in cls.__mro__]
    for name in names:
        if name == "NullType":
            return "null"
        if name == "Boolean":
            return "boolean"
        if name in ("Integer", "SmallInteger", "BigInteger"):
            return "integer"
        if name in ("Float", "Double", "REAL", "DOUBLE_PRECISION"):
            return "float"
        if name == "Numeric":
            return "decimal"
        if name == "DateTime":
            return "datetime_tz" if getattr(sql_type, "timezone", False) is True else "datetime"
        if name == "Date":
            return "date"
        if name in ("String", "Enum", "Uuid"):
            return "string"
        if name == "ARRAY":
            return "other"
    return _sql_name_family(str(sql_type) if not isinstance(sql_type, type) else cls.__name__, dialect)


# --------------------------------------------------------------------------- Spark


_SPARK_FAMILIES: dict[str, Family] = {
    "BooleanType": "boolean",
    "ByteType": "integer",
    "ShortType": "integer",
    "IntegerType": "integer",
    "LongType": "integer",
    "FloatType": "float",
    "DoubleType": "float",
    "DecimalType": "decimal",
    "StringType": "string",
    "VarcharType": "string",
    "CharType": "string",
    # TIMESTAMP is an instant (shown in the session time zone); TIMESTAMP_NTZ a wall-clock value.
    "TimestampType": "datetime_tz",
    "TimestampNTZType": "datetime",
    "DateType": "date",
    "NullType": "null",
}


def spark_family(data_type: Any) -> Family:
    """Family of a pyspark DataType, by class name (so this module never imports pyspark)."""
    return _SPARK_FAMILIES.get(type(data_type).__name__, "other")
