"""Profiles and comparisons of files larger than memory, streamed through ``pyarrow.dataset``.

Parquet or CSV files, directories of them, or glob patterns are read as record batches of
only the needed columns; each batch is counted into the reference's bins and thrown away,
so memory is bounded by the batch size, not by the data. Counts add, so the result equals
counting the whole table at once.

Fitting quantile edges needs the reference's order statistics, which a stream cannot hold.
:func:`profile_dataset` therefore reads the reference twice:

1. a uniform random sample of ``sample_size`` rows of the numeric and datetime columns (a
   bottom-k reservoir: each row draws a random key and the rows with the smallest keys are
   kept), plus exact value counts of the categorical columns (and of numeric columns while
   they have few enough distinct values to be binned by value) and the exact finite
   minimum and maximum;
2. every row counted exactly into the bins fitted on that sample.

Categorical bins (top-K by frequency) and ``strategy="uniform"`` edges come from the exact
statistics, so they equal the in-memory result. Quantile edges are quantiles of the sample:
with ``m`` sampled values the Dvoretzky–Kiefer–Wolfowitz inequality bounds the error of
*every* edge's rank at once, ``sup |F_m − F| <= sqrt(ln(2/δ) / (2m))`` with probability at
least ``1 − δ`` (:func:`quantile_error_bound`). With ``sample_size >= rows`` or with fixed
``edges=`` the profile equals :func:`kl_drift.profile` on the same data exactly.
"""

from __future__ import annotations

import glob
import math
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from queue import Empty, Queue
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._engines.pandas import (
    DATETIME_NOT_CATEGORICAL,
    ColumnProblem,
    _value_type,
    classify,
    count_column,
    datetime_values,
    fit_column,
    list_unseen,
    map_values,
    numeric_values,
    rank_categories,
)
from ._core.bins import CategoricalBins, NumericBins, count_numeric
from ._engines.types import arrow_family, mismatch
from .compare import compare
from .counts import ColumnCounts, CountTable
from .errors import ColumnError, EmptyDataError, SkippedColumnWarning
from .profile import (
    BinningOptions,
    ColumnProfile,
    ReferenceProfile,
    _degeneracy_notes,
)
from .report import DriftReport

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_SAMPLE_SIZE",
    "open_dataset",
    "profile_dataset",
    "compare_dataset",
    "quantile_error_bound",
]

# 128Ki rows: ~1 MiB per numeric column, large enough that per-batch overhead is a few
# percent of the counting, small enough that a few batches in flight stay far below 1 GiB.
DEFAULT_BATCH_SIZE = 131_072
# 200k values per numeric column: every quantile edge within 0.44 percentage points of its
# target rank with probability 0.999 (DKW), at 1.6 MB per sampled numeric column.
DEFAULT_SAMPLE_SIZE = 200_000
# Batches decoded ahead of the one being counted: enough to keep both cores busy.
_BATCH_READAHEAD = 2
# Threads counting the columns of a batch (the machine this was tuned on has 2 cores).
_COUNT_THREADS = max(1, min(2, os.cpu_count() or 1))
# Parquet column chunks are read through buffers of this size instead of whole.
_READ_BUFFER = 1 << 20

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".parq": "parquet", ".csv": "csv", ".tsv": "csv"}
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")


def quantile_error_bound(sample_size: int, delta: float = 0.001) -> float:
    """Bound on the rank error of quantile edges fitted on a uniform sample.

    By the Dvoretzky–Kiefer–Wolfowitz inequality (with Massart's constant), the empirical
    CDF ``F_m`` of ``m`` values sampled uniformly from a column satisfies
    ``sup_x |F_m(x) − F(x)| <= sqrt(ln(2/δ) / (2m))`` with probability at least ``1 − δ``,
    where ``F`` is the column's own empirical CDF. An edge fitted at the sample's quantile
    ``q`` therefore holds a share of the full column within that bound of ``q`` (plus the
    size of any tie at the edge), for all edges at once. Sampling rows without replacement
    from a finite table only tightens the bound.

    Parameters
    ----------
    sample_size : int
        Number of sampled non-missing values, ``m``.
    delta : float, default 0.001
        Allowed failure probability.

    Returns
    -------
    float
        The bound ``ε`` on ``sup |F_m − F|``.

    Examples
    --------
    >>> from kl_drift.dataset import quantile_error_bound
    >>> round(quantile_error_bound(200_000), 4)
    0.0044
    """
    if isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)) or sample_size < 1:
        raise ValueError(f"`sample_size` must be a positive integer, got {sample_size!r}")
    if not 0 < delta < 1:
        raise ValueError(f"`delta` must be in (0, 1), got {delta!r}")
    return math.sqrt(math.log(2 / delta) / (2 * int(sample_size)))


# --------------------------------------------------------------------------- opening sources


