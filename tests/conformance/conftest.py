"""Fixtures of the conformance suite: the engines' resources and one count per engine and group.

Counting is cached per (engine, group) for the whole run, so the parametrized tests
(engines x cases) pay one Parquet write, one SQL round trip or one Spark job per group.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kl_drift import CountTable, DriftReport

from .adapters import ADAPTERS
from .catalogue import compare_quietly, groups, reference_profile


@dataclass(frozen=True)
class Counted:
    """An engine's counts of a group's current frame, scored against the pandas profile."""

    table: CountTable
    report: DriftReport
    warnings: tuple[str, ...]


_COUNTED: dict[tuple[str, str], Counted] = {}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local Spark session for the module: 2 cores, no UI, UTC.

    tests/integration/conftest.py's session is visible only under tests/integration, so the
    suite has its own. The session time zone is UTC so that naive timestamps compare as the
    pandas engine compares them.
    """
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="the Spark engine needs pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("the Spark engine needs Java (none on PATH, JAVA_HOME unset)")
    previous = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("kl_drift-conformance")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
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


@pytest.fixture(scope="session")
def postgres_bind() -> Iterator[Any]:
    """A SQLAlchemy engine on the real PostgreSQL server of KL_DRIFT_POSTGRES_URL (CI sets it)."""
    url = os.environ.get("KL_DRIFT_POSTGRES_URL")
    if not url:
        pytest.skip(
            "KL_DRIFT_POSTGRES_URL is unset: start a server with "
            "`export KL_DRIFT_POSTGRES_URL=$(bash tests/postgres_server.sh start)`"
        )
    import sqlalchemy as sa

    bind = sa.create_engine(url)
    yield bind
    bind.dispose()


@pytest.fixture
def counted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Counted]:
    """``counted(engine, group)``: the engine's counts of the group's current frame, cached per run."""

    def get(engine: str, group: str) -> Counted:
        key = (engine, group)
        if key not in _COUNTED:
            prof = reference_profile(group)
            resources: dict[str, Any] = {}
            if engine == "spark":
                resources["spark"] = request.getfixturevalue("spark")
            if engine == "postgresql":
                resources["bind"] = request.getfixturevalue("postgres_bind")
            folder = tmp_path_factory.mktemp(f"{engine}-{group}")
            table = ADAPTERS[engine](prof, groups()[group].current, folder, **resources)
            assert isinstance(table, CountTable), f"{engine} returned {type(table).__name__}, not a CountTable"
            _COUNTED[key] = Counted(table, *compare_quietly(prof, table))
        return _COUNTED[key]

    return get
