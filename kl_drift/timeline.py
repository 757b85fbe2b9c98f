"""Drift over time: one table cut into periods, each period compared as `kl_drift.compare` would.

Rows are put into periods (by a time column and a pandas frequency, or by a fixed number of
rows), the frame is grouped by period once, and each period is counted by the pandas engine
into the reference's bins (`CountTable`). Counts add, so a reference of the first N periods
or a rolling window of previous periods is a sum of period counts; each period is then
scored by the same code as `compare` (`score_table`). There is no timeline-only maths.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._core.bins import CategoricalBins, NumericBins
from ._core.novelty import PooledValues
from ._engines import pandas as pandas_engine
from ._engines.grouped import count_groups
from ._io import atomic_write_text
from ._options import CompareOptions
from ._scoring import score_tables
from .counts import CountTable, merge_unseen
from .errors import ColumnError, EmptyDataError, KlDriftWarning
from .profile import ReferenceProfile, _check_frame, profile
from .report import DriftReport, json_safe

__all__ = ["compare_over_time", "compare_over_time_dataset", "Timeline", "Period", "PERIOD_STATUSES", "DEFAULT_MIN_ROWS"]

# A period with fewer rows than this is shown as "small_sample", not scored: a handful of rows
# says little about a distribution, and a long timeline of tiny periods would mostly be noise.
DEFAULT_MIN_ROWS = 30

PeriodStatus = Literal["scored", "reference", "small_sample", "empty", "no_reference"]
PERIOD_STATUSES: tuple[str, ...] = ("scored", "reference", "small_sample", "empty", "no_reference")

_FRAME_COLUMNS = (
    "column", "kind", "status", "drifted", "statistic", "threshold", "warn_threshold", "pvalue", "pvalue_adjusted",
    "expected_statistic", "n_reference", "n_current", "missing_current", "novel_fraction",
)  # fmt: skip


class UnassignedRowsWarning(KlDriftWarning):
    """Rows whose time is missing belong to no period and are left out of the timeline."""


@dataclass(frozen=True)
class Period:
    """One period of a timeline.

    Attributes
    ----------
    label : str
        How the period is named in reports and looked up with ``timeline[label]``: its start
        (a date for daily or longer periods), or ``"start:stop"`` rows for row chunks.
    start, end : pandas.Timestamp or None
        The period's half-open time span [start, end) (None for row chunks).
    n_rows : int
        Rows in the period.
    status : {"scored", "reference", "small_sample", "empty", "no_reference"}
        "scored" periods have a `report`; "reference" ones are part of the reference; a
        "small_sample" period has fewer rows than ``min_rows``; an "empty" one is a gap; a
        "no_reference" one has no rows in its rolling window.
    report : DriftReport or None
        The comparison of the period with its reference, exactly as `kl_drift.compare`
        makes it.
    """

    label: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    n_rows: int
    status: str
    report: DriftReport | None = None

    @property
    def drifted(self) -> bool:
        """Whether the period was scored and drifted (the dataset decision of its report)."""
        return self.report is not None and self.report.drifted


@dataclass(frozen=True)
class Timeline:
    """Per-period drift reports of one table, in time order.

    Attributes
    ----------
    periods : tuple of Period
        Every period from the first to the last, gaps included.
    columns : tuple of str
        The compared columns.
    time_column : str or None
        The column periods were cut from (None for row chunks).
    freq : str or None
        The pandas frequency alias (None for row chunks).
    rows : int or None
        Rows per chunk when periods are row chunks.
    reference : str
        "profile" (a given profile or frame), "first" (the first `reference_periods`
        periods) or "previous" (a rolling window of `window` periods).
    reference_periods, window : int or None
        Sizes of the reference in periods.
    min_rows : int
        Fewest rows a period needs to be scored.
    n_unassigned : int
        Rows without a time (missing), in no period.
    direction, base, alpha, correction, threshold_mode : as in `DriftReport`
        The comparison settings every period shares.

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.date_range("2024-01-01", periods=4000, freq="h")
    >>> x = rng.normal(size=4000) + (t >= "2024-04-01")
    >>> tl = kd.compare_over_time(pd.DataFrame({"t": t, "x": x}), time_column="t", freq="MS")
    >>> [p.label for p in tl.periods], tl.drifted_periods
    (['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01', '2024-06-01'], ['2024-04-01', '2024-05-01', '2024-06-01'])
    >>> tl["2024-04-01"]["x"].status
    'drift'
    """

    periods: tuple[Period, ...]
    columns: tuple[str, ...]
    time_column: str | None
    freq: str | None
    rows: int | None
    reference: str
    reference_periods: int | None
    window: int | None
    min_rows: int
    n_unassigned: int
    direction: str
    base: float
    alpha: float
    correction: str
    threshold_mode: str

    def __len__(self) -> int:
        return len(self.periods)

    def __iter__(self) -> Iterator[Period]:
        return iter(self.periods)

    def __repr__(self) -> str:
        scored = sum(p.status == "scored" for p in self.periods)
        return (
            f"Timeline({len(self.periods)} periods, {scored} scored, {len(self.drifted_periods)} drifted, "
            f"columns={list(self.columns)}, reference={self.reference!r})"
        )

    @property
    def drifted_periods(self) -> list[str]:
        """Labels of the periods with any drift (their report's decision), in time order."""
        return [p.label for p in self.periods if p.drifted]

    @property
    def first_drift(self) -> dict[str, str | None]:
        """Each column's first drifted period (None if it never drifted)."""
        first: dict[str, str | None] = dict.fromkeys(self.columns)
        for p in self.periods:
            if p.report is None:
                continue
            for c in p.report:
                if c.column in first and first[c.column] is None and c.drifted:
                    first[c.column] = p.label
        return first

    def period(self, key: Any) -> Period:
        """The period named by a label, a position, or a time within it.

        Raises
        ------
        KeyError
            Naming the key and the first and last labels.
        """
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self.periods[int(key)]
        for p in self.periods:
            if isinstance(key, str) and key == p.label:
                return p
        if self.rows is None and isinstance(key, (str, date, datetime, pd.Timestamp)):
            try:
                moment = pd.Timestamp(key)
            except (ValueError, TypeError):
                moment = None
            if moment is not None:
                for p in self.periods:
                    assert p.start is not None and p.end is not None
                    start, end = p.start, p.end
                    if (moment.tzinfo is None) != (start.tzinfo is None):
                        moment = moment.tz_localize(start.tzinfo) if moment.tzinfo is None else moment.tz_convert(start.tzinfo)
                    if start <= moment < end:
                        return p
        span = f"{self.periods[0].label!r} to {self.periods[-1].label!r}" if self.periods else "none"
        raise KeyError(f"no period {key!r} in the timeline; periods run from {span}")

    def __getitem__(self, key: Any) -> DriftReport:
        """The DriftReport of one period (by label, position or a time within it)."""
        p = self.period(key)
        if p.report is None:
            why = {
                "reference": "is part of the reference",
                "small_sample": f"has {p.n_rows} rows, fewer than min_rows={self.min_rows}",
                "empty": "has no rows",
                "no_reference": "has no rows in its rolling reference window",
            }[p.status]
            raise KeyError(f"period {p.label!r} was not scored: it {why}")
        return p.report

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per (period, column), with the columns of `DriftReport.to_frame`.

        Unscored periods have a row per column too, with the period's status
        ("reference", "small_sample", "empty", "no_reference") and no score.
        """
        records: list[dict[str, Any]] = []
        for p in self.periods:
            by_column = {c.column: c for c in p.report} if p.report is not None else {}
            for name in self.columns:
                c = by_column.get(name)
                row: dict[str, Any] = {"period": p.label, "start": p.start, "n_rows": p.n_rows}
                if c is None:
                    row.update({k: None for k in _FRAME_COLUMNS}, column=name, status=p.status, drifted=False,
                               n_current=p.n_rows)  # fmt: skip
                else:
                    row.update({k: getattr(c, k) for k in _FRAME_COLUMNS})
                records.append(row)
        frame = pd.DataFrame.from_records(records, columns=["period", "start", "n_rows", *_FRAME_COLUMNS])
        for name in ("statistic", "threshold", "warn_threshold", "pvalue", "pvalue_adjusted", "expected_statistic",
                     "missing_current", "novel_fraction"):  # fmt: skip
            frame[name] = frame[name].astype("float64")
        frame["drifted"] = frame["drifted"].astype(bool)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form, strict-JSON safe: the settings and each period with its report."""
        return json_safe(
            {
                "time_column": self.time_column,
                "freq": self.freq,
                "rows": self.rows,
                "reference": self.reference,
                "reference_periods": self.reference_periods,
                "window": self.window,
                "min_rows": self.min_rows,
                "n_unassigned": self.n_unassigned,
                "columns": list(self.columns),
                "direction": self.direction,
                "unit": "nats" if self.base == math.e else "bits",
                "alpha": self.alpha,
                "correction": self.correction,
                "threshold_mode": self.threshold_mode,
                "drifted_periods": self.drifted_periods,
                "first_drift": self.first_drift,
                "periods": [
                    {
                        "label": p.label,
                        "start": None if p.start is None else p.start.isoformat(),
                        "end": None if p.end is None else p.end.isoformat(),
                        "n_rows": p.n_rows,
                        "status": p.status,
                        "drifted": p.drifted,
                        "report": None if p.report is None else p.report.to_dict(),
                    }
                    for p in self.periods
                ],
            }
        )

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 2) -> str:
        """Strict JSON text; written atomically to `path` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)
        if path is not None:
            atomic_write_text(path, text + "\n")
        return text

    def to_markdown(self, path: str | os.PathLike[str] | None = None) -> str:
        """A Markdown table (periods × columns, the score with a mark where drifted)."""
        from .reporting.timeline import render_timeline_markdown

        text = render_timeline_markdown(self)
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str = "kl_drift timeline") -> str:
        """A self-contained, offline HTML page: heatmap of columns × periods, one trend chart per
        column against its threshold, and each column's first drifted period."""
        from .reporting.timeline import render_timeline_html

        text = render_timeline_html(self, title=title)
        if path is not None:
            atomic_write_text(path, text)
        return text