def _infer_format(paths: Sequence[str]) -> str:
    for path in paths:
        candidates = [path]
        if os.path.isdir(path):
            candidates = sorted(
                str(p) for p in Path(path).rglob("*") if p.is_file() and not p.name.startswith(("_", "."))
            )
        for candidate in candidates:
            name = candidate.lower()
            for ext in _COMPRESSED:
                name = name.removesuffix(ext)
            fmt = _FORMATS.get(os.path.splitext(name)[1])
            if fmt:
                return fmt
    raise ValueError(
        f"cannot tell the file format of {list(paths)!r} from the file names; pass format='parquet' or format='csv'"
    )


def open_dataset(source: Any, *, format: Any = None) -> ds.Dataset:
    """Open Parquet/CSV files, a directory or a glob pattern as a ``pyarrow.dataset.Dataset``.

    Parameters
    ----------
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        A file, a directory (read recursively; names starting with "_" or "." are
        ignored), a glob pattern such as ``"data/*.parquet"`` (``**`` recurses), a list of
        files, or an already opened dataset (returned as is).
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension (``.parquet``, ``.pq``, ``.csv``, ``.csv.gz``...).
        A ``pyarrow.dataset.CsvFileFormat`` sets CSV parse or type options.

    Returns
    -------
    pyarrow.dataset.Dataset

    Raises
    ------
    FileNotFoundError
        If a path does not exist or a pattern matches nothing.
    """
    import pyarrow.dataset as ds

    if isinstance(source, ds.Dataset):
        return source
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not items:
        raise FileNotFoundError("no input files given")
    paths: list[str] = []
    for item in items:
        text = os.fspath(item)
        if glob.has_magic(text):
            matched = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not matched:
                raise FileNotFoundError(f"no files match {text!r}")
            paths.extend(matched)
        elif os.path.exists(text):
            paths.append(text)
        else:
            raise FileNotFoundError(f"no such file or directory: {text!r}")
    fmt = format if format is not None else _infer_format(paths)
    if len(paths) == 1:
        return ds.dataset(paths[0], format=fmt)
    if any(os.path.isdir(p) for p in paths):
        return ds.dataset([ds.dataset(p, format=fmt) for p in paths])
    return ds.dataset(paths, format=fmt)


def _file_batches(
    dataset: ds.Dataset, columns: Sequence[str], batch_size: int, dictionary: Sequence[str] = ()
) -> Iterator[pa.RecordBatch]:
    """Record batches of `columns`, read in order, at most `batch_size` rows each.

    Parquet string columns named in `dictionary` are read as dictionary arrays: Parquet
    stores them dictionary-encoded, and counting distinct values then needs neither the
    strings materialised per row nor a hash of each one.
    """
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    fragments = list(dataset.get_fragments()) if isinstance(dataset, ds.FileSystemDataset) else []
    streamable = isinstance(getattr(dataset, "format", None), ds.ParquetFileFormat) and all(
        f.partition_expression.equals(ds.scalar(True)) for f in fragments
    )
    if not streamable:
        scanner = dataset.scanner(columns=list(columns), batch_size=batch_size, batch_readahead=1, fragment_readahead=1)
        yield from scanner.to_batches()
        return
    for fragment in fragments:
        # A Parquet file read page by page: pyarrow.dataset's own scanner decodes whole row
        # groups, so its memory grows with the writer's row-group size, not with `batch_size`.
        with dataset.filesystem.open_input_file(fragment.path) as handle:
            reader = pq.ParquetFile(
                handle, buffer_size=_READ_BUFFER, pre_buffer=False, read_dictionary=list(dictionary) or None
            )
            if set(columns) <= set(reader.schema_arrow.names):
                yield from reader.iter_batches(batch_size=batch_size, columns=list(columns))
                continue
        # A file without some of the columns (schema evolution): the scanner fills them with nulls.
        yield from fragment.to_batches(schema=dataset.schema, columns=list(columns), batch_size=batch_size)


Progress = Callable[[int], None]


