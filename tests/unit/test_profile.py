"""Profiling columns of every kind: categories, booleans, datetimes, missing values, overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd


def missing_case(name: str) -> tuple[pd.Series, pd.Series, int, int]:
    """A reference and a current column of one dtype, with 3 and 5 missing values of its kind."""
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "float":
        ref = pd.Series(np.r_[rng.normal(size=60), [np.nan] * 3])
        cur = pd.Series(np.r_[rng.normal(size=40), [np.nan] * 5])
    elif name == "float-object-none":
        ref = pd.Series([*rng.normal(size=60).tolist(), None, None, np.nan], dtype=object)
        cur = pd.Series([*rng.normal(size=40).tolist(), None, pd.NA, np.nan, None, None], dtype=object)
    elif name == "Int64":
        ref = pd.Series(pd.array([*rng.integers(0, 100, 60).tolist(), None, None, None], dtype="Int64"))
        cur = pd.Series(pd.array([*rng.integers(0, 100, 40).tolist()] + [None] * 5, dtype="Int64"))
    elif name == "Float64":
        ref = pd.Series(pd.array([*rng.normal(size=60).tolist(), None, None, None], dtype="Float64"))
        cur = pd.Series(pd.array([*rng.normal(size=40).tolist()] + [None] * 5, dtype="Float64"))
    elif name == "object":
        ref = pd.Series(["a", "b", "c"] * 20 + [None, np.nan, pd.NA], dtype=object)
        cur = pd.Series(["a", "b"] * 20 + [None, None, np.nan, pd.NA, np.nan], dtype=object)
    elif name == "string":
        ref = pd.Series(["a", "b", "c"] * 20 + [None] * 3, dtype="string")
        cur = pd.Series(["a", "b"] * 20 + [None] * 5, dtype="string")
    elif name == "str":
        ref = pd.Series(["a", "b", "c"] * 20 + [None] * 3, dtype="str")
        cur = pd.Series(["a", "b"] * 20 + [np.nan] * 5, dtype="str")
    elif name == "category":
        ref = pd.Series(pd.Categorical(["a", "b", "c"] * 20 + [None] * 3))
        cur = pd.Series(pd.Categorical(["a", "b"] * 20 + [None] * 5))
    elif name == "boolean":
        ref = pd.Series(pd.array([True, False, True] * 20 + [None] * 3, dtype="boolean"))
        cur = pd.Series(pd.array([True, False] * 20 + [None] * 5, dtype="boolean"))
    elif name == "datetime":
        base = pd.Timestamp("2024-01-01")
        ref = pd.Series([base + pd.Timedelta(hours=int(h)) for h in rng.integers(0, 5000, 60)] + [pd.NaT] * 3)
        cur = pd.Series([base + pd.Timedelta(hours=int(h)) for h in rng.integers(0, 5000, 40)] + [None] * 5)
        cur = pd.to_datetime(cur)
    elif name == "datetime-tz":
        base = pd.Timestamp("2024-01-01", tz="America/New_York")
        ref = pd.Series([base + pd.Timedelta(hours=int(h)) for h in rng.integers(0, 5000, 60)] + [pd.NaT] * 3)
        cur = pd.Series([base + pd.Timedelta(hours=int(h)) for h in rng.integers(0, 5000, 40)] + [pd.NaT] * 5)
    else:  # pragma: no cover - a typo in the parameter list
        raise AssertionError(name)
    return ref, cur, 3, 5


MISSING_CASES = [
    "float",
    "float-object-none",
    "Int64",
    "Float64",
    "object",
    "string",
    "str",
    "category",
    "boolean",
    "datetime",
    "datetime-tz",
]


@pytest.mark.parametrize("case", MISSING_CASES)
def test_missing_values_have_their_own_bucket_on_both_sides(case):
    ref, cur, n_ref_missing, n_cur_missing = missing_case(case)
    prof = kd.profile(pd.DataFrame({"x": ref}))
    col = prof["x"]
    assert col.kind != "skipped", col.reason
    assert col.labels[-1] == "(missing)"
    assert col.counts[-1] == n_ref_missing
    assert col.n_rows == len(ref)
    drift = kd.compare(prof, pd.DataFrame({"x": cur}))["x"]
    assert drift.status in ("ok", "warn", "drift"), drift.reason
    assert drift.current_counts[-1] == n_cur_missing
    assert sum(drift.current_counts) == len(cur)
    assert drift.missing_reference == pytest.approx(n_ref_missing / len(ref))
    assert drift.missing_current == pytest.approx(n_cur_missing / len(cur))


def test_a_change_in_the_missing_rate_alone_is_drift():
    ref = pd.DataFrame({"code": pd.Series(["A", "B"] * 450 + [None] * 100, dtype="string")})
    cur = pd.DataFrame({"code": pd.Series(["A", "B"] * 300 + [None] * 400, dtype="string")})
    col = kd.compare(ref, cur)["code"]
    assert col.status == "drift"
    assert col.top_contributions(1)[0]["bin"] == "(missing)"


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series(np.linspace(0, 1, 50)), "numeric"),
        (pd.Series(np.arange(50)), "numeric"),
        (pd.Series(["a", "b"] * 25), "categorical"),
        (pd.Series(["a", "b"] * 25, dtype="string"), "categorical"),
        (pd.Series(pd.Categorical(["a", "b"] * 25)), "categorical"),
        (pd.Series([True, False] * 25), "boolean"),
        (pd.Series([True, False, None] * 25, dtype=object), "boolean"),
        (pd.Series(pd.date_range("2024-01-01", periods=50, freq="h")), "datetime"),
        (pd.Series(pd.date_range("2024-01-01", periods=50, freq="h", tz="UTC")), "datetime"),
    ],
)
def test_column_kinds(series, kind):
    col = kd.profile(pd.DataFrame({"x": series}))["x"]
    assert col.kind == kind
    assert col.dtype == str(series.dtype)


# --- categories ------------------------------------------------------------------------------


def test_top_k_categories_with_other_and_unseen():
    ref = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 40 + ["c"] * 30 + ["d"] * 20 + ["e"] * 10})
    col = kd.profile(ref, max_categories=3)["c"]
    assert col.bins.categories == ("a", "b", "c")
    assert set(col.bins.other_values) == {"d", "e"}
    assert col.labels == ("a", "b", "c", "(other)", "(unseen)", "(missing)")
    assert col.counts == (50, 40, 30, 30, 0, 0)
    cur = col.count(pd.Series(["d", "e", "new", "a", None, "c"]))
    assert cur.counts == (1, 0, 1, 2, 1, 1)


def test_categories_are_ranked_by_frequency_then_value():
    ref = pd.DataFrame({"c": ["z", "y", "x", "y", "x", "x", "w"]})
    col = kd.profile(ref)["c"]
    assert col.bins.categories == ("x", "y", "w", "z")
    assert col.counts == (3, 2, 1, 1, 0, 0)


def test_without_pooled_categories_there_is_no_other_bucket():
    col = kd.profile(pd.DataFrame({"c": ["a", "b"] * 10}))["c"]
    assert not col.bins.has_other
    assert col.labels == ("a", "b", "(unseen)", "(missing)")


def test_pooled_values_beyond_the_listed_ones_are_sketched_and_new_values_still_found():
    values = [f"v{i:05d}" for i in range(10_100)] + ["top"] * 50
    col = kd.profile(pd.DataFrame({"c": values}), max_categories=1)["c"]
    assert col.bins.categories == ("top",)
    # The 10,000 most frequent pooled values are listed (with their counts), the other 100
    # are a count histogram and a Bloom filter.
    assert len(col.bins.other_values) == 10_000 and col.bins.other_complete
    assert col.pooled.other_counts == (1,) * 10_000
    assert col.pooled.unlisted == ((1, 100),) and col.pooled.sketch.values == 100
    # Counting only looks at the list: a sketched value lands in "(unseen)" for now...
    cur = col.count(pd.Series(["top", "v00001", "v10050", "brand-new"]))
    assert cur.counts == (1, 1, 2, 0)
    # ... and scoring tells the reference's rare value from the new one.
    prof = kd.ReferenceProfile((col,), col.n_rows)
    result = kd.compare(prof, pd.DataFrame({"c": ["top", "v00001", "v10050", "brand-new"]}), score_identifiers=True)["c"]
    assert result.current_counts == (1, 2, 1, 0)
    assert result.unseen_examples == (("brand-new", 1),)
    assert result.novel_fraction == 0.25


def test_categorical_dtype_matches_plain_strings():
    prof = kd.profile(pd.DataFrame({"c": pd.Categorical(["a", "b", "b"] * 10)}))
    cur = pd.DataFrame({"c": pd.Series(["a", "b", "x"] * 5, dtype="string")})
    col = kd.compare(prof, cur)["c"]
    assert col.status != "type_mismatch", col.reason
    assert dict(zip(col.bin_labels, col.current_counts)) == {"b": 5, "a": 5, "(unseen)": 5, "(missing)": 0}


def test_string_categories_match_exactly():
    col = kd.profile(pd.DataFrame({"c": ["1", "01", "1.0"] * 5}))["c"]
    assert col.bins.categories == ("01", "1", "1.0")
    assert col.count(pd.Series(["1", "1", "01", "x"])).counts == (1, 2, 0, 1, 0)


def test_low_cardinality_numeric_is_binned_by_value():
    col = kd.profile(pd.DataFrame({"n": [1, 2, 3] * 30}))["n"]
    assert col.kind == "numeric"
    assert isinstance(col.bins, kd.CategoricalBins)
    assert col.bins.value_type == "number"
    assert col.bins.categories == (1, 2, 3)


def test_integer_reference_categories_match_float_current_values():
    prof = kd.profile(pd.DataFrame({"n": [1, 2, 3] * 30}))
    cur = pd.DataFrame({"n": [1.0, 2.0, 2.0, 3.0, 4.0, np.nan]})
    col = kd.compare(prof, cur)["n"]
    assert col.status != "type_mismatch", col.reason
    assert col.bin_labels == ("1", "2", "3", "(unseen)", "(missing)")
    assert col.current_counts == (1, 2, 1, 1, 1)


def test_float_reference_categories_match_nullable_integer_current():
    prof = kd.profile(pd.DataFrame({"n": [0.0, 1.0, 2.0] * 30}))
    cur = pd.DataFrame({"n": pd.array([0, 1, 1, 2, 7, None], dtype="Int64")})
    assert kd.compare(prof, cur)["n"].current_counts == (1, 2, 1, 1, 1)


@pytest.mark.parametrize(("n_distinct", "categorical"), [(20, True), (21, False)])
def test_discrete_threshold_boundary(n_distinct, categorical):
    df = pd.DataFrame({"n": np.tile(np.arange(n_distinct, dtype=float) / 3, 5)})
    col = kd.profile(df)["n"]
    assert isinstance(col.bins, kd.CategoricalBins) is categorical


def test_discrete_threshold_zero_keeps_numeric_bins():
    col = kd.profile(pd.DataFrame({"n": [1, 2, 3, 4] * 30}), bins=2, discrete_threshold=0)["n"]
    assert isinstance(col.bins, kd.NumericBins)


def test_bins_override_keeps_a_low_cardinality_column_numeric():
    df = pd.DataFrame({"n": [1, 2, 3, 4, 5] * 30, "m": [1, 2, 3, 4, 5] * 30})
    prof = kd.profile(df, bins={"n": 2})
    assert isinstance(prof["n"].bins, kd.NumericBins)
    assert isinstance(prof["m"].bins, kd.CategoricalBins)


def test_categorical_override_bins_a_continuous_column_by_value(rng):
    df = pd.DataFrame({"n": rng.integers(0, 1000, 300), "m": rng.integers(0, 1000, 300)})
    prof = kd.profile(df, categorical=["n"], max_categories=5)
    assert isinstance(prof["n"].bins, kd.CategoricalBins)
    assert len(prof["n"].bins.categories) == 5
    assert prof["n"].bins.has_other
    assert isinstance(prof["m"].bins, kd.NumericBins)


def test_categorical_with_numeric_categories_matches_numbers():
    prof = kd.profile(pd.DataFrame({"c": pd.Categorical([10, 20, 20] * 10)}))
    col = prof["c"]
    assert col.bins.value_type == "number"
    assert col.count(pd.Series([10.0, 20, 30])).counts == (1, 1, 1, 0)


def test_profile_columns_subset(reference_df):
    prof = kd.profile(reference_df, columns=["plan", "age"])
    assert prof.names == ("plan", "age")
    assert prof.n_rows == len(reference_df)


# --- booleans --------------------------------------------------------------------------------


def test_bool_column_bins():
    prof = kd.profile(pd.DataFrame({"b": [True] * 70 + [False] * 30}))
    col = prof["b"]
    assert col.kind == "boolean" and col.bins.value_type == "bool"
    assert dict(zip(col.labels, col.counts)) == {"True": 70, "False": 30, "(unseen)": 0, "(missing)": 0}
    cur = pd.DataFrame({"b": pd.array([True, False, None, False], dtype="boolean")})
    drift = kd.compare(prof, cur)["b"]
    assert dict(zip(drift.bin_labels, drift.current_counts)) == {"True": 1, "False": 2, "(unseen)": 0, "(missing)": 1}


def test_bool_reference_against_string_current_is_a_type_mismatch():
    prof = kd.profile(pd.DataFrame({"b": [True, False] * 10}))
    col = kd.compare(prof, pd.DataFrame({"b": ["yes", "no"] * 5}))["b"]
    assert col.status == "type_mismatch" and col.drifted
    assert "bool" in col.reason


# --- datetimes -------------------------------------------------------------------------------


def _timestamps(rng: np.random.Generator, n: int, tz: str | None = None, unit: str = "ns") -> pd.Series:
    seconds = rng.integers(0, 365 * 86400, n)
    stamps = pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s")
    series = pd.Series(stamps).astype(f"datetime64[{unit}]")
    return series.dt.tz_localize(tz) if tz else series


@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Tokyo"])
def test_datetime_quantile_edges_are_order_statistics_of_epoch_nanoseconds(rng, tz):
    t = _timestamps(rng, 999, tz)
    col = kd.profile(pd.DataFrame({"t": t}), bins=5)["t"]
    assert col.kind == "datetime" and col.bins.datetime
    assert col.bins.tz == tz
    ns = t.dt.tz_convert("UTC").dt.tz_localize(None) if tz else t
    epoch = ns.astype("datetime64[ns]").astype("int64").to_numpy()
    want = np.unique(np.quantile(epoch, np.arange(1, 5) / 5, method="inverted_cdf"))
    # The fitted edges, and around them the reference range (one nanosecond below the first
    # instant, and the last).
    assert col.bins.edges == (int(epoch.min()) - 1, *(int(v) for v in want), int(epoch.max()))
    assert (col.bins.low, col.bins.high) == (int(epoch.min()), int(epoch.max()))


def test_datetime_resolutions_give_the_same_counts(rng):
    t_ns = _timestamps(rng, 800, unit="ns")
    t_us = t_ns.astype("datetime64[us]")
    t_s = t_ns.astype("datetime64[s]")
    prof_ns = kd.profile(pd.DataFrame({"t": t_ns}), bins=6)
    prof_us = kd.profile(pd.DataFrame({"t": t_us}), bins=6)
    assert prof_ns["t"].bins == prof_us["t"].bins
    assert prof_ns["t"].counts == prof_us["t"].counts
    cur = _timestamps(np.random.default_rng(1), 300, unit="ns")
    counted = [prof_ns.count(pd.DataFrame({"t": cur.astype(f"datetime64[{u}]")}))["t"].counts for u in ("ns", "us", "ms")]
    assert counted[0] == counted[1] == counted[2]
    assert prof_ns.count(pd.DataFrame({"t": t_s}))["t"].counts == prof_ns["t"].counts


def test_datetime_current_in_another_time_zone_counts_the_same_instants(rng):
    t = _timestamps(rng, 500, "UTC")
    prof = kd.profile(pd.DataFrame({"t": t}), bins=4)
    same = kd.compare(prof, pd.DataFrame({"t": t.dt.tz_convert("Asia/Kolkata")}))["t"]
    assert same.status != "type_mismatch", same.reason
    assert same.current_counts == prof["t"].counts
    assert same.statistic == 0.0


def test_datetime_counts_match_cut_on_the_epoch(rng):
    t = _timestamps(rng, 600)
    t[::17] = pd.NaT
    col = kd.profile(pd.DataFrame({"t": t}), bins=4)["t"]
    epoch = t.dropna().astype("datetime64[ns]").astype("int64").to_numpy()
    idx = np.searchsorted(np.asarray(col.bins.edges, dtype=np.int64), epoch, side="left")
    want = np.bincount(idx, minlength=len(col.bins.edges) + 1).tolist() + [int(t.isna().sum())]
    assert list(col.counts) == want


def test_datetime_labels_are_readable():
    t = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D"))
    col = kd.profile(pd.DataFrame({"t": t}), bins=4)["t"]
    edges = [pd.Timestamp(e) for e in col.bins.edges]
    # Below the first day, from it to the first quantile edge, ..., after the last day.
    assert col.labels[0] == "(-inf, 2024-01-01)"
    assert col.labels[1] == f"[2024-01-01, {edges[1].date().isoformat()}]"
    assert col.labels[-2] == "(2024-04-09, +inf)"
    assert col.labels[-1] == "(missing)"
    intraday = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(100) * 3601, unit="s"))
    labels = kd.profile(pd.DataFrame({"t": intraday}), bins=3)["t"].labels
    assert all(":" in label for label in labels[:-1]), labels
    assert "2024-01-0" in labels[0]


def test_tz_aware_datetime_labels_say_utc():
    t = pd.Series(pd.date_range("2024-01-01", periods=100, freq="h", tz="Europe/Berlin"))
    labels = kd.profile(pd.DataFrame({"t": t}), bins=3)["t"].labels
    assert all("Z" in label for label in labels[:-1]), labels


def test_explicit_datetime_edges():
    t = pd.Series(pd.date_range("2024-01-01", periods=91, freq="D"))
    col = kd.profile(pd.DataFrame({"t": t}), edges={"t": ["2024-02-01", "2024-03-01"]})["t"]
    # Right-closed: 2024-02-01 itself falls in the first bin, 2024-03-01 in the second; the
    # reference range (2024-01-01 to 2024-03-31) adds a bin on each side.
    assert col.counts == (0, 32, 29, 30, 0, 0) and col.bins.high == pd.Timestamp("2024-03-31").value
    stamps = ("2024-01-01", "2024-02-01", "2024-03-01", "2024-03-31")
    assert col.bins.edges[1:] == tuple(pd.Timestamp(t).value for t in stamps[1:])
    assert col.bins.edges[0] == pd.Timestamp(stamps[0]).value - 1


def test_python_datetimes_in_an_object_column_are_datetimes():
    from datetime import datetime

    t = pd.Series([datetime(2024, 1, d) for d in range(1, 31)] * 2 + [None], dtype=object)
    col = kd.profile(pd.DataFrame({"t": t}), bins=3)["t"]
    assert col.kind == "datetime"
    assert col.counts[-1] == 1
    as_datetime64 = kd.profile(pd.DataFrame({"t": pd.to_datetime(t)}), bins=3)["t"]
    assert col.bins == as_datetime64.bins and col.counts == as_datetime64.counts


def test_datetime_current_shift_is_drift(rng):
    t = _timestamps(rng, 1000)
    prof = kd.profile(pd.DataFrame({"t": t}))
    later = kd.compare(prof, pd.DataFrame({"t": t + pd.Timedelta(days=120)}))["t"]
    assert later.status == "drift"
    assert later.current_counts[-2] > 0.3 * len(t)  # the open upper tail catches the future


def test_low_cardinality_integers_beyond_float_precision():
    """Distinct int64 values that are equal as float64 (IDs, hashes) must not crash counting."""
    x = pd.Series([2**53, 2**53 + 1, 2**60, 2**60 + 1] * 10, dtype="int64")
    prof = kd.profile(pd.DataFrame({"x": x}))
    assert prof["x"].n_rows == 40
    assert prof.count(pd.DataFrame({"x": x})) == prof
    assert kd.compare(prof, pd.DataFrame({"x": x}))["x"].statistic == 0.0


def test_decimal_values_are_numeric():
    from decimal import Decimal

    x = pd.Series([Decimal(i) / 7 for i in range(100)], dtype=object)
    col = kd.profile(pd.DataFrame({"x": x}), bins=4)["x"]
    assert col.kind == "numeric"
    as_float = kd.profile(pd.DataFrame({"x": x.astype(float)}), bins=4)["x"]
    assert col.bins == as_float.bins and col.counts == as_float.counts
