"""The streaming engine: Parquet/CSV files counted batch by batch, and profiles fitted in two passes.

:func:`count` is the engine's one count function: every batch of every file is counted into
a profile's bins and thrown away, so memory is bounded by the batch size, not by the data,
and the counts equal the pandas engine's on the whole table. Every file's column types are
checked against the bins through the type table, so a column that is a number in one file
and a string in the next is a ``type_mismatch`` naming that file.

:func:`fit` profiles a reference in two passes (see :func:`kl_drift.dataset.profile_dataset`):
exact statistics and a uniform sample (:mod:`~kl_drift._engines.arrow_stats`,
:mod:`~kl_drift._engines.arrow_sample`), then exact counts into the fitted bins.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .._core.bins import NumericBins, sorted_values
from ..counts import ColumnCounts, CountTable
from ..errors import ColumnError, EmptyDataError, SkippedColumnWarning
from ..profile import BinningOptions, ColumnProfile, ReferenceProfile, _degeneracy_notes
from .arrow_count import BatchHook, count_files
from .arrow_sample import Reservoir
from .arrow_stats import ColumnScan, categorical_counts, exact_range, numeric_sample, range_series, start_scan, whole_dtype
from .arrow_survey import Survey
from .arrow_values import arrow_kind, to_frame
from .files import find_files, read_batches
from .pandas import ColumnProblem, fit_column, integer_identifier, numeric_values

if TYPE_CHECKING:
    import pandas as pd
else:
    from .._lazy import pandas as pd

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_SAMPLE_SIZE", "count", "fit", "check_positive"]

# 128Ki rows: ~1 MiB per numeric column, large enough that per-batch overhead is a few
# percent of the counting, small enough that a few batches in flight stay far below 1 GiB.
DEFAULT_BATCH_SIZE = 131_072
# 200k values per numeric column: every quantile edge within 0.44 percentage points of its
# target rank with probability 0.999 (DKW), at 1.6 MB per sampled numeric column.
DEFAULT_SAMPLE_SIZE = 200_000

Progress = Callable[[int], None]


def check_positive(name: str, value: Any) -> int:
    """`value` as an int, or a ValueError naming the option."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- counting


def count(
    profile: ReferenceProfile,
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    hook: BatchHook | None = None,
) -> CountTable:
    """Count files into a profile's bins: the streaming engine's count function.

    Only the profile's columns are read. A column that no file has comes back with
    ``problem="missing_column"``; one whose type in some file does not fit the bins with
    ``problem="type_mismatch"`` and a reason naming the column, the file and both types.
    Rows of a file that lacks a column (which other files have) are missing values.
    `hook` counts more of the same batches (pair cells) in the same pass.
    """
    if not isinstance(profile, ReferenceProfile):
        raise TypeError(f"`reference` must be a ReferenceProfile, got {type(profile).__name__}")
    batch_size = check_positive("batch_size", batch_size)
    if columns is not None:
        unknown = [c for c in columns if c not in profile]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
    wanted = [profile[c] for c in dict.fromkeys(columns)] if columns is not None else list(profile.columns)
    binned = [c for c in wanted if c.bins is not None]
    survey = Survey.of(find_files(source, format=format))
    present = [c for c in binned if c.name in survey.names]
    counted, n_rows = count_files(
        survey.files, present, batch_size=batch_size, progress=progress, expected_rows=survey.rows, hook=hook
    )
    missing = ColumnCounts.failed
    table = [
        counted[c.name]
        if c.name in counted
        else missing(c.name, "missing_column", "in the reference profile but not in the current data")
        for c in binned
    ]
    return CountTable.of(n_rows, table, survey.names, "arrow")


# --------------------------------------------------------------------------- fitting


