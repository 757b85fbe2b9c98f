"""Finding input files and reading them as Arrow data: the one place for both.

Every reader of files in kl_drift (the streaming engine behind
:func:`kl_drift.dataset.profile_dataset` and :func:`kl_drift.dataset.compare_dataset`, the
``kl-drift`` command line, :func:`kl_drift.reporting.read_table`) finds its files with
:func:`find_files` and reads them here, so these rules hold everywhere:

* A name that exists is used as given, even when it holds glob characters
  (``data[1].parquet``); only a name that does not exist is a glob pattern (``*``, ``?``,
  ``[...]``; ``**`` recurses). A pattern that matches nothing is an error.
* A directory is read recursively. Files and folders whose name starts with "." or "_"
  (``_SUCCESS``, ``_metadata``, ``.crc`` files that Spark and Hive leave beside the data)
  are skipped; folders named ``key=value`` are Hive partitions whose values become columns.
* The format comes from the suffix: ``.parquet``, ``.pq`` and ``.parq`` are Parquet;
  ``.csv``, also compressed (``.csv.gz``, ``.csv.bz2``, ``.csv.zst``, ``.csv.lz4``), is CSV. A
  directory holding both is read as Parquet. A named file without a known suffix is Parquet
  if it starts with Parquet's magic bytes. ``format=`` overrides the suffixes (a directory is
  then read whole, whatever its file names).
* Columns a pandas writer stored for the index (named in the schema's pandas metadata, such
  as ``__index_level_0__``) are not data, as for ``pandas.read_parquet``.
* Each file keeps its own column types: engines check them file by file. A column that a
  file lacks reads as missing values in that file's rows, as ``pandas.concat`` gives.
* CSV types are inferred per file by pyarrow (from the whole file in :func:`read_file`, from
  the first block when streamed); empty fields are missing values; dates become timestamps.
"""

from __future__ import annotations

import copy
import glob
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import KlDriftError

if TYPE_CHECKING:
    import pyarrow.dataset as pads

__all__ = [
    "SourceError",
    "MissingSourceError",
    "InputFile",
    "find_files",
    "file_schema",
    "file_schema_and_rows",
    "data_columns",
    "index_columns",
    "read_file",
    "read_batches",
    "count_rows",
    "format_of",
]

Format = Literal["parquet", "csv"]

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv",)
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zst", ".lz4")
_GLOB_CHARS = frozenset("*?[")
_PARQUET_MAGIC = b"PAR1"
# Parquet column chunks are read through buffers of this size instead of whole.
_READ_BUFFER = 1 << 20
# Batches decoded ahead of the one being counted: enough to keep both cores busy.
_BATCH_READAHEAD = 2
# Streamed CSV types are inferred from the first block: a larger block sees more values.
_CSV_BLOCK = 8 << 20
_CSV_CONVERT = {"strings_can_be_null": True}


