"""Reading CSV and Parquet inputs (files, directories, globs) for the command line.

Files are found and read by `kl_drift._engines.files`, the one place that holds the
rules (literal names before globs, hidden files, suffixes, Hive partitions, pandas index
columns, missing columns); this module only assembles what the CLI needs: the plan for
streaming Parquet inputs through the Arrow engine, or one DataFrame of CSV inputs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from .._engines.files import (
    InputFile,
    SourceError,
    count_rows,
    data_columns,
    file_schema,
    find_files,
    read_file,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    from .._lazy import pandas as pd

__all__ = ["SourceError", "InputFile", "expand_paths", "parquet_stream", "read_table", "progress_bar"]

# A progress bar is worth drawing past this many input bytes (or for several files).
_PROGRESS_MIN_BYTES = 32 * 2**20


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
    return find_files(list(paths))


def _columns(sources: Sequence[InputFile]) -> list[list[str]]:
    """Each file's data columns (pandas index columns left out)."""
    return [data_columns(file_schema(source)) for source in sources]


def _choose(
    sources: Sequence[InputFile],
    names: Sequence[Sequence[str]],
    columns: Sequence[str] | None,
    exclude: Sequence[str],
    missing: Literal["error", "ignore"],
) -> list[str]:
    """The columns to read: every column of any input (or `columns`) less `exclude`."""
    everywhere = list(dict.fromkeys(name for found in names for name in found))
    first = list(names[0])
    for column in exclude:
        if column not in everywhere:
            raise SourceError(sources[0].path, f"has no column {column!r} to exclude; its columns are {first}")
    wanted = [c for c in (dict.fromkeys(columns) if columns is not None else everywhere) if c not in exclude]
    if missing == "error":
        for column in wanted:
            if column not in everywhere:
                raise SourceError(sources[0].path, f"has no column {column!r}; its columns are {first}")
    return [c for c in wanted if c in everywhere]


def parquet_stream(
    paths: Sequence[str | os.PathLike[str]],
    columns: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
    missing: Literal["error", "ignore"] = "error",
) -> tuple[list[InputFile], list[str], int] | None:
    """Files, columns and total rows for the streaming engine, when the inputs are Parquet files.

    Returns None when some input is CSV, which `read_table` reads whole (its column
    types are then inferred from whole files). Every file's footer is read first, so a
    corrupted file is a `SourceError` naming it before any counting. A column that
    some files lack is read as missing values in their rows.
    """
    files = expand_paths(paths)
    if any(f.format != "parquet" for f in files):
        return None
    selected = _choose(files, _columns(files), columns, exclude, missing)
    return files, selected, sum(count_rows(f) for f in files)


class _NoProgress:
    def update(self, n: float) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""


def _progress(total_bytes: int, n_files: int, enabled: bool | None) -> Any:
    large = n_files > 1 or total_bytes >= _PROGRESS_MIN_BYTES
    return progress_bar(total_bytes, unit="B", desc="reading", enabled=enabled, large=large)


def progress_bar(total: int | None, *, unit: str, desc: str, enabled: bool | None = None, large: bool = True) -> Any:
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
    names = _columns(sources)
    kept = _choose(sources, names, columns, exclude, missing)
    if not kept:
        raise SourceError(sources[0].path, f"has none of the columns {list(columns or [])}; its columns are {names[0]}")
    tables: list[pa.Table] = []
    bar = _progress(sum(s.size for s in sources), len(sources), progress)
    try:
        for source in sources:
            tables.append(read_file(source, kept))
            bar.update(source.size)
    finally:
        bar.close()
    frame: pd.DataFrame = _concat(sources, tables, kept).to_pandas(date_as_object=False)
    return frame


def _concat(sources: Sequence[InputFile], tables: list[pa.Table], columns: list[str]) -> pa.Table:
    """One table; columns a file lacks are nulls in its rows, numbers of different widths widen."""
    try:
        return pa.concat_tables(tables, promote_options="permissive").select(columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        for column in columns:
            typed = [(s, t.schema.field(column).type) for s, t in zip(sources, tables) if column in t.schema.names]
            typed = [(s, t) for s, t in typed if not pa.types.is_null(t)]
            for source, arrow_type in typed[1:]:
                if arrow_type != typed[0][1]:
                    raise SourceError(
                        source.path,
                        f"column {column!r} is {arrow_type} here but {typed[0][1]} in {typed[0][0].path}; "
                        f"the inputs' column types do not agree ({str(exc).splitlines()[0]})",
                    ) from None
        raise SourceError(sources[0].path, f"the inputs' column types do not agree: {exc}") from None
