"""Apache Spark front end: profile and compare Spark DataFrames without collecting rows.

The counting and fitting run on the cluster (``kl_drift._engines.spark``) in a few
aggregation passes over all columns together; only counts reach the driver, where the
scoring (smoothing, divergence, p-values, decisions) is the same code as for pandas.

Requires pyspark (``pip install "kl_drift[spark]"``).

Examples
--------
>>> from kl_drift import spark as kds                                    # doctest: +SKIP
>>> prof = kds.profile(spark.table("orders_2025"))                       # doctest: +SKIP
>>> report = kds.compare(prof, spark.table("orders_today"))              # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

try:
    from pyspark.sql import DataFrame
except ImportError as exc:  # pragma: no cover - exercised with the package faked away
    raise ImportError(
        "kl_drift.spark needs pyspark: install it with `pip install \"kl_drift[spark]\"`"
    ) from exc

from pyspark.sql import functions as F

from ._core.pairs import DEFAULT_MAX_PAIRS
from ._engines import spark as _engine
from .compare import compare as _compare
from .counts import CountTable
from .errors import ColumnError, EmptyDataError
from .profile import BinningOptions, ReferenceProfile
from .report import DriftReport

if TYPE_CHECKING:
    from .timeline import Timeline

__all__ = ["profile", "count", "compare", "compare_over_time"]


def _check_frame(data: Any, what: str) -> DataFrame:
    if not isinstance(data, DataFrame):
        raise TypeError(f"`{what}` must be a pyspark.sql.DataFrame, got {type(data).__name__}")
    return data


def count(
    reference: ReferenceProfile,
    data: DataFrame,
    *,
    columns: Sequence[str] | None = None,
    pairs: str | Sequence[tuple[str, str]] | None = None,
) -> CountTable:
    """Count a Spark DataFrame into a profile's bins, on the cluster.

    Parameters
    ----------
    reference : ReferenceProfile
        The bins to count into.
    data : pyspark.sql.DataFrame
        The current data.
    columns : sequence of str, optional
        Profile columns to count (default: all).
    pairs : "auto" or sequence of (str, str), optional
        The profile's column pairs to count on their 2-D bins, chosen as
        :func:`kl_drift.compare` chooses them: by default (or "auto") every pair the
        profile holds, only those of two of `columns` when `columns` is given; pairs
        named are counted as named. All of them in one more aggregation.

    Returns
    -------
    CountTable
        Columns absent from `data` have ``problem="missing_column"``; columns whose type
        does not fit the reference bins ``problem="type_mismatch"`` with a reason naming
        the column and both types. Its ``pairs`` hold the pair counts (a pair with such a
        column is left out, and compared as skipped). Pass the table to
        :func:`kl_drift.compare`, or merge it with the counts of other partitions.

    Examples
    --------
    >>> table = kds.count(prof, spark.table("orders_today"))             # doctest: +SKIP
    >>> kd.compare(prof, table).drifted                                  # doctest: +SKIP
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(f"`reference` must be a ReferenceProfile, got {type(reference).__name__}")
    frame = _check_frame(data, "data")
    table = _engine.count(reference, frame, columns=columns)
    if pairs is None and not reference.pairs:
        return table
    from dataclasses import replace

    from ._engines import spark_pairs
    from .pairs import chosen_pairs, countable_pairs

    chosen = chosen_pairs(reference, pairs, columns)
    if not chosen:
        return table
    counted = spark_pairs.count_pairs(reference, countable_pairs(table, chosen), frame)
    return replace(table, pairs=counted)


