"""The pandas engine: fitting bins on pandas columns and counting them into a profile's bins.

With the other engines beside it (Arrow streams, SQL, Spark) this is the only code that
touches rows; everything above works on :class:`kl_drift.counts.CountTable`.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._core import kernels
from .._core.bins import (
    BinSpec,
    CategoricalBins,
    NumericBins,
    at_most_distinct,
    count_numeric,
    count_sorted,
    fit_numeric,
    room_below,
    sorted_values,
    value_range,
    with_range,
)
from .._core.novelty import PooledValues, describe_pooled
from ..counts import MAX_LISTED_UNSEEN_VALUES, ColumnCounts, CountTable
from .types import Family, mismatch, pandas_dtype_family

if TYPE_CHECKING:
    import pandas as pd
else:
    from .._lazy import pandas as pd

# At most this many pooled reference values are listed in the bins (every engine matches
# current values against the list); the rest are kept as a count histogram and a Bloom
# filter, which scoring uses to tell the current's "(unseen)" values seen-but-rare from new.
MAX_LISTED_OTHER_VALUES = 10_000
DATETIME_NOT_CATEGORICAL = (
    "datetime columns cannot be binned as categories; give them `edges=` (e.g. one edge per day) or `bins=`"
)

if TYPE_CHECKING:
    from ..profile import ColumnProfile, ReferenceProfile

# Below this many rows a thread pool costs more than it saves (profiling sorts each column).
PARALLEL_MIN_ROWS = 200_000
# Counting goes over threads when the job has this many values in all and each column this
# many rows: below, a column's count is mostly Python work that holds the GIL, and two
# threads took 1.6-1.9x the time of one (1,000 rows x 4,000 columns, 10,000 x 400).
PARALLEL_MIN_VALUES = 2_000_000
PARALLEL_MIN_COLUMN_ROWS = 50_000

_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal"}


class ColumnProblem(Exception):
    """A column cannot be binned or counted; `status` says how the report shows it."""

    def __init__(self, reason: str, status: str = "skipped") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Fitted:
    """What fitting one reference column produces."""

    kind: str
    dtype: str
    spec: BinSpec
    counts: NDArray[np.int64]
    n_inf: int
    # Categorical columns: what the profile keeps of the pooled values (None otherwise).
    pooled: PooledValues | None = None
    # Why the column is identifier-like (None when it is not).
    identifier: str | None = None


def _type_names(series: pd.Series) -> str:
    names = sorted({type(v).__name__ for v in itertools.islice(series.dropna(), 10_000)})
    return ", ".join(names)


def classify(series: pd.Series) -> str:
    """Kind of a column: "numeric", "datetime", "boolean" or "categorical".

    Raises ColumnProblem for columns that cannot be binned (mixed or unhashable values).
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_complex_dtype(dtype):
        raise ColumnProblem("complex numbers are not supported; profile their real and imaginary parts as two columns")
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise ColumnProblem("timedelta columns are not supported; convert them to numbers (e.g. seconds)")
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in ("string", "empty"):
        return "categorical"
    if inferred == "boolean":
        return "boolean"
    if inferred in _NUMERIC_INFERRED:
        return "numeric"
    if inferred in ("datetime64", "datetime"):
        return "datetime"
    unhashable = next((v for v in series if isinstance(v, (list, dict, set, np.ndarray))), None)
    if unhashable is not None:
        raise ColumnProblem(f"unhashable values of type {type(unhashable).__name__} (e.g. {unhashable!r:.60})")
    raise ColumnProblem(f"mixed value types ({_type_names(series)}); cast the column to one type")


