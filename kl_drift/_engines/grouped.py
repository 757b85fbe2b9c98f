"""Grouped counting for the pandas engine: the rows of many groups (a timeline's periods)
counted into a profile's bins in one pass per column.

Each row carries a group code (-1 for rows in no group). For every column, each row's bin
is found once and ``np.bincount(group * n_bins + bin)`` gives the counts of every group at
once (counts add). The result is one :class:`~kl_drift.counts.CountTable` per group, equal
to ``pandas_engine.count(profile, rows of that group)`` in every count, ±inf count, unseen
value list and problem: the bin of a value comes from the same comparisons as
:func:`kl_drift._core.bins.count_numeric` (right-closed bins, ``#{edges < x}``, NaN missing,
±inf in the tails) and the same category lookup as
:func:`kl_drift._engines.pandas.map_values`. A column whose type the dtype alone does not
settle (object columns of anything but text, ISO 8601 text read as datetimes, 64-bit
unsigned integers) is counted group by group by the pandas engine itself, so nothing here
can depart from it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._core import kernels
from .._core.bins import CategoricalBins, NumericBins, _edges_for, count_numeric
from ..counts import ColumnCounts, CountTable
from . import pandas as pandas_engine
from .types import mismatch, pandas_dtype_family

if TYPE_CHECKING:
    from ..profile import ColumnProfile, ReferenceProfile

__all__ = ["GroupedCounts", "count_groups"]

# Values per block of the compiled kernel: 2,048 float64 values are 16 KiB (L1-resident).
_BLOCK = 2048
# numpy path: values per block (64 Ki values: 512 KiB of float64, L2-resident), and up to
# this many edges the bin is a sum of comparisons held in an int8.
_NUMPY_BLOCK = 65_536
_COMPARE_MAX_EDGES = 100
# Columns go over threads only with this many rows per group on average: each group costs
# a few small numpy calls that hold the GIL, and 25 columns x 366 groups of 5,500 rows took
# 1.40 s CPU (1.03 s wall) on 2 threads against 0.69 s on one; at 27,000 rows per group
# threads saved wall time (0.98 against 1.33 s) for 1.70 against 1.33 s CPU.
PARALLEL_MIN_GROUP_ROWS = 20_000
# Categorical columns are counted per (group, distinct value) up to this many cells (128 MB);
# beyond, per (group, bin) and the listed values apart.
DENSE_CELLS = 16_000_000
# A run of rows this many times the number of distinct values (or more) is counted by
# `per_run` into four scratch rows: zeroing and adding them costs less than it saves.
_SCRATCH_RUN = 2


@dataclass(frozen=True)
class GroupedCounts:
    """Counts of every group, and (when asked) each group's rows per listed pooled value.

    Attributes
    ----------
    tables : list of CountTable
        One per group code 0..n_groups-1, equal to the pandas engine's count of its rows.
    pooled : list of dict
        Per group, column name -> rows per value of ``bins.other_values`` (as
        :func:`kl_drift._engines.pandas.count_pooled_series` gives them) for the categorical
        columns whose profile keeps pooled values; empty dicts unless asked for.
    """

    tables: list[CountTable]
    pooled: list[dict[str, tuple[int, ...]]]


@dataclass
class _Column:
    """One column's result: per group its counts, and its pooled counts when asked."""

    counts: list[ColumnCounts]
    pooled: list[tuple[int, ...]] | None = None


