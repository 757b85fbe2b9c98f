"""The contract a scheduler relies on, tested on the real command in a subprocess.

Exit codes (0 no drift, 1 drift, 2 bad input, 3 a bug), inputs never overwritten, ``-`` for
stdout, ``--quiet``, a closed pipe, ``--config``, ``--as-of`` backfills, and every shell
recipe of docs/scheduled_reports.md run as the page shows it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core.bins import just_below
from kl_drift.profile import MAX_BINS, _checksum
from kl_drift.reporting import DriftHistory

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
DOCS = ROOT / "docs" / "scheduled_reports.md"
EXCLUDE = "order_id,order_time"
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kl_drift", *args], cwd=cwd, capture_output=True, text=True, timeout=180, **kwargs
    )


def shell(command: str, *, cwd: Path, program: str = "bash", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A command run as a scheduler runs it: by a shell, with kl-drift on the PATH."""
    environ = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    return subprocess.run([program, "-c", command], cwd=cwd, capture_output=True, text=True, timeout=600, env=environ)


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2 with exactly one line on stderr holding every fragment, and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kl-drift: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (links as links) with a hash of its bytes."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            files[str(path.relative_to(folder))] = "-> " + os.readlink(path)
        elif path.is_file():
            files[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def docs_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data and its profile (made with the documented --exclude)."""
    folder = tmp_path_factory.mktemp("contract")
    for name in ("reference.parquet", "current.csv", "current.parquet"):
        shutil.copy(SAMPLE / name, folder / name)
    result = run("profile", "reference.parquet", "-o", "p.json", "--exclude", EXCLUDE, cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def scratch(work: Path, tmp_path: Path) -> Path:
    for name in ("reference.parquet", "current.csv", "p.json"):
        shutil.copy(work / name, tmp_path / name)
    return tmp_path


# --- outputs never overwrite inputs ----------------------------------------------------------


def _links(folder: Path) -> None:
    os.symlink("p.json", folder / "link.json")
    os.link(folder / "current.csv", folder / "hard.csv")
    (folder / "data").mkdir()
    shutil.copy(folder / "current.csv", folder / "data" / "part-0.csv")
    (folder / "drift.toml").write_text('[compare]\nreference = "p.json"\n')


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["compare", "--reference", "p.json", "current.csv", "--json", "p.json"], ["--json p.json", "--reference p.json"]),
        (["compare", "--reference", "p.json", "current.csv", "--html", "current.csv"], ["--html current.csv", "current.csv"]),
        (["profile", "current.csv", "-o", "current.csv"], ["-o current.csv", "the input current.csv"]),
        (["compare", "--reference", "p.json", "current.csv", "--markdown", "./p.json"], ["--markdown ./p.json", "p.json"]),
        (["compare", "--reference", "p.json", "current.csv", "--markdown", "link.json"], ["--markdown link.json", "--reference p.json"]),
        (["compare", "--reference", "p.json", "current.csv", "--html", "hard.csv"], ["--html hard.csv", "current.csv"]),
        (["compare", "--reference", "p.json", "current.csv", "--history", "p.json"], ["--history p.json", "--reference p.json"]),
        (["compare", "--reference", "p.json", "cur*.csv", "--json", "current.csv"], ["--json current.csv", "current.csv"]),
        (["compare", "--reference", "p.json", "data", "--json", "data/part-0.csv"], ["--json data/part-0.csv", "part-0.csv"]),
        (["compare", "--reference", "reference.parquet", "current.csv", "--json", "reference.parquet"],
         ["--json reference.parquet", "--reference reference.parquet"]),
        (["compare", "--config", "drift.toml", "current.csv", "--markdown", "drift.toml"], ["--markdown drift.toml", "--config drift.toml"]),
        (["compare", "--reference", "p.json", "current.csv", "--json", "out.json", "--markdown", "out.json"],
         ["--markdown out.json", "--json out.json"]),
        (["compare", "--reference", "p.json", "current.csv", "--json", "-", "--html", "-"], ["--html -", "--json -"]),
        (["profile", "reference.parquet", "-o", "drift.toml", "--config", "drift.toml"], ["-o drift.toml", "--config drift.toml"]),
    ],
    ids=["json-over-profile", "html-over-data", "profile-over-data", "dot-path", "symlink", "hard-link", "history-over-profile",
         "glob-input", "file-in-input-folder", "data-reference", "config", "two-outputs", "two-stdouts", "profile-over-config"],
)  # fmt: skip
def test_an_output_never_overwrites_an_input_or_another_output(scratch: Path, args: list[str], named: list[str]) -> None:
    _links(scratch)
    before = snapshot(scratch)
    result = run(*args, cwd=scratch)
    assert_clean_error(result, *named)
    assert result.stdout == ""
    assert snapshot(scratch) == before  # byte-identical inputs, and nothing new written


def test_history_trend_page_never_overwrites_the_history(work: Path, tmp_path: Path) -> None:
    shutil.copy(work / "p.json", tmp_path / "p.json")
    assert run("compare", "--reference", "p.json", str(work / "current.csv"), "--history", "h.sqlite", "-q",
               cwd=tmp_path).returncode == 1  # fmt: skip
    before = snapshot(tmp_path)
    assert_clean_error(run("history", "h.sqlite", "--html", "h.sqlite", cwd=tmp_path), "--html h.sqlite", "h.sqlite")
    assert snapshot(tmp_path) == before


# --- exit codes ------------------------------------------------------------------------------


def _write_profile(path: Path, data: dict) -> None:
    data["checksum"] = _checksum(data["columns"], data["n_rows"])
    path.write_text(json.dumps(data), encoding="utf-8")


def _bad_profiles(folder: Path) -> None:
    data = json.loads((folder / "p.json").read_text())
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    huge = json.loads(json.dumps(data))
    huge["n_rows"] += 2**64
    for col in huge["columns"]:
        col["counts"][0] += 2**64
    _write_profile(folder / "huge_counts.json", huge)
    late = json.loads(json.dumps(data))
    next(c for c in late["columns"] if c["kind"] == "datetime")["bins"]["edges"][-1] = 2**64
    _write_profile(folder / "late_edge.json", late)
    with open(folder / "big.json", "wb") as big:  # sparse: refused by its size, never read
        big.truncate(256 * 2**20 + 1)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["compare", "--reference", "deep.json", "current.csv"], ["deep.json", "nested too deeply"]),
        (["compare", "--reference", "huge_counts.json", "current.csv"], ["huge_counts.json", "9223372036854775807"]),
        (["compare", "--reference", "late_edge.json", "current.csv"], ["late_edge.json", "datetime edges"]),
        (["compare", "--reference", "big.json", "current.csv"], ["big.json", "larger than 256 MiB"]),
        (["profile", "current.csv", "-o", "x.json", "--bins", "1000000000"], ["--bins", f"1 to {MAX_BINS:,}"]),
        (["compare", "--reference", "reference.parquet", "current.csv", "--bins", "1000000000"], ["--bins"]),
        (["compare", "--reference", "p.json", "current.csv", "--as-of", "yesterday", "--history", "h.sqlite"], ["as_of", "yesterday"]),
        (["compare", "--reference", "p.json", "current.csv", "--as-of", "2026-07-01"], ["--as-of", "--history"]),
        (["compare", "--reference", "p.json", "current.csv", "--alpha", "2", "--threshold", "auto"], ["alpha"]),
        (["compare", "--reference", "p.json", "current.csv", "--exclude", "order_idd"], ["'order_idd'", "neither"]),
        (["compare", "--reference", "p.json", "current.csv", "--history", "-"], ["--history"]),
        (["compare", "--reference", "p.json", "current.csv", "--json", "-", "--format", "json"], ["--format", "--json -"]),
        (["compare", "--reference", "p.json", "current.csv", "--config", "absent.toml"], ["absent.toml", "cannot be read"]),
        (["history", "absent.sqlite"], ["absent.sqlite"]),
        (["history"], ["DRIFT.sqlite"]),
        (["profile", "current.csv"], ["-o/--output"]),
    ],
)
def test_errors_exit_2_with_one_line_never_1(scratch: Path, args: list[str], fragments: list[str]) -> None:
    _bad_profiles(scratch)
    before = snapshot(scratch)
    assert_clean_error(run(*args, cwd=scratch), *fragments)
    assert snapshot(scratch) == before


def test_too_many_bins_fail_before_allocating(scratch: Path) -> None:
    # 10^9 bins once allocated gigabytes (MemoryError, exit 1); now a usage error at once.
    result = run("profile", "current.csv", "-o", "x.json", "--bins", "1000000000", cwd=scratch)
    assert_clean_error(result, "--bins")
    config = scratch / "drift.toml"
    config.write_text("[columns.age]\nbins = 1_000_000_000\n")
    assert_clean_error(run("profile", "current.csv", "-o", "x.json", "--config", "drift.toml", cwd=scratch),
                       "drift.toml", "[columns.age]", f"at most {MAX_BINS:,} bins")  # fmt: skip


BUG = """
import importlib, sys
import kl_drift.cli as cli

def boom(*args, **kwargs):
    raise {error}("boom: a bug, not bad input")

setattr(importlib.import_module("{module}"), "{target}", boom)
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("error", "module", "target"),
    [
        # Renderers are looked up in their modules when a command renders (lazy imports).
        ("ValueError", "kl_drift.reporting.text", "render_text"),
        ("KeyError", "kl_drift.reporting.markdown", "render_markdown"),
        ("RecursionError", "kl_drift.cli", "compare"),
        ("OverflowError", "kl_drift.cli", "read_table"),
    ],
)
def test_a_bug_exits_3_with_its_traceback(scratch: Path, error: str, module: str, target: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", BUG.format(error=error, module=module, target=target), "compare", "--reference", "p.json", "current.csv",
         "--markdown", "out.md"],
        cwd=scratch, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 3, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert any(line.startswith(f"{error}: ") and "boom" in line for line in lines)
    assert lines[-1].startswith(f"kl-drift: internal error ({error}: ") and "bug in kl-drift" in lines[-1]
    assert result.stdout == ""


