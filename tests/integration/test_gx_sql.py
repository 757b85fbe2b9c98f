"""The expectations through GE's SQL data sources: a SQLite file and a real PostgreSQL server.

The SQL engine counts every column into the reference's bins with one aggregate query (and
one GROUP BY for a column with values the reference never had); the results must equal the
pandas path's on the same data. The PostgreSQL runs need ``KL_DRIFT_POSTGRES_URL`` (start a
throwaway server with ``export KL_DRIFT_POSTGRES_URL=$(tests/postgres_server.sh start)``;
``.ci/run`` does); without it they skip, and fail in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
sa = pytest.importorskip("sqlalchemy")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

POSTGRES_URL_HINT = (
    "KL_DRIFT_POSTGRES_URL is unset: start a throwaway server with "
    "`export KL_DRIFT_POSTGRES_URL=$(tests/postgres_server.sh start)`"
)


def postgres_url() -> str:
    url = os.environ.get("KL_DRIFT_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_URL_HINT} (CI must run the PostgreSQL tests)")
    pytest.skip(POSTGRES_URL_HINT)


def codes(n: int, seed: int, *, new: bool = False) -> pd.DataFrame:
    """Too many distinct codes for the profile to list the pooled ones, and an amount."""
    rng = np.random.default_rng(seed)
    common = rng.choice(["A", "B", "C"], n)
    rare = np.char.add("r", rng.integers(0, 30_000 if new else 15_000, n).astype(str))
    return pd.DataFrame({"code": np.where(rng.random(n) < 0.4, common, rare), "amount": rng.exponential(10, n)})


@pytest.fixture(scope="module")
def reference(mixed: Callable[..., pd.DataFrame]) -> kd.ReferenceProfile:
    # Two kept plans: "c" and "d" are pooled as "(other)", and a new "e" is unseen.
    return kd.profile(mixed(5000, seed=1), max_categories=2)


@pytest.fixture(scope="module")
def batch(mixed: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    return mixed(3000, seed=2, shift=3)


class SqlRunner:
    """Tables written with DataFrame.to_sql (under a unique prefix) and validated through GE."""

    def __init__(self, dialect: str, url: str) -> None:
        self.dialect = dialect
        self.engine = sa.create_engine(url)
        self.prefix = f"kl_gx_{uuid.uuid4().hex[:8]}_"
        self.tables: list[str] = []
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        add = self.context.data_sources.add_postgres if dialect == "postgresql" else self.context.data_sources.add_sqlite
        self.source = add("warehouse", connection_string=url)
        self.count = 0

    def write(self, frame: pd.DataFrame, name: str) -> str:
        table = self.prefix + name
        frame.to_sql(table, self.engine, index=False)
        self.tables.append(table)
        return table

    def execute(self, statement: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text(statement))

    def validate(self, table: str, expectations: list) -> object:
        self.count += 1
        name = f"run_{self.count}"
        batch_definition = self.source.add_table_asset(name, table_name=table).add_batch_definition_whole_table("all")
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        return definition.run()

    def close(self) -> None:
        for table in self.tables:
            self.execute(f'DROP TABLE IF EXISTS "{table}"')
        self.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, batch: pd.DataFrame) -> Iterator[SqlRunner]:
    if request.param == "postgresql":
        url = postgres_url()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sql') / 'orders.db'}"
    runner = SqlRunner(request.param, url)
    orders = runner.write(batch, "orders")
    if runner.dialect == "postgresql":
        # to_sql stores NaN as NULL; PostgreSQL can hold NaN, which sorts above every number
        # and must still count as missing (the pandas frame has NaN in these rows too).
        runner.execute(f"UPDATE {orders} SET age = 'NaN' WHERE age IS NULL AND visits % 2 = 0")
    runner.write(batch.assign(age=batch["age"].astype(str)), "orders_text_age")
    runner.write(codes(4000, seed=4, new=True), "codes")
    yield runner
    runner.close()


def test_sql_gives_the_results_of_the_pandas_path(runner: SqlRunner, reference: kd.ReferenceProfile, batch: pd.DataFrame) -> None:
    expectations = [kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict())]
    expectations += [
        kd_gx.ExpectColumnKlDriftToBeLessThan(column=c.name, reference=c.to_dict(), direction="symmetric")
        for c in reference.columns
    ]
    table, *columns = runner.validate(runner.prefix + "orders", expectations).results
    # The expectations' default is the explicit fixed level (threshold=None), not compare's "auto".
    core = kd.compare(reference, batch, threshold=None)
    symmetric = kd.compare(reference, batch, direction="symmetric", threshold=None)
    by_name = {c["column"]: c for c in table.result["details"]["columns"]}
    assert list(by_name) == list(reference.names)
    for name, details in by_name.items():
        assert details["status"] == core[name].status, name  # no type_mismatch on well-typed columns
        assert details["current_counts"] == list(core[name].current_counts), name
        assert details["n_inf_current"] == core[name].n_inf_current, name
        assert details["statistic"] == pytest.approx(core[name].statistic, rel=1e-12, abs=1e-12), name
        assert details["pvalue"] == pytest.approx(core[name].pvalue, rel=1e-12, abs=1e-300), name
    for result in columns:
        name = result.expectation_config.kwargs["column"]
        assert result.result["observed_value"] == pytest.approx(symmetric[name].statistic, rel=1e-12, abs=1e-12)
        assert result.result["details"]["pvalue"] == pytest.approx(symmetric[name].pvalue, rel=1e-12, abs=1e-300)
    # the awkward values did land where the pandas path puts them
    assert by_name["age"]["n_inf_current"] == 3
    assert by_name["age"]["current_counts"][-1] == 15  # NULL and NaN: missing, never +inf
    assert by_name["plan"]["bin_labels"] == ["a", "b", "(other)", "(unseen)", "(missing)"]
    assert by_name["plan"]["current_counts"][3] > 0
    assert by_name["plan"]["unseen_examples"] == [list(pair) for pair in core["plan"].unseen_examples]


def test_unlisted_pooled_categories_and_a_single_value_bin(runner: SqlRunner) -> None:
    # 10k+ distinct rare codes: the profile keeps 3, lists 10,000 of the pooled rest and keeps
    # the others only in a count histogram and a Bloom filter, so the SQL counts must put the
    # listed ones in "(other)" and all else in "(unseen)" as pandas does; no edges at all leaves
    # one bin for every reference number (plus the bins beyond its minimum and maximum).
    data = codes(30_000, seed=3)
    with pytest.warns(kd.ConstantInputWarning, match="amount"):  # one bin holds every value
        prof = kd.profile(data, max_categories=3, edges={"amount": []})
    pooled = prof["code"].pooled
    assert len(prof["code"].bins.other_values) == 10_000 and pooled is not None and pooled.sketch is not None
    assert sum(n for _, n in pooled.unlisted) > 0
    # The lowest edge sits one float below the minimum: bins are right-closed, so the minimum
    # lands in the first bin inside the reference range.
    assert prof["amount"].bins.edges == (np.nextafter(data["amount"].min(), -np.inf), data["amount"].max())
    (result,) = runner.validate(runner.prefix + "codes", [kd_gx.ExpectTableKlDriftToBeLessThan(reference=prof.to_dict())]).results
    core = kd.compare(prof, codes(4000, seed=4, new=True))
    for details in result.result["details"]["columns"]:
        assert details["current_counts"] == list(core[details["column"]].current_counts)
        assert details["statistic"] == pytest.approx(core[details["column"]].statistic, rel=1e-12, abs=1e-12)


def test_one_aggregate_query_counts_the_whole_table(runner: SqlRunner, reference: kd.ReferenceProfile) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        runner.validate(runner.prefix + "orders", [kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict())])
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    # (PostgreSQL's reflection queries have CASE WHEN too, but no SUM of one)
    counting = [s for s in statements if "SUM(CASE WHEN" in s.upper()]
    assert len(counting) == 1
    (query,) = counting
    assert query.lstrip().upper().startswith("SELECT COUNT(*)")
    assert "GROUP BY" not in query.upper()
    unquoted = query.replace('"', "")
    assert all(f"CASE WHEN ({name} " in unquoted for name in reference.names)  # every column, in this one query
    # one more query, only for the column with values the reference never had ("e" in plan)
    listing = [s for s in statements if "GROUP BY" in s.upper() and " AS value" in s]
    assert len(listing) == 1 and "GROUP BY plan" in listing[0].replace('"', "")


def test_sql_type_mismatch_and_missing_column_fail_with_reasons(runner: SqlRunner, reference: kd.ReferenceProfile) -> None:
    expectations = [
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="age", reference=reference["age"].to_dict()),
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="income", reference=reference["age"].to_dict()),
    ]
    mismatched, missing = runner.validate(runner.prefix + "orders_text_age", expectations).results
    assert not mismatched.success
    assert mismatched.result["details"]["status"] == "type_mismatch"
    assert mismatched.result["details"]["reason"] == (
        "column 'age': the reference is numeric but the current column is string (TEXT)"
    )
    assert not missing.success
    assert missing.result["details"]["reason"].startswith("column 'income' is not in the batch (batch columns: 'age'")