class SourceError(KlDriftError, ValueError):
    """An input file, directory or glob pattern cannot be read.

    Attributes
    ----------
    source : str
        The path or pattern at fault.
    reason : str
        What is wrong with it.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.source, self.reason)


class MissingSourceError(SourceError, FileNotFoundError):
    """A path that does not exist, or a pattern that matches no file."""


@dataclass(frozen=True)
class InputFile:
    """One file to read: its path, format and the Hive partition values of its folders.

    Attributes
    ----------
    path : str
        The file's path (on `filesystem`, when one is set).
    format : {"parquet", "csv"}
    partition : mapping of str to pyarrow.Scalar
        Values of the ``key=value`` folders above the file, read as columns.
    filesystem : pyarrow.fs.FileSystem or None
        Where the file lives; None is the local disk.
    csv : pyarrow.dataset.CsvFileFormat or None
        Parse and convert options for a CSV file; None for pyarrow's defaults.
    """

    path: str
    format: Format
    partition: Mapping[str, Any] = field(default_factory=dict)
    filesystem: Any = field(default=None, compare=False, repr=False)
    csv: Any = field(default=None, compare=False, repr=False)

    @property
    def size(self) -> int:
        """Size in bytes (0 when unknown)."""
        try:
            if self.filesystem is not None:
                return int(self.filesystem.get_file_info(self.path).size or 0)
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def open(self) -> Any:
        """A readable file object."""
        if self.filesystem is not None:
            return self.filesystem.open_input_file(self.path)
        return pa.OSFile(self.path)


# --------------------------------------------------------------------------- finding files


def format_of(name: str) -> Format | None:
    """The format a file name's suffix says, or None.

    Examples
    --------
    >>> format_of("day=1/part-0.snappy.parquet"), format_of("orders.csv.gz"), format_of("notes.txt")
    ('parquet', 'csv', None)
    """
    lower = name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if lower.endswith(CSV_SUFFIXES[0] + suffix):
            return "csv"
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def _is_dataset_object(value: Any, class_name: str) -> bool:
    """Whether `value` is a ``pyarrow.dataset`` object of that class, without importing
    ``pyarrow.dataset`` (which imports pandas): no such object exists before it is imported."""
    module = sys.modules.get("pyarrow.dataset")
    return module is not None and isinstance(value, getattr(module, class_name))


def _resolve_format(format: Any) -> tuple[Format | None, Any]:
    """The format name and CSV options a `format` argument gives."""
    if format is None:
        return None, None
    if isinstance(format, str) and format.lower() in ("parquet", "csv"):
        return format.lower(), None  # type: ignore[return-value]
    if _is_dataset_object(format, "ParquetFileFormat"):
        return "parquet", None
    if _is_dataset_object(format, "CsvFileFormat"):
        return "csv", format
    raise ValueError(f"`format` must be 'parquet', 'csv' or a pyarrow.dataset ParquetFileFormat/CsvFileFormat, got {format!r}")


def find_files(source: Any, *, format: Any = None) -> list[InputFile]:
    """The files behind a source: files, directories, glob patterns or an opened dataset.

    Parameters
    ----------
    source : str, path, InputFile, pyarrow.dataset.Dataset, or a sequence of them
        See the module's rules: existing names are used as given, missing ones are glob
        patterns; directories are read recursively without hidden files.
    format : {"parquet", "csv"} or pyarrow.dataset.ParquetFileFormat/CsvFileFormat, optional
        Overrides the format the file names say; a ``CsvFileFormat`` sets CSV options.

    Returns
    -------
    list of InputFile
        In the order given; the files of a directory or a pattern sorted by path.

    Raises
    ------
    MissingSourceError
        For a path that does not exist or a pattern that matches nothing.
    SourceError
        For a file of unknown type or a directory without data files.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("b.csv", "a.csv", "_SUCCESS", "data[1].csv"):
    ...     _ = open(os.path.join(folder, name), "w").write("x\\n1\\n")
    >>> [os.path.basename(f.path) for f in find_files(folder)]
    ['a.csv', 'b.csv', 'data[1].csv']
    >>> [os.path.basename(f.path) for f in find_files(os.path.join(folder, "data[1].csv"))]
    ['data[1].csv']
    """
    fmt, csv = _resolve_format(format)
    single = isinstance(source, (str, os.PathLike, InputFile)) or _is_dataset_object(source, "Dataset")
    items = [source] if single else list(source)
    if not items:
        raise MissingSourceError("<inputs>", "no input files given")
    files: list[InputFile] = []
    for item in items:
        if isinstance(item, InputFile):
            files.append(item)
        elif _is_dataset_object(item, "Dataset"):
            files.extend(_dataset_files(item))
        else:
            files.extend(_expand(os.fspath(item), fmt, csv))
    return files


def _expand(path: str, fmt: Format | None, csv: Any) -> list[InputFile]:
    if os.path.isdir(path):
        return _directory_files(path, fmt, csv)
    if os.path.exists(path):
        return [_single_file(path, fmt, csv)]
    if _GLOB_CHARS & set(path):
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            raise MissingSourceError(path, "the pattern matches no file")
        found: list[InputFile] = []
        for match in matches:
            found.extend(_directory_files(match, fmt, csv) if os.path.isdir(match) else [_single_file(match, fmt, csv)])
        return found
    raise MissingSourceError(path, "no such file or directory")


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def _directory_files(directory: str, fmt: Format | None, csv: Any) -> list[InputFile]:
    root = Path(directory)
    visible = [p for p in sorted(root.rglob("*")) if p.is_file() and _visible(p, root)]
    if fmt is None:
        by_suffix: dict[str, list[Path]] = {"parquet": [], "csv": []}
        for path in visible:
            kind = format_of(path.name)
            if kind is not None:
                by_suffix[kind].append(path)
        fmt = "parquet" if by_suffix["parquet"] else "csv"
        visible = by_suffix[fmt]
    if not visible:
        raise SourceError(directory, "the directory holds no .parquet or .csv files")
    if not any("=" in part for path in visible for part in path.relative_to(root).parent.parts):
        # No key=value folder, so no partition columns: pyarrow.dataset, whose import
        # imports pandas (0.2 s of CPU), is not needed to find them.
        return [InputFile(str(path), fmt, {}, csv=csv) for path in visible]
    return _hive_files(root, visible, fmt, csv)


def _hive_files(root: Path, visible: list[Path], fmt: Format, csv: Any) -> list[InputFile]:
    """The files with the partition values of their key=value folders."""
    # pyarrow reads the key=value folder names, with the value types it infers (int32 for
    # digits, else string), as pyarrow.dataset.dataset(..., partitioning="hive") would.
    import pyarrow.dataset as pads

    dataset = pads.dataset(
        [str(p) for p in visible],
        format=fmt,
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=str(root),
    )
    return [InputFile(fragment.path, fmt, _partition(fragment, dataset.schema), csv=csv) for fragment in dataset.get_fragments()]


def _partition(fragment: Any, schema: pa.Schema) -> dict[str, Any]:
    import pyarrow.dataset as pads

    values = pads.get_partition_keys(fragment.partition_expression)
    typed: dict[str, Any] = {}
    for name, value in values.items():
        arrow_type = schema.field(name).type if name in schema.names else None
        if arrow_type is not None and pa.types.is_dictionary(arrow_type):
            arrow_type = arrow_type.value_type
        typed[name] = pa.scalar(value, type=arrow_type)
    return typed


def _single_file(path: str, fmt: Format | None, csv: Any) -> InputFile:
    fmt = fmt or format_of(path)
    if fmt is None:
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise SourceError(path, f"cannot be read ({exc.strerror or exc})") from None
        if magic != _PARQUET_MAGIC:
            raise SourceError(
                path,
                "unknown file type: expected a .csv or .parquet file (or a directory of them); "
                "pass format='parquet' or format='csv'",
            )
        fmt = "parquet"
    return InputFile(path, fmt, csv=csv)


def _dataset_files(dataset: pads.Dataset) -> list[InputFile]:
    """The files of an opened pyarrow dataset, with its partition values and CSV options."""
    import pyarrow.dataset as pads

    if isinstance(dataset, pads.UnionDataset):
        return [f for child in dataset.children for f in _dataset_files(child)]
    if not isinstance(dataset, pads.FileSystemDataset):
        raise SourceError(type(dataset).__name__, "only datasets of files can be streamed; write the data to Parquet files")
    fmt, csv = _resolve_format(dataset.format)
    assert fmt is not None
    return [
        InputFile(fragment.path, fmt, _partition(fragment, dataset.schema), dataset.filesystem, csv)
        for fragment in dataset.get_fragments()
    ]


# --------------------------------------------------------------------------- schemas


def index_columns(schema: pa.Schema) -> list[str]:
    """Columns a pandas writer stored for the DataFrame's index (a RangeIndex stores none)."""
    try:
        metadata = schema.pandas_metadata
    except (ValueError, TypeError):  # malformed pandas metadata: no index to drop
        return []
    if not metadata:
        return []
    return [c for c in metadata.get("index_columns", []) if isinstance(c, str)]