def test_help_documents_every_exit_code(work: Path) -> None:
    for args in (["--help"], ["compare", "--help"]):
        result = run(*args, cwd=work)
        assert result.returncode == 0
        for code in ("0  no drift", "1  drift", "2  usage error", "3  internal error"):
            assert code in result.stdout


# --- the same --columns / --exclude in profile and compare ---------------------------------


def test_the_same_exclude_works_for_profile_and_compare(scratch: Path) -> None:
    result = run("compare", "--reference", "p.json", "current.csv", "--exclude", EXCLUDE, "--format", "json", cwd=scratch)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert len(report["columns"]) == 11 and {"order_id", "order_time"}.isdisjoint(c["column"] for c in report["columns"])
    # A profiled column can still be excluded at compare time; --columns selects in both.
    result = run("compare", "--reference", "p.json", "current.csv", "--exclude", f"{EXCLUDE},channel",
                 "--columns", "age,channel,country", "--format", "json", cwd=scratch)  # fmt: skip
    assert [c["column"] for c in json.loads(result.stdout)["columns"]] == ["age", "country"]
    profiled = run("profile", "current.csv", "-o", "sub.json", "--columns", "age,channel,country", "--exclude", "channel",
                   cwd=scratch)  # fmt: skip
    assert profiled.returncode == 0, profiled.stderr
    assert kd.ReferenceProfile.load(scratch / "sub.json").names == ("age", "country")