def count_groups(
    profile: ReferenceProfile,
    frame: pd.DataFrame,
    codes: NDArray[np.integer[Any]],
    n_groups: int,
    *,
    columns: Sequence[str] | None = None,
    pooled: bool = False,
    parallel: bool = True,
) -> GroupedCounts:
    """Count the rows of `frame` into `profile`'s bins, per group, in one pass per column.

    Parameters
    ----------
    profile : ReferenceProfile
        The bins.
    frame : pandas.DataFrame
        The rows.
    codes : array of int
        Each row's group, 0..n_groups-1, or -1 for a row in no group (not counted).
    n_groups : int
        Number of groups.
    columns : sequence of str, optional
        Profile columns to count (default: all with bins), as in the pandas engine's count.
    pooled : bool, default False
        Also count each group's rows per listed pooled value of categorical columns (what
        ``profile.count(rows)`` keeps, so a sum of groups can serve as a reference).
    parallel : bool, default True
        Count columns on threads for large jobs (as the pandas engine does).

    Returns
    -------
    GroupedCounts

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> prof = kd.profile(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 10}), bins=2)
    >>> df = pd.DataFrame({"x": [1.0, 4.0, np.nan, 4.0]})
    >>> grouped = count_groups(prof, df, np.array([0, 1, 1, -1]), 2)
    >>> [t["x"].counts for t in grouped.tables] == [kd.count(prof, df.iloc[[0]])["x"].counts,
    ...                                             kd.count(prof, df.iloc[[1, 2]])["x"].counts]
    True
    """
    codes = np.asarray(codes)
    if codes.shape != (len(frame),):
        raise ValueError(f"`codes` must hold one group per row ({len(frame)}), got shape {codes.shape}")
    groups = codes.astype(np.int64, copy=False)
    if groups.size and int(groups.max()) >= n_groups:
        raise ValueError(f"`codes` go up to {int(groups.max())} but `n_groups` is {n_groups}")
    # Rows already in group order (a table sorted by time): each group is a slice.
    runs = np.searchsorted(groups, np.arange(n_groups + 1)) if _is_sorted(groups) else None
    if runs is not None:
        sizes = np.diff(runs)
    else:
        sizes = np.bincount(groups[groups >= 0], minlength=n_groups) if groups.size else np.zeros(n_groups, np.int64)
    names = set(frame.columns)
    wanted = [profile[c] for c in dict.fromkeys(columns)] if columns is not None else list(profile.columns)
    targets = [c for c in wanted if c.bins is not None]
    splitter = _Splitter(groups, n_groups)

    def one(col: ColumnProfile) -> _Column:
        assert col.bins is not None
        want_pooled = pooled and isinstance(col.bins, CategoricalBins) and col.pooled is not None
        if col.name not in names:
            missing = ColumnCounts.failed(col.name, "missing_column", "in the reference profile but not in the current data")
            return _Column([missing] * n_groups, [()] * n_groups if want_pooled else None)
        series = frame[col.name]
        fast = _count_fast(series, col.bins, col.name, groups, n_groups, sizes, runs, want_pooled)
        if fast is not None:
            return fast
        return _count_each(series, col.bins, col.name, splitter, want_pooled)

    numeric = sum(isinstance(c.bins, NumericBins) for c in targets)
    compiled = kernels.prepare(len(frame) * numeric, numeric) and _compiled() is not None
    _State.compiled = compiled
    big = (
        len(frame) * len(targets) >= pandas_engine.PARALLEL_MIN_VALUES
        and len(frame) >= pandas_engine.PARALLEL_MIN_COLUMN_ROWS
        and len(frame) >= PARALLEL_MIN_GROUP_ROWS * n_groups
    )
    if parallel and big and len(targets) > 1:
        with ThreadPoolExecutor(max_workers=min(len(targets), os.cpu_count() or 1)) as pool:
            results = list(pool.map(one, targets))
    else:
        results = [one(c) for c in targets]
    data_columns = [str(c) for c in frame.columns]
    tables = [
        CountTable.of(int(sizes[g]), [r.counts[g] for r in results], data_columns, "pandas") for g in range(n_groups)
    ]
    pooled_counts: list[dict[str, tuple[int, ...]]] = [{} for _ in range(n_groups)]
    for col, r in zip(targets, results):
        if r.pooled is not None:
            for g in range(n_groups):
                pooled_counts[g][col.name] = r.pooled[g]
    return GroupedCounts(tables, pooled_counts)


class _Splitter:
    """Row positions of each group, in row order (computed on first use)."""

    def __init__(self, groups: NDArray[np.int64], n_groups: int) -> None:
        self._groups = groups
        self._n = n_groups
        self._parts: list[NDArray[np.intp]] | None = None
        self._lock = threading.Lock()

    def parts(self) -> list[NDArray[np.intp]]:
        with self._lock:
            if self._parts is None:
                order = np.argsort(self._groups, kind="stable")
                bounds = np.searchsorted(self._groups[order], np.arange(self._n + 1))
                self._parts = [order[bounds[g] : bounds[g + 1]] for g in range(self._n)]
            return self._parts


