"""Inline SVG charts for the HTML reports, written by hand.

Bars of reference vs current proportions per bin, and the axis helpers the score-over-time
charts of `kl_drift.reporting.timeline` share. Generating the SVG text here
keeps reports self-contained and deterministic, needs no plotting dependency, and lets
every user-provided string go through `html.escape` in one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ._format import percent

__all__ = ["COLORS", "bar_chart"]

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


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _tick_text(value: float) -> str:
    return f"{value:.3g}"
