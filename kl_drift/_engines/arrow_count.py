"""Counting streamed batches into a profile's bins, with every file's column type checked.

Each column keeps running counts. When a batch of a new file arrives, each column's type in
that file is looked up in the type table (:func:`~kl_drift._engines.types.mismatch`) and the
way to count the file's batches is chosen:

* ``"numeric"``: an Arrow integer or float column in numeric bins is counted straight from
  its buffer (nulls become NaN), without a pandas conversion;
* ``"values"``: a string, dictionary, boolean or number column in categorical bins adds up
  exact counts per distinct value (pyarrow's hash aggregation); the distinct values are
  mapped to the bins once, at the end;
* ``"frame"``: any other type that fits goes through the pandas conversion and the pandas
  engine's counting function, batch by batch;
* ``"missing"``: the file lacks the column, or holds it as nulls only: its rows are missing
  values, as ``pandas.concat`` would give;
* ``"suspect"``: the type does not fit; the rows still count as missing while they are all
  null (the type table's rule for all-missing columns), and the first value makes the
  column a ``type_mismatch`` whose reason names the column, the file and both types.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa

from .._core import kernels
from .._core.bins import CategoricalBins, NumericBins
from ..counts import ColumnCounts, merge_unseen
from .arrow_values import NumericCounter, ValueCounter, is_text, keeps_integers, to_frame
from .files import InputFile, read_batches
from .pandas import count_column, list_unseen, map_values
from .types import arrow_family, mismatch

if TYPE_CHECKING:
    from ..profile import ColumnProfile

__all__ = ["Tally", "BatchHook", "count_files"]

# Threads counting the columns of a batch (the machine this was tuned on has 2 cores).
_COUNT_THREADS = max(1, min(2, os.cpu_count() or 1))


def counting_mode(spec: Any, arrow_type: pa.DataType) -> str:
    """How batches of `arrow_type` are counted into `spec` (the type is known to fit)."""
    numeric = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    if isinstance(spec, NumericBins):
        return "numeric" if numeric and not spec.datetime else "frame"
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    matches = {"string": is_text(arrow_type), "bool": pa.types.is_boolean(arrow_type), "number": numeric}
    return "values" if matches[spec.value_type] else "frame"


@dataclass
class Tally:
    """Running counts of one column in fixed bins, over the files of a stream."""

    column: ColumnProfile
    counts: np.ndarray
    n_inf: int = 0
    counter: ValueCounter = field(default_factory=ValueCounter)
    numbers: NumericCounter | None = None
    unseen: tuple[tuple[Any, int], ...] = ()
    unseen_complete: bool = True
    problem: ColumnCounts | None = None
    mode: str = "missing"
    # Where the current file's type does not fit ("suspect" mode): the reason, with the file.
    suspicion: str | None = None
    source: InputFile | None = None
    # Whether pandas would hold the whole column as floats (a float file, or integers with
    # nulls or missing rows): unseen numbers are then listed as floats, as pandas lists them.
    floats: bool = False
    nullable: bool = False

    @classmethod
    def of(cls, column: ColumnProfile) -> Tally:
        spec = column.bins
        numbers = NumericCounter(spec.edges) if isinstance(spec, NumericBins) else None
        return cls(column, np.zeros(len(column.counts), dtype=np.int64), numbers=numbers)

    @property
    def name(self) -> str:
        return self.column.name

    def plan(self, source: InputFile, schema: pa.Schema) -> None:
        """Check the column's type in a new file, and choose how its batches are counted."""
        spec = self.column.bins
        assert spec is not None
        index = schema.get_field_index(self.name)
        arrow_type = schema.field(index).type if index >= 0 else pa.null()
        reason = mismatch(spec, arrow_family(arrow_type), str(arrow_type))
        self.suspicion = None if reason is None else f"column {self.name!r} in file {source.path}: {reason}"
        if self.problem is not None:
            self.mode = "done"
        elif pa.types.is_null(arrow_type):
            self.mode = "missing"
        elif reason is not None:
            self.mode = "suspect"
        else:
            self.mode = counting_mode(spec, arrow_type)
        self.source = source
        self.nullable = keeps_integers(schema, self.name)

    def add(self, batch: pa.RecordBatch) -> None:
        """Count one batch of the current file (modes other than "frame")."""
        if self.mode == "done":
            return
        if self.mode == "missing":
            self._add_missing(batch.num_rows)
            return
        array = batch.column(self.name)
        if self.mode == "suspect":
            if array.null_count < len(array):
                assert self.suspicion is not None
                self.problem = ColumnCounts.failed(self.name, "type_mismatch", self.suspicion)
                self.mode = "done"
            else:
                self._add_missing(batch.num_rows)
            return
        if self.mode == "numeric":
            assert self.numbers is not None
            self.numbers.add(array)
            return
        self.floats |= pa.types.is_floating(array.type) or (array.null_count > 0 and not self.nullable)
        self.counter.add(array)

    def _add_missing(self, n_rows: int) -> None:
        self.counts[-1] += n_rows
        self.floats = True

    def add_frame(self, series: Any) -> None:
        """Count one batch of the current file converted to pandas ("frame" mode)."""
        if self.problem is not None:
            return
        assert self.column.bins is not None
        counted = count_column(series, self.column.bins, self.name)
        if counted.problem is not None:
            reason = (counted.reason or counted.problem).removeprefix(f"column {self.name!r}: ")
            self.problem = ColumnCounts.failed(
                self.name, counted.problem, f"column {self.name!r} in file {self.source.path if self.source else '?'}: {reason}"
            )
            return
        self.counts += np.asarray(counted.counts, dtype=np.int64)
        self.n_inf += int(counted.n_inf)
        self.unseen, self.unseen_complete = merge_unseen(
            self.unseen, self.unseen_complete, counted.unseen, counted.unseen_complete
        )

    def result(self) -> ColumnCounts:
        """The column's counts, as the pandas engine gives them for the whole data."""
        if self.problem is not None:
            return self.problem
        spec = self.column.bins
        counts = self.counts.copy()
        n_inf = self.n_inf
        if self.numbers is not None:
            binned, numbers_inf = self.numbers.result()
            counts += binned
            n_inf += numbers_inf
        unseen, complete = self.unseen, self.unseen_complete
        if isinstance(spec, CategoricalBins):
            self.counter.flush()
            values = list(self.counter.values)
            freq = np.fromiter(self.counter.values.values(), dtype=np.int64, count=len(values))
            mapped, targets = map_values(values, freq, self.counter.n_missing, spec)
            counts += mapped
            listed, listed_all = list_unseen(values, freq, targets, spec)
            if spec.value_type == "number" and self.floats:
                listed = tuple((float(value), n) for value, n in listed)
            unseen, complete = merge_unseen(unseen, complete, listed, listed_all)
        return ColumnCounts(self.name, tuple(int(c) for c in counts), int(n_inf), unseen, complete)


