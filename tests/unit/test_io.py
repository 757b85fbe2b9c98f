"""Atomic writes clean up what a killed write of the same file left, and nothing else."""

from __future__ import annotations

import os
import time
from pathlib import Path

from kl_drift._io import STALE_TMP_SECONDS, atomic_write_text


def test_stale_temporary_files_of_the_same_target_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    old = tmp_path / ".report.html.0123456789ab.tmp"  # left by a killed write an hour ago
    fresh = tmp_path / ".report.html.ba9876543210.tmp"  # a write in progress elsewhere
    other = tmp_path / ".other.html.0123456789ab.tmp"  # another file's
    lookalike = tmp_path / ".report.html.notours.tmp"
    for path in (old, fresh, other, lookalike):
        path.write_text("partial")
    past = time.time() - STALE_TMP_SECONDS - 60
    for path in (old, other, lookalike):
        os.utime(path, (past, past))
    atomic_write_text(target, "<html></html>")
    assert target.read_text() == "<html></html>"
    assert not old.exists()
    assert fresh.exists() and other.exists() and lookalike.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".other.html.0123456789ab.tmp", ".report.html.ba9876543210.tmp", ".report.html.notours.tmp", "report.html"]
    )
