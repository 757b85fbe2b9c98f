"""Column pairs in SQL: one ``GROUP BY`` of two ``CASE`` expressions per pair.

Each column of a pair is mapped to its group in the pair's 2-D bins by a ``CASE``
(:mod:`kl_drift._engines.pair_plan`). The database returns one row per non-empty cell; no
data row is fetched. Types are decided by the SQL engine's type table, as for columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from .._core.bins import CategoricalBins, NumericBins
from .._core.pairs import PairCounts
from . import sql as sql_engine
from .pair_plan import group_branches
from .types import mismatch

if TYPE_CHECKING:
    from ..profile import ReferenceProfile

__all__ = ["group_case", "count_pairs"]


def group_case(column: Any, spec: NumericBins | CategoricalBins, groups: Sequence[int], ops: Any, *, floating: bool) -> Any:
    """A ``CASE`` giving each row's group of `groups` (one per bin of `spec`, "(missing)" last)."""
    branches, otherwise = group_branches(column, spec, groups, ops, floating=floating)
    return sa.case(*branches, else_=otherwise)


def count_pairs(
    reference: ReferenceProfile,
    pairs: Sequence[PairCounts],
    source: Any,
    bind: Any,
    *,
    column_types: Sequence[Mapping[str, Any]] | None = None,
    schema: str | None = None,
) -> tuple[PairCounts, ...]:
    """The `pairs` of `reference` holding the counts of a table (any selectable).

    A pair with a column the table lacks, or whose type does not fit its bins, is left out
    (the column counts say why). `column_types` and `schema` as for
    :func:`kl_drift._engines.sql.count`.
    """
    counted = []
    with sql_engine.open_table(source, bind, column_types=column_types, schema=schema) as opened:
        for pair in pairs:
            cases = []
            for name, groups in zip(pair.columns, pair.groups):
                spec, current = reference[name].bins, opened.types.get(name)
                if spec is None or current is None or mismatch(spec, current.family, current.text) is not None:
                    break
                column = sa.column(name, type_=current.sql_type)
                cases.append(group_case(column, spec, groups, opened.ops, floating=sql_engine.is_floating(current.family)))
            else:
                # Grouped in an outer query by name: a GROUP BY repeating the CASEs would bind
                # their literals again, which a server-side binding database cannot match.
                cells = sa.select(cases[0].label("gx"), cases[1].label("gy")).select_from(opened.from_clause).subquery()
                query = sa.select(cells.c.gx, cells.c.gy, sa.func.count()).group_by(cells.c.gx, cells.c.gy)
                table = np.zeros(pair.table.shape, dtype=np.int64)
                for gx, gy, n in opened.conn.execute(query):
                    table[int(gx), int(gy)] += int(n)
                counted.append(pair.with_counts(table))
    return tuple(counted)
