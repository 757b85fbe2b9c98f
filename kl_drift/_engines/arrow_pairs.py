"""Column pairs of Parquet/CSV data larger than memory: pair counts added batch by batch.

Pair counts add like column counts (:mod:`kl_drift.pairs`), so a stream is counted one
record batch at a time, each batch's rows placed in the pairs' 2-D bins by the pandas code
(:func:`kl_drift.pairs.group_codes`) and thrown away. Only the pairs' columns are read.

* :func:`profile_pairs` adds pair counts to a profile fitted on the stream
  (``kd.profile_dataset(..., pairs=...)``). ``pairs="auto"`` ranks the same sample rows
  (positions in the stream's row order) as ``kd.profile`` of the whole table, fetched in
  a first pass; the chosen pairs are counted in a second. Named pairs take one pass.
* :func:`compare_pairs` counts a current stream into a profile's pairs and scores them
  (``kd.compare_dataset``), one pass over the pairs' columns besides the column count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._core.pairs import DEFAULT_MAX_PAIRS, PairCounts, pair_table

if TYPE_CHECKING:
    from ..counts import CountTable
    from ..profile import ReferenceProfile
    from ..report import DriftReport

__all__ = ["profile_pairs", "count_pairs", "compare_pairs"]


def _frames(source: Any, names: Sequence[str], format: Any, batch_size: int) -> Iterator[pd.DataFrame]:
    from ..dataset import open_dataset

    dataset = open_dataset(source, format=format)
    present = [n for n in dict.fromkeys(names) if n in dataset.schema.names]
    for batch in dataset.to_batches(columns=present, batch_size=batch_size):
        if batch.num_rows:
            yield batch.to_pandas()


def _sample(source: Any, format: Any, batch_size: int) -> Any:
    """`plan_pairs`' sample function on a stream: the rows at the given positions."""

    def sample(names: Sequence[str], rows: NDArray[np.intp] | None) -> Mapping[str, pd.Series]:
        pieces: dict[str, list[pd.Series]] = {name: [] for name in names}
        start = 0
        for frame in _frames(source, names, format, batch_size):
            stop = start + len(frame)
            local = None if rows is None else rows[np.searchsorted(rows, start) : np.searchsorted(rows, stop)] - start
            for name in names:
                pieces[name].append(frame[name] if local is None else frame[name].iloc[local])
            start = stop
        return {name: pd.concat(parts, ignore_index=True) for name, parts in pieces.items()}

    return sample


def count_pairs(
    reference: ReferenceProfile, source: Any, pairs: Sequence[PairCounts], *, format: Any = None, batch_size: int
) -> tuple[PairCounts, ...]:
    """The pairs of `reference` holding the counts of the stream `source`, batch by batch.

    Pairs whose columns the stream lacks are left out (the column counts say why).
    """
    from ..pairs import group_codes

    names = [name for pair in pairs for name in pair.columns]
    tables = {pair.columns: np.zeros(pair.table.shape, dtype=np.int64) for pair in pairs}
    present: set[str] | None = None
    for frame in _frames(source, names, format, batch_size):
        present = set(frame.columns)
        codes: dict[tuple[str, tuple[int, ...]], NDArray[np.uint8]] = {}
        for pair in pairs:
            if not present.issuperset(pair.columns):
                continue
            for name, groups in zip(pair.columns, pair.groups):
                if (name, groups) not in codes:
                    codes[(name, groups)] = group_codes(frame[name], reference[name], groups)
            cx, cy = (codes[(n, g)] for n, g in zip(pair.columns, pair.groups))
            tables[pair.columns] += pair_table(cx, cy, pair.table.shape)
    return tuple(p.with_counts(tables[p.columns]) for p in pairs if present is None or present.issuperset(p.columns))


def profile_pairs(
    prof: ReferenceProfile,
    source: Any,
    pairs: Any,
    *,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    format: Any = None,
    batch_size: int,
) -> ReferenceProfile:
    """`prof` (fitted on the stream `source`) with the pair counts of `pairs` ("auto" or named)."""
    from ..pairs import plan_pairs
    from ..profile import ReferenceProfile

    empty = plan_pairs(prof.columns, pairs, prof.n_rows, _sample(source, format, batch_size), max_pairs=max_pairs)
    counted = count_pairs(prof, source, empty, format=format, batch_size=batch_size)
    settings = dict(prof.settings)
    settings["pairs"] = pairs if isinstance(pairs, str) else [list(p.columns) for p in counted]
    return ReferenceProfile(prof.columns, prof.n_rows, settings=settings, pairs=counted)


def compare_pairs(
    report: DriftReport,
    reference: ReferenceProfile,
    source: Any,
    table: CountTable,
    pairs: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int,
    **compare_options: Any,
) -> DriftReport:
    """`report` (``compare`` of the stream's column counts `table`) with the pairs scored.

    `pairs` as in :func:`kl_drift.compare`: None compares every pair the profile holds
    (those of two of `columns` when given), "auto" the same, or the pairs named.
    """
    from .._options import CompareOptions
    from ..pairs import attach_pairs, chosen_pairs

    chosen = chosen_pairs(reference, pairs, columns)
    if not chosen:
        return report
    problems = {c.name for c in table.columns.values() if c.problem is not None}
    countable = [p for p in chosen if problems.isdisjoint(p.columns)]
    counted = count_pairs(reference, source, countable, format=format, batch_size=batch_size)
    opts = CompareOptions.resolve(**compare_options)
    return attach_pairs(report, reference, counted, table, pairs, opts, columns=columns)
