"""Column pairs counted on Spark (local mode) equal pandas', directly and through GE.

One ``groupBy`` of two ``CASE`` columns per pair (``kl_drift/_engines/spark_pairs.py``).
The data are those of ``test_gx_pairs_sql.py``: floats with NaN and ±inf, integers, text
with pooled, unseen and missing values, naive datetimes, booleans.
"""

from __future__ import annotations

import warnings

import pytest

import kl_drift as kd

pytestmark = pytest.mark.spark
pyspark_sql = pytest.importorskip("pyspark.sql")
gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from test_gx_pairs_sql import PAIRS, frame  # noqa: E402

from kl_drift.pairs import count_pairs  # noqa: E402


def quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return func(*args, **kwargs)


def spark_frame(spark, data):
    # createDataFrame makes naive datetimes TIMESTAMP (instants); Parquet gives TIMESTAMP_NTZ,
    # the wall-clock type that fits naive bins: cast as Parquet would read it.
    # Missing text as None: pyspark reads pandas 3's missing strings (NaN) as text otherwise.
    data = data.assign(plan=data["plan"].astype(object).where(data["plan"].notna(), None))
    out = spark.createDataFrame(data)
    return out.withColumn("when", out["when"].cast("timestamp_ntz"))


def test_spark_pair_counts_equal_pandas_and_ge_flags_a_decoupled_pair(spark) -> None:
    from kl_drift._engines import spark_pairs

    reference = quietly(kd.profile, frame(6000, seed=1), pairs=PAIRS, max_categories=6)
    data = frame(3000, seed=4, decoupled=True)
    got = spark_pairs.count_pairs(reference, reference.pairs, spark_frame(spark, data))
    expected = count_pairs(data, reference, reference.pairs)
    assert [(p.columns, p.counts) for p in got] == [(p.columns, p.counts) for p in expected]
    # A column Spark lacks, or of a type that does not fit, leaves its pairs out.
    narrow = spark_frame(spark, data.drop(columns="f").assign(n=data["plan"].fillna("none")))
    assert [p.columns for p in spark_pairs.count_pairs(reference, reference.pairs, narrow)] == [("plan", "x"), ("flag", "plan")]

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_spark("s").add_dataframe_asset("batch").add_batch_definition_whole_dataframe("all")
    )
    expectation = kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict(), threshold="auto", pairs="auto")
    suite = context.suites.add(gx.ExpectationSuite(name="pairs", expectations=[expectation]))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="pairs", data=batch_definition, suite=suite))
    (result,) = definition.run(batch_parameters={"dataframe": spark_frame(spark, data)}).results
    assert not result.exception_info.get("raised_exception"), result.exception_info
    assert not result.success
    core = quietly(kd.compare, reference, data, threshold="auto")
    by_pair = {tuple(p["columns"]): p for p in result.result["details"]["pairs"]}
    for key, pair in core.pairs.items():
        assert by_pair[key]["current_counts"] == pair.to_dict()["current_counts"], key
        assert by_pair[key]["status"] == pair.status, key
    assert by_pair[("x", "f")]["status"] == "drift"
