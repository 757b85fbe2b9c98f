"""The expectations on a real SQLite database file through GE's SQL data source.

The SQL engine counts every column into the reference's bins with one aggregate query; the
statistic must equal the pandas path's on the same data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
sa = pytest.importorskip("sqlalchemy")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from kl_drift.gx._sql import plan_sql  # noqa: E402


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


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, batch: pd.DataFrame) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sql') / 'orders.db'}"
    engine = sa.create_engine(url)
    batch.to_sql("orders", engine, index=False)
    batch.assign(age=batch["age"].astype(str)).to_sql("orders_text_age", engine, index=False)
    codes(4000, seed=4, new=True).to_sql("codes", engine, index=False)
    engine.dispose()
    return url


class SqlRunner:
    def __init__(self, url: str) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_sqlite("orders_db", connection_string=url)
        self.count = 0

    def validate(self, table: str, expectations: list) -> object:
        self.count += 1
        name = f"run_{self.count}"
        batch_definition = self.source.add_table_asset(name, table_name=table).add_batch_definition_whole_table("all")
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        return definition.run()


@pytest.fixture(scope="module")
def runner(database: str) -> SqlRunner:
    return SqlRunner(database)


def test_sqlite_gives_the_statistics_of_the_pandas_path(
    runner: SqlRunner, reference: kd.ReferenceProfile, batch: pd.DataFrame
) -> None:
    expectations = [kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict())]
    expectations += [
        kd_gx.ExpectColumnKlDriftToBeLessThan(column=c.name, reference=c.to_dict(), direction="symmetric")
        for c in reference.columns
    ]
    table, *columns = runner.validate("orders", expectations).results
    core = kd.compare(reference, batch)
    symmetric = kd.compare(reference, batch, direction="symmetric")
    by_name = {c["column"]: c for c in table.result["details"]["columns"]}
    assert list(by_name) == list(reference.names)
    for name, details in by_name.items():
        assert details["current_counts"] == list(core[name].current_counts), name
        assert details["n_inf_current"] == core[name].n_inf_current, name
        assert details["statistic"] == pytest.approx(core[name].statistic, rel=1e-9, abs=1e-12), name
    for result in columns:
        name = result.expectation_config.kwargs["column"]
        assert result.result["observed_value"] == pytest.approx(symmetric[name].statistic, rel=1e-9, abs=1e-12)
    # the awkward values did land where the pandas path puts them
    assert by_name["age"]["n_inf_current"] == 3
    assert by_name["age"]["current_counts"][-1] == 15  # NaN is stored as NULL: missing
    assert by_name["plan"]["bin_labels"] == ["a", "b", "(other)", "(unseen)", "(missing)"]
    assert by_name["plan"]["current_counts"][3] > 0


def test_unlisted_pooled_categories_and_a_single_value_bin(runner: SqlRunner) -> None:
    # 12k+ distinct rare codes: the profile keeps 3 and cannot list the rest, so every
    # other value counts as "(other)"; no edges at all leaves one bin for every number.
    with pytest.warns(kd.ConstantInputWarning, match="amount"):  # one bin holds every value
        prof = kd.profile(codes(30_000, seed=3), max_categories=3, edges={"amount": []})
    assert not prof["code"].bins.other_complete and prof["amount"].bins.edges == ()
    (result,) = runner.validate("codes", [kd_gx.ExpectTableKlDriftToBeLessThan(reference=prof.to_dict())]).results
    core = kd.compare(prof, codes(4000, seed=4, new=True))
    for details in result.result["details"]["columns"]:
        assert details["current_counts"] == list(core[details["column"]].current_counts)
        assert details["statistic"] == pytest.approx(core[details["column"]].statistic, rel=1e-9, abs=1e-12)


def test_one_aggregate_query_counts_the_whole_table(runner: SqlRunner, reference: kd.ReferenceProfile) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        runner.validate("orders", [kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict())])
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    counting = [s for s in statements if "CASE WHEN" in s]
    assert len(counting) == 1
    (query,) = counting
    assert query.lstrip().upper().startswith("SELECT COUNT(*)")
    assert "GROUP BY" not in query.upper()
    unquoted = query.replace('"', "")
    assert all(f"CASE WHEN ({name} " in unquoted for name in reference.names)  # every column, in this one query


def test_sql_type_mismatch_and_missing_column_fail_with_reasons(runner: SqlRunner, reference: kd.ReferenceProfile) -> None:
    expectations = [
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="age", reference=reference["age"].to_dict()),
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="income", reference=reference["age"].to_dict()),
    ]
    mismatched, missing = runner.validate("orders_text_age", expectations).results
    assert not mismatched.success
    assert mismatched.result["details"]["status"] == "type_mismatch"
    assert mismatched.result["details"]["reason"] == "the reference is numeric but the current column is TEXT"
    assert not missing.success
    assert missing.result["details"]["reason"].startswith("column 'income' is not in the batch (batch columns: 'age'")


def test_nan_is_missing_where_the_dialect_has_nan(reference: kd.ReferenceProfile) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    spec = reference["age"].bins
    upper, missing = len(spec.edges), len(spec.edges) + 1

    def compiled(dialect_name: str, dialect: object) -> list[str]:
        ((_, plan),) = plan_sql([("age", spec)], {"age": sa.Float()}, dialect_name)
        return [str(a.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for a in plan.aggregates]

    pg = compiled("postgresql", postgresql.dialect())
    assert "IS NULL" in pg[missing] and "'NaN'" in pg[missing]
    assert "NOT" in pg[upper] and "'NaN'" in pg[upper]  # NaN sorts above every number there
    assert not any("NaN" in a for a in compiled("sqlite", sqlite.dialect()))  # SQLite stores NaN as NULL