# --- standard output, --quiet and closed pipes -----------------------------------------------


def test_dash_writes_a_report_on_stdout_and_nothing_else(scratch: Path, strict_loads) -> None:
    result = run("compare", "--reference", "p.json", "current.csv", "--json", "-", "--markdown", "out.md", cwd=scratch)
    assert result.returncode == 1 and result.stderr == ""
    report = strict_loads(result.stdout)
    assert report["drifted_columns"] and not (scratch / "-").exists()
    assert (scratch / "out.md").read_text().count("\n| ") == len(report["columns"]) + 1

    markdown = run("compare", "--reference", "p.json", "current.csv", "--markdown", "-", "-q", cwd=scratch)
    assert markdown.returncode == 1
    # The same text as the file (but for the time of the run in its last line).
    written = (scratch / "out.md").read_text()
    assert markdown.stdout.rsplit("<sub>", 1)[0] == written.rsplit("<sub>", 1)[0] and markdown.stdout.endswith("</sub>\n")

    profiled = run("profile", "reference.parquet", "-o", "-", "--exclude", EXCLUDE, cwd=scratch)
    assert profiled.returncode == 0
    (scratch / "again.json").write_text(profiled.stdout)
    assert kd.ReferenceProfile.load(scratch / "again.json") == kd.ReferenceProfile.load(scratch / "p.json")
    assert profiled.stderr.startswith("profiled 11 columns of 8,000 rows -> -")
    assert not (scratch / "-").exists()


