"""Pass 1 of a streamed profile: the exact statistics of each reference column, batch by batch.

Categorical columns (and numeric ones while they have few enough distinct values to be
binned by value) get exact counts per value; numeric and datetime columns get their exact
finite minimum and maximum, whether their integers ever became floats (nulls), and their
missing values. Everything a column's bins need except quantiles, which come from the
reservoir sample (:mod:`kl_drift._engines.arrow_sample`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .._core.novelty import PooledValues
from ..errors import ColumnError
from .arrow_values import ValueCounter, numeric_buffer, value_counts
from .pandas import (
    DATETIME_NOT_CATEGORICAL,
    ColumnProblem,
    classify,
    datetime_values,
    fit_categories,
    numeric_values,
    reference_counts,
    text_identifier,
)
from .types import arrow_family

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.compute as pc
else:
    from .._lazy import LazyModule
    from .._lazy import pandas as pd

    # Imported at first use: a comparison (which imports this module) never calls it, and
    # importing pyarrow.compute costs 25-40 ms.
    pc = LazyModule("pyarrow.compute")

__all__ = ["ColumnScan", "start_scan", "whole_dtype", "numeric_sample", "range_series", "categorical_counts", "exact_range"]

# A continuous column shows it in its first values: no need to count them all.
_DISTINCT_PROBE = 4096
_TRACKS = {"string": "text", "bool": "bool", "number": "number"}


@dataclass
class ColumnScan:
    """Exact statistics of one reference column gathered in pass 1."""

    name: str
    kind: str
    dtype: Any
    value_type: str = "string"
    forced: bool = False
    problem: ColumnProblem | None = None
    # Missing values, counted while `values` is tracked.
    n_missing: int = 0
    # Non-missing values seen (identifier-like integers are judged on the whole column).
    n_values: int = 0
    # Some batch's values were floats to the counting (numeric_values): float columns, uint64,
    # and integers with nulls.
    float_seen: bool = False
    # Some batch had nulls (or a file lacked the column): a numpy integer column is float64
    # in pandas as a whole, a numpy boolean one object.
    nulls_seen: bool = False
    counter: ValueCounter = field(default_factory=ValueCounter)
    low: Any = None
    high: Any = None
    # Exact count per distinct value, while tracked: always for categorical columns, for a
    # numeric one only while it could still have few enough values to be binned by value.
    values: dict[Any, int] | None = None
    distinct_limit: int = 0
    tz: str | None = None

    @property
    def by_value(self) -> bool:
        """Whether the column's values are counted one by one whatever their number."""
        return self.values is not None and (self.forced or self.kind != "numeric")

    def tracks_arrow(self, kind: str) -> bool:
        """Whether a batch whose Arrow kind is `kind` ("text", "bool", "number", "other") can be
        tracked from its Arrow array, as pandas would give the values."""
        if self.problem is not None:
            return False
        if self.by_value:
            return _TRACKS[self.value_type] == kind
        return self.kind == "numeric" and kind == "number"

    def needs_frame(self, track_range: bool) -> bool:
        """Whether a batch that cannot be tracked from Arrow must go through pandas."""
        return self.problem is None and (self.values is not None or self.kind == "numeric" or track_range)

    def add_missing(self, n_rows: int) -> None:
        """Rows of a file that lacks the column (or holds it as nulls only): missing values."""
        self.n_missing += n_rows
        # pandas.concat fills them with NaN: integers become floats.
        self.nulls_seen = True
        self.float_seen |= self.kind == "numeric"

    def update_array(self, array: pa.Array, *, track_range: bool) -> None:
        """The same statistics as :meth:`update`, from the Arrow array of a typed column."""
        if self.by_value:
            # Any number of distinct values: counted in bulk, turned into values once.
            self.counter.add(array)
        elif self.values is not None:
            if self._probably_continuous(array):
                self.values = None
            else:
                self._add_values(*value_counts(array), 0)
        self.nulls_seen |= array.null_count > 0
        self.n_values += len(array) - array.null_count
        if self.kind != "numeric":
            return
        floating = pa.types.is_floating(array.type)
        self.float_seen |= floating or array.null_count > 0 or pa.types.is_uint64(array.type)
        if floating and self.values is not None and not self.forced and pc.any(pc.is_inf(array)).as_py():
            self.values = None
        if track_range:
            x = numeric_buffer(array)
            self._extend(x[np.isfinite(x)] if x.dtype.kind == "f" else x)

    def update(self, series: pd.Series, *, track_range: bool) -> None:
        """Add one batch's values of the column, converted to pandas."""
        if self.problem is not None:
            return
        if self.values is not None:
            self._count_values(series)
        self.nulls_seen |= bool(series.hasnans)
        self.n_values += int(series.notna().sum())
        if self.kind == "numeric":
            x = numeric_values(series)
            if x.dtype.kind == "f":
                self.float_seen = True
                if self.values is not None and not self.forced and np.isinf(x).any():
                    self.values = None
                if track_range:
                    self._extend(x[np.isfinite(x)])
            elif track_range:
                self._extend(x)
        elif self.kind == "datetime" and track_range:
            self._extend(datetime_values(series)[0])

    def finish(self) -> None:
        """Fold the bulk counts of the Arrow batches into `values`."""
        self.counter.flush()
        if self.by_value:
            assert self.values is not None
            self.n_missing += self.counter.n_missing
            for value, count in self.counter.values.items():
                self.values[value] = self.values.get(value, 0) + count

    def is_discrete(self) -> bool:
        """As the in-memory profile: few distinct values (tracking stopped at any ±inf), at
        least one, and integers that floats hold exactly."""
        if self.values is None or not 0 < len(self.values) <= self.distinct_limit:
            return False
        return self.float_seen or all(abs(int(v)) <= 2**53 for v in self.values)

    def _probably_continuous(self, array: pa.Array) -> bool:
        return (
            not self.forced
            and self.kind == "numeric"
            and pc.count_distinct(array.slice(0, _DISTINCT_PROBE)).as_py() > self.distinct_limit
        )

    def _add_values(self, values: list[Any], counts: list[int], n_missing: int) -> None:
        assert self.values is not None
        if not self.forced and self.kind == "numeric" and len(values) > self.distinct_limit:
            self.values = None
            return
        self.n_missing += n_missing
        for value, count in zip(values, counts):
            if value is None or value != value:  # null, or a float NaN: missing, as in pandas
                self.n_missing += count
            else:
                self.values[value] = self.values.get(value, 0) + count
        if not self.forced and self.kind == "numeric" and len(self.values) > self.distinct_limit:
            self.values = None

    def _extend(self, x: np.ndarray) -> None:
        if x.size:
            low, high = x.min(), x.max()
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)

    def _count_values(self, series: pd.Series) -> None:
        if not self.forced and self.kind == "numeric" and series.iloc[:_DISTINCT_PROBE].nunique() > self.distinct_limit:
            self.values = None
            return
        try:
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
        except TypeError as exc:
            self.problem = ColumnProblem(f"values cannot be hashed ({exc})")
            return
        per_code = np.bincount(codes + 1, minlength=len(uniques) + 1)
        self._add_values(np.asarray(uniques, dtype=object).tolist(), per_code[1:].tolist(), int(per_code[0]))