def fit(
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    random_state: int | None = 0,
    progress: Progress | None = None,
    hook: Callable[[tuple[ColumnProfile, ...], int], BatchHook | None] | None = None,
    **binning: Any,
) -> ReferenceProfile:
    """Profile files in two streamed passes; see :func:`kl_drift.dataset.profile_dataset`.

    `binning` holds the options of :meth:`BinningOptions.resolve` (bins, strategy, edges,
    categorical, max_categories, discrete_threshold). `hook`, called with the fitted
    columns (the sampled numeric columns' counts still zero) and the row count before the
    second pass, may return a `BatchHook` that counts more of that pass's batches (pairs);
    it is called only when there is a second pass.
    """
    batch_size = check_positive("batch_size", batch_size)
    sample_size = check_positive("sample_size", sample_size)
    survey = Survey.of(find_files(source, format=format))
    names = survey.select(columns, "reference")
    if not names:
        raise EmptyDataError("the reference data has no columns to profile")
    opts = BinningOptions.resolve(names, **binning)
    scans = {name: _start(survey, name, opts) for name in names}
    n_rows, sample = _first_pass(survey, scans, opts, batch_size, sample_size, random_state, progress)
    if n_rows == 0:
        raise EmptyDataError("the reference data has no rows")
    complete = n_rows <= sample_size
    notes: list[tuple[type[Warning], str]] = []
    fitted = {name: _fit(scans[name], sample, opts, complete, notes) for name in names}
    if not complete and any(isinstance(c.bins, NumericBins) for c in fitted.values()):
        more = hook(tuple(fitted[n] for n in names), n_rows) if hook is not None else None
        _count_exactly(survey, fitted, batch_size, progress, more)
    for name in names:
        if fitted[name].bins is not None:
            notes.extend(_degeneracy_notes(fitted[name], opts.bins(name)))
    for category, message in notes:
        warnings.warn(message, category, stacklevel=3)
    settings = {**opts.settings, "sample_size": sample_size, "sampled": not complete}
    return ReferenceProfile(tuple(fitted[n] for n in names), n_rows, settings=settings)


def _uniform(opts: BinningOptions, name: str) -> bool:
    """Whether the column's edges need only its exact range."""
    return name not in opts.edges_for and opts.strategy(name) == "uniform"


def _start(survey: Survey, name: str, opts: BinningOptions) -> ColumnScan:
    empty = survey.empty_series(name)
    conflict = survey.conflict(name)
    if conflict is not None:
        return ColumnScan(name, "skipped", empty.dtype, problem=ColumnProblem(conflict))
    return start_scan(
        name,
        empty,
        survey.arrow_type(name),
        forced=name in opts.forced,
        user_binned=opts.user_binned(name),
        discrete_threshold=opts.discrete_threshold,
    )


def _first_pass(
    survey: Survey,
    scans: Mapping[str, ColumnScan],
    opts: BinningOptions,
    batch_size: int,
    sample_size: int,
    seed: int | None,
    progress: Progress | None,
) -> tuple[int, pd.DataFrame]:
    """Pass 1: exact statistics of every column and a uniform sample of the numeric ones."""
    live = [name for name, scan in scans.items() if scan.problem is None]
    sampled = pa.schema(
        [(n, survey.arrow_type(n)) for n in live if scans[n].kind in ("numeric", "datetime") and n not in opts.forced]
    )
    reservoir = Reservoir(sample_size, seed)
    n_rows = 0
    for _, batch in read_batches(survey.files, live, batch_size=batch_size, dictionary=live, progress=progress):
        n_rows += batch.num_rows
        _scan_batch(batch, [scans[n] for n in live], opts)
        if sampled.names:
            reservoir.add(_conform(batch, sampled))
    sample = reservoir.table(sampled).to_pandas() if sampled.names else pd.DataFrame(index=range(0))
    for scan in scans.values():
        scan.finish()
    return n_rows, sample