def test_quiet_prints_nothing_but_errors(scratch: Path) -> None:
    result = run("compare", "--reference", "p.json", "current.csv", "--quiet", "--html", "out.html", cwd=scratch)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")
    assert (scratch / "out.html").exists()
    pd.DataFrame({"constant": [1.5] * 50, "plan": ["a", "b"] * 25}).to_csv(scratch / "flat.csv", index=False)
    loud = run("profile", "flat.csv", "-o", "flat.json", cwd=scratch)
    assert "warning" in loud.stderr and loud.stdout.startswith("profiled")
    quiet = run("profile", "flat.csv", "-o", "flat2.json", "-q", cwd=scratch)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert_clean_error(run("compare", "--reference", "p.json", "absent.csv", "-q", cwd=scratch), "absent.csv")


def _wide(folder: Path) -> None:
    """A report of about a megabyte: more than any pipe buffer holds."""
    values = [f"category-{i:03d}" for i in range(60)]
    frame = pd.DataFrame({f"c{j:02d}": [values[(i * (j + 1)) % 60] for i in range(1200)] for j in range(40)})
    frame.iloc[:600].to_parquet(folder / "wide_ref.parquet", index=False)
    frame.iloc[600:].iloc[::-1].to_csv(folder / "wide_cur.csv", index=False)


def test_a_closed_pipe_ends_quietly_with_the_code_it_would_have_had(scratch: Path) -> None:
    _wide(scratch)
    assert run("profile", "wide_ref.parquet", "-o", "wide.json", "-q", cwd=scratch).returncode == 0
    for fail_on, code in (("drift", 1), ("never", 0)):
        result = shell(
            "set -o pipefail; kl-drift compare --reference wide.json wide_cur.csv --threshold 0 --format json "
            f"--fail-on {fail_on} --html wide.html | head -1",
            cwd=scratch,
        )
        assert result.returncode == code, result.stderr
        assert result.stdout == "{\n" and result.stderr == ""
    assert (scratch / "wide.html").exists()  # the other outputs are still written


def test_a_reader_gone_before_the_first_line(scratch: Path) -> None:
    # The read end closed before kl-drift writes anything: every write gets EPIPE.
    process = subprocess.Popen(
        [sys.executable, "-m", "kl_drift", "compare", "--reference", "p.json", "current.csv", "--history", "h.sqlite"],
        cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=180) == 1
    assert stderr == ""
    assert len(DriftHistory(scratch / "h.sqlite").rows()) == 11


