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
from typing import Any

try:
    from pyspark.sql import DataFrame
except ImportError as exc:  # pragma: no cover - exercised with the package faked away
    raise ImportError(
        "kl_drift.spark needs pyspark: install it with `pip install \"kl_drift[spark]\"`"
    ) from exc

from ._engines import spark as _engine
from .compare import compare as _compare
from .counts import CountTable
from .errors import ColumnError, EmptyDataError
from .profile import BinningOptions, ReferenceProfile
from .report import DriftReport

__all__ = ["profile", "count", "compare"]


def _check_frame(data: Any, what: str) -> DataFrame:
    if not isinstance(data, DataFrame):
        raise TypeError(f"`{what}` must be a pyspark.sql.DataFrame, got {type(data).__name__}")
    return data


def count(reference: ReferenceProfile, data: DataFrame, *, columns: Sequence[str] | None = None) -> CountTable:
    """Count a Spark DataFrame into a profile's bins, on the cluster.

    Parameters
    ----------
    reference : ReferenceProfile
        The bins to count into.
    data : pyspark.sql.DataFrame
        The current data.
    columns : sequence of str, optional
        Profile columns to count (default: all).

    Returns
    -------
    CountTable
        Columns absent from `data` have ``problem="missing_column"``; columns whose type
        does not fit the reference bins ``problem="type_mismatch"`` with a reason naming
        the column and both types. Pass the table to :func:`kl_drift.compare`, or merge it
        with the counts of other partitions.

    Examples
    --------
    >>> table = kds.count(prof, spark.table("orders_today"))             # doctest: +SKIP
    >>> kd.compare(prof, table).drifted                                  # doctest: +SKIP
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(f"`reference` must be a ReferenceProfile, got {type(reference).__name__}")
    return _engine.count(reference, _check_frame(data, "data"), columns=columns)


def compare(reference: ReferenceProfile, data: DataFrame, **options: Any) -> DriftReport:
    """:func:`kl_drift.compare` for a Spark DataFrame: count on the cluster, score on the driver.

    Parameters
    ----------
    reference : ReferenceProfile
        A profile (from :func:`profile`, :func:`kl_drift.profile` or a saved file).
    data : pyspark.sql.DataFrame
        The current data.
    **options
        Any option of :func:`kl_drift.compare` (thresholds, direction, ...).

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
    return _compare(reference, count(reference, data), **options)


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
) -> ReferenceProfile:
    """Profile a Spark DataFrame: bins and reference counts in three aggregation passes.

    The options are those of :func:`kl_drift.profile`. Quantile edges come from
    ``percentile_approx`` (a Greenwald-Khanna sketch): each edge's rank is within
    ``relative_error * n`` of the exact order statistic; ``relative_error=0`` gives the
    exact edges of the pandas path (at a higher cost in memory). Counts are always exact.

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        The reference data.
    columns, bins, strategy, edges, categorical, max_categories, discrete_threshold
        As for :func:`kl_drift.profile`.
    relative_error : float, default 1e-4
        Rank error allowed for quantile edges, as a share of the rows.

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
    return _engine.fit(frame, names, opts, relative_error)
