"""One adapter per engine: (profile, current DataFrame, folder) -> CountTable.

Each adapter stores the current frame the way that engine's users would have it (Parquet
files written by pandas, a CSV file, a table written by ``DataFrame.to_sql``, Spark reading
the Parquet files) and counts it with the engine's one count function. Nothing here decides
what a type means: the engines do, through ``kl_drift._engines.types``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import kl_drift as kd
from kl_drift import CountTable, ReferenceProfile

# Rows per Parquet file: uneven parts, so a stream adds counts of files of different sizes.
PART_SHARES = (0.5, 0.3, 0.2)


def split(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """`frame` in consecutive parts of PART_SHARES of its rows."""
    bounds = np.cumsum([0, *(round(share * len(frame)) for share in PART_SHARES[:-1]), 0])
    bounds[-1] = len(frame)
    return [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def write_parquet_parts(frame: pd.DataFrame, folder: Path, *, index: bool, nan: bool = False) -> Path:
    """Several Parquet files as pandas writes them; with `index`, each stores its index.

    A filtered frame's index is not a RangeIndex, so ``to_parquet`` stores it as a column
    named "__index_level_0__": a column the stream must not take for data. pandas writes
    NaN as null; with `nan`, the nulls of floating-point columns are written as NaN instead
    (through pyarrow, as ``to_parquet`` does, pandas metadata kept), so that readers meet
    stored NaN too.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    if index:
        if isinstance(frame.index, pd.RangeIndex):
            frame = frame.set_axis(pd.Index(np.arange(len(frame), dtype=np.int64) * 7 + 3))
    else:
        frame = frame.reset_index(drop=True)
    for i, part in enumerate(split(frame)):
        path = folder / f"part-{i}.parquet"
        if not nan:
            part.to_parquet(path, index=None if index else False)
            continue
        table = pa.Table.from_pandas(part, preserve_index=None if index else False)
        for j, field in enumerate(table.schema):
            if pa.types.is_floating(field.type) and table.column(j).null_count:
                table = table.set_column(j, field, pc.fill_null(table.column(j), float("nan")))
        pq.write_table(table, path)
    names = pq.read_schema(folder / "part-0.parquet").names
    assert ("__index_level_0__" in names) == index, f"the index was not stored as asked: {names}"
    return folder


# --------------------------------------------------------------------------- adapters


def count_pandas(prof: ReferenceProfile, current: pd.DataFrame, folder: Path) -> CountTable:
    return kd.count(prof, current)


def count_parquet(prof: ReferenceProfile, current: pd.DataFrame, folder: Path) -> CountTable:
    from kl_drift.dataset import count_dataset

    return count_dataset(prof, write_parquet_parts(current, folder / "parquet", index=False, nan=True))


def count_parquet_index(prof: ReferenceProfile, current: pd.DataFrame, folder: Path) -> CountTable:
    from kl_drift.dataset import count_dataset

    return count_dataset(prof, write_parquet_parts(current, folder / "parquet_index", index=True))


def count_csv(prof: ReferenceProfile, current: pd.DataFrame, folder: Path) -> CountTable:
    from kl_drift.dataset import count_dataset

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "current.csv"
    current.to_csv(path, index=False)
    return count_dataset(prof, path)


def count_sql(prof: ReferenceProfile, current: pd.DataFrame, bind: Any, table: str, *, nan: bool = False) -> CountTable:
    """Write `current` with ``to_sql`` under a fresh name, count it, drop it.

    ``to_sql`` writes NaN as NULL. With `nan`, the NULLs of the floating-point columns are
    then set to the database's own NaN, so that its NaN semantics (in PostgreSQL NaN equals
    NaN and is greater than every number) are exercised too: both must count as missing.
    """
    import sqlalchemy as sa

    from kl_drift import sql

    current.to_sql(table, bind, index=False, if_exists="fail", chunksize=1000)
    try:
        if nan:
            floats = [c for c in current.columns if pd.api.types.is_float_dtype(current[c].dtype) and current[c].isna().any()]
            with bind.begin() as connection:
                for column in floats:
                    changed = connection.execute(
                        sa.text(f'UPDATE "{table}" SET "{column}" = \'NaN\' WHERE "{column}" IS NULL')
                    ).rowcount
                    assert changed == current[column].isna().sum(), (column, changed)
        return sql.count(prof, table, bind)
    finally:
        with bind.begin() as connection:
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))


def count_sqlite(prof: ReferenceProfile, current: pd.DataFrame, folder: Path) -> CountTable:
    import sqlalchemy as sa

    folder.mkdir(parents=True, exist_ok=True)
    bind = sa.create_engine(f"sqlite:///{folder / 'current.sqlite'}")
    try:
        return count_sql(prof, current, bind, "current")
    finally:
        bind.dispose()


def count_postgresql(prof: ReferenceProfile, current: pd.DataFrame, folder: Path, *, bind: Any) -> CountTable:
    # A fresh table name per call: runs of the suite (or other test sessions) may share the server.
    return count_sql(prof, current, bind, f"kl_conformance_{uuid.uuid4().hex[:12]}", nan=True)


def count_spark(prof: ReferenceProfile, current: pd.DataFrame, folder: Path, *, spark: Any) -> CountTable:
    from kl_drift import spark as kds

    return kds.count(prof, spark.read.parquet(str(write_parquet_parts(current, folder / "spark", index=False, nan=True))))


ADAPTERS = {
    "pandas": count_pandas,
    "parquet": count_parquet,
    "parquet_index": count_parquet_index,
    "csv": count_csv,
    "sqlite": count_sqlite,
    "postgresql": count_postgresql,
    "spark": count_spark,
}