def _batches(
    dataset: ds.Dataset,
    columns: Sequence[str],
    batch_size: int,
    dictionary: Sequence[str] = (),
    progress: Progress | None = None,
) -> Iterator[pa.RecordBatch]:
    """Non-empty batches, decoded by a background thread while the caller counts the previous one.

    pyarrow decodes without holding the GIL, so decoding and counting use both cores; the
    queue holds at most `_BATCH_READAHEAD` decoded batches, which bounds the memory.
    """
    queue: Queue[Any] = Queue(maxsize=_BATCH_READAHEAD)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for batch in _file_batches(dataset, columns, batch_size, dictionary):
                if stop.is_set():
                    return
                if batch.num_rows:
                    queue.put(batch)
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put(exc)

    worker = threading.Thread(target=produce, name="kl_drift-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            if progress is not None:
                progress(item.num_rows)
    finally:
        stop.set()
        while worker.is_alive():
            try:
                queue.get_nowait()
            except Empty:
                worker.join(timeout=0.01)


def _to_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    # The schema's pandas metadata (kept on every batch) restores the dtypes pandas.read_parquet
    # gives: category, nullable integers, pandas strings.
    return batch.to_pandas(split_blocks=True)


def _check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _select(dataset: ds.Dataset, columns: Sequence[str] | None, what: str) -> list[str]:
    names = list(dataset.schema.names)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ColumnError(duplicated[0], f"appears more than once in the {what} columns; column names must be unique")
    if columns is None:
        return names
    missing = [c for c in columns if c not in names]
    if missing:
        raise ColumnError(missing[0], f"is in `columns` but not in the {what} data")
    return list(dict.fromkeys(columns))


def _value_counts(array: pa.Array) -> tuple[list[Any], list[int]]:
    """Distinct values of an Arrow array (nulls and NaN included) with their counts."""
    import pyarrow.compute as pc

    distinct = pc.value_counts(array)
    return distinct.field("values").to_pylist(), distinct.field("counts").to_pylist()


class _ValueCounter:
    """Exact counts per distinct value of an Arrow column, added up over batches.

    Batches of a dictionary column usually share one dictionary (a Parquet row group has
    one): their code counts are summed as a vector and turned into values only when the
    dictionary changes, so a batch costs no Python work per distinct value.
    """

    def __init__(self) -> None:
        self.values: dict[Any, int] = {}
        self.n_missing = 0
        self._dictionary: pa.Array | None = None
        self._per_code = np.zeros(0, dtype=np.int64)

    def add(self, array: pa.Array) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_dictionary(array.type):
            self._merge(*_value_counts(array), 0)
            return
        dictionary = array.dictionary
        if self._dictionary is None or not (dictionary is self._dictionary or dictionary.equals(self._dictionary)):
            self.flush()
            self._dictionary = dictionary
            self._per_code = np.zeros(len(dictionary) + 1, dtype=np.int64)
        size = len(dictionary)
        # Nulls go to an extra last code (cast first: the codes' own type may be full).
        codes = pc.fill_null(array.indices.cast(pa.int64()), size).to_numpy(zero_copy_only=False)
        self._per_code += np.bincount(codes, minlength=size + 1)

    def flush(self) -> None:
        import pyarrow as pa

        if self._dictionary is None:
            return
        used = np.flatnonzero(self._per_code[:-1])
        values = self._dictionary.take(pa.array(used)).to_pylist()
        self._merge(values, self._per_code[used].tolist(), int(self._per_code[-1]))
        self._dictionary = None

    def _merge(self, values: list[Any], counts: list[int], n_missing: int) -> None:
        self.n_missing += n_missing
        for value, count in zip(values, counts):
            if value is None or value != value:  # null, or a float NaN: missing, as in pandas
                self.n_missing += count
            else:
                self.values[value] = self.values.get(value, 0) + count


def _arrow_kind(arrow_type: pa.DataType) -> str:
    """How an Arrow column can be tracked without pandas: "text", "bool", "number" or "other"."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
        return "text" if _is_text(arrow_type) else "other"
    if _is_text(arrow_type):
        return "text"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "number"
    return "other"


# --------------------------------------------------------------------------- pass 1: sample and exact statistics


class _Reservoir:
    """Uniform sample of `size` rows without replacement: the rows with the smallest random keys.

    Each row draws an independent uniform key; keeping the ``size`` smallest keys of the
    stream gives every subset of ``size`` rows the same probability. Once full, a new row can
    only enter if its key is below the current largest kept key, so later batches cost one
    comparison per row.
    """

    def __init__(self, size: int, seed: int | None) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.keys = np.empty(0)
        self.parts: list[pa.Table] = []
        self.limit = np.inf

    def add(self, batch: pa.RecordBatch) -> None:
        import pyarrow as pa

        keys = self.rng.random(batch.num_rows)
        chosen = np.flatnonzero(keys < self.limit)
        if chosen.size == 0:
            return
        self.keys = np.concatenate((self.keys, keys[chosen]))
        kept = batch if chosen.size == batch.num_rows else batch.take(pa.array(chosen))
        self.parts.append(pa.Table.from_batches([kept]))
        if self.keys.size >= 2 * self.size:
            self._shrink()

    def _shrink(self) -> None:
        import pyarrow as pa

        # One contiguous table first: a take across many small chunks is several times slower.
        table = pa.concat_tables(self.parts).combine_chunks()
        if self.keys.size > self.size:
            keep = np.argpartition(self.keys, self.size - 1)[: self.size]
            self.keys = self.keys[keep]
            table = table.take(pa.array(keep))
            self.limit = float(self.keys.max())
        self.parts = [table]

    def table(self, schema: pa.Schema) -> pa.Table:
        import pyarrow as pa

        if not self.parts:
            return schema.empty_table()
        self._shrink()
        return pa.concat_tables(self.parts)


@dataclass
class _ColumnScan:
    """Exact statistics of one reference column gathered in pass 1."""

    name: str
    kind: str
    dtype: Any
    value_type: str = "string"
    forced: bool = False
    problem: ColumnProblem | None = None
    # Missing values, counted while `values` is tracked.
    n_missing: int = 0
    # Some batch's values were floats to the counting (numeric_values): float columns, uint64,
    # and integers with nulls.
    float_seen: bool = False
    # Some batch of a numpy integer column had nulls: the whole column is float64 in pandas.
    nulls_seen: bool = False
    # Whether batches are tracked from their Arrow arrays (else through pandas).
    arrow: bool = False
    counter: _ValueCounter = field(default_factory=lambda: _ValueCounter())
    low: Any = None
    high: Any = None
    # Exact count per distinct value, while tracked: always for categorical columns, for a
    # numeric one only while it could still have few enough values to be binned by value.
    values: dict[Any, int] | None = None
    distinct_limit: int = 0
    tz: str | None = None

    def update_array(self, array: pa.Array, *, track_range: bool) -> None:
        """The same statistics as :meth:`update`, from the Arrow array of a typed column."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.kind != "numeric" or self.forced:
            # Any number of distinct values: counted in bulk, turned into values once.
            self.counter.add(array)
        elif self.values is not None:
            if self._probably_continuous(array):
                self.values = None
            else:
                self._add_values(*_value_counts(array), 0)
        if self.kind != "numeric":
            return
        floating = pa.types.is_floating(array.type)
        self.nulls_seen |= array.null_count > 0
        self.float_seen |= floating or array.null_count > 0 or pa.types.is_uint64(array.type)
        if floating and self.values is not None and not self.forced and pc.any(pc.is_inf(array)).as_py():
            self.values = None
        if track_range:
            x = _numeric_buffer(array)
            self._extend(x[np.isfinite(x)] if x.dtype.kind == "f" else x)

    def finish(self) -> None:
        """Fold the bulk counts of the Arrow batches into `values`."""
        self.counter.flush()
        if self.values is not None and (self.kind != "numeric" or self.forced):
            self.n_missing += self.counter.n_missing
            for value, count in self.counter.values.items():
                self.values[value] = self.values.get(value, 0) + count

    def _probably_continuous(self, array: pa.Array) -> bool:
        import pyarrow.compute as pc

        # A continuous column shows it in its first values: no need to count them all.
        return (
            not self.forced
            and self.kind == "numeric"
            and pc.count_distinct(array.slice(0, 4096)).as_py() > self.distinct_limit
        )

    def _add_values(self, values: list[Any], counts: list[int], n_missing: int) -> None:
        assert self.values is not None
        if not self.forced and self.kind == "numeric" and len(values) > self.distinct_limit:
            self.values = None
            return
        self.n_missing += n_missing
        for value, count in zip(values, counts):
            if value is None or value != value:  # null, or a float NaN: missing, as in pandas
                self.n_missing += count
            else:
                self.values[value] = self.values.get(value, 0) + count
        if not self.forced and self.kind == "numeric" and len(self.values) > self.distinct_limit:
            self.values = None

    def update(self, series: pd.Series, *, track_range: bool) -> None:
        if self.problem is not None:
            return
        if self.values is not None:
            self._count_values(series)
        if self.kind == "numeric":
            x = numeric_values(series)
            self.nulls_seen |= bool(series.hasnans)
            if x.dtype.kind == "f":
                self.float_seen = True
                if self.values is not None and not self.forced and np.isinf(x).any():
                    self.values = None
                if track_range:
                    self._extend(x[np.isfinite(x)])
            elif track_range:
                self._extend(x)
        elif self.kind == "datetime" and track_range:
            self._extend(datetime_values(series)[0])

    def _extend(self, x: np.ndarray) -> None:
        if x.size:
            low, high = x.min(), x.max()
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)

    def _count_values(self, series: pd.Series) -> None:
        if not self.forced and self.kind == "numeric" and series.iloc[:4096].nunique() > self.distinct_limit:
            self.values = None
            return
        try:
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
        except TypeError as exc:
            self.problem = ColumnProblem(f"values cannot be hashed ({exc})")
            return
        per_code = np.bincount(codes + 1, minlength=len(uniques) + 1)
        self._add_values(np.asarray(uniques, dtype=object).tolist(), per_code[1:].tolist(), int(per_code[0]))


