"""A column's group in a pair's 2-D bins as conditions, for engines that count in a query.

Each column of a pair maps to its group (:func:`kl_drift._core.pairs.coarsen`) by a ``CASE``
whose branches follow the bins' semantics as the aggregate plan does
(:mod:`kl_drift._engines.plan`): missing values (NULL, and NaN where the engine has it)
first, then numeric groups by their upper boundaries (right-closed bins, ±inf in the
tails), or the categories that own a group, every other value in the group of "(unseen)"
(or of "(other)" when the reference's pooled values were not all listed). SQL and Spark
spell the ``CASE`` with their own expressions (:class:`~kl_drift._engines.plan.AggregateOps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._core.bins import CategoricalBins, NumericBins
from .plan import AggregateOps

__all__ = ["group_branches"]


def group_branches(
    column: Any, spec: NumericBins | CategoricalBins, groups: Sequence[int], ops: AggregateOps, *, floating: bool
) -> tuple[list[tuple[Any, int]], int]:
    """``(branches, otherwise)`` of the ``CASE`` giving each row's group: the first branch
    whose condition holds gives the group, else `otherwise`."""
    branches: list[tuple[Any, int]] = [(ops.is_missing(column, floating), int(groups[-1]))]
    if isinstance(spec, NumericBins):
        if spec.datetime:
            value = ops.datetime_operand(column)
            bounds = [ops.datetime_edge(int(e), spec.tz) for e in spec.edges]
        else:
            value, bounds = column, list(spec.edges)
        # Bin i is (e_(i-1), e_i]: a group ends after bin i where the next bin's differs.
        for i in range(len(spec.edges)):
            if groups[i] != groups[i + 1]:
                branches.append((value <= bounds[i], int(groups[i])))
        return branches, int(groups[len(spec.edges)])
    rest_bin = spec.other_index if spec.has_other and not spec.other_complete else spec.unseen_index
    rest = int(groups[rest_bin])
    for i, category in enumerate(spec.categories):
        if groups[i] != rest:
            branches.append((column == category, int(groups[i])))
    if spec.other_values and spec.other_index is not None and groups[spec.other_index] != rest:
        branches.append((ops.isin(column, spec.other_values), int(groups[spec.other_index])))
    return branches, rest
