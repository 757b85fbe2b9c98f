"""Column pairs of Parquet/CSV data larger than memory: pair counts added batch by batch.

Pair counts add like column counts (:mod:`kl_drift.pairs`), so a stream is counted one
record batch at a time, each batch's rows placed in the pairs' 2-D bins by the pandas code
(:func:`kl_drift.pairs.group_codes`) and thrown away. Only the pairs' columns are read.

* :func:`profile_pairs` adds pair counts to a profile fitted on the stream
  (``kd.profile_dataset(..., pairs=...)``). ``pairs="auto"`` ranks the same sample rows
  (positions in the stream's row order) as ``kd.profile`` of the whole table; the chosen
  pairs are counted in a pass of their own. Where the profile has a second pass (its
  sample does not hold every row: :func:`kl_drift._engines.arrow.fit`), :class:`FitPairs`
  does what it can in it: it fetches the ranking sample for ``"auto"``, and counts named
  pairs there outright — on the columns' full bins, since a pair's groups come from the
  reference counts that pass is still counting, then merged into the groups (a group is a
  set of bins, so the cells add up exactly). Otherwise the sample is fetched in a pass of
  its own, and named pairs take one pass.
* :class:`PairTally` counts a current stream into a profile's pairs in the same pass as
  its columns (``kd.count_dataset`` / ``kd.compare_dataset``): it is the column count's
  :class:`~kl_drift._engines.arrow_count.BatchHook`, so each batch is read once, its pair
  columns' group codes computed on the counting threads beside the column counts, and the
  cells added after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from .._core.pairs import DEFAULT_MAX_PAIRS, PairCounts, pair_table

if TYPE_CHECKING:
    from ..counts import CountTable
    from ..profile import ColumnProfile, ReferenceProfile

__all__ = ["profile_pairs", "count_pairs", "PairTally"]


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
    fitted: FitPairs | None = None,
) -> ReferenceProfile:
    """`prof` (fitted on the stream `source`) with the pair counts of `pairs` ("auto" or named).

    `fitted`: the :class:`FitPairs` that `prof`'s fit was given, with what it gathered in
    the fit's second pass (if there was one).
    """
    from ..pairs import plan_pairs
    from ..profile import ReferenceProfile

    gathered = fitted is not None and fitted.ran
    sample = fitted.sample if gathered and fitted.rows is not None else _sample(source, format, batch_size)  # type: ignore[union-attr]
    empty = plan_pairs(prof.columns, pairs, prof.n_rows, sample, max_pairs=max_pairs)
    counted = fitted.coarse(empty) if gathered else None  # type: ignore[union-attr]
    if counted is None:
        counted = _count_pass(prof, source, empty, format=format, batch_size=batch_size)
    settings = dict(prof.settings)
    settings["pairs"] = pairs if isinstance(pairs, str) else [list(p.columns) for p in counted]
    return ReferenceProfile(prof.columns, prof.n_rows, settings=settings, pairs=counted)


def _count_pass(
    reference: ReferenceProfile, source: Any, pairs: Sequence[PairCounts], *, format: Any = None, batch_size: int
) -> tuple[PairCounts, ...]:
    """:func:`count_pairs` through the column count's reader and :class:`PairTally`."""
    from .arrow_count import count_files
    from .arrow_survey import Survey
    from .files import find_files

    survey = Survey.of(find_files(source, format=format))
    tally = PairTally(reference, pairs)
    count_files(survey.files, [], batch_size=batch_size, hook=tally)
    return tuple(p for p in tally.result() if set(p.columns) <= set(survey.names))