# --- cutting rows into periods -------------------------------------------------------------


def _times(frame: pd.DataFrame, time_column: str) -> pd.Series:
    """The time column as datetimes (naive or tz-aware), or ColumnError naming it."""
    if time_column not in frame.columns:
        raise ColumnError(time_column, f"is the `time_column` but not a column of the data; columns: {list(frame.columns)[:20]}")
    series = frame[time_column]
    if isinstance(series, pd.DataFrame):
        raise ColumnError(time_column, "appears more than once in the data")
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series.dtype):
        return series
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        parsed = pandas_engine.iso_datetimes(series)
        if parsed is not None:
            return parsed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pd.to_datetime(series, format="ISO8601", utc=_any_offset(series))
        except (ValueError, TypeError) as error:
            bad = _first_unparseable(series)
            raise ColumnError(time_column, f"cannot be read as times: {bad!r} is not an ISO 8601 timestamp") from error
    raise ColumnError(time_column, f"must hold datetimes or ISO 8601 text to cut periods from, not {series.dtype}")


def _any_offset(series: pd.Series) -> bool:
    text = series.dropna().astype(str)
    return bool(text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).any())


def _first_unparseable(series: pd.Series) -> Any:
    for value in series.dropna():
        try:
            pd.Timestamp(value)
        except (ValueError, TypeError):
            return value
    return series.dropna().iloc[0] if series.notna().any() else None


