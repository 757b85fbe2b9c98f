"""What the files of a stream hold, read from their footers before any row: columns and types per file.

Each file keeps its own types. Counting checks every file's type against the reference bins
(:mod:`kl_drift._engines.types`); profiling needs one type per column, so the files' types
must agree (numbers of different widths do, as ``pandas.concat`` would make them one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..errors import ColumnError
from .files import InputFile, data_columns, file_schema, file_schema_and_rows, index_columns
from .types import FITS, arrow_family, family_text

if TYPE_CHECKING:
    import pandas as pd
else:
    from .._lazy import pandas as pd

__all__ = ["Survey"]


@dataclass(frozen=True)
class Survey:
    """The files of a stream with each file's data columns and their types.

    Attributes
    ----------
    files : tuple of InputFile
    schemas : tuple of pyarrow.Schema
        Per file: its data columns (pandas index columns left out), partition columns
        included, with the file's own types and metadata.
    names : tuple of str
        Every data column of any file, in order of first appearance.
    rows : int or None
        Rows of all files, where every footer tells them (Parquet); None otherwise.
    """

    files: tuple[InputFile, ...]
    schemas: tuple[pa.Schema, ...]
    names: tuple[str, ...]
    rows: int | None = None

    @classmethod
    def of(cls, files: Sequence[InputFile]) -> Survey:
        """Read every file's schema (Parquet: its footer; CSV: its first block)."""
        schemas = []
        names: dict[str, None] = {}
        rows: int | None = 0
        for source in files:
            schema, file_rows = file_schema_and_rows(source)
            rows = None if rows is None or file_rows is None else rows + file_rows
            duplicated = sorted({n for n in schema.names if schema.names.count(n) > 1})
            if duplicated:
                raise ColumnError(duplicated[0], f"appears more than once in file {source.path}; column names must be unique")
            keep = data_columns(schema)
            schemas.append(pa.schema([schema.field(n) for n in keep], metadata=schema.metadata))
            names.update(dict.fromkeys(keep))
        return cls(tuple(files), tuple(schemas), tuple(names), rows)

    def types(self, name: str) -> list[tuple[InputFile, pa.DataType]]:
        """The files that hold column `name`, with its type in each."""
        return [(source, schema.field(name).type) for source, schema in zip(self.files, self.schemas) if name in schema.names]

    def select(self, columns: Sequence[str] | None, what: str) -> list[str]:
        """The requested columns (default: all), each checked to be in some file."""
        if columns is None:
            return list(self.names)
        for name in columns:
            if name not in self.names:
                raise ColumnError(name, f"is in `columns` but not in the {what} data{self._index_hint(name)}")
        return list(dict.fromkeys(columns))

    def _index_hint(self, name: str) -> str:
        for source in self.files:
            if name in index_columns(file_schema(source)):
                return f" (file {source.path} stores it as the pandas index, which is not data)"
        return ""

    def conflict(self, name: str) -> str | None:
        """Why the files' types of `name` cannot make one column, or None.

        Two types agree when some reference bins take both (the type table's FITS): numbers
        of any width, datetimes and dates. Columns of nulls agree with anything.
        """
        seen: list[tuple[InputFile, pa.DataType, str]] = []
        for source, arrow_type in self.types(name):
            family = arrow_family(arrow_type)
            if family == "null":
                continue
            for first, first_type, first_family in seen:
                if not any(family in fits and first_family in fits for fits in FITS.values()):
                    return (
                        f"its type differs between files: {family_text(first_family)} ({first_type}) in file "
                        f"{first.path}, {family_text(family)} ({arrow_type}) in file {source.path}"
                    )
            if not any(family == f for _, _, f in seen):
                seen.append((source, arrow_type, family))
        return None

    def arrow_type(self, name: str) -> pa.DataType:
        """One type for the column across files: numbers widened as pyarrow promotes them."""
        typed = [t for _, t in self.types(name) if not pa.types.is_null(t)]
        if not typed:
            return pa.null()
        if all(t == typed[0] for t in typed):
            return typed[0]
        try:
            unified = pa.unify_schemas([pa.schema([(name, t)]) for t in typed], promote_options="permissive")
            return unified.field(name).type
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return typed[0]

    def pandas_dtype(self, name: str) -> Any:
        """The dtype pandas gives the whole column (before nulls that later files bring).

        The first file's pandas metadata restores dtypes such as category, Int64 or str, as
        long as the files agree on the Arrow type.
        """
        arrow_type = self.arrow_type(name)
        metadata = None
        for _, schema in zip(self.files, self.schemas):
            if name in schema.names and not pa.types.is_null(schema.field(name).type):
                if schema.field(name).type == arrow_type:
                    metadata = schema.metadata
                break
        empty = pa.schema([(name, arrow_type)], metadata=metadata).empty_table()
        try:
            return empty.to_pandas()[name].dtype
        except (ValueError, TypeError, KeyError, pa.ArrowException):  # metadata that does not fit the type
            return pa.schema([(name, arrow_type)]).empty_table().to_pandas()[name].dtype

    def empty_series(self, name: str) -> pd.Series:
        """An empty column of the whole column's dtype."""
        return pd.Series([], dtype=self.pandas_dtype(name), name=name)
