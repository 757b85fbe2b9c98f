"""The ``kl-drift`` command run as a real subprocess on CSV and Parquet files.

Scores are checked against an independent in-process computation (pandas reading the
Parquet twin of the CSV file the CLI reads with pyarrow), not against typed-in numbers.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.cli import main
from kl_drift.reporting import DriftHistory

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
# Always drifting by construction (a later period, an increasing id): left out, as users do.
EXCLUDE = "order_id,order_time"


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


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2 with one line on stderr that holds every fragment, and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("kl-drift: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def tags(html_text: str) -> list[str]:
    parser = _Tags()
    parser.feed(html_text)
    return parser.tags


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample data copied to a scratch folder, its reference profiled once by the CLI."""
    folder = tmp_path_factory.mktemp("cli")
    for name in ("reference.parquet", "current.csv", "current.parquet"):
        shutil.copy(SAMPLE / name, folder / name)
    result = run("profile", "reference.parquet", "-o", "profile.json", "--exclude", EXCLUDE, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "profile.json" in result.stdout
    return folder


@pytest.fixture(scope="module")
def stable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference and a current file drawn from the same distributions."""
    folder = tmp_path_factory.mktemp("stable")
    rng = np.random.default_rng(11)

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "amount": rng.lognormal(3, 0.5, n),
                "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
                "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
            }
        )

    frame(4000).to_parquet(folder / "reference.parquet", index=False)
    frame(4000).to_csv(folder / "current.csv", index=False)
    return folder


def test_stable_data_exits_0(stable: Path) -> None:
    result = run("compare", "--reference", "reference.parquet", "current.csv", "--json", "out.json", cwd=stable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No drift in 3 compared columns")
    report = json.loads((stable / "out.json").read_text())
    assert report["drifted"] is False
    assert {c["column"]: c["kind"] for c in report["columns"]} == {"amount": "numeric", "plan": "categorical", "day": "datetime"}


def test_drift_exits_1_and_writes_every_report(work: Path, strict_loads) -> None:
    result = run(
        "compare", "--reference", "profile.json", "current.csv", "--json", "out/report.json",
        "--markdown", "out/report.md", "--html", "out/report.html", "--history", "out/drift.sqlite", cwd=work,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""

    # The CLI read the CSV with pyarrow; pandas reads the Parquet twin: the scores must agree.
    reference = kd.ReferenceProfile.load(work / "profile.json")
    expected = kd.compare(reference, pd.read_parquet(work / "current.parquet"), columns=reference.names)
    report = strict_loads((work / "out/report.json").read_text())
    assert report["drifted_columns"] == expected.drifted_columns
    # Every column sample_data/README.md says drifted (basket_value is a moderate shift that the
    # default decision, threshold="auto", flags; the fixed 0.1 only warned).
    assert set(report["drifted_columns"]) == {"basket_value", "delivery_days", "channel", "coupon_code"}
    for column in report["columns"]:
        want = expected[column["column"]]
        assert column["status"] == want.status
        assert math.isclose(column["statistic"], want.statistic, rel_tol=1e-12)
        assert column["current_counts"] == list(want.current_counts)

    markdown = (work / "out/report.md").read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(expected.columns)
    assert all(row.count(" | ") == rows[0].count(" | ") for row in rows)
    for column in expected:
        assert any(row.startswith(f"| {column.column.replace('_', chr(92) + '_')} | ") for row in rows)

    page = (work / "out/report.html").read_text()
    found = tags(page)
    assert "script" not in found and "img" not in found and "link" not in found
    assert found.count("svg") == sum(1 for c in expected if c.bin_labels)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page

    history = DriftHistory(work / "out/drift.sqlite").rows()
    assert [(r.column_name, r.status) for r in history] == [(c.column, c.status) for c in expected]
    assert {r.reference_fingerprint for r in history} == {kd.ReferenceProfile.load(work / "profile.json").to_dict()["checksum"]}
    assert {r.current_source for r in history} == {"current.csv"}

    printed = result.stdout.splitlines()
    assert printed[0].startswith("Drift in 4 of 11 compared columns")
    assert printed[5].split()[:2] in (["basket_value", "drift"], ["delivery_days", "drift"], ["channel", "drift"], ["coupon_code", "drift"])


def test_json_on_stdout_is_the_report(work: Path, strict_loads) -> None:
    result = run("compare", "--reference", "profile.json", "current.parquet", "--format", "json",
                 "--json", "same.json", cwd=work)  # fmt: skip
    assert result.returncode == 1
    assert strict_loads(result.stdout) == strict_loads((work / "same.json").read_text())


@pytest.mark.parametrize(
    ("fail_on", "columns", "code"),
    [
        ("drift", "basket_value", 0),  # a warning only under the fixed 0.1 (drift under the default "auto")
        ("warn", "basket_value", 1),
        ("warn", "age", 0),
        ("never", "channel", 0),
        ("drift", "channel", 1),
    ],
)
def test_fail_on(work: Path, fail_on: str, columns: str, code: int) -> None:
    result = call("compare", "--reference", "profile.json", "current.parquet", "--columns", columns,
                  "--fail-on", fail_on, "--threshold", "0.1", "--format", "json", cwd=work)  # fmt: skip
    assert result.returncode == code, result.stderr
    statuses = [c["status"] for c in json.loads(result.stdout)["columns"]]
    assert statuses == [{"basket_value": "warn", "age": "ok", "channel": "drift"}[columns]]


def test_statistics_options_reach_the_core(work: Path) -> None:
    """--threshold auto with --alpha/--min-effect/--correction/--direction decides as kd.compare does."""
    args = ("--threshold", "auto", "--alpha", "0.01", "--min-effect", "0.05", "--correction", "bh",
            "--direction", "symmetric")  # fmt: skip
    result = call("compare", "--reference", "profile.json", "current.parquet", *args, "--format", "json",
                  "--fail-on", "never", cwd=work)  # fmt: skip
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    prof = kd.ReferenceProfile.load(work / "profile.json")
    expected = kd.compare(
        prof, pd.read_parquet(work / "current.parquet"), columns=list(prof.names),
        threshold="auto", alpha=0.01, min_effect=0.05, correction="bh", direction="symmetric",
    ).to_dict()  # fmt: skip
    assert (got["threshold_mode"], got["correction"], got["direction"]) == ("auto", "bh", "symmetric")
    assert [(c["column"], c["status"]) for c in got["columns"]] == [(c["column"], c["status"]) for c in expected["columns"]]
    assert [c["pvalue_adjusted"] for c in got["columns"]] == [c["pvalue_adjusted"] for c in expected["columns"]]


def test_min_effect_with_a_fixed_threshold_is_a_usage_error(work: Path) -> None:
    result = run("compare", "--reference", "profile.json", "current.parquet", "--threshold", "0.1", "--min-effect", "0.1",
                 cwd=work)  # fmt: skip
    assert_clean_error(result, "min_effect", "auto")


def test_the_default_decision_is_auto_like_the_library(work: Path) -> None:
    """No --threshold: the CLI decides as kd.compare's default (threshold="auto"), --min-effect applies."""
    for extra in ((), ("--min-effect", "0.1")):
        result = call("compare", "--reference", "profile.json", "current.parquet", *extra, "--format", "json", cwd=work)
        reference = kd.ReferenceProfile.load(work / "profile.json")
        options = {"min_effect": 0.1} if extra else {}
        expected = kd.compare(reference, pd.read_parquet(work / "current.parquet"), columns=reference.names, **options)
        got = json.loads(result.stdout)
        assert got["drifted_columns"] == expected.drifted_columns
        assert [c["status"] for c in got["columns"]] == [c.status for c in expected]
        assert [c["pvalue"] for c in got["columns"]] == [c.pvalue for c in expected]
    assert "delivery_days" in expected.drifted_columns and "basket_value" not in expected.drifted_columns


def test_reference_data_file_is_profiled_with_the_given_bins(work: Path) -> None:
    direct = run("compare", "--reference", "reference.parquet", "current.csv", "--bins", "5", "--strategy", "uniform",
                 "--exclude", EXCLUDE, "--format", "json", cwd=work)  # fmt: skip
    assert direct.returncode == 1, direct.stderr
    reference = pd.read_parquet(work / "reference.parquet").drop(columns=EXCLUDE.split(","))
    expected = kd.compare(
        reference, pd.read_parquet(work / "current.parquet"), columns=list(reference.columns), bins=5, strategy="uniform"
    )
    got = {c["column"]: c["statistic"] for c in json.loads(direct.stdout)["columns"]}
    assert got == pytest.approx({c.column: c.statistic for c in expected}, rel=1e-12)


def test_missing_column_in_current_is_drift(work: Path) -> None:
    pd.read_parquet(work / "current.parquet").drop(columns=["channel"]).to_csv(work / "no_channel.csv", index=False)
    result = run("compare", "--reference", "profile.json", "no_channel.csv", "--json", "missing.json", cwd=work)
    assert result.returncode == 1
    report = json.loads((work / "missing.json").read_text())
    assert report["columns"][[c["column"] for c in report["columns"]].index("channel")]["status"] == "missing_column"


def test_parquet_directory_and_glob(work: Path) -> None:
    current = pd.read_parquet(work / "current.parquet")
    for day, part in current.groupby(current["order_time"].dt.month):
        (work / "dataset" / f"month={day}").mkdir(parents=True, exist_ok=True)
        part.drop(columns=["order_time"]).to_parquet(work / "dataset" / f"month={day}" / "part-0.parquet", index=False)
    (work / "dataset" / "_SUCCESS").write_text("")
    by_dir = run("compare", "--reference", "profile.json", "dataset", "--format", "json", "--fail-on", "never", cwd=work)
    by_glob = call("compare", "--reference", "profile.json", "dataset/*/*.parquet", "--format", "json",
                   "--fail-on", "never", cwd=work)  # fmt: skip
    assert by_dir.returncode == by_glob.returncode == 0, (by_dir.stderr, by_glob.stderr)
    reference = kd.ReferenceProfile.load(work / "profile.json")
    whole = kd.compare(reference, current, columns=reference.names)
    for result in (by_dir, by_glob):
        report = json.loads(result.stdout)
        assert report["n_current"] == len(current)
        assert {c["column"]: c["statistic"] for c in report["columns"]} == pytest.approx(
            {c.column: c.statistic for c in whole}, rel=1e-12
        )


def test_corrupted_profile_exits_2(work: Path) -> None:
    text = (work / "profile.json").read_text()
    (work / "truncated.json").write_text(text[: len(text) // 2])
    result = run("compare", "--reference", "truncated.json", "current.csv", cwd=work)
    assert_clean_error(result, "truncated.json", "not valid JSON", "truncated")

    edited = json.loads(text)
    edited["columns"][0]["counts"][0] += 1
    (work / "edited.json").write_text(json.dumps(edited))
    result = run("compare", "--reference", "edited.json", "current.csv", cwd=work)
    assert_clean_error(result, "edited.json", "checksum mismatch")


@pytest.mark.parametrize(
    ("name", "content", "fragments", "runner"),
    [
        ("absent.csv", None, ["absent.csv", "no such file"], run),
        ("broken.parquet", b"PAR1 not really parquet", ["broken.parquet", "not a readable Parquet file"], run),
        ("ragged.csv", b"a,b\n1,2\n3\n", ["ragged.csv", "not a readable CSV file"], call),
        ("notes.txt", b"hello", ["notes.txt", "unknown file type"], call),
        ("empty.csv", b"channel,age\n", ["empty.csv", "no rows"], call),
        ("folder", "dir", ["folder", "no .parquet or .csv files"], call),
    ],
)
def test_unreadable_input_exits_2(work: Path, name: str, content: bytes | str | None, fragments: list[str], runner) -> None:
    if content == "dir":
        (work / name).mkdir()
    elif isinstance(content, bytes):
        (work / name).write_bytes(content)
    result = runner("compare", "--reference", "profile.json", name, cwd=work)
    assert_clean_error(result, *fragments)


def test_unknown_column_exits_2(work: Path) -> None:
    assert_clean_error(
        run("compare", "--reference", "profile.json", "current.csv", "--columns", "chanel", cwd=work), "'chanel'"
    )
    assert_clean_error(call("profile", "current.csv", "-o", "p.json", "--columns", "agee", cwd=work), "current.csv", "'agee'")
    assert_clean_error(call("profile", "current.csv", "-o", "p.json", "--exclude", "agee", cwd=work), "current.csv", "'agee'")
    assert not (work / "p.json").exists()


def test_usage_errors_exit_2(work: Path) -> None:
    assert_clean_error(run("compare", "--reference", "profile.json", "current.csv", "--bins", "4", cwd=work), "--bins")
    assert_clean_error(call("compare", "--reference", "profile.json", "current.csv", "--threshold", "-1", cwd=work),
                       "--threshold")  # fmt: skip
    assert_clean_error(call("compare", "current.csv", cwd=work), "--reference")
    assert_clean_error(call(cwd=work), "COMMAND")


def test_help_documents_exit_codes(work: Path) -> None:
    for args in ([], ["compare"], ["profile"], ["history"]):
        result = (run if not args else call)(*args, "--help", cwd=work)
        assert result.returncode == 0
        assert "exit codes:" in result.stdout
        assert "0  no drift" in result.stdout and "1  drift" in result.stdout and "2  usage error" in result.stdout
        assert "3  internal error" in result.stdout


def test_console_script_is_installed(work: Path) -> None:
    script = Path(sys.executable).with_name("kl-drift")
    if not script.exists():
        pytest.skip("the kl-drift console script is not installed (pip install -e .)")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(f"kl-drift {kd.__version__}")


def test_data_warnings_are_one_line_each_on_stderr(tmp_path: Path) -> None:
    pd.DataFrame({"constant": [1.5] * 50, "plan": ["a", "b"] * 25}).to_csv(tmp_path / "ref.csv", index=False)
    result = call("profile", "ref.csv", "-o", "p.json", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == ["kl-drift: warning: column 'constant': the reference holds a single distinct value"]


def test_auto_threshold(work: Path) -> None:
    result = call("compare", "--reference", "profile.json", "current.parquet", "--threshold", "auto",
                  "--format", "json", cwd=work)  # fmt: skip
    report = json.loads(result.stdout)
    assert report["threshold_mode"] == "auto"
    reference = kd.ReferenceProfile.load(work / "profile.json")
    expected = kd.compare(reference, pd.read_parquet(work / "current.parquet"), columns=reference.names, threshold="auto")
    assert {c["column"]: c["status"] for c in report["columns"]} == {c.column: c.status for c in expected}
    assert result.returncode == (1 if expected.drifted else 0)


@pytest.mark.parametrize("quiet", [False, True])
def test_streamed_parquet_draws_a_progress_bar_on_a_terminal(work: Path, quiet: bool) -> None:
    pytest.importorskip("tqdm")
    import fcntl
    import os
    import pty
    import struct
    import termios

    parts = [work / f"part{i}.parquet" for i in range(2)]
    frame = pd.read_parquet(work / "current.parquet")
    for part in parts:
        frame.to_parquet(part)
    leader, follower = pty.openpty()
    # A fresh pty is 0 columns wide, where tqdm draws nothing: give it a real size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kl_drift", "compare", "--reference", "profile.json", *map(str, parts),
             "--fail-on", "never", *(["--quiet"] if quiet else [])],
            cwd=work, stdout=subprocess.PIPE, stderr=follower, timeout=120,
        )  # fmt: skip
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    if quiet:  # --quiet: nothing but errors, not even on a terminal
        assert drawn == b"" and result.stdout == b""
    else:
        assert b"comparing" in drawn and b"rows" in drawn
