"""DriftHistory: what a run records, how it is read back, and its errors."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.reporting import DriftHistory, HistoryError, parse_since
from kl_drift.reporting.history import SCHEMA_VERSION


@pytest.fixture
def report() -> kd.DriftReport:
    rng = np.random.default_rng(9)
    reference = pd.DataFrame({"x": rng.normal(size=1000), "plan": rng.choice(["a", "b"], 1000)})
    current = pd.DataFrame({"x": rng.normal(0.5, 1, 800), "plan": rng.choice(["a", "b"], 800)})
    return kd.compare(reference, current)


def _record(history: DriftHistory, report: kd.DriftReport, source: str = "today.csv") -> str:
    return history.record(report, reference_fingerprint="sha256:abc", reference_source="ref.json", current_source=source)


def test_a_run_is_one_row_per_column_with_the_report_values(tmp_path: Path, report: kd.DriftReport) -> None:
    history = DriftHistory(tmp_path / "sub" / "drift.sqlite")
    run_id = _record(history, report)
    rows = history.rows()
    assert [r.column_name for r in rows] == [c.column for c in report]
    for row, column in zip(rows, report):
        assert row.run_id == run_id
        assert (row.status, row.drifted, row.statistic, row.threshold, row.pvalue) == (
            column.status, column.drifted, column.statistic, column.threshold, column.pvalue,
        )  # fmt: skip
        assert (row.n_reference, row.n_current, row.novel_fraction) == (
            column.n_reference, column.n_current, column.novel_fraction,
        )  # fmt: skip
        assert row.dataset_drifted == report.drifted and row.unit == "nats"
        assert datetime.fromisoformat(row.run_at) == datetime.fromisoformat(report.created_at)
        assert (row.reference_fingerprint, row.reference_source, row.current_source) == ("sha256:abc", "ref.json", "today.csv")


def test_filters_by_column_and_time(tmp_path: Path, report: kd.DriftReport) -> None:
    history = DriftHistory(tmp_path / "drift.sqlite")
    _record(history, report, "one.csv")
    _record(history, report, "two.csv")
    assert [r.current_source for r in history.rows(columns=["plan"])] == ["one.csv", "two.csv"]
    assert history.column_names() == ["x", "plan"]
    created = datetime.fromisoformat(report.created_at)
    assert len(history.rows(since=created.isoformat())) == 4
    assert history.rows(since=(created.replace(year=created.year + 1)).isoformat()) == []
    assert len(history.rows(since="1d")) == 4


def test_parse_since_reads_dates_times_and_days() -> None:
    now = datetime(2026, 7, 31, 6, tzinfo=timezone.utc)
    assert parse_since("30d", now=now) == "2026-07-01T06:00:00.000000+00:00"
    assert parse_since("2026-07-01T08:00:00+02:00") == "2026-07-01T06:00:00.000000+00:00"
    with pytest.raises(ValueError, match="`since` must be a date"):
        parse_since("last week")


def test_reading_a_missing_database_neither_fails_silently_nor_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(HistoryError, match="no such history database"):
        DriftHistory(path).rows()
    assert not path.exists()


def test_a_file_that_is_not_a_history_is_an_error(tmp_path: Path, report: kd.DriftReport) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are notes, not a database\n" * 100)
    with pytest.raises(HistoryError, match=r"notes\.sqlite"):
        DriftHistory(path).rows()
    with pytest.raises(HistoryError, match=r"notes\.sqlite"):
        _record(DriftHistory(path), report)


def test_a_newer_schema_is_refused(tmp_path: Path, report: kd.DriftReport) -> None:
    path = tmp_path / "drift.sqlite"
    _record(DriftHistory(path), report)
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer than this kl_drift supports"):
        _record(DriftHistory(path), report)
    assert len(DriftHistory(path).rows()) == len(report.columns)


def test_a_run_is_all_or_nothing(tmp_path: Path, report: kd.DriftReport) -> None:
    history = DriftHistory(tmp_path / "drift.sqlite")
    _record(history, report)
    # A row already holding ("clash", "plan") makes the run's second insert fail after its first succeeded.
    with sqlite3.connect(history.path) as connection:
        connection.execute(
            "INSERT INTO drift_history SELECT 'clash', run_at, recorded_at, reference_fingerprint, reference_source, "
            "current_source, column_name, kind, status, drifted, statistic, threshold, warn_threshold, pvalue, "
            "expected_statistic, n_reference, n_current, missing_current, novel_fraction, direction, unit, smoothing, "
            "dataset_drifted, kl_drift_version, as_of FROM drift_history WHERE column_name = 'plan'"
        )
    with pytest.raises(HistoryError, match="UNIQUE"):
        history.record(report, reference_fingerprint="sha256:abc", reference_source="r", current_source="c", run_id="clash")
    assert [(r.run_id, r.column_name) for r in history.rows() if r.run_id == "clash"] == [("clash", "plan")]


def test_a_locked_database_gives_a_clear_error(tmp_path: Path, report: kd.DriftReport) -> None:
    path = tmp_path / "drift.sqlite"
    _record(DriftHistory(path), report)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(HistoryError, match="locked for over 0.2 s"):
            _record(DriftHistory(path, timeout=0.2), report)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_an_unrelated_sqlite_database_is_never_written(tmp_path: Path, report: kd.DriftReport) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
        connection.execute("INSERT INTO customers VALUES (1, 'ada')")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match=r"app\.sqlite: not a kl_drift history database \(it holds the tables customers\)"):
        _record(DriftHistory(path), report)
    assert path.read_bytes() == before


def test_a_damaged_history_is_not_appended_to(tmp_path: Path, report: kd.DriftReport) -> None:
    path = tmp_path / "drift.sqlite"
    history = DriftHistory(path)
    for source in ("a.csv", "b.csv", "c.csv"):
        _record(history, report, source)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    data = bytearray(path.read_bytes())
    data[page_size + 8 : 2 * page_size] = b"\xff" * (page_size - 8)  # scribble over the second page
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryError, match=r"drift\.sqlite: .*(damaged|malformed)"):
        _record(history, report, "d.csv")
    assert path.read_bytes() == bytes(data)


def test_a_full_disk_names_the_file_and_the_real_error(tmp_path: Path, report: kd.DriftReport, monkeypatch) -> None:
    path = tmp_path / "drift.sqlite"
    _record(DriftHistory(path), report)
    original = DriftHistory._prepare

    def no_room(self, connection):  # the file may not grow: SQLite reports SQLITE_FULL
        original(self, connection)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(DriftHistory, "_prepare", no_room)
    big = kd.compare(pd.DataFrame({f"c{i}": range(50) for i in range(300)}), pd.DataFrame({f"c{i}": range(50) for i in range(300)}))
    with pytest.raises(HistoryError, match=r"drift\.sqlite: database or disk is full"):
        _record(DriftHistory(path), big)
    monkeypatch.undo()
    assert {r.current_source for r in DriftHistory(path).rows()} == {"today.csv"}


def test_as_of_dates_runs_and_a_rerun_replaces_its_date(tmp_path: Path, report: kd.DriftReport) -> None:
    history = DriftHistory(tmp_path / "drift.sqlite")
    for day in ("2026-07-03", "2026-07-01", "2026-07-02"):  # a backfill, out of order
        history.record(report, reference_fingerprint="sha256:abc", reference_source="r", current_source=day, as_of=day)
    history.record(report, reference_fingerprint="sha256:abc", reference_source="r", current_source="again", as_of="2026-07-02")
    history.record(report, reference_fingerprint="sha256:other", reference_source="r2", current_source="x", as_of="2026-07-02")
    rows = [r for r in history.rows() if r.column_name == report.columns[0].column]
    assert [(r.as_of[:10], r.current_source) for r in rows] == [
        ("2026-07-01", "2026-07-01"),
        ("2026-07-02", "again"),
        ("2026-07-02", "x"),
        ("2026-07-03", "2026-07-03"),
    ]
    assert [r.when for r in history.rows(since="2026-07-03")][:1] == ["2026-07-03T00:00:00.000000+00:00"]
    with pytest.raises(ValueError, match="`as_of` must be a date"):
        history.record(report, reference_fingerprint="s", reference_source="r", current_source="c", as_of="yesterday")


def test_a_version_1_history_is_migrated(tmp_path: Path, report: kd.DriftReport) -> None:
    from kl_drift.reporting import history as module

    path = tmp_path / "old.sqlite"
    old_schema = module._SCHEMA.replace("    as_of TEXT,\n", "")
    with sqlite3.connect(path) as connection:
        connection.executescript(old_schema)
        connection.execute("PRAGMA user_version = 1")
        fields = [f for f in module._FIELDS if f != "as_of"]
        connection.execute(
            f"INSERT INTO drift_history ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            ("old", "2026-01-01T00:00:00.000000+00:00", "2026-01-01T00:00:00.000000+00:00", "sha256:abc", "r", "c",
             "x", "numeric", "ok", 0, 0.01, 0.1, 0.05, 0.5, 0.001, 10, 10, 0.0, 0.0, "current||reference", "nats", 0.5, 0, "0.1.0"),
        )
    connection.close()
    assert [r.as_of for r in DriftHistory(path).rows()] == [None]  # read as it is, not written
    _record(DriftHistory(path), report)
    rows = DriftHistory(path).rows()
    assert rows[0].run_id == "old" and rows[0].as_of == rows[0].run_at
    assert len(rows) == 1 + len(report.columns)
