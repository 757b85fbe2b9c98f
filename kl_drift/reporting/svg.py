"""Inline SVG charts for the HTML reports, written by hand.

Two small charts cover the reports' needs: bars of reference vs current proportions per
bin, and a column's score over time against its thresholds. Generating the SVG text here
keeps reports self-contained and deterministic, needs no plotting dependency, and lets
every user-provided string go through `html.escape` in one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from ._format import percent

__all__ = ["COLORS", "bar_chart", "line_chart", "TrendPoint"]

COLORS = {
    "reference": "#4c78a8",
    "current": "#f58518",
    "ok": "#2e7d32",
    "warn": "#e08a00",
    "drift": "#c62828",
    "missing_column": "#c62828",
    "type_mismatch": "#c62828",
    "skipped": "#888888",
    "identifier": "#888888",
    "grid": "#e3e3e3",
    "axis": "#555555",
}
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="11"'
_MAX_LABEL = 32
# Average glyph width of an 11 px sans-serif font: enough to size the label margin.
_CHAR_WIDTH = 7.0


def _label(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def bar_chart(
    labels: Sequence[str],
    reference: Sequence[float],
    current: Sequence[float],
    *,
    highlight: Sequence[int] = (),
    title: str = "",
    width: int = 720,
) -> str:
    """Horizontal bars of the reference and current proportion of each bin.

    Parameters
    ----------
    labels : sequence of str
        Bin labels (escaped here; long ones are shortened, the full text is in a tooltip).
    reference, current : sequence of float
        Proportions per bin, in [0, 1].
    highlight : sequence of int
        Bins whose label is drawn in bold (those that moved the score most).
    title : str
        Accessible name of the chart.
    width : int, default 720
        Width in pixels; the chart scales down with the page.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = bar_chart(["a", "<b>"], [0.5, 0.5], [0.2, 0.8], title="plan")
    >>> svg.count("<rect"), "&lt;b&gt;" in svg, "<b>" in svg
    (6, True, False)
    """
    if not (len(labels) == len(reference) == len(current)):
        raise ValueError("`labels`, `reference` and `current` must have the same length")
    bar, gap = 9, 9
    row = 2 * bar + 1 + gap
    top = 30
    left = 12 + _CHAR_WIDTH * min(max((len(x) for x in labels), default=1), _MAX_LABEL)
    plot = max(width - left - 60, 50)
    height = top + row * len(labels) + 4
    scale = max([*reference, *current, 1e-12])
    bold = set(highlight)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left:.1f}" y="6" width="10" height="10" fill="{COLORS["reference"]}"/>',
        f'<text x="{left + 14:.1f}" y="15">reference</text>',
        f'<rect x="{left + 90:.1f}" y="6" width="10" height="10" fill="{COLORS["current"]}"/>',
        f'<text x="{left + 104:.1f}" y="15">current</text>',
        f'<line x1="{left:.1f}" y1="{top - 4}" x2="{left:.1f}" y2="{height - 2}" stroke="{COLORS["axis"]}"/>',
    ]
    for i, (name, ref, cur) in enumerate(zip(labels, reference, current)):
        y = top + i * row
        weight = ' font-weight="bold"' if i in bold else ""
        parts.append(
            f"<g><title>{escape(name)}: reference {percent(ref)}, current {percent(cur)}</title>"
            f'<text x="{left - 6:.1f}" y="{y + bar + 4}" text-anchor="end"{weight}>{escape(_label(name))}</text>'
        )
        for offset, value, key in ((0, ref, "reference"), (bar + 1, cur, "current")):
            length = plot * value / scale
            parts.append(
                f'<rect x="{left:.1f}" y="{y + offset}" width="{length:.1f}" height="{bar}" fill="{COLORS[key]}"/>'
                f'<text x="{left + length + 4:.1f}" y="{y + offset + bar - 1}" fill="#333">{percent(value)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class TrendPoint:
    """One run of one column in a trend chart."""

    at: datetime
    statistic: float | None
    threshold: float
    warn_threshold: float
    status: str
    note: str = ""


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _tick_text(value: float) -> str:
    return f"{value:.3g}"


def line_chart(points: Sequence[TrendPoint], *, title: str = "", width: int = 720, height: int = 220) -> str:
    """A column's score per run (dots coloured by status) against its drift and warn thresholds.

    Runs without a score (missing column, type mismatch) are drawn as crosses at the top.

    Examples
    --------
    >>> from datetime import datetime
    >>> pts = [TrendPoint(datetime(2026, 7, d), 0.01 * d, 0.1, 0.05, "ok") for d in (1, 2, 3)]
    >>> svg = line_chart(pts, title="x")
    >>> svg.count("<circle"), "<polyline" in svg
    (3, True)
    """
    if not points:
        raise ValueError("a trend chart needs at least one point")
    left, right, top, bottom = 52, 16, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [p.statistic for p in points if p.statistic is not None and math.isfinite(p.statistic)]
    y_max = max([*values, *(p.threshold for p in points), 1e-9]) * 1.15
    step = _nice_step(y_max)
    y_max = step * math.ceil(y_max / step)
    times = [p.at.timestamp() for p in points]
    t0, t1 = min(times), max(times)

    def x_of(i: int) -> float:
        if t1 > t0:
            return left + plot_w * (times[i] - t0) / (t1 - t0)
        return left + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

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
    picks = sorted({0, len(points) // 2, len(points) - 1})
    # Daily runs read best as dates; runs close together need the time of day to tell apart.
    stamp = "%Y-%m-%d" if t1 - t0 >= 3 * 86400 else "%Y-%m-%d %H:%M:%S"
    for i in picks:
        anchor = "start" if i == 0 and len(picks) > 1 else "end" if i == len(points) - 1 and i else "middle"
        parts.append(
            f'<text x="{x_of(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" fill="{COLORS["axis"]}">'
            f"{points[i].at.strftime(stamp)}</text>"
        )
    for key, dash, label_x, label in (
        ("threshold", "6 4", 0, "drift threshold"),
        ("warn_threshold", "2 3", 130, "warn threshold"),
    ):
        # A step line across the plot: a threshold holds until the run that changed it.
        path = f"M{left} {y_of(getattr(points[0], key)):.1f}"
        for i, p in enumerate(points[1:], start=1):
            path += f" H{x_of(i):.1f} V{y_of(getattr(p, key)):.1f}"
        path += f" H{width - right}"
        color = COLORS["drift"] if key == "threshold" else COLORS["warn"]
        parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="{dash}"/>')
        parts.append(
            f'<line x1="{left + 190 + label_x}" y1="12" x2="{left + 210 + label_x}" y2="12" stroke="{color}" '
            f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
            f'<text x="{left + 214 + label_x}" y="16">{label}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="12" x2="{left + 20}" y2="12" stroke="{COLORS["reference"]}" stroke-width="2"/>'
        f'<text x="{left + 24}" y="16">score per run</text>'
    )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, p in enumerate(points):
        if p.statistic is None or not math.isfinite(p.statistic):
            segments.append(segment)
            segment = []
        else:
            segment.append(f"{x_of(i):.1f},{y_of(p.statistic):.1f}")
    segments.append(segment)
    for run in segments:
        if len(run) > 1:
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{COLORS["reference"]}" stroke-width="2"/>'
            )
    for i, p in enumerate(points):
        color = COLORS.get(p.status, COLORS["axis"])
        tip = f"{p.at.strftime('%Y-%m-%d %H:%M:%S')} · {p.status}"
        if p.statistic is not None:
            tip += f" · score {p.statistic:.4g} (threshold {p.threshold:.4g})"
        if p.note:
            tip += f" · {p.note}"
        if p.statistic is None or not math.isfinite(p.statistic):
            x, y = x_of(i), top + 4
            parts.append(
                f'<g><title>{escape(tip)}</title><path d="M{x - 4:.1f} {y - 4} L{x + 4:.1f} {y + 4} '
                f'M{x - 4:.1f} {y + 4} L{x + 4:.1f} {y - 4}" stroke="{color}" stroke-width="2"/></g>'
            )
        else:
            parts.append(
                f'<g><title>{escape(tip)}</title><circle cx="{x_of(i):.1f}" cy="{y_of(p.statistic):.1f}" r="3.5" '
                f'fill="{color}"/></g>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{COLORS["axis"]}"/>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="{COLORS["axis"]}"/>'
        "</svg>"
    )
    return "".join(parts)
