"""Scores over a sequence of periods: the one renderer of timelines and the history trend page.

A timeline (`kl_drift.compare_over_time`) and a history of scheduled runs are the same
picture: per column, a score per period against its thresholds. Both are drawn here: a
heatmap of columns × periods (colour = score relative to the drift threshold, a mark where
drifted), one small line chart per column with its thresholds, and each column's first
drifted period. Everything is inline HTML and SVG, every user-provided string escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from . import _format as fmt
from .svg import _FONT, COLORS, _nice_step, _tick_text

if TYPE_CHECKING:
    from ..timeline import Timeline

__all__ = [
    "PeriodPoint",
    "heatmap",
    "trend_chart",
    "first_drifted",
    "render_timeline_html",
    "render_timeline_markdown",
    "render_timeline_text",
    "TIMELINE_CSS",
]

# Statuses of periods that have no score of their own, and how a heatmap cell shows them.
_GAP_STYLE = {
    "reference": ("#dce6f2", "ref", "part of the reference"),
    "small_sample": ("#eeeeee", "s", "too few rows to score"),
    "empty": ("#ffffff", "", "no rows"),
    "no_reference": ("#eeeeee", "–", "no rows in the rolling window"),
}
_UNSCORED_MARK = "×"

TIMELINE_CSS = """
.heat-wrap { overflow-x: auto; max-width: 100%; }
table.heat { border-collapse: separate; border-spacing: 1px; margin: 8px 0; }
table.heat th, table.heat td { border: 0; padding: 0; }
table.heat th.col { text-align: right; padding-right: 8px; font-weight: 500; white-space: nowrap; max-width: 220px;
                    overflow: hidden; text-overflow: ellipsis; }