class FitPairs:
    """What a profile's second pass can do for its pairs (the fit's hook, see the module notes).

    Named pairs: their cells on the columns' full bins (checked first: a column that is not
    profiled is an error before the pass). ``"auto"``: the rows at the ranking sample's
    positions, of the columns ``"auto"`` ranks.
    """

    def __init__(self, pairs: Any, max_pairs: int) -> None:
        self.pairs, self.max_pairs = pairs, max_pairs
        self.rows: NDArray[np.intp] | None = None
        self.tally: PairTally | None = None
        self.gather: _SampleRows | None = None

    @property
    def ran(self) -> bool:
        """Whether the second pass ran with this hook."""
        return (self.tally is not None and self.tally.batches > 0) or (self.gather is not None and self.gather.batches > 0)

    def __call__(self, columns: tuple[ColumnProfile, ...], n_rows: int) -> Any:
        from ..pairs import auto_columns, plan_pairs, sample_rows
        from ..profile import ReferenceProfile

        if isinstance(self.pairs, str):
            usable = auto_columns(columns)
            if self.pairs != "auto" or len(usable) < 2:
                return None
            rows = sample_rows(n_rows)
            self.rows = np.arange(n_rows) if rows is None else rows
            self.gather = _SampleRows([c.name for c in usable], self.rows)
            return self.gather

        def no_sample(names: Any, rows: Any) -> Any:  # pragma: no cover - named pairs need none
            raise AssertionError

        planned = plan_pairs(columns, self.pairs, n_rows, no_sample, max_pairs=self.max_pairs)
        index = {c.name: c for c in columns}
        if any(index[name].bins.n_bins > 255 for p in planned for name in p.columns):  # type: ignore[union-attr]
            return None  # bin codes are bytes
        full = []
        for p in planned:
            bins = tuple(tuple(range(index[name].bins.n_bins)) for name in p.columns)  # type: ignore[union-attr]
            full.append(PairCounts(p.columns, bins, ((0,) * len(bins[1]),) * len(bins[0])))  # type: ignore[arg-type]
        self.tally = PairTally(ReferenceProfile(columns, n_rows), full)
        return self.tally

    def sample(self, names: Sequence[str], rows: NDArray[np.intp] | None) -> Mapping[str, pd.Series]:
        """`plan_pairs`' sample function: the rows gathered in the second pass."""
        assert self.gather is not None
        return self.gather.frame(names)

    def coarse(self, pairs: Sequence[PairCounts]) -> tuple[PairCounts, ...] | None:
        """The named `pairs` (final groups) holding the full-bin cells merged into their groups;
        None when some pair was not counted (then it takes a pass of its own)."""
        if self.tally is None:
            return None
        full = {p.columns: p.table for p in self.tally.result()}
        if any(p.columns not in full for p in pairs):
            return None
        out = []
        for p in pairs:
            gx, gy = (np.eye(max(g) + 1, dtype=np.int64)[np.asarray(g)] for g in p.groups)
            out.append(p.with_counts(gx.T @ full[p.columns] @ gy))
        return tuple(out)


class _SampleRows:
    """A ``BatchHook`` keeping the rows at sorted positions `rows` of the stream, as pandas."""

    def __init__(self, names: Sequence[str], rows: NDArray[np.intp]) -> None:
        self.columns, self.rows = list(names), rows
        self.batches = self.start = 0
        self.pieces: list[pd.DataFrame] = []

    def jobs(self, batch: pa.RecordBatch) -> list[Callable[[], None]]:
        from .arrow_values import to_frame

        start, self.start = self.start, self.start + batch.num_rows
        self.batches += 1
        local = self.rows[np.searchsorted(self.rows, start) : np.searchsorted(self.rows, self.start)] - start
        if not len(local):
            return []
        present = [n for n in self.columns if batch.schema.get_field_index(n) >= 0]
        return [lambda: self.pieces.append(to_frame(batch.select(present).take(pa.array(local))))]

    def done(self) -> None:
        pass

    def frame(self, names: Sequence[str]) -> dict[str, pd.Series]:
        whole = pd.concat(self.pieces, ignore_index=True) if self.pieces else pd.DataFrame()
        return {name: whole[name] if name in whole else pd.Series([None] * len(whole), dtype=object) for name in names}