def test_history_html_prints_nothing_else_unless_asked(scratch: Path) -> None:
    assert run("compare", "--reference", "p.json", "current.csv", "--history", "h.sqlite", "-q", cwd=scratch).returncode == 1
    page = run("history", "h.sqlite", "--html", "trend.html", cwd=scratch)
    assert (page.returncode, page.stdout, page.stderr) == (0, "", "")
    assert (scratch / "trend.html").read_text().count("<svg") == 11
    asked = run("history", "h.sqlite", "--html", "trend.html", "--format", "table", cwd=scratch)
    assert asked.stdout.splitlines()[0].split()[:2] == ["column", "as"]
    to_stdout = run("history", "h.sqlite", "--html", "-", cwd=scratch)
    assert to_stdout.stdout.rstrip("\n") == (scratch / "trend.html").read_text().rstrip("\n")


# --- --config ---------------------------------------------------------------------------------

CONFIG = """
[profile]
output = "cfg-profile.json"

[compare]
reference = "cfg-profile.json"
threshold = 0.1
markdown = "reports/orders.md"
json = "reports/orders.json"
history = "drift.sqlite"
fail_on = "drift"

[columns.order_id]
exclude = true

[columns.order_time]
exclude = true

[columns.basket_value]
threshold = 0.2
warn_threshold = 0.1
bins = 20

[columns.items]
categorical = true

[columns.discount_rate]
edges = [0.0, 0.1, 0.2]
"""