def _categorical_column(scan: _ColumnScan, dtype: str, max_categories: int) -> ColumnProfile:
    """Top-K bins and counts from exact value counts, through the same ranking as :func:`kl_drift.profile`."""
    assert scan.values is not None
    values = list(scan.values)
    if dtype == "float64" and scan.kind == "numeric":
        # Batches without nulls gave integers; the whole column holds floats.
        values = [float(v) for v in values]
    freq = np.fromiter(scan.values.values(), dtype=np.int64, count=len(values))
    spec = rank_categories(values, freq, scan.value_type, max_categories)
    counts, _ = map_values(values, freq, scan.n_missing, spec)
    return ColumnProfile(scan.name, scan.kind, dtype, spec, tuple(int(c) for c in counts), 0)


def _whole_dtype(scan: _ColumnScan) -> Any:
    """The dtype the column has when the whole table is converted at once.

    A batch of an integer column without nulls converts to int64, one with nulls to float64;
    converted whole, the column is float64 if any batch was.
    """
    if scan.kind == "numeric" and scan.nulls_seen and isinstance(scan.dtype, np.dtype) and scan.dtype.kind in "iu":
        return np.dtype(np.float64)
    return scan.dtype


def _numeric_sample(scan: _ColumnScan, sample: pd.Series) -> pd.Series:
    if scan.kind == "numeric" and scan.float_seen and numeric_values(sample.iloc[:0]).dtype.kind in "iu":
        return pd.Series(numeric_values(sample).astype(np.float64), name=sample.name)
    return sample


