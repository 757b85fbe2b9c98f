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
            "dataset_drifted, kl_drift_version FROM drift_history WHERE column_name = 'plan'"
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
