"""The SQLite drift history: concurrent writers lose nothing; `kl-drift history` reads it back."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.cli import main
from kl_drift.reporting import DriftHistory

RUNS_PER_WRITER = 100

WRITER = textwrap.dedent(
    """
    import sys, time, pathlib
    import pandas as pd, kl_drift as kd
    from kl_drift.reporting import DriftHistory

    database, name, go, runs = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), int(sys.argv[4])
    reference = pd.DataFrame({"plan": ["a", "b", "c"] * 40, "size": list(range(120))})
    report = kd.compare(reference, reference.iloc[::-1])
    history = DriftHistory(database)
    while not go.exists():  # start both writers together, on a database neither has created
        time.sleep(0.001)
    for i in range(runs):
        history.record(report, reference_fingerprint="sha256:test", reference_source="ref.csv",
                       current_source=f"{name}-{i}")
    """
)


def test_two_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    database, go = tmp_path / "drift.sqlite", tmp_path / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(database), name, str(go), str(RUNS_PER_WRITER)], stderr=subprocess.PIPE, text=True)
        for name in ("A", "B")
    ]
    time.sleep(0.5)
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err

    rows = DriftHistory(database).rows()
    assert len(rows) == 2 * RUNS_PER_WRITER * 2
    runs: dict[str, set[str]] = {}
    for row in rows:
        runs.setdefault(row.run_id, set()).add(row.column_name)
    assert len(runs) == 2 * RUNS_PER_WRITER
    assert all(columns == {"plan", "size"} for columns in runs.values())
    sources = {row.current_source for row in rows}
    assert sources == {f"{name}-{i}" for name in "AB" for i in range(RUNS_PER_WRITER)}
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kl_drift", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def call(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`run` in this process: the same contract, without the interpreter start-up."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of CLI runs, the last one drifting, recorded in drift.sqlite."""
    folder = tmp_path_factory.mktemp("history")
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"amount": rng.normal(100, 15, 3000), "plan": rng.choice(["a", "b", "c"], 3000)})
    reference.to_parquet(folder / "reference.parquet", index=False)
    assert run("profile", "reference.parquet", "-o", "profile.json", cwd=folder).returncode == 0
    for day, shift in ((1, 0.0), (2, 0.0), (3, 20.0)):
        current = pd.DataFrame({"amount": rng.normal(100 + shift, 15, 2000), "plan": rng.choice(["a", "b", "c"], 2000)})
        current.to_csv(folder / f"day{day}.csv", index=False)
    for day in (1, 2, 3):
        result = run("compare", "--reference", "profile.json", f"day{day}.csv", "--history", "drift.sqlite", cwd=folder)
        assert result.returncode == (1 if day == 3 else 0), result.stderr
    return folder


def test_history_lists_runs_and_draws_trends(recorded: Path) -> None:
    result = run("history", "drift.sqlite", "--html", "trend.html", "--format", "json", cwd=recorded)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["column_name"], r["current_source"]) for r in rows] == [
        (column, f"day{day}.csv") for day in (1, 2, 3) for column in ("amount", "plan")
    ]
    amount = [r for r in rows if r["column_name"] == "amount"]
    assert [r["status"] for r in amount][-1] == "drift"
    # Scores recorded are those of an in-process comparison of the same files.
    profile = kd.ReferenceProfile.load(recorded / "profile.json")
    for row in amount:
        expected = kd.compare(profile, pd.read_csv(recorded / row["current_source"]))["amount"].statistic
        assert row["statistic"] == pytest.approx(expected, rel=1e-12)
    page = (recorded / "trend.html").read_text()
    assert page.count("<svg") == 2 and page.count("<circle") == 6 and "<script" not in page

    table = run("history", "drift.sqlite", "--column", "plan", cwd=recorded)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["column", "as"] and len(lines) == 4
    assert all(line.startswith("plan ") for line in lines[1:])


def test_history_since_filters_runs(recorded: Path) -> None:
    future = call("history", "drift.sqlite", "--since", "2999-01-01", cwd=recorded)
    assert future.returncode == 0 and "no runs" in future.stdout
    recent = call("history", "drift.sqlite", "--since", "1d", "--format", "json", cwd=recorded)
    assert len(json.loads(recent.stdout)) == 6


@pytest.mark.parametrize(
    ("args", "fragment", "runner"),
    [
        (["history", "absent.sqlite"], "no such history database", run),
        (["history", "profile.json"], "profile.json", call),
        (["history", "drift.sqlite", "--column", "amout"], "'amout'", call),
        (["history", "drift.sqlite", "--since", "yesterday"], "since", call),
    ],
)
def test_history_bad_input_exits_2(recorded: Path, args: list[str], fragment: str, runner) -> None:
    result = runner(*args, cwd=recorded)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr and "Traceback" not in result.stderr
    assert not (recorded / "absent.sqlite").exists()
