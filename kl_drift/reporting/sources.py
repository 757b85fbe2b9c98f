"""Reading CSV and Parquet inputs (files, directories, globs) into one pandas DataFrame.

All reading of input files goes through :func:`read_table`, so an engine that streams
files and counts them batch by batch can replace this one function.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from ..errors import KlDriftError

__all__ = ["SourceError", "InputFile", "expand_paths", "read_table"]

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
# A progress bar is worth drawing past this many input bytes (or for several files).
_PROGRESS_MIN_BYTES = 32 * 2**20
_GLOB_CHARS = frozenset("*?[")


class SourceError(KlDriftError, ValueError):
    """An input file, directory or glob cannot be read.

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


@dataclass(frozen=True)
class InputFile:
    """One file to read, its format and the Hive partition values its directory path holds."""

    path: str
    format: Literal["csv", "parquet"]
    partition: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0


def _format_of(path: str) -> Literal["csv", "parquet"] | None:
    name = path.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def _visible(path: Path, root: Path) -> bool:
    # Spark and Hive leave _SUCCESS, _metadata and .crc files next to the data.
    return not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def _directory_files(directory: str) -> list[InputFile]:
    root = Path(directory)
    found: dict[str, list[str]] = {"parquet": [], "csv": []}
    for path in sorted(root.rglob("*")):
        fmt = _format_of(path.name)
        if fmt and path.is_file() and _visible(path, root):
            found[fmt].append(str(path))
    fmt = "parquet" if found["parquet"] else "csv"
    files = found[fmt]
    if not files:
        raise SourceError(directory, "the directory holds no .parquet or .csv files")
    dataset = pads.dataset(
        files,
        format=fmt,
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=str(root),
    )
    return [
        InputFile(fragment.path, fmt, pads.get_partition_keys(fragment.partition_expression))
        for fragment in dataset.get_fragments()
    ]


def _single_file(path: str) -> InputFile:
    fmt = _format_of(path)
    if fmt is None:
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise SourceError(path, f"cannot be read ({exc.strerror or exc})") from None
        if magic != b"PAR1":
            raise SourceError(path, "unknown file type: expected a .csv or .parquet file (or a directory of them)")
        fmt = "parquet"
    return InputFile(path, fmt)


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[InputFile]:
    """The files behind the given files, directories (Parquet or CSV datasets) and glob patterns.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> for day in ("01", "02"):
    ...     _ = open(os.path.join(folder, f"2026-07-{day}.csv"), "w").write("x\\n1\\n")
    >>> [os.path.basename(f.path) for f in expand_paths([os.path.join(folder, "*.csv")])]
    ['2026-07-01.csv', '2026-07-02.csv']
    """
    if not paths:
        raise SourceError("<inputs>", "no input files given")
    files: list[InputFile] = []
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            files.extend(_directory_files(path))
        elif os.path.exists(path):
            files.append(_single_file(path))
        elif _GLOB_CHARS & set(path):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise SourceError(path, "the pattern matches no file")
            for match in matches:
                files.extend(_directory_files(match) if os.path.isdir(match) else [_single_file(match)])
        else:
            raise SourceError(path, "no such file or directory")
    return files


def parquet_stream(
    paths: Sequence[str | os.PathLike[str]],
    columns: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
    missing: Literal["error", "ignore"] = "error",
) -> tuple[list[str], list[str], int] | None:
    """Files, columns and total rows for the streaming engine, when the inputs are plain Parquet files.

    Returns None for CSV or Hive-partitioned inputs, which :func:`read_table` reads whole.
    Every file's footer is read first, so a corrupted file, or a column that some files
    have and others lack, is a :class:`SourceError` naming the file before any counting.
    """
    files = expand_paths(paths)
    if any(f.format != "parquet" or f.partition for f in files):
        return None
    import pyarrow.parquet as pq

    footers = [_checked(f, lambda f: pq.read_metadata(f.path)) for f in files]
    names = [footer.schema.to_arrow_schema().names for footer in footers]
    available = names[0]
    for source, found in zip(files[1:], names[1:]):
        if set(found) != set(available):
            differ = sorted(set(found) ^ set(available))
            raise SourceError(source.path, f"its columns differ from {files[0].path}'s: {differ}")
    for name in exclude:
        if name not in available:
            raise SourceError(files[0].path, f"has no column {name!r} to exclude")
    wanted = list(columns) if columns is not None else list(available)
    if missing == "error":
        for name in wanted:
            if name not in available:
                raise SourceError(files[0].path, f"has no column {name!r}")
    selected = [c for c in wanted if c not in exclude and c in available]
    return [f.path for f in files], selected, sum(footer.num_rows for footer in footers)


_CSV_CONVERT = {"strings_can_be_null": True}


def _column_names(source: InputFile) -> list[str]:
    if source.format == "parquet":
        names = list(pq.read_schema(source.path).names)
    else:
        # Opening a streaming reader parses only the header and the first block.
        with pacsv.open_csv(source.path, convert_options=pacsv.ConvertOptions(**_CSV_CONVERT)) as reader:
            names = list(reader.schema.names)
    return names + [k for k in source.partition if k not in names]


def _read_batches(source: InputFile, columns: list[str]) -> Iterator[tuple[pa.Table, float]]:
    """Pieces of one file's table and the fraction of the file each piece represents."""
    file_columns = [c for c in columns if c not in source.partition]
    if source.format == "csv":
        # read_csv infers each column's type from the whole file; a streaming reader would
        # fix the type on the first block and fail on a later value.
        options = pacsv.ConvertOptions(include_columns=file_columns, **_CSV_CONVERT)
        yield pacsv.read_csv(source.path, convert_options=options), 1.0
        return
    handle = pq.ParquetFile(source.path)
    if handle.num_row_groups == 0:
        yield handle.read(columns=file_columns), 1.0
    for group in range(handle.num_row_groups):
        yield handle.read_row_group(group, columns=file_columns), 1.0 / handle.num_row_groups