table.heat td { width: 14px; min-width: 6px; height: 18px; text-align: center; font-size: 10px; line-height: 18px;
                color: #fff; border: 1px solid #f2f2f2; }
table.heat td.gap { color: #555; }
table.heat.dense td { width: 4px; min-width: 3px; font-size: 0; border-width: 0; }
table.heat td.drifted { box-shadow: inset 0 -4px 0 #1d1d1f; }
table.heat th.period { overflow: hidden; }
table.heat th.period { font-weight: 400; font-size: 10px; color: #555; text-align: left; white-space: nowrap; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; border-radius: 3px; font-size: 12px; }
"""


@dataclass(frozen=True)
class PeriodPoint:
    """One column in one period (or one recorded run).

    Attributes
    ----------
    label : str
        The period's name on the axis.
    statistic : float or None
        The score (None when not scored).
    threshold, warn_threshold : float or None
        The column's drift and warn levels in that period.
    status : str
        A column status ("ok", "warn", "drift", "missing_column", ...) or a period status
        without a score ("reference", "small_sample", "empty", "no_reference").
    drifted : bool
        The column's decision in that period.
    note : str
        Extra text for the tooltip.
    """

    label: str
    statistic: float | None
    threshold: float | None
    warn_threshold: float | None
    status: str
    drifted: bool = False
    note: str = ""

    @property
    def scored(self) -> bool:
        return self.statistic is not None and math.isfinite(self.statistic)

    @property
    def gap(self) -> bool:
        """A period without a score of its own (not a failed comparison)."""
        return self.status in _GAP_STYLE


def first_drifted(points: Sequence[PeriodPoint]) -> str | None:
    """The label of the first drifted point, or None.

    Examples
    --------
    >>> first_drifted([PeriodPoint("a", 0.0, 0.1, 0.05, "ok"), PeriodPoint("b", 0.3, 0.1, 0.05, "drift", True)])
    'b'
    """
    return next((p.label for p in points if p.drifted), None)


def _tip(p: PeriodPoint) -> str:
    if p.gap:
        text = f"{p.label} · {_GAP_STYLE[p.status][2]}"
    else:
        text = f"{p.label} · {p.status.replace('_', ' ')}"
        if p.statistic is not None:
            text += f" · score {fmt.number(p.statistic)}"
            if p.threshold is not None:
                text += f" (threshold {fmt.number(p.threshold)})"
    return text + (f" · {p.note}" if p.note else "")


def _cell(p: PeriodPoint, top: float) -> str:
    tip = escape(_tip(p))
    if p.gap:
        background, mark, _ = _GAP_STYLE[p.status]
        return f'<td class="gap" style="background:{background}" title="{tip}">{escape(mark)}</td>'
    if not p.scored:
        return f'<td style="background:{COLORS.get(p.status, COLORS["axis"])}" title="{tip}">{_UNSCORED_MARK}</td>'
    shade = min(max(p.statistic / top, 0.0), 1.0) if top > 0 else 0.0  # type: ignore[operator]
    color = "#fff" if shade > 0.45 else "#333"
    marked = ' class="drifted"' if p.drifted else ""
    return f'<td{marked} style="background:rgba(198,40,40,{shade:.3f});color:{color}" title="{tip}">{"●" if p.drifted else ""}</td>'


def _scale(points: Sequence[PeriodPoint]) -> float:
    """A column's colour scale: its highest score, or its drift threshold if higher.

    Per column, because scores of different columns (bins, sizes) are not on one scale, and
    not the threshold alone: with ``threshold="auto"`` the threshold is the minimum effect,
    which the noise of a small period exceeds, and every cell would be saturated.
    """
    scores = [p.statistic for p in points if p.scored]
    levels = [p.threshold for p in points if p.threshold is not None and math.isfinite(p.threshold)]
    return max([*scores, *levels, 0.0])  # type: ignore[type-var]


def heatmap(columns: Mapping[str, Sequence[PeriodPoint]], *, title: str = "Score per column and period") -> str:
    """A heatmap of columns × periods as an HTML table (no script): colour = score relative to
    the column's highest score (or its threshold if higher), ● where drifted, × where a
    column could not be compared.

    Examples
    --------
    >>> pts = [PeriodPoint("2024-01", 0.01, 0.1, 0.05, "ok"), PeriodPoint("2024-02", 0.4, 0.1, 0.05, "drift", True)]
    >>> table = heatmap({"<x>": pts})
    >>> table.count("<td"), "●" in table, "&lt;x&gt;" in table
    (2, True, True)
    """
    if not columns:
        return ""
    labels = [p.label for p in next(iter(columns.values()))]
    # Label every period when there are few, else about 12 evenly spaced ones.
    every = max(1, math.ceil(len(labels) / 12))
    head = "".join(
        f'<th class="period" colspan="{min(every, len(labels) - i)}" title="{escape(label)}">{escape(label)}</th>'
        for i, label in enumerate(labels)
        if i % every == 0
    )
    rows = []
    for name, points in columns.items():
        top = _scale(points)
        rows.append(f'<tr><th class="col" title="{escape(name)}">{escape(name)}</th>{"".join(_cell(p, top) for p in points)}</tr>')
    legend = (
        '<p class="legend muted">'
        '<span style="background:rgba(198,40,40,0.1)">low score</span>'
        '<span style="background:rgba(198,40,40,1);color:#fff">the column\'s highest score</span>'
        '<span style="background:rgba(198,40,40,0.5);color:#fff">● drifted</span>'
        + "".join(f'<span style="background:{bg}">{escape(mark) or "&nbsp;"} {escape(text)}</span>'
                  for bg, mark, text in _GAP_STYLE.values())
        + f'<span style="background:{COLORS["drift"]};color:#fff">{_UNSCORED_MARK} not compared</span></p>'
    )  # fmt: skip
    return (
        f'<div class="heat-wrap"><table class="heat{" dense" if len(labels) > 60 else ""}" aria-label="{escape(title)}"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{legend}"
    )


def trend_chart(points: Sequence[PeriodPoint], *, title: str = "", width: int = 720, height: int = 200) -> str:
    """A column's score per period (dots coloured by status) against its drift and warn
    thresholds; periods are evenly spaced and gaps break the line. Points that could not
    be compared (missing column, type mismatch) are crosses at the top.

    Examples
    --------
    >>> pts = [PeriodPoint(str(d), 0.01 * d, 0.1, 0.05, "ok") for d in (1, 2, 3)]
    >>> svg = trend_chart(pts, title="x")
    >>> svg.count("<circle"), "<polyline" in svg
    (3, True)
    """
    if not points:
        raise ValueError("a trend chart needs at least one point")
    left, right, top, bottom = 52, 16, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [p.statistic for p in points if p.scored]
    levels = [p.threshold for p in points if p.threshold is not None]
    y_max = max([*values, *levels, 1e-9]) * 1.15  # type: ignore[type-var]
    step = _nice_step(y_max)
    y_max = step * math.ceil(y_max / step)
    n = len(points)

    def x_of(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - min(value, y_max) / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    tick = 0.0
    while tick <= y_max + step / 2:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{COLORS["grid"]}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{COLORS["axis"]}">{_tick_text(tick)}</text>'
        )
        tick += step
    for i in sorted({0, n // 2, n - 1}):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and i else "middle"
        parts.append(
            f'<text x="{x_of(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" fill="{COLORS["axis"]}">'
            f"{escape(points[i].label)}</text>"
        )
    for key, dash, label_x, label in (("threshold", "6 4", 0, "drift threshold"), ("warn_threshold", "2 3", 130, "warn threshold")):
        # A step line: a threshold holds until the period that changed it; none across gaps.
        path = ""
        for i, p in enumerate(points):
            level = getattr(p, key)
            if level is None:
                continue
            half = plot_w / (2 * (n - 1)) if n > 1 else plot_w / 2
            x0, x1 = max(left, x_of(i) - half), min(width - right, x_of(i) + half)
            path += f"M{x0:.1f} {y_of(level):.1f} H{x1:.1f} "
        color = COLORS["drift"] if key == "threshold" else COLORS["warn"]
        if path:
            parts.append(f'<path d="{path.strip()}" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="{dash}"/>')
        parts.append(
            f'<line x1="{left + 190 + label_x}" y1="12" x2="{left + 210 + label_x}" y2="12" stroke="{color}" '
            f'stroke-width="1.5" stroke-dasharray="{dash}"/><text x="{left + 214 + label_x}" y="16">{label}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="12" x2="{left + 20}" y2="12" stroke="{COLORS["reference"]}" stroke-width="2"/>'
        f'<text x="{left + 24}" y="16">score per period</text>'
    )
    segment: list[str] = []
    # A gap at the end closes the last line segment.
    for i, p in enumerate([*points, PeriodPoint("", None, None, None, "empty")]):
        if p.scored:
            segment.append(f"{x_of(i):.1f},{y_of(p.statistic):.1f}")  # type: ignore[arg-type]
            continue
        if len(segment) > 1:
            parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{COLORS["reference"]}" stroke-width="2"/>')
        segment = []
    for i, p in enumerate(points):
        tip = escape(_tip(p))
        if p.scored:
            parts.append(
                f'<g><title>{tip}</title><circle cx="{x_of(i):.1f}" cy="{y_of(p.statistic):.1f}" r="3.5" '  # type: ignore[arg-type]
                f'fill="{COLORS.get(p.status, COLORS["axis"])}"/></g>'
            )
        elif not p.gap:
            x, y = x_of(i), top + 4
            parts.append(
                f'<g><title>{tip}</title><path d="M{x - 4:.1f} {y - 4} L{x + 4:.1f} {y + 4} M{x - 4:.1f} {y + 4} '
                f'L{x + 4:.1f} {y - 4}" stroke="{COLORS.get(p.status, COLORS["axis"])}" stroke-width="2"/></g>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{COLORS["axis"]}"/>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="{COLORS["axis"]}"/>'
        "</svg>"
    )
    return "".join(parts)


def timeline_points(timeline: Timeline) -> dict[str, list[PeriodPoint]]:
    """Each compared column's points, one per period of a timeline."""
    columns: dict[str, list[PeriodPoint]] = {name: [] for name in timeline.columns}
    for period in timeline.periods:
        by_column = {c.column: c for c in period.report} if period.report is not None else {}
        for name, points in columns.items():
            c = by_column.get(name)
            if c is None:
                points.append(PeriodPoint(period.label, None, None, None, period.status, note=f"{period.n_rows} rows"))
            else:
                points.append(PeriodPoint(
                    period.label, c.statistic, c.threshold, c.warn_threshold, c.status, c.drifted,
                    note=f"{c.n_current} rows" + (f" · {c.reason}" if c.reason else ""),
                ))  # fmt: skip
    return columns


def render_timeline_html(timeline: Timeline, *, title: str = "kl_drift timeline") -> str:
    """A timeline as one self-contained HTML page (inline CSS and SVG, no script, no network)."""
    from .html import _badge, _page

    columns = timeline_points(timeline)
    unit = "nats" if timeline.base == math.e else "bits"
    scored = [p for p in timeline.periods if p.status == "scored"]
    cut = (f"{escape(str(timeline.time_column))} by {escape(str(timeline.freq))}" if timeline.time_column is not None
           else f"chunks of {timeline.rows} rows")  # fmt: skip
    reference = {
        "profile": "a given reference",
        "first": f"the first {timeline.reference_periods} period(s)",
        "previous": f"a rolling window of the {timeline.window} previous periods",
    }[timeline.reference]
    decision = (f"threshold='auto' (significance at alpha={timeline.alpha:g}, {escape(timeline.correction)} across columns, "
                "and the minimum effect)" if timeline.threshold_mode == "auto" else "fixed thresholds")  # fmt: skip
    facts = [
        ("Periods", f"{len(timeline.periods)} ({cut}) · {len(scored)} scored · "
                    f"{len(timeline.drifted_periods)} with drift"),
        ("Reference", reference),
        ("Decision", f"{decision}; each period is a separate test, so about alpha × periods false alarms "
                     "are expected on an undrifted table"),
        ("Divergence", f"D({escape(timeline.direction.replace('||', ' ‖ '))}) in {unit}"),
    ]  # fmt: skip
    if timeline.n_unassigned:
        facts.append(("Rows without a time", f"{timeline.n_unassigned} (in no period)"))
    first = {name: first_drifted(points) for name, points in columns.items()}
    never = '<span class="muted">never</span>'
    first_rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(label) if label else never}</td>"
        f'<td class="num">{sum(p.drifted for p in columns[name])}</td></tr>'
        for name, label in first.items()
    )
    body = [
        f"<style>{TIMELINE_CSS}</style>",
        f"<header><h1>{escape(title)}</h1></header>",
        '<section id="summary"><h2>Summary</h2><table class="facts">',
        "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts),
        "</table></section>",
        '<section id="heatmap"><h2>Columns × periods</h2>', heatmap(columns), "</section>",
        '<section id="first-drift"><h2>First drifted period</h2><table><thead><tr><th>column</th>'
        '<th>first drifted</th><th class="num">drifted periods</th></tr></thead>'
        f"<tbody>{first_rows}</tbody></table></section>",
        '<section id="columns"><h2>Per column</h2>',
    ]  # fmt: skip
    for i, (name, points) in enumerate(columns.items()):
        last = next((p for p in reversed(points) if not p.gap), None)
        badge = _badge(last.status) if last is not None else ""
        body.append(
            f'<section class="column" id="col-{i}"><h3>{escape(name)} {badge}</h3>'
            + trend_chart(points, title=f"Score of {name} per period against its thresholds")
            + "</section>"
        )
    body.append("</section>")
    return _page(title, "\n".join(body))


def render_timeline_markdown(timeline: Timeline) -> str:
    """A timeline as Markdown: one row per period, one cell per column (score, 🔴 where drifted).

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> df = pd.DataFrame({"plan": ["a", "b"] * 50 + ["a"] * 100})
    >>> print(render_timeline_markdown(kd.compare_over_time(df, rows=100)).splitlines()[-1])
    | 100:200 | 100 | scored | 🔴 0.6619 |
    """
    from .markdown import escape_markdown

    columns = timeline_points(timeline)
    names = list(columns)
    lines = [
        f"**kl_drift timeline: {len(timeline.drifted_periods)} of "
        f"{sum(p.status == 'scored' for p in timeline.periods)} scored periods with drift**",
        "",
        "First drifted period: "
        + (", ".join(f"{escape_markdown(n)} {escape_markdown(first_drifted(columns[n]) or 'never')}" for n in names) or "—"),
        "",
        "| period | rows | status | " + " | ".join(escape_markdown(n) for n in names) + " |",
        "|---|---:|---|" + "---:|" * len(names),
    ]
    for k, period in enumerate(timeline.periods):
        cells = []
        for name in names:
            p = columns[name][k]
            if p.gap:
                cells.append("")
            elif not p.scored:
                cells.append(escape_markdown(p.status.replace("_", " ")))
            else:
                cells.append(("🔴 " if p.drifted else "") + fmt.number(p.statistic))
        lines.append(f"| {escape_markdown(period.label)} | {period.n_rows} | {period.status.replace('_', ' ')} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines) + "\n"


def render_timeline_text(timeline: Timeline) -> str:
    """A plain-text summary for a terminal: one line per period with its drifted columns.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> df = pd.DataFrame({"plan": ["a", "b"] * 50 + ["a"] * 100})
    >>> print(render_timeline_text(kd.compare_over_time(df, rows=100)))
    kl_drift timeline: 1 of 1 scored periods with drift (reference: the first 1 period(s))
    period   rows  status     drifted columns
    0:100     100  reference
    100:200   100  scored     plan
    """
    from .text import _printable

    scored = sum(p.status == "scored" for p in timeline.periods)
    reference = {"profile": "a given reference", "first": f"the first {timeline.reference_periods} period(s)",
                 "previous": f"a rolling window of {timeline.window} periods"}[timeline.reference]  # fmt: skip
    rows = [(
        _printable(p.label), str(p.n_rows), p.status,
        ", ".join(_printable(c.column, 24) for c in p.report if c.drifted) if p.report is not None else "",
    ) for p in timeline.periods]  # fmt: skip
    header = ("period", "rows", "status", "drifted columns")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [f"kl_drift timeline: {len(timeline.drifted_periods)} of {scored} scored periods with drift (reference: {reference})"]
    for r in [header, *rows]:
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip())
    return "\n".join(lines)
