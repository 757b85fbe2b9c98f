"""Profiles and comparisons of files larger than memory, streamed through ``pyarrow.dataset``.

Parquet or CSV files, directories of them, or glob patterns are read as record batches of
only the needed columns; each batch is counted into the reference's bins and thrown away,
so memory is bounded by the batch size, not by the data. Counts add, so the result equals
counting the whole table at once.

Fitting quantile edges needs the reference's order statistics, which a stream cannot hold.
`profile_dataset` therefore reads the reference twice:

1. a uniform random sample of ``sample_size`` rows of the numeric and datetime columns (a
   bottom-k reservoir: each row draws a random key and the rows with the smallest keys are
   kept), plus exact value counts of the categorical columns (and of numeric columns while
   they have few enough distinct values to be binned by value) and the exact finite
   minimum and maximum;
2. every row counted exactly into the bins fitted on that sample.

Categorical bins (top-K by frequency) and ``strategy="uniform"`` edges come from the exact
statistics, so they equal the in-memory result. Quantile edges are quantiles of the sample:
with ``m`` sampled values the Dvoretzky–Kiefer–Wolfowitz inequality bounds the error of
*every* edge's rank at once, ``sup |F_m − F| <= sqrt(ln(2/δ) / (2m))`` with probability at
least ``1 − δ`` (`quantile_error_bound`). With ``sample_size >= rows`` or with fixed
``edges=`` the profile equals `kl_drift.profile` on the same data exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._engines import arrow
from ._engines.arrow import DEFAULT_BATCH_SIZE, DEFAULT_SAMPLE_SIZE, Progress
from ._engines.files import find_files
from .compare import compare
from .counts import CountTable
from .profile import ReferenceProfile
from .report import DriftReport

if TYPE_CHECKING:
    import pyarrow.dataset as ds

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_SAMPLE_SIZE",
    "open_dataset",
    "profile_dataset",
    "count_dataset",
    "compare_dataset",
    "quantile_error_bound",
]


def quantile_error_bound(sample_size: int, delta: float = 0.001) -> float:
    """Bound on the rank error of quantile edges fitted on a uniform sample.

    By the Dvoretzky–Kiefer–Wolfowitz inequality (with Massart's constant), the empirical
    CDF ``F_m`` of ``m`` values sampled uniformly from a column satisfies
    ``sup_x |F_m(x) − F(x)| <= sqrt(ln(2/δ) / (2m))`` with probability at least ``1 − δ``,
    where ``F`` is the column's own empirical CDF. An edge fitted at the sample's quantile
    ``q`` therefore holds a share of the full column within that bound of ``q`` (plus the
    size of any tie at the edge), for all edges at once. Sampling rows without replacement
    from a finite table only tightens the bound.

    Parameters
    ----------
    sample_size : int
        Number of sampled non-missing values, ``m``.
    delta : float, default 0.001
        Allowed failure probability.

    Returns
    -------
    float
        The bound ``ε`` on ``sup |F_m − F|``.

    Examples
    --------
    >>> from kl_drift.dataset import quantile_error_bound
    >>> round(quantile_error_bound(200_000), 4)
    0.0044
    """
    if isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)) or sample_size < 1:
        raise ValueError(f"`sample_size` must be a positive integer, got {sample_size!r}")
    if not 0 < delta < 1:
        raise ValueError(f"`delta` must be in (0, 1), got {delta!r}")
    return math.sqrt(math.log(2 / delta) / (2 * int(sample_size)))


def open_dataset(source: Any, *, format: Any = None) -> ds.Dataset:
    """Open Parquet/CSV files, a directory or a glob pattern as a ``pyarrow.dataset.Dataset``.

    The files are found by the same rules as every other reader of kl_drift (see
    `kl_drift._engines.files` and docs/streaming.md): an existing name is used as
    given, a missing one is a glob pattern; directories are read recursively without hidden
    files. For pyarrow users; `profile_dataset` and `compare_dataset` read the
    files themselves, each file in its own types.

    Parameters
    ----------
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        A file, a directory (read recursively; names starting with "_" or "." are
        ignored), a glob pattern such as ``"data/*.parquet"`` (``**`` recurses), a list of
        files, or an already opened dataset (returned as is).
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension (``.parquet``, ``.pq``, ``.csv``, ``.csv.gz``...).
        A ``pyarrow.dataset.CsvFileFormat`` sets CSV parse or type options.

    Returns
    -------
    pyarrow.dataset.Dataset
        With the first file's schema, as ``pyarrow.dataset.dataset`` makes it.

    Raises
    ------
    FileNotFoundError
        If a path does not exist or a pattern matches nothing (a
        `SourceError` too).
    ValueError
        If a file's format cannot be told from its name.

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> from kl_drift.dataset import open_dataset
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(os.path.join(folder, "part-0.parquet"))
    >>> open_dataset(folder).to_table().num_rows
    2
    """
    import pyarrow.dataset as ds

    if isinstance(source, ds.Dataset):
        return source
    files = find_files(source, format=format)
    parts = []
    for fmt in ("parquet", "csv"):
        chosen = [f for f in files if f.format == fmt]
        if chosen:
            parts.append(ds.dataset([f.path for f in chosen], format=chosen[0].csv or fmt))
    return parts[0] if len(parts) == 1 else ds.dataset(parts)


def profile_dataset(
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bins: int | Mapping[str, int] = 10,
    strategy: str | Mapping[str, str] = "quantile",
    edges: Mapping[str, Sequence[Any]] | None = None,
    categorical: Sequence[str] = (),
    max_categories: int = 50,
    discrete_threshold: int = 20,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    random_state: int | None = 0,
    progress: Progress | None = None,
    pairs: str | Sequence[tuple[str, str]] | None = None,
    max_pairs: int = 10,
) -> ReferenceProfile:
    """Profile Parquet/CSV data larger than memory, in two streamed passes.

    The options mean what they mean in `kl_drift.profile`. Pass 1 keeps a uniform
    sample of `sample_size` rows of the numeric and datetime columns plus exact statistics;
    pass 2 counts every row into the bins fitted on them (skipped when the sample already
    holds every row). Memory: the batches in flight (a few times `batch_size` rows of the
    profiled columns), the sample (`sample_size` rows of the numeric and datetime columns,
    twice while it is refreshed), and one entry per distinct value of each categorical
    column.

    Parameters
    ----------
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        File(s), directory or glob pattern; see `open_dataset`.
    columns : sequence of str, optional
        Columns to profile (default: all); only these are read.
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension.
    batch_size : int, default 131072
        Rows per record batch.
    progress : callable, optional
        Called with the number of rows of each batch once it is counted (e.g. a progress
        bar's ``update``).
    bins, strategy, edges, categorical, max_categories, discrete_threshold
        As in `kl_drift.profile`.
    sample_size : int, default 200000
        Rows sampled to fit quantile edges. With probability 0.999, every edge's share of
        the full column is within ``quantile_error_bound(m) + 1/m`` of its target quantile
        (plus the share of any value tied at the edge), where ``m`` is the number of
        non-missing sampled values of that column (DKW inequality). With
        ``sample_size >= rows`` the edges are exact.
    random_state : int or None, default 0
        Seed of the sample, so profiles are reproducible.
    pairs, max_pairs
        As in `kl_drift.profile`: pair counts for joint drift, added batch by batch. When
        the sample does not hold every row, named pairs are counted in pass 2 and
        ``"auto"`` fetches the rows `kl_drift.profile` ranks on there, then counts the
        chosen pairs in one more pass; otherwise named pairs take one more pass and
        ``"auto"`` two.

    Returns
    -------
    ReferenceProfile
        Counts are always exact. It equals ``kd.profile`` of the whole table when the
        sample holds every row, or when every numeric column has fixed `edges` or
        ``strategy="uniform"``; otherwise quantile edges carry the sampling error above.

    Raises
    ------
    EmptyDataError
        If the data has no rows.
    ColumnError
        For an option naming an unknown column, or invalid fixed edges.
    FileNotFoundError
        If the source does not exist.

    Warns
    -----
    ConstantInputWarning, AllMissingWarning, SmallSampleWarning, SkippedColumnWarning
        As `kl_drift.profile`, judged on the exact counts.

    Examples
    --------
    >>> import os, tempfile, numpy as np, pandas as pd, kl_drift as kd
    >>> from kl_drift.dataset import profile_dataset
    >>> df = pd.DataFrame({"x": np.arange(1000.0), "plan": ["a", "b", "b", "c"] * 250})
    >>> path = os.path.join(tempfile.mkdtemp(), "ref.parquet")
    >>> df.to_parquet(path)
    >>> prof = profile_dataset(path, batch_size=100, bins=4)
    >>> prof["x"].counts
    (0, 250, 250, 250, 250, 0, 0)
    >>> prof == kd.profile(df, bins=4)
    True
    """
    fitted = None
    if pairs is not None:
        from ._engines.arrow_pairs import FitPairs

        fitted = FitPairs(pairs, max_pairs)
    prof = arrow.fit(
        source,
        columns=columns,
        format=format,
        batch_size=batch_size,
        sample_size=sample_size,
        random_state=random_state,
        progress=progress,
        bins=bins,
        strategy=strategy,
        edges=edges,
        categorical=categorical,
        max_categories=max_categories,
        discrete_threshold=discrete_threshold,
        hook=fitted,
    )
    if pairs is None:
        return prof
    from ._engines import arrow_pairs

    return arrow_pairs.profile_pairs(
        prof, source, pairs, max_pairs=max_pairs, format=format, batch_size=batch_size, fitted=fitted
    )


def count_dataset(
    reference: ReferenceProfile,
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    pairs: str | Sequence[tuple[str, str]] | None = None,
) -> CountTable:
    """Count Parquet/CSV data larger than memory into a profile's bins, in one streamed pass.

    The streaming engine's count function: only the profiled columns are read, each batch
    is counted and thrown away, and the counts equal `kl_drift.count` on the whole
    table. Each file's column types are checked against the bins (the type table of
    `kl_drift._engines.types`): a type that does not fit in any file makes the column
    ``problem="type_mismatch"``, with a reason naming the column, the file and both types.
    A column that no file has is ``problem="missing_column"``; the rows of a file that
    lacks a column other files have are missing values there, as ``pandas.concat`` gives.

    Parameters
    ----------
    reference : ReferenceProfile
        From `kl_drift.profile`, `profile_dataset` or ``ReferenceProfile.load``.
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        The current data; see `open_dataset`.
    columns : sequence of str, optional
        Columns to count (default: every profiled column).
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension.
    batch_size : int, default 131072
        Rows per record batch.
    progress : callable, optional
        Called with the number of rows of each batch once it is counted.
    pairs : "auto" or sequence of (str, str), optional
        The profile's column pairs to count on their 2-D bins, chosen as `kl_drift.compare`
        chooses them: by default (or "auto") every pair the profile holds, only those of
        two of `columns` when `columns` is given; pairs named are counted as named. They
        are counted in the same pass, from the same batches as the columns.

    Returns
    -------
    CountTable
        Score it with `kl_drift.compare`; merge tables of several sources with
        `CountTable.merge`. Its ``pairs`` hold the pair counts (a pair with a column that
        could not be counted is left out, and compared as skipped).

    Examples
    --------
    >>> import os, tempfile, pandas as pd, kl_drift as kd
    >>> from kl_drift.dataset import count_dataset
    >>> prof = kd.profile(pd.DataFrame({"plan": ["a", "b", "b"]}))
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"plan": ["a", "c"]}).to_parquet(os.path.join(folder, "1.parquet"))
    >>> pd.DataFrame({"plan": [1.5]}).to_parquet(os.path.join(folder, "2.parquet"))
    >>> table = count_dataset(prof, folder)
    >>> table["plan"].problem
    'type_mismatch'
    >>> print(table["plan"].reason.replace(folder + os.sep, ""))
    column 'plan' in file 2.parquet: the reference is categories of strings but the current column is numeric (double)
    """
    chosen = _chosen_pairs(reference, pairs, columns)
    if not chosen:
        return arrow.count(reference, source, columns=columns, format=format, batch_size=batch_size, progress=progress)
    from dataclasses import replace

    from ._engines.arrow_pairs import PairTally

    tally = PairTally(reference, chosen)
    table = arrow.count(reference, source, columns=columns, format=format, batch_size=batch_size, progress=progress, hook=tally)
    return replace(table, pairs=tally.result(table))


def _chosen_pairs(reference: ReferenceProfile, pairs: Any, columns: Sequence[str] | None) -> tuple[Any, ...]:
    """The profile's pairs a count or comparison asks for (none when it holds none and none are asked)."""
    if not isinstance(reference, ReferenceProfile) or (pairs is None and not reference.pairs):
        return ()  # (not a profile: the count says so)
    from .pairs import chosen_pairs

    return chosen_pairs(reference, pairs, columns)


