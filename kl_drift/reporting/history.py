"""Drift history in SQLite: one row per run and column, safe for concurrent scheduled runs.

Each run is written in one transaction, in WAL mode with a busy timeout, so runs that
finish at the same time wait for each other instead of failing or losing rows. The file is
an ordinary SQLite database: query it with any SQLite client.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .._version import __version__
from ..errors import KlDriftError
from ..report import DriftReport

__all__ = ["HistoryError", "HistoryRow", "DriftHistory", "parse_since", "as_of_text"]

SCHEMA_VERSION = 2
TABLE = "drift_history"
# PRAGMA application_id of a kl_drift history ("kldh"): a SQLite file without it and without
# our table is somebody else's database, and is never written to.
APPLICATION_ID = 0x6B6C6468

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    run_id TEXT NOT NULL,
    run_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    reference_fingerprint TEXT NOT NULL,
    reference_source TEXT NOT NULL,
    current_source TEXT NOT NULL,
    column_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    drifted INTEGER NOT NULL,
    statistic REAL,
    threshold REAL NOT NULL,
    warn_threshold REAL NOT NULL,
    pvalue REAL,
    expected_statistic REAL,
    n_reference INTEGER NOT NULL,
    n_current INTEGER NOT NULL,
    missing_current REAL,
    novel_fraction REAL,
    direction TEXT NOT NULL,
    unit TEXT NOT NULL,
    smoothing REAL NOT NULL,
    dataset_drifted INTEGER NOT NULL,
    kl_drift_version TEXT NOT NULL,
    as_of TEXT,
    PRIMARY KEY (run_id, column_name)
);
CREATE INDEX IF NOT EXISTS {TABLE}_by_column ON {TABLE} (column_name, run_at);
"""
# Schema version 1 (kl_drift 0.1.0) had no as_of: its runs are dated by when they ran.
_MIGRATE_FROM_1 = (
    f"ALTER TABLE {TABLE} ADD COLUMN as_of TEXT",
    f"UPDATE {TABLE} SET as_of = run_at WHERE as_of IS NULL",
)

_FIELDS = (
    "run_id", "run_at", "recorded_at", "reference_fingerprint", "reference_source", "current_source",
    "column_name", "kind", "status", "drifted", "statistic", "threshold", "warn_threshold", "pvalue",
    "expected_statistic", "n_reference", "n_current", "missing_current", "novel_fraction", "direction",
    "unit", "smoothing", "dataset_drifted", "kl_drift_version", "as_of",
)  # fmt: skip


class HistoryError(KlDriftError):
    """The history database cannot be opened, read or written; the message names the file."""


@dataclass(frozen=True)
class HistoryRow:
    """One column of one recorded run.

    Attributes
    ----------
    run_id : str
        Identifies the run; shared by all its columns.
    run_at : str
        When the comparison ran (ISO 8601, UTC).
    recorded_at : str
        When the row was written (ISO 8601, UTC).
    reference_fingerprint : str
        Checksum of the reference profile (bins and counts): runs with the same
        fingerprint compared against the same reference.
    reference_source, current_source : str
        What was compared, as given on the command line.
    column_name, kind, status, drifted, statistic, threshold, warn_threshold, pvalue,
    expected_statistic, n_reference, n_current, missing_current, novel_fraction
        As in `kl_drift.ColumnDrift`.
    direction, unit, smoothing
        The divergence used ("nats" or "bits").
    dataset_drifted : bool
        The run's dataset-level decision.
    kl_drift_version : str
        Version that wrote the row.
    as_of : str or None
        The data's logical date (ISO 8601, UTC) the run was recorded for (``--as-of``; by
        default when it ran). The trend page's axis; one run per date and reference.
    """

    run_id: str
    run_at: str
    recorded_at: str
    reference_fingerprint: str
    reference_source: str
    current_source: str
    column_name: str
    kind: str
    status: str
    drifted: bool
    statistic: float | None
    threshold: float
    warn_threshold: float
    pvalue: float | None
    expected_statistic: float | None
    n_reference: int
    n_current: int
    missing_current: float | None
    novel_fraction: float | None
    direction: str
    unit: str
    smoothing: float
    dataset_drifted: bool
    kl_drift_version: str
    as_of: str | None = None

    @property
    def when(self) -> str:
        """The run's date on a timeline: `as_of`, or `run_at` for rows without one."""
        return self.as_of or self.run_at