@dataclass(frozen=True)
class _Cut:
    codes: np.ndarray  # period number per row, -1 for rows in no period
    labels: list[str]
    starts: list[pd.Timestamp | None]
    ends: list[pd.Timestamp | None]
    n_unassigned: int = 0  # rows in no period (without a time)


def _period_offset(freq: str) -> Any:
    """`freq` as a pandas offset, or ValueError naming `freq`."""
    from pandas.tseries.frequencies import to_offset
    from pandas.tseries.offsets import MonthBegin, QuarterBegin, QuarterEnd, YearBegin, YearEnd

    if not isinstance(freq, str) or not freq:
        raise ValueError(f"`freq` must be a pandas frequency alias such as 'D', 'W', 'MS' or '15min', got {freq!r}")
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError) as error:
        raise ValueError(f"`freq` {freq!r} is not a pandas frequency alias ('h', 'D', 'W', 'MS', 'QS', 'YS', '15min', ...)") from error
    # Periods of a month, quarter or year are the same whether the offset names their first
    # or last day; pandas' periods know only the end-anchored forms.
    if isinstance(offset, MonthBegin):
        return to_offset(f"{offset.n}ME")
    if isinstance(offset, QuarterBegin):
        return QuarterEnd(n=offset.n, startingMonth=(offset.startingMonth - 2) % 12 + 1)
    if isinstance(offset, YearBegin):
        return YearEnd(n=offset.n, month=(offset.month - 2) % 12 + 1)
    return offset


_DAY_NS = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min


