"""A compact Markdown table of a drift report, for a pull-request comment or a chat message."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from ..report import DriftReport
from . import _format as fmt
from .pairs import markdown_pairs

__all__ = ["render_markdown", "escape_markdown"]

_ICONS = {"drift": "🔴", "missing_column": "🔴", "type_mismatch": "🔴", "warn": "🟠", "ok": "🟢", "skipped": "⚪", "identifier": "⚪"}
# Inside a table cell only these start emphasis, code, links, strikethrough or a new cell;
# "<", ">" and "&" are taken care of by HTML escaping.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape_markdown(text: str) -> str:
    """Make a user-provided string literal text in Markdown, inside a table cell too.

    HTML is escaped (GitHub and most chat tools render inline HTML), Markdown punctuation
    is backslash-escaped, and line breaks become spaces so a cell stays on its row.

    Examples
    --------
    >>> escape_markdown("<img src=x> | *a*_b")
    '&lt;img src=x&gt; \\\\| \\\\*a\\\\*\\\\_b'
    """
    flat = " ".join(str(text).splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def render_markdown(report: DriftReport, *, reference: str, current: Sequence[str]) -> str:
    """The report as a Markdown heading line and one table row per column, most severe first.

    Parameters
    ----------
    report : DriftReport
        The comparison to show.
    reference : str
        Where the reference came from.
    current : sequence of str
        The current inputs.

    Returns
    -------
    str
        GitHub-flavoured Markdown.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> report = kd.compare(pd.DataFrame({"plan": ["a", "b"] * 50}), pd.DataFrame({"plan": ["a"] * 100}))
    >>> print(render_markdown(report, reference="ref.csv", current=["today.csv"]).splitlines()[0])
    **kl_drift: Drift in 1 of 1 compared columns** · current today.csv (100 rows) vs reference ref.csv (100 rows)
    """
    shown_current = ", ".join(escape_markdown(p) for p in current[:3]) + (
        f" and {len(current) - 3} more" if len(current) > 3 else ""
    )
    score = fmt.short_name(report)
    lines = [
        f"**kl_drift: {fmt.verdict(report)}** · current {shown_current} ({fmt.count(report.n_current)} rows) "
        f"vs reference {escape_markdown(reference)} ({fmt.count(report.n_reference)} rows)",
        "",
        f"| column | status | {score} | threshold | p-value | rows ref. / cur. | beyond the reference | what changed most |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for c in fmt.ordered(report):
        lines.append(
            f"| {escape_markdown(c.column)} | {_ICONS.get(c.status, '')} {c.status.replace('_', ' ')} "
            f"| {fmt.number(c.statistic)} | {fmt.number(c.threshold)} | {fmt.pvalue(c.pvalue)} "
            f"| {fmt.count(c.n_reference)} / {fmt.count(c.n_current)} "
            f"| {fmt.beyond(c.novel_fraction, c.expected_novel_fraction, c.out_of_range_fraction)} "
            f"| {escape_markdown(fmt.what_changed(c))} |"
        )
    pair_lines = markdown_pairs(report, escape_markdown)
    if pair_lines:
        lines += ["", *pair_lines]
    lines += ["", f"<sub>{fmt.divergence_name(report)}, smoothing {report.smoothing:g}; {report.created_at}</sub>"]
    return "\n".join(lines) + "\n"
