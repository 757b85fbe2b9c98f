"""The counting contract: CountTable/ColumnCounts, the pandas engine's count, the type table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core.bins import CategoricalBins, NumericBins
from kl_drift._engines.types import arrow_family, mismatch, pandas_dtype_family, spark_family, sql_family


@pytest.fixture
def prof() -> kd.ReferenceProfile:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=500),
            "plan": rng.choice(["a", "b", "c"], 500),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10_000, 500), unit="min"),
        }
    )
    return kd.profile(frame)


def test_count_then_compare_equals_compare_on_the_frame(prof: kd.ReferenceProfile) -> None:
    rng = np.random.default_rng(4)
    cur = pd.DataFrame(
        {
            "x": np.r_[rng.normal(0.3, 1, 300), [np.inf, -np.inf, np.nan]],
            "plan": rng.choice(["a", "b", "z", None], 303),
            "when": pd.Timestamp("2024-01-03") + pd.to_timedelta(rng.integers(0, 10_000, 303), unit="min"),
            "extra": 1,
        }
    )
    table = kd.count(prof, cur)
    assert isinstance(table, kd.CountTable) and table.engine == "pandas"
    assert table.n_rows == 303 and table.data_columns == ("x", "plan", "when", "extra")
    assert table["x"].n_inf == 2 and table["x"].counts[-1] == 1
    assert dict(table["plan"].unseen) == {"z": int((cur["plan"] == "z").sum())}
    via_table, direct = kd.compare(prof, table), kd.compare(prof, cur)
    assert via_table.to_frame().drop(columns=["created_at"], errors="ignore").equals(
        direct.to_frame().drop(columns=["created_at"], errors="ignore")
    )
    assert via_table["extra"].status == "skipped"


def test_merged_chunks_equal_the_whole(prof: kd.ReferenceProfile) -> None:
    rng = np.random.default_rng(5)
    cur = pd.DataFrame({"x": rng.normal(size=400), "plan": rng.choice(["a", "q", "r"], 400), "when": pd.NaT})
    whole = kd.count(prof, cur)
    merged = kd.count(prof, cur.iloc[:150]).merge(kd.count(prof, cur.iloc[150:]))
    assert merged == whole
    with pytest.warns(kd.AllMissingWarning, match="'when'"):
        via_table = kd.compare(prof, merged)["plan"].pvalue
    with pytest.warns(kd.AllMissingWarning, match="'when'"):
        assert via_table == kd.compare(prof, cur)["plan"].pvalue


def test_a_problem_in_one_chunk_is_the_problem_of_the_whole(prof: kd.ReferenceProfile) -> None:
    good = kd.count(prof, pd.DataFrame({"x": [1.0], "plan": ["a"], "when": [pd.Timestamp("2024-01-01")]}))
    bad = kd.count(prof, pd.DataFrame({"x": ["text"], "plan": ["a"], "when": [pd.Timestamp("2024-01-01")]}))
    assert bad["x"].problem == "type_mismatch"
    assert good.merge(bad)["x"].problem == "type_mismatch"
    assert bad.merge(good)["x"].reason == bad["x"].reason
    report = kd.compare(prof, good.merge(bad))
    assert report["x"].status == "type_mismatch" and report["x"].drifted


def test_missing_and_mismatched_columns_name_the_column_and_both_types(prof: kd.ReferenceProfile) -> None:
    table = kd.count(prof, pd.DataFrame({"x": ["a", "b"], "plan": [1.5, 2.5]}))
    assert table["when"].problem == "missing_column"
    assert re.fullmatch(r"column 'x': the reference is numeric but the current column is string \((object|str)\)", table["x"].reason)
    assert table["plan"].reason == (
        "column 'plan': the reference is categories of strings but the current column is numeric (float64)"
    )
    assert kd.compare(prof, table)["when"].status == "missing_column"


def test_an_all_missing_column_fits_any_bins(prof: kd.ReferenceProfile) -> None:
    table = kd.count(prof, pd.DataFrame({"x": [None, None], "plan": [np.nan, np.nan], "when": [np.nan, np.nan]}))
    for name in ("x", "plan", "when"):
        assert table[name].problem is None
        assert table[name].counts[-1] == 2 and sum(table[name].counts) == 2


def test_counts_with_a_problem_hold_no_counts() -> None:
    with pytest.raises(ValueError, match="counts with a problem"):
        kd.ColumnCounts("x", (1, 2), problem="type_mismatch")
    with pytest.raises(ValueError, match="`problem` must be one of"):
        kd.ColumnCounts("x", problem="broken")  # type: ignore[arg-type]


def test_counts_of_other_bins_are_refused(prof: kd.ReferenceProfile) -> None:
    table = kd.CountTable.of(3, [kd.ColumnCounts("x", (1, 2, 0))], ["x"], "test")
    with pytest.raises(kd.IncompatibleProfilesError, match=f"3 current counts for {len(prof['x'].counts)} reference bins"):
        kd.compare(prof, table, columns=["x"])
    with pytest.raises(kd.IncompatibleProfilesError, match="different columns"):
        table.merge(kd.CountTable.of(1, [kd.ColumnCounts("y", (1,))], ["y"], "test"))


def test_profile_lookups_are_by_name(prof: kd.ReferenceProfile) -> None:
    assert "x" in prof and "nope" not in prof and 3 not in prof
    assert prof["plan"].name == "plan"
    with pytest.raises(KeyError, match="'nope' is not in the profile"):
        prof["nope"]


# --------------------------------------------------------------------------- the type table

NUMERIC = NumericBins((1.0, 2.0))
NAIVE = NumericBins((0, 10**12), datetime=True)
AWARE = NumericBins((0, 10**12), datetime=True, tz="UTC")
STRINGS = CategoricalBins(("a",), "string")
NUMBERS = CategoricalBins((1,), "number")
BOOLS = CategoricalBins((True,), "bool")


@pytest.mark.parametrize(
    ("spec", "fits", "refused"),
    [
        (NUMERIC, ["integer", "float", "decimal", "null"], ["string", "boolean", "datetime", "date", "other"]),
        (NAIVE, ["datetime", "date", "null"], ["datetime_tz", "float", "string"]),
        (AWARE, ["datetime_tz", "null"], ["datetime", "date", "integer"]),
        (STRINGS, ["string", "null"], ["integer", "boolean", "datetime"]),
        (NUMBERS, ["integer", "float", "decimal"], ["string", "boolean"]),
        (BOOLS, ["boolean"], ["integer", "string"]),
    ],
)
def test_the_type_table(spec, fits, refused) -> None:
    for family in fits:
        assert mismatch(spec, family, "T") is None, family
    for family in refused:
        reason = mismatch(spec, family, "SOME_TYPE")
        assert reason is not None and "SOME_TYPE" in reason and reason.startswith("the reference is ")


def test_families_of_pandas_dtypes() -> None:
    assert pandas_dtype_family(np.dtype("int32")) == "integer"
    assert pandas_dtype_family(pd.Int64Dtype()) == "integer"
    assert pandas_dtype_family(np.dtype("float32")) == "float"
    assert pandas_dtype_family(pd.BooleanDtype()) == "boolean"
    assert pandas_dtype_family(pd.StringDtype()) == "string"
    assert pandas_dtype_family(np.dtype("datetime64[ns]")) == "datetime"
    assert pandas_dtype_family(pd.DatetimeTZDtype(tz="UTC")) == "datetime_tz"
    assert pandas_dtype_family(pd.CategoricalDtype(pd.Index(["a", "b"], dtype=object))) is None  # inspected
    assert pandas_dtype_family(pd.CategoricalDtype([1, 2])) == "integer"
    assert pandas_dtype_family(np.dtype("timedelta64[ns]")) == "other"
    assert pandas_dtype_family(np.dtype(object)) is None


def test_families_of_arrow_types() -> None:
    import pyarrow as pa

    assert arrow_family(pa.int8()) == "integer"
    assert arrow_family(pa.float32()) == "float"
    assert arrow_family(pa.decimal128(10, 2)) == "decimal"
    assert arrow_family(pa.dictionary(pa.int32(), pa.string())) == "string"
    assert arrow_family(pa.large_string()) == "string"
    assert arrow_family(pa.timestamp("us")) == "datetime"
    assert arrow_family(pa.timestamp("ns", tz="Europe/Paris")) == "datetime_tz"
    assert arrow_family(pa.date32()) == "date"
    assert arrow_family(pa.null()) == "null"
    assert arrow_family(pa.list_(pa.int64())) == "other"


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("DOUBLE PRECISION", "float"),
        ("double precision", "float"),
        ("REAL", "float"),
        ("BIGINT", "integer"),
        ("NUMERIC(10, 2)", "decimal"),
        ("VARCHAR(20)", "string"),
        ("CHARACTER VARYING(20)", "string"),
        ("TEXT", "string"),
        ("BOOLEAN", "boolean"),
        ("TIMESTAMP WITHOUT TIME ZONE", "datetime"),
        ("TIMESTAMP WITH TIME ZONE", "datetime_tz"),
        ("TIMESTAMP_NTZ", "datetime"),
        ("TIMESTAMP_TZ", "datetime_tz"),
        ("DATE", "date"),
        ("BYTEA", "other"),
    ],
)
def test_families_of_sql_type_names(name: str, family: str) -> None:
    assert sql_family(name) == family


def test_families_of_sqlalchemy_types() -> None:
    sa = pytest.importorskip("sqlalchemy")
    from sqlalchemy.dialects import postgresql

    assert sql_family(sa.Float()) == "float"
    assert sql_family(postgresql.DOUBLE_PRECISION()) == "float"
    assert sql_family(sa.Integer()) == "integer"
    assert sql_family(sa.Numeric(10, 2)) == "decimal"
    assert sql_family(sa.Boolean()) == "boolean"
    assert sql_family(sa.String(10)) == "string"
    assert sql_family(sa.DateTime()) == "datetime"
    assert sql_family(sa.DateTime(timezone=True)) == "datetime_tz"
    assert sql_family(postgresql.TIMESTAMP(timezone=True)) == "datetime_tz"
    assert sql_family(sa.Date()) == "date"
    assert sql_family(sa.types.NullType()) == "null"
    assert sql_family(None) == "null"


def test_families_of_spark_types_by_class_name() -> None:
    classes = {name: type(name, (), {}) for name in ("TimestampNTZType", "TimestampType", "DoubleType", "MapType")}
    assert spark_family(classes["TimestampNTZType"]()) == "datetime"
    assert spark_family(classes["TimestampType"]()) == "datetime_tz"
    assert spark_family(classes["DoubleType"]()) == "float"
    assert spark_family(classes["MapType"]()) == "other"


def test_complex_numbers_are_a_clear_problem_not_a_lossy_score() -> None:
    frame = pd.DataFrame({"z": np.array([1 + 2j, 3 - 1j] * 50), "x": np.arange(100.0)})
    with pytest.warns(kd.SkippedColumnWarning, match="'z' skipped: complex numbers are not supported"):
        prof = kd.profile(frame)
    assert prof["z"].kind == "skipped"
    numeric = kd.profile(frame[["x"]].assign(z=np.arange(100.0)))
    table = kd.count(numeric, frame)
    assert table["z"].problem == "type_mismatch"
    assert table["z"].reason == "column 'z': the reference is numeric but the current column is of an unsupported type (complex128)"
