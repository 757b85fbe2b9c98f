"""Atomic file writes: a reader never sees a half-written file, a failed write keeps the old one."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

# A temporary file of ours older than this was left by a killed write (a live write takes
# seconds), and is removed by the next write of the same file.
STALE_TMP_SECONDS = 3600.0


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same folder and an atomic rename.

    The temporary file is created with mode 0666 minus the umask, like any new file, so the
    result has the usual permissions (``tempfile.mkstemp`` would make it owner-only).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(target)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def remove_stale_tmp(target: Path, *, older_than: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove the temporary files a killed write of `target` left behind; returns them.

    Only names this module makes (``.<name>.<12 hex digits>.tmp``) and only older than
    `older_than` seconds, so a write in progress in another process is never touched.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{12}}\.tmp")
    removed = []
    now = time.time()
    try:
        candidates = [p for p in target.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return removed
    for candidate in candidates:
        try:
            if now - candidate.stat().st_mtime > older_than:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue
    return removed
