"""Text and tables for Data Docs: what the expectations promise and what drove a result.

The expectation classes register GE renderers that call these functions, so the wording
lives in one place and can be tested without building a site.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from great_expectations.render import RenderedBulletListContent, RenderedStringTemplateContent, RenderedTableContent

from .._options import DEFAULT_MIN_EFFECT, DEFAULT_THRESHOLDS
from ..reporting._format import beyond as beyond_text
from ..reporting._format import pvalue as pvalue_text

__all__ = [
    "MEASURES",
    "column_sentence",
    "table_sentence",
    "observed_text",
    "table_observed_text",
    "top_bins_table",
    "explanation_blocks",
    "string_block",
]

# How each direction is named in a sentence; the default, D(current || reference), is "KL drift".
MEASURES = {
    "current||reference": "KL drift",
    "reference||current": "reverse KL drift",
    "symmetric": "symmetric KL (PSI) drift",
    "js": "Jensen-Shannon drift",
}


def _number(value: float) -> str:
    return f"{value:.4g}"


def _percent(value: Any) -> str:
    return f"{100 * float(value):.1f}%" if isinstance(value, (int, float)) else "—"


def _level_text(threshold: float | str | None, direction: str, base: float, alpha: float, min_effect: float | None) -> str:
    """The level a score must stay under, as words: a number, or for "auto" the effect and alpha."""
    unit = " bits" if base == 2 else ""
    if threshold == "auto":
        effect = min_effect if min_effect is not None else DEFAULT_MIN_EFFECT[direction] / math.log(base)
        return f"less than {_number(effect)}{unit} or not significant at alpha {alpha:g}"
    level = float(threshold) if threshold is not None else DEFAULT_THRESHOLDS[direction][0] / math.log(base)
    return f"less than {_number(level)}{unit}"


def column_sentence(
    column: str,
    *,
    threshold: float | str | None,
    direction: str,
    base: float,
    alpha: float = 0.05,
    min_effect: float | None = None,
) -> str:
    """What a column expectation promises.

    Examples
    --------
    >>> column_sentence("age", threshold=0.1, direction="current||reference", base=math.e)
    'column age: KL drift from the reference must be less than 0.1'
    >>> column_sentence("age", threshold="auto", direction="symmetric", base=2)
    'column age: symmetric KL (PSI) drift from the reference must be less than 0.02885 bits or not significant at alpha 0.05'
    """
    level = _level_text(threshold, direction, base, alpha, min_effect)
    return f"column {column}: {MEASURES[direction]} from the reference must be {level}"


def table_sentence(
    columns: Sequence[str],
    *,
    drift_share: float | None,
    threshold: float | str | None,
    direction: str,
    base: float,
    alpha: float = 0.05,
    min_effect: float | None = None,
) -> str:
    """What a table expectation promises.

    Examples
    --------
    >>> table_sentence(["age", "plan"], drift_share=None, threshold=0.1, direction="current||reference", base=math.e)
    'every column (age, plan): KL drift from the reference must be less than 0.1'
    >>> table_sentence(["age", "plan"], drift_share=0.5, threshold=0.1, direction="current||reference", base=math.e)
    'fewer than 50% of the columns (age, plan) may drift; a column drifts unless its KL drift from the reference is less than 0.1'
    """
    level = _level_text(threshold, direction, base, alpha, min_effect)
    names = ", ".join(columns)
    if drift_share is None:
        return f"every column ({names}): {MEASURES[direction]} from the reference must be {level}"
    return (
        f"fewer than {100 * drift_share:g}% of the columns ({names}) may drift; "
        f"a column drifts unless its {MEASURES[direction]} from the reference is {level}"
    )


def observed_text(details: Mapping[str, Any] | None, observed_value: Any) -> str:
    """The observed value of a column result: the score and its p-value, or why there is none.

    Examples
    --------
    >>> observed_text({"status": "drift", "pvalue": 1e-12, "n_current": 500}, 0.31234)
    '0.3123 (drift, p-value 1.0e-12, 500 rows)'
    >>> observed_text({"status": "drift", "pvalue": 0.0, "n_current": 500}, 2.5)
    '2.5 (drift, p-value <1e-300, 500 rows)'
    >>> observed_text({"status": "drift", "pvalue": 0.0, "n_current": 500, "out_of_range_fraction": 0.996}, 8.3)
    '8.3 (drift, p-value <1e-300, 500 rows, 99.6% out of range)'
    """
    details = details or {}
    status = details.get("status")
    if observed_value is None:
        return str(details.get("reason") or status or "--")
    pvalue = details.get("pvalue")
    parts = [str(status)] if status else []
    if isinstance(pvalue, (int, float)):
        # As the CLI and reports print it: a p-value below the float floor is "<1e-300", not 0.
        parts.append(f"p-value {pvalue_text(float(pvalue))}")
    if "n_current" in details:
        parts.append(f"{details['n_current']} rows")
    # What lies beyond the reference: values outside its range, or new values (judged
    # against the share sampling alone leaves unseen).
    out_of_range, novel = details.get("out_of_range_fraction"), details.get("novel_fraction")
    if isinstance(out_of_range, (int, float)) and out_of_range > 0:
        parts.append(beyond_text(None, None, float(out_of_range)))
    elif isinstance(novel, (int, float)) and novel > 0:
        expected = details.get("expected_novel_fraction")
        parts.append(beyond_text(float(novel), float(expected) if isinstance(expected, (int, float)) else None, None))
    return f"{_number(float(observed_value))} ({', '.join(parts)})" if parts else _number(float(observed_value))


def table_observed_text(details: Mapping[str, Any] | None) -> str:
    """The observed value of a table result: which columns drifted.

    Examples
    --------
    >>> table_observed_text({"drifted_columns": ["age"], "columns": [{"column": "age"}, {"column": "plan"}]})
    '1 of 2 columns drifted: age'
    """
    details = details or {}
    columns = details.get("columns") or []
    drifted = details.get("drifted_columns") or []
    text = f"{len(drifted)} of {len(columns)} columns drifted"
    return f"{text}: {', '.join(drifted)}" if drifted else text


def _rows(column: Mapping[str, Any], with_name: bool) -> list[list[RenderedStringTemplateContent]]:
    rows = []
    for top in column.get("top_contributions") or []:
        cells = [
            str(top["bin"]),
            _percent(top["reference_proportion"]),
            _percent(top["current_proportion"]),
            _number(float(top["contribution"])),
        ]
        if with_name:
            cells.insert(0, str(column.get("column")))
        # Bin labels and column names come from the data: as template params GE escapes them.
        rows.append([string_block(cell) for cell in cells])
    return rows


def top_bins_table(columns: Sequence[Mapping[str, Any]], *, with_name: bool) -> RenderedTableContent | None:
    """A "top contributing bins" table for the given column details (None if there are none)."""
    rows = [row for column in columns for row in _rows(column, with_name)]
    if not rows:
        return None
    header = ["bin", "reference", "current", "contribution"]
    return RenderedTableContent(
        content_block_type="table",
        header=RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": "Top contributing bins", "tag": "h6"},
        ),
        header_row=["column", *header] if with_name else header,
        table=rows,
        styling={"body": {"classes": ["table-bordered", "table-sm", "mt-3"]}},
    )


def explanation_blocks(columns: Sequence[Mapping[str, Any]], *, with_name: bool) -> list[RenderedBulletListContent]:
    """The core's sentences on what moved (``explanations``): one bulleted list, a sentence per item.

    Inline string blocks would run together on the page with no separator.
    """
    sentences = [
        string_block(f"{column.get('column')}: {sentence}" if with_name else str(sentence))
        for column in columns
        for sentence in column.get("explanations") or []
    ]
    if not sentences:
        return []
    header = RenderedStringTemplateContent(
        content_block_type="string_template", string_template={"template": "What moved", "tag": "h6"}
    )
    return [RenderedBulletListContent(bullet_list=sentences, header=header)]


def string_block(text: str) -> RenderedStringTemplateContent:
    """A plain sentence as a Data Docs block (``$`` in column names left alone)."""
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={"template": "$text", "params": {"text": text}},
    )
