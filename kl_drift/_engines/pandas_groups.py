"""Counting a pandas column and, in the same pass, each row's group in a pair's 2-D bins.

A column in a pair (:mod:`kl_drift.pairs`) is read twice otherwise: once by the pandas
engine for its own counts, once for its rows' groups (its bins coarsened). Here both come
from one pass:

* numeric columns: the engine compares each 65,536-row block with every edge while it is
  in cache; the group boundaries are some of those edges, so a row's group is the number of
  boundaries it lies above, taken from comparisons already made (about 0.4 ms per million
  rows instead of 1.4 ms for a separate pass);
* categorical columns: one hash pass (Arrow's dictionary encoding, or ``pd.factorize``)
  gives each row's distinct value; the counts per value come from a ``bincount`` of those
  codes instead of a second hash pass (``value_counts``), and each distinct value is mapped
  to its bin once.

The counts are the engine's (:func:`kl_drift._engines.pandas.count_column`) and the groups
those of :func:`kl_drift.pairs.group_codes`, integer for integer (tested). Columns this does
not cover (datetimes, ISO text, nullable or object numbers, uint64, the compiled kernels in
use) are counted by the engine and get no codes: the pairs then compute them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._core import kernels
from .._core.bins import CategoricalBins, NumericBins
from .._core.bins import _edges_for as edges_for
from .._core.pairs import BLOCK_ROWS
from ..counts import ColumnCounts
from .pandas import (
    ColumnProblem,
    count_column,
    list_unseen,
    map_values,
    numeric_array,
    series_family,
)
from .types import mismatch

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["count_column_grouped", "numeric_groups_counted", "arrow_text"]

# Past this many edges the engine counts by binary search, not by one comparison per edge.
_COMPARE_MAX_EDGES = 24
# Integers up to this size are exact as float64: a group boundary within it places an
# integer as the float64 comparison of `kl_drift.pairs.group_codes` does.
_EXACT_FLOAT_INT = 2**53


def count_column_grouped(
    series: pd.Series, spec: Any, name: str, groups: Sequence[int]
) -> tuple[ColumnCounts, NDArray[np.uint8] | None]:
    """``count_column(series, spec, name)``, and each row's group under `groups` (the
    column's bin-to-group map in a pair) when it comes from the same pass, else None."""
    if isinstance(spec, NumericBins):
        usable = not spec.datetime and not spec.text and isinstance(series.dtype, np.dtype)
        usable = usable and series.dtype.kind in "fiu" and not (series.dtype.kind == "u" and series.dtype.itemsize == 8)
    else:
        usable = isinstance(spec, CategoricalBins) and _hashable_kind(series)
    if not usable or not _fits(series, spec):
        return count_column(series, spec, name), None
    if isinstance(spec, NumericBins):
        x, n_absent = numeric_array(series)
        counted = numeric_groups_counted(x, spec.edges, groups)
        if counted is None or n_absent:
            return count_column(series, spec, name), None
        counts, n_inf, codes = counted
        return ColumnCounts(name, tuple(counts.tolist()), int(n_inf)), codes
    try:
        values, freq, n_missing, rows = _distinct(series)
    except (TypeError, ColumnProblem):
        return count_column(series, spec, name), None
    try:
        counts, targets = map_values(values, freq, n_missing, spec)
    except ColumnProblem:
        return count_column(series, spec, name), None
    unseen, complete = list_unseen(values, freq, targets, spec)
    lookup = np.asarray(groups, dtype=np.uint8)
    # Row codes index the distinct values; missing rows index the last entry (-1 or one past).
    codes = np.append(lookup[targets], lookup[-1])[rows]
    return ColumnCounts(name, tuple(counts.tolist()), 0, unseen, complete), codes


def _fits(series: pd.Series, spec: Any) -> bool:
    """Whether the engine would count the column (its type fits the bins): otherwise the
    engine's own path reports why."""
    try:
        family, type_name = series_family(series)
    except ColumnProblem:
        return False
    return mismatch(spec, family, type_name) is None


def _hashable_kind(series: pd.Series) -> bool:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or arrow_text(series) is not None:
        return True
    return isinstance(dtype, np.dtype) and dtype.kind in "Obiuf"


def arrow_text(series: pd.Series) -> Any:
    """The column as one pyarrow string array, or None when it is not Arrow-backed text."""
    import pandas as pd

    storage = getattr(series.dtype, "storage", None)
    if not (isinstance(series.dtype, pd.ArrowDtype) or storage in ("pyarrow", "pyarrow_numpy")):
        return None
    import pyarrow as pa

    values = pa.chunked_array(series.array.__arrow_array__())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)


