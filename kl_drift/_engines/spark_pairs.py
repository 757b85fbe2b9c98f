"""Column pairs on Spark: one ``groupBy`` of two ``CASE`` columns per pair.

Each column of a pair is mapped to its group in the pair's 2-D bins by a ``CASE``
(:mod:`kl_drift._engines.pair_plan`, with the Spark engine's expressions); Spark returns
one row per non-empty cell to the driver, never a data row. Types are decided by the type
table (:func:`kl_drift._engines.types.spark_family`), as the Spark engine decides them for
columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .._core.pairs import PairCounts
from .pair_plan import group_branches
from .spark import SparkOps, spark_column
from .types import mismatch, spark_family

if TYPE_CHECKING:
    from ..profile import ReferenceProfile

__all__ = ["count_pairs"]

_OPS = SparkOps()


def _group_column(name: str, data_type: Any, reference: ReferenceProfile, groups: Sequence[int]) -> Any:
    column = spark_column(name)
    if isinstance(data_type, T.DateType):
        # As the Spark engine compares a DATE with the bins' wall-clock edges.
        column = column.cast("timestamp_ntz")
    spec = reference[name].bins
    assert spec is not None
    floating = isinstance(data_type, (T.FloatType, T.DoubleType))
    branches, otherwise = group_branches(column, spec, groups, _OPS, floating=floating)
    case = F.when(branches[0][0], branches[0][1])
    for condition, group in branches[1:]:
        case = case.when(condition, group)
    return case.otherwise(otherwise)


def count_pairs(reference: ReferenceProfile, pairs: Sequence[PairCounts], data: Any) -> tuple[PairCounts, ...]:
    """The `pairs` of `reference` holding the counts of a Spark DataFrame.

    A pair with a column `data` lacks, or whose type does not fit its bins, is left out (the
    column counts say why).
    """
    types = {field.name: field.dataType for field in data.schema.fields}
    counted = []
    for pair in pairs:
        fits = all(
            name in types
            and reference[name].bins is not None
            and mismatch(reference[name].bins, spark_family(types[name]), types[name].simpleString()) is None
            for name in pair.columns
        )
        if not fits:
            continue
        x, y = (_group_column(n, types[n], reference, g).alias(f"g{i}") for i, (n, g) in enumerate(zip(pair.columns, pair.groups)))
        table = np.zeros(pair.table.shape, dtype=np.int64)
        for gx, gy, n in data.select(x, y).groupBy("g0", "g1").count().collect():
            table[int(gx), int(gy)] += int(n)
        counted.append(pair.with_counts(table))
    return tuple(counted)