def _kind(empty: pd.Series, arrow_type: pa.DataType) -> str:
    """The column's kind from its types alone, as :func:`classify` gives it for its values."""
    if empty.dtype != object:
        return classify(empty)
    family = arrow_family(arrow_type)
    if family == "decimal":
        return "numeric"
    if family in ("string", "null"):
        return "categorical"
    raise ColumnProblem(f"values of type {arrow_type} cannot be binned; cast the column to numbers, strings or datetimes")


def _value_type(kind: str, arrow_type: pa.DataType) -> str:
    if kind == "boolean":
        return "bool"
    if kind == "numeric":
        return "number"
    if pa.types.is_dictionary(arrow_type):
        family = arrow_family(arrow_type.value_type)
        if family == "boolean":
            return "bool"
        if family in ("integer", "float", "decimal"):
            return "number"
    return "string"


def start_scan(
    name: str, empty: pd.Series, arrow_type: pa.DataType, *, forced: bool, user_binned: bool, discrete_threshold: int
) -> ColumnScan:
    """How a column is tracked, decided from its types before any row is read.

    `empty` is an empty column of the whole column's pandas dtype; `arrow_type` its Arrow
    type across the files.
    """
    try:
        kind = _kind(empty, arrow_type)
    except ColumnProblem as problem:
        return ColumnScan(name, "skipped", empty.dtype, problem=problem)
    if kind == "datetime" and forced:
        raise ColumnError(name, DATETIME_NOT_CATEGORICAL)
    scan = ColumnScan(name, kind, empty.dtype, value_type=_value_type(kind, arrow_type), forced=forced)
    if kind == "datetime":
        scan.tz = datetime_values(empty)[2]
    if kind == "numeric":
        scan.distinct_limit = 0 if user_binned else discrete_threshold
    if scan.forced or kind in ("categorical", "boolean") or scan.distinct_limit:
        scan.values = {}
    return scan


