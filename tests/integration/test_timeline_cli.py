"""``kl-drift timeline`` run as a real subprocess on Parquet and CSV files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kl_drift", *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def events(n: int = 4000, *, shift: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = pd.date_range("2024-01-01", periods=n, freq="h")
    return pd.DataFrame({
        "event_time": t,
        "amount": rng.normal(size=n) + shift * (t >= "2024-04-01"),
        "plan": rng.choice(["a", "b", "c"], size=n),
    })  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("timeline")
    df = events()
    (path / "events").mkdir()
    df.iloc[:2000].to_parquet(path / "events" / "a.parquet")
    df.iloc[2000:].to_parquet(path / "events" / "b.parquet")
    df.to_csv(path / "events.csv", index=False)
    events(shift=0.0).to_csv(path / "steady.csv", index=False)
    return path


def test_monthly_timeline_writes_reports_and_exits_1_on_drift(folder: Path) -> None:
    result = run("timeline", "events/*.parquet", "--time-column", "event_time", "--freq", "MS",
                 "--html", "tl.html", "--markdown", "tl.md", "--json", "-", cwd=folder)  # fmt: skip
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    # The same periods, decisions and numbers as the library on the same rows.
    tl = kd.compare_over_time(events(), time_column="event_time", freq="MS")
    assert data["drifted_periods"] == tl.drifted_periods and data["first_drift"] == tl.first_drift
    assert data["first_drift"]["amount"] == "2024-04-01"
    assert {"2024-04-01", "2024-05-01", "2024-06-01"} <= set(data["drifted_periods"])
    assert [p["report"]["columns"][0]["statistic"] if p["report"] else None for p in data["periods"]] == [
        pytest.approx(p.report["amount"].statistic, abs=1e-12) if p.report else None for p in tl.periods
    ]
    page = (folder / "tl.html").read_text()
    assert page.count("<svg") == 2 and "<script" not in page and "First drifted period" in page
    assert "| 2024-04-01 |" in (folder / "tl.md").read_text()


def test_no_drift_exits_0_and_prints_a_table(folder: Path) -> None:
    result = run("timeline", "steady.csv", "--time-column", "event_time", "--freq", "MS", "--rolling", "2", cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("kl_drift timeline: 0 of 4 scored periods") and "rolling window of 2" in lines[0]
    assert lines[1].split() == ["period", "rows", "status", "drifted", "columns"]


def test_rows_reference_periods_and_profile(folder: Path) -> None:
    rows = run("timeline", "events.csv", "--rows", "1000", "--columns", "amount", "--format", "json", cwd=folder)
    assert rows.returncode == 1, rows.stderr
    assert [p["label"] for p in json.loads(rows.stdout)["periods"]] == ["0:1000", "1000:2000", "2000:3000", "3000:4000"]
    kd.profile(events().iloc[:500].drop(columns="event_time")).save(folder / "ref.json")
    prof = run("timeline", "events.csv", "--time-column", "event_time", "--freq", "MS", "--reference", "ref.json",
               "--fail-on", "never", "--format", "json", cwd=folder)  # fmt: skip
    assert prof.returncode == 0, prof.stderr
    assert json.loads(prof.stdout)["periods"][0]["status"] == "scored"
    first_two = run("timeline", "events.csv", "--time-column", "event_time", "--freq", "MS", "--reference-periods", "2",
                    "--format", "json", cwd=folder)  # fmt: skip
    assert [p["status"] for p in json.loads(first_two.stdout)["periods"][:3]] == ["reference", "reference", "scored"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--time-column", "when", "--freq", "D"), "column 'when': is the --time-column but not a column of events.csv"),
        (("--time-column", "plan", "--freq", "D"), "column 'plan': cannot be read as times: "),
        (("--time-column", "event_time", "--freq", "fortnight"), "--freq 'fortnight' is not a pandas frequency alias"),
        (("--time-column", "event_time"), "--freq is required with --time-column event_time"),
        (("--time-column", "event_time", "--freq", "MS", "--rolling", "9"), r"--rolling (9 periods) is not shorter than the data (6 periods)"),
        (("--time-column", "event_time", "--freq", "MS", "--rolling", "2", "--reference-periods", "2"), "are two references"),
        (("--time-column", "event_time", "--freq", "MS", "--json", "events.csv"), "would overwrite the input events.csv"),
        (("--time-column", "event_time", "--freq", "MS", "--alpha", "3"), "`alpha` must be in (0, 1)"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_column_or_option(folder: Path, args: tuple[str, ...], message: str) -> None:
    before = (folder / "events.csv").read_bytes()
    result = run("timeline", "events.csv", *args, cwd=folder)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (folder / "events.csv").read_bytes() == before


# Runs `kl-drift` with the in-memory timeline replaced by a failure: a run that succeeds
# did not read the table into one frame (it streamed the Parquet files).
_STREAM_ONLY = """
import sys
import kl_drift.timeline

def in_memory(*args, **kwargs):
    raise AssertionError("the table was read into memory")