def _range_series(scan: _ColumnScan, sample: pd.Series) -> pd.Series:
    """The exact finite minimum and maximum as a column of the sample's type (uniform edges use only these)."""
    values = [] if scan.low is None else [scan.low, scan.high]
    if scan.kind == "datetime":
        stamps = pd.Series(np.array(values, dtype="datetime64[ns]"), dtype="datetime64[ns]")
        return stamps.dt.tz_localize("UTC").dt.tz_convert(scan.tz) if scan.tz else stamps
    dtype = np.float64 if scan.float_seen else numeric_values(sample.iloc[:0]).dtype
    return pd.Series(np.array(values, dtype=dtype))


# --------------------------------------------------------------------------- pass 2: exact counts


@dataclass
class _Tally:
    """Running counts of one column in fixed bins.

    Three ways to count a batch, chosen from the column's Arrow type and the bins:

    * ``"numeric"``: an Arrow integer or float column in numeric bins is counted straight
      from its buffer (nulls become NaN), without a pandas conversion;
    * ``"values"``: a string, dictionary, boolean or number column in categorical bins adds
      up exact counts per distinct value (pyarrow's hash aggregation), and the few distinct
      values are mapped to the bins once, at the end;
    * ``"frame"``: anything else goes through the pandas conversion and the in-memory
      counting function, batch by batch, with its type checks.
    """

    column: ColumnProfile
    mode: str
    counts: np.ndarray
    n_inf: int = 0
    counter: _ValueCounter = field(default_factory=lambda: _ValueCounter())
    problem: ColumnCounts | None = None
    # Values counted as "(unseen)" with their counts, added up over the batches.
    unseen: ColumnCounts | None = None

    def add_frame(self, series: pd.Series) -> None:
        if self.problem is not None:
            return
        assert self.column.bins is not None
        counted = count_column(series, self.column.bins, self.column.name)
        if counted.problem is not None:
            self.problem = counted
            return
        self.counts += np.asarray(counted.counts, dtype=np.int64)
        self.n_inf += int(counted.n_inf)
        if isinstance(self.column.bins, CategoricalBins):
            examples = ColumnCounts(self.column.name, (), 0, counted.unseen, counted.unseen_complete)
            self.unseen = examples if self.unseen is None else self.unseen.merge(examples)

    def add_array(self, array: pa.Array) -> None:
        spec = self.column.bins
        if self.mode == "numeric":
            assert isinstance(spec, NumericBins)
            binned, n_inf = count_numeric(_numeric_buffer(array), spec.edges)
            self.counts += binned
            self.n_inf += n_inf
            return
        self.counter.add(array)

    def result(self) -> ColumnCounts:
        """The column's counts, as the pandas engine gives them for the whole data."""
        if self.problem is not None:
            return self.problem
        spec = self.column.bins
        counts, n_inf = self.counts, self.n_inf
        unseen, complete = (self.unseen.unseen, self.unseen.unseen_complete) if self.unseen is not None else ((), True)
        if self.mode == "values":
            assert isinstance(spec, CategoricalBins)
            self.counter.flush()
            values = list(self.counter.values)
            freq = np.fromiter(self.counter.values.values(), dtype=np.int64, count=len(values))
            counts, targets = map_values(values, freq, self.counter.n_missing, spec)
            unseen, complete = list_unseen(values, freq, targets, spec)
        return ColumnCounts(
            self.column.name,
            tuple(int(c) for c in counts),
            int(n_inf),
            unseen,
            complete or not isinstance(spec, CategoricalBins),
        )


def _numeric_buffer(array: pa.Array) -> np.ndarray:
    """The values as the in-memory path counts them: float64 (NaN for nulls) or int64."""
    x = array.to_numpy(zero_copy_only=False)
    if x.dtype.kind == "f" or (x.dtype.kind == "u" and x.dtype.itemsize == 8):
        return x.astype(np.float64, copy=False)
    return x.astype(np.int64, copy=False)