def whole_dtype(scan: ColumnScan) -> Any:
    """The dtype the column has when the whole table is converted at once.

    A batch of an integer column without nulls converts to int64, one with nulls to float64;
    converted whole, the column is float64 if any batch was. Booleans with nulls are objects.
    """
    if not (scan.nulls_seen and isinstance(scan.dtype, np.dtype)):
        return scan.dtype
    if scan.kind == "numeric" and scan.dtype.kind in "iu":
        return np.dtype(np.float64)
    if scan.dtype.kind == "b":
        return np.dtype(object)
    return scan.dtype


def categorical_counts(
    scan: ColumnScan, dtype: str, max_categories: int
) -> tuple[Any, tuple[int, ...], PooledValues, str | None]:
    """Top-K bins, counts, pooled values and identifier-likeness from exact value counts,
    through the same functions as the pandas engine."""
    assert scan.values is not None
    values = list(scan.values)
    if dtype == "float64" and scan.kind == "numeric":
        # Batches without nulls gave integers; the whole column holds floats.
        values = [float(v) for v in values]
    freq = np.fromiter(scan.values.values(), dtype=np.int64, count=len(values))
    spec, pooled = fit_categories(values, freq, scan.value_type, max_categories)
    counts = reference_counts(values, freq, scan.n_missing, spec)
    identifier = text_identifier(len(values), int(freq.sum())) if scan.value_type == "string" else None
    return spec, tuple(int(c) for c in counts), pooled, identifier


def exact_range(scan: ColumnScan) -> tuple[Any, Any] | None:
    """The column's exact finite minimum and maximum, typed as the whole column's edges are
    (floats when any batch made the column float), or None without finite values."""
    if scan.low is None:
        return None
    if scan.kind == "numeric" and (scan.float_seen or isinstance(scan.low, (float, np.floating))):
        return float(scan.low), float(scan.high)
    return int(scan.low), int(scan.high)


def numeric_sample(scan: ColumnScan, sample: pd.Series) -> pd.Series:
    """The sampled values, as floats when any batch made the whole column float."""
    if scan.kind == "numeric" and scan.float_seen and numeric_values(sample.iloc[:0]).dtype.kind in "iu":
        return pd.Series(numeric_values(sample).astype(np.float64), name=sample.name)
    return sample


def range_series(scan: ColumnScan, sample: pd.Series) -> pd.Series:
    """The exact finite minimum and maximum as a column of the sample's type (uniform edges use only these)."""
    values = [] if scan.low is None else [scan.low, scan.high]
    if scan.kind == "datetime":
        stamps = pd.Series(np.array(values, dtype="datetime64[ns]"), dtype="datetime64[ns]")
        return stamps.dt.tz_localize("UTC").dt.tz_convert(scan.tz) if scan.tz else stamps
    dtype = np.float64 if scan.float_seen else numeric_values(sample.iloc[:0]).dtype
    return pd.Series(np.array(values, dtype=dtype))