def compare(reference: ReferenceProfile, data: DataFrame, **options: Any) -> DriftReport:
    """:func:`kl_drift.compare` for a Spark DataFrame: count on the cluster, score on the driver.

    Parameters
    ----------
    reference : ReferenceProfile
        A profile (from :func:`profile`, :func:`kl_drift.profile` or a saved file).
    data : pyspark.sql.DataFrame
        The current data.
    **options
        Any option of :func:`kl_drift.compare` (thresholds, direction, ...). ``pairs``
        as there: the profile's column pairs are counted on the cluster (:func:`count`)
        and compared, every pair it holds by default.

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> report = kds.compare(prof, spark.table("orders_today"), threshold="auto")  # doctest: +SKIP
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(
            f"`reference` must be a ReferenceProfile (profile Spark data with kl_drift.spark.profile), "
            f"got {type(reference).__name__}"
        )
    table = count(reference, data, columns=options.get("columns"), pairs=options.get("pairs"))
    return _compare(reference, table, **options)


def profile(
    data: DataFrame,
    *,
    columns: Sequence[str] | None = None,
    bins: int | Mapping[str, int] = 10,
    strategy: str | Mapping[str, str] = "quantile",
    edges: Mapping[str, Sequence[Any]] | None = None,
    categorical: Sequence[str] = (),
    max_categories: int = 50,
    discrete_threshold: int = 20,
    relative_error: float = 1e-4,
    pairs: str | Sequence[tuple[str, str]] | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> ReferenceProfile:
    """Profile a Spark DataFrame: bins and reference counts in three aggregation passes.

    The options are those of :func:`kl_drift.profile`. Quantile edges come from
    ``percentile_approx`` (a Greenwald-Khanna sketch): each edge's rank is within
    ``relative_error * n`` of the exact order statistic; ``relative_error=0`` gives the
    exact edges of the pandas path (at a higher cost in memory). Counts are always exact.
    Pair counts (`pairs`) take one more aggregation, and ``"auto"`` two small jobs before
    it that collect the group codes of at most 50,000 sample rows to the driver (see
    docs/pairs.md).

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        The reference data.
    columns, bins, strategy, edges, categorical, max_categories, discrete_threshold
        As for :func:`kl_drift.profile`.
    relative_error : float, default 1e-4
        Rank error allowed for quantile edges, as a share of the rows.
    pairs : "auto" or sequence of (str, str), optional
        Also count column pairs on 2-D bins, for joint drift, as :func:`kl_drift.profile`
        does: the pairs named, or ``"auto"``, the `max_pairs` pairs of strongest reference
        dependence, ranked on the rows the pandas path ranks on (all rows up to 50,000;
        beyond, 50,000 positions drawn with a fixed seed, a row's position being its place
        in the DataFrame's partitions).
    max_pairs : int, default 10
        Most pairs ``pairs="auto"`` keeps.

    Returns
    -------
    ReferenceProfile
        Interchangeable with one made by :func:`kl_drift.profile` (``TIMESTAMP`` columns get
        tz-aware bins in UTC, ``TIMESTAMP_NTZ`` and ``DATE`` columns tz-naive ones).

    Raises
    ------
    EmptyDataError
        If `data` has no rows or no columns to profile.
    ColumnError
        For an option naming an unknown column or bad `edges`, as :func:`kl_drift.profile`.

    Examples
    --------
    >>> prof = kds.profile(spark.read.parquet("orders_2025"), bins={"amount": 20})  # doctest: +SKIP
    >>> prof.save("orders_profile.json")                                           # doctest: +SKIP
    """
    frame = _check_frame(data, "data")
    if not 0 <= relative_error < 1:
        raise ValueError(f"`relative_error` must be in [0, 1), got {relative_error!r}")
    present = [field.name for field in frame.schema.fields]
    names = present if columns is None else list(dict.fromkeys(columns))
    for name in names:
        if name not in present:
            raise ColumnError(name, "is in `columns` but not in the reference data")
    if not names:
        raise EmptyDataError("the reference data has no columns to profile")
    opts = BinningOptions.resolve(
        names,
        bins=bins,
        strategy=strategy,
        edges=edges,
        categorical=categorical,
        max_categories=max_categories,
        discrete_threshold=discrete_threshold,
    )
    fitted = _engine.fit(frame, names, opts, relative_error)
    if pairs is None:
        return fitted
    from ._engines import spark_pairs

    empty = spark_pairs.plan_pairs(fitted, frame, pairs, max_pairs=max_pairs)
    counted = spark_pairs.count_pairs(fitted, empty, frame) if empty else ()
    settings = {**fitted.settings, "pairs": pairs if isinstance(pairs, str) else [list(p.columns) for p in counted]}
    return ReferenceProfile(fitted.columns, fitted.n_rows, created_at=fitted.created_at, settings=settings, pairs=counted)


def compare_over_time(
    data: DataFrame,
    *,
    time_column: str | None = None,
    freq: str | None = None,
    rows: int | None = None,
    reference: ReferenceProfile | DataFrame | Literal["first", "previous"] | None = None,
    reference_periods: int = 1,
    window: int | None = None,
    min_rows: int | None = None,
    columns: Sequence[str] | None = None,
    relative_error: float = 1e-4,
    profile_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> Timeline:
    """:func:`kl_drift.compare_over_time` for a Spark DataFrame: every period counted in one
    aggregation grouped by period on the cluster, scored on the driver.

    The period of a row is computed in Spark from `time_column`, then the counting plan of
    :func:`count` runs once, grouped by it (``GROUP BY period``); only the counts of each
    period reach the driver, where they are scored exactly as `kl_drift.compare_over_time`
    scores a pandas frame's periods. Frequencies of a fixed duration ("h", "15min", "D",
    ...) are cut in Spark; calendar frequencies ("W", "MS", "QS", "YS", ...) are counted
    per day in Spark and the days added into periods on the driver (counts add).

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        The whole table.
    time_column : str
        A ``TIMESTAMP_NTZ`` or ``DATE`` column (wall-clock periods, as pandas cuts naive
        datetimes) or a ``TIMESTAMP`` column (periods of the UTC calendar).
    freq : str
        A pandas frequency alias whose periods are a whole number of microseconds or of days.
    rows : None
        Not offered on Spark (a Spark DataFrame has no row order); giving it is an error.
    reference : ReferenceProfile, Spark DataFrame, "first" or "previous", optional
        A fixed profile (or Spark data, profiled here); (the default) the first
        `reference_periods` periods, profiled on the cluster with :func:`profile`
        (`relative_error` and `profile_options`); or "previous", a rolling window of the
        `window` periods before each one: bins fitted on the whole table with
        :func:`profile`, each period's reference the sum of its window's period counts.
    reference_periods, window, min_rows, columns
        As in :func:`kl_drift.compare_over_time`.
    relative_error : float, default 1e-4
        Of :func:`profile`, where the reference is fitted here; 0 gives the pandas path's
        exact edges.
    profile_options : mapping, optional
        Binning options of :func:`profile` where the reference is fitted here.
    **options
        The comparison options of :func:`kl_drift.compare`.

    Returns
    -------
    Timeline
        Equal to `kl_drift.compare_over_time` of the same rows as a pandas frame (with
        ``relative_error=0`` when the reference is fitted here).

    Raises
    ------
    ColumnError
        If `time_column` is missing, not a time, or holds no times.
    ValueError
        For `rows`, an unknown `freq`, a window or first-periods reference not shorter than
        the data, or any invalid comparison option (named).

    Examples
    --------
    >>> tl = kds.compare_over_time(spark.table("events"), time_column="event_time",
    ...                            freq="D", reference=prof)                   # doctest: +SKIP
    >>> week_on_week = kds.compare_over_time(spark.table("events"), time_column="event_time",
    ...                                      freq="W", reference="previous", window=1)  # doctest: +SKIP
    >>> tl.drifted_periods                                                     # doctest: +SKIP
    """
    import numpy as np

    from . import timeline as _timeline
    from ._core.bins import CategoricalBins
    from ._options import CompareOptions

    frame = _check_frame(data, "data")
    if rows is not None:
        raise ValueError(
            "`rows` chunks are not offered on Spark: a Spark DataFrame has no row order; "
            "cut periods by `time_column` and `freq`"
        )
    if time_column is None:
        raise ValueError("`time_column` (with `freq`) is required to cut a Spark DataFrame into periods")
    if freq is None:
        raise ValueError(f"`freq` is required with `time_column` {time_column!r}: a pandas frequency alias such as 'D' or 'W'")
    opts = CompareOptions.resolve(**options)
    min_rows = _timeline._check_count("min_rows", _timeline.DEFAULT_MIN_ROWS if min_rows is None else min_rows)
    types = {field.name: field.dataType for field in frame.schema.fields}
    if time_column not in types:
        raise ColumnError(time_column, f"is the `time_column` but not a column of the data; columns: {list(types)[:20]}")
    if not isinstance(freq, str):
        raise ValueError(f"`freq` must be a pandas frequency alias such as 'D', 'W', 'MS' or '15min', got {freq!r}")
    cut = _PeriodKey.of(time_column, types[time_column], freq)
    if isinstance(reference, ReferenceProfile):
        default = [c for c in reference.names if c != time_column]
    else:
        default = [c for c in types if c != time_column]
    compared = [str(c) for c in columns] if columns is not None else default
    if time_column in compared:
        raise ColumnError(time_column, "is the `time_column`; it cannot also be compared")
    if not compared:
        raise EmptyDataError("there are no columns to compare besides the time column")
    fit = {"columns": compared, "relative_error": relative_error, **dict(profile_options or {})}

    def span() -> tuple[int, int]:
        """The first key and the number of periods (one pass, before anything is fitted)."""
        low, high = frame.agg(F.min(cut.key), F.max(cut.key)).collect()[0]
        if low is None:
            raise ColumnError(time_column, "has no times: every value is missing")
        codes = cut.codes_of(np.array([low, high], dtype=np.int64))
        return int(low), int(codes[1] - codes[0]) + 1

    n_reference: int | None = None
    if isinstance(reference, (ReferenceProfile, DataFrame)):
        mode = "profile"
        if reference_periods != 1 or window is not None:
            raise ValueError("`reference_periods` and `window` apply to reference='first' or 'previous', not to a given reference")
        if isinstance(reference, DataFrame):
            prof = profile(reference, **fit)
        else:
            prof = reference
        unknown = [c for c in compared if c not in prof]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
    elif reference is None or reference == "first":
        mode = "first"
        if window is not None:
            raise ValueError("`window` applies to reference='previous'")
        n_reference = _timeline._check_count("reference_periods", reference_periods)
        low, n_periods = span()
        if n_reference >= n_periods:
            raise ValueError(
                f"`reference_periods` ({n_reference}) leaves no period to compare: the data has {n_periods} period(s)"
            )
        prof = profile(frame.where(cut.key <= cut.last_key_of_periods(low, n_reference)), **fit)
    elif reference == "previous":
        mode = "previous"
        if window is None:
            raise ValueError("`window` is required with reference='previous': the number of previous periods to compare with")
        n_reference = _timeline._check_count("window", window)
        _, n_periods = span()
        if n_reference >= n_periods:
            raise ValueError(f"`window` ({n_reference} periods) is not shorter than the data ({n_periods} periods)")
        # Bins from the whole table, as the pandas path fits them: the reference moves.
        prof = profile(frame, **fit)
    else:
        raise ValueError(f"`reference` must be a ReferenceProfile, a Spark DataFrame, 'first' or 'previous', got {reference!r}")

    by_key = _engine.count_by_group(prof, frame, cut.key, columns=compared)
    n_unassigned = by_key.pop(None).n_rows if None in by_key else 0
    pooled_of: dict[Any, dict[str, tuple[int, ...]]] | None = None
    if mode == "previous":
        # What each period's profile keeps of its pooled values, so that windows add up.
        specs = {c: prof[c].bins for c in compared if isinstance(prof[c].bins, CategoricalBins) and prof[c].pooled is not None}
        pooled_of = _engine.pooled_by_group(frame, cut.key, specs) if specs else {}  # type: ignore[arg-type]
        zeros = {name: tuple(0 for _ in spec.other_values) for name, spec in specs.items()}  # type: ignore[union-attr]
    tables: dict[int, CountTable] = {}
    pooled: dict[int, dict[str, tuple[int, ...]]] = {}
    if by_key:
        keys = np.array(sorted(by_key), dtype=np.int64)
        for key, code in zip(keys.tolist(), cut.codes_of(keys).tolist()):
            tables[code] = tables[code].merge(by_key[key]) if code in tables else by_key[key]
            if pooled_of is not None:
                extra = pooled_of.get(key, zeros)
                pooled[code] = _timeline._add_pooled(pooled[code], extra) if code in pooled else dict(extra)
    if not tables:
        raise EmptyDataError("the data has no rows with a time")
    return _timeline.timeline_from_counts(
        prof, tables, pooled if mode == "previous" else None, time_column=time_column, freq=freq, rows=None, tz=cut.tz,
        n_seen=0, mode=mode, n_reference=n_reference, n_unassigned=n_unassigned, min_rows=min_rows, opts=opts,
        compared=compared, data_columns=list(types), stacklevel=3,
    )  # fmt: skip


class _PeriodKey:
    """The Spark column a timeline groups by, and its mapping to the pandas path's period codes.

    Periods of a fixed duration are numbered in Spark (``floor(micros / step)``, the codes
    `kl_drift.timeline` gives); calendar periods are grouped by day in Spark and each day's
    period code is found on the driver by the pandas path's own code (its periods are whole
    days, which is checked).
    """

    def __init__(self, name: str, key: Any, tz: str | None, freq: str, step_days: bool) -> None:
        self.name, self.key, self.tz, self.freq, self.by_day = name, key, tz, freq, step_days

    @classmethod
    def of(cls, name: str, data_type: Any, freq: str) -> _PeriodKey:
        from pandas.tseries.offsets import Tick

        from .timeline import _period_offset

        offset = _period_offset(freq)
        micros, tz = _engine.time_micros(name, data_type)
        if isinstance(offset, Tick):
            if int(offset.nanos) % 1000:
                raise ValueError(f"`freq` {freq!r} is shorter than Spark's microseconds")
            return cls(name, _engine.floor_divide(micros, int(offset.nanos) // 1000), tz, freq, False)
        return cls(name, _engine.floor_divide(micros, 86_400_000_000), tz, freq, True)

    def codes_of(self, keys: Any) -> Any:
        """The period codes of grouping keys (an int64 array)."""
        if not self.by_day:
            return keys
        import numpy as np
        import pandas as pd

        from .timeline import _absolute_codes

        starts = pd.Series(pd.to_datetime(keys * 86_400 * 10**9))
        codes, _, _ = _absolute_codes(starts, self.freq)
        last, _, _ = _absolute_codes(starts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1), self.freq)
        if not np.array_equal(codes, last):
            raise ValueError(
                f"`freq` {self.freq!r} cuts periods inside a day; on Spark give a fixed duration "
                "('h', '15min', 'D', ...) or periods of whole days ('W', 'MS', 'QS', ...)"
            )
        return codes

    def last_key_of_periods(self, low: int, n: int) -> int:
        """The largest key in the first `n` periods from the one holding key `low`."""
        if not self.by_day:
            return low + n - 1
        import numpy as np

        # A period spans at most 366 days ("YS"), times its multiple: look that far ahead.
        from .timeline import _period_offset

        span = 400 * max(1, int(getattr(_period_offset(self.freq), "n", 1))) * n
        days = np.arange(low, low + span, dtype=np.int64)
        codes = self.codes_of(days)
        return int(days[codes < codes[0] + n][-1])
