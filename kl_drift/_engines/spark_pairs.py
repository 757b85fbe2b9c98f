"""Column pairs on Spark: every pair's cells counted in one aggregation, ``pairs="auto"`` ranked.

Each column of a pair is mapped to its group in the pair's 2-D bins by a ``CASE``
(:mod:`kl_drift._engines.pair_plan`, with the Spark engine's expressions), once per column
however many pairs share it. Each row then gives one cell per pair, numbered across all
pairs (pair k's cell (i, j) is ``offset_k + i * width_k + j``); the cells are exploded and
counted by one ``groupBy`` — one job whatever the number of pairs, with Spark's partial
aggregation before the shuffle, so at most a few hundred (cell, count) rows reach the
driver, never a data row. Types are decided by the type table
(:func:`kl_drift._engines.types.spark_family`), as the Spark engine decides them for
columns.

``pairs="auto"`` (:func:`plan_pairs`) ranks on the rows the pandas path ranks on
(:func:`kl_drift.pairs.sample_rows`: all rows up to 50,000, else 50,000 positions drawn with
seed 0). A row's position is its place in the DataFrame's partitions, in partition order
(the rows per partition counted in one job, then ``monotonically_increasing_id``, which is
the partition index and the row's place within it); the sampled rows are picked by a
broadcast join on those ids, and only their group codes (small integers, computed by the
same ``CASE`` columns) are collected to the driver, where
:func:`kl_drift.pairs.rank_pairs` ranks them as the pandas path does. The sample is
therefore fixed by the data and its partitioning: the same DataFrame (a file read, a
frame made from pandas) gives the same pairs every time, and the pandas path's pairs when
its partitions hold the rows in the pandas frame's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .._core.bins import BinSpec
from .._core.pairs import DEFAULT_MAX_PAIRS, PairCounts
from .pair_plan import group_branches
from .spark import SparkOps, spark_column
from .types import mismatch, spark_family

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from ..profile import ReferenceProfile

__all__ = ["group_column", "count_pairs", "countable_pairs", "plan_pairs", "sample_codes"]

_OPS = SparkOps()
# Names of the helper columns (names no data column is expected to have).
_ID = "__kl_drift_row_id__"
_PARTITION = "__kl_drift_partition__"
# monotonically_increasing_id: the partition index in the upper 31 bits, the row's place
# within the partition in the lower 33.
_ID_SHIFT = 33


def group_column(name: str, data_type: Any, spec: BinSpec, groups: Sequence[int]) -> Column:
    """A column's group in a pair's 2-D bins: a ``CASE`` of the bins' conditions (integer)."""
    column = spark_column(name)
    if isinstance(data_type, T.DateType):
        # As the Spark engine compares a DATE with the bins' wall-clock edges.
        column = column.cast("timestamp_ntz")
    floating = isinstance(data_type, (T.FloatType, T.DoubleType))
    branches, otherwise = group_branches(column, spec, groups, _OPS, floating=floating)
    case = F.when(branches[0][0], branches[0][1])
    for condition, group in branches[1:]:
        case = case.when(condition, group)
    return case.otherwise(otherwise)


def countable_pairs(reference: ReferenceProfile, pairs: Sequence[PairCounts], data: DataFrame) -> list[PairCounts]:
    """The `pairs` whose two columns `data` has in a type that fits their bins."""
    types = {field.name: field.dataType for field in data.schema.fields}
    return [
        pair
        for pair in pairs
        if all(
            name in types
            and reference[name].bins is not None
            and mismatch(reference[name].bins, spark_family(types[name]), types[name].simpleString()) is None
            for name in pair.columns
        )
    ]


