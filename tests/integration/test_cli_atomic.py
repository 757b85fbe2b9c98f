"""Reports are written atomically: a killed or failed run leaves the previous files intact."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.cli import main

N_COLUMNS = 150
OUTPUTS = ("report.json", "report.md", "report.html")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Many columns with many categories: a report of a few MB, so writing it takes a while."""
    folder = tmp_path_factory.mktemp("atomic")
    rng = np.random.default_rng(3)
    values = np.array([f"category-{i:03d}" for i in range(70)], dtype=object)
    frame = pd.DataFrame({f"c{i:03d}": rng.choice(values, 4000) for i in range(N_COLUMNS)})
    kd.profile(frame.iloc[:2000]).save(folder / "profile.json")
    frame.iloc[2000:].to_parquet(folder / "current.parquet", index=False)
    return folder


def _previous_reports(folder: Path) -> dict[str, bytes]:
    old = {name: f"previous {name} from yesterday's run\n".encode() for name in OUTPUTS}
    for name, content in old.items():
        (folder / name).write_bytes(content)
    return old


def _start(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kl_drift", "compare", "--reference", "profile.json", "current.parquet",
         "--json", "report.json", "--markdown", "report.md", "--html", "report.html"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _temporary(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_kill_while_a_report_is_being_written_keeps_the_previous_file(big: Path) -> None:
    caught = 0
    for _ in range(8):
        old = _previous_reports(big)
        process = _start(big)
        try:
            # Freeze the run the moment a temporary file appears, i.e. while writing.
            while process.poll() is None and not _temporary(big):
                time.sleep(0.0005)
            if process.poll() is None:
                process.send_signal(signal.SIGSTOP)
                pending = _temporary(big)
                caught += 1
                targets = {name for name in OUTPUTS if any(t.startswith(f".{name}.") for t in pending)}
                for name in targets:
                    assert (big / name).read_bytes() == old[name]
                process.kill()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=60)
        if process.returncode == -signal.SIGKILL:
            for name in OUTPUTS:
                content = (big / name).read_bytes()
                assert content == old[name] or _complete(name, content), name
        for leftover in _temporary(big):
            (big / leftover).unlink()
        if caught >= 2:
            break
    assert caught, "never caught the run while it was writing a report"


def _complete(name: str, content: bytes) -> bool:
    text = content.decode()
    if name.endswith(".json"):
        return len(json.loads(text)["columns"]) == N_COLUMNS
    if name.endswith(".html"):
        return text.rstrip().endswith("</html>")
    return text.count("\n| c") == N_COLUMNS


def test_kill_before_any_write_keeps_the_previous_files(big: Path) -> None:
    old = _previous_reports(big)
    process = _start(big)
    time.sleep(0.2)
    process.kill()
    process.wait(timeout=60)
    assert {name: (big / name).read_bytes() for name in OUTPUTS} == old


def test_failed_write_keeps_the_previous_file_and_exits_2(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _previous_reports(big)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    err = io.StringIO()
    with contextlib.chdir(big), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["compare", "--reference", "profile.json", "current.parquet", "--html", "report.html"])
    assert code == 2
    assert "No space left on device" in err.getvalue() and "Traceback" not in err.getvalue()
    # One line that names the file it could not write.
    assert len(err.getvalue().splitlines()) == 1 and "report.html" in err.getvalue()
    assert (big / "report.html").read_bytes() == old["report.html"]
    assert _temporary(big) == []


def test_new_reports_get_the_usual_file_permissions(big: Path) -> None:
    # A report is for others to read (a web server, a team share): a new file gets the mode
    # any other program would give it under the umask, not the private 0600 of a temp file.
    umask = os.umask(0)
    os.umask(umask)
    for name in OUTPUTS:
        (big / name).unlink(missing_ok=True)
    with contextlib.chdir(big), contextlib.redirect_stdout(io.StringIO()):
        main(["compare", "--reference", "profile.json", "current.parquet", "--fail-on", "never",
              "--json", "report.json", "--markdown", "report.md", "--html", "report.html"])  # fmt: skip
    assert {name: (big / name).stat().st_mode & 0o777 for name in OUTPUTS} == {name: 0o666 & ~umask for name in OUTPUTS}