def data_columns(schema: pa.Schema) -> list[str]:
    """The schema's column names without the pandas index columns."""
    index = set(index_columns(schema))
    return [name for name in schema.names if name not in index]


def _csv_options(source: InputFile, columns: Sequence[str] | None, block: int | None) -> dict[str, Any]:
    read = pacsv.ReadOptions()
    parse = pacsv.ParseOptions()
    convert = pacsv.ConvertOptions(**_CSV_CONVERT)
    if source.csv is not None:
        parse = source.csv.parse_options
        scan = source.csv.default_fragment_scan_options
        # Copies: the caller's options are not to be changed by the settings below.
        read, convert = copy.copy(scan.read_options), copy.copy(scan.convert_options)
    if block is not None:
        read.block_size = max(read.block_size, block)
    if columns is not None:
        convert.include_columns = list(columns)
        convert.include_missing_columns = True
    return {"read_options": read, "parse_options": parse, "convert_options": convert}


def _csv_stream(source: InputFile, handle: Any) -> Any:
    # Compressed CSV is recognised from the file name, as pyarrow does for paths.
    if source.path.lower().endswith(COMPRESSION_SUFFIXES):
        return pa.CompressedInputStream(handle, pa.Codec.detect(source.path).name)
    return handle


def _open_csv(source: InputFile, handle: Any, columns: Sequence[str] | None) -> Any:
    return pacsv.open_csv(_csv_stream(source, handle), **_csv_options(source, columns, _CSV_BLOCK))


