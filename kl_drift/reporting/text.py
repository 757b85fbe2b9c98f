"""The plain-text summary the CLI prints: a verdict line and an aligned table."""

from __future__ import annotations

from collections.abc import Sequence

from ..report import DriftReport
from . import _format as fmt
from .history import HistoryRow

__all__ = ["render_text", "render_history_text"]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(cell).rjust(widths[i]) if i in numeric else str(cell).ljust(widths[i]) for i, cell in enumerate(cells)
        ).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _printable(text: str, limit: int = 40) -> str:
    # Column names can hold anything; keep the terminal table on one line per column.
    flat = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_text(report: DriftReport, *, reference: str, current: Sequence[str]) -> str:
    """Verdict, inputs and one aligned row per column, most severe first.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> report = kd.compare(pd.DataFrame({"plan": ["a", "b"] * 50}), pd.DataFrame({"plan": ["a"] * 100}))
    >>> print(render_text(report, reference="ref.csv", current=["today.csv"]))  # doctest: +ELLIPSIS
    Drift in 1 of 1 compared columns
    reference: ref.csv (100 rows)
    current:   today.csv (100 rows)
    <BLANKLINE>
    column  status  KL      threshold  p-value  rows ref.  rows cur.  what changed most
    plan    drift   0.6...
    """
    rows = []
    for c in fmt.ordered(report):
        note = _printable(fmt.what_changed(c, arrow="->"), 90)
        rows.append(
            [
                _printable(c.column), c.status, fmt.number(c.statistic), fmt.number(c.threshold),
                fmt.pvalue(c.pvalue), fmt.count(c.n_reference), fmt.count(c.n_current), note,
            ]
        )  # fmt: skip
    header = ["column", "status", fmt.short_name(report), "threshold", "p-value", "rows ref.", "rows cur.",
              "what changed most"]  # fmt: skip
    shown = ", ".join(_printable(p, 80) for p in current[:3])
    if len(current) > 3:
        shown += f" and {len(current) - 3} more"
    lines = [
        fmt.verdict(report),
        f"reference: {_printable(reference, 120)} ({fmt.count(report.n_reference)} rows)",
        f"current:   {shown} ({fmt.count(report.n_current)} rows)",
        "",
        *_table(header, rows, numeric={2, 3, 4, 5, 6}),
    ]
    if report.pairs:
        # Joint drift: decided on the interaction, the part of the pair's KL that the two
        # columns' own changes do not explain (docs/pairs.md).
        severity = {"drift": 0, "warn": 1, "ok": 2}
        pairs = sorted(report.pairs.values(), key=lambda p: (severity.get(p.status, 3), -(p.interaction or 0.0)))
        pair_rows = [
            [
                _printable(f"{p.columns[0]} × {p.columns[1]}", 60), p.status, fmt.number(p.statistic),
                fmt.number(p.interaction), fmt.number(p.threshold), fmt.pvalue(p.pvalue_adjusted),
                _printable(p.explanations[0] if p.explanations else (p.reason or ""), 90),
            ]
            for p in pairs
        ]  # fmt: skip
        pair_header = ["pair", "status", fmt.short_name(report), "interaction", "threshold", "p-value", "what changed most"]
        lines += ["", *_table(pair_header, pair_rows, numeric={2, 3, 4, 5})]
    return "\n".join(lines)


def render_history_text(rows: Sequence[HistoryRow]) -> str:
    """One line per run and column, grouped by column (in order of first record), oldest first.

    Examples
    --------
    >>> row = HistoryRow("r1", "2026-07-01T00:00:00.000000+00:00", "2026-07-01T00:00:01.000000+00:00",
    ...                  "sha256:0", "ref.json", "day1.csv", "x", "numeric", "ok", False, 0.01, 0.1, 0.05,
    ...                  0.5, 0.001, 100, 100, 0.0, 0.0, "current||reference", "nats", 0.5, False, "0.1.0")
    >>> print(render_history_text([row]))
    column  as of (UTC)          status  score  threshold  p-value  rows cur.  current
    x       2026-07-01 00:00:00  ok       0.01        0.1    0.500        100  day1.csv
    """
    if not rows:
        return "no runs recorded for this selection"
    first_seen = {name: i for i, name in reversed(list(enumerate(r.column_name for r in rows)))}
    ordered = sorted(rows, key=lambda r: first_seen[r.column_name])  # stable: runs stay in time order
    table = [
        [
            _printable(r.column_name), r.when[:19].replace("T", " "), r.status, fmt.number(r.statistic),
            fmt.number(r.threshold), fmt.pvalue(r.pvalue), fmt.count(r.n_current), _printable(r.current_source, 60),
        ]
        for r in ordered
    ]  # fmt: skip
    header = ["column", "as of (UTC)", "status", "score", "threshold", "p-value", "rows cur.", "current"]
    return "\n".join(_table(header, table, numeric={3, 4, 5, 6}))
