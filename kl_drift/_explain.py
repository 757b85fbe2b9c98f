"""Plain-language explanations of a column's drift, from its bins and proportions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._core.bins import BinSpec, CategoricalBins, NumericBins

# Bins whose share moved by less than this are not worth a sentence.
_MIN_CHANGE = 0.001


def _pct(share: float) -> str:
    return f"{share:.1%}"


def _numeric_bin(spec: NumericBins, index: int) -> str:
    edges = spec.edge_labels
    noun = "dates" if spec.datetime else "values"
    if not edges:
        return noun
    if spec.has_range and index == spec.below_bins:
        return f"{noun} in [{edges[index - 1]}, {edges[index]}]"
    if index == 0:
        return f"{noun} at or below {edges[0]}"
    if index == len(edges):
        return f"{noun} above {edges[-1]}"
    return f"{noun} in ({edges[index - 1]}, {edges[index]}]"


def _beyond(spec: NumericBins, index: int, share: float) -> str | None:
    """The sentence for a bin wholly beyond the reference range, or None."""
    labels = spec.range_labels
    if labels is None:
        return None
    noun = "dates" if spec.datetime else "values"
    n_values = len(spec.edges) + 1
    if index < spec.below_bins:
        return f"{_pct(share)} of {noun} lie below the reference minimum {labels[0]}"
    if index >= n_values - spec.above_bins:
        return f"{_pct(share)} of {noun} lie above the reference maximum {labels[1]}"
    return None


def _describe_bin(spec: BinSpec, index: int) -> str:
    if isinstance(spec, NumericBins):
        return _numeric_bin(spec, index)
    if index < len(spec.categories):
        return f"category {spec.categories[index]!r}"
    return f"categories outside the reference's top {len(spec.categories)}"


def _examples(unseen: Sequence[tuple[Any, int]], n_current: int) -> str:
    if not unseen:
        return ""
    shown = ", ".join(f"{value!r} {_pct(count / n_current)}" for value, count in unseen)
    return f" (e.g. {shown})"


def explain(
    spec: BinSpec,
    reference_proportions: Sequence[float],
    current_proportions: Sequence[float],
    contributions: Sequence[float],
    *,
    unseen_examples: Sequence[tuple[Any, int]] = (),
    n_current: int = 0,
    expected_novel: float | None = None,
    top: int = 3,
    order: Sequence[int] | None = None,
) -> tuple[str, ...]:
    """Sentences for the bins that contributed most to the score, largest first.

    Examples
    --------
    >>> spec = CategoricalBins(("web", "app"))
    >>> explain(spec, [0.6, 0.4, 0, 0], [0.3, 0.5, 0.2, 0], [0.2, 0.1, 0.5, 0],
    ...         unseen_examples=[("XL", 20)], n_current=100)
    ("new values the reference never had appeared in 20.0% of rows (e.g. 'XL' 20.0%)", "category 'web' fell from 60.0% to 30.0%", "category 'app' rose from 40.0% to 50.0%")
    """
    # Largest first, ties by position: Python's sort is stable, so the key alone does it.
    # `order`, when given, is that order already (a stable argsort of many columns' terms),
    # where bins that moved less than _MIN_CHANGE may be left out.
    if order is None:
        order = sorted(range(len(contributions)), key=[-abs(c) for c in contributions].__getitem__)
    missing_index = len(contributions) - 1
    unseen_index = spec.unseen_index if isinstance(spec, CategoricalBins) else None
    sentences: list[str] = []
    for i in order:
        if len(sentences) == top:
            break
        before, after = reference_proportions[i], current_proportions[i]
        if abs(after - before) < _MIN_CHANGE:
            continue
        beyond = _beyond(spec, i, after) if isinstance(spec, NumericBins) and i != missing_index else None
        if beyond is not None:
            sentences.append(beyond)
        elif i == missing_index:
            sentences.append(f"missing rate {'rose' if after > before else 'fell'} from {_pct(before)} to {_pct(after)}")
        elif i == unseen_index and expected_novel is not None:
            sentences.append(
                f"{_pct(after)} of rows are values the reference lacks; about {_pct(expected_novel)} is expected "
                "from sampling alone" + _examples(unseen_examples, n_current)
            )
        elif i == unseen_index:
            sentences.append(
                f"new values the reference never had appeared in {_pct(after)} of rows"
                + _examples(unseen_examples, n_current)
            )
        elif before == 0:
            sentences.append(f"{_describe_bin(spec, i)}, absent from the reference, appeared in {_pct(after)} of rows")
        elif after == 0:
            sentences.append(f"{_describe_bin(spec, i)} disappeared (was {_pct(before)} of the reference)")
        else:
            verb = "rose" if after > before else "fell"
            sentences.append(f"{_describe_bin(spec, i)} {verb} from {_pct(before)} to {_pct(after)}")
    return tuple(sentences)
