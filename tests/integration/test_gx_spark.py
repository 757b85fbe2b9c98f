"""The expectations on Spark (local mode) through GE's Spark data source.

Skipped when pyspark is not installed (``pip install kl_drift[spark]``); Java must be on the
machine. One session and one validation run keep this module to a few Spark jobs.
"""

from __future__ import annotations

import pytest

import kl_drift as kd

pytestmark = pytest.mark.spark
pyspark_sql = pytest.importorskip("pyspark.sql")
gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402


def test_spark_gives_the_statistics_of_the_pandas_path(spark, mixed) -> None:
    reference = kd.profile(mixed(5000, seed=1), max_categories=2)
    batch = mixed(3000, seed=2, shift=3)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_spark("orders").add_dataframe_asset("batch").add_batch_definition_whole_dataframe("all")
    )
    expectations = [
        kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict()),
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="plan", reference=reference["age"].to_dict()),
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="income", reference=reference["age"].to_dict()),
    ]
    suite = context.suites.add(gx.ExpectationSuite(name="orders", expectations=expectations))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="orders", data=batch_definition, suite=suite))
    # createDataFrame turns pandas' naive datetimes into TIMESTAMP (instants); Parquet gives
    # TIMESTAMP_NTZ, the wall-clock type that fits naive bins: cast as Parquet would read it.
    frame = spark.createDataFrame(batch)
    frame = frame.withColumn("seen", frame["seen"].cast("timestamp_ntz"))
    table, mismatched, missing = definition.run(batch_parameters={"dataframe": frame}).results

    core = kd.compare(reference, batch, threshold=None)  # the expectation's default: the fixed rule
    by_name = {c["column"]: c for c in table.result["details"]["columns"]}
    assert list(by_name) == list(reference.names)
    for name, details in by_name.items():
        assert details["current_counts"] == list(core[name].current_counts), name
        assert details["n_inf_current"] == core[name].n_inf_current, name
        assert details["statistic"] == pytest.approx(core[name].statistic, rel=1e-9, abs=1e-12), name
        assert details["pvalue"] == pytest.approx(core[name].pvalue, rel=1e-9, abs=1e-300), name
        assert details["unseen_examples"] == [list(pair) for pair in core[name].unseen_examples], name
    assert table.result["details"]["drifted_columns"] == core.drifted_columns
    assert mismatched.result["details"]["status"] == "type_mismatch"
    assert mismatched.result["details"]["reason"] == "column 'plan': the reference is numeric but the current column is string (string)"
    assert missing.result["details"]["status"] == "missing_column"
    assert not mismatched.success and not missing.success