def _is_text(arrow_type: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _counting_mode(column: ColumnProfile, arrow_type: pa.DataType) -> str:
    import pyarrow as pa

    spec = column.bins
    numeric = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    if isinstance(spec, NumericBins):
        return "numeric" if numeric and not spec.datetime else "frame"
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    matches = {"string": _is_text(arrow_type), "bool": pa.types.is_boolean(arrow_type), "number": numeric}
    assert isinstance(spec, CategoricalBins)
    return "values" if matches[spec.value_type] else "frame"


def _count_stream(
    dataset: ds.Dataset, columns: Sequence[ColumnProfile], batch_size: int, progress: Progress | None = None
) -> tuple[dict[str, _Tally], int]:
    """Count every batch of `dataset` into the bins of `columns`; returns the tallies and the row count."""
    schema = dataset.schema
    tallies = {
        c.name: _Tally(c, _counting_mode(c, schema.field(c.name).type), np.zeros(len(c.counts), dtype=np.int64))
        for c in columns
        if c.bins is not None
    }
    if not tallies:
        return tallies, int(dataset.count_rows())
    by_frame = [t for t in tallies.values() if t.mode == "frame"]
    by_array = [t for t in tallies.values() if t.mode != "frame"]
    text = [t.column.name for t in by_array if t.mode == "values" and _is_text(schema.field(t.column.name).type)]
    n_rows = 0
    first = True
    workers = min(len(tallies), _COUNT_THREADS)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in _batches(dataset, list(tallies), batch_size, dictionary=text, progress=progress):
            n_rows += batch.num_rows
            if first and by_array:
                # The Arrow type fixes the pandas type of every batch: one check is enough.
                for tally in by_array:
                    assert tally.column.bins is not None
                    arrow_type = batch.schema.field(tally.column.name).type
                    if mismatch(tally.column.bins, arrow_family(arrow_type), str(arrow_type)) is not None:
                        tally.mode = "frame"
                by_frame += [t for t in by_array if t.mode == "frame"]
                by_array = [t for t in by_array if t.mode != "frame"]
                first = False
            jobs = [lambda t=t: t.add_array(batch.column(t.column.name)) for t in by_array]
            if by_frame:
                frame = _to_frame(batch.select([t.column.name for t in by_frame]))
                jobs += [lambda t=t: t.add_frame(frame[t.column.name]) for t in by_frame]
            # numpy comparisons and pyarrow/pandas hashing release the GIL: columns count in
            # parallel, one share of the columns per thread.
            shares = [jobs[i::workers] for i in range(workers)]
            list(pool.map(lambda share: [job() for job in share], shares))
    return tallies, n_rows


# --------------------------------------------------------------------------- public API


def profile_dataset(
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bins: int | Mapping[str, int] = 10,
    strategy: str | Mapping[str, str] = "quantile",
    edges: Mapping[str, Sequence[Any]] | None = None,
    categorical: Sequence[str] = (),
    max_categories: int = 50,
    discrete_threshold: int = 20,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    random_state: int | None = 0,
    progress: Progress | None = None,
) -> ReferenceProfile:
    """Profile Parquet/CSV data larger than memory, in two streamed passes.

    The options mean what they mean in :func:`kl_drift.profile`. Pass 1 keeps a uniform
    sample of `sample_size` rows of the numeric and datetime columns plus exact statistics;
    pass 2 counts every row into the bins fitted on them (skipped when the sample already
    holds every row). Memory: the batches in flight (a few times `batch_size` rows of the
    profiled columns), the sample (`sample_size` rows of the numeric and datetime columns,
    twice while it is refreshed), and one entry per distinct value of each categorical
    column.

    Parameters
    ----------
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        File(s), directory or glob pattern; see :func:`open_dataset`.
    columns : sequence of str, optional
        Columns to profile (default: all); only these are read.
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension.
    batch_size : int, default 131072
        Rows per record batch.
    progress : callable, optional
        Called with the number of rows of each batch once it is counted (e.g. a progress
        bar's ``update``).
    bins, strategy, edges, categorical, max_categories, discrete_threshold
        As in :func:`kl_drift.profile`.
    sample_size : int, default 200000
        Rows sampled to fit quantile edges. With probability 0.999, every edge's share of
        the full column is within ``quantile_error_bound(m) + 1/m`` of its target quantile
        (plus the share of any value tied at the edge), where ``m`` is the number of
        non-missing sampled values of that column (DKW inequality). With
        ``sample_size >= rows`` the edges are exact.
    random_state : int or None, default 0
        Seed of the sample, so profiles are reproducible.

    Returns
    -------
    ReferenceProfile
        Counts are always exact. It equals ``kd.profile`` of the whole table when the
        sample holds every row, or when every numeric column has fixed `edges` or
        ``strategy="uniform"``; otherwise quantile edges carry the sampling error above.

    Raises
    ------
    EmptyDataError
        If the data has no rows.
    ColumnError
        For an option naming an unknown column, or invalid fixed edges.
    FileNotFoundError
        If the source does not exist.

    Warns
    -----
    ConstantInputWarning, AllMissingWarning, SmallSampleWarning, SkippedColumnWarning
        As :func:`kl_drift.profile`, judged on the exact counts.

    Examples
    --------
    >>> import os, tempfile, numpy as np, pandas as pd, kl_drift as kd
    >>> from kl_drift.dataset import profile_dataset
    >>> df = pd.DataFrame({"x": np.arange(1000.0), "plan": ["a", "b", "b", "c"] * 250})
    >>> path = os.path.join(tempfile.mkdtemp(), "ref.parquet")
    >>> df.to_parquet(path)
    >>> prof = profile_dataset(path, batch_size=100, bins=4)
    >>> prof["x"].counts
    (250, 250, 250, 250, 0)
    >>> prof == kd.profile(df, bins=4)
    True
    """
    dataset = open_dataset(source, format=format)
    batch_size = _check_batch_size(batch_size)
    if isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)) or sample_size < 1:
        raise ValueError(f"`sample_size` must be a positive integer, got {sample_size!r}")
    names = _select(dataset, columns, "reference")
    if not names:
        raise EmptyDataError("the reference data has no columns to profile")
    opts = BinningOptions.resolve(
        names,
        bins=bins,
        strategy=strategy,
        edges=edges,
        categorical=categorical,
        max_categories=max_categories,
        discrete_threshold=discrete_threshold,
    )
    edges_for, forced, max_categories = opts.edges_for, opts.forced, opts.max_categories

    def uniform(name: str) -> bool:
        return name not in edges_for and opts.strategy(name) == "uniform"

    schema = dataset.schema
    arrow_kinds = {name: _arrow_kind(schema.field(name).type) for name in names}
    # pandas dtypes of the whole columns, from the schema (its pandas metadata included).
    dtypes = schema.empty_table().select(names).to_pandas().dtypes
    text = [n for n in names if arrow_kinds[n] == "text" and _is_text(schema.field(n).type)]
    scans: dict[str, _ColumnScan] = {}
    reservoir = _Reservoir(int(sample_size), random_state)
    n_rows = 0
    sampled: list[str] = []
    by_arrow: list[str] = []
    by_frame: list[str] = []
    for batch in _batches(dataset, names, batch_size, dictionary=text, progress=progress):
        if not scans:
            first = _to_frame(batch)
            for name in names:
                scan = _start_scan(
                    name, first[name], dtypes[name], forced, opts.user_binned(name), opts.discrete_threshold
                )
                scan.arrow = _tracks_arrow(scan, arrow_kinds[name])
                scans[name] = scan
            live = [n for n in names if scans[n].problem is None]
            sampled = [n for n in live if scans[n].kind in ("numeric", "datetime") and n not in forced]
            by_arrow = [n for n in live if scans[n].arrow]
            by_frame = [
                n for n in live
                if not scans[n].arrow and (scans[n].values is not None or scans[n].kind == "numeric" or uniform(n))
            ]
        n_rows += batch.num_rows
        for name in by_arrow:
            scans[name].update_array(batch.column(name), track_range=uniform(name))
        if by_frame:
            frame = _to_frame(batch.select(by_frame))
            for name in by_frame:
                scans[name].update(frame[name], track_range=uniform(name))
        if sampled:
            reservoir.add(batch.select(sampled))
    if n_rows == 0:
        raise EmptyDataError("the reference data has no rows")
    for scan in scans.values():
        scan.finish()

    complete = n_rows <= sample_size
    sample = (
        reservoir.table(dataset.schema).select(sampled).to_pandas() if sampled else pd.DataFrame(index=range(0))
    )
    fitted: dict[str, ColumnProfile] = {}
    notes: list[tuple[type[Warning], str]] = []
    for name in names:
        scan = scans[name]
        dtype = str(_whole_dtype(scan))
        if scan.problem is not None:
            notes.append((SkippedColumnWarning, f"column {name!r} skipped: {scan.problem.reason}"))
            fitted[name] = ColumnProfile(name, "skipped", dtype, None, (), 0, scan.problem.reason)
            continue
        if scan.values is not None and (scan.forced or scan.kind != "numeric" or _is_discrete(scan)):
            fitted[name] = _categorical_column(scan, dtype, max_categories)
            continue
        series = _numeric_sample(scan, sample[name])
        try:
            fit = fit_column(
                _range_series(scan, series) if uniform(name) else series,
                bins=opts.bins(name),
                strategy=opts.strategy(name),
                edges=edges_for.get(name),
                force_categorical=False,
                max_categories=max_categories,
                discrete_threshold=0,
            )
        except ColumnProblem as problem:
            if problem.status == "error":
                raise ColumnError(name, problem.reason) from None
            notes.append((SkippedColumnWarning, f"column {name!r} skipped: {problem.reason}"))
            fitted[name] = ColumnProfile(name, "skipped", dtype, None, (), 0, problem.reason)
            continue
        column = ColumnProfile(name, scan.kind, dtype, fit.spec, tuple(0 for _ in range(fit.spec.n_bins)), 0)
        if complete:
            column = column.count(series)
        fitted[name] = column

    if not complete:
        pending = [c for c in fitted.values() if c.bins is not None and isinstance(c.bins, NumericBins)]
        tallies, _ = _count_stream(dataset, pending, batch_size, progress)
        for name, tally in tallies.items():
            counted = tally.result()
            if counted.problem is not None:
                raise ColumnError(name, (counted.reason or counted.problem).removeprefix(f"column {name!r}: "))
            fitted[name] = replace(fitted[name], counts=counted.counts, n_inf=counted.n_inf)

    for name in names:
        column = fitted[name]
        if column.bins is not None:
            notes.extend(_degeneracy_notes(column, opts.bins(name)))
    for category, message in notes:
        warnings.warn(message, category, stacklevel=2)
    settings = {**opts.settings, "sample_size": int(sample_size), "sampled": not complete}
    return ReferenceProfile(tuple(fitted[n] for n in names), n_rows, settings=settings)