def _own_schema(source: InputFile) -> tuple[pa.Schema, int | None]:
    """The columns stored in the file (CSV: typed from its first block), and its rows where
    the footer tells them (Parquet; None for CSV)."""
    with source.open() as handle:
        if source.format == "parquet":
            metadata = pq.read_metadata(handle)
            return metadata.schema.to_arrow_schema(), int(metadata.num_rows)
        with _open_csv(source, handle, None) as reader:
            return _csv_schema(reader.schema), None


def file_schema(source: InputFile) -> pa.Schema:
    """The file's own schema (CSV: the types of its first block), partition columns appended.

    Raises
    ------
    SourceError
        Naming the file, when it cannot be read.
    """
    return file_schema_and_rows(source)[0]


def file_schema_and_rows(source: InputFile) -> tuple[pa.Schema, int | None]:
    """:func:`file_schema`, and the file's rows where its footer tells them (Parquet), from
    one read of the footer; None for CSV."""
    schema, rows = checked(source, _own_schema)
    for name, value in source.partition.items():
        if name not in schema.names:
            schema = schema.append(pa.field(name, value.type))
    return schema, rows


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.timestamp("ms")) if pa.types.is_date(f.type) else f for f in schema])


def count_rows(source: InputFile) -> int:
    """Rows of one file (Parquet: from its footer)."""

    def read(source: InputFile) -> int:
        with source.open() as handle:
            if source.format == "parquet":
                return int(pq.read_metadata(handle).num_rows)
            with _open_csv(source, handle, []) as reader:
                return sum(batch.num_rows for batch in reader)

    return int(checked(source, read))


# --------------------------------------------------------------------------- reading


def _dates_as_timestamps(data: Any) -> Any:
    # CSV dates ("2021-04-04") arrive as date32 while Parquet usually holds timestamps; one
    # type lets files concatenate and lets profiles bin both as datetimes.
    for i, column in enumerate(data.schema):
        if pa.types.is_date(column.type):
            data = data.set_column(i, column.name, data.column(i).cast(pa.timestamp("ms")))
    return data


def _with_partition(data: Any, source: InputFile, columns: Sequence[str]) -> Any:
    """`data` with the requested partition columns appended (a file's own column wins)."""
    for name, value in source.partition.items():
        if name in columns and name not in data.schema.names:
            data = data.append_column(name, pa.repeat(value, data.num_rows))
    return data


def read_file(source: InputFile, columns: Sequence[str]) -> pa.Table:
    """The `columns` that one file has, read whole (CSV types inferred from the whole file).

    Raises
    ------
    SourceError
        Naming the file, when it cannot be read.
    """

    def read(source: InputFile) -> pa.Table:
        own = set(data_columns(_own_schema(source)[0]))
        present = [c for c in columns if c in own]
        with source.open() as handle:
            if source.format == "parquet":
                table = pq.read_table(handle, columns=present)
            else:
                # read_csv infers each column's type from the whole file; a streaming reader
                # fixes it on the first block and fails on a later value that does not fit.
                table = _dates_as_timestamps(pacsv.read_csv(_csv_stream(source, handle), **_csv_options(source, present, None)))
        return _with_partition(table, source, columns)

    return checked(source, read)