class BatchHook(Protocol):
    """More counting of the same batches (pair cells, :mod:`~kl_drift._engines.arrow_pairs`).

    `columns` are read besides the counted ones; ``jobs(batch)`` returns work that runs on
    the counting threads with the columns' counts, ``done()`` runs after it (in order, one
    batch at a time).
    """

    columns: Sequence[str]

    def jobs(self, batch: pa.RecordBatch) -> list[Callable[[], None]]: ...

    def done(self) -> None: ...


def count_files(
    files: Sequence[InputFile],
    columns: Sequence[ColumnProfile],
    *,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
    expected_rows: int | None = None,
    hook: BatchHook | None = None,
) -> tuple[dict[str, ColumnCounts], int]:
    """Count every batch of `files` into the bins of `columns`: the counts per column and the rows.

    `expected_rows` (from the Parquet footers) lets the counting path be chosen for the whole
    job from its first batch; without it the compiled kernels load once enough is counted.
    `hook` counts more of each batch in the same pass (its columns are read too).
    """
    tallies = [Tally.of(c) for c in columns if c.bins is not None]
    # String columns in categorical bins are read as dictionaries where a file stores strings.
    dictionary = [t.name for t in tallies if isinstance(t.column.bins, CategoricalBins) and t.column.bins.value_type == "string"]
    n_rows = 0
    current: InputFile | None = None
    by_array: list[Tally] = []
    by_frame: list[Tally] = []
    workers = max(1, min(len(tallies) + (len(hook.columns) if hook is not None else 0), _COUNT_THREADS))
    n_numeric = sum(isinstance(t.column.bins, NumericBins) for t in tallies)
    n_batches = 0
    if expected_rows:
        kernels.prepare(expected_rows * n_numeric, n_numeric)
    names = [t.name for t in tallies] if hook is None else list(dict.fromkeys([*(t.name for t in tallies), *hook.columns]))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        batches = read_batches(files, names, batch_size=batch_size, dictionary=dictionary, progress=progress)
        for source, batch in batches:
            if source is not current:
                current = source
                for tally in tallies:
                    tally.plan(source, batch.schema)
                by_frame = [t for t in tallies if t.mode == "frame"]
                by_array = [t for t in tallies if t.mode != "frame"]
            n_rows += batch.num_rows
            n_batches += 1
            # A long stream pays for loading the compiled kernels once it has counted enough.
            kernels.prepare(n_rows * n_numeric, n_batches * n_numeric)
            _count_batch(pool, workers, batch, by_array, by_frame, hook.jobs(batch) if hook is not None else [])
            if hook is not None:
                hook.done()
    return {t.name: t.result() for t in tallies}, n_rows


def _count_batch(
    pool: ThreadPoolExecutor,
    workers: int,
    batch: pa.RecordBatch,
    by_array: list[Tally],
    by_frame: list[Tally],
    extra: list[Callable[[], None]],
) -> None:
    jobs = [lambda t=t: t.add(batch) for t in by_array] + extra
    if by_frame:
        frame = to_frame(batch.select([t.name for t in by_frame]))
        jobs += [lambda t=t: t.add_frame(frame[t.name]) for t in by_frame]
    # numpy comparisons and pyarrow/pandas hashing release the GIL: columns count in
    # parallel, one share of the columns per thread.
    shares = [jobs[i::workers] for i in range(workers)]
    list(pool.map(lambda share: [job() for job in share], shares))