class PairTally:
    """Pair cells of a stream's batches, counted in the column count's pass (a ``BatchHook``).

    Each batch's files hold the columns in their own types: a paired column is converted to
    pandas as ``pandas.read_parquet`` gives it (:func:`kl_drift._engines.arrow_values.to_frame`)
    and placed in its groups by :func:`kl_drift.pairs.group_codes`, so the cells equal the
    in-memory path's. A file that lacks a column has it missing in every row (as
    ``pandas.concat`` gives); a pair whose values do not fit its bins in some file is left
    out (the column counts name the problem, and the comparison reports the pair skipped).
    """

    def __init__(self, reference: ReferenceProfile, pairs: Sequence[PairCounts]) -> None:
        self.reference = reference
        self.pairs = list(pairs)
        self.needed = list(dict.fromkeys((n, g) for p in self.pairs for n, g in zip(p.columns, p.groups)))
        self.columns = list(dict.fromkeys(name for name, _ in self.needed))
        self.tables = {p.columns: np.zeros(p.table.shape, dtype=np.int64) for p in self.pairs}
        self.failed: set[tuple[str, tuple[int, ...]]] = set()
        self._codes: dict[tuple[str, tuple[int, ...]], NDArray[np.uint8] | None] = {}
        self.batches = 0

    def jobs(self, batch: pa.RecordBatch) -> list[Callable[[], None]]:
        """One job per paired column of the batch: its group codes."""
        self._codes = {}
        self.batches += 1
        return [lambda item=item: self._code(batch, *item) for item in self.needed if item not in self.failed]

    def _code(self, batch: pa.RecordBatch, name: str, groups: tuple[int, ...]) -> None:
        from ..pairs import group_codes
        from .arrow_values import to_frame
        from .pandas import ColumnProblem

        if batch.schema.get_field_index(name) < 0:
            self._codes[(name, groups)] = np.full(batch.num_rows, groups[-1], dtype=np.uint8)
            return
        col = self.reference[name]
        try:
            codes = _arrow_codes(batch.column(name), col, groups)
            if codes is None:
                codes = group_codes(to_frame(batch.select([name]))[name], col, groups)
        except (ColumnProblem, ValueError, TypeError, OverflowError):
            codes = None
        self._codes[(name, groups)] = codes

    def done(self) -> None:
        """Add the batch's cells of every pair whose two columns fit."""
        for item, codes in self._codes.items():
            if codes is None:
                self.failed.add(item)
        for pair in self.pairs:
            items = list(zip(pair.columns, pair.groups))
            if any(item in self.failed for item in items):
                continue
            cx, cy = (self._codes[item] for item in items)
            assert cx is not None and cy is not None
            self.tables[pair.columns] += pair_table(cx, cy, pair.table.shape)
        self._codes = {}

    def result(self, table: CountTable | None = None) -> tuple[PairCounts, ...]:
        """The pairs counted, without those whose columns failed (here, or in `table`)."""
        problems = {c.name for c in table if c.problem is not None} if table is not None else set()
        return tuple(
            p.with_counts(self.tables[p.columns])
            for p in self.pairs
            if problems.isdisjoint(p.columns) and not any(item in self.failed for item in zip(p.columns, p.groups))
        )


def _arrow_codes(array: pa.Array, col: ColumnProfile, groups: tuple[int, ...]) -> NDArray[np.uint8] | None:
    """Group codes of the two commonest Arrow columns without a pandas conversion of the
    batch, the values as pandas would hold them; None for any other column.

    * integers and floats in numeric bins: the values as float64 (nulls NaN, as
      ``pandas.read_parquet`` holds integers with nulls), through
      :func:`kl_drift.pairs.group_codes`;
    * dictionary-encoded text in categorical bins: each dictionary entry's group found once
      by :func:`kl_drift.pairs.group_codes` of the entries, then looked up per row (null
      rows are missing).
    """
    import pyarrow.compute as pc

    from .._core.bins import CategoricalBins, NumericBins
    from ..pairs import group_codes

    spec = col.bins
    if isinstance(spec, NumericBins) and not spec.datetime and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        values = array.to_numpy(zero_copy_only=False)
        if array.null_count and values.dtype.kind != "f":  # pragma: no cover - pyarrow gives floats for nulls
            return None
        return group_codes(pd.Series(values, copy=False), col, groups)
    if isinstance(spec, CategoricalBins) and spec.value_type == "string" and pa.types.is_dictionary(array.type):
        dictionary = array.dictionary
        if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
            return None
        entries = group_codes(pd.Series(dictionary.to_pylist(), dtype=object), col, groups)
        table = np.append(entries, np.uint8(groups[-1]))
        indices = pc.fill_null(array.indices, len(dictionary)).to_numpy(zero_copy_only=False)
        return table[indices]
    return None