kl_drift.timeline.compare_over_time = in_memory
from kl_drift.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_rolling_streams_parquet_and_equals_the_frame(tmp_path: Path) -> None:
    """--rolling on Parquet streams the files (more rows than one record batch, 131,072) and
    gives the timeline of `kd.compare_over_time` on the same rows read into one frame."""
    n = 150_000
    rng = np.random.default_rng(7)
    t = pd.Series(pd.date_range("2024-01-01", periods=n, freq="min"))
    t[::997] = pd.NaT
    df = pd.DataFrame({
        "event_time": t,
        "amount": rng.normal(size=n) + 0.5 * (t >= "2024-02-20").to_numpy(),
        "plan": rng.choice(["a", "b", "c"], size=n),
        # More values than max_categories (50): the rest are pooled, and their counts roll too.
        "city": np.char.add("c", rng.zipf(1.6, size=n).clip(max=300).astype(str)),
    })  # fmt: skip
    df.iloc[:90_000].to_parquet(tmp_path / "a.parquet")
    df.iloc[90_000:].to_parquet(tmp_path / "b.parquet")
    args = ["timeline", "a.parquet", "b.parquet", "--time-column", "event_time", "--freq", "W", "--rolling", "3",
            "--fail-on", "never", "--json", "-"]  # fmt: skip
    result = subprocess.run([sys.executable, "-c", _STREAM_ONLY, *args], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    with pytest.warns(UserWarning, match="rows have no time"):
        tl = kd.compare_over_time(df, time_column="event_time", freq="W", reference="previous", window=3)
    assert data["reference"] == "previous" and data["window"] == 3 and data["n_unassigned"] == tl.n_unassigned > 0
    assert [(p["label"], p["n_rows"], p["status"]) for p in data["periods"]] == [
        (p.label, p.n_rows, p.status) for p in tl.periods
    ]
    assert data["drifted_periods"] == tl.drifted_periods and data["first_drift"] == tl.first_drift
    assert data["first_drift"]["amount"] is not None
    for got, want in zip(data["periods"], tl.periods):
        if want.report is None:
            assert got["report"] is None
            continue
        by_name = {c["column"]: c for c in got["report"]["columns"]}
        assert sorted(by_name) == ["amount", "city", "plan"]
        for c in want.report:
            assert by_name[c.column]["status"] == c.status
            assert by_name[c.column]["statistic"] == pytest.approx(c.statistic, rel=1e-12, abs=1e-15)
            assert by_name[c.column]["pvalue"] == pytest.approx(c.pvalue, rel=1e-12, abs=1e-300)
            assert by_name[c.column]["n_reference"] == c.n_reference


def test_rolling_on_csv_still_reads_into_memory(folder: Path) -> None:
    """The stream-only run above fails when the table would be read whole (CSV): the check can fail."""
    result = subprocess.run([sys.executable, "-c", _STREAM_ONLY, "timeline", "steady.csv", "--time-column", "event_time",
                             "--freq", "MS", "--rolling", "2"], cwd=folder, capture_output=True, text=True, timeout=180)  # fmt: skip
    assert result.returncode == 3 and "the table was read into memory" in result.stderr


def test_config_file_timeline_section(folder: Path) -> None:
    """[timeline] of --config sets the periods, the reference and the outputs (paths from the
    file's folder); a reference option on the command line replaces the file's."""
    (folder / "jobs").mkdir(exist_ok=True)
    (folder / "jobs" / "drift.toml").write_text(
        '[timeline]\ntime_column = "event_time"\nfreq = "MS"\nrolling = 2\nmin_rows = 40\nfail_on = "never"\n'
        'json = "out.json"\ncolumns = ["amount"]\n'
        # The time column is a column of the data: a table may name it (to exclude it elsewhere).
        '[columns.event_time]\nexclude = true\n'
    )
    result = run("timeline", "--config", "jobs/drift.toml", "events.csv", "--quiet", cwd=folder)
    assert result.returncode == 0, result.stderr
    data = json.loads((folder / "jobs" / "out.json").read_text())
    tl = kd.compare_over_time(events()[["event_time", "amount"]], time_column="event_time", freq="MS",
                              reference="previous", window=2, min_rows=40)  # fmt: skip
    assert (data["reference"], data["window"], data["min_rows"], data["columns"]) == ("previous", 2, 40, ["amount"])
    assert data["drifted_periods"] == tl.drifted_periods != []
    override = run("timeline", "--config", "jobs/drift.toml", "events.csv", "--reference-periods", "3", "--json", "-",
                   cwd=folder)  # fmt: skip
    assert override.returncode == 0, override.stderr
    assert (json.loads(override.stdout)["reference"], json.loads(override.stdout)["reference_periods"]) == ("first", 3)
    (folder / "jobs" / "bad.toml").write_text('[timeline]\nfreq = "fortnight"\n')
    bad = run("timeline", "--config", "jobs/bad.toml", "events.csv", cwd=folder)
    assert bad.returncode == 2 and "[timeline] `freq` 'fortnight' is not a pandas frequency alias" in bad.stderr
