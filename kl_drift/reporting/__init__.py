"""Reports and inputs for scheduled drift checks: file reading, Markdown, HTML, SVG, history.

Used by the ``kl-drift`` command line; importable on their own to build reports in a
pipeline. Nothing here is imported by ``import kl_drift``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .history import DriftHistory, HistoryError, HistoryRow, parse_since
    from .html import render_history_html, render_html
    from .markdown import escape_markdown, render_markdown
    from .sources import SourceError, expand_paths, parquet_stream, progress_bar, read_table
    from .text import render_history_text, render_text

# Each name is imported from its module when first used: the command line's start-up loads
# only the modules a command needs (no HTML, history database or timeline for a compare).
_HOMES = {
    "DriftHistory": "history", "HistoryError": "history", "HistoryRow": "history", "parse_since": "history",
    "render_history_html": "html", "render_html": "html",
    "escape_markdown": "markdown", "render_markdown": "markdown",
    "SourceError": "sources", "expand_paths": "sources", "parquet_stream": "sources", "progress_bar": "sources",
    "read_table": "sources",
    "render_history_text": "text", "render_text": "text",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    # inputs
    "read_table",
    "parquet_stream",
    "progress_bar",
    "expand_paths",
    "SourceError",
    # reports
    "render_text",
    "render_markdown",
    "escape_markdown",
    "render_html",
    # history
    "DriftHistory",
    "HistoryRow",
    "HistoryError",
    "parse_since",
    "render_history_text",
    "render_history_html",
]