def _with_partition(table: pa.Table, source: InputFile, columns: list[str]) -> pa.Table:
    for key, value in source.partition.items():
        if key in columns and key not in table.column_names:
            table = table.append_column(key, pa.array([value] * table.num_rows))
    return table.select(columns)


def _dates_as_timestamps(table: pa.Table) -> pa.Table:
    # CSV dates ("2021-04-04") arrive as date32 while Parquet usually holds timestamps;
    # one type lets files concatenate and lets the profile treat both as datetimes.
    for i, column in enumerate(table.schema):
        if pa.types.is_date(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.timestamp("ms")))
    return table


class _NoProgress:
    def update(self, n: float) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""


def _progress(total_bytes: int, n_files: int, enabled: bool | None) -> Any:
    large = n_files > 1 or total_bytes >= _PROGRESS_MIN_BYTES
    return progress_bar(total_bytes, unit="B", desc="reading", enabled=enabled, large=large)


def progress_bar(
    total: int | None, *, unit: str, desc: str, enabled: bool | None = None, large: bool = True
) -> Any:
    """A tqdm bar on stderr, or a no-op; either way with ``update(n)`` and ``close()``.

    `enabled` True or False forces the choice; None draws the bar when the job is `large`
    and stderr is a terminal. Without tqdm there is never a bar.
    """
    if enabled is None:
        enabled = large and sys.stderr.isatty()
    if not enabled:
        return _NoProgress()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoProgress()
    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, file=sys.stderr, leave=False)


def read_table(
    paths: Sequence[str | os.PathLike[str]],
    columns: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
    missing: Literal["error", "ignore"] = "error",
    progress: bool | None = None,
) -> pd.DataFrame:
    """Read CSV and Parquet inputs into one DataFrame, keeping only the needed columns.

    Parameters
    ----------
    paths : sequence of str or path
        Files (``.csv``, ``.csv.gz``, ``.parquet``), directories holding Parquet (or CSV)
        files, with Hive ``key=value`` partition folders, and glob patterns.
    columns : sequence of str, optional
        Columns to read (default: every column of the first file).
    exclude : sequence of str, optional
        Columns not to read; each must exist in the inputs (a typo is an error).
    missing : {"error", "ignore"}, default "error"
        What to do with a requested column that no input has: raise, or leave it out
        (the comparison then reports it as a missing column). A column that some inputs
        have and others lack is always an error.
    progress : bool, optional
        Draw a progress bar on stderr; by default only when stderr is a terminal and the
        inputs are several files or large.

    Returns
    -------
    pandas.DataFrame
        Rows of every input in order. CSV types are inferred by pyarrow (ISO 8601 times
        become datetimes, empty fields missing values); dates become datetimes.

    Raises
    ------
    SourceError
        Naming the file and the problem: missing, unreadable, corrupted, of an unknown
        type, without a requested column, or with a value that does not fit its column.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "orders.csv")
    >>> _ = open(path, "w").write("day,amount,plan\\n2026-07-01,12.5,a\\n2026-07-02,,b\\n")
    >>> frame = read_table([path], ["day", "amount"])
    >>> frame.dtypes.astype(str).tolist(), int(frame["amount"].isna().sum())
    (['datetime64[ms]', 'float64'], 1)
    """
    sources = expand_paths(paths)
    names = {source.path: _checked(source, _column_names) for source in sources}
    first = names[sources[0].path]
    for column in exclude:
        if not any(column in n for n in names.values()):
            raise SourceError(sources[0].path, f"has no column {column!r} to exclude; its columns are {first}")
    wanted = [c for c in (dict.fromkeys(columns) if columns is not None else first) if c not in exclude]
    everywhere = {c for c in wanted if any(c in n for n in names.values())}
    for column in wanted:
        if column not in everywhere and missing == "error":
            raise SourceError(sources[0].path, f"has no column {column!r}; its columns are {first}")
        for source in sources:
            if column in everywhere and column not in names[source.path]:
                raise SourceError(source.path, f"has no column {column!r}, which other inputs have")
    kept = [c for c in wanted if c in everywhere]
    if not kept:
        raise SourceError(sources[0].path, f"has none of the columns {wanted}; its columns are {first}")

    tables: list[pa.Table] = []
    bar = _progress(sum(s.size for s in sources), len(sources), progress)
    try:
        for source in sources:
            tables.extend(_checked(source, lambda s: list(_pieces(s, kept, bar))))
    finally:
        bar.close()
    try:
        table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        where = ", ".join(os.fspath(p) for p in paths)
        raise SourceError(where, f"the inputs' column types do not agree: {exc}") from None
    frame: pd.DataFrame = table.to_pandas(date_as_object=False)
    return frame


def _pieces(source: InputFile, columns: list[str], bar: Any) -> Iterator[pa.Table]:
    size = source.size
    for table, fraction in _read_batches(source, columns):
        bar.update(size * fraction)
        yield _dates_as_timestamps(_with_partition(table, source, columns))


def _checked(source: InputFile, read: Callable[[InputFile], Any]) -> Any:
    """Run ``read(source)``, turning I/O and Arrow errors into a SourceError naming the file."""
    try:
        return read(source)
    except SourceError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SourceError(source.path, f"cannot be read ({reason})") from None
    except pa.ArrowException as exc:
        what = "Parquet" if source.format == "parquet" else "CSV"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(source.path, f"is not a readable {what} file: {first_line}") from None