def _count_each(
    series: pd.Series, spec: Any, name: str, splitter: _Splitter, want_pooled: bool
) -> _Column:
    """The pandas engine's own count of each group's rows (columns the fast path does not take)."""
    counts, pooled = [], []
    for rows in splitter.parts():
        part = series.take(rows)
        counted = pandas_engine.count_column(part, spec, name)
        counts.append(counted)
        if want_pooled:
            pooled.append(pandas_engine.count_pooled_series(part, spec) if counted.problem is None else ())
    return _Column(counts, pooled if want_pooled else None)


def _count_fast(
    series: pd.Series,
    spec: Any,
    name: str,
    groups: NDArray[np.int64],
    n_groups: int,
    sizes: NDArray[np.int64],
    runs: NDArray[np.intp] | None,
    want_pooled: bool,
) -> _Column | None:
    """One pass over the column, or None where only the pandas engine per group is exact."""
    dtype = series.dtype
    family = pandas_dtype_family(dtype)
    if isinstance(spec, NumericBins) and spec.text and not pd.api.types.is_datetime64_any_dtype(dtype):
        return None
    if family is None:
        # Object columns are typed by their values, so a group's type may differ from the
        # column's; text alone keeps its type in every group (or is all missing there).
        if not isinstance(spec, CategoricalBins):
            return None
        try:
            family, _ = pandas_engine.series_family(series)
        except pandas_engine.ColumnProblem:
            return None
        if family != "string":
            return None
    reason = mismatch(spec, family, str(dtype))
    if reason is not None:
        # A group whose values are all missing fits any bins (the pandas engine's rule).
        missing = np.bincount(groups[(groups >= 0) & series.isna().to_numpy()], minlength=n_groups)
        failed = ColumnCounts.failed(name, "type_mismatch", f"column {name!r}: {reason}")
        every: list[ColumnCounts] = []
        for g in range(n_groups):
            if missing[g] == sizes[g]:
                every.append(ColumnCounts(name, (0,) * (spec.n_bins - 1) + (int(sizes[g]),)))
            else:
                every.append(failed)
        return _Column(every, [()] * n_groups if want_pooled else None)
    try:
        if isinstance(spec, CategoricalBins):
            return _categorical(series, spec, name, groups, n_groups, runs, want_pooled)
        return _numeric(series, spec, name, groups, n_groups, runs)
    except (pandas_engine.ColumnProblem, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- numeric


def _is_sorted(groups: NDArray[np.int64]) -> bool:
    return bool(groups.size < 2 or np.all(groups[1:] >= groups[:-1]))


def _numeric(
    series: pd.Series, spec: NumericBins, name: str, groups: NDArray[np.int64], n_groups: int, runs: NDArray[np.intp] | None
) -> _Column | None:
    if spec.datetime:
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            return None
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
        x = stamps.view(np.int64)
        nat = np.isnat(stamps)
    else:
        x, n_absent = pandas_engine.numeric_array(series)
        if len(x) != len(series) or x.dtype not in (np.float64, np.int64):
            # Integers beyond 2**53 with missing values taken out, or beyond int64.
            return None
        nat = None
    if runs is not None:
        table, infs = _count_runs(x, spec.edges, runs, n_groups)
    else:
        table, infs = _bin_groups(x, _edges_for(x, spec.edges), groups, n_groups)
    if nat is not None and nat.any():
        # NaT is the smallest int64, so it was counted in the first bin: it is missing.
        moved = np.bincount(groups[nat & (groups >= 0)], minlength=n_groups)
        table[:, 0] -= moved
        table[:, -1] += moved
    if spec.datetime:
        infs[:] = 0
    rows = table.tolist()
    n_inf = infs.tolist()
    return _Column([ColumnCounts(name, tuple(rows[g]), int(n_inf[g])) for g in range(n_groups)])


def _count_runs(
    x: NDArray[Any], edges: tuple[Any, ...], runs: NDArray[np.intp], n_groups: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows per (group, bin), missing last, and ±inf per group, of rows in group order (each
    group the slice ``runs[g]:runs[g + 1]``): the engine's own count of each slice
    (`count_numeric`). With the compiled kernels in use, its kernel is called on each slice
    directly, the edges laid out once per column instead of once per slice (what
    `kernels.count_bins` does per call: the same kernel on the same values and edges)."""
    n_bins = len(edges) + 2
    edge_arr = _edges_for(x, edges) if edges else None
    if (
        kernels.in_use() and edge_arr is not None and x.ndim == 1 and x.dtype == edge_arr.dtype
        and x.dtype in (np.float64, np.int64)
    ):  # fmt: skip
        count = kernels.bin_counter(edge_arr)
        out = np.zeros((n_groups, n_bins + 1), dtype=np.int64)
        bounds = runs.tolist()
        for g in range(n_groups):
            count(x[bounds[g] : bounds[g + 1]], out[g])
        return out[:, :-1], out[:, -1].copy()
    table = np.zeros((n_groups, n_bins), dtype=np.int64)
    infs = np.zeros(n_groups, dtype=np.int64)
    for g in range(n_groups):
        if runs[g + 1] > runs[g]:
            table[g], infs[g] = count_numeric(x[runs[g] : runs[g + 1]], edges)
    return table, infs


def _bin_groups(
    x: NDArray[Any], edges: NDArray[Any], groups: NDArray[np.int64], n_groups: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows per (group, bin), missing last, and ±inf per group: compiled or numpy, the same integers."""
    k = edges.size
    n_bins = k + 2
    table = np.zeros(n_groups * n_bins, dtype=np.int64)
    infs = np.zeros(n_groups, dtype=np.int64)
    kernel = _compiled() if _State.compiled else None
    if kernel is not None and x.dtype == edges.dtype:
        if x.size:
            kernel["grouped"](x, edges, groups, n_bins, table, infs)
        return table.reshape(n_groups, n_bins), infs
    is_float = x.dtype.kind == "f"
    inside = groups >= 0
    bins = _bins_of(x, edges)
    if is_float:
        np.putmask(bins, np.isnan(x), k + 1)
        infinite = np.isinf(x)
        if infinite.any():
            infs = np.bincount(groups[infinite & inside], minlength=n_groups).astype(np.int64)
    keys = groups * n_bins
    keys += bins
    if not inside.all():
        keys = keys[inside]
    table = np.bincount(keys, minlength=n_groups * n_bins).astype(np.int64)
    return table.reshape(n_groups, n_bins), infs


def _bins_of(x: NDArray[Any], edges: NDArray[Any]) -> NDArray[Any]:
    """Each value's bin, ``#{edges < x}`` (NaN: 0), by the comparisons of ``count_numeric``:
    block by block, one ``x > e`` per edge summed into small integers (a binary search per
    value, ``searchsorted``, took 5x as long at a dozen edges)."""
    if edges.size > _COMPARE_MAX_EDGES:
        return np.searchsorted(edges, x, side="left")
    bins = np.zeros(x.size, dtype=np.int8)
    scratch = np.empty(min(_NUMPY_BLOCK, x.size), dtype=bool)
    for start in range(0, x.size, _NUMPY_BLOCK):
        block = x[start : start + _NUMPY_BLOCK]
        out = bins[start : start + _NUMPY_BLOCK]
        above = scratch[: block.size]
        for e in edges:
            np.greater(block, e, out=above)
            out += above
    return bins


class _State:
    # Whether the current job counts with the compiled kernel (set per job, like kernels.prepare).
    compiled = False
    kernel: Any = None
    tried = False
    lock = threading.Lock()


def _compiled() -> Any:
    """The compiled grouped kernels (numba) by name, or None when numba is not in use."""
    if not kernels.ready():
        return None
    with _State.lock:
        if not _State.tried:
            _State.tried = True
            _State.kernel = _define()
    return _State.kernel


def _define() -> Any:
    try:
        import numba  # noqa: F401 - a numba that fails to import leaves the numpy path
    except ImportError:
        return None
    block = _BLOCK

    def grouped(x: Any, edges: Any, groups: Any, n_bins: Any, out: Any, infs: Any) -> None:
        # Per block: each value's bin as #{edges < x} (NaN: missing, the last bin), the
        # comparisons of count_numeric, then one increment per row at (group, bin).
        k = edges.shape[0]
        n = x.shape[0]
        bins = np.empty(block, dtype=np.int64)
        for start in range(0, n, block):
            stop = min(start + block, n)
            m = stop - start
            chunk = x[start:stop]
            infinite = 0
            for i in range(m):
                v = chunk[i]
                bins[i] = (v != v) * (k + 1)
                infinite += np.abs(v) == np.inf
            if k <= 32:
                for e in range(k):
                    edge = edges[e]
                    for i in range(m):
                        bins[i] += chunk[i] > edge
            else:
                for i in range(m):
                    v = chunk[i]
                    if v != v:
                        continue
                    lo = 0
                    hi = k
                    while lo < hi:
                        mid = (lo + hi) >> 1
                        if edges[mid] < v:
                            lo = mid + 1
                        else:
                            hi = mid
                    bins[i] = lo
            for i in range(m):
                g = groups[start + i]
                if g >= 0:
                    out[g * n_bins + bins[i]] += 1
            if infinite:
                for i in range(m):
                    g = groups[start + i]
                    if g >= 0 and np.abs(chunk[i]) == np.inf:
                        infs[g] += 1

    def per_run(codes: Any, runs: Any, out: Any) -> None:
        # Rows per (group, value) of rows in group order (group g the rows runs[g]:runs[g+1]),
        # value code -1 (missing) in column 0: one increment per row, what a bincount of
        # each slice's codes + 1 gives. A run much longer than the row of values is counted
        # into four rows of scratch, consecutive rows into different ones, then added up:
        # with few distinct values, consecutive increments of one cell otherwise wait on
        # each other (a store, then a load of the same address), which doubled the time.
        width = out.shape[1]
        scratch = np.zeros((4, width), dtype=np.int64)
        for g in range(runs.shape[0] - 1):
            start = runs[g]
            stop = runs[g + 1]
            if stop - start < _SCRATCH_RUN * width:
                for i in range(start, stop):
                    out[g, np.int64(codes[i]) + 1] += 1
                continue
            scratch[:] = 0
            middle = start + (stop - start) // 4 * 4
            for i in range(start, middle, 4):
                scratch[0, np.int64(codes[i]) + 1] += 1
                scratch[1, np.int64(codes[i + 1]) + 1] += 1
                scratch[2, np.int64(codes[i + 2]) + 1] += 1
                scratch[3, np.int64(codes[i + 3]) + 1] += 1
            for i in range(middle, stop):
                scratch[0, np.int64(codes[i]) + 1] += 1
            for j in range(width):
                out[g, j] += scratch[0, j] + scratch[1, j] + scratch[2, j] + scratch[3, j]

    return {"grouped": kernels.jit(grouped), "per_run": kernels.jit(per_run)}


# --------------------------------------------------------------------------- categorical


def _factorize(series: pd.Series) -> tuple[NDArray[np.integer[Any]], Any]:
    """Each row's distinct-value code (-1 missing) and the distinct values. Arrow-backed text
    is encoded by the compiled string kernel when it is in use, else by Arrow (half the time
    of ``pd.factorize`` on 10M strings: 0.19 vs 0.46 s); both give codes in order of first
    appearance."""
    dtype = series.dtype
    arrow_text = (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
        isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string", "large_string")
    )
    if arrow_text:
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pa.array(series.array)
        if kernels.strings_in_use():
            # The compiled string kernel (what the pandas engine's count of the column uses
            # now): one hash pass over every chunk, the same codes in the same order.
            found = kernels.factorize_strings(values.chunks if isinstance(values, pa.ChunkedArray) else [values])
            if found is not None:
                return found[0], found[1].tolist()
        if isinstance(values, pa.ChunkedArray):
            # One dictionary for the whole column (each chunk would get its own).
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return codes, encoded.dictionary.to_pylist()
    return pd.factorize(series, use_na_sentinel=True)


def _per_value(
    value_codes: NDArray[np.signedinteger[Any]],
    n_values: int,
    groups: NDArray[np.int64],
    inside: NDArray[np.bool_],
    everyone: bool,
    n_groups: int,
    runs: NDArray[np.intp] | None,
) -> NDArray[np.int64] | None:
    """Rows per (group, value) with missing in column 0, or None when the table would be
    larger than `DENSE_CELLS` (many distinct values: then bins and values are counted apart)."""
    width = n_values + 1
    if n_groups * width > DENSE_CELLS:
        return None
    if runs is not None:
        per_value = np.zeros((n_groups, width), dtype=np.int64)
        kernel = _compiled() if _State.compiled else None
        if kernel is not None and value_codes.dtype in (np.int8, np.int16, np.int32, np.int64):
            kernel["per_run"](value_codes, runs.astype(np.int64, copy=False), per_value)
            return per_value
        for g in range(n_groups):
            if runs[g + 1] > runs[g]:
                per_value[g] = np.bincount(value_codes[runs[g] : runs[g + 1]].astype(np.int64) + 1, minlength=width)
        return per_value
    keys = groups * width
    keys += value_codes
    keys += 1
    return np.bincount(keys if everyone else keys[inside], minlength=n_groups * width).reshape(n_groups, width)


def _per_bin(per_value: NDArray[np.int64], targets: NDArray[np.int64], n_bins: int) -> NDArray[np.int64]:
    """Rows per (group, bin) from rows per (group, value) (missing in column 0, the last bin):
    the values of each bin summed in one `np.add.reduceat` over the values sorted by bin (a
    loop over bins cost 5,000 passes over the table for a column of 5,000 categories)."""
    n_groups = per_value.shape[0]
    table = np.zeros((n_groups, n_bins), dtype=np.int64)
    table[:, n_bins - 1] = per_value[:, 0]
    if targets.size:
        order = np.argsort(targets, kind="stable")
        ordered = targets[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        table[:, ordered[starts]] += np.add.reduceat(per_value[:, 1:][:, order], starts, axis=1)
    return table


def _categorical(
    series: pd.Series,
    spec: CategoricalBins,
    name: str,
    groups: NDArray[np.int64],
    n_groups: int,
    runs: NDArray[np.intp] | None,
    want_pooled: bool,
) -> _Column:
    n_bins = spec.n_bins
    dense = isinstance(series.dtype, pd.CategoricalDtype)
    if dense:
        # value_counts of a categorical lists every category, counted or not: so does the
        # pandas engine's unseen list of a group (zeros included).
        # The codes as pandas keeps them (int8 up to 126 categories; a copy to int64 cost
        # 10-60 ms per 10M rows): every use below takes any signed integer codes.
        value_codes = series.cat.codes.to_numpy()
        uniques: Any = series.cat.categories
    else:
        value_codes, uniques = _factorize(series)
    values = list(np.asarray(uniques, dtype=object))
    n_values = len(values)
    _, targets = pandas_engine.map_values(values, np.zeros(n_values, dtype=np.int64), 0, spec)
    bin_of = np.append(np.asarray(targets, dtype=np.int64), n_bins - 1)  # code -1: missing
    inside = groups >= 0
    everyone = bool(inside.all())
    per_value = _per_value(value_codes, n_values, groups, inside, everyone, n_groups, runs)
    if per_value is not None:
        # Rows per (group, value), missing first: bins and listed values both come from it.
        table = _per_bin(per_value, np.asarray(targets, dtype=np.int64), n_bins)
    else:
        keys = groups * n_bins + bin_of[value_codes]
        table = np.bincount(keys if everyone else keys[inside], minlength=n_groups * n_bins).reshape(n_groups, n_bins)
    rows = table.tolist()

    def listed(chosen: NDArray[np.intp]) -> list[tuple[list[int], NDArray[np.int64]]]:
        if per_value is None:
            return _value_counts(value_codes, groups, inside, chosen, n_values, n_groups, dense)
        found = per_value[:, 1:][:, chosen]
        if dense:
            return [(chosen.tolist(), found[g]) for g in range(n_groups)]
        return [(chosen[found[g] > 0].tolist(), found[g][found[g] > 0]) for g in range(n_groups)]

    unseen_values = np.flatnonzero(bin_of[:-1] == spec.unseen_index)
    unseen: list[tuple[tuple[tuple[Any, int], ...], bool]] = [((), True)] * n_groups
    if unseen_values.size:
        unseen = []
        for picked, freq in listed(unseen_values):
            unseen.append(pandas_engine.list_unseen([values[i] for i in picked], freq, np.full(len(picked), spec.unseen_index), spec))
    counts = [ColumnCounts(name, tuple(rows[g]), 0, *unseen[g]) for g in range(n_groups)]
    pooled = None
    if want_pooled:
        pooled_values = np.flatnonzero(bin_of[:-1] == spec.other_index) if spec.other_values else np.zeros(0, np.int64)
        if pooled_values.size:
            pooled = _pooled(values, pooled_values, spec, per_value, listed, n_groups)
        else:
            pooled = [tuple(0 for _ in spec.other_values)] * n_groups
    return _Column(counts, pooled)


def _pooled(
    values: list[Any],
    pooled_values: NDArray[np.intp],
    spec: CategoricalBins,
    per_value: NDArray[np.int64] | None,
    listed: Any,
    n_groups: int,
) -> list[tuple[int, ...]]:
    """Each group's rows per listed pooled value (`pandas_engine.count_pooled` of its values):
    the distinct values are looked up in the pooled list once (``count_pooled``'s lookup), not
    once per group, and the groups' counts are added into their places."""
    n_other = len(spec.other_values)
    lookup = pandas_engine._lookup_index(list(spec.other_values), spec.value_type)
    where = lookup.get_indexer(pandas_engine._lookup_keys([values[i] for i in pooled_values], spec.value_type))
    hit = where >= 0
    if per_value is not None:
        table = np.zeros((n_groups, n_other), dtype=np.int64)
        np.add.at(table, (slice(None), where[hit]), per_value[:, 1:][:, pooled_values[hit]])
        return [tuple(row) for row in table.tolist()]
    place = np.full(len(values), -1, dtype=np.int64)
    place[pooled_values] = where
    result = []
    for picked, freq in listed(pooled_values):
        at = place[np.asarray(picked, dtype=np.intp)]
        found = at >= 0
        per = np.bincount(at[found], weights=np.asarray(freq, dtype=np.float64)[found], minlength=n_other)
        result.append(tuple(int(c) for c in per))
    return result


def _value_counts(
    value_codes: NDArray[np.signedinteger[Any]],
    groups: NDArray[np.int64],
    inside: NDArray[np.bool_],
    chosen: NDArray[np.intp],
    n_values: int,
    n_groups: int,
    dense: bool,
) -> list[tuple[list[int], NDArray[np.int64]]]:
    """Per group, the chosen distinct values it has (every chosen one when `dense`) and their rows."""
    is_chosen = np.zeros(n_values + 1, dtype=bool)
    is_chosen[chosen] = True
    rows = inside & is_chosen[value_codes]
    if dense:
        position = np.full(n_values + 1, -1, dtype=np.int64)
        position[chosen] = np.arange(chosen.size)
        grid = np.bincount(groups[rows] * chosen.size + position[value_codes[rows]], minlength=n_groups * chosen.size)
        grid = grid.reshape(n_groups, chosen.size).astype(np.int64)
        listed = chosen.tolist()
        return [(listed, grid[g]) for g in range(n_groups)]
    pairs, freq = np.unique(groups[rows] * n_values + value_codes[rows], return_counts=True)
    group_of = pairs // n_values
    bounds = np.searchsorted(group_of, np.arange(n_groups + 1))
    value_of = (pairs % n_values).tolist()
    freq = freq.astype(np.int64)
    return [(value_of[bounds[g] : bounds[g + 1]], freq[bounds[g] : bounds[g + 1]]) for g in range(n_groups)]