def _file_batches(
    source: InputFile, columns: Sequence[str], batch_size: int, dictionary: Iterable[str]
) -> Iterator[pa.RecordBatch]:
    """Batches of one file: the `columns` it has, in its own types, partition columns appended."""
    with source.open() as handle:
        if source.format == "parquet":
            metadata = pq.read_metadata(handle)
            schema = metadata.schema.to_arrow_schema()
            own = set(data_columns(schema))
            present = [c for c in columns if c in own]
            # Parquet stores strings dictionary-encoded: read so, counting distinct values
            # needs neither the strings materialised per row nor a hash of each one.
            wanted = set(dictionary)
            as_dictionary = [c for c in present if c in wanted and _is_text(schema.field(c).type)]
            # Read page by page: pyarrow.dataset's scanner decodes whole row groups, so its
            # memory would grow with the writer's row-group size, not with `batch_size`.
            reader = pq.ParquetFile(
                handle, metadata=metadata, buffer_size=_READ_BUFFER, pre_buffer=False, read_dictionary=as_dictionary or None
            )
            for batch in reader.iter_batches(batch_size=batch_size, columns=present):
                yield _with_partition(batch, source, columns)
            return
        # Columns the file lacks come back as nulls (include_missing_columns): missing values,
        # as the engines count a Parquet file's absent column.
        with _open_csv(source, handle, [c for c in columns if c not in source.partition]) as reader:
            for block in reader:
                block = _dates_as_timestamps(block)
                for start in range(0, block.num_rows, batch_size):
                    yield _with_partition(block.slice(start, batch_size), source, columns)


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


Progress = Callable[[int], None]


def read_batches(
    files: Sequence[InputFile],
    columns: Sequence[str],
    *,
    batch_size: int,
    dictionary: Iterable[str] = (),
    progress: Progress | None = None,
) -> Iterator[tuple[InputFile, pa.RecordBatch]]:
    """Non-empty batches of every file in order, each with the file it came from.

    A batch holds the requested `columns` that its file has, in the file's own types, at
    most `batch_size` rows; Parquet string columns named in `dictionary` come as dictionary
    arrays. A background thread decodes the next batches while the caller works on one
    (pyarrow decodes without holding the GIL, so both cores are busy); the queue holds at
    most two decoded batches, which bounds the memory. `progress` is called with each
    batch's row count once the caller asks for the next one.

    Raises
    ------
    SourceError
        Naming the file, when one cannot be read.
    """
    queue: Queue[Any] = Queue(maxsize=_BATCH_READAHEAD)
    stop = threading.Event()
    batches = _all_batches(files, list(dict.fromkeys(columns)), batch_size, list(dictionary))
    worker = threading.Thread(target=_produce, args=(batches, queue, stop), name="kl_drift-reader", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
            if progress is not None:
                progress(item[1].num_rows)
    finally:
        stop.set()
        while worker.is_alive():
            try:
                queue.get_nowait()
            except Empty:
                worker.join(timeout=0.01)


_DONE = object()


def _all_batches(
    files: Sequence[InputFile], columns: list[str], batch_size: int, dictionary: list[str]
) -> Iterator[tuple[InputFile, pa.RecordBatch]]:
    for source in files:
        for batch in _named(source, _file_batches(source, columns, batch_size, dictionary)):
            if batch.num_rows:
                yield source, batch


def _produce(batches: Iterator[Any], queue: Queue[Any], stop: threading.Event) -> None:
    """The reader thread: batches onto the queue, then _DONE, or the error for the consumer to raise."""
    try:
        for item in batches:
            if stop.is_set():
                return
            queue.put(item)
        queue.put(_DONE)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        queue.put(exc)


def _named(source: InputFile, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches, with read errors turned into a SourceError naming the file."""
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as exc:
            raise _source_error(source, exc) from None
        yield batch


def checked(source: InputFile, read: Callable[[InputFile], Any]) -> Any:
    """``read(source)``, with I/O and Arrow errors turned into a SourceError naming the file."""
    try:
        return read(source)
    except SourceError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise _source_error(source, exc) from None


def _source_error(source: InputFile, exc: BaseException) -> SourceError:
    if isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException):
        return SourceError(source.path, f"cannot be read ({exc.strerror or exc})")
    text = str(exc).strip()
    first_line = text.splitlines()[0] if text else type(exc).__name__
    if source.format == "csv" and "conversion error" in text.lower():
        return SourceError(
            source.path,
            f"is not a readable CSV file: {first_line} (streamed CSV column types are inferred from the first "
            f"{_CSV_BLOCK >> 20} MiB; set them with format=pyarrow.dataset.CsvFileFormat(convert_options=...))",
        )
    what = "Parquet" if source.format == "parquet" else "CSV"
    return SourceError(source.path, f"is not a readable {what} file: {first_line}")