def _start_scan(
    name: str,
    series: pd.Series,
    dtype: Any,
    forced: frozenset[str],
    user_binned: bool,
    discrete_threshold: int,
) -> _ColumnScan:
    """Decide from the first batch how a column is tracked; typed Arrow columns keep their type."""
    try:
        kind = classify(series)
        value_type = _value_type(kind, series) if kind != "datetime" else "string"
    except ColumnProblem as problem:
        return _ColumnScan(name, "skipped", dtype, problem=problem)
    if kind == "datetime" and name in forced:
        raise ColumnError(name, DATETIME_NOT_CATEGORICAL)
    scan = _ColumnScan(name, kind, dtype, value_type=value_type, forced=name in forced)
    if kind == "datetime":
        scan.tz = datetime_values(series.iloc[:0])[2]
    if kind == "numeric":
        scan.distinct_limit = 0 if user_binned else discrete_threshold
    if scan.forced or kind in ("categorical", "boolean") or scan.distinct_limit:
        scan.values = {}
    return scan


def _tracks_arrow(scan: _ColumnScan, arrow_kind: str) -> bool:
    """Whether the column's statistics can come from its Arrow arrays, as pandas would give them."""
    if scan.problem is not None:
        return False
    if scan.values is not None and (scan.forced or scan.kind != "numeric"):
        return {"string": "text", "bool": "bool", "number": "number"}[scan.value_type] == arrow_kind
    return scan.kind == "numeric" and arrow_kind == "number"