@pytest.fixture
def configured(work: Path, tmp_path: Path) -> Path:
    """A job folder with drift.toml, run from another directory to test relative paths."""
    job = tmp_path / "job"
    job.mkdir()
    (job / "drift.toml").write_text(CONFIG)
    result = run("profile", "--config", "job/drift.toml", str(work / "reference.parquet"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "job/cfg-profile.json" in result.stdout
    return tmp_path


def test_config_options_reach_profile_and_compare(work: Path, configured: Path) -> None:
    prof = kd.ReferenceProfile.load(configured / "job" / "cfg-profile.json")
    assert "order_id" not in prof and "order_time" not in prof
    # 20 bins, one below the reference minimum and one above its maximum, and "(missing)".
    assert len(prof["basket_value"].counts) == 23
    # The configured edges, with the reference range around them (just below its minimum 0
    # and its maximum), so values beyond the reference are counted apart.
    rates = pd.read_parquet(work / "reference.parquet")["discount_rate"]
    assert prof["discount_rate"].bins.edges == (just_below(rates.min()), 0.0, 0.1, 0.2, rates.max())
    assert isinstance(prof["items"].bins, kd.CategoricalBins) and prof.settings["categorical"] == ["items"]
    expected_profile = kd.profile(
        pd.read_parquet(work / "reference.parquet").drop(columns=EXCLUDE.split(",")),
        bins={"basket_value": 20}, edges={"discount_rate": [0.0, 0.1, 0.2]}, categorical=["items"],
    )  # fmt: skip
    assert prof == expected_profile

    result = run("compare", "--config", "job/drift.toml", str(work / "current.csv"), cwd=configured)
    assert result.returncode == 1, result.stderr
    report = json.loads((configured / "job" / "reports" / "orders.json").read_text())
    expected = kd.compare(
        prof, pd.read_parquet(work / "current.parquet"), columns=list(prof.names), threshold=0.1,
        thresholds={"basket_value": 0.2}, warn_thresholds={"basket_value": 0.1},
    )  # fmt: skip
    got = {c["column"]: (c["status"], c["threshold"], c["warn_threshold"]) for c in report["columns"]}
    assert got == {c.column: (c.status, c.threshold, c.warn_threshold) for c in expected}
    assert got["basket_value"][1:] == (0.2, 0.1)
    assert (configured / "job" / "reports" / "orders.md").exists()
    assert len(DriftHistory(configured / "job" / "drift.sqlite").rows()) == 11


def test_flags_override_the_config(work: Path, configured: Path) -> None:
    result = run("compare", "--config", "job/drift.toml", str(work / "current.csv"), "--threshold", "0.3",
                 "--fail-on", "never", "--json", "mine.json", "--columns", "basket_value,channel,age", cwd=configured)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((configured / "mine.json").read_text())
    # --threshold is the level of the columns without their own; basket_value keeps its 0.2.
    assert {c["column"]: c["threshold"] for c in report["columns"]} == {"basket_value": 0.2, "channel": 0.3, "age": 0.3}
    # --json replaced the file's json; the file's markdown report is still written.
    assert not (configured / "job" / "reports" / "orders.json").exists()
    assert (configured / "job" / "reports" / "orders.md").exists()


def test_config_mistakes_exit_2_naming_the_file_and_key(work: Path, configured: Path) -> None:
    job = configured / "job"
    (job / "typo.toml").write_text(CONFIG.replace("[columns.basket_value]\nthreshold", "[columns.basket_value]\ntreshold"))
    assert_clean_error(run("compare", "--config", "job/typo.toml", str(work / "current.csv"), cwd=configured),
                       "job/typo.toml", "unknown key 'treshold' in [columns.basket_value]")  # fmt: skip
    (job / "renamed.toml").write_text(CONFIG.replace("[columns.basket_value]", "[columns.basket]"))
    assert_clean_error(run("compare", "--config", "job/renamed.toml", str(work / "current.csv"), cwd=configured),
                       "'basket'", "job/renamed.toml", "[columns.basket]")  # fmt: skip
    assert_clean_error(run("profile", "--config", "job/renamed.toml", str(work / "reference.parquet"), "-o", "x.json",
                           cwd=configured), "'basket'", "job/renamed.toml")  # fmt: skip
    assert_clean_error(run("profile", "--config", "job/drift.toml", str(work / "reference.parquet"), "-o", "x.json",
                           "--bins", "12", cwd=configured), "--bins 12", "per-column bins")  # fmt: skip
    (job / "bins.toml").write_text(CONFIG.replace("fail_on", "bins = 12\nfail_on"))
    assert_clean_error(run("compare", "--config", "job/bins.toml", str(work / "current.csv"), cwd=configured),
                       "--bins", "data file")  # fmt: skip
    (job / "broken.toml").write_text("[compare\n")
    assert_clean_error(run("compare", "--config", "job/broken.toml", str(work / "current.csv"), cwd=configured),
                       "job/broken.toml", "not valid TOML")  # fmt: skip
    assert not (configured / "x.json").exists()


# --- the shell recipes of docs/scheduled_reports.md, as the page shows them ------------------


def _line_commands(block: str) -> list[str]:
    """The commands of a bash block, continuation lines joined."""
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip() and not c.startswith("#")]


def test_every_bash_recipe_of_the_page_runs_and_prints_what_it_shows(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "sample_data")
    (tmp_path / "drift.toml").write_text(docs_blocks("toml")[0])
    shown = [line for line in docs_blocks("text")[0].splitlines() if line and line != "..."]
    ran = 0
    for block in docs_blocks("bash"):
        for command in _line_commands(block):
            if command.startswith("sqlite3") and shutil.which("sqlite3") is None:
                continue
            result = shell(command, cwd=tmp_path)
            ran += 1
            assert result.returncode in (0, 1), (command, result.stderr)
            assert result.stderr == "", (command, result.stderr)
            if command.startswith("kl-drift compare --reference orders-profile.json"):
                assert result.returncode == 1
                # The summary the page shows, line for line (the page cuts it after 5 columns).
                printed = result.stdout.splitlines()
                assert printed[0] == shown[0]
                for line in shown[3:]:
                    assert line in printed, line
            if command.startswith("kl-drift compare --config"):
                assert result.returncode == 1 and result.stdout.startswith("Drift in 3 of 11 compared columns\n")
    assert ran >= 8
    for name in ("orders.html", "orders.md", "orders.json", "trend.html", "reports/orders.html", "reports/orders.json"):
        assert (tmp_path / name).is_file(), name


def _cron_job(folder: Path) -> str:
    lines = [line for line in docs_blocks("text")[1].splitlines() if line.strip()]
    assert lines[0].startswith("MAILTO=")
    command = lines[1].split(None, 5)[5]
    # cron turns \% into % and hands the line to /bin/sh.
    command = command.replace("\\%", "%")
    for path, local in (("/srv/drift", "srv"), ("/data/orders", "data"), ("/var/www/drift", "www")):
        assert path in command
        command = command.replace(path, str(folder / local))
    return command


def test_cron_recipe_mails_the_table_only_on_drift(work: Path, tmp_path: Path) -> None:
    srv = tmp_path / "srv"
    (srv / ".venv" / "bin").mkdir(parents=True)
    os.symlink(BIN / "kl-drift", srv / ".venv" / "bin" / "kl-drift")
    shutil.copy(work / "p.json", srv / "orders-profile.json")
    yesterday = subprocess.run(["date", "-d", "yesterday", "+%F"], capture_output=True, text=True, check=True).stdout.strip()
    partition = tmp_path / "data" / f"day={yesterday}"
    partition.mkdir(parents=True)
    command = _cron_job(tmp_path)

    # Drift: the freshly written table is mailed, and the history has yesterday's date.
    shutil.copy(work / "current.parquet", partition / "part-0.parquet")
    drift = shell(command, cwd=tmp_path, program="sh")
    assert drift.stderr == ""
    assert drift.stdout == (srv / "orders.md").read_text() and drift.stdout.startswith("**kl_drift: Drift in 4 of 11")
    assert (tmp_path / "www" / "orders.html").exists()
    assert {r.as_of[:10] for r in DriftHistory(srv / "drift.sqlite").rows()} == {yesterday}

    # No drift: nothing printed, so cron sends no mail.
    (srv / "orders.md").write_text("STALE TABLE FROM AN EARLIER RUN\n")
    (partition / "part-0.parquet").unlink()
    pd.read_parquet(work / "reference.parquet").to_parquet(partition / "part-0.parquet", index=False)
    quiet = shell(command, cwd=tmp_path, program="sh")
    assert (quiet.stdout, quiet.stderr) == ("", "")

    # Bad input: the error alone is mailed, never the table of an earlier run.
    (srv / "orders.md").write_text("STALE TABLE FROM AN EARLIER RUN\n")
    shutil.rmtree(partition)
    error = shell(command, cwd=tmp_path, program="sh")
    assert error.stdout == ""
    assert error.stderr.startswith("kl-drift: error: ") and f"day={yesterday}" in error.stderr
    assert len(error.stderr.splitlines()) == 1


def _airflow_command() -> str:
    """The BashOperator's command, taken from the page's DAG snippet by running it."""
    captured: dict[str, str] = {}

    class BashOperator:
        def __init__(self, *, task_id: str, bash_command: str) -> None:
            captured[task_id] = bash_command

        def __rrshift__(self, other: object) -> BashOperator:
            return self

    module = types.ModuleType("airflow.operators.bash")
    module.BashOperator = BashOperator  # type: ignore[attr-defined]
    snippet = docs_blocks("python")[0]
    fakes = {"airflow": types.ModuleType("airflow"), "airflow.operators": types.ModuleType("airflow.operators"),
             "airflow.operators.bash": module}  # fmt: skip
    saved = {name: sys.modules.get(name) for name in fakes}
    sys.modules.update(fakes)
    try:
        exec(snippet, {"load_orders": object()})
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    return captured["orders_drift"]


def test_airflow_backfill_out_of_order_draws_seven_dates_and_a_rerun_replaces_its_date(work: Path, tmp_path: Path) -> None:
    template = _airflow_command()
    assert "{{ ds }}" in template and "--as-of {{ ds }}" in template
    opt, data = tmp_path / "opt", tmp_path / "data"
    opt.mkdir()
    shutil.copy(work / "p.json", opt / "orders-profile.json")
    days = [f"2026-07-0{d}" for d in range(1, 8)]
    stable = pd.read_parquet(work / "reference.parquet")
    drifting = pd.read_parquet(work / "current.parquet")
    for i, day in enumerate(days):
        (data / f"day={day}").mkdir(parents=True)
        (drifting if i >= 4 else stable.iloc[i * 1000 : (i + 1) * 1000]).to_parquet(data / f"day={day}" / "part-0.parquet")

    def task(ds: str) -> subprocess.CompletedProcess[str]:
        command = template.replace("{{ ds }}", ds).replace("/opt/drift", str(opt)).replace("/data/orders", str(data))
        return shell(command, cwd=tmp_path)

    for d in (3, 7, 1, 5, 2, 6, 4):  # a backfill that ran out of order
        result = task(days[d - 1])
        assert result.returncode == (1 if d >= 5 else 0), result.stderr
        assert (opt / "reports" / f"orders-{days[d - 1]}.html").exists()

    rows = DriftHistory(opt / "drift.sqlite").rows(columns=["channel"])
    assert [r.as_of[:10] for r in rows] == days
    assert [r.status for r in rows] == ["ok"] * 4 + ["drift"] * 3

    page = run("history", str(opt / "drift.sqlite"), "--html", "trend.html", cwd=tmp_path)
    assert (page.returncode, page.stdout) == (0, "")
    chart = (tmp_path / "trend.html").read_text().split("<svg")[1]
    tips = re.findall(r"<title>(\d{4}-\d\d-\d\d)(?: 00:00:00)? · (\w+)", chart)
    assert [day for day, _ in tips] == days
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', chart)]
    assert xs == sorted(xs) and len(set(xs)) == 7  # one point per date, in date order
    axis = re.findall(r">(\d{4}-\d\d-\d\d)</text>", chart)
    assert axis == [days[0], days[3], days[6]]

    # Re-running a date (a cleared task) replaces its run: still seven points.
    shutil.copy(data / f"day={days[5]}" / "part-0.parquet", data / f"day={days[2]}" / "part-0.parquet")
    assert task(days[2]).returncode == 1
    rows = DriftHistory(opt / "drift.sqlite").rows(columns=["channel"])
    assert [r.as_of[:10] for r in rows] == days
    assert rows[2].status == "drift"


def test_ci_recipe_fails_on_drift_and_never_shows_a_stale_summary(work: Path, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(docs_blocks("yaml")[0])
    steps = {step.get("name"): step for step in workflow["jobs"]["drift"]["steps"]}
    check, summary = steps["Check drift"], steps["Job summary"]
    assert summary["if"] == "always()"
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(work / "p.json", tmp_path / "monitoring" / "orders-profile.json")
    shutil.copy(work / "current.parquet", tmp_path / "data" / "current.parquet")
    step_summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(step_summary)}

    drift = shell(check["run"], cwd=tmp_path, env=env)
    assert drift.returncode == 1, drift.stderr  # the step fails on drift
    assert all((tmp_path / f"drift.{ext}").is_file() for ext in ("md", "html", "json"))
    assert shell(summary["run"], cwd=tmp_path, env=env).returncode == 0
    assert step_summary.read_text() == (tmp_path / "drift.md").read_text()

    # A fresh workspace whose export failed: the check fails with an error, the summary stays empty.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(tmp_path / "monitoring", fresh / "monitoring")
    error = shell(check["run"], cwd=fresh, env={"GITHUB_STEP_SUMMARY": str(fresh / "summary.md")})
    assert error.returncode == 2 and "data/current.parquet" in error.stderr
    assert shell(summary["run"], cwd=fresh, env={"GITHUB_STEP_SUMMARY": str(fresh / "summary.md")}).returncode == 0
    assert not (fresh / "summary.md").exists()
