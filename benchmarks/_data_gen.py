"""Deterministic benchmark data: 20 numeric + 5 categorical columns, reference and drifted current.

Shared by ``bench.py`` (in-memory frames) and its ``--parquet`` mode (chunked files), so
both measure the same distributions. Every column is drawn from its own seeded generator,
so a column's values depend only on (seed, column, chunk) and never on the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

N_NUMERIC = 20
N_CATEGORICAL = 5
NUMERIC = [f"num_{j:02d}" for j in range(N_NUMERIC)]
CATEGORICAL = [f"cat_{j}" for j in range(N_CATEGORICAL)]
COLUMNS = NUMERIC + CATEGORICAL
# Cardinalities of the categorical columns, smallest to largest; frequencies are Zipf-like.
CARDINALITIES = (3, 12, 50, 300, 5000)
# The third categorical column is a pandas "category" column, the others pandas strings.
CATEGORY_DTYPE_COLUMN = "cat_2"


def _numeric(rng: np.random.Generator, j: int, n: int, drift: bool) -> np.ndarray:
    shift = 0.3 if drift and j == 0 else 0.0
    scale = 1.5 if drift and j == 5 else 1.0
    kind = j % 5
    if kind == 0:
        return rng.normal(j + shift, scale * (1 + j / 10), size=n)
    if kind == 1:
        return rng.lognormal(0.0, 0.5 * scale, size=n)
    if kind == 2:
        return rng.uniform(0.0, 1000.0, size=n)
    if kind == 3:
        # Integers with many distinct values: binned numerically, with ties at the edges.
        return rng.integers(0, 100_000, size=n)
    x = rng.exponential(3.0 * scale, size=n)
    x[rng.random(n) < 0.02] = np.nan
    return x


def _categorical(rng: np.random.Generator, j: int, n: int, drift: bool) -> pd.Series:
    k = CARDINALITIES[j]
    weights = 1.0 / np.arange(1, k + 1)
    if drift and j == 1:
        weights = weights[::-1].copy()
    labels = [f"{'abcde'[j]}{i:04d}" for i in range(k)]
    if drift and j == 4:
        # A category the reference never had, for the "(unseen)" bucket.
        weights = np.append(weights, weights.sum() * 0.05)
        labels.append("new_value")
    codes = rng.choice(len(labels), size=n, p=weights / weights.sum())
    name = CATEGORICAL[j]
    if name == CATEGORY_DTYPE_COLUMN:
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels)), name=name)
    return pd.Series(pd.array(labels, dtype="str").take(codes), name=name)


def frame(n: int, *, seed: int, drift: bool = False, chunk: int = 0) -> pd.DataFrame:
    """`n` rows of the benchmark table; `chunk` selects an independent block of rows."""
    data: dict[str, object] = {}
    for j, name in enumerate(NUMERIC):
        data[name] = _numeric(np.random.default_rng([seed, j, chunk]), j, n, drift)
    for j, name in enumerate(CATEGORICAL):
        data[name] = _categorical(np.random.default_rng([seed, 100 + j, chunk]), j, n, drift).array
    return pd.DataFrame(data, copy=False)


def chunks(n: int, *, seed: int, drift: bool, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The benchmark table in blocks of `chunk_rows` rows (the last one shorter)."""
    for index, start in enumerate(range(0, n, chunk_rows)):
        yield frame(min(chunk_rows, n - start), seed=seed, drift=drift, chunk=index)


def write_parquet(path: Path, n: int, *, seed: int, drift: bool, chunk_rows: int = 1_000_000) -> Path:
    """Write the table to one Parquet file, one row group per chunk, never holding it whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        for block in chunks(n, seed=seed, drift=drift, chunk_rows=chunk_rows):
            table = pa.Table.from_pandas(block, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=chunk_rows)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return path