def numeric_values(series: pd.Series) -> NDArray[Any]:
    """float64 with NaN for missing, or int64 when there is nothing missing."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iu":
            if dtype.kind == "u" and dtype.itemsize == 8:
                return series.to_numpy(dtype=np.float64)
            return series.to_numpy(dtype=np.int64, copy=False)
        if dtype.kind == "f":
            return series.to_numpy(dtype=np.float64, copy=False)
    if pd.api.types.is_object_dtype(dtype):
        series = pd.to_numeric(series)
    if series.hasnans:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64)
    return series.to_numpy(dtype=np.float64)


def numeric_array(series: pd.Series) -> tuple[NDArray[Any], int]:
    """The values as :func:`numeric_values` gives them, and missing values taken out of them.

    Integers beyond 2**53, which a float64 cannot hold, stay exact: int64, or uint64 above
    2**63 - 1, with their missing values (nullable dtypes) counted apart.
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and (dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8)):
        # No missing values and exact as int64 at any size: no copy without missing values,
        # no min/max pass.
        return series.to_numpy(dtype=np.int64, copy=False), 0
    if pd.api.types.is_integer_dtype(dtype):
        present = series.dropna()
        if len(present) and max(abs(int(present.min())), abs(int(present.max()))) > 2**53:
            wide = int(present.max()) > 2**63 - 1
            return present.to_numpy(dtype=np.uint64 if wide else np.int64), len(series) - len(present)
    return numeric_values(series), 0