def _distinct(series: pd.Series) -> tuple[list[Any], NDArray[np.int64], int, NDArray[np.integer[Any]]]:
    """The distinct non-missing values (in order of first appearance, as ``value_counts(sort=
    False)`` lists them; a categorical's categories, used or not), their counts, the missing
    count, and each row's value (-1 for missing)."""
    import pandas as pd

    text = arrow_text(series)
    if text is not None:
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(text)
        values = encoded.dictionary.to_pylist()
        indices = encoded.indices
        # Missing rows point one past the values, which is where -1 points too.
        rows = (pc.fill_null(indices, len(values)) if indices.null_count else indices).to_numpy()
        per_value = np.bincount(rows, minlength=len(values) + 1).astype(np.int64)
        return values, per_value[:-1], int(per_value[-1]), rows
    if isinstance(series.dtype, pd.CategoricalDtype):
        rows = series.cat.codes.to_numpy()
        values = list(np.asarray(series.dtype.categories, dtype=object))
    else:
        rows, uniques = pd.factorize(series, use_na_sentinel=True)
        values = list(np.asarray(uniques, dtype=object))
    # Shifted by one so that missing rows (-1) are counted in the first slot.
    per_value = np.bincount(np.add(rows, 1, dtype=np.intp), minlength=len(values) + 1).astype(np.int64)
    return values, per_value[1:], int(per_value[0]), rows


def numeric_groups_counted(
    x: NDArray[Any], edges: Sequence[Any], groups: Sequence[int]
) -> tuple[NDArray[np.int64], int, NDArray[np.uint8]] | None:
    """Counts of `x` into right-closed bins with open tails ("(missing)" last), its ±inf
    count, and each row's group under `groups`; None where that is not one pass (then count
    and place apart).

    The counts are those of :func:`kl_drift._core.bins.count_numeric` (``x <= e`` per edge,
    ``x == x`` for the non-missing), the groups those of :func:`kl_drift.pairs.group_codes`:
    a row's group is the first group plus the number of group boundaries it lies above,
    NaN in the last group.

    Examples
    --------
    >>> got = numeric_groups_counted(np.array([0.5, 1.5, 2.5, np.nan]), (1.0, 2.0), (0, 1, 1, 2))
    >>> got is None or (got[0].tolist(), got[1], got[2].tolist()) == ([1, 1, 1, 1], 0, [0, 1, 1, 2])
    True
    """
    if x.dtype not in (np.float64, np.int64) or not edges or len(edges) > _COMPARE_MAX_EDGES:
        return None
    is_float = x.dtype == np.float64
    edge_arr = edges_for(x, tuple(edges))
    if kernels.count_bins(x, edge_arr) is not None:
        # The compiled kernels count this process's columns (one pass of their own).
        return None
    lookup = np.asarray(groups, dtype=np.uint8)
    boundary = [bool(lookup[i] != lookup[i + 1]) for i in range(len(edges))]
    if not is_float and any(b and abs(float(e)) >= _EXACT_FLOAT_INT for b, e in zip(boundary, edges)):
        return None
    n = x.size
    cum = np.zeros(len(edges), dtype=np.int64)
    n_values, n_inf = (0, 0) if is_float else (n, 0)
    codes = np.empty(n, dtype=np.uint8)
    scratch = np.empty(min(n, BLOCK_ROWS), dtype=bool)
    nan_scratch = np.empty(min(n, BLOCK_ROWS), dtype=bool)
    top = int(lookup[0]) + sum(boundary)
    # NaN lies at no boundary, so it sits in the top group: "(missing)" is the next one in
    # the maps `coarsen` makes, one addition away.
    missing_next = int(lookup[-1]) == top + 1
    for start in range(0, n, BLOCK_ROWS):
        block = x[start : start + BLOCK_ROWS]
        out, mask = codes[start : start + BLOCK_ROWS], scratch[: block.size]
        out.fill(top)
        for i, e in enumerate(edge_arr):
            np.less_equal(block, e, out=mask)
            cum[i] += np.count_nonzero(mask)
            if boundary[i]:
                # At or below a boundary: one group lower (NaN never is; it is placed below).
                # The mask's bytes as uint8 (0 or 1): no cast, twice as fast as from bool.
                np.subtract(out, mask.view(np.uint8), out=out)
        if is_float:
            present = int(np.count_nonzero(np.equal(block, block, out=mask)))
            n_values += present
            n_inf += int(np.count_nonzero(np.isinf(block, out=mask)))
            if present < block.size:
                nan = np.isnan(block, out=nan_scratch[: block.size])
                if missing_next:
                    np.add(out, nan.view(np.uint8), out=out)
                else:
                    np.copyto(out, lookup[-1], where=nan)
    n_missing = n - n_values
    value_counts = np.diff(np.concatenate(([0], cum, [n - n_missing])))
    return np.concatenate((value_counts, [n_missing])).astype(np.int64), n_inf, codes