def count_pairs(reference: ReferenceProfile, pairs: Sequence[PairCounts], data: DataFrame) -> tuple[PairCounts, ...]:
    """The `pairs` of `reference` holding the counts of a Spark DataFrame, in one aggregation.

    A pair with a column `data` lacks, or whose type does not fit its bins, is left out (the
    column counts say why).
    """
    chosen = countable_pairs(reference, pairs, data)
    if not chosen:
        return ()
    types = {field.name: field.dataType for field in data.schema.fields}
    needed = list(dict.fromkeys((name, groups) for pair in chosen for name, groups in zip(pair.columns, pair.groups)))
    # Each column's group computed once, however many pairs share it.
    coded = data.select(
        *(group_column(name, types[name], reference[name].bins, groups).alias(f"g{k}") for k, (name, groups) in enumerate(needed))  # type: ignore[arg-type]
    )
    index = {item: k for k, item in enumerate(needed)}
    offsets, cells = [], []
    offset = 0
    for pair in chosen:
        (kx, ky), width = (index[item] for item in zip(pair.columns, pair.groups)), pair.table.shape[1]
        cells.append(F.col(f"g{kx}") * width + F.col(f"g{ky}") + offset)
        offsets.append(offset)
        offset += pair.table.size
    flat = np.zeros(offset, dtype=np.int64)
    exploded = coded.select(F.explode(F.array(*cells)).alias("cell"))
    for cell, n in exploded.groupBy("cell").count().collect():
        flat[int(cell)] += int(n)
    return tuple(
        pair.with_counts(flat[start : start + pair.table.size].reshape(pair.table.shape)) for pair, start in zip(chosen, offsets)
    )


def sample_codes(
    data: DataFrame,
    reference: ReferenceProfile,
    names: Sequence[str],
    groups: Sequence[Sequence[int]],
    rows: NDArray[np.intp] | None,
) -> list[NDArray[np.uint8]]:
    """Each named column's group (`groups`) of the rows at positions `rows` (None: every
    row), in position order, computed on the cluster; only the codes reach the driver."""
    types = {field.name: field.dataType for field in data.schema.fields}
    for helper in (_ID, _PARTITION):
        if helper in types:
            from ..errors import ColumnError

            raise ColumnError(helper, "is a name kl_drift uses for a helper column; rename the column")
    codes = [
        group_column(name, types[name], reference[name].bins, g).alias(f"g{k}")  # type: ignore[arg-type]
        for k, (name, g) in enumerate(zip(names, groups))
    ]
    if rows is None:
        picked = data.select(F.monotonically_increasing_id().alias(_ID), *codes)
    else:
        ided = data.select(F.spark_partition_id().alias(_PARTITION), F.monotonically_increasing_id().alias(_ID), *codes)
        sizes = dict(ided.groupBy(_PARTITION).count().collect())
        partitions = np.arange(max(sizes) + 1 if sizes else 0)
        counts = np.array([int(sizes.get(int(p), 0)) for p in partitions], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)])
        partition = np.searchsorted(starts, rows, side="right") - 1
        wanted = (partition.astype(np.int64) << _ID_SHIFT) + (rows - starts[partition])
        session = data.sparkSession
        ids = session.createDataFrame([(int(i),) for i in wanted], T.StructType([T.StructField(_ID, T.LongType(), False)]))
        picked = ided.join(F.broadcast(ids), on=_ID).drop(_PARTITION)
    collected = picked.collect()
    if not collected:
        return [np.zeros(0, dtype=np.uint8) for _ in names]
    table = np.array([tuple(row) for row in collected], dtype=np.int64)
    table = table[np.argsort(table[:, 0], kind="stable")]
    return [np.ascontiguousarray(table[:, k + 1], dtype=np.uint8) for k in range(len(names))]


def plan_pairs(
    reference: ReferenceProfile, data: DataFrame, pairs: Any, *, max_pairs: int = DEFAULT_MAX_PAIRS
) -> tuple[PairCounts, ...]:
    """The pairs of a profile fitted on `data` (named, or ``"auto"`` ranked on the sample
    rows of the module notes), with their 2-D bins and no counts yet."""
    from ..pairs import auto_columns, column_groups, rank_pairs, sample_rows
    from ..pairs import plan_pairs as plan

    def no_sample(names: Sequence[str], rows: Any) -> Any:  # pragma: no cover - only named pairs reach plan()
        raise AssertionError("named pairs need no sample")

    if isinstance(pairs, str) and pairs == "auto":
        if isinstance(max_pairs, bool) or not isinstance(max_pairs, (int, np.integer)) or max_pairs < 0:
            raise ValueError(f"`max_pairs` must be a non-negative integer, got {max_pairs!r}")
        n = reference.n_rows
        columns = auto_columns(reference.columns)
        if len(columns) < 2 or max_pairs == 0:
            return ()
        groups = [column_groups(c, n) for c in columns]
        codes = sample_codes(data, reference, [c.name for c in columns], groups, sample_rows(n))
        pairs = rank_pairs(codes, columns, groups, int(max_pairs))
    return plan(reference.columns, pairs, reference.n_rows, no_sample, max_pairs=max_pairs)
