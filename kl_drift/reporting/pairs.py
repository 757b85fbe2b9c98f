"""Column pairs in the Markdown and HTML reports: a table of pairs, and per flagged pair a
heatmap of its cells' contributions to the interaction (an HTML table, no script)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from . import _format as fmt

if TYPE_CHECKING:
    from ..pairs import PairDrift
    from ..report import DriftReport

__all__ = ["markdown_pairs", "html_pairs", "pair_heatmap", "PAIRS_CSS"]

_ICONS = {"drift": "🔴", "warn": "🟠", "ok": "🟢", "skipped": "⚪"}
_SEVERITY = {"drift": 0, "warn": 1, "ok": 2, "skipped": 3}
# Red where the current holds more rows than the reference's dependence predicts, blue fewer.
_MORE, _FEWER = (198, 40, 40), (31, 95, 168)

PAIRS_CSS = """
table.pairmap td { text-align: center; font-size: 12px; padding: 4px 6px; border: 1px solid #fff; min-width: 64px; }
table.pairmap th { font-size: 12px; font-weight: 600; }
table.pairmap th.y { text-align: center; }
"""


def _ordered(report: DriftReport) -> list[PairDrift]:
    return sorted(report.pairs.values(), key=lambda p: (_SEVERITY.get(p.status, 4), -(p.interaction or 0.0)))


def _what_changed(pair: PairDrift) -> str:
    return pair.explanations[1] if len(pair.explanations) > 1 else (pair.reason or "")


def markdown_pairs(report: DriftReport, escape_markdown: Callable[[str], str]) -> list[str]:
    """Lines of a Markdown table of the report's pairs (none when no pairs were compared).

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> ref = pd.DataFrame({"a": x[:1000], "b": x[:1000]})
    >>> cur = pd.DataFrame({"a": x[1000:], "b": x[1000:][::-1]})
    >>> lines = markdown_pairs(kd.compare(ref, cur, pairs=[("a", "b")]), str)
    >>> lines[4].split(" | ")[:2]
    ['| a × b', '🔴 drift']
    """
    if not report.pairs:
        return []
    lines = [
        "**Column pairs** (joint drift: the interaction is what the two columns' own changes do not explain)",
        "",
        "| pair | status | joint KL | interaction | p-value (adj.) | what changed most |",
        "|---|---|--:|--:|--:|---|",
    ]
    for p in _ordered(report):
        lines.append(
            f"| {escape_markdown(p.columns[0])} × {escape_markdown(p.columns[1])} | {_ICONS.get(p.status, '')} {p.status} "
            f"| {fmt.number(p.statistic)} | {fmt.number(p.interaction)} | {fmt.pvalue(p.pvalue_adjusted)} "
            f"| {escape_markdown(_what_changed(p))} |"
        )
    return lines


def pair_heatmap(pair: PairDrift) -> str:
    """The pair's 2-D bins as an HTML table: each cell's reference → current share, coloured
    by its term of the interaction (red: more rows than the reference's dependence predicts
    at the current marginals, blue: fewer; the strongest term is the deepest colour).

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> ref = pd.DataFrame({"<a>": x[:1000], "b": x[:1000]})
    >>> cur = pd.DataFrame({"<a>": x[1000:], "b": x[1000:][::-1]})
    >>> table = pair_heatmap(kd.compare(ref, cur, pairs=[("<a>", "b")]).pairs[("<a>", "b")])
    >>> table.count("<td"), "&lt;a&gt;" in table, "<script" in table
    (25, True, False)
    """
    ref, cur, terms = pair.reference_counts, pair.current_counts, pair.contributions
    if not terms:
        return ""
    n_ref = max(sum(map(sum, ref)), 1)
    n_cur = max(sum(map(sum, cur)), 1)
    top = max((abs(v) for row in terms for v in row), default=0.0) or 1.0
    a, b = (escape(c) for c in pair.columns)
    head = "".join(f'<th class="y" title="{b} {escape(label)}">{escape(label)}</th>' for label in pair.y_labels)
    rows = []
    for i, label in enumerate(pair.x_labels):
        cells = []
        for j in range(len(pair.y_labels)):
            term = terms[i][j]
            red, green, blue = _MORE if term >= 0 else _FEWER
            alpha = abs(term) / top
            ink = "#fff" if alpha > 0.55 else "#1d1d1f"
            share = f"{ref[i][j] / n_ref:.1%} → {cur[i][j] / n_cur:.1%}"
            cells.append(
                f'<td style="background:rgba({red},{green},{blue},{alpha:.2f});color:{ink}" '
                f'title="{a} {escape(label)}, {b} {escape(pair.y_labels[j])}: {share}, term {term:.3g}">{share}</td>'
            )
        rows.append(f'<tr><th title="{a} {escape(label)}">{escape(label)}</th>{"".join(cells)}</tr>')
    return (
        f'<table class="pairmap"><caption class="muted">rows: {a} · columns: {b} · reference → current share of rows; '
        "red: more rows than the reference's dependence predicts, blue: fewer</caption>"
        f'<thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def html_pairs(report: DriftReport, badge: Callable[[str], str]) -> str:
    """The pairs section of the HTML report: a table of pairs, then a heatmap per flagged pair."""
    if not report.pairs:
        return ""
    body = []
    for p in _ordered(report):
        body.append(
            f"<tr><td>{escape(p.columns[0])} × {escape(p.columns[1])}</td><td>{badge(p.status)}</td>"
            f'<td class="num">{fmt.number(p.statistic)}</td><td class="num">{fmt.number(p.interaction)}</td>'
            f'<td class="num">{fmt.pvalue(p.pvalue_adjusted)}</td><td class="num">{fmt.number(p.mutual_information_reference, 3)}'
            f' → {fmt.number(p.mutual_information_current, 3)}</td><td>{escape(_what_changed(p))}</td></tr>'
        )
    parts = [
        '<section id="pairs"><h2>Column pairs</h2>',
        "<p class=\"muted\">Joint drift of two columns on 2-D bins: the joint KL splits into what the two columns' "
        "own changes explain and the <b>interaction</b>, a change in how they relate.</p>",
        '<table class="overview"><thead><tr><th>Pair</th><th>Status</th><th class="num">Joint KL</th>'
        '<th class="num">Interaction</th><th class="num">p-value (adj.)</th><th class="num">Mutual information ref. → cur.</th>'
        f'<th>What changed most</th></tr></thead><tbody>{"".join(body)}</tbody></table>',
    ]
    for p in _ordered(report):
        if p.status not in ("drift", "warn"):
            continue
        items = "".join(f"<li>{escape(text)}</li>" for text in p.explanations)
        parts.append(
            f'<section class="column"><h3>{escape(p.columns[0])} × {escape(p.columns[1])} {badge(p.status)}</h3>'
            f'<ul class="changes">{items}</ul>{pair_heatmap(p)}</section>'
        )
    parts.append("</section>")
    return "\n".join(parts)