def datetime_values(series: pd.Series) -> tuple[NDArray[np.int64], int, str | None]:
    """UTC nanoseconds since the epoch of the non-missing values, the missing count, and the tz."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.to_datetime(series)
    tz = getattr(series.dt, "tz", None)
    if tz is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    # to_numpy works for numpy- and Arrow-backed timestamps alike, at any resolution.
    stamps = series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    missing = np.isnat(stamps)
    n_missing = int(np.count_nonzero(missing))
    values = stamps.view(np.int64)
    if n_missing:
        values = values[~missing]
    return values, n_missing, (str(tz) if tz is not None else None)


def _json_scalar(value: Any, value_type: str) -> Any:
    if value_type == "string":
        return str(value)
    if value_type == "bool":
        return bool(value)
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, (int, float)):
        return number
    # Decimal, Fraction and friends: an exact int when integral, else the nearest float.
    as_float = float(number)
    return int(number) if as_float.is_integer() and number == int(number) else as_float


def _value_type(kind: str, series: pd.Series) -> str:
    if kind == "boolean":
        return "bool"
    if kind == "numeric":
        return "number"
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.dtype.categories
        if pd.api.types.is_bool_dtype(cats.dtype):
            return "bool"
        if pd.api.types.is_numeric_dtype(cats.dtype):
            return "number"
        inferred = pd.api.types.infer_dtype(cats, skipna=True)
        if inferred not in ("string", "empty"):
            raise ColumnProblem(f"categories of mixed types ({inferred}); cast them to one type")
    return "string"


def _tally(series: pd.Series) -> tuple[Any, NDArray[np.int64], int]:
    """Distinct non-missing values, their counts and the missing count: one hash pass.

    With the compiled kernels in use (``kernels.COUNT_STRINGS``), an Arrow-backed string
    column is hashed in compiled code over its bytes, in about half the CPU of Arrow's hash
    (:func:`kl_drift._core.kernels.tally_strings`): the same values in
    the same order (first appearance) and the same counts as pandas' value_counts below,
    which stays the path of every other column and the reference the tests compare with.
    """
    dtype = series.dtype
    arrow_backed = isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")
    if arrow_backed and kernels.strings_in_use():
        tallied = kernels.tally_strings(series.array.__arrow_array__().chunks)
        if tallied is not None:
            return tallied
    try:
        counts = series.value_counts(dropna=True, sort=False)
    except TypeError as exc:
        raise ColumnProblem(f"values cannot be hashed ({exc})") from None
    freq: NDArray[np.int64] = np.asarray(counts.to_numpy(), dtype=np.int64)
    return counts.index, freq, len(series) - int(freq.sum())


def fit_categories(
    values: Sequence[Any], freq: NDArray[np.int64], value_type: str, max_categories: int
) -> tuple[CategoricalBins, PooledValues]:
    """Bins from exact value counts, and what the profile keeps of the pooled values.

    The `max_categories` most frequent values are kept (ties by the value's text; numbers
    then listed in their natural order); the rest are pooled into "(other)", the 10,000 most
    frequent of them listed in the bins with their counts, any beyond in a count histogram
    and a Bloom filter (:class:`~kl_drift._core.novelty.PooledValues`). Current values outside
    the listed ones count as "(unseen)"; scoring tells the reference's unlisted ones apart.

    Every engine that can count values exactly (pandas, streamed files, Spark) fits through
    here, so they choose the same categories.
    """
    texts = np.array([str(v) for v in values], dtype=object)
    order = np.lexsort((texts, -np.asarray(freq))) if len(values) else np.zeros(0, dtype=np.intp)
    ranked = [_json_scalar(values[i], value_type) for i in order]
    ranked_freq = np.asarray(freq, dtype=np.int64)[order]
    kept, pooled = ranked[:max_categories], ranked[max_categories:]
    if value_type == "number":
        # Numbers read best in their natural order; the top-K choice stays by frequency.
        kept = sorted(kept)
    listed = min(len(pooled), MAX_LISTED_OTHER_VALUES)
    spec = CategoricalBins(
        categories=tuple(kept),
        value_type=value_type,  # type: ignore[arg-type]
        other_values=tuple(pooled[:listed]),
        other_complete=True,
    )
    return spec, describe_pooled(pooled, ranked_freq[max_categories:], listed, value_type)


def reference_counts(
    values: Sequence[Any], freq: NDArray[np.int64], n_missing: int, spec: CategoricalBins
) -> NDArray[np.int64]:
    """The reference's own counts in the bins fitted on it: every value it has is a kept
    category or pooled in "(other)", listed in the bins or not (:func:`fit_categories`)."""
    counts, _ = map_values(values, freq, n_missing, spec)
    if spec.other_index is not None:
        counts[spec.other_index] += counts[spec.unseen_index]
        counts[spec.unseen_index] = 0
    return counts


def rank_categories(values: Sequence[Any], freq: NDArray[np.int64], value_type: str, max_categories: int) -> CategoricalBins:
    """The bins of :func:`fit_categories` alone."""
    return fit_categories(values, freq, value_type, max_categories)[0]


def count_pooled(values: Sequence[Any], freq: NDArray[np.int64], spec: CategoricalBins) -> tuple[int, ...]:
    """Rows per listed pooled value (``spec.other_values``) from counts per distinct value."""
    if not spec.other_values or not len(values):
        return tuple(0 for _ in spec.other_values)
    where = _lookup_index(list(spec.other_values), spec.value_type).get_indexer(_lookup_keys(values, spec.value_type))
    hit = where >= 0
    per_value = np.bincount(where[hit], weights=np.asarray(freq, dtype=np.float64)[hit], minlength=len(spec.other_values))
    return tuple(int(c) for c in per_value)


def map_values(
    values: Sequence[Any], freq: NDArray[np.int64], n_missing: int, spec: CategoricalBins
) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """Counts per bin from counts per distinct value, and each value's bin.

    Strings and booleans match exactly, numbers numerically (1 == 1.0); a value that is
    neither a kept nor a pooled reference category is "(unseen)" (or "(other)" when the
    reference's pooled categories were too many to list).
    """
    targets = np.full(len(values), spec.unseen_index if spec.other_complete else spec.other_index, dtype=np.intp)
    if len(values):
        text = spec.value_type == "string" and all(type(v) is str for v in values)
        lookup_keys = None if text else _lookup_keys(values, spec.value_type)
        if spec.categories:
            hit = _positions(list(spec.categories), values, lookup_keys, spec.value_type)
            targets = np.where(hit >= 0, hit, targets)
        if spec.other_values:
            pooled = _positions(list(spec.other_values), values, lookup_keys, spec.value_type)
            targets = np.where(pooled >= 0, int(spec.other_index or 0), targets)
    counts = np.bincount(targets, weights=np.asarray(freq, dtype=np.float64), minlength=spec.n_bins).astype(np.int64)
    counts[-1] += n_missing
    return counts, targets


def _positions(targets: list[Any], values: Sequence[Any], lookup_keys: pd.Index | None, value_type: str) -> NDArray[np.intp]:
    """Each value's position among `targets` (-1 if absent), as pandas' ``Index.get_indexer``
    gives it. Python strings (`lookup_keys` None) are looked up in a dict, which compares
    them as that index does, without importing pandas (a Parquet comparison never needs it)."""
    if lookup_keys is None and all(type(t) is str for t in targets):
        where = {t: i for i, t in enumerate(targets)}
        return np.fromiter((where.get(v, -1) for v in values), dtype=np.intp, count=len(values))
    if lookup_keys is None:
        lookup_keys = _lookup_keys(values, value_type)
    return _lookup_index(targets, value_type).get_indexer(lookup_keys)


def _lookup_keys(values: Sequence[Any], value_type: str) -> pd.Index:
    if value_type == "number":
        try:
            keys = np.asarray(pd.to_numeric(np.asarray(values, dtype=object)), dtype=np.float64)
        except (TypeError, ValueError):
            raise ColumnProblem("the reference is numeric but the current values are not", "type_mismatch") from None
        return pd.Index(keys)
    return pd.Index(np.asarray(values, dtype=object), dtype=object)


def count_pooled_series(series: pd.Series, spec: CategoricalBins) -> tuple[int, ...]:
    """Rows of a column per listed pooled value of `spec` (see :func:`count_pooled`)."""
    uniques, freq, _ = _tally(series)
    return count_pooled(list(np.asarray(uniques, dtype=object)), freq, spec)


# ISO 8601 dates and timestamps as text: a date, optionally a time (to the minute at least,
# fractions allowed) after "T" or a space, optionally "Z" or an offset.
_ISO_8601 = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
_ISO_ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
# Values tested first, before the column is hashed (a text column of other values fails there).
ISO_PROBE_ROWS = 64


def iso_datetimes(series: pd.Series) -> pd.Series | None:
    """Text that is entirely ISO 8601 timestamps, as datetimes (UTC when every value has an
    offset or "Z", naive when none has one); None for any other column."""
    if not (pd.api.types.is_string_dtype(series.dtype) or series.dtype == object):
        return None
    # Most text columns fail on their first values: test those before hashing the column.
    head = series.iloc[:ISO_PROBE_ROWS].dropna().astype(object)
    if not all(isinstance(v, str) for v in head) or not head.str.fullmatch(_ISO_8601 + f"(?:{_ISO_ZONE})?").all():
        return None
    # The distinct values in the column's own storage (Arrow strings hash there), then as objects.
    distinct = pd.Series(np.asarray(series.unique(), dtype=object), dtype=object)
    distinct = distinct[distinct.notna()]
    if distinct.empty or not all(isinstance(v, str) for v in distinct):
        return None
    zoned = distinct.str.fullmatch(_ISO_8601 + _ISO_ZONE)
    naive = distinct.str.fullmatch(_ISO_8601)
    if not (zoned.all() or naive.all()):
        return None
    return parse_iso(series, zoned=bool(zoned.all()))


def parse_iso(series: pd.Series, *, zoned: bool) -> pd.Series:
    """ISO 8601 text as datetimes (ValueError when some value is not one)."""
    text = series.astype(object).where(series.notna(), None)
    return pd.to_datetime(text, format="ISO8601", utc=zoned)


def fit_categorical(series: pd.Series, kind: str, max_categories: int) -> Fitted:
    """Top `max_categories` reference values by frequency (ties by value), the rest pooled."""
    value_type = _value_type(kind, series)
    uniques, freq, n_missing = _tally(series)
    values = list(np.asarray(uniques, dtype=object))
    spec, pooled = fit_categories(values, freq, value_type, max_categories)
    counts = reference_counts(values, freq, n_missing, spec)
    identifier = text_identifier(len(values), int(freq.sum())) if value_type == "string" else None
    return Fitted(kind, str(series.dtype), spec, counts, 0, pooled, identifier)


def _lookup_index(values: list[Any], value_type: str) -> pd.Index:
    if value_type == "number":
        return pd.Index(np.asarray(values, dtype=np.float64))
    return pd.Index(values, dtype=object)


def count_categorical(series: pd.Series, spec: CategoricalBins) -> NDArray[np.int64]:
    """Counts of a column into categorical bins, via one hash pass over the column."""
    return count_categorical_with_examples(series, spec)[0]


def list_unseen(
    values: Sequence[Any], freq: NDArray[np.int64], targets: NDArray[np.intp], spec: CategoricalBins
) -> tuple[tuple[tuple[Any, int], ...], bool]:
    """The values that landed in "(unseen)" with their counts, most frequent first, ties by
    value (independent of row order), at most MAX_LISTED_UNSEEN_VALUES; and whether all are listed."""
    unseen = np.flatnonzero(targets == spec.unseen_index)
    listed = sorted(
        ((_json_scalar(values[int(i)], spec.value_type), int(freq[i])) for i in unseen),
        key=lambda item: (-item[1], str(item[0])),
    )
    return tuple(listed[:MAX_LISTED_UNSEEN_VALUES]), len(listed) <= MAX_LISTED_UNSEEN_VALUES


def count_categorical_with_examples(
    series: pd.Series, spec: CategoricalBins
) -> tuple[NDArray[np.int64], tuple[tuple[Any, int], ...], bool]:
    """Counts into categorical bins, and the unseen values with their counts (see list_unseen)."""
    uniques, freq, n_missing = _tally(series)
    values = list(np.asarray(uniques, dtype=object))
    counts, targets = map_values(values, freq, n_missing, spec)
    unseen, complete = list_unseen(values, freq, targets, spec)
    return counts, unseen, complete


_INFERRED_FAMILIES: dict[str, Family] = {
    "string": "string",
    "empty": "null",
    "boolean": "boolean",
    "integer": "integer",
    "floating": "float",
    "mixed-integer-float": "float",
    "decimal": "decimal",
    "date": "date",
}


_NUMPY_FAMILIES: dict[np.dtype[Any], tuple[Family, str]] = {}


def series_family(series: pd.Series) -> tuple[Family, str]:
    """The type-table family of a pandas column, and its dtype as text.

    Object columns (and categoricals of objects) are typed by their values; values of
    mixed types or unhashable values raise ColumnProblem("type_mismatch").
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype in _NUMPY_FAMILIES:
        # A wide frame asks for the same few dtypes thousands of times.
        return _NUMPY_FAMILIES[dtype]
    family = pandas_dtype_family(dtype)
    if family is not None:
        if isinstance(dtype, np.dtype):
            _NUMPY_FAMILIES[dtype] = (family, str(dtype))
        return family, str(dtype)
    values: Any = dtype.categories if isinstance(dtype, pd.CategoricalDtype) else series
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _INFERRED_FAMILIES:
        return _INFERRED_FAMILIES[inferred], str(dtype)
    if inferred in ("datetime64", "datetime"):
        try:
            tz = getattr(pd.to_datetime(pd.Series(values)).dt, "tz", None)
        except (TypeError, ValueError):
            raise ColumnProblem("datetimes with mixed time zones; convert them to one zone", "type_mismatch") from None
        return ("datetime_tz" if tz is not None else "datetime"), str(dtype)
    unhashable = next((v for v in series if isinstance(v, (list, dict, set, np.ndarray))), None)
    if unhashable is not None:
        raise ColumnProblem(f"unhashable values of type {type(unhashable).__name__} (e.g. {unhashable!r:.60})", "type_mismatch")
    raise ColumnProblem(f"mixed value types ({_type_names(series)}); cast the column to one type", "type_mismatch")


def _all_missing(name: str, series: pd.Series, spec: BinSpec) -> ColumnCounts | None:
    """An all-missing column fits any bins: everything lands in "(missing)" (type table rule).

    Looked at only on a mismatch, so well-typed columns pay no extra pass.
    """
    if not series.isna().all():
        return None
    counts = [0] * spec.n_bins
    counts[-1] = len(series)
    return ColumnCounts(name, tuple(counts))


def fit_column(
    series: pd.Series,
    *,
    bins: int,
    strategy: str,
    edges: Any,
    force_categorical: bool,
    max_categories: int,
    discrete_threshold: int,
    reference_range: tuple[Any, Any] | None = None,
    parse_dates: bool = True,
) -> Fitted:
    """Fit bins on one reference column and count it.

    Numeric and datetime bins get the reference range as two extra edges (see
    :func:`~kl_drift._core.bins.with_range`); `reference_range` gives the exact range when
    `series` is only a sample of the column (streamed files). With `parse_dates`, text that
    is entirely ISO 8601 timestamps is binned as datetimes.
    """
    kind = classify(series)
    if force_categorical and kind == "datetime":
        raise ColumnProblem(DATETIME_NOT_CATEGORICAL, "error")
    dtype = str(series.dtype)
    text = False
    if kind == "categorical" and parse_dates and not force_categorical:
        stamps = iso_datetimes(series)
        if stamps is not None:
            series, kind, text = stamps, "datetime", True
    if force_categorical or kind in ("categorical", "boolean"):
        return fit_categorical(series, kind, max_categories)
    if kind == "datetime":
        values, n_missing, tz = datetime_values(series)
        s = np.sort(values)
        fitted_edges = _resolve_edges(edges, bins, strategy, s, integer=True, datetime=True)
        spec: BinSpec = ranged_bins(
            fitted_edges, reference_range or value_range(s), datetime=True, tz=tz,
            strategy=_strategy_name(edges, strategy), text=text,
        )  # fmt: skip
        return Fitted(kind, dtype, spec, count_sorted(s, spec.edges, n_missing), 0)
    x, n_absent = numeric_array(series)
    s, n_missing, n_inf = sorted_values(x)
    n_missing += n_absent
    user_binned = edges is not None
    exact_as_float = x.dtype.kind == "f" or (s.size and max(abs(int(s[0])), abs(int(s[-1]))) <= 2**53)
    if not user_binned and n_inf == 0 and s.size and exact_as_float and at_most_distinct(s, discrete_threshold):
        return fit_categorical(series, "numeric", max_categories)
    fitted_edges = _resolve_edges(edges, bins, strategy, s, integer=x.dtype.kind in "iu", datetime=False)
    spec = ranged_bins(fitted_edges, reference_range or value_range(s), strategy=_strategy_name(edges, strategy))
    identifier = integer_identifier(s)
    return Fitted(kind, str(series.dtype), spec, count_sorted(s, spec.edges, n_missing), n_inf, identifier=identifier)


def ranged_bins(edges: tuple[Any, ...], extent: tuple[Any, Any] | None, **options: Any) -> NumericBins:
    """Numeric bins with the reference's exact (min, max) `extent` as two more edges; a
    column without finite values (`extent` None) has none. Every engine that fits numeric
    or datetime bins builds them here (datetimes: integer nanoseconds). A minimum at the
    floor of its type leaves the bins without a range, as no value can be counted below it."""
    if extent is None or not room_below(extent[0]):
        # No value can lie below a minimum at the floor of its type (the lowest float64,
        # or of int64, whose next integer down is also pandas' NaT): no range edges.
        return NumericBins(edges, **options)
    low, high = extent
    return NumericBins(with_range(edges, low, high), low=low, high=high, **options)


# Identifier-like columns: at least this many non-missing reference values, this share of
# them distinct. A key, a row id or a timestamp held as text has a value per row; a sample
# of them says nothing about the next batch's values, which are all new by design.
IDENTIFIER_MIN_ROWS = 100
IDENTIFIER_DISTINCT_SHARE = 0.95


def text_identifier(n_distinct: int, n_values: int) -> str | None:
    """Why a text column is identifier-like (nearly every value distinct), or None."""
    if n_values < IDENTIFIER_MIN_ROWS or n_distinct < IDENTIFIER_DISTINCT_SHARE * n_values:
        return None
    return f"identifier-like: {n_distinct:,} distinct values in {n_values:,} rows"


def integer_identifier(
    s: NDArray[Any], *, extent: tuple[Any, Any] | None = None, n_values: int | None = None
) -> str | None:
    """Why sorted integers are identifier-like, or None: all distinct, and either a run of
    consecutive-ish numbers (row ids, sequences) or beyond 2**53 (hashes, 64-bit keys).

    For a sample of the column (streamed files), `extent` and `n_values` are the whole
    column's range and non-missing count; distinctness is then judged on the sample.
    """
    n = s.size if n_values is None else n_values
    if s.dtype.kind not in "iu" or s.size == 0 or n < IDENTIFIER_MIN_ROWS or bool(np.any(s[1:] == s[:-1])):
        return None
    low, high = (int(s[0]), int(s[-1])) if extent is None else (int(extent[0]), int(extent[1]))
    return distinct_integers_identifier(n, low, high)


def distinct_integers_identifier(n: int, low: int, high: int) -> str | None:
    """Why `n` distinct integers from `low` to `high` are identifier-like, or None: a run of
    consecutive-ish numbers (row ids, sequences) or numbers beyond 2**53 (hashes, 64-bit
    keys). Engines that know the values are distinct (pandas, Spark) decide here."""
    span = high - low + 1
    if span <= 2 * n:
        return f"identifier-like: {n:,} distinct integers filling {span:,} consecutive values"
    if max(abs(low), abs(high)) > 2**53:
        return f"identifier-like: {n:,} distinct integers beyond 2**53"
    return None


def _strategy_name(edges: Any, strategy: str) -> str:
    return "fixed" if edges is not None else strategy


def _resolve_edges(
    edges: Any, bins: int, strategy: str, s: NDArray[Any], *, integer: bool, datetime: bool
) -> tuple[Any, ...]:
    if edges is None:
        return fit_numeric(s, bins=bins, strategy=strategy, integer=integer)
    if datetime:
        try:
            stamps = pd.to_datetime(pd.Series(list(edges), dtype=object), format="ISO8601", utc=True)
        except (TypeError, ValueError) as exc:
            reason = str(exc).splitlines()[0]
            raise ColumnProblem(f"`edges` must be ISO 8601 datetimes, got {list(edges)!r} ({reason})", "error") from None
        values, n_missing, _ = datetime_values(stamps)
        if n_missing:
            raise ColumnProblem(f"`edges` must be datetimes, got {list(edges)!r}", "error")
        if any(b <= a for a, b in zip(values, values[1:])):
            raise ColumnProblem(f"`edges` must be strictly increasing, got {list(edges)!r}", "error")
        return tuple(int(v) for v in values)
    try:
        numbers = [float(e) for e in edges]
    except (TypeError, ValueError):
        # e.g. datetimes or text given for a numeric column: a user error, not a traceback.
        raise ColumnProblem(f"`edges` of a numeric column must be numbers, got {list(edges)!r}", "error") from None
    if any(not math.isfinite(v) for v in numbers):
        raise ColumnProblem(f"`edges` must be finite numbers, got {list(edges)!r}", "error")
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise ColumnProblem(f"`edges` must be strictly increasing, got {list(edges)!r}", "error")
    return tuple(numbers)


def count_column(series: pd.Series, spec: BinSpec, name: str | None = None) -> ColumnCounts:
    """Count one pandas column into reference bins; a column that does not fit comes back
    with ``problem="type_mismatch"`` and a reason naming the column and both types."""
    name = str(series.name) if name is None else name
    if isinstance(spec, NumericBins) and spec.text and not pd.api.types.is_datetime64_any_dtype(series.dtype):
        # The reference held ISO 8601 text: so may the current.
        try:
            series = parse_iso(series, zoned=spec.tz is not None)
        except (TypeError, ValueError):
            if not series.isna().all():
                present = series.dropna().astype(str)
                pattern = _ISO_8601 + (_ISO_ZONE if spec.tz is not None else "")
                example = present[~present.str.fullmatch(pattern)].head(1).tolist() or present.head(1).tolist()
                reason = f"the reference holds ISO 8601 timestamps but the current values are not (e.g. {example[0]!r})"
                return ColumnCounts.failed(name, "type_mismatch", f"column {name!r}: {reason}")
    try:
        family, type_name = series_family(series)
    except ColumnProblem as problem:
        return _all_missing(name, series, spec) or ColumnCounts.failed(name, "type_mismatch", f"column {name!r}: {problem.reason}")
    reason = mismatch(spec, family, type_name)
    if reason is not None:
        return _all_missing(name, series, spec) or ColumnCounts.failed(name, "type_mismatch", f"column {name!r}: {reason}")
    try:
        if isinstance(spec, CategoricalBins):
            counts, unseen, complete = count_categorical_with_examples(series, spec)
            return ColumnCounts(name, _ints(counts), 0, unseen, complete)
        if spec.datetime:
            values, n_missing, _ = datetime_values(series)
            counts, _ = count_numeric(values, spec.edges)
            counts[-1] += n_missing
            return ColumnCounts(name, _ints(counts))
        x, n_absent = numeric_array(series)
    except ColumnProblem as problem:
        return ColumnCounts.failed(name, "type_mismatch" if problem.status == "type_mismatch" else "skipped", f"column {name!r}: {problem.reason}")
    except (TypeError, ValueError) as exc:
        return ColumnCounts.failed(name, "type_mismatch", f"column {name!r}: values are not numeric ({exc})")
    counts, n_inf = count_numeric(x, spec.edges)
    counts[-1] += n_absent
    return ColumnCounts(name, _ints(counts), int(n_inf))


def _ints(counts: NDArray[np.int64]) -> tuple[int, ...]:
    return tuple(counts.tolist())


def count(
    profile: ReferenceProfile,
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    parallel: bool = True,
    pair_groups: dict[str, tuple[int, ...]] | None = None,
    pair_codes: dict[str, NDArray[np.uint8]] | None = None,
) -> CountTable:
    """Count a DataFrame into a profile's bins: the pandas engine's count function.

    Columns of the profile that were not profiled (no bins) are left out; columns absent
    from `frame` come back with ``problem="missing_column"``. A column named in
    `pair_groups` (its bin-to-group map in a pair) also gets each row's group, stored in
    `pair_codes` where the same pass gives it (see `kl_drift._engines.pandas_groups`).
    """
    names = set(frame.columns)
    wanted = [profile[c] for c in dict.fromkeys(columns)] if columns is not None else list(profile.columns)
    targets = [c for c in wanted if c.bins is not None]

    def one(col: ColumnProfile) -> ColumnCounts:
        assert col.bins is not None
        if col.name not in names:
            return ColumnCounts.failed(col.name, "missing_column", "in the reference profile but not in the current data")
        if pair_groups and col.name in pair_groups and pair_codes is not None:
            from .pandas_groups import count_column_grouped

            counted, codes = count_column_grouped(frame[col.name], col.bins, col.name, pair_groups[col.name])
            if codes is not None:
                pair_codes[col.name] = codes
            return counted
        return count_column(frame[col.name], col.bins, col.name)

    numeric = sum(isinstance(c.bins, NumericBins) for c in targets)
    kernels.prepare(len(frame) * numeric, numeric)
    big = len(frame) * len(targets) >= PARALLEL_MIN_VALUES and len(frame) >= PARALLEL_MIN_COLUMN_ROWS
    if parallel and big and len(targets) > 1:
        with ThreadPoolExecutor(max_workers=min(len(targets), os.cpu_count() or 1)) as pool:
            counted = list(pool.map(one, targets))
    else:
        counted = [one(c) for c in targets]
    return CountTable.of(len(frame), counted, (str(c) for c in frame.columns), "pandas")