def compare_dataset(
    reference: ReferenceProfile,
    source: Any,
    *,
    columns: Sequence[str] | None = None,
    format: Any = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    **compare_options: Any,
) -> DriftReport:
    """Compare Parquet/CSV data larger than memory with a reference profile, in one streamed pass.

    Only the profiled columns are read; each batch is counted into the reference's bins
    and the counts are added, so the scores equal `kl_drift.compare` on the whole
    table, unseen values and p-values included.

    Parameters
    ----------
    reference : ReferenceProfile
        From `kl_drift.profile`, `profile_dataset` or ``ReferenceProfile.load``.
    source : str, path, sequence of them, or pyarrow.dataset.Dataset
        The current data; see `open_dataset`.
    columns : sequence of str, optional
        Columns to compare (default: every profiled column).
    format : {"parquet", "csv"} or pyarrow.dataset.FileFormat, optional
        Default: from the file extension.
    batch_size : int, default 131072
        Rows per record batch.
    progress : callable, optional
        Called with the number of rows of each batch once it is counted (e.g. a progress
        bar's ``update``).
    **compare_options
        Passed to `kl_drift.compare` (``threshold``, ``smoothing``, ``direction``...).
        ``pairs`` as there: the profile's pair counts are compared, their cells counted
        from the same batches as the columns, in the same pass.

    Returns
    -------
    DriftReport

    Raises
    ------
    EmptyDataError
        If the current data has no rows.

    Examples
    --------
    >>> import os, tempfile, numpy as np, pandas as pd, kl_drift as kd
    >>> from kl_drift.dataset import compare_dataset
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=5000)})
    >>> cur = pd.DataFrame({"x": rng.normal(0.5, 1.0, size=5000)})
    >>> path = os.path.join(tempfile.mkdtemp(), "current.parquet")
    >>> cur.to_parquet(path)
    >>> report = compare_dataset(kd.profile(ref), path, batch_size=1000)
    >>> report["x"].status, report["x"].statistic == kd.compare(kd.profile(ref), cur)["x"].statistic
    ('drift', True)
    """
    pairs = compare_options.pop("pairs", None)
    chosen = _chosen_pairs(reference, pairs, columns)
    counted = count_dataset(
        reference, source, columns=columns, format=format, batch_size=batch_size, progress=progress, pairs=pairs
    )
    if not chosen:
        return compare(reference, counted, columns=columns, **compare_options)
    from dataclasses import replace

    from ._options import CompareOptions
    from .pairs import attach_pairs

    # Scored here rather than by `compare`, so that pairs none of which could be counted
    # are still reported (skipped, with the reason).
    report = compare(reference, replace(counted, pairs=()), columns=columns, **compare_options)
    opts = CompareOptions.resolve(**compare_options)
    return attach_pairs(report, reference, counted.pairs, counted, pairs, opts, columns=columns)