def _scan_batch(batch: pa.RecordBatch, scans: Sequence[ColumnScan], opts: BinningOptions) -> None:
    """Add one batch to the statistics: from its Arrow arrays where they are typed, else through pandas."""
    through_pandas = []
    for scan in scans:
        index = batch.schema.get_field_index(scan.name)
        array = batch.column(index) if index >= 0 else None
        if array is None or pa.types.is_null(array.type):
            scan.add_missing(batch.num_rows)
        elif scan.tracks_arrow(arrow_kind(array.type)):
            # The exact range of every numeric and datetime column: its bins keep it.
            scan.update_array(array, track_range=True)
        elif scan.needs_frame(True):
            through_pandas.append(scan)
    if through_pandas:
        frame = to_frame(batch.select([s.name for s in through_pandas]))
        for scan in through_pandas:
            scan.update(frame[scan.name], track_range=True)


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The `schema` columns of a batch in the schema's types; nulls where the file lacks one."""
    arrays = []
    for target in schema:
        index = batch.schema.get_field_index(target.name)
        if index < 0:
            arrays.append(pa.nulls(batch.num_rows, target.type))
            continue
        array = batch.column(index)
        arrays.append(array if array.type == target.type else array.cast(target.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _fit(
    scan: ColumnScan, sample: pd.DataFrame, opts: BinningOptions, complete: bool, notes: list[tuple[type[Warning], str]]
) -> ColumnProfile:
    """Bins and counts of one column from its statistics and the sample (counts still zero
    for sampled numeric columns unless the sample holds every row)."""
    name = scan.name
    dtype = str(whole_dtype(scan))
    if scan.problem is not None:
        notes.append((SkippedColumnWarning, f"column {name!r} skipped: {scan.problem.reason}"))
        return ColumnProfile(name, "skipped", dtype, None, (), 0, scan.problem.reason)
    if scan.values is not None and (scan.by_value or scan.is_discrete()):
        spec, counts, pooled, identifier = categorical_counts(scan, dtype, opts.max_categories)
        return ColumnProfile(name, scan.kind, dtype, spec, counts, 0, pooled=pooled, identifier=identifier)
    series = numeric_sample(scan, sample[name])
    extent = exact_range(scan)
    try:
        fitted = fit_column(
            range_series(scan, series) if _uniform(opts, name) else series,
            bins=opts.bins(name),
            strategy=opts.strategy(name),
            edges=opts.edges_for.get(name),
            force_categorical=False,
            max_categories=opts.max_categories,
            discrete_threshold=0,
            reference_range=extent,
        )
    except ColumnProblem as problem:
        if problem.status == "error":
            raise ColumnError(name, problem.reason) from None
        notes.append((SkippedColumnWarning, f"column {name!r} skipped: {problem.reason}"))
        return ColumnProfile(name, "skipped", dtype, None, (), 0, problem.reason)
    # Identifier-like integers: distinct in the sample, over the column's exact range and size.
    identifier = integer_identifier(sorted_values(numeric_values(series))[0], extent=extent, n_values=scan.n_values) if scan.kind == "numeric" else None
    column = ColumnProfile(name, scan.kind, dtype, fitted.spec, tuple(0 for _ in range(fitted.spec.n_bins)), 0, identifier=identifier)
    return column.count(series) if complete else column


def _count_exactly(
    survey: Survey, fitted: dict[str, ColumnProfile], batch_size: int, progress: Progress | None, hook: BatchHook | None = None
) -> None:
    """Pass 2: every row of the sampled numeric columns counted into their fitted edges."""
    pending = [c for c in fitted.values() if isinstance(c.bins, NumericBins)]
    if not pending:
        return
    counted, _ = count_files(survey.files, pending, batch_size=batch_size, progress=progress, hook=hook)
    for name, result in counted.items():
        if result.problem is not None:
            raise ColumnError(name, (result.reason or result.problem).removeprefix(f"column {name!r}: "))
        fitted[name] = replace(fitted[name], counts=result.counts, n_inf=result.n_inf)