def _is_discrete(scan: _ColumnScan) -> bool:
    """As the in-memory profile: few distinct values (tracking stopped at any ±inf), at least one,
    and integers that floats hold exactly."""
    if scan.values is None or not 0 < len(scan.values) <= scan.distinct_limit:
        return False
    return scan.float_seen or all(abs(int(v)) <= 2**53 for v in scan.values)


def compare_dataset(
    reference: ReferenceProfile,
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    **compare_options: Any,
) -> DriftReport:
    """Compare Parquet/CSV data larger than memory with a reference profile, in one streamed pass.

    Only the profiled columns are read; each batch is counted into the reference's bins
    and the counts are added, so the scores equal :func:`kl_drift.compare` on the whole
    table, unseen values and p-values included.

    Parameters
    ----------
    reference : ReferenceProfile
        From :func:`kl_drift.profile`, :func:`profile_dataset` or ``ReferenceProfile.load``.
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        The current data; see :func:`open_dataset`.
    columns : sequence of str, optional
        Columns to compare (default: every profiled column).
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension.
    batch_size : int, default 131072
        Rows per record batch.
    progress : callable, optional
        Called with the number of rows of each batch once it is counted (e.g. a progress
        bar's ``update``).
    **compare_options
        Passed to :func:`kl_drift.compare` (``threshold``, ``smoothing``, ``direction``...).

    Returns
    -------
    DriftReport

    Raises
    ------
    EmptyDataError
        If the current data has no rows.

    Examples
    --------
    >>> import os, tempfile, numpy as np, pandas as pd, kl_drift as kd
    >>> from kl_drift.dataset import compare_dataset
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=5000)})
    >>> cur = pd.DataFrame({"x": rng.normal(0.5, 1.0, size=5000)})
    >>> path = os.path.join(tempfile.mkdtemp(), "current.parquet")
    >>> cur.to_parquet(path)
    >>> report = compare_dataset(kd.profile(ref), path, batch_size=1000)
    >>> report["x"].status, report["x"].statistic == kd.compare(kd.profile(ref), cur)["x"].statistic
    ('drift', True)
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(f"`reference` must be a ReferenceProfile, got {type(reference).__name__}")
    dataset = open_dataset(source, format=format)
    batch_size = _check_batch_size(batch_size)
    available = _select(dataset, None, "current")
    if columns is not None:
        unknown = [c for c in columns if c not in reference]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
        wanted = [reference[c] for c in dict.fromkeys(columns)]
    else:
        wanted = list(reference.columns)
    to_count = [c for c in wanted if c.bins is not None and c.name in available]
    tallies, n_rows = _count_stream(dataset, to_count, batch_size, progress)
    if n_rows == 0:
        raise EmptyDataError("the current data has no rows")
    counted = [
        tallies[c.name].result()
        if c.name in tallies
        else ColumnCounts.failed(c.name, "missing_column", "in the reference profile but not in the current data")
        for c in wanted
        if c.bins is not None
    ]
    current = CountTable.of(n_rows, counted, available, "arrow")
    return compare(reference, current, columns=columns, **compare_options)
