"""Reports and inputs for scheduled drift checks: file reading, Markdown, HTML, SVG, history.

Used by the ``kl-drift`` command line; importable on their own to build reports in a
pipeline. Nothing here is imported by ``import kl_drift``.
"""

from .history import DriftHistory, HistoryError, HistoryRow, parse_since
from .html import render_history_html, render_html
from .markdown import escape_markdown, render_markdown
from .sources import SourceError, expand_paths, parquet_stream, progress_bar, read_table
from .text import render_history_text, render_text

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
