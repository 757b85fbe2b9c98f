"""Shared integration fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session (1 core, no UI, UTC) per test module.

    Per module, not per run: a session kept open until the end of the whole run was once
    found dead at teardown (py4j "Answer from Java side is empty") in a fresh-clone CI run.
    """
    pyspark_sql = pytest.importorskip("pyspark.sql")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java")
    previous = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("kl_drift-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        # naive datetimes are compared as UTC, as the pandas path does
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if previous is None:
        os.environ.pop("SPARK_LOCAL_IP", None)
    else:
        os.environ["SPARK_LOCAL_IP"] = previous


def _mixed(n: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    """Every kind of column and the awkward values: NaN, ±inf, missing, unseen and pooled categories."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40 + shift, 10, n)
    age[:15], age[15:17], age[17] = np.nan, np.inf, -np.inf
    weights = [0.45, 0.25, 0.15, 0.1, 0.05] if shift else [0.5, 0.25, 0.15, 0.1]
    plan = pd.Series(rng.choice(["a", "b", "c", "d", "e"][: len(weights)], n, p=weights), dtype=object)
    return pd.DataFrame(
        {
            "age": age,
            "visits": rng.integers(0, 200, n),
            "plan": plan.where(rng.random(n) > 0.05, None),
            "flag": rng.random(n) > 0.3 + shift / 100,
            "rating": rng.integers(1, 6, n).astype(float),
            "seen": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s"),
        }
    )


@pytest.fixture(scope="session")
def mixed() -> Callable[..., pd.DataFrame]:
    """The engine-parity data generator (SQL and Spark are compared with the pandas path on it)."""
    return _mixed