def _absolute_codes(times: pd.Series, freq: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """Each row's period as an absolute number (the same in every chunk of a stream), whether
    it has a time, and the column's time zone."""
    from pandas.tseries.offsets import Day, Tick

    offset = _period_offset(freq)
    tz = getattr(times.dtype, "tz", None)
    # Periods follow the column's own calendar: local days of a tz-aware column, not UTC ones.
    local = times.dt.tz_localize(None) if tz is not None else times
    # Periods of a fixed length (pandas 3's Day is no Tick, but a day of wall-clock time is
    # 86,400 s: its period ordinal is floor(ns / day)) are numbered by one integer division.
    step = int(offset.nanos) if isinstance(offset, Tick) else _DAY_NS * int(offset.n) if isinstance(offset, Day) else None
    if step is not None:
        ns = local.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT")).view(np.int64)
        valid = ns != _NAT
        codes = np.floor_divide(ns, step)
        if not valid.all():
            codes[~valid] = 0
        return codes, valid, tz
    valid = local.notna().to_numpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            periods = local.dt.to_period(offset.base)
    except (ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"`freq` {freq!r} cannot cut periods: {error}") from None
    return np.where(valid, np.floor_divide(periods.array.asi8, int(offset.n)), 0), valid, tz


def _spans(first: int, last: int, freq: str, tz: Any) -> tuple[list[str], list[pd.Timestamp], list[pd.Timestamp]]:
    """Labels, starts and ends of the absolute periods first..last."""
    from pandas.tseries.offsets import Tick

    offset = _period_offset(freq)
    if isinstance(offset, Tick):
        step = int(offset.nanos)
        bounds = [pd.Timestamp(code * step) for code in range(first, last + 2)]
    else:
        base = pd.Period(ordinal=0, freq=offset.base).freq
        n = int(offset.n)
        bounds = [pd.Period(ordinal=code * n, freq=base).start_time for code in range(first, last + 2)]
    if tz is not None:
        bounds = [b.tz_localize(tz, ambiguous=True, nonexistent="shift_forward") for b in bounds]
    starts, ends = bounds[:-1], bounds[1:]
    whole_days = all(s.hour == s.minute == s.second == s.microsecond == s.nanosecond == 0 for s in starts)
    labels = [s.strftime("%Y-%m-%d") if whole_days else s.isoformat() for s in starts]
    return labels, starts, ends


def _cut_by_time(times: pd.Series, freq: str) -> _Cut:
    raw, valid, tz = _absolute_codes(times, freq)
    if not valid.any():
        raise ColumnError(str(times.name), "has no times: every value is missing")
    everyone = bool(valid.all())
    present = raw if everyone else raw[valid]
    first, last = int(present.min()), int(present.max())
    # `raw` is this call's own array (a floor division's or np.where's result): shifted in
    # place, not copied (80 MB of fresh pages per 10M rows cost more than the subtraction).
    codes = raw.astype(np.int64, copy=False)
    codes -= first
    if not everyone:
        codes[~valid] = -1
    labels, starts, ends = _spans(first, last, freq, tz)
    return _Cut(codes, labels, starts, ends, len(codes) - len(present))  # type: ignore[arg-type]


def _cut_by_rows(n_rows: int, rows: int) -> _Cut:
    codes = np.arange(n_rows, dtype=np.int64) // rows
    n = int(codes[-1]) + 1 if n_rows else 0
    labels = [f"{k * rows}:{min((k + 1) * rows, n_rows)}" for k in range(n)]
    return _Cut(codes, labels, [None] * n, [None] * n)


# --- the comparison ------------------------------------------------------------------------


def _period_status(k: int, n_rows: int, min_rows: int, n_reference: int | None) -> str:
    """A period's status before scoring: empty, part of the reference, too small, or to score."""
    if n_rows == 0:
        return "empty"
    if n_reference is not None and k < n_reference:
        return "reference"
    if n_rows < min_rows:
        return "small_sample"
    return "scored"


def _score_periods(
    prof: ReferenceProfile,
    tables: Sequence[CountTable],
    counted: Sequence[ReferenceProfile | None] | None,
    n_reference: int | None,
    min_rows: int,
    opts: CompareOptions,
    compared: Sequence[str],
) -> list[tuple[str, DriftReport | None]]:
    """Each period's status and report. With a rolling reference (`counted` holds each
    period's counts as a profile; None otherwise) a period is compared with the sum of the `n_reference`
    periods before it; otherwise with `prof`, the first `n_reference` periods (if any)
    being the reference."""
    statuses: list[str] = []
    jobs: list[tuple[ReferenceProfile, CountTable]] = []
    windows = _Windows(counted) if counted is not None else None
    for k, table in enumerate(tables):
        status = _period_status(k, table.n_rows, min_rows, n_reference)
        if status == "scored" and windows is not None:
            assert n_reference is not None
            ref_k = windows.sum(max(k - n_reference, 0), k)
            if ref_k is None:
                status = "no_reference"
            else:
                jobs.append((ref_k, table))
        elif status == "scored":
            jobs.append((prof, table))
        statuses.append(status)
    reports = iter(score_tables(jobs, opts, columns=compared))
    return [(status, next(reports) if status == "scored" else None) for status in statuses]


class _Windows:
    """Sums of consecutive period profiles (a rolling reference): what merging them one by one
    (`ReferenceProfile.merge`) gives, with the counts, ±inf and pooled value counts of a window
    taken as the difference of two running sums (integers: exact) instead of W - 1 merges of
    every column (a pooled list holds up to 10,000 values). Unseen value lists are merged in
    window order, as `merge` does, where a period has any."""

    def __init__(self, counted: Sequence[ReferenceProfile | None]) -> None:
        self.counted = counted
        present = [c for c in counted if c is not None]
        self.columns = present[0].columns if present else ()
        n = len(counted)

        def running(values: Any, width: int) -> NDArray[np.int64]:
            table = np.zeros((n + 1, width), dtype=np.int64)
            for k, row in values:
                table[k + 1] = row
            return np.cumsum(table, axis=0)

        self.rows = np.cumsum([0, *(c.n_rows if c is not None else 0 for c in counted)])
        self.counts, self.infs, self.pooled = [], [], []
        for i, col in enumerate(self.columns):
            parts = [(k, c.columns[i]) for k, c in enumerate(counted) if c is not None]
            self.counts.append(running(((k, p.counts) for k, p in parts), len(col.counts)))
            self.infs.append(running(((k, (p.n_inf,)) for k, p in parts), 1))
            pooled = col.pooled is not None and all(p.pooled is not None for _, p in parts)
            self.pooled.append(
                running(((k, p.pooled.other_counts) for k, p in parts), len(col.pooled.other_counts))  # type: ignore[union-attr]
                if pooled
                else None
            )

    def sum(self, start: int, stop: int) -> ReferenceProfile | None:
        """The merge of the period profiles start..stop-1 (None where every one is empty)."""
        parts = [c for c in self.counted[start:stop] if c is not None]
        if len(parts) <= 1:
            return parts[0] if parts else None
        columns = []
        for i, col in enumerate(parts[0].columns):
            unseen, complete = col.unseen, col.unseen_complete
            for part in parts[1:]:
                theirs = part.columns[i]
                if unseen or theirs.unseen or not (complete and theirs.unseen_complete):
                    unseen, complete = merge_unseen(unseen, complete, theirs.unseen, theirs.unseen_complete)
            window = self.pooled[i]
            columns.append(
                replace(
                    col, counts=tuple((self.counts[i][stop] - self.counts[i][start]).tolist()),
                    n_inf=int(self.infs[i][stop, 0] - self.infs[i][start, 0]), unseen=unseen, unseen_complete=complete,
                    pooled=None if window is None else PooledValues(tuple((window[stop] - window[start]).tolist())),
                )
            )  # fmt: skip
        return ReferenceProfile(tuple(columns), int(self.rows[stop] - self.rows[start]), settings=parts[0].settings)


def _counted_profile(prof: ReferenceProfile, table: CountTable, pooled: Mapping[str, tuple[int, ...]]) -> ReferenceProfile:
    """``prof.count(rows)`` from the rows' counts: a profile of one period, which merges with
    the others of a rolling window."""
    columns = []
    for col in prof.columns:
        if col.bins is None:
            columns.append(col)
            continue
        counted = table[col.name]
        if counted.problem is not None:
            raise ColumnError(col.name, (counted.reason or counted.problem).removeprefix(f"column {col.name!r}: "))
        categorical = isinstance(col.bins, CategoricalBins)
        columns.append(
            replace(
                col, counts=counted.counts, n_inf=counted.n_inf, unseen=counted.unseen,
                unseen_complete=counted.unseen_complete or not categorical,
                pooled=PooledValues(pooled[col.name]) if categorical and col.pooled is not None else None,
            )
        )  # fmt: skip
    return ReferenceProfile(tuple(columns), table.n_rows, settings=prof.settings)


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return int(value)


def compare_over_time(
    data: pd.DataFrame,
    *,
    time_column: str | None = None,
    freq: str | None = None,
    rows: int | None = None,
    reference: ReferenceProfile | pd.DataFrame | Literal["first", "previous"] | None = None,
    reference_periods: int = 1,
    window: int | None = None,
    min_rows: int = DEFAULT_MIN_ROWS,
    columns: Sequence[str] | None = None,
    threshold: float | Literal["auto"] | None = "auto",
    warn_threshold: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    warn_thresholds: Mapping[str, float] | None = None,
    smoothing: float = 0.5,
    direction: str = "current||reference",
    base: float = math.e,
    drift_share: float | None = None,
    alpha: float = 0.05,
    min_effect: float | None = None,
    correction: str = "holm",
    pvalue_method: str = "auto",
    n_permutations: int | None = None,
    random_state: int | None = 0,
    score_identifiers: bool = False,
    **profile_options: Any,
) -> Timeline:
    """Compare each period of a table with a reference: drift over time in one call.

    Rows are cut into periods by `time_column` and `freq` (or into chunks of `rows` rows),
    the frame is grouped by period once and each period is counted into the reference's
    bins by the pandas engine. Each period is then scored exactly as `compare` scores a
    frame against the same reference: the same default decision, thresholds and correction
    across columns (within the period; see Notes).

    Parameters
    ----------
    data : pandas.DataFrame
        The whole table.
    time_column : str, optional
        A column of datetimes (naive or tz-aware) or ISO 8601 text. Periods of a tz-aware
        column follow its own time zone's calendar. Not compared itself.
    freq : str, optional
        A pandas frequency alias: "h", "D", "W", "W-MON", "MS"/"ME", "QS", "YS", "15min",
        "2W"... Required with `time_column`.
    rows : int, optional
        Instead of a time column: periods of this many consecutive rows.
    reference : ReferenceProfile, DataFrame, "first" or "previous", optional
        What each period is compared with. A profile (or a frame to profile) is fixed.
        "first" (the default) is the first `reference_periods` periods: bins and counts are
        fitted on their rows, and those periods are marked "reference". "previous" is a
        rolling window of the `window` periods before each one: bins are fitted on the
        whole table (a window's values may lie far from the first window's), and each
        period's reference counts are the sum of the counts of the periods in its window
        (counts add); the first `window` periods are the first reference.
    reference_periods : int, default 1
        Periods in the "first" reference.
    window : int, optional
        Periods in the rolling window (required with ``reference="previous"``).
    min_rows : int, default 30
        Periods with fewer rows are reported as "small_sample", not scored.
    columns : sequence of str, optional
        Columns to compare (default: every column but `time_column`).
    threshold, warn_threshold, thresholds, warn_thresholds, smoothing, direction, base, drift_share, alpha, min_effect, correction, pvalue_method, n_permutations, random_state, score_identifiers
        As in `compare`, applied to every period.
    **profile_options
        Binning options of `profile` (``bins``, ``edges``, ...) when the reference is fitted
        here.

    Returns
    -------
    Timeline

    Raises
    ------
    ColumnError
        If `time_column` is missing, holds no times or text that is not ISO 8601.
    ValueError
        For an unknown `freq`, a missing or conflicting way of cutting periods, a window
        longer than the data, or any invalid comparison option (named).
    EmptyDataError
        If the data or the reference has no rows.

    See Also
    --------
    compare_over_time_dataset : the same for Parquet files larger than memory, streamed.
    compare : one batch against a reference.

    Notes
    -----
    Each period is a separate test. With the default decision an undrifted period raises
    an alarm with probability about `alpha` (Holm's correction holds that across the
    columns of one period, not across periods), so a timeline of 365 undrifted days shows
    about ``365 * alpha`` drifted days. Read a long timeline for runs of drifted periods
    and for each column's first drifted period, or lower `alpha` (e.g. ``alpha / n_periods``
    for a Bonferroni bound on the whole timeline).

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": np.r_[rng.normal(size=3000), rng.normal(1, 1, size=1000)]})
    >>> tl = kd.compare_over_time(df, rows=1000)
    >>> [p.status for p in tl.periods], tl.drifted_periods
    (['reference', 'scored', 'scored', 'scored'], ['3000:4000'])
    """
    frame = _check_frame(data, "data")
    if len(frame) == 0:
        raise EmptyDataError("the data has no rows")
    opts = CompareOptions.resolve(
        threshold=threshold, warn_threshold=warn_threshold, thresholds=thresholds, warn_thresholds=warn_thresholds,
        smoothing=smoothing, direction=direction, base=base, drift_share=drift_share, alpha=alpha,
        min_effect=min_effect, correction=correction, pvalue_method=pvalue_method, n_permutations=n_permutations,
        random_state=random_state, score_identifiers=score_identifiers,
    )  # fmt: skip
    min_rows = _check_count("min_rows", min_rows)
    if (time_column is None) == (rows is None):
        raise ValueError("give either `time_column` (with `freq`) or `rows` to cut the data into periods")
    if time_column is not None:
        if freq is None:
            raise ValueError(f"`freq` is required with `time_column` {time_column!r}: a pandas frequency alias such as 'D' or 'W'")
        cut = _cut_by_time(_times(frame, time_column), freq)
    else:
        if freq is not None:
            raise ValueError("`freq` applies to `time_column`, not to `rows`")
        cut = _cut_by_rows(len(frame), _check_count("rows", rows))
    n_periods = len(cut.labels)

    if columns is not None:
        compared = [str(c) for c in columns]
        if time_column is not None and time_column in compared:
            raise ColumnError(time_column, "is the `time_column`; it cannot also be compared")
    elif isinstance(reference, ReferenceProfile):
        compared = [c for c in reference.names if c != time_column]
    else:
        compared = [str(c) for c in frame.columns if c != time_column]
    if not compared:
        raise EmptyDataError("there are no columns to compare besides the time column")

    # A period's size is its table's n_rows: no pass over the codes to size the periods.
    n_unassigned = cut.n_unassigned

    def rows_before(stop: int) -> pd.DataFrame:
        """The rows of periods 0..stop-1, period by period, in row order within a period."""
        positions = np.flatnonzero((cut.codes >= 0) & (cut.codes < stop))
        codes = cut.codes[positions]
        if codes.size and bool(np.any(codes[1:] < codes[:-1])):
            positions = positions[np.argsort(codes, kind="stable")]
        return frame.take(positions)

    if n_unassigned:
        warnings.warn(
            f"{n_unassigned} rows have no time in column {time_column!r} and belong to no period",
            UnassignedRowsWarning, stacklevel=2,
        )  # fmt: skip

    mode: str
    window_size: int | None = None
    n_first: int | None = None
    if isinstance(reference, (ReferenceProfile, pd.DataFrame, pd.Series)):
        mode = "profile"
        if reference_periods != 1 or window is not None:
            raise ValueError("`reference_periods` and `window` apply to reference='first' or 'previous', not to a given reference")
        if isinstance(reference, ReferenceProfile):
            if profile_options:
                raise TypeError(f"binning options {sorted(profile_options)} apply only when the reference is fitted here")
            unknown = [c for c in compared if c not in reference]
            if unknown:
                raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
            prof = reference
        else:
            ref_frame = _check_frame(reference, "reference")
            if len(ref_frame) == 0:
                raise EmptyDataError("the reference data has no rows")
            prof = profile(ref_frame, columns=compared, **profile_options)
    elif reference is None or reference == "first":
        mode = "first"
        if window is not None:
            raise ValueError("`window` applies to reference='previous'")
        n_first = _check_count("reference_periods", reference_periods)
        if n_first >= n_periods:
            raise ValueError(
                f"`reference_periods` ({n_first}) leaves no period to compare: the data has {n_periods} period(s)"
            )
        ref_rows = rows_before(n_first)
        if len(ref_rows) == 0:
            raise EmptyDataError(f"the reference periods (the first {n_first}) have no rows")
        prof = profile(ref_rows, columns=compared, **profile_options)
    elif reference == "previous":
        mode = "previous"
        if window is None:
            raise ValueError("`window` is required with reference='previous': the number of previous periods to compare with")
        window_size = _check_count("window", window)
        if window_size >= n_periods:
            raise ValueError(f"`window` ({window_size} periods) is not shorter than the data ({n_periods} periods)")
        # Bins from the whole table: the reference moves, and bins fitted on the first window
        # alone would pool a later window's values in a tail bin and hide their changes. The
        # rows without a time are in the fit too, as on Parquet streams and Spark, which fit
        # on the whole data without cutting it (bins depend on the rows, not on their order).
        prof = profile(frame, columns=compared, **profile_options)
    else:
        raise ValueError(f"`reference` must be a ReferenceProfile, a DataFrame, 'first' or 'previous', got {reference!r}")

    # One counting pass: every period's counts at once (counts add, so a rolling reference
    # is a sum of period counts).
    grouped = count_groups(prof, frame, cut.codes, n_periods, columns=compared, pooled=mode == "previous")
    counted = (
        [_counted_profile(prof, t, grouped.pooled[k]) if t.n_rows else None for k, t in enumerate(grouped.tables)]
        if mode == "previous"
        else None
    )
    n_reference = n_first if mode == "first" else window_size if mode == "previous" else None
    scored = _score_periods(prof, grouped.tables, counted, n_reference, min_rows, opts, compared)
    periods = [
        Period(cut.labels[k], cut.starts[k], cut.ends[k], grouped.tables[k].n_rows, status, report)
        for k, (status, report) in enumerate(scored)
    ]

    return Timeline(
        periods=tuple(periods), columns=tuple(compared), time_column=time_column,
        freq=freq if time_column is not None else None, rows=rows, reference=mode,
        reference_periods=n_first, window=window_size, min_rows=min_rows, n_unassigned=n_unassigned,
        direction=opts.direction, base=opts.base, alpha=opts.alpha, correction=opts.correction,
        threshold_mode="auto" if opts.auto else "fixed",
    )  # fmt: skip


# --- Parquet streams -------------------------------------------------------------------------


def compare_over_time_dataset(
    source: Any,
    *,
    time_column: str | None = None,
    freq: str | None = None,
    rows: int | None = None,
    reference: ReferenceProfile | Literal["first", "previous"] | None = None,
    reference_periods: int = 1,
    window: int | None = None,
    min_rows: int = DEFAULT_MIN_ROWS,
    columns: Sequence[str] | None = None,
    batch_size: int = 131_072,
    profile_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> Timeline:
    """`compare_over_time` of Parquet files larger than memory, streamed in bounded memory.

    Record batches are read one at a time; each batch is counted into the reference's bins
    for all its periods at once (one pass per column, as `compare_over_time` counts a
    frame), and the counts of a period add up over batches (`CountTable.merge`). Memory
    holds one batch and one `CountTable` per period.

    With ``reference="first"`` the time column is read once to find the first period, then
    the rows of the first `reference_periods` periods (which must fit in memory) are
    profiled, then everything is counted. With ``reference="previous"`` the bins are fitted
    on the whole stream by `kl_drift.dataset.profile_dataset` (two streamed passes; quantile
    edges from a sample of `sample_size` rows, exact when the data has no more rows), and each
    period's rolling reference is the sum of the counts of the `window` periods before it.

    Parameters
    ----------
    source : str, path or sequence of them
        Parquet files, directories or glob patterns (see `kl_drift.dataset.open_dataset`).
    time_column, freq, rows, reference, reference_periods, window, min_rows, columns
        As in `compare_over_time` (a profile, the first periods, or a rolling window).
    batch_size : int, default 131072
        Rows per record batch.
    profile_options : mapping, optional
        Binning options of `profile` for the first periods (of `profile_dataset` for a
        rolling reference, e.g. ``sample_size``).
    **options
        The comparison options of `compare` (``threshold``, ``alpha``, ...).

    Returns
    -------
    Timeline
        Equal to `compare_over_time` of the same rows read into one frame (for a rolling
        reference, when the data has no more rows than the quantile sample).

    Examples
    --------
    >>> import os, tempfile, numpy as np, pandas as pd, kl_drift as kd
    >>> from kl_drift.timeline import compare_over_time_dataset
    >>> folder = tempfile.mkdtemp()
    >>> df = pd.DataFrame({"plan": ["a", "b"] * 50 + ["a"] * 100})
    >>> df.iloc[:150].to_parquet(os.path.join(folder, "1.parquet"))
    >>> df.iloc[150:].to_parquet(os.path.join(folder, "2.parquet"))
    >>> compare_over_time_dataset(folder, rows=100, batch_size=40).drifted_periods
    ['100:200']
    """
    from ._core import kernels
    from ._engines.files import data_columns as file_columns
    from ._engines.files import file_schema_and_rows, find_files, read_batches

    opts = CompareOptions.resolve(**options)
    min_rows = _check_count("min_rows", min_rows)
    batch_size = _check_count("batch_size", batch_size)
    if (time_column is None) == (rows is None):
        raise ValueError("give either `time_column` (with `freq`) or `rows` to cut the data into periods")
    if time_column is not None and freq is None:
        raise ValueError(f"`freq` is required with `time_column` {time_column!r}: a pandas frequency alias such as 'D' or 'W'")
    if time_column is not None:
        assert freq is not None
        _period_offset(freq)
    if rows is not None:
        rows = _check_count("rows", rows)
    rolling = isinstance(reference, str) and reference == "previous"
    window_size: int | None = None
    if rolling:
        if window is None:
            raise ValueError("`window` is required with reference='previous': the number of previous periods to compare with")
        window_size = _check_count("window", window)
    elif window is not None:
        raise ValueError("`window` applies to reference='previous'")
    files = find_files(source)
    if not files:
        raise EmptyDataError(f"no files in {source!r}")
    schemas = [file_schema_and_rows(f) for f in files]
    known = list(dict.fromkeys(c for schema, _ in schemas for c in file_columns(schema)))
    if time_column is not None and time_column not in known:
        raise ColumnError(time_column, f"is the `time_column` but not a column of the data; columns: {known[:20]}")
    if isinstance(reference, ReferenceProfile):
        default = [c for c in reference.names if c != time_column]
    else:
        default = [c for c in known if c != time_column]
    compared = [str(c) for c in columns] if columns is not None else default
    if time_column is not None and time_column in compared:
        raise ColumnError(time_column, "is the `time_column`; it cannot also be compared")

    def batches(names: list[str]) -> Iterator[pd.DataFrame]:
        for _, batch in read_batches(files, names, batch_size=batch_size):
            yield batch.to_pandas()

    def codes_of(chunk: pd.DataFrame, offset_rows: int) -> tuple[np.ndarray, np.ndarray, Any]:
        if time_column is None:
            assert rows is not None
            return (offset_rows + np.arange(len(chunk))) // rows, np.ones(len(chunk), dtype=bool), None
        assert freq is not None
        return _absolute_codes(_times(chunk, time_column), freq)

    time_names = [time_column] if time_column is not None else []
    n_first: int | None = None
    if isinstance(reference, ReferenceProfile):
        prof, mode = reference, "profile"
    elif rolling:
        from .dataset import profile_dataset

        mode = "previous"
        prof = profile_dataset(files, columns=compared, batch_size=batch_size, **dict(profile_options or {}))
    elif reference is None or reference == "first":
        mode = "first"
        n_first = _check_count("reference_periods", reference_periods)
        first_code: int | None = None
        seen = 0
        for chunk in batches(time_names or known[:1]):
            raw, valid, _ = codes_of(chunk, seen)
            seen += len(chunk)
            if valid.any():
                low = int(raw[valid].min())
                first_code = low if first_code is None else min(first_code, low)
        if first_code is None:
            raise ColumnError(str(time_column), "has no times: every value is missing")
        parts, seen = [], 0
        for chunk in batches([*time_names, *compared]):
            raw, valid, _ = codes_of(chunk, seen)
            seen += len(chunk)
            keep = valid & (raw < first_code + n_first)
            if keep.any():
                parts.append(chunk.loc[keep, compared])
        prof = profile(pd.concat(parts, ignore_index=True), columns=compared, **dict(profile_options or {}))
    else:
        raise ValueError(f"`reference` must be a ReferenceProfile, 'first' or 'previous', got {reference!r}")

    # The counting path for the whole job, from the footers' row total (as compare_dataset):
    # batch by batch, no batch would be worth loading the compiled kernels.
    n_numeric = sum(isinstance(prof[c].bins, NumericBins) for c in compared if c in prof)
    kernels.prepare(sum(rows or 0 for _, rows in schemas) * n_numeric, n_numeric)
    tables: dict[int, CountTable] = {}
    pooled: dict[int, dict[str, tuple[int, ...]]] = {}
    n_unassigned, seen, tz = 0, 0, None
    for chunk in batches([*time_names, *compared]):
        raw, valid, tz = codes_of(chunk, seen)
        seen += len(chunk)
        n_unassigned += int((~valid).sum())
        # The batch's periods, numbered 0..n-1, counted in one pass per column.
        present, inverse = np.unique(raw[valid], return_inverse=True)
        groups = np.full(len(chunk), -1, dtype=np.int64)
        groups[valid] = inverse
        counted = count_groups(prof, chunk, groups, len(present), columns=compared, pooled=rolling, parallel=False)
        for code, table, extra in zip(present.tolist(), counted.tables, counted.pooled):
            tables[code] = tables[code].merge(table) if code in tables else table
            pooled[code] = _add_pooled(pooled[code], extra) if code in pooled else extra
    if not tables:
        raise EmptyDataError(f"the data in {source!r} has no rows")
    return timeline_from_counts(
        prof, tables, pooled if rolling else None, time_column=time_column, freq=freq, rows=rows, tz=tz, n_seen=seen,
        mode=mode, n_reference=n_first if mode == "first" else window_size, n_unassigned=n_unassigned,
        min_rows=min_rows, opts=opts, compared=compared, data_columns=[*time_names, *compared], stacklevel=3,
    )  # fmt: skip


def timeline_from_counts(
    prof: ReferenceProfile,
    tables: Mapping[int, CountTable],
    pooled: Mapping[int, Mapping[str, tuple[int, ...]]] | None,
    *,
    time_column: str | None,
    freq: str | None,
    rows: int | None,
    tz: Any,
    n_seen: int,
    mode: str,
    n_reference: int | None,
    n_unassigned: int,
    min_rows: int,
    opts: CompareOptions,
    compared: Sequence[str],
    data_columns: Sequence[str],
    stacklevel: int = 2,
) -> Timeline:
    """The timeline of counts per absolute period code (as `_absolute_codes` numbers them, or
    row chunk numbers): periods from the first code to the last, gaps included, scored as
    `compare_over_time` scores them. `pooled` (each period's pooled-value counts) makes the
    reference a rolling window of `n_reference` periods. Engines that count periods
    themselves (Parquet streams, Spark) end here."""
    if not tables:
        raise EmptyDataError("the data has no rows in any period")
    first, last = min(tables), max(tables)
    if time_column is not None:
        assert freq is not None
        labels, starts, ends = _spans(first, last, freq, tz)
    else:
        assert rows is not None
        labels = [f"{k * rows}:{min((k + 1) * rows, n_seen)}" for k in range(first, last + 1)]
        starts = ends = [None] * len(labels)  # type: ignore[list-item]
    n_first = n_reference if mode == "first" else None
    window_size = n_reference if mode == "previous" else None
    if n_first is not None and n_first >= len(labels):
        raise ValueError(f"`reference_periods` ({n_first}) leaves no period to compare: the data has {len(labels)} period(s)")
    if window_size is not None and window_size >= len(labels):
        raise ValueError(f"`window` ({window_size} periods) is not shorter than the data ({len(labels)} periods)")
    if n_unassigned:
        warnings.warn(f"{n_unassigned} rows have no time in column {time_column!r} and belong to no period",
                      UnassignedRowsWarning, stacklevel=stacklevel)  # fmt: skip
    empty = CountTable.of(0, [], tuple(str(c) for c in data_columns), "pandas")
    ordered = [tables.get(code, empty) for code in range(first, last + 1)]
    counted_profiles = (
        [_counted_profile(prof, t, pooled[first + k]) if t.n_rows else None for k, t in enumerate(ordered)]
        if pooled is not None
        else None
    )
    scored = _score_periods(prof, ordered, counted_profiles, n_reference, min_rows, opts, compared)
    periods = [
        Period(labels[k], starts[k], ends[k], ordered[k].n_rows, status, report) for k, (status, report) in enumerate(scored)
    ]
    return Timeline(
        periods=tuple(periods), columns=tuple(compared), time_column=time_column,
        freq=freq if time_column is not None else None, rows=rows, reference=mode,
        reference_periods=n_first, window=window_size, min_rows=min_rows, n_unassigned=n_unassigned,
        direction=opts.direction, base=opts.base, alpha=opts.alpha, correction=opts.correction,
        threshold_mode="auto" if opts.auto else "fixed",
    )  # fmt: skip


def _add_pooled(a: Mapping[str, tuple[int, ...]], b: Mapping[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(x + y for x, y in zip(a[name], b[name])) for name in a}