def as_of_text(value: str | date | datetime) -> str:
    """A logical date (``2026-07-01``, an ISO 8601 time, a date or datetime) as the UTC text stored.

    Examples
    --------
    >>> as_of_text("2026-07-01")
    '2026-07-01T00:00:00.000000+00:00'
    >>> as_of_text("2026-07-01T06:00:00+02:00")
    '2026-07-01T04:00:00.000000+00:00'
    """
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return _utc_text(datetime(value.year, value.month, value.day))
    try:
        return _utc_text(datetime.fromisoformat(str(value).strip()))
    except ValueError:
        raise ValueError(f"`as_of` must be a date (2026-07-01) or an ISO 8601 time, got {value!r}") from None


def _utc_text(moment: datetime) -> str:
    """One fixed ISO 8601 form, so that text order is time order in SQL."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_since(text: str, *, now: datetime | None = None) -> str:
    """Turn ``2026-07-01``, an ISO 8601 time or ``30d`` (days ago) into the UTC text stored.

    Examples
    --------
    >>> parse_since("2026-07-01")
    '2026-07-01T00:00:00.000000+00:00'
    >>> parse_since("7d", now=datetime(2026, 7, 8, 12, tzinfo=timezone.utc))
    '2026-07-01T12:00:00.000000+00:00'
    """
    relative = re.fullmatch(r"\s*(\d+)\s*d\s*", text)
    if relative:
        return _utc_text((now or datetime.now(timezone.utc)) - timedelta(days=int(relative.group(1))))
    try:
        return _utc_text(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ValueError(
            f"`since` must be a date (2026-07-01), an ISO 8601 time or a number of days (30d), got {text!r}"
        ) from None


class DriftHistory:
    """A drift history database.

    Parameters
    ----------
    path : str or path
        The SQLite file; `record` creates it (and its folder) when missing.
    timeout : float, default 60
        Seconds a run waits for another run's write to finish before giving up.

    Examples
    --------
    >>> import os, tempfile, pandas as pd, kl_drift as kd
    >>> report = kd.compare(pd.DataFrame({"x": ["a", "b"] * 50}), pd.DataFrame({"x": ["a"] * 100}))
    >>> history = DriftHistory(os.path.join(tempfile.mkdtemp(), "drift.sqlite"))
    >>> run_id = history.record(report, reference_fingerprint="sha256:0", reference_source="ref.csv",
    ...                         current_source="day1.csv")
    >>> [(row.column_name, row.status) for row in history.rows()]
    [('x', 'drift')]
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout = timeout

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.is_file():
            raise HistoryError(f"{self.path}: no such history database")
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            else:
                connection = self._open_existing()
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"{self.path}: cannot open the history database ({exc})") from None
        try:
            yield connection
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                reason = f"another run kept the database locked for over {self.timeout:g} s"
                raise HistoryError(f"{self.path}: {reason}") from None
            raise HistoryError(f"{self.path}: {exc} (is it a kl_drift history database?)") from None
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: {exc} (is it a kl_drift history database?)") from None
        finally:
            connection.close()

    def _open_existing(self) -> sqlite3.Connection:
        # mode=rw never creates the file; a reader that may write also tidies the WAL files
        # away on close. Without write permission, read-only still works.
        uri = self.path.resolve().as_uri()
        try:
            return sqlite3.connect(uri + "?mode=rw", timeout=self.timeout, isolation_level=None, uri=True)
        except sqlite3.OperationalError:
            return sqlite3.connect(uri + "?mode=ro", timeout=self.timeout, isolation_level=None, uri=True)

    def _prepare(self, connection: sqlite3.Connection) -> None:
        # Switching to WAL needs a moment with no other writer; the busy timeout does not
        # cover it everywhere, so retry until the timeout.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        connection.execute("PRAGMA synchronous=NORMAL")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path}: history schema version {version} is newer than this kl_drift supports "
                f"({SCHEMA_VERSION}); upgrade kl_drift"
            )

    def _check_ours(self, connection: sqlite3.Connection) -> None:
        """Refuse somebody else's database, and a damaged one, before writing a byte."""
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if application_id != APPLICATION_ID and tables and TABLE not in tables:
            shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
            raise HistoryError(
                f"{self.path}: not a kl_drift history database (it holds the tables {shown}); "
                "give --history a file of its own"
            )
        if application_id not in (0, APPLICATION_ID):
            raise HistoryError(f"{self.path}: not a kl_drift history database (SQLite application id {application_id:#x})")
        problems = [text for (text,) in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise HistoryError(
                f"{self.path}: the history database is damaged ({'; '.join(problems[:3])}); "
                "restore it from a backup or start a new file — nothing was appended"
            )

    def _create_or_migrate(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        exists = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()
        if exists and version < 2:
            for statement in _MIGRATE_FROM_1:
                connection.execute(statement)
        for statement in filter(str.strip, _SCHEMA.split(";")):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def record(
        self,
        report: DriftReport,
        *,
        reference_fingerprint: str,
        reference_source: str,
        current_source: str,
        run_id: str | None = None,
        as_of: str | date | datetime | None = None,
    ) -> str:
        """Append one run (a row per column) in a single transaction; returns its run id.

        With `as_of` (the data's logical date, e.g. a scheduler's ``{{ ds }}``), a run for a
        date and reference fingerprint already recorded replaces it: a re-run or backfill of
        a date never adds a second point for it.
        """
        run_id = run_id or uuid.uuid4().hex
        run_at = _utc_text(datetime.fromisoformat(report.created_at))
        logical = as_of_text(as_of) if as_of is not None else run_at
        recorded_at = _utc_text(datetime.now(timezone.utc))
        unit = "nats" if report.base == math.e else "bits"
        rows = [
            (
                run_id, run_at, recorded_at, reference_fingerprint, reference_source, current_source,
                c.column, c.kind, c.status, int(c.drifted), c.statistic, c.threshold, c.warn_threshold,
                c.pvalue, c.expected_statistic, c.n_reference, c.n_current, c.missing_current,
                c.novel_fraction, report.direction, unit, report.smoothing, int(report.drifted), __version__,
                logical,
            )
            for c in report.columns
        ]  # fmt: skip
        placeholders = ", ".join("?" * len(_FIELDS))
        with self._connect(write=True) as connection:
            self._check_ours(connection)
            self._prepare(connection)
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._create_or_migrate(connection)
                if as_of is not None:
                    connection.execute(
                        f"DELETE FROM {TABLE} WHERE as_of = ? AND reference_fingerprint = ?", (logical, reference_fingerprint)
                    )
                connection.executemany(f"INSERT INTO {TABLE} ({', '.join(_FIELDS)}) VALUES ({placeholders})", rows)
                connection.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a full disk) may have ended the transaction already; rolling
                # back then would replace the real error with "no transaction is active".
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        return run_id

    def _readable_fields(self, connection: sqlite3.Connection) -> tuple[str, ...]:
        """The fields a read can select: a 0.1.0 history (read-only here) has no as_of yet."""
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({TABLE})")}
        if not present:
            raise HistoryError(f"{self.path}: not a kl_drift history database (no {TABLE} table)")
        return tuple(f for f in _FIELDS if f in present)

    def column_names(self) -> list[str]:
        """Every column recorded at least once, in order of first appearance."""
        with self._connect(write=False) as connection:
            cursor = connection.execute(f"SELECT column_name FROM {TABLE} GROUP BY column_name ORDER BY MIN(rowid)")
            return [name for (name,) in cursor]

    def rows(self, *, columns: Sequence[str] | None = None, since: str | None = None) -> list[HistoryRow]:
        """Recorded rows, oldest first, optionally for some columns and from a time on.

        `since` is anything `parse_since` reads.
        """
        where: list[str] = []
        params: list[str] = []
        if columns:
            where.append(f"column_name IN ({', '.join('?' * len(columns))})")
            params.extend(columns)
        if since is not None:
            where.append("COALESCE(as_of, run_at) >= ?")
            params.append(parse_since(since))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._connect(write=False) as connection:
            fields = self._readable_fields(connection)
            cursor = connection.execute(
                f"SELECT {', '.join(fields)} FROM {TABLE}{clause} ORDER BY {'COALESCE(as_of, run_at)' if 'as_of' in fields else 'run_at'}, run_at, rowid",
                params,
            )
            records = [dict(zip(fields, row)) for row in cursor]
        return [
            HistoryRow(**{**r, "drifted": bool(r["drifted"]), "dataset_drifted": bool(r["dataset_drifted"])})
            for r in records
        ]
